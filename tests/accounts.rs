//! Accounts and the doors, through HTTP on every backend: who may call each route and who may
//! not (with the database unchanged after every refusal), sessions, tokens, CSRF, the sign-in
//! rate limit, security headers and body limits.

mod common;

use common::{
    Persona, SignedIn, TEST_PASSWORD, TestApp, TestDb, with_cookie, with_session, with_token,
};
use diesel::prelude::*;
use nianjian::config::Settings;
use nianjian::db::audit::{self, Actor};
use nianjian::db::schema::{api_tokens, audit_log, sessions, users};
use nianjian::db::users::Role;
use nianjian::db::{now, tokens, write_transaction};
use rocket::http::{ContentType, Cookie, Header, Method, Status};
use rocket::local::blocking::{LocalRequest, LocalResponse};

/// A wrong CSRF token of the right shape.
const WRONG_CSRF: &str = "00000000000000000000000000000000000000000000000000000000000000ff";

/// How a request proves who it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    Anonymous,
    /// A live session with its CSRF token.
    Session(Persona),
    /// A live session, no CSRF token.
    NoCsrf(Persona),
    /// A live session, a wrong CSRF token.
    WrongCsrf(Persona),
    /// A live API token.
    Token(Persona),
    RevokedToken,
    /// An admin's session past its expiry.
    ExpiredSession,
    /// An admin's session cookie with one character changed.
    TamperedCookie,
    /// A session of an admin who has since been disabled.
    DisabledSession,
    /// A token of a submitter who has since been disabled.
    DisabledToken,
}

const CREDS: &[Cred] = &[
    Cred::Anonymous,
    Cred::Session(Persona::Admin),
    Cred::Session(Persona::ProvinceReviewer),
    Cred::Session(Persona::ReviewerA),
    Cred::Session(Persona::ReviewerB),
    Cred::Session(Persona::SubmitterA),
    Cred::Session(Persona::SubmitterB),
    Cred::NoCsrf(Persona::Admin),
    Cred::WrongCsrf(Persona::Admin),
    Cred::Token(Persona::SubmitterA),
    Cred::Token(Persona::ReviewerB),
    Cred::RevokedToken,
    Cred::ExpiredSession,
    Cred::TamperedCookie,
    Cred::DisabledSession,
    Cred::DisabledToken,
];

