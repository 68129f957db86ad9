//! Public consultation (issue #7): the office opens a window on items proposed for retention,
//! the public comments while it is open, reviewers of the round's region moderate, count and
//! export the comments, and closing records each item's summary (which R10 reads).
//!
//! | method and path | who |
//! |---|---|
//! | `GET /consultations`, `GET /consultations/{id}` | anyone |
//! | `POST /consultations/{id}/items/{item}/comments` | anyone (form token, rate-limited) |
//! | `GET, POST /office/consultations` | reviewer (list, open a window) |
//! | `GET /office/consultations/{id}` | reviewer of the region (moderation, counts, closing) |
//! | `POST /office/consultations/{id}/close`, `POST /office/comments/{id}/moderate` | reviewer of the region |
//! | `GET /api/v1/consultations`, `GET /api/v1/consultations/{id}` | anyone |
//! | `POST /api/v1/items/{id}/comments` | anyone (rate-limited) |
//! | `POST /api/v1/rounds/{id}/consultations` | reviewer of the round's region |
//! | `POST /api/v1/consultations/{id}/close` | reviewer of the region |
//! | `GET /api/v1/consultations/{id}/comments`, `…/comments.xlsx` | reviewer of the region |
//! | `POST /api/v1/comments/{id}/moderation` | reviewer of the region |
//!
//! **Anonymous forms.** No session exists, so the comment form carries a token that is also kept
//! in a private cookie of its own (double submit), as the sign-in form does. The JSON route needs
//! none: a cross-site page cannot send `application/json` without a CORS preflight we never allow.
//!
//! **Honeypot.** The forms carry a field (`website`) that people never see (hidden by a CSS
//! class) and bots fill in. A filled one gets the same answer as a real comment (202 from the
//! API, the "thank you" page) and nothing is stored, so a bot learns nothing.
//!
//! **Limits.** Per address (a burst per minute, a budget per hour) and overall per minute, with
//! governor; past them the answer is 429 with `Retry-After` and a Chinese message. The address
//! itself is never stored: only SHA-256 of a salt derived from the secret key and the address.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use minijinja::context;
use minijinja::value::Value;
use rocket::form::{Form, FromForm};
use rocket::http::{ContentType, Cookie, CookieJar, Header, Status};
use rocket::response::{self, Redirect, Responder};
use rocket::serde::json::Json;
use rocket::{Request, Response, Route, State, get, post, routes};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::account_routes::ClientAddr;
use super::auth::Reviewer;
use super::pages::{Page, PageContext};
use super::{ApiResult, AppError, Lang};
use crate::config::Settings;
use crate::db::schema::{findings, items, rounds};
use crate::db::sessions::{constant_time_eq, random_secret};
use crate::db::{Db, DbConnection, DbError, now};
use crate::export::comments as comments_xlsx;
use crate::service::admin::time;
use crate::service::consultation::{
    self as service, CommentError, CommentInput, ConsultationError, ConsultationView, Stance,
};

/// The comment form's own token cookie (no session exists for the public).
pub const COMMENT_COOKIE: &str = "nianjian_comment";
/// The honeypot field of the comment forms and the API.
pub const HONEYPOT_FIELD: &str = "website";

fn v<T: Serialize>(x: T) -> Value {
    Value::from(minijinja::value::Serde(x))
}

// ---------------------------------------------------------------------------------------------
// The gate: rate limits and the address hash

/// The rate limits of comments and the salt of the address hash, held as Rocket state.
pub struct CommentGate {
    minute: DefaultKeyedRateLimiter<IpAddr>,
    hour: DefaultKeyedRateLimiter<IpAddr>,
    overall: DefaultDirectRateLimiter,
    clock: DefaultClock,
    salt: [u8; 32],
}

impl CommentGate {
    /// Limits from the settings; the salt from the secret key (a random one when there is
    /// none, e.g. in a debug run: hashes then only compare within one process's life).
    pub fn new(settings: &Settings, secret_key: Option<&str>) -> CommentGate {
        let nz = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        let salt: [u8; 32] = match secret_key.filter(|k| !k.trim().is_empty()) {
            Some(key) => {
                let mut h = Sha256::new();
                h.update(b"nianjian comment address salt\0");
                h.update(key.trim().as_bytes());
                h.finalize().into()
            }
            None => rand::random(),
        };
        CommentGate {
            minute: RateLimiter::keyed(Quota::per_minute(nz(settings.comment_per_minute))),
            hour: RateLimiter::keyed(Quota::per_hour(nz(settings.comment_per_hour))),
            overall: RateLimiter::direct(Quota::per_minute(
                nz(settings.comment_overall_per_minute),
            )),
            clock: DefaultClock::default(),
            salt,
        }
    }

