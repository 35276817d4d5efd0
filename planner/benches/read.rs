//! Benchmark of reading a dump, against bare sqlparser parsing of the same statements.
//!
//! `cargo bench --bench read` measures, for every Postgres dump in `../shared/schemas/real/` and
//! for synthetic pg_dump-style dumps of 1k, 10k and 100k tables (see `synth.rs`):
//!
//! * **split**: `silo_plan::dump::split::split` alone;
//! * **read**: `silo_plan::dump::read`, the whole reader (line index, split, lowering into a
//!   `Catalog`, dropping it);
//! * **bare**: the baseline a user could reach for: the same split, then
//!   `sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, stmt)` on every statement,
//!   dropping each AST (a parse error counts as parsed).
//!
//! The three are measured in interleaved rounds, repeated until each has taken about 0.3 s (at
//! least twice), and the best round is reported. Times are the measuring thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`), so that other processes on a busy machine do not inflate them;
//! wall time is shown next to it. The peak memory of reading the 100k dump is measured in a child process
//! (this binary again, with `SILO_BENCH_CHILD` set) that reads the dump from a file, as the
//! command would, and reports `VmHWM` from `/proc/self/status`.
//!
//! Arguments: words filter the inputs by substring (`cargo bench --bench read -- lago`);
//! `--quick` runs everything once and skips the memory children (CI smoke); `--no-mem` skips
//! the memory children; `--kinds` also times read and bare per statement kind (where the time
//! goes). Numbers are recorded in BENCHMARKS.md.

#[path = "common.rs"]
mod common;
#[path = "synth.rs"]
mod synth;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{ms, ratio, vm_hwm_kb, wall_ms, wall_ratio, Stopwatch, T};
use silo_plan::catalog::Catalog;
use silo_plan::dump::split::{split, PieceKind};
use silo_plan::dump::{self, Dialect, ReadOptions};
use silo_plan::source::SourceFile;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// How long the repeats of one measurement should take together.
const BUDGET: Duration = Duration::from_millis(300);
/// Never more repeats than this.
const MAX_RUNS: usize = 200;
/// Table counts of the synthetic dumps.
const SYNTH: &[usize] = &[1_000, 10_000, 100_000];
/// The environment variable that turns this binary into a memory-measuring child.
const CHILD_ENV: &str = "SILO_BENCH_CHILD";

fn main() {
    common::configure_allocator();
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    let mut quick = false;
    let mut mem = true;
    let mut kinds = false;
    let mut filters: Vec<String> = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--quick" => quick = true,
            "--no-mem" => mem = false,
            "--kinds" => kinds = true,
            // cargo passes --bench to harness=false benches; ignore other flags likewise.
            s if s.starts_with("--") => {}
            s => filters.push(s.to_lowercase()),
        }
    }
    if quick {
        mem = false;
    }

    let inputs: Vec<Input> = all_inputs()
        .into_iter()
        .filter(|i| filters.is_empty() || filters.iter().any(|f| i.name.contains(f.as_str())))
        .collect();
    if inputs.is_empty() {
        eprintln!("no input matches {filters:?}");
        std::process::exit(2);
    }

    println!(
        "silo-plan read benchmark. Times are CPU time of the measuring thread \
         (CLOCK_THREAD_CPUTIME_ID), {}; `read wall` is wall time. MB = 10^6 bytes.",
        if quick {
            "one run (--quick)"
        } else {
            "best of N rounds of split, read, bare (N adaptive to ~0.3 s each, at least 2)"
        }
    );
    println!();
    println!(
        "{:<26} {:>8} {:>7} {:>9} {:>9} {:>9} {:>6} {:>9} {:>9} {:>10} {:>4}",
        "input",
        "KB",
        "stmts",
        "split ms",
        "read ms",
        "bare ms",
        "r/b",
        "read MB/s",
        "bare MB/s",
        "read wall",
        "N"
    );

    let mut rows: Vec<Row> = Vec::new();
    for input in &inputs {
        let (text, expect) = input.load();
        let row = bench_one(input, &text, expect.as_ref(), quick);
        row.print();
        if kinds {
            by_kind(&text, quick);
        }
        rows.push(row);
    }

    println!();
    sanity(&rows);
    println!();
    summary(&rows, quick);
    if mem {
        println!();
        memory(&inputs);
    }
}

/// One input to measure.
struct Input {
    name: String,
    source: Source,
}

