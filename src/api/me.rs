//! The signed-in person's own account: profile, sessions, export and erasure.

use academy_identity::{
    Account, AccountError, ProfileError, account, privacy, profile::ProfileUpdate, session,
};
use poem_openapi::{
    ApiResponse, Object, OpenApi, param::Path, payload::Json, types::MaybeUndefined,
};

use crate::{
    api::{
        ApiTags,
        error::ApiError,
        guard::{Credentials, Private, SESSION_COOKIE, cookie, private},
    },
    state::AppState,
};

pub struct MeApi {
    pub state: AppState,
}

/// An account. Every profile field is optional; those staff statistics count also accept
/// `prefer_not_to_say`.
#[derive(Debug, Object)]
pub struct AccountView {
    pub id: i32,
    /// A pseudonym is fine.
    pub display_name: Option<String>,
    /// Preferred language (BCP 47 tag, e.g. `fr`).
    pub language: Option<String>,
    /// ISO 3166-1 alpha-2 code (e.g. `KE`) or `prefer_not_to_say`.
    pub country: Option<String>,
    /// `woman`, `man`, `non_binary`, `another` or `prefer_not_to_say`.
    pub gender: Option<String>,
    /// `ngo`, `community_group`, `national_human_rights_institution`, `academic`, `media`,
    /// `legal_profession`, `individual`, `other` or `prefer_not_to_say`.
    pub organisation_type: Option<String>,
    /// `civil_and_political_rights`, `economic_social_and_cultural_rights`, `women_and_gender`,
    /// `lgbti`, `children`, `indigenous_peoples`, `minorities`, `migrants_and_refugees`,
    /// `environment_and_climate`, `business_and_human_rights`, `other` or `prefer_not_to_say`.
    pub thematic_focus: Option<String>,
    /// `learner` (everyone), and any of `trainer`, `staff`, `admin`.
    pub roles: Vec<String>,
    /// When the account was created (RFC 3339).
    pub created_at: String,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        AccountView {
            id: a.id,
            display_name: a.display_name,
            language: a.language,
            country: a.country,
            gender: a.gender,
            organisation_type: a.organisation_type,
            thematic_focus: a.thematic_focus,
            roles: a.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            created_at: a.created_at.to_rfc3339(),
        }
    }
}

/// The caller's account, with what a browser needs for unsafe requests.
#[derive(Debug, Object)]
struct Me {
    #[oai(flatten)]
    account: AccountView,
    /// For browsers signed in with the session cookie: send it as `X-CSRF-Token` on POST,
    /// PATCH, PUT and DELETE. Absent for bearer tokens, which need none.
    csrf_token: Option<String>,
}

/// A change to the profile: an absent field stays, `null` clears it, a value sets it.
#[derive(Debug, Object)]
struct ProfilePatch {
    display_name: MaybeUndefined<String>,
    language: MaybeUndefined<String>,
    country: MaybeUndefined<String>,
    gender: MaybeUndefined<String>,
    organisation_type: MaybeUndefined<String>,
    thematic_focus: MaybeUndefined<String>,
}

/// A signed-in session or API token (the token itself is never shown again).
#[derive(Debug, Object)]
struct SessionView {
    id: String,
    /// `browser` (signed in through a provider) or `token` (issued with the CLI).
    kind: String,
    /// Whether this is the session making this request.
    current: bool,
    created_at: String,
    last_seen_at: String,
    expires_at: String,
}

#[derive(Debug, Object)]
struct Sessions {
    sessions: Vec<SessionView>,
}

