//! Sign-in, sign-out, the account pages, API sessions and API tokens, and the scoped department
//! finders of the API.
//!
//! | method and path | who |
//! |---|---|
//! | `GET /` | anyone (the public pages replace it later; rank 10 so they win) |
//! | `GET /signin`, `POST /signin` | anyone (rate-limited per address) |
//! | `POST /signout` | signed in (CSRF) |
//! | `GET /account`, `GET/POST /account/password` | signed in (POST: CSRF) |
//! | `POST /api/v1/session` | anyone (rate-limited per address) |
//! | `GET/DELETE /api/v1/session` | signed in (DELETE: CSRF header) |
//! | `GET/POST /api/v1/tokens`, `DELETE /api/v1/tokens/{id}` | admin |
//! | `GET /api/v1/departments`, `GET /api/v1/departments/{id}` | signed in, scoped |

use std::net::{IpAddr, Ipv4Addr};

use minijinja::context;
use rocket::Either;
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, CookieJar, Header, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::response::{self, Redirect, Responder};
use rocket::serde::json::Json;
use rocket::{Request, Route, State, delete, get, post, routes};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::auth::{
    self, Admin, Credential, Principal, SESSION_COOKIE, SIGNIN_COOKIE, SignInLimiter,
};
use super::pages::{self, Page, PageContext, safe_next};
use super::{ApiResult, AppError};
use crate::config::Settings;
use crate::db::audit::Actor;
use crate::db::departments::{self, Department};
use crate::db::sessions::{self, NewSession, constant_time_eq, random_secret};
use crate::db::users::{self, AccountError, User};
use crate::db::{Db, DbError, regions, tokens, write_transaction};

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        let status = match &e {
            AccountError::Db(_) => {
                if let AccountError::Db(inner) = e {
                    return AppError::from(inner);
                }
                Status::InternalServerError
            }
            AccountError::Hash => Status::InternalServerError,
            AccountError::UsernameTaken => Status::Conflict,
            AccountError::NoUser | AccountError::NoDepartment(_) | AccountError::NoRegion(_) => {
                Status::NotFound
            }
            _ => Status::UnprocessableEntity,
        };
        let (zh, en) = e.messages();
        AppError::new(status, e.code(), zh, en)
    }
}

/// The address sign-in attempts are counted against (see `auth::client_addr`).
pub struct ClientAddr(pub Option<IpAddr>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddr {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(ClientAddr(auth::client_addr(req)))
    }
}

/// A user as the API shows it: no hash, no secrets.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub role: &'static str,
    pub department_id: Option<i64>,
    pub region_id: Option<i64>,
    pub must_change_password: bool,
}

impl UserView {
    fn of_principal(p: &Principal) -> UserView {
        UserView {
            id: p.user_id,
            username: p.username.clone(),
            role: p.role.code(),
            department_id: p.department_id,
            region_id: p.region_id,
            must_change_password: p.must_change_password,
        }
    }
    fn of_user(u: &User) -> UserView {
        UserView {
            id: u.id,
            username: u.username.clone(),
            role: u.role().map(|r| r.code()).unwrap_or("unknown"),
            department_id: u.department_id,
            region_id: u.region_id,
            must_change_password: u.must_change_password,
        }
    }
}

/// Why a sign-in did not happen.
#[derive(Debug)]
pub enum SignInFailure {
    /// Too many attempts from this address: wait this many seconds.
    Limited(u64),
    /// Unknown user, wrong password or disabled account: one answer for all three.
    BadCredentials,
    Error(AppError),
}

impl From<DbError> for SignInFailure {
    fn from(e: DbError) -> Self {
        SignInFailure::Error(AppError::from(e))
    }
}

impl From<AccountError> for SignInFailure {
    fn from(e: AccountError) -> Self {
        SignInFailure::Error(AppError::from(e))
    }
}

