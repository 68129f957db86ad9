//! Reading workbooks into domain drafts with cell-referenced errors; writing the template.
