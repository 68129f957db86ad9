//! What a caller may see, as a value every scoped query takes (the accounts issue, §2).
//!
//! A query over department-owned data (submissions, items, findings, decisions) takes a
//! `&Scope` parameter and filters by it, so no query can be written without one and no handler
//! can forget to pass it. Handlers get the scope from the signed-in principal
//! (`crate::web::auth::Principal::scope`); the command line, run by the machine's operator, uses
//! [`Scope::All`]. The pattern for a later query:
//!
//! ```ignore
//! pub fn list_items(conn: &mut DbConnection, scope: &Scope, round: i64) -> QueryResult<Vec<Item>> {
//!     let mut q = items::table.filter(items::round_id.eq(round)).into_boxed();
//!     if let Ids::Only(ids) = scope.department_ids(conn)? {
//!         q = q.filter(items::department_id.eq_any(ids));
//!     }
//!     q.select(Item::as_select()).load(conn)
//! }
//! ```
//!
//! A single row outside the scope is answered as not found (404), never as forbidden, so its
//! existence does not leak.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::departments;

/// The reach of a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A submitter: the one department, nothing else.
    Department(i64),
    /// A reviewer: every department whose region is in the set (the reviewer's region and its
    /// subtree, computed once per request).
    Regions(Vec<i64>),
    /// An admin, or the command line.
    All,
}

/// A set of ids a query must stay within, or no restriction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ids {
    All,
    Only(Vec<i64>),
}

impl Ids {
    pub fn contains(&self, id: i64) -> bool {
        match self {
            Ids::All => true,
            Ids::Only(ids) => ids.contains(&id),
        }
    }
}

impl Scope {
    /// The departments this scope reaches. For `Regions` it is one query.
    pub fn department_ids(&self, conn: &mut DbConnection) -> QueryResult<Ids> {
        match self {
            Scope::All => Ok(Ids::All),
            Scope::Department(id) => Ok(Ids::Only(vec![*id])),
            Scope::Regions(regions) => departments::table
                .filter(departments::region_id.eq_any(regions))
                .select(departments::id)
                .order(departments::id.asc())
                .load(conn)
                .map(Ids::Only),
        }
    }

    /// The regions whose region-wide work (rounds' review, publications in preparation) this
    /// scope reaches. A submitter reaches none.
    pub fn region_ids(&self) -> Ids {
        match self {
            Scope::All => Ids::All,
            Scope::Department(_) => Ids::Only(Vec::new()),
            Scope::Regions(regions) => Ids::Only(regions.clone()),
        }
    }

    /// Whether a department (given with its region) lies in the scope, without a query.
    pub fn allows_department(&self, department_id: i64, department_region_id: i64) -> bool {
        match self {
            Scope::All => true,
            Scope::Department(id) => *id == department_id,
            Scope::Regions(regions) => regions.contains(&department_region_id),
        }
    }

    /// Whether region-wide work of a region lies in the scope.
    pub fn allows_region(&self, region_id: i64) -> bool {
        self.region_ids().contains(region_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submitter_reaches_only_its_department() {
        let s = Scope::Department(7);
        assert!(s.allows_department(7, 1));
        assert!(!s.allows_department(8, 1));
        assert!(!s.allows_region(1));
    }

    #[test]
    fn a_reviewer_reaches_its_regions() {
        let s = Scope::Regions(vec![1, 2]);
        assert!(s.allows_department(99, 2));
        assert!(!s.allows_department(99, 3));
        assert!(s.allows_region(1));
        assert!(!s.allows_region(3));
        assert!(Scope::All.allows_region(3));
    }
}
