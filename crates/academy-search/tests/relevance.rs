//! Relevance on the shipped courses and on the Arabic, Chinese and Russian fixture: the lesson a
//! defender is looking for comes first, in their language.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use academy_courses::vocab::Language;
use academy_search::HitKind;
use common::{ids, index, search, search_in};

#[tokio::test]
async fn universal_periodic_review_ranks_the_upr_course_first() {
    let index = index().await;
    let results = search(&index, "universal periodic review");
    let top: Vec<&str> = results
        .hits
        .iter()
        .take(5)
        .map(|h| h.course.as_str())
        .collect();
    assert_eq!(top, ["universal-periodic-review"; 5], "{:?}", ids(&results));
    assert!(results.hits.iter().all(|h| h.language == Language::English));
}

#[tokio::test]
async fn urgent_appeal_finds_the_special_procedures_lesson() {
    let index = index().await;
    let results = search(&index, "how do I send an urgent appeal");
    let top: Vec<String> = ids(&results).into_iter().take(3).collect();
    assert!(
        top.iter()
            .any(|id| id == "special-procedures/allegation-letters-and-urgent-appeals"),
        "{top:?}"
    );
    assert!(
        results.hits[0].snippet.contains("<b>"),
        "{}",
        results.hits[0].snippet
    );
}

#[tokio::test]
async fn french_and_spanish_queries_find_the_translated_lessons() {
    let index = index().await;
    let french = search_in(&index, "examen périodique universel", "fr");
    assert_eq!(french.hits[0].course, "universal-periodic-review");
    assert_eq!(french.hits[0].language, Language::French);
    assert!(ids(&french).contains(&"universal-periodic-review/what-is-the-upr".to_owned()));

    let spanish = search_in(&index, "examen periódico universal", "es");
    assert_eq!(spanish.hits[0].course, "universal-periodic-review");
    assert!(spanish.hits.iter().all(|h| h.language == Language::Spanish));
}

#[tokio::test]
async fn russian_fixture_lessons_are_found_by_inflected_forms() {
    let index = index().await;
    // Dative plural; the lesson says "правозащитники" and "правозащитников".
    let results = search(&index, "правозащитникам");
    assert!(
        ids(&results)[..2].contains(&"defenders-in-three-languages/who-are-defenders".to_owned()),
        "{:?}",
        ids(&results)
    );
    assert_eq!(results.hits[0].language, Language::Russian);
    // Genitive plural of "срочное обращение".
    let results = search(&index, "срочных обращений");
    assert_eq!(
        ids(&results).first().map(String::as_str),
        Some("defenders-in-three-languages/urgent-appeals")
    );
}

#[tokio::test]
async fn arabic_fixture_lessons_are_found_by_inflected_and_unvocalised_forms() {
    let index = index().await;
    // The title has the nominative "المدافعون"; the query the genitive plural.
    let results = search(&index, "المدافعين");
    assert!(
        ids(&results).contains(&"defenders-in-three-languages/who-are-defenders".to_owned()),
        "{:?}",
        ids(&results)
    );
    assert_eq!(results.hits[0].language, Language::Arabic);
    let results = search(&index, "نداء عاجل");
    assert_eq!(
        ids(&results).first().map(String::as_str),
        Some("defenders-in-three-languages/urgent-appeals"),
        "{:?}",
        ids(&results)
    );
}

#[tokio::test]
async fn chinese_fixture_lessons_are_found_without_spaces_between_words() {
    let index = index().await;
    let results = search(&index, "人权维护者");
    assert_eq!(
        ids(&results).first().map(String::as_str),
        Some("defenders-in-three-languages/who-are-defenders")
    );
    assert_eq!(results.hits[0].language, Language::Chinese);
    let results = search(&index, "如何发出紧急呼吁");
    assert!(
        ids(&results)[..2].contains(&"defenders-in-three-languages/urgent-appeals".to_owned()),
        "{:?}",
        ids(&results)
    );
}

#[tokio::test]
async fn a_typo_in_a_longer_word_still_finds_the_lesson() {
    let index = index().await;
    let results = search(&index, "univresal periodic reveiw ");
    assert_eq!(results.hits[0].course, "universal-periodic-review");
}

#[tokio::test]
async fn the_last_word_matches_while_it_is_being_typed() {
    let index = index().await;
    let results = search(&index, "stakeholder submis");
    assert_eq!(
        ids(&results).first().map(String::as_str),
        Some("universal-periodic-review/writing-a-stakeholder-submission")
    );
}

#[tokio::test]
async fn a_quoted_phrase_only_matches_the_words_together() {
    let index = index().await;
    let loose = search(&index, "country periodic");
    let phrase = search(&index, "\"country periodic\"");
    assert!(loose.total > 0);
    assert_eq!(phrase.total, 0, "{:?}", ids(&phrase));
    let phrase = search(&index, "\"urgent appeal\"");
    assert!(phrase.total > 0);
}

#[tokio::test]
async fn quiz_answers_and_explanations_are_not_searchable() {
    let index = index().await;
    // This word appears only in a fixture question's explanation.
    assert_eq!(search(&index, "ксилофонмаркер").total, 0);
    // The question's prompt is searchable.
    let results = search(&index, "непоправимый вред используется");
    assert!(
        results
            .hits
            .iter()
            .any(|h| matches!(h.kind, HitKind::Quiz(_))),
        "{:?}",
        ids(&results)
    );
}

/// The top `n` hits of `text` in `language`, as `course/lesson`.
fn top(index: &academy_search::SearchIndex, text: &str, language: &str, n: usize) -> Vec<String> {
    ids(&search_in(index, text, language))
        .into_iter()
        .take(n)
        .collect()
}

#[tokio::test]
async fn the_security_lesson_is_found_in_arabic_russian_and_chinese() {
    let index = index().await;
    let lesson = "reprisals-and-safe-engagement/digital-and-physical-security".to_owned();
    for (text, language) in [
        ("الأمن الرقمي", "ar"),
        ("цифровая безопасность", "ru"),
        ("数字安全", "zh"),
    ] {
        let results = search_in(&index, text, language);
        assert!(
            ids(&results).iter().take(3).any(|id| *id == lesson),
            "{text}: {:?}",
            ids(&results)
        );
        assert!(
            results
                .hits
                .iter()
                .all(|h| h.language == Language::parse(language).unwrap())
        );
    }
}

#[tokio::test]
async fn an_oral_statement_is_found_in_every_language_of_the_council_course() {
    let index = index().await;
    let lesson = "human-rights-council/preparing-an-oral-statement".to_owned();
    for (text, language) in [
        ("oral statement", "en"),
        ("déclaration orale", "fr"),
        ("declaración oral", "es"),
        ("بيان شفوي", "ar"),
        ("устное заявление", "ru"),
        ("口头发言", "zh"),
    ] {
        let found = top(&index, text, language, 3);
        assert!(found.contains(&lesson), "{text} ({language}): {found:?}");
    }
}

#[tokio::test]
async fn regional_and_treaty_body_lessons_are_found_in_french_and_spanish() {
    let index = index().await;
    for (text, language, lesson) in [
        (
            "Cour africaine",
            "fr",
            "regional-human-rights-systems/the-african-court",
        ),
        (
            "Comisión Interamericana",
            "es",
            "regional-human-rights-systems/the-inter-american-commission",
        ),
        ("rapport alternatif", "fr", "treaty-bodies/shadow-reports"),
    ] {
        let found = top(&index, text, language, 5);
        assert!(
            found.contains(&lesson.to_owned()),
            "{text} ({language}): {found:?}"
        );
    }
}
