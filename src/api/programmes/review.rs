//! Review and selection by an edition's organisers, and its cohort roster. Every read of an
//! applicant's data is written to the audit log.

use academy_enrollment::{
    cohort,
    review::{self, Decision, Filter, ReviewInput},
};
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::{Json, PlainText},
};

use super::views::{
    ApplicationList, ApplicationSummaryView, DecisionBody, DecisionKind, OpenedApplication,
    ReviewBody, ReviewView, Roster, RosterMember, StatusView, parse_instant,
};
use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        guard::{Credentials, Private, private},
        params,
    },
    state::AppState,
};

pub struct ReviewApi {
    pub state: AppState,
}

api_error!(
    /// Why applications could not be listed, read or decided on.
    pub enum ReviewError {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
    }
);

api_error!(
    /// Why a review or decision could not be recorded.
    pub enum DecideError {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PayloadTooLarge,
    }
);

/// How the roster is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "lowercase")]
pub enum RosterSort {
    /// Participants first, then offers, each by application.
    Status,
    /// Least progress first (who needs a hand).
    Progress,
}

/// How the roster is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "lowercase")]
pub enum RosterFormat {
    Json,
    Csv,
}

#[derive(ApiResponse)]
enum RosterResponse {
    /// The roster as JSON (or, with `format=csv`, as CSV: one row per member and course).
    #[oai(status = 200)]
    Json(Json<Roster>, #[oai(header = "Cache-Control")] String),
    /// The roster as CSV.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(
        PlainText<String>,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// Pages of applications.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 100;

fn roster_csv(slug: &str, members: &[RosterMember]) -> anyhow::Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "programme",
        "application_id",
        "display_name",
        "country",
        "status",
        "course",
        "enrolment",
        "enrolled_at",
        "percent",
        "quizzes_passed",
        "completed_at",
    ])?;
    for m in members {
        let status = academy_enrollment::Status::from(m.status).as_str();
        let id = m.application_id.to_string();
        let rows: Vec<[String; 6]> = if m.courses.is_empty() {
            vec![Default::default()]
        } else {
            m.courses
                .iter()
                .map(|c| {
                    [
                        c.course.clone(),
                        c.status.clone(),
                        c.enrolled_at.clone().unwrap_or_default(),
                        c.percent.to_string(),
                        c.quizzes_passed.to_string(),
                        c.completed_at.clone().unwrap_or_default(),
                    ]
                })
                .collect()
        };
        for [course, enrolment, at, percent, quizzes, completed] in &rows {
            out.write_record([
                slug,
                &id,
                m.display_name.as_deref().unwrap_or(""),
                m.country.as_deref().unwrap_or(""),
                status,
                course,
                enrolment,
                at,
                percent,
                quizzes,
                completed,
            ])?;
        }
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}

