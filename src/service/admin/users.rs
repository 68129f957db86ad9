//! Users as an admin manages them: created with a one-time password shown once, given another
//! role, department or region, disabled and enabled (a disabled user's sessions end at once and
//! its tokens are refused on every request), given a new one-time password.
//!
//! Two guards keep the service administrable: nobody disables their own account, and the last
//! enabled admin can be neither disabled nor given another role.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{AdminError, Refusal, quote};
use crate::db::audit::{self, Actor, Change};
use crate::db::departments;
use crate::db::regions;
use crate::db::scope::Scope;
use crate::db::users::{self, NewUser, Role, User};
use crate::db::{DbConnection, write_transaction};

/// A user to add: the role's code and, by code, the department of a submitter or the region
/// of a reviewer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserInput {
    pub username: String,
    pub role: String,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
}

/// A new role, with the department or region it needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleInput {
    pub role: String,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
}

fn nonblank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The role and the ids of the department and region named by code, every one checked.
fn resolve(
    conn: &mut DbConnection,
    role: &str,
    department: Option<&str>,
    region: Option<&str>,
) -> Result<(Role, Option<i64>, Option<i64>), AdminError> {
    let role_code = role.trim();
    let role = Role::from_code(role_code).ok_or_else(|| {
        Refusal::invalid(
            "bad_role",
            Some("role"),
            format!(
                "角色“{}”无效，应为 submitter（部门填报人）、reviewer（审核人）或 admin（管理员）",
                quote(role_code)
            ),
            format!(
                "unknown role “{}”: use submitter, reviewer or admin",
                quote(role_code)
            ),
        )
    })?;
    let department_id = match department {
        Some(code) => Some(
            departments::find_by_code(conn, &Scope::All, code)?
                .ok_or_else(|| {
                    Refusal::invalid(
                        "unknown_department",
                        Some("department"),
                        format!("部门代码“{}”不存在", quote(code)),
                        format!("there is no department with the code “{}”", quote(code)),
                    )
                })?
                .id,
        ),
        None => None,
    };
    let region_id = match region {
        Some(code) => Some(
            regions::find_by_code(conn, code)?
                .ok_or_else(|| {
                    Refusal::invalid(
                        "unknown_region",
                        Some("region"),
                        format!("区划代码“{}”不存在", quote(code)),
                        format!("there is no region with the code “{}”", quote(code)),
                    )
                })?
                .id,
        ),
        None => None,
    };
    Ok((role, department_id, region_id))
}

/// Adds a user and returns it with its one-time password, to be shown once and forgotten.
/// Hashes outside the transaction. Blocking.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &UserInput,
) -> Result<(User, String), AdminError> {
    let (role, department_id, region_id) = resolve(
        conn,
        &input.role,
        nonblank(&input.department),
        nonblank(&input.region),
    )?;
    let new = NewUser {
        username: users::normalize_username(&input.username),
        role,
        department_id,
        region_id,
    };
    users::validate_new(&new)?;
    if users::find_by_username(conn, &new.username)?.is_some() {
        return Err(users::AccountError::UsernameTaken.into());
    }
    Ok(users::add_with_one_time_password(conn, actor, &new)?)
}

fn no_user() -> AdminError {
    users::AccountError::NoUser.into()
}

fn last_admin(zh_action: &str, en_action: &str) -> AdminError {
    Refusal::conflict(
        "last_admin",
        Some("role"),
        format!("这是唯一启用的管理员账号，不能{zh_action}：请先另设一名管理员"),
        format!(
            "this is the only enabled admin: it cannot be {en_action}; make another admin first"
        ),
    )
    .into()
}

/// Whether the user is the one enabled admin left.
fn is_last_admin(conn: &mut DbConnection, user: &User) -> Result<bool, AdminError> {
    Ok(user.role() == Some(Role::Admin)
        && !user.disabled
        && users::count_enabled_admins(conn)? <= 1)
}

/// Gives a user another role, department or region. Takes effect on the user's next request:
/// the guards read the role from the database every time.
pub fn set_role(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: i64,
    input: &RoleInput,
) -> Result<User, AdminError> {
    let (role, department_id, region_id) = resolve(
        conn,
        &input.role,
        nonblank(&input.department),
        nonblank(&input.region),
    )?;
    write_transaction(conn, |c| {
        let before = users::find(c, user_id)?.ok_or_else(no_user)?;
        users::validate_new(&NewUser {
            username: before.username.clone(),
            role,
            department_id,
            region_id,
        })?;
        if role != Role::Admin && is_last_admin(c, &before)? {
            return Err(last_admin("改为其他角色", "given another role"));
        }
        let after = users::set_role(c, user_id, role, department_id, region_id)?;
        let view = |u: &User| {
            serde_json::json!({
                "role": u.role,
                "department_id": u.department_id,
                "region_id": u.region_id,
            })
        };
        if view(&before) != view(&after) {
            audit::record(
                c,
                actor,
                Change {
                    action: "user.role",
                    entity: "user",
                    entity_id: Some(user_id.to_string()),
                    before: Some(view(&before)),
                    after: Some(view(&after)),
                },
            )?;
        }
        Ok(after)
    })
}

