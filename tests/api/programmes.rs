//! Enrolment and the HRDAP programme through the API, on SQLite and PostgreSQL: self-enrolment,
//! the whole selection path (edition → applications → reviews → decisions → offers → waitlist
//! → cohort), capacity under concurrent acceptances, sensitive answers sealed at rest, audited
//! reads, and e-mail through a real SMTP server.

use std::time::Duration;

use academy_identity::Role;
use academy_testing::{TestDb, storage_test};
use chrono::Utc;
use futures_util::future::join_all;
use poem::http::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::{
    helpers::{Reply, TestApp},
    identity_support::Person,
};

/// A secret that must never appear in the database in plain text.
const RISK: &str = "Followed after the last session; our office was searched (marker kx7Qv2).";

/// An edition open now, with the shipped cohort-only course and a public one as its distance
/// course.
pub fn edition(slug: &str, places: i32, waitlist: i32, trainers: &[i32]) -> Value {
    let now = Utc::now();
    json!({
        "slug": slug,
        "texts": {
            "en": {"title": "HRDAP 2027", "description": "Advocacy programme in Geneva."},
            "fr": {"title": "PFDDH 2027", "description": "Programme de plaidoyer à Genève."}
        },
        "opens_at": (now - chrono::Duration::hours(1)).to_rfc3339(),
        "closes_at": (now + chrono::Duration::days(30)).to_rfc3339(),
        "places": places,
        "waitlist_length": waitlist,
        "courses": ["hrdap-preparing-geneva", "universal-periodic-review"],
        "key_dates": {"geneva_starts": "2027-06-14", "geneva_ends": "2027-06-25"},
        "trainers": trainers,
        "form": {"questions": [
            {"id": "motivation", "kind": "long_text", "label": {"en": "Why do you apply?"},
             "required": true},
            {"id": "track", "kind": "single_choice", "label": {"en": "Track"}, "required": true,
             "choices": [{"id": "un", "label": {"en": "UN"}},
                         {"id": "regional", "label": {"en": "Regional"}}]},
            {"id": "risk", "kind": "long_text", "label": {"en": "Your risk situation"},
             "sensitive": true},
            {"id": "contact", "kind": "email", "label": {"en": "Contact address"},
             "sensitive": true},
            {"id": "country", "kind": "country", "label": {"en": "Country"}},
            {"id": "consent", "kind": "consent", "label": {"en": "I agree"}, "required": true}
        ]}
    })
}

/// Complete answers, with a contact address when given.
pub fn answers(contact: Option<&str>) -> Value {
    let mut answers = json!({
        "motivation": "To bring our shadow report to the UPR (marker p9Rt4).",
        "track": "un",
        "risk": RISK,
        "country": "ke",
        "consent": true
    });
    if let Some(contact) = contact {
        answers["contact"] = json!(contact);
    }
    json!({"answers": answers, "language": "fr"})
}

async fn ok(reply: Reply, status: u16) -> Value {
    assert_eq!(
        reply.status.as_u16(),
        status,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()
    }
}

