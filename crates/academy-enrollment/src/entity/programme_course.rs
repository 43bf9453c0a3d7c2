//! The `programme_courses` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "programme_courses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub programme_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub course_id: i32,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
