//! The public JSON API (no sign-in; published data only): a region's publications, one
//! publication, its items (filtered, searched, paged), the diff of two versions, an item with
//! its history, and the downloads with a strong ETag.

use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{Request, Response, Route, State, get, routes};
use serde_json::{Value, json};

use super::{ApiResult, AppError, Lang};
use crate::db::{Db, DbError};
use crate::domain::Kind;
use crate::domain::publication::List;
use crate::export::ExportFormat;
use crate::service::public::{self, Download, ItemQuery, MAX_PER_PAGE, PublicError};
use crate::service::publish::Which;

impl From<PublicError> for AppError {
    fn from(e: PublicError) -> Self {
        if e.is_not_found() {
            return AppError::new(
                Status::NotFound,
                e.code(),
                e.message(Lang::Zh),
                e.message(Lang::En),
            );
        }
        match e {
            PublicError::Db(e) => AppError::from(e),
            other => {
                tracing::error!(error = %other, "public request failed");
                AppError::new(
                    Status::InternalServerError,
                    "internal",
                    other.message(Lang::Zh),
                    other.message(Lang::En),
                )
            }
        }
    }
}

/// Either the service's error or the pool's.
enum Failure {
    Public(PublicError),
    Db(DbError),
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Self {
        Failure::Db(e)
    }
}

impl From<PublicError> for Failure {
    fn from(e: PublicError) -> Self {
        Failure::Public(e)
    }
}

impl From<Failure> for AppError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Public(e) => AppError::from(e),
            Failure::Db(e) => AppError::from(e),
        }
    }
}

/// Runs one public service call off the async runtime; its errors become an [`AppError`].
pub async fn run<T, F>(db: &Db, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut crate::db::DbConnection) -> Result<T, PublicError> + Send + 'static,
    T: Send + 'static,
{
    db.run(move |c| f(c).map_err(Failure::from))
        .await
        .map_err(AppError::from)
}

fn bad(code: &'static str, zh: String, en: String) -> AppError {
    AppError::new(Status::BadRequest, code, zh, en)
}

/// At most 40 characters of a bad value, for the message.
fn shown(v: &str) -> String {
    v.chars().filter(|c| !c.is_control()).take(40).collect()
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// `{n|latest}`: anything else names no publication (404).
pub fn which(n: &str) -> Result<Which, AppError> {
    Which::parse(n.trim()).ok_or_else(|| PublicError::PublicationNotFound.into())
}

/// `?region=`: a GB/T 2260 code (digits), else 400.
pub fn region(region: Option<&str>) -> Result<Option<String>, AppError> {
    match nonempty(region) {
        None => Ok(None),
        Some(r) if r.len() <= 12 && r.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(r.to_string()))
        }
        Some(r) => Err(bad(
            "bad_region",
            format!("region 应为行政区划代码（数字），而不是“{}”", shown(r)),
            format!("region must be a region code (digits), not “{}”", shown(r)),
        )),
    }
}

/// The raw query parameters of the item list.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawItemQuery<'a> {
    pub list: Option<&'a str>,
    pub department: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub q: Option<&'a str>,
    pub page: Option<&'a str>,
    pub per_page: Option<&'a str>,
}

