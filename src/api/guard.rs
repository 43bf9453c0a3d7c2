//! Who is calling: the session cookie (browsers, with CSRF protection on unsafe methods) or an
//! `Authorization: Bearer` token (apps and scripts); the refusals of the guard; responses that
//! carry personal data; the Academy's cookies.

use std::time::Duration;

use academy_courses::catalog::Reader;
use academy_identity::{Caller, Role, token};
use poem::{
    Request, RequestBody,
    http::Method,
    web::{
        cookie::{Cookie, SameSite},
        headers::{Authorization, HeaderMapExt, authorization::Bearer},
    },
};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions,
    payload::Json,
    registry::{MetaSecurityScheme, Registry},
    types::{ToJSON, Type},
};

use crate::{api::errors::Failure, state::AppState};

/// The browser session cookie (HttpOnly).
pub const SESSION_COOKIE: &str = "academy_session";
/// The cookie that ties a sign-in's callback to the browser that started it.
pub const SIGN_IN_COOKIE: &str = "academy_sign_in";
/// The header that must echo the session's CSRF token on unsafe cookie-authenticated requests.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// Why the guard refused a request.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    /// No cookie and no bearer token.
    #[error("Sign in first (GET /api/auth/providers), or send Authorization: Bearer <token>.")]
    NotSignedIn,
    /// The session ended, was revoked, or its account is gone.
    #[error("Your session has ended or was revoked. Please sign in again.")]
    SessionExpired,
    /// An unsafe cookie-authenticated request without the session's CSRF token.
    #[error("This request needs the X-CSRF-Token header with the csrf_token from GET /api/me.")]
    CsrfTokenInvalid,
    /// Signed in, without the role this needs.
    #[error("Only people with the {0} role may do this.")]
    RoleRequired(Role),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<AuthFailure> for Failure {
    fn from(failure: AuthFailure) -> Self {
        let message = failure.to_string();
        match failure {
            AuthFailure::NotSignedIn => Failure::unauthorized("not_signed_in", message),
            AuthFailure::SessionExpired => Failure::unauthorized("session_expired", message),
            AuthFailure::CsrfTokenInvalid => Failure::forbidden("csrf_token_invalid", message),
            AuthFailure::RoleRequired(_) => Failure::forbidden("role_required", message),
            AuthFailure::Other(e) => Failure::internal(&e),
        }
    }
}

