//! What the certificate endpoints receive and send. Credentials themselves are sent as the
//! JSON-LD they are (a W3C Verifiable Credential; their shape is the Open Badges 3.0
//! specification's).

use academy_courses::vocab::Language;
use academy_progress::certificate::Held;
use chrono::{DateTime, SecondsFormat, Utc};
use poem_openapi::{
    Enum, Object,
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

use crate::api::json_string::BoundedText;

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A credential sent to be checked: any JSON object (its shape is checked by verifying it, and
/// a credential that does not verify is an answer, not an error). Anything but an object is a
/// 400, and the schema says so.
#[derive(Debug, Clone)]
pub struct CredentialBody(pub Value);

impl Type for CredentialBody {
    crate::api::self_valued!();

    /// The schema's own name, which error messages translate ("expected an object").
    fn name() -> std::borrow::Cow<'static, str> {
        "object".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some("A Verifiable Credential (JSON-LD)."),
            ..MetaSchema::new("object")
        }))
    }
}

impl ParseFromJSON for CredentialBody {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(object @ Value::Object(_)) => Ok(CredentialBody(object)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for CredentialBody {
    fn to_json(&self) -> Option<Value> {
        Some(self.0.clone())
    }
}

/// The language of a certificate: its texts and its verification page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum CertificateLanguage {
    En,
    Fr,
    Es,
    Ar,
    Ru,
    Zh,
}

impl From<CertificateLanguage> for Language {
    fn from(l: CertificateLanguage) -> Self {
        match l {
            CertificateLanguage::En => Language::English,
            CertificateLanguage::Fr => Language::French,
            CertificateLanguage::Es => Language::Spanish,
            CertificateLanguage::Ar => Language::Arabic,
            CertificateLanguage::Ru => Language::Russian,
            CertificateLanguage::Zh => Language::Chinese,
        }
    }
}

/// Which name the certificate prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum NameChoice {
    /// No name: the certificate identifies its holder only by a salted hash.
    None,
    /// The display name (pseudonym) of one's account.
    Pseudonym,
    /// The name given in `other_name`.
    Other,
}

/// Claiming a certificate: the name printed on it and its language, fixed once claimed.
#[derive(Debug, Object)]
pub struct ClaimBody {
    pub name: NameChoice,
    /// The name to print with `name: other` (1–80 characters, no control or invisible
    /// characters).
    pub other_name: Option<BoundedText<1, 80>>,
    /// The language of the certificate's texts and page; the course's default language when
    /// absent or when the course has no text in it.
    pub lang: Option<CertificateLanguage>,
}

/// Why a certificate is revoked.
#[derive(Debug, Object)]
pub struct RevokeBody {
    /// Shown to the holder (1–500 characters).
    pub reason: BoundedText<1, 500>,
}

/// One of one's certificates.
#[derive(Debug, Object)]
pub struct HeldView {
    pub id: String,
    /// The course's slug.
    pub course: String,
    /// When the course was completed.
    pub awarded_at: String,
    /// When it was claimed; unclaimed certificates have no credential yet.
    #[oai(skip_serializing_if_is_none)]
    pub claimed_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub lang: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub revoked_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub revocation_reason: Option<String>,
    /// The value whose salted hash identifies the holder in the credential: revealing it to
    /// someone proves the certificate is one's own. Keep it private otherwise.
    pub recipient: String,
    /// The verification page to share.
    #[oai(skip_serializing_if_is_none)]
    pub page_url: Option<String>,
    /// The signed credential (Open Badges 3.0), once claimed.
    #[oai(skip_serializing_if_is_none)]
    pub credential: Option<serde_json::Value>,
}

impl HeldView {
    pub fn new(held: Held, course: String, public_url: &str) -> HeldView {
        let page_url = held
            .claimed_at
            .map(|_| format!("{public_url}/certificates/{}", held.id));
        HeldView {
            id: held.id,
            course,
            awarded_at: instant(held.awarded_at),
            claimed_at: held.claimed_at.map(instant),
            lang: held.lang,
            revoked_at: held.revoked_at.map(instant),
            revocation_reason: held.revocation_reason,
            recipient: held.recipient,
            page_url,
            credential: held.credential,
        }
    }
}

/// What checking a credential found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum Verdict {
    /// The proof holds, the key is this issuer's and the certificate is not revoked.
    Valid,
    /// The proof holds but the issuer revoked the certificate.
    Revoked,
    /// The proof does not hold, or it is not this issuer's; `code` says why.
    Invalid,
}

/// The answer of `POST /api/certificates/verify`.
#[derive(Debug, Object)]
pub struct VerificationView {
    pub verdict: Verdict,
    /// Why it is invalid: `malformed`, `unsupported_proof`, `unknown_context`, `too_complex`,
    /// `unknown_issuer`, `unknown_key`, `bad_signature` or `unknown_status`.
    #[oai(skip_serializing_if_is_none)]
    pub code: Option<String>,
    pub message: String,
    /// The certificate's id, when it is one of this Academy's.
    #[oai(skip_serializing_if_is_none)]
    pub certificate_id: Option<String>,
    /// When the proof says it was signed.
    #[oai(skip_serializing_if_is_none)]
    pub signed_at: Option<String>,
}

/// A revocation done.
#[derive(Debug, Object)]
pub struct RevokedView {
    pub id: String,
    pub revoked: bool,
}

/// A certificate, in the data export.
#[derive(Debug, Object)]
pub struct ExportedCertificate {
    pub id: String,
    pub course_id: i32,
    pub awarded_at: String,
    #[oai(skip_serializing_if_is_none)]
    pub claimed_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub lang: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub revoked_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub revocation_reason: Option<String>,
    /// The value whose salted hash identifies the holder in the credential.
    pub recipient: String,
    #[oai(skip_serializing_if_is_none)]
    pub credential: Option<serde_json::Value>,
}

impl From<Held> for ExportedCertificate {
    fn from(h: Held) -> Self {
        ExportedCertificate {
            id: h.id,
            course_id: h.course_id,
            awarded_at: instant(h.awarded_at),
            claimed_at: h.claimed_at.map(instant),
            lang: h.lang,
            revoked_at: h.revoked_at.map(instant),
            revocation_reason: h.revocation_reason,
            recipient: h.recipient,
            credential: h.credential,
        }
    }
}
