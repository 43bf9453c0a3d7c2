//! Full-text search over the course catalog, in the six UN languages, on tantivy.
//!
//! [`SearchIndex::open_or_build`] indexes a catalog snapshot (public courses, lessons and quiz
//! questions, one document per text and language) and persists it per content version;
//! [`SearchIndex::search`] answers a query typed by a person, and [`SearchIndex::suggest`]
//! completes one.

pub mod analysis;
mod collect;
mod documents;
mod highlight;
mod index;
mod live;
pub mod query;
mod schema;
mod search;
mod suggest;

use academy_courses::vocab::Language;

pub use documents::plain_text;
pub use index::SearchIndex;
pub use live::LiveIndex;
pub use query::{MAX_QUERY_CHARS, QueryError};
pub use schema::SCHEMA_VERSION;
pub use search::{Hit, HitKind, MAX_LIMIT, SearchError, SearchRequest, SearchResults};
pub use suggest::{MAX_SUGGESTIONS, Suggestion};

impl SearchIndex {
    /// Up to `limit` completions of `typed` (course and lesson titles), in `language` if given,
    /// else in the language the text's script or the reader's `accepted` languages suggest.
    /// Titles of courses `reader` may not read are left out.
    pub fn suggest(
        &self,
        typed: &str,
        language: Option<Language>,
        accepted: &[Language],
        limit: usize,
        reader: &academy_courses::catalog::Reader,
    ) -> Result<Vec<Suggestion>, QueryError> {
        let languages = query::languages_to_search(language, accepted, typed);
        let hidden = self.hidden(reader);
        self.suggestions
            .complete(typed, &languages, limit, |course| !hidden.contains(&course))
    }
}
