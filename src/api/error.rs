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

/// Errors of the catalog endpoints.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed: an unknown filter value, a bad cursor or limit.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Nothing exists at this address.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Something failed on our side; the details are in the server log only.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
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

    /// Logs the whole cause chain and answers with a generic message.
    pub fn internal(error: &anyhow::Error) -> Self {
        tracing::error!(error = format!("{error:#}"), "request failed");
        ApiError::Internal(body(
            "internal_error",
            "Something went wrong on our side. Please try again later.",
        ))
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        ApiError::internal(&error)
    }
}
