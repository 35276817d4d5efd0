//! The `silo-plan` binary: reads files, prints, writes and picks the exit code. All decisions
//! are made by the library.

mod cli;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, ColorChoice, Command, FindingsFormat, Format, Input, LogInput};
use silo_plan::analysis::Analysis;
use silo_plan::catalog::QName;
use silo_plan::config;
use silo_plan::dump::{self, ReadOptions};
use silo_plan::findings::Severity;
use silo_plan::report::{self, ReportFormat, Sources};
use silo_plan::source::SourceFile;
use silo_plan::{check, explain};

/// mimalloc rather than the system allocator: `plan` allocates many short strings (names,
/// comments, statements) and spent about a quarter of its time in glibc's malloc and free; with
/// mimalloc a `plan` of lago-api.sql takes 15% less CPU (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (`mi_option_purge_delay` in mimalloc 3's `mimalloc.h`, which
/// the `libmimalloc-sys` pinned in Cargo.lock builds; the crate does not export the constant).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc to keep freed memory instead of handing it back to the OS a second later: a
/// command runs for a moment and then exits, and at 10,000 tables `plan` spent more system time
/// faulting in pages it had just given back than writing its 220 MB (whole process: 2.4 s wall
/// with purging, 1.6 s without; peak memory the same).
fn keep_freed_memory() {
    // SAFETY: `mi_option_set` only stores a number in mimalloc's option table; any option
    // index below `_mi_option_last` is valid, and `purge_delay` accepts -1 ("never").
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// An error that ends the run with exit code 2 (bad input).
struct Fatal(String);

/// The command line's `--color`, `--quiet` and `--verbose`, set once in `main`.
struct Settings {
    color: ColorChoice,
    quiet: bool,
    verbose: u8,
}

static SETTINGS: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();

fn settings() -> &'static Settings {
    SETTINGS.get_or_init(|| Settings {
        color: ColorChoice::Auto,
        quiet: false,
        verbose: 0,
    })
}

/// Whether to colour a stream that `is_terminal` or not: `--color`, else a terminal without
/// `NO_COLOR` (set and not empty, https://no-color.org).
fn use_color(is_terminal: bool) -> bool {
    match settings().color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// A note or summary on stderr, left out with `--quiet`.
fn info(text: &str) {
    if !settings().quiet {
        eprintln!("{}", human(text));
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let _ = SETTINGS.set(Settings {
        color: cli.color,
        quiet: cli.quiet,
        verbose: cli.verbose,
    });
    match run(cli) {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            eprintln!("error: {}", human(&msg));
            ExitCode::from(2)
        }
    }
}

/// Text for a person on a terminal: names from the dump and the config may hold terminal
/// escapes or bidirectional overrides, written visibly (`silo_plan::untrusted`); the line
/// breaks of the text itself are kept.
fn human(text: &str) -> std::borrow::Cow<'_, str> {
    silo_plan::untrusted::escape_but(text, &['\n'])
}

/// [`emit`] of a text report for a person ([`human`]); SQL, JSON and the findings report (which
/// escapes its own text and may be coloured) go through [`emit`] as they are.
fn emit_text(text: &str) -> Result<(), Fatal> {
    emit(&human(text))
}

fn emit(text: &str) -> Result<(), Fatal> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Fatal(format!("cannot write output: {e}"))),
    }
}

fn load_sources(paths: &[PathBuf]) -> Result<Vec<SourceFile>, Fatal> {
    let mut files = Vec::new();
    let mut stdin: Option<SourceFile> = None;
    for p in paths {
        if p.as_os_str() == "-" {
            if stdin.is_some() {
                return Err(Fatal("--schema -: standard input can be read once".into()));
            }
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Fatal(format!("cannot read the dump from standard input: {e}")))?;
            stdin = Some(SourceFile::new("<stdin>", text));
            files.push(p.clone());
        } else if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Fatal(format!("cannot read directory {}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "sql"))
                .collect();
            entries.sort();
            if entries.is_empty() {
                return Err(Fatal(format!(
                    "{}: no .sql files in this directory",
                    p.display()
                )));
            }
            files.extend(entries);
        } else {
            files.push(p.clone());
        }
    }
    files
        .iter()
        .map(|p| match (p.as_os_str() == "-", &stdin) {
            (true, Some(s)) => Ok(s.clone()),
            _ => SourceFile::load(p).map_err(|e| Fatal(e.to_string())),
        })
        .collect()
}

