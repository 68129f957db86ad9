//! Storage: one schema, one connection enum over SQLite and PostgreSQL, embedded migrations,
//! a pool that async handlers use through `spawn_blocking`.
//!
//! SQLite is the default (a file, no setup); PostgreSQL is chosen when the URL says so. Every
//! query is written once against [`DbConnection`]; the few statements that differ per backend
//! live in [`backend`].

pub mod audit;
pub mod backend;
pub mod backup;
pub mod items;
pub mod schema;
pub mod sqlite_bulk;
pub mod submissions;

// Accounts: users, sessions, tokens, and the scope every department-owned query takes.
pub mod departments;
pub mod regions;
pub mod scope;
pub mod sessions;
pub mod tokens;
pub mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Both backends behind one connection type (diesel `MultiConnection`).
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The default database when neither `DATABASE_URL` nor configuration names one.
pub const DEFAULT_SQLITE_PATH: &str = "data/nianjian.db";

/// Pragmas applied on every acquire: official records deserve `synchronous=FULL`.
/// `cache_size = -16384`: a 16 MiB page cache per pooled connection (the default is 2 MiB); an
/// import raises it for its transaction (`backend::with_bulk_write_settings`).
/// `page_size` takes effect only on a new, empty file (it comes before WAL for that reason) and
/// is a no-op on any other: 16 KiB pages instead of SQLite's 4 KiB halve the B-tree splits and
/// page writes of a 100,000-row import (commit 1.72 s → 1.45 s; 32 and 64 KiB were no faster,
/// and bigger pages make every point read dearer). Existing files keep the size they have.
const SQLITE_PRAGMAS: &str = "PRAGMA page_size = 16384; PRAGMA foreign_keys = ON; \
     PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA cache_size = -16384;";

/// Where the data lives, parsed from a URL. Anything unrecognised is refused, never guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// Accepts `sqlite://PATH`, `sqlite:PATH`, `postgres://…` and `postgresql://…`.
    pub fn parse(url: &str) -> Result<DatabaseUrl, DbError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"));
        match path {
            Some(p) if !p.is_empty() && !p.contains('?') => {
                Ok(DatabaseUrl::Sqlite(PathBuf::from(p)))
            }
            _ => Err(DbError::BadUrl(redact(url))),
        }
    }

    /// The default SQLite file, relative to the working directory.
    pub fn default_sqlite() -> DatabaseUrl {
        DatabaseUrl::Sqlite(PathBuf::from(DEFAULT_SQLITE_PATH))
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, DatabaseUrl::Sqlite(_))
    }

    /// A form safe to print: passwords masked.
    pub fn display(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => redact(u),
        }
    }
}

/// Masks the password of a URL so it can go into logs and error messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.chars().take(80).collect();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

/// Why the database could not be used. Each says what is wrong and how to fix it, in one line.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "无法识别的数据库地址 (unrecognised DATABASE_URL) '{0}': 请使用 sqlite://路径 或 postgres://用户@主机/库名 (use sqlite://PATH or postgres://USER@HOST/DB)"
    )]
    BadUrl(String),
    #[error(
        "数据目录不可写 (data folder not writable) '{path}': {cause}. 请检查目录权限，或用 DATABASE_URL=sqlite://其他路径 指定位置 (fix its permissions or point DATABASE_URL elsewhere)"
    )]
    DataFolder {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "无法连接数据库 (cannot connect to the database) {url}: {reason}. 请确认数据库服务已启动、地址和账号正确 (check that the server runs and the URL is right)"
    )]
    Connect { url: String, reason: String },
    #[error("数据库迁移失败 (migration failed) on {url}: {reason}")]
    Migrate { url: String, reason: String },
    #[error("数据库连接池不可用 (database pool unavailable): {0}")]
    Pool(String),
    #[error("数据库错误 (database error): {0}")]
    Query(#[from] diesel::result::Error),
}

/// Opens raw connections for r2d2, choosing the variant from the parsed URL.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    fn establish(url: &DatabaseUrl) -> Result<DbConnection, ConnectionError> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                sqlite_bulk::register();
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(u) => {
                // An unreachable host must fail at start-up, not hang it.
                let u = if u.contains("connect_timeout") {
                    u.clone()
                } else {
                    format!(
                        "{u}{}connect_timeout=10",
                        if u.contains('?') { '&' } else { '?' }
                    )
                };
                let mut conn = diesel::PgConnection::establish(&u)?;
                // random_page_cost for solid-state storage (PostgreSQL's default of 4 assumes
                // disks that seek): with 4 the planner counted a round's 100,000 items with a
                // sequential scan of the table (100 ms) instead of an index-only scan of the
                // list index (40 ms), whose rows are wide since they hold the identity key.
                conn.batch_execute("SET TIME ZONE 'UTC'; SET random_page_cost = 1.1")
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Postgres(conn))
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        Self::establish(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        matches!(
            <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
                .transaction_depth(),
            Err(_) | Ok(Some(_))
        )
    }
}

/// Re-applies the SQLite pragmas on every acquire: a connection may have been handed out by an
/// older pool or altered by a test, and pragmas are per connection.
#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<DbConnection, r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000;")
                .map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

pub type Conn = PooledConnection<ConnectionManager>;

/// The pool, held as Rocket state and used by the command line alike.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    url: DatabaseUrl,
    /// Imports of this process waiting for their turn, see [`Db::run_import`].
    imports: std::sync::Arc<rocket::tokio::sync::Semaphore>,
}

