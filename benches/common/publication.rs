//! The 100,000-item publication of the export benches, and the floor they measure against: the
//! same cells written bare by rust_xlsxwriter. Shared by `benches/export.rs` and
//! `benches/compare.rs` (the side by side with Python, `scripts/compare.sh`), so both write the
//! very same cells.

use chrono::NaiveDate;
use nianjian::domain::publication::{List, Publication, PublishedItem, Summary};
use nianjian::domain::{BasisLevel, Disposition, Kind, LegalBasis, TiedTo};
use nianjian::export::xlsx::BareCell;
use rust_xlsxwriter::Workbook;

const DEPARTMENTS: &[&str] = &[
    "山东省交通运输厅",
    "山东省市场监督管理局",
    "山东省住房和城乡建设厅",
    "山东省生态环境厅",
    "山东省农业农村厅",
    "山东省卫生健康委员会",
    "山东省应急管理厅",
    "山东省人力资源和社会保障厅",
    "山东省自然资源厅",
    "山东省水利厅",
    "山东省文化和旅游厅",
    "山东省公安厅",
];

const SUBJECTS: &[&str] = &[
    "道路运输经营许可证",
    "特种设备使用登记证",
    "建筑施工企业安全生产许可证",
    "排污许可证",
    "兽药经营许可证",
    "医疗机构执业许可证",
    "危险化学品经营许可证",
    "人力资源服务许可证",
    "采矿许可证",
    "取水许可证",
    "旅行社业务经营许可证",
    "保安服务许可证",
];

/// A publication shaped like a province's: 40% retained, 20% converted, 25% cancelled, 15%
/// trainings; every name distinct, one or two bases, rationales of a sentence or two.
pub fn publication(n: u32) -> Publication {
    let lists = [
        (List::Retained, n * 40 / 100),
        (List::Converted, n * 20 / 100),
        (List::Cancelled, n * 25 / 100),
        (List::Trainings, n - n * 85 / 100),
    ];
    let mut items = Vec::with_capacity(n as usize);
    let mut k = 0usize;
    for (list, count) in lists {
        for serial in 1..=count {
            k += 1;
            let subject = SUBJECTS[k % SUBJECTS.len()];
            let department = DEPARTMENTS[k % DEPARTMENTS.len()];
            let kind = match list {
                List::Trainings => Kind::Training,
                List::Cancelled if k.is_multiple_of(3) => Kind::Training,
                _ => Kind::Inspection,
            };
            let disposition = match list {
                List::Retained if k.is_multiple_of(2) => Disposition::ExtendCycle,
                List::Retained => Disposition::Retain,
                List::Converted => Disposition::ConvertToAnnualReport,
                List::Cancelled => Disposition::Cancel,
                List::Trainings => Disposition::Standardise,
            };
            let mut legal_bases = vec![LegalBasis {
                level: Some(BasisLevel::AdminRegulation),
                title: format!("{subject}管理条例"),
                article: Some(format!("第{}条", k % 90 + 1)),
                issuer: None,
                level_inferred: false,
            }];
            if k.is_multiple_of(2) {
                legal_bases.push(LegalBasis {
                    level: Some(BasisLevel::LocalRegulation),
                    title: "山东省行政许可监督管理办法".into(),
                    article: Some(format!("第{}条", k % 40 + 1)),
                    issuer: Some("山东省人民政府".into()),
                    level_inferred: false,
                });
            }
            let training = kind == Kind::Training;
            items.push(PublishedItem {
                list,
                serial,
                identity_key: format!("{k:08x}"),
                region_code: "370000".into(),
                department_code: format!("D{:02}", k % DEPARTMENTS.len()),
                department: department.into(),
                kind,
                name: if training {
                    format!("{subject}从业人员岗位培训（第{k}项）")
                } else {
                    format!("{subject}年度审验（第{k}项）")
                },
                licence: Some(subject.into()),
                target: Some(
                    if training {
                        "从业人员"
                    } else {
                        "持证单位"
                    }
                    .into(),
                ),
                cycle_months_before: (!training).then_some(12),
                cycle_months: (disposition == Disposition::ExtendCycle).then_some(24),
                cycle_text: (!training).then(|| "每年一次".into()),
                disposition,
                legal_bases,
                rationale: Some(format!(
                    "经必要性评估论证并公开征求社会各界意见，{}。编号{k}。",
                    disposition.zh()
                )),
                tied_to: training.then_some(TiedTo::Issuance),
                hours: training.then_some(16.0),
                fee: training.then(|| "按省发展改革委核定标准收取".into()),
                fee_basis: training.then(|| "鲁发改价格〔2017〕123号".into()),
                provider: training.then(|| "具备条件的培训机构，申请人自主选择".into()),
            });
        }
    }
    Publication {
        number: 1,
        region_code: "370000".into(),
        region_name: "山东省".into(),
        round_name: "2026年清理".into(),
        title: "山东省年检和政府指定培训清理结果".into(),
        published_at: NaiveDate::from_ymd_opt(2026, 11, 27)
            .and_then(|d| d.and_hms_opt(2, 0, 0))
            .unwrap_or_default(),
        summary: Summary::default(),
        items,
    }
}

/// The floor: the same cells, bare, in constant-memory worksheets (`constant_memory`, what the
/// official layout uses) or in rust_xlsxwriter's default worksheets (the whole sheet in memory).
pub fn bare_write(
    sheets: &[(String, Vec<Vec<BareCell>>)],
    constant_memory: bool,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = Workbook::new();
    for (name, rows) in sheets {
        let sheet = if constant_memory {
            workbook.add_worksheet_with_constant_memory()?
        } else {
            workbook.add_worksheet()
        };
        sheet.set_name(name)?;
        for (r, row) in (0u32..).zip(rows) {
            for (c, cell) in (0u16..).zip(row) {
                match cell {
                    BareCell::Empty => {}
                    BareCell::Text(s) => {
                        sheet.write_string(r, c, s.as_str())?;
                    }
                    BareCell::Number(n) => {
                        sheet.write_number(r, c, *n)?;
                    }
                }
            }
        }
    }
    workbook.save_to_buffer()
}
