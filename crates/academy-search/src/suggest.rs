//! Completions for a search box: course and lesson titles whose words start with what was
//! typed. Held in memory beside the index (a few thousand titles), cheap enough per keystroke.

use std::collections::HashSet;

use academy_courses::{catalog::Catalog, vocab::Language};

use crate::{
    analysis::{fold_word, is_han, is_word_char},
    query::{QueryError, check_length},
    search::HitKind,
};

/// Most completions returned.
pub const MAX_SUGGESTIONS: usize = 20;

/// One completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// The title to show and to search for.
    pub text: String,
    /// A course or a lesson of it.
    pub kind: HitKind,
    pub course: String,
    pub language: Language,
}

/// The titles to complete from.
#[derive(Default)]
pub struct Suggestions {
    entries: Vec<Entry>,
}

struct Entry {
    suggestion: Suggestion,
    /// Lowercased, folded words of the title.
    words: Vec<String>,
    /// The folded title as one string, for Chinese (no spaces between words).
    folded: String,
}

impl Suggestions {
    /// The titles of `catalog`'s courses and lessons, courses first.
    pub fn from_catalog(catalog: &Catalog) -> Suggestions {
        let mut entries = Vec::new();
        let public = || catalog.all_courses().iter();
        for course in public() {
            for (language, text) in &course.texts {
                entries.push(Entry::new(Suggestion {
                    text: text.title.clone(),
                    kind: HitKind::Course,
                    course: course.slug.clone(),
                    language: *language,
                }));
            }
        }
        for course in public() {
            for lesson in &course.lessons {
                for (language, text) in &lesson.translations {
                    entries.push(Entry::new(Suggestion {
                        text: text.title.clone(),
                        kind: HitKind::Lesson(lesson.slug.clone()),
                        course: course.slug.clone(),
                        language: *language,
                    }));
                }
            }
        }
        Suggestions { entries }
    }

    /// Up to `limit` titles in `languages` (any language if empty) whose words start with the
    /// words of `typed`; titles that start with the first word come first.
    pub fn complete(
        &self,
        typed: &str,
        languages: &[Language],
        limit: usize,
        readable: impl Fn(&str) -> bool,
    ) -> Result<Vec<Suggestion>, QueryError> {
        check_length(typed)?;
        let typed = words(typed);
        let Some(first) = typed.first() else {
            return Err(QueryError::NoTerms);
        };
        let mut found: Vec<(bool, usize, &Entry)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| languages.is_empty() || languages.contains(&e.suggestion.language))
            .filter(|(_, e)| readable(&e.suggestion.course))
            .filter(|(_, e)| typed.iter().all(|w| e.matches(w)))
            .map(|(i, e)| (!e.starts_with(first), i, e))
            .collect();
        found.sort_by_key(|(later, index, _)| (*later, *index));
        let mut seen = HashSet::new();
        Ok(found
            .into_iter()
            .map(|(_, _, e)| &e.suggestion)
            .filter(|s| seen.insert((s.text.clone(), s.language)))
            .take(limit.clamp(1, MAX_SUGGESTIONS))
            .cloned()
            .collect())
    }
}

impl Entry {
    fn new(suggestion: Suggestion) -> Entry {
        let words = words(&suggestion.text);
        Entry {
            folded: words.join(" "),
            words,
            suggestion,
        }
    }

    fn matches(&self, typed: &str) -> bool {
        if typed.chars().any(is_han) {
            self.folded.contains(typed)
        } else {
            self.words.iter().any(|w| w.starts_with(typed))
        }
    }

    fn starts_with(&self, typed: &str) -> bool {
        self.folded.starts_with(typed)
    }
}

/// Lowercased words with letters folded as the index folds them; Chinese runs kept whole.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !is_word_char(c))
        .map(fold_word)
        .filter(|w| !w.is_empty())
        .collect()
}
