//! The privacy rights over the statistics' own table: the change feed of the live index
//! (`stats_changes`), which names an account and when something counted about it changed.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::sql;

/// The tables of this crate that hold personal data, all covered by [`export`] and [`erase`].
pub const PERSONAL_TABLES: &[&str] = &["stats_changes"];

/// When something the statistics count about account `user` changed, as still held in the feed
/// (at most an hour back), oldest first.
pub async fn export(db: &impl ConnectionTrait, user: i32) -> anyhow::Result<Vec<DateTime<Utc>>> {
    let mut out = Vec::new();
    for row in sql::rows(
        db,
        "SELECT changed_at FROM stats_changes WHERE user_id = ? ORDER BY id",
        vec![user.into()],
        "the statistics change feed",
    )
    .await?
    {
        let at: i64 = row.try_get_by_index(0)?;
        out.extend(DateTime::from_timestamp(at, 0));
    }
    Ok(out)
}

/// Erases account `user` from the feed, in the erasure's transaction, after the other areas:
/// what the feed said of the person is deleted, and one row is left in its place, so that every
/// server drops the person from its index (it is pruned within the hour like any other). That
/// row says only that the account changed now, which the account's own erased row says too.
pub async fn erase(db: &impl ConnectionTrait, user: i32) -> anyhow::Result<()> {
    sql::execute(
        db,
        "DELETE FROM stats_changes WHERE user_id = ?",
        vec![user.into()],
        "erasing the statistics change feed",
    )
    .await?;
    sql::execute(
        db,
        "INSERT INTO stats_changes (user_id, changed_at) VALUES (?, ?)",
        vec![user.into(), Utc::now().timestamp().into()],
        "telling the statistics of the erasure",
    )
    .await
}
