//! Benchmark of the whole `check` and `plan` pipelines, stage by stage, against reading the dump
//! alone.
//!
//! `cargo bench --bench pipeline` runs, for lago-api.sql (`../shared/schemas/real/`) and for
//! synthetic pg_dump-style dumps of 1k, 10k and 100k tables (see `synth.rs`), what
//! `silo-plan check` and `silo-plan plan` do (planner/main.rs), each stage timed on its own.
//! Each is split in two silos by a config this bench writes ([`split_config`]): by name parity
//! (`lago-api.sql`, `synth-*`: a worst case where half of the keys cross) and, for the 10k and
//! 100k dumps again, in two blocks as real splits look (`blocks-*`: one key in 18 crosses).
//! The stages:
//!
//! * **read**: `SourceFile::new` and `dump::read` (the catalog is kept for the next stages);
//! * **config**: `config::parse` of a two-silo `silo-plan.toml` written by this bench (see
//!   [`split_config`]);
//! * **assign**: `assign::assign` and `assign::match_rules`;
//! * **graph**: `graph::build`;
//! * **check**: `check::check`: the findings, before any formatting;
//! * **report**: `report::render` of the findings as text, no colour (what `check` prints);
//! * **plan**: `plan::build`;
//! * **render**: `render::render_each`: every file of the plan directory, each dropped as soon
//!   as it is rendered, as the command does after writing it (the writes are not timed);
//! * **drop**: dropping all of the above;
//! * **infer**: what `check` does after `config` when inference is on (the default, issue 21):
//!   `refs_resolve::resolve` (which infers the references the dump's names imply and appends
//!   them to the catalog), then assign, graph and check again over the longer reference list.
//!   The stages above run with the dump's constraints only, as `[defaults] infer_references =
//!   false` makes them; this one is counted in no cumulative figure: the target is read, config
//!   and infer together at most 1.2x `check` without inference. The first round also times inference blind
//!   to the constraints (`infer::infer(&cat, &[])`, printed with the parts): what it costs when
//!   every key column is inferred.
//!
//! Cumulative figures: `check` = read + config + assign + graph + check (the command without
//! printing its findings; `check+report` adds the text report), `plan` = the same + plan +
//! render (the command without writing its files; `plan` computes the findings too, but does
//! not format them). Each cumulative figure is the best round's sum, compared with the best
//! `read` (the targets of issues 4 and 5: `check` at most 1.3x, `plan` at most 2x reading the
//! dump alone). Drop is shown apart and counted in neither.
//!
//! Rounds are repeated until they have taken about [`BUDGET`] together (at least twice; the 100k
//! dump exactly twice) and the best time of each stage is reported. Times are the measuring
//! thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`, see `common.rs`), as in `read.rs`. The peak
//! memory of `read`, `check` and `plan` on the 100k dump is measured in child processes (this
//! binary again, with `SILO_BENCH_CHILD` set) that load the config and the dump from files as
//! the command does.
//!
//! Arguments: words filter the inputs by substring (`cargo bench --bench pipeline -- lago`);
//! `--quick` runs everything once and skips the memory children; `--no-mem` skips the memory
//! children; `--write-inputs DIR` only writes each input and its config to `DIR/<input>/` (to
//! run `silo-plan plan` on them and compare its output before and after a change). Numbers are
//! recorded in BENCHMARKS.md.

#[path = "common.rs"]
mod common;
#[path = "synth.rs"]
mod synth;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{ms, ratio, vm_hwm_kb, wall_ms, Stopwatch, T};
use silo_plan::assign;
use silo_plan::catalog::{Catalog, QName};
use silo_plan::check::{self, CheckOptions};
use silo_plan::config::{self, Config, EdgeAction};
use silo_plan::dump::{self, ReadOptions};
use silo_plan::findings::Code;
use silo_plan::plan;
use silo_plan::render;
use silo_plan::report::{self, ReportFormat, Sources};
use silo_plan::source::SourceFile;
use silo_plan::{closure, graph, infer, references, refs_resolve};

/// How long the rounds of one input should take together.
const BUDGET: Duration = Duration::from_secs(3);
/// Never more rounds than this.
const MAX_RUNS: usize = 100;
/// Table counts of the synthetic dumps.
const SYNTH: &[usize] = &[1_000, 10_000, 100_000];
/// From this many tables on, exactly two rounds.
const BIG: usize = 100_000;
/// The environment variable that turns this binary into a memory-measuring child.
const CHILD_ENV: &str = "SILO_BENCH_CHILD";
/// Default cap on the cascade-closure steps of a plan (see `closure_steps`): above it, `plan`
/// and `render` are skipped. synth-10k has about 2 million, and its plan files take 745 MB.
const MAX_CLOSURE_STEPS: u64 = 5_000_000;
/// The config's path, as `config::parse` is told (it only appears in messages and plan.json).
const CONFIG_PATH: &str = "silo-plan.toml";

/// The measured stages, in pipeline order.
const STAGES: [&str; 10] = [
    "read", "config", "assign", "graph", "check", "report", "plan", "render", "drop", "infer",
];
const READ: usize = 0;
const CHECK: usize = 4;
const REPORT: usize = 5;
const RENDER: usize = 7;
const DROP: usize = 8;
const INFER: usize = 9;

