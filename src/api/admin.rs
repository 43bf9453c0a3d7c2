//! Administration: accounts, roles and the audit log. Admins only; every read of another
//! person's account and every role change is audited.

use academy_identity::{AccountError, Role, RoleChangeError, account, audit};
use poem_openapi::{Object, OpenApi, param::Path, param::Query};

use crate::{
    api::{
        ApiTags,
        error::ApiError,
        guard::{Credentials, Private, private},
        me::AccountView,
    },
    state::AppState,
};

pub struct AdminApi {
    pub state: AppState,
}

/// A page of accounts.
#[derive(Debug, Object)]
struct Accounts {
    accounts: Vec<AccountView>,
    /// Pass as `after` for the next page; absent on the last page.
    next_after: Option<i32>,
}

/// One audit log entry: who did what to whose data, when.
#[derive(Debug, Object)]
struct AuditEntry {
    id: i32,
    /// When (RFC 3339).
    at: String,
    /// The account that acted.
    actor_id: Option<i32>,
    /// `role_granted`, `role_revoked`, `accounts_listed`, `account_read` or `account_erased`.
    action: String,
    /// The account concerned.
    subject_id: Option<i32>,
    /// E.g. the role granted or revoked.
    detail: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Object)]
struct AuditPage {
    entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    next_before: Option<i32>,
}

const MAX_PAGE: u32 = 200;

fn page_size(limit: Option<u32>) -> Result<u64, ApiError> {
    match limit.unwrap_or(50) {
        n @ 1..=MAX_PAGE => Ok(u64::from(n)),
        _ => Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {MAX_PAGE}"),
        )),
    }
}

fn role(name: &str) -> Result<Role, ApiError> {
    name.parse::<Role>()
        .map_err(|e| ApiError::not_found("role_not_found", e.to_string()))
}

fn account_error(e: AccountError) -> ApiError {
    match e {
        AccountError::NotFound => user_not_found(),
        AccountError::Other(e) => ApiError::internal(&e),
    }
}

fn role_change_error(e: RoleChangeError) -> ApiError {
    match e {
        RoleChangeError::UserNotFound => user_not_found(),
        RoleChangeError::LearnerIsImplicit => {
            ApiError::conflict("learner_is_implicit", e.to_string())
        }
        RoleChangeError::OwnAdminRole => ApiError::conflict("own_admin_role", e.to_string()),
        RoleChangeError::Other(e) => ApiError::internal(&e),
    }
}

fn user_not_found() -> ApiError {
    ApiError::not_found("user_not_found", "There is no account with this id.")
}

#[OpenApi(tag = "ApiTags::Administration")]
impl AdminApi {
    /// List accounts
    ///
    /// Live accounts in id order, `limit` (1–200, default 50) per page. Audited.
    #[oai(path = "/api/admin/users", method = "get")]
    async fn users(
        &self,
        credentials: Credentials,
        /// The `next_after` of the previous page.
        after: Query<Option<i32>>,
        limit: Query<Option<u32>>,
    ) -> Result<Private<Accounts>, ApiError> {
        let caller = credentials.caller_as(&self.state, Role::Admin).await?;
        let limit = page_size(*limit)?;
        let accounts = account::list(&self.state.db, caller.user_id, *after, limit).await?;
        let next_after = (accounts.len() as u64 == limit)
            .then(|| accounts.last().map(|a| a.id))
            .flatten();
        Ok(private(Accounts {
            accounts: accounts.into_iter().map(AccountView::from).collect(),
            next_after,
        }))
    }

    /// Read an account
    ///
    /// One person's account. Audited.
    #[oai(path = "/api/admin/users/:id", method = "get")]
    async fn user(
        &self,
        credentials: Credentials,
        id: Path<i32>,
    ) -> Result<Private<AccountView>, ApiError> {
        let caller = credentials.caller_as(&self.state, Role::Admin).await?;
        let account = account::read_as(&self.state.db, caller.user_id, *id)
            .await
            .map_err(account_error)?;
        Ok(private(account.into()))
    }

    /// Grant a role
    ///
    /// Grants `trainer`, `staff` or `admin` (idempotent). Audited. 409 `learner_is_implicit`
    /// for `learner`, which everyone has.
    #[oai(path = "/api/admin/users/:id/roles/:role", method = "put")]
    async fn grant(
        &self,
        credentials: Credentials,
        id: Path<i32>,
        role: Path<String>,
    ) -> Result<Private<AccountView>, ApiError> {
        let caller = credentials.caller_as(&self.state, Role::Admin).await?;
        let role = self::role(&role)?;
        let account = account::grant_role(&self.state.db, caller.user_id, *id, role)
            .await
            .map_err(role_change_error)?;
        Ok(private(account.into()))
    }

    /// Revoke a role
    ///
    /// Revokes `trainer`, `staff` or `admin` (idempotent). Audited. 409 `own_admin_role` when
    /// an admin revokes their own admin role.
    #[oai(path = "/api/admin/users/:id/roles/:role", method = "delete")]
    async fn revoke(
        &self,
        credentials: Credentials,
        id: Path<i32>,
        role: Path<String>,
    ) -> Result<Private<AccountView>, ApiError> {
        let caller = credentials.caller_as(&self.state, Role::Admin).await?;
        let role = self::role(&role)?;
        let account = account::revoke_role(&self.state.db, caller.user_id, *id, role)
            .await
            .map_err(role_change_error)?;
        Ok(private(account.into()))
    }

    /// Read the audit log
    ///
    /// Role changes and reads of personal data, newest first, `limit` (1–200, default 50) per
    /// page.
    #[oai(path = "/api/admin/audit", method = "get")]
    async fn audit(
        &self,
        credentials: Credentials,
        /// The `next_before` of the previous page.
        before: Query<Option<i32>>,
        limit: Query<Option<u32>>,
    ) -> Result<Private<AuditPage>, ApiError> {
        credentials.caller_as(&self.state, Role::Admin).await?;
        let limit = page_size(*limit)?;
        let entries = audit::list(&self.state.db, *before, limit).await?;
        let next_before = (entries.len() as u64 == limit)
            .then(|| entries.last().map(|e| e.id))
            .flatten();
        Ok(private(AuditPage {
            entries: entries
                .into_iter()
                .map(|e| AuditEntry {
                    id: e.id,
                    at: e.at.to_rfc3339(),
                    actor_id: e.actor_id,
                    action: e.action,
                    subject_id: e.subject_id,
                    detail: e.detail,
                })
                .collect(),
            next_before,
        }))
    }
}
