//! Submissions: one uploaded workbook of one department in one round.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{submission_files, submissions};

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = submissions, treat_none_as_default_value = false)]
pub struct NewSubmission {
    pub round_id: i64,
    pub department_id: i64,
    pub file_name: String,
    pub format: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub report: String,
    pub item_count: i64,
    pub error_count: i64,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: NaiveDateTime,
    pub superseded_by: Option<i64>,
}

/// A submission without its workbook (which can be 20 MiB).
#[derive(Queryable, Selectable, Debug, Clone, serde::Serialize)]
#[diesel(table_name = submissions)]
pub struct SubmissionRow {
    pub id: i64,
    pub round_id: i64,
    pub department_id: i64,
    pub file_name: String,
    pub format: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub item_count: i64,
    pub error_count: i64,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: NaiveDateTime,
    pub superseded_by: Option<i64>,
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<SubmissionRow>> {
    submissions::table
        .find(id)
        .select(SubmissionRow::as_select())
        .first(conn)
        .optional()
}

/// The department's submission in force for the round: the newest one not superseded.
pub fn current(
    conn: &mut DbConnection,
    round_id: i64,
    department_id: i64,
) -> QueryResult<Option<SubmissionRow>> {
    submissions::table
        .filter(submissions::round_id.eq(round_id))
        .filter(submissions::department_id.eq(department_id))
        .filter(submissions::superseded_by.is_null())
        .order(submissions::id.desc())
        .select(SubmissionRow::as_select())
        .first(conn)
        .optional()
}

/// Stores a submission and its workbook's bytes (in `submission_files`, written once: the
/// submission's own row is updated at the end of an import).
pub fn insert(conn: &mut DbConnection, row: &NewSubmission, content: &[u8]) -> QueryResult<i64> {
    let id = diesel::insert_into(submissions::table)
        .values(row)
        .returning(submissions::id)
        .get_result(conn)?;
    diesel::insert_into(submission_files::table)
        .values((
            submission_files::submission_id.eq(id),
            submission_files::content.eq(content),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn mark_superseded(conn: &mut DbConnection, old: i64, by: i64) -> QueryResult<()> {
    diesel::update(submissions::table.find(old))
        .set(submissions::superseded_by.eq(Some(by)))
        .execute(conn)
        .map(drop)
}

/// The workbook's bytes as uploaded, for the annotated workbook.
pub fn workbook(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Vec<u8>>> {
    submission_files::table
        .find(id)
        .select(submission_files::content)
        .first(conn)
        .optional()
}

/// The submissions a scope reaches, newest first, with their department's name: a submitter's
/// own department's, a reviewer's region's (at most `limit`).
pub fn list_visible(
    conn: &mut DbConnection,
    scope: &crate::db::scope::Scope,
    limit: i64,
) -> QueryResult<Vec<(SubmissionRow, String)>> {
    use crate::db::schema::departments;
    use crate::db::scope::Ids;
    let mut q = submissions::table
        .inner_join(departments::table)
        .select((SubmissionRow::as_select(), departments::name))
        .order(submissions::id.desc())
        .limit(limit)
        .into_boxed();
    if let Ids::Only(ids) = scope.department_ids(conn)? {
        q = q.filter(submissions::department_id.eq_any(ids));
    }
    q.load(conn)
}
