//! Search endpoints: full-text search across the courses, and completions for a search box.
//! The query text is never logged.

use std::sync::Arc;

use academy_courses::vocab::Language;
use academy_search::{
    Hit, MAX_LIMIT, QueryError, SearchError, SearchIndex, SearchRequest, SearchResults, Suggestion,
};
use poem::Request;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Query, payload::Json, types::ToJSON};

use super::{
    ApiTags,
    content::{accepted_languages, page_limit, parse_language, parse_mechanism},
    error::ContentError,
};
use crate::state::AppState;

/// Hits per page unless `limit` says otherwise.
const DEFAULT_LIMIT: u32 = 10;
/// Completions unless `limit` says otherwise.
const DEFAULT_SUGGESTIONS: u32 = 8;
/// Results depend on the content only; let browsers reuse them briefly, but keep them out of
/// shared caches (a search says something about the person who made it).
const CACHE_CONTROL: &str = "private, max-age=60";

/// A matching course, lesson or quiz.
#[derive(Object)]
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

/// A completion.
#[derive(Object)]
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

/// Completions of what was typed.
#[derive(Object)]
pub struct SuggestionList {
    pub suggestions: Vec<SuggestionItem>,
}

/// A search response.
#[derive(ApiResponse)]
pub enum Found<T: ToJSON + Send> {
    /// The results; `Content-Language` names the languages searched.
    #[oai(status = 200)]
    Ok(
        Json<T>,
        #[oai(header = "Content-Language")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

pub struct SearchApi {
    pub state: AppState,
}

#[OpenApi(tag = "ApiTags::Catalog")]
impl SearchApi {
    /// Search the courses
    ///
    /// Full-text search across public courses, lessons and quiz questions. Words are matched
    /// in any form of the word (`appeals` finds `appeal`, `правозащитникам` finds
    /// `правозащитники`); words of five letters or more tolerate a typo; the last word also
    /// matches as the beginning of a word; text in double quotes must appear as a phrase.
    /// There is no other syntax: `AND`, `-`, `field:` are searched as words.
    ///
    /// The search runs in `lang` if given; otherwise in the language the query's script shows
    /// (Arabic, Chinese, Cyrillic); otherwise in the first of English, French or Spanish that
    /// `Accept-Language` names; otherwise in those three. Facets count matches in every
    /// language and mechanism so a reader can switch.
    #[oai(path = "/api/search", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        request: &Request,
        /// What to look for: 1 to 200 characters, at most 16 words or quoted phrases.
        q: Query<Option<String>>,
        /// Search in this language only: `en`, `fr`, `es`, `ar`, `zh` or `ru`.
        lang: Query<Option<String>>,
        /// Only courses tagged with this mechanism, e.g. `special-procedures`.
        mechanism: Query<Option<String>>,
        /// Only this course (slug).
        course: Query<Option<String>>,
        /// Hits per page, 1 to 50 (default 10).
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Found<SearchPage>, ContentError> {
        let language = lang.as_deref().map(parse_language).transpose()?;
        let mechanism = mechanism.as_deref().map(parse_mechanism).transpose()?;
        let limit = page_limit(*limit, DEFAULT_LIMIT, MAX_LIMIT as u32)?;
        if let Some(slug) = course.as_deref()
            && self.state.catalog().course(slug).is_none()
        {
            return Err(ContentError::bad_request(
                "unknown_course",
                "There is no public course with this slug; see /api/courses.",
            ));
        }
        let index = self.index()?;
        let search = SearchRequest {
            text: q.as_deref().unwrap_or_default(),
            language,
            accepted: accepted_languages(request),
            mechanism,
            course: course.as_deref(),
            limit: limit as usize,
            cursor: cursor.as_deref(),
        };
        let results = index.search(&search).map_err(search_error)?;
        let languages = tags(&results.languages);
        Ok(Found::Ok(
            Json(page(results)),
            languages,
            CACHE_CONTROL.to_owned(),
        ))
    }

    /// Complete a search
    ///
    /// Course and lesson titles whose words begin with the words typed, titles beginning with
    /// them first; fast enough to call on every keystroke. Languages are chosen as for
    /// `GET /api/search`.
    #[oai(path = "/api/search/suggest", method = "get")]
    async fn suggest(
        &self,
        request: &Request,
        /// What has been typed so far: 1 to 200 characters.
        q: Query<Option<String>>,
        /// Complete in this language only.
        lang: Query<Option<String>>,
        /// How many completions, 1 to 20 (default 8).
        limit: Query<Option<u32>>,
    ) -> Result<Found<SuggestionList>, ContentError> {
        let language = lang.as_deref().map(parse_language).transpose()?;
        let limit = page_limit(
            *limit,
            DEFAULT_SUGGESTIONS,
            academy_search::MAX_SUGGESTIONS as u32,
        )?;
        let accepted = accepted_languages(request);
        let typed = q.as_deref().unwrap_or_default();
        let suggestions = self
            .index()?
            .suggest(typed, language, &accepted, limit as usize)
            .map_err(query_error)?;
        let mut languages: Vec<Language> = suggestions.iter().map(|s| s.language).collect();
        languages.sort_unstable();
        languages.dedup();
        Ok(Found::Ok(
            Json(SuggestionList {
                suggestions: suggestions.into_iter().map(suggestion).collect(),
            }),
            tags(&languages),
            CACHE_CONTROL.to_owned(),
        ))
    }
}

impl SearchApi {
    fn index(&self) -> Result<Arc<SearchIndex>, ContentError> {
        self.state.search.current().ok_or_else(|| {
            ContentError::internal(&anyhow::anyhow!("the search index is not loaded"))
        })
    }
}

fn tags(languages: &[Language]) -> String {
    languages
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn query_error(error: QueryError) -> ContentError {
    let code = match error {
        QueryError::Empty => "empty_query",
        QueryError::TooLong => "query_too_long",
        QueryError::TooManyWords => "too_many_words",
        QueryError::NoTerms => "no_search_terms",
    };
    ContentError::bad_request(code, error.to_string())
}

fn search_error(error: SearchError) -> ContentError {
    match error {
        SearchError::Query(e) => query_error(e),
        SearchError::BadCursor => ContentError::bad_request("invalid_cursor", error.to_string()),
        SearchError::Other(e) => ContentError::internal(&e.context("searching")),
    }
}

fn page(results: SearchResults) -> SearchPage {
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
                .map(|(l, n)| FacetCount {
                    value: l.as_str().to_owned(),
                    count: *n,
                })
                .collect(),
            mechanism: results
                .by_mechanism
                .iter()
                .map(|(m, n)| FacetCount {
                    value: m.as_str().to_owned(),
                    count: *n,
                })
                .collect(),
        },
        next_cursor: results.next_cursor,
        hits: results.hits.into_iter().map(hit).collect(),
    }
}

fn hit(hit: Hit) -> SearchHit {
    let (lesson, quiz) = match hit.kind.as_str() {
        "lesson" => (hit.slug, None),
        "quiz" => (None, hit.slug),
        _ => (None, None),
    };
    SearchHit {
        kind: hit.kind,
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

fn suggestion(suggestion: Suggestion) -> SuggestionItem {
    SuggestionItem {
        text: suggestion.text,
        kind: suggestion.kind.to_owned(),
        course: suggestion.course,
        lesson: suggestion.lesson,
        language: suggestion.language.as_str().to_owned(),
    }
}
