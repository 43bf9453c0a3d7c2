//! Database migrations of the ISHR Academy. One file per migration; every migration runs on
//! SQLite and on PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_course_content;
mod m20261121_000002_identity;
mod m20261201_000003_enrollment;

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
        ]
    }
}

/// Opens a connection pool to `url` (`sqlite://…` or `postgres://…`), with the settings the
/// Academy relies on (SQLite: write-ahead log, so readers never wait for the importer).
pub async fn connect(
    url: &str,
    max_connections: u32,
) -> Result<sea_orm::DatabaseConnection, DbErr> {
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .sqlx_logging(false);
    let db = sea_orm::Database::connect(options).await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
        db.execute_unprepared("PRAGMA synchronous = NORMAL").await?;
    }
    Ok(db)
}
