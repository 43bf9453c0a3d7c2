//! Sign-in through OpenID Connect providers, and sign-out.

use std::time::Duration;

use academy_identity::sign_in::{Callback, FinishError, StartError};
use poem::Request;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, param::Query, payload::Json};

use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        guard::{OptionalCredentials, SESSION_COOKIE, SIGN_IN_COOKIE, read_cookie, set_cookie},
    },
    http::client_addr::ClientAddr,
    state::AppState,
};

/// How long a browser has to come back from the provider.
const SIGN_IN_WINDOW: Duration = Duration::from_secs(600);

pub struct SignInApi {
    pub state: AppState,
}

/// An identity provider one can sign in with.
#[derive(Debug, Object)]
struct Provider {
    /// Its key, for `/api/auth/login/{provider}`.
    key: String,
    /// The name to show on the sign-in button.
    display_name: String,
}

/// The identity providers configured on this site.
#[derive(Debug, Object)]
struct Providers {
    providers: Vec<Provider>,
}

#[derive(ApiResponse)]
enum ToProvider {
    /// Go on to the provider; the cookie ties its answer to this browser.
    #[oai(status = 302)]
    Found(
        #[oai(header = "Location")] String,
        #[oai(header = "Set-Cookie")] String,
    ),
}

#[derive(ApiResponse)]
enum SignedIn {
    /// Signed in: go back to the page the sign-in started from, with the session cookie.
    #[oai(status = 303)]
    SeeOther(
        #[oai(header = "Location")] String,
        #[oai(header = "Set-Cookie")] String,
    ),
}

#[derive(ApiResponse)]
enum SignedOut {
    /// Signed out: the session is revoked and the cookie cleared.
    #[oai(status = 204)]
    Done(#[oai(header = "Set-Cookie")] String),
}

api_error!(
    /// Why a sign-in could not start.
    pub enum LoginError {
        BadRequest,
        NotFound,
        TooManyRequests,
        BadGateway,
    }
);

api_error!(
    /// Why a sign-in could not finish.
    pub enum CallbackError {
        BadRequest,
        Forbidden,
        NotFound,
        TooManyRequests,
        BadGateway,
    }
);

api_error!(
    /// Why signing out failed.
    pub enum LogoutError {
        Forbidden,
    }
);

impl From<StartError> for Failure {
    fn from(e: StartError) -> Self {
        match e {
            StartError::UnknownProvider => Failure::not_found("provider_not_found", e.to_string()),
            StartError::InvalidReturnTo => Failure::bad_request("invalid_return_to", e.to_string()),
            StartError::ProviderUnavailable => {
                Failure::bad_gateway("provider_unavailable", e.to_string())
            }
            StartError::Other(e) => Failure::internal(&e),
        }
    }
}

impl From<FinishError> for Failure {
    fn from(e: FinishError) -> Self {
        let message = e.to_string();
        match e {
            FinishError::UnknownProvider => Failure::not_found("provider_not_found", message),
            FinishError::InvalidState => Failure::bad_request("invalid_state", message),
            FinishError::Denied => Failure::forbidden("sign_in_denied", message),
            FinishError::ProviderRefused => Failure::bad_request("sign_in_failed", message),
            FinishError::InvalidCode => Failure::bad_request("invalid_code", message),
            FinishError::InvalidIdToken => Failure::bad_request("invalid_id_token", message),
            FinishError::ProviderUnavailable => {
                Failure::bad_gateway("provider_unavailable", message)
            }
            FinishError::Other(e) => Failure::internal(&e),
        }
    }
}

impl SignInApi {
    /// Counts a sign-in request against the client's budget.
    fn limit(&self, req: &Request) -> Result<(), Failure> {
        self.state
            .identity
            .limiter
            .check(ClientAddr::of(req).0)
            .map_err(Failure::too_many_requests)
    }
}

#[OpenApi(tag = "ApiTags::Identity")]
impl SignInApi {
    /// List identity providers
    ///
    /// The providers one can sign in with. Signing in needs nothing else: accounts are created
    /// at the first sign-in, and the Academy only learns an opaque identifier from the provider
    /// (no e-mail address, no name).
    #[oai(path = "/api/auth/providers", method = "get")]
    async fn providers(&self) -> Json<Providers> {
        Json(Providers {
            providers: self
                .state
                .identity
                .sign_in
                .providers()
                .into_iter()
                .map(|p| Provider {
                    key: p.key,
                    display_name: p.display_name,
                })
                .collect(),
        })
    }

