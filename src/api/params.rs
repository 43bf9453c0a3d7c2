//! Query-parameter and header parsing shared by the areas: language (`?lang=`,
//! `Accept-Language`), mechanism, level, page size and cursor. Each turns text into a typed value
//! or a 400 [`Failure`] naming what is allowed.

use academy_courses::{
    catalog::{Cursor, LanguagePreference},
    vocab::{Language, Level, Mechanism},
};
use poem::Request;

use super::errors::Failure;

/// At most this many `Accept-Language` items are read.
const MAX_ACCEPTED: usize = 32;

/// Reads the language preference: `?lang=` first, then `Accept-Language`.
pub fn preference(request: &Request, lang: Option<&str>) -> Result<LanguagePreference, Failure> {
    let explicit = lang.map(language).transpose()?;
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
        .map(ranked_languages)
        .unwrap_or_default()
}

/// The languages of an `Accept-Language` value that this platform knows, best first. Weights
/// (`q=`) are honoured (ties keep their order), region subtags are ignored (`fr-CH` counts as
/// `fr`), unknown, malformed and refused (`q=0`) items are skipped.
fn ranked_languages(header: &str) -> Vec<Language> {
    let mut out = Vec::new();
    for (tag, quality) in accept_language::parse_with_quality(header)
        .into_iter()
        .take(MAX_ACCEPTED)
    {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if quality <= 0.0 {
            continue;
        }
        if let Some(language) = Language::parse(&primary.to_ascii_lowercase())
            && !out.contains(&language)
        {
            out.push(language);
        }
    }
    out
}

/// Parses a language tag from a query parameter (`fr`, `fr-CH`, `es_419`).
pub fn language(tag: &str) -> Result<Language, Failure> {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    Language::parse(&primary).ok_or_else(|| {
        Failure::bad_request(
            "unknown_language",
            format!(
                "`{}` is not a supported language; use one of {}",
                shown(tag),
                Language::expected()
            ),
        )
    })
}

/// Parses a mechanism tag from a query parameter.
pub fn mechanism(tag: &str) -> Result<Mechanism, Failure> {
    Mechanism::parse(tag).ok_or_else(|| {
        Failure::bad_request(
            "unknown_mechanism",
            format!(
                "`{}` is not a mechanism; use one of {}",
                shown(tag),
                Mechanism::expected()
            ),
        )
    })
}

/// Parses a course level from a query parameter.
pub fn level(tag: &str) -> Result<Level, Failure> {
    Level::parse(tag).ok_or_else(|| {
        Failure::bad_request(
            "unknown_level",
            format!(
                "`{}` is not a level; use one of {}",
                shown(tag),
                Level::expected()
            ),
        )
    })
}

/// A page size from a query parameter: `default` when absent, 400 outside `1..=max`.
pub fn limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, Failure> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(Failure::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {max}"),
        ));
    }
    Ok(limit)
}

/// Decodes a catalog cursor from a query parameter.
pub fn cursor(cursor: Option<&str>) -> Result<Option<Cursor>, Failure> {
    cursor
        .map(Cursor::decode)
        .transpose()
        .map_err(|e| Failure::bad_request("invalid_cursor", e.to_string()))
}

/// What was sent, as it may appear in an error message: at most 40 characters, control and
/// format characters escaped, so a message never echoes a large or misleading value.
pub fn shown(value: &str) -> String {
    crate::http::errors::escaped_prefix(value, 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_ranked_by_weight_and_regions_are_ignored() {
        use Language::*;
        assert_eq!(
            ranked_languages("de-DE, fr-CH;q=0.8, es;q=0.9, fr"),
            vec![French, Spanish]
        );
        assert_eq!(ranked_languages("ru;q=0, en"), vec![English]);
        assert_eq!(
            ranked_languages("*;q=0.5, ;;, zh;q=x, ar;q=0.1"),
            vec![Arabic]
        );
        assert!(ranked_languages("").is_empty());
    }

    #[test]
    fn error_messages_show_a_short_escaped_prefix_of_what_was_sent() {
        assert_eq!(shown("fr"), "fr");
        assert_eq!(shown("a\u{202e}b\0"), "a\\u{202e}b\\u{0}");
        assert_eq!(shown(&"x".repeat(100)).chars().count(), 41);
    }
}
