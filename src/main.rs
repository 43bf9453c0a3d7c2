//! The `academy` command: serve the API, migrate, import and check course content.

use std::{io::IsTerminal, path::PathBuf, process::ExitCode, time::Duration};

use academy::{Academy, Config, app::open_database};
use academy_courses::{content, import};
use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use tracing_subscriber::EnvFilter;

/// ISHR Academy backend. Settings come from ACADEMY_* variables and the TOML file named by
/// ACADEMY_CONFIG (see the README).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, import the content if there is none yet, and serve the API.
    Serve,
    /// Bring the database schema up to date.
    Migrate,
    /// Validate a content directory, then load it into the database in one transaction.
    Import {
        /// The content directory (default: the configured content_dir).
        dir: Option<PathBuf>,
    },
    /// Validate a content directory without touching the database; one line per problem.
    Check {
        /// The content directory (default: the configured content_dir).
        dir: Option<PathBuf>,
    },
    /// Manage accounts without an identity provider.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Issue API tokens for `Authorization: Bearer`.
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create an account and print its id (for `academy tokens issue`).
    Add {
        /// The display name (a pseudonym is fine).
        #[arg(long)]
        name: String,
        /// A role beyond learner: trainer, staff or admin (repeatable).
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<academy_identity::Role>,
    },
}

#[derive(Subcommand)]
enum TokensCommand {
    /// Start an API session for account USER and print its bearer token (shown only once).
    Issue {
        /// The account id printed by `academy users add`.
        user: i32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => serve(config).await?,
        Command::Migrate => {
            open_database(&config).await?;
            println!("database is up to date");
        }
        Command::Check { dir } => {
            let dir = dir.unwrap_or(config.content_dir);
            return Ok(match content::load_dir(&dir) {
                Ok(set) => {
                    let lessons: usize = set
                        .courses
                        .iter()
                        .flat_map(|c| &c.modules)
                        .map(|m| m.lessons.len())
                        .sum();
                    println!(
                        "{}: {} courses, {lessons} lessons, all valid",
                        dir.display(),
                        set.courses.len()
                    );
                    ExitCode::SUCCESS
                }
                Err(problems) => {
                    for problem in &problems.0 {
                        println!("{problem}");
                    }
                    ExitCode::FAILURE
                }
            });
        }
        Command::Users {
            command: UsersCommand::Add { name, roles },
        } => {
            let db = open_database(&config).await?;
            let account = academy_identity::account::create(&db, Some(&name), &roles).await?;
            let roles: Vec<&str> = account.roles.iter().map(|r| r.as_str()).collect();
            println!(
                "created user {} with roles {}",
                account.id,
                roles.join(", ")
            );
        }
        Command::Tokens {
            command: TokensCommand::Issue { user },
        } => {
            let db = open_database(&config).await?;
            academy_identity::account::get(&db, user)
                .await
                .with_context(|| format!("user {user}"))?;
            let policy = config.session_policy();
            let session = academy_identity::session::start(
                &db,
                user,
                academy_identity::SessionKind::Token,
                policy,
            )
            .await?;
            eprintln!(
                "bearer token for user {user}, valid until {} (shown only once; revoke it with \
                 DELETE /api/me/sessions/{}):",
                session.expires_at.to_rfc3339(),
                session.id
            );
            println!("{}", session.token);
        }
        Command::Import { dir } => {
            let dir = dir.unwrap_or_else(|| config.content_dir.clone());
            let set = match content::load_dir(&dir) {
                Ok(set) => set,
                Err(problems) => {
                    for problem in &problems.0 {
                        println!("{problem}");
                    }
                    eprintln!("nothing imported: fix the problems above first");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let db = open_database(&config).await?;
            let bar = if std::io::stderr().is_terminal() {
                ProgressBar::new(set.courses.len() as u64)
            } else {
                ProgressBar::hidden()
            };
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} courses {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let report = import::import(&db, &set, |done, _, slug| {
                bar.set_position(done as u64);
                bar.set_message(slug.to_owned());
            })
            .await?;
            bar.finish_and_clear();
            if report.changed {
                println!(
                    "imported content version {}: {} course(s) written, {} retired",
                    &report.version[..12],
                    report.written.len(),
                    report.retired.len()
                );
            } else {
                println!(
                    "content unchanged (version {}): nothing written",
                    &report.version[..12]
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let poll = config.content_poll_seconds;
    let bind = config.bind;
    let academy = Academy::start(config).await?;
    if poll > 0 {
        academy.spawn_content_poll(Duration::from_secs(poll));
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
