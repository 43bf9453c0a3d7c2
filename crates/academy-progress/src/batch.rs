//! Lesson events of a group commit, applied set-wise: a handful of statements for the whole
//! batch (the events, the course rows, the lesson rows, the enrolments, one completion check)
//! instead of a handful per event. What an event leaves is what [`crate::record::lesson`]
//! would leave for it: a replay is a duplicate, a lesson is completed once and at its first
//! completion, a public course enrols, and a course is completed (and its certificate
//! awarded) at once when its last lesson is done. The caller falls back to recording each event
//! on its own if this fails.
//!
//! Row locks are taken in one order (events by person and id, then course rows by person and
//! course), as every batch does, so that on PostgreSQL two writers never wait for each other
//! in a circle; the course rows are written before the lesson rows and the completion check,
//! so two batches with events of one person's course never miss each other's completion.

use std::collections::{BTreeMap, BTreeSet};

use academy_courses::{catalog::CourseEntry, vocab::Visibility};
use academy_enrollment::enrolment::{Source, ensure_enrolled};
use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait, OnConflict, Query, UnionType},
};
use uuid::Uuid;

use crate::{
    Fate, ProgressError, Verb,
    entity::{course_progress, lesson_progress, progress_event, quiz_result},
    record::Recorded,
};

/// One lesson event of a batch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LessonEvent<'a> {
    pub user: i32,
    pub course: &'a CourseEntry,
    pub slug: &'a str,
    pub completed: bool,
    pub id: Uuid,
    pub at: DateTime<Utc>,
}

type Pair = (i32, i32);

