//! `phases/`: the physical split, phase by phase, as data.
//!
//! Every silo other than `origin` moves out of today's database (ORIGIN) into a database of its
//! own (the *target*, `<SILO>_URL`) by Postgres logical replication, in seven phases:
//!
//! 1. **preflight** refuses to start (one `RAISE EXCEPTION` naming every problem and its fix)
//!    when `wal_level` is not `logical`, a moving table has no primary key nor replica identity,
//!    is unlogged, holds large-object ids while the database has large objects, when an
//!    extension is not available on the target or the target already holds rows;
//! 2. **prepare** installs the replicated cascades (`cascades/<silo>.sql`) in ORIGIN;
//! 3. **break** drops the cross-silo foreign keys (`fks/drop.sql`);
//! 4. **provision** loads `silos/<silo>/schema.sql` and the silo's cascades into the target;
//! 5. **replicate** publishes the moving tables (partitioned tables through their root), creates
//!    the subscription on the target and waits until `pg_subscription_rel` says every table is
//!    `r`/`s`;
//! 6. **cut over** fences writes to the moving tables in ORIGIN (a statement trigger that
//!    refuses them, on each partition too, and a row trigger on each partitioned root that
//!    Postgres passes on to partitions created later), waits until the target has received ORIGIN's WAL up to the fence,
//!    `setval`s every sequence of the moved tables on the target, drops the forward subscription
//!    and creates the reverse one (target → ORIGIN) that keeps ORIGIN current for a rollback;
//! 7. **clean up** drops the reverse subscription, the publications and the moved tables in
//!    ORIGIN: the point of no return.
//!
//! The cut-over has a scripted rollback, `rollback-06-cutover` (fence the targets, wait until
//! ORIGIN's reverse subscription has their writes, move ORIGIN's sequences up, drop the reverse
//! subscription, lift ORIGIN's fence); the other phases' rollbacks are a statement or two that
//! the runbook spells out.
//!
//! **Locks.** Every statement states the locks it takes ([`Step::locks`], the `-- Locks:`
//! comment above it) and the `lock_timeout` it runs under; a phase's [`Phase::locks`], which the
//! runbook and each phase file's header state, are the strongest of those per table and
//! database, with those of the files it includes (`cascades/<silo>.sql`, `fks/drop.sql`).
//! plan.json holds them all ([`file_locks`], [`Phases`]), and a test holds them against
//! `pg_locks` while the phases run. Triggers are created only when missing (CREATE TRIGGER:
//! SHARE ROW EXCLUSIVE, reads go on), never dropped to be created again (DROP TRIGGER: ACCESS
//! EXCLUSIVE); a rerun takes at most the locks stated. Nothing retries by itself: a lock
//! timeout stops the phase, which is run again.
//!
//! A silo other than the origin that holds no table (only views) moves nothing: it gets no
//! phase, and the runbook says so.
//!
//! A silo that runs as several instances (`instances`) keeps today's rows in its
//! `origin_instance`: ORIGIN is that instance for the origin silo, the target for a moving one.
//! Each other instance gets [`NewInstance`], `phases/instances/<silo>/<instance>.sql` (run by
//! `run.sh instance SILO INSTANCE` against [`INSTANCE_ENV`]): the silo's schema in one
//! transaction, the instance's id space (`residency/id-space/`; without `id_space` on a silo
//! whose ids come from sequences it refuses, SP020), the silo's cascades, and a check that the
//! instance is complete and empty, recorded in `silo_plan.instance_ready`. Rerunnable; not part
//! of the numbered phases (it touches no database of the split) nor of their lock claims in
//! plan.json (each statement's comment states its locks).
//!
//! A phase that runs in one place is one file (`02-prepare.sql`); a phase that runs in several is
//! one file per step, numbered in the order `run.sh` runs them and named after where they run
//! (`05-replicate.1.origin.sql`, `05-replicate.2.control.sql`). [`crate::render::phases`] lays
//! the files, `run.sh` and `runbook.md` out.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;

use super::cascades::SiloCascades;
use super::fks::FkScripts;
use super::{FileLocks, Hazard, Input, Lock, Step, StepLocks};
use crate::assign::Placement;
use crate::catalog::{QName, TableKind};
use crate::ident::{ident, literal, qualified};
use crate::names;

/// The `lock_timeout` of steps that take strong locks on live tables.
const LOCK_TIMEOUT: &str = "5s";

/// Where a file runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// Today's database (`ORIGIN_URL`).
    Origin,
    /// The new database of a moving silo (`<SILO>_URL`).
    Target(String),
}

impl Place {
    /// `origin` or the silo's name, as file names carry it.
    pub fn slug(&self) -> &str {
        match self {
            Place::Origin => "origin",
            Place::Target(s) => s,
        }
    }
}

/// One piece of a phase file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An SQL statement with its locks and hazards.
    Step(Step),
    /// An SQL query ended by a psql command instead of `;` (`\g (...) FILE`).
    Piped(Step, String),
    /// psql meta-commands (`\ir`, `\set`, `\if`), with why they are there.
    Meta {
        /// One line for the comment above.
        why: String,
        /// The lines, as psql reads them.
        lines: Vec<String>,
    },
}

/// One file of a phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseFile {
    /// Path in the plan directory (`phases/05-replicate.1.origin.sql`).
    pub path: String,
    /// Where it runs.
    pub place: Place,
    /// The environment variable holding that database's URL (`ORIGIN_URL`, `CONTROL_URL`).
    pub env: String,
    /// What the file does, one paragraph.
    pub what: String,
    /// The statements.
    pub items: Vec<Item>,
}

/// One phase of the split. plan.json holds its id, title, locks and check; the runbook all of
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Phase {
    /// `01-preflight`: the name `run.sh` takes.
    pub id: String,
    /// `Preflight`.
    pub title: String,
    /// What it does and why, for the runbook.
    #[serde(skip)]
    pub what: String,
    /// The tables it locks, per database and mode (strongest first): every lock its files'
    /// statements claim, those of the files they include (`cascades/<silo>.sql`,
    /// `fks/drop.sql`) too. The runbook's **Locks** and each phase file's header are
    /// rendered from it.
    pub locks: Vec<PlaceLocks>,
    /// How long the locks are held and what bounds the wait, for the runbook (after
    /// [`Phase::locks`]).
    pub lock_note: String,
    /// The verify query, when the check is one: plan.json's machine-readable form of
    /// [`Phase::verify`] and [`Phase::expect`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    /// How to check it worked: the query or command.
    #[serde(skip)]
    pub verify: String,
    /// What the check must show.
    #[serde(skip)]
    pub expect: String,
    /// How to undo it.
    #[serde(skip)]
    pub rollback: String,
    /// After this phase there is no way back.
    pub point_of_no_return: bool,
    /// Its files, in the order `run.sh` runs them.
    #[serde(skip)]
    pub files: Vec<PhaseFile>,
}

/// The tables a phase locks in one mode on one database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PlaceLocks {
    /// `origin`, or the silo whose new database it is.
    pub place: String,
    /// The mode, the strongest the phase takes on each of `tables`.
    pub lock: Lock,
    /// The tables, sorted.
    pub tables: Vec<QName>,
}

/// A verify query and the one line `psql -A -t` prints for it when the phase worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Check {
    /// `origin`, or the silo whose new database it runs on.
    pub place: String,
    /// The query.
    pub sql: String,
    /// Its one row, columns separated by `|`.
    pub expect: String,
}

/// A silo that moves to a new database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Silo name.
    pub silo: String,
    /// `CONTROL_URL`.
    pub env: String,
    /// psql variable holding its conninfo (`control_conninfo`).
    pub var: String,
    /// Every moving table, partitions included, sorted.
    pub tables: Vec<QName>,
    /// Moving tables that are not partitions (partitioned roots included): what the
    /// publication lists, what is dropped at clean-up, what `verify` compares.
    pub roots: Vec<QName>,
    /// Sequences owned by or feeding a default of a moving table, sorted.
    pub sequences: Vec<QName>,
    /// Foreign keys with both ends in the silo: `(constraint, child, columns, parent, columns)`.
    pub in_silo_fks: Vec<InSiloFk>,
    /// Tables that stay in ORIGIN which a foreign key of a moving table still references (a
    /// `[shared]` table: fks/drop.sql keeps those keys), sorted: dropping the moved table at
    /// clean-up drops the key's triggers on them too.
    pub kept_parents: Vec<QName>,
    /// Extensions the silo's schema creates.
    pub extensions: Vec<String>,
    /// Forward publication (ORIGIN) and subscription (target) name.
    pub forward: String,
    /// Reverse publication (target) and subscription (ORIGIN) name.
    pub reverse: String,
    /// `cascades/<silo>.sql` exists.
    pub cascades: bool,
    /// The silo runs as several instances (the phases move it into one database: its
    /// `origin_instance`'s).
    pub instances: Vec<String>,
    /// Its `origin_instance`, when it runs as several instances.
    pub origin_instance: Option<String>,
}

/// A foreign key inside a moving silo (checked for dangling rows on the target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InSiloFk {
    /// Constraint name.
    pub name: String,
    /// Child table.
    pub child: QName,
    /// Child columns.
    pub columns: Vec<String>,
    /// Parent table.
    pub parent: QName,
    /// Parent columns.
    pub parent_columns: Vec<String>,
}

/// A replication-readiness finding read from the dump (plan.md lists them before anything runs;
/// preflight checks the live database again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// The table.
    pub table: QName,
    /// Its silo.
    pub silo: String,
    /// `no-primary-key`, `unlogged`, `generated-column`, `large-object`.
    pub kind: String,
    /// What is wrong and why it matters.
    pub message: String,
    /// The fix.
    pub fix: String,
    /// Whether preflight refuses to go on because of it.
    pub blocks: bool,
}

/// The physical split. plan.json holds its phases and rollbacks (their locks and checks).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, JsonSchema)]
pub struct Phases {
    /// The origin silo, when the config names one.
    #[serde(skip)]
    pub origin: Option<String>,
    /// The moving silos: those other than the origin that hold at least one table.
    #[serde(skip)]
    pub targets: Vec<Target>,
    /// Silos other than the origin without a table (only views): nothing moves for them.
    #[serde(skip)]
    pub without_tables: Vec<String>,
    /// Readiness findings from the dump.
    #[serde(skip)]
    pub readiness: Vec<Readiness>,
    /// The seven phases (empty without an origin or without a moving silo).
    pub phases: Vec<Phase>,
    /// Phases that undo one of [`Phases::phases`] with scripts (`rollback-06-cutover`); the
    /// other phases' rollbacks are a statement or two, in their `rollback` text.
    pub rollbacks: Vec<Phase>,
    /// The silos with a `cascades/<silo>.sql`, in config order.
    #[serde(skip)]
    pub cascade_silos: Vec<String>,
    /// The silos whose `cascades/<silo>.sql` applies tombstones (creates
    /// `silo_plan.apply_<silo>` and `silo_plan.apply`), in config order.
    #[serde(skip)]
    pub apply_silos: Vec<String>,
    /// The silos with a `cascades/<silo>.replication.sql` (they record or apply tombstones),
    /// in config order.
    #[serde(skip)]
    pub replication_silos: Vec<String>,
    /// Tombstone triggers `02-prepare` creates in ORIGIN: one per parent of a replicated edge.
    #[serde(skip)]
    pub producers: usize,
    /// Cross-silo foreign keys `fks/drop.sql` drops: `(child, constraint)`.
    #[serde(skip)]
    pub broken: Vec<(QName, String)>,
    /// The config's `cleanup`: drop the moved tables, or keep them write-locked and truncate
    /// them in `08-truncate`.
    #[serde(skip)]
    pub cleanup: crate::config::Cleanup,
    /// The origin silo's instances, when it runs as several: ORIGIN becomes its
    /// `origin_instance`.
    #[serde(skip)]
    pub origin_instances: Vec<String>,
    /// The origin silo's `origin_instance`, when it runs as several instances.
    #[serde(skip)]
    pub origin_instance: Option<String>,
    /// The scripts that make each new instance of a multi-instance silo ready, in config order.
    #[serde(skip)]
    pub new_instances: Vec<NewInstance>,
}

/// `CONTROL_URL` for silo `control` ([`names::env_var`]).
pub fn env_name(silo: &str) -> String {
    names::env_var(silo, "URL")
}

/// `control_conninfo` for silo `control` (a psql variable name).
fn var_name(silo: &str) -> String {
    format!("{}_conninfo", names::silo_key(silo))
}

/// A statement in autocommit; one with a `not-transactional` hazard (DROP SUBSCRIPTION) is
/// marked as one that cannot run in a transaction block.
fn step(why: &str, locks: Vec<(QName, Lock)>, hazards: Vec<Hazard>, sql: String) -> Item {
    let transactional = !hazards.iter().any(|h| h.kind == "not-transactional");
    Item::Step(Step {
        why: why.to_string(),
        locks,
        hazards,
        transactional,
        object: String::new(),
        lock_timeout: None,
        gexec: false,
        sql,
    })
}

fn gexec(why: &str, hazards: Vec<Hazard>, sql: String) -> Item {
    Item::Step(Step {
        why: why.to_string(),
        locks: Vec::new(),
        hazards,
        transactional: false,
        object: String::new(),
        lock_timeout: None,
        gexec: true,
        sql,
    })
}

