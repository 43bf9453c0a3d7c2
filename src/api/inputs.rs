//! Typed path and query parameters: each is parsed at the handler boundary by a constructor
//! that checks it, and documented with its rule in the OpenAPI schema. What no parameter can
//! hold at all (invalid UTF-8, control and bidirectional-override characters, overlong text) is
//! refused earlier, for every route, by [`crate::http::target`].

use std::{borrow::Cow, ops::Deref};

use academy_courses::vocab::{Language, Level, Mechanism, Slug};
use academy_credentials::status;
use academy_identity::Role;
use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromParameter, ParseResult, Type},
};

/// Implements poem-openapi's `Type` for a string newtype with the given schema name and schema.
macro_rules! string_param {
    ($ty:ty, $name:literal, $schema:expr) => {
        impl Type for $ty {
            crate::api::self_valued!();

            fn name() -> Cow<'static, str> {
                $name.into()
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Inline(Box::new($schema))
            }
        }
    };
}

/// A course, lesson or quiz slug in a path or query: 1 to 80 of `a-z`, `0-9` and single inner
/// hyphens.
#[derive(Debug, Clone)]
pub struct SlugParam(Slug);

impl SlugParam {
    /// What a slug must be, as error messages say it.
    pub const RULE: &'static str = "1 to 80 lowercase letters, digits and single hyphens";
}

impl Deref for SlugParam {
    type Target = str;

    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

string_param!(
    SlugParam,
    "string(slug)",
    MetaSchema {
        min_length: Some(1),
        max_length: Some(80),
        pattern: Some("^[a-z0-9]+(-[a-z0-9]+)*$".to_owned()),
        ..MetaSchema::new("string")
    }
);

impl ParseFromParameter for SlugParam {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Slug::parse(value)
            .map(SlugParam)
            .map_err(|_| ParseError::custom(SlugParam::RULE))
    }
}

/// A session's id: a UUID, as `GET /api/me/sessions` lists them (kept in lowercase).
#[derive(Debug, Clone)]
pub struct SessionId(String);

impl Deref for SessionId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

string_param!(
    SessionId,
    "string(uuid)",
    MetaSchema {
        format: Some("uuid"),
        ..MetaSchema::new("string")
    }
);

impl ParseFromParameter for SessionId {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        if is_uuid(value) {
            Ok(SessionId(value.to_ascii_lowercase()))
        } else {
            Err(ParseError::custom("a UUID"))
        }
    }
}

/// A certificate's id: a UUID (kept in lowercase).
#[derive(Debug, Clone)]
pub struct CertificateId(String);

impl CertificateId {
    /// The id as a UUID.
    pub fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::parse_str(&self.0).unwrap_or_default()
    }
}

string_param!(
    CertificateId,
    "string(uuid)",
    MetaSchema {
        format: Some("uuid"),
        ..MetaSchema::new("string")
    }
);

impl ParseFromParameter for CertificateId {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        if is_uuid(value) {
            Ok(CertificateId(value.to_ascii_lowercase()))
        } else {
            Err(ParseError::custom("a UUID"))
        }
    }
}

/// A calendar date in a query, `YYYY-MM-DD` (years 1000 to 9999): the text as sent, parsed by
/// the handler, which answers 400 `invalid_date` for a day that does not exist.
#[derive(Debug, Clone)]
pub struct DateParam(String);

impl Deref for DateParam {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

string_param!(
    DateParam,
    "string(date)",
    MetaSchema {
        format: Some("date"),
        pattern: Some("^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$".to_owned()),
        ..MetaSchema::new("string")
    }
);

impl ParseFromParameter for DateParam {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(DateParam(value.to_owned()))
    }
}

/// Whether `value` is a UUID in its hyphenated form (`8-4-4-4-12` hexadecimal digits).
fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, length)| {
            group.len() == length && group.bytes().all(|b| b.is_ascii_hexdigit())
        })
}

