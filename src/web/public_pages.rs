//! The public pages (DESIGN.md §6): the latest lists of a region as the anonymous home page,
//! any publication's lists with filters, search and paging, an item with its history, the
//! history of publications and the diff between two. Server-rendered, no JavaScript; the words
//! are in `pages::TEXTS` under `public.`.
//!
//! Stable hooks for browser tests: `data-testid` on the search form (`search-form`, `search-q`,
//! `search-submit`), the filters (`filter-region`, `filter-department`, `filter-kind`), the list
//! tabs (`tab-{list}`), rows (`item-row`) and item links (`item-link`), paging (`page-prev`,
//! `page-next`), downloads (`download-{xlsx,csv,json}`), `diff-link`, `history-link`,
//! `summary`, and on the item, history and diff pages (`item-history`, `publication-row`,
//! `diff-added`, `diff-removed`, `diff-changed`).

use minijinja::context;
use minijinja::value::Value;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::{Request, Route, State, get, routes};
use serde_json::Value as Json;

use super::api_public::{self, RawItemQuery, export_href, item_query, run};
use super::auth;
use super::pages::{Page, PageContext, url_encode};
use super::{AppError, Lang};
use crate::db::Db;
use crate::domain::publication::{List, PublishedItem};
use crate::domain::{Disposition, Kind, TiedTo};
use crate::export::{ExportFormat, date_text};
use crate::service::public::{self, DEFAULT_PER_PAGE, ItemQuery, PublicError, PublicationView};
use crate::service::publish::FieldChange;

/// Succeeds for a request with nobody signed in; forwards otherwise, so `/` shows signed-in
/// people their own home (`account_routes::home`).
pub struct Anonymous;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Anonymous {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match auth::current(req).await {
            Some(_) => Outcome::Forward(Status::NotFound),
            None => Outcome::Success(Anonymous),
        }
    }
}

/// An address this module built: its parts are percent-encoded or checked codes, so it needs no
/// escaping beyond `&` (minijinja would otherwise also write `/` as `&#x2f;`).
fn href(s: String) -> Value {
    Value::from_safe_string(s.replace('&', "&amp;"))
}

/// A label as a heading or tab: the English codes' labels are lower-case.
fn capitalised(label: &str) -> String {
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn error_page(cx: &PageContext, e: AppError) -> Page {
    cx.error(e.status, e.message(cx.lang))
}

/// `2026年11月27日`, in China Standard Time.
fn date(p: &PublicationView, lang: Lang) -> String {
    date_text((p.at + chrono::Duration::hours(8)).date(), lang)
}

fn months(m: Option<u32>, lang: Lang) -> String {
    match m {
        Some(m) => match lang {
            Lang::Zh => format!("{m}个月"),
            Lang::En => format!("{m} months"),
        },
        None => "—".to_string(),
    }
}

fn publication_context(p: &PublicationView, lang: Lang) -> Value {
    context! {
        number => p.number,
        title => p.title.clone(),
        date => date(p, lang),
        item_count => p.item_count,
        region_code => p.region.code.clone(),
        region_name => p.region.name.clone(),
        summary => context! {
            retained => p.summary.retained,
            converted => p.summary.converted,
            cancelled => p.summary.cancelled,
            trainings => p.summary.trainings,
            cycles_lengthened => p.summary.cycles_lengthened,
            inspections_before => p.summary.inspections_before,
            inspections_after => p.summary.inspections_after,
        },
        href => href(format!("/publications/{}?region={}", p.number, p.region.code)),
        history_href => href(format!("/publications?region={}", p.region.code)),
        diff_href => (p.number > 1).then(|| href(format!(
            "/publications/{}/diff/{}?region={}", p.number - 1, p.number, p.region.code
        ))),
        downloads => ExportFormat::ALL.iter().map(|f| context! {
            ext => f.extension(),
            href => href(export_href(p.number, &p.region.code, *f, lang)),
        }).collect::<Vec<_>>(),
    }
}

/// A published item's row in a list.
fn row_context(id: Option<i64>, item: &PublishedItem, lang: Lang) -> Value {
    context! {
        id => id,
        href => id.map(|id| href(format!("/published-items/{id}"))),
        serial => item.serial,
        name => item.name.clone(),
        department => item.department.clone(),
        licence => item.licence.clone(),
        kind => item.kind.label(lang),
        list => item.list.label(lang),
        disposition => item.disposition.label(lang),
        cycle_before => item.cycle_text.clone().filter(|_| item.cycle_months_before.is_none())
            .unwrap_or_else(|| months(item.cycle_months_before, lang)),
        cycle_after => months(item.cycle_months, lang),
    }
}

/// The address of a list page with its filters.
struct ListHref<'a> {
    base: &'a str,
    region: &'a str,
    query: &'a ItemQuery,
}

