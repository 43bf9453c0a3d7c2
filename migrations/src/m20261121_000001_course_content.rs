//! Course content: courses, modules, lessons, quizzes, their translations, and the record of
//! every content import. Rows are keyed by slug and never deleted by an import: content that
//! disappears from `courses/` is marked `retired`, so learners' progress keeps its reference.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: (&'static str, &'static str), to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn translation_table(
    name: &'static str,
    owner: &'static str,
    owner_col: &'static str,
) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(integer(owner_col))
        .col(string_len("language", 8))
        .primary_key(Index::create().col(owner_col).col("language"))
        .foreign_key(&mut fk((name, owner_col), owner))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("content_versions")
                    .col(pk_auto("id"))
                    .col(string_len("hash", 64))
                    .col(timestamp_with_time_zone("imported_at"))
                    .col(integer("courses"))
                    .col(integer("lessons"))
                    .col(integer("quizzes"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("courses")
                    .col(pk_auto("id"))
                    .col(string_len_uniq("slug", 80))
                    .col(string_len("default_language", 8))
                    .col(string_len("level", 20))
                    .col(integer("estimated_minutes"))
                    .col(string_len("visibility", 10))
                    .col(integer("sort_order"))
                    .col(string_len("content_hash", 64))
                    .col(boolean("retired").default(false))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("course_mechanisms")
                    .col(integer("course_id"))
                    .col(string_len("mechanism", 40))
                    .primary_key(Index::create().col("course_id").col("mechanism"))
                    .foreign_key(&mut fk(("course_mechanisms", "course_id"), "courses"))
                    .to_owned(),
            )
            .await?;

        let mut course_translations =
            translation_table("course_translations", "courses", "course_id");
        course_translations.col(text("title")).col(text("summary"));
        manager.create_table(course_translations).await?;

        for (table, extra) in [
            ("modules", None),
            ("lessons", Some("minutes")),
            ("quizzes", Some("pass_mark")),
        ] {
            let mut create = Table::create();
            create
                .table(table)
                .col(pk_auto("id"))
                .col(integer("course_id"))
                .col(string_len("slug", 80))
                .col(integer("position"))
                .col(boolean("retired").default(false))
                .foreign_key(&mut fk((table, "course_id"), "courses"));
            if table != "modules" {
                create
                    .col(integer("module_id"))
                    .foreign_key(&mut fk((table, "module_id"), "modules"));
            }
            if let Some(extra) = extra {
                create.col(integer(extra));
            }
            manager.create_table(create.to_owned()).await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("{table}_course_slug"))
                        .table(table)
                        .col("course_id")
                        .col("slug")
                        .unique()
                        .to_owned(),
                )
                .await?;
        }

        let mut module_translations =
            translation_table("module_translations", "modules", "module_id");
        module_translations.col(text("title"));
        manager.create_table(module_translations).await?;

        let mut lesson_translations =
            translation_table("lesson_translations", "lessons", "lesson_id");
        lesson_translations
            .col(text("title"))
            .col(text("markdown"))
            .col(text("html"))
            .col(string_len("content_hash", 64));
        manager.create_table(lesson_translations).await?;

        let mut quiz_translations = translation_table("quiz_translations", "quizzes", "quiz_id");
        quiz_translations.col(text("title")).col(text("questions"));
        manager.create_table(quiz_translations).await?;

        manager
            .create_table(
                Table::create()
                    .table("quiz_questions")
                    .col(pk_auto("id"))
                    .col(integer("quiz_id"))
                    .col(string_len("key", 80))
                    .col(integer("position"))
                    .col(string_len("kind", 12))
                    .col(text("answer"))
                    .col(boolean("retired").default(false))
                    .foreign_key(&mut fk(("quiz_questions", "quiz_id"), "quizzes"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("quiz_questions_quiz_key")
                    .table("quiz_questions")
                    .col("quiz_id")
                    .col("key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "quiz_questions",
            "quiz_translations",
            "lesson_translations",
            "module_translations",
            "quizzes",
            "lessons",
            "modules",
            "course_translations",
            "course_mechanisms",
            "courses",
            "content_versions",
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
