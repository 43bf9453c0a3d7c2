//! Assembling the application from a [`Config`]: storage, content, routes.

use std::time::Duration;

use academy_courses::import::{self, ImportError};
use academy_enrollment::{Settings, Workflow, mail::Mailer};
use academy_identity::{
    rate_limit::SignInLimiter,
    session_cache::{self, SessionCache},
    sign_in::{ProviderSettings, SignIn},
};
use academy_migrations::{Migrator, MigratorTrait};
use academy_progress::recorder::Recorder;
use anyhow::Context;
use poem::{
    Endpoint, EndpointExt, Route,
    middleware::{CatchPanic, CookieJarManager},
};

use crate::{
    api,
    config::Config,
    http::{
        client_addr::ClientAddresses, compression::Compression, documents::Document,
        errors::JsonErrors, headers::SecurityHeaders, limits::BodyLimits, target::TargetCheck,
    },
    state::{AppState, Identity},
    storage,
};

/// A ready-to-serve Academy: migrated storage, loaded content.
pub struct Academy {
    pub state: AppState,
    pub config: Config,
}

impl Academy {
    /// Connects to the database, migrates it, imports `content_dir` if the database holds no
    /// content yet, and loads the catalog.
    pub async fn start(config: Config) -> anyhow::Result<Academy> {
        // Checked first: a wrong setting is told before anything else is done.
        let stats = config.stats_policy()?;
        let db = open_database(&config).await?;
        if import::latest_version(&db).await?.is_none() {
            import_initial_content(&db, &config).await?;
        }
        let mut identity = identity_services(&config)?;
        if !config.uses_sqlite() && config.session_cache_seconds > 0 {
            let cache = identity.session_cache.clone();
            let listener = listen_for_session_changes(&config.database_url(), cache).await?;
            identity.session_cache.set_heard(true);
            identity.session_listener = Some(listener);
        }
        let (enrollment, mailer) = enrollment_services(&config, &db).await?;
        let certificates = certificate_issuer(&config, &db).await?;
        let progress = progress_writers(&config).await?;
        let mut state =
            AppState::load(db, identity, enrollment, mailer, certificates, progress).await?;
        state.stats = std::sync::Arc::new(stats);
        if config.stats_refresh_seconds > 0 {
            let every = Duration::from_secs(config.stats_refresh_seconds);
            state.stats_live = Some(keep_statistics_current(&state.db, every));
        }
        state
            .search
            .load(state.catalog(), config.data_dir.join("search"))
            .await
            .context("opening the search index")?;
        Ok(Academy { state, config })
    }

    /// The HTTP application: the API, its OpenAPI document and Swagger UI.
    pub fn endpoint(&self) -> impl Endpoint<Output = poem::Response> + 'static {
        let service = api::service(&self.state);
        // Built once: the same bytes (and ETag) for every request.
        let spec = crate::http::target::documented(&service.spec());
        let errors = JsonErrors::for_spec(&spec);
        let docs = Document::html(service.swagger_ui_html());
        Route::new()
            .nest("/", service)
            .at("/openapi.json", Document::json(spec))
            .at("/docs", docs.clone())
            .at("/docs/", docs)
            .with(CookieJarManager::new())
            .with(ClientAddresses {
                trust_forwarded_for: self.config.trust_forwarded_for,
            })
            .with(Compression::default())
            // Bodies are bounded before any handler parses them or checks who is asking.
            .with(BodyLimits {
                grace: Duration::from_secs(self.config.body_timeout_seconds.max(1)),
            })
            // Paths and queries no parameter could hold are refused before routing.
            .with(TargetCheck)
            .with(errors)
            .with(CatchPanic::new())
            .with(SecurityHeaders {
                hsts: self.config.public_url.starts_with("https://"),
            })
    }

    /// Runs the programme workflow's timed work (offer expiry, reminders, retention, e-mail)
    /// every `every`. Safe on any number of nodes: each step claims its rows in the database.
    pub fn spawn_jobs(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.state.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                match academy_enrollment::jobs::run_once(
                    &state.db,
                    &state.enrollment,
                    state.mailer.as_deref(),
                )
                .await
                {
                    Ok(round) if round != academy_enrollment::jobs::Round::default() => {
                        tracing::info!(
                            expired = round.expired,
                            reminded = round.reminded,
                            purged = round.purged,
                            sent = round.mail.sent,
                            failed = round.mail.failed,
                            "timed work done"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = format!("{e:#}"), "timed work failed"),
                }
            }
        })
    }

    /// Reloads the catalog whenever another import lands in the database (from this node's CLI
    /// or another node), checking every `every`.
    pub fn spawn_content_poll(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.state.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                if let Err(e) = state.refresh_catalog().await {
                    tracing::warn!(error = format!("{e:#}"), "checking for new content failed");
                }
            }
        })
    }
}

