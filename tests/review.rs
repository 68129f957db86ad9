//! Storing submissions, recomputing findings, recording decisions and the consolidated list, on
//! every backend.

mod common;

use common::TestDb;
use common::seed::{self, basis, inspection, training};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use nianjian::db::DbConnection;
use nianjian::db::audit::{self, Actor};
use nianjian::db::schema::{
    audit_log, decisions, finding_messages, findings, items, legal_bases, submissions,
};
use nianjian::domain::{BasisLevel, Disposition, ItemDraft, Kind, Lang, Severity};
use nianjian::service::decisions::{self as dec, DecisionError, DecisionInput};
use nianjian::service::import::{self, CommitError, CommitOutcome, StatedItem, SubmissionInput};
use nianjian::service::review::{self, ItemFilter, Visible};

const ROAD: &str = "中华人民共和国道路运输条例";

fn submit(
    conn: &mut DbConnection,
    round: i64,
    department: i64,
    bytes: &[u8],
    drafts: &[ItemDraft],
) -> Result<CommitOutcome, CommitError> {
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
            file_name: "交通运输厅.xlsx",
            format: "xlsx",
            bytes,
            report_json: "{}".into(),
            items,
            error_count: 0,
            uploaded_by: None,
        },
    )
}

macro_rules! count_rows {
    ($conn:expr, $table:expr) => {
        $table.count().get_result::<i64>($conn).unwrap()
    };
}

fn first_batch() -> Vec<ItemDraft> {
    vec![
        inspection(
            "道路运输经营许可证年度审验",
            Some(12),
            vec![basis(BasisLevel::AdminRegulation, ROAD, Some("第六十七条"))],
            Disposition::ExtendCycle,
        ),
        inspection("某某证年检", Some(12), vec![], Disposition::Cancel),
        inspection(
            "出租汽车经营资格年审",
            Some(12),
            vec![basis(
                BasisLevel::LocalRegulation,
                "山东省道路运输条例",
                None,
            )],
            Disposition::Retain,
        ),
        training("危险货物运输从业人员培训", vec![], Disposition::Retain),
    ]
}

fn finding_codes(conn: &mut DbConnection, name: &str) -> Vec<String> {
    findings::table
        .inner_join(items::table)
        .filter(items::name.eq(name))
        .order(findings::code)
        .select(findings::code)
        .load(conn)
        .unwrap()
}

#[test]
fn a_submission_stores_items_bases_and_findings_and_identical_bytes_are_a_no_op() {
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        let dep = s.departments[0];
        let outcome = submit(&mut conn, s.round, dep, b"file one", &first_batch()).unwrap();
        let CommitOutcome::Stored {
            submission_id,
            added,
            ..
        } = outcome
        else {
            panic!("{}: expected stored", t.backend)
        };
        assert_eq!(added.len(), 4, "{}", t.backend);
        assert_eq!(count_rows!(&mut conn, items::table), 4);
        assert_eq!(count_rows!(&mut conn, legal_bases::table), 2);
        // R01 is silenced by the proposed cancel; R02 on the self-set retained one; R05 and R07
        // on the training kept without basis.
        assert_eq!(
            finding_codes(&mut conn, "某某证年检"),
            Vec::<String>::new(),
            "{}",
            t.backend
        );
        let self_set = finding_codes(&mut conn, "出租汽车经营资格年审");
        assert!(
            self_set.contains(&"R02".to_string()),
            "{}: {self_set:?}",
            t.backend
        );
        let training = finding_codes(&mut conn, "危险货物运输从业人员培训");
        assert!(training.contains(&"R05".to_string()) && training.contains(&"R07".to_string()));

        // The same bytes again: nothing new.
        let again = submit(&mut conn, s.round, dep, b"file one", &first_batch()).unwrap();
        assert_eq!(
            again,
            CommitOutcome::Unchanged { submission_id },
            "{}",
            t.backend
        );
        assert_eq!(count_rows!(&mut conn, submissions::table), 1);
        // One audit entry for the import, and the chain holds.
        assert_eq!(count_rows!(&mut conn, audit_log::table), 1);
        assert_eq!(
            audit::verify(&mut conn).unwrap(),
            audit::Verdict::Intact { entries: 1 }
        );
    }
}

#[test]
fn a_newer_file_supersedes_and_lists_added_removed_and_changed() {
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        let dep = s.departments[0];
        submit(&mut conn, s.round, dep, b"v1", &first_batch()).unwrap();
        let first_id: i64 = items::table
            .filter(items::name.eq("道路运输经营许可证年度审验"))
            .select(items::id)
            .first(&mut conn)
            .unwrap();

        let mut second = first_batch();
        second.remove(1); // 某某证年检 removed
        second[0].cycle_months = Some(24); // changed
        second[0].cycle_text = Some("两年一检".into());
        second.push(inspection(
            "新增事项年检",
            Some(36),
            vec![],
            Disposition::Cancel,
        ));
        let outcome = submit(&mut conn, s.round, dep, b"v2", &second).unwrap();
        let CommitOutcome::Stored {
            superseded,
            added,
            removed,
            changed,
            unchanged,
            submission_id,
        } = outcome
        else {
            panic!("expected stored")
        };
        assert!(superseded.is_some(), "{}", t.backend);
        assert_eq!(added, vec!["新增事项年检".to_string()]);
        assert_eq!(removed, vec!["某某证年检".to_string()]);
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].name, "道路运输经营许可证年度审验");
        assert_eq!(changed[0].fields, vec!["cycle_months", "cycle_text"]);
        assert_eq!(unchanged, 2);
        // Identity kept: the same row, now pointing at the new submission.
        let (id, sub, cycle): (i64, i64, Option<i64>) = items::table
            .filter(items::name.eq("道路运输经营许可证年度审验"))
            .select((items::id, items::submission_id, items::cycle_months))
            .first(&mut conn)
            .unwrap();
        assert_eq!(
            (id, sub, cycle),
            (first_id, submission_id, Some(24)),
            "{}",
            t.backend
        );
        let withdrawn: bool = items::table
            .filter(items::name.eq("某某证年检"))
            .select(items::withdrawn)
            .first(&mut conn)
            .unwrap();
        assert!(withdrawn);
        let old_superseded_by: Option<i64> = submissions::table
            .filter(submissions::id.eq(superseded.unwrap()))
            .select(submissions::superseded_by)
            .first(&mut conn)
            .unwrap();
        assert_eq!(old_superseded_by, Some(submission_id));
    }
}

