//! Enrolment and the HRDAP programme: course enrolments, programme editions with their courses
//! and trainers, applications (sensitive answers sealed in `application_secrets`), reviews,
//! in-app notifications and the e-mail outbox.
//!
//! The invariants live here: one enrolment per person and course, one application per person
//! and edition, one review per reviewer and application (unique keys); capacity through the
//! edition's counters, changed only by conditional updates (`participants < places`).

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

fn index(name: &str, table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("enrolments")
                    .col(pk_auto("id"))
                    .col(integer("user_id"))
                    .col(integer("course_id"))
                    .col(string_len("source", 12))
                    .col(string_len("status", 12))
                    .col(timestamp_with_time_zone("enrolled_at"))
                    .col(timestamp_with_time_zone_null("left_at"))
                    .foreign_key(&mut cascade("enrolments", "user_id", "users"))
                    .foreign_key(&mut cascade("enrolments", "course_id", "courses"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("enrolments_once", "enrolments", &["user_id", "course_id"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("enrolments_by_course", "enrolments", &["course_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("programmes")
                    .col(pk_auto("id"))
                    .col(string_len_uniq("slug", 80))
                    .col(text("texts"))
                    .col(timestamp_with_time_zone("opens_at"))
                    .col(timestamp_with_time_zone("closes_at"))
                    .col(integer("places"))
                    .col(integer("waitlist_length"))
                    .col(integer("participants").default(0))
                    .col(integer("waitlisted").default(0))
                    .col(integer("waitlist_next").default(1))
                    .col(integer("offer_reply_days"))
                    .col(boolean("blind_review"))
                    .col(text("form"))
                    .col(boolean("form_frozen").default(false))
                    .col(text("criteria"))
                    .col(text("key_dates"))
                    .col(timestamp_with_time_zone_null("selection_final_at"))
                    .col(integer("version").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .check(Expr::col("participants").gte(0))
                    .check(Expr::col("participants").lte(Expr::col("places")))
                    .check(Expr::col("waitlisted").gte(0))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("programme_courses")
                    .col(integer("programme_id"))
                    .col(integer("course_id"))
                    .col(integer("position"))
                    .primary_key(Index::create().col("programme_id").col("course_id"))
                    .foreign_key(&mut cascade(
                        "programme_courses",
                        "programme_id",
                        "programmes",
                    ))
                    .foreign_key(&mut cascade("programme_courses", "course_id", "courses"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("programme_trainers")
                    .col(integer("programme_id"))
                    .col(integer("user_id"))
                    .primary_key(Index::create().col("programme_id").col("user_id"))
                    .foreign_key(&mut cascade(
                        "programme_trainers",
                        "programme_id",
                        "programmes",
                    ))
                    .foreign_key(&mut cascade("programme_trainers", "user_id", "users"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("applications")
                    .col(pk_auto("id"))
                    .col(integer("programme_id"))
                    .col(integer("user_id"))
                    .col(string_len("status", 12))
                    .col(string_len("language", 35))
                    .col(text("answers"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("submitted_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(timestamp_with_time_zone_null("offer_expires_at"))
                    .col(timestamp_with_time_zone_null("reminded_at"))
                    .col(integer_null("waitlist_rank"))
                    .foreign_key(&mut cascade("applications", "programme_id", "programmes"))
                    .foreign_key(&mut cascade("applications", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "applications_once",
                    "applications",
                    &["programme_id", "user_id"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "applications_by_status",
                "applications",
                &["programme_id", "status"],
            ))
            .await?;
        manager
            .create_index(index("applications_by_user", "applications", &["user_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("application_secrets")
                    .col(pk_auto("id"))
                    .col(integer("application_id"))
                    .col(string_len("question_id", 64))
                    .col(string_len("key_id", 16))
                    .col(blob("sealed"))
                    .foreign_key(&mut cascade(
                        "application_secrets",
                        "application_id",
                        "applications",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "application_secrets_once",
                    "application_secrets",
                    &["application_id", "question_id"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "application_secrets_by_key",
                "application_secrets",
                &["key_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("reviews")
                    .col(integer("application_id"))
                    .col(integer("reviewer_id"))
                    .col(text("scores"))
                    .col(text_null("comment"))
                    .col(boolean("conflict"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("application_id").col("reviewer_id"))
                    .foreign_key(&mut cascade("reviews", "application_id", "applications"))
                    .foreign_key(&mut cascade("reviews", "reviewer_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("reviews_by_reviewer", "reviews", &["reviewer_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("notifications")
                    .col(pk_auto("id"))
                    .col(integer("user_id"))
                    .col(string_len("kind", 40))
                    .col(integer_null("programme_id"))
                    .col(text("detail"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .foreign_key(&mut cascade("notifications", "user_id", "users"))
                    .foreign_key(&mut cascade("notifications", "programme_id", "programmes"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "notifications_by_user",
                "notifications",
                &["user_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .col(pk_auto("id"))
                    .col(integer("user_id"))
                    .col(integer("application_id"))
                    .col(string_len("kind", 40))
                    .col(string_len("language", 35))
                    .col(text("subject"))
                    .col(text("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(integer("attempts").default(0))
                    .col(string_len_null("claim", 36))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(string_len_null("last_error", 200))
                    .foreign_key(&mut cascade("outbox", "user_id", "users"))
                    .foreign_key(&mut cascade("outbox", "application_id", "applications"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "outbox_due",
                "outbox",
                &["sent_at", "next_attempt_at"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "outbox",
            "notifications",
            "reviews",
            "application_secrets",
            "applications",
            "programme_trainers",
            "programme_courses",
            "programmes",
            "enrolments",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
