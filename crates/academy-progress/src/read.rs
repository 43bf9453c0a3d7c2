//! Reading progress from its stored state and the current catalog.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use academy_courses::catalog::{Catalog, CourseEntry};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};

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
    done: impl Fn(&str) -> bool,
    passed: impl Fn(&str) -> bool,
) -> CourseProgress {
    let lessons_done = course.lessons.iter().filter(|l| done(&l.slug)).count();
    let quizzes_passed = course.quizzes.iter().filter(|q| passed(&q.slug)).count();
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
/// One statement, answered as one row: a JSON array with, per course row, its moments and the
/// slugs of the lessons completed and the quizzes passed (SQLite and PostgreSQL each spell the
/// aggregate their way). With SQLite every row of a result is handed across threads one by
/// one, so one row instead of a hundred is most of this read's cost.
pub async fn mine(
    db: &impl ConnectionTrait,
    catalog: &Catalog,
    user: i32,
) -> anyhow::Result<Vec<CourseProgress>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT COALESCE(json_agg(json_build_array(cp.course_id, cp.started_at, \
             cp.last_activity_at, cp.completed_at, \
             (SELECT string_agg(lp.lesson_slug, ' ') FROM lesson_progress lp \
              WHERE lp.user_id = cp.user_id AND lp.course_id = cp.course_id \
              AND lp.completed_at IS NOT NULL), \
             (SELECT string_agg(qr.quiz_slug, ' ') FROM quiz_results qr \
              WHERE qr.user_id = cp.user_id AND qr.course_id = cp.course_id \
              AND qr.passed_at IS NOT NULL)))::text, '[]') AS courses \
             FROM course_progress cp WHERE cp.user_id = $1"
        }
        _ => {
            "SELECT json_group_array(json_array(cp.course_id, cp.started_at, \
             cp.last_activity_at, cp.completed_at, \
             (SELECT group_concat(lp.lesson_slug, ' ') FROM lesson_progress lp \
              WHERE lp.user_id = cp.user_id AND lp.course_id = cp.course_id \
              AND lp.completed_at IS NOT NULL), \
             (SELECT group_concat(qr.quiz_slug, ' ') FROM quiz_results qr \
              WHERE qr.user_id = cp.user_id AND qr.course_id = cp.course_id \
              AND qr.passed_at IS NOT NULL))) AS courses \
             FROM course_progress cp WHERE cp.user_id = ?"
        }
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [user.into()]))
        .await
        .context("reading course progress")?
        .context("the course progress aggregate returned no row")?;
    let text: String = row
        .try_get("", "courses")
        .context("reading course progress")?;
    let rows: Vec<StoredCourse<'_>> =
        serde_json::from_str(&text).context("reading the course progress aggregate")?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(course) = catalog.course_by_id(row.0) else {
            continue;
        };
        let model = course_progress::Model {
            user_id: user,
            course_id: row.0,
            started_at: stored_instant(&row.1)?,
            last_activity_at: stored_instant(&row.2)?,
            completed_at: row.3.as_deref().map(stored_instant).transpose()?,
        };
        let done = slugs(row.4.as_deref());
        let passed = slugs(row.5.as_deref());
        out.push(summarise(
            course,
            &model,
            |s| done.binary_search(&s).is_ok(),
            |s| passed.binary_search(&s).is_ok(),
        ));
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.last_activity_at));
    Ok(out)
}

/// One course row of the aggregate `mine` reads: course id, started, last activity, completed,
/// the completed lessons' slugs and the passed quizzes' slugs (space-separated: a slug has no
/// spaces). Borrowed from the aggregate's text where nothing needed unescaping.
#[derive(serde::Deserialize)]
struct StoredCourse<'a>(
    i32,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
);

/// Space-separated slugs, sorted for lookups.
fn slugs(list: Option<&str>) -> Vec<&str> {
    let mut slugs: Vec<&str> = list.unwrap_or_default().split(' ').collect();
    slugs.sort_unstable();
    slugs
}

/// A moment as the database writes it in JSON: RFC 3339 (PostgreSQL, `T` and an offset) or
/// as SQLite keeps it (a space for the `T`, perhaps no offset: UTC).
fn stored_instant(text: &str) -> anyhow::Result<DateTime<Utc>> {
    let iso = text.replacen(' ', "T", 1);
    if let Ok(at) = DateTime::parse_from_rfc3339(&iso) {
        return Ok(at.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(&iso, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|at| at.and_utc())
        .with_context(|| format!("reading the stored moment {:?}", text.escape_default()))
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
        summary: summarise(course, &row, |s| done.contains(s), |s| passed.contains(s)),
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
    let empty = BTreeSet::new();
    for row in &rows {
        let Some(course) = catalog.course_by_id(row.course_id) else {
            continue;
        };
        let key = (row.user_id, row.course_id);
        let (done, passed) = (
            done.get(&key).unwrap_or(&empty),
            passed.get(&key).unwrap_or(&empty),
        );
        out.insert(
            key,
            summarise(course, row, |s| done.contains(s), |s| passed.contains(s)),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_moments_are_read_as_either_database_writes_them() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T16:01:16.649382Z")
            .unwrap()
            .with_timezone(&Utc);
        for text in [
            "2026-12-02T16:01:16.649382+00:00",
            "2026-12-02 16:01:16.649382+00:00",
            "2026-12-02T17:01:16.649382+01:00",
            "2026-12-02 16:01:16.649382",
        ] {
            assert_eq!(stored_instant(text).unwrap(), at, "{text}");
        }
        assert!(stored_instant("yesterday").is_err());
    }
}
