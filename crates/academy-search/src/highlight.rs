//! Highlighted snippets, without analysing whole texts.
//!
//! Running the analyzer (and its stemmer) over every word of each hit costs more than the search
//! itself, so a snippet is found the other way round: the query's terms (stems, Chinese bigrams)
//! are looked for as substrings of the text folded like the analyzer folds it (lowercase, accents
//! and Arabic letter variants); only the words where one occurs are analysed, to confirm that the
//! word really becomes that term. The snippet is the stretch of text, up to [`SNIPPET_CHARS`]
//! characters, that starts at a confirmed word and holds the most (and rarest) confirmed words;
//! those words are marked with `<b>`.

#![allow(
    clippy::indexing_slicing,
    reason = "byte offsets here come from `match_indices`, `char_indices` and `word_around` over the same string, so they are in bounds and on character boundaries"
)]

use tantivy::{
    Searcher,
    query::Query,
    schema::Field,
    tokenizer::{TextAnalyzer, TokenStream},
};

use crate::analysis::{is_han, is_word_char};

/// Length of a snippet, in characters.
const SNIPPET_CHARS: usize = 180;
/// Context kept before the first marked word when the snippet has room, in characters.
const LEAD_CHARS: usize = 40;

/// Highlights the words of one query in the texts of one field.
pub struct Highlighter {
    analyzer: TextAnalyzer,
    needles: Vec<Needle>,
}

/// A term of the query in this field.
struct Needle {
    term: String,
    /// What is looked for in the folded text: the term, less its last letter when the stemmer
    /// may have changed it (English `society` → `societi`).
    probe: String,
    /// Rarer terms weigh more when choosing the snippet (as tantivy's snippets do).
    weight: f32,
    /// A Chinese bigram or character: every occurrence is a match, no word to confirm.
    han: bool,
}

impl Highlighter {
    pub fn new(searcher: &Searcher, query: &dyn Query, field: Field) -> tantivy::Result<Self> {
        let mut terms = Vec::new();
        query.query_terms(&mut |term, _| {
            if term.field() == field && term.value().as_str().is_some() {
                terms.push(term.clone());
            }
        });
        terms.sort();
        terms.dedup();
        let mut needles = Vec::with_capacity(terms.len());
        for term in terms {
            let value = term.value();
            let Some(text) = value.as_str() else {
                continue;
            };
            let doc_freq = searcher.doc_freq(&term)?;
            if doc_freq == 0 || text.is_empty() {
                continue;
            }
            let han = text.chars().any(is_han);
            let mut probe = text.to_owned();
            if !han && probe.chars().count() >= 4 {
                probe.pop();
            }
            needles.push(Needle {
                term: text.to_owned(),
                probe,
                weight: 1.0 / (1.0 + doc_freq as f32),
                han,
            });
        }
        let analyzer = searcher.index().tokenizer_for_field(field)?;
        Ok(Highlighter { analyzer, needles })
    }

    /// An HTML-escaped extract of `text` with the matching words in `<b>`; `None` when no
    /// word of the query is in it (a typo or prefix match).
    pub fn snippet(&self, text: &str) -> Option<String> {
        if self.needles.is_empty() {
            return None;
        }
        let matches = self.matches(text);
        let (first, last) = best_run(&matches, text)?;
        let start = snippet_start(text, matches[first].start, matches[last].end);
        let end = snippet_end(text, start);
        let marks = matches.iter().filter(|m| m.start >= start && m.end <= end);
        let mut out = String::with_capacity(end - start + 32);
        let mut at = start;
        for m in marks {
            if m.start < at {
                continue;
            }
            escape_into(&text[at..m.start], &mut out);
            out.push_str("<b>");
            escape_into(&text[m.start..m.end], &mut out);
            out.push_str("</b>");
            at = m.end;
        }
        escape_into(&text[at..end], &mut out);
        Some(out.trim().to_owned())
    }

