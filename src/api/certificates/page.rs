//! The verification page of a certificate: server-rendered HTML, no JavaScript, small enough
//! for a slow phone and printable, saying whether the certificate is valid, revoked or
//! unknown, in the language its holder chose (or `?lang=`).

use std::sync::LazyLock;

use academy_courses::vocab::Language;
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::{Html, Json},
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{
    api::{
        ApiTags,
        errors::{ErrorBody, Failure},
        inputs::{CertificateId, LanguageTag},
    },
    state::AppState,
};

pub struct PageApi {
    pub state: AppState,
}

/// The page's only style; the policy allows exactly it (by hash), nothing else.
const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:1em auto;padding:0 1em;color:#111}\
h1{font-size:1.4em}.status{padding:.6em 1em;border-radius:.3em;font-weight:bold}\
.valid{background:#e3f4e1;border:2px solid #2e7d32}.revoked{background:#fde2e1;border:2px solid #c62828}\
.unknown{background:#eee;border:2px solid #666}dt{font-weight:bold;margin-top:.6em}dd{margin:0}\
@media print{a{color:#111;text-decoration:none}}";

static POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    )
});

/// The page's answer.
#[derive(ApiResponse)]
pub enum PageResponse {
    /// The certificate's page: valid or revoked.
    #[oai(status = 200)]
    Found(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "Content-Language")] String,
    ),
    /// The id is not a claimed certificate: a page saying so.
    #[oai(status = 404)]
    Unknown(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "Content-Language")] String,
    ),
    /// The id is not a UUID, or `lang` is not a language (`code` says which).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Something failed on our side; the details are in the server log only.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

impl From<Failure> for PageResponse {
    fn from(failure: Failure) -> Self {
        if failure.status == crate::api::errors::Status::BadRequest {
            PageResponse::BadRequest(failure.into_json())
        } else {
            PageResponse::Internal(failure.into_json())
        }
    }
}

/// The words of the page.
struct Words {
    title: &'static str,
    valid: &'static str,
    revoked: &'static str,
    unknown: &'static str,
    awarded_to: &'static str,
    no_name: &'static str,
    course: &'static str,
    completed: &'static str,
    issuer: &'static str,
    credential: &'static str,
}

