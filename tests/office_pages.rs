//! The office's pages through HTTP on every backend: who may see each page, the upload form and
//! its report, the decision forms, the legal documents registry and its spreadsheet import, and
//! HTML escaping. Every refused change asserts that nothing changed in the database.

mod common;

use std::path::Path;

use common::seed::{basis, inspection};
use common::{Persona, SignedIn, TestApp, with_cookie, with_session};
use diesel::prelude::*;
use nianjian::config::Settings;
use nianjian::domain::{BasisLevel, Disposition, ItemDraft};
use rocket::http::{ContentType, Status};
use rocket::local::blocking::LocalResponse;
use serde_json::Value;

const ROAD: &str = "中华人民共和国道路运输条例";
const BOUNDARY: &str = "----nianjianOfficeBoundary42";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// A multipart body: the CSRF field first (as the pages send it), then fields, then the file.
fn multipart(csrf: &str, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    if !csrf.is_empty() {
        field("csrf_token", csrf);
    }
    for (k, v) in fields {
        field(k, v);
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn post_multipart<'c>(
    app: &'c TestApp,
    who: &SignedIn,
    path: &str,
    body: Vec<u8>,
) -> LocalResponse<'c> {
    with_cookie(app.client.post(path.to_string()), who)
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
        .body(body)
        .dispatch()
}

/// A page form post with a session: the CSRF field first, then the fields (url-encoded here).
fn post_form<'c>(
    app: &'c TestApp,
    who: &SignedIn,
    path: &str,
    fields: &[(&str, &str)],
) -> LocalResponse<'c> {
    let mut body = format!("csrf_token={}", who.csrf);
    for (k, v) in fields {
        body.push('&');
        body.push_str(&format!("{k}={}", nianjian::web::pages::url_encode(v)));
    }
    with_cookie(app.client.post(path.to_string()), who)
        .header(ContentType::Form)
        .body(body)
        .dispatch()
}

fn get(app: &TestApp, who: Option<&SignedIn>, path: &str) -> (Status, String) {
    let req = app.client.get(path.to_string());
    let req = match who {
        Some(w) => with_cookie(req, w),
        None => req,
    };
    let res = req.dispatch();
    (res.status(), res.into_string().unwrap_or_default())
}

fn page(res: LocalResponse<'_>) -> (Status, String) {
    (res.status(), res.into_string().unwrap_or_default())
}

/// The round, and items of department A stored through the import service.
fn world(app: &TestApp, drafts: &[ItemDraft]) -> i64 {
    let mut conn = app.conn();
    let round = common::seed::round(&mut conn, app.province, "2026年年检和指定培训清理");
    common::seed::submit(
        &mut conn,
        round,
        app.dept_a,
        "交通运输局.xlsx",
        b"department A",
        drafts,
    );
    round
}

fn drafts() -> Vec<ItemDraft> {
    vec![
        inspection(
            "道路运输经营许可证年度审验",
            Some(12),
            vec![basis(BasisLevel::AdminRegulation, ROAD, Some("第六十七条"))],
            Disposition::ExtendCycle,
        ),
        inspection(
            "<script>alert(1)</script>",
            Some(24),
            vec![],
            Disposition::Cancel,
        ),
    ]
}

fn item_id(app: &TestApp, name: &str) -> i64 {
    use nianjian::db::schema::items;
    items::table
        .filter(items::name.eq(name))
        .select(items::id)
        .first(&mut app.conn())
        .expect("item")
}

fn submission_id(app: &TestApp) -> i64 {
    use nianjian::db::schema::submissions;
    submissions::table
        .select(submissions::id)
        .order(submissions::id.desc())
        .first(&mut app.conn())
        .expect("submission")
}

fn decisions_of(app: &TestApp, item: i64) -> Vec<(String, Option<i64>)> {
    use nianjian::db::schema::decisions;
    decisions::table
        .filter(decisions::item_id.eq(item))
        .order(decisions::id)
        .select((decisions::disposition, decisions::cycle_months))
        .load(&mut app.conn())
        .expect("decisions")
}

