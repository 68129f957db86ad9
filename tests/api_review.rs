//! The office's API through HTTP on every backend: uploads (who may, dry runs, row errors,
//! unusable files, the annotated workbook), the consolidated list, decisions and publishing.
//! Every refusal asserts its status and that nothing changed in the database.

mod common;

use std::path::Path;

use common::{Persona, TestApp, with_cookie, with_session, with_token};
use rocket::http::{ContentType, Header, Status};
use rocket::local::blocking::LocalRequest;
use serde_json::{Value, json};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

const BOUNDARY: &str = "----nianjianTestBoundary7MA4YWxk";

/// A multipart body with the CSRF field first (as pages send it), an optional department and
/// an optional file.
fn multipart(csrf: Option<&str>, department: Option<&str>, file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    if let Some(t) = csrf {
        field("csrf_token", t);
    }
    if let Some(d) = department {
        field("department", d);
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

fn upload_req<'c>(app: &'c TestApp, round: i64, query: &str, body: Vec<u8>) -> LocalRequest<'c> {
    app.client
        .post(format!("/api/v1/rounds/{round}/submissions{query}"))
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
        .body(body)
}

fn json_of(res: rocket::local::blocking::LocalResponse<'_>) -> (Status, Value) {
    let status = res.status();
    let body = res.into_string().unwrap_or_default();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn round(app: &TestApp) -> i64 {
    common::seed::round(&mut app.conn(), app.province, "2026年年检和指定培训清理")
}

#[test]
fn who_may_upload_and_what_a_refusal_leaves_behind() {
    for app in TestApp::all() {
        let round = round(&app);
        let file = fixture("openpyxl_template_like.xlsx");
        let sub_a = app.sign_in(Persona::SubmitterA);
        let rev_b = app.sign_in(Persona::ReviewerB);
        let (_, revoked_token) = app.token(Persona::SubmitterA);
        {
            // Revoke it at once.
            let mut c = app.conn();
            use diesel::prelude::*;
            diesel::update(nianjian::db::schema::api_tokens::table)
                .set(nianjian::db::schema::api_tokens::revoked_at.eq(Some(nianjian::db::now())))
                .execute(&mut c)
                .unwrap();
        }
        let before = app.snapshot();
        let f = Some(("交通.xlsx", file.as_slice()));
        let cases: Vec<(&str, LocalRequest<'_>, Status)> = vec![
            (
                "anonymous",
                upload_req(&app, round, "", multipart(None, None, f)),
                Status::Unauthorized,
            ),
            (
                "session without CSRF token",
                with_cookie(
                    upload_req(&app, round, "", multipart(None, None, f)),
                    &sub_a,
                ),
                Status::Forbidden,
            ),
            (
                "wrong CSRF token",
                with_cookie(
                    upload_req(&app, round, "", multipart(Some("nope"), None, f)),
                    &sub_a,
                ),
                Status::Forbidden,
            ),
            (
                "submitter A naming department B",
                with_session(
                    upload_req(&app, round, "", multipart(None, Some("B"), f)),
                    &sub_a,
                ),
                Status::NotFound,
            ),
            (
                "reviewer of city B uploading for department A",
                with_session(
                    upload_req(&app, round, "", multipart(None, Some("A"), f)),
                    &rev_b,
                ),
                Status::NotFound,
            ),
            (
                "reviewer without a department",
                with_session(
                    upload_req(&app, round, "", multipart(None, None, f)),
                    &rev_b,
                ),
                Status::UnprocessableEntity,
            ),
            (
                "revoked token",
                with_token(
                    upload_req(&app, round, "", multipart(None, None, f)),
                    &revoked_token,
                ),
                Status::Unauthorized,
            ),
            (
                "unknown round",
                with_session(
                    upload_req(&app, 999_999, "", multipart(None, None, f)),
                    &sub_a,
                ),
                Status::NotFound,
            ),
            (
                "multipart without the file",
                with_session(
                    upload_req(&app, round, "", multipart(None, None, None)),
                    &sub_a,
                ),
                Status::UnprocessableEntity,
            ),
            (
                "encrypted workbook",
                with_session(
                    upload_req(
                        &app,
                        round,
                        "",
                        multipart(None, None, Some(("e.xlsx", &fixture("encrypted.xlsx")))),
                    ),
                    &sub_a,
                ),
                Status::UnprocessableEntity,
            ),
            (
                "a file named ../../etc/passwd",
                with_session(
                    upload_req(
                        &app,
                        round,
                        "",
                        multipart(None, None, Some(("../../etc/passwd", b"root:x:0:0"))),
                    ),
                    &sub_a,
                ),
                Status::UnprocessableEntity,
            ),
            (
                "row errors",
                with_session(
                    upload_req(
                        &app,
                        round,
                        "",
                        multipart(
                            None,
                            None,
                            Some(("err.xlsx", &fixture("openpyxl_errors.xlsx"))),
                        ),
                    ),
                    &sub_a,
                ),
                Status::UnprocessableEntity,
            ),
            (
                "dry run",
                with_session(
                    upload_req(&app, round, "?dry_run=true", multipart(None, None, f)),
                    &sub_a,
                ),
                Status::Ok,
            ),
        ];
        for (what, req, want) in cases {
            let (status, body) = json_of(req.dispatch());
            assert_eq!(status, want, "{}: {what}: {body}", app.backend);
            if status != Status::Ok {
                assert!(body["error"]["code"].is_string(), "{what}: {body}");
            }
            assert_eq!(
                app.snapshot(),
                before,
                "{}: {what} changed the database",
                app.backend
            );
        }

        // The row-error answer carries the report with its cells.
        let (_, body) = json_of(
            with_session(
                upload_req(
                    &app,
                    round,
                    "",
                    multipart(
                        None,
                        None,
                        Some(("err.xlsx", &fixture("openpyxl_errors.xlsx"))),
                    ),
                ),
                &sub_a,
            )
            .dispatch(),
        );
        assert_eq!(body["error"]["code"], "row_errors");
        assert!(
            body["report"]["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["cell"] == "I6")
        );

        // The real thing: stored, then identical bytes are a no-op.
        let (status, body) = json_of(
            with_session(
                upload_req(&app, round, "", multipart(None, None, f)),
                &sub_a,
            )
            .dispatch(),
        );
        assert_eq!(status, Status::Created, "{}: {body}", app.backend);
        assert_eq!(body["submission"]["outcome"], "stored");
        let submission = body["submission"]["submission_id"].as_i64().unwrap();
        let (status, body) = json_of(
            with_session(
                upload_req(&app, round, "", multipart(None, None, f)),
                &sub_a,
            )
            .dispatch(),
        );
        assert_eq!(status, Status::Ok);
        assert_eq!(body["submission"]["outcome"], "unchanged");

        // The stored report: the owner and a reviewer of the province see it; department B not.
        let sub_b = app.sign_in(Persona::SubmitterB);
        let rev_p = app.sign_in(Persona::ProvinceReviewer);
        let get = |who: &common::SignedIn| {
            with_cookie(
                app.client.get(format!("/api/v1/submissions/{submission}")),
                who,
            )
            .dispatch()
            .status()
        };
        assert_eq!(get(&sub_a), Status::Ok);
        assert_eq!(get(&rev_p), Status::Ok);
        assert_eq!(get(&sub_b), Status::NotFound);
        assert_eq!(get(&rev_b), Status::NotFound);
        let res = with_cookie(
            app.client
                .get(format!("/api/v1/submissions/{submission}/annotated.xlsx")),
            &sub_a,
        )
        .dispatch();
        assert_eq!(res.status(), Status::Ok);
        let disposition = res
            .headers()
            .get_one("Content-Disposition")
            .unwrap()
            .to_string();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        let bytes = res.into_bytes().unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}

fn upload_clean(
    app: &TestApp,
    round: i64,
    who: &common::SignedIn,
    department: Option<&str>,
    file: &str,
) {
    let bytes = fixture(file);
    let (status, body) = json_of(
        with_session(
            upload_req(
                app,
                round,
                "",
                multipart(None, department, Some((file, bytes.as_slice()))),
            ),
            who,
        )
        .dispatch(),
    );
    assert_eq!(status, Status::Created, "{body}");
}

#[test]
fn the_list_decisions_and_publishing_over_http() {
    for app in TestApp::all() {
        let round = round(&app);
        let sub_a = app.sign_in(Persona::SubmitterA);
        let rev_p = app.sign_in(Persona::ProvinceReviewer);
        let rev_b = app.sign_in(Persona::ReviewerB);
        upload_clean(&app, round, &sub_a, None, "openpyxl_template_like.xlsx");
        upload_clean(
            &app,
            round,
            &rev_p,
            Some("B"),
            "single_sheet_kind_column.xlsx",
        );

        let list = |who: &common::SignedIn, query: &str| {
            json_of(
                with_cookie(
                    app.client
                        .get(format!("/api/v1/rounds/{round}/items{query}")),
                    who,
                )
                .dispatch(),
            )
        };
        let (status, all) = list(&rev_p, "?per_page=200");
        assert_eq!(status, Status::Ok);
        assert_eq!(all["total"], 27, "{}", app.backend);
        let (_, own) = list(&sub_a, "?per_page=200");
        assert_eq!(own["total"], 18, "a submitter sees its own department only");
        let (_, b_only) = list(&rev_b, "?per_page=200");
        assert_eq!(b_only["total"], 9);
        let (_, trainings) = list(&rev_p, "?kind=training");
        assert_eq!(trainings["total"], 11);
        for bad in [
            "?kind=bogus",
            "?rule=R99",
            "?severity=fatal",
            "?state=gone",
            "?sort=evil",
            "?page=abc",
        ] {
            let (status, body) = list(&rev_p, bad);
            assert!(
                status.code >= 400 && status.code < 500,
                "{bad}: {status} {body}"
            );
        }
        let (status, body) = list(&rev_p, "?q=%27%20OR%201%3D1%20--&page=99999999");
        assert_eq!(status, Status::Ok, "{body}");
        assert_eq!(body["items"].as_array().unwrap().len(), 0);
        assert_eq!(
            json_of(
                app.client
                    .get(format!("/api/v1/rounds/{round}/items"))
                    .dispatch()
            )
            .0,
            Status::Unauthorized
        );

        // Decisions: who may, and bad input, each changing nothing.
        let item = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| {
                i["department_id"] == app.dept_a
                    && i["kind"] == "inspection"
                    && i["cycle_months"] == 12
            })
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let decide = |who: &common::SignedIn, body: Value| {
            json_of(
                with_session(
                    app.client.post(format!("/api/v1/items/{item}/decision")),
                    who,
                )
                .header(ContentType::JSON)
                .body(body.to_string())
                .dispatch(),
            )
        };
        let before = app.snapshot();
        for (who, body, want) in [
            (
                &sub_a,
                json!({"decision": "retain", "rationale": "x"}),
                Status::Forbidden,
            ),
            (
                &rev_b,
                json!({"decision": "retain", "rationale": "x"}),
                Status::NotFound,
            ),
            (
                &rev_p,
                json!({"decision": "abolish", "rationale": "x"}),
                Status::UnprocessableEntity,
            ),
            (
                &rev_p,
                json!({"decision": "extend_cycle", "cycle_months": 6, "rationale": "x"}),
                Status::UnprocessableEntity,
            ),
            (
                &rev_p,
                json!({"decision": "standardise", "rationale": "x"}),
                Status::UnprocessableEntity,
            ),
            (
                &rev_p,
                json!({"decision": "retain"}),
                Status::UnprocessableEntity,
            ),
        ] {
            let (status, body) = decide(who, body);
            assert_eq!(status, want, "{}: {body}", app.backend);
            assert_eq!(app.snapshot(), before, "{}", app.backend);
        }
        let (status, body) = decide(
            &rev_p,
            json!({"decision": "extend_cycle", "cycle_months": 24, "rationale": "延长"}),
        );
        assert_eq!(status, Status::Created, "{body}");
        let (_, detail) = json_of(
            with_cookie(app.client.get(format!("/api/v1/items/{item}")), &rev_p).dispatch(),
        );
        assert_eq!(detail["state"], "decided");
        assert_eq!(detail["decisions"].as_array().unwrap().len(), 1);

        // Publishing is refused while errors remain, with the blockers listed.
        let publish = |who: &common::SignedIn| {
            json_of(
                with_session(
                    app.client
                        .post(format!("/api/v1/rounds/{round}/publications")),
                    who,
                )
                .dispatch(),
            )
        };
        let before = app.snapshot();
        assert_eq!(
            publish(&rev_b).0,
            Status::NotFound,
            "a city reviewer cannot publish the province's round"
        );
        let (status, body) = publish(&rev_p);
        assert_eq!(status, Status::Conflict, "{body}");
        assert!(
            !body["error"]["detail"]["blocking"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert_eq!(app.snapshot(), before);

        // Accept every proposed cancellation at once, cancel the rest that block, publish.
        let bulk = |body: Value| {
            json_of(
                with_session(
                    app.client.post(format!("/api/v1/rounds/{round}/decisions")),
                    &rev_p,
                )
                .header(ContentType::JSON)
                .body(body.to_string())
                .dispatch(),
            )
        };
        let (status, body) = bulk(
            json!({"filter": {"proposed": "cancel"}, "decision": "cancel", "rationale": "同意取消"}),
        );
        assert_eq!(status, Status::Created, "{body}");
        let (status, body) = bulk(
            json!({"filter": {"severity": "error"}, "decision": "cancel", "rationale": "无法定依据，取消"}),
        );
        assert_eq!(status, Status::Created, "{body}");
        let (status, body) = publish(&rev_p);
        assert_eq!(status, Status::Created, "{}: {body}", app.backend);
        assert_eq!(body["publication"]["number"], 1);
        // Bearer tokens need no CSRF header.
        let (_, token) = app.token(Persona::ProvinceReviewer);
        let res = with_token(
            app.client
                .get(format!("/api/v1/rounds/{round}/items?state=published")),
            &token,
        )
        .header(Header::new("Accept-Language", "en"))
        .dispatch();
        assert_eq!(res.status(), Status::Ok);
    }
}
