//! The OpenAPI 3.1 document of `/api/v1`, served at `GET /api/v1/openapi.json`.
//!
//! The schemas of the request and response bodies are derived from their Rust types
//! (`utoipa::ToSchema` on the serde structs), and the enumerations of query parameters from the
//! domain's code enums. The operations are listed in [`operations`], one entry per mounted
//! route: tests/openapi.rs compares that list with the routes Rocket mounts, both ways, so an API
//! route added without a description — or a description left behind — fails the tests.

use std::sync::OnceLock;

use rocket::http::ContentType;
use rocket::{Route, get, routes};
use serde_json::{Map, Value, json};
use utoipa::{OpenApi, ToSchema};

use crate::db::tokens::{ApiToken, TokenListing};
use crate::db::users::Role;
use crate::domain::publication::List;
use crate::domain::{BasisLevel, Disposition, DocumentStatus, Kind, Severity};
use crate::export::ExportFormat;
use crate::service::admin::departments::DepartmentInput;
use crate::service::admin::regions::{Level, RegionInput, RegionNode};
use crate::service::admin::rounds::{RoundInput, RoundView};
use crate::service::admin::table::ImportOutcome as ListImportOutcome;
use crate::service::admin::users::{RoleInput, UserInput, UserListing};
use crate::service::consultation::{
    ConsultationView, ConsultedItem, OfficeComment, PublicComment, Stance, Tally,
};
use crate::service::decisions::DecisionInput;
use crate::service::documents::{
    CitingItem, DocumentChange, DocumentInput, DocumentRow, ImportOutcome as DocumentImportOutcome,
};
use crate::web::account_routes::{DepartmentView, NewTokenBody, SignInBody, UserView};
use crate::web::admin::api::RenameBody;
use crate::web::api_import::SubmissionView;
use crate::web::api_review::{BulkBody, BulkFilter};
use crate::web::consultation::{
    CloseBody, CommentBody, ConsultationJson, ModerationBody, OpenBody,
};
use crate::web::error::{ErrorBody, ErrorDetail};

/// Every schema the operations refer to, derived from the types.
#[derive(OpenApi)]
#[openapi(components(schemas(
    ErrorBody,
    ErrorDetail,
    SignInBody,
    UserView,
    NewTokenBody,
    ApiToken,
    TokenListing,
    DepartmentView,
    SubmissionView,
    RegionInput,
    RegionNode,
    RenameBody,
    ListImportOutcome,
    DepartmentInput,
    RoundInput,
    RoundView,
    UserInput,
    RoleInput,
    UserListing,
    DecisionInput,
    BulkBody,
    BulkFilter,
    DocumentInput,
    DocumentRow,
    CitingItem,
    DocumentChange,
    DocumentImportOutcome,
    ConsultationView,
    ConsultationJson,
    ConsultedItem,
    PublicComment,
    OfficeComment,
    Tally,
    CommentBody,
    OpenBody,
    CloseBody,
    ModerationBody,
)))]
struct Schemas;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user (answers are limited to the user's scope).
    Signed,
    /// Submitters, reviewers and admins (uploads, within their scope).
    Submitter,
    /// Reviewers and admins.
    Reviewer,
    /// Admins only.
    Admin,
}

impl Who {
    fn describe(self) -> &'static str {
        match self {
            Who::Public => "公开，无需登录 (public, no sign-in).",
            Who::Signed => {
                "任何已登录用户，结果限于其范围 (any signed-in user, within their scope)."
            }
            Who::Submitter => {
                "报送人、审核人或管理员，限于其范围 (submitters, reviewers and admins, within their scope)."
            }
            Who::Reviewer => "审核人或管理员 (reviewers and admins).",
            Who::Admin => "仅管理员 (admins only).",
        }
    }
}

/// A reference to the component schema of a type.
fn schema<T: ToSchema>() -> Value {
    json!({ "$ref": format!("#/components/schemas/{}", T::name()) })
}

