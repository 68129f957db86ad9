//! Uploads and submissions over the API (CONTRACTS.md): a multipart `file` to a round, the
//! stored report, and the annotated workbook.

use rocket::data::ToByteUnit;
use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::{ContentType, Header, Status};
use rocket::serde::json::Json;
use rocket::tokio::io::AsyncReadExt;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::auth::{Principal, Submitter, upload_display_name};
use super::{ApiResult, AppError, Lang};
use crate::config::Settings;
use crate::db::schema::{departments, items, submissions};
use crate::db::{Db, DbError};
use crate::service::import::{self, CommitError, CommitOutcome};
use crate::service::parse::Sandbox;
use crate::service::submit::{self, Target};
use crate::sheets::{self, FileError, ImportReport};

/// The multipart body of an upload. The CSRF field comes first for cookie sessions.
#[derive(FromForm)]
pub struct UploadForm<'r> {
    pub csrf_token: Option<String>,
    pub department: Option<String>,
    /// A `Result`, so a file over the size limit is told apart from no file (413, not 422).
    pub file: rocket::form::Result<'r, TempFile<'r>>,
}

/// The file field of a multipart form: `None` when absent, 413 when it was cut at the limit.
pub fn uploaded_file<'r>(
    file: rocket::form::Result<'r, TempFile<'r>>,
    settings: &Settings,
) -> ApiResult<Option<TempFile<'r>>> {
    match file {
        Ok(f) => Ok(Some(f)),
        Err(errors) => {
            let over = errors.iter().any(|e| {
                matches!(e.kind, rocket::form::error::ErrorKind::InvalidLength { .. })
                    || e.status() == Status::PayloadTooLarge
            });
            if over {
                Err(too_large(settings.upload_limit_bytes()))
            } else {
                Ok(None)
            }
        }
    }
}

/// What an upload came to, for the API and the page alike.
pub enum Uploaded {
    /// Read, nothing stored (dry run).
    DryRun(ImportReport),
    /// Read with row errors: nothing stored.
    RowErrors(ImportReport),
    Stored(ImportReport, CommitOutcome),
}

pub fn file_error(e: &FileError, lang: Lang) -> AppError {
    AppError::new(
        Status::UnprocessableEntity,
        e.code.as_str(),
        e.message(Lang::Zh),
        e.message(Lang::En),
    )
    .with_detail(json!({"lang": lang.pick("zh", "en")}))
}

/// Reads the uploaded file into memory, refusing a missing or empty one clearly.
pub async fn read_upload(
    file: Option<TempFile<'_>>,
    settings: &Settings,
) -> ApiResult<(String, Vec<u8>)> {
    let Some(file) = file else {
        return Err(AppError::new(
            Status::UnprocessableEntity,
            "file_missing",
            "没有收到文件：请在 file 字段中选择要上传的工作簿",
            "No file received: attach the workbook in the `file` field",
        ));
    };
    let name = upload_display_name(
        file.raw_name()
            .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str()),
    );
    let limit = settings.upload_limit_bytes();
    if file.len() > limit {
        return Err(too_large(limit));
    }
    let mut bytes = Vec::with_capacity(file.len() as usize);
    let mut reader = file.open().await.map_err(|_| {
        AppError::new(
            Status::BadRequest,
            "file_unreadable",
            "无法读取上传的文件",
            "Cannot read the upload",
        )
    })?;
    reader.read_to_end(&mut bytes).await.map_err(|_| {
        AppError::new(
            Status::BadRequest,
            "file_unreadable",
            "无法读取上传的文件",
            "Cannot read the upload",
        )
    })?;
    Ok((name, bytes))
}

pub fn too_large(limit: u64) -> AppError {
    let mib = limit / (1024 * 1024);
    AppError::new(
        Status::PayloadTooLarge,
        "too_large",
        format!("文件超过 {mib} MiB 的上传上限。请删除无关工作表或拆分后分别上传。"),
        format!(
            "The file is over the {mib} MiB upload limit. Remove unrelated sheets or split it."
        ),
    )
}

