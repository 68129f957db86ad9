//! The admin pages under `/admin` (see the table in the parent module). Each list page carries
//! its "add" form and, for regions and departments, an import form; a refused change shows the
//! page again with the message next to the field and what was typed kept.

use std::collections::BTreeMap;

use minijinja::context;
use minijinja::value::Value;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;

use super::api::{ListKind, ListUpload, import_list};
use super::status_of;
use crate::config::Settings;
use crate::db::users::Role;
use crate::db::{Db, DbConnection, regions as region_db};
use crate::domain::Lang;
use crate::service::admin::departments::{self as dept_service, DepartmentInput};
use crate::service::admin::regions::{self as region_service, Level, RegionInput, RegionNode};
use crate::service::admin::rounds::{self as round_service, Round, RoundInput};
use crate::service::admin::users::{self as user_service, RoleInput, UserInput, UserListing};
use crate::service::admin::{AdminError, time};
use crate::web::AppError;
use crate::web::auth::Admin;
use crate::web::pages::{Page, PageContext};

// ---------------------------------------------------------------------------------------------
// Shared pieces

/// A refusal as a form shows it (admin and office pages alike): the field at fault (if known),
/// the message, and the bad rows of an imported file.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ErrorView {
    pub(crate) field: Option<&'static str>,
    pub(crate) message: String,
    pub(crate) rows: Vec<RowView>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RowView {
    pub(crate) row: u32,
    pub(crate) message: String,
}

/// The status and the view of an error.
fn error_view(e: AdminError, lang: Lang) -> (Status, ErrorView) {
    match e {
        AdminError::Refused(r) => (
            status_of(r.kind),
            ErrorView {
                field: r.field,
                message: r.message(lang).to_string(),
                rows: Vec::new(),
            },
        ),
        AdminError::Rows(rows) => (
            Status::UnprocessableEntity,
            ErrorView {
                field: None,
                message: lang
                    .pick(
                        &format!(
                            "{} 行有错误，未导入任何内容。请修改后重新导入：",
                            rows.len()
                        ),
                        &format!(
                            "{} rows have errors; nothing was imported. Fix them and import again:",
                            rows.len()
                        ),
                    )
                    .to_string(),
                rows: rows
                    .iter()
                    .map(|r| RowView {
                        row: r.row,
                        message: r.message(lang).to_string(),
                    })
                    .collect(),
            },
        ),
        other => app_error_view(AppError::from(other), lang),
    }
}

fn app_error_view(e: AppError, lang: Lang) -> (Status, ErrorView) {
    let field = e
        .detail
        .as_ref()
        .and_then(|d| d["field"].as_str())
        .and_then(known_field);
    (
        e.status,
        ErrorView {
            field,
            message: e.message(lang).to_string(),
            rows: Vec::new(),
        },
    )
}

/// Field names as `&'static str` (an `AppError` detail holds them as JSON).
fn known_field(name: &str) -> Option<&'static str> {
    ["file", "code", "name"].into_iter().find(|f| *f == name)
}

/// A refusal ready to show: its status and view.
type Shown = (Status, ErrorView);

fn shown(error: Option<Shown>) -> (Status, Option<ErrorView>) {
    match error {
        Some((status, view)) => (status, Some(view)),
        None => (Status::Ok, None),
    }
}

/// The page of a failure that is not the caller's input (database down and the like).
fn failure_page(cx: &PageContext, e: AdminError) -> Page {
    let (status, view) = error_view(e, cx.lang);
    cx.error(status, &view.message)
}

/// Any serialisable value for a template.
fn v<T: Serialize>(x: T) -> Value {
    Value::from(minijinja::value::Serde(x))
}

/// An option of a select: the value and what the person reads.
#[derive(Debug, Clone, Serialize)]
struct Choice {
    code: String,
    label: String,
}

/// Every region as options, indented by depth (`　济南市（370100）`).
fn region_choices(tree: &[RegionNode], only_parents: bool) -> Vec<Choice> {
    fn walk(nodes: &[RegionNode], depth: usize, only_parents: bool, out: &mut Vec<Choice>) {
        for n in nodes {
            if !(only_parents && n.level == Level::Township.code()) {
                out.push(Choice {
                    code: n.code.clone(),
                    label: format!("{}{}（{}）", "　".repeat(depth), n.name, n.code),
                });
            }
            walk(&n.children, depth + 1, only_parents, out);
        }
    }
    let mut out = Vec::new();
    walk(tree, 0, only_parents, &mut out);
    out
}