/// `person` applies to `slug` and submits; returns the application id.
pub async fn apply(app: &TestApp, person: &Person, slug: &str, contact: Option<&str>) -> i64 {
    let draft = ok(
        person
            .send(
                app,
                Method::PUT,
                &format!("/api/programmes/{slug}/application"),
                Some(answers(contact)),
            )
            .await,
        201,
    )
    .await;
    let submitted = ok(
        person
            .send(
                app,
                Method::POST,
                &format!("/api/programmes/{slug}/application/submit"),
                None,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(submitted["status"], "submitted");
    draft["id"].as_i64().unwrap()
}

async fn decide(app: &TestApp, by: &Person, slug: &str, id: i64, decision: &str) -> Value {
    ok(
        by.send(
            app,
            Method::POST,
            &format!("/api/programmes/{slug}/applications/{id}/decision"),
            Some(json!({"decision": decision})),
        )
        .await,
        200,
    )
    .await
}

async fn status_of(app: &TestApp, person: &Person, slug: &str) -> Value {
    ok(
        person
            .get(app, &format!("/api/programmes/{slug}/application"))
            .await,
        200,
    )
    .await
}

async fn kinds(app: &TestApp, person: &Person) -> Vec<String> {
    let list = ok(person.get(app, "/api/me/notifications").await, 200).await;
    list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

storage_test!(
    self_enrolment_is_idempotent_kept_on_leaving_and_refused_for_cohort_courses,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let learner = app.person("Learner", &[]).await;
        let path = "/api/courses/universal-periodic-review/enrolment";

        let first = ok(learner.send(&app, Method::POST, path, None).await, 201).await;
        assert_eq!(first["status"], "active");
        assert_eq!(first["source"], "self");
        let again = ok(learner.send(&app, Method::POST, path, None).await, 200).await;
        assert_eq!(again["enrolled_at"], first["enrolled_at"]);

        // Concurrent enrolments of one person in one course: still one enrolment.
        let other = app.person("Other", &[]).await;
        let other_path = "/api/courses/treaty-bodies/enrolment";
        let replies = join_all(
            (0..12).map(|_| other.send(&app, Method::POST, other_path, None)),
        )
        .await;
        let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
        let existing = replies.iter().filter(|r| r.status == StatusCode::OK).count();
        assert_eq!((created, existing), (1, 11));

        ok(learner.send(&app, Method::DELETE, path, None).await, 204).await;
        let mine = ok(learner.get(&app, "/api/me/enrolments").await, 200).await;
        assert_eq!(mine["enrolments"][0]["status"], "left");
        assert!(mine["enrolments"][0]["left_at"].is_string());
        let back = ok(learner.send(&app, Method::POST, path, None).await, 200).await;
        assert_eq!(back["status"], "active");
        assert_eq!(back["enrolled_at"], first["enrolled_at"]);

        // A cohort-only course: unseen by a learner, refused to an organiser.
        let cohort = "/api/courses/hrdap-preparing-geneva/enrolment";
        let hidden = learner.send(&app, Method::POST, cohort, None).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        let trainer = app.person("Trainer", &[Role::Trainer]).await;
        let refused = trainer.send(&app, Method::POST, cohort, None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.error_code(), "cohort_only");
        let unknown = learner
            .send(&app, Method::POST, "/api/courses/no-such-course/enrolment", None)
            .await;
        assert_eq!(unknown.error_code(), "course_not_found");

        let rows = app
            .db
            .db
            .query_one_raw(Statement::from_string(
                app.db.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM enrolments".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = rows.try_get("", "n").unwrap();
        assert_eq!(n, 2, "one row per person and course");
    }
);

storage_test!(
    an_edition_goes_from_applications_to_review_decisions_offers_the_waitlist_and_a_roster,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let staff = app.person("Staff", &[Role::Staff]).await;
        let trainer_a = app.person("Trainer A", &[Role::Trainer]).await;
        let trainer_b = app.person("Trainer B", &[Role::Trainer]).await;
        let outsider = app.person("Trainer C", &[Role::Trainer]).await;
        let slug = "hrdap-2027";

        // Only organisers create editions; a learner cannot.
        let learner = app.person("Learner", &[]).await;
        let refused = learner
            .send(&app, Method::POST, "/api/programmes", Some(edition(slug, 2, 2, &[])))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let created = ok(
            staff
                .send(
                    &app,
                    Method::POST,
                    "/api/programmes",
                    Some(edition(slug, 2, 2, &[trainer_a.id, trainer_b.id])),
                )
                .await,
            201,
        )
        .await;
        assert_eq!(created["accepting_applications"], true);
        assert_eq!(created["trainers"], json!([trainer_a.id, trainer_b.id]));
        let taken = staff
            .send(&app, Method::POST, "/api/programmes", Some(edition(slug, 2, 2, &[])))
            .await;
        assert_eq!(taken.error_code(), "slug_taken");
        // The public view has the form but not the trainers.
        let public = ok(app.get(&format!("/api/programmes/{slug}")).await, 200).await;
        assert_eq!(public["form"]["questions"][0]["id"], "motivation");
        assert!(public.get("trainers").is_none());
        let listed = ok(app.get("/api/programmes").await, 200).await;
        assert_eq!(listed["programmes"][0]["slug"], slug);

        // Bad answers are refused, naming the question; nothing is saved.
        let applicants = [
            app.person("Amina", &[]).await,
            app.person("Bao", &[]).await,
            app.person("Carlos", &[]).await,
            app.person("Dana", &[]).await,
        ];
        let app_path = format!("/api/programmes/{slug}/application");
        for (body, question) in [
            (json!({"answers": {"nope": "x"}}), "nope"),
            (json!({"answers": {"track": ["un", "regional"]}}), "track"),
            (json!({"answers": {"contact": "not-an-address"}}), "contact"),
            (json!({"answers": {"motivation": "x".repeat(4001)}}), "motivation"),
        ] {
            let reply = applicants[0]
                .send(&app, Method::PUT, &app_path, Some(body))
                .await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST);
            assert_eq!(reply.error_code(), "invalid_answer");
            assert!(reply.json()["message"].as_str().unwrap().contains(question));
        }
        let none = applicants[0].get(&app, &app_path).await;
        assert_eq!(none.error_code(), "application_not_found");
        // A draft missing a required answer cannot be submitted.
        ok(
            applicants[0]
                .send(&app, Method::PUT, &app_path, Some(json!({"answers": {"track": "un"}})))
                .await,
            201,
        )
        .await;
        let incomplete = applicants[0]
            .send(&app, Method::POST, &format!("{app_path}/submit"), None)
            .await;
        assert_eq!(incomplete.error_code(), "invalid_answer");
        assert!(incomplete.json()["message"].as_str().unwrap().contains("motivation"));
        let saved = ok(
            applicants[0]
                .send(&app, Method::PUT, &app_path, Some(answers(None)))
                .await,
            200,
        )
        .await;
        assert_eq!(saved["answers"]["risk"], RISK);
        assert_eq!(saved["answers"]["country"], "KE");
        ok(
            applicants[0]
                .send(&app, Method::POST, &format!("{app_path}/submit"), None)
                .await,
            200,
        )
        .await;
        let twice = applicants[0]
            .send(&app, Method::POST, &format!("{app_path}/submit"), None)
            .await;
        assert_eq!(twice.error_code(), "already_submitted");
        let mut ids = vec![saved["id"].as_i64().unwrap()];
        for person in &applicants[1..] {
            ids.push(apply(&app, person, slug, None).await);
        }

        // The form is frozen now.
        let frozen = staff
            .send(
                &app,
                Method::PATCH,
                &format!("/api/programmes/{slug}"),
                Some(json!({"form": {"questions": []}})),
            )
            .await;
        assert_eq!(frozen.error_code(), "form_frozen");

        // Review: assigned trainers only; others are refused.
        let list_path = format!("/api/programmes/{slug}/applications");
        let list = ok(trainer_a.get(&app, &list_path).await, 200).await;
        assert_eq!(list["applications"].as_array().unwrap().len(), 4);
        assert_eq!(list["applications"][0]["applicant"]["display_name"], "Amina");
        for who in [&outsider, &applicants[1]] {
            let reply = who.get(&app, &list_path).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN);
            assert_eq!(reply.error_code(), "not_assigned");
        }
        let review_path = format!("{list_path}/{}/review", ids[0]);
        let scores = |m, a, i| json!({"scores": {"motivation": m, "advocacy_experience": a, "expected_impact": i}});
        ok(trainer_a.send(&app, Method::PUT, &review_path, Some(scores(5, 4, 3))).await, 200).await;
        ok(trainer_b.send(&app, Method::PUT, &review_path, Some(scores(3, 3, 3))).await, 200).await;
        let bad = trainer_b
            .send(&app, Method::PUT, &review_path, Some(json!({"scores": {"motivation": 6}})))
            .await;
        assert_eq!(bad.error_code(), "invalid_review");
        let by_staff = staff.send(&app, Method::PUT, &review_path, Some(scores(1, 1, 1))).await;
        assert_eq!(by_staff.error_code(), "not_assigned");
        let opened = ok(trainer_a.get(&app, &format!("{list_path}/{}", ids[0])).await, 200).await;
        assert_eq!(opened["answers"]["risk"], RISK);
        assert_eq!(opened["application"]["reviews"], 2);
        assert_eq!(opened["application"]["average_score"], 3.5);
        // A declared conflict of interest closes the application to that trainer.
        ok(
            trainer_b
                .send(
                    &app,
                    Method::PUT,
                    &format!("{list_path}/{}/review", ids[1]),
                    Some(json!({"conflict_of_interest": true})),
                )
                .await,
            200,
        )
        .await;
        let closed = trainer_b.get(&app, &format!("{list_path}/{}", ids[1])).await;
        assert_eq!(closed.error_code(), "conflict_of_interest");

        // Decisions: two offers for two places, two on the waitlist.
        let offer = decide(&app, &trainer_a, slug, ids[0], "accepted").await;
        assert_eq!(offer["status"], "offered");
        decide(&app, &trainer_a, slug, ids[1], "accepted").await;
        let first_wait = decide(&app, &trainer_a, slug, ids[2], "waitlisted").await;
        assert_eq!(first_wait["waitlist_position"], 1);
        let second_wait = decide(&app, &trainer_a, slug, ids[3], "waitlisted").await;
        assert_eq!(second_wait["waitlist_position"], 2);
        let again = trainer_a
            .send(
                &app,
                Method::POST,
                &format!("{list_path}/{}/decision", ids[0]),
                Some(json!({"decision": "rejected"})),
            )
            .await;
        assert_eq!(again.error_code(), "already_decided");

        // Before accepting, the cohort-only course is not there for Amina.
        let cohort_course = "/api/courses/hrdap-preparing-geneva";
        assert_eq!(applicants[0].get(&app, cohort_course).await.status, StatusCode::NOT_FOUND);
        let accepted = ok(
            applicants[0]
                .send(&app, Method::POST, &format!("/api/programmes/{slug}/offer/accept"), None)
                .await,
            200,
        )
        .await;
        assert_eq!(accepted["status"], "participant");
        let course = applicants[0].get(&app, cohort_course).await;
        assert_eq!(course.status, StatusCode::OK);
        assert!(course.header("cache-control").unwrap().contains("private"));
        assert_eq!(app.get(cohort_course).await.status, StatusCode::NOT_FOUND);
        assert_eq!(applicants[1].get(&app, cohort_course).await.status, StatusCode::NOT_FOUND);
        // Search finds the cohort course for its participant, and for nobody else.
        let within = "/api/search?q=travel%20security&course=hrdap-preparing-geneva";
        let found = ok(applicants[0].get(&app, within).await, 200).await;
        assert!(found["total"].as_u64().unwrap() > 0, "{found}");
        assert_eq!(app.get(within).await.error_code(), "unknown_course");
        let courses_found = |body: &Value| -> Vec<String> {
            body["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["course"].as_str().unwrap().to_owned())
                .collect()
        };
        let anywhere = "/api/search?q=travel%20security%20geneva&limit=50";
        let public = ok(app.get(anywhere).await, 200).await;
        assert!(!courses_found(&public).contains(&"hrdap-preparing-geneva".to_owned()));
        let participant = ok(applicants[0].get(&app, anywhere).await, 200).await;
        assert!(courses_found(&participant).contains(&"hrdap-preparing-geneva".to_owned()));
        let suggest = "/api/search/suggest?q=hrdap%20prep";
        let suggested = |body: &Value| {
            body["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["course"] == "hrdap-preparing-geneva")
        };
        assert!(suggested(&ok(applicants[0].get(&app, suggest).await, 200).await));
        assert!(!suggested(&ok(app.get(suggest).await, 200).await));

        // Bao declines: Carlos is offered the place at once, Dana moves up.
        ok(
            applicants[1]
                .send(&app, Method::POST, &format!("/api/programmes/{slug}/offer/decline"), None)
                .await,
            200,
        )
        .await;
        assert_eq!(status_of(&app, &applicants[2], slug).await["status"], "offered");
        let dana = status_of(&app, &applicants[3], slug).await;
        assert_eq!(dana["status"], "waitlisted");
        assert_eq!(dana["waitlist_position"], 1);
        assert!(kinds(&app, &applicants[2]).await.contains(&"offer_made".to_owned()));
        assert!(kinds(&app, &applicants[3]).await.contains(&"waitlist_moved".to_owned()));
        let no_offer = applicants[1]
            .send(&app, Method::POST, &format!("/api/programmes/{slug}/offer/accept"), None)
            .await;
        assert_eq!(no_offer.error_code(), "no_offer");
        ok(
            applicants[2]
                .send(&app, Method::POST, &format!("/api/programmes/{slug}/offer/accept"), None)
                .await,
            200,
        )
        .await;

        // The roster: two participants, enrolled in both courses; JSON and CSV.
        let roster_path = format!("/api/programmes/{slug}/cohort");
        let roster = ok(trainer_a.get(&app, &roster_path).await, 200).await;
        let members = roster["members"].as_array().unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0]["display_name"], "Amina");
        assert_eq!(members[0]["courses"][0]["course"], "hrdap-preparing-geneva");
        assert_eq!(members[0]["courses"][0]["status"], "active");
        let csv = trainer_a.get(&app, &format!("{roster_path}?format=csv")).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let text = String::from_utf8(csv.body.clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 2 * 2, "{text}");
        assert!(lines[0].starts_with("programme,application_id,display_name"));
        assert!(text.contains("Carlos"));
        assert_eq!(outsider.get(&app, &roster_path).await.error_code(), "not_assigned");
        // The roster shows each participant's progress, least first when asked.
        let lesson = "/api/me/progress/universal-periodic-review/lessons/what-is-the-upr";
        ok(
            applicants[0]
                .send(&app, Method::PUT, lesson, Some(json!({"completed": true})))
                .await,
            200,
        )
        .await;
        let by_progress = ok(trainer_a.get(&app, &format!("{roster_path}?sort=progress")).await, 200).await;
        assert_eq!(by_progress["members"][0]["display_name"], "Carlos");
        assert_eq!(by_progress["members"][1]["display_name"], "Amina");
        assert!(by_progress["members"][1]["courses"][1]["percent"].as_u64().unwrap() > 0);
        assert!(by_progress["members"][1]["percent"].as_u64().unwrap() > 0);
        assert_eq!(by_progress["members"][0]["percent"], 0);
        // Participants were enrolled by the programme.
        let mine = ok(applicants[0].get(&app, "/api/me/enrolments").await, 200).await;
        assert_eq!(mine["enrolments"][0]["source"], "programme");

        // Notifications, in the language asked for.
        let notes = ok(applicants[0].get(&app, "/api/me/notifications?lang=fr").await, 200).await;
        let kinds_a: Vec<&str> = notes["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds_a, ["place_confirmed", "offer_made", "application_received"]);
        assert!(notes["notifications"][0]["message"].as_str().unwrap().contains("PFDDH 2027"));
        let id = notes["notifications"][0]["id"].as_i64().unwrap();
        ok(
            applicants[0]
                .send(&app, Method::POST, &format!("/api/me/notifications/{id}/read"), None)
                .await,
            204,
        )
        .await;
        let someone_elses = applicants[1]
            .send(&app, Method::POST, &format!("/api/me/notifications/{id}/read"), None)
            .await;
        assert_eq!(someone_elses.error_code(), "notification_not_found");

        // Amina withdraws: her place goes to Dana.
        ok(
            applicants[0]
                .send(&app, Method::POST, &format!("{app_path}/withdraw"), None)
                .await,
            200,
        )
        .await;
        assert_eq!(status_of(&app, &applicants[3], slug).await["status"], "offered");
        assert_eq!(applicants[0].get(&app, cohort_course).await.status, StatusCode::NOT_FOUND);

        // Every read of an application and of the roster is in the audit log.
        let admin = app.person("Admin", &[Role::Admin]).await;
        let audit = ok(admin.get(&app, "/api/admin/audit?limit=200").await, 200).await;
        let actions: Vec<(&str, Option<i64>)> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["action"].as_str().unwrap(), e["subject_id"].as_i64()))
            .collect();
        assert!(actions.contains(&("application_read", Some(i64::from(applicants[0].id)))));
        assert_eq!(actions.iter().filter(|(a, _)| *a == "roster_read").count(), 3);
        assert!(actions.iter().any(|(a, _)| *a == "applications_listed"));
    }
);