/// A response holding personal data, which browsers and proxies must not store.
#[derive(ApiResponse)]
pub enum Private<T: ToJSON + Type + Send + Sync> {
    /// The data (sent with `Cache-Control: no-store`).
    #[oai(status = 200)]
    Ok(Json<T>, #[oai(header = "Cache-Control")] String),
}

/// `value` as a [`Private`] response.
pub fn private<T: ToJSON + Type + Send + Sync>(value: T) -> Private<T> {
    Private::Ok(Json(value), "no-store".to_owned())
}

/// A `Set-Cookie` value with the Academy's cookie attributes (HttpOnly, Secure, SameSite=Lax);
/// an empty `value` with a zero `max_age` clears the cookie.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: Duration) -> String {
    let mut cookie = Cookie::new_with_str(name, value);
    cookie.set_path(path);
    cookie.set_max_age(max_age);
    cookie.set_http_only(true);
    cookie.set_secure(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.to_string()
}

/// The value of cookie `name` in the request, if sent.
pub fn read_cookie(req: &Request, name: &str) -> Option<String> {
    req.cookie().get(name).map(|c| c.value_str().to_owned())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Carrier {
    Cookie,
    Bearer,
}

/// The credentials a request carries (not yet checked). Declares the `session_cookie` and
/// `bearer` security schemes in the OpenAPI document.
pub struct Credentials {
    token: Option<(String, Carrier)>,
    csrf: Option<String>,
    unsafe_method: bool,
}

impl Credentials {
    /// The credentials `req` carries, for handlers that read them optionally.
    pub fn of(req: &Request) -> Credentials {
        Credentials::read(req)
    }

    fn read(req: &Request) -> Credentials {
        let bearer = req
            .headers()
            .typed_get::<Authorization<Bearer>>()
            .map(|auth| (auth.token().to_owned(), Carrier::Bearer));
        let token =
            bearer.or_else(|| read_cookie(req, SESSION_COOKIE).map(|t| (t, Carrier::Cookie)));
        Credentials {
            token,
            csrf: req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            unsafe_method: !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS),
        }
    }

    /// The raw session token, for signing out.
    pub fn token(&self) -> Option<&str> {
        self.token.as_ref().map(|(t, _)| t.as_str())
    }

    /// The CSRF token a browser must echo, when the caller uses the session cookie.
    pub fn csrf_token(&self) -> Option<String> {
        match &self.token {
            Some((t, Carrier::Cookie)) => Some(token::csrf_token(t)),
            _ => None,
        }
    }

    /// Rejects an unsafe cookie-authenticated request without the right `X-CSRF-Token`.
    pub fn check_csrf(&self) -> Result<(), AuthFailure> {
        let Some((t, Carrier::Cookie)) = &self.token else {
            return Ok(());
        };
        if self.unsafe_method
            && self.csrf.as_deref().map(token::hash) != Some(token::hash(&token::csrf_token(t)))
        {
            return Err(AuthFailure::CsrfTokenInvalid);
        }
        Ok(())
    }

    /// The signed-in caller; a cookie request with an unsafe method also needs its CSRF token.
    pub async fn caller(&self, state: &AppState) -> Result<Caller, AuthFailure> {
        let Some((token, _)) = &self.token else {
            return Err(AuthFailure::NotSignedIn);
        };
        self.check_csrf()?;
        state
            .identity
            .session_cache
            .authenticate(&state.db, token, state.identity.sessions)
            .await?
            .ok_or(AuthFailure::SessionExpired)
    }

    /// The signed-in caller if they may act as `role`.
    pub async fn caller_as(&self, state: &AppState, role: Role) -> Result<Caller, AuthFailure> {
        let caller = self.caller(state).await?;
        if !caller.is(role) {
            return Err(AuthFailure::RoleRequired(role));
        }
        Ok(caller)
    }
}

impl<'a> ApiExtractor<'a> for Credentials {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            "session_cookie",
            MetaSecurityScheme {
                ty: "apiKey",
                description: Some(
                    "The HttpOnly session cookie set by the sign-in callback. Unsafe methods \
                     (POST, PATCH, PUT, DELETE) also need the `X-CSRF-Token` header with the \
                     `csrf_token` from `GET /api/me`.",
                ),
                name: Some(SESSION_COOKIE),
                key_in: Some("cookie"),
                scheme: None,
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
        registry.create_security_scheme(
            "bearer",
            MetaSecurityScheme {
                ty: "http",
                description: Some(
                    "A token from `academy tokens issue USER`, for apps and scripts.",
                ),
                name: None,
                key_in: None,
                scheme: Some("bearer"),
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec!["session_cookie", "bearer"]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Credentials::read(req))
    }
}

/// Credentials an operation reads when present but does not require (signing out): the same
/// schemes as [`Credentials`] plus an empty requirement, so the OpenAPI document says that
/// calling it without any is fine.
pub struct OptionalCredentials(pub Credentials);

impl<'a> ApiExtractor<'a> for OptionalCredentials {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Credentials as ApiExtractor>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        <Credentials as ApiExtractor>::security_schemes()
    }

    fn has_security_fallback() -> bool {
        true
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(OptionalCredentials(Credentials::read(req)))
    }
}

/// Who is reading: what they may read in the catalog, and their account if signed in.
pub struct Viewer {
    pub reader: Reader,
    pub user: Option<i32>,
}

/// What the caller of `request` may read in the catalog: with no valid credentials, public
/// courses (a reader's view that may be shared); trainers and staff, every course; the
/// participants of a cohort, also its cohort-only courses. Never a refusal: a public read does
/// not fail because a session has ended.
pub async fn reader(state: &AppState, request: &Request) -> Reader {
    viewer(state, request).await.reader
}

/// The reader of `request` and, when signed in, their account.
pub async fn viewer(state: &AppState, request: &Request) -> Viewer {
    let anyone = Viewer {
        reader: Reader::Anyone,
        user: None,
    };
    let credentials = Credentials::read(request);
    let Some((token, _)) = &credentials.token else {
        return anyone;
    };
    let sessions = &state.identity.session_cache;
    let caller = match sessions
        .authenticate(&state.db, token, state.identity.sessions)
        .await
    {
        Ok(Some(caller)) => caller,
        Ok(None) => return anyone,
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "reading a session failed");
            return anyone;
        }
    };
    viewer_of(state, &caller).await
}

/// What signed-in `caller` may read (see [`reader`]), without authenticating them again.
pub async fn reader_of(state: &AppState, caller: &Caller) -> Reader {
    viewer_of(state, caller).await.reader
}

async fn viewer_of(state: &AppState, caller: &Caller) -> Viewer {
    let user = Some(caller.user_id);
    if caller.is(Role::Trainer) || caller.is(Role::Staff) {
        return Viewer {
            reader: Reader::Organiser,
            user,
        };
    }
    let reader =
        match academy_enrollment::enrolment::cohort_courses(&state.db, caller.user_id).await {
            Ok(courses) if !courses.is_empty() => Reader::Participant(courses),
            Ok(_) => Reader::Anyone,
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "reading a person's cohorts failed"
                );
                Reader::Anyone
            }
        };
    Viewer { reader, user }
}