/// An object with these (all required) properties.
fn object(props: &[(&str, Value)]) -> Value {
    let properties: Map<String, Value> = props
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    let required: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

/// An object whose shape the document does not spell out (built by hand in the handler).
fn loose(description: &str) -> Value {
    json!({ "type": "object", "description": description })
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn integer() -> Value {
    json!({ "type": "integer", "format": "int64" })
}

fn boolean() -> Value {
    json!({ "type": "boolean" })
}

/// A string that is one of the codes.
fn codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> Value {
    let codes: Vec<&str> = codes.into_iter().collect();
    json!({ "type": "string", "enum": codes })
}

/// A `chrono::NaiveDateTime` as serde writes it: UTC without an offset.
fn naive_time() -> Value {
    json!({
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?$",
        "description": "UTC，无时区后缀 (UTC, without an offset: 2017-05-10T00:00:00)"
    })
}

/// utoipa describes `NaiveDateTime` as an RFC 3339 `date-time`, which needs an offset that serde
/// does not write: every such property becomes [`naive_time`] (nullable where it was).
fn naive_times(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("format").is_some_and(|f| f == "date-time") {
                let nullable = map["type"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == "null"));
                let mut naive = naive_time();
                if nullable {
                    naive["type"] = json!(["string", "null"]);
                }
                *v = naive;
                return;
            }
            map.values_mut().for_each(naive_times);
        }
        Value::Array(list) => list.iter_mut().for_each(naive_times),
        _ => {}
    }
}

/// The number of a publication, or `latest`.
fn publication_number() -> Value {
    json!({ "oneOf": [
        { "type": "integer", "minimum": 1 },
        { "type": "string", "enum": ["latest"] }
    ] })
}

/// One operation of the document.
struct Op {
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    who: Who,
    summary: &'static str,
    params: Vec<Value>,
    body: Option<Value>,
    responses: Map<String, Value>,
}

fn op(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    who: Who,
    summary: &'static str,
) -> Op {
    // Path parameters are ids (integers) unless described otherwise.
    let params = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": integer() }))
        .collect();
    Op {
        method,
        path,
        tag,
        who,
        summary,
        params,
        body: None,
        responses: Map::new(),
    }
}

impl Op {
    /// Describe a path parameter other than an integer id.
    fn path_param(mut self, name: &str, schema: Value, description: &str) -> Op {
        for p in &mut self.params {
            if p["name"] == name {
                p["schema"] = schema.clone();
                p["description"] = description.into();
            }
        }
        self
    }

    fn query(mut self, name: &str, schema: Value, description: &str) -> Op {
        self.params.push(json!({
            "name": name, "in": "query", "required": false,
            "schema": schema, "description": description
        }));
        self
    }

    fn json_body(mut self, schema: Value) -> Op {
        self.body = Some(json!({
            "required": true,
            "content": { "application/json": { "schema": schema } }
        }));
        self
    }

    /// A `multipart/form-data` upload of one file, with more text fields if any.
    fn file_body(mut self, description: &str, fields: &[(&str, Value)]) -> Op {
        let mut properties = Map::new();
        properties.insert(
            "file".into(),
            json!({ "type": "string", "format": "binary", "contentMediaType": "application/octet-stream",
                    "description": description }),
        );
        for (k, v) in fields {
            properties.insert((*k).to_string(), v.clone());
        }
        self.body = Some(json!({
            "required": true,
            "content": { "multipart/form-data": { "schema": {
                "type": "object", "properties": properties, "required": ["file"]
            } } }
        }));
        self
    }

    fn ok(mut self, status: u16, description: &str, schema: Value) -> Op {
        self.responses.insert(
            status.to_string(),
            json!({ "description": description,
                    "content": { "application/json": { "schema": schema } } }),
        );
        self
    }

    /// A file download, in one of these content types.
    fn download(mut self, description: &str, types: &[&str]) -> Op {
        let content: Map<String, Value> = types
            .iter()
            .map(|t| {
                let schema = if *t == "application/json" {
                    json!({ "type": "object" })
                } else {
                    json!({ "type": "string", "format": "binary" })
                };
                ((*t).to_string(), json!({ "schema": schema }))
            })
            .collect();
        self.responses.insert(
            "200".into(),
            json!({ "description": description, "content": content,
                    "headers": { "Content-Disposition": { "schema": string(),
                        "description": "attachment; filename=…" } } }),
        );
        self
    }

    /// Error answers beyond the ones every operation of its kind has.
    fn errors(mut self, statuses: &[u16]) -> Op {
        for s in statuses {
            self.add_error(*s);
        }
        self
    }

