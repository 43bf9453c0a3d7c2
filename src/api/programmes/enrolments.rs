//! Enrolling oneself in a public course, unenrolling, and one's enrolments.

use academy_enrollment::enrolment;
use poem::Request;
use poem_openapi::{ApiResponse, OpenApi, param::Path, payload::Json};

use super::views::{EnrolmentList, EnrolmentView};
use crate::{
    api::{
        ApiTags, catalog,
        errors::{Failure, api_error},
        guard::{Credentials, Private, private, reader},
    },
    state::AppState,
};

pub struct EnrolmentsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum Enrolled {
    /// Enrolled now.
    #[oai(status = 201)]
    Created(Json<EnrolmentView>, #[oai(header = "Cache-Control")] String),
    /// Enrolled already (or again after leaving): the same enrolment.
    #[oai(status = 200)]
    Existing(Json<EnrolmentView>, #[oai(header = "Cache-Control")] String),
}

#[derive(ApiResponse)]
enum Unenrolled {
    /// Not enrolled (any more). What was done in the course is kept.
    #[oai(status = 204)]
    Done,
}

api_error!(
    /// Why the caller could not enrol or unenrol.
    pub enum EnrolError {
        Unauthorized,
        Forbidden,
        NotFound,
    }
);

api_error!(
    /// Why the caller's enrolments could not be listed.
    pub enum MyEnrolmentsError {
        Unauthorized,
    }
);

#[OpenApi(tag = "ApiTags::Programmes")]
impl EnrolmentsApi {
    /// Enrol in a course
    ///
    /// Enrols the caller in a public course: 201 the first time, 200 with the same enrolment
    /// afterwards (never a second one). Cohort-only courses are open to their cohort only
    /// (403 `cohort_only`).
    #[oai(path = "/api/courses/:slug/enrolment", method = "post")]
    async fn enrol(
        &self,
        request: &Request,
        credentials: Credentials,
        /// The course's slug.
        slug: Path<String>,
    ) -> Result<Enrolled, EnrolError> {
        let caller = credentials.caller(&self.state).await?;
        let reader = reader(&self.state, request).await;
        let course = catalog::course(&self.state, &slug, &reader)?;
        let (enrolment, created) = enrolment::enrol(&self.state.db, caller.user_id, &course)
            .await
            .map_err(Failure::from)?;
        let view = Json(EnrolmentView::from(enrolment));
        Ok(if created {
            Enrolled::Created(view, "no-store".to_owned())
        } else {
            Enrolled::Existing(view, "no-store".to_owned())
        })
    }

    /// Leave a course
    ///
    /// Unenrols the caller (nothing happens when not enrolled). Progress is kept for when they
    /// come back.
    #[oai(path = "/api/courses/:slug/enrolment", method = "delete")]
    async fn unenrol(
        &self,
        request: &Request,
        credentials: Credentials,
        /// The course's slug.
        slug: Path<String>,
    ) -> Result<Unenrolled, EnrolError> {
        let caller = credentials.caller(&self.state).await?;
        let reader = reader(&self.state, request).await;
        let course = catalog::course(&self.state, &slug, &reader)?;
        enrolment::unenrol(&self.state.db, caller.user_id, course.id).await?;
        Ok(Unenrolled::Done)
    }

    /// My enrolments
    ///
    /// Every course the caller enrolled in, with the date and status (`active` or `left`).
    #[oai(path = "/api/me/enrolments", method = "get")]
    async fn mine(
        &self,
        credentials: Credentials,
    ) -> Result<Private<EnrolmentList>, MyEnrolmentsError> {
        let caller = credentials.caller(&self.state).await?;
        let enrolments = enrolment::mine(&self.state.db, caller.user_id).await?;
        Ok(private(EnrolmentList {
            enrolments: enrolments.into_iter().map(Into::into).collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<EnrolError>(EnrolError::STATUSES);
        check_mapping::<MyEnrolmentsError>(MyEnrolmentsError::STATUSES);
    }
}