/// One upload as the API or the page received it.
pub struct UploadRequest {
    pub round_id: i64,
    pub department: Option<String>,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub dry_run: bool,
    pub lang: Lang,
}

/// The whole upload: resolve where it goes, parse in the sandbox, store unless a dry run.
pub async fn upload(
    db: &Db,
    settings: &Settings,
    principal: &Principal,
    request: UploadRequest,
) -> ApiResult<Uploaded> {
    let UploadRequest {
        round_id,
        department,
        file_name,
        bytes,
        dry_run,
        lang,
    } = request;
    let scope = principal.scope();
    let target: Target = db
        .run(move |c| {
            submit::resolve(c, &scope, round_id, department.as_deref()).map_err(DbError::from)
        })
        .await?
        .map_err(|e| {
            let status = match e {
                submit::TargetError::RoundNotFound | submit::TargetError::DepartmentNotFound(_) => {
                    Status::NotFound
                }
                _ => Status::UnprocessableEntity,
            };
            AppError::new(status, e.code(), e.message(Lang::Zh), e.message(Lang::En))
        })?;

    let sandbox = match &settings.parser_exe {
        Some(exe) => Sandbox::with_exe(
            exe,
            settings.import_memory_mib,
            settings.import_timeout_secs,
        ),
        None => Sandbox::current(settings.import_memory_mib, settings.import_timeout_secs)
            .map_err(|_| AppError::unavailable("解析服务不可用", "The parser is unavailable"))?,
    };
    let limits = settings.import_limits();
    let (report, bytes, file_name) = rocket::tokio::task::spawn_blocking(move || {
        let r = sandbox.parse(&file_name, &bytes, lang, &limits);
        (r, bytes, file_name)
    })
    .await
    .map_err(|_| AppError::unavailable("解析服务不可用", "The parser is unavailable"))?;
    let report = report.map_err(|e| file_error(&e, lang))?;
    if !report.errors.is_empty() {
        return Ok(Uploaded::RowErrors(report));
    }
    if dry_run {
        return Ok(Uploaded::DryRun(report));
    }
    let actor = principal.actor();
    let user_id = principal.user_id;
    let (outcome, report) = db
        .run_import(move |c| {
            let mut report = report;
            let upload = import::Upload {
                round_id: target.round_id,
                department_id: target.department_id,
                file_name: &file_name,
                bytes: &bytes,
                uploaded_by: Some(user_id),
            };
            let outcome = import::commit_report(c, &actor, &upload, &mut report);
            Ok::<_, DbError>((outcome, report))
        })
        .await?;
    match outcome {
        Ok(outcome) => Ok(Uploaded::Stored(report, outcome)),
        Err(CommitError::Db(e)) => Err(AppError::from(DbError::Query(e))),
        Err(e @ CommitError::DuplicateItem(_)) => Err(AppError::new(
            Status::UnprocessableEntity,
            "duplicate_item",
            e.to_string(),
            e.to_string(),
        )),
        Err(e) => Err(AppError::new(
            Status::UnprocessableEntity,
            "row_errors",
            e.to_string(),
            e.to_string(),
        )),
    }
}

