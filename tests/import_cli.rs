//! `nianjian import` as a clerk or a script runs it: exit codes 0/1/2 of CONTRACTS.md, the JSON
//! report, dry runs with no database at all, the annotated workbook, the child-process limits,
//! and the commit into a real database.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::prelude::*;
use nianjian::db::schema::{items, submissions};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn nianjian(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nianjian"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("NIANJIAN_CONFIG")
        .env("NIANJIAN_LOG", "error");
    cmd
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = nianjian(dir);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run nianjian")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn a_clean_workbook_reads_with_exit_0_and_the_contract_shape() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("openpyxl_template_like.xlsx");
    // No database anywhere: a dry run needs none.
    let out = run(
        dir.path(),
        &["import", "--dry-run", "--json", file.to_str().unwrap()],
        &[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    for key in ["file", "sha256", "sheets", "items", "errors", "summary"] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
    assert_eq!(r["file"], "openpyxl_template_like.xlsx");
    assert_eq!(r["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(r["summary"]["items"], 18);
    assert_eq!(r["summary"]["errors"], 0);
    let item = &r["items"][0];
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
    ] {
        assert!(item.get(key).is_some(), "item lacks {key}: {item}");
    }
    // Never an empty string where there is no value.
    let text = serde_json::to_string(&r["items"]).unwrap();
    assert!(!text.contains("\"\""), "empty strings in the report");
    assert!(
        !dir.path().join("data").exists(),
        "a dry run must not create a database"
    );
}

/// A dry run without `--json` has its report from the parse child without the items (it prints
/// only the summary and the findings): the same counts, the same errors, the same annotated
/// workbook as the run that carries every item.
#[test]
fn a_dry_run_printing_the_summary_says_what_the_json_report_says() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("openpyxl_errors.xlsx");
    let (full_marked, summary_marked) = (dir.path().join("a.xlsx"), dir.path().join("b.xlsx"));
    let full = run(
        dir.path(),
        &[
            "import",
            "--dry-run",
            "--json",
            "--annotate",
            full_marked.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        &[],
    );
    let human = run(
        dir.path(),
        &[
            "import",
            "--dry-run",
            "--annotate",
            summary_marked.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(human.status.code(), Some(1), "errors: exit 1 either way");
    assert_eq!(full.status.code(), human.status.code());
    let r = json(&full);
    let s = &r["summary"];
    assert!(s["items"].as_u64().unwrap() > 0);
    let text = String::from_utf8_lossy(&human.stdout);
    let counts = format!(
        "共 {} 项（年检 {}，指定培训 {}），错误 {} 处，警告 {} 条",
        s["items"], s["inspections"], s["trainings"], s["errors"], s["warnings"]
    );
    assert!(text.contains(&counts), "{counts} not in:\n{text}");
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(text.matches("  ✗ ").count(), errors.len(), "{text}");
    for e in errors {
        let cell = format!(
            "{}!{}",
            e["sheet"].as_str().unwrap(),
            e["cell"].as_str().unwrap_or("-")
        );
        assert!(text.contains(&cell), "{cell} not in:\n{text}");
    }
    // Compared by content: the two files differ in their creation time whenever the runs
    // straddle a second (the bytes were compared once, and failed so).
    let full_cells = workbook_cells(&full_marked);
    assert!(
        full_cells.len() > 1,
        "the error list and the sheets: {full_cells:?}"
    );
    assert_eq!(
        full_cells,
        workbook_cells(&summary_marked),
        "the same annotated workbook"
    );
}

/// Every sheet of a workbook with the text of every cell, in order.
fn workbook_cells(path: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::{Data, Reader};
    let mut workbook = calamine::open_workbook_auto(path).unwrap();
    workbook
        .sheet_names()
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|row| row.iter().map(Data::to_string).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

#[test]
fn row_errors_exit_1_with_cells_and_the_annotated_workbook_marks_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("openpyxl_errors.xlsx");
    let annotated = dir.path().join("marked.xlsx");
    let out = run(
        dir.path(),
        &[
            "import",
            "--dry-run",
            "--json",
            "--annotate",
            annotated.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let r = json(&out);
    let cells: Vec<String> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}!{}",
                e["sheet"].as_str().unwrap(),
                e["cell"].as_str().unwrap_or("-")
            )
        })
        .collect();
    for want in [
        "年检事项!I6",
        "年检事项!B7",
        "年检事项!K8",
        "年检事项!J9",
        "指定培训!N7",
    ] {
        assert!(cells.contains(&want.to_string()), "{want} not in {cells:?}");
    }
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    );
    // The annotated workbook opens and has the errors sheet.
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(&annotated).expect("annotated workbook opens");
    let names = wb.sheet_names();
    assert!(names.iter().any(|n| n.contains("错误")), "{names:?}");
    assert!(wb.worksheet_range("年检事项").is_ok());

    // English on request.
    let out = run(
        dir.path(),
        &[
            "import",
            "--dry-run",
            "--json",
            "--lang",
            "en",
            file.to_str().unwrap(),
        ],
        &[],
    );
    let r = json(&out);
    let english = r["errors"][0]["message"].as_str().unwrap();
    assert!(english.starts_with("Cannot read"), "{english}");
}

#[test]
fn unusable_files_exit_2_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "empty.xlsx",
        "encrypted.xlsx",
        "truncated.xlsx",
        "not_a_workbook.xlsx",
        "no_header.xlsx",
        "zip_bomb.xlsx",
        "sst_count_lie.xlsx",
        "far_cells.xlsx",
        "entity_expansion.xlsx",
        "many_members.xlsx",
    ] {
        let out = run(
            dir.path(),
            &["import", "--dry-run", fixture(name).to_str().unwrap()],
            &[],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}");
    }
}

