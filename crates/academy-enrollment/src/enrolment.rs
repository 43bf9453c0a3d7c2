//! Enrolment in courses: by oneself in public courses, or by joining a programme cohort (in the
//! cohort's distance-course courses, cohort-only ones included). One row per person and course
//! (a unique key); unenrolling marks it `left` and keeps it, so what the person did is still
//! there when they come back.

use std::collections::{BTreeMap, BTreeSet};

use academy_courses::{catalog::CourseEntry, entity::course, vocab::Visibility};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, OnConflict},
};

use crate::{
    EnrollmentError, Status,
    entity::{application, enrolment, programme_course},
};

/// How a person came to be enrolled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// They enrolled themselves.
    Own,
    /// As a participant of a programme cohort.
    Programme,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Own => "self",
            Source::Programme => "programme",
        }
    }
}

/// One enrolment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolment {
    pub course_id: i32,
    pub course: String,
    pub source: String,
    /// `active` or `left`.
    pub status: String,
    pub enrolled_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}

/// Enrols `user` in a public `course` (again after leaving: the same enrolment, active again).
/// Returns the enrolment and whether it is new.
pub async fn enrol(
    db: &impl ConnectionTrait,
    user: i32,
    course: &CourseEntry,
) -> Result<(Enrolment, bool), EnrollmentError> {
    if course.visibility != Visibility::Public {
        return Err(EnrollmentError::CohortOnly);
    }
    let created = enrol_in(db, user, course.id, Source::Own).await?;
    let row = enrolment::Entity::find()
        .filter(enrolment::Column::UserId.eq(user))
        .filter(enrolment::Column::CourseId.eq(course.id))
        .one(db)
        .await
        .context("reading an enrolment")?
        .context("an enrolment just written is missing")?;
    Ok((view(row, course.slug.clone()), created))
}

/// Enrols `user` in course `course_id` if not enrolled (reactivating a left enrolment).
/// Returns whether a row was created.
pub async fn enrol_in(
    db: &impl ConnectionTrait,
    user: i32,
    course_id: i32,
    source: Source,
) -> anyhow::Result<bool> {
    let now = Utc::now();
    let inserted = enrolment::Entity::insert(enrolment::ActiveModel {
        user_id: Set(user),
        course_id: Set(course_id),
        source: Set(source.as_str().to_owned()),
        status: Set("active".to_owned()),
        enrolled_at: Set(now),
        left_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([enrolment::Column::UserId, enrolment::Column::CourseId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .context("enrolling")?;
    if inserted == 0 {
        enrolment::Entity::update_many()
            .col_expr(enrolment::Column::Status, Expr::value("active"))
            .col_expr(
                enrolment::Column::LeftAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(enrolment::Column::UserId.eq(user))
            .filter(enrolment::Column::CourseId.eq(course_id))
            .filter(enrolment::Column::Status.eq("left"))
            .exec(db)
            .await
            .context("enrolling again")?;
    }
    Ok(inserted > 0)
}

/// Enrols each (person, course) of `pairs` if not enrolled (reactivating a left enrolment), in
/// one statement: an insert that, on conflict, reactivates only a left enrolment. Give the
/// pairs in one order (sorted) so that concurrent callers take their row locks in that order.
pub async fn ensure_enrolled(
    db: &impl ConnectionTrait,
    pairs: &[(i32, i32)],
    source: Source,
) -> anyhow::Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    enrolment::Entity::insert_many(
        pairs
            .iter()
            .map(|(user, course_id)| enrolment::ActiveModel {
                user_id: Set(*user),
                course_id: Set(*course_id),
                source: Set(source.as_str().to_owned()),
                status: Set("active".to_owned()),
                enrolled_at: Set(now),
                left_at: Set(None),
                ..Default::default()
            }),
    )
    .on_conflict(
        OnConflict::columns([enrolment::Column::UserId, enrolment::Column::CourseId])
            .update_columns([enrolment::Column::Status, enrolment::Column::LeftAt])
            .action_and_where(sea_orm::sea_query::ExprTrait::eq(
                Expr::col((enrolment::Entity, enrolment::Column::Status)),
                "left",
            ))
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .context("enrolling")?;
    Ok(())
}

/// Unenrols `user` from course `course_id` (nothing happens when not enrolled).
pub async fn unenrol(db: &impl ConnectionTrait, user: i32, course_id: i32) -> anyhow::Result<()> {
    enrolment::Entity::update_many()
        .col_expr(enrolment::Column::Status, Expr::value("left"))
        .col_expr(enrolment::Column::LeftAt, Expr::value(Some(Utc::now())))
        .filter(enrolment::Column::UserId.eq(user))
        .filter(enrolment::Column::CourseId.eq(course_id))
        .filter(enrolment::Column::Status.eq("active"))
        .exec(db)
        .await
        .context("unenrolling")?;
    Ok(())
}

/// Every enrolment of `user`, oldest first.
pub async fn mine(db: &impl ConnectionTrait, user: i32) -> anyhow::Result<Vec<Enrolment>> {
    let rows = enrolment::Entity::find()
        .filter(enrolment::Column::UserId.eq(user))
        .order_by_asc(enrolment::Column::Id)
        .all(db)
        .await
        .context("listing enrolments")?;
    let slugs = course_slugs(db, rows.iter().map(|r| r.course_id).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let slug = slugs.get(&row.course_id).cloned().unwrap_or_default();
            view(row, slug)
        })
        .collect())
}

/// The slugs of courses by id.
pub(crate) async fn course_slugs(
    db: &impl ConnectionTrait,
    ids: BTreeSet<i32>,
) -> anyhow::Result<BTreeMap<i32, String>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rows: Vec<(i32, String)> = course::Entity::find()
        .select_only()
        .column(course::Column::Id)
        .column(course::Column::Slug)
        .filter(course::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await
        .context("reading course slugs")?;
    Ok(rows.into_iter().collect())
}

/// The courses `user` may read as a participant of a cohort (the distance-course courses of
/// every edition they take part in).
pub async fn cohort_courses(db: &impl ConnectionTrait, user: i32) -> anyhow::Result<BTreeSet<i32>> {
    let programmes: Vec<i32> = application::Entity::find()
        .select_only()
        .column(application::Column::ProgrammeId)
        .filter(application::Column::UserId.eq(user))
        .filter(application::Column::Status.eq(Status::Participant.as_str()))
        .into_tuple()
        .all(db)
        .await
        .context("reading a person's cohorts")?;
    if programmes.is_empty() {
        return Ok(BTreeSet::new());
    }
    let courses: Vec<i32> = programme_course::Entity::find()
        .select_only()
        .column(programme_course::Column::CourseId)
        .filter(programme_course::Column::ProgrammeId.is_in(programmes))
        .into_tuple()
        .all(db)
        .await
        .context("reading the courses of a person's cohorts")?;
    Ok(courses.into_iter().collect())
}

fn view(row: enrolment::Model, course: String) -> Enrolment {
    Enrolment {
        course_id: row.course_id,
        course,
        source: row.source,
        status: row.status,
        enrolled_at: row.enrolled_at,
        left_at: row.left_at,
    }
}
