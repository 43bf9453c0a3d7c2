//! E-mail delivery from the outbox. Rows are claimed with a conditional update (a lease:
//! `claim` and `claimed_until`), so any number of nodes can deliver at once without sending a
//! message twice; a row is marked sent right after the SMTP server accepted it, and a failure
//! is retried with exponential backoff. The address is read (and decrypted) only at delivery,
//! from the application, and never written anywhere else or logged.

use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::{Duration, Utc};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use serde_json::Value;

use crate::{
    DataKeys,
    application::answers,
    entity::{application, outbox_message},
};

/// How long a claimed message is reserved for the node that claimed it.
const LEASE: Duration = Duration::minutes(5);
/// Messages claimed per round.
const BATCH: u64 = 20;
/// After this many failed attempts, a message is given up.
pub const MAX_ATTEMPTS: i32 = 12;

/// An SMTP connection and the sender address.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `url` (`smtp://host:port` for plain SMTP, `smtp://…?tls=required` for
    /// STARTTLS, `smtps://host` for implicit TLS, with `user:password@` when needed) sending
    /// from `from`.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Mailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("ACADEMY_SMTP_URL is not a valid smtp:// or smtps:// URL")?
            .timeout(Some(StdDuration::from_secs(20)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .context("ACADEMY_MAIL_FROM is not an e-mail address")?;
        Ok(Mailer { transport, from })
    }
}

/// What one delivery round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: u32,
    pub failed: u32,
    /// Messages whose address is gone (the answer was removed): dropped.
    pub dropped: u32,
}

fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 10)).unwrap_or(10);
    Duration::seconds(30 * 2_i64.pow(exponent)).min(Duration::hours(6))
}

/// The contact address of application `id`, if it still has one.
async fn address(
    db: &DatabaseConnection,
    keys: &DataKeys,
    id: i32,
) -> anyhow::Result<Option<Mailbox>> {
    let Some(row) = application::Entity::find_by_id(id)
        .one(db)
        .await
        .context("reading an application")?
    else {
        return Ok(None);
    };
    let edition = crate::programme::by_id(db, row.programme_id).await?;
    let Some(question) = edition.form.contact_question() else {
        return Ok(None);
    };
    let answers = answers(db, keys, &row).await?;
    Ok(match answers.get(&question.id) {
        Some(Value::String(address)) => address.parse::<Mailbox>().ok(),
        _ => None,
    })
}

/// Claims due messages and sends them. Safe to run on many nodes at once.
pub async fn deliver_due(
    db: &DatabaseConnection,
    keys: &DataKeys,
    mailer: &Mailer,
) -> anyhow::Result<Delivered> {
    let now = Utc::now();
    let claim = uuid::Uuid::new_v4().to_string();
    let free = || {
        Condition::all()
            .add(outbox_message::Column::SentAt.is_null())
            .add(outbox_message::Column::NextAttemptAt.lte(now))
            .add(outbox_message::Column::Attempts.lt(MAX_ATTEMPTS))
            .add(
                Condition::any()
                    .add(outbox_message::Column::ClaimedUntil.is_null())
                    .add(outbox_message::Column::ClaimedUntil.lt(now)),
            )
    };
    let due: Vec<i32> = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::Id)
        .filter(free())
        .order_by_asc(outbox_message::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await
        .context("reading the outbox")?;
    if due.is_empty() {
        return Ok(Delivered::default());
    }
    // The claim repeats the conditions: of two nodes racing for a row, one updates it.
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Claim, Expr::value(claim.as_str()))
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(now + LEASE),
        )
        .col_expr(
            outbox_message::Column::Attempts,
            Expr::col(outbox_message::Column::Attempts).add(1),
        )
        .filter(outbox_message::Column::Id.is_in(due))
        .filter(free())
        .exec(db)
        .await
        .context("claiming outbox messages")?;
    let claimed = outbox_message::Entity::find()
        .filter(outbox_message::Column::Claim.eq(claim.as_str()))
        .filter(outbox_message::Column::SentAt.is_null())
        .order_by_asc(outbox_message::Column::Id)
        .all(db)
        .await
        .context("reading claimed messages")?;

    let mut done = Delivered::default();
    for row in claimed {
        let Some(to) = address(db, keys, row.application_id).await? else {
            outbox_message::Entity::delete_by_id(row.id)
                .exec(db)
                .await
                .context("dropping a message without an address")?;
            done.dropped += 1;
            continue;
        };
        let message = Message::builder()
            .from(mailer.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(row.body.clone())
            .context("building an e-mail")?;
        match mailer.transport.send(message).await {
            Ok(_) => {
                outbox_message::Entity::update_many()
                    .col_expr(
                        outbox_message::Column::SentAt,
                        Expr::value(Some(Utc::now())),
                    )
                    .col_expr(
                        outbox_message::Column::LastError,
                        Expr::value(Option::<String>::None),
                    )
                    .filter(outbox_message::Column::Id.eq(row.id))
                    .filter(outbox_message::Column::Claim.eq(claim.as_str()))
                    .exec(db)
                    .await
                    .context("marking a message sent")?;
                done.sent += 1;
            }
            Err(e) => {
                // Only the kind of failure is kept: a server's reply may quote the address.
                let reason = if e.is_permanent() {
                    "permanent SMTP failure"
                } else if e.is_transient() {
                    "transient SMTP failure"
                } else if e.is_timeout() {
                    "SMTP timeout"
                } else {
                    "SMTP connection failure"
                };
                tracing::warn!(
                    message = row.id,
                    attempts = row.attempts + 1,
                    reason,
                    "e-mail not delivered"
                );
                outbox_message::Entity::update_many()
                    .col_expr(
                        outbox_message::Column::Claim,
                        Expr::value(Option::<String>::None),
                    )
                    .col_expr(
                        outbox_message::Column::ClaimedUntil,
                        Expr::value(Option::<chrono::DateTime<Utc>>::None),
                    )
                    .col_expr(
                        outbox_message::Column::NextAttemptAt,
                        Expr::value(Utc::now() + backoff(row.attempts + 1)),
                    )
                    .col_expr(outbox_message::Column::LastError, Expr::value(Some(reason)))
                    .filter(outbox_message::Column::Id.eq(row.id))
                    .filter(outbox_message::Column::Claim.eq(claim.as_str()))
                    .exec(db)
                    .await
                    .context("rescheduling a message")?;
                done.failed += 1;
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_up_to_six_hours() {
        assert_eq!(backoff(1), Duration::seconds(60));
        assert!(backoff(3) > backoff(2));
        assert_eq!(backoff(40), Duration::hours(6));
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(Mailer::new("http://example.org", "a@example.org").is_err());
        assert!(Mailer::new("smtp://127.0.0.1:2525", "not an address").is_err());
        assert!(Mailer::new("smtp://127.0.0.1:2525", "Academy <academy@example.org>").is_ok());
    }
}
