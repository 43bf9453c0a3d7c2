//! The HTTP API: thin poem-openapi handlers over the domain crates.

pub mod admin;
pub mod auth;
pub mod content;
pub mod courses;
pub mod error;
pub mod guard;
pub mod health;
pub mod lessons;
pub mod me;
pub mod search;

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
}

/// The whole documented API.
pub type Api = (
    health::HealthApi,
    courses::CoursesApi,
    lessons::LessonsApi,
    auth::AuthApi,
    me::MeApi,
    admin::AdminApi,
    search::SearchApi,
);

/// Builds the OpenAPI service for `state`.
pub fn service(state: &AppState) -> OpenApiService<Api, ()> {
    let bodies = content::body_cache();
    OpenApiService::new(
        (
            health::HealthApi {
                state: state.clone(),
            },
            courses::CoursesApi {
                state: state.clone(),
                bodies: bodies.clone(),
            },
            lessons::LessonsApi {
                state: state.clone(),
                bodies,
            },
            auth::AuthApi {
                state: state.clone(),
            },
            me::MeApi {
                state: state.clone(),
            },
            admin::AdminApi {
                state: state.clone(),
            },
            search::SearchApi {
                state: state.clone(),
            },
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
