//! Legal bases: splitting a 设定依据 cell, inferring levels, deriving 自行设定.

use super::{BasisLevel, LegalBasis};

/// 自行设定: no national basis, and at least one local one.
pub fn self_set(bases: &[LegalBasis]) -> bool {
    let national = bases
        .iter()
        .any(|b| b.level.is_some_and(BasisLevel::is_national));
    let local = bases.iter().any(|b| {
        matches!(
            b.level,
            Some(BasisLevel::LocalRegulation | BasisLevel::LocalGovRule)
        )
    });
    !national && local
}
