//! Bulk inserts on SQLite through prepared statements of 64 rows, prepared once per call.
//!
//! diesel 2.3 builds a multi-row `INSERT … VALUES (…), (…)` for every chunk of rows, SQLite
//! parses each one anew, and diesel's bind collector copies every value on the way: profiled on
//! a 10,000-row import (callgrind), SQL building, binding and parsing took 40% of the commit and
//! SQLite's own row and index writes 44% (BENCHMARKS.md, import). Here each table's statement is
//! prepared once and every row is bound straight from the Rust value.
//!
//! diesel does not hand out its `sqlite3*` handle (see also `backup`). Every SQLite connection
//! this process opens gets one application function, `nianjian_bulk()`, registered by an
//! auto-extension ([`register`]): run through diesel by [`with_handle`], the function hands back
//! its connection's handle (`sqlite3_context_db_handle`) through a thread-local, and the bulk
//! work then runs on that handle, inside whatever transaction diesel has open, while the
//! diesel connection stays mutably borrowed. The function is `SQLITE_DIRECTONLY` (no trigger or
//! view can call it) and answers nothing unless this thread asked for it just before.

use std::cell::Cell;
use std::ffi::{CStr, c_char, c_int};

use chrono::NaiveDateTime;
use diesel::RunQueryDsl;
use diesel::result::{DatabaseErrorKind, Error};
use libsqlite3_sys as ffi;

/// Registers `nianjian_bulk()` for every SQLite connection opened from now on (once per process).
pub fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `init` has the entry-point signature SQLite expects and stays valid for the
        // life of the process.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(init)) };
        if rc != ffi::SQLITE_OK {
            tracing::warn!(rc, "could not register the SQLite bulk-insert function");
        }
    });
}

unsafe extern "C" fn init(
    db: *mut ffi::sqlite3,
    _err: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: a connection being opened; the name is a NUL-terminated literal.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            c"nianjian_bulk".as_ptr(),
            0,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DIRECTONLY,
            std::ptr::null_mut(),
            Some(run_pending),
            None,
            None,
            None,
        )
    }
}

thread_local! {
    /// Set by [`with_handle`] just before it runs `SELECT nianjian_bulk()`, and filled by that
    /// function with its connection's handle.
    static ASKED: Cell<bool> = const { Cell::new(false) };
    static HANDLE: Cell<*mut ffi::sqlite3> = const { Cell::new(std::ptr::null_mut()) };
}

unsafe extern "C" fn run_pending(
    ctx: *mut ffi::sqlite3_context,
    _argc: c_int,
    _argv: *mut *mut ffi::sqlite3_value,
) {
    if !ASKED.with(Cell::take) {
        // SAFETY: a live context; SQLite copies the message (-1: up to its NUL).
        unsafe { ffi::sqlite3_result_error(ctx, c"nianjian_bulk: not asked".as_ptr(), -1) };
        return;
    }
    // SAFETY: a live context of this call's connection.
    HANDLE.with(|h| h.set(unsafe { ffi::sqlite3_context_db_handle(ctx) }));
    // SAFETY: a live context.
    unsafe { ffi::sqlite3_result_int(ctx, 1) };
}

/// Runs `f` with the raw handle of `conn`, in the connection's current transaction.
///
/// The handle is fetched by a statement that has finished before `f` runs: a write statement
/// stepped while another statement of its connection is still running gets a statement journal
/// of its own, which made every single-row INSERT copy the pages it touched (tried: 2.23 G →
/// 2.83 G instructions for a 10,000-row import).
pub fn with_handle<T>(
    conn: &mut diesel::SqliteConnection,
    f: impl FnOnce(Handle<'_>) -> Result<T, String>,
) -> Result<T, Error> {
    ASKED.with(|a| a.set(true));
    let ran = diesel::sql_query("SELECT nianjian_bulk()").execute(conn);
    ASKED.with(|a| a.set(false));
    let db = HANDLE.with(|h| h.replace(std::ptr::null_mut()));
    ran?;
    if db.is_null() {
        return Err(Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("nianjian_bulk() did not run: the connection lacks it".to_string()),
        ));
    }
    // `conn` stays borrowed for as long as the handle is used.
    f(Handle {
        db,
        _conn: std::marker::PhantomData,
    })
    .map_err(|message| Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message)))
}

/// The raw handle of a connection, for the duration of [`with_handle`]'s closure.
pub struct Handle<'c> {
    db: *mut ffi::sqlite3,
    _conn: std::marker::PhantomData<&'c mut ()>,
}