#[test]
fn each_page_renders_for_its_role_and_refuses_the_others() {
    for app in TestApp::all() {
        let round = world(&app, &drafts());
        let item = item_id(&app, "道路运输经营许可证年度审验");
        let submission = submission_id(&app);
        let sub_a = app.sign_in(Persona::SubmitterA);
        let sub_b = app.sign_in(Persona::SubmitterB);
        let rev_p = app.sign_in(Persona::ProvinceReviewer);
        let rev_b = app.sign_in(Persona::ReviewerB);
        let admin = app.sign_in(Persona::Admin);

        // Anonymous: every page sends to the sign-in page.
        for path in [
            "/rounds".to_string(),
            format!("/rounds/{round}/items"),
            format!("/rounds/{round}/upload"),
            format!("/items/{item}"),
            format!("/submissions/{submission}"),
            "/documents".to_string(),
        ] {
            let (status, _) = get(&app, None, &path);
            assert_eq!(status, Status::SeeOther, "{path}");
        }

        // Everyone signed in: the rounds, the upload form, the list within their reach.
        for who in [&sub_a, &sub_b, &rev_p, &rev_b, &admin] {
            let (status, html) = get(&app, Some(who), "/rounds");
            assert_eq!(status, Status::Ok, "{}", who.username);
            assert!(html.contains(&format!("/rounds/{round}/items")), "{html}");
            assert!(html.contains("报送与审核"));
            let (status, html) = get(&app, Some(who), &format!("/rounds/{round}/upload"));
            assert_eq!(status, Status::Ok, "{}", who.username);
            assert!(html.contains("enctype=\"multipart/form-data\""));
        }
        // The department view: A's submitter sees A's item, B's submitter and reviewer do not.
        let (status, html) = get(&app, Some(&sub_a), &format!("/rounds/{round}/items"));
        assert_eq!(status, Status::Ok);
        assert!(html.contains("道路运输经营许可证年度审验"));
        assert!(!html.contains("批量决定"), "no bulk form for a submitter");
        let (status, html) = get(&app, Some(&sub_a), "/rounds");
        assert_eq!(status, Status::Ok);
        assert!(html.contains("交通运输局.xlsx"), "A sees its submission");
        let (_, html) = get(&app, Some(&sub_b), "/rounds");
        assert!(!html.contains("交通运输局.xlsx"), "B does not see A's");
        for who in [&sub_b, &rev_b] {
            let (status, html) = get(&app, Some(who), &format!("/rounds/{round}/items"));
            assert_eq!(status, Status::Ok);
            assert!(
                !html.contains("道路运输经营许可证年度审验"),
                "{}",
                who.username
            );
            let (status, _) = get(&app, Some(who), &format!("/items/{item}"));
            assert_eq!(status, Status::NotFound, "{}", who.username);
            let (status, _) = get(&app, Some(who), &format!("/submissions/{submission}"));
            assert_eq!(status, Status::NotFound, "{}", who.username);
        }
        let (status, html) = get(&app, Some(&rev_p), &format!("/rounds/{round}/items"));
        assert_eq!(status, Status::Ok);
        assert!(html.contains("批量决定"));
        assert!(
            html.contains("badge-warning"),
            "R03 shows as a warning badge"
        );

        // The item page: the submitter reads it without a decision form; the reviewer has one.
        let (status, html) = get(&app, Some(&sub_a), &format!("/items/{item}"));
        assert_eq!(status, Status::Ok);
        assert!(html.contains(ROAD) && html.contains("第六十七条"));
        assert!(!html.contains(&format!("/items/{item}/decision")));
        let (status, html) = get(&app, Some(&rev_p), &format!("/items/{item}"));
        assert_eq!(status, Status::Ok);
        assert!(html.contains(&format!("action=\"/items/{item}/decision\"")));
        assert!(
            html.contains("<option value=\"extend_cycle\" selected>"),
            "the form starts from the department's proposal"
        );
        // A malformed filter is a 400 page that names it, in Chinese.
        let (status, html) = get(
            &app,
            Some(&rev_p),
            &format!("/rounds/{round}/items?kind=bogus"),
        );
        assert_eq!(status, Status::BadRequest);
        assert!(
            html.contains("kind 只能是 inspection 或 training"),
            "{html}"
        );
        let (status, html) = get(&app, Some(&sub_a), &format!("/submissions/{submission}"));
        assert_eq!(status, Status::Ok);
        assert!(html.contains(&format!("/items/{item}")));

        // A submitter may not decide, even on its own item; nothing changes.
        let before = app.snapshot();
        let fields = [("decision", "cancel"), ("rationale", "不需要")];
        let (status, _) = page(post_form(
            &app,
            &sub_a,
            &format!("/items/{item}/decision"),
            &fields,
        ));
        assert_eq!(status, Status::Forbidden);
        let bulk = [
            ("filters.department", ""),
            ("bulk.decision", "cancel"),
            ("bulk.rationale", "x"),
        ];
        let (status, _) = page(post_form(
            &app,
            &sub_a,
            &format!("/rounds/{round}/decisions"),
            &bulk,
        ));
        assert_eq!(status, Status::Forbidden);
        // A reviewer of the other city: the item is not found.
        let (status, _) = page(post_form(
            &app,
            &rev_b,
            &format!("/items/{item}/decision"),
            &fields,
        ));
        assert_eq!(status, Status::NotFound);
        assert_eq!(app.snapshot(), before, "{}", app.backend);

        // The documents registry is the reviewers'.
        for who in [&sub_a, &sub_b] {
            let (status, _) = get(&app, Some(who), "/documents");
            assert_eq!(status, Status::Forbidden);
        }
        for who in [&rev_p, &admin] {
            let (status, html) = get(&app, Some(who), "/documents");
            assert_eq!(status, Status::Ok);
            assert!(html.contains("action=\"/documents/import\""));
        }
        // English through the language switch.
        let (status, html) = get(&app, Some(&rev_p), &format!("/items/{item}?lang=en"));
        assert_eq!(status, Status::Ok);
        assert!(html.contains("Decision history") && html.contains("Legal bases"));
        // The reviewer's link bar.
        let (_, html) = get(&app, Some(&rev_p), "/");
        assert!(html.contains("href=\"/documents\"") && html.contains("href=\"/rounds\""));
    }
}