enum Source {
    File(PathBuf),
    Synth(usize),
}

impl Input {
    /// The text and, for a synthetic dump, what it holds.
    fn load(&self) -> (String, Option<synth::Counts>) {
        match &self.source {
            Source::File(p) => (
                std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
                None,
            ),
            Source::Synth(n) => {
                let s = synth::generate_with_counts(*n, synth::SEED);
                (s.text, Some(s.counts))
            }
        }
    }
}

fn synth_name(n: usize) -> String {
    format!("synth-{}k", n / 1000)
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/real")
}

fn all_inputs() -> Vec<Input> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| {
        let n = p.file_name().unwrap_or_default().to_string_lossy();
        n.ends_with(".sql") && !n.contains("mysql")
    });
    files.sort();
    let mut out: Vec<Input> = files
        .into_iter()
        .map(|p| Input {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            source: Source::File(p),
        })
        .collect();
    if out.is_empty() {
        eprintln!(
            "warning: no corpus dumps found in {}",
            corpus_dir().display()
        );
    }
    for &n in SYNTH {
        out.push(Input {
            name: synth_name(n),
            source: Source::Synth(n),
        });
    }
    out
}

/// The results for one input.
struct Row {
    name: String,
    synth: Option<usize>,
    bytes: usize,
    statements: usize,
    split: T,
    read: T,
    bare: T,
    runs: usize,
    /// What the reader found.
    tables: usize,
    foreign_keys: usize,
    indexes: usize,
    sequences: usize,
    views: usize,
    triggers: usize,
    unparsed: usize,
    /// What the generator wrote (synthetic dumps only).
    expect: Option<synth::Counts>,
    /// Statements sqlparser rejected in the bare run.
    bare_errors: usize,
}

impl Row {
    fn print(&self) {
        let mb = self.bytes as f64 / 1e6;
        println!(
            "{:<26} {:>8.0} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>6.2} {:>9.1} {:>9.1} {:>10.2} {:>4}",
            self.name,
            self.bytes as f64 / 1e3,
            self.statements,
            ms(self.split),
            ms(self.read),
            ms(self.bare),
            ratio(self.read, self.bare),
            mb / self.read.cpu.as_secs_f64(),
            mb / self.bare.cpu.as_secs_f64(),
            wall_ms(self.read),
            self.runs
        );
    }
}

/// Runs `f` once, then again until about [`BUDGET`] has passed (at least twice in all); returns
/// the best time and the number of runs.
fn measure<R>(quick: bool, mut f: impl FnMut() -> (T, R)) -> (T, usize, R) {
    let (first, r) = f();
    if quick {
        return (first, 1, r);
    }
    let want = ((BUDGET.as_secs_f64() / first.wall.as_secs_f64().max(1e-9)).ceil() as usize)
        .clamp(2, MAX_RUNS);
    let mut best = first;
    let mut last = r;
    for _ in 1..want {
        let (t, r) = f();
        best = best.min(t);
        last = r;
    }
    (best, want, last)
}

/// Runs a round of (split, read, bare) once, then again until each measurement has taken about
/// [`BUDGET`] (at least twice in all); returns the number of rounds and the best time of each.
fn interleaved(
    quick: bool,
    mut round: impl FnMut() -> (T, T, T, Counts, usize),
) -> (usize, (T, T, T, Counts, usize)) {
    let first = round();
    if quick {
        return (1, first);
    }
    let total = (first.0.wall + first.1.wall + first.2.wall)
        .as_secs_f64()
        .max(1e-9);
    let want = ((3.0 * BUDGET.as_secs_f64() / total).ceil() as usize).clamp(2, MAX_RUNS);
    let mut best = first;
    for _ in 1..want {
        let r = round();
        best.0 = best.0.min(r.0);
        best.1 = best.1.min(r.1);
        best.2 = best.2.min(r.2);
        best.3 = r.3;
        best.4 = r.4;
    }
    (want, best)
}

/// The baseline: split, then sqlparser on every statement, dropping each AST.
/// Returns (statements, parse errors).
fn bare(text: &str) -> (usize, usize) {
    let mut n = 0;
    let mut errors = 0;
    for p in &split(text, Dialect::Postgres) {
        if p.kind != PieceKind::Statement {
            continue;
        }
        n += 1;
        match Parser::parse_sql(&PostgreSqlDialect {}, p.sql(text)) {
            Ok(ast) => drop(black_box(ast)),
            Err(e) => {
                drop(black_box(e));
                errors += 1;
            }
        }
    }
    (n, errors)
}