/// Checks a username and password and opens a session, rotating out the session the browser
/// held before. Counts the attempt against the address first; hashes off the runtime; answers
/// an unknown user exactly like a wrong password, after the same work.
pub async fn sign_in(
    db: &Db,
    settings: &Settings,
    limiter: &SignInLimiter,
    addr: Option<IpAddr>,
    username: &str,
    password: &str,
    previous_secret: Option<String>,
) -> Result<(User, NewSession), SignInFailure> {
    let addr = addr.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if let Err(wait) = limiter.check(addr) {
        tracing::warn!(%addr, "sign-in rate limit reached");
        return Err(SignInFailure::Limited(wait.as_secs().max(1)));
    }
    let username = username.to_string();
    let user = db
        .run(move |c| users::find_by_username(c, &username).map_err(DbError::from))
        .await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password = password.to_string();
    let verified = rocket::tokio::task::spawn_blocking(move || {
        users::verify_password(stored.as_deref(), &password)
    })
    .await
    .unwrap_or(false);
    let user = match user {
        Some(u) if verified && !u.disabled => u,
        _ => {
            tracing::info!(%addr, "sign-in refused");
            return Err(SignInFailure::BadCredentials);
        }
    };
    let hours = settings.session_hours;
    let actor = Actor::user(&user.username, user.id);
    let user_id = user.id;
    let session = db
        .run(move |c| {
            write_transaction(c, |c| -> Result<NewSession, DbError> {
                let previous = match previous_secret {
                    Some(secret) => sessions::find_open_id(c, &secret)?,
                    None => None,
                };
                sessions::purge_ended(c, 30)?;
                Ok(sessions::create(c, &actor, user_id, hours, previous)?)
            })
        })
        .await?;
    Ok((user, session))
}