#[test]
fn the_upload_form_shows_the_report_with_cell_errors_then_stores_and_answers_a_repeat() {
    for app in TestApp::all() {
        let round = common::seed::round(&mut app.conn(), app.province, "2026年清理");
        let sub_a = app.sign_in(Persona::SubmitterA);
        let path = format!("/rounds/{round}/upload");

        // Row errors: the report by sheet, each with its cell; nothing stored.
        let before = app.snapshot();
        let bad = fixture("openpyxl_errors.xlsx");
        let (status, html) = page(post_multipart(
            &app,
            &sub_a,
            &path,
            multipart(
                &sub_a.csrf,
                &[("mode", "commit")],
                Some(("错误.xlsx", &bad)),
            ),
        ));
        assert_eq!(status, Status::UnprocessableEntity, "{html}");
        assert!(html.contains("年检事项!I6"), "{html}");
        assert!(html.contains("无法识别检验周期“每隔好久”"), "{html}");
        assert!(html.contains("年检事项!B7"));
        assert!(html.contains("未保存任何内容"));
        assert_eq!(app.snapshot(), before, "{}", app.backend);

        // The same file back with its bad cells marked.
        let res = post_multipart(
            &app,
            &sub_a,
            &path,
            multipart(
                &sub_a.csrf,
                &[("mode", "annotate")],
                Some(("错误.xlsx", &bad)),
            ),
        );
        assert_eq!(res.status(), Status::Ok);
        let bytes = res.into_bytes().unwrap_or_default();
        assert_eq!(&bytes[..2], b"PK");

        // Not a workbook: 422 with one clear Chinese message; no CSRF field: 403.
        let (status, html) = page(post_multipart(
            &app,
            &sub_a,
            &path,
            multipart(
                &sub_a.csrf,
                &[("mode", "commit")],
                Some(("x.xlsx", &fixture("not_a_workbook.xlsx"))),
            ),
        ));
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(html.contains("field-error"), "{html}");
        let good = fixture("openpyxl_template_like.xlsx");
        let (status, _) = page(post_multipart(
            &app,
            &sub_a,
            &path,
            multipart("", &[("mode", "commit")], Some(("交通.xlsx", &good))),
        ));
        assert_eq!(status, Status::Forbidden);
        assert_eq!(app.snapshot(), before, "{}", app.backend);

        // A check stores nothing; a commit stores; the same bytes again are a no-op.
        let (status, html) = page(post_multipart(
            &app,
            &sub_a,
            &path,
            multipart(
                &sub_a.csrf,
                &[("mode", "check")],
                Some(("交通.xlsx", &good)),
            ),
        ));
        assert_eq!(status, Status::Ok, "{html}");
        assert!(html.contains("尚未保存") && html.contains("导入报告"));
        assert_eq!(app.snapshot(), before);
        let (status, html) = page(post_multipart(
            &app,
            &sub_a,
            &path,
            multipart(
                &sub_a.csrf,
                &[("mode", "commit")],
                Some(("交通.xlsx", &good)),
            ),
        ));
        assert_eq!(status, Status::Ok, "{html}");
        let submission = submission_id(&app);
        assert!(html.contains("已保存"));
        assert!(html.contains(&format!("/api/v1/submissions/{submission}/annotated.xlsx")));
        let (status, html) = page(post_multipart(
            &app,
            &sub_a,
            &path,
            multipart(
                &sub_a.csrf,
                &[("mode", "commit")],
                Some(("交通.xlsx", &good)),
            ),
        ));
        assert_eq!(status, Status::Ok);
        assert!(html.contains("文件未变"), "{html}");
        assert!(html.contains(&format!("/submissions/{submission}")));

        // The stored report later, on the submission page.
        let (status, html) = get(&app, Some(&sub_a), &format!("/submissions/{submission}"));
        assert_eq!(status, Status::Ok);
        assert!(html.contains("交通.xlsx") && html.contains("/items/"));
    }
}

