//! Every fixture of tests/fixtures/README.md through `read_workbook`, with its expected outcome.

use nianjian::domain::{BasisLevel, Disposition, Kind, Lang, TiedTo};
use nianjian::sheets::{FileErrorCode, ImportReport, Limits, ReportItem, read_workbook};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(name: &str) -> ImportReport {
    read_workbook(name, &fixture(name), &Limits::default(), Lang::Zh)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn refused(name: &str) -> FileErrorCode {
    match read_workbook(name, &fixture(name), &Limits::default(), Lang::Zh) {
        Ok(report) => panic!("{name} was read: {:?}", report.summary),
        Err(e) => {
            assert!(!e.message(Lang::Zh).is_empty() && !e.message(Lang::En).is_empty());
            e.code
        }
    }
}

fn item<'r>(report: &'r ImportReport, sheet: &str, row: u32) -> &'r ReportItem {
    report
        .items
        .iter()
        .find(|i| i.sheet == sheet && i.row == row)
        .unwrap_or_else(|| panic!("no item at {sheet}!{row}"))
}

fn sheets(report: &ImportReport) -> Vec<(&str, Option<Kind>, u32, u32)> {
    report
        .sheets
        .iter()
        .map(|s| (s.name.as_str(), s.kind, s.header_row, s.rows))
        .collect()
}

fn levels(item: &ReportItem) -> Vec<Option<BasisLevel>> {
    item.draft.legal_bases.iter().map(|b| b.level).collect()
}

fn notice_codes(report: &ImportReport) -> Vec<&str> {
    report.notices.iter().map(|n| n.code.as_str()).collect()
}

