//! Test databases: a fresh SQLite file per test always, and a fresh PostgreSQL database per test
//! when `NIANJIAN_TEST_DATABASE_URL` names a server. Under `CI=true` a missing PostgreSQL is a
//! failure, never a skip.
#![allow(dead_code)]

pub mod instances;
pub mod seed;
pub mod server;
pub mod workbook;

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use nianjian::db::{DatabaseUrl, Db};

pub struct TestDb {
    pub db: Db,
    pub url: DatabaseUrl,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = DatabaseUrl::Sqlite(dir.path().join("test.db"));
        let db = Db::open(&url).expect("open sqlite");
        TestDb {
            db,
            url,
            backend: "sqlite",
            _dir: Some(dir),
            pg_drop: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (with one loud line) when none is configured.
    pub fn postgres() -> Option<TestDb> {
        let admin_url = postgres_admin_url()?;
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "nianjian_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand_suffix()
        );
        let mut admin = diesel::PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("NIANJIAN_TEST_DATABASE_URL does not answer: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let url_text = replace_db_name(&admin_url, &name);
        let url = DatabaseUrl::parse(&url_text).expect("postgres url");
        let db = Db::open(&url).expect("open postgres");
        Some(TestDb {
            db,
            url,
            backend: "postgres",
            _dir: None,
            pg_drop: Some((admin_url, name)),
        })
    }

    /// SQLite always, PostgreSQL when available: the backends every storage test runs on.
    pub fn all() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite()];
        v.extend(TestDb::postgres());
        v
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg_drop.take()
            && let Ok(mut admin) = diesel::PgConnection::establish(&admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{nanos:x}")
}

/// The server's URL from `NIANJIAN_TEST_DATABASE_URL`. Outside CI its absence is a visible skip;
/// under `CI=true` it is a failure.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("NIANJIAN_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!(
                    "CI=true but NIANJIAN_TEST_DATABASE_URL is not set: the PostgreSQL tests must run under CI"
                );
            }
            // Written to the real stderr, past the test harness's capture, once per test binary.
            static ONCE: std::sync::Once = std::sync::Once::new();
            ONCE.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "SKIPPED (PostgreSQL): NIANJIAN_TEST_DATABASE_URL is not set, so the storage tests of this binary ran on SQLite only. \
                     Set it (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run them on PostgreSQL too."
                );
            });
            None
        }
    }
}

/// Swaps the database name of a PostgreSQL URL.
pub fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

// ---------------------------------------------------------------------------------------------
// TestApp: the whole service on a test database, driven through HTTP by a local client, with a
// small world of regions, departments and people in it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use nianjian::config::Settings;
use nianjian::db::audit::Actor;
use nianjian::db::departments::{self, NewDepartment};
use nianjian::db::regions::{self, NewRegion};
use nianjian::db::schema::{
    api_tokens, audit_log, departments as departments_t, regions as regions_t, sessions,
    users as users_t,
};
use nianjian::db::users::{self as users_db, NewUser, Role};
use nianjian::db::{Conn, tokens, write_transaction};
use rocket::http::{ContentType, Cookie, Header};
use rocket::local::blocking::{Client, LocalRequest};

/// The password every test user has.
pub const TEST_PASSWORD: &str = "test-password-1";
/// The fixed secret key of test apps.
pub const TEST_SECRET_KEY: &str =
    "4f6e6520736563726574206b657920666f722074657374732c206e6f74206d6f";

/// The people of a test world. Province 370000 has two cities, A (370100) and B (370200), each
/// with one department (`A` and `B`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Persona {
    Admin,
    /// A reviewer of the province: both cities.
    ProvinceReviewer,
    /// A reviewer of city A only.
    ReviewerA,
    /// A reviewer of city B only.
    ReviewerB,
    /// A submitter of department A.
    SubmitterA,
    /// A submitter of department B.
    SubmitterB,
}

