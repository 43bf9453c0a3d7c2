//! Reading what a course holds: a lesson, and a quiz's questions (never its answers).

use crate::api::guard::{reader, viewer};
use poem::Request;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
};

use super::{
    answer, course, resolved_tag,
    views::{Lesson, Quiz},
};
use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        inputs::{LanguageTag, SlugParam},
        params,
    },
    http::conditional::{BodyCache, Content, Sharing, etag, respond},
    state::AppState,
};

api_error!(
    /// Why a lesson or a quiz could not be given.
    pub enum ItemError {
        BadRequest,
        NotFound,
    }
);

pub struct ReadingApi {
    pub state: AppState,
    pub bodies: BodyCache,
}

#[OpenApi(tag = "ApiTags::Catalog")]
impl ReadingApi {
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
        slug: Path<SlugParam>,
        /// The lesson slug.
        lesson: Path<SlugParam>,
        /// Preferred language; overrides `Accept-Language`.
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Content<Lesson>, ItemError> {
        let preference = params::preference(request, lang.as_deref())?;
        let reader = reader(&self.state, request).await;
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

    /// Get a quiz's questions
    ///
    /// The questions and their choices, in the best language available. Correct answers and
    /// explanations are never part of this response: they come back when answers are graded.
    /// 404 `course_not_found` or `quiz_not_found`.
    #[oai(path = "/api/courses/:slug/quizzes/:quiz", method = "get")]
    async fn quiz(
        &self,
        request: &Request,
        /// The course slug.
        slug: Path<SlugParam>,
        /// The quiz slug.
        quiz: Path<SlugParam>,
        /// Preferred language; overrides `Accept-Language`.
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Content<Quiz>, ItemError> {
        let preference = params::preference(request, lang.as_deref())?;
        let viewer = viewer(&self.state, request).await;
        let course = course(&self.state, &slug, &viewer.reader)?;
        let view = course
            .quiz_view(&quiz, &preference)
            .map_err(Failure::from)?;
        let Some(learner) = viewer.user else {
            return Ok(answer(
                &self.bodies,
                request,
                &viewer.reader,
                &course,
                ("quiz", &view.entry.slug),
                view.resolved,
                || Quiz::new(&course, view),
            ));
        };
        // A signed-in learner's own order of choices: private, and its own ETag.
        let tag = etag(&[
            "quiz",
            &course.hash,
            &view.entry.slug,
            &resolved_tag(view.resolved),
            &learner.to_string(),
        ]);
        let language = view.resolved.language.as_str();
        Ok(respond(
            &self.bodies,
            request,
            tag,
            Sharing::Private,
            language,
            || Quiz::for_learner(&course, view, Some(learner)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<ItemError>(ItemError::STATUSES);
    }
}
