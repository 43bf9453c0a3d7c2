//! Sealing sensitive answers at rest: XChaCha20-Poly1305 (RustCrypto) with a random 192-bit
//! nonce per value, the application and question bound in as associated data (so a sealed value
//! cannot be moved to another application or question), and the id of the key stored beside
//! each ciphertext, so keys can rotate: the current key seals, every known key opens, and
//! [`rotate`] re-seals what older keys sealed, in batches, resumably.
//!
//! A key id is derived from the key (the first 8 bytes of a SHA-256 of it, in hex): it names the
//! key without revealing it, and needs no bookkeeping.

use std::{collections::BTreeMap, io::Write, path::Path};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    AeadCore, KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, OsRng, Payload},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};

use crate::entity::application_secret;

const NONCE_LEN: usize = 24;

/// The data keys a node holds: one that seals, and older ones that still open.
pub struct DataKeys {
    current: String,
    ciphers: BTreeMap<String, XChaCha20Poly1305>,
}

impl std::fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKeys")
            .field("current", &self.current)
            .field("known", &self.ciphers.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A key that is not base64 for 32 bytes.
#[derive(Debug, thiserror::Error)]
#[error("a data key must be 32 bytes in base64 (e.g. from `academy keys generate`)")]
pub struct BadKey;

/// A value that could not be opened: a missing key, or a ciphertext that was changed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the data key `{0}` is not configured")]
    UnknownKey(String),
    #[error("a sealed value failed authentication (changed, or moved from another record)")]
    Tampered,
}

