//! Settings: compiled-in defaults, then the TOML file named by `ACADEMY_CONFIG` (if any), then
//! `ACADEMY_*` environment variables. Every setting is documented in the README.

use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf};

use anyhow::Context;
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize, Serializer};

/// Every setting of the server and the CLI.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on (`ACADEMY_BIND`).
    pub bind: SocketAddr,
    /// Database URL, `sqlite://…` or `postgres://…` (`ACADEMY_DATABASE_URL`). Empty means the
    /// embedded SQLite file `<data_dir>/academy.db`.
    pub database_url: Option<String>,
    /// Directory for the SQLite file and other local state (`ACADEMY_DATA_DIR`).
    pub data_dir: PathBuf,
    /// The course content imported at first start and by `academy import` (`ACADEMY_CONTENT_DIR`).
    pub content_dir: PathBuf,
    /// Log filter, in `tracing` env-filter syntax (`ACADEMY_LOG`).
    pub log: String,
    /// How often a server checks the database for newly imported content, in seconds
    /// (`ACADEMY_CONTENT_POLL_SECONDS`); 0 turns polling off.
    pub content_poll_seconds: u64,
    /// Size of the database connection pool (`ACADEMY_DB_MAX_CONNECTIONS`).
    pub db_max_connections: u32,
    /// Progress writers on PostgreSQL, each with a connection of its own; events that arrive
    /// together share a commit (`ACADEMY_PROGRESS_WRITERS`). SQLite always has one.
    pub progress_writers: u32,
    /// The address browsers reach this site at, e.g. `https://academy.ishr.ch`
    /// (`ACADEMY_PUBLIC_URL`): the base of sign-in callback URLs and of redirects after sign-in.
    pub public_url: String,
    /// Identity providers people sign in with: `[providers.<key>]` tables in the file; a secret
    /// may instead come from `ACADEMY_PROVIDERS__<KEY>__CLIENT_SECRET`.
    pub providers: BTreeMap<String, ProviderConfig>,
    /// A session unused for this many minutes ends (`ACADEMY_SESSION_IDLE_MINUTES`).
    pub session_idle_minutes: u64,
    /// A session ends this many minutes after it started, used or not
    /// (`ACADEMY_SESSION_ABSOLUTE_MINUTES`). Also the lifetime of `academy tokens issue` tokens.
    pub session_absolute_minutes: u64,
    /// An authenticated session is kept in memory for at most this many seconds, so most
    /// requests do not read it again (`ACADEMY_SESSION_CACHE_SECONDS`; 0: always read). A
    /// session ended or a role changed through the API, or on PostgreSQL in any way, takes
    /// effect at once; on SQLite, a change made by another process (the CLI) within this time.
    pub session_cache_seconds: u64,
    /// Upper bound, in seconds, of every request to an identity provider
    /// (`ACADEMY_PROVIDER_TIMEOUT_SECONDS`).
    pub provider_timeout_seconds: u64,
    /// Sign-in requests (login and callback) allowed per client address per minute; 0 turns
    /// the limit off (`ACADEMY_SIGN_IN_PER_MINUTE`).
    pub sign_in_per_minute: u32,
    /// Take the client address from the last `X-Forwarded-For` entry, as appended by a reverse
    /// proxy in front of the Academy (`ACADEMY_TRUST_FORWARDED_FOR`). Leave off without a proxy:
    /// clients could forge the header.
    pub trust_forwarded_for: bool,
    /// The key that seals sensitive application answers at rest: 32 bytes in base64, e.g.
    /// from `academy keys generate` (`ACADEMY_DATA_KEY`; a secret). Unset on the embedded
    /// SQLite default, a key file `<data_dir>/data-key` is generated (back it up with the
    /// database); unset with PostgreSQL, the server refuses to start.
    #[serde(serialize_with = "redacted_option")]
    pub data_key: Option<SecretString>,
    /// Earlier data keys, comma-separated, still used to open what they sealed until
    /// `academy keys rotate` has re-sealed it (`ACADEMY_DATA_KEYS_RETIRED`; secrets).
    #[serde(serialize_with = "redacted_option")]
    pub data_keys_retired: Option<SecretString>,
    /// The Ed25519 key certificates are signed with, as multibase (`z3u2…`, from `academy keys
    /// signing`; `ACADEMY_SIGNING_KEY`; a secret), the same on every node. Unset on the embedded
    /// SQLite default, a key file `<data_dir>/signing-key` is generated; unset with PostgreSQL,
    /// the server refuses to start. Changing it is a rotation: earlier keys stay in the DID
    /// document, so certificates they signed stay verifiable.
    #[serde(serialize_with = "redacted_option")]
    pub signing_key: Option<SecretString>,
    /// The issuer's name in certificates (`ACADEMY_ISSUER_NAME`).
    pub issuer_name: String,
    /// The issuer's web site in certificates (`ACADEMY_ISSUER_URL`).
    pub issuer_url: String,
    /// The SMTP server notifications are sent through, e.g. `smtp://mail.example.org:587?tls=required`
    /// or `smtps://user:password@mail.example.org` (`ACADEMY_SMTP_URL`; a secret). Unset: no
    /// e-mail, in-app notifications only.
    #[serde(serialize_with = "redacted_option")]
    pub smtp_url: Option<SecretString>,
    /// The sender of notification e-mail, e.g. `ISHR Academy <academy@ishr.ch>`
    /// (`ACADEMY_MAIL_FROM`); required with `smtp_url`.
    pub mail_from: Option<String>,
    /// Days after an edition's selection is final when its unsuccessful applications are
    /// deleted (`ACADEMY_APPLICATION_RETENTION_DAYS`).
    pub application_retention_days: u32,
    /// How often each node runs the timed work (offer expiry, reminders, retention, e-mail
    /// delivery), in seconds (`ACADEMY_JOBS_INTERVAL_SECONDS`); 0 turns it off on this node.
    pub jobs_interval_seconds: u64,
    /// Connections one node keeps open at once; more wait until one closes
    /// (`ACADEMY_MAX_CONNECTIONS`). Lowered to fit the open-file limit, which is raised at start.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, and for HTTP/1.1 also how long a
    /// kept-alive connection may wait for its next request (`ACADEMY_HEADER_TIMEOUT_SECONDS`).
    pub header_timeout_seconds: u64,
    /// A connection with no request in progress and no traffic for this long is closed
    /// (`ACADEMY_IDLE_TIMEOUT_SECONDS`).
    pub idle_timeout_seconds: u64,
    /// Time any request body may take before it must keep up 1 KiB/s on average
    /// (`ACADEMY_BODY_TIMEOUT_SECONDS`).
    pub body_timeout_seconds: u64,
    /// The smallest number of people a published statistic may count: 1 to this minus one is
    /// shown as `"<N"` (`ACADEMY_STATS_MIN_CELL`; at least 3).
    pub stats_min_cell: u64,
    /// ISO 3166-1 alpha-2 codes of countries never shown on their own in statistics, whatever
    /// their count, comma-separated, e.g. `BY,ER` (`ACADEMY_STATS_HIDDEN_COUNTRIES`).
    pub stats_hidden_countries: String,
    /// Statistics are counted from an index in memory, loaded at start and brought up to date
    /// every this many seconds and before each report (`ACADEMY_STATS_REFRESH_SECONDS`; 0: no
    /// index, reports count from the tables, slower on a large population).
    pub stats_refresh_seconds: u64,
}

