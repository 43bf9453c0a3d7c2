//! The API's error responses: `{ "code": "stable_snake_case", "message": "human text" }`.
//!
//! Which type to use where:
//! - Each operation returns `Result<_, ItsError>`, where `ItsError` is declared with
//!   [`api_error!`] next to the handler and lists exactly the statuses that operation can
//!   answer (500 is always added). The OpenAPI document shows that list and nothing else.
//! - Domain errors become a [`Failure`] (a status, a stable `code` and a message) through the
//!   `From` impls of each area (`api/identity/…`, `api/catalog/…`), written once per domain
//!   error, not once per handler. `?` then turns a `Failure` into the operation's enum.
//! - The guard's refusals are an [`AuthFailure`](super::guard::AuthFailure), which also
//!   converts into every operation's enum.
//! - A `Failure` whose status the operation did not declare is a bug: it is logged, answered
//!   as a 500, and fails the test that provoked it (debug builds assert).

use poem_openapi::{Object, payload::Json};

/// An error: a stable machine-readable `code` and a message for people.
#[derive(Debug, Object)]
pub struct ErrorBody {
    /// Stable identifier of the error, e.g. `course_not_found`.
    pub code: String,
    /// What went wrong and, where it helps, how to fix the request.
    pub message: String,
}

/// The statuses an operation can declare, by the name of their variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    /// Answered by the body limit ([`crate::http::limits`]) before the handler runs; declared
    /// by the operations that take a body.
    PayloadTooLarge,
    /// With the seconds to wait (`Retry-After`).
    TooManyRequests(u64),
    Internal,
    BadGateway,
}

impl Status {
    /// The HTTP status code.
    pub fn code(self) -> u16 {
        match self {
            Status::BadRequest => 400,
            Status::Unauthorized => 401,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::Conflict => 409,
            Status::PayloadTooLarge => 413,
            Status::TooManyRequests(_) => 429,
            Status::Internal => 500,
            Status::BadGateway => 502,
        }
    }
}

/// An error answer not yet given its operation's type.
#[derive(Debug)]
pub struct Failure {
    pub status: Status,
    pub body: ErrorBody,
}

