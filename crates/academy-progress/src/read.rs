//! Reading progress from its stored state and the current catalog.

use std::collections::{BTreeMap, BTreeSet};

use academy_courses::catalog::{Catalog, CourseEntry};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, Query, UnionType},
};

use crate::entity::{course_progress, lesson_progress, quiz_result};

/// One course's progress, counted against its current lessons and quizzes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseProgress {
    pub course: String,
    pub lessons_done: u32,
    pub lessons_total: u32,
    pub quizzes_passed: u32,
    pub quizzes_total: u32,
    /// Lessons done and quizzes passed over all of them, in percent (rounded down).
    pub percent: u32,
    pub started_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A lesson's state for one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonState {
    pub lesson: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A quiz's state for one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuizState {
    pub quiz: String,
    pub attempts: u32,
    pub best_score: Option<i32>,
    pub passed_at: Option<DateTime<Utc>>,
}

/// One course in detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseDetail {
    pub summary: CourseProgress,
    pub lessons: Vec<LessonState>,
    pub quizzes: Vec<QuizState>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn summarise(
    course: &CourseEntry,
    row: &course_progress::Model,
    done: &BTreeSet<&str>,
    passed: &BTreeSet<&str>,
) -> CourseProgress {
    let lessons_done = course
        .lessons
        .iter()
        .filter(|l| done.contains(l.slug.as_str()))
        .count();
    let quizzes_passed = course
        .quizzes
        .iter()
        .filter(|q| passed.contains(q.slug.as_str()))
        .count();
    let total = course.lessons.len() + course.quizzes.len();
    CourseProgress {
        course: course.slug.clone(),
        lessons_done: count(lessons_done),
        lessons_total: count(course.lessons.len()),
        quizzes_passed: count(quizzes_passed),
        quizzes_total: count(course.quizzes.len()),
        percent: ((lessons_done + quizzes_passed) * 100)
            .checked_div(total)
            .map_or(100, count),
        started_at: row.started_at,
        last_activity_at: row.last_activity_at,
        completed_at: row.completed_at,
    }
}

/// Every course `user` has worked in that the catalog still has, most recent activity first.
/// Two queries whatever the number of courses: the course rows, and the slugs of the lessons
/// completed and quizzes passed (nothing else of those rows is read).
pub async fn mine(
    db: &impl ConnectionTrait,
    catalog: &Catalog,
    user: i32,
) -> anyhow::Result<Vec<CourseProgress>> {
    let courses = course_progress::Entity::find()
        .filter(course_progress::Column::UserId.eq(user))
        .all(db)
        .await
        .context("reading course progress")?;
    let mut lessons = Query::select();
    lessons
        .column(lesson_progress::Column::CourseId)
        .expr(Expr::val("lesson"))
        .column(lesson_progress::Column::LessonSlug)
        .from(lesson_progress::Entity)
        .and_where(lesson_progress::Column::UserId.eq(user))
        .and_where(lesson_progress::Column::CompletedAt.is_not_null());
    let mut quizzes = Query::select();
    quizzes
        .column(quiz_result::Column::CourseId)
        .expr(Expr::val("quiz"))
        .column(quiz_result::Column::QuizSlug)
        .from(quiz_result::Entity)
        .and_where(quiz_result::Column::UserId.eq(user))
        .and_where(quiz_result::Column::PassedAt.is_not_null());
    lessons.union(UnionType::All, quizzes);
    let rows = db
        .query_all(&lessons)
        .await
        .context("reading completed lessons and passed quizzes")?;
    let mut items: Vec<(i32, bool, String)> = Vec::with_capacity(rows.len());
    for row in &rows {
        let course: i32 = row.try_get_by_index(0).context("reading a course id")?;
        let kind: String = row.try_get_by_index(1).context("reading a kind")?;
        let slug: String = row.try_get_by_index(2).context("reading a slug")?;
        items.push((course, kind == "lesson", slug));
    }
    let mut done: BTreeMap<i32, BTreeSet<&str>> = BTreeMap::new();
    let mut passed: BTreeMap<i32, BTreeSet<&str>> = BTreeMap::new();
    for (course, is_lesson, slug) in &items {
        let into = if *is_lesson { &mut done } else { &mut passed };
        into.entry(*course).or_default().insert(slug);
    }
    let by_id: BTreeMap<i32, &std::sync::Arc<CourseEntry>> =
        catalog.all_courses().iter().map(|c| (c.id, c)).collect();
    let empty = BTreeSet::new();
    let mut out: Vec<CourseProgress> = courses
        .iter()
        .filter_map(|row| {
            let course = by_id.get(&row.course_id)?;
            Some(summarise(
                course,
                row,
                done.get(&row.course_id).unwrap_or(&empty),
                passed.get(&row.course_id).unwrap_or(&empty),
            ))
        })
        .collect();
    out.sort_by_key(|p| std::cmp::Reverse(p.last_activity_at));
    Ok(out)
}

