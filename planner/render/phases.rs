//! Rendering `phases/*.sql`, `phases/run.sh` and `phases/runbook.md` through
//! `templates/phases/`.
//!
//! [`crate::plan::phases`] decides every statement and comment; this lays them out: a header per
//! file saying where it runs, and above each statement its why, locks and hazards as `--`
//! comments (through [`super::wrap`], wrapped at 100 columns).

use askama::Template;

use super::{cell, run, OutFile, RenderError};
use crate::ident::{literal, qualified};
use crate::plan::fanout::Fanout;
use crate::plan::phases::{Item, NewInstance, Phase, PhaseFile, Phases, Place};
use crate::plan::Step;
use crate::residency::Reservation;

/// Width comment lines are wrapped at.
const WIDTH: usize = 100;

struct ItemView {
    comments: Vec<String>,
    body: String,
}

#[derive(Template)]
#[template(path = "phases/phase.sql", escape = "none")]
struct PhaseSql {
    path: String,
    header: Vec<String>,
    items: Vec<ItemView>,
}

struct RunPhase {
    id: String,
    point_of_no_return: bool,
    files: Vec<RunFile>,
}

struct RunFile {
    env: String,
    name: String,
}

struct RunTarget {
    silo: String,
    env: String,
    pad: String,
    var: String,
    conninfo_env: String,
}

/// A new instance's script, as `run.sh instance SILO INSTANCE` runs it.
struct RunInstance {
    silo: String,
    instance: String,
    name: String,
}

#[derive(Template)]
#[template(path = "phases/run.sh", escape = "none")]
struct RunSh {
    origin: String,
    phases: Vec<RunPhase>,
    rollbacks: Vec<RunPhase>,
    targets: Vec<RunTarget>,
    instances: Vec<RunInstance>,
    instance_env: &'static str,
}

struct BookFile {
    name: String,
    where_: String,
    what: String,
}

struct BookPhase {
    number: usize,
    id: String,
    title: String,
    places: String,
    locks_cell: String,
    back: String,
    what: String,
    locks: String,
    verify: String,
    expect: String,
    rollback: String,
    point_of_no_return: bool,
    files: Vec<BookFile>,
    /// Scripted rollbacks of this phase (`rollback-06-cutover`), shown right after it.
    rollbacks: Vec<BookPhase>,
}

struct BookTarget {
    silo: String,
    env: String,
    tables: usize,
    roots: usize,
    sequences: usize,
}

struct BookReadiness {
    kind: String,
    table: String,
    silo: String,
    blocks: bool,
    message: String,
    fix: String,
}

/// A new instance's script in the runbook.
struct BookInstance {
    silo: String,
    instance: String,
    origin_instance: String,
    /// Where the origin instance's rows are: `ORIGIN` or `the region database (`$REGION_URL`)`.
    origin_place: String,
    name: String,
    origin_id_space: Option<String>,
    origin_env: String,
    /// The psql commands that register today's values of the silo's keys unique across
    /// instances in their registry (`residency/backfill/`), when it has such keys.
    backfill: Vec<String>,
    steps: Vec<String>,
}

#[derive(Template)]
#[template(path = "phases/runbook.md", escape = "none")]
struct Runbook {
    version: &'static str,
    config: String,
    origin: String,
    targets: Vec<BookTarget>,
    notes: Vec<String>,
    readiness: Vec<BookReadiness>,
    phases: Vec<BookPhase>,
    instances: Vec<BookInstance>,
    instance_env: &'static str,
}

/// `--` comment lines for `text`, wrapped at [`WIDTH`]; continuation lines indented by `indent`.
fn comment(text: &str, indent: usize) -> Vec<String> {
    // No line for an empty text, and no leading spaces kept (unlike fks' and cascades' use).
    let text = text.trim_start_matches([' ', '\n', '\r']);
    if text.is_empty() {
        return Vec::new();
    }
    super::wrap::comment_lines(text, indent, WIDTH, false)
}

