//! The role × endpoint matrix: every operation of `/openapi.json`, called by an anonymous
//! client, a learner, a trainer, a staff member and an admin, answers the status its row says.
//! An operation without a row (or a row without an operation) fails the test, so no new
//! endpoint can skip it.

use std::collections::BTreeSet;

use academy_identity::{Role, SessionKind};
use academy_testing::{TestDb, storage_test};
use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{helpers::TestApp, identity_support::Person};

/// Who calls, in the order of a row's statuses.
const WHO: [&str; 5] = ["anonymous", "learner", "trainer", "staff", "admin"];

/// What a call needs besides its address.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    Nothing,
    /// A fresh account of the caller's role (the call erases the caller or ends their session).
    FreshCaller,
    /// The id of another session of the caller, in place of `{id}`.
    OwnSession,
}

/// One operation: method, OpenAPI path, the address called, a body, what it needs, and the
/// status for each of [`WHO`].
struct Row {
    method: Method,
    path: &'static str,
    uri: String,
    body: Option<Value>,
    needs: Needs,
    expect: [u16; 5],
}

fn row(method: Method, path: &'static str, uri: &str, expect: [u16; 5]) -> Row {
    Row {
        method,
        path,
        uri: uri.to_owned(),
        body: None,
        needs: Needs::Nothing,
        expect,
    }
}

const PUBLIC: [u16; 5] = [200; 5];
const SIGNED_IN: [u16; 5] = [401, 200, 200, 200, 200];
const ADMIN: [u16; 5] = [401, 403, 403, 403, 200];
const STAFF: [u16; 5] = [401, 403, 403, 200, 200];

