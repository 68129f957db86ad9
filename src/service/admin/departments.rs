//! Departments of a region with their contacts: added, edited, imported from a list (all or
//! nothing, every bad row named).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::table::{self, Column, Table};
use super::{AdminError, Refusal, RowProblem, clean_code, optional_text, quote, required_text};
use crate::db::audit::{self, Actor, Change};
use crate::db::departments::{self, Department, DepartmentRecord};
use crate::db::regions::{self, Region};
use crate::db::scope::Scope;
use crate::db::{DbConnection, write_transaction};
use crate::sheets::guard::Limits;

const CODE: (&str, &str) = ("部门代码", "the department code");
const NAME: (&str, &str) = ("部门全称", "the full name");
const SHORT: (&str, &str) = ("简称", "the short name");
const REGION: (&str, &str) = ("所属区划代码", "the region code");
const PERSON: (&str, &str) = ("联系人", "the contact person");
const PHONE: (&str, &str) = ("联系电话", "the contact phone");
const EMAIL: (&str, &str) = ("电子邮箱", "the e-mail address");

/// A department as an admin enters it; `region` is the region's code.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DepartmentInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub short_name: Option<String>,
    pub region: String,
    #[serde(default)]
    pub contact_person: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
}

/// A department input that passed every check that needs no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedDepartment {
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub region: String,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

/// Whether a phone number is plausible: digits, dashes, spaces and a leading `+`, with 5 to 20
/// digits (`0531-86912345`, `+86 531 8691 2345`, `12345`).
pub fn valid_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (5..=20).contains(&digits)
        && s.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '-' || c == ' ' || (c == '+' && i == 0))
}

/// Whether an e-mail address has the shape `local@domain.tld` (ASCII; no spaces).
pub fn valid_email(s: &str) -> bool {
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// The checks of a department on its own.
pub fn check_shape(input: &DepartmentInput) -> Result<CheckedDepartment, Refusal> {
    let code = clean_code(&input.code);
    if code.is_empty() {
        return Err(Refusal::invalid(
            "required",
            Some("code"),
            format!("请填写{}", CODE.0),
            format!("{} is required", CODE.1),
        ));
    }
    if code.chars().count() > 64
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(Refusal::invalid(
            "bad_department_code",
            Some("code"),
            format!(
                "部门代码“{}”应为 1 到 64 个字母、数字、“-”“_”或“.”",
                quote(&code)
            ),
            format!(
                "the department code “{}” must be 1 to 64 letters, digits, '-', '_' or '.'",
                quote(&code)
            ),
        ));
    }
    let name = required_text("name", NAME, &input.name, 100)?;
    let short_name = optional_text("short_name", SHORT, input.short_name.as_deref(), 50)?;
    let region = clean_code(&input.region);
    if region.is_empty() {
        return Err(Refusal::invalid(
            "required",
            Some("region"),
            format!("请填写{}", REGION.0),
            format!("{} is required", REGION.1),
        ));
    }
    let contact_person = optional_text(
        "contact_person",
        PERSON,
        input.contact_person.as_deref(),
        50,
    )?;
    let contact_phone = optional_text("contact_phone", PHONE, input.contact_phone.as_deref(), 40)?;
    if let Some(phone) = &contact_phone
        && !valid_phone(phone)
    {
        return Err(Refusal::invalid(
            "bad_phone",
            Some("contact_phone"),
            format!(
                "联系电话“{}”无效：只能包含数字、“-”、空格和开头的“+”，5 到 20 位数字",
                quote(phone)
            ),
            format!(
                "the phone number “{}” is not valid: digits, dashes, spaces and a leading +, 5 to 20 digits",
                quote(phone)
            ),
        ));
    }
    let contact_email = optional_text("contact_email", EMAIL, input.contact_email.as_deref(), 254)?;
    if let Some(email) = &contact_email
        && !valid_email(email)
    {
        return Err(Refusal::invalid(
            "bad_email",
            Some("contact_email"),
            format!(
                "电子邮箱“{}”格式不正确，应形如 name@example.gov.cn",
                quote(email)
            ),
            format!(
                "the e-mail address “{}” is not valid: it should look like name@example.gov.cn",
                quote(email)
            ),
        ));
    }
    Ok(CheckedDepartment {
        code,
        name,
        short_name,
        region,
        contact_person,
        contact_phone,
        contact_email,
    })
}