storage_test!(
    one_hundred_concurrent_acceptances_fill_twelve_places_and_no_more,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::configured(db, |config| {
            config.content_dir = crate::helpers::shipped_courses();
            config.db_max_connections = 16;
        })
        .await;
        let trainer = app.person("Trainer", &[Role::Trainer]).await;
        let slug = "race-2027";
        ok(
            trainer
                .send(&app, Method::POST, "/api/programmes", Some(edition(slug, 12, 0, &[])))
                .await,
            201,
        )
        .await;
        let mut people = Vec::new();
        for i in 0..100 {
            let person = app.person(&format!("Applicant {i}"), &[]).await;
            let id = apply(&app, &person, slug, None).await;
            decide(&app, &trainer, slug, id, "accepted").await;
            people.push(person);
        }
        let path = format!("/api/programmes/{slug}/offer/accept");
        let replies = join_all(people.iter().map(|p| p.send(&app, Method::POST, &path, None))).await;
        let accepted = replies.iter().filter(|r| r.status == StatusCode::OK).count();
        let full: Vec<&Reply> = replies
            .iter()
            .filter(|r| r.status == StatusCode::CONFLICT)
            .collect();
        assert_eq!(accepted, 12, "exactly the places");
        assert_eq!(full.len(), 88);
        for reply in full {
            assert_eq!(reply.error_code(), "cohort_full");
        }
        let roster = ok(trainer.get(&app, &format!("/api/programmes/{slug}/cohort")).await, 200).await;
        let participants = roster["members"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["status"] == "participant")
            .count();
        assert_eq!(participants, 12);
        let edition = ok(app.get(&format!("/api/programmes/{slug}")).await, 200).await;
        assert_eq!(edition["places_taken"], 12);
    }
);

