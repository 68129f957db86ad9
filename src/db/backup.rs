//! Backup and restore of the SQLite file.
//!
//! diesel 2.3's `SqliteConnection` does not hand out its `sqlite3*` handle, so the backup opens
//! two raw connections of its own through `libsqlite3-sys` (the same bundled SQLite diesel links)
//! and runs SQLite's online backup API over them. One `sqlite3_backup_step(-1)` copies every page
//! inside one read transaction: in WAL mode writers carry on meanwhile and the copy is the
//! database as of one commit, never a torn state. The copy is written next to its destination,
//! checked (integrity, migrations table) and only then renamed into place.
//!
//! A restore refuses while any other connection has the database open (a running server keeps
//! one open at all times), so a server never finds its file swapped under it.

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use libsqlite3_sys as ffi;

/// What went wrong, each in one line a user can act on (Chinese first, English in brackets).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("数据库文件不存在 (no database file): {0}")]
    NoDatabase(PathBuf),
    #[error("“{0}”不是 SQLite 数据库文件，未做任何改动 (not an SQLite database; nothing changed)")]
    NotSqlite(PathBuf),
    #[error(
        "“{path}”已损坏或不完整（完整性检查未通过：{detail}），未做任何改动 (damaged or truncated: integrity check failed; nothing changed)"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "“{0}”不是年检清理系统的数据库（缺少迁移记录表），未做任何改动 (not a nianjian database: no migrations table; nothing changed)"
    )]
    NotNianjian(PathBuf),
    #[error(
        "“{path}”来自更新版本的 nianjian（数据库版本 {version} 本程序不认识），请用新版本恢复；未做任何改动 (made by a newer nianjian: unknown schema version {version}; nothing changed)"
    )]
    Newer { path: PathBuf, version: String },
    #[error(
        "数据库正在被使用（可能有 nianjian serve 正在运行）：请先停止服务再恢复，恢复后重新启动；未做任何改动 (the database is in use, probably by a running server: stop it, restore, then start it again; nothing changed)"
    )]
    Busy,
    #[error("SQLite 备份失败 (SQLite backup failed): {0}")]
    Sqlite(String),
    #[error("文件操作失败 (file operation failed) {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |cause| BackupError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

/// What a checked database holds, printed after a backup or a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub schema_version: String,
    pub submissions: i64,
    pub items: i64,
    pub audit_entries: i64,
}

/// A raw connection, closed on drop.
struct Raw(*mut ffi::sqlite3);

impl Raw {
    fn open(path: &Path, flags: i32) -> Result<Raw, BackupError> {
        let c_path = CString::new(path.to_string_lossy().as_bytes())
            .map_err(|_| BackupError::Sqlite(format!("bad path {}", path.display())))?;
        let mut handle = std::ptr::null_mut();
        // SAFETY: a valid C string and out-pointer; the handle is closed by Drop even on error.
        let rc =
            unsafe { ffi::sqlite3_open_v2(c_path.as_ptr(), &mut handle, flags, std::ptr::null()) };
        let raw = Raw(handle);
        if rc != ffi::SQLITE_OK {
            return Err(BackupError::Sqlite(raw.message()));
        }
        // SAFETY: an open handle.
        unsafe { ffi::sqlite3_busy_timeout(raw.0, 15_000) };
        Ok(raw)
    }

    fn message(&self) -> String {
        if self.0.is_null() {
            return "out of memory".into();
        }
        // SAFETY: sqlite3_errmsg returns a valid NUL-terminated string owned by the handle.
        unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.0)) }
            .to_string_lossy()
            .into_owned()
    }

    fn exec(&self, sql: &str) -> Result<(), BackupError> {
        let c_sql = CString::new(sql).map_err(|_| BackupError::Sqlite("bad SQL".into()))?;
        // SAFETY: an open handle and a valid statement; no callback.
        let rc = unsafe {
            ffi::sqlite3_exec(
                self.0,
                c_sql.as_ptr(),
                None,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(self.error(rc))
        }
    }

    fn error(&self, rc: i32) -> BackupError {
        if rc & 0xff == ffi::SQLITE_BUSY || rc & 0xff == ffi::SQLITE_LOCKED {
            BackupError::Busy
        } else {
            BackupError::Sqlite(self.message())
        }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        // SAFETY: close accepts null; no statement is left open and every backup object is
        // finished before the connections it uses are dropped.
        unsafe { ffi::sqlite3_close(self.0) };
    }
}

