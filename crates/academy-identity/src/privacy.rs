//! The privacy rights: a copy of everything held about a person, and erasure.

use anyhow::Context;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::{Value, json};

use crate::{
    account::{self, AccountError},
    audit,
    entity::{session, user, user_identity, user_role},
};

/// Everything the identity tables hold about account `id`, as JSON: profile, roles, provider
/// links (as stored: hashed), sessions (never tokens), and audit entries by or about them.
pub async fn export(db: &DatabaseConnection, id: i32) -> Result<Value, AccountError> {
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
    let audit = audit::concerning(db, id).await?;
    Ok(json!({
        "account": {
            "id": row.id,
            "display_name": row.display_name,
            "language": row.language,
            "country": row.country,
            "gender": row.gender,
            "organisation_type": row.organisation_type,
            "thematic_focus": row.thematic_focus,
            "created_at": row.created_at,
        },
        "roles": roles.iter().map(|r| json!({"role": r.role, "granted_at": r.granted_at})).collect::<Vec<_>>(),
        "sign_in_links": identities.iter().map(|i| json!({
            "provider": i.provider,
            "subject_hash": i.subject_hash,
            "linked_at": i.created_at,
        })).collect::<Vec<_>>(),
        "sessions": sessions.iter().map(|s| json!({
            "id": s.id,
            "kind": s.kind,
            "created_at": s.created_at,
            "last_seen_at": s.last_seen_at,
            "expires_at": s.expires_at,
        })).collect::<Vec<_>>(),
        "audit_log": audit.iter().map(|e| json!({
            "at": e.at,
            "actor_id": e.actor_id,
            "action": e.action,
            "subject_id": e.subject_id,
            "detail": e.detail,
        })).collect::<Vec<_>>(),
    }))
}

/// Erases account `id` in one transaction: every profile field emptied, provider links, roles
/// and sessions deleted. The empty row (id, creation and erasure times) stays so anonymous
/// counts and other tables' references hold; signing in again creates a new account.
pub async fn erase(db: &DatabaseConnection, id: i32) -> Result<(), AccountError> {
    // Write first: the transaction then holds the write lock before it reads (see
    // `account::grant_role`).
    let tx = db.begin().await.context("starting a transaction")?;
    crate::session::revoke_all(&tx, id).await?;
    let row = account::live_user(&tx, id).await?;
    user_identity::Entity::delete_many()
        .filter(user_identity::Column::UserId.eq(id))
        .exec(&tx)
        .await
        .context("erasing provider links")?;
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(id))
        .exec(&tx)
        .await
        .context("erasing roles")?;
    let mut active: user::ActiveModel = row.into();
    active.display_name = Set(None);
    active.language = Set(None);
    active.country = Set(None);
    active.gender = Set(None);
    active.organisation_type = Set(None);
    active.thematic_focus = Set(None);
    active.erased_at = Set(Some(Utc::now()));
    active.update(&tx).await.context("erasing the profile")?;
    audit::record(&tx, Some(id), audit::Action::AccountErased, Some(id), None).await?;
    tx.commit().await.context("committing an erasure")?;
    Ok(())
}
