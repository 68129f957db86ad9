//! A publication (公布): an immutable, numbered snapshot of a region's decided lists. These are
//! the values the public pages, the exports and the diff read; the database stores them as they
//! were at publication time.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::{Disposition, Kind, LegalBasis, TiedTo};

code_enum! {
    /// The four lists of a publication.
    List {
        Retained = "retained", "保留的年检事项", "retained annual inspections";
        Converted = "converted", "改为年度报告公示的事项", "inspections converted to annual reports";
        Cancelled = "cancelled", "取消的事项", "cancelled items";
        Trainings = "trainings", "保留（规范）的指定培训", "retained (standardised) designated trainings";
    }
}

impl List {
    /// Which list a decided item belongs to.
    pub fn of(kind: Kind, disposition: Disposition) -> List {
        match (kind, disposition) {
            (_, Disposition::Cancel) => List::Cancelled,
            (Kind::Training, _) => List::Trainings,
            (Kind::Inspection, Disposition::ConvertToAnnualReport) => List::Converted,
            (Kind::Inspection, _) => List::Retained,
        }
    }
}

/// One item as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedItem {
    pub list: List,
    /// 序号 within its list, from 1.
    pub serial: u32,
    /// Stable across publications of the region: the item's identity.
    pub identity_key: String,
    pub region_code: String,
    pub department_code: String,
    pub department: String,
    pub kind: Kind,
    pub name: String,
    pub licence: Option<String>,
    pub target: Option<String>,
    /// The cycle before the clean-up (months; `None` irregular).
    pub cycle_months_before: Option<u32>,
    /// The cycle after the decision (months; `None` irregular or not applicable).
    pub cycle_months: Option<u32>,
    pub cycle_text: Option<String>,
    pub disposition: Disposition,
    pub legal_bases: Vec<LegalBasis>,
    pub rationale: Option<String>,
    // Trainings.
    pub tied_to: Option<TiedTo>,
    pub hours: Option<f64>,
    pub fee: Option<String>,
    pub fee_basis: Option<String>,
    pub provider: Option<String>,
}

/// The publication's figures (DESIGN.md §6 "summary figures").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub retained: u32,
    pub converted: u32,
    pub cancelled: u32,
    pub trainings: u32,
    /// Inspections whose cycle the decision lengthened.
    pub cycles_lengthened: u32,
    pub inspections_before: u32,
    pub inspections_after: u32,
}

/// A whole publication as exports read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    pub number: u32,
    pub region_code: String,
    pub region_name: String,
    pub round_name: String,
    pub title: String,
    pub published_at: NaiveDateTime,
    pub summary: Summary,
    /// All items, ordered by list then serial.
    pub items: Vec<PublishedItem>,
}

impl Publication {
    pub fn list(&self, list: List) -> impl Iterator<Item = &PublishedItem> {
        self.items.iter().filter(move |i| i.list == list)
    }
}
