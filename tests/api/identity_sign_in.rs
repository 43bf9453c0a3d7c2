//! Signing in through a real OpenID provider process: the whole browser flow, and every way it
//! can fail without starting a session.

use academy_testing::{TestDb, storage_test};
use poem::http::{Method, StatusCode};

use crate::{
    helpers::{Reply, TestApp},
    identity_support::{
        Answer, Browser, CookieSession, OidcProvider, PROVIDER, PUBLIC_URL, provider_config,
        set_cookie,
    },
};

/// Starts signing in; returns the provider URL and the sign-in cookie.
async fn start(app: &TestApp, return_to: &str) -> (String, String) {
    let reply = app
        .send(
            Method::GET,
            &format!("/api/auth/login/{PROVIDER}?return_to={return_to}"),
            &[],
            None,
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::FOUND,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let location = reply.header("location").expect("location").to_owned();
    let state = set_cookie(&reply, "academy_sign_in")
        .expect("sign-in cookie")
        .to_owned();
    (location, state)
}

async fn callback(app: &TestApp, path: &str, state_cookie: Option<&str>) -> Reply {
    let cookie = state_cookie.map(|s| format!("academy_sign_in={s}"));
    let headers: Vec<(&str, &str)> = cookie
        .as_deref()
        .map(|c| vec![("cookie", c)])
        .unwrap_or_default();
    app.send(Method::GET, path, &headers, None).await
}

/// Signs `account` in from start to finish; returns the callback's reply.
pub async fn sign_in(app: &TestApp, account: &str) -> Reply {
    let (authorize, state) = start(app, "/courses").await;
    let back = Browser::new()
        .visit_provider(&authorize, Answer::Approve(account))
        .await;
    callback(app, &back, Some(&state)).await
}

fn assert_no_session(reply: &Reply) {
    assert!(
        set_cookie(reply, "academy_session").is_none(),
        "a failed sign-in must not set a session cookie"
    );
}

async fn session_count(app: &TestApp) -> usize {
    use sea_orm::EntityTrait;
    academy_identity::entity::session::Entity::find()
        .all(&app.db.db)
        .await
        .expect("sessions")
        .len()
}

storage_test!(
    signing_in_creates_a_pseudonymous_account_and_a_secure_session_cookie,
    |db: TestDb| async move {
        let provider = OidcProvider::start();
        let app = TestApp::with_provider(db, &provider).await;
        let reply = app
            .send(Method::GET, "/api/auth/providers", &[], None)
            .await;
        assert_eq!(reply.json()["providers"][0]["key"], PROVIDER);

        let (authorize, state) = start(&app, "/courses/treaty-bodies").await;
        assert!(authorize.starts_with(&provider.issuer));
        for parameter in [
            "code_challenge=",
            "code_challenge_method=S256",
            "nonce=",
            "state=",
        ] {
            assert!(
                authorize.contains(parameter),
                "{parameter} missing in {authorize}"
            );
        }
        assert!(
            !authorize.contains("email"),
            "only the openid scope is requested"
        );
        let back = Browser::new()
            .visit_provider(&authorize, Answer::Approve("defender-1"))
            .await;
        let reply = callback(&app, &back, Some(&state)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(
            reply.header("location"),
            Some(format!("{PUBLIC_URL}/courses/treaty-bodies").as_str())
        );
        let set = reply.header("set-cookie").expect("session cookie");
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(set.contains(attribute), "{attribute} missing in {set}");
        }
        let session = CookieSession::from_reply(&reply);
        let token = session.token.clone();
        let me = session.get(&app, "/api/me").await;
        assert_eq!(me.status, StatusCode::OK);
        let me = me.json();
        assert_eq!(me["roles"], serde_json::json!(["learner"]));
        assert!(
            me["display_name"].is_null(),
            "nothing personal is taken from the provider"
        );
        assert!(me["csrf_token"].as_str().is_some());

        // The same person signing in again gets the same account.
        let again = sign_in(&app, "defender-1").await;
        let me2 = CookieSession::from_reply(&again)
            .get(&app, "/api/me")
            .await
            .json();
        assert_eq!(me2["id"], me["id"]);
        // Another person gets another account.
        let other = sign_in(&app, "defender-2").await;
        let me3 = CookieSession::from_reply(&other)
            .get(&app, "/api/me")
            .await
            .json();
        assert_ne!(me3["id"], me["id"]);

        // Neither the provider's subject nor the session token is stored in the clear.
        let export = session.get(&app, "/api/me/export").await;
        let text = String::from_utf8_lossy(&export.body).into_owned();
        assert!(text.contains("subject_hash"));
        assert!(!text.contains("defender-1"));
        assert!(!text.contains(&token));
    }
);

storage_test!(
    a_replayed_callback_is_refused_and_starts_no_session,
    |db: TestDb| async move {
        let provider = OidcProvider::start();
        let app = TestApp::with_provider(db, &provider).await;
        let (authorize, state) = start(&app, "/").await;
        let back = Browser::new()
            .visit_provider(&authorize, Answer::Approve("a"))
            .await;
        assert_eq!(
            callback(&app, &back, Some(&state)).await.status,
            StatusCode::SEE_OTHER
        );
        let sessions = session_count(&app).await;

        let replay = callback(&app, &back, Some(&state)).await;
        assert_eq!(replay.status, StatusCode::BAD_REQUEST);
        assert_eq!(replay.error_code(), "invalid_state");
        assert_no_session(&replay);
        assert_eq!(session_count(&app).await, sessions);
    }
);

storage_test!(
    a_callback_with_a_forged_state_or_from_another_browser_is_refused,
    |db: TestDb| async move {
        let provider = OidcProvider::start();
        let app = TestApp::with_provider(db, &provider).await;
        let (authorize, state) = start(&app, "/").await;
        let back = Browser::new()
            .visit_provider(&authorize, Answer::Approve("a"))
            .await;

        // The callback URL arrives in a browser that did not start this sign-in.
        let elsewhere = callback(&app, &back, None).await;
        assert_eq!(elsewhere.status, StatusCode::BAD_REQUEST);
        assert_eq!(elsewhere.error_code(), "invalid_state");
        // A state the Academy never issued.
        let forged = callback(
            &app,
            &format!("/api/auth/callback/{PROVIDER}?code=x&state=forged"),
            Some("forged"),
        )
        .await;
        assert_eq!(forged.error_code(), "invalid_state");
        // No state at all.
        let missing = callback(&app, &format!("/api/auth/callback/{PROVIDER}?code=x"), None).await;
        assert_eq!(missing.error_code(), "invalid_state");
        assert_no_session(&missing);
        assert_eq!(session_count(&app).await, 0);
        // The genuine browser can still finish.
        assert_eq!(
            callback(&app, &back, Some(&state)).await.status,
            StatusCode::SEE_OTHER
        );
    }
);

storage_test!(
    a_bad_code_is_refused_with_invalid_code,
    |db: TestDb| async move {
        let provider = OidcProvider::start();
        let app = TestApp::with_provider(db, &provider).await;
        let (authorize, state) = start(&app, "/").await;
        let back = Browser::new()
            .visit_provider(&authorize, Answer::Approve("a"))
            .await;
        let url = reqwest::Url::parse(&format!("{PUBLIC_URL}{back}")).expect("url");
        let state_param = url
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .expect("state");
        let reply = callback(
            &app,
            &format!("/api/auth/callback/{PROVIDER}?code=not-a-code&state={state_param}"),
            Some(&state),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.error_code(), "invalid_code");
        assert_no_session(&reply);
        assert_eq!(session_count(&app).await, 0);
    }
);

storage_test!(
    an_id_token_for_another_nonce_is_refused,
    |db: TestDb| async move {
        let provider = OidcProvider::start();
        let app = TestApp::with_provider(db, &provider).await;
        let (authorize, state) = start(&app, "/").await;
        // Someone swaps the nonce on the way to the provider.
        let mut url = reqwest::Url::parse(&authorize).expect("url");
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "nonce" {
                    "attacker-nonce".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        let back = Browser::new()
            .visit_provider(url.as_str(), Answer::Approve("a"))
            .await;
        let reply = callback(&app, &back, Some(&state)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.error_code(), "invalid_id_token");
        assert_no_session(&reply);
        assert_eq!(session_count(&app).await, 0);
    }
);

storage_test!(
    declining_at_the_provider_is_a_clear_403_without_a_session,
    |db: TestDb| async move {
        let provider = OidcProvider::start();
        let app = TestApp::with_provider(db, &provider).await;
        let (authorize, state) = start(&app, "/").await;
        let back = Browser::new()
            .visit_provider(&authorize, Answer::Deny)
            .await;
        assert!(back.contains("error=access_denied"), "{back}");
        let reply = callback(&app, &back, Some(&state)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.error_code(), "sign_in_denied");
        assert_no_session(&reply);
    }
);

storage_test!(
    an_unreachable_provider_is_a_502_not_a_500,
    |db: TestDb| async move {
        // A port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let app = TestApp::start(db, |config| {
            config.providers.insert(
                PROVIDER.to_owned(),
                provider_config(&format!("http://127.0.0.1:{port}")),
            );
            config.provider_timeout_seconds = 1;
        })
        .await;
        let reply = app
            .send(
                Method::GET,
                &format!("/api/auth/login/{PROVIDER}"),
                &[],
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
        assert_eq!(reply.error_code(), "provider_unavailable");
        assert!(reply.header("set-cookie").is_none());
    }
);

storage_test!(
    a_provider_too_slow_to_answer_is_a_502_without_a_session,
    |db: TestDb| async move {
        let provider = OidcProvider::start_with_token_delay(4_000);
        let issuer = provider.issuer.clone();
        let app = TestApp::start(db, |config| {
            config
                .providers
                .insert(PROVIDER.to_owned(), provider_config(&issuer));
            config.provider_timeout_seconds = 1;
        })
        .await;
        let (authorize, state) = start(&app, "/").await;
        let back = Browser::new()
            .visit_provider(&authorize, Answer::Approve("a"))
            .await;
        let reply = callback(&app, &back, Some(&state)).await;
        assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
        assert_eq!(reply.error_code(), "provider_unavailable");
        assert_no_session(&reply);
        assert_eq!(session_count(&app).await, 0);
    }
);

storage_test!(
    sign_in_refuses_unknown_providers_and_return_addresses_on_other_sites,
    |db: TestDb| async move {
        let provider = OidcProvider::start();
        let app = TestApp::with_provider(db, &provider).await;
        let unknown = app
            .send(Method::GET, "/api/auth/login/nobody", &[], None)
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.error_code(), "provider_not_found");
        for evil in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
        ] {
            let reply = app
                .send(
                    Method::GET,
                    &format!("/api/auth/login/{PROVIDER}?return_to={}", urlencode(evil)),
                    &[],
                    None,
                )
                .await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{evil}");
            assert_eq!(reply.error_code(), "invalid_return_to");
        }
        let callback = app
            .send(
                Method::GET,
                "/api/auth/callback/nobody?state=x&code=y",
                &[],
                None,
            )
            .await;
        assert_eq!(callback.error_code(), "provider_not_found");
    }
);

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

storage_test!(
    sign_in_is_rate_limited_per_client_address,
    |db: TestDb| async move {
        let app = TestApp::start(db, |config| {
            config.sign_in_per_minute = 3;
            config.trust_forwarded_for = true;
        })
        .await;
        let from = |ip: &'static str| [("x-forwarded-for", ip)];
        for _ in 0..3 {
            let reply = app
                .send(
                    Method::GET,
                    "/api/auth/login/nobody",
                    &from("198.51.100.7"),
                    None,
                )
                .await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND);
        }
        let limited = app
            .send(
                Method::GET,
                "/api/auth/callback/nobody",
                &from("198.51.100.7"),
                None,
            )
            .await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.error_code(), "too_many_requests");
        let retry_after: u64 = limited
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After in seconds");
        assert!((1..=60).contains(&retry_after));
        // Another address is not affected.
        let other = app
            .send(
                Method::GET,
                "/api/auth/login/nobody",
                &from("198.51.100.8"),
                None,
            )
            .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
    }
);
