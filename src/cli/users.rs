//! `academy users add` and `academy tokens issue`: accounts and API tokens without an identity
//! provider (for the first admin, scripts and tests).

use std::process::ExitCode;

use academy_identity::{Role, SessionKind, account, session};
use anyhow::Context;
use clap::Subcommand;

use crate::{Config, app::open_database};

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Create an account and print its id (for `academy tokens issue`).
    Add {
        /// The display name (a pseudonym is fine).
        #[arg(long)]
        name: String,
        /// A role beyond learner: trainer, staff or admin (repeatable).
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<Role>,
    },
}

#[derive(Subcommand)]
pub enum TokensCommand {
    /// Start an API session for account USER and print its bearer token (shown only once).
    Issue {
        /// The account id printed by `academy users add`.
        user: i32,
    },
}

pub async fn users(config: &Config, command: UsersCommand) -> anyhow::Result<ExitCode> {
    let UsersCommand::Add { name, roles } = command;
    let db = open_database(config).await?;
    let account = account::create(&db, Some(&name), &roles).await?;
    let roles: Vec<&str> = account.roles.iter().map(|r| r.as_str()).collect();
    println!(
        "created user {} with roles {}",
        account.id,
        roles.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn tokens(config: &Config, command: TokensCommand) -> anyhow::Result<ExitCode> {
    let TokensCommand::Issue { user } = command;
    let db = open_database(config).await?;
    account::get(&db, user)
        .await
        .with_context(|| format!("user {user}"))?;
    let session = session::start(&db, user, SessionKind::Token, config.session_policy()).await?;
    eprintln!(
        "bearer token for user {user}, valid until {} (shown only once; revoke it with \
         DELETE /api/me/sessions/{}):",
        session.expires_at.to_rfc3339(),
        session.id
    );
    println!("{}", session.token);
    Ok(ExitCode::SUCCESS)
}
