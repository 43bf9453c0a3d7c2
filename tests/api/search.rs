//! Search as a client sees it: results in the reader's language, helpful refusals, no 500 for
//! anything typed, completions, and new content found after a re-import.

use std::path::Path;

use academy_courses::{content, content::ContentSet, import};
use academy_testing::{TestDb, storage_test};
use poem::http::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, shipped_courses};

/// Percent-encodes a query parameter value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn search_uri(q: &str) -> String {
    format!("/api/search?q={}", encode(q))
}

fn hit_ids(body: &Value) -> Vec<String> {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let slug = h["lesson"].as_str().or(h["quiz"].as_str()).unwrap_or("");
            format!("{}/{}", h["course"].as_str().unwrap(), slug)
        })
        .collect()
}

storage_test!(
    searching_the_upr_lists_its_lessons_first_with_highlighted_snippets,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let reply = app.get(&search_uri("universal periodic review")).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("Content-Language"), Some("en, fr, es"));
        let body = reply.json();
        let first = &body["hits"][0];
        assert_eq!(first["course"], "universal-periodic-review");
        assert_eq!(first["language"], "en");
        assert!(first["score"].as_f64().unwrap() > 0.0);
        let snippets: Vec<&str> = body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|h| h["snippet"].as_str())
            .collect();
        assert!(snippets.iter().any(|s| s.contains("<b>")), "{snippets:?}");
        assert!(body["total"].as_u64().unwrap() >= body["hits"].as_array().unwrap().len() as u64);
        let mechanisms: Vec<&str> = body["facets"]["mechanism"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["value"].as_str().unwrap())
            .collect();
        assert!(mechanisms.contains(&"universal-periodic-review"));
        assert_eq!(body["languages"], serde_json::json!(["en", "fr", "es"]));
    }
);

storage_test!(
    an_urgent_appeal_question_lands_on_the_special_procedures_lesson,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let reply = app
            .get_with(
                &search_uri("how do I send an urgent appeal"),
                &[("Accept-Language", "en-GB,en;q=0.9")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("Content-Language"), Some("en"));
        let ids = hit_ids(&reply.json());
        assert!(
            ids[..3]
                .contains(&"special-procedures/allegation-letters-and-urgent-appeals".to_owned()),
            "{ids:?}"
        );
    }
);

storage_test!(
    a_french_reader_finds_the_french_lessons,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let reply = app
            .get_with(
                &search_uri("examen périodique universel"),
                &[("Accept-Language", "fr-CH, fr;q=0.9")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("Content-Language"), Some("fr"));
        let body = reply.json();
        assert_eq!(body["hits"][0]["course"], "universal-periodic-review");
        assert!(
            body["hits"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| h["language"] == "fr")
        );
        // `lang` wins over Accept-Language.
        let reply = app
            .get_with(
                &format!("{}&lang=es", search_uri("examen periódico universal")),
                &[("Accept-Language", "fr")],
            )
            .await;
        assert_eq!(reply.json()["hits"][0]["language"], "es");
    }
);

storage_test!(
    an_empty_or_unusable_query_is_refused_with_a_helpful_400,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        for (uri, code) in [
            ("/api/search".to_owned(), "empty_query"),
            ("/api/search?q=".to_owned(), "empty_query"),
            (search_uri("   "), "empty_query"),
            (search_uri("*** ---"), "no_search_terms"),
            (search_uri(&"word ".repeat(30)), "too_many_words"),
            (search_uri(&"a".repeat(201)), "query_too_long"),
            (format!("{}&lang=xx", search_uri("upr")), "unknown_language"),
            (
                format!("{}&mechanism=security-council", search_uri("upr")),
                "unknown_mechanism",
            ),
            (
                format!("{}&course=nope", search_uri("upr")),
                "unknown_course",
            ),
            (format!("{}&limit=0", search_uri("upr")), "invalid_limit"),
            (format!("{}&limit=51", search_uri("upr")), "invalid_limit"),
            (
                format!("{}&cursor=forged", search_uri("upr")),
                "invalid_cursor",
            ),
            ("/api/search/suggest".to_owned(), "empty_query"),
            ("/api/search/suggest?q=%20%20".to_owned(), "empty_query"),
        ] {
            let reply = app.get(&uri).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(reply.error_code(), code, "{uri}");
        }
    }
);

