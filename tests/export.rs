//! The exports of a publication, read back as a reader would: the xlsx through calamine (and its
//! XML for the print setup), the csv through a csv reader, the json through serde_json.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;
use nianjian::domain::publication::{List, Publication, PublishedItem, Summary};
use nianjian::domain::{BasisLevel, Disposition, Kind, Lang, LegalBasis, TiedTo};
use nianjian::export::{self, ExportFormat};

fn basis(level: Option<BasisLevel>, title: &str, article: Option<&str>) -> LegalBasis {
    LegalBasis {
        level,
        title: title.into(),
        article: article.map(Into::into),
        issuer: None,
        level_inferred: false,
    }
}

fn item(
    list: List,
    serial: u32,
    kind: Kind,
    name: &str,
    disposition: Disposition,
) -> PublishedItem {
    PublishedItem {
        list,
        serial,
        identity_key: format!("{}:{serial}", list.code()),
        region_code: "370000".into(),
        department_code: "SD-JT".into(),
        department: "山东省交通运输厅".into(),
        kind,
        name: name.into(),
        licence: None,
        target: None,
        cycle_months_before: None,
        cycle_months: None,
        cycle_text: None,
        disposition,
        legal_bases: vec![],
        rationale: None,
        tied_to: None,
        hours: None,
        fee: None,
        fee_basis: None,
        provider: None,
    }
}

/// The long rationale of retained item 2: 5,000 characters.
fn long_rationale() -> String {
    "经必要性评估论证并公开征求意见后保留。"
        .repeat(300)
        .chars()
        .take(5_000)
        .collect()
}