fn level_labels(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    Level::ALL
        .iter()
        .map(|l| (l.code(), l.label(lang)))
        .collect()
}

fn level_choices(lang: Lang) -> Vec<Choice> {
    Level::ALL
        .iter()
        .map(|l| Choice {
            code: l.code().to_string(),
            label: l.label(lang).to_string(),
        })
        .collect()
}

/// The confirmation a `?done=` shows, from a fixed list only.
fn done_text(cx: &PageContext, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "created" => "admin.done.created",
        "saved" => "admin.done.saved",
        "role" => "admin.done.role",
        "disabled" => "admin.done.disabled",
        "enabled" => "admin.done.enabled",
        _ => return None,
    };
    Some(cx.t(key))
}

fn import_done(
    cx: &PageContext,
    created: Option<usize>,
    unchanged: Option<usize>,
) -> Option<String> {
    let created = created?;
    let unchanged = unchanged.unwrap_or(0);
    Some(
        cx.lang
            .pick(
                &format!("导入完成：新增 {created} 条，{unchanged} 条与已有记录相同、未改动。"),
                &format!("Imported: {created} added, {unchanged} already there unchanged."),
            )
            .to_string(),
    )
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn nonblank(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[get("/admin")]
fn index(cx: PageContext, _admin: Admin) -> Page {
    cx.render("admin_index.html", &cx.t("admin.index.title"), context! {})
}

// ---------------------------------------------------------------------------------------------
// Regions

#[derive(Debug, Clone, Default, Serialize, FromForm)]
struct RegionForm {
    code: Option<String>,
    name: Option<String>,
    level: Option<String>,
    parent: Option<String>,
}

async fn regions_page(
    cx: &PageContext,
    db: &Db,
    form: RegionForm,
    error: Option<Shown>,
    done: Option<String>,
) -> Page {
    let tree = match db.run(region_service::tree).await {
        Ok(t) => t,
        Err(e) => return failure_page(cx, e),
    };
    let (status, error) = shown(error);
    cx.render(
        "admin_regions.html",
        &cx.t("admin.regions.title"),
        context! {
            tree => v(&tree),
            levels => level_labels(cx.lang),
            level_options => v(level_choices(cx.lang)),
            parent_options => v(region_choices(&tree, true)),
            form => v(&form),
            error => error.map(|e| v(&e)),
            done => done,
        },
    )
    .status(status)
}

#[get("/admin/regions?<done>&<created>&<unchanged>")]
async fn regions(
    cx: PageContext,
    _admin: Admin,
    db: &State<Db>,
    done: Option<&str>,
    created: Option<usize>,
    unchanged: Option<usize>,
) -> Page {
    let done = match done {
        Some("imported") => import_done(&cx, created, unchanged),
        other => done_text(&cx, other),
    };
    regions_page(&cx, db, Default::default(), None, done).await
}

#[post("/admin/regions", data = "<form>")]
async fn region_create(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    form: Form<RegionForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let input = RegionInput {
        code: opt(&form.code),
        name: opt(&form.name),
        level: nonblank(&form.level),
        parent: nonblank(&form.parent),
    };
    let actor = admin.actor();
    match db
        .run(move |c| region_service::create(c, &actor, &input))
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/regions?done=created")),
        Err(e) => Err(regions_page(&cx, db, form, Some(error_view(e, cx.lang)), None).await),
    }
}

#[post("/admin/regions/import", data = "<form>")]
async fn region_import(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    settings: &State<Settings>,
    form: Form<ListUpload<'_>>,
) -> Result<Redirect, Page> {
    let file = form.into_inner().file;
    let outcome = import_list(db, settings, &admin, ListKind::Regions, file, false).await;
    imported_or_page(&cx, db, "/admin/regions", outcome, ListKind::Regions).await
}

async fn imported_or_page(
    cx: &PageContext,
    db: &Db,
    back: &str,
    outcome: Result<Result<serde_json::Value, AdminError>, AppError>,
    kind: ListKind,
) -> Result<Redirect, Page> {
    let error = match outcome {
        Ok(Ok(o)) => {
            let created = o["created"].as_array().map_or(0, Vec::len);
            let unchanged = o["unchanged"].as_u64().unwrap_or(0);
            return Ok(Redirect::to(format!(
                "{back}?done=imported&created={created}&unchanged={unchanged}"
            )));
        }
        Ok(Err(e)) => error_view(e, cx.lang),
        Err(app) => {
            // The upload itself (missing, too large): shown like a refusal of the file field.
            let (status, mut view) = app_error_view(app, cx.lang);
            view.field = Some("file");
            (status, view)
        }
    };
    Err(match kind {
        ListKind::Regions => regions_page(cx, db, Default::default(), Some(error), None).await,
        ListKind::Departments => {
            departments_page(cx, db, Default::default(), Some(error), None).await
        }
    })
}

#[derive(Debug, Clone, Default, Serialize, FromForm)]
struct NameForm {
    name: Option<String>,
}

async fn region_page(
    cx: &PageContext,
    db: &Db,
    code: &str,
    form: Option<NameForm>,
    error: Option<Shown>,
) -> Page {
    let code_owned = code.to_string();
    let found = db
        .run(move |c| -> Result<_, AdminError> {
            let Some(region) = region_db::find_by_code(c, &code_owned)? else {
                return Ok(None);
            };
            let parent = match region.parent_id {
                Some(p) => region_db::find(c, p)?,
                None => None,
            };
            Ok(Some((region, parent)))
        })
        .await;
    let (region, parent) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return cx.error(Status::NotFound, &cx.t("error.404.body")),
        Err(e) => return failure_page(cx, e),
    };
    let form = form.unwrap_or(NameForm {
        name: Some(region.name.clone()),
    });
    let (status, error) = shown(error);
    let level_label = Level::from_code(&region.level)
        .map(|l| l.label(cx.lang))
        .unwrap_or("");
    cx.render(
        "admin_region.html",
        &format!("{}（{}）", region.name, region.code),
        context! {
            region => v(&region),
            parent => parent.map(|p| format!("{}（{}）", p.name, p.code)),
            level_label => level_label,
            form => v(&form),
            error => error.map(|e| v(&e)),
        },
    )
    .status(status)
}

