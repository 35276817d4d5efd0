//! Shared test helpers: loading an [`Analysis`], running the binary and `plan`, reading a plan
//! directory, and the crossing table of examples/saas's README.

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

/// `silo-plan ARGS` run in `cwd`.
pub fn silo_plan<S: AsRef<std::ffi::OsStr>>(
    cwd: &Path,
    args: impl IntoIterator<Item = S>,
) -> std::process::Output {
    assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("runs")
}

/// `silo-plan plan CONFIG --out OUT` run in the repository root, which must succeed: the files
/// it wrote, by relative path.
pub fn plan_files(config: &Path, out: &Path) -> std::collections::BTreeMap<String, String> {
    let o = silo_plan(
        root(),
        [
            "plan".as_ref(),
            config.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "plan {}: {}",
        config.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    read_tree(out)
}

/// `silo-plan plan examples/saas --out DIR/plan`: the plan directory and its files.
pub fn plan_example(
    dir: &Path,
) -> (
    std::path::PathBuf,
    std::collections::BTreeMap<String, String>,
) {
    let out = dir.join("plan");
    let files = plan_files(Path::new("examples/saas"), &out);
    (out, files)
}

/// One row of the crossing tables of examples/saas/README.md (written by hand, not by the
/// program): `| # | constraint | child | parent | declared | deferrable | effective | allowed |
/// line |`.
pub struct ReadmeCrossing {
    /// The constraint name.
    pub constraint: String,
    /// The child table (in schema `public`).
    pub child: String,
    /// The action the split replicates, as the config names it (`cascade`, `set-null`, ...):
    /// the `effective` column's first word.
    pub effective: String,
    /// `[[allow]]` accepts it.
    pub allowed: bool,
}

/// Every row of the README's crossing tables, in order.
pub fn saas_readme_crossings() -> Vec<ReadmeCrossing> {
    let readme = std::fs::read_to_string(root().join("examples/saas/README.md")).expect("README");
    let mut out = Vec::new();
    let mut in_section = false;
    for line in readme.lines() {
        if line.starts_with("## ") {
            in_section = line.starts_with("## Cross-silo foreign keys");
        }
        if !in_section || !line.starts_with("| ") {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 10 || cells[1].parse::<u32>().is_err() {
            continue;
        }
        out.push(ReadmeCrossing {
            constraint: cells[2].trim_matches('`').to_string(),
            child: cells[3]
                .trim_matches('`')
                .split('.')
                .next()
                .unwrap_or_default()
                .to_string(),
            effective: cells[7]
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string(),
            allowed: cells[8].contains("yes"),
        });
    }
    out
}
