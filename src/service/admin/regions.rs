//! Regions (行政区划) by GB/T 2260 code: the hierarchy province → city → county → township, each
//! under a parent one level up whose code its own code extends; added one by one or imported
//! from a list (all or nothing), renamed, listed as a tree.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::table::{self, Column, Table};
use super::{AdminError, Refusal, RowProblem, clean_code, quote, required_text};
use crate::db::audit::{self, Actor, Change};
use crate::db::regions::{self, NewRegion, Region};
use crate::db::{DbConnection, write_transaction};
use crate::domain::Lang;
use crate::sheets::guard::Limits;

/// The level of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    County,
    Township,
}

impl Level {
    pub const ALL: &'static [Level] =
        &[Level::Province, Level::City, Level::County, Level::Township];

    /// The stored code (`regions_level_check`).
    pub fn code(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Level::Province => "省级",
            Level::City => "市级",
            Level::County => "县级",
            Level::Township => "乡级",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
        }
    }
    pub fn label(self, lang: Lang) -> &'static str {
        lang.pick(self.zh(), self.en())
    }
    pub fn from_code(s: &str) -> Option<Level> {
        Level::ALL.iter().copied().find(|l| l.code() == s)
    }
    /// The level as people write it: the code, or 省/省级/市/地级/县/区/乡/镇/街道 and the like.
    pub fn parse(s: &str) -> Option<Level> {
        let t: String = crate::domain::text::clean(s)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        if let Some(l) = Level::from_code(&t) {
            return Some(l);
        }
        match t.as_str() {
            "省" | "省级" | "省份" | "自治区" | "直辖市" | "1" => Some(Level::Province),
            "市" | "市级" | "地级" | "地级市" | "地市" | "地市级" | "州" | "盟" | "prefecture"
            | "2" => Some(Level::City),
            "县" | "县级" | "区" | "县区" | "区县" | "县级市" | "旗" | "3" => {
                Some(Level::County)
            }
            "乡" | "乡级" | "镇" | "乡镇" | "街道" | "乡镇街道" | "苏木" | "4" => {
                Some(Level::Township)
            }
            _ => None,
        }
    }
    /// The level one up, `None` for a province.
    pub fn parent(self) -> Option<Level> {
        match self {
            Level::Province => None,
            Level::City => Some(Level::Province),
            Level::County => Some(Level::City),
            Level::Township => Some(Level::County),
        }
    }
    /// The level a well-formed code has: `XX0000` a province, `XXYY00` a city, another six
    /// digits a county, nine or twelve digits a township.
    pub fn of_code(code: &str) -> Option<Level> {
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match code.len() {
            6 if code.ends_with("0000") => Some(Level::Province),
            6 if code.ends_with("00") => Some(Level::City),
            6 => Some(Level::County),
            9 | 12 => Some(Level::Township),
            _ => None,
        }
    }
    /// The code of the parent a code implies (`370102` → `370100`).
    pub fn implied_parent(code: &str) -> Option<String> {
        match Level::of_code(code)? {
            Level::Province => None,
            Level::City => Some(format!("{}0000", &code[..2])),
            Level::County => Some(format!("{}00", &code[..4])),
            Level::Township => Some(code[..6].to_string()),
        }
    }
}

const NAME: (&str, &str) = ("区划名称", "the region name");

/// A region as an admin enters it. `level` may be left out: the code's shape tells it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RegionInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub level: Option<String>,
    /// The parent's code; required below province level.
    #[serde(default)]
    pub parent: Option<String>,
}

/// A region input that passed every check that needs no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRegion {
    pub code: String,
    pub name: String,
    pub level: Level,
    /// The parent code as given (or implied by the code when none was given).
    pub parent: Option<String>,
}

