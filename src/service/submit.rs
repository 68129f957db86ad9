//! An upload from the web (API or page): which round and department it belongs to and whether
//! the caller may submit there; the parse itself runs in the sandbox, the commit in
//! `service::import`.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::regions;
use crate::db::schema::{departments, rounds};
use crate::db::scope::Scope;
use crate::domain::Lang;

/// Where an upload goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub round_id: i64,
    pub department_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// The round does not exist or is outside the caller's reach (404, so it does not leak).
    RoundNotFound,
    /// A reviewer must name the department.
    DepartmentRequired,
    /// No such department within reach.
    DepartmentNotFound(String),
    /// The department is not in the round's region.
    DepartmentNotInRound,
}

impl TargetError {
    pub fn code(&self) -> &'static str {
        match self {
            TargetError::RoundNotFound => "round_not_found",
            TargetError::DepartmentRequired => "department_required",
            TargetError::DepartmentNotFound(_) => "department_not_found",
            TargetError::DepartmentNotInRound => "department_not_in_round",
        }
    }
    pub fn message(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            TargetError::RoundNotFound => {
                ("未找到该清理批次".to_string(), "No such round".to_string())
            }
            TargetError::DepartmentRequired => (
                "审核人代部门上传时，请选择报送部门（department 字段填写部门代码）".to_string(),
                "Reviewers uploading for a department must give its code in the department field"
                    .to_string(),
            ),
            TargetError::DepartmentNotFound(code) => (
                format!("部门代码“{code}”不存在或不在您的管辖范围内"),
                format!("No department “{code}” within your reach"),
            ),
            TargetError::DepartmentNotInRound => (
                "该部门不属于本次清理批次的行政区划".to_string(),
                "The department is outside the round's region".to_string(),
            ),
        };
        lang.pick(&zh, &en).to_string()
    }
}

/// Resolves the round and department of an upload for a caller with `scope`. A submitter
/// always uploads for its own department (a `department` it names must be that one); a reviewer
/// names one within its reach.
pub fn resolve(
    conn: &mut DbConnection,
    scope: &Scope,
    round_id: i64,
    department_code: Option<&str>,
) -> Result<Result<Target, TargetError>, diesel::result::Error> {
    let Some(round_region) = rounds::table
        .find(round_id)
        .select(rounds::region_id)
        .first::<i64>(conn)
        .optional()?
    else {
        return Ok(Err(TargetError::RoundNotFound));
    };
    let code = department_code.map(str::trim).filter(|c| !c.is_empty());
    let department: Option<(i64, i64, String)> = match (scope, code) {
        (Scope::Department(own), None) => departments::table
            .find(*own)
            .select((departments::id, departments::region_id, departments::code))
            .first(conn)
            .optional()?,
        (_, Some(code)) => departments::table
            .filter(departments::code.eq(code))
            .select((departments::id, departments::region_id, departments::code))
            .first(conn)
            .optional()?,
        (_, None) => return Ok(Err(TargetError::DepartmentRequired)),
    };
    let Some((department_id, department_region, code)) = department else {
        return Ok(Err(TargetError::DepartmentNotFound(
            code.unwrap_or("").to_string(),
        )));
    };
    if !scope.allows_department(department_id, department_region) {
        return Ok(Err(TargetError::DepartmentNotFound(code)));
    }
    // The round must be visible to the caller too: a reviewer's own region tree, or the tree
    // that holds a submitter's department.
    let round_tree = regions::subtree_ids(conn, round_region)?;
    if !round_tree.contains(&department_region) {
        return Ok(Err(TargetError::DepartmentNotInRound));
    }
    if let Scope::Regions(ids) = scope
        && !ids.contains(&round_region)
        && !round_tree.iter().any(|r| ids.contains(r))
    {
        return Ok(Err(TargetError::RoundNotFound));
    }
    Ok(Ok(Target {
        round_id,
        department_id,
    }))
}

/// Whether the caller may see the round at all (its region or one below it is in reach).
pub fn round_visible(conn: &mut DbConnection, scope: &Scope, round_id: i64) -> QueryResult<bool> {
    let Some(region) = rounds::table
        .find(round_id)
        .select(rounds::region_id)
        .first::<i64>(conn)
        .optional()?
    else {
        return Ok(false);
    };
    Ok(match scope {
        Scope::All => true,
        Scope::Regions(ids) => regions::subtree_ids(conn, region)?
            .iter()
            .any(|r| ids.contains(r)),
        Scope::Department(dep) => {
            let dep_region: Option<i64> = departments::table
                .find(*dep)
                .select(departments::region_id)
                .first(conn)
                .optional()?;
            dep_region
                .is_some_and(|d| regions::subtree_ids(conn, region).is_ok_and(|t| t.contains(&d)))
        }
    })
}
