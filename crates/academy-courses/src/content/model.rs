//! Validated course content, as loaded from files and before it reaches the database.

use std::collections::BTreeMap;

use crate::vocab::{Language, Level, Mechanism, QuestionKind, Slug, Visibility};

/// A whole content directory that passed validation.
#[derive(Clone, Debug)]
pub struct ContentSet {
    /// Courses in catalog order.
    pub courses: Vec<Course>,
    /// SHA-256 over every file's path and bytes: the content version.
    pub hash: String,
}

/// A course with its syllabus and every translation of it.
#[derive(Clone, Debug)]
pub struct Course {
    pub slug: Slug,
    pub default_language: Language,
    pub level: Level,
    pub estimated_minutes: u32,
    pub visibility: Visibility,
    pub order: i32,
    pub mechanisms: Vec<Mechanism>,
    pub title: BTreeMap<Language, String>,
    pub summary: BTreeMap<Language, String>,
    pub modules: Vec<Module>,
    /// SHA-256 over this course's files: unchanged courses are skipped on import.
    pub hash: String,
}

impl Course {
    /// The languages the course is offered in (those with a title), default first.
    pub fn languages(&self) -> Vec<Language> {
        Language::default_first(self.title.keys().copied(), self.default_language)
    }
}

/// A module: an ordered group of lessons followed by its quizzes.
#[derive(Clone, Debug)]
pub struct Module {
    pub slug: Slug,
    pub title: BTreeMap<Language, String>,
    pub lessons: Vec<Lesson>,
    pub quizzes: Vec<Quiz>,
}

/// A lesson in every language it is written in.
#[derive(Clone, Debug)]
pub struct Lesson {
    pub slug: Slug,
    pub minutes: u32,
    pub translations: BTreeMap<Language, LessonText>,
}

/// One language's version of a lesson.
#[derive(Clone, Debug)]
pub struct LessonText {
    pub title: String,
    pub markdown: String,
    /// The Markdown rendered to HTML and sanitised.
    pub html: String,
    /// SHA-256 of the title and Markdown, for ETags.
    pub hash: String,
}

/// A quiz: language-neutral questions and answers plus one text per language.
#[derive(Clone, Debug)]
pub struct Quiz {
    pub slug: Slug,
    pub pass_mark: u8,
    /// Attempts allowed per learner; `None`: any number.
    pub max_attempts: Option<u16>,
    pub questions: Vec<Question>,
    pub translations: BTreeMap<Language, QuizText>,
}

/// A question's identity and its correct answer (identical in every language).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub id: Slug,
    pub kind: QuestionKind,
    pub answer: Answer,
}

/// The correct answer of a question.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// The ids of the correct choices (one for `single`).
    Choices(Vec<String>),
    /// The answer to a true/false question.
    TrueFalse(bool),
}

/// One language's text of a quiz.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct QuizText {
    pub title: String,
    pub questions: Vec<QuestionText>,
}

/// One language's text of a question: what a learner reads, and the explanation shown after
/// grading. Never carries the answer.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct QuestionText {
    pub id: String,
    pub prompt: String,
    pub explanation: String,
    pub choices: Vec<ChoiceText>,
}

/// A choice's id and text.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ChoiceText {
    pub id: String,
    pub text: String,
}
