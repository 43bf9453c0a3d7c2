//! Certificates through the API, on SQLite and PostgreSQL: awarded at completion, claimed with
//! a chosen name, verified (here and by an independent implementation), revoked, erased.

use std::process::Command;

use academy_identity::Role;
use academy_testing::{TestDb, storage_test};
use futures_util::future::join_all;
use poem::http::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::{
    helpers::TestApp,
    identity_support::Person,
    progress::{COURSE, attempt, complete, lessons_and_quizzes, right_answers},
};

/// Completes the shipped course as `who` and returns the awarded certificate's id.
async fn complete_course(app: &TestApp, who: &Person) -> String {
    let (lessons, quizzes) = lessons_and_quizzes(app, COURSE);
    for lesson in &lessons {
        complete(app, who, lesson).await;
    }
    for quiz in &quizzes {
        let (status, _) = attempt(app, who, quiz, right_answers(app, COURSE, quiz)).await;
        assert_eq!(status, StatusCode::OK);
    }
    let mine = who.get(app, "/api/me/certificates").await;
    assert_eq!(mine.status, StatusCode::OK);
    let mine = mine.json();
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(mine[0]["course"], COURSE);
    assert!(mine[0].get("credential").is_none(), "not claimed yet");
    mine[0]["id"].as_str().unwrap().to_owned()
}

async fn claim(app: &TestApp, who: &Person, id: &str, body: Value) -> (StatusCode, Value) {
    let reply = who
        .send(
            app,
            Method::POST,
            &format!("/api/me/certificates/{id}/claim"),
            Some(body),
        )
        .await;
    (reply.status, reply.json())
}

