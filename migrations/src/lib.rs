//! Database migrations of the ISHR Academy. One file per migration; every migration runs on
//! SQLite and on PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_course_content;
mod m20261121_000002_identity;
mod m20261201_000003_enrollment;
mod m20261201_000004_progress;
mod m20261202_000005_quiz_attempt_limit;
mod m20261202_000006_certificates;
mod m20261202_000007_stats_indexes;
mod m20261202_000009_session_notify;
mod m20261203_000010_stats_changes;

/// All migrations, in the order they run.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_course_content::Migration),
            Box::new(m20261121_000002_identity::Migration),
            Box::new(m20261201_000003_enrollment::Migration),
            Box::new(m20261201_000004_progress::Migration),
            Box::new(m20261202_000005_quiz_attempt_limit::Migration),
            Box::new(m20261202_000006_certificates::Migration),
            Box::new(m20261202_000007_stats_indexes::Migration),
            Box::new(m20261202_000009_session_notify::Migration),
            Box::new(m20261203_000010_stats_changes::Migration),
        ]
    }
}

/// How long a SQLite writer waits for another one to finish before giving up.
pub const SQLITE_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Opens a connection pool to `url` (`sqlite://…` or `postgres://…`), with the settings the
/// Academy relies on. SQLite, on every connection of the pool: write-ahead log, so readers never
/// wait for the importer; a busy timeout, so writers wait for each other instead of failing;
/// `secure_delete`, so deleted and overwritten values are zeroed in the file;
/// `synchronous = NORMAL`, so a commit survives a crash of the process but the last ones may be
/// lost on a power loss (the log is synced at checkpoints).
pub async fn connect(
    url: &str,
    max_connections: u32,
) -> Result<sea_orm::DatabaseConnection, DbErr> {
    connect_with(url, max_connections, false).await
}

/// Like [`connect`], but on SQLite every commit returns only once the write-ahead log is on
/// disk (`synchronous = FULL`): what was committed survives a power loss too. For the progress
/// writers, whose group commit shares that sync among every event of a batch.
pub async fn connect_synced(
    url: &str,
    max_connections: u32,
) -> Result<sea_orm::DatabaseConnection, DbErr> {
    connect_with(url, max_connections, true).await
}

async fn connect_with(
    url: &str,
    max_connections: u32,
    synced: bool,
) -> Result<sea_orm::DatabaseConnection, DbErr> {
    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
    let synchronous = if synced {
        SqliteSynchronous::Full
    } else {
        SqliteSynchronous::Normal
    };
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        // A connection is pinged before use only after it sat idle: pinging on every use
        // doubled the round trips of a short query.
        .test_before_acquire_if_idle_for(std::time::Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .pragma("secure_delete", "ON")
        });
    sea_orm::Database::connect(options).await
}

/// On SQLite, copies the write-ahead log into the database file and empties it, so that values
/// just erased (and zeroed there by `secure_delete`) are not left readable in `-wal`. Call after
/// an erasure; a no-op on PostgreSQL. Readers still using older pages can keep part of the log
/// until the next checkpoint: the result says whether all of it was copied.
pub async fn checkpoint_erasure(db: &sea_orm::DatabaseConnection) -> Result<bool, DbErr> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        return Ok(true);
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ))
        .await?;
    // (busy, log frames, frames checkpointed); busy = 1 when it could not finish.
    let busy: i32 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(busy == 0)
}
