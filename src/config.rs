//! Settings: compiled-in defaults, then the TOML file named by `ACADEMY_CONFIG` (if any), then
//! `ACADEMY_*` environment variables. Every setting is documented in the README.

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

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
        }
    }
}

/// The environment variables read, without their `ACADEMY_` prefix.
const ENV_KEYS: &[&str] = &[
    "bind",
    "database_url",
    "data_dir",
    "content_dir",
    "log",
    "content_poll_seconds",
    "db_max_connections",
];

impl Config {
    /// Loads the layered configuration from the process environment.
    pub fn load() -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Ok(file) = std::env::var("ACADEMY_CONFIG") {
            anyhow::ensure!(
                std::path::Path::new(&file).is_file(),
                "ACADEMY_CONFIG names {file}, which is not a file"
            );
            figment = figment.merge(Toml::file_exact(file));
        }
        figment
            .merge(Env::prefixed("ACADEMY_").only(ENV_KEYS))
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

    /// Whether the database is the embedded SQLite file (whose directory must exist).
    pub fn uses_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
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
    fn a_typo_in_the_file_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("academy.toml", "databse_url = \"x\"\n")?;
            jail.set_env("ACADEMY_CONFIG", "academy.toml");
            assert!(Config::load().is_err());
            Ok(())
        });
    }
}
