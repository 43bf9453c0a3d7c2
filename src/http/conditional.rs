//! Conditional GET for content: weak ETags over what determines a representation,
//! `If-None-Match` → 304, and bodies serialised once per ETag and then served from a cache.

use std::marker::PhantomData;

use academy_courses::sha256_hex;
use bytes::Bytes;
use poem::{
    IntoResponse, Request, Response,
    web::headers::{ETag, HeaderMapExt, IfNoneMatch},
};
use poem_openapi::{
    ApiResponse,
    payload::Payload,
    registry::{MetaSchemaRef, Registry},
    types::{ToJSON, Type},
};

use super::cache::{BUDGET, ByteCache};

/// Bumped when the JSON shape of content responses changes, so cached copies are not reused.
const REPRESENTATION: &str = "1";

/// Responses vary with these request headers.
const VARY: &str = "Accept-Language, Accept-Encoding";

/// Who may keep a copy of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    /// Anyone's cache (public content): `public, max-age=300`.
    Public,
    /// The reader's browser only (content only some people may read): `private, max-age=300`.
    Private,
}

impl Sharing {
    fn cache_control(self) -> String {
        match self {
            Sharing::Public => "public, max-age=300",
            Sharing::Private => "private, max-age=300",
        }
        .to_owned()
    }
}

/// Serialised content bodies by ETag. An ETag names one representation of one content version,
/// so an entry never goes stale: each version is serialised once, not once per request.
pub type BodyCache = ByteCache<String>;

/// An empty [`BodyCache`].
pub fn body_cache() -> BodyCache {
    ByteCache::new(BUDGET)
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
    format!("W/\"{}\"", hash.get(..32).unwrap_or(&hash))
}

/// Whether `If-None-Match` names `etag` (weak comparison, as for GET).
fn not_modified(request: &Request, etag: &str) -> bool {
    let (Some(condition), Ok(etag)) = (
        request.headers().typed_get::<IfNoneMatch>(),
        etag.parse::<ETag>(),
    ) else {
        return false;
    };
    !condition.precondition_passes(&etag)
}

/// Answers 304 when the client has `etag` already; otherwise the body for `etag` from the
/// cache, building and serialising it with `body` on the first request.
pub fn respond<T: ToJSON + Send>(
    cache: &BodyCache,
    request: &Request,
    etag: String,
    sharing: Sharing,
    language: &str,
    body: impl FnOnce() -> T,
) -> Content<T> {
    if not_modified(request, &etag) {
        return Content::NotModified(etag, sharing.cache_control(), VARY.to_owned());
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
        sharing.cache_control(),
        VARY.to_owned(),
    )
}
