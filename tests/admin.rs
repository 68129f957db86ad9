//! Administration through HTTP and the command line, on every backend: who may use each admin
//! page and route (the database unchanged after every refusal), regions by GB/T 2260 code and
//! their tree, list imports that are all or nothing, departments with contacts, rounds in
//! Beijing time, users, and every invalid input refused with a clear message and nothing changed.

mod common;

use common::{Persona, SignedIn, TestApp, with_cookie, with_session, with_token};
use diesel::prelude::*;
use nianjian::db::schema::{audit_log, rounds, sessions, users};
use nianjian::db::users::Role;
use rocket::http::{ContentType, Cookie, Header, Method, Status};
use rocket::local::blocking::{LocalRequest, LocalResponse};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A JSON call with a session (and its CSRF header); returns the status and the body.
fn call(
    app: &TestApp,
    who: &SignedIn,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = with_session(app.client.req(method, path.to_string()), who);
    if let Some(b) = body {
        req = req.header(ContentType::JSON).body(b.to_string());
    }
    let res = req.dispatch();
    let status = res.status().code;
    let text = res.into_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The same in English.
fn call_en(app: &TestApp, who: &SignedIn, method: Method, path: &str, body: Value) -> (u16, Value) {
    let res = with_session(app.client.req(method, path.to_string()), who)
        .header(Header::new("Accept-Language", "en"))
        .header(ContentType::JSON)
        .body(body.to_string())
        .dispatch();
    let status = res.status().code;
    (status, res.into_json().unwrap_or(Value::Null))
}

/// A multipart body: the CSRF field first (when given), then the file.
fn multipart(csrf: Option<&str>, file_name: &str, bytes: &[u8]) -> (ContentType, Vec<u8>) {
    let boundary = "XnianjianAdminBoundary";
    let mut body = Vec::new();
    if let Some(token) = csrf {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        ContentType::new("multipart", "form-data").with_params(("boundary", boundary)),
        body,
    )
}

/// An import through the API with a session.
fn import(
    app: &TestApp,
    who: &SignedIn,
    path: &str,
    file_name: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let (ct, body) = multipart(None, file_name, bytes);
    let res = with_session(app.client.post(path.to_string()), who)
        .header(ct)
        .body(body)
        .dispatch();
    let status = res.status().code;
    (status, res.into_json().unwrap_or(Value::Null))
}

/// A page form post with a session: the CSRF field first, then the fields.
fn post_form<'c>(app: &'c TestApp, who: &SignedIn, path: &str, fields: &str) -> LocalResponse<'c> {
    let mut body = format!("csrf_token={}", who.csrf);
    if !fields.is_empty() {
        body.push('&');
        body.push_str(fields);
    }
    with_cookie(app.client.post(path.to_string()), who)
        .header(ContentType::Form)
        .body(body)
        .dispatch()
}

fn audit_actions(app: &TestApp) -> Vec<String> {
    let mut c = app.conn();
    audit_log::table
        .select(audit_log::action)
        .order(audit_log::id)
        .load(&mut c)
        .expect("audit")
}

/// A province round for the world, made through the API; returns its id.
fn province_round(app: &TestApp, admin: &SignedIn) -> i64 {
    let (status, body) = call(
        app,
        admin,
        Method::Post,
        "/api/v1/rounds",
        Some(json!({
            "name": "2017年山东省清理",
            "region": "370000",
            "submission_deadline": "2017-04-30T18:00",
            "consultation_start": "2017-05-10T09:00",
            "consultation_end": "2017-05-31T18:00",
            "publication_deadline": "2017-06-30T18:00",
        })),
    );
    assert_eq!(status, 201, "{body}");
    body["round"]["id"].as_i64().expect("round id")
}

// ---------------------------------------------------------------------------------------------
// Who may

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    Anonymous,
    Session(Persona),
    NoCsrf(Persona),
    Token(Persona),
}

const CREDS: &[Cred] = &[
    Cred::Anonymous,
    Cred::Session(Persona::Admin),
    Cred::Session(Persona::ProvinceReviewer),
    Cred::Session(Persona::ReviewerA),
    Cred::Session(Persona::SubmitterA),
    Cred::Session(Persona::SubmitterB),
    Cred::NoCsrf(Persona::Admin),
    Cred::Token(Persona::SubmitterA),
    Cred::Token(Persona::ReviewerB),
];

