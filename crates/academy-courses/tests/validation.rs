//! Every validation rule of the content format, each shown on a broken copy of a valid fixture:
//! the problem is reported as `path:line: message` and nothing loads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::{fs, path::Path};

use academy_courses::content::load_dir;

const VALID: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/valid");

/// Copies the valid fixture into a temporary directory, applies `edit`, and returns the
/// problems found, as `path:line: message` with paths relative to the copy.
fn problems_after(edit: impl FnOnce(&Path)) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    academy_testing::copy_dir(Path::new(VALID), dir.path()).expect("copy the fixture");
    edit(dir.path());
    match load_dir(dir.path()) {
        Ok(_) => vec![],
        Err(problems) => problems
            .0
            .iter()
            .map(|p| {
                p.to_string()
                    .replace(&format!("{}/", dir.path().display()), "")
            })
            .collect(),
    }
}

fn replace(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join(file);
    let text = fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} does not contain {from:?}");
    fs::write(path, text.replacen(from, to, 1)).expect("write");
}

/// Asserts exactly one problem, at `location` (`path:line`), whose message contains `message`.
fn assert_one(problems: &[String], location: &str, message: &str) {
    assert_eq!(problems.len(), 1, "expected one problem, got {problems:#?}");
    let expected_start = format!("{location}: ");
    assert!(
        problems[0].starts_with(&expected_start) && problems[0].contains(message),
        "expected `{location}: …{message}…`, got `{}`",
        problems[0]
    );
}

const COURSE: &str = "sample-course/course.toml";

#[test]
fn the_valid_fixture_loads() {
    let content = load_dir(Path::new(VALID)).expect("valid");
    assert_eq!(content.courses.len(), 2);
    assert_eq!(content.hash.len(), 64);
}

#[test]
fn a_translation_missing_one_lesson_is_reported_rather_than_silently_falling_back() {
    let problems = problems_after(|root| {
        fs::remove_file(root.join("sample-course/fr/third-lesson.md")).expect("remove");
    });
    assert_one(
        &problems,
        &format!("{COURSE}:26"),
        "lesson `third-lesson` has no `fr` translation (fr/third-lesson.md)",
    );
}

#[test]
fn the_check_warns_when_stated_minutes_and_length_disagree() {
    let content = load_dir(Path::new(VALID)).expect("valid");
    let warnings: Vec<String> =
        academy_courses::content::lint::warnings(Path::new("courses"), &content)
            .iter()
            .map(ToString::to_string)
            .collect();
    assert!(
        warnings.contains(
            &"courses/sample-course/en/first-lesson.md:1: warning: `minutes = 10` is far more \
              than the 1 minutes its 17 words take to read (at most 6 more for exercises)"
                .to_owned()
        ),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.ends_with("words: a lesson teaches with at least 600")),
        "{warnings:#?}"
    );
}

#[test]
fn a_lesson_listed_without_its_file_is_a_broken_reference() {
    let problems = problems_after(|root| {
        fs::remove_file(root.join("sample-course/en/third-lesson.md")).expect("rm")
    });
    assert_one(
        &problems,
        &format!("{COURSE}:26"),
        "lesson `third-lesson` has no file en/third-lesson.md",
    );
}

#[test]
fn a_quiz_listed_without_its_file_is_a_broken_reference() {
    let problems = problems_after(|root| {
        replace(
            root,
            COURSE,
            "quizzes = [\"basics-check\"]",
            "quizzes = [\"basics-check\", \"missing-quiz\"]",
        )
    });
    assert_one(
        &problems,
        &format!("{COURSE}:21"),
        "quiz `missing-quiz` has no file en/missing-quiz.quiz.toml",
    );
}

#[test]
fn a_file_not_listed_in_the_syllabus_is_reported() {
    let problems = problems_after(|root| {
        fs::write(
            root.join("sample-course/en/orphan.md"),
            "+++\ntitle = \"x\"\nminutes = 1\n+++\nText\n",
        )
        .expect("write")
    });
    assert_one(
        &problems,
        "sample-course/en/orphan.md:1",
        "lesson `orphan` is not listed",
    );
}

#[test]
fn a_duplicate_lesson_slug_is_reported_where_it_repeats() {
    let problems = problems_after(|root| {
        replace(
            root,
            COURSE,
            "lessons = [\"third-lesson\"]",
            "lessons = [\"third-lesson\", \"first-lesson\"]",
        )
    });
    assert_one(
        &problems,
        &format!("{COURSE}:26"),
        "duplicate lesson slug `first-lesson` (first listed on line 20)",
    );
}

