//! Response headers: a Content-Security-Policy everywhere (Swagger UI's own, by script hash),
//! HSTS over HTTPS, search results kept by no cache, and the documents built once with an ETag.

use academy_testing::{Backend, TestDb};
use base64::Engine;
use poem::http::StatusCode;
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, shipped_db};

async fn app(public_url: &str) -> TestApp {
    let db = TestDb::new(Backend::Sqlite).await.expect("SQLite");
    let public_url = public_url.to_owned();
    TestApp::configured(db, move |config| config.public_url = public_url).await
}

#[tokio::test]
async fn docs_may_run_only_their_own_scripts_and_may_not_be_framed() {
    let app = app("http://127.0.0.1:8080").await;
    let docs = app.get("/docs").await;
    assert_eq!(docs.status, StatusCode::OK);
    let policy = docs.header("content-security-policy").expect("a CSP");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    let html = String::from_utf8(docs.body.clone()).expect("UTF-8");
    // Each script runs from its `<script…>` tag to the next `</script>`.
    let scripts: Vec<&str> = html
        .split("</script>")
        .filter_map(|part| part.split_once("<script"))
        .map(|(_, element)| element.split_once('>').unwrap().1)
        .collect();
    assert_eq!(scripts.len(), 2, "Swagger UI's bundle and its start-up");
    for script in scripts {
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script));
        assert!(
            policy.contains(&format!("'sha256-{hash}'")),
            "each inline script is allowed by its hash"
        );
    }

    let api = app.get("/api/courses").await;
    assert_eq!(
        api.header("content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    assert_eq!(api.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        api.header("strict-transport-security"),
        None,
        "no HSTS over plain HTTP"
    );
}

#[tokio::test]
async fn hsts_is_sent_when_the_site_is_https() {
    let app = app("https://academy.example").await;
    for path in ["/health", "/api/courses", "/docs", "/api/nothing-here"] {
        let reply = app.get(path).await;
        assert_eq!(
            reply.header("strict-transport-security"),
            Some("max-age=31536000"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn docs_and_the_openapi_document_have_an_etag_and_answer_304() {
    let app = app("http://127.0.0.1:8080").await;
    for path in ["/docs", "/openapi.json"] {
        let first = app.get_with(path, &[("accept-encoding", "br")]).await;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        assert_eq!(first.header("content-encoding"), Some("br"), "{path}");
        let etag = first.header("etag").expect("an ETag").to_owned();
        let again = app.get_with(path, &[("accept-encoding", "br")]).await;
        assert_eq!(again.header("etag"), Some(etag.as_str()), "built once");
        assert_eq!(again.body, first.body, "the same compressed bytes");
        let cached = app
            .get_with(path, &[("if-none-match", &etag), ("accept-encoding", "br")])
            .await;
        assert_eq!(cached.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(cached.body.is_empty());
    }
}

#[tokio::test]
async fn search_results_are_kept_by_no_cache() {
    let db = shipped_db(Backend::Sqlite).await.expect("SQLite");
    let app = TestApp::shipped(db).await;
    for path in [
        "/api/search?q=periodic%20review",
        "/api/search/suggest?q=univ",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{path}");
    }
}