/// The whole reader, from the text to a dropped catalog. The text is cloned before the clock
/// starts, since `SourceFile` takes it by value.
fn read_timed(name: &str, text: &str) -> (T, Counts) {
    let owned = text.to_string();
    let t0 = Stopwatch::start();
    let src = SourceFile::new(name, owned);
    let cat = dump::read(std::slice::from_ref(&src), &ReadOptions::default());
    let counts = Counts::of(&cat);
    drop(black_box(cat));
    let t = t0.stop();
    drop(src);
    (t, counts)
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tables: usize,
    foreign_keys: usize,
    indexes: usize,
    sequences: usize,
    views: usize,
    triggers: usize,
    unparsed: usize,
}

impl Counts {
    fn of(c: &Catalog) -> Self {
        Counts {
            tables: c.tables.len(),
            foreign_keys: c.foreign_keys.len(),
            indexes: c.indexes.len(),
            sequences: c.sequences.len(),
            views: c.views.len(),
            triggers: c.triggers.len(),
            unparsed: c.unparsed.len(),
        }
    }
}

fn bench_one(input: &Input, text: &str, expect: Option<&synth::Counts>, quick: bool) -> Row {
    let statements = split(text, Dialect::Postgres)
        .iter()
        .filter(|p| p.kind == PieceKind::Statement)
        .count();
    // Interleaved, so that load from other processes hits the three measurements alike and
    // the ratio stays meaningful on a busy machine.
    let (rounds, (t_split, t_read, t_bare, counts, bare_errors)) = interleaved(quick, || {
        let t0 = Stopwatch::start();
        let pieces = black_box(split(black_box(text), Dialect::Postgres));
        let t_split = t0.stop();
        drop(pieces);
        let (t_read, counts) = read_timed(&input.name, text);
        let t0 = Stopwatch::start();
        let (_, errors) = bare(black_box(text));
        (t_split, t_read, t0.stop(), counts, errors)
    });
    let runs = rounds;
    let synth = match input.source {
        Source::Synth(n) => Some(n),
        Source::File(_) => None,
    };
    if let (Some(n), Some(e)) = (synth, expect) {
        // A reader that loses objects must not look fast.
        assert_eq!(
            counts.tables, n,
            "{}: the reader found {} tables, the dump has {n}",
            input.name, counts.tables
        );
        assert_eq!(
            counts.foreign_keys, e.foreign_keys,
            "{}: the reader found {} foreign keys, the dump has {}",
            input.name, counts.foreign_keys, e.foreign_keys
        );
    }
    Row {
        name: input.name.clone(),
        synth,
        bytes: text.len(),
        statements,
        split: t_split,
        read: t_read,
        bare: t_bare,
        runs,
        tables: counts.tables,
        foreign_keys: counts.foreign_keys,
        indexes: counts.indexes,
        sequences: counts.sequences,
        views: counts.views,
        triggers: counts.triggers,
        unparsed: counts.unparsed,
        expect: expect.cloned(),
        bare_errors,
    }
}

/// What the reader found per input, and for synthetic dumps what the generator wrote.
fn sanity(rows: &[Row]) {
    println!("what was read (synthetic: found/written; bare errs = statements sqlparser rejects)");
    println!(
        "{:<26} {:>13} {:>13} {:>13} {:>13} {:>9} {:>9} {:>8} {:>9}",
        "input",
        "tables",
        "fks",
        "indexes",
        "sequences",
        "views",
        "triggers",
        "unparsed",
        "bare errs"
    );
    for r in rows {
        let pair = |found: usize, want: Option<usize>| match want {
            Some(w) if w == found => format!("{found}"),
            Some(w) => format!("{found}/{w}"),
            None => format!("{found}"),
        };
        let e = r.expect.as_ref();
        println!(
            "{:<26} {:>13} {:>13} {:>13} {:>13} {:>9} {:>9} {:>8} {:>9}",
            r.name,
            pair(r.tables, e.map(|e| e.tables)),
            pair(r.foreign_keys, e.map(|e| e.foreign_keys)),
            pair(r.indexes, e.map(|e| e.indexes)),
            pair(r.sequences, e.map(|e| e.sequences)),
            pair(r.views, e.map(|e| e.views)),
            pair(r.triggers, e.map(|e| e.triggers)),
            r.unparsed,
            r.bare_errors
        );
    }
}

