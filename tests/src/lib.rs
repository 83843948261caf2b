//! The black-box test harness: each test starts the real Pivot application on an
//! ephemeral port, against a fresh SQLite file or a fresh PostgreSQL database, and
//! speaks HTTP to it.
//!
//! PostgreSQL tests never skip: they fail when the server at
//! `PIVOT_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! cannot be reached. Each test creates its own database next to that one and drops
//! it when done.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use server::config::Config;
use server::domain::users;
use server::http;
use server::state::AppState;

pub use serde_json;

pub mod ws;

/// The password of the `admin` user every test app starts with.
pub const ADMIN_PASSWORD: &str = "test admin password";

pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A running Pivot and an HTTP client for it.
pub struct TestApp {
    pub base: String,
    /// Sends the admin's API token with every request.
    pub client: reqwest::Client,
    /// Sends no credentials.
    pub anonymous: reqwest::Client,
    /// The admin's API token.
    pub token: String,
    /// The application's database, for setting up users.
    pub db: sea_orm::DatabaseConnection,
    /// Its URL, for a second server on the same database.
    pub database_url: String,
    _db: TestDb,
}

enum TestDb {
    /// Owned by another server of the test.
    Borrowed,
    Sqlite(std::path::PathBuf),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Borrowed => {}
            TestDb::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres { admin_url, name } => {
                let (url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        if let Ok(db) = Database::connect(&url).await {
                            let _ = db
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A fresh, empty PostgreSQL database beside the configured one, dropped with this.
pub struct PgScratch {
    pub url: String,
    guard: TestDb,
}

pub async fn postgres_scratch() -> PgScratch {
    postgres_database(None).await
}

/// A fresh PostgreSQL database with every migration applied, cloned from a template
/// migrated once per run (`<run database>_template`): a copy is much quicker than
/// running the migrations again in every test.
pub async fn postgres_migrated() -> PgScratch {
    let template = migrated_template().await;
    postgres_database(Some(&template)).await
}

/// The run's migrated template database, made by the first test that asks (tests run
/// in processes of their own: a PostgreSQL advisory lock makes one of them build it).
/// A template with another number of migrations than this build's is built again.
async fn migrated_template() -> String {
    use migration::MigratorTrait;
    let admin_url = postgres_admin_url();
    let (server_url, base) = admin_url.rsplit_once('/').expect("a database URL");
    let template = format!("{}_template", base.split('?').next().unwrap_or(base)).to_lowercase();
    // One connection: the advisory lock belongs to a session.
    let mut options = sea_orm::ConnectOptions::new(admin_url.clone());
    options.max_connections(1).sqlx_logging(false);
    let admin = Database::connect(options)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL tests need a server at {admin_url}: {e}"));
    admin
        .execute_unprepared("SELECT pg_advisory_lock(727274)")
        .await
        .expect("lock the template");
    let url = format!("{server_url}/{template}");
    let wanted = migration::Migrator::migrations().len() as i64;
    let applied = match Database::connect(&url).await {
        Ok(conn) => {
            let n = conn
                .query_one(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT count(*) FROM seaql_migrations",
                ))
                .await
                .ok()
                .flatten()
                .and_then(|r| r.try_get_by_index::<i64>(0).ok());
            conn.close().await.ok();
            n
        }
        Err(_) => None,
    };
    if applied != Some(wanted) {
        for sql in [
            format!("DROP DATABASE IF EXISTS \"{template}\" WITH (FORCE)"),
            format!("CREATE DATABASE \"{template}\""),
        ] {
            admin.execute_unprepared(&sql).await.expect("make the template");
        }
        let conn = Database::connect(&url).await.expect("connect to the template");
        server::db::migrate(&conn).await.expect("migrate the template");
        conn.close().await.ok();
    }
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(727274)")
        .await
        .expect("unlock the template");
    admin.close().await.ok();
    template
}

async fn postgres_database(template: Option<&str>) -> PgScratch {
    let admin_url = postgres_admin_url();
    let admin = Database::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL tests need a server at {admin_url}: {e}"));
    let base = admin_url
        .rsplit('/')
        .next()
        .unwrap_or("postgres")
        .split('?')
        .next()
        .unwrap_or("postgres");
    let name = format!("{base}_t{}", unique()).to_lowercase();
    let from = template.map(|t| format!(" TEMPLATE \"{t}\"")).unwrap_or_default();
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\"{from}"))
        .await
        .expect("create the test database");
    let url = format!(
        "{}/{name}",
        admin_url.rsplit_once('/').map(|(a, _)| a).unwrap_or(&admin_url)
    );
    PgScratch {
        url,
        guard: TestDb::Postgres { admin_url, name },
    }
}

pub fn postgres_admin_url() -> String {
    std::env::var("PIVOT_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_string())
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(Config::default()).await
    }

    pub async fn sqlite_with(config: Config) -> Self {
        let dir = std::env::temp_dir().join(format!("pivot-test-{}", unique()));
        let url = format!("sqlite://{}/pivot.db", dir.display());
        Self::start(
            Config {
                database_url: url,
                ..config
            },
            TestDb::Sqlite(dir),
        )
        .await
    }

    pub async fn postgres() -> Self {
        Self::postgres_with(Config::default()).await
    }

    pub async fn postgres_with(config: Config) -> Self {
        let PgScratch { url, guard } = postgres_migrated().await;
        Self::start(
            Config {
                database_url: url,
                ..config
            },
            guard,
        )
        .await
    }

    /// Another Pivot server on this one's database (a replica), with its own token.
    pub async fn replica(&self) -> Self {
        Self::start_on(&self.database_url, Config::default()).await
    }

    /// A Pivot server on the database at `url`, which another server of the test owns.
    pub async fn start_on(url: &str, config: Config) -> Self {
        let config = Config {
            database_url: url.to_string(),
            ..config
        };
        Self::start(config, TestDb::Borrowed).await
    }

    async fn start(config: Config, test_db: TestDb) -> Self {
        let config = Config {
            admin_password: Some(ADMIN_PASSWORD.into()),
            ..config
        };
        let database_url = config.database_url.clone();
        let state = AppState::start(config).await.expect("start Pivot");
        // Tests act as the first admin, through an API token like any script would.
        let admin = users::by_name(state.db(), "admin").await.expect("the first admin");
        let (_, token) = users::create_token(state.db(), admin.id, "tests", None).await.unwrap();
        let db = state.db().clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(http::serve(listener, state));
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .default_headers(headers)
            .build()
            .unwrap();
        let anonymous = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        Self {
            base,
            client,
            anonymous,
            token,
            db,
            database_url,
            _db: test_db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The whole GraphQL response of one operation.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let res = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql");
        res.json().await.expect("a JSON response")
    }

    /// The `data` of an operation that must succeed.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let res = self.gql(query, variables).await;
        assert!(
            res.get("errors").is_none(),
            "unexpected errors: {res:#}\nquery: {query}"
        );
        res["data"].clone()
    }

    /// The first error of an operation that must fail: (code, message).
    pub async fn error(&self, query: &str, variables: Value) -> (String, String) {
        let res = self.gql(query, variables).await;
        let e = &res["errors"][0];
        assert!(e.is_object(), "expected an error, got {res:#}\nquery: {query}");
        let code = e["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("error without a code: {res:#}"));
        (code.to_string(), e["message"].as_str().unwrap_or_default().to_string())
    }

    /// Asserts that an operation fails with `code`, and returns the message.
    pub async fn expect_error(&self, code: &str, query: &str, variables: Value) -> String {
        let (got, message) = self.error(query, variables).await;
        assert_eq!(got, code, "wrong code for {query}: {message}");
        message
    }

    /// A new user with `role` and extra grants (`,cases:write,`), and an API token of it.
    pub async fn user(&self, name: &str, role: users::Role, extra: &str) -> String {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        let user = users::create(&self.db, name, role, "a long enough password")
            .await
            .expect("create a user");
        let mut am: entities::user::ActiveModel = user.clone().into();
        am.capabilities = Set(extra.to_string());
        am.update(&self.db).await.unwrap();
        users::create_token(&self.db, user.id, "tests", None).await.unwrap().1
    }

    /// A new user with no role, holding only the grants `extra` (`,hosts:read,`), and
    /// an API token of it.
    pub async fn user_with_only(&self, name: &str, extra: &str) -> String {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
        let token = self.user(name, users::Role::Viewer, extra).await;
        let user = entities::user::Entity::find()
            .filter(entities::user::Column::Username.eq(name))
            .one(&self.db)
            .await
            .unwrap()
            .unwrap();
        let mut am: entities::user::ActiveModel = user.into();
        am.role = Set("none".into());
        am.update(&self.db).await.unwrap();
        token
    }

    /// The global ID of user `name`, read through the API.
    pub async fn user_id(&self, name: &str) -> String {
        let data = self
            .data("{ users(first: 1000) { nodes { id username } } }", json!({}))
            .await;
        let found = data["users"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .unwrap_or_else(|| panic!("no user {name}: {data}"));
        s(&found["id"])
    }

    /// Limits user `name` to the customers `ids` (a JSON list of IDs), through the API.
    pub async fn limit_to(&self, name: &str, ids: Value) {
        let id = self.user_id(name).await;
        self.data(
            "mutation($id: ID!, $c: [ID!]) { updateUser(id: $id, input: {customerIds: $c}) { id } }",
            json!({"id": id, "c": ids}),
        )
        .await;
    }

    /// The response of an operation sent with another token.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let res = self
            .anonymous
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql");
        res.json().await.expect("a JSON response")
    }

    /// The response of a GraphQL multipart request sending `content` as the `file`
    /// variable (as the GraphQL multipart request spec has it).
    pub async fn upload(&self, query: &str, file_name: &str, content: Vec<u8>, variables: Value) -> Value {
        self.upload_as(&self.token.clone(), query, file_name, content, variables)
            .await
    }

    /// [`TestApp::upload`] with another token.
    pub async fn upload_as(
        &self,
        token: &str,
        query: &str,
        file_name: &str,
        content: Vec<u8>,
        variables: Value,
    ) -> Value {
        let mut variables = variables;
        variables["file"] = Value::Null;
        let operations = json!({ "query": query, "variables": variables });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({"0": ["variables.file"]}).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(content).file_name(file_name.to_string()),
            );
        let res = self
            .anonymous
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("POST /graphql (multipart)");
        res.json().await.expect("a JSON response")
    }

    /// The text of `/metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// A value of `/metrics`.
    pub async fn metric(&self, name: &str) -> u64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in /metrics: {text}"))
    }

    /// Waits until the value of `/metrics` named `name` is `value`; panics if it is not
    /// within [`ws::PATIENCE`].
    pub async fn until_metric(&self, name: &str, value: u64) {
        until(&format!("{name} is {value}"), || async {
            self.metric(name).await == value
        })
        .await;
    }

    /// A REST call with the tests' token: (status, JSON body). `body` is sent as is
    /// (raw text, so that malformed JSON can be sent too).
    pub async fn rest(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        self.rest_as(Some(&self.token.clone()), method, path, body).await
    }

    /// [`TestApp::rest`] with another token, or none.
    pub async fn rest_as(&self, token: Option<&str>, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut req = self.anonymous.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        let res = req.send().await.expect("a REST call");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON body, got {status} {text:?}"));
        (status, json)
    }

    /// The SQL statements the server has sent so far.
    pub async fn statements(&self) -> u64 {
        self.metric("pivot_sql_statements_total").await
    }
}

/// Runs a test body against SQLite and against PostgreSQL, as two tests
/// (`NAME::sqlite`, `NAME::postgres`).
#[macro_export]
macro_rules! both_dbs {
    ($name:ident, $body:expr) => {
        $crate::both_dbs!($name, ::server::config::Config::default(), $body);
    };
    ($name:ident, $config:expr, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::TestApp::sqlite_with($config).await;
                ($body)(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::TestApp::postgres_with($config).await;
                ($body)(app).await;
            }
        }
    };
}

