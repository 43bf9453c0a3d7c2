//! Test support: a fresh, migrated database per test, on SQLite or on PostgreSQL.
//!
//! SQLite databases are files in a temporary directory. PostgreSQL databases are created on the
//! server named by `ACADEMY_TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432`) and
//! dropped when the [`TestDb`] is dropped. Use [`storage_test!`] to run one test body on both.

use std::sync::atomic::{AtomicU32, Ordering};

use academy_migrations::{Migrator, MigratorTrait};
use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// The environment variable that turns the PostgreSQL variant of every storage test on.
pub const POSTGRES_ENV: &str = "ACADEMY_TEST_POSTGRES_URL";

/// Which database engine a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A migrated database that belongs to one test and disappears with it.
pub struct TestDb {
    pub db: DatabaseConnection,
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { server: String, name: String },
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A new database on `backend`; `None` for PostgreSQL when it is not configured.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        let result = match backend {
            Backend::Sqlite => Self::sqlite().await.map(Some),
            Backend::Postgres => Self::postgres().await,
        };
        match result {
            Ok(db) => db,
            Err(e) => panic!("cannot create a {backend:?} test database: {e:#}"),
        }
    }

    async fn sqlite() -> anyhow::Result<TestDb> {
        let dir = tempfile::tempdir().context("creating a temporary directory")?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("academy.db").display()
        );
        let db = academy_migrations::connect(&url, 4).await?;
        Migrator::up(&db, None).await.context("migrating SQLite")?;
        Ok(TestDb {
            db,
            url,
            backend: Backend::Sqlite,
            cleanup: Cleanup::Sqlite(dir),
        })
    }

    async fn postgres() -> anyhow::Result<Option<TestDb>> {
        let Ok(server) = std::env::var(POSTGRES_ENV) else {
            anyhow::ensure!(
                std::env::var_os("CI").is_none(),
                "{POSTGRES_ENV} must be set in CI"
            );
            eprintln!("{POSTGRES_ENV} is not set: skipping the PostgreSQL variant of this test");
            return Ok(None);
        };
        let server = server.trim_end_matches('/').to_owned();
        let name = format!(
            "academy_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::new_v4().simple()
        );
        let admin = academy_migrations::connect(&format!("{server}/postgres"), 1).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| format!("creating database {name}"))?;
        admin.close().await?;
        let url = format!("{server}/{name}");
        let db = academy_migrations::connect(&url, 4).await?;
        Migrator::up(&db, None)
            .await
            .context("migrating PostgreSQL")?;
        Ok(Some(TestDb {
            db,
            url,
            backend: Backend::Postgres,
            cleanup: Cleanup::Postgres { server, name },
        }))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Cleanup::Postgres { server, name } = &self.cleanup else {
            return;
        };
        let (server, name) = (server.clone(), name.clone());
        // Drop runs inside the test's runtime: do the async clean-up on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = academy_migrations::connect(&format!("{server}/postgres"), 1)
                    .await
                    .ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("could not drop test database {}", self.url);
        }
    }
}

/// Defines a test module `$name` with one test per backend, `sqlite` and `postgres`, each
/// running `$body` (an async fn taking a [`TestDb`]) on a fresh database.
#[macro_export]
macro_rules! storage_test {
    ($(#[$meta:meta])* $name:ident, $body:expr) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::TestDb::new($crate::Backend::Sqlite).await.expect("SQLite is always available");
                ($body)(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::TestDb::new($crate::Backend::Postgres).await {
                    ($body)(db).await;
                }
            }
        }
    };
}

/// Copies a directory tree (a content fixture) so a test can change its copy.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
