//! The group commit of progress events. Handlers hand each event to a [`Recorder`] and wait for
//! its answer; a writer task takes every event queued meanwhile (up to [`MOST_PER_BATCH`]),
//! applies them in one transaction — the lesson events together, in a few statements for the
//! whole batch ([`crate::batch`]), each quiz attempt in a savepoint of its own — commits once,
//! and only then answers each caller. An answer therefore never gets ahead of its commit: what was acknowledged is stored
//! as durably as the database stores a commit (see the README on SQLite's `synchronous`).
//!
//! A duplicate or a refused attempt rolls back its own savepoint only. An event that fails on
//! an infrastructure error inside the batch, and every event of a batch whose transaction could
//! not be committed, is recorded again alone before it is answered, so that no event fails for
//! another's sake. One writer suits SQLite (it has one write lock); on PostgreSQL several
//! writers overlap their commits, and each batch takes its row locks in one order (by person,
//! then course) so that two batches never wait for each other in a circle.

use std::{collections::BTreeMap, sync::Arc};

use academy_courses::catalog::CourseEntry;
use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use serde_json::Value;
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use crate::{
    ProgressError, batch,
    grade::Graded,
    record::{self, Recorded},
};

/// The most events one transaction takes.
pub const MOST_PER_BATCH: usize = 256;

/// Events that may wait for a writer; further callers wait for room.
const QUEUE: usize = 4096;

/// One learning event, ready to record.
#[derive(Debug)]
pub struct Event {
    pub user: i32,
    pub course: Arc<CourseEntry>,
    /// The client's id for the event (a fresh one when recorded online): its replay is a no-op.
    pub id: Uuid,
    /// When it happened (already clamped to now).
    pub at: DateTime<Utc>,
    pub item: Item,
}

/// What the event is about.
#[derive(Debug)]
pub enum Item {
    /// Lesson `slug` opened or, with `completed`, completed.
    Lesson { slug: String, completed: bool },
    /// A graded attempt of quiz `slug`.
    Attempt {
        slug: String,
        answers: BTreeMap<String, Value>,
        graded: Graded,
    },
}

struct Job {
    event: Event,
    reply: oneshot::Sender<Result<Recorded, ProgressError>>,
}

/// Where progress events are recorded: a handle to the writer tasks. Cheap to clone; the
/// writers stop when the last handle is dropped.
#[derive(Clone, Debug)]
pub struct Recorder {
    queue: mpsc::Sender<Job>,
}

fn stopped() -> ProgressError {
    ProgressError::Other(anyhow!("the progress writer has stopped"))
}

impl Recorder {
    /// Starts `writers` writer tasks (at least one) on `db`, which should be a pool of that many
    /// connections kept for them. Call inside a Tokio runtime.
    pub fn start(db: DatabaseConnection, writers: usize) -> Recorder {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let jobs = Arc::new(Mutex::new(jobs));
        for _ in 0..writers.max(1) {
            tokio::spawn(write(db.clone(), jobs.clone()));
        }
        Recorder { queue }
    }

