//! The `programmes` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "programmes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub slug: String,
    pub texts: String,
    pub opens_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    pub places: i32,
    pub waitlist_length: i32,
    pub participants: i32,
    pub waitlisted: i32,
    pub waitlist_next: i32,
    pub offer_reply_days: i32,
    pub blind_review: bool,
    pub form: String,
    pub form_frozen: bool,
    pub criteria: String,
    pub key_dates: String,
    pub selection_final_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