impl Handle<'_> {
    fn message(&self) -> String {
        // SAFETY: a live handle; the message is NUL-terminated and owned by it.
        unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.db)) }
            .to_string_lossy()
            .into_owned()
    }

    /// Inserts `rows` into their table and returns the rowid of each in order: one prepared
    /// statement of [`ROWS_PER_STEP`] rows, stepped once per full chunk, and one for the rest.
    ///
    /// Only inside a transaction, which the caller rolls back on any error: the statements are
    /// `INSERT OR FAIL`, so a violation stops the statement without undoing its earlier rows.
    /// That, with references checked at the commit (migration 2026-11-28-000100 makes those of
    /// the import's tables `DEFERRABLE INITIALLY DEFERRED`), spares SQLite a statement journal:
    /// a multi-row INSERT that could abort half-way first copies every page it touches so that
    /// the abort can undo it.
    pub fn insert<R: BulkRow>(&mut self, rows: &[R]) -> Result<Vec<i64>, String> {
        let mut ids = Vec::with_capacity(rows.len());
        if rows.is_empty() {
            return Ok(ids);
        }
        // SAFETY: a live handle.
        if unsafe { ffi::sqlite3_get_autocommit(self.db) } != 0 {
            return Err(format!("{}: a bulk insert outside a transaction", R::TABLE));
        }
        let full = Statement::prepare(self, &insert_sql::<R>(ROWS_PER_STEP.min(rows.len())))?;
        let mut rest = None;
        for chunk in rows.chunks(ROWS_PER_STEP) {
            let stmt = if chunk.len() == ROWS_PER_STEP || chunk.len() == rows.len() {
                &full
            } else {
                &*rest.insert(Statement::prepare(self, &insert_sql::<R>(chunk.len()))?)
            };
            let mut binder = Binder {
                stmt: stmt.0,
                next: 1,
                _rows: std::marker::PhantomData,
            };
            for row in chunk {
                row.bind(&mut binder);
            }
            debug_assert_eq!(binder.next as usize, chunk.len() * R::COLUMNS.len() + 1);
            // SAFETY: a prepared statement with every parameter bound to values that live
            // until the step returns (SQLITE_STATIC); reset leaves it ready for the next chunk.
            let rc = unsafe { ffi::sqlite3_step(stmt.0) };
            // SAFETY: as above.
            unsafe { ffi::sqlite3_reset(stmt.0) };
            if rc != ffi::SQLITE_DONE {
                return Err(format!("{}: {}", R::TABLE, self.message()));
            }
            // The tables are AUTOINCREMENT and this transaction is the only writer: the rows
            // of one statement take consecutive rowids, in the order of its VALUES.
            // SAFETY: a live handle.
            let (last, changed) = unsafe {
                (
                    ffi::sqlite3_last_insert_rowid(self.db),
                    ffi::sqlite3_changes64(self.db),
                )
            };
            if changed != chunk.len() as i64 {
                return Err(format!("{}: {changed} rows for {}", R::TABLE, chunk.len()));
            }
            ids.extend(last + 1 - changed..=last);
        }
        Ok(ids)
    }
}

/// Rows per INSERT. A statement of one row pays SQLite's per-statement work for every row
/// (callgrind on a 10,000-row import, when the CHECKs were still `IN (…)` lists: 2.83 G
/// instructions with one row per step; with the equalities of migration 2026-11-27-000900, a
/// 100,000-row commit takes 1.58 s with one row per step against 1.40 s with 64). 64 rows of
/// the widest table (30 columns) are 1,920 parameters, far below SQLite's 32,766.
const ROWS_PER_STEP: usize = 64;

fn insert_sql<R: BulkRow>(rows: usize) -> String {
    let one = format!("({})", vec!["?"; R::COLUMNS.len()].join(", "));
    format!(
        "INSERT OR FAIL INTO {} ({}) VALUES {}",
        R::TABLE,
        R::COLUMNS.join(", "),
        vec![one; rows].join(", ")
    )
}

/// A prepared statement, finalised on drop.
struct Statement(*mut ffi::sqlite3_stmt);

impl Statement {
    fn prepare(h: &Handle<'_>, sql: &str) -> Result<Statement, String> {
        let mut stmt = std::ptr::null_mut();
        let len = c_int::try_from(sql.len()).map_err(|_| "statement too long".to_string())?;
        // SAFETY: a live handle; the SQL is passed with its length (no NUL needed).
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                h.db,
                sql.as_ptr().cast(),
                len,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(h.message());
        }
        Ok(Statement(stmt))
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: finalize accepts null and every statement is finalised once.
        unsafe { ffi::sqlite3_finalize(self.0) };
    }
}

/// Binds the parameters of the rows of one step in order. Text is bound without a copy, so
/// every value must live until the step: `'r`, the rows' own lifetime.
pub struct Binder<'r> {
    stmt: *mut ffi::sqlite3_stmt,
    next: c_int,
    _rows: std::marker::PhantomData<&'r ()>,
}

impl<'r> Binder<'r> {
    pub fn bind<V: BindValue + ?Sized>(&mut self, value: &'r V) {
        value.bind_to(self);
    }

