//! Crash safety of progress writes, on SQLite and PostgreSQL: the real `academy serve` process
//! takes progress from many clients at once, is killed with SIGKILL in the middle of it, and is
//! started again on the same database. Every event it acknowledged must be there, and every
//! stored aggregate (per lesson, per quiz, per course) must agree with the stored events.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use academy_courses::{catalog::Catalog, content::Answer};
use academy_identity::{SessionKind, SessionPolicy, account, session};
use academy_progress::entity::{
    course_progress, lesson_progress, progress_event, quiz_attempt, quiz_result,
};
use academy_testing::{TestDb, storage_test};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::TEST_DATA_KEY;

const COURSE: &str = "universal-periodic-review";
const LEARNERS: usize = 8;
const CLIENTS: usize = 24;

/// A running `academy serve` on the test's database; killed when dropped.
struct Process {
    child: Child,
    base: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server on `db` with `data_dir` and waits until `/health` answers.
async fn serve(db: &TestDb, data_dir: &Path) -> Process {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_academy"))
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("ACADEMY_CONFIG")
        .env("ACADEMY_LOG", "warn")
        .env("ACADEMY_DATABASE_URL", &db.url)
        .env("ACADEMY_DATA_KEY", TEST_DATA_KEY)
        .env("ACADEMY_SIGNING_KEY", crate::helpers::TEST_SIGNING_KEY)
        .env("ACADEMY_DATA_DIR", data_dir)
        .env("ACADEMY_CONTENT_DIR", data_dir.join("no-content"))
        .env("ACADEMY_CONTENT_POLL_SECONDS", "0")
        .env("ACADEMY_JOBS_INTERVAL_SECONDS", "0")
        .env("ACADEMY_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let process = Process {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let health = client
            .get(format!("{}/health", process.base))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if health.is_ok_and(|r| r.status().is_success()) {
            return process;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server never answered /health");
}

/// What the server acknowledged (a 2xx answer).
#[derive(Default)]
struct Acknowledged {
    /// Synced events by (learner, event id).
    events: BTreeSet<(i32, String)>,
    /// Lessons completed with `PUT`, by (learner, lesson).
    lessons: BTreeSet<(i32, String)>,
    /// Graded attempts by (learner, quiz).
    attempts: BTreeMap<(i32, String), usize>,
    /// Answers that should never come: a 5xx, or a synced event rejected.
    failures: Vec<String>,
}

/// Answers that pass quiz `quiz` (`right`) or fail it.
fn answers(catalog: &Catalog, quiz: &str, right: bool) -> Value {
    let course = catalog
        .readable(COURSE, &academy_courses::catalog::Reader::Organiser)
        .unwrap();
    let entry = course.quiz(quiz).unwrap();
    let text = entry.translations.values().next().unwrap();
    let mut answers = serde_json::Map::new();
    for (key, q) in entry.questions.iter().zip(&text.questions) {
        let value = match (&key.answer, right) {
            (Answer::Choices(ids), true) => json!(ids),
            (Answer::TrueFalse(b), true) => json!(b),
            (Answer::Choices(ids), false) => {
                let other = q.choices.iter().find(|c| !ids.contains(&c.id));
                json!([other.map_or(ids[0].clone(), |c| c.id.clone())])
            }
            (Answer::TrueFalse(b), false) => json!(!b),
        };
        answers.insert(q.id.clone(), value);
    }
    Value::Object(answers)
}

/// One client: sends progress (synced batches, lessons, quiz attempts) as fast as answered,
/// until `stop` or until the server stops answering.
async fn drive(
    k: usize,
    base: String,
    learners: Arc<Vec<(i32, String)>>,
    plan: Arc<Plan>,
    stop: Arc<AtomicBool>,
    acks: Arc<Mutex<Acknowledged>>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    // A small xorshift generator per client: learners, lessons, quizzes, kinds of request and
    // right or wrong answers in an order that covers them all.
    let mut state = (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = move |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % below as u64).unwrap()
    };
    while !stop.load(Ordering::Relaxed) {
        let (user, token) = &learners[next(learners.len())];
        let lesson = &plan.lessons[next(plan.lessons.len())];
        let opened = &plan.lessons[next(plan.lessons.len())];
        let quiz = &plan.quizzes[next(plan.quizzes.len())];
        // Right answers most of the time, so that courses complete while the load runs.
        let right = next(3) != 0;
        let reply = match next(4) {
            0 | 1 => {
                let ids: Vec<String> = (0..3).map(|_| uuid::Uuid::new_v4().to_string()).collect();
                let events = json!({"events": [
                    {"id": ids[0], "course": COURSE, "lesson": lesson, "verb": "completed"},
                    {"id": ids[1], "course": COURSE, "lesson": opened,
                     "verb": "experienced"},
                    {"id": ids[2], "course": COURSE, "quiz": quiz, "verb": "attempted",
                     "answers": plan.answers[&(quiz.clone(), right)]},
                ]});
                let sent = client
                    .post(format!("{base}/api/me/progress/sync"))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(events.to_string())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(bytes) => {
                            let body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
                            let mut acks = acks.lock().unwrap();
                            for result in body["results"].as_array().into_iter().flatten() {
                                match result["fate"].as_str() {
                                    Some("accepted" | "duplicate") => {
                                        let id = result["id"].as_str().unwrap_or_default();
                                        acks.events.insert((*user, id.to_owned()));
                                    }
                                    _ => acks.failures.push(format!("sync: {result}")),
                                }
                            }
                            continue;
                        }
                        Err(_) => return,
                    },
                    other => other,
                }
            }
            2 => {
                let sent = client
                    .put(format!("{base}/api/me/progress/{COURSE}/lessons/{lesson}"))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(json!({"completed": true}).to_string())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => {
                        // Acknowledged once the whole answer has arrived.
                        if r.bytes().await.is_ok() {
                            acks.lock().unwrap().lessons.insert((*user, lesson.clone()));
                            continue;
                        }
                        return;
                    }
                    other => other,
                }
            }
            _ => {
                let sent = client
                    .post(format!(
                        "{base}/api/courses/{COURSE}/quizzes/{quiz}/attempts"
                    ))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(json!({"answers": plan.answers[&(quiz.clone(), right)]}).to_string())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => {
                        if r.bytes().await.is_ok() {
                            *acks
                                .lock()
                                .unwrap()
                                .attempts
                                .entry((*user, quiz.clone()))
                                .or_default() += 1;
                            continue;
                        }
                        return;
                    }
                    other => other,
                }
            }
        };
        match reply {
            Ok(r) => {
                let status = r.status();
                if status.is_server_error() {
                    acks.lock()
                        .unwrap()
                        .failures
                        .push(format!("status {status}"));
                }
            }
            // The server is gone: what was in flight is not acknowledged.
            Err(_) => return,
        }
    }
}