/// The matrix. `subject` is an account the admin operations act on; `application` is the
/// subject's submitted application to the edition `matrix-2027`.
fn matrix(subject: i32, application: i64) -> Vec<Row> {
    use Method as M;
    let course = "/api/courses/universal-periodic-review";
    let edition = "/api/programmes/matrix-2027";
    vec![
        row(M::GET, "/health", "/health", PUBLIC),
        row(M::GET, "/ready", "/ready", PUBLIC),
        row(M::GET, "/api/courses", "/api/courses", PUBLIC),
        row(M::GET, "/api/courses/{slug}", course, PUBLIC),
        row(
            M::GET,
            "/api/courses/{slug}/lessons/{lesson}",
            &format!("{course}/lessons/what-is-the-upr"),
            PUBLIC,
        ),
        row(
            M::GET,
            "/api/courses/{slug}/quizzes/{quiz}",
            &format!("{course}/quizzes/how-the-upr-works-check"),
            PUBLIC,
        ),
        // A cohort-only course: organisers (trainers, staff, admins) read it; everyone else
        // (here, no participant) is told it does not exist.
        row(
            M::GET,
            "/api/courses/{slug}",
            "/api/courses/hrdap-preparing-geneva",
            [404, 404, 200, 200, 200],
        ),
        row(
            M::GET,
            "/api/courses/{slug}/bundle",
            &format!("{course}/bundle"),
            PUBLIC,
        ),
        row(M::GET, "/api/mechanisms", "/api/mechanisms", PUBLIC),
        row(M::GET, "/api/search", "/api/search?q=review", PUBLIC),
        row(
            M::GET,
            "/api/search/suggest",
            "/api/search/suggest?q=rev",
            PUBLIC,
        ),
        row(M::GET, "/api/auth/providers", "/api/auth/providers", PUBLIC),
        // No provider is configured here: the sign-in flow itself is tested in identity_sign_in.
        row(
            M::GET,
            "/api/auth/login/{provider}",
            "/api/auth/login/none",
            [404; 5],
        ),
        row(
            M::GET,
            "/api/auth/callback/{provider}",
            "/api/auth/callback/none?state=s&code=c",
            [404; 5],
        ),
        Row {
            needs: Needs::FreshCaller,
            ..row(M::POST, "/api/auth/logout", "/api/auth/logout", [204; 5])
        },
        row(M::GET, "/api/me", "/api/me", SIGNED_IN),
        Row {
            body: Some(json!({"language": "fr"})),
            ..row(M::PATCH, "/api/me", "/api/me", SIGNED_IN)
        },
        Row {
            needs: Needs::FreshCaller,
            ..row(M::DELETE, "/api/me", "/api/me", [401, 204, 204, 204, 204])
        },
        row(M::GET, "/api/me/export", "/api/me/export", SIGNED_IN),
        row(M::GET, "/api/me/sessions", "/api/me/sessions", SIGNED_IN),
        Row {
            needs: Needs::OwnSession,
            ..row(
                M::DELETE,
                "/api/me/sessions/{id}",
                "/api/me/sessions/{id}",
                [401, 204, 204, 204, 204],
            )
        },
        row(M::GET, "/api/admin/users", "/api/admin/users", ADMIN),
        row(
            M::GET,
            "/api/admin/users/{id}",
            &format!("/api/admin/users/{subject}"),
            ADMIN,
        ),
        row(
            M::PUT,
            "/api/admin/users/{id}/roles/{role}",
            &format!("/api/admin/users/{subject}/roles/trainer"),
            ADMIN,
        ),
        row(
            M::DELETE,
            "/api/admin/users/{id}/roles/{role}",
            &format!("/api/admin/users/{subject}/roles/trainer"),
            ADMIN,
        ),
        row(M::GET, "/api/admin/audit", "/api/admin/audit", ADMIN),
        row(
            M::POST,
            "/api/courses/{slug}/enrolment",
            &format!("{course}/enrolment"),
            [401, 201, 201, 201, 201],
        ),
        row(
            M::DELETE,
            "/api/courses/{slug}/enrolment",
            &format!("{course}/enrolment"),
            [401, 204, 204, 204, 204],
        ),
        row(
            M::GET,
            "/api/me/enrolments",
            "/api/me/enrolments",
            SIGNED_IN,
        ),
        // The first organiser to create it gets it; the others find the slug taken.
        Row {
            body: Some(crate::programmes::edition("matrix-new", 2, 0, &[])),
            ..row(
                M::POST,
                "/api/programmes",
                "/api/programmes",
                [401, 403, 201, 409, 409],
            )
        },
        row(M::GET, "/api/programmes", "/api/programmes", PUBLIC),
        row(M::GET, "/api/programmes/{slug}", edition, PUBLIC),
        // The matrix's trainer is not assigned to the edition.
        Row {
            body: Some(json!({"blind_review": false})),
            ..row(
                M::PATCH,
                "/api/programmes/{slug}",
                edition,
                [401, 403, 403, 200, 200],
            )
        },
        Row {
            body: Some(crate::programmes::answers(None)),
            ..row(
                M::PUT,
                "/api/programmes/{slug}/application",
                &format!("{edition}/application"),
                [401, 201, 201, 201, 201],
            )
        },
        row(
            M::GET,
            "/api/programmes/{slug}/application",
            &format!("{edition}/application"),
            SIGNED_IN,
        ),
        row(
            M::POST,
            "/api/programmes/{slug}/application/submit",
            &format!("{edition}/application/submit"),
            SIGNED_IN,
        ),
        row(
            M::POST,
            "/api/programmes/{slug}/application/withdraw",
            &format!("{edition}/application/withdraw"),
            SIGNED_IN,
        ),
        row(
            M::POST,
            "/api/programmes/{slug}/offer/accept",
            &format!("{edition}/offer/accept"),
            [401, 409, 409, 409, 409],
        ),
        row(
            M::POST,
            "/api/programmes/{slug}/offer/decline",
            &format!("{edition}/offer/decline"),
            [401, 409, 409, 409, 409],
        ),
        row(
            M::GET,
            "/api/programmes/{slug}/applications",
            &format!("{edition}/applications"),
            [401, 403, 403, 200, 200],
        ),
        row(
            M::GET,
            "/api/programmes/{slug}/applications/{id}",
            &format!("{edition}/applications/{application}"),
            [401, 403, 403, 200, 200],
        ),
        // Scores come from the edition's own trainers only, not from staff or admins.
        Row {
            body: Some(json!({"conflict_of_interest": true})),
            ..row(
                M::PUT,
                "/api/programmes/{slug}/applications/{id}/review",
                &format!("{edition}/applications/{application}/review"),
                [401, 403, 403, 403, 403],
            )
        },
        Row {
            body: Some(json!({"decision": "waitlisted"})),
            ..row(
                M::POST,
                "/api/programmes/{slug}/applications/{id}/decision",
                &format!("{edition}/applications/{application}/decision"),
                [401, 403, 403, 403, 200],
            )
        },
        row(
            M::GET,
            "/api/programmes/{slug}/cohort",
            &format!("{edition}/cohort"),
            [401, 403, 403, 200, 200],
        ),
        row(
            M::GET,
            "/api/me/notifications",
            "/api/me/notifications",
            SIGNED_IN,
        ),
        Row {
            body: Some(json!({"completed": true})),
            ..row(
                M::PUT,
                "/api/me/progress/{course}/lessons/{lesson}",
                "/api/me/progress/universal-periodic-review/lessons/what-is-the-upr",
                SIGNED_IN,
            )
        },
        row(M::GET, "/api/me/progress", "/api/me/progress", SIGNED_IN),
        row(
            M::GET,
            "/api/me/progress/{course}",
            "/api/me/progress/universal-periodic-review",
            SIGNED_IN,
        ),
        Row {
            body: Some(json!({"events": []})),
            ..row(
                M::POST,
                "/api/me/progress/sync",
                "/api/me/progress/sync",
                SIGNED_IN,
            )
        },
        // An attempt without answers: refused after authentication, naming the question.
        Row {
            body: Some(json!({"answers": {}})),
            ..row(
                M::POST,
                "/api/courses/{slug}/quizzes/{quiz}/attempts",
                &format!("{course}/quizzes/how-the-upr-works-check/attempts"),
                [401, 400, 400, 400, 400],
            )
        },
        // Nobody's notification 0: signed-in callers get 404 after authentication.
        row(
            M::POST,
            "/api/me/notifications/{id}/read",
            "/api/me/notifications/0/read",
            [401, 404, 404, 404, 404],
        ),
        // Certificates: an id no certificate has, so nothing changes.
        row(
            M::GET,
            "/.well-known/did.json",
            "/.well-known/did.json",
            PUBLIC,
        ),
        row(
            M::GET,
            "/api/certificates/{id}",
            "/api/certificates/00000000-0000-4000-8000-000000000000",
            [404; 5],
        ),
        row(
            M::GET,
            "/api/certificates/status/{list}",
            "/api/certificates/status/1",
            PUBLIC,
        ),
        Row {
            body: Some(json!({"issuer": "did:web:elsewhere.example"})),
            ..row(
                M::POST,
                "/api/certificates/verify",
                "/api/certificates/verify",
                PUBLIC,
            )
        },
        row(
            M::GET,
            "/certificates/{id}",
            "/certificates/not-a-uuid",
            [400; 5],
        ),
        Row {
            body: Some(json!({"reason": "matrix"})),
            ..row(
                M::POST,
                "/api/certificates/{id}/revoke",
                "/api/certificates/00000000-0000-4000-8000-000000000000/revoke",
                [401, 403, 403, 404, 404],
            )
        },
        row(
            M::GET,
            "/api/me/certificates",
            "/api/me/certificates",
            SIGNED_IN,
        ),
        Row {
            body: Some(json!({"name": "none"})),
            ..row(
                M::POST,
                "/api/me/certificates/{id}/claim",
                "/api/me/certificates/00000000-0000-4000-8000-000000000000/claim",
                [401, 404, 404, 404, 404],
            )
        },
        row(M::GET, "/api/stats/reach", "/api/stats/reach", STAFF),
        row(
            M::GET,
            "/api/stats/programmes/{slug}",
            "/api/stats/programmes/matrix-2027",
            STAFF,
        ),
        row(M::GET, "/api/stats/courses", "/api/stats/courses", STAFF),
    ]
}

