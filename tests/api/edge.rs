//! Input at the edge: every path and query parameter of every operation in `/openapi.json`,
//! sent a NUL byte, invalid UTF-8, an overlong value or a bidirectional-override character,
//! anonymously and as an admin, is answered 400 `{code, message}` (never 5xx) on both
//! databases, and typed parameters refuse values outside their rule.

use academy_identity::Role;
use academy_testing::{TestDb, storage_test};
use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// What is sent in place of one parameter, percent-encoded as it goes on the wire.
fn hostile() -> Vec<(&'static str, String)> {
    vec![
        ("NUL", "%00".to_owned()),
        ("invalid UTF-8", "%ff".to_owned()),
        ("5,000 characters", "a".repeat(5000)),
        ("RTL override", "a%E2%80%AEb".to_owned()),
    ]
}

/// One parameter of one operation.
struct Param {
    method: Method,
    path: String,
    name: String,
    in_path: bool,
    has_body: bool,
    /// The other path parameters, with an ordinary value each.
    others: Vec<(String, &'static str)>,
}

fn parameters(spec: &Value) -> Vec<Param> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let method: Method = method.to_uppercase().parse().expect("a method");
            let params = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let filler = |p: &Value| match p["schema"]["type"].as_str() {
                Some("integer") => "1",
                _ => "universal-periodic-review",
            };
            for p in &params {
                let place = p["in"].as_str().unwrap_or_default();
                if place != "path" && place != "query" {
                    continue;
                }
                let name = p["name"].as_str().expect("a name").to_owned();
                let others = params
                    .iter()
                    .filter(|o| o["in"] == "path" && o["name"] != name.as_str())
                    .map(|o| (o["name"].as_str().unwrap_or_default().to_owned(), filler(o)))
                    .collect();
                out.push(Param {
                    method: method.clone(),
                    path: path.clone(),
                    name,
                    in_path: place == "path",
                    has_body: operation.get("requestBody").is_some(),
                    others,
                });
            }
        }
    }
    out
}

impl Param {
    fn uri(&self, value: &str) -> String {
        let mut uri = self.path.clone();
        for (name, filler) in &self.others {
            uri = uri.replace(&format!("{{{name}}}"), filler);
        }
        if self.in_path {
            uri.replace(&format!("{{{}}}", self.name), value)
        } else {
            format!("{uri}?{}={value}", self.name)
        }
    }
}

storage_test!(
    hostile_values_in_every_parameter_are_answered_400_with_a_short_json_error,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let admin = app.person("Edge admin", &[Role::Admin]).await;
        let spec = app.get("/openapi.json").await.json();
        let params = parameters(&spec);
        assert!(params.len() >= 20, "only {} parameters found", params.len());
        let mut failures = Vec::new();
        for param in &params {
            for (what, value) in hostile() {
                for token in [None, Some(admin.token.as_str())] {
                    let uri = param.uri(&value);
                    let body = param.has_body.then(|| json!({}));
                    let reply = app.send_as(token, param.method.clone(), &uri, body).await;
                    let who = if token.is_some() { "admin" } else { "anonymous" };
                    let case = format!(
                        "{} {} `{}` = {what} ({who})",
                        param.method, param.path, param.name
                    );
                    if reply.status != StatusCode::BAD_REQUEST {
                        failures.push(format!("{case}: {}", reply.status));
                        continue;
                    }
                    let body = reply.json();
                    let message = body["message"].as_str().unwrap_or_default();
                    if body["code"].as_str().is_none_or(str::is_empty)
                        || message.is_empty()
                        || message.chars().count() > 200
                        || message.contains(['\0', '\u{202e}', '\u{fffd}'])
                    {
                        failures.push(format!("{case}: {body}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
);

storage_test!(
    typed_parameters_refuse_values_outside_their_rule,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let person = app.person("Edge learner", &[]).await;

        let reply = app.get("/api/courses/Universal-Periodic-Review").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(reply.json()["message"].as_str().unwrap().contains("slug"));
        let reply = app
            .get("/api/courses/universal-periodic-review/lessons/a--b")
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let reply = app.get("/api/search?q=review&course=UPR").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);

        let reply = person
            .send(&app, Method::DELETE, "/api/me/sessions/not-a-uuid", None)
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            reply.json()["message"],
            "`id` in the path must be a UUID."
        );
        // A well-formed id that is not the caller's is simply not found; their own, in capitals,
        // is theirs.
        let other = "00000000-0000-4000-8000-000000000000";
        let uri = format!("/api/me/sessions/{other}");
        let reply = person.send(&app, Method::DELETE, &uri, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        let uri = format!("/api/me/sessions/{}", person.session_id.to_uppercase());
        let reply = person.send(&app, Method::DELETE, &uri, None).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
    }
);

storage_test!(
    ordinary_text_passes_the_edge,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        // Arabic and Persian (with a zero-width non-joiner), `+` for a space, a lone `%`.
        for q in ["%D8%A7%D9%84%D8%A7%D8%B3%D8%AA%D8%B9%D8%B1%D8%A7%D8%B6", "periodic+review", "mi%E2%80%8Cravad", "100%"] {
            let reply = app.get(&format!("/api/search?q={q}")).await;
            assert_ne!(
                reply.json()["code"],
                "invalid_character",
                "{q}: {}",
                reply.json()
            );
            assert!(reply.status.as_u16() < 500);
        }
        assert_eq!(app.get("/api/courses?lang=fr-CH").await.status, StatusCode::OK);
    }
);

storage_test!(
    the_document_declares_vocabularies_bounds_and_an_optional_sign_out,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let spec = app.get("/openapi.json").await.json();
        let mut seen = std::collections::BTreeMap::<String, usize>::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for p in operation["parameters"].as_array().cloned().unwrap_or_default() {
                    let name = p["name"].as_str().unwrap().to_owned();
                    let schema = &p["schema"];
                    let at = format!("{method} {path} `{name}`");
                    match name.as_str() {
                        "lang" | "level" | "mechanism" | "role" => {
                            let tags = schema["enum"].as_array();
                            assert!(tags.is_some_and(|t| !t.is_empty()), "{at}: {schema}");
                        }
                        "limit" => {
                            assert_eq!(schema["minimum"].as_f64(), Some(1.0), "{at}: {schema}");
                            assert!(schema["maximum"].as_f64().is_some_and(|m| m >= 20.0), "{at}");
                        }
                        _ => continue,
                    }
                    *seen.entry(name).or_default() += 1;
                }
            }
        }
        for name in ["lang", "level", "mechanism", "role", "limit"] {
            assert!(seen.contains_key(name), "no `{name}` parameter checked: {seen:?}");
        }
        let languages = &spec["paths"]["/api/courses"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "lang")
            .unwrap()["schema"]["enum"];
        assert_eq!(languages.as_array().unwrap().len(), 6);
        // Signing out needs no credentials: an empty requirement beside the two schemes.
        let security = spec["paths"]["/api/auth/logout"]["post"]["security"]
            .as_array()
            .unwrap();
        assert!(security.iter().any(|s| s.as_object().unwrap().is_empty()), "{security:?}");
        assert!(security.len() >= 3, "{security:?}");
        // Regional variants stay accepted, and out-of-range values keep their codes.
        assert_eq!(app.get("/api/courses?lang=fr-CH").await.status, StatusCode::OK);
        assert_eq!(app.get("/api/courses?limit=101").await.error_code(), "invalid_limit");
        assert_eq!(app.get("/api/courses?level=expert").await.error_code(), "unknown_level");
    }
);