impl Failure {
    fn new(status: Status, code: &str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            body: ErrorBody {
                code: code.to_owned(),
                message: message.into(),
            },
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Failure {
        Failure::new(Status::BadRequest, code, message)
    }

    pub fn unauthorized(code: &str, message: impl Into<String>) -> Failure {
        Failure::new(Status::Unauthorized, code, message)
    }

    pub fn forbidden(code: &str, message: impl Into<String>) -> Failure {
        Failure::new(Status::Forbidden, code, message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Failure {
        Failure::new(Status::NotFound, code, message)
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Failure {
        Failure::new(Status::Conflict, code, message)
    }

    pub fn bad_gateway(code: &str, message: impl Into<String>) -> Failure {
        Failure::new(Status::BadGateway, code, message)
    }

    /// 429 with `Retry-After` in whole seconds (at least 1).
    pub fn too_many_requests(retry_after: std::time::Duration) -> Failure {
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        Failure::new(
            Status::TooManyRequests(seconds.max(1)),
            "too_many_requests",
            "Too many attempts from your address. Please wait and try again.",
        )
    }

    /// Logs the whole cause chain; the client gets a generic message.
    pub fn internal(error: &anyhow::Error) -> Failure {
        tracing::error!(error = format!("{error:#}"), "request failed");
        Failure::new(
            Status::Internal,
            "internal_error",
            "Something went wrong on our side. Please try again later.",
        )
    }

    /// The body as a JSON payload.
    pub fn into_json(self) -> Json<ErrorBody> {
        Json(self.body)
    }

    /// What an operation answers for a status it did not declare: a 500, after logging (and,
    /// in debug builds, failing loudly, so that tests catch the undeclared status).
    pub fn undeclared(self, operation: &str) -> Json<ErrorBody> {
        let code = self.status.code();
        debug_assert!(
            false,
            "{operation} answered {code} `{}`, which it does not declare",
            self.body.code
        );
        Failure::internal(&anyhow::anyhow!(
            "{operation} answered {code} `{}`, which it does not declare",
            self.body.code
        ))
        .into_json()
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::internal(&error)
    }
}

/// Declares the error enum of one operation from the statuses it can answer (by variant name:
/// `BadRequest`, `Unauthorized`, `Forbidden`, `NotFound`, `Conflict`, `PayloadTooLarge`,
/// `TooManyRequests`, `BadGateway`); `Internal` (500) is always added. The enum converts from [`Failure`],
/// [`AuthFailure`](super::guard::AuthFailure) and `anyhow::Error`.
macro_rules! api_error {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident),* $(,)? }) => {
        $crate::api::errors::api_error!(@munch body [$(#[$meta])*] $vis $name [] [] [] $($variant)*);
    };
    (@munch $b:ident $m:tt $vis:vis $name:ident [$($vars:tt)*] [$($arms:tt)*] [$($codes:tt)*] BadRequest $($rest:ident)*) => {
        $crate::api::errors::api_error!(@munch $b $m $vis $name [$($vars)*
            /// The request is malformed or names something that does not exist; `code` says which.
            #[oai(status = 400)]
            BadRequest(::poem_openapi::payload::Json<$crate::api::errors::ErrorBody>),
        ] [$($arms)*
            $crate::api::errors::Status::BadRequest => $name::BadRequest(::poem_openapi::payload::Json($b)),
        ] [$($codes)* 400,] $($rest)*);
    };
    (@munch $b:ident $m:tt $vis:vis $name:ident [$($vars:tt)*] [$($arms:tt)*] [$($codes:tt)*] Unauthorized $($rest:ident)*) => {
        $crate::api::errors::api_error!(@munch $b $m $vis $name [$($vars)*
            /// Not signed in, or the session has ended (`not_signed_in`, `session_expired`).
            #[oai(status = 401)]
            Unauthorized(::poem_openapi::payload::Json<$crate::api::errors::ErrorBody>),
        ] [$($arms)*
            $crate::api::errors::Status::Unauthorized => $name::Unauthorized(::poem_openapi::payload::Json($b)),
        ] [$($codes)* 401,] $($rest)*);
    };
    (@munch $b:ident $m:tt $vis:vis $name:ident [$($vars:tt)*] [$($arms:tt)*] [$($codes:tt)*] Forbidden $($rest:ident)*) => {
        $crate::api::errors::api_error!(@munch $b $m $vis $name [$($vars)*
            /// Signed in, but not allowed to do this: a missing role (`role_required`), a missing
            /// `X-CSRF-Token` (`csrf_token_invalid`), or as `code` says.
            #[oai(status = 403)]
            Forbidden(::poem_openapi::payload::Json<$crate::api::errors::ErrorBody>),
        ] [$($arms)*
            $crate::api::errors::Status::Forbidden => $name::Forbidden(::poem_openapi::payload::Json($b)),
        ] [$($codes)* 403,] $($rest)*);
    };
    (@munch $b:ident $m:tt $vis:vis $name:ident [$($vars:tt)*] [$($arms:tt)*] [$($codes:tt)*] NotFound $($rest:ident)*) => {
        $crate::api::errors::api_error!(@munch $b $m $vis $name [$($vars)*
            /// Nothing exists at this address; `code` says what is missing.
            #[oai(status = 404)]
            NotFound(::poem_openapi::payload::Json<$crate::api::errors::ErrorBody>),
        ] [$($arms)*
            $crate::api::errors::Status::NotFound => $name::NotFound(::poem_openapi::payload::Json($b)),
        ] [$($codes)* 404,] $($rest)*);
    };
    (@munch $b:ident $m:tt $vis:vis $name:ident [$($vars:tt)*] [$($arms:tt)*] [$($codes:tt)*] Conflict $($rest:ident)*) => {
        $crate::api::errors::api_error!(@munch $b $m $vis $name [$($vars)*
            /// The request conflicts with the current state; `code` says how.
            #[oai(status = 409)]
            Conflict(::poem_openapi::payload::Json<$crate::api::errors::ErrorBody>),
        ] [$($arms)*
            $crate::api::errors::Status::Conflict => $name::Conflict(::poem_openapi::payload::Json($b)),
        ] [$($codes)* 409,] $($rest)*);
    };
    (@munch $b:ident $m:tt $vis:vis $name:ident [$($vars:tt)*] [$($arms:tt)*] [$($codes:tt)*] PayloadTooLarge $($rest:ident)*) => {
        $crate::api::errors::api_error!(@munch $b $m $vis $name [$($vars)*
            /// The request body is larger than this operation accepts (`payload_too_large`);
            /// refused before it is read when `Content-Length` says so.
            #[oai(status = 413)]
            PayloadTooLarge(::poem_openapi::payload::Json<$crate::api::errors::ErrorBody>),
        ] [$($arms)*
            $crate::api::errors::Status::PayloadTooLarge => $name::PayloadTooLarge(::poem_openapi::payload::Json($b)),
        ] [$($codes)* 413,] $($rest)*);
    };
    (@munch $b:ident $m:tt $vis:vis $name:ident [$($vars:tt)*] [$($arms:tt)*] [$($codes:tt)*] TooManyRequests $($rest:ident)*) => {
        $crate::api::errors::api_error!(@munch $b $m $vis $name [$($vars)*
            /// Too many requests from this client; retry after `Retry-After` seconds.
            #[oai(status = 429)]
            TooManyRequests(
                ::poem_openapi::payload::Json<$crate::api::errors::ErrorBody>,
                #[oai(header = "Retry-After")] u64,
            ),
        ] [$($arms)*
            $crate::api::errors::Status::TooManyRequests(seconds) => $name::TooManyRequests(::poem_openapi::payload::Json($b), seconds),
        ] [$($codes)* 429,] $($rest)*);
    };
    (@munch $b:ident $m:tt $vis:vis $name:ident [$($vars:tt)*] [$($arms:tt)*] [$($codes:tt)*] BadGateway $($rest:ident)*) => {
        $crate::api::errors::api_error!(@munch $b $m $vis $name [$($vars)*
            /// A service we depend on (an identity provider) did not answer in time or at all.
            #[oai(status = 502)]
            BadGateway(::poem_openapi::payload::Json<$crate::api::errors::ErrorBody>),
        ] [$($arms)*
            $crate::api::errors::Status::BadGateway => $name::BadGateway(::poem_openapi::payload::Json($b)),
        ] [$($codes)* 502,] $($rest)*);
    };
    (@munch $b:ident [$($m:tt)*] $vis:vis $name:ident [$($vars:tt)*] [$($arms:tt)*] [$($codes:tt)*]) => {
        $($m)*
        #[derive(Debug, ::poem_openapi::ApiResponse)]
        $vis enum $name {
            $($vars)*
            /// Something failed on our side; the details are in the server log only.
            #[oai(status = 500)]
            Internal(::poem_openapi::payload::Json<$crate::api::errors::ErrorBody>),
        }

        impl $name {
            /// The statuses this operation declares, 500 last.
            #[allow(dead_code)]
            pub const STATUSES: &'static [u16] = &[$($codes)* 500];
        }

        impl ::std::convert::From<$crate::api::errors::Failure> for $name {
            fn from(failure: $crate::api::errors::Failure) -> Self {
                let $crate::api::errors::Failure { status, body: $b } = failure;
                #[allow(unreachable_patterns)]
                match status {
                    $($arms)*
                    $crate::api::errors::Status::Internal => $name::Internal(::poem_openapi::payload::Json($b)),
                    _ => $name::Internal(
                        $crate::api::errors::Failure { status, body: $b }.undeclared(stringify!($name)),
                    ),
                }
            }
        }

        impl ::std::convert::From<$crate::api::guard::AuthFailure> for $name {
            fn from(failure: $crate::api::guard::AuthFailure) -> Self {
                $crate::api::errors::Failure::from(failure).into()
            }
        }

        impl ::std::convert::From<::anyhow::Error> for $name {
            fn from(error: ::anyhow::Error) -> Self {
                $crate::api::errors::Failure::internal(&error).into()
            }
        }
    };
}

pub(crate) use api_error;

#[cfg(test)]
pub(crate) mod tests {
    use poem::IntoResponse;

    use super::*;

    /// Every status a [`Failure`] can carry, with a sample `Retry-After`.
    const ALL: [Status; 9] = [
        Status::BadRequest,
        Status::Unauthorized,
        Status::Forbidden,
        Status::NotFound,
        Status::Conflict,
        Status::PayloadTooLarge,
        Status::TooManyRequests(7),
        Status::Internal,
        Status::BadGateway,
    ];

    /// Checks an operation's error enum: each declared status is answered as itself with the
    /// failure's `code` and message, 429 with its `Retry-After`; 500 is always declared.
    pub fn check_mapping<E: From<Failure> + IntoResponse>(declared: &[u16]) {
        assert_eq!(declared.last(), Some(&500), "500 is always declared last");
        for status in ALL.into_iter().filter(|s| declared.contains(&s.code())) {
            let code = format!("sample_{}", status.code());
            let response = E::from(Failure::new(status, &code, "what happened")).into_response();
            assert_eq!(response.status().as_u16(), status.code(), "{status:?}");
            if let Status::TooManyRequests(seconds) = status {
                assert_eq!(
                    response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok()),
                    Some(seconds.to_string().as_str())
                );
            }
            let body = futures_body(response);
            assert_eq!(body["code"], code.as_str(), "{status:?}");
            assert_eq!(body["message"], "what happened");
        }
    }

    fn futures_body(response: poem::Response) -> serde_json::Value {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let bytes = runtime
            .block_on(response.into_body().into_vec())
            .expect("a body");
        serde_json::from_slice(&bytes).expect("a JSON body")
    }

    api_error!(
        /// A sample operation that declares two statuses.
        enum Sample {
            NotFound,
            TooManyRequests,
        }
    );

    #[test]
    fn a_declared_status_keeps_its_code_and_an_undeclared_one_is_a_bug() {
        check_mapping::<Sample>(Sample::STATUSES);
        assert_eq!(Sample::STATUSES, &[404, 429, 500]);
        let undeclared = std::panic::catch_unwind(|| {
            Sample::from(Failure::conflict("surprise", "not declared"))
        });
        assert!(
            undeclared.is_err(),
            "debug builds refuse an undeclared status"
        );
    }
}