/// Who a route lets in.
#[derive(Debug, Clone, Copy)]
enum Who {
    Anyone,
    SignedIn,
    /// Signed in through a browser session (not a token).
    SessionOnly,
    Admin,
    /// Signed in, and the row (department B) must lie in the principal's scope: else 404.
    ScopeOfDepartmentB,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    /// A form whose first field is the CSRF token (when the credential has one).
    Form(&'static str),
    Json(&'static str),
}

struct Route {
    method: Method,
    path: String,
    body: Body,
    /// A page (redirect to sign-in) rather than the API (JSON 401).
    page: bool,
    who: Who,
    /// The status when allowed.
    ok: u16,
    /// The status when allowed but called with a token, if different.
    ok_token: Option<u16>,
    /// Whether an allowed call changes the database.
    changes: bool,
    /// Whether it does so when called with a token too (signing out a token ends nothing).
    changes_by_token: bool,
}

fn route(method: Method, path: &str, who: Who, ok: u16) -> Route {
    Route {
        method,
        path: path.to_string(),
        body: Body::None,
        page: !path.starts_with("/api"),
        who,
        ok,
        ok_token: None,
        changes: false,
        changes_by_token: true,
    }
}

fn routes(app: &TestApp, victim_token: i64) -> Vec<Route> {
    vec![
        route(Method::Get, "/", Who::Anyone, 200),
        route(Method::Get, "/static/app.css", Who::Anyone, 200),
        route(Method::Get, "/healthz", Who::Anyone, 200),
        route(Method::Get, "/account", Who::SignedIn, 200),
        route(Method::Get, "/account/password", Who::SessionOnly, 200),
        Route {
            // A wrong current password: allowed callers get 422 and nothing changes.
            body: Body::Form("current=not-the-password&new=long-enough-1&confirm=long-enough-1"),
            ..route(Method::Post, "/account/password", Who::SessionOnly, 422)
        },
        Route {
            body: Body::Form(""),
            changes: true,
            changes_by_token: false,
            ..route(Method::Post, "/signout", Who::SignedIn, 303)
        },
        route(Method::Get, "/api/v1/session", Who::SignedIn, 200),
        Route {
            changes: true,
            ok_token: Some(400),
            ..route(Method::Delete, "/api/v1/session", Who::SignedIn, 200)
        },
        route(Method::Get, "/api/v1/tokens", Who::Admin, 200),
        Route {
            body: Body::Json(r#"{"username": "submitter-b", "name": "nightly upload"}"#),
            changes: true,
            ..route(Method::Post, "/api/v1/tokens", Who::Admin, 201)
        },
        Route {
            changes: true,
            ..route(
                Method::Delete,
                &format!("/api/v1/tokens/{victim_token}"),
                Who::Admin,
                200,
            )
        },
        route(Method::Get, "/api/v1/departments", Who::SignedIn, 200),
        route(
            Method::Get,
            &format!("/api/v1/departments/{}", app.dept_b),
            Who::ScopeOfDepartmentB,
            200,
        ),
    ]
}

fn sees_department_b(p: Persona) -> bool {
    matches!(
        p,
        Persona::Admin | Persona::ProvinceReviewer | Persona::ReviewerB | Persona::SubmitterB
    )
}

/// The status a credential must get on a route, and whether it is let in.
fn expected(r: &Route, cred: Cred) -> (u16, bool) {
    if let Who::Anyone = r.who {
        return (r.ok, true);
    }
    let refused_unknown = if r.page { 303 } else { 401 };
    let (persona, token) = match cred {
        Cred::Anonymous
        | Cred::RevokedToken
        | Cred::ExpiredSession
        | Cred::TamperedCookie
        | Cred::DisabledSession
        | Cred::DisabledToken => return (refused_unknown, false),
        Cred::NoCsrf(_) | Cred::WrongCsrf(_) if r.method != Method::Get => return (403, false),
        Cred::Session(p) | Cred::NoCsrf(p) | Cred::WrongCsrf(p) => (p, false),
        Cred::Token(p) => (p, true),
    };
    match r.who {
        Who::Admin if persona != Persona::Admin => (403, false),
        Who::SessionOnly if token => (403, false),
        Who::ScopeOfDepartmentB if !sees_department_b(persona) => (404, false),
        _ if token => (r.ok_token.unwrap_or(r.ok), true),
        _ => (r.ok, true),
    }
}

/// What a credential brings to a request: a cookie, a CSRF token, a bearer token.
struct Prepared {
    cookie: Option<String>,
    csrf: Option<String>,
    bearer: Option<String>,
    /// A user to disable just before the request (and enable after).
    disable: Option<i64>,
}

fn prepare(app: &TestApp, cred: Cred) -> Prepared {
    let session = |who: SignedIn, csrf: Option<String>| Prepared {
        cookie: Some(who.cookie),
        csrf,
        bearer: None,
        disable: None,
    };
    let bearer = |secret: String, disable: Option<i64>| Prepared {
        cookie: None,
        csrf: None,
        bearer: Some(secret),
        disable,
    };
    match cred {
        Cred::Anonymous => Prepared {
            cookie: None,
            csrf: None,
            bearer: None,
            disable: None,
        },
        Cred::Session(p) => {
            let who = app.sign_in(p);
            let csrf = who.csrf.clone();
            session(who, Some(csrf))
        }
        Cred::NoCsrf(p) => session(app.sign_in(p), None),
        Cred::WrongCsrf(p) => session(app.sign_in(p), Some(WRONG_CSRF.to_string())),
        Cred::Token(p) => bearer(app.token(p).1, None),
        Cred::RevokedToken => {
            let (id, secret) = app.token(Persona::SubmitterA);
            let mut conn = app.conn();
            write_transaction(&mut conn, |c| tokens::revoke(c, &Actor::system(), id))
                .expect("revoke");
            bearer(secret, None)
        }
        Cred::ExpiredSession => {
            let who = app.sign_in(Persona::Admin);
            let mut conn = app.conn();
            diesel::update(sessions::table.filter(sessions::user_id.eq(who.user_id)))
                .set(sessions::expires_at.eq(now() - chrono::Duration::minutes(1)))
                .execute(&mut conn)
                .expect("expire");
            let csrf = who.csrf.clone();
            session(who, Some(csrf))
        }
        Cred::TamperedCookie => {
            let mut who = app.sign_in(Persona::Admin);
            let mut chars: Vec<char> = who.cookie.chars().collect();
            let i = chars.len() / 2;
            chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            who.cookie = chars.into_iter().collect();
            let csrf = who.csrf.clone();
            session(who, Some(csrf))
        }
        Cred::DisabledSession => {
            let id = ensure_user(app, "gone-admin", Role::Admin, None);
            let who = app.sign_in_as("gone-admin", TEST_PASSWORD);
            let csrf = who.csrf.clone();
            Prepared {
                disable: Some(id),
                ..session(who, Some(csrf))
            }
        }
        Cred::DisabledToken => {
            let id = ensure_user(app, "gone-submitter", Role::Submitter, Some(app.dept_a));
            let mut conn = app.conn();
            let issued = write_transaction(&mut conn, |c| {
                tokens::create(c, &Actor::system(), id, "old system")
            })
            .expect("token");
            bearer(issued.secret, Some(id))
        }
    }
}

fn ensure_user(app: &TestApp, name: &str, role: Role, department: Option<i64>) -> i64 {
    let mut conn = app.conn();
    let found: Option<i64> = users::table
        .filter(users::username.eq(name))
        .select(users::id)
        .first(&mut conn)
        .optional()
        .expect("user");
    found.unwrap_or_else(|| app.add_user(name, role, department, None))
}

fn set_disabled_flag(app: &TestApp, user: i64, disabled: bool) {
    // Straight in the table: proves the flag is checked on every request, not only that
    // disabling revokes sessions (tested apart).
    let mut conn = app.conn();
    diesel::update(users::table.find(user))
        .set(users::disabled.eq(disabled))
        .execute(&mut conn)
        .expect("flag");
}

fn send<'c>(app: &'c TestApp, r: &Route, p: &Prepared) -> LocalResponse<'c> {
    let mut req: LocalRequest<'c> = app.client.req(r.method, r.path.clone());
    req = req.remote(app.fresh_addr());
    if let Some(cookie) = &p.cookie {
        req = req.cookie(Cookie::new("nianjian_session", cookie.clone()));
    }
    if let Some(secret) = &p.bearer {
        req = with_token(req, secret);
    }
    match r.body {
        Body::None | Body::Json(_) => {
            if let Some(csrf) = &p.csrf {
                req = req.header(Header::new("X-CSRF-Token", csrf.clone()));
            }
        }
        Body::Form(_) => {}
    }
    match r.body {
        Body::None => req.dispatch(),
        Body::Json(json) => req.header(ContentType::JSON).body(json).dispatch(),
        Body::Form(fields) => {
            let mut body = match &p.csrf {
                Some(csrf) => format!("csrf_token={csrf}"),
                None => String::new(),
            };
            if !fields.is_empty() {
                if !body.is_empty() {
                    body.push('&');
                }
                body.push_str(fields);
            }
            req.header(ContentType::Form).body(body).dispatch()
        }
    }
}

#[test]
fn who_may_call_each_route_and_a_refusal_changes_nothing() {
    for app in TestApp::all() {
        for p in Persona::ALL {
            app.user(*p);
        }
        let (victim_token, _) = app.token(Persona::SubmitterB);
        let mut cells = 0;
        for r in routes(&app, victim_token) {
            for &cred in CREDS {
                let prepared = prepare(&app, cred);
                if let Some(user) = prepared.disable {
                    set_disabled_flag(&app, user, true);
                }
                let before = app.snapshot();
                let res = send(&app, &r, &prepared);
                let status = res.status().code;
                let location = res.headers().get_one("Location").map(str::to_string);
                let body = res.into_string().unwrap_or_default();
                let after = app.snapshot();
                if let Some(user) = prepared.disable {
                    set_disabled_flag(&app, user, false);
                }
                let (want, allowed) = expected(&r, cred);
                let ctx = format!(
                    "[{}] {} {} as {cred:?}: got {status}, want {want}; body {}",
                    app.backend,
                    r.method,
                    r.path,
                    body.chars().take(300).collect::<String>()
                );
                assert_eq!(status, want, "{ctx}");
                // `assert!` rather than `assert_eq!`: the snapshots are long.
                let by_token = matches!(cred, Cred::Token(_));
                if allowed && r.changes && want < 400 && (r.changes_by_token || !by_token) {
                    assert!(before != after, "a permitted change was made: {ctx}");
                } else {
                    assert!(before == after, "nothing may change: {ctx}");
                }
                if want == 303 && !allowed {
                    let loc = location.unwrap_or_default();
                    assert!(loc.starts_with("/signin?next="), "{ctx}: {loc}");
                }
                if !r.page && want >= 400 {
                    let v: serde_json::Value = serde_json::from_str(&body)
                        .unwrap_or_else(|_| panic!("a JSON error: {ctx}"));
                    assert!(v["error"]["code"].is_string(), "{ctx}");
                }
                cells += 1;
            }
        }
        assert!(cells > 200, "the table ran: {cells}");
    }
}

#[test]
fn departments_are_listed_within_the_scope_only() {
    for app in TestApp::all() {
        let codes = |p: Persona| -> Vec<String> {
            let who = app.sign_in(p);
            let res = with_cookie(app.client.get("/api/v1/departments"), &who).dispatch();
            assert_eq!(res.status(), Status::Ok);
            let v: serde_json::Value = res.into_json().expect("json");
            v["departments"]
                .as_array()
                .expect("list")
                .iter()
                .map(|d| d["code"].as_str().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(codes(Persona::SubmitterA), ["A"]);
        assert_eq!(codes(Persona::SubmitterB), ["B"]);
        assert_eq!(codes(Persona::ReviewerA), ["A"]);
        assert_eq!(codes(Persona::ReviewerB), ["B"]);
        assert_eq!(codes(Persona::ProvinceReviewer), ["A", "B"]);
        assert_eq!(codes(Persona::Admin), ["A", "B"]);
    }
}

fn api_sign_in<'c>(
    app: &'c TestApp,
    addr: std::net::SocketAddr,
    user: &str,
    pw: &str,
) -> LocalResponse<'c> {
    app.client
        .post("/api/v1/session")
        .remote(addr)
        .header(ContentType::JSON)
        .body(serde_json::json!({"username": user, "password": pw}).to_string())
        .dispatch()
}

/// The sign-in page's form token and the sealed cookie that goes with it.
fn signin_form(app: &TestApp) -> (String, String) {
    let res = app.client.get("/signin").dispatch();
    assert_eq!(res.status(), Status::Ok);
    let cookie = res
        .cookies()
        .get("nianjian_signin")
        .map(|c| c.value().to_string())
        .expect("a sign-in cookie");
    let html = res.into_string().unwrap_or_default();
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.get(..64))
        .expect("the form token")
        .to_string();
    (token, cookie)
}

