//! An optional limit on a quiz's attempts per learner (`max_attempts` in the content format).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("quizzes")
                    .add_column(integer_null("max_attempts"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("quizzes")
                    .drop_column("max_attempts")
                    .to_owned(),
            )
            .await
    }
}