fn main() {
    common::configure_allocator();
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    let mut quick = false;
    let mut mem = true;
    let mut cap = MAX_CLOSURE_STEPS;
    let mut filters: Vec<String> = Vec::new();
    let mut write_to: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--max-closure-steps" => {
                cap = args
                    .next()
                    .and_then(|v| v.replace('_', "").parse().ok())
                    .expect("--max-closure-steps N");
            }
            "--no-mem" => mem = false,
            "--write-inputs" => {
                write_to = Some(PathBuf::from(args.next().expect("--write-inputs DIR")));
            }
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
    if let Some(dir) = write_to {
        write_inputs(&inputs, &dir);
        return;
    }

    println!(
        "silo-plan pipeline benchmark: `check` and `plan` stage by stage. Times are CPU time of \
         the measuring thread (CLOCK_THREAD_CPUTIME_ID), {}; wall time in brackets.",
        if quick {
            "one run (--quick)"
        } else {
            "best of N rounds (N adaptive to ~3 s per input, at least 2; 100k: 2)"
        }
    );
    println!(
        "check = read+config+assign+graph+check; plan = check+plan+render; report (the text of \
         the findings) and drop are apart."
    );

    let mut results: Vec<Measured> = Vec::new();
    for input in &inputs {
        let text = input.load();
        let r = bench_one(input, &text, quick, cap);
        r.print();
        results.push(r);
    }
    println!();
    scaling(&results);
    println!();
    summary(&results, quick);
    if mem {
        println!();
        memory(&inputs, &results);
    }
}

/// `--write-inputs DIR`: writes each input's dump and the config this bench splits it with
/// to `DIR/<input>/`, so `silo-plan plan DIR/<input>/silo-plan.toml` runs on exactly what the
/// bench measures (for comparing the plan output before and after a change). Measures nothing.
fn write_inputs(inputs: &[Input], dir: &Path) {
    for input in inputs {
        let text = input.load();
        let sources = vec![SourceFile::new(&input.name, text)];
        let cat = dump::read(&sources, &ReadOptions::default());
        let d = dir.join(&input.name);
        let written = std::fs::create_dir_all(&d)
            .and_then(|_| std::fs::write(d.join(&input.name), &sources[0].text))
            .and_then(|_| {
                let config = split_config(&cat, &input.name, input.split);
                std::fs::write(d.join(CONFIG_PATH), config)
            });
        match written {
            Ok(()) => println!("{}", d.join(CONFIG_PATH).display()),
            Err(e) => {
                eprintln!("{}: {e}", d.display());
                std::process::exit(1);
            }
        }
    }
}

/// One input to measure.
struct Input {
    name: String,
    source: Source,
    /// How the bench's config splits it.
    split: Split,
}

/// How [`split_config`] places the root tables in silos `a` and `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// By the parity of the name's byte sum ([`silo_of`]): neighbouring tables land apart, so
    /// about half of the foreign keys cross. A worst case, far from any real split, kept as the
    /// main measurement because it loads every part of `plan` with the most work.
    Parity,
    /// The first tenth of the tables (in dump order) in silo `a`, the rest in `b`: the shape of
    /// a real split such as Sentry's (a small control silo that the rest references). On the
    /// synthetic dumps, where foreign keys point to earlier tables, mostly near ones, about one
    /// key in 18 crosses.
    Blocks,
}

impl Split {
    fn describe(self) -> &'static str {
        match self {
            Split::Parity => "root tables split by the parity of their name's byte sum",
            Split::Blocks => "the first tenth of the root tables in silo a, the rest in silo b",
        }
    }
}

enum Source {
    File(PathBuf),
    Synth(usize),
}

impl Input {
    fn load(&self) -> String {
        match &self.source {
            Source::File(p) => {
                std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            }
            Source::Synth(n) => synth::generate(*n, synth::SEED),
        }
    }