fn words(language: Language) -> Words {
    match language {
        Language::French => Words {
            title: "Certificat",
            valid: "Ce certificat est valide : sa signature est celle de l'ISHR Academy et il n'a pas été révoqué.",
            revoked: "Ce certificat a été révoqué par l'ISHR Academy. Il n'est plus valide.",
            unknown: "Aucun certificat ne porte cette adresse.",
            awarded_to: "Décerné à",
            no_name: "(sans nom, à la demande de la personne titulaire)",
            course: "Cours",
            completed: "Terminé le",
            issuer: "Délivré par",
            credential: "Le certificat signé (Open Badges 3.0)",
        },
        Language::Spanish => Words {
            title: "Certificado",
            valid: "Este certificado es válido: lo firmó la ISHR Academy y no ha sido revocado.",
            revoked: "La ISHR Academy revocó este certificado. Ya no es válido.",
            unknown: "Ningún certificado tiene esta dirección.",
            awarded_to: "Otorgado a",
            no_name: "(sin nombre, a petición de la persona titular)",
            course: "Curso",
            completed: "Completado el",
            issuer: "Emitido por",
            credential: "El certificado firmado (Open Badges 3.0)",
        },
        Language::Arabic => Words {
            title: "شهادة",
            valid: "هذه الشهادة صالحة: وقّعتها أكاديمية ISHR ولم تُلغَ.",
            revoked: "ألغت أكاديمية ISHR هذه الشهادة. لم تعد صالحة.",
            unknown: "لا توجد شهادة بهذا العنوان.",
            awarded_to: "مُنحت إلى",
            no_name: "(بلا اسم، بناءً على طلب صاحب الشهادة)",
            course: "الدورة",
            completed: "تاريخ الإتمام",
            issuer: "الجهة المُصدِرة",
            credential: "الشهادة الموقّعة (Open Badges 3.0)",
        },
        Language::Russian => Words {
            title: "Сертификат",
            valid: "Этот сертификат действителен: он подписан ISHR Academy и не отозван.",
            revoked: "ISHR Academy отозвала этот сертификат. Он больше не действителен.",
            unknown: "Сертификата с таким адресом нет.",
            awarded_to: "Выдан",
            no_name: "(без имени, по просьбе владельца)",
            course: "Курс",
            completed: "Дата завершения",
            issuer: "Выдан организацией",
            credential: "Подписанный сертификат (Open Badges 3.0)",
        },
        Language::Chinese => Words {
            title: "证书",
            valid: "此证书有效：由 ISHR Academy 签发，且未被撤销。",
            revoked: "ISHR Academy 已撤销此证书，该证书不再有效。",
            unknown: "此地址没有对应的证书。",
            awarded_to: "授予",
            no_name: "（应持有人要求，不显示姓名）",
            course: "课程",
            completed: "完成日期",
            issuer: "颁发机构",
            credential: "已签名的证书（Open Badges 3.0）",
        },
        Language::English => Words {
            title: "Certificate",
            valid: "This certificate is valid: it was signed by the ISHR Academy and has not been revoked.",
            revoked: "The ISHR Academy revoked this certificate. It is no longer valid.",
            unknown: "There is no certificate at this address.",
            awarded_to: "Awarded to",
            no_name: "(no name, at the holder's request)",
            course: "Course",
            completed: "Completed on",
            issuer: "Issued by",
            credential: "The signed certificate (Open Badges 3.0)",
        },
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(language: Language, heading: &str, body: &str) -> String {
    let dir = if language == Language::Arabic {
        "rtl"
    } else {
        "ltr"
    };
    format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{heading}</title><style>{STYLE}</style>\
         </head><body>{body}</body></html>",
        lang = language.as_str(),
    )
}

fn date(at: Option<&str>) -> Option<String> {
    let at = DateTime::parse_from_rfc3339(at?).ok()?.with_timezone(&Utc);
    Some(at.format("%Y-%m-%d").to_string())
}

/// The printed name (the `name` identity object), if the holder chose one.
fn holder_name(credential: &Value) -> Option<&str> {
    credential
        .pointer("/credentialSubject/identifier")?
        .as_array()?
        .iter()
        .find(|i| i["identityType"] == "name" && i["hashed"] == false)?
        .get("identityHash")?
        .as_str()
}

#[OpenApi(tag = "ApiTags::Certificates")]
impl PageApi {
    /// A certificate's verification page
    ///
    /// A small HTML page (no JavaScript, printable) that says whether the certificate is
    /// valid, revoked or unknown, with the course, the name the holder chose (if any) and the
    /// completion date, in the language the holder chose or `lang`. Share this address.
    #[oai(path = "/certificates/:id", method = "get")]
    async fn page(
        &self,
        /// The certificate's id.
        id: Path<CertificateId>,
        /// The page's language, instead of the one the holder chose.
        lang: Query<Option<LanguageTag>>,
    ) -> PageResponse {
        let asked = lang
            .0
            .as_deref()
            .and_then(|l| Language::parse(&l.split('-').next().unwrap_or(l).to_ascii_lowercase()));
        let found = match academy_progress::certificate::published(
            &self.state.db,
            &self.state.enrollment.keys,
            id.uuid(),
        )
        .await
        {
            Ok(found) => found,
            Err(e) => return Failure::internal(&e).into(),
        };
        let Some(found) = found else {
            let language = asked.unwrap_or(Language::English);
            let w = words(language);
            let body = format!(
                "<h1>{}</h1><p class=\"status unknown\">{}</p>",
                w.title, w.unknown
            );
            return PageResponse::Unknown(
                Html(page(language, w.title, &body)),
                POLICY.clone(),
                language.as_str().to_owned(),
            );
        };
        let language = asked
            .or_else(|| Language::parse(&found.lang))
            .unwrap_or(Language::English);
        let w = words(language);
        let credential = &found.credential;
        let course = credential
            .pointer("/credentialSubject/achievement/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (class, verdict) = if found.revoked_at.is_some() {
            ("revoked", w.revoked)
        } else {
            ("valid", w.valid)
        };
        let name = holder_name(credential)
            .map(escape)
            .unwrap_or_else(|| w.no_name.to_owned());
        let completed = date(credential["awardedDate"].as_str()).unwrap_or_default();
        let issuer = credential
            .pointer("/issuer/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let json_url = self.state.certificates.credential_url(&found.id);
        let body = format!(
            "<h1>{title}</h1><p class=\"status {class}\">{verdict}</p><dl>\
             <dt>{awarded_to}</dt><dd>{name}</dd><dt>{course_label}</dt><dd>{course}</dd>\
             <dt>{completed_label}</dt><dd>{completed}</dd><dt>{issuer_label}</dt><dd>{issuer}</dd>\
             </dl><p><a href=\"{json_url}\">{credential_label}</a></p>",
            title = w.title,
            awarded_to = w.awarded_to,
            course_label = w.course,
            course = escape(course),
            completed_label = w.completed,
            issuer_label = w.issuer,
            issuer = escape(issuer),
            json_url = escape(&json_url),
            credential_label = w.credential,
        );
        PageResponse::Found(
            Html(page(language, w.title, &body)),
            POLICY.clone(),
            language.as_str().to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_the_style_is_what_the_policy_allows() {
        assert_eq!(escape("<b>\"x\"&'"), "&lt;b&gt;&quot;x&quot;&amp;&#39;");
        let html = page(Language::English, "Certificate", "<p>x</p>");
        assert!(html.contains(STYLE));
        assert!(!html.contains("<script"));
        assert!(POLICY.contains("style-src 'sha256-"));
        assert!(page(Language::Arabic, "t", "").contains("dir=\"rtl\""));
    }
}