/// Disables or enables a user. Disabling ends its sessions at once (their rows are revoked);
/// its tokens stay refused while it is disabled. `acting_user` is the admin doing it, who may
/// not disable themself. Doing what is already done changes nothing.
pub fn set_disabled(
    conn: &mut DbConnection,
    actor: &Actor,
    acting_user: Option<i64>,
    user_id: i64,
    disabled: bool,
) -> Result<User, AdminError> {
    if disabled && acting_user == Some(user_id) {
        return Err(Refusal::conflict(
            "disable_self",
            None,
            "不能停用自己正在使用的账号",
            "you cannot disable your own account",
        )
        .into());
    }
    write_transaction(conn, |c| {
        let user = users::find(c, user_id)?.ok_or_else(no_user)?;
        if user.disabled == disabled {
            return Ok(user);
        }
        if disabled && is_last_admin(c, &user)? {
            return Err(last_admin("停用", "disabled"));
        }
        Ok(users::set_disabled(c, actor, user_id, disabled)?)
    })
}

/// Gives a user a new one-time password (returned once), which it must change at sign-in, and
/// ends all its sessions. Hashes outside the transaction. Blocking.
pub fn reset_password(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: i64,
) -> Result<(User, String), AdminError> {
    let user = users::find(conn, user_id)?.ok_or_else(no_user)?;
    let password = users::generate_password();
    let hash = users::hash_password(&password)?;
    write_transaction(conn, |c| {
        users::set_password(c, actor, user_id, &hash, true, None)
    })?;
    let user = users::find(conn, user.id)?.ok_or_else(no_user)?;
    Ok((user, password))
}

/// A user as the admin's list shows it: no hash, with its department and region named.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserListing {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub department_id: Option<i64>,
    pub department_code: Option<String>,
    pub department_name: Option<String>,
    pub region_id: Option<i64>,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub disabled: bool,
    pub must_change_password: bool,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

/// Lookups of department and region names by id, loaded once for a list.
pub struct Names {
    departments: HashMap<i64, (String, String)>,
    regions: HashMap<i64, (String, String)>,
}

impl Names {
    pub fn load(conn: &mut DbConnection) -> Result<Names, AdminError> {
        Ok(Names {
            departments: departments::list(conn, &Scope::All)?
                .into_iter()
                .map(|d| (d.id, (d.code, d.name)))
                .collect(),
            regions: regions::list(conn)?
                .into_iter()
                .map(|r| (r.id, (r.code, r.name)))
                .collect(),
        })
    }

    pub fn listing(&self, u: &User) -> UserListing {
        let dep = u.department_id.and_then(|id| self.departments.get(&id));
        let reg = u.region_id.and_then(|id| self.regions.get(&id));
        UserListing {
            id: u.id,
            username: u.username.clone(),
            role: u.role.clone(),
            department_id: u.department_id,
            department_code: dep.map(|d| d.0.clone()),
            department_name: dep.map(|d| d.1.clone()),
            region_id: u.region_id,
            region_code: reg.map(|r| r.0.clone()),
            region_name: reg.map(|r| r.1.clone()),
            disabled: u.disabled,
            must_change_password: u.must_change_password,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// Every user by username, with department and region.
pub fn list(conn: &mut DbConnection) -> Result<Vec<UserListing>, AdminError> {
    let names = Names::load(conn)?;
    Ok(users::list(conn)?
        .iter()
        .map(|u| names.listing(u))
        .collect())
}

/// One user, with department and region.
pub fn find(conn: &mut DbConnection, id: i64) -> Result<UserListing, AdminError> {
    let user = users::find(conn, id)?.ok_or_else(no_user)?;
    Ok(Names::load(conn)?.listing(&user))
}

/// The user of a username, or a refusal that says so.
pub fn by_username(conn: &mut DbConnection, username: &str) -> Result<User, AdminError> {
    users::find_by_username(conn, username)?.ok_or_else(no_user)
}
