//! What the learning area receives and sends.

use std::collections::BTreeMap;

use academy_progress::{
    grade::Graded,
    read::{CourseDetail, CourseProgress},
};
use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde_json::Value;

use crate::api::json_string::JsonString;

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

/// A lesson opened or completed.
#[derive(Debug, Object)]
pub struct LessonBody {
    /// `true` (the default): completed; `false`: opened.
    #[oai(default = "yes")]
    pub completed: bool,
}

fn yes() -> bool {
    true
}

/// The state after recording.
#[derive(Debug, Object)]
pub struct Recorded {
    pub course: String,
    pub lesson: String,
    pub completed: bool,
    /// When the course was completed, if it is.
    #[oai(skip_serializing_if_is_none)]
    pub course_completed_at: Option<String>,
}

/// One course's progress.
#[derive(Debug, Object)]
pub struct CourseProgressView {
    pub course: String,
    pub lessons_done: u32,
    pub lessons_total: u32,
    pub quizzes_passed: u32,
    pub quizzes_total: u32,
    /// Lessons done and quizzes passed over all of them (0–100).
    pub percent: u32,
    pub started_at: String,
    pub last_activity_at: String,
    #[oai(skip_serializing_if_is_none)]
    pub completed_at: Option<String>,
}

impl From<CourseProgress> for CourseProgressView {
    fn from(p: CourseProgress) -> Self {
        CourseProgressView {
            course: p.course,
            lessons_done: p.lessons_done,
            lessons_total: p.lessons_total,
            quizzes_passed: p.quizzes_passed,
            quizzes_total: p.quizzes_total,
            percent: p.percent,
            started_at: instant(p.started_at),
            last_activity_at: instant(p.last_activity_at),
            completed_at: p.completed_at.map(instant),
        }
    }
}

/// Every course I have worked in.
#[derive(Debug, Object)]
pub struct ProgressList {
    pub courses: Vec<CourseProgressView>,
}

/// A lesson's state.
#[derive(Debug, Object)]
pub struct LessonStateView {
    pub lesson: String,
    #[oai(skip_serializing_if_is_none)]
    pub opened_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub completed_at: Option<String>,
}

/// A quiz's state.
#[derive(Debug, Object)]
pub struct QuizStateView {
    pub quiz: String,
    pub attempts: u32,
    #[oai(skip_serializing_if_is_none)]
    pub best_score: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub passed_at: Option<String>,
}

/// One course, lesson by lesson and quiz by quiz.
#[derive(Debug, Object)]
pub struct CourseDetailView {
    pub progress: CourseProgressView,
    pub lessons: Vec<LessonStateView>,
    pub quizzes: Vec<QuizStateView>,
}

impl From<CourseDetail> for CourseDetailView {
    fn from(d: CourseDetail) -> Self {
        CourseDetailView {
            progress: d.summary.into(),
            lessons: d
                .lessons
                .into_iter()
                .map(|l| LessonStateView {
                    lesson: l.lesson,
                    opened_at: l.opened_at.map(instant),
                    completed_at: l.completed_at.map(instant),
                })
                .collect(),
            quizzes: d
                .quizzes
                .into_iter()
                .map(|q| QuizStateView {
                    quiz: q.quiz,
                    attempts: q.attempts,
                    best_score: q.best_score,
                    passed_at: q.passed_at.map(instant),
                })
                .collect(),
        }
    }
}

/// A quiz attempt: an answer for every question, by question id (a choice id, a list of choice
/// ids for `multiple`, or `true`/`false`).
#[derive(Debug, Object)]
pub struct AttemptBody {
    pub answers: BTreeMap<String, Value>,
}

/// The feedback on one question.
#[derive(Debug, Object)]
pub struct QuestionFeedback {
    pub id: String,
    pub correct: bool,
    /// The right answer: choice ids, or `true`/`false`.
    pub answer: Value,
    pub explanation: String,
}

/// A graded attempt.
#[derive(Debug, Object)]
pub struct AttemptResult {
    /// Percent of questions answered right.
    pub score: i32,
    pub pass_mark: u8,
    pub passed: bool,
    pub language: String,
    pub questions: Vec<QuestionFeedback>,
    /// When the course was completed, if it is.
    #[oai(skip_serializing_if_is_none)]
    pub course_completed_at: Option<String>,
}

