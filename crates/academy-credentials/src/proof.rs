//! Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C VC Data Integrity EdDSA
//! Cryptosuites v1.0): the document and the proof options are each expanded as JSON-LD and
//! canonicalised with RDFC-1.0 (SHA-256), each canonical form is hashed with SHA-256, and the
//! proof options' hash followed by the document's is signed with Ed25519. The signature is
//! written in base58btc multibase as `proofValue`.

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, VerifyingKey};
use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf::{
    Dataset, GraphNameRef, NamedOrBlankNodeRef, TermRef,
    dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm},
};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::{contexts, keys};

/// The only cryptosuite signed and verified.
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";

/// The most blank nodes a document may hold. RDFC-1.0 is exponential in the worst case over
/// blank nodes that look alike; certificates and status lists have at most five, and a
/// document sent for verification with more is refused before canonicalisation.
pub const MAX_BLANK_NODES: usize = 12;

/// Why a document could not be signed or its proof does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    /// Not a credential with one embedded proof of this cryptosuite.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// The proof's `type`, `cryptosuite` or `proofPurpose` is not one verified here.
    #[error(
        "the proof is not a DataIntegrityProof with cryptosuite eddsa-rdfc-2022 for assertionMethod"
    )]
    UnsupportedProof,
    /// The document names a JSON-LD context that is not pinned, or is not valid JSON-LD.
    #[error("not JSON-LD this issuer can process: {0}")]
    JsonLd(String),
    /// More blank nodes than [`MAX_BLANK_NODES`].
    #[error("the document has more than {MAX_BLANK_NODES} blank nodes")]
    TooComplex,
    /// The verification method is not one of this issuer's keys.
    #[error("the proof's verification method is not a key of this issuer")]
    UnknownKey,
    /// The signature does not match the document: it was changed after signing.
    #[error("the signature does not match the document")]
    BadSignature,
}

impl ProofError {
    /// A stable code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::Malformed(_) => "malformed",
            ProofError::UnsupportedProof => "unsupported_proof",
            ProofError::JsonLd(_) => "unknown_context",
            ProofError::TooComplex => "too_complex",
            ProofError::UnknownKey => "unknown_key",
            ProofError::BadSignature => "bad_signature",
        }
    }
}

/// What a holding proof says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The key that signed, as the proof names it (`did:web:…#z6Mk…`).
    pub verification_method: String,
    /// When the proof says it was made.
    pub created: Option<String>,
}

/// Adds a proof to `unsigned` (a JSON object without one), made with `key` named
/// `verification_method`, at `created`.
pub fn sign(
    unsigned: &Value,
    key: &keys::IssuerKey,
    verification_method: &str,
    created: DateTime<Utc>,
) -> Result<Value, ProofError> {
    let document = unsigned
        .as_object()
        .ok_or(ProofError::Malformed("the document is not a JSON object"))?;
    if document.contains_key("proof") {
        return Err(ProofError::Malformed("the document already has a proof"));
    }
    let options = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created.to_rfc3339_opts(SecondsFormat::Secs, true),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    });
    let Value::Object(options) = options else {
        return Err(ProofError::Malformed("proof options"));
    };
    let data = hash_data(document, &options)?;
    let mut proof = options;
    proof.insert(
        "proofValue".to_owned(),
        Value::String(format!("z{}", bs58::encode(key.sign(&data)).into_string())),
    );
    let mut signed = document.clone();
    signed.insert("proof".to_owned(), Value::Object(proof));
    Ok(Value::Object(signed))
}

/// Checks the embedded proof of `secured`, finding its key with `key_for` (given the proof's
/// `verificationMethod`). Nothing is fetched: contexts are the pinned ones.
pub fn verify(
    secured: &Value,
    key_for: impl Fn(&str) -> Option<VerifyingKey>,
) -> Result<Verified, ProofError> {
    let document = secured
        .as_object()
        .ok_or(ProofError::Malformed("the credential is not a JSON object"))?;
    let proof = match document.get("proof") {
        Some(Value::Object(proof)) => proof,
        Some(Value::Array(proofs)) => match proofs.as_slice() {
            [Value::Object(proof)] => proof,
            _ => return Err(ProofError::Malformed("exactly one proof is verified")),
        },
        _ => return Err(ProofError::Malformed("the credential has no proof")),
    };
    let field = |name: &str| proof.get(name).and_then(Value::as_str);
    if field("type") != Some("DataIntegrityProof")
        || field("cryptosuite") != Some(CRYPTOSUITE)
        || field("proofPurpose") != Some("assertionMethod")
    {
        return Err(ProofError::UnsupportedProof);
    }
    let method = field("verificationMethod")
        .ok_or(ProofError::Malformed("the proof has no verificationMethod"))?;
    let signature = field("proofValue")
        .and_then(keys::multibase_bytes)
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        .map(|bytes| Signature::from_bytes(&bytes))
        .ok_or(ProofError::Malformed(
            "the proofValue is not a base58btc Ed25519 signature",
        ))?;
    let key = key_for(method).ok_or(ProofError::UnknownKey)?;

    let mut unsecured = document.clone();
    unsecured.remove("proof");
    let mut options = proof.clone();
    options.remove("proofValue");
    // Proof options are canonicalised under the document's contexts (a proof's own
    // `@context`, if any, is the document's by construction).
    options.remove("@context");
    let data = hash_data(&unsecured, &options)?;
    key.verify_strict(&data, &signature)
        .map_err(|_| ProofError::BadSignature)?;
    Ok(Verified {
        verification_method: method.to_owned(),
        created: field("created").map(str::to_owned),
    })
}

