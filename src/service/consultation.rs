//! Public consultation windows (公开征求社会各界意见) on items proposed for retention: opening a
//! window on a set of items and closing it with a per-item summary, which R10 reads. The public
//! comment side builds on these rows.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::audit::{self, Actor, Change};
use crate::db::schema::{comments, consultation_items, consultations, items};
use crate::db::{DbConnection, now, write_transaction};
use crate::service::findings::{self, Selection};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConsultationError {
    #[error("征求意见的截止时间必须晚于开始时间 (the window must end after it starts)")]
    WindowOrder,
    #[error("请至少选择一个事项 (choose at least one item)")]
    NoItems,
    #[error("事项 {0} 不属于本批次 (item {0} is not in the round)")]
    ItemOutsideRound(i64),
    #[error("该征求意见已结束 (the consultation is already closed)")]
    AlreadyClosed,
    #[error("未找到该征求意见 (no such consultation)")]
    NotFound,
    #[error("数据库错误 (database error): {0}")]
    Db(String),
}

impl From<diesel::result::Error> for ConsultationError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => ConsultationError::NotFound,
            other => ConsultationError::Db(other.to_string()),
        }
    }
}

/// Opens a window on the given items of a round.
#[allow(clippy::too_many_arguments)]
pub fn open(
    conn: &mut DbConnection,
    actor: &Actor,
    round_id: i64,
    title: &str,
    notice: &str,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    item_ids: &[i64],
) -> Result<i64, ConsultationError> {
    if ends_at <= starts_at {
        return Err(ConsultationError::WindowOrder);
    }
    if item_ids.is_empty() {
        return Err(ConsultationError::NoItems);
    }
    write_transaction(conn, |conn| {
        for &id in item_ids {
            let round: Option<i64> = items::table
                .find(id)
                .select(items::round_id)
                .first(conn)
                .optional()?;
            if round != Some(round_id) {
                return Err(ConsultationError::ItemOutsideRound(id));
            }
        }
        let id: i64 = diesel::insert_into(consultations::table)
            .values((
                consultations::round_id.eq(round_id),
                consultations::title.eq(title),
                consultations::notice.eq(notice),
                consultations::starts_at.eq(starts_at),
                consultations::ends_at.eq(ends_at),
                consultations::created_by.eq(actor.user_id),
                consultations::created_at.eq(now()),
            ))
            .returning(consultations::id)
            .get_result(conn)?;
        for &item in item_ids {
            diesel::insert_into(consultation_items::table)
                .values((
                    consultation_items::consultation_id.eq(id),
                    consultation_items::item_id.eq(item),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            actor,
            Change {
                action: "consultation.open",
                entity: "consultation",
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(serde_json::json!({
                    "round_id": round_id, "title": title, "items": item_ids,
                    "starts_at": starts_at, "ends_at": ends_at,
                })),
            },
        )?;
        Ok(id)
    })
}

/// Closes a window, recording each item's summary of the comments, and recomputes the items'
/// findings (R10 reads the closed consultation).
pub fn close(
    conn: &mut DbConnection,
    actor: &Actor,
    consultation_id: i64,
    summaries: &HashMap<i64, String>,
) -> Result<(), ConsultationError> {
    write_transaction(conn, |conn| {
        let (round_id, closed): (i64, Option<NaiveDateTime>) = consultations::table
            .find(consultation_id)
            .select((consultations::round_id, consultations::closed_at))
            .first(conn)?;
        if closed.is_some() {
            return Err(ConsultationError::AlreadyClosed);
        }
        let item_ids: Vec<i64> = consultation_items::table
            .filter(consultation_items::consultation_id.eq(consultation_id))
            .select(consultation_items::item_id)
            .load(conn)?;
        for &item in &item_ids {
            let summary = summaries
                .get(&item)
                .cloned()
                .unwrap_or_else(|| "征求意见期间未收到意见。".to_string());
            diesel::update(
                consultation_items::table
                    .filter(consultation_items::consultation_id.eq(consultation_id))
                    .filter(consultation_items::item_id.eq(item)),
            )
            .set(consultation_items::summary.eq(Some(summary)))
            .execute(conn)?;
        }
        diesel::update(consultations::table.find(consultation_id))
            .set(consultations::closed_at.eq(Some(now())))
            .execute(conn)?;
        findings::recompute(
            conn,
            &Selection::Items {
                round_id,
                ids: item_ids.clone(),
            },
        )?;
        audit::record(
            conn,
            actor,
            Change {
                action: "consultation.close",
                entity: "consultation",
                entity_id: Some(consultation_id.to_string()),
                before: None,
                after: Some(serde_json::json!({"items": item_ids})),
            },
        )?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Public comments and their moderation

/// The longest comment, counted in characters (not bytes: a Chinese character is one).
pub const MAX_BODY_CHARS: usize = 2000;
/// The longest optional name and contact, in characters.
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_CONTACT_CHARS: usize = 200;
/// The longest moderation reason, in characters.
pub const MAX_REASON_CHARS: usize = 1000;

/// What a commenter thinks of keeping the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    Support,
    Oppose,
    Other,
}

impl Stance {
    pub const ALL: &'static [Stance] = &[Stance::Support, Stance::Oppose, Stance::Other];
    pub fn code(self) -> &'static str {
        match self {
            Stance::Support => "support",
            Stance::Oppose => "oppose",
            Stance::Other => "other",
        }
    }
    pub fn from_code(s: &str) -> Option<Stance> {
        Stance::ALL.iter().copied().find(|x| x.code() == s.trim())
    }
    pub fn label(self, lang: crate::domain::Lang) -> &'static str {
        match self {
            Stance::Support => lang.pick("赞成保留", "Support keeping"),
            Stance::Oppose => lang.pick("反对保留", "Oppose keeping"),
            Stance::Other => lang.pick("其他意见", "Other"),
        }
    }
}

/// A comment as the public sends it.
#[derive(Debug, Clone, Default)]
pub struct CommentInput {
    pub stance: Option<String>,
    pub body: Option<String>,
    pub name: Option<String>,
    pub contact: Option<String>,
}

/// Why a comment or a moderation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    #[error("请选择对保留该事项的态度 (choose a stance)")]
    Stance,
    #[error("请填写意见内容 (write your comment)")]
    BodyEmpty,
    #[error("意见内容不能超过 {MAX_BODY_CHARS} 字 (at most {MAX_BODY_CHARS} characters)")]
    BodyTooLong,
    #[error(
        "姓名不能超过 {MAX_NAME_CHARS} 字，联系方式不能超过 {MAX_CONTACT_CHARS} 字 (name or contact too long)"
    )]
    AuthorTooLong,
    #[error("该事项不在此次征求意见范围内 (the item is not part of an open consultation)")]
    NotConsulted,
    #[error("征求意见尚未开始 (the consultation has not started yet)")]
    NotYetOpen,
    #[error("征求意见已经结束 (the consultation is over)")]
    Ended,
    #[error("请选择“通过”或“不予采用” (approve or reject)")]
    Decision,
    #[error("不予采用须写明理由 (a rejection needs a reason)")]
    ReasonRequired,
    #[error("理由不能超过 {MAX_REASON_CHARS} 字 (reason too long)")]
    ReasonTooLong,
    #[error("未找到该意见 (no such comment)")]
    NotFound,
    #[error("数据库错误 (database error): {0}")]
    Db(String),
}

