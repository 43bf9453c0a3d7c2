//! The API's error responses: `{ "code": "stable_snake_case", "message": "human text" }`.

use poem_openapi::{ApiResponse, Object, payload::Json};

/// An error: a stable machine-readable `code` and a message for people.
#[derive(Debug, Object)]
pub struct ErrorBody {
    /// Stable identifier of the error, e.g. `course_not_found`.
    pub code: String,
    /// What went wrong and, where it helps, how to fix the request.
    pub message: String,
}

/// Errors of the public content endpoints (catalog, lessons, quizzes, search), which need no
/// account: only these statuses can happen there.
#[derive(Debug, ApiResponse)]
pub enum ContentError {
    /// The request is malformed: an unknown filter value, language, cursor or limit.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Nothing exists at this address.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Something failed on our side; the details are in the server log only.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

impl ContentError {
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        ContentError::BadRequest(body(code, message))
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        ContentError::NotFound(body(code, message))
    }

    /// Logs the whole cause chain and answers with a generic message.
    pub fn internal(error: &anyhow::Error) -> Self {
        ContentError::Internal(internal_body(error))
    }
}

impl From<anyhow::Error> for ContentError {
    fn from(error: anyhow::Error) -> Self {
        ContentError::Internal(internal_body(&error))
    }
}

/// Errors of the endpoints that deal with accounts and sign-in.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Not signed in, or the session has ended.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Signed in, but not allowed to do this (missing role, missing CSRF token, declined
    /// sign-in).
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// Nothing exists at this address.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The request conflicts with the current state.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// Too many requests from this client; retry after the given number of seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// Something failed on our side; the details are in the server log only.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// A service we depend on (an identity provider) did not answer in time or at all.
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
}

fn body(code: &str, message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        code: code.to_owned(),
        message: message.into(),
    })
}

impl ApiError {
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest(body(code, message))
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        ApiError::NotFound(body(code, message))
    }

    pub fn unauthorized(code: &str, message: impl Into<String>) -> Self {
        ApiError::Unauthorized(body(code, message))
    }

    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        ApiError::Forbidden(body(code, message))
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        ApiError::Conflict(body(code, message))
    }

    /// 429 with `Retry-After` in whole seconds (at least 1).
    pub fn too_many_requests(retry_after: std::time::Duration) -> Self {
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        ApiError::TooManyRequests(
            body(
                "too_many_requests",
                "Too many attempts from your address. Please wait and try again.",
            ),
            seconds.max(1),
        )
    }

    pub fn bad_gateway(code: &str, message: impl Into<String>) -> Self {
        ApiError::BadGateway(body(code, message))
    }

    /// Logs the whole cause chain and answers with a generic message.
    pub fn internal(error: &anyhow::Error) -> Self {
        ApiError::Internal(internal_body(error))
    }
}

/// Logs the whole cause chain; the client gets a generic message.
fn internal_body(error: &anyhow::Error) -> Json<ErrorBody> {
    tracing::error!(error = format!("{error:#}"), "request failed");
    body(
        "internal_error",
        "Something went wrong on our side. Please try again later.",
    )
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        ApiError::internal(&error)
    }
}
