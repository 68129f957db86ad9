//! Public consultation (issue #7) through HTTP on every backend: the window (before, during,
//! after, closed), comments shown as text, rate limits, the honeypot, moderation (who may, and
//! that it never loses a comment), the xlsx export, and R10 end to end.

mod common;

use std::io::Cursor;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use chrono::{Duration, Utc};
use common::seed::{basis, inspection};
use common::{Persona, SignedIn, TestApp, with_session};
use diesel::prelude::*;
use nianjian::db::schema::comments;
use nianjian::domain::{BasisLevel, Disposition};
use rocket::http::{ContentType, Cookie, Status};
use rocket::local::blocking::LocalResponse;
use serde_json::{Value, json};

fn json_of(res: LocalResponse<'_>) -> (Status, Value) {
    let status = res.status();
    let body = res.into_string().unwrap_or_default();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn addr(n: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)), 50000)
}

/// A round of city A with three inspections of department A: one with no basis (R01), one
/// self-set by the province (R02), one on a law; all proposed for retention. Returns the round
/// and the item ids in that order.
fn world(app: &TestApp) -> (i64, Vec<i64>) {
    let mut conn = app.conn();
    let round = common::seed::round(&mut conn, app.city_a, "2026年济南市清理");
    let drafts = [
        inspection("无依据年检", Some(24), vec![], Disposition::Retain),
        inspection(
            "自行设定年检",
            Some(24),
            vec![basis(BasisLevel::LocalGovRule, "山东省某管理办法", None)],
            Disposition::Retain,
        ),
        inspection(
            "有法律依据年检",
            Some(24),
            vec![basis(BasisLevel::Law, "中华人民共和国道路交通安全法", None)],
            Disposition::Retain,
        ),
    ];
    common::seed::submit(
        &mut conn,
        round,
        app.dept_a,
        "济南市交通运输局.xlsx",
        b"consultation test",
        &drafts,
    );
    use nianjian::db::schema::items;
    let ids: Vec<i64> = items::table
        .filter(items::round_id.eq(round))
        .order(items::id)
        .select(items::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(ids.len(), 3);
    (round, ids)
}

fn rfc(offset_hours: i64) -> String {
    (Utc::now() + Duration::hours(offset_hours)).to_rfc3339()
}

/// Opens a window through the API; returns its id.
fn open(app: &TestApp, who: &SignedIn, round: i64, items: &[i64], from: i64, to: i64) -> i64 {
    let (status, body) = json_of(
        with_session(
            app.client
                .post(format!("/api/v1/rounds/{round}/consultations")),
            who,
        )
        .header(ContentType::JSON)
        .body(
            json!({
                "title": "关于拟保留年检事项的公开征求意见",
                "notice": "欢迎提出意见。",
                "starts_at": rfc(from),
                "ends_at": rfc(to),
                "items": items,
            })
            .to_string(),
        )
        .dispatch(),
    );
    assert_eq!(status, Status::Created, "{body}");
    body["id"].as_i64().unwrap()
}

fn comment(app: &TestApp, from: SocketAddr, item: i64, body: Value) -> (Status, Value) {
    json_of(
        app.client
            .post(format!("/api/v1/items/{item}/comments"))
            .remote(from)
            .header(ContentType::JSON)
            .body(body.to_string())
            .dispatch(),
    )
}

fn simple(text: &str) -> Value {
    json!({"stance": "oppose", "body": text})
}

fn count(app: &TestApp) -> i64 {
    comments::table.count().get_result(&mut app.conn()).unwrap()
}

/// (id, state, reason) of every comment: compare before and after to prove nothing changed.
fn states(app: &TestApp) -> Vec<(i64, String, Option<String>)> {
    comments::table
        .select((comments::id, comments::state, comments::moderation_reason))
        .order(comments::id)
        .load(&mut app.conn())
        .unwrap()
}

#[test]
fn comments_are_taken_only_while_the_window_is_open() {
    for app in TestApp::all() {
        let (round, items) = world(&app);
        let rev = app.sign_in(Persona::ReviewerA);
        let _past = open(&app, &rev, round, &items[..1], -3, -1);
        let _future = open(&app, &rev, round, &items[1..2], 1, 3);

        let (status, body) = comment(&app, addr(1), items[0], simple("已经结束"));
        assert_eq!(status, Status::Conflict, "{body}");
        assert_eq!(body["error"]["code"], "consultation_ended");
        let (status, body) = comment(&app, addr(1), items[1], simple("尚未开始"));
        assert_eq!(status, Status::Conflict, "{body}");
        assert_eq!(body["error"]["code"], "not_open_yet");
        let (status, _) = comment(&app, addr(1), items[2], simple("不在征求范围"));
        assert_eq!(status, Status::NotFound);
        assert_eq!(count(&app), 0);

        // Open now: taken, and waiting for moderation.
        let now = open(&app, &rev, round, &items[2..], -1, 2);
        let (status, body) = comment(&app, addr(2), items[2], simple("同意保留"));
        assert_eq!(status, Status::Accepted, "{body}");
        assert_eq!(states(&app)[0].1, "pending");

        // Closed early by the office: refused from then on, although the end is still ahead.
        let (status, body) = json_of(
            with_session(
                app.client
                    .post(format!("/api/v1/consultations/{now}/close")),
                &rev,
            )
            .header(ContentType::JSON)
            .body(
                json!({"summaries": {items[2].to_string(): "收到一条意见，赞成保留。"}})
                    .to_string(),
            )
            .dispatch(),
        );
        assert_eq!(status, Status::Ok, "{body}");
        let (status, body) = comment(&app, addr(3), items[2], simple("晚了"));
        assert_eq!(status, Status::Conflict, "{body}");
        assert_eq!(count(&app), 1, "{}", app.backend);
    }
}

#[test]
fn bad_comments_are_refused_with_the_field_and_lengths_count_characters() {
    for app in TestApp::all() {
        let (round, items) = world(&app);
        let rev = app.sign_in(Persona::ReviewerA);
        open(&app, &rev, round, &items, -1, 2);
        let item = items[0];
        let (s, b) = comment(&app, addr(1), item, json!({"stance": "maybe", "body": "x"}));
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (Status::UnprocessableEntity, Some("bad_stance"))
        );
        let (s, b) = comment(
            &app,
            addr(2),
            item,
            json!({"stance": "support", "body": "  "}),
        );
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (Status::UnprocessableEntity, Some("body_required"))
        );
        let (s, b) = comment(
            &app,
            addr(3),
            item,
            json!({"stance": "support", "body": "意".repeat(2001)}),
        );
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (Status::UnprocessableEntity, Some("body_too_long"))
        );
        assert_eq!(count(&app), 0);
        // 2,000 Chinese characters are 6,000 bytes, and within the limit.
        let (s, b) = comment(
            &app,
            addr(4),
            item,
            json!({"stance": "support", "body": "意".repeat(2000)}),
        );
        assert_eq!(s, Status::Accepted, "{b}");
        assert_eq!(count(&app), 1);
    }
}

