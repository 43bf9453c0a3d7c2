//! Identity: pseudonymous accounts, their links to identity providers (hashed), roles, sessions
//! (only token hashes), pending sign-ins and the audit log. Accounts are never deleted: erasure
//! empties the row and keeps its id, so anonymous counts and other tables' references survive.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn to_user(table: &'static str, column: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to("users", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(pk_auto("id"))
                    .col(string_len_null("display_name", 80))
                    .col(string_len_null("language", 35))
                    .col(string_len_null("country", 20))
                    .col(string_len_null("gender", 20))
                    .col(string_len_null("organisation_type", 40))
                    .col(string_len_null("thematic_focus", 40))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("erased_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("user_identities")
                    .col(pk_auto("id"))
                    .col(integer("user_id"))
                    .col(string_len_uniq("subject_hash", 64))
                    .col(string_len("provider", 40))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut to_user("user_identities", "user_id"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("user_roles")
                    .col(integer("user_id"))
                    .col(string_len("role", 20))
                    .col(timestamp_with_time_zone("granted_at"))
                    .primary_key(Index::create().col("user_id").col("role"))
                    .foreign_key(&mut to_user("user_roles", "user_id"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(string_len("id", 36).primary_key())
                    .col(integer("user_id"))
                    .col(string_len_uniq("token_hash", 64))
                    .col(string_len("kind", 10))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(&mut to_user("sessions", "user_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_by_user")
                    .table("sessions")
                    .col("user_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sign_in_states")
                    .col(string_len("state_hash", 64).primary_key())
                    .col(string_len("provider", 40))
                    .col(string_len("pkce_verifier", 128))
                    .col(string_len("nonce", 128))
                    .col(string_len("return_to", 512))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(pk_auto("id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(integer_null("actor_id"))
                    .col(string_len("action", 40))
                    .col(integer_null("subject_id"))
                    .col(string_len_null("detail", 200))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "audit_log",
            "sign_in_states",
            "sessions",
            "user_roles",
            "user_identities",
            "users",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