#[test]
fn a_duplicate_module_slug_is_reported() {
    let problems =
        problems_after(|root| replace(root, COURSE, "slug = \"more\"", "slug = \"basics\""));
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("{COURSE}:24: duplicate module slug `basics`"))),
        "{problems:#?}"
    );
}

#[test]
fn a_missing_required_field_is_reported() {
    let problems = problems_after(|root| replace(root, COURSE, "level = \"introductory\"\n", ""));
    assert_one(&problems, &format!("{COURSE}:1"), "missing field `level`");
}

#[test]
fn a_misspelt_field_is_reported_at_its_line() {
    let problems =
        problems_after(|root| replace(root, COURSE, "estimated_minutes", "estimated_minute"));
    assert_one(
        &problems,
        &format!("{COURSE}:4"),
        "unknown field `estimated_minute`",
    );
}

#[test]
fn an_empty_lesson_is_reported_after_its_front_matter() {
    let problems = problems_after(|root| {
        fs::write(
            root.join("sample-course/en/third-lesson.md"),
            "+++\ntitle = \"Third\"\nminutes = 3\n+++\n\n  \n",
        )
        .expect("write")
    });
    assert_one(
        &problems,
        "sample-course/en/third-lesson.md:5",
        "the lesson is empty",
    );
}

#[test]
fn a_lesson_without_front_matter_is_reported() {
    let problems = problems_after(|root| {
        fs::write(
            root.join("sample-course/en/third-lesson.md"),
            "# Just text\n",
        )
        .expect("write")
    });
    assert_one(
        &problems,
        "sample-course/en/third-lesson.md:1",
        "a lesson starts with TOML front matter",
    );
}

#[test]
fn unclosed_front_matter_is_reported() {
    let problems = problems_after(|root| {
        replace(
            root,
            "sample-course/en/third-lesson.md",
            "minutes = 10\n+++",
            "minutes = 10\n",
        )
    });
    assert_one(
        &problems,
        "sample-course/en/third-lesson.md:1",
        "not closed",
    );
}

#[test]
fn zero_minutes_is_reported_at_its_line_in_the_lesson() {
    let problems = problems_after(|root| {
        replace(
            root,
            "sample-course/en/third-lesson.md",
            "minutes = 10",
            "minutes = 0",
        )
    });
    assert_one(
        &problems,
        "sample-course/en/third-lesson.md:3",
        "minutes must be",
    );
}

#[test]
fn a_single_choice_question_without_a_correct_answer_is_reported() {
    let problems = problems_after(|root| {
        replace(
            root,
            "sample-course/en/basics-check.quiz.toml",
            "text = \"State reports\", correct = true",
            "text = \"State reports\"",
        )
    });
    assert_one(
        &problems,
        "sample-course/en/basics-check.quiz.toml:9",
        "has no correct answer",
    );
}

#[test]
fn a_single_choice_question_with_two_correct_answers_is_reported() {
    let problems = problems_after(|root| {
        replace(
            root,
            "sample-course/en/basics-check.quiz.toml",
            "text = \"Football results\"",
            "text = \"Football results\", correct = true",
        )
    });
    assert_one(
        &problems,
        "sample-course/en/basics-check.quiz.toml:9",
        "exactly one correct choice, not 2",
    );
}

#[test]
fn a_true_false_question_without_an_answer_is_reported() {
    let problems = problems_after(|root| {
        replace(
            root,
            "sample-course/en/basics-check.quiz.toml",
            "answer = false\n",
            "",
        )
    });
    assert_one(
        &problems,
        "sample-course/en/basics-check.quiz.toml:25",
        "has no correct answer",
    );
}

#[test]
fn a_duplicate_question_id_is_reported() {
    let problems = problems_after(|root| {
        replace(
            root,
            "sample-course/en/basics-check.quiz.toml",
            "id = \"sources\"",
            "id = \"what-they-review\"",
        )
    });
    assert!(
        problems
            .iter()
            .any(|p| p
                .starts_with("sample-course/en/basics-check.quiz.toml:15: duplicate question id")),
        "{problems:#?}"
    );
}

#[test]
fn a_pass_mark_above_100_is_reported() {
    let problems = problems_after(|root| {
        replace(
            root,
            "sample-course/en/basics-check.quiz.toml",
            "pass_mark = 60",
            "pass_mark = 160",
        )
    });
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("sample-course/en/basics-check.quiz.toml:2: pass_mark")),
        "{problems:#?}"
    );
}

