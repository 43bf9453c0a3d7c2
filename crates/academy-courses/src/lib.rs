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

/// The tables of this crate, none of which holds personal data: they are the published course
/// content and the record of its imports.
pub const IMPERSONAL_TABLES: &[(&str, &str)] = &[
    ("content_versions", "which content was imported when"),
    ("courses", "published course content"),
    ("course_translations", "published course content"),
    ("course_mechanisms", "published course content"),
    ("modules", "published course content"),
    ("module_translations", "published course content"),
    ("lessons", "published course content"),
    ("lesson_translations", "published course content"),
    ("quizzes", "published course content"),
    ("quiz_translations", "published course content"),
    ("quiz_questions", "published course content"),
];
