//! My progress: a lesson opened or completed, offline events synced in a batch, and what I
//! have done, per course and in one course.

use academy_courses::catalog::Reader;
use academy_progress::{
    Fate, ProgressError, clamp, grade, read,
    record::Recorded,
    recorder::{Event, Item},
};
use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use super::views::{
    self, CourseDetailView, FateView, LessonBody, ProgressList, SyncBody, SyncEvent, SyncResult,
    SyncResults, SyncVerb,
};
use crate::{
    api::{
        ApiTags, catalog,
        errors::{Failure, api_error},
        guard::{Credentials, Private, private, reader_of},
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

/// The fate of a recorded event as the sync answer states it.
fn outcome(id: String, outcome: Result<Recorded, ProgressError>, score: Option<i32>) -> SyncResult {
    match outcome {
        Ok(recorded) => SyncResult {
            id,
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
            rejected(&id, &f.body.code, "Not recorded; send it again later.")
        }
        Err(e) => {
            let f = Failure::from(e);
            rejected(&id, &f.body.code, f.body.message)
        }
    }
}

/// One offline event, checked (and a quiz attempt graded): ready to record, or its answer.
enum Checked {
    Ready(Event, Option<i32>),
    Refused(SyncResult),
}

impl ProgressApi {
    /// Checks one offline event and grades an attempt; never fails the batch.
    fn check_one(
        &self,
        request: &Request,
        user: i32,
        reader: &Reader,
        event: &SyncEvent,
        now: DateTime<Utc>,
    ) -> Checked {
        let refuse =
            |code: &str, message: String| Checked::Refused(rejected(&event.id, code, message));
        let Ok(id) = Uuid::parse_str(&event.id) else {
            return refuse("invalid_event_id", "An event id is a UUID.".into());
        };
        let at = match event.at.as_deref().map(DateTime::parse_from_rfc3339) {
            None => None,
            Some(Ok(at)) => Some(at.with_timezone(&Utc)),
            Some(Err(_)) => return refuse("invalid_time", "`at` is an RFC 3339 instant.".into()),
        };
        let at = clamp(at, now);
        let course = match catalog::course(&self.state, &event.course, reader) {
            Ok(course) => course,
            Err(failure) => return refuse(&failure.body.code, failure.body.message),
        };
        let (item, score) = match event.verb {
            SyncVerb::Experienced | SyncVerb::Completed => {
                let Some(lesson) = event.lesson.as_deref() else {
                    return refuse("missing_lesson", "This verb needs a `lesson`.".into());
                };
                let completed = event.verb == SyncVerb::Completed;
                (
                    Item::Lesson {
                        slug: lesson.to_owned(),
                        completed,
                    },
                    None,
                )
            }
            SyncVerb::Attempted => {
                let (Some(quiz), Some(answers)) = (event.quiz.as_deref(), event.answers.as_ref())
                else {
                    return refuse(
                        "missing_quiz",
                        "An attempt needs a `quiz` and its `answers`.".into(),
                    );
                };
                let preference = match params::preference(request, None) {
                    Ok(p) => p,
                    Err(f) => return refuse(&f.body.code, f.body.message),
                };
                let view = match course.quiz_view(quiz, &preference) {
                    Ok(view) => view,
                    Err(e) => {
                        let f = Failure::from(e);
                        return refuse(&f.body.code, f.body.message);
                    }
                };
                let graded = match grade::grade(&view, answers) {
                    Ok(graded) => graded,
                    Err(e) => {
                        let f = Failure::from(e);
                        return refuse(&f.body.code, f.body.message);
                    }
                };
                let score = graded.score;
                (
                    Item::Attempt {
                        slug: quiz.to_owned(),
                        answers: answers.clone(),
                        graded,
                    },
                    Some(score),
                )
            }
        };
        Checked::Ready(
            Event {
                user,
                course,
                id,
                at,
                item,
            },
            score,
        )
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
        credentials: Credentials,
        /// The course's slug.
        course: Path<SlugParam>,
        /// The lesson's slug.
        lesson: Path<SlugParam>,
        body: Json<LessonBody>,
    ) -> Result<Private<views::Recorded>, RecordError> {
        let caller = credentials.caller(&self.state).await?;
        let entry = catalog::course_for(&self.state, &course, &caller).await?;
        let event = Event {
            user: caller.user_id,
            course: entry.clone(),
            id: Uuid::new_v4(),
            at: Utc::now(),
            item: Item::Lesson {
                slug: lesson.0.to_string(),
                completed: body.completed,
            },
        };
        let recorded = self
            .state
            .progress
            .record(event)
            .await
            .map_err(Failure::from)?;
        Ok(private(views::Recorded {
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
        let reader = reader_of(&self.state, &caller).await;
        let now = Utc::now();
        // Every valid event is recorded at once (sharing commits); the answer keeps the order.
        let mut results: Vec<Option<SyncResult>> = Vec::with_capacity(body.0.events.len());
        let mut ready = Vec::new();
        let mut pending = Vec::new();
        for event in body.0.events {
            match self.check_one(request, caller.user_id, &reader, &event, now) {
                Checked::Ready(checked, score) => {
                    pending.push((results.len(), event.id, score));
                    ready.push(checked);
                    results.push(None);
                }
                Checked::Refused(result) => results.push(Some(result)),
            }
        }
        let recorded = self.state.progress.record_all(ready).await;
        for ((at, id, score), recorded) in pending.into_iter().zip(recorded) {
            if let Some(slot) = results.get_mut(at) {
                *slot = Some(outcome(id.into(), recorded, score));
            }
        }
        let results = results.into_iter().flatten().collect();
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
        credentials: Credentials,
        /// The course's slug.
        course: Path<SlugParam>,
    ) -> Result<Private<CourseDetailView>, ReadProgressError> {
        let caller = credentials.caller(&self.state).await?;
        let entry = catalog::course_for(&self.state, &course, &caller).await?;
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
