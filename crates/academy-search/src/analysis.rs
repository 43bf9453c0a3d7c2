//! Text analysis per language: how lesson text and queries become index terms.
//!
//! One word tokenizer serves every language: it splits on anything that is not a letter, digit
//! or combining mark, lowercases, folds Arabic letter variants and strips Arabic diacritics and
//! tatweel, folds Russian `ё`, and cuts runs of Chinese characters into overlapping bigrams (the
//! classic CJK approach: no dictionary to maintain, robust to new terms). On top of it each
//! language gets its stop words and Snowball stemmer (Arabic, English, French, Russian,
//! Spanish); French and Spanish stems are folded to ASCII so that a query typed without accents
//! still matches.

#![allow(
    clippy::indexing_slicing,
    reason = "positions here come from `char_indices` of the run being tokenized"
)]

use std::sync::OnceLock;

use academy_courses::vocab::Language;
use tantivy::{
    Index,
    tokenizer::{
        AsciiFoldingFilter, Language as Stemming, RemoveLongFilter, Stemmer, StopWordFilter,
        TextAnalyzer, TextAnalyzerBuilder, Token, TokenStream, Tokenizer,
    },
};

/// Tokens longer than this many bytes are dropped (they are never words people search for).
const MAX_TOKEN_BYTES: usize = 64;

/// The name under which a language's analyzer is registered in an index.
pub fn analyzer_name(language: Language) -> String {
    format!("academy_{}", language.as_str())
}

/// The analyzer of `language`.
pub fn analyzer(language: Language) -> TextAnalyzer {
    let stemmed = |stemming: Stemming| {
        let builder = words();
        let builder = match StopWordFilter::new(stemming) {
            Some(stop_words) => builder.filter_dynamic(stop_words),
            None => builder,
        };
        builder.filter_dynamic(Stemmer::new(stemming))
    };
    match language {
        Language::Arabic => stemmed(Stemming::Arabic).build(),
        Language::Chinese => words().build(),
        Language::English => stemmed(Stemming::English).build(),
        Language::French => stemmed(Stemming::French)
            .filter_dynamic(AsciiFoldingFilter)
            .build(),
        Language::Russian => stemmed(Stemming::Russian).build(),
        Language::Spanish => stemmed(Stemming::Spanish)
            .filter_dynamic(AsciiFoldingFilter)
            .build(),
    }
}

/// Words, without the over-long ones.
fn words() -> TextAnalyzerBuilder {
    TextAnalyzer::builder(WordTokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .dynamic()
}

/// Registers the analyzers of all six languages on `index`.
pub fn register(index: &Index) {
    for language in Language::ALL {
        index
            .tokenizers()
            .register(&analyzer_name(*language), analyzer(*language));
    }
}

/// The terms `text` becomes in `language`'s fields.
pub fn terms(language: Language, text: &str) -> Vec<String> {
    positioned_terms(language, text)
        .into_iter()
        .map(|(_, term)| term)
        .collect()
}

/// The terms `text` becomes in `language`'s fields, with their positions.
pub fn positioned_terms(language: Language, text: &str) -> Vec<(usize, String)> {
    static ANALYZERS: OnceLock<Vec<TextAnalyzer>> = OnceLock::new();
    let analyzers = ANALYZERS.get_or_init(|| Language::ALL.iter().map(|l| analyzer(*l)).collect());
    let position = Language::ALL.iter().position(|l| *l == language);
    let mut analyzer = match position.and_then(|p| analyzers.get(p)) {
        Some(cached) => cached.clone(),
        None => analyzer(language),
    };
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push((token.position, token.text.clone()));
    }
    out
}

/// Splits text into lowercase, normalised words and Chinese bigrams.
#[derive(Clone, Copy, Debug, Default)]
pub struct WordTokenizer;

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        WordStream {
            tokens: split(text),
            next: 0,
            current: Token::default(),
        }
    }
}

