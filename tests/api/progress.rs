//! Learning progress through the API, on SQLite and PostgreSQL: lessons, quizzes graded on the
//! server, a completion recorded once and at once, offline batches replayed without effect.

use academy_courses::content::Answer;
use academy_testing::{TestDb, storage_test};
use chrono::Utc;
use futures_util::future::join_all;
use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{helpers::TestApp, identity_support::Person};

pub(crate) const COURSE: &str = "universal-periodic-review";

/// The right answers of quiz `quiz` of `course`, from the loaded catalog.
pub(crate) fn right_answers(app: &TestApp, course: &str, quiz: &str) -> Value {
    let catalog = app.academy.state.catalog();
    let course = catalog
        .readable(course, &academy_courses::catalog::Reader::Organiser)
        .unwrap();
    let entry = course.quiz(quiz).unwrap();
    let text = entry.translations.values().next().unwrap();
    let mut answers = serde_json::Map::new();
    for (key, q) in entry.questions.iter().zip(&text.questions) {
        let value = match &key.answer {
            Answer::Choices(ids) => json!(ids),
            Answer::TrueFalse(b) => json!(b),
        };
        answers.insert(q.id.clone(), value);
    }
    json!({ "answers": answers })
}

pub(crate) fn lessons_and_quizzes(app: &TestApp, course: &str) -> (Vec<String>, Vec<String>) {
    let catalog = app.academy.state.catalog();
    let course = catalog
        .readable(course, &academy_courses::catalog::Reader::Organiser)
        .unwrap();
    (
        course.lessons.iter().map(|l| l.slug.clone()).collect(),
        course.quizzes.iter().map(|q| q.slug.clone()).collect(),
    )
}

