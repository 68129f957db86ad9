//! A generated department workbook in the template's layout (sheet 年检事项, the header in row
//! 1, `rows` items below it), shared by the benches and the tests that need a big real file
//! (benches/common includes this file by path).
#![allow(dead_code)]

use std::collections::HashMap;

use nianjian::domain::Kind;
use nianjian::sheets::spec::{self, Field};

const LICENCES: &[(&str, &str, &str)] = &[
    ("道路运输经营许可证", "道路运输经营者", "JT"),
    ("道路运输证", "营运车辆", "JT"),
    ("船舶营业运输证", "水路运输经营者", "JT"),
    ("特种设备使用登记证", "特种设备使用单位", "SJ"),
    ("计量器具型式批准证书", "计量器具生产企业", "SJ"),
    ("食品经营许可证", "食品经营者", "SJ"),
    ("医疗机构执业许可证", "医疗机构", "WJ"),
    ("放射诊疗许可证", "放射诊疗机构", "WJ"),
    ("建筑施工企业安全生产许可证", "建筑施工企业", "ZJ"),
    ("危险化学品经营许可证", "危险化学品经营单位", "YJ"),
    ("烟花爆竹经营许可证", "烟花爆竹零售经营者", "YJ"),
    ("印刷经营许可证", "印刷企业", "XW"),
    ("民办非企业单位登记证书", "民办非企业单位", "MZ"),
    ("人力资源服务许可证", "人力资源服务机构", "RS"),
    ("保安服务许可证", "保安服务公司", "GA"),
    ("", "机动车驾驶人培训机构", "JT"),
];

const ACTIONS: &[&str] = &["年度审验", "年度检验", "年审", "定期检验", "年度核验"];

/// (bases, levels): one basis, two, or a provincial one (self-set).
const BASES: &[(&str, &str)] = &[
    ("《中华人民共和国道路运输条例》", "行政法规"),
    ("《中华人民共和国特种设备安全法》", "法律"),
    ("《中华人民共和国计量法》", "法律"),
    ("《医疗机构管理条例》", "行政法规"),
    ("《危险化学品安全管理条例》", "行政法规"),
    ("《印刷业管理条例》", "行政法规"),
    ("《山东省道路运输条例》", "地方性法规"),
    ("《山东省特种设备安全条例》", "地方性法规"),
    (
        "《道路运输车辆技术管理规定》（交通运输部令2016年第1号）",
        "部门规章",
    ),
    ("《山东省民办非企业单位年度检查办法》", "地方政府规章"),
];

const ARTICLES: &[&str] = &[
    "第六十七条",
    "第十二条",
    "第二十一条",
    "第三十条",
    "第四十五条",
    "第八条",
    "第五十二条",
    "第三条",
    "第十九条",
    "第三十三条",
    "第六条",
    "第九十一条",
];

const CYCLES: &[&str] = &[
    "每年一次",
    "2年",
    "24个月",
    "每两年一次",
    "每半年一次",
    "一年",
    "3年",
];

const PROPOSALS: &[(&str, &str)] = &[
    ("保留", ""),
    ("取消", ""),
    ("延长周期", "24个月"),
    ("改为年度报告公示", ""),
    ("延长周期", "3年"),
];

const REASONS: &[&str] = &[
    "经营者质量信誉考核为AAA级的，审验周期可延长至两年",
    "该事项已纳入日常监管，年检意义不大，建议取消",
    "涉及公共安全，建议保留并优化办理流程",
    "可通过信用承诺和年度报告公示替代",
    "上位法已修改，原设定依据已不再要求年度检验",
    "",
];

pub const DEPARTMENTS: &[&str] = &[
    "省交通运输厅",
    "省市场监管局",
    "省卫生健康委",
    "省住房城乡建设厅",
    "省应急管理厅",
    "省新闻出版局",
    "省民政厅",
    "省人力资源社会保障厅",
    "省公安厅",
];