/// A query whose one row, when the publication is missing, is the CREATE PUBLICATION that
/// psql's `\gexec` runs (in the same transaction: its SHARE UPDATE EXCLUSIVE locks are the
/// step's).
fn publish(why: &str, locks: Vec<(QName, Lock)>, sql: String) -> Item {
    Item::Step(Step {
        why: why.to_string(),
        locks,
        hazards: Vec::new(),
        transactional: true,
        object: String::new(),
        lock_timeout: None,
        gexec: true,
        sql,
    })
}

fn meta(why: &str, lines: &[String]) -> Item {
    Item::Meta {
        why: why.to_string(),
        lines: lines.to_vec(),
    }
}

fn hazard(kind: &str, message: &str) -> Hazard {
    Hazard {
        kind: kind.to_string(),
        message: message.to_string(),
    }
}

/// `VALUES ('public.a'), ('public."B"')`: regclass texts as literals.
fn regclass_values(tables: &[QName]) -> String {
    tables
        .iter()
        .map(|t| format!("({})", literal(&qualified(t))))
        .collect::<Vec<_>>()
        .join(",\n           ")
}

/// A verify query on `place` and the one line `psql -A -t` prints for it when the phase worked.
fn check(place: &Place, sql: String, expect: impl Into<String>) -> Check {
    Check {
        place: place.slug().to_string(),
        sql,
        expect: expect.into(),
    }
}

/// `on ORIGIN: `SQL``, `on CONTROL: `SQL``: how the runbook shows a [`Check`]'s query.
fn verify_text(c: &Check) -> String {
    let on = if c.place == Place::Origin.slug() {
        "ORIGIN".to_string()
    } else {
        env_name(&c.place).trim_end_matches("_URL").to_string()
    };
    format!("on {on}: `{}`", c.sql)
}

fn table_list(tables: &[QName]) -> String {
    tables
        .iter()
        .map(qualified)
        .collect::<Vec<_>>()
        .join(",\n    ")
}

/// Builds the phases of the split, with the FK scripts and the cascades it runs built here
/// (`silo-plan verify` needs only the targets; `plan` builds them once, [`build_with`]).
pub fn build(input: &Input) -> Phases {
    build_with(
        input,
        &super::fks::build(input),
        &super::cascades::build(input),
    )
}

/// Builds the phases of the split; `fks` and `cascades` are the plan's, whose files the phases
/// run (their lock claims are part of the phases').
pub fn build_with(input: &Input, fks: &FkScripts, cascades: &[SiloCascades]) -> Phases {
    let cat = input.cat;
    let cfg = input.cfg;
    let origin = cfg.origin.as_ref().map(|o| o.get_ref().clone());
    let mut out = Phases {
        origin: origin.clone(),
        cleanup: cfg.cleanup,
        origin_instances: origin
            .as_deref()
            .and_then(|o| cfg.silo(o))
            .filter(|s| s.instances.len() >= 2)
            .map(|s| s.instances.clone())
            .unwrap_or_default(),
        origin_instance: origin
            .as_deref()
            .and_then(|o| cfg.silo(o))
            .and_then(|s| s.origin_instance())
            .map(str::to_string),
        ..Phases::default()
    };
    out.readiness = readiness(input);
    let Some(origin) = origin else {
        return out;
    };
    let silo_of = |t: &QName| match input.asg.silo_of(t) {
        Some(Placement::Silo(s)) => Some(s.clone()),
        _ => None,
    };
    let extensions: Vec<String> = {
        let set: BTreeSet<String> = cat.extensions.iter().map(|e| e.name.clone()).collect();
        set.into_iter().collect()
    };
    let cascade_silos: Vec<String> = cascades
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| c.silo.clone())
        .collect();
    out.cascade_silos = cascade_silos.clone();
    out.apply_silos = cascades
        .iter()
        .filter(|c| !c.edges.is_empty())
        .map(|c| c.silo.clone())
        .collect();
    out.replication_silos = cascades
        .iter()
        .filter(|c| !c.producers.is_empty() || !c.edges.is_empty())
        .map(|c| c.silo.clone())
        .collect();
    out.producers = cascades.iter().map(|c| c.producers.len()).sum();
    for s in cfg.silos.iter().filter(|s| s.name != origin) {
        let mut tables: Vec<QName> = cat
            .tables
            .iter()
            .map(|t| t.qname())
            .filter(|q| silo_of(q).as_deref() == Some(s.name.as_str()))
            .collect();
        tables.sort();
        if tables.is_empty() {
            // Nothing to publish, subscribe, fence or drop: no database of its own.
            out.without_tables.push(s.name.clone());
            continue;
        }
        let roots: Vec<QName> = tables
            .iter()
            .filter(|q| cat.table(q).is_some_and(|t| t.partition_of.is_none()))
            .cloned()
            .collect();
        let set: BTreeSet<&QName> = tables.iter().collect();
        let mut sequences: Vec<QName> = cat
            .sequences
            .iter()
            .filter(|q| {
                q.owned_by.as_ref().is_some_and(|c| set.contains(&c.table))
                    || q.used_by.iter().any(|c| set.contains(&c.table))
            })
            .map(|q| q.name.clone())
            .collect();
        sequences.sort();
        sequences.dedup();
        // Constraints only: a reference without one is in no DDL and no check of the target.
        let kept_parents: BTreeSet<QName> = cat
            .foreign_keys
            .iter()
            .filter(|f| {
                f.is_constraint()
                    && set.contains(&f.table)
                    && !set.contains(&f.references)
                    && silo_of(&f.references).is_none()
            })
            .map(|f| f.references.clone())
            .collect();
        let in_silo_fks = cat
            .foreign_keys
            .iter()
            .filter(|f| f.is_constraint() && set.contains(&f.table) && set.contains(&f.references))
            .map(|f| InSiloFk {
                name: f.name.clone(),
                child: f.table.clone(),
                columns: f.columns.clone(),
                parent: f.references.clone(),
                parent_columns: f.referenced_columns.clone(),
            })
            .collect();
        out.targets.push(Target {
            silo: s.name.clone(),
            env: env_name(&s.name),
            var: var_name(&s.name),
            tables,
            roots,
            sequences,
            in_silo_fks,
            kept_parents: kept_parents.into_iter().collect(),
            extensions: extensions.clone(),
            // Replication slots take these names too: lowercase, digits and `_` only.
            forward: names::silo_object("silo_plan_move_", &s.name, ""),
            reverse: names::silo_object("silo_plan_back_", &s.name, ""),
            cascades: cascade_silos.contains(&s.name),
            instances: s.instances.clone(),
            origin_instance: s.origin_instance().map(str::to_string),
        });
    }
    // The constraints fks/drop.sql drops (a reference without one has nothing to drop).
    out.broken = crate::check::crossings(cat, input.asg, input.rules)
        .into_iter()
        .filter(|c| c.child_silo != "shared" && c.parent_silo != "shared")
        .filter(|c| cat.foreign_keys[c.fk].is_constraint())
        .map(|c| {
            let fk = &cat.foreign_keys[c.fk];
            (fk.table.clone(), fk.name.clone())
        })
        .collect();
    if out.targets.is_empty() {
        return out;
    }
    out.phases = vec![
        preflight(&out),
        prepare(&out),
        break_phase(&out),
        provision(&out),
        replicate(&out),
        cutover(&out),
        cleanup(&out),
    ];
    if out.cleanup == crate::config::Cleanup::LockWrites {
        out.phases.push(truncate(&out));
    }
    out.rollbacks = vec![rollback_cutover(&out)];
    out.new_instances = new_instances(input, &out);
    // Each phase's locks: its statements' and those of the files it includes.
    let mut included: BTreeMap<String, Vec<StepLocks>> = BTreeMap::new();
    for f in super::fks::file_locks(fks)
        .into_iter()
        .chain(cascades.iter().flat_map(super::cascades::file_locks))
    {
        included.insert(f.file, f.steps);
    }
    for p in out.phases.iter_mut().chain(out.rollbacks.iter_mut()) {
        p.locks = phase_locks(p, &included);
    }
    out
}

/// The lock claims of every phase file, in run order (phases, then their rollbacks), then of
/// the new instances' scripts.
pub fn file_locks(p: &Phases) -> Vec<FileLocks> {
    let steps = |items: &[Item]| {
        items
            .iter()
            .filter_map(|it| match it {
                Item::Step(s) | Item::Piped(s, _) => Some(StepLocks::of(s)),
                Item::Meta { .. } => None,
            })
            .collect()
    };
    p.phases
        .iter()
        .chain(&p.rollbacks)
        .flat_map(|ph| &ph.files)
        .map(|f| FileLocks {
            file: f.path.clone(),
            steps: steps(&f.items),
        })
        .chain(p.new_instances.iter().map(|n| FileLocks {
            file: n.path.clone(),
            steps: steps(&n.items),
        }))
        .collect()
}

/// The plan-relative path a phase file's `\ir ../PATH` line includes.
pub fn included_path(line: &str) -> Option<&str> {
    line.strip_prefix("\\ir ../")
}

/// What `p` locks, per place and mode: each table under the strongest mode any of its
/// statements (or any statement of a file it includes) claims, tables claimed only as
/// [`Lock::None`] left out.
fn phase_locks(p: &Phase, included: &BTreeMap<String, Vec<StepLocks>>) -> Vec<PlaceLocks> {
    let mut strongest: BTreeMap<(&Place, &QName), Lock> = BTreeMap::new();
    let mut add = |place, t, l: Lock| {
        let e = strongest.entry((place, t)).or_insert(l);
        *e = (*e).min(l);
    };
    for f in &p.files {
        for it in &f.items {
            match it {
                Item::Step(s) | Item::Piped(s, _) => {
                    for (t, l) in &s.locks {
                        add(&f.place, t, *l);
                    }
                }
                Item::Meta { lines, .. } => {
                    for steps in lines
                        .iter()
                        .filter_map(|l| included_path(l))
                        .filter_map(|path| included.get(path))
                    {
                        for g in steps.iter().flat_map(|s| &s.locks) {
                            for t in &g.tables {
                                add(&f.place, t, g.lock);
                            }
                        }
                    }
                }
            }
        }
    }
    let mut by_mode: BTreeMap<(&Place, Lock), Vec<QName>> = BTreeMap::new();
    for ((place, t), l) in strongest {
        if l != Lock::None {
            by_mode.entry((place, l)).or_default().push(t.clone());
        }
    }
    by_mode
        .into_iter()
        .map(|((place, lock), tables)| PlaceLocks {
            place: place.slug().to_string(),
            lock,
            tables,
        })
        .collect()
}

fn readiness(input: &Input) -> Vec<Readiness> {
    let cat = input.cat;
    let origin = input.cfg.origin.as_ref().map(|o| o.get_ref().as_str());
    let mut out = Vec::new();
    for t in &cat.tables {
        let q = t.qname();
        let silo = match input.asg.silo_of(&q) {
            Some(Placement::Silo(s)) if Some(s.as_str()) != origin => s.clone(),
            _ => continue,
        };
        // Most tables have nothing to report: their name is quoted only when one is made.
        let name = || qualified(&q);
        if t.kind == TableKind::Ordinary
            && t.primary_key.is_none()
            && !has_replica_identity(input, &q)
        {
            out.push(Readiness {
                table: q.clone(),
                silo: silo.clone(),
                kind: "no-primary-key".into(),
                message: format!("{} has no primary key and no replica identity: logical replication cannot carry its UPDATEs and DELETEs", name()),
                fix: format!("ALTER TABLE {n} ADD PRIMARY KEY (...); or ALTER TABLE {n} REPLICA IDENTITY FULL (the subscriber then compares whole rows: slower)", n = name()),
                blocks: true,
            });
        }
        if t.unlogged {
            out.push(Readiness {
                table: q.clone(),
                silo: silo.clone(),
                kind: "unlogged".into(),
                message: format!(
                    "{} is UNLOGGED: it writes no WAL, so logical replication never sees its rows",
                    name()
                ),
                fix: format!(
                    "ALTER TABLE {} SET LOGGED (rewrites the table under an ACCESS EXCLUSIVE lock)",
                    name()
                ),
                blocks: true,
            });
        }
        for c in &t.columns {
            if c.generated.is_some() {
                out.push(Readiness {
                    table: q.clone(),
                    silo: silo.clone(),
                    kind: "generated-column".into(),
                    message: format!("{}.{} is a generated column: Postgres 15 does not replicate it; the target computes it again from its own definition", name(), ident(&c.name)),
                    fix: "nothing, as long as silos/<silo>/schema.sql keeps the same expression (it does: it is the dump's own statement)".into(),
                    blocks: false,
                });
            }
            let ty = c.data_type.as_bytes();
            let lo = ty.len() >= 3 && ty[ty.len() - 3..].eq_ignore_ascii_case(b".lo");
            if ty.eq_ignore_ascii_case(b"oid") || ty.eq_ignore_ascii_case(b"lo") || lo {
                out.push(Readiness {
                    table: q.clone(),
                    silo: silo.clone(),
                    kind: "large-object".into(),
                    message: format!("{}.{} ({}) looks like a large-object reference: logical replication does not copy pg_largeobject", name(), ident(&c.name), c.data_type),
                    fix: "move the contents into a bytea column (or object storage) before the split; preflight refuses while the database holds large objects".into(),
                    blocks: true,
                });
            }
        }
    }
    out
}

