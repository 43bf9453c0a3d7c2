//! The JSON-LD contexts a certificate, a status list or the issuer's DID document may name,
//! compiled in (see `contexts/README.md` for where each comes from).

/// The W3C Verifiable Credentials 2.0 context.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// The Open Badges 3.0 context, version 3.0.3.
pub const OPEN_BADGES_V3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// The DID core context.
pub const DID_V1: &str = "https://www.w3.org/ns/did/v1";
/// The Multikey context (verification methods).
pub const MULTIKEY_V1: &str = "https://w3id.org/security/multikey/v1";

/// The pinned document of a context URL; `None` for any other URL.
pub fn document(url: &str) -> Option<&'static str> {
    Some(match url {
        CREDENTIALS_V2 => include_str!("../contexts/credentials-v2.jsonld"),
        OPEN_BADGES_V3 => include_str!("../contexts/ob-v3p0-3.0.3.json"),
        DID_V1 => include_str!("../contexts/did-v1.jsonld"),
        MULTIKEY_V1 => include_str!("../contexts/multikey-v1.jsonld"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pinned_context_is_json_with_a_context() {
        for url in [CREDENTIALS_V2, OPEN_BADGES_V3, DID_V1, MULTIKEY_V1] {
            let text = document(url).unwrap_or_default();
            let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            assert!(value.get("@context").is_some(), "{url}");
        }
        assert!(document("https://example.org/context.jsonld").is_none());
    }
}
