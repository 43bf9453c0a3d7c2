//! My progress: a lesson opened or completed, offline events synced in a batch, and what I
//! have done, per course and in one course.

use academy_courses::catalog::Reader;
use academy_progress::{Fate, ProgressError, clamp, grade, read, record};
use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use super::views::{
    CourseDetailView, FateView, LessonBody, ProgressList, Recorded, SyncBody, SyncEvent,
    SyncResult, SyncResults, SyncVerb,
};
use crate::{
    api::{
        ApiTags, catalog,
        errors::{Failure, api_error},
        guard::{Credentials, Private, private, reader},
        inputs::SlugParam,
        params,
    },
    state::AppState,
};

pub struct ProgressApi {
    pub state: AppState,
}

api_error!(
    /// Why progress could not be recorded.
    pub enum RecordError {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        PayloadTooLarge,
    }
);

api_error!(
    /// Why progress could not be read.
    pub enum ReadProgressError {
        Unauthorized,
        NotFound,
    }
);

fn rejected(id: &str, code: &str, message: impl Into<String>) -> SyncResult {
    SyncResult {
        id: params::shown(id),
        fate: FateView::Rejected,
        code: Some(code.to_owned()),
        message: Some(message.into()),
        score: None,
    }
}

impl ProgressApi {
    /// Records one offline event; never fails the batch.
    async fn sync_one(
        &self,
        request: &Request,
        user: i32,
        reader: &Reader,
        event: SyncEvent,
        now: DateTime<Utc>,
    ) -> SyncResult {
        let Ok(id) = Uuid::parse_str(&event.id) else {
            return rejected(&event.id, "invalid_event_id", "An event id is a UUID.");
        };
        let at = match event.at.as_deref().map(DateTime::parse_from_rfc3339) {
            None => None,
            Some(Ok(at)) => Some(at.with_timezone(&Utc)),
            Some(Err(_)) => {
                return rejected(&event.id, "invalid_time", "`at` is an RFC 3339 instant.");
            }
        };
        let at = clamp(at, now);
        let course = match catalog::course(&self.state, &event.course, reader) {
            Ok(course) => course,
            Err(failure) => return rejected(&event.id, &failure.body.code, failure.body.message),
        };
        let outcome = match event.verb {
            SyncVerb::Experienced | SyncVerb::Completed => {
                let Some(lesson) = event.lesson.as_deref() else {
                    return rejected(&event.id, "missing_lesson", "This verb needs a `lesson`.");
                };
                let completed = event.verb == SyncVerb::Completed;
                record::lesson(&self.state.db, user, &course, lesson, completed, id, at)
                    .await
                    .map(|r| (r, None))
            }
            SyncVerb::Attempted => {
                let (Some(quiz), Some(answers)) = (event.quiz.as_deref(), event.answers.as_ref())
                else {
                    return rejected(
                        &event.id,
                        "missing_quiz",
                        "An attempt needs a `quiz` and its `answers`.",
                    );
                };
                let preference = match params::preference(request, None) {
                    Ok(p) => p,
                    Err(f) => return rejected(&event.id, &f.body.code, f.body.message),
                };
                let view = match course.quiz_view(quiz, &preference) {
                    Ok(view) => view,
                    Err(e) => {
                        let f = Failure::from(e);
                        return rejected(&event.id, &f.body.code, f.body.message);
                    }
                };
                match grade::grade(&view, answers) {
                    Ok(graded) => record::quiz_attempt(
                        &self.state.db,
                        user,
                        &course,
                        quiz,
                        answers,
                        &graded,
                        id,
                        at,
                    )
                    .await
                    .map(|r| (r, Some(graded.score))),
                    Err(e) => Err(e),
                }
            }
        };
        match outcome {
            Ok((recorded, score)) => SyncResult {
                id: event.id.into(),
                fate: match recorded.fate {
                    Fate::Accepted => FateView::Accepted,
                    Fate::Duplicate => FateView::Duplicate,
                },
                code: None,
                message: None,
                score: score.filter(|_| recorded.fate == Fate::Accepted),
            },
            Err(ProgressError::Other(e)) => {
                let f = Failure::internal(&e);
                rejected(
                    &event.id,
                    &f.body.code,
                    "Not recorded; send it again later.",
                )
            }
            Err(e) => {
                let f = Failure::from(e);
                rejected(&event.id, &f.body.code, f.body.message)
            }
        }
    }
}

