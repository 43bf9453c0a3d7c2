//! Reading endpoints: a lesson, and a quiz's questions (never its answers).

use std::{collections::BTreeMap, sync::Arc};

use academy_courses::{
    catalog::{CourseEntry, LanguagePreference, Resolved, pick},
    vocab::Language,
};
use poem::Request;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
};

use super::{
    ApiTags,
    content::{BodyCache, Content, etag, preference, resolved_tag, respond},
    courses::find_course,
    error::ContentError,
};
use crate::state::AppState;

/// A neighbouring lesson, for "previous" and "next" links.
#[derive(Object)]
pub struct LessonLink {
    pub slug: String,
    pub title: String,
}

/// A module's slug and title.
#[derive(Object)]
pub struct ModuleRef {
    pub slug: String,
    pub title: String,
}

/// A lesson, as Markdown and as sanitised HTML.
#[derive(Object)]
pub struct Lesson {
    pub course: String,
    pub course_title: String,
    pub module: ModuleRef,
    pub slug: String,
    pub title: String,
    pub minutes: u32,
    /// Language of the lesson served.
    pub language: String,
    /// True when the lesson is not available in the requested language.
    pub fallback: bool,
    /// The lesson text, CommonMark.
    pub markdown: String,
    /// The same text rendered to HTML and sanitised (safe to insert into a page).
    pub html: String,
    /// 1-based position of the lesson in the course.
    pub position: u32,
    pub lesson_count: u32,
    pub previous: Option<LessonLink>,
    pub next: Option<LessonLink>,
}

/// A choice of a quiz question.
#[derive(Object)]
pub struct Choice {
    pub id: String,
    pub text: String,
}

/// A quiz question without its answer.
#[derive(Object)]
pub struct QuestionView {
    pub id: String,
    /// `single` (one choice), `multiple` (one or more choices) or `true-false` (no choices:
    /// answer true or false).
    pub kind: String,
    pub prompt: String,
    pub choices: Vec<Choice>,
}

/// A quiz as a learner sees it before answering: no correct answers, no explanations.
#[derive(Object)]
pub struct Quiz {
    pub course: String,
    pub module: ModuleRef,
    pub slug: String,
    pub title: String,
    /// Percentage of correct answers needed to pass.
    pub pass_mark: u8,
    pub language: String,
    pub fallback: bool,
    pub questions: Vec<QuestionView>,
}

fn module_ref(
    course: &CourseEntry,
    index: usize,
    language: academy_courses::vocab::Language,
) -> ModuleRef {
    let module = &course.modules[index.min(course.modules.len().saturating_sub(1))];
    ModuleRef {
        slug: module.slug.clone(),
        title: module.title(language, course.default_language).to_owned(),
    }
}

/// The best translation of a lesson or quiz for `preference`, the language served, and the
/// ETag of that representation.
fn translation<'a, T>(
    course: &CourseEntry,
    translations: &'a BTreeMap<Language, Arc<T>>,
    preference: &LanguagePreference,
    kind: &str,
    slug: &str,
) -> Result<(Resolved, &'a T, String), ContentError> {
    let default = course.default_language;
    let wanted = preference.resolve(|l| translations.contains_key(&l), default);
    let (language, text, missing) =
        pick(translations, wanted.language, default).ok_or_else(|| {
            anyhow::anyhow!(
                "{kind} {}/{slug} has no text in its default language",
                course.slug
            )
        })?;
    let resolved = Resolved {
        language,
        fallback: wanted.fallback || missing,
    };
    let tag = etag(&[kind, &course.hash, slug, &resolved_tag(resolved)]);
    Ok((resolved, text, tag))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

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
    ) -> Result<Content<Lesson>, ContentError> {
        let preference = preference(request, lang.as_deref())?;
        let course = find_course(&self.state, &slug)?;
        let index = course.lesson_index(&lesson).ok_or_else(|| {
            ContentError::not_found(
                "lesson_not_found",
                format!("course `{}` has no lesson `{}`", course.slug, lesson.0),
            )
        })?;
        let entry = &course.lessons[index];
        let (Resolved { language, fallback }, text, tag) = translation(
            &course,
            &entry.translations,
            &preference,
            "lesson",
            &entry.slug,
        )?;
        let link = |i: usize| {
            let l = course.lessons.get(i)?;
            let (_, t, _) = pick(&l.translations, language, course.default_language)?;
            Some(LessonLink {
                slug: l.slug.clone(),
                title: t.title.clone(),
            })
        };
        Ok(respond(
            &self.bodies,
            request,
            tag,
            language.as_str(),
            || Lesson {
                course: course.slug.clone(),
                course_title: course
                    .text(language)
                    .map(|t| t.title.clone())
                    .unwrap_or_default(),
                module: module_ref(&course, entry.module, language),
                slug: entry.slug.clone(),
                title: text.title.clone(),
                minutes: entry.minutes,
                language: language.to_string(),
                fallback,
                markdown: text.markdown.clone(),
                html: text.html.clone(),
                position: count(index + 1),
                lesson_count: count(course.lessons.len()),
                previous: index.checked_sub(1).and_then(link),
                next: link(index + 1),
            },
        ))
    }

    /// Get a quiz's questions
    ///
    /// The questions and their choices, in the best language available. Correct answers and
    /// explanations are never part of this response: they come back when answers are graded.
    #[oai(path = "/api/courses/:slug/quizzes/:quiz", method = "get")]
    async fn quiz(
        &self,
        request: &Request,
        /// The course slug.
        slug: Path<String>,
        /// The quiz slug.
        quiz: Path<String>,
        /// Preferred language; overrides `Accept-Language`.
        lang: Query<Option<String>>,
    ) -> Result<Content<Quiz>, ContentError> {
        let preference = preference(request, lang.as_deref())?;
        let course = find_course(&self.state, &slug)?;
        let entry = course.quiz(&quiz).ok_or_else(|| {
            ContentError::not_found(
                "quiz_not_found",
                format!("course `{}` has no quiz `{}`", course.slug, quiz.0),
            )
        })?;
        let (Resolved { language, fallback }, text, tag) = translation(
            &course,
            &entry.translations,
            &preference,
            "quiz",
            &entry.slug,
        )?;
        Ok(respond(
            &self.bodies,
            request,
            tag,
            language.as_str(),
            || Quiz {
                course: course.slug.clone(),
                module: module_ref(&course, entry.module, language),
                slug: entry.slug.clone(),
                title: text.title.clone(),
                pass_mark: entry.pass_mark,
                language: language.to_string(),
                fallback,
                questions: entry
                    .questions
                    .iter()
                    .zip(&text.questions)
                    .map(|(key, q)| QuestionView {
                        id: q.id.clone(),
                        kind: key.kind.to_string(),
                        prompt: q.prompt.clone(),
                        choices: q
                            .choices
                            .iter()
                            .map(|c| Choice {
                                id: c.id.clone(),
                                text: c.text.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            },
        ))
    }
}
