//! Sessions: browser sign-ins and API tokens. The token is shown once; the database keeps its
//! hash. A session ends when idle for too long, at its absolute expiry, or when revoked.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, Set,
    sea_query::{Expr, Query},
};

use crate::{
    account,
    entity::{session, user_role},
    role::Role,
    token,
};

/// How long sessions live.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    /// A session unused for this long ends.
    pub idle: Duration,
    /// A session ends this long after it started, used or not.
    pub absolute: Duration,
}

impl SessionPolicy {
    /// A policy from lifetimes in minutes (capped at ten years).
    pub fn from_minutes(idle: u64, absolute: u64) -> SessionPolicy {
        let cap = 10 * 366 * 24 * 60;
        let minutes = |m: u64| Duration::minutes(i64::try_from(m.min(cap)).unwrap_or(cap as i64));
        SessionPolicy {
            idle: minutes(idle),
            absolute: minutes(absolute),
        }
    }
}

/// How a session was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// A sign-in through an identity provider, carried by a cookie.
    Browser,
    /// A token issued by `academy tokens issue`, sent as `Authorization: Bearer`.
    Token,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Token => "token",
        }
    }
}

/// A new session: the token is returned exactly once.
#[derive(Debug)]
pub struct NewSession {
    pub id: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl NewSession {
    /// How long until the absolute expiry.
    pub fn remaining(&self) -> std::time::Duration {
        (self.expires_at - Utc::now()).to_std().unwrap_or_default()
    }
}

/// The authenticated person behind a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: i32,
    pub session_id: String,
    pub roles: Vec<Role>,
}

impl Caller {
    /// Whether the caller may act as `role` (admins may act as anyone).
    pub fn is(&self, role: Role) -> bool {
        role == Role::Learner || self.roles.contains(&role) || self.roles.contains(&Role::Admin)
    }
}

/// A session as its owner sees it (never the token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: String,
    /// `browser` or `token`.
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Unused sessions are touched at most this often, so reads do not become writes.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Starts a session for account `user_id`.
pub async fn start(
    db: &impl ConnectionTrait,
    user_id: i32,
    kind: SessionKind,
    policy: SessionPolicy,
) -> anyhow::Result<NewSession> {
    let token = format!("acd_{}", token::random_secret());
    let now = Utc::now();
    // Sessions that ended without being used again would otherwise stay forever.
    session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(session::Column::ExpiresAt.lte(now))
                .add(session::Column::LastSeenAt.lte(now - policy.idle)),
        )
        .exec(db)
        .await
        .context("removing ended sessions")?;
    let row = session::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        user_id: Set(user_id),
        token_hash: Set(token::hash(&token)),
        kind: Set(kind.as_str().to_owned()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + policy.absolute),
    }
    .insert(db)
    .await
    .context("starting a session")?;
    Ok(NewSession {
        id: row.id,
        token,
        expires_at: row.expires_at,
    })
}

/// The caller holding `token`, if it names a live session. Expired sessions are removed.
/// Every call reads the database; [`crate::session_cache::SessionCache`] answers most calls
/// from memory.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
    policy: SessionPolicy,
) -> anyhow::Result<Option<Caller>> {
    Ok(look_up(db, token, policy).await?.map(|live| live.caller))
}

/// A live session as read: its caller, and until when it may be used without being read again.
pub(crate) struct Live {
    pub caller: Caller,
    /// The earliest of its absolute expiry, its idle expiry (from the last use recorded) and
    /// when its next use is to be recorded.
    pub fresh_until: DateTime<Utc>,
}

pub(crate) async fn look_up(
    db: &impl ConnectionTrait,
    token: &str,
    policy: SessionPolicy,
) -> anyhow::Result<Option<Live>> {
    use sea_orm::sea_query::ExprTrait;

    // One statement: the session and its account's granted roles (one row per role).
    let mut select = Query::select();
    select
        .columns(
            [
                session::Column::Id,
                session::Column::UserId,
                session::Column::TokenHash,
                session::Column::Kind,
                session::Column::CreatedAt,
                session::Column::LastSeenAt,
                session::Column::ExpiresAt,
            ]
            .map(|c| (session::Entity, c)),
        )
        .column((user_role::Entity, user_role::Column::Role))
        .from(session::Entity)
        .left_join(
            user_role::Entity,
            Expr::col((user_role::Entity, user_role::Column::UserId))
                .equals((session::Entity, session::Column::UserId)),
        )
        .and_where(Expr::col((session::Entity, session::Column::TokenHash)).eq(token::hash(token)));
    let rows = db
        .query_all(&select)
        .await
        .context("looking up a session")?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let row = session::Model::from_query_result(first, "").context("reading a session")?;
    let mut granted = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(role) = r
            .try_get::<Option<String>>("", "role")
            .context("reading a role")?
        {
            granted.push(role);
        }
    }
    let now = Utc::now();
    if row.expires_at <= now || row.last_seen_at + policy.idle <= now {
        session::Entity::delete_by_id(row.id)
            .exec(db)
            .await
            .context("removing an expired session")?;
        return Ok(None);
    }
    let mut last_seen = row.last_seen_at;
    if now - row.last_seen_at >= TOUCH_EVERY {
        last_seen = now;
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, now.into())
            .filter(session::Column::Id.eq(row.id.clone()))
            .exec(db)
            .await
            .context("touching a session")?;
    }
    let roles = account::role_set(granted.iter().map(String::as_str));
    let fresh_until = Ord::min(
        row.expires_at,
        Ord::min(last_seen + policy.idle, last_seen + TOUCH_EVERY),
    );
    Ok(Some(Live {
        caller: Caller {
            user_id: row.user_id,
            session_id: row.id,
            roles,
        },
        fresh_until,
    }))
}

/// The live sessions of account `user_id`, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: i32,
    policy: SessionPolicy,
) -> anyhow::Result<Vec<SessionInfo>> {
    let now = Utc::now();
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(session::Column::LastSeenAt.gt(now - policy.idle))
        .order_by_desc(session::Column::CreatedAt)
        .all(db)
        .await
        .context("listing sessions")?;
    Ok(rows
        .into_iter()
        .map(|row| SessionInfo {
            id: row.id,
            kind: row.kind,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
        })
        .collect())
}

/// Ends session `id` of account `user_id`. Returns false when there is no such session of
/// theirs (another person's session id is treated as unknown).
pub async fn revoke(db: &impl ConnectionTrait, user_id: i32, id: &str) -> anyhow::Result<bool> {
    let result = session::Entity::delete_many()
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await
        .context("revoking a session")?;
    Ok(result.rows_affected > 0)
}

/// Ends the session holding `token` (signing out). Returns false when there was none.
pub async fn end(db: &impl ConnectionTrait, token: &str) -> anyhow::Result<bool> {
    let result = session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(token::hash(token)))
        .exec(db)
        .await
        .context("ending a session")?;
    Ok(result.rows_affected > 0)
}

/// Ends every session of account `user_id`.
pub async fn revoke_all(db: &impl ConnectionTrait, user_id: i32) -> anyhow::Result<u64> {
    let result = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await
        .context("revoking all sessions")?;
    Ok(result.rows_affected)
}
