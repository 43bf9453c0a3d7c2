//! Bounded request bodies: refused with a JSON 413 before they are parsed or anyone is signed in.

use std::{io::Write, time::Duration};

use academy_testing::{Backend, TestDb};
use poem::{Body, http::StatusCode};

use crate::{
    helpers::{Reply, TestApp},
    server::{Server, read_until_closed},
};

async fn app() -> TestApp {
    let db = TestDb::new(Backend::Sqlite).await.expect("SQLite");
    TestApp::configured(db, |_| {}).await
}

/// A JSON object of about `size` bytes.
fn json_of_size(size: usize) -> String {
    format!("{{\"display_name\": \"{}\"}}", "x".repeat(size))
}

async fn send(app: &TestApp, method: &str, uri: &str, body: Body, length: Option<usize>) -> Reply {
    let mut request = app
        .client
        .request(method.parse().expect("method"), uri)
        .header("content-type", "application/json");
    if let Some(length) = length {
        request = request.header("content-length", length.to_string());
    }
    let response = request.body(body).send().await;
    let status = response.0.status();
    let headers = response.0.headers().clone();
    let body = response.0.into_body().into_vec().await.expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_json_413_before_authentication() {
    let app = app().await;
    let body = json_of_size(100 << 10);
    let length = body.len();
    let reply = send(&app, "PATCH", "/api/me", Body::from(body), Some(length)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.error_code(), "payload_too_large");
    assert!(
        reply.body.len() < 300,
        "nothing of the body is echoed: {}",
        String::from_utf8_lossy(&reply.body)
    );

    let small = json_of_size(60 << 10);
    let length = small.len();
    let reply = send(&app, "PATCH", "/api/me", Body::from(small), Some(length)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "a body under the limit reaches the handler"
    );
}

#[tokio::test]
async fn a_chunked_body_is_counted_while_it_arrives() {
    let app = app().await;
    // 1 KiB chunks without a Content-Length, more than the limit in all.
    let chunks = (0..200).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 1024])));
    let reply = send(
        &app,
        "PATCH",
        "/api/me",
        Body::from_bytes_stream(futures_util::stream::iter(chunks)),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.error_code(), "payload_too_large");
}

#[tokio::test]
async fn the_progress_sync_batch_may_be_larger_than_the_default() {
    let app = app().await;
    let body = json_of_size(200 << 10);
    let length = body.len();
    let reply = send(
        &app,
        "POST",
        "/api/me/progress/sync",
        Body::from(body),
        Some(length),
    )
    .await;
    assert_ne!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let body = json_of_size(2 << 20);
    let length = body.len();
    let reply = send(
        &app,
        "POST",
        "/api/me/progress/sync",
        Body::from(body),
        Some(length),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn operations_that_take_a_body_declare_413() {
    let app = app().await;
    let spec = app.get("/openapi.json").await.json();
    let mut with_body = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("requestBody").is_some() {
                with_body += 1;
                assert!(
                    operation["responses"]["413"].is_object(),
                    "{method} {path} takes a body but does not declare 413"
                );
            }
        }
    }
    assert!(
        with_body >= 6,
        "PATCH /api/me and the programme operations take bodies"
    );
}

#[test]
fn expect_100_continue_with_a_large_content_length_gets_413_instead_of_100() {
    let server = Server::start(&[]);
    let mut stream = server.connect();
    write!(
        stream,
        "PATCH /api/me HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: 1000000000\r\nExpect: 100-continue\r\n\r\n"
    )
    .expect("send");
    let (_, response) = read_until_closed(&mut stream, Duration::from_secs(5));
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "no 100 Continue, 413 at once: {response}"
    );
    assert!(response.contains("payload_too_large"), "{response}");
}