#[test]
fn a_file_with_errors_or_a_doubled_item_stores_nothing() {
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        let batch = first_batch();
        let refused = import::commit(
            &mut conn,
            &Actor::cli(),
            SubmissionInput {
                round_id: s.round,
                department_id: s.departments[0],
                file_name: "x.xlsx",
                format: "xlsx",
                bytes: b"x",
                report_json: "{}".into(),
                items: vec![StatedItem {
                    sheet: "年检事项",
                    row: 5,
                    draft: &batch[0],
                }],
                error_count: 2,
                uploaded_by: None,
            },
        );
        assert!(
            matches!(refused, Err(CommitError::HasErrors(2))),
            "{}",
            t.backend
        );

        let mut doubled = first_batch();
        doubled.push(doubled[0].clone());
        let refused = submit(&mut conn, s.round, s.departments[0], b"doubled", &doubled);
        assert!(
            matches!(refused, Err(CommitError::DuplicateItem(_))),
            "{}",
            t.backend
        );
        for n in [
            count_rows!(&mut conn, submissions::table),
            count_rows!(&mut conn, items::table),
            count_rows!(&mut conn, legal_bases::table),
            count_rows!(&mut conn, findings::table),
            count_rows!(&mut conn, audit_log::table),
        ] {
            assert_eq!(
                n, 0,
                "{}: nothing of a refused import may remain",
                t.backend
            );
        }
    }
}

#[test]
fn the_same_licence_in_two_departments_is_flagged_in_both() {
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        let road = vec![basis(
            BasisLevel::Law,
            "中华人民共和国道路交通安全法",
            Some("第十三条"),
        )];
        let a = vec![inspection(
            "机动车安全技术检验",
            Some(12),
            road.clone(),
            Disposition::Retain,
        )];
        submit(&mut conn, s.round, s.departments[0], b"a", &a).unwrap();
        assert!(!finding_codes(&mut conn, "机动车安全技术检验").contains(&"R09".to_string()));
        // Traditional characters and full-width spaces in the other department's name.
        let mut b = a.clone();
        b[0].name = "機動車安全技術檢驗".into();
        submit(&mut conn, s.round, s.departments[1], b"b", &b).unwrap();
        let r09: Vec<(String, String)> = findings::table
            .inner_join(items::table)
            .inner_join(finding_messages::table)
            .filter(findings::code.eq("R09"))
            .select((items::name, finding_messages::message_zh))
            .load(&mut conn)
            .unwrap();
        assert_eq!(
            r09.len(),
            2,
            "{}: both departments' items carry R09: {r09:?}",
            t.backend
        );
        assert!(r09.iter().any(|(_, m)| m.contains("山东省公安厅")));
        assert!(r09.iter().any(|(_, m)| m.contains("山东省交通运输厅")));
    }
}

fn item_id(conn: &mut DbConnection, name: &str) -> i64 {
    items::table
        .filter(items::name.eq(name))
        .select(items::id)
        .first(conn)
        .unwrap()
}

fn input(decision: &str, cycle: Option<u32>, necessity: Option<&str>) -> DecisionInput {
    DecisionInput {
        decision: decision.into(),
        cycle_months: cycle,
        rationale: "经研究决定".into(),
        necessity: necessity.map(str::to_string),
    }
}

/// Counts of the tables a refused decision must leave alone.
fn decision_state(conn: &mut DbConnection) -> (i64, i64, Vec<String>) {
    (
        count_rows!(conn, decisions::table),
        count_rows!(conn, audit_log::table),
        items::table
            .order(items::id)
            .select(items::state)
            .load(conn)
            .unwrap(),
    )
}

