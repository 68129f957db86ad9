//! The import report, serialised exactly as CONTRACTS.md shows it (plus a few extra fields):
//! fields without a value are `null`, never `""`.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use super::guard::Format;
use crate::domain::{Disposition, Finding, ItemDraft, Kind, LegalBasis, Severity, TiedTo, basis};

/// What an import found in one file. Built by [`super::read_workbook`]; stored as JSON with the
/// submission and read back for the annotated workbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The file name as uploaded.
    pub file: String,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The format read, whatever the file name said.
    pub format: Format,
    pub sheets: Vec<SheetReport>,
    pub items: Vec<ReportItem>,
    pub errors: Vec<CellError>,
    /// What the clerk should know but need not fix: hidden sheets left out, unknown columns,
    /// an extension that disagrees with the content…
    pub notices: Vec<Notice>,
    pub summary: Summary,
}

impl ImportReport {
    /// The report as stored with its submission: everything but the items, which live in the
    /// items table (so the stored report stays small whatever the file's size). Serialised from
    /// borrowed fields: a 100,000-row report is never copied into a JSON tree to drop its items.
    pub fn to_json_without_items(&self) -> serde_json::Result<String> {
        #[derive(Serialize)]
        struct Stored<'a> {
            file: &'a str,
            sha256: &'a str,
            format: &'a Format,
            sheets: &'a [SheetReport],
            errors: &'a [CellError],
            notices: &'a [Notice],
            summary: &'a Summary,
        }
        serde_json::to_string(&Stored {
            file: &self.file,
            sha256: &self.sha256,
            format: &self.format,
            sheets: &self.sheets,
            errors: &self.errors,
            notices: &self.notices,
            summary: &self.summary,
        })
    }

    /// 0 when the file has no row errors, 1 when it has (nothing may be committed then).
    pub fn exit_code(&self) -> i32 {
        if self.errors.is_empty() { 0 } else { 1 }
    }

    /// The drafts of the file, for the commit (only when [`exit_code`](Self::exit_code) is 0).
    pub fn drafts(&self) -> impl Iterator<Item = &ItemDraft> {
        self.items.iter().map(|i| &i.draft)
    }

    /// The summary of the report's items and errors, and of `before`: items counted already
    /// and no longer in the report (a streaming read lets go of the items it hands on).
    pub(crate) fn summarise(&mut self, before: Summary) {
        let mut summary = before;
        summary.count(&self.items);
        summary.errors = self.errors.len();
        self.summary = summary;
    }
}

impl Summary {
    /// Adds `items` to the counts of items, kinds and warnings.
    pub(crate) fn count(&mut self, items: &[ReportItem]) {
        self.items += items.len();
        for item in items {
            match item.draft.kind {
                Some(Kind::Inspection) => self.inspections += 1,
                Some(Kind::Training) => self.trainings += 1,
                None => {}
            }
            self.warnings += item
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .count();
        }
    }
}

/// A sheet that was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetReport {
    pub name: String,
    /// `null` when the kind comes from a 事项类型 column row by row.
    pub kind: Option<Kind>,
    /// 1-based row of the header.
    pub header_row: u32,
    /// Item rows read (blank rows and the notes block not counted).
    pub rows: u32,
}

/// One item row: where it stands, what it says, what the review rules say of it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "ItemWire")]
pub struct ReportItem {
    pub sheet: String,
    /// 1-based row as Excel shows it.
    pub row: u32,
    pub draft: ItemDraft,
    pub findings: Vec<Finding>,
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

impl Serialize for ReportItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = &self.draft;
        let mut s = serializer.serialize_struct("ReportItem", 25)?;
        s.serialize_field("sheet", &self.sheet)?;
        s.serialize_field("row", &self.row)?;
        s.serialize_field("kind", &d.kind)?;
        s.serialize_field("name", &non_empty(&d.name))?;
        s.serialize_field("department", &non_empty(&d.department))?;
        s.serialize_field("licence", &d.licence)?;
        s.serialize_field("licence_code", &d.licence_code)?;
        s.serialize_field("target", &d.target)?;
        s.serialize_field("cycle_months", &d.cycle_months)?;
        s.serialize_field("cycle_text", &d.cycle_text)?;
        s.serialize_field("annual_report", &d.annual_report)?;
        s.serialize_field("legal_bases", &d.legal_bases)?;
        s.serialize_field("self_set", &basis::self_set(&d.legal_bases))?;
        s.serialize_field("proposed", &d.proposed)?;
        s.serialize_field("proposed_cycle_months", &d.proposed_cycle_months)?;
        s.serialize_field("reason", &d.reason)?;
        s.serialize_field("remarks", &d.remarks)?;
        s.serialize_field("tied_to", &d.tied_to)?;
        s.serialize_field("hours", &d.hours)?;
        s.serialize_field("fee", &d.fee)?;
        s.serialize_field("fee_basis", &d.fee_basis)?;
        s.serialize_field("provider", &d.provider)?;
        s.serialize_field("provider_designated", &d.provider_designated)?;
        s.serialize_field("findings", &self.findings)?;
        s.end()
    }
}

