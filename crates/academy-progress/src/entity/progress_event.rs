//! The `progress_events` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "progress_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    /// The id the client gave the event (a UUID), unique per person.
    pub event_id: String,
    pub course_id: i32,
    /// `lesson` or `quiz`.
    pub item_kind: String,
    pub item_slug: String,
    /// An xAPI verb: `experienced`, `completed`, `passed`, `failed`.
    pub verb: String,
    pub score: Option<i32>,
    pub occurred_at: DateTimeUtc,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