fn page_sign_in<'c>(
    app: &'c TestApp,
    addr: std::net::SocketAddr,
    user: &str,
    pw: &str,
) -> LocalResponse<'c> {
    let (token, cookie) = signin_form(app);
    app.client
        .post("/signin")
        .remote(addr)
        .cookie(Cookie::new("nianjian_signin", cookie))
        .header(ContentType::Form)
        .body(format!(
            "csrf_token={token}&username={user}&password={pw}&next=%2Faccount"
        ))
        .dispatch()
}

/// The error message of a sign-in page.
fn page_error(html: &str) -> String {
    html.split("<div class=\"error-summary\"")
        .nth(1)
        .and_then(|s| s.split("</div>").next())
        .unwrap_or("")
        .to_string()
}

#[test]
fn a_refused_sign_in_never_says_whether_the_user_exists() {
    for app in TestApp::all() {
        app.user(Persona::SubmitterA);
        let disabled = app.add_user("disabled-one", Role::Admin, None, None);
        set_disabled_flag(&app, disabled, true);
        let before = app.snapshot();
        let mut answers = Vec::new();
        for (user, pw) in [
            ("nobody-here", TEST_PASSWORD),
            ("submitter-a", "wrong-password-1"),
            ("disabled-one", TEST_PASSWORD),
        ] {
            let res = api_sign_in(&app, app.fresh_addr(), user, pw);
            let status = res.status();
            assert!(res.cookies().get("nianjian_session").is_none());
            answers.push((status, res.into_string().unwrap_or_default()));
        }
        assert_eq!(answers[0].0, Status::Unauthorized);
        assert!(
            answers[0].1.contains("用户名或密码错误"),
            "{}",
            answers[0].1
        );
        assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");

        let mut pages = Vec::new();
        for (user, pw) in [
            ("nobody-here", TEST_PASSWORD),
            ("submitter-a", "wrong-password-1"),
            ("disabled-one", TEST_PASSWORD),
        ] {
            let res = page_sign_in(&app, app.fresh_addr(), user, pw);
            let status = res.status();
            let html = res.into_string().unwrap_or_default();
            pages.push((status, page_error(&html)));
        }
        assert_eq!(pages[0].0, Status::Unauthorized);
        assert!(pages[0].1.contains("用户名或密码错误"), "{:?}", pages[0]);
        assert!(pages.iter().all(|p| *p == pages[0]), "{pages:?}");
        assert_eq!(before, app.snapshot(), "a refused sign-in changes nothing");
    }
}

