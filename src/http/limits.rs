//! Bounded request bodies: every body is read here, before any handler parses it or checks who
//! is asking, and refused with 413 once it is larger than its operation allows. A
//! `Content-Length` over the limit is refused before a byte of the body is read, so a client that
//! sent `Expect: 100-continue` gets the 413 instead of `100 Continue` (hyper sends `100 Continue`
//! only when a body is first read, and then closes the connection rather than read the unwanted
//! body). A chunked or HTTP/2 body is counted while it arrives. A body must also keep coming:
//! after a grace period it must have arrived at [`MIN_BODY_RATE`] on average, or the request
//! is answered 408.

use std::time::Duration;

use bytes::BytesMut;
use futures_util::StreamExt;
use poem::{
    Body, Endpoint, Middleware, Request, Result,
    http::{Method, StatusCode, header},
};

/// The most a request body may hold unless [`LARGER_BODIES`] names its operation.
pub const DEFAULT_BODY_LIMIT: usize = 64 << 10;

/// The operations that accept larger bodies: method, path (the path itself or anything below
/// it), the most they accept. The first match wins. This is the one place to raise a limit.
pub const LARGER_BODIES: &[(Method, &str, usize)] = &[
    // A batch of lesson progress recorded offline (a course's worth of lessons and quiz answers).
    (Method::POST, "/api/me/progress/sync", 1 << 20),
];

/// The slowest average rate, in bytes per second, a body may arrive at once its grace period
/// (`ACADEMY_BODY_TIMEOUT_SECONDS`) is over: a body of `n` bytes may take `grace + n / rate`.
pub const MIN_BODY_RATE: u64 = 1024;

/// The most a body sent with `method` to `path` may hold.
pub fn body_limit(method: &Method, path: &str) -> usize {
    LARGER_BODIES
        .iter()
        .find(|(m, prefix, _)| {
            m == method
                && path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .map_or(DEFAULT_BODY_LIMIT, |(_, _, limit)| *limit)
}

/// The body-limit middleware.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// How long any body may take before [`MIN_BODY_RATE`] applies.
    pub grace: Duration,
}

impl<E: Endpoint> Middleware<E> for BodyLimits {
    type Output = BodyLimitsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitsEndpoint {
            inner,
            grace: self.grace,
        }
    }
}

pub struct BodyLimitsEndpoint<E> {
    inner: E,
    grace: Duration,
}

/// 413, answered in the API's JSON error shape by [`super::errors::JsonErrors`].
fn too_large(limit: usize) -> poem::Error {
    poem::Error::from_string(
        format!(
            "The request body is larger than {} KiB, the most this operation accepts.",
            limit >> 10
        ),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
}

impl<E: Endpoint> Endpoint for BodyLimitsEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut request: Request) -> Result<Self::Output> {
        let limit = body_limit(request.method(), request.uri().path());
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(too_large(limit));
        }
        let body = read_bounded(request.take_body(), limit, self.grace).await?;
        request.set_body(body);
        self.inner.call(request).await
    }
}

/// Reads `body` whole, refusing it as soon as it holds more than `limit` bytes or falls behind
/// [`MIN_BODY_RATE`] after `grace`.
async fn read_bounded(body: Body, limit: usize, grace: Duration) -> Result<Body> {
    let started = tokio::time::Instant::now();
    let mut stream = body.into_bytes_stream();
    let mut read = BytesMut::new();
    loop {
        let earned = Duration::from_millis(read.len() as u64 * 1000 / MIN_BODY_RATE);
        let next = tokio::time::timeout_at(started + grace + earned, stream.next());
        let Some(chunk) = next.await.map_err(|_| {
            poem::Error::from_string(
                "The request body arrived too slowly.",
                StatusCode::REQUEST_TIMEOUT,
            )
        })?
        else {
            break;
        };
        let chunk = chunk.map_err(|_| {
            poem::Error::from_string(
                "The request body could not be read to its end.",
                StatusCode::BAD_REQUEST,
            )
        })?;
        if read.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        read.extend_from_slice(&chunk);
    }
    Ok(Body::from_bytes(read.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_operations_accept_more_than_the_default() {
        assert_eq!(body_limit(&Method::PATCH, "/api/me"), DEFAULT_BODY_LIMIT);
        assert_eq!(body_limit(&Method::POST, "/api/me/progress/sync"), 1 << 20);
        assert_eq!(
            body_limit(&Method::POST, "/api/me/progress/sync/x"),
            1 << 20
        );
        assert_eq!(
            body_limit(&Method::POST, "/api/me/progress/syncing"),
            DEFAULT_BODY_LIMIT
        );
        assert_eq!(
            body_limit(&Method::PUT, "/api/me/progress/sync"),
            DEFAULT_BODY_LIMIT
        );
    }
}
