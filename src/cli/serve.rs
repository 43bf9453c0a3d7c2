//! `academy serve`: the HTTP server, until Ctrl-C.

use std::time::Duration;

use anyhow::Context;

use crate::{Academy, Config};

/// Starts the Academy (migrating and importing as needed) and serves it on `config.bind`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let poll = config.content_poll_seconds;
    let jobs = config.jobs_interval_seconds;
    let bind = config.bind;
    let academy = Academy::start(config).await?;
    if poll > 0 {
        academy.spawn_content_poll(Duration::from_secs(poll));
    }
    if jobs > 0 {
        academy.spawn_jobs(Duration::from_secs(jobs));
    }
    tracing::info!(%bind, "serving the ISHR Academy API (docs at /docs)");
    poem::Server::new(poem::listener::TcpListener::bind(bind))
        .run_with_graceful_shutdown(
            academy.endpoint(),
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
            Some(Duration::from_secs(10)),
        )
        .await
        .context("serving HTTP")
}
