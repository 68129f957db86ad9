//! Users, their roles and their passwords (argon2id).
//!
//! Hashing is slow on purpose; every function here that hashes or verifies is blocking and must
//! run off the async runtime (`Db::run` or `spawn_blocking`), and outside a write transaction so
//! the SQLite write lock is never held while hashing.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::RngCore;
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::audit::{self, Actor, Change};
use super::schema::{sessions, users};
use super::scope::Scope;
use super::{Db, DbConnection, DbError, departments, now, regions, write_transaction};
use crate::domain::Lang;

/// What a user may do. Stored as its code; `users_role_check` allows exactly these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 填报人: one department's uploads and results.
    Submitter,
    /// 审核人 (领导小组办公室): a region and its subtree, the whole review.
    Reviewer,
    /// 管理员: users, regions, departments, rounds, tokens.
    Admin,
}

impl Role {
    pub const ALL: &'static [Role] = &[Role::Submitter, Role::Reviewer, Role::Admin];

    pub fn code(self) -> &'static str {
        match self {
            Role::Submitter => "submitter",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }
    pub fn from_code(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.code() == s.trim())
    }
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::Submitter => lang.pick("部门填报人", "department submitter"),
            Role::Reviewer => lang.pick(
                "审核人（领导小组办公室）",
                "reviewer (leading-group office)",
            ),
            Role::Admin => lang.pick("管理员", "administrator"),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    /// The argon2id PHC string. Never serialised: audit entries and API views leave it out.
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub role: String,
    pub department_id: Option<i64>,
    pub region_id: Option<i64>,
    pub disabled: bool,
    pub must_change_password: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    /// The role, `None` for a code this build does not know (the CHECK constraint prevents it).
    pub fn role(&self) -> Option<Role> {
        Role::from_code(&self.role)
    }
}

/// A user to add. Ids are resolved from codes by the caller ([`resolve`] does it for codes).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub department_id: Option<i64>,
    pub region_id: Option<i64>,
}

/// Why an account operation was refused. Messages a clerk reads, Chinese first.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(
        "用户名须为 2 到 64 个字符，不含空白和控制字符 (a username has 2 to 64 characters, no spaces)"
    )]
    BadUsername,
    #[error("用户名已被使用 (the username is taken)")]
    UsernameTaken,
    #[error("密码须为 10 到 256 个字符 (a password has 10 to 256 characters)")]
    WeakPassword,
    #[error(
        "部门填报人须属于一个部门，请用 --department 指定部门代码 (a submitter needs a department: --department CODE)"
    )]
    DepartmentRequired,
    #[error(
        "审核人须属于一个区划，请用 --region 指定区划代码 (a reviewer needs a region: --region CODE)"
    )]
    RegionRequired,
    #[error(
        "该角色不属于部门或区划，请去掉 --department/--region (this role has no department or region)"
    )]
    UnexpectedAttachment,
    #[error("角色“{0}”无效，应为 submitter、reviewer 或 admin (unknown role)")]
    BadRole(String),
    #[error("未找到部门代码“{0}” (no such department)")]
    NoDepartment(String),
    #[error("未找到区划代码“{0}” (no such region)")]
    NoRegion(String),
    #[error("未找到该用户 (no such user)")]
    NoUser,
    #[error(
        "不为管理员账号创建令牌：令牌只供部门系统报送使用 (tokens are not issued for admin accounts)"
    )]
    TokenForAdmin,
    #[error("该账号已停用 (the account is disabled)")]
    Disabled,
    #[error("令牌名称须为 1 到 100 个字符 (a token name has 1 to 100 characters)")]
    BadTokenName,
    #[error("密码处理失败 (password hashing failed)")]
    Hash,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info)
                if info.message().contains("username") || info.constraint_name().is_some() =>
            {
                AccountError::UsernameTaken
            }
            other => AccountError::Db(DbError::Query(other)),
        }
    }
}