    /// The next parameter's index, moving past it.
    fn index(&mut self) -> c_int {
        self.next += 1;
        self.next - 1
    }

    fn int64(&mut self, v: i64) {
        let i = self.index();
        // SAFETY: a live statement (Binders are made only by `Handle::insert`).
        unsafe { ffi::sqlite3_bind_int64(self.stmt, i, v) };
    }

    fn double(&mut self, v: f64) {
        let i = self.index();
        // SAFETY: as above.
        unsafe { ffi::sqlite3_bind_double(self.stmt, i, v) };
    }

    fn null(&mut self) {
        let i = self.index();
        // SAFETY: as above.
        unsafe { ffi::sqlite3_bind_null(self.stmt, i) };
    }

    /// Text that lives for 'r, past the step that reads it: bound without a copy.
    fn text(&mut self, v: &'r str) {
        // SAFETY (of SQLITE_STATIC): every parameter is bound again before the next step.
        self.text_as(v, ffi::SQLITE_STATIC());
    }

    /// Text that may change before the step: SQLite copies it.
    fn text_copied(&mut self, v: &str) {
        self.text_as(v, ffi::SQLITE_TRANSIENT());
    }

    fn text_as(&mut self, v: &str, destructor: ffi::sqlite3_destructor_type) {
        let i = self.index();
        // SAFETY: a live statement and a valid UTF-8 buffer of the given length; the callers
        // choose SQLITE_STATIC only for text that outlives the step.
        unsafe {
            ffi::sqlite3_bind_text64(
                self.stmt,
                i,
                v.as_ptr().cast(),
                v.len() as u64,
                destructor,
                ffi::SQLITE_UTF8 as u8,
            )
        };
    }
}

/// A value bound as diesel would store it on SQLite (booleans 0/1, timestamps as
/// `YYYY-MM-DD HH:MM:SS[.f]` text). Bind errors can only be a wrong index or out of memory;
/// both surface as the step's error.
pub trait BindValue {
    fn bind_to<'r>(&'r self, b: &mut Binder<'r>);
}

impl BindValue for i64 {
    fn bind_to<'r>(&'r self, b: &mut Binder<'r>) {
        b.int64(*self);
    }
}

impl BindValue for f64 {
    fn bind_to<'r>(&'r self, b: &mut Binder<'r>) {
        b.double(*self);
    }
}

impl BindValue for bool {
    fn bind_to<'r>(&'r self, b: &mut Binder<'r>) {
        b.int64(i64::from(*self));
    }
}

impl BindValue for str {
    fn bind_to<'r>(&'r self, b: &mut Binder<'r>) {
        b.text(self);
    }
}

impl BindValue for String {
    fn bind_to<'r>(&'r self, b: &mut Binder<'r>) {
        b.text(self);
    }
}

impl BindValue for NaiveDateTime {
    fn bind_to<'r>(&'r self, b: &mut Binder<'r>) {
        // diesel's own encoding of a timestamp on SQLite. The rows of one import share their
        // timestamps, so the last one's text is kept (formatting it was 7% of a commit); it
        // may change before the step, so SQLite copies it.
        thread_local! {
            static LAST: std::cell::RefCell<(Option<NaiveDateTime>, String)> =
                const { std::cell::RefCell::new((None, String::new())) };
        }
        LAST.with_borrow_mut(|(at, text)| {
            if *at != Some(*self) {
                text.clear();
                use std::fmt::Write as _;
                let _ = write!(text, "{}", self.format("%F %T%.f"));
                *at = Some(*self);
            }
            b.text_copied(text);
        });
    }
}

impl<T: BindValue + ?Sized> BindValue for &T {
    fn bind_to<'r>(&'r self, b: &mut Binder<'r>) {
        (**self).bind_to(b);
    }
}

impl<T: BindValue> BindValue for Option<T> {
    fn bind_to<'r>(&'r self, b: &mut Binder<'r>) {
        match self {
            Some(v) => v.bind_to(b),
            None => b.null(),
        }
    }
}

/// A row of a table, as its columns in order.
pub trait BulkRow {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    fn bind<'r>(&'r self, b: &mut Binder<'r>);
}

/// `impl BulkRow` for an `Insertable` struct whose fields are named as its table's columns;
/// each column is checked against the diesel schema at compile time.
#[macro_export]
macro_rules! bulk_row {
    ($row:ty => $table:ident { $($column:ident),+ $(,)? }) => {
        impl $crate::db::sqlite_bulk::BulkRow for $row {
            const TABLE: &'static str = stringify!($table);
            const COLUMNS: &'static [&'static str] = &[$(stringify!($column)),+];
            fn bind<'r>(&'r self, b: &mut $crate::db::sqlite_bulk::Binder<'r>) {
                $(
                    let _: $crate::db::schema::$table::$column;
                    b.bind(&self.$column);
                )+
            }
        }
    };
}