/// Checks the list's parameters; every malformed value is a 400 that names it.
pub fn item_query(raw: RawItemQuery<'_>) -> Result<ItemQuery, AppError> {
    let list = match nonempty(raw.list) {
        None | Some("all") => None,
        Some(l) => Some(List::from_code(l).ok_or_else(|| {
            bad(
                "bad_list",
                format!(
                    "list 只能是 retained、converted、cancelled 或 trainings，而不是“{}”",
                    shown(l)
                ),
                format!(
                    "list must be retained, converted, cancelled or trainings, not “{}”",
                    shown(l)
                ),
            )
        })?),
    };
    let kind = match nonempty(raw.kind) {
        None => None,
        Some(k) => Some(Kind::from_code(k).ok_or_else(|| {
            bad(
                "bad_kind",
                format!("kind 只能是 inspection 或 training，而不是“{}”", shown(k)),
                format!("kind must be inspection or training, not “{}”", shown(k)),
            )
        })?),
    };
    let department = match nonempty(raw.department) {
        None => None,
        Some(d)
            if d.len() <= 64
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
        {
            Some(d.to_string())
        }
        Some(d) => {
            return Err(bad(
                "bad_department",
                format!("department 应为部门代码，而不是“{}”", shown(d)),
                format!("department must be a department code, not “{}”", shown(d)),
            ));
        }
    };
    let page = match nonempty(raw.page) {
        None => 1,
        Some(p) => match p.parse::<u32>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(bad(
                    "bad_page",
                    format!(
                        "page 应为 1 到 {} 之间的整数，而不是“{}”",
                        u32::MAX,
                        shown(p)
                    ),
                    format!(
                        "page must be a whole number from 1 to {}, not “{}”",
                        u32::MAX,
                        shown(p)
                    ),
                ));
            }
        },
    };
    let per_page = match nonempty(raw.per_page) {
        None => public::DEFAULT_PER_PAGE,
        Some(p) => match p.parse::<u32>() {
            Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
            _ => {
                return Err(bad(
                    "bad_per_page",
                    format!(
                        "per_page 应为 1 到 {MAX_PER_PAGE} 之间的整数，而不是“{}”",
                        shown(p)
                    ),
                    format!(
                        "per_page must be a whole number from 1 to {MAX_PER_PAGE}, not “{}”",
                        shown(p)
                    ),
                ));
            }
        },
    };
    let q = raw
        .q
        .map(|q| public::search_terms(q).join(" "))
        .filter(|q| !q.is_empty());
    Ok(ItemQuery {
        list,
        department,
        kind,
        q,
        page,
        per_page,
    })
}

/// The address of a publication's export.
pub fn export_href(number: i64, region: &str, format: ExportFormat, lang: Lang) -> String {
    let lang = match lang {
        Lang::Zh => "",
        Lang::En => "&lang=en",
    };
    format!(
        "/api/v1/publications/{number}/export.{}?region={region}{lang}",
        format.extension()
    )
}

#[get("/api/v1/publications?<region>")]
async fn api_publications(db: &State<Db>, region: Option<&str>) -> ApiResult<Json<Value>> {
    let region = self::region(region)?;
    let (region, publications) = run(db, move |c| public::history(c, region.as_deref())).await?;
    Ok(Json(
        json!({"region": region, "publications": publications}),
    ))
}

#[get("/api/v1/publications/<n>?<region>")]
async fn api_publication(db: &State<Db>, n: &str, region: Option<&str>) -> ApiResult<Json<Value>> {
    let which = which(n)?;
    let region = self::region(region)?;
    let p = run(db, move |c| {
        public::publication(c, region.as_deref(), which)
    })
    .await?;
    let downloads: serde_json::Map<String, Value> = ExportFormat::ALL
        .iter()
        .map(|f| {
            (
                f.extension().to_string(),
                Value::from(export_href(p.number, &p.region.code, *f, Lang::Zh)),
            )
        })
        .collect();
    Ok(Json(json!({"publication": p, "downloads": downloads})))
}

#[allow(clippy::too_many_arguments)]
#[get("/api/v1/publications/<n>/items?<region>&<list>&<department>&<kind>&<q>&<page>&<per_page>")]
async fn api_items(
    db: &State<Db>,
    n: &str,
    region: Option<&str>,
    list: Option<&str>,
    department: Option<&str>,
    kind: Option<&str>,
    q: Option<&str>,
    page: Option<&str>,
    per_page: Option<&str>,
) -> ApiResult<Json<public::ItemsPage>> {
    let which = which(n)?;
    let region = self::region(region)?;
    let query = item_query(RawItemQuery {
        list,
        department,
        kind,
        q,
        page,
        per_page,
    })?;
    let page = run(db, move |c| {
        public::items(c, region.as_deref(), which, &query)
    })
    .await?;
    Ok(Json(page))
}

#[get("/api/v1/publications/<n>/diff/<m>?<region>")]
async fn api_diff(
    db: &State<Db>,
    n: &str,
    m: &str,
    region: Option<&str>,
) -> ApiResult<Json<public::DiffView>> {
    let (from, to) = (which(n)?, which(m)?);
    let region = self::region(region)?;
    let diff = run(db, move |c| public::diff(c, region.as_deref(), from, to)).await?;
    Ok(Json(diff))
}