#[test]
fn sign_in_is_rate_limited_per_address_with_retry_after() {
    for test_db in TestDb::all() {
        let settings = Settings {
            signin_per_minute: 3,
            ..Settings::default()
        };
        let app = TestApp::with_settings(test_db, settings);
        app.user(Persona::SubmitterA);
        let addr = app.fresh_addr();
        for _ in 0..3 {
            let res = api_sign_in(&app, addr, "submitter-a", "wrong-password-1");
            assert_eq!(res.status(), Status::Unauthorized);
        }
        let before = app.snapshot();
        // Even the right password waits now: the limit counts attempts, not failures.
        let res = api_sign_in(&app, addr, "submitter-a", TEST_PASSWORD);
        assert_eq!(res.status(), Status::TooManyRequests);
        let retry: u64 = res
            .headers()
            .get_one("Retry-After")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After in seconds");
        assert!((1..=60).contains(&retry), "{retry}");
        let body = res.into_string().unwrap_or_default();
        assert!(
            body.contains("rate_limited") && body.contains("登录尝试次数过多"),
            "{body}"
        );
        // The page counts against the same budget, and says so in Chinese.
        let page = page_sign_in(&app, addr, "submitter-a", TEST_PASSWORD);
        assert_eq!(page.status(), Status::TooManyRequests);
        assert!(page.headers().get_one("Retry-After").is_some());
        assert!(
            page.into_string()
                .unwrap_or_default()
                .contains("登录尝试次数过多")
        );
        assert_eq!(before, app.snapshot(), "a limited sign-in changes nothing");
        // Another address has its own budget.
        let other = api_sign_in(&app, app.fresh_addr(), "submitter-a", TEST_PASSWORD);
        assert_eq!(other.status(), Status::Ok);
    }
}

#[test]
fn x_forwarded_for_counts_only_when_trusted() {
    for (trust, expect_last) in [(false, Status::TooManyRequests), (true, Status::Ok)] {
        let settings = Settings {
            signin_per_minute: 1,
            trust_forwarded_for: trust,
            ..Settings::default()
        };
        let app = TestApp::with_settings(TestDb::sqlite(), settings);
        app.user(Persona::SubmitterA);
        let addr = app.fresh_addr();
        let attempt = |forwarded: &str| {
            app.client
                .post("/api/v1/session")
                .remote(addr)
                .header(Header::new("X-Forwarded-For", forwarded.to_string()))
                .header(Header::new("X-Real-IP", forwarded.to_string()))
                .header(ContentType::JSON)
                .body(
                    serde_json::json!({"username": "submitter-a", "password": TEST_PASSWORD})
                        .to_string(),
                )
                .dispatch()
                .status()
        };
        assert_eq!(attempt("198.51.100.1"), Status::Ok);
        // A client that changes the header gets a new budget only behind a trusted proxy.
        assert_eq!(attempt("198.51.100.2"), expect_last, "trust={trust}");
    }
}

