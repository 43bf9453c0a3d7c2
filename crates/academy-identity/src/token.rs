//! Opaque secrets (session tokens, sign-in states) and the one-way hashes stored in their place.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random secret: 32 bytes from a CSPRNG seeded by the operating system, URL-safe base64.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of `value`, lower-case hex: what the database stores instead of a secret.
pub fn hash(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

/// The anti-CSRF token that belongs to a session token: cookie-authenticated requests with an
/// unsafe method must echo it in `X-CSRF-Token`. Derived, so nothing more is stored, and useless
/// without the (HttpOnly) session cookie.
pub fn csrf_token(session_token: &str) -> String {
    let digest = Sha256::digest(format!("academy-csrf\0{session_token}").as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// The stored form of a person's account at a provider: one-way, yet stable, so a returning
/// person is linked to the same account.
pub fn subject_hash(issuer: &str, subject: &str) -> String {
    hash(&format!("{issuer}\n{subject}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hashes_hide_them() {
        let a = random_secret();
        let b = random_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash(&a), hash(&a));
        assert_eq!(hash(&a).len(), 64);
        assert!(!hash(&a).contains(&a));
        assert_ne!(csrf_token(&a), csrf_token(&b));
        assert_ne!(
            subject_hash("https://a", "1"),
            subject_hash("https://b", "1")
        );
    }
}
