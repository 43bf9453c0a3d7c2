//! The issuer's Ed25519 key, written as Multikey multibase strings: a public key is `z6Mk…`
//! (base58btc of the multicodec `ed25519-pub` prefix and the 32 key bytes), a secret key `z3u2…`
//! (`ed25519-priv` and the 32-byte seed), as `@digitalbazaar/ed25519-multikey` writes them.

use std::{io::Write, path::Path};

use anyhow::Context;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand::TryRngCore;

/// The multicodec prefix of an Ed25519 public key (0xed, as an unsigned varint).
const PUBLIC_PREFIX: [u8; 2] = [0xed, 0x01];
/// The multicodec prefix of an Ed25519 secret key (0x1300, as an unsigned varint).
const SECRET_PREFIX: [u8; 2] = [0x80, 0x26];

/// A signing key that is not a multibase Ed25519 secret key.
#[derive(Debug, thiserror::Error)]
#[error("not an Ed25519 secret key in multibase (`z3u2…`, as `academy keys signing` prints)")]
pub struct BadSigningKey;

/// The key certificates are signed with.
#[derive(Clone)]
pub struct IssuerKey {
    signing: SigningKey,
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKey")
            .field("public", &self.public_multibase())
            .finish_non_exhaustive()
    }
}

impl IssuerKey {
    /// The key of a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> IssuerKey {
        IssuerKey {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> anyhow::Result<IssuerKey> {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut seed)
            .context("reading the system's random number generator")?;
        Ok(IssuerKey::from_seed(seed))
    }

    /// Reads a secret key written by [`IssuerKey::secret_multibase`].
    pub fn from_multibase(text: &str) -> Result<IssuerKey, BadSigningKey> {
        let bytes = multibase_bytes(text.trim()).ok_or(BadSigningKey)?;
        let rest = bytes.strip_prefix(&SECRET_PREFIX).ok_or(BadSigningKey)?;
        // The seed alone, or (as older `@digitalbazaar/ed25519-multikey` writes it) the seed
        // followed by its public key, which must then match.
        let (seed, public) = rest.split_at_checked(32).ok_or(BadSigningKey)?;
        let seed = <[u8; 32]>::try_from(seed).map_err(|_| BadSigningKey)?;
        let key = IssuerKey::from_seed(seed);
        if !public.is_empty() && public != key.signing.verifying_key().as_bytes() {
            return Err(BadSigningKey);
        }
        Ok(key)
    }

    /// Reads the key file at `path`, or creates it (owner-only, mode 0600) with a fresh key.
    pub fn from_file_or_new(path: &Path) -> anyhow::Result<IssuerKey> {
        if !path.exists() {
            let key = IssuerKey::generate()?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(path)
                .with_context(|| format!("creating the signing key file {}", path.display()))?;
            file.write_all(key.secret_multibase().as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing the signing key file {}", path.display()))?;
            tracing::warn!(
                path = %path.display(),
                "generated a new certificate signing key: back this file up with the database \
                 (certificates stay verifiable without it, but new ones need it)"
            );
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the signing key file {}", path.display()))?;
        IssuerKey::from_multibase(&text)
            .with_context(|| format!("the signing key file {}", path.display()))
    }

    /// The secret key as multibase (keep it secret: it signs certificates).
    pub fn secret_multibase(&self) -> String {
        multibase(&SECRET_PREFIX, self.signing.as_bytes())
    }

    /// The public key as multibase, which is also its fragment in the DID document.
    pub fn public_multibase(&self) -> String {
        multibase(&PUBLIC_PREFIX, self.signing.verifying_key().as_bytes())
    }

    /// Signs `message` (Ed25519, deterministic).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// The public key of a multibase `z6Mk…` string, if it is one.
pub fn public_key(text: &str) -> Option<VerifyingKey> {
    let bytes = multibase_bytes(text)?;
    let key = <[u8; 32]>::try_from(bytes.strip_prefix(&PUBLIC_PREFIX)?).ok()?;
    VerifyingKey::from_bytes(&key).ok()
}

fn multibase(prefix: &[u8], key: &[u8]) -> String {
    let mut bytes = prefix.to_vec();
    bytes.extend_from_slice(key);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// The bytes of a base58btc multibase string (`z…`).
pub(crate) fn multibase_bytes(text: &str) -> Option<Vec<u8>> {
    bs58::decode(text.strip_prefix('z')?).into_vec().ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The key pair of the Open Badges 3.0 implementation guide's test vector.
    const VECTOR_SEED: &str = "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4";

    pub(crate) fn vector_key() -> IssuerKey {
        let mut seed = [0u8; 32];
        for (i, byte) in seed.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&VECTOR_SEED[i * 2..i * 2 + 2], 16).unwrap_or_default();
        }
        IssuerKey::from_seed(seed)
    }

    #[test]
    fn multibase_forms_match_the_specification_vector() {
        let key = vector_key();
        assert_eq!(
            key.public_multibase(),
            "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
        );
        let again =
            IssuerKey::from_multibase(&key.secret_multibase()).map(|k| k.public_multibase());
        assert_eq!(again.ok(), Some(key.public_multibase()));
        assert!(public_key(&key.public_multibase()).is_some());
        // The vector's own secretKeyMultibase (seed and public key).
        let long = IssuerKey::from_multibase(
            "zrv2bqTbNwCTsRrHFcJCPjVAduh4Ezcnoq1A3ZxH1GWTNkxipLVuaAoMFmze2gFN9oNXfJjufxSHWVZzsJiUsMHFMcx",
        );
        assert_eq!(
            long.map(|k| k.public_multibase()).ok(),
            Some(key.public_multibase())
        );
    }

    #[test]
    fn other_strings_are_not_keys() {
        for text in [
            "",
            "z",
            "abc",
            "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        ] {
            assert!(IssuerKey::from_multibase(text).is_err(), "{text}");
        }
        assert!(public_key(&vector_key().secret_multibase()).is_none());
    }

    #[test]
    fn a_key_file_is_created_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("signing-key");
        let first = IssuerKey::from_file_or_new(&path).map(|k| k.public_multibase());
        let second = IssuerKey::from_file_or_new(&path).map(|k| k.public_multibase());
        assert_eq!(first.ok(), second.ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
    }
}
