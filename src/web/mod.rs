//! Rocket: pages and the JSON API under `/api/v1`. Handlers are thin: they parse, call one
//! service function and map the result.

pub mod account_routes;
pub mod admin;
pub mod api_import;
pub mod api_public;
pub mod api_review;
pub mod auth;
pub mod consultation;
pub mod dashboard;
pub mod error;
pub mod office;
pub mod openapi;
pub mod pages;
pub mod public_pages;

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Build, Request, Rocket, State, catch, catchers, get, routes};
use serde_json::{Value, json};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::Lang;
pub use error::{ApiResult, AppError};

/// The language a request asks for: `?lang=`, then the `lang` cookie, then Accept-Language.
pub fn request_lang(req: &Request<'_>) -> Lang {
    if let Some(lang) = req
        .query_value::<&str>("lang")
        .and_then(Result::ok)
        .and_then(Lang::from_code)
    {
        return lang;
    }
    if let Some(lang) = req
        .cookies()
        .get("lang")
        .and_then(|c| Lang::from_code(c.value()))
    {
        return lang;
    }
    match req.headers().get_one("Accept-Language") {
        Some(h) if h.trim_start().to_ascii_lowercase().starts_with("en") => Lang::En,
        _ => Lang::Zh,
    }
}

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Lang {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> rocket::request::Outcome<Self, Self::Error> {
        rocket::request::Outcome::Success(request_lang(req))
    }
}

/// 200 when the database answers, 503 otherwise.
#[get("/healthz")]
async fn healthz(db: &State<Db>) -> (Status, Json<Value>) {
    let db = db.inner().clone();
    let ok = rocket::tokio::task::spawn_blocking(move || db.ping())
        .await
        .map(|r| r.is_ok())
        .unwrap_or(false);
    if ok {
        (Status::Ok, Json(json!({"status": "ok", "database": "ok"})))
    } else {
        (
            Status::ServiceUnavailable,
            Json(json!({"status": "unavailable", "database": "unreachable"})),
        )
    }
}

macro_rules! json_catcher {
    ($name:ident, $code:literal, $status:literal, $zh:literal, $en:literal) => {
        #[catch($status)]
        fn $name(req: &Request<'_>) -> Json<Value> {
            let lang = request_lang(req);
            Json(json!({"error": {"code": $code, "message": lang.pick($zh, $en)}}))
        }
    };
}

json_catcher!(
    bad_request,
    "bad_request",
    400,
    "请求格式有误",
    "Malformed request"
);
json_catcher!(
    too_many_requests,
    "rate_limited",
    429,
    "请求过于频繁，请稍后再试",
    "Too many requests; try again later"
);
json_catcher!(
    unavailable,
    "unavailable",
    503,
    "服务暂时不可用，请稍后重试",
    "The service is unavailable; try again shortly"
);
json_catcher!(
    not_found,
    "not_found",
    404,
    "未找到该页面或资源",
    "Not found"
);
json_catcher!(
    payload_too_large,
    "too_large",
    413,
    "提交的内容超过大小上限",
    "Request body too large"
);
json_catcher!(
    unprocessable,
    "unprocessable",
    422,
    "提交的内容无法处理，请检查字段和格式",
    "Unprocessable request: check the fields and their format"
);
json_catcher!(
    internal,
    "internal",
    500,
    "服务器内部错误，已记录",
    "Internal error; it has been logged"
);

/// The application on a database, ready to launch (or to drive from tests).
pub fn build(figment: rocket::figment::Figment, db: Db, settings: Settings) -> Rocket<Build> {
    // Accounts and the doors: fixed body limits, Shield, CSP, the CSRF peek, the sign-in limiter.
    let figment = api_import::upload_limits(auth::harden(figment), &settings);
    let limiter = auth::SignInLimiter::new(settings.signin_per_minute, settings.signin_per_hour);
    // The comment address hash is salted from the secret key, so it is stable across restarts
    // and instances sharing the key.
    let secret = figment.extract_inner::<String>("secret_key").ok();
    let gate = consultation::CommentGate::new(&settings, secret.as_deref());
    rocket::custom(figment)
        .manage(db)
        .manage(settings)
        .manage(limiter)
        .manage(gate)
        .attach(auth::shield())
        .attach(auth::SecurityHeaders)
        .attach(auth::CsrfFormPeek)
        .mount("/", routes![healthz])
        .mount("/", account_routes::routes())
        .mount("/", api_import::routes())
        .mount("/", api_review::routes())
        .mount("/", api_public::routes())
        .mount("/", public_pages::routes())
        .mount("/", admin::routes())
        .mount("/", office::routes())
        .mount("/", dashboard::routes())
        .mount("/", consultation::routes())
        .mount("/", openapi::routes())
        // JSON errors under /api; pages get HTML errors and a sign-in redirect for 401.
        .register(
            "/api",
            catchers![
                bad_request,
                auth::unauthorized_json,
                auth::forbidden_json,
                not_found,
                payload_too_large,
                unprocessable,
                too_many_requests,
                internal,
                unavailable
            ],
        )
        .register("/", pages::catchers())
}
