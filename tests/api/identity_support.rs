//! Builders for the identity tests: an Academy with chosen settings, people with roles and
//! tokens, a real OpenID provider process, and a scripted browser that signs in at it.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, ChildStdout, Command, Stdio},
};

use academy::{Config, config::ProviderConfig};
use academy_identity::{Role, SessionKind, account, session};
use academy_testing::TestDb;
use poem::http::Method;
use serde_json::Value;

use crate::helpers::{Reply, TestApp};

/// Where the Academy believes browsers reach it; the provider sends them back here.
pub const PUBLIC_URL: &str = "http://academy.test";
/// The key of the test provider in the config.
pub const PROVIDER: &str = "test";

/// A person with an account and a bearer token.
pub struct Person {
    pub id: i32,
    pub token: String,
    pub session_id: String,
}

impl Person {
    /// GET `path` as this person.
    pub async fn get(&self, app: &TestApp, path: &str) -> Reply {
        self.send(app, Method::GET, path, None).await
    }

    /// A request as this person (bearer token).
    pub async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        app.send_as(Some(&self.token), method, path, body).await
    }
}

/// A browser's session cookie, as a sign-in reply set it.
pub struct CookieSession {
    pub token: String,
}

impl CookieSession {
    /// The session a sign-in callback's reply started.
    pub fn from_reply(reply: &Reply) -> CookieSession {
        CookieSession {
            token: set_cookie(reply, "academy_session")
                .expect("a session cookie")
                .to_owned(),
        }
    }

    /// GET `path` with the session cookie.
    pub async fn get(&self, app: &TestApp, path: &str) -> Reply {
        let cookie = format!("academy_session={}", self.token);
        app.send(Method::GET, path, &[("cookie", &cookie)], None)
            .await
    }
}

impl TestApp {
    /// An app without content, reached at [`PUBLIC_URL`], with settings changed by `tweak`.
    pub async fn start(db: TestDb, tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::configured(db, |config| {
            config.public_url = PUBLIC_URL.to_owned();
            tweak(config);
        })
        .await
    }

    /// An Academy that signs people in at `provider`.
    pub async fn with_provider(db: TestDb, provider: &OidcProvider) -> TestApp {
        let issuer = provider.issuer.clone();
        Self::start(db, move |config| {
            config
                .providers
                .insert(PROVIDER.to_owned(), provider_config(&issuer));
            config.provider_timeout_seconds = 2;
        })
        .await
    }

    /// Sends a request authenticated with `token` as a bearer token (or anonymously).
    pub async fn send_as(
        &self,
        token: Option<&str>,
        method: Method,
        uri: &str,
        body: Option<Value>,
    ) -> Reply {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = bearer
            .as_deref()
            .map(|b| vec![("authorization", b)])
            .unwrap_or_default();
        self.send(method, uri, &headers, body).await
    }

    /// A new person with `roles` (learner only when empty) and a bearer token.
    pub async fn person(&self, name: &str, roles: &[Role]) -> Person {
        let account = account::create(&self.db.db, Some(name), roles)
            .await
            .expect("account created");
        self.session_for(account.id, SessionKind::Token).await
    }

    /// A new session of account `id`.
    pub async fn session_for(&self, id: i32, kind: SessionKind) -> Person {
        let policy = self.academy.state.identity.sessions;
        let session = session::start(&self.db.db, id, kind, policy)
            .await
            .expect("session started");
        Person {
            id,
            token: session.token,
            session_id: session.id,
        }
    }
}

pub fn provider_config(issuer: &str) -> ProviderConfig {
    ProviderConfig {
        display_name: "Test provider".to_owned(),
        issuer_url: issuer.to_owned(),
        client_id: "academy".to_owned(),
        client_secret: "academy-test-secret".into(),
    }
}

/// A real OpenID provider (npm's `oidc-provider` under node) on a free 127.0.0.1 port, stopped
/// when dropped.
pub struct OidcProvider {
    pub issuer: String,
    child: Child,
    _stdout: BufReader<ChildStdout>,
}

impl OidcProvider {
    pub fn start() -> OidcProvider {
        Self::start_with_token_delay(0)
    }

    /// A provider whose token endpoint answers only after `delay_ms`.
    pub fn start_with_token_delay(delay_ms: u64) -> OidcProvider {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "the test OpenID provider is not installed: run `npm ci --prefix tests/oidc` \
             (scripts/test does it)"
        );
        let mut child = Command::new("node")
            .arg("provider.js")
            .current_dir(&dir)
            .env(
                "OIDC_REDIRECT_URI",
                format!("{PUBLIC_URL}/api/auth/callback/{PROVIDER}"),
            )
            .env("OIDC_TOKEN_DELAY_MS", delay_ms.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts (is node installed?)");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        let port = loop {
            line.clear();
            let read = stdout
                .read_line(&mut line)
                .expect("reading the provider's output");
            assert!(read > 0, "the OpenID provider exited before listening");
            if let Some(port) = line.trim().strip_prefix("listening ") {
                break port.to_owned();
            }
        };
        OidcProvider {
            issuer: format!("http://127.0.0.1:{port}"),
            child,
            _stdout: stdout,
        }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the scripted person answers at the provider.
#[derive(Clone, Copy)]
pub enum Answer<'a> {
    /// Signs in as this account and consents.
    Approve(&'a str),
    /// Declines.
    Deny,
}

/// A browser with its own cookies at the provider.
pub struct Browser {
    http: reqwest::Client,
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
        }
    }

    /// Follows `authorize_url` through the provider, answers its interaction, and returns the
    /// path and query the provider sends the browser back to on the Academy.
    pub async fn visit_provider(&self, authorize_url: &str, answer: Answer<'_>) -> String {
        let mut url = reqwest::Url::parse(authorize_url).expect("authorize URL");
        for _ in 0..10 {
            if url.as_str().starts_with(PUBLIC_URL) {
                let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
                return format!("{}{query}", url.path());
            }
            let response = if url.path().starts_with("/interaction/") {
                let action = match answer {
                    Answer::Approve(account) => format!("approve?account={account}"),
                    Answer::Deny => "deny".to_owned(),
                };
                let post = url.join(&format!("{}/{action}", url.path())).expect("url");
                self.http.post(post).send().await
            } else {
                self.http.get(url.clone()).send().await
            }
            .expect("the provider answers");
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_else(|| panic!("no redirect from the provider at {url}"))
                .to_owned();
            url = url.join(&location).expect("redirect URL");
        }
        panic!("too many redirects at the provider");
    }
}

/// The value of cookie `name` in a response's `Set-Cookie` header.
pub fn set_cookie<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    let header = reply.header("set-cookie")?;
    header
        .split(';')
        .next()
        .and_then(|pair| pair.strip_prefix(&format!("{name}=")))
}
