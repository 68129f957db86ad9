//! nianjian: the registry of annual inspections (年检) and government-designated trainings
//! (政府指定培训) that a province keeps while it clears them out.
//!
//! Layers, inner to outer: [`domain`] (types and review rules, no I/O), [`sheets`] (workbooks in
//! and the template out), [`export`] (publications to xlsx/csv/json), [`db`] (schema, queries,
//! migrations), [`web`] (Rocket), [`cli`].

/// The allocator of every binary built on this crate (the server, the command line and its
/// parse child, the tests and benches). An import of 100,000 rows makes and frees a few million
/// small strings across five threads: glibc's malloc spent a fifth of its CPU time on them,
/// mimalloc about a quarter of that. Built without transparent huge pages, which had the kernel
/// zero 2 MiB pages for the allocator's fresh spans (a quarter of the import's CPU).
/// BENCHMARKS.md has the A/B.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