    fn synth(&self) -> Option<usize> {
        match self.source {
            Source::Synth(n) => Some(n),
            Source::File(_) => None,
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
    let mut out = Vec::new();
    let lago = corpus_dir().join("lago-api.sql");
    if lago.exists() {
        out.push(Input {
            name: "lago-api.sql".into(),
            source: Source::File(lago),
            split: Split::Parity,
        });
    } else {
        eprintln!("warning: {} not found", lago.display());
    }
    for &n in SYNTH {
        out.push(Input {
            name: synth_name(n),
            source: Source::Synth(n),
            split: Split::Parity,
        });
    }
    // The same dumps split as real teams split (after the parity ones, which `scaling` and the
    // memory children use).
    for &n in &SYNTH[1..] {
        out.push(Input {
            name: format!("blocks-{}k", n / 1000),
            source: Source::Synth(n),
            split: Split::Blocks,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The config.

/// The two-silo rule of the corpus tests (planner/tests/it/corpus.rs): silo `a` for a table
/// whose name's UTF-8 bytes have an even sum, `b` otherwise. On the synthetic dumps (names
/// `t_00000`...) it splits by digit-sum parity, so neighbouring tables (where most foreign keys
/// point) land apart: about half the foreign keys cross.
fn silo_of(table: &str) -> &'static str {
    if table.bytes().map(u32::from).sum::<u32>() % 2 == 0 {
        "a"
    } else {
        "b"
    }
}

/// A name a pattern cannot state exactly (see corpus.rs): such tables stay unassigned.
fn unexpressible(part: &str) -> bool {
    part.is_empty() || part.contains(['.', '*', '?']) || part.trim() != part
}

/// A TOML string holding `s` exactly.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A `silo-plan.toml` for `cat`: every root table (not a partition) listed by exact
/// `schema.table` name in silo `a` or `b` as `split` says, views left unassigned (as in the
/// corpus tests), and a few `[[allow]]` and `[[edges]]` entries on crossing foreign keys so
/// that `match_rules` and the allowed-crossing path do some work.
fn split_config(cat: &Catalog, dump_path: &str, split: Split) -> String {
    let roots = cat
        .tables
        .iter()
        .filter(|t| t.partition_of.is_none())
        .count();
    // Position among the root tables, for `Split::Blocks`.
    let position: HashMap<(&str, &str), usize> = cat
        .tables
        .iter()
        .filter(|t| t.partition_of.is_none())
        .enumerate()
        .map(|(i, t)| ((t.schema.as_str(), t.name.as_str()), i))
        .collect();
    let placed = |schema: &str, name: &str| -> Option<&'static str> {
        if unexpressible(schema) || unexpressible(name) {
            return None;
        }
        Some(match split {
            Split::Parity => silo_of(name),
            Split::Blocks
                if position
                    .get(&(schema, name))
                    .is_some_and(|&i| i < roots / 10) =>
            {
                "a"
            }
            Split::Blocks => "b",
        })
    };
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut left_out = false;
    for t in &cat.tables {
        if t.partition_of.is_some() {
            continue;
        }
        match placed(&t.schema, &t.name) {
            Some("a") => a.push(toml_string(&format!("{}.{}", t.schema, t.name))),
            Some(_) => b.push(toml_string(&format!("{}.{}", t.schema, t.name))),
            None => left_out = true,
        }
    }
    // Crossing foreign keys between root tables, each constraint name used once.
    let mut names: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for fk in &cat.foreign_keys {
        *names.entry(fk.name.as_str()).or_default() += 1;
    }
    let root = |q: &silo_plan::catalog::QName| {
        cat.table(q)
            .filter(|t| t.partition_of.is_none())
            .and_then(|t| placed(&t.schema, &t.name))
    };
    let crossing: Vec<&str> = cat
        .foreign_keys
        .iter()
        .filter(|fk| names[fk.name.as_str()] == 1)
        .filter(|fk| match (root(&fk.table), root(&fk.references)) {
            (Some(x), Some(y)) => x != y,
            _ => false,
        })
        .map(|fk| fk.name.as_str())
        .take(6)
        .collect();

    let mut s = format!(
        "# Written by planner/benches/pipeline.rs: {}.\nversion = 1\nschema = [{}]\n\n\
         [defaults]\non_delete = \"cascade\"\nunassigned = \"{}\"\n",
        split.describe(),
        toml_string(dump_path),
        if left_out { "warn" } else { "error" }
    );
    for (silo, tables) in [("a", &a), ("b", &b)] {
        s.push_str(&format!("\n[silos.{silo}]\ntables = [\n"));
        for t in tables.iter() {
            s.push_str(&format!("    {t},\n"));
        }
        s.push_str("]\n");
    }
    for (i, c) in crossing.iter().enumerate() {
        if i % 2 == 0 {
            s.push_str(&format!(
                "\n[[allow]]\nconstraint = {}\nreason = \"benchmark: accepted for now\"\n",
                toml_string(c)
            ));
        } else {
            s.push_str(&format!(
                "\n[[edges]]\nconstraint = {}\non_delete = \"set-null\"\n",
                toml_string(c)
            ));
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/// What one round produced, to show that the stages did their work.
#[derive(Default, Clone)]
struct Outcome {
    tables: usize,
    foreign_keys: usize,
    views: usize,
    functions: usize,
    findings: usize,
    crossings: usize,
    report_bytes: usize,
    /// Whether `plan` and `render` ran (see [`closure_steps`]).
    planned: bool,
    plan_crossings: usize,
    /// Parents whose cascade closure the plan lists.
    closures: usize,
    /// Steps of all those closures (counted by [`closure_steps`]; `None` past the cap).
    closure_steps: Option<u64>,
    files: usize,
    out_bytes: usize,
    config_bytes: usize,
    /// References `infer` found.
    inferred: usize,
    /// References `infer` found when given no constraint.
    inferred_blind: usize,
}

/// What the rounds of one input share: the config text and whether `plan` can run at all.
struct State {
    /// Written from the first round's catalog.
    cfg_text: Option<String>,
    /// (parents, steps) of the cascade closures, counted in the first round.
    closures: Option<(usize, Option<u64>)>,
    /// Closure steps beyond which `plan` and `render` are skipped.
    cap: u64,
    /// How the config splits the dump.
    split: Split,
}

/// Parts of `plan` and `render` timed on their own (first round only), to show where their
/// time goes; they overlap the `plan` and `render` stages and are not added to anything.
type Parts = Vec<(&'static str, T)>;

/// One round: every stage once, each timed on its own. With `parts`, also the parts of `plan`
/// and `render` (after the stages, so they do not disturb them).
fn round(name: &str, text: &str, st: &mut State, parts: bool) -> ([T; 10], Outcome, Parts) {
    let mut t = [T::ZERO; 10];
    let owned = text.to_string();

    let sw = Stopwatch::start();
    let sources = vec![SourceFile::new(name, owned)];
    let cat = dump::read(&sources, &ReadOptions::default());
    t[0] = sw.stop();

    // Written once per input, from the first round's catalog, outside the clock (a user
    // writes it once; `check` reads and parses it, which is timed).
    let split = st.split;
    let cfg_text: &str = st
        .cfg_text
        .get_or_insert_with(|| split_config(&cat, name, split));

    let sw = Stopwatch::start();
    let cfg: Config =
        config::parse(CONFIG_PATH, cfg_text).unwrap_or_else(|e| panic!("{name}: config: {e}"));
    t[1] = sw.stop();

    let sw = Stopwatch::start();
    let asg = assign::assign(&cat, &cfg).unwrap_or_else(|e| panic!("{name}: assign: {e}"));
    let rules =
        assign::match_rules(&cat, &cfg).unwrap_or_else(|e| panic!("{name}: match_rules: {e}"));
    t[2] = sw.stop();

    let sw = Stopwatch::start();
    let g = graph::build(&cat, |i| sources.get(i as usize).map(|s| s.text.as_str()));
    t[3] = sw.stop();

    let pin = plan::Input {
        cat: &cat,
        sources: &sources,
        cfg: &cfg,
        asg: &asg,
        rules: &rules,
        graph: &g,
    };
    let sw = Stopwatch::start();
    // Without the dump files, as before `check` took the bundle: findings without a column.
    let findings = check::check(
        &plan::Input {
            sources: &[],
            ..pin
        },
        CheckOptions { strict: false },
    );
    t[4] = sw.stop();

    let sw = Stopwatch::start();
    let text_report = {
        let s = Sources::new(&sources).with_extra(&cfg.path, cfg_text);
        report::render(&findings, &s, ReportFormat::Text, false)
    };
    t[5] = sw.stop();

    let cap = st.cap;
    let (parents, steps) = *st
        .closures
        .get_or_insert_with(|| closure_steps(&cat, &cfg, &asg, &rules, cap));
    let mut out = Outcome {
        tables: cat.tables.len(),
        foreign_keys: cat.foreign_keys.len(),
        views: cat.views.len(),
        functions: cat.functions.len(),
        findings: findings.len(),
        crossings: findings
            .iter()
            .filter(|f| f.code == Code::CrossSiloForeignKey)
            .count(),
        report_bytes: text_report.len(),
        closures: parents,
        closure_steps: steps,
        config_bytes: cfg_text.len(),
        ..Outcome::default()
    };
    let mut planned = None;
    if steps.is_some() {
        let sw = Stopwatch::start();
        let p = plan::build(&pin, &findings);
        t[6] = sw.stop();

        // As the command does: each file rendered, then dropped before the next (the command
        // writes it to disk in between; at 100k the files together are 2.3 GB, which the
        // command never holds at once).
        let (mut files, mut out_bytes) = (0, 0);
        let sw = Stopwatch::start();
        render::render_each(&p, &pin, &mut |f| {
            files += 1;
            out_bytes += black_box(f).contents.len();
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{name}: render: {}", e.0));
        t[RENDER] = sw.stop();

        out.planned = true;
        out.plan_crossings = p.crossings.len();
        out.files = files;
        out.out_bytes = out_bytes;
        let built: usize = p.closures.iter().map(|c| c.steps.len()).sum();
        assert_eq!(
            (p.closures.len(), Some(built as u64)),
            (parents, steps),
            "{name}: the closure count of this bench disagrees with plan::build"
        );
        planned = Some(p);
    }

    let mut part = Parts::new();
    if parts {
        // Best of three (one for the large dumps): the first call runs on cold caches.
        let reps = if cat.tables.len() >= BIG { 1 } else { 3 };
        part = plan_parts(&pin, steps.is_some());
        for _ in 1..reps {
            for (p, again) in part.iter_mut().zip(plan_parts(&pin, steps.is_some())) {
                p.1 = p.1.min(again.1);
            }
        }
    }

    let sw = Stopwatch::start();
    drop(black_box(planned));
    drop(black_box(text_report));
    drop(black_box(findings));
    drop(black_box(g));
    drop(black_box(rules));
    drop(black_box(asg));
    drop(black_box(cfg));
    t[DROP] = sw.stop();

    // After the others, so that they are timed as before it was added. What `check` does with
    // inference on (the default; `Analysis::new`): the references resolved into the catalog
    // (`refs_resolve::resolve`, which infers), then assign, graph and check over the longer
    // reference list. The catalog is cloned outside the clock: the command reads it once.
    let mut with_refs = cat.clone();
    let cfg2: Config =
        config::parse(CONFIG_PATH, cfg_text).unwrap_or_else(|e| panic!("{name}: config: {e}"));
    let sw = Stopwatch::start();
    let extra = refs_resolve::resolve(&mut with_refs, &cfg2)
        .unwrap_or_else(|e| panic!("{name}: references: {e}"));
    let asg2 = assign::assign(&with_refs, &cfg2)
        .unwrap_or_else(|e| panic!("{name}: assign (inferring): {e}"));
    let rules2 = assign::match_rules(&with_refs, &cfg2)
        .unwrap_or_else(|e| panic!("{name}: match_rules (inferring): {e}"));
    let g2 = graph::build(&with_refs, |i| {
        sources.get(i as usize).map(|s| s.text.as_str())
    });
    let findings2 = check::check(
        &plan::Input {
            cat: &with_refs,
            sources: &[],
            cfg: &cfg2,
            asg: &asg2,
            rules: &rules2,
            graph: &g2,
        },
        CheckOptions { strict: false },
    );
    t[INFER] = sw.stop();
    out.inferred = with_refs.foreign_keys.len() - cat.foreign_keys.len();
    drop(black_box((
        findings2, g2, rules2, asg2, extra, with_refs, cfg2,
    )));
    let constraints = references::from_constraints(&cat);
    if parts {
        // Blind: no constraint passed, so every key column is inferred again (the cost on a
        // dump whose references have no constraints).
        let sw = Stopwatch::start();
        let blind = infer::infer(&cat, &[]);
        part.push(("infer, blind to the constraints", sw.stop()));
        out.inferred_blind = blind.references.len();
        drop(black_box(blind));
    }
    drop(black_box(constraints));
    drop(black_box(cat));
    drop(black_box(sources));
    (t, out, part)
}

/// The parts of `plan::build` and `render::render` that are public, each timed on its own: the
/// cascade closures (`closure::ClosureWalk` per parent, as `plan::build` walks them, only when
/// `closures`), the FK scripts (`plan::fks::build`), the silo schemas (`plan::schema::build`),
/// and their rendering; with `closures` (a plan can be built), also plan.json, the cascade,
/// stub and phase files, and plan.md.
fn plan_parts(pin: &plan::Input<'_>, closures: bool) -> Parts {
    let mut out = Parts::new();
    if closures {
        let sw = Stopwatch::start();
        let mut hops = 0;
        let mut walk = closure::ClosureWalk::default();
        for p in closure_parents(pin.cat, pin.cfg, pin.asg, pin.rules) {
            hops += walk.walk(pin, p, plan::CLOSURE_STEPS).0.len();
        }
        out.push(("plan: closures (ClosureWalk)", sw.stop()));
        black_box(hops);
    }
    let sw = Stopwatch::start();
    let fks = plan::fks::build(pin);
    out.push(("plan: fks::build", sw.stop()));
    let sw = Stopwatch::start();
    let schemas = plan::schema::build(pin);
    out.push(("plan: schema::build", sw.stop()));
    let sw = Stopwatch::start();
    black_box(render::fks::drop_sql(&fks));
    black_box(render::fks::restore_sql(&fks));
    out.push(("render: fks/drop.sql, restore.sql", sw.stop()));
    let sw = Stopwatch::start();
    for s in &schemas {
        black_box(render::schema::try_schema_sql(s, pin).ok());
    }
    out.push(("render: silos/*/schema.sql", sw.stop()));
    if closures {
        // The rest of render, from a whole plan (built outside the clock).
        let findings = check::check(
            &plan::Input {
                sources: &[],
                ..*pin
            },
            CheckOptions { strict: false },
        );
        let p = plan::build(pin, &findings);
        let sw = Stopwatch::start();
        black_box(render::plan_json(&p).ok());
        out.push(("render: plan.json", sw.stop()));
        let sw = Stopwatch::start();
        for c in &p.cascades {
            black_box(render::cascades::silo_sql(c).ok());
            black_box(render::cascades::replication_sql(c).ok());
        }
        out.push(("render: cascades/*", sw.stop()));
        let sw = Stopwatch::start();
        black_box(render::stubs::files(&p.stubs, &p.config).ok());
        out.push(("render: stubs/* (5 languages)", sw.stop()));
        let sw = Stopwatch::start();
        black_box(render::phases::files(&p.phases, &p.config, &p.reservations, &p.fanouts).ok());
        out.push(("render: phases/*", sw.stop()));
        // Last, so that the parts above are timed as they were before it was added.
        let sw = Stopwatch::start();
        black_box(render::plan_md(&p).ok());
        out.push(("render: plan.md", sw.stop()));
    }
    out
}

/// The parents whose cascade closure `plan::build` lists (planner/plan/mod.rs): the parent
/// table of every crossing between two silos whose action is neither `restrict` nor `ignore`.
fn closure_parents<'c>(
    cat: &'c Catalog,
    cfg: &Config,
    asg: &assign::Assignment,
    rules: &assign::RuleMatches,
) -> BTreeSet<&'c QName> {
    let mut parents = BTreeSet::new();
    for c in check::crossings(cat, asg, rules) {
        if c.child_silo == "shared" || c.parent_silo == "shared" {
            continue;
        }
        let (action, _) = check::effective_action(cat, cfg, rules, c.fk);
        if !matches!(action, EdgeAction::Restrict | EdgeAction::Ignore) {
            parents.insert(&cat.foreign_keys[c.fk].references);
        }
    }
    parents
}

/// The number of parents and the total steps of the cascade closures `plan::build` will list,
/// counted without building them; the steps are `None` past `cap`.
///
/// `closure::closure_limited` (planner/closure.rs) expands each table's children once per
/// closure (a table reached again is listed, not followed) and `plan::build` keeps at most
/// `plan::CLOSURE_STEPS` steps per parent. This count walks the same way, without building
/// the steps, and stops at `cap`.
fn closure_steps(
    cat: &Catalog,
    cfg: &Config,
    asg: &assign::Assignment,
    rules: &assign::RuleMatches,
    cap: u64,
) -> (usize, Option<u64>) {
    let mut children: HashMap<&QName, Vec<usize>> = HashMap::new();
    for (k, fk) in cat.foreign_keys.iter().enumerate() {
        children.entry(&fk.references).or_default().push(k);
    }
    let cascade: Vec<bool> = (0..cat.foreign_keys.len())
        .map(|k| check::effective_action(cat, cfg, rules, k).0 == EdgeAction::Cascade)
        .collect();
    let kids = |q: &QName| children.get(q).map_or(&[][..], Vec::as_slice);
    let parents = closure_parents(cat, cfg, asg, rules);
    let mut total: u64 = 0;
    for &p in &parents {
        let mut seen: HashSet<&QName> = HashSet::from([p]);
        let mut stack: Vec<(&[usize], usize)> = vec![(kids(p), 0)];
        let mut steps = 0usize;
        while let Some(top) = stack.last_mut() {
            let Some(&k) = top.0.get(top.1) else {
                stack.pop();
                continue;
            };
            top.1 += 1;
            if steps == plan::CLOSURE_STEPS {
                continue;
            }
            steps += 1;
            total += 1;
            if total > cap {
                return (parents.len(), None);
            }
            let child = &cat.foreign_keys[k].table;
            if cascade[k] && seen.insert(child) {
                stack.push((kids(child), 0));
            }
        }
    }
    (parents.len(), Some(total))
}

fn sum(t: &[T]) -> T {
    t.iter().fold(T::ZERO, |a, b| a.add(*b))
}

/// The cumulative figures of one round: (check, check+report, plan).
fn cumulative(t: &[T; 10]) -> [T; 3] {
    let check = sum(&t[READ..=CHECK]);
    let report = sum(&t[READ..=REPORT]);
    // plan: everything up to render, without the text report.
    let plan = sum(&[check, t[6], t[RENDER]]);
    [check, report, plan]
}

/// The results for one input.
struct Measured {
    name: String,
    synth: Option<usize>,
    bytes: usize,
    /// Best time of each stage.
    stage: [T; 10],
    /// Best round sums: check, check+report, plan.
    cum: [T; 3],
    runs: usize,
    out: Outcome,
    parts: Parts,
    config: String,
    /// The closure-step cap it ran with.
    cap: u64,
    split: Split,
}

fn bench_one(input: &Input, text: &str, quick: bool, cap: u64) -> Measured {
    let mut st = State {
        cfg_text: None,
        closures: None,
        cap,
        split: input.split,
    };
    let (first, out, parts) = round(&input.name, text, &mut st, true);
    let total = sum(&first).wall.as_secs_f64().max(1e-9);
    let want = if quick {
        1
    } else if input.synth().is_some_and(|n| n >= BIG) {
        2
    } else {
        ((BUDGET.as_secs_f64() / total).ceil() as usize).clamp(2, MAX_RUNS)
    };
    let mut stage = first;
    let mut cum = cumulative(&first);
    for _ in 1..want {
        let (t, _, _) = round(&input.name, text, &mut st, false);
        for (b, x) in stage.iter_mut().zip(t) {
            *b = b.min(x);
        }
        for (b, x) in cum.iter_mut().zip(cumulative(&t)) {
            *b = b.min(x);
        }
    }
    if let Some(n) = input.synth() {
        // A pipeline that loses objects must not look fast.
        assert_eq!(out.tables, n, "{}: tables read", input.name);
        // Half of the keys cross in the parity split, about one in 18 in the blocks split.
        let least = match input.split {
            Split::Parity => n / 10,
            Split::Blocks => n / 100,
        };
        assert!(
            out.crossings > least,
            "{}: only {} crossings",
            input.name,
            out.crossings
        );
    }
    Measured {
        name: input.name.clone(),
        synth: input.synth(),
        bytes: text.len(),
        stage,
        cum,
        runs: want,
        out,
        parts,
        config: st.cfg_text.unwrap_or_default(),
        cap,
        split: input.split,
    }
}

impl Measured {
    fn read(&self) -> T {
        self.stage[READ]
    }

    fn print(&self) {
        let o = &self.out;
        println!();
        println!(
            "{} ({:.0} KB; {} tables, {} FKs, {} views, {} functions; config {:.0} KB, {}; N = \
             {})",
            self.name,
            self.bytes as f64 / 1e3,
            o.tables,
            o.foreign_keys,
            o.views,
            o.functions,
            o.config_bytes as f64 / 1e3,
            self.split.describe(),
            self.runs
        );
        let steps = match o.closure_steps {
            Some(s) => format!("{s}"),
            None => format!("more than {} (the cap)", self.cap),
        };
        println!(
            "  check: {} findings, {} cross-silo FKs, text report {:.0} KB; infer: {} references added \
             ({} blind to the constraints); plan: {} closures with {steps} steps, {}",
            o.findings,
            o.crossings,
            o.report_bytes as f64 / 1e3,
            o.inferred,
            o.inferred_blind,
            o.closures,
            if o.planned {
                format!(
                    "{} crossings, {} files of {:.1} MB",
                    o.plan_crossings,
                    o.files,
                    o.out_bytes as f64 / 1e6
                )
            } else {
                "plan and render SKIPPED (see --max-closure-steps)".to_string()
            }
        );
        println!(
            "  {:<36} {:>10} {:>8} {:>12} {:>10}",
            "stage", "ms", "x read", "wall ms", "faults"
        );
        let read = self.read();
        let row = |label: &str, t: T, extra: &str| {
            println!(
                "  {:<36} {:>10.2} {:>8.3} {:>12.2} {:>10}{extra}",
                label,
                ms(t),
                ratio(t, read),
                wall_ms(t),
                t.faults
            );
        };
        for (i, s) in STAGES.iter().enumerate() {
            let skipped = !o.planned && (i == 6 || i == RENDER);
            if skipped {
                println!("  {s:<36} {:>10}", "skipped");
                continue;
            }
            let extra = match i {
                REPORT => "  (not in check/plan)",
                DROP => "  (not counted)",
                INFER => "  (not in check/plan)",
                _ => "",
            };
            row(s, self.stage[i], extra);
        }
        row("= check", self.cum[0], "");
        row("= check+report", self.cum[1], "");
        if o.planned {
            row("= plan", self.cum[2], "");
        } else {
            println!("  {:<36} {:>10}", "= plan", "skipped");
        }
        if !self.parts.is_empty() {
            println!(
                "  parts of plan and render (best of 3; 100k: once) and blind inference (once), \
                 each timed on its own:"
            );
            for (label, t) in &self.parts {
                row(&format!("  {label}"), *t, "");
            }
        }
    }
}

/// Each stage's 100k / 10k time: about 10 is linear.
fn scaling(results: &[Measured]) {
    let by_n = |n: usize| results.iter().find(|r| r.synth == Some(n));
    let pairs: Vec<(&Measured, &Measured)> = [(1_000, 10_000), (10_000, 100_000)]
        .iter()
        .filter_map(|&(a, b)| Some((by_n(a)?, by_n(b)?)))
        .collect();
    if pairs.is_empty() {
        return;
    }
    println!("scaling (CPU time ratio for 10x the tables; about 10 is linear)");
    print!("  {:<14}", "stage");
    for (a, b) in &pairs {
        print!(
            " {:>14}",
            format!("{}/{}", b.name, a.name).replace("synth-", "")
        );
    }
    println!();
    // Stage i, then the cumulative check (10) and plan (11).
    let get = |r: &Measured, i: usize| match i {
        10 => r.cum[0],
        11 => r.cum[2],
        _ => r.stage[i],
    };
    let rows = STAGES
        .iter()
        .copied()
        .enumerate()
        .chain([(10, "= check"), (11, "= plan")]);
    for (i, label) in rows {
        let plan_row = matches!(label, "plan" | "render" | "= plan");
        print!("  {label:<14}");
        for (a, b) in &pairs {
            if plan_row && !(a.out.planned && b.out.planned) {
                print!(" {:>14}", "skipped");
                continue;
            }
            let q = ratio(get(b, i), get(a, i));
            let flag = if q > 15.0 { " !" } else { "  " };
            print!(" {:>12.2}{flag}", q);
        }
        println!();
    }
    println!("  (! = more than 15x: super-linear)");
}

/// The targets of issues 4 and 5, met or not.
fn summary(results: &[Measured], quick: bool) {
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    println!(
        "targets (CPU time){}",
        if quick {
            " (--quick: single runs, noisy)"
        } else {
            ""
        }
    );
    for r in results {
        if !(r.name == "lago-api.sql" || r.synth.is_some_and(|n| n >= BIG)) {
            continue;
        }
        let read = r.read();
        let (c, p) = (r.cum[0], r.cum[2]);
        println!(
            "  {:<14} check / read <= 1.3x: {:.2}x ({:.1} / {:.1} ms)  {}; with the text report \
             {:.2}x",
            r.name,
            ratio(c, read),
            ms(c),
            ms(read),
            verdict(ratio(c, read) <= 1.3),
            ratio(r.cum[1], read)
        );
        let with = r.stage[READ].add(r.stage[1]).add(r.stage[INFER]);
        println!(
            "  {:<14} check inferring / check without <= 1.2x: {:.3}x ({:.1} / {:.1} ms)  {}",
            r.name,
            ratio(with, c),
            ms(with),
            ms(c),
            verdict(ratio(with, c) <= 1.2)
        );
        if r.out.planned {
            println!(
                "  {:<14} plan / read <= 2x:    {:.2}x ({:.1} / {:.1} ms)  {}",
                r.name,
                ratio(p, read),
                ms(p),
                ms(read),
                verdict(ratio(p, read) <= 2.0)
            );
        } else {
            println!(
                "  {:<14} plan / read <= 2x:    NOT MET: plan not run, its cascade closures \
                 have more than {} steps (check alone is {:.2}x)",
                r.name,
                r.cap,
                ratio(c, read)
            );
        }
    }
    for r in results.iter().filter(|r| r.synth.is_some_and(|n| n >= BIG)) {
        if r.out.planned {
            let s = r.cum[2].cpu.as_secs_f64();
            println!(
                "  {:<14} whole plan <= 3 s (DESIGN): {s:.2} s  {}",
                r.name,
                verdict(s <= 3.0)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Memory.

/// Peak memory of `read`, `check` and `plan` on the biggest synthetic dump, each in a child
/// process that loads the config and the dump from files.
fn memory(inputs: &[Input], results: &[Measured]) {
    let Some((n, r)) = inputs.iter().find_map(|i| match i.source {
        Source::Synth(n) if n >= BIG => results.iter().find(|r| r.synth == Some(n)).map(|r| (n, r)),
        _ => None,
    }) else {
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pipeline-{}", synth_name(n)));
    let _ = std::fs::create_dir_all(&dir);
    let dump = dir.join(&r.name);
    let cfg = dir.join(CONFIG_PATH);
    let written = std::fs::write(&dump, synth::generate(n, synth::SEED))
        .and_then(|_| std::fs::write(&cfg, &r.config));
    if let Err(e) = written {
        println!("memory: cannot write into {}: {e}", dir.display());
        return;
    }
    println!(
        "peak memory (VmHWM of a child process that loads {} and its config from files, as the \
         command does; \"text\" is the process after loading the dump)",
        r.name
    );
    let modes: &[&str] = if r.out.planned {
        &["read", "check", "plan"]
    } else {
        println!(
            "  plan: not run (its cascade closures have more than {} steps)",
            r.cap
        );
        &["read", "check"]
    };
    for &mode in modes {
        let m = match common::memory_child(CHILD_ENV, &format!("{mode}:{}", cfg.display())) {
            Ok(m) => m,
            Err(e) => {
                println!("  {mode}: {e}");
                continue;
            }
        };
        println!(
            "  {mode:<5} peak {:>7.0} MiB ({:.2} GiB), text {:>5.0} MiB, {:>7.0} ms CPU \
             [{:.0} ms wall]  (DESIGN: <= 1 GiB: {})",
            m.peak_mib(),
            m.peak_gib(),
            m.text_mib(),
            m.cpu_ms,
            m.wall_ms,
            if m.peak_gib() <= 1.0 {
                "met"
            } else {
                "NOT MET"
            }
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The memory child: `SILO_BENCH_CHILD=read:CONFIG`, `check:CONFIG` or `plan:CONFIG`. Loads
/// the config and its dump as planner/main.rs does; the whole run is timed.
fn child(spec: &str) {
    let (mode, path) = spec.split_once(':').expect("SILO_BENCH_CHILD=mode:config");
    let t0 = Stopwatch::start();
    let cfg = config::load(Path::new(path)).unwrap_or_else(|e| panic!("{e}"));
    let config_text = std::fs::read_to_string(&cfg.path).unwrap_or_default();
    let sources: Vec<SourceFile> = cfg
        .schema
        .iter()
        .map(|s| SourceFile::load(&cfg.dir.join(s)).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let text_kb = vm_hwm_kb();
    let cat = dump::read(
        &sources,
        &ReadOptions {
            dialect: cfg.dialect,
        },
    );
    if mode != "read" {
        let asg = assign::assign(&cat, &cfg).unwrap_or_else(|e| panic!("{e}"));
        let rules = assign::match_rules(&cat, &cfg).unwrap_or_else(|e| panic!("{e}"));
        let g = graph::build(&cat, |i| sources.get(i as usize).map(|s| s.text.as_str()));
        let pin = plan::Input {
            cat: &cat,
            sources: &sources,
            cfg: &cfg,
            asg: &asg,
            rules: &rules,
            graph: &g,
        };
        let findings = check::check(
            &plan::Input {
                sources: &[],
                ..pin
            },
            CheckOptions { strict: false },
        );
        match mode {
            "check" => {
                let s = Sources::new(&sources).with_extra(&cfg.path, &config_text);
                black_box(report::render(&findings, &s, ReportFormat::Text, false));
            }
            "plan" => {
                let p = plan::build(&pin, &findings);
                // As the command does: each file rendered, then dropped (the command writes it
                // to disk first) before the next.
                let mut bytes = 0;
                render::render_each(&p, &pin, &mut |f| {
                    bytes += black_box(f).contents.len();
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{}", e.0));
                black_box(bytes);
            }
            m => panic!("unknown child mode {m}"),
        }
    }
    black_box(&cat);
    let t = t0.stop();
    println!(
        "peak_kb {} text_kb {text_kb} ms {:.0} wall_ms {:.0}",
        vm_hwm_kb(),
        ms(t),
        wall_ms(t)
    );
}
