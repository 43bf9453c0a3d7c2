//! What a person typed, understood leniently, and turned into an index query.
//!
//! There is no query syntax to get wrong: words are words (`AND`, `field:x` and stray symbols
//! included), text in double quotes is a phrase (an unclosed quote runs to the end), longer
//! words tolerate a typo, and the last word matches as a prefix while it is being typed.

use std::sync::Arc;

use academy_courses::vocab::Language;
use tantivy::{
    Term,
    query::{
        AutomatonWeight, BooleanQuery, BoostQuery, DfaWrapper, EnableScoring, FuzzyTermQuery,
        Occur, PhraseQuery, Query, TermQuery, Weight,
    },
    schema::{Field, IndexRecordOption},
};

use crate::{
    analysis::{is_arabic, is_han, positioned_terms},
    schema::Fields,
};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words (and phrases) in a query.
pub const MAX_WORDS: usize = 16;

/// Words at least this long (in characters) match with one typo.
const FUZZY_MIN_CHARS: usize = 5;
/// Words at least this long match with two typos.
const FUZZY_TWO_MIN_CHARS: usize = 9;

/// How much more a title match weighs than a body match.
const TITLE_BOOST: f32 = 3.0;
/// How much a match in the course or module title weighs.
const CONTEXT_BOOST: f32 = 1.5;
/// Position of the context field in the fields a query is built over.
const CONTEXT_FIELD: usize = 2;
/// Typo matches score a constant below most exact matches.
const FUZZY_BOOST: f32 = 0.3;
/// Prefix matches of the last word score a constant, also below exact matches.
const PREFIX_BOOST: f32 = 0.5;
/// Documents where the words appear close together rank higher.
const PROXIMITY_BOOST: f32 = 2.0;

/// Why a query cannot be run. Each message tells the person how to fix it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("Type something to search for.")]
    Empty,
    #[error("The search is too long: use at most {MAX_QUERY_CHARS} characters.")]
    TooLong,
    #[error("The search has too many words: use at most {MAX_WORDS} words or phrases.")]
    TooManyWords,
    #[error("The search has no letters or digits to look for.")]
    NoTerms,
}

/// Rejects empty and over-long input.
pub fn check_length(text: &str) -> Result<(), QueryError> {
    if text.chars().count() > MAX_QUERY_CHARS {
        Err(QueryError::TooLong)
    } else if text.trim().is_empty() || text.chars().all(|c| c.is_whitespace() || c.is_control()) {
        Err(QueryError::Empty)
    } else {
        Ok(())
    }
}

/// A query as typed: loose words, quoted phrases, and whether the last word is unfinished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedQuery {
    pub words: Vec<String>,
    pub phrases: Vec<String>,
    /// The last loose word is still being typed (no space or quote after it).
    pub prefix_last: bool,
}

impl ParsedQuery {
    /// Understands `text`; fails only when there is nothing usable in it.
    pub fn parse(text: &str) -> Result<ParsedQuery, QueryError> {
        check_length(text)?;
        let text: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if !text.chars().any(char::is_alphanumeric) {
            return Err(QueryError::NoTerms);
        }
        let mut words = Vec::new();
        let mut phrases = Vec::new();
        let mut prefix_last = false;
        for (i, part) in text.split('"').enumerate() {
            if i % 2 == 1 {
                if part.chars().any(char::is_alphanumeric) {
                    phrases.push(part.trim().to_owned());
                }
                prefix_last = false;
            } else {
                words.extend(
                    part.split_whitespace()
                        .filter(|w| w.chars().any(char::is_alphanumeric))
                        .map(str::to_owned),
                );
                prefix_last = !part.is_empty() && !part.ends_with(char::is_whitespace);
            }
        }
        prefix_last &= !words.is_empty();
        if words.len() + phrases.len() > MAX_WORDS {
            return Err(QueryError::TooManyWords);
        }
        Ok(ParsedQuery {
            words,
            phrases,
            prefix_last,
        })
    }