/// The config when none is given: `silo-plan.toml` in the current directory or the nearest
/// parent holding one, as git finds `.git` (`..`-relative, so paths stay short); the current
/// directory when there is none (whose error then says so).
fn find_config() -> PathBuf {
    let here = PathBuf::from(".");
    let Ok(cwd) = std::env::current_dir() else {
        return here;
    };
    let mut rel = PathBuf::new();
    for dir in cwd.ancestors() {
        if dir.join(config::FILE_NAME).is_file() {
            return if rel.as_os_str().is_empty() {
                here
            } else {
                rel
            };
        }
        rel.push("..");
    }
    here
}

/// Everything a config-driven command needs.
struct Loaded {
    a: Analysis,
    config_text: String,
    /// The config file and the dump paths (files or directories) read.
    inputs: Vec<PathBuf>,
}

fn load(input: &Input) -> Result<Loaded, Fatal> {
    let at = input.config.clone().or_else(|| input.config_pos.clone());
    let searched = at.is_none();
    let at = at.unwrap_or_else(find_config);
    let cfg = config::load(&at).map_err(|mut e| {
        if searched && e.line == 0 && !at.join(config::FILE_NAME).exists() {
            e.message = format!(
                "no {} in `{}` nor in any parent directory",
                config::FILE_NAME,
                at.display()
            );
        }
        Fatal(e.to_string())
    })?;
    let config_text = std::fs::read_to_string(&cfg.path).unwrap_or_default();
    let paths: Vec<PathBuf> = if input.schema.is_empty() {
        cfg.schema.iter().map(|s| cfg.dir.join(s)).collect()
    } else {
        input.schema.clone()
    };
    if paths.is_empty() {
        return Err(Fatal(format!(
            "{}: no schema dump: set `schema = [\"db/structure.sql\"]` or pass --schema FILE",
            cfg.path
        )));
    }
    if settings().verbose > 0 {
        let dumps: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "{}",
            human(&format!(
                "config: {}; dumps: {}",
                cfg.path,
                dumps.join(", ")
            ))
        );
    }
    let sources = load_sources(&paths)?;
    let mut inputs = vec![PathBuf::from(&cfg.path)];
    inputs.extend(paths.iter().cloned());
    let a = Analysis::new(cfg, sources).map_err(|e| Fatal(e.to_string()))?;
    if input.strict && !a.cat.unparsed.is_empty() {
        let u = &a.cat.unparsed[0];
        let file = a
            .cat
            .files
            .get(u.span.file as usize)
            .cloned()
            .unwrap_or_default();
        return Err(Fatal(format!(
            "{file}:{}: {} unparsed statements (--strict); first: {} ({})",
            u.span.line,
            a.cat.unparsed.len(),
            u.head,
            u.reason
        )));
    }
    Ok(Loaded {
        a,
        config_text,
        inputs,
    })
}

fn resolve_table(l: &Loaded, name: &str) -> Result<QName, Fatal> {
    let q = match name.split_once('.') {
        Some((s, t)) => QName::new(s, t),
        None => QName::new(&l.a.cfg.default_schema, name),
    };
    if l.a.cat.table(&q).is_some() {
        return Ok(q);
    }
    let mut near: Vec<(usize, String)> =
        l.a.cat
            .tables
            .iter()
            .map(|t| (strsim::levenshtein(&t.name, &q.name), t.qname().to_string()))
            .collect();
    near.sort();
    let names: Vec<String> = near.into_iter().take(3).map(|(_, n)| n).collect();
    Err(Fatal(format!(
        "no table {q} in the dump; nearest: {}",
        names.join(", ")
    )))
}

