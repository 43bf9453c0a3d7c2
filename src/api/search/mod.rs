//! The search area: full-text search across the courses, and completions for a search box.
//! The query text is never logged. Searching is CPU work (tantivy), so it runs on tokio's
//! blocking threads, at most one search per core at a time, and the async workers stay free for
//! cheap requests (`/health`, content) while search is busy.

pub mod views;

use std::{num::NonZeroUsize, sync::Arc};

use academy_courses::vocab::Language;
use academy_search::{
    MAX_LIMIT, MAX_SUGGESTIONS, QueryError, SearchError, SearchIndex, SearchRequest,
};
use poem::Request;
use tokio::sync::Semaphore;

use crate::api::guard::reader;
use poem_openapi::{ApiResponse, OpenApi, param::Query, payload::Json, types::ToJSON};
use views::{SearchPage, SuggestionItem, SuggestionList};

use super::{
    ApiTags,
    errors::{Failure, api_error},
    inputs::{LanguageTag, MechanismTag, PageSize, SlugParam, page_size},
    params,
};
use crate::state::AppState;

/// The search area's operations.
pub type Api = SearchApi;

/// The search area's operations over `state`.
pub fn api(state: &AppState) -> Api {
    let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
    SearchApi {
        state: state.clone(),
        cpu: Arc::new(Semaphore::new(cores)),
    }
}

/// Hits per page unless `limit` says otherwise.
const DEFAULT_LIMIT: u32 = 10;
/// Completions unless `limit` says otherwise.
const DEFAULT_SUGGESTIONS: u32 = 8;
/// Kept by no cache, the browser's included: what a person searched for says something about
/// them, and may be found on a shared or seized device.
const CACHE_CONTROL: &str = "no-store";

/// Search results or completions.
#[derive(ApiResponse)]
pub enum Results<T: ToJSON + Send> {
    /// The results; `Content-Language` names the languages searched.
    #[oai(status = 200)]
    Ok(
        Json<T>,
        #[oai(header = "Content-Language")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

api_error!(
    /// Why a search or a completion could not run.
    pub enum SearchFailed {
        BadRequest,
    }
);

impl From<QueryError> for Failure {
    fn from(error: QueryError) -> Self {
        let code = match error {
            QueryError::Empty => "empty_query",
            QueryError::TooLong => "query_too_long",
            QueryError::TooManyWords => "too_many_words",
            QueryError::NoTerms => "no_search_terms",
        };
        Failure::bad_request(code, error.to_string())
    }
}

impl From<SearchError> for Failure {
    fn from(error: SearchError) -> Self {
        match error {
            SearchError::Query(e) => e.into(),
            SearchError::BadCursor => Failure::bad_request("invalid_cursor", error.to_string()),
            SearchError::UnknownCourse => Failure::bad_request("unknown_course", error.to_string()),
            SearchError::Other(e) => Failure::internal(&e.context("searching")),
        }
    }
}

pub struct SearchApi {
    pub state: AppState,
    /// One permit per core: searches beyond that wait their turn rather than crowd the CPU.
    pub cpu: Arc<Semaphore>,
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
        lang: Query<Option<LanguageTag>>,
        /// Only courses tagged with this mechanism, e.g. `special-procedures`.
        mechanism: Query<Option<MechanismTag>>,
        /// Only this course (slug).
        course: Query<Option<SlugParam>>,
        /// Hits per page, 1 to 50 (default 10).
        limit: Query<Option<PageSize<{ MAX_LIMIT as u32 }>>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Results<SearchPage>, SearchFailed> {
        let language = lang.as_deref().map(params::language).transpose()?;
        let mechanism = mechanism.as_deref().map(params::mechanism).transpose()?;
        let limit = params::limit(page_size(limit.0), DEFAULT_LIMIT, MAX_LIMIT as u32)? as usize;
        let accepted = params::accepted_languages(request);
        let reader = reader(&self.state, request).await;
        let index = self.index()?;
        let (text, course, cursor) = (q.0, course.0, cursor.0);
        let results = self
            .off_the_workers(move || {
                index.search(&SearchRequest {
                    text: text.as_deref().unwrap_or_default(),
                    language,
                    accepted,
                    mechanism,
                    course: course.as_deref(),
                    limit,
                    cursor: cursor.as_deref(),
                    reader,
                })
            })
            .await?
            .map_err(Failure::from)?;
        let languages = tags(&results.languages);
        Ok(Results::Ok(
            Json(results.into()),
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
        lang: Query<Option<LanguageTag>>,
        /// How many completions, 1 to 20 (default 8).
        limit: Query<Option<PageSize<{ MAX_SUGGESTIONS as u32 }>>>,
    ) -> Result<Results<SuggestionList>, SearchFailed> {
        let language = lang.as_deref().map(params::language).transpose()?;
        let limit = params::limit(
            page_size(limit.0),
            DEFAULT_SUGGESTIONS,
            MAX_SUGGESTIONS as u32,
        )?;
        let accepted = params::accepted_languages(request);
        let typed = q.0.unwrap_or_default();
        let reader = reader(&self.state, request).await;
        let index = self.index()?;
        let suggestions = self
            .off_the_workers(move || {
                index.suggest(&typed, language, &accepted, limit as usize, &reader)
            })
            .await?
            .map_err(Failure::from)?;
        let mut languages: Vec<Language> = suggestions.iter().map(|s| s.language).collect();
        languages.sort_unstable();
        languages.dedup();
        Ok(Results::Ok(
            Json(SuggestionList {
                suggestions: suggestions.into_iter().map(SuggestionItem::from).collect(),
            }),
            tags(&languages),
            CACHE_CONTROL.to_owned(),
        ))
    }
}

impl SearchApi {
    /// Runs `work` on a blocking thread once a core is free for it.
    async fn off_the_workers<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Failure> {
        off_the_workers(&self.cpu, work).await
    }

    fn index(&self) -> Result<Arc<SearchIndex>, Failure> {
        self.state
            .search
            .current()
            .ok_or_else(|| Failure::internal(&anyhow::anyhow!("the search index is not loaded")))
    }
}

/// Runs `work` on one of tokio's blocking threads once `cpu` has a permit for it, so the async
/// workers go on serving other requests meanwhile.
async fn off_the_workers<T: Send + 'static>(
    cpu: &Semaphore,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Failure> {
    let _core = cpu
        .acquire()
        .await
        .map_err(|e| Failure::internal(&anyhow::Error::new(e).context("waiting to search")))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Failure::internal(&anyhow::Error::new(e).context("searching")))
}

fn tags(languages: &[Language]) -> String {
    languages
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<SearchFailed>(SearchFailed::STATUSES);
    }

    /// On a runtime with one worker thread, a timer still fires while a search-sized piece of
    /// CPU work runs, and a second piece waits for the single permit.
    #[tokio::test(flavor = "current_thread")]
    async fn search_work_leaves_the_async_worker_free() {
        use std::time::{Duration, Instant};
        let cpu = Semaphore::new(1);
        let started = Instant::now();
        let busy = |ms| move || std::thread::sleep(Duration::from_millis(ms));
        let (first, second, ticked) = tokio::join!(
            off_the_workers(&cpu, busy(300)),
            off_the_workers(&cpu, busy(300)),
            async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                started.elapsed()
            }
        );
        assert!(first.is_ok() && second.is_ok());
        assert!(
            ticked < Duration::from_millis(250),
            "the worker was blocked for {ticked:?}"
        );
        assert!(
            started.elapsed() >= Duration::from_millis(600),
            "the permit did not bound the work"
        );
    }
}