/// What the database stores, as text: on SQLite every byte of the database file and its
/// write-ahead log; on PostgreSQL every row of the tables that hold answers.
async fn raw_storage(app: &TestApp) -> String {
    let db = &app.db.db;
    let mut out = String::new();
    if let Some(path) = app.db.url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap();
        for suffix in ["", "-wal"] {
            if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        return out;
    }
    for table in [
        "applications",
        "application_secrets",
        "outbox",
        "notifications",
    ] {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT CAST(t AS TEXT) AS row FROM {table} t"),
            ))
            .await
            .unwrap();
        for row in rows {
            out.push_str(&row.try_get::<String>("", "row").unwrap());
            out.push('\n');
        }
    }
    out
}

storage_test!(
    sensitive_answers_are_sealed_at_rest_and_open_only_with_the_key,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let staff = app.person("Staff", &[Role::Staff]).await;
        let slug = "sealed-2027";
        ok(
            staff
                .send(&app, Method::POST, "/api/programmes", Some(edition(slug, 2, 0, &[])))
                .await,
            201,
        )
        .await;
        let person = app.person("Applicant", &[]).await;
        apply(&app, &person, slug, Some("defender@example.org")).await;

        let raw = raw_storage(&app).await;
        assert!(raw.contains("p9Rt4"), "the plain answer is stored as such");
        assert!(!raw.contains("kx7Qv2"), "a sensitive answer in plain text");
        assert!(!raw.contains("defender@example.org"), "an address in plain text");
        let read = status_of(&app, &person, slug).await;
        assert_eq!(read["answers"]["risk"], RISK);
        assert_eq!(read["answers"]["contact"], "defender@example.org");

        // Rotation: a new current key re-seals everything; the old one can then go.
        let old = academy::Config {
            data_key: Some(crate::helpers::TEST_DATA_KEY.into()),
            ..academy::Config::default()
        }
        .data_keys()
        .unwrap();
        let new_key = academy_enrollment::DataKeys::generate();
        let rotated = academy_enrollment::DataKeys::from_base64(
            &new_key,
            &[crate::helpers::TEST_DATA_KEY.to_owned()],
        )
        .unwrap();
        let missing = academy_enrollment::crypto::missing_keys(&app.db.db, &rotated)
            .await
            .unwrap();
        assert!(missing.is_empty());
        let done = academy_enrollment::crypto::rotate(&app.db.db, &rotated, 1, |_| {})
            .await
            .unwrap();
        assert_eq!(done, 2, "two sensitive answers");
        let only_new = academy_enrollment::DataKeys::from_base64(&new_key, &[]).unwrap();
        assert!(academy_enrollment::crypto::missing_keys(&app.db.db, &only_new)
            .await
            .unwrap()
            .is_empty());
        // The old key alone no longer opens anything: a server with it refuses to start.
        assert!(!academy_enrollment::crypto::missing_keys(&app.db.db, &old)
            .await
            .unwrap()
            .is_empty());
    }
);

