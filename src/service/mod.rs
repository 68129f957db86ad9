//! Services: the work a command or a request asks for, over the database and the sheets.
//! Handlers and commands call these; these call the models in `db`.

pub mod admin;
pub mod consultation;
pub mod dashboard;
pub mod decisions;
pub mod documents;
pub mod findings;
pub mod import;
pub mod parse;
pub mod public;
pub mod publish;
pub mod registry;
pub mod review;
pub mod submit;
pub mod wire;
