//! Error messages speak the API's language: parameters by their documented names, no schema
//! internals, and never more than a short prefix of what was sent.

use academy_identity::Role;
use academy_testing::{Backend, TestDb};
use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

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

/// `body` with the value at `pointer` (a JSON pointer) replaced by `value`.
fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    *body
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the body")) = value;
    body
}

#[tokio::test]
async fn a_number_or_boolean_where_text_is_required_is_a_400_on_every_body() {
    let db = TestDb::new(Backend::Sqlite).await.expect("SQLite");
    let app = TestApp::start(db, |_| {}).await;
    let admin = app.person("Amal", &[Role::Admin]).await;

    let event = json!({"id": "6f1c1b7e-2d7a-4c1e-9f0a-000000000001",
                       "course": "universal-periodic-review", "lesson": "what-is-the-upr",
                       "quiz": "check", "at": "2026-11-30T10:00:00Z", "verb": "experienced"});
    let sync = json!({ "events": [event] });
    let edition = crate::programmes::edition("hrdap-2027", 10, 2, &[]);
    let edition = with(edition, "/courses", json!([]));
    let mut cases = Vec::new();
    for field in ["id", "course", "lesson", "quiz", "at"] {
        for wrong in [json!(123), json!(false)] {
            let pointer = format!("/events/0/{field}");
            let body = with(sync.clone(), &pointer, wrong);
            cases.push((Method::POST, "/api/me/progress/sync", body));
        }
    }
    for field in ["display_name", "language", "country", "gender"] {
        cases.push((Method::PATCH, "/api/me", json!({ field: 756 })));
    }
    for pointer in [
        "/slug",
        "/opens_at",
        "/closes_at",
        "/texts/en/title",
        "/texts/fr/description",
        "/key_dates/geneva_starts",
        "/form/questions/0/id",
        "/form/questions/0/label/en",
        "/form/questions/1/choices/0/id",
        "/form/questions/1/choices/0/label/en",
    ] {
        let body = with(edition.clone(), pointer, json!(2027));
        cases.push((Method::POST, "/api/programmes", body));
    }
    let criteria = json!({ "criteria": [{"id": "fit", "label": {"en": 1}}] });
    cases.push((Method::POST, "/api/programmes", {
        let mut body = edition.clone();
        body["criteria"] = criteria["criteria"].clone();
        body
    }));
    cases.push((
        Method::POST,
        "/api/programmes",
        with(edition.clone(), "/courses", json!([7])),
    ));
    let patch = "/api/programmes/hrdap-2027";
    cases.push((Method::PATCH, patch, json!({ "opens_at": 1_800_000_000 })));
    cases.push((Method::PATCH, patch, json!({ "courses": [true] })));
    cases.push((Method::PATCH, patch, criteria));
    let application = "/api/programmes/hrdap-2027/application";
    cases.push((
        Method::PUT,
        application,
        json!({ "answers": {}, "language": 33 }),
    ));
    let review = "/api/programmes/hrdap-2027/applications/1/review";
    cases.push((Method::PUT, review, json!({ "comment": 5 })));
    let decision = "/api/programmes/hrdap-2027/applications/1/decision";
    cases.push((
        Method::POST,
        decision,
        json!({ "decision": "accepted", "reply_by": 1 }),
    ));

    for (method, path, body) in cases {
        let reply = admin
            .send(&app, method.clone(), path, Some(body.clone()))
            .await;
        let case = format!("{method} {path} {body}");
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{case}");
        assert_eq!(reply.error_code(), "bad_request", "{case}");
        let message = assert_plain(&reply, StatusCode::BAD_REQUEST);
        assert!(message.contains("expected text"), "{case}: {message}");
    }

    // The same bodies with text where text goes are taken.
    let reply = admin
        .send(&app, Method::POST, "/api/me/progress/sync", Some(sync))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = admin
        .send(&app, Method::POST, "/api/programmes", Some(edition))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    let reply = admin
        .send(
            &app,
            Method::PATCH,
            "/api/me",
            Some(json!({ "display_name": "Amal K." })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    // `null` clears a profile field, and the document says a field may be `null`.
    let spec = app.get("/openapi.json").await.json();
    let fields = spec["components"]["schemas"]["ProfilePatch"]["properties"]
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(fields.len(), 6);
    for (name, schema) in fields {
        assert_eq!(schema["nullable"], true, "{name}");
    }
    let reply = admin
        .send(
            &app,
            Method::PATCH,
            "/api/me",
            Some(json!({ "country": null })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}
