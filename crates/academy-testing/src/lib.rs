//! Test support: a fresh, migrated database per test, on SQLite or on PostgreSQL, copied from a
//! template so that no test waits for the migrations.
//!
//! SQLite databases are files in a temporary directory, copied from a migrated template file.
//! PostgreSQL databases are created on the server named by `ACADEMY_TEST_POSTGRES_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432`) with `CREATE DATABASE … TEMPLATE`, and dropped when
//! the [`TestDb`] is dropped. Templates are named after a hash of the migrations (and of the
//! fixture filled into them, see [`TestDb::filled`]); they are built once, under a PostgreSQL
//! advisory lock or an atomic rename, so parallel test processes share them. Use
//! [`storage_test!`] to run one test body on both engines.

use std::{
    future::Future,
    hash::{DefaultHasher, Hash, Hasher},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU32, Ordering},
};

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

/// A key for the current migrations: their names, hashed.
fn migrations_key() -> String {
    let mut hasher = DefaultHasher::new();
    for migration in Migrator::migrations() {
        migration.name().hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

/// Where SQLite templates are kept, shared by the test processes of this machine.
fn template_dir() -> PathBuf {
    std::env::temp_dir().join("academy-test-templates")
}

/// A process-unique suffix for temporary names.
fn unique() -> String {
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        uuid::Uuid::new_v4().simple()
    )
}

impl TestDb {
    /// A new migrated database on `backend`; `None` for PostgreSQL when it is not configured.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        Self::filled(backend, "", |_| async { Ok(()) }).await
    }

    /// A new migrated database on `backend` that also holds what `fill` writes, built once per
    /// `key` (name the fixture and its version in it, e.g. a content hash) and copied for each
    /// test. `None` for PostgreSQL when it is not configured.
    pub async fn filled<F, Fut>(backend: Backend, key: &str, fill: F) -> Option<TestDb>
    where
        F: FnOnce(DatabaseConnection) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let result = match backend {
            Backend::Sqlite => Self::sqlite(key, fill).await.map(Some),
            Backend::Postgres => Self::postgres(key, fill).await,
        };
        match result {
            Ok(db) => db,
            Err(e) => panic!("cannot create a {backend:?} test database: {e:#}"),
        }
    }

    async fn sqlite<F, Fut>(key: &str, fill: F) -> anyhow::Result<TestDb>
    where
        F: FnOnce(DatabaseConnection) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let template = sqlite_template(key, fill).await?;
        let dir = tempfile::tempdir().context("creating a temporary directory")?;
        let file = dir.path().join("academy.db");
        std::fs::copy(&template, &file).context("copying the SQLite template")?;
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let db = academy_migrations::connect(&url, 4).await?;
        Ok(TestDb {
            db,
            url,
            backend: Backend::Sqlite,
            cleanup: Cleanup::Sqlite(dir),
        })
    }

    async fn postgres<F, Fut>(key: &str, fill: F) -> anyhow::Result<Option<TestDb>>
    where
        F: FnOnce(DatabaseConnection) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let Ok(server) = std::env::var(POSTGRES_ENV) else {
            anyhow::ensure!(
                std::env::var_os("CI").is_none(),
                "{POSTGRES_ENV} must be set in CI"
            );
            eprintln!("{POSTGRES_ENV} is not set: skipping the PostgreSQL variant of this test");
            return Ok(None);
        };
        let server = server.trim_end_matches('/').to_owned();
        let template = postgres_template(&server, key, fill).await?;
        let name = format!("academy_test_{}", unique());
        let admin = academy_migrations::connect(&format!("{server}/postgres"), 1).await?;
        admin
            .execute_unprepared(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .await
            .with_context(|| format!("creating database {name} from {template}"))?;
        admin.close().await?;
        let url = format!("{server}/{name}");
        let db = academy_migrations::connect(&url, 4).await?;
        Ok(Some(TestDb {
            db,
            url,
            backend: Backend::Postgres,
            cleanup: Cleanup::Postgres { server, name },
        }))
    }
}

/// The SQLite template file for `key`, built (migrated, filled, compacted into one file, then
/// renamed into place) if no process built it before.
async fn sqlite_template<F, Fut>(key: &str, fill: F) -> anyhow::Result<PathBuf>
where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let dir = template_dir();
    let path = dir.join(format!("sqlite-{}{}.db", migrations_key(), key_suffix(key)));
    if path.is_file() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).context("creating the template directory")?;
    let building = tempfile::tempdir_in(&dir).context("creating a build directory")?;
    let work = building.path().join("work.db");
    let db =
        academy_migrations::connect(&format!("sqlite://{}?mode=rwc", work.display()), 1).await?;
    Migrator::up(&db, None).await.context("migrating SQLite")?;
    fill(db.clone()).await.context("filling the template")?;
    let compact = building.path().join("template.db");
    db.execute_unprepared(&format!("VACUUM INTO '{}'", compact.display()))
        .await
        .context("writing the SQLite template")?;
    db.close().await?;
    // Another process may have finished first: either file is the same template.
    if let Err(e) = std::fs::rename(&compact, &path)
        && !path.is_file()
    {
        return Err(e).context("installing the SQLite template");
    }
    Ok(path)
}