impl From<diesel::result::Error> for CommentError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => CommentError::NotFound,
            other => CommentError::Db(other.to_string()),
        }
    }
}

impl CommentError {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            CommentError::Stance => "bad_stance",
            CommentError::BodyEmpty => "body_required",
            CommentError::BodyTooLong => "body_too_long",
            CommentError::AuthorTooLong => "author_too_long",
            CommentError::NotConsulted => "not_consulted",
            CommentError::NotYetOpen => "not_open_yet",
            CommentError::Ended => "consultation_ended",
            CommentError::Decision => "bad_decision",
            CommentError::ReasonRequired => "reason_required",
            CommentError::ReasonTooLong => "reason_too_long",
            CommentError::NotFound => "not_found",
            CommentError::Db(_) => "internal",
        }
    }

    /// The form field at fault, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            CommentError::Stance => Some("stance"),
            CommentError::BodyEmpty | CommentError::BodyTooLong => Some("body"),
            CommentError::AuthorTooLong => Some("name"),
            CommentError::ReasonRequired | CommentError::ReasonTooLong => Some("reason"),
            _ => None,
        }
    }

    /// The message in one language (the Display text holds both).
    pub fn message(&self, lang: crate::domain::Lang) -> String {
        let full = self.to_string();
        match full.split_once(" (") {
            Some((zh, en)) => match lang {
                crate::domain::Lang::Zh => zh.to_string(),
                crate::domain::Lang::En => {
                    let en = en.strip_suffix(')').unwrap_or(en);
                    let mut c = en.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                }
            },
            None => full,
        }
    }
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A comment checked and ready to store.
#[derive(Debug, Clone)]
pub struct ValidComment {
    pub stance: Stance,
    pub body: String,
    pub name: Option<String>,
    pub contact: Option<String>,
}