#[test]
fn the_sign_in_page_signs_in_rotates_the_session_and_redirects_safely() {
    for app in TestApp::all() {
        app.user(Persona::ReviewerA);
        let first = app.sign_in(Persona::ReviewerA);
        // Signing in again from the same browser ends the session it held before.
        let (token, signin_cookie) = signin_form(&app);
        let res = app
            .client
            .post("/signin")
            .remote(app.fresh_addr())
            .cookie(Cookie::new("nianjian_signin", signin_cookie))
            .cookie(Cookie::new("nianjian_session", first.cookie.clone()))
            .header(ContentType::Form)
            .body(format!(
                "csrf_token={token}&username=reviewer-a&password={TEST_PASSWORD}&next=%2F%2Fevil.example%2F"
            ))
            .dispatch();
        assert_eq!(res.status(), Status::SeeOther);
        assert_eq!(res.headers().get_one("Location"), Some("/account"));
        let set = res
            .headers()
            .get("Set-Cookie")
            .find(|h| h.starts_with("nianjian_session="))
            .expect("a new session cookie")
            .to_string();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        assert!(set.contains("Max-Age=43200"), "{set}");
        let second = res
            .cookies()
            .get("nianjian_session")
            .map(|c| c.value().to_string())
            .expect("cookie");
        assert_ne!(second, first.cookie);
        let old = with_cookie(app.client.get("/api/v1/session"), &first).dispatch();
        assert_eq!(
            old.status(),
            Status::Unauthorized,
            "the old session was rotated out"
        );
        let new = app
            .client
            .get("/api/v1/session")
            .cookie(Cookie::new("nianjian_session", second))
            .dispatch();
        assert_eq!(new.status(), Status::Ok);

        // The form without its own token (or with another browser's) is refused.
        let before = app.snapshot();
        let (token, _) = signin_form(&app);
        let res = app
            .client
            .post("/signin")
            .remote(app.fresh_addr())
            .header(ContentType::Form)
            .body(format!(
                "csrf_token={token}&username=reviewer-a&password={TEST_PASSWORD}"
            ))
            .dispatch();
        assert_eq!(res.status(), Status::Forbidden);
        assert!(res.cookies().get("nianjian_session").is_none());
        assert_eq!(before, app.snapshot());

        // A signed-in visitor of the sign-in page goes on to where it was going.
        let who = app.sign_in(Persona::ReviewerA);
        let res = with_cookie(app.client.get("/signin?next=/account/password"), &who).dispatch();
        assert_eq!(res.status(), Status::SeeOther);
        assert_eq!(res.headers().get_one("Location"), Some("/account/password"));
    }
}

#[test]
fn sign_out_revokes_the_session_row() {
    for app in TestApp::all() {
        let who = app.sign_in(Persona::SubmitterA);
        // The page's form, with the token as its first field.
        let res = with_cookie(app.client.post("/signout"), &who)
            .header(ContentType::Form)
            .body(format!("csrf_token={}", who.csrf))
            .dispatch();
        assert_eq!(res.status(), Status::SeeOther);
        let mut conn = app.conn();
        let revoked: Vec<Option<chrono::NaiveDateTime>> = sessions::table
            .filter(sessions::user_id.eq(who.user_id))
            .select(sessions::revoked_at)
            .load(&mut conn)
            .expect("sessions");
        assert_eq!(revoked.len(), 1);
        assert!(revoked[0].is_some(), "the row is revoked");
        let again = with_cookie(app.client.get("/api/v1/session"), &who).dispatch();
        assert_eq!(again.status(), Status::Unauthorized);
        let page = with_cookie(app.client.get("/account"), &who).dispatch();
        assert_eq!(page.status(), Status::SeeOther);
        assert_eq!(
            page.headers().get_one("Location"),
            Some("/signin?next=/account")
        );

        // The API's sign-out, with the header.
        let who = app.sign_in(Persona::SubmitterA);
        let res = with_session(app.client.delete("/api/v1/session"), &who).dispatch();
        assert_eq!(res.status(), Status::Ok);
        let again = with_cookie(app.client.get("/api/v1/session"), &who).dispatch();
        assert_eq!(again.status(), Status::Unauthorized);
    }
}

#[test]
fn disabling_a_user_stops_its_sessions_and_tokens_at_once() {
    for app in TestApp::all() {
        let who = app.sign_in(Persona::SubmitterA);
        let (_, secret) = app.token(Persona::SubmitterA);
        assert_eq!(
            with_token(app.client.get("/api/v1/session"), &secret)
                .dispatch()
                .status(),
            Status::Ok
        );
        let mut conn = app.conn();
        write_transaction(&mut conn, |c| {
            nianjian::db::users::set_disabled(c, &Actor::cli(), who.user_id, true)
        })
        .expect("disable");
        assert_eq!(
            with_cookie(app.client.get("/api/v1/session"), &who)
                .dispatch()
                .status(),
            Status::Unauthorized
        );
        let refused = with_token(app.client.get("/api/v1/session"), &secret).dispatch();
        assert_eq!(refused.status(), Status::Unauthorized);
        assert!(
            refused
                .into_string()
                .unwrap_or_default()
                .contains("invalid_token")
        );
        // Enabled again, the token works again; the session stays ended.
        write_transaction(&mut conn, |c| {
            nianjian::db::users::set_disabled(c, &Actor::cli(), who.user_id, false)
        })
        .expect("enable");
        assert_eq!(
            with_token(app.client.get("/api/v1/session"), &secret)
                .dispatch()
                .status(),
            Status::Ok
        );
        assert_eq!(
            with_cookie(app.client.get("/api/v1/session"), &who)
                .dispatch()
                .status(),
            Status::Unauthorized
        );
    }
}