storage_test!(
    a_server_without_the_data_key_refuses_to_start,
    |db: TestDb| async move {
        let url = db.url.clone();
        let app = TestApp::configured(db, |_| {}).await;
        let staff = app.person("Staff", &[Role::Staff]).await;
        let mut body = edition("keyless-2027", 2, 0, &[]);
        body["courses"] = json!([]);
        ok(
            staff
                .send(&app, Method::POST, "/api/programmes", Some(body))
                .await,
            201,
        )
        .await;
        let person = app.person("Applicant", &[]).await;
        ok(
            person
                .send(
                    &app,
                    Method::PUT,
                    "/api/programmes/keyless-2027/application",
                    Some(answers(None)),
                )
                .await,
            201,
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let config = academy::Config {
            database_url: Some(url),
            data_dir: dir.path().to_owned(),
            content_dir: dir.path().join("none"),
            data_key: Some(academy_enrollment::DataKeys::generate().into()),
            ..academy::Config::default()
        };
        let refused = academy::Academy::start(config).await;
        let message = format!("{:#}", refused.err().expect("the start is refused"));
        assert!(message.contains("not configured"), "{message}");
    }
);

#[test]
fn the_embedded_default_generates_an_owner_only_key_file_and_postgres_needs_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let embedded = academy::Config {
        data_dir: dir.path().to_owned(),
        ..academy::Config::default()
    };
    let first = embedded.data_keys().unwrap();
    assert_eq!(
        embedded.data_keys().unwrap().current_id(),
        first.current_id()
    );
    let file = dir.path().join("data-key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let postgres = academy::Config {
        database_url: Some("postgres://127.0.0.1/academy".to_owned()),
        ..academy::Config::default()
    };
    assert!(format!("{:#}", postgres.data_keys().unwrap_err()).contains("ACADEMY_DATA_KEY"));
}

