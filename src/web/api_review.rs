//! The office's review over the API: the consolidated list, an item, decisions (one and bulk),
//! legal documents, and publishing a round.

use diesel::prelude::*;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, put, routes};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Principal, Reviewer};
use super::{ApiResult, AppError, Lang};
use crate::db::schema::{departments, items};
use crate::db::scope::{Ids, Scope};
use crate::db::{Db, DbConnection, DbError};
use crate::domain::{Disposition, Kind, Severity};
use crate::service::decisions::{self, DecisionError, DecisionInput};
use crate::service::documents::{self, DocumentError, DocumentInput};
use crate::service::publish::{self, PublishError};
use crate::service::review::{self, ItemFilter, Sort, Visible};
use crate::service::submit;

/// The departments a scope reaches, as the list query takes them.
pub fn visible(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Visible> {
    Ok(match scope.department_ids(conn)? {
        Ids::All => Visible::All,
        Ids::Only(ids) => Visible::Departments(ids),
    })
}

fn bad(code: &'static str, zh: String, en: String) -> AppError {
    AppError::new(Status::BadRequest, code, zh, en)
}

/// A whole-number query parameter; anything else is a 400 that names it.
pub fn number<T: std::str::FromStr>(
    name: &'static str,
    value: Option<&str>,
) -> Result<Option<T>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<T>().map(Some).map_err(|_| {
            bad(
                "bad_parameter",
                format!(
                    "参数 {name} 应为正整数，而不是“{}”",
                    v.chars().take(40).collect::<String>()
                ),
                format!(
                    "{name} must be a whole number, not “{}”",
                    v.chars().take(40).collect::<String>()
                ),
            )
        }),
    }
}

/// Parses the query parameters of the list; every malformed value is a 400 naming it.
#[allow(clippy::too_many_arguments)]
pub fn parse_filter(
    department: Option<i64>,
    kind: Option<&str>,
    rule: Option<&str>,
    severity: Option<&str>,
    proposed: Option<&str>,
    state: Option<&str>,
    q: Option<&str>,
    sort: Option<&str>,
    page: Option<u32>,
    per_page: Option<u32>,
) -> Result<ItemFilter, AppError> {
    fn nonempty(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let kind = match nonempty(kind) {
        Some(k) => Some(Kind::from_code(k).ok_or_else(|| {
            bad(
                "bad_kind",
                format!("kind 只能是 inspection 或 training，而不是“{k}”"),
                format!("kind must be inspection or training, not “{k}”"),
            )
        })?),
        None => None,
    };
    let rule = match nonempty(rule) {
        Some(r) => {
            let up = r.to_ascii_uppercase();
            if crate::domain::rules::rule(&up).is_none() {
                return Err(bad(
                    "bad_rule",
                    format!("没有规则“{r}”（R01–R11）"),
                    format!("No rule “{r}” (R01–R11)"),
                ));
            }
            Some(up)
        }
        None => None,
    };
    let severity = match nonempty(severity) {
        Some(s) => Some(Severity::from_code(s).ok_or_else(|| {
            bad(
                "bad_severity",
                format!("severity 只能是 error、warning 或 info，而不是“{s}”"),
                format!("severity must be error, warning or info, not “{s}”"),
            )
        })?),
        None => None,
    };
    let proposed = match nonempty(proposed) {
        Some(p) => Some(Disposition::from_code(p).ok_or_else(|| {
            bad(
                "bad_proposed",
                format!("无法识别的处理意见“{p}”"),
                format!("Unknown disposition “{p}”"),
            )
        })?),
        None => None,
    };
    let state = match nonempty(state) {
        Some(s @ ("submitted" | "under_review" | "decided" | "published" | "undecided")) => {
            Some(s.to_string())
        }
        Some(s) => {
            return Err(bad(
                "bad_state",
                format!(
                    "state 只能是 submitted、under_review、decided、published 或 undecided，而不是“{s}”"
                ),
                format!("Unknown state “{s}”"),
            ));
        }
        None => None,
    };
    let sort = match nonempty(sort) {
        Some(s) => Some(Sort::from_code(s).ok_or_else(|| {
            bad(
                "bad_sort",
                format!("无法按“{s}”排序"),
                format!("Cannot sort by “{s}”"),
            )
        })?),
        None => None,
    };
    let q = nonempty(q).map(|s| s.chars().take(100).collect());
    Ok(ItemFilter {
        department,
        kind,
        rule,
        severity,
        proposed,
        state,
        q,
        sort,
        page: page.unwrap_or(1).max(1),
        per_page: per_page.unwrap_or(50).clamp(1, review::MAX_PER_PAGE),
    })
}

#[allow(clippy::too_many_arguments)]
#[get(
    "/api/v1/rounds/<round>/items?<department>&<kind>&<rule>&<severity>&<proposed>&<state>&<q>&<sort>&<page>&<per_page>"
)]
async fn api_items(
    who: Principal,
    db: &State<Db>,
    lang: Lang,
    round: i64,
    department: Option<&str>,
    kind: Option<&str>,
    rule: Option<&str>,
    severity: Option<&str>,
    proposed: Option<&str>,
    state: Option<&str>,
    q: Option<&str>,
    sort: Option<&str>,
    page: Option<&str>,
    per_page: Option<&str>,
) -> ApiResult<Json<Value>> {
    let filter = parse_filter(
        number("department", department)?,
        kind,
        rule,
        severity,
        proposed,
        state,
        q,
        sort,
        number("page", page)?,
        number("per_page", per_page)?,
    )?;
    let scope = who.scope();
    let page = db
        .run(move |c| round_items(c, &scope, round, &filter, lang).map_err(DbError::from))
        .await?;
    match page {
        Some(page) => Ok(Json(serde_json::to_value(page).unwrap_or_default())),
        None => Err(AppError::not_found("未找到该清理批次", "No such round")),
    }
}