#[post("/api/v1/rounds/<round>/submissions?<dry_run>", data = "<form>")]
async fn api_upload(
    who: Submitter,
    db: &State<Db>,
    settings: &State<Settings>,
    lang: Lang,
    round: i64,
    dry_run: Option<&str>,
    form: Form<UploadForm<'_>>,
) -> ApiResult<(Status, Json<Value>)> {
    // Parsed here, not by Rocket: an unreadable `dry_run` would otherwise read as absent and
    // turn a mistyped dry run into a real upload.
    let dry_run = match dry_run {
        None => false,
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => {
                return Err(AppError::new(
                    Status::UnprocessableEntity,
                    "invalid_parameter",
                    format!("参数 dry_run 只能是 true 或 false，收到“{v}”；文件未保存"),
                    format!("dry_run must be true or false, got \"{v}\"; nothing was stored"),
                ));
            }
        },
    };
    let form = form.into_inner();
    let (file_name, bytes) = read_upload(uploaded_file(form.file, settings)?, settings).await?;
    let request = UploadRequest {
        round_id: round,
        department: form.department,
        file_name,
        bytes,
        dry_run,
        lang,
    };
    let answer = upload(db, settings, &who, request).await?;
    Ok(match answer {
        Uploaded::DryRun(report) => (Status::Ok, Json(json!({"report": report, "stored": false}))),
        Uploaded::RowErrors(report) => (
            Status::UnprocessableEntity,
            Json(json!({
                "error": {
                    "code": "row_errors",
                    "message": lang.pick(
                        &format!("文件有 {} 处错误，未保存任何内容；请按报告修改后重新上传", report.errors.len()),
                        &format!("{} errors in the file; nothing was stored", report.errors.len()),
                    ),
                },
                "report": report,
                "stored": false,
            })),
        ),
        Uploaded::Stored(report, outcome) => {
            let status = match outcome {
                CommitOutcome::Unchanged { .. } => Status::Ok,
                CommitOutcome::Stored { .. } => Status::Created,
            };
            (
                status,
                Json(json!({"report": report, "stored": true, "submission": outcome})),
            )
        }
    })
}

/// A stored submission as the API shows it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SubmissionView {
    pub id: i64,
    pub round_id: i64,
    pub department_id: i64,
    pub department: String,
    pub file_name: String,
    pub format: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub item_count: i64,
    pub uploaded_at: chrono::NaiveDateTime,
    pub superseded_by: Option<i64>,
}

/// The submission and its stored report (JSON text) if the caller may see it: its own
/// department, or a reviewer's reach.
fn visible_submission(
    c: &mut crate::db::DbConnection,
    principal: &Principal,
    id: i64,
) -> Result<Option<(SubmissionView, String)>, DbError> {
    use diesel::prelude::*;
    type Row = (crate::db::submissions::SubmissionRow, String, (String, i64));
    let row: Option<Row> = submissions::table
        .inner_join(departments::table)
        .filter(submissions::id.eq(id))
        .select((
            crate::db::submissions::SubmissionRow::as_select(),
            submissions::report,
            (departments::name, departments::region_id),
        ))
        .first(c)
        .optional()?;
    let Some((s, report, (department, dep_region))) = row else {
        return Ok(None);
    };
    if !principal
        .scope()
        .allows_department(s.department_id, dep_region)
    {
        return Ok(None);
    }
    Ok(Some((
        SubmissionView {
            id: s.id,
            round_id: s.round_id,
            department_id: s.department_id,
            department,
            file_name: s.file_name,
            format: s.format,
            sha256: s.sha256,
            size_bytes: s.size_bytes,
            item_count: s.item_count,
            uploaded_at: s.uploaded_at,
            superseded_by: s.superseded_by,
        },
        report,
    )))
}

/// A stored submission with its report and its items (each with its findings), if the caller
/// may see it. Shared by the API and the submission page.
pub fn submission_detail(
    c: &mut crate::db::DbConnection,
    principal: &Principal,
    id: i64,
    lang: Lang,
) -> Result<Option<(SubmissionView, Value, Vec<Value>)>, DbError> {
    use diesel::prelude::*;
    let Some((view, report)) = visible_submission(c, principal, id)? else {
        return Ok(None);
    };
    let rows: Vec<(i64, String, String, i64)> = items::table
        // The submission's round and department lead the items' unique key, which is the
        // index this reads (none is kept on the submission alone: migration 2026-11-28-000200).
        .filter(items::round_id.eq(view.round_id))
        .filter(items::department_id.eq(view.department_id))
        .filter(items::submission_id.eq(id))
        .order(items::row_number)
        .select((items::id, items::name, items::sheet, items::row_number))
        .load(c)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut found: std::collections::HashMap<i64, Vec<Value>> = Default::default();
    for f in crate::db::items::findings_of(c, &ids)? {
        found.entry(f.item_id).or_default().push(json!({
            "code": f.code, "severity": f.severity,
            "message": f.message(lang), "resolved": f.resolved
        }));
    }
    let report: Value = serde_json::from_str(&report).unwrap_or(Value::Null);
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(item, name, sheet, row)| {
            json!({
                "id": item, "name": name, "sheet": sheet, "row": row,
                "findings": found.remove(&item).unwrap_or_default(),
            })
        })
        .collect();
    Ok(Some((view, report, items)))
}

