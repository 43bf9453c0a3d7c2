//! Recording one progress event: a lesson opened or completed, or a quiz attempt graded. Each
//! event is applied in a savepoint of a transaction that may hold other events too (the group
//! commit of [`crate::recorder`]): the course's progress row first (it locks the person's course,
//! so two events of one course never miss each other's completion), then the event (its unique
//! key makes a replay a no-op), then the state it changes. A duplicate or a refused attempt rolls
//! its savepoint back and leaves the other events of the transaction as they are.

use std::collections::BTreeMap;

use academy_courses::{catalog::CourseEntry, vocab::Visibility};
use academy_enrollment::enrolment::{Source, ensure_enrolled};
use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, TransactionTrait,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    Fate, ProgressError, Verb,
    entity::{course_progress, lesson_progress, progress_event, quiz_attempt, quiz_result},
    grade::Graded,
};

/// What recording one event left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub fate: Fate,
    /// When the course was completed, if it is (now or before).
    pub course_completed_at: Option<DateTime<Utc>>,
}

/// Takes the person's progress row of the course (creating it): the transaction's first write.
/// Returns when the course was completed, if it was (one statement, with `RETURNING`).
async fn touch_course(
    db: &impl ConnectionTrait,
    user: i32,
    course: i32,
    at: DateTime<Utc>,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    let mut insert = Query::insert();
    insert
        .into_table(course_progress::Entity)
        .columns([
            course_progress::Column::UserId,
            course_progress::Column::CourseId,
            course_progress::Column::StartedAt,
            course_progress::Column::LastActivityAt,
        ])
        .values_panic([user.into(), course.into(), at.into(), at.into()])
        .on_conflict(
            OnConflict::columns([
                course_progress::Column::UserId,
                course_progress::Column::CourseId,
            ])
            .update_column(course_progress::Column::LastActivityAt)
            .to_owned(),
        )
        .returning_col(course_progress::Column::CompletedAt);
    let row = db
        .query_one(&insert)
        .await
        .context("recording course activity")?
        .context("the course progress row was not returned")?;
    row.try_get::<Option<DateTime<Utc>>>("", "completed_at")
        .context("reading a completion")
}

/// Stores the event; false when an event with its id was stored before.
async fn store_event(
    db: &impl ConnectionTrait,
    user: i32,
    event: Uuid,
    course: i32,
    (kind, slug): (&str, &str),
    (verb, score): (Verb, Option<i32>),
    at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let inserted = progress_event::Entity::insert(progress_event::ActiveModel {
        user_id: Set(user),
        event_id: Set(event.to_string()),
        course_id: Set(course),
        item_kind: Set(kind.to_owned()),
        item_slug: Set(slug.to_owned()),
        verb: Set(verb.as_str().to_owned()),
        score: Set(score),
        occurred_at: Set(at),
        recorded_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            progress_event::Column::UserId,
            progress_event::Column::EventId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .context("storing a progress event")?;
    Ok(inserted > 0)
}

/// Marks the course complete (once) when every current lesson is completed and every current
/// quiz passed; returns when it was completed, if it is. `completed` is what the course's row
/// said when this event took it: a completion is never re-examined (it only moves forward).
/// The check is the batch's, for a batch of one.
async fn complete_if_done(
    db: &impl ConnectionTrait,
    user: i32,
    course: &CourseEntry,
    at: DateTime<Utc>,
    completed: Option<DateTime<Utc>>,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    if completed.is_some() {
        return Ok(completed);
    }
    let pair = (user, course.id);
    let courses = BTreeMap::from([(course.id, course)]);
    let activity = BTreeMap::from([(pair, (at, at))]);
    // The row was taken by this transaction's first write, so nobody else can have completed
    // it meanwhile: not completed now means not completed.
    Ok(
        crate::batch::complete_if_done(db, &courses, &[pair], &activity)
            .await?
            .first()
            .map(|(_, at)| *at),
    )
}

/// Enrols the learner in a public course they make progress in.
async fn enrol_if_public(
    db: &impl ConnectionTrait,
    user: i32,
    course: &CourseEntry,
) -> anyhow::Result<()> {
    if course.visibility == Visibility::Public {
        ensure_enrolled(db, &[(user, course.id)], Source::Own).await?;
    }
    Ok(())
}

/// Records, in a savepoint of `db`, that `user` opened (or, with `completed`, completed) lesson
/// `slug` of `course` at `at`, as event `event` (a fresh id when recorded online).
pub(crate) async fn lesson(
    db: &DatabaseTransaction,
    user: i32,
    course: &CourseEntry,
    slug: &str,
    completed: bool,
    event: Uuid,
    at: DateTime<Utc>,
) -> Result<Recorded, ProgressError> {
    // Microseconds, as PostgreSQL keeps them: what is answered is what is stored.
    let at = at.trunc_subsecs(6);
    if course.lesson_index(slug).is_none() {
        return Err(ProgressError::LessonNotFound {
            course: course.slug.clone(),
            lesson: slug
                .chars()
                .take(80)
                .collect::<String>()
                .escape_default()
                .to_string(),
        });
    }
    let verb = if completed {
        Verb::Completed
    } else {
        Verb::Experienced
    };
    let tx = db.begin().await.context("starting a savepoint")?;
    let was_completed = touch_course(&tx, user, course.id, at).await?;
    if !store_event(
        &tx,
        user,
        event,
        course.id,
        ("lesson", slug),
        (verb, None),
        at,
    )
    .await?
    {
        tx.rollback().await.context("ending a duplicate")?;
        return Ok(Recorded {
            fate: Fate::Duplicate,
            course_completed_at: was_completed,
        });
    }
    // One statement: the lesson's row, opened now if new, and completed now unless it was.
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
            .if_null(Expr::value(at)),
        );
    } else {
        on_conflict.do_nothing();
    }
    lesson_progress::Entity::insert(lesson_progress::ActiveModel {
        user_id: Set(user),
        course_id: Set(course.id),
        lesson_slug: Set(slug.to_owned()),
        opened_at: Set(at),
        completed_at: Set(completed.then_some(at)),
    })
    .on_conflict(on_conflict)
    .exec_without_returning(&tx)
    .await
    .context("recording a lesson")?;
    enrol_if_public(&tx, user, course).await?;
    let done = complete_if_done(&tx, user, course, at, was_completed).await?;
    tx.commit().await.context("keeping progress")?;
    Ok(Recorded {
        fate: Fate::Accepted,
        course_completed_at: done,
    })
}

