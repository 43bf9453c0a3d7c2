//! Learning progress: every event as recorded (offline ones included, deduplicated by the
//! client's id), and the state it leaves per lesson, per quiz and per course, kept up to date
//! in the same transaction as the event, so reads never replay events.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cascade(
    table: &'static str,
    column: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("progress_events")
                    .col(pk_auto("id"))
                    .col(integer("user_id"))
                    .col(string_len("event_id", 36))
                    .col(integer("course_id"))
                    .col(string_len("item_kind", 10))
                    .col(string_len("item_slug", 80))
                    .col(string_len("verb", 12))
                    .col(integer_null("score"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut cascade("progress_events", "user_id", "users"))
                    .foreign_key(&mut cascade("progress_events", "course_id", "courses"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("progress_events_once")
                    .table("progress_events")
                    .col("user_id")
                    .col("event_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("progress_events_by_time")
                    .table("progress_events")
                    .col("occurred_at")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("lesson_progress")
                    .col(integer("user_id"))
                    .col(integer("course_id"))
                    .col(string_len("lesson_slug", 80))
                    .col(timestamp_with_time_zone("opened_at"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .primary_key(
                        Index::create()
                            .col("user_id")
                            .col("course_id")
                            .col("lesson_slug"),
                    )
                    .foreign_key(&mut cascade("lesson_progress", "user_id", "users"))
                    .foreign_key(&mut cascade("lesson_progress", "course_id", "courses"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("quiz_results")
                    .col(integer("user_id"))
                    .col(integer("course_id"))
                    .col(string_len("quiz_slug", 80))
                    .col(integer("attempts"))
                    .col(integer("best_score"))
                    .col(timestamp_with_time_zone_null("passed_at"))
                    .col(timestamp_with_time_zone("last_attempt_at"))
                    .primary_key(
                        Index::create()
                            .col("user_id")
                            .col("course_id")
                            .col("quiz_slug"),
                    )
                    .foreign_key(&mut cascade("quiz_results", "user_id", "users"))
                    .foreign_key(&mut cascade("quiz_results", "course_id", "courses"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("quiz_attempts")
                    .col(pk_auto("id"))
                    .col(integer("user_id"))
                    .col(integer("course_id"))
                    .col(string_len("quiz_slug", 80))
                    .col(integer("score"))
                    .col(boolean("passed"))
                    .col(text("answers"))
                    .col(timestamp_with_time_zone("attempted_at"))
                    .foreign_key(&mut cascade("quiz_attempts", "user_id", "users"))
                    .foreign_key(&mut cascade("quiz_attempts", "course_id", "courses"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("quiz_attempts_by_learner")
                    .table("quiz_attempts")
                    .col("user_id")
                    .col("course_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("course_progress")
                    .col(integer("user_id"))
                    .col(integer("course_id"))
                    .col(timestamp_with_time_zone("started_at"))
                    .col(timestamp_with_time_zone("last_activity_at"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .primary_key(Index::create().col("user_id").col("course_id"))
                    .foreign_key(&mut cascade("course_progress", "user_id", "users"))
                    .foreign_key(&mut cascade("course_progress", "course_id", "courses"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "course_progress",
            "quiz_attempts",
            "quiz_results",
            "lesson_progress",
            "progress_events",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
