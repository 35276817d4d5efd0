//! silo-plan: plans the split of one relational database into silos.
//!
//! Data flows one way, each stage a plain function over plain data:
//!
//! ```text
//! dump text ──read──▶ Catalog ──assign(config)──▶ Assignment ──analyze──▶ Graph + Findings ──plan──▶ Plan ──render──▶ files
//! ```
//!
//! The library never prints and never exits; only the `silo-plan` binary touches the world,
//! but for [`output`], which writes the plan directory (and returns what to say about it).
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::exit)]
#![warn(missing_docs)]

pub mod analysis;
pub mod assign;
pub mod catalog;
pub mod check;
pub mod closure;
pub mod config;
pub mod dump;
pub mod explain;
pub mod export;
pub mod findings;
pub mod framework;
pub mod graph;
pub mod ident;
pub mod idspace;
pub mod infer;
pub mod init;
pub mod inspect;
pub mod names;
pub mod output;
pub mod paths;
pub mod plan;
pub mod queries;
pub mod references;
pub mod refs_file;
pub mod refs_resolve;
pub mod relocate;
pub mod render;
pub mod report;
pub mod residency;
pub mod simulate;
pub mod source;
pub mod suggest;
pub mod untrusted;
pub mod verify;
pub mod verify_refs;
