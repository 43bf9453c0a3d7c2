//! sea-orm entities of the course content tables (see the migrations for the schema). Plain
//! row types: the behaviour lives in `import` and `catalog`.

pub mod content_version;
pub mod course;
pub mod course_mechanism;
pub mod course_translation;
pub mod lesson;
pub mod lesson_translation;
pub mod module;
pub mod module_translation;
pub mod quiz;
pub mod quiz_question;
pub mod quiz_translation;
