//! Public consultation windows (公开征求社会各界意见) on items proposed for retention: opening a
//! window on a set of items and closing it with a per-item summary, which R10 reads. The public
//! comment side builds on these rows.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::audit::{self, Actor, Change};
use crate::db::schema::{consultation_items, consultations, items};
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
