//! The `certificates` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    /// A random UUID: the certificate's public address.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: i32,
    pub course_id: i32,
    /// Its bit in the status list.
    pub status_index: i32,
    /// The random value whose salted hash is the credential's subject; given to the holder only.
    pub recipient: String,
    /// When the course was completed.
    pub awarded_at: DateTimeUtc,
    /// When the holder claimed it (and it was signed).
    pub claimed_at: Option<DateTimeUtc>,
    /// The language its page and texts are in, chosen when claiming.
    pub lang: Option<String>,
    /// Which data key sealed the credential.
    pub key_id: Option<String>,
    /// The signed credential (it may hold the name the holder chose), sealed.
    pub credential: Option<Vec<u8>>,
    /// Why staff revoked it, if they did.
    pub revocation_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
