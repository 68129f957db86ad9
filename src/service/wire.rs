//! The parse child's items on the pipe: a plain binary form of [`ReportItem`], written by the
//! child and read by the parent of the same binary (never stored, never seen elsewhere).
//!
//! JSON cost the parent half a CPU second per 100,000 items just to parse them back (and the
//! child a sixth of one to write them) — on two cores that are both busy during an import, a
//! quarter of a second of wall time. Here every value is what its type needs: numbers as 4 or 8
//! bytes, little end first; a string as its length (4 bytes) and its UTF-8; an option as a byte
//! (0 none, 1 some) before the value; a code (kind, level, …) as its position in the code's
//! table, 0 for none.

use crate::domain::{
    BasisLevel, Disposition, Finding, ItemDraft, Kind, LegalBasis, Severity, TiedTo,
};
use crate::sheets::ReportItem;

/// Appends `items` to `out`; with `findings` false their findings are left out (read back
/// empty).
pub fn put_items(items: &[ReportItem], findings: bool, out: &mut Vec<u8>) {
    let mut w = Writer(out);
    w.len(items.len());
    for item in items {
        let d = &item.draft;
        w.str(&item.sheet);
        w.u32(item.row);
        w.code(d.kind.map(|k| k as u8));
        w.str(&d.name);
        w.str(&d.department);
        w.opt_str(&d.licence);
        w.opt_str(&d.licence_code);
        w.opt_str(&d.target);
        w.opt_u32(d.cycle_months);
        w.opt_str(&d.cycle_text);
        w.opt_bool(d.annual_report);
        w.len(d.legal_bases.len());
        for b in &d.legal_bases {
            w.code(b.level.map(|l| l as u8));
            w.str(&b.title);
            w.opt_str(&b.article);
            w.opt_str(&b.issuer);
            w.bool(b.level_inferred);
        }
        w.code(d.proposed.map(|p| p as u8));
        w.opt_u32(d.proposed_cycle_months);
        w.opt_str(&d.reason);
        w.opt_str(&d.remarks);
        w.code(d.tied_to.map(|t| t as u8));
        match d.hours {
            None => w.bool(false),
            Some(h) => {
                w.bool(true);
                w.0.extend_from_slice(&h.to_le_bytes());
            }
        }
        w.opt_str(&d.fee);
        w.opt_str(&d.fee_basis);
        w.opt_str(&d.provider);
        w.opt_bool(d.provider_designated);
        let findings: &[Finding] = if findings { &item.findings } else { &[] };
        w.len(findings.len());
        for f in findings {
            w.str(&f.code);
            w.code(Some(f.severity as u8));
            w.str(&f.message);
            w.bool(f.resolved);
        }
    }
}

