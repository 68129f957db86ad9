//! The dashboard of a round (issue #8) on every backend: the figures of a small round computed
//! by hand, the same figures through the API, the report workbook read back, the charts and the
//! reminders, who may see them, and `nianjian report` writing the file.
//!
//! The round (province 370000, deadline passed):
//!
//! | dept | item | kind | cycle | decision |
//! |---|---|---|---|---|
//! | A 济南 | a1 | inspection | 12 | extend_cycle → 24 |
//! | A | a2 | inspection | 12 | retain |
//! | A | a3 | inspection | 6 | cancel |
//! | A | a4 | inspection | 24 | convert_to_annual_report |
//! | A | a5 | inspection | 36 | — |
//! | A | t1 | training | | standardise |
//! | A | t2 | training | | — |
//! | B 青岛 | b1 | inspection, no legal basis (error) | 12 | — |
//! | B | b2 | inspection | 48 | — |
//! | B | b3 | training | | cancel |
//! | C 济南 | — not submitted — | | | |
//!
//! By hand: inspections 7 before, 5 after (a3 cancelled, a4 converted); once a year (≤ 12)
//! before a1 a2 a3 b1 = 4 of 7, after a2 b1 = 2 of 5; average cycle before
//! (12+12+6+24+36+12+48)/7 = 150/7, after (24+12+36+12+48)/5 = 132/5 = 26.4; trainings 3 → 2,
//! one cancelled, one standardised; undecided a5 t2 b1 b2 = 4. Departments: A clean, B with
//! errors, C not submitted; B and C overdue.

mod common;

use std::io::Read;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use common::seed::{basis, inspection, training};
use common::{Persona, TestApp, TestDb, with_cookie, with_session};
use diesel::prelude::*;
use nianjian::db::audit::Actor;
use nianjian::db::schema::{departments, items, rounds};
use nianjian::db::scope::Scope;
use nianjian::domain::{BasisLevel, Disposition, ItemDraft, Lang};
use nianjian::service::dashboard::{self, DepartmentState};
use nianjian::service::decisions::{self, DecisionInput};
use rocket::http::{ContentType, Status};
use serde_json::Value;

const LAW: &str = "中华人民共和国道路交通安全法";

struct Round {
    id: i64,
    dept_c: i64,
}

fn commit(app: &TestApp, round: i64, department: i64, drafts: &[ItemDraft], bytes: &[u8]) {
    let mut conn = app.conn();
    common::seed::submit(&mut conn, round, department, "报送表.xlsx", bytes, drafts);
}

fn decide(app: &TestApp, round: i64, name: &str, decision: Disposition, cycle: Option<u32>) {
    let mut conn = app.conn();
    let id: i64 = items::table
        .filter(items::round_id.eq(round))
        .filter(items::name.eq(name))
        .select(items::id)
        .first(&mut conn)
        .expect("item");
    decisions::decide(
        &mut conn,
        &Actor::cli(),
        round,
        id,
        &DecisionInput {
            decision: decision.code().into(),
            cycle_months: cycle,
            rationale: "依据清理要求".into(),
            necessity: Some("经必要性评估论证".into()),
        },
    )
    .expect("decision");
}

fn law() -> Vec<nianjian::domain::LegalBasis> {
    vec![basis(BasisLevel::Law, LAW, Some("第十三条"))]
}

/// The round of the module docs.
fn world(app: &TestApp) -> Round {
    let mut conn = app.conn();
    let round = common::seed::round(&mut conn, app.province, "2017年年检清理");
    let deadline = chrono::NaiveDate::from_ymd_opt(2017, 4, 30)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    diesel::update(rounds::table.find(round))
        .set(rounds::submission_deadline.eq(Some(deadline)))
        .execute(&mut conn)
        .unwrap();
    let dept_c = common::seed::department(&mut conn, app.city_a, "C", "济南市市场监督管理局");
    diesel::update(departments::table.find(dept_c))
        .set((
            departments::contact_person.eq(Some("王芳")),
            departments::contact_phone.eq(Some("0531-86001234")),
            departments::contact_email.eq(Some("wangfang@example.cn")),
        ))
        .execute(&mut conn)
        .unwrap();
    drop(conn);

    let a = vec![
        inspection("a1", Some(12), law(), Disposition::ExtendCycle),
        inspection("a2", Some(12), law(), Disposition::Retain),
        inspection("a3", Some(6), law(), Disposition::Cancel),
        inspection("a4", Some(24), law(), Disposition::ConvertToAnnualReport),
        inspection("a5", Some(36), law(), Disposition::Retain),
        training("t1", law(), Disposition::Standardise),
        training("t2", law(), Disposition::Retain),
    ];
    commit(app, round, app.dept_a, &a, b"department A");
    let b = vec![
        inspection("b1", Some(12), Vec::new(), Disposition::Retain),
        inspection("b2", Some(48), law(), Disposition::Retain),
        training("b3", law(), Disposition::Cancel),
    ];
    commit(app, round, app.dept_b, &b, b"department B");

    decide(app, round, "a1", Disposition::ExtendCycle, Some(24));
    decide(app, round, "a2", Disposition::Retain, None);
    decide(app, round, "a3", Disposition::Cancel, None);
    decide(app, round, "a4", Disposition::ConvertToAnnualReport, None);
    decide(app, round, "t1", Disposition::Standardise, None);
    decide(app, round, "b3", Disposition::Cancel, None);
    Round { id: round, dept_c }
}