impl CommentInput {
    pub fn validate(&self) -> Result<ValidComment, CommentError> {
        let stance = self
            .stance
            .as_deref()
            .and_then(Stance::from_code)
            .ok_or(CommentError::Stance)?;
        let body = trimmed(&self.body).ok_or(CommentError::BodyEmpty)?;
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(CommentError::BodyTooLong);
        }
        let name = trimmed(&self.name);
        let contact = trimmed(&self.contact);
        if name
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
            || contact
                .as_ref()
                .is_some_and(|c| c.chars().count() > MAX_CONTACT_CHARS)
        {
            return Err(CommentError::AuthorTooLong);
        }
        Ok(ValidComment {
            stance,
            body,
            name,
            contact,
        })
    }
}

/// The salted SHA-256 of a client address: the only trace of the address that is stored.
pub fn address_hash(salt: &[u8], addr: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(salt);
    h.update(b"\0");
    h.update(addr.as_bytes());
    hex::encode(h.finalize())
}

/// The consultation whose window covers `at` for an item, or why there is none. An item may be
/// consulted on more than once; the window open now wins, then the one about to open, then the
/// latest one (for the message).
fn window_of(
    conn: &mut DbConnection,
    consultation: Option<i64>,
    item_id: i64,
    at: NaiveDateTime,
) -> Result<i64, CommentError> {
    let mut q = consultation_items::table
        .inner_join(consultations::table)
        .filter(consultation_items::item_id.eq(item_id))
        .into_boxed();
    if let Some(id) = consultation {
        q = q.filter(consultations::id.eq(id));
    }
    let windows: Vec<(i64, NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)> = q
        .select((
            consultations::id,
            consultations::starts_at,
            consultations::ends_at,
            consultations::closed_at,
        ))
        .order(consultations::id.desc())
        .load(conn)?;
    if windows.is_empty() {
        return Err(CommentError::NotConsulted);
    }
    if let Some((id, ..)) = windows
        .iter()
        .find(|(_, s, e, closed)| closed.is_none() && *s <= at && at < *e)
    {
        return Ok(*id);
    }
    if windows
        .iter()
        .any(|(_, s, _, closed)| closed.is_none() && at < *s)
    {
        return Err(CommentError::NotYetOpen);
    }
    Err(CommentError::Ended)
}

/// Stores a comment on an item while a window on it is open (the given one, or any); it waits
/// for moderation.
pub fn submit_comment(
    conn: &mut DbConnection,
    consultation: Option<i64>,
    item_id: i64,
    comment: &ValidComment,
    address_hash: &str,
    at: NaiveDateTime,
) -> Result<i64, CommentError> {
    write_transaction(conn, |conn| {
        let consultation_id = window_of(conn, consultation, item_id, at)?;
        let id: i64 = diesel::insert_into(comments::table)
            .values((
                comments::consultation_id.eq(consultation_id),
                comments::item_id.eq(item_id),
                comments::stance.eq(comment.stance.code()),
                comments::body.eq(&comment.body),
                comments::author_name.eq(&comment.name),
                comments::author_contact.eq(&comment.contact),
                comments::address_hash.eq(address_hash),
                comments::state.eq("pending"),
                comments::created_at.eq(at),
            ))
            .returning(comments::id)
            .get_result(conn)?;
        // The audit names the comment, never its author or contact.
        audit::record(
            conn,
            &Actor {
                name: "public".to_string(),
                user_id: None,
            },
            Change {
                action: "comment.submit",
                entity: "comment",
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(serde_json::json!({
                    "consultation_id": consultation_id, "item_id": item_id,
                    "stance": comment.stance.code(), "state": "pending",
                })),
            },
        )?;
        Ok(id)
    })
}

