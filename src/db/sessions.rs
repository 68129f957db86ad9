//! Server-side sessions: the cookie holds a random 32-byte id; the database keeps only its
//! SHA-256, so a stolen database copy signs nobody in. Sign-out and revocation set `revoked_at`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::audit::{self, Actor, Change};
use super::schema::{sessions, users};
use super::users::User;
use super::{DbConnection, now};

/// A session row, without its secret.
#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    /// The per-session CSRF token that state-changing forms and cookie-authenticated API calls
    /// carry back.
    #[serde(skip_serializing)]
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// A session just made: its secret goes into the cookie once and is never stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub session: Session,
    pub secret: String,
}

/// 32 random bytes from the operating system, as 64 hex digits.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database stores of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Opens a session for a user that lasts `hours`, revoking `replaces` (the session the browser
/// held before: rotation on sign-in). Call inside a write transaction.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: i64,
    hours: u64,
    replaces: Option<i64>,
) -> QueryResult<NewSession> {
    if let Some(old) = replaces {
        revoke(conn, actor, old)?;
    }
    let secret = random_secret();
    let t = now();
    let hours = i64::try_from(hours).unwrap_or(i64::MAX).clamp(1, 24 * 366);
    let session = diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(hash_secret(&secret)),
            sessions::user_id.eq(user_id),
            sessions::csrf_token.eq(random_secret()),
            sessions::created_at.eq(t),
            sessions::expires_at.eq(t + Duration::hours(hours)),
        ))
        .returning(sessions::id)
        .get_result::<i64>(conn)?;
    let session = sessions::table
        .find(session)
        .select(Session::as_select())
        .first(conn)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "session.create",
            entity: "session",
            entity_id: Some(session.id.to_string()),
            before: None,
            after: Some(serde_json::json!(session)),
        },
    )?;
    Ok(NewSession { session, secret })
}

/// The live session of a cookie's secret with its user: not revoked, not expired, the user not
/// disabled. Checked on every request.
pub fn authenticate(
    conn: &mut DbConnection,
    secret: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<(Session, User)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(hash_secret(secret)))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(at))
        .filter(users::disabled.eq(false))
        .select((Session::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

/// The id of a cookie's session if it is still open, even if expired (sign-in rotates it).
pub fn find_open_id(conn: &mut DbConnection, secret: &str) -> QueryResult<Option<i64>> {
    sessions::table
        .filter(sessions::token_hash.eq(hash_secret(secret)))
        .filter(sessions::revoked_at.is_null())
        .select(sessions::id)
        .first(conn)
        .optional()
}

/// Ends a session (sign-out). Returns whether it was open. Call inside a write transaction.
pub fn revoke(conn: &mut DbConnection, actor: &Actor, session_id: i64) -> QueryResult<bool> {
    let t = now();
    let n = diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(t)))
    .execute(conn)?;
    if n > 0 {
        audit::record(
            conn,
            actor,
            Change {
                action: "session.revoke",
                entity: "session",
                entity_id: Some(session_id.to_string()),
                before: None,
                after: Some(serde_json::json!({"revoked_at": t})),
            },
        )?;
    }
    Ok(n > 0)
}

/// Deletes sessions that ended (expired or revoked) more than `days` ago; they serve nothing.
pub fn purge_ended(conn: &mut DbConnection, days: i64) -> QueryResult<usize> {
    let cutoff = now() - Duration::days(days);
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .lt(cutoff)
                .or(sessions::revoked_at.lt(cutoff)),
        ),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = random_secret();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_secret());
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), a);
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
