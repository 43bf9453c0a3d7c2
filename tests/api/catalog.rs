//! The catalog as a learner's client sees it: listing, reading, languages, caching, errors.

use std::path::Path;

use academy_testing::{TestDb, storage_test};
use poem::http::StatusCode;
use serde_json::Value;

use crate::helpers::{Reply, TestApp};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/crates/academy-courses/tests/fixtures/valid"
);

async fn fixture_app(db: TestDb) -> TestApp {
    TestApp::with_content(db, Path::new(FIXTURES)).await
}

/// The public courses shipped, in catalog order (the cohort-only HRDAP course is not among them).
pub const PUBLIC_COURSES: [&str; 10] = [
    "reprisals-and-safe-engagement",
    "human-rights-council",
    "universal-periodic-review",
    "treaty-bodies",
    "special-procedures",
    "regional-human-rights-systems",
    "declaration-on-human-rights-defenders",
    "national-human-rights-institutions",
    "getting-accredited-and-speaking-at-the-un",
    "documenting-violations-for-un-mechanisms",
];

fn slugs(body: &Value) -> Vec<String> {
    body["courses"]
        .as_array()
        .expect("courses")
        .iter()
        .map(|c| c["slug"].as_str().expect("slug").to_owned())
        .collect()
}

/// Every key anywhere in a JSON document.
fn keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

storage_test!(
    listing_courses_shows_the_shipped_catalog_in_order,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let reply = app.get("/api/courses").await;
        assert_eq!(reply.status, StatusCode::OK);
        let body = reply.json();
        assert_eq!(
            slugs(&body),
            PUBLIC_COURSES
        );
        assert!(
            !slugs(&body).contains(&"hrdap-preparing-geneva".to_owned()),
            "the cohort-only course is not listed publicly"
        );
        assert!(body["next_cursor"].is_null());
        let upr = &body["courses"][2];
        assert_eq!(upr["languages"], serde_json::json!(["en", "fr", "es"]));
        assert!(upr["lesson_count"].as_u64().unwrap() >= 4);
    }
);

storage_test!(
    filters_narrow_the_list_and_unknown_values_are_400,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let by_mechanism = app
            .get("/api/courses?mechanism=universal-periodic-review")
            .await
            .json();
        assert_eq!(
            slugs(&by_mechanism),
            [
                "human-rights-council",
                "universal-periodic-review",
                "national-human-rights-institutions",
                "documenting-violations-for-un-mechanisms"
            ]
        );
        let in_russian = app.get("/api/courses?lang=ru").await;
        assert_eq!(
            slugs(&in_russian.json()),
            ["reprisals-and-safe-engagement", "human-rights-council"]
        );
        let in_french = app.get("/api/courses?lang=fr").await;
        assert_eq!(slugs(&in_french.json()), PUBLIC_COURSES, "every course is in French");
        assert_eq!(in_french.header("content-language"), Some("fr"));
        assert_eq!(
            in_french.json()["courses"][2]["title"],
            "L'Examen périodique universel"
        );
        let intermediate = app.get("/api/courses?level=intermediate").await.json();
        assert!(slugs(&intermediate).contains(&"treaty-bodies".to_owned()));
        assert!(!slugs(&intermediate).contains(&"human-rights-council".to_owned()));

        for (uri, code) in [
            (
                "/api/courses?mechanism=security-council",
                "unknown_mechanism",
            ),
            ("/api/courses?lang=klingon", "unknown_language"),
            ("/api/courses?level=expert", "unknown_level"),
            ("/api/courses?limit=0", "invalid_limit"),
            ("/api/courses?limit=1000", "invalid_limit"),
            ("/api/courses?limit=ten", "bad_request"),
            ("/api/courses?cursor=not-a-cursor", "invalid_cursor"),
        ] {
            let reply = app.get(uri).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(reply.error_code(), code, "{uri}");
        }
    }
);

