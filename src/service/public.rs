//! What the public reads (DESIGN.md §6): a region's publications, one publication's lists
//! filtered, searched and paged, an item with its history across versions, the diff between two
//! versions, and the downloads. Published data only: every query starts from `publications` and
//! `published_items`, never from the draft tables.
//!
//! The list is the hot path (issue #6: 3,000 req/s at p99 < 30 ms): one indexed query finds the
//! publication, one reads the page; the total comes from the stored summary unless a filter
//! other than the list is set, when one indexed count is added.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::backend;
use crate::db::schema::{publications, published_items, regions};
use crate::domain::publication::{List, PublishedItem, Summary};
use crate::domain::{Kind, Lang};
use crate::export::{self, ExportError, ExportFormat};
use crate::service::publish::{self, FieldChange, PublicationRow, PublishedItemRow, Which};

/// The largest page a client may ask for.
pub const MAX_PER_PAGE: u32 = 200;
pub const DEFAULT_PER_PAGE: u32 = 50;
/// Search text beyond this many characters is cut off.
pub const MAX_QUERY_CHARS: usize = 100;
/// At most this many whitespace-separated search terms are used (all must match).
pub const MAX_TERMS: usize = 5;
/// A search pages through at most this many matches (20 pages of 50), so that a term found in
/// 40,000 items costs no more than a rare one; the page says when there are more.
pub const SEARCH_CAP: i64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum PublicError {
    #[error("未找到该行政区划")]
    RegionNotFound,
    #[error("未找到该公布版本")]
    PublicationNotFound,
    #[error("未找到该公布事项")]
    ItemNotFound,
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl PublicError {
    pub fn code(&self) -> &'static str {
        match self {
            PublicError::RegionNotFound => "region_not_found",
            PublicError::PublicationNotFound => "publication_not_found",
            PublicError::ItemNotFound => "item_not_found",
            PublicError::Export(_) | PublicError::Db(_) => "internal",
        }
    }
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (PublicError::Export(_) | PublicError::Db(_), Lang::Zh) => {
                "服务器内部错误，已记录，请稍后重试".into()
            }
            (_, Lang::Zh) => self.to_string(),
            (PublicError::RegionNotFound, Lang::En) => "No such region".into(),
            (PublicError::PublicationNotFound, Lang::En) => "No such publication".into(),
            (PublicError::ItemNotFound, Lang::En) => "No such published item".into(),
            (_, Lang::En) => "Internal error; it has been logged".into(),
        }
    }
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            PublicError::RegionNotFound
                | PublicError::PublicationNotFound
                | PublicError::ItemNotFound
        )
    }
}

pub type PublicResult<T> = Result<T, PublicError>;

/// A region as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionView {
    pub code: String,
    pub name: String,
}

/// A publication's metadata and summary figures (never its items).
#[derive(Debug, Clone, Serialize)]
pub struct PublicationView {
    #[serde(skip)]
    pub at: NaiveDateTime,
    pub number: i64,
    pub title: String,
    pub region: RegionView,
    pub published_at: String,
    pub item_count: i64,
    pub summary: Summary,
}

impl PublicationView {
    fn of(row: &PublicationRow, region: &RegionView) -> PublicationView {
        PublicationView {
            at: row.published_at,
            number: row.number,
            title: row.title.clone(),
            region: region.clone(),
            published_at: timestamp(row.published_at),
            item_count: row.item_count,
            summary: serde_json::from_str(&row.summary).unwrap_or_default(),
        }
    }
}

/// RFC 3339 in UTC, as the JSON export writes it.
fn timestamp(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// A published item with its public id.
#[derive(Debug, Clone, Serialize)]
pub struct PublicItem {
    pub id: i64,
    #[serde(flatten)]
    pub item: PublishedItem,
}

impl PublicItem {
    fn of(row: &PublishedItemRow) -> PublicItem {
        PublicItem {
            id: row.id,
            item: row.to_domain(),
        }
    }
}

/// What the list asks for. Built by the web layer from checked query parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemQuery {
    pub list: Option<List>,
    pub department: Option<String>,
    pub kind: Option<Kind>,
    pub q: Option<String>,
    pub page: u32,
    pub per_page: u32,
}