    fn add_error(&mut self, status: u16) {
        let description = match status {
            400 => "请求有误 (bad request: a malformed body or parameter)",
            401 => "未登录或凭据无效 (not signed in, or a bad token)",
            403 => {
                "无权操作，或缺少 CSRF 令牌 (wrong role, or the session's CSRF token is missing)"
            }
            404 => {
                "未找到 (not found, outside the caller's scope, or a JSON body without Content-Type: application/json)"
            }
            409 => "与现有数据冲突 (conflicts with what exists)",
            413 => "内容超过大小上限 (body too large)",
            422 => "内容无法处理 (unprocessable: a field is missing, of the wrong type or invalid)",
            429 => "请求过于频繁 (too many requests)",
            _ => "错误 (error)",
        };
        self.responses.insert(
            status.to_string(),
            json!({ "description": description,
                    "content": { "application/json": { "schema": schema::<ErrorBody>() } } }),
        );
    }

    fn into_json(mut self) -> Value {
        let has_path_params = self.params.iter().any(|p| p["in"] == "path");
        let changes = !matches!(self.method, "get" | "head" | "options");
        if self.who != Who::Public {
            self.add_error(401);
            self.add_error(403);
        }
        // An id that is not a 64-bit integer is refused by Rocket with 422; a JSON body sent
        // with another content type matches no route (404).
        if has_path_params {
            self.add_error(404);
            self.add_error(422);
        }
        if self
            .body
            .as_ref()
            .is_some_and(|b| b["content"].get("application/json").is_some())
        {
            self.add_error(404);
        }
        if self.params.iter().any(|p| p["in"] == "query") || self.body.is_some() {
            self.add_error(400);
        }
        if self.body.is_some() {
            self.add_error(413);
            self.add_error(422);
        }
        self.add_error(503);
        let security = match (self.who, changes) {
            (Who::Public, _) => json!([]),
            (_, false) => json!([{ "bearerToken": [] }, { "sessionCookie": [] }]),
            (_, true) => json!([{ "bearerToken": [] }, { "sessionCookie": [], "csrfToken": [] }]),
        };
        let operation_id = format!(
            "{}{}",
            self.method,
            self.path
                .trim_start_matches("/api/v1")
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|s| !s.is_empty())
                .map(|s| {
                    let mut c = s.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<String>()
        );
        let mut out = json!({
            "operationId": operation_id,
            "tags": [self.tag],
            "summary": self.summary,
            "description": self.who.describe(),
            "parameters": self.params,
            "responses": self.responses,
            "security": security,
        });
        if let Some(body) = self.body {
            out["requestBody"] = body;
        }
        out
    }
}

/// Every operation under `/api/v1`, one per mounted route.
fn operations() -> Vec<Op> {
    use Who::*;
    let kinds = || codes(Kind::ALL.iter().map(|k| k.code()));
    let region_q = || json!({ "type": "string", "pattern": "^[0-9]{1,12}$" });
    let dry_run = "为 true 时只检查、不保存 (true: check only, store nothing)";
    let user_secret = || {
        object(&[
            ("user", schema::<UserListing>()),
            ("one_time_password", string()),
            ("note", string()),
        ])
    };
    vec![
        // The document itself.
        op("get", "/api/v1/openapi.json", "meta", Public, "本文档 (this OpenAPI document)")
            .ok(200, "OpenAPI 3.1", json!({ "type": "object" })),
        // Accounts (src/web/account_routes.rs).
        op("post", "/api/v1/session", "accounts", Public, "登录，得到会话 cookie 与 CSRF 令牌 (sign in)")
            .json_body(schema::<SignInBody>())
            .ok(200, "已登录 (signed in); the session cookie is set", object(&[
                ("user", schema::<UserView>()),
                ("csrf_token", string()),
                ("expires_at", naive_time()),
            ]))
            .errors(&[401, 429]),
        op("get", "/api/v1/session", "accounts", Signed, "当前用户 (who am I)")
            .ok(200, "当前用户", object(&[
                ("user", schema::<UserView>()),
                ("csrf_token", json!({ "type": ["string", "null"] })),
                ("via", codes(["session", "token"])),
            ])),
        op("delete", "/api/v1/session", "accounts", Signed, "退出登录 (sign out; sessions only)")
            .ok(200, "已退出", object(&[("signed_out", boolean())]))
            .errors(&[400]),
        op("post", "/api/v1/tokens", "accounts", Admin, "为用户创建 API 令牌，仅显示一次 (make an API token, shown once)")
            .json_body(schema::<NewTokenBody>())
            .ok(201, "令牌", object(&[
                ("token", schema::<TokenListing>()),
                ("secret", string()),
                ("note", string()),
            ]))
            .errors(&[404]),
        op("get", "/api/v1/tokens", "accounts", Admin, "全部 API 令牌 (every token, without secrets)")
            .ok(200, "令牌列表", object(&[("tokens", array(schema::<TokenListing>()))])),
        op("delete", "/api/v1/tokens/{id}", "accounts", Admin, "撤销令牌 (revoke a token)")
            .ok(200, "已撤销", object(&[("token", schema::<ApiToken>())])),
        op("get", "/api/v1/departments", "accounts", Signed, "范围内的部门 (departments in scope)")
            .ok(200, "部门列表", object(&[("departments", array(schema::<DepartmentView>()))])),
        op("get", "/api/v1/departments/{id}", "accounts", Signed, "一个部门 (one department)")
            .ok(200, "部门", schema::<DepartmentView>()),
        // Uploads (src/web/api_import.rs).
        op("post", "/api/v1/rounds/{round}/submissions", "submissions", Submitter, "上传部门工作簿 (upload a department's workbook)")
            .query("dry_run", boolean(), dry_run)
            .file_body("xlsx、xls、ods 或 csv 工作簿 (the workbook)", &[(
                "department",
                json!({ "type": "string", "description": "部门代码；报送人可省略 (department code; a submitter may leave it out)" }),
            )])
            .ok(200, "试运行报告，或与已存内容相同 (dry-run report, or unchanged)", loose("{report, stored, submission?}"))
            .ok(201, "已保存 (stored)", object(&[
                ("report", loose("导入报告 (the import report)")),
                ("stored", boolean()),
                ("submission", loose("what was stored")),
            ]))
            .errors(&[404, 422]),
        op("get", "/api/v1/submissions/{id}", "submissions", Signed, "一次报送及其事项与发现 (a submission, its items and findings)")
            .ok(200, "报送", object(&[
                ("submission", schema::<SubmissionView>()),
                ("report", loose("导入报告 (the import report)")),
                ("items", array(loose("{id, name, sheet, row, findings}"))),
            ])),
        op("get", "/api/v1/submissions/{id}/annotated.xlsx", "submissions", Signed, "标注错误的工作簿 (the workbook with bad cells marked)")
            .download("工作簿", &[XLSX])
            .errors(&[422]),
        // Review (src/web/api_review.rs).
        op("get", "/api/v1/rounds/{round}/items", "review", Signed, "批次的事项，可筛选分页 (items of a round, filtered and paged)")
            .query("department", integer(), "部门编号 (department id)")
            .query("kind", kinds(), "事项类型 (kind)")
            .query("rule", json!({ "type": "string", "pattern": "^[Rr][0-9]{2}$" }), "规则 R01–R11 (rule)")
            .query("severity", codes(Severity::ALL.iter().map(|s| s.code())), "发现的严重程度 (severity)")
            .query("proposed", codes(Disposition::ALL.iter().map(|d| d.code())), "拟处理意见 (proposed disposition)")
            .query("state", codes(["submitted", "under_review", "decided", "published", "undecided"]), "状态 (state)")
            .query("q", string(), "在事项名称、许可证名称和部门名称中搜索，不区分全角半角、繁简、大小写和标点，年审/审验视同年检 (text in item, licence and department names; width, script, case, punctuation and 年审/审验/年检 folded)")
            .query("sort", codes(["department", "name", "cycle", "updated"]), "排序 (sort)")
            .query("page", json!({ "type": "integer", "minimum": 1 }), "页码 (page)")
            .query("per_page", json!({ "type": "integer", "minimum": 1, "maximum": crate::service::review::MAX_PER_PAGE }), "每页条数 (per page)")
            .ok(200, "一页事项", loose("{items, total, page, pages, …}")),
        op("get", "/api/v1/items/{id}", "review", Signed, "一个事项及其发现与决定 (an item, its findings and decisions)")
            .ok(200, "事项", loose("the item")),
        op("post", "/api/v1/items/{id}/decision", "review", Reviewer, "对事项作出决定 (decide an item)")
            .json_body(schema::<DecisionInput>())
            .ok(201, "已决定", object(&[("decision", loose("the decision row"))]))
            .errors(&[409, 422]),
        op("post", "/api/v1/rounds/{round}/decisions", "review", Reviewer, "批量决定 (decide many items)")
            .json_body(schema::<BulkBody>())
            .ok(201, "已决定的数目", object(&[("decided", json!({ "type": "integer" }))]))
            .errors(&[409, 422]),
        op("post", "/api/v1/rounds/{round}/publications", "review", Reviewer, "发布批次 (publish a round)")
            .ok(201, "已发布", object(&[("publication", loose("the publication row"))]))
            .errors(&[409]),
        op("get", "/api/v1/documents", "review", Reviewer, "法律依据文件 (legal documents)")
            .ok(200, "文件列表", object(&[("documents", array(schema::<DocumentRow>()))])),
        op("post", "/api/v1/documents", "review", Reviewer, "新增法律依据文件 (add a legal document)")
            .json_body(schema::<DocumentInput>())
            .ok(201, "已保存", schema::<DocumentChange>())
            .errors(&[409]),
        op("put", "/api/v1/documents/{id}", "review", Reviewer, "修改法律依据文件 (change a legal document)")
            .json_body(schema::<DocumentInput>())
            .ok(200, "已保存", schema::<DocumentChange>())
            .errors(&[409]),
        op("post", "/api/v1/documents/import", "review", Reviewer, "导入法律依据文件清单 (import a list of legal documents)")
            .file_body("xlsx、xls、ods 或 csv", &[])
            .ok(200, "无变化 (nothing changed)", object(&[("import", schema::<DocumentImportOutcome>())]))
            .ok(201, "已导入 (imported)", object(&[("import", schema::<DocumentImportOutcome>())])),
        // Public data (src/web/api_public.rs).
        op("get", "/api/v1/publications", "public", Public, "已发布的版本 (the published versions)")
            .query("region", region_q(), "区划代码，缺省为顶级区划 (region code)")
            .ok(200, "版本列表", object(&[("region", loose("the region")), ("publications", array(loose("a publication")))]))
            .errors(&[404]),
        op("get", "/api/v1/publications/{n}", "public", Public, "一个版本 (one published version)")
            .path_param("n", publication_number(), "版本号或 latest (number or latest)")
            .query("region", region_q(), "区划代码 (region code)")
            .ok(200, "版本", object(&[("publication", loose("the publication")), ("downloads", json!({ "type": "object", "additionalProperties": string() }))])),
        op("get", "/api/v1/publications/{n}/items", "public", Public, "版本中的事项，可筛选分页 (published items, filtered and paged)")
            .path_param("n", publication_number(), "版本号或 latest (number or latest)")
            .query("region", region_q(), "区划代码 (region code)")
            .query("list", codes(std::iter::once("all").chain(List::ALL.iter().map(|l| l.code()))), "清单 (list)")
            .query("department", json!({ "type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$" }), "部门代码 (department code)")
            .query("kind", kinds(), "事项类型 (kind)")
            .query("q", string(), "搜索 (search)")
            .query("page", json!({ "type": "integer", "minimum": 1 }), "页码 (page)")
            .query("per_page", json!({ "type": "integer", "minimum": 1, "maximum": crate::service::public::MAX_PER_PAGE }), "每页条数 (per page)")
            .ok(200, "一页事项", loose("ItemsPage: {items, total, page, pages, …}")),
        op("get", "/api/v1/publications/{n}/diff/{m}", "public", Public, "两个版本之间的变化 (changes between two versions)")
            .path_param("n", publication_number(), "版本号或 latest")
            .path_param("m", publication_number(), "版本号或 latest")
            .query("region", region_q(), "区划代码 (region code)")
            .ok(200, "变化", loose("DiffView: {added, removed, changed, …}")),
        op("get", "/api/v1/publications/{n}/{file}", "public", Public, "下载版本 (download a version as xlsx, csv or json)")
            .path_param("n", publication_number(), "版本号或 latest")
            .path_param("file", codes(ExportFormat::ALL.iter().map(|f| match f {
                ExportFormat::Xlsx => "export.xlsx",
                ExportFormat::Csv => "export.csv",
                ExportFormat::Json => "export.json",
            })), "export.xlsx, export.csv 或 export.json")
            .query("region", region_q(), "区划代码 (region code)")
            .query("lang", codes(["zh", "en"]), "表头语言 (language of the headings)")
            .download("文件；ETag 相同时答 304 (the file; 304 when If-None-Match matches)", &[XLSX, "text/csv", "application/json"]),
        op("get", "/api/v1/published-items/{id}", "public", Public, "一个已发布事项及其历次版本 (a published item and its versions)")
            .ok(200, "事项", loose("ItemView")),
        // Administration (src/web/admin/api.rs).
        op("get", "/api/v1/regions", "admin", Admin, "区划树 (the region tree)")
            .ok(200, "区划", object(&[("regions", array(schema::<RegionNode>()))])),
        op("post", "/api/v1/regions", "admin", Admin, "新增区划 (add a region)")
            .json_body(schema::<RegionInput>())
            .ok(201, "已新增", object(&[("region", loose("the region"))]))
            .errors(&[404, 409]),
        op("put", "/api/v1/regions/{code}", "admin", Admin, "重命名区划 (rename a region)")
            .path_param("code", json!({ "type": "string", "pattern": "^[0-9]{6,12}$" }), "GB/T 2260 区划代码")
            .json_body(schema::<RenameBody>())
            .ok(200, "已重命名", object(&[("region", loose("the region"))])),
        op("post", "/api/v1/regions/import", "admin", Admin, "导入区划清单 (import a region list)")
            .query("dry_run", boolean(), dry_run)
            .file_body("xlsx、xls、ods 或 csv", &[])
            .ok(200, "试运行或无新增 (dry run, or nothing new)", object(&[("import", schema::<ListImportOutcome>())]))
            .ok(201, "已导入 (imported)", object(&[("import", schema::<ListImportOutcome>())]))
            .errors(&[409, 422]),
        op("post", "/api/v1/departments", "admin", Admin, "新增部门 (add a department)")
            .json_body(schema::<DepartmentInput>())
            .ok(201, "已新增", object(&[("department", loose("the department"))]))
            .errors(&[404, 409]),
        op("put", "/api/v1/departments/{id}", "admin", Admin, "修改部门 (change a department)")
            .json_body(schema::<DepartmentInput>())
            .ok(200, "已修改", object(&[("department", loose("the department"))]))
            .errors(&[409]),
        op("post", "/api/v1/departments/import", "admin", Admin, "导入部门清单 (import a department list)")
            .query("dry_run", boolean(), dry_run)
            .file_body("xlsx、xls、ods 或 csv", &[])
            .ok(200, "试运行或无新增 (dry run, or nothing new)", object(&[("import", schema::<ListImportOutcome>())]))
            .ok(201, "已导入 (imported)", object(&[("import", schema::<ListImportOutcome>())]))
            .errors(&[409, 422]),
        op("get", "/api/v1/rounds", "admin", Signed, "范围内的清理批次 (rounds in scope)")
            .ok(200, "批次", object(&[("rounds", array(schema::<RoundView>()))])),
        op("get", "/api/v1/rounds/{id}", "admin", Signed, "一个清理批次 (one round)")
            .ok(200, "批次", schema::<RoundView>()),
        op("post", "/api/v1/rounds", "admin", Admin, "新增清理批次，时间为北京时间 (add a round; times in Beijing time)")
            .json_body(schema::<RoundInput>())
            .ok(201, "已新增", object(&[("round", schema::<RoundView>())]))
            .errors(&[404, 409]),
        op("put", "/api/v1/rounds/{id}", "admin", Admin, "修改清理批次 (change a round)")
            .json_body(schema::<RoundInput>())
            .ok(200, "已修改", object(&[("round", schema::<RoundView>())]))
            .errors(&[409]),
        op("get", "/api/v1/users", "admin", Admin, "全部用户 (every user)")
            .ok(200, "用户", object(&[("users", array(schema::<UserListing>()))])),
        op("get", "/api/v1/users/{id}", "admin", Admin, "一个用户 (one user)")
            .ok(200, "用户", object(&[("user", schema::<UserListing>())])),
        op("post", "/api/v1/users", "admin", Admin, "新增用户，一次性密码仅显示一次 (add a user; its one-time password is shown once)")
            .json_body(schema::<UserInput>())
            .ok(201, "已新增", user_secret())
            .errors(&[404, 409]),
        op("put", "/api/v1/users/{id}", "admin", Admin, "修改用户的角色、部门或区划 (change a user's role)")
            .json_body(schema::<RoleInput>())
            .ok(200, "已修改", object(&[("user", schema::<UserListing>())]))
            .errors(&[409]),
        op("post", "/api/v1/users/{id}/disable", "admin", Admin, "停用用户，其会话与令牌立即失效 (disable a user)")
            .ok(200, "已停用", object(&[("user", schema::<UserListing>())]))
            .errors(&[409, 422]),
        op("post", "/api/v1/users/{id}/enable", "admin", Admin, "启用用户 (enable a user)")
            .ok(200, "已启用", object(&[("user", schema::<UserListing>())]))
            .errors(&[409, 422]),
        op("post", "/api/v1/users/{id}/reset-password", "admin", Admin, "重置密码，一次性密码仅显示一次 (reset a password)")
            .ok(200, "已重置", user_secret()),
        // Dashboard (src/web/dashboard.rs).
        op("get", "/api/v1/rounds/{round}/report.xlsx", "dashboard", Reviewer, "向上报告工作簿 (the report upward, xlsx)")
            .download("工作簿", &[XLSX]),
        op("get", "/api/v1/rounds/{round}/dashboard", "dashboard", Reviewer, "批次进度与成效 (a round's progress and outcome)")
            .ok(200, "看板", loose("Dashboard: {round_id, departments, states, kinds, outcome, submissions, …}")),
        // Public consultation (src/web/consultation.rs).
        op("get", "/api/v1/consultations", "consultation", Public, "征求意见 (public consultations)")
            .ok(200, "列表", object(&[("consultations", array(schema::<ConsultationJson>()))])),
        op("get", "/api/v1/consultations/{id}", "consultation", Public, "一次征求意见及其事项 (a consultation and its items)")
            .ok(200, "征求意见", object(&[
                ("consultation", schema::<ConsultationJson>()),
                ("items", array(schema::<ConsultedItem>())),
            ])),
        op("post", "/api/v1/items/{id}/comments", "consultation", Public, "对事项提交意见，审核后公开 (comment on an item)")
            .json_body(schema::<CommentBody>())
            .ok(202, "已收到，待审核 (received, pending moderation)", object(&[("state", codes(["pending"])), ("message", string())]))
            .errors(&[409, 422, 429]),
        op("post", "/api/v1/rounds/{round}/consultations", "consultation", Reviewer, "开启征求意见 (open a consultation)")
            .json_body(schema::<OpenBody>())
            .ok(201, "已开启", object(&[("id", integer())]))
            .errors(&[409, 422]),
        op("post", "/api/v1/consultations/{id}/close", "consultation", Reviewer, "结束征求意见 (close a consultation)")
            .json_body(schema::<CloseBody>())
            .ok(200, "已结束", object(&[("id", integer()), ("closed", boolean())]))
            .errors(&[409, 422]),
        op("get", "/api/v1/consultations/{id}/comments", "consultation", Reviewer, "全部意见与统计 (every comment, with tallies)")
            .query("state", codes(["pending", "approved", "rejected"]), "审核状态 (moderation state)")
            .ok(200, "意见", object(&[
                ("comments", array(schema::<OfficeComment>())),
                ("tallies", array(schema::<Tally>())),
            ])),
        op("post", "/api/v1/comments/{id}/moderation", "consultation", Reviewer, "审核意见 (moderate a comment)")
            .json_body(schema::<ModerationBody>())
            .ok(200, "已审核", object(&[("id", integer()), ("moderated", boolean())]))
            .errors(&[409, 422]),
        op("get", "/api/v1/consultations/{id}/comments.xlsx", "consultation", Reviewer, "意见汇总工作簿 (the comments, xlsx)")
            .download("工作簿", &[XLSX]),
    ]
}

/// The allowed values of string fields that the body types keep as `String` and check by
/// their domain codes: (schema, field, extra constraints).
fn field_constraints() -> Vec<(&'static str, &'static str, Value)> {
    let dispositions = || codes(Disposition::ALL.iter().map(|d| d.code()));
    let roles = || codes(Role::ALL.iter().map(|r| r.code()));
    let region_code = || json!({ "pattern": "^[0-9]{6}([0-9]{3}){0,2}$" });
    vec![
        (
            "DocumentInput",
            "level",
            codes(BasisLevel::ALL.iter().map(|l| l.code())),
        ),
        (
            "DocumentInput",
            "status",
            codes(DocumentStatus::ALL.iter().map(|s| s.code())),
        ),
        ("DecisionInput", "decision", dispositions()),
        ("BulkBody", "decision", dispositions()),
        (
            "CommentBody",
            "stance",
            codes(Stance::ALL.iter().map(|s| s.code())),
        ),
        ("ModerationBody", "decision", codes(["approve", "reject"])),
        ("UserInput", "role", roles()),
        ("RoleInput", "role", roles()),
        ("RegionInput", "code", region_code()),
        ("RegionInput", "parent", region_code()),
        (
            "RegionInput",
            "level",
            codes(Level::ALL.iter().map(|l| l.code())),
        ),
        ("DepartmentInput", "region", region_code()),
        ("RoundInput", "region", region_code()),
    ]
}

/// Adds constraints to a property of a component schema; an optional field stays nullable.
fn constrain(schemas: &mut Value, schema: &str, field: &str, extra: &Value) {
    let property = schemas
        .pointer_mut(&format!("/{schema}/properties/{field}"))
        .unwrap_or_else(|| panic!("the OpenAPI schema {schema} has no field {field}"));
    let nullable = property["type"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t == "null"));
    for (k, v) in extra.as_object().into_iter().flatten() {
        if k == "type" {
            continue;
        }
        let mut v = v.clone();
        if let (true, Some(values)) = (k == "enum" && nullable, v.as_array_mut()) {
            values.push(Value::Null);
        }
        property[k] = v;
    }
}