/// Copies `src` into the new file `dest` with the online backup API, then turns the copy into a
/// self-contained rollback-journal file (no -wal beside it).
fn online_copy(src: &Path, dest: &Path) -> Result<(), BackupError> {
    let source = Raw::open(src, ffi::SQLITE_OPEN_READWRITE)?;
    let target = Raw::open(dest, ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE)?;
    let main = c"main";
    // SAFETY: both handles are open and outlive the backup object, which is finished below.
    let backup =
        unsafe { ffi::sqlite3_backup_init(target.0, main.as_ptr(), source.0, main.as_ptr()) };
    if backup.is_null() {
        return Err(BackupError::Sqlite(target.message()));
    }
    let mut waited = 0;
    let step = loop {
        // -1: every page in one step, so in one read transaction of the source.
        // SAFETY: a live backup object.
        let rc = unsafe { ffi::sqlite3_backup_step(backup, -1) };
        match rc {
            ffi::SQLITE_DONE => break ffi::SQLITE_OK,
            ffi::SQLITE_OK => continue,
            ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED if waited < 300 => {
                waited += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => break other,
        }
    };
    // SAFETY: finishing the backup object exactly once.
    let finish = unsafe { ffi::sqlite3_backup_finish(backup) };
    if step != ffi::SQLITE_OK {
        return Err(source.error(step));
    }
    if finish != ffi::SQLITE_OK {
        return Err(target.error(finish));
    }
    target.exec("PRAGMA journal_mode = DELETE")?;
    Ok(())
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn sqlite_error(path: &Path, e: impl std::fmt::Display) -> BackupError {
    let text = e.to_string();
    if text.contains("not a database") {
        BackupError::NotSqlite(path.to_path_buf())
    } else if text.contains("malformed") || text.contains("corrupt") {
        BackupError::Damaged {
            path: path.to_path_buf(),
            detail: text,
        }
    } else {
        BackupError::Sqlite(text)
    }
}

/// A path as the path part of an SQLite `file:` URI.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Checks that `path` is an intact nianjian database this binary can open, and says what it
/// holds. Reads only.
pub fn check(path: &Path) -> Result<Contents, BackupError> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    if file.read_exact(&mut header).is_err() || &header != b"SQLite format 3\0" {
        return Err(BackupError::NotSqlite(path.to_path_buf()));
    }
    drop(file);
    let mut conn = SqliteConnection::establish(&format!("file:{}?mode=ro", uri_path(path)))
        .map_err(|e| sqlite_error(path, e))?;
    let verdict: Vec<TextRow> =
        diesel::sql_query("SELECT integrity_check AS value FROM pragma_integrity_check()")
            .load(&mut conn)
            .map_err(|e| sqlite_error(path, e))?;
    if verdict.len() != 1 || verdict[0].value != "ok" {
        return Err(BackupError::Damaged {
            path: path.to_path_buf(),
            detail: verdict
                .iter()
                .take(3)
                .map(|r| r.value.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    let has_migrations: Vec<CountRow> = diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations'",
    )
    .load(&mut conn)
    .map_err(|e| sqlite_error(path, e))?;
    if has_migrations.first().is_none_or(|r| r.n == 0) {
        return Err(BackupError::NotNianjian(path.to_path_buf()));
    }
    let versions: Vec<TextRow> = diesel::sql_query(
        "SELECT version AS value FROM __diesel_schema_migrations ORDER BY version",
    )
    .load(&mut conn)
    .map_err(|e| sqlite_error(path, e))?;
    let known = super::sqlite_migration_versions();
    if let Some(unknown) = versions.iter().find(|v| !known.contains(&v.value)) {
        return Err(BackupError::Newer {
            path: path.to_path_buf(),
            version: unknown.value.clone(),
        });
    }
    let count = |conn: &mut SqliteConnection, table: &str| -> Result<i64, BackupError> {
        let rows: Vec<CountRow> = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .load(conn)
            .map_err(|_| BackupError::NotNianjian(path.to_path_buf()))?;
        Ok(rows.first().map_or(0, |r| r.n))
    };
    Ok(Contents {
        schema_version: versions.last().map(|v| v.value.clone()).unwrap_or_default(),
        submissions: count(&mut conn, "submissions")?,
        items: count(&mut conn, "items")?,
        audit_entries: count(&mut conn, "audit_log")?,
    })
}

/// A file name beside `path` for work in progress: same folder, so the rename is atomic.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "nianjian.db".into());
    path.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

fn sync_file(path: &Path) -> Result<(), BackupError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(path))
}

fn sync_folder(path: &Path) {
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        // Best effort: some filesystems refuse to open a folder for syncing.
        if let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
}

fn remove_quietly(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Writes a checked copy of the live database `src` to `output` (replacing it only once the
/// copy is complete and checked).
pub fn backup(src: &Path, output: &Path) -> Result<Contents, BackupError> {
    if !src.is_file() {
        return Err(BackupError::NoDatabase(src.to_path_buf()));
    }
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let tmp = sibling(output, "partial");
    remove_quietly(&tmp);
    let result = online_copy(src, &tmp).and_then(|()| {
        let contents = check(&tmp)?;
        sync_file(&tmp)?;
        std::fs::rename(&tmp, output).map_err(io(output))?;
        sync_folder(output);
        Ok(contents)
    });
    if result.is_err() {
        remove_quietly(&tmp);
    }
    result
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    pub contents: Contents,
    /// The database that was replaced, kept beside it (none when there was none).
    pub kept: Option<PathBuf>,
}

/// Replaces the database at `live` with the backup `file`: the backup is copied beside the
/// database and checked first; the current database is kept as `<name>.before-restore-<UTC
/// time>`; the swap is one rename. Refuses (changing nothing) when `file` is not an intact
/// nianjian database of this version or older, or when anything else has `live` open.
pub fn restore(file: &Path, live: &Path) -> Result<Restored, BackupError> {
    if !file.is_file() {
        return Err(BackupError::Io {
            path: file.to_path_buf(),
            cause: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "备份文件不存在 (no such file)",
            ),
        });
    }
    // Checked on the user's file first (read only), so a bad file costs no copy.
    check(file)?;
    if let Some(parent) = live.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let tmp = sibling(live, "restoring");
    remove_quietly(&tmp);
    let result = (|| -> Result<Restored, BackupError> {
        std::fs::copy(file, &tmp).map_err(io(&tmp))?;
        // The copy is what goes live: check it again, it may differ from what was read.
        let contents = check(&tmp)?;
        sync_file(&tmp)?;
        let kept = if live.is_file() {
            // Exclusive locking mode: the lock is taken by BEGIN EXCLUSIVE and kept until this
            // connection closes, which fails at once if any other connection has the file open.
            let guard = Raw::open(live, ffi::SQLITE_OPEN_READWRITE)?;
            // SAFETY: an open handle.
            unsafe { ffi::sqlite3_busy_timeout(guard.0, 0) };
            guard.exec("PRAGMA locking_mode = EXCLUSIVE")?;
            guard.exec("BEGIN EXCLUSIVE; COMMIT;")?;
            guard.exec("PRAGMA wal_checkpoint(TRUNCATE)")?;
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let name = live
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "nianjian.db".into());
            let kept = live.with_file_name(format!("{name}.before-restore-{stamp}"));
            // Everything is in the main file now (checkpointed, nobody else connected).
            std::fs::copy(live, &kept).map_err(io(&kept))?;
            sync_file(&kept)?;
            // A -wal left beside the new file would be replayed onto it: there must be none
            // with content. The guard's own (empty) one goes when it closes.
            let mut wal = live.as_os_str().to_owned();
            wal.push("-wal");
            let wal = PathBuf::from(wal);
            if wal.metadata().is_ok_and(|m| m.len() > 0) {
                let _ = std::fs::remove_file(&kept);
                return Err(BackupError::Busy);
            }
            std::fs::rename(&tmp, live).map_err(io(live))?;
            sync_folder(live);
            drop(guard);
            let mut shm = live.as_os_str().to_owned();
            shm.push("-shm");
            let _ = std::fs::remove_file(PathBuf::from(shm));
            Some(kept)
        } else {
            std::fs::rename(&tmp, live).map_err(io(live))?;
            sync_folder(live);
            None
        };
        Ok(Restored { contents, kept })
    })();
    if result.is_err() {
        remove_quietly(&tmp);
    }
    result
}