/// A tag of a closed vocabulary in a query or path (`lang`, `level`, `mechanism`, `role`): the
/// text as sent, documented in the schema as one of the vocabulary's tags. The handler parses it
/// with its own function in [`super::params`], which answers the stable error code of that
/// vocabulary (`unknown_language`, `unknown_level`, …) for any other text.
macro_rules! vocabulary_param {
    ($(#[$meta:meta])* $ty:ident, $name:literal, $tags:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $ty(String);

        impl Deref for $ty {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        string_param!(
            $ty,
            $name,
            MetaSchema {
                enum_items: $tags
                    .into_iter()
                    .map(|tag: &str| serde_json::Value::String(tag.to_owned()))
                    .collect(),
                ..MetaSchema::new("string")
            }
        );

        impl ParseFromParameter for $ty {
            fn parse_from_parameter(value: &str) -> ParseResult<Self> {
                Ok($ty(value.to_owned()))
            }
        }
    };
}

vocabulary_param!(
    /// A language: `en`, `fr`, `es`, `ar`, `zh` or `ru` (a region is ignored: `fr-CH` is `fr`).
    LanguageTag,
    "string(language)",
    Language::ALL.iter().map(|l| l.as_str())
);
vocabulary_param!(
    /// A course level.
    LevelTag,
    "string(level)",
    Level::ALL.iter().map(|l| l.as_str())
);
vocabulary_param!(
    /// A mechanism tag.
    MechanismTag,
    "string(mechanism)",
    Mechanism::ALL.iter().map(|m| m.as_str())
);
vocabulary_param!(
    /// A role that can be granted or revoked (`learner` is everyone's and answers 409).
    RoleName,
    "string(role)",
    Role::ALL.iter().filter(|r| **r != Role::Learner).map(|r| r.as_str())
);

/// A whole number documented with the bounds `MIN` to `MAX`. Any `u32` parses, so that the
/// handler answers a number out of bounds with its own code (see [`WholeNumber::within`]).
#[derive(Debug, Clone, Copy)]
pub struct WholeNumber<const MIN: u32, const MAX: u32>(u32);

impl<const MIN: u32, const MAX: u32> WholeNumber<MIN, MAX> {
    /// The number sent.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The number sent, if it is within the documented bounds.
    pub fn within(self) -> Option<u32> {
        (MIN..=MAX).contains(&self.0).then_some(self.0)
    }
}

impl<const MIN: u32, const MAX: u32> Type for WholeNumber<MIN, MAX> {
    crate::api::self_valued!();

    fn name() -> Cow<'static, str> {
        "integer(uint32)".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            format: Some("uint32"),
            minimum: Some(f64::from(MIN)),
            maximum: Some(f64::from(MAX)),
            ..MetaSchema::new("integer")
        }))
    }
}

impl<const MIN: u32, const MAX: u32> ParseFromParameter for WholeNumber<MIN, MAX> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        value
            .parse()
            .map(WholeNumber)
            .map_err(|_| ParseError::custom("not a whole number"))
    }
}

/// A page size: a whole number from 1 to `MAX`. The handler checks the range with
/// [`super::params::limit`] (400 `invalid_limit`).
pub type PageSize<const MAX: u32> = WholeNumber<1, MAX>;

/// A status list's number, from 1 to [`status::MAX_LISTS`].
pub type StatusListNumber = WholeNumber<1, { status::MAX_LISTS }>;

/// The page size asked for, if any.
pub fn page_size<const MAX: u32>(limit: Option<PageSize<MAX>>) -> Option<u32> {
    limit.map(PageSize::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_parsed_by_their_rule() {
        assert_eq!(
            &*SlugParam::parse_from_parameter("treaty-bodies").unwrap(),
            "treaty-bodies"
        );
        for bad in ["", "Treaty", "a--b", "-a", "a\0", "ا", &"a".repeat(81)] {
            assert!(SlugParam::parse_from_parameter(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn vocabularies_and_bounds_are_in_the_schema() {
        let MetaSchemaRef::Inline(schema) = LanguageTag::schema_ref() else {
            panic!("inline")
        };
        assert_eq!(schema.enum_items.len(), 6);
        let MetaSchemaRef::Inline(schema) = RoleName::schema_ref() else {
            panic!("inline")
        };
        assert_eq!(schema.enum_items, ["trainer", "staff", "admin"]);
        let MetaSchemaRef::Inline(schema) = PageSize::<50>::schema_ref() else {
            panic!("inline")
        };
        assert_eq!((schema.minimum, schema.maximum), (Some(1.0), Some(50.0)));
        assert_eq!(
            page_size(Some(PageSize::<50>::parse_from_parameter("51").unwrap())),
            Some(51)
        );
    }

    #[test]
    fn session_ids_are_uuids() {
        let id = SessionId::parse_from_parameter("0F8FAD5B-D9CB-469F-A165-70867728950E").unwrap();
        assert_eq!(&*id, "0f8fad5b-d9cb-469f-a165-70867728950e");
        for bad in [
            "",
            "\0",
            "0f8fad5b",
            "0f8fad5bd9cb469fa16570867728950e",
            "0f8fad5b-d9cb-469f-a165-70867728950g",
        ] {
            assert!(SessionId::parse_from_parameter(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn status_list_numbers_are_bounded() {
        let within = |text| {
            StatusListNumber::parse_from_parameter(text)
                .ok()
                .and_then(StatusListNumber::within)
        };
        assert_eq!(within("1"), Some(1));
        assert_eq!(within("16384"), Some(16_384));
        for bad in ["0", "16385", "9760524145", "-1", "1.0", "", "\0"] {
            assert_eq!(within(bad), None, "{bad:?}");
        }
        let MetaSchemaRef::Inline(schema) = StatusListNumber::schema_ref() else {
            panic!("inline")
        };
        assert_eq!(
            (schema.minimum, schema.maximum),
            (Some(1.0), Some(16_384.0))
        );
    }
}