/// The proof options' hash followed by the document's.
fn hash_data(
    document: &Map<String, Value>,
    options: &Map<String, Value>,
) -> Result<Vec<u8>, ProofError> {
    let context = document
        .get("@context")
        .ok_or(ProofError::Malformed("the document has no @context"))?;
    let mut options = options.clone();
    options.insert("@context".to_owned(), context.clone());
    let mut data = Sha256::digest(canonical(&Value::Object(options))?.as_bytes()).to_vec();
    data.extend_from_slice(&Sha256::digest(
        canonical(&Value::Object(document.clone()))?.as_bytes(),
    ));
    Ok(data)
}

/// The RDFC-1.0 canonical N-Quads of a JSON-LD document, expanded with the pinned contexts.
pub fn canonical(document: &Value) -> Result<String, ProofError> {
    let text = document.to_string();
    // N-Quads canonical form escapes these two non-characters differently from oxrdf's
    // writer; no certificate holds them, so a document that does is refused.
    if text.contains(['\u{FFFE}', '\u{FFFF}']) {
        return Err(ProofError::Malformed(
            "the document holds a Unicode non-character",
        ));
    }
    let parser = JsonLdParser::new()
        .for_slice(text.as_bytes())
        .with_load_document_callback(|url, _| {
            contexts::document(url)
                .map(|document| JsonLdRemoteDocument {
                    document: document.as_bytes().to_vec(),
                    document_url: url.to_owned(),
                })
                .ok_or_else(|| {
                    format!("the context {url} is not one of the pinned contexts").into()
                })
        });
    let mut dataset = Dataset::new();
    for quad in parser {
        let quad = quad.map_err(|e| ProofError::JsonLd(e.to_string()))?;
        dataset.insert(&quad);
    }
    let blank_nodes = dataset
        .iter()
        .flat_map(|q| {
            [
                matches!(q.subject, NamedOrBlankNodeRef::BlankNode(_))
                    .then(|| q.subject.to_string()),
                matches!(q.object, TermRef::BlankNode(_)).then(|| q.object.to_string()),
                matches!(q.graph_name, GraphNameRef::BlankNode(_))
                    .then(|| q.graph_name.to_string()),
            ]
        })
        .flatten()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if blank_nodes > MAX_BLANK_NODES {
        return Err(ProofError::TooComplex);
    }
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    let mut lines: Vec<String> = dataset.iter().map(|quad| format!("{quad} .\n")).collect();
    lines.sort_unstable();
    lines.dedup();
    Ok(lines.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::vector_key;

    /// The Open Badges 3.0 implementation guide's `eddsa-rdfc-2022` test vector (VC 2.0
    /// contexts): the credential, the proof options and what each step must give.
    fn vector_document() -> Value {
        json!({
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
            ],
            "id": "http://example.com/credentials/3527",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {
                "id": "https://example.edu/issuers/565049",
                "type": ["Profile"],
                "url": "https://www.imsglobal.org",
                "name": "Example Corp"
            },
            "validFrom": "2010-01-01T00:00:00Z",
            "name": "Teamwork Badge",
            "credentialSubject": {
                "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
                "type": ["AchievementSubject"],
                "achievement": {
                    "id": "https://example.com/achievements/21st-century-skills/teamwork",
                    "type": ["Achievement"],
                    "criteria": {
                        "narrative": "Team members are nominated for this badge by their peers and recognized upon review by Example Corp management."
                    },
                    "description": "This badge recognizes the development of the capacity to collaborate within a group environment.",
                    "name": "Teamwork"
                }
            }
        })
    }

    const VECTOR_METHOD: &str =
        "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi";
    const VECTOR_PROOF_VALUE: &str =
        "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn created() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2010-01-01T19:23:24Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn the_specification_test_vector_is_reproduced_step_by_step() {
        let document = vector_document();
        let canonical_document = canonical(&document).unwrap_or_default();
        assert!(canonical_document.starts_with(
            "<did:example:ebfeb1f712ebc6f1c276e12ec21> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#AchievementSubject> .\n"
        ));
        assert!(canonical_document.ends_with(
            "_:c14n0 <https://purl.imsglobal.org/spec/vc/ob/vocab.html#narrative> \"Team members are nominated for this badge by their peers and recognized upon review by Example Corp management.\" .\n"
        ));
        assert_eq!(canonical_document.lines().count(), 16);
        assert_eq!(
            hex(&Sha256::digest(canonical_document.as_bytes())),
            "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
        );
        let options = json!({
            "@context": document["@context"],
            "type": "DataIntegrityProof",
            "created": "2010-01-01T19:23:24Z",
            "verificationMethod": VECTOR_METHOD,
            "cryptosuite": "eddsa-rdfc-2022",
            "proofPurpose": "assertionMethod"
        });
        let canonical_options = canonical(&options).unwrap_or_default();
        assert_eq!(
            canonical_options,
            "_:c14n0 <http://purl.org/dc/terms/created> \"2010-01-01T19:23:24Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n\
             _:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof> .\n\
             _:c14n0 <https://w3id.org/security#cryptosuite> \"eddsa-rdfc-2022\"^^<https://w3id.org/security#cryptosuiteString> .\n\
             _:c14n0 <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> .\n\
             _:c14n0 <https://w3id.org/security#verificationMethod> <https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi> .\n"
        );
        assert_eq!(
            hex(&Sha256::digest(canonical_options.as_bytes())),
            "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19"
        );

        let signed = sign(&document, &vector_key(), VECTOR_METHOD, created());
        let signed = signed.unwrap_or_default();
        assert_eq!(signed["proof"]["proofValue"], VECTOR_PROOF_VALUE);
        assert_eq!(signed["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    }

    #[test]
    fn the_specification_credential_verifies_and_any_change_breaks_it() {
        let mut secured = vector_document();
        secured["proof"] = json!({
            "type": "DataIntegrityProof",
            "created": "2010-01-01T19:23:24Z",
            "verificationMethod": VECTOR_METHOD,
            "cryptosuite": "eddsa-rdfc-2022",
            "proofPurpose": "assertionMethod",
            "proofValue": VECTOR_PROOF_VALUE
        });
        let key = vector_key();
        let key_for = |method: &str| {
            (method == VECTOR_METHOD)
                .then(|| keys::public_key(&key.public_multibase()))
                .flatten()
        };
        assert_eq!(
            verify(&secured, key_for).map(|v| v.verification_method),
            Ok(VECTOR_METHOD.to_owned())
        );

        let mut renamed = secured.clone();
        renamed["credentialSubject"]["achievement"]["name"] = json!("Teamwork!");
        assert_eq!(verify(&renamed, key_for), Err(ProofError::BadSignature));
        let mut redated = secured.clone();
        redated["validFrom"] = json!("2010-01-01T00:00:01Z");
        assert_eq!(verify(&redated, key_for), Err(ProofError::BadSignature));
        let mut backdated = secured.clone();
        backdated["proof"]["created"] = json!("2009-01-01T19:23:24Z");
        assert_eq!(verify(&backdated, key_for), Err(ProofError::BadSignature));
        let mut other_key = secured.clone();
        other_key["proof"]["verificationMethod"] =
            json!("https://example.edu/issuers/565049#other");
        assert_eq!(verify(&other_key, key_for), Err(ProofError::UnknownKey));
        let mut jcs = secured.clone();
        jcs["proof"]["cryptosuite"] = json!("eddsa-jcs-2022");
        assert_eq!(verify(&jcs, key_for), Err(ProofError::UnsupportedProof));
    }

    #[test]
    fn unpinned_contexts_and_odd_documents_are_refused() {
        let mut foreign = vector_document();
        foreign["@context"] = json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://example.org/ctx.json"
        ]);
        assert!(matches!(canonical(&foreign), Err(ProofError::JsonLd(_))));
        assert_eq!(
            verify(&json!([1, 2]), |_| None),
            Err(ProofError::Malformed("the credential is not a JSON object"))
        );
        assert!(matches!(
            verify(&vector_document(), |_| None),
            Err(ProofError::Malformed(_))
        ));
        let mut many = vector_document();
        many["credentialSubject"]["achievement"]["alignment"] = Value::Array(
            (0..20)
                .map(|i| json!({"type": ["Alignment"], "targetName": format!("t{i}"), "targetUrl": "https://example.org/"}))
                .collect(),
        );
        assert_eq!(canonical(&many), Err(ProofError::TooComplex));
    }
}
