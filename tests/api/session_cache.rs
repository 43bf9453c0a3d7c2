//! The sessions each server keeps in memory for a few seconds: a session ended or a role
//! changed is seen at once by the node that made the change, on PostgreSQL by every node soon
//! after (the database announces it), and on SQLite by another process once its entry aged out.

use std::time::{Duration, Instant};

use academy::{Academy, Config};
use academy_identity::{Role, SessionKind, account};
use academy_testing::{Backend, TestDb, storage_test};
use poem::{
    EndpointExt,
    http::{Method, StatusCode},
    test::TestClient,
};

use crate::{helpers::TestApp, identity_support::Person};

/// A second node: another Academy on the same database, with its own memory.
struct Node {
    client: TestClient<poem::endpoint::BoxEndpoint<'static>>,
    _academy: Academy,
    _data_dir: tempfile::TempDir,
}

impl Node {
    async fn beside(app: &TestApp, tweak: impl FnOnce(&mut Config)) -> Node {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = app.academy.config.clone();
        config.data_dir = data_dir.path().to_owned();
        tweak(&mut config);
        let academy = Academy::start(config)
            .await
            .expect("the second node starts");
        Node {
            client: TestClient::new(academy.endpoint().boxed()),
            _academy: academy,
            _data_dir: data_dir,
        }
    }

    async fn status(&self, person: &Person, path: &str) -> StatusCode {
        self.client
            .get(path)
            .header("authorization", format!("Bearer {}", person.token))
            .send()
            .await
            .0
            .status()
    }

    /// How long until `path` answers `status` for `person`, polling; `None` within `limit`.
    async fn until(
        &self,
        person: &Person,
        path: &str,
        status: StatusCode,
        limit: Duration,
    ) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.status(person, path).await == status {
                return Some(start.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

storage_test!(
    the_node_that_ends_a_session_or_changes_a_role_sees_it_at_once,
    |db: TestDb| async move {
        // Entries would live a minute: only the invalidation can explain what follows.
        let app = TestApp::start(db, |config| config.session_cache_seconds = 60).await;
        let admin = app.person("Admin", &[Role::Admin]).await;
        let person = app.person("Person", &[Role::Staff]).await;
        let other = app.session_for(person.id, SessionKind::Browser).await;
        let ok = |reply: crate::helpers::Reply| reply.status;

        // Read once, so that both sessions are kept in memory.
        assert_eq!(
            ok(person.get(&app, "/api/stats/courses").await),
            StatusCode::OK
        );
        assert_eq!(ok(other.get(&app, "/api/me").await), StatusCode::OK);

        let revoke = format!("/api/admin/users/{}/roles/staff", person.id);
        let revoked = app
            .send_as(Some(&admin.token), Method::DELETE, &revoke, None)
            .await;
        assert_eq!(revoked.status, StatusCode::OK);
        assert_eq!(
            ok(person.get(&app, "/api/stats/courses").await),
            StatusCode::FORBIDDEN
        );
        let granted = app
            .send_as(Some(&admin.token), Method::PUT, &revoke, None)
            .await;
        assert_eq!(granted.status, StatusCode::OK);
        assert_eq!(
            ok(person.get(&app, "/api/stats/courses").await),
            StatusCode::OK
        );

        let ended = app
            .send_as(
                Some(&person.token),
                Method::DELETE,
                &format!("/api/me/sessions/{}", other.session_id),
                None,
            )
            .await;
        assert_eq!(ended.status, StatusCode::NO_CONTENT);
        assert_eq!(
            ok(other.get(&app, "/api/me").await),
            StatusCode::UNAUTHORIZED
        );

        let out = app
            .send_as(Some(&person.token), Method::POST, "/api/auth/logout", None)
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert_eq!(
            ok(person.get(&app, "/api/me").await),
            StatusCode::UNAUTHORIZED
        );
    }
);

storage_test!(
    a_change_made_elsewhere_reaches_every_node,
    |db: TestDb| async move {
        let postgres = db.backend == Backend::Postgres;
        // On PostgreSQL entries would live a minute, so only the database's notice can make
        // the second node see a change within seconds. On SQLite another process is not told:
        // it sees the change once its entry is older than the cache's lifetime.
        let lifetime = if postgres { 60 } else { 1 };
        let app = TestApp::start(db, |config| config.session_cache_seconds = lifetime).await;
        let node = Node::beside(&app, |_| {}).await;
        let person = app.person("Person", &[Role::Staff]).await;
        let admin = app.person("Admin", &[Role::Admin]).await;
        let within = Duration::from_secs(if postgres { 5 } else { 4 });
        assert_eq!(
            node.status(&person, "/api/stats/courses").await,
            StatusCode::OK
        );

        // A role revoked by another process (as the CLI does), straight in the database.
        account::revoke_role(&app.db.db, admin.id, person.id, Role::Staff)
            .await
            .expect("revoked");
        let seen = node
            .until(&person, "/api/stats/courses", StatusCode::FORBIDDEN, within)
            .await;
        assert!(seen.is_some(), "the second node never saw the revocation");

        // A sign-out on the first node.
        assert_eq!(node.status(&person, "/api/me").await, StatusCode::OK);
        let out = app
            .send_as(Some(&person.token), Method::POST, "/api/auth/logout", None)
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        let seen = node
            .until(&person, "/api/me", StatusCode::UNAUTHORIZED, within)
            .await;
        assert!(seen.is_some(), "the second node never saw the sign-out");
    }
);
