//! The course list, a course's syllabus and the mechanism vocabulary.

use crate::api::guard::reader;
use academy_courses::catalog::{CourseFilter, Reader};
use poem::Request;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{
    answer, course, sharing,
    views::{
        Bundle, CourseDetail, CourseList, CourseSummary, MechanismCount, MechanismList, count,
    },
};
use crate::{
    api::{
        ApiTags,
        errors::api_error,
        inputs::{LanguageTag, LevelTag, MechanismTag, PageSize, SlugParam, page_size},
        params,
    },
    http::conditional::{BodyCache, Content, etag, respond},
    state::AppState,
};

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

api_error!(
    /// Why the course list could not be given.
    pub enum ListError {
        BadRequest,
    }
);

api_error!(
    /// Why a course could not be given.
    pub enum CourseError {
        BadRequest,
        NotFound,
    }
);

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
    /// 400 `unknown_mechanism`, `unknown_language`, `unknown_level`, `invalid_limit` or
    /// `invalid_cursor` names the parameter at fault.
    #[oai(path = "/api/courses", method = "get")]
    async fn list(
        &self,
        request: &Request,
        /// Only courses tagged with this mechanism, e.g. `universal-periodic-review`.
        mechanism: Query<Option<MechanismTag>>,
        /// Only courses offered in this language (`en`, `fr`, `es`, `ar`, `zh`, `ru`), shown in it.
        lang: Query<Option<LanguageTag>>,
        /// Only courses of this level: `introductory`, `intermediate` or `advanced`.
        level: Query<Option<LevelTag>>,
        /// Courses per page, 1 to 100 (default 20).
        limit: Query<Option<PageSize<MAX_LIMIT>>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Content<CourseList>, ListError> {
        let filter = CourseFilter {
            mechanism: mechanism.as_deref().map(params::mechanism).transpose()?,
            language: lang.as_deref().map(params::language).transpose()?,
            level: level.as_deref().map(params::level).transpose()?,
        };
        let limit = params::limit(page_size(limit.0), DEFAULT_LIMIT, MAX_LIMIT)?;
        let after = params::cursor(cursor.as_deref())?;
        let preference = params::preference(request, lang.as_deref())?;
        let reader = reader(&self.state, request).await;
        let catalog = self.state.catalog();
        let page = catalog.list(&reader, &filter, limit as usize, after.as_ref());
        let courses: Vec<CourseSummary> = page
            .items
            .iter()
            .map(|c| CourseSummary::new(c, &preference))
            .collect();
        let mut languages: Vec<&str> = courses.iter().map(|c| c.language.as_str()).collect();
        languages.sort_unstable();
        languages.dedup();
        let version = catalog.version.as_ref().map_or("", |v| v.hash.as_str());
        let tag = etag(&[
            "list",
            version,
            filter.mechanism.map_or("", |m| m.as_str()),
            filter.language.map_or("", |l| l.as_str()),
            filter.level.map_or("", |l| l.as_str()),
            &limit.to_string(),
            cursor.as_deref().unwrap_or_default(),
            &preference.tag(),
            &reader.view_key(),
        ]);
        let next_cursor = page.next.map(|c| c.encode());
        Ok(respond(
            &self.bodies,
            request,
            tag,
            sharing(&reader),
            &languages.join(", "),
            || CourseList {
                courses,
                next_cursor,
            },
        ))
    }

    /// Download a course for offline reading
    ///
    /// The syllabus, every lesson (Markdown and HTML) and every quiz (questions and choices,
    /// never answers) in one document, in the best language available, with an ETag. Read it
    /// offline, answer the quizzes, and send what was done later with
    /// `POST /api/me/progress/sync`. 404 `course_not_found`.
    #[oai(path = "/api/courses/:slug/bundle", method = "get")]
    async fn bundle(
        &self,
        request: &Request,
        /// The course slug.
        slug: Path<SlugParam>,
        /// Preferred language; overrides `Accept-Language`.
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Content<Bundle>, CourseError> {
        let preference = params::preference(request, lang.as_deref())?;
        let reader = reader(&self.state, request).await;
        let course = course(&self.state, &slug, &reader)?;
        Ok(answer(
            &self.bodies,
            request,
            &reader,
            &course,
            ("bundle", ""),
            course.resolve(&preference),
            || Bundle::new(&course, &preference),
        ))
    }

    /// Get a course and its syllabus
    ///
    /// Modules in order, each with its lessons and quizzes, the languages the course is offered
    /// in, and its content version. Lessons not translated into the language served are marked
    /// `fallback` and will be served in the course's default language. 404 `course_not_found`.
    #[oai(path = "/api/courses/:slug", method = "get")]
    async fn course(
        &self,
        request: &Request,
        /// The course slug, e.g. `universal-periodic-review`.
        slug: Path<SlugParam>,
        /// Preferred language; overrides `Accept-Language`.
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Content<CourseDetail>, CourseError> {
        let preference = params::preference(request, lang.as_deref())?;
        let reader = reader(&self.state, request).await;
        let course = course(&self.state, &slug, &reader)?;
        Ok(answer(
            &self.bodies,
            request,
            &reader,
            &course,
            ("course", ""),
            course.resolve(&preference),
            || CourseDetail::new(&course, &preference),
        ))
    }

    /// List the mechanisms
    ///
    /// The fixed vocabulary of mechanism tags with the number of public courses tagged with each.
    #[oai(path = "/api/mechanisms", method = "get")]
    async fn mechanisms(&self) -> Json<MechanismList> {
        let catalog = self.state.catalog();
        let mechanisms = catalog
            .mechanism_counts(&Reader::Anyone)
            .into_iter()
            .map(|(m, n)| MechanismCount {
                tag: m.to_string(),
                course_count: count(n),
            })
            .collect();
        Json(MechanismList { mechanisms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<ListError>(ListError::STATUSES);
        check_mapping::<CourseError>(CourseError::STATUSES);
    }
}