/// A real SMTP server (PyPI's `aiosmtpd`, installed by `scripts/test`) writing what it
/// receives into a maildir, stopped when dropped.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    fn start() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("mail"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (scripts/test installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    /// Every message received, as text.
    fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.path().join("mail").join(sub)) {
                for entry in entries.flatten() {
                    out.push(std::fs::read_to_string(entry.path()).unwrap_or_default());
                }
            }
        }
        out
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

storage_test!(
    notifications_reach_the_applicant_by_email_once_in_their_language,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let smtp = SmtpServer::start();
        let app = TestApp::configured(db, |config| {
            config.content_dir = crate::helpers::shipped_courses();
            config.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port).into());
            config.mail_from = Some("ISHR Academy <academy@example.org>".to_owned());
        })
        .await;
        let trainer = app.person("Trainer", &[Role::Trainer]).await;
        let slug = "mail-2027";
        ok(
            trainer
                .send(&app, Method::POST, "/api/programmes", Some(edition(slug, 1, 1, &[])))
                .await,
            201,
        )
        .await;
        let with_address = app.person("With address", &[]).await;
        let without = app.person("Without address", &[]).await;
        let id = apply(&app, &with_address, slug, Some("defender@example.org")).await;
        apply(&app, &without, slug, None).await;
        decide(&app, &trainer, slug, id, "accepted").await;

        let state = &app.academy.state;
        let mailer = state.mailer.as_deref().expect("a mailer");
        // Two nodes deliver at once: each message goes out once.
        let (a, b) = tokio::join!(
            academy_enrollment::mail::deliver_due(&state.db, &state.enrollment.keys, mailer),
            academy_enrollment::mail::deliver_due(&state.db, &state.enrollment.keys, mailer),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.sent + b.sent, 2, "application received, offer made");
        let again =
            academy_enrollment::mail::deliver_due(&state.db, &state.enrollment.keys, mailer)
                .await
                .unwrap();
        assert_eq!(again.sent, 0, "nothing is sent twice");

        let mut messages = Vec::new();
        for _ in 0..50 {
            messages = smtp.messages();
            if messages.len() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(messages.len(), 2, "{messages:?}");
        for message in &messages {
            assert!(message.contains("defender@example.org"));
            assert!(message.contains("PFDDH 2027"), "in French: {message}");
        }
        assert!(messages.iter().any(|m| m.contains("votre candidature")), "{messages:?}");
    }
);