fn key_suffix(key: &str) -> String {
    if key.is_empty() {
        return String::new();
    }
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    format!("_{:016x}", hasher.finish())
}

/// The PostgreSQL template database for `key`, built under an advisory lock (so concurrent test
/// processes build it once) from a copy of the migrated template, then renamed into place.
async fn postgres_template<F, Fut>(server: &str, key: &str, fill: F) -> anyhow::Result<String>
where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let migrated = format!("academy_template_{}", migrations_key());
    let name = format!("{migrated}{}", key_suffix(key));
    // One connection, so the session-level advisory lock and its release share it.
    let admin = academy_migrations::connect(&format!("{server}/postgres"), 1).await?;
    if database_exists(&admin, &name).await? {
        admin.close().await?;
        return Ok(name);
    }
    admin
        .execute_unprepared("SELECT pg_advisory_lock(727274)")
        .await
        .context("waiting for the template lock")?;
    let built = build_postgres_templates(&admin, server, &migrated, &name, fill).await;
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(727274)")
        .await
        .context("releasing the template lock")?;
    admin.close().await?;
    built.with_context(|| format!("building the template database {name}"))?;
    Ok(name)
}

/// Whether database `name` exists on the server `admin` is connected to.
async fn database_exists(admin: &DatabaseConnection, name: &str) -> anyhow::Result<bool> {
    let found = admin
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await
        .context("looking for a template database")?;
    Ok(found.is_some())
}

/// Builds the migrated template and then the filled one, each unless it exists (the caller
/// holds the advisory lock). Each is built under a temporary name and renamed when complete.
async fn build_postgres_templates<F, Fut>(
    admin: &DatabaseConnection,
    server: &str,
    migrated: &str,
    filled: &str,
    fill: F,
) -> anyhow::Result<()>
where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    // Left by a test process that died while building (nobody else builds: we hold the lock).
    let leftovers = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'academy\\_building\\_%'",
        ))
        .await?;
    for row in leftovers {
        let name: String = row.try_get("", "datname")?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
    }
    if !database_exists(admin, migrated).await? {
        let building = format!("academy_building_{}", unique());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{building}\""))
            .await?;
        let db = academy_migrations::connect(&format!("{server}/{building}"), 1).await?;
        Migrator::up(&db, None)
            .await
            .context("migrating PostgreSQL")?;
        db.close().await?;
        admin
            .execute_unprepared(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{migrated}\""
            ))
            .await?;
    }
    if filled != migrated && !database_exists(admin, filled).await? {
        let building = format!("academy_building_{}", unique());
        admin
            .execute_unprepared(&format!(
                "CREATE DATABASE \"{building}\" TEMPLATE \"{migrated}\""
            ))
            .await?;
        let db = academy_migrations::connect(&format!("{server}/{building}"), 1).await?;
        fill(db.clone()).await.context("filling the template")?;
        db.close().await?;
        admin
            .execute_unprepared(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{filled}\""
            ))
            .await?;
    }
    Ok(())
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
/// running `$body` (an async fn taking a [`TestDb`]) on a fresh database: a migrated one, or
/// the one `$make(backend)` returns (`storage_test!(name, with make, body)`; `None` skips).
#[macro_export]
macro_rules! storage_test {
    ($(#[$meta:meta])* $name:ident, with $make:path, $body:expr) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $make($crate::Backend::Sqlite).await.expect("SQLite is always available");
                ($body)(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $make($crate::Backend::Postgres).await {
                    ($body)(db).await;
                }
            }
        }
    };
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

/// A key for the files under `dirs`: every file's path and bytes, hashed, plus `salt` (e.g. a
/// schema version). Cheap next to loading the content, and changes whenever a file does.
pub fn tree_key(dirs: &[&Path], salt: &str) -> String {
    fn walk(dir: &Path, root: &Path, hasher: &mut DefaultHasher) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, hasher);
            } else if let Ok(bytes) = std::fs::read(&path) {
                path.strip_prefix(root).unwrap_or(&path).hash(hasher);
                bytes.hash(hasher);
            }
        }
    }
    let mut hasher = DefaultHasher::new();
    salt.hash(&mut hasher);
    for dir in dirs {
        walk(dir, dir, &mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

/// A folder shared by this machine's test processes for things built once (templates, indexes).
pub fn cache_dir(name: &str) -> PathBuf {
    template_dir().join(name)
}

/// Copies a directory tree (a content fixture, a prebuilt index) so a test can change its copy.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
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
