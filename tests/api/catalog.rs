//! The catalog as a learner's client sees it: listing, reading, languages, caching, errors.

use academy_testing::{TestDb, storage_test};
use poem::http::StatusCode;

use crate::helpers::TestApp;

storage_test!(
    listing_courses_shows_the_shipped_catalog_in_order,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let reply = app.get("/api/courses").await;
        assert_eq!(reply.status, StatusCode::OK);
        let body = reply.json();
        let slugs: Vec<&str> = body["courses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["slug"].as_str().unwrap())
            .collect();
        assert_eq!(
            slugs,
            [
                "reprisals-and-safe-engagement",
                "human-rights-council",
                "universal-periodic-review",
                "treaty-bodies",
                "special-procedures",
                "regional-human-rights-systems"
            ]
        );
        assert!(body["next_cursor"].is_null());
    }
);
