//! Security headers on every response: no MIME sniffing, no referrer, a Content-Security-Policy
//! that forbids everything (and framing) unless the response brings its own (HTML pages, see
//! [`super::documents`]), and HSTS when the site is served over HTTPS.

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, header},
};

/// The policy of responses that are not pages: nothing may run, load or frame them.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// `Strict-Transport-Security`: browsers use only HTTPS for a year (this host only, since the
/// Academy cannot know what else runs under its domain).
const HSTS: &str = "max-age=31536000";

/// The security-header middleware.
#[derive(Clone, Copy, Debug)]
pub struct SecurityHeaders {
    /// Send HSTS (when `ACADEMY_PUBLIC_URL` is `https://…`).
    pub hsts: bool,
}

impl<E: Endpoint> Middleware<E> for SecurityHeaders {
    type Output = SecurityHeadersEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        SecurityHeadersEndpoint {
            inner,
            hsts: self.hsts,
        }
    }
}

pub struct SecurityHeadersEndpoint<E> {
    inner: E,
    hsts: bool,
}

impl<E: Endpoint> Endpoint for SecurityHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> Result<Response> {
        let mut response = self.inner.call(request).await?.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(API_POLICY),
            );
        }
        if self.hsts {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
        Ok(response)
    }
}