    /// Counts a comment of an address; `Err(wait)` when it (or everyone) must wait. The
    /// overall budget is only spent by comments the address's own limit lets through.
    pub fn check(&self, addr: IpAddr) -> Result<(), Duration> {
        if self.minute.len() > 10_000 {
            self.minute.retain_recent();
            self.hour.retain_recent();
        }
        let now = self.clock.now();
        self.minute
            .check_key(&addr)
            .map_err(|n| n.wait_time_from(now))?;
        self.hour
            .check_key(&addr)
            .map_err(|n| n.wait_time_from(now))?;
        self.overall.check().map_err(|n| n.wait_time_from(now))
    }

    /// The salted SHA-256 of an address, the only trace of it that is stored.
    pub fn hash(&self, addr: IpAddr) -> String {
        service::address_hash(&self.salt, &addr.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

fn comment_error(e: &CommentError) -> AppError {
    let status = match e {
        CommentError::NotFound | CommentError::NotConsulted => Status::NotFound,
        CommentError::NotYetOpen | CommentError::Ended => Status::Conflict,
        CommentError::Db(_) => Status::InternalServerError,
        _ => Status::UnprocessableEntity,
    };
    AppError::new(status, e.code(), e.message(Lang::Zh), e.message(Lang::En))
}

fn consultation_error(e: &ConsultationError) -> AppError {
    let (status, code) = match e {
        ConsultationError::WindowOrder => (Status::UnprocessableEntity, "window_order"),
        ConsultationError::NoItems => (Status::UnprocessableEntity, "no_items"),
        ConsultationError::ItemOutsideRound(_) => {
            (Status::UnprocessableEntity, "item_outside_round")
        }
        ConsultationError::AlreadyClosed => (Status::Conflict, "already_closed"),
        ConsultationError::NotFound => (Status::NotFound, "not_found"),
        ConsultationError::Db(_) => (Status::InternalServerError, "internal"),
    };
    let full = e.to_string();
    let (zh, en) = match full.split_once(" (") {
        Some((zh, en)) => (zh.to_string(), en.trim_end_matches(')').to_string()),
        None => (full.clone(), full),
    };
    AppError::new(status, code, zh, en)
}

fn limited_error() -> AppError {
    AppError::new(
        Status::TooManyRequests,
        "rate_limited",
        "提交过于频繁，请稍后再试",
        "Too many comments; try again later",
    )
}

fn forbidden() -> AppError {
    AppError::new(
        Status::Forbidden,
        "forbidden",
        "只有该地区的审核人员可以处理此征求意见",
        "Only reviewers of the region may handle this consultation",
    )
}

/// An API refusal with an optional `Retry-After`.
pub struct Refusal {
    error: AppError,
    retry_after: Option<u64>,
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Refusal {
            error,
            retry_after: None,
        }
    }
}

impl From<DbError> for Refusal {
    fn from(e: DbError) -> Self {
        Refusal::from(AppError::from(e))
    }
}

impl<'r> Responder<'r, 'static> for Refusal {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = self.error.respond_to(req)?;
        if let Some(secs) = self.retry_after {
            res.set_header(Header::new("Retry-After", secs.to_string()));
        }
        Ok(res)
    }
}

/// Whether a principal may handle consultations of a round in this region.
fn may_handle(who: &Reviewer, region_id: i64) -> bool {
    who.is_admin() || who.region_ids.contains(&region_id)
}

async fn region_of(db: &Db, consultation_id: i64) -> Result<Option<i64>, AppError> {
    Ok(db
        .run(move |c| service::region_of(c, consultation_id).map_err(DbError::from))
        .await?)
}

/// 404 when the consultation does not exist, 403 when it is another region's.
async fn guard_consultation(db: &Db, who: &Reviewer, id: i64) -> Result<(), AppError> {
    match region_of(db, id).await? {
        None => Err(AppError::not_found(
            "未找到该征求意见",
            "No such consultation",
        )),
        Some(region) if !may_handle(who, region) => Err(forbidden()),
        Some(_) => Ok(()),
    }
}

async fn guard_comment(db: &Db, who: &Reviewer, comment: i64) -> Result<i64, AppError> {
    let consultation = db
        .run(move |c| service::consultation_of_comment(c, comment).map_err(DbError::from))
        .await?
        .ok_or_else(|| AppError::not_found("未找到该意见", "No such comment"))?;
    guard_consultation(db, who, consultation).await?;
    Ok(consultation)
}

// ---------------------------------------------------------------------------------------------
// Submitting a comment (shared by the page and the API)

enum Submitted {
    Stored,
    /// The honeypot was filled: nothing stored, answered like a stored comment.
    Trapped,
}