#[test]
fn bad_decisions_are_refused_and_change_nothing() {
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        submit(&mut conn, s.round, s.departments[0], b"v1", &first_batch()).unwrap();
        let other_round = seed::round(&mut conn, s.region, "另一批次");
        let road = item_id(&mut conn, "道路运输经营许可证年度审验");
        let self_set = item_id(&mut conn, "出租汽车经营资格年审");
        let before = decision_state(&mut conn);
        let cases: Vec<(i64, i64, DecisionInput, DecisionError)> = vec![
            (
                other_round,
                road,
                input("retain", None, None),
                DecisionError::OtherRound,
            ),
            (
                s.round,
                999_999,
                input("retain", None, None),
                DecisionError::ItemNotFound,
            ),
            (
                s.round,
                road,
                input("abolish", None, None),
                DecisionError::UnknownDisposition("abolish".into()),
            ),
            (
                s.round,
                road,
                input("extend_cycle", Some(6), None),
                DecisionError::CycleNotLonger {
                    current: Some(12),
                    requested: 6,
                },
            ),
            (
                s.round,
                road,
                input("extend_cycle", Some(12), None),
                DecisionError::CycleNotLonger {
                    current: Some(12),
                    requested: 12,
                },
            ),
            (
                s.round,
                road,
                input("extend_cycle", None, None),
                DecisionError::CycleRequired,
            ),
            (
                s.round,
                road,
                input("standardise", None, None),
                DecisionError::StandardiseOnInspection,
            ),
            (
                s.round,
                self_set,
                input("retain", None, None),
                DecisionError::NecessityRequired,
            ),
            (
                s.round,
                road,
                DecisionInput {
                    rationale: "  ".into(),
                    ..input("retain", None, None)
                },
                DecisionError::RationaleMissing,
            ),
        ];
        for (round, item, inp, want) in cases {
            let got = dec::decide(&mut conn, &Actor::cli(), round, item, &inp).unwrap_err();
            assert_eq!(got, want, "{}", t.backend);
            assert!(!got.message(Lang::Zh).is_empty() && !got.message(Lang::En).is_empty());
            assert_eq!(
                decision_state(&mut conn),
                before,
                "{}: a refused decision changed something",
                t.backend
            );
        }
        // A published item cannot be decided again.
        diesel::update(items::table.find(road))
            .set(items::state.eq("published"))
            .execute(&mut conn)
            .unwrap();
        let before = decision_state(&mut conn);
        let got = dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            road,
            &input("retain", None, None),
        )
        .unwrap_err();
        assert_eq!(got, DecisionError::Published);
        assert_eq!(decision_state(&mut conn), before);
    }
}

#[test]
fn decisions_replace_older_ones_keep_history_and_recompute_findings() {
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        submit(&mut conn, s.round, s.departments[0], b"v1", &first_batch()).unwrap();
        let road = item_id(&mut conn, "道路运输经营许可证年度审验");
        assert!(
            finding_codes(&mut conn, "道路运输经营许可证年度审验").contains(&"R03".to_string())
        );

        dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            road,
            &input("retain", None, None),
        )
        .unwrap();
        dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            road,
            &input("extend_cycle", Some(36), None),
        )
        .unwrap();
        let history = dec::history(&mut conn, road).unwrap();
        assert_eq!(history.len(), 2, "{}", t.backend);
        assert_eq!(history[0].disposition, "extend_cycle");
        assert!(history[0].superseded_at.is_none() && history[1].superseded_at.is_some());
        // The 36-month cycle silences R03.
        assert!(
            !finding_codes(&mut conn, "道路运输经营许可证年度审验").contains(&"R03".to_string())
        );
        let state: String = items::table
            .find(road)
            .select(items::state)
            .first(&mut conn)
            .unwrap();
        assert_eq!(state, "decided");

        // Keeping the self-set inspection with a necessity assessment but no consultation:
        // R10 blocks publication.
        let self_set = item_id(&mut conn, "出租汽车经营资格年审");
        dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            self_set,
            &input("retain", None, Some("经评估确需保留")),
        )
        .unwrap();
        assert!(finding_codes(&mut conn, "出租汽车经营资格年审").contains(&"R10".to_string()));
        assert_eq!(count_rows!(&mut conn, audit_log::table), 4, "{}", t.backend);

        // A bulk decision is all or nothing: one bad item refuses the whole set.
        let cancel_all = item_id(&mut conn, "某某证年检");
        let training = item_id(&mut conn, "危险货物运输从业人员培训");
        let before = decision_state(&mut conn);
        let refused = dec::decide_many(
            &mut conn,
            &Actor::cli(),
            s.round,
            &[cancel_all, training, 999_999],
            &input("cancel", None, None),
        )
        .unwrap_err();
        assert_eq!(refused.item_id, Some(999_999));
        assert_eq!(decision_state(&mut conn), before);
        let n = dec::decide_many(
            &mut conn,
            &Actor::cli(),
            s.round,
            &[cancel_all, training],
            &input("cancel", None, None),
        )
        .unwrap();
        assert_eq!(n, 2);
        // Decisions resolve and raise findings: the list's severity bits follow.
        assert_open_severities(&mut conn, t.backend);
    }
}

