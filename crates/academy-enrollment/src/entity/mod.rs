//! sea-orm entities of the enrolment tables (see the migration for the schema and its keys).

pub mod application;
pub mod application_secret;
pub mod enrolment;
pub mod notification;
pub mod outbox_message;
pub mod programme;
pub mod programme_course;
pub mod programme_trainer;
pub mod review;
