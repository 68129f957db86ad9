//! The words of DESIGN.md §3 as types, and the review rules. No I/O, no diesel, no Rocket.

use serde::{Deserialize, Serialize};

/// Declares a closed set of codes with their stable wire code, Chinese and English labels.
/// One table per enumeration: parsing, display, CHECK constraints and dropdowns all read it.
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable code used on the wire and in the database.
            pub fn code(self) -> &'static str { match self { $($name::$variant => $code),+ } }
            pub fn zh(self) -> &'static str { match self { $($name::$variant => $zh),+ } }
            pub fn en(self) -> &'static str { match self { $($name::$variant => $en),+ } }
            pub fn label(self, lang: crate::domain::Lang) -> &'static str {
                match lang { crate::domain::Lang::Zh => self.zh(), crate::domain::Lang::En => self.en() }
            }
            pub fn from_code(s: &str) -> Option<Self> {
                match s { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.code()) }
        }
    };
}

pub mod basis;
pub mod cycle;
pub mod publication;
pub mod rules;
pub mod text;

/// The language of messages a person reads. Chinese by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_code(s: &str) -> Option<Lang> {
        match s.to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh-hans" | "cn" => Some(Lang::Zh),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }
    /// Picks the message of this language from a pair.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

code_enum! {
    /// 事项类型.
    Kind {
        Inspection = "inspection", "年检", "annual inspection";
        Training = "training", "指定培训", "designated training";
    }
}

code_enum! {
    /// 依据层级, highest first (the declaration order is the rank).
    BasisLevel {
        Law = "law", "法律", "law";
        AdminRegulation = "admin_regulation", "行政法规", "administrative regulation";
        StateCouncilDecision = "state_council_decision", "国务院决定", "State Council decision";
        DepartmentalRule = "departmental_rule", "部门规章", "departmental rule";
        LocalRegulation = "local_regulation", "地方性法规", "local regulation";
        LocalGovRule = "local_gov_rule", "地方政府规章", "local government rule";
        NormativeDocument = "normative_document", "规范性文件", "normative document";
    }
}

impl BasisLevel {
    /// Set by the national legislature, State Council or a ministry.
    pub fn is_national(self) -> bool {
        matches!(
            self,
            BasisLevel::Law
                | BasisLevel::AdminRegulation
                | BasisLevel::StateCouncilDecision
                | BasisLevel::DepartmentalRule
        )
    }
    /// Counts as a legal basis for R01/R05: everything but a normative document
    /// (行政许可法 art. 17: normative documents may not create licences).
    pub fn is_legal(self) -> bool {
        self != BasisLevel::NormativeDocument
    }
}

code_enum! {
    /// 拟处理意见 / the office's decision.
    Disposition {
        Retain = "retain", "保留", "retain";
        Cancel = "cancel", "取消", "cancel";
        ExtendCycle = "extend_cycle", "延长周期", "extend cycle";
        ConvertToAnnualReport = "convert_to_annual_report", "改为年度报告公示", "convert to annual report";
        Standardise = "standardise", "规范", "standardise";
    }
}

impl Disposition {
    /// Whether the item survives (anything but cancel).
    pub fn keeps(self) -> bool {
        self != Disposition::Cancel
    }
}

code_enum! {
    /// 挂钩环节 of a designated training.
    TiedTo {
        Issuance = "issuance", "发证", "licence issuance";
        Inspection = "inspection", "年检", "annual inspection";
        Both = "both", "发证和年检", "issuance and inspection";
    }
}

code_enum! {
    Severity {
        Error = "error", "错误", "error";
        Warning = "warning", "警告", "warning";
        Info = "info", "提示", "info";
    }
}

impl Severity {
    /// The bit of this severity in an item's `open_severities` (1 error, 2 warning, 4 info).
    pub fn bit(self) -> i64 {
        match self {
            Severity::Error => 1,
            Severity::Warning => 2,
            Severity::Info => 4,
        }
    }
}

code_enum! {
    /// Status of a legal document.
    DocumentStatus {
        InForce = "in_force", "现行有效", "in force";
        Amended = "amended", "已修订", "amended";
        Repealed = "repealed", "已废止", "repealed";
    }
}

/// One 设定依据 of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalBasis {
    /// `None` only when neither the 依据层级 column nor the title tells the level.
    pub level: Option<BasisLevel>,
    pub title: String,
    pub article: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub issuer: Option<String>,
    pub level_inferred: bool,
}

/// An item as a department states it: one row of a submission, before any decision.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ItemDraft {
    pub kind: Option<Kind>,
    pub name: String,
    pub department: String,
    pub licence: Option<String>,
    pub licence_code: Option<String>,
    pub target: Option<String>,
    /// Months between inspections; `None` for irregular (不定期) or trainings.
    pub cycle_months: Option<u32>,
    pub cycle_text: Option<String>,
    pub annual_report: Option<bool>,
    pub legal_bases: Vec<LegalBasis>,
    pub proposed: Option<Disposition>,
    pub proposed_cycle_months: Option<u32>,
    pub reason: Option<String>,
    pub remarks: Option<String>,
    // Trainings only.
    pub tied_to: Option<TiedTo>,
    pub hours: Option<f64>,
    pub fee: Option<String>,
    pub fee_basis: Option<String>,
    pub provider: Option<String>,
    /// 是否指定机构: applicants may not choose the provider freely.
    pub provider_designated: Option<bool>,
}

impl ItemDraft {
    /// 自行设定: the highest basis is local (provincial or city) and there is no national basis.
    pub fn self_set(&self) -> bool {
        basis::self_set(&self.legal_bases)
    }
    /// Whether any basis is a legal one (law … local government rule).
    pub fn has_legal_basis(&self) -> bool {
        self.legal_bases
            .iter()
            .any(|b| b.level.is_some_and(BasisLevel::is_legal))
    }
}

/// What a review rule says of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// Settled by the office's justified keep decision (DESIGN.md §9): still listed as history,
    /// no longer blocking publication. Absent from the JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resolved: bool,
}
