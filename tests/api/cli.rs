//! The `academy` command as an operator uses it: check, import, serve.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use academy_testing::{TestDb, storage_test};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/crates/academy-courses/tests/fixtures/valid"
);

fn academy() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_academy"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("ACADEMY_LOG", "warn");
    command
}

fn run(command: &mut Command) -> (i32, String) {
    let output = command.output().expect("run academy");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

/// A copy of the valid fixture with one lesson broken and one unknown mechanism.
fn broken_content() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    for (from, to) in [
        ("sample-course", "sample-course"),
        ("cohort-course", "cohort-course"),
    ] {
        academy_testing::copy_dir(&Path::new(FIXTURES).join(from), &dir.path().join(to))
            .expect("copy");
    }
    std::fs::write(
        dir.path().join("sample-course/en/third-lesson.md"),
        "no front matter\n",
    )
    .expect("write");
    let course = dir.path().join("cohort-course/course.toml");
    let text = std::fs::read_to_string(&course)
        .expect("read")
        .replace("human-rights-council", "security-council");
    std::fs::write(course, text).expect("write");
    dir
}

#[test]
fn check_passes_on_the_shipped_courses() {
    let (code, out) = run(academy().args(["check", "courses"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("11 courses"), "{out}");
    assert!(
        !out.contains("warning:"),
        "the shipped lessons state honest reading times and have at least 600 words: {out}"
    );
}

#[test]
fn check_prints_one_line_per_problem_and_exits_1() {
    let content = broken_content();
    let (code, out) = run(academy().arg("check").arg(content.path()));
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let root = content.path().display().to_string();
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "{root}/cohort-course/course.toml:6: unknown mechanism"
        ))),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{root}/sample-course/en/third-lesson.md:1: "))),
        "{out}"
    );
}

storage_test!(
    import_loads_once_then_reports_unchanged,
    |db: TestDb| async move {
        let import = |dir: &Path| {
            run(academy()
                .env("ACADEMY_DATABASE_URL", &db.url)
                .arg("import")
                .arg(dir))
        };
        let (code, out) = import(Path::new(FIXTURES));
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains("imported content version") && out.contains("2 course(s) written"),
            "{out}"
        );
        let (code, out) = import(Path::new(FIXTURES));
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("content unchanged"), "{out}");

        let broken = broken_content();
        let (code, out) = import(broken.path());
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("nothing imported"), "{out}");
        let catalog = academy_courses::catalog::Catalog::load(&db.db)
            .await
            .expect("catalog");
        assert_eq!(
            catalog.all_courses().len(),
            2,
            "the database still holds the valid import"
        );
    }
);

fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

#[test]
fn serve_with_no_configuration_creates_the_database_and_serves_the_shipped_courses() {
    let data = tempfile::tempdir().expect("dir");
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut server = academy()
        .arg("serve")
        .env_remove("ACADEMY_DATABASE_URL")
        .env("ACADEMY_DATA_DIR", data.path())
        .env("ACADEMY_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ready = None;
    while Instant::now() < deadline {
        match get(port, "/ready") {
            Some(response) if response.starts_with("HTTP/1.0 200") => {
                ready = Some(response);
                break;
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    let courses = get(port, "/api/courses");
    let _ = server.kill();
    let _ = server.wait();
    assert!(ready.is_some(), "the server never became ready");
    assert!(
        data.path().join("academy.db").is_file(),
        "the SQLite file is created in the data directory"
    );
    let courses = courses.expect("course list");
    assert!(courses.contains("universal-periodic-review"), "{courses}");
}