/// The checks of a code, a name and a level on their own.
pub fn check_shape(input: &RegionInput) -> Result<CheckedRegion, Refusal> {
    let code = clean_code(&input.code);
    if code.is_empty() {
        return Err(Refusal::invalid(
            "required",
            Some("code"),
            "请填写区划代码",
            "the region code is required",
        ));
    }
    if !code.bytes().all(|b| b.is_ascii_digit()) || ![6, 9, 12].contains(&code.len()) {
        return Err(Refusal::invalid(
            "bad_region_code",
            Some("code"),
            format!(
                "区划代码“{}”应为 GB/T 2260 的 6 位数字（乡级为 9 位或 12 位）",
                quote(&code)
            ),
            format!(
                "the region code “{}” must be 6 digits of GB/T 2260 (9 or 12 for a township)",
                quote(&code)
            ),
        ));
    }
    let name = required_text("name", NAME, &input.name, 100)?;
    let shape = Level::of_code(&code);
    let level = match input
        .level
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(typed) => Level::parse(typed).ok_or_else(|| {
            Refusal::invalid(
                "bad_level",
                Some("level"),
                format!(
                    "级别“{}”无法识别，应为 province（省级）、city（市级）、county（县级）或 township（乡级）",
                    quote(typed)
                ),
                format!(
                    "unknown level “{}”: use province, city, county or township",
                    quote(typed)
                ),
            )
        })?,
        None => shape.ok_or_else(|| {
            Refusal::invalid(
                "required",
                Some("level"),
                "请填写级别",
                "the level is required",
            )
        })?,
    };
    if shape != Some(level) {
        return Err(Refusal::invalid(
            "level_code_mismatch",
            Some("level"),
            format!(
                "区划代码“{code}”不是{}的代码：省级为 XX0000，市级为 XXYY00，县级为其他 6 位代码，乡级为 9 位或 12 位",
                level.zh()
            ),
            format!(
                "“{code}” is not a {} code: a province is XX0000, a city XXYY00, a county another 6 digits, a township 9 or 12 digits",
                level.en()
            ),
        ));
    }
    let parent = match input
        .parent
        .as_deref()
        .map(clean_code)
        .filter(|s| !s.is_empty())
    {
        Some(p) => Some(p),
        None => Level::implied_parent(&code),
    };
    if level == Level::Province
        && let Some(p) = parent
    {
        return Err(Refusal::invalid(
            "unexpected_parent",
            Some("parent"),
            format!("省级区划没有上级，请去掉上级代码“{}”", quote(&p)),
            format!(
                "a province has no parent: remove the parent code “{}”",
                quote(&p)
            ),
        ));
    }
    Ok(CheckedRegion {
        code,
        name,
        level,
        parent,
    })
}

/// The check of a region against its parent (code and level as found): the parent must be one
/// level up, and the child's code must extend the parent's.
pub fn check_parent(region: &CheckedRegion, parent: Option<(&str, Level)>) -> Result<(), Refusal> {
    let Some(want) = region.level.parent() else {
        return Ok(());
    };
    let Some((parent_code, parent_level)) = parent else {
        let given = region.parent.clone().unwrap_or_default();
        return Err(Refusal::invalid(
            "unknown_parent",
            Some("parent"),
            format!("上级区划“{}”不存在，请先添加上级区划", quote(&given)),
            format!(
                "the parent region “{}” does not exist: add it first",
                quote(&given)
            ),
        ));
    };
    if parent_level != want {
        return Err(Refusal::invalid(
            "parent_level",
            Some("parent"),
            format!(
                "{}区划的上级应为{}区划，而“{parent_code}”是{}",
                region.level.zh(),
                want.zh(),
                parent_level.zh()
            ),
            format!(
                "a {}'s parent must be a {}, and “{parent_code}” is a {}",
                region.level.en(),
                want.en(),
                parent_level.en()
            ),
        ));
    }
    let prefix_len = match parent_level {
        Level::Province => 2,
        Level::City => 4,
        Level::County | Level::Township => 6,
    };
    let agrees = region.code.len() >= prefix_len
        && parent_code.len() >= prefix_len
        && region.code[..prefix_len] == parent_code[..prefix_len];
    if !agrees {
        return Err(Refusal::invalid(
            "code_outside_parent",
            Some("code"),
            format!(
                "区划代码“{}”与上级“{parent_code}”不符：应以 {} 开头",
                region.code,
                &parent_code[..prefix_len.min(parent_code.len())]
            ),
            format!(
                "the code “{}” does not belong under “{parent_code}”: it should start with {}",
                region.code,
                &parent_code[..prefix_len.min(parent_code.len())]
            ),
        ));
    }
    Ok(())
}

fn level_of(region: &Region) -> Option<Level> {
    Level::from_code(&region.level)
}

fn duplicate(code: &str, existing: &Region) -> Refusal {
    Refusal::conflict(
        "duplicate_code",
        Some("code"),
        format!("区划代码“{code}”已存在（{}）", existing.name),
        format!(
            "the region code “{code}” exists already ({})",
            existing.name
        ),
    )
}

