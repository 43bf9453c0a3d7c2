//! Error messages speak the API's language: parameters by their documented names, no schema
//! internals, and never more than a short prefix of what was sent.

use academy_identity::Role;
use academy_testing::{Backend, TestDb};
use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Reply, TestApp};

/// Asserts a 400 or 404 in the JSON shape whose message is short and free of internals.
fn assert_plain(reply: &Reply, status: StatusCode) -> String {
    assert_eq!(reply.status, status);
    reply.error_code();
    let message = reply.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for internal in [
        "param0",
        "integer",
        "int32",
        "uint32",
        "ProfilePatch",
        "[1,1",
    ] {
        assert!(!message.contains(internal), "`{internal}` in: {message}");
    }
    assert!(message.len() < 200, "a long message: {message}");
    message
}

#[tokio::test]
async fn parameters_are_named_as_documented_and_input_is_not_echoed() {
    let db = TestDb::new(Backend::Sqlite).await.expect("SQLite");
    let app = TestApp::start(db, |_| {}).await;
    let admin = app.person("Amal", &[Role::Admin]).await;

    let reply = admin.get(&app, "/api/admin/users/99999999999").await;
    let message = assert_plain(&reply, StatusCode::BAD_REQUEST);
    assert!(message.contains("`id`"), "{message}");

    let reply = app.get("/api/search?q=review&limit=many").await;
    let message = assert_plain(&reply, StatusCode::BAD_REQUEST);
    assert!(message.contains("`limit`"), "{message}");

    let array = vec![1; 10_000];
    let reply = admin
        .send(
            &app,
            Method::PATCH,
            "/api/me",
            Some(json!({ "display_name": array })),
        )
        .await;
    let message = assert_plain(&reply, StatusCode::BAD_REQUEST);
    assert!(message.contains("expected text"), "{message}");

    let slug = "a".repeat(80);
    let reply = app.get(&format!("/api/courses/{slug}")).await;
    let message = assert_plain(&reply, StatusCode::NOT_FOUND);
    assert!(
        message.contains("aaaa"),
        "a short prefix is shown: {message}"
    );

    let slug = "a".repeat(10_000);
    let reply = app.get(&format!("/api/courses/{slug}")).await;
    let message = assert_plain(&reply, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "value_too_long");
    assert!(!message.contains("aaaa"), "{message}");
}