storage_test!(
    expired_offers_pass_to_the_waitlist_and_reminders_go_out_once,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let trainer = app.person("Trainer", &[Role::Trainer]).await;
        let slug = "expiry-2027";
        ok(
            trainer
                .send(&app, Method::POST, "/api/programmes", Some(edition(slug, 1, 1, &[])))
                .await,
            201,
        )
        .await;
        let first = app.person("First", &[]).await;
        let second = app.person("Second", &[]).await;
        let a = apply(&app, &first, slug, None).await;
        let b = apply(&app, &second, slug, None).await;
        let reply_by = (Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
        ok(
            trainer
                .send(
                    &app,
                    Method::POST,
                    &format!("/api/programmes/{slug}/applications/{a}/decision"),
                    Some(json!({"decision": "accepted", "reply_by": reply_by})),
                )
                .await,
            200,
        )
        .await;
        decide(&app, &trainer, slug, b, "waitlisted").await;
        let full = trainer
            .send(
                &app,
                Method::POST,
                &format!("/api/programmes/{slug}/applications/{a}/decision"),
                Some(json!({"decision": "accepted", "reply_by": "yesterday"})),
            )
            .await;
        assert_eq!(full.status, StatusCode::BAD_REQUEST);

        let state = &app.academy.state;
        let round = academy_enrollment::jobs::run_once(&state.db, &state.enrollment, None)
            .await
            .unwrap();
        assert_eq!(round.reminded, 1, "the offer expires within 48 hours");
        let round = academy_enrollment::jobs::run_once(&state.db, &state.enrollment, None)
            .await
            .unwrap();
        assert_eq!(round.reminded, 0, "one reminder");
        tokio::time::sleep(Duration::from_millis(2_200)).await;
        let late = first
            .send(&app, Method::POST, &format!("/api/programmes/{slug}/offer/accept"), None)
            .await;
        assert_eq!(late.error_code(), "offer_expired");
        let (x, y) = tokio::join!(
            academy_enrollment::jobs::run_once(&state.db, &state.enrollment, None),
            academy_enrollment::jobs::run_once(&state.db, &state.enrollment, None),
        );
        assert_eq!(x.unwrap().expired + y.unwrap().expired, 1, "expired once");
        assert_eq!(status_of(&app, &first, slug).await["status"], "expired");
        assert_eq!(status_of(&app, &second, slug).await["status"], "offered");
        let notes = kinds(&app, &first).await;
        assert!(notes.contains(&"offer_reminder".to_owned()));
        assert!(notes.contains(&"offer_expired".to_owned()));
    }
);

storage_test!(
    unsuccessful_applications_are_deleted_after_the_retention_period,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::configured(db, |config| {
            config.content_dir = crate::helpers::shipped_courses();
            config.application_retention_days = 0;
        })
        .await;
        let trainer = app.person("Trainer", &[Role::Trainer]).await;
        let slug = "retention-2027";
        ok(
            trainer
                .send(&app, Method::POST, "/api/programmes", Some(edition(slug, 1, 1, &[])))
                .await,
            201,
        )
        .await;
        let chosen = app.person("Chosen", &[]).await;
        let refused = app.person("Refused", &[]).await;
        let a = apply(&app, &chosen, slug, None).await;
        let b = apply(&app, &refused, slug, None).await;
        decide(&app, &trainer, slug, a, "accepted").await;
        decide(&app, &trainer, slug, b, "rejected").await;
        let state = &app.academy.state;
        let round = academy_enrollment::jobs::run_once(&state.db, &state.enrollment, None)
            .await
            .unwrap();
        assert_eq!(round.purged, 0, "the selection is not final yet");
        ok(
            trainer
                .send(
                    &app,
                    Method::PATCH,
                    &format!("/api/programmes/{slug}"),
                    Some(json!({"selection_final": true})),
                )
                .await,
            200,
        )
        .await;
        let round = academy_enrollment::jobs::run_once(&state.db, &state.enrollment, None)
            .await
            .unwrap();
        assert_eq!(round.purged, 1);
        assert_eq!(
            refused
                .get(&app, &format!("/api/programmes/{slug}/application"))
                .await
                .error_code(),
            "application_not_found"
        );
        assert_eq!(status_of(&app, &chosen, slug).await["status"], "offered");
        let admin = app.person("Admin", &[Role::Admin]).await;
        let audit = ok(admin.get(&app, "/api/admin/audit").await, 200).await;
        assert!(audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "applications_purged"));
    }
);

