//! On PostgreSQL, the database announces every change that can end a session or change what
//! its holder may do (a session deleted or its expiry changed, a role granted, changed or
//! revoked) on channel `academy_sessions_changed`, at the commit of the change: each server
//! listens and forgets the sessions it keeps in memory (see `academy_identity::session_cache`).
//! Row triggers, so a statement that changes nothing announces nothing; PostgreSQL sends one
//! notice per transaction however many rows change. Nothing on SQLite, which is served by one
//! process.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = "
CREATE FUNCTION academy_sessions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('academy_sessions_changed', '');
  RETURN NULL;
END $$;
CREATE TRIGGER sessions_changed AFTER DELETE OR UPDATE OF expires_at, user_id, token_hash
  ON sessions FOR EACH ROW EXECUTE FUNCTION academy_sessions_changed();
CREATE TRIGGER user_roles_changed AFTER INSERT OR UPDATE OR DELETE
  ON user_roles FOR EACH ROW EXECUTE FUNCTION academy_sessions_changed();
";

const DOWN: &str = "
DROP TRIGGER IF EXISTS user_roles_changed ON user_roles;
DROP TRIGGER IF EXISTS sessions_changed ON sessions;
DROP FUNCTION IF EXISTS academy_sessions_changed();
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
