//! Importing content into the database: all-or-nothing, idempotent, identity-preserving.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::{fs, path::Path};

use academy_courses::{
    catalog::{Catalog, Reader},
    entity::{content_version, course, lesson},
    import::{ImportError, import_dir},
};
use academy_testing::{TestDb, storage_test};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

const VALID: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/valid");

/// A writable copy of the valid fixture.
fn content_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    academy_testing::copy_dir(Path::new(VALID), dir.path()).expect("copy the fixture");
    dir
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join(file);
    let text = fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} lacks {from:?}");
    fs::write(path, text.replacen(from, to, 1)).expect("write");
}

async fn lesson_row(db: &impl ConnectionTrait, slug: &str) -> lesson::Model {
    lesson::Entity::find()
        .filter(lesson::Column::Slug.eq(slug))
        .one(db)
        .await
        .expect("query")
        .expect("lesson row")
}

async fn versions(db: &impl ConnectionTrait) -> u64 {
    content_version::Entity::find()
        .count(db)
        .await
        .expect("count")
}

storage_test!(
    importing_loads_every_course_and_records_a_version,
    |t: TestDb| async move {
        let report = import_dir(&t.db, Path::new(VALID), |_, _, _| {})
            .await
            .expect("import");
        assert!(report.changed);
        assert_eq!(report.written, ["sample-course", "cohort-course"]);
        assert_eq!(versions(&t.db).await, 1);
        let catalog = Catalog::load(&t.db).await.expect("catalog");
        assert_eq!(
            catalog.version.as_ref().map(|v| v.hash.clone()),
            Some(report.version)
        );
        let course = catalog
            .readable("sample-course", &Reader::Anyone)
            .expect("public course");
        assert_eq!(course.lessons.len(), 3);
        assert_eq!(course.quizzes[0].questions.len(), 3);
        assert!(
            catalog
                .readable("cohort-course", &Reader::Anyone)
                .ok()
                .is_none(),
            "cohort courses are not in the public catalog"
        );
    }
);

storage_test!(
    reimporting_unchanged_content_writes_nothing,
    |t: TestDb| async move {
        let first = import_dir(&t.db, Path::new(VALID), |_, _, _| {})
            .await
            .expect("import");
        let before = lesson_row(&t.db, "first-lesson").await;
        let again = import_dir(&t.db, Path::new(VALID), |_, _, _| {})
            .await
            .expect("re-import");
        assert!(!again.changed);
        assert!(again.written.is_empty());
        assert_eq!(again.version, first.version);
        assert_eq!(versions(&t.db).await, 1, "no new version is recorded");
        assert_eq!(lesson_row(&t.db, "first-lesson").await, before);
    }
);

storage_test!(
    an_edited_lesson_keeps_its_identity,
    |t: TestDb| async move {
        let content = content_copy();
        import_dir(&t.db, content.path(), |_, _, _| {})
            .await
            .expect("import");
        let before = lesson_row(&t.db, "second-lesson").await;
        edit(
            content.path(),
            "sample-course/en/second-lesson.md",
            "independent information",
            "independent, reliable information",
        );
        let report = import_dir(&t.db, content.path(), |_, _, _| {})
            .await
            .expect("re-import");
        assert!(report.changed);
        assert_eq!(
            report.written,
            ["sample-course"],
            "only the edited course is written"
        );
        assert_eq!(lesson_row(&t.db, "second-lesson").await.id, before.id);
        assert_eq!(versions(&t.db).await, 2);
        let catalog = Catalog::load(&t.db).await.expect("catalog");
        let course = catalog
            .readable("sample-course", &Reader::Anyone)
            .expect("course");
        let text = &course.lessons[1].translations[&academy_courses::vocab::Language::English];
        assert!(text.markdown.contains("independent, reliable information"));
    }
);