#[test]
fn the_consolidated_list_filters_pages_and_respects_visibility() {
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        submit(&mut conn, s.round, s.departments[0], b"a", &first_batch()).unwrap();
        let mut other = first_batch();
        for d in &mut other {
            d.name = format!("{}（公安）", d.name);
        }
        other.push(inspection(
            "百分号%和下划线_事项",
            Some(24),
            vec![],
            Disposition::Cancel,
        ));
        submit(&mut conn, s.round, s.departments[1], b"b", &other).unwrap();

        let all = |f: ItemFilter, conn: &mut DbConnection| {
            review::list_items(
                conn,
                &Visible::All,
                s.round,
                &ItemFilter { per_page: 50, ..f },
                Lang::Zh,
            )
            .unwrap()
        };
        let text = |q: &str, conn: &mut DbConnection| {
            all(
                ItemFilter {
                    q: Some(q.into()),
                    ..Default::default()
                },
                conn,
            )
        };
        assert_eq!(
            all(ItemFilter::default(), &mut conn).total,
            9,
            "{}",
            t.backend
        );
        let by_dep = all(
            ItemFilter {
                department: Some(s.departments[1]),
                ..Default::default()
            },
            &mut conn,
        );
        assert_eq!(by_dep.total, 5);
        let trainings = all(
            ItemFilter {
                kind: Some(Kind::Training),
                ..Default::default()
            },
            &mut conn,
        );
        assert_eq!(trainings.total, 2);
        let r02 = all(
            ItemFilter {
                rule: Some("R02".into()),
                ..Default::default()
            },
            &mut conn,
        );
        assert_eq!(r02.total, 2);
        assert!(
            r02.items
                .iter()
                .all(|i| i.findings.iter().any(|f| f.code == "R02"))
        );
        let errors = all(
            ItemFilter {
                severity: Some(Severity::Error),
                ..Default::default()
            },
            &mut conn,
        );
        assert_eq!(errors.total, 2, "the two trainings kept without basis");
        // LIKE metacharacters are matched literally.
        let pct = all(
            ItemFilter {
                q: Some("%和下划线_".into()),
                ..Default::default()
            },
            &mut conn,
        );
        assert_eq!(pct.total, 1);
        let none = all(
            ItemFilter {
                q: Some("_".into()),
                department: Some(s.departments[0]),
                ..Default::default()
            },
            &mut conn,
        );
        assert_eq!(none.total, 0);
        // The text is matched as identity keys are written: full-width forms, case, spaces and
        // punctuation folded, 年审 and 年检 alike; and department names too.
        let folded = text("％和下划线＿ 事项", &mut conn);
        assert_eq!(folded.total, 1, "{}", t.backend);
        let variants = text("资格年检", &mut conn);
        assert_eq!(
            variants
                .items
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>(),
            ["出租汽车经营资格年审", "出租汽车经营资格年审（公安）"],
            "{}",
            t.backend
        );
        let by_department_name = text("公安厅", &mut conn);
        assert_eq!(by_department_name.total, 5, "{}", t.backend);
        // A text filter's total comes with its page (one pass over the matches): the same on
        // every page, and past the end too.
        let everywhere = text("经营", &mut conn);
        assert!(everywhere.total >= 3, "{}", t.backend);
        for page in [1, 2, everywhere.total as u32, everywhere.total as u32 + 5] {
            let one = review::list_items(
                &mut conn,
                &Visible::All,
                s.round,
                &ItemFilter {
                    q: Some("经营".into()),
                    per_page: 1,
                    page,
                    ..Default::default()
                },
                Lang::Zh,
            )
            .unwrap();
            assert_eq!(one.total, everywhere.total, "page {page} {}", t.backend);
            let expected: Vec<i64> = everywhere
                .items
                .get(page as usize - 1)
                .map(|i| i.id)
                .into_iter()
                .collect();
            assert_eq!(
                one.items.iter().map(|i| i.id).collect::<Vec<_>>(),
                expected,
                "page {page} {}",
                t.backend
            );
        }
        // Paging.
        let p2 = review::list_items(
            &mut conn,
            &Visible::All,
            s.round,
            &ItemFilter {
                per_page: 4,
                page: 3,
                ..Default::default()
            },
            Lang::Zh,
        )
        .unwrap();
        assert_eq!((p2.items.len(), p2.pages), (1, 3));
        // A submitter sees only its own department.
        let own = review::list_items(
            &mut conn,
            &Visible::Departments(vec![s.departments[0]]),
            s.round,
            &ItemFilter {
                per_page: 50,
                ..Default::default()
            },
            Lang::En,
        )
        .unwrap();
        assert_eq!(own.total, 4);
        assert!(
            own.items
                .iter()
                .all(|i| i.department_id == s.departments[0])
        );
    }
}

#[test]
fn repealing_a_document_reflags_every_item_that_cites_it() {
    use nianjian::service::documents::{self, DocumentError, DocumentInput};
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        submit(&mut conn, s.round, s.departments[0], b"v1", &first_batch()).unwrap();
        let doc = DocumentInput {
            // Without the 中华人民共和国 prefix and with book-title marks: still the same document.
            title: "《道路运输条例》".into(),
            doc_number: Some("国务院令第406号".into()),
            issuer: Some("国务院".into()),
            level: "行政法规".into(),
            status: "in_force".into(),
            issued_on: None,
            effective_on: None,
            repealed_on: None,
        };
        let saved = documents::save(&mut conn, &Actor::cli(), None, &doc).unwrap();
        assert_eq!(saved.citing.len(), 1, "{}", t.backend);
        assert!(
            !finding_codes(&mut conn, "道路运输经营许可证年度审验").contains(&"R08".to_string())
        );

        let repealed = documents::save(
            &mut conn,
            &Actor::cli(),
            Some(saved.document.id),
            &DocumentInput {
                status: "已废止".into(),
                ..doc.clone()
            },
        )
        .unwrap();
        assert_eq!(repealed.citing[0].name, "道路运输经营许可证年度审验");
        let r08: Vec<String> = findings::table
            .inner_join(items::table)
            .inner_join(finding_messages::table)
            .filter(findings::code.eq("R08"))
            .select(finding_messages::message_zh)
            .load(&mut conn)
            .unwrap();
        assert_eq!(r08.len(), 1, "{}", t.backend);
        assert!(r08[0].contains("道路运输条例"), "{r08:?}");

        // Bad input is refused and changes nothing.
        let entries = count_rows!(&mut conn, audit_log::table);
        for (input, want) in [
            (
                DocumentInput {
                    level: "红头文件".into(),
                    ..doc.clone()
                },
                "unknown_level",
            ),
            (
                DocumentInput {
                    status: "说不清".into(),
                    ..doc.clone()
                },
                "unknown_status",
            ),
            (
                DocumentInput {
                    title: " 《》 ".into(),
                    ..doc.clone()
                },
                "title_missing",
            ),
        ] {
            let err: DocumentError =
                documents::save(&mut conn, &Actor::cli(), None, &input).unwrap_err();
            assert_eq!(err.code(), want);
        }
        let dup = documents::save(&mut conn, &Actor::cli(), None, &doc).unwrap_err();
        assert_eq!(dup.code(), "duplicate_title", "{}", t.backend);
        assert_eq!(count_rows!(&mut conn, audit_log::table), entries);
    }
}

