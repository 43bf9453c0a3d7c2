//! The learning area: recording progress (online and offline), reading it back, and quiz
//! attempts graded on the server. Thin handlers over `academy-progress`.

mod attempts;
mod me;
pub mod views;

use academy_progress::ProgressError;

use crate::{api::errors::Failure, state::AppState};

/// The learning area's operations.
pub type Api = (me::ProgressApi, attempts::AttemptsApi);

pub fn api(state: &AppState) -> Api {
    (
        me::ProgressApi {
            state: state.clone(),
        },
        attempts::AttemptsApi {
            state: state.clone(),
        },
    )
}

impl From<ProgressError> for Failure {
    fn from(e: ProgressError) -> Self {
        let message = e.to_string();
        match e {
            ProgressError::LessonNotFound { .. } => Failure::not_found("lesson_not_found", message),
            ProgressError::QuizNotFound { .. } => Failure::not_found("quiz_not_found", message),
            ProgressError::InvalidAnswer { .. } => Failure::bad_request("invalid_answer", message),
            ProgressError::NoAttemptsLeft(_) => Failure::conflict("no_attempts_left", message),
            ProgressError::Other(e) => Failure::internal(&e),
        }
    }
}