#[test]
fn an_upload_over_the_size_limit_is_a_413_page() {
    let settings = Settings {
        upload_limit_mib: 1,
        ..Settings::default()
    };
    let app = TestApp::with_settings(common::TestDb::sqlite(), settings);
    let round = common::seed::round(&mut app.conn(), app.province, "2026年清理");
    let sub_a = app.sign_in(Persona::SubmitterA);
    let big = vec![b'x'; 1024 * 1024 + 10];
    let before = app.snapshot();
    let (status, html) = page(post_multipart(
        &app,
        &sub_a,
        &format!("/rounds/{round}/upload"),
        multipart(&sub_a.csrf, &[("mode", "commit")], Some(("big.csv", &big))),
    ));
    assert_eq!(status, Status::PayloadTooLarge, "{html}");
    assert!(html.contains("超过"), "{html}");
    // The API answers the same limit the same way.
    let res = with_session(
        app.client
            .post(format!("/api/v1/rounds/{round}/submissions")),
        &sub_a,
    )
    .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
    .body(multipart("", &[], Some(("big.csv", &big))))
    .dispatch();
    assert_eq!(res.status(), Status::PayloadTooLarge);
    let body: Value = res.into_json().unwrap_or(Value::Null);
    assert_eq!(body["error"]["code"], "too_large", "{body}");
    assert_eq!(app.snapshot(), before);
}