/// The targets of issue 3 and DESIGN.md, met or not.
fn summary(rows: &[Row], quick: bool) {
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    println!(
        "targets (CPU time; wall time in brackets){}",
        if quick {
            " (--quick: single runs, noisy)"
        } else {
            ""
        }
    );
    if let Some(l) = rows.iter().find(|r| r.name == "lago-api.sql") {
        let q = ratio(l.read, l.bare);
        println!(
            "  lago-api.sql read / bare parse <= 1.5x: {q:.2}x ({:.2} ms / {:.2} ms) [{:.2}x]  {}",
            ms(l.read),
            ms(l.bare),
            wall_ratio(l.read, l.bare),
            verdict(q <= 1.5)
        );
    }
    let by_n = |n: usize| rows.iter().find(|r| r.synth == Some(n));
    if let (Some(a), Some(b)) = (by_n(10_000), by_n(100_000)) {
        let q = ratio(b.read, a.read);
        println!(
            "  read 100k / 10k tables <= 11x: {q:.2}x ({:.0} ms / {:.1} ms) [{:.2}x]  {}  \
             (bare {:.2}x, split {:.2}x)",
            ms(b.read),
            ms(a.read),
            wall_ratio(b.read, a.read),
            verdict(q <= 11.0),
            ratio(b.bare, a.bare),
            ratio(b.split, a.split)
        );
    }
    if let Some(b) = by_n(100_000) {
        let s = b.read.cpu.as_secs_f64();
        println!(
            "  read 100k tables ({:.0} MB) <= 3 s (DESIGN states it for a whole `plan`): \
             {s:.2} s [{:.2} s]  {}",
            b.bytes as f64 / 1e6,
            b.read.wall.as_secs_f64(),
            verdict(s <= 3.0)
        );
    }
    let synth: Vec<&Row> = rows.iter().filter(|r| r.synth.is_some()).collect();
    if synth.len() > 1 {
        let per_mb: Vec<String> = synth
            .iter()
            .map(|r| format!("{} {:.1}", r.name, ms(r.read) / (r.bytes as f64 / 1e6)))
            .collect();
        println!(
            "  read cost per MB (ms/MB), flat is the goal: {}",
            per_mb.join(", ")
        );
    }
    let files: Vec<&Row> = rows.iter().filter(|r| r.synth.is_none()).collect();
    if !files.is_empty() {
        let (rd, bd, sd, by): (f64, f64, f64, usize) =
            files.iter().fold((0.0, 0.0, 0.0, 0), |a, r| {
                (
                    a.0 + ms(r.read),
                    a.1 + ms(r.bare),
                    a.2 + ms(r.split),
                    a.3 + r.bytes,
                )
            });
        println!(
            "  corpus ({} files, {:.0} KB): read {rd:.1} ms, bare {bd:.1} ms, split {sd:.1} ms, \
             read/bare {:.2}x",
            files.len(),
            by as f64 / 1e3,
            rd / bd
        );
    }
}

/// Times read and bare on the statements of each kind alone (a file of just those
/// statements), to show where the time goes.
fn by_kind(text: &str, quick: bool) {
    let mut groups: BTreeMap<String, String> = BTreeMap::new();
    for p in &split(text, Dialect::Postgres) {
        if p.kind != PieceKind::Statement {
            continue;
        }
        let sql = p.sql(text);
        let g = groups.entry(kind_of(sql)).or_default();
        g.push_str(sql);
        g.push_str(";\n");
    }
    let mut rows: Vec<(String, usize, usize, T, T)> = Vec::new();
    for (k, body) in &groups {
        let n = split(body, Dialect::Postgres)
            .iter()
            .filter(|p| p.kind == PieceKind::Statement)
            .count();
        let (tr, _, _) = measure(quick, || read_timed(k, body));
        let (tb, _, _) = measure(quick, || {
            let t0 = Stopwatch::start();
            let r = bare(body);
            (t0.stop(), r)
        });
        rows.push((k.clone(), n, body.len(), tr, tb));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.3.cpu));
    println!(
        "    {:<34} {:>7} {:>8} {:>9} {:>9} {:>6}",
        "statement kind", "stmts", "KB", "read ms", "bare ms", "r/b"
    );
    for (k, n, bytes, tr, tb) in rows {
        println!(
            "    {:<34} {:>7} {:>8.0} {:>9.2} {:>9.2} {:>6.2}",
            k,
            n,
            bytes as f64 / 1e3,
            ms(tr),
            ms(tb),
            ratio(tr, tb)
        );
    }
}

