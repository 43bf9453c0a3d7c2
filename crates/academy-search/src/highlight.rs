//! Highlighted snippets: tantivy's snippet generator, run on the part of a text around the
//! first likely match instead of the whole text (analysing a whole lesson for each hit would
//! cost more than the search itself).

use tantivy::{Searcher, query::Query, schema::Field, snippet::SnippetGenerator};

/// Length of a snippet, in characters.
const SNIPPET_CHARS: usize = 180;
/// How much text around the first likely match is analysed, in bytes.
const BEFORE: usize = 200;
const AFTER: usize = 600;

/// Highlights the words of one query in the texts of one field.
pub struct Highlighter {
    generator: SnippetGenerator,
    /// The query's terms in this field (stems, Chinese bigrams).
    needles: Vec<String>,
}

impl Highlighter {
    pub fn new(searcher: &Searcher, query: &dyn Query, field: Field) -> tantivy::Result<Self> {
        let mut needles = Vec::new();
        query.query_terms(&mut |term, _| {
            if term.field() == field
                && let Some(text) = term.value().as_str()
            {
                needles.push(text.to_owned());
            }
        });
        needles.sort();
        needles.dedup();
        let mut generator = SnippetGenerator::create(searcher, query, field)?;
        generator.set_max_num_chars(SNIPPET_CHARS);
        Ok(Highlighter { generator, needles })
    }

    /// An HTML-escaped extract of `text` with the matching words in `<b>`; `None` when no
    /// word of the query is in it (a typo or prefix match).
    pub fn snippet(&self, text: &str) -> Option<String> {
        let window = self.window(text);
        let mut snippet = self.generator.snippet(window);
        if snippet.is_empty() && window.len() < text.len() {
            snippet = self.generator.snippet(text);
        }
        (!snippet.is_empty()).then(|| snippet.to_html())
    }

    /// The text around the first place a query term appears verbatim; the whole text when none
    /// does (stems folded to ASCII, capitalised words: the generator then finds them itself).
    fn window<'a>(&self, text: &'a str) -> &'a str {
        // ASCII lowercasing keeps byte offsets, so positions apply to `text`.
        let lower = text.to_ascii_lowercase();
        let Some(first) = self
            .needles
            .iter()
            .filter_map(|needle| lower.find(needle.as_str()))
            .min()
        else {
            return text;
        };
        let mut start = first.saturating_sub(BEFORE);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (first + AFTER).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        &text[start..end]
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
}
