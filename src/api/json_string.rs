//! Text in a JSON request body. poem-openapi reads a JSON number or boolean sent for a `String`
//! field as its text (`"quiz": false` becomes the quiz `false`), although the document says only
//! a string is valid there. [`JsonString`] takes a JSON string and nothing else: any other value
//! makes the request body invalid, a 400 `{code, message}` that says text was expected (see
//! [`crate::http::errors`]). Request bodies use it for every text field, also inside maps and
//! lists; response bodies that share a type with a request send it as an ordinary string.

use std::{borrow::Cow, fmt, ops::Deref};

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

/// A text field of a request body, sent as a JSON string.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JsonString(String);

impl JsonString {
    /// The text.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl Deref for JsonString {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JsonString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for JsonString {
    fn from(text: String) -> Self {
        JsonString(text)
    }
}

impl From<&str> for JsonString {
    fn from(text: &str) -> Self {
        JsonString(text.to_owned())
    }
}

impl From<JsonString> for String {
    fn from(text: JsonString) -> Self {
        text.0
    }
}

impl Type for JsonString {
    crate::api::self_valued!();

    /// The schema's own name, which error messages translate ("expected text").
    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl ParseFromJSON for JsonString {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Ok(JsonString(text)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for JsonString {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

/// A text field of a request body with a length from `MIN` to `MAX` characters and at least one
/// character that is not white space, documented with those bounds. It is read like
/// [`JsonString`] (a JSON string, nothing else); the handler checks the rest with its own error
/// code, as it also checks what a schema cannot say (control and invisible characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoundedText<const MIN: usize, const MAX: usize>(JsonString);

impl<const MIN: usize, const MAX: usize> Deref for BoundedText<MIN, MAX> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const MIN: usize, const MAX: usize> From<&str> for BoundedText<MIN, MAX> {
    fn from(text: &str) -> Self {
        BoundedText(JsonString::from(text))
    }
}

impl<const MIN: usize, const MAX: usize> Type for BoundedText<MIN, MAX> {
    crate::api::self_valued!();

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            min_length: Some(MIN),
            max_length: Some(MAX),
            pattern: Some(r"\S".to_owned()),
            ..MetaSchema::new("string")
        }))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<const MIN: usize, const MAX: usize> ParseFromJSON for BoundedText<MIN, MAX> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        JsonString::parse_from_json(value)
            .map(BoundedText)
            .map_err(ParseError::propagate)
    }
}

impl<const MIN: usize, const MAX: usize> ToJSON for BoundedText<MIN, MAX> {
    fn to_json(&self) -> Option<Value> {
        self.0.to_json()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use poem_openapi::types::MaybeUndefined;
    use serde_json::json;

    use super::*;

    #[test]
    fn only_a_json_string_is_text() {
        let text = JsonString::parse_from_json(Some(json!("treaty-bodies"))).unwrap();
        assert_eq!(&*text, "treaty-bodies");
        for other in [
            json!(123),
            json!(1.5),
            json!(false),
            json!(null),
            json!([]),
            json!({}),
        ] {
            assert!(
                JsonString::parse_from_json(Some(other.clone())).is_err(),
                "{other}"
            );
        }
        assert!(
            JsonString::parse_from_json(None).is_err(),
            "a missing value"
        );
        // poem-openapi's own `String` reads a number as its digits: the reason for this type.
        assert_eq!(String::parse_from_json(Some(json!(123))).unwrap(), "123");
    }

    #[test]
    fn wrappers_keep_the_rule_and_the_schema_is_a_string() {
        assert!(
            Option::<JsonString>::parse_from_json(Some(json!(null)))
                .unwrap()
                .is_none()
        );
        assert!(Option::<JsonString>::parse_from_json(Some(json!(7))).is_err());
        assert!(matches!(
            MaybeUndefined::<JsonString>::parse_from_json(Some(json!(null))).unwrap(),
            MaybeUndefined::Null
        ));
        assert!(MaybeUndefined::<JsonString>::parse_from_json(Some(json!(true))).is_err());
        assert!(Vec::<JsonString>::parse_from_json(Some(json!(["a", 1]))).is_err());
        assert!(BTreeMap::<String, JsonString>::parse_from_json(Some(json!({"en": 1}))).is_err());
        let MetaSchemaRef::Inline(schema) = JsonString::schema_ref() else {
            panic!("inline")
        };
        assert_eq!(schema.ty, "string");
        assert_eq!(JsonString::from("x").to_json(), Some(json!("x")));
    }

    #[test]
    fn bounded_text_is_text_with_its_bounds_in_the_schema() {
        type Reason = BoundedText<1, 500>;
        assert_eq!(
            &*Reason::parse_from_json(Some(json!(" why "))).unwrap(),
            " why "
        );
        assert!(Reason::parse_from_json(Some(json!(5))).is_err());
        let MetaSchemaRef::Inline(schema) = Reason::schema_ref() else {
            panic!("inline")
        };
        assert_eq!((schema.min_length, schema.max_length), (Some(1), Some(500)));
        assert_eq!(schema.pattern.as_deref(), Some(r"\S"));
    }
}
