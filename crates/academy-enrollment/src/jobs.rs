//! Timed work, run by every node's own task ([`run_once`] on a timer): offers past their
//! deadline expire (and their places go to the waitlist), reminders go out before an offer
//! expires, unsuccessful applications are deleted when their retention period ends, and the
//! outbox is delivered. Each step claims its rows with a conditional update, so many nodes can
//! run it at once and nothing happens twice.

use academy_identity::audit;
use anyhow::Context;
use chrono::{Duration, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait, sea_query::Expr,
};

use crate::{
    Status, Workflow,
    application::{move_status, offer_places_in},
    entity::{application, application_secret, outbox_message, programme, review},
    mail::{Delivered, Mailer, deliver_due},
    notify::{self, Detail, Kind},
    programme::{by_id, lock},
};

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub expired: u32,
    pub reminded: u32,
    pub purged: u64,
    pub mail: Delivered,
}

/// One round of every timed step.
pub async fn run_once(
    db: &DatabaseConnection,
    workflow: &Workflow,
    mailer: Option<&Mailer>,
) -> anyhow::Result<Round> {
    let mut round = Round {
        expired: expire_offers(db, workflow).await?,
        reminded: send_reminders(db, workflow).await?,
        purged: purge_unsuccessful(db, workflow).await?,
        ..Round::default()
    };
    if let Some(mailer) = mailer {
        round.mail = deliver_due(db, &workflow.keys, mailer).await?;
    }
    Ok(round)
}

/// Expires the offers whose deadline has passed and offers their places on.
pub async fn expire_offers(db: &DatabaseConnection, workflow: &Workflow) -> anyhow::Result<u32> {
    let now = Utc::now();
    let due = application::Entity::find()
        .filter(application::Column::Status.eq(Status::Offered.as_str()))
        .filter(application::Column::OfferExpiresAt.lte(now))
        .order_by_asc(application::Column::Id)
        .limit(100)
        .all(db)
        .await
        .context("reading expired offers")?;
    let mut expired = 0;
    for row in due {
        let tx = db.begin().await.context("starting a transaction")?;
        lock(&tx, row.programme_id).await?;
        // Conditional: another node, or the applicant's reply, may have come first.
        let still_due = application::Entity::find_by_id(row.id)
            .filter(application::Column::Status.eq(Status::Offered.as_str()))
            .filter(application::Column::OfferExpiresAt.lte(now))
            .one(&tx)
            .await
            .context("reading an offer")?;
        if let Some(row) = still_due
            && move_status(&tx, &row, Status::Offered, Status::Expired, |_| {}).await?
        {
            let edition = by_id(&tx, row.programme_id).await?;
            notify::tell(
                &tx,
                workflow,
                &edition,
                &row,
                Kind::OfferExpired,
                Detail::default(),
            )
            .await?;
            offer_places_in(&tx, workflow, row.programme_id).await?;
            expired += 1;
        }
        tx.commit().await.context("committing an expiry")?;
    }
    Ok(expired)
}

/// Reminds, once, each person whose offer expires within the reminder period.
pub async fn send_reminders(db: &DatabaseConnection, workflow: &Workflow) -> anyhow::Result<u32> {
    let now = Utc::now();
    let due = application::Entity::find()
        .filter(application::Column::Status.eq(Status::Offered.as_str()))
        .filter(application::Column::RemindedAt.is_null())
        .filter(application::Column::OfferExpiresAt.lte(now + workflow.settings.reminder_before))
        .filter(application::Column::OfferExpiresAt.gt(now))
        .order_by_asc(application::Column::Id)
        .limit(100)
        .all(db)
        .await
        .context("reading offers to remind")?;
    let mut reminded = 0;
    for row in due {
        let tx = db.begin().await.context("starting a transaction")?;
        let claimed = application::Entity::update_many()
            .col_expr(application::Column::RemindedAt, Expr::value(Some(now)))
            .filter(application::Column::Id.eq(row.id))
            .filter(application::Column::Status.eq(Status::Offered.as_str()))
            .filter(application::Column::RemindedAt.is_null())
            .exec(&tx)
            .await
            .context("claiming a reminder")?
            .rows_affected;
        if claimed == 1 {
            let edition = by_id(&tx, row.programme_id).await?;
            let detail = Detail {
                deadline: row.offer_expires_at,
                ..Detail::default()
            };
            notify::tell(&tx, workflow, &edition, &row, Kind::OfferReminder, detail).await?;
            reminded += 1;
        }
        tx.commit().await.context("committing a reminder")?;
    }
    Ok(reminded)
}

/// Deletes the unsuccessful applications of editions whose selection has been final for the
/// retention period, with a line in the audit log per edition.
pub async fn purge_unsuccessful(
    db: &DatabaseConnection,
    workflow: &Workflow,
) -> anyhow::Result<u64> {
    let cutoff = Utc::now() - Duration::days(i64::from(workflow.settings.retention_days));
    let editions = programme::Entity::find()
        .filter(programme::Column::SelectionFinalAt.lte(cutoff))
        .all(db)
        .await
        .context("reading editions past retention")?;
    let kept = [Status::Participant.as_str(), Status::Offered.as_str()];
    let mut purged = 0;
    for edition in editions {
        let tx = db.begin().await.context("starting a transaction")?;
        lock(&tx, edition.id).await?;
        let doomed: Vec<i32> = application::Entity::find()
            .select_only()
            .column(application::Column::Id)
            .filter(application::Column::ProgrammeId.eq(edition.id))
            .filter(application::Column::Status.is_not_in(kept))
            .into_tuple()
            .all(&tx)
            .await
            .context("reading unsuccessful applications")?;
        if doomed.is_empty() {
            tx.commit().await.context("ending a purge")?;
            continue;
        }
        let count = doomed.len() as u64;
        delete_applications(&tx, doomed).await?;
        programme::Entity::update_many()
            .col_expr(programme::Column::Waitlisted, Expr::value(0))
            .filter(programme::Column::Id.eq(edition.id))
            .exec(&tx)
            .await
            .context("emptying a waitlist")?;
        audit::record(
            &tx,
            None,
            audit::Action::ApplicationsPurged,
            None,
            Some(&format!(
                "programme {}: {count} unsuccessful application(s) deleted after {} days",
                edition.slug, workflow.settings.retention_days
            )),
        )
        .await?;
        tx.commit().await.context("committing a purge")?;
        purged += count;
    }
    Ok(purged)
}

/// Deletes applications with everything that hangs on them.
pub(crate) async fn delete_applications(
    db: &impl sea_orm::ConnectionTrait,
    ids: Vec<i32>,
) -> anyhow::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    application_secret::Entity::delete_many()
        .filter(application_secret::Column::ApplicationId.is_in(ids.clone()))
        .exec(db)
        .await
        .context("deleting sealed answers")?;
    review::Entity::delete_many()
        .filter(review::Column::ApplicationId.is_in(ids.clone()))
        .exec(db)
        .await
        .context("deleting reviews")?;
    outbox_message::Entity::delete_many()
        .filter(outbox_message::Column::ApplicationId.is_in(ids.clone()))
        .exec(db)
        .await
        .context("deleting queued e-mail")?;
    application::Entity::delete_many()
        .filter(application::Column::Id.is_in(ids))
        .exec(db)
        .await
        .context("deleting applications")?;
    Ok(())
}
