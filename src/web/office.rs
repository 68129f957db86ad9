//! The office's pages (issues #3 and #5): rounds and submissions, the upload form with the
//! human import report, the consolidated list with its bulk decision, the item page with its
//! decision form, and the legal documents registry. Handlers parse, call the function the API
//! calls too, and render; a refused form comes back with the message and what was typed.
//!
//! | method and path | who |
//! |---|---|
//! | `GET /rounds` | signed in (scoped): rounds, submissions |
//! | `GET, POST /rounds/{id}/upload` | submitter, reviewer |
//! | `GET /submissions/{id}` | owner, reviewer |
//! | `GET /rounds/{id}/items` | signed in (a submitter sees its own department) |
//! | `POST /rounds/{id}/decisions` | reviewer (bulk decision over the list's filter) |
//! | `GET /items/{id}`, `POST /items/{id}/decision` | signed in / reviewer |
//! | `GET, POST /documents`, `POST /documents/import`, `GET, POST /documents/{id}` | reviewer |

use std::collections::BTreeMap;

use minijinja::context;
use minijinja::value::Value;
use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;

use super::api_import::{self, Download, UploadRequest, Uploaded};
use super::api_review::{self, Selected};
use super::auth::{Principal, Reviewer, Submitter};
use super::pages::{Page, PageContext};
use super::{AppError, Lang};
use crate::config::Settings;
use crate::db::{Db, DbError, departments, submissions};
use crate::domain::{BasisLevel, Disposition, DocumentStatus, Kind, Severity};
use crate::service::admin::rounds as round_service;
use crate::service::decisions::{DecisionError, DecisionInput};
use crate::service::documents::{self, DocumentChange, DocumentInput};
use crate::service::import::CommitOutcome;
use crate::service::review::ItemFilter;
use crate::sheets::ImportReport;

/// Any serialisable value for a template.
fn v<T: Serialize>(x: T) -> Value {
    Value::from(minijinja::value::Serde(x))
}

use crate::web::admin::pages::{ErrorView, RowView};

impl ErrorView {
    fn of(e: &AppError, lang: Lang, field: Option<&'static str>) -> ErrorView {
        ErrorView {
            field,
            message: e.message(lang).to_string(),
            rows: Vec::new(),
        }
    }
}

/// Codes and labels of the enumerations the pages show and filter by.
fn labels(lang: Lang) -> Value {
    fn map<T: Copy>(
        all: &[T],
        f: impl Fn(T) -> (&'static str, &'static str),
    ) -> BTreeMap<&'static str, &'static str> {
        all.iter().map(|x| f(*x)).collect()
    }
    let state_list: Vec<(&str, &str)> = vec![
        ("submitted", lang.pick("已报送", "submitted")),
        ("under_review", lang.pick("审核中", "under review")),
        ("decided", lang.pick("已决定", "decided")),
        ("published", lang.pick("已公布", "published")),
    ];
    let states: BTreeMap<&str, &str> = state_list.iter().copied().collect();
    fn list<T: Copy>(
        all: &[T],
        f: impl Fn(T) -> (&'static str, &'static str),
    ) -> Vec<(&'static str, &'static str)> {
        all.iter().map(|x| f(*x)).collect()
    }
    // `choices`: the same in declaration order, for the options of a select.
    let choices = context! {
        kinds => list(Kind::ALL, |k| (k.code(), k.label(lang))),
        dispositions => list(Disposition::ALL, |d| (d.code(), d.label(lang))),
        severities => list(Severity::ALL, |s| (s.code(), s.label(lang))),
        levels => list(BasisLevel::ALL, |l| (l.code(), l.label(lang))),
        statuses => list(DocumentStatus::ALL, |s| (s.code(), s.label(lang))),
        states => state_list,
    };
    context! {
        choices => choices,
        kinds => map(Kind::ALL, |k| (k.code(), k.label(lang))),
        dispositions => map(Disposition::ALL, |d| (d.code(), d.label(lang))),
        severities => map(Severity::ALL, |s| (s.code(), s.label(lang))),
        levels => map(BasisLevel::ALL, |l| (l.code(), l.label(lang))),
        statuses => map(DocumentStatus::ALL, |s| (s.code(), s.label(lang))),
        states => states,
        rules => crate::domain::rules::RULES
            .iter()
            .map(|r| (r.code, r.title(lang)))
            .collect::<BTreeMap<&str, &str>>(),
    }
}

/// The page of a failure that is not the caller's input.
fn failure(cx: &PageContext, e: AppError) -> Page {
    cx.error(e.status, e.message(cx.lang))
}

