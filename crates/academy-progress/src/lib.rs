//! Learning progress: lessons opened and completed, quizzes graded on the server (the best
//! result counts), courses completed, and offline work synced in batches. No HTTP types here.
//!
//! Every event is stored once (keyed by the client's id for it, so a replayed batch changes
//! nothing) with an xAPI verb (`experienced`, `completed`, `passed`, `failed`), and in the same
//! transaction the state it leaves is updated: per lesson, per quiz and per course. Events that
//! arrive together share one transaction and one commit (`recorder`), each in its own
//! savepoint, and are answered after the commit. Reads use that state and the current catalog,
//! never the event log: progress follows a lesson's slug across content edits, a retired lesson
//! stops counting, and a completion, recorded the moment it happens, is never taken away by a
//! lesson added later.

mod batch;
pub mod certificate;
pub mod entity;
pub mod grade;
pub mod privacy;
pub mod read;
pub mod record;
pub mod recorder;

use chrono::{DateTime, Utc};

/// An xAPI verb of a learning event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// Opened a lesson.
    Experienced,
    /// Completed a lesson.
    Completed,
    /// A quiz attempt that reached the pass mark.
    Passed,
    /// A quiz attempt below the pass mark.
    Failed,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Experienced => "experienced",
            Verb::Completed => "completed",
            Verb::Passed => "passed",
            Verb::Failed => "failed",
        }
    }

    /// The verb's IRI in the ADL vocabulary, for a learning record store.
    pub fn xapi_id(self) -> &'static str {
        match self {
            Verb::Experienced => "http://adlnet.gov/expapi/verbs/experienced",
            Verb::Completed => "http://adlnet.gov/expapi/verbs/completed",
            Verb::Passed => "http://adlnet.gov/expapi/verbs/passed",
            Verb::Failed => "http://adlnet.gov/expapi/verbs/failed",
        }
    }
}

/// Why progress could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum ProgressError {
    #[error("Course `{course}` has no lesson `{lesson}`.")]
    LessonNotFound { course: String, lesson: String },
    #[error("Course `{course}` has no quiz `{quiz}`.")]
    QuizNotFound { course: String, quiz: String },
    #[error("This quiz allows {0} attempt(s), and they are used.")]
    NoAttemptsLeft(u16),
    #[error("Question `{question}`: {problem}")]
    InvalidAnswer { question: String, problem: String },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for ProgressError {
    fn from(e: sea_orm::DbErr) -> Self {
        ProgressError::Other(e.into())
    }
}

/// What became of one recorded event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Accepted,
    /// An event with this id was recorded before: nothing changed.
    Duplicate,
}

/// When an event happened: the client's time, never later than now.
pub fn clamp(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    at.map_or(now, |at| at.min(now))
}
