//! sea-orm entities of the progress tables (see the migration).

pub mod certificate;
pub mod certificate_status;
pub mod course_progress;
pub mod issuer_key;
pub mod lesson_progress;
pub mod progress_event;
pub mod quiz_attempt;
pub mod quiz_result;