/// One OpenID Connect identity provider (`[providers.<key>]`; the key appears in URLs).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// The name on the sign-in button, e.g. "ISHR staff" or "Google".
    pub display_name: String,
    /// The issuer URL; `<issuer_url>/.well-known/openid-configuration` must serve its metadata.
    pub issuer_url: String,
    /// The client id registered at the provider, whose redirect URI must be
    /// `<public_url>/api/auth/callback/<key>`.
    pub client_id: String,
    /// The client secret registered at the provider (never logged or printed).
    #[serde(serialize_with = "redacted")]
    pub client_secret: SecretString,
}

fn redacted<S: Serializer>(_: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str("[redacted]")
}

fn redacted_option<S: Serializer>(
    value: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => serializer.serialize_str("[redacted]"),
        None => serializer.serialize_none(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            data_dir: PathBuf::from("./data"),
            content_dir: PathBuf::from("./courses"),
            log: "info".to_owned(),
            content_poll_seconds: 30,
            db_max_connections: 16,
            progress_writers: 2,
            public_url: "http://127.0.0.1:8080".to_owned(),
            providers: BTreeMap::new(),
            session_idle_minutes: 7 * 24 * 60,
            session_absolute_minutes: 30 * 24 * 60,
            session_cache_seconds: 5,
            provider_timeout_seconds: 10,
            sign_in_per_minute: 20,
            trust_forwarded_for: false,
            data_key: None,
            data_keys_retired: None,
            signing_key: None,
            issuer_name: "International Service for Human Rights (ISHR) Academy".to_owned(),
            issuer_url: "https://ishr.ch".to_owned(),
            smtp_url: None,
            mail_from: None,
            application_retention_days: 180,
            jobs_interval_seconds: 30,
            max_connections: 4096,
            header_timeout_seconds: 30,
            idle_timeout_seconds: 60,
            body_timeout_seconds: 10,
            stats_min_cell: academy_stats::disclosure::DEFAULT_THRESHOLD,
            stats_hidden_countries: String::new(),
            stats_refresh_seconds: 5,
        }
    }
}