/// The first keywords of a statement, enough to tell its kind.
fn kind_of(sql: &str) -> String {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| w.to_uppercase())
        .collect();
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    match (w(0), w(1)) {
        ("ALTER", "TABLE") => {
            // ALTER TABLE [IF EXISTS] [ONLY] name <action> ...
            let mut i = 2;
            while matches!(w(i), "IF" | "EXISTS" | "ONLY") {
                i += 1;
            }
            let action = w(i + 1);
            let detail = if action == "ADD" && w(i + 2) == "CONSTRAINT" {
                match w(i + 4) {
                    "FOREIGN" => "ADD CONSTRAINT FOREIGN KEY",
                    "PRIMARY" => "ADD CONSTRAINT PRIMARY KEY",
                    "UNIQUE" => "ADD CONSTRAINT UNIQUE",
                    "CHECK" => "ADD CONSTRAINT CHECK",
                    _ => "ADD CONSTRAINT other",
                }
            } else if action == "ALTER" {
                "ALTER COLUMN"
            } else {
                action
            };
            format!("ALTER TABLE {detail}")
        }
        ("CREATE", "OR") => format!("CREATE OR REPLACE {}", w(3)),
        ("CREATE", "UNIQUE") => "CREATE INDEX".into(),
        ("CREATE", x @ ("MATERIALIZED" | "UNLOGGED" | "TEMPORARY" | "DEFAULT")) => {
            format!("CREATE {x} {}", w(2))
        }
        (a @ ("CREATE" | "ALTER" | "DROP" | "COMMENT" | "GRANT" | "REVOKE"), b) => {
            format!("{a} {b}")
        }
        (a, _) => a.to_string(),
    }
}

/// Peak memory of reading the 100k dump (and of the bare baseline), each in a child process
/// that reads the dump from a file.
fn memory(inputs: &[Input]) {
    let Some(n) = inputs.iter().find_map(|i| match i.source {
        Source::Synth(n) if n >= 100_000 => Some(n),
        _ => None,
    }) else {
        return;
    };
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}.sql", synth_name(n)));
    if let Err(e) = std::fs::write(&path, synth::generate(n, synth::SEED)) {
        println!("memory: cannot write {}: {e}", path.display());
        return;
    }
    println!(
        "peak memory (VmHWM of a child process that reads {} from a file; \"text\" is the \
         process after loading the file, before parsing)",
        synth_name(n)
    );
    for mode in ["read", "bare"] {
        let m = match common::memory_child(CHILD_ENV, &format!("{mode}:{}", path.display())) {
            Ok(m) => m,
            Err(e) => {
                println!("  {mode}: {e}");
                continue;
            }
        };
        let target = if mode == "read" {
            format!(
                "  (target <= 1 GiB: {})",
                if m.peak_gib() <= 1.0 {
                    "met"
                } else {
                    "NOT MET"
                }
            )
        } else {
            String::new()
        };
        println!(
            "  {mode:<5} peak {:>7.0} MiB ({:.2} GiB), text {:>5.0} MiB, {:>7.0} ms CPU \
             [{:.0} ms wall]{target}",
            m.peak_mib(),
            m.peak_gib(),
            m.text_mib(),
            m.cpu_ms,
            m.wall_ms
        );
    }
    let _ = std::fs::remove_file(&path);
}

/// The memory child: `SILO_BENCH_CHILD=read:PATH` or `bare:PATH`.
fn child(spec: &str) {
    let (mode, path) = spec.split_once(':').expect("SILO_BENCH_CHILD=mode:path");
    let text = std::fs::read_to_string(path).expect("read the dump");
    let text_kb = vm_hwm_kb();
    let t0 = Stopwatch::start();
    match mode {
        "read" => {
            let src = SourceFile::new(path, text);
            let cat = dump::read(std::slice::from_ref(&src), &ReadOptions::default());
            black_box(&cat);
        }
        "bare" => {
            black_box(bare(&text));
        }
        m => panic!("unknown child mode {m}"),
    }
    let t = t0.stop();
    println!(
        "peak_kb {} text_kb {text_kb} ms {:.0} wall_ms {:.0}",
        vm_hwm_kb(),
        ms(t),
        wall_ms(t)
    );
}
