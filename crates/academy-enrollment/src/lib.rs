//! Enrolment and the Human Rights Defender Advocacy Programme (HRDAP): self-enrolment in public
//! courses; programme editions with an application form, a window, places and a waitlist;
//! applications with sensitive answers sealed at rest; review by the edition's trainers;
//! decisions, offers with a reply deadline and automatic waitlist promotion; the cohort; in-app
//! notifications and an e-mail outbox. No HTTP types here.
//!
//! Invariants are kept by the database: unique keys (one enrolment per person and course, one
//! application per person and edition, one review per reviewer and application) and
//! conditional updates on the edition's counters (a place is taken only by
//! `UPDATE … SET participants = participants + 1 WHERE participants < places`). Every write
//! transaction starts by writing the edition's row, which serialises the transactions of one
//! edition on PostgreSQL (a row lock) and takes SQLite's write lock before anything is read.

pub mod application;
pub mod cohort;
pub mod crypto;
pub mod enrolment;
pub mod entity;
pub mod form;
pub mod jobs;
pub mod mail;
pub mod notify;
pub mod privacy;
pub mod programme;
pub mod review;
mod status;

pub use crypto::DataKeys;
pub use status::Status;

/// Why an enrolment or programme operation was refused. Each variant has a stable
/// [`code`](EnrollmentError::code); the message is for people.
#[derive(Debug, thiserror::Error)]
pub enum EnrollmentError {
    #[error("There is no course `{0}`.")]
    CourseNotFound(String),
    #[error("This course is open only to the participants of a programme cohort.")]
    CohortOnly,
    #[error("There is no programme edition `{0}`.")]
    ProgrammeNotFound(String),
    #[error("There is no such application.")]
    ApplicationNotFound,
    #[error("There is no such notification.")]
    NotificationNotFound,
    #[error("Only the trainers assigned to this edition (and staff) may do this.")]
    NotAssigned,
    #[error("You declared a conflict of interest with this application.")]
    ConflictOfInterest,
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("Question `{question}`: {problem}")]
    InvalidAnswer { question: String, problem: String },
    #[error("An edition with the slug `{0}` exists already.")]
    SlugTaken(String),
    #[error("The application form cannot change once an application has been submitted.")]
    FormFrozen,
    #[error("Applications to this edition are not open now.")]
    ApplicationClosed,
    #[error("This application has been submitted already.")]
    AlreadySubmitted,
    #[error("{message}")]
    WrongState { code: &'static str, message: String },
    #[error("Every place of this cohort is taken.")]
    CohortFull,
    #[error("The waitlist of this edition is full.")]
    WaitlistFull,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl EnrollmentError {
    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            EnrollmentError::CourseNotFound(_) => "course_not_found",
            EnrollmentError::CohortOnly => "cohort_only",
            EnrollmentError::ProgrammeNotFound(_) => "programme_not_found",
            EnrollmentError::ApplicationNotFound => "application_not_found",
            EnrollmentError::NotificationNotFound => "notification_not_found",
            EnrollmentError::NotAssigned => "not_assigned",
            EnrollmentError::ConflictOfInterest => "conflict_of_interest",
            EnrollmentError::Invalid { code, .. } | EnrollmentError::WrongState { code, .. } => {
                code
            }
            EnrollmentError::InvalidAnswer { .. } => "invalid_answer",
            EnrollmentError::SlugTaken(_) => "slug_taken",
            EnrollmentError::FormFrozen => "form_frozen",
            EnrollmentError::ApplicationClosed => "application_closed",
            EnrollmentError::AlreadySubmitted => "already_submitted",
            EnrollmentError::CohortFull => "cohort_full",
            EnrollmentError::WaitlistFull => "waitlist_full",
            EnrollmentError::Other(_) => "internal",
        }
    }

    pub(crate) fn invalid(code: &'static str, message: impl Into<String>) -> EnrollmentError {
        EnrollmentError::Invalid {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn state(code: &'static str, message: impl Into<String>) -> EnrollmentError {
        EnrollmentError::WrongState {
            code,
            message: message.into(),
        }
    }
}

impl From<sea_orm::DbErr> for EnrollmentError {
    fn from(e: sea_orm::DbErr) -> Self {
        EnrollmentError::Other(e.into())
    }
}

/// What the programme workflow needs besides the database: the data keys, the settings, and
/// whether e-mail is configured (without it, nothing is queued in the outbox).
#[derive(Debug)]
pub struct Workflow {
    pub keys: DataKeys,
    pub settings: Settings,
    pub mail: bool,
}

/// Settings of the programme workflow.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Unsuccessful applications are deleted this many days after an edition's selection is
    /// final.
    pub retention_days: u32,
    /// Reminders go out this long before an offer expires.
    pub reminder_before: chrono::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            retention_days: 180,
            reminder_before: chrono::Duration::hours(48),
        }
    }
}
