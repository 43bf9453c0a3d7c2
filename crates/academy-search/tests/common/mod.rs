//! Catalogs to search in tests: the shipped courses plus the Arabic, Chinese and Russian fixture,
//! imported into a fresh database and loaded as the API loads them.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use academy_courses::{catalog::Catalog, content, content::ContentSet, import};
use academy_search::{Hit, HitKind, SearchIndex, SearchRequest, SearchResults};
use academy_testing::{Backend, TestDb};

pub fn shipped_courses() -> PathBuf {
    std::env::var_os("ACADEMY_TEST_COURSES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../courses"))
}

pub fn fixture_courses() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/courses")
}

/// Loads and merges content folders into one content set.
pub fn content(dirs: &[PathBuf]) -> ContentSet {
    let mut merged = ContentSet {
        courses: Vec::new(),
        hash: String::new(),
    };
    for dir in dirs {
        let set = content::load_dir(dir).unwrap_or_else(|p| panic!("{}: {p:?}", dir.display()));
        merged.courses.extend(set.courses);
        merged.hash.push_str(&set.hash);
    }
    merged.hash = academy_courses::sha256_hex([merged.hash.as_bytes()]);
    merged
}

/// A database holding `content`, and its catalog.
pub async fn catalog_of(content: &ContentSet) -> (TestDb, Catalog) {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    import::import(&db.db, content, |_, _, _| {}).await.unwrap();
    let catalog = Catalog::load(&db.db).await.unwrap();
    (db, catalog)
}

/// The index of the shipped courses and the fixture: imported into a database template and
/// indexed once per content version, then reopened by every test process.
pub async fn index() -> SearchIndex {
    let (shipped, fixture) = (shipped_courses(), fixture_courses());
    let key = academy_testing::tree_key(
        &[&shipped, &fixture],
        &academy_search::SCHEMA_VERSION.to_string(),
    );
    let db = TestDb::filled(Backend::Sqlite, &format!("search-{key}"), |db| async move {
        import::import(&db, &content(&[shipped, fixture]), |_, _, _| {}).await?;
        Ok(())
    })
    .await
    .unwrap();
    let catalog = Catalog::load(&db.db).await.unwrap();
    let dir = academy_testing::cache_dir(&format!("search-index-{key}"));
    SearchIndex::open_or_build(&catalog, &dir).unwrap()
}

/// Searches `text` with default options.
pub fn search(index: &SearchIndex, text: &str) -> SearchResults {
    index
        .search(&SearchRequest {
            text,
            limit: 10,
            ..SearchRequest::default()
        })
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// Searches `text` in `language`.
pub fn search_in(index: &SearchIndex, text: &str, language: &str) -> SearchResults {
    index
        .search(&SearchRequest {
            text,
            language: academy_courses::vocab::Language::parse(language),
            limit: 10,
            ..SearchRequest::default()
        })
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// `course/slug` of a hit (`course` alone for a course).
pub fn id(hit: &Hit) -> String {
    match &hit.kind {
        HitKind::Lesson(slug) | HitKind::Quiz(slug) => format!("{}/{}", hit.course, slug),
        HitKind::Course => hit.course.clone(),
    }
}

pub fn ids(results: &SearchResults) -> Vec<String> {
    results.hits.iter().map(id).collect()
}