fn previous_session(cookies: &CookieJar<'_>) -> Option<String> {
    cookies
        .get_private(SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

/// Ends the principal's session and drops the cookie. Returns whether a session was ended.
async fn sign_out(
    db: &Db,
    principal: &Principal,
    cookies: &CookieJar<'_>,
) -> Result<bool, AppError> {
    let Credential::Session { id, .. } = principal.credential else {
        return Ok(false);
    };
    let actor = principal.actor();
    let ended = db
        .run(move |c| {
            write_transaction(c, |c| {
                sessions::revoke(c, &actor, id).map_err(DbError::from)
            })
        })
        .await?;
    cookies.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
    Ok(ended)
}

// ---------------------------------------------------------------------------------------------
// Pages

#[get("/", rank = 10)]
fn home(cx: PageContext) -> Page {
    cx.render("home.html", &cx.t("home.title"), context! {})
}

/// The sign-in form's own CSRF token (no session exists yet): kept in a private cookie and
/// echoed by the form.
fn signin_token(cookies: &CookieJar<'_>) -> String {
    if let Some(c) = cookies.get_private(SIGNIN_COOKIE)
        && c.value().len() == 64
    {
        return c.value().to_string();
    }
    let token = random_secret();
    cookies.add_private(Cookie::build((SIGNIN_COOKIE, token.clone())).path("/"));
    token
}

fn render_signin(
    cx: &PageContext,
    cookies: &CookieJar<'_>,
    next: &str,
    username: &str,
    error: Option<String>,
    retry_after: Option<u64>,
) -> Page {
    cx.render(
        "signin.html",
        &cx.t("signin.title"),
        context! {
            signin_token => signin_token(cookies),
            next => next,
            username => username,
            error => error,
            retry_after => retry_after,
        },
    )
}

#[get("/signin?<next>")]
fn signin_page(
    cx: PageContext,
    cookies: &CookieJar<'_>,
    next: Option<&str>,
) -> Either<Redirect, Page> {
    let next = safe_next(next, "/account");
    if cx.principal.is_some() {
        return Either::Left(Redirect::to(next));
    }
    Either::Right(render_signin(&cx, cookies, &next, "", None, None))
}

#[derive(FromForm)]
struct SignInForm<'r> {
    #[field(default = "")]
    csrf_token: &'r str,
    #[field(default = "")]
    username: &'r str,
    #[field(default = "")]
    password: &'r str,
    next: Option<&'r str>,
}

#[allow(clippy::too_many_arguments)]
#[post("/signin", data = "<form>")]
async fn signin_submit(
    cx: PageContext,
    addr: ClientAddr,
    cookies: &CookieJar<'_>,
    db: &State<Db>,
    settings: &State<Settings>,
    limiter: &State<SignInLimiter>,
    form: Form<SignInForm<'_>>,
) -> Result<Redirect, Page> {
    let next = safe_next(form.next, "/account");
    let expected = cookies.get_private(SIGNIN_COOKIE);
    let token_ok = expected
        .as_ref()
        .is_some_and(|c| constant_time_eq(c.value(), form.csrf_token));
    if !token_ok {
        let msg = cx.t("signin.expired");
        return Err(
            render_signin(&cx, cookies, &next, form.username, Some(msg), None)
                .status(Status::Forbidden),
        );
    }
    let result = sign_in(
        db,
        settings,
        limiter,
        addr.0,
        form.username,
        form.password,
        previous_session(cookies),
    )
    .await;
    match result {
        Ok((user, session)) => {
            cookies.add_private(auth::session_cookie(session.secret, settings));
            cookies.remove_private(Cookie::build(SIGNIN_COOKIE).path("/"));
            if user.must_change_password {
                Ok(Redirect::to("/account/password"))
            } else {
                Ok(Redirect::to(next))
            }
        }
        Err(SignInFailure::Limited(secs)) => {
            let msg = cx.t("signin.limited");
            Err(
                render_signin(&cx, cookies, &next, form.username, Some(msg), Some(secs))
                    .status(Status::TooManyRequests)
                    .header("Retry-After", secs.to_string()),
            )
        }
        Err(SignInFailure::BadCredentials) => {
            let msg = cx.t("signin.failed");
            Err(
                render_signin(&cx, cookies, &next, form.username, Some(msg), None)
                    .status(Status::Unauthorized),
            )
        }
        Err(SignInFailure::Error(e)) => Err(cx.error(e.status, e.message(cx.lang))),
    }
}

#[post("/signout")]
async fn signout_submit(
    principal: Principal,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
) -> Result<Redirect, AppError> {
    sign_out(db, &principal, cookies).await?;
    Ok(Redirect::to("/signin"))
}

#[derive(Serialize)]
struct AccountSummary {
    username: String,
    role: String,
    department: Option<String>,
    region: Option<String>,
}

#[get("/account?<changed>")]
async fn account_page(
    cx: PageContext,
    principal: Principal,
    db: &State<Db>,
    changed: Option<bool>,
) -> Result<Page, AppError> {
    let p = principal.clone();
    let (department, region) = db
        .run(move |c| -> Result<_, DbError> {
            let department = match p.department_id {
                Some(id) => departments::find(c, &p.scope(), id)?,
                None => None,
            };
            let region = match p.region_id {
                Some(id) => regions::find(c, id)?,
                None => None,
            };
            Ok((department, region))
        })
        .await?;
    let account = AccountSummary {
        username: principal.username.clone(),
        role: principal.role.label(cx.lang).to_string(),
        department: department.map(|d| format!("{}（{}）", d.name, d.code)),
        region: region.map(|r| format!("{}（{}）", r.name, r.code)),
    };
    Ok(cx.render(
        "account.html",
        &cx.t("account.title"),
        context! {
            account => minijinja::value::Value::from(minijinja::value::Serde(account)),
            changed => changed.unwrap_or(false),
            must_change => principal.must_change_password,
        },
    ))
}

/// A password is changed by its owner in a browser session, never with an API token.
fn session_only(cx: &PageContext, principal: &Principal) -> Result<(), Page> {
    match principal.session_id() {
        Some(_) => Ok(()),
        None => Err(cx.error(Status::Forbidden, "")),
    }
}

#[get("/account/password")]
fn password_page(cx: PageContext, principal: Principal) -> Page {
    if let Err(page) = session_only(&cx, &principal) {
        return page;
    }
    cx.render(
        "password.html",
        &cx.t("password.title"),
        context! { error => None::<String> },
    )
}

#[derive(FromForm)]
struct PasswordForm<'r> {
    #[field(default = "")]
    current: &'r str,
    #[field(default = "")]
    new: &'r str,
    #[field(default = "")]
    confirm: &'r str,
}

