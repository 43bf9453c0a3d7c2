//! What the search endpoints send.

use academy_search::{Hit, HitKind, SearchResults, Suggestion};
use poem_openapi::Object;

/// A matching course, lesson or quiz.
#[derive(Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SearchHit {
    /// `course`, `lesson` or `quiz`.
    pub kind: String,
    /// The course slug.
    pub course: String,
    pub course_title: String,
    /// The module slug (empty for a course).
    pub module: String,
    /// The lesson slug, for a lesson (read it at `/api/courses/{course}/lessons/{lesson}`).
    pub lesson: Option<String>,
    /// The quiz slug, for a quiz.
    pub quiz: Option<String>,
    pub title: String,
    /// An extract around the matching words, HTML-escaped, the words in `<b>`.
    pub snippet: String,
    /// The language of this text.
    pub language: String,
    /// Relevance; only meaningful to order the hits of one search.
    pub score: f32,
}

impl From<Hit> for SearchHit {
    fn from(hit: Hit) -> Self {
        let kind = hit.kind.as_str().to_owned();
        let (lesson, quiz) = match hit.kind {
            HitKind::Course => (None, None),
            HitKind::Lesson(slug) => (Some(slug), None),
            HitKind::Quiz(slug) => (None, Some(slug)),
        };
        SearchHit {
            kind,
            course: hit.course,
            course_title: hit.course_title,
            module: hit.module,
            lesson,
            quiz,
            title: hit.title,
            snippet: hit.snippet,
            language: hit.language.as_str().to_owned(),
            score: hit.score,
        }
    }
}

/// How many matches a facet value has.
#[derive(Object)]
pub struct FacetCount {
    /// The language tag or mechanism tag, as used in `?lang=` or `?mechanism=`.
    pub value: String,
    pub count: u64,
}

/// Matches per language and per mechanism, to refine a search.
#[derive(Object)]
pub struct SearchFacets {
    /// Per language, counted as if any language had been chosen (in languages other than the
    /// ones searched, exact words only: no typo or prefix matches).
    pub language: Vec<FacetCount>,
    /// Per mechanism, counted as if no mechanism had been chosen.
    pub mechanism: Vec<FacetCount>,
}

/// One page of search results.
#[derive(Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// How many texts match, with the language and filters chosen.
    pub total: u64,
    /// The languages searched.
    pub languages: Vec<String>,
    pub facets: SearchFacets,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl From<SearchResults> for SearchPage {
    fn from(results: SearchResults) -> Self {
        let facet = |value: &str, count: u64| FacetCount {
            value: value.to_owned(),
            count,
        };
        SearchPage {
            total: results.total as u64,
            languages: results
                .languages
                .iter()
                .map(|l| l.as_str().to_owned())
                .collect(),
            facets: SearchFacets {
                language: results
                    .by_language
                    .iter()
                    .map(|(l, n)| facet(l.as_str(), *n))
                    .collect(),
                mechanism: results
                    .by_mechanism
                    .iter()
                    .map(|(m, n)| facet(m.as_str(), *n))
                    .collect(),
            },
            next_cursor: results.next_cursor,
            hits: results.hits.into_iter().map(SearchHit::from).collect(),
        }
    }
}

/// A completion.
#[derive(Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SuggestionItem {
    /// The title to show and to search for.
    pub text: String,
    /// `course` or `lesson`.
    pub kind: String,
    pub course: String,
    /// The lesson slug, for a lesson.
    pub lesson: Option<String>,
    pub language: String,
}

impl From<Suggestion> for SuggestionItem {
    fn from(suggestion: Suggestion) -> Self {
        let kind = suggestion.kind.as_str().to_owned();
        let lesson = match suggestion.kind {
            HitKind::Lesson(slug) => Some(slug),
            HitKind::Course | HitKind::Quiz(_) => None,
        };
        SuggestionItem {
            text: suggestion.text,
            kind,
            course: suggestion.course,
            lesson,
            language: suggestion.language.as_str().to_owned(),
        }
    }
}

/// Completions of what was typed.
#[derive(Object)]
pub struct SuggestionList {
    pub suggestions: Vec<SuggestionItem>,
}