#[derive(Debug, Clone)]
enum Body {
    None,
    Form(String),
    Json(Value),
    File(&'static str, Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    SignedIn,
}

struct Route {
    method: Method,
    path: String,
    body: Body,
    who: Who,
    ok: u16,
    changes: bool,
}

fn r(
    method: Method,
    path: impl Into<String>,
    body: Body,
    who: Who,
    ok: u16,
    changes: bool,
) -> Route {
    Route {
        method,
        path: path.into(),
        body,
        who,
        ok,
        changes,
    }
}

fn routes(app: &TestApp, round: i64, victim: i64) -> Vec<Route> {
    use Method::{Get, Post, Put};
    let form = |s: &str| Body::Form(s.to_string());
    let regions_csv =
        "代码,名称,级别,上级代码\n370300,淄博市,市级,370000\n370301,张店区,县级,370300\n"
            .as_bytes()
            .to_vec();
    let departments_csv =
        "部门代码,部门全称,简称,所属区划代码,联系人,联系电话,电子邮箱\nZB,淄博市交通运输局,淄博交通,370300,王五,0533-1234567,zb@zibo.gov.cn\n"
            .as_bytes()
            .to_vec();
    let (a, b) = (app.dept_a, app.dept_b);
    vec![
        // Pages.
        r(Get, "/admin", Body::None, Who::Admin, 200, false),
        r(Get, "/admin/regions", Body::None, Who::Admin, 200, false),
        r(
            Get,
            "/admin/regions/370100",
            Body::None,
            Who::Admin,
            200,
            false,
        ),
        r(
            Get,
            "/admin/departments",
            Body::None,
            Who::Admin,
            200,
            false,
        ),
        r(
            Get,
            format!("/admin/departments/{a}"),
            Body::None,
            Who::Admin,
            200,
            false,
        ),
        r(Get, "/admin/rounds", Body::None, Who::Admin, 200, false),
        r(
            Get,
            format!("/admin/rounds/{round}"),
            Body::None,
            Who::Admin,
            200,
            false,
        ),
        r(Get, "/admin/users", Body::None, Who::Admin, 200, false),
        r(
            Get,
            format!("/admin/users/{victim}"),
            Body::None,
            Who::Admin,
            200,
            false,
        ),
        r(
            Post,
            "/admin/regions",
            form("code=370400&name=%E6%9E%A3%E5%BA%84%E5%B8%82&level=city&parent=370000"),
            Who::Admin,
            303,
            true,
        ),
        r(
            Post,
            "/admin/regions/370100",
            form("name=%E6%B5%8E%E5%8D%97"),
            Who::Admin,
            303,
            true,
        ),
        r(
            Post,
            "/admin/regions/import",
            Body::File("regions.csv", regions_csv.clone()),
            Who::Admin,
            303,
            true,
        ),
        r(
            Post,
            "/admin/departments",
            form(
                "code=ZZ&name=%E6%9E%A3%E5%BA%84%E5%B8%82%E6%B0%91%E6%94%BF%E5%B1%80&region=370400",
            ),
            Who::Admin,
            303,
            true,
        ),
        r(
            Post,
            format!("/admin/departments/{b}"),
            form("code=B&name=%E9%9D%92%E5%B2%9B&region=370200&contact_email=b%40qd.gov.cn"),
            Who::Admin,
            303,
            true,
        ),
        r(
            Post,
            "/admin/departments/import",
            Body::File("departments.csv", departments_csv.clone()),
            Who::Admin,
            303,
            true,
        ),
        r(
            Post,
            "/admin/rounds",
            form(
                "name=%E5%9F%8E%E5%B8%82%E6%89%B9%E6%AC%A1&region=370100&submission_deadline=2017-04-30T18%3A00",
            ),
            Who::Admin,
            303,
            true,
        ),
        r(
            Post,
            format!("/admin/rounds/{round}"),
            form(
                "name=%E7%9C%81%E6%89%B9%E6%AC%A1&region=370000&publication_deadline=2017-06-30T18%3A00",
            ),
            Who::Admin,
            303,
            true,
        ),
        r(
            Post,
            "/admin/users",
            form("username=page-made&role=reviewer&region=370100"),
            Who::Admin,
            200,
            true,
        ),
        r(
            Post,
            format!("/admin/users/{victim}/role"),
            form("role=reviewer&region=370200"),
            Who::Admin,
            303,
            true,
        ),
        r(
            Post,
            format!("/admin/users/{victim}/disable"),
            Body::None,
            Who::Admin,
            303,
            true,
        ),
        r(
            Post,
            format!("/admin/users/{victim}/enable"),
            Body::None,
            Who::Admin,
            303,
            true,
        ),
        r(
            Post,
            format!("/admin/users/{victim}/reset-password"),
            Body::None,
            Who::Admin,
            200,
            true,
        ),
        // API.
        r(Get, "/api/v1/regions", Body::None, Who::Admin, 200, false),
        r(
            Post,
            "/api/v1/regions",
            Body::Json(
                json!({"code": "370500", "name": "东营市", "level": "city", "parent": "370000"}),
            ),
            Who::Admin,
            201,
            true,
        ),
        r(
            Put,
            "/api/v1/regions/370200",
            Body::Json(json!({"name": "青岛"})),
            Who::Admin,
            200,
            true,
        ),
        r(
            Post,
            "/api/v1/regions/import",
            Body::File(
                "regions.csv",
                "代码,名称\n370600,烟台市\n".as_bytes().to_vec(),
            ),
            Who::Admin,
            201,
            true,
        ),
        r(
            Post,
            "/api/v1/departments",
            Body::Json(json!({"code": "DY", "name": "东营市交通运输局", "region": "370500"})),
            Who::Admin,
            201,
            true,
        ),
        r(
            Put,
            format!("/api/v1/departments/{a}"),
            Body::Json(
                json!({"code": "A", "name": "济南市交通运输局", "region": "370100", "contact_phone": "0531-1234567"}),
            ),
            Who::Admin,
            200,
            true,
        ),
        r(
            Post,
            "/api/v1/departments/import",
            Body::File(
                "d.csv",
                "部门代码,部门全称,所属区划代码\nYT,烟台市交通运输局,370600\n"
                    .as_bytes()
                    .to_vec(),
            ),
            Who::Admin,
            201,
            true,
        ),
        r(Get, "/api/v1/rounds", Body::None, Who::SignedIn, 200, false),
        r(
            Get,
            format!("/api/v1/rounds/{round}"),
            Body::None,
            Who::SignedIn,
            200,
            false,
        ),
        r(
            Post,
            "/api/v1/rounds",
            Body::Json(json!({"name": "东营批次", "region": "370500"})),
            Who::Admin,
            201,
            true,
        ),
        r(
            Put,
            format!("/api/v1/rounds/{round}"),
            Body::Json(json!({"name": "省批次二", "region": "370000"})),
            Who::Admin,
            200,
            true,
        ),
        r(Get, "/api/v1/users", Body::None, Who::Admin, 200, false),
        r(
            Get,
            format!("/api/v1/users/{victim}"),
            Body::None,
            Who::Admin,
            200,
            false,
        ),
        r(
            Post,
            "/api/v1/users",
            Body::Json(json!({"username": "api-made", "role": "submitter", "department": "A"})),
            Who::Admin,
            201,
            true,
        ),
        r(
            Put,
            format!("/api/v1/users/{victim}"),
            Body::Json(json!({"role": "submitter", "department": "B"})),
            Who::Admin,
            200,
            true,
        ),
        r(
            Post,
            format!("/api/v1/users/{victim}/disable"),
            Body::None,
            Who::Admin,
            200,
            true,
        ),
        r(
            Post,
            format!("/api/v1/users/{victim}/enable"),
            Body::None,
            Who::Admin,
            200,
            true,
        ),
        r(
            Post,
            format!("/api/v1/users/{victim}/reset-password"),
            Body::None,
            Who::Admin,
            200,
            true,
        ),
    ]
}

fn expected(route: &Route, cred: Cred) -> (u16, bool) {
    let page = !route.path.starts_with("/api");
    let persona = match cred {
        Cred::Anonymous => return (if page { 303 } else { 401 }, false),
        Cred::NoCsrf(_) if route.method != Method::Get => return (403, false),
        Cred::Session(p) | Cred::NoCsrf(p) | Cred::Token(p) => p,
    };
    match route.who {
        Who::Admin if persona != Persona::Admin => (403, false),
        _ => (route.ok, true),
    }
}

/// What a credential brings to a request.
struct Prepared {
    cookie: Option<String>,
    csrf: Option<String>,
    bearer: Option<String>,
}

/// Signs in or makes a token before the "before" snapshot: they are not the change under test.
fn prepare(app: &TestApp, cred: Cred) -> Prepared {
    match cred {
        Cred::Anonymous => Prepared {
            cookie: None,
            csrf: None,
            bearer: None,
        },
        Cred::Session(p) | Cred::NoCsrf(p) => {
            let who = app.sign_in(p);
            Prepared {
                cookie: Some(who.cookie),
                csrf: matches!(cred, Cred::Session(_)).then_some(who.csrf),
                bearer: None,
            }
        }
        Cred::Token(p) => Prepared {
            cookie: None,
            csrf: None,
            bearer: Some(app.token(p).1),
        },
    }
}

fn send<'c>(app: &'c TestApp, route: &Route, p: &Prepared) -> LocalResponse<'c> {
    let mut req: LocalRequest<'c> = app.client.req(route.method, route.path.clone());
    if let Some(cookie) = &p.cookie {
        req = req.cookie(Cookie::new("nianjian_session", cookie.clone()));
    }
    if let Some(secret) = &p.bearer {
        req = with_token(req, secret);
    }
    let page = !route.path.starts_with("/api");
    match &route.body {
        Body::None if page && route.method == Method::Post => {
            // A page's button form carries the CSRF field only.
            let body = p
                .csrf
                .as_ref()
                .map(|t| format!("csrf_token={t}"))
                .unwrap_or_default();
            req.header(ContentType::Form).body(body).dispatch()
        }
        Body::None | Body::Json(_) => {
            if let Some(token) = &p.csrf {
                req = req.header(Header::new("X-CSRF-Token", token.clone()));
            }
            match &route.body {
                Body::Json(v) => req.header(ContentType::JSON).body(v.to_string()).dispatch(),
                _ => req.dispatch(),
            }
        }
        Body::Form(fields) => {
            let body = match &p.csrf {
                Some(token) => format!("csrf_token={token}&{fields}"),
                None => fields.clone(),
            };
            req.header(ContentType::Form).body(body).dispatch()
        }
        Body::File(name, bytes) => {
            let (ct, body) = multipart(p.csrf.as_deref(), name, bytes);
            req.header(ct).body(body).dispatch()
        }
    }
}