impl ListHref<'_> {
    fn href(&self, list: Option<List>, page: u32) -> String {
        let mut parts = vec![format!("region={}", url_encode(self.region))];
        if let Some(l) = list {
            parts.push(format!("list={}", l.code()));
        } else {
            parts.push("list=all".into());
        }
        if let Some(d) = &self.query.department {
            parts.push(format!("department={}", url_encode(d)));
        }
        if let Some(k) = self.query.kind {
            parts.push(format!("kind={}", k.code()));
        }
        if let Some(q) = &self.query.q {
            parts.push(format!("q={}", url_encode(q)));
        }
        if self.query.per_page != DEFAULT_PER_PAGE {
            parts.push(format!("per_page={}", self.query.per_page));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        format!("{}?{}", self.base, parts.join("&"))
    }
}

#[allow(clippy::too_many_arguments)]
async fn list_page(
    cx: PageContext,
    db: &Db,
    base: &str,
    n: &str,
    home: bool,
    region: Option<&str>,
    raw: RawItemQuery<'_>,
) -> Page {
    let lang = cx.lang;
    let parsed = (|| {
        let which = api_public::which(n)?;
        let region = api_public::region(region)?;
        let mut query = item_query(raw)?;
        // The page always shows one list; `list=all` shows them all.
        if query.list.is_none() && raw.list.map(str::trim) != Some("all") {
            query.list = Some(List::Retained);
        }
        Ok::<_, AppError>((which, region, query))
    })();
    let (which, region, query) = match parsed {
        Ok(p) => p,
        Err(e) => return error_page(&cx, e),
    };
    let q = query.clone();
    let region_code = region.clone();
    let result = run(db, move |c| {
        public::list_page(c, region_code.as_deref(), which, &q)
    })
    .await;
    let view = match result {
        Ok(v) => v,
        Err(e) if home && e.status == Status::NotFound && region.is_none() => {
            return cx.render(
                "public_empty.html",
                &cx.t("public.empty.title"),
                context! {},
            );
        }
        Err(e) => return error_page(&cx, e),
    };
    let p = &view.items.publication;
    let links = ListHref {
        base,
        region: &p.region.code,
        query: &query,
    };
    let mut tabs: Vec<Value> = List::ALL
        .iter()
        .map(|l| {
            let count = match l {
                List::Retained => p.summary.retained,
                List::Converted => p.summary.converted,
                List::Cancelled => p.summary.cancelled,
                List::Trainings => p.summary.trainings,
            };
            context! {
                code => l.code(),
                label => capitalised(l.label(lang)),
                count => count,
                href => href(links.href(Some(*l), 1)),
                current => query.list == Some(*l),
            }
        })
        .collect();
    tabs.push(context! {
        code => "all",
        label => cx.t("public.list.all"),
        count => p.item_count,
        href => href(links.href(None, 1)),
        current => query.list.is_none(),
    });
    let page = view.items.page;
    let pages = view.items.pages;
    let title = p.title.clone();
    cx.render(
        "public_list.html",
        &title,
        context! {
            home => home,
            publication => publication_context(p, lang),
            tabs => tabs,
            list => query.list.map_or("all", List::code),
            list_label => query.list.map_or_else(|| cx.t("public.list.all"), |l| capitalised(l.label(lang))),
            action => href(base.to_string()),
            q => query.q.clone().unwrap_or_default(),
            regions => view.regions.iter().map(|r| context! {
                code => r.code.clone(), name => r.name.clone(), selected => r.code == p.region.code,
            }).collect::<Vec<_>>(),
            departments => view.departments.iter().map(|d| context! {
                code => d.code.clone(), name => d.name.clone(),
                selected => query.department.as_deref() == Some(d.code.as_str()),
            }).collect::<Vec<_>>(),
            kinds => Kind::ALL.iter().map(|k| context! {
                code => k.code(), label => k.label(lang), selected => query.kind == Some(*k),
            }).collect::<Vec<_>>(),
            per_page => (query.per_page != DEFAULT_PER_PAGE).then_some(query.per_page),
            rows => view.items.items.iter().map(|i| row_context(Some(i.id), &i.item, lang)).collect::<Vec<_>>(),
            total => view.items.total,
            total_capped => view.items.total_capped,
            page => page,
            pages => pages,
            prev_href => (page > 1 && i64::from(page) <= pages + 1).then(|| href(links.href(query.list, page - 1))),
            next_href => (i64::from(page) < pages).then(|| href(links.href(query.list, page + 1))),
            filtered => query.q.is_some() || query.department.is_some() || query.kind.is_some(),
            clear_href => href(ListHref { base, region: &p.region.code, query: &ItemQuery { per_page: query.per_page, ..ItemQuery::default() } }.href(query.list, 1)),
        },
    )
}

