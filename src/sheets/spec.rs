//! The one table of canonical columns (STYLE lesson 9). The importer maps headers with it, the
//! template writer lays out sheets and dropdowns from it, the annotated workbook and the exports
//! name columns from it. No second list of columns exists anywhere.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::domain::{BasisLevel, Disposition, Kind, Lang, TiedTo};

/// A canonical column: what a header means, whatever words a department used for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Serial,
    Kind,
    Name,
    Department,
    TiedTo,
    Licence,
    LicenceCode,
    Target,
    Bases,
    Levels,
    Cycle,
    AnnualReport,
    Hours,
    Fee,
    FeeBasis,
    Provider,
    ProviderDesignated,
    Proposed,
    ProposedCycle,
    Reason,
    Remarks,
}

impl Field {
    /// Number of fields; `field as usize` indexes arrays of this length.
    pub const COUNT: usize = 21;

    pub fn spec(self) -> &'static ColumnSpec {
        &COLUMNS[self as usize]
    }
}

/// What a column holds, which decides how it is read and which dropdown the template gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// Free text.
    Text,
    /// 年检 / 指定培训.
    Kind,
    /// One or more 依据层级, lined up with 设定依据.
    Levels,
    /// A cycle as people write it (每年一次, 2年, 不定期…).
    Cycle,
    /// 是 / 否.
    YesNo,
    /// 拟处理意见.
    Disposition,
    /// 挂钩环节.
    TiedTo,
    /// A number (学时).
    Number,
}

impl Values {
    /// The dropdown labels of a closed list, `None` for free input.
    pub fn dropdown(self, lang: Lang) -> Option<Vec<&'static str>> {
        match self {
            Values::Kind => Some(Kind::ALL.iter().map(|k| k.label(lang)).collect()),
            Values::Levels => Some(BasisLevel::ALL.iter().map(|l| l.label(lang)).collect()),
            Values::Disposition => Some(Disposition::ALL.iter().map(|d| d.label(lang)).collect()),
            Values::TiedTo => Some(TiedTo::ALL.iter().map(|t| t.label(lang)).collect()),
            Values::YesNo => Some(match lang {
                Lang::Zh => vec!["是", "否"],
                Lang::En => vec!["yes", "no"],
            }),
            Values::Text | Values::Cycle | Values::Number => None,
        }
    }
}

/// Where a column stands in the template sheet of one kind, and its header there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateColumn {
    /// 0-based position in the sheet.
    pub position: u16,
    /// The header without the `*` of required columns.
    pub header: &'static str,
}

/// One canonical column.
#[derive(Debug)]
pub struct ColumnSpec {
    pub field: Field,
    /// Place and header in the 年检事项 sheet, if the column is there.
    pub inspection: Option<TemplateColumn>,
    /// Place and header in the 指定培训 sheet, if the column is there.
    pub training: Option<TemplateColumn>,
    /// The kinds for which a row must have a value.
    pub required_for: &'static [Kind],
    /// Other headers meaning this column: simplified, traditional, English, usual variants.
    /// Compared after [`header_key`], so spaces, `*`, case and a trailing (…) do not matter.
    pub synonyms: &'static [&'static str],
    pub values: Values,
    /// Column width in the template, in characters.
    pub width: f64,
    /// What the column means and how to fill it: Chinese, English.
    pub hint: (&'static str, &'static str),
}

impl ColumnSpec {
    pub fn template(&self, kind: Kind) -> Option<TemplateColumn> {
        match kind {
            Kind::Inspection => self.inspection,
            Kind::Training => self.training,
        }
    }

    pub fn required(&self, kind: Kind) -> bool {
        self.required_for.contains(&kind)
    }

    /// The header the template writes for this kind, with `*` when required.
    pub fn template_header(&self, kind: Kind) -> Option<String> {
        let column = self.template(kind)?;
        Some(if self.required(kind) {
            format!("{}*", column.header)
        } else {
            column.header.to_string()
        })
    }

    /// A name for the column in messages when no header of the file can be quoted.
    pub fn display_name(&self, kind: Option<Kind>) -> &'static str {
        let by_kind = kind.and_then(|k| self.template(k));
        by_kind
            .or(self.inspection)
            .or(self.training)
            .map_or(self.synonyms[0], |c| c.header)
    }

    pub fn hint(&self, lang: Lang) -> &'static str {
        lang.pick(self.hint.0, self.hint.1)
    }
}

