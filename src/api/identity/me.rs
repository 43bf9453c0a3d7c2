//! The signed-in person's own account: profile, export and erasure.

use std::time::Duration;

use academy_identity::{AccountError, ProfileError, account};
use poem_openapi::{ApiResponse, OpenApi, payload::Json};

use super::views::{AccountView, DataExportView, Me, ProfilePatch};
use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        guard::{Credentials, Private, SESSION_COOKIE, private, set_cookie},
    },
    privacy,
    state::AppState,
};

pub struct MeApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum Erased {
    /// The account is erased and every session revoked; the cookie is cleared.
    #[oai(status = 204)]
    Done(#[oai(header = "Set-Cookie")] String),
}

api_error!(
    /// Why the caller's own data could not be read.
    pub enum ReadMineError {
        Unauthorized,
    }
);

api_error!(
    /// Why the profile could not be changed.
    pub enum UpdateProfileError {
        BadRequest,
        Unauthorized,
        Forbidden,
        PayloadTooLarge,
    }
);

api_error!(
    /// Why the account could not be erased.
    pub enum EraseError {
        Unauthorized,
        Forbidden,
    }
);

/// The caller's own account is gone (erased in another request): their session is too.
fn gone() -> Failure {
    Failure::unauthorized(
        "session_expired",
        "Your account no longer exists. Please sign in again.",
    )
}

/// An error about the caller's own account.
fn own_account(e: AccountError) -> Failure {
    match e {
        AccountError::NotFound => gone(),
        AccountError::Other(e) => Failure::internal(&e),
    }
}

impl From<ProfileError> for Failure {
    fn from(e: ProfileError) -> Self {
        match e {
            ProfileError::NotFound => gone(),
            ProfileError::Invalid(invalid) => {
                Failure::bad_request("invalid_profile", invalid.to_string())
            }
            ProfileError::Other(e) => Failure::internal(&e),
        }
    }
}

#[OpenApi(tag = "ApiTags::Identity")]
impl MeApi {
    /// My account
    ///
    /// The caller's profile and roles, and the CSRF token a browser needs for unsafe requests.
    #[oai(path = "/api/me", method = "get")]
    async fn me(&self, credentials: Credentials) -> Result<Private<Me>, ReadMineError> {
        let caller = credentials.caller(&self.state).await?;
        let account = account::get(&self.state.db, caller.user_id)
            .await
            .map_err(own_account)?;
        Ok(private(Me {
            account: account.into(),
            csrf_token: credentials.csrf_token(),
        }))
    }

    /// Edit my profile
    ///
    /// Sets, keeps or clears each profile field (see the account schema for allowed values).
    /// 400 `invalid_profile` names the first field not allowed; nothing is changed then.
    #[oai(path = "/api/me", method = "patch")]
    async fn update(
        &self,
        credentials: Credentials,
        body: Json<ProfilePatch>,
    ) -> Result<Private<AccountView>, UpdateProfileError> {
        let caller = credentials.caller(&self.state).await?;
        let account = account::update_profile(&self.state.db, caller.user_id, body.0.into())
            .await
            .map_err(Failure::from)?;
        Ok(private(account.into()))
    }

    /// Erase my account
    ///
    /// Deletes every personal datum (profile, provider links, roles) and revokes every
    /// session, at once and for good, in one transaction. Only an empty account number
    /// remains, so anonymous counts stay right. Signing in again later creates a new,
    /// unrelated account.
    #[oai(path = "/api/me", method = "delete")]
    async fn erase(&self, credentials: Credentials) -> Result<Erased, EraseError> {
        let caller = credentials.caller(&self.state).await?;
        let erased = privacy::erase(&self.state.db, &self.state.enrollment, caller.user_id).await;
        self.state.identity.session_cache.invalidate();
        erased.map_err(own_account)?;
        tracing::info!("account erased");
        // The erasure is committed; leaving no copy in the SQLite log only hardens it.
        match academy_migrations::checkpoint_erasure(&self.state.db).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!("the log still holds pages from before an erasure"),
            Err(e) => tracing::warn!(error = %e, "checkpointing after an erasure failed"),
        }
        Ok(Erased::Done(set_cookie(
            SESSION_COOKIE,
            "",
            "/",
            Duration::ZERO,
        )))
    }

    /// Export my data
    ///
    /// Everything the Academy holds about the caller's account, as one JSON document read in
    /// one transaction: profile, roles, provider links (stored only as hashes), sessions (never
    /// their tokens) and audit entries by or about them.
    #[oai(path = "/api/me/export", method = "get")]
    async fn export(
        &self,
        credentials: Credentials,
    ) -> Result<Private<DataExportView>, ReadMineError> {
        let caller = credentials.caller(&self.state).await?;
        let export = privacy::export(&self.state.db, &self.state.enrollment, caller.user_id)
            .await
            .map_err(own_account)?;
        Ok(private(DataExportView::new(export, &caller.session_id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<ReadMineError>(ReadMineError::STATUSES);
        check_mapping::<UpdateProfileError>(UpdateProfileError::STATUSES);
        check_mapping::<EraseError>(EraseError::STATUSES);
    }
}