/// The region a consultation's round belongs to (who may moderate it), if it exists.
pub fn region_of(conn: &mut DbConnection, consultation_id: i64) -> QueryResult<Option<i64>> {
    use crate::db::schema::rounds;
    consultations::table
        .inner_join(rounds::table)
        .filter(consultations::id.eq(consultation_id))
        .select(rounds::region_id)
        .first(conn)
        .optional()
}

/// The consultation a comment belongs to, if the comment exists.
pub fn consultation_of_comment(
    conn: &mut DbConnection,
    comment_id: i64,
) -> QueryResult<Option<i64>> {
    comments::table
        .find(comment_id)
        .select(comments::consultation_id)
        .first(conn)
        .optional()
}

/// Approves or rejects a comment. A rejection needs a reason; the comment is kept either way.
pub fn moderate(
    conn: &mut DbConnection,
    actor: &Actor,
    comment_id: i64,
    decision: &str,
    reason: Option<&str>,
) -> Result<(), CommentError> {
    let state = match decision.trim() {
        "approve" | "approved" => "approved",
        "reject" | "rejected" => "rejected",
        _ => return Err(CommentError::Decision),
    };
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if state == "rejected" && reason.is_none() {
        return Err(CommentError::ReasonRequired);
    }
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
        return Err(CommentError::ReasonTooLong);
    }
    write_transaction(conn, |conn| {
        let (before, before_reason): (String, Option<String>) = comments::table
            .find(comment_id)
            .select((comments::state, comments::moderation_reason))
            .first(conn)?;
        diesel::update(comments::table.find(comment_id))
            .set((
                comments::state.eq(state),
                comments::moderation_reason.eq(reason),
                comments::moderated_by.eq(actor.user_id),
                comments::moderated_at.eq(Some(now())),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "comment.moderate",
                entity: "comment",
                entity_id: Some(comment_id.to_string()),
                before: Some(serde_json::json!({"state": before, "reason": before_reason})),
                after: Some(serde_json::json!({"state": state, "reason": reason})),
            },
        )?;
        Ok(())
    })
}

/// One consultation as lists show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ConsultationView {
    pub id: i64,
    pub round_id: i64,
    pub title: String,
    pub notice: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    /// `upcoming`, `open`, `ended` (past its end, not yet closed) or `closed`.
    pub status: &'static str,
    pub item_count: i64,
}

fn status_at(
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    closed_at: Option<NaiveDateTime>,
    at: NaiveDateTime,
) -> &'static str {
    if closed_at.is_some() {
        "closed"
    } else if at < starts_at {
        "upcoming"
    } else if at < ends_at {
        "open"
    } else {
        "ended"
    }
}

