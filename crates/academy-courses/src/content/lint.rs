//! Advice on content that loads but that a reader would notice is off: a stated reading time
//! far from the text's length, a lesson too short to teach anything. `academy check` prints
//! these as warnings; they never stop an import.

use std::path::Path;

use super::{ContentSet, Problem};

/// Reading speed the stated minutes are held to (second-language readers included).
pub const WORDS_PER_MINUTE: usize = 200;
/// Below this, a lesson is an overview rather than a lesson.
pub const MIN_LESSON_WORDS: usize = 600;
/// Minutes a lesson may claim beyond its reading time, for exercises and worksheets.
pub const EXERCISE_ALLOWANCE: u32 = 6;

/// The words of a text: runs of letters or digits, each Han character counting as half a word
/// (Chinese has no spaces; about two characters make a word).
pub fn word_count(text: &str) -> usize {
    let mut words = 0;
    let mut han = 0;
    for token in text.split_whitespace() {
        let mut latin = false;
        for c in token.chars() {
            if ('\u{4e00}'..='\u{9fff}').contains(&c) {
                han += 1;
            } else if c.is_alphanumeric() {
                latin = true;
            }
        }
        words += usize::from(latin);
    }
    words + han / 2
}

/// Warnings about every lesson of `set` (as loaded from `root`), in its default language.
pub fn warnings(root: &Path, set: &ContentSet) -> Vec<Problem> {
    let mut found = Vec::new();
    for course in &set.courses {
        let default = course.default_language;
        for lesson in course.modules.iter().flat_map(|m| &m.lessons) {
            let Some(text) = lesson.translations.get(&default) else {
                continue;
            };
            let words = word_count(&text.markdown);
            let reading = u32::try_from(words.div_ceil(WORDS_PER_MINUTE)).unwrap_or(u32::MAX);
            let path = root
                .join(course.slug.as_str())
                .join(default.as_str())
                .join(format!("{}.md", lesson.slug));
            let mut warn = |message: String| {
                found.push(Problem {
                    path: path.clone(),
                    line: 1,
                    message: format!("warning: {message}"),
                });
            };
            if lesson.minutes < reading {
                warn(format!(
                    "`minutes = {}` is less than the {reading} minutes its {words} words take to \
                     read at {WORDS_PER_MINUTE} words a minute",
                    lesson.minutes
                ));
            } else if lesson.minutes > reading + EXERCISE_ALLOWANCE {
                warn(format!(
                    "`minutes = {}` is far more than the {reading} minutes its {words} words \
                     take to read (at most {EXERCISE_ALLOWANCE} more for exercises)",
                    lesson.minutes
                ));
            }
            if words < MIN_LESSON_WORDS {
                warn(format!(
                    "{words} words: a lesson teaches with at least {MIN_LESSON_WORDS}"
                ));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_counted_in_alphabetic_scripts_and_in_chinese() {
        assert_eq!(word_count("The **Council** meets — three times a year."), 7);
        assert_eq!(word_count("| a | b |\n|---|---|"), 2);
        assert_eq!(word_count("правозащитники встречаются"), 2);
        assert_eq!(word_count("人权理事会"), 2);
    }
}