fn unknown_region(code: &str) -> Refusal {
    Refusal::invalid(
        "unknown_region",
        Some("region"),
        format!("区划代码“{}”不存在，请先添加该区划", quote(code)),
        format!(
            "there is no region with the code “{}”: add it first",
            quote(code)
        ),
    )
}

fn duplicate(code: &str, existing: &Department) -> Refusal {
    Refusal::conflict(
        "duplicate_code",
        Some("code"),
        format!("部门代码“{code}”已被“{}”使用", existing.name),
        format!(
            "the department code “{code}” is taken by “{}”",
            existing.name
        ),
    )
}

pub fn no_department(id: i64) -> Refusal {
    Refusal::not_found(
        "department_not_found",
        format!("未找到部门 {id}"),
        format!("no department {id}"),
    )
}

fn record<'a>(d: &'a CheckedDepartment, region: &Region) -> DepartmentRecord<'a> {
    DepartmentRecord {
        region_id: region.id,
        code: &d.code,
        name: &d.name,
        short_name: d.short_name.as_deref(),
        contact_person: d.contact_person.as_deref(),
        contact_phone: d.contact_phone.as_deref(),
        contact_email: d.contact_email.as_deref(),
    }
}

/// Adds a department. Makes its own transaction.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &DepartmentInput,
) -> Result<Department, AdminError> {
    let checked = check_shape(input)?;
    write_transaction(conn, |c| {
        let region = regions::find_by_code(c, &checked.region)?
            .ok_or_else(|| unknown_region(&checked.region))?;
        if let Some(existing) = departments::find_by_code(c, &Scope::All, &checked.code)? {
            return Err(duplicate(&checked.code, &existing).into());
        }
        let department = departments::insert_record(c, &record(&checked, &region))?;
        audit::record(
            c,
            actor,
            Change {
                action: "department.create",
                entity: "department",
                entity_id: Some(department.id.to_string()),
                before: None,
                after: Some(serde_json::json!(department)),
            },
        )?;
        Ok(department)
    })
}

/// Replaces a department's fields (code, names, region, contacts). Makes its own transaction.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    input: &DepartmentInput,
) -> Result<Department, AdminError> {
    let checked = check_shape(input)?;
    write_transaction(conn, |c| {
        let before = departments::find(c, &Scope::All, id)?.ok_or_else(|| no_department(id))?;
        let region = regions::find_by_code(c, &checked.region)?
            .ok_or_else(|| unknown_region(&checked.region))?;
        if let Some(existing) = departments::find_by_code(c, &Scope::All, &checked.code)?
            && existing.id != id
        {
            return Err(duplicate(&checked.code, &existing).into());
        }
        let after = departments::update_record(c, id, &record(&checked, &region))?;
        if after != before {
            audit::record(
                c,
                actor,
                Change {
                    action: "department.update",
                    entity: "department",
                    entity_id: Some(id.to_string()),
                    before: Some(serde_json::json!(before)),
                    after: Some(serde_json::json!(after)),
                },
            )?;
        }
        Ok(after)
    })
}

/// A department with its region, for lists.
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentListing {
    #[serde(flatten)]
    pub department: Department,
    pub region_code: String,
    pub region_name: String,
}

/// Every department by code, with its region.
pub fn list(conn: &mut DbConnection) -> Result<Vec<DepartmentListing>, AdminError> {
    let regions: HashMap<i64, Region> = regions::list(conn)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(departments::list(conn, &Scope::All)?
        .into_iter()
        .map(|d| {
            let (region_code, region_name) = regions
                .get(&d.region_id)
                .map(|r| (r.code.clone(), r.name.clone()))
                .unwrap_or_default();
            DepartmentListing {
                department: d,
                region_code,
                region_name,
            }
        })
        .collect())
}

