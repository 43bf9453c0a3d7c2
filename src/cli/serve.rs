//! `academy serve`: the HTTP server, until Ctrl-C.

use std::time::Duration;

use anyhow::Context;

use crate::{
    Academy, Config,
    http::server::{self, ServerLimits},
};

/// Starts the Academy (migrating and importing as needed) and serves it on `config.bind`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let poll = config.content_poll_seconds;
    let jobs = config.jobs_interval_seconds;
    let bind = config.bind;
    let limits = ServerLimits {
        max_connections: server::fit_connections(config.max_connections.max(1)),
        header_timeout: Duration::from_secs(config.header_timeout_seconds.max(1)),
        idle_timeout: Duration::from_secs(config.idle_timeout_seconds.max(1)),
    };
    let academy = Academy::start(config).await?;
    if poll > 0 {
        academy.spawn_content_poll(Duration::from_secs(poll));
    }
    if jobs > 0 {
        academy.spawn_jobs(Duration::from_secs(jobs));
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("listening on {bind}"))?;
    tracing::info!(%bind, max_connections = limits.max_connections, "serving the ISHR Academy API (docs at /docs)");
    server::serve(listener, academy.endpoint(), limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving HTTP")
}