/// The whole document (built once).
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut components = serde_json::to_value(Schemas::openapi().components)
            .unwrap_or_else(|_| json!({}));
        if !components.is_object() {
            components = json!({});
        }
        naive_times(&mut components);
        for (schema, field, extra) in field_constraints() {
            constrain(&mut components["schemas"], schema, field, &extra);
        }
        components["securitySchemes"] = json!({
            "bearerToken": {
                "type": "http", "scheme": "bearer",
                "description": "API 令牌 nj_…，由管理员创建 (an API token, made by an admin: POST /api/v1/tokens or `nianjian` on the command line)"
            },
            "sessionCookie": {
                "type": "apiKey", "in": "cookie", "name": crate::web::auth::SESSION_COOKIE,
                "description": "POST /api/v1/session 设置的会话 cookie (the session cookie)"
            },
            "csrfToken": {
                "type": "apiKey", "in": "header", "name": crate::web::auth::CSRF_HEADER,
                "description": "会话的 CSRF 令牌：使用会话 cookie 的非 GET 请求必须带上 (the session's CSRF token: required with the cookie on every state-changing call)"
            }
        });
        let mut paths = Map::new();
        for op in operations() {
            let (path, method) = (op.path, op.method);
            let item = paths
                .entry(path.to_string())
                .or_insert_with(|| json!({}));
            item[method] = op.into_json();
        }
        json!({
            "openapi": "3.1.0",
            "info": {
                "title": "nianjian API",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "年检与指定培训清理登记的 JSON API。错误一律为 {\"error\": {\"code\", \"message\"}}，消息默认中文，?lang=en 或 Accept-Language: en 时为英文。 (The JSON API of the registry. Errors are {\"error\": {\"code\", \"message\"}}; messages in Chinese unless English is asked for.)"
            },
            "paths": paths,
            "components": components,
        })
    })
}

/// `GET /api/v1/openapi.json`: public, like the API it describes is in part.
#[get("/api/v1/openapi.json")]
fn openapi_json() -> (ContentType, String) {
    (ContentType::JSON, document().to_string())
}

pub fn routes() -> Vec<Route> {
    routes![openapi_json]
}
