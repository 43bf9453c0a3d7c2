//! The privacy rights across every area: one export of everything held about a person, and one
//! erasure, each in a single transaction. Each domain crate exports and erases its own tables
//! (`export(&impl ConnectionTrait, user)`, `erase(…)`) and names them in its `PERSONAL_TABLES`
//! or `IMPERSONAL_TABLES`; this module composes them, so a new area joins by adding its line
//! here, and a test fails while any table is in neither list.

use academy_identity::{AccountError, privacy::IdentityExport};
use anyhow::Context;
use sea_orm::{DatabaseConnection, TransactionTrait};

/// Everything the Academy holds about one person, by area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataExport {
    pub identity: IdentityExport,
}

/// Everything held about account `user`, read in one transaction (a consistent copy).
pub async fn export(db: &DatabaseConnection, user: i32) -> Result<DataExport, AccountError> {
    let tx = db.begin().await.context("starting an export")?;
    let identity = academy_identity::privacy::export(&tx, user).await?;
    tx.commit().await.context("finishing an export")?;
    Ok(DataExport { identity })
}

/// Erases account `user` from every area in one transaction: all of it, or nothing.
pub async fn erase(db: &DatabaseConnection, user: i32) -> Result<(), AccountError> {
    let tx = db.begin().await.context("starting an erasure")?;
    academy_identity::privacy::erase(&tx, user).await?;
    tx.commit().await.context("committing an erasure")?;
    Ok(())
}

/// Every table that holds personal data, covered by [`export`] and [`erase`].
pub fn personal_tables() -> Vec<&'static str> {
    academy_identity::privacy::PERSONAL_TABLES.to_vec()
}

/// Every table that holds no personal data, with the reason.
pub fn impersonal_tables() -> Vec<(&'static str, &'static str)> {
    [
        academy_identity::privacy::IMPERSONAL_TABLES,
        academy_courses::IMPERSONAL_TABLES,
        &[("seaql_migrations", "which migrations ran")],
    ]
    .concat()
}
