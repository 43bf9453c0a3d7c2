//! The privacy rights over the enrolment tables: a copy of everything held about a person
//! (sensitive answers decrypted), and erasure, which frees a place or offer they held and
//! offers it on. Both run in the caller's transaction.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    Status, Workflow,
    application::{Application, move_status, offer_places_in, status_of, view},
    enrolment::{self, Enrolment},
    entity::{application, notification, outbox_message, programme, programme_trainer, review},
    jobs::delete_applications,
    programme::lock,
};

/// The tables of this crate that hold personal data, all covered by [`export`] and [`erase`].
pub const PERSONAL_TABLES: &[&str] = &[
    "enrolments",
    "applications",
    "application_secrets",
    "reviews",
    "notifications",
    "outbox",
    "programme_trainers",
];

/// The tables of this crate that hold no personal data, with the reason.
pub const IMPERSONAL_TABLES: &[(&str, &str)] = &[
    (
        "programmes",
        "programme editions: texts, window, places, form and counters; no person",
    ),
    (
        "programme_courses",
        "which courses make up an edition's distance course",
    ),
];

/// A review the person wrote as a trainer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenReview {
    pub application_id: i32,
    pub scores: String,
    pub comment: Option<String>,
    pub conflict: bool,
    pub updated_at: DateTime<Utc>,
}

/// A notification sent to the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentNotification {
    pub kind: String,
    pub programme_id: Option<i32>,
    pub detail: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Everything the enrolment tables hold about one person.
#[derive(Clone, Debug, PartialEq)]
pub struct EnrollmentExport {
    pub enrolments: Vec<Enrolment>,
    /// With every answer, sensitive ones decrypted, and the decisions taken.
    pub applications: Vec<Application>,
    pub reviews_written: Vec<WrittenReview>,
    pub notifications: Vec<SentNotification>,
    /// E-mails queued or sent to them (subject only), with when they were sent.
    pub emails: Vec<(String, Option<DateTime<Utc>>)>,
    /// Editions they are assigned to as a trainer (ids).
    pub trainer_of: Vec<i32>,
}

/// Everything the enrolment tables hold about account `user`.
pub async fn export(
    db: &impl ConnectionTrait,
    workflow: &Workflow,
    user: i32,
) -> anyhow::Result<EnrollmentExport> {
    let enrolments = enrolment::mine(db, user).await?;
    let mut applications = Vec::new();
    for row in application::Entity::find()
        .filter(application::Column::UserId.eq(user))
        .order_by_asc(application::Column::Id)
        .all(db)
        .await
        .context("exporting applications")?
    {
        let slug = programme::Entity::find_by_id(row.programme_id)
            .one(db)
            .await
            .context("exporting applications")?
            .map(|p| p.slug)
            .unwrap_or_default();
        applications.push(view(db, &workflow.keys, &slug, row).await?);
    }
    let reviews_written = review::Entity::find()
        .filter(review::Column::ReviewerId.eq(user))
        .all(db)
        .await
        .context("exporting reviews")?
        .into_iter()
        .map(|r| WrittenReview {
            application_id: r.application_id,
            scores: r.scores,
            comment: r.comment,
            conflict: r.conflict,
            updated_at: r.updated_at,
        })
        .collect();
    let notifications = notification::Entity::find()
        .filter(notification::Column::UserId.eq(user))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await
        .context("exporting notifications")?
        .into_iter()
        .map(|n| SentNotification {
            kind: n.kind,
            programme_id: n.programme_id,
            detail: n.detail,
            created_at: n.created_at,
            read_at: n.read_at,
        })
        .collect();
    let emails = outbox_message::Entity::find()
        .filter(outbox_message::Column::UserId.eq(user))
        .order_by_asc(outbox_message::Column::Id)
        .all(db)
        .await
        .context("exporting e-mail")?
        .into_iter()
        .map(|m| (m.subject, m.sent_at))
        .collect();
    let trainer_of = programme_trainer::Entity::find()
        .filter(programme_trainer::Column::UserId.eq(user))
        .all(db)
        .await
        .context("exporting assignments")?
        .into_iter()
        .map(|t| t.programme_id)
        .collect();
    Ok(EnrollmentExport {
        enrolments,
        applications,
        reviews_written,
        notifications,
        emails,
        trainer_of,
    })
}

/// Erases account `user` from the enrolment tables. A place or offer they held is freed and
/// offered to the waitlist, in the same transaction.
pub async fn erase(
    db: &impl ConnectionTrait,
    workflow: &Workflow,
    user: i32,
) -> anyhow::Result<()> {
    let rows = application::Entity::find()
        .filter(application::Column::UserId.eq(user))
        .order_by_asc(application::Column::Id)
        .all(db)
        .await
        .context("reading applications to erase")?;
    let mut freed = Vec::new();
    for row in &rows {
        let status = status_of(row)?;
        if matches!(
            status,
            Status::Participant | Status::Offered | Status::Waitlisted
        ) {
            lock(db, row.programme_id).await?;
            move_status(db, row, status, Status::Withdrawn, |_| {}).await?;
            if status != Status::Waitlisted {
                freed.push(row.programme_id);
            }
        }
    }
    delete_applications(db, rows.iter().map(|r| r.id).collect()).await?;
    for programme_id in freed {
        offer_places_in(db, workflow, programme_id).await?;
    }
    review::Entity::delete_many()
        .filter(review::Column::ReviewerId.eq(user))
        .exec(db)
        .await
        .context("erasing reviews")?;
    notification::Entity::delete_many()
        .filter(notification::Column::UserId.eq(user))
        .exec(db)
        .await
        .context("erasing notifications")?;
    outbox_message::Entity::delete_many()
        .filter(outbox_message::Column::UserId.eq(user))
        .exec(db)
        .await
        .context("erasing queued e-mail")?;
    crate::entity::enrolment::Entity::delete_many()
        .filter(crate::entity::enrolment::Column::UserId.eq(user))
        .exec(db)
        .await
        .context("erasing enrolments")?;
    programme_trainer::Entity::delete_many()
        .filter(programme_trainer::Column::UserId.eq(user))
        .exec(db)
        .await
        .context("erasing assignments")?;
    Ok(())
}