#[test]
fn a_parse_that_overruns_its_limits_kills_only_the_child() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("openpyxl_template_like.xlsx");
    for env in [
        // No time at all: the parent kills the child.
        [
            ("NIANJIAN_IMPORT_TIMEOUT_SECS", "0"),
            ("NIANJIAN_IMPORT_MEMORY_MIB", "1536"),
        ],
        // Too little memory to run: the child dies.
        [
            ("NIANJIAN_IMPORT_TIMEOUT_SECS", "30"),
            ("NIANJIAN_IMPORT_MEMORY_MIB", "8"),
        ],
    ] {
        let out = run(
            dir.path(),
            &["import", "--dry-run", file.to_str().unwrap()],
            &env,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{env:?}: {stderr}");
        assert!(stderr.contains("上限"), "{stderr}");

        // The same when the file is stored as it is read (the department named): the
        // transaction already open is undone and nothing is stored.
        let url = seeded_sqlite(dir.path(), &format!("limits-{}.db", env[1].1));
        let env = [env[0], env[1], ("DATABASE_URL", url.as_str())];
        let out = run(
            dir.path(),
            &["import", "--department", "SD-JT", file.to_str().unwrap()],
            &env,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{env:?}: {stderr}");
        assert!(stderr.contains("上限"), "{stderr}");
        assert!(
            stderr.contains("正在读取并保存"),
            "the streamed route: {stderr}"
        );
        let db = nianjian::db::Db::open(&nianjian::db::DatabaseUrl::parse(&url).unwrap()).unwrap();
        let mut conn = db.conn().unwrap();
        assert_eq!(
            submissions::table
                .count()
                .get_result::<i64>(&mut conn)
                .unwrap(),
            0
        );
        assert_eq!(
            items::table.count().get_result::<i64>(&mut conn).unwrap(),
            0
        );
    }
}

#[test]
fn an_upload_over_the_size_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.xlsx");
    std::fs::write(&big, vec![b'x'; 2 * 1024 * 1024]).unwrap();
    let out = run(
        dir.path(),
        &["import", "--dry-run", big.to_str().unwrap()],
        &[("NIANJIAN_UPLOAD_LIMIT_MIB", "1")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("MiB") || stderr.contains("上限"),
        "{stderr}"
    );
}

#[test]
fn import_commits_into_the_database_and_identical_bytes_are_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("x.db");
    let url = format!("sqlite://{}", db_path.display());
    {
        let db = nianjian::db::Db::open(&nianjian::db::DatabaseUrl::parse(&url).unwrap()).unwrap();
        let mut conn = db.conn().unwrap();
        let region = common::seed::region(&mut conn, "370000", "山东省", "province", None);
        common::seed::department(&mut conn, region, "SD-JT", "山东省交通运输厅");
        common::seed::round(&mut conn, region, "2026年清理");
    }
    let file = fixture("openpyxl_template_like.xlsx");
    let args = [
        "import",
        "--department",
        "SD-JT",
        "--json",
        file.to_str().unwrap(),
    ];
    let out = run(dir.path(), &args, &[("DATABASE_URL", &url)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    assert_eq!(r["submission"]["outcome"], "stored");
    assert_eq!(r["submission"]["added"].as_array().unwrap().len(), 18);

    let again = run(dir.path(), &args, &[("DATABASE_URL", &url)]);
    assert_eq!(json(&again)["submission"]["outcome"], "unchanged");

    // A file with row errors stores nothing and exits 1.
    let bad = run(
        dir.path(),
        &[
            "import",
            "--department",
            "SD-JT",
            fixture("openpyxl_errors.xlsx").to_str().unwrap(),
        ],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(bad.status.code(), Some(1));

    let db = nianjian::db::Db::open(&nianjian::db::DatabaseUrl::parse(&url).unwrap()).unwrap();
    let mut conn = db.conn().unwrap();
    assert_eq!(
        submissions::table
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap(),
        1
    );
    assert_eq!(
        items::table.count().get_result::<i64>(&mut conn).unwrap(),
        18
    );
}

#[test]
fn template_writes_a_workbook_that_imports_clean_once_filled_by_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("模板.xlsx");
    let out = run(
        dir.path(),
        &["template", "-o", out_path.to_str().unwrap()],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use calamine::Reader;
    let wb = calamine::open_workbook_auto(&out_path).expect("template opens");
    let names = wb.sheet_names();
    assert!(
        names.contains(&"年检事项".to_string()) && names.contains(&"指定培训".to_string()),
        "{names:?}"
    );
}

/// A fresh SQLite database with the province, one department (SD-JT) and one round.
fn seeded_sqlite(dir: &Path, name: &str) -> String {
    let url = format!("sqlite://{}", dir.join(name).display());
    let db = nianjian::db::Db::open(&nianjian::db::DatabaseUrl::parse(&url).unwrap()).unwrap();
    let mut conn = db.conn().unwrap();
    let region = common::seed::region(&mut conn, "370000", "山东省", "province", None);
    common::seed::department(&mut conn, region, "SD-JT", "山东省交通运输厅");
    common::seed::round(&mut conn, region, "2026年清理");
    url
}

/// An item as [`stored_lines`] reads it: id, row, name, identity key, cycle, kind, open
/// severities, self-set.
type ItemLine = (i64, i64, String, String, Option<i64>, String, i64, bool);
/// A basis: item, position, title, article, level, level inferred, document.
type BasisLine = (
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    bool,
    Option<i64>,
);

/// Every stored item with its bases and findings, one line each, in row order: what two
/// imports of the same file must agree on (ids and times left out).
fn stored_lines(url: &str) -> Vec<String> {
    use nianjian::db::schema::{finding_messages, findings, legal_bases};
    let db = nianjian::db::Db::open(&nianjian::db::DatabaseUrl::parse(url).unwrap()).unwrap();
    let mut conn = db.conn().unwrap();
    let rows: Vec<ItemLine> = items::table
        .select((
            items::id,
            items::row_number,
            items::name,
            items::identity_key,
            items::cycle_months,
            items::kind,
            items::open_severities,
            items::self_set,
        ))
        .order(items::row_number)
        .load(&mut conn)
        .unwrap();
    let bases: Vec<BasisLine> = legal_bases::table
        .select((
            legal_bases::item_id,
            legal_bases::position,
            legal_bases::title,
            legal_bases::article,
            legal_bases::level,
            legal_bases::level_inferred,
            legal_bases::document_id,
        ))
        .order((legal_bases::item_id, legal_bases::position))
        .load(&mut conn)
        .unwrap();
    let found: Vec<(i64, String, String, String, bool)> = findings::table
        .inner_join(finding_messages::table)
        .select((
            findings::item_id,
            findings::code,
            findings::severity,
            finding_messages::message_zh,
            findings::resolved,
        ))
        .order((findings::item_id, findings::code))
        .load(&mut conn)
        .unwrap();
    let row_of: std::collections::HashMap<i64, i64> = rows.iter().map(|r| (r.0, r.1)).collect();
    let mut lines: Vec<String> = rows
        .iter()
        .map(|(_, row, name, key, cycle, kind, bits, self_set)| {
            format!("item {row} {name} {key} {cycle:?} {kind} {bits} {self_set}")
        })
        .collect();
    lines.extend(
        bases
            .iter()
            .map(|(item, pos, title, article, level, inferred, doc)| {
                format!(
                    "basis {} {pos} {title} {article:?} {level:?} {inferred} {doc:?}",
                    row_of[item]
                )
            }),
    );
    lines.extend(
        found
            .iter()
            .map(|(item, code, severity, message, resolved)| {
                format!(
                    "finding {} {code} {severity} {message} {resolved}",
                    row_of[item]
                )
            }),
    );
    lines
}

/// Rows of the big workbooks below: past the point (5,000 item rows of a sheet) after which
/// the parse child hands items over while it still reads.
const STREAMED_ROWS: usize = 6_000;

#[test]
fn a_big_file_stored_while_it_is_read_matches_the_file_read_first_and_stored_after() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = common::workbook::workbook_bytes(STREAMED_ROWS, 0);
    let file = dir.path().join("big.xlsx");
    std::fs::write(&file, &bytes).unwrap();

    // The command line with the department named: read and stored at once, on every backend.
    let backends = common::TestDb::all();
    for test_db in &backends {
        let mut conn = test_db.db.conn().unwrap();
        let region = common::seed::region(&mut conn, "370000", "山东省", "province", None);
        common::seed::department(&mut conn, region, "SD-JT", "山东省交通运输厅");
        common::seed::round(&mut conn, region, "2026年清理");
    }
    let streamed: Vec<String> = backends
        .iter()
        .map(|t| common::instances::url_text(&t.url))
        .collect();
    for url in &streamed {
        let out = run(
            dir.path(),
            &[
                "import",
                "--department",
                "SD-JT",
                "--round",
                "1",
                file.to_str().unwrap(),
            ],
            &[("DATABASE_URL", url)],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{url}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("共 {STREAMED_ROWS} 项")),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!("新增 {STREAMED_ROWS}")),
            "{stdout}"
        );
    }

    // The same bytes read whole in this process, then stored.
    let whole = seeded_sqlite(dir.path(), "whole.db");
    {
        let db =
            nianjian::db::Db::open(&nianjian::db::DatabaseUrl::parse(&whole).unwrap()).unwrap();
        let mut conn = db.conn().unwrap();
        let limits = nianjian::sheets::Limits::default();
        let mut report = nianjian::sheets::read_workbook(
            "big.xlsx",
            &bytes,
            &limits,
            nianjian::domain::Lang::Zh,
        )
        .unwrap();
        let upload = nianjian::service::import::Upload {
            round_id: 1,
            department_id: 1,
            file_name: "big.xlsx",
            bytes: &bytes,
            uploaded_by: None,
        };
        nianjian::service::import::commit_report(
            &mut conn,
            &nianjian::db::audit::Actor::cli(),
            &upload,
            &mut report,
        )
        .unwrap();
        assert_eq!(
            report.items.len(),
            STREAMED_ROWS,
            "the items are given back"
        );
    }
    let b = stored_lines(&whole);
    assert!(b.len() > 2 * STREAMED_ROWS, "items, bases and findings");
    for url in &streamed {
        let a = stored_lines(url);
        assert_eq!(a.len(), b.len(), "{url}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "{url}");
        }
    }

    // The JSON report of a streamed import still lists every item, in file order.
    let json_db = seeded_sqlite(dir.path(), "json.db");
    let out = run(
        dir.path(),
        &[
            "import",
            "--department",
            "SD-JT",
            "--json",
            file.to_str().unwrap(),
        ],
        &[("DATABASE_URL", &json_db)],
    );
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out);
    let listed = r["items"].as_array().unwrap();
    assert_eq!(listed.len(), STREAMED_ROWS);
    assert!(
        listed
            .windows(2)
            .all(|w| w[0]["row"].as_u64() < w[1]["row"].as_u64())
    );
    assert_eq!(r["summary"]["items"], STREAMED_ROWS);
    assert_eq!(r["submission"]["outcome"], "stored");
}

