//! The fixed vocabularies of the content format: languages, mechanisms, levels, visibility, and
//! the slug newtype. Each is built only through a constructor that checks it.

use std::fmt;

use serde::Serialize;

/// Defines a closed vocabulary: an enum whose variants map to fixed kebab-case tags.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $tag:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the vocabulary's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The tag as written in content files and URLs.
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

            /// What the vocabulary names, for error messages.
            pub const WHAT: &'static str = $what;
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// The six official languages of the United Nations, in which courses may be offered.
    Language, "language" {
        Arabic => "ar",
        Chinese => "zh",
        English => "en",
        French => "fr",
        Russian => "ru",
        Spanish => "es",
    }
);

vocabulary!(
    /// The human-rights mechanisms a course can be tagged with.
    Mechanism, "mechanism" {
        HumanRightsCouncil => "human-rights-council",
        UniversalPeriodicReview => "universal-periodic-review",
        TreatyBodies => "treaty-bodies",
        SpecialProcedures => "special-procedures",
        GeneralAssembly => "general-assembly",
        Ohchr => "ohchr",
        Reprisals => "reprisals",
        AfricanCommission => "african-commission",
        InterAmericanSystem => "inter-american-system",
        EuropeanSystem => "european-system",
    }
);

vocabulary!(
    /// How much a course assumes its learner already knows.
    Level, "level" {
        Introductory => "introductory",
        Intermediate => "intermediate",
        Advanced => "advanced",
    }
);

vocabulary!(
    /// Who may see a course: everyone, or only the participants of an HRDAP cohort.
    Visibility, "visibility" {
        Public => "public",
        Cohort => "cohort",
    }
);

vocabulary!(
    /// The kinds of quiz question.
    QuestionKind, "question kind" {
        Single => "single",
        Multiple => "multiple",
        TrueFalse => "true-false",
    }
);

impl Language {
    /// The languages of an `Accept-Language` header value that this platform knows, best first.
    /// Weights (`q=`) are honoured, region subtags are ignored (`fr-CH` counts as `fr`), unknown
    /// or malformed items are skipped.
    pub fn ranked_from_accept_language(header: &str) -> Vec<Language> {
        let mut ranked: Vec<(u16, usize, Language)> = header
            .split(',')
            .take(32)
            .enumerate()
            .filter_map(|(index, item)| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
                let weight = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                    None => 1000,
                    Some(q) => (q.trim().parse::<f32>().ok()?.clamp(0.0, 1.0) * 1000.0) as u16,
                };
                let language = Language::parse(&primary)?;
                (weight > 0).then_some((weight, index, language))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut out = Vec::with_capacity(ranked.len());
        for (_, _, language) in ranked {
            if !out.contains(&language) {
                out.push(language);
            }
        }
        out
    }
}

/// A slug: 1 to 80 characters of `a-z`, `0-9` and single inner hyphens. Used for courses,
/// modules, lessons, quizzes and question ids.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Slug(String);

impl Slug {
    /// Checks and wraps a slug.
    pub fn parse(value: &str) -> Result<Slug, String> {
        let valid_chars = value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if value.is_empty() || value.len() > 80 {
            Err(format!("`{value}` must be 1 to 80 characters long"))
        } else if !valid_chars
            || value.starts_with('-')
            || value.ends_with('-')
            || value.contains("--")
        {
            Err(format!(
                "`{value}` is not a valid slug: use lowercase letters, digits and single hyphens"
            ))
        } else {
            Ok(Slug(value.to_owned()))
        }
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_ranked_by_weight_and_regions_are_ignored() {
        use Language::*;
        assert_eq!(
            Language::ranked_from_accept_language("de-DE, fr-CH;q=0.8, es;q=0.9, fr"),
            vec![French, Spanish]
        );
        assert_eq!(
            Language::ranked_from_accept_language("ru;q=0, en"),
            vec![English]
        );
        assert_eq!(
            Language::ranked_from_accept_language("*;q=0.5, ;;, zh;q=x, ar;q=0.1"),
            vec![Arabic]
        );
        assert!(Language::ranked_from_accept_language("").is_empty());
    }

    #[test]
    fn slugs_reject_everything_but_lowercase_words() {
        assert!(Slug::parse("universal-periodic-review").is_ok());
        for bad in [
            "",
            "Upper",
            "two--hyphens",
            "-lead",
            "trail-",
            "spa ce",
            "é",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