/// Adds one region. Call outside a transaction: it makes its own.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &RegionInput,
) -> Result<Region, AdminError> {
    let checked = check_shape(input)?;
    write_transaction(conn, |c| {
        if let Some(existing) = regions::find_by_code(c, &checked.code)? {
            return Err(duplicate(&checked.code, &existing).into());
        }
        let parent = match &checked.parent {
            Some(code) => regions::find_by_code(c, code)?,
            None => None,
        };
        check_parent(
            &checked,
            parent
                .as_ref()
                .and_then(|p| level_of(p).map(|l| (p.code.as_str(), l))),
        )?;
        let region = regions::insert_row(
            c,
            &NewRegion {
                code: &checked.code,
                name: &checked.name,
                level: checked.level.code(),
                parent_id: parent.map(|p| p.id),
            },
        )?;
        audit::record(
            c,
            actor,
            Change {
                action: "region.create",
                entity: "region",
                entity_id: Some(region.id.to_string()),
                before: None,
                after: Some(serde_json::json!(region)),
            },
        )?;
        Ok(region)
    })
}

/// Renames a region (its code, level and parent stay: they are what others refer to).
pub fn rename(
    conn: &mut DbConnection,
    actor: &Actor,
    code: &str,
    name: &str,
) -> Result<Region, AdminError> {
    let name = required_text("name", NAME, name, 100)?;
    write_transaction(conn, |c| {
        let before = regions::find_by_code(c, code)?.ok_or_else(|| no_region(code))?;
        let after = regions::set_name(c, before.id, &name)?;
        if before.name != after.name {
            audit::record(
                c,
                actor,
                Change {
                    action: "region.rename",
                    entity: "region",
                    entity_id: Some(after.id.to_string()),
                    before: Some(serde_json::json!(before)),
                    after: Some(serde_json::json!(after)),
                },
            )?;
        }
        Ok(after)
    })
}

pub fn no_region(code: &str) -> Refusal {
    Refusal::not_found(
        "region_not_found",
        format!("未找到区划代码“{}”", quote(code)),
        format!("no region with the code “{}”", quote(code)),
    )
}

/// A region with its children, for the tree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionNode {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    #[schema(no_recursion)]
    pub children: Vec<RegionNode>,
}

/// Every region as a forest: the roots (regions without a parent) by code, children by code.
pub fn tree(conn: &mut DbConnection) -> Result<Vec<RegionNode>, AdminError> {
    let all = regions::list(conn)?;
    Ok(build_tree(&all))
}

/// The forest of a list of regions (ordered by code).
pub fn build_tree(all: &[Region]) -> Vec<RegionNode> {
    let code_of: HashMap<i64, &str> = all.iter().map(|r| (r.id, r.code.as_str())).collect();
    let mut children: BTreeMap<Option<i64>, Vec<&Region>> = BTreeMap::new();
    for r in all {
        // A parent missing from the list (cannot happen with the foreign key) makes a root.
        let parent = r.parent_id.filter(|p| code_of.contains_key(p));
        children.entry(parent).or_default().push(r);
    }
    fn build(
        r: &Region,
        children: &BTreeMap<Option<i64>, Vec<&Region>>,
        code_of: &HashMap<i64, &str>,
        depth: usize,
    ) -> RegionNode {
        let kids = if depth > 16 {
            Vec::new()
        } else {
            children
                .get(&Some(r.id))
                .map(|v| {
                    v.iter()
                        .map(|k| build(k, children, code_of, depth + 1))
                        .collect()
                })
                .unwrap_or_default()
        };
        RegionNode {
            id: r.id,
            code: r.code.clone(),
            name: r.name.clone(),
            level: r.level.clone(),
            parent_code: r
                .parent_id
                .and_then(|p| code_of.get(&p).map(|c| c.to_string())),
            children: kids,
        }
    }
    children
        .get(&None)
        .map(|roots| {
            roots
                .iter()
                .map(|r| build(r, &children, &code_of, 0))
                .collect()
        })
        .unwrap_or_default()
}

/// The columns of a region list.
pub const COLUMNS: &[Column] = &[
    Column {
        key: "code",
        names: &["代码", "区划代码", "行政区划代码", "code", "region_code"],
        required: true,
    },
    Column {
        key: "name",
        names: &["名称", "区划名称", "行政区划名称", "name"],
        required: true,
    },
    Column {
        key: "level",
        names: &["级别", "层级", "区划级别", "level"],
        required: false,
    },
    Column {
        key: "parent",
        names: &["上级代码", "上级区划代码", "上级", "parent", "parent_code"],
        required: false,
    },
];

pub use super::table::ImportOutcome;