storage_test!(
    erasure_frees_a_place_for_the_waitlist_and_export_has_the_applications,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let trainer = app.person("Trainer", &[Role::Trainer]).await;
        let slug = "erasure-2027";
        ok(
            trainer
                .send(&app, Method::POST, "/api/programmes", Some(edition(slug, 1, 1, &[])))
                .await,
            201,
        )
        .await;
        let leaving = app.person("Leaving", &[]).await;
        let waiting = app.person("Waiting", &[]).await;
        let a = apply(&app, &leaving, slug, Some("leaving@example.org")).await;
        let b = apply(&app, &waiting, slug, None).await;
        decide(&app, &trainer, slug, a, "accepted").await;
        decide(&app, &trainer, slug, b, "waitlisted").await;
        ok(
            leaving
                .send(&app, Method::POST, &format!("/api/programmes/{slug}/offer/accept"), None)
                .await,
            200,
        )
        .await;
        let export = ok(leaving.get(&app, "/api/me/export").await, 200).await;
        let programmes = &export["programmes"];
        assert_eq!(programmes["applications"][0]["answers"]["risk"], RISK);
        assert_eq!(programmes["applications"][0]["status"], "participant");
        assert!(!programmes["notifications"].as_array().unwrap().is_empty());
        assert_eq!(programmes["enrolments"].as_array().unwrap().len(), 2);

        ok(leaving.send(&app, Method::DELETE, "/api/me", None).await, 204).await;
        assert_eq!(status_of(&app, &waiting, slug).await["status"], "offered");
        let edition = ok(app.get(&format!("/api/programmes/{slug}")).await, 200).await;
        assert_eq!(edition["places_taken"], 0);
        let left = app
            .db
            .db
            .query_one_raw(Statement::from_string(
                app.db.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM applications WHERE user_id = {}", leaving.id),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(left.try_get::<i64>("", "n").unwrap(), 0);
    }
);

storage_test!(
    programme_operations_answer_each_persona_as_expected,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let assigned = app.person("Assigned trainer", &[Role::Trainer]).await;
        let slug = "personas-2027";
        ok(
            assigned
                .send(&app, Method::POST, "/api/programmes", Some(edition(slug, 2, 2, &[])))
                .await,
            201,
        )
        .await;
        let applicant = app.person("Applicant", &[]).await;
        let id = apply(&app, &applicant, slug, None).await;
        let callers: Vec<Option<Person>> = vec![
            None,
            Some(applicant),
            Some(app.person("Other learner", &[]).await),
            Some(app.person("Trainer not assigned", &[Role::Trainer]).await),
            Some(assigned),
            Some(app.person("Staff", &[Role::Staff]).await),
            Some(app.person("Admin", &[Role::Admin]).await),
        ];
        let who = [
            "anonymous",
            "applicant",
            "other learner",
            "trainer not assigned",
            "assigned trainer",
            "staff",
            "admin",
        ];
        let e = format!("/api/programmes/{slug}");
        let rows: Vec<(Method, String, Option<Value>, [u16; 7])> = vec![
            (Method::GET, e.clone(), None, [200; 7]),
            (
                Method::GET,
                format!("{e}/application"),
                None,
                [401, 200, 404, 404, 404, 404, 404],
            ),
            (
                Method::GET,
                format!("{e}/applications"),
                None,
                [401, 403, 403, 403, 200, 200, 200],
            ),
            (
                Method::GET,
                format!("{e}/applications/{id}"),
                None,
                [401, 403, 403, 403, 200, 200, 200],
            ),
            (
                Method::PUT,
                format!("{e}/applications/{id}/review"),
                Some(json!({"scores": {"motivation": 4, "advocacy_experience": 4, "expected_impact": 4}})),
                [401, 403, 403, 403, 200, 403, 403],
            ),
            // The assigned trainer waitlists it; the admin may decide too, but it is decided.
            (
                Method::POST,
                format!("{e}/applications/{id}/decision"),
                Some(json!({"decision": "waitlisted"})),
                [401, 403, 403, 403, 200, 403, 409],
            ),
            (
                Method::PATCH,
                e.clone(),
                Some(json!({"blind_review": true})),
                [401, 403, 403, 403, 200, 200, 200],
            ),
            (
                Method::GET,
                format!("{e}/cohort"),
                None,
                [401, 403, 403, 403, 200, 200, 200],
            ),
            // Waitlisted, the applicant has no offer; the others have no application.
            (
                Method::POST,
                format!("{e}/offer/accept"),
                None,
                [401, 409, 404, 404, 404, 404, 404],
            ),
        ];
        for (method, uri, body, expect) in rows {
            for (i, caller) in callers.iter().enumerate() {
                let token = caller.as_ref().map(|p| p.token.as_str());
                let reply = app.send_as(token, method.clone(), &uri, body.clone()).await;
                assert_eq!(
                    reply.status.as_u16(),
                    expect[i],
                    "{}: {method} {uri}: {}",
                    who[i],
                    String::from_utf8_lossy(&reply.body)
                );
                if expect[i] >= 400 {
                    reply.error_code();
                }
            }
        }
        // In a blind review, reviewers see neither name nor country.
        let list = ok(
            callers[4].as_ref().unwrap().get(&app, &format!("{e}/applications")).await,
            200,
        )
        .await;
        assert!(list["applications"][0].get("applicant").is_none(), "{list}");
    }
);