impl Default for ItemQuery {
    fn default() -> Self {
        ItemQuery {
            list: None,
            department: None,
            kind: None,
            q: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// Splits search text into terms: control characters dropped, at most [`MAX_QUERY_CHARS`]
/// characters and [`MAX_TERMS`] terms.
pub fn search_terms(q: &str) -> Vec<String> {
    let clean: String = q
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_QUERY_CHARS)
        .collect();
    clean
        .split_whitespace()
        .take(MAX_TERMS)
        .map(str::to_string)
        .collect()
}

/// One page of a publication's items.
#[derive(Debug, Clone, Serialize)]
pub struct ItemsPage {
    pub publication: PublicationView,
    /// Items matching; for a search at most [`SEARCH_CAP`].
    pub total: i64,
    /// A search matched more than [`SEARCH_CAP`] items: `total` is the cap, and only the first
    /// `SEARCH_CAP` matches can be paged through (narrow the search for the rest).
    pub total_capped: bool,
    pub page: u32,
    pub per_page: u32,
    pub pages: i64,
    pub items: Vec<PublicItem>,
}

/// A department that has items in a publication (for the filter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepartmentView {
    pub code: String,
    pub name: String,
}

/// Finds a publication of a region (`None`: the top region) in one query.
fn resolve(
    conn: &mut DbConnection,
    region: Option<&str>,
    which: Which,
) -> PublicResult<(PublicationRow, RegionView)> {
    let mut q = publications::table
        .inner_join(regions::table)
        .select((PublicationRow::as_select(), regions::code, regions::name))
        .into_boxed();
    q = match region {
        Some(code) => q.filter(regions::code.eq(code.to_string())),
        None => q.filter(regions::parent_id.is_null()),
    };
    q = match which {
        Which::Number(n) => q
            .filter(publications::number.eq(n))
            .order(regions::id.asc()),
        Which::Latest => q.order((regions::id.asc(), publications::number.desc())),
    };
    let found: Option<(PublicationRow, String, String)> = q.first(conn).optional()?;
    match found {
        Some((row, code, name)) => Ok((row, RegionView { code, name })),
        None => {
            region_of(conn, region)?;
            Err(PublicError::PublicationNotFound)
        }
    }
}

/// A region by code (`None`: the top region).
fn region_of(conn: &mut DbConnection, region: Option<&str>) -> PublicResult<(i64, RegionView)> {
    let mut q = regions::table
        .select((regions::id, regions::code, regions::name))
        .order(regions::id)
        .into_boxed();
    q = match region {
        Some(code) => q.filter(regions::code.eq(code.to_string())),
        None => q.filter(regions::parent_id.is_null()),
    };
    let found: Option<(i64, String, String)> = q.first(conn).optional()?;
    found
        .map(|(id, code, name)| (id, RegionView { code, name }))
        .ok_or(PublicError::RegionNotFound)
}

/// A publication's metadata and figures.
pub fn publication(
    conn: &mut DbConnection,
    region: Option<&str>,
    which: Which,
) -> PublicResult<PublicationView> {
    let (row, region) = resolve(conn, region, which)?;
    Ok(PublicationView::of(&row, &region))
}

/// A region's publications, newest first.
pub fn history(
    conn: &mut DbConnection,
    region: Option<&str>,
) -> PublicResult<(RegionView, Vec<PublicationView>)> {
    let (id, region) = region_of(conn, region)?;
    let rows = publish::list(conn, id)?;
    let views = rows
        .iter()
        .map(|r| PublicationView::of(r, &region))
        .collect();
    Ok((region, views))
}

/// One page of a publication's items, filtered and searched.
pub fn items(
    conn: &mut DbConnection,
    region: Option<&str>,
    which: Which,
    query: &ItemQuery,
) -> PublicResult<ItemsPage> {
    let (row, region) = resolve(conn, region, which)?;
    items_of(conn, &row, &region, query)
}

fn items_of(
    conn: &mut DbConnection,
    row: &PublicationRow,
    region: &RegionView,
    query: &ItemQuery,
) -> PublicResult<ItemsPage> {
    let publication = PublicationView::of(row, region);
    let terms = query.q.as_deref().map(search_terms).unwrap_or_default();
    let per_page = query.per_page.clamp(1, MAX_PER_PAGE);
    let page = query.page.max(1);

    let offset = i64::from(page - 1) * i64::from(per_page);
    macro_rules! filtered {
        () => {{
            let mut q = published_items::table
                .filter(published_items::publication_id.eq(row.id))
                .into_boxed();
            if let Some(list) = query.list {
                q = q.filter(published_items::list.eq(list.code()));
            }
            if let Some(d) = &query.department {
                q = q.filter(published_items::department_code.eq(d.clone()));
            }
            if let Some(k) = query.kind {
                q = q.filter(published_items::kind.eq(k.code()));
            }
            q
        }};
    }

    if !terms.is_empty() {
        // A search reads the ids of at most SEARCH_CAP + 1 matches in display order, from the
        // full-text index, and the page's rows by id: one bounded query, however common the
        // term. Past the cap the total says "more than" (`total_capped`).
        let scope = backend::SearchScope {
            publication_id: row.id,
            list: query.list.map(List::code),
            department_code: query.department.as_deref(),
            kind: query.kind.map(Kind::code),
        };
        let ids = match backend::search_ids(conn, scope, &terms, SEARCH_CAP + 1)? {
            Some(ids) => ids,
            None => {
                let mut q = filtered!().select(published_items::id);
                for t in &terms {
                    q = q.filter(backend::postgres_search_condition(t));
                }
                q.order(published_items::id.asc())
                    .limit(SEARCH_CAP + 1)
                    .load(conn)?
            }
        };
        let total_capped = ids.len() as i64 > SEARCH_CAP;
        let total = (ids.len() as i64).min(SEARCH_CAP);
        let from = usize::try_from(offset.min(total)).unwrap_or(0);
        let to = usize::try_from((offset + i64::from(per_page)).min(total)).unwrap_or(0);
        let page_ids = &ids[from..to];
        let rows: Vec<PublishedItemRow> = if page_ids.is_empty() {
            Vec::new()
        } else {
            published_items::table
                .filter(published_items::id.eq_any(page_ids))
                .order(published_items::id.asc())
                .select(PublishedItemRow::as_select())
                .load(conn)?
        };
        return Ok(ItemsPage {
            publication,
            total,
            total_capped,
            page,
            per_page,
            pages: (total + i64::from(per_page) - 1) / i64::from(per_page),
            items: rows.iter().map(PublicItem::of).collect(),
        });
    }

    let load = |conn: &mut DbConnection| -> QueryResult<Vec<PublishedItemRow>> {
        let q = filtered!().select(PublishedItemRow::as_select());
        // Ids run in display order within a publication (list, then 序号: see
        // `publish::publish`), so one key orders every query and indexes can serve it.
        // With a list the (publication, list, 序号) indexes give the order.
        let q = if query.list.is_some() {
            q.order(published_items::serial.asc())
        } else {
            q.order(published_items::id.asc())
        };
        q.limit(i64::from(per_page)).offset(offset).load(conn)
    };
    let (total, rows) = if query.department.is_none() && query.kind.is_none() {
        // Unfiltered lists have their size in the stored summary.
        let s = &publication.summary;
        let total = i64::from(match query.list {
            Some(List::Retained) => s.retained,
            Some(List::Converted) => s.converted,
            Some(List::Cancelled) => s.cancelled,
            Some(List::Trainings) => s.trainings,
            None => u32::try_from(row.item_count).unwrap_or(u32::MAX),
        });
        let rows = if offset >= total {
            Vec::new()
        } else {
            load(conn)?
        };
        (total, rows)
    } else {
        let rows = load(conn)?;
        // A short page that is not past the end tells the total without counting.
        let total = if (rows.len() as u32) < per_page && (page == 1 || !rows.is_empty()) {
            offset + rows.len() as i64
        } else {
            filtered!().count().get_result(conn)?
        };
        (total, rows)
    };
    let pages = (total + i64::from(per_page) - 1) / i64::from(per_page);
    Ok(ItemsPage {
        publication,
        total,
        page,
        per_page,
        total_capped: false,
        pages,
        items: rows.iter().map(PublicItem::of).collect(),
    })
}

/// The list page: a page of items, and the choices of its filters.
#[derive(Debug, Clone, Serialize)]
pub struct ListPage {
    pub items: ItemsPage,
    pub departments: Vec<DepartmentView>,
    pub regions: Vec<RegionView>,
}

pub fn list_page(
    conn: &mut DbConnection,
    region: Option<&str>,
    which: Which,
    query: &ItemQuery,
) -> PublicResult<ListPage> {
    let (row, region) = resolve(conn, region, which)?;
    let items = items_of(conn, &row, &region, query)?;
    let departments = departments_of(conn, row.id)?;
    let regions: Vec<(String, String)> = regions::table
        .filter(diesel::dsl::exists(
            publications::table.filter(publications::region_id.eq(regions::id)),
        ))
        .order(regions::code)
        .select((regions::code, regions::name))
        .load(conn)?;
    Ok(ListPage {
        items,
        departments,
        regions: regions
            .into_iter()
            .map(|(code, name)| RegionView { code, name })
            .collect(),
    })
}

/// The departments with items in a publication, by name (the filter's choices).
fn departments_of(
    conn: &mut DbConnection,
    publication_id: i64,
) -> PublicResult<Vec<DepartmentView>> {
    let row_id = publication_id;
    let rows: Vec<(String, String)> = published_items::table
        .filter(published_items::publication_id.eq(row_id))
        .select((
            published_items::department_code,
            published_items::department_name,
        ))
        .distinct()
        .order((
            published_items::department_name,
            published_items::department_code,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(code, name)| DepartmentView { code, name })
        .collect())
}

/// What happened to an item in one publication of its region.
#[derive(Debug, Clone, Serialize)]
pub struct VersionEntry {
    #[serde(skip)]
    pub at: NaiveDateTime,
    pub number: i64,
    pub published_at: String,
    /// The item's id in that publication; `None` when it was not listed.
    pub published_item_id: Option<i64>,
    /// `added` (first listed), `changed`, `unchanged`, `removed` (no longer listed).
    pub event: &'static str,
    pub list: Option<List>,
    pub changes: Vec<FieldChange>,
}

/// A published item with the publication it belongs to and its history.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub id: i64,
    pub publication: PublicationView,
    pub item: PublishedItem,
    pub history: Vec<VersionEntry>,
}

