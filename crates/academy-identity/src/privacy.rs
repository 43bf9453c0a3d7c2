//! The privacy rights over identity's tables: a copy of everything held about a person, and
//! erasure. Both run on the caller's connection or transaction, so the root can compose them
//! with the other crates' parts into one export and one erasure transaction.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::{
    Profile, Role,
    account::{self, AccountError},
    audit,
    entity::{session, user, user_identity, user_role},
    session::SessionInfo,
};

/// The tables of this crate that hold personal data, all covered by [`export`] and [`erase`].
pub const PERSONAL_TABLES: &[&str] = &[
    "users",
    "user_identities",
    "user_roles",
    "sessions",
    // Kept on erasure: entries hold account ids and role names only, never a profile value.
    "audit_log",
];

/// The tables of this crate that hold no personal data, with the reason.
pub const IMPERSONAL_TABLES: &[(&str, &str)] = &[(
    "sign_in_states",
    "a sign-in in progress: random state, nonce and PKCE verifier, the page to return to; no \
     account; used once and gone within ten minutes",
)];

/// Everything the identity tables hold about one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityExport {
    pub id: i32,
    pub profile: Profile,
    pub created_at: DateTime<Utc>,
    pub roles: Vec<RoleGrant>,
    pub sign_in_links: Vec<SignInLink>,
    /// Sessions, without their tokens (only a hash of each is stored, and it is not exported).
    pub sessions: Vec<SessionInfo>,
    /// Entries by or about the account, oldest first.
    pub audit_log: Vec<audit::Entry>,
}

/// A role granted to the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleGrant {
    pub role: Role,
    pub granted_at: DateTime<Utc>,
}

/// A link to an identity provider, as stored: a hash of the provider's identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInLink {
    pub provider: String,
    pub subject_hash: String,
    pub linked_at: DateTime<Utc>,
}

/// Everything the identity tables hold about account `id`.
pub async fn export(db: &impl ConnectionTrait, id: i32) -> Result<IdentityExport, AccountError> {
    let row = account::live_user(db, id).await?;
    let roles = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(id))
        .all(db)
        .await
        .context("exporting roles")?;
    let identities = user_identity::Entity::find()
        .filter(user_identity::Column::UserId.eq(id))
        .order_by_asc(user_identity::Column::Id)
        .all(db)
        .await
        .context("exporting identities")?;
    let sessions = session::Entity::find()
        .filter(session::Column::UserId.eq(id))
        .order_by_asc(session::Column::CreatedAt)
        .all(db)
        .await
        .context("exporting sessions")?;
    Ok(IdentityExport {
        id: row.id,
        profile: Profile::from_row(&row),
        created_at: row.created_at,
        roles: roles
            .into_iter()
            .filter_map(|r| {
                Some(RoleGrant {
                    role: r.role.parse().ok()?,
                    granted_at: r.granted_at,
                })
            })
            .collect(),
        sign_in_links: identities
            .into_iter()
            .map(|i| SignInLink {
                provider: i.provider,
                subject_hash: i.subject_hash,
                linked_at: i.created_at,
            })
            .collect(),
        sessions: sessions
            .into_iter()
            .map(|s| SessionInfo {
                id: s.id,
                kind: s.kind,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
            })
            .collect(),
        audit_log: audit::concerning(db, id).await?,
    })
}

/// Erases account `id` on `db` (the caller's transaction): every profile field emptied,
/// provider links, roles and sessions deleted, the erasure audited. The empty row (id,
/// creation and erasure times) stays so anonymous counts and other tables' references hold;
/// signing in again creates a new account. The caller commits.
pub async fn erase(db: &impl ConnectionTrait, id: i32) -> Result<(), AccountError> {
    // Write first: the transaction then holds the write lock before it reads (see
    // `account::grant_role`).
    crate::session::revoke_all(db, id).await?;
    let row = account::live_user(db, id).await?;
    user_identity::Entity::delete_many()
        .filter(user_identity::Column::UserId.eq(id))
        .exec(db)
        .await
        .context("erasing provider links")?;
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(id))
        .exec(db)
        .await
        .context("erasing roles")?;
    let mut active: user::ActiveModel = row.into();
    Profile::default().write_to(&mut active);
    active.erased_at = Set(Some(Utc::now()));
    active.update(db).await.context("erasing the profile")?;
    audit::record(db, Some(id), audit::Action::AccountErased, Some(id), None).await?;
    Ok(())
}
