//! The request head at the edge. Before routing, every path segment and every query name and
//! value is percent-decoded and checked once, for every operation. Invalid UTF-8, control
//! characters (NUL included), bidirectional embedding, override and isolate characters, and
//! values longer than any parameter takes are answered 400 `{code, message}` here, so no such
//! text reaches a handler, a database or a log. The handlers then parse what is left into their
//! typed parameters ([`crate::api::inputs`]).
//!
//! Headers beyond [`MAX_HEADERS`] or [`MAX_HEADER_BYTES`] are answered 431 `{code, message}`
//! here too. hyper refuses larger heads itself, before this code sees them (more than
//! [`super::server::HYPER_MAX_HEADERS`] headers, or a head over its read buffer of about 400 KB),
//! with a 431 (or 414 for HTTP/2) that has an empty body: hyper offers no way to shape it.

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result, http::StatusCode, web::Json,
};
use serde_json::json;

use super::errors::escaped_prefix;

/// The longest path segment, in characters: slugs have at most 80, ids fewer.
pub const MAX_SEGMENT: usize = 200;
/// The longest query name or value, in characters (a search has at most 200, a provider's
/// `code` and `state` fewer than 1,000).
pub const MAX_QUERY_VALUE: usize = 1024;
/// The most headers a request may carry.
pub const MAX_HEADERS: usize = 100;
/// The most bytes a request's header names and values may hold together.
pub const MAX_HEADER_BYTES: usize = 32 << 10;

/// The request-target middleware.
#[derive(Clone, Copy, Debug, Default)]
pub struct TargetCheck;

impl<E: Endpoint> Middleware<E> for TargetCheck {
    type Output = TargetCheckEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        TargetCheckEndpoint { inner }
    }
}

pub struct TargetCheckEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for TargetCheckEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> Result<Response> {
        let headers = request.headers();
        let bytes: usize = headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
            let body = json!({
                "code": "headers_too_large",
                "message": format!(
                    "The request's headers are too large: at most {MAX_HEADERS} headers and \
                     {} KB in all.",
                    MAX_HEADER_BYTES >> 10
                ),
            });
            return Ok((StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, Json(body)).into_response());
        }
        if let Err(refusal) = check(request.uri().path(), request.uri().query()) {
            let body = json!({ "code": refusal.code, "message": refusal.message });
            return Ok((StatusCode::BAD_REQUEST, Json(body)).into_response());
        }
        self.inner
            .call(request)
            .await
            .map(IntoResponse::into_response)
    }
}

/// The rule of [`check`] for text, as a JSON Schema pattern: no control characters, no
/// bidirectional embedding, override or isolate characters, no U+FEFF.
pub const TEXT_PATTERN: &str = r"^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$";

/// The OpenAPI document `spec` with what this edge does written into it, for every operation
/// at once: each free-text path or query parameter (a string without an `enum`, `pattern` or
/// `format`) gets [`TEXT_PATTERN`] and its length bound; every operation declares the 400 and
/// 431 this middleware may answer, and every operation with a body the 415 poem-openapi answers
/// for a missing or wrong `Content-Type`. Unchanged if `spec` is not JSON.
pub fn documented(spec: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(spec) else {
        return spec.to_owned();
    };
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json; charset=utf-8": {
                "schema": {"$ref": "#/components/schemas/ErrorBody"}
            }}
        })
    };
    let operations = doc
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let has_body = operation.get("requestBody").is_some();
        let parameters = operation
            .get_mut("parameters")
            .and_then(serde_json::Value::as_array_mut)
            .into_iter()
            .flatten();
        for parameter in parameters {
            let (max, min) = match parameter.get("in").and_then(serde_json::Value::as_str) {
                Some("path") => (MAX_SEGMENT, 1),
                Some("query") => (MAX_QUERY_VALUE, 0),
                _ => continue,
            };
            let Some(schema) = parameter
                .get_mut("schema")
                .and_then(serde_json::Value::as_object_mut)
            else {
                continue;
            };
            let free_text = schema.get("type").and_then(serde_json::Value::as_str)
                == Some("string")
                && !["enum", "pattern", "format"]
                    .iter()
                    .any(|k| schema.contains_key(*k));
            if free_text {
                schema.insert("pattern".to_owned(), json!(TEXT_PATTERN));
                schema.entry("maxLength").or_insert(json!(max));
                if min > 0 {
                    schema.entry("minLength").or_insert(json!(min));
                }
            }
        }
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        responses.entry("400").or_insert_with(|| {
            error(
                "The path or query holds text no parameter takes (`invalid_encoding`, \
                 `invalid_character`, `value_too_long`), or a parameter is malformed.",
            )
        });
        responses.entry("431").or_insert_with(|| {
            error("Too many request headers, or too large (`headers_too_large`).")
        });
        if has_body {
            responses.entry("415").or_insert_with(|| {
                error("The body is not sent as `application/json` (`unsupported_media_type`).")
            });
        }
    }
    serde_json::to_string(&doc).unwrap_or_else(|_| spec.to_owned())
}

/// Why a request target was refused: a stable code and a short message.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// Checks a request's path and query string as they arrived (percent-encoded).
pub fn check(path: &str, query: Option<&str>) -> Result<(), Refusal> {
    for segment in path.split('/') {
        let decoded = decode(segment, false).map_err(|()| Refusal {
            code: "invalid_encoding",
            message: "The path is not valid percent-encoded UTF-8.".to_owned(),
        })?;
        text(&decoded, MAX_SEGMENT, "A path segment")?;
    }
    for pair in query.unwrap_or_default().split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name, true).map_err(|()| Refusal {
            code: "invalid_encoding",
            message: "The query string is not valid percent-encoded UTF-8.".to_owned(),
        })?;
        text(&name, MAX_QUERY_VALUE, "A query parameter name")?;
        let value = decode(value, true).map_err(|()| Refusal {
            code: "invalid_encoding",
            message: format!(
                "`{}` is not valid percent-encoded UTF-8.",
                escaped_prefix(&name, 40)
            ),
        })?;
        text(
            &value,
            MAX_QUERY_VALUE,
            &format!("`{}`", escaped_prefix(&name, 40)),
        )?;
    }
    Ok(())
}