impl AttemptResult {
    pub fn new(
        graded: Graded,
        pass_mark: u8,
        language: &str,
        completed: Option<DateTime<Utc>>,
    ) -> AttemptResult {
        AttemptResult {
            score: graded.score,
            pass_mark,
            passed: graded.passed,
            language: language.to_owned(),
            questions: graded
                .feedback
                .into_iter()
                .map(|f| QuestionFeedback {
                    id: f.question,
                    correct: f.correct,
                    answer: f.answer,
                    explanation: f.explanation,
                })
                .collect(),
            course_completed_at: completed.map(instant),
        }
    }
}

/// What an offline event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SyncVerb {
    /// A lesson opened.
    Experienced,
    /// A lesson completed.
    Completed,
    /// A quiz attempt (graded at sync; `answers` required).
    Attempted,
}

/// One event recorded offline.
#[derive(Debug, Object)]
pub struct SyncEvent {
    /// The client's id for the event (a UUID): sending it again changes nothing.
    pub id: JsonString,
    pub course: JsonString,
    /// The lesson (for `experienced`, `completed`).
    #[oai(nullable)]
    pub lesson: Option<JsonString>,
    /// The quiz (for `attempted`).
    #[oai(nullable)]
    pub quiz: Option<JsonString>,
    pub verb: SyncVerb,
    /// When it happened on the client (RFC 3339); later than now counts as now.
    #[oai(nullable)]
    pub at: Option<JsonString>,
    /// A quiz attempt's answers.
    #[oai(nullable)]
    pub answers: Option<BTreeMap<String, Value>>,
}

/// A batch of offline events, at most 500.
#[derive(Debug, Object)]
pub struct SyncBody {
    #[oai(validator(max_items = 500))]
    pub events: Vec<SyncEvent>,
}

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum FateView {
    Accepted,
    /// Recorded before: nothing changed.
    Duplicate,
    /// Not recorded; `code` and `message` say why.
    Rejected,
}

/// One event's fate.
#[derive(Debug, Object)]
pub struct SyncResult {
    pub id: String,
    pub fate: FateView,
    #[oai(skip_serializing_if_is_none)]
    pub code: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub message: Option<String>,
    /// A graded quiz attempt's score.
    #[oai(skip_serializing_if_is_none)]
    pub score: Option<i32>,
}

/// Each event's fate, in the order sent.
#[derive(Debug, Object)]
pub struct SyncResults {
    pub results: Vec<SyncResult>,
}

/// One learning event, in my data export.
#[derive(Debug, Object)]
pub struct ExportedEvent {
    pub id: String,
    pub course_id: i32,
    /// `lesson/<slug>` or `quiz/<slug>`.
    pub item: String,
    /// `experienced`, `completed`, `passed` or `failed`.
    pub verb: String,
    #[oai(skip_serializing_if_is_none)]
    pub score: Option<i32>,
    pub occurred_at: String,
}

/// A quiz attempt, in my data export.
#[derive(Debug, Object)]
pub struct ExportedAttempt {
    pub course_id: i32,
    pub quiz: String,
    pub score: i32,
    /// The answers given, as JSON text.
    pub answers: String,
    pub attempted_at: String,
}

/// The learning part of my data export: every event recorded and every quiz attempt.
#[derive(Debug, Object)]
pub struct ExportedProgress {
    pub events: Vec<ExportedEvent>,
    pub attempts: Vec<ExportedAttempt>,
}

impl From<academy_progress::privacy::ProgressExport> for ExportedProgress {
    fn from(e: academy_progress::privacy::ProgressExport) -> Self {
        ExportedProgress {
            events: e
                .events
                .into_iter()
                .map(|e| ExportedEvent {
                    id: e.event_id,
                    course_id: e.course_id,
                    item: e.item,
                    verb: e.verb,
                    score: e.score,
                    occurred_at: instant(e.occurred_at),
                })
                .collect(),
            attempts: e
                .attempts
                .into_iter()
                .map(|(course_id, quiz, score, answers, at)| ExportedAttempt {
                    course_id,
                    quiz,
                    score,
                    answers,
                    attempted_at: instant(at),
                })
                .collect(),
        }
    }
}