    /// The query over `language`'s fields; `None` when nothing of it remains in that language
    /// (only stop words, for instance). Without `tolerant`, words match exactly: no typos, no
    /// prefix, no proximity bonus (cheaper, for languages that are only counted in facets).
    pub fn for_language(
        &self,
        language: Language,
        fields: &Fields,
        tolerant: bool,
    ) -> Option<Box<dyn Query>> {
        let fields = [
            (fields.title(language), TITLE_BOOST),
            (fields.body(language), 1.0),
            (fields.context(language), CONTEXT_BOOST),
        ];
        let mut must: Vec<Box<dyn Query>> = Vec::new();
        for phrase in &self.phrases {
            let terms = positioned_terms(language, phrase);
            if let Some(query) = phrase_query(&fields, &terms, 0) {
                must.push(query);
            }
        }

        let mut clauses: Vec<Box<dyn Query>> = Vec::new();
        let mut all_terms: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let last = self.words.len().saturating_sub(1);
        for (index, word) in self.words.iter().enumerate() {
            let terms = positioned_terms(language, word);
            let whole_word = terms.len() == 1 && !word.chars().any(is_han);
            let chars = word.chars().filter(|c| c.is_alphanumeric()).count();
            for (_, term) in &terms {
                if !seen.insert(term.clone()) {
                    continue;
                }
                let fuzzy = tolerant && whole_word && chars >= FUZZY_MIN_CHARS;
                let prefix =
                    tolerant && whole_word && self.prefix_last && index == last && chars >= 2;
                clauses.push(word_query(&fields, term, fuzzy, chars, prefix));
            }
            all_terms.extend(terms.into_iter().map(|(_, t)| t));
        }
        if !clauses.is_empty() {
            let n = clauses.len();
            let required = if n <= 2 { n } else { (2 * n).div_ceil(3) };
            must.push(Box::new(BooleanQuery::union_with_minimum_required_clauses(
                clauses, required,
            )));
        }
        if must.is_empty() {
            return None;
        }
        let mut subqueries: Vec<(Occur, Box<dyn Query>)> =
            must.into_iter().map(|q| (Occur::Must, q)).collect();
        // Proximity only changes scores, which matter only in the languages searched (the
        // others are only counted): checking positions is the costliest part of a search.
        if tolerant && all_terms.len() >= 2 {
            let terms: Vec<(usize, String)> = all_terms.into_iter().enumerate().collect();
            if let Some(query) = phrase_query(&fields, &terms, 2) {
                subqueries.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(query, PROXIMITY_BOOST)),
                ));
            }
        }
        Some(Box::new(BooleanQuery::new(subqueries)))
    }
}

/// One word: exact in title and body, plus typo and prefix variants when asked.
fn word_query(
    fields: &[(Field, f32)],
    term: &str,
    fuzzy: bool,
    chars: usize,
    prefix: bool,
) -> Box<dyn Query> {
    // Each automaton is built once for the word and shared by the fields (building one costs
    // more than running it).
    // The probe only carries the term: any field will do (there is always one).
    let probe_field = fields.first().map_or(Field::from_field_id(0), |(f, _)| *f);
    let automaton = |distance: u8, prefix: bool| {
        let probe = Term::from_field_text(probe_field, term);
        let query = if prefix {
            FuzzyTermQuery::new_prefix(probe, distance, true)
        } else {
            FuzzyTermQuery::new(probe, distance, true)
        };
        query.automaton().ok().map(Arc::new)
    };
    let typo = if fuzzy {
        automaton(if chars >= FUZZY_TWO_MIN_CHARS { 2 } else { 1 }, false)
    } else {
        None
    };
    // Distance 1 lets a half-typed word reach its stem ("universa" → "univers").
    let beginning = if prefix {
        automaton(u8::from(chars >= 4), true)
    } else {
        None
    };
    let mut variants: Vec<Box<dyn Query>> = Vec::new();
    for (i, &(field, boost)) in fields.iter().enumerate() {
        variants.push(boosted(
            Box::new(TermQuery::new(
                Term::from_field_text(field, term),
                IndexRecordOption::WithFreqs,
            )),
            boost,
        ));
        // The context (course and module titles) only counts exact words.
        if i == CONTEXT_FIELD {
            continue;
        }
        if let Some(automaton) = &typo {
            variants.push(boosted(
                Box::new(AutomatonQuery::new(field, automaton)),
                FUZZY_BOOST * boost,
            ));
        }
        if let Some(automaton) = &beginning {
            variants.push(boosted(
                Box::new(AutomatonQuery::new(field, automaton)),
                PREFIX_BOOST * boost,
            ));
        }
    }
    Box::new(BooleanQuery::union(variants))
}

/// The terms of a field a Levenshtein automaton accepts, each match scoring a constant (what
/// [`FuzzyTermQuery`] does, with an automaton shared between fields).
#[derive(Clone)]
struct AutomatonQuery {
    field: Field,
    automaton: Arc<DfaWrapper>,
}

impl AutomatonQuery {
    fn new(field: Field, automaton: &Arc<DfaWrapper>) -> AutomatonQuery {
        AutomatonQuery {
            field,
            automaton: Arc::clone(automaton),
        }
    }
}

impl std::fmt::Debug for AutomatonQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutomatonQuery")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl Query for AutomatonQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<DfaWrapper>::new(
            self.field,
            Arc::clone(&self.automaton),
        )))
    }
}

