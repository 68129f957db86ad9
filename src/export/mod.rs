//! Publications out (DESIGN.md §6): the official xlsx layout, csv for spreadsheets and scripts,
//! and json for machines. Every export is a pure function of the [`Publication`]: the same
//! publication gives the same bytes, so an ETag taken from them is stable across instances.
//!
//! The columns of every list live once, in `columns`, and both xlsx and csv read them.

pub mod charts;
mod columns;
pub mod comments;
pub mod csv;
pub mod json;
pub mod report;
pub mod xlsx;

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

use crate::domain::Lang;
use crate::domain::publication::Publication;

/// What can go wrong while exporting. Only the xlsx writer can fail (its temp files, Excel's
/// limits); csv and json are written into memory and cannot.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("xlsx export failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// The three download formats of a publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    Xlsx,
    Csv,
    Json,
}

impl ExportFormat {
    pub const ALL: &'static [ExportFormat] =
        &[ExportFormat::Xlsx, ExportFormat::Csv, ExportFormat::Json];

    /// The file extension, also the `--format` value and the `export.{ext}` route suffix.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }

    pub fn from_extension(s: &str) -> Option<ExportFormat> {
        let s = s.trim().trim_start_matches('.');
        ExportFormat::ALL
            .iter()
            .copied()
            .find(|f| f.extension().eq_ignore_ascii_case(s))
    }

    /// The `Content-Type` to serve it with.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
        }
    }
}

/// A strong ETag (quoted, RFC 9110) from the SHA-256 of the exported bytes.
pub fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Sha256::digest(bytes)))
}

/// The ASCII file name of an export: `publication-370000-3.xlsx` (region code, number).
/// Publications are numbered per region, so the region keeps two regions' files apart.
pub fn file_name(p: &Publication, format: ExportFormat) -> String {
    let region: String = p
        .region_code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if region.is_empty() {
        format!("publication-{}.{}", p.number, format.extension())
    } else {
        format!("publication-{region}-{}.{}", p.number, format.extension())
    }
}

/// The Chinese file name a clerk sees when saving: `山东省年检和指定培训清理结果（第3版）.xlsx`.
/// Characters that Windows refuses in file names are left out.
pub fn file_name_zh(p: &Publication, format: ExportFormat) -> String {
    let title = if p.title.trim().is_empty() {
        format!("{}公布的清单", p.region_name)
    } else {
        p.title.clone()
    };
    let stem: String = format!("{title}（第{}版）", p.number)
        .chars()
        .filter(|c| !c.is_control() && !r#"\/:*?"<>|"#.contains(*c))
        .collect();
    format!("{}.{}", stem.trim(), format.extension())
}

/// The `Content-Disposition` header of a download: the ASCII name for old clients and the
/// Chinese one as `filename*` (RFC 6266 / RFC 8187).
pub fn content_disposition(p: &Publication, format: ExportFormat) -> String {
    format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        file_name(p, format),
        percent_encode_attr(&file_name_zh(p, format))
    )
}

/// RFC 8187 `value-chars`: attr-char as is, every other byte of the UTF-8 as `%XX`.
fn percent_encode_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The date a reader of the province sees: publication times are stored in UTC and shown in
/// China Standard Time (UTC+8), the publishing office's own.
pub(crate) fn local_date(p: &Publication) -> NaiveDate {
    (p.published_at + chrono::Duration::hours(8)).date()
}

/// `2026年11月27日` or `27 November 2026`.
pub(crate) fn date_text(date: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
        Lang::En => date.format("%-d %B %Y").to_string(),
    }
}

/// `（第3版，2026年11月27日公布）` / `(publication 3, published 27 November 2026)`.
pub(crate) fn edition_text(p: &Publication, lang: Lang) -> String {
    let date = date_text(local_date(p), lang);
    match lang {
        Lang::Zh => format!("（第{}版，{date}公布）", p.number),
        Lang::En => format!("(publication {}, published {date})", p.number),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::publication::Summary;

    fn publication() -> Publication {
        Publication {
            number: 3,
            region_code: "370000".into(),
            region_name: "山东省".into(),
            round_name: "2026年清理".into(),
            title: "山东省年检和政府指定培训清理结果".into(),
            published_at: NaiveDate::from_ymd_opt(2026, 11, 26)
                .and_then(|d| d.and_hms_opt(18, 30, 0))
                .unwrap_or_default(),
            summary: Summary::default(),
            items: vec![],
        }
    }

    #[test]
    fn etag_is_a_quoted_sha256() {
        let tag = etag(b"abc");
        assert_eq!(
            tag,
            "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\""
        );
        assert_ne!(etag(b"abd"), tag);
    }

    #[test]
    fn file_names() {
        let p = publication();
        assert_eq!(
            file_name(&p, ExportFormat::Xlsx),
            "publication-370000-3.xlsx"
        );
        assert_eq!(
            file_name_zh(&p, ExportFormat::Csv),
            "山东省年检和政府指定培训清理结果（第3版）.csv"
        );
        let mut odd = publication();
        odd.title = "a/b:c*?\"<>|\u{7}清单".into();
        odd.region_code = "../".into();
        assert_eq!(
            file_name_zh(&odd, ExportFormat::Json),
            "abc清单（第3版）.json"
        );
        assert_eq!(file_name(&odd, ExportFormat::Json), "publication-3.json");
    }

    #[test]
    fn content_disposition_has_both_names() {
        let p = publication();
        let cd = content_disposition(&p, ExportFormat::Xlsx);
        assert!(
            cd.starts_with("attachment; filename=\"publication-370000-3.xlsx\"; filename*=UTF-8''")
        );
        // 山 is E5 B1 B1 in UTF-8; the fullwidth parentheses are encoded, the dot is not.
        assert!(cd.contains("%E5%B1%B1"), "{cd}");
        assert!(cd.ends_with(".xlsx"), "{cd}");
        assert!(cd.is_ascii());
    }

    #[test]
    fn formats_round_trip_through_their_extension() {
        for f in ExportFormat::ALL {
            assert_eq!(ExportFormat::from_extension(f.extension()), Some(*f));
        }
        assert_eq!(
            ExportFormat::from_extension(".XLSX"),
            Some(ExportFormat::Xlsx)
        );
        assert_eq!(ExportFormat::from_extension("xls"), None);
    }

    #[test]
    fn dates_are_shown_in_china_standard_time() {
        // 18:30 UTC on the 26th is the 27th in Beijing.
        let p = publication();
        assert_eq!(edition_text(&p, Lang::Zh), "（第3版，2026年11月27日公布）");
        assert_eq!(
            edition_text(&p, Lang::En),
            "(publication 3, published 27 November 2026)"
        );
    }
}
