//! What every content response shares: language choice, ETags and conditional requests.

use std::marker::PhantomData;

use academy_courses::{
    catalog::{LanguagePreference, Resolved},
    sha256_hex,
    vocab::{Language, Mechanism},
};
use bytes::Bytes;
use poem::{IntoResponse, Request, Response};
use poem_openapi::{
    ApiResponse,
    payload::Payload,
    registry::{MetaSchemaRef, Registry},
    types::{ToJSON, Type},
};

use super::error::ContentError;
use crate::http::cache::ByteCache;

/// Bumped when the JSON shape of content responses changes, so cached copies are not reused.
const REPRESENTATION: &str = "1";

/// Caches may keep content for this long before revalidating with `If-None-Match`.
const CACHE_CONTROL: &str = "public, max-age=300";

/// Responses vary with these request headers.
const VARY: &str = "Accept-Language, Accept-Encoding";

/// Upper bound on the cached response bodies; the cache starts over when it is full.
const CACHE_BUDGET: usize = 64 << 20;

/// Serialised content bodies by ETag. An ETag names one representation of one content version,
/// so an entry never goes stale: each version is serialised once, not once per request.
pub type BodyCache = ByteCache<String>;

/// An empty [`BodyCache`].
pub fn body_cache() -> BodyCache {
    ByteCache::new(CACHE_BUDGET)
}

/// A JSON body of type `T`, already serialised. Documented in the OpenAPI spec as `T`.
pub struct JsonBody<T> {
    bytes: Bytes,
    _type: PhantomData<fn() -> T>,
}

const JSON: &str = "application/json; charset=utf-8";

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = JSON;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Send> IntoResponse for JsonBody<T> {
    fn into_response(self) -> Response {
        Response::builder().content_type(JSON).body(self.bytes)
    }
}

/// A content response, or "not modified" when the client already has this version.
#[derive(ApiResponse)]
pub enum Content<T: ToJSON + Send> {
    /// The content, in the language named by `Content-Language`.
    #[oai(status = 200)]
    Ok(
        JsonBody<T>,
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

/// Answers 304 when the client has `etag` already; otherwise the body for `etag` from the
/// cache, building and serialising it with `body` on the first request.
pub fn respond<T: ToJSON + Send>(
    cache: &BodyCache,
    request: &Request,
    etag: String,
    language: &str,
    body: impl FnOnce() -> T,
) -> Content<T> {
    if not_modified(request, &etag) {
        return Content::NotModified(etag, CACHE_CONTROL.to_owned(), VARY.to_owned());
    }
    let bytes = cache.get(etag.as_str()).unwrap_or_else(|| {
        let bytes = Bytes::from(body().to_json_string());
        cache.insert(etag.clone(), bytes.clone());
        bytes
    });
    let body = JsonBody {
        bytes,
        _type: PhantomData,
    };
    Content::Ok(
        body,
        etag,
        language.to_owned(),
        CACHE_CONTROL.to_owned(),
        VARY.to_owned(),
    )
}

/// Reads the language preference: `?lang=` first, then `Accept-Language`.
pub fn preference(
    request: &Request,
    lang: Option<&str>,
) -> Result<LanguagePreference, ContentError> {
    let explicit = lang.map(parse_language).transpose()?;
    Ok(LanguagePreference::new(
        explicit,
        accepted_languages(request),
    ))
}

/// The languages of the request's `Accept-Language` header that the platform knows, best first.
pub fn accepted_languages(request: &Request) -> Vec<Language> {
    request
        .headers()
        .get(poem::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Language::ranked_from_accept_language)
        .unwrap_or_default()
}

/// Parses a mechanism tag from a query parameter.
pub fn parse_mechanism(tag: &str) -> Result<Mechanism, ContentError> {
    Mechanism::parse(tag).ok_or_else(|| {
        ContentError::bad_request(
            "unknown_mechanism",
            format!(
                "`{tag}` is not a mechanism; use one of {}",
                Mechanism::expected()
            ),
        )
    })
}

/// A page size from a query parameter: `default` when absent, 400 outside `1..=max`.
pub fn page_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, ContentError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ContentError::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {max}"),
        ));
    }
    Ok(limit)
}

/// Parses a language tag from a query parameter.
pub fn parse_language(tag: &str) -> Result<Language, ContentError> {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    Language::parse(&primary).ok_or_else(|| {
        ContentError::bad_request(
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