#[get("/admin/regions/<code>")]
async fn region_edit(cx: PageContext, _admin: Admin, db: &State<Db>, code: &str) -> Page {
    region_page(&cx, db, code, None, None).await
}

#[post("/admin/regions/<code>", data = "<form>")]
async fn region_rename(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    code: &str,
    form: Form<NameForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let actor = admin.actor();
    let (code_owned, name) = (code.to_string(), opt(&form.name));
    match db
        .run(move |c| region_service::rename(c, &actor, &code_owned, &name))
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/regions?done=saved")),
        Err(e) => Err(region_page(&cx, db, code, Some(form), Some(error_view(e, cx.lang))).await),
    }
}

// ---------------------------------------------------------------------------------------------
// Departments

#[derive(Debug, Clone, Default, Serialize, FromForm)]
struct DepartmentForm {
    code: Option<String>,
    name: Option<String>,
    short_name: Option<String>,
    region: Option<String>,
    contact_person: Option<String>,
    contact_phone: Option<String>,
    contact_email: Option<String>,
}

impl DepartmentForm {
    fn input(&self) -> DepartmentInput {
        DepartmentInput {
            code: opt(&self.code),
            name: opt(&self.name),
            short_name: self.short_name.clone(),
            region: opt(&self.region),
            contact_person: self.contact_person.clone(),
            contact_phone: self.contact_phone.clone(),
            contact_email: self.contact_email.clone(),
        }
    }
}

fn region_tree(c: &mut DbConnection) -> Result<Vec<RegionNode>, AdminError> {
    region_service::tree(c)
}

async fn departments_page(
    cx: &PageContext,
    db: &Db,
    form: DepartmentForm,
    error: Option<Shown>,
    done: Option<String>,
) -> Page {
    let loaded = db
        .run(|c| Ok::<_, AdminError>((dept_service::list(c)?, region_tree(c)?)))
        .await;
    let (departments, tree) = match loaded {
        Ok(l) => l,
        Err(e) => return failure_page(cx, e),
    };
    let (status, error) = shown(error);
    cx.render(
        "admin_departments.html",
        &cx.t("admin.departments.title"),
        context! {
            departments => v(&departments),
            region_options => v(region_choices(&tree, false)),
            form => v(&form),
            error => error.map(|e| v(&e)),
            done => done,
        },
    )
    .status(status)
}

