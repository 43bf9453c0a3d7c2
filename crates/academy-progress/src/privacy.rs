//! The privacy rights over the progress tables.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::{course_progress, lesson_progress, progress_event, quiz_attempt, quiz_result};

/// The tables of this crate that hold personal data, all covered by [`export`] and [`erase`].
pub const PERSONAL_TABLES: &[&str] = &[
    "progress_events",
    "lesson_progress",
    "quiz_results",
    "quiz_attempts",
    "course_progress",
    "certificates",
];

/// The tables of this crate without personal data, and why.
pub const IMPERSONAL_TABLES: &[(&str, &str)] = &[
    (
        "certificate_statuses",
        "one revocation bit per certificate ever awarded, with no person or certificate id",
    ),
    (
        "issuer_keys",
        "the public keys certificates were signed with",
    ),
];

/// One recorded event, as exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedEvent {
    pub event_id: String,
    pub course_id: i32,
    pub item: String,
    pub verb: String,
    pub score: Option<i32>,
    pub occurred_at: DateTime<Utc>,
}

/// Everything the progress tables hold about a person: the event log is the whole story (the
/// other tables are what it left).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgressExport {
    pub events: Vec<ExportedEvent>,
    /// Quiz attempts with the answers given, as JSON.
    pub attempts: Vec<(i32, String, i32, String, DateTime<Utc>)>,
}

pub async fn export(db: &impl ConnectionTrait, user: i32) -> anyhow::Result<ProgressExport> {
    let events = progress_event::Entity::find()
        .filter(progress_event::Column::UserId.eq(user))
        .order_by_asc(progress_event::Column::Id)
        .all(db)
        .await
        .context("exporting progress")?
        .into_iter()
        .map(|e| ExportedEvent {
            event_id: e.event_id,
            course_id: e.course_id,
            item: format!("{}/{}", e.item_kind, e.item_slug),
            verb: e.verb,
            score: e.score,
            occurred_at: e.occurred_at,
        })
        .collect();
    let attempts = quiz_attempt::Entity::find()
        .filter(quiz_attempt::Column::UserId.eq(user))
        .order_by_asc(quiz_attempt::Column::Id)
        .all(db)
        .await
        .context("exporting attempts")?
        .into_iter()
        .map(|a| (a.course_id, a.quiz_slug, a.score, a.answers, a.attempted_at))
        .collect();
    Ok(ProgressExport { events, attempts })
}

/// Erases the person's progress and certificates; the certificates are revoked first (their
/// status bits stay set), so a copy kept elsewhere reads as revoked.
pub async fn erase(db: &impl ConnectionTrait, user: i32) -> anyhow::Result<()> {
    crate::certificate::erase(db, user).await?;
    progress_event::Entity::delete_many()
        .filter(progress_event::Column::UserId.eq(user))
        .exec(db)
        .await
        .context("erasing progress events")?;
    lesson_progress::Entity::delete_many()
        .filter(lesson_progress::Column::UserId.eq(user))
        .exec(db)
        .await
        .context("erasing lesson progress")?;
    quiz_result::Entity::delete_many()
        .filter(quiz_result::Column::UserId.eq(user))
        .exec(db)
        .await
        .context("erasing quiz results")?;
    quiz_attempt::Entity::delete_many()
        .filter(quiz_attempt::Column::UserId.eq(user))
        .exec(db)
        .await
        .context("erasing quiz attempts")?;
    course_progress::Entity::delete_many()
        .filter(course_progress::Column::UserId.eq(user))
        .exec(db)
        .await
        .context("erasing course progress")?;
    Ok(())
}
