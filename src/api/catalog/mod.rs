//! The catalog area: the course list, a course's syllabus, lessons, quizzes (never their
//! answers) and the mechanism vocabulary. Public content needs no account.

mod courses;
mod lessons;
mod quizzes;
pub mod views;

use std::sync::Arc;

use academy_courses::catalog::{CourseEntry, ReadError, Reader, Resolved};

use super::errors::Failure;
use crate::{
    http::conditional::{Sharing, body_cache},
    state::AppState,
};

/// The catalog's operations.
pub type Api = (
    courses::CoursesApi,
    lessons::LessonsApi,
    quizzes::QuizzesApi,
);

/// The catalog's operations over `state`, sharing one cache of serialised bodies.
pub fn api(state: &AppState) -> Api {
    let bodies = body_cache();
    (
        courses::CoursesApi {
            state: state.clone(),
            bodies: bodies.clone(),
        },
        lessons::LessonsApi {
            state: state.clone(),
            bodies: bodies.clone(),
        },
        quizzes::QuizzesApi {
            state: state.clone(),
            bodies,
        },
    )
}

impl From<ReadError> for Failure {
    fn from(error: ReadError) -> Self {
        let code = match error {
            ReadError::CourseNotFound(_) => "course_not_found",
            ReadError::LessonNotFound { .. } => "lesson_not_found",
            ReadError::QuizNotFound { .. } => "quiz_not_found",
        };
        Failure::not_found(code, error.to_string())
    }
}

/// The course `slug` if `reader` may read it.
fn course(state: &AppState, slug: &str, reader: &Reader) -> Result<Arc<CourseEntry>, Failure> {
    Ok(state.catalog().readable(slug, reader)?.clone())
}

/// Who may keep copies of what `reader` is shown.
fn sharing(reader: &Reader) -> Sharing {
    if reader.sees_public_only() {
        Sharing::Public
    } else {
        Sharing::Private
    }
}

/// The ETag part naming a resolved language.
fn resolved_tag(resolved: Resolved) -> String {
    format!(
        "{}{}",
        resolved.language,
        if resolved.fallback { "~" } else { "" }
    )
}