/// The course's lessons and quizzes, and passing and failing answers of each quiz.
struct Plan {
    lessons: Vec<String>,
    quizzes: Vec<String>,
    answers: BTreeMap<(String, bool), Value>,
}

fn plan(catalog: &Catalog) -> Plan {
    let course = catalog
        .readable(COURSE, &academy_courses::catalog::Reader::Organiser)
        .unwrap();
    let lessons: Vec<String> = course.lessons.iter().map(|l| l.slug.clone()).collect();
    let quizzes: Vec<String> = course.quizzes.iter().map(|q| q.slug.clone()).collect();
    let mut by_quiz = BTreeMap::new();
    for quiz in &quizzes {
        for right in [true, false] {
            by_quiz.insert((quiz.clone(), right), answers(catalog, quiz, right));
        }
    }
    Plan {
        lessons,
        quizzes,
        answers: by_quiz,
    }
}

/// What the stored events of one lesson or quiz say.
#[derive(Default)]
struct Told {
    times: BTreeSet<DateTime<Utc>>,
    /// Times of `completed` (lesson) or `passed` (quiz) events.
    done: BTreeSet<DateTime<Utc>>,
    scores: Vec<i32>,
}

/// Every stored aggregate recomputed from the stored events must match.
async fn assert_aggregates_agree(db: &sea_orm::DatabaseConnection, catalog: &Catalog) {
    let events = progress_event::Entity::find().all(db).await.unwrap();
    let mut lessons: BTreeMap<(i32, i32, String), Told> = BTreeMap::new();
    let mut quizzes: BTreeMap<(i32, i32, String), Told> = BTreeMap::new();
    let mut courses: BTreeSet<(i32, i32)> = BTreeSet::new();
    for e in &events {
        courses.insert((e.user_id, e.course_id));
        let key = (e.user_id, e.course_id, e.item_slug.clone());
        let told = match e.item_kind.as_str() {
            "lesson" => lessons.entry(key).or_default(),
            "quiz" => quizzes.entry(key).or_default(),
            other => panic!("an event of kind {other}"),
        };
        told.times.insert(e.occurred_at);
        if matches!(e.verb.as_str(), "completed" | "passed") {
            told.done.insert(e.occurred_at);
        }
        if let Some(score) = e.score {
            told.scores.push(score);
        }
    }

    let rows = lesson_progress::Entity::find().all(db).await.unwrap();
    assert_eq!(
        rows.len(),
        lessons.len(),
        "one lesson row per lesson with events"
    );
    for row in rows {
        let told = &lessons[&(row.user_id, row.course_id, row.lesson_slug.clone())];
        assert!(
            told.times.contains(&row.opened_at),
            "opened at an event's time"
        );
        match row.completed_at {
            Some(at) => assert!(told.done.contains(&at), "completed at a completion's time"),
            None => assert!(told.done.is_empty(), "a completed lesson shows completed"),
        }
    }

    let rows = quiz_result::Entity::find().all(db).await.unwrap();
    let attempts = quiz_attempt::Entity::find().all(db).await.unwrap();
    assert_eq!(
        rows.len(),
        quizzes.len(),
        "one quiz row per quiz with events"
    );
    for row in rows {
        let key = (row.user_id, row.course_id, row.quiz_slug.clone());
        let told = &quizzes[&key];
        assert_eq!(usize::try_from(row.attempts).unwrap(), told.scores.len());
        let stored = attempts
            .iter()
            .filter(|a| (a.user_id, a.course_id, &a.quiz_slug) == (key.0, key.1, &key.2))
            .count();
        assert_eq!(stored, told.scores.len(), "one attempt per attempt event");
        assert_eq!(Some(row.best_score), told.scores.iter().copied().max());
        match row.passed_at {
            Some(at) => assert!(told.done.contains(&at), "passed at a pass's time"),
            None => assert!(told.done.is_empty(), "a passed quiz shows passed"),
        }
    }

    let rows = course_progress::Entity::find().all(db).await.unwrap();
    let stored: BTreeSet<(i32, i32)> = rows.iter().map(|r| (r.user_id, r.course_id)).collect();
    assert_eq!(stored, courses, "one course row per course with events");
    let mut completed = 0;
    for row in rows {
        let course = catalog
            .all_courses()
            .iter()
            .find(|c| c.id == row.course_id)
            .unwrap();
        let key = |slug: &str| (row.user_id, row.course_id, slug.to_owned());
        let done = course.lessons.iter().all(|l| {
            lessons
                .get(&key(&l.slug))
                .is_some_and(|t| !t.done.is_empty())
        }) && course.quizzes.iter().all(|q| {
            quizzes
                .get(&key(&q.slug))
                .is_some_and(|t| !t.done.is_empty())
        });
        assert_eq!(
            row.completed_at.is_some(),
            done,
            "completed exactly when its events say so"
        );
        completed += usize::from(done);
    }
    eprintln!(
        "{} events, {} lessons, {} quizzes, {} courses ({completed} completed) agree",
        events.len(),
        lessons.len(),
        quizzes.len(),
        courses.len()
    );
}