#[get("/api/v1/published-items/<id>")]
async fn api_item(db: &State<Db>, id: &str) -> ApiResult<Json<public::ItemView>> {
    let id: i64 = id
        .trim()
        .parse()
        .map_err(|_| AppError::from(PublicError::ItemNotFound))?;
    let item = run(db, move |c| public::item(c, id)).await?;
    Ok(Json(item))
}

/// The `If-None-Match` header of a request, if any.
pub struct IfNoneMatch(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfNoneMatch {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(IfNoneMatch(
            req.headers().get_one("If-None-Match").map(str::to_string),
        ))
    }
}

impl IfNoneMatch {
    /// Whether the client's copy is this one (RFC 9110 weak comparison, as for GET).
    fn matches(&self, etag: &str) -> bool {
        let Some(header) = &self.0 else {
            return false;
        };
        header
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
    }
}

/// A download, or 304 when the client has these bytes already.
pub struct DownloadResponse {
    download: Download,
    not_modified: bool,
    cache_control: &'static str,
}

impl<'r> Responder<'r, 'static> for DownloadResponse {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        let d = self.download;
        let mut res = Response::build();
        res.header(Header::new("ETag", d.etag))
            .header(Header::new("Cache-Control", self.cache_control));
        if self.not_modified {
            return res.status(Status::NotModified).ok();
        }
        let content_type =
            ContentType::parse_flexible(d.content_type).unwrap_or(ContentType::Binary);
        res.header(content_type)
            .header(Header::new("Content-Disposition", d.content_disposition))
            .sized_body(d.bytes.len(), std::io::Cursor::new(d.bytes))
            .ok()
    }
}

/// `export.xlsx`, `export.csv` or `export.json`; the language of headings from `?lang=` only,
/// so one address always gives the same bytes.
#[get("/api/v1/publications/<n>/<file>?<region>&<lang>", rank = 2)]
async fn api_export(
    db: &State<Db>,
    n: &str,
    file: &str,
    region: Option<&str>,
    lang: Option<&str>,
    if_none_match: IfNoneMatch,
) -> ApiResult<DownloadResponse> {
    let format = file
        .strip_prefix("export.")
        .and_then(ExportFormat::from_extension)
        .ok_or_else(|| AppError::not_found("未找到该下载文件", "No such download"))?;
    let which = which(n)?;
    let region = self::region(region)?;
    let lang = lang.and_then(Lang::from_code).unwrap_or_default();
    let download = run(db, move |c| {
        public::download(c, region.as_deref(), which, format, lang)
    })
    .await?;
    let not_modified = if_none_match.matches(&download.etag);
    Ok(DownloadResponse {
        download,
        not_modified,
        // A numbered publication never changes; `latest` moves when a new one is published.
        cache_control: match which {
            Which::Number(_) => "public, max-age=31536000, immutable",
            Which::Latest => "public, max-age=60, must-revalidate",
        },
    })
}

pub fn routes() -> Vec<Route> {
    routes![
        api_publications,
        api_publication,
        api_items,
        api_diff,
        api_item,
        api_export
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_strong_tags() {
        let tag = "\"abc\"";
        assert!(IfNoneMatch(Some("\"abc\"".into())).matches(tag));
        assert!(IfNoneMatch(Some("\"x\", W/\"abc\"".into())).matches(tag));
        assert!(IfNoneMatch(Some("*".into())).matches(tag));
        assert!(!IfNoneMatch(Some("\"abd\"".into())).matches(tag));
        assert!(!IfNoneMatch(None).matches(tag));
    }

    #[test]
    fn malformed_filters_are_refused() {
        let q = |page, per_page| RawItemQuery {
            page,
            per_page,
            ..RawItemQuery::default()
        };
        for (page, per_page, code) in [
            (Some("x"), None, "bad_page"),
            (Some("0"), None, "bad_page"),
            (Some("99999999999999999999"), None, "bad_page"),
            (None, Some("0"), "bad_per_page"),
            (None, Some("10000"), "bad_per_page"),
        ] {
            assert_eq!(item_query(q(page, per_page)).unwrap_err().code, code);
        }
        let ok = item_query(q(Some("2"), Some("200"))).unwrap();
        assert_eq!((ok.page, ok.per_page), (2, 200));
    }
}