storage_test!(
    cursor_pagination_walks_the_whole_list_once,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let mut seen = Vec::new();
        let mut uri = "/api/courses?limit=4".to_owned();
        loop {
            let body = app.get(&uri).await.json();
            seen.extend(slugs(&body));
            match body["next_cursor"].as_str() {
                Some(cursor) => uri = format!("/api/courses?limit=4&cursor={cursor}"),
                None => break,
            }
        }
        let all = slugs(&app.get("/api/courses").await.json());
        assert_eq!(seen, all);
        assert_eq!(seen.len(), PUBLIC_COURSES.len());
    }
);

storage_test!(
    a_course_shows_its_syllabus_and_content_version,
    |db: TestDb| async move {
        let app = fixture_app(db).await;
        let reply = app.get("/api/courses/sample-course").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("content-language"), Some("en"));
        let body = reply.json();
        assert_eq!(body["languages"], serde_json::json!(["en", "fr"]));
        assert_eq!(body["content_version"].as_str().map(str::len), Some(64));
        assert_eq!(body["modules"][0]["slug"], "basics");
        assert_eq!(body["modules"][0]["lessons"][1]["slug"], "second-lesson");
        assert_eq!(body["modules"][0]["quizzes"][0]["question_count"], 3);
        assert_eq!(body["modules"][1]["lessons"][0]["minutes"], 10);
    }
);

storage_test!(
    unknown_courses_lessons_and_quizzes_are_404_with_a_code,
    |db: TestDb| async move {
        let app = fixture_app(db).await;
        for (uri, code) in [
            ("/api/courses/no-such-course", "course_not_found"),
            ("/api/courses/cohort-course", "course_not_found"),
            (
                "/api/courses/sample-course/lessons/nope",
                "lesson_not_found",
            ),
            ("/api/courses/sample-course/quizzes/nope", "quiz_not_found"),
            ("/api/nothing-here", "not_found"),
        ] {
            let reply = app.get(uri).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(reply.error_code(), code, "{uri}");
        }
    }
);

storage_test!(
    a_lesson_comes_as_markdown_and_safe_html_with_its_neighbours,
    |db: TestDb| async move {
        let app = fixture_app(db).await;
        let body = app
            .get("/api/courses/sample-course/lessons/second-lesson")
            .await
            .json();
        assert_eq!(body["title"], "Second lesson");
        assert!(
            body["markdown"].as_str().unwrap().contains("<script>"),
            "the source is kept as written"
        );
        let html = body["html"].as_str().unwrap();
        assert!(
            html.contains("<p>Shadow reports") && !html.contains("<script"),
            "{html}"
        );
        assert_eq!(body["previous"]["slug"], "first-lesson");
        assert_eq!(body["next"]["slug"], "third-lesson");
        assert_eq!(body["position"], 2);
        assert_eq!(body["module"]["slug"], "basics");
        let first = app
            .get("/api/courses/sample-course/lessons/first-lesson")
            .await
            .json();
        assert!(first["previous"].is_null());
        assert!(first["html"].as_str().unwrap().contains("<table>"));
    }
);

storage_test!(
    language_comes_from_the_query_then_accept_language,
    |db: TestDb| async move {
        let app = fixture_app(db).await;
        let by_query = app
            .get_with(
                "/api/courses/sample-course/lessons/first-lesson?lang=fr",
                &[("Accept-Language", "en")],
            )
            .await;
        assert_eq!(by_query.header("content-language"), Some("fr"));
        assert_eq!(by_query.json()["title"], "Première leçon");
        let by_header = app
            .get_with(
                "/api/courses/sample-course/lessons/first-lesson",
                &[("Accept-Language", "es;q=0.9, fr-CH;q=0.8, en;q=0.1")],
            )
            .await;
        assert_eq!(by_header.header("content-language"), Some("fr"));
        assert_eq!(by_header.json()["fallback"], false);
        let course = app.get("/api/courses/sample-course?lang=fr").await.json();
        assert_eq!(course["title"], "Cours d'exemple");
        assert_eq!(course["modules"][1]["title"], "Plus");
        let bad = app.get("/api/courses/sample-course?lang=xx").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.error_code(), "unknown_language");
    }
);

