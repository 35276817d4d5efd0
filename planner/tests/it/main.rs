//! Integration tests: one binary, the real program and real PostgreSQL clusters.
//!
//! Tests that need PostgreSQL start their own throwaway clusters (`pg.rs`) and fail with an
//! install hint when the server binaries are missing; they never skip.

mod allow;
mod cascades;
mod check_saas;
mod ci;
mod cli;
mod config_docs;
mod config_errors;
mod corpus;
mod fanout;
mod fence;
mod frameworks;
mod fuzz_found;
mod history;
mod hostile_names;
mod idspace;
mod infer_corpus;
mod infer_labels;
mod init;
mod inspect;
mod instances;
mod invalid_input;
mod lago_restrict;
mod lock_writes;
mod locks;
mod migrations;
mod names;
mod pg;
mod phases;
mod plan_cwd;
mod plan_files;
mod plan_fks;
mod plan_schema;
mod plan_shapes;
mod queries;
mod references;
mod references_pg;
mod relocate;
mod report;
mod report_html;
mod reserve;
mod residency;
mod schemas;
mod set_columns;
mod silotests;
mod simulate;
mod statements;
mod stubs;
mod suggest;
mod util;
mod verify;
mod verify_refs;
