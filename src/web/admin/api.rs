//! The administration API under `/api/v1` (see the table in the parent module).

use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, put, routes};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::Settings;
use crate::db::Db;
use crate::service::admin::departments::{self as dept_service, DepartmentInput};
use crate::service::admin::regions::{self as region_service, RegionInput};
use crate::service::admin::rounds::{self as round_service, RoundInput, RoundView};
use crate::service::admin::users::{self as user_service, RoleInput, UserInput};
use crate::service::admin::{AdminError, time};
use crate::web::api_import::read_upload;
use crate::web::auth::{Admin, Principal};
use crate::web::{ApiResult, AppError};

/// A department as the admin API shows it: every field, contacts included.
fn department_json(d: &crate::db::departments::Department) -> Value {
    json!({
        "id": d.id,
        "code": d.code,
        "name": d.name,
        "short_name": d.short_name,
        "region_id": d.region_id,
        "contact_person": d.contact_person,
        "contact_phone": d.contact_phone,
        "contact_email": d.contact_email,
        "created_at": time::rfc3339(d.created_at),
    })
}

fn region_json(r: &crate::db::regions::Region) -> Value {
    json!({
        "id": r.id,
        "code": r.code,
        "name": r.name,
        "level": r.level,
        "parent_id": r.parent_id,
        "created_at": time::rfc3339(r.created_at),
    })
}

// ---------------------------------------------------------------------------------------------
// Regions

#[get("/api/v1/regions")]
async fn regions_tree(_admin: Admin, db: &State<Db>) -> ApiResult<Json<Value>> {
    let tree = db.run(region_service::tree).await?;
    Ok(Json(json!({ "regions": tree })))
}