fn step_comments(s: &Step) -> Vec<String> {
    let mut c = comment(&s.why, 0);
    c.extend(comment(
        &format!("Locks: {}.", super::locks_text(&s.locks)),
        4,
    ));
    for h in &s.hazards {
        c.extend(comment(&format!("Hazard {}: {}", h.kind, h.message), 4));
    }
    c
}

/// Most tables a phase's **Locks** names per mode before it counts the rest (plan.json and the
/// comment above each statement name them all).
const NAMED: usize = 12;

/// How the runbook names a phase's database: `ORIGIN`, `the control database`.
fn place_name(place: &str) -> String {
    if place == Place::Origin.slug() {
        "ORIGIN".to_string()
    } else {
        format!("the {place} database")
    }
}

/// A phase's locks, from its data: per database, each mode and its tables (`full`: named, up
/// to [`NAMED`] per mode; else counted), then the phase's note. What the runbook's **Locks**,
/// its table's cell and each phase file's header say.
fn phase_locks(p: &Phase, full: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut place: Option<&str> = None;
    for l in &p.locks {
        let tables = if full {
            let mut names: Vec<String> = l.tables.iter().take(NAMED).map(qualified).collect();
            if l.tables.len() > NAMED {
                names.push(format!("and {} more", l.tables.len() - NAMED));
            }
            names.join(", ")
        } else if l.tables.len() == 1 {
            "1 table".to_string()
        } else {
            format!("{} tables", l.tables.len())
        };
        let mode = format!("{} on {tables}", l.lock.as_str());
        if place == Some(l.place.as_str()) {
            if let Some(last) = parts.last_mut() {
                last.push_str("; ");
                last.push_str(&mode);
            }
        } else {
            place = Some(&l.place);
            parts.push(format!("on {}: {mode}", place_name(&l.place)));
        }
    }
    let summary = if parts.is_empty() {
        "none that block reads or writes".to_string()
    } else {
        parts.join("; ")
    };
    if full {
        format!("{summary}. {}", p.lock_note)
    } else {
        summary
    }
}

fn item_view(it: &Item) -> ItemView {
    match it {
        Item::Step(s) => {
            let mut body = String::new();
            if let Some(t) = &s.lock_timeout {
                body.push_str(&format!(
                    "BEGIN;\nSET LOCAL lock_timeout = {};\n",
                    literal(t)
                ));
            }
            body.push_str(&s.sql);
            body.push_str(if s.gexec { "\n\\gexec" } else { ";" });
            if s.lock_timeout.is_some() {
                body.push_str("\nCOMMIT;");
            }
            ItemView {
                comments: step_comments(s),
                body,
            }
        }
        Item::Piped(s, end) => ItemView {
            comments: step_comments(s),
            body: format!("{}\n{end}", s.sql),
        },
        Item::Meta { why, lines } => ItemView {
            comments: comment(why, 0),
            body: lines.join("\n"),
        },
    }
}

fn where_(f: &PhaseFile) -> String {
    match &f.place {
        Place::Origin => "ORIGIN (`$ORIGIN_URL`)".to_string(),
        Place::Target(s) => format!("the {s} database (`${}`)", f.env),
    }
}

fn file_name(f: &PhaseFile) -> String {
    f.path.trim_start_matches("phases/").to_string()
}