/// One page of a round's consolidated list as the caller may see it; `None` when the round is
/// out of reach. Shared by the API and the list page.
pub fn round_items(
    conn: &mut DbConnection,
    scope: &Scope,
    round: i64,
    filter: &ItemFilter,
    lang: Lang,
) -> QueryResult<Option<review::Page<review::ItemSummary>>> {
    if !submit::round_visible(conn, scope, round)? {
        return Ok(None);
    }
    let visible = visible(conn, scope)?;
    review::list_items(conn, &visible, round, filter, lang).map(Some)
}

/// The registry document a basis matched: id, title, 文号, status (all null when none).
type MatchedDocument = (Option<i64>, Option<String>, Option<String>, Option<String>);

/// An item with everything the review page needs, if the caller may see it.
pub fn item_detail(
    conn: &mut DbConnection,
    scope: &Scope,
    id: i64,
    lang: Lang,
) -> QueryResult<Option<Value>> {
    let row: Option<(crate::db::items::ItemRow, (String, String, i64))> = items::table
        .inner_join(departments::table)
        .filter(items::id.eq(id))
        .select((
            crate::db::items::ItemRow::as_select(),
            (departments::name, departments::code, departments::region_id),
        ))
        .first(conn)
        .optional()?;
    let Some((item, (department, department_code, dep_region))) = row else {
        return Ok(None);
    };
    if !scope.allows_department(item.department_id, dep_region) {
        return Ok(None);
    }
    let bases = crate::db::items::bases_of(conn, &[id])?
        .remove(&id)
        .unwrap_or_default();
    // The registry document each basis matched, in the bases' order.
    let matched: Vec<MatchedDocument> = crate::db::schema::legal_bases::table
        .left_join(crate::db::schema::legal_documents::table)
        .filter(crate::db::schema::legal_bases::item_id.eq(id))
        .order(crate::db::schema::legal_bases::position)
        .select((
            crate::db::schema::legal_documents::id.nullable(),
            crate::db::schema::legal_documents::title.nullable(),
            crate::db::schema::legal_documents::doc_number.nullable(),
            crate::db::schema::legal_documents::status.nullable(),
        ))
        .load(conn)?;
    let bases: Vec<Value> = bases
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let mut v = serde_json::to_value(b).unwrap_or_default();
            v["document"] = match matched.get(i) {
                Some((Some(doc), title, number, status)) => {
                    json!({"id": doc, "title": title, "doc_number": number, "status": status})
                }
                _ => Value::Null,
            };
            v
        })
        .collect();
    let findings: Vec<Value> = crate::db::items::findings_of(conn, &[id])?
        .into_iter()
        .map(|f| {
            json!({"code": f.code, "severity": f.severity, "message": f.message(lang), "resolved": f.resolved})
        })
        .collect();
    let history = decisions::history(conn, id)?;
    Ok(Some(json!({
        "id": item.id,
        "round_id": item.round_id,
        "department_id": item.department_id,
        "department": department,
        "department_code": department_code,
        "kind": item.kind,
        "name": item.name,
        "licence": item.licence,
        "licence_code": item.licence_code,
        "target": item.target,
        "cycle_months": item.cycle_months,
        "cycle_text": item.cycle_text,
        "annual_report": item.annual_report,
        "self_set": item.self_set,
        "legal_bases": bases,
        "proposed": item.proposed,
        "proposed_cycle_months": item.proposed_cycle_months,
        "reason": item.reason,
        "remarks": item.remarks,
        "tied_to": item.tied_to,
        "hours": item.hours,
        "fee": item.fee,
        "fee_basis": item.fee_basis,
        "provider": item.provider,
        "provider_designated": item.provider_designated,
        "sheet": item.sheet,
        "row": item.row_number,
        "state": item.state,
        "withdrawn": item.withdrawn,
        "findings": findings,
        "decisions": history,
    })))
}

