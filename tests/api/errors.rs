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

#[tokio::test]
async fn a_method_the_path_does_not_take_is_a_json_405_with_allow() {
    let db = TestDb::new(Backend::Sqlite).await.expect("SQLite");
    let app = TestApp::start(db, |_| {}).await;

    let reply = app.send(Method::POST, "/api/courses", &[], None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.error_code(), "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    assert_eq!(
        reply.json()["message"],
        "POST is not allowed here. Allowed: GET, HEAD."
    );

    let reply = app.send(Method::PUT, "/api/me", &[], None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), Some("DELETE, GET, HEAD, PATCH"));

    // A path with parameters: the methods of its template.
    let reply = app
        .send(Method::GET, "/api/admin/users/7/roles/admin", &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), Some("DELETE, PUT"));
    assert_eq!(reply.error_code(), "method_not_allowed");
}

#[tokio::test]
async fn too_many_or_too_large_headers_are_a_json_431() {
    let db = TestDb::new(Backend::Sqlite).await.expect("SQLite");
    let app = TestApp::start(db, |_| {}).await;

    let names: Vec<String> = (0..120).map(|i| format!("x-extra-{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let reply = app.get_with("/health", &many).await;
    assert_eq!(reply.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(reply.error_code(), "headers_too_large");

    let cookie = "c".repeat(40 << 10);
    let reply = app.get_with("/api/me", &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(reply.error_code(), "headers_too_large");

    let names: Vec<String> = (0..50).map(|i| format!("x-extra-{i}")).collect();
    let fifty: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    assert_eq!(app.get_with("/health", &fifty).await.status, StatusCode::OK);
}