pub(crate) async fn complete(app: &TestApp, who: &Person, lesson: &str) -> Value {
    let reply = who
        .send(
            app,
            Method::PUT,
            &format!("/api/me/progress/{COURSE}/lessons/{lesson}"),
            Some(json!({"completed": true})),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

pub(crate) async fn attempt(
    app: &TestApp,
    who: &Person,
    quiz: &str,
    body: Value,
) -> (StatusCode, Value) {
    let reply = who
        .send(
            app,
            Method::POST,
            &format!("/api/courses/{COURSE}/quizzes/{quiz}/attempts"),
            Some(body),
        )
        .await;
    (reply.status, reply.json())
}

storage_test!(
    lessons_and_graded_quizzes_complete_a_course_once_and_at_once,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let learner = app.person("Learner", &[]).await;
        let (lessons, quizzes) = lessons_and_quizzes(&app, COURSE);
        assert!(lessons.len() >= 3 && !quizzes.is_empty());

        // Quiz answers are checked before anything is graded or stored.
        let right = right_answers(&app, COURSE, &quizzes[0]);
        let first_question = right["answers"].as_object().unwrap().keys().next().unwrap().clone();
        let mut missing = right.clone();
        missing["answers"].as_object_mut().unwrap().remove(&first_question);
        let (status, body) = attempt(&app, &learner, &quizzes[0], missing).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "invalid_answer");
        assert!(body["message"].as_str().unwrap().contains(&first_question));
        let mut unknown = right.clone();
        unknown["answers"]["no-such-question"] = json!("a");
        let (status, _) = attempt(&app, &learner, &quizzes[0], unknown).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let mut bad_choice = right.clone();
        bad_choice["answers"][&first_question] = json!("zz");
        let (status, _) = attempt(&app, &learner, &quizzes[0], bad_choice).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let mut two = right.clone();
        two["answers"]["who-reviews"] = json!(["a", "b"]);
        if quizzes[0] == "how-the-upr-works-check" {
            let (status, body) = attempt(&app, &learner, &quizzes[0], two).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert!(body["message"].as_str().unwrap().contains("who-reviews"));
        }
        let none = ok_progress(&app, &learner).await;
        assert!(none["courses"].as_array().unwrap().is_empty(), "nothing was recorded");

        // A wrong attempt: graded, with the right answers and explanations; not passed.
        let mut wrong = right.clone();
        for (_, value) in wrong["answers"].as_object_mut().unwrap() {
            *value = match value {
                Value::Bool(b) => json!(!*b),
                _ => json!(["a"]),
            };
        }
        let (status, failed) = attempt(&app, &learner, &quizzes[0], wrong).await;
        assert_eq!(status, StatusCode::OK, "{failed}");
        assert_eq!(failed["passed"], false);
        assert!(failed["questions"][0]["explanation"].as_str().unwrap().len() > 10);
        assert!(failed["questions"][0].get("answer").is_some());

        // Progress in a public course enrols the learner.
        complete(&app, &learner, &lessons[0]).await;
        let enrolments = learner.get(&app, "/api/me/enrolments").await.json();
        assert_eq!(enrolments["enrolments"][0]["course"], COURSE);
        // Having left the course, progress in it enrols the learner again (the same enrolment).
        let path = format!("/api/courses/{COURSE}/enrolment");
        assert_eq!(learner.send(&app, Method::DELETE, &path, None).await.status, StatusCode::NO_CONTENT);
        let left = learner.get(&app, "/api/me/enrolments").await.json();
        assert_eq!(left["enrolments"][0]["status"], "left");
        complete(&app, &learner, &lessons[0]).await;
        let back = learner.get(&app, "/api/me/enrolments").await.json();
        assert_eq!(back["enrolments"].as_array().unwrap().len(), 1);
        assert_eq!(back["enrolments"][0]["status"], "active");
        assert!(back["enrolments"][0].get("left_at").is_none());

        for lesson in &lessons[1..] {
            let done = complete(&app, &learner, lesson).await;
            assert!(done.get("course_completed_at").is_none(), "quizzes are not passed yet");
        }
        let progress = ok_progress(&app, &learner).await;
        let course = &progress["courses"][0];
        assert_eq!(course["lessons_done"], lessons.len());
        assert_eq!(course["quizzes_passed"], 0);
        assert!(course["percent"].as_u64().unwrap() < 100);

        let mut completed_at = Value::Null;
        for quiz in &quizzes {
            let (status, passed) = attempt(&app, &learner, quiz, right_answers(&app, COURSE, quiz)).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(passed["passed"], true);
            assert_eq!(passed["score"], 100);
            completed_at = passed["course_completed_at"].clone();
        }
        assert!(completed_at.is_string(), "completed with the last quiz, at once");
        // A worse attempt later changes neither the best result nor the completion.
        let mut worse = right_answers(&app, COURSE, &quizzes[0]);
        for (_, value) in worse["answers"].as_object_mut().unwrap() {
            *value = match value {
                Value::Bool(b) => json!(!*b),
                _ => json!(["a"]),
            };
        }
        let (_, again) = attempt(&app, &learner, &quizzes[0], worse).await;
        assert_eq!(again["course_completed_at"], completed_at);
        let again = complete(&app, &learner, &lessons[0]).await;
        assert_eq!(again["course_completed_at"], completed_at, "recorded once");

        let detail = learner.get(&app, &format!("/api/me/progress/{COURSE}")).await.json();
        assert_eq!(detail["progress"]["percent"], 100);
        assert_eq!(detail["progress"]["completed_at"], completed_at);
        let all = ok_progress(&app, &learner).await;
        assert_eq!(all["courses"][0]["completed_at"], completed_at);
        assert_eq!(all["courses"][0]["started_at"], detail["progress"]["started_at"]);
        assert_eq!(all["courses"][0]["last_activity_at"], detail["progress"]["last_activity_at"]);
        assert_eq!(all["courses"][0]["percent"], 100);
        assert_eq!(detail["quizzes"][0]["best_score"], 100);
        assert!(detail["quizzes"][0]["attempts"].as_u64().unwrap() >= 3);
        assert_eq!(detail["lessons"].as_array().unwrap().len(), lessons.len());

        let other = app.person("Other", &[]).await;
        let nothing = other.get(&app, &format!("/api/me/progress/{COURSE}")).await;
        assert_eq!(nothing.error_code(), "no_progress");
        let unknown = learner
            .send(
                &app,
                Method::PUT,
                &format!("/api/me/progress/{COURSE}/lessons/no-such-lesson"),
                Some(json!({})),
            )
            .await;
        assert_eq!(unknown.error_code(), "lesson_not_found");
        let hidden = learner
            .send(
                &app,
                Method::PUT,
                "/api/me/progress/hrdap-preparing-geneva/lessons/security-while-travelling",
                Some(json!({})),
            )
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "a cohort course, for its cohort only");

        // The export has the events and attempts.
        let export = learner.get(&app, "/api/me/export").await.json();
        assert!(export["progress"]["events"].as_array().unwrap().len() > lessons.len());
        assert!(!export["progress"]["attempts"].as_array().unwrap().is_empty());
    }
);

