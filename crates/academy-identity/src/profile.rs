//! Profile fields and their allowed values. Every field is optional, and every field that staff
//! statistics may count also accepts [`PREFER_NOT_TO_SAY`].

use crate::countries::ISO_3166_1_ALPHA_2;

/// The answer that is always allowed and never counted as anything else.
pub const PREFER_NOT_TO_SAY: &str = "prefer_not_to_say";

/// Allowed values of `gender`.
pub const GENDERS: &[&str] = &["woman", "man", "non_binary", "another", PREFER_NOT_TO_SAY];

/// Allowed values of `organisation_type`.
pub const ORGANISATION_TYPES: &[&str] = &[
    "ngo",
    "community_group",
    "national_human_rights_institution",
    "academic",
    "media",
    "legal_profession",
    "individual",
    "other",
    PREFER_NOT_TO_SAY,
];

/// Allowed values of `thematic_focus`.
pub const THEMATIC_FOCUSES: &[&str] = &[
    "civil_and_political_rights",
    "economic_social_and_cultural_rights",
    "women_and_gender",
    "lgbti",
    "children",
    "indigenous_peoples",
    "minorities",
    "migrants_and_refugees",
    "environment_and_climate",
    "business_and_human_rights",
    "other",
    PREFER_NOT_TO_SAY,
];

/// A change to a profile. For each field: `None` keeps it, `Some(None)` clears it,
/// `Some(Some(value))` sets it.
#[derive(Clone, Debug, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<Option<String>>,
    pub language: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub gender: Option<Option<String>>,
    pub organisation_type: Option<Option<String>>,
    pub thematic_focus: Option<Option<String>>,
}

/// A profile value that is not allowed.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidField {
    /// The field's name in the API.
    pub field: &'static str,
    /// What is allowed.
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> InvalidField {
    InvalidField {
        field,
        message: message.into(),
    }
}

/// A display name: a pseudonym is fine. 1 to 80 characters, no control characters.
pub fn display_name(value: &str) -> Result<String, InvalidField> {
    let value = value.trim();
    let length = value.chars().count();
    if length == 0 || length > 80 {
        return Err(invalid("display_name", "must be 1 to 80 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(
            "display_name",
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

/// A BCP 47 language tag such as `en`, `fr` or `es-419`.
pub fn language(value: &str) -> Result<String, InvalidField> {
    let mut parts = value.split('-');
    let primary = parts.next().unwrap_or_default();
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok || value.len() > 35 {
        return Err(invalid(
            "language",
            "must be a language tag such as `en`, `fr` or `es-419`",
        ));
    }
    Ok(value.to_owned())
}

/// An ISO 3166-1 alpha-2 country code (any case) or `prefer_not_to_say`.
pub fn country(value: &str) -> Result<String, InvalidField> {
    if value == PREFER_NOT_TO_SAY {
        return Ok(value.to_owned());
    }
    let upper = value.to_ascii_uppercase();
    if ISO_3166_1_ALPHA_2.binary_search(&upper.as_str()).is_ok() {
        Ok(upper)
    } else {
        Err(invalid(
            "country",
            "must be an ISO 3166-1 alpha-2 code such as `KE` or `prefer_not_to_say`",
        ))
    }
}

fn one_of(field: &'static str, allowed: &[&str], value: &str) -> Result<String, InvalidField> {
    if allowed.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(invalid(
            field,
            format!("must be one of {}", allowed.join(", ")),
        ))
    }
}

/// One of [`GENDERS`].
pub fn gender(value: &str) -> Result<String, InvalidField> {
    one_of("gender", GENDERS, value)
}

/// One of [`ORGANISATION_TYPES`].
pub fn organisation_type(value: &str) -> Result<String, InvalidField> {
    one_of("organisation_type", ORGANISATION_TYPES, value)
}

/// One of [`THEMATIC_FOCUSES`].
pub fn thematic_focus(value: &str) -> Result<String, InvalidField> {
    one_of("thematic_focus", THEMATIC_FOCUSES, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_accepts_prefer_not_to_say_and_rejects_unknown_values() {
        assert_eq!(
            country(PREFER_NOT_TO_SAY).ok().as_deref(),
            Some(PREFER_NOT_TO_SAY)
        );
        assert_eq!(
            gender(PREFER_NOT_TO_SAY).ok().as_deref(),
            Some(PREFER_NOT_TO_SAY)
        );
        assert!(organisation_type(PREFER_NOT_TO_SAY).is_ok());
        assert!(thematic_focus(PREFER_NOT_TO_SAY).is_ok());
        assert!(gender("unknown").is_err());
        assert!(thematic_focus("").is_err());
    }

    #[test]
    fn countries_are_iso_codes_in_any_case() {
        assert_eq!(country("ke").ok().as_deref(), Some("KE"));
        assert!(country("XX").is_err());
        assert!(country("Kenya").is_err());
    }

    #[test]
    fn display_names_and_languages_are_checked() {
        assert_eq!(display_name("  Rosa  ").ok().as_deref(), Some("Rosa"));
        assert!(display_name("").is_err());
        assert!(display_name(&"x".repeat(81)).is_err());
        assert!(display_name("a\u{0}b").is_err());
        assert!(language("es-419").is_ok());
        assert!(language("english").is_err());
    }
}