#[test]
fn who_may_use_each_admin_page_and_route_and_a_refusal_changes_nothing() {
    for app in TestApp::all() {
        for p in Persona::ALL {
            app.user(*p);
        }
        let admin = app.sign_in(Persona::Admin);
        let round = province_round(&app, &admin);
        let victim = app.add_user("victim", Role::Submitter, Some(app.dept_a), None);
        let mut cells = 0;
        for route in routes(&app, round, victim) {
            for &cred in CREDS {
                let prepared = prepare(&app, cred);
                let before = app.snapshot();
                let res = send(&app, &route, &prepared);
                let status = res.status().code;
                let location = res.headers().get_one("Location").map(str::to_string);
                let body = res.into_string().unwrap_or_default();
                let after = app.snapshot();
                let (want, allowed) = expected(&route, cred);
                let ctx = format!(
                    "[{}] {} {} as {cred:?}: got {status}, want {want}; body {}",
                    app.backend,
                    route.method,
                    route.path,
                    body.chars().take(400).collect::<String>()
                );
                assert_eq!(status, want, "{ctx}");
                if allowed && route.changes {
                    assert!(before != after, "a permitted change was made: {ctx}");
                } else {
                    assert!(before == after, "nothing may change: {ctx}");
                }
                if want == 303 {
                    let loc = location.unwrap_or_default();
                    let to = if allowed { "/admin" } else { "/signin?next=" };
                    assert!(loc.starts_with(to), "{ctx}: {loc}");
                }
                if route.path.starts_with("/api") && want >= 400 {
                    let v: Value = serde_json::from_str(&body)
                        .unwrap_or_else(|_| panic!("a JSON error: {ctx}"));
                    assert!(v["error"]["code"].is_string(), "{ctx}");
                }
                cells += 1;
            }
        }
        assert!(cells > 300, "the table ran: {cells}");
    }
}

// ---------------------------------------------------------------------------------------------
// Refusals: each with its status, a message in both languages, and nothing changed.

/// Sends a refused JSON call twice (Chinese, then English) and checks status, code, both
/// messages and that the database did not change.
#[allow(clippy::too_many_arguments)]
fn refused(
    app: &TestApp,
    admin: &SignedIn,
    method: Method,
    path: &str,
    body: Value,
    status: u16,
    code: &str,
    zh_part: &str,
    en_part: &str,
) {
    let before = app.snapshot();
    let (got, v) = call(app, admin, method, path, Some(body.clone()));
    let ctx = format!("[{}] {method} {path} {body}: {got} {v}", app.backend);
    assert_eq!(got, status, "{ctx}");
    assert_eq!(v["error"]["code"], code, "{ctx}");
    let zh = v["error"]["message"].as_str().unwrap_or("");
    assert!(zh.contains(zh_part), "{ctx}");
    let (_, v) = call_en(app, admin, method, path, body);
    let en = v["error"]["message"].as_str().unwrap_or("");
    assert!(en.contains(en_part), "{ctx}: {en}");
    assert!(before == app.snapshot(), "nothing may change: {ctx}");
}

#[test]
fn bad_regions_are_refused_and_change_nothing() {
    for app in TestApp::all() {
        let admin = app.sign_in(Persona::Admin);
        let post = |body: Value, status, code, zh, en| {
            refused(
                &app,
                &admin,
                Method::Post,
                "/api/v1/regions",
                body,
                status,
                code,
                zh,
                en,
            )
        };
        post(
            json!({"code": "370300", "name": "淄博市", "level": "city", "parent": "379900"}),
            422,
            "unknown_parent",
            "上级区划“379900”不存在",
            "does not exist",
        );
        post(
            json!({"code": "370100", "name": "济南市", "level": "city", "parent": "370000"}),
            409,
            "duplicate_code",
            "已存在",
            "exists already",
        );
        post(
            json!({"code": "3701", "name": "济南", "level": "city"}),
            422,
            "bad_region_code",
            "6 位数字",
            "6 digits",
        );
        post(
            json!({"code": "370300", "name": "淄博市", "level": "county", "parent": "370000"}),
            422,
            "level_code_mismatch",
            "不是县级的代码",
            "not a county code",
        );
        post(
            json!({"code": "370201", "name": "市南区", "level": "county", "parent": "370100"}),
            422,
            "code_outside_parent",
            "应以 3701 开头",
            "should start with 3701",
        );
        post(
            json!({"code": "370105", "name": "天桥区", "level": "county", "parent": "370000"}),
            422,
            "parent_level",
            "上级应为市级",
            "must be a city",
        );
        post(
            json!({"code": "370300", "name": " ", "level": "city"}),
            422,
            "required",
            "请填写区划名称",
            "the region name is required",
        );
        post(
            json!({"code": "370000", "name": "山东", "level": "province", "parent": "100000"}),
            422,
            "unexpected_parent",
            "省级区划没有上级",
            "a province has no parent",
        );
        refused(
            &app,
            &admin,
            Method::Put,
            "/api/v1/regions/379999",
            json!({"name": "无"}),
            404,
            "region_not_found",
            "未找到区划代码",
            "no region",
        );
        refused(
            &app,
            &admin,
            Method::Put,
            "/api/v1/regions/370100",
            json!({"name": ""}),
            422,
            "required",
            "请填写",
            "required",
        );
    }
}

