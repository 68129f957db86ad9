//! The public side, through HTTP, on every backend: the JSON API over two publications of the
//! province (lists, filters, Chinese search, paging, diff, an item's history, downloads with
//! ETags), the pages, and the bad input of issue #6 — never a 500, never an injection.

mod common;

use common::seed::{basis, inspection, training};
use common::{Persona, TestApp, with_cookie};
use diesel::prelude::*;
use nianjian::db::DbConnection;
use nianjian::db::audit::Actor;
use nianjian::db::schema::items;
use nianjian::domain::{BasisLevel, Disposition, ItemDraft};
use nianjian::service::decisions::{self as dec, DecisionInput};
use nianjian::service::import::{self, StatedItem, SubmissionInput};
use nianjian::service::publish;
use rocket::http::{Header, Status};
use rocket::local::blocking::LocalResponse;
use serde_json::Value;
use sha2::{Digest, Sha256};

const ROAD: &str = "道路运输经营许可证年度审验";
const TAXI: &str = "出租汽车经营资格年审";
const HAZARD: &str = "危险品<b>运输</b>许可年审";
const CANCELLED: &str = "某某证年检";
const CONVERTED: &str = "建筑业企业资质年检";
const TRAINING: &str = "机动车驾驶人培训";
const PORT: &str = "港口经营许可证年检";
const DRAFT: &str = "草稿事项年审";
const SHIP: &str = "船舶检验证书年度检验";

fn law(title: &str) -> Vec<nianjian::domain::LegalBasis> {
    vec![basis(BasisLevel::Law, title, None)]
}

fn submit(conn: &mut DbConnection, round: i64, department: i64, tag: &[u8], drafts: &[ItemDraft]) {
    let items = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| StatedItem {
            sheet: "年检事项",
            row: 5 + i as u32,
            draft: d,
        })
        .collect();
    import::commit(
        conn,
        &Actor::cli(),
        SubmissionInput {
            round_id: round,
            department_id: department,
            file_name: "清单.xlsx",
            format: "xlsx",
            bytes: tag,
            report_json: "{}".into(),
            items,
            error_count: 0,
            uploaded_by: None,
        },
    )
    .expect("submission stored");
}

fn decide(conn: &mut DbConnection, round: i64, name: &str, decision: &str, cycle: Option<u32>) {
    let id: i64 = items::table
        .filter(items::round_id.eq(round))
        .filter(items::name.eq(name))
        .select(items::id)
        .first(conn)
        .expect("item");
    dec::decide(
        conn,
        &Actor::cli(),
        round,
        id,
        &DecisionInput {
            decision: decision.into(),
            cycle_months: cycle,
            rationale: "经研究决定".into(),
            necessity: Some("经必要性评估论证".into()),
        },
    )
    .unwrap_or_else(|e| panic!("decision on {name}: {e:?}"));
}

/// Publication 1 of the province: retained ROAD (cycle 12 → 24), TAXI, HAZARD (department A)
/// and PORT (department B); CONVERTED; CANCELLED; TRAINING. DRAFT stays undecided.
/// Publication 2 (a second round): ROAD with cycle 36 and the new SHIP; everything else gone.
fn world(app: &TestApp) {
    let mut conn = app.conn();
    let c = &mut *conn;
    let r1 = common::seed::round(c, app.province, "2026年清理");
    let mut taxi = inspection(
        TAXI,
        Some(12),
        law("中华人民共和国安全生产法"),
        Disposition::Retain,
    );
    taxi.licence = Some("出租汽车驾驶员从业资格证".into());
    submit(
        c,
        r1,
        app.dept_a,
        b"a1",
        &[
            inspection(
                ROAD,
                Some(12),
                vec![basis(
                    BasisLevel::AdminRegulation,
                    "中华人民共和国道路运输条例",
                    Some("第六十七条"),
                )],
                Disposition::ExtendCycle,
            ),
            taxi,
            inspection(
                HAZARD,
                Some(24),
                law("中华人民共和国安全生产法"),
                Disposition::Retain,
            ),
            inspection(CANCELLED, Some(12), vec![], Disposition::Cancel),
            inspection(
                CONVERTED,
                Some(12),
                law("中华人民共和国建筑法"),
                Disposition::ConvertToAnnualReport,
            ),
            training(
                TRAINING,
                law("中华人民共和国道路交通安全法"),
                Disposition::Retain,
            ),
            inspection(
                DRAFT,
                Some(12),
                law("中华人民共和国安全生产法"),
                Disposition::Retain,
            ),
        ],
    );
    submit(
        c,
        r1,
        app.dept_b,
        b"b1",
        &[inspection(
            PORT,
            Some(36),
            law("中华人民共和国港口法"),
            Disposition::Retain,
        )],
    );
    decide(c, r1, ROAD, "extend_cycle", Some(24));
    decide(c, r1, TAXI, "retain", None);
    decide(c, r1, HAZARD, "retain", None);
    decide(c, r1, CANCELLED, "cancel", None);
    decide(c, r1, CONVERTED, "convert_to_annual_report", None);
    decide(c, r1, TRAINING, "retain", None);
    decide(c, r1, PORT, "retain", None);
    let p1 = publish::publish(c, &Actor::cli(), r1).expect("publication 1");
    assert_eq!((p1.number, p1.item_count), (1, 7), "{}", app.backend);

    let r2 = common::seed::round(c, app.province, "2027年清理");
    submit(
        c,
        r2,
        app.dept_a,
        b"a2",
        &[
            inspection(
                ROAD,
                Some(12),
                vec![basis(
                    BasisLevel::AdminRegulation,
                    "中华人民共和国道路运输条例",
                    Some("第六十七条"),
                )],
                Disposition::ExtendCycle,
            ),
            inspection(
                SHIP,
                Some(12),
                law("中华人民共和国船舶检验条例"),
                Disposition::Retain,
            ),
        ],
    );
    decide(c, r2, ROAD, "extend_cycle", Some(36));
    decide(c, r2, SHIP, "retain", None);
    let p2 = publish::publish(c, &Actor::cli(), r2).expect("publication 2");
    assert_eq!((p2.number, p2.item_count), (2, 2), "{}", app.backend);
}