async fn ok_progress(app: &TestApp, who: &Person) -> Value {
    let reply = who.get(app, "/api/me/progress").await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.json()
}

storage_test!(
    the_last_two_lessons_completed_at_once_still_complete_the_course,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::configured(db, |config| {
            config.content_dir = crate::helpers::shipped_courses();
            config.db_max_connections = 8;
        })
        .await;
        let learner = app.person("Learner", &[]).await;
        let (lessons, quizzes) = lessons_and_quizzes(&app, COURSE);
        for quiz in &quizzes {
            attempt(&app, &learner, quiz, right_answers(&app, COURSE, quiz)).await;
        }
        let (last, first) = lessons.split_at(2);
        for lesson in first {
            complete(&app, &learner, lesson).await;
        }
        join_all(last.iter().map(|l| complete(&app, &learner, l))).await;
        let progress = ok_progress(&app, &learner).await;
        assert!(progress["courses"][0]["completed_at"].is_string(), "{progress}");
    }
);

storage_test!(
    a_whole_course_done_offline_is_completed_at_sync_once,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let learner = app.person("Learner", &[]).await;
        let (lessons, quizzes) = lessons_and_quizzes(&app, COURSE);
        // Every lesson opened and then completed, and every quiz passed, in one batch: the
        // lesson events are applied together, the attempts one by one, in one commit.
        let mut events = Vec::new();
        for (n, lesson) in lessons.iter().enumerate() {
            for (verb, hour) in [("experienced", 8), ("completed", 9)] {
                events.push(json!({"id": uuid::Uuid::new_v4().to_string(), "course": COURSE,
                    "lesson": lesson, "verb": verb, "at": format!("2026-11-2{}T{hour:02}:00:00Z", n % 9)}));
            }
        }
        for quiz in &quizzes {
            events.push(json!({"id": uuid::Uuid::new_v4().to_string(), "course": COURSE, "quiz": quiz,
                "verb": "attempted", "answers": right_answers(&app, COURSE, quiz)["answers"].clone()}));
        }
        let batch = json!({"events": events});
        let reply = learner.send(&app, Method::POST, "/api/me/progress/sync", Some(batch.clone())).await;
        assert_eq!(reply.status, StatusCode::OK);
        let results = reply.json()["results"].clone();
        assert!(results.as_array().unwrap().iter().all(|r| r["fate"] == "accepted"), "{results}");
        let progress = learner.get(&app, &format!("/api/me/progress/{COURSE}")).await.json();
        assert_eq!(progress["progress"]["percent"], 100);
        let completed_at = progress["progress"]["completed_at"].clone();
        assert!(completed_at.is_string(), "{progress}");
        for lesson in progress["lessons"].as_array().unwrap() {
            let opened = lesson["opened_at"].as_str().unwrap();
            let done = lesson["completed_at"].as_str().unwrap();
            assert!(opened.contains("T08:00:00") && done.contains("T09:00:00"), "{lesson}");
        }
        let enrolments = learner.get(&app, "/api/me/enrolments").await.json();
        assert_eq!(enrolments["enrolments"][0]["course"], COURSE, "progress enrols");
        let mine = learner.get(&app, "/api/me/certificates").await.json();
        assert_eq!(mine.as_array().map_or(0, Vec::len), 1, "one certificate: {mine}");

        // The batch again: all duplicates, and nothing moves.
        let again = learner.send(&app, Method::POST, "/api/me/progress/sync", Some(batch)).await.json();
        assert!(again["results"].as_array().unwrap().iter().all(|r| r["fate"] == "duplicate"), "{again}");
        let after = learner.get(&app, &format!("/api/me/progress/{COURSE}")).await.json();
        assert_eq!(after["progress"]["completed_at"], completed_at);
        let mine = learner.get(&app, "/api/me/certificates").await.json();
        assert_eq!(mine.as_array().map_or(0, Vec::len), 1);
    }
);