async fn verify(app: &TestApp, credential: &Value) -> Value {
    let reply = app
        .send(
            Method::POST,
            "/api/certificates/verify",
            &[],
            Some(credential.clone()),
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

fn page_text(reply: &crate::helpers::Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

storage_test!(
    a_completed_course_gives_a_certificate_that_verifies_until_it_is_revoked,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let learner = app.person("Learner", &[]).await;
        let staff = app.person("Staff", &[Role::Staff]).await;
        let id = complete_course(&app, &learner).await;

        // Unclaimed: nothing public yet.
        assert_eq!(app.get(&format!("/api/certificates/{id}")).await.status, StatusCode::NOT_FOUND);
        let (status, body) = claim(&app, &learner, &id, json!({"name": "other"})).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_name")));
        let (status, signed) = claim(
            &app,
            &learner,
            &id,
            json!({"name": "other", "other_name": "Amal <Defender>", "lang": "fr"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{signed}");
        assert_eq!(signed["type"], json!(["VerifiableCredential", "OpenBadgeCredential"]));
        assert_eq!(signed["proof"]["cryptosuite"], "eddsa-rdfc-2022");
        let subject = &signed["credentialSubject"];
        assert_eq!(subject["identifier"][0]["hashed"], true);
        assert!(subject["identifier"][0]["identityHash"].as_str().unwrap().starts_with("sha256$"));
        assert_eq!(subject["identifier"][1]["identityHash"], "Amal <Defender>");
        assert!(subject.get("id").is_none(), "no account id in the credential");
        let (status, again) = claim(&app, &learner, &id, json!({"name": "none"})).await;
        assert_eq!((status, again["code"].as_str()), (StatusCode::CONFLICT, Some("already_claimed")));

        // Public: the same credential, the page, the DID document with the key.
        let public = app.get(&format!("/api/certificates/{id}")).await;
        assert_eq!(public.status, StatusCode::OK);
        assert_eq!(public.json(), signed);
        let did = app.get("/.well-known/did.json").await.json();
        let method = signed["proof"]["verificationMethod"].as_str().unwrap();
        assert_eq!(did["assertionMethod"][0], method);
        assert_eq!(signed["issuer"]["id"], did["id"]);

        let page = app.get(&format!("/certificates/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page_text(&page);
        assert!(html.contains("Ce certificat est valide"), "{html}");
        assert!(html.contains("Amal &lt;Defender&gt;"), "the name is escaped: {html}");
        assert!(!html.contains("<script"));
        assert!(page.header("content-security-policy").unwrap().contains("default-src 'none'"));
        let english = page_text(&app.get(&format!("/certificates/{id}?lang=en")).await);
        assert!(english.contains("This certificate is valid"));
        let unknown = app.get("/certificates/00000000-0000-4000-8000-000000000000").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert!(page_text(&unknown).contains("There is no certificate at this address"));

        // Verified here; any change breaks it.
        let verdict = verify(&app, &signed).await;
        assert_eq!(verdict["verdict"], "valid", "{verdict}");
        assert_eq!(verdict["certificate_id"], id.as_str());
        let mut renamed = signed.clone();
        renamed["credentialSubject"]["identifier"][1]["identityHash"] = json!("Amal <Defendor>");
        let verdict = verify(&app, &renamed).await;
        assert_eq!((verdict["verdict"].as_str(), verdict["code"].as_str()), (Some("invalid"), Some("bad_signature")));
        let mut foreign = signed.clone();
        foreign["issuer"]["id"] = json!("did:web:elsewhere.example");
        assert_eq!(verify(&app, &foreign).await["code"], "unknown_issuer");
        for not_an_object in [json!([1]), json!([null, null]), json!("text"), json!(null)] {
            let bad = app.send(Method::POST, "/api/certificates/verify", &[], Some(not_an_object)).await;
            assert_eq!(bad.status, StatusCode::BAD_REQUEST);
            assert!(bad.json()["message"].as_str().unwrap().contains("an object"), "{}", bad.json());
        }

        // Before the revocation the list has the bit clear (and is kept signed as it is).
        let list_url = signed["credentialStatus"]["statusListCredential"].as_str().unwrap();
        let list_path = list_url.split_once("/api/").map(|(_, p)| format!("/api/{p}")).unwrap();
        let index: u64 = signed["credentialStatus"]["statusListIndex"].as_str().unwrap().parse().unwrap();
        let before = app.get(&list_path).await.json();
        let encoded = before["credentialSubject"]["encodedList"].as_str().unwrap();
        assert_eq!(academy_credentials::status::is_set(encoded, index), Some(false));
        assert_eq!(app.get(&list_path).await.json(), before, "signed once while unchanged");

        // Revocation: staff only, once, published in the status list.
        let path = format!("/api/certificates/{id}/revoke");
        let reason = json!({"reason": "issued in error"});
        let refused = learner.send(&app, Method::POST, &path, Some(reason.clone())).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let empty = staff.send(&app, Method::POST, &path, Some(json!({"reason": " "}))).await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST);
        let revoked = staff.send(&app, Method::POST, &path, Some(reason.clone())).await;
        assert_eq!(revoked.status, StatusCode::OK);
        let twice = staff.send(&app, Method::POST, &path, Some(reason)).await;
        assert_eq!((twice.status, twice.error_code().as_str()), (StatusCode::CONFLICT, "already_revoked"));
        assert_eq!(verify(&app, &signed).await["verdict"], "revoked");
        let html = page_text(&app.get(&format!("/certificates/{id}")).await);
        assert!(html.contains("a été révoqué"), "{html}");
        let mine = learner.get(&app, "/api/me/certificates").await.json();
        assert_eq!(mine[0]["revocation_reason"], "issued in error");

        let list = app.get(&list_path).await.json();
        let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
        assert_eq!(academy_credentials::status::is_set(encoded, index), Some(true));
        assert_eq!(verify(&app, &list).await["verdict"], "valid", "the status list is signed");
        for out_of_range in ["0", "16385", "9760524145"] {
            let uri = format!("/api/certificates/status/{out_of_range}");
            assert_eq!(app.get(&uri).await.status, StatusCode::BAD_REQUEST);
        }
        for out_of_range in ["0", "16385"] {
            let uri = format!("/api/certificates/status/{out_of_range}");
            assert_eq!(app.get(&uri).await.json()["code"], "invalid_status_list");
        }

        // The audit log has the revocation, with the holder as its subject.
        let audit = app
            .db
            .db
            .query_one_raw(Statement::from_string(
                app.db.db.get_database_backend(),
                format!(
                    "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'certificate_revoked' AND subject_id = {}",
                    learner.id
                ),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(audit, 1);
    }
);

storage_test!(
    two_claims_at_once_sign_once_and_erasure_revokes_what_was_kept,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let learner = app.person("Learner", &[]).await;
        let id = complete_course(&app, &learner).await;
        let claims = join_all((0..8).map(|i| {
            let body = json!({"name": "other", "other_name": format!("Name {i}")});
            let app = &app;
            let learner = &learner;
            let id = id.as_str();
            async move { claim(app, learner, id, body).await }
        }))
        .await;
        let won: Vec<&Value> = claims.iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, v)| v).collect();
        assert_eq!(won.len(), 1, "{claims:?}");
        assert!(claims.iter().all(|(s, v)| *s == StatusCode::OK || v["code"] == "already_claimed"));
        let kept = app.get(&format!("/api/certificates/{id}")).await.json();
        assert_eq!(&kept, won[0], "the stored credential is the one answered");

        // Sealed at rest: the chosen name is not in the database in clear.
        let name = kept["credentialSubject"]["identifier"][1]["identityHash"].as_str().unwrap().to_owned();
        let row = app
            .db
            .db
            .query_one_raw(Statement::from_string(
                app.db.db.get_database_backend(),
                format!("SELECT credential FROM certificates WHERE id = '{id}'"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<Vec<u8>>("", "credential")
            .unwrap();
        assert!(!String::from_utf8_lossy(&row).contains(&name));

        // The export has it; erasure deletes it and its copy reads as revoked.
        let export = learner.get(&app, "/api/me/export").await;
        assert_eq!(export.status, StatusCode::OK);
        assert_eq!(export.json()["certificates"][0]["credential"], kept);
        academy::privacy::erase(&app.db.db, &app.academy.state.enrollment, learner.id)
            .await
            .unwrap();
        assert_eq!(app.get(&format!("/api/certificates/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(verify(&app, &kept).await["verdict"], "revoked");
    }
);

storage_test!(
    a_key_rotation_reseals_claimed_certificates,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        use academy_enrollment::DataKeys;
        use academy_progress::certificate;
        let app = TestApp::shipped(db).await;
        let learner = app.person("Learner", &[]).await;
        let id = complete_course(&app, &learner).await;
        let (status, claimed) = claim(&app, &learner, &id, json!({"name": "none"})).await;
        assert_eq!(status, StatusCode::OK, "{claimed}");

        let old = DataKeys::from_base64(crate::helpers::TEST_DATA_KEY, &[]).unwrap();
        let new_key = DataKeys::generate();
        let rotated =
            DataKeys::from_base64(&new_key, &[crate::helpers::TEST_DATA_KEY.to_owned()]).unwrap();
        let only_new = DataKeys::from_base64(&new_key, &[]).unwrap();
        let db = &app.db.db;
        assert_eq!(certificate::missing_keys(db, &only_new).await.unwrap().len(), 1);
        let done = certificate::rotate(db, &rotated, 1, |_| {}).await.unwrap();
        assert_eq!(done, 1, "one claimed certificate");
        assert_eq!(certificate::rotate(db, &rotated, 1, |_| {}).await.unwrap(), 0, "done once");
        assert!(certificate::missing_keys(db, &only_new).await.unwrap().is_empty());
        assert_eq!(certificate::missing_keys(db, &old).await.unwrap().len(), 1);
        let uuid = id.parse().unwrap();
        let read = certificate::published(db, &only_new, uuid).await.unwrap().expect("readable");
        assert_eq!(read.credential, claimed, "the same signed credential, sealed anew");
    }
);

storage_test!(
    an_independent_implementation_verifies_a_certificate_and_rejects_a_changed_one,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let learner = app.person("Learner", &[]).await;
        let id = complete_course(&app, &learner).await;
        let (status, signed) = claim(&app, &learner, &id, json!({"name": "none", "lang": "es"})).await;
        assert_eq!(status, StatusCode::OK);
        let did = app.get("/.well-known/did.json").await.json();
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, value: &Value| {
            let path = dir.path().join(name);
            std::fs::write(&path, value.to_string()).unwrap();
            path
        };
        let did_path = write("did.json", &did);
        let list_url = signed["credentialStatus"]["statusListCredential"].as_str().unwrap();
        let list_path = list_url.split_once("/api/").map(|(_, p)| format!("/api/{p}")).unwrap();
        let run = |credential: &Value, list: &Value, name: &str| {
            let path = write(name, credential);
            let list_file = write(&format!("list-{name}"), list);
            let out = Command::new("node")
                .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/credentials/verify.mjs"))
                .arg(&path)
                .arg(&did_path)
                .arg(&list_file)
                .output()
                .expect("node runs");
            (out.status.code(), String::from_utf8_lossy(&out.stdout).trim().to_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
        };
        let list = app.get(&list_path).await.json();
        let (code, out, err) = run(&signed, &list, "signed.json");
        assert_eq!((code, out.as_str()), (Some(0), "verified"), "{err}");
        // A status list changed by one character does not verify, so neither does the credential.
        let mut forged = list.clone();
        forged["validFrom"] = json!("2020-01-01T00:00:00Z");
        let (code, out, err) = run(&signed, &forged, "forged-list.json");
        assert_eq!((code, out.as_str()), (Some(1), "not verified"), "{err}");
        assert!(err.contains("status list does not verify"), "{err}");
        // One character changed in the course's name.
        let mut changed = signed.clone();
        let name = changed["credentialSubject"]["achievement"]["name"].as_str().unwrap().to_owned();
        let mut chars: Vec<char> = name.chars().collect();
        chars[0] = if chars[0] == 'X' { 'Y' } else { 'X' };
        changed["credentialSubject"]["achievement"]["name"] = json!(chars.into_iter().collect::<String>());
        let (code, out, err) = run(&changed, &list, "changed.json");
        assert_eq!((code, out.as_str()), (Some(1), "not verified"), "{err}");

        // Revoked: the independent verifier reads the bit in the list as published now.
        let staff = app.person("Staff", &[Role::Staff]).await;
        let reason = json!({"reason": "issued in error"});
        let revoke = format!("/api/certificates/{id}/revoke");
        assert_eq!(staff.send(&app, Method::POST, &revoke, Some(reason)).await.status, StatusCode::OK);
        let list = app.get(&list_path).await.json();
        let (code, out, err) = run(&signed, &list, "revoked.json");
        assert_eq!((code, out.as_str()), (Some(1), "not verified"), "{err}");
        assert!(err.contains("revoked"), "{err}");
    }
);

/// The page as headless Chromium renders it (its DOM after loading), from a real listener.
fn chromium_dom(url: &str) -> String {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--dump-dom",
            url,
        ])
        .output()
        .expect("chromium runs (scripts/test installs Debian's chromium)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

storage_test!(
    a_browser_shows_the_verification_page_valid_then_revoked,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::shipped(db).await;
        let learner = app.person("Learner", &[]).await;
        let staff = app.person("Staff", &[Role::Staff]).await;
        let id = complete_course(&app, &learner).await;
        let (status, _) = claim(&app, &learner, &id, json!({"name": "other", "other_name": "Amal", "lang": "es"})).await;
        assert_eq!(status, StatusCode::OK);

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let endpoint = app.academy.endpoint();
        let server = tokio::spawn(async move {
            poem::Server::new_with_acceptor(poem::listener::TcpAcceptor::from_tokio(listener).unwrap())
                .run(endpoint)
                .await
        });
        let url = format!("http://127.0.0.1:{port}/certificates/{id}");
        let dom = {
            let url = url.clone();
            tokio::task::spawn_blocking(move || chromium_dom(&url)).await.unwrap()
        };
        assert!(dom.contains("Este certificado es válido"), "{dom}");
        assert!(dom.contains("Amal"), "{dom}");
        assert!(dom.contains("class=\"status valid\""), "{dom}");

        let revoked = staff
            .send(&app, Method::POST, &format!("/api/certificates/{id}/revoke"), Some(json!({"reason": "test"})))
            .await;
        assert_eq!(revoked.status, StatusCode::OK);
        let dom = tokio::task::spawn_blocking(move || chromium_dom(&url)).await.unwrap();
        assert!(dom.contains("La ISHR Academy revocó este certificado"), "{dom}");
        assert!(dom.contains("class=\"status revoked\""), "{dom}");
        server.abort();
    }
);