#[test]
fn publishing_is_refused_while_errors_remain_then_numbers_versions_and_diffs_them() {
    use nianjian::domain::publication::List;
    use nianjian::service::publish::{self, PublishError, Which};
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        submit(&mut conn, s.round, s.departments[0], b"v1", &first_batch()).unwrap();
        let training = item_id(&mut conn, "危险货物运输从业人员培训");
        let road = item_id(&mut conn, "道路运输经营许可证年度审验");
        let cancel = item_id(&mut conn, "某某证年检");
        dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            road,
            &input("extend_cycle", Some(24), None),
        )
        .unwrap();
        dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            cancel,
            &input("cancel", None, None),
        )
        .unwrap();

        // The training kept without a legal basis blocks (R05, R07).
        let Err(PublishError::Blocked(blocking)) =
            publish::publish(&mut conn, &Actor::cli(), s.round)
        else {
            panic!("{}: publication should be refused", t.backend)
        };
        assert_eq!(blocking.len(), 1, "{}: {blocking:?}", t.backend);
        assert_eq!(blocking[0].item_id, training);
        assert!(blocking[0].findings.iter().any(|(code, _)| code == "R05"));
        assert_eq!(
            count_rows!(&mut conn, nianjian::db::schema::publications::table),
            0
        );

        dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            training,
            &input("cancel", None, None),
        )
        .unwrap();
        let first = publish::publish(&mut conn, &Actor::cli(), s.round).unwrap();
        assert_eq!(first.number, 1);
        // Undecided items (the self-set one) are not published.
        assert_eq!(first.item_count, 3, "{}", t.backend);
        let p1 = publish::load(&mut conn, &first).unwrap();
        assert_eq!(p1.list(List::Retained).count(), 1);
        assert_eq!(p1.list(List::Cancelled).count(), 2);
        let retained = p1.list(List::Retained).next().unwrap();
        assert_eq!(
            (retained.cycle_months_before, retained.cycle_months),
            (Some(12), Some(24))
        );
        assert_eq!(p1.summary.cycles_lengthened, 1);
        // A published item cannot be decided again.
        assert_eq!(
            dec::decide(
                &mut conn,
                &Actor::cli(),
                s.round,
                road,
                &input("retain", None, None)
            )
            .unwrap_err(),
            DecisionError::Published
        );

        // Decide the self-set one (cancel) and publish again: version 2, diff names the change.
        let self_set = item_id(&mut conn, "出租汽车经营资格年审");
        dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            self_set,
            &input("cancel", None, None),
        )
        .unwrap();
        let second = publish::publish(&mut conn, &Actor::cli(), s.round).unwrap();
        assert_eq!(second.number, 2);
        let latest = publish::find(&mut conn, s.region, Which::Latest)
            .unwrap()
            .unwrap();
        assert_eq!(latest.id, second.id);
        let p2 = publish::load(&mut conn, &second).unwrap();
        let diff = publish::diff(&p1, &p2);
        assert_eq!(diff.added.len(), 1, "{}", t.backend);
        assert_eq!(diff.added[0].name, "出租汽车经营资格年审");
        assert!(diff.removed.is_empty() && diff.changed.is_empty());
        // The first publication did not change.
        let again = publish::load(&mut conn, &first).unwrap();
        assert_eq!(again, p1);
        assert_eq!(
            audit::verify(&mut conn).unwrap(),
            audit::Verdict::Intact { entries: 7 }
        );
    }
}

/// Every finding row, comparable across a recompute (ids and times left out).
type FindingSnapshot = Vec<(i64, String, String, String, String, bool)>;

fn findings_snapshot(conn: &mut DbConnection) -> FindingSnapshot {
    findings::table
        .inner_join(finding_messages::table)
        .order((findings::item_id, findings::code))
        .select((
            findings::item_id,
            findings::code,
            findings::severity,
            finding_messages::message_zh,
            finding_messages::message_en,
            findings::resolved,
        ))
        .load(conn)
        .unwrap()
}

