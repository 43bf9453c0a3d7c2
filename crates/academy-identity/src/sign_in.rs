//! Sign-in through OpenID Connect providers: authorization code flow with PKCE, `state` and
//! `nonce` (via `openidconnect`, on `oauth2` 5). Pending sign-ins live in the database, so any
//! node can finish what another started; each `state` can be used once.
//!
//! Only the `openid` scope is requested: the Academy never learns a person's e-mail address or
//! name from their provider, only a subject identifier, which it stores hashed.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::Utc;
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, TokenResponse,
    core::{CoreClient, CoreErrorResponseType, CoreProviderMetadata, CoreResponseType},
    reqwest,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};

use crate::{
    account,
    entity::{sign_in_state, user_identity},
    session::{self, NewSession, SessionKind, SessionPolicy},
    token,
};

/// How long a person has to finish signing in at their provider.
const SIGN_IN_WINDOW: chrono::Duration = chrono::Duration::minutes(10);
/// How long a provider's discovery document (endpoints, keys) is reused.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// One configured identity provider.
#[derive(Clone, Debug)]
pub struct ProviderSettings {
    /// The provider's key in URLs and the config file, e.g. `ishr`.
    pub key: String,
    /// The name shown on the sign-in button.
    pub display_name: String,
    /// The issuer URL; `<issuer>/.well-known/openid-configuration` must serve its metadata.
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
}

/// A provider as the sign-in page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderInfo {
    pub key: String,
    pub display_name: String,
}

struct Provider {
    settings: ProviderSettings,
    metadata: Mutex<Option<(CoreProviderMetadata, Instant)>>,
}

impl Provider {
    fn forget_metadata(&self) {
        if let Ok(mut slot) = self.metadata.lock() {
            *slot = None;
        }
    }
}

/// The configured providers and the HTTP client that talks to them.
pub struct SignIn {
    providers: Vec<Provider>,
    http: reqwest::Client,
    /// Where providers send browsers back to, followed by `/<key>`.
    callback_base: String,
}

/// A sign-in started: send the browser to `authorize_url`, and keep `state` in a cookie so the
/// callback can check it comes back to the same browser.
#[derive(Debug)]
pub struct Started {
    pub authorize_url: String,
    pub state: String,
}

/// Why a sign-in could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("there is no identity provider with this name")]
    UnknownProvider,
    #[error("return_to must be a path on this site, such as /courses")]
    InvalidReturnTo,
    #[error("the identity provider cannot be reached; please try again later")]
    ProviderUnavailable,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// What the provider sent back to the callback.
#[derive(Clone, Copy, Debug, Default)]
pub struct Callback<'a> {
    /// The `state` query parameter.
    pub state: Option<&'a str>,
    /// The `state` remembered in this browser's cookie when the sign-in started.
    pub browser_state: Option<&'a str>,
    /// The `code` query parameter.
    pub code: Option<&'a str>,
    /// The `error` query parameter (e.g. `access_denied`).
    pub error: Option<&'a str>,
}

/// A finished sign-in: a new session for the account, and where to send the browser.
#[derive(Debug)]
pub struct Finished {
    pub user_id: i32,
    pub new_account: bool,
    pub session: NewSession,
    pub return_to: String,
}

