//! The signed-in person's sessions and API tokens.

use academy_identity::session;
use poem_openapi::{ApiResponse, OpenApi, param::Path};

use super::{
    me::ReadMineError,
    views::{SessionView, Sessions},
};
use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        guard::{Credentials, Private, private},
        inputs::SessionId,
    },
    state::AppState,
};

pub struct SessionsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum Revoked {
    /// The session is revoked.
    #[oai(status = 204)]
    Done,
}

api_error!(
    /// Why a session could not be revoked.
    pub enum RevokeError {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
    }
);

#[OpenApi(tag = "ApiTags::Identity")]
impl SessionsApi {
    /// My sessions
    ///
    /// The caller's live sessions and API tokens, newest first.
    #[oai(path = "/api/me/sessions", method = "get")]
    async fn sessions(&self, credentials: Credentials) -> Result<Private<Sessions>, ReadMineError> {
        let caller = credentials.caller(&self.state).await?;
        let sessions =
            session::list(&self.state.db, caller.user_id, self.state.identity.sessions).await?;
        Ok(private(Sessions {
            sessions: sessions
                .into_iter()
                .map(|s| SessionView::new(s, &caller.session_id))
                .collect(),
        }))
    }

    /// Revoke one of my sessions
    ///
    /// Signs that browser or token out. 400 when `id` is not a UUID; 404 `session_not_found`
    /// when the caller has no session with this id.
    #[oai(path = "/api/me/sessions/:id", method = "delete")]
    async fn revoke(
        &self,
        credentials: Credentials,
        /// The session's id, from `GET /api/me/sessions`.
        id: Path<SessionId>,
    ) -> Result<Revoked, RevokeError> {
        let caller = credentials.caller(&self.state).await?;
        let revoked = session::revoke(&self.state.db, caller.user_id, &id).await;
        self.state.identity.session_cache.invalidate();
        if revoked? {
            Ok(Revoked::Done)
        } else {
            Err(Failure::not_found("session_not_found", "You have no session with this id.").into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<RevokeError>(RevokeError::STATUSES);
    }
}
