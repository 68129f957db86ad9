//! `nianjian demo --no-serve` in a temporary folder: the publication and the exports it makes,
//! and a second run that starts fresh without losing the first database.

use std::path::Path;
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn demo(dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nianjian"))
        .args(["demo", "--no-serve"])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("NIANJIAN_CONFIG")
        .env("NIANJIAN_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn the_demo_publishes_and_exports_the_departments_lists() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("imports"),
        &dir.path().join("imports"),
    );
    let out = demo(dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("最新为第 2 版"), "{stdout}");
    assert!(
        stdout.contains("05_省公安厅.xlsx: 6 处错误"),
        "the file with mistakes is rejected: {stdout}"
    );

    // Two versions: the first without 省公安厅 (its file came back corrected), the second with
    // its nine items. The JSON exports: counts per list and a few known items.
    let read_json = |n: u32| -> serde_json::Value {
        serde_json::from_slice(
            &std::fs::read(
                dir.path()
                    .join(format!("exports/publication-370000-{n}.json")),
            )
            .unwrap(),
        )
        .unwrap()
    };
    let counts = |json: &serde_json::Value| {
        let count = |l: &str| json["lists"][l].as_array().map_or(0, Vec::len);
        (
            count("retained"),
            count("converted"),
            count("cancelled"),
            count("trainings"),
        )
    };
    let first = read_json(1);
    assert_eq!(counts(&first), (25, 17, 17, 16));
    assert!(
        !first.to_string().contains("校车安全技术检验"),
        "省公安厅 waits for version 2"
    );
    let json = read_json(2);
    assert_eq!(counts(&json), (28, 18, 20, 18));
    let lists = &json["lists"];
    let names = |l: &str| -> Vec<String> {
        lists[l]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        names("converted")
            .iter()
            .any(|n| n.contains("企业年度检验") || n.contains("企业年检")),
        "{:?}",
        names("converted")
    );
    assert!(
        names("retained").iter().any(|n| n.contains("特种设备")),
        "{:?}",
        names("retained")
    );
    // 机动车安全技术检验 is kept once, under 省公安厅, and cancelled as 省交通运输厅's duplicate.
    let cancelled = lists["cancelled"].as_array().unwrap();
    assert!(
        cancelled.iter().any(
            |i| i["name"].as_str().unwrap().contains("机动车安全技术检验")
                && i["department"].as_str().unwrap().contains("交通")
        ),
        "{cancelled:?}"
    );

    // The xlsx opens and has a sheet per list; the annotated workbook of the rejected file exists.
    use calamine::Reader;
    let wb =
        calamine::open_workbook_auto(dir.path().join("exports/publication-370000-2.xlsx")).unwrap();
    assert!(wb.sheet_names().len() >= 5, "{:?}", wb.sheet_names());
    assert!(dir.path().join("exports/05_省公安厅-批注.xlsx").exists());
    let csv = std::fs::read(dir.path().join("exports/publication-370000-2.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "CSV with BOM");

    // The audit chain of the demo holds.
    let verify = Command::new(env!("CARGO_BIN_EXE_nianjian"))
        .args(["audit", "verify"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // `nianjian export` gives the same bytes as the demo's export (exports are byte-identical).
    let exported = Command::new(env!("CARGO_BIN_EXE_nianjian"))
        .args([
            "export",
            "--publication",
            "latest",
            "--format",
            "json",
            "-o",
            "again.json",
        ])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    assert_eq!(
        std::fs::read(dir.path().join("again.json")).unwrap(),
        std::fs::read(dir.path().join("exports/publication-370000-2.json")).unwrap()
    );

    // Again: fresh, and the first database is moved aside, not deleted.
    let again = demo(dir.path());
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(dir.path().join("data/nianjian.db.bak").exists());
}