#[get("/api/v1/items/<id>")]
async fn api_item(who: Principal, db: &State<Db>, lang: Lang, id: i64) -> ApiResult<Json<Value>> {
    let scope = who.scope();
    db.run(move |c| item_detail(c, &scope, id, lang).map_err(DbError::from))
        .await?
        .map(Json)
        .ok_or_else(|| AppError::not_found("未找到该事项", "No such item"))
}

pub fn decision_error(e: &DecisionError) -> AppError {
    let status = match e {
        DecisionError::ItemNotFound => Status::NotFound,
        DecisionError::Published | DecisionError::Withdrawn => Status::Conflict,
        DecisionError::Db(_) => Status::InternalServerError,
        _ => Status::UnprocessableEntity,
    };
    AppError::new(status, e.code(), e.message(Lang::Zh), e.message(Lang::En))
}

/// The round of an item, if the caller may see the item.
fn item_round(conn: &mut DbConnection, scope: &Scope, id: i64) -> QueryResult<Option<i64>> {
    let row: Option<(i64, i64, i64)> = items::table
        .inner_join(departments::table)
        .filter(items::id.eq(id))
        .select((
            items::round_id,
            items::department_id,
            departments::region_id,
        ))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(round, dep, region)| scope.allows_department(dep, region).then_some(round)))
}

/// Records a decision on an item the caller may see (else "not found"). Shared by the API and
/// the item page.
pub fn decide_item(
    conn: &mut DbConnection,
    scope: &Scope,
    actor: &crate::db::audit::Actor,
    id: i64,
    input: &DecisionInput,
) -> QueryResult<Result<decisions::DecisionRow, DecisionError>> {
    let Some(round) = item_round(conn, scope, id)? else {
        return Ok(Err(DecisionError::ItemNotFound));
    };
    Ok(decisions::decide(conn, actor, round, id, input))
}

#[post("/api/v1/items/<id>/decision", format = "json", data = "<body>")]
async fn api_decide(
    who: Reviewer,
    db: &State<Db>,
    id: i64,
    body: Json<DecisionInput>,
) -> ApiResult<(Status, Json<Value>)> {
    let scope = who.scope();
    let actor = who.actor();
    let input = body.into_inner();
    let result = db
        .run(move |c| decide_item(c, &scope, &actor, id, &input).map_err(DbError::from))
        .await?;
    match result {
        Ok(row) => Ok((Status::Created, Json(json!({"decision": row})))),
        Err(e) => Err(decision_error(&e)),
    }
}

/// The items a bulk decision covers: listed, or everything the list's filters pick.
pub enum Selected {
    Ids(Vec<i64>),
    Filter(ItemFilter),
}