#[get("/admin/departments?<done>&<created>&<unchanged>")]
async fn departments(
    cx: PageContext,
    _admin: Admin,
    db: &State<Db>,
    done: Option<&str>,
    created: Option<usize>,
    unchanged: Option<usize>,
) -> Page {
    let done = match done {
        Some("imported") => import_done(&cx, created, unchanged),
        other => done_text(&cx, other),
    };
    departments_page(&cx, db, Default::default(), None, done).await
}

#[post("/admin/departments", data = "<form>")]
async fn department_create(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    form: Form<DepartmentForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let input = form.input();
    let actor = admin.actor();
    match db
        .run(move |c| dept_service::create(c, &actor, &input))
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/departments?done=created")),
        Err(e) => Err(departments_page(&cx, db, form, Some(error_view(e, cx.lang)), None).await),
    }
}

#[post("/admin/departments/import", data = "<form>")]
async fn department_import(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    settings: &State<Settings>,
    form: Form<ListUpload<'_>>,
) -> Result<Redirect, Page> {
    let file = form.into_inner().file;
    let outcome = import_list(db, settings, &admin, ListKind::Departments, file, false).await;
    imported_or_page(
        &cx,
        db,
        "/admin/departments",
        outcome,
        ListKind::Departments,
    )
    .await
}

async fn department_page(
    cx: &PageContext,
    db: &Db,
    id: i64,
    form: Option<DepartmentForm>,
    error: Option<Shown>,
) -> Page {
    let loaded = db
        .run(move |c| {
            let listing = dept_service::list(c)?
                .into_iter()
                .find(|d| d.department.id == id);
            Ok::<_, AdminError>((listing, region_tree(c)?))
        })
        .await;
    let (listing, tree) = match loaded {
        Ok((Some(l), tree)) => (l, tree),
        Ok((None, _)) => return cx.error(Status::NotFound, &cx.t("error.404.body")),
        Err(e) => return failure_page(cx, e),
    };
    let d = &listing.department;
    let form = form.unwrap_or_else(|| DepartmentForm {
        code: Some(d.code.clone()),
        name: Some(d.name.clone()),
        short_name: d.short_name.clone(),
        region: Some(listing.region_code.clone()),
        contact_person: d.contact_person.clone(),
        contact_phone: d.contact_phone.clone(),
        contact_email: d.contact_email.clone(),
    });
    let (status, error) = shown(error);
    cx.render(
        "admin_department.html",
        &d.name,
        context! {
            id => id,
            region_options => v(region_choices(&tree, false)),
            form => v(&form),
            error => error.map(|e| v(&e)),
        },
    )
    .status(status)
}

#[get("/admin/departments/<id>")]
async fn department_edit(cx: PageContext, _admin: Admin, db: &State<Db>, id: i64) -> Page {
    department_page(&cx, db, id, None, None).await
}

#[post("/admin/departments/<id>", data = "<form>")]
async fn department_update(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    id: i64,
    form: Form<DepartmentForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let input = form.input();
    let actor = admin.actor();
    match db
        .run(move |c| dept_service::update(c, &actor, id, &input))
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/departments?done=saved")),
        Err(e) => Err(department_page(&cx, db, id, Some(form), Some(error_view(e, cx.lang))).await),
    }
}

// ---------------------------------------------------------------------------------------------
// Rounds

#[derive(Debug, Clone, Default, Serialize, FromForm)]
struct RoundForm {
    name: Option<String>,
    region: Option<String>,
    submission_deadline: Option<String>,
    consultation_start: Option<String>,
    consultation_end: Option<String>,
    publication_deadline: Option<String>,
}

impl RoundForm {
    fn input(&self) -> RoundInput {
        RoundInput {
            name: opt(&self.name),
            region: opt(&self.region),
            submission_deadline: self.submission_deadline.clone(),
            consultation_start: self.consultation_start.clone(),
            consultation_end: self.consultation_end.clone(),
            publication_deadline: self.publication_deadline.clone(),
        }
    }

    fn of(round: &Round, region_code: &str) -> RoundForm {
        RoundForm {
            name: Some(round.name.clone()),
            region: Some(region_code.to_string()),
            submission_deadline: round.submission_deadline.map(time::input_value),
            consultation_start: round.consultation_starts_at.map(time::input_value),
            consultation_end: round.consultation_ends_at.map(time::input_value),
            publication_deadline: round.publication_deadline.map(time::input_value),
        }
    }
}