/// Whether the dump sets a replica identity other than DEFAULT/NOTHING on `t`.
fn has_replica_identity(input: &Input, t: &QName) -> bool {
    input.cat.statements.iter().any(|st| {
        // Not a statement of an earlier table of that name, dropped since.
        !st.superseded && input.cat.subject(st) == Some(t) && {
            let text = input.text(&st.span).to_ascii_uppercase();
            let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            text.contains("REPLICA IDENTITY FULL") || text.contains("REPLICA IDENTITY USING INDEX")
        }
    })
}

fn header_guard(vars: &[(&str, &str)]) -> Vec<String> {
    let mut lines = Vec::new();
    for (var, what) in vars {
        lines.push(format!("\\if :{{?{var}}}"));
        lines.push("\\else".into());
        lines.push(format!(
            "DO $silo_plan$ BEGIN RAISE EXCEPTION 'psql variable {var} is not set: run this file through phases/run.sh, or with -v {var}=... ({what})'; END $silo_plan$;"
        ));
        lines.push("\\endif".into());
    }
    lines
}

/// `` `cascades/control.replication.sql`, `cascades/region.replication.sql` ``.
fn replication_files(p: &Phases) -> String {
    p.replication_silos
        .iter()
        .map(|s| format!("`cascades/{s}.replication.sql`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn all_roots(p: &Phases) -> Vec<QName> {
    p.targets.iter().flat_map(|t| t.roots.clone()).collect()
}

fn all_tables(p: &Phases) -> Vec<QName> {
    p.targets.iter().flat_map(|t| t.tables.clone()).collect()
}

fn file(id: &str, place: Place, multi: Option<usize>, what: &str, items: Vec<Item>) -> PhaseFile {
    let env = match &place {
        Place::Origin => "ORIGIN_URL".to_string(),
        Place::Target(s) => env_name(s),
    };
    let path = match multi {
        None => format!("phases/{id}.sql"),
        Some(n) => format!("phases/{id}.{n}.{}.sql", place.slug()),
    };
    PhaseFile {
        path,
        place,
        env,
        what: what.to_string(),
        items,
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Preflight.

fn preflight(p: &Phases) -> Phase {
    let id = "01-preflight";
    let tables = all_tables(p);
    let origin_check = format!(
        r#"DO $silo_plan$
DECLARE
    problems text[] := '{{}}';
    r record;
BEGIN
    IF current_setting('wal_level') <> 'logical' THEN
        problems := problems || format('wal_level is %s, not logical: ALTER SYSTEM SET wal_level = logical; then restart the origin server', current_setting('wal_level'));
    END IF;
    IF (SELECT count(*) FROM pg_catalog.pg_replication_slots) + {slots} > current_setting('max_replication_slots')::int THEN
        problems := problems || format('max_replication_slots is %s and %s slot(s) are in use: the split needs {slots} more; raise it and restart', current_setting('max_replication_slots'), (SELECT count(*) FROM pg_catalog.pg_replication_slots));
    END IF;
    FOR r IN
        SELECT v.name, c.oid, c.relkind, c.relpersistence, c.relreplident,
               EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
               EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS has_ri_index
          FROM (VALUES {values}) AS v(name)
          LEFT JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(v.name)
    LOOP
        IF r.oid IS NULL THEN
            problems := problems || format('table %s is not in the origin database: the dump and the database differ; plan again from a fresh dump', r.name);
            CONTINUE;
        END IF;
        IF r.relpersistence = 'u' THEN
            problems := problems || format('table %s is UNLOGGED: logical replication never sees its rows. Fix: ALTER TABLE %s SET LOGGED;', r.name, r.name);
        END IF;
        IF r.relkind = 'r' AND NOT (r.relreplident = 'f' OR (r.relreplident = 'd' AND r.has_pk) OR (r.relreplident = 'i' AND r.has_ri_index)) THEN
            problems := problems || format('table %s has no primary key and no replica identity: its UPDATEs and DELETEs cannot be replicated. Fix: ALTER TABLE %s ADD PRIMARY KEY (...); or ALTER TABLE %s REPLICA IDENTITY FULL;', r.name, r.name, r.name);
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata) THEN
        FOR r IN
            SELECT a.attrelid::regclass::text AS tab, pg_catalog.quote_ident(a.attname) AS col
              FROM (VALUES {values}) AS v(name)
              JOIN pg_catalog.pg_attribute a ON a.attrelid = pg_catalog.to_regclass(v.name)
              JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
             WHERE a.attnum > 0 AND NOT a.attisdropped AND ty.typname IN ('oid', 'lo')
        LOOP
            problems := problems || format('column %s.%s refers to large objects and the database has some: logical replication does not copy pg_largeobject. Fix: move the contents into a bytea column before the split', r.tab, r.col);
        END LOOP;
    END IF;
    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION E'silo-plan preflight refused the split on ORIGIN (% problem(s)); nothing was changed:\n  * %',
            cardinality(problems), array_to_string(problems, E'\n  * ');
    END IF;
    RAISE NOTICE 'silo-plan preflight on ORIGIN: ok, {n} moving table(s) checked';
END
$silo_plan$"#,
        slots = p.targets.len(),
        values = regclass_values(&tables),
        n = tables.len(),
    );
    let mut files = vec![file(
        id,
        Place::Origin,
        Some(1),
        "Checks ORIGIN: wal_level, free replication slots, and every moving table (exists, logged, has a primary key or replica identity, no large objects). Reads catalogs only.",
        vec![step(
            "Refuse to start while anything would make the replication lose rows; one message lists every problem and its fix.",
            Vec::new(),
            Vec::new(),
            origin_check,
        )],
    )];
    for (i, t) in p.targets.iter().enumerate() {
        let exts = if t.extensions.is_empty() {
            "(NULL::text)".to_string()
        } else {
            t.extensions
                .iter()
                .map(|e| format!("({})", literal(e)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = format!(
            r#"DO $silo_plan$
DECLARE
    problems text[] := '{{}}';
    r record;
    has_rows boolean;
BEGIN
    IF current_setting('server_version_num')::int < 130000 THEN
        problems := problems || format('the {silo} server runs Postgres %s: publish_via_partition_root and the checks here need 13 or later', current_setting('server_version'));
    END IF;
    IF current_setting('wal_level') <> 'logical' THEN
        problems := problems || format('wal_level is %s on the {silo} server, not logical: the reverse subscription that keeps ORIGIN current for a rollback needs it. ALTER SYSTEM SET wal_level = logical; then restart', current_setting('wal_level'));
    END IF;
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        problems := problems || format('role %s is not a superuser on the {silo} server: CREATE SUBSCRIPTION needs one (or pg_create_subscription on Postgres 16+)', current_user);
    END IF;
    FOR r IN
        SELECT v.name FROM (VALUES {exts}) AS v(name)
         WHERE v.name IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions a WHERE a.name = v.name)
    LOOP
        problems := problems || format('extension %s is not available on the {silo} server: silos/{silo}/schema.sql creates it. Fix: install its package on that server', r.name);
    END LOOP;
    FOR r IN SELECT v.name, pg_catalog.to_regclass(v.name) AS rel FROM (VALUES {values}) AS v(name) LOOP
        IF r.rel IS NOT NULL THEN
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', r.rel) INTO has_rows;
            IF has_rows THEN
                problems := problems || format('table %s already holds rows in the {silo} database: the initial copy would fail on duplicate keys. Fix: provision an empty database', r.name);
            END IF;
        END IF;
    END LOOP;
    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION E'silo-plan preflight refused the split on {silo} (% problem(s)); nothing was changed:\n  * %',
            cardinality(problems), array_to_string(problems, E'\n  * ');
    END IF;
    RAISE NOTICE 'silo-plan preflight on {silo}: ok';
END
$silo_plan$"#,
            silo = plain(&t.silo),
            values = regclass_values(&t.roots),
        );
        files.push(file(
            id,
            Place::Target(t.silo.clone()),
            Some(i + 2),
            &format!(
                "Checks the new {} database: Postgres 13+, wal_level, a superuser, the extensions its schema needs, and no rows in its tables yet. Reads catalogs only.",
                t.silo
            ),
            vec![step(
                "Refuse to start when the target cannot take the schema, the subscription or the initial copy.",
                Vec::new(),
                Vec::new(),
                sql,
            )],
        ));
    }
    Phase {
        id: id.into(),
        title: "Preflight".into(),
        what: "Checks both sides before anything changes. Every problem is reported at once, each naming the table and the fix; the phase changes nothing, so it can be rerun until it passes.".into(),
        locks: Vec::new(),
        lock_note: "Catalog reads; the target check reads one row of each existing table".into(),
        check: None,
        verify: "`phases/run.sh 01-preflight` exits 0 and prints `silo-plan preflight on ORIGIN: ok` and one `ok` per target.".into(),
        expect: "exit status 0".into(),
        rollback: "nothing to undo: the phase only reads.".into(),
        point_of_no_return: false,
        files,
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Prepare.

fn prepare(p: &Phases) -> Phase {
    let id = "02-prepare";
    let mut items = Vec::new();
    for s in &p.cascade_silos {
        items.push(meta(
            &format!("Install silo {s}'s replicated cascades in ORIGIN (cascades/{s}.sql: its comments give each statement's locks). Idempotent."),
            &[format!("\\ir ../cascades/{s}.sql")],
        ));
    }
    if items.is_empty() {
        items.push(meta(
            "No broken edge needs a replicated cascade: nothing to install.",
            &["\\echo 'silo-plan: no cascades to install'".to_string()],
        ));
    }
    let triggers =
        "SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgname = 'silo_plan_tombstones';";
    let c = check(
        &Place::Origin,
        triggers.to_string(),
        p.producers.to_string(),
    );
    let what = if p.cascade_silos.is_empty() {
        "No foreign key that crosses a silo needs a replicated cascade (none crosses, or silo-plan.toml ignores each one that does): nothing to install, and the phase changes nothing.".to_string()
    } else {
        let mut w = format!(
            "Installs the replicated cascades ({}) in ORIGIN while every foreign key still holds, so the tombstones flow before any key is dropped.",
            p.cascade_silos
                .iter()
                .map(|s| format!("cascades/{s}.sql"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if p.apply_silos.is_empty() {
            w.push_str(" No crossing is replicated with tombstones (each is restrict): deploy the application's checks before deletes (stubs/) in the same change.");
        } else {
            w.push_str(" Deploy the application's cascade handlers (stubs/) and start the tombstone pump (`SELECT silo_plan.apply(1000)` on a schedule) in the same change.");
        }
        w
    };
    Phase {
        id: id.into(),
        title: "Prepare".into(),
        what,
        locks: Vec::new(),
        lock_note: if p.producers > 0 {
            "Each tombstone trigger is created when missing, in a transaction of its own under lock_timeout 5s: milliseconds for the catalog change, once the transactions writing the table have ended; writes to it wait meanwhile, reads go on. A timeout stops the phase: run it again (there is no automatic retry). The locks on silo_plan.* are on silo-plan's own tables, which the application does not use".into()
        } else if p.cascade_silos.is_empty() {
            "Nothing is installed".into()
        } else {
            "The locks on silo_plan.* are on silo-plan's own tables, which the application does not use".into()
        },
        verify: verify_text(&c),
        expect: match p.producers {
            0 => "0 (no table records tombstones)".to_string(),
            n => format!("{n} (one tombstone trigger per parent table listed in the cascades files' headers)"),
        },
        check: Some(c),
        rollback: if p.cascade_silos.is_empty() {
            "nothing to undo: the phase changed nothing.".into()
        } else {
            "on ORIGIN: `DROP SCHEMA silo_plan CASCADE;` (drops the tombstone tables, the functions and, through them, the triggers). Nothing else depends on it yet.".into()
        },
        point_of_no_return: false,
        files: vec![file(
            id,
            Place::Origin,
            None,
            if p.cascade_silos.is_empty() {
                "Prints that there is nothing to install."
            } else {
                "Installs the replicated cascades of every silo in ORIGIN."
            },
            items,
        )],
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Break.

fn break_phase(p: &Phases) -> Phase {
    let id = "03-break";
    let items = vec![meta(
        if p.broken.is_empty() {
            "No foreign key crosses a silo: fks/drop.sql drops nothing."
        } else {
            "Drop every cross-silo foreign key (each in a transaction of its own with lock_timeout 5s; the column and its index stay). fks/drop.sql's comments give each statement's locks."
        },
        &["\\ir ../fks/drop.sql".to_string()],
    )];
    let c = (!p.broken.is_empty()).then(|| {
        check(
            &Place::Origin,
            format!(
                "SELECT count(*) FROM pg_catalog.pg_constraint WHERE contype = 'f' AND (conrelid, conname) IN (VALUES {});",
                p.broken
                    .iter()
                    .map(|(t, n)| format!(
                        "({}::regclass, {})",
                        literal(&qualified(t)),
                        literal(n)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "0",
        )
    });
    let what = if p.broken.is_empty() {
        "No foreign key crosses a silo: fks/drop.sql has nothing to drop, and the phase changes nothing.".to_string()
    } else if p.cascade_silos.is_empty() {
        format!("Drops the {} cross-silo foreign keys with fks/drop.sql. silo-plan.toml ignores each of them: nothing replaces them.", p.broken.len())
    } else {
        format!("Drops the {} cross-silo foreign keys with fks/drop.sql. From now on the cascades installed by prepare are the only thing that keeps the silos consistent.", p.broken.len())
    };
    Phase {
        id: id.into(),
        title: "Break".into(),
        what,
        locks: Vec::new(),
        lock_note: if p.broken.is_empty() {
            "Nothing is dropped".into()
        } else {
            "One key per transaction: its child and its parent, with their partitions, for the catalog change only (milliseconds) under lock_timeout 5s. Reads and writes of both queue behind the lock while it waits, so the wait gives up after 5s and the phase stops: run it again (there is no automatic retry). An index built first with CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, which lets reads and writes go on".into()
        },
        verify: c.as_ref().map_or_else(
            || "nothing to check: no foreign key crosses a silo".to_string(),
            verify_text,
        ),
        expect: if p.broken.is_empty() {
            "nothing".into()
        } else {
            "0".into()
        },
        check: c,
        rollback: if p.broken.is_empty() {
            "nothing to undo: the phase changed nothing.".into()
        } else if p.apply_silos.is_empty() {
            "on ORIGIN: `psql -v ON_ERROR_STOP=1 -f fks/restore.sql \"$ORIGIN_URL\"` (re-adds each key NOT VALID, then VALIDATE, which fails on a row left without its parent meanwhile).".into()
        } else {
            "on ORIGIN: `psql -v ON_ERROR_STOP=1 -f fks/restore.sql \"$ORIGIN_URL\"` (re-adds each key NOT VALID, then VALIDATE; run the tombstone pump to quiet first so no orphan blocks VALIDATE).".into()
        },
        point_of_no_return: false,
        files: vec![file(
            id,
            Place::Origin,
            None,
            if p.broken.is_empty() {
                "Runs fks/drop.sql, which has nothing to drop."
            } else {
                "Drops every cross-silo foreign key in ORIGIN."
            },
            items,
        )],
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Provision.

fn provision(p: &Phases) -> Phase {
    let id = "04-provision";
    let multi = p.targets.len() > 1;
    let mut files = Vec::new();
    for (i, t) in p.targets.iter().enumerate() {
        // The dump's own statements for its tables and the shared tables (no rows: they arrive
        // by replication), loaded once so that the phase runs again after a failure.
        let mut items = Vec::from(load_schema_once(
            &t.silo,
            &t.roots,
            "..",
            "drop the new database and create it again, then run this phase again",
        ));
        if t.cascades {
            items.push(meta(
                &format!("Install silo {}'s replicated cascades now: the subscription's apply workers do not fire ordinary triggers, so the tombstone triggers stay quiet until the application writes here after the cut-over.", t.silo),
                &[format!("\\ir ../cascades/{}.sql", t.silo)],
            ));
        }
        files.push(file(
            id,
            Place::Target(t.silo.clone()),
            multi.then_some(i + 1),
            &format!(
                "Creates the {} database's schema from silos/{}/schema.sql.",
                t.silo, t.silo
            ),
            items,
        ));
    }
    let t0 = &p.targets[0];
    let c = check(
        &Place::Target(t0.silo.clone()),
        format!(
            "SELECT count(*) FROM pg_catalog.pg_class WHERE oid IN ({});",
            t0.roots
                .iter()
                .map(|q| format!("{}::regclass", literal(&qualified(q))))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        t0.roots.len().to_string(),
    );
    Phase {
        id: id.into(),
        title: "Provision".into(),
        what: "Creates the schema of each moving silo in its new, empty database (roles named in the schema must exist on that server first: they are cluster-wide).".into(),
        locks: Vec::new(),
        lock_note: "None on ORIGIN. The new database is not in use yet: the locks listed are those of the cascades installed there; the DDL of silos/<silo>/schema.sql locks the tables it creates, which is not listed".into(),
        verify: verify_text(&c),
        expect: format!("{} (every moving table of {} exists; the query fails if one is missing)", t0.roots.len(), t0.silo),
        check: Some(c),
        rollback: "drop the new database (`DROP DATABASE ...` on its server): nothing reads it yet.".into(),
        point_of_no_return: false,
        files,
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Replicate.

fn replicate(p: &Phases) -> Phase {
    let id = "05-replicate";
    let mut files = Vec::new();
    let mut origin_items = Vec::new();
    for t in &p.targets {
        let locks = t
            .roots
            .iter()
            .map(|q| (q.clone(), Lock::ShareUpdateExclusive))
            .collect();
        origin_items.push(publish(
            &format!("Publish silo {}'s tables (partitioned tables through their root, so the target may partition them differently). CREATE PUBLICATION has no IF NOT EXISTS: the query returns the statement only when the publication is missing, and psql's \\gexec runs it.", t.silo),
            locks,
            format!(
                "SELECT 'CREATE PUBLICATION {pubi} FOR TABLE\n    {tables}\n    WITH (publish_via_partition_root = true)'\n WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = {publ})",
                pubi = ident(&t.forward),
                tables = table_list(&t.roots).replace('\'', "''"),
                publ = literal(&t.forward),
            ),
        ));
    }
    files.push(file(
        id,
        Place::Origin,
        Some(1),
        "Publishes the moving tables in ORIGIN.",
        origin_items,
    ));
    for (i, t) in p.targets.iter().enumerate() {
        let items = vec![
            meta("The origin's conninfo (run.sh passes ORIGIN_CONNINFO, else ORIGIN_URL): the target's server connects to it.", &header_guard(&[("origin_conninfo", "the ORIGIN database as the target's server reaches it")])),
            meta("How long to wait for the initial copy, in seconds (run.sh passes SYNC_TIMEOUT, default 3600).", &[
                "\\if :{?sync_timeout}".into(),
                "\\else".into(),
                "\\set sync_timeout 3600".into(),
                "\\endif".into(),
                "SELECT pg_catalog.set_config('silo_plan.sync_timeout', :'sync_timeout', false) AS sync_timeout \\gset".into(),
            ]),
            gexec(
                &format!("Subscribe to silo {}'s tables: creates a replication slot on ORIGIN and copies every table, then streams changes. Runs outside a transaction block (it creates a remote slot).", t.silo),
                vec![hazard("long-running", "the initial copy reads every moving table on ORIGIN (one COPY per table, max_sync_workers_per_subscription at a time)"), hazard("disk", "the slot holds WAL on ORIGIN until the subscription is dropped at cut-over")],
                format!(
                    "SELECT pg_catalog.format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (copy_data = true)',\n              {sub}, :'origin_conninfo', {sub})\n WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_subscription WHERE subname = {sub})",
                    sub = literal(&t.forward),
                ),
            ),
            step(
                "Wait until every table of the subscription is synchronized (pg_subscription_rel state r or s), at most silo_plan.sync_timeout seconds; a timeout is an error and the copy goes on: run the phase again to keep waiting.",
                Vec::new(),
                Vec::new(),
                format!(
                    r#"DO $silo_plan$
DECLARE
    waited int := 0;
    pending text;
    total int;
BEGIN
    LOOP
        SELECT count(*), string_agg(r.srrelid::regclass::text || ' (' || r.srsubstate::text || ')', ', ' ORDER BY r.srrelid::regclass::text) FILTER (WHERE r.srsubstate NOT IN ('r', 's'))
          INTO total, pending
          FROM pg_catalog.pg_subscription_rel r
          JOIN pg_catalog.pg_subscription s ON s.oid = r.srsubid
         WHERE s.subname = {sub};
        EXIT WHEN total = {n} AND pending IS NULL;
        IF waited >= current_setting('silo_plan.sync_timeout')::int THEN
            RAISE EXCEPTION 'silo-plan: after % s, % of {n} table(s) of subscription %s are known and these are not synchronized yet: %', waited, total, {sub}, coalesce(pending, '(none)');
        END IF;
        PERFORM pg_catalog.pg_sleep(1);
        waited := waited + 1;
    END LOOP;
    RAISE NOTICE 'silo-plan: subscription % synchronized ({n} table(s)) after % s', {sub}, waited;
END
$silo_plan$"#,
                    sub = literal(&t.forward),
                    n = t.roots.len(),
                ),
            ),
        ];
        files.push(file(
            id,
            Place::Target(t.silo.clone()),
            Some(i + 2),
            &format!("Subscribes the {} database to ORIGIN's publication and waits for the initial copy.", t.silo),
            items,
        ));
    }
    let t0 = &p.targets[0];
    let c = check(
        &Place::Target(t0.silo.clone()),
        format!("SELECT count(*) FILTER (WHERE srsubstate IN ('r', 's')) FROM pg_catalog.pg_subscription_rel r JOIN pg_catalog.pg_subscription s ON s.oid = r.srsubid WHERE s.subname = {};", literal(&t0.forward)),
        t0.roots.len().to_string(),
    );
    Phase {
        id: id.into(),
        title: "Replicate".into(),
        what: "Publishes the moving tables in ORIGIN, subscribes each target (initial copy, then a continuous stream of changes) and waits until every table is synchronized. The application keeps reading and writing ORIGIN throughout.".into(),
        locks: Vec::new(),
        lock_note: "While the publication is created: SHARE UPDATE EXCLUSIVE does not block reads or writes (schema changes and VACUUM wait). The subscription's initial copy reads each table under ACCESS SHARE".into(),
        verify: format!("{} then `silo-plan verify --source \"$ORIGIN_URL\" --target \"${}\" CONFIG` (counts may differ by the writes in flight until the cut-over's fence)", verify_text(&c), t0.env),
        expect: format!("{} (every table of {} synchronized)", t0.roots.len(), t0.silo),
        check: Some(c),
        rollback: format!("on each target: `DROP SUBSCRIPTION IF EXISTS {};` (drops its slot on ORIGIN) and `TRUNCATE` its tables; on ORIGIN: `DROP PUBLICATION IF EXISTS {};`. ORIGIN never stopped being authoritative.", ident(&t0.forward), ident(&t0.forward)),
        point_of_no_return: false,
        files,
    }
}

/// The fence: statements for one transaction (the step's `lock_timeout` wraps them) that
/// create `silo_plan.refuse_write()` and, on each of `tables` and each of their partitions that
/// lacks it, a statement trigger `silo_plan_fence` calling it. Cut-over fences ORIGIN with it;
/// the rollback of the cut-over fences the targets with the same SQL. A trigger is created only
/// when missing: CREATE TRIGGER takes SHARE ROW EXCLUSIVE (reads go on), where dropping an
/// existing one to create it again would take ACCESS EXCLUSIVE, blocking reads too.
///
/// A statement trigger on a partitioned table fires only for statements that name it, not for
/// a write addressed to a partition: the partitions are fenced one by one, as the live catalog
/// lists them (`pg_partition_tree`, so those created after the dump too). A partitioned root
/// also gets the row trigger `silo_plan_fence_rows`, which Postgres clones to every partition
/// created or attached later: their INSERT, UPDATE and DELETE fail too (a TRUNCATE of such a
/// partition is not fenced: TRUNCATE fires statement triggers only).
fn fence_sql(tables: &[QName]) -> String {
    let mut fence = String::from(
        "CREATE SCHEMA IF NOT EXISTS silo_plan;\nCREATE OR REPLACE FUNCTION silo_plan.refuse_write() RETURNS trigger\n    LANGUAGE plpgsql\n    SET search_path = pg_catalog, pg_temp\nAS $silo_plan$\nBEGIN\n    RAISE EXCEPTION 'silo-plan: %.% has moved to another database: write to it there', TG_TABLE_SCHEMA, TG_TABLE_NAME\n        USING ERRCODE = 'read_only_sql_transaction';\nEND\n$silo_plan$;\nDO ",
    );
    let body = format!(
        "\nDECLARE\n    t regclass;\nBEGIN\n    -- Each table and its partitions, as the catalog lists them now: a statement trigger on a\n    -- partitioned table does not fire for a write addressed to one of its partitions.\n    FOR t IN SELECT x.rel FROM (VALUES {}) AS v(name)\n               CROSS JOIN LATERAL (SELECT v.name::regclass UNION SELECT p.relid FROM pg_catalog.pg_partition_tree(v.name::regclass) AS p) AS x(rel)\n              GROUP BY x.rel ORDER BY x.rel LOOP\n        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = t AND tgname = 'silo_plan_fence') THEN\n            EXECUTE pg_catalog.format('CREATE TRIGGER silo_plan_fence BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION silo_plan.refuse_write()', t);\n        END IF;\n        -- A row trigger on a partitioned root is cloned to the partitions created or attached\n        -- later: their INSERT, UPDATE and DELETE fail too.\n        IF EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE oid = t AND relkind = 'p' AND NOT relispartition)\n           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = t AND tgname = 'silo_plan_fence_rows') THEN\n            EXECUTE pg_catalog.format('CREATE TRIGGER silo_plan_fence_rows BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION silo_plan.refuse_write()', t);\n        END IF;\n    END LOOP;\nEND\n",
        regclass_values(tables)
    );
    super::fks::push_dollar_quoted(&mut fence, &body);
    fence
}

/// Drops the fence triggers of [`fence_sql`] from `tables` and their partitions (those it
/// finds in the catalog now): statements for one transaction (the step's `lock_timeout` wraps
/// them). ACCESS EXCLUSIVE on each table that has one (a row trigger's clones go with it, so
/// its partitions too); none on a table without, nor on a table that does not exist.
fn unfence_sql(tables: &[QName]) -> String {
    let mut sql = String::from("DO ");
    let body = format!(
        "\nDECLARE\n    t regclass;\n    tg name;\nBEGIN\n    FOR t, tg IN SELECT g.tgrelid::regclass, g.tgname FROM pg_catalog.pg_trigger AS g\n                       WHERE g.tgname IN ('silo_plan_fence', 'silo_plan_fence_rows') AND g.tgparentid = 0\n                         AND g.tgrelid IN (SELECT x.rel FROM (VALUES {}) AS v(name)\n                               CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(v.name) UNION SELECT p.relid FROM pg_catalog.pg_partition_tree(pg_catalog.to_regclass(v.name)) AS p) AS x(rel))\n                       ORDER BY g.tgrelid, g.tgname LOOP\n        EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', tg, t);\n    END LOOP;\nEND\n",
        regclass_values(tables)
    );
    super::fks::push_dollar_quoted(&mut sql, &body);
    sql
}

/// What a fence step's comment adds when a moving table has partitions.
const PARTITIONS_FENCED: &str = " Each partition gets its own trigger (one on a partitioned table does not fire for a write addressed to a partition), found in the catalog when the step runs, so partitions created after the dump are fenced too; a partitioned table also gets a row trigger, which Postgres passes on to partitions created later (their INSERT, UPDATE and DELETE fail).";

/// A step of `sql` (statements for one transaction) under `SET LOCAL lock_timeout`.
fn timed(why: &str, locks: Vec<(QName, Lock)>, hazards: Vec<Hazard>, sql: String) -> Item {
    Item::Step(Step {
        why: why.to_string(),
        locks,
        hazards,
        transactional: true,
        object: String::new(),
        lock_timeout: Some(LOCK_TIMEOUT.into()),
        gexec: false,
        sql,
    })
}

/// The query whose rows a phase file hands to the other side through a state file: a
/// `set_config(setting, <this server's current WAL position>)` and one `setval` per sequence
/// with this side's value (logical replication does not copy sequences). The `setval` runs only
/// when it moves the other side's sequence forward: a sequence never goes back below a value it
/// handed out, whichever order the phases run in.
fn handover_sql(setting: &str, sequences: &[QName]) -> String {
    let seqs = if sequences.is_empty() {
        "(NULL::text)".to_string()
    } else {
        regclass_values(sequences)
    };
    let column = setting.rsplit('.').next().unwrap_or(setting);
    format!(
        "SELECT stmt FROM (\n    SELECT 0 AS ord, pg_catalog.format('SELECT pg_catalog.set_config(%L, %L, false) AS {column};', {setting}, pg_catalog.pg_current_wal_lsn()::text) AS stmt\n    UNION ALL\n    SELECT 1, pg_catalog.format('SELECT pg_catalog.setval(%L, %s, %L) WHERE %s > coalesce((SELECT last_value FROM pg_catalog.pg_sequences WHERE pg_catalog.format(''%%I.%%I'', schemaname, sequencename)::regclass = %L::regclass), 0);', v.name, coalesce(s.last_value, s.start_value), s.last_value IS NOT NULL, coalesce(s.last_value, s.start_value), v.name)\n      FROM (VALUES {seqs}) AS v(name)\n      JOIN pg_catalog.pg_sequences s ON pg_catalog.to_regclass(v.name) = pg_catalog.format('%I.%I', s.schemaname, s.sequencename)::regclass\n) AS x ORDER BY ord, stmt",
        setting = literal(setting),
    )
}

// ---------------------------------------------------------------------------------------------
// 6. Cut over.

fn cutover(p: &Phases) -> Phase {
    let id = "06-cutover";
    let mut files = Vec::new();
    let roots = all_roots(p);
    // The fence reaches the partitions too: each is locked.
    let locks: Vec<(QName, Lock)> = all_tables(p)
        .into_iter()
        .map(|q| (q, Lock::ShareRowExclusive))
        .collect();
    let partitioned = locks.len() > roots.len();
    let fence = fence_sql(&roots);
    let mut origin_items = vec![
        meta(
            "Where the statements for the targets go (run.sh passes state_dir).",
            &header_guard(&[("state_dir", "a directory for the files this phase hands from ORIGIN to the targets")]),
        ),
        timed(
            &format!("Fence: from this commit on, every INSERT, UPDATE, DELETE and TRUNCATE on a moving table fails with `... has moved to another database` (owners and superusers included), while reads go on. Chosen over REVOKE (the application often connects as the owner or a superuser, and grants would have to be restored exactly) and over LOCK TABLE (it must be held in an open session for the whole cut-over and would also block the reverse subscription). The subscription's apply workers do not fire ordinary triggers, so the reverse subscription can still write here. All {} tables in one transaction with lock_timeout 5s: all fenced or none; rerun when it times out. A table's trigger is created only when missing: a rerun takes no lock on the tables already fenced.{}", roots.len(), if partitioned { PARTITIONS_FENCED } else { "" }),
            locks,
            vec![hazard("blocks-writes", "the application's writes to the moving tables fail from here until it is switched to the new database: this is the write downtime of the split")],
            fence,
        ),
    ];
    for t in &p.targets {
        origin_items.push(meta(
            &format!("Hand the fence's WAL position and every sequence value of silo {} to its target: the query's rows are statements that phase file of {} runs (\\g writes them to a file in state_dir).", t.silo, t.silo),
            &[
                format!("\\set state_file :state_dir '/06-cutover.{}.state.sql'", t.silo),
            ],
        ));
        origin_items.push(Item::Piped(
            match step(
                &format!("After the fence, ORIGIN's current WAL position covers every committed write to silo {}'s tables; logical replication does not copy sequences, so their values travel too (setval to ORIGIN's value: the next value on the target is above every value ORIGIN handed out). psql's \\g writes the rows, unaligned and without headers, to the state file.", t.silo),
                Vec::new(),
                Vec::new(),
                handover_sql("silo_plan.fence_lsn", &t.sequences),
            ) {
                Item::Step(s) => s,
                _ => unreachable!(),
            },
            "\\g (format=unaligned tuples_only=on) :state_file".to_string(),
        ));
    }
    let fixed = origin_items;
    files.push(file(
        id,
        Place::Origin,
        Some(1),
        "Fences writes to the moving tables in ORIGIN and hands the fence's WAL position and the sequence values to the targets.",
        fixed,
    ));
    let n = p.targets.len();
    for (i, t) in p.targets.iter().enumerate() {
        let items = vec![
            meta("The state file written by step 1 on ORIGIN, and the catch-up timeout (run.sh passes CATCHUP_TIMEOUT, default 600 s).", &{
                let mut l = header_guard(&[("state_dir", "the directory step 1 wrote to")]);
                l.push(format!("\\set state_file :state_dir '/06-cutover.{}.state.sql'", t.silo));
                l.extend([
                    "\\if :{?catchup_timeout}".to_string(),
                    "\\else".into(),
                    "\\set catchup_timeout 600".into(),
                    "\\endif".into(),
                    "SELECT pg_catalog.set_config('silo_plan.catchup_timeout', :'catchup_timeout', false) AS catchup_timeout \\gset".into(),
                ]);
                l
            }),
            meta(
                "Set silo_plan.fence_lsn and every sequence to ORIGIN's value (sequences are not replicated; setting them does not wait for the data).",
                &["\\i :state_file".to_string()],
            ),
            step(
                "Wait until the subscription has received ORIGIN's WAL up to the fence (pg_stat_subscription.latest_end_lsn), so every write ORIGIN acknowledged is here. A run of this file after one that got past this wait finds the subscription gone and the reverse publication there (created after the wait, before the drop): nothing left to wait for.",
                Vec::new(),
                Vec::new(),
                format!(
                    r#"DO $silo_plan$
DECLARE
    waited int := 0;
    fence pg_lsn := current_setting('silo_plan.fence_lsn')::pg_lsn;
    got pg_lsn;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_subscription WHERE subname = {sub}) THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = {rev}) THEN
            RAISE NOTICE 'silo-plan: subscription % is gone and publication % exists: a previous run caught up to the fence and dropped it', {sub}, {rev};
            RETURN;
        END IF;
        RAISE EXCEPTION 'silo-plan: subscription % does not exist on this database: run phases/run.sh 05-replicate first', {sub};
    END IF;
    LOOP
        SELECT latest_end_lsn INTO got
          FROM pg_catalog.pg_stat_subscription
         WHERE subname = {sub} AND relid IS NULL;
        EXIT WHEN got >= fence;
        IF waited >= current_setting('silo_plan.catchup_timeout')::int * 10 THEN
            RAISE EXCEPTION 'silo-plan: subscription % reached % after % s, not the fence at %: is it running (pg_stat_subscription)?', {sub}, coalesce(got::text, 'nothing'), waited / 10, fence;
        END IF;
        PERFORM pg_catalog.pg_sleep(0.1);
        waited := waited + 1;
    END LOOP;
    RAISE NOTICE 'silo-plan: subscription % caught up to the fence at %', {sub}, fence;
END
$silo_plan$"#,
                    sub = literal(&t.forward),
                    rev = literal(&t.reverse),
                ),
            ),
            publish(
                "Publish the moved tables here for the reverse subscription that keeps ORIGIN current until clean-up (the rollback path). Created before the forward subscription is dropped: it marks that this file got past the wait (no slot reads it until step 3 subscribes). CREATE PUBLICATION has no IF NOT EXISTS: the query returns the statement only when the publication is missing, and psql's \\gexec runs it.",
                t.roots
                    .iter()
                    .map(|q| (q.clone(), Lock::ShareUpdateExclusive))
                    .collect(),
                format!(
                    "SELECT 'CREATE PUBLICATION {pubi} FOR TABLE\n    {tables}\n    WITH (publish_via_partition_root = true)'\n WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = {publ})",
                    pubi = ident(&t.reverse),
                    tables = table_list(&t.roots).replace('\'', "''"),
                    publ = literal(&t.reverse),
                ),
            ),
            step(
                "The forward subscription has nothing left to carry: drop it (and its slot on ORIGIN) before the reverse one starts, so no change can travel in a loop (Postgres 15 has no origin filter).",
                Vec::new(),
                vec![hazard("not-transactional", "DROP SUBSCRIPTION connects to ORIGIN to drop the slot; it cannot run in a transaction block")],
                format!("DROP SUBSCRIPTION IF EXISTS {}", ident(&t.forward)),
            ),
            timed(
                "Lift the fence a rollback of an earlier cut-over (rollback-06-cutover) may have left here, so the application can write after the switch. Nothing else uses these tables yet: the application has not switched and the forward subscription is gone. All in one transaction with lock_timeout 5s; does nothing on a database that was never fenced.",
                t.tables.iter().map(|q| (q.clone(), Lock::AccessExclusive)).collect(),
                Vec::new(),
                unfence_sql(&t.roots),
            ),
        ];
        files.push(file(
            id,
            Place::Target(t.silo.clone()),
            Some(i + 2),
            &format!("Sets the sequences of {}, waits until it has every write ORIGIN acknowledged, publishes the tables back for the rollback path, drops the forward subscription and lifts a fence an earlier rollback left.", t.silo),
            items,
        ));
    }
    let mut back = vec![meta(
        "Each target's conninfo as ORIGIN's server reaches it (run.sh passes <SILO>_CONNINFO, else <SILO>_URL).",
        &header_guard(
            &p.targets
                .iter()
                .map(|t| (t.var.as_str(), "the target database"))
                .collect::<Vec<_>>(),
        ),
    )];
    back.push(meta(
        "Postgres 16+ can filter replicated changes by origin: use it when available.",
        &[
            "SELECT pg_catalog.current_setting('server_version_num')::int >= 160000 AS pg16 \\gset"
                .to_string(),
        ],
    ));
    for t in &p.targets {
        let fmt = |origin_none: bool| {
            format!(
                "SELECT pg_catalog.format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (copy_data = false{})',\n              {sub}, :'{var}', {sub})\n WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_subscription WHERE subname = {sub})",
                if origin_none { ", origin = none" } else { "" },
                sub = literal(&t.reverse),
                var = t.var,
            )
        };
        back.push(meta("On Postgres 16+:", &["\\if :pg16".to_string()]));
        back.push(gexec(
            &format!("Reverse subscription: every write the application makes on {} after the switch is applied to ORIGIN too (copy_data = false: both sides are equal now; origin = none: only the application's own changes travel).", t.silo),
            vec![hazard("disk", "the reverse slot holds WAL on the target until clean-up drops this subscription")],
            fmt(true),
        ));
        back.push(meta("On Postgres 13 to 15 (no origin filter: safe because the forward subscription is gone):", &["\\else".to_string()]));
        back.push(gexec(
            &format!("Reverse subscription from {} (Postgres 15: without the origin filter; safe because the forward subscription was dropped in step {}).", t.silo, 2),
            vec![hazard("disk", "the reverse slot holds WAL on the target until clean-up drops this subscription")],
            fmt(false),
        ));
        back.push(meta("", &["\\endif".to_string()]));
    }
    files.push(file(
        id,
        Place::Origin,
        Some(n + 2),
        "Subscribes ORIGIN to the moved tables on each target: the rollback path until clean-up.",
        back,
    ));
    let t0 = &p.targets[0];
    Phase {
        id: id.into(),
        title: "Cut over".into(),
        what: {
            let mut w = "Stops writes to the moving tables in ORIGIN (a fence trigger), waits until each target has ORIGIN's WAL up to the fence, sets every sequence of the moved tables on the target to ORIGIN's value, drops the forward subscription and starts the reverse one (target → ORIGIN). Then verify, and switch the application's connections for these tables to the new database(s). Writes to the moving tables fail between the fence and the switch: keep that window short (run the phase, verify, deploy the switch).".to_string();
            if !p.apply_silos.is_empty() {
                w.push_str(&format!(
                    " The tombstone transport between the databases is set up after the switch: {} on each side (see their headers), once `SELECT silo_plan.apply(1000)` in ORIGIN returns 0.",
                    replication_files(p)
                ));
            }
            w
        },
        locks: Vec::new(),
        lock_note: "On ORIGIN while the fence triggers are created, each only when missing, in one transaction under lock_timeout 5s: milliseconds, reads go on; a timeout stops the phase, run it again. On each target, SHARE UPDATE EXCLUSIVE while the reverse publication is created, and ACCESS EXCLUSIVE for a moment while a fence an earlier rollback left there is lifted: nothing uses those tables yet".into(),
        check: None,
        verify: format!("`silo-plan verify --source \"$ORIGIN_URL\" --target \"${}\" CONFIG` (row counts and checksums equal, every sequence on the target at or above ORIGIN's, no dangling in-silo foreign key)", t0.env),
        expect: "exit status 0, `0 differences`".into(),
        rollback: format!("`phases/run.sh rollback-06-cutover`, before or after the switch, until clean-up: it fences the moved tables on the target, waits until ORIGIN's reverse subscription {rev} has every write the target acknowledged, moves ORIGIN's sequences up to the target's values, drops {rev} and lifts ORIGIN's fence; then switch the application back to ORIGIN. Its section below has the locks, the verify query and the expected result.", rev = ident(&t0.reverse)),
        point_of_no_return: false,
        files,
    }
}

// ---------------------------------------------------------------------------------------------
// Rollback of 6. Cut over.

/// `rollback-06-cutover`: makes ORIGIN authoritative again after the cut-over (before or after
/// the application switched): fences the targets, waits until ORIGIN's reverse subscriptions
/// have every write the targets acknowledged, moves ORIGIN's sequences up to the targets' values,
/// drops the reverse subscriptions and lifts ORIGIN's fence.
fn rollback_cutover(p: &Phases) -> Phase {
    let id = "rollback-06-cutover";
    let roots = all_roots(p);
    let mut files = Vec::new();
    for (i, t) in p.targets.iter().enumerate() {
        let locks = t
            .tables
            .iter()
            .map(|q| (q.clone(), Lock::ShareRowExclusive))
            .collect();
        let mut items = vec![
            meta(
                "Where the statements for ORIGIN go (run.sh passes state_dir).",
                &{
                    let mut l = header_guard(&[("state_dir", "a directory for the files this rollback hands from the targets to ORIGIN")]);
                    l.push(format!("\\set state_file :state_dir '/rollback-06-cutover.{}.state.sql'", t.silo));
                    l
                },
            ),
            timed(
                &format!("Fence {}'s moved tables here: from this commit on the application's writes to them fail on this database (reads go on), so the position taken next covers every write it acknowledged. Same fence as the cut-over's on ORIGIN; the database stays fenced after the rollback, so an application instance that was not switched back cannot write where nobody reads. All {} tables in one transaction with lock_timeout 5s: all fenced or none; rerun when it times out.{}", t.silo, t.roots.len(), if t.tables.len() > t.roots.len() { PARTITIONS_FENCED } else { "" }),
                locks,
                vec![hazard("blocks-writes", "the application's writes to the moved tables fail from here until it is switched back to ORIGIN: the write downtime of the rollback")],
                fence_sql(&t.roots),
            ),
        ];
        items.push(Item::Piped(
            match step(
                &format!("After the fence, this database's current WAL position covers every committed write to silo {}'s tables; ORIGIN waits for it. The sequences travel too: ORIGIN's setval only moves a sequence forward, so ORIGIN's next ids are above every id handed out here. psql's \\g writes the rows, unaligned and without headers, to the state file.", t.silo),
                Vec::new(),
                Vec::new(),
                handover_sql("silo_plan.back_lsn", &t.sequences),
            ) {
                Item::Step(s) => s,
                _ => unreachable!(),
            },
            "\\g (format=unaligned tuples_only=on) :state_file".to_string(),
        ));
        files.push(file(
            id,
            Place::Target(t.silo.clone()),
            Some(i + 1),
            &format!("Fences the moved tables on the {} database and hands its WAL position and sequence values to ORIGIN.", t.silo),
            items,
        ));
    }
    let n = p.targets.len();
    let mut origin_items = vec![meta(
        "The state files written by the target steps, and the catch-up timeout (run.sh passes CATCHUP_TIMEOUT, default 600 s).",
        &{
            let mut l = header_guard(&[("state_dir", "the directory the target steps wrote to")]);
            l.extend([
                "\\if :{?catchup_timeout}".to_string(),
                "\\else".into(),
                "\\set catchup_timeout 600".into(),
                "\\endif".into(),
                "SELECT pg_catalog.set_config('silo_plan.catchup_timeout', :'catchup_timeout', false) AS catchup_timeout \\gset".into(),
            ]);
            l
        },
    )];
    for t in &p.targets {
        origin_items.push(meta(
            &format!("Set silo_plan.back_lsn to {}'s position after its fence and move ORIGIN's sequences of the silo up to its values.", t.silo),
            &[
                format!("\\set state_file :state_dir '/rollback-06-cutover.{}.state.sql'", t.silo),
                "\\i :state_file".to_string(),
            ],
        ));
        origin_items.push(step(
            &format!("Wait until the reverse subscription has received {}'s WAL up to its fence (pg_stat_subscription.latest_end_lsn), so every write the application made there is here too. When the subscription is gone, a previous run of this file dropped it after this wait, or the cut-over stopped before creating it (then the application never wrote there): nothing to wait for.", t.silo),
            Vec::new(),
            Vec::new(),
            format!(
                r#"DO $silo_plan$
DECLARE
    waited int := 0;
    fence pg_lsn := current_setting('silo_plan.back_lsn')::pg_lsn;
    got pg_lsn;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_subscription WHERE subname = {sub}) THEN
        RAISE NOTICE 'silo-plan: subscription % does not exist: nothing to wait for', {sub};
        RETURN;
    END IF;
    LOOP
        SELECT latest_end_lsn INTO got
          FROM pg_catalog.pg_stat_subscription
         WHERE subname = {sub} AND relid IS NULL;
        EXIT WHEN got >= fence;
        IF waited >= current_setting('silo_plan.catchup_timeout')::int * 10 THEN
            RAISE EXCEPTION 'silo-plan: subscription % reached % after % s, not the fence at %: is it running (pg_stat_subscription)? ORIGIN is still fenced', {sub}, coalesce(got::text, 'nothing'), waited / 10, fence;
        END IF;
        PERFORM pg_catalog.pg_sleep(0.1);
        waited := waited + 1;
    END LOOP;
    RAISE NOTICE 'silo-plan: subscription % caught up to the fence at %', {sub}, fence;
END
$silo_plan$"#,
                sub = literal(&t.reverse),
            ),
        ));
        origin_items.push(step(
            &format!("ORIGIN has every write made on {}: drop the reverse subscription (and its slot on that server) so nothing else writes ORIGIN's tables.", t.silo),
            Vec::new(),
            vec![hazard("not-transactional", "DROP SUBSCRIPTION connects to the target to drop the slot; it cannot run in a transaction block")],
            format!("DROP SUBSCRIPTION IF EXISTS {}", ident(&t.reverse)),
        ));
    }
    let unfence = unfence_sql(&roots);
    origin_items.push(timed(
        &format!("Lift ORIGIN's fence: from this commit on ORIGIN takes writes to the {} tables again. All in one transaction with lock_timeout 5s; rerun when it times out. Then switch the application back to ORIGIN.", roots.len()),
        all_tables(p).into_iter().map(|q| (q, Lock::AccessExclusive)).collect(),
        Vec::new(),
        unfence,
    ));
    files.push(file(
        id,
        Place::Origin,
        Some(n + 1),
        "Waits until ORIGIN has every write made on the targets, moves its sequences up, drops the reverse subscriptions and lifts the fence: ORIGIN is authoritative again.",
        origin_items,
    ));
    for (i, t) in p.targets.iter().enumerate() {
        files.push(file(
            id,
            Place::Target(t.silo.clone()),
            Some(n + 2 + i),
            &format!("Drops the reverse publication on the {} database.", t.silo),
            vec![step(
                "The reverse subscription is gone: its publication has no reader.",
                Vec::new(),
                Vec::new(),
                format!("DROP PUBLICATION IF EXISTS {}", ident(&t.reverse)),
            )],
        ));
    }
    let t0 = &p.targets[0];
    let c = check(
        &Place::Origin,
        format!("SELECT (SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgname IN ('silo_plan_fence', 'silo_plan_fence_rows')) AS fenced, (SELECT count(*) FROM pg_catalog.pg_subscription WHERE subname = {}) AS subscribed;", literal(&t0.reverse)),
        "0|0",
    );
    Phase {
        id: id.into(),
        title: "Rollback of the cut-over".into(),
        what: "Makes ORIGIN authoritative again after `06-cutover`, before or after the application was switched to the new database(s), as long as clean-up has not run: fences the moved tables on each target, waits until ORIGIN's reverse subscription has every write the target acknowledged, moves ORIGIN's sequences up to the target's values (never down), drops the reverse subscription and lifts ORIGIN's fence. Then switch the application back to ORIGIN. Writes to the moved tables fail from the target's fence until the switch back. The targets stay fenced (the forward subscription's apply worker does not fire the fence, so a target whose subscription the cut-over had not dropped yet keeps following ORIGIN).".to_string() + &if p.apply_silos.is_empty() { String::new() } else { format!(" If the tombstone transport ({}) was set up after the switch, undo it as its header says.", replication_files(p)) },
        locks: Vec::new(),
        lock_note: "On each target while its fence is created, on ORIGIN while the fence triggers are dropped: milliseconds, each in one transaction under lock_timeout 5s. A timeout stops the rollback: run it again".into(),
        verify: format!("{} then `silo-plan verify --source \"$ORIGIN_URL\" --target \"${}\" CONFIG`", verify_text(&c), t0.env),
        expect: "`0 | 0` (no fence, no reverse subscription left on ORIGIN), and verify exits 0 with `0 differences` (ORIGIN holds every row the target holds)".into(),
        check: Some(c),
        rollback: format!("to cut over again: while the forward subscription {fwd} still exists on the target (the rollback ran before the cut-over reached it), fix what stopped the cut-over and run `06-cutover` again (it lifts the target's fence); otherwise the target is out of date: start from `04-provision` in a new, empty database.", fwd = ident(&t0.forward)),
        point_of_no_return: false,
        files,
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Clean up.

fn cleanup(p: &Phases) -> Phase {
    let id = "07-cleanup";
    let roots = all_roots(p);
    let lock_writes = p.cleanup == crate::config::Cleanup::LockWrites;
    let guard = format!(
        r#"DO $silo_plan$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(v.name, ', ') INTO missing
      FROM (VALUES {values}) AS v(name)
     WHERE pg_catalog.to_regclass(v.name) IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                        WHERE t.tgrelid = pg_catalog.to_regclass(v.name) AND t.tgname {fenced});
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'silo-plan: cut-over has not fenced %: run phases/run.sh 06-cutover first; nothing was dropped', missing;
    END IF;{depends}
END
$silo_plan$"#,
        values = regclass_values(&roots),
        // A table this phase already write-locked (a second run) has no fence any more.
        fenced = if lock_writes {
            "IN ('silo_plan_fence', 'silo_plan_lock_writes')"
        } else {
            "= 'silo_plan_fence'"
        },
        depends = if lock_writes {
            String::new()
        } else {
            format!(
                r#"
    WITH moved AS (
        -- With their partitions: a partition's clone of a moved key is not an object that stays.
        SELECT x.rel AS oid FROM (VALUES {values}) AS v(name)
          CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(v.name) UNION SELECT p.relid FROM pg_catalog.pg_partition_tree(pg_catalog.to_regclass(v.name)) AS p) AS x(rel)
    )
    SELECT string_agg(DISTINCT x.what, '; ') INTO missing FROM (
        SELECT format('view %s reads %s', r.ev_class::regclass, d.refobjid::regclass) AS what
          FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_rewrite r ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
         WHERE d.refobjid IN (SELECT oid FROM moved) AND r.ev_class NOT IN (SELECT oid FROM moved)
        UNION ALL
        SELECT format('foreign key %s on %s references %s', c.conname, c.conrelid::regclass, c.confrelid::regclass)
          FROM pg_catalog.pg_constraint c
         WHERE c.contype = 'f' AND c.confrelid IN (SELECT oid FROM moved) AND c.conrelid NOT IN (SELECT oid FROM moved)
    ) AS x;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'silo-plan: objects that stay in ORIGIN still depend on the moved tables: %. Replace or drop them first (plan.md lists them as couplings); nothing was dropped', missing;
    END IF;"#,
                values = regclass_values(&roots)
            )
        }
    );
    let mut items = vec![
        meta(
            "Clean-up deletes data: run.sh passes confirm only when CONFIRM=drop-moved-tables is set.",
            &[
                "\\if :{?confirm}".to_string(),
                "\\else".into(),
                "DO $silo_plan$ BEGIN RAISE EXCEPTION 'silo-plan: clean-up is the point of no return: set CONFIRM=drop-moved-tables to run it'; END $silo_plan$;".into(),
                "\\endif".into(),
            ],
        ),
        step(
            "Refuse unless the cut-over fenced every moving table (so no write is lost with the tables) and nothing that stays (a view, a foreign key) still depends on a moved table: checked before anything is dropped.",
            Vec::new(),
            Vec::new(),
            guard,
        ),
    ];
    for t in &p.targets {
        items.push(step(
            &format!("Drop the reverse subscription from {} (and its slot on the target): from here ORIGIN no longer follows the moved tables.", t.silo),
            Vec::new(),
            vec![hazard("not-transactional", "connects to the target to drop the slot; cannot run in a transaction block")],
            format!("DROP SUBSCRIPTION IF EXISTS {}", ident(&t.reverse)),
        ));
        items.push(step(
            &format!("Drop the forward publication of silo {}.", t.silo),
            Vec::new(),
            Vec::new(),
            format!("DROP PUBLICATION IF EXISTS {}", ident(&t.forward)),
        ));
    }
    if lock_writes {
        // Not destructive: no confirmation needed here (08-truncate asks for it).
        items.remove(0);
        let partitioned = lock_tables(p).len() > roots.len();
        items.push(timed(
            &format!("Keep the moved tables, readable, write-locked: a statement trigger on each (partitions too) refuses INSERT, UPDATE, DELETE and TRUNCATE with a message naming the silo that owns the table (the cut-over's fence, whose message does not, is dropped after). CREATE TRIGGER takes SHARE ROW EXCLUSIVE, DROP TRIGGER ACCESS EXCLUSIVE, for milliseconds.{}", if partitioned { PARTITIONS_LOCKED } else { "" }),
            lock_tables(p).into_iter().map(|q| (q, Lock::AccessExclusive)).collect(),
            Vec::new(),
            lock_writes_sql(p),
        ));
    } else {
        let mut drop = Item::Step(Step {
            why: "POINT OF NO RETURN: drop the moved tables (with their partitions, indexes, triggers and owned sequences) from ORIGIN. No CASCADE: a view or key of another silo that still depends on them stops the drop with Postgres's own message.".into(),
            locks: {
                // The partitions go with their roots, and the triggers of the keys that still
                // reference a table staying here go with the moved tables.
                let mut l: BTreeSet<&QName> = p.targets.iter().flat_map(|t| &t.tables).collect();
                l.extend(p.targets.iter().flat_map(|t| &t.kept_parents));
                l.into_iter()
                    .map(|q| (q.clone(), Lock::AccessExclusive))
                    .collect()
            },
            hazards: vec![hazard("data-loss", "the moved tables' rows in ORIGIN are deleted; the target databases hold the only copy")],
            transactional: true,
            object: String::new(),
            lock_timeout: Some(LOCK_TIMEOUT.into()),
            gexec: false,
            sql: format!("DROP TABLE IF EXISTS\n    {}", table_list(&roots)),
        });
        if let Item::Step(s) = &mut drop {
            s.object = "moved tables".into();
        }
        items.push(drop);
    }
    let mut files = vec![file(
        id,
        Place::Origin,
        Some(1),
        "Drops the reverse subscription, the publication and the moved tables in ORIGIN: the point of no return.",
        items,
    )];
    for (i, t) in p.targets.iter().enumerate() {
        files.push(file(
            id,
            Place::Target(t.silo.clone()),
            Some(i + 2),
            &format!("Drops the reverse publication on the {} database.", t.silo),
            vec![step(
                "The reverse subscription is gone: its publication has no reader.",
                Vec::new(),
                Vec::new(),
                format!("DROP PUBLICATION IF EXISTS {}", ident(&t.reverse)),
            )],
        ));
    }
    if lock_writes {
        let tables = lock_tables(p);
        let c = check(
            &Place::Origin,
            format!(
                "SELECT count(*) FROM (VALUES {}) AS v(name) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = pg_catalog.to_regclass(v.name) AND t.tgname = 'silo_plan_lock_writes');",
                regclass_values(&tables).replace("\n           ", " ")
            ),
            "0",
        );
        return Phase {
            id: id.into(),
            title: "Clean up (lock writes)".into(),
            what: "Drops the reverse subscription and the publications, and keeps the moved tables in ORIGIN write-locked (`cleanup = \"lock-writes\"`): reads still work, every write fails with a message naming the silo that owns the table. `08-truncate` empties them later.".into(),
            locks: Vec::new(),
            lock_note: "While the lock triggers are created and the fences dropped, in one transaction under lock_timeout 5s".into(),
            verify: verify_text(&c),
            expect: "0 (every moved table, partitions included, is write-locked)".into(),
            check: Some(c),
            rollback: "ORIGIN no longer follows the targets: its moved tables hold the rows as of this phase. To make ORIGIN authoritative again, copy the rows written since from the targets, then drop the `silo_plan_lock_writes` triggers (and `silo_plan_lock_writes_rows` on partitioned tables).".into(),
            point_of_no_return: false,
            files,
        };
    }
    let c = check(
        &Place::Origin,
        format!(
            "SELECT count(*) FROM (VALUES {}) AS v(name) WHERE pg_catalog.to_regclass(v.name) IS NOT NULL;",
            regclass_values(&roots).replace("\n           ", " ")
        ),
        "0",
    );
    Phase {
        id: id.into(),
        title: "Clean up".into(),
        what: "Drops the reverse subscription and the publications, then the moved tables in ORIGIN. Run it only after the application has run on the new database(s) long enough to trust them: after it, the rollback path is gone.".into(),
        locks: Vec::new(),
        lock_note: "While the moved tables are dropped, in one transaction under lock_timeout 5s. Nothing should touch the moved tables any more; a table that stays is listed when a key of a moved table references it".into(),
        verify: verify_text(&c),
        expect: "0 (every moved table is gone from ORIGIN)".into(),
        check: Some(c),
        rollback: "none. This is the point of no return: restore ORIGIN's moved tables from a backup taken before this phase, or copy them back from the targets.".into(),
        point_of_no_return: true,
        files,
    }
}

/// What 07-cleanup's lock-writes step adds when a moved table has partitions.
const PARTITIONS_LOCKED: &str = " Each partition found in the catalog when the step runs gets its own trigger, so partitions created after the dump too; a partitioned table also gets a row trigger, which Postgres passes on to partitions created later: their INSERT, UPDATE and DELETE fail, a TRUNCATE addressed to one does not (TRUNCATE fires statement triggers only): run this phase again after creating partitions.";

/// Every moved table, partitions included (a statement trigger on a partitioned table does not
/// fire for a write addressed to one of its partitions).
fn lock_tables(p: &Phases) -> Vec<QName> {
    let set: BTreeSet<QName> = p.targets.iter().flat_map(|t| t.tables.clone()).collect();
    set.into_iter().collect()
}

/// `cleanup = "lock-writes"`: `silo_plan.lock_writes()` and, on each moved table that lacks it,
/// the statement trigger `silo_plan_lock_writes` (its argument: the silo that owns the table);
/// then the cut-over's fence dropped. Statements for one transaction.
///
/// As the fence ([`fence_sql`]): the partitions are locked one by one, as the live catalog lists
/// them (`pg_partition_tree`, so those created between the dump and this phase too), and each
/// partitioned root also gets the row trigger `silo_plan_lock_writes_rows`, which Postgres
/// clones to every partition created or attached later: their INSERT, UPDATE and DELETE fail
/// with the same message. A TRUNCATE addressed to such a later partition is not refused
/// (TRUNCATE fires statement triggers only); running 07-cleanup again gives it its own.
fn lock_writes_sql(p: &Phases) -> String {
    let mut sql = String::from(
        "CREATE SCHEMA IF NOT EXISTS silo_plan;\nCREATE OR REPLACE FUNCTION silo_plan.lock_writes() RETURNS trigger\n    LANGUAGE plpgsql\n    SET search_path = pg_catalog, pg_temp\nAS $silo_plan$\nBEGIN\n    -- 08-truncate empties the table with silo_plan.truncating set in its transaction.\n    IF TG_OP = 'TRUNCATE' AND current_setting('silo_plan.truncating', true) = 'on' THEN\n        RETURN NULL;\n    END IF;\n    RAISE EXCEPTION 'table %.% belongs to silo %: write to its database', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0]\n        USING ERRCODE = 'read_only_sql_transaction';\nEND\n$silo_plan$;\n",
    );
    let mut values = Vec::new();
    for t in &p.targets {
        for q in &t.tables {
            values.push(format!(
                "({}, {})",
                literal(&qualified(q)),
                literal(&t.silo)
            ));
        }
    }
    values.sort();
    values.dedup();
    let body = format!(
        "\nDECLARE\n    t regclass;\n    owner text;\nBEGIN\n    -- Each moved table and its partitions, as the catalog lists them now (those created after\n    -- the dump too): a statement trigger on a partitioned table does not fire for a write\n    -- addressed to one of its partitions.\n    FOR t, owner IN SELECT x.rel, min(v.silo) FROM (VALUES {}) AS v(name, silo)\n                     CROSS JOIN LATERAL (SELECT v.name::regclass UNION SELECT p.relid FROM pg_catalog.pg_partition_tree(v.name::regclass) AS p) AS x(rel)\n                    GROUP BY x.rel ORDER BY x.rel LOOP\n        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = t AND tgname = 'silo_plan_lock_writes') THEN\n            EXECUTE pg_catalog.format('CREATE TRIGGER silo_plan_lock_writes BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION silo_plan.lock_writes(%L)', t, owner);\n        END IF;\n        -- A row trigger on a partitioned root is cloned to the partitions created or attached\n        -- later: their INSERT, UPDATE and DELETE fail too. Not covered: a TRUNCATE addressed to\n        -- such a partition (TRUNCATE fires statement triggers only; rerun this phase after\n        -- creating partitions to give them theirs).\n        IF EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE oid = t AND relkind = 'p' AND NOT relispartition)\n           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = t AND tgname = 'silo_plan_lock_writes_rows') THEN\n            EXECUTE pg_catalog.format('CREATE TRIGGER silo_plan_lock_writes_rows BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION silo_plan.lock_writes(%L)', t, owner);\n        END IF;\n    END LOOP;\nEND\n",
        values.join(",\n           ")
    );
    sql.push_str("DO ");
    super::fks::push_dollar_quoted(&mut sql, &body);
    sql.push_str(";\n");
    sql.push_str(&unfence_sql(&lock_tables(p)));
    sql
}

// ---------------------------------------------------------------------------------------------
// 8. Truncate (cleanup = "lock-writes").

fn truncate(p: &Phases) -> Phase {
    let id = "08-truncate";
    let roots = all_roots(p);
    let tables = lock_tables(p);
    let items = vec![
        meta(
            "Truncating deletes data: run.sh passes confirm only when CONFIRM=drop-moved-tables is set.",
            &[
                "\\if :{?confirm}".to_string(),
                "\\else".into(),
                "DO $silo_plan$ BEGIN RAISE EXCEPTION 'silo-plan: truncating the moved tables is the point of no return: set CONFIRM=drop-moved-tables to run it'; END $silo_plan$;".into(),
                "\\endif".into(),
            ],
        ),
        timed(
            "POINT OF NO RETURN: empty the moved tables in ORIGIN (their partitions with them). They stay, write-locked, so that a forgotten writer still fails with the owning silo's name. The lock triggers let this TRUNCATE through because silo_plan.truncating is set for this transaction only. No CASCADE: a table that stays and references one of them stops it with Postgres's own message.",
            tables.iter().map(|q| (q.clone(), Lock::AccessExclusive)).collect(),
            vec![hazard("data-loss", "the moved tables' rows in ORIGIN are deleted; the target databases hold the only copy")],
            format!(
                "SET LOCAL silo_plan.truncating = 'on';\nTRUNCATE TABLE\n    {}",
                table_list(&roots)
            ),
        ),
    ];
    let files = vec![file(
        id,
        Place::Origin,
        None,
        "Empties the write-locked moved tables in ORIGIN: the point of no return.",
        items,
    )];
    let c = check(
        &Place::Origin,
        format!(
            "SELECT {};",
            roots
                .iter()
                .map(|q| format!("(SELECT count(*) FROM {})", qualified(q)))
                .collect::<Vec<_>>()
                .join(" + ")
        ),
        "0",
    );
    Phase {
        id: id.into(),
        title: "Truncate the write-locked tables".into(),
        what: "Empties the moved tables that `07-cleanup` write-locked in ORIGIN. Run it once the application has run on the new database(s) long enough to trust them.".into(),
        locks: Vec::new(),
        lock_note: "While the tables are truncated, in one transaction under lock_timeout 5s".into(),
        verify: verify_text(&c),
        expect: "0 (no row left in the moved tables)".into(),
        check: Some(c),
        rollback: "none. This is the point of no return: restore the rows from a backup taken before this phase, or copy them back from the targets.".into(),
        point_of_no_return: true,
        files,
    }
}

// ---------------------------------------------------------------------------------------------
// New instances of a multi-instance silo.

/// The environment variable `phases/run.sh instance SILO INSTANCE` runs a new instance's script
/// against: the one new database being made ready (one at a time, so one name).
pub const INSTANCE_ENV: &str = "INSTANCE_URL";

/// A new, empty instance of a silo that runs as several: the script that makes its database
/// ready (`phases/instances/<silo>/<instance>.sql`, run by `phases/run.sh instance SILO
/// INSTANCE` against [`INSTANCE_ENV`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstance {
    /// The silo.
    pub silo: String,
    /// The instance this script makes ready.
    pub instance: String,
    /// The instance that receives today's rows (`origin_instance`).
    pub origin_instance: String,
    /// The silo is the origin: its origin instance is ORIGIN itself; else the moving silo's
    /// target (`<SILO>_URL`).
    pub origin: bool,
    /// Path in the plan directory.
    pub path: String,
    /// The id-space file the origin instance runs (`residency/id-space/<silo>/<origin>.sql`),
    /// with `id_space = "ranges"` or `"snowflake"`.
    pub origin_id_space: Option<String>,
    /// What each step does, one line each, in order (for the runbook).
    pub steps: Vec<String>,
    /// The statements.
    pub items: Vec<Item>,
}

/// The scripts of every new instance: for each silo with two or more instances that holds a
/// table (the origin silo, or one that moves), one per instance other than its origin
/// instance, in config order.
fn new_instances(input: &Input, out: &Phases) -> Vec<NewInstance> {
    let (cat, cfg, asg) = (input.cat, input.cfg, input.asg);
    let id_spaces = crate::idspace::build(input);
    let mut scripts = Vec::new();
    for s in &cfg.silos {
        let Some(origin_instance) = s.origin_instance() else {
            continue;
        };
        let origin = out.origin.as_deref() == Some(s.name.as_str());
        if !origin && !out.targets.iter().any(|t| t.silo == s.name) {
            continue;
        }
        let mut roots: Vec<QName> = cat
            .tables
            .iter()
            .filter(|t| t.partition_of.is_none())
            .map(|t| t.qname())
            .filter(|q| matches!(asg.silo_of(q), Some(Placement::Silo(n)) if *n == s.name))
            .collect();
        roots.sort();
        if roots.is_empty() {
            continue;
        }
        let id_space = id_spaces.iter().find(|p| p.silo == s.name);
        let unplanned: Vec<String> = if id_space.is_none() {
            crate::idspace::sequence_columns(cat, asg, &s.name)
        } else {
            Vec::new()
        };
        for instance in s.new_instances() {
            scripts.push(new_instance(
                s,
                instance,
                origin_instance,
                origin,
                &roots,
                id_space,
                &unplanned,
                out.cascade_silos.contains(&s.name),
                out.apply_silos.contains(&s.name),
            ));
        }
    }
    scripts
}

/// `t` for the inside of a string literal in a `DO $silo_plan$` block's message: no quote,
/// dollar or backslash (each becomes `_`), so it needs no escaping there.
fn plain(t: &str) -> String {
    t.replace(['\'', '$', '\\'], "_")
}

/// The two items that load `silos/<silo>/schema.sql` exactly once into the database a script
/// runs on (`up` leads from the script's directory to the plan's): a catalog read of which of
/// the silo's tables (`roots`: partitions come with their parent) exist, then the schema in one
/// transaction when none does, nothing when all do, and a refusal ending with `partial` when
/// only some do. The dump's statements are not rerunnable on their own (`CREATE TYPE`,
/// `CREATE TABLE`): this is what makes the scripts that load them safe to run again.
fn load_schema_once(silo: &str, roots: &[QName], up: &str, partial: &str) -> [Item; 2] {
    let total = roots.len();
    [
        Item::Piped(
            Step {
                why: format!("Which of silo {silo}'s {total} tables (partitions through their parent) this database has: none (a new database: the schema is loaded below), all (loaded by an earlier run: skipped), or some (refused below)."),
                locks: Vec::new(),
                hazards: Vec::new(),
                transactional: true,
                object: String::new(),
                lock_timeout: None,
                gexec: false,
                sql: format!(
                    "SELECT count(pg_catalog.to_regclass(v.name)) = 0 AS silo_plan_fresh,\n       count(pg_catalog.to_regclass(v.name)) = {total} AS silo_plan_loaded\n  FROM (VALUES {}) AS v(name)",
                    regclass_values(roots)
                ),
            },
            "\\gset".into(),
        ),
        meta(
            &format!("Create silo {silo}'s schema from silos/{silo}/schema.sql, in one transaction (a failure leaves nothing behind). Locks: only the tables it creates, in a database nothing uses yet. Skipped when an earlier run loaded it; a database holding only some of the tables is refused."),
            &[
                "\\if :silo_plan_fresh".into(),
                "BEGIN;".into(),
                format!("\\ir {up}/silos/{silo}/schema.sql"),
                "COMMIT;".into(),
                "\\elif :silo_plan_loaded".into(),
                format!("\\echo 'silos/{silo}/schema.sql: already loaded'"),
                "\\else".into(),
                format!("DO $silo_plan$ BEGIN RAISE EXCEPTION 'silo-plan: this database holds some but not all of the tables of silo {s}: {p}'; END $silo_plan$;", s = plain(silo), p = plain(partial)),
                "\\endif".into(),
            ],
        ),
    ]
}

#[allow(clippy::too_many_arguments)]
fn new_instance(
    s: &crate::config::Silo,
    instance: &str,
    origin_instance: &str,
    origin: bool,
    roots: &[QName],
    id_space: Option<&crate::idspace::IdSpacePlan>,
    unplanned: &[String],
    cascades: bool,
    applies: bool,
) -> NewInstance {
    let silo = &s.name;
    // Text inside the DO blocks' string literals and messages: no quote, dollar or backslash.
    let mut items = Vec::new();
    let mut steps = Vec::new();
    let total = roots.len();
    steps.push(format!(
        "finds which of the silo's {total} tables exist already (reads catalogs only)"
    ));
    steps.push(format!("loads `silos/{silo}/schema.sql` in one transaction when none of them exists (no rows but the shared tables' bookkeeping), skips it when all do, and refuses a database that holds some of them"));
    items.extend(load_schema_once(
        silo,
        roots,
        "../../..",
        "it is not a new, empty instance. Run this script on a new database (CREATE DATABASE), or drop the partial schema first",
    ));
    match id_space {
        Some(p) if p.scheme != crate::config::IdSpace::InstanceColumn => {
            let file = format!("residency/id-space/{silo}/{instance}.sql");
            steps.push(format!("gives its sequences instance {instance}'s id space: `{file}` (`id_space = \"{}\"`)", p.scheme.as_str()));
            items.push(meta(
                &format!("Give instance {instance} its own ids (id_space = \"{}\"): {file}, which refuses an id that breaks the scheme and leaves a sequence already done as it is. Locks: as that file states per sequence (SHARE ROW EXCLUSIVE on each sequence, ACCESS SHARE on its tables; lock_timeout 5s).", p.scheme.as_str()),
                &[format!("\\ir ../../../{file}")],
            ));
        }
        Some(_) => {
            steps.push("nothing for its ids: with `id_space = \"instance-column\"` ids are unique per instance only, and references from single-instance silos name the instance".to_string());
            items.push(meta(
                "id_space = \"instance-column\": this instance's sequences start where the schema starts them, like every instance's; the references into the silo from single-instance silos name the instance beside the id (residency/id-space/<silo>/<referencing silo>.sql, run on those databases). Nothing to do here.",
                &[format!("\\echo 'id space of instance {instance}: per instance (instance-column), nothing to do'")],
            ));
        }
        None if !unplanned.is_empty() => {
            steps.push(format!("refuses to go on: silo {silo} sets no `id_space` and {} column(s) take their ids from a sequence (check's SP020)", unplanned.len()));
            let mut named: Vec<String> = unplanned.iter().take(3).cloned().collect();
            if unplanned.len() > 3 {
                named.push(format!("and {} more", unplanned.len() - 3));
            }
            items.push(step(
                &format!("Refuse: silo {silo} sets no id_space, so this instance's sequences would hand out the ids instance {origin_instance} hands out (check's SP020). The schema loaded above stays; set id_space in silo-plan.toml, plan again, and run the new script: it goes on from here."),
                Vec::new(),
                Vec::new(),
                format!(
                    "DO $silo_plan$ BEGIN RAISE EXCEPTION 'silo-plan: silo {s} sets no id_space: {n} column(s) ({cols}) take their ids from a sequence, and instance {i} would hand out the ids instance {o} holds. Set id_space in [silos.{s}] of silo-plan.toml (check warns: SP020), plan again and run the new script'; END $silo_plan$",
                    s = plain(silo),
                    n = unplanned.len(),
                    cols = plain(&named.join(", ")),
                    i = plain(instance),
                    o = plain(origin_instance),
                ),
            ));
        }
        None => {
            steps.push(
                "nothing for its ids: no table of the silo takes its ids from a sequence"
                    .to_string(),
            );
            items.push(meta(
                "No table of the silo takes its ids from a sequence or identity: nothing can collide.",
                &[format!("\\echo 'id space of instance {instance}: no sequence-backed column, nothing to do'")],
            ));
        }
    }
    if cascades {
        steps.push(format!("installs `cascades/{silo}.sql` (the replicated cascades and the tombstone inbox the fan-out delivers to)"));
        items.push(meta(
            &format!("Install silo {silo}'s replicated cascades: the tombstone inbox and apply functions (the fan-out delivers each single-instance silo's tombstones to every instance, this one included) and the tombstone triggers. The file is rerunnable. Locks: as its statements state (SHARE ROW EXCLUSIVE on the tables that get a trigger, in a database nothing uses yet). For the replicated transport, run cascades/{silo}.replication.sql with -v instance={instance} afterwards (it needs the publishers' conninfo)."),
            &[format!("\\ir ../../../cascades/{silo}.sql")],
        ));
    }
    steps.push(format!("checks the instance is ready and records it in `silo_plan.instance_ready`: every table there, empty until recorded{}{}", if id_space.is_some_and(|p| p.scheme == crate::config::IdSpace::Ranges) { ", each sequence in the instance's range" } else { "" }, if applies { ", `silo_plan.apply()` installed" } else { "" }));
    let mut checks = String::new();
    if let Some(p) = id_space.filter(|p| p.scheme == crate::config::IdSpace::Ranges) {
        for q in &p.sequences {
            let Some(r) = q.ranges.iter().find(|r| r.instance == instance) else {
                continue;
            };
            checks.push_str(&format!(
                "    IF NOT EXISTS (SELECT FROM pg_catalog.pg_sequence WHERE seqrelid = {expr} AND seqmin = {start} AND seqmax = {end}) THEN\n        problems := problems || {msg}::text;\n    END IF;\n",
                expr = crate::idspace::seq_expr(q),
                start = r.start,
                end = r.end,
                msg = literal(&format!("sequence {} is not in the range {} to {} of instance {}", q.sequence, r.start, r.end, instance)),
            ));
        }
    }
    if applies {
        checks.push_str(&format!(
            "    IF pg_catalog.to_regprocedure('silo_plan.apply(integer)') IS NULL THEN\n        problems := problems || {}::text;\n    END IF;\n",
            literal(&format!("silo_plan.apply() is missing: cascades/{silo}.sql did not run"))
        ));
    }
    let sql = format!(
        r#"CREATE SCHEMA IF NOT EXISTS silo_plan;
CREATE TABLE IF NOT EXISTS silo_plan.instance_ready (
    silo text NOT NULL,
    instance text NOT NULL,
    ready_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (silo, instance)
);
DO $silo_plan$
DECLARE
    problems text[] := '{{}}';
    r record;
    has_rows boolean;
    recorded boolean := EXISTS (SELECT FROM silo_plan.instance_ready WHERE silo = {silo_l} AND instance = {inst_l});
BEGIN
    FOR r IN SELECT v.name, pg_catalog.to_regclass(v.name) AS rel FROM (VALUES {values}) AS v(name) LOOP
        IF r.rel IS NULL THEN
            problems := problems || format('table %s is missing', r.name);
        ELSIF NOT recorded THEN
            EXECUTE format('SELECT EXISTS (SELECT FROM %s)', r.rel) INTO has_rows;
            IF has_rows THEN
                problems := problems || format('table %s already holds rows: a new instance starts empty and receives tenants by silo-plan relocate', r.name);
            END IF;
        END IF;
    END LOOP;
{checks}    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION E'silo-plan: instance % of silo % is not ready (% problem(s)):\n  * %',
            {inst_l}, {silo_l}, cardinality(problems), array_to_string(problems, E'\n  * ');
    END IF;
    INSERT INTO silo_plan.instance_ready (silo, instance) VALUES ({silo_l}, {inst_l}) ON CONFLICT DO NOTHING;
    RAISE NOTICE 'silo-plan: instance % of silo % is ready', {inst_l}, {silo_l};
END
$silo_plan$"#,
        silo_l = literal(silo),
        inst_l = literal(instance),
        values = regclass_values(roots),
    );
    items.push(Item::Step(Step {
        why: format!("Check that instance {instance} is ready, then record it: every table of silo {silo} exists and, until the first successful run records the instance, holds no row (the application then writes here: a later run checks the rest only){}{}. One transaction; the reads take ACCESS SHARE on each table, the mark ROW EXCLUSIVE, and the first run creates silo_plan.instance_ready (its own lock, on a table no one else sees yet).",
            if id_space.is_some_and(|p| p.scheme == crate::config::IdSpace::Ranges) { "; each sequence has this instance's range" } else { "" },
            if applies { "; the cascades are installed" } else { "" }),
        // None worth naming: ACCESS SHARE and ROW EXCLUSIVE, and the new table's own lock,
        // which no other session can see.
        locks: Vec::new(),
        hazards: Vec::new(),
        transactional: true,
        object: String::new(),
        lock_timeout: Some(LOCK_TIMEOUT.to_string()),
        gexec: false,
        sql,
    }));
    NewInstance {
        silo: silo.clone(),
        instance: instance.to_string(),
        origin_instance: origin_instance.to_string(),
        origin,
        path: format!("phases/instances/{silo}/{instance}.sql"),
        origin_id_space: id_space
            .filter(|p| p.scheme != crate::config::IdSpace::InstanceColumn)
            .map(|_| format!("residency/id-space/{silo}/{origin_instance}.sql")),
        steps,
        items,
    }
}