/// A dozen items over the four lists, with CJK, formula-looking text, a long rationale and
/// missing values.
fn publication() -> Publication {
    use Disposition::*;
    use Kind::*;
    let mut items = Vec::new();

    let mut a = item(
        List::Retained,
        1,
        Inspection,
        "道路运输经营许可证年度审验",
        ExtendCycle,
    );
    a.licence = Some("道路运输经营许可证".into());
    a.target = Some("道路运输经营者".into());
    a.legal_bases = vec![
        basis(
            Some(BasisLevel::AdminRegulation),
            "中华人民共和国道路运输条例",
            Some("第六十七条"),
        ),
        basis(
            Some(BasisLevel::LocalRegulation),
            "《山东省道路运输条例》",
            Some("第二十条"),
        ),
    ];
    a.cycle_months_before = Some(12);
    a.cycle_months = Some(24);
    a.cycle_text = Some("每年一次".into());
    a.rationale = Some("按国务院要求延长检验周期".into());
    items.push(a);

    let mut b = item(List::Retained, 2, Inspection, "=1+1", Retain);
    b.department = "山东省市场监督管理局".into();
    b.department_code = "SD-SC".into();
    b.licence = Some("@SUM(A1)".into());
    b.target = Some("".into());
    b.cycle_months_before = Some(6);
    b.rationale = Some(long_rationale());
    b.legal_bases = vec![basis(
        Some(BasisLevel::Law),
        "中华人民共和国特种设备安全法",
        None,
    )];
    items.push(b);

    let mut c = item(
        List::Retained,
        3,
        Inspection,
        "特种设备使用登记证定期检验",
        Retain,
    );
    c.cycle_text = Some("根据需要".into());
    c.cycle_months = Some(36);
    c.legal_bases = vec![basis(
        Some(BasisLevel::DepartmentalRule),
        "特种设备使用管理规则",
        Some("第3.2条"),
    )];
    items.push(c);

    let mut d = item(
        List::Retained,
        4,
        Inspection,
        "船舶检验证书年度检验",
        Retain,
    );
    d.cycle_months_before = Some(12);
    d.cycle_months = Some(12);
    items.push(d);

    let mut e = item(
        List::Converted,
        1,
        Inspection,
        "企业年度检验",
        ConvertToAnnualReport,
    );
    e.licence = Some("营业执照".into());
    e.cycle_months_before = Some(12);
    e.legal_bases = vec![LegalBasis {
        level: Some(BasisLevel::StateCouncilDecision),
        title: "注册资本登记制度改革方案".into(),
        article: None,
        issuer: Some("国务院".into()),
        level_inferred: true,
    }];
    items.push(e);

    let mut f = item(
        List::Converted,
        2,
        Inspection,
        "农民专业合作社年检",
        ConvertToAnnualReport,
    );
    f.cycle_months_before = Some(12);
    items.push(f);

    let mut g = item(
        List::Cancelled,
        1,
        Inspection,
        "出租汽车经营权年度审验",
        Cancel,
    );
    g.cycle_months_before = Some(12);
    g.rationale = Some("无法定依据，予以取消".into());
    items.push(g);

    let mut h = item(
        List::Cancelled,
        2,
        Training,
        "道路运输从业人员上岗培训",
        Cancel,
    );
    h.tied_to = Some(TiedTo::Issuance);
    h.fee = Some("200元/人".into());
    items.push(h);

    let mut i = item(
        List::Cancelled,
        3,
        Inspection,
        "驾驶员培训机构年度考核",
        Cancel,
    );
    i.cycle_months_before = Some(12);
    i.legal_bases = vec![basis(
        Some(BasisLevel::NormativeDocument),
        "关于加强驾驶员培训管理的通知",
        None,
    )];
    items.push(i);

    let mut j = item(
        List::Trainings,
        1,
        Training,
        "特种作业人员安全技术培训",
        Standardise,
    );
    j.tied_to = Some(TiedTo::Both);
    j.target = Some("特种作业人员".into());
    j.hours = Some(16.0);
    j.fee = Some("按省物价局核定标准".into());
    j.fee_basis = Some("鲁价费发〔2016〕1号".into());
    j.provider = Some("具备条件的培训机构（自主选择）".into());
    j.legal_bases = vec![basis(
        Some(BasisLevel::DepartmentalRule),
        "特种作业人员安全技术培训考核管理规定",
        Some("第九条"),
    )];
    items.push(j);

    let mut k = item(
        List::Trainings,
        2,
        Training,
        "危险货物运输押运人员培训",
        Retain,
    );
    k.tied_to = Some(TiedTo::Issuance);
    k.hours = Some(7.5);
    k.fee = Some("-5元".into());
    items.push(k);

    let mut l = item(List::Trainings, 3, Training, "\t机动车检测人员培训", Retain);
    l.tied_to = Some(TiedTo::Inspection);
    l.provider = Some("+86 531 12345678".into());
    items.push(l);

    Publication {
        number: 3,
        region_code: "370000".into(),
        region_name: "山东省".into(),
        round_name: "2026年年检和政府指定培训清理".into(),
        title: "山东省年检和政府指定培训清理结果".into(),
        published_at: NaiveDate::from_ymd_opt(2026, 11, 27)
            .and_then(|d| d.and_hms_opt(2, 0, 0))
            .expect("a valid test date"),
        summary: Summary {
            retained: 4,
            converted: 2,
            cancelled: 3,
            trainings: 3,
            cycles_lengthened: 2,
            inspections_before: 8,
            inspections_after: 4,
        },
        items,
    }
}

// ---------------------------------------------------------------------------------------- xlsx

fn open_xlsx(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("the export opens as xlsx")
}

fn cell(range: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => format!("{other:?}"),
    }
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("xlsx is a zip");
    let mut entry = zip.by_name(name).expect("entry exists");
    let mut s = String::new();
    entry.read_to_string(&mut s).expect("utf-8 xml");
    s
}