/// A published item and what changed and when across the versions of its region.
pub fn item(conn: &mut DbConnection, id: i64) -> PublicResult<ItemView> {
    let found: Option<(PublishedItemRow, PublicationRow, String, String)> = published_items::table
        .inner_join(publications::table.inner_join(regions::table))
        .filter(published_items::id.eq(id))
        .select((
            PublishedItemRow::as_select(),
            PublicationRow::as_select(),
            regions::code,
            regions::name,
        ))
        .first(conn)
        .optional()?;
    let (row, publication, code, name) = found.ok_or(PublicError::ItemNotFound)?;
    let region = RegionView { code, name };
    let versions: Vec<(i64, NaiveDateTime)> = publications::table
        .filter(publications::region_id.eq(publication.region_id))
        .order(publications::number.asc())
        .select((publications::number, publications::published_at))
        .load(conn)?;
    let same: Vec<(i64, PublishedItemRow)> = published_items::table
        .inner_join(publications::table)
        .filter(published_items::identity_key.eq(&row.identity_key))
        .filter(publications::region_id.eq(publication.region_id))
        .select((publications::number, PublishedItemRow::as_select()))
        .load(conn)?;
    let mut history = Vec::new();
    let mut previous: Option<PublishedItem> = None;
    for (number, at) in versions {
        let this = same.iter().find(|(n, _)| *n == number).map(|(_, r)| r);
        let entry = match (this, &previous) {
            (Some(r), None) => {
                let item = r.to_domain();
                let e = VersionEntry {
                    at,
                    number,
                    published_at: timestamp(at),
                    published_item_id: Some(r.id),
                    event: "added",
                    list: Some(item.list),
                    changes: Vec::new(),
                };
                previous = Some(item);
                e
            }
            (Some(r), Some(before)) => {
                let item = r.to_domain();
                let changes = publish::field_changes(before, &item);
                let e = VersionEntry {
                    at,
                    number,
                    published_at: timestamp(at),
                    published_item_id: Some(r.id),
                    event: if changes.is_empty() {
                        "unchanged"
                    } else {
                        "changed"
                    },
                    list: Some(item.list),
                    changes,
                };
                previous = Some(item);
                e
            }
            (None, Some(_)) => {
                previous = None;
                VersionEntry {
                    at,
                    number,
                    published_at: timestamp(at),
                    published_item_id: None,
                    event: "removed",
                    list: None,
                    changes: Vec::new(),
                }
            }
            (None, None) => continue,
        };
        history.push(entry);
    }
    Ok(ItemView {
        id: row.id,
        publication: PublicationView::of(&publication, &region),
        item: row.to_domain(),
        history,
    })
}

