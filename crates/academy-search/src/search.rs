//! Running a search: the query, filters, facets, highlighted snippets and pagination.

use std::collections::{HashMap, hash_map::Entry};

use academy_courses::vocab::{Language, Mechanism};
use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use tantivy::{
    DocAddress, Score, TantivyDocument, Term,
    collector::{Count, TopDocs},
    query::{BooleanQuery, Occur, Query, TermQuery},
    schema::{Field, IndexRecordOption, Value},
};

use crate::{
    collect::{Facets, Filter, Filtered},
    highlight::{Highlighter, leading_text},
    index::SearchIndex,
    query::{ParsedQuery, QueryError, languages_to_search},
    schema::{language_id, mechanism_id},
};

/// Most hits per page.
pub const MAX_LIMIT: usize = 50;
/// How deep pagination goes: results past this many are not reachable (refine the query).
pub const MAX_OFFSET: usize = 1_000;

/// A search as asked.
#[derive(Clone, Debug, Default)]
pub struct SearchRequest<'a> {
    pub text: &'a str,
    /// The language asked for explicitly (`?lang=`).
    pub language: Option<Language>,
    /// The reader's accepted languages, best first (`Accept-Language`).
    pub accepted: Vec<Language>,
    pub mechanism: Option<Mechanism>,
    /// Only this course (slug).
    pub course: Option<&'a str>,
    pub limit: usize,
    /// Where the page starts: a `next_cursor` of a previous page.
    pub cursor: Option<&'a str>,
    /// Who searches: courses they may not read are left out (and not counted).
    pub reader: academy_courses::catalog::Reader,
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("The cursor is not one this search returned; start again without it.")]
    BadCursor,
    /// The `course` filter names no public course.
    #[error("There is no public course with this slug; see /api/courses.")]
    UnknownCourse,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// One page of results.
#[derive(Clone, Debug)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    /// How many documents match in the languages searched, with the filters.
    pub total: usize,
    /// The languages searched.
    pub languages: Vec<Language>,
    /// Matches per language (ignoring the language choice), languages without any left out.
    pub by_language: Vec<(Language, u64)>,
    /// Matches per mechanism (ignoring the mechanism filter), mechanisms without any left out.
    pub by_mechanism: Vec<(Mechanism, u64)>,
    pub next_cursor: Option<String>,
}

/// What a hit or a suggestion is: a course, or a lesson or quiz of it (with its slug).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HitKind {
    Course,
    Lesson(String),
    Quiz(String),
}

impl HitKind {
    /// `course`, `lesson` or `quiz`.
    pub fn as_str(&self) -> &'static str {
        match self {
            HitKind::Course => "course",
            HitKind::Lesson(_) => "lesson",
            HitKind::Quiz(_) => "quiz",
        }
    }

    /// The kind stored in the index with its slug; `None` for an unknown kind.
    pub(crate) fn from_stored(kind: &str, slug: String) -> Option<HitKind> {
        match kind {
            "course" => Some(HitKind::Course),
            "lesson" => Some(HitKind::Lesson(slug)),
            "quiz" => Some(HitKind::Quiz(slug)),
            _ => None,
        }
    }
}

/// A matching course, lesson or quiz in one language.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub kind: HitKind,
    pub course: String,
    pub course_title: String,
    /// Module slug; empty for a course.
    pub module: String,
    pub title: String,
    /// An extract of the text with the matching words in `<b>`; HTML-escaped.
    pub snippet: String,
    pub language: Language,
    pub score: f32,
}