/// The programme workflow and the mailer, from the configuration. Refuses to start when the
/// database holds answers sealed by a key this node does not have: it would answer errors in
/// their place.
async fn enrollment_services(
    config: &Config,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<(Workflow, Option<Mailer>)> {
    let keys = config.data_keys()?;
    let mut missing = academy_enrollment::crypto::missing_keys(db, &keys).await?;
    missing.extend(academy_progress::certificate::missing_keys(db, &keys).await?);
    missing.sort();
    missing.dedup();
    anyhow::ensure!(
        missing.is_empty(),
        "the database holds answers or certificates sealed with data key(s) {} that are not configured: set \
         ACADEMY_DATA_KEY (and ACADEMY_DATA_KEYS_RETIRED) to the keys in use",
        missing.join(", ")
    );
    let mailer = match (&config.smtp_url, &config.mail_from) {
        (Some(url), Some(from)) => {
            use secrecy::ExposeSecret;
            Some(Mailer::new(url.expose_secret(), from)?)
        }
        (Some(_), None) => anyhow::bail!("ACADEMY_SMTP_URL needs ACADEMY_MAIL_FROM"),
        _ => None,
    };
    let workflow = Workflow {
        keys,
        settings: Settings {
            retention_days: config.application_retention_days,
            ..Settings::default()
        },
        mail: mailer.is_some(),
    };
    Ok((workflow, mailer))
}

/// The certificate issuer, from the configuration; its key joins the issuer's keys (the DID
/// document lists every key ever used, so a rotation keeps old certificates verifiable).
async fn certificate_issuer(
    config: &Config,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<academy_progress::certificate::Issuing> {
    let key = config.signing_key()?;
    let issuing = academy_progress::certificate::Issuing::new(
        key,
        &config.public_url,
        &config.issuer_name,
        &config.issuer_url,
    )
    .context("ACADEMY_PUBLIC_URL must be an http:// or https:// URL (it names the issuer)")?;
    academy_progress::certificate::register_key(db, &issuing).await?;
    Ok(issuing)
}

/// The progress writers, on a pool of their own so that they never wait behind readers for a
/// connection: one on SQLite (it has one write lock), `progress_writers` on PostgreSQL. On
/// SQLite their commits are synced to disk (`synchronous = FULL`) before any event is answered.
async fn progress_writers(config: &Config) -> anyhow::Result<Recorder> {
    let writers = if config.uses_sqlite() {
        1
    } else {
        config.progress_writers.max(1)
    };
    let pool = academy_migrations::connect_synced(&config.database_url(), writers)
        .await
        .context("connecting the progress writers")?;
    Ok(Recorder::start(pool, usize::try_from(writers).unwrap_or(1)))
}

/// On PostgreSQL: listens on [`session_cache::CHANGED_CHANNEL`], where the database announces
/// every ended session and changed role, and forgets the sessions in `cache` at each notice.
/// Returns once listening; the listener stops when the returned guard is dropped. While its
/// connection is lost, the cache is not used (a notice may be missed meanwhile).
/// Loads the live statistics index in the background, then keeps it current every `every`
/// (see `academy_stats::live`); reports count from the tables until it is loaded.
fn keep_statistics_current(
    db: &sea_orm::DatabaseConnection,
    every: Duration,
) -> (
    std::sync::Arc<academy_stats::Live>,
    std::sync::Arc<crate::state::StopOnDrop>,
) {
    let live = academy_stats::Live::new();
    let (db, index) = (db.clone(), live.clone());
    let task = tokio::spawn(async move {
        loop {
            if let Err(e) = index.refresh(&db).await {
                tracing::warn!(error = %e, "statistics: the live index could not be refreshed");
            }
            tokio::time::sleep(every).await;
        }
    });
    (
        live,
        std::sync::Arc::new(crate::state::StopOnDrop(task.abort_handle())),
    )
}

async fn listen_for_session_changes(
    url: &str,
    cache: std::sync::Arc<SessionCache>,
) -> anyhow::Result<crate::state::StopOnDrop> {
    async fn listening(url: &str) -> anyhow::Result<sea_orm::sqlx::postgres::PgListener> {
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect(url)
            .await
            .context("connecting the session change listener")?;
        listener
            .listen(session_cache::CHANGED_CHANNEL)
            .await
            .context("listening for session changes")?;
        Ok(listener)
    }
    let mut listener = listening(url).await?;
    let url = url.to_owned();
    let task = tokio::spawn(async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => {
                    cache.invalidate();
                    continue;
                }
                Ok(None) => tracing::warn!("the session change listener lost its connection"),
                Err(e) => tracing::warn!(error = %e, "listening for session changes failed"),
            }
            cache.set_heard(false);
            listener = loop {
                match listening(&url).await {
                    Ok(listener) => break listener,
                    Err(e) => {
                        tracing::warn!(
                            error = format!("{e:#}"),
                            "reconnecting the session change listener failed"
                        );
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            };
            cache.set_heard(true);
        }
    });
    Ok(crate::state::StopOnDrop(task.abort_handle()))
}

/// The identity services, from the configuration.
fn identity_services(config: &Config) -> anyhow::Result<Identity> {
    let providers = config
        .providers
        .iter()
        .map(|(key, p)| ProviderSettings {
            key: key.clone(),
            display_name: p.display_name.clone(),
            issuer_url: p.issuer_url.clone(),
            client_id: p.client_id.clone(),
            client_secret: p.client_secret.clone(),
        })
        .collect();
    let public_url = config.public_url.trim_end_matches('/').to_owned();
    Ok(Identity {
        sign_in: SignIn::new(
            providers,
            &format!("{public_url}/api/auth/callback"),
            Duration::from_secs(config.provider_timeout_seconds.max(1)),
        )
        .context("configuring identity providers")?,
        sessions: config.session_policy(),
        // On PostgreSQL, kept from use until the server listens for changes (see `start`).
        session_cache: std::sync::Arc::new(SessionCache::new(
            Duration::from_secs(config.session_cache_seconds),
            config.uses_sqlite(),
        )),
        session_listener: None,
        limiter: SignInLimiter::per_minute(config.sign_in_per_minute),
        public_url,
    })
}

/// Opens the configured database (creating the directory of the embedded SQLite file) and
/// brings its schema up to date.
pub async fn open_database(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    if config.uses_sqlite() {
        storage::create_private_dir(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
        if let Some(file) = storage::sqlite_file(&config.database_url()) {
            storage::make_private_file(&file)
                .with_context(|| format!("creating the database file {}", file.display()))?;
        }
    }
    let db = academy_migrations::connect(&config.database_url(), config.db_max_connections)
        .await
        .context("connecting to the database")?;
    Migrator::up(&db, None)
        .await
        .context("migrating the database")?;
    Ok(db)
}

async fn import_initial_content(
    db: &sea_orm::DatabaseConnection,
    config: &Config,
) -> anyhow::Result<()> {
    let dir = &config.content_dir;
    if !dir.is_dir() {
        tracing::warn!(dir = %dir.display(), "no content directory: serving an empty catalog until `academy import`");
        return Ok(());
    }
    match import::import_dir(db, dir, |_, _, _| {}).await {
        Ok(report) => tracing::info!(
            courses = report.courses,
            version = report.short_version(),
            "content imported"
        ),
        Err(ImportError::Invalid(problems)) => {
            for problem in &problems.0 {
                tracing::error!("{problem}");
            }
            anyhow::bail!(
                "the content in {} has {} problem(s); run `academy check`",
                dir.display(),
                problems.0.len()
            );
        }
        // Another node may have imported the same content at the same moment.
        Err(ImportError::Other(e)) if import::latest_version(db).await?.is_some() => {
            tracing::warn!(
                error = format!("{e:#}"),
                "initial import skipped: content arrived meanwhile"
            );
        }
        Err(ImportError::Other(e)) => return Err(e.context("importing the initial content")),
    }
    Ok(())
}
