//! Documents built once at start and served as they are: the OpenAPI document and Swagger UI.
//! Each has a strong ETag over its bytes and answers `If-None-Match` with 304, and the
//! compression middleware, which caches by ETag, compresses each once per encoding.

use base64::Engine;
use bytes::Bytes;
use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, StatusCode, header},
    web::headers::{ETag, HeaderMapExt, IfNoneMatch},
};
use sha2::{Digest, Sha256};

/// One document's bytes and the headers that go with them.
#[derive(Clone)]
pub struct Document {
    body: Bytes,
    content_type: &'static str,
    etag: String,
    policy: Option<String>,
}

impl Document {
    /// A JSON document (the OpenAPI description).
    pub fn json(text: String) -> Document {
        Document::new(text, "application/json; charset=utf-8", None)
    }

    /// An HTML page, with a Content-Security-Policy that runs only its own inline scripts (by
    /// hash), allows inline styles and `data:` images (Swagger UI uses both), fetches only from
    /// this site and may not be framed.
    pub fn html(text: String) -> Document {
        let scripts: Vec<String> = inline_scripts(&text)
            .map(|script| {
                let digest = Sha256::digest(script.as_bytes());
                format!(
                    "'sha256-{}'",
                    base64::engine::general_purpose::STANDARD.encode(digest)
                )
            })
            .collect();
        let policy = format!(
            "default-src 'none'; script-src {}; style-src 'unsafe-inline'; img-src 'self' data:; \
             font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'",
            scripts.join(" ")
        );
        Document::new(text, "text/html; charset=utf-8", Some(policy))
    }

    fn new(text: String, content_type: &'static str, policy: Option<String>) -> Document {
        let hash = academy_courses::sha256_hex([text.as_bytes()]);
        Document {
            etag: format!("\"{}\"", hash.get(..32).unwrap_or(&hash)),
            body: Bytes::from(text),
            content_type,
            policy,
        }
    }
}

/// The text of each inline `<script>` element of an HTML page (a script may mention `<script`,
/// but never `</script>`, which would end it).
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        let (_, element) = rest.split_once("<script")?;
        let (_, body) = element.split_once('>')?;
        let (text, after) = body.split_once("</script>")?;
        rest = after;
        Some(text)
    })
}

impl Endpoint for Document {
    type Output = Response;

    async fn call(&self, request: Request) -> Result<Response> {
        let mut response = match (
            request.headers().typed_get::<IfNoneMatch>(),
            self.etag.parse::<ETag>(),
        ) {
            (Some(condition), Ok(etag)) if !condition.precondition_passes(&etag) => {
                StatusCode::NOT_MODIFIED.into_response()
            }
            _ => Response::builder()
                .content_type(self.content_type)
                .body(self.body.clone()),
        };
        let headers = response.headers_mut();
        if let Ok(etag) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, etag);
        }
        // Revalidated on every use, so a new release's document is never missed.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if let Some(policy) = self.policy.as_deref().and_then(|p| p.parse().ok()) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_each_inline_script_by_hash() {
        let page = Document::html(
            "<html><script charset=\"UTF-8\">one('<script>')</script><p>x</p><script>two()</script>"
                .to_owned(),
        );
        let policy = page.policy.unwrap_or_default();
        assert_eq!(policy.matches("'sha256-").count(), 2, "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    }
}
