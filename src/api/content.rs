//! What every content response shares: language choice, ETags and conditional requests.

use academy_courses::{
    catalog::{LanguagePreference, Resolved},
    sha256_hex,
    vocab::Language,
};
use poem::Request;
use poem_openapi::{ApiResponse, payload::Json, types::ToJSON};

use super::error::ApiError;

/// Bumped when the JSON shape of content responses changes, so cached copies are not reused.
const REPRESENTATION: &str = "1";

/// Caches may keep content for this long before revalidating with `If-None-Match`.
const CACHE_CONTROL: &str = "public, max-age=300";

/// Responses vary with these request headers.
const VARY: &str = "Accept-Language, Accept-Encoding";

/// A content response, or "not modified" when the client already has this version.
#[derive(ApiResponse)]
pub enum Content<T: ToJSON + Send> {
    /// The content, in the language named by `Content-Language`.
    #[oai(status = 200)]
    Ok(
        Json<T>,
        /// Version of this representation; send it back in `If-None-Match`.
        #[oai(header = "ETag")]
        String,
        /// The language(s) of the content served.
        #[oai(header = "Content-Language")]
        String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Vary")] String,
    ),
    /// The representation named in `If-None-Match` is still current.
    #[oai(status = 304)]
    NotModified(
        #[oai(header = "ETag")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Vary")] String,
    ),
}

/// A weak ETag over the parts that determine a representation.
pub fn etag(parts: &[&str]) -> String {
    let hash = sha256_hex(
        std::iter::once(REPRESENTATION.as_bytes())
            .chain(parts.iter().flat_map(|p| [p.as_bytes(), b"\x1f"])),
    );
    format!("W/\"{}\"", &hash[..32])
}

/// Whether `If-None-Match` names `etag` (weak comparison, as for GET).
fn not_modified(request: &Request, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let wanted = opaque(etag);
    request
        .headers()
        .get_all(poem::http::header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || opaque(tag) == wanted)
}

/// Answers 304 when the client has `etag` already, otherwise builds the body.
pub fn respond<T: ToJSON + Send>(
    request: &Request,
    etag: String,
    language: &str,
    body: impl FnOnce() -> T,
) -> Content<T> {
    if not_modified(request, &etag) {
        Content::NotModified(etag, CACHE_CONTROL.to_owned(), VARY.to_owned())
    } else {
        Content::Ok(
            Json(body()),
            etag,
            language.to_owned(),
            CACHE_CONTROL.to_owned(),
            VARY.to_owned(),
        )
    }
}

/// Reads the language preference: `?lang=` first, then `Accept-Language`.
pub fn preference(request: &Request, lang: Option<&str>) -> Result<LanguagePreference, ApiError> {
    let explicit = lang.map(parse_language).transpose()?;
    let accept = request
        .headers()
        .get(poem::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Ok(LanguagePreference::new(explicit, accept))
}

/// Parses a language tag from a query parameter.
pub fn parse_language(tag: &str) -> Result<Language, ApiError> {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    Language::parse(&primary).ok_or_else(|| {
        ApiError::bad_request(
            "unknown_language",
            format!(
                "`{tag}` is not a supported language; use one of {}",
                Language::expected()
            ),
        )
    })
}

/// The ETag part naming a resolved language.
pub fn resolved_tag(resolved: Resolved) -> String {
    format!(
        "{}{}",
        resolved.language,
        if resolved.fallback { "~" } else { "" }
    )
}
