//! Benchmark of `silo-plan queries` over 100k logged statements, against bare sqlparser
//! parsing of the same statements.
//!
//! `cargo bench --bench queries` generates (see `querylog.rs`, fixed seed) three inputs over
//! examples/saas's tables:
//!
//! * **log**: a Postgres server log of 100,000 logged statements (`log_statement = 'all'`,
//!   `log_line_prefix = '%m [%p] %x '`, 32 interleaved sessions, transactions, the extended
//!   protocol, errors) drawn from an application of 1,000 statement shapes: the texts repeat,
//!   as in a real application;
//! * **log-distinct**: the same kind of log in which every statement but `BEGIN` / `COMMIT` /
//!   `ROLLBACK` is a shape never seen before: the worst case for `queries`, which parses each
//!   distinct normalized text once;
//! * **csv**: a `pg_stat_statements` export of 100,000 rows, every row a distinct text (as
//!   pg_stat_statements keeps them).
//!
//! For each it measures, in interleaved rounds:
//!
//! * **analysis**: what `silo-plan queries` does after loading the config and the dump
//!   (planner/main.rs): `queries::Resolver::new`, then `queries::analyze` on the log already in
//!   memory as a `SourceFile` (reading the log's lines, splitting, normalizing, parsing each
//!   distinct text once, resolving its tables, grouping, transactions, the findings); the
//!   outcome is dropped outside the timing;
//! * **read**: `queries::read_logs` alone (the part of analysis that finds the statements in
//!   the log), to show where the time goes;
//! * **report**: `report::render` of the findings as text without colour (what the command
//!   prints), apart;
//! * **bare**: the baseline: `Parser::parse_sql(&PostgreSqlDialect {}, stmt)` on every
//!   statement the log holds (extracted beforehand by `read_logs`, so the baseline gets them
//!   for free), each AST dropped.
//!
//! Loading examples/saas (config and dump) is done once, outside every timing: it is `check`'s
//! cost, the same for any log. Rounds repeat until they have taken about [`BUDGET`] together (at
//! least three times) and the best time of each measure is reported; times are the measuring thread's
//! CPU time (`common.rs`), wall time beside them. The target (issue 8): analysis at most 1.5x
//! bare parsing.
//!
//! Arguments: words filter the inputs (`cargo bench --bench queries -- distinct`); `--quick`
//! runs one round; `--n N` changes the statement count; `--write DIR` also writes the generated
//! inputs there (`log.log`, `log-distinct.log`, `csv.csv`), to run the command itself on them.
//! Numbers are in BENCHMARKS.md.

#[path = "common.rs"]
mod common;
#[path = "querylog.rs"]
mod querylog;

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use common::{ms, ratio, wall_ms, Stopwatch, T};
use silo_plan::analysis::Analysis;
use silo_plan::config;
use silo_plan::queries::{self, Options, Resolver};
use silo_plan::report::{self, ReportFormat, Sources};
use silo_plan::source::SourceFile;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// How long the rounds of one input should take together.
const BUDGET: Duration = Duration::from_secs(4);
/// Never more rounds than this.
const MAX_RUNS: usize = 30;
/// Logged statements per input.
const N: usize = 100_000;

fn main() {
    common::configure_allocator();
    let mut quick = false;
    let mut n = N;
    let mut write: Option<std::path::PathBuf> = None;
    let mut filters: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--n" => {
                n = args
                    .next()
                    .and_then(|v| v.replace('_', "").parse().ok())
                    .expect("--n N");
            }
            "--write" => write = Some(args.next().expect("--write DIR").into()),
            // cargo passes --bench to harness=false benches; ignore other flags likewise.
            s if s.starts_with("--") => {}
            s => filters.push(s.to_lowercase()),
        }
    }

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let a = load(&root.join("examples/saas"));
    let model = querylog::Model::new(&a.cat);

    let inputs: [(&str, Kind); 3] = [
        ("log", Kind::Log(querylog::Shapes::Pool)),
        ("log-distinct", Kind::Log(querylog::Shapes::Distinct)),
        ("csv", Kind::Csv),
    ];
    let inputs: Vec<_> = inputs
        .into_iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f)))
        .collect();
    if inputs.is_empty() {
        eprintln!("no input matches {filters:?}");
        std::process::exit(2);
    }

    println!(
        "silo-plan queries benchmark over examples/saas: {n} logged statements per input. \
         Times are CPU time of the measuring thread (CLOCK_THREAD_CPUTIME_ID), {}; wall time \
         in brackets. MB = 10^6 bytes.",
        if quick {
            "one round (--quick)"
        } else {
            "best of N rounds (N adaptive to ~4 s per input, at least 3)"
        }
    );
    println!();
    let mut rows = Vec::new();
    for (name, kind) in inputs {
        let ext = if matches!(kind, Kind::Csv) {
            "csv"
        } else {
            "log"
        };
        let (text, what) = match kind {
            Kind::Log(shapes) => {
                let (text, c) = querylog::server_log(&model, n, shapes, querylog::SEED);
                let what = format!(
                    "server log, {} sessions, {} BEGIN / {} COMMIT / {} ROLLBACK, {} multi-line, \
                     {} extended protocol, {} errors",
                    c.sessions, c.begins, c.commits, c.rollbacks, c.multiline, c.extended, c.errors
                );
                (text, what)
            }
            Kind::Csv => (
                querylog::stat_statements_csv(&model, n, querylog::SEED),
                "pg_stat_statements CSV".to_string(),
            ),
        };
        if let Some(dir) = &write {
            let path = dir.join(format!("{name}.{ext}"));
            std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        let row = bench_one(&a, name, text, quick);
        println!("{name}: {what}");
        rows.push(row);
    }
    println!();
    println!(
        "{:<13} {:>6} {:>8} {:>8} {:>11} {:>9} {:>11} {:>11} {:>8} {:>8} {:>8} {:>7} {:>3}",
        "input",
        "MB",
        "stmts",
        "distinct",
        "analysis ms",
        "read ms",
        "report ms",
        "bare ms",
        "an us/st",
        "bare us",
        "an/bare",
        "wall",
        "N"
    );
    for r in &rows {
        println!(
            "{:<13} {:>6.1} {:>8} {:>8} {:>11.1} {:>9.1} {:>11.1} {:>11.1} {:>8.2} {:>8.2} {:>7.2}x {:>6.2}x {:>3}",
            r.name,
            r.bytes as f64 / 1e6,
            r.statements,
            r.distinct,
            ms(r.analysis),
            ms(r.read),
            ms(r.report),
            ms(r.bare),
            ms(r.analysis) * 1e3 / r.statements as f64,
            ms(r.bare) * 1e3 / r.statements as f64,
            ratio(r.analysis, r.bare),
            wall_ms(r.analysis) / wall_ms(r.bare),
            r.runs
        );
    }
    println!();
    println!("what was found (stmts = statements in the log, rows for the CSV; calls = statements counting calls)");
    for r in &rows {
        println!(
            "{:<13} calls {}, crossing texts {}, unparsed {}, transactions {} ({} writing to several silos), findings {}, report {} KB; bare parse errors {}",
            r.name,
            r.stats.statements,
            r.stats.crossing,
            r.stats.unparsed,
            r.stats.transactions,
            r.stats.crossing_transactions,
            r.findings,
            r.report_bytes / 1000,
            r.bare_errors
        );
    }
    println!();
    for r in &rows {
        let x = ratio(r.analysis, r.bare);
        println!(
            "target: {} analysis / bare at most 1.5x: {:.2}x ({:.1} / {:.1} ms, {} distinct of {}): {}",
            r.name,
            x,
            ms(r.analysis),
            ms(r.bare),
            r.distinct,
            r.statements,
            if x <= 1.5 { "met" } else { "NOT met" }
        );
    }
}