storage_test!(
    an_offline_batch_is_recorded_event_by_event_and_a_replay_changes_nothing,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let learner = app.person("Learner", &[]).await;
        let (lessons, quizzes) = lessons_and_quizzes(&app, COURSE);
        let future = (Utc::now() + chrono::Duration::days(3)).to_rfc3339();
        let quiz_answers = right_answers(&app, COURSE, &quizzes[0])["answers"].clone();
        let events = json!({"events": [
            {"id": "6f1c1b7e-2d7a-4c1e-9f0a-000000000001", "course": COURSE,
             "lesson": lessons[1], "verb": "completed", "at": "2026-11-30T10:00:00Z"},
            {"id": "not-a-uuid", "course": COURSE, "lesson": lessons[0], "verb": "completed"},
            {"id": "6f1c1b7e-2d7a-4c1e-9f0a-000000000002", "course": COURSE,
             "lesson": "no-such-lesson", "verb": "completed"},
            {"id": "6f1c1b7e-2d7a-4c1e-9f0a-000000000003", "course": COURSE,
             "lesson": lessons[0], "verb": "experienced", "at": future},
            {"id": "6f1c1b7e-2d7a-4c1e-9f0a-000000000004", "course": COURSE,
             "quiz": quizzes[0], "verb": "attempted", "answers": quiz_answers},
            {"id": "6f1c1b7e-2d7a-4c1e-9f0a-000000000005", "course": "hrdap-preparing-geneva",
             "lesson": "security-while-travelling", "verb": "completed"},
            {"id": "6f1c1b7e-2d7a-4c1e-9f0a-000000000001", "course": COURSE,
             "lesson": lessons[1], "verb": "completed"}
        ]});
        let reply = learner
            .send(&app, Method::POST, "/api/me/progress/sync", Some(events.clone()))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", String::from_utf8_lossy(&reply.body));
        let results = reply.json()["results"].clone();
        let fates: Vec<(&str, Option<&str>)> = results
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["fate"].as_str().unwrap(), r["code"].as_str()))
            .collect();
        assert_eq!(
            fates,
            [
                ("accepted", None),
                ("rejected", Some("invalid_event_id")),
                ("rejected", Some("lesson_not_found")),
                ("accepted", None),
                ("accepted", None),
                ("rejected", Some("course_not_found")),
                ("duplicate", None),
            ]
        );
        assert_eq!(results[4]["score"], 100, "graded at sync");
        let before = learner.get(&app, &format!("/api/me/progress/{COURSE}")).await.json();
        // The client's past time is kept; a future one counts as now.
        let done = before["lessons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["lesson"] == lessons[1].as_str())
            .unwrap()
            .clone();
        assert!(done["completed_at"].as_str().unwrap().starts_with("2026-11-30T10:00:00"));
        let opened = before["lessons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["lesson"] == lessons[0].as_str())
            .unwrap()["opened_at"]
            .as_str()
            .unwrap()
            .to_owned();
        let opened = chrono::DateTime::parse_from_rfc3339(&opened).unwrap();
        assert!(opened <= Utc::now());

        // The same batch again, in another order: every valid event is a duplicate.
        let mut reversed = events.clone();
        reversed["events"].as_array_mut().unwrap().reverse();
        let again = learner
            .send(&app, Method::POST, "/api/me/progress/sync", Some(reversed))
            .await
            .json();
        let fates: Vec<&str> = again["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["fate"].as_str().unwrap())
            .collect();
        assert_eq!(
            fates,
            ["duplicate", "rejected", "duplicate", "duplicate", "rejected", "rejected", "duplicate"]
        );
        let after = learner.get(&app, &format!("/api/me/progress/{COURSE}")).await.json();
        assert_eq!(before, after, "a replay changes nothing");

        // Over 500 events: refused whole, with a clear error.
        let many: Vec<Value> = (0..501)
            .map(|i| json!({"id": format!("6f1c1b7e-2d7a-4c1e-9f0a-{i:012}"), "course": COURSE,
                            "lesson": lessons[0], "verb": "experienced"}))
            .collect();
        let too_many = learner
            .send(&app, Method::POST, "/api/me/progress/sync", Some(json!({"events": many})))
            .await;
        assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
    }
);

storage_test!(
    a_course_downloads_whole_for_offline_reading_small_and_without_answers,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let mut sizes = Vec::new();
        for course in crate::catalog::PUBLIC_COURSES {
            for lang in ["en", "fr", "es"] {
                let uri = format!("/api/courses/{course}/bundle?lang={lang}");
                let plain = app.get(&uri).await;
                assert_eq!(plain.status, StatusCode::OK);
                let body = plain.json();
                let (lessons, quizzes) = lessons_and_quizzes(&app, course);
                assert_eq!(body["lessons"].as_array().unwrap().len(), lessons.len());
                assert_eq!(body["quizzes"].as_array().unwrap().len(), quizzes.len());
                let text = String::from_utf8_lossy(&plain.body).to_string();
                assert!(!text.contains("\"explanation\"") && !text.contains("\"correct\""));
                let etag = plain.header("etag").unwrap().to_owned();
                let again = app.get_with(&uri, &[("if-none-match", &etag)]).await;
                assert_eq!(again.status, StatusCode::NOT_MODIFIED);
                let br = app.get_with(&uri, &[("accept-encoding", "br")]).await;
                assert_eq!(br.header("content-encoding"), Some("br"));
                sizes.push((course, lang, br.body.len()));
            }
        }
        eprintln!("bundle sizes with brotli (course, language, bytes): {sizes:?}");
        for (course, lang, size) in &sizes {
            assert!(*size <= 60 * 1024, "{course} ({lang}): {size} bytes with brotli");
        }
        // A cohort-only course is no more downloadable than readable.
        let hidden = app.get("/api/courses/hrdap-preparing-geneva/bundle").await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    }
);