fn json(res: LocalResponse<'_>) -> (Status, Value) {
    let status = res.status();
    let body = res.into_string().unwrap_or_default();
    let value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not json: {body}"));
    (status, value)
}

fn get(app: &TestApp, uri: &str) -> (Status, Value) {
    json(app.client.get(uri.to_string()).dispatch())
}

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {v}"))
        .iter()
        .map(|i| i["name"].as_str().unwrap_or("").to_string())
        .collect()
}

fn enc(s: &str) -> String {
    nianjian::web::pages::url_encode(s).replace('/', "%2F")
}

/// An item's public id in publication 1.
fn id_in_first(app: &TestApp, name: &str) -> i64 {
    let (_, v) = get(
        app,
        &format!("/api/v1/publications/1/items?q={}", enc(name)),
    );
    v["items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == name))
        .and_then(|i| i["id"].as_i64())
        .unwrap_or_else(|| panic!("{name} not in publication 1: {v}"))
}

#[test]
fn publications_history_summary_and_latest() {
    for app in TestApp::all() {
        world(&app);
        let b = app.backend;
        let (status, v) = get(&app, "/api/v1/publications");
        assert_eq!(status, Status::Ok, "{b}");
        assert_eq!(v["region"]["code"], "370000");
        let numbers: Vec<i64> = v["publications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["number"].as_i64().unwrap())
            .collect();
        assert_eq!(numbers, vec![2, 1], "{b}");

        let (status, v) = get(&app, "/api/v1/publications/1?region=370000");
        assert_eq!(status, Status::Ok);
        let p = &v["publication"];
        assert_eq!(p["item_count"], 7, "{b}");
        assert_eq!(p["summary"]["retained"], 4, "{b}");
        assert_eq!(p["summary"]["converted"], 1);
        assert_eq!(p["summary"]["cancelled"], 1);
        assert_eq!(p["summary"]["trainings"], 1);
        assert_eq!(p["summary"]["cycles_lengthened"], 1);
        assert_eq!(
            v["downloads"]["xlsx"],
            "/api/v1/publications/1/export.xlsx?region=370000"
        );

        let (_, v) = get(&app, "/api/v1/publications/latest");
        assert_eq!(v["publication"]["number"], 2, "{b}");
        assert_eq!(v["publication"]["item_count"], 2);
        // City A has published nothing.
        let (status, v) = get(&app, "/api/v1/publications/latest?region=370100");
        assert_eq!(status, Status::NotFound, "{b}");
        assert_eq!(v["error"]["code"], "publication_not_found");
        let (_, v) = get(&app, "/api/v1/publications?region=370100");
        assert_eq!(v["publications"].as_array().map(Vec::len), Some(0));
    }
}

#[test]
fn the_list_filters_pages_and_never_shows_drafts() {
    for app in TestApp::all() {
        world(&app);
        let b = app.backend;
        let (status, v) = get(&app, "/api/v1/publications/1/items");
        assert_eq!(status, Status::Ok, "{b}");
        assert_eq!(v["total"], 7, "{b}");
        // All lists: retained first, then converted, cancelled, trainings.
        assert_eq!(
            names(&v),
            vec![ROAD, TAXI, HAZARD, PORT, CONVERTED, CANCELLED, TRAINING],
            "{b}"
        );
        assert!(!names(&v).contains(&DRAFT.to_string()));
        let road = &v["items"][0];
        assert_eq!(road["cycle_months_before"], 12);
        assert_eq!(road["cycle_months"], 24);
        assert_eq!(road["department"], "济南市交通运输局");
        assert_eq!(road["legal_bases"][0]["article"], "第六十七条");

        let (_, v) = get(&app, "/api/v1/publications/1/items?list=retained");
        assert_eq!((v["total"].as_i64(), names(&v).len()), (Some(4), 4), "{b}");
        let (_, v) = get(&app, "/api/v1/publications/1/items?list=cancelled");
        assert_eq!(names(&v), vec![CANCELLED]);
        let (_, v) = get(&app, "/api/v1/publications/1/items?list=trainings");
        assert_eq!(names(&v), vec![TRAINING]);
        let (_, v) = get(&app, "/api/v1/publications/1/items?list=converted");
        assert_eq!(names(&v), vec![CONVERTED]);
        let (_, v) = get(&app, "/api/v1/publications/1/items?department=B");
        assert_eq!(
            (v["total"].as_i64(), names(&v)),
            (Some(1), vec![PORT.to_string()])
        );
        let (_, v) = get(&app, "/api/v1/publications/1/items?kind=training");
        assert_eq!(names(&v), vec![TRAINING], "{b}");
        let (_, v) = get(
            &app,
            "/api/v1/publications/1/items?list=cancelled&kind=training",
        );
        assert_eq!(v["total"], 0);
        let (_, v) = get(&app, "/api/v1/publications/1/items?department=NOPE");
        assert_eq!(v["total"], 0);

        // Paging.
        let (_, v) = get(
            &app,
            "/api/v1/publications/1/items?list=retained&per_page=3",
        );
        assert_eq!((v["pages"].as_i64(), names(&v).len()), (Some(2), 3), "{b}");
        let (_, v) = get(
            &app,
            "/api/v1/publications/1/items?list=retained&per_page=3&page=2",
        );
        assert_eq!(names(&v), vec![PORT], "{b}");
        // Filtered totals: counted for a full page or one past the end, told by a short page.
        for (query, total, shown) in [
            ("department=A&per_page=2", 6, 2),
            ("department=A&per_page=2&page=9", 6, 0),
            ("q=%E5%B9%B4&per_page=4&page=2", 6, 2),
            ("q=%E5%B9%B4&per_page=6", 6, 6),
            ("kind=inspection&per_page=200", 6, 6),
        ] {
            let (_, v) = get(&app, &format!("/api/v1/publications/1/items?{query}"));
            assert_eq!(
                (v["total"].as_i64(), names(&v).len()),
                (Some(total), shown),
                "{b}: {query}"
            );
        }
        let (status, v) = get(&app, "/api/v1/publications/1/items?page=4294967295");
        assert_eq!(status, Status::Ok);
        assert_eq!((v["total"].as_i64(), names(&v).len()), (Some(7), 0));
        let (_, v) = get(
            &app,
            "/api/v1/publications/1/items?q=%E5%B9%B4&page=4294967295&per_page=200",
        );
        assert_eq!(names(&v).len(), 0);

        // The latest publication has only round 2's items.
        let (_, v) = get(&app, "/api/v1/publications/latest/items");
        assert_eq!(names(&v), vec![ROAD, SHIP], "{b}");
        assert_eq!(v["items"][0]["cycle_months"], 36);
    }
}

#[test]
fn chinese_search_of_every_length_over_name_licence_bases_and_department() {
    for app in TestApp::all() {
        world(&app);
        let b = app.backend;
        let search = |q: &str| {
            let (status, v) = get(&app, &format!("/api/v1/publications/1/items?q={}", enc(q)));
            assert_eq!(status, Status::Ok, "{b}: {q}");
            names(&v)
        };
        // Trigram-long terms (FTS5 / pg_trgm).
        assert_eq!(search("道路运输"), vec![ROAD], "{b}");
        assert_eq!(search("第六十七条"), vec![ROAD], "{b}: bases are searched");
        assert_eq!(
            search("青岛市"),
            vec![PORT],
            "{b}: the department is searched"
        );
        assert_eq!(
            search("驾驶员从业"),
            vec![TAXI],
            "{b}: the licence is searched"
        );
        assert_eq!(
            search("安全生产法"),
            vec![TAXI, HAZARD],
            "{b}: drafts are not searched"
        );
        // Shorter than a trigram: LIKE on the filtered set.
        assert_eq!(search("港口"), vec![PORT], "{b}");
        assert_eq!(
            search("年"),
            vec![ROAD, TAXI, HAZARD, PORT, CONVERTED, CANCELLED],
            "{b}"
        );
        assert_eq!(search("培"), vec![TRAINING], "{b}");
        // Several terms must all match.
        assert_eq!(search("年 港口"), vec![PORT], "{b}");
        assert_eq!(search("道路 第六十七条"), vec![ROAD], "{b}");
        // Case-insensitive ASCII and search within a list.
        let (_, v) = get(
            &app,
            &format!(
                "/api/v1/publications/1/items?list=retained&q={}",
                enc("年审")
            ),
        );
        assert_eq!(names(&v), vec![TAXI, HAZARD], "{b}");
        assert_eq!(v["total"], 2);
        assert!(search(DRAFT).is_empty(), "{b}: a draft is never found");
        assert!(search("草稿").is_empty(), "{b}");
    }
}

/// A term found in more items than a search pages through: the total stops at the cap and says
/// so, the pages end there, and a page in the middle holds the right items in display order.
#[test]
fn a_search_matching_more_than_the_cap_says_so_and_pages_to_it() {
    use nianjian::service::public::SEARCH_CAP;
    let n = SEARCH_CAP as usize + 20;
    for app in TestApp::all() {
        let b = app.backend;
        {
            let mut conn = app.conn();
            let c = &mut *conn;
            let round = common::seed::round(c, app.province, "2026年清理");
            let drafts: Vec<ItemDraft> = (0..n)
                .map(|i| {
                    inspection(
                        &format!("渔业船舶第{i:04}号检验"),
                        Some(12),
                        law("中华人民共和国渔业法"),
                        Disposition::Retain,
                    )
                })
                .collect();
            submit(c, round, app.dept_a, b"many", &drafts);
            let ids: Vec<i64> = items::table
                .filter(items::round_id.eq(round))
                .order(items::id)
                .select(items::id)
                .load(c)
                .unwrap();
            dec::decide_many(
                c,
                &Actor::cli(),
                round,
                &ids,
                &DecisionInput {
                    decision: "retain".into(),
                    cycle_months: None,
                    rationale: "经研究决定".into(),
                    necessity: Some("经必要性评估论证".into()),
                },
            )
            .unwrap();
            publish::publish(c, &Actor::cli(), round).expect("publication");
        }
        for q in ["渔业船舶", "渔业"] {
            let (status, v) = get(
                &app,
                &format!("/api/v1/publications/1/items?q={}&page=3", enc(q)),
            );
            assert_eq!(status, Status::Ok, "{b}: {q}");
            assert_eq!(v["total"], SEARCH_CAP, "{b}: {q}");
            assert_eq!(v["total_capped"], true, "{b}: {q}");
            assert_eq!(v["pages"], SEARCH_CAP / 50, "{b}: {q}");
            let got = names(&v);
            assert_eq!(got.len(), 50, "{b}: {q}");
            assert_eq!(got[0], "渔业船舶第0100号检验", "{b}: {q}");
            assert_eq!(got[49], "渔业船舶第0149号检验", "{b}: {q}");
            // Past the cap: an empty page, not an error.
            let (status, v) = get(
                &app,
                &format!("/api/v1/publications/1/items?q={}&page=21", enc(q)),
            );
            assert_eq!(status, Status::Ok, "{b}: {q}");
            assert!(names(&v).is_empty(), "{b}: {q}");
        }
        // Under the cap the total is exact.
        let (_, v) = get(
            &app,
            &format!("/api/v1/publications/1/items?q={}", enc("第001")),
        );
        assert_eq!(v["total"], 10, "{b}");
        assert_eq!(v["total_capped"], false, "{b}");
        let (_, v) = get(
            &app,
            &format!("/api/v1/publications/1/items?q={}", enc("01")),
        );
        assert_eq!(v["total_capped"], false, "{b}: a two-digit term");
        assert_eq!(
            v["total"], 130,
            "{b}: a two-digit term (bigram index on SQLite)"
        );
        // The page says there are more.
        let (status, html) = page(&app, &format!("/?q={}", enc("渔业")));
        assert_eq!(status, Status::Ok, "{b}");
        assert!(html.contains("仅显示前 1000 项"), "{b}");
    }
}

const NASTY: &[&str] = &[
    "'; DROP TABLE items;--",
    "\"",
    "\"\"",
    "\"\"\"",
    "***",
    "*",
    "%_",
    "%",
    "_",
    "\\",
    "<script>alert(1)</script>",
    ".*(",
    "NEAR",
    "道路 NEAR 运输",
    "^道路运输",
    "道路运输*",
    "\"道路运输\" OR \"港口\"",
    "年检' OR '1'='1",
    "(道路)",
    "道路:运输",
    "a\u{0}b",
    "${jndi}",
];

#[test]
fn search_text_full_of_metacharacters_is_just_text() {
    for app in TestApp::all() {
        world(&app);
        let b = app.backend;
        for q in NASTY {
            let uri = format!("/api/v1/publications/1/items?q={}", enc(q));
            let (status, v) = get(&app, &uri);
            assert_eq!(status, Status::Ok, "{b}: {q:?} → {v}");
            assert_eq!(v["total"], 0, "{b}: {q:?} matched {v}");
        }
        // Metacharacters around real text neither break the query nor widen it.
        let (_, v) = get(
            &app,
            &format!("/api/v1/publications/1/items?q={}", enc("道路运输%")),
        );
        assert_eq!(v["total"], 0, "{b}");
        // The tables are all still there and unchanged.
        let count: i64 = items::table.count().get_result(&mut *app.conn()).unwrap();
        assert_eq!(count, 10, "{b}");
        let (_, v) = get(&app, "/api/v1/publications/1/items");
        assert_eq!(v["total"], 7, "{b}");
        // HTML in an item's name comes back as data in JSON, escaped on pages (see below).
        let (_, v) = get(
            &app,
            &format!("/api/v1/publications/1/items?q={}", enc("<b>运输</b>")),
        );
        assert_eq!(names(&v), vec![HAZARD], "{b}");
    }
}

fn assert_error(app: &TestApp, uri: &str, status: Status, code: &str) {
    let (got, v) = get(app, uri);
    assert_eq!(got, status, "{}: {uri} → {v}", app.backend);
    assert_eq!(v["error"]["code"], code, "{}: {uri}", app.backend);
    let message = v["error"]["message"].as_str().unwrap_or("");
    assert!(
        message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{uri}: the message should be Chinese: {message}"
    );
}

#[test]
fn bad_input_is_a_clear_4xx_in_chinese() {
    for app in TestApp::all() {
        world(&app);
        let items = "/api/v1/publications/1/items";
        assert_error(
            &app,
            "/api/v1/publications/99",
            Status::NotFound,
            "publication_not_found",
        );
        assert_error(
            &app,
            "/api/v1/publications/0",
            Status::NotFound,
            "publication_not_found",
        );
        assert_error(
            &app,
            "/api/v1/publications/abc",
            Status::NotFound,
            "publication_not_found",
        );
        assert_error(
            &app,
            "/api/v1/publications/99999999999999999999/items",
            Status::NotFound,
            "publication_not_found",
        );
        assert_error(
            &app,
            "/api/v1/publications/99/items",
            Status::NotFound,
            "publication_not_found",
        );
        assert_error(
            &app,
            "/api/v1/publications/1/diff/99",
            Status::NotFound,
            "publication_not_found",
        );
        assert_error(
            &app,
            "/api/v1/publications/latest?region=999999",
            Status::NotFound,
            "region_not_found",
        );
        assert_error(
            &app,
            "/api/v1/publications?region=999999",
            Status::NotFound,
            "region_not_found",
        );
        assert_error(
            &app,
            "/api/v1/publications?region=abc%00",
            Status::BadRequest,
            "bad_region",
        );
        assert_error(
            &app,
            "/api/v1/published-items/999999",
            Status::NotFound,
            "item_not_found",
        );
        assert_error(
            &app,
            "/api/v1/published-items/abc",
            Status::NotFound,
            "item_not_found",
        );
        assert_error(
            &app,
            "/api/v1/publications/1/export.docx",
            Status::NotFound,
            "not_found",
        );
        assert_error(
            &app,
            "/api/v1/publications/99/export.csv",
            Status::NotFound,
            "publication_not_found",
        );
        for (query, code) in [
            ("list=foo", "bad_list"),
            ("list=%3Cscript%3E", "bad_list"),
            ("kind=annual", "bad_kind"),
            ("page=abc", "bad_page"),
            ("page=0", "bad_page"),
            ("page=-1", "bad_page"),
            ("page=99999999999999999999", "bad_page"),
            ("per_page=0", "bad_per_page"),
            ("per_page=10000", "bad_per_page"),
            ("per_page=201", "bad_per_page"),
            ("per_page=x", "bad_per_page"),
            ("department=%27%3B%20DROP", "bad_department"),
            ("department=a%00b", "bad_department"),
        ] {
            assert_error(&app, &format!("{items}?{query}"), Status::BadRequest, code);
        }
        // Bytes that are not UTF-8, and very long text: never a 500.
        for query in [
            "q=%FF%FE",
            "page=%FF",
            "department=%C0%80",
            "q=%E9%81",
            "region=%FF",
        ] {
            let res = app.client.get(format!("{items}?{query}")).dispatch();
            assert!(
                res.status().code < 500,
                "{}: {query} → {}",
                app.backend,
                res.status()
            );
        }
        let long = "证".repeat(5_000);
        let (status, v) = get(&app, &format!("{items}?q={}", enc(&long)));
        assert_eq!((status, v["total"].as_i64()), (Status::Ok, Some(0)));
        // English through the switch.
        let (_, v) = get(&app, &format!("{items}?list=foo&lang=en"));
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("list must be")
        );
    }
}

#[test]
fn diff_and_an_items_history_across_versions() {
    for app in TestApp::all() {
        world(&app);
        let b = app.backend;
        let (status, v) = get(&app, "/api/v1/publications/1/diff/2");
        assert_eq!(status, Status::Ok, "{b}");
        assert_eq!(
            (v["from"]["number"].as_i64(), v["to"]["number"].as_i64()),
            (Some(1), Some(2))
        );
        assert_eq!(
            names(&serde_json::json!({"items": v["added"]})),
            vec![SHIP],
            "{b}"
        );
        let mut removed = names(&serde_json::json!({"items": v["removed"]}));
        removed.sort();
        let mut expected: Vec<String> = [TAXI, HAZARD, PORT, CONVERTED, CANCELLED, TRAINING]
            .iter()
            .map(|s| s.to_string())
            .collect();
        expected.sort();
        assert_eq!(removed, expected, "{b}");
        let changed = v["changed"].as_array().unwrap();
        assert_eq!(changed.len(), 1, "{b}: {v}");
        assert_eq!(changed[0]["name"], ROAD);
        assert_eq!(changed[0]["changes"][0]["field"], "cycle_months");
        assert_eq!(changed[0]["changes"][0]["before"], 24);
        assert_eq!(changed[0]["changes"][0]["after"], 36);
        let (_, v) = get(&app, "/api/v1/publications/latest/diff/1");
        assert_eq!(v["added"].as_array().map(Vec::len), Some(6), "{b}");

        let road = id_in_first(&app, ROAD);
        let (status, v) = get(&app, &format!("/api/v1/published-items/{road}"));
        assert_eq!(status, Status::Ok, "{b}");
        assert_eq!(v["item"]["name"], ROAD);
        assert_eq!(
            v["item"]["legal_bases"][0]["title"],
            "中华人民共和国道路运输条例"
        );
        assert_eq!(v["publication"]["number"], 1);
        let history = v["history"].as_array().unwrap();
        assert_eq!(history.len(), 2, "{b}: {v}");
        assert_eq!(
            (history[0]["number"].as_i64(), history[0]["event"].as_str()),
            (Some(1), Some("added"))
        );
        assert_eq!(history[1]["event"], "changed");
        assert_eq!(history[1]["changes"][0]["field"], "cycle_months");
        assert_eq!(history[1]["changes"][0]["after"], 36);
        assert!(
            history[1]["published_item_id"]
                .as_i64()
                .is_some_and(|id| id != road)
        );

        let cancelled = id_in_first(&app, CANCELLED);
        let (_, v) = get(&app, &format!("/api/v1/published-items/{cancelled}"));
        let events: Vec<&str> = v["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["event"].as_str().unwrap())
            .collect();
        assert_eq!(events, vec!["added", "removed"], "{b}");
    }
}

fn header<'a>(res: &'a LocalResponse<'_>, name: &str) -> &'a str {
    res.headers().get_one(name).unwrap_or("")
}

#[test]
fn downloads_are_attachments_with_strong_etags_and_304() {
    for app in TestApp::all() {
        world(&app);
        let b = app.backend;
        for ext in ["xlsx", "csv", "json"] {
            let uri = format!("/api/v1/publications/1/export.{ext}");
            let res = app.client.get(uri.clone()).dispatch();
            assert_eq!(res.status(), Status::Ok, "{b}: {uri}");
            assert!(
                header(&res, "Content-Disposition")
                    .starts_with("attachment; filename=\"publication-370000-1.")
            );
            assert!(header(&res, "Cache-Control").contains("immutable"), "{b}");
            let expected_type = match ext {
                "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "csv" => "text/csv; charset=utf-8",
                _ => "application/json",
            };
            assert_eq!(header(&res, "Content-Type"), expected_type, "{b}");
            let etag = header(&res, "ETag").to_string();
            let bytes = res.into_bytes().unwrap();
            assert_eq!(
                etag,
                format!("\"{}\"", hex::encode(Sha256::digest(&bytes))),
                "{b}: {ext}"
            );
            // The same bytes again, then 304 for a client that has them.
            let again = app.client.get(uri.clone()).dispatch();
            assert_eq!(header(&again, "ETag"), etag);
            assert_eq!(again.into_bytes().unwrap(), bytes);
            let cached = app
                .client
                .get(uri.clone())
                .header(Header::new("If-None-Match", etag.clone()))
                .dispatch();
            assert_eq!(cached.status(), Status::NotModified, "{b}: {ext}");
            assert_eq!(header(&cached, "ETag"), etag);
            assert!(cached.into_bytes().unwrap_or_default().is_empty());
            let stale = app
                .client
                .get(uri)
                .header(Header::new("If-None-Match", "\"0000\""))
                .dispatch();
            assert_eq!(stale.status(), Status::Ok);
            if ext == "json" {
                let v: Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(v["number"], 1);
                assert_eq!(
                    v["lists"]["retained"].as_array().map(Vec::len),
                    Some(4),
                    "{b}"
                );
            }
            if ext == "csv" {
                let text = String::from_utf8(bytes).unwrap();
                assert!(text.starts_with('\u{feff}'));
                assert!(text.contains(PORT));
                assert!(!text.contains(DRAFT));
            }
        }
        let res = app
            .client
            .get("/api/v1/publications/latest/export.csv")
            .dispatch();
        assert_eq!(res.status(), Status::Ok);
        assert!(
            !header(&res, "Cache-Control").contains("immutable"),
            "latest moves"
        );
        let text = res.into_string().unwrap();
        assert!(text.contains(SHIP) && !text.contains(PORT), "{b}");
    }
}

fn page(app: &TestApp, uri: &str) -> (Status, String) {
    let res = app.client.get(uri.to_string()).dispatch();
    let status = res.status();
    assert_eq!(
        res.content_type().map(|c| c.is_html()),
        Some(true),
        "{uri} should be a page"
    );
    (status, res.into_string().unwrap_or_default())
}

#[test]
fn pages_list_search_filter_and_link_everything() {
    for app in TestApp::all() {
        world(&app);
        let b = app.backend;
        // Home for the public: the latest lists.
        let (status, html) = page(&app, "/");
        assert_eq!(status, Status::Ok, "{b}");
        assert!(html.contains("第2版"), "{b}");
        assert!(html.contains(ROAD) && html.contains(SHIP), "{b}");
        assert!(html.contains("data-testid=\"search-form\""));
        assert!(html.contains("<html lang=\"zh-CN\">"));

        let (status, html) = page(&app, "/publications/1?list=retained");
        assert_eq!(status, Status::Ok, "{b}");
        for name in [ROAD, TAXI, PORT] {
            assert!(html.contains(name), "{b}: {name}");
        }
        assert!(!html.contains(CANCELLED), "{b}: another list");
        assert_eq!(html.matches("data-testid=\"item-row\"").count(), 4, "{b}");
        for id in [
            "filter-region",
            "filter-department",
            "filter-kind",
            "search-q",
            "download-xlsx",
            "download-csv",
            "download-json",
            "history-link",
            "summary",
        ] {
            assert!(html.contains(&format!("data-testid=\"{id}\"")), "{b}: {id}");
        }
        assert!(html.contains("href=\"/api/v1/publications/1/export.xlsx?region=370000\""));
        // Every input has a label.
        for id in [
            "filter-region",
            "filter-department",
            "filter-kind",
            "search-q",
        ] {
            assert!(
                html.contains(&format!("<label for=\"{id}\"")),
                "{b}: label of {id}"
            );
        }
        // HTML in a name is escaped.
        // (minijinja also writes `/` as `&#x2f;`.)
        assert!(html.contains("危险品&lt;b&gt;运输&lt;"), "{b}");
        assert!(!html.contains("<b>运输"), "{b}");

        let (_, html) = page(
            &app,
            &format!("/publications/1?list=retained&q={}", enc("港口")),
        );
        assert_eq!(html.matches("data-testid=\"item-row\"").count(), 1, "{b}");
        assert!(html.contains(PORT));
        let (_, html) = page(&app, "/publications/1?list=retained&department=A");
        assert_eq!(html.matches("data-testid=\"item-row\"").count(), 3, "{b}");
        let (_, html) = page(&app, "/publications/1?list=trainings&kind=training");
        assert_eq!(html.matches("data-testid=\"item-row\"").count(), 1, "{b}");
        let (_, html) = page(&app, "/publications/1?list=retained&per_page=2&page=2");
        assert_eq!(html.matches("data-testid=\"item-row\"").count(), 2, "{b}");
        assert!(html.contains("data-testid=\"page-prev\""), "{b}");

        // Search text full of metacharacters: a normal, empty page with the text escaped.
        for q in NASTY {
            let (status, html) = page(&app, &format!("/publications/1?q={}", enc(q)));
            assert_eq!(status, Status::Ok, "{b}: {q:?}");
            assert_eq!(
                html.matches("data-testid=\"item-row\"").count(),
                0,
                "{b}: {q:?}"
            );
        }
        let (_, html) = page(&app, &format!("/?q={}", enc("<script>alert(1)</script>")));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{b}");
        assert!(!html.contains("<script>alert(1)"), "{b}");

        // English through the switch.
        let (_, html) = page(&app, "/publications/1?lang=en");
        assert!(
            html.contains("<html lang=\"en\">") && html.contains("Search"),
            "{b}"
        );
    }
}

#[test]
fn item_history_and_diff_pages() {
    for app in TestApp::all() {
        world(&app);
        let b = app.backend;
        let (status, html) = page(&app, "/publications");
        assert_eq!(status, Status::Ok, "{b}");
        assert!(
            html.contains("href=\"/publications/1?region=370000\""),
            "{b}"
        );
        assert!(
            html.contains("href=\"/publications/2?region=370000\""),
            "{b}"
        );
        assert!(
            html.contains("href=\"/publications/1/diff/2?region=370000\""),
            "{b}"
        );

        let (_, html) = page(&app, "/publications/2");
        assert!(html.contains("data-testid=\"diff-link\""), "{b}");

        let (status, html) = page(&app, "/publications/1/diff/2");
        assert_eq!(status, Status::Ok, "{b}");
        assert!(
            html.contains(SHIP) && html.contains(CANCELLED) && html.contains(ROAD),
            "{b}"
        );
        assert!(html.contains("36个月"), "{b}");
        assert!(html.contains("data-testid=\"diff-added\""));

        let road = id_in_first(&app, ROAD);
        let (status, html) = page(&app, &format!("/published-items/{road}"));
        assert_eq!(status, Status::Ok, "{b}");
        assert!(
            html.contains("中华人民共和国道路运输条例") && html.contains("第六十七条"),
            "{b}"
        );
        assert!(
            html.contains("12个月") && html.contains("24个月") && html.contains("36个月"),
            "{b}"
        );
        assert!(html.contains("济南市交通运输局"));
        let hazard = id_in_first(&app, HAZARD);
        let (_, html) = page(&app, &format!("/published-items/{hazard}"));
        assert!(
            html.contains("危险品&lt;b&gt;运输&lt;") && !html.contains("<b>运输"),
            "{b}"
        );
    }
}

#[test]
fn bad_input_on_pages_is_an_html_error_page() {
    for app in TestApp::all() {
        world(&app);
        let b = app.backend;
        for (uri, status) in [
            ("/publications/99", Status::NotFound),
            ("/publications/abc", Status::NotFound),
            ("/publications/1/diff/99", Status::NotFound),
            ("/published-items/999999", Status::NotFound),
            ("/published-items/x", Status::NotFound),
            ("/publications?region=999999", Status::NotFound),
            ("/publications/1?list=foo", Status::BadRequest),
            ("/publications/1?kind=x", Status::BadRequest),
            ("/publications/1?page=abc", Status::BadRequest),
            (
                "/publications/1?page=99999999999999999999",
                Status::BadRequest,
            ),
            ("/publications/1?per_page=0", Status::BadRequest),
            ("/publications/1?per_page=10000", Status::BadRequest),
            ("/?page=abc", Status::BadRequest),
            (
                "/?list=%3Cscript%3Ealert(1)%3C/script%3E",
                Status::BadRequest,
            ),
        ] {
            let (got, html) = page(&app, uri);
            assert_eq!(got, status, "{b}: {uri}");
            assert!(html.contains("<h1>"), "{b}: {uri}");
            assert!(!html.contains("<script>"), "{b}: {uri}");
        }
        for uri in [
            "/publications/1?q=%FF%FE",
            "/?page=%FF",
            "/publications?region=%FF",
        ] {
            let res = app.client.get(uri).dispatch();
            assert!(res.status().code < 500, "{b}: {uri} → {}", res.status());
        }
    }
}

#[test]
fn signed_in_people_still_get_their_home_and_an_empty_site_says_so() {
    for app in TestApp::all() {
        let b = app.backend;
        // Nothing published yet: the public home says so, with a 200.
        let (status, html) = page(&app, "/");
        assert_eq!(status, Status::Ok, "{b}");
        assert!(html.contains("data-testid=\"no-publication\""), "{b}");
        world(&app);
        let who = app.sign_in(Persona::ProvinceReviewer);
        let res = with_cookie(app.client.get("/"), &who).dispatch();
        assert_eq!(res.status(), Status::Ok);
        let html = res.into_string().unwrap();
        assert!(
            html.contains("href=\"/account\""),
            "{b}: the signed-in home"
        );
        assert!(
            html.contains("href=\"/publications/latest\""),
            "{b}: with a link to the lists"
        );
    }
}
