//! The change feed of the live statistics (`academy_stats::live`): the database itself writes,
//! by triggers, a row naming the account whenever something the reach statistics count about
//! a person changes other than by a learning event — a profile field they are counted by, an
//! erasure, an enrolment, a course completion. Learning events need no row: each server reads
//! new `progress_events` by id. Every server reads this feed by id and re-reads the accounts
//! named, so a change made by any node is counted on all of them within seconds; rows are
//! pruned after an hour. A row holds the account's number and a time, nothing else.
//!
//! Triggers on both engines fire only for a real change (`WHEN`), so the per-event upserts of
//! the progress writers, which leave enrolments and completions as they are, add nothing.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The SQLite triggers: `now` in Unix seconds.
const SQLITE_UP: &str = "
CREATE TRIGGER stats_profile_changed AFTER UPDATE OF country, gender, organisation_type, language, erased_at ON users
WHEN OLD.country IS NOT NEW.country OR OLD.gender IS NOT NEW.gender
  OR OLD.organisation_type IS NOT NEW.organisation_type OR OLD.language IS NOT NEW.language
  OR OLD.erased_at IS NOT NEW.erased_at
BEGIN INSERT INTO stats_changes (user_id, changed_at) VALUES (NEW.id, CAST(strftime('%s', 'now') AS INTEGER)); END;
CREATE TRIGGER stats_enrolment_added AFTER INSERT ON enrolments
BEGIN INSERT INTO stats_changes (user_id, changed_at) VALUES (NEW.user_id, CAST(strftime('%s', 'now') AS INTEGER)); END;
CREATE TRIGGER stats_enrolment_changed AFTER UPDATE OF status ON enrolments
WHEN OLD.status IS NOT NEW.status
BEGIN INSERT INTO stats_changes (user_id, changed_at) VALUES (NEW.user_id, CAST(strftime('%s', 'now') AS INTEGER)); END;
CREATE TRIGGER stats_enrolment_removed AFTER DELETE ON enrolments
BEGIN INSERT INTO stats_changes (user_id, changed_at) VALUES (OLD.user_id, CAST(strftime('%s', 'now') AS INTEGER)); END;
CREATE TRIGGER stats_completion_added AFTER INSERT ON course_progress
WHEN NEW.completed_at IS NOT NULL
BEGIN INSERT INTO stats_changes (user_id, changed_at) VALUES (NEW.user_id, CAST(strftime('%s', 'now') AS INTEGER)); END;
CREATE TRIGGER stats_completion_changed AFTER UPDATE OF completed_at ON course_progress
WHEN OLD.completed_at IS NOT NEW.completed_at
BEGIN INSERT INTO stats_changes (user_id, changed_at) VALUES (NEW.user_id, CAST(strftime('%s', 'now') AS INTEGER)); END;
";

const SQLITE_DOWN: &str = "
DROP TRIGGER IF EXISTS stats_completion_changed;
DROP TRIGGER IF EXISTS stats_completion_added;
DROP TRIGGER IF EXISTS stats_enrolment_removed;
DROP TRIGGER IF EXISTS stats_enrolment_changed;
DROP TRIGGER IF EXISTS stats_enrolment_added;
DROP TRIGGER IF EXISTS stats_profile_changed;
";

const POSTGRES_UP: &str = "
CREATE FUNCTION academy_stats_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_changes (user_id, changed_at) VALUES (NEW.id, extract(epoch FROM now())::bigint);
  RETURN NULL;
END $$;
CREATE FUNCTION academy_stats_person_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO stats_changes (user_id, changed_at) VALUES (OLD.user_id, extract(epoch FROM now())::bigint);
  ELSE
    INSERT INTO stats_changes (user_id, changed_at) VALUES (NEW.user_id, extract(epoch FROM now())::bigint);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER stats_profile_changed AFTER UPDATE OF country, gender, organisation_type, language, erased_at ON users
  FOR EACH ROW WHEN (OLD.country IS DISTINCT FROM NEW.country OR OLD.gender IS DISTINCT FROM NEW.gender
    OR OLD.organisation_type IS DISTINCT FROM NEW.organisation_type
    OR OLD.language IS DISTINCT FROM NEW.language OR OLD.erased_at IS DISTINCT FROM NEW.erased_at)
  EXECUTE FUNCTION academy_stats_account_changed();
CREATE TRIGGER stats_enrolment_added AFTER INSERT OR DELETE ON enrolments
  FOR EACH ROW EXECUTE FUNCTION academy_stats_person_changed();
CREATE TRIGGER stats_enrolment_changed AFTER UPDATE OF status ON enrolments
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION academy_stats_person_changed();
CREATE TRIGGER stats_completion_added AFTER INSERT ON course_progress
  FOR EACH ROW WHEN (NEW.completed_at IS NOT NULL)
  EXECUTE FUNCTION academy_stats_person_changed();
CREATE TRIGGER stats_completion_changed AFTER UPDATE OF completed_at ON course_progress
  FOR EACH ROW WHEN (OLD.completed_at IS DISTINCT FROM NEW.completed_at)
  EXECUTE FUNCTION academy_stats_person_changed();
";

const POSTGRES_DOWN: &str = "
DROP TRIGGER IF EXISTS stats_completion_changed ON course_progress;
DROP TRIGGER IF EXISTS stats_completion_added ON course_progress;
DROP TRIGGER IF EXISTS stats_enrolment_changed ON enrolments;
DROP TRIGGER IF EXISTS stats_enrolment_added ON enrolments;
DROP TRIGGER IF EXISTS stats_profile_changed ON users;
DROP FUNCTION IF EXISTS academy_stats_person_changed();
DROP FUNCTION IF EXISTS academy_stats_account_changed();
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("stats_changes")
                    .col(pk_auto("id"))
                    .col(integer("user_id"))
                    .col(big_integer("changed_at"))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("stats_changes_by_person", "user_id"),
            ("stats_changes_by_time", "changed_at"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("stats_changes")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        let triggers = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        manager
            .get_connection()
            .execute_unprepared(triggers)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let triggers = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        manager
            .get_connection()
            .execute_unprepared(triggers)
            .await?;
        manager
            .drop_table(Table::drop().table("stats_changes").to_owned())
            .await
    }
}