#[test]
fn bad_departments_are_refused_and_change_nothing() {
    for app in TestApp::all() {
        let admin = app.sign_in(Persona::Admin);
        let good = json!({
            "code": "JN-MZ", "name": "济南市民政局", "region": "370100",
            "contact_person": "李四", "contact_phone": "0531-86912345", "contact_email": "mz@jinan.gov.cn"
        });
        let with = |k: &str, v: Value| {
            let mut b = good.clone();
            b[k] = v;
            b
        };
        let post = |body: Value, status, code, zh, en| {
            refused(
                &app,
                &admin,
                Method::Post,
                "/api/v1/departments",
                body,
                status,
                code,
                zh,
                en,
            )
        };
        post(
            with("region", json!("379900")),
            422,
            "unknown_region",
            "区划代码“379900”不存在",
            "no region",
        );
        post(
            with("code", json!("A")),
            409,
            "duplicate_code",
            "已被“济南市交通运输局”使用",
            "is taken",
        );
        post(
            with("contact_email", json!("mz.jinan.gov.cn")),
            422,
            "bad_email",
            "电子邮箱",
            "e-mail address",
        );
        post(
            with("contact_phone", json!("电话0531")),
            422,
            "bad_phone",
            "联系电话",
            "phone number",
        );
        post(
            with("name", json!("")),
            422,
            "required",
            "请填写部门全称",
            "the full name is required",
        );
        post(
            with("code", json!("民政 局")),
            422,
            "bad_department_code",
            "部门代码",
            "department code",
        );
        refused(
            &app,
            &admin,
            Method::Put,
            "/api/v1/departments/99999",
            good.clone(),
            404,
            "department_not_found",
            "未找到部门",
            "no department",
        );
        // Taking another department's code on edit.
        let b_code = with("code", json!("B"));
        refused(
            &app,
            &admin,
            Method::Put,
            &format!("/api/v1/departments/{}", app.dept_a),
            b_code,
            409,
            "duplicate_code",
            "部门代码“B”",
            "“B” is taken",
        );
        // And the good one goes in, contacts and all.
        let (status, v) = call(
            &app,
            &admin,
            Method::Post,
            "/api/v1/departments",
            Some(good),
        );
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["department"]["contact_email"], "mz@jinan.gov.cn");
        assert_eq!(v["department"]["contact_phone"], "0531-86912345");
        // The scoped list of account_routes still works and now has it.
        let (status, v) = call(&app, &admin, Method::Get, "/api/v1/departments", None);
        assert_eq!(status, 200);
        let codes: Vec<&str> = v["departments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["A", "B", "JN-MZ"]);
    }
}

#[test]
fn rounds_keep_beijing_time_and_refuse_a_wrong_order() {
    for app in TestApp::all() {
        let admin = app.sign_in(Persona::Admin);
        let id = province_round(&app, &admin);
        // Stored in UTC: 18:00 in Beijing is 10:00 UTC.
        let mut c = app.conn();
        let stored: Option<chrono::NaiveDateTime> = rounds::table
            .find(id)
            .select(rounds::submission_deadline)
            .first(&mut c)
            .expect("round");
        drop(c);
        assert_eq!(
            stored.map(|t| t.to_string()).as_deref(),
            Some("2017-04-30 10:00:00")
        );
        // Shown in Beijing time by the API and the page.
        let (status, v) = call(
            &app,
            &admin,
            Method::Get,
            &format!("/api/v1/rounds/{id}"),
            None,
        );
        assert_eq!(status, 200);
        assert_eq!(v["submission_deadline"], "2017-04-30T18:00:00+08:00");
        assert_eq!(v["region_code"], "370000");
        let page = with_cookie(app.client.get("/admin/rounds"), &admin)
            .dispatch()
            .into_string()
            .unwrap();
        assert!(page.contains("2017-04-30 18:00"), "{page}");
        let edit = with_cookie(app.client.get(format!("/admin/rounds/{id}")), &admin)
            .dispatch()
            .into_string()
            .unwrap();
        assert!(
            edit.contains("value=\"2017-05-10T09:00\""),
            "the form shows Beijing time"
        );

        let post = |body: Value, status, code, zh, en| {
            refused(
                &app,
                &admin,
                Method::Post,
                "/api/v1/rounds",
                body,
                status,
                code,
                zh,
                en,
            )
        };
        post(
            json!({"name": "倒序", "region": "370000", "consultation_start": "2017-05-31T18:00", "consultation_end": "2017-05-10T09:00"}),
            422,
            "schedule_order",
            "征求意见开始时间（2017-05-31 18:00）须早于征求意见结束时间（2017-05-10 09:00）",
            "the consultation start (2017-05-31 18:00) must be before the consultation end",
        );
        post(
            json!({"name": "倒序", "region": "370000", "submission_deadline": "2017-05-11T00:00", "consultation_start": "2017-05-10T09:00"}),
            422,
            "schedule_order",
            "报送截止时间（2017-05-11 00:00）不能晚于征求意见开始时间",
            "the submission deadline (2017-05-11 00:00) must not be after the consultation start",
        );
        post(
            json!({"name": "倒序", "region": "370000", "consultation_end": "2017-07-01T00:00", "publication_deadline": "2017-06-30T18:00"}),
            422,
            "schedule_order",
            "征求意见结束时间（2017-07-01 00:00）不能晚于公布截止时间",
            "must not be after the publication deadline",
        );
        post(
            json!({"name": "x", "region": "379900"}),
            422,
            "unknown_region",
            "区划代码“379900”不存在",
            "no region",
        );
        post(
            json!({"name": "x", "region": "370000", "submission_deadline": "四月底"}),
            422,
            "bad_time",
            "报送截止时间“四月底”无法识别",
            "not a time",
        );
        post(
            json!({"name": "2017年山东省清理", "region": "370000"}),
            409,
            "duplicate_name",
            "已有名为",
            "already has a round",
        );
        refused(
            &app,
            &admin,
            Method::Put,
            "/api/v1/rounds/99999",
            json!({"name": "x", "region": "370000"}),
            404,
            "round_not_found",
            "未找到清理批次",
            "no round",
        );
        refused(
            &app,
            &admin,
            Method::Put,
            &format!("/api/v1/rounds/{id}"),
            json!({"name": "x", "region": "370000", "consultation_start": "2017-05-10T09:00", "consultation_end": "2017-05-10T09:00"}),
            422,
            "schedule_order",
            "须早于",
            "must be before",
        );
        // The page says the same next to the form, with what was typed kept.
        let before = app.snapshot();
        let res = post_form(
            &app,
            &admin,
            "/admin/rounds",
            "name=%E5%80%92%E5%BA%8F&region=370000&consultation_start=2017-05-31T18%3A00&consultation_end=2017-05-10T09%3A00",
        );
        assert_eq!(res.status(), Status::UnprocessableEntity);
        let html = res.into_string().unwrap();
        assert!(html.contains("须早于征求意见结束时间"), "{html}");
        assert!(
            html.contains("value=\"2017-05-31T18:00\""),
            "what was typed is kept"
        );
        assert!(before == app.snapshot());
    }
}

