//! SQLite under load and at rest: an import beside a busy site, owner-only files, and erasure
//! that leaves no readable copy of a person's values in any file.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use academy_testing::{Backend, TestDb};
use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::{helpers::TestApp, server::Server};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/crates/academy-courses/tests/fixtures/valid"
);

/// The directory of a `sqlite://…` test database.
fn sqlite_dir(url: &str) -> PathBuf {
    let file = url.trim_start_matches("sqlite://");
    let file = file.split('?').next().unwrap();
    Path::new(file).parent().unwrap().to_owned()
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_import_succeeds_while_sixteen_writers_change_their_profiles() {
    let db = TestDb::new(Backend::Sqlite).await.expect("SQLite");
    let url = db.url.clone();
    let app = Arc::new(TestApp::start(db, |config| config.db_max_connections = 16).await);
    let mut people = Vec::new();
    for i in 0..16 {
        people.push(app.person(&format!("Writer {i}"), &[]).await);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let (writes, failures) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let writers: Vec<_> = people
        .into_iter()
        .enumerate()
        .map(|(i, person)| {
            let (app, stop) = (app.clone(), stop.clone());
            let (writes, failures) = (writes.clone(), failures.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let name = format!("Writer {i} take {n}");
                    let reply = person
                        .send(
                            &app,
                            Method::PATCH,
                            "/api/me",
                            Some(json!({ "display_name": name })),
                        )
                        .await;
                    writes.fetch_add(1, Ordering::Relaxed);
                    if reply.status != StatusCode::OK {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();

    // Two versions, so that both imports write.
    let edited = tempfile::tempdir().unwrap();
    academy_testing::copy_dir(Path::new(FIXTURES), edited.path()).unwrap();
    let lesson = edited.path().join("sample-course/en/first-lesson.md");
    let text = std::fs::read_to_string(&lesson).unwrap() + "\n\nOne more paragraph.\n";
    std::fs::write(&lesson, text).unwrap();
    for dir in [PathBuf::from(FIXTURES), edited.path().to_owned()] {
        let url = url.clone();
        let output = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_academy"))
                .env("ACADEMY_LOG", "warn")
                .env("ACADEMY_DATABASE_URL", url)
                .arg("import")
                .arg(dir)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(
        writes.load(Ordering::Relaxed) > 16,
        "the writers kept writing"
    );
    assert_eq!(failures.load(Ordering::Relaxed), 0, "no write failed");
}

#[tokio::test]
async fn an_erased_person_leaves_none_of_their_values_in_any_file() {
    let db = TestDb::new(Backend::Sqlite).await.expect("SQLite");
    let database_dir = sqlite_dir(&db.url);
    let app = TestApp::start(db, |_| {}).await;
    let person = app.person("Zebra-Canary-7731", &[]).await;
    let reply = person
        .send(
            &app,
            Method::PATCH,
            "/api/me",
            Some(json!({
                "display_name": "Okapi-Canary-9919",
                "organisation_type": "ngo",
            })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = person.send(&app, Method::DELETE, "/api/me", None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);

    let mut all = files(&database_dir);
    all.extend(files(&app.academy.config.data_dir));
    assert!(all.iter().any(|f| f.ends_with("academy.db")), "{all:?}");
    for file in all {
        let bytes = std::fs::read(&file).unwrap();
        for value in ["Zebra-Canary-7731", "Okapi-Canary-9919"] {
            assert!(
                !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
                "{value} is still in {}",
                file.display()
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn the_data_directory_and_database_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let server = Server::start(&[("ACADEMY_DATA_DIR", data.to_str().unwrap())]);
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory the server created");
    for name in ["academy.db", "academy.db-wal", "academy.db-shm"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    drop(server);
}