enum Kind {
    Log(querylog::Shapes),
    Csv,
}

fn load(dir: &Path) -> Analysis {
    let cfg = config::load(dir).unwrap_or_else(|e| panic!("{e}"));
    let sources: Vec<SourceFile> = cfg
        .schema_paths()
        .iter()
        .map(|p| SourceFile::load(p).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    Analysis::new(cfg, sources).unwrap_or_else(|e| panic!("{e}"))
}

struct Row {
    name: &'static str,
    bytes: usize,
    statements: usize,
    distinct: usize,
    analysis: T,
    read: T,
    report: T,
    bare: T,
    runs: usize,
    stats: queries::Stats,
    findings: usize,
    report_bytes: usize,
    bare_errors: usize,
}

/// The baseline: sqlparser on every statement, each AST dropped. Returns the parse errors.
fn bare(stmts: &[String]) -> usize {
    let mut errors = 0;
    for s in stmts {
        match Parser::parse_sql(&PostgreSqlDialect {}, s) {
            Ok(ast) => drop(black_box(ast)),
            Err(e) => {
                black_box(e);
                errors += 1;
            }
        }
    }
    errors
}

fn bench_one(a: &Analysis, name: &'static str, text: String, quick: bool) -> Row {
    let bytes = text.len();
    let files = vec![SourceFile::new(format!("{name}.log"), text)];
    let opts = Options::default();
    let stmts: Vec<String> = queries::read_logs(&files, &opts)
        .expect("the generated log reads")
        .0
        .into_iter()
        .map(|l| l.sql)
        .collect();
    let round = || {
        let sw = Stopwatch::start();
        let res = Resolver::new(&a.input());
        let outcome = queries::analyze(&res, &files, &opts).expect("the generated log reads");
        let t_an = sw.stop();

        let sw = Stopwatch::start();
        let text = report::render(
            &outcome.findings,
            &Sources::new(&files),
            ReportFormat::Text,
            false,
        );
        let t_rep = sw.stop();
        let report_bytes = text.len();
        drop(text);

        let sw = Stopwatch::start();
        let read = queries::read_logs(&files, &opts).expect("reads");
        let t_read = sw.stop();
        drop(read);

        let sw = Stopwatch::start();
        let errors = bare(&stmts);
        let t_bare = sw.stop();
        let findings = outcome.findings.len();
        (
            t_an,
            t_read,
            t_rep,
            t_bare,
            outcome.stats,
            findings,
            report_bytes,
            errors,
        )
    };
    let first = round();
    let mut best = (first.0, first.1, first.2, first.3);
    let mut runs = 1;
    if !quick {
        let total = (first.0.wall + first.1.wall + first.2.wall + first.3.wall)
            .as_secs_f64()
            .max(1e-9);
        let want = ((BUDGET.as_secs_f64() / total).ceil() as usize).clamp(3, MAX_RUNS);
        for _ in 1..want {
            let r = round();
            best.0 = best.0.min(r.0);
            best.1 = best.1.min(r.1);
            best.2 = best.2.min(r.2);
            best.3 = best.3.min(r.3);
        }
        runs = want;
    }
    let stats = first.4;
    assert_eq!(
        stats.unparsed, 0,
        "{name}: the generator wrote a statement `queries` cannot parse"
    );
    assert_eq!(
        first.7, 0,
        "{name}: the generator wrote a statement sqlparser cannot parse"
    );
    Row {
        name,
        bytes,
        statements: stmts.len(),
        distinct: stats.distinct,
        analysis: best.0,
        read: best.1,
        report: best.2,
        bare: best.3,
        runs,
        stats,
        findings: first.5,
        report_bytes: first.6,
        bare_errors: first.7,
    }
}
