//! The office's dashboard of a round, its charts, the report upward and the reminders (issue
//! #8). Reviewers and admins only, scoped like the review: a round outside the caller's reach
//! is a 404. Every handler reads the one computation in `service::dashboard`.
//!
//! | method and path | what |
//! |---|---|
//! | `GET /rounds/{id}/dashboard` | the page: states, figures, charts with their tables |
//! | `GET /rounds/{id}/dashboard/{chart}.svg` | `outcome`, `departments`, `submissions` |
//! | `GET /rounds/{id}/reminders` | the departments to remind, with contacts |
//! | `GET /rounds/{id}/reminders.xlsx` | the same as a workbook |
//! | `GET /api/v1/rounds/{id}/dashboard` | the figures as JSON |
//! | `GET /api/v1/rounds/{id}/report.xlsx` | the report upward |

use minijinja::context;
use minijinja::value::Value;
use rocket::http::{ContentType, Status};
use rocket::serde::json::Json;
use rocket::{Route, State, get, routes};
use serde::Serialize;

use super::api_import::Download;
use super::auth::Reviewer;
use super::pages::{Page, PageContext};
use super::{ApiResult, AppError, Lang};
use crate::db::{Db, DbError};
use crate::export::charts::{self, Chart};
use crate::export::report::{self, Unit};
use crate::service::admin::time;
use crate::service::dashboard::{self, DECISION_COLUMNS, Dashboard, decision_label};

fn v<T: Serialize>(x: T) -> Value {
    Value::from(minijinja::value::Serde(x))
}

/// The dashboard of a round as the reviewer sees it; `None` outside the reviewer's reach.
async fn load(
    db: &Db,
    who: &Reviewer,
    round: i64,
    lang: Lang,
) -> Result<Option<Dashboard>, AppError> {
    let scope = who.scope();
    Ok(db
        .run(move |c| dashboard::compute(c, &scope, round, lang).map_err(DbError::from))
        .await?)
}

fn no_round() -> AppError {
    AppError::not_found("未找到该清理批次", "No such round")
}

fn export_failed(e: impl std::fmt::Display) -> AppError {
    AppError::new(
        Status::InternalServerError,
        "export_failed",
        format!("无法生成文件：{e}"),
        format!("Cannot write the file: {e}"),
    )
}

fn page_failure(cx: &PageContext, e: AppError) -> Page {
    cx.error(e.status, e.message(cx.lang))
}

/// A share as the page prints it: `25.0%`, or a dash.
fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".into(), |s| format!("{:.1}%", s * 100.0))
}

#[get("/rounds/<round>/dashboard")]
async fn page(cx: PageContext, who: Reviewer, db: &State<Db>, round: i64) -> Page {
    let d = match load(db, &who, round, cx.lang).await {
        Ok(Some(d)) => d,
        Ok(None) => return page_failure(&cx, no_round()),
        Err(e) => return page_failure(&cx, e),
    };
    let lang = cx.lang;
    let o = &d.outcome;
    let figures: Vec<Value> = report::figures(&d, lang)
        .into_iter()
        .map(|(label, value, unit)| {
            let shown = match (unit, value) {
                (_, None) => "—".to_string(),
                (Unit::Percent, Some(x)) => format!("{x:.1}%"),
                (Unit::Months, Some(x)) => format!("{x:.1}"),
                (Unit::Count, Some(x)) => format!("{x}"),
            };
            context! { label => label, value => shown }
        })
        .collect();
    let outcome_rows: Vec<Value> = charts::outcome_rows(&d, lang)
        .into_iter()
        .map(|(label, before, after)| context! { label => label, before => before, after => after })
        .collect();
    let decision_labels: Vec<&str> = (0..DECISION_COLUMNS)
        .map(|c| decision_label(c, lang))
        .collect();
    let title = format!(
        "{}{}{}",
        cx.t("dashboard.title"),
        cx.t("p.colon"),
        d.round_name
    );
    cx.render(
        "office_dashboard.html",
        &title,
        context! {
            d => v(&d),
            deadline => d.submission_deadline.map(time::display),
            figures => figures,
            outcome_rows => outcome_rows,
            share_cancelled => percent(o.share_cancelled),
            decision_labels => decision_labels,
            definitions => report::definitions(lang),
            charts => Chart::ALL.iter().map(|c| context! {
                code => c.code(), title => c.title(lang),
            }).collect::<Vec<_>>(),
        },
    )
}

