//! Closed vocabularies, shared by the domain crates: an enum whose variants map to fixed tags,
//! built only by parsing a known tag ("parse, don't validate"). The content format's languages
//! and mechanisms, and the profile's gender or organisation type, are all defined with
//! [`vocabulary!`].

#[doc(hidden)]
pub use serde as __serde;

/// Defines a closed vocabulary: an enum whose variants map to fixed tags, with `ALL`,
/// `as_str`, `parse`, `expected()` (the tags, for error messages), `WHAT` (what the
/// vocabulary names), `Display`, and `Serialize`/`Deserialize` (as the tag).
#[macro_export]
macro_rules! vocabulary {
    ($(#[$meta:meta])* $vis:vis $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $tag:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in the vocabulary's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// What the vocabulary names, for error messages.
            pub const WHAT: &'static str = $what;

            /// The tag as written in files, URLs and the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $tag),+ }
            }

            /// Parses a tag; `None` if it is not part of the vocabulary.
            pub fn parse(tag: &str) -> Option<Self> {
                match tag { $($tag => Some($name::$variant),)+ _ => None }
            }

            /// The accepted tags, comma-separated, for error messages.
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let tag = <::std::borrow::Cow<'de, str> as $crate::__serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(&tag).ok_or_else(|| {
                    <D::Error as $crate::__serde::de::Error>::custom(format!(
                        "unknown {} `{}`: expected one of {}",
                        Self::WHAT,
                        tag.chars().take(40).collect::<String>().escape_default(),
                        Self::expected()
                    ))
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    vocabulary!(
        /// A sample vocabulary.
        Colour, "colour" {
            Red => "red",
            DarkBlue => "dark-blue",
        }
    );

    #[test]
    fn tags_round_trip_and_unknown_tags_are_refused() {
        for colour in Colour::ALL {
            assert_eq!(Colour::parse(colour.as_str()), Some(*colour));
        }
        assert_eq!(Colour::parse("green"), None);
        assert_eq!(Colour::expected(), "red, dark-blue");
        assert_eq!(Colour::DarkBlue.to_string(), "dark-blue");
        assert_eq!(Colour::WHAT, "colour");
    }
}
