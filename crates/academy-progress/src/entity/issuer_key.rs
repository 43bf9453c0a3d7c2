//! The `issuer_keys` table: every public key certificates were signed with.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "issuer_keys")]
pub struct Model {
    /// Multibase (`z6Mk…`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub public_key: String,
    pub added_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