/// `label`: "Phase 6 of 7, cut over" or "Rollback of phase 6 of 7 (cut over)".
fn phase_sql(
    p: &crate::plan::phases::Phase,
    label: &str,
    f: &PhaseFile,
) -> Result<String, RenderError> {
    let place = match &f.place {
        Place::Origin => "ORIGIN, today's database".to_string(),
        Place::Target(s) => format!("the new database of silo {s}"),
    };
    let mut header = comment(
        &format!("{label}: runs on {place} (psql \"${}\").", f.env),
        4,
    );
    header.extend(comment(
        &format!(
            "Run it with `phases/run.sh {}`, which runs the phase's {} file(s) in order; phases/runbook.md has the verify query and the rollback.",
            p.id,
            p.files.len()
        ),
        4,
    ));
    header.push("--".into());
    header.extend(comment(&f.what, 0));
    header.push("--".into());
    header.extend(comment(&format!("Locks: {}.", phase_locks(p, true)), 4));
    header.extend(comment(
        &format!("Verify: {}", p.verify.replace('`', "")),
        4,
    ));
    header.extend(comment(&format!("Expected: {}.", p.expect), 4));
    // A rollback's own `rollback` text says what comes after it, not how to undo it.
    let back = if p.id.starts_with("rollback-") {
        "Afterwards"
    } else {
        "Rollback"
    };
    header.extend(comment(
        &format!("{back}: {}", p.rollback.replace('`', "")),
        4,
    ));
    if p.point_of_no_return {
        header.push("--".into());
        header.push(if p.id == "08-truncate" {
            "-- !!! POINT OF NO RETURN: this phase empties the moved tables in ORIGIN. !!!".into()
        } else {
            "-- !!! POINT OF NO RETURN: this phase deletes the moved tables from ORIGIN. !!!".into()
        });
    }
    run(
        &f.path,
        &PhaseSql {
            path: f.path.clone(),
            header,
            items: f.items.iter().map(item_view).collect(),
        },
    )
}

/// `phases/instances/<silo>/<instance>.sql`: a new instance's script, laid out as a phase file.
fn instance_sql(n: &NewInstance) -> Result<String, RenderError> {
    let origin = if n.origin {
        "ORIGIN".to_string()
    } else {
        format!("the {} database", n.silo)
    };
    let mut header = comment(
        &format!(
            "Makes a new, empty instance {i} of silo {s} ready: runs on that instance's database (psql \"${env}\"), and on no other. Instance {o} ({origin}) keeps today's rows; the application sends instance {i} its tenants afterwards (silo-plan relocate).",
            i = n.instance,
            s = n.silo,
            o = n.origin_instance,
            env = crate::plan::phases::INSTANCE_ENV,
        ),
        4,
    );
    header.extend(comment(
        &format!(
            "Run it with `phases/run.sh instance {} {}` and {} set, any time before the instance receives its first tenant; phases/runbook.md (New instances) says what it does. Rerunnable: each step skips what an earlier run did, so after a failure fix the cause and run it again; after a success a rerun changes nothing.",
            n.silo,
            n.instance,
            crate::plan::phases::INSTANCE_ENV
        ),
        4,
    ));
    header.push("--".into());
    header.push("-- In order, it:".into());
    for (i, step) in n.steps.iter().enumerate() {
        header.extend(comment(&format!("{}. {}", i + 1, step.replace('`', "")), 4));
    }
    header.push("--".into());
    header.extend(comment(
        "Locks: in this database only, which nothing uses yet: each step states its own below.",
        4,
    ));
    run(
        &n.path,
        &PhaseSql {
            path: n.path.clone(),
            header,
            items: n.items.iter().map(item_view).collect(),
        },
    )
}

fn run_sh(ph: &Phases) -> Result<String, RenderError> {
    let width = ph
        .targets
        .iter()
        .map(|t| t.env.len())
        .max()
        .unwrap_or(0)
        .max(16);
    let t = RunSh {
        origin: ph.origin.clone().unwrap_or_default(),
        phases: ph.phases.iter().map(run_phase).collect(),
        rollbacks: ph.rollbacks.iter().map(run_phase).collect(),
        targets: ph
            .targets
            .iter()
            .map(|t| RunTarget {
                silo: t.silo.clone(),
                env: t.env.clone(),
                pad: " ".repeat(width + 1 - t.env.len()),
                var: t.var.clone(),
                conninfo_env: crate::names::env_var(&t.silo, "CONNINFO"),
            })
            .collect(),
        instances: ph
            .new_instances
            .iter()
            .map(|n| RunInstance {
                silo: n.silo.clone(),
                instance: n.instance.clone(),
                name: n.path.trim_start_matches("phases/").to_string(),
            })
            .collect(),
        instance_env: crate::plan::phases::INSTANCE_ENV,
    };
    run("phases/run.sh", &t)
}

