//! The cohort of an edition, for its organisers: the roster of participants (and people holding
//! an offer), each with their pseudonym, country if given, status, and enrolment in each course
//! of the distance course. Reading it is written to the audit log.

use std::collections::BTreeMap;

use academy_identity::{Caller, audit};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    EnrollmentError, Status,
    application::status_of,
    entity::{application, enrolment},
    programme::{Need, check_access, get},
    review::Applicant,
};

/// One course of the distance course, for one participant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseEnrolment {
    pub course_id: i32,
    pub course: String,
    /// When they were enrolled, if they are.
    pub enrolled_at: Option<DateTime<Utc>>,
    /// `active`, `left`, or `none`.
    pub status: String,
}

/// One line of the roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub application_id: i32,
    /// The participant's account (not shown: for joining their progress).
    pub user_id: i32,
    pub applicant: Applicant,
    pub status: Status,
    pub courses: Vec<CourseEnrolment>,
}

/// The roster of edition `slug`: participants, then people holding an offer.
pub async fn roster(
    db: &DatabaseConnection,
    caller: &Caller,
    slug: &str,
) -> Result<Vec<Member>, EnrollmentError> {
    let edition = get(db, slug).await?;
    check_access(caller, &edition, Need::Manage)?;
    let rows = application::Entity::find()
        .filter(application::Column::ProgrammeId.eq(edition.id))
        .filter(
            application::Column::Status
                .is_in([Status::Participant.as_str(), Status::Offered.as_str()]),
        )
        .order_by_asc(application::Column::Id)
        .all(db)
        .await
        .context("reading a roster")?;
    let users: Vec<i32> = rows.iter().map(|r| r.user_id).collect();
    let mut enrolments: BTreeMap<(i32, i32), enrolment::Model> = BTreeMap::new();
    if !users.is_empty() && !edition.course_ids.is_empty() {
        for row in enrolment::Entity::find()
            .filter(enrolment::Column::UserId.is_in(users))
            .filter(enrolment::Column::CourseId.is_in(edition.course_ids.clone()))
            .all(db)
            .await
            .context("reading a cohort's enrolments")?
        {
            enrolments.insert((row.user_id, row.course_id), row);
        }
    }
    let mut members = Vec::with_capacity(rows.len());
    for row in &rows {
        let courses = edition
            .course_ids
            .iter()
            .zip(&edition.courses)
            .map(|(id, slug)| {
                let found = enrolments.get(&(row.user_id, *id));
                CourseEnrolment {
                    course_id: *id,
                    course: slug.clone(),
                    enrolled_at: found.map(|e| e.enrolled_at),
                    status: found.map_or_else(|| "none".to_owned(), |e| e.status.clone()),
                }
            })
            .collect();
        members.push(Member {
            application_id: row.id,
            user_id: row.user_id,
            applicant: crate::review::applicant_of(db, row.user_id).await?,
            status: status_of(row)?,
            courses,
        });
    }
    members.sort_by_key(|m| (m.status != Status::Participant, m.application_id));
    audit::record(
        db,
        Some(caller.user_id),
        audit::Action::RosterRead,
        None,
        Some(&format!("programme {}", edition.slug)),
    )
    .await?;
    Ok(members)
}
