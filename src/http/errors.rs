//! Turns every error that escapes a handler (unknown route, unparsable parameter, panic) into
//! the API's JSON error shape, and logs request outcomes without personal data. Messages about
//! what a client sent name the parameter as the API documents it (never poem-openapi's
//! internal `param0` or schema names such as `integer(uint32)`) and show at most a short,
//! escaped prefix of the value.

use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, StatusCode, header},
    web::Json,
};
use poem_openapi::error::{ParseParamError, ParsePathError, ParseRequestPayloadError};
use serde_json::json;

/// The error-shaping and logging middleware.
#[derive(Clone, Default)]
pub struct JsonErrors {
    paths: Arc<PathTemplates>,
}

impl JsonErrors {
    /// The middleware for the API described by `spec` (the OpenAPI document as JSON), whose
    /// path templates name the path parameters.
    pub fn for_spec(spec: &str) -> JsonErrors {
        JsonErrors {
            paths: Arc::new(PathTemplates::from_spec(spec)),
        }
    }
}

impl<E: Endpoint> Middleware<E> for JsonErrors {
    type Output = JsonErrorsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        JsonErrorsEndpoint {
            inner,
            paths: self.paths.clone(),
        }
    }
}

pub struct JsonErrorsEndpoint<E> {
    inner: E,
    paths: Arc<PathTemplates>,
}

fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        s if s.is_client_error() => "bad_request",
        _ => "internal_error",
    }
}

impl<E: Endpoint> Endpoint for JsonErrorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> Result<Response> {
        let started = Instant::now();
        let method = request.method().clone();
        // The path only: query strings can carry what a person searched for.
        let path = request.uri().path().to_owned();
        let response = match self.inner.call(request).await {
            Ok(output) => output.into_response(),
            // An error response a handler built on purpose (its `api_error!` enum): already in shape.
            Err(error) if error.is_from_response() => error.into_response(),
            Err(error) => {
                let status = error.status();
                let message = if status.is_server_error() {
                    tracing::error!(%method, %path, error = %error, "request failed");
                    "Something went wrong on our side. Please try again later.".to_owned()
                } else if status == StatusCode::NOT_FOUND {
                    "There is nothing at this address. The API is described at /openapi.json."
                        .to_owned()
                } else {
                    self.client_message(&error, &path)
                };
                let allow = (status == StatusCode::METHOD_NOT_ALLOWED)
                    .then(|| self.paths.allowed(&path))
                    .filter(|allow| !allow.is_empty());
                let message = match &allow {
                    Some(allow) => format!("{method} is not allowed here. Allowed: {allow}."),
                    None => message,
                };
                let body = Json(json!({ "code": code_for(status), "message": message }));
                let mut response = (status, body).into_response();
                if let Some(allow) = allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
                    response.headers_mut().insert(header::ALLOW, allow);
                }
                response
            }
        };
        tracing::debug!(%method, %path, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
        Ok(response)
    }
}

impl<E> JsonErrorsEndpoint<E> {
    /// What to tell a client about its mistake, in the API's own terms.
    fn client_message(&self, error: &poem::Error, path: &str) -> String {
        if let Some(e) = error.downcast_ref::<ParsePathError>() {
            let name = self.paths.name(path, e.name).unwrap_or("a value");
            return format!("`{name}` in the path must be {}.", expected(&e.reason));
        }
        if let Some(e) = error.downcast_ref::<ParseParamError>() {
            return format!("`{}` must be {}.", e.name, expected(&e.reason));
        }
        if let Some(e) = error.downcast_ref::<ParseRequestPayloadError>() {
            return format!(
                "The request body is not valid: {}",
                payload_reason(&e.reason)
            );
        }
        escaped_prefix(&error.to_string(), 200)
    }
}

/// The path templates of the API (`/api/admin/users/{id}`) with their methods, to name the
/// path parameters that poem-openapi calls `param0`, `param1`… by their position, and to say
/// which methods a path allows (`Allow` on a 405).
#[derive(Debug, Default)]
struct PathTemplates(Vec<(Vec<String>, Vec<String>)>);

impl PathTemplates {
    fn from_spec(spec: &str) -> PathTemplates {
        let spec: serde_json::Value = serde_json::from_str(spec).unwrap_or_default();
        let templates = spec
            .get("paths")
            .and_then(serde_json::Value::as_object)
            .map(|paths| {
                paths
                    .iter()
                    .map(|(template, operations)| {
                        let segments = template.split('/').map(str::to_owned).collect();
                        let mut methods: Vec<String> = operations
                            .as_object()
                            .map(|o| o.keys().map(|m| m.to_ascii_uppercase()).collect())
                            .unwrap_or_default();
                        // poem answers HEAD wherever it answers GET.
                        if methods.iter().any(|m| m == "GET") {
                            methods.push("HEAD".to_owned());
                        }
                        (segments, methods)
                    })
                    .collect()
            })
            .unwrap_or_default();
        PathTemplates(templates)
    }

    /// The template the router picks for the request `path`: of those that match, the one
    /// with the most literal segments (`/api/programmes/mine` before `/api/programmes/{slug}`).
    fn matching(&self, path: &str) -> Option<&(Vec<String>, Vec<String>)> {
        let segments: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .filter(|(template, _)| {
                template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t.starts_with('{') || t == s)
            })
            .max_by_key(|(template, _)| template.iter().filter(|t| !t.starts_with('{')).count())
    }

    /// The methods the request `path` allows, as an `Allow` value (`GET, HEAD`); empty when no
    /// documented path matches.
    fn allowed(&self, path: &str) -> String {
        let mut methods: Vec<&str> = self
            .matching(path)
            .map(|(_, methods)| methods.iter().map(String::as_str).collect())
            .unwrap_or_default();
        methods.sort_unstable();
        methods.join(", ")
    }

    /// The documented name of path parameter `internal` (`paramN`) of the request `path`.
    fn name(&self, path: &str, internal: &str) -> Option<&str> {
        let position: usize = internal.strip_prefix("param")?.parse().ok()?;
        let (template, _) = self.matching(path)?;
        template
            .iter()
            .filter_map(|t| t.strip_prefix('{')?.strip_suffix('}'))
            .nth(position)
    }
}