/// The columns of a department list.
pub const COLUMNS: &[Column] = &[
    Column {
        key: "code",
        names: &["部门代码", "单位代码", "代码", "code", "department_code"],
        required: true,
    },
    Column {
        key: "name",
        names: &["部门全称", "部门名称", "单位名称", "全称", "名称", "name"],
        required: true,
    },
    Column {
        key: "short_name",
        names: &["简称", "部门简称", "short_name"],
        required: false,
    },
    Column {
        key: "region",
        names: &[
            "所属区划代码",
            "区划代码",
            "所属区划",
            "行政区划代码",
            "region",
            "region_code",
        ],
        required: true,
    },
    Column {
        key: "contact_person",
        names: &["联系人", "contact_person", "contact"],
        required: false,
    },
    Column {
        key: "contact_phone",
        names: &["联系电话", "电话", "联系方式", "contact_phone", "phone"],
        required: false,
    },
    Column {
        key: "contact_email",
        names: &[
            "电子邮箱",
            "邮箱",
            "电子邮件",
            "contact_email",
            "email",
            "e-mail",
        ],
        required: false,
    },
];

pub use super::table::ImportOutcome;

/// Reads a department list and adds every new department in it, or none: every bad row is
/// named. A row identical to an existing department is left alone; one that differs is an error.
pub fn import(
    conn: &mut DbConnection,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportOutcome, AdminError> {
    let table = table::read_table(file_name, bytes, COLUMNS, &Limits::default())?;
    write_transaction(conn, |c| import_table(c, actor, &table, dry_run))
}

fn import_table(
    conn: &mut DbConnection,
    actor: &Actor,
    table: &Table,
    dry_run: bool,
) -> Result<ImportOutcome, AdminError> {
    if table.records.is_empty() {
        return Err(Refusal::invalid(
            "empty_list",
            Some("file"),
            "表中没有部门数据行",
            "the list has no rows of departments",
        )
        .into());
    }
    let regions: HashMap<String, Region> = regions::list(conn)?
        .into_iter()
        .map(|r| (r.code.clone(), r))
        .collect();
    let existing: HashMap<String, Department> = departments::list(conn, &Scope::All)?
        .into_iter()
        .map(|d| (d.code.clone(), d))
        .collect();
    let mut problems = Vec::new();
    let mut rows: Vec<(CheckedDepartment, &Region)> = Vec::new();
    let mut first_row: HashMap<String, u32> = HashMap::new();
    let mut unchanged = 0;
    for rec in &table.records {
        let get = |k: &str| rec.get(k).map(str::to_string);
        let input = DepartmentInput {
            code: get("code").unwrap_or_default(),
            name: get("name").unwrap_or_default(),
            short_name: get("short_name"),
            region: get("region").unwrap_or_default(),
            contact_person: get("contact_person"),
            contact_phone: get("contact_phone"),
            contact_email: get("contact_email"),
        };
        let checked = match check_shape(&input) {
            Ok(c) => c,
            Err(r) => {
                problems.push(RowProblem::of(rec.row, r));
                continue;
            }
        };
        if let Some(first) = first_row.get(&checked.code) {
            problems.push(RowProblem::of(
                rec.row,
                Refusal::conflict(
                    "duplicate_in_file",
                    Some("code"),
                    format!("部门代码“{}”与第 {first} 行重复", checked.code),
                    format!(
                        "the department code “{}” is already on row {first}",
                        checked.code
                    ),
                ),
            ));
            continue;
        }
        first_row.insert(checked.code.clone(), rec.row);
        let Some(region) = regions.get(&checked.region) else {
            problems.push(RowProblem::of(rec.row, unknown_region(&checked.region)));
            continue;
        };
        if let Some(found) = existing.get(&checked.code) {
            let wanted = record(&checked, region);
            if found.region_id == wanted.region_id
                && found.name == wanted.name
                && found.short_name.as_deref() == wanted.short_name
                && found.contact_person.as_deref() == wanted.contact_person
                && found.contact_phone.as_deref() == wanted.contact_phone
                && found.contact_email.as_deref() == wanted.contact_email
            {
                unchanged += 1;
            } else {
                problems.push(RowProblem::of(
                    rec.row,
                    Refusal::conflict(
                        "exists_differently",
                        Some("code"),
                        format!(
                            "部门代码“{}”已存在（{}），与本行内容不同；请在部门页面修改",
                            checked.code, found.name
                        ),
                        format!(
                            "the department code “{}” exists ({}) and differs from this row: edit it on the departments page",
                            checked.code, found.name
                        ),
                    ),
                ));
            }
            continue;
        }
        rows.push((checked, region));
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.row);
        return Err(AdminError::Rows(problems));
    }
    if !dry_run {
        for (d, region) in &rows {
            departments::insert_record(conn, &record(d, region))?;
        }
    }
    let created = rows.iter().map(|(d, _)| d.code.clone()).collect();
    let outcome = ImportOutcome::of(table, created, unchanged, dry_run);
    if !dry_run && !outcome.created.is_empty() {
        audit::record(
            conn,
            actor,
            Change {
                action: "department.import",
                entity: "department",
                entity_id: None,
                before: None,
                after: Some(serde_json::json!(outcome)),
            },
        )?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> DepartmentInput {
        DepartmentInput {
            code: "JT".into(),
            name: "济南市交通运输局".into(),
            short_name: Some("市交通局".into()),
            region: "370100".into(),
            contact_person: Some("张三".into()),
            contact_phone: Some("0531-86912345".into()),
            contact_email: Some("jt@jinan.gov.cn".into()),
        }
    }

    #[test]
    fn phones_and_emails() {
        for ok in ["0531-86912345", "+86 531 8691 2345", "12345", "13800000000"] {
            assert!(valid_phone(ok), "{ok}");
        }
        for bad in ["1234", "0531-8691234x", "86+531", "电话", "(0531)86912345"] {
            assert!(!valid_phone(bad), "{bad}");
        }
        for ok in ["jt@jinan.gov.cn", "a.b+c@example.com", "x@y.cn"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "jt",
            "jt@",
            "@jinan.gov.cn",
            "jt@jinan",
            "jt@@jinan.gov.cn",
            "j t@jinan.gov.cn",
            "jt@-jinan.gov.cn",
            "jt@jinan.gov.c",
            "jt..x@jinan.gov.cn",
            "张三@jinan.gov.cn",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn a_department_is_checked_field_by_field() {
        let ok = check_shape(&input()).unwrap();
        assert_eq!(ok.code, "JT");
        let field = |f: fn(&mut DepartmentInput)| {
            let mut i = input();
            f(&mut i);
            let e = check_shape(&i).unwrap_err();
            (e.code, e.field)
        };
        assert_eq!(field(|i| i.code = " ".into()), ("required", Some("code")));
        assert_eq!(
            field(|i| i.code = "交通".into()),
            ("bad_department_code", Some("code"))
        );
        assert_eq!(field(|i| i.name = "".into()), ("required", Some("name")));
        assert_eq!(
            field(|i| i.region = "".into()),
            ("required", Some("region"))
        );
        assert_eq!(
            field(|i| i.contact_phone = Some("call me".into())),
            ("bad_phone", Some("contact_phone"))
        );
        assert_eq!(
            field(|i| i.contact_email = Some("jt-at-jinan".into())),
            ("bad_email", Some("contact_email"))
        );
        // Blank contacts are simply absent.
        let mut i = input();
        i.contact_email = Some(" ".into());
        assert_eq!(check_shape(&i).unwrap().contact_email, None);
    }
}
