//! Who is calling: the session cookie (browsers, with CSRF protection on unsafe methods) or an
//! `Authorization: Bearer` token (apps and scripts), and the identity settings handlers share.

use std::{net::IpAddr, time::Duration};

use academy_identity::{
    Caller, Role, SessionPolicy,
    rate_limit::SignInLimiter,
    session,
    sign_in::{ProviderSettings, SignIn},
    token,
};
use anyhow::Context;
use poem::{Request, RequestBody, http::Method, web::headers::HeaderMapExt};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions,
    payload::Json,
    registry::{MetaSecurityScheme, Registry},
    types::{ToJSON, Type},
};

use crate::{api::error::ApiError, config::Config, state::AppState};

/// The browser session cookie (HttpOnly).
pub const SESSION_COOKIE: &str = "academy_session";
/// The cookie that ties a sign-in's callback to the browser that started it.
pub const SIGN_IN_COOKIE: &str = "academy_sign_in";
/// The header that must echo the session's CSRF token on unsafe cookie-authenticated requests.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// Identity settings and services shared by the handlers.
pub struct IdentityState {
    pub sign_in: SignIn,
    pub sessions: SessionPolicy,
    pub limiter: SignInLimiter,
    pub trust_forwarded_for: bool,
    pub public_url: String,
}

impl IdentityState {
    /// Builds the identity services from the configuration.
    pub fn from_config(config: &Config) -> anyhow::Result<IdentityState> {
        let providers = config
            .providers
            .iter()
            .map(|(key, p)| ProviderSettings {
                key: key.clone(),
                display_name: p.display_name.clone(),
                issuer_url: p.issuer_url.clone(),
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.clone(),
            })
            .collect();
        let public_url = config.public_url.trim_end_matches('/').to_owned();
        Ok(IdentityState {
            sign_in: SignIn::new(
                providers,
                &public_url,
                Duration::from_secs(config.provider_timeout_seconds.max(1)),
            )
            .context("configuring identity providers")?,
            sessions: config.session_policy(),
            limiter: SignInLimiter::per_minute(config.sign_in_per_minute),
            trust_forwarded_for: config.trust_forwarded_for,
            public_url,
        })
    }

    /// The client's address: the socket peer, or the last `X-Forwarded-For` entry when a
    /// trusted proxy appends it.
    pub fn client_address(&self, req: &Request) -> Option<IpAddr> {
        if self.trust_forwarded_for {
            let forwarded = req
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok());
            if forwarded.is_some() {
                return forwarded;
            }
        }
        match &req.remote_addr().0 {
            poem::Addr::SocketAddr(addr) => Some(addr.ip()),
            _ => None,
        }
    }

    /// Counts a sign-in request against the client's budget.
    pub fn limit_sign_in(&self, req: &Request) -> Result<(), ApiError> {
        self.limiter
            .check(self.client_address(req))
            .map_err(ApiError::too_many_requests)
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

/// A `Set-Cookie` value with the Academy's cookie attributes.
pub fn cookie(name: &str, value: &str, path: &str, max_age: i64) -> String {
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax")
}

/// The value of cookie `name` in the request, if sent.
pub fn read_cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
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
    fn read(req: &Request) -> Credentials {
        let bearer = req
            .headers()
            .typed_get::<poem::web::headers::Authorization<poem::web::headers::authorization::Bearer>>()
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
    pub fn check_csrf(&self) -> Result<(), ApiError> {
        let Some((t, Carrier::Cookie)) = &self.token else {
            return Ok(());
        };
        if self.unsafe_method
            && self.csrf.as_deref().map(token::hash) != Some(token::hash(&token::csrf_token(t)))
        {
            return Err(ApiError::forbidden(
                "csrf_token_invalid",
                "This request needs the X-CSRF-Token header with the csrf_token from GET /api/me.",
            ));
        }
        Ok(())
    }

    /// The signed-in caller, or 401; 403 for a cookie request without its CSRF token.
    pub async fn caller(&self, state: &AppState) -> Result<Caller, ApiError> {
        let Some((token, _)) = &self.token else {
            return Err(ApiError::unauthorized(
                "not_signed_in",
                "Sign in first (GET /api/auth/providers), or send Authorization: Bearer <token>.",
            ));
        };
        self.check_csrf()?;
        session::authenticate(&state.db, token, state.identity.sessions)
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "session_expired",
                    "Your session has ended or was revoked. Please sign in again.",
                )
            })
    }

    /// The signed-in caller if they may act as `role`; 401 or 403 otherwise.
    pub async fn caller_as(&self, state: &AppState, role: Role) -> Result<Caller, ApiError> {
        let caller = self.caller(state).await?;
        if !caller.is(role) {
            return Err(ApiError::forbidden(
                "role_required",
                format!("Only people with the {role} role may do this."),
            ));
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