#[OpenApi(tag = "ApiTags::Learning")]
impl ProgressApi {
    /// Record a lesson
    ///
    /// Marks a lesson completed (or, with `completed: false`, opened), idempotently. Progress
    /// in a public course enrols the learner. The course's completion is recorded the moment
    /// its last lesson is done and its last quiz passed.
    #[oai(path = "/api/me/progress/:course/lessons/:lesson", method = "put")]
    async fn lesson(
        &self,
        request: &Request,
        credentials: Credentials,
        /// The course's slug.
        course: Path<SlugParam>,
        /// The lesson's slug.
        lesson: Path<SlugParam>,
        body: Json<LessonBody>,
    ) -> Result<Private<Recorded>, RecordError> {
        let caller = credentials.caller(&self.state).await?;
        let reader = reader(&self.state, request).await;
        let entry = catalog::course(&self.state, &course, &reader)?;
        let recorded = record::lesson(
            &self.state.db,
            caller.user_id,
            &entry,
            &lesson,
            body.completed,
            Uuid::new_v4(),
            Utc::now(),
        )
        .await
        .map_err(Failure::from)?;
        Ok(private(Recorded {
            course: entry.slug.clone(),
            lesson: lesson.0.to_string(),
            completed: body.completed,
            course_completed_at: recorded.course_completed_at.map(|at| at.to_rfc3339()),
        }))
    }

    /// Sync offline progress
    ///
    /// Up to 500 events recorded offline, each with the client's UUID and time (a time later
    /// than now counts as now). Each is recorded on its own: the answer gives every event's
    /// fate (`accepted`, `duplicate` when sent before, or `rejected` with a `code`), and a bad
    /// event never keeps the others out. Quiz attempts are graded here. Sending the same batch
    /// again changes nothing; the order of events does not matter.
    #[oai(path = "/api/me/progress/sync", method = "post")]
    async fn sync(
        &self,
        request: &Request,
        credentials: Credentials,
        body: Json<SyncBody>,
    ) -> Result<Private<SyncResults>, RecordError> {
        let caller = credentials.caller(&self.state).await?;
        let reader = reader(&self.state, request).await;
        let now = Utc::now();
        let mut results = Vec::with_capacity(body.0.events.len());
        for event in body.0.events {
            results.push(
                self.sync_one(request, caller.user_id, &reader, event, now)
                    .await,
            );
        }
        Ok(private(SyncResults { results }))
    }

    /// My progress
    ///
    /// Every course I have worked in, most recent first: lessons done and quizzes passed out of
    /// the course's current ones, percent, and when I completed it.
    #[oai(path = "/api/me/progress", method = "get")]
    async fn mine(
        &self,
        credentials: Credentials,
    ) -> Result<Private<ProgressList>, ReadProgressError> {
        let caller = credentials.caller(&self.state).await?;
        let courses = read::mine(&self.state.db, &self.state.catalog(), caller.user_id).await?;
        Ok(private(ProgressList {
            courses: courses.into_iter().map(Into::into).collect(),
        }))
    }

    /// My progress in a course
    ///
    /// Each current lesson (opened, completed) and quiz (attempts, best score, passed).
    /// 404 `no_progress` before anything was recorded.
    #[oai(path = "/api/me/progress/:course", method = "get")]
    async fn course(
        &self,
        request: &Request,
        credentials: Credentials,
        /// The course's slug.
        course: Path<SlugParam>,
    ) -> Result<Private<CourseDetailView>, ReadProgressError> {
        let caller = credentials.caller(&self.state).await?;
        let reader = reader(&self.state, request).await;
        let entry = catalog::course(&self.state, &course, &reader)?;
        let detail = read::course(&self.state.db, &entry, caller.user_id)
            .await?
            .ok_or_else(|| {
                Failure::not_found(
                    "no_progress",
                    "Nothing has been recorded in this course yet.",
                )
            })?;
        Ok(private(detail.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<RecordError>(RecordError::STATUSES);
        check_mapping::<ReadProgressError>(ReadProgressError::STATUSES);
    }
}