#[test]
fn the_figures_of_a_small_round_match_the_hand_count() {
    for app in TestApp::all() {
        let round = world(&app);
        let mut conn = app.conn();
        let d = dashboard::compute(&mut conn, &Scope::All, round.id, Lang::Zh)
            .unwrap()
            .expect("visible");
        let o = &d.outcome;
        let b = app.backend;
        assert_eq!((o.inspections_before, o.inspections_after), (7, 5), "{b}");
        assert_eq!(o.inspections_cancelled, 1, "{b}");
        assert_eq!(o.share_cancelled, Some(1.0 / 7.0), "{b}");
        assert_eq!((o.once_a_year_before, o.once_a_year_after), (4, 2), "{b}");
        assert_eq!(o.share_once_a_year_before, Some(4.0 / 7.0), "{b}");
        assert_eq!(o.share_once_a_year_after, Some(0.4), "{b}");
        assert_eq!(o.average_cycle_before, Some(150.0 / 7.0), "{b}");
        assert_eq!(o.average_cycle_after, Some(26.4), "{b}");
        assert_eq!(o.cycles_lengthened, 1, "{b}");
        assert_eq!(o.converted_to_annual_report, 1, "{b}");
        assert_eq!((o.trainings_before, o.trainings_after), (3, 2), "{b}");
        assert_eq!(
            (o.trainings_cancelled, o.trainings_standardised),
            (1, 1),
            "{b}"
        );
        assert_eq!(o.undecided, 4, "{b}");

        let state = |id: i64| d.departments.iter().find(|l| l.id == id).unwrap();
        assert_eq!(state(app.dept_a).state, DepartmentState::Clean, "{b}");
        assert_eq!(state(app.dept_b).state, DepartmentState::WithErrors, "{b}");
        assert_eq!(state(app.dept_b).items_with_errors, 1, "{b}");
        assert_eq!(
            state(round.dept_c).state,
            DepartmentState::NotSubmitted,
            "{b}"
        );
        assert!(!state(app.dept_a).overdue && state(app.dept_b).overdue);
        assert_eq!(d.overdue, 2, "{b}");
        // Inspections by decision: retain, cancel, extend, convert, standardise, undecided.
        assert_eq!(d.kinds[0].by_decision, [1, 1, 1, 1, 0, 3], "{b}");
        assert_eq!(d.kinds[1].by_decision, [0, 1, 0, 0, 1, 1], "{b}");
        assert_eq!(state(app.dept_a).by_decision, [1, 1, 1, 1, 1, 2], "{b}");
        let uploads: u32 = d.submissions.iter().map(|s| s.submissions).sum();
        assert_eq!(uploads, 2, "{b}");
        assert_eq!(d.submissions.last().unwrap().departments_cumulative, 2);
        let reminded: Vec<&str> = d.reminders().map(|l| l.code.as_str()).collect();
        assert_eq!(reminded, ["C", "B"], "{b}: by region, then code");

        // Before the deadline nobody is overdue, whatever their state.
        let before = chrono::NaiveDate::from_ymd_opt(2017, 4, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let early = dashboard::compute_at(&mut conn, &Scope::All, round.id, Lang::Zh, before)
            .unwrap()
            .unwrap();
        assert!(!early.deadline_passed && early.overdue == 0, "{b}");
        assert_eq!(early.reminders().count(), 2, "{b}: still to remind");

        // Once everything of A is decided, A is "decided".
        drop(conn);
        decide(&app, round.id, "a5", Disposition::Retain, None);
        decide(&app, round.id, "t2", Disposition::Retain, None);
        let mut conn = app.conn();
        let d = dashboard::compute(&mut conn, &Scope::All, round.id, Lang::Zh)
            .unwrap()
            .unwrap();
        let a = d.departments.iter().find(|l| l.id == app.dept_a).unwrap();
        assert_eq!(a.state, DepartmentState::Decided, "{b}");
        assert_eq!(d.outcome.undecided, 2, "{b}");
    }
}

fn get_json(app: &TestApp, who: Persona, path: &str) -> (Status, Value) {
    let signed = app.sign_in(who);
    let res = with_session(app.client.get(path), &signed).dispatch();
    let status = res.status();
    (
        status,
        serde_json::from_str(&res.into_string().unwrap_or_default()).unwrap_or(Value::Null),
    )
}

#[test]
fn the_api_gives_the_figures_within_the_reviewers_subtree() {
    for app in TestApp::all() {
        let round = world(&app);
        let path = format!("/api/v1/rounds/{}/dashboard", round.id);
        let (status, body) = get_json(&app, Persona::ProvinceReviewer, &path);
        assert_eq!(status, Status::Ok, "{}: {body}", app.backend);
        assert_eq!(body["outcome"]["inspections_before"], 7);
        assert_eq!(body["outcome"]["inspections_after"], 5);
        assert_eq!(body["outcome"]["average_cycle_after"], 26.4);
        assert_eq!(body["departments"].as_array().unwrap().len(), 3);
        assert_eq!(body["overdue"], 2);

        // A reviewer of city A sees departments A and C only.
        let (status, body) = get_json(&app, Persona::ReviewerA, &path);
        assert_eq!(status, Status::Ok);
        assert_eq!(body["departments"].as_array().unwrap().len(), 2);
        assert_eq!(body["outcome"]["inspections_before"], 5);
        assert_eq!(body["outcome"]["trainings_before"], 2);

        let (status, body) = get_json(&app, Persona::SubmitterA, &path);
        assert_eq!(status, Status::Forbidden, "{body}");
        let res = app.client.get(&path).dispatch();
        assert_eq!(res.status(), Status::Unauthorized);
    }
}

fn xlsx(bytes: &[u8]) -> Xlsx<std::io::Cursor<Vec<u8>>> {
    open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("an xlsx")
}

fn number_after(range: &calamine::Range<Data>, label: &str) -> Option<f64> {
    range
        .rows()
        .find_map(|row| match (row.first(), row.get(1)) {
            (Some(Data::String(s)), Some(Data::Float(n))) if s == label => Some(*n),
            _ => None,
        })
}

fn assert_report(bytes: &[u8], backend: &str) {
    let mut wb = xlsx(bytes);
    let names = wb.sheet_names();
    assert_eq!(
        names,
        [
            "汇总",
            "各部门情况",
            "保留的年检事项",
            "改为年度报告公示",
            "取消的事项",
            "保留的指定培训"
        ],
        "{backend}"
    );
    let summary = wb.worksheet_range("汇总").unwrap();
    let n = |label: &str| number_after(&summary, label);
    assert_eq!(n("清理前年检事项（项）"), Some(7.0), "{backend}");
    assert_eq!(n("清理后年检事项（项）"), Some(5.0), "{backend}");
    assert_eq!(n("年检事项取消比例（%）"), Some(14.3), "{backend}");
    assert_eq!(n("清理前每年一次的比例（%）"), Some(57.1), "{backend}");
    assert_eq!(n("清理后每年一次的比例（%）"), Some(40.0), "{backend}");
    assert_eq!(n("清理前平均检验周期（月）"), Some(21.4), "{backend}");
    assert_eq!(n("清理后平均检验周期（月）"), Some(26.4), "{backend}");
    assert_eq!(n("改为年度报告公示（项）"), Some(1.0), "{backend}");
    assert_eq!(n("规范的指定培训（项）"), Some(1.0), "{backend}");

    // Items by kind and decision: retain, cancel, extend, convert, standardise, undecided, total.
    let kind_row = |kind: &str| -> Vec<f64> {
        summary
            .rows()
            .find(|r| {
                matches!(&r[0], Data::String(s) if s == kind)
                    && matches!(r.get(7), Some(Data::Float(_)))
            })
            .map(|r| {
                r[1..8]
                    .iter()
                    .map(|c| match c {
                        Data::Float(n) => *n,
                        _ => -1.0,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        kind_row("年检"),
        [1.0, 1.0, 1.0, 1.0, 0.0, 3.0, 7.0],
        "{backend}"
    );
    assert_eq!(
        kind_row("指定培训"),
        [0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 3.0],
        "{backend}"
    );

    let deps = wb.worksheet_range("各部门情况").unwrap();
    assert_eq!(
        deps.height(),
        2 + 3,
        "{backend}: title, header, three departments"
    );
    let cancelled = wb.worksheet_range("取消的事项").unwrap();
    let names: Vec<String> = cancelled.rows().skip(2).map(|r| r[2].to_string()).collect();
    assert_eq!(names, ["a3", "b3"], "{backend}");

    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut chart = String::new();
    zip.by_name("xl/charts/chart1.xml")
        .expect("a native chart")
        .read_to_string(&mut chart)
        .unwrap();
    assert!(chart.contains("<c:barChart>"), "{backend}");
    assert!(zip.by_name("xl/charts/chart2.xml").is_ok(), "{backend}");
}

#[test]
fn the_report_workbook_holds_the_figures_and_native_charts() {
    for app in TestApp::all() {
        let round = world(&app);
        let signed = app.sign_in(Persona::ProvinceReviewer);
        let res = with_session(
            app.client
                .get(format!("/api/v1/rounds/{}/report.xlsx", round.id)),
            &signed,
        )
        .dispatch();
        assert_eq!(res.status(), Status::Ok, "{}", app.backend);
        assert_eq!(
            res.content_type().map(|c| c.sub().to_string()),
            Some("vnd.openxmlformats-officedocument.spreadsheetml.sheet".into())
        );
        let bytes = res.into_bytes().unwrap();
        assert_report(&bytes, app.backend);

        // Another region's reviewer does not learn the round exists.
        let mut conn = app.conn();
        let city_round = common::seed::round(&mut conn, app.city_a, "济南市清理");
        drop(conn);
        let (status, _) = get_json(
            &app,
            Persona::ReviewerB,
            &format!("/api/v1/rounds/{city_round}/report.xlsx"),
        );
        assert_eq!(status, Status::NotFound, "{}", app.backend);
    }
}

#[test]
fn the_page_shows_charts_with_their_tables_to_reviewers_only() {
    for app in TestApp::all() {
        let round = world(&app);
        let path = format!("/rounds/{}/dashboard", round.id);

        let res = app.client.get(&path).dispatch();
        assert_eq!(res.status(), Status::SeeOther, "{}", app.backend);
        let location = res.headers().get_one("Location").unwrap_or("").to_string();
        assert!(location.starts_with("/signin?next="), "{location}");

        let submitter = app.sign_in(Persona::SubmitterA);
        let res = with_cookie(app.client.get(&path), &submitter).dispatch();
        assert_eq!(res.status(), Status::Forbidden);

        let mut conn = app.conn();
        let city_round = common::seed::round(&mut conn, app.city_a, "济南市清理");
        drop(conn);
        let reviewer_b = app.sign_in(Persona::ReviewerB);
        let res = with_cookie(
            app.client.get(format!("/rounds/{city_round}/dashboard")),
            &reviewer_b,
        )
        .dispatch();
        assert_eq!(res.status(), Status::NotFound);
        let res = with_cookie(
            app.client
                .get(format!("/rounds/{city_round}/dashboard/outcome.svg")),
            &reviewer_b,
        )
        .dispatch();
        assert_eq!(res.status(), Status::NotFound);

        let reviewer = app.sign_in(Persona::ProvinceReviewer);
        let res = with_cookie(app.client.get(&path), &reviewer).dispatch();
        assert_eq!(res.status(), Status::Ok);
        let html = res.into_string().unwrap();
        for chart in ["outcome", "departments", "submissions"] {
            assert!(
                html.contains(&format!(
                    "<img src=\"/rounds/{}/dashboard/{chart}.svg",
                    round.id
                )),
                "{chart}"
            );
            let res = with_cookie(
                app.client
                    .get(format!("/rounds/{}/dashboard/{chart}.svg", round.id)),
                &reviewer,
            )
            .dispatch();
            assert_eq!(res.status(), Status::Ok, "{chart}");
            assert_eq!(res.content_type(), Some(ContentType::SVG));
            let svg = res.into_string().unwrap();
            assert!(svg.contains("<svg") && svg.contains("<text"), "{chart}");
            assert!(
                !svg.contains("style="),
                "{chart}: presentation attributes only"
            );
        }
        let outcome_svg = with_cookie(
            app.client
                .get(format!("/rounds/{}/dashboard/outcome.svg", round.id)),
            &reviewer,
        )
        .dispatch()
        .into_string()
        .unwrap();
        assert!(outcome_svg.contains("清理前") && outcome_svg.contains("年检事项"));
        // Each chart's numbers are in a table with a caption and header cells.
        assert!(html.contains("<caption>清理前后对比</caption>"));
        assert!(html.contains("<th scope=\"row\">年检事项</th><td>7</td><td>5</td>"));
        assert!(html.contains("26.4"), "the average cycle after");
        assert!(
            html.contains("“清理前”指各部门报送时的情况"),
            "the definitions"
        );
        assert!(html.contains("tag-red"), "overdue departments stand out");

        let res = with_cookie(app.client.get(format!("{path}?lang=en")), &reviewer).dispatch();
        let html = res.into_string().unwrap();
        assert!(html.contains("Before and after") && html.contains("outcome.svg?lang=en"));

        // The rounds list links to the dashboard for reviewers, not for submitters.
        let rounds = with_cookie(app.client.get("/rounds"), &reviewer)
            .dispatch()
            .into_string()
            .unwrap();
        assert!(rounds.contains(&format!("/rounds/{}/dashboard", round.id)));
        let rounds = with_cookie(app.client.get("/rounds"), &submitter)
            .dispatch()
            .into_string()
            .unwrap();
        assert!(!rounds.contains("/dashboard"));
    }
}

#[test]
fn reminders_list_the_departments_to_chase_with_their_contacts() {
    for app in TestApp::all() {
        let round = world(&app);
        let reviewer = app.sign_in(Persona::ProvinceReviewer);
        let res = with_cookie(
            app.client.get(format!("/rounds/{}/reminders", round.id)),
            &reviewer,
        )
        .dispatch();
        assert_eq!(res.status(), Status::Ok, "{}", app.backend);
        let html = res.into_string().unwrap();
        assert!(html.contains("济南市市场监督管理局") && html.contains("0531-86001234"));
        assert!(html.contains("mailto:wangfang@example.cn"));
        assert!(html.contains("青岛市交通运输局"), "B still has errors");
        assert!(!html.contains("济南市交通运输局<"), "A is clean");

        let res = with_cookie(
            app.client
                .get(format!("/rounds/{}/reminders.xlsx", round.id)),
            &reviewer,
        )
        .dispatch();
        assert_eq!(res.status(), Status::Ok);
        let mut wb = xlsx(&res.into_bytes().unwrap());
        let sheet = wb.worksheet_range("催报名单").unwrap();
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .skip(2)
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][1], "济南市市场监督管理局");
        assert_eq!(
            rows[0][6..],
            ["王芳", "0531-86001234", "wangfang@example.cn"]
        );
        assert_eq!(rows[1][1], "青岛市交通运输局");

        let submitter = app.sign_in(Persona::SubmitterB);
        let res = with_cookie(
            app.client.get(format!("/rounds/{}/reminders", round.id)),
            &submitter,
        )
        .dispatch();
        assert_eq!(res.status(), Status::Forbidden);
    }
}

#[test]
fn nianjian_report_writes_the_workbook() {
    let test_db = TestDb::sqlite();
    let url = match &test_db.url {
        nianjian::db::DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        other => panic!("not sqlite: {other:?}"),
    };
    let app = TestApp::new(test_db);
    let round = world(&app);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out/report.xlsx");
    let run = |round: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_nianjian"))
            .current_dir(dir.path())
            .env_remove("NIANJIAN_CONFIG")
            .env("DATABASE_URL", &url)
            .env("NIANJIAN_LOG", "error")
            .args(["report", "--round", round, "-o"])
            .arg(&out)
            .output()
            .expect("run nianjian")
    };
    let done = run(&round.id.to_string());
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(String::from_utf8_lossy(&done.stdout).contains("7 → 5"));
    assert_report(&std::fs::read(&out).unwrap(), "cli");

    let english = std::process::Command::new(env!("CARGO_BIN_EXE_nianjian"))
        .current_dir(dir.path())
        .env_remove("NIANJIAN_CONFIG")
        .env("DATABASE_URL", &url)
        .env("NIANJIAN_LOG", "error")
        .args([
            "report",
            "--round",
            &round.id.to_string(),
            "--lang",
            "en",
            "-o",
            "en.xlsx",
        ])
        .output()
        .unwrap();
    assert!(english.status.success());
    let mut wb = xlsx(&std::fs::read(dir.path().join("en.xlsx")).unwrap());
    let summary = wb.worksheet_range("Summary").unwrap();
    assert_eq!(
        number_after(&summary, "Annual inspections after"),
        Some(5.0)
    );

    let missing = run("999999");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("999999"));
}
