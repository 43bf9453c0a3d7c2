//! The `users` table: one pseudonymous account; emptied, never deleted, on erasure.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub display_name: Option<String>,
    pub language: Option<String>,
    pub country: Option<String>,
    pub gender: Option<String>,
    pub organisation_type: Option<String>,
    pub thematic_focus: Option<String>,
    pub created_at: DateTimeUtc,
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