storage_test!(
    nothing_a_person_types_gives_a_server_error,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let long = "ab".repeat(2_000);
        let typed = [
            "\"unbalanced quote",
            "AND OR",
            "NOT",
            "field:x",
            "title_en:upr body_fr:examen",
            "(upr OR [a TO z]) ~2 ^3",
            "\u{0}\u{1}\u{1b}[31m",
            "'; DROP TABLE course; --",
            "<script>alert(1)</script>",
            "🙂 𝕌𝕡𝕣 ﷺ",
            "\u{202e}reversed\u{200b}",
            long.as_str(),
        ];
        for q in typed {
            for path in ["/api/search", "/api/search/suggest"] {
                let uri = format!("{path}?q={}", encode(q));
                let reply = app.get(&uri).await;
                assert!(
                    reply.status == StatusCode::OK || reply.status == StatusCode::BAD_REQUEST,
                    "{q:?} on {path}: {}",
                    reply.status
                );
                reply.json();
            }
        }
        // Malformed percent-encoding and raw invalid UTF-8 are refused, not crashed on.
        for uri in [
            "/api/search?q=%FF%FE",
            "/api/search?q=%",
            "/api/search?limit=many&q=upr",
        ] {
            let reply = app.get(uri).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        }
        // Markup typed into the search never comes back unescaped in a snippet.
        let reply = app.get(&search_uri("<script>review</script>")).await;
        assert!(!String::from_utf8_lossy(&reply.body).contains("<script>"));
    }
);

storage_test!(
    next_cursor_pages_through_the_results,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let first = app
            .get(&format!("{}&limit=3", search_uri("rights")))
            .await
            .json();
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = app
            .get(&format!("{}&limit=3&cursor={cursor}", search_uri("rights")))
            .await
            .json();
        assert_eq!(second["hits"].as_array().unwrap().len(), 3);
        let keys = |page: &Value| -> Vec<String> {
            page["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| format!("{}/{}/{}", h["course"], h["lesson"], h["language"]))
                .collect()
        };
        let (a, b) = (keys(&first), keys(&second));
        assert!(a.iter().all(|key| !b.contains(key)), "{a:?} {b:?}");
        assert_eq!(first["total"], second["total"]);
    }
);

storage_test!(
    suggestions_complete_course_and_lesson_titles,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let reply = app.get("/api/search/suggest?q=universal%20peri").await;
        assert_eq!(reply.status, StatusCode::OK);
        let body = reply.json();
        assert_eq!(
            body["suggestions"][0]["text"],
            "The Universal Periodic Review"
        );
        assert_eq!(body["suggestions"][0]["kind"], "course");
        let reply = app.get("/api/search/suggest?q=urgent&limit=3").await;
        let suggestions = reply.json()["suggestions"].as_array().unwrap().clone();
        assert!(!suggestions.is_empty() && suggestions.len() <= 3);
        assert!(suggestions.iter().all(|s| {
            s["text"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("urgent")
        }));
    }
);

fn with_fixture() -> ContentSet {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/academy-search/tests/fixtures/courses");
    let mut set = content::load_dir(&shipped_courses()).unwrap();
    let extra = content::load_dir(&fixture).unwrap();
    set.courses.extend(extra.courses);
    set.hash = academy_courses::sha256_hex([set.hash.as_bytes(), extra.hash.as_bytes()]);
    set
}

storage_test!(
    a_reimport_makes_new_lessons_searchable_in_arabic_chinese_and_russian,
    with crate::helpers::shipped_db, |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let fixture_lesson = "defenders-in-three-languages/who-are-defenders".to_owned();
        let before = app.get(&search_uri("人权维护者")).await.json();
        assert!(
            !hit_ids(&before).contains(&fixture_lesson),
            "the new lesson is not there before the import: {before}"
        );

        import::import(&app.db.db, &with_fixture(), |_, _, _| {})
            .await
            .unwrap();
        assert!(app.academy.state.refresh_catalog().await.unwrap());

        for (q, language) in [
            ("人权维护者", "zh"),
            ("المدافعين", "ar"),
            ("правозащитникам", "ru"),
        ] {
            let reply = app.get(&search_uri(q)).await;
            assert_eq!(reply.status, StatusCode::OK);
            assert_eq!(reply.header("Content-Language"), Some(language));
            let body = reply.json();
            assert!(hit_ids(&body).contains(&fixture_lesson), "{q}: {body}");
        }
    }
);
