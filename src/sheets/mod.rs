//! Reading workbooks into domain drafts with cell-referenced errors; writing the template.

mod cfb;
pub mod guard;
pub mod read;
pub mod spec;
pub mod template;