    /// The confirmed matches in `text`, in order, overlapping ones merged.
    fn matches(&self, text: &str) -> Vec<Match> {
        let (folded, origin) = fold_text(text);
        let mut matches: Vec<Match> = Vec::new();
        let mut analyzer = self.analyzer.clone();
        // Words already analysed (start offset → terms), so a word is stemmed once.
        let mut analysed: Vec<(usize, Vec<String>)> = Vec::new();
        for needle in &self.needles {
            for (at, _) in folded.match_indices(needle.probe.as_str()) {
                let from = origin[at];
                if needle.han {
                    let to = origin[at + needle.probe.len()];
                    matches.push(Match {
                        start: from,
                        end: to,
                        weight: needle.weight,
                    });
                    continue;
                }
                let (start, end) = word_around(text, from);
                let terms = match analysed.iter().find(|(s, _)| *s == start) {
                    Some((_, terms)) => terms,
                    None => {
                        let mut stream = analyzer.token_stream(&text[start..end]);
                        let mut terms = Vec::new();
                        while let Some(token) = stream.next() {
                            terms.push(token.text.clone());
                        }
                        analysed.push((start, terms));
                        &analysed[analysed.len() - 1].1
                    }
                };
                if terms.contains(&needle.term) {
                    matches.push(Match {
                        start,
                        end,
                        weight: needle.weight,
                    });
                }
            }
        }
        matches.sort_by_key(|m| (m.start, m.end));
        let mut merged: Vec<Match> = Vec::with_capacity(matches.len());
        for m in matches {
            match merged.last_mut() {
                Some(last) if m.start <= last.end => {
                    if m.start != last.start || m.end != last.end {
                        last.weight += m.weight;
                    }
                    last.end = last.end.max(m.end);
                }
                _ => merged.push(m),
            }
        }
        merged
    }
}

/// A confirmed match: a word (or Chinese bigram) that becomes a term of the query.
#[derive(Clone, Copy, Debug)]
struct Match {
    start: usize,
    end: usize,
    weight: f32,
}

/// The run of matches, starting at one of them and fitting in a snippet, that weighs most (the
/// earliest of equals): indexes of its first and last match.
fn best_run(matches: &[Match], text: &str) -> Option<(usize, usize)> {
    // Character positions of each match's start and end, counted once.
    let mut chars = Vec::with_capacity(matches.len());
    let (mut at, mut count) = (0, 0);
    for m in matches {
        count += text[at..m.start].chars().count();
        let start = count;
        count += text[m.start..m.end].chars().count();
        at = m.end;
        chars.push((start, count));
    }
    let mut best: Option<(f32, usize, usize)> = None;
    for (i, &(start, _)) in chars.iter().enumerate() {
        let mut weight = 0.0;
        let mut last = i;
        for (j, &(_, end)) in chars.iter().enumerate().skip(i) {
            if end - start > SNIPPET_CHARS {
                break;
            }
            weight += matches[j].weight;
            last = j;
        }
        if best.is_none_or(|(w, _, _)| weight > w) {
            best = Some((weight, i, last));
        }
    }
    best.map(|(_, first, last)| (first, last))
}

/// Where a snippet whose marked words span `first..last` starts: a little before `first`, at a
/// word's start, when the snippet has room for it.
fn snippet_start(text: &str, first: usize, last: usize) -> usize {
    let used = text[first..last].chars().count();
    let lead = LEAD_CHARS.min(SNIPPET_CHARS.saturating_sub(used));
    let mut start = first;
    for (i, _) in text[..first].char_indices().rev().take(lead) {
        start = i;
    }
    if start == first {
        return first;
    }
    // Begin at a word's start (or the text's).
    let head = &text[start..first];
    match head.char_indices().find(|(_, c)| !is_word_char(*c)) {
        Some((i, c)) if start > 0 => start + i + c.len_utf8(),
        _ => start,
    }
}

/// Where a snippet starting at `start` ends: after at most [`SNIPPET_CHARS`] characters, at a
/// word's end.
fn snippet_end(text: &str, start: usize) -> usize {
    let rest = &text[start..];
    let Some((cut, _)) = rest.char_indices().nth(SNIPPET_CHARS) else {
        return text.len();
    };
    let head = &rest[..cut];
    // Chinese needs no word boundary (and has few places to cut at).
    let tail_is_word = rest[cut..]
        .chars()
        .next()
        .is_some_and(|c| is_word_char(c) && !is_han(c));
    match head.rfind(|c: char| !is_word_char(c)) {
        Some(space) if tail_is_word && space > 0 => start + space,
        _ => start + cut,
    }
}

