//! Builders shared by the API tests: an in-process Academy on a fresh database.

use std::path::{Path, PathBuf};

use academy::{Academy, Config};
use academy_testing::{Backend, TestDb};
use poem::{
    EndpointExt,
    http::{HeaderMap, Method, StatusCode},
    test::TestClient,
};
use serde_json::Value;

/// The courses shipped in the repository (or the content tree named by
/// `ACADEMY_TEST_COURSES`, to run the suite against content under review).
pub fn shipped_courses() -> PathBuf {
    std::env::var_os("ACADEMY_TEST_COURSES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("courses"))
}

/// The data key of test apps (on PostgreSQL a key must be configured).
pub const TEST_DATA_KEY: &str = "dGVzdC1kYXRhLWtleS0tLS0tLS0tLS0tLS0tLS0tLS0=";
/// The certificate signing key of test apps: the Open Badges 3.0 test vector's key pair.
pub const TEST_SIGNING_KEY: &str =
    "zrv2bqTbNwCTsRrHFcJCPjVAduh4Ezcnoq1A3ZxH1GWTNkxipLVuaAoMFmze2gFN9oNXfJjufxSHWVZzsJiUsMHFMcx";

/// An Academy served in-process on its own database.
pub struct TestApp {
    pub academy: Academy,
    pub client: TestClient<poem::endpoint::BoxEndpoint<'static>>,
    pub db: TestDb,
    _data_dir: tempfile::TempDir,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the stable error shape and returns the `code`.
    pub fn error_code(&self) -> String {
        let body = self.json();
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "no message in {body}"
        );
        body["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no code in {body}"))
            .to_owned()
    }
}

/// A key for a content tree and the search schema (so a cached index of an older schema is
/// never reused).
fn content_key(dir: &Path) -> String {
    academy_testing::tree_key(&[dir], &academy_search::SCHEMA_VERSION.to_string())
}

/// A migrated database on `backend` that already holds the shipped courses: imported once per
/// content version into a template, then copied (see `storage_test!`'s `with` form).
pub async fn shipped_db(backend: Backend) -> Option<TestDb> {
    let dir = shipped_courses();
    let key = format!("shipped-{}", content_key(&dir));
    TestDb::filled(backend, &key, |db| async move {
        academy_courses::import::import_dir(&db, &dir, |_, _, _| {})
            .await
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("importing the shipped courses: {e}"))
    })
    .await
}

/// Where built search indexes are kept between test processes, by content key.
fn index_cache(content: &Path) -> PathBuf {
    academy_testing::cache_dir(&format!("index-{}", content_key(content)))
}

impl TestApp {
    /// An app on its own database and data directory, with settings changed by `tweak`. Like
    /// `academy serve`, it imports `content_dir` at start (by default a folder that does not
    /// exist: no content). The search index of a content tree is built once and copied into
    /// each app's data directory, where it is reopened rather than rebuilt.
    pub async fn configured(db: TestDb, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            database_url: Some(db.url.clone()),
            data_dir: data_dir.path().to_owned(),
            content_dir: data_dir.path().join("no-content"),
            content_poll_seconds: 0,
            db_max_connections: 4,
            data_key: Some(TEST_DATA_KEY.into()),
            signing_key: Some(TEST_SIGNING_KEY.into()),
            jobs_interval_seconds: 0,
            ..Config::default()
        };
        tweak(&mut config);
        let cache = config
            .content_dir
            .is_dir()
            .then(|| index_cache(&config.content_dir));
        let search_dir = config.data_dir.join("search");
        if let Some(cache) = cache.as_ref().filter(|c| c.is_dir()) {
            academy_testing::copy_dir(cache, &search_dir).expect("copying the cached index");
        }
        let academy = Academy::start(config).await.expect("the academy starts");
        if let Some(cache) = cache.filter(|c| !c.is_dir()) {
            // Built by this app: keep a copy for the next ones (renamed into place whole).
            let building = cache.with_extension(format!("building-{}", std::process::id()));
            if academy_testing::copy_dir(&search_dir, &building).is_ok()
                && std::fs::rename(&building, &cache).is_err()
            {
                let _ = std::fs::remove_dir_all(&building);
            }
        }
        let client = TestClient::new(academy.endpoint().boxed());
        TestApp {
            academy,
            client,
            db,
            _data_dir: data_dir,
        }
    }

    /// An app on `db` that imports `content` at start (as `academy serve` does).
    pub async fn with_content(db: TestDb, content: &Path) -> TestApp {
        Self::configured(db, |config| config.content_dir = content.to_owned()).await
    }

    /// An app serving the shipped courses (imported at start unless `db` holds them already,
    /// as a [`shipped_db`] does).
    pub async fn shipped(db: TestDb) -> TestApp {
        Self::with_content(db, &shipped_courses()).await
    }

    /// Sends a request with headers and an optional JSON body.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await;
        let status = response.0.status();
        let headers = response.0.headers().clone();
        let body = response.0.into_body().into_vec().await.expect("body");
        Reply {
            status,
            headers,
            body,
        }
    }

    /// GET `uri` with extra headers.
    pub async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        self.send(Method::GET, uri, headers, None).await
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.get_with(uri, &[]).await
    }
}
