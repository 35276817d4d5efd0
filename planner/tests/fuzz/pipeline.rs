//! One input through the library, as the binary runs it: the files written to a directory and
//! loaded from there (`SourceFile::load`, `config::load`), the dump read and inspected, the
//! config resolved against it, `check` with its four report formats, `explain` of one table,
//! `plan` built and every file of it rendered to memory. Errors the library returns are fine
//! (bad input is allowed to be bad); panics, hangs and runaway memory are not, and neither are
//! outputs that break their own promises: JSON that does not parse, a second run that differs.

use std::path::{Path, PathBuf};

use silo_plan::analysis::Analysis;
use silo_plan::check::CheckOptions;
use silo_plan::config;
use silo_plan::dump::{self, ReadOptions};
use silo_plan::report::{self, ReportFormat, Sources};
use silo_plan::source::SourceFile;

use crate::gen::Input;

/// How far an input got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// A dump file is not UTF-8 (refused with its line and column).
    NotUtf8,
    /// The dump was read and inspected; the config was refused.
    ConfigRefused,
    /// The config parsed, but does not fit the dump (refused).
    Misfit,
    /// Checked and reported; `plan` refused to render.
    RenderRefused,
    /// The whole plan rendered.
    Rendered,
}

pub const STAGES: usize = 5;

impl Stage {
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What one run produced.
#[derive(Default)]
pub struct Run {
    pub stage: Option<Stage>,
    /// Statements read, and those kept as unread text.
    pub statements: usize,
    pub unparsed: usize,
    pub tables: usize,
    pub findings: usize,
    pub crossings: usize,
    /// Every output's text, in order, to compare two runs.
    pub out: Vec<(String, String)>,
    /// Bytes of output.
    pub out_bytes: usize,
}

fn json_ok(what: &str, text: &str) -> Result<(), String> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|_| ())
        .map_err(|e| format!("{what} is not valid JSON: {e}"))
}

/// Writes the input's files under `dir` (replacing what an earlier input left there): the
/// config as `silo-plan.toml`, the dump as `dumps/NN.sql`.
pub fn write(dir: &Path, input: &Input) -> std::io::Result<(PathBuf, Vec<PathBuf>)> {
    let dumps = dir.join("dumps");
    if dumps.exists() {
        std::fs::remove_dir_all(&dumps)?;
    }
    std::fs::create_dir_all(&dumps)?;
    let cfg = dir.join("silo-plan.toml");
    std::fs::write(&cfg, &input.config)?;
    let mut paths = Vec::new();
    for (i, f) in input.files.iter().enumerate() {
        let p = dumps.join(format!("{:02}.sql", i + 1));
        std::fs::write(&p, f)?;
        paths.push(p);
    }
    Ok((cfg, paths))
}

/// Runs the files at `cfg` and `dumps`; `Err` is a broken promise (not a refused input).
pub fn run_files(
    cfg_path: &Path,
    dumps: &[PathBuf],
    strict: bool,
    explain: usize,
) -> Result<Run, String> {
    let mut run = Run::default();
    let mut sources = Vec::new();
    for p in dumps {
        match SourceFile::load(p) {
            Ok(s) => sources.push(s),
            Err(e) => {
                run.out.push(("load".into(), e.to_string()));
                run.stage = Some(Stage::NotUtf8);
                return Ok(run);
            }
        }
    }
    let parsed = config::load(cfg_path);
    let config_text = std::fs::read_to_string(cfg_path).unwrap_or_default();
    let cfg = match parsed {
        Ok(c) => c,
        Err(e) => {
            run.out.push(("config error".into(), e.to_string()));
            // `inspect --schema` still reads the dump.
            let cat = dump::read(&sources, &ReadOptions::default());
            inspect(&mut run, &cat)?;
            run.stage = Some(Stage::ConfigRefused);
            return Ok(run);
        }
    };
    let a = match Analysis::new(cfg, sources) {
        Ok(a) => a,
        Err(e) => {
            run.out.push(("analysis error".into(), e.to_string()));
            run.stage = Some(Stage::Misfit);
            return Ok(run);
        }
    };
    inspect(&mut run, &a.cat)?;
    let findings = a.check(CheckOptions { strict });
    run.findings = findings.len();
    let srcs = Sources::new(&a.sources).with_extra(&a.cfg.path, &config_text);
    for (name, f) in [
        ("text", ReportFormat::Text),
        ("json", ReportFormat::Json),
        ("sarif", ReportFormat::Sarif),
        ("github", ReportFormat::Github),
    ] {
        let out = report::render(&findings, &srcs, f, name == "text" && strict);
        if matches!(f, ReportFormat::Json | ReportFormat::Sarif) {
            json_ok(&format!("check --format {name}"), &out)?;
        }
        run.out.push((format!("check {name}"), out));
    }
    if !a.cat.tables.is_empty() {
        let t = a.cat.tables[explain % a.cat.tables.len()].qname();
        let out = silo_plan::explain::text(&a.input(), &t);
        run.out.push((format!("explain {t}"), out));
    }
    let pin = a.input();
    let plan = silo_plan::plan::build(&pin, &findings);
    run.crossings = plan.crossings.len();
    match silo_plan::render::render(&plan, &pin) {
        Ok(files) => {
            for f in files {
                if f.path.ends_with(".json") {
                    json_ok(&f.path, &f.contents)?;
                }
                run.out.push((f.path, f.contents));
            }
            run.stage = Some(Stage::Rendered);
        }
        Err(e) => {
            run.out.push(("render error".into(), e.to_string()));
            run.stage = Some(Stage::RenderRefused);
        }
    }
    run.out_bytes = run.out.iter().map(|(_, t)| t.len()).sum();
    Ok(run)
}

fn inspect(run: &mut Run, cat: &silo_plan::catalog::Catalog) -> Result<(), String> {
    run.statements = cat.statements.len();
    run.unparsed = cat.unparsed.len();
    run.tables = cat.tables.len();
    run.out
        .push(("inspect".into(), silo_plan::inspect::text(cat)));
    let json = silo_plan::inspect::json(cat);
    json_ok("inspect --format json", &json)?;
    run.out.push(("inspect json".into(), json));
    Ok(())
}

/// Writes the input under `dir` and runs it (twice when the input asks, comparing outputs).
pub fn run(dir: &Path, input: &Input) -> Result<Run, String> {
    let (cfg, dumps) = write(dir, input).map_err(|e| format!("writing the input: {e}"))?;
    let first = run_files(&cfg, &dumps, input.strict, input.explain)?;
    if input.twice {
        let second = run_files(&cfg, &dumps, input.strict, input.explain)?;
        if first.out != second.out {
            let which = first
                .out
                .iter()
                .zip(&second.out)
                .find(|(a, b)| a != b)
                .map_or("the list of outputs".to_string(), |(a, _)| a.0.clone());
            return Err(format!(
                "two runs of the same input differ (first in {which}): output is not deterministic"
            ));
        }
    }
    Ok(first)
}