fn key_id(key: &[u8; 32]) -> String {
    let digest = Sha256::new()
        .chain_update(b"academy data key\0")
        .chain_update(key)
        .finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn decode(key: &str) -> Result<[u8; 32], BadKey> {
    STANDARD
        .decode(key.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or(BadKey)
}

impl DataKeys {
    /// Keys from raw bytes: `current` seals, `retired` only open.
    pub fn new(current: [u8; 32], retired: &[[u8; 32]]) -> DataKeys {
        let mut ciphers = BTreeMap::new();
        for key in retired.iter().chain(std::iter::once(&current)) {
            ciphers.insert(key_id(key), XChaCha20Poly1305::new(key.into()));
        }
        DataKeys {
            current: key_id(&current),
            ciphers,
        }
    }

    /// Keys from base64 text (`ACADEMY_DATA_KEY`, `ACADEMY_DATA_KEYS_RETIRED`).
    pub fn from_base64(current: &str, retired: &[String]) -> Result<DataKeys, BadKey> {
        let retired = retired
            .iter()
            .filter(|k| !k.trim().is_empty())
            .map(|k| decode(k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DataKeys::new(decode(current)?, &retired))
    }

    /// A fresh random key, in base64.
    pub fn generate() -> String {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        STANDARD.encode(key)
    }

    /// Reads the key file at `path`, or creates it (owner-only, mode 0600) with a fresh key.
    pub fn from_file_or_new(path: &Path) -> anyhow::Result<DataKeys> {
        if !path.exists() {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(path)
                .with_context(|| format!("creating the data key file {}", path.display()))?;
            file.write_all(DataKeys::generate().as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing the data key file {}", path.display()))?;
            tracing::warn!(
                path = %path.display(),
                "generated a new data key: back this file up with the database, or the sensitive \
                 answers it seals are lost"
            );
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the data key file {}", path.display()))?;
        DataKeys::from_base64(&text, &[])
            .with_context(|| format!("the data key file {}", path.display()))
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// Whether a key with this id is held.
    pub fn knows(&self, id: &str) -> bool {
        self.ciphers.contains_key(id)
    }

    /// Seals `plain` with the current key: (key id, nonce ‖ ciphertext).
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> anyhow::Result<(String, Vec<u8>)> {
        let cipher = self
            .ciphers
            .get(&self.current)
            .context("the current data key is missing")?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, Payload { msg: plain, aad })
            .map_err(|_| anyhow::anyhow!("sealing a value failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok((self.current.clone(), out))
    }

    /// Opens what [`seal`](DataKeys::seal) produced.
    pub fn open(&self, key_id: &str, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        let cipher = self
            .ciphers
            .get(key_id)
            .ok_or_else(|| OpenError::UnknownKey(key_id.to_owned()))?;
        let (nonce, ciphertext) = sealed
            .split_first_chunk::<NONCE_LEN>()
            .ok_or(OpenError::Tampered)?;
        cipher
            .decrypt(
                &XNonce::from(*nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| OpenError::Tampered)
    }
}

/// The associated data binding a sealed answer to its application and question.
pub(crate) fn answer_aad(application_id: i32, question_id: &str) -> Vec<u8> {
    format!("academy application {application_id} answer {question_id}").into_bytes()
}

/// The key ids in the database that `keys` cannot open: a server must not start with any
/// (it would serve errors in place of answers).
pub async fn missing_keys(
    db: &impl ConnectionTrait,
    keys: &DataKeys,
) -> anyhow::Result<Vec<String>> {
    let ids: Vec<String> = application_secret::Entity::find()
        .select_only()
        .column(application_secret::Column::KeyId)
        .distinct()
        .into_tuple()
        .all(db)
        .await
        .context("reading which data keys sealed the stored answers")?;
    Ok(ids.into_iter().filter(|id| !keys.knows(id)).collect())
}

/// Re-seals with the current key every value sealed by another key, `batch` rows per
/// transaction; `on_batch(done)` reports progress. Interrupted, it resumes where it stopped
/// (rows already re-sealed no longer match). Returns how many values were re-sealed.
pub async fn rotate(
    db: &sea_orm::DatabaseConnection,
    keys: &DataKeys,
    batch: u64,
    mut on_batch: impl FnMut(u64),
) -> anyhow::Result<u64> {
    let mut done = 0;
    loop {
        let tx = db.begin().await.context("starting a key rotation batch")?;
        let rows = application_secret::Entity::find()
            .filter(application_secret::Column::KeyId.ne(keys.current_id()))
            .order_by_asc(application_secret::Column::Id)
            .limit(batch.max(1))
            .all(&tx)
            .await
            .context("reading values to re-seal")?;
        if rows.is_empty() {
            tx.commit().await.context("ending key rotation")?;
            return Ok(done);
        }
        for row in rows {
            let aad = answer_aad(row.application_id, &row.question_id);
            let plain = keys
                .open(&row.key_id, &aad, &row.sealed)
                .with_context(|| format!("opening sealed value {}", row.id))?;
            let (key_id, sealed) = keys.seal(&aad, &plain)?;
            application_secret::ActiveModel {
                id: Set(row.id),
                key_id: Set(key_id),
                sealed: Set(sealed),
                ..Default::default()
            }
            .update(&tx)
            .await
            .context("re-sealing a value")?;
            done += 1;
        }
        tx.commit()
            .await
            .context("committing a key rotation batch")?;
        on_batch(done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let old = DataKeys::new([1; 32], &[]);
        let (id, sealed) = old.seal(b"a", b"at risk").unwrap();
        assert_eq!(old.open(&id, b"a", &sealed).unwrap(), b"at risk");
        assert!(matches!(
            old.open(&id, b"b", &sealed),
            Err(OpenError::Tampered)
        ));
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert!(matches!(
            old.open(&id, b"a", &changed),
            Err(OpenError::Tampered)
        ));

        // After a rotation the old key still opens, the new one seals.
        let rotated = DataKeys::new([2; 32], &[[1; 32]]);
        assert_ne!(rotated.current_id(), id);
        assert_eq!(rotated.open(&id, b"a", &sealed).unwrap(), b"at risk");
        let fresh = DataKeys::new([2; 32], &[]);
        assert!(matches!(
            fresh.open(&id, b"a", &sealed),
            Err(OpenError::UnknownKey(_))
        ));
    }

    #[test]
    fn two_seals_of_one_value_differ() {
        let keys = DataKeys::new([7; 32], &[]);
        let (_, a) = keys.seal(b"x", b"same").unwrap();
        let (_, b) = keys.seal(b"x", b"same").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn keys_are_read_from_base64_and_bad_ones_are_refused() {
        let key = DataKeys::generate();
        assert!(DataKeys::from_base64(&key, &[]).is_ok());
        assert!(DataKeys::from_base64("c2hvcnQ=", &[]).is_err());
        assert!(DataKeys::from_base64(&key, &["nope".to_owned()]).is_err());
    }

    #[test]
    fn the_key_file_is_created_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data-key");
        let first = DataKeys::from_file_or_new(&path).unwrap();
        let again = DataKeys::from_file_or_new(&path).unwrap();
        assert_eq!(first.current_id(), again.current_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