/// What a parameter must be, in words, from poem-openapi's reason (`failed to parse
/// "integer(uint32)": …`), which names the schema type.
fn expected(reason: &str) -> String {
    let schema = reason.split('"').nth(1).unwrap_or_default();
    let format: String = schema
        .trim_start_matches("integer")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    match (schema, format.as_str()) {
        (s, "int32") if s.starts_with("integer") => {
            format!("a whole number from {} to {}", i32::MIN, i32::MAX)
        }
        (s, "uint32") if s.starts_with("integer") => {
            format!("a whole number from 0 to {}", u32::MAX)
        }
        (s, "int64") if s.starts_with("integer") => {
            format!("a whole number from {} to {}", i64::MIN, i64::MAX)
        }
        (s, "uint64") if s.starts_with("integer") => {
            format!("a whole number from 0 to {}", u64::MAX)
        }
        (s, _) if s.starts_with("integer") => "a whole number".to_owned(),
        (s, _) if s.starts_with("number") => "a number".to_owned(),
        (s, _) if s.starts_with("boolean") => "`true` or `false`".to_owned(),
        (s, _) if s.contains("uuid") => "a UUID".to_owned(),
        (s, _) if s.contains("slug") => {
            "a slug: 1 to 80 lowercase letters, digits and single hyphens".to_owned()
        }
        _ => "a valid value".to_owned(),
    }
}

/// A payload error without schema names and without the value that did not fit: poem-openapi
/// writes `failed to parse "ProfilePatch": Expected input type "string", found [1,1,…]`.
fn payload_reason(reason: &str) -> String {
    let mut reason = reason;
    while let Some(rest) = reason
        .strip_prefix("failed to parse \"")
        .and_then(|r| r.split_once("\": "))
        .map(|(_, rest)| rest)
    {
        reason = rest;
    }
    if let Some(rest) = reason.strip_prefix("Expected input type \"") {
        let wanted = rest.split('"').next().unwrap_or_default();
        let wanted = match wanted {
            "string" => "text".to_owned(),
            "boolean" => "`true` or `false`".to_owned(),
            "object" => "an object".to_owned(),
            w if w.starts_with("integer") => "a whole number".to_owned(),
            w if w.starts_with("number") => "a number".to_owned(),
            w if w.starts_with('[') => "a list".to_owned(),
            w if w.starts_with(|c: char| c.is_ascii_uppercase()) => "an object".to_owned(),
            _ => "one of the documented values".to_owned(),
        };
        return format!("a value has the wrong type: expected {wanted}.");
    }
    let reason = match reason.find(" (occurred while parsing \"") {
        Some(end) => reason.get(..end).unwrap_or(reason),
        None => reason,
    };
    escaped_prefix(reason, 200)
}

/// At most `max_chars` characters of `value`, with control, invisible and bidirectional
/// formatting characters escaped, and `…` when cut: what an error message may show of input.
pub fn escaped_prefix(value: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for c in value.chars().take(max_chars) {
        let escape = c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        if escape {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    if value.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_names_become_the_documented_ones() {
        let spec = r#"{"paths": {"/api/admin/users/{id}/roles/{role}": {}, "/api/me": {}}}"#;
        let paths = PathTemplates::from_spec(spec);
        assert_eq!(
            paths.name("/api/admin/users/x/roles/admin", "param0"),
            Some("id")
        );
        assert_eq!(
            paths.name("/api/admin/users/1/roles/x", "param1"),
            Some("role")
        );
        assert_eq!(paths.name("/api/other/1", "param0"), None);
        let spec = r#"{"paths": {"/api/me": {"get": {}, "patch": {}, "delete": {}}, "/api/x/{id}": {"post": {}}}}"#;
        let paths = PathTemplates::from_spec(spec);
        assert_eq!(paths.allowed("/api/me"), "DELETE, GET, HEAD, PATCH");
        assert_eq!(paths.allowed("/api/x/7"), "POST");
        assert_eq!(paths.allowed("/api/nothing"), "");
        assert_eq!(
            expected(r#"failed to parse "integer(uint32)": invalid digit"#),
            "a whole number from 0 to 4294967295"
        );
        assert_eq!(
            expected(r#"failed to parse "integer_int32": number too large"#),
            "a whole number from -2147483648 to 2147483647"
        );
    }

    #[test]
    fn payload_errors_do_not_echo_the_payload() {
        let echoed = format!(
            r#"failed to parse "ProfilePatch": Expected input type "string", found [{}1]. (occurred while parsing "ProfilePatch")"#,
            "1,".repeat(10_000)
        );
        assert_eq!(
            payload_reason(&echoed),
            "a value has the wrong type: expected text."
        );
        assert_eq!(
            payload_reason("expected value at line 1 column 1"),
            "expected value at line 1 column 1"
        );
        assert_eq!(payload_reason(&"y".repeat(1000)).chars().count(), 201);
    }

    #[test]
    fn a_prefix_is_short_and_escaped() {
        assert_eq!(escaped_prefix("fr", 40), "fr");
        assert_eq!(escaped_prefix("a\u{202e}b\0", 40), "a\\u{202e}b\\u{0}");
        assert_eq!(escaped_prefix(&"x".repeat(100), 40).chars().count(), 41);
    }
}