/// Records, in a savepoint of `db`, a graded attempt of quiz `slug`: the attempt, the event,
/// and the quiz's best result.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn quiz_attempt(
    db: &DatabaseTransaction,
    user: i32,
    course: &CourseEntry,
    slug: &str,
    answers: &BTreeMap<String, Value>,
    graded: &Graded,
    event: Uuid,
    at: DateTime<Utc>,
) -> Result<Recorded, ProgressError> {
    // Microseconds, as PostgreSQL keeps them: what is answered is what is stored.
    let at = at.trunc_subsecs(6);
    let verb = if graded.passed {
        Verb::Passed
    } else {
        Verb::Failed
    };
    let tx = db.begin().await.context("starting a savepoint")?;
    let was_completed = touch_course(&tx, user, course.id, at).await?;
    if !store_event(
        &tx,
        user,
        event,
        course.id,
        ("quiz", slug),
        (verb, Some(graded.score)),
        at,
    )
    .await?
    {
        tx.rollback().await.context("ending a duplicate")?;
        return Ok(Recorded {
            fate: Fate::Duplicate,
            course_completed_at: was_completed,
        });
    }
    quiz_result::Entity::insert(quiz_result::ActiveModel {
        user_id: Set(user),
        course_id: Set(course.id),
        quiz_slug: Set(slug.to_owned()),
        attempts: Set(0),
        best_score: Set(0),
        passed_at: Set(None),
        last_attempt_at: Set(at),
    })
    .on_conflict(
        OnConflict::columns([
            quiz_result::Column::UserId,
            quiz_result::Column::CourseId,
            quiz_result::Column::QuizSlug,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&tx)
    .await
    .context("recording a quiz result")?;
    let key = |q: sea_orm::UpdateMany<quiz_result::Entity>| {
        q.filter(quiz_result::Column::UserId.eq(user))
            .filter(quiz_result::Column::CourseId.eq(course.id))
            .filter(quiz_result::Column::QuizSlug.eq(slug))
    };
    // At most `max_attempts`: a conditional update of the count, never a read then a write.
    let mut count = key(quiz_result::Entity::update_many())
        .col_expr(
            quiz_result::Column::Attempts,
            Expr::col(quiz_result::Column::Attempts).add(1),
        )
        .col_expr(quiz_result::Column::LastAttemptAt, Expr::value(at));
    let limit = course.quiz(slug).and_then(|q| q.max_attempts);
    if let Some(limit) = limit {
        count = count.filter(quiz_result::Column::Attempts.lt(i32::from(limit)));
    }
    let counted = count
        .exec(&tx)
        .await
        .context("counting an attempt")?
        .rows_affected;
    if counted == 0 {
        tx.rollback().await.context("ending a refused attempt")?;
        return Err(ProgressError::NoAttemptsLeft(limit.unwrap_or_default()));
    }
    quiz_attempt::ActiveModel {
        user_id: Set(user),
        course_id: Set(course.id),
        quiz_slug: Set(slug.to_owned()),
        score: Set(graded.score),
        passed: Set(graded.passed),
        answers: Set(serde_json::to_string(answers).context("encoding answers")?),
        attempted_at: Set(at),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .context("recording an attempt")?;
    // The best result counts: a conditional update, never lowered.
    key(quiz_result::Entity::update_many())
        .col_expr(quiz_result::Column::BestScore, Expr::value(graded.score))
        .filter(quiz_result::Column::BestScore.lt(graded.score))
        .exec(&tx)
        .await
        .context("keeping the best score")?;
    if graded.passed {
        key(quiz_result::Entity::update_many())
            .col_expr(quiz_result::Column::PassedAt, Expr::value(Some(at)))
            .filter(quiz_result::Column::PassedAt.is_null())
            .exec(&tx)
            .await
            .context("recording a pass")?;
    }
    enrol_if_public(&tx, user, course).await?;
    let done = complete_if_done(&tx, user, course, at, was_completed).await?;
    tx.commit().await.context("keeping an attempt")?;
    Ok(Recorded {
        fate: Fate::Accepted,
        course_completed_at: done,
    })
}
