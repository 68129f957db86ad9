//! The one error type at the HTTP boundary (STYLE.md lesson 7): a stable code, a status, a
//! message in Chinese and English, rendered as `{"error": {"code", "message"}}`.

use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::{Request, Response};
use serde_json::json;

use crate::db::DbError;
use crate::domain::Lang;

#[derive(Debug, Clone)]
pub struct AppError {
    pub status: Status,
    pub code: &'static str,
    pub zh: String,
    pub en: String,
    /// Extra machine-readable detail (e.g. the items that block a publication).
    pub detail: Option<serde_json::Value>,
}

impl AppError {
    pub fn new(
        status: Status,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        AppError {
            status,
            code,
            zh: zh.into(),
            en: en.into(),
            detail: None,
        }
    }
    pub fn not_found(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(Status::NotFound, "not_found", zh, en)
    }
    pub fn bad_request(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(Status::BadRequest, code, zh, en)
    }
    pub fn unavailable(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(Status::ServiceUnavailable, "unavailable", zh, en)
    }
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }
    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        tracing::error!(error = %e, "database error");
        match e {
            DbError::Pool(_) | DbError::Connect { .. } => AppError::unavailable(
                "数据库暂时不可用，请稍后重试",
                "The database is unavailable; try again shortly",
            ),
            _ => AppError::new(
                Status::InternalServerError,
                "internal",
                "服务器内部错误，已记录，请稍后重试",
                "Internal error; it has been logged",
            ),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::not_found("未找到", "Not found"),
            other => AppError::from(DbError::Query(other)),
        }
    }
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let lang = crate::web::request_lang(req);
        let mut error = json!({"code": self.code, "message": self.message(lang)});
        if let Some(detail) = self.detail {
            error["detail"] = detail;
        }
        let body = json!({ "error": error }).to_string();
        Response::build()
            .status(self.status)
            .header(ContentType::JSON)
            .sized_body(body.len(), std::io::Cursor::new(body))
            .ok()
    }
}

pub type ApiResult<T> = Result<T, AppError>;