const fn at(position: u16, header: &'static str) -> Option<TemplateColumn> {
    Some(TemplateColumn { position, header })
}

const BOTH: &[Kind] = &[Kind::Inspection, Kind::Training];
const INSPECTION: &[Kind] = &[Kind::Inspection];
const TRAINING: &[Kind] = &[Kind::Training];
const NONE: &[Kind] = &[];

/// The canonical columns, in [`Field`] order.
pub static COLUMNS: [ColumnSpec; Field::COUNT] = [
    ColumnSpec {
        field: Field::Serial,
        inspection: at(0, "序号"),
        training: at(0, "序号"),
        required_for: NONE,
        synonyms: &[
            "序号",
            "序",
            "编号",
            "序列号",
            "no",
            "no.",
            "#",
            "serial",
            "seq",
            "序號",
            "編號",
        ],
        values: Values::Number,
        width: 6.0,
        hint: ("可不填，仅便于核对。", "Optional, for your own reference."),
    },
    ColumnSpec {
        field: Field::Kind,
        inspection: None,
        training: None,
        required_for: NONE,
        synonyms: &[
            "事项类型",
            "类型",
            "类别",
            "事项类别",
            "事项种类",
            "kind",
            "type",
            "item type",
            "事項類型",
            "類型",
            "類別",
        ],
        values: Values::Kind,
        width: 12.0,
        hint: (
            "只在把两类事项填在同一张表时需要：年检 或 指定培训。",
            "Only when both kinds share one sheet: 年检 (inspection) or 指定培训 (training).",
        ),
    },
    ColumnSpec {
        field: Field::Name,
        inspection: at(1, "事项名称"),
        training: at(1, "培训名称"),
        required_for: BOTH,
        synonyms: &[
            "事项名称",
            "项目名称",
            "年检事项名称",
            "年检事项",
            "年检项目",
            "年检项目名称",
            "检验事项",
            "检验事项名称",
            "检验项目",
            "检验项目名称",
            "培训名称",
            "培训项目",
            "培训项目名称",
            "培训事项",
            "培训事项名称",
            "指定培训名称",
            "指定培训事项",
            "事项",
            "名称",
            "name",
            "item",
            "item name",
            "事項名稱",
            "項目名稱",
            "年檢事項名稱",
            "年檢事項",
            "培訓名稱",
            "培訓項目",
            "名稱",
        ],
        values: Values::Text,
        width: 32.0,
        hint: (
            "年检或培训的正式名称，如“道路运输经营许可证年度审验”。",
            "The official name of the inspection or training.",
        ),
    },
    ColumnSpec {
        field: Field::Department,
        inspection: at(2, "实施部门"),
        training: at(2, "实施部门"),
        required_for: BOTH,
        synonyms: &[
            "实施部门",
            "实施机关",
            "实施单位",
            "实施主体",
            "主管部门",
            "责任部门",
            "责任单位",
            "部门",
            "单位",
            "部门名称",
            "单位名称",
            "执法部门",
            "department",
            "agency",
            "authority",
            "implementing department",
            "實施部門",
            "實施機關",
            "實施單位",
            "主管部門",
            "部門",
        ],
        values: Values::Text,
        width: 20.0,
        hint: (
            "实施该事项的部门全称。",
            "Full name of the department that runs it.",
        ),
    },
    ColumnSpec {
        field: Field::TiedTo,
        inspection: None,
        training: at(3, "挂钩环节"),
        required_for: TRAINING,
        synonyms: &[
            "挂钩环节",
            "挂钩事项",
            "挂钩情况",
            "关联环节",
            "关联事项",
            "挂钩",
            "与何环节挂钩",
            "是否与发证或年检挂钩",
            "与发证或年检挂钩情况",
            "tied to",
            "tied stage",
            "linked to",
            "掛鉤環節",
            "掛鉤事項",
        ],
        values: Values::TiedTo,
        width: 14.0,
        hint: (
            "培训与哪个环节挂钩：发证、年检，或发证和年检。",
            "What the training is tied to: 发证 (issuance), 年检 (inspection) or both.",
        ),
    },
    ColumnSpec {
        field: Field::Licence,
        inspection: at(3, "涉及证照"),
        training: at(4, "涉及证照"),
        required_for: NONE,
        synonyms: &[
            "涉及证照",
            "涉及证照名称",
            "证照名称",
            "证照",
            "相关证照",
            "涉及的证照",
            "对应证照",
            "证件名称",
            "许可证件",
            "许可证件名称",
            "licence",
            "license",
            "certificate",
            "涉及證照",
            "證照名稱",
            "證照",
        ],
        values: Values::Text,
        width: 24.0,
        hint: (
            "年检或培训所涉及的许可证、证书名称。",
            "The licence or certificate concerned.",
        ),
    },
    ColumnSpec {
        field: Field::LicenceCode,
        inspection: at(4, "证照目录编码"),
        training: None,
        required_for: NONE,
        synonyms: &[
            "证照目录编码",
            "证照编码",
            "证照代码",
            "目录编码",
            "事项编码",
            "许可事项编码",
            "licence code",
            "license code",
            "catalogue code",
            "catalog code",
            "證照目錄編碼",
            "證照編碼",
        ],
        values: Values::Text,
        width: 16.0,
        hint: (
            "证照在行政许可事项目录中的编码，没有可不填。",
            "The code of the licence in the licensing catalogue, if any.",
        ),
    },
    ColumnSpec {
        field: Field::Target,
        inspection: at(5, "检验对象"),
        training: at(5, "培训对象"),
        required_for: NONE,
        synonyms: &[
            "检验对象",
            "年检对象",
            "培训对象",
            "对象",
            "适用对象",
            "管理对象",
            "实施对象",
            "服务对象",
            "target",
            "target group",
            "檢驗對象",
            "年檢對象",
            "培訓對象",
            "對象",
        ],
        values: Values::Text,
        width: 20.0,
        hint: (
            "需要接受年检或培训的单位或人员。",
            "Who must undergo the inspection or training.",
        ),
    },
    ColumnSpec {
        field: Field::Bases,
        inspection: at(6, "设定依据"),
        training: at(6, "设定依据"),
        required_for: NONE,
        synonyms: &[
            "设定依据",
            "法律依据",
            "依据",
            "实施依据",
            "设立依据",
            "政策依据",
            "法定依据",
            "法律法规依据",
            "设定依据及条款",
            "法律法规名称及条款",
            "legal basis",
            "legal bases",
            "basis",
            "設定依據",
            "法律依據",
            "依據",
            "實施依據",
        ],
        values: Values::Text,
        width: 40.0,
        hint: (
            "法律、法规、规章或文件的名称及条款，如“《中华人民共和国道路运输条例》第六十七条”。多个依据用换行或“；”分开。",
            "Title and article of each law, regulation, rule or document. Separate several with line breaks or ；.",
        ),
    },
    ColumnSpec {
        field: Field::Levels,
        inspection: at(7, "依据层级"),
        training: at(7, "依据层级"),
        required_for: NONE,
        synonyms: &[
            "依据层级",
            "依据级别",
            "依据类型",
            "依据效力层级",
            "层级",
            "法律层级",
            "效力层级",
            "效力级别",
            "basis level",
            "level",
            "levels",
            "依據層級",
            "層級",
            "效力層級",
        ],
        values: Values::Levels,
        width: 14.0,
        hint: (
            "与设定依据逐条对应：法律、行政法规、国务院决定、部门规章、地方性法规、地方政府规章、规范性文件。不填则按名称推断。",
            "One per basis, in the same order: 法律, 行政法规, 国务院决定, 部门规章, 地方性法规, 地方政府规章, 规范性文件. Inferred from the title when empty.",
        ),
    },
    ColumnSpec {
        field: Field::Cycle,
        inspection: at(8, "检验周期"),
        training: None,
        required_for: INSPECTION,
        synonyms: &[
            "检验周期",
            "年检周期",
            "检验频次",
            "年检频次",
            "检验频率",
            "年检频率",
            "检查周期",
            "审验周期",
            "周期",
            "频次",
            "cycle",
            "inspection cycle",
            "frequency",
            "檢驗週期",
            "檢驗周期",
            "年檢週期",
            "年檢周期",
            "檢驗頻次",
            "週期",
        ],
        values: Values::Cycle,
        width: 14.0,
        hint: (
            "按实际写法填写，如“每年一次”“2年”“24个月”“每半年”或“不定期”。",
            "As you would write it: 每年一次, 2年, 24个月, 每半年 or 不定期.",
        ),
    },
    ColumnSpec {
        field: Field::AnnualReport,
        inspection: at(9, "是否已改为年度报告公示"),
        training: None,
        required_for: NONE,
        synonyms: &[
            "是否已改为年度报告公示",
            "已改为年度报告公示",
            "是否改为年度报告公示",
            "是否已实行年度报告公示",
            "是否年报公示",
            "年度报告公示",
            "年报公示",
            "annual report",
            "converted to annual report",
            "是否已改為年度報告公示",
            "年度報告公示",
        ],
        values: Values::YesNo,
        width: 12.0,
        hint: ("是 或 否。", "是 (yes) or 否 (no)."),
    },
    ColumnSpec {
        field: Field::Hours,
        inspection: None,
        training: at(8, "学时"),
        required_for: NONE,
        synonyms: &[
            "学时",
            "培训学时",
            "学时数",
            "课时",
            "培训课时",
            "时长",
            "培训时长",
            "hours",
            "training hours",
            "學時",
            "培訓學時",
            "課時",
        ],
        values: Values::Number,
        width: 8.0,
        hint: ("培训学时数，填数字。", "Training hours, a number."),
    },
    ColumnSpec {
        field: Field::Fee,
        inspection: None,
        training: at(9, "收费标准"),
        required_for: NONE,
        synonyms: &[
            "收费标准",
            "收费",
            "收费情况",
            "收费金额",
            "培训费用",
            "培训收费",
            "费用",
            "fee",
            "fees",
            "charge",
            "收費標準",
            "收費",
            "費用",
        ],
        values: Values::Text,
        width: 14.0,
        hint: (
            "每人收费金额，不收费填“不收费”。",
            "Fee per person, or 不收费 when free.",
        ),
    },
    ColumnSpec {
        field: Field::FeeBasis,
        inspection: None,
        training: at(10, "收费依据"),
        required_for: NONE,
        synonyms: &[
            "收费依据",
            "收费文件",
            "收费文件依据",
            "收费批准文件",
            "fee basis",
            "收費依據",
        ],
        values: Values::Text,
        width: 24.0,
        hint: (
            "批准收费的文件名称及文号。",
            "The document that authorises the fee.",
        ),
    },
    ColumnSpec {
        field: Field::Provider,
        inspection: None,
        training: at(11, "培训机构"),
        required_for: NONE,
        synonyms: &[
            "培训机构",
            "培训单位",
            "实施机构",
            "承办机构",
            "培训主体",
            "provider",
            "training provider",
            "培訓機構",
            "培訓單位",
        ],
        values: Values::Text,
        width: 20.0,
        hint: ("承担培训的机构。", "Who gives the training."),
    },
    ColumnSpec {
        field: Field::ProviderDesignated,
        inspection: None,
        training: at(12, "是否指定机构"),
        required_for: NONE,
        synonyms: &[
            "是否指定机构",
            "是否指定培训机构",
            "指定机构",
            "是否指定",
            "designated provider",
            "provider designated",
            "是否指定機構",
            "指定機構",
        ],
        values: Values::YesNo,
        width: 12.0,
        hint: (
            "申请人能否自主选择培训机构：指定的填“是”，可自主选择的填“否”。",
            "是 when applicants must use the named provider, 否 when they may choose.",
        ),
    },
    ColumnSpec {
        field: Field::Proposed,
        inspection: at(10, "拟处理意见"),
        training: at(13, "拟处理意见"),
        required_for: BOTH,
        synonyms: &[
            "拟处理意见",
            "处理意见",
            "处理建议",
            "清理意见",
            "清理建议",
            "拟清理意见",
            "拟处理方式",
            "处理方式",
            "拟处理结果",
            "建议",
            "意见",
            "proposed",
            "proposal",
            "proposed disposition",
            "disposition",
            "擬處理意見",
            "處理意見",
            "處理建議",
            "清理意見",
        ],
        values: Values::Disposition,
        width: 16.0,
        hint: (
            "保留、取消、延长周期、改为年度报告公示，培训还可填“规范”。",
            "保留 retain, 取消 cancel, 延长周期 extend cycle, 改为年度报告公示 annual report, 规范 standardise (trainings).",
        ),
    },
    ColumnSpec {
        field: Field::ProposedCycle,
        inspection: at(11, "拟调整周期"),
        training: None,
        required_for: NONE,
        synonyms: &[
            "拟调整周期",
            "拟调整检验周期",
            "调整后周期",
            "调整后检验周期",
            "建议周期",
            "建议检验周期",
            "拟延长周期",
            "延长后周期",
            "新周期",
            "proposed cycle",
            "擬調整週期",
            "擬調整周期",
            "調整後週期",
        ],
        values: Values::Cycle,
        width: 12.0,
        hint: (
            "拟处理意见为“延长周期”时填写新周期，如“3年”。",
            "The new cycle when proposing 延长周期, e.g. 3年.",
        ),
    },
    ColumnSpec {
        field: Field::Reason,
        inspection: at(12, "理由"),
        training: at(14, "理由"),
        required_for: NONE,
        synonyms: &[
            "理由",
            "原因",
            "理由说明",
            "处理理由",
            "清理理由",
            "说明",
            "reason",
            "rationale",
            "理由說明",
            "說明",
        ],
        values: Values::Text,
        width: 30.0,
        hint: (
            "处理意见的理由；拟保留的请说明必要性。",
            "Why; for items to retain, why they are necessary.",
        ),
    },
    ColumnSpec {
        field: Field::Remarks,
        inspection: at(13, "备注"),
        training: at(15, "备注"),
        required_for: NONE,
        synonyms: &[
            "备注",
            "其他",
            "备注说明",
            "remarks",
            "remark",
            "notes",
            "note",
            "comment",
            "備註",
            "備注",
        ],
        values: Values::Text,
        width: 20.0,
        hint: ("其他需要说明的情况。", "Anything else."),
    },
];

