//! Liveness and readiness probes.

use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use sea_orm::ConnectionTrait;

use super::{ApiTags, errors::ErrorBody};
use crate::state::AppState;

/// The process is up.
#[derive(Object)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// The node can serve: database reachable, content loaded.
#[derive(Object)]
pub struct Ready {
    /// Always `ready`.
    pub status: String,
    /// The content version (hash) this node serves.
    pub content_version: String,
}

#[derive(ApiResponse)]
pub enum ReadyResponse {
    /// Ready to serve.
    #[oai(status = 200)]
    Ready(Json<Ready>),
    /// Not ready: the database is unreachable or no content is loaded yet.
    #[oai(status = 503)]
    NotReady(Json<ErrorBody>),
}

pub struct HealthApi {
    pub state: AppState,
}

#[OpenApi(tag = "ApiTags::Operations")]
impl HealthApi {
    /// Liveness
    ///
    /// Answers as long as the process runs; touches nothing else.
    #[oai(path = "/health", method = "get")]
    async fn health(&self) -> Json<Health> {
        Json(Health {
            status: "ok".to_owned(),
        })
    }

    /// Readiness
    ///
    /// 200 when the database answers and course content is loaded, 503 otherwise.
    #[oai(path = "/ready", method = "get")]
    async fn ready(&self) -> ReadyResponse {
        let not_ready = |code: &str, message: &str| {
            ReadyResponse::NotReady(Json(ErrorBody {
                code: code.to_owned(),
                message: message.to_owned(),
            }))
        };
        if let Err(e) = self.state.db.execute_unprepared("SELECT 1").await {
            tracing::warn!(error = %e, "readiness: database unreachable");
            return not_ready("database_unreachable", "the database does not answer");
        }
        match &self.state.catalog().version {
            Some(version) => ReadyResponse::Ready(Json(Ready {
                status: "ready".to_owned(),
                content_version: version.hash.clone(),
            })),
            None => not_ready(
                "content_not_loaded",
                "no course content has been imported yet",
            ),
        }
    }
}