#[test]
fn xlsx_has_one_sheet_per_list_and_the_notes() {
    let bytes = export::xlsx::write(&publication(), Lang::Zh).expect("export");
    let book = open_xlsx(&bytes);
    assert_eq!(
        book.sheet_names(),
        vec![
            "保留的年检事项",
            "改为年度报告公示",
            "取消的事项",
            "保留的指定培训",
            "说明"
        ]
    );
}

#[test]
fn xlsx_retained_sheet_reads_back() {
    let p = publication();
    let bytes = export::xlsx::write(&p, Lang::Zh).expect("export");
    let mut book = open_xlsx(&bytes);
    let range = book.worksheet_range("保留的年检事项").expect("sheet");
    assert_eq!(range.start(), Some((0, 0)));

    assert_eq!(
        cell(&range, 0, 0),
        "山东省保留的年检事项目录（第3版，2026年11月27日公布）"
    );
    let header: Vec<String> = (0..10).map(|c| cell(&range, 1, c)).collect();
    assert_eq!(
        header,
        [
            "序号",
            "事项名称",
            "实施部门",
            "涉及证照",
            "检验对象",
            "设定依据",
            "检验周期（原）",
            "检验周期（调整后）",
            "处理结果",
            "说明"
        ]
    );
    assert_eq!(range.height(), 2 + 4, "title, header, four items");
    let serials: Vec<String> = (2..6).map(|r| cell(&range, r, 0)).collect();
    assert_eq!(serials, ["1", "2", "3", "4"]);

    // Item 1: both bases, one per line, bracketed once; cycles as people read them.
    assert_eq!(cell(&range, 2, 1), "道路运输经营许可证年度审验");
    assert_eq!(cell(&range, 2, 2), "山东省交通运输厅");
    assert_eq!(
        cell(&range, 2, 5),
        "《中华人民共和国道路运输条例》第六十七条\n《山东省道路运输条例》第二十条"
    );
    assert_eq!(cell(&range, 2, 6), "1年");
    assert_eq!(cell(&range, 2, 7), "2年");
    assert_eq!(cell(&range, 2, 8), "延长周期");

    // Item 2: formula-looking text stays text; the blank target is empty; the rationale whole.
    assert_eq!(cell(&range, 3, 1), "=1+1");
    assert_eq!(cell(&range, 3, 3), "@SUM(A1)");
    assert_eq!(cell(&range, 3, 4), "");
    assert_eq!(cell(&range, 3, 6), "6个月");
    assert_eq!(cell(&range, 3, 7), "不定期");
    assert_eq!(cell(&range, 3, 9), long_rationale());
    assert_eq!(cell(&range, 3, 9).chars().count(), 5_000);

    // Item 3: an irregular cycle keeps the department's words.
    assert_eq!(cell(&range, 4, 6), "根据需要");
    assert_eq!(cell(&range, 4, 7), "3年");
    assert_eq!(cell(&range, 4, 5), "《特种设备使用管理规则》第3.2条");
}