#[test]
fn a_translated_quiz_with_other_answers_is_reported() {
    let problems = problems_after(|root| {
        replace(
            root,
            "sample-course/fr/basics-check.quiz.toml",
            "answer = false",
            "answer = true",
        )
    });
    assert_one(
        &problems,
        "sample-course/fr/basics-check.quiz.toml:26",
        "does not match question 3 of the default language",
    );
}

#[test]
fn an_unknown_language_tag_is_reported() {
    let problems = problems_after(|root| {
        replace(
            root,
            COURSE,
            "fr = \"Cours d'exemple\"",
            "fr = \"Cours d'exemple\"\nxx = \"?\"",
        )
    });
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("{COURSE}:12: unknown language tag `xx`"))),
        "{problems:#?}"
    );
}

#[test]
fn an_unknown_default_language_is_reported() {
    let problems = problems_after(|root| {
        replace(
            root,
            COURSE,
            "default_language = \"en\"",
            "default_language = \"english\"",
        )
    });
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("{COURSE}:2: unknown language tag `english`"))),
        "{problems:#?}"
    );
}

#[test]
fn an_unknown_language_folder_is_reported() {
    let problems =
        problems_after(|root| fs::create_dir(root.join("sample-course/de")).expect("mkdir"));
    assert_one(
        &problems,
        "sample-course/de:1",
        "unknown language folder `de`",
    );
}

#[test]
fn an_unknown_mechanism_is_reported() {
    let problems =
        problems_after(|root| replace(root, COURSE, "\"ohchr\"]", "\"security-council\"]"));
    assert_one(
        &problems,
        &format!("{COURSE}:7"),
        "unknown mechanism `security-council`",
    );
}

#[test]
fn a_slug_that_differs_from_the_folder_is_reported() {
    let problems = problems_after(|root| {
        replace(
            root,
            COURSE,
            "slug = \"sample-course\"",
            "slug = \"another-course\"",
        )
    });
    assert_one(
        &problems,
        &format!("{COURSE}:1"),
        "must match its folder name `sample-course`",
    );
}

#[test]
fn an_invalid_slug_is_reported() {
    let problems =
        problems_after(|root| replace(root, COURSE, "slug = \"more\"", "slug = \"More Stuff\""));
    assert_one(&problems, &format!("{COURSE}:24"), "is not a valid slug");
}

#[test]
fn a_missing_title_in_the_default_language_is_reported() {
    let problems = problems_after(|root| {
        replace(root, COURSE, "en = \"Sample course\"\n", "");
        replace(root, COURSE, "en = \"A small course for tests.\"\n", "");
    });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("title is missing in the default language `en`")),
        "{problems:#?}"
    );
}

#[test]
fn a_module_without_a_title_in_a_course_language_is_reported() {
    let problems = problems_after(|root| {
        replace(
            root,
            COURSE,
            "title = { en = \"More\", fr = \"Plus\" }",
            "title = { en = \"More\" }",
        )
    });
    assert_one(
        &problems,
        &format!("{COURSE}:25"),
        "module `more` has no title in `fr`",
    );
}

#[test]
fn a_language_folder_without_a_course_title_is_reported() {
    let problems = problems_after(|root| {
        fs::create_dir(root.join("cohort-course/fr")).expect("mkdir");
        fs::copy(
            root.join("cohort-course/en/welcome.md"),
            root.join("cohort-course/fr/welcome.md"),
        )
        .expect("copy");
    });
    assert_one(
        &problems,
        "cohort-course/fr:1",
        "folder `fr/` has no course title in `fr`",
    );
}

#[test]
fn a_toml_syntax_error_is_reported_at_its_line() {
    let problems = problems_after(|root| replace(root, COURSE, "order = 1", "order = = 1"));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with(&format!("{COURSE}:6: ")),
        "{problems:#?}"
    );
}

#[test]
fn a_course_folder_without_course_toml_is_reported() {
    let problems =
        problems_after(|root| fs::remove_file(root.join("cohort-course/course.toml")).expect("rm"));
    assert_one(
        &problems,
        "cohort-course/course.toml:1",
        "missing course.toml",
    );
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let problems = problems_after(|root| {
        replace(root, COURSE, "\"ohchr\"]", "\"nope\"]");
        replace(
            root,
            "sample-course/en/third-lesson.md",
            "minutes = 10",
            "minutes = -1",
        );
        fs::remove_file(root.join("cohort-course/course.toml")).expect("rm");
    });
    assert_eq!(problems.len(), 3, "{problems:#?}");
}