#[test]
fn a_streaming_read_lets_go_of_the_items_it_hands_on_and_still_counts_them() {
    let bytes = common::workbook::workbook_bytes(STREAMED_ROWS, 0);
    let limits = nianjian::sheets::Limits::default();
    let lang = nianjian::domain::Lang::Zh;
    let whole = nianjian::sheets::read_workbook("big.xlsx", &bytes, &limits, lang).unwrap();
    let mut streamed = Vec::new();
    let report =
        nianjian::sheets::read_workbook_streaming("big.xlsx", &bytes, &limits, lang, &mut |s| {
            match s {
                nianjian::sheets::Streamed::Items(items) => streamed.extend_from_slice(items),
                nianjian::sheets::Streamed::Reset => panic!("no merged cells here"),
            }
        })
        .unwrap();
    // Every item handed on, as the whole read has it; none kept; the summary counts them all.
    assert_eq!(streamed, whole.items);
    assert!(report.items.is_empty(), "{} items kept", report.items.len());
    assert_eq!(report.summary, whole.summary);
    assert!(
        report.summary.warnings > 0,
        "the workbook has warnings to count"
    );
    assert_eq!(report.sheets, whole.sheets);
}

#[test]
fn merged_cells_found_after_items_were_streamed_make_the_commit_start_again() {
    use nianjian::sheets::spec::Field;
    let dir = tempfile::tempdir().unwrap();
    // Items 5,600–5,602 leave 实施部门 (required) to a cell merged over them from item 5,599:
    // only at the sheet's end is that known, after thousands of items have been handed over.
    let bytes = common::workbook::workbook_bytes_with(STREAMED_ROWS, 0, |sheet, col| {
        let c = col[&Field::Department];
        sheet
            .merge_range(
                5_600,
                c,
                5_603,
                c,
                "省交通运输厅合并填报",
                &rust_xlsxwriter::Format::new(),
            )
            .unwrap();
    });
    let file = dir.path().join("merged.xlsx");
    std::fs::write(&file, &bytes).unwrap();

    // The reader says so: items streamed, then a reset, and the report has them all.
    let (mut streamed, mut resets) = (0usize, 0usize);
    let report = nianjian::sheets::read_workbook_streaming(
        "merged.xlsx",
        &bytes,
        &nianjian::sheets::Limits::default(),
        nianjian::domain::Lang::Zh,
        &mut |s| match s {
            nianjian::sheets::Streamed::Items(items) => streamed += items.len(),
            nianjian::sheets::Streamed::Reset => resets += 1,
        },
    )
    .unwrap();
    assert!(
        streamed >= 5_000,
        "{streamed} items streamed before the reset"
    );
    assert_eq!(resets, 1);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.items.len(), STREAMED_ROWS);
    assert_eq!(report.items[5_601].draft.department, "省交通运输厅合并填报");

    // The command line stores the file as it finally reads.
    let url = seeded_sqlite(dir.path(), "merged.db");
    let out = run(
        dir.path(),
        &["import", "--department", "SD-JT", file.to_str().unwrap()],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let db = nianjian::db::Db::open(&nianjian::db::DatabaseUrl::parse(&url).unwrap()).unwrap();
    let mut conn = db.conn().unwrap();
    assert_eq!(
        items::table.count().get_result::<i64>(&mut conn).unwrap(),
        STREAMED_ROWS as i64
    );
    assert_eq!(
        submissions::table
            .select(submissions::item_count)
            .first::<i64>(&mut conn)
            .unwrap(),
        STREAMED_ROWS as i64
    );
}

#[test]
fn an_error_at_the_end_of_a_streamed_file_stores_nothing() {
    use nianjian::sheets::spec::Field;
    let dir = tempfile::tempdir().unwrap();
    let bytes = common::workbook::workbook_bytes_with(STREAMED_ROWS, 0, |sheet, col| {
        sheet
            .write_string(STREAMED_ROWS as u32, col[&Field::Cycle], "看情况再定")
            .unwrap();
    });
    let file = dir.path().join("late-error.xlsx");
    std::fs::write(&file, &bytes).unwrap();
    let url = seeded_sqlite(dir.path(), "late.db");
    let out = run(
        dir.path(),
        &["import", "--department", "SD-JT", file.to_str().unwrap()],
        &[("DATABASE_URL", &url)],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("看情况再定"),
        "the cell is quoted: {stdout}"
    );
    assert!(stdout.contains("未保存任何内容"), "{stdout}");
    let db = nianjian::db::Db::open(&nianjian::db::DatabaseUrl::parse(&url).unwrap()).unwrap();
    let mut conn = db.conn().unwrap();
    assert_eq!(
        items::table.count().get_result::<i64>(&mut conn).unwrap(),
        0
    );
    assert_eq!(
        submissions::table
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap(),
        0
    );
}