/// The terms as a phrase in title or body; `None` without terms.
fn phrase_query(
    fields: &[(Field, f32)],
    terms: &[(usize, String)],
    slop: u32,
) -> Option<Box<dyn Query>> {
    let (first, first_term) = terms.first()?;
    let first = *first;
    let in_field = |field: Field, boost: f32| -> Box<dyn Query> {
        let query: Box<dyn Query> = if terms.len() == 1 {
            Box::new(TermQuery::new(
                Term::from_field_text(field, first_term),
                IndexRecordOption::WithFreqs,
            ))
        } else {
            Box::new(PhraseQuery::new_with_offset_and_slop(
                terms
                    .iter()
                    .map(|(p, t)| (p - first, Term::from_field_text(field, t)))
                    .collect(),
                slop,
            ))
        };
        boosted(query, boost)
    };
    Some(Box::new(BooleanQuery::union(
        fields
            .iter()
            .map(|&(f, boost)| in_field(f, boost))
            .collect(),
    )))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if boost == 1.0 {
        query
    } else {
        Box::new(BoostQuery::new(query, boost))
    }
}

/// The languages a query searches: `explicit` if given; else the language of its script when
/// that is Arabic, Chinese or Cyrillic; else the first Latin-script language the reader
/// accepts; else English, French and Spanish together.
pub fn languages_to_search(
    explicit: Option<Language>,
    accepted: &[Language],
    text: &str,
) -> Vec<Language> {
    if let Some(language) = explicit {
        return vec![language];
    }
    if let Some(language) = script_language(text) {
        return vec![language];
    }
    let latin = [Language::English, Language::French, Language::Spanish];
    match accepted.first() {
        Some(language) if latin.contains(language) => vec![*language],
        _ => latin.to_vec(),
    }
}

/// The language a text's script gives away, if any.
fn script_language(text: &str) -> Option<Language> {
    let (mut arabic, mut han, mut cyrillic, mut latin) = (0, 0, 0, 0);
    for c in text.chars() {
        if is_arabic(c) {
            arabic += 1;
        } else if is_han(c) {
            han += 1;
        } else if matches!(c, '\u{0400}'..='\u{04FF}') {
            cyrillic += 1;
        } else if c.is_alphabetic() {
            latin += 1;
        }
    }
    let best = [
        (arabic, Language::Arabic),
        (han, Language::Chinese),
        (cyrillic, Language::Russian),
    ]
    .into_iter()
    .max_by_key(|(n, _)| *n)?;
    (best.0 > 0 && best.0 >= latin).then_some(best.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_make_phrases_even_when_left_open() {
        let parsed = ParsedQuery::parse(r#"send "urgent appeal" now"#).unwrap();
        assert_eq!(parsed.words, ["send", "now"]);
        assert_eq!(parsed.phrases, ["urgent appeal"]);
        assert!(parsed.prefix_last);

        let parsed = ParsedQuery::parse(r#"review "periodic univ"#).unwrap();
        assert_eq!(parsed.words, ["review"]);
        assert_eq!(parsed.phrases, ["periodic univ"]);
        assert!(!parsed.prefix_last);
    }

    #[test]
    fn a_trailing_space_finishes_the_last_word() {
        assert!(!ParsedQuery::parse("universal ").unwrap().prefix_last);
        assert!(ParsedQuery::parse("universal").unwrap().prefix_last);
    }

    #[test]
    fn unusable_input_is_refused_with_a_reason() {
        assert_eq!(ParsedQuery::parse("  \t\n"), Err(QueryError::Empty));
        assert_eq!(ParsedQuery::parse("\u{0}\u{7}"), Err(QueryError::Empty));
        assert_eq!(ParsedQuery::parse("*** \"\" ---"), Err(QueryError::NoTerms));
        assert_eq!(
            ParsedQuery::parse(&"a".repeat(201)),
            Err(QueryError::TooLong)
        );
        assert_eq!(
            ParsedQuery::parse(&"ab ".repeat(17)),
            Err(QueryError::TooManyWords)
        );
    }

    #[test]
    fn the_script_chooses_the_language_unless_one_is_given() {
        use Language::*;
        assert_eq!(languages_to_search(None, &[], "الاستعراض"), [Arabic]);
        assert_eq!(
            languages_to_search(None, &[English], "普遍定期审议"),
            [Chinese]
        );
        assert_eq!(languages_to_search(None, &[], "правозащитники"), [Russian]);
        assert_eq!(languages_to_search(None, &[French], "examen"), [French]);
        assert_eq!(
            languages_to_search(None, &[Arabic], "upr"),
            [English, French, Spanish]
        );
        assert_eq!(
            languages_to_search(Some(Spanish), &[French], "upr"),
            [Spanish]
        );
    }
}