#[test]
fn xlsx_other_lists_read_back() {
    let p = publication();
    let bytes = export::xlsx::write(&p, Lang::Zh).expect("export");
    let mut book = open_xlsx(&bytes);

    let converted = book.worksheet_range("改为年度报告公示").expect("sheet");
    assert_eq!(
        cell(&converted, 0, 0),
        "山东省改为年度报告公示的事项目录（第3版，2026年11月27日公布）"
    );
    assert_eq!(cell(&converted, 1, 7), "处理结果");
    assert_eq!(cell(&converted, 2, 1), "企业年度检验");
    assert_eq!(cell(&converted, 2, 5), "《注册资本登记制度改革方案》");
    assert_eq!(cell(&converted, 2, 7), "改为年度报告公示");

    let cancelled = book.worksheet_range("取消的事项").expect("sheet");
    assert_eq!(cell(&cancelled, 1, 1), "事项类型");
    assert_eq!(cell(&cancelled, 3, 1), "指定培训");
    assert_eq!(cell(&cancelled, 3, 2), "道路运输从业人员上岗培训");
    assert_eq!(
        cell(&cancelled, 3, 7),
        "",
        "a training has no inspection cycle"
    );
    assert_eq!(cell(&cancelled, 4, 0), "3");

    let trainings = book.worksheet_range("保留的指定培训").expect("sheet");
    let header: Vec<String> = (0..12).map(|c| cell(&trainings, 1, c)).collect();
    assert_eq!(
        header,
        [
            "序号",
            "培训名称",
            "实施部门",
            "挂钩环节",
            "培训对象",
            "设定依据",
            "学时",
            "收费标准",
            "收费依据",
            "培训机构",
            "处理结果",
            "说明"
        ]
    );
    assert_eq!(cell(&trainings, 2, 3), "发证和年检");
    assert_eq!(cell(&trainings, 2, 6), "16");
    assert_eq!(cell(&trainings, 3, 6), "7.5");
    assert_eq!(cell(&trainings, 3, 7), "-5元");
    assert_eq!(cell(&trainings, 4, 1), "\t机动车检测人员培训");
    assert_eq!(cell(&trainings, 4, 9), "+86 531 12345678");
    assert_eq!(cell(&trainings, 2, 10), "规范");
}

#[test]
fn xlsx_notes_sheet_names_the_publication_and_its_source() {
    let bytes = export::xlsx::write(&publication(), Lang::Zh).expect("export");
    let mut book = open_xlsx(&bytes);
    let notes = book.worksheet_range("说明").expect("sheet");
    let text: Vec<String> = notes
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    let all = text.join("\n");
    for needle in [
        "山东省年检和政府指定培训清理结果",
        "公布编号|第3版",
        "公布日期|2026年11月27日",
        "行政区划|山东省（370000）",
        "2026年年检和政府指定培训清理",
        "|4项",
        "延长检验周期的年检事项|2项",
        "清理前年检事项|8项",
        "清理后年检事项|4项",
        "来源|山东省推进政府职能转变领导小组办公室",
    ] {
        assert!(all.contains(needle), "{needle} not in:\n{all}");
    }
}

