//! The issuer as a `did:web` DID: its document lists every key the Academy ever signed with, so
//! a rotation leaves earlier certificates verifiable.

use serde_json::{Value, json};

use crate::contexts;

/// The `did:web` DID of a site at `public_url` (`https://academy.example.org` →
/// `did:web:academy.example.org`; a port is written `%3A`, a path with `:`). The DID
/// document is then at `/.well-known/did.json`, or at `<path>/did.json` under a path.
pub fn did_web(public_url: &str) -> Option<String> {
    let rest = public_url
        .strip_prefix("https://")
        .or_else(|| public_url.strip_prefix("http://"))?;
    let rest = rest.trim_end_matches('/');
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() || host.contains(['@', '?', '#']) {
        return None;
    }
    let mut did = format!("did:web:{}", host.replace(':', "%3A"));
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        did.push(':');
        did.push_str(segment);
    }
    Some(did)
}

/// The verification method id of a key (its multibase public key as the fragment).
pub fn key_id(did: &str, public_multibase: &str) -> String {
    format!("{did}#{public_multibase}")
}

/// The DID document of `did` with `keys` (multibase public keys), the current one first.
pub fn document(did: &str, keys: &[String]) -> Value {
    let methods: Vec<Value> = keys
        .iter()
        .map(|key| {
            json!({
                "id": key_id(did, key),
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key,
            })
        })
        .collect();
    let ids: Vec<Value> = keys.iter().map(|key| json!(key_id(did, key))).collect();
    json!({
        "@context": [contexts::DID_V1, contexts::MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_become_did_web_identifiers() {
        assert_eq!(
            did_web("https://academy.ishr.ch").as_deref(),
            Some("did:web:academy.ishr.ch")
        );
        assert_eq!(
            did_web("http://127.0.0.1:8080/").as_deref(),
            Some("did:web:127.0.0.1%3A8080")
        );
        assert_eq!(
            did_web("https://ishr.ch/academy/").as_deref(),
            Some("did:web:ishr.ch:academy")
        );
        assert_eq!(did_web("ftp://x"), None);
        assert_eq!(did_web("https://"), None);
    }

    #[test]
    fn the_document_lists_every_key_for_assertions() {
        let doc = document(
            "did:web:a.example",
            &["z6Mka".to_owned(), "z6Mkb".to_owned()],
        );
        assert_eq!(
            doc["verificationMethod"][1]["id"],
            "did:web:a.example#z6Mkb"
        );
        assert_eq!(doc["assertionMethod"][0], "did:web:a.example#z6Mka");
        assert_eq!(
            doc["verificationMethod"][0]["controller"],
            "did:web:a.example"
        );
    }
}