/// Every item's `open_severities` (the bits the consolidated list filters on) agrees with its
/// stored findings: 1 for an open error, 2 for an open warning, 4 for an open info.
fn assert_open_severities(conn: &mut DbConnection, context: &str) {
    let kept: Vec<(i64, i64)> = items::table
        .select((items::id, items::open_severities))
        .load(conn)
        .unwrap();
    let rows: Vec<(i64, String, bool)> = findings::table
        .select((findings::item_id, findings::severity, findings::resolved))
        .load(conn)
        .unwrap();
    let mut expected: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for (item, severity, resolved) in rows {
        let bit = match (severity.as_str(), resolved) {
            (_, true) => 0,
            ("error", _) => 1,
            ("warning", _) => 2,
            ("info", _) => 4,
            (other, _) => panic!("unknown severity {other}"),
        };
        *expected.entry(item).or_default() |= bit;
    }
    let mut wrong = Vec::new();
    for (id, bits) in &kept {
        let want = expected.get(id).copied().unwrap_or(0);
        if *bits != want {
            wrong.push((*id, *bits, want));
        }
    }
    assert!(
        wrong.is_empty(),
        "{context}: items whose open_severities disagree with their findings (id, kept, expected): {wrong:?}"
    );
    assert!(
        kept.iter().any(|(_, b)| *b != 0),
        "{context}: nothing flagged at all"
    );
}

/// An import computes its items' findings from the file in memory, with the context loaded by
/// key (decisions carried over, repealed documents, the same item in other departments); a full
/// recompute from the database afterwards must store exactly the same rows.
#[test]
fn findings_stored_by_an_import_equal_a_full_recompute() {
    use nianjian::service::documents::{self, DocumentInput};
    use nianjian::service::findings::{self as fnd, Selection};
    let check = |conn: &mut DbConnection, round: i64, backend: &str, step: &str| {
        let stored = findings_snapshot(conn);
        assert_open_severities(conn, &format!("{backend} {step}"));
        fnd::recompute(conn, &Selection::Round(round)).unwrap();
        let recomputed = findings_snapshot(conn);
        assert!(!stored.is_empty(), "{backend} {step}");
        assert_eq!(stored, recomputed, "{backend} {step}");
    };
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        let b = t.backend;
        // A repealed document the files cite (R08), under a title spelt differently.
        documents::save(
            &mut conn,
            &Actor::cli(),
            None,
            &DocumentInput {
                title: "《道路运输条例》".into(),
                doc_number: None,
                issuer: Some("国务院".into()),
                level: "行政法规".into(),
                status: "已废止".into(),
                issued_on: None,
                effective_on: None,
                repealed_on: None,
            },
        )
        .unwrap();
        let law = basis(
            BasisLevel::Law,
            "中华人民共和国道路交通安全法",
            Some("第十三条"),
        );
        let mut v1 = first_batch();
        let mut open_kind = inspection("某某许可证年度核验", None, vec![], Disposition::Retain);
        open_kind.kind = None;
        open_kind.licence = None;
        v1.push(open_kind);
        v1.push(inspection(
            "机动车安全技术检验",
            Some(12),
            vec![law.clone(), basis(BasisLevel::AdminRegulation, ROAD, None)],
            Disposition::ConvertToAnnualReport,
        ));
        v1.push(training(
            "驾驶员继续教育",
            vec![law.clone()],
            Disposition::Retain,
        ));
        submit(&mut conn, s.round, s.departments[0], b"v1", &v1).unwrap();
        check(&mut conn, s.round, b, "first file");

        // Another department lists two of the same items (R09 on both sides).
        let other = vec![
            v1[5].clone(),
            inspection("出租汽车经营资格年审", Some(6), vec![], Disposition::Retain),
            inspection(
                "只在公安厅的年检",
                Some(24),
                vec![law.clone()],
                Disposition::Retain,
            ),
        ];
        submit(&mut conn, s.round, s.departments[1], b"other", &other).unwrap();
        check(&mut conn, s.round, b, "second department");

        // Decisions carried over by identity: one justified keep, one bare, one cancel.
        let road = item_id(&mut conn, "道路运输经营许可证年度审验");
        let taxi = item_id(&mut conn, "出租汽车经营资格年审");
        let car = item_id(&mut conn, "机动车安全技术检验");
        dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            road,
            &input("extend_cycle", Some(36), Some("经评估确需保留")),
        )
        .unwrap();
        dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            taxi,
            &input("retain", None, Some("经评估确需保留")),
        )
        .unwrap();
        dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            car,
            &input("cancel", None, None),
        )
        .unwrap();

        // A newer file: one item dropped, one changed, one unchanged, one new.
        let mut v2 = v1.clone();
        v2.remove(1);
        v2[1].cycle_months = Some(24);
        v2.push(inspection(
            "新增年检",
            Some(12),
            vec![],
            Disposition::Retain,
        ));
        submit(&mut conn, s.round, s.departments[0], b"v2", &v2).unwrap();
        check(&mut conn, s.round, b, "newer file");

        // The dropped item listed again, and the other department drops the shared one.
        submit(&mut conn, s.round, s.departments[0], b"v3", &v1).unwrap();
        check(&mut conn, s.round, b, "item listed again");
        submit(&mut conn, s.round, s.departments[1], b"other2", &other[1..]).unwrap();
        check(&mut conn, s.round, b, "other department drops one");
        // The city department lists the same item as the province's first (R09 across levels).
        submit(&mut conn, s.round, s.departments[2], b"city", &v1[..1]).unwrap();
        check(&mut conn, s.round, b, "city department");
        // A third department on a shared item: the R09 messages of the other two rewritten
        // where they stand.
        let mut other3 = other[1..].to_vec();
        other3.push(v1[0].clone());
        submit(&mut conn, s.round, s.departments[1], b"other3", &other3).unwrap();
        check(&mut conn, s.round, b, "third department on a shared item");
        // One of the three drops it for the item the office decided to cancel elsewhere (R09
        // stays silent on a cancelled item), then drops that too.
        let cancelled = v1
            .iter()
            .find(|i| i.name == "机动车安全技术检验")
            .unwrap()
            .clone();
        submit(&mut conn, s.round, s.departments[2], b"city2", &[cancelled]).unwrap();
        check(&mut conn, s.round, b, "one of three drops the shared item");
        submit(&mut conn, s.round, s.departments[2], b"city3", &v1[1..2]).unwrap();
        check(&mut conn, s.round, b, "and drops the cancelled one");
    }
}