/// The text of every template column of the 年检事项 sheet for item `i`; `offset` keeps the
/// names of different departments apart, except every 25th item, which several departments
/// list (R09).
fn row_values(i: usize, offset: usize) -> [(Field, String); 14] {
    let (licence, target, prefix) = LICENCES[i % LICENCES.len()];
    let action = ACTIONS[(i / LICENCES.len()) % ACTIONS.len()];
    let n = if i.is_multiple_of(25) { i } else { i + offset };
    let subject = if licence.is_empty() { target } else { licence };
    let name = format!("{subject}{action}（第{n}项）");
    let (basis, level) = BASES[(i * 7) % BASES.len()];
    let article = ARTICLES[(i / 3) % ARTICLES.len()];
    let (bases, levels) = if i.is_multiple_of(4) {
        let (b2, l2) = BASES[(i * 7 + 3) % BASES.len()];
        (
            format!("{basis}{article}\n{b2}第十条"),
            format!("{level}\n{l2}"),
        )
    } else if i.is_multiple_of(11) {
        // Levels left to be inferred.
        (format!("{basis}{article}"), String::new())
    } else {
        (format!("{basis}{article}"), level.to_string())
    };
    let (proposal, new_cycle) = PROPOSALS[(i / 2) % PROPOSALS.len()];
    [
        (Field::Serial, (i + 1).to_string()),
        (Field::Name, name),
        (
            Field::Department,
            DEPARTMENTS[(i / 5) % DEPARTMENTS.len()].to_string(),
        ),
        (Field::Licence, licence.to_string()),
        (
            Field::LicenceCode,
            if licence.is_empty() {
                String::new()
            } else {
                format!("{prefix}-XK-{:04}", i % 3000)
            },
        ),
        (Field::Target, target.to_string()),
        (Field::Bases, bases),
        (Field::Levels, levels),
        (Field::Cycle, CYCLES[i % CYCLES.len()].to_string()),
        (
            Field::AnnualReport,
            if i.is_multiple_of(9) { "是" } else { "否" }.to_string(),
        ),
        (Field::Proposed, proposal.to_string()),
        (Field::ProposedCycle, new_cycle.to_string()),
        (Field::Reason, REASONS[i % REASONS.len()].to_string()),
        (
            Field::Remarks,
            if i.is_multiple_of(13) {
                "涉及跨部门事项，需与市场监管部门协同".into()
            } else {
                String::new()
            },
        ),
    ]
}

/// A department's workbook as the template lays it out: sheet 年检事项, the header in row 1,
/// `rows` items below it; serial numbers are numbers, the rest text.
pub fn workbook_bytes(rows: usize, offset: usize) -> Vec<u8> {
    workbook_bytes_with(rows, offset, |_, _| {})
}

/// [`workbook_bytes`], with `edit` given the sheet and the column of each field before the
/// workbook is saved (to overwrite a cell, merge cells…). Item `i` is on 0-based row `i + 1`.
pub fn workbook_bytes_with(
    rows: usize,
    offset: usize,
    edit: impl FnOnce(&mut rust_xlsxwriter::Worksheet, &HashMap<Field, u16>),
) -> Vec<u8> {
    let kind = Kind::Inspection;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(spec::sheet_name(kind)).expect("sheet name");
    let mut col_of: HashMap<Field, u16> = HashMap::new();
    for column in spec::template_columns(kind) {
        let (Some(place), Some(header)) = (column.template(kind), column.template_header(kind))
        else {
            continue;
        };
        sheet
            .write_string(0, place.position, header)
            .expect("header");
        col_of.insert(column.field, place.position);
    }
    assert_eq!(
        col_of.len(),
        14,
        "the template's inspection sheet has 14 columns"
    );
    for i in 0..rows {
        let r = i as u32 + 1;
        for (field, text) in row_values(i, offset) {
            let col = col_of[&field];
            if field == Field::Serial {
                sheet.write_number(r, col, (i + 1) as f64).expect("cell");
            } else if !text.is_empty() {
                sheet.write_string(r, col, &text).expect("cell");
            }
        }
    }
    edit(sheet, &col_of);
    workbook.save_to_buffer().expect("workbook")
}
