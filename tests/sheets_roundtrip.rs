//! The template, the annotated workbook and the limits, through workbooks written here.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use nianjian::domain::{Disposition, Kind, Lang, TiedTo};
use nianjian::sheets::{
    FileErrorCode, ImportReport, Limits, annotate, read_workbook, spec, write_template,
};
use rust_xlsxwriter::{Workbook, Worksheet};

fn read(name: &str, bytes: &[u8]) -> ImportReport {
    read_workbook(name, bytes, &Limits::default(), Lang::Zh).unwrap_or_else(|e| panic!("{e}"))
}

/// The header row of each kind sheet as the template wrote it, read back with calamine.
fn template_headers(template: &[u8], kind: Kind) -> Vec<String> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(template)).unwrap();
    let range = workbook.worksheet_range(spec::sheet_name(kind)).unwrap();
    range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect()
}

/// Writes `rows` under `headers`, value by header name (without `*`).
fn fill(sheet: &mut Worksheet, headers: &[String], rows: &[&[(&str, &str)]]) {
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (header, value) in *row {
            let c = headers
                .iter()
                .position(|h| h.trim_end_matches('*') == *header)
                .unwrap_or_else(|| panic!("no column {header}"));
            sheet.write_string(r as u32 + 1, c as u16, *value).unwrap();
        }
    }
}

#[test]
fn a_blank_template_reads_as_two_empty_sheets() {
    for lang in [Lang::Zh, Lang::En] {
        let template = write_template(lang).unwrap();
        let r = read("模板.xlsx", &template);
        let sheets: Vec<_> = r
            .sheets
            .iter()
            .map(|s| (s.name.as_str(), s.kind, s.header_row, s.rows))
            .collect();
        assert_eq!(
            sheets,
            [
                ("年检事项", Some(Kind::Inspection), 1, 0),
                ("指定培训", Some(Kind::Training), 1, 0)
            ]
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.exit_code(), 0);
        assert!(
            r.notices.iter().any(|n| n.code == "notes_sheet"),
            "{:?}",
            r.notices
        );
    }
}

#[test]
fn the_template_filled_by_program_reads_back_the_same_values() {
    let template = write_template(Lang::Zh).unwrap();
    let inspection_headers = template_headers(&template, Kind::Inspection);
    let training_headers = template_headers(&template, Kind::Training);

    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("年检事项").unwrap();
    fill(
        sheet,
        &inspection_headers,
        &[
            &[
                ("序号", "1"),
                ("事项名称", "电梯定期检验"),
                ("实施部门", "省市场监管局"),
                ("涉及证照", "电梯使用登记证"),
                ("证照目录编码", "0012"),
                ("检验对象", "电梯使用单位"),
                (
                    "设定依据",
                    "《中华人民共和国特种设备安全法》第四十条\n《特种设备安全监察条例》第二十八条",
                ),
                ("依据层级", "法律\n行政法规"),
                ("检验周期", "每年一次"),
                ("是否已改为年度报告公示", "否"),
                ("拟处理意见", "延长周期"),
                ("拟调整周期", "2年"),
                ("理由", "按风险分级"),
                ("备注", "无"),
            ],
            &[
                ("事项名称", "港口经营人年度审验"),
                ("实施部门", "省交通运输厅"),
                ("检验周期", "不定期"),
                ("拟处理意见", "取消"),
            ],
        ],
    );
    let sheet = workbook.add_worksheet().set_name("指定培训").unwrap();
    fill(
        sheet,
        &training_headers,
        &[&[
            ("培训名称", "机动车驾驶员培训"),
            ("实施部门", "省交通运输厅"),
            ("挂钩环节", "发证和年检"),
            ("涉及证照", "机动车驾驶证"),
            ("培训对象", "学员"),
            ("设定依据", "《机动车驾驶员培训管理规定》第二十条"),
            ("依据层级", "部门规章"),
            ("学时", "62"),
            ("收费标准", "3000元"),
            ("收费依据", "鲁价费发〔2012〕85号"),
            ("培训机构", "驾驶员培训学校"),
            ("是否指定机构", "否"),
            ("拟处理意见", "规范"),
            ("理由", "保留并规范收费"),
        ]],
    );
    let bytes = workbook.save_to_buffer().unwrap();
    let r = read("交通厅.xlsx", &bytes);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.summary.inspections, r.summary.trainings), (2, 1));

    let elevator = &r.items[0].draft;
    assert_eq!((r.items[0].sheet.as_str(), r.items[0].row), ("年检事项", 2));
    assert_eq!(elevator.kind, Some(Kind::Inspection));
    assert_eq!(elevator.name, "电梯定期检验");
    assert_eq!(elevator.department, "省市场监管局");
    assert_eq!(elevator.licence.as_deref(), Some("电梯使用登记证"));
    assert_eq!(elevator.licence_code.as_deref(), Some("0012"));
    assert_eq!(elevator.target.as_deref(), Some("电梯使用单位"));
    assert_eq!(elevator.legal_bases.len(), 2);
    assert_eq!(elevator.legal_bases[1].title, "特种设备安全监察条例");
    assert!(!elevator.legal_bases[1].level_inferred);
    assert_eq!(
        (elevator.cycle_months, elevator.cycle_text.as_deref()),
        (Some(12), Some("每年一次"))
    );
    assert_eq!(elevator.annual_report, Some(false));
    assert_eq!(elevator.proposed, Some(Disposition::ExtendCycle));
    assert_eq!(elevator.proposed_cycle_months, Some(24));
    assert_eq!(elevator.reason.as_deref(), Some("按风险分级"));
    assert_eq!(elevator.remarks.as_deref(), Some("无"));

    let port = &r.items[1].draft;
    assert_eq!(
        (port.cycle_months, port.cycle_text.as_deref()),
        (None, Some("不定期"))
    );
    assert_eq!(port.proposed, Some(Disposition::Cancel));
    assert!(port.legal_bases.is_empty());

    let training = &r.items[2].draft;
    assert_eq!(training.kind, Some(Kind::Training));
    assert_eq!(training.tied_to, Some(TiedTo::Both));
    assert_eq!(training.hours, Some(62.0));
    assert_eq!(training.fee.as_deref(), Some("3000元"));
    assert_eq!(training.fee_basis.as_deref(), Some("鲁价费发〔2012〕85号"));
    assert_eq!(training.provider.as_deref(), Some("驾驶员培训学校"));
    assert_eq!(training.provider_designated, Some(false));
    assert_eq!(training.proposed, Some(Disposition::Standardise));
}

