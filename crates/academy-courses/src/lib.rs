//! Course content for the ISHR Academy: the content format and its validation, the import into
//! the database, and the in-memory catalog that the API serves from.

pub mod catalog;
pub mod content;
pub mod entity;
mod hash;
pub mod import;
mod import_items;
pub mod markdown;
pub mod vocab;

pub use hash::sha256_hex;
