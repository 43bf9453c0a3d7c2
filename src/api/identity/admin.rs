//! Administration: accounts, roles and the audit log. Admins only; every read of another
//! person's account and every role change is audited.

use academy_identity::{AccountError, Role, RoleChangeError, account, audit};
use poem_openapi::{Object, OpenApi, param::Path, param::Query};

use super::views::{AccountView, AuditEntry};
use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        guard::{Credentials, Private, private},
        inputs::{PageSize, RoleName, page_size},
        params,
    },
    state::AppState,
};

pub struct AdminApi {
    pub state: AppState,
}

/// A page of accounts.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
struct Accounts {
    accounts: Vec<AccountView>,
    /// Pass as `after` for the next page; absent on the last page.
    next_after: Option<i32>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
struct AuditPage {
    entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    next_before: Option<i32>,
}

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

api_error!(
    /// Why a list could not be given.
    pub enum AdminListError {
        BadRequest,
        Unauthorized,
        Forbidden,
    }
);

api_error!(
    /// Why an account could not be read.
    pub enum ReadAccountError {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
    }
);

api_error!(
    /// Why a role could not be granted or revoked.
    pub enum RoleChangeFailed {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
    }
);

fn role(name: &str) -> Result<Role, Failure> {
    name.parse::<Role>()
        .map_err(|e| Failure::not_found("role_not_found", e.to_string()))
}

fn user_not_found() -> Failure {
    Failure::not_found("user_not_found", "There is no account with this id.")
}

/// An error about another person's account.
fn their_account(e: AccountError) -> Failure {
    match e {
        AccountError::NotFound => user_not_found(),
        AccountError::Other(e) => Failure::internal(&e),
    }
}

impl From<RoleChangeError> for Failure {
    fn from(e: RoleChangeError) -> Self {
        match e {
            RoleChangeError::UserNotFound => user_not_found(),
            RoleChangeError::LearnerIsImplicit => {
                Failure::conflict("learner_is_implicit", e.to_string())
            }
            RoleChangeError::OwnAdminRole => Failure::conflict("own_admin_role", e.to_string()),
            RoleChangeError::Other(e) => Failure::internal(&e),
        }
    }
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
        /// Accounts per page, 1 to 200 (default 50).
        limit: Query<Option<PageSize<MAX_PAGE>>>,
    ) -> Result<Private<Accounts>, AdminListError> {
        let caller = credentials.caller_as(&self.state, Role::Admin).await?;
        let limit = params::limit(page_size(limit.0), DEFAULT_PAGE, MAX_PAGE)?;
        let page = account::list(&self.state.db, caller.user_id, *after, u64::from(limit)).await?;
        Ok(private(Accounts {
            accounts: page.items.into_iter().map(AccountView::from).collect(),
            next_after: page.next,
        }))
    }

    /// Read an account
    ///
    /// One person's account. Audited. 404 `user_not_found`.
    #[oai(path = "/api/admin/users/:id", method = "get")]
    async fn user(
        &self,
        credentials: Credentials,
        /// The account's id.
        id: Path<i32>,
    ) -> Result<Private<AccountView>, ReadAccountError> {
        let caller = credentials.caller_as(&self.state, Role::Admin).await?;
        let account = account::read_as(&self.state.db, caller.user_id, *id)
            .await
            .map_err(their_account)?;
        Ok(private(account.into()))
    }

    /// Grant a role
    ///
    /// Grants `trainer`, `staff` or `admin` (idempotent). Audited. 409 `learner_is_implicit`
    /// for `learner`, which everyone has; 404 `user_not_found` or `role_not_found`.
    #[oai(path = "/api/admin/users/:id/roles/:role", method = "put")]
    async fn grant(
        &self,
        credentials: Credentials,
        /// The account's id.
        id: Path<i32>,
        /// `trainer`, `staff` or `admin`.
        role: Path<RoleName>,
    ) -> Result<Private<AccountView>, RoleChangeFailed> {
        let caller = credentials.caller_as(&self.state, Role::Admin).await?;
        let role = self::role(&role)?;
        let granted = account::grant_role(&self.state.db, caller.user_id, *id, role).await;
        self.state.identity.session_cache.invalidate();
        let account = granted.map_err(Failure::from)?;
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
        /// The account's id.
        id: Path<i32>,
        /// `trainer`, `staff` or `admin`.
        role: Path<RoleName>,
    ) -> Result<Private<AccountView>, RoleChangeFailed> {
        let caller = credentials.caller_as(&self.state, Role::Admin).await?;
        let role = self::role(&role)?;
        let revoked = account::revoke_role(&self.state.db, caller.user_id, *id, role).await;
        self.state.identity.session_cache.invalidate();
        let account = revoked.map_err(Failure::from)?;
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
        /// Entries per page, 1 to 200 (default 50).
        limit: Query<Option<PageSize<MAX_PAGE>>>,
    ) -> Result<Private<AuditPage>, AdminListError> {
        credentials.caller_as(&self.state, Role::Admin).await?;
        let limit = params::limit(page_size(limit.0), DEFAULT_PAGE, MAX_PAGE)?;
        let page = audit::list(&self.state.db, *before, u64::from(limit)).await?;
        Ok(private(AuditPage {
            entries: page.items.into_iter().map(AuditEntry::from).collect(),
            next_before: page.next,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<AdminListError>(AdminListError::STATUSES);
        check_mapping::<ReadAccountError>(ReadAccountError::STATUSES);
        check_mapping::<RoleChangeFailed>(RoleChangeFailed::STATUSES);
    }
}