impl Persona {
    pub const ALL: &'static [Persona] = &[
        Persona::Admin,
        Persona::ProvinceReviewer,
        Persona::ReviewerA,
        Persona::ReviewerB,
        Persona::SubmitterA,
        Persona::SubmitterB,
    ];
    pub fn username(self) -> &'static str {
        match self {
            Persona::Admin => "admin-t",
            Persona::ProvinceReviewer => "reviewer-p",
            Persona::ReviewerA => "reviewer-a",
            Persona::ReviewerB => "reviewer-b",
            Persona::SubmitterA => "submitter-a",
            Persona::SubmitterB => "submitter-b",
        }
    }
}

/// A signed-in browser: the sealed cookie value as the server sent it, and the CSRF token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: i64,
    pub username: String,
    pub cookie: String,
    pub csrf: String,
}

pub struct TestApp {
    pub client: Client,
    pub db: Db,
    pub backend: &'static str,
    pub province: i64,
    pub city_a: i64,
    pub city_b: i64,
    pub dept_a: i64,
    pub dept_b: i64,
    users: Mutex<HashMap<Persona, i64>>,
    next_addr: AtomicU32,
    _test_db: TestDb,
}

impl TestApp {
    /// The app on SQLite, and on PostgreSQL when configured.
    pub fn all() -> Vec<TestApp> {
        TestDb::all().into_iter().map(TestApp::new).collect()
    }

    pub fn new(test_db: TestDb) -> TestApp {
        TestApp::with_settings(test_db, Settings::default())
    }

    /// The app with settings of the test's choosing (e.g. a tighter sign-in limit).
    pub fn with_settings(test_db: TestDb, mut settings: Settings) -> TestApp {
        // Uploads are parsed by the built binary in a child process, as in production.
        settings
            .parser_exe
            .get_or_insert_with(|| std::path::PathBuf::from(env!("CARGO_BIN_EXE_nianjian")));
        let db = test_db.db.clone();
        let mut conn = db.conn().expect("connection");
        let actor = Actor::system();
        let (province, city_a, city_b, dept_a, dept_b) =
            write_transaction(&mut conn, |c| -> Result<_, diesel::result::Error> {
                let region = |c: &mut nianjian::db::DbConnection, code, name, level, parent| {
                    regions::insert(
                        c,
                        &actor,
                        &NewRegion {
                            code,
                            name,
                            level,
                            parent_id: parent,
                        },
                    )
                    .map(|r| r.id)
                };
                let p = region(c, "370000", "山东省", "province", None)?;
                let a = region(c, "370100", "济南市", "city", Some(p))?;
                let b = region(c, "370200", "青岛市", "city", Some(p))?;
                let dept = |c: &mut nianjian::db::DbConnection, region_id, code, name| {
                    departments::insert(
                        c,
                        &actor,
                        &NewDepartment {
                            region_id,
                            code,
                            name,
                            short_name: None,
                        },
                    )
                    .map(|d| d.id)
                };
                let da = dept(c, a, "A", "济南市交通运输局")?;
                let db_ = dept(c, b, "B", "青岛市交通运输局")?;
                Ok((p, a, b, da, db_))
            })
            .expect("seed the test world");
        drop(conn);
        let figment = rocket::Config::figment()
            .merge(("secret_key", TEST_SECRET_KEY))
            .merge(("log_level", "off"));
        let rocket = nianjian::web::build(figment, db.clone(), settings);
        let client = Client::untracked(rocket).expect("a valid rocket");
        TestApp {
            client,
            db,
            backend: test_db.backend,
            province,
            city_a,
            city_b,
            dept_a,
            dept_b,
            users: Mutex::new(HashMap::new()),
            next_addr: AtomicU32::new(1),
            _test_db: test_db,
        }
    }

    pub fn conn(&self) -> Conn {
        self.db.conn().expect("connection")
    }

