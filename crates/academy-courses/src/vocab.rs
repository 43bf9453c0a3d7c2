//! The fixed vocabularies of the content format: languages, mechanisms, levels, visibility, and
//! the slug newtype. Each is built only through a constructor that checks it.

use std::fmt;

use serde::Serialize;

use academy_vocab::vocabulary;

vocabulary!(
    /// The six official languages of the United Nations, in which courses may be offered.
    pub Language, "language" {
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
    pub Mechanism, "mechanism" {
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
    pub Level, "level" {
        Introductory => "introductory",
        Intermediate => "intermediate",
        Advanced => "advanced",
    }
);

vocabulary!(
    /// Who may see a course: everyone, or only the participants of an HRDAP cohort.
    pub Visibility, "visibility" {
        Public => "public",
        Cohort => "cohort",
    }
);

vocabulary!(
    /// The kinds of quiz question.
    pub QuestionKind, "question kind" {
        Single => "single",
        Multiple => "multiple",
        TrueFalse => "true-false",
    }
);

impl Language {
    /// `languages` in vocabulary order with `default` first.
    pub fn default_first(
        languages: impl Iterator<Item = Language>,
        default: Language,
    ) -> Vec<Language> {
        let mut languages: Vec<Language> = languages.collect();
        languages.sort_by_key(|l| (*l != default, *l));
        languages
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