async fn submit(
    db: &Db,
    gate: &CommentGate,
    addr: Option<IpAddr>,
    item: i64,
    consultation: Option<i64>,
    input: CommentInput,
    honeypot: Option<&str>,
) -> Result<Submitted, Refusal> {
    let addr = addr.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if let Err(wait) = gate.check(addr) {
        tracing::warn!("comment rate limit reached");
        return Err(Refusal {
            error: limited_error(),
            retry_after: Some(wait.as_secs().max(1)),
        });
    }
    if honeypot.is_some_and(|h| !h.trim().is_empty()) {
        tracing::info!(item, "comment honeypot filled; nothing stored");
        return Ok(Submitted::Trapped);
    }
    let comment = input.validate().map_err(|e| comment_error(&e))?;
    let hash = gate.hash(addr);
    db.run(move |c| {
        Ok::<_, DbError>(service::submit_comment(
            c,
            consultation,
            item,
            &comment,
            &hash,
            now(),
        ))
    })
    .await?
    .map_err(|e| comment_error(&e))?;
    Ok(Submitted::Stored)
}

// ---------------------------------------------------------------------------------------------
// The JSON API

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ConsultationJson {
    #[serde(flatten)]
    view: ConsultationView,
    starts_at_beijing: String,
    ends_at_beijing: String,
}

fn consultation_json(view: ConsultationView) -> ConsultationJson {
    ConsultationJson {
        starts_at_beijing: time::rfc3339(view.starts_at),
        ends_at_beijing: time::rfc3339(view.ends_at),
        view,
    }
}

#[get("/api/v1/consultations")]
async fn api_list(db: &State<Db>) -> ApiResult<Json<serde_json::Value>> {
    let list = db
        .run(|c| service::list(c, None, now()).map_err(DbError::from))
        .await?;
    let list: Vec<ConsultationJson> = list.into_iter().map(consultation_json).collect();
    Ok(Json(json!({ "consultations": list })))
}