fn not_found(cx: &PageContext) -> Page {
    cx.error(Status::NotFound, &cx.t("error.404.body"))
}

fn nonblank(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

// ---------------------------------------------------------------------------------------------
// Rounds and submissions

#[get("/rounds")]
async fn rounds(cx: PageContext, who: Principal, db: &State<Db>) -> Page {
    let scope = who.scope();
    let found = db
        .run(move |c| {
            let rounds = round_service::list_visible(c, &scope)?;
            let submitted = submissions::list_visible(c, &scope, 100)?;
            Ok::<_, DbError>((rounds, submitted))
        })
        .await;
    let (rounds, submitted) = match found {
        Ok(f) => f,
        Err(e) => return failure(&cx, e.into()),
    };
    let submitted: Vec<Value> = submitted
        .into_iter()
        .map(|(s, department)| context! { submission => v(&s), department => department })
        .collect();
    cx.render(
        "office_rounds.html",
        &cx.t("office.rounds.title"),
        context! { rounds => v(&rounds), submissions => submitted, can_review => who.can_review() },
    )
}

/// The multipart body of the upload page. The CSRF field comes first.
#[derive(FromForm)]
struct UploadPageForm<'r> {
    department: Option<String>,
    /// `check` (dry run), `commit`, or `annotate` (the workbook back with bad cells marked).
    mode: Option<String>,
    file: rocket::form::Result<'r, TempFile<'r>>,
}

/// The report of an upload as the page shows it: errors and findings grouped by sheet.
#[derive(Debug, Serialize)]
struct ReportView {
    file: String,
    sha256: String,
    format: String,
    summary: crate::sheets::Summary,
    sheets: Vec<SheetGroup>,
    notices: Vec<String>,
}

#[derive(Debug, Serialize)]
struct SheetGroup {
    name: String,
    header_row: Option<u32>,
    rows: Option<u32>,
    errors: Vec<CellErrorView>,
    findings: Vec<FindingLine>,
}

#[derive(Debug, Serialize)]
struct CellErrorView {
    /// `年检事项!D7`, or the sheet alone for a problem of the whole sheet.
    place: String,
    column: Option<String>,
    code: String,
    message: String,
}

#[derive(Debug, Serialize)]
struct FindingLine {
    place: String,
    item: String,
    code: String,
    severity: String,
    message: String,
}

fn report_view(report: &ImportReport) -> ReportView {
    let mut groups: Vec<SheetGroup> = report
        .sheets
        .iter()
        .map(|s| SheetGroup {
            name: s.name.clone(),
            header_row: Some(s.header_row),
            rows: Some(s.rows),
            errors: Vec::new(),
            findings: Vec::new(),
        })
        .collect();
    fn group<'g>(groups: &'g mut Vec<SheetGroup>, name: &str) -> &'g mut SheetGroup {
        let at = match groups.iter().position(|g| g.name == name) {
            Some(i) => i,
            None => {
                groups.push(SheetGroup {
                    name: name.to_string(),
                    header_row: None,
                    rows: None,
                    errors: Vec::new(),
                    findings: Vec::new(),
                });
                groups.len() - 1
            }
        };
        &mut groups[at]
    }
    for e in &report.errors {
        let place = match &e.cell {
            Some(cell) => format!("{}!{cell}", e.sheet),
            None => e.sheet.clone(),
        };
        group(&mut groups, &e.sheet).errors.push(CellErrorView {
            place,
            column: e.column.clone(),
            code: e.code.clone(),
            message: e.message.clone(),
        });
    }
    for item in &report.items {
        for f in &item.findings {
            group(&mut groups, &item.sheet).findings.push(FindingLine {
                place: format!("{}!A{}", item.sheet, item.row),
                item: item.draft.name.clone(),
                code: f.code.clone(),
                severity: f.severity.code().to_string(),
                message: f.message.clone(),
            });
        }
    }
    ReportView {
        file: report.file.clone(),
        sha256: report.sha256.clone(),
        format: format!("{:?}", report.format).to_lowercase(),
        summary: report.summary.clone(),
        sheets: groups,
        notices: report.notices.iter().map(|n| n.message.clone()).collect(),
    }
}

/// What the upload page shows after a post.
struct UploadResult {
    report: Option<ReportView>,
    stored: Option<CommitOutcome>,
    dry_run: bool,
    error: Option<ErrorView>,
    status: Status,
}

