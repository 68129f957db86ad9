//! API tokens for department systems that upload on a schedule: `nj_` and 64 hex digits, made by
//! an admin for a user, shown once, stored as SHA-256, scoped like their user, revocable, with
//! the time of last use.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Actor, Change};
use super::schema::{api_tokens, users};
use super::sessions::{hash_secret, random_secret};
use super::users::{AccountError, Role, User};
use super::{DbConnection, now};

/// What every token starts with, so a leaked one is recognisable in logs and scanners.
pub const PREFIX: &str = "nj_";

/// A token row without its hash.
#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// A token just made: the secret is shown once and never stored.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
}

/// A token as the admin's list shows it: with its user's name, without any secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenListing {
    #[serde(flatten)]
    pub token: ApiToken,
    pub username: String,
}

/// Makes a token for a user. Call inside a write transaction.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: i64,
    name: &str,
) -> Result<IssuedToken, AccountError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AccountError::BadTokenName);
    }
    let user = super::users::find(conn, user_id)?.ok_or(AccountError::NoUser)?;
    if user.role() == Some(Role::Admin) {
        return Err(AccountError::TokenForAdmin);
    }
    if user.disabled {
        return Err(AccountError::Disabled);
    }
    let secret = format!("{PREFIX}{}", random_secret());
    let token = diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(name),
            api_tokens::token_hash.eq(hash_secret(&secret)),
            api_tokens::created_at.eq(now()),
        ))
        .returning(api_tokens::id)
        .get_result::<i64>(conn)?;
    let token = find(conn, token)?.ok_or(diesel::result::Error::NotFound)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "token.create",
            entity: "api_token",
            entity_id: Some(token.id.to_string()),
            before: None,
            after: Some(serde_json::json!(token)),
        },
    )?;
    Ok(IssuedToken { token, secret })
}

/// The live token of a secret with its user (not revoked, user not disabled), marking it used.
/// `last_used_at` is written at most once a minute so a busy uploader does not write on every
/// request.
pub fn authenticate(
    conn: &mut DbConnection,
    secret: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<(ApiToken, User)>> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let found = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(hash_secret(secret)))
        .filter(api_tokens::revoked_at.is_null())
        .filter(users::disabled.eq(false))
        .select((ApiToken::as_select(), User::as_select()))
        .first::<(ApiToken, User)>(conn)
        .optional()?;
    let Some((mut token, user)) = found else {
        return Ok(None);
    };
    if token
        .last_used_at
        .is_none_or(|t| at - t >= Duration::minutes(1))
    {
        diesel::update(api_tokens::table.find(token.id))
            .set(api_tokens::last_used_at.eq(Some(at)))
            .execute(conn)?;
        token.last_used_at = Some(at);
    }
    Ok(Some((token, user)))
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ApiToken>> {
    api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .first(conn)
        .optional()
}

/// Revokes a token; `None` when there is no such token. Revoking twice keeps the first time.
/// Call inside a write transaction.
pub fn revoke(conn: &mut DbConnection, actor: &Actor, id: i64) -> QueryResult<Option<ApiToken>> {
    let Some(before) = find(conn, id)? else {
        return Ok(None);
    };
    if before.revoked_at.is_some() {
        return Ok(Some(before));
    }
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::revoked_at.eq(Some(now())))
        .execute(conn)?;
    let after = find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "token.revoke",
            entity: "api_token",
            entity_id: Some(id.to_string()),
            before: Some(serde_json::json!(before)),
            after: Some(serde_json::json!(after)),
        },
    )?;
    Ok(Some(after))
}

/// Every token, newest first, with its user's name.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<TokenListing>> {
    let rows: Vec<(ApiToken, String)> = api_tokens::table
        .inner_join(users::table)
        .select((ApiToken::as_select(), users::username))
        .order(api_tokens::id.desc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(token, username)| TokenListing { token, username })
        .collect())
}
