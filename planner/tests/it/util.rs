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

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, by `/`-separated relative path, with its text.
pub fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("inside").to_string_lossy();
                files.insert(
                    rel.replace('\\', "/"),
                    std::fs::read_to_string(&p).expect("utf-8"),
                );
            }
        }
    }
    files
}

/// `silo-plan plan examples/saas --out DIR/plan`: the plan directory and its files.
pub fn plan_example(
    dir: &Path,
) -> (
    std::path::PathBuf,
    std::collections::BTreeMap<String, String>,
) {
    let out = dir.join("plan");
    let o = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(root())
        .args(["plan", "examples/saas", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let files = read_tree(&out);
    (out, files)
}