#[allow(clippy::too_many_arguments)]
#[get(
    "/?<region>&<list>&<department>&<kind>&<q>&<page>&<per_page>",
    rank = 5
)]
async fn public_home(
    _anonymous: Anonymous,
    cx: PageContext,
    db: &State<Db>,
    region: Option<&str>,
    list: Option<&str>,
    department: Option<&str>,
    kind: Option<&str>,
    q: Option<&str>,
    page: Option<&str>,
    per_page: Option<&str>,
) -> Page {
    let raw = RawItemQuery {
        list,
        department,
        kind,
        q,
        page,
        per_page,
    };
    list_page(cx, db, "/", "latest", true, region, raw).await
}

#[allow(clippy::too_many_arguments)]
#[get("/publications/<n>?<region>&<list>&<department>&<kind>&<q>&<page>&<per_page>")]
async fn publication_page(
    cx: PageContext,
    db: &State<Db>,
    n: &str,
    region: Option<&str>,
    list: Option<&str>,
    department: Option<&str>,
    kind: Option<&str>,
    q: Option<&str>,
    page: Option<&str>,
    per_page: Option<&str>,
) -> Page {
    let raw = RawItemQuery {
        list,
        department,
        kind,
        q,
        page,
        per_page,
    };
    let base = format!("/publications/{}", url_encode(n));
    list_page(cx, db, &base, n, false, region, raw).await
}

#[get("/publications?<region>")]
async fn history_page(cx: PageContext, db: &State<Db>, region: Option<&str>) -> Page {
    let lang = cx.lang;
    let region = match api_public::region(region) {
        Ok(r) => r,
        Err(e) => return error_page(&cx, e),
    };
    let (region, publications) = match run(db, move |c| public::history(c, region.as_deref())).await
    {
        Ok(v) => v,
        Err(e) => return error_page(&cx, e),
    };
    let title = format!("{}{}", region.name, cx.t("public.history.title"));
    cx.render(
        "public_history.html",
        &title,
        context! {
            region_code => region.code.clone(),
            publications => publications.iter().map(|p| publication_context(p, lang)).collect::<Vec<_>>(),
        },
    )
}