#[test]
fn rounds_are_listed_to_everyone_signed_in_within_their_reach() {
    for app in TestApp::all() {
        let admin = app.sign_in(Persona::Admin);
        let province = province_round(&app, &admin);
        let (status, v) = call(
            &app,
            &admin,
            Method::Post,
            "/api/v1/rounds",
            Some(json!({"name": "济南市批次", "region": "370100"})),
        );
        assert_eq!(status, 201, "{v}");
        let city_a = v["round"]["id"].as_i64().unwrap();
        let ids = |p: Persona| -> Vec<i64> {
            let who = app.sign_in(p);
            let (status, v) = call(&app, &who, Method::Get, "/api/v1/rounds", None);
            assert_eq!(status, 200);
            v["rounds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap())
                .collect()
        };
        assert_eq!(ids(Persona::Admin), [city_a, province]);
        assert_eq!(ids(Persona::ProvinceReviewer), [city_a, province]);
        assert_eq!(ids(Persona::ReviewerA), [city_a, province]);
        assert_eq!(ids(Persona::SubmitterA), [city_a, province]);
        assert_eq!(ids(Persona::ReviewerB), [province]);
        assert_eq!(ids(Persona::SubmitterB), [province]);
        let b = app.sign_in(Persona::ReviewerB);
        let (status, _) = call(
            &app,
            &b,
            Method::Get,
            &format!("/api/v1/rounds/{city_a}"),
            None,
        );
        assert_eq!(status, 404, "out of reach reads as absent");
        let (_, secret) = app.token(Persona::SubmitterA);
        let res = with_token(app.client.get("/api/v1/rounds"), &secret).dispatch();
        assert_eq!(res.status(), Status::Ok, "a token reads them too");
    }
}

// ---------------------------------------------------------------------------------------------
// Imports: all or nothing, every bad row named.

#[test]
fn a_region_list_imports_all_or_nothing_naming_every_bad_row() {
    for app in TestApp::all() {
        let admin = app.sign_in(Persona::Admin);
        let bad = "山东省行政区划,,,\n代码,名称,级别,上级代码\n370300,淄博市,地级,370000\n370301,张店区,县级,370300\n37030,错码,县级,370300\n370302,淄川区,县级,379900\n370303,博山区,市级,370300\n370300,淄博,地级,370000\n370100,济南,市级,370000\n410100,郑州市,市级,370000\n";
        let before = app.snapshot();
        let (status, v) = import(
            &app,
            &admin,
            "/api/v1/regions/import",
            "regions.csv",
            bad.as_bytes(),
        );
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["error"]["code"], "row_errors");
        let rows: Vec<(u64, &str)> = v["error"]["detail"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["row"].as_u64().unwrap(), r["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            rows,
            [
                (5, "bad_region_code"),
                (6, "unknown_parent"),
                (7, "level_code_mismatch"),
                (8, "duplicate_in_file"),
                (9, "exists_differently"),
                (10, "code_outside_parent"),
            ],
            "{v}"
        );
        assert!(before == app.snapshot(), "nothing was imported");

        // A good list: parents may come after their children; levels in words or left out.
        let good = "区划代码,名称,级别,上级代码\n370301,张店区,县级,370300\n370300,淄博市,地级,370000\n370302,淄川区,,\n370100,济南市,city,370000\n";
        let (status, v) = import(
            &app,
            &admin,
            "/api/v1/regions/import",
            "regions.csv",
            good.as_bytes(),
        );
        assert_eq!(status, 201, "{v}");
        assert_eq!(
            v["import"]["created"],
            json!(["370300", "370301", "370302"])
        );
        assert_eq!(v["import"]["unchanged"], 1);
        let actions = audit_actions(&app);
        assert_eq!(
            actions.iter().filter(|a| *a == "region.import").count(),
            1,
            "one entry per import"
        );
        // Importing it again changes nothing and records nothing.
        let before = app.snapshot();
        let (status, v) = import(
            &app,
            &admin,
            "/api/v1/regions/import",
            "regions.csv",
            good.as_bytes(),
        );
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["import"]["unchanged"], 4);
        assert!(before == app.snapshot());
        // The tree nests them.
        let (status, v) = call(&app, &admin, Method::Get, "/api/v1/regions", None);
        assert_eq!(status, 200);
        let province = &v["regions"][0];
        assert_eq!(province["code"], "370000");
        let cities: Vec<&str> = province["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        assert_eq!(cities, ["370100", "370200", "370300"]);
        let zibo = &province["children"][2];
        assert_eq!(zibo["children"].as_array().unwrap().len(), 2);
        assert_eq!(zibo["children"][0]["parent_code"], "370300");
        // A dry run reads and checks without writing.
        let before = app.snapshot();
        let (status, v) = import(
            &app,
            &admin,
            "/api/v1/regions/import?dry_run=true",
            "r.csv",
            "代码,名称\n370400,枣庄市\n".as_bytes(),
        );
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["import"]["created"], json!(["370400"]));
        assert!(before == app.snapshot());
        // A file that is not a list.
        let (status, v) = import(
            &app,
            &admin,
            "/api/v1/regions/import",
            "r.csv",
            "甲,乙\n1,2\n".as_bytes(),
        );
        assert_eq!(status, 422);
        assert_eq!(v["error"]["code"], "no_header");
        assert!(before == app.snapshot());
    }
}