#[test]
fn a_filled_honeypot_is_answered_like_a_comment_and_stores_nothing() {
    for app in TestApp::all() {
        let (round, items) = world(&app);
        let rev = app.sign_in(Persona::ReviewerA);
        open(&app, &rev, round, &items, -1, 2);
        let real = comment(&app, addr(1), items[0], simple("真实意见"));
        let trapped = comment(
            &app,
            addr(2),
            items[0],
            json!({"stance": "oppose", "body": "spam", "website": "http://spam.example"}),
        );
        assert_eq!(real, trapped, "a bot cannot tell it was trapped");
        assert_eq!(count(&app), 1);
        // The address is never stored: only a salted SHA-256.
        let hash: String = comments::table
            .select(comments::address_hash)
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("192.0.2"));
    }
}

#[test]
fn a_thousand_comments_from_one_address_are_cut_off_and_others_still_get_through() {
    for app in TestApp::all() {
        let (round, items) = world(&app);
        let rev = app.sign_in(Persona::ReviewerA);
        open(&app, &rev, round, &items, -1, 2);
        let flood = addr(66);
        let mut accepted = 0;
        let mut limited = 0;
        for n in 0..1000 {
            let res = app
                .client
                .post(format!("/api/v1/items/{}/comments", items[0]))
                .remote(flood)
                .header(ContentType::JSON)
                .body(simple(&format!("刷屏 {n}")).to_string())
                .dispatch();
            match res.status() {
                Status::Accepted => accepted += 1,
                Status::TooManyRequests => {
                    assert!(res.headers().get_one("Retry-After").is_some());
                    let (_, body) = json_of(res);
                    assert_eq!(body["error"]["code"], "rate_limited");
                    assert_eq!(body["error"]["message"], "提交过于频繁，请稍后再试");
                    limited += 1;
                }
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(accepted, 5, "the per-minute burst of one address");
        assert_eq!(limited, 995);
        assert_eq!(count(&app), 5);
        // Another address, the public pages and the office are not affected.
        let (status, body) = comment(&app, addr(67), items[1], simple("另一个地址"));
        assert_eq!(status, Status::Accepted, "{body}");
        assert_eq!(count(&app), 6);
        assert_eq!(
            app.client.get("/consultations").dispatch().status(),
            Status::Ok
        );
        let (status, _) = json_of(
            with_session(app.client.get("/api/v1/consultations/1/comments"), &rev).dispatch(),
        );
        assert!(status == Status::Ok || status == Status::NotFound);
    }
}

/// The comment form's token and cookie, as a browser gets them from the page.
fn form_token(app: &TestApp, consultation: i64) -> (String, String) {
    let res = app
        .client
        .get(format!("/consultations/{consultation}"))
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    let cookie = res
        .cookies()
        .get("nianjian_comment")
        .map(|c| c.value().to_string())
        .expect("a form-token cookie");
    let html = res.into_string().unwrap();
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    (cookie, token)
}

fn post_form(
    app: &TestApp,
    consultation: i64,
    item: i64,
    cookie: Option<&str>,
    body: &str,
    from: SocketAddr,
) -> (Status, String) {
    let mut req = app
        .client
        .post(format!(
            "/consultations/{consultation}/items/{item}/comments"
        ))
        .remote(from)
        .header(ContentType::Form)
        .body(body);
    if let Some(c) = cookie {
        req = req.cookie(Cookie::new("nianjian_comment", c.to_string()));
    }
    let res = req.dispatch();
    let status = res.status();
    let location = res.headers().get_one("Location").map(str::to_string);
    (
        status,
        location.unwrap_or_else(|| res.into_string().unwrap_or_default()),
    )
}

#[test]
fn the_page_form_needs_its_token_and_script_in_a_comment_shows_as_text() {
    for app in TestApp::all() {
        let (round, items) = world(&app);
        let rev = app.sign_in(Persona::ReviewerA);
        let id = open(&app, &rev, round, &items, -1, 2);
        let (cookie, token) = form_token(&app, id);
        let evil = "<script>alert(1)</script><b>粗体</b> & \"引号\"";
        let body = format!(
            "csrf_token={token}&stance=oppose&body={}&name=%E5%BC%A0%E4%B8%89&contact=13800000000&website=",
            nianjian::web::pages::url_encode(evil)
        );
        // No token cookie, or a wrong token: refused, nothing stored.
        let (status, _) = post_form(&app, id, items[0], None, &body, addr(1));
        assert_eq!(status, Status::Forbidden);
        let wrong = body.replace(&token, &"0".repeat(64));
        let (status, _) = post_form(&app, id, items[0], Some(&cookie), &wrong, addr(1));
        assert_eq!(status, Status::Forbidden);
        assert_eq!(count(&app), 0);
        // An empty comment comes back with the message next to the form.
        let empty = format!("csrf_token={token}&stance=oppose&body=");
        let (status, html) = post_form(&app, id, items[0], Some(&cookie), &empty, addr(1));
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(html.contains("请填写意见内容"), "{html}");
        assert!(
            html.contains("-oppose\" checked"),
            "what was chosen is kept"
        );

        let (status, location) = post_form(&app, id, items[0], Some(&cookie), &body, addr(1));
        assert_eq!(status, Status::SeeOther, "{location}");
        assert!(location.contains("sent="), "{location}");
        assert_eq!(count(&app), 1);
        // Pending comments are not public.
        let page = app
            .client
            .get(format!("/consultations/{id}"))
            .dispatch()
            .into_string()
            .unwrap();
        assert!(!page.contains("粗体"));

        let comment_id = states(&app)[0].0;
        let (status, body) = json_of(
            with_session(
                app.client
                    .post(format!("/api/v1/comments/{comment_id}/moderation")),
                &rev,
            )
            .header(ContentType::JSON)
            .body(json!({"decision": "approve"}).to_string())
            .dispatch(),
        );
        assert_eq!(status, Status::Ok, "{body}");
        let page = app
            .client
            .get(format!("/consultations/{id}"))
            .dispatch()
            .into_string()
            .unwrap();
        assert!(page.contains("&lt;script&gt;alert(1)&lt;"), "{page}");
        assert!(page.contains("&lt;b&gt;粗体&lt;"), "{page}");
        assert!(!page.contains("<script>alert(1)"));
        assert!(!page.contains("<b>粗体"));
        // Name and contact are never shown publicly, on the page or in the API.
        assert!(!page.contains("张三") && !page.contains("13800000000"));
        let api = app
            .client
            .get(format!("/api/v1/consultations/{id}"))
            .dispatch()
            .into_string()
            .unwrap();
        assert!(api.contains("粗体"));
        assert!(
            !api.contains("张三") && !api.contains("13800000000") && !api.contains("address_hash")
        );
        // The honeypot field is hidden by a class, never an inline style.
        assert!(page.contains("class=\"form-extra\""));

        // The page form is rate-limited too: the address has sent 2 of its 5 (the refused
        // tokens were not counted), so the sixth is a 429 page in Chinese.
        for n in 0..3 {
            let ok = format!("csrf_token={token}&stance=support&body=ok{n}");
            assert_eq!(
                post_form(&app, id, items[1], Some(&cookie), &ok, addr(1)).0,
                Status::SeeOther
            );
        }
        let more = format!("csrf_token={token}&stance=support&body=more");
        let (status, html) = post_form(&app, id, items[1], Some(&cookie), &more, addr(1));
        assert_eq!(status, Status::TooManyRequests);
        assert!(html.contains("提交过于频繁"), "{html}");
        assert_eq!(count(&app), 4);

        // Rejecting on the office page without a reason comes back with the message.
        let res = with_session(
            app.client
                .post(format!("/office/comments/{comment_id}/moderate")),
            &rev,
        )
        .header(ContentType::Form)
        .body(format!("csrf_token={}&decision=reject&reason=", rev.csrf))
        .dispatch();
        assert_eq!(res.status(), Status::UnprocessableEntity);
        assert!(res.into_string().unwrap().contains("不予采用须写明理由"));
        assert_eq!(states(&app)[0].1, "approved");
    }
}

fn moderate(app: &TestApp, who: Option<&SignedIn>, id: i64, body: Value) -> (Status, Value) {
    let req = app
        .client
        .post(format!("/api/v1/comments/{id}/moderation"))
        .header(ContentType::JSON)
        .body(body.to_string());
    let req = match who {
        Some(w) => with_session(req, w),
        None => req,
    };
    json_of(req.dispatch())
}

#[test]
fn only_reviewers_of_the_region_moderate_and_a_refusal_changes_nothing() {
    for app in TestApp::all() {
        let (round, items) = world(&app);
        let rev_a = app.sign_in(Persona::ReviewerA);
        let rev_b = app.sign_in(Persona::ReviewerB);
        let sub_a = app.sign_in(Persona::SubmitterA);
        let rev_p = app.sign_in(Persona::ProvinceReviewer);
        let id = open(&app, &rev_a, round, &items, -1, 2);
        comment(&app, addr(1), items[0], simple("意见一"));
        let comment_id = states(&app)[0].0;
        let before = states(&app);
        let approve = json!({"decision": "approve"});
        assert_eq!(
            moderate(&app, None, comment_id, approve.clone()).0,
            Status::Unauthorized
        );
        assert_eq!(
            moderate(&app, Some(&sub_a), comment_id, approve.clone()).0,
            Status::Forbidden
        );
        assert_eq!(
            moderate(&app, Some(&rev_b), comment_id, approve.clone()).0,
            Status::Forbidden
        );
        // Without the CSRF header a session cannot moderate.
        let res = app
            .client
            .post(format!("/api/v1/comments/{comment_id}/moderation"))
            .cookie(Cookie::new("nianjian_session", rev_a.cookie.clone()))
            .header(ContentType::JSON)
            .body(approve.to_string())
            .dispatch();
        assert_eq!(res.status(), Status::Forbidden);
        // Reading, exporting, closing and opening are the region's too.
        for path in [
            format!("/api/v1/consultations/{id}/comments"),
            format!("/api/v1/consultations/{id}/comments.xlsx"),
            format!("/office/consultations/{id}"),
        ] {
            let res = with_session(app.client.get(path.clone()), &rev_b).dispatch();
            assert_eq!(res.status(), Status::Forbidden, "{path}");
            let res = app.client.get(path.clone()).dispatch();
            assert!(
                matches!(res.status().code, 401 | 303),
                "{path}: {}",
                res.status()
            );
        }
        let (status, _) = json_of(
            with_session(
                app.client.post(format!("/api/v1/consultations/{id}/close")),
                &rev_b,
            )
            .header(ContentType::JSON)
            .body("{}")
            .dispatch(),
        );
        assert_eq!(status, Status::Forbidden);
        assert_eq!(states(&app), before, "nothing changed");
        // The page form of another region's reviewer is refused too.
        let res = with_session(
            app.client
                .post(format!("/office/comments/{comment_id}/moderate")),
            &rev_b,
        )
        .header(ContentType::Form)
        .body(format!("csrf_token={}&decision=approve", rev_b.csrf))
        .dispatch();
        assert_eq!(res.status(), Status::Forbidden);
        assert_eq!(states(&app), before, "nothing changed");

        // The city's reviewer and the province's may.
        assert_eq!(
            moderate(&app, Some(&rev_a), comment_id, approve).0,
            Status::Ok
        );
        let res = with_session(
            app.client
                .post(format!("/office/comments/{comment_id}/moderate")),
            &rev_p,
        )
        .header(ContentType::Form)
        .body(format!(
            "csrf_token={}&decision=reject&reason=%E9%87%8D%E5%A4%8D",
            rev_p.csrf
        ))
        .dispatch();
        assert_eq!(res.status(), Status::SeeOther);
        assert_eq!(states(&app)[0].1, "rejected");
        assert_eq!(states(&app)[0].2.as_deref(), Some("重复"));
    }
}

#[test]
fn moderation_never_loses_a_comment_and_the_export_holds_every_one() {
    for app in TestApp::all() {
        let (round, items) = world(&app);
        let rev = app.sign_in(Persona::ReviewerA);
        let id = open(&app, &rev, round, &items, -1, 2);
        let stances = ["support", "oppose", "other"];
        for n in 0..9u8 {
            let (s, b) = comment(
                &app,
                addr(10 + n),
                items[usize::from(n) % 2],
                json!({"stance": stances[usize::from(n) % 3], "body": format!("意见 {n}"), "name": "李四"}),
            );
            assert_eq!(s, Status::Accepted, "{b}");
        }
        let ids: Vec<i64> = states(&app).iter().map(|s| s.0).collect();
        assert_eq!(ids.len(), 9);

        // A rejection without a reason is refused and changes nothing.
        let before = states(&app);
        let (s, b) = moderate(&app, Some(&rev), ids[0], json!({"decision": "reject"}));
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (Status::UnprocessableEntity, Some("reason_required"))
        );
        let (s, _) = moderate(&app, Some(&rev), ids[0], json!({"decision": "delete"}));
        assert_eq!(s, Status::UnprocessableEntity);
        assert_eq!(states(&app), before);

        for (n, cid) in ids.iter().enumerate() {
            let body = if n % 3 == 0 {
                json!({"decision": "reject", "reason": "与事项无关"})
            } else if n % 3 == 1 {
                json!({"decision": "approve"})
            } else {
                continue;
            };
            assert_eq!(moderate(&app, Some(&rev), *cid, body).0, Status::Ok);
        }
        let after = states(&app);
        assert_eq!(after.len(), 9, "nothing lost");
        let rejected: Vec<_> = after.iter().filter(|s| s.1 == "rejected").collect();
        assert_eq!(rejected.len(), 3);
        assert!(
            rejected
                .iter()
                .all(|s| s.2.as_deref() == Some("与事项无关"))
        );

        let (status, body) = json_of(
            with_session(
                app.client
                    .get(format!("/api/v1/consultations/{id}/comments")),
                &rev,
            )
            .dispatch(),
        );
        assert_eq!(status, Status::Ok);
        assert_eq!(body["comments"].as_array().unwrap().len(), 9);
        let tallies = body["tallies"].as_array().unwrap();
        let total: i64 = tallies.iter().map(|t| t["total"].as_i64().unwrap()).sum();
        assert_eq!(total, 9);
        let by = |k: &str| tallies.iter().map(|t| t[k].as_i64().unwrap()).sum::<i64>();
        assert_eq!((by("support"), by("oppose"), by("other")), (3, 3, 3));
        assert_eq!((by("pending"), by("approved"), by("rejected")), (3, 3, 3));
        assert_eq!(tallies[0]["total"], 5);
        assert_eq!(tallies[1]["total"], 4);

        // The export: one row per comment, every state, with name (office only) and reason.
        let res = with_session(
            app.client
                .get(format!("/api/v1/consultations/{id}/comments.xlsx")),
            &rev,
        )
        .dispatch();
        assert_eq!(res.status(), Status::Ok);
        let bytes = res.into_bytes().unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("xlsx");
        let sheet = book.sheet_names()[0].clone();
        let range = book.worksheet_range(&sheet).unwrap();
        let rows: Vec<_> = range
            .rows()
            .skip(2)
            .filter(|r| !r[0].to_string().is_empty())
            .collect();
        assert_eq!(rows.len(), 9, "{}", app.backend);
        let text: String = range
            .rows()
            .flat_map(|r| r.iter().map(|c| c.to_string()))
            .collect();
        assert!(text.contains("与事项无关") && text.contains("李四") && text.contains("待审核"));

        // The office page shows the counts and every comment.
        let page = with_session(app.client.get(format!("/office/consultations/{id}")), &rev)
            .dispatch()
            .into_string()
            .unwrap();
        assert_eq!(page.matches("class=\"moderated-comment\"").count(), 9);
        let page = with_session(
            app.client
                .get(format!("/office/consultations/{id}?state=rejected")),
            &rev,
        )
        .dispatch()
        .into_string()
        .unwrap();
        assert_eq!(page.matches("class=\"moderated-comment\"").count(), 3);
    }
}

fn decide(app: &TestApp, who: &SignedIn, item: i64) {
    let (status, body) = json_of(
        with_session(app.client.post(format!("/api/v1/items/{item}/decision")), who)
            .header(ContentType::JSON)
            .body(
                json!({"decision": "retain", "rationale": "确有必要", "necessity": "经评估论证确有必要保留。"})
                    .to_string(),
            )
            .dispatch(),
    );
    assert_eq!(status, Status::Created, "{body}");
}

#[test]
fn r10_blocks_publication_until_the_consultation_is_closed_with_a_summary() {
    for app in TestApp::all() {
        let (round, items) = world(&app);
        let rev = app.sign_in(Persona::ReviewerA);
        for &item in &items {
            decide(&app, &rev, item);
        }
        let publish = || {
            json_of(
                with_session(
                    app.client
                        .post(format!("/api/v1/rounds/{round}/publications")),
                    &rev,
                )
                .dispatch(),
            )
        };
        let (status, body) = publish();
        assert_eq!(status, Status::Conflict, "{body}");
        assert!(body.to_string().contains("R10"), "{body}");

        // Opened on the office page, commented on, but still open: still refused.
        let form = format!(
            "csrf_token={}&round={round}&title=%E5%BE%81%E6%B1%82%E6%84%8F%E8%A7%81&notice=&starts_at={}&ends_at={}&items={}&items={}",
            rev.csrf,
            nianjian::web::pages::url_encode(&rfc(-1)),
            nianjian::web::pages::url_encode(&rfc(2)),
            items[0],
            items[1]
        );
        let res = with_session(app.client.post("/office/consultations"), &rev)
            .header(ContentType::Form)
            .body(form)
            .dispatch();
        assert_eq!(res.status(), Status::SeeOther);
        let location = res.headers().get_one("Location").unwrap().to_string();
        let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
        assert_eq!(
            comment(&app, addr(1), items[0], simple("反对保留")).0,
            Status::Accepted
        );
        assert_eq!(publish().0, Status::Conflict);

        // Closed with a summary per item on the office page: published.
        let res = with_session(app.client.post(format!("/office/consultations/{id}/close")), &rev)
            .header(ContentType::Form)
            .body(format!(
                "csrf_token={}&summaries%5B{}%5D=%E6%94%B6%E5%88%B0%E4%B8%80%E6%9D%A1%E5%8F%8D%E5%AF%B9%E6%84%8F%E8%A7%81",
                rev.csrf, items[0]
            ))
            .dispatch();
        assert_eq!(res.status(), Status::SeeOther);
        let (status, body) = publish();
        assert_eq!(status, Status::Created, "{}: {body}", app.backend);
        // The public page shows the summary; closing twice is refused.
        let page = app
            .client
            .get(format!("/consultations/{id}"))
            .dispatch()
            .into_string()
            .unwrap();
        assert!(page.contains("收到一条反对意见"));
        assert!(page.contains("征求意见期间未收到意见"));
        let (status, _) = json_of(
            with_session(
                app.client.post(format!("/api/v1/consultations/{id}/close")),
                &rev,
            )
            .header(ContentType::JSON)
            .body("{}")
            .dispatch(),
        );
        assert_eq!(status, Status::Conflict);
    }
}

#[test]
fn the_public_lists_open_and_past_consultations_in_both_languages() {
    for app in TestApp::all() {
        let (round, items) = world(&app);
        let rev = app.sign_in(Persona::ReviewerA);
        let id = open(&app, &rev, round, &items[..1], -1, 2);
        let page = app
            .client
            .get("/consultations")
            .dispatch()
            .into_string()
            .unwrap();
        assert!(page.contains("正在征求意见") && page.contains(&format!("/consultations/{id}")));
        let page = app
            .client
            .get("/consultations?lang=en")
            .dispatch()
            .into_string()
            .unwrap();
        assert!(page.contains("Open for comment"));
        let page = app
            .client
            .get(format!("/consultations/{id}"))
            .dispatch()
            .into_string()
            .unwrap();
        assert!(page.contains("无依据年检") && page.contains("济南市交通运输局"));
        let (status, body) = json_of(app.client.get("/api/v1/consultations").dispatch());
        assert_eq!(status, Status::Ok);
        assert_eq!(body["consultations"][0]["status"], "open");
        // The office list offers the flagged items, preselecting those proposed for retention.
        let office = with_session(app.client.get("/office/consultations"), &rev)
            .dispatch()
            .into_string()
            .unwrap();
        assert!(office.contains("R01") && office.contains("R02"), "{office}");
        assert_eq!(
            app.client.get("/consultations/9999").dispatch().status(),
            Status::NotFound
        );
    }
}