/// Why a sign-in failed. No session is started in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum FinishError {
    #[error("there is no identity provider with this name")]
    UnknownProvider,
    #[error(
        "this sign-in is unknown, expired, already used or was started in another browser; please sign in again"
    )]
    InvalidState,
    #[error("you declined to sign in at your identity provider")]
    Denied,
    #[error("your identity provider could not sign you in; please try again")]
    ProviderRefused,
    #[error("the sign-in code is invalid or already used; please sign in again")]
    InvalidCode,
    #[error("the identity provider's answer could not be verified; please sign in again")]
    InvalidIdToken,
    #[error("the identity provider cannot be reached; please try again later")]
    ProviderUnavailable,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl SignIn {
    /// Sets up `providers`; provider `key` sends browsers back to `<callback_base>/<key>`,
    /// `timeout` bounds every request to a provider.
    pub fn new(
        providers: Vec<ProviderSettings>,
        callback_base: &str,
        timeout: Duration,
    ) -> anyhow::Result<SignIn> {
        let http = reqwest::ClientBuilder::new()
            // Following redirects would open the client up to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .context("building the HTTP client for identity providers")?;
        for settings in &providers {
            IssuerUrl::new(settings.issuer_url.clone())
                .with_context(|| format!("provider {}: issuer_url is not a URL", settings.key))?;
        }
        Ok(SignIn {
            providers: providers
                .into_iter()
                .map(|settings| Provider {
                    settings,
                    metadata: Mutex::new(None),
                })
                .collect(),
            http,
            callback_base: callback_base.trim_end_matches('/').to_owned(),
        })
    }

    /// The providers one can sign in with, in configuration order.
    pub fn providers(&self) -> Vec<ProviderInfo> {
        self.providers
            .iter()
            .map(|p| ProviderInfo {
                key: p.settings.key.clone(),
                display_name: p.settings.display_name.clone(),
            })
            .collect()
    }

    /// Where provider `key` sends the browser back to.
    pub fn redirect_url(&self, key: &str) -> String {
        format!("{}/{key}", self.callback_base)
    }

    /// Starts a sign-in at provider `key`, to come back to `return_to` (a path on this site).
    pub async fn start(
        &self,
        db: &DatabaseConnection,
        key: &str,
        return_to: Option<&str>,
    ) -> Result<Started, StartError> {
        let provider = self.provider(key).ok_or(StartError::UnknownProvider)?;
        let return_to = local_path(return_to).ok_or(StartError::InvalidReturnTo)?;
        let client = self
            .client(provider)
            .await
            .map_err(|()| StartError::ProviderUnavailable)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = token::random_secret();
        let nonce = token::random_secret();
        let (state_param, nonce_param) = (state.clone(), nonce.clone());
        let (url, _, _) = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                move || CsrfToken::new(state_param),
                move || Nonce::new(nonce_param),
            )
            .set_pkce_challenge(challenge)
            .url();
        let now = Utc::now();
        sign_in_state::Entity::delete_many()
            .filter(sign_in_state::Column::ExpiresAt.lt(now))
            .exec(db)
            .await
            .context("forgetting abandoned sign-ins")?;
        sign_in_state::ActiveModel {
            state_hash: Set(token::hash(&state)),
            provider: Set(key.to_owned()),
            pkce_verifier: Set(verifier.secret().clone()),
            nonce: Set(nonce),
            return_to: Set(return_to),
            expires_at: Set(now + SIGN_IN_WINDOW),
        }
        .insert(db)
        .await
        .context("remembering a sign-in")?;
        Ok(Started {
            authorize_url: url.to_string(),
            state,
        })
    }

    /// Finishes a sign-in at provider `key`: checks state, code and ID token, links or creates
    /// the account and starts a browser session.
    pub async fn finish(
        &self,
        db: &DatabaseConnection,
        key: &str,
        callback: Callback<'_>,
        policy: SessionPolicy,
    ) -> Result<Finished, FinishError> {
        let provider = self.provider(key).ok_or(FinishError::UnknownProvider)?;
        let pending = consume_state(db, key, callback).await?;
        match callback.error {
            Some("access_denied") => return Err(FinishError::Denied),
            Some(_) => return Err(FinishError::ProviderRefused),
            None => {}
        }
        let code = callback.code.ok_or(FinishError::InvalidCode)?;
        let client = self
            .client(provider)
            .await
            .map_err(|()| FinishError::ProviderUnavailable)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| {
                tracing::warn!(provider = key, error = %e, "provider has no token endpoint");
                FinishError::ProviderUnavailable
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r)
                    if *r.error() == CoreErrorResponseType::InvalidGrant =>
                {
                    FinishError::InvalidCode
                }
                other => {
                    tracing::warn!(provider = key, error = %other, "token request failed");
                    FinishError::ProviderUnavailable
                }
            })?;
        let id_token = response.id_token().ok_or_else(|| {
            tracing::warn!(provider = key, "token response without an ID token");
            FinishError::ProviderUnavailable
        })?;
        let nonce = Nonce::new(pending.nonce);
        let claims = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .map_err(|e| {
                // The provider may have rotated its keys: fetch them afresh next time.
                if matches!(e, ClaimsVerificationError::SignatureVerification(_)) {
                    provider.forget_metadata();
                }
                // The error names the failed check (nonce, audience, signature…), not the person.
                tracing::info!(provider = key, reason = %e, "ID token rejected");
                FinishError::InvalidIdToken
            })?;
        let subject = token::subject_hash(claims.issuer().as_str(), claims.subject().as_str());
        let (user_id, new_account) = link_or_create(db, key, &subject).await?;
        let session = session::start(db, user_id, SessionKind::Browser, policy).await?;
        Ok(Finished {
            user_id,
            new_account,
            session,
            return_to: pending.return_to,
        })
    }

    fn provider(&self, key: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.settings.key == key)
    }

    /// A client for `provider`, from its (cached) discovery document.
    async fn client(
        &self,
        provider: &Provider,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        (),
    > {
        let settings = &provider.settings;
        let cached = provider.metadata.lock().ok().and_then(|m| {
            m.as_ref()
                .filter(|(_, at)| at.elapsed() < METADATA_TTL)
                .map(|(m, _)| m.clone())
        });
        let metadata = match cached {
            Some(metadata) => metadata,
            None => {
                let issuer = IssuerUrl::new(settings.issuer_url.clone()).map_err(|_| ())?;
                let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| {
                        tracing::warn!(provider = settings.key, error = %e, "provider discovery failed");
                    })?;
                if let Ok(mut slot) = provider.metadata.lock() {
                    *slot = Some((metadata.clone(), Instant::now()));
                }
                metadata
            }
        };
        let redirect = RedirectUrl::new(self.redirect_url(&settings.key)).map_err(|_| ())?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(settings.client_id.clone()),
            Some(ClientSecret::new(
                settings.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(redirect))
    }
}