/// `user`'s progress in `course`, lesson by lesson and quiz by quiz; `None` before any.
pub async fn course(
    db: &impl ConnectionTrait,
    course: &CourseEntry,
    user: i32,
) -> anyhow::Result<Option<CourseDetail>> {
    let Some(row) = course_progress::Entity::find_by_id((user, course.id))
        .one(db)
        .await
        .context("reading course progress")?
    else {
        return Ok(None);
    };
    let lessons = lesson_progress::Entity::find()
        .filter(lesson_progress::Column::UserId.eq(user))
        .filter(lesson_progress::Column::CourseId.eq(course.id))
        .all(db)
        .await
        .context("reading lesson progress")?;
    let quizzes = quiz_result::Entity::find()
        .filter(quiz_result::Column::UserId.eq(user))
        .filter(quiz_result::Column::CourseId.eq(course.id))
        .all(db)
        .await
        .context("reading quiz results")?;
    let done: BTreeSet<&str> = lessons
        .iter()
        .filter(|l| l.completed_at.is_some())
        .map(|l| l.lesson_slug.as_str())
        .collect();
    let passed: BTreeSet<&str> = quizzes
        .iter()
        .filter(|q| q.passed_at.is_some())
        .map(|q| q.quiz_slug.as_str())
        .collect();
    Ok(Some(CourseDetail {
        summary: summarise(course, &row, &done, &passed),
        lessons: course
            .lessons
            .iter()
            .map(|l| {
                let state = lessons.iter().find(|s| s.lesson_slug == l.slug);
                LessonState {
                    lesson: l.slug.clone(),
                    opened_at: state.map(|s| s.opened_at),
                    completed_at: state.and_then(|s| s.completed_at),
                }
            })
            .collect(),
        quizzes: course
            .quizzes
            .iter()
            .map(|q| {
                let state = quizzes.iter().find(|s| s.quiz_slug == q.slug);
                QuizState {
                    quiz: q.slug.clone(),
                    attempts: state.map_or(0, |s| u32::try_from(s.attempts).unwrap_or(0)),
                    best_score: state.map(|s| s.best_score),
                    passed_at: state.and_then(|s| s.passed_at),
                }
            })
            .collect(),
    }))
}

/// Progress of many people in many courses, for a cohort roster: by (person, course id), only
/// where something was recorded. Three queries whatever the number of people.
pub async fn of_people(
    db: &impl ConnectionTrait,
    catalog: &Catalog,
    users: &[i32],
    courses: &[i32],
) -> anyhow::Result<BTreeMap<(i32, i32), CourseProgress>> {
    let mut out = BTreeMap::new();
    if users.is_empty() || courses.is_empty() {
        return Ok(out);
    }
    let rows = course_progress::Entity::find()
        .filter(course_progress::Column::UserId.is_in(users.iter().copied()))
        .filter(course_progress::Column::CourseId.is_in(courses.iter().copied()))
        .all(db)
        .await
        .context("reading a cohort's progress")?;
    let lessons = lesson_progress::Entity::find()
        .filter(lesson_progress::Column::UserId.is_in(users.iter().copied()))
        .filter(lesson_progress::Column::CourseId.is_in(courses.iter().copied()))
        .filter(lesson_progress::Column::CompletedAt.is_not_null())
        .all(db)
        .await
        .context("reading a cohort's lessons")?;
    let quizzes = quiz_result::Entity::find()
        .filter(quiz_result::Column::UserId.is_in(users.iter().copied()))
        .filter(quiz_result::Column::CourseId.is_in(courses.iter().copied()))
        .filter(quiz_result::Column::PassedAt.is_not_null())
        .all(db)
        .await
        .context("reading a cohort's quizzes")?;
    let mut done: BTreeMap<(i32, i32), BTreeSet<&str>> = BTreeMap::new();
    for l in &lessons {
        done.entry((l.user_id, l.course_id))
            .or_default()
            .insert(&l.lesson_slug);
    }
    let mut passed: BTreeMap<(i32, i32), BTreeSet<&str>> = BTreeMap::new();
    for q in &quizzes {
        passed
            .entry((q.user_id, q.course_id))
            .or_default()
            .insert(&q.quiz_slug);
    }
    let by_id: BTreeMap<i32, &std::sync::Arc<CourseEntry>> =
        catalog.all_courses().iter().map(|c| (c.id, c)).collect();
    let empty = BTreeSet::new();
    for row in &rows {
        let Some(course) = by_id.get(&row.course_id) else {
            continue;
        };
        let key = (row.user_id, row.course_id);
        out.insert(
            key,
            summarise(
                course,
                row,
                done.get(&key).unwrap_or(&empty),
                passed.get(&key).unwrap_or(&empty),
            ),
        );
    }
    Ok(out)
}
