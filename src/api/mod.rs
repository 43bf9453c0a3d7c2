//! The HTTP API: thin poem-openapi handlers over the domain crates, one folder per area. Each
//! area's `mod.rs` exports its `Api` tuple and builds it from the state.

/// The items of poem-openapi's `Type` that every one of our value types shares: it is
/// required, and it is its own raw value. Used inside `impl Type for …`, beside `name` and
/// `schema_ref`.
macro_rules! self_valued {
    () => {
        const IS_REQUIRED: bool = true;
        type RawValueType = Self;
        type RawElementValueType = Self;

        fn as_raw_value(&self) -> Option<&Self::RawValueType> {
            Some(self)
        }

        fn raw_element_iter<'a>(
            &'a self,
        ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
            Box::new(self.as_raw_value().into_iter())
        }
    };
}
pub(crate) use self_valued;

pub mod catalog;
pub mod certificates;
pub mod errors;
pub mod guard;
pub mod health;
pub mod identity;
pub mod inputs;
pub mod json_string;
pub mod params;
pub mod programmes;
pub mod progress;
pub mod search;
pub mod stats;

use poem_openapi::{OpenApiService, Tags};

use crate::state::AppState;

#[derive(Tags)]
pub enum ApiTags {
    /// Courses, lessons and quizzes.
    Catalog,
    /// Probes for load balancers and orchestrators.
    Operations,
    /// Signing in and out, one's own account, sessions and data.
    Identity,
    /// Accounts, roles and the audit log (admins only).
    Administration,
    /// Progress in courses, quiz attempts graded on the server, offline sync.
    Learning,
    /// Enrolment in courses, HRDAP programme editions, applications, review, selection, the
    /// cohort, and notifications.
    Programmes,
    /// Verifiable certificates: the credentials (Open Badges 3.0), their verification pages,
    /// revocation status lists, the issuer's DID document, verification, revocation.
    Certificates,
    /// Reach statistics for staff: published only under small-cell disclosure control.
    Statistics,
}

/// The whole documented API: a tuple of the areas' tuples.
pub type Api = (
    health::HealthApi,
    catalog::Api,
    search::Api,
    identity::Api,
    programmes::Api,
    progress::Api,
    certificates::Api,
    stats::Api,
);

/// Builds the OpenAPI service for `state`.
pub fn service(state: &AppState) -> OpenApiService<Api, ()> {
    OpenApiService::new(
        (
            health::HealthApi {
                state: state.clone(),
            },
            catalog::api(state),
            search::api(state),
            identity::api(state),
            programmes::api(state),
            progress::api(state),
            certificates::api(state),
            stats::api(state),
        ),
        "ISHR Academy API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Courses on the UN human-rights mechanisms for human rights defenders. Errors are JSON \
         `{code, message}`; content responses carry `ETag` and `Content-Language` and honour \
         `If-None-Match`, `?lang=` and `Accept-Language`.",
    )
}