fn choice_ids(quiz: &Value) -> Vec<Vec<String>> {
    quiz["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            q["choices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

storage_test!(
    each_learner_sees_the_choices_in_their_own_stable_order,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let (_, quizzes) = lessons_and_quizzes(&app, COURSE);
        let a = app.person("A", &[]).await;
        let b = app.person("B", &[]).await;
        let mut differs_from_content = false;
        let mut differs_between_learners = false;
        for quiz in &quizzes {
            let uri = format!("/api/courses/{COURSE}/quizzes/{quiz}");
            let anyone = app.get(&uri).await;
            assert_eq!(choice_ids(&anyone.json()), choice_ids(&app.get(&uri).await.json()));
            let first = a.get(&app, &uri).await;
            assert!(first.header("cache-control").unwrap().contains("private"));
            let mine = choice_ids(&first.json());
            assert_eq!(mine, choice_ids(&a.get(&app, &uri).await.json()), "stable");
            let theirs = choice_ids(&b.get(&app, &uri).await.json());
            differs_between_learners |= mine != theirs;
            for (shown, written) in choice_ids(&anyone.json()).iter().zip(&mine) {
                let mut x = shown.clone();
                let mut y = written.clone();
                x.sort();
                y.sort();
                assert_eq!(x, y, "the same ids, reordered");
                let mut content = shown.clone();
                content.sort();
                differs_from_content |= shown != &content;
            }
        }
        assert!(differs_from_content, "choices are no longer in the written order");
        assert!(differs_between_learners);
    }
);

storage_test!(
    a_quiz_with_max_attempts_refuses_the_next_one_even_when_sent_at_once,
    |db: TestDb| async move {
        // The UPR course alone, its first quiz limited to two attempts in every language.
        let content = tempfile::tempdir().unwrap();
        let course_dir = content.path().join(COURSE);
        academy_testing::copy_dir(&crate::helpers::shipped_courses().join(COURSE), &course_dir)
            .unwrap();
        let quiz = "how-the-upr-works-check";
        for entry in std::fs::read_dir(&course_dir).unwrap().flatten() {
            let file = entry.path().join(format!("{quiz}.quiz.toml"));
            if let Ok(text) = std::fs::read_to_string(&file) {
                let text = text.replacen("pass_mark = ", "max_attempts = 2\npass_mark = ", 1);
                std::fs::write(&file, text).unwrap();
            }
        }
        let app = TestApp::configured(db, |config| {
            config.content_dir = content.path().to_owned();
            config.db_max_connections = 8;
        })
        .await;
        let shown = app
            .get(&format!("/api/courses/{COURSE}/quizzes/{quiz}"))
            .await
            .json();
        assert_eq!(shown["max_attempts"], 2);
        let learner = app.person("Learner", &[]).await;
        let body = right_answers(&app, COURSE, quiz);
        let replies = join_all((0..8).map(|_| attempt(&app, &learner, quiz, body.clone()))).await;
        let graded = replies.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        let refused: Vec<&Value> = replies
            .iter()
            .filter(|(s, _)| *s == StatusCode::CONFLICT)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(graded, 2, "two attempts, however fast they come");
        assert_eq!(refused.len(), 6);
        assert!(refused.iter().all(|b| b["code"] == "no_attempts_left"));
        let detail = learner
            .get(&app, &format!("/api/me/progress/{COURSE}"))
            .await
            .json();
        let state = detail["quizzes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["quiz"] == quiz)
            .unwrap()
            .clone();
        assert_eq!(state["attempts"], 2);
    }
);