fn book_phase(number: usize, p: &Phase) -> BookPhase {
    let mut places: Vec<String> = Vec::new();
    for f in &p.files {
        let w = match &f.place {
            Place::Origin => "ORIGIN".to_string(),
            Place::Target(s) => s.clone(),
        };
        if places.last() != Some(&w) {
            places.push(w);
        }
    }
    BookPhase {
        number,
        id: p.id.clone(),
        title: p.title.clone(),
        places: places.join(" → "),
        locks_cell: cell(&phase_locks(p, false)),
        back: if p.point_of_no_return {
            "**none: POINT OF NO RETURN**".into()
        } else {
            "yes (see Rollback)".into()
        },
        what: p.what.clone(),
        locks: crate::untrusted::escape(&phase_locks(p, true)).into_owned(),
        verify: p.verify.clone(),
        expect: p.expect.clone(),
        rollback: p.rollback.clone(),
        point_of_no_return: p.point_of_no_return,
        files: p
            .files
            .iter()
            .map(|f| BookFile {
                name: file_name(f),
                where_: where_(f),
                what: f.what.clone(),
            })
            .collect(),
        rollbacks: Vec::new(),
    }
}

fn runbook(
    ph: &Phases,
    config: &str,
    reserved: &[Reservation],
    fanouts: &[Fanout],
) -> Result<String, RenderError> {
    let mut notes = Vec::new();
    let new_of = |silo: &str| -> String {
        ph.new_instances
            .iter()
            .filter(|n| n.silo == silo)
            .map(|n| n.instance.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for t in ph.targets.iter().filter(|t| !t.instances.is_empty()) {
        let first = t.origin_instance.as_deref().unwrap_or_default();
        notes.push(format!(
            "Silo {s} runs as {} instances ({}): these phases move all its rows into the database of instance {first} (its `origin_instance`): `${}` is that instance's database. Each other instance ({}) starts as a new, empty database that `phases/run.sh instance {s} NAME` makes ready (section *New instances* below). Tenants then move between instances with `silo-plan relocate`.",
            t.instances.len(),
            t.instances.join(", "),
            t.env,
            new_of(&t.silo),
            s = t.silo,
        ));
    }
    if let (Some(o), Some(first)) = (&ph.origin, &ph.origin_instance) {
        notes.push(format!(
            "Silo {o} (the origin) runs as {} instances ({}). ORIGIN becomes instance {first} (its `origin_instance`): every step below that runs on ORIGIN runs on {first} only, and {first} keeps all of today's rows. Each other instance ({}) starts as a new, empty database that `phases/run.sh instance {o} NAME` makes ready (section *New instances* below), before the application sends it a tenant. Tenants then move between instances with `silo-plan relocate`.",
            ph.origin_instances.len(),
            ph.origin_instances.join(", "),
            new_of(o),
        ));
    }
    for s in &ph.without_tables {
        notes.push(format!(
            "Silo {s} holds no table (only views): nothing moves for it, and no phase runs on a database of its own."
        ));
    }
    notes.extend(residency_notes(ph, reserved, fanouts));
    notes.push("Shared tables are not replicated: `silos/<silo>/schema.sql` creates them (with the rows the dump holds, such as migration bookkeeping) and each database keeps its own copy from then on.".into());
    let phases = ph
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut b = book_phase(i + 1, p);
            b.rollbacks = rollbacks_of(ph, p).map(|r| book_phase(i + 1, r)).collect();
            if !b.rollbacks.is_empty() {
                b.back = format!(
                    "yes: {}",
                    b.rollbacks
                        .iter()
                        .map(|r| format!("`phases/run.sh {}`", r.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            b
        })
        .collect();
    let t = Runbook {
        version: env!("CARGO_PKG_VERSION"),
        config: config.replace('`', "'"),
        origin: ph.origin.clone().unwrap_or_default(),
        targets: ph
            .targets
            .iter()
            .map(|t| BookTarget {
                silo: t.silo.clone(),
                env: t.env.clone(),
                tables: t.tables.len(),
                roots: t.roots.len(),
                sequences: t.sequences.len(),
            })
            .collect(),
        notes,
        instances: ph
            .new_instances
            .iter()
            .map(|n| BookInstance {
                silo: n.silo.clone(),
                instance: n.instance.clone(),
                origin_instance: n.origin_instance.clone(),
                origin_place: if n.origin {
                    "ORIGIN".to_string()
                } else {
                    format!(
                        "the {} database (`${}`)",
                        n.silo,
                        crate::plan::phases::env_name(&n.silo)
                    )
                },
                name: n.path.trim_start_matches("phases/").to_string(),
                origin_id_space: n.origin_id_space.clone(),
                origin_env: silo_env(ph, &n.silo),
                backfill: backfill_commands(ph, n, reserved),
                steps: n.steps.clone(),
            })
            .collect(),
        instance_env: crate::plan::phases::INSTANCE_ENV,
        readiness: ph
            .readiness
            .iter()
            .map(|r| BookReadiness {
                kind: r.kind.clone(),
                table: r.table.to_string().replace('`', "'"),
                silo: r.silo.clone(),
                blocks: r.blocks,
                message: r.message.replace('`', "'"),
                fix: r.fix.replace('`', "'"),
            })
            .collect(),
        phases,
    };
    run("phases/runbook.md", &t)
}

/// The scripted rollbacks of `p` (`rollback-06-cutover` for `06-cutover`).
fn rollbacks_of<'a>(ph: &'a Phases, p: &'a Phase) -> impl Iterator<Item = &'a Phase> {
    ph.rollbacks
        .iter()
        .filter(move |r| r.id.strip_prefix("rollback-") == Some(p.id.as_str()))
}

fn run_phase(p: &Phase) -> RunPhase {
    RunPhase {
        id: p.id.clone(),
        point_of_no_return: p.point_of_no_return,
        files: p
            .files
            .iter()
            .map(|f| RunFile {
                env: f.env.clone(),
                name: file_name(f),
            })
            .collect(),
    }
}

/// The readiness section of plan.md (Markdown, no heading), from the plan's phases.
pub fn readiness_md(ph: &Phases) -> String {
    if ph.readiness.is_empty() {
        return "None: every moving table has a primary key or replica identity, is logged, and holds no large-object reference.".into();
    }
    let mut s = String::from("| table | silo | finding | blocks | fix |\n|---|---|---|---|---|");
    for r in &ph.readiness {
        s.push_str(&format!(
            "\n| `{}` | {} | {}: {} | {} | `{}` |",
            r.table.to_string().replace('`', "'"),
            cell(&r.silo),
            r.kind,
            cell(&r.message.replace('`', "'")),
            if r.blocks { "yes" } else { "no" },
            cell(&r.fix.replace('`', "'"))
        ));
    }
    s
}

/// The database URL variable of silo `silo` in run.sh: `ORIGIN_URL` for the origin.
fn silo_env(ph: &Phases, silo: &str) -> String {
    if ph.origin.as_deref() == Some(silo) {
        "ORIGIN_URL".to_string()
    } else {
        crate::plan::phases::env_name(silo)
    }
}

/// The two psql commands of `residency/backfill/` for the silo of new instance `n`: the export on
/// its origin instance, then the import on each registry's database, from the same directory.
/// Empty when the silo has no key unique across instances.
fn backfill_commands(ph: &Phases, n: &NewInstance, reserved: &[Reservation]) -> Vec<String> {
    let registries = crate::residency::registries(reserved.iter().filter(|r| r.silo == n.silo));
    if registries.is_empty() {
        return Vec::new();
    }
    let mut out = vec![format!(
        "on instance {}: `psql -v ON_ERROR_STOP=1 -f residency/backfill/{}-export.sql \"${}\"`",
        n.origin_instance,
        n.silo,
        silo_env(ph, &n.silo)
    )];
    for r in registries {
        out.push(format!(
            "then on the {r} database: `psql -v ON_ERROR_STOP=1 -f residency/backfill/{r}-import.sql \"${}\"`",
            silo_env(ph, r)
        ));
    }
    out
}

/// The runbook's note per silo whose database gets residency files (`residency/<silo>.sql`, the
/// reservation registry; `residency/fanout/<silo>.sql`, the fan-out of its tombstones): the
/// phases do not run them, so the runbook says when and where to.
fn residency_notes(ph: &Phases, reserved: &[Reservation], fanouts: &[Fanout]) -> Vec<String> {
    let mut by_silo: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for g in crate::residency::registries(reserved) {
        by_silo
            .entry(g)
            .or_default()
            .push(format!("residency/{g}.sql"));
    }
    for f in fanouts {
        by_silo
            .entry(f.silo.as_str())
            .or_default()
            .push(format!("residency/fanout/{}.sql", f.silo));
    }
    by_silo
        .into_iter()
        .map(|(silo, files)| {
            let when = if ph.origin.as_deref() == Some(silo) {
                format!("on ORIGIN once `cascades/{silo}.sql` is installed there, before the cut-over")
            } else {
                format!("on the {silo} database after 04-provision (which installs `cascades/{silo}.sql`), before the cut-over")
            };
            format!(
                "Residency files of silo {silo} are not run by the phases: run {} with `psql -v ON_ERROR_STOP=1 -f FILE \"${}\"` {when}. They are rerunnable. `residency/{silo}.sql` holds the reservation registry (its tables, the reserve and release functions, and the releases `silo_plan.apply()` runs for tombstones); `residency/fanout/{silo}.sql` holds the per-instance watermarks of the tombstones every instance applies. `migrations/` installs the same files (`install_reservations`, `install_fanout`).",
                files.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" then "),
                silo_env(ph, silo),
            )
        })
        .collect()
}

/// Every file under `phases/`: one SQL file per phase and place, `run.sh`, `runbook.md`.
/// `reserved` and `fanouts` (the plan's reservations and fan-outs) let the runbook name the
/// residency files and the backfill of each new instance's silo.
pub fn files(
    ph: &Phases,
    config: &str,
    reserved: &[Reservation],
    fanouts: &[Fanout],
) -> Result<Vec<OutFile>, RenderError> {
    let mut out = Vec::new();
    if ph.phases.is_empty() {
        return Ok(out);
    }
    let total = ph.phases.len();
    for (i, p) in ph.phases.iter().enumerate() {
        let label = format!("Phase {} of {total}, {}", i + 1, p.title.to_lowercase());
        for f in &p.files {
            out.push(OutFile {
                path: f.path.clone(),
                contents: phase_sql(p, &label, f)?,
            });
        }
        for r in rollbacks_of(ph, p) {
            let label = format!(
                "Rollback of phase {} of {total} ({})",
                i + 1,
                p.title.to_lowercase()
            );
            for f in &r.files {
                out.push(OutFile {
                    path: f.path.clone(),
                    contents: phase_sql(r, &label, f)?,
                });
            }
        }
    }
    for n in &ph.new_instances {
        out.push(OutFile {
            path: n.path.clone(),
            contents: instance_sql(n)?,
        });
    }
    out.push(OutFile {
        path: "phases/run.sh".into(),
        contents: run_sh(ph)?,
    });
    out.push(OutFile {
        path: "phases/runbook.md".into(),
        contents: runbook(ph, config, reserved, fanouts)?,
    });
    Ok(out)
}