/// The columns of the template sheet of one kind, in order.
pub fn template_columns(kind: Kind) -> Vec<&'static ColumnSpec> {
    let mut columns: Vec<&ColumnSpec> = COLUMNS
        .iter()
        .filter(|c| c.template(kind).is_some())
        .collect();
    columns.sort_by_key(|c| c.template(kind).map_or(u16::MAX, |t| t.position));
    columns
}

/// The template sheet name of a kind.
pub fn sheet_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Inspection => "年检事项",
        Kind::Training => "指定培训",
    }
}

/// Normalises a header for comparison: full-width ASCII to half-width, no whitespace, no `*`
/// (the required mark), ASCII lowercase.
pub fn header_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_whitespace() || c == '*' || c == '※' || c == '\u{200B}' || c == '\u{FEFF}' {
            continue;
        }
        key.push(c.to_ascii_lowercase());
    }
    key
}

fn synonym_map() -> &'static HashMap<String, Field> {
    static MAP: OnceLock<HashMap<String, Field>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map = HashMap::new();
        for column in &COLUMNS {
            let headers = column
                .inspection
                .iter()
                .chain(column.training.iter())
                .map(|t| t.header)
                .chain(column.synonyms.iter().copied());
            for header in headers {
                // The first column to claim a word keeps it.
                map.entry(header_key(header)).or_insert(column.field);
            }
        }
        map
    })
}