impl AccountError {
    /// A stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            AccountError::BadUsername => "bad_username",
            AccountError::UsernameTaken => "username_taken",
            AccountError::WeakPassword => "weak_password",
            AccountError::DepartmentRequired => "department_required",
            AccountError::RegionRequired => "region_required",
            AccountError::UnexpectedAttachment => "unexpected_attachment",
            AccountError::BadRole(_) => "bad_role",
            AccountError::NoDepartment(_) => "no_department",
            AccountError::NoRegion(_) => "no_region",
            AccountError::NoUser => "not_found",
            AccountError::TokenForAdmin => "token_for_admin",
            AccountError::Disabled => "disabled",
            AccountError::BadTokenName => "bad_token_name",
            AccountError::Hash => "internal",
            AccountError::Db(_) => "internal",
        }
    }

    /// The Chinese and the English message, split from the one-line display.
    pub fn messages(&self) -> (String, String) {
        let line = self.to_string();
        match (line.rfind(" ("), line.ends_with(')')) {
            (Some(i), true) => (
                line[..i].to_string(),
                line[i + 2..line.len() - 1].to_string(),
            ),
            _ => (line.clone(), line),
        }
    }
}

/// The form a username is stored and looked up in: trimmed, Unicode NFC.
pub fn normalize_username(raw: &str) -> String {
    raw.trim().nfc().collect()
}

pub fn validate_username(name: &str) -> Result<(), AccountError> {
    let n = name.chars().count();
    if !(2..=64).contains(&n) || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AccountError::BadUsername);
    }
    Ok(())
}

pub fn validate_password(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if !(10..=256).contains(&n) {
        return Err(AccountError::WeakPassword);
    }
    Ok(())
}

/// Argon2id with OWASP's parameters (19 MiB, two passes, one lane).
fn argon2() -> Argon2<'static> {
    // The constants are valid; `Params::DEFAULT` (the same values) is the fallback all the same.
    let params = Params::new(19_456, 2, 1, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of a password. Blocking and slow.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|_| AccountError::Hash)?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AccountError::Hash)
}

/// A hash no password matches, verified against when the user does not exist so that an unknown
/// user costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        hash_password(&hex::encode(secret)).unwrap_or_default()
    })
}

/// Whether the password matches the stored hash; with no stored hash, a dummy verification of
/// the same cost that always fails. Blocking and slow.
pub fn verify_password(stored: Option<&str>, password: &str) -> bool {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let ok = argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && real
}

/// A one-time password to print once: 16 characters from an alphabet without look-alikes
/// (about 90 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // 256 is not a multiple of 56, so reject the top of the range to stay uniform.
    let mut out = String::with_capacity(16);
    let mut rng = rand::rngs::OsRng;
    while out.len() < 16 {
        let b = (rng.next_u32() & 0xff) as usize;
        if b < 224 {
            // 224 = 4 × 56.
            out.push(ALPHABET[b % ALPHABET.len()] as char);
        }
    }
    out
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The user of a username as typed (normalised here).
pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(normalize_username(username)))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Whether any admin account exists, enabled or not.
pub fn any_admin(conn: &mut DbConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::role.eq(Role::Admin.code())),
    ))
    .get_result(conn)
}

/// Resolves the department and region codes of `user add` against the database.
pub fn resolve(
    conn: &mut DbConnection,
    username: &str,
    role: &str,
    department_code: Option<&str>,
    region_code: Option<&str>,
) -> Result<NewUser, AccountError> {
    let role = Role::from_code(role).ok_or_else(|| AccountError::BadRole(role.to_string()))?;
    let department_id = match department_code {
        Some(code) => Some(
            departments::find_by_code(conn, &Scope::All, code)?
                .ok_or_else(|| AccountError::NoDepartment(code.to_string()))?
                .id,
        ),
        None => None,
    };
    let region_id = match region_code {
        Some(code) => Some(
            regions::find_by_code(conn, code)?
                .ok_or_else(|| AccountError::NoRegion(code.to_string()))?
                .id,
        ),
        None => None,
    };
    Ok(NewUser {
        username: normalize_username(username),
        role,
        department_id,
        region_id,
    })
}