/// The word (letters, digits and marks, not Chinese) around byte `at` of `text`.
fn word_around(text: &str, at: usize) -> (usize, usize) {
    let in_word = |c: char| is_word_char(c) && !is_han(c);
    let start = text[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| in_word(*c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = text[at..]
        .char_indices()
        .find(|(_, c)| !in_word(*c))
        .map_or(text.len(), |(i, _)| at + i);
    (start, end)
}

/// `text` folded for looking terms up (lowercase, without accents, Arabic marks and letter
/// variants, Russian `ё`), and for each byte of it the offset in `text` of the character it
/// comes from (plus one past the end).
fn fold_text(text: &str) -> (String, Vec<usize>) {
    let mut folded = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        let before = folded.len();
        match c {
            c if c.is_ascii() => folded.push(c.to_ascii_lowercase()),
            // Fast paths for scripts without case (Chinese) or with a simple one (Russian).
            c if is_han(c) => folded.push(c),
            'А'..='Я' => folded.push(char::from_u32(c as u32 + 32).unwrap_or(c)),
            'а'..='я' => folded.push(c),
            // Past the alphabets with case and the combining marks: CJK punctuation, symbols.
            c if c as u32 >= 0x2000 => folded.push(c),
            c => crate::analysis::fold_char(c, &mut folded),
        }
        origin.resize(origin.len() + folded.len() - before, i);
    }
    origin.push(text.len());
    (folded, origin)
}

/// The start of a text, as long as a snippet, cut at a word's end, HTML-escaped: the snippet
/// of a text in which no matching word was found.
pub fn leading_text(text: &str) -> String {
    let head = text[..snippet_end(text, 0)].trim();
    let mut out = String::with_capacity(head.len());
    escape_into(head, &mut out);
    out
}

/// Appends `text` HTML-escaped, line breaks as spaces.
fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use academy_courses::vocab::Language;
    use tantivy::{
        Index, Term,
        query::TermQuery,
        schema::{IndexRecordOption, Schema, TEXT},
    };

    use super::*;
    use crate::analysis;

    #[test]
    fn a_match_deep_in_a_long_text_is_highlighted_and_markup_is_escaped() {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        index
            .tokenizers()
            .register("default", analysis::analyzer(Language::English));
        let searcher = index.reader().unwrap().searcher();
        let query = TermQuery::new(
            Term::from_field_text(field, "appeal"),
            IndexRecordOption::Basic,
        );
        let highlighter = Highlighter::new(&searcher, &query, field).unwrap();
        let text = format!(
            "{} <i>Send</i> urgent Appeals early.",
            "filler words ".repeat(300)
        );
        // No document holds the term, so the generator has nothing to weigh: nothing to mark.
        assert_eq!(highlighter.snippet(&text), None);

        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer
            .add_document(tantivy::doc!(field => text.clone()))
            .unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let highlighter = Highlighter::new(&searcher, &query, field).unwrap();
        let snippet = highlighter.snippet(&text).unwrap();
        assert!(snippet.contains("<b>Appeals</b>"), "{snippet}");
        assert!(
            snippet.contains("&lt;/i&gt;") && !snippet.contains("<i>"),
            "{snippet}"
        );
    }

    /// The snippet of `text` for a search of `words` in `language`, `text` being indexed.
    fn highlight(language: Language, text: &str, words: &str) -> Option<String> {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        index
            .tokenizers()
            .register("default", analysis::analyzer(language));
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(tantivy::doc!(field => text)).unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let query = tantivy::query::BooleanQuery::union(
            analysis::terms(language, words)
                .iter()
                .map(|t| -> Box<dyn Query> {
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, t),
                        IndexRecordOption::Basic,
                    ))
                })
                .collect(),
        );
        Highlighter::new(&searcher, &query, field)
            .unwrap()
            .snippet(text)
    }

    #[test]
    fn inflected_accented_and_vocalised_words_are_highlighted_as_written() {
        use Language::*;
        let cases = [
            (
                English,
                "Civil society matters.",
                "society",
                "<b>society</b>",
            ),
            (
                French,
                "L'Examen Périodique Universel.",
                "periodique",
                "<b>Périodique</b>",
            ),
            (
                Russian,
                "Правозащитникам нужна защита.",
                "правозащитники",
                "<b>Правозащитникам</b>",
            ),
            (
                Arabic,
                "يحمي المُدافِعين عن حقوق الإنسان",
                "المدافعين",
                "<b>المُدافِعين</b>",
            ),
            (
                Chinese,
                "普遍定期审议很重要。",
                "定期审议",
                "<b>定期审议</b>",
            ),
        ];
        for (language, text, words, expected) in cases {
            let snippet = highlight(language, text, words).unwrap_or_default();
            assert!(snippet.contains(expected), "{language:?}: {snippet}");
        }
    }

    #[test]
    fn the_snippet_is_where_the_words_are_together() {
        let text = format!(
            "An appeal. {} Send an urgent appeal today.",
            "Filler words here. ".repeat(40)
        );
        let snippet = highlight(Language::English, &text, "urgent appeals").unwrap();
        assert!(snippet.contains("<b>urgent</b> <b>appeal</b>"), "{snippet}");
        assert!(snippet.chars().count() < SNIPPET_CHARS + 20, "{snippet}");
    }
}
