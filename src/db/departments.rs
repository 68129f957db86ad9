//! Departments: the scoped finders the accounts need. Their administration comes with the admin
//! issue.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Actor, Change};
use super::schema::departments;
use super::scope::{Ids, Scope};
use super::{DbConnection, now};

#[derive(Queryable, Selectable, Debug, Clone, PartialEq, Eq, Serialize)]
#[diesel(table_name = departments)]
pub struct Department {
    pub id: i64,
    pub region_id: i64,
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A department to add.
#[derive(Debug, Clone)]
pub struct NewDepartment<'a> {
    pub region_id: i64,
    pub code: &'a str,
    pub name: &'a str,
    pub short_name: Option<&'a str>,
}

/// The department with this id, if it lies in the scope (out of scope reads as absent).
pub fn find(conn: &mut DbConnection, scope: &Scope, id: i64) -> QueryResult<Option<Department>> {
    let found = departments::table
        .find(id)
        .select(Department::as_select())
        .first(conn)
        .optional()?;
    Ok(found.filter(|d| scope.allows_department(d.id, d.region_id)))
}

/// The department with this code, if it lies in the scope.
pub fn find_by_code(
    conn: &mut DbConnection,
    scope: &Scope,
    code: &str,
) -> QueryResult<Option<Department>> {
    let found = departments::table
        .filter(departments::code.eq(code.trim()))
        .select(Department::as_select())
        .first(conn)
        .optional()?;
    Ok(found.filter(|d| scope.allows_department(d.id, d.region_id)))
}

/// Every department in the scope, by code.
pub fn list(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<Department>> {
    let mut q = departments::table
        .select(Department::as_select())
        .order(departments::code.asc())
        .into_boxed();
    if let Ids::Only(ids) = scope.department_ids(conn)? {
        q = q.filter(departments::id.eq_any(ids));
    }
    q.load(conn)
}

/// Adds a department and records it in the audit log. Call inside a write transaction.
pub fn insert(
    conn: &mut DbConnection,
    actor: &Actor,
    new: &NewDepartment<'_>,
) -> QueryResult<Department> {
    let department = diesel::insert_into(departments::table)
        .values((
            departments::region_id.eq(new.region_id),
            departments::code.eq(new.code.trim()),
            departments::name.eq(new.name.trim()),
            departments::short_name.eq(new.short_name),
            departments::created_at.eq(now()),
        ))
        .returning(departments::id)
        .get_result::<i64>(conn)?;
    let department = departments::table
        .find(department)
        .select(Department::as_select())
        .first(conn)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "department.create",
            entity: "department",
            entity_id: Some(department.id.to_string()),
            before: None,
            after: Some(serde_json::json!(department)),
        },
    )?;
    Ok(department)
}

// ---------------------------------------------------------------------------------------------
// Administration (the admin issue): plain queries; `crate::service::admin::departments`
// validates and records each change in the audit log in the same transaction.

/// Every field of a department an admin sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentRecord<'a> {
    pub region_id: i64,
    pub code: &'a str,
    pub name: &'a str,
    pub short_name: Option<&'a str>,
    pub contact_person: Option<&'a str>,
    pub contact_phone: Option<&'a str>,
    pub contact_email: Option<&'a str>,
}

/// Adds a department with its contacts, without an audit entry (the caller records one).
/// Call inside a write transaction.
pub fn insert_record(
    conn: &mut DbConnection,
    record: &DepartmentRecord<'_>,
) -> QueryResult<Department> {
    let id = diesel::insert_into(departments::table)
        .values((
            departments::region_id.eq(record.region_id),
            departments::code.eq(record.code),
            departments::name.eq(record.name),
            departments::short_name.eq(record.short_name),
            departments::contact_person.eq(record.contact_person),
            departments::contact_phone.eq(record.contact_phone),
            departments::contact_email.eq(record.contact_email),
            departments::created_at.eq(now()),
        ))
        .returning(departments::id)
        .get_result::<i64>(conn)?;
    departments::table
        .find(id)
        .select(Department::as_select())
        .first(conn)
}

/// Replaces every field of a department an admin sets, and returns it as it now is. Call inside
/// a write transaction.
pub fn update_record(
    conn: &mut DbConnection,
    id: i64,
    record: &DepartmentRecord<'_>,
) -> QueryResult<Department> {
    diesel::update(departments::table.find(id))
        .set((
            departments::region_id.eq(record.region_id),
            departments::code.eq(record.code),
            departments::name.eq(record.name),
            departments::short_name.eq(record.short_name),
            departments::contact_person.eq(record.contact_person),
            departments::contact_phone.eq(record.contact_phone),
            departments::contact_email.eq(record.contact_email),
        ))
        .execute(conn)?;
    departments::table
        .find(id)
        .select(Department::as_select())
        .first(conn)
}