/// A round as the list page shows it: times in Beijing time.
#[derive(Debug, Clone, Serialize)]
struct RoundRow {
    id: i64,
    name: String,
    region_code: String,
    region_name: String,
    submission_deadline: Option<String>,
    consultation_start: Option<String>,
    consultation_end: Option<String>,
    publication_deadline: Option<String>,
}

async fn rounds_page(
    cx: &PageContext,
    db: &Db,
    form: RoundForm,
    error: Option<Shown>,
    done: Option<String>,
) -> Page {
    let loaded = db
        .run(|c| {
            let rounds = round_service::list_all(c)?;
            let regions = region_db::list(c)?;
            Ok::<_, AdminError>((rounds, regions, region_tree(c)?))
        })
        .await;
    let (rounds, regions, tree) = match loaded {
        Ok(l) => l,
        Err(e) => return failure_page(cx, e),
    };
    let rows: Vec<RoundRow> = rounds
        .iter()
        .map(|r| {
            let region = regions.iter().find(|g| g.id == r.region_id);
            RoundRow {
                id: r.id,
                name: r.name.clone(),
                region_code: region.map(|g| g.code.clone()).unwrap_or_default(),
                region_name: region.map(|g| g.name.clone()).unwrap_or_default(),
                submission_deadline: r.submission_deadline.map(time::display),
                consultation_start: r.consultation_starts_at.map(time::display),
                consultation_end: r.consultation_ends_at.map(time::display),
                publication_deadline: r.publication_deadline.map(time::display),
            }
        })
        .collect();
    let (status, error) = shown(error);
    cx.render(
        "admin_rounds.html",
        &cx.t("admin.rounds.title"),
        context! {
            rounds => v(&rows),
            region_options => v(region_choices(&tree, false)),
            form => v(&form),
            error => error.map(|e| v(&e)),
            done => done,
        },
    )
    .status(status)
}

#[get("/admin/rounds?<done>")]
async fn rounds(cx: PageContext, _admin: Admin, db: &State<Db>, done: Option<&str>) -> Page {
    let done = done_text(&cx, done);
    rounds_page(&cx, db, Default::default(), None, done).await
}

#[post("/admin/rounds", data = "<form>")]
async fn round_create(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    form: Form<RoundForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let input = form.input();
    let actor = admin.actor();
    match db
        .run(move |c| round_service::create(c, &actor, &input))
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/rounds?done=created")),
        Err(e) => Err(rounds_page(&cx, db, form, Some(error_view(e, cx.lang)), None).await),
    }
}

async fn round_page(
    cx: &PageContext,
    db: &Db,
    id: i64,
    form: Option<RoundForm>,
    error: Option<Shown>,
) -> Page {
    let loaded = db
        .run(move |c| {
            let Some(round) = round_service::find(c, id)? else {
                return Ok::<_, AdminError>(None);
            };
            let region = region_db::find(c, round.region_id)?;
            Ok(Some((round, region, region_tree(c)?)))
        })
        .await;
    let (round, region, tree) = match loaded {
        Ok(Some(l)) => l,
        Ok(None) => return cx.error(Status::NotFound, &cx.t("error.404.body")),
        Err(e) => return failure_page(cx, e),
    };
    let region_code = region.map(|r| r.code).unwrap_or_default();
    let form = form.unwrap_or_else(|| RoundForm::of(&round, &region_code));
    let (status, error) = shown(error);
    cx.render(
        "admin_round.html",
        &round.name,
        context! {
            id => id,
            region_options => v(region_choices(&tree, false)),
            form => v(&form),
            error => error.map(|e| v(&e)),
        },
    )
    .status(status)
}

#[get("/admin/rounds/<id>")]
async fn round_edit(cx: PageContext, _admin: Admin, db: &State<Db>, id: i64) -> Page {
    round_page(&cx, db, id, None, None).await
}

#[post("/admin/rounds/<id>", data = "<form>")]
async fn round_update(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    id: i64,
    form: Form<RoundForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let input = form.input();
    let actor = admin.actor();
    match db
        .run(move |c| round_service::update(c, &actor, id, &input))
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/rounds?done=saved")),
        Err(e) => Err(round_page(&cx, db, id, Some(form), Some(error_view(e, cx.lang))).await),
    }
}

// ---------------------------------------------------------------------------------------------
// Users

