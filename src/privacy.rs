//! The privacy rights across every area: one export of everything held about a person, and one
//! erasure, each in a single transaction. Each domain crate exports and erases its own tables
//! (`export(&impl ConnectionTrait, user)`, `erase(…)`) and names them in its `PERSONAL_TABLES`
//! or `IMPERSONAL_TABLES`; this module composes them, so a new area joins by adding its line
//! here, and a test fails while any table is in neither list.

use academy_enrollment::{Workflow, privacy::EnrollmentExport};
use academy_identity::{AccountError, privacy::IdentityExport};
use academy_progress::privacy::ProgressExport;
use anyhow::Context;
use sea_orm::{DatabaseConnection, TransactionTrait};

/// Everything the Academy holds about one person, by area.
#[derive(Clone, Debug, PartialEq)]
pub struct DataExport {
    pub identity: IdentityExport,
    pub enrollment: EnrollmentExport,
    pub progress: ProgressExport,
    /// Certificates, with their signed credentials.
    pub certificates: Vec<academy_progress::certificate::Held>,
    /// When something the statistics count about the person changed, as their change feed
    /// still holds it (at most an hour back).
    pub statistics_changes: Vec<chrono::DateTime<chrono::Utc>>,
}

/// Everything held about account `user`, read in one transaction (a consistent copy).
pub async fn export(
    db: &DatabaseConnection,
    workflow: &Workflow,
    user: i32,
) -> Result<DataExport, AccountError> {
    let tx = db.begin().await.context("starting an export")?;
    let identity = academy_identity::privacy::export(&tx, user).await?;
    let enrollment = academy_enrollment::privacy::export(&tx, workflow, user).await?;
    let progress = academy_progress::privacy::export(&tx, user).await?;
    let certificates = academy_progress::certificate::export(&tx, &workflow.keys, user).await?;
    let statistics_changes = academy_stats::privacy::export(&tx, user).await?;
    tx.commit().await.context("finishing an export")?;
    Ok(DataExport {
        identity,
        enrollment,
        progress,
        certificates,
        statistics_changes,
    })
}

/// Erases account `user` from every area in one transaction: all of it, or nothing. A place
/// the person held in a cohort is freed and offered on in the same transaction.
pub async fn erase(
    db: &DatabaseConnection,
    workflow: &Workflow,
    user: i32,
) -> Result<(), AccountError> {
    let tx = db.begin().await.context("starting an erasure")?;
    academy_identity::privacy::erase(&tx, user).await?;
    academy_enrollment::privacy::erase(&tx, workflow, user).await?;
    academy_progress::privacy::erase(&tx, user).await?;
    // Last: it leaves the one row that tells every server's statistics to drop the person.
    academy_stats::privacy::erase(&tx, user).await?;
    tx.commit().await.context("committing an erasure")?;
    Ok(())
}

/// Every table that holds personal data, covered by [`export`] and [`erase`].
pub fn personal_tables() -> Vec<&'static str> {
    [
        academy_identity::privacy::PERSONAL_TABLES,
        academy_enrollment::privacy::PERSONAL_TABLES,
        academy_progress::privacy::PERSONAL_TABLES,
        academy_stats::privacy::PERSONAL_TABLES,
    ]
    .concat()
}

/// Every table that holds no personal data, with the reason.
pub fn impersonal_tables() -> Vec<(&'static str, &'static str)> {
    [
        academy_identity::privacy::IMPERSONAL_TABLES,
        academy_courses::IMPERSONAL_TABLES,
        academy_enrollment::privacy::IMPERSONAL_TABLES,
        academy_progress::privacy::IMPERSONAL_TABLES,
        &[("seaql_migrations", "which migrations ran")],
    ]
    .concat()
}