/// The usual height of a list's rows is the sheet's default; rows of another height carry their
/// own, and every row still says how tall it is (Excel and LibreOffice print what they read).
#[test]
fn xlsx_rows_of_the_usual_height_take_the_sheets_default() {
    use Disposition::*;
    let two_bases = vec![
        basis(None, "中华人民共和国道路运输条例", Some("第六十七条")),
        basis(None, "山东省道路运输条例", Some("第二十条")),
    ];
    let mut items = Vec::new();
    for serial in 1..=5 {
        let mut it = item(
            List::Retained,
            serial,
            Kind::Inspection,
            "道路运输年审",
            Retain,
        );
        it.legal_bases = two_bases.clone();
        items.push(it);
    }
    // One row of a single line among rows of two.
    items.push(item(List::Retained, 6, Kind::Inspection, "短", Retain));
    let mut p = publication();
    p.items = items;
    let bytes = export::xlsx::write(&p, Lang::Zh).expect("export");
    let sheet1 = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        sheet1.contains(r#"<sheetFormatPr defaultRowHeight="30" customHeight="1""#),
        "{}",
        &sheet1[..sheet1.find("<cols>").unwrap_or(0)]
    );
    for row in 3..=7 {
        assert!(
            sheet1.contains(&format!(r#"<row r="{row}" ht="30" customHeight="1">"#)),
            "row {row}"
        );
    }
    assert!(
        sheet1.contains(r#"<row r="8" ht="15" customHeight="1">"#),
        "the short row"
    );
}

#[test]
fn xlsx_layout_title_merged_header_frozen_a4_landscape_repeated() {
    let bytes = export::xlsx::write(&publication(), Lang::Zh).expect("export");
    let mut book = open_xlsx(&bytes);
    let merged = book
        .merge_cells_by_sheet_name("保留的年检事项")
        .expect("merged cells");
    assert!(
        merged.iter().any(|d| d.start == (0, 0) && d.end == (0, 9)),
        "title merged across the ten columns: {merged:?}"
    );

    let sheet1 = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        sheet1.contains(r#"<pane ySplit="2" topLeftCell="A3""#),
        "frozen header"
    );
    assert!(sheet1.contains(r#"paperSize="9""#), "A4");
    assert!(sheet1.contains(r#"orientation="landscape""#));
    assert!(sheet1.contains(r#"fitToHeight="0""#), "one page wide");
    assert!(sheet1.contains(r#"<pageSetUpPr fitToPage="1"/>"#));
    assert!(sheet1.contains("<cols>"), "column widths");
    assert!(sheet1.contains("&amp;P"), "page numbers");
    let workbook = zip_entry(&bytes, "xl/workbook.xml");
    assert!(
        workbook.contains(
            r#"<definedName name="_xlnm.Print_Titles" localSheetId="0">保留的年检事项!$2:$2<"#
        ),
        "header repeated on every page: {workbook}"
    );
    let styles = zip_entry(&bytes, "xl/styles.xml");
    assert!(styles.contains(r#"<left style="thin">"#), "thin borders");
    assert!(styles.contains(r#"wrapText="1""#), "wrapped text");
    // Every data cell takes the workbook's default format, wrapped and top-aligned, with no
    // style of its own and no column style ...
    assert!(
        styles.contains(r#"<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"><alignment vertical="top" wrapText="1"/></xf>"#),
        "{styles}"
    );
    assert!(sheet1.contains(r#"<col min="1" max="1" width="6.7109375" customWidth="1"/>"#));
    assert!(
        sheet1.contains(r#"<c r="A3"><v>1</v></c>"#),
        "serial unstyled"
    );
    assert!(!sheet1.contains(r#"<c r="G3" s="#), "cycle unstyled");
    assert!(
        sheet1.contains(r#"<c r="B3" t="inlineStr">"#),
        "name in the default format"
    );
    // Rows as tall as their wrapped text: item 1 has two bases, item 2 a long rationale.
    assert!(sheet1.contains(r#"<row r="3" ht="30" customHeight="1">"#));
    assert!(sheet1.contains(r#"<row r="4" ht="405" customHeight="1">"#));
    // ... and their borders from one rule over exactly the data range.
    assert!(
        sheet1.contains(r#"<conditionalFormatting sqref="A3:J6"><cfRule type="expression" dxfId="0" priority="1"><formula>TRUE</formula>"#),
        "{}",
        &sheet1[sheet1.find("<conditionalFormatting").unwrap_or(0)..]
    );
    let dxfs = &styles[styles.find("<dxfs").unwrap_or(0)..];
    assert!(dxfs.contains(r#"<left style="thin">"#), "{dxfs}");
}

#[test]
fn xlsx_column_widths_fit_cjk_text() {
    let bytes = export::xlsx::write(&publication(), Lang::Zh).expect("export");
    let sheet1 = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    // 事项名称: the longest is 道路运输经营许可证年度审验, 13 CJK = 26 units, plus padding.
    assert!(
        sheet1.contains(r#"<col min="2" max="2" width="28.7109375" customWidth="1"/>"#),
        "{}",
        &sheet1[..sheet1.find("</cols>").unwrap_or(0)]
    );
    // 说明 holds 5,000 characters: capped, not 10,000 wide.
    assert!(sheet1.contains(r#"<col min="10" max="10" width="42.7109375" customWidth="1"/>"#));
}

#[test]
fn xlsx_is_byte_identical_for_the_same_publication() {
    let p = publication();
    let a = export::xlsx::write(&p, Lang::Zh).expect("export");
    let b = export::xlsx::write(&p.clone(), Lang::Zh).expect("export");
    assert!(a == b, "two exports differ");
    assert_eq!(export::etag(&a), export::etag(&b));
    let core = zip_entry(&a, "docProps/core.xml");
    assert!(core.contains("2026-11-27T02:00:00Z"), "{core}");

    let mut later = p.clone();
    later.number = 4;
    let c = export::xlsx::write(&later, Lang::Zh).expect("export");
    assert_ne!(export::etag(&a), export::etag(&c));
}

#[test]
fn xlsx_in_english() {
    let bytes = export::xlsx::write(&publication(), Lang::En).expect("export");
    let mut book = open_xlsx(&bytes);
    assert_eq!(
        book.sheet_names(),
        vec![
            "Retained inspections",
            "Converted to annual reports",
            "Cancelled items",
            "Retained trainings",
            "About"
        ]
    );
    let range = book.worksheet_range("Retained inspections").expect("sheet");
    assert_eq!(
        cell(&range, 0, 0),
        "山东省: Retained annual inspections (publication 3, published 27 November 2026)"
    );
    assert_eq!(cell(&range, 1, 1), "Name");
    assert_eq!(cell(&range, 2, 6), "1 year");
    assert_eq!(cell(&range, 2, 7), "2 years");
    assert_eq!(cell(&range, 2, 8), "extend cycle");
}

#[test]
fn xlsx_of_an_empty_publication_still_has_titles_and_headers() {
    let mut p = publication();
    p.items.clear();
    let bytes = export::xlsx::write(&p, Lang::Zh).expect("export");
    let mut book = open_xlsx(&bytes);
    let range = book.worksheet_range("取消的事项").expect("sheet");
    assert_eq!(range.height(), 2);
    assert_eq!(cell(&range, 1, 0), "序号");
}

// ----------------------------------------------------------------------------------------- csv

fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).expect("a BOM");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.expect("a csv record").iter().map(String::from).collect())
        .collect()
}

#[test]
fn csv_of_one_list_is_bom_quoted_crlf() {
    let p = publication();
    let bytes = export::csv::write(&p, Some(List::Retained), Lang::Zh);
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    let text = std::str::from_utf8(&bytes[3..]).expect("utf-8");
    assert!(
        text.starts_with("\"序号\",\"事项名称\",\"实施部门\""),
        "{}",
        &text[..80]
    );
    assert!(text.ends_with("\r\n"));
    // Every line ends in CRLF; the only bare LF is inside the quoted bases of item 1.
    assert_eq!(text.matches("\r\n").count(), 1 + 4);
    assert_eq!(text.matches('\n').count(), 1 + 4 + 1);

    let rows = read_csv(&bytes);
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r.len() == 10));
    assert_eq!(rows[1][0], "1");
    assert_eq!(
        rows[1][5],
        "《中华人民共和国道路运输条例》第六十七条\n《山东省道路运输条例》第二十条"
    );
    assert_eq!(rows[2][9], long_rationale());
    assert_eq!(rows[2][4], "", "a blank target is empty");
    // Every field is quoted, the empty ones too.
    let second_line = text.split("\r\n").nth(2).expect("row 2");
    assert!(
        second_line.starts_with("\"2\",\"'=1+1\",\"山东省市场监督管理局\",\"'@SUM(A1)\",\"\",")
    );
}

#[test]
fn csv_neutralises_formulas_in_the_copy_only() {
    let p = publication();
    let before = p.clone();
    let bytes = export::csv::write(&p, None, Lang::Zh);
    assert_eq!(p, before, "the publication is untouched");
    assert_eq!(p.items[1].name, "=1+1");

    let rows = read_csv(&bytes);
    let find = |name: &str| {
        rows.iter()
            .find(|r| r[3] == name)
            .unwrap_or_else(|| panic!("{name} in {rows:?}"))
            .clone()
    };
    let b = find("'=1+1");
    assert_eq!(b[5], "'@SUM(A1)");
    let k = find("危险货物运输押运人员培训");
    assert_eq!(k[12], "'-5元");
    let l = find("'\t机动车检测人员培训");
    assert_eq!(l[14], "'+86 531 12345678");
}

#[test]
fn csv_of_all_lists_has_a_list_column() {
    let p = publication();
    let rows = read_csv(&export::csv::write(&p, None, Lang::Zh));
    assert_eq!(rows.len(), 1 + 12);
    assert_eq!(rows[0][0], "清单");
    assert_eq!(rows[0][1], "序号");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
    let lists: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(&lists[..4], ["保留的年检事项"; 4]);
    assert_eq!(lists[4], "改为年度报告公示的事项");
    assert_eq!(lists[6], "取消的事项");
    assert_eq!(lists[11], "保留（规范）的指定培训");
    assert_eq!(rows[8][2], "指定培训");

    let en = read_csv(&export::csv::write(&p, None, Lang::En));
    assert_eq!(en[0][0], "List");
    assert_eq!(en[1][0], "retained annual inspections");
}

#[test]
fn csv_is_byte_identical() {
    let p = publication();
    assert_eq!(
        export::csv::write(&p, None, Lang::Zh),
        export::csv::write(&p, None, Lang::Zh)
    );
}

// ---------------------------------------------------------------------------------------- json

fn json(p: &Publication) -> serde_json::Value {
    serde_json::from_slice(&export::json::write(p)).expect("valid json")
}

#[test]
fn json_has_the_documented_shape() {
    let bytes = export::json::write(&publication());
    let text = std::str::from_utf8(&bytes).expect("utf-8");
    // The documented field order (serde_json::Value would sort the keys, so read the text).
    let at = |key: &str| {
        text.find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} missing"))
    };
    let order = [
        "schema",
        "number",
        "region",
        "round",
        "title",
        "published_at",
        "summary",
        "lists",
    ];
    assert!(
        order.windows(2).all(|w| at(w[0]) < at(w[1])),
        "{}",
        &text[..300]
    );
    assert!(text.starts_with(r#"{"schema":"nianjian.publication/1","number":3,"region":{"code":"370000","name":"山东省"},"#));
    let v = json(&publication());
    assert_eq!(v["schema"], "nianjian.publication/1");
    assert_eq!(v["number"], 3);
    assert_eq!(v["region"]["code"], "370000");
    assert_eq!(v["region"]["name"], "山东省");
    assert_eq!(v["published_at"], "2026-11-27T02:00:00Z");
    assert_eq!(v["summary"]["inspections_before"], 8);
    for (list, n) in [
        ("retained", 4),
        ("converted", 2),
        ("cancelled", 3),
        ("trainings", 3),
    ] {
        assert_eq!(v["lists"][list].as_array().map(Vec::len), Some(n), "{list}");
    }
    let a = &v["lists"]["retained"][0];
    assert_eq!(a["kind"], "inspection");
    assert_eq!(a["disposition"], "extend_cycle");
    assert_eq!(a["legal_bases"][0]["level"], "admin_regulation");
    assert_eq!(a["legal_bases"][1]["title"], "《山东省道路运输条例》");
    assert_eq!(a["cycle_months_before"], 12);
    assert_eq!(a["cycle_months"], 24);
    assert_eq!(v["lists"]["trainings"][0]["tied_to"], "both");
    assert_eq!(v["lists"]["trainings"][1]["hours"], 7.5);
    assert_eq!(
        v["lists"]["converted"][0]["legal_bases"][0]["issuer"],
        "国务院"
    );
    assert_eq!(
        v["lists"]["converted"][0]["legal_bases"][0]["level_inferred"],
        true
    );
    // The stored text as it was decided: json is not a spreadsheet, nothing is neutralised.
    assert_eq!(v["lists"]["retained"][1]["name"], "=1+1");
}

#[test]
fn json_has_null_for_missing_never_empty_strings() {
    let v = json(&publication());
    let b = &v["lists"]["retained"][1];
    assert!(b["target"].is_null(), "a blank target is null");
    assert!(b["cycle_months"].is_null());
    assert!(b["tied_to"].is_null() && b["hours"].is_null() && b["fee"].is_null());
    assert!(b["legal_bases"][0]["article"].is_null());
    assert!(b["legal_bases"][0]["issuer"].is_null(), "present, as null");

    fn no_empty_strings(v: &serde_json::Value, path: &str) {
        match v {
            serde_json::Value::String(s) => assert!(!s.is_empty(), "empty string at {path}"),
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    no_empty_strings(x, &format!("{path}[{i}]"));
                }
            }
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    no_empty_strings(x, &format!("{path}.{k}"));
                }
            }
            _ => {}
        }
    }
    no_empty_strings(&v, "");
    // Every item has every field.
    let fields = |i: &serde_json::Value| i.as_object().map(|o| o.len());
    assert_eq!(fields(&v["lists"]["retained"][0]), Some(20));
    assert_eq!(fields(&v["lists"]["trainings"][2]), Some(20));
}

#[test]
fn json_is_byte_identical() {
    let p = publication();
    let a = export::json::write(&p);
    assert_eq!(a, export::json::write(&p.clone()));
    assert!(a.ends_with(b"}\n"));
}

/// The compact json laid out two spaces per level, keys in the order the export wrote them
/// (a `serde_json::Value` would sort them).
fn indent(json: &str) -> String {
    let (mut out, mut depth, mut in_string, mut escaped) = (String::new(), 0usize, false, false);
    let mut chars = json.trim_end().chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' if matches!(chars.peek(), Some('}' | ']')) => {
                out.push(c);
                out.extend(chars.next());
            }
            '{' | '[' => {
                depth += 1;
                out.push(c);
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
                out.push(c);
            }
            ',' => {
                out.push_str(",\n");
                out.push_str(&"  ".repeat(depth));
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn json_snapshot() {
    let bytes = export::json::write(&publication());
    let text = std::str::from_utf8(&bytes).expect("utf-8");
    let long = format!("\"{}\"", long_rationale());
    assert!(text.contains(&long));
    let text = text.replace(&long, "\"[5,000 characters]\"");
    insta::assert_snapshot!("publication_json", indent(&text));
}

// ------------------------------------------------------------------------------ names and tags

#[test]
fn download_names_and_etag() {
    let p = publication();
    let bytes = export::json::write(&p);
    let tag = export::etag(&bytes);
    assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() == 66);
    assert_eq!(
        export::file_name(&p, ExportFormat::Csv),
        "publication-370000-3.csv"
    );
    let cd = export::content_disposition(&p, ExportFormat::Xlsx);
    assert!(cd.starts_with(
        "attachment; filename=\"publication-370000-3.xlsx\"; filename*=UTF-8''%E5%B1%B1%E4%B8%9C%E7%9C%81"
    ));
}

/// Writes the exports of the test publication for a person to look at:
/// `cargo test --test export -- --ignored write_samples` (into `$TMPDIR/nianjian-export-samples`).
#[test]
#[ignore]
fn write_samples() {
    let dir = std::env::temp_dir().join("nianjian-export-samples");
    std::fs::create_dir_all(&dir).expect("sample dir");
    let p = publication();
    for (lang, suffix) in [(Lang::Zh, "zh"), (Lang::En, "en")] {
        let xlsx = export::xlsx::write(&p, lang).expect("export");
        std::fs::write(dir.join(format!("publication-{suffix}.xlsx")), xlsx).expect("write");
    }
    std::fs::write(
        dir.join("publication.csv"),
        export::csv::write(&p, None, Lang::Zh),
    )
    .expect("write");
    std::fs::write(dir.join("publication.json"), export::json::write(&p)).expect("write");
    println!("samples in {}", dir.display());
}