#[post("/api/v1/regions", format = "json", data = "<body>")]
async fn region_create(
    admin: Admin,
    db: &State<Db>,
    body: Json<RegionInput>,
) -> ApiResult<(Status, Json<Value>)> {
    let actor = admin.actor();
    let input = body.into_inner();
    let region = db
        .run(move |c| region_service::create(c, &actor, &input))
        .await?;
    Ok((
        Status::Created,
        Json(json!({ "region": region_json(&region) })),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct RenameBody {
    name: String,
}

#[put("/api/v1/regions/<code>", format = "json", data = "<body>")]
async fn region_rename(
    admin: Admin,
    db: &State<Db>,
    code: &str,
    body: Json<RenameBody>,
) -> ApiResult<Json<Value>> {
    let actor = admin.actor();
    let code = code.to_string();
    let name = body.into_inner().name;
    let region = db
        .run(move |c| region_service::rename(c, &actor, &code, &name))
        .await?;
    Ok(Json(json!({ "region": region_json(&region) })))
}

/// The multipart body of a list import: `file` (a cookie session's CSRF field comes first and is
/// checked by the guard; forms are parsed leniently, so it needs no field here).
#[derive(FromForm)]
pub struct ListUpload<'r> {
    pub file: Option<TempFile<'r>>,
}

/// Which list an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Regions,
    Departments,
}

/// Reads the upload and imports it; the JSON of what was done. Shared with the pages.
pub async fn import_list(
    db: &Db,
    settings: &Settings,
    principal: &Principal,
    kind: ListKind,
    file: Option<TempFile<'_>>,
    dry_run: bool,
) -> ApiResult<Result<Value, AdminError>> {
    let (file_name, bytes) = read_upload(file, settings).await?;
    let actor = principal.actor();
    let outcome = db
        .run(move |c| {
            Ok::<_, AdminError>(match kind {
                ListKind::Regions => {
                    region_service::import(c, &actor, &file_name, &bytes, dry_run).map(|o| json!(o))
                }
                ListKind::Departments => {
                    dept_service::import(c, &actor, &file_name, &bytes, dry_run).map(|o| json!(o))
                }
            })
        })
        .await
        .map_err(AppError::from)?;
    Ok(outcome)
}

fn imported(outcome: Value, dry_run: bool) -> (Status, Json<Value>) {
    let created = outcome["created"].as_array().map_or(0, Vec::len);
    let status = if !dry_run && created > 0 {
        Status::Created
    } else {
        Status::Ok
    };
    (status, Json(json!({ "import": outcome })))
}

#[post("/api/v1/regions/import?<dry_run>", data = "<form>")]
async fn region_import(
    admin: Admin,
    db: &State<Db>,
    settings: &State<Settings>,
    dry_run: Option<bool>,
    form: Form<ListUpload<'_>>,
) -> ApiResult<(Status, Json<Value>)> {
    let dry_run = dry_run.unwrap_or(false);
    let form = form.into_inner();
    let outcome = import_list(db, settings, &admin, ListKind::Regions, form.file, dry_run).await?;
    Ok(imported(outcome?, dry_run))
}

// ---------------------------------------------------------------------------------------------
// Departments (the scoped GET routes are in `account_routes`)

#[post("/api/v1/departments", format = "json", data = "<body>")]
async fn department_create(
    admin: Admin,
    db: &State<Db>,
    body: Json<DepartmentInput>,
) -> ApiResult<(Status, Json<Value>)> {
    let actor = admin.actor();
    let input = body.into_inner();
    let department = db
        .run(move |c| dept_service::create(c, &actor, &input))
        .await?;
    Ok((
        Status::Created,
        Json(json!({ "department": department_json(&department) })),
    ))
}

#[put("/api/v1/departments/<id>", format = "json", data = "<body>")]
async fn department_update(
    admin: Admin,
    db: &State<Db>,
    id: i64,
    body: Json<DepartmentInput>,
) -> ApiResult<Json<Value>> {
    let actor = admin.actor();
    let input = body.into_inner();
    let department = db
        .run(move |c| dept_service::update(c, &actor, id, &input))
        .await?;
    Ok(Json(json!({ "department": department_json(&department) })))
}

#[post("/api/v1/departments/import?<dry_run>", data = "<form>")]
async fn department_import(
    admin: Admin,
    db: &State<Db>,
    settings: &State<Settings>,
    dry_run: Option<bool>,
    form: Form<ListUpload<'_>>,
) -> ApiResult<(Status, Json<Value>)> {
    let dry_run = dry_run.unwrap_or(false);
    let form = form.into_inner();
    let outcome = import_list(
        db,
        settings,
        &admin,
        ListKind::Departments,
        form.file,
        dry_run,
    )
    .await?;
    Ok(imported(outcome?, dry_run))
}

// ---------------------------------------------------------------------------------------------
// Rounds

#[get("/api/v1/rounds")]
async fn rounds_list(principal: Principal, db: &State<Db>) -> ApiResult<Json<Value>> {
    let scope = principal.scope();
    let rounds = db
        .run(move |c| round_service::list_visible(c, &scope).map_err(AdminError::from))
        .await?;
    Ok(Json(json!({ "rounds": rounds })))
}

#[get("/api/v1/rounds/<id>")]
async fn round_get(principal: Principal, db: &State<Db>, id: i64) -> ApiResult<Json<RoundView>> {
    let scope = principal.scope();
    db.run(move |c| round_service::find_visible(c, &scope, id).map_err(AdminError::from))
        .await?
        .map(Json)
        .ok_or_else(|| AdminError::from(round_service::no_round(id)).into())
}

async fn round_view(db: &Db, round: round_service::Round) -> ApiResult<RoundView> {
    let view = db
        .run(move |c| {
            let region = crate::db::regions::find(c, round.region_id)?;
            Ok::<_, AdminError>(RoundView::of(&round, region.as_ref()))
        })
        .await?;
    Ok(view)
}

#[post("/api/v1/rounds", format = "json", data = "<body>")]
async fn round_create(
    admin: Admin,
    db: &State<Db>,
    body: Json<RoundInput>,
) -> ApiResult<(Status, Json<Value>)> {
    let actor = admin.actor();
    let input = body.into_inner();
    let round = db
        .run(move |c| round_service::create(c, &actor, &input))
        .await?;
    let view = round_view(db, round).await?;
    Ok((Status::Created, Json(json!({ "round": view }))))
}

#[put("/api/v1/rounds/<id>", format = "json", data = "<body>")]
async fn round_update(
    admin: Admin,
    db: &State<Db>,
    id: i64,
    body: Json<RoundInput>,
) -> ApiResult<Json<Value>> {
    let actor = admin.actor();
    let input = body.into_inner();
    let round = db
        .run(move |c| round_service::update(c, &actor, id, &input))
        .await?;
    let view = round_view(db, round).await?;
    Ok(Json(json!({ "round": view })))
}

// ---------------------------------------------------------------------------------------------
// Users

const SHOWN_ONCE: &str = "这是唯一一次显示该一次性密码，请立即转交用户；用户首次登录后须修改 (shown once: hand it over now; it must be changed at first sign-in)";

#[get("/api/v1/users")]
async fn users_list(_admin: Admin, db: &State<Db>) -> ApiResult<Json<Value>> {
    let users = db.run(user_service::list).await?;
    Ok(Json(json!({ "users": users })))
}

#[get("/api/v1/users/<id>")]
async fn user_get(_admin: Admin, db: &State<Db>, id: i64) -> ApiResult<Json<Value>> {
    let user = db.run(move |c| user_service::find(c, id)).await?;
    Ok(Json(json!({ "user": user })))
}

#[post("/api/v1/users", format = "json", data = "<body>")]
async fn user_create(
    admin: Admin,
    db: &State<Db>,
    body: Json<UserInput>,
) -> ApiResult<(Status, Json<Value>)> {
    let actor = admin.actor();
    let input = body.into_inner();
    let (listing, password) = db
        .run(move |c| {
            let (user, password) = user_service::create(c, &actor, &input)?;
            Ok::<_, AdminError>((user_service::find(c, user.id)?, password))
        })
        .await?;
    Ok((
        Status::Created,
        Json(json!({
            "user": listing,
            "one_time_password": password,
            "note": SHOWN_ONCE,
        })),
    ))
}

#[put("/api/v1/users/<id>", format = "json", data = "<body>")]
async fn user_set_role(
    admin: Admin,
    db: &State<Db>,
    id: i64,
    body: Json<RoleInput>,
) -> ApiResult<Json<Value>> {
    let actor = admin.actor();
    let input = body.into_inner();
    let user = db
        .run(move |c| {
            user_service::set_role(c, &actor, id, &input)?;
            user_service::find(c, id)
        })
        .await?;
    Ok(Json(json!({ "user": user })))
}

async fn set_disabled(admin: &Admin, db: &Db, id: i64, disabled: bool) -> ApiResult<Json<Value>> {
    let actor = admin.actor();
    let me = admin.user_id;
    let user = db
        .run(move |c| {
            user_service::set_disabled(c, &actor, Some(me), id, disabled)?;
            user_service::find(c, id)
        })
        .await?;
    Ok(Json(json!({ "user": user })))
}

#[post("/api/v1/users/<id>/disable")]
async fn user_disable(admin: Admin, db: &State<Db>, id: i64) -> ApiResult<Json<Value>> {
    set_disabled(&admin, db, id, true).await
}

#[post("/api/v1/users/<id>/enable")]
async fn user_enable(admin: Admin, db: &State<Db>, id: i64) -> ApiResult<Json<Value>> {
    set_disabled(&admin, db, id, false).await
}

#[post("/api/v1/users/<id>/reset-password")]
async fn user_reset_password(admin: Admin, db: &State<Db>, id: i64) -> ApiResult<Json<Value>> {
    let actor = admin.actor();
    let (listing, password) = db
        .run(move |c| {
            let (_, password) = user_service::reset_password(c, &actor, id)?;
            Ok::<_, AdminError>((user_service::find(c, id)?, password))
        })
        .await?;
    Ok(Json(json!({
        "user": listing,
        "one_time_password": password,
        "note": SHOWN_ONCE,
    })))
}

pub fn routes() -> Vec<Route> {
    routes![
        regions_tree,
        region_create,
        region_rename,
        region_import,
        department_create,
        department_update,
        department_import,
        rounds_list,
        round_get,
        round_create,
        round_update,
        users_list,
        user_get,
        user_create,
        user_set_role,
        user_disable,
        user_enable,
        user_reset_password,
    ]
}
