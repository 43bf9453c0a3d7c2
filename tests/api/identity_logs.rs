//! The server's log output holds no personal data: not the provider's subject identifier, not
//! the e-mail address or name the provider knows, not the session or CSRF token, not the
//! display name, not the client's address; nor what anyone searched for.

use std::{
    io::Write,
    sync::{Arc, Mutex, OnceLock},
};

use academy_testing::{TestDb, storage_test};
use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;
use crate::identity_support::{
    Answer, Browser, OidcProvider, PROVIDER, provider_config, set_cookie,
};

/// Everything logged by this test binary, at debug level, from the first call on.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let installed = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .try_init();
        assert!(
            installed.is_ok(),
            "another test installed a global log subscriber"
        );
        logs
    })
    .clone()
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = self.0.lock() {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

storage_test!(
    a_sign_in_and_profile_round_trip_logs_no_personal_data,
    |db: TestDb| async move {
        let logs = captured_logs();
        let provider = OidcProvider::start();
        let issuer = provider.issuer.clone();
        let app = TestApp::start(db, |config| {
            config
                .providers
                .insert(PROVIDER.to_owned(), provider_config(&issuer));
            config.trust_forwarded_for = true;
        })
        .await;
        let unique = uuid_like();
        let subject = format!("defender-{unique}");
        let display_name = format!("Rosa {unique}");
        let address = "203.0.113.77";
        let from = ("x-forwarded-for", address);

        let login = app
            .send(
                Method::GET,
                &format!("/api/auth/login/{PROVIDER}?return_to=/x"),
                &[from],
                None,
            )
            .await;
        assert_eq!(login.status, StatusCode::FOUND);
        let state = set_cookie(&login, "academy_sign_in")
            .expect("state")
            .to_owned();
        let back = Browser::new()
            .visit_provider(
                login.header("location").expect("location"),
                Answer::Approve(&subject),
            )
            .await;
        let state_cookie = format!("academy_sign_in={state}");
        let signed_in = app
            .send(Method::GET, &back, &[from, ("cookie", &state_cookie)], None)
            .await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
        let token = set_cookie(&signed_in, "academy_session")
            .expect("token")
            .to_owned();
        let cookie = format!("academy_session={token}");

        let me = app
            .send(Method::GET, "/api/me", &[from, ("cookie", &cookie)], None)
            .await
            .json();
        let csrf = me["csrf_token"].as_str().expect("csrf").to_owned();
        let patched = app
            .send(
                Method::PATCH,
                "/api/me",
                &[from, ("cookie", &cookie), ("x-csrf-token", &csrf)],
                Some(json!({"display_name": display_name, "country": "KE"})),
            )
            .await;
        assert_eq!(patched.status, StatusCode::OK);
        app.send(
            Method::GET,
            "/api/me/export",
            &[from, ("cookie", &cookie)],
            None,
        )
        .await;
        // A marker proving this test's requests reach the captured log.
        let marker = format!("/api/auth/login/marker-{unique}");
        app.send(Method::GET, &marker, &[from], None).await;
        let out = app
            .send(
                Method::POST,
                "/api/auth/logout",
                &[from, ("cookie", &cookie), ("x-csrf-token", &csrf)],
                None,
            )
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);

        let logs = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
        assert!(logs.contains(&marker), "the log capture does not work");
        assert!(
            logs.contains("signed in"),
            "the sign-in is logged, without personal data"
        );
        for (what, secret) in [
            ("provider subject", subject.as_str()),
            ("e-mail address", &format!("{subject}@example.org")),
            ("name at the provider", &format!("Real Name of {subject}")),
            ("session token", &token),
            ("CSRF token", &csrf),
            ("sign-in state", &state),
            ("display name", &display_name),
            ("client address", address),
        ] {
            assert!(!logs.contains(secret), "the {what} appears in the log");
        }
    }
);

fn uuid_like() -> String {
    academy_identity::token::random_secret()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect()
}

storage_test!(
    what_people_search_for_never_reaches_the_logs,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let logs = captured_logs();
        let app = TestApp::shipped(db).await;
        let unique = uuid_like().to_lowercase();
        let queries = [
            format!("torture in my village {unique}"),
            format!("\"urgent appeal {unique}"),
            format!("{unique}{}", "x".repeat(300)),
        ];
        for query in &queries {
            let encoded = query.replace(' ', "+").replace('"', "%22");
            app.get(&format!("/api/search?q={encoded}&lang=en")).await;
            app.get(&format!("/api/search/suggest?q={encoded}")).await;
        }
        // A marker proving this test's requests reach the captured log.
        let marker = format!("/api/search-marker-{}", uuid_like());
        app.get(&marker).await;

        let logs = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
        assert!(logs.contains(&marker), "the log capture does not work");
        assert!(
            !logs.contains(&unique[..12]),
            "a search query appears in the log"
        );
    }
);