type ConsultationRow = (
    i64,
    i64,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

/// Every consultation, newest first; with `regions`, only those of rounds in these regions.
pub fn list(
    conn: &mut DbConnection,
    regions: Option<&[i64]>,
    at: NaiveDateTime,
) -> QueryResult<Vec<ConsultationView>> {
    use crate::db::schema::rounds;
    let mut q = consultations::table
        .inner_join(rounds::table)
        .select((
            consultations::id,
            consultations::round_id,
            consultations::title,
            consultations::notice,
            consultations::starts_at,
            consultations::ends_at,
            consultations::closed_at,
        ))
        .order(consultations::id.desc())
        .into_boxed();
    if let Some(ids) = regions {
        q = q.filter(rounds::region_id.eq_any(ids.to_vec()));
    }
    let rows: Vec<ConsultationRow> = q.load(conn)?;
    let counts: Vec<(i64, i64)> = consultation_items::table
        .group_by(consultation_items::consultation_id)
        .select((
            consultation_items::consultation_id,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let counts: HashMap<i64, i64> = counts.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(
            |(id, round_id, title, notice, s, e, closed)| ConsultationView {
                id,
                round_id,
                title,
                notice,
                starts_at: s,
                ends_at: e,
                closed_at: closed,
                status: status_at(s, e, closed, at),
                item_count: counts.get(&id).copied().unwrap_or(0),
            },
        )
        .collect())
}

/// One consultation, if it exists.
pub fn find(
    conn: &mut DbConnection,
    id: i64,
    at: NaiveDateTime,
) -> QueryResult<Option<ConsultationView>> {
    let row: Option<ConsultationRow> = consultations::table
        .find(id)
        .select((
            consultations::id,
            consultations::round_id,
            consultations::title,
            consultations::notice,
            consultations::starts_at,
            consultations::ends_at,
            consultations::closed_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, round_id, title, notice, s, e, closed)) = row else {
        return Ok(None);
    };
    let item_count: i64 = consultation_items::table
        .filter(consultation_items::consultation_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(Some(ConsultationView {
        id,
        round_id,
        title,
        notice,
        starts_at: s,
        ends_at: e,
        closed_at: closed,
        status: status_at(s, e, closed, at),
        item_count,
    }))
}

/// A comment as the public sees it: no name, no contact, no address hash.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicComment {
    pub id: i64,
    pub stance: &'static str,
    pub body: String,
    pub created_at: NaiveDateTime,
}

/// An item of a consultation with its department's reasons and its approved comments.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ConsultedItem {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub department: String,
    pub licence: Option<String>,
    pub proposed: Option<String>,
    pub reason: Option<String>,
    pub summary: Option<String>,
    pub comments: Vec<PublicComment>,
}

/// The items of a consultation, in id order, each with its approved comments (oldest first).
pub fn items_of(conn: &mut DbConnection, consultation_id: i64) -> QueryResult<Vec<ConsultedItem>> {
    use crate::db::schema::departments;
    type Row = (
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = consultation_items::table
        .inner_join(items::table.inner_join(departments::table))
        .filter(consultation_items::consultation_id.eq(consultation_id))
        .select((
            items::id,
            items::kind,
            items::name,
            departments::name,
            items::licence,
            items::proposed,
            items::reason,
            consultation_items::summary,
        ))
        .order(items::id)
        .load(conn)?;
    let approved: Vec<(i64, i64, String, String, NaiveDateTime)> = comments::table
        .filter(comments::consultation_id.eq(consultation_id))
        .filter(comments::state.eq("approved"))
        .select((
            comments::id,
            comments::item_id,
            comments::stance,
            comments::body,
            comments::created_at,
        ))
        .order(comments::id)
        .load(conn)?;
    let mut by_item: HashMap<i64, Vec<PublicComment>> = HashMap::new();
    for (id, item, stance, body, created_at) in approved {
        by_item.entry(item).or_default().push(PublicComment {
            id,
            stance: Stance::from_code(&stance).unwrap_or(Stance::Other).code(),
            body,
            created_at,
        });
    }
    Ok(rows
        .into_iter()
        .map(
            |(id, kind, name, department, licence, proposed, reason, summary)| ConsultedItem {
                comments: by_item.remove(&id).unwrap_or_default(),
                id,
                kind,
                name,
                department,
                licence,
                proposed,
                reason,
                summary,
            },
        )
        .collect())
}

/// A comment as the office sees it: everything, for moderation and the necessity assessment.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OfficeComment {
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub stance: String,
    pub body: String,
    pub author_name: Option<String>,
    pub author_contact: Option<String>,
    pub address_hash: String,
    pub state: String,
    pub moderation_reason: Option<String>,
    pub moderated_by: Option<String>,
    pub moderated_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Every comment of a consultation, every state, oldest first; `state` narrows it.
pub fn comments_of(
    conn: &mut DbConnection,
    consultation_id: i64,
    state: Option<&str>,
) -> QueryResult<Vec<OfficeComment>> {
    use crate::db::schema::users;
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<NaiveDateTime>,
        NaiveDateTime,
    );
    let mut q = comments::table
        .inner_join(items::table)
        .left_join(users::table.on(comments::moderated_by.eq(users::id.nullable())))
        .filter(comments::consultation_id.eq(consultation_id))
        .select((
            comments::id,
            comments::item_id,
            items::name,
            comments::stance,
            comments::body,
            comments::author_name,
            comments::author_contact,
            comments::address_hash,
            comments::state,
            comments::moderation_reason,
            users::username.nullable(),
            comments::moderated_at,
            comments::created_at,
        ))
        .order(comments::id)
        .into_boxed();
    if let Some(s) = state {
        q = q.filter(comments::state.eq(s.to_string()));
    }
    let rows: Vec<Row> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| OfficeComment {
            id: r.0,
            item_id: r.1,
            item_name: r.2,
            stance: r.3,
            body: r.4,
            author_name: r.5,
            author_contact: r.6,
            address_hash: r.7,
            state: r.8,
            moderation_reason: r.9,
            moderated_by: r.10,
            moderated_at: r.11,
            created_at: r.12,
        })
        .collect())
}

