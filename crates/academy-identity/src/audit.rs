//! The audit log: who changed whose roles, who read whose personal data, and when. Entries hold
//! account ids only, never personal data, so they may outlive an erased account.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::{Page, entity::audit_entry};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    RoleGranted,
    RoleRevoked,
    /// An admin listed accounts (their profiles are personal data).
    AccountsListed,
    /// An admin read one other person's account.
    AccountRead,
    /// A person erased their own account.
    AccountErased,
    /// A reviewer listed the applications to a programme edition.
    ApplicationsListed,
    /// A reviewer read one application (its subject is the applicant).
    ApplicationRead,
    /// A trainer read an edition's cohort roster.
    RosterRead,
    /// Staff revoked a certificate (its subject is the holder; the detail is the certificate).
    CertificateRevoked,
    /// Unsuccessful applications were deleted at the end of their retention period.
    ApplicationsPurged,
}

impl Action {
    /// The stable name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::RoleGranted => "role_granted",
            Action::RoleRevoked => "role_revoked",
            Action::AccountsListed => "accounts_listed",
            Action::AccountRead => "account_read",
            Action::AccountErased => "account_erased",
            Action::ApplicationsListed => "applications_listed",
            Action::ApplicationRead => "application_read",
            Action::RosterRead => "roster_read",
            Action::CertificateRevoked => "certificate_revoked",
            Action::ApplicationsPurged => "applications_purged",
        }
    }
}

/// One audit log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: i32,
    pub at: DateTime<Utc>,
    /// Who acted (an account id), if anyone.
    pub actor_id: Option<i32>,
    pub action: String,
    /// Whose data or roles were concerned, if one person.
    pub subject_id: Option<i32>,
    /// E.g. the role granted.
    pub detail: Option<String>,
}

/// Appends an entry (inside the caller's transaction when given one).
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<i32>,
    action: Action,
    subject: Option<i32>,
    detail: Option<&str>,
) -> anyhow::Result<()> {
    audit_entry::ActiveModel {
        at: Set(Utc::now()),
        actor_id: Set(actor),
        action: Set(action.as_str().to_owned()),
        subject_id: Set(subject),
        detail: Set(detail.map(str::to_owned)),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("writing the audit log")?;
    Ok(())
}

/// One page of entries, newest first, older than the entry `before` when given.
pub async fn list(
    db: &impl ConnectionTrait,
    before: Option<i32>,
    limit: u64,
) -> anyhow::Result<Page<Entry>> {
    let mut query = audit_entry::Entity::find().order_by_desc(audit_entry::Column::Id);
    if let Some(before) = before {
        query = query.filter(audit_entry::Column::Id.lt(before));
    }
    let mut rows = query
        .limit(limit + 1)
        .all(db)
        .await
        .context("reading the audit log")?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let items: Vec<Entry> = rows.into_iter().map(entry).collect();
    let next = more.then(|| items.last().map(|e| e.id)).flatten();
    Ok(Page { items, next })
}

/// Every entry about or by account `id`, oldest first (for the data export).
pub async fn concerning(db: &impl ConnectionTrait, id: i32) -> anyhow::Result<Vec<Entry>> {
    let rows = audit_entry::Entity::find()
        .filter(
            Condition::any()
                .add(audit_entry::Column::ActorId.eq(id))
                .add(audit_entry::Column::SubjectId.eq(id)),
        )
        .order_by_asc(audit_entry::Column::Id)
        .all(db)
        .await
        .context("reading the audit log of an account")?;
    Ok(rows.into_iter().map(entry).collect())
}

fn entry(row: audit_entry::Model) -> Entry {
    Entry {
        id: row.id,
        at: row.at,
        actor_id: row.actor_id,
        action: row.action,
        subject_id: row.subject_id,
        detail: row.detail,
    }
}