async fn upload_page(
    cx: &PageContext,
    db: &Db,
    who: &Principal,
    round: i64,
    department: Option<String>,
    mode: &str,
    result: Option<UploadResult>,
) -> Page {
    let scope = who.scope();
    let found = db
        .run(move |c| {
            let round = round_service::find_visible(c, &scope, round)?;
            let departments = departments::list(c, &scope)?;
            Ok::<_, DbError>((round, departments))
        })
        .await;
    let (round, departments) = match found {
        Ok((Some(r), d)) => (r, d),
        Ok((None, _)) => return not_found(cx),
        Err(e) => return failure(cx, e.into()),
    };
    let departments: Vec<Value> = departments
        .iter()
        .map(|d| context! { code => d.code.clone(), name => d.name.clone() })
        .collect();
    let (status, body) = match result {
        Some(r) => (
            r.status,
            context! {
                report => r.report.map(v),
                stored => r.stored.map(v),
                dry_run => r.dry_run,
                error => r.error.map(v),
            },
        ),
        None => (Status::Ok, context! {}),
    };
    let title = format!(
        "{}{}{}",
        cx.t("office.upload.title"),
        cx.t("p.colon"),
        round.name
    );
    cx.render(
        "office_upload.html",
        &title,
        context! {
            round => v(&round),
            departments => departments,
            choose_department => !matches!(who.role, crate::db::users::Role::Submitter),
            form => context! { department => department, mode => mode },
            labels => labels(cx.lang),
            ..body
        },
    )
    .status(status)
}

#[get("/rounds/<round>/upload")]
async fn upload_form(cx: PageContext, who: Submitter, db: &State<Db>, round: i64) -> Page {
    upload_page(&cx, db, &who, round, None, "check", None).await
}

/// What the upload form answers: the page with the report, or the annotated workbook.
#[derive(rocket::Responder)]
enum UploadAnswer {
    Page(Page),
    Download(Download),
}

#[post("/rounds/<round>/upload", data = "<form>")]
async fn upload_post(
    cx: PageContext,
    who: Submitter,
    db: &State<Db>,
    settings: &State<Settings>,
    round: i64,
    form: Form<UploadPageForm<'_>>,
) -> UploadAnswer {
    let form = form.into_inner();
    let mode = match form.mode.as_deref() {
        Some("commit") => "commit",
        Some("annotate") => "annotate",
        _ => "check",
    };
    let department = nonblank(&form.department);
    let shown = |e: AppError, field| UploadResult {
        report: None,
        stored: None,
        dry_run: mode != "commit",
        error: Some(ErrorView::of(&e, cx.lang, field)),
        status: e.status,
    };
    let file = api_import::uploaded_file(form.file, settings);
    let read = match file {
        Ok(file) => api_import::read_upload(file, settings).await,
        Err(e) => Err(e),
    };
    let (file_name, bytes) = match read {
        Ok(f) => f,
        Err(e) => {
            let r = shown(e, Some("file"));
            return UploadAnswer::Page(
                upload_page(&cx, db, &who, round, department, mode, Some(r)).await,
            );
        }
    };
    let kept = (mode == "annotate").then(|| (file_name.clone(), bytes.clone()));
    let request = UploadRequest {
        round_id: round,
        department: department.clone(),
        file_name,
        bytes,
        dry_run: mode != "commit",
        lang: cx.lang,
    };
    let result = match api_import::upload(db, settings, &who, request).await {
        Err(e) => {
            let field = match e.code {
                "department_required" | "department_not_found" | "department_not_in_round" => {
                    Some("department")
                }
                _ => Some("file"),
            };
            if e.status == Status::NotFound && e.code == "round_not_found" {
                return UploadAnswer::Page(not_found(&cx));
            }
            shown(e, field)
        }
        Ok(Uploaded::DryRun(report)) | Ok(Uploaded::RowErrors(report))
            if mode == "annotate" =>
        {
            let (file_name, bytes) = kept.unwrap_or_default();
            return match api_import::annotated_download(report, bytes, file_name, cx.lang).await {
                Ok(download) => UploadAnswer::Download(download),
                Err(e) => {
                    let r = shown(e, Some("file"));
                    UploadAnswer::Page(upload_page(&cx, db, &who, round, department, mode, Some(r)).await)
                }
            };
        }
        Ok(Uploaded::DryRun(report)) => UploadResult {
            report: Some(report_view(&report)),
            stored: None,
            dry_run: true,
            error: None,
            status: Status::Ok,
        },
        Ok(Uploaded::RowErrors(report)) => UploadResult {
            error: Some(ErrorView {
                field: None,
                message: cx
                    .lang
                    .pick(
                        &format!(
                            "文件有 {} 处错误，未保存任何内容；请按下面的报告修改后重新上传。",
                            report.errors.len()
                        ),
                        &format!(
                            "{} errors in the file; nothing was stored. Fix them as the report below says and upload again.",
                            report.errors.len()
                        ),
                    )
                    .to_string(),
                rows: Vec::new(),
            }),
            report: Some(report_view(&report)),
            stored: None,
            dry_run: mode != "commit",
            status: Status::UnprocessableEntity,
        },
        Ok(Uploaded::Stored(report, outcome)) => UploadResult {
            report: Some(report_view(&report)),
            stored: Some(outcome),
            dry_run: false,
            error: None,
            status: Status::Ok,
        },
    };
    UploadAnswer::Page(upload_page(&cx, db, &who, round, department, mode, Some(result)).await)
}

