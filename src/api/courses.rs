//! Catalog endpoints: the course list, a course's syllabus and the mechanism vocabulary.

use std::sync::Arc;

use academy_courses::{
    catalog::{CourseEntry, CourseFilter, Cursor, LanguagePreference, pick},
    vocab::Level,
};
use poem::Request;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{
    ApiTags,
    content::{
        BodyCache, Content, etag, page_limit, parse_language, parse_mechanism, preference,
        resolved_tag, respond,
    },
    error::ContentError,
};
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

/// A course as listed in the catalog.
#[derive(Object)]
pub struct CourseSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Language of `title` and `summary`.
    pub language: String,
    /// True when none of the requested languages is available and the default is served.
    pub fallback: bool,
    /// Languages the course is offered in, default first.
    pub languages: Vec<String>,
    pub default_language: String,
    /// Mechanism tags (see `GET /api/mechanisms`).
    pub mechanisms: Vec<String>,
    /// `introductory`, `intermediate` or `advanced`.
    pub level: String,
    pub estimated_minutes: u32,
    pub lesson_count: u32,
    pub quiz_count: u32,
}

/// One page of the course list.
#[derive(Object)]
pub struct CourseList {
    pub courses: Vec<CourseSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A course with its syllabus.
#[derive(Object)]
pub struct CourseDetail {
    #[oai(flatten)]
    pub course: CourseSummary,
    pub modules: Vec<ModuleOutline>,
    /// Version (hash) of the course's content: changes whenever any of it changes.
    pub content_version: String,
}

/// A module of a course, in order.
#[derive(Object)]
pub struct ModuleOutline {
    pub slug: String,
    pub title: String,
    pub lessons: Vec<LessonOutline>,
    pub quizzes: Vec<QuizOutline>,
}

/// A lesson as listed in the syllabus.
#[derive(Object)]
pub struct LessonOutline {
    pub slug: String,
    pub title: String,
    pub minutes: u32,
    /// Language the lesson will be served in.
    pub language: String,
    /// True when the lesson is not translated into the course language being served.
    pub fallback: bool,
}

/// A quiz as listed in the syllabus.
#[derive(Object)]
pub struct QuizOutline {
    pub slug: String,
    pub title: String,
    pub question_count: u32,
    /// Percentage of correct answers needed to pass.
    pub pass_mark: u8,
}

/// A mechanism tag and how many public courses carry it.
#[derive(Object)]
pub struct MechanismCount {
    /// The tag, as used in `?mechanism=`.
    pub tag: String,
    pub course_count: u32,
}

/// The mechanism vocabulary.
#[derive(Object)]
pub struct MechanismList {
    pub mechanisms: Vec<MechanismCount>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn summary(course: &CourseEntry, preference: &LanguagePreference) -> CourseSummary {
    let resolved = preference.resolve(|l| course.texts.contains_key(&l), course.default_language);
    let text = course.text(resolved.language);
    CourseSummary {
        slug: course.slug.clone(),
        title: text.map(|t| t.title.clone()).unwrap_or_default(),
        summary: text.map(|t| t.summary.clone()).unwrap_or_default(),
        language: resolved.language.to_string(),
        fallback: resolved.fallback,
        languages: course.languages().iter().map(ToString::to_string).collect(),
        default_language: course.default_language.to_string(),
        mechanisms: course.mechanisms.iter().map(ToString::to_string).collect(),
        level: course.level.to_string(),
        estimated_minutes: course.estimated_minutes,
        lesson_count: count(course.lessons.len()),
        quiz_count: count(course.quizzes.len()),
    }
}

fn detail(course: &CourseEntry, preference: &LanguagePreference) -> CourseDetail {
    let summary = summary(course, preference);
    let language = academy_courses::vocab::Language::parse(&summary.language)
        .unwrap_or(course.default_language);
    let modules = course
        .modules
        .iter()
        .enumerate()
        .map(|(index, module)| ModuleOutline {
            slug: module.slug.clone(),
            title: module.title(language, course.default_language).to_owned(),
            lessons: course
                .lessons
                .iter()
                .filter(|l| l.module == index)
                .filter_map(|l| {
                    let (served, text, fallback) =
                        pick(&l.translations, language, course.default_language)?;
                    Some(LessonOutline {
                        slug: l.slug.clone(),
                        title: text.title.clone(),
                        minutes: l.minutes,
                        language: served.to_string(),
                        fallback,
                    })
                })
                .collect(),
            quizzes: course
                .quizzes
                .iter()
                .filter(|q| q.module == index)
                .filter_map(|q| {
                    let (_, text, _) = pick(&q.translations, language, course.default_language)?;
                    Some(QuizOutline {
                        slug: q.slug.clone(),
                        title: text.title.clone(),
                        question_count: count(q.questions.len()),
                        pass_mark: q.pass_mark,
                    })
                })
                .collect(),
        })
        .collect();
    CourseDetail {
        course: summary,
        modules,
        content_version: course.hash.clone(),
    }
}

/// Looks a public course up, or answers 404.
pub fn find_course(state: &AppState, slug: &str) -> Result<Arc<CourseEntry>, ContentError> {
    state.catalog().course(slug).cloned().ok_or_else(|| {
        ContentError::not_found("course_not_found", format!("there is no course `{slug}`"))
    })
}

pub struct CoursesApi {
    pub state: AppState,
    pub bodies: BodyCache,
}

#[OpenApi(tag = "ApiTags::Catalog")]
impl CoursesApi {
    /// List the courses
    ///
    /// Public courses in catalog order, optionally filtered, one page at a time. Each course is
    /// shown in the best language the reader asked for (`lang`, then `Accept-Language`).
    #[oai(path = "/api/courses", method = "get")]
    async fn list(
        &self,
        request: &Request,
        /// Only courses tagged with this mechanism, e.g. `universal-periodic-review`.
        mechanism: Query<Option<String>>,
        /// Only courses offered in this language (`en`, `fr`, `es`, `ar`, `zh`, `ru`), shown in it.
        lang: Query<Option<String>>,
        /// Only courses of this level: `introductory`, `intermediate` or `advanced`.
        level: Query<Option<String>>,
        /// Courses per page, 1 to 100 (default 20).
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Content<CourseList>, ContentError> {
        let filter = CourseFilter {
            mechanism: mechanism.as_deref().map(parse_mechanism).transpose()?,
            language: lang.as_deref().map(parse_language).transpose()?,
            level: level
                .as_deref()
                .map(|l| {
                    Level::parse(l).ok_or_else(|| {
                        ContentError::bad_request(
                            "unknown_level",
                            format!("`{l}` is not a level; use one of {}", Level::expected()),
                        )
                    })
                })
                .transpose()?,
        };
        let limit = page_limit(*limit, DEFAULT_LIMIT, MAX_LIMIT)?;
        let after = cursor
            .as_deref()
            .map(Cursor::decode)
            .transpose()
            .map_err(|e| ContentError::bad_request("invalid_cursor", e.to_string()))?;
        let preference = preference(request, lang.as_deref())?;
        let catalog = self.state.catalog();
        let page = catalog.list(&filter, limit as usize, after.as_ref());
        let courses: Vec<CourseSummary> =
            page.items.iter().map(|c| summary(c, &preference)).collect();
        let mut languages: Vec<&str> = courses.iter().map(|c| c.language.as_str()).collect();
        languages.sort_unstable();
        languages.dedup();
        let version = catalog.version.as_ref().map_or("", |v| v.hash.as_str());
        let tag = etag(&[
            "list",
            version,
            &format!("{filter:?}|{limit}|{:?}|{preference:?}", cursor.0),
        ]);
        let next_cursor = page.next.map(|c| c.encode());
        Ok(respond(
            &self.bodies,
            request,
            tag,
            &languages.join(", "),
            || CourseList {
                courses,
                next_cursor,
            },
        ))
    }

    /// Get a course and its syllabus
    ///
    /// Modules in order, each with its lessons and quizzes, the languages the course is offered
    /// in, and its content version. Lessons not translated into the language served are marked
    /// `fallback` and will be served in the course's default language.
    #[oai(path = "/api/courses/:slug", method = "get")]
    async fn course(
        &self,
        request: &Request,
        /// The course slug, e.g. `universal-periodic-review`.
        slug: Path<String>,
        /// Preferred language; overrides `Accept-Language`.
        lang: Query<Option<String>>,
    ) -> Result<Content<CourseDetail>, ContentError> {
        let preference = preference(request, lang.as_deref())?;
        let course = find_course(&self.state, &slug)?;
        let resolved =
            preference.resolve(|l| course.texts.contains_key(&l), course.default_language);
        let tag = etag(&["course", &course.hash, &resolved_tag(resolved)]);
        Ok(respond(
            &self.bodies,
            request,
            tag,
            resolved.language.as_str(),
            || detail(&course, &preference),
        ))
    }

    /// List the mechanisms
    ///
    /// The fixed vocabulary of mechanism tags with the number of public courses tagged with each.
    #[oai(path = "/api/mechanisms", method = "get")]
    async fn mechanisms(&self) -> Json<MechanismList> {
        let catalog = self.state.catalog();
        let mechanisms = catalog
            .mechanism_counts()
            .into_iter()
            .map(|(m, n)| MechanismCount {
                tag: m.to_string(),
                course_count: count(n),
            })
            .collect();
        Json(MechanismList { mechanisms })
    }
}