impl SearchIndex {
    /// Runs `request`. Anything a person types either runs or is refused with a
    /// [`QueryError`] that says why.
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<SearchResults, SearchError> {
        if let Some(course) = request.course
            && !self.readable(course, &request.reader)
        {
            return Err(SearchError::UnknownCourse);
        }
        let parsed = ParsedQuery::parse(request.text)?;
        let offset = match request.cursor {
            Some(cursor) => decode_cursor(cursor)?,
            None => 0,
        };
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let languages = languages_to_search(request.language, &request.accepted, request.text);

        // The query runs over every language so that the language facet can count them all
        // (exact words only in the languages not searched); the collectors keep the languages
        // searched.
        let per_language: HashMap<Language, Box<dyn Query>> = Language::ALL
            .iter()
            .filter_map(|l| {
                let tolerant = languages.contains(l);
                parsed
                    .for_language(*l, &self.fields, tolerant)
                    .map(|q| (*l, q))
            })
            .collect();
        let mut results = SearchResults {
            hits: Vec::new(),
            total: 0,
            languages: languages.clone(),
            by_language: Vec::new(),
            by_mechanism: Vec::new(),
            next_cursor: None,
        };
        if per_language.is_empty() {
            return Ok(results);
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            Box::new(BooleanQuery::union(
                per_language.values().map(|q| q.box_clone()).collect(),
            )),
        )];
        if let Some(course) = request.course {
            clauses.push((Occur::Must, self.term(self.fields.course, course)));
        }
        for hidden in self.hidden(&request.reader) {
            clauses.push((Occur::MustNot, self.term(self.fields.course, hidden)));
        }
        let query = BooleanQuery::new(clauses);

        let filter = Filter {
            languages: languages
                .iter()
                .fold(0, |mask, l| mask | (1 << language_id(*l))),
            mechanism: request.mechanism.map(mechanism_id),
        };
        let page = Filtered {
            filter,
            inner: (
                TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_score(),
                Count,
            ),
        };
        let ((top, total), facets) = self
            .searcher
            .search(&query, &(page, Facets { filter }))
            .context("searching the index")?;

        results.total = total;
        results.by_language = Language::ALL
            .iter()
            .zip(facets.languages)
            .filter(|(_, n)| *n > 0)
            .map(|(l, n)| (*l, n))
            .collect();
        results.by_mechanism = Mechanism::ALL
            .iter()
            .zip(facets.mechanisms)
            .filter(|(_, n)| *n > 0)
            .map(|(m, n)| (*m, n))
            .collect();
        let end = offset + top.len();
        if end < total.min(MAX_OFFSET) && !top.is_empty() {
            results.next_cursor = Some(encode_cursor(end));
        }
        results.hits = self.hits(&top, &per_language)?;
        Ok(results)
    }

    fn term(&self, field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        ))
    }

    fn hits(
        &self,
        top: &[(Score, DocAddress)],
        queries: &HashMap<Language, Box<dyn Query>>,
    ) -> anyhow::Result<Vec<Hit>> {
        let mut highlighters: HashMap<Language, Highlighter> = HashMap::new();
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = self
                .searcher
                .doc(*address)
                .context("reading a matching document")?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let Some(language) = Language::parse(&text(self.fields.language)) else {
                continue;
            };
            let body_field = self.fields.body(language);
            let highlighter = match highlighters.entry(language) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    let Some(query) = queries.get(&language) else {
                        continue;
                    };
                    e.insert(
                        Highlighter::new(&self.searcher, query.as_ref(), body_field)
                            .context("preparing snippets")?,
                    )
                }
            };
            let body = text(body_field);
            let snippet = highlighter
                .snippet(&body)
                .unwrap_or_else(|| leading_text(&body));
            let Some(kind) = HitKind::from_stored(&text(self.fields.kind), text(self.fields.slug))
            else {
                continue;
            };
            hits.push(Hit {
                kind,
                course: text(self.fields.course),
                course_title: text(self.fields.course_title),
                module: text(self.fields.module),
                title: text(self.fields.title(language)),
                snippet,
                language,
                score: *score,
            });
        }
        Ok(hits)
    }
}

fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o{offset}"))
}

fn decode_cursor(cursor: &str) -> Result<usize, SearchError> {
    let offset = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix('o')?.parse::<usize>().ok())
        .ok_or(SearchError::BadCursor)?;
    if offset > MAX_OFFSET {
        return Err(SearchError::BadCursor);
    }
    Ok(offset)
}