storage_test!(
    a_removed_lesson_is_retired_and_comes_back_with_its_identity,
    |t: TestDb| async move {
        let content = content_copy();
        import_dir(&t.db, content.path(), |_, _, _| {})
            .await
            .expect("import");
        let original = lesson_row(&t.db, "third-lesson").await;

        edit(
            content.path(),
            "sample-course/course.toml",
            "lessons = [\"third-lesson\"]",
            "lessons = []\nquizzes = [\"basics-check\"]",
        );
        edit(
            content.path(),
            "sample-course/course.toml",
            "quizzes = [\"basics-check\"]\n\n",
            "\n",
        );
        for language in ["en", "fr"] {
            fs::remove_file(
                content
                    .path()
                    .join(format!("sample-course/{language}/third-lesson.md")),
            )
            .expect("rm");
        }
        import_dir(&t.db, content.path(), |_, _, _| {})
            .await
            .expect("import without the lesson");
        assert!(
            lesson_row(&t.db, "third-lesson").await.retired,
            "the row stays, retired"
        );
        let catalog = Catalog::load(&t.db).await.expect("catalog");
        assert!(
            catalog
                .readable("sample-course", &Reader::Anyone)
                .expect("course")
                .lesson_index("third-lesson")
                .is_none()
        );

        let restored = content_copy();
        import_dir(&t.db, restored.path(), |_, _, _| {})
            .await
            .expect("import with the lesson again");
        let back = lesson_row(&t.db, "third-lesson").await;
        assert_eq!(back.id, original.id);
        assert!(!back.retired);
    }
);

storage_test!(
    a_removed_course_is_retired_from_the_catalog,
    |t: TestDb| async move {
        let content = content_copy();
        import_dir(&t.db, content.path(), |_, _, _| {})
            .await
            .expect("import");
        fs::remove_dir_all(content.path().join("cohort-course")).expect("rm");
        let report = import_dir(&t.db, content.path(), |_, _, _| {})
            .await
            .expect("re-import");
        assert_eq!(report.retired, ["cohort-course"]);
        let row = course::Entity::find()
            .filter(course::Column::Slug.eq("cohort-course"))
            .one(&t.db)
            .await
            .expect("q");
        assert!(row.expect("row kept").retired);
    }
);

storage_test!(invalid_content_changes_nothing, |t: TestDb| async move {
    let content = content_copy();
    let first = import_dir(&t.db, content.path(), |_, _, _| {})
        .await
        .expect("import");
    let before = lesson_row(&t.db, "first-lesson").await;
    edit(
        content.path(),
        "sample-course/en/first-lesson.md",
        "review **State reports**",
        "review **everything**",
    );
    fs::write(
        content.path().join("sample-course/en/third-lesson.md"),
        "no front matter\n",
    )
    .expect("break a file");
    let result = import_dir(&t.db, content.path(), |_, _, _| {}).await;
    assert!(matches!(result, Err(ImportError::Invalid(_))), "{result:?}");
    assert_eq!(
        lesson_row(&t.db, "first-lesson").await,
        before,
        "the valid edit was not applied either"
    );
    assert_eq!(versions(&t.db).await, 1);
    let catalog = Catalog::load(&t.db).await.expect("catalog");
    assert_eq!(catalog.version.map(|v| v.hash), Some(first.version));
});

storage_test!(
    a_failure_halfway_through_the_import_rolls_everything_back,
    |t: TestDb| async move {
        // Break the storage of quiz texts, which are written after courses, modules and lessons.
        t.db.execute_unprepared("DROP TABLE quiz_translations")
            .await
            .expect("drop");
        let result = import_dir(&t.db, Path::new(VALID), |_, _, _| {}).await;
        assert!(matches!(result, Err(ImportError::Other(_))), "{result:?}");
        assert_eq!(
            course::Entity::find().count(&t.db).await.expect("count"),
            0,
            "no course was left behind"
        );
        assert_eq!(
            lesson::Entity::find().count(&t.db).await.expect("count"),
            0,
            "no lesson was left behind"
        );
        assert_eq!(versions(&t.db).await, 0);
    }
);