#[test]
fn tokens_are_shown_once_stored_hashed_listed_without_secrets_and_revocable() {
    for app in TestApp::all() {
        app.user(Persona::ReviewerB);
        let admin = app.sign_in(Persona::Admin);
        let res = with_session(app.client.post("/api/v1/tokens"), &admin)
            .header(ContentType::JSON)
            .body(r#"{"username": "reviewer-b", "name": "市局报送系统"}"#)
            .dispatch();
        assert_eq!(res.status(), Status::Created);
        let created: serde_json::Value = res.into_json().expect("json");
        let secret = created["secret"].as_str().expect("secret").to_string();
        let id = created["token"]["id"].as_i64().expect("id");
        assert!(secret.starts_with("nj_") && secret.len() == 67, "{secret}");
        assert_eq!(created["token"]["username"], "reviewer-b");

        // Used: scoped like its user, last use recorded.
        let me = with_token(app.client.get("/api/v1/session"), &secret).dispatch();
        assert_eq!(me.status(), Status::Ok);
        let me: serde_json::Value = me.into_json().expect("json");
        assert_eq!(me["user"]["role"], "reviewer");
        assert_eq!(me["via"], "token");
        assert!(me["csrf_token"].is_null());
        let dept_a = with_token(
            app.client
                .get(format!("/api/v1/departments/{}", app.dept_a)),
            &secret,
        )
        .dispatch();
        assert_eq!(dept_a.status(), Status::NotFound, "a token of city B");

        let list = with_cookie(app.client.get("/api/v1/tokens"), &admin).dispatch();
        assert_eq!(list.status(), Status::Ok);
        let text = list.into_string().unwrap_or_default();
        assert!(
            !text.contains(&secret) && !text.contains("token_hash"),
            "{text}"
        );
        let list: serde_json::Value = serde_json::from_str(&text).expect("json");
        let row = list["tokens"]
            .as_array()
            .and_then(|a| a.iter().find(|t| t["id"] == id))
            .expect("listed");
        assert!(row["last_used_at"].is_string(), "{row}");
        assert!(row["revoked_at"].is_null());

        // Stored hashed; no secret in the audit log.
        let mut conn = app.conn();
        let stored: String = api_tokens::table
            .find(id)
            .select(api_tokens::token_hash)
            .first(&mut conn)
            .expect("row");
        assert_ne!(stored, secret);
        assert_eq!(stored.len(), 64);
        let audit_text: Vec<(Option<String>, Option<String>)> = audit_log::table
            .select((audit_log::before_json, audit_log::after_json))
            .load(&mut conn)
            .expect("audit");
        let audit_text = format!("{audit_text:?}");
        assert!(!audit_text.contains(&secret) && !audit_text.contains(&stored));
        assert!(
            !audit_text.contains(&admin.csrf),
            "no CSRF token in the audit log"
        );
        assert!(
            !audit_text.contains("$argon2id$"),
            "no password hash in the audit log"
        );

        // Revoked: refused at once.
        let res =
            with_session(app.client.delete(format!("/api/v1/tokens/{id}")), &admin).dispatch();
        assert_eq!(res.status(), Status::Ok);
        let refused = with_token(app.client.get("/api/v1/session"), &secret).dispatch();
        assert_eq!(refused.status(), Status::Unauthorized);
        let missing = with_session(app.client.delete("/api/v1/tokens/999999"), &admin).dispatch();
        assert_eq!(missing.status(), Status::NotFound);

        // No tokens for admin accounts; unknown users are 404.
        let res = with_session(app.client.post("/api/v1/tokens"), &admin)
            .header(ContentType::JSON)
            .body(r#"{"username": "admin-t", "name": "x"}"#)
            .dispatch();
        assert_eq!(res.status(), Status::UnprocessableEntity);
        let res = with_session(app.client.post("/api/v1/tokens"), &admin)
            .header(ContentType::JSON)
            .body(r#"{"username": "nobody", "name": "x"}"#)
            .dispatch();
        assert_eq!(res.status(), Status::NotFound);
        let res = with_token(app.client.get("/api/v1/session"), "not-a-token").dispatch();
        assert_eq!(res.status(), Status::Unauthorized);
        let res = app
            .client
            .get("/api/v1/session")
            .header(Header::new("Authorization", "Basic YWRtaW46eA=="))
            .dispatch();
        assert_eq!(res.status(), Status::Unauthorized);
    }
}

#[test]
fn every_account_change_is_in_the_audit_log() {
    for app in TestApp::all() {
        app.user(Persona::SubmitterA);
        let admin = app.sign_in(Persona::Admin);
        let res = with_session(app.client.post("/api/v1/tokens"), &admin)
            .header(ContentType::JSON)
            .body(r#"{"username": "submitter-a", "name": "n"}"#)
            .dispatch();
        let id = res.into_json::<serde_json::Value>().expect("json")["token"]["id"]
            .as_i64()
            .expect("id");
        with_session(app.client.delete(format!("/api/v1/tokens/{id}")), &admin).dispatch();
        with_session(app.client.delete("/api/v1/session"), &admin).dispatch();
        let mut conn = app.conn();
        let actions: Vec<(String, String)> = audit_log::table
            .select((audit_log::action, audit_log::actor))
            .order(audit_log::id)
            .load(&mut conn)
            .expect("audit");
        for want in [
            ("user.create", "system"),
            ("session.create", "admin-t"),
            ("token.create", "admin-t"),
            ("token.revoke", "admin-t"),
            ("session.revoke", "admin-t"),
        ] {
            assert!(
                actions.iter().any(|(a, who)| a == want.0 && who == want.1),
                "{want:?} in {actions:?}"
            );
        }
        assert!(matches!(
            audit::verify(&mut conn).expect("verify"),
            audit::Verdict::Intact { .. }
        ));
    }
}

#[test]
fn changing_the_password_keeps_this_session_and_ends_the_others() {
    for app in TestApp::all() {
        let here = app.sign_in(Persona::SubmitterA);
        let elsewhere = app.sign_in(Persona::SubmitterA);
        let res = with_cookie(app.client.post("/account/password"), &here)
            .header(ContentType::Form)
            .body(format!(
                "csrf_token={}&current={TEST_PASSWORD}&new=brand-new-pass-9&confirm=brand-new-pass-9",
                here.csrf
            ))
            .dispatch();
        assert_eq!(res.status(), Status::SeeOther);
        assert_eq!(
            res.headers().get_one("Location"),
            Some("/account?changed=true")
        );
        let status = |who: &SignedIn| {
            with_cookie(app.client.get("/api/v1/session"), who)
                .dispatch()
                .status()
        };
        assert_eq!(status(&here), Status::Ok);
        assert_eq!(status(&elsewhere), Status::Unauthorized);
        app.sign_in_as("submitter-a", "brand-new-pass-9");
        let res = api_sign_in(&app, app.fresh_addr(), "submitter-a", TEST_PASSWORD);
        assert_eq!(res.status(), Status::Unauthorized);

        // Mismatch and short passwords are refused with nothing changed.
        let before = app.snapshot();
        for (new, confirm) in [("brand-new-pass-8", "brand-new-pass-7"), ("short", "short")] {
            let res = with_cookie(app.client.post("/account/password"), &here)
                .header(ContentType::Form)
                .body(format!(
                    "csrf_token={}&current=brand-new-pass-9&new={new}&confirm={confirm}",
                    here.csrf
                ))
                .dispatch();
            assert_eq!(res.status(), Status::UnprocessableEntity);
        }
        assert_eq!(before, app.snapshot());
    }
}

#[test]
fn the_first_admin_is_made_once_with_a_one_time_password() {
    for test_db in TestDb::all() {
        let db = test_db.db.clone();
        let (username, password) = nianjian::db::users::ensure_first_admin(&db)
            .expect("first admin")
            .expect("made on an empty database");
        assert_eq!(username, "admin");
        assert_eq!(password.len(), 16);
        assert!(
            nianjian::db::users::ensure_first_admin(&db)
                .expect("second call")
                .is_none(),
            "made once"
        );
        let mut conn = db.conn().expect("conn");
        let (hash, must_change): (String, bool) = users::table
            .filter(users::username.eq("admin"))
            .select((users::password_hash, users::must_change_password))
            .first(&mut conn)
            .expect("admin row");
        assert!(must_change);
        assert!(!hash.contains(&password));
        drop(conn);
        let app = TestApp::new(test_db);
        let res = api_sign_in(&app, app.fresh_addr(), &username, &password);
        assert_eq!(res.status(), Status::Ok);
        let v: serde_json::Value = res.into_json().expect("json");
        assert_eq!(v["user"]["must_change_password"], true);
        // The page sends a one-time password straight to the change form.
        let res = page_sign_in(&app, app.fresh_addr(), &username, &password);
        assert_eq!(res.status(), Status::SeeOther);
        assert_eq!(res.headers().get_one("Location"), Some("/account/password"));
    }
}

#[test]
fn every_response_carries_the_security_headers() {
    let app = TestApp::new(TestDb::sqlite());
    let who = app.sign_in(Persona::SubmitterA);
    for path in [
        "/",
        "/signin",
        "/api/v1/session",
        "/no-such-page",
        "/api/v1/nothing",
    ] {
        let res = with_cookie(app.client.get(path), &who).dispatch();
        let h = res.headers();
        let csp = h.get_one("Content-Security-Policy").unwrap_or("");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(
            h.get_one("X-Content-Type-Options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(h.get_one("X-Frame-Options"), Some("DENY"), "{path}");
        assert_eq!(h.get_one("Referrer-Policy"), Some("same-origin"), "{path}");
        assert_eq!(h.get_one("Cache-Control"), Some("no-store"), "{path}");
    }
    let css = app.client.get(pages_css_href()).dispatch();
    assert_eq!(css.status(), Status::Ok);
    assert_eq!(css.content_type(), Some(ContentType::CSS));
    assert!(
        css.headers()
            .get_one("Cache-Control")
            .unwrap_or("")
            .contains("max-age=31536000")
    );
    // Pages answer in HTML, the API in JSON.
    let page = app.client.get("/no-such-page").dispatch();
    assert_eq!(page.status(), Status::NotFound);
    assert_eq!(page.content_type(), Some(ContentType::HTML));
    let api = app.client.get("/api/v1/nothing").dispatch();
    assert_eq!(api.status(), Status::NotFound);
    assert_eq!(api.content_type(), Some(ContentType::JSON));
}

fn pages_css_href() -> &'static str {
    nianjian::web::pages::css_href()
}

#[test]
fn request_bodies_have_size_limits() {
    let app = TestApp::new(TestDb::sqlite());
    let who = app.sign_in(Persona::Admin);
    let big_name = "x".repeat(70 * 1024);
    let res = with_session(app.client.post("/api/v1/tokens"), &who)
        .header(ContentType::JSON)
        .body(format!(
            r#"{{"username": "admin-t", "name": "{big_name}"}}"#
        ))
        .dispatch();
    assert_eq!(res.status(), Status::PayloadTooLarge);
    let res = with_cookie(app.client.post("/account/password"), &who)
        .header(ContentType::Form)
        .body(format!(
            "csrf_token={}&current={big_name}&new=a&confirm=a",
            who.csrf
        ))
        .dispatch();
    assert_eq!(res.status(), Status::PayloadTooLarge);
    let res = app
        .client
        .post("/api/v1/session")
        .header(ContentType::JSON)
        .body(format!(r#"{{"username": "{big_name}", "password": "x"}}"#))
        .dispatch();
    assert_eq!(res.status(), Status::PayloadTooLarge);
}

#[test]
fn pages_escape_what_users_typed_and_speak_english_on_request() {
    let app = TestApp::new(TestDb::sqlite());
    app.add_user("<b>bold</b>", Role::Admin, None, None);
    let who = app.sign_in_as("<b>bold</b>", TEST_PASSWORD);
    let html = with_cookie(app.client.get("/account"), &who)
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(html.contains("&lt;b&gt;bold&lt;&#x2f;b&gt;"), "{html}");
    assert!(!html.contains("<b>bold</b>"));
    assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("我的账号"));

    let res = with_cookie(app.client.get("/account?lang=en"), &who).dispatch();
    let lang_cookie = res.cookies().get("lang").map(|c| c.value().to_string());
    assert_eq!(lang_cookie.as_deref(), Some("en"));
    let html = res.into_string().unwrap_or_default();
    assert!(
        html.contains("<html lang=\"en\">") && html.contains("My account"),
        "{html}"
    );
    // The switch back keeps the rest of the address.
    assert!(html.contains("href=\"&#x2f;account?lang=zh\""), "{html}");
    let again = with_cookie(app.client.get("/account"), &who)
        .cookie(Cookie::new("lang", "en"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(again.contains("My account"));
}

#[test]
fn a_json_api_call_with_a_cookie_needs_the_csrf_header_but_a_form_body_does_not_count_for_it() {
    let app = TestApp::new(TestDb::sqlite());
    let who = app.sign_in(Persona::SubmitterA);
    // The token sent in a JSON body is not accepted: only the header or a form's first field.
    let before = app.snapshot();
    let res = with_cookie(app.client.delete("/api/v1/session"), &who)
        .header(ContentType::JSON)
        .body(format!(r#"{{"csrf_token": "{}"}}"#, who.csrf))
        .dispatch();
    assert_eq!(res.status(), Status::Forbidden);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains("\"csrf\""), "{body}");
    assert_eq!(before, app.snapshot());
    // The token of another session does not count either.
    let other = app.sign_in(Persona::SubmitterA);
    let before = app.snapshot();
    let res = with_cookie(app.client.delete("/api/v1/session"), &who)
        .header(Header::new("X-CSRF-Token", other.csrf.clone()))
        .dispatch();
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(before, app.snapshot());
}

#[test]
fn the_cli_adds_users_and_prints_the_one_time_password_once() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("cli.db");
    let url = format!("sqlite://{}", path.display());
    {
        let test_db =
            nianjian::db::Db::open(&nianjian::db::DatabaseUrl::Sqlite(path.clone())).expect("db");
        let mut conn = test_db.conn().expect("conn");
        write_transaction(&mut conn, |c| -> Result<(), diesel::result::Error> {
            let r = nianjian::db::regions::insert(
                c,
                &Actor::cli(),
                &nianjian::db::regions::NewRegion {
                    code: "370000",
                    name: "山东省",
                    level: "province",
                    parent_id: None,
                },
            )?;
            nianjian::db::departments::insert(
                c,
                &Actor::cli(),
                &nianjian::db::departments::NewDepartment {
                    region_id: r.id,
                    code: "JT",
                    name: "山东省交通运输厅",
                    short_name: None,
                },
            )?;
            Ok(())
        })
        .expect("seed");
    }
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
    let (code, out, err) = run(&[
        "user",
        "add",
        "clerk",
        "--role",
        "submitter",
        "--department",
        "JT",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let password = out
        .split("one-time password) ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("the password is printed")
        .to_string();
    assert_eq!(password.len(), 16);
    assert!(!err.contains(&password), "never in the log");
    let (code, out, err) = run(&[
        "user", "add", "boss", "--role", "reviewer", "--region", "370000",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    for (args, needle) in [
        (
            vec!["user", "add", "clerk2", "--role", "submitter"],
            "department",
        ),
        (
            vec!["user", "add", "clerk", "--role", "admin"],
            "username is taken",
        ),
        (
            vec![
                "user",
                "add",
                "x2",
                "--role",
                "submitter",
                "--department",
                "NOPE",
            ],
            "no such department",
        ),
        (vec!["user", "add", "x3", "--role", "king"], "unknown role"),
    ] {
        let (code, out, err) = run(&args);
        assert_ne!(code, 0, "{args:?}: {out}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let db = nianjian::db::Db::open(&nianjian::db::DatabaseUrl::Sqlite(path.clone())).expect("db");
    let mut conn = db.conn().expect("conn");
    let user = nianjian::db::users::find_by_username(&mut conn, "clerk")
        .expect("query")
        .expect("added");
    assert!(nianjian::db::users::verify_password(
        Some(&user.password_hash),
        &password
    ));
    assert!(user.must_change_password);
    drop(conn);
    let (code, out, _) = run(&["user", "disable", "clerk"]);
    assert_eq!(code, 0, "{out}");
    let mut conn = db.conn().expect("conn");
    let user = nianjian::db::users::find_by_username(&mut conn, "clerk")
        .expect("query")
        .expect("there");
    assert!(user.disabled);
}
