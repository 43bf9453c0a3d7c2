//! Quiz attempts, graded on the server.

use academy_progress::{
    grade,
    recorder::{Event, Item},
};
use chrono::Utc;
use poem::Request;
use poem_openapi::{OpenApi, param::Path, param::Query, payload::Json};
use uuid::Uuid;

use super::views::{AttemptBody, AttemptResult};
use crate::{
    api::{
        ApiTags, catalog,
        errors::{Failure, api_error},
        guard::{Credentials, Private, private},
        inputs::{LanguageTag, SlugParam},
        params,
    },
    state::AppState,
};

pub struct AttemptsApi {
    pub state: AppState,
}

api_error!(
    /// Why an attempt could not be graded.
    pub enum AttemptError {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PayloadTooLarge,
    }
);

#[OpenApi(tag = "ApiTags::Learning")]
impl AttemptsApi {
    /// Answer a quiz
    ///
    /// Grades the answers (one per question: a choice id, a list of choice ids for `multiple`,
    /// or `true`/`false`): the score, whether it passes, and for each question whether it was
    /// right, the right answer and the explanation, in the language asked for. An unknown
    /// question or choice, two choices on a `single` question or a missing answer is a 400
    /// `invalid_answer` naming the question; nothing is recorded then. The best result counts.
    #[oai(path = "/api/courses/:slug/quizzes/:quiz/attempts", method = "post")]
    async fn attempt(
        &self,
        request: &Request,
        credentials: Credentials,
        /// The course's slug.
        slug: Path<SlugParam>,
        /// The quiz's slug.
        quiz: Path<SlugParam>,
        /// The language of the explanations; overrides `Accept-Language`.
        lang: Query<Option<LanguageTag>>,
        body: Json<AttemptBody>,
    ) -> Result<Private<AttemptResult>, AttemptError> {
        let caller = credentials.caller(&self.state).await?;
        let preference = params::preference(request, lang.as_deref())?;
        let course = catalog::course_for(&self.state, &slug, &caller).await?;
        let view = course
            .quiz_view(&quiz, &preference)
            .map_err(Failure::from)?;
        let graded = grade::grade(&view, &body.answers).map_err(Failure::from)?;
        let event = Event {
            user: caller.user_id,
            course: course.clone(),
            id: Uuid::new_v4(),
            at: Utc::now(),
            item: Item::Attempt {
                slug: quiz.0.to_string(),
                answers: body.0.answers,
                graded: graded.clone(),
            },
        };
        let recorded = self
            .state
            .progress
            .record(event)
            .await
            .map_err(Failure::from)?;
        Ok(private(AttemptResult::new(
            graded,
            view.entry.pass_mark,
            view.resolved.language.as_str(),
            recorded.course_completed_at,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<AttemptError>(AttemptError::STATUSES);
    }
}
