//! Every mounted route, read from the built Rocket itself: apart from the few that the public may
//! use, each refuses an anonymous caller and a revoked token (401 on the API, a redirect to the
//! sign-in page for pages, or 403) and changes nothing. A route added later without a guard fails
//! here, whoever forgets it. The per-route tables of who may do what are in tests/accounts.rs,
//! tests/admin.rs, tests/api_review.rs, tests/office_pages.rs and tests/public.rs.

mod common;

use common::{Persona, TestApp, TestDb, with_token};
use nianjian::db::audit::Actor;
use nianjian::db::{tokens, write_transaction};
use rocket::http::{ContentType, Method, Status};

/// Routes the anonymous public may call: (method, path as mounted).
const PUBLIC: &[(Method, &str)] = &[
    (Method::Get, "/"),
    (Method::Get, "/healthz"),
    (Method::Get, "/static/app.css"),
    (Method::Get, "/signin"),
    (Method::Post, "/signin"),
    (Method::Post, "/api/v1/session"),
    // The OpenAPI document of the API (issue #11).
    (Method::Get, "/api/v1/openapi.json"),
    // Public consultation (issue #7): reading, and commenting while a window is open.
    (Method::Get, "/consultations"),
    (Method::Get, "/consultations/<id>"),
    (Method::Post, "/consultations/<id>/items/<item>/comments"),
    (Method::Get, "/api/v1/consultations"),
    (Method::Get, "/api/v1/consultations/<id>"),
    (Method::Post, "/api/v1/items/<id>/comments"),
];

/// Path prefixes of the public site (published data only).
const PUBLIC_PREFIXES: &[&str] = &[
    "/publications",
    "/published-items/",
    "/api/v1/publications",
    "/api/v1/published-items/",
];

fn is_public(method: Method, path: &str) -> bool {
    PUBLIC.iter().any(|(m, p)| *m == method && *p == path)
        || (method == Method::Get && PUBLIC_PREFIXES.iter().any(|p| path.starts_with(p)))
}

/// A concrete path for a route's pattern: every `<param>` becomes `1`.
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| {
            if seg.starts_with('<') && seg.ends_with('>') {
                "1".to_string()
            } else if let (Some(a), Some(b)) = (seg.find('<'), seg.find('>')) {
                // `export.<ext>`-style segments.
                format!("{}1{}", &seg[..a], &seg[b + 1..])
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn every_route_but_the_public_ones_refuses_anonymous_callers_and_revoked_tokens() {
    let app = TestApp::new(TestDb::sqlite());
    let (token_id, secret) = app.token(Persona::ProvinceReviewer);
    let mut conn = app.conn();
    write_transaction(&mut conn, |c| tokens::revoke(c, &Actor::system(), token_id))
        .expect("revoke");
    drop(conn);
    let before = app.snapshot();

    let routes: Vec<(Method, String, bool)> = app
        .client
        .rocket()
        .routes()
        .map(|r| {
            let json = r
                .format
                .as_ref()
                .is_some_and(|f| f.to_string().contains("json"));
            (r.method, r.uri.path().to_string(), json)
        })
        .collect();
    assert!(routes.len() > 40, "{} routes", routes.len());

    let mut checked = 0;
    let mut wrong = Vec::new();
    for (method, pattern, json) in &routes {
        if is_public(*method, pattern) {
            continue;
        }
        let path = concrete(pattern);
        for revoked in [false, true] {
            let mut req = app.client.req(*method, path.clone());
            if *json {
                req = req.header(ContentType::JSON).body("{}");
            } else if *method != Method::Get {
                req = req.header(ContentType::Form).body("");
            }
            if revoked {
                req = with_token(req, &secret);
            }
            let res = req.dispatch();
            let status = res.status();
            let to_signin = status == Status::SeeOther
                && res
                    .headers()
                    .get_one("Location")
                    .is_some_and(|l| l.starts_with("/signin"));
            let refused =
                status == Status::Unauthorized || status == Status::Forbidden || to_signin;
            if !refused {
                wrong.push(format!(
                    "{method} {pattern} ({}) → {status}",
                    if revoked {
                        "revoked token"
                    } else {
                        "anonymous"
                    }
                ));
            }
            checked += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "routes that let a caller in:\n{}",
        wrong.join("\n")
    );
    assert!(checked > 60, "{checked} requests");
    assert_eq!(
        app.snapshot(),
        before,
        "a refused request changed the database"
    );
}

#[test]
fn the_public_routes_answer_anonymous_callers_without_a_server_error() {
    let app = TestApp::new(TestDb::sqlite());
    for route in app.client.rocket().routes() {
        let pattern = route.uri.path().to_string();
        if !is_public(route.method, &pattern) || route.method != Method::Get {
            continue;
        }
        let res = app.client.get(concrete(&pattern)).dispatch();
        assert!(res.status().code < 500, "GET {pattern} → {}", res.status());
    }
}