/// The wire form of [`ReportItem`], for reading a stored report back.
#[derive(Deserialize)]
struct ItemWire {
    sheet: String,
    row: u32,
    kind: Option<Kind>,
    name: Option<String>,
    department: Option<String>,
    licence: Option<String>,
    #[serde(default)]
    licence_code: Option<String>,
    target: Option<String>,
    cycle_months: Option<u32>,
    cycle_text: Option<String>,
    annual_report: Option<bool>,
    legal_bases: Vec<LegalBasis>,
    proposed: Option<Disposition>,
    proposed_cycle_months: Option<u32>,
    reason: Option<String>,
    #[serde(default)]
    remarks: Option<String>,
    #[serde(default)]
    tied_to: Option<TiedTo>,
    #[serde(default)]
    hours: Option<f64>,
    #[serde(default)]
    fee: Option<String>,
    #[serde(default)]
    fee_basis: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    provider_designated: Option<bool>,
    #[serde(default)]
    findings: Vec<Finding>,
}

impl From<ItemWire> for ReportItem {
    fn from(w: ItemWire) -> ReportItem {
        ReportItem {
            sheet: w.sheet,
            row: w.row,
            draft: ItemDraft {
                kind: w.kind,
                name: w.name.unwrap_or_default(),
                department: w.department.unwrap_or_default(),
                licence: w.licence,
                licence_code: w.licence_code,
                target: w.target,
                cycle_months: w.cycle_months,
                cycle_text: w.cycle_text,
                annual_report: w.annual_report,
                legal_bases: w.legal_bases,
                proposed: w.proposed,
                proposed_cycle_months: w.proposed_cycle_months,
                reason: w.reason,
                remarks: w.remarks,
                tied_to: w.tied_to,
                hours: w.hours,
                fee: w.fee,
                fee_basis: w.fee_basis,
                provider: w.provider,
                provider_designated: w.provider_designated,
            },
            findings: w.findings,
        }
    }
}

/// A problem in one cell (or, with `cell` null, in a sheet) that blocks the commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellError {
    pub sheet: String,
    /// A1 notation; `null` for a problem of the whole sheet (no header, a missing column).
    pub cell: Option<String>,
    /// 1-based row as Excel shows it.
    pub row: Option<u32>,
    /// The header as it stands in the file (or the template's name of a missing column).
    pub column: Option<String>,
    pub code: String,
    pub message: String,
}

/// Something the clerk should know that blocks nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub code: String,
    pub sheet: Option<String>,
    pub column: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub items: usize,
    pub inspections: usize,
    pub trainings: usize,
    /// Cell and sheet errors (`errors.len()`).
    pub errors: usize,
    /// Findings of severity warning.
    pub warnings: usize,
}

/// `(row, col)` 0-based of an A1 reference such as `AB12`.
pub fn parse_a1(cell: &str) -> Option<(u32, u32)> {
    let split = cell.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = cell.split_at(split);
    if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let col = letters.bytes().try_fold(0u32, |acc, b| {
        acc.checked_mul(26)?.checked_add(u32::from(b - b'A') + 1)
    })?;
    let row: u32 = digits.parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1() {
        assert_eq!(parse_a1("A1"), Some((0, 0)));
        assert_eq!(parse_a1("I7"), Some((6, 8)));
        assert_eq!(parse_a1("AB12"), Some((11, 27)));
        assert_eq!(parse_a1("XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(parse_a1("A0"), None);
        assert_eq!(parse_a1("7"), None);
        assert_eq!(parse_a1("a1"), None);
    }

    #[test]
    fn an_item_serialises_with_nulls_and_reads_back() {
        let item = ReportItem {
            sheet: "年检事项".into(),
            row: 5,
            draft: ItemDraft {
                kind: Some(Kind::Inspection),
                name: "电梯定期检验".into(),
                cycle_months: Some(12),
                ..ItemDraft::default()
            },
            findings: vec![],
        };
        let json = serde_json::to_value(&item).unwrap();
        assert_eq!(json["department"], serde_json::Value::Null);
        assert_eq!(json["licence"], serde_json::Value::Null);
        assert_eq!(json["kind"], "inspection");
        assert_eq!(json["self_set"], false);
        assert_eq!(json["cycle_months"], 12);
        let back: ReportItem = serde_json::from_value(json).unwrap();
        assert_eq!(back, item);
    }
}
