//! Finding the round and department an import belongs to, from what the command line or the
//! form gives, with messages that say what to do when it is ambiguous.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{departments, rounds};
use crate::domain::text;
use crate::sheets::ImportReport;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("没有清理批次：请先由管理员创建批次 (no round exists yet: an admin must create one)")]
    NoRound,
    #[error("清理批次 {0} 不存在 (no round {0})")]
    UnknownRound(i64),
    #[error("部门代码“{0}”不存在 (no department with code {0})")]
    UnknownDepartment(String),
    #[error(
        "无法从文件判断报送部门，请用 --department 指定部门代码 (cannot tell the department from the file: give --department CODE){0}"
    )]
    DepartmentUnclear(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// The given round, or the newest one when none is given.
pub fn resolve_round(conn: &mut DbConnection, round: Option<i64>) -> Result<i64, RegistryError> {
    match round {
        Some(id) => rounds::table
            .find(id)
            .select(rounds::id)
            .first(conn)
            .optional()?
            .ok_or(RegistryError::UnknownRound(id)),
        None => rounds::table
            .order(rounds::id.desc())
            .select(rounds::id)
            .first(conn)
            .optional()?
            .ok_or(RegistryError::NoRound),
    }
}

/// The department of a code.
pub fn resolve_department_code(conn: &mut DbConnection, code: &str) -> Result<i64, RegistryError> {
    departments::table
        .filter(departments::code.eq(code))
        .select(departments::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| RegistryError::UnknownDepartment(code.to_string()))
}

/// The department by code, or the one every item of the file names in 实施部门 (matched by
/// full or short name, width and traditional characters ignored).
pub fn resolve_department(
    conn: &mut DbConnection,
    code: Option<&str>,
    report: &ImportReport,
) -> Result<i64, RegistryError> {
    if let Some(code) = code {
        return resolve_department_code(conn, code);
    }
    let mut named: Vec<String> = report
        .drafts()
        .map(|d| text::normalise_name(&d.department))
        .collect();
    named.sort();
    named.dedup();
    let [only] = named.as_slice() else {
        let listed = if named.len() > 1 {
            format!(
                "；文件中出现了 {} 个不同的部门 ({} departments named in the file)",
                named.len(),
                named.len()
            )
        } else {
            String::new()
        };
        return Err(RegistryError::DepartmentUnclear(listed));
    };
    let all: Vec<(i64, String, Option<String>)> = departments::table
        .select((departments::id, departments::name, departments::short_name))
        .load(conn)?;
    let hits: Vec<i64> = all
        .into_iter()
        .filter(|(_, name, short)| {
            text::normalise_name(name) == *only
                || short
                    .as_deref()
                    .is_some_and(|s| text::normalise_name(s) == *only)
        })
        .map(|(id, ..)| id)
        .collect();
    match hits.as_slice() {
        [id] => Ok(*id),
        _ => Err(RegistryError::DepartmentUnclear(String::new())),
    }
}