storage_test!(
    a_language_the_course_is_not_offered_in_falls_back_to_the_default_and_says_so,
    |db: TestDb| async move {
        let app = fixture_app(db).await;
        let reply = app
            .get("/api/courses/sample-course/lessons/third-lesson?lang=es")
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("content-language"), Some("en"));
        let body = reply.json();
        assert_eq!(body["language"], "en");
        assert_eq!(body["fallback"], true);
        assert_eq!(body["title"], "Third lesson");
        let spanish = app.get("/api/courses/sample-course?lang=es").await;
        assert_eq!(spanish.header("content-language"), Some("en"));
        assert_eq!(spanish.json()["fallback"], true);
        // A language the course is offered in has every lesson: no fallback inside it.
        let french = app.get("/api/courses/sample-course?lang=fr").await.json();
        for module in french["modules"].as_array().unwrap() {
            for lesson in module["lessons"].as_array().unwrap() {
                assert_eq!(lesson["language"], "fr", "{lesson}");
                assert_eq!(lesson["fallback"], false, "{lesson}");
            }
        }
    }
);

storage_test!(
    a_quiz_never_reveals_its_answers_or_explanations,
    |db: TestDb| async move {
        let app = fixture_app(db).await;
        for lang in ["en", "fr"] {
            let reply = app
                .get(&format!(
                    "/api/courses/sample-course/quizzes/basics-check?lang={lang}"
                ))
                .await;
            assert_eq!(reply.status, StatusCode::OK);
            let body = reply.json();
            assert_eq!(body["questions"].as_array().unwrap().len(), 3);
            assert_eq!(body["questions"][2]["kind"], "true-false");
            let mut all_keys = Vec::new();
            keys(&body, &mut all_keys);
            for forbidden in ["correct", "answer", "answers", "explanation"] {
                assert!(
                    !all_keys.iter().any(|k| k == forbidden),
                    "`{forbidden}` in {body}"
                );
            }
            let text = String::from_utf8_lossy(&reply.body);
            assert!(
                !text.contains("accepted the procedure") && !text.contains("accepté la procédure"),
                "explanation leaked"
            );
        }
    }
);

storage_test!(
    etags_let_clients_skip_unchanged_content,
    |db: TestDb| async move {
        let app = fixture_app(db).await;
        for uri in [
            "/api/courses",
            "/api/courses/sample-course",
            "/api/courses/sample-course/lessons/first-lesson",
            "/api/courses/sample-course/quizzes/basics-check",
        ] {
            let first = app.get(uri).await;
            let etag = first
                .header("etag")
                .unwrap_or_else(|| panic!("no ETag on {uri}"))
                .to_owned();
            let again = app.get_with(uri, &[("If-None-Match", &etag)]).await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{uri}");
            assert!(again.body.is_empty());
            let other = app
                .get_with(uri, &[("If-None-Match", "W/\"something-else\"")])
                .await;
            assert_eq!(other.status, StatusCode::OK, "{uri}");
        }
        let en = app
            .get("/api/courses/sample-course/lessons/first-lesson")
            .await;
        let fr = app
            .get("/api/courses/sample-course/lessons/first-lesson?lang=fr")
            .await;
        assert_ne!(
            en.header("etag"),
            fr.header("etag"),
            "each language is its own representation"
        );
    }
);

fn decode(reply: &Reply) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    match reply.header("content-encoding") {
        Some("gzip") => {
            flate2::read::GzDecoder::new(&reply.body[..])
                .read_to_end(&mut out)
                .expect("gunzip");
        }
        Some("br") => {
            brotli::Decompressor::new(&reply.body[..], 4096)
                .read_to_end(&mut out)
                .expect("unbrotli");
        }
        other => panic!("unexpected encoding {other:?}"),
    }
    out
}