/// Imports one process stores at the same time. Imports into one round are serialised by the
/// database anyway (SQLite has one writer; PostgreSQL locks the round, `backend::
/// lock_round_imports`), so more would only hold pooled connections while they wait.
const CONCURRENT_IMPORTS: usize = 2;

impl Db {
    /// Creates the data folder if needed, applies the migrations and builds the pool.
    pub fn open(url: &DatabaseUrl) -> Result<Db, DbError> {
        if let DatabaseUrl::Sqlite(path) = url {
            ensure_data_folder(path)?;
        }
        let mut conn = ConnectionManager::establish(url).map_err(|e| DbError::Connect {
            url: url.display(),
            reason: one_line(&e.to_string()),
        })?;
        run_migrations(&mut conn, url)?;
        drop(conn);
        let max_size = if url.is_sqlite() { 8 } else { 16 };
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1))
            // A PostgreSQL connection can die with its server and is tested before each use;
            // a SQLite one is a file handle in this process and cannot (`SELECT 1` on every
            // checkout was one statement more for each public page).
            .test_on_check_out(!url.is_sqlite())
            .connection_timeout(Duration::from_secs(20))
            .connection_customizer(Box::new(Pragmas))
            .build(ConnectionManager { url: url.clone() })
            .map_err(|e| DbError::Pool(one_line(&e.to_string())))?;
        let imports = if url.is_sqlite() {
            1
        } else {
            CONCURRENT_IMPORTS
        };
        Ok(Db {
            pool,
            url: url.clone(),
            imports: std::sync::Arc::new(rocket::tokio::sync::Semaphore::new(imports)),
        })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// A connection for blocking code (the command line, tests, inside `run`).
    pub fn conn(&self) -> Result<Conn, DbError> {
        self.pool
            .get()
            .map_err(|e| DbError::Pool(one_line(&e.to_string())))
    }

    /// Runs blocking database work off the async runtime (STYLE.md lesson 5).
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let job = move || {
            let mut conn = pool
                .get()
                .map_err(|e| E::from(DbError::Pool(one_line(&e.to_string()))))?;
            f(&mut conn)
        };
        match rocket::tokio::task::spawn_blocking(job).await {
            Ok(result) => result,
            Err(e) => match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_) => Err(E::from(DbError::Pool("database task cancelled".into()))),
            },
        }
    }

    /// Runs an import's commit like [`Db::run`], after waiting (asynchronously, holding neither
    /// a thread nor a pooled connection) for its turn among this process's imports. Twenty
    /// uploads at once would otherwise take every pooled connection to wait on the database's
    /// write lock — starving the readers, and on SQLite running into `busy_timeout` (a 500)
    /// behind a few big imports.
    pub async fn run_import<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let turn = self
            .imports
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| E::from(DbError::Pool("import queue closed".into())))?;
        let out = self.run(f).await;
        // The answer goes out now; the import's write-ahead log is copied into the database
        // file behind it (`backend::with_bulk_write_settings`), still in this import's turn.
        let db = self.clone();
        rocket::tokio::spawn(async move {
            let _turn = turn;
            let _ = db
                .run(|c| {
                    backend::checkpoint(c);
                    Ok::<(), DbError>(())
                })
                .await;
        });
        out
    }

    /// Whether the database answers (for `/healthz`).
    pub fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.conn()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Creates the SQLite file's folder and proves it writable, so a bad folder fails at start-up
/// with a clear line rather than at the first write.
fn ensure_data_folder(path: &Path) -> Result<(), DbError> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let fail = |cause| DbError::DataFolder {
        path: folder.clone(),
        cause,
    };
    std::fs::create_dir_all(&folder).map_err(fail)?;
    let probe = folder.join(format!(".nianjian-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

/// The schema versions this binary knows (SQLite), as `__diesel_schema_migrations` stores them.
pub fn sqlite_migration_versions() -> Vec<String> {
    use diesel::migration::MigrationSource;
    <EmbeddedMigrations as MigrationSource<diesel::sqlite::Sqlite>>::migrations(&SQLITE_MIGRATIONS)
        .map(|all| all.iter().map(|m| m.name().version().to_string()).collect())
        .unwrap_or_default()
}

fn run_migrations(conn: &mut DbConnection, url: &DatabaseUrl) -> Result<(), DbError> {
    let fail = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migrate {
        url: url.display(),
        reason: one_line(&e.to_string()),
    };
    match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(drop)
            .map_err(fail),
        DbConnection::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(drop)
            .map_err(fail),
    }
}

/// A write transaction. On SQLite it begins IMMEDIATE, taking the write lock up front so two
/// writers never deadlock on a lock upgrade; on PostgreSQL it is an ordinary transaction.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// The current time as stored: UTC, cut to microseconds (what both backends keep).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Empties a PostgreSQL database (every table of the public schema) so the migrations can build
/// it afresh: what `nianjian demo --force` does. SQLite files are moved aside instead.
pub fn reset(url: &DatabaseUrl) -> Result<(), DbError> {
    if let DatabaseUrl::Postgres(_) = url {
        let mut conn = ConnectionManager::establish(url).map_err(|e| DbError::Connect {
            url: url.display(),
            reason: one_line(&e.to_string()),
        })?;
        conn.batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")?;
    }
    Ok(())
}
