//! nianjian: the registry of annual inspections (年检) and government-designated trainings
//! (政府指定培训) that a province keeps while it clears them out.
//!
//! Layers, inner to outer: [`domain`] (types and review rules, no I/O), [`sheets`] (workbooks in
//! and the template out), [`export`] (publications to xlsx/csv/json), [`db`] (schema, queries,
//! migrations), [`web`] (Rocket), [`cli`].

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod service;
pub mod sheets;
pub mod web;