/// `to` relative to the directory `from` (both made absolute), written with `/`.
fn relative_to(from: &std::path::Path, to: &std::path::Path) -> Result<String, Fatal> {
    let abs = |p: &std::path::Path| {
        std::fs::canonicalize(p).map_err(|e| Fatal(format!("{}: {e}", p.display())))
    };
    let (from, to) = (abs(from)?, abs(to)?);
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Ok(parts.join("/"))
}

fn init(
    dir: Option<PathBuf>,
    schema: Vec<PathBuf>,
    silos: Option<String>,
    force: bool,
) -> Result<ExitCode, Fatal> {
    let dir = dir.unwrap_or_else(|| PathBuf::from("."));
    if schema.iter().any(|p| p.as_os_str() == "-") {
        return Err(Fatal(
            "init writes the dump's path into silo-plan.toml: give it a file, not `-`".into(),
        ));
    }
    let seeds = match &silos {
        Some(s) => silo_plan::init::parse_seeds(s).map_err(Fatal)?,
        None => Vec::new(),
    };
    let target = dir.join(config::FILE_NAME);
    if target.exists() && !force {
        return Err(Fatal(format!(
            "{} exists; pass --force to replace it",
            target.display()
        )));
    }
    let sources = load_sources(&schema)?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| Fatal(format!("cannot create {}: {e}", dir.display())))?;
    let rel = schema
        .iter()
        .map(|p| relative_to(&dir, p))
        .collect::<Result<Vec<_>, _>>()?;
    let cat = dump::read(&sources, &ReadOptions::default());
    let opts = silo_plan::init::Options { schema: rel, seeds };
    let starter = silo_plan::init::build(&cat, &sources, &opts).map_err(Fatal)?;
    std::fs::write(&target, &starter.text)
        .map_err(|e| Fatal(format!("cannot write {}: {e}", target.display())))?;
    let silos = starter
        .silos
        .iter()
        .map(|(n, c)| format!("{n} ({c})"))
        .collect::<Vec<_>>()
        .join(", ");
    info(&format!(
        "wrote {}: framework {}, silos {silos}, {} shared, {} unassigned; next: silo-plan check {}",
        target.display(),
        starter.framework.as_str(),
        starter.shared,
        starter.unassigned,
        dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}

fn run(cli: Cli) -> Result<ExitCode, Fatal> {
    match cli.command {
        Command::Init {
            dir,
            schema,
            silos,
            force,
        } => init(dir, schema, silos, force),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "silo-plan", &mut out);
            emit(&String::from_utf8_lossy(&out))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .map_err(|e| Fatal(format!("cannot render the man page: {e}")))?;
            emit(&String::from_utf8_lossy(&out))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect {
            schema,
            format,
            strict,
        } => {
            let sources = load_sources(&schema)?;
            let cat = dump::read(&sources, &ReadOptions::default());
            match format {
                Format::Text => emit_text(&silo_plan::inspect::text(&cat))?,
                Format::Json => emit(&silo_plan::inspect::json(&cat))?,
            }
            if strict && !cat.unparsed.is_empty() {
                return Err(Fatal(format!(
                    "{} unparsed statements (--strict)",
                    cat.unparsed.len()
                )));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { input, format } => {
            let l = load(&input)?;
            let findings = l.a.check(check::CheckOptions {
                strict: input.strict,
            });
            let sources = Sources::new(&l.a.sources).with_extra(&l.a.cfg.path, &l.config_text);
            let (fmt, color) = match format {
                FindingsFormat::Text => (
                    ReportFormat::Text,
                    use_color(std::io::stdout().is_terminal()),
                ),
                FindingsFormat::Json => (ReportFormat::Json, false),
                FindingsFormat::Sarif => (ReportFormat::Sarif, false),
                FindingsFormat::Github => (ReportFormat::Github, false),
            };
            emit(&report::render(&findings, &sources, fmt, color))?;
            let failed = findings.iter().any(|f| f.severity == Severity::Error);
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::References {
            input,
            format,
            db,
            timeout_ms,
            sample,
            write,
        } => {
            let l = load(&input)?;
            let a = &l.a;
            let mut listing = silo_plan::references::listing(a);
            let mut refuted = false;
            if let Some(url) = db {
                let mut conn = postgres::Client::connect(&url, postgres::NoTls)
                    .map(PgConn)
                    .map_err(|e| Fatal(format!("cannot connect to {url}: {e}")))?;
                let opts = silo_plan::verify_refs::Options {
                    timeout_ms,
                    lock_timeout_ms: timeout_ms,
                    sample,
                };
                silo_plan::verify_refs::verify_listing(&mut conn, &a.cat, &mut listing, &opts)
                    .map_err(|e| Fatal(format!("{url}: {e}")))?;
                refuted = listing
                    .references
                    .iter()
                    .any(|r| r.verified.as_deref() == Some("refuted"));
                if let Some(path) = write {
                    let file = silo_plan::verify_refs::to_file(&listing, &a.cat);
                    let mut s = serde_json::to_string_pretty(&file)
                        .map_err(|e| Fatal(format!("cannot serialize the references: {e}")))?;
                    s.push('\n');
                    std::fs::write(&path, s)
                        .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?;
                }
            }
            match format {
                // Example values from the database are untrusted text, like the dump's names.
                Format::Text => emit_text(&silo_plan::references::text(&listing, &a.cat))?,
                Format::Json => {
                    let mut s = serde_json::to_string_pretty(&listing)
                        .map_err(|e| Fatal(format!("cannot serialize the references: {e}")))?;
                    s.push('\n');
                    emit(&s)?;
                }
            }
            Ok(if refuted {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Plan {
            input,
            out,
            force,
            allow_findings,
            format,
            migrations,
        } => {
            let mut l = load(&input)?;
            for m in migrations {
                if !l.a.cfg.migrations.contains(&m) {
                    l.a.cfg.migrations.push(m);
                }
            }
            let findings = l.a.check(check::CheckOptions {
                strict: input.strict,
            });
            // The findings that leave the plan to guess, printed as `check` prints them.
            let blocking: Vec<_> = findings
                .iter()
                .filter(|f| f.blocks_plan())
                .cloned()
                .collect();
            if !blocking.is_empty() {
                let sources = Sources::new(&l.a.sources).with_extra(&l.a.cfg.path, &l.config_text);
                let color = use_color(std::io::stderr().is_terminal());
                eprint!(
                    "{}",
                    report::render(&blocking, &sources, ReportFormat::Text, color)
                );
                let what = format!(
                    "{} finding{} above block{} the plan: the silo map must settle {} before a plan can be made without guessing",
                    blocking.len(),
                    if blocking.len() == 1 { "" } else { "s" },
                    if blocking.len() == 1 { "s" } else { "" },
                    if blocking.len() == 1 { "it" } else { "them" },
                );
                if !allow_findings {
                    return Err(Fatal(format!(
                        "{what}; fix the config (or pass --allow-findings to write the plan anyway); nothing was written"
                    )));
                }
                eprintln!("warning: {what}; writing the plan anyway (--allow-findings): plan.md lists them at the top");
            }
            // The plan names the config and dumps relative to the config's directory, so
            // that it reads the same from any working directory (the findings above, printed
            // for this terminal, keep the names as given).
            let (mut a, mut findings) = (l.a, findings);
            let cwd = std::env::current_dir()
                .map_err(|e| Fatal(format!("cannot read the working directory: {e}")))?;
            a.name_files_from_config(&cwd, &mut findings);
            let pin = a.input();
            let plan = silo_plan::plan::build(&pin, &findings);
            let opts = silo_plan::output::Options {
                force,
                inputs: l.inputs,
                fault: silo_plan::output::Fault::None,
            };
            let written = silo_plan::output::write_dir(&out, &opts, |emit| {
                silo_plan::render::render_each(&plan, &pin, emit)
            });
            let written = match written {
                Ok(w) => w,
                Err(e) => {
                    for n in &e.notes {
                        info(&format!("note: {n}"));
                    }
                    return Err(Fatal(e.message));
                }
            };
            for n in &written.notes {
                info(&format!("note: {n}"));
            }
            let files = &written.files;
            match format {
                Format::Text => {
                    let mut summary = format!(
                        "wrote {} files to {}: {} crossings, {} other findings (plan.md lists them)\n",
                        files.len(),
                        out.display(),
                        plan.crossings.len(),
                        plan.findings.len()
                    );
                    for f in files {
                        summary.push_str(&format!("  {f}\n"));
                    }
                    emit_text(&summary)?;
                }
                Format::Json => {
                    #[derive(serde::Serialize)]
                    struct Hazards<'a> {
                        drop_fks: &'a [silo_plan::plan::Step],
                        restore_fks: &'a [silo_plan::plan::Step],
                    }
                    let h = Hazards {
                        drop_fks: &plan.fks.drop,
                        restore_fks: &plan.fks.restore,
                    };
                    let text = serde_json::to_string_pretty(&h)
                        .map_err(|e| Fatal(format!("cannot print hazards: {e}")))?;
                    emit(&format!("{text}\n"))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            input,
            source,
            target,
        } => {
            let l = load(&input)?;
            let pin = l.a.input();
            let phases = silo_plan::plan::phases::build(&pin);
            if phases.targets.is_empty() {
                return Err(Fatal(
                    "nothing moves: the config names no `origin`, or every silo is the origin"
                        .into(),
                ));
            }
            let connect = |url: &str, side: &str| {
                postgres::Client::connect(url, postgres::NoTls)
                    .map(PgConn)
                    .map_err(|e| Fatal(format!("cannot connect to the {side} ({url}): {e}")))
            };
            let mut src = connect(&source, "source")?;
            let mut dst = connect(&target, "target")?;
            let report = silo_plan::verify::run(&phases, &mut src, &mut dst).map_err(Fatal)?;
            emit_text(&report.table())?;
            Ok(if report.differences() > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Suggest {
            input,
            log,
            log_line_prefix,
            input_format,
            format,
            write,
        } => {
            let l = load(&input)?;
            let workload = if log.is_empty() {
                None
            } else {
                let (log_files, res, opts) = query_logs(&l.a, &log, input_format, log_line_prefix)?;
                let w = silo_plan::queries::workload(&res, &log_files, &opts)
                    .map_err(|e| Fatal(e.to_string()))?;
                for f in &w.files {
                    info(&file_line(f));
                }
                let mut line = format!(
                    "query log: {} statements, {} distinct texts weighed, {} transactions of several writes",
                    w.calls,
                    w.statements.len(),
                    w.transactions.iter().map(|t| t.count).sum::<u64>()
                );
                if w.unparsed > 0 {
                    line.push_str(&format!(
                        "; {} unparsed statements weigh nothing (`silo-plan queries` lists them)",
                        w.unparsed
                    ));
                }
                info(&line);
                Some(w)
            };
            let s = silo_plan::suggest::suggest_weighted(&l.a, workload.as_ref());
            if write {
                let (text, added) =
                    silo_plan::suggest::write_into(&l.config_text, &l.a, &s).map_err(Fatal)?;
                if added > 0 {
                    std::fs::write(&l.a.cfg.path, text)
                        .map_err(|e| Fatal(format!("cannot write {}: {e}", l.a.cfg.path)))?;
                }
                info(&format!(
                    "{}: added {added} table{} to the silos' `tables`",
                    l.a.cfg.path,
                    if added == 1 { "" } else { "s" }
                ));
            }
            match format {
                Format::Text => emit_text(&silo_plan::suggest::text(
                    &l.a,
                    &s,
                    Some(l.config_text.as_str()).filter(|_| !write),
                ))?,
                Format::Json => {
                    let text = serde_json::to_string_pretty(&s)
                        .map_err(|e| Fatal(format!("cannot print suggestions: {e}")))?;
                    emit(&format!("{text}\n"))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { table, input } => {
            let l = load(&input)?;
            let q = resolve_table(&l, &table)?;
            emit_text(&explain::text(&l.a.input(), &q))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::ExportScript { framework } => {
            emit(match framework {
                cli::ExportFramework::Django => silo_plan::export::Exporter::Django.script(),
                cli::ExportFramework::Rails => silo_plan::export::Exporter::Rails.script(),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate {
            input,
            out,
            prefix,
            reset,
        } => {
            let l = load(&input)?;
            let sim =
                silo_plan::simulate::build(&l.a.input(), &silo_plan::simulate::Options { prefix })
                    .map_err(|e| Fatal(e.to_string()))?;
            let sql = if reset {
                silo_plan::simulate::reset_sql(&sim)
            } else {
                silo_plan::simulate::roles_sql(&sim)
            }
            .map_err(|e| Fatal(e.to_string()))?;
            match out {
                Some(path) => std::fs::write(&path, sql)
                    .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?,
                None => emit(&sql)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Relocate {
            input,
            silo,
            tenant_id,
            from,
            to,
            id,
            instance_columns,
            out,
        } => {
            let l = load(&input)?;
            let opts = silo_plan::relocate::Options {
                silo,
                tenant_id,
                from,
                to,
                id,
                instance_columns,
            };
            let r = silo_plan::relocate::build(&l.a.input(), &opts)
                .map_err(|e| Fatal(e.to_string()))?;
            std::fs::create_dir_all(&out)
                .map_err(|e| Fatal(format!("cannot create {}: {e}", out.display())))?;
            for (name, text) in silo_plan::relocate::files(&l.a.cat, &r) {
                let path = out.join(&name);
                std::fs::write(&path, text)
                    .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?;
                #[cfg(unix)]
                if name.ends_with(".sh") {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                        .map_err(|e| Fatal(format!("cannot chmod {}: {e}", path.display())))?;
                }
            }
            info(&format!(
                "wrote {}: relocation {} of {} tables; run {}/relocate.sh with SOURCE_URL, TARGET_URL{}",
                out.display(),
                r.id,
                r.tables.len(),
                out.display(),
                r.other_silos
                    .iter()
                    .map(|s| format!(", {}", silo_plan::names::env_var(s, "URL")))
                    .collect::<String>()
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Queries {
            paths,
            config,
            schema,
            strict,
            log_line_prefix,
            input_format,
            format,
        } => {
            // `[CONFIG] LOG...`: the first path is the config when it is a directory or a
            // `.toml` file and logs follow it.
            let is_config = |p: &PathBuf| p.is_dir() || p.extension().is_some_and(|x| x == "toml");
            let (config, logs) = match config {
                Some(c) => (c, paths),
                None if paths.len() > 1 && is_config(&paths[0]) => {
                    (paths[0].clone(), paths[1..].to_vec())
                }
                None => (find_config(), paths),
            };
            let input = Input {
                config_pos: None,
                config: Some(config),
                schema,
                strict,
            };
            let l = load(&input)?;
            let (log_files, res, opts) = query_logs(&l.a, &logs, input_format, log_line_prefix)?;
            let outcome = silo_plan::queries::analyze(&res, &log_files, &opts)
                .map_err(|e| Fatal(e.to_string()))?;
            let sources = Sources::new(&log_files);
            let (fmt, color) = match format {
                FindingsFormat::Text => (
                    ReportFormat::Text,
                    use_color(std::io::stdout().is_terminal()),
                ),
                FindingsFormat::Json => (ReportFormat::Json, false),
                FindingsFormat::Sarif => (ReportFormat::Sarif, false),
                FindingsFormat::Github => (ReportFormat::Github, false),
            };
            emit(&report::render(&outcome.findings, &sources, fmt, color))?;
            let st = &outcome.stats;
            for f in &st.files {
                info(&file_line(f));
            }
            info(&format!(
                "{} statements, {} distinct, {} crossing silos, {} unparsed; {} transactions, {} writing to several silos",
                st.statements, st.distinct, st.crossing, st.unparsed, st.transactions, st.crossing_transactions
            ));
            let failed = outcome
                .findings
                .iter()
                .any(|f| f.severity == Severity::Error);
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// The query logs at `paths`, read, with the resolver over `a` and the options that analyse
/// them (`queries` and `suggest --log`).
fn query_logs<'a>(
    a: &'a Analysis,
    paths: &[PathBuf],
    format: LogInput,
    log_line_prefix: Option<String>,
) -> Result<
    (
        Vec<SourceFile>,
        silo_plan::queries::Resolver<'a>,
        silo_plan::queries::Options,
    ),
    Fatal,
> {
    let files = paths
        .iter()
        .map(|p| SourceFile::load(p).map_err(|e| Fatal(e.to_string())))
        .collect::<Result<_, _>>()?;
    let opts = silo_plan::queries::Options {
        format: match format {
            LogInput::Auto => silo_plan::queries::LogFormat::Auto,
            LogInput::Csv => silo_plan::queries::LogFormat::Csv,
            LogInput::Log => silo_plan::queries::LogFormat::ServerLog,
            LogInput::Sql => silo_plan::queries::LogFormat::Sql,
        },
        log_line_prefix,
    };
    Ok((files, silo_plan::queries::Resolver::new(&a.input()), opts))
}

/// How one log file was read, for stderr.
fn file_line(f: &silo_plan::queries::FileStats) -> String {
    let mut line = format!(
        "{}: {}, {} statements",
        f.path,
        f.format.as_str(),
        f.statements
    );
    if let Some(p) = &f.prefix {
        line.push_str(&format!(", log_line_prefix {p:?}"));
    }
    if let Some(t) = f.transactions {
        line.push_str(&format!(", transactions {t}"));
    }
    line
}

/// A `postgres` client answering [`silo_plan::verify::Conn`] and
/// [`silo_plan::verify_refs::Conn`] queries with text values.
struct PgConn(postgres::Client);

impl silo_plan::verify::Conn for PgConn {
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        silo_plan::verify_refs::Conn::query(self, sql)
            .map_err(|e| format!("{} (in: {sql})", e.message))
    }
}

impl silo_plan::verify_refs::Conn for PgConn {
    fn query(
        &mut self,
        sql: &str,
    ) -> Result<Vec<Vec<Option<String>>>, silo_plan::verify_refs::DbError> {
        let msgs = self.0.simple_query(sql).map_err(|e| {
            let detail = e
                .as_db_error()
                .map(|d| d.message().to_string())
                .unwrap_or_else(|| e.to_string());
            silo_plan::verify_refs::DbError {
                code: e.code().map(|c| c.code().to_string()),
                message: detail,
            }
        })?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                _ => None,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use libmimalloc_sys::mi_option_get;

    /// A mimalloc upgrade that renumbers its options must fail here, not silently tune another
    /// option: mimalloc 3's `purge_delay` defaults to 1000 (ms; `src/options.c`, although
    /// `mimalloc.h` still says 10), and the two options after it (`use_numa_nodes`,
    /// `disallow_os_alloc`) to 0.
    #[test]
    fn purge_delay_is_the_option_we_set() {
        // SAFETY: reading an option only reads mimalloc's option table.
        let (purge, numa, os) = unsafe {
            (
                mi_option_get(super::MI_OPTION_PURGE_DELAY),
                mi_option_get(super::MI_OPTION_PURGE_DELAY + 1),
                mi_option_get(super::MI_OPTION_PURGE_DELAY + 2),
            )
        };
        assert_eq!((purge, numa, os), (1000, 0, 0));
    }
}