#[post("/account/password", data = "<form>")]
async fn password_submit(
    cx: PageContext,
    principal: Principal,
    db: &State<Db>,
    form: Form<PasswordForm<'_>>,
) -> Result<Redirect, Page> {
    session_only(&cx, &principal)?;
    let refuse = |key: &str| {
        cx.render(
            "password.html",
            &cx.t("password.title"),
            context! { error => cx.t(key) },
        )
        .status(Status::UnprocessableEntity)
    };
    let user_id = principal.user_id;
    let stored = match db
        .run(move |c| users::find(c, user_id).map_err(DbError::from))
        .await
    {
        Ok(Some(u)) => u.password_hash,
        Ok(None) => return Err(cx.error(Status::NotFound, "")),
        Err(e) => {
            let e = AppError::from(e);
            return Err(cx.error(e.status, e.message(cx.lang)));
        }
    };
    if form.new != form.confirm {
        return Err(refuse("password.mismatch"));
    }
    if users::validate_password(form.new).is_err() {
        return Err(refuse("password.weak"));
    }
    let current = form.current.to_string();
    let new = form.new.to_string();
    let checked = rocket::tokio::task::spawn_blocking(move || {
        if !users::verify_password(Some(&stored), &current) {
            return Err("password.wrong_current");
        }
        users::hash_password(&new).map_err(|_| "error.500")
    });
    let hash = match checked.await {
        Ok(Ok(hash)) => hash,
        Ok(Err(key)) => return Err(refuse(key)),
        Err(_) => return Err(refuse("error.500")),
    };
    let actor = principal.actor();
    let keep = principal.session_id();
    let saved = db
        .run(move |c| {
            write_transaction(c, |c| {
                users::set_password(c, &actor, user_id, &hash, false, keep)
            })
        })
        .await;
    match saved {
        Ok(()) => Ok(Redirect::to("/account?changed=true")),
        Err(e) => {
            let e = AppError::from(e);
            Err(cx.error(e.status, e.message(cx.lang)))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// API

/// An API error, with `Retry-After` when it is a rate limit.
#[derive(Debug)]
pub struct ApiFailure {
    pub error: AppError,
    pub retry_after: Option<u64>,
}

impl From<AppError> for ApiFailure {
    fn from(error: AppError) -> Self {
        ApiFailure {
            error,
            retry_after: None,
        }
    }
}

impl<'r> Responder<'r, 'static> for ApiFailure {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = self.error.respond_to(req)?;
        if let Some(secs) = self.retry_after {
            res.set_header(Header::new("Retry-After", secs.to_string()));
        }
        Ok(res)
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct SignInBody {
    username: String,
    password: String,
}

#[post("/api/v1/session", format = "json", data = "<body>")]
async fn api_sign_in(
    addr: ClientAddr,
    cookies: &CookieJar<'_>,
    db: &State<Db>,
    settings: &State<Settings>,
    limiter: &State<SignInLimiter>,
    body: Json<SignInBody>,
) -> Result<Json<Value>, ApiFailure> {
    let result = sign_in(
        db,
        settings,
        limiter,
        addr.0,
        &body.username,
        &body.password,
        previous_session(cookies),
    )
    .await;
    match result {
        Ok((user, session)) => {
            let csrf = session.session.csrf_token.clone();
            cookies.add_private(auth::session_cookie(session.secret, settings));
            Ok(Json(json!({
                "user": UserView::of_user(&user),
                "csrf_token": csrf,
                "expires_at": session.session.expires_at,
            })))
        }
        Err(SignInFailure::Limited(secs)) => Err(ApiFailure {
            error: AppError::new(
                Status::TooManyRequests,
                "rate_limited",
                format!("登录尝试次数过多，请 {secs} 秒后再试"),
                format!("Too many sign-in attempts; try again in {secs} seconds"),
            ),
            retry_after: Some(secs),
        }),
        Err(SignInFailure::BadCredentials) => Err(AppError::new(
            Status::Unauthorized,
            "bad_credentials",
            pages::t("signin.failed", crate::domain::Lang::Zh),
            pages::t("signin.failed", crate::domain::Lang::En),
        )
        .into()),
        Err(SignInFailure::Error(e)) => Err(e.into()),
    }
}

#[get("/api/v1/session")]
fn api_whoami(principal: Principal) -> Json<Value> {
    Json(json!({
        "user": UserView::of_principal(&principal),
        "csrf_token": principal.csrf_token(),
        "via": match principal.credential {
            Credential::Session { .. } => "session",
            Credential::Token { .. } => "token",
        },
    }))
}

#[delete("/api/v1/session")]
async fn api_sign_out(
    principal: Principal,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
) -> ApiResult<Json<Value>> {
    if principal.session_id().is_none() {
        return Err(AppError::bad_request(
            "not_a_session",
            "令牌不是会话，无法退出登录；请由管理员撤销令牌",
            "A token is not a session; ask an admin to revoke it",
        ));
    }
    let ended = sign_out(db, &principal, cookies).await?;
    Ok(Json(json!({ "signed_out": ended })))
}

/// Exactly one of `user_id` and `username` names the user.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct NewTokenBody {
    user_id: Option<i64>,
    username: Option<String>,
    name: String,
}

#[post("/api/v1/tokens", format = "json", data = "<body>")]
async fn api_create_token(
    admin: Admin,
    db: &State<Db>,
    body: Json<NewTokenBody>,
) -> ApiResult<(Status, Json<Value>)> {
    let actor = admin.actor();
    let body = body.into_inner();
    let issued = db
        .run(move |c| -> Result<_, AccountError> {
            let user = match (body.user_id, body.username.as_deref()) {
                (Some(id), _) => users::find(c, id)?,
                (None, Some(name)) => users::find_by_username(c, name)?,
                (None, None) => None,
            }
            .ok_or(AccountError::NoUser)?;
            let issued = write_transaction(c, |c| tokens::create(c, &actor, user.id, &body.name))?;
            Ok((issued, user.username))
        })
        .await?;
    let (issued, username) = issued;
    Ok((
        Status::Created,
        Json(json!({
            "token": tokens::TokenListing { token: issued.token, username },
            "secret": issued.secret,
            "note": "这是唯一一次显示令牌，请立即妥善保存 (shown once: store it now)",
        })),
    ))
}

#[get("/api/v1/tokens")]
async fn api_list_tokens(_admin: Admin, db: &State<Db>) -> ApiResult<Json<Value>> {
    let list = db.run(|c| tokens::list(c).map_err(DbError::from)).await?;
    Ok(Json(json!({ "tokens": list })))
}

#[delete("/api/v1/tokens/<id>")]
async fn api_revoke_token(admin: Admin, db: &State<Db>, id: i64) -> ApiResult<Json<Value>> {
    let actor = admin.actor();
    let revoked = db
        .run(move |c| {
            write_transaction(c, |c| tokens::revoke(c, &actor, id).map_err(DbError::from))
        })
        .await?;
    match revoked {
        Some(token) => Ok(Json(json!({ "token": token }))),
        None => Err(AppError::not_found("未找到该令牌", "No such token")),
    }
}

/// A department as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct DepartmentView {
    id: i64,
    code: String,
    name: String,
    short_name: Option<String>,
    region_id: i64,
}

impl From<Department> for DepartmentView {
    fn from(d: Department) -> Self {
        DepartmentView {
            id: d.id,
            code: d.code,
            name: d.name,
            short_name: d.short_name,
            region_id: d.region_id,
        }
    }
}

#[get("/api/v1/departments")]
async fn api_departments(principal: Principal, db: &State<Db>) -> ApiResult<Json<Value>> {
    let scope = principal.scope();
    let list = db
        .run(move |c| departments::list(c, &scope).map_err(DbError::from))
        .await?;
    let list: Vec<DepartmentView> = list.into_iter().map(DepartmentView::from).collect();
    Ok(Json(json!({ "departments": list })))
}

#[get("/api/v1/departments/<id>")]
async fn api_department(
    principal: Principal,
    db: &State<Db>,
    id: i64,
) -> ApiResult<Json<DepartmentView>> {
    let scope = principal.scope();
    db.run(move |c| departments::find(c, &scope, id).map_err(DbError::from))
        .await?
        .map(|d| Json(DepartmentView::from(d)))
        .ok_or_else(|| AppError::not_found("未找到该部门", "No such department"))
}

/// Every route of this module.
pub fn routes() -> Vec<Route> {
    routes![
        home,
        signin_page,
        signin_submit,
        signout_submit,
        account_page,
        password_page,
        password_submit,
        pages::app_css,
        api_sign_in,
        api_whoami,
        api_sign_out,
        api_create_token,
        api_list_tokens,
        api_revoke_token,
        api_departments,
        api_department,
    ]
}
