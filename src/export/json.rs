//! The json export, shape `nianjian.publication/1` (docs/publication-json.md). Structs, not
//! maps, so the field order is the declaration order and the same publication gives the same
//! bytes. Every field is always present; a missing value is `null`, never `""`.

use serde::Serialize;

use crate::domain::publication::{List, Publication, PublishedItem, Summary};
use crate::domain::{BasisLevel, Disposition, Kind, LegalBasis, TiedTo};

/// The schema identifier; a change of shape that breaks a reader gets a new number.
pub const SCHEMA: &str = "nianjian.publication/1";

#[derive(Serialize)]
struct PublicationJson<'a> {
    schema: &'static str,
    number: u32,
    region: RegionJson<'a>,
    round: &'a str,
    title: &'a str,
    published_at: String,
    summary: &'a Summary,
    lists: ListsJson<'a>,
}

#[derive(Serialize)]
struct RegionJson<'a> {
    code: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct ListsJson<'a> {
    retained: Vec<ItemJson<'a>>,
    converted: Vec<ItemJson<'a>>,
    cancelled: Vec<ItemJson<'a>>,
    trainings: Vec<ItemJson<'a>>,
}

#[derive(Serialize)]
struct ItemJson<'a> {
    serial: u32,
    identity_key: &'a str,
    region_code: &'a str,
    department_code: Option<&'a str>,
    department: &'a str,
    kind: Kind,
    name: &'a str,
    licence: Option<&'a str>,
    target: Option<&'a str>,
    cycle_months_before: Option<u32>,
    cycle_months: Option<u32>,
    cycle_text: Option<&'a str>,
    disposition: Disposition,
    legal_bases: Vec<BasisJson<'a>>,
    rationale: Option<&'a str>,
    tied_to: Option<TiedTo>,
    hours: Option<f64>,
    fee: Option<&'a str>,
    fee_basis: Option<&'a str>,
    provider: Option<&'a str>,
}

#[derive(Serialize)]
struct BasisJson<'a> {
    level: Option<BasisLevel>,
    title: &'a str,
    article: Option<&'a str>,
    issuer: Option<&'a str>,
    level_inferred: bool,
}

/// `None` for a missing, empty or blank text.
fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|t| !t.trim().is_empty())
}

fn non_empty(s: &str) -> Option<&str> {
    Some(s).filter(|t| !t.trim().is_empty())
}

impl<'a> ItemJson<'a> {
    fn new(i: &'a PublishedItem) -> ItemJson<'a> {
        ItemJson {
            serial: i.serial,
            identity_key: &i.identity_key,
            region_code: &i.region_code,
            department_code: non_empty(&i.department_code),
            department: &i.department,
            kind: i.kind,
            name: &i.name,
            licence: opt(&i.licence),
            target: opt(&i.target),
            cycle_months_before: i.cycle_months_before,
            cycle_months: i.cycle_months,
            cycle_text: opt(&i.cycle_text),
            disposition: i.disposition,
            legal_bases: i.legal_bases.iter().map(BasisJson::new).collect(),
            rationale: opt(&i.rationale),
            tied_to: i.tied_to,
            hours: i.hours.filter(|h| h.is_finite()),
            fee: opt(&i.fee),
            fee_basis: opt(&i.fee_basis),
            provider: opt(&i.provider),
        }
    }
}

impl<'a> BasisJson<'a> {
    fn new(b: &'a LegalBasis) -> BasisJson<'a> {
        BasisJson {
            level: b.level,
            title: &b.title,
            article: opt(&b.article),
            issuer: opt(&b.issuer),
            level_inferred: b.level_inferred,
        }
    }
}

/// The publication as json (compact, one trailing newline).
pub fn write(p: &Publication) -> Vec<u8> {
    let items = |list: List| p.list(list).map(ItemJson::new).collect::<Vec<_>>();
    let doc = PublicationJson {
        schema: SCHEMA,
        number: p.number,
        region: RegionJson {
            code: &p.region_code,
            name: &p.region_name,
        },
        round: &p.round_name,
        title: &p.title,
        published_at: p
            .published_at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        summary: &p.summary,
        lists: ListsJson {
            retained: items(List::Retained),
            converted: items(List::Converted),
            cancelled: items(List::Cancelled),
            trainings: items(List::Trainings),
        },
    };
    let mut out = Vec::with_capacity(256 + p.items.len() * 512);
    match serde_json::to_writer(&mut out, &doc) {
        Ok(()) => {}
        // Only borrowed strings, numbers and enums of our own go in, into a Vec: it cannot fail.
        Err(e) => unreachable!("json of a publication failed: {e}"),
    }
    out.push(b'\n');
    out
}
