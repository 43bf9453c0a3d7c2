//! Accounts: creating them, reading them, editing one's profile, listing them for admins and
//! granting or revoking roles (every change audited).

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait, sea_query::OnConflict,
};

use crate::{
    Page, audit,
    entity::{user, user_role},
    profile::{DisplayName, InvalidField, Profile, ProfileUpdate, ProfileValue},
    role::Role,
};

/// An account as its owner (or an admin) sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: i32,
    pub profile: Profile,
    /// Always contains [`Role::Learner`], then the granted roles in order.
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
}

/// Why an account could not be read (or exported, or erased).
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// No account with this id (or it was erased).
    #[error("there is no account with this id")]
    NotFound,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Why a profile could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// No account with this id (or it was erased).
    #[error("there is no account with this id")]
    NotFound,
    /// A profile value is not allowed; nothing was changed.
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Why a role could not be granted or revoked.
#[derive(Debug, thiserror::Error)]
pub enum RoleChangeError {
    /// No account with this id (or it was erased).
    #[error("there is no account with this id")]
    UserNotFound,
    /// `learner` is everyone's role: it cannot be granted or revoked.
    #[error("everyone is a learner: this role cannot be granted or revoked")]
    LearnerIsImplicit,
    /// An admin tried to revoke their own admin role (which could leave nobody in charge).
    #[error("you cannot revoke your own admin role; ask another admin")]
    OwnAdminRole,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<AccountError> for ProfileError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => ProfileError::NotFound,
            AccountError::Other(e) => ProfileError::Other(e),
        }
    }
}

impl From<AccountError> for RoleChangeError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => RoleChangeError::UserNotFound,
            AccountError::Other(e) => RoleChangeError::Other(e),
        }
    }
}

/// Creates an account with an optional display name and extra roles.
pub async fn create(
    db: &impl ConnectionTrait,
    display_name: Option<&str>,
    roles: &[Role],
) -> Result<Account, ProfileError> {
    let display_name = display_name.map(DisplayName::new).transpose()?;
    let now = Utc::now();
    let row = user::ActiveModel {
        display_name: Set(display_name.map(|n| n.as_str().to_owned())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("creating an account")?;
    for role in roles.iter().filter(|r| **r != Role::Learner) {
        user_role::ActiveModel {
            user_id: Set(row.id),
            role: Set(role.as_str().to_owned()),
            granted_at: Set(now),
        }
        .insert(db)
        .await
        .context("granting a role to a new account")?;
    }
    Ok(with_roles(db, row).await?)
}

/// The live (not erased) account `id`.
pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<Account, AccountError> {
    let row = live_user(db, id).await?;
    Ok(with_roles(db, row).await?)
}

/// The roles of account `id`: learner plus those granted.
pub async fn roles(db: &impl ConnectionTrait, id: i32) -> anyhow::Result<Vec<Role>> {
    let granted = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(id))
        .all(db)
        .await
        .context("reading roles")?;
    Ok(role_set(granted.iter().map(|g| g.role.as_str())))
}

/// Learner plus the `granted` role names (unknown names ignored), in order, once each.
pub(crate) fn role_set<'a>(granted: impl Iterator<Item = &'a str>) -> Vec<Role> {
    let mut roles = vec![Role::Learner];
    roles.extend(granted.filter_map(|r| r.parse::<Role>().ok()));
    roles.sort();
    roles.dedup();
    roles
}

/// Applies `update` to the caller's own profile; on an invalid value nothing changes.
pub async fn update_profile(
    db: &DatabaseConnection,
    id: i32,
    update: ProfileUpdate,
) -> Result<Account, ProfileError> {
    let row = live_user(db, id).await?;
    let profile = Profile::from_row(&row).apply(update)?;
    let mut active: user::ActiveModel = row.into();
    profile.write_to(&mut active);
    let row = active.update(db).await.context("updating a profile")?;
    Ok(with_roles(db, row).await?)
}

