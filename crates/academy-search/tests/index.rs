//! The index as the application uses it: persisted per content version, filtered, faceted,
//! paginated, completing titles, and never failing on what a person types.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::collections::HashSet;

use academy_courses::{
    catalog::{Catalog, Reader},
    import,
    vocab::{Language, Mechanism},
};
use academy_search::{QueryError, SCHEMA_VERSION, SearchError, SearchIndex, SearchRequest};
use common::{catalog_of, content, fixture_courses, ids, index, search, shipped_courses};

fn folders(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn the_index_is_reused_for_the_same_content_and_rebuilt_for_new_content() {
    let data = tempfile::tempdir().unwrap();
    let search_dir = data.path().join("search");
    let (db, catalog) = catalog_of(&content(&[shipped_courses()])).await;

    let first = SearchIndex::open_or_build(&catalog, &search_dir).unwrap();
    let version = catalog.version.as_ref().unwrap().hash.clone();
    let [folder] = folders(&search_dir).try_into().unwrap();
    assert!(folder.starts_with(&version), "{folder}");
    // A file left in the folder survives reopening: the index was not rebuilt.
    let sentinel = search_dir.join(&folder).join("sentinel");
    std::fs::write(&sentinel, b"").unwrap();
    let again = SearchIndex::open_or_build(&catalog, &search_dir).unwrap();
    assert!(sentinel.exists());
    assert_eq!(again.document_count(), first.document_count());

    // New content: a new folder replaces the old one and the new lessons are found.
    let with_fixture = content(&[shipped_courses(), fixture_courses()]);
    import::import(&db.db, &with_fixture, |_, _, _| {})
        .await
        .unwrap();
    let catalog = Catalog::load(&db.db).await.unwrap();
    let rebuilt = SearchIndex::open_or_build(&catalog, &search_dir).unwrap();
    let [new_folder] = folders(&search_dir).try_into().unwrap();
    assert_ne!(new_folder, folder);
    assert!(rebuilt.document_count() > first.document_count());
    let from_fixture = |index: &SearchIndex| {
        search(index, "人权维护者")
            .hits
            .iter()
            .any(|h| h.course == "defenders-in-three-languages")
    };
    assert!(
        !from_fixture(&first),
        "the new course is not in the old index"
    );
    assert!(
        from_fixture(&rebuilt),
        "the new course is in the rebuilt one"
    );
}

#[tokio::test]
async fn a_half_written_index_folder_is_rebuilt_not_trusted() {
    let data = tempfile::tempdir().unwrap();
    let search_dir = data.path().join("search");
    let (_db, catalog) = catalog_of(&content(&[shipped_courses()])).await;
    let version = catalog.version.as_ref().unwrap().hash.clone();
    let broken = search_dir.join(format!("{version}-s{SCHEMA_VERSION}"));
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("meta.json"), b"{ not json").unwrap();

    let index = SearchIndex::open_or_build(&catalog, &search_dir).unwrap();
    assert!(search(&index, "universal periodic review").total > 0);
    let meta = std::fs::read_to_string(broken.join("meta.json")).unwrap();
    assert!(meta.trim_start().starts_with('{') && !meta.contains("not json"));
}

#[tokio::test]
async fn facets_count_languages_and_mechanisms_beside_the_filters() {
    let index = index().await;
    let request = SearchRequest {
        text: "examen",
        language: Some(Language::French),
        limit: 10,
        ..SearchRequest::default()
    };
    let french = index.search(&request).unwrap();
    assert!(french.hits.iter().all(|h| h.language == Language::French));
    let count = |language| {
        french
            .by_language
            .iter()
            .find(|(l, _)| *l == language)
            .map_or(0, |(_, n)| *n)
    };
    // The Spanish translations say "examen" too; the facet shows them beside the French hits.
    assert_eq!(count(Language::French) as usize, french.total);
    assert!(count(Language::Spanish) > 0, "{:?}", french.by_language);

    // Only some of the courses in French are tagged OHCHR.
    let tagged: Vec<String> = catalog_courses_tagged(Mechanism::Ohchr);
    let ohchr_only = index
        .search(&SearchRequest {
            mechanism: Some(Mechanism::Ohchr),
            ..request.clone()
        })
        .unwrap();
    assert!(ohchr_only.total > 0 && ohchr_only.total < french.total);
    assert!(
        ohchr_only.hits.iter().all(|h| tagged.contains(&h.course)),
        "{tagged:?}"
    );
    // The mechanism facet ignores the mechanism filter: other mechanisms are still counted.
    assert_eq!(ohchr_only.by_mechanism, french.by_mechanism);
}

