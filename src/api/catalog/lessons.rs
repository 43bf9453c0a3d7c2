//! Reading a lesson.

use academy_courses::catalog::Reader;
use poem::Request;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
};

use super::{answer, course, views::Lesson};
use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        params,
    },
    http::conditional::{BodyCache, Content},
    state::AppState,
};

api_error!(
    /// Why a lesson could not be given.
    pub enum LessonError {
        BadRequest,
        NotFound,
    }
);

pub struct LessonsApi {
    pub state: AppState,
    pub bodies: BodyCache,
}

#[OpenApi(tag = "ApiTags::Catalog")]
impl LessonsApi {
    /// Read a lesson
    ///
    /// The lesson in the best language available (`lang`, then `Accept-Language`, then the
    /// course's default language), as Markdown and sanitised HTML, with its neighbours.
    /// 404 `course_not_found` or `lesson_not_found`.
    #[oai(path = "/api/courses/:slug/lessons/:lesson", method = "get")]
    async fn lesson(
        &self,
        request: &Request,
        /// The course slug.
        slug: Path<String>,
        /// The lesson slug.
        lesson: Path<String>,
        /// Preferred language; overrides `Accept-Language`.
        lang: Query<Option<String>>,
    ) -> Result<Content<Lesson>, LessonError> {
        let preference = params::preference(request, lang.as_deref())?;
        let reader = Reader::Anyone;
        let course = course(&self.state, &slug, &reader)?;
        let view = course.lesson(&lesson, &preference).map_err(Failure::from)?;
        Ok(answer(
            &self.bodies,
            request,
            &reader,
            &course,
            ("lesson", &view.entry.slug),
            view.resolved,
            || Lesson::new(&course, view),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<LessonError>(LessonError::STATUSES);
    }
}