/// Understands a header cell, or `None` for a column we do not know.
///
/// A trailing parenthesis is tried both ways: `检验周期（月）` is the cycle column (its unit is
/// [`crate::domain::cycle::BareUnit::from_header`]'s business), `设定依据（法律法规名称及条款）`
/// the basis column.
pub fn match_header(text: &str) -> Option<Field> {
    let key = header_key(text);
    if key.is_empty() {
        return None;
    }
    let map = synonym_map();
    if let Some(&field) = map.get(&key) {
        return Some(field);
    }
    let (base, _) = split_trailing_parenthesis(&key)?;
    map.get(base).copied()
}

/// `检验周期(月)` → (`检验周期`, `月`). Keys are already half-width, so only `(` and `【` remain.
fn split_trailing_parenthesis(key: &str) -> Option<(&str, &str)> {
    let (open, close) = if key.ends_with(')') {
        ('(', ')')
    } else if key.ends_with('】') {
        ('【', '】')
    } else {
        return None;
    };
    let start = key.rfind(open)?;
    let base = &key[..start];
    let inner = &key[start + open.len_utf8()..key.len() - close.len_utf8()];
    (!base.is_empty()).then_some((base, inner))
}

/// The words a value of a closed list is written with, besides its code and labels.
/// Compared after [`value_key`].
const KIND_WORDS: &[(&str, Kind)] = &[
    ("年检事项", Kind::Inspection),
    ("年度检验", Kind::Inspection),
    ("检验", Kind::Inspection),
    ("年审", Kind::Inspection),
    ("年檢", Kind::Inspection),
    ("inspection", Kind::Inspection),
    ("培训", Kind::Training),
    ("政府指定培训", Kind::Training),
    ("指定培训事项", Kind::Training),
    ("指定培訓", Kind::Training),
    ("培訓", Kind::Training),
    ("training", Kind::Training),
];

