//! The catalog: an immutable in-memory snapshot of the imported content, loaded from the
//! database, that the API reads from. A node reloads it when the database's content version
//! changes, so API nodes stay stateless.

mod cursor;
mod load;
mod query;
mod view;

use std::{collections::BTreeMap, sync::Arc};

use chrono::{DateTime, Utc};

pub use cursor::{Cursor, CursorError};
pub use load::current_version;
pub use query::{CourseFilter, LanguagePreference, Page, Resolved};
pub use view::{
    LessonOutline, LessonView, ModuleRef, Neighbour, QuizOutline, QuizView, ReadError, Reader,
    Syllabus, SyllabusModule,
};

use crate::{
    content::{Answer, LessonText, QuizText},
    vocab::{Language, Level, Mechanism, QuestionKind, Visibility},
};

/// A loaded snapshot of all live (not retired) content.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The import this snapshot comes from; `None` when nothing was imported yet.
    pub version: Option<ContentVersion>,
    courses: Vec<Arc<CourseEntry>>,
    by_slug: BTreeMap<String, Arc<CourseEntry>>,
    by_id: BTreeMap<i32, Arc<CourseEntry>>,
}

/// Which import a snapshot reflects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentVersion {
    pub hash: String,
    pub imported_at: DateTime<Utc>,
}

impl ContentVersion {
    /// The first 12 characters of the hash, for logs and messages.
    pub fn short_hash(&self) -> &str {
        self.hash.get(..12).unwrap_or(&self.hash)
    }
}

/// A course with everything needed to answer catalog requests.
#[derive(Debug)]
pub struct CourseEntry {
    pub id: i32,
    pub slug: String,
    pub default_language: Language,
    pub level: Level,
    pub estimated_minutes: u32,
    pub visibility: Visibility,
    pub order: i32,
    pub mechanisms: Vec<Mechanism>,
    /// Title and summary per language; the keys are the languages the course is offered in.
    pub texts: BTreeMap<Language, CourseText>,
    pub modules: Vec<ModuleEntry>,
    /// Lessons in reading order across modules.
    pub lessons: Vec<LessonEntry>,
    pub quizzes: Vec<QuizEntry>,
    /// Hash of the course's files: changes whenever anything in the course changes.
    pub hash: String,
}

/// A course's title and summary in one language.
#[derive(Clone, Debug)]
pub struct CourseText {
    pub title: String,
    pub summary: String,
}

/// A module of a course.
#[derive(Debug)]
pub struct ModuleEntry {
    pub id: i32,
    pub slug: String,
    pub titles: BTreeMap<Language, String>,
}

/// A lesson in every language it is written in.
#[derive(Debug)]
pub struct LessonEntry {
    pub id: i32,
    pub slug: String,
    /// Index into the course's `modules`.
    pub module: usize,
    pub minutes: u32,
    pub translations: BTreeMap<Language, Arc<LessonText>>,
}

/// A quiz with its answer key (never sent to learners) and its texts.
#[derive(Debug)]
pub struct QuizEntry {
    pub id: i32,
    pub slug: String,
    /// Index into the course's `modules`.
    pub module: usize,
    pub pass_mark: u8,
    /// Attempts allowed per learner; `None`: any number.
    pub max_attempts: Option<u16>,
    pub questions: Vec<QuestionKey>,
    pub translations: BTreeMap<Language, Arc<QuizText>>,
}

/// A question's identity and answer.
#[derive(Debug)]
pub struct QuestionKey {
    pub id: i32,
    pub key: String,
    pub kind: QuestionKind,
    pub answer: Answer,
}

impl CourseEntry {
    /// The languages the course is offered in, default first.
    pub fn languages(&self) -> Vec<Language> {
        Language::default_first(self.texts.keys().copied(), self.default_language)
    }

    /// Title and summary in `language`, or in the default language.
    pub fn text(&self, language: Language) -> Option<&CourseText> {
        self.texts
            .get(&language)
            .or_else(|| self.texts.get(&self.default_language))
    }

    /// Position of a lesson in reading order.
    pub fn lesson_index(&self, slug: &str) -> Option<usize> {
        self.lessons.iter().position(|l| l.slug == slug)
    }

    /// A quiz by slug.
    pub fn quiz(&self, slug: &str) -> Option<&QuizEntry> {
        self.quizzes.iter().find(|q| q.slug == slug)
    }
}

impl ModuleEntry {
    /// The module title in `language`, or in `fallback`.
    pub fn title(&self, language: Language, fallback: Language) -> &str {
        self.titles
            .get(&language)
            .or_else(|| self.titles.get(&fallback))
            .map_or("", String::as_str)
    }
}

/// Picks one translation: `language` if present, otherwise the default language.
/// Returns the language served and whether that is a fallback.
pub fn pick<T>(
    translations: &BTreeMap<Language, T>,
    language: Language,
    default: Language,
) -> Option<(Language, &T, bool)> {
    match translations.get(&language) {
        Some(text) => Some((language, text, false)),
        None => translations.get(&default).map(|text| (default, text, true)),
    }
}