#[derive(Debug, Clone, Default, Serialize, FromForm)]
struct UserForm {
    username: Option<String>,
    role: Option<String>,
    department: Option<String>,
    region: Option<String>,
}

impl UserForm {
    /// The department and region the role takes: the form shows both selects, and the one the
    /// role does not use is ignored rather than refused.
    fn attachments(&self) -> (Option<String>, Option<String>) {
        match self.role.as_deref().map(str::trim) {
            Some("submitter") => (nonblank(&self.department), None),
            Some("reviewer") => (None, nonblank(&self.region)),
            Some("admin") => (None, None),
            _ => (nonblank(&self.department), nonblank(&self.region)),
        }
    }
}

/// A user as the pages show it.
#[derive(Debug, Clone, Serialize)]
struct UserRow {
    id: i64,
    username: String,
    role_label: String,
    attached: Option<String>,
    disabled: bool,
    must_change_password: bool,
}

fn user_row(u: &UserListing, lang: Lang) -> UserRow {
    let attached = match (&u.department_name, &u.region_name) {
        (Some(d), _) => Some(format!(
            "{d}（{}）",
            u.department_code.clone().unwrap_or_default()
        )),
        (None, Some(r)) => Some(format!(
            "{r}（{}）",
            u.region_code.clone().unwrap_or_default()
        )),
        (None, None) => None,
    };
    UserRow {
        id: u.id,
        username: u.username.clone(),
        role_label: Role::from_code(&u.role)
            .map(|r| r.label(lang).to_string())
            .unwrap_or_else(|| u.role.clone()),
        attached,
        disabled: u.disabled,
        must_change_password: u.must_change_password,
    }
}

fn role_choices(lang: Lang) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            code: r.code().to_string(),
            label: r.label(lang).to_string(),
        })
        .collect()
}

/// The choices of the role form: departments and regions.
struct RoleChoices {
    departments: Vec<Choice>,
    regions: Vec<Choice>,
}

fn load_role_choices(c: &mut DbConnection) -> Result<RoleChoices, AdminError> {
    let departments = dept_service::list(c)?
        .into_iter()
        .map(|d| Choice {
            label: format!("{}（{}）", d.department.name, d.department.code),
            code: d.department.code,
        })
        .collect();
    Ok(RoleChoices {
        departments,
        regions: region_choices(&region_tree(c)?, false),
    })
}

async fn users_page(
    cx: &PageContext,
    db: &Db,
    form: UserForm,
    error: Option<Shown>,
    done: Option<String>,
) -> Page {
    let loaded = db
        .run(|c| Ok::<_, AdminError>((user_service::list(c)?, load_role_choices(c)?)))
        .await;
    let (users, choices) = match loaded {
        Ok(l) => l,
        Err(e) => return failure_page(cx, e),
    };
    let rows: Vec<UserRow> = users.iter().map(|u| user_row(u, cx.lang)).collect();
    let (status, error) = shown(error);
    cx.render(
        "admin_users.html",
        &cx.t("admin.users.title"),
        context! {
            users => v(&rows),
            role_options => v(role_choices(cx.lang)),
            department_options => v(&choices.departments),
            region_options => v(&choices.regions),
            form => v(&form),
            error => error.map(|e| v(&e)),
            done => done,
        },
    )
    .status(status)
}

#[get("/admin/users?<done>")]
async fn users(cx: PageContext, _admin: Admin, db: &State<Db>, done: Option<&str>) -> Page {
    let done = done_text(&cx, done);
    users_page(&cx, db, Default::default(), None, done).await
}

#[post("/admin/users", data = "<form>")]
async fn user_create(cx: PageContext, admin: Admin, db: &State<Db>, form: Form<UserForm>) -> Page {
    let form = form.into_inner();
    let (department, region) = form.attachments();
    let input = UserInput {
        username: opt(&form.username),
        role: opt(&form.role),
        department,
        region,
    };
    let actor = admin.actor();
    match db
        .run(move |c| user_service::create(c, &actor, &input))
        .await
    {
        Ok((user, password)) => {
            user_page(
                &cx,
                &admin,
                db,
                user.id,
                None,
                None,
                Some(password),
                Some("created"),
            )
            .await
        }
        Err(e) => users_page(&cx, db, form, Some(error_view(e, cx.lang)), None).await,
    }
}

