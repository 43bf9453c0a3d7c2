//! Certificates: one per person and completed course, awarded the moment the course is
//! completed and signed when its holder claims it (choosing the name printed on it); the
//! revocation bit of each in the status list; and every public key certificates were signed
//! with, so the issuer's DID document keeps listing a key after a rotation.
//!
//! A certificate's status row holds no person: erasure deletes the certificate and keeps its
//! bit set, so a copy someone kept reads as revoked.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("certificate_statuses")
                    .col(pk_auto("status_index"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("certificates")
                    .col(string_len("id", 36).primary_key())
                    .col(integer("user_id"))
                    .col(integer("course_id"))
                    .col(integer("status_index").unique_key())
                    .col(string_len("recipient", 64))
                    .col(timestamp_with_time_zone("awarded_at"))
                    .col(timestamp_with_time_zone_null("claimed_at"))
                    .col(string_len_null("lang", 16))
                    .col(string_len_null("key_id", 32))
                    .col(blob_null("credential"))
                    .col(text_null("revocation_reason"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("certificates", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("certificates", "course_id")
                            .to("courses", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("certificates", "status_index")
                            .to("certificate_statuses", "status_index"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("certificates_once_per_course")
                    .table("certificates")
                    .col("user_id")
                    .col("course_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("issuer_keys")
                    .col(string_len("public_key", 64).primary_key())
                    .col(timestamp_with_time_zone("added_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["issuer_keys", "certificates", "certificate_statuses"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
