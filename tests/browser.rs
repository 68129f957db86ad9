//! Browser tests (issue #6 §4) in a real headless Chromium, driven through chromedriver with
//! fantoccini: the demo's data served by the real binary on a loopback port, the public list,
//! search, filters, an item, the diff between the demo's two versions, the xlsx download, and the
//! office's pages. Screenshots at phone (375 px) and desktop width are saved under
//! `target/tmp/browser/` (and also into `NIANJIAN_SCREENSHOTS`, when set, which is how the
//! README's pictures in `docs/screenshots/` are refreshed).
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`).
//! Without them the test says SKIPPED loudly and passes; under `CI=true` it fails instead.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const PASSWORD: &str = "nianjian-demo-2017";
const PHONE: u32 = 375;
const DESKTOP: u32 = 1280;

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not listen on 127.0.0.1:{port} within 60 s");
}

fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// chromium and chromedriver, or a loud skip (a failure under `CI=true`).
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = find_program("NIANJIAN_CHROMIUM", &["chromium", "chromium-browser"]);
    let driver = find_program("NIANJIAN_CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        (c, d) => {
            let missing = format!(
                "{}{}",
                if c.is_none() { "chromium " } else { "" },
                if d.is_none() { "chromedriver" } else { "" }
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but {missing} is missing: .ci/run installs chromium and chromium-driver"
                );
            }
            eprintln!(
                "SKIPPED browser tests: {missing} not found (apt-get install chromium chromium-driver)"
            );
            None
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// The demo's data (two published versions) served by the real binary.
struct Site {
    dir: tempfile::TempDir,
    _server: Killed,
    base: String,
}

fn demo_site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("imports"),
        &dir.path().join("imports"),
    );
    let nianjian = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_nianjian"));
        c.args(args)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("NIANJIAN_CONFIG")
            .env("NIANJIAN_LOG", "warn");
        c
    };
    let out = nianjian(&["demo", "--no-serve"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let mut child = nianjian(&["serve"])
        .env("NIANJIAN_ADDRESS", "127.0.0.1")
        .env("NIANJIAN_PORT", port.to_string())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, "nianjian serve", &mut child);
    Site {
        dir,
        _server: Killed(child),
        base: format!("http://127.0.0.1:{port}"),
    }
}

/// A headless Chromium session through chromedriver, downloading into `downloads`.
async fn open_browser(chromium: &Path, driver: &Path, downloads: &Path) -> (Killed, Client) {
    let port = free_port();
    let mut child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, "chromedriver", &mut child);
    let driver = Killed(child);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--lang=zh-CN",
                     format!("--window-size={DESKTOP},900")],
            "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
                "intl.accept_languages": "zh-CN,zh"
            }
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a chromedriver session");
    (driver, client)
}

fn artefacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sets the window width, checks the page does not overflow sideways, saves a screenshot.
async fn shot(c: &Client, name: &str, width: u32) {
    c.set_window_size(width, 900).await.unwrap();
    let (scroll, inner) = page_widths(c).await;
    assert!(
        scroll <= inner + 1,
        "{name} at {width} px: the page is {scroll} px wide in a {inner} px viewport"
    );
    let png = c.screenshot().await.unwrap();
    let file = format!("{name}-{width}.png");
    std::fs::write(artefacts().join(&file), &png).unwrap();
    if let Some(dir) = std::env::var_os("NIANJIAN_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(&file), &png).unwrap();
    }
}

async fn page_widths(c: &Client) -> (u64, u64) {
    let v = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
}

async fn both_widths(c: &Client, name: &str) {
    shot(c, name, PHONE).await;
    shot(c, name, DESKTOP).await;
}

async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn sign_in(c: &Client, base: &str, user: &str) {
    c.goto(&format!("{base}/signin")).await.unwrap();
    c.find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    // Signed in: the sign-out button shows.
    click(c, "form button[type=submit]", "form[action='/signout']").await;
}

async fn sign_out(c: &Client) {
    click(c, "form[action='/signout'] button", "a[href^='/signin']").await;
}

/// The `href` of the first link `selector` picks.
async fn href(c: &Client, selector: &str) -> String {
    c.find(css(selector))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap()
}

#[rocket::async_test]
async fn the_public_site_and_the_office_pages_in_a_real_browser() {
    let Some((chromium, driver)) = browser() else {
        return;
    };
    let site = demo_site();
    let downloads = site.dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let (_driver, c) = open_browser(&chromium, &driver, &downloads).await;
    let base = site.base.clone();

    let result = flows(&c, &base, &downloads).await;
    let _ = c.close().await;
    result.unwrap();
}

fn css(s: &str) -> Locator<'_> {
    Locator::Css(s)
}

async fn text_of(c: &Client, selector: &str) -> String {
    c.find(css(selector)).await.unwrap().text().await.unwrap()
}

/// Clicks the element `selector` picks, then waits for `then` to be on the (next) page.
async fn click(c: &Client, selector: &str, then: &str) {
    c.find(css(selector)).await.unwrap().click().await.unwrap();
    c.wait().for_element(css(then)).await.unwrap();
}

/// Every row of the list must contain `word`.
async fn every_row_contains(c: &Client, word: &str) -> usize {
    let rows = c.find_all(css("[data-testid=item-row]")).await.unwrap();
    assert!(!rows.is_empty(), "no rows: {}", body_text(c).await);
    for row in &rows {
        let t = row.text().await.unwrap();
        assert!(t.contains(word), "a row without {word}: {t}");
    }
    rows.len()
}

async fn count(c: &Client, selector: &str) -> usize {
    c.find_all(css(selector)).await.unwrap().len()
}

/// Waits for a finished download ending in `ext` (Chromium writes `.crdownload` until done).
fn wait_for_download(dir: &Path, ext: &str) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(p) = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|e| e == ext))
        {
            return p;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no .{ext} downloaded into {} within 30 s", dir.display());
}

async fn flows(c: &Client, base: &str, downloads: &Path) -> Result<(), String> {
    // The public list: the home page of an anonymous visitor, the demo's latest version (2).
    c.goto(&format!("{base}/"))
        .await
        .map_err(|e| e.to_string())?;
    let rows = count(c, "[data-testid=item-row]").await;
    assert!(rows > 0, "the retained list has rows");
    assert_eq!(text_of(c, "[data-testid=figure-retained]").await, "28");
    both_widths(c, "public-list").await;

    // Search: every row found names 特种设备.
    let q = c.find(css("[data-testid=search-q]")).await.unwrap();
    q.send_keys("特种设备").await.unwrap();
    click(
        c,
        "[data-testid=search-submit]",
        "[data-testid=search-clear]",
    )
    .await;
    every_row_contains(c, "特种设备").await;
    both_widths(c, "public-search").await;

    // Filter by a department: every row is that department's.
    c.goto(&format!("{base}/")).await.unwrap();
    let select = c
        .find(css("[data-testid=filter-department]"))
        .await
        .unwrap();
    select.select_by_label("山东省公安厅").await.unwrap();
    click(
        c,
        "[data-testid=search-submit]",
        "[data-testid=search-clear]",
    )
    .await;
    assert!(every_row_contains(c, "公安厅").await < rows);

    // Open an item: its bases and cycles.
    let link = c.find(css("[data-testid=item-link]")).await.unwrap();
    let name = link.text().await.unwrap();
    link.click().await.unwrap();
    c.wait()
        .for_element(css("[data-testid=item-detail]"))
        .await
        .unwrap();
    assert!(body_text(c).await.contains(&name));
    assert!(count(c, "[data-testid=item-bases] li").await > 0);
    both_widths(c, "public-item").await;

    // The diff between the demo's two versions: version 2 added 省公安厅's nine items.
    c.goto(&format!("{base}/")).await.unwrap();
    click(c, "[data-testid=diff-link]", "[data-testid=diff-summary]").await;
    let added = text_of(c, "[data-testid=diff-added]").await;
    assert!(added.contains("校车安全技术检验"), "{added}");
    assert_eq!(count(c, "ul[data-testid=diff-added] > li").await, 9);
    both_widths(c, "public-diff").await;

    // Download the xlsx from the list page and read it.
    c.goto(&format!("{base}/")).await.unwrap();
    c.find(css("[data-testid=download-xlsx]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap(); // a download: no page to wait for
    let file = wait_for_download(downloads, "xlsx");
    {
        use calamine::Reader;
        let mut wb = calamine::open_workbook_auto(&file).unwrap();
        let sheets = wb.sheet_names().to_vec();
        assert!(sheets.len() >= 5, "{sheets:?}");
        let mut all = String::new();
        for s in &sheets {
            let range = wb.worksheet_range(s).unwrap();
            for row in range.rows() {
                for cell in row {
                    all.push_str(&cell.to_string());
                    all.push('\t');
                }
            }
        }
        assert!(
            all.contains("校车安全技术检验"),
            "the xlsx lacks version 2's items"
        );
        assert!(all.contains("山东省"), "the title names the region");
    }

    // A department's clerk checks the rejected file: the import report with its cells.
    sign_in(c, base, "tianbao05").await;
    c.goto(&format!("{base}/rounds")).await.unwrap();
    let upload = href(c, "a[href$='/upload']").await;
    c.goto(&format!("{base}{upload}")).await.unwrap();
    let rejected = Path::new(env!("CARGO_MANIFEST_DIR")).join("imports/05_省公安厅.xlsx");
    c.find(css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(&rejected.to_string_lossy())
        .await
        .unwrap();
    click(c, "form[enctype] button[type=submit]", "#report-heading").await;
    let report = body_text(c).await;
    assert!(
        report.contains("年检事项!I4"),
        "the report names the cell: {report}"
    );
    both_widths(c, "import-report").await;
    sign_out(c).await;

    // The office's review: the consolidated list and an item with its decision form.
    sign_in(c, base, "shenhe").await;
    c.goto(&format!("{base}/rounds")).await.unwrap();
    let items = href(c, "a[href$='/items']").await;
    c.goto(&format!("{base}{items}")).await.unwrap();
    assert!(body_text(c).await.contains("机动车安全技术检验"));
    both_widths(c, "review-list").await;
    let first = href(c, "table a[href^='/items/']").await;
    c.goto(&format!("{base}{first}")).await.unwrap();
    // Every demo item is published: its state says so, its decision history shows, and a
    // published item offers no decision form.
    assert!(body_text(c).await.contains("已公布"));
    assert!(count(c, "table tbody tr").await > 0, "the decision history");
    assert_eq!(count(c, "form[action$='/decision']").await, 0);
    both_widths(c, "review-item").await;

    // The dashboard of the round: charts, each with its table of the same numbers.
    c.goto(&format!("{base}/rounds")).await.unwrap();
    let dashboard = href(c, "a[href$='/dashboard']").await;
    c.goto(&format!("{base}{dashboard}")).await.unwrap();
    assert!(
        count(c, "img[src*='/dashboard/']").await >= 3,
        "three charts"
    );
    assert!(
        count(c, "table caption").await >= 3,
        "a table for each chart"
    );
    let loaded = c
        .execute(
            "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        loaded,
        serde_json::Value::Bool(true),
        "every chart image loads"
    );
    c.execute(
        "document.querySelector('figure, .chart').scrollIntoView();",
        vec![],
    )
    .await
    .unwrap();
    both_widths(c, "dashboard").await;
    sign_out(c).await;
    Ok(())
}
