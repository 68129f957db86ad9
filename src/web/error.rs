//! The one error type at the HTTP boundary (STYLE.md lesson 7): a stable code, a status, a
//! message in Chinese and English, rendered as `{"error": {"code", "message"}}`.

use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::{Request, Response};
use serde::Serialize;
use utoipa::ToSchema;

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
        let message = self.message(lang).to_string();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message,
                detail: self.detail,
            },
        };
        let body = serde_json::to_string(&body).unwrap_or_default();
        Response::build()
            .status(self.status)
            .header(ContentType::JSON)
            .sized_body(body.len(), std::io::Cursor::new(body))
            .ok()
    }
}

/// The body of every 4xx and 5xx answer under `/api`: `{"error": {"code", "message"}}`, with a
/// `detail` where one helps (e.g. the items that block a publication).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable, machine-readable code (`not_found`, `bad_region`, `csrf`, …).
    pub code: &'static str,
    /// A sentence for people, in the request's language (Chinese unless English is asked for).
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

pub type ApiResult<T> = Result<T, AppError>;
