//! A fuzz run over the dump reader, the config and `plan`, on stable Rust (no cargo-fuzz).
//!
//! Inputs are made from a seed corpus (the examples' and fixtures' dumps and configs, and the
//! real dumps in `../shared/schemas/real`, cut into runs of statements) by mutations that aim at
//! the reader's state machine (quotes, dollar quotes, comment openers, psql lines, `COPY` data,
//! BOMs, truncation, huge identifiers, deep parentheses, non-ASCII, spliced statements) and by
//! configs generated in silo-plan's grammar for the tables each dump defines (with mangled
//! patterns and wrong values now and then), some of them mutated as text. Each input runs
//! through the library as the binary runs it ([`pipeline`]).
//!
//! Fails on: a panic, an input that runs longer than `SILO_PLAN_FUZZ_TIMEOUT` seconds (default
//! 10), the process's resident memory above `SILO_PLAN_FUZZ_MAX_RSS_MB` (default 1024), a crash
//! of the process (a stack overflow aborts it), JSON output that does not parse, or two runs of
//! one input that differ. The inputs run in a child process; the parent makes a failing input
//! again from its number, writes it to `target/fuzz-crashes/SEED-N/` and prints how to rerun it.
//!
//! Settings (environment): `SILO_PLAN_FUZZ_SECONDS` (default 20), `SILO_PLAN_FUZZ_SEED` (decimal
//! or 0x-hex; default fixed, so a run is reproducible), `SILO_PLAN_FUZZ_INPUT=N` (run only input N
//! of the seed, in this process, with the panic's backtrace), `SILO_PLAN_FUZZ_DIR=DIR` (run the
//! files of a crash directory: `DIR/silo-plan.toml` and `DIR/dumps/*.sql`),
//! `SILO_PLAN_FUZZ_VERBOSE=1` (each input's stage and the error that refused it, on stderr),
//! `SILO_PLAN_FUZZ_INJECT=panic|hang|memory|overflow|abort:N` (misbehave at input N, to check
//! that the run catches each kind of failure). A `cargo test` filter that does not match `fuzz`
//! skips it, as it skips the other tests.
//!
//! Every failure it ever found is a test in `planner/tests/it/fuzz_found.rs`, minimized.

mod gen;
mod pipeline;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pipeline::{Stage, STAGES};

const DEFAULT_SECONDS: u64 = 20;
const DEFAULT_SEED: u64 = 0x5110_91a7;
const DEFAULT_TIMEOUT: u64 = 10;
const DEFAULT_MAX_RSS_MB: u64 = 1024;
/// The stack of the thread that runs the inputs: the binary runs on the main thread, whose
/// stack is 8 MiB on Linux.
const STACK: usize = 8 << 20;
const CHILD: &str = "SILO_PLAN_FUZZ_CHILD";

struct Settings {
    seconds: u64,
    seed: u64,
    timeout: u64,
    max_rss_mb: u64,
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => {
            let v = v.trim();
            let parsed = match v.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16),
                None => v.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
        }
        Err(_) => default,
    }
}

impl Settings {
    fn from_env() -> Settings {
        Settings {
            seconds: env_u64("SILO_PLAN_FUZZ_SECONDS", DEFAULT_SECONDS),
            seed: env_u64("SILO_PLAN_FUZZ_SEED", DEFAULT_SEED),
            timeout: env_u64("SILO_PLAN_FUZZ_TIMEOUT", DEFAULT_TIMEOUT),
            max_rss_mb: env_u64("SILO_PLAN_FUZZ_MAX_RSS_MB", DEFAULT_MAX_RSS_MB),
        }
    }
}

/// `target/` (the integration tests' temp dir is `target/tmp`).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_path_buf()
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() -> ExitCode {
    // `cargo test FILTER` hands the filter to every test binary: run only when it names this one.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("fuzz: test");
        return ExitCode::SUCCESS;
    }
    if let Some(f) = args.iter().find(|a| !a.starts_with('-')) {
        if !"fuzz".contains(f.as_str()) {
            return ExitCode::SUCCESS;
        }
    }
    let s = Settings::from_env();
    if let Ok(dir) = std::env::var("SILO_PLAN_FUZZ_DIR") {
        return run_dir(Path::new(&dir));
    }
    if std::env::var("SILO_PLAN_FUZZ_INPUT").is_ok() {
        let i = env_u64("SILO_PLAN_FUZZ_INPUT", 0);
        return run_one(&s, i);
    }
    if std::env::var(CHILD).is_ok() {
        child(&s);
        return ExitCode::SUCCESS;
    }
    parent(&s)
}