/// One decision over many items of a round, all or nothing. `Err(None)`: the round is out of
/// reach; `Err(Some((item, why)))`: the item that stopped it. Shared by the API and the list
/// page's bulk form.
pub fn decide_selected(
    c: &mut DbConnection,
    scope: &Scope,
    actor: &crate::db::audit::Actor,
    round: i64,
    selection: Selected,
    input: &DecisionInput,
    lang: Lang,
) -> QueryResult<Result<usize, Option<(i64, DecisionError)>>> {
    if !submit::round_visible(c, scope, round)? {
        return Ok(Err(None));
    }
    let visible = visible(c, scope)?;
    let ids: Vec<i64> = match selection {
        Selected::Ids(ids) => {
            // Items outside the caller's reach are "not found", like any other.
            for &id in &ids {
                if item_round(c, scope, id)?.is_none() {
                    return Ok(Err(Some((id, DecisionError::ItemNotFound))));
                }
            }
            ids
        }
        Selected::Filter(mut f) => {
            f.page = 1;
            f.per_page = review::MAX_PER_PAGE;
            let mut all = Vec::new();
            loop {
                let page = review::list_items(c, &visible, round, &f, lang)?;
                all.extend(page.items.iter().map(|i| i.id));
                if i64::from(f.page) >= page.pages {
                    break;
                }
                f.page += 1;
            }
            all
        }
    };
    Ok(match decisions::decide_many(c, actor, round, &ids, input) {
        Ok(n) => Ok(n),
        Err(e) => Err(Some((e.item_id.unwrap_or(0), e.error))),
    })
}

/// Exactly one of `item_ids` and `filter` selects the items.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct BulkBody {
    /// The items to decide; or `filter` to pick them.
    item_ids: Option<Vec<i64>>,
    filter: Option<BulkFilter>,
    decision: String,
    cycle_months: Option<u32>,
    rationale: String,
    necessity: Option<String>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub(crate) struct BulkFilter {
    department: Option<i64>,
    kind: Option<String>,
    rule: Option<String>,
    severity: Option<String>,
    proposed: Option<String>,
    state: Option<String>,
    q: Option<String>,
}

/// One decision over many items — listed, or picked by the list's filters ("accept every
/// proposed cancellation of department X"). All or nothing.
#[post("/api/v1/rounds/<round>/decisions", format = "json", data = "<body>")]
async fn api_decide_many(
    who: Reviewer,
    db: &State<Db>,
    lang: Lang,
    round: i64,
    body: Json<BulkBody>,
) -> ApiResult<(Status, Json<Value>)> {
    let scope = who.scope();
    let actor = who.actor();
    let body = body.into_inner();
    let filter = match &body.filter {
        Some(f) => Some(parse_filter(
            f.department,
            f.kind.as_deref(),
            f.rule.as_deref(),
            f.severity.as_deref(),
            f.proposed.as_deref(),
            f.state.as_deref(),
            f.q.as_deref(),
            None,
            Some(1),
            Some(review::MAX_PER_PAGE),
        )?),
        None => None,
    };
    if body.item_ids.is_none() == filter.is_none() {
        return Err(bad(
            "bad_selection",
            "请给出 item_ids（事项编号列表）或 filter（筛选条件）之一".into(),
            "Give exactly one of item_ids or filter".into(),
        ));
    }
    let input = DecisionInput {
        decision: body.decision,
        cycle_months: body.cycle_months,
        rationale: body.rationale,
        necessity: body.necessity,
    };
    let selection = match (body.item_ids, filter) {
        (Some(ids), _) => Selected::Ids(ids),
        (None, Some(f)) => Selected::Filter(f),
        (None, None) => Selected::Ids(Vec::new()),
    };
    let result = db
        .run(move |c| {
            decide_selected(c, &scope, &actor, round, selection, &input, lang)
                .map_err(DbError::from)
        })
        .await?;
    match result {
        Ok(n) => Ok((Status::Created, Json(json!({"decided": n})))),
        Err(None) => Err(AppError::not_found("未找到该清理批次", "No such round")),
        Err(Some((id, e))) => Err(decision_error(&e).with_detail(json!({"item_id": id}))),
    }
}

#[post("/api/v1/rounds/<round>/publications")]
async fn api_publish(
    who: Reviewer,
    db: &State<Db>,
    lang: Lang,
    round: i64,
) -> ApiResult<(Status, Json<Value>)> {
    let scope = who.scope();
    let actor = who.actor();
    let result = db
        .run(move |c| {
            if !submit::round_visible(c, &scope, round)? {
                return Ok(Err(PublishError::RoundNotFound));
            }
            // Publishing a round needs reach over its whole region, not a part of it.
            if let Scope::Regions(ids) = &scope {
                use crate::db::schema::rounds;
                let region: i64 = rounds::table
                    .find(round)
                    .select(rounds::region_id)
                    .first(c)?;
                if !ids.contains(&region) {
                    return Ok(Err(PublishError::RoundNotFound));
                }
            }
            Ok::<_, DbError>(publish::publish(c, &actor, round))
        })
        .await?;
    match result {
        Ok(row) => Ok((Status::Created, Json(json!({"publication": row})))),
        Err(PublishError::Blocked(items)) => Err(AppError::new(
            Status::Conflict,
            "publication_blocked",
            PublishError::Blocked(items.clone()).message(Lang::Zh),
            PublishError::Blocked(items.clone()).message(Lang::En),
        )
        .with_detail(json!({"blocking": items, "lang": lang.pick("zh", "en")}))),
        Err(e @ PublishError::NothingDecided) => Err(AppError::new(
            Status::Conflict,
            e.code(),
            e.message(Lang::Zh),
            e.message(Lang::En),
        )),
        Err(e @ PublishError::RoundNotFound) => Err(AppError::not_found(
            e.message(Lang::Zh),
            e.message(Lang::En),
        )),
        Err(PublishError::Db(e)) => Err(AppError::from(e)),
    }
}

