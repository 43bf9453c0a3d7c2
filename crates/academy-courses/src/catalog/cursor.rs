//! Opaque pagination cursors for the course list.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// The position after which the next page starts: the last course's sort key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub order: i32,
    pub slug: String,
}

/// A cursor that was not made by this server.
#[derive(Debug, thiserror::Error)]
#[error("the cursor is not valid: pass back the `next_cursor` of a previous page unchanged")]
pub struct CursorError;

impl Cursor {
    /// Encodes the cursor as an opaque URL-safe string.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("c1:{}:{}", self.order, self.slug))
    }

    /// Decodes a string made by [`Cursor::encode`].
    pub fn decode(value: &str) -> Result<Cursor, CursorError> {
        if value.len() > 200 {
            return Err(CursorError);
        }
        let bytes = URL_SAFE_NO_PAD.decode(value).map_err(|_| CursorError)?;
        let text = String::from_utf8(bytes).map_err(|_| CursorError)?;
        let rest = text.strip_prefix("c1:").ok_or(CursorError)?;
        let (order, slug) = rest.split_once(':').ok_or(CursorError)?;
        let order = order.parse().map_err(|_| CursorError)?;
        crate::vocab::Slug::parse(slug).map_err(|_| CursorError)?;
        Ok(Cursor {
            order,
            slug: slug.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            order: -5,
            slug: "treaty-bodies".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor));
        for bad in [
            "",
            "!!!",
            "YWJj",
            &URL_SAFE_NO_PAD.encode("c1:x:slug"),
            &URL_SAFE_NO_PAD.encode("c1:1:Bad Slug"),
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad:?}");
        }
    }
}