#[get("/api/v1/submissions/<id>")]
async fn api_submission(
    who: Principal,
    db: &State<Db>,
    lang: Lang,
    id: i64,
) -> ApiResult<Json<Value>> {
    let found = db
        .run(move |c| submission_detail(c, &who, id, lang))
        .await?;
    let Some((view, report, items)) = found else {
        return Err(AppError::not_found("未找到该报送", "No such submission"));
    };
    Ok(Json(
        json!({"submission": view, "report": report, "items": items}),
    ))
}

/// The workbook with bad cells marked, as an attachment.
pub struct Download {
    pub bytes: Vec<u8>,
    pub content_type: ContentType,
    pub file_name: String,
}

impl<'r> rocket::response::Responder<'r, 'static> for Download {
    fn respond_to(self, _: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        let ascii: String = self
            .file_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let disposition = format!(
            "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
            super::pages::url_encode(&self.file_name)
        );
        rocket::Response::build()
            .header(self.content_type)
            .header(Header::new("Content-Disposition", disposition))
            .sized_body(self.bytes.len(), std::io::Cursor::new(self.bytes))
            .ok()
    }
}

#[get("/api/v1/submissions/<id>/annotated.xlsx")]
async fn api_annotated(who: Principal, db: &State<Db>, lang: Lang, id: i64) -> ApiResult<Download> {
    let found = db
        .run(move |c| match visible_submission(c, &who, id)? {
            Some((view, report)) => Ok::<_, DbError>(
                crate::db::submissions::workbook(c, id)?.map(|w| (view, report, w)),
            ),
            None => Ok(None),
        })
        .await?;
    let Some((view, report, content)) = found else {
        return Err(AppError::not_found("未找到该报送", "No such submission"));
    };
    let mut report: ImportReport = serde_json::from_str(&report)
        .or_else(|_| {
            // Stored reports leave the items out; the annotation needs only the errors.
            let mut v: Value = serde_json::from_str(&report)?;
            v["items"] = json!([]);
            serde_json::from_value(v)
        })
        .map_err(|_| {
            AppError::not_found(
                "该报送没有可用的报告",
                "The submission has no usable report",
            )
        })?;
    report.items.clear();
    annotated_download(report, content, view.file_name, lang).await
}

/// The workbook of a report with its bad cells marked, as a download named after the file.
/// Shared with the upload page ("download the annotated workbook").
pub async fn annotated_download(
    report: ImportReport,
    content: Vec<u8>,
    file_name: String,
    lang: Lang,
) -> ApiResult<Download> {
    let original = file_name.clone();
    let bytes = rocket::tokio::task::spawn_blocking(move || {
        sheets::annotate(&report, &content, &file_name, lang)
    })
    .await
    .map_err(|_| AppError::unavailable("暂时无法生成", "Unavailable"))?
    .map_err(|e| {
        AppError::new(
            Status::UnprocessableEntity,
            "annotate_failed",
            format!("无法生成批注工作簿：{e}"),
            format!("Cannot write the annotated workbook: {e}"),
        )
    })?;
    let stem = original
        .rsplit_once('.')
        .map_or(original.as_str(), |(s, _)| s)
        .to_string();
    Ok(Download {
        bytes,
        content_type: ContentType::new(
            "application",
            "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        file_name: format!("{stem}-批注.xlsx"),
    })
}

pub fn routes() -> Vec<Route> {
    routes![api_upload, api_submission, api_annotated]
}

/// The body limits of uploads: the configured size plus room for the form's other fields.
pub fn upload_limits(
    figment: rocket::figment::Figment,
    settings: &Settings,
) -> rocket::figment::Figment {
    let limit = settings.upload_limit_bytes();
    figment
        .merge(("limits.file", limit.bytes().as_u64()))
        .merge(("limits.data-form", (limit + 64 * 1024).bytes().as_u64()))
}