fn departments_xlsx(rows: &[[&str; 7]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.write_string(0, 0, "部门名录").unwrap();
    let header = [
        "部门代码",
        "部门全称",
        "简称",
        "所属区划代码",
        "联系人",
        "联系电话",
        "电子邮箱",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if c == 3 && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                // Region codes typed as numbers, as Excel users do.
                sheet
                    .write_number(r as u32 + 2, c as u16, v.parse::<f64>().unwrap())
                    .unwrap();
            } else if !v.is_empty() {
                sheet.write_string(r as u32 + 2, c as u16, *v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_department_list_from_xlsx_imports_all_or_nothing() {
    for app in TestApp::all() {
        let admin = app.sign_in(Persona::Admin);
        let bad = departments_xlsx(&[
            [
                "JN-MZ",
                "济南市民政局",
                "市民政局",
                "370100",
                "李四",
                "0531-86912345",
                "mz@jinan.gov.cn",
            ],
            ["JN-GA", "济南市公安局", "", "379900", "", "", ""],
            [
                "JN-WS",
                "济南市卫生健康委员会",
                "",
                "370100",
                "",
                "",
                "ws-at-jinan",
            ],
            ["JN-MZ", "济南市民政局（重复）", "", "370100", "", "", ""],
            ["QD-ZJ", "", "", "370200", "", "电话", ""],
        ]);
        let before = app.snapshot();
        let (status, v) = import(
            &app,
            &admin,
            "/api/v1/departments/import",
            "部门.xlsx",
            &bad,
        );
        assert_eq!(status, 422, "{v}");
        let rows: Vec<(u64, &str)> = v["error"]["detail"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["row"].as_u64().unwrap(), r["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            rows,
            [
                (4, "unknown_region"),
                (5, "bad_email"),
                (6, "duplicate_in_file"),
                (7, "required")
            ],
            "{v}"
        );
        assert!(
            v["error"]["detail"]["rows"][0]["zh"]
                .as_str()
                .unwrap()
                .contains("379900")
        );
        assert!(before == app.snapshot());

        let good = departments_xlsx(&[
            [
                "JN-MZ",
                "济南市民政局",
                "市民政局",
                "370100",
                "李四",
                "0531-86912345",
                "mz@jinan.gov.cn",
            ],
            ["QD-MZ", "青岛市民政局", "", "370200", "", "", ""],
        ]);
        let (status, v) = import(
            &app,
            &admin,
            "/api/v1/departments/import",
            "部门.xlsx",
            &good,
        );
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["import"]["created"], json!(["JN-MZ", "QD-MZ"]));
        let (_, v) = call(&app, &admin, Method::Get, "/api/v1/departments", None);
        assert_eq!(v["departments"].as_array().unwrap().len(), 4);
        // The reviewer of city A sees the new department of city A, not the one of city B.
        let reviewer = app.sign_in(Persona::ReviewerA);
        let (_, v) = call(&app, &reviewer, Method::Get, "/api/v1/departments", None);
        let codes: Vec<&str> = v["departments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["A", "JN-MZ"]);
        // The page lists every bad row too.
        let (ct, body) = multipart(Some(&admin.csrf), "部门.xlsx", &bad);
        let res = with_cookie(app.client.post("/admin/departments/import"), &admin)
            .header(ct)
            .body(body)
            .dispatch();
        assert_eq!(res.status(), Status::UnprocessableEntity);
        let html = res.into_string().unwrap();
        for row in ["4", "5", "6", "7"] {
            assert!(
                html.contains(&format!("第 {row} 行：")),
                "row {row} named: {html}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Users

#[test]
fn users_are_made_with_a_one_time_password_shown_once_and_kept_out_of_the_log() {
    for app in TestApp::all() {
        let admin = app.sign_in(Persona::Admin);
        let (status, v) = call(
            &app,
            &admin,
            Method::Post,
            "/api/v1/users",
            Some(json!({"username": "clerk-a", "role": "submitter", "department": "A"})),
        );
        assert_eq!(status, 201, "{v}");
        let password = v["one_time_password"].as_str().unwrap().to_string();
        assert_eq!(password.len(), 16);
        assert_eq!(v["user"]["department_code"], "A");
        assert_eq!(v["user"]["must_change_password"], true);
        assert!(v["user"].get("password_hash").is_none());
        let id = v["user"]["id"].as_i64().unwrap();
        // It signs in, and nothing in the audit log holds the password or its hash.
        let clerk = app.sign_in_as("clerk-a", &password);
        let mut c = app.conn();
        let logged: Vec<Option<String>> = audit_log::table
            .select(audit_log::after_json)
            .load(&mut c)
            .unwrap();
        let hash: String = users::table
            .find(id)
            .select(users::password_hash)
            .first(&mut c)
            .unwrap();
        drop(c);
        for entry in logged.iter().flatten() {
            assert!(
                !entry.contains(&password) && !entry.contains(&hash),
                "{entry}"
            );
        }
        // Reading the user later never shows it again.
        let (_, v) = call(
            &app,
            &admin,
            Method::Get,
            &format!("/api/v1/users/{id}"),
            None,
        );
        assert!(!v.to_string().contains(&password));
        // A reset gives a new one and ends the user's sessions.
        let (status, v) = call(
            &app,
            &admin,
            Method::Post,
            &format!("/api/v1/users/{id}/reset-password"),
            None,
        );
        assert_eq!(status, 200, "{v}");
        let new_password = v["one_time_password"].as_str().unwrap().to_string();
        assert_ne!(new_password, password);
        let res = with_cookie(app.client.get("/api/v1/session"), &clerk).dispatch();
        assert_eq!(res.status(), Status::Unauthorized, "the old session ended");
        app.sign_in_as("clerk-a", &new_password);

        // Refusals.
        let post = |body: Value, status, code, zh, en| {
            refused(
                &app,
                &admin,
                Method::Post,
                "/api/v1/users",
                body,
                status,
                code,
                zh,
                en,
            )
        };
        post(
            json!({"username": "clerk-b", "role": "submitter"}),
            422,
            "department_required",
            "部门填报人须属于一个部门",
            "a submitter needs a department",
        );
        post(
            json!({"username": "clerk-b", "role": "submitter", "department": "NOPE"}),
            422,
            "unknown_department",
            "部门代码“NOPE”不存在",
            "no department",
        );
        post(
            json!({"username": "clerk-b", "role": "reviewer", "region": "379900"}),
            422,
            "unknown_region",
            "区划代码“379900”不存在",
            "no region",
        );
        post(
            json!({"username": "clerk-a", "role": "admin"}),
            409,
            "username_taken",
            "用户名已被使用",
            "taken",
        );
        post(
            json!({"username": "clerk-b", "role": "king"}),
            422,
            "bad_role",
            "角色“king”无效",
            "unknown role",
        );
        post(
            json!({"username": "a b", "role": "admin"}),
            422,
            "bad_username",
            "用户名",
            "username",
        );
        let path = format!("/api/v1/users/{id}");
        refused(
            &app,
            &admin,
            Method::Put,
            &path,
            json!({"role": "reviewer"}),
            422,
            "region_required",
            "审核人须属于一个区划",
            "a reviewer needs a region",
        );
        refused(
            &app,
            &admin,
            Method::Put,
            &path,
            json!({"role": "submitter", "department": "A", "region": "370100"}),
            422,
            "unexpected_attachment",
            "该角色不属于",
            "no department or region",
        );
        refused(
            &app,
            &admin,
            Method::Put,
            "/api/v1/users/99999",
            json!({"role": "admin"}),
            404,
            "not_found",
            "未找到该用户",
            "no such user",
        );
    }
}

#[test]
fn a_role_change_applies_on_the_next_request_and_disabling_stops_a_user_at_once() {
    for app in TestApp::all() {
        let admin = app.sign_in(Persona::Admin);
        let clerk_id = app.user(Persona::SubmitterA);
        let clerk = app.sign_in(Persona::SubmitterA);
        let (_, secret) = app.token(Persona::SubmitterA);
        let codes = |who: &SignedIn| -> Vec<String> {
            let (_, v) = call(&app, who, Method::Get, "/api/v1/departments", None);
            v["departments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["code"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(codes(&clerk), ["A"]);
        let (status, v) = call(
            &app,
            &admin,
            Method::Put,
            &format!("/api/v1/users/{clerk_id}"),
            Some(json!({"role": "reviewer", "region": "370200"})),
        );
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["user"]["region_code"], "370200");
        assert_eq!(codes(&clerk), ["B"], "the same session, the new reach");
        assert!(audit_actions(&app).contains(&"user.role".to_string()));

        // Disable: the session and the token stop at once; the session rows are revoked.
        let (status, _) = call(
            &app,
            &admin,
            Method::Post,
            &format!("/api/v1/users/{clerk_id}/disable"),
            None,
        );
        assert_eq!(status, 200);
        assert_eq!(
            with_cookie(app.client.get("/api/v1/session"), &clerk)
                .dispatch()
                .status(),
            Status::Unauthorized
        );
        assert_eq!(
            with_token(app.client.get("/api/v1/rounds"), &secret)
                .dispatch()
                .status(),
            Status::Unauthorized
        );
        let mut c = app.conn();
        let open: i64 = sessions::table
            .filter(sessions::user_id.eq(clerk_id))
            .filter(sessions::revoked_at.is_null())
            .count()
            .get_result(&mut c)
            .unwrap();
        drop(c);
        assert_eq!(open, 0);
        // Enabled again, its token works again (a token is revoked only on purpose).
        let (status, _) = call(
            &app,
            &admin,
            Method::Post,
            &format!("/api/v1/users/{clerk_id}/enable"),
            None,
        );
        assert_eq!(status, 200);
        assert_eq!(
            with_token(app.client.get("/api/v1/rounds"), &secret)
                .dispatch()
                .status(),
            Status::Ok
        );

        // The admin cannot lock the service out: not disable themself, not demote the last admin.
        let me = admin.user_id;
        refused(
            &app,
            &admin,
            Method::Post,
            &format!("/api/v1/users/{me}/disable"),
            json!({}),
            409,
            "disable_self",
            "不能停用自己",
            "your own account",
        );
        refused(
            &app,
            &admin,
            Method::Put,
            &format!("/api/v1/users/{me}"),
            json!({"role": "reviewer", "region": "370000"}),
            409,
            "last_admin",
            "唯一启用的管理员",
            "only enabled admin",
        );
        // With a second admin, the first may step down.
        let (status, _) = call(
            &app,
            &admin,
            Method::Post,
            "/api/v1/users",
            Some(json!({"username": "admin-2", "role": "admin"})),
        );
        assert_eq!(status, 201);
        let (status, v) = call(
            &app,
            &admin,
            Method::Put,
            &format!("/api/v1/users/{me}"),
            Some(json!({"role": "reviewer", "region": "370000"})),
        );
        assert_eq!(status, 200, "{v}");
        let (status, _) = call(&app, &admin, Method::Get, "/api/v1/users", None);
        assert_eq!(status, 403, "no longer an admin");
    }
}

// ---------------------------------------------------------------------------------------------
// Pages

#[test]
fn the_admin_pages_show_the_tree_keep_what_was_typed_and_show_a_password_once() {
    for app in TestApp::all() {
        let admin = app.sign_in(Persona::Admin);
        let html = with_cookie(app.client.get("/admin"), &admin)
            .dispatch()
            .into_string()
            .unwrap();
        assert!(
            html.contains("href=\"/account/password\""),
            "a way to one's own password"
        );
        let html = with_cookie(app.client.get("/admin/regions"), &admin)
            .dispatch()
            .into_string()
            .unwrap();
        assert!(
            html.contains("370100") && html.contains("济南市") && html.contains("市级"),
            "{html}"
        );

        // A refusal: 422, the message next to the field, the input kept, nothing changed.
        let before = app.snapshot();
        let res = post_form(
            &app,
            &admin,
            "/admin/regions",
            "code=370201&name=%E5%B8%82%E5%8D%97%E5%8C%BA&level=county&parent=370100",
        );
        assert_eq!(res.status(), Status::UnprocessableEntity);
        let html = res.into_string().unwrap();
        assert!(html.contains("class=\"field-error\""), "{html}");
        assert!(html.contains("应以 3701 开头"), "{html}");
        assert!(html.contains("value=\"370201\""), "what was typed is kept");
        assert!(before == app.snapshot());
        // In English on request.
        let res = with_cookie(app.client.post("/admin/regions?lang=en"), &admin)
            .header(ContentType::Form)
            .body(format!(
                "csrf_token={}&code=370201&name=x&level=county&parent=370100",
                admin.csrf
            ))
            .dispatch();
        assert!(
            res.into_string()
                .unwrap()
                .contains("should start with 3701")
        );

        // Success: a redirect and a confirmation.
        let res = post_form(
            &app,
            &admin,
            "/admin/regions",
            "code=370300&name=%E6%B7%84%E5%8D%9A%E5%B8%82&level=&parent=",
        );
        assert_eq!(res.status(), Status::SeeOther);
        assert_eq!(
            res.headers().get_one("Location"),
            Some("/admin/regions?done=created")
        );
        let html = with_cookie(app.client.get("/admin/regions?done=created"), &admin)
            .dispatch()
            .into_string()
            .unwrap();
        assert!(html.contains("已添加") && html.contains("淄博市"));

        // A user made on the page: the one-time password on that page only.
        let res = post_form(
            &app,
            &admin,
            "/admin/users",
            "username=page-clerk&role=submitter&department=B&region=370100",
        );
        assert_eq!(res.status(), Status::Ok);
        let html = res.into_string().unwrap();
        let password = html
            .split("<p class=\"secret\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .expect("the password is shown")
            .to_string();
        assert_eq!(password.len(), 16);
        let clerk = app.sign_in_as("page-clerk", &password);
        let (_, v) = call(&app, &clerk, Method::Get, "/api/v1/session", None);
        assert_eq!(
            v["user"]["role"], "submitter",
            "the region of the other select is ignored"
        );
        let id = v["user"]["id"].as_i64().unwrap();
        let html = with_cookie(app.client.get(format!("/admin/users/{id}")), &admin)
            .dispatch()
            .into_string()
            .unwrap();
        assert!(!html.contains(&password), "never shown again");
        assert!(html.contains("青岛市交通运输局"));
        // The admin's own page offers the password change, not the disable button.
        let html = with_cookie(
            app.client.get(format!("/admin/users/{}", admin.user_id)),
            &admin,
        )
        .dispatch()
        .into_string()
        .unwrap();
        assert!(html.contains("href=\"/account/password\"") && !html.contains("/disable\""));
        // A page that does not exist.
        let res = with_cookie(app.client.get("/admin/departments/99999"), &admin).dispatch();
        assert_eq!(res.status(), Status::NotFound);
    }
}

// ---------------------------------------------------------------------------------------------
// Command line

#[test]
fn the_command_line_manages_regions_departments_rounds_and_roles() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_nianjian"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("NIANJIAN_LOG", "warn")
            .current_dir(dir.path())
            .output()
            .expect("run");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let ok = |args: &[&str]| {
        let (code, out, err) = run(args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        out
    };
    ok(&["region", "add", "370000", "山东省", "--level", "province"]);
    ok(&[
        "region",
        "add",
        "370100",
        "济南市",
        "--level",
        "city",
        "--parent",
        "370000",
    ]);
    let list = dir.path().join("regions.csv");
    std::fs::write(
        &list,
        "代码,名称,级别,上级代码\n370200,青岛市,市级,370000\n370202,市南区,县级,370200\n",
    )
    .unwrap();
    let out = ok(&["region", "import", list.to_str().unwrap()]);
    assert!(out.contains("2 added"), "{out}");
    let out = ok(&["region", "list"]);
    assert!(
        out.contains("370000 山东省") && out.contains("    370202 市南区"),
        "{out}"
    );
    ok(&[
        "department",
        "add",
        "JN-JT",
        "济南市交通运输局",
        "--region",
        "370100",
        "--short",
        "市交通局",
        "--contact",
        "张三",
        "--phone",
        "0531-86912345",
        "--email",
        "jt@jinan.gov.cn",
    ]);
    let deps = dir.path().join("departments.csv");
    std::fs::write(
        &deps,
        "部门代码,部门全称,所属区划代码\nQD-JT,青岛市交通运输局,370200\n",
    )
    .unwrap();
    ok(&["department", "import", deps.to_str().unwrap()]);
    let out = ok(&["department", "list"]);
    assert!(
        out.contains("JN-JT") && out.contains("jt@jinan.gov.cn") && out.contains("QD-JT"),
        "{out}"
    );
    ok(&[
        "round",
        "add",
        "2017年清理",
        "--region",
        "370000",
        "--submission-deadline",
        "2017-04-30T18:00",
        "--consultation-start",
        "2017-05-10T09:00",
        "--consultation-end",
        "2017-05-31T18:00",
        "--publication-deadline",
        "2017-06-30T18:00",
    ]);
    let out = ok(&["round", "list"]);
    assert!(
        out.contains("2017-04-30 18:00") && out.contains("2017-05-10 09:00 – 2017-05-31 18:00"),
        "{out}"
    );
    ok(&[
        "user",
        "add",
        "clerk",
        "--role",
        "submitter",
        "--department",
        "JN-JT",
    ]);
    let out = ok(&[
        "user", "set-role", "clerk", "--role", "reviewer", "--region", "370200",
    ]);
    assert!(out.contains("reviewer"), "{out}");
    let out = ok(&["user", "list"]);
    assert!(out.contains("clerk\treviewer\tregion 370200"), "{out}");

    // Refusals: one clear line, exit 2, nothing changed.
    for (args, needle) in [
        (
            vec![
                "region",
                "add",
                "370300",
                "淄博市",
                "--level",
                "city",
                "--parent",
                "379900",
            ],
            "the parent region “379900” does not exist",
        ),
        (
            vec![
                "region", "add", "370100", "济南", "--level", "city", "--parent", "370000",
            ],
            "exists already",
        ),
        (
            vec![
                "department",
                "add",
                "X",
                "某局",
                "--region",
                "370100",
                "--email",
                "x-at-y",
            ],
            "e-mail address",
        ),
        (
            vec!["department", "add", "JN-JT", "某局", "--region", "370100"],
            "is taken",
        ),
        (
            vec![
                "round",
                "add",
                "倒序",
                "--region",
                "370000",
                "--consultation-start",
                "2017-05-31T18:00",
                "--consultation-end",
                "2017-05-10T09:00",
            ],
            "the consultation start (2017-05-31 18:00) must be before the consultation end",
        ),
        (
            vec![
                "user",
                "set-role",
                "clerk",
                "--role",
                "submitter",
                "--department",
                "NOPE",
            ],
            "no department",
        ),
        (
            vec!["user", "set-role", "nobody", "--role", "admin"],
            "no such user",
        ),
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // An import with bad rows: every one on stderr, exit 1, nothing imported.
    std::fs::write(&list, "代码,名称,级别,上级代码\n370300,淄博市,市级,370000\n3703,坏,县级,370300\n370400,枣庄市,市级,379900\n").unwrap();
    let (code, _, err) = run(&["region", "import", list.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("第 3 行 (row 3)") && err.contains("第 4 行 (row 4)"),
        "{err}"
    );
    let out = ok(&["region", "list"]);
    assert!(!out.contains("370300"), "nothing imported: {out}");
}