/// Records `events` in one savepoint of `db`; the answer of each, in their order. An error means
/// nothing of the batch was kept (the savepoint is rolled back).
pub(crate) async fn lessons(
    db: &DatabaseTransaction,
    events: &[LessonEvent<'_>],
) -> anyhow::Result<Vec<Result<Recorded, ProgressError>>> {
    let tx = db.begin().await.context("starting a savepoint")?;
    match apply(&tx, events).await {
        Ok(answers) => {
            tx.commit().await.context("keeping a batch of lessons")?;
            Ok(answers)
        }
        Err(e) => {
            tx.rollback().await.context("undoing a batch of lessons")?;
            Err(e)
        }
    }
}

async fn apply(
    db: &DatabaseTransaction,
    events: &[LessonEvent<'_>],
) -> anyhow::Result<Vec<Result<Recorded, ProgressError>>> {
    let mut answers: BTreeMap<usize, Result<Recorded, ProgressError>> = BTreeMap::new();
    // Unknown lessons are refused without a write; within the batch, a second event with one
    // id is a duplicate of the first.
    let mut seen = BTreeSet::new();
    let mut fresh: Vec<(usize, LessonEvent<'_>)> = Vec::new();
    let mut repeated: Vec<(usize, Pair)> = Vec::new();
    for (i, event) in events.iter().enumerate() {
        if event.course.lesson_index(event.slug).is_none() {
            answers.insert(
                i,
                Err(ProgressError::LessonNotFound {
                    course: event.course.slug.clone(),
                    lesson: event
                        .slug
                        .chars()
                        .take(80)
                        .collect::<String>()
                        .escape_default()
                        .to_string(),
                }),
            );
        } else if seen.insert((event.user, event.id)) {
            let mut event = *event;
            event.at = event.at.trunc_subsecs(6);
            fresh.push((i, event));
        } else {
            repeated.push((i, (event.user, event.course.id)));
        }
    }
    fresh.sort_by_key(|(_, e)| (e.user, e.id.to_string()));

    // 1. The events; those stored before are duplicates.
    let stored = store_events(db, fresh.iter().map(|(_, e)| e)).await?;
    let (new, old): (Vec<_>, Vec<_>) = fresh
        .into_iter()
        .partition(|(_, e)| stored.contains(&(e.user, e.id.to_string())));
    repeated.extend(old.iter().map(|(i, e)| (*i, (e.user, e.course.id))));

    // 2. The course rows (taking them), with their completion so far.
    let mut activity: BTreeMap<Pair, (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
    for (_, e) in &new {
        let span = activity
            .entry((e.user, e.course.id))
            .or_insert((e.at, e.at));
        span.0 = Ord::min(span.0, e.at);
        span.1 = Ord::max(span.1, e.at);
    }
    let mut completed = touch_courses(db, &activity).await?;

    // 3. The lesson rows: opened (if new), then completed (unless they were).
    let mut opened: BTreeMap<(i32, i32, &str), DateTime<Utc>> = BTreeMap::new();
    let mut done: BTreeMap<(i32, i32, &str), DateTime<Utc>> = BTreeMap::new();
    for (_, e) in &new {
        let into = if e.completed { &mut done } else { &mut opened };
        let at = into.entry((e.user, e.course.id, e.slug)).or_insert(e.at);
        *at = Ord::min(*at, e.at);
    }
    store_lessons(db, &opened, false).await?;
    store_lessons(db, &done, true).await?;

    // 4. Enrolment in the public courses.
    let public: Vec<Pair> = activity
        .keys()
        .copied()
        .filter(|(_, course)| {
            new.iter()
                .any(|(_, e)| e.course.id == *course && e.course.visibility == Visibility::Public)
        })
        .collect();
    ensure_enrolled(db, &public, Source::Own).await?;

    // 5. Completion, for the courses not completed before.
    let courses: BTreeMap<i32, &CourseEntry> =
        new.iter().map(|(_, e)| (e.course.id, e.course)).collect();
    let open: Vec<Pair> = completed
        .iter()
        .filter(|(_, at)| at.is_none())
        .map(|(pair, _)| *pair)
        .collect();
    for (pair, at) in complete_if_done(db, &courses, &open, &activity).await? {
        completed.insert(pair, Some(at));
    }

    // The answers: accepted, or a duplicate with the course's completion as stored.
    for (i, e) in &new {
        answers.insert(
            *i,
            Ok(Recorded {
                fate: Fate::Accepted,
                course_completed_at: completed.get(&(e.user, e.course.id)).copied().flatten(),
            }),
        );
    }
    if !repeated.is_empty() {
        let pairs: BTreeSet<Pair> = repeated.iter().map(|(_, pair)| *pair).collect();
        let stored = completions(db, &pairs).await?;
        for (i, pair) in repeated {
            answers.insert(
                i,
                Ok(Recorded {
                    fate: Fate::Duplicate,
                    course_completed_at: completed
                        .get(&pair)
                        .copied()
                        .flatten()
                        .or_else(|| stored.get(&pair).copied().flatten()),
                }),
            );
        }
    }
    Ok((0..events.len())
        .map(|i| {
            answers
                .remove(&i)
                .unwrap_or_else(|| Err(anyhow::anyhow!("an event was left out").into()))
        })
        .collect())
}

/// Inserts the events (keeping any stored before); returns the (person, id) of those inserted.
async fn store_events<'a>(
    db: &impl ConnectionTrait,
    events: impl Iterator<Item = &'a LessonEvent<'a>>,
) -> anyhow::Result<BTreeSet<(i32, String)>> {
    let mut insert = Query::insert();
    insert.into_table(progress_event::Entity).columns([
        progress_event::Column::UserId,
        progress_event::Column::EventId,
        progress_event::Column::CourseId,
        progress_event::Column::ItemKind,
        progress_event::Column::ItemSlug,
        progress_event::Column::Verb,
        progress_event::Column::OccurredAt,
        progress_event::Column::RecordedAt,
    ]);
    let now = Utc::now();
    let mut any = false;
    for e in events {
        let verb = if e.completed {
            Verb::Completed
        } else {
            Verb::Experienced
        };
        insert.values_panic([
            e.user.into(),
            e.id.to_string().into(),
            e.course.id.into(),
            "lesson".into(),
            e.slug.into(),
            verb.as_str().into(),
            e.at.into(),
            now.into(),
        ]);
        any = true;
    }
    if !any {
        return Ok(BTreeSet::new());
    }
    insert
        .on_conflict(
            OnConflict::columns([
                progress_event::Column::UserId,
                progress_event::Column::EventId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .returning(Query::returning().columns([
            progress_event::Column::UserId,
            progress_event::Column::EventId,
        ]));
    let mut stored = BTreeSet::new();
    for row in db
        .query_all(&insert)
        .await
        .context("storing progress events")?
    {
        stored.insert((
            row.try_get::<i32>("", "user_id")
                .context("reading a person")?,
            row.try_get::<String>("", "event_id")
                .context("reading an event id")?,
        ));
    }
    Ok(stored)
}

/// Upserts the course rows of `activity` ((first, last) moment per person and course); returns
/// each one's completion as it was.
async fn touch_courses(
    db: &impl ConnectionTrait,
    activity: &BTreeMap<Pair, (DateTime<Utc>, DateTime<Utc>)>,
) -> anyhow::Result<BTreeMap<Pair, Option<DateTime<Utc>>>> {
    if activity.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut insert = Query::insert();
    insert.into_table(course_progress::Entity).columns([
        course_progress::Column::UserId,
        course_progress::Column::CourseId,
        course_progress::Column::StartedAt,
        course_progress::Column::LastActivityAt,
    ]);
    for ((user, course), (first, last)) in activity {
        insert.values_panic([
            (*user).into(),
            (*course).into(),
            (*first).into(),
            (*last).into(),
        ]);
    }
    insert
        .on_conflict(
            OnConflict::columns([
                course_progress::Column::UserId,
                course_progress::Column::CourseId,
            ])
            .update_column(course_progress::Column::LastActivityAt)
            .to_owned(),
        )
        .returning(Query::returning().columns([
            course_progress::Column::UserId,
            course_progress::Column::CourseId,
            course_progress::Column::CompletedAt,
        ]));
    let mut out = BTreeMap::new();
    for row in db
        .query_all(&insert)
        .await
        .context("recording course activity")?
    {
        out.insert(
            (
                row.try_get::<i32>("", "user_id")
                    .context("reading a person")?,
                row.try_get::<i32>("", "course_id")
                    .context("reading a course")?,
            ),
            row.try_get::<Option<DateTime<Utc>>>("", "completed_at")
                .context("reading a completion")?,
        );
    }
    Ok(out)
}

/// Inserts the lesson rows of `lessons` (opened at their moment); with `completed`, also marks
/// each completed at its moment unless it was completed before.
async fn store_lessons(
    db: &impl ConnectionTrait,
    lessons: &BTreeMap<(i32, i32, &str), DateTime<Utc>>,
    completed: bool,
) -> anyhow::Result<()> {
    if lessons.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert.into_table(lesson_progress::Entity).columns([
        lesson_progress::Column::UserId,
        lesson_progress::Column::CourseId,
        lesson_progress::Column::LessonSlug,
        lesson_progress::Column::OpenedAt,
        lesson_progress::Column::CompletedAt,
    ]);
    for ((user, course, slug), at) in lessons {
        insert.values_panic([
            (*user).into(),
            (*course).into(),
            (*slug).into(),
            (*at).into(),
            completed.then_some(*at).into(),
        ]);
    }
    let mut on_conflict = OnConflict::columns([
        lesson_progress::Column::UserId,
        lesson_progress::Column::CourseId,
        lesson_progress::Column::LessonSlug,
    ]);
    if completed {
        on_conflict.value(
            lesson_progress::Column::CompletedAt,
            Expr::col((
                lesson_progress::Entity,
                lesson_progress::Column::CompletedAt,
            ))
            .if_null(Expr::cust("excluded.completed_at")),
        );
    } else {
        on_conflict.do_nothing();
    }
    insert.on_conflict(on_conflict);
    db.execute(&insert).await.context("recording lessons")?;
    Ok(())
}

/// Completes each course of `open` (person, course) whose current lessons are all completed and
/// quizzes all passed, at its last activity of the batch; returns those completed now. One
/// query for all of them, then a conditional update (and the certificate) per completion.
pub(crate) async fn complete_if_done(
    db: &impl ConnectionTrait,
    courses: &BTreeMap<i32, &CourseEntry>,
    open: &[Pair],
    activity: &BTreeMap<Pair, (DateTime<Utc>, DateTime<Utc>)>,
) -> anyhow::Result<Vec<(Pair, DateTime<Utc>)>> {
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let users: BTreeSet<i32> = open.iter().map(|(u, _)| *u).collect();
    let ids: BTreeSet<i32> = open.iter().map(|(_, c)| *c).collect();
    let mut lessons = Query::select();
    lessons
        .columns([
            lesson_progress::Column::UserId,
            lesson_progress::Column::CourseId,
        ])
        .expr(Expr::val("lesson"))
        .column(lesson_progress::Column::LessonSlug)
        .from(lesson_progress::Entity)
        .and_where(lesson_progress::Column::UserId.is_in(users.iter().copied()))
        .and_where(lesson_progress::Column::CourseId.is_in(ids.iter().copied()))
        .and_where(lesson_progress::Column::CompletedAt.is_not_null());
    let mut quizzes = Query::select();
    quizzes
        .columns([quiz_result::Column::UserId, quiz_result::Column::CourseId])
        .expr(Expr::val("quiz"))
        .column(quiz_result::Column::QuizSlug)
        .from(quiz_result::Entity)
        .and_where(quiz_result::Column::UserId.is_in(users.iter().copied()))
        .and_where(quiz_result::Column::CourseId.is_in(ids.iter().copied()))
        .and_where(quiz_result::Column::PassedAt.is_not_null());
    lessons.union(UnionType::All, quizzes);
    let mut done: BTreeMap<Pair, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for row in db
        .query_all(&lessons)
        .await
        .context("reading completed lessons and passed quizzes")?
    {
        let user: i32 = row.try_get_by_index(0).context("reading a person")?;
        let course: i32 = row.try_get_by_index(1).context("reading a course")?;
        let kind: String = row.try_get_by_index(2).context("reading a kind")?;
        let slug: String = row.try_get_by_index(3).context("reading a slug")?;
        let (lessons, quizzes) = done.entry((user, course)).or_default();
        if kind == "lesson" {
            lessons.insert(slug);
        } else {
            quizzes.insert(slug);
        }
    }
    let mut now_complete = Vec::new();
    for pair in open {
        let (Some(course), Some((lessons, quizzes))) = (courses.get(&pair.1), done.get(pair))
        else {
            continue;
        };
        let complete = course.lessons.iter().all(|l| lessons.contains(&l.slug))
            && course.quizzes.iter().all(|q| quizzes.contains(&q.slug));
        let Some((_, at)) = activity.get(pair).copied().filter(|_| complete) else {
            continue;
        };
        let updated = course_progress::Entity::update_many()
            .col_expr(course_progress::Column::CompletedAt, Expr::value(Some(at)))
            .filter(course_progress::Column::UserId.eq(pair.0))
            .filter(course_progress::Column::CourseId.eq(pair.1))
            .filter(course_progress::Column::CompletedAt.is_null())
            .exec(db)
            .await
            .context("recording a completion")?;
        // Completed just now (the conditional update chose this transaction): the certificate
        // is awarded with it.
        if updated.rows_affected == 1 {
            crate::certificate::award(db, pair.0, pair.1, at).await?;
            now_complete.push((*pair, at));
        }
    }
    Ok(now_complete)
}

/// The completion of each (person, course) of `pairs` as stored.
async fn completions(
    db: &impl ConnectionTrait,
    pairs: &BTreeSet<Pair>,
) -> anyhow::Result<BTreeMap<Pair, Option<DateTime<Utc>>>> {
    let users: BTreeSet<i32> = pairs.iter().map(|(u, _)| *u).collect();
    let ids: BTreeSet<i32> = pairs.iter().map(|(_, c)| *c).collect();
    Ok(course_progress::Entity::find()
        .filter(course_progress::Column::UserId.is_in(users))
        .filter(course_progress::Column::CourseId.is_in(ids))
        .all(db)
        .await
        .context("reading course progress")?
        .into_iter()
        .map(|row| ((row.user_id, row.course_id), row.completed_at))
        .filter(|(pair, _)| pairs.contains(pair))
        .collect())
}