/// Reads back what [`put_items`] wrote: all of `bytes`, or why they are not such items.
pub fn take_items(bytes: &[u8]) -> Result<Vec<ReportItem>, String> {
    let mut r = Reader { bytes, at: 0 };
    let count = r.len()?;
    // No item takes fewer than 41 bytes: no more is reserved than the bytes can hold, whatever
    // the count says.
    let mut items = Vec::with_capacity(count.min(bytes.len() / 41));
    for _ in 0..count {
        let sheet = r.str()?;
        let row = r.u32()?;
        let kind = r.code(Kind::ALL)?;
        let name = r.str()?;
        let department = r.str()?;
        let licence = r.opt_str()?;
        let licence_code = r.opt_str()?;
        let target = r.opt_str()?;
        let cycle_months = r.opt_u32()?;
        let cycle_text = r.opt_str()?;
        let annual_report = r.opt_bool()?;
        let bases = r.len()?;
        let mut legal_bases = Vec::with_capacity(bases.min(64));
        for _ in 0..bases {
            legal_bases.push(LegalBasis {
                level: r.code(BasisLevel::ALL)?,
                title: r.str()?,
                article: r.opt_str()?,
                issuer: r.opt_str()?,
                level_inferred: r.bool()?,
            });
        }
        let proposed = r.code(Disposition::ALL)?;
        let proposed_cycle_months = r.opt_u32()?;
        let reason = r.opt_str()?;
        let remarks = r.opt_str()?;
        let tied_to = r.code(TiedTo::ALL)?;
        let hours = match r.bool()? {
            false => None,
            true => Some(f64::from_le_bytes(r.array()?)),
        };
        let fee = r.opt_str()?;
        let fee_basis = r.opt_str()?;
        let provider = r.opt_str()?;
        let provider_designated = r.opt_bool()?;
        let count = r.len()?;
        let mut findings = Vec::with_capacity(count.min(64));
        for _ in 0..count {
            findings.push(Finding {
                code: r.str()?,
                severity: r.code(Severity::ALL)?.ok_or("a finding without severity")?,
                message: r.str()?,
                resolved: r.bool()?,
            });
        }
        items.push(ReportItem {
            sheet,
            row,
            draft: ItemDraft {
                kind,
                name,
                department,
                licence,
                licence_code,
                target,
                cycle_months,
                cycle_text,
                annual_report,
                legal_bases,
                proposed,
                proposed_cycle_months,
                reason,
                remarks,
                tied_to,
                hours,
                fee,
                fee_basis,
                provider,
                provider_designated,
            },
            findings,
        });
    }
    if r.at != bytes.len() {
        return Err(format!("{} bytes after the items", bytes.len() - r.at));
    }
    Ok(items)
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn u32(&mut self, n: u32) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn bool(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt_str(&mut self, s: &Option<String>) {
        self.bool(s.is_some());
        if let Some(s) = s {
            self.str(s);
        }
    }
    fn opt_u32(&mut self, n: Option<u32>) {
        self.bool(n.is_some());
        if let Some(n) = n {
            self.u32(n);
        }
    }
    fn opt_bool(&mut self, b: Option<bool>) {
        self.0.push(match b {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
    }
    /// A code's position in its table, plus one; 0 for none.
    fn code(&mut self, position: Option<u8>) {
        self.0.push(position.map_or(0, |p| p + 1));
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("cut at byte {} of {}", self.at, self.bytes.len()))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let bytes = self.take(N)?;
        Ok(bytes.try_into().unwrap_or([0; N]))
    }
    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn len(&mut self) -> Result<usize, String> {
        Ok(self.u32()? as usize)
    }
    fn bool(&mut self) -> Result<bool, String> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(format!("{b} for a yes or no")),
        }
    }
    fn str(&mut self) -> Result<String, String> {
        let len = self.len()?;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|e| e.to_string())
    }
    fn opt_str(&mut self) -> Result<Option<String>, String> {
        Ok(if self.bool()? {
            Some(self.str()?)
        } else {
            None
        })
    }
    fn opt_u32(&mut self) -> Result<Option<u32>, String> {
        Ok(if self.bool()? {
            Some(self.u32()?)
        } else {
            None
        })
    }
    fn opt_bool(&mut self) -> Result<Option<bool>, String> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(false)),
            2 => Ok(Some(true)),
            b => Err(format!("{b} for an optional yes or no")),
        }
    }
    fn code<T: Copy>(&mut self, table: &[T]) -> Result<Option<T>, String> {
        match self.byte()? {
            0 => Ok(None),
            p => table
                .get(usize::from(p) - 1)
                .copied()
                .map(Some)
                .ok_or_else(|| format!("code {p} of {}", table.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> ReportItem {
        ReportItem {
            sheet: "年检事项".into(),
            row: 7,
            draft: ItemDraft {
                kind: Some(Kind::Training),
                name: "特种设备作业人员培训".into(),
                department: "省市场监管局".into(),
                licence: Some("特种设备作业人员证".into()),
                licence_code: Some("XK-01".into()),
                target: Some("作业人员".into()),
                cycle_months: Some(48),
                cycle_text: Some("四年一次".into()),
                annual_report: Some(false),
                legal_bases: vec![
                    LegalBasis {
                        level: Some(BasisLevel::NormativeDocument),
                        title: "关于加强培训的通知".into(),
                        article: Some("第三条".into()),
                        issuer: Some("省人社厅".into()),
                        level_inferred: true,
                    },
                    LegalBasis {
                        level: None,
                        title: "某办法".into(),
                        article: None,
                        issuer: None,
                        level_inferred: false,
                    },
                ],
                proposed: Some(Disposition::ConvertToAnnualReport),
                proposed_cycle_months: Some(24),
                reason: Some("理由".into()),
                remarks: Some("".into()),
                tied_to: Some(TiedTo::Both),
                hours: Some(12.5),
                fee: Some("300元".into()),
                fee_basis: Some("物价文件".into()),
                provider: Some("省培训中心".into()),
                provider_designated: Some(true),
            },
            findings: vec![Finding {
                code: "R05".into(),
                severity: Severity::Info,
                message: "无依据".into(),
                resolved: true,
            }],
        }
    }

    #[test]
    fn items_read_back_as_written() {
        let empty = ReportItem {
            sheet: String::new(),
            row: 0,
            draft: ItemDraft::default(),
            findings: Vec::new(),
        };
        let items = vec![full(), empty, full()];
        let mut bytes = Vec::new();
        put_items(&items, true, &mut bytes);
        assert_eq!(take_items(&bytes).unwrap(), items);

        // Without findings, the rest is the same.
        bytes.clear();
        put_items(&items, false, &mut bytes);
        let back = take_items(&bytes).unwrap();
        assert!(back.iter().all(|i| i.findings.is_empty()));
        let drafts = |v: &[ReportItem]| v.iter().map(|i| i.draft.clone()).collect::<Vec<_>>();
        assert_eq!(drafts(&back), drafts(&items));
    }

    #[test]
    fn damaged_bytes_are_refused_not_trusted() {
        let mut bytes = Vec::new();
        put_items(&[full()], true, &mut bytes);
        // Cut anywhere: an error, never a panic.
        for cut in 0..bytes.len() {
            assert!(take_items(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        // Trailing bytes, a huge count, a code out of its table.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(take_items(&longer).is_err());
        let mut huge = bytes.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(take_items(&huge).unwrap_err().contains("cut at"));
        let kind_at = 4 + 4 + "年检事项".len() + 4;
        let mut bad = bytes.clone();
        bad[kind_at] = 9;
        assert!(take_items(&bad).unwrap_err().contains("code 9"));
    }
}