/// Two publications of a region and what changed from the first to the second.
#[derive(Debug, Clone, Serialize)]
pub struct DiffView {
    pub from: PublicationView,
    pub to: PublicationView,
    pub added: Vec<PublishedItem>,
    pub removed: Vec<PublishedItem>,
    pub changed: Vec<publish::ChangedPublished>,
}

pub fn diff(
    conn: &mut DbConnection,
    region: Option<&str>,
    from: Which,
    to: Which,
) -> PublicResult<DiffView> {
    let (a, region_a) = resolve(conn, region, from)?;
    let (b, region_b) = resolve(conn, region, to)?;
    let pa = publish::load(conn, &a)?;
    let pb = publish::load(conn, &b)?;
    let diff = publish::diff(&pa, &pb);
    Ok(DiffView {
        from: PublicationView::of(&a, &region_a),
        to: PublicationView::of(&b, &region_b),
        added: diff.added,
        removed: diff.removed,
        changed: diff.changed,
    })
}

/// A download: the bytes of one export and how to serve them.
#[derive(Debug, Clone)]
pub struct Download {
    pub bytes: Vec<u8>,
    pub etag: String,
    pub content_type: &'static str,
    pub content_disposition: String,
}

/// An export of a publication, written afresh (byte-identical for the same publication and
/// language, so its ETag is stable across instances).
pub fn download(
    conn: &mut DbConnection,
    region: Option<&str>,
    which: Which,
    format: ExportFormat,
    lang: Lang,
) -> PublicResult<Download> {
    let (row, _) = resolve(conn, region, which)?;
    let p = publish::load(conn, &row)?;
    let bytes = match format {
        ExportFormat::Xlsx => export::xlsx::write(&p, lang)?,
        ExportFormat::Csv => export::csv::write(&p, None, lang),
        ExportFormat::Json => export::json::write(&p),
    };
    Ok(Download {
        etag: export::etag(&bytes),
        content_type: format.content_type(),
        content_disposition: export::content_disposition(&p, format),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_cut_into_clean_terms() {
        assert_eq!(search_terms("  道路  运输\u{0}证 "), vec!["道路", "运输证"]);
        assert_eq!(search_terms("a b c d e f g").len(), MAX_TERMS);
        assert_eq!(search_terms(&"证".repeat(500))[0].chars().count(), 100);
        assert!(search_terms(" \t ").is_empty());
    }
}