/// Operations as (method, OpenAPI path).
type Operations = BTreeSet<(String, String)>;

/// Every (method, path) of the OpenAPI document, and those whose operation needs credentials.
fn operations(spec: &Value) -> (Operations, Operations) {
    let mut all = BTreeSet::new();
    let mut secured = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("an operation map") {
            let key = (method.to_uppercase(), path.clone());
            if operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
            {
                secured.insert(key.clone());
            }
            all.insert(key);
        }
    }
    (all, secured)
}

async fn caller(app: &TestApp, who: &str) -> Option<Person> {
    let roles: &[Role] = match who {
        "anonymous" => return None,
        "learner" => &[],
        "trainer" => &[Role::Trainer],
        "staff" => &[Role::Staff],
        _ => &[Role::Admin],
    };
    Some(app.person(who, roles).await)
}

storage_test!(
    every_operation_answers_each_role_as_its_row_says,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let subject = app.person("Subject", &[]).await;
        // An edition run by a trainer who is none of the matrix's callers.
        let owner = app.person("Owner", &[Role::Trainer]).await;
        let created = owner
            .send(
                &app,
                Method::POST,
                "/api/programmes",
                Some(crate::programmes::edition("matrix-2027", 2, 5, &[])),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
        let application =
            crate::programmes::apply(&app, &subject, "matrix-2027", None).await;
        let rows = matrix(subject.id, application);

        let spec = app.get("/openapi.json").await.json();
        let (documented, secured) = operations(&spec);
        let covered: Operations = rows
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_owned()))
            .collect();
        let missing: Vec<_> = documented.difference(&covered).collect();
        assert!(
            missing.is_empty(),
            "operations without a row in the matrix: {missing:?}"
        );
        let unknown: Vec<_> = covered.difference(&documented).collect();
        assert!(
            unknown.is_empty(),
            "rows for operations the API does not have: {unknown:?}"
        );

        let mut callers = Vec::new();
        for who in WHO {
            callers.push(caller(&app, who).await);
        }
        for row in &rows {
            for (i, who) in WHO.iter().enumerate() {
                let fresh;
                let person = match (row.needs, &callers[i]) {
                    (Needs::FreshCaller, Some(_)) => {
                        fresh = caller(&app, who).await;
                        fresh.as_ref()
                    }
                    (_, person) => person.as_ref(),
                };
                let uri = match (row.needs, person) {
                    (Needs::OwnSession, Some(p)) => {
                        let other = app.session_for(p.id, SessionKind::Token).await;
                        row.uri.replace("{id}", &other.session_id)
                    }
                    (Needs::OwnSession, None) => {
                        row.uri.replace("{id}", "00000000-0000-0000-0000-000000000000")
                    }
                    _ => row.uri.clone(),
                };
                let token = person.map(|p| p.token.as_str());
                let reply = app
                    .send_as(token, row.method.clone(), &uri, row.body.clone())
                    .await;
                let expected = row.expect[i];
                assert_eq!(
                    reply.status,
                    StatusCode::from_u16(expected).unwrap(),
                    "{who}: {} {uri}: {}",
                    row.method,
                    String::from_utf8_lossy(&reply.body)
                );
                if expected >= 400 {
                    reply.error_code();
                }
                let key = (row.method.to_string(), row.path.to_owned());
                if expected == 200 && secured.contains(&key) {
                    assert_eq!(
                        reply.header("cache-control"),
                        Some("no-store"),
                        "personal data is never cached: {} {uri}",
                        row.method
                    );
                }
            }
        }
    }
);