pub fn document_error(e: &DocumentError) -> AppError {
    let status = match e {
        DocumentError::NotFound => Status::NotFound,
        DocumentError::DuplicateTitle(_) => Status::Conflict,
        DocumentError::Db(_) => Status::InternalServerError,
        _ => Status::UnprocessableEntity,
    };
    AppError::new(status, e.code(), e.message(Lang::Zh), e.message(Lang::En))
}

#[get("/api/v1/documents")]
async fn api_documents(_who: Reviewer, db: &State<Db>) -> ApiResult<Json<Value>> {
    let list = db
        .run(|c| documents::list(c).map_err(DbError::from))
        .await?;
    Ok(Json(json!({"documents": list})))
}

#[post("/api/v1/documents", format = "json", data = "<body>")]
async fn api_create_document(
    who: Reviewer,
    db: &State<Db>,
    body: Json<DocumentInput>,
) -> ApiResult<(Status, Json<Value>)> {
    let actor = who.actor();
    let input = body.into_inner();
    let result = db
        .run(move |c| Ok::<_, DbError>(documents::save(c, &actor, None, &input)))
        .await?;
    result
        .map(|change| (Status::Created, Json(json!(change))))
        .map_err(|e| document_error(&e))
}

#[put("/api/v1/documents/<id>", format = "json", data = "<body>")]
async fn api_update_document(
    who: Reviewer,
    db: &State<Db>,
    id: i64,
    body: Json<DocumentInput>,
) -> ApiResult<Json<Value>> {
    let actor = who.actor();
    let input = body.into_inner();
    let result = db
        .run(move |c| {
            if documents::find(c, id)?.is_none() {
                return Ok(Err(DocumentError::NotFound));
            }
            Ok::<_, DbError>(documents::save(c, &actor, Some(id), &input))
        })
        .await?;
    result
        .map(|change| Json(json!(change)))
        .map_err(|e| document_error(&e))
}

/// Imports legal documents from a spreadsheet (multipart `file`), all or nothing: 201 with what
/// was created and updated (200 when every row was already there), or 422 naming every bad row.
#[post("/api/v1/documents/import", data = "<form>")]
async fn api_import_documents(
    who: Reviewer,
    db: &State<Db>,
    settings: &State<crate::config::Settings>,
    form: rocket::form::Form<crate::web::admin::ListUpload<'_>>,
) -> ApiResult<(Status, Json<Value>)> {
    let outcome = import_documents(db, settings, &who, form.into_inner().file).await??;
    let status = if outcome.created.is_empty() && outcome.updated.is_empty() {
        Status::Ok
    } else {
        Status::Created
    };
    Ok((status, Json(json!({"import": outcome}))))
}

/// Reads an uploaded documents spreadsheet and imports it. Shared with the documents page.
pub async fn import_documents(
    db: &Db,
    settings: &crate::config::Settings,
    who: &Principal,
    file: Option<rocket::fs::TempFile<'_>>,
) -> ApiResult<Result<documents::ImportOutcome, crate::service::admin::AdminError>> {
    let (file_name, bytes) = crate::web::api_import::read_upload(file, settings).await?;
    let actor = who.actor();
    db.run(move |c| {
        Ok::<_, crate::service::admin::AdminError>(documents::import(c, &actor, &file_name, &bytes))
    })
    .await
    .map_err(AppError::from)
}

pub fn routes() -> Vec<Route> {
    routes![
        api_import_documents,
        api_items,
        api_item,
        api_decide,
        api_decide_many,
        api_publish,
        api_documents,
        api_create_document,
        api_update_document
    ]
}