storage_test!(
    every_acknowledged_event_survives_a_sigkill_and_the_aggregates_agree_with_the_events,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let catalog = Catalog::load(&db.db).await.unwrap();
        let plan = Arc::new(plan(&catalog));
        let policy = SessionPolicy::from_minutes(60, 60);
        let mut learners = Vec::new();
        for n in 0..LEARNERS {
            let account = account::create(&db.db, Some(&format!("Learner {n}")), &[])
                .await
                .unwrap();
            let session = session::start(&db.db, account.id, SessionKind::Token, policy)
                .await
                .unwrap();
            learners.push((account.id, session.token));
        }
        let learners = Arc::new(learners);
        let data_dir = tempfile::tempdir().unwrap();

        let mut server = serve(&db, data_dir.path()).await;
        let stop = Arc::new(AtomicBool::new(false));
        let acks = Arc::new(Mutex::new(Acknowledged::default()));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|k| {
                tokio::spawn(drive(
                    k,
                    server.base.clone(),
                    learners.clone(),
                    plan.clone(),
                    stop.clone(),
                    acks.clone(),
                ))
            })
            .collect();
        // Killed in the middle of the load: once a good number of answers came (or a few
        // seconds passed on a slow machine), while every client still has requests in flight.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            let answered = {
                let acks = acks.lock().unwrap();
                acks.events.len() + acks.lessons.len()
            };
            if answered >= 1500 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.child.kill().unwrap(); // SIGKILL
        server.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.await.unwrap();
        }
        drop(server);
        let acks = Arc::try_unwrap(acks).ok().unwrap().into_inner().unwrap();
        assert!(acks.failures.is_empty(), "{:?}", acks.failures);
        assert!(!acks.events.is_empty() && !acks.lessons.is_empty() && !acks.attempts.is_empty());
        eprintln!(
            "acknowledged before the kill: {} synced events, {} lessons, {} attempts",
            acks.events.len(),
            acks.lessons.len(),
            acks.attempts.values().sum::<usize>()
        );

        // Started again on the same database: it answers, and everything acknowledged is there.
        let server = serve(&db, data_dir.path()).await;
        let (user, token) = &learners[0];
        let progress = reqwest::Client::new()
            .get(format!("{}/api/me/progress/{COURSE}", server.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(progress.status(), 200, "learner {user}");

        let events = progress_event::Entity::find().all(&db.db).await.unwrap();
        let stored: BTreeSet<(i32, String)> =
            events.iter().map(|e| (e.user_id, e.event_id.clone())).collect();
        let lost: Vec<_> = acks.events.difference(&stored).collect();
        assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
        let course_id = catalog
            .all_courses()
            .iter()
            .find(|c| c.slug == COURSE)
            .unwrap()
            .id;
        let completed: BTreeSet<(i32, String)> = lesson_progress::Entity::find()
            .all(&db.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.course_id == course_id && l.completed_at.is_some())
            .map(|l| (l.user_id, l.lesson_slug))
            .collect();
        let lost: Vec<_> = acks.lessons.difference(&completed).collect();
        assert!(lost.is_empty(), "lessons acknowledged as completed but not: {lost:?}");
        let attempts = quiz_attempt::Entity::find().all(&db.db).await.unwrap();
        for ((user, quiz), acknowledged) in &acks.attempts {
            let stored = attempts
                .iter()
                .filter(|a| a.user_id == *user && &a.quiz_slug == quiz)
                .count();
            assert!(stored >= *acknowledged, "learner {user}, {quiz}: {stored} < {acknowledged}");
        }
        assert_aggregates_agree(&db.db, &catalog).await;
    }
);