/// One page of live accounts in id order, after `after`; the read is audited as `actor`'s.
pub async fn list(
    db: &DatabaseConnection,
    actor: i32,
    after: Option<i32>,
    limit: u64,
) -> anyhow::Result<Page<Account>> {
    let mut rows = user::Entity::find()
        .filter(user::Column::ErasedAt.is_null())
        .filter(user::Column::Id.gt(after.unwrap_or(0)))
        .order_by_asc(user::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await
        .context("listing accounts")?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let grants = user_role::Entity::find()
        .filter(user_role::Column::UserId.is_in(ids))
        .all(db)
        .await
        .context("reading roles of listed accounts")?;
    audit::record(db, Some(actor), audit::Action::AccountsListed, None, None).await?;
    let items: Vec<Account> = rows
        .into_iter()
        .map(|row| {
            let granted = grants.iter().filter(|g| g.user_id == row.id);
            let roles = role_set(granted.map(|g| g.role.as_str()));
            account(row, roles)
        })
        .collect();
    let next = more.then(|| items.last().map(|a| a.id)).flatten();
    Ok(Page { items, next })
}

/// Another person's account, read by `actor` (audited).
pub async fn read_as(
    db: &DatabaseConnection,
    actor: i32,
    id: i32,
) -> Result<Account, AccountError> {
    let account = get(db, id).await?;
    audit::record(db, Some(actor), audit::Action::AccountRead, Some(id), None).await?;
    Ok(account)
}

/// Grants `role` to account `subject` (idempotent), recorded in the audit log in the same
/// transaction.
pub async fn grant_role(
    db: &DatabaseConnection,
    actor: i32,
    subject: i32,
    role: Role,
) -> Result<Account, RoleChangeError> {
    if role == Role::Learner {
        return Err(RoleChangeError::LearnerIsImplicit);
    }
    live_user(db, subject).await?;
    // The write comes first, so the transaction holds the write lock before it reads (SQLite
    // refuses to upgrade a read snapshot another writer has overtaken); the read then catches
    // an erasure that happened meanwhile.
    let tx = db.begin().await.context("starting a transaction")?;
    let inserted = user_role::Entity::insert(user_role::ActiveModel {
        user_id: Set(subject),
        role: Set(role.as_str().to_owned()),
        granted_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([user_role::Column::UserId, user_role::Column::Role])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&tx)
    .await
    .context("granting a role")?;
    live_user(&tx, subject).await?;
    if inserted > 0 {
        audit::record(
            &tx,
            Some(actor),
            audit::Action::RoleGranted,
            Some(subject),
            Some(role.as_str()),
        )
        .await?;
    }
    let account = get(&tx, subject).await?;
    tx.commit().await.context("committing a role grant")?;
    Ok(account)
}

/// Revokes `role` from account `subject` (idempotent), audited like [`grant_role`].
pub async fn revoke_role(
    db: &DatabaseConnection,
    actor: i32,
    subject: i32,
    role: Role,
) -> Result<Account, RoleChangeError> {
    if role == Role::Learner {
        return Err(RoleChangeError::LearnerIsImplicit);
    }
    if role == Role::Admin && actor == subject {
        return Err(RoleChangeError::OwnAdminRole);
    }
    let tx = db.begin().await.context("starting a transaction")?;
    let deleted = user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(subject))
        .filter(user_role::Column::Role.eq(role.as_str()))
        .exec(&tx)
        .await
        .context("revoking a role")?;
    live_user(&tx, subject).await?;
    if deleted.rows_affected > 0 {
        audit::record(
            &tx,
            Some(actor),
            audit::Action::RoleRevoked,
            Some(subject),
            Some(role.as_str()),
        )
        .await?;
    }
    let account = get(&tx, subject).await?;
    tx.commit().await.context("committing a role revocation")?;
    Ok(account)
}

pub(crate) async fn live_user(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<user::Model, AccountError> {
    user::Entity::find_by_id(id)
        .filter(user::Column::ErasedAt.is_null())
        .one(db)
        .await
        .context("reading an account")?
        .ok_or(AccountError::NotFound)
}

async fn with_roles(db: &impl ConnectionTrait, row: user::Model) -> anyhow::Result<Account> {
    let roles = roles(db, row.id).await?;
    Ok(account(row, roles))
}

fn account(row: user::Model, roles: Vec<Role>) -> Account {
    Account {
        id: row.id,
        profile: Profile::from_row(&row),
        roles,
        created_at: row.created_at,
    }
}

#[cfg(test)]
mod tests {
    use academy_testing::{TestDb, storage_test};

    use super::*;

    storage_test!(
        granting_and_revoking_the_same_role_at_once_keeps_one_grant_and_audits_each_change_once,
        |db: TestDb| async move {
            let db = &db.db;
            let admin = create(db, Some("Admin"), &[Role::Admin]).await.unwrap();
            let person = create(db, Some("Person"), &[]).await.unwrap();
            for _ in 0..3 {
                let grants = futures_join(
                    grant_role(db, admin.id, person.id, Role::Staff),
                    grant_role(db, admin.id, person.id, Role::Staff),
                )
                .await;
                assert!(grants.0.is_ok() && grants.1.is_ok(), "{grants:?}");
                assert_eq!(
                    roles(db, person.id).await.unwrap(),
                    [Role::Learner, Role::Staff]
                );
                let revokes = futures_join(
                    revoke_role(db, admin.id, person.id, Role::Staff),
                    revoke_role(db, admin.id, person.id, Role::Staff),
                )
                .await;
                assert!(revokes.0.is_ok() && revokes.1.is_ok(), "{revokes:?}");
                assert_eq!(roles(db, person.id).await.unwrap(), [Role::Learner]);
            }
            let entries = audit::concerning(db, person.id).await.unwrap();
            let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
            assert_eq!(actions, ["role_granted", "role_revoked"].repeat(3));
        }
    );

    async fn futures_join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
        tokio::join!(a, b)
    }
}
