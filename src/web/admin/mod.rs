//! Administration over HTTP: the admin pages under `/admin` and the API under `/api/v1` for
//! regions, departments, rounds and users. Handlers parse, call one function of
//! `crate::service::admin` and map the result; only admins pass (except the scoped list of
//! rounds, which anyone signed in may read).
//!
//! | method and path | who | answer |
//! |---|---|---|
//! | `GET /admin`, `GET /admin/{regions,departments,rounds,users}` | admin | pages |
//! | `GET /admin/regions/{code}`, `/admin/departments/{id}`, `/admin/rounds/{id}`, `/admin/users/{id}` | admin | edit pages |
//! | `POST` to the same addresses (and `…/import`, `…/role`, `…/disable`, `…/enable`, `…/reset-password`) | admin, CSRF field | 303, or the page again with the error (422/404/409); a new one-time password is shown on a 200 page |
//! | `GET /api/v1/regions` | admin | the tree |
//! | `POST /api/v1/regions`, `PUT /api/v1/regions/{code}`, `POST /api/v1/regions/import` | admin | 201 / 200 |
//! | `POST /api/v1/departments`, `PUT /api/v1/departments/{id}`, `POST /api/v1/departments/import` | admin | 201 / 200 (`GET` ones: `account_routes`) |
//! | `GET /api/v1/rounds`, `GET /api/v1/rounds/{id}` | signed in, scoped | the rounds the caller reaches |
//! | `POST /api/v1/rounds`, `PUT /api/v1/rounds/{id}` | admin | 201 / 200 |
//! | `GET /api/v1/users[/{id}]`, `POST /api/v1/users`, `PUT /api/v1/users/{id}`, `POST /api/v1/users/{id}/{disable,enable,reset-password}` | admin | 200 / 201 |

pub(crate) mod api;
pub use api::ListUpload;
pub(crate) mod pages;

use rocket::Route;
use rocket::http::Status;
use serde_json::json;

use super::AppError;
use crate::service::admin::{AdminError, RefusalKind};

/// The status of a refusal.
pub fn status_of(kind: RefusalKind) -> Status {
    match kind {
        RefusalKind::Invalid => Status::UnprocessableEntity,
        RefusalKind::NotFound => Status::NotFound,
        RefusalKind::Conflict => Status::Conflict,
    }
}

impl From<AdminError> for AppError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Refused(r) => {
                let field = r.field;
                AppError::new(status_of(r.kind), r.code, r.zh, r.en)
                    .with_detail(json!({ "field": field }))
            }
            AdminError::Rows(rows) => AppError::new(
                Status::UnprocessableEntity,
                "row_errors",
                format!("{} 行有错误，未导入任何内容", rows.len()),
                format!("{} rows have errors; nothing was imported", rows.len()),
            )
            .with_detail(json!({ "rows": rows })),
            AdminError::Db(d) => AppError::from(d),
            AdminError::Internal(what) => {
                tracing::error!(error = %what, "admin change failed");
                AppError::new(
                    Status::InternalServerError,
                    "internal",
                    "服务器内部错误，已记录，请稍后重试",
                    "Internal error; it has been logged",
                )
            }
        }
    }
}

/// Every route of the administration.
pub fn routes() -> Vec<Route> {
    let mut all = api::routes();
    all.extend(pages::routes());
    all
}