/// The `pivot` binary cargo built next to the tests.
pub fn pivot_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("pivot");
    assert!(
        bin.exists(),
        "the pivot binary is built beside the tests: {}",
        bin.display()
    );
    bin
}

/// A SQLite database in `dir`, created the way a user creates one (`pivot migrate`):
/// every other command but `serve` and `demo` refuses a database that does not exist.
pub fn migrated_sqlite(dir: &std::path::Path) -> String {
    let url = format!("sqlite://{}/pivot.db", dir.display());
    let out = std::process::Command::new(pivot_binary())
        .args(["migrate", "--database", &url])
        .output()
        .expect("pivot migrate");
    assert!(
        out.status.success(),
        "pivot migrate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    url
}

/// Waits until `holds` answers true (polled every 10 ms); panics, saying `what` was
/// awaited, if it does not within [`ws::PATIENCE`].
pub async fn until<F: std::future::Future<Output = bool>>(what: &str, mut holds: impl FnMut() -> F) {
    let deadline = std::time::Instant::now() + ws::PATIENCE;
    while !holds().await {
        assert!(std::time::Instant::now() < deadline, "waited in vain until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The number of rows in `table`, read straight from the database.
pub async fn rows_in(db: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    number(db, &format!("SELECT COUNT(*) FROM {table}")).await
}

/// The one number `sql` answers, read straight from the database.
pub async fn number(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql.to_string());
    let row = db.query_one(statement).await.unwrap().expect("a row");
    row.try_get_by_index::<i64>(0).unwrap()
}

/// A file of `../shared/fixtures/` (real tools' output, kept beside the repository).
pub fn fixture(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("reading the fixture {}: {e}", full.display()))
}

/// A file of `tests/data/` (samples written for these tests).
pub fn sample(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("reading the sample {}: {e}", full.display()))
}

/// `data[path]` as a string, for IDs.
pub fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_string()
}
