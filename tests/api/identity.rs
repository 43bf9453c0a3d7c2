//! Accounts, sessions, roles and privacy as clients see them, for every role and for anonymous
//! callers.

use academy_identity::{Role, SessionKind};
use academy_testing::{TestDb, storage_test};
use poem::http::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::TestApp;
use crate::identity_support::Person;

/// An audit entry: action, actor, subject, detail.
type AuditRow = (String, Option<i64>, Option<i64>, Option<String>);

/// Anonymous, then a learner, a trainer, a staff member and an admin.
async fn everyone(app: &TestApp) -> Vec<(&'static str, Option<Person>)> {
    vec![
        ("anonymous", None),
        ("learner", Some(app.person("Lerato", &[]).await)),
        ("trainer", Some(app.person("Tomás", &[Role::Trainer]).await)),
        ("staff", Some(app.person("Sun", &[Role::Staff]).await)),
        ("admin", Some(app.person("Amal", &[Role::Admin]).await)),
    ]
}

storage_test!(
    a_profile_takes_pseudonyms_and_prefer_not_to_say_and_refuses_unknown_values,
    |db: TestDb| async move {
        let app = TestApp::start(db, |_| {}).await;
        let me = app.person("Initial", &[]).await;
        let token = Some(me.token.as_str());
        let reply = app
            .send_as(
                token,
                Method::PATCH,
                "/api/me",
                Some(json!({
                    "display_name": "Night Owl",
                    "country": "ke",
                    "gender": "prefer_not_to_say",
                    "organisation_type": "ngo",
                    "thematic_focus": "environment_and_climate",
                })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        let body = reply.json();
        assert_eq!(body["display_name"], "Night Owl");
        assert_eq!(body["country"], "KE");
        assert_eq!(body["gender"], "prefer_not_to_say");

        let bad = app
            .send_as(
                token,
                Method::PATCH,
                "/api/me",
                Some(json!({"country": "Atlantis", "language": "de"})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.error_code(), "invalid_profile");
        assert!(
            bad.json()["message"]
                .as_str()
                .unwrap_or_default()
                .contains("country")
        );

        // null clears a field, absent fields stay; the refused change above changed nothing.
        let cleared = app
            .send_as(
                token,
                Method::PATCH,
                "/api/me",
                Some(json!({"country": null})),
            )
            .await
            .json();
        assert!(cleared["country"].is_null());
        assert!(cleared["language"].is_null());
        assert_eq!(cleared["display_name"], "Night Owl");
        assert_eq!(cleared["organisation_type"], "ngo");
    }
);

storage_test!(
    role_changes_take_effect_at_once_and_are_audited_with_reads_of_personal_data,
    |db: TestDb| async move {
        let app = TestApp::start(db, |_| {}).await;
        let admin = app.person("Admin", &[Role::Admin]).await;
        let person = app.person("Person", &[]).await;
        let admin_token = Some(admin.token.as_str());

        let forbidden = person.get(&app, "/api/admin/audit").await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);

        let granted = app
            .send_as(
                admin_token,
                Method::PUT,
                &format!("/api/admin/users/{}/roles/admin", person.id),
                None,
            )
            .await;
        assert_eq!(granted.json()["roles"], json!(["learner", "admin"]));
        // Granting again changes nothing and is not audited twice.
        app.send_as(
            admin_token,
            Method::PUT,
            &format!("/api/admin/users/{}/roles/admin", person.id),
            None,
        )
        .await;
        let now_allowed = person.get(&app, "/api/admin/audit").await;
        assert_eq!(now_allowed.status, StatusCode::OK);

        let revoked = app
            .send_as(
                admin_token,
                Method::DELETE,
                &format!("/api/admin/users/{}/roles/admin", person.id),
                None,
            )
            .await;
        assert_eq!(revoked.json()["roles"], json!(["learner"]));
        let forbidden_again = person.get(&app, "/api/admin/users").await;
        assert_eq!(forbidden_again.status, StatusCode::FORBIDDEN);

        let read = app
            .send_as(
                admin_token,
                Method::GET,
                &format!("/api/admin/users/{}", person.id),
                None,
            )
            .await;
        assert_eq!(read.json()["display_name"], "Person");
        let listed = app
            .send_as(admin_token, Method::GET, "/api/admin/users?limit=1", None)
            .await
            .json();
        assert_eq!(listed["accounts"].as_array().map(Vec::len), Some(1));
        assert_eq!(listed["next_after"], json!(admin.id));

        let audit = app
            .send_as(admin_token, Method::GET, "/api/admin/audit", None)
            .await
            .json();
        let entries: Vec<AuditRow> = audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap_or_default().to_owned(),
                    e["actor_id"].as_i64(),
                    e["subject_id"].as_i64(),
                    e["detail"].as_str().map(str::to_owned),
                )
            })
            .collect();
        let (a, p) = (Some(i64::from(admin.id)), Some(i64::from(person.id)));
        assert_eq!(
            entries,
            vec![
                ("accounts_listed".to_owned(), a, None, None),
                ("account_read".to_owned(), a, p, None),
                ("role_revoked".to_owned(), a, p, Some("admin".to_owned())),
                ("role_granted".to_owned(), a, p, Some("admin".to_owned())),
            ],
            "newest first; the repeated grant is not recorded"
        );
    }
);