/// An SVG image, e.g. `outcome.svg`.
struct Svg(String);

impl<'r> rocket::response::Responder<'r, 'static> for Svg {
    fn respond_to(self, _: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        rocket::Response::build()
            .header(ContentType::SVG)
            .sized_body(self.0.len(), std::io::Cursor::new(self.0))
            .ok()
    }
}

#[get("/rounds/<round>/dashboard/<file>")]
async fn chart(
    who: Reviewer,
    db: &State<Db>,
    lang: Lang,
    round: i64,
    file: &str,
) -> Result<Svg, Status> {
    let chart = file
        .strip_suffix(".svg")
        .and_then(Chart::from_code)
        .ok_or(Status::NotFound)?;
    let d = load(db, &who, round, lang)
        .await
        .map_err(|e| e.status)?
        .ok_or(Status::NotFound)?;
    rocket::tokio::task::spawn_blocking(move || charts::svg(&d, chart, lang))
        .await
        .map_err(|_| Status::ServiceUnavailable)?
        .map(Svg)
        .map_err(|e| {
            tracing::error!(error = %e, "chart failed");
            Status::InternalServerError
        })
}

#[get("/rounds/<round>/reminders")]
async fn reminders_page(cx: PageContext, who: Reviewer, db: &State<Db>, round: i64) -> Page {
    let d = match load(db, &who, round, cx.lang).await {
        Ok(Some(d)) => d,
        Ok(None) => return page_failure(&cx, no_round()),
        Err(e) => return page_failure(&cx, e),
    };
    let reminders: Vec<&dashboard::DepartmentLine> = d.reminders().collect();
    let title = format!(
        "{}{}{}",
        cx.t("reminders.title"),
        cx.t("p.colon"),
        d.round_name
    );
    cx.render(
        "office_reminders.html",
        &title,
        context! {
            round_id => d.round_id,
            deadline => d.submission_deadline.map(time::display),
            reminders => v(&reminders),
        },
    )
}

async fn workbook(
    db: &State<Db>,
    who: &Reviewer,
    round: i64,
    lang: Lang,
    reminders: bool,
) -> ApiResult<Download> {
    let d = load(db, who, round, lang).await?.ok_or_else(no_round)?;
    let file_name = match (reminders, lang) {
        (true, Lang::Zh) => format!("{}催报名单.xlsx", d.round_name),
        (true, Lang::En) => format!("reminders-{round}.xlsx"),
        (false, Lang::Zh) => format!("{}进展情况报告.xlsx", d.round_name),
        (false, Lang::En) => format!("report-{round}.xlsx"),
    };
    let bytes = rocket::tokio::task::spawn_blocking(move || {
        if reminders {
            report::reminders(&d, lang)
        } else {
            report::write(&d, lang)
        }
    })
    .await
    .map_err(|_| AppError::unavailable("暂时无法生成", "Unavailable"))?
    .map_err(export_failed)?;
    Ok(Download {
        bytes,
        content_type: ContentType::new(
            "application",
            "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        file_name,
    })
}

#[get("/rounds/<round>/reminders.xlsx")]
async fn reminders_xlsx(
    who: Reviewer,
    db: &State<Db>,
    lang: Lang,
    round: i64,
) -> ApiResult<Download> {
    workbook(db, &who, round, lang, true).await
}

#[get("/api/v1/rounds/<round>/report.xlsx")]
async fn api_report(who: Reviewer, db: &State<Db>, lang: Lang, round: i64) -> ApiResult<Download> {
    workbook(db, &who, round, lang, false).await
}

#[get("/api/v1/rounds/<round>/dashboard")]
async fn api_dashboard(
    who: Reviewer,
    db: &State<Db>,
    lang: Lang,
    round: i64,
) -> ApiResult<Json<Dashboard>> {
    load(db, &who, round, lang)
        .await?
        .map(Json)
        .ok_or_else(no_round)
}

pub fn routes() -> Vec<Route> {
    routes![
        page,
        chart,
        reminders_page,
        reminders_xlsx,
        api_report,
        api_dashboard
    ]
}
