//! `academy keys`: make a data key or a signing key, and re-seal every sensitive answer and
//! claimed certificate with the current data key after a rotation.

use std::process::ExitCode;

use academy_enrollment::{DataKeys, crypto};
use academy_progress::certificate;
use clap::Subcommand;

use crate::{Config, app::open_database};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Print a new random data key (base64), for ACADEMY_DATA_KEY.
    Generate,
    /// Print a new Ed25519 certificate signing key (multibase), for ACADEMY_SIGNING_KEY; its
    /// public key goes to stderr.
    Signing,
    /// Re-seal every answer and claimed certificate sealed by a retired key with the current
    /// one (ACADEMY_DATA_KEY), in batches of one transaction each; safe to interrupt and run
    /// again. Afterwards the retired keys can be dropped from ACADEMY_DATA_KEYS_RETIRED.
    Rotate {
        /// Answers per transaction.
        #[arg(long, default_value_t = 500)]
        batch: u64,
    },
}

pub async fn keys(config: &Config, command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::Generate => {
            println!("{}", DataKeys::generate());
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Signing => {
            let key = academy_credentials::IssuerKey::generate()?;
            eprintln!("public key: {}", key.public_multibase());
            println!("{}", key.secret_multibase());
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Rotate { batch } => {
            let db = open_database(config).await?;
            let keys = config.data_keys()?;
            let mut missing = crypto::missing_keys(&db, &keys).await?;
            missing.extend(certificate::missing_keys(&db, &keys).await?);
            anyhow::ensure!(
                missing.is_empty(),
                "answers are sealed with data key(s) {} that are not configured: add them to \
                 ACADEMY_DATA_KEYS_RETIRED",
                missing.join(", ")
            );
            let done = crypto::rotate(&db, &keys, batch, |done| {
                eprintln!("re-sealed {done} answer(s)");
            })
            .await?;
            let certificates = certificate::rotate(&db, &keys, batch, |done| {
                eprintln!("re-sealed {done} certificate(s)");
            })
            .await?;
            println!(
                "{done} answer(s) and {certificates} certificate(s) re-sealed with key {}; \
                 everything sealed is now sealed with it",
                keys.current_id()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