/// The settings read from `ACADEMY_<NAME>` variables: every field of [`Config`] but the
/// provider tables (read as `ACADEMY_PROVIDERS__<KEY>__<FIELD>`). Derived from the struct, so a
/// new setting is read from the environment without another list to keep.
fn env_keys() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(fields)) => fields
            .keys()
            .filter(|k| k.as_str() != "providers")
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

impl Config {
    /// Loads the layered configuration from the process environment.
    pub fn load() -> anyhow::Result<Config> {
        let keys = env_keys();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Ok(file) = std::env::var("ACADEMY_CONFIG") {
            anyhow::ensure!(
                std::path::Path::new(&file).is_file(),
                "ACADEMY_CONFIG names {file}, which is not a file"
            );
            figment = figment.merge(Toml::file_exact(file));
        }
        figment
            .merge(Env::prefixed("ACADEMY_").only(&keys))
            .merge(
                Env::prefixed("ACADEMY_")
                    .filter(|key| key.starts_with("providers__"))
                    .split("__"),
            )
            .extract()
            .context("reading the configuration")
    }

    /// The database URL to use: the configured one, or the embedded SQLite file.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.clone(),
            _ => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("academy.db").display()
            ),
        }
    }

    /// How long sessions and API tokens live.
    pub fn session_policy(&self) -> academy_identity::SessionPolicy {
        academy_identity::SessionPolicy::from_minutes(
            self.session_idle_minutes,
            self.session_absolute_minutes,
        )
    }

    /// The data keys: the configured key, or on SQLite the key file in the data directory
    /// (created on first use); PostgreSQL without a configured key is refused.
    pub fn data_keys(&self) -> anyhow::Result<academy_enrollment::DataKeys> {
        use secrecy::ExposeSecret;
        let retired: Vec<String> = self
            .data_keys_retired
            .as_ref()
            .map(|keys| keys.expose_secret().split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        match &self.data_key {
            Some(key) => academy_enrollment::DataKeys::from_base64(key.expose_secret(), &retired)
                .context("ACADEMY_DATA_KEY"),
            None if self.uses_sqlite() => {
                anyhow::ensure!(
                    retired.is_empty(),
                    "ACADEMY_DATA_KEYS_RETIRED needs ACADEMY_DATA_KEY (the key that replaces them)"
                );
                academy_enrollment::DataKeys::from_file_or_new(&self.data_dir.join("data-key"))
            }
            None => anyhow::bail!(
                "ACADEMY_DATA_KEY is not set: with PostgreSQL, every node needs the same data key \
                 (create one with `academy keys generate`)"
            ),
        }
    }

    /// The certificate signing key: the configured key, or on SQLite the key file in the data
    /// directory (created on first use); PostgreSQL without a configured key is refused.
    pub fn signing_key(&self) -> anyhow::Result<academy_credentials::IssuerKey> {
        use secrecy::ExposeSecret;
        match &self.signing_key {
            Some(key) => academy_credentials::IssuerKey::from_multibase(key.expose_secret())
                .context("ACADEMY_SIGNING_KEY"),
            None if self.uses_sqlite() => {
                academy_credentials::IssuerKey::from_file_or_new(&self.data_dir.join("signing-key"))
            }
            None => anyhow::bail!(
                "ACADEMY_SIGNING_KEY is not set: with PostgreSQL, every node needs the same \
                 certificate signing key (create one with `academy keys signing`)"
            ),
        }
    }

    /// The disclosure policy of statistics: refused with a message naming the setting when the
    /// threshold is below 3 or a hidden country is not a two-letter code.
    pub fn stats_policy(&self) -> anyhow::Result<academy_stats::disclosure::Policy> {
        use academy_stats::disclosure::{Policy, PolicyError};
        Policy::new(self.stats_min_cell, self.stats_hidden_countries.split(',')).map_err(
            |e| match e {
                PolicyError::ThresholdTooLow(_) => anyhow::anyhow!("ACADEMY_STATS_MIN_CELL: {e}"),
                PolicyError::NotACountry(_) => {
                    anyhow::anyhow!("ACADEMY_STATS_HIDDEN_COUNTRIES: {e}")
                }
            },
        )
    }

    /// Whether the database is the embedded SQLite file (whose directory must exist).
    pub fn uses_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its large error type
    fn layers_apply_in_order_defaults_file_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("academy.toml", "log = \"debug\"\nbind = \"0.0.0.0:9000\"\n")?;
            jail.set_env("ACADEMY_CONFIG", "academy.toml");
            jail.set_env("ACADEMY_BIND", "127.0.0.1:9100");
            jail.set_env("ACADEMY_TEST_POSTGRES_URL", "ignored");
            let config = Config::load().map_err(|e| e.to_string())?;
            assert_eq!(config.log, "debug");
            assert_eq!(config.bind.port(), 9100);
            assert_eq!(config.content_dir, PathBuf::from("./courses"));
            assert!(
                config
                    .database_url()
                    .starts_with("sqlite://./data/academy.db")
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its large error type
    fn providers_come_from_the_file_and_secrets_also_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "academy.toml",
                "[providers.ishr]\ndisplay_name = \"ISHR\"\nissuer_url = \"https://id.example\"\n\
                 client_id = \"academy\"\nclient_secret = \"from-file\"\n",
            )?;
            jail.set_env("ACADEMY_CONFIG", "academy.toml");
            jail.set_env("ACADEMY_PROVIDERS__ISHR__CLIENT_SECRET", "from-env");
            let config = Config::load().map_err(|e| e.to_string())?;
            let ishr = &config.providers["ishr"];
            assert_eq!(ishr.client_id, "academy");
            use secrecy::ExposeSecret;
            assert_eq!(ishr.client_secret.expose_secret(), "from-env");
            assert!(!format!("{config:?}").contains("from-env"));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its large error type
    fn statistics_settings_are_checked() {
        figment::Jail::expect_with(|jail| {
            let policy = Config::load()
                .map_err(|e| e.to_string())?
                .stats_policy()
                .map_err(|e| e.to_string())?;
            assert_eq!(policy.threshold(), 5);
            jail.set_env("ACADEMY_STATS_MIN_CELL", "10");
            jail.set_env("ACADEMY_STATS_HIDDEN_COUNTRIES", "by, er");
            let policy = Config::load()
                .map_err(|e| e.to_string())?
                .stats_policy()
                .map_err(|e| e.to_string())?;
            assert_eq!(policy.threshold(), 10);
            assert!(policy.is_hidden("BY") && policy.is_hidden("ER"));
            jail.set_env("ACADEMY_STATS_MIN_CELL", "2");
            let low = Config::load().map_err(|e| e.to_string())?.stats_policy();
            assert!(low.is_err_and(|e| e.to_string().contains("ACADEMY_STATS_MIN_CELL")));
            jail.set_env("ACADEMY_STATS_MIN_CELL", "five");
            assert!(Config::load().is_err());
            jail.set_env("ACADEMY_STATS_MIN_CELL", "5");
            jail.set_env("ACADEMY_STATS_HIDDEN_COUNTRIES", "Belarus");
            let bad = Config::load().map_err(|e| e.to_string())?.stats_policy();
            assert!(bad.is_err_and(|e| e.to_string().contains("ACADEMY_STATS_HIDDEN_COUNTRIES")));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its large error type
    fn a_typo_in_the_file_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("academy.toml", "databse_url = \"x\"\n")?;
            jail.set_env("ACADEMY_CONFIG", "academy.toml");
            assert!(Config::load().is_err());
            Ok(())
        });
    }
}