/// The tokens of one text, computed up front.
pub struct WordStream {
    tokens: Vec<Token>,
    next: usize,
    current: Token,
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        match self.tokens.get_mut(self.next) {
            Some(token) => {
                self.current = std::mem::take(token);
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

/// Whether `c` is a Chinese character (CJK unified ideographs and their extensions).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Whether `c` is an Arabic letter or mark.
pub fn is_arabic(c: char) -> bool {
    matches!(c as u32, 0x0600..=0x06FF | 0x0750..=0x077F | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF)
}

/// Whether `c` belongs to a word: a letter, a digit or a combining mark.
pub(crate) fn is_word_char(c: char) -> bool {
    // Fast paths for the common scripts (the same answers as `is_alphanumeric`, which looks
    // non-ASCII characters up in a table).
    match c {
        c if c.is_ascii() => c.is_ascii_alphanumeric(),
        'А'..='я' | '\u{0621}'..='\u{064A}' => true,
        c if is_han(c) => true,
        c => c.is_alphanumeric() || is_mark(c),
    }
}

/// Combining marks that may sit inside a word (Arabic harakat, decomposed accents).
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED)
        || c == '\u{0640}'
}

/// Appends one character of a word, folded: lowercase, Arabic letter variants, Russian `ё`;
/// combining marks are dropped.
fn fold(c: char, out: &mut String) {
    match c {
        c if is_mark(c) => {}
        'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
        'ى' => out.push('ي'),
        'ё' | 'Ё' => out.push('е'),
        c => out.extend(c.to_lowercase()),
    }
}

/// Appends one character folded as [`fold`] does, and without its accent if it is a Latin letter
/// (as French and Spanish stems are): for finding terms in a text, not for indexing.
pub(crate) fn fold_char(c: char, out: &mut String) {
    if is_mark(c) || matches!(c, 'أ' | 'إ' | 'آ' | 'ٱ' | 'ى' | 'ё' | 'Ё') {
        fold(c, out);
        return;
    }
    if is_arabic(c) {
        out.push(c);
        return;
    }
    for c in c.to_lowercase() {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => out.push('a'),
            'ç' | 'ć' | 'č' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => out.push('i'),
            'ñ' | 'ń' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
}

/// A word folded as the tokenizer folds it (lowercase, Arabic and Russian letter variants).
pub(crate) fn fold_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        fold(c, &mut out);
    }
    out
}

fn split(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut position = 0;
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if is_han(c) {
            // A run of Chinese characters: overlapping bigrams, or the single character.
            let mut run: Vec<(usize, char)> = Vec::new();
            while let Some(&(i, c)) = chars.peek() {
                if !is_han(c) {
                    break;
                }
                run.push((i, c));
                chars.next();
            }
            let end_of = |k: usize| run[k].0 + run[k].1.len_utf8();
            if run.len() == 1 {
                tokens.push(token(run[0].0, end_of(0), position, run[0].1.to_string()));
                position += 1;
            } else {
                for k in 0..run.len() - 1 {
                    let text: String = [run[k].1, run[k + 1].1].iter().collect();
                    tokens.push(token(run[k].0, end_of(k + 1), position, text));
                    position += 1;
                }
            }
        } else if is_word_char(c) {
            let mut word = String::new();
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                if !is_word_char(c) || is_han(c) {
                    break;
                }
                fold(c, &mut word);
                end = i + c.len_utf8();
                chars.next();
            }
            if !word.is_empty() {
                tokens.push(token(start, end, position, word));
                position += 1;
            }
        } else {
            chars.next();
        }
    }
    tokens
}

fn token(from: usize, to: usize, position: usize, text: String) -> Token {
    Token {
        offset_from: from,
        offset_to: to,
        position,
        text,
        position_length: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_runs_become_bigrams_and_latin_words_stay_whole() {
        assert_eq!(
            terms(Language::Chinese, "普遍定期审议 UPR"),
            ["普遍", "遍定", "定期", "期审", "审议", "upr"]
        );
        assert_eq!(terms(Language::Chinese, "人"), ["人"]);
    }

    #[test]
    fn inflected_forms_share_a_stem() {
        assert_eq!(
            terms(Language::English, "appeals"),
            terms(Language::English, "appeal")
        );
        assert_eq!(
            terms(Language::Russian, "правозащитников"),
            terms(Language::Russian, "правозащитники")
        );
        assert_eq!(
            terms(Language::French, "périodique"),
            terms(Language::French, "periodique")
        );
        assert_eq!(
            terms(Language::Spanish, "periódicos"),
            terms(Language::Spanish, "periodico")
        );
    }

    #[test]
    fn arabic_diacritics_and_letter_variants_are_normalised() {
        assert_eq!(
            terms(Language::Arabic, "الإستعراض"),
            terms(Language::Arabic, "الاستعراض")
        );
        assert_eq!(
            terms(Language::Arabic, "المُدافِعين"),
            terms(Language::Arabic, "المدافعين")
        );
        assert!(!terms(Language::Arabic, "المُدافِعين").is_empty());
    }

    #[test]
    fn stop_words_are_dropped_and_punctuation_splits_words() {
        assert_eq!(
            terms(Language::English, "the AND OR field:x"),
            terms(Language::English, "field x")
        );
    }
}