const DISPOSITION_WORDS: &[(&str, Disposition)] = &[
    ("继续保留", Disposition::Retain),
    ("保留年检", Disposition::Retain),
    ("保留培训", Disposition::Retain),
    ("keep", Disposition::Retain),
    ("取消年检", Disposition::Cancel),
    ("取消培训", Disposition::Cancel),
    ("废止", Disposition::Cancel),
    ("延长检验周期", Disposition::ExtendCycle),
    ("延长年检周期", Disposition::ExtendCycle),
    ("延长", Disposition::ExtendCycle),
    ("extend", Disposition::ExtendCycle),
    ("改为年报", Disposition::ConvertToAnnualReport),
    ("改年报", Disposition::ConvertToAnnualReport),
    ("年报", Disposition::ConvertToAnnualReport),
    ("年报公示", Disposition::ConvertToAnnualReport),
    ("改为年报公示", Disposition::ConvertToAnnualReport),
    ("年度报告公示", Disposition::ConvertToAnnualReport),
    ("年检改为年度报告公示", Disposition::ConvertToAnnualReport),
    ("改为年度报告", Disposition::ConvertToAnnualReport),
    ("annual report", Disposition::ConvertToAnnualReport),
    ("规范管理", Disposition::Standardise),
    ("保留并规范", Disposition::Standardise),
    ("规范培训", Disposition::Standardise),
    ("standardize", Disposition::Standardise),
    ("保留", Disposition::Retain),
    ("取消", Disposition::Cancel),
];