storage_test!(
    roles_that_cannot_change_are_refused_with_409_and_unknown_ones_with_404,
    |db: TestDb| async move {
        let app = TestApp::start(db, |_| {}).await;
        let admin = app.person("Admin", &[Role::Admin]).await;
        let token = Some(admin.token.as_str());
        let own = app
            .send_as(
                token,
                Method::DELETE,
                &format!("/api/admin/users/{}/roles/admin", admin.id),
                None,
            )
            .await;
        assert_eq!(own.status, StatusCode::CONFLICT);
        assert_eq!(own.error_code(), "own_admin_role");
        let learner = app
            .send_as(
                token,
                Method::PUT,
                &format!("/api/admin/users/{}/roles/learner", admin.id),
                None,
            )
            .await;
        assert_eq!(learner.error_code(), "learner_is_implicit");
        let unknown = app
            .send_as(
                token,
                Method::PUT,
                &format!("/api/admin/users/{}/roles/emperor", admin.id),
                None,
            )
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.error_code(), "role_not_found");
        let nobody = app
            .send_as(
                token,
                Method::PUT,
                "/api/admin/users/999999/roles/staff",
                None,
            )
            .await;
        assert_eq!(nobody.error_code(), "user_not_found");
        let still = app
            .send_as(token, Method::GET, "/api/me", None)
            .await
            .json();
        assert_eq!(still["roles"], json!(["learner", "admin"]));
    }
);