#[allow(clippy::too_many_arguments)]
async fn user_page(
    cx: &PageContext,
    admin: &Admin,
    db: &Db,
    id: i64,
    form: Option<UserForm>,
    error: Option<Shown>,
    one_time_password: Option<String>,
    done: Option<&str>,
) -> Page {
    let loaded = db
        .run(move |c| Ok::<_, AdminError>((user_service::find(c, id)?, load_role_choices(c)?)))
        .await;
    let (listing, choices) = match loaded {
        Ok(l) => l,
        Err(e) => {
            let (status, view) = error_view(e, cx.lang);
            return cx.error(status, &view.message);
        }
    };
    let form = form.unwrap_or_else(|| UserForm {
        username: Some(listing.username.clone()),
        role: Some(listing.role.clone()),
        department: listing.department_code.clone(),
        region: listing.region_code.clone(),
    });
    let (status, error) = shown(error);
    cx.render(
        "admin_user.html",
        &listing.username,
        context! {
            account => v(user_row(&listing, cx.lang)),
            is_self => listing.id == admin.user_id,
            role_options => v(role_choices(cx.lang)),
            department_options => v(&choices.departments),
            region_options => v(&choices.regions),
            form => v(&form),
            error => error.map(|e| v(&e)),
            one_time_password => one_time_password,
            done => done_text(cx, done),
        },
    )
    .status(status)
}

#[get("/admin/users/<id>?<done>")]
async fn user_detail(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    id: i64,
    done: Option<&str>,
) -> Page {
    user_page(&cx, &admin, db, id, None, None, None, done).await
}

#[post("/admin/users/<id>/role", data = "<form>")]
async fn user_set_role(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    id: i64,
    form: Form<UserForm>,
) -> Result<Redirect, Page> {
    let form = form.into_inner();
    let (department, region) = form.attachments();
    let input = RoleInput {
        role: opt(&form.role),
        department,
        region,
    };
    let actor = admin.actor();
    match db
        .run(move |c| user_service::set_role(c, &actor, id, &input))
        .await
    {
        Ok(_) => Ok(Redirect::to(format!("/admin/users/{id}?done=role"))),
        Err(e) => Err(user_page(
            &cx,
            &admin,
            db,
            id,
            Some(form),
            Some(error_view(e, cx.lang)),
            None,
            None,
        )
        .await),
    }
}

async fn set_disabled(
    cx: &PageContext,
    admin: &Admin,
    db: &Db,
    id: i64,
    disabled: bool,
) -> Result<Redirect, Page> {
    let actor = admin.actor();
    let me = admin.user_id;
    match db
        .run(move |c| user_service::set_disabled(c, &actor, Some(me), id, disabled))
        .await
    {
        Ok(_) => Ok(Redirect::to(format!(
            "/admin/users/{id}?done={}",
            if disabled { "disabled" } else { "enabled" }
        ))),
        Err(e) => Err(user_page(
            cx,
            admin,
            db,
            id,
            None,
            Some(error_view(e, cx.lang)),
            None,
            None,
        )
        .await),
    }
}

#[post("/admin/users/<id>/disable")]
async fn user_disable(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    id: i64,
) -> Result<Redirect, Page> {
    set_disabled(&cx, &admin, db, id, true).await
}

#[post("/admin/users/<id>/enable")]
async fn user_enable(
    cx: PageContext,
    admin: Admin,
    db: &State<Db>,
    id: i64,
) -> Result<Redirect, Page> {
    set_disabled(&cx, &admin, db, id, false).await
}

#[post("/admin/users/<id>/reset-password")]
async fn user_reset_password(cx: PageContext, admin: Admin, db: &State<Db>, id: i64) -> Page {
    let actor = admin.actor();
    match db
        .run(move |c| user_service::reset_password(c, &actor, id))
        .await
    {
        Ok((_, password)) => user_page(&cx, &admin, db, id, None, None, Some(password), None).await,
        Err(e) => {
            user_page(
                &cx,
                &admin,
                db,
                id,
                None,
                Some(error_view(e, cx.lang)),
                None,
                None,
            )
            .await
        }
    }
}

pub fn routes() -> Vec<Route> {
    routes![
        index,
        regions,
        region_create,
        region_import,
        region_edit,
        region_rename,
        departments,
        department_create,
        department_import,
        department_edit,
        department_update,
        rounds,
        round_create,
        round_edit,
        round_update,
        users,
        user_create,
        user_detail,
        user_set_role,
        user_disable,
        user_enable,
        user_reset_password,
    ]
}