#[test]
fn required_cells_and_columns() {
    let headers: Vec<String> = ["事项名称", "实施部门", "检验周期", "拟处理意见"]
        .map(String::from)
        .to_vec();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("年检事项").unwrap();
    fill(
        sheet,
        &headers,
        &[
            &[
                ("事项名称", "甲"),
                ("实施部门", "乙"),
                ("拟处理意见", "保留"),
            ],
            &[
                ("事项名称", "丙"),
                ("检验周期", "2年"),
                ("拟处理意见", "保留"),
            ],
        ],
    );
    let sheet = workbook.add_worksheet().set_name("指定培训").unwrap();
    fill(
        sheet,
        &headers,
        &[&[
            ("事项名称", "丁"),
            ("实施部门", "乙"),
            ("拟处理意见", "保留"),
        ]],
    );
    let r = read("a.xlsx", &workbook.save_to_buffer().unwrap());
    let errors: Vec<_> = r
        .errors
        .iter()
        .map(|e| {
            (
                e.sheet.as_str(),
                e.cell.as_deref(),
                e.column.as_deref(),
                e.code.as_str(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("年检事项", Some("C2"), Some("检验周期"), "required"),
            ("年检事项", Some("B3"), Some("实施部门"), "required"),
            // The training sheet has no 挂钩环节 column at all: one error for the sheet.
            ("指定培训", None, Some("挂钩环节"), "missing_column"),
        ]
    );
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn merged_cells_fill_the_rows_they_cover() {
    let headers: Vec<String> = ["事项名称", "实施部门", "检验周期", "设定依据", "拟处理意见"]
        .map(String::from)
        .to_vec();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("年检事项").unwrap();
    fill(
        sheet,
        &headers,
        &[
            &[
                ("事项名称", "甲"),
                ("检验周期", "每年"),
                ("拟处理意见", "保留"),
            ],
            &[
                ("事项名称", "乙"),
                ("检验周期", "每年"),
                ("拟处理意见", "保留"),
            ],
            &[
                ("事项名称", "丙"),
                ("检验周期", "每年"),
                ("拟处理意见", "保留"),
            ],
        ],
    );
    let plain = rust_xlsxwriter::Format::new();
    sheet
        .merge_range(1, 1, 3, 1, "省交通运输厅", &plain)
        .unwrap();
    sheet
        .merge_range(
            1,
            3,
            2,
            3,
            "《中华人民共和国道路运输条例》第六十七条",
            &plain,
        )
        .unwrap();
    let r = read("a.xlsx", &workbook.save_to_buffer().unwrap());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(r.items.iter().all(|i| i.draft.department == "省交通运输厅"));
    let bases: Vec<usize> = r.items.iter().map(|i| i.draft.legal_bases.len()).collect();
    assert_eq!(bases, [1, 1, 0]);
    assert!(r.notices.iter().any(|n| n.code == "merged_cells"));
}

#[test]
fn a_header_over_two_rows_and_a_title_above() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("年检").unwrap();
    let plain = rust_xlsxwriter::Format::new();
    sheet
        .merge_range(0, 0, 0, 5, "某某厅年检事项清理表", &plain)
        .unwrap();
    sheet.write_string(1, 0, "填报单位：某某厅").unwrap();
    for (c, h) in [
        "序号",
        "事项名称",
        "实施部门",
        "检验周期（年）",
        "设定依据",
        "",
        "拟处理意见",
    ]
    .iter()
    .enumerate()
    {
        if !h.is_empty() {
            sheet.write_string(3, c as u16, *h).unwrap();
        }
    }
    sheet.write_string(4, 4, "法律依据").unwrap();
    sheet.write_string(4, 5, "依据层级").unwrap();
    let row = [
        "1",
        "锅炉定期检验",
        "省质监局",
        "2",
        "《特种设备安全监察条例》第二十八条",
        "行政法规",
        "保留",
    ];
    for (c, v) in row.iter().enumerate() {
        sheet.write_string(5, c as u16, *v).unwrap();
    }
    sheet.write_string(7, 0, "备注：本表由某某处填写").unwrap();
    sheet.write_string(8, 1, "这一行在说明之后，不读").unwrap();
    let r = read("a.xlsx", &workbook.save_to_buffer().unwrap());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.sheets[0].header_row, 4);
    assert_eq!(r.items.len(), 1);
    let d = &r.items[0].draft;
    assert_eq!(d.cycle_months, Some(24), "a bare 2 under 检验周期（年）");
    assert_eq!(d.legal_bases.len(), 1);
    assert!(
        !d.legal_bases[0].level_inferred,
        "the level comes from the sub-header column"
    );
}

/// A sheet of a header and `items` rows under two title rows.
fn sheet_of(items: u32) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("年检事项").unwrap();
    sheet.write_string(0, 0, "山东省年检事项清理表").unwrap();
    sheet.write_string(1, 0, "填报单位：某厅").unwrap();
    for (c, h) in ["事项名称", "实施部门", "检验周期", "拟处理意见"]
        .iter()
        .enumerate()
    {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    for r in 3..3 + items {
        sheet.write_string(r, 0, format!("事项{r}")).unwrap();
        sheet.write_string(r, 1, "某厅").unwrap();
        sheet.write_string(r, 2, "每年").unwrap();
        sheet.write_string(r, 3, "保留").unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

#[test]
fn the_row_cap_counts_data_rows_so_a_full_sheet_under_its_titles_reads() {
    let limits = Limits {
        max_rows: 100,
        ..Limits::default()
    };
    let report = read_workbook("full.xlsx", &sheet_of(100), &limits, Lang::Zh).unwrap();
    assert_eq!(report.items.len(), 100);
}

#[test]
fn over_the_row_cap_the_message_names_the_limit() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("年检事项").unwrap();
    for (c, h) in ["事项名称", "实施部门", "检验周期", "拟处理意见"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=140u32 {
        sheet.write_string(r, 0, format!("事项{r}")).unwrap();
        sheet.write_string(r, 1, "某厅").unwrap();
        sheet.write_string(r, 2, "每年").unwrap();
        sheet.write_string(r, 3, "保留").unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let limits = Limits {
        max_rows: 100,
        ..Limits::default()
    };
    let e = read_workbook("big.xlsx", &bytes, &limits, Lang::Zh)
        .err()
        .unwrap();
    assert_eq!(e.code, FileErrorCode::TooManyRows);
    assert!(
        e.message(Lang::Zh).contains("100 行"),
        "{}",
        e.message(Lang::Zh)
    );
    assert!(e.message(Lang::Zh).contains("年检事项"));
    assert!(
        e.message(Lang::En).contains("100 data rows"),
        "{}",
        e.message(Lang::En)
    );
    // The same workbook under the default caps reads.
    assert_eq!(read("big.xlsx", &bytes).summary.items, 140);

    let cells = Limits {
        max_cells: 200,
        ..Limits::default()
    };
    let e = read_workbook("big.xlsx", &bytes, &cells, Lang::Zh)
        .err()
        .unwrap();
    assert_eq!(e.code, FileErrorCode::TooManyCells);
    assert!(
        e.message(Lang::Zh).contains("200"),
        "{}",
        e.message(Lang::Zh)
    );

    let size = Limits {
        max_uncompressed_bytes: 4096,
        ..Limits::default()
    };
    let e = read_workbook("big.xlsx", &bytes, &size, Lang::Zh)
        .err()
        .unwrap();
    assert_eq!(e.code, FileErrorCode::TooLarge);
}

fn zip_part(bytes: &[u8], prefix: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = String::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        if file.name().is_ok_and(|n| n.starts_with(prefix)) {
            file.read_to_string(&mut out).unwrap();
        }
    }
    out
}

#[test]
fn the_annotated_workbook_keeps_the_values_and_marks_the_errors() {
    let path = format!(
        "{}/tests/fixtures/openpyxl_errors.xlsx",
        env!("CARGO_MANIFEST_DIR")
    );
    let original = std::fs::read(path).unwrap();
    let report = read("openpyxl_errors.xlsx", &original);
    let annotated = annotate(&report, &original, "openpyxl_errors.xlsx", Lang::Zh).unwrap();

    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(annotated.clone())).unwrap();
    assert_eq!(
        workbook.sheet_names(),
        ["错误清单", "年检事项", "指定培训", "临时数据"]
    );
    let list = workbook.worksheet_range("错误清单").unwrap();
    assert_eq!(list.get_value((0, 3)), Some(&Data::String("问题".into())));
    let listed: Vec<String> = (1..=6)
        .map(|r| {
            list.get_value((r, 1))
                .map(|d| d.to_string())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(listed, ["I6", "B7", "K8", "J9", "H10", "N7"]);
    assert_eq!(list.get_value((7, 0)), None, "exactly the six errors");

    // Values at the same addresses as in the original.
    let sheet = workbook.worksheet_range("年检事项").unwrap();
    assert_eq!(
        sheet.get_value((5, 8)),
        Some(&Data::String("每隔好久".into())),
        "I6"
    );
    assert_eq!(
        sheet.get_value((7, 10)),
        Some(&Data::String("看情况".into())),
        "K8"
    );
    assert_eq!(
        sheet.get_value((3, 1)),
        Some(&Data::String("事项名称*".into())),
        "B4"
    );
    let mut original_book: Xlsx<_> = Xlsx::new(Cursor::new(original.clone())).unwrap();
    let before = original_book.worksheet_range("年检事项").unwrap();
    for (row, col, value) in before.used_cells() {
        let at = (
            before.start().unwrap().0 + row as u32,
            before.start().unwrap().1 + col as u32,
        );
        assert_eq!(sheet.get_value(at), Some(value), "{at:?}");
    }
    // The hidden sheet stays hidden.
    let hidden = workbook
        .sheets_metadata()
        .iter()
        .find(|s| s.name == "临时数据")
        .unwrap()
        .visible;
    assert_ne!(hidden, calamine::SheetVisible::Visible);

    // Each marked cell carries its message in a note.
    let notes = zip_part(&annotated, "xl/comments");
    for error in &report.errors {
        assert!(notes.contains(&error.message), "note for {:?}", error.cell);
    }
    assert!(
        notes.contains("ref=\"I6\"")
            && notes.contains("ref=\"B7\"")
            && notes.contains("ref=\"N7\"")
    );
    // And the marked cells have a fill of their own.
    let styles = zip_part(&annotated, "xl/styles.xml");
    assert!(styles.contains("FFFFC7CE"), "the red fill");

    // A corrected annotated workbook reads again without complaint about the errors sheet.
    let again = read("openpyxl_errors.xlsx", &annotated);
    assert_eq!(again.errors.len(), 6, "{:#?}", again.errors);
    assert!(again.errors.iter().all(|e| e.sheet != "错误清单"));
}

#[test]
fn an_annotated_csv_and_a_clean_file() {
    let path = format!("{}/tests/fixtures/utf8_bom.csv", env!("CARGO_MANIFEST_DIR"));
    let original = std::fs::read(path).unwrap();
    let report = read("utf8_bom.csv", &original);
    let annotated = annotate(&report, &original, "utf8_bom.csv", Lang::En).unwrap();
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(annotated)).unwrap();
    assert_eq!(workbook.sheet_names(), ["错误清单", "utf8_bom"]);
    let list = workbook.worksheet_range("错误清单").unwrap();
    assert_eq!(
        list.get_value((1, 0)),
        Some(&Data::String("No errors found.".into()))
    );
    let sheet = workbook.worksheet_range("utf8_bom").unwrap();
    assert_eq!(
        sheet.get_value((3, 1)),
        Some(&Data::String("道路运输经营许可证年度审验".into()))
    );
}