#[test]
fn the_decision_form_records_a_decision_and_keeps_a_bad_one_with_its_error() {
    for app in TestApp::all() {
        let round = world(&app, &drafts());
        let item = item_id(&app, "道路运输经营许可证年度审验");
        let rev_p = app.sign_in(Persona::ProvinceReviewer);
        let path = format!("/items/{item}/decision");

        // A cycle that shortens: the Chinese error next to the field, the typed text kept.
        let before = app.snapshot();
        let fields = [
            ("decision", "extend_cycle"),
            ("cycle_months", "6"),
            ("rationale", "按国务院要求延长检验周期"),
            ("necessity", ""),
        ];
        let (status, html) = page(post_form(&app, &rev_p, &path, &fields));
        assert_eq!(status, Status::UnprocessableEntity, "{html}");
        assert!(html.contains("必须长于现行周期"), "{html}");
        assert!(
            html.contains("按国务院要求延长检验周期"),
            "the rationale is kept"
        );
        assert!(html.contains("value=\"6\""));
        assert!(html.contains("<option value=\"extend_cycle\" selected>"));
        assert_eq!(app.snapshot(), before, "{}", app.backend);
        // A cycle that is not a number, and no rationale: refused, nothing changed.
        let (status, html) = page(post_form(
            &app,
            &rev_p,
            &path,
            &[
                ("decision", "extend_cycle"),
                ("cycle_months", "两年"),
                ("rationale", "x"),
            ],
        ));
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(html.contains("新的检验周期应为整月数"), "{html}");
        let (status, html) = page(post_form(&app, &rev_p, &path, &[("decision", "cancel")]));
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(html.contains("请填写决定理由"), "{html}");
        assert_eq!(app.snapshot(), before);

        // A good one: recorded, shown in the history.
        let fields = [
            ("decision", "extend_cycle"),
            ("cycle_months", "24"),
            ("rationale", "按国务院要求延长检验周期"),
        ];
        let res = post_form(&app, &rev_p, &path, &fields);
        assert_eq!(res.status(), Status::SeeOther);
        assert_eq!(
            res.headers().get_one("Location"),
            Some(format!("/items/{item}?done=decided").as_str())
        );
        assert_eq!(
            decisions_of(&app, item),
            vec![("extend_cycle".to_string(), Some(24))]
        );
        let (status, html) = get(&app, Some(&rev_p), &format!("/items/{item}?done=decided"));
        assert_eq!(status, Status::Ok);
        assert!(html.contains("决定已记录") && html.contains("24 个月"));

        // Bulk: every proposed cancellation of department A, over the list's filter.
        let other = item_id(&app, "<script>alert(1)</script>");
        let dept = app.dept_a.to_string();
        let bulk = [
            ("filters.department", dept.as_str()),
            ("filters.proposed", "cancel"),
            ("bulk.decision", "cancel"),
            ("bulk.rationale", "同意部门意见"),
        ];
        let res = post_form(&app, &rev_p, &format!("/rounds/{round}/decisions"), &bulk);
        assert_eq!(res.status(), Status::SeeOther);
        let location = res.headers().get_one("Location").unwrap_or("").to_string();
        assert!(location.contains("decided=1"), "{location}");
        assert_eq!(
            decisions_of(&app, other),
            vec![("cancel".to_string(), None)]
        );
        assert_eq!(
            decisions_of(&app, item).len(),
            1,
            "the filter left it alone"
        );
        let (status, html) = get(&app, Some(&rev_p), &location);
        assert_eq!(status, Status::Ok);
        assert!(html.contains("已对 1 个事项作出决定"));

        // A bulk decision one item refuses: nothing is decided, the error is shown.
        let before = app.snapshot();
        let bulk = [
            ("filters.kind", "inspection"),
            ("bulk.decision", "standardise"),
            ("bulk.rationale", "规范"),
        ];
        let (status, html) = page(post_form(
            &app,
            &rev_p,
            &format!("/rounds/{round}/decisions"),
            &bulk,
        ));
        assert_eq!(status, Status::UnprocessableEntity, "{html}");
        assert!(
            html.contains("未作任何决定") && html.contains("只适用于指定培训"),
            "{html}"
        );
        assert_eq!(app.snapshot(), before);
    }
}

