//! What every request handler and background task shares: the database pool, the current
//! catalog snapshot with its search index, and the domain services built from the
//! configuration (identity, the programme workflow, the mailer, the progress writers). Nothing
//! here is an HTTP type, so a background task can hold the state without the web layer.

use std::sync::Arc;

use academy_courses::catalog::{Catalog, current_version};
use academy_enrollment::{Workflow, mail::Mailer};
use academy_identity::{
    SessionPolicy, rate_limit::SignInLimiter, session_cache::SessionCache, sign_in::SignIn,
};
use academy_progress::certificate::Issuing;
use academy_progress::recorder::Recorder;
use anyhow::Context;
use arc_swap::ArcSwap;
use sea_orm::DatabaseConnection;

/// Shared, cheaply clonable application state.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    catalog: Arc<ArcSwap<Catalog>>,
    /// Sign-in providers, session lifetimes, the sign-in rate limit.
    pub identity: Arc<Identity>,
    /// The search index of the loaded catalog, swapped with it.
    pub search: Arc<academy_search::LiveIndex>,
    /// The programme workflow: data keys, retention, whether e-mail is on.
    pub enrollment: Arc<Workflow>,
    /// The SMTP connection of notification e-mail, when configured.
    pub mailer: Option<Arc<Mailer>>,
    /// The certificate issuer: its signing key and DID.
    pub certificates: Arc<Issuing>,
    /// Where progress events are recorded: group commit by the progress writers.
    pub progress: Recorder,
    /// What statistics may publish: the threshold and the hidden countries.
    pub stats: Arc<academy_stats::disclosure::Policy>,
    /// The live statistics index and the task that keeps it current, unless turned off
    /// (`ACADEMY_STATS_REFRESH_SECONDS=0`: reports count from the tables).
    pub stats_live: Option<(Arc<academy_stats::Live>, Arc<StopOnDrop>)>,
}

/// The identity services, built from the configuration in `app.rs`.
pub struct Identity {
    pub sign_in: SignIn,
    pub sessions: SessionPolicy,
    /// Sessions read recently (see [`academy_identity::session_cache`]).
    pub session_cache: Arc<SessionCache>,
    /// On PostgreSQL, the task that tells the cache of changes made anywhere.
    pub session_listener: Option<StopOnDrop>,
    pub limiter: SignInLimiter,
    /// Where browsers reach this site, without a trailing `/`: redirects after sign-in go there.
    pub public_url: String,
}

/// Stops a background task when dropped.
pub struct StopOnDrop(pub tokio::task::AbortHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl AppState {
    /// Builds the state and loads the catalog from the database.
    pub async fn load(
        db: DatabaseConnection,
        identity: Identity,
        enrollment: Workflow,
        mailer: Option<Mailer>,
        certificates: Issuing,
        progress: Recorder,
    ) -> anyhow::Result<AppState> {
        let catalog = Catalog::load(&db).await.context("loading the catalog")?;
        Ok(AppState {
            db,
            catalog: Arc::new(ArcSwap::from_pointee(catalog)),
            identity: Arc::new(identity),
            search: Arc::default(),
            enrollment: Arc::new(enrollment),
            mailer: mailer.map(Arc::new),
            certificates: Arc::new(certificates),
            progress,
            stats: Arc::default(),
            stats_live: None,
        })
    }

    /// Where statistics count from: the live index when there is one.
    pub fn stats_reader(&self) -> academy_stats::Reader<'_, DatabaseConnection> {
        match &self.stats_live {
            Some((live, _)) => academy_stats::Reader::Live(&self.db, live),
            None => academy_stats::Reader::Tables(&self.db),
        }
    }

    /// The catalog snapshot to answer one request from.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Reloads the catalog if the database holds another content version than the one loaded
    /// (after an import by this or another node). Returns whether it reloaded.
    pub async fn refresh_catalog(&self) -> anyhow::Result<bool> {
        let loaded = self.catalog.load().version.as_ref().map(|v| v.hash.clone());
        let current = current_version(&self.db).await?.map(|v| v.hash);
        if loaded == current {
            return Ok(false);
        }
        let catalog = Arc::new(
            Catalog::load(&self.db)
                .await
                .context("reloading the catalog")?,
        );
        // The new index first, so the new catalog never answers with the old index for long.
        self.search
            .follow(catalog.clone())
            .await
            .context("indexing the new content for search")?;
        tracing::info!(
            version = catalog.version.as_ref().map(|v| v.short_hash()),
            "catalog reloaded"
        );
        self.catalog.store(catalog);
        Ok(true)
    }
}