#[get("/api/v1/consultations/<id>")]
async fn api_show(db: &State<Db>, id: i64) -> ApiResult<Json<serde_json::Value>> {
    let found = db
        .run(move |c| -> Result<_, DbError> {
            let Some(view) = service::find(c, id, now())? else {
                return Ok(None);
            };
            Ok(Some((view, service::items_of(c, id)?)))
        })
        .await?;
    let (view, items) =
        found.ok_or_else(|| AppError::not_found("未找到该征求意见", "No such consultation"))?;
    Ok(Json(
        json!({ "consultation": consultation_json(view), "items": items }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct CommentBody {
    stance: Option<String>,
    body: Option<String>,
    name: Option<String>,
    contact: Option<String>,
    website: Option<String>,
}

#[post("/api/v1/items/<id>/comments", format = "json", data = "<body>")]
async fn api_comment(
    db: &State<Db>,
    gate: &State<CommentGate>,
    addr: ClientAddr,
    id: i64,
    body: Json<CommentBody>,
) -> Result<(Status, Json<serde_json::Value>), Refusal> {
    let body = body.into_inner();
    let input = CommentInput {
        stance: body.stance,
        body: body.body,
        name: body.name,
        contact: body.contact,
    };
    // A trapped comment gets the very same answer as a stored one.
    let _ = submit(db, gate, addr.0, id, None, input, body.website.as_deref()).await?;
    Ok((
        Status::Accepted,
        Json(json!({
            "state": "pending",
            "message": "意见已收到，经审核后公开。",
        })),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct OpenBody {
    title: String,
    #[serde(default)]
    notice: String,
    starts_at: String,
    ends_at: String,
    items: Vec<i64>,
}

fn parse_time(field: &'static str, raw: &str) -> Result<NaiveDateTime, AppError> {
    let label = match field {
        "starts_at" => ("开始时间", "Start"),
        _ => ("截止时间", "End"),
    };
    match time::parse_beijing(field, label, Some(raw)) {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(AppError::new(
            Status::UnprocessableEntity,
            "time_required",
            format!("请填写{}", label.0),
            format!("{} is required", label.1),
        )),
        Err(r) => Err(AppError::new(
            Status::UnprocessableEntity,
            "bad_time",
            r.zh.clone(),
            r.en.clone(),
        )),
    }
}

fn title_ok(title: &str) -> Result<String, AppError> {
    let t = title.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(AppError::new(
            Status::UnprocessableEntity,
            "bad_title",
            "请填写标题（不超过 200 字）",
            "Give a title (at most 200 characters)",
        ));
    }
    Ok(t.to_string())
}

fn notice_ok(notice: &str) -> Result<String, AppError> {
    if notice.chars().count() > 10_000 {
        return Err(AppError::new(
            Status::UnprocessableEntity,
            "bad_notice",
            "公告不能超过 10000 字",
            "The notice may have at most 10,000 characters",
        ));
    }
    Ok(notice.trim().to_string())
}

/// Opens a window after checking who asks and what they sent; the new id.
#[allow(clippy::too_many_arguments)]
async fn open_window(
    db: &Db,
    who: &Reviewer,
    round: i64,
    title: &str,
    notice: &str,
    starts_at: &str,
    ends_at: &str,
    item_ids: Vec<i64>,
) -> Result<i64, AppError> {
    let region: Option<i64> = db
        .run(move |c| {
            rounds::table
                .find(round)
                .select(rounds::region_id)
                .first(c)
                .optional()
                .map_err(DbError::from)
        })
        .await?;
    match region {
        None => return Err(AppError::not_found("未找到该批次", "No such round")),
        Some(r) if !may_handle(who, r) => return Err(forbidden()),
        Some(_) => {}
    }
    let title = title_ok(title)?;
    let notice = notice_ok(notice)?;
    let starts_at = parse_time("starts_at", starts_at)?;
    let ends_at = parse_time("ends_at", ends_at)?;
    let actor = who.actor();
    let result = db
        .run(move |c| {
            Ok::<_, DbError>(service::open(
                c, &actor, round, &title, &notice, starts_at, ends_at, &item_ids,
            ))
        })
        .await?;
    result.map_err(|e| consultation_error(&e))
}

#[post(
    "/api/v1/rounds/<round>/consultations",
    format = "json",
    data = "<body>"
)]
async fn api_open(
    db: &State<Db>,
    who: Reviewer,
    round: i64,
    body: Json<OpenBody>,
) -> ApiResult<(Status, Json<serde_json::Value>)> {
    let b = body.into_inner();
    let id = open_window(
        db,
        &who,
        round,
        &b.title,
        &b.notice,
        &b.starts_at,
        &b.ends_at,
        b.items,
    )
    .await?;
    Ok((Status::Created, Json(json!({ "id": id }))))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct CloseBody {
    #[serde(default)]
    summaries: HashMap<String, String>,
}

fn summaries_of(raw: HashMap<String, String>) -> Result<HashMap<i64, String>, AppError> {
    let mut out = HashMap::new();
    for (k, text) in raw {
        let id = k.trim().parse::<i64>().map_err(|_| {
            AppError::new(
                Status::UnprocessableEntity,
                "bad_item",
                format!("“{k}”不是事项编号"),
                format!("“{k}” is not an item id"),
            )
        })?;
        let text = text.trim();
        if text.chars().count() > 10_000 {
            return Err(AppError::new(
                Status::UnprocessableEntity,
                "summary_too_long",
                "意见处理情况不能超过 10000 字",
                "A summary may have at most 10,000 characters",
            ));
        }
        if !text.is_empty() {
            out.insert(id, text.to_string());
        }
    }
    Ok(out)
}

async fn close_window(
    db: &Db,
    who: &Reviewer,
    id: i64,
    summaries: HashMap<i64, String>,
) -> Result<(), AppError> {
    guard_consultation(db, who, id).await?;
    let actor = who.actor();
    let result = db
        .run(move |c| Ok::<_, DbError>(service::close(c, &actor, id, &summaries)))
        .await?;
    result.map_err(|e| consultation_error(&e))
}

#[post("/api/v1/consultations/<id>/close", format = "json", data = "<body>")]
async fn api_close(
    db: &State<Db>,
    who: Reviewer,
    id: i64,
    body: Json<CloseBody>,
) -> ApiResult<Json<serde_json::Value>> {
    let summaries = summaries_of(body.into_inner().summaries)?;
    close_window(db, &who, id, summaries).await?;
    Ok(Json(json!({ "id": id, "closed": true })))
}

#[get("/api/v1/consultations/<id>/comments?<state>")]
async fn api_comments(
    db: &State<Db>,
    who: Reviewer,
    id: i64,
    state: Option<String>,
) -> ApiResult<Json<serde_json::Value>> {
    guard_consultation(db, &who, id).await?;
    let (comments, tallies) = db
        .run(move |c| -> Result<_, DbError> {
            Ok((
                service::comments_of(c, id, state.as_deref())?,
                service::tallies(c, id)?,
            ))
        })
        .await?;
    Ok(Json(json!({ "comments": comments, "tallies": tallies })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct ModerationBody {
    decision: String,
    reason: Option<String>,
}

async fn moderate(
    db: &Db,
    who: &Reviewer,
    comment: i64,
    decision: String,
    reason: Option<String>,
) -> Result<i64, AppError> {
    let consultation = guard_comment(db, who, comment).await?;
    let actor = who.actor();
    let result = db
        .run(move |c| {
            Ok::<_, DbError>(service::moderate(
                c,
                &actor,
                comment,
                &decision,
                reason.as_deref(),
            ))
        })
        .await?;
    result.map_err(|e| comment_error(&e))?;
    Ok(consultation)
}

#[post("/api/v1/comments/<id>/moderation", format = "json", data = "<body>")]
async fn api_moderate(
    db: &State<Db>,
    who: Reviewer,
    id: i64,
    body: Json<ModerationBody>,
) -> ApiResult<Json<serde_json::Value>> {
    let b = body.into_inner();
    moderate(db, &who, id, b.decision, b.reason).await?;
    Ok(Json(json!({ "id": id, "moderated": true })))
}

/// An xlsx download.
pub struct Xlsx {
    bytes: Vec<u8>,
    file_name: String,
}

impl<'r> Responder<'r, 'static> for Xlsx {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .header(ContentType::new(
                "application",
                "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ))
            .header(Header::new(
                "Content-Disposition",
                format!(
                    "attachment; filename=\"{}\"; filename*=UTF-8''{}",
                    self.file_name.replace(
                        |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
                        "_"
                    ),
                    super::pages::url_encode(&self.file_name)
                ),
            ))
            .sized_body(self.bytes.len(), std::io::Cursor::new(self.bytes))
            .ok()
    }
}

#[get("/api/v1/consultations/<id>/comments.xlsx")]
async fn api_export(db: &State<Db>, who: Reviewer, lang: Lang, id: i64) -> ApiResult<Xlsx> {
    guard_consultation(db, &who, id).await?;
    let (title, comments) = db
        .run(move |c| -> Result<_, DbError> {
            let title = service::find(c, id, now())?
                .map(|v| v.title)
                .unwrap_or_default();
            Ok((title, service::comments_of(c, id, None)?))
        })
        .await?;
    let bytes = comments_xlsx::write(&title, &comments, lang).map_err(|e| {
        tracing::error!(error = %e, "comments export failed");
        AppError::new(
            Status::InternalServerError,
            "internal",
            "导出失败，已记录",
            "The export failed; it has been logged",
        )
    })?;
    Ok(Xlsx {
        bytes,
        file_name: format!("consultation-{id}-comments.xlsx"),
    })
}

// ---------------------------------------------------------------------------------------------
// Public pages

fn stance_choices(lang: Lang) -> Vec<(&'static str, &'static str)> {
    Stance::ALL
        .iter()
        .map(|s| (s.code(), s.label(lang)))
        .collect()
}

fn status_label(status: &str, lang: Lang) -> &'static str {
    match status {
        "upcoming" => lang.pick("尚未开始", "Not yet open"),
        "open" => lang.pick("正在征求意见", "Open for comment"),
        "ended" => lang.pick("已截止", "Ended"),
        _ => lang.pick("已结束", "Closed"),
    }
}

fn views(list: Vec<ConsultationView>, lang: Lang) -> Vec<Value> {
    list.into_iter()
        .map(|c| {
            context! {
                status_label => status_label(c.status, lang),
                c => v(&c),
            }
        })
        .collect()
}

#[get("/consultations")]
async fn page_list(cx: PageContext, db: &State<Db>) -> Page {
    let found = db
        .run(|c| service::list(c, None, now()).map_err(DbError::from))
        .await;
    let list = match found {
        Ok(l) => l,
        Err(e) => {
            let e = AppError::from(e);
            return cx.error(e.status, e.message(cx.lang));
        }
    };
    let (current, past): (Vec<_>, Vec<_>) = list
        .into_iter()
        .partition(|c| c.status == "open" || c.status == "upcoming");
    cx.render(
        "public_consultations.html",
        &cx.t("consult.title"),
        context! { current => views(current, cx.lang), past => views(past, cx.lang) },
    )
}

/// The form token of the comment forms, kept in a private cookie and echoed by the form.
fn comment_token(cookies: &CookieJar<'_>) -> String {
    if let Some(c) = cookies.get_private(COMMENT_COOKIE)
        && c.value().len() == 64
    {
        return c.value().to_string();
    }
    let token = random_secret();
    cookies.add_private(Cookie::build((COMMENT_COOKIE, token.clone())).path("/consultations"));
    token
}

#[derive(Debug, Clone, Default, Serialize, FromForm)]
struct CommentForm {
    #[field(default = String::new())]
    csrf_token: String,
    stance: Option<String>,
    body: Option<String>,
    name: Option<String>,
    contact: Option<String>,
    website: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct FormError {
    item: i64,
    field: Option<&'static str>,
    message: String,
}

#[allow(clippy::too_many_arguments)]
async fn consultation_page(
    cx: &PageContext,
    cookies: &CookieJar<'_>,
    db: &Db,
    id: i64,
    sent: Option<i64>,
    form: Option<(i64, CommentForm)>,
    error: Option<FormError>,
) -> Page {
    let found = db
        .run(move |c| -> Result<_, DbError> {
            let Some(view) = service::find(c, id, now())? else {
                return Ok(None);
            };
            Ok(Some((view, service::items_of(c, id)?)))
        })
        .await;
    let (view, items) = match found {
        Ok(Some(f)) => f,
        Ok(None) => return cx.error(Status::NotFound, &cx.t("error.404.body")),
        Err(e) => {
            let e = AppError::from(e);
            return cx.error(e.status, e.message(cx.lang));
        }
    };
    let open = view.status == "open";
    let stances: BTreeMap<&str, &str> = stance_choices(cx.lang).into_iter().collect();
    let (form_item, form) = match form {
        Some((i, f)) => (Some(i), f),
        None => (None, <CommentForm as Default>::default()),
    };
    let title = view.title.clone();
    cx.render(
        "public_consultation.html",
        &title,
        context! {
            c => v(&view),
            status_label => status_label(view.status, cx.lang),
            open => open,
            items => v(&items),
            stances => stances,
            stance_choices => stance_choices(cx.lang),
            comment_token => if open { comment_token(cookies) } else { String::new() },
            sent => sent,
            form_item => form_item,
            form => v(&form),
            error => error.map(v),
            max_chars => service::MAX_BODY_CHARS,
        },
    )
}

#[get("/consultations/<id>?<sent>")]
async fn page_show(
    cx: PageContext,
    cookies: &CookieJar<'_>,
    db: &State<Db>,
    id: i64,
    sent: Option<i64>,
) -> Page {
    consultation_page(&cx, cookies, db, id, sent, None, None).await
}

#[allow(clippy::too_many_arguments)]
#[post("/consultations/<id>/items/<item>/comments", data = "<form>")]
async fn page_comment(
    cx: PageContext,
    cookies: &CookieJar<'_>,
    db: &State<Db>,
    gate: &State<CommentGate>,
    addr: ClientAddr,
    id: i64,
    item: i64,
    form: Form<CommentForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let token_ok = cookies
        .get_private(COMMENT_COOKIE)
        .is_some_and(|c| constant_time_eq(c.value(), &form.csrf_token));
    let refuse = |status: Status, field, message: String| (status, field, message);
    let refusal = if !token_ok {
        Some(refuse(Status::Forbidden, None, cx.t("consult.expired")))
    } else {
        let input = CommentInput {
            stance: form.stance.clone(),
            body: form.body.clone(),
            name: form.name.clone(),
            contact: form.contact.clone(),
        };
        // The item must belong to this consultation (the service picks the open window).
        let belongs = db
            .run(move |c| service::items_of(c, id).map_err(DbError::from))
            .await
            .map(|items| items.iter().any(|i| i.id == item));
        match belongs {
            Ok(false) => return Err(cx.error(Status::NotFound, &cx.t("error.404.body"))),
            Err(e) => {
                let e = AppError::from(e);
                return Err(cx.error(e.status, e.message(cx.lang)));
            }
            Ok(true) => {}
        }
        match submit(
            db,
            gate,
            addr.0,
            item,
            Some(id),
            input,
            form.website.as_deref(),
        )
        .await
        {
            Ok(_) => {
                return Ok(Redirect::to(format!(
                    "/consultations/{id}?sent={item}#item-{item}"
                )));
            }
            Err(r) => {
                let field = match r.error.code {
                    "bad_stance" => Some("stance"),
                    "body_required" | "body_too_long" => Some("body"),
                    "author_too_long" => Some("name"),
                    _ => None,
                };
                let mut page = refuse(r.error.status, field, r.error.message(cx.lang).to_string());
                if let Some(secs) = r.retry_after {
                    page.2 = format!("{}（{secs}s）", page.2);
                }
                Some(page)
            }
        }
    };
    let Some((status, field, message)) = refusal else {
        return Err(cx.error(Status::InternalServerError, &cx.t("error.500")));
    };
    let error = FormError {
        item,
        field,
        message,
    };
    let page = consultation_page(&cx, cookies, db, id, None, Some((item, form)), Some(error)).await;
    Err(page.status(status))
}

// ---------------------------------------------------------------------------------------------
// Office pages

/// Items a window is typically opened on: flagged R01 or R02, in the rounds the reviewer runs.
#[derive(Debug, Clone, Serialize)]
struct Candidate {
    id: i64,
    round_id: i64,
    name: String,
    proposed: Option<String>,
    codes: String,
}

fn candidates(conn: &mut DbConnection, regions: Option<&[i64]>) -> QueryResult<Vec<Candidate>> {
    let mut q = findings::table
        .inner_join(items::table.inner_join(rounds::table))
        .filter(findings::code.eq_any(["R01", "R02"]))
        .filter(items::withdrawn.eq(false))
        .filter(items::kind.eq("inspection"))
        .select((
            items::id,
            items::round_id,
            items::name,
            items::proposed,
            findings::code,
        ))
        .order((items::round_id, items::id))
        .into_boxed();
    if let Some(ids) = regions {
        q = q.filter(rounds::region_id.eq_any(ids.to_vec()));
    }
    let rows: Vec<(i64, i64, String, Option<String>, String)> = q.load(conn)?;
    let mut out: Vec<Candidate> = Vec::new();
    for (id, round_id, name, proposed, code) in rows {
        match out.iter_mut().find(|c| c.id == id) {
            Some(c) if !c.codes.contains(&code) => {
                c.codes = format!("{} {code}", c.codes);
            }
            Some(_) => {}
            None => out.push(Candidate {
                id,
                round_id,
                name,
                proposed,
                codes: code,
            }),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, Serialize, FromForm)]
struct OpenForm {
    round: Option<i64>,
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    notice: String,
    #[field(default = String::new())]
    starts_at: String,
    #[field(default = String::new())]
    ends_at: String,
    items: Vec<i64>,
}

fn regions_of(who: &Reviewer) -> Option<Vec<i64>> {
    (!who.is_admin()).then(|| who.region_ids.clone())
}

async fn office_list_page(
    cx: &PageContext,
    who: &Reviewer,
    db: &Db,
    form: Option<OpenForm>,
    round: Option<i64>,
    error: Option<AppError>,
) -> Page {
    let regions = regions_of(who);
    let found = db
        .run(move |c| -> Result<_, DbError> {
            let r = regions.as_deref();
            let list = service::list(c, r, now())?;
            let cands = candidates(c, r)?;
            let mut q = rounds::table
                .select((rounds::id, rounds::name))
                .order(rounds::id.desc())
                .into_boxed();
            if let Some(ids) = r {
                q = q.filter(rounds::region_id.eq_any(ids.to_vec()));
            }
            let rounds: Vec<(i64, String)> = q.load(c)?;
            Ok((list, cands, rounds))
        })
        .await;
    let (list, cands, round_list) = match found {
        Ok(f) => f,
        Err(e) => {
            let e = AppError::from(e);
            return cx.error(e.status, e.message(cx.lang));
        }
    };
    let fresh = form.is_none();
    let mut form = form.unwrap_or_default();
    if fresh {
        // Preselect what the plan requires a consultation on: flagged items proposed for keeping.
        form.items = cands
            .iter()
            .filter(|c| c.proposed.as_deref() == Some("retain"))
            .map(|c| c.id)
            .collect();
        form.round = round
            .filter(|r| round_list.iter().any(|(id, _)| id == r))
            .or_else(|| round_list.first().map(|r| r.0));
        form.items.retain(|id| {
            cands
                .iter()
                .any(|c| c.id == *id && Some(c.round_id) == form.round)
        });
    }
    let status = error.as_ref().map(|e| e.status).unwrap_or(Status::Ok);
    cx.render(
        "office_consultations.html",
        &cx.t("consult.office.title"),
        context! {
            list => views(list, cx.lang),
            candidates => v(&cands),
            rounds => v(&round_list),
            form => v(&form),
            error => error.map(|e| e.message(cx.lang).to_string()),
        },
    )
    .status(status)
}

#[get("/office/consultations?<round>")]
async fn office_list(cx: PageContext, who: Reviewer, db: &State<Db>, round: Option<i64>) -> Page {
    office_list_page(&cx, &who, db, None, round, None).await
}

#[post("/office/consultations", data = "<form>")]
async fn office_open(
    cx: PageContext,
    who: Reviewer,
    db: &State<Db>,
    form: Form<OpenForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let Some(round) = form.round else {
        let e = AppError::new(
            Status::UnprocessableEntity,
            "round_required",
            "请选择批次",
            "Choose a round",
        );
        return Err(office_list_page(&cx, &who, db, Some(form), None, Some(e)).await);
    };
    let result = open_window(
        db,
        &who,
        round,
        &form.title,
        &form.notice,
        &form.starts_at,
        &form.ends_at,
        form.items.clone(),
    )
    .await;
    match result {
        Ok(id) => Ok(Redirect::to(format!("/office/consultations/{id}"))),
        Err(e) if e.status == Status::UnprocessableEntity => {
            Err(office_list_page(&cx, &who, db, Some(form), None, Some(e)).await)
        }
        Err(e) => Err(cx.error(e.status, e.message(cx.lang))),
    }
}

async fn office_page(
    cx: &PageContext,
    who: &Reviewer,
    db: &Db,
    id: i64,
    state: Option<&str>,
    done: Option<&str>,
    error: Option<AppError>,
) -> Page {
    let state = state.filter(|s| ["pending", "approved", "rejected"].contains(s));
    let wanted = state.map(str::to_string);
    if let Err(e) = guard_consultation(db, who, id).await {
        return cx.error(e.status, e.message(cx.lang));
    }
    let found = db
        .run(move |c| -> Result<_, DbError> {
            Ok((
                service::find(c, id, now())?,
                service::tallies(c, id)?,
                service::comments_of(c, id, wanted.as_deref())?,
            ))
        })
        .await;
    let (view, tallies, comments) = match found {
        Ok((Some(view), t, c)) => (view, t, c),
        Ok((None, ..)) => return cx.error(Status::NotFound, &cx.t("error.404.body")),
        Err(e) => {
            let e = AppError::from(e);
            return cx.error(e.status, e.message(cx.lang));
        }
    };
    let states: BTreeMap<&str, &str> = [
        ("pending", cx.lang.pick("待审核", "Pending")),
        ("approved", cx.lang.pick("已通过", "Approved")),
        ("rejected", cx.lang.pick("不予采用", "Rejected")),
    ]
    .into_iter()
    .collect();
    let stances: BTreeMap<&str, &str> = stance_choices(cx.lang).into_iter().collect();
    let status = error.as_ref().map(|e| e.status).unwrap_or(Status::Ok);
    let done = done.map(|d| match d {
        "moderated" => cx.t("consult.office.moderated"),
        "opened" => cx.t("consult.office.opened"),
        _ => cx.t("consult.office.closed_done"),
    });
    let title = view.title.clone();
    cx.render(
        "office_consultation.html",
        &title,
        context! {
            c => v(&view),
            status_label => status_label(view.status, cx.lang),
            tallies => v(&tallies),
            comments => v(&comments),
            states => states,
            stances => stances,
            can_close => view.closed_at.is_none(),
            state => state,
            done => done,
            error => error.map(|e| e.message(cx.lang).to_string()),
        },
    )
    .status(status)
}

#[get("/office/consultations/<id>?<done>&<state>")]
async fn office_show(
    cx: PageContext,
    who: Reviewer,
    db: &State<Db>,
    id: i64,
    done: Option<&str>,
    state: Option<&str>,
) -> Page {
    office_page(&cx, &who, db, id, state, done, None).await
}

#[derive(Debug, Clone, FromForm)]
struct ModerateForm {
    #[field(default = String::new())]
    decision: String,
    reason: Option<String>,
}

#[post("/office/comments/<id>/moderate", data = "<form>")]
async fn office_moderate(
    cx: PageContext,
    who: Reviewer,
    db: &State<Db>,
    id: i64,
    form: Form<ModerateForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    match moderate(db, &who, id, form.decision, form.reason).await {
        Ok(consultation) => Ok(Redirect::to(format!(
            "/office/consultations/{consultation}?done=moderated#comment-{id}"
        ))),
        Err(e) if e.status == Status::UnprocessableEntity => {
            let consultation = db
                .run(move |c| service::consultation_of_comment(c, id).map_err(DbError::from))
                .await
                .ok()
                .flatten();
            match consultation {
                Some(cid) => Err(office_page(&cx, &who, db, cid, None, None, Some(e)).await),
                None => Err(cx.error(Status::NotFound, &cx.t("error.404.body"))),
            }
        }
        Err(e) => Err(cx.error(e.status, e.message(cx.lang))),
    }
}

#[derive(Debug, Clone, FromForm)]
struct CloseForm {
    summaries: HashMap<String, String>,
}

#[post("/office/consultations/<id>/close", data = "<form>")]
async fn office_close(
    cx: PageContext,
    who: Reviewer,
    db: &State<Db>,
    id: i64,
    form: Form<CloseForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let result = match summaries_of(form.summaries) {
        Ok(s) => close_window(db, &who, id, s).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(format!(
            "/office/consultations/{id}?done=closed"
        ))),
        Err(e) if matches!(e.status.code, 409 | 422) => {
            Err(office_page(&cx, &who, db, id, None, None, Some(e)).await)
        }
        Err(e) => Err(cx.error(e.status, e.message(cx.lang))),
    }
}

pub fn routes() -> Vec<Route> {
    routes![
        api_list,
        api_show,
        api_comment,
        api_open,
        api_close,
        api_comments,
        api_moderate,
        api_export,
        page_list,
        page_show,
        page_comment,
        office_list,
        office_open,
        office_show,
        office_moderate,
        office_close
    ]
}