/// `return_to` if it is a path on this site (not `//host`, no scheme, no backslash), else None.
fn local_path(return_to: Option<&str>) -> Option<String> {
    let path = return_to.unwrap_or("/");
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path.len() <= 512;
    local.then(|| path.to_owned())
}

/// Takes the pending sign-in named by the callback's `state`, exactly once.
async fn consume_state(
    db: &DatabaseConnection,
    key: &str,
    callback: Callback<'_>,
) -> Result<sign_in_state::Model, FinishError> {
    let state = callback.state.ok_or(FinishError::InvalidState)?;
    let state_hash = token::hash(state);
    if callback.browser_state.map(token::hash) != Some(state_hash.clone()) {
        return Err(FinishError::InvalidState);
    }
    let pending = sign_in_state::Entity::find_by_id(state_hash.clone())
        .one(db)
        .await
        .context("reading a pending sign-in")?
        .ok_or(FinishError::InvalidState)?;
    // Only the request that deletes the row may go on: a replay finds nothing to delete.
    let taken = sign_in_state::Entity::delete_many()
        .filter(sign_in_state::Column::StateHash.eq(state_hash))
        .filter(sign_in_state::Column::ExpiresAt.gt(Utc::now()))
        .exec(db)
        .await
        .context("taking a pending sign-in")?;
    if taken.rows_affected != 1 || pending.provider != key {
        return Err(FinishError::InvalidState);
    }
    Ok(pending)
}

/// The account linked to `subject_hash`, or a new one linked to it.
async fn link_or_create(
    db: &DatabaseConnection,
    provider: &str,
    subject_hash: &str,
) -> Result<(i32, bool), FinishError> {
    if let Some(user_id) = linked_account(db, subject_hash).await? {
        return Ok((user_id, false));
    }
    let tx = db.begin().await.context("starting a transaction")?;
    let account = account::create(&tx, None, &[])
        .await
        .map_err(|e| anyhow::Error::new(e).context("creating an account"))?;
    let linked = user_identity::ActiveModel {
        user_id: Set(account.id),
        subject_hash: Set(subject_hash.to_owned()),
        provider: Set(provider.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await;
    match linked {
        Ok(_) => {
            tx.commit().await.context("committing a new account")?;
            Ok((account.id, true))
        }
        // The same person finished two sign-ins at once: the other one created the account.
        Err(e) => {
            drop(tx);
            match linked_account(db, subject_hash).await? {
                Some(user_id) => Ok((user_id, false)),
                None => Err(anyhow::Error::new(e)
                    .context("linking a new account")
                    .into()),
            }
        }
    }
}

async fn linked_account(
    db: &DatabaseConnection,
    subject_hash: &str,
) -> anyhow::Result<Option<i32>> {
    Ok(user_identity::Entity::find()
        .filter(user_identity::Column::SubjectHash.eq(subject_hash))
        .one(db)
        .await
        .context("looking up a provider link")?
        .map(|link| link.user_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_must_stay_on_this_site() {
        assert_eq!(local_path(None).as_deref(), Some("/"));
        assert_eq!(
            local_path(Some("/courses?x=1")).as_deref(),
            Some("/courses?x=1")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "courses",
            "/a\nb",
        ] {
            assert_eq!(local_path(Some(bad)), None, "{bad}");
        }
    }
}