/// Reads a region list and adds every new region in it, or none: every bad row is named.
/// A row identical to an existing region is left alone; one that differs from it is an error.
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
            "表中没有区划数据行",
            "the list has no rows of regions",
        )
        .into());
    }
    let existing: HashMap<String, Region> = regions::list(conn)?
        .into_iter()
        .map(|r| (r.code.clone(), r))
        .collect();
    let code_by_id: HashMap<i64, String> =
        existing.values().map(|r| (r.id, r.code.clone())).collect();
    let mut problems = Vec::new();
    let mut rows: Vec<(u32, CheckedRegion)> = Vec::new();
    let mut first_row: HashMap<String, u32> = HashMap::new();
    let mut unchanged = 0;
    for record in &table.records {
        let input = RegionInput {
            code: record.get("code").unwrap_or("").to_string(),
            name: record.get("name").unwrap_or("").to_string(),
            level: record.get("level").map(str::to_string),
            parent: record.get("parent").map(str::to_string),
        };
        let checked = match check_shape(&input) {
            Ok(c) => c,
            Err(r) => {
                problems.push(RowProblem::of(record.row, r));
                continue;
            }
        };
        if let Some(first) = first_row.get(&checked.code) {
            problems.push(RowProblem::of(
                record.row,
                Refusal::conflict(
                    "duplicate_in_file",
                    Some("code"),
                    format!("区划代码“{}”与第 {first} 行重复", checked.code),
                    format!(
                        "the region code “{}” is already on row {first}",
                        checked.code
                    ),
                ),
            ));
            continue;
        }
        first_row.insert(checked.code.clone(), record.row);
        if let Some(found) = existing.get(&checked.code) {
            let same = found.name == checked.name
                && level_of(found) == Some(checked.level)
                && found.parent_id.and_then(|p| code_by_id.get(&p)) == checked.parent.as_ref();
            if same {
                unchanged += 1;
            } else {
                problems.push(RowProblem::of(
                    record.row,
                    Refusal::conflict(
                        "exists_differently",
                        Some("code"),
                        format!(
                            "区划代码“{}”已存在，名称为“{}”（{}）：与本行不同；请在区划页面修改",
                            checked.code,
                            found.name,
                            level_of(found).map(Level::zh).unwrap_or("")
                        ),
                        format!(
                            "the region code “{}” exists as “{}” ({}), which differs from this row: change it on the regions page",
                            checked.code,
                            found.name,
                            level_of(found).map(Level::en).unwrap_or("")
                        ),
                    ),
                ));
            }
            continue;
        }
        rows.push((record.row, checked));
    }
    // Parents: a region that exists, or a new row of the same file.
    let new_levels: HashMap<String, Level> = rows
        .iter()
        .map(|(_, r)| (r.code.clone(), r.level))
        .collect();
    for (row, region) in &rows {
        let parent = region.parent.as_ref().and_then(|code| {
            existing
                .get(code)
                .and_then(|p| level_of(p).map(|l| (p.code.as_str(), l)))
                .or_else(|| new_levels.get(code).map(|l| (code.as_str(), *l)))
        });
        if let Err(r) = check_parent(region, parent) {
            problems.push(RowProblem::of(*row, r));
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.row);
        return Err(AdminError::Rows(problems));
    }
    // Parents first: by level, then by code.
    rows.sort_by(|a, b| (a.1.level, &a.1.code).cmp(&(b.1.level, &b.1.code)));
    let mut created = Vec::with_capacity(rows.len());
    if !dry_run {
        let mut ids: HashMap<String, i64> =
            existing.values().map(|r| (r.code.clone(), r.id)).collect();
        for (_, region) in &rows {
            let parent_id = region
                .parent
                .as_ref()
                .and_then(|code| ids.get(code).copied());
            let inserted = regions::insert_row(
                conn,
                &NewRegion {
                    code: &region.code,
                    name: &region.name,
                    level: region.level.code(),
                    parent_id,
                },
            )?;
            ids.insert(inserted.code.clone(), inserted.id);
        }
    }
    created.extend(rows.iter().map(|(_, r)| r.code.clone()));
    let outcome = ImportOutcome::of(table, created, unchanged, dry_run);
    if !dry_run && !outcome.created.is_empty() {
        audit::record(
            conn,
            actor,
            Change {
                action: "region.import",
                entity: "region",
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

    fn input(code: &str, name: &str, level: Option<&str>, parent: Option<&str>) -> RegionInput {
        RegionInput {
            code: code.into(),
            name: name.into(),
            level: level.map(str::to_string),
            parent: parent.map(str::to_string),
        }
    }

    #[test]
    fn levels_from_codes_and_words() {
        assert_eq!(Level::of_code("370000"), Some(Level::Province));
        assert_eq!(Level::of_code("370100"), Some(Level::City));
        assert_eq!(Level::of_code("370102"), Some(Level::County));
        assert_eq!(Level::of_code("370102001"), Some(Level::Township));
        assert_eq!(Level::of_code("370102001000"), Some(Level::Township));
        assert_eq!(Level::of_code("37010"), None);
        assert_eq!(Level::of_code("37010x"), None);
        assert_eq!(Level::parse("省级"), Some(Level::Province));
        assert_eq!(Level::parse("地级市"), Some(Level::City));
        assert_eq!(Level::parse(" County "), Some(Level::County));
        assert_eq!(Level::parse("街道"), Some(Level::Township));
        assert_eq!(Level::parse("村"), None);
        assert_eq!(Level::implied_parent("370102").as_deref(), Some("370100"));
        assert_eq!(Level::implied_parent("370100").as_deref(), Some("370000"));
        assert_eq!(
            Level::implied_parent("370102001").as_deref(),
            Some("370102")
        );
        assert_eq!(Level::implied_parent("370000"), None);
    }

    #[test]
    fn shapes_are_checked() {
        let ok = check_shape(&input("370100", "济南市", Some("city"), Some("370000"))).unwrap();
        assert_eq!(ok.level, Level::City);
        assert_eq!(ok.parent.as_deref(), Some("370000"));
        // Level and parent may be left to the code.
        let ok = check_shape(&input("370102", "历下区", None, None)).unwrap();
        assert_eq!(
            (ok.level, ok.parent.as_deref()),
            (Level::County, Some("370100"))
        );
        for (bad, code) in [
            (input("3701", "x", None, None), "bad_region_code"),
            (input("37010A", "x", None, None), "bad_region_code"),
            (input("", "x", None, None), "required"),
            (input("370100", " ", None, None), "required"),
            (
                input("370100", "x", Some("county"), None),
                "level_code_mismatch",
            ),
            (
                input("370000", "x", Some("city"), None),
                "level_code_mismatch",
            ),
            (input("370100", "x", Some("village"), None), "bad_level"),
            (
                input("370000", "x", Some("province"), Some("100000")),
                "unexpected_parent",
            ),
        ] {
            assert_eq!(check_shape(&bad).unwrap_err().code, code, "{bad:?}");
        }
    }

    #[test]
    fn parents_are_one_level_up_and_prefix_the_code() {
        let city = check_shape(&input("370100", "济南市", None, Some("370000"))).unwrap();
        assert!(check_parent(&city, Some(("370000", Level::Province))).is_ok());
        let e = check_parent(&city, None).unwrap_err();
        assert_eq!(e.code, "unknown_parent");
        let e = check_parent(&city, Some(("370000", Level::City))).unwrap_err();
        assert_eq!(e.code, "parent_level");
        let stray = check_shape(&input("370100", "济南市", None, Some("410000"))).unwrap();
        let e = check_parent(&stray, Some(("410000", Level::Province))).unwrap_err();
        assert_eq!(e.code, "code_outside_parent");
        assert!(e.zh.contains("41"), "{}", e.zh);
        let county = check_shape(&input("370102", "历下区", None, Some("370200"))).unwrap();
        assert_eq!(
            check_parent(&county, Some(("370200", Level::City)))
                .unwrap_err()
                .code,
            "code_outside_parent"
        );
        let town = check_shape(&input("370102001", "解放路街道", None, None)).unwrap();
        assert!(check_parent(&town, Some(("370102", Level::County))).is_ok());
        let province = check_shape(&input("370000", "山东省", None, None)).unwrap();
        assert!(check_parent(&province, None).is_ok());
    }

    #[test]
    fn the_tree_nests_children_under_parents() {
        let at = chrono::NaiveDateTime::default();
        let r = |id, code: &str, level: &str, parent| Region {
            id,
            code: code.into(),
            name: code.into(),
            level: level.into(),
            parent_id: parent,
            created_at: at,
        };
        let all = vec![
            r(1, "370000", "province", None),
            r(2, "370100", "city", Some(1)),
            r(4, "370102", "county", Some(2)),
            r(3, "370200", "city", Some(1)),
        ];
        let t = build_tree(&all);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].children.len(), 2);
        assert_eq!(t[0].children[0].children[0].code, "370102");
        assert_eq!(t[0].children[0].parent_code.as_deref(), Some("370000"));
    }
}