fn describe(r: &Result<pipeline::Run, String>) -> String {
    match r {
        Ok(run) => format!(
            "stage {:?}: {} statements ({} unread), {} tables, {} findings, {} crossings, {} bytes of output",
            run.stage, run.statements, run.unparsed, run.tables, run.findings, run.crossings, run.out_bytes
        ),
        Err(e) => format!("FAILED: {e}"),
    }
}

/// `SILO_PLAN_FUZZ_DIR`: the files of a crash directory, with and without `--strict`, and
/// `explain` of every table.
fn run_dir(dir: &Path) -> ExitCode {
    let cfg = dir.join("silo-plan.toml");
    let mut dumps: Vec<PathBuf> = std::fs::read_dir(dir.join("dumps"))
        .unwrap_or_else(|e| panic!("{}/dumps: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    dumps.sort();
    let mut failed = false;
    for strict in [false, true] {
        let r = pipeline::run_files(&cfg, &dumps, strict, 0);
        println!("strict {strict}: {}", describe(&r));
        failed |= r.is_err();
        let tables = r.as_ref().map_or(0, |r| r.tables);
        for t in 1..tables {
            let r = pipeline::run_files(&cfg, &dumps, strict, t);
            failed |= r.is_err();
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `SILO_PLAN_FUZZ_INPUT`: one input, in this process, panics as they come.
fn run_one(s: &Settings, i: u64) -> ExitCode {
    let corpus = gen::Corpus::load();
    let input = gen::input(&corpus, s.seed, i);
    println!("input {i} of seed {:#x}: {}", s.seed, input.how);
    let dir = tempfile::tempdir_in(target_dir().join("tmp")).expect("temp dir");
    let r = pipeline::run(dir.path(), &input);
    println!("{}", describe(&r));
    if let Ok(run) = &r {
        for (what, text) in run.out.iter().filter(|(w, _)| w.ends_with("error")) {
            println!("{what}: {text}");
        }
    }
    if r.is_err() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

// ---------------------------------------------------------------------------------------------
// The parent: starts the child, follows its progress, writes what failed.

fn parent(s: &Settings) -> ExitCode {
    let exe = std::env::current_exe().expect("current exe");
    println!(
        "fuzz: seed {:#x}, {} s (SILO_PLAN_FUZZ_SECONDS), {} s per input, {} MiB resident at most",
        s.seed, s.seconds, s.timeout, s.max_rss_mb
    );
    let mut child = Command::new(exe)
        .env(CHILD, "1")
        .env("SILO_PLAN_FUZZ_SEED", s.seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting the fuzz child");
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut current: Option<u64> = None;
    let mut failures: Vec<String> = Vec::new();
    let mut summary = None;
    let mut corpus = None;
    for line in out.lines() {
        let line = line.expect("reading the child");
        let (word, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match word {
            "run" => current = rest.parse().ok(),
            "panic" | "broken" | "hang" | "memory" => {
                let (i, what) = rest.split_once(' ').unwrap_or((rest, ""));
                let i: u64 = i.parse().expect("input number");
                let what = match word {
                    "panic" => format!("panicked: {}", what.replace("\\n", "\n")),
                    "broken" => what.to_string(),
                    "hang" => format!("ran longer than {} s", s.timeout),
                    _ => format!("resident memory reached {what} MiB"),
                };
                let c = corpus.get_or_insert_with(gen::Corpus::load);
                failures.push(record(c, s, i, &what));
                if word != "panic" && word != "broken" {
                    current = None;
                }
            }
            "done" => {
                summary = Some(rest.replace("\\n", "\n"));
                current = None;
            }
            _ => eprintln!("fuzz child: {line}"),
        }
    }
    let status = child.wait().expect("waiting for the fuzz child");
    if let Some(i) = current {
        failures.push(record(
            corpus.get_or_insert_with(gen::Corpus::load),
            s,
            i,
            &format!("the process died ({status}): a stack overflow or an abort"),
        ));
    }
    if let Some(sum) = &summary {
        println!("{sum}");
    } else if failures.is_empty() {
        failures.push(format!("the fuzz child ended ({status}) without a summary"));
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("\nfuzz: {} failure(s):", failures.len());
        for f in &failures {
            eprintln!("\n{f}");
        }
        ExitCode::FAILURE
    }
}

/// Makes input `i` again, writes it to `target/fuzz-crashes/SEED-I/`, and says how to rerun it.
fn record(corpus: &gen::Corpus, s: &Settings, i: u64, what: &str) -> String {
    let dir = target_dir()
        .join("fuzz-crashes")
        .join(format!("{:x}-{i}", s.seed));
    // The generator reads the dump to write a config; if that is what fails, keep the dump
    // with a minimal config.
    let input = std::panic::catch_unwind(|| gen::input(corpus, s.seed, i))
        .or_else(|_| std::panic::catch_unwind(|| gen::dump_only(corpus, s.seed, i)));
    let written = match input {
        Ok(input) => {
            let _ = std::fs::create_dir_all(&dir);
            let r = pipeline::write(&dir, &input);
            let _ = std::fs::write(
                dir.join("what.txt"),
                format!(
                    "{what}\n\ninput {i} of seed {:#x}: {}\nstrict: {}, explain: {}, twice: {}\n",
                    s.seed, input.how, input.strict, input.explain, input.twice
                ),
            );
            match r {
                Ok(_) => format!("written to {}", dir.display()),
                Err(e) => format!("could not be written to {}: {e}", dir.display()),
            }
        }
        Err(_) => "could not be made again (making it panicked)".to_string(),
    };
    format!(
        "input {i} {what}\n  {written}\n  rerun: SILO_PLAN_FUZZ_SEED={:#x} SILO_PLAN_FUZZ_INPUT={i} cargo test --locked --test fuzz\n  or:    SILO_PLAN_FUZZ_DIR={} cargo test --locked --test fuzz\n  or:    cargo run -- plan {}/silo-plan.toml --schema {}/dumps --out /tmp/fuzz-plan --force",
        s.seed,
        dir.display(),
        dir.display(),
        dir.display()
    )
}

// ---------------------------------------------------------------------------------------------
// The child: runs inputs on a worker thread, watches time and memory, reports by line.

/// `SILO_PLAN_FUZZ_INJECT=WHAT:N`: misbehaves at input N, to check that the run notices each
/// kind of failure (`panic`, `hang`, `memory`, `overflow` of the stack, `abort`).
fn self_test(what: &str) {
    match what {
        "panic" => panic!("injected panic"),
        "hang" => loop {
            std::thread::sleep(Duration::from_secs(1));
        },
        "memory" => {
            let mut hog: Vec<Vec<u8>> = Vec::new();
            loop {
                hog.push(vec![1u8; 64 << 20]);
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        "overflow" => {
            #[allow(unconditional_recursion)]
            fn deep(n: u64) -> u64 {
                let pad = std::hint::black_box([n; 64]);
                deep(n + 1) + pad[3]
            }
            std::hint::black_box(deep(0));
        }
        "abort" => std::process::abort(),
        other => panic!("SILO_PLAN_FUZZ_INJECT: unknown {other:?}"),
    }
}

static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

#[derive(Default)]
struct Tally {
    inputs: u64,
    stages: [u64; STAGES],
    twice: u64,
    statements: u64,
    unparsed: u64,
    tables: u64,
    findings: u64,
    crossings: u64,
    bytes_in: u64,
    bytes_out: u64,
    largest_in: u64,
    slowest: (Duration, u64),
    failures: u64,
}

fn say(line: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{line}");
    let _ = o.flush();
}

fn child(s: &Settings) {
    let corpus = Arc::new(gen::Corpus::load());
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{msg}{at}"));
    }));

    let current = Arc::new(AtomicU64::new(u64::MAX));
    let peak = Arc::new(AtomicU64::new(0));
    {
        let (current, peak, limit) = (current.clone(), peak.clone(), s.max_rss_mb << 20);
        std::thread::spawn(move || loop {
            let rss = rss_bytes();
            peak.fetch_max(rss, Ordering::Relaxed);
            if rss > limit {
                say(&format!(
                    "memory {} {}",
                    current.load(Ordering::SeqCst),
                    rss >> 20
                ));
                std::process::exit(4);
            }
            std::thread::sleep(Duration::from_millis(20));
        });
    }

    type Outcome = (
        Duration,
        Result<Result<pipeline::Run, String>, String>,
        usize,
        bool,
    );
    let (to_worker, inbox) = mpsc::channel::<u64>();
    let (to_main, results) = mpsc::channel::<Outcome>();
    let seed = s.seed;
    let wc = corpus.clone();
    let inject = std::env::var("SILO_PLAN_FUZZ_INJECT").ok().map(|v| {
        let (what, at) = v.split_once(':').expect("SILO_PLAN_FUZZ_INJECT=WHAT:N");
        (what.to_string(), at.parse::<u64>().expect("input number"))
    });
    std::thread::Builder::new()
        .name("fuzz-worker".into())
        .stack_size(STACK)
        .spawn(move || {
            let dir = tempfile::tempdir_in(target_dir().join("tmp")).expect("temp dir");
            for i in inbox {
                let started = Instant::now();
                let (mut size, mut twice) = (0, false);
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    if inject.as_ref().is_some_and(|(_, at)| *at == i) {
                        self_test(&inject.as_ref().expect("checked").0);
                    }
                    let input = gen::input(&wc, seed, i);
                    size = input.files.iter().map(Vec::len).sum();
                    twice = input.twice;
                    pipeline::run(dir.path(), &input)
                }))
                .map_err(|_| {
                    LAST_PANIC
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .take()
                        .unwrap_or_else(|| "(no message)".into())
                });
                if to_main.send((started.elapsed(), r, size, twice)).is_err() {
                    break;
                }
            }
        })
        .expect("worker thread");

    let verbose = std::env::var_os("SILO_PLAN_FUZZ_VERBOSE").is_some();
    let started = Instant::now();
    let mut t = Tally::default();
    let mut i = 0u64;
    while started.elapsed() < Duration::from_secs(s.seconds) {
        current.store(i, Ordering::SeqCst);
        say(&format!("run {i}"));
        to_worker.send(i).expect("worker gone");
        let (took, r, size, twice) = match results.recv_timeout(Duration::from_secs(s.timeout)) {
            Ok(o) => o,
            Err(_) => {
                say(&format!("hang {i}"));
                std::process::exit(3);
            }
        };
        t.inputs += 1;
        t.bytes_in += size as u64;
        t.largest_in = t.largest_in.max(size as u64);
        if took > t.slowest.0 {
            t.slowest = (took, i);
        }
        match r {
            Ok(Ok(run)) => {
                if verbose {
                    let refused = run.out.iter().find(|(w, _)| w.ends_with("error"));
                    eprintln!(
                        "{i}: {:?} {} tables {}",
                        run.stage,
                        run.tables,
                        refused.map_or("", |(_, e)| e.lines().next().unwrap_or(""))
                    );
                }
                t.twice += u64::from(twice);
                if let Some(st) = run.stage {
                    t.stages[st.index()] += 1;
                }
                t.statements += run.statements as u64;
                t.unparsed += run.unparsed as u64;
                t.tables += run.tables as u64;
                t.findings += run.findings as u64;
                t.crossings += run.crossings as u64;
                t.bytes_out += run.out_bytes as u64;
            }
            Ok(Err(broken)) => {
                t.failures += 1;
                say(&format!("broken {i} {}", broken.replace('\n', "\\n")));
            }
            Err(msg) => {
                t.failures += 1;
                say(&format!("panic {i} {}", msg.replace('\n', "\\n")));
            }
        }
        i += 1;
    }
    say(&format!(
        "done {}",
        summary(s, &t, started.elapsed(), &peak).replace('\n', "\\n")
    ));
}

fn summary(s: &Settings, t: &Tally, took: Duration, peak: &AtomicU64) -> String {
    let st = |x: Stage| t.stages[x.index()];
    let read = t.inputs - st(Stage::NotUtf8) - t.failures;
    let config_ok = read - st(Stage::ConfigRefused);
    let fits = config_ok - st(Stage::Misfit);
    format!(
        "fuzz: seed {:#x}: {} inputs in {:.1} s ({:.1}/s), {} failed; peak resident memory {} MiB; \
         largest input {} KiB, slowest {} ms (input {})\n\
         \x20 dump refused as not UTF-8     {:>8}\n\
         \x20 dump read and inspected       {:>8}  ({} statements, {} kept unread, {} tables)\n\
         \x20 config refused                {:>8}\n\
         \x20 config parsed                 {:>8}\n\
         \x20 config did not fit the dump   {:>8}\n\
         \x20 checked, 4 report formats     {:>8}  ({} findings; explain of one table each)\n\
         \x20 plan built                    {:>8}  ({} crossings)\n\
         \x20 plan refused to render        {:>8}\n\
         \x20 plan rendered                 {:>8}  ({} MiB of output)\n\
         \x20 run twice, outputs identical  {:>8}",
        s.seed,
        t.inputs,
        took.as_secs_f64(),
        t.inputs as f64 / took.as_secs_f64().max(1e-9),
        t.failures,
        peak.load(Ordering::Relaxed) >> 20,
        t.largest_in >> 10,
        t.slowest.0.as_millis(),
        t.slowest.1,
        st(Stage::NotUtf8),
        read,
        t.statements,
        t.unparsed,
        t.tables,
        st(Stage::ConfigRefused),
        config_ok,
        st(Stage::Misfit),
        fits,
        t.findings,
        fits,
        t.crossings,
        st(Stage::RenderRefused),
        st(Stage::Rendered),
        t.bytes_out >> 20,
        t.twice,
    )
}