const TIED_WORDS: &[(&str, TiedTo)] = &[
    ("发证环节", TiedTo::Issuance),
    ("核发证照", TiedTo::Issuance),
    ("发证前", TiedTo::Issuance),
    ("取证", TiedTo::Issuance),
    ("办证", TiedTo::Issuance),
    ("颁证", TiedTo::Issuance),
    ("發證", TiedTo::Issuance),
    ("issuance", TiedTo::Issuance),
    ("年检环节", TiedTo::Inspection),
    ("年审", TiedTo::Inspection),
    ("检验", TiedTo::Inspection),
    ("年檢", TiedTo::Inspection),
    ("inspection", TiedTo::Inspection),
    ("发证及年检", TiedTo::Both),
    ("发证与年检", TiedTo::Both),
    ("发证、年检", TiedTo::Both),
    ("发证,年检", TiedTo::Both),
    ("发证/年检", TiedTo::Both),
    ("发证和年检环节", TiedTo::Both),
    ("发证年检", TiedTo::Both),
    ("均挂钩", TiedTo::Both),
    ("两者", TiedTo::Both),
    ("发证和年检", TiedTo::Both),
    ("issuance and inspection", TiedTo::Both),
];

/// Normalises a value of a closed list: [`header_key`], then without a final 。/. and a trailing
/// parenthesis (`取消（无法定依据）`).
fn value_key(text: &str) -> String {
    let mut key = header_key(text);
    while key.ends_with('。') || key.ends_with('.') || key.ends_with(';') || key.ends_with('；') {
        key.pop();
    }
    if let Some((base, _)) = split_trailing_parenthesis(&key) {
        key.truncate(base.len());
    }
    key
}