    /// Records `event` and answers once it is committed.
    pub async fn record(&self, event: Event) -> Result<Recorded, ProgressError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { event, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Records every event (queued together, so that they share as few commits as possible) and
    /// answers, in their order, once each is committed.
    pub async fn record_all(&self, events: Vec<Event>) -> Vec<Result<Recorded, ProgressError>> {
        let mut answers = Vec::with_capacity(events.len());
        for event in events {
            let (reply, answer) = oneshot::channel();
            let sent = self.queue.send(Job { event, reply }).await.is_ok();
            answers.push(sent.then_some(answer));
        }
        let mut out = Vec::with_capacity(answers.len());
        for answer in answers {
            out.push(match answer {
                Some(answer) => answer.await.unwrap_or_else(|_| Err(stopped())),
                None => Err(stopped()),
            });
        }
        out
    }
}

/// One writer: takes what is queued, commits it as one batch, answers; until every handle is
/// gone.
async fn write(db: DatabaseConnection, jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut batch = Vec::with_capacity(MOST_PER_BATCH);
    loop {
        let taken = jobs
            .lock()
            .await
            .recv_many(&mut batch, MOST_PER_BATCH)
            .await;
        if taken == 0 {
            return;
        }
        commit_batch(&db, &mut batch).await;
    }
}

/// Opens a transaction that writes: on SQLite it takes the write lock at once (waiting out
/// other writers with the busy timeout) rather than at the first write, where a writer that
/// committed meanwhile would make the upgrade fail.
async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Applies `event` in a savepoint of `tx`.
async fn apply(tx: &DatabaseTransaction, event: &Event) -> Result<Recorded, ProgressError> {
    match &event.item {
        Item::Lesson { slug, completed } => {
            record::lesson(
                tx,
                event.user,
                &event.course,
                slug,
                *completed,
                event.id,
                event.at,
            )
            .await
        }
        Item::Attempt {
            slug,
            answers,
            graded,
        } => {
            record::quiz_attempt(
                tx,
                event.user,
                &event.course,
                slug,
                answers,
                graded,
                event.id,
                event.at,
            )
            .await
        }
    }
}

/// Records `event` in a transaction of its own.
async fn record_alone(db: &DatabaseConnection, event: &Event) -> Result<Recorded, ProgressError> {
    let tx = begin_write(db).await.context("starting a transaction")?;
    let recorded = apply(&tx, event).await;
    tx.commit().await.context("committing progress")?;
    recorded
}

/// Commits `batch` (emptied) in one transaction and answers each event.
async fn commit_batch(db: &DatabaseConnection, batch: &mut Vec<Job>) {
    // One order of row locks for every batch: by person, then course (stable: a person's
    // events of one course keep their order).
    batch.sort_by_key(|job| (job.event.user, job.event.course.id));
    let mut outcomes: Vec<Option<Result<Recorded, ProgressError>>> =
        batch.iter().map(|_| None).collect();
    let committed = async {
        let tx = begin_write(db).await.context("starting a batch")?;
        // The lesson events set-wise, in a few statements for all of them; should that fail,
        // each on its own. Then the quiz attempts, each on its own.
        let lessons: Vec<(usize, batch::LessonEvent<'_>)> = batch
            .iter()
            .enumerate()
            .filter_map(|(i, job)| match &job.event.item {
                Item::Lesson { slug, completed } => Some((
                    i,
                    batch::LessonEvent {
                        user: job.event.user,
                        course: &job.event.course,
                        slug,
                        completed: *completed,
                        id: job.event.id,
                        at: job.event.at,
                    },
                )),
                Item::Attempt { .. } => None,
            })
            .collect();
        if !lessons.is_empty() {
            let events: Vec<_> = lessons.iter().map(|(_, e)| *e).collect();
            match batch::lessons(&tx, &events).await {
                Ok(answers) => {
                    for ((i, _), answer) in lessons.iter().zip(answers) {
                        if let Some(slot) = outcomes.get_mut(*i) {
                            *slot = Some(answer);
                        }
                    }
                }
                Err(e) => tracing::warn!(
                    error = format!("{e:#}"),
                    events = events.len(),
                    "a set of lesson events failed together; recording them one by one"
                ),
            }
        }
        for (job, outcome) in batch.iter().zip(outcomes.iter_mut()) {
            if outcome.is_none() {
                *outcome = Some(apply(&tx, &job.event).await);
            }
        }
        tx.commit().await.context("committing a batch")?;
        anyhow::Ok(())
    }
    .await;
    match committed {
        Ok(()) => {
            for (job, outcome) in batch.drain(..).zip(outcomes) {
                let outcome = match outcome.unwrap_or_else(|| Err(stopped())) {
                    // Not recorded: perhaps for another event's sake (a deadlock on PostgreSQL).
                    Err(ProgressError::Other(_)) => record_alone(db, &job.event).await,
                    outcome => outcome,
                };
                // The caller may have gone away meanwhile; what is committed stays.
                let _ = job.reply.send(outcome);
            }
        }
        Err(e) => {
            tracing::warn!(
                error = format!("{e:#}"),
                events = batch.len(),
                "a batch of progress events failed; recording them one by one"
            );
            for job in batch.drain(..) {
                let outcome = record_alone(db, &job.event).await;
                let _ = job.reply.send(outcome);
            }
        }
    }
}
