//! The JSON of an Academy certificate: an Open Badges 3.0 `OpenBadgeCredential` (W3C VC Data
//! Model 2.0), and of the status list credential its revocation is published in. Both are
//! unsigned here; [`crate::proof::sign`] adds the proof.
//!
//! The subject carries no account id and no name of its own: its `identifier` is a salted
//! SHA-256 hash of a random value only the holder is given, and a name appears only if the
//! holder chose one when claiming.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::contexts;

/// Who issues: the Academy.
#[derive(Clone, Copy, Debug)]
pub struct Issuer<'a> {
    /// The issuer's DID (`did:web:…`).
    pub did: &'a str,
    pub name: &'a str,
    /// The organisation's web site.
    pub url: &'a str,
}

/// What was achieved: a course, completed.
#[derive(Clone, Copy, Debug)]
pub struct Achievement<'a> {
    /// A URL of the course.
    pub id: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    /// How it was earned, in words.
    pub criteria: &'a str,
    /// The language of the texts (BCP 47).
    pub language: &'a str,
}

/// Who holds it, as far as the certificate says.
#[derive(Clone, Copy, Debug)]
pub struct Recipient<'a> {
    /// The random value whose salted hash identifies the holder.
    pub identity: &'a str,
    pub salt: &'a str,
    /// The name the holder chose to have printed, if any.
    pub name: Option<&'a str>,
}

/// One certificate.
#[derive(Clone, Copy, Debug)]
pub struct Badge<'a> {
    /// The credential's URL.
    pub id: &'a str,
    /// The credential's own name (e.g. "Certificate: <course>").
    pub name: &'a str,
    pub issuer: Issuer<'a>,
    pub achievement: Achievement<'a>,
    pub recipient: Recipient<'a>,
    /// When the course was completed.
    pub awarded: DateTime<Utc>,
    /// When the certificate was signed (claimed).
    pub issued: DateTime<Utc>,
    /// The status list credential's URL and this certificate's index in it.
    pub status_list: &'a str,
    pub status_index: u64,
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `sha256$<hex>` of the identity followed by the salt, as Open Badges 3.0 writes hashed
/// identities.
pub fn identity_hash(identity: &str, salt: &str) -> String {
    let digest = Sha256::digest(format!("{identity}{salt}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256${hex}")
}

/// The unsigned credential of `badge`.
pub fn credential(badge: &Badge<'_>) -> Value {
    let mut identifiers = vec![json!({
        "type": "IdentityObject",
        "identityType": "identifier",
        "hashed": true,
        "identityHash": identity_hash(badge.recipient.identity, badge.recipient.salt),
        "salt": badge.recipient.salt,
    })];
    if let Some(name) = badge.recipient.name {
        identifiers.push(json!({
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": false,
            "identityHash": name,
        }));
    }
    json!({
        "@context": [contexts::CREDENTIALS_V2, contexts::OPEN_BADGES_V3],
        "id": badge.id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": badge.name,
        "issuer": {
            "id": badge.issuer.did,
            "type": ["Profile"],
            "name": badge.issuer.name,
            "url": badge.issuer.url,
        },
        "validFrom": instant(badge.issued),
        "awardedDate": instant(badge.awarded),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": identifiers,
            "achievement": {
                "id": badge.achievement.id,
                "type": ["Achievement"],
                "achievementType": "Course",
                "name": badge.achievement.name,
                "description": badge.achievement.description,
                "criteria": {"narrative": badge.achievement.criteria},
                "inLanguage": badge.achievement.language,
            },
        },
        "credentialStatus": {
            "id": format!("{}#{}", badge.status_list, badge.status_index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": badge.status_index.to_string(),
            "statusListCredential": badge.status_list,
        },
    })
}

/// The unsigned status list credential at `url` whose `encodedList` is `encoded`.
pub fn status_list(url: &str, issuer_did: &str, encoded: &str, at: DateTime<Utc>) -> Value {
    json!({
        "@context": [contexts::CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": instant(at),
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{keys::tests::vector_key, proof, status};

    fn badge<'a>(name: Option<&'a str>) -> Badge<'a> {
        let at = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        Badge {
            id: "https://academy.example/api/certificates/4c3b",
            name: "Certificate: The Universal Periodic Review",
            issuer: Issuer {
                did: "did:web:academy.example",
                name: "ISHR Academy",
                url: "https://ishr.ch",
            },
            achievement: Achievement {
                id: "https://academy.example/api/courses/universal-periodic-review",
                name: "The Universal Periodic Review",
                description: "How the UPR works.",
                criteria: "Completed every lesson and passed every quiz.",
                language: "en",
            },
            recipient: Recipient {
                identity: "urn:uuid:0e9d",
                salt: "a1b2",
                name,
            },
            awarded: at,
            issued: at,
            status_list: "https://academy.example/api/certificates/status/1",
            status_index: 7,
        }
    }

    #[test]
    fn a_certificate_names_nobody_unless_asked_and_signs_and_verifies() {
        let anonymous = credential(&badge(None));
        let text = anonymous.to_string();
        assert!(
            !text.contains("urn:uuid:0e9d"),
            "the identity itself is never written"
        );
        assert_eq!(
            anonymous["credentialSubject"]["identifier"][0]["identityHash"],
            identity_hash("urn:uuid:0e9d", "a1b2")
        );
        assert_eq!(
            anonymous["credentialSubject"]["identifier"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        let named = credential(&badge(Some("Amal")));
        assert_eq!(
            named["credentialSubject"]["identifier"][1]["identityHash"],
            "Amal"
        );

        let key = vector_key();
        let method = format!("did:web:academy.example#{}", key.public_multibase());
        let signed = proof::sign(&named, &key, &method, Utc::now());
        let signed = signed.unwrap_or_default();
        let key_for = |m: &str| {
            (m == method)
                .then(|| crate::keys::public_key(&key.public_multibase()))
                .flatten()
        };
        assert!(proof::verify(&signed, key_for).is_ok());
        let mut renamed = signed.clone();
        renamed["credentialSubject"]["identifier"][1]["identityHash"] = json!("Amai");
        assert_eq!(
            proof::verify(&renamed, key_for),
            Err(proof::ProofError::BadSignature)
        );
    }

    #[test]
    fn a_status_list_signs_and_verifies() {
        let key = vector_key();
        let method = format!("did:web:academy.example#{}", key.public_multibase());
        let list = status_list(
            "https://academy.example/api/certificates/status/1",
            "did:web:academy.example",
            &status::encode([7]),
            Utc::now(),
        );
        let signed = proof::sign(&list, &key, &method, Utc::now()).unwrap_or_default();
        let key_for = |m: &str| {
            (m == method)
                .then(|| crate::keys::public_key(&key.public_multibase()))
                .flatten()
        };
        assert!(proof::verify(&signed, key_for).is_ok());
    }
}