    /// Start signing in
    ///
    /// Redirects the browser to the provider (authorization code flow with PKCE, `state` and
    /// `nonce`). `return_to` is the path on this site to come back to (default `/`); addresses
    /// on other sites are refused. Rate-limited per client address.
    #[oai(path = "/api/auth/login/:provider", method = "get")]
    async fn login(
        &self,
        req: &Request,
        /// The provider's key from `GET /api/auth/providers`.
        provider: Path<String>,
        /// Where to go after signing in: a path on this site, e.g. `/courses/treaty-bodies`.
        return_to: Query<Option<String>>,
    ) -> Result<ToProvider, LoginError> {
        self.limit(req)?;
        let started = self
            .state
            .identity
            .sign_in
            .start(&self.state.db, &provider, return_to.as_deref())
            .await
            .map_err(Failure::from)?;
        Ok(ToProvider::Found(
            started.authorize_url,
            set_cookie(
                SIGN_IN_COOKIE,
                &started.state,
                "/api/auth/callback",
                SIGN_IN_WINDOW,
            ),
        ))
    }

    /// Finish signing in
    ///
    /// Where the provider sends the browser back. Checks the `state` (once only, same browser),
    /// exchanges the `code` (with the PKCE verifier), verifies the ID token and its `nonce`,
    /// then links or creates the account and sets the session cookie. Every failure is a 4xx
    /// with a `code` (or 502 when the provider cannot be reached) and starts no session.
    #[oai(path = "/api/auth/callback/:provider", method = "get")]
    async fn callback(
        &self,
        req: &Request,
        /// The provider's key.
        provider: Path<String>,
        /// Set by the provider: the value sent when signing in started.
        state: Query<Option<String>>,
        /// Set by the provider on success.
        code: Query<Option<String>>,
        /// Set by the provider on failure, e.g. `access_denied`.
        error: Query<Option<String>>,
    ) -> Result<SignedIn, CallbackError> {
        self.limit(req)?;
        let identity = &self.state.identity;
        let browser_state = read_cookie(req, SIGN_IN_COOKIE);
        let callback = Callback {
            state: state.as_deref(),
            browser_state: browser_state.as_deref(),
            code: code.as_deref(),
            error: error.as_deref(),
        };
        let finished = identity
            .sign_in
            .finish(&self.state.db, &provider, callback, identity.sessions)
            .await
            .map_err(Failure::from)?;
        tracing::info!(new_account = finished.new_account, "signed in");
        Ok(SignedIn::SeeOther(
            format!("{}{}", identity.public_url, finished.return_to),
            set_cookie(
                SESSION_COOKIE,
                &finished.session.token,
                "/",
                finished.session.remaining(),
            ),
        ))
    }

    /// Sign out
    ///
    /// Revokes the current session (cookie or bearer token) and clears the cookie. Browsers
    /// must send `X-CSRF-Token` (403 `csrf_token_invalid` otherwise). Answers 204 also when not
    /// signed in.
    #[oai(path = "/api/auth/logout", method = "post")]
    async fn logout(&self, credentials: OptionalCredentials) -> Result<SignedOut, LogoutError> {
        let credentials = credentials.0;
        credentials.check_csrf()?;
        if let Some(token) = credentials.token() {
            let ended = academy_identity::session::end(&self.state.db, token).await;
            self.state.identity.session_cache.invalidate();
            ended?;
        }
        Ok(SignedOut::Done(set_cookie(
            SESSION_COOKIE,
            "",
            "/",
            Duration::ZERO,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<LoginError>(LoginError::STATUSES);
        check_mapping::<CallbackError>(CallbackError::STATUSES);
        check_mapping::<LogoutError>(LogoutError::STATUSES);
    }
}