/// How many comments an item has, by stance and state.
#[derive(Debug, Clone, Default, serde::Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Tally {
    pub item_id: i64,
    pub item_name: String,
    pub support: i64,
    pub oppose: i64,
    pub other: i64,
    pub pending: i64,
    pub approved: i64,
    pub rejected: i64,
    pub total: i64,
}

/// The counts per item and stance (and per state) of a consultation, one row per item.
pub fn tallies(conn: &mut DbConnection, consultation_id: i64) -> QueryResult<Vec<Tally>> {
    let item_rows: Vec<(i64, String)> = consultation_items::table
        .inner_join(items::table)
        .filter(consultation_items::consultation_id.eq(consultation_id))
        .select((items::id, items::name))
        .order(items::id)
        .load(conn)?;
    let counts: Vec<(i64, String, String, i64)> = comments::table
        .filter(comments::consultation_id.eq(consultation_id))
        .group_by((comments::item_id, comments::stance, comments::state))
        .select((
            comments::item_id,
            comments::stance,
            comments::state,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let mut out: Vec<Tally> = item_rows
        .into_iter()
        .map(|(item_id, item_name)| Tally {
            item_id,
            item_name,
            ..Tally::default()
        })
        .collect();
    for (item, stance, state, n) in counts {
        let Some(t) = out.iter_mut().find(|t| t.item_id == item) else {
            continue;
        };
        match stance.as_str() {
            "support" => t.support += n,
            "oppose" => t.oppose += n,
            _ => t.other += n,
        }
        match state.as_str() {
            "approved" => t.approved += n,
            "rejected" => t.rejected += n,
            _ => t.pending += n,
        }
        t.total += n;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(stance: &str, body: &str) -> CommentInput {
        CommentInput {
            stance: Some(stance.to_string()),
            body: Some(body.to_string()),
            name: None,
            contact: None,
        }
    }

    #[test]
    fn the_body_limit_counts_characters_not_bytes() {
        assert!(
            input("support", &"意".repeat(MAX_BODY_CHARS))
                .validate()
                .is_ok()
        );
        assert_eq!(
            input("support", &"意".repeat(MAX_BODY_CHARS + 1))
                .validate()
                .unwrap_err(),
            CommentError::BodyTooLong
        );
        assert_eq!(
            input("support", " \n ").validate().unwrap_err(),
            CommentError::BodyEmpty
        );
        assert_eq!(
            input("neutral", "x").validate().unwrap_err(),
            CommentError::Stance
        );
        let mut long_name = input("other", "x");
        long_name.name = Some("名".repeat(MAX_NAME_CHARS + 1));
        assert_eq!(
            long_name.validate().unwrap_err(),
            CommentError::AuthorTooLong
        );
    }

    #[test]
    fn the_address_hash_is_salted_and_never_the_address() {
        let a = address_hash(b"salt-1", "192.0.2.1");
        assert_eq!(a.len(), 64);
        assert!(!a.contains("192"));
        assert_eq!(a, address_hash(b"salt-1", "192.0.2.1"));
        assert_ne!(a, address_hash(b"salt-2", "192.0.2.1"));
        assert_ne!(a, address_hash(b"salt-1", "192.0.2.2"));
    }

    #[test]
    fn messages_come_in_either_language() {
        assert_eq!(
            CommentError::ReasonRequired.message(crate::domain::Lang::Zh),
            "不予采用须写明理由"
        );
        assert_eq!(
            CommentError::ReasonRequired.message(crate::domain::Lang::En),
            "A rejection needs a reason"
        );
    }
}