/// The template-like workbook as openpyxl, LibreOffice (xlsx, xlsm, ods) and xlwt wrote it,
/// and as an .xlsx named .csv.
#[test]
fn the_template_like_workbook_in_every_format() {
    for name in [
        "openpyxl_template_like.xlsx",
        "libreoffice.xlsx",
        "libreoffice.xlsm",
        "libreoffice.ods",
        "xlwt.xls",
        "wrong_extension.csv",
    ] {
        let r = read(name);
        assert_eq!(
            sheets(&r),
            [
                ("年检事项", Some(Kind::Inspection), 4, 10),
                ("指定培训", Some(Kind::Training), 4, 8)
            ],
            "{name}"
        );
        assert!(r.errors.is_empty(), "{name}: {:?}", r.errors);
        assert_eq!(r.exit_code(), 0);
        assert_eq!(
            (r.summary.items, r.summary.inspections, r.summary.trainings),
            (18, 10, 8)
        );
        assert!(
            r.notices
                .iter()
                .any(|n| n.code == "hidden_sheet" && n.sheet.as_deref() == Some("临时数据")),
            "{name}: {:?}",
            r.notices
        );

        let first = &item(&r, "年检事项", 5).draft;
        assert_eq!(first.name, "道路运输经营许可证年度审验", "{name}");
        assert_eq!(first.department, "省交通运输厅");
        assert_eq!(first.licence_code.as_deref(), Some("JT-XK-0101"));
        assert_eq!(
            (first.cycle_months, first.cycle_text.as_deref()),
            (Some(12), Some("每年一次"))
        );
        assert_eq!(first.annual_report, Some(false));
        assert_eq!(first.proposed, Some(Disposition::ExtendCycle));
        assert_eq!(first.proposed_cycle_months, Some(24));
        assert_eq!(
            levels(item(&r, "年检事项", 5)),
            [
                Some(BasisLevel::AdminRegulation),
                Some(BasisLevel::DepartmentalRule)
            ]
        );
        assert_eq!(first.legal_bases[0].title, "中华人民共和国道路运输条例");
        assert_eq!(first.legal_bases[0].article.as_deref(), Some("第六十七条"));

        // (row, cycle months, annual report, proposal, number of bases)
        type Expected = (u32, Option<u32>, Option<bool>, Disposition, usize);
        let expected: [Expected; 10] = [
            (5, Some(12), Some(false), Disposition::ExtendCycle, 2),
            (
                6,
                Some(12),
                Some(false),
                Disposition::ConvertToAnnualReport,
                2,
            ),
            (7, Some(36), Some(false), Disposition::Retain, 2),
            (8, Some(12), Some(false), Disposition::ExtendCycle, 1),
            (9, Some(12), Some(true), Disposition::Retain, 1),
            (10, Some(24), Some(false), Disposition::Retain, 2),
            (11, Some(6), Some(false), Disposition::Retain, 2),
            (12, None, Some(false), Disposition::Retain, 2),
            (13, Some(24), Some(false), Disposition::Cancel, 1),
            (14, Some(12), Some(false), Disposition::Cancel, 1),
        ];
        for (row, months, annual, proposed, bases) in expected {
            let d = &item(&r, "年检事项", row).draft;
            assert_eq!(d.cycle_months, months, "{name} row {row}");
            assert_eq!(d.annual_report, annual, "{name} row {row}");
            assert_eq!(d.proposed, Some(proposed), "{name} row {row}");
            assert_eq!(d.legal_bases.len(), bases, "{name} row {row}");
        }
        assert_eq!(
            item(&r, "年检事项", 12).draft.cycle_text.as_deref(),
            Some("不定期")
        );
        assert_eq!(
            item(&r, "年检事项", 8).draft.proposed_cycle_months,
            Some(24)
        );
        assert!(item(&r, "年检事项", 8).draft.legal_bases[0].level_inferred);
        assert_eq!(
            levels(item(&r, "年检事项", 13)),
            [Some(BasisLevel::NormativeDocument)]
        );
        assert_eq!(
            levels(item(&r, "年检事项", 14)),
            [Some(BasisLevel::LocalRegulation)]
        );
        assert!(item(&r, "年检事项", 14).draft.self_set());
        let codes = |row| -> Vec<String> {
            item(&r, "年检事项", row)
                .findings
                .iter()
                .map(|f| f.code.clone())
                .collect()
        };
        assert!(
            codes(7).contains(&"R04".to_string()),
            "{name}: {:?}",
            codes(7)
        );

        let trainings: [(u32, &str, TiedTo, f64, bool, Disposition); 8] = [
            (
                5,
                "机动车驾驶员培训",
                TiedTo::Issuance,
                62.0,
                false,
                Disposition::Standardise,
            ),
            (
                6,
                "出租汽车驾驶员从业资格培训",
                TiedTo::Issuance,
                24.0,
                true,
                Disposition::Standardise,
            ),
            (
                7,
                "出租汽车驾驶员继续教育",
                TiedTo::Inspection,
                27.0,
                false,
                Disposition::Retain,
            ),
            (
                8,
                "道路运输驾驶员继续教育",
                TiedTo::Inspection,
                24.0,
                true,
                Disposition::Standardise,
            ),
            (
                9,
                "道路危险货物运输从业人员岗前培训",
                TiedTo::Issuance,
                40.0,
                false,
                Disposition::Retain,
            ),
            (
                10,
                "道路客运驾驶员安全警示教育",
                TiedTo::Both,
                8.0,
                false,
                Disposition::Standardise,
            ),
            (
                11,
                "机动车维修技术人员岗位培训",
                TiedTo::Issuance,
                32.0,
                true,
                Disposition::Cancel,
            ),
            (
                12,
                "港口危险货物作业人员培训",
                TiedTo::Issuance,
                24.0,
                false,
                Disposition::Retain,
            ),
        ];
        for (row, training, tied, hours, designated, proposed) in trainings {
            let d = &item(&r, "指定培训", row).draft;
            assert_eq!(d.kind, Some(Kind::Training));
            assert_eq!(d.name, training, "{name} row {row}");
            assert_eq!(d.tied_to, Some(tied), "{name} row {row}");
            assert_eq!(d.hours, Some(hours), "{name} row {row}");
            assert_eq!(d.provider_designated, Some(designated), "{name} row {row}");
            assert_eq!(d.proposed, Some(proposed), "{name} row {row}");
            assert_eq!(d.cycle_months, None);
        }
        assert_eq!(
            item(&r, "指定培训", 6).draft.fee_basis.as_deref(),
            Some("鲁价费发〔2012〕85号")
        );
        assert_eq!(levels(item(&r, "指定培训", 9)).len(), 2);
    }
}