/// Checks the shape of a new user: a submitter has a department, a reviewer a region, an admin
/// neither.
pub fn validate_new(new: &NewUser) -> Result<(), AccountError> {
    validate_username(&new.username)?;
    match new.role {
        Role::Submitter if new.department_id.is_none() => Err(AccountError::DepartmentRequired),
        Role::Submitter if new.region_id.is_some() => Err(AccountError::UnexpectedAttachment),
        Role::Reviewer if new.region_id.is_none() => Err(AccountError::RegionRequired),
        Role::Reviewer if new.department_id.is_some() => Err(AccountError::UnexpectedAttachment),
        Role::Admin if new.department_id.is_some() || new.region_id.is_some() => {
            Err(AccountError::UnexpectedAttachment)
        }
        _ => Ok(()),
    }
}

/// Inserts a user with an already computed hash and records it. Call inside a write transaction.
pub fn insert(
    conn: &mut DbConnection,
    actor: &Actor,
    new: &NewUser,
    password_hash: &str,
    must_change_password: bool,
) -> Result<User, AccountError> {
    validate_new(new)?;
    if find_by_username(conn, &new.username)?.is_some() {
        return Err(AccountError::UsernameTaken);
    }
    let t = now();
    let user = diesel::insert_into(users::table)
        .values((
            users::username.eq(&new.username),
            users::password_hash.eq(password_hash),
            users::role.eq(new.role.code()),
            users::department_id.eq(new.department_id),
            users::region_id.eq(new.region_id),
            users::disabled.eq(false),
            users::must_change_password.eq(must_change_password),
            users::created_at.eq(t),
            users::updated_at.eq(t),
        ))
        .returning(users::id)
        .get_result::<i64>(conn)?;
    let user = find(conn, user)?.ok_or(AccountError::NoUser)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "user.create",
            entity: "user",
            entity_id: Some(user.id.to_string()),
            before: None,
            after: Some(serde_json::json!(user)),
        },
    )?;
    Ok(user)
}

/// Adds a user with a fresh one-time password, which it returns once: the caller shows it and
/// forgets it. Hashes first, then writes in one transaction. Blocking.
pub fn add_with_one_time_password(
    conn: &mut DbConnection,
    actor: &Actor,
    new: &NewUser,
) -> Result<(User, String), AccountError> {
    validate_new(new)?;
    let password = generate_password();
    let hash = hash_password(&password)?;
    let user = write_transaction(conn, |c| insert(c, actor, new, &hash, true))?;
    Ok((user, password))
}

/// Replaces a user's password and ends every other session of the user (all of them when
/// `keep_session` is `None`). Call inside a write transaction, with the hash computed before it.
pub fn set_password(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: i64,
    password_hash: &str,
    must_change_password: bool,
    keep_session: Option<i64>,
) -> Result<(), AccountError> {
    let updated = diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(password_hash),
            users::must_change_password.eq(must_change_password),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(AccountError::NoUser);
    }
    let ended = revoke_sessions_except(conn, user_id, keep_session)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "user.password",
            entity: "user",
            entity_id: Some(user_id.to_string()),
            before: None,
            after: Some(serde_json::json!({
                "must_change_password": must_change_password,
                "sessions_ended": ended,
            })),
        },
    )?;
    Ok(())
}

/// Disables or enables a user. Disabling ends the user's sessions at once; its tokens stay
/// refused while it is disabled (checked on every request). Call inside a write transaction.
pub fn set_disabled(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: i64,
    disabled: bool,
) -> Result<User, AccountError> {
    let before = find(conn, user_id)?.ok_or(AccountError::NoUser)?;
    diesel::update(users::table.find(user_id))
        .set((users::disabled.eq(disabled), users::updated_at.eq(now())))
        .execute(conn)?;
    let user = find(conn, user_id)?.ok_or(AccountError::NoUser)?;
    let ended = if disabled {
        revoke_sessions_except(conn, user_id, None)?
    } else {
        0
    };
    audit::record(
        conn,
        actor,
        Change {
            action: if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
            entity: "user",
            entity_id: Some(user_id.to_string()),
            before: Some(serde_json::json!({"disabled": before.disabled})),
            after: Some(serde_json::json!({"disabled": disabled, "sessions_ended": ended})),
        },
    )?;
    Ok(user)
}

fn revoke_sessions_except(
    conn: &mut DbConnection,
    user_id: i64,
    keep: Option<i64>,
) -> QueryResult<usize> {
    let t = now();
    let mut q = diesel::update(sessions::table)
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .into_boxed();
    if let Some(keep) = keep {
        q = q.filter(sessions::id.ne(keep));
    }
    q.set(sessions::revoked_at.eq(Some(t))).execute(conn)
}