#[OpenApi(tag = "ApiTags::Programmes")]
impl ReviewApi {
    /// Applications to an edition
    ///
    /// The edition's assigned trainers, staff and admins (403 `not_assigned`): submitted
    /// applications in id order with their status, number of reviews and average score, and
    /// the applicant's pseudonym and country unless the review is blind. Audited.
    #[oai(path = "/api/programmes/:slug/applications", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
        /// Only applications with this status.
        status: Query<Option<StatusView>>,
        /// The `next_after` of the previous page.
        after: Query<Option<i32>>,
        /// Applications per page, 1 to 100 (default 50).
        limit: Query<Option<crate::api::inputs::PageSize<MAX_PAGE>>>,
    ) -> Result<Private<ApplicationList>, ReviewError> {
        let caller = credentials.caller(&self.state).await?;
        let limit = params::limit(
            crate::api::inputs::page_size(limit.0),
            DEFAULT_PAGE,
            MAX_PAGE,
        )?;
        let page = review::list(
            &self.state.db,
            &caller,
            &slug,
            Filter {
                status: status.0.map(Into::into),
                after: *after,
                limit: u64::from(limit),
            },
        )
        .await
        .map_err(Failure::from)?;
        Ok(private(ApplicationList {
            applications: page.items.into_iter().map(Into::into).collect(),
            next_after: page.next,
        }))
    }

    /// One application
    ///
    /// Every answer, sensitive ones decrypted for the reader, and the reviews. Each read is
    /// written to the audit log. 403 `conflict_of_interest` after declaring one.
    #[oai(path = "/api/programmes/:slug/applications/:id", method = "get")]
    async fn open(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
        /// The application's id.
        id: Path<i32>,
    ) -> Result<Private<OpenedApplication>, ReviewError> {
        let caller = credentials.caller(&self.state).await?;
        let opened = review::open(&self.state.db, &self.state.enrollment, &caller, &slug, *id)
            .await
            .map_err(Failure::from)?;
        Ok(private(opened.into()))
    }

    /// Review an application
    ///
    /// An assigned trainer scores each of the edition's criteria from 1 to 5, with an optional
    /// comment (again: the review is replaced), or declares a conflict of interest, after which
    /// they can neither score nor read the application. 400 `invalid_review`.
    #[oai(path = "/api/programmes/:slug/applications/:id/review", method = "put")]
    async fn review(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
        /// The application's id.
        id: Path<i32>,
        body: Json<ReviewBody>,
    ) -> Result<Private<ReviewView>, DecideError> {
        let caller = credentials.caller(&self.state).await?;
        let body = body.0;
        let saved = review::review(
            &self.state.db,
            &caller,
            &slug,
            *id,
            ReviewInput {
                scores: body.scores,
                comment: body.comment.map(String::from),
                conflict: body.conflict_of_interest,
            },
        )
        .await
        .map_err(Failure::from)?;
        Ok(private(saved.into()))
    }

    /// Decide on an application
    ///
    /// The edition's trainers and admins: `accepted` offers a place with a reply deadline
    /// (`reply_by`, default the edition's reply period), `waitlisted` puts it on the waitlist
    /// (409 `waitlist_full`), `rejected` refuses it. The applicant is notified. 409
    /// `already_decided` once an offer was made.
    #[oai(
        path = "/api/programmes/:slug/applications/:id/decision",
        method = "post"
    )]
    async fn decide(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
        /// The application's id.
        id: Path<i32>,
        body: Json<DecisionBody>,
    ) -> Result<Private<ApplicationSummaryView>, DecideError> {
        let caller = credentials.caller(&self.state).await?;
        let decision = match body.decision {
            DecisionKind::Accepted => Decision::Accept {
                reply_by: body
                    .reply_by
                    .as_deref()
                    .map(|t| parse_instant("reply_by", t))
                    .transpose()?,
            },
            DecisionKind::Waitlisted => Decision::Waitlist,
            DecisionKind::Rejected => Decision::Reject,
        };
        let summary = review::decide(
            &self.state.db,
            &self.state.enrollment,
            &caller,
            &slug,
            *id,
            decision,
        )
        .await
        .map_err(Failure::from)?;
        Ok(private(summary.into()))
    }

    /// The cohort roster
    ///
    /// The edition's assigned trainers, staff and admins: participants, then people holding
    /// an offer, with their pseudonym, country if given, status and enrolment in each course
    /// of the distance course. `format=csv` for a spreadsheet. Audited.
    #[oai(path = "/api/programmes/:slug/cohort", method = "get")]
    async fn cohort(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
        /// `json` (default) or `csv`.
        format: Query<Option<RosterFormat>>,
        /// `status` (default) or `progress` (least first).
        sort: Query<Option<RosterSort>>,
    ) -> Result<RosterResponse, ReviewError> {
        let caller = credentials.caller(&self.state).await?;
        let members = cohort::roster(&self.state.db, &caller, &slug)
            .await
            .map_err(Failure::from)?;
        let users: Vec<i32> = members.iter().map(|m| m.user_id).collect();
        let courses: Vec<i32> = members
            .first()
            .map(|m| m.courses.iter().map(|c| c.course_id).collect())
            .unwrap_or_default();
        let progress = academy_progress::read::of_people(
            &self.state.db,
            &self.state.catalog(),
            &users,
            &courses,
        )
        .await?;
        let mut members: Vec<RosterMember> = members
            .into_iter()
            .map(|m| RosterMember::new(m, &progress))
            .collect();
        if sort.0 == Some(RosterSort::Progress) {
            members.sort_by_key(|m| m.percent);
        }
        Ok(match format.0.unwrap_or(RosterFormat::Json) {
            RosterFormat::Json => RosterResponse::Json(
                Json(Roster {
                    programme: slug.0,
                    members,
                }),
                "no-store".to_owned(),
            ),
            RosterFormat::Csv => {
                let text = roster_csv(&slug, &members).map_err(|e| Failure::internal(&e))?;
                RosterResponse::Csv(
                    PlainText(text),
                    "no-store".to_owned(),
                    format!("attachment; filename=\"{}-cohort.csv\"", slug.0),
                )
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<ReviewError>(ReviewError::STATUSES);
        check_mapping::<DecideError>(DecideError::STATUSES);
    }
}
