//! Response compression (brotli or gzip, as the client asks), with a cache of compressed bodies
//! keyed by ETag: content responses are compressed once per version, not once per request.
//! Bodies of [`OFF_WORKER_SIZE`] or more are compressed on tokio's blocking threads, so that a
//! burst of large responses does not hold up the async workers.

use std::io::Write;

use bytes::Bytes;
use poem::{
    Body, Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, StatusCode, header},
};

use super::cache::{BUDGET, ByteCache};

/// Bodies smaller than this are sent as they are: compression would not pay.
const MIN_SIZE: usize = 860;

/// Bodies at least this large are compressed on a blocking thread (smaller ones take a few
/// microseconds, less than handing them over would).
pub const OFF_WORKER_SIZE: usize = 16 << 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    fn as_str(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// Compresses `data`; `thorough` spends more time for a smaller result (done once when cached).
    fn compress(self, data: &[u8], thorough: bool) -> std::io::Result<Vec<u8>> {
        match self {
            Encoding::Brotli => {
                let quality = if thorough { 9 } else { 4 };
                let mut out = Vec::with_capacity(data.len() / 3);
                {
                    let mut writer = brotli::CompressorWriter::new(&mut out, 4096, quality, 22);
                    writer.write_all(data)?;
                }
                Ok(out)
            }
            Encoding::Gzip => {
                let level = flate2::Compression::new(if thorough { 9 } else { 5 });
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 3), level);
                encoder.write_all(data)?;
                encoder.finish()
            }
        }
    }
}

/// Picks the encoding from `Accept-Encoding`: brotli if acceptable, then gzip.
fn negotiate(request: &Request) -> Option<Encoding> {
    let mut best: Option<(Encoding, u16)> = None;
    for value in request
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(1000, |q| {
                    q.trim()
                        .parse::<f32>()
                        .map_or(0, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
                });
            let encoding = match name {
                n if n.eq_ignore_ascii_case("br") => Encoding::Brotli,
                n if n.eq_ignore_ascii_case("gzip") => Encoding::Gzip,
                _ => continue,
            };
            let rank = |e: Encoding, q: u16| (q, e == Encoding::Brotli);
            if q > 0 && best.is_none_or(|(e, bq)| rank(encoding, q) > rank(e, bq)) {
                best = Some((encoding, q));
            }
        }
    }
    best.map(|(e, _)| e)
}

fn compressible(response: &Response) -> bool {
    response.status() == StatusCode::OK
        && !response.headers().contains_key(header::CONTENT_ENCODING)
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| {
                t.starts_with("application/json")
                    || t.starts_with("text/")
                    || t.starts_with("application/javascript")
            })
}

/// The compression middleware.
#[derive(Clone)]
pub struct Compression {
    cache: ByteCache<(String, Encoding)>,
}

impl Default for Compression {
    fn default() -> Self {
        Compression {
            cache: ByteCache::new(BUDGET),
        }
    }
}

impl<E: Endpoint> Middleware<E> for Compression {
    type Output = CompressionEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        CompressionEndpoint {
            inner,
            cache: self.cache.clone(),
        }
    }
}

pub struct CompressionEndpoint<E> {
    inner: E,
    cache: ByteCache<(String, Encoding)>,
}

impl<E: Endpoint> Endpoint for CompressionEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> Result<Response> {
        let encoding = negotiate(&request);
        let mut response = self.inner.call(request).await?.into_response();
        if !compressible(&response) {
            return Ok(response);
        }
        let varies = response.headers().get_all(header::VARY).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
        });
        if !varies {
            response
                .headers_mut()
                .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        let Some(encoding) = encoding else {
            return Ok(response);
        };
        let etag = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let key = etag.map(|etag| (etag, encoding));
        let compressed = match key.as_ref().and_then(|k| self.cache.get(k)) {
            Some(hit) => hit,
            None => {
                let body = response.take_body().into_bytes().await?;
                if body.len() < MIN_SIZE {
                    response.set_body(body);
                    return Ok(response);
                }
                let thorough = key.is_some();
                let compressed = if body.len() >= OFF_WORKER_SIZE {
                    tokio::task::spawn_blocking(move || encoding.compress(&body, thorough))
                        .await
                        .map_err(poem::error::InternalServerError)?
                } else {
                    encoding.compress(&body, thorough)
                };
                let compressed = Bytes::from(compressed.map_err(poem::error::InternalServerError)?);
                if let Some(key) = key {
                    self.cache.insert(key, compressed.clone());
                }
                compressed
            }
        };
        response.headers_mut().insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(encoding.as_str()),
        );
        response.headers_mut().remove(header::CONTENT_LENGTH);
        response.set_body(Body::from_bytes(compressed));
        Ok(response)
    }
}
