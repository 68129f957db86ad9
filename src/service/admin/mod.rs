//! Administration (DESIGN.md §9, the admin issue): regions by GB/T 2260 code, departments with
//! their contacts, rounds with their deadlines, and users. Each change is validated here, made
//! in one write transaction and recorded in the audit log in that same transaction; a refusal
//! changes nothing and says why in Chinese and English.
//!
//! The web pages, the API and the command line all call these functions.

pub mod departments;
pub mod regions;
pub mod rounds;
pub mod table;
pub mod time;
pub mod users;

use serde::Serialize;

use crate::db::DbError;
use crate::db::users::AccountError;
use crate::domain::Lang;
use crate::domain::text;

/// How a refusal answers over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// The input is wrong (422).
    Invalid,
    /// What the request names does not exist (404).
    NotFound,
    /// It clashes with what exists (409).
    Conflict,
}

/// Why a change was refused: a stable code, the field at fault if one, and the messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub code: &'static str,
    pub field: Option<&'static str>,
    pub zh: String,
    pub en: String,
}

impl Refusal {
    pub fn invalid(
        code: &'static str,
        field: Option<&'static str>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Refusal {
        Refusal {
            kind: RefusalKind::Invalid,
            code,
            field,
            zh: zh.into(),
            en: en.into(),
        }
    }
    pub fn not_found(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Refusal {
        Refusal {
            kind: RefusalKind::NotFound,
            code,
            field: None,
            zh: zh.into(),
            en: en.into(),
        }
    }
    pub fn conflict(
        code: &'static str,
        field: Option<&'static str>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Refusal {
        Refusal {
            kind: RefusalKind::Conflict,
            code,
            field,
            zh: zh.into(),
            en: en.into(),
        }
    }
    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
    /// One line with both languages, for the command line.
    pub fn line(&self) -> String {
        format!("{} ({})", self.zh, self.en)
    }
}

/// A bad row of an imported list: the 1-based row as the spreadsheet shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub row: u32,
    pub field: Option<&'static str>,
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

impl RowProblem {
    pub fn of(row: u32, r: Refusal) -> RowProblem {
        RowProblem {
            row,
            field: r.field,
            code: r.code,
            zh: r.zh,
            en: r.en,
        }
    }
    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
    pub fn line(&self) -> String {
        format!(
            "第 {} 行 (row {}): {} ({})",
            self.row, self.row, self.zh, self.en
        )
    }
}

/// Why an administrative change did not happen. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{}", .0.line())]
    Refused(Refusal),
    /// An import with bad rows: every one of them, in row order.
    #[error("{} 行有错误，未导入任何内容 ({} bad rows; nothing was imported)", .0.len(), .0.len())]
    Rows(Vec<RowProblem>),
    #[error(transparent)]
    Db(#[from] DbError),
    /// Something that is not the caller's fault and not the database's (password hashing).
    #[error("服务器内部错误 (internal error): {0}")]
    Internal(String),
}

impl From<Refusal> for AdminError {
    fn from(r: Refusal) -> Self {
        AdminError::Refused(r)
    }
}

impl From<diesel::result::Error> for AdminError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            // A concurrent writer took the code between the check and the insert.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AdminError::Refused(Refusal::conflict(
                    "duplicate",
                    Some("code"),
                    "该代码或名称已存在",
                    "the code or name exists already",
                ))
            }
            other => AdminError::Db(DbError::Query(other)),
        }
    }
}

impl From<AccountError> for AdminError {
    fn from(e: AccountError) -> Self {
        let (zh, en) = e.messages();
        let code = e.code();
        match e {
            AccountError::Db(inner) => AdminError::Db(inner),
            AccountError::Hash => AdminError::Internal("password hashing failed".into()),
            AccountError::UsernameTaken => {
                AdminError::Refused(Refusal::conflict(code, Some("username"), zh, en))
            }
            AccountError::NoUser => AdminError::Refused(Refusal::not_found(code, zh, en)),
            AccountError::NoDepartment(_) | AccountError::DepartmentRequired => {
                AdminError::Refused(Refusal::invalid(code, Some("department"), zh, en))
            }
            AccountError::NoRegion(_) | AccountError::RegionRequired => {
                AdminError::Refused(Refusal::invalid(code, Some("region"), zh, en))
            }
            AccountError::BadUsername => {
                AdminError::Refused(Refusal::invalid(code, Some("username"), zh, en))
            }
            AccountError::BadRole(_) => {
                AdminError::Refused(Refusal::invalid(code, Some("role"), zh, en))
            }
            _ => AdminError::Refused(Refusal::invalid(code, None, zh, en)),
        }
    }
}

impl AdminError {
    /// The refusal, if this is one (tests and pages use it).
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            AdminError::Refused(r) => Some(r),
            _ => None,
        }
    }
}

/// A required text field: cleaned (NFKC, spaces collapsed, one line), 1 to `max` characters.
pub fn required_text(
    field: &'static str,
    label: (&str, &str),
    raw: &str,
    max: usize,
) -> Result<String, Refusal> {
    match optional_text(field, label, Some(raw), max)? {
        Some(v) => Ok(v),
        None => Err(Refusal::invalid(
            "required",
            Some(field),
            format!("请填写{}", label.0),
            format!("{} is required", label.1),
        )),
    }
}

/// An optional text field: `None` when blank; else cleaned and at most `max` characters.
pub fn optional_text(
    field: &'static str,
    label: (&str, &str),
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, Refusal> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let cleaned = text::clean(raw).replace('\n', " ");
    if cleaned.is_empty() {
        return Ok(None);
    }
    if cleaned.chars().count() > max {
        return Err(Refusal::invalid(
            "too_long",
            Some(field),
            format!("{}不能超过 {max} 个字符", label.0),
            format!("{} may have at most {max} characters", label.1),
        ));
    }
    Ok(Some(cleaned))
}

/// A code as typed: NFKC (full-width digits become ASCII), every space removed.
pub fn clean_code(raw: &str) -> String {
    text::clean(raw)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// At most 40 characters of what someone typed, to quote it back in a message.
pub fn quote(s: &str) -> String {
    let mut q: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        q.push('…');
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_are_cleaned_and_bounded() {
        let label = ("名称", "the name");
        assert_eq!(
            required_text("name", label, "  济南市\u{3000} ", 10).unwrap(),
            "济南市"
        );
        let e = required_text("name", label, "   ", 10).unwrap_err();
        assert_eq!((e.code, e.field), ("required", Some("name")));
        assert!(e.zh.contains("名称") && e.en.contains("the name"));
        let e = required_text("name", label, &"长".repeat(11), 10).unwrap_err();
        assert_eq!(e.code, "too_long");
        assert_eq!(optional_text("x", label, Some(" "), 5).unwrap(), None);
        assert_eq!(optional_text("x", label, None, 5).unwrap(), None);
    }

    #[test]
    fn codes_lose_spaces_and_width() {
        assert_eq!(clean_code(" ３７０１００ "), "370100");
        assert_eq!(clean_code("37 01 00"), "370100");
    }

    #[test]
    fn a_row_problem_names_its_row_in_both_languages() {
        let p = RowProblem::of(
            7,
            Refusal::invalid(
                "required",
                Some("name"),
                "请填写名称",
                "the name is required",
            ),
        );
        assert_eq!(
            p.line(),
            "第 7 行 (row 7): 请填写名称 (the name is required)"
        );
    }
}