    /// A fresh client address, so sign-ins of different tests steps do not share a rate limit.
    pub fn fresh_addr(&self) -> SocketAddr {
        let n = self.next_addr.fetch_add(1, Ordering::SeqCst);
        SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(10, 77, (n >> 8) as u8, n as u8)),
            40000,
        )
    }

    /// The user of a persona (made on first use, password [`TEST_PASSWORD`]).
    pub fn user(&self, persona: Persona) -> i64 {
        let mut users = self.users.lock().expect("users lock");
        if let Some(id) = users.get(&persona) {
            return *id;
        }
        let (role, department_id, region_id) = match persona {
            Persona::Admin => (Role::Admin, None, None),
            Persona::ProvinceReviewer => (Role::Reviewer, None, Some(self.province)),
            Persona::ReviewerA => (Role::Reviewer, None, Some(self.city_a)),
            Persona::ReviewerB => (Role::Reviewer, None, Some(self.city_b)),
            Persona::SubmitterA => (Role::Submitter, Some(self.dept_a), None),
            Persona::SubmitterB => (Role::Submitter, Some(self.dept_b), None),
        };
        let id = self.add_user(persona.username(), role, department_id, region_id);
        users.insert(persona, id);
        id
    }

    /// Adds a user with [`TEST_PASSWORD`] and returns its id.
    pub fn add_user(
        &self,
        username: &str,
        role: Role,
        department_id: Option<i64>,
        region_id: Option<i64>,
    ) -> i64 {
        let hash = users_db::hash_password(TEST_PASSWORD).expect("hash");
        let new = NewUser {
            username: username.to_string(),
            role,
            department_id,
            region_id,
        };
        let mut conn = self.conn();
        write_transaction(&mut conn, |c| {
            users_db::insert(c, &Actor::system(), &new, &hash, false)
        })
        .expect("add user")
        .id
    }

    /// Signs a persona in through `POST /api/v1/session`.
    pub fn sign_in(&self, persona: Persona) -> SignedIn {
        self.user(persona);
        self.sign_in_as(persona.username(), TEST_PASSWORD)
    }

    /// Signs in with a username and password, from a fresh address; panics when refused.
    pub fn sign_in_as(&self, username: &str, password: &str) -> SignedIn {
        let res = self
            .client
            .post("/api/v1/session")
            .remote(self.fresh_addr())
            .header(ContentType::JSON)
            .body(serde_json::json!({"username": username, "password": password}).to_string())
            .dispatch();
        assert_eq!(res.status().code, 200, "sign-in of {username} refused");
        let cookie = res
            .cookies()
            .get("nianjian_session")
            .map(|c| c.value().to_string())
            .expect("a session cookie");
        let body: serde_json::Value = res.into_json().expect("json");
        SignedIn {
            user_id: body["user"]["id"].as_i64().expect("user id"),
            username: username.to_string(),
            cookie,
            csrf: body["csrf_token"].as_str().expect("csrf").to_string(),
        }
    }

    /// An API token of a persona, made directly in the database; returns (id, secret).
    pub fn token(&self, persona: Persona) -> (i64, String) {
        let user = self.user(persona);
        let mut conn = self.conn();
        let issued = write_transaction(&mut conn, |c| {
            tokens::create(c, &Actor::system(), user, "test system")
        })
        .expect("token");
        (issued.token.id, issued.secret)
    }

    /// Everything the accounts can change, as text: compare before and after a refused request
    /// to prove nothing changed. (Token `last_used_at` is left out: it is bookkeeping of a
    /// successful authentication, not a change the request made.)
    pub fn snapshot(&self) -> String {
        use diesel::prelude::*;
        let mut c = self.conn();
        let users: Vec<(i64, String, String, String, bool, bool)> = users_t::table
            .select((
                users_t::id,
                users_t::username,
                users_t::password_hash,
                users_t::role,
                users_t::disabled,
                users_t::must_change_password,
            ))
            .order(users_t::id)
            .load(&mut c)
            .expect("users");
        let sessions: Vec<(i64, i64, String, Option<chrono::NaiveDateTime>)> = sessions::table
            .select((
                sessions::id,
                sessions::user_id,
                sessions::token_hash,
                sessions::revoked_at,
            ))
            .order(sessions::id)
            .load(&mut c)
            .expect("sessions");
        let tokens: Vec<(i64, i64, String, Option<chrono::NaiveDateTime>)> = api_tokens::table
            .select((
                api_tokens::id,
                api_tokens::user_id,
                api_tokens::name,
                api_tokens::revoked_at,
            ))
            .order(api_tokens::id)
            .load(&mut c)
            .expect("tokens");
        let audit: Vec<String> = audit_log::table
            .select(audit_log::hash)
            .order(audit_log::id)
            .load(&mut c)
            .expect("audit");
        let regions: i64 = regions_t::table
            .count()
            .get_result(&mut c)
            .expect("regions");
        let departments: i64 = departments_t::table
            .count()
            .get_result(&mut c)
            .expect("departments");
        let review = review_counts(&mut c);
        let admin = admin_detail(&mut c);
        format!(
            "users {users:?}\nsessions {sessions:?}\ntokens {tokens:?}\naudit {audit:?}\nregions {regions} departments {departments}\n{review}\n{admin}"
        )
    }
}

