//! Rows every storage test needs: a province, departments, a round; and items as departments
//! state them, written through the import service.
#![allow(dead_code)]

use diesel::prelude::*;
use nianjian::db::schema::{departments, regions, rounds};
use nianjian::db::{DbConnection, now};
use nianjian::domain::{BasisLevel, Disposition, ItemDraft, Kind, LegalBasis, TiedTo};

pub struct Seeded {
    pub region: i64,
    pub city: i64,
    /// 交通运输厅, 公安厅 (province), 济南市交通运输局 (city).
    pub departments: Vec<i64>,
    pub round: i64,
}

pub fn region(
    conn: &mut DbConnection,
    code: &str,
    name: &str,
    level: &str,
    parent: Option<i64>,
) -> i64 {
    diesel::insert_into(regions::table)
        .values((
            regions::code.eq(code),
            regions::name.eq(name),
            regions::level.eq(level),
            regions::parent_id.eq(parent),
            regions::created_at.eq(now()),
        ))
        .returning(regions::id)
        .get_result(conn)
        .expect("region")
}

pub fn department(conn: &mut DbConnection, region: i64, code: &str, name: &str) -> i64 {
    diesel::insert_into(departments::table)
        .values((
            departments::region_id.eq(region),
            departments::code.eq(code),
            departments::name.eq(name),
            departments::created_at.eq(now()),
        ))
        .returning(departments::id)
        .get_result(conn)
        .expect("department")
}

pub fn round(conn: &mut DbConnection, region: i64, name: &str) -> i64 {
    diesel::insert_into(rounds::table)
        .values((
            rounds::region_id.eq(region),
            rounds::name.eq(name),
            rounds::created_at.eq(now()),
        ))
        .returning(rounds::id)
        .get_result(conn)
        .expect("round")
}

pub fn province(conn: &mut DbConnection) -> Seeded {
    let region = region(conn, "370000", "山东省", "province", None);
    let city = region_child(conn, region);
    let departments = vec![
        department(conn, region, "SD-JT", "山东省交通运输厅"),
        department(conn, region, "SD-GA", "山东省公安厅"),
        department(conn, city, "JN-JT", "济南市交通运输局"),
    ];
    let round = round(conn, region, "2026年年检和指定培训清理");
    Seeded {
        region,
        city,
        departments,
        round,
    }
}

fn region_child(conn: &mut DbConnection, parent: i64) -> i64 {
    region(conn, "370100", "济南市", "city", Some(parent))
}

pub fn basis(level: BasisLevel, title: &str, article: Option<&str>) -> LegalBasis {
    LegalBasis {
        level: Some(level),
        title: title.to_string(),
        article: article.map(str::to_string),
        issuer: None,
        level_inferred: false,
    }
}

/// An inspection as a department states it.
pub fn inspection(
    name: &str,
    cycle: Option<u32>,
    bases: Vec<LegalBasis>,
    proposed: Disposition,
) -> ItemDraft {
    ItemDraft {
        kind: Some(Kind::Inspection),
        name: name.to_string(),
        department: "山东省交通运输厅".to_string(),
        licence: Some(format!("{name}证")),
        cycle_months: cycle,
        cycle_text: cycle.map(|c| format!("{c}个月")),
        annual_report: Some(false),
        legal_bases: bases,
        proposed: Some(proposed),
        ..ItemDraft::default()
    }
}

pub fn training(name: &str, bases: Vec<LegalBasis>, proposed: Disposition) -> ItemDraft {
    ItemDraft {
        kind: Some(Kind::Training),
        name: name.to_string(),
        department: "山东省交通运输厅".to_string(),
        tied_to: Some(TiedTo::Issuance),
        legal_bases: bases,
        proposed: Some(proposed),
        fee: Some("免费".to_string()),
        provider_designated: Some(false),
        ..ItemDraft::default()
    }
}

/// Stores `drafts` as one department's submission of `file_name` through the import service
/// (rows from 4 of a 年检事项 sheet, as under a title and a header).
pub fn submit(
    conn: &mut DbConnection,
    round: i64,
    department: i64,
    file_name: &str,
    bytes: &[u8],
    drafts: &[ItemDraft],
) {
    use nianjian::db::audit::Actor;
    use nianjian::service::import::{self, StatedItem, SubmissionInput};
    let items = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| StatedItem {
            sheet: "年检事项",
            row: 4 + i as u32,
            draft: d,
        })
        .collect();
    import::commit(
        conn,
        &Actor::cli(),
        SubmissionInput {
            round_id: round,
            department_id: department,
            file_name,
            format: "xlsx",
            bytes,
            report_json: "{}".into(),
            items,
            error_count: 0,
            uploaded_by: None,
        },
    )
    .expect("the department's items are stored");
}