#[test]
fn the_wrong_extension_is_noticed() {
    let r = read("wrong_extension.csv");
    assert_eq!(r.format, nianjian::sheets::Format::Xlsx);
    assert!(notice_codes(&r).contains(&"extension_mismatch"));
    assert!(!notice_codes(&read("openpyxl_template_like.xlsx")).contains(&"extension_mismatch"));
    assert!(!notice_codes(&read("libreoffice.xlsm")).contains(&"extension_mismatch"));
    assert!(!notice_codes(&read("xlwt.xls")).contains(&"extension_mismatch"));
}

/// Exactly the seven deliberate mistakes (six cells: G10/H10 are one mismatch, at the levels).
#[test]
fn the_errors_workbook_reports_exactly_its_mistakes() {
    let r = read("openpyxl_errors.xlsx");
    type Place<'a> = (
        &'a str,
        Option<&'a str>,
        Option<u32>,
        Option<&'a str>,
        &'a str,
    );
    let errors: Vec<Place<'_>> = r
        .errors
        .iter()
        .map(|e| {
            (
                e.sheet.as_str(),
                e.cell.as_deref(),
                e.row,
                e.column.as_deref(),
                e.code.as_str(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (
                "年检事项",
                Some("I6"),
                Some(6),
                Some("检验周期*"),
                "cycle_unreadable"
            ),
            (
                "年检事项",
                Some("B7"),
                Some(7),
                Some("事项名称*"),
                "required"
            ),
            (
                "年检事项",
                Some("K8"),
                Some(8),
                Some("拟处理意见*"),
                "disposition_unknown"
            ),
            (
                "年检事项",
                Some("J9"),
                Some(9),
                Some("是否已改为年度报告公示"),
                "yes_no_unreadable"
            ),
            (
                "年检事项",
                Some("H10"),
                Some(10),
                Some("依据层级"),
                "basis_level_mismatch"
            ),
            (
                "指定培训",
                Some("N7"),
                Some(7),
                Some("拟处理意见*"),
                "disposition_unknown"
            ),
        ]
    );
    assert_eq!(r.exit_code(), 1);
    assert_eq!(r.summary.errors, 6);
    // Messages quote the bad text, in the language asked for.
    assert!(
        r.errors[0].message.contains("每隔好久"),
        "{}",
        r.errors[0].message
    );
    assert!(r.errors[2].message.contains("看情况") && r.errors[2].message.contains("保留"));
    assert!(r.errors[3].message.contains("待定"));
    assert!(r.errors[1].message.contains("事项名称") && !r.errors[1].message.contains('*'));
    let en = read_workbook(
        "openpyxl_errors.xlsx",
        &fixture("openpyxl_errors.xlsx"),
        &Limits::default(),
        Lang::En,
    )
    .unwrap();
    assert!(
        en.errors[0].message.contains("Cannot read"),
        "{}",
        en.errors[0].message
    );
    assert!(
        en.errors[1].message.contains("required"),
        "{}",
        en.errors[1].message
    );
    // Rows with errors are still listed, with what could be read.
    assert_eq!(item(&r, "年检事项", 7).draft.department, "省交通运输厅");
}

#[test]
fn one_sheet_with_a_kind_column_and_synonym_headers() {
    let r = read("single_sheet_kind_column.xlsx");
    assert_eq!(sheets(&r), [("清理事项", None, 1, 9)]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    for row in [2, 3, 5, 6, 8, 10] {
        assert_eq!(
            item(&r, "清理事项", row).draft.kind,
            Some(Kind::Inspection),
            "row {row}"
        );
        assert!(
            item(&r, "清理事项", row).draft.cycle_months.is_some(),
            "row {row}"
        );
    }
    for row in [4, 7, 9] {
        let d = &item(&r, "清理事项", row).draft;
        assert_eq!(d.kind, Some(Kind::Training), "row {row}");
        assert!(d.tied_to.is_some(), "row {row}");
    }
    assert!(
        r.items
            .iter()
            .flat_map(|i| &i.draft.legal_bases)
            .all(|b| b.level_inferred)
    );
    let nine = &item(&r, "清理事项", 9).draft;
    assert_eq!(
        levels(item(&r, "清理事项", 9)),
        [Some(BasisLevel::NormativeDocument)]
    );
    assert_eq!(nine.proposed, Some(Disposition::Cancel));
    assert!(item(&r, "清理事项", 10).draft.self_set());
    assert_eq!(item(&r, "清理事项", 2).draft.department, "省质监局");
}

#[test]
fn traditional_and_english_headers_stray_spaces_and_full_width_digits() {
    let r = read("traditional_english_headers.xlsx");
    assert_eq!(
        sheets(&r),
        [
            ("年檢事項", Some(Kind::Inspection), 1, 4),
            ("Annual inspections", Some(Kind::Inspection), 1, 4)
        ]
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let unknown: Vec<_> = r
        .notices
        .iter()
        .filter(|n| n.code == "unknown_column")
        .collect();
    assert_eq!(unknown.len(), 2);
    assert!(
        unknown
            .iter()
            .all(|n| n.column.as_deref() == Some("联系人"))
    );

    let t = |row| &item(&r, "年檢事項", row).draft;
    assert_eq!(t(2).name, "道路运输证年审");
    assert_eq!(t(2).department, "省交通运输厅");
    assert_eq!(t(2).proposed, Some(Disposition::ExtendCycle));
    assert_eq!(t(3).department, "省交通运输厅");
    assert_eq!(
        (t(3).cycle_months, t(4).cycle_months, t(5).cycle_months),
        (Some(36), Some(6), Some(24))
    );

    let e = |row| &item(&r, "Annual inspections", row).draft;
    assert_eq!(e(2).name, "特种设备定期检验");
    assert_eq!(e(3).department, "省市场监管局");
    assert_eq!((e(3).cycle_months, e(5).cycle_months), (Some(12), Some(12)));
    let proposed: Vec<_> = (2..=5).map(|row| e(row).proposed).collect();
    assert_eq!(
        proposed,
        [
            Some(Disposition::Retain),
            Some(Disposition::ExtendCycle),
            Some(Disposition::ConvertToAnnualReport),
            Some(Disposition::Cancel)
        ]
    );
}

#[test]
fn csv_files_as_excel_and_scripts_save_them() {
    let gbk = read("gbk_excel_china.csv");
    assert_eq!(
        sheets(&gbk),
        [("gbk_excel_china", Some(Kind::Inspection), 1, 10)]
    );
    assert!(gbk.errors.is_empty(), "{:?}", gbk.errors);
    assert!(notice_codes(&gbk).contains(&"encoding"));
    let first = &item(&gbk, "gbk_excel_china", 2).draft;
    assert_eq!(first.name, "道路运输经营许可证年度审验");
    assert_eq!(
        first.legal_bases.len(),
        2,
        "a line break inside quotes splits the bases"
    );
    assert!(first.reason.as_deref().is_some_and(|r| r.contains("AAA级")));
    let quoted = &item(&gbk, "gbk_excel_china", 3).draft;
    assert!(
        quoted
            .remarks
            .as_deref()
            .is_some_and(|r| r.contains("\"两客一危\"")),
        "{:?}",
        quoted.remarks
    );

    let bom = read("utf8_bom.csv");
    assert_eq!(sheets(&bom), [("utf8_bom", Some(Kind::Inspection), 3, 10)]);
    assert!(bom.errors.is_empty(), "{:?}", bom.errors);
    assert!(!notice_codes(&bom).contains(&"encoding"));
    assert_eq!(
        item(&bom, "utf8_bom", 4).draft.name,
        "道路运输经营许可证年度审验"
    );

    let plain = read("utf8_nobom.csv");
    assert_eq!(
        sheets(&plain),
        [("utf8_nobom", Some(Kind::Inspection), 1, 10)]
    );
    assert!(plain.errors.is_empty(), "{:?}", plain.errors);
    // The three CSVs hold the same items.
    let names = |r: &ImportReport| {
        r.items
            .iter()
            .map(|i| i.draft.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&gbk), names(&bom));
    assert_eq!(names(&gbk), names(&plain));
    let cycles = |r: &ImportReport| {
        r.items
            .iter()
            .map(|i| i.draft.cycle_months)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        cycles(&gbk),
        cycles(&read("openpyxl_template_like.xlsx"))[..10]
    );
}

#[test]
fn files_that_cannot_be_used_say_why() {
    let cases = [
        ("encrypted.xlsx", FileErrorCode::Encrypted),
        ("truncated.xlsx", FileErrorCode::Truncated),
        ("empty.xlsx", FileErrorCode::EmptyFile),
        ("not_a_workbook.xlsx", FileErrorCode::NotAWorkbook),
        ("no_header.xlsx", FileErrorCode::NoHeader),
        ("zip_bomb.xlsx", FileErrorCode::ZipBomb),
        ("many_members.xlsx", FileErrorCode::ZipBomb),
        ("sst_count_lie.xlsx", FileErrorCode::TooManyCells),
        ("far_cells.xlsx", FileErrorCode::TooManyRows),
        ("entity_expansion.xlsx", FileErrorCode::UnsupportedXml),
        // Two header words only: not a header, and the lying dimension costs nothing.
        ("dimension_lie.xlsx", FileErrorCode::NoHeader),
    ];
    for (name, code) in cases {
        assert_eq!(refused(name), code, "{name}");
    }
}

#[test]
fn refusals_name_the_limit() {
    let bomb = read_workbook(
        "zip_bomb.xlsx",
        &fixture("zip_bomb.xlsx"),
        &Limits::default(),
        Lang::Zh,
    )
    .err()
    .unwrap();
    assert!(
        bomb.message(Lang::Zh).contains("200:1"),
        "{}",
        bomb.message(Lang::Zh)
    );
    let members = read_workbook(
        "m.xlsx",
        &fixture("many_members.xlsx"),
        &Limits::default(),
        Lang::Zh,
    )
    .err()
    .unwrap();
    assert!(
        members.message(Lang::Zh).contains("1000"),
        "{}",
        members.message(Lang::Zh)
    );
    // Under a lower ratio cap the bomb is still refused, and under a generous one its size is.
    let limits = Limits {
        max_ratio: 10_000,
        ..Limits::default()
    };
    let large = read_workbook(
        "zip_bomb.xlsx",
        &fixture("zip_bomb.xlsx"),
        &limits,
        Lang::Zh,
    )
    .err()
    .unwrap();
    assert_eq!(large.code, FileErrorCode::TooLarge);
    assert!(
        large.message(Lang::Zh).contains("200 MiB"),
        "{}",
        large.message(Lang::Zh)
    );
    let far = read_workbook(
        "far.xlsx",
        &fixture("far_cells.xlsx"),
        &Limits::default(),
        Lang::En,
    )
    .err()
    .unwrap();
    assert!(
        far.message(Lang::En).contains("100000"),
        "{}",
        far.message(Lang::En)
    );
}

#[test]
fn the_report_serialises_as_the_contract_shows() {
    let r = read("openpyxl_errors.xlsx");
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "file", "sha256", "sheets", "items", "errors", "summary", "notices",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    let item = &json["items"][0];
    for key in [
        "sheet",
        "row",
        "kind",
        "name",
        "department",
        "licence",
        "target",
        "cycle_months",
        "cycle_text",
        "annual_report",
        "legal_bases",
        "self_set",
        "proposed",
        "proposed_cycle_months",
        "reason",
        "findings",
        "licence_code",
        "remarks",
        "tied_to",
        "hours",
        "fee",
        "fee_basis",
        "provider",
        "provider_designated",
    ] {
        assert!(item.get(key).is_some(), "items[0].{key}");
    }
    // No empty strings anywhere: a missing value is null.
    fn no_empty_strings(v: &serde_json::Value, path: &str) {
        match v {
            serde_json::Value::String(s) => assert!(!s.is_empty(), "{path} is \"\""),
            serde_json::Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, v)| no_empty_strings(v, &format!("{path}[{i}]"))),
            serde_json::Value::Object(o) => o
                .iter()
                .for_each(|(k, v)| no_empty_strings(v, &format!("{path}.{k}"))),
            _ => {}
        }
    }
    no_empty_strings(&json, "");
    let missing_name = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["row"] == 7 && i["sheet"] == "年检事项")
        .unwrap();
    assert!(missing_name["name"].is_null());
    assert_eq!(json["summary"]["items"], 18);
    // And it reads back as it was.
    let back: ImportReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn snapshot_of_the_errors_report() {
    let r = read("openpyxl_errors.xlsx");
    insta::assert_json_snapshot!("openpyxl_errors_report", r, { ".sha256" => "[sha256]" });
}