#[get("/submissions/<id>")]
async fn submission(cx: PageContext, who: Principal, db: &State<Db>, id: i64) -> Page {
    let lang = cx.lang;
    let found = db
        .run(move |c| api_import::submission_detail(c, &who, id, lang))
        .await;
    let (view, report, items) = match found {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(&cx),
        Err(e) => return failure(&cx, e.into()),
    };
    // Items grouped by sheet, in the workbook's order.
    let mut sheets: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for item in items {
        let sheet = item["sheet"].as_str().unwrap_or("").to_string();
        match sheets.iter_mut().find(|(s, _)| *s == sheet) {
            Some((_, list)) => list.push(item),
            None => sheets.push((sheet, vec![item])),
        }
    }
    let sheets: Vec<Value> = sheets
        .into_iter()
        .map(|(name, items)| context! { name => name, items => v(items) })
        .collect();
    let title = format!(
        "{}{}{}",
        cx.t("office.submission.title"),
        cx.t("p.colon"),
        view.file_name
    );
    cx.render(
        "office_submission.html",
        &title,
        context! {
            submission => v(&view),
            report => v(&report),
            sheets => sheets,
            labels => labels(cx.lang),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// The consolidated list and the bulk decision

/// The list's filters exactly as typed, to fill the GET form and the bulk form again.
#[derive(Debug, Clone, Default, Serialize, FromForm)]
struct FilterForm {
    department: Option<String>,
    kind: Option<String>,
    rule: Option<String>,
    severity: Option<String>,
    proposed: Option<String>,
    state: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

impl FilterForm {
    fn parse(&self) -> Result<ItemFilter, AppError> {
        api_review::parse_filter(
            api_review::number("department", self.department.as_deref())?,
            self.kind.as_deref(),
            self.rule.as_deref(),
            self.severity.as_deref(),
            self.proposed.as_deref(),
            self.state.as_deref(),
            self.q.as_deref(),
            self.sort.as_deref(),
            api_review::number("page", self.page.as_deref())?,
            Some(50),
        )
    }

    /// The query string of these filters without the page, for paging links.
    fn query(&self) -> String {
        let pairs = [
            ("department", &self.department),
            ("kind", &self.kind),
            ("rule", &self.rule),
            ("severity", &self.severity),
            ("proposed", &self.proposed),
            ("state", &self.state),
            ("q", &self.q),
            ("sort", &self.sort),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| {
                nonblank(v).map(|v| format!("{k}={}", super::pages::url_encode(&v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// What the reviewer typed in the bulk decision form.
#[derive(Debug, Clone, Default, Serialize, FromForm)]
struct DecisionForm {
    decision: Option<String>,
    cycle_months: Option<String>,
    rationale: Option<String>,
    necessity: Option<String>,
}

impl DecisionForm {
    /// The service's input; a cycle that is not a whole number is refused here, in its words.
    fn input(&self) -> Result<DecisionInput, (String, String)> {
        let cycle_months = match nonblank(&self.cycle_months) {
            None => None,
            Some(c) => Some(c.parse::<u32>().map_err(|_| {
                (
                    format!(
                        "新的检验周期应为整月数，例如 24，而不是“{}”",
                        c.chars().take(20).collect::<String>()
                    ),
                    format!(
                        "The new cycle must be whole months such as 24, not “{}”",
                        c.chars().take(20).collect::<String>()
                    ),
                )
            })?),
        };
        Ok(DecisionInput {
            decision: self.decision.clone().unwrap_or_default(),
            cycle_months,
            rationale: self.rationale.clone().unwrap_or_default(),
            necessity: self.necessity.clone(),
        })
    }
}

/// The field a decision refusal belongs to.
fn decision_field(e: &DecisionError) -> Option<&'static str> {
    match e {
        DecisionError::UnknownDisposition(_) | DecisionError::StandardiseOnInspection => {
            Some("decision")
        }
        DecisionError::RationaleMissing => Some("rationale"),
        DecisionError::CycleRequired | DecisionError::CycleNotLonger { .. } => Some("cycle_months"),
        DecisionError::NecessityRequired => Some("necessity"),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn items_page(
    cx: &PageContext,
    who: &Principal,
    db: &Db,
    round: i64,
    filters: FilterForm,
    bulk: DecisionForm,
    error: Option<(Status, ErrorView)>,
    done: Option<String>,
) -> Page {
    let filter = match filters.parse() {
        Ok(f) => f,
        Err(e) => {
            let filter_error = ErrorView::of(&e, cx.lang, None);
            return items_render(
                cx,
                who,
                db,
                round,
                filters,
                bulk,
                None,
                Some((Status::BadRequest, filter_error)),
                done,
            )
            .await;
        }
    };
    items_render(cx, who, db, round, filters, bulk, Some(filter), error, done).await
}

#[allow(clippy::too_many_arguments)]
async fn items_render(
    cx: &PageContext,
    who: &Principal,
    db: &Db,
    round: i64,
    filters: FilterForm,
    bulk: DecisionForm,
    filter: Option<ItemFilter>,
    error: Option<(Status, ErrorView)>,
    done: Option<String>,
) -> Page {
    let scope = who.scope();
    let lang = cx.lang;
    let found = db
        .run(move |c| {
            let Some(round) = round_service::find_visible(c, &scope, round)? else {
                return Ok::<_, DbError>(None);
            };
            let page = match &filter {
                Some(f) => api_review::round_items(c, &scope, round.id, f, lang)?,
                None => None,
            };
            let departments = departments::list(c, &scope)?;
            Ok(Some((round, page, departments)))
        })
        .await;
    let (round, page, departments) = match found {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(cx),
        Err(e) => return failure(cx, e.into()),
    };
    let departments: Vec<Value> = departments
        .iter()
        .map(|d| context! { id => d.id.to_string(), name => d.name.clone() })
        .collect();
    let query = filters.query();
    let paging = page.as_ref().map(|p| {
        let link = |n: u32| {
            if query.is_empty() {
                format!("?page={n}")
            } else {
                format!("?{query}&page={n}")
            }
        };
        context! {
            previous => (p.page > 1).then(|| link(p.page - 1)),
            next => (i64::from(p.page) < p.pages).then(|| link(p.page + 1)),
        }
    });
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (Status::Ok, None),
    };
    let title = format!(
        "{}{}{}",
        cx.t("office.items.title"),
        cx.t("p.colon"),
        round.name
    );
    cx.render(
        "office_items.html",
        &title,
        context! {
            round => v(&round),
            page => page.map(v),
            paging => paging,
            departments => departments,
            filters => v(&filters),
            bulk => v(&bulk),
            error => error.map(v),
            done => done,
            can_review => who.can_review(),
            labels => labels(cx.lang),
        },
    )
    .status(status)
}

#[allow(clippy::too_many_arguments)]
#[get(
    "/rounds/<round>/items?<department>&<kind>&<rule>&<severity>&<proposed>&<state>&<q>&<sort>&<page>&<decided>"
)]
async fn items(
    cx: PageContext,
    who: Principal,
    db: &State<Db>,
    round: i64,
    department: Option<String>,
    kind: Option<String>,
    rule: Option<String>,
    severity: Option<String>,
    proposed: Option<String>,
    state: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    decided: Option<usize>,
) -> Page {
    let filters = FilterForm {
        department,
        kind,
        rule,
        severity,
        proposed,
        state,
        q,
        sort,
        page,
    };
    let done = decided.map(|n| {
        cx.lang
            .pick(
                &format!("已对 {n} 个事项作出决定。"),
                &format!("Decision recorded on {n} items."),
            )
            .to_string()
    });
    items_page(
        &cx,
        &who,
        db,
        round,
        filters,
        <DecisionForm as Default>::default(),
        None,
        done,
    )
    .await
}

/// The bulk form: the list's filters (hidden) and one decision.
#[derive(FromForm)]
struct BulkForm {
    filters: FilterForm,
    bulk: DecisionForm,
}

#[post("/rounds/<round>/decisions", data = "<form>")]
async fn decide_bulk(
    cx: PageContext,
    who: Reviewer,
    db: &State<Db>,
    round: i64,
    form: Form<BulkForm>,
) -> Result<Redirect, Page> {
    let BulkForm { mut filters, bulk } = form.into_inner();
    filters.page = None;
    let shown = |status, field, message: String| {
        Some((
            status,
            ErrorView {
                field,
                message,
                rows: Vec::new(),
            },
        ))
    };
    let filter = match filters.parse() {
        Ok(f) => f,
        Err(e) => {
            let error = shown(e.status, None, e.message(cx.lang).to_string());
            return Err(items_page(&cx, &who, db, round, filters, bulk, error, None).await);
        }
    };
    let input = match bulk.input() {
        Ok(i) => i,
        Err((zh, en)) => {
            let error = shown(
                Status::UnprocessableEntity,
                Some("cycle_months"),
                cx.lang.pick(&zh, &en).to_string(),
            );
            return Err(items_page(&cx, &who, db, round, filters, bulk, error, None).await);
        }
    };
    let scope = who.scope();
    let actor = who.actor();
    let lang = cx.lang;
    let result = db
        .run(move |c| {
            api_review::decide_selected(
                c,
                &scope,
                &actor,
                round,
                Selected::Filter(filter),
                &input,
                lang,
            )
            .map_err(DbError::from)
        })
        .await;
    let error = match result {
        Ok(Ok(n)) => {
            let query = filters.query();
            let sep = if query.is_empty() { "" } else { "&" };
            return Ok(Redirect::to(format!(
                "/rounds/{round}/items?{query}{sep}decided={n}"
            )));
        }
        Ok(Err(None)) => return Err(not_found(&cx)),
        Ok(Err(Some((item, e)))) => {
            let app = api_review::decision_error(&e);
            let message = cx
                .lang
                .pick(
                    &format!("未作任何决定：事项 {item} 被拒绝——{}", e.message(Lang::Zh)),
                    &format!(
                        "Nothing was decided: item {item} was refused — {}",
                        e.message(Lang::En)
                    ),
                )
                .to_string();
            shown(app.status, decision_field(&e), message)
        }
        Err(e) => return Err(failure(&cx, e.into())),
    };
    Err(items_page(&cx, &who, db, round, filters, bulk, error, None).await)
}

// ---------------------------------------------------------------------------------------------
// One item and its decision

async fn item_page(
    cx: &PageContext,
    who: &Principal,
    db: &Db,
    id: i64,
    form: Option<DecisionForm>,
    error: Option<(Status, ErrorView)>,
    done: bool,
) -> Page {
    let scope = who.scope();
    let lang = cx.lang;
    let found = db
        .run(move |c| api_review::item_detail(c, &scope, id, lang).map_err(DbError::from))
        .await;
    let item = match found {
        Ok(Some(i)) => i,
        Ok(None) => return not_found(cx),
        Err(e) => return failure(cx, e.into()),
    };
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (Status::Ok, None),
    };
    // A fresh form starts from the department's proposal.
    let form = form.unwrap_or_else(|| DecisionForm {
        decision: item["proposed"].as_str().map(str::to_string),
        cycle_months: item["proposed_cycle_months"]
            .as_i64()
            .map(|c| c.to_string()),
        rationale: None,
        necessity: None,
    });
    let open = item["state"] != "published" && item["withdrawn"] != true;
    let title = item["name"].as_str().unwrap_or("").to_string();
    cx.render(
        "office_item.html",
        &title,
        context! {
            item => v(&item),
            form => v(&form),
            error => error.map(v),
            done => done,
            can_decide => who.can_review() && open,
            labels => labels(cx.lang),
        },
    )
    .status(status)
}

#[get("/items/<id>?<done>")]
async fn item(
    cx: PageContext,
    who: Principal,
    db: &State<Db>,
    id: i64,
    done: Option<&str>,
) -> Page {
    item_page(&cx, &who, db, id, None, None, done == Some("decided")).await
}

#[post("/items/<id>/decision", data = "<form>")]
async fn decide(
    cx: PageContext,
    who: Reviewer,
    db: &State<Db>,
    id: i64,
    form: Form<DecisionForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let input = match form.input() {
        Ok(i) => i,
        Err((zh, en)) => {
            let error = ErrorView {
                field: Some("cycle_months"),
                message: cx.lang.pick(&zh, &en).to_string(),
                rows: Vec::new(),
            };
            return Err(item_page(
                &cx,
                &who,
                db,
                id,
                Some(form),
                Some((Status::UnprocessableEntity, error)),
                false,
            )
            .await);
        }
    };
    let scope = who.scope();
    let actor = who.actor();
    let result = db
        .run(move |c| api_review::decide_item(c, &scope, &actor, id, &input).map_err(DbError::from))
        .await;
    match result {
        Ok(Ok(_)) => Ok(Redirect::to(format!("/items/{id}?done=decided"))),
        Ok(Err(DecisionError::ItemNotFound)) => Err(not_found(&cx)),
        Ok(Err(e)) => {
            let app = api_review::decision_error(&e);
            let error = ErrorView {
                field: decision_field(&e),
                message: e.message(cx.lang),
                rows: Vec::new(),
            };
            Err(item_page(
                &cx,
                &who,
                db,
                id,
                Some(form),
                Some((app.status, error)),
                false,
            )
            .await)
        }
        Err(e) => Err(failure(&cx, e.into())),
    }
}

// ---------------------------------------------------------------------------------------------
// The legal documents registry

#[derive(Debug, Clone, Default, Serialize, FromForm)]
struct DocumentForm {
    title: Option<String>,
    doc_number: Option<String>,
    issuer: Option<String>,
    level: Option<String>,
    status: Option<String>,
    issued_on: Option<String>,
    effective_on: Option<String>,
    repealed_on: Option<String>,
}

impl DocumentForm {
    fn of(d: &documents::DocumentRow) -> DocumentForm {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        DocumentForm {
            title: Some(d.title.clone()),
            doc_number: d.doc_number.clone(),
            issuer: d.issuer.clone(),
            level: Some(d.level.clone()),
            status: Some(d.status.clone()),
            issued_on: date(d.issued_on),
            effective_on: date(d.effective_on),
            repealed_on: date(d.repealed_on),
        }
    }

    /// The service's input; a date it cannot read is refused here, naming the field.
    fn input(&self, lang: Lang) -> Result<DocumentInput, ErrorView> {
        let date = |field: &'static str, raw: &Option<String>| match nonblank(raw) {
            None => Ok(None),
            Some(t) => documents::parse_date(&t)
                .map(Some)
                .ok_or_else(|| ErrorView {
                    field: Some(field),
                    message: lang
                        .pick(
                            &format!("日期“{t}”无法识别，请写成 2017-06-30 这样的日期"),
                            &format!("“{t}” is not a date; write it as 2017-06-30"),
                        )
                        .to_string(),
                    rows: Vec::new(),
                }),
        };
        Ok(DocumentInput {
            title: self.title.clone().unwrap_or_default(),
            doc_number: self.doc_number.clone(),
            issuer: self.issuer.clone(),
            level: self.level.clone().unwrap_or_default(),
            status: nonblank(&self.status).unwrap_or_else(|| "in_force".into()),
            issued_on: date("issued_on", &self.issued_on)?,
            effective_on: date("effective_on", &self.effective_on)?,
            repealed_on: date("repealed_on", &self.repealed_on)?,
        })
    }
}

fn document_refusal(e: &documents::DocumentError, lang: Lang) -> (Status, ErrorView) {
    use documents::DocumentError as E;
    let field = match e {
        E::TitleMissing | E::DuplicateTitle(_) => Some("title"),
        E::UnknownLevel(_) => Some("level"),
        E::UnknownStatus(_) => Some("status"),
        E::DatesOutOfOrder => Some("effective_on"),
        _ => None,
    };
    let app = api_review::document_error(e);
    (
        app.status,
        ErrorView {
            field,
            message: e.message(lang),
            rows: Vec::new(),
        },
    )
}

fn import_refusal(e: AppError, lang: Lang) -> (Status, ErrorView) {
    let rows = e
        .detail
        .as_ref()
        .and_then(|d| d["rows"].as_array())
        .map(|rows| {
            rows.iter()
                .map(|r| RowView {
                    row: r["row"].as_u64().unwrap_or(0) as u32,
                    message: r[lang.pick("zh", "en")].as_str().unwrap_or("").to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let field = if e.code == "row_errors" {
        None
    } else {
        Some("file")
    };
    (
        e.status,
        ErrorView {
            field,
            message: e.message(lang).to_string(),
            rows,
        },
    )
}

async fn documents_page(
    cx: &PageContext,
    db: &Db,
    form: DocumentForm,
    error: Option<(Status, ErrorView)>,
    imported: Option<documents::ImportOutcome>,
) -> Page {
    let list = match db.run(|c| documents::list(c).map_err(DbError::from)).await {
        Ok(l) => l,
        Err(e) => return failure(cx, e.into()),
    };
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (Status::Ok, None),
    };
    cx.render(
        "office_documents.html",
        &cx.t("office.documents.title"),
        context! {
            documents => v(&list),
            form => v(&form),
            error => error.map(v),
            imported => imported.map(v),
            labels => labels(cx.lang),
        },
    )
    .status(status)
}

#[get("/documents")]
async fn documents_list(cx: PageContext, _who: Reviewer, db: &State<Db>) -> Page {
    documents_page(&cx, db, <DocumentForm as Default>::default(), None, None).await
}

#[post("/documents", data = "<form>")]
async fn document_create(
    cx: PageContext,
    who: Reviewer,
    db: &State<Db>,
    form: Form<DocumentForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let input = match form.input(cx.lang) {
        Ok(i) => i,
        Err(e) => {
            return Err(documents_page(
                &cx,
                db,
                form,
                Some((Status::UnprocessableEntity, e)),
                None,
            )
            .await);
        }
    };
    let actor = who.actor();
    let result = db
        .run(move |c| Ok::<_, DbError>(documents::save(c, &actor, None, &input)))
        .await;
    match result {
        Ok(Ok(change)) => Ok(Redirect::to(format!(
            "/documents/{}?done=created",
            change.document.id
        ))),
        Ok(Err(e)) => {
            let shown = document_refusal(&e, cx.lang);
            Err(documents_page(&cx, db, form, Some(shown), None).await)
        }
        Err(e) => Err(failure(&cx, e.into())),
    }
}

#[post("/documents/import", data = "<form>")]
async fn documents_import(
    cx: PageContext,
    who: Reviewer,
    db: &State<Db>,
    settings: &State<Settings>,
    form: Form<crate::web::admin::ListUpload<'_>>,
) -> Page {
    let outcome = api_review::import_documents(db, settings, &who, form.into_inner().file).await;
    let (error, imported) = match outcome {
        Ok(Ok(o)) => (None, Some(o)),
        Ok(Err(e)) => (Some(import_refusal(AppError::from(e), cx.lang)), None),
        Err(e) => (Some(import_refusal(e, cx.lang)), None),
    };
    documents_page(
        &cx,
        db,
        <DocumentForm as Default>::default(),
        error,
        imported,
    )
    .await
}

async fn document_page(
    cx: &PageContext,
    db: &Db,
    id: i64,
    form: Option<DocumentForm>,
    error: Option<(Status, ErrorView)>,
    saved: Option<DocumentChange>,
    done: Option<&str>,
) -> Page {
    let found = db
        .run(move |c| documents::find(c, id).map_err(DbError::from))
        .await;
    let doc = match found {
        Ok(Some(d)) => d,
        Ok(None) => return not_found(cx),
        Err(e) => return failure(cx, e.into()),
    };
    let form = form.unwrap_or_else(|| DocumentForm::of(&doc));
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (Status::Ok, None),
    };
    let done = match (done, &saved) {
        (_, Some(_)) => Some(cx.t("office.documents.saved")),
        (Some("created"), None) => Some(cx.t("office.documents.created")),
        _ => None,
    };
    cx.render(
        "office_document.html",
        &doc.title,
        context! {
            document => v(&doc),
            form => v(&form),
            error => error.map(v),
            done => done,
            citing => saved.map(|s| v(&s.citing)),
            labels => labels(cx.lang),
        },
    )
    .status(status)
}

#[get("/documents/<id>?<done>")]
async fn document_edit(
    cx: PageContext,
    _who: Reviewer,
    db: &State<Db>,
    id: i64,
    done: Option<&str>,
) -> Page {
    document_page(&cx, db, id, None, None, None, done).await
}

#[post("/documents/<id>", data = "<form>")]
async fn document_save(
    cx: PageContext,
    who: Reviewer,
    db: &State<Db>,
    id: i64,
    form: Form<DocumentForm>,
) -> Page {
    let form = form.into_inner();
    let input = match form.input(cx.lang) {
        Ok(i) => i,
        Err(e) => {
            return document_page(
                &cx,
                db,
                id,
                Some(form),
                Some((Status::UnprocessableEntity, e)),
                None,
                None,
            )
            .await;
        }
    };
    let actor = who.actor();
    let result = db
        .run(move |c| {
            if documents::find(c, id)?.is_none() {
                return Ok(Err(documents::DocumentError::NotFound));
            }
            Ok::<_, DbError>(documents::save(c, &actor, Some(id), &input))
        })
        .await;
    match result {
        Ok(Ok(change)) => document_page(&cx, db, id, None, None, Some(change), None).await,
        Ok(Err(documents::DocumentError::NotFound)) => not_found(&cx),
        Ok(Err(e)) => {
            let shown = document_refusal(&e, cx.lang);
            document_page(&cx, db, id, Some(form), Some(shown), None, None).await
        }
        Err(e) => failure(&cx, e.into()),
    }
}

pub fn routes() -> Vec<Route> {
    routes![
        rounds,
        upload_form,
        upload_post,
        submission,
        items,
        decide_bulk,
        item,
        decide,
        documents_list,
        document_create,
        documents_import,
        document_edit,
        document_save
    ]
}