/// A JSON value of a changed field, as a reader reads it.
fn shown(field: &str, v: &Json, lang: Lang) -> String {
    match (field, v) {
        (_, Json::Null) => "—".into(),
        ("cycle_months", Json::Number(n)) => {
            months(n.as_u64().and_then(|n| u32::try_from(n).ok()), lang)
        }
        ("list", Json::String(s)) => {
            List::from_code(s).map_or_else(|| s.clone(), |l| l.label(lang).into())
        }
        ("disposition", Json::String(s)) => {
            Disposition::from_code(s).map_or_else(|| s.clone(), |d| d.label(lang).into())
        }
        ("tied_to", Json::String(s)) => {
            TiedTo::from_code(s).map_or_else(|| s.clone(), |t| t.label(lang).into())
        }
        ("legal_bases", Json::Array(bases)) => {
            let titles: Vec<String> = bases
                .iter()
                .map(|b| {
                    format!(
                        "{}{}",
                        b["title"].as_str().unwrap_or(""),
                        b["article"].as_str().unwrap_or("")
                    )
                })
                .collect();
            if titles.is_empty() {
                "—".into()
            } else {
                titles.join("；")
            }
        }
        (_, Json::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

fn changes_context(changes: &[FieldChange], lang: Lang) -> Vec<Value> {
    changes
        .iter()
        .map(|c| {
            context! {
                field => super::pages::t(&format!("public.field.{}", c.field), lang).to_string(),
                before => shown(c.field, &c.before, lang),
                after => shown(c.field, &c.after, lang),
            }
        })
        .collect()
}

#[get("/publications/<n>/diff/<m>?<region>")]
async fn diff_page(
    cx: PageContext,
    db: &State<Db>,
    n: &str,
    m: &str,
    region: Option<&str>,
) -> Page {
    let lang = cx.lang;
    let parsed = (|| {
        Ok::<_, AppError>((
            api_public::which(n)?,
            api_public::which(m)?,
            api_public::region(region)?,
        ))
    })();
    let (from, to, region) = match parsed {
        Ok(p) => p,
        Err(e) => return error_page(&cx, e),
    };
    let view = match run(db, move |c| public::diff(c, region.as_deref(), from, to)).await {
        Ok(v) => v,
        Err(e) => return error_page(&cx, e),
    };
    let title = match lang {
        Lang::Zh => format!("第{}版与第{}版的差异", view.from.number, view.to.number),
        Lang::En => format!(
            "Changes from publication {} to {}",
            view.from.number, view.to.number
        ),
    };
    cx.render(
        "public_diff.html",
        &title,
        context! {
            from => publication_context(&view.from, lang),
            to => publication_context(&view.to, lang),
            added => view.added.iter().map(|i| row_context(None, i, lang)).collect::<Vec<_>>(),
            removed => view.removed.iter().map(|i| row_context(None, i, lang)).collect::<Vec<_>>(),
            changed => view.changed.iter().map(|c| context! {
                name => c.name.clone(),
                department => c.department.clone(),
                changes => changes_context(&c.changes, lang),
            }).collect::<Vec<_>>(),
        },
    )
}

#[get("/published-items/<id>")]
async fn item_page(cx: PageContext, db: &State<Db>, id: &str) -> Page {
    let lang = cx.lang;
    let Ok(id) = id.trim().parse::<i64>() else {
        return error_page(&cx, PublicError::ItemNotFound.into());
    };
    let view = match run(db, move |c| public::item(c, id)).await {
        Ok(v) => v,
        Err(e) => return error_page(&cx, e),
    };
    let i = &view.item;
    let region = view.publication.region.code.clone();
    let history: Vec<Value> = view
        .history
        .iter()
        .map(|h| {
            context! {
                number => h.number,
                version => match lang {
                    Lang::Zh => format!("第{}版", h.number),
                    Lang::En => format!("Publication {}", h.number),
                },
                href => href(format!("/publications/{}?region={region}", h.number)),
                item_href => h.published_item_id.map(|id| href(format!("/published-items/{id}"))),
                current => h.published_item_id == Some(view.id),
                date => date_text((h.at + chrono::Duration::hours(8)).date(), lang),
                event => super::pages::t(&format!("public.event.{}", h.event), lang).to_string(),
                list => h.list.map(|l| l.label(lang)),
                changes => changes_context(&h.changes, lang),
            }
        })
        .collect();
    cx.render(
        "public_item.html",
        &i.name,
        context! {
            publication => publication_context(&view.publication, lang),
            item => row_context(Some(view.id), i, lang),
            target => i.target.clone(),
            cycle_text => i.cycle_text.clone(),
            is_training => i.kind == Kind::Training,
            rationale => i.rationale.clone(),
            tied_to => i.tied_to.map(|t| t.label(lang)),
            hours => i.hours,
            fee => i.fee.clone(),
            fee_basis => i.fee_basis.clone(),
            provider => i.provider.clone(),
            bases => i.legal_bases.iter().map(|b| context! {
                level => b.level.map(|l| l.label(lang)),
                title => b.title.clone(),
                article => b.article.clone(),
            }).collect::<Vec<_>>(),
            history => history,
        },
    )
}

pub fn routes() -> Vec<Route> {
    routes![
        public_home,
        publication_page,
        history_page,
        diff_page,
        item_page
    ]
}