/// The ids of the stored findings of an item.
fn finding_ids(conn: &mut DbConnection, item: i64) -> Vec<i64> {
    findings::table
        .filter(findings::item_id.eq(item))
        .order(findings::id)
        .select(findings::id)
        .load(conn)
        .unwrap()
}

#[test]
fn a_recompute_writes_only_the_items_whose_findings_changed() {
    use nianjian::service::findings::{self as fnd, Selection};
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        submit(&mut conn, s.round, s.departments[0], b"v1", &first_batch()).unwrap();
        let road = item_id(&mut conn, "道路运输经营许可证年度审验");
        let other: i64 = items::table
            .filter(items::round_id.eq(s.round))
            .filter(items::id.ne(road))
            .select(items::id)
            .first(&mut conn)
            .unwrap();
        let (road_before, other_before) =
            (finding_ids(&mut conn, road), finding_ids(&mut conn, other));
        assert!(!road_before.is_empty(), "{}", t.backend);

        // Nothing changed: nothing is written again.
        fnd::recompute(&mut conn, &Selection::Round(s.round)).unwrap();
        assert_eq!(finding_ids(&mut conn, road), road_before, "{}", t.backend);
        assert_eq!(finding_ids(&mut conn, other), other_before, "{}", t.backend);

        // A decision changes one item's findings: only its rows are replaced.
        dec::decide(
            &mut conn,
            &Actor::cli(),
            s.round,
            road,
            &input("extend_cycle", Some(36), None),
        )
        .unwrap();
        fnd::recompute(&mut conn, &Selection::Round(s.round)).unwrap();
        assert_ne!(finding_ids(&mut conn, road), road_before, "{}", t.backend);
        assert_eq!(finding_ids(&mut conn, other), other_before, "{}", t.backend);
    }
}

/// An import writes its rows a chunk at a time (2,048 rows): a file of several chunks, then a
/// newer one that drops, changes, keeps and adds items across the chunks, stores each item with
/// its own bases and the findings a full recompute gives.
#[test]
fn an_import_of_several_chunks_links_every_row_and_finding_to_its_item() {
    use nianjian::service::findings::{self as fnd, Selection};
    let numbered = |n: usize| {
        let cycle = [Some(12), Some(24), None, Some(6)][n % 4];
        let bases = if n.is_multiple_of(3) {
            vec![]
        } else {
            vec![basis(
                BasisLevel::LocalRegulation,
                &format!("山东省第{n}号条例"),
                Some("第一条"),
            )]
        };
        inspection(&format!("第{n}号年检"), cycle, bases, Disposition::Retain)
    };
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        let b = t.backend;
        let check = |conn: &mut DbConnection, step: &str, want: usize| {
            let all: Vec<(String, i64, bool)> = items::table
                .select((items::name, items::id, items::withdrawn))
                .load(conn)
                .unwrap();
            let live = all.iter().filter(|(_, _, withdrawn)| !withdrawn).count();
            assert_eq!(live, want, "{b} {step}");
            // Each item's basis names the item's own number (a withdrawn item keeps its own).
            let cited: Vec<(i64, String)> = legal_bases::table
                .select((legal_bases::item_id, legal_bases::title))
                .load(conn)
                .unwrap();
            let names: std::collections::HashMap<i64, String> =
                all.into_iter().map(|(name, id, _)| (id, name)).collect();
            for (item, title) in &cited {
                let name = names
                    .get(item)
                    .unwrap_or_else(|| panic!("{b} {step}: {title}"));
                let number = name.trim_start_matches('第').trim_end_matches("号年检");
                assert_eq!(title, &format!("山东省第{number}号条例"), "{b} {step}");
            }
            let stored = findings_snapshot(conn);
            assert_open_severities(conn, &format!("{b} {step}"));
            fnd::recompute(conn, &Selection::Round(s.round)).unwrap();
            assert!(!stored.is_empty(), "{b} {step}");
            assert_eq!(stored, findings_snapshot(conn), "{b} {step}");
        };

        let v1: Vec<ItemDraft> = (0..5_000).map(numbered).collect();
        submit(&mut conn, s.round, s.departments[0], b"v1", &v1).unwrap();
        check(&mut conn, "first file", 5_000);

        // Every seventh dropped, every fifth's cycle changed, 1,500 new ones in between.
        let mut v2 = Vec::new();
        for (n, draft) in v1.iter().enumerate() {
            if n.is_multiple_of(7) {
                continue;
            }
            let mut draft = draft.clone();
            if n.is_multiple_of(5) {
                draft.cycle_months = Some(36);
            }
            v2.push(draft);
            if n % 3 == 1 {
                v2.push(numbered(10_000 + n));
            }
        }
        let want = v2.len();
        let outcome = submit(&mut conn, s.round, s.departments[0], b"v2", &v2).unwrap();
        let CommitOutcome::Stored {
            added,
            removed,
            changed,
            ..
        } = outcome
        else {
            panic!("{b}: stored");
        };
        assert_eq!(
            (added.len(), removed.len()),
            (want - (5_000 - 715), 715),
            "{b}"
        );
        assert_eq!(
            changed.len(),
            (0..5_000_usize)
                .filter(|n| n.is_multiple_of(5) && !n.is_multiple_of(7))
                .count()
        );
        check(&mut conn, "newer file", want);
    }
}