#[tokio::test]
async fn following_cursors_pages_through_every_hit_once() {
    let index = index().await;
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut total = None;
    loop {
        let page = index
            .search(&SearchRequest {
                text: "rights",
                limit: 7,
                cursor: cursor.as_deref(),
                ..SearchRequest::default()
            })
            .unwrap();
        total.get_or_insert(page.total);
        for hit in &page.hits {
            assert!(seen.insert(common::id(hit) + hit.language.as_str()));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert!(seen.len() > 7);
    assert_eq!(Some(seen.len()), total);
}

#[tokio::test]
async fn a_course_filter_keeps_to_that_course() {
    let index = index().await;
    let results = index
        .search(&SearchRequest {
            text: "appeal",
            course: Some("special-procedures"),
            limit: 50,
            ..SearchRequest::default()
        })
        .unwrap();
    assert!(results.total > 0);
    assert!(
        results
            .hits
            .iter()
            .all(|h| h.course == "special-procedures")
    );
}

#[tokio::test]
async fn nothing_a_person_types_breaks_the_search() {
    let index = index().await;
    let long = "a".repeat(5000);
    let many = "word ".repeat(40);
    let nasty = [
        "\"unbalanced",
        "\"\"\"",
        "AND OR",
        "field:x",
        "title_en:upr",
        "NOT -+*?~^ (",
        "upr~2 [a TO z]",
        "\u{0}\u{1b}[31mred",
        "'; DROP TABLE courses; --",
        "é\u{301}\u{200b}\u{feff}",
        "ﷺ𝕌𝕡𝕣🙂",
        "a",
        long.as_str(),
        many.as_str(),
        "***",
        "   ",
        "",
    ];
    for text in nasty {
        let result = index.search(&SearchRequest {
            text,
            limit: 10,
            ..SearchRequest::default()
        });
        match result {
            Ok(_) | Err(SearchError::Query(_)) => {}
            Err(e) => panic!("{text:?} failed: {e:?}"),
        }
        match index.suggest(text, None, &[], 8, &Reader::Anyone) {
            Ok(_) | Err(_) => {}
        }
    }
    let refused = |text| {
        index
            .search(&SearchRequest {
                text,
                limit: 10,
                ..SearchRequest::default()
            })
            .err()
            .map(|e| e.to_string())
    };
    assert_eq!(refused(""), Some(QueryError::Empty.to_string()));
    assert_eq!(refused(&long), Some(QueryError::TooLong.to_string()));
    assert_eq!(refused("***"), Some(QueryError::NoTerms.to_string()));
    assert!(refused("AND OR").is_none());
    assert!(refused("\"unbalanced").is_none());
}

#[tokio::test]
async fn a_forged_cursor_is_refused() {
    let index = index().await;
    for cursor in ["nonsense", "bzk5OTk5OTk", "", "o12"] {
        let result = index.search(&SearchRequest {
            text: "review",
            limit: 10,
            cursor: Some(cursor),
            ..SearchRequest::default()
        });
        assert!(
            matches!(result, Err(SearchError::BadCursor)),
            "{cursor}: {result:?}"
        );
    }
}

#[tokio::test]
async fn suggestions_complete_titles_from_the_first_letters() {
    let index = index().await;
    let suggestions = index
        .suggest("universal peri", None, &[], 5, &Reader::Anyone)
        .unwrap();
    assert_eq!(
        suggestions.first().map(|s| s.text.as_str()),
        Some("The Universal Periodic Review")
    );
    let french = index
        .suggest("examen", Some(Language::French), &[], 5, &Reader::Anyone)
        .unwrap();
    assert!(!french.is_empty());
    assert!(french.iter().all(|s| s.language == Language::French));
    let chinese = index
        .suggest("紧急", None, &[], 5, &Reader::Anyone)
        .unwrap();
    assert_eq!(chinese[0].text, "紧急呼吁");
    assert!(
        index
            .suggest("zzzz", None, &[], 5, &Reader::Anyone)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        index.suggest(" ", None, &[], 5, &Reader::Anyone),
        Err(QueryError::Empty)
    );
    assert_eq!(ids(&search(&index, "zzzzqqq")), Vec::<String>::new());
}

#[tokio::test]
async fn a_node_without_a_writable_data_directory_still_searches() {
    let data = tempfile::tempdir().unwrap();
    let not_a_dir = data.path().join("file");
    std::fs::write(&not_a_dir, b"").unwrap();
    let (_db, catalog) = catalog_of(&content(&[shipped_courses()])).await;
    let index = SearchIndex::open_or_build(&catalog, &not_a_dir.join("search")).unwrap();
    assert!(search(&index, "urgent appeal").total > 0);
}

/// The slugs of the shipped courses whose course.toml names `mechanism`.
fn catalog_courses_tagged(mechanism: Mechanism) -> Vec<String> {
    let content = content(&[shipped_courses()]);
    content
        .courses
        .iter()
        .filter(|c| c.mechanisms.contains(&mechanism))
        .map(|c| c.slug.to_string())
        .collect()
}