/// A lookup of a closed list: codes, both labels and the usual words, all by [`value_key`].
fn value_map<T: Copy>(
    all: &[T],
    labels: [fn(T) -> &'static str; 3],
    words: &[(&str, T)],
) -> HashMap<String, T> {
    let mut map = HashMap::new();
    for &v in all {
        for label in labels {
            map.entry(value_key(label(v))).or_insert(v);
        }
    }
    for &(w, v) in words {
        map.entry(value_key(w)).or_insert(v);
    }
    map
}

/// 年检 / 指定培训 / `inspection` / usual variants.
pub fn parse_kind(text: &str) -> Option<Kind> {
    static MAP: OnceLock<HashMap<String, Kind>> = OnceLock::new();
    let map =
        MAP.get_or_init(|| value_map(Kind::ALL, [Kind::code, Kind::zh, Kind::en], KIND_WORDS));
    map.get(&value_key(text)).copied()
}

/// 拟处理意见: codes, labels and the usual variants (建议取消, 拟保留, 改为年报, 规范管理…).
pub fn parse_disposition(text: &str) -> Option<Disposition> {
    static MAP: OnceLock<HashMap<String, Disposition>> = OnceLock::new();
    let map = MAP.get_or_init(|| {
        let labels = [Disposition::code, Disposition::zh, Disposition::en];
        value_map(Disposition::ALL, labels, DISPOSITION_WORDS)
    });
    let key = value_key(text);
    let find = |k: &str| map.get(k).copied();
    if let Some(d) = find(&key) {
        return Some(d);
    }
    // 建议取消, 拟保留, 予以取消, 建议予以保留…
    let mut rest = key.as_str();
    loop {
        let before = rest;
        for prefix in ["建议", "拟", "予以", "同意", "应当", "应"] {
            rest = rest.strip_prefix(prefix).unwrap_or(rest);
        }
        if rest == before {
            break;
        }
    }
    if rest != key { find(rest) } else { None }
}

/// 挂钩环节: 发证 / 年检 / 发证和年检, codes and usual variants.
pub fn parse_tied_to(text: &str) -> Option<TiedTo> {
    static MAP: OnceLock<HashMap<String, TiedTo>> = OnceLock::new();
    let map = MAP.get_or_init(|| {
        value_map(
            TiedTo::ALL,
            [TiedTo::code, TiedTo::zh, TiedTo::en],
            TIED_WORDS,
        )
    });
    map.get(&value_key(text)).copied()
}

/// The kind a sheet name suggests: 年检/检验 → inspection, 培训 → training, both or neither → none.
pub fn kind_of_sheet_name(name: &str) -> Option<Kind> {
    let lower = name.to_lowercase();
    let inspection = ["年检", "检验", "年審", "年审", "年檢", "檢驗", "inspection"]
        .iter()
        .any(|w| lower.contains(w));
    let training = ["培训", "培訓", "training"]
        .iter()
        .any(|w| lower.contains(w));
    match (inspection, training) {
        (true, false) => Some(Kind::Inspection),
        (false, true) => Some(Kind::Training),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_index_the_table() {
        for (i, column) in COLUMNS.iter().enumerate() {
            assert_eq!(
                column.field as usize, i,
                "{:?} is out of place",
                column.field
            );
        }
    }

    #[test]
    fn template_columns_follow_the_contract() {
        let headers = |kind| -> Vec<String> {
            template_columns(kind)
                .iter()
                .filter_map(|c| c.template_header(kind))
                .collect()
        };
        assert_eq!(
            headers(Kind::Inspection),
            [
                "序号",
                "事项名称*",
                "实施部门*",
                "涉及证照",
                "证照目录编码",
                "检验对象",
                "设定依据",
                "依据层级",
                "检验周期*",
                "是否已改为年度报告公示",
                "拟处理意见*",
                "拟调整周期",
                "理由",
                "备注"
            ]
        );
        assert_eq!(
            headers(Kind::Training),
            [
                "序号",
                "培训名称*",
                "实施部门*",
                "挂钩环节*",
                "涉及证照",
                "培训对象",
                "设定依据",
                "依据层级",
                "学时",
                "收费标准",
                "收费依据",
                "培训机构",
                "是否指定机构",
                "拟处理意见*",
                "理由",
                "备注"
            ]
        );
    }

    #[test]
    fn positions_are_unique_per_kind() {
        for kind in Kind::ALL {
            let columns = template_columns(*kind);
            for (i, c) in columns.iter().enumerate() {
                assert_eq!(c.template(*kind).map(|t| t.position), Some(i as u16));
            }
        }
    }

    #[test]
    fn no_synonym_means_two_columns() {
        let mut seen: HashMap<String, Field> = HashMap::new();
        for column in &COLUMNS {
            for s in column.synonyms {
                if let Some(other) = seen.insert(header_key(s), column.field) {
                    assert_eq!(other, column.field, "{s} claimed twice");
                }
            }
        }
    }

    #[test]
    fn headers_as_departments_write_them() {
        let cases: &[(&str, Field)] = &[
            ("事项名称*", Field::Name),
            ("项目名称", Field::Name),
            (" 事 项 名 称 ", Field::Name),
            ("年检周期（月）", Field::Cycle),
            ("检验频次(年)", Field::Cycle),
            ("检验周期（单位：月）", Field::Cycle),
            ("检验周期", Field::Cycle),
            ("法律依据", Field::Bases),
            ("设定依据（法律法规名称及条款）", Field::Bases),
            ("清理意见", Field::Proposed),
            ("处理建议", Field::Proposed),
            ("实施机关", Field::Department),
            ("實施部門", Field::Department),
            ("Legal Basis", Field::Bases),
            ("是否已改为年度报告公示（是/否）", Field::AnnualReport),
            ("拟调整周期（月）", Field::ProposedCycle),
            ("ＮＡＭＥ", Field::Name),
            ("备注", Field::Remarks),
        ];
        for (text, field) in cases {
            assert_eq!(match_header(text), Some(*field), "{text}");
        }
        assert_eq!(match_header("填报单位：省交通运输厅"), None);
        assert_eq!(match_header(""), None);
        assert_eq!(match_header("联系人"), None);
    }

    #[test]
    fn dispositions_as_departments_write_them() {
        let cases: &[(&str, Disposition)] = &[
            ("cancel", Disposition::Cancel),
            ("取消", Disposition::Cancel),
            ("建议取消", Disposition::Cancel),
            ("拟取消", Disposition::Cancel),
            ("予以取消。", Disposition::Cancel),
            ("取消（无法定依据）", Disposition::Cancel),
            ("保留", Disposition::Retain),
            ("建议保留", Disposition::Retain),
            ("延长周期", Disposition::ExtendCycle),
            ("延长检验周期", Disposition::ExtendCycle),
            ("建议延长检验周期", Disposition::ExtendCycle),
            ("改为年度报告公示", Disposition::ConvertToAnnualReport),
            ("改为年报", Disposition::ConvertToAnnualReport),
            ("规范", Disposition::Standardise),
            ("规范管理", Disposition::Standardise),
            ("Extend Cycle", Disposition::ExtendCycle),
        ];
        for (text, d) in cases {
            assert_eq!(parse_disposition(text), Some(*d), "{text}");
        }
        assert_eq!(parse_disposition("研究后再定"), None);
        assert_eq!(parse_disposition("建议"), None);
    }

    #[test]
    fn kinds_and_tied_stages() {
        assert_eq!(parse_kind("年检"), Some(Kind::Inspection));
        assert_eq!(parse_kind("指定培训"), Some(Kind::Training));
        assert_eq!(parse_kind("training"), Some(Kind::Training));
        assert_eq!(parse_kind("其他"), None);
        assert_eq!(parse_tied_to("发证"), Some(TiedTo::Issuance));
        assert_eq!(parse_tied_to("发证和年检"), Some(TiedTo::Both));
        assert_eq!(parse_tied_to("发证、年检"), Some(TiedTo::Both));
        assert_eq!(parse_tied_to("both"), Some(TiedTo::Both));
        assert_eq!(parse_tied_to("年检环节"), Some(TiedTo::Inspection));
        assert_eq!(parse_tied_to("无"), None);
        assert_eq!(kind_of_sheet_name("年检事项"), Some(Kind::Inspection));
        assert_eq!(kind_of_sheet_name("表2 指定培训"), Some(Kind::Training));
        assert_eq!(kind_of_sheet_name("Sheet1"), None);
        assert_eq!(kind_of_sheet_name("年检和培训"), None);
    }

    #[test]
    fn dropdowns_come_from_the_code_enums() {
        assert_eq!(
            Values::Disposition.dropdown(Lang::Zh),
            Some(vec!["保留", "取消", "延长周期", "改为年度报告公示", "规范"])
        );
        assert_eq!(Values::YesNo.dropdown(Lang::Zh), Some(vec!["是", "否"]));
        assert_eq!(Values::Text.dropdown(Lang::Zh), None);
    }
}
