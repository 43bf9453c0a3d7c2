//! The `academy` command line: one file per command group; `main.rs` only parses, sets up
//! logging and dispatches here.

mod content;
mod keys;
mod serve;
mod stats;
mod users;

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use crate::{Config, app::open_database};

/// ISHR Academy backend. Settings come from ACADEMY_* variables and the TOML file named by
/// ACADEMY_CONFIG (see the README).
#[derive(Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Migrate the database, import the content if there is none yet, and serve the API.
    Serve,
    /// Bring the database schema up to date.
    Migrate,
    /// Validate a content directory, then load it into the database in one transaction.
    Import {
        /// The content directory (default: the configured content_dir).
        dir: Option<PathBuf>,
    },
    /// Validate a content directory without touching the database; one line per problem,
    /// then advice (`warning:` lines) that does not stop an import.
    Check {
        /// The content directory (default: the configured content_dir).
        dir: Option<PathBuf>,
    },
    /// Manage accounts without an identity provider.
    Users {
        #[command(subcommand)]
        command: users::UsersCommand,
    },
    /// Issue API tokens for `Authorization: Bearer`.
    Tokens {
        #[command(subcommand)]
        command: users::TokensCommand,
    },
    /// Data keys, which seal sensitive application answers at rest.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Reach statistics, under the same disclosure control as the API.
    Stats {
        #[command(subcommand)]
        command: stats::StatsCommand,
    },
}

/// Runs `command` with `config`; the exit code says how it went.
pub async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => serve::serve(config).await.map(|()| ExitCode::SUCCESS),
        Command::Migrate => {
            open_database(&config).await?;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { dir } => Ok(content::check(&dir.unwrap_or(config.content_dir))),
        Command::Import { dir } => {
            let dir = dir.unwrap_or_else(|| config.content_dir.clone());
            content::import(&config, &dir).await
        }
        Command::Users { command } => users::users(&config, command).await,
        Command::Tokens { command } => users::tokens(&config, command).await,
        Command::Keys { command } => keys::keys(&config, command).await,
        Command::Stats { command } => stats::stats(&config, command).await,
    }
}