/// A documents spreadsheet with Chinese headers under a title row.
fn documents_xlsx(rows: &[[&str; 6]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.write_string(0, 0, "法律文件清单").unwrap();
    for (c, h) in [
        "文件名称",
        "文号",
        "发布机关",
        "效力级别",
        "时效性",
        "施行日期",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(2 + r as u32, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

fn document_titles(app: &TestApp) -> Vec<(String, String)> {
    use nianjian::db::schema::legal_documents;
    legal_documents::table
        .order(legal_documents::title)
        .select((legal_documents::title, legal_documents::status))
        .load(&mut app.conn())
        .expect("documents")
}

#[test]
fn documents_import_from_a_spreadsheet_all_or_nothing_and_a_repeal_re_flags_items() {
    for app in TestApp::all() {
        world(&app, &drafts());
        let item = item_id(&app, "道路运输经营许可证年度审验");
        let rev_p = app.sign_in(Persona::ProvinceReviewer);

        // A bad row refuses the whole file, naming the row as the sheet shows it.
        let bad = documents_xlsx(&[
            [
                ROAD,
                "国务院令第406号",
                "国务院",
                "行政法规",
                "现行有效",
                "2004-07-01",
            ],
            [
                "山东省道路运输条例",
                "",
                "山东省人大常委会",
                "省里的",
                "现行有效",
                "",
            ],
            ["某某通知", "", "", "规范性文件", "有效", "明年"],
        ]);
        let before = app.snapshot();
        let res = with_session(app.client.post("/api/v1/documents/import"), &rev_p)
            .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
            .body(multipart("", &[], Some(("文件.xlsx", &bad))))
            .dispatch();
        assert_eq!(res.status(), Status::UnprocessableEntity);
        let body: Value = res.into_json().unwrap_or(Value::Null);
        let rows: Vec<u64> = body["error"]["rows"]
            .as_array()
            .or(body["error"]["detail"]["rows"].as_array())
            .map(|a| a.iter().filter_map(|r| r["row"].as_u64()).collect())
            .unwrap_or_default();
        assert_eq!(rows, vec![4, 5], "{body}");
        let (status, html) = page(post_multipart(
            &app,
            &rev_p,
            "/documents/import",
            multipart(&rev_p.csrf, &[], Some(("文件.xlsx", &bad))),
        ));
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(
            html.contains("第 4 行") && html.contains("无法识别的层级“省里的”"),
            "{html}"
        );
        assert!(html.contains("第 5 行") && html.contains("明年"), "{html}");
        assert_eq!(app.snapshot(), before, "{}", app.backend);

        // A good csv through the API: created, and the item's basis matched.
        let csv = format!(
            "文件名称,文号,发布机关,层级,状态,施行日期\n{ROAD},国务院令第406号,国务院,行政法规,现行有效,2004/7/1\n山东省道路运输条例,,山东省人大常委会,地方性法规,,2015年1月1日\n"
        );
        let res = with_session(app.client.post("/api/v1/documents/import"), &rev_p)
            .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
            .body(multipart("", &[], Some(("文件.csv", csv.as_bytes()))))
            .dispatch();
        assert_eq!(res.status(), Status::Created);
        assert_eq!(
            document_titles(&app),
            vec![
                (
                    "中华人民共和国道路运输条例".to_string(),
                    "in_force".to_string()
                ),
                ("山东省道路运输条例".to_string(), "in_force".to_string()),
            ]
        );
        let (_, html) = get(&app, Some(&rev_p), &format!("/items/{item}"));
        assert!(
            html.contains("国务院令第406号"),
            "the basis shows its matched document"
        );
        // The same file again changes nothing.
        let res = with_session(app.client.post("/api/v1/documents/import"), &rev_p)
            .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
            .body(multipart("", &[], Some(("文件.csv", csv.as_bytes()))))
            .dispatch();
        assert_eq!(res.status(), Status::Ok);
        let body: Value = res.into_json().unwrap_or(Value::Null);
        assert_eq!(body["import"]["unchanged"], 2, "{body}");

        // Repealing it on the edit page lists the items re-flagged by R08.
        use nianjian::db::schema::legal_documents;
        let doc: i64 = legal_documents::table
            .filter(legal_documents::title.eq(ROAD))
            .select(legal_documents::id)
            .first(&mut app.conn())
            .unwrap();
        let (status, html) = page(post_form(
            &app,
            &rev_p,
            &format!("/documents/{doc}"),
            &[
                ("title", ROAD),
                ("doc_number", "国务院令第406号"),
                ("level", "admin_regulation"),
                ("status", "repealed"),
                ("effective_on", "2004-07-01"),
                ("repealed_on", "2030-01-01"),
            ],
        ));
        assert_eq!(status, Status::Ok, "{html}");
        assert!(
            html.contains("道路运输经营许可证年度审验") && html.contains(&format!("/items/{item}"))
        );
        let (_, html) = get(&app, Some(&rev_p), &format!("/items/{item}"));
        assert!(html.contains("R08"), "{html}");

        // The page form: a date it cannot read keeps what was typed; a new document is added.
        let before = app.snapshot();
        let (status, html) = page(post_form(
            &app,
            &rev_p,
            "/documents",
            &[
                ("title", "交通运输部令"),
                ("level", "departmental_rule"),
                ("issued_on", "去年"),
            ],
        ));
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(html.contains("日期“去年”无法识别") && html.contains("value=\"交通运输部令\""));
        assert_eq!(app.snapshot(), before);
        let res = post_form(
            &app,
            &rev_p,
            "/documents",
            &[
                ("title", "道路运输从业人员管理规定"),
                ("level", "departmental_rule"),
            ],
        );
        assert_eq!(res.status(), Status::SeeOther);
        assert_eq!(document_titles(&app).len(), 3);
    }
}

#[test]
fn item_names_are_escaped_on_every_page() {
    for app in TestApp::all() {
        let round = world(&app, &drafts());
        let item = item_id(&app, "<script>alert(1)</script>");
        let rev_p = app.sign_in(Persona::ProvinceReviewer);
        for path in [
            format!("/rounds/{round}/items"),
            format!("/items/{item}"),
            format!("/submissions/{}", submission_id(&app)),
        ] {
            let (status, html) = get(&app, Some(&rev_p), &path);
            assert_eq!(status, Status::Ok, "{path}");
            assert!(!html.contains("<script>alert(1)</script>"), "{path}");
            assert!(
                html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
                "{path}: {html}"
            );
        }
    }
}