storage_test!(
    content_is_compressed_when_asked_and_identical_once_decoded,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let uri = "/api/courses/universal-periodic-review/lessons/what-is-the-upr";
        let plain = app.get(uri).await;
        assert!(plain.header("content-encoding").is_none());
        for (accept, expected) in [
            ("gzip", "gzip"),
            ("br", "br"),
            ("gzip, br", "br"),
            ("br;q=0, gzip", "gzip"),
        ] {
            // Twice: the second answer comes from the cache of compressed bodies.
            for _ in 0..2 {
                let reply = app.get_with(uri, &[("Accept-Encoding", accept)]).await;
                assert_eq!(reply.header("content-encoding"), Some(expected), "{accept}");
                assert!(
                    reply.body.len() < plain.body.len() / 2,
                    "{accept}: {} bytes",
                    reply.body.len()
                );
                assert_eq!(decode(&reply), plain.body, "{accept}");
            }
        }
        let list = app
            .get_with("/api/courses", &[("Accept-Encoding", "gzip")])
            .await;
        assert_eq!(list.header("content-encoding"), Some("gzip"));
        assert!(
            list.header("vary")
                .is_some_and(|v| v.contains("Accept-Encoding"))
        );
    }
);

storage_test!(
    mechanisms_list_the_whole_vocabulary_with_course_counts,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let body = app.get("/api/mechanisms").await.json();
        let mechanisms = body["mechanisms"].as_array().unwrap();
        assert_eq!(mechanisms.len(), 10);
        let count = |tag: &str| {
            mechanisms
                .iter()
                .find(|m| m["tag"] == tag)
                .map(|m| m["course_count"].as_u64().unwrap())
        };
        assert_eq!(count("universal-periodic-review"), Some(4));
        assert_eq!(count("african-commission"), Some(2));
        assert_eq!(count("general-assembly"), Some(3));
    }
);

storage_test!(
    health_and_readiness_report_the_node_state,
    |db: TestDb| async move {
        let app = fixture_app(db).await;
        assert_eq!(app.get("/health").await.json()["status"], "ok");
        let ready = app.get("/ready").await;
        assert_eq!(ready.status, StatusCode::OK);
        assert_eq!(
            ready.json()["content_version"].as_str().map(str::len),
            Some(64)
        );
    }
);

storage_test!(
    a_node_without_content_is_alive_but_not_ready,
    |db: TestDb| async move {
        let empty = tempfile::tempdir().expect("dir");
        let app = TestApp::with_content(db, &empty.path().join("missing")).await;
        assert_eq!(app.get("/health").await.status, StatusCode::OK);
        let ready = app.get("/ready").await;
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(ready.error_code(), "content_not_loaded");
        assert_eq!(
            app.get("/api/courses").await.json()["courses"],
            serde_json::json!([])
        );
    }
);

storage_test!(
    a_node_picks_up_content_imported_elsewhere,
    |db: TestDb| async move {
        let empty = tempfile::tempdir().expect("dir");
        let app = TestApp::with_content(db, &empty.path().join("missing")).await;
        // Another node (or `academy import`) loads content into the shared database.
        academy_courses::import::import_dir(&app.db.db, Path::new(FIXTURES), |_, _, _| {})
            .await
            .expect("import");
        assert!(app.academy.state.refresh_catalog().await.expect("refresh"));
        assert_eq!(
            slugs(&app.get("/api/courses").await.json()),
            ["sample-course"]
        );
        assert!(
            !app.academy.state.refresh_catalog().await.expect("refresh"),
            "nothing new the second time"
        );
    }
);

storage_test!(
    the_openapi_document_describes_every_endpoint,
    |db: TestDb| async move {
        let app = fixture_app(db).await;
        let spec = app.get("/openapi.json").await.json();
        for path in [
            "/api/courses",
            "/api/courses/{slug}",
            "/api/courses/{slug}/lessons/{lesson}",
            "/api/courses/{slug}/quizzes/{quiz}",
            "/api/mechanisms",
            "/health",
            "/ready",
        ] {
            assert!(
                spec["paths"][path]["get"]["summary"].is_string(),
                "{path} undocumented"
            );
        }
        let responses = &spec["paths"]["/api/courses/{slug}/lessons/{lesson}"]["get"]["responses"];
        for status in ["200", "304", "400", "404", "500"] {
            assert!(
                responses[status].is_object(),
                "status {status} not declared"
            );
        }
        assert_eq!(app.get("/docs/").await.status, StatusCode::OK);
    }
);