#[derive(ApiResponse)]
enum Erased {
    /// The account is erased and every session revoked; the cookie is cleared.
    #[oai(status = 204)]
    Done(#[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
enum Revoked {
    /// The session is revoked.
    #[oai(status = 204)]
    Done,
}

/// The caller's own account is gone (erased in another request): their session is too.
fn gone() -> ApiError {
    ApiError::unauthorized(
        "session_expired",
        "Your account no longer exists. Please sign in again.",
    )
}

fn account_error(e: AccountError) -> ApiError {
    match e {
        AccountError::NotFound => gone(),
        AccountError::Other(e) => ApiError::internal(&e),
    }
}

fn profile_error(e: ProfileError) -> ApiError {
    match e {
        ProfileError::NotFound => gone(),
        ProfileError::Invalid(invalid) => {
            ApiError::bad_request("invalid_profile", invalid.to_string())
        }
        ProfileError::Other(e) => ApiError::internal(&e),
    }
}

fn patch(value: MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

#[OpenApi(tag = "ApiTags::Identity")]
impl MeApi {
    /// My account
    ///
    /// The caller's profile and roles, and the CSRF token a browser needs for unsafe requests.
    #[oai(path = "/api/me", method = "get")]
    async fn me(&self, credentials: Credentials) -> Result<Private<Me>, ApiError> {
        let caller = credentials.caller(&self.state).await?;
        let account = account::get(&self.state.db, caller.user_id)
            .await
            .map_err(account_error)?;
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
    ) -> Result<Private<AccountView>, ApiError> {
        let caller = credentials.caller(&self.state).await?;
        let body = body.0;
        let update = ProfileUpdate {
            display_name: patch(body.display_name),
            language: patch(body.language),
            country: patch(body.country),
            gender: patch(body.gender),
            organisation_type: patch(body.organisation_type),
            thematic_focus: patch(body.thematic_focus),
        };
        let account = account::update_profile(&self.state.db, caller.user_id, update)
            .await
            .map_err(profile_error)?;
        Ok(private(account.into()))
    }

    /// Erase my account
    ///
    /// Deletes every personal datum (profile, provider links, roles) and revokes every
    /// session, at once and for good. Only an empty account number remains, so anonymous
    /// counts stay right. Signing in again later creates a new, unrelated account.
    #[oai(path = "/api/me", method = "delete")]
    async fn erase(&self, credentials: Credentials) -> Result<Erased, ApiError> {
        let caller = credentials.caller(&self.state).await?;
        privacy::erase(&self.state.db, caller.user_id)
            .await
            .map_err(account_error)?;
        tracing::info!("account erased");
        Ok(Erased::Done(cookie(SESSION_COOKIE, "", "/", 0)))
    }

    /// Export my data
    ///
    /// Everything the Academy holds about the caller's account, as one JSON document: profile,
    /// roles, provider links (stored only as hashes), sessions (never their tokens) and audit
    /// entries by or about them.
    #[oai(path = "/api/me/export", method = "get")]
    async fn export(
        &self,
        credentials: Credentials,
    ) -> Result<Private<serde_json::Value>, ApiError> {
        let caller = credentials.caller(&self.state).await?;
        let export = privacy::export(&self.state.db, caller.user_id)
            .await
            .map_err(account_error)?;
        Ok(private(export))
    }

    /// My sessions
    ///
    /// The caller's live sessions and API tokens, newest first.
    #[oai(path = "/api/me/sessions", method = "get")]
    async fn sessions(&self, credentials: Credentials) -> Result<Private<Sessions>, ApiError> {
        let caller = credentials.caller(&self.state).await?;
        let sessions =
            session::list(&self.state.db, caller.user_id, self.state.identity.sessions).await?;
        Ok(private(Sessions {
            sessions: sessions
                .into_iter()
                .map(|s| SessionView {
                    current: s.id == caller.session_id,
                    id: s.id,
                    kind: s.kind,
                    created_at: s.created_at.to_rfc3339(),
                    last_seen_at: s.last_seen_at.to_rfc3339(),
                    expires_at: s.expires_at.to_rfc3339(),
                })
                .collect(),
        }))
    }

    /// Revoke one of my sessions
    ///
    /// Signs that browser or token out. 404 `session_not_found` when the caller has no session
    /// with this id.
    #[oai(path = "/api/me/sessions/:id", method = "delete")]
    async fn revoke(
        &self,
        credentials: Credentials,
        id: Path<String>,
    ) -> Result<Revoked, ApiError> {
        let caller = credentials.caller(&self.state).await?;
        if session::revoke(&self.state.db, caller.user_id, &id).await? {
            Ok(Revoked::Done)
        } else {
            Err(ApiError::not_found(
                "session_not_found",
                "You have no session with this id.",
            ))
        }
    }
}
