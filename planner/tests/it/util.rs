//! Shared test helpers: loading a config and its dumps into an [`Analysis`].

use std::path::Path;

use silo_plan::analysis::Analysis;
use silo_plan::config;
use silo_plan::source::SourceFile;

/// Loads `silo-plan.toml` (or a directory holding one) and its dumps, panicking with the file
/// on any error: tests call it on inputs that must be valid.
pub fn analysis(config_path: &Path) -> Analysis {
    let cfg = config::load(config_path).unwrap_or_else(|e| panic!("{e}"));
    let sources: Vec<SourceFile> = cfg
        .schema_paths()
        .iter()
        .map(|p| SourceFile::load(p).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    Analysis::new(cfg, sources).unwrap_or_else(|e| panic!("{e}"))
}
