//! Turns every error that escapes a handler (unknown route, unparsable parameter, panic) into
//! the API's JSON error shape, and logs request outcomes without personal data.

use std::time::Instant;

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result, http::StatusCode, web::Json,
};
use serde_json::json;

/// The error-shaping and logging middleware.
#[derive(Clone, Copy, Default)]
pub struct JsonErrors;

impl<E: Endpoint> Middleware<E> for JsonErrors {
    type Output = JsonErrorsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        JsonErrorsEndpoint { inner }
    }
}

pub struct JsonErrorsEndpoint<E> {
    inner: E,
}

fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        s if s.is_client_error() => "bad_request",
        _ => "internal_error",
    }
}

impl<E: Endpoint> Endpoint for JsonErrorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> Result<Response> {
        let started = Instant::now();
        let method = request.method().clone();
        // The path only: query strings can carry what a person searched for.
        let path = request.uri().path().to_owned();
        let response = match self.inner.call(request).await {
            Ok(output) => output.into_response(),
            // An error response a handler built on purpose (its `api_error!` enum): already in shape.
            Err(error) if error.is_from_response() => error.into_response(),
            Err(error) => {
                let status = error.status();
                let message = if status.is_server_error() {
                    tracing::error!(%method, %path, error = %error, "request failed");
                    "Something went wrong on our side. Please try again later.".to_owned()
                } else if status == StatusCode::NOT_FOUND {
                    "There is nothing at this address. The API is described at /openapi.json."
                        .to_owned()
                } else {
                    error.to_string()
                };
                let body = Json(json!({ "code": code_for(status), "message": message }));
                (status, body).into_response()
            }
        };
        tracing::debug!(%method, %path, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
        Ok(response)
    }
}
