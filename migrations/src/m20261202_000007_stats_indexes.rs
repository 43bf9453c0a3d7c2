//! Indexes for the reach statistics, which are read straight from the learning tables (no
//! aggregate copy to keep in step, nothing personal added): learning events by time with the
//! person and course (a count of distinct people in a period reads the index only), and
//! completions by time. The events' time index is replaced by the wider one, which serves the
//! same queries.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("progress_events_by_time")
                    .table("progress_events")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("progress_events_by_time_person")
                    .table("progress_events")
                    .col("occurred_at")
                    .col("user_id")
                    .col("course_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("course_progress_by_completion")
                    .table("course_progress")
                    .col("completed_at")
                    .col("user_id")
                    .col("course_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("course_progress_by_completion", "course_progress"),
            ("progress_events_by_time_person", "progress_events"),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("progress_events_by_time")
                    .table("progress_events")
                    .col("occurred_at")
                    .to_owned(),
            )
            .await
    }
}
