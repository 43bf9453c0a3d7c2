//! The index schema: one document per course, lesson and quiz in one language.
//!
//! Text lives in per-language fields (`title_en`, `body_fr`, ...) so that each language is
//! analysed by its own analyzer and a query in a language searches that language's content.

use academy_courses::vocab::{Language, Mechanism};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::analyzer_name;

/// Bumped whenever the schema, the analysis or the index settings change, so that persisted
/// indexes are rebuilt.
pub const SCHEMA_VERSION: u32 = 4;

/// The fields of the index.
#[derive(Clone, Debug)]
pub struct Fields {
    /// `course`, `lesson` or `quiz`.
    pub kind: Field,
    /// Course slug.
    pub course: Field,
    /// Lesson or quiz slug; empty for a course.
    pub slug: Field,
    /// Module slug; empty for a course.
    pub module: Field,
    /// Language tag of the document, and its index in [`Language::ALL`] (fast, for facets).
    pub language: Field,
    pub language_id: Field,
    /// Mechanism tags of the course, and their indexes in [`Mechanism::ALL`] (fast, for facets).
    pub mechanism: Field,
    pub mechanism_id: Field,
    pub level: Field,
    /// The course title in the document's language (stored only).
    pub course_title: Field,
    /// Title and plain-text body, one field per language, in [`Language::ALL`] order.
    title: Vec<Field>,
    body: Vec<Field>,
    /// Where the text sits: its course's and module's titles, one field per language (not
    /// stored). Lets "universal periodic review" find the UPR course's lessons that say "UPR".
    context: Vec<Field>,
}

/// Field names of the fast fields read by collectors.
pub const LANGUAGE_ID: &str = "language_id";
pub const MECHANISM_ID: &str = "mechanism_id";

impl Fields {
    /// The schema and its fields.
    pub fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let text = |language: Language| {
            TextOptions::default().set_stored().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(&analyzer_name(language))
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
        };
        let fields = Fields {
            kind: builder.add_text_field("kind", STRING | STORED),
            course: builder.add_text_field("course", STRING | STORED),
            slug: builder.add_text_field("slug", STORED),
            module: builder.add_text_field("module", STORED),
            language: builder.add_text_field("language", STRING | STORED),
            language_id: builder.add_u64_field(LANGUAGE_ID, FAST),
            mechanism: builder.add_text_field("mechanism", STRING | STORED),
            mechanism_id: builder.add_u64_field(MECHANISM_ID, FAST | INDEXED),
            level: builder.add_text_field("level", STRING | STORED),
            course_title: builder.add_text_field("course_title", STORED),
            title: Language::ALL
                .iter()
                .map(|l| builder.add_text_field(&format!("title_{}", l.as_str()), text(*l)))
                .collect(),
            body: Language::ALL
                .iter()
                .map(|l| builder.add_text_field(&format!("body_{}", l.as_str()), text(*l)))
                .collect(),
            context: Language::ALL
                .iter()
                .map(|l| {
                    let indexing = text(*l).get_indexing_options().cloned();
                    let options = TextOptions::default();
                    let options = match indexing {
                        Some(indexing) => options.set_indexing_options(indexing),
                        None => options,
                    };
                    builder.add_text_field(&format!("context_{}", l.as_str()), options)
                })
                .collect(),
        };
        (builder.build(), fields)
    }

    /// The title field of `language`.
    #[allow(
        clippy::indexing_slicing,
        reason = "one field per language, built from Language::ALL, which language_id indexes"
    )]
    pub fn title(&self, language: Language) -> Field {
        self.title[language_id(language) as usize]
    }

    /// The context field of `language`.
    #[allow(
        clippy::indexing_slicing,
        reason = "one field per language, built from Language::ALL, which language_id indexes"
    )]
    pub fn context(&self, language: Language) -> Field {
        self.context[language_id(language) as usize]
    }

    /// The body field of `language`.
    #[allow(
        clippy::indexing_slicing,
        reason = "one field per language, built from Language::ALL, which language_id indexes"
    )]
    pub fn body(&self, language: Language) -> Field {
        self.body[language_id(language) as usize]
    }
}

/// A language's index in [`Language::ALL`].
pub fn language_id(language: Language) -> u64 {
    Language::ALL
        .iter()
        .position(|l| *l == language)
        .unwrap_or_default() as u64
}

/// A mechanism's index in [`Mechanism::ALL`].
pub fn mechanism_id(mechanism: Mechanism) -> u64 {
    Mechanism::ALL
        .iter()
        .position(|m| *m == mechanism)
        .unwrap_or_default() as u64
}
