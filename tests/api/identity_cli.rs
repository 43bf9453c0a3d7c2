//! `academy users add` and `academy tokens issue`: trying every authenticated endpoint without
//! an identity provider.

use std::process::Command;

use academy_testing::{TestDb, storage_test};
use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

/// The command on `db`, with a data directory of its own.
fn academy(db: &TestDb, data_dir: &tempfile::TempDir) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_academy"));
    command
        .env("ACADEMY_DATABASE_URL", &db.url)
        .env("ACADEMY_DATA_DIR", data_dir.path())
        .env("ACADEMY_LOG", "warn");
    command
}

/// Runs the command; returns exit success, stdout and stderr.
fn run(command: &mut Command) -> (bool, String, String) {
    let output = command.output().expect("run academy");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

storage_test!(
    a_user_added_on_the_command_line_can_use_the_api_with_an_issued_token,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().expect("data dir");
        let (ok, out, _) =
            run(academy(&db, &dir).args(["users", "add", "--name", "Amal", "--role", "admin"]));
        assert!(ok, "{out}");
        let id: i32 = out
            .trim()
            .strip_prefix("created user ")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("no id in {out:?}"));

        let (ok, token, note) = run(academy(&db, &dir).args(["tokens", "issue", &id.to_string()]));
        assert!(ok, "{note}");
        let token = token.trim().to_owned();
        assert!(
            token.starts_with("acd_") && !token.contains(' '),
            "stdout is the token alone"
        );
        assert!(note.contains("shown only once"));

        let app = TestApp::start(db, |_| {}).await;
        let me = app
            .send_as(Some(&token), Method::GET, "/api/me", None)
            .await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["display_name"], "Amal");
        assert_eq!(me.json()["roles"], json!(["learner", "admin"]));
        let sessions = app
            .send_as(Some(&token), Method::GET, "/api/me/sessions", None)
            .await
            .json();
        assert_eq!(sessions["sessions"][0]["kind"], "token");
        let admin = app
            .send_as(Some(&token), Method::GET, "/api/admin/users", None)
            .await;
        assert_eq!(admin.status, StatusCode::OK);
    }
);

storage_test!(
    the_command_line_refuses_unknown_roles_empty_names_and_unknown_users,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().expect("data dir");
        let (ok, _, err) =
            run(academy(&db, &dir).args(["users", "add", "--name", "X", "--role", "emperor"]));
        assert!(!ok);
        assert!(err.contains("unknown role"), "{err}");
        let (ok, _, err) = run(academy(&db, &dir).args(["users", "add", "--name", "  "]));
        assert!(!ok);
        assert!(err.contains("display_name"), "{err}");
        let (ok, out, err) = run(academy(&db, &dir).args(["tokens", "issue", "4242"]));
        assert!(!ok);
        assert!(out.is_empty(), "no token for an unknown user");
        assert!(err.contains("no account"), "{err}");
    }
);