/// Refuses text no parameter takes: too long, or holding a character that is not allowed.
fn text(value: &str, max_chars: usize, what: &str) -> Result<(), Refusal> {
    if value.chars().nth(max_chars).is_some() {
        return Err(Refusal {
            code: "value_too_long",
            message: format!("{what} is longer than {max_chars} characters."),
        });
    }
    if let Some(c) = value.chars().find(|&c| forbidden(c)) {
        return Err(Refusal {
            code: "invalid_character",
            message: format!(
                "{what} contains a character that is not allowed ({}).",
                c.escape_unicode()
            ),
        });
    }
    Ok(())
}

/// Control characters (NUL, line breaks, DEL, C1) and the bidirectional embedding, override and
/// isolate characters, which make text display other than it reads. Marks used in ordinary
/// writing (ZWJ, ZWNJ) are allowed.
pub fn forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Percent-decodes `raw` into UTF-8 text (`+` as a space in a query); `Err` for a byte sequence
/// that is not UTF-8. A `%` not followed by two hex digits is kept as it is, as browsers do.
fn decode(raw: &str, plus_is_space: bool) -> Result<String, ()> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|h| (*h as char).to_digit(16));
        match b {
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(high), Some(low)) => {
                    out.push(u8::try_from(high * 16 + low).map_err(|_| ())?);
                    i += 3;
                    continue;
                }
                _ => out.push(b),
            },
            b'+' if plus_is_space => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(path: &str, query: Option<&str>) -> Option<&'static str> {
        check(path, query).err().map(|r| r.code)
    }

    #[test]
    fn ordinary_targets_pass() {
        assert_eq!(code("/api/courses/treaty-bodies", Some("lang=fr-CH")), None);
        assert_eq!(
            code("/api/search", Some("q=%D9%85%D8%B1%D8%AD%D8%A8%D8%A7&x")),
            None
        );
        assert_eq!(code("/api/search", Some("q=a+b%20c&&=")), None);
        assert_eq!(code("/api/search", Some("q=50%")), None);
        assert_eq!(code("/", None), None);
    }

    #[test]
    fn nul_bad_utf8_bidi_overrides_and_overlong_values_are_refused() {
        assert_eq!(
            code("/api/me/sessions/%00", None),
            Some("invalid_character")
        );
        assert_eq!(code("/api/courses/%ff", None), Some("invalid_encoding"));
        assert_eq!(code("/api/courses/%c3", None), Some("invalid_encoding"));
        assert_eq!(code("/api/search", Some("q=%ff")), Some("invalid_encoding"));
        assert_eq!(code("/api/search", Some("%ff=1")), Some("invalid_encoding"));
        assert_eq!(
            code("/api/search", Some("q=a%E2%80%AEb")),
            Some("invalid_character")
        );
        assert_eq!(
            code("/api/search", Some("q=a%0Ab")),
            Some("invalid_character")
        );
        let long = "a".repeat(MAX_QUERY_VALUE + 1);
        assert_eq!(
            code("/api/search", Some(&format!("q={long}"))),
            Some("value_too_long")
        );
        let long = "a".repeat(MAX_SEGMENT + 1);
        assert_eq!(
            code(&format!("/api/courses/{long}"), None),
            Some("value_too_long")
        );
    }

    #[test]
    fn the_document_says_what_the_edge_does() {
        let spec = r#"{"paths": {"/a/{slug}": {"get": {
            "parameters": [
                {"in": "path", "name": "slug", "schema": {"type": "string"}},
                {"in": "query", "name": "lang", "schema": {"type": "string", "enum": ["en"]}}
            ],
            "responses": {"200": {"description": "ok"}}
        }, "patch": {"requestBody": {}, "responses": {"400": {"description": "own"}}}}}}"#;
        let doc: serde_json::Value = serde_json::from_str(&documented(spec)).unwrap();
        let get = &doc["paths"]["/a/{slug}"]["get"];
        assert_eq!(get["parameters"][0]["schema"]["pattern"], TEXT_PATTERN);
        assert_eq!(get["parameters"][0]["schema"]["maxLength"], MAX_SEGMENT);
        assert!(get["parameters"][1]["schema"].get("pattern").is_none());
        assert!(get["responses"]["400"].is_object() && get["responses"]["431"].is_object());
        assert!(get["responses"].get("415").is_none());
        let patch = &doc["paths"]["/a/{slug}"]["patch"];
        assert_eq!(patch["responses"]["400"]["description"], "own");
        assert!(patch["responses"]["415"].is_object());
    }

    #[test]
    fn messages_are_short_and_escaped() {
        let refusal = check("/api/search", Some("%E2%80%AE%00=%00")).unwrap_err();
        assert_eq!(
            refusal.message,
            "A query parameter name contains a character that is not allowed (\\u{202e})."
        );
        let name = format!("{}\u{202e}", "n".repeat(100));
        let refusal = check("/api/search", Some(&format!("{name}=%ff"))).unwrap_err();
        assert!(refusal.message.len() < 100, "{}", refusal.message);
    }
}
