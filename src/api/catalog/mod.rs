//! The catalog area: the course list, a course's syllabus, lessons, quizzes (never their
//! answers) and the mechanism vocabulary. Public content needs no account.

mod courses;
mod reading;
pub mod views;

use std::sync::Arc;

use academy_courses::catalog::{CourseEntry, ReadError, Reader, Resolved};

use poem::Request;
use poem_openapi::types::ToJSON;

use super::{errors::Failure, params::shown};
use crate::{
    http::conditional::{BodyCache, Content, Sharing, body_cache, etag, respond},
    state::AppState,
};

/// The catalog's operations.
pub type Api = (courses::CoursesApi, reading::ReadingApi);

/// The catalog's operations over `state`, sharing one cache of serialised bodies.
pub fn api(state: &AppState) -> Api {
    let bodies = body_cache();
    (
        courses::CoursesApi {
            state: state.clone(),
            bodies: bodies.clone(),
        },
        reading::ReadingApi {
            state: state.clone(),
            bodies,
        },
    )
}

impl From<ReadError> for Failure {
    fn from(error: ReadError) -> Self {
        // The slugs come from the path: shown only as a short, escaped prefix.
        let (code, message) = match &error {
            ReadError::CourseNotFound(course) => (
                "course_not_found",
                format!("there is no course `{}`", shown(course)),
            ),
            ReadError::LessonNotFound { course, lesson } => (
                "lesson_not_found",
                format!(
                    "course `{}` has no lesson `{}`",
                    shown(course),
                    shown(lesson)
                ),
            ),
            ReadError::QuizNotFound { course, quiz } => (
                "quiz_not_found",
                format!("course `{}` has no quiz `{}`", shown(course), shown(quiz)),
            ),
        };
        Failure::not_found(code, message)
    }
}

/// The course `slug` if `reader` may read it.
pub(crate) fn course(
    state: &AppState,
    slug: &str,
    reader: &Reader,
) -> Result<Arc<CourseEntry>, Failure> {
    Ok(state.catalog().readable(slug, reader)?.clone())
}

/// The course `slug` if signed-in `caller` may read it. A public course is found without
/// reading the caller's cohorts (the common case on the progress paths); only a course that is
/// not public to everyone needs them.
pub(crate) async fn course_for(
    state: &AppState,
    slug: &str,
    caller: &academy_identity::Caller,
) -> Result<Arc<CourseEntry>, Failure> {
    if let Ok(entry) = state.catalog().readable(slug, &Reader::Anyone) {
        return Ok(entry.clone());
    }
    let reader = crate::api::guard::reader_of(state, caller).await;
    course(state, slug, &reader)
}

/// Who may keep copies of what `reader` is shown.
fn sharing(reader: &Reader) -> Sharing {
    if reader.sees_public_only() {
        Sharing::Public
    } else {
        Sharing::Private
    }
}

/// Answers with one representation of `course` (its `kind` part `slug` — the course itself, a
/// lesson or a quiz — in the `resolved` language): 304 when the reader has it, else the body
/// from the cache, built with `body` the first time.
fn answer<T: ToJSON + Send>(
    bodies: &BodyCache,
    request: &Request,
    reader: &Reader,
    course: &CourseEntry,
    (kind, slug): (&str, &str),
    resolved: Resolved,
    body: impl FnOnce() -> T,
) -> Content<T> {
    let tag = etag(&[kind, &course.hash, slug, &resolved_tag(resolved)]);
    respond(
        bodies,
        request,
        tag,
        sharing(reader),
        resolved.language.as_str(),
        body,
    )
}

/// The ETag part naming a resolved language.
pub(super) fn resolved_tag(resolved: Resolved) -> String {
    format!(
        "{}{}",
        resolved.language,
        if resolved.fallback { "~" } else { "" }
    )
}