storage_test!(
    revoking_a_session_signs_out_that_session_only,
    |db: TestDb| async move {
        let app = TestApp::start(db, |_| {}).await;
        let phone = app.person("Me", &[]).await;
        let laptop = app.session_for(phone.id, SessionKind::Browser).await;
        let stranger = app.person("Stranger", &[]).await;

        let list = phone.get(&app, "/api/me/sessions").await.json();
        let sessions = list["sessions"].as_array().expect("sessions").clone();
        assert_eq!(sessions.len(), 2);
        let current: Vec<bool> = sessions
            .iter()
            .map(|s| s["current"].as_bool() == Some(true))
            .collect();
        assert_eq!(current.iter().filter(|c| **c).count(), 1);
        assert!(
            !list.to_string().contains(&phone.token),
            "tokens are never shown again"
        );

        let strangers = app
            .send_as(
                Some(&stranger.token),
                Method::DELETE,
                &format!("/api/me/sessions/{}", laptop.session_id),
                None,
            )
            .await;
        assert_eq!(strangers.status, StatusCode::NOT_FOUND);
        assert_eq!(strangers.error_code(), "session_not_found");

        let revoked = app
            .send_as(
                Some(&phone.token),
                Method::DELETE,
                &format!("/api/me/sessions/{}", laptop.session_id),
                None,
            )
            .await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT);
        let gone = laptop.get(&app, "/api/me").await;
        assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
        assert_eq!(gone.error_code(), "session_expired");
        assert_eq!(phone.get(&app, "/api/me").await.status, StatusCode::OK);

        let logout = phone
            .send(&app, Method::POST, "/api/auth/logout", None)
            .await;
        assert_eq!(logout.status, StatusCode::NO_CONTENT);
        assert_eq!(
            phone.get(&app, "/api/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        let anonymous_logout = app
            .send_as(None, Method::POST, "/api/auth/logout", None)
            .await;
        assert_eq!(anonymous_logout.status, StatusCode::NO_CONTENT);
    }
);

storage_test!(
    sessions_end_when_idle_too_long_or_past_their_absolute_expiry,
    |db: TestDb| async move {
        use academy_identity::entity::session;
        let app = TestApp::start(db, |config| {
            config.session_idle_minutes = 60;
            config.session_absolute_minutes = 24 * 60;
        })
        .await;
        let idle = app.person("Idle", &[]).await;
        let old = app.person("Old", &[]).await;
        let fresh = app.person("Fresh", &[]).await;
        let now = chrono::Utc::now();
        session::Entity::update_many()
            .col_expr(
                session::Column::LastSeenAt,
                (now - chrono::Duration::minutes(61)).into(),
            )
            .filter(session::Column::Id.eq(idle.session_id.clone()))
            .exec(&app.db.db)
            .await
            .expect("aged");
        session::Entity::update_many()
            .col_expr(
                session::Column::ExpiresAt,
                (now - chrono::Duration::minutes(1)).into(),
            )
            .filter(session::Column::Id.eq(old.session_id.clone()))
            .exec(&app.db.db)
            .await
            .expect("expired");
        for person in [&idle, &old] {
            let reply = person.get(&app, "/api/me").await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
            assert_eq!(reply.error_code(), "session_expired");
        }
        assert_eq!(fresh.get(&app, "/api/me").await.status, StatusCode::OK);
        let left = session::Entity::find()
            .all(&app.db.db)
            .await
            .expect("sessions");
        assert_eq!(left.len(), 1, "ended sessions are removed");
        assert!(
            left.iter()
                .all(|s| s.token_hash != fresh.token && !s.token_hash.contains(&fresh.token))
        );

        // A session that ended and is never used again goes at the next sign-in.
        session::Entity::update_many()
            .col_expr(
                session::Column::LastSeenAt,
                (now - chrono::Duration::minutes(61)).into(),
            )
            .filter(session::Column::Id.eq(fresh.session_id.clone()))
            .exec(&app.db.db)
            .await
            .expect("aged");
        let later = app.person("Later", &[]).await;
        let left: Vec<String> = session::Entity::find()
            .all(&app.db.db)
            .await
            .expect("sessions")
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(left, vec![later.session_id]);
    }
);

storage_test!(
    browser_requests_that_change_something_need_the_csrf_token,
    |db: TestDb| async move {
        let app = TestApp::start(db, |_| {}).await;
        let person = app.person("Browser user", &[]).await;
        let browser = app.session_for(person.id, SessionKind::Browser).await;
        let cookie = format!("academy_session={}", browser.token);
        let patch = Some(json!({"language": "es"}));

        let me = app
            .send(Method::GET, "/api/me", &[("cookie", &cookie)], None)
            .await;
        assert_eq!(me.status, StatusCode::OK, "reading needs no CSRF token");
        let csrf = me.json()["csrf_token"]
            .as_str()
            .expect("csrf token")
            .to_owned();

        let without = app
            .send(
                Method::PATCH,
                "/api/me",
                &[("cookie", &cookie)],
                patch.clone(),
            )
            .await;
        assert_eq!(without.status, StatusCode::FORBIDDEN);
        assert_eq!(without.error_code(), "csrf_token_invalid");
        let wrong = app
            .send(
                Method::PATCH,
                "/api/me",
                &[("cookie", &cookie), ("x-csrf-token", "guess")],
                patch.clone(),
            )
            .await;
        assert_eq!(wrong.error_code(), "csrf_token_invalid");
        let logout = app
            .send(
                Method::POST,
                "/api/auth/logout",
                &[("cookie", &cookie)],
                None,
            )
            .await;
        assert_eq!(logout.error_code(), "csrf_token_invalid");
        let erase = app
            .send(Method::DELETE, "/api/me", &[("cookie", &cookie)], None)
            .await;
        assert_eq!(erase.error_code(), "csrf_token_invalid");
        assert_eq!(
            app.send(Method::GET, "/api/me", &[("cookie", &cookie)], None)
                .await
                .json()["language"],
            json!(null)
        );

        let right = app
            .send(
                Method::PATCH,
                "/api/me",
                &[("cookie", &cookie), ("x-csrf-token", &csrf)],
                patch.clone(),
            )
            .await;
        assert_eq!(right.status, StatusCode::OK);
        assert_eq!(right.json()["language"], "es");
        // Bearer tokens are not sent by browsers on their own, so they need none.
        let bearer = person.send(&app, Method::PATCH, "/api/me", patch).await;
        assert_eq!(bearer.status, StatusCode::OK);
        assert!(person.get(&app, "/api/me").await.json()["csrf_token"].is_null());
    }
);

storage_test!(
    an_export_holds_my_profile_roles_and_sessions_but_no_token,
    |db: TestDb| async move {
        let app = TestApp::start(db, |_| {}).await;
        let me = app.person("Exporter", &[Role::Trainer]).await;
        app.send_as(
            Some(&me.token),
            Method::PATCH,
            "/api/me",
            Some(json!({"country": "CO"})),
        )
        .await;
        let export = me.get(&app, "/api/me/export").await;
        assert_eq!(export.status, StatusCode::OK);
        let body = export.json();
        assert_eq!(body["account"]["display_name"], "Exporter");
        assert_eq!(body["account"]["country"], "CO");
        assert_eq!(body["roles"][0]["role"], "trainer");
        assert_eq!(body["sessions"][0]["id"], me.session_id.as_str());
        let text = body.to_string();
        assert!(!text.contains(&me.token));
        assert!(!text.contains(&academy_identity::token::hash(&me.token)));
    }
);

storage_test!(
    erasing_my_account_removes_personal_data_and_revokes_every_session,
    |db: TestDb| async move {
        use academy_identity::entity::{session, user, user_role};
        let app = TestApp::start(db, |_| {}).await;
        let admin = app.person("Admin", &[Role::Admin]).await;
        let me = app.person("Soon Gone", &[Role::Trainer]).await;
        let second = app.session_for(me.id, SessionKind::Browser).await;
        app.send_as(
            Some(&me.token),
            Method::PATCH,
            "/api/me",
            Some(json!({"country": "PH", "gender": "woman"})),
        )
        .await;

        let erased = me.send(&app, Method::DELETE, "/api/me", None).await;
        assert_eq!(erased.status, StatusCode::NO_CONTENT);
        assert!(
            erased
                .header("set-cookie")
                .is_some_and(|c| c.contains("Max-Age=0"))
        );
        for token in [&me.token, &second.token] {
            assert_eq!(
                app.send_as(Some(token), Method::GET, "/api/me", None)
                    .await
                    .status,
                StatusCode::UNAUTHORIZED
            );
        }
        let row = user::Entity::find_by_id(me.id)
            .one(&app.db.db)
            .await
            .expect("read")
            .expect("row stays");
        assert!(row.erased_at.is_some());
        assert_eq!(
            (row.display_name, row.country, row.gender),
            (None, None, None),
            "no personal data is left"
        );
        let sessions = session::Entity::find()
            .filter(session::Column::UserId.eq(me.id))
            .all(&app.db.db)
            .await
            .expect("read");
        assert!(sessions.is_empty());
        let roles = user_role::Entity::find()
            .filter(user_role::Column::UserId.eq(me.id))
            .all(&app.db.db)
            .await
            .expect("read");
        assert!(roles.is_empty());

        let listed = admin.get(&app, "/api/admin/users").await.json();
        assert_eq!(
            listed["accounts"].as_array().map(Vec::len),
            Some(1),
            "only the admin is left"
        );
        let read = app
            .send_as(
                Some(&admin.token),
                Method::GET,
                &format!("/api/admin/users/{}", me.id),
                None,
            )
            .await;
        assert_eq!(read.status, StatusCode::NOT_FOUND);
        let audit = admin.get(&app, "/api/admin/audit").await.json();
        assert!(
            audit["entries"]
                .as_array()
                .expect("entries")
                .iter()
                .any(|e| e["action"] == "account_erased" && e["subject_id"] == json!(me.id))
        );
    }
);

storage_test!(
    sign_in_endpoints_answer_every_role_and_anonymous_callers_alike,
    |db: TestDb| async move {
        let app = TestApp::start(db, |_| {}).await;
        for (who, person) in everyone(&app).await {
            let token = person.as_ref().map(|p| p.token.as_str());
            let providers = app
                .send_as(token, Method::GET, "/api/auth/providers", None)
                .await;
            assert_eq!(providers.status, StatusCode::OK, "{who}");
            assert_eq!(providers.json()["providers"], json!([]), "{who}");
            let login = app
                .send_as(token, Method::GET, "/api/auth/login/none", None)
                .await;
            assert_eq!(login.error_code(), "provider_not_found", "{who}");
            let callback = app
                .send_as(
                    token,
                    Method::GET,
                    "/api/auth/callback/none?state=s&code=c",
                    None,
                )
                .await;
            assert_eq!(callback.error_code(), "provider_not_found", "{who}");
            let logout = app
                .send_as(token, Method::POST, "/api/auth/logout", None)
                .await;
            assert_eq!(logout.status, StatusCode::NO_CONTENT, "{who}");
            if let Some(token) = token {
                let after = app.send_as(Some(token), Method::GET, "/api/me", None).await;
                assert_eq!(
                    after.status,
                    StatusCode::UNAUTHORIZED,
                    "{who} is signed out"
                );
            }
        }
    }
);

storage_test!(
    the_api_document_declares_how_to_authenticate_and_every_error_status,
    |db: TestDb| async move {
        let app = TestApp::start(db, |_| {}).await;
        let spec = app
            .send(Method::GET, "/openapi.json", &[], None)
            .await
            .json();
        let schemes = &spec["components"]["securitySchemes"];
        assert_eq!(schemes["session_cookie"]["in"], "cookie");
        assert_eq!(schemes["session_cookie"]["name"], "academy_session");
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        let me = &spec["paths"]["/api/me"]["patch"];
        assert_eq!(
            me["security"],
            json!([{"session_cookie": []}, {"bearer": []}])
        );
        for status in ["200", "400", "401", "403"] {
            assert!(
                me["responses"][status].is_object(),
                "PATCH /api/me lacks {status}"
            );
        }
        let login = &spec["paths"]["/api/auth/login/{provider}"]["get"];
        for status in ["302", "400", "404", "429", "502"] {
            assert!(
                login["responses"][status].is_object(),
                "login lacks {status}"
            );
        }
        assert!(
            login["security"].is_null(),
            "signing in needs no credentials"
        );
    }
);