/// On a database with no admin account, creates one named `admin` with a one-time password and
/// returns `(username, password)` for the caller to print once (never to log). Returns `None`
/// when an admin exists, including when another instance created one at the same moment.
pub fn ensure_first_admin(db: &Db) -> Result<Option<(String, String)>, AccountError> {
    let mut conn = db.conn()?;
    if any_admin(&mut conn)? {
        return Ok(None);
    }
    let password = generate_password();
    let hash = hash_password(&password)?;
    let actor = Actor::system();
    let created = write_transaction(&mut conn, |c| -> Result<Option<User>, AccountError> {
        if any_admin(c)? {
            return Ok(None);
        }
        let mut name = "admin".to_string();
        let mut n = 1;
        while find_by_username(c, &name)?.is_some() {
            n += 1;
            name = format!("admin{n}");
        }
        let new = NewUser {
            username: name,
            role: Role::Admin,
            department_id: None,
            region_id: None,
        };
        insert(c, &actor, &new, &hash, true).map(Some)
    });
    match created {
        Ok(Some(user)) => Ok(Some((user.username, password))),
        Ok(None) | Err(AccountError::UsernameTaken) => Ok(None),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Administration (the admin issue): plain queries; `crate::service::admin::users` validates and
// records each change in the audit log in the same transaction.

/// Every user, by username.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table
        .select(User::as_select())
        .order(users::username.asc())
        .load(conn)
}

/// How many admin accounts are enabled.
pub fn count_enabled_admins(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin.code()))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)
}

/// Sets a user's role, department and region (checked by the caller with [`validate_new`]) and
/// returns the user as it now is. Call inside a write transaction.
pub fn set_role(
    conn: &mut DbConnection,
    user_id: i64,
    role: Role,
    department_id: Option<i64>,
    region_id: Option<i64>,
) -> Result<User, AccountError> {
    let updated = diesel::update(users::table.find(user_id))
        .set((
            users::role.eq(role.code()),
            users::department_id.eq(department_id),
            users::region_id.eq(region_id),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(AccountError::NoUser);
    }
    find(conn, user_id)?.ok_or(AccountError::NoUser)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password(Some(&h), "correct horse battery"));
        assert!(!verify_password(Some(&h), "correct horse batterz"));
        assert!(!verify_password(None, "correct horse battery"));
        assert!(!verify_password(Some("not a hash"), "x"));
    }

    #[test]
    fn one_time_passwords_are_long_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.chars().count(), 16);
        assert_ne!(a, b);
        assert!(validate_password(&a).is_ok());
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c))
        );
    }

    #[test]
    fn usernames_are_checked_and_normalised() {
        assert!(validate_username("张三").is_ok());
        assert!(validate_username("a").is_err());
        assert!(validate_username("a b").is_err());
        assert!(validate_username(&"x".repeat(65)).is_err());
        assert_eq!(
            normalize_username("  zhang\u{0065}\u{0301} "),
            "zhang\u{00e9}"
        );
    }

    #[test]
    fn roles_need_the_right_attachment() {
        let new = |role, d: Option<i64>, r: Option<i64>| NewUser {
            username: "someone".into(),
            role,
            department_id: d,
            region_id: r,
        };
        assert!(matches!(
            validate_new(&new(Role::Submitter, None, None)),
            Err(AccountError::DepartmentRequired)
        ));
        assert!(validate_new(&new(Role::Submitter, Some(1), None)).is_ok());
        assert!(matches!(
            validate_new(&new(Role::Reviewer, None, None)),
            Err(AccountError::RegionRequired)
        ));
        assert!(validate_new(&new(Role::Reviewer, None, Some(1))).is_ok());
        assert!(validate_new(&new(Role::Admin, None, None)).is_ok());
        assert!(validate_new(&new(Role::Admin, Some(1), None)).is_err());
    }

    #[test]
    fn errors_split_into_chinese_and_english() {
        let (zh, en) = AccountError::UsernameTaken.messages();
        assert_eq!(zh, "用户名已被使用");
        assert_eq!(en, "the username is taken");
    }
}