/// Attaches a signed-in browser's cookie (no CSRF header).
pub fn with_cookie<'c>(req: LocalRequest<'c>, who: &SignedIn) -> LocalRequest<'c> {
    req.cookie(Cookie::new("nianjian_session", who.cookie.clone()))
}

/// Attaches a signed-in browser's cookie and its CSRF header.
pub fn with_session<'c>(req: LocalRequest<'c>, who: &SignedIn) -> LocalRequest<'c> {
    with_cookie(req, who).header(Header::new("X-CSRF-Token", who.csrf.clone()))
}

/// Attaches an API token.
pub fn with_token<'c>(req: LocalRequest<'c>, secret: &str) -> LocalRequest<'c> {
    req.header(Header::new("Authorization", format!("Bearer {secret}")))
}

/// Counts and states of the review tables, for "nothing changed" assertions.
fn review_counts(c: &mut nianjian::db::DbConnection) -> String {
    use diesel::prelude::*;
    use nianjian::db::schema::{
        decisions, findings, items, legal_documents, publications, submissions,
    };
    let submissions: i64 = submissions::table
        .count()
        .get_result(c)
        .expect("submissions");
    let items: Vec<(i64, String, bool)> = items::table
        .select((items::id, items::state, items::withdrawn))
        .order(items::id)
        .load(c)
        .expect("items");
    let decisions: i64 = decisions::table.count().get_result(c).expect("decisions");
    let findings: i64 = findings::table.count().get_result(c).expect("findings");
    let documents: i64 = legal_documents::table
        .count()
        .get_result(c)
        .expect("documents");
    let publications: i64 = publications::table
        .count()
        .get_result(c)
        .expect("publications");
    format!(
        "submissions {submissions} items {items:?} decisions {decisions} findings {findings} documents {documents} publications {publications}"
    )
}

/// What the administration changes beyond the counts: every region, department (with contacts)
/// and round, and each user's department and region.
fn admin_detail(c: &mut nianjian::db::DbConnection) -> String {
    use diesel::prelude::*;
    use nianjian::db::schema::rounds;
    let regions: Vec<(i64, String, String, String, Option<i64>)> = regions_t::table
        .select((
            regions_t::id,
            regions_t::code,
            regions_t::name,
            regions_t::level,
            regions_t::parent_id,
        ))
        .order(regions_t::id)
        .load(c)
        .expect("regions");
    type DepartmentRow = (
        i64,
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let departments: Vec<DepartmentRow> = departments_t::table
        .select((
            departments_t::id,
            departments_t::region_id,
            departments_t::code,
            departments_t::name,
            departments_t::short_name,
            departments_t::contact_person,
            departments_t::contact_phone,
            departments_t::contact_email,
        ))
        .order(departments_t::id)
        .load(c)
        .expect("departments");
    type Time = Option<chrono::NaiveDateTime>;
    let rounds: Vec<(i64, i64, String, Time, Time, Time, Time)> = rounds::table
        .select((
            rounds::id,
            rounds::region_id,
            rounds::name,
            rounds::submission_deadline,
            rounds::consultation_starts_at,
            rounds::consultation_ends_at,
            rounds::publication_deadline,
        ))
        .order(rounds::id)
        .load(c)
        .expect("rounds");
    let attached: Vec<(i64, Option<i64>, Option<i64>)> = users_t::table
        .select((users_t::id, users_t::department_id, users_t::region_id))
        .order(users_t::id)
        .load(c)
        .expect("users");
    format!(
        "admin regions {regions:?} departments {departments:?} rounds {rounds:?} attached {attached:?}"
    )
}