/// The migration that moved messages into `finding_messages`, per backend: (down, up).
fn finding_messages_migration(backend: &str) -> (&'static str, &'static str) {
    match backend {
        "sqlite" => (
            include_str!("../migrations/sqlite/2026-11-28-000300_finding_messages/down.sql"),
            include_str!("../migrations/sqlite/2026-11-28-000300_finding_messages/up.sql"),
        ),
        _ => (
            include_str!("../migrations/postgres/2026-11-28-000300_finding_messages/down.sql"),
            include_str!("../migrations/postgres/2026-11-28-000300_finding_messages/up.sql"),
        ),
    }
}

#[test]
fn findings_share_their_messages_and_the_migration_carries_them_over() {
    for t in TestDb::all() {
        let mut conn = t.db.conn().unwrap();
        let s = seed::province(&mut conn);
        // Three kept inspections of a year, none converted: R03 and R04 say the same words of
        // each, so two messages serve six findings. Each department names its own (no R09).
        let same = |department: &str| -> Vec<ItemDraft> {
            (1..=3)
                .map(|n| {
                    inspection(
                        &format!("{department}第{n}类证照年度审验"),
                        Some(12),
                        vec![basis(BasisLevel::AdminRegulation, ROAD, Some("第六十七条"))],
                        Disposition::Retain,
                    )
                })
                .collect()
        };
        submit(&mut conn, s.round, s.departments[0], b"one", &same("甲")).unwrap();
        let before = findings_snapshot(&mut conn);
        let codes: Vec<&str> = before.iter().map(|f| f.1.as_str()).collect();
        assert_eq!(
            codes,
            ["R03", "R04", "R03", "R04", "R03", "R04"],
            "{}",
            t.backend
        );
        assert_eq!(
            count_rows!(&mut conn, finding_messages::table),
            2,
            "{}",
            t.backend
        );
        // Another department's file with the same words adds no message.
        submit(&mut conn, s.round, s.departments[1], b"two", &same("乙")).unwrap();
        assert_eq!(count_rows!(&mut conn, findings::table), 12, "{}", t.backend);
        assert_eq!(
            count_rows!(&mut conn, finding_messages::table),
            2,
            "{}",
            t.backend
        );
        let before = findings_snapshot(&mut conn);

        // Back to messages in each finding, and forward again: every finding keeps its words.
        let (down, up) = finding_messages_migration(t.backend);
        conn.batch_execute(down).unwrap();
        let inline: Vec<(i64, String, String, String, String, bool)> = diesel::sql_query(
            "SELECT item_id, code, severity, message_zh, message_en, resolved FROM findings \
             ORDER BY item_id, code",
        )
        .load::<InlineFinding>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|f| {
            (
                f.item_id,
                f.code,
                f.severity,
                f.message_zh,
                f.message_en,
                f.resolved,
            )
        })
        .collect();
        assert_eq!(inline, before, "{}: down", t.backend);
        conn.batch_execute(up).unwrap();
        assert_eq!(findings_snapshot(&mut conn), before, "{}: up", t.backend);
        assert_eq!(
            count_rows!(&mut conn, finding_messages::table),
            2,
            "{}",
            t.backend
        );
        // PostgreSQL gives the carried-over messages the digest the program computes, so new
        // findings share them; SQLite has no SHA-256 and leaves them without.
        let digests: Vec<(Option<String>, String, String)> = finding_messages::table
            .select((
                finding_messages::digest,
                finding_messages::message_zh,
                finding_messages::message_en,
            ))
            .load(&mut conn)
            .unwrap();
        for (digest, zh, en) in &digests {
            let expected =
                (t.backend != "sqlite").then(|| nianjian::db::items::message_digest(zh, en));
            assert_eq!(digest, &expected, "{}: {zh}", t.backend);
        }
        // The third department's file: on PostgreSQL the same two messages, on SQLite two new.
        submit(&mut conn, s.round, s.departments[2], b"three", &same("丙")).unwrap();
        let expected = if t.backend == "sqlite" { 4 } else { 2 };
        assert_eq!(
            count_rows!(&mut conn, finding_messages::table),
            expected,
            "{}",
            t.backend
        );
        assert_eq!(findings_snapshot(&mut conn).len(), 18, "{}", t.backend);
        assert_open_severities(&mut conn, t.backend);
    }
}

#[derive(QueryableByName)]
struct InlineFinding {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    item_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    code: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    severity: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    message_zh: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    message_en: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    resolved: bool,
}
