//! Typed path and query parameters: each is parsed at the handler boundary by a constructor
//! that checks it, and documented with its rule in the OpenAPI schema. What no parameter can
//! hold at all (invalid UTF-8, control and bidirectional-override characters, overlong text) is
//! refused earlier, for every route, by [`crate::http::target`].

use std::{borrow::Cow, ops::Deref};

use academy_courses::vocab::Slug;
use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromParameter, ParseResult, Type},
};

/// Implements poem-openapi's `Type` for a string newtype with the given schema name and schema.
macro_rules! string_param {
    ($ty:ty, $name:literal, $schema:expr) => {
        impl Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                $name.into()
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Inline(Box::new($schema))
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn raw_element_iter<'a>(
                &'a self,
            ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(self.as_raw_value().into_iter())
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

/// Whether `value` is a UUID in its hyphenated form (`8-4-4-4-12` hexadecimal digits).
fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, length)| {
            group.len() == length && group.bytes().all(|b| b.is_ascii_hexdigit())
        })
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
}
