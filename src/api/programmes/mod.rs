//! The enrolment and programme area: self-enrolment in courses; HRDAP editions; applications;
//! review, decisions and the cohort; notifications. Thin handlers over `academy-enrollment`.

mod applications;
mod editions;
mod enrolments;
mod notifications;
mod review;
pub mod views;

use academy_enrollment::EnrollmentError;

use crate::{api::errors::Failure, state::AppState};

/// The programme area's operations.
pub type Api = (
    enrolments::EnrolmentsApi,
    editions::EditionsApi,
    applications::ApplicationsApi,
    review::ReviewApi,
    notifications::NotificationsApi,
);

/// The programme area's operations over `state`.
pub fn api(state: &AppState) -> Api {
    (
        enrolments::EnrolmentsApi {
            state: state.clone(),
        },
        editions::EditionsApi {
            state: state.clone(),
        },
        applications::ApplicationsApi {
            state: state.clone(),
        },
        review::ReviewApi {
            state: state.clone(),
        },
        notifications::NotificationsApi {
            state: state.clone(),
        },
    )
}

impl From<EnrollmentError> for Failure {
    fn from(e: EnrollmentError) -> Self {
        let code = e.code();
        let message = e.to_string();
        match e {
            EnrollmentError::CourseNotFound(_)
            | EnrollmentError::ProgrammeNotFound(_)
            | EnrollmentError::ApplicationNotFound
            | EnrollmentError::NotificationNotFound => Failure::not_found(code, message),
            EnrollmentError::CohortOnly
            | EnrollmentError::NotAssigned
            | EnrollmentError::ConflictOfInterest => Failure::forbidden(code, message),
            EnrollmentError::Invalid { .. } | EnrollmentError::InvalidAnswer { .. } => {
                Failure::bad_request(code, message)
            }
            EnrollmentError::SlugTaken(_)
            | EnrollmentError::FormFrozen
            | EnrollmentError::ApplicationClosed
            | EnrollmentError::AlreadySubmitted
            | EnrollmentError::WrongState { .. }
            | EnrollmentError::CohortFull
            | EnrollmentError::WaitlistFull => Failure::conflict(code, message),
            EnrollmentError::Other(e) => Failure::internal(&e),
        }
    }
}
