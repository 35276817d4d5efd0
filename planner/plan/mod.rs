//! Building the [`Plan`]: data only, no text formatting beyond the SQL statements themselves.
//!
//! One builder per part: [`schema`] the per-silo DDL, [`fks`] the scripts that break and restore
//! cross-silo foreign keys. [`crate::render`] turns a `Plan` into files through the askama
//! templates in `templates/`.

pub mod cascades;
pub mod fanout;
pub mod fks;
pub mod phases;
pub mod schema;
pub mod stubs;

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

use crate::assign::{Assignment, RuleMatches};
use crate::catalog::{Catalog, QName};
use crate::config::Config;
use crate::graph::Graph;
use crate::source::SourceFile;

/// Everything the planners read.
pub struct Input<'a> {
    /// The catalog.
    pub cat: &'a Catalog,
    /// The dump files (for original statement text).
    pub sources: &'a [SourceFile],
    /// The config.
    pub cfg: &'a Config,
    /// The table → silo assignment.
    pub asg: &'a Assignment,
    /// Which `[[edges]]` / `[[allow]]` entries apply to which foreign keys.
    pub rules: &'a RuleMatches,
    /// The object graph.
    pub graph: &'a Graph,
}

impl Input<'_> {
    /// The original text of a catalog span.
    pub fn text(&self, span: &crate::catalog::Span) -> &str {
        self.sources
            .get(span.file as usize)
            .and_then(|s| s.text.get(span.start as usize..span.end as usize))
            .unwrap_or("")
    }
}

/// Lock level a statement takes, strongest first (Postgres's table-level lock modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Lock {
    /// Blocks everything, reads included.
    AccessExclusive,
    /// Blocks writes and other schema changes; reads go on.
    ShareRowExclusive,
    /// Blocks writes (`CREATE INDEX` without `CONCURRENTLY`).
    Share,
    /// Blocks schema changes and VACUUM, not reads or writes (`CREATE INDEX CONCURRENTLY`,
    /// `VALIDATE CONSTRAINT`).
    ShareUpdateExclusive,
    /// Blocks only exclusive locks (`VALIDATE CONSTRAINT` on the referenced table).
    RowShare,
    /// Takes no table lock worth naming (`ACCESS SHARE` of a read, `ROW EXCLUSIVE` of a write:
    /// neither blocks the application's reads or writes), or locks that depend on run-time
    /// state (per-partition steps generated when the script runs).
    None,
}

impl Lock {
    /// The lock mode as Postgres's documentation names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Lock::AccessExclusive => "ACCESS EXCLUSIVE",
            Lock::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            Lock::Share => "SHARE",
            Lock::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            Lock::RowShare => "ROW SHARE",
            Lock::None => "none that blocks reads or writes",
        }
    }

    /// The mode of a `pg_locks.mode` (`AccessExclusiveLock`) as a claim compares with it:
    /// `ACCESS SHARE` and `ROW EXCLUSIVE` are [`Lock::None`]; `EXCLUSIVE`, which nothing
    /// generated takes, is `None` too (the caller sees the raw mode).
    pub fn from_pg_mode(mode: &str) -> Option<Lock> {
        Some(match mode {
            "AccessExclusiveLock" => Lock::AccessExclusive,
            "ShareRowExclusiveLock" => Lock::ShareRowExclusive,
            "ShareLock" => Lock::Share,
            "ShareUpdateExclusiveLock" => Lock::ShareUpdateExclusive,
            "RowShareLock" => Lock::RowShare,
            "RowExclusiveLock" | "AccessShareLock" => Lock::None,
            _ => return None,
        })
    }
}

/// Tables locked in one mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TablesLock {
    /// The mode.
    pub lock: Lock,
    /// The tables, in the order the statements lock them.
    pub tables: Vec<QName>,
}

/// What one `-- Locks:` comment of a generated SQL file claims for the statements under it:
/// the same data the comment is rendered from, so a test can hold it against `pg_locks`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, JsonSchema)]
pub struct StepLocks {
    /// The tables it locks, grouped by the strongest mode on each (modes in the order the
    /// statements first take them); a table not listed is not locked in a mode worth naming
    /// ([`Lock::None`]).
    pub locks: Vec<TablesLock>,
    /// The `lock_timeout` the statements run under (`SET LOCAL` in their transaction), when
    /// they set one. There is no automatic retry: a timeout stops the script, which is rerun.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_timeout: Option<String>,
}

impl StepLocks {
    /// The claim of `locks` (table and mode, as [`Step::locks`]) under `lock_timeout`.
    pub fn new(locks: &[(QName, Lock)], lock_timeout: Option<&str>) -> StepLocks {
        let mut out: Vec<TablesLock> = Vec::new();
        for (t, l) in locks {
            match out.iter_mut().find(|g| g.lock == *l) {
                Some(g) => g.tables.push(t.clone()),
                None => out.push(TablesLock {
                    lock: *l,
                    tables: vec![t.clone()],
                }),
            }
        }
        StepLocks {
            locks: out,
            lock_timeout: lock_timeout.map(str::to_string),
        }
    }

    /// The claim of a [`Step`].
    pub fn of(s: &Step) -> StepLocks {
        StepLocks::new(&s.locks, s.lock_timeout.as_deref())
    }
}

/// The lock claims of one generated SQL file: one per `-- Locks:` comment above a statement, in
/// file order (a phase file's header states the phase's locks, [`phases::Phase::locks`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FileLocks {
    /// Path in the plan directory (`fks/drop.sql`, `cascades/control.sql`,
    /// `phases/06-cutover.1.origin.sql`).
    pub file: String,
    /// The claims, in file order.
    pub steps: Vec<StepLocks>,
}

/// A hazard of running a statement, as pg-schema-diff reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Hazard {
    /// Kind, kebab-case: `blocks-writes`, `blocks-reads`, `long-running`, `integrity-unchecked`,
    /// `data-loss`, `not-transactional`.
    pub kind: String,
    /// One sentence for the reviewer.
    pub message: String,
}

/// One generated statement with what it does to a running database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Step {
    /// Why this statement is here (one line, shown as a comment above it).
    pub why: String,
    /// The tables it locks and how.
    pub locks: Vec<(QName, Lock)>,
    /// Hazards, possibly none.
    pub hazards: Vec<Hazard>,
    /// Whether it may run inside a transaction block (`CREATE INDEX CONCURRENTLY` may not).
    pub transactional: bool,
    /// The object the step is for (`schema.table.constraint` for a foreign key), so steps can be
    /// grouped by it.
    pub object: String,
    /// When set, the script runs the step in its own transaction with
    /// `SET LOCAL lock_timeout` to this value: a wait for a lock gives up instead of queueing
    /// every later query on the table behind it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_timeout: Option<String>,
    /// `sql` is a query whose result rows are statements that psql's `\gexec` runs one by one
    /// (each in autocommit unless `lock_timeout` wraps them in a transaction).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schemars(default)]
    pub gexec: bool,
    /// The SQL, without a trailing semicolon (nor `\gexec`).
    pub sql: String,
}

/// A silo and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SiloSummary {
    /// Silo name (`shared` for the `[shared]` tables).
    pub name: String,
    /// True for the `origin` silo, whose tables stay in today's database.
    pub stays: bool,
    /// Regions it runs in (`instances`), empty for a single instance.
    pub instances: Vec<String>,
    /// The instance that receives today's rows (`origin_instance`, default the first of
    /// `instances`); absent for a single instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_instance: Option<String>,
    /// Its tables, sorted.
    pub tables: Vec<QName>,
    /// Its views, sorted.
    pub views: Vec<QName>,
}

/// A foreign key whose two ends are in different silos: its name, and each end's table,
/// columns and silo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CrossingKey {
    /// Constraint name.
    pub constraint: String,
    /// Child table.
    pub child: QName,
    /// Child columns.
    pub child_columns: Vec<String>,
    /// Child's silo.
    pub child_silo: String,
    /// Parent table.
    pub parent: QName,
    /// Parent columns.
    pub parent_columns: Vec<String>,
    /// Parent's silo.
    pub parent_silo: String,
}

impl CrossingKey {
    /// Foreign key `fk`, placed as crossing `c` finds it.
    pub fn new(fk: &crate::catalog::ForeignKey, c: &crate::check::Crossing) -> CrossingKey {
        CrossingKey {
            constraint: fk.name.clone(),
            child: fk.table.clone(),
            child_columns: fk.columns.clone(),
            child_silo: c.child_silo.clone(),
            parent: fk.references.clone(),
            parent_columns: fk.referenced_columns.clone(),
            parent_silo: c.parent_silo.clone(),
        }
    }
}

/// A cross-silo foreign key and what the plan does about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PlannedCrossing {
    /// The key and its two ends.
    #[serde(flatten)]
    pub key: CrossingKey,
    /// `ON DELETE` as the dump declares it.
    pub declared_on_delete: crate::catalog::FkAction,
    /// The dump's `ON DELETE SET NULL|DEFAULT (cols)` list (Postgres 15+); omitted when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub declared_on_delete_columns: Vec<String>,
    /// The action the plan replicates.
    pub on_delete: crate::config::EdgeAction,
    /// The child columns the replicated set-null / set-default writes when that is not every
    /// child column (a declared `SET NULL (cols)` list); omitted otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub set_columns: Vec<String>,
    /// Where that action comes from: `declared`, `override` or `default`.
    pub decided_by: String,
    /// How it is replicated after the split, in one sentence.
    pub replication: String,
    /// The `[[allow]]` reason, when the crossing is accepted for now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
    /// Dump file.
    pub file: String,
    /// Dump line.
    pub line: u32,
    /// Where the reference comes from: `declared`, `imported`, `inferred`; omitted for a
    /// foreign-key constraint (then `constraint` is its name; otherwise a name silo-plan gives
    /// the reference, `<table>_<columns>_ref`, that no constraint has).
    #[serde(skip_serializing_if = "is_constraint")]
    #[schemars(default)]
    pub kind: crate::references::Kind,
    /// The convention of an inferred reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<crate::references::Rule>,
    /// How sure inference is of it (inferred references only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<crate::references::Confidence>,
    /// The replicated action in the words of the models of the framework that wrote the dump
    /// (`on_delete=PROTECT`, `dependent: :destroy`); omitted for a dump whose framework does
    /// not decide deletes in its models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orm: Option<String>,
}

fn is_constraint(k: &crate::references::Kind) -> bool {
    *k == crate::references::Kind::Constraint
}

impl PlannedCrossing {
    /// How plan.md names where a reference without a constraint comes from: ` (declared)`,
    /// ` (inferred: rails, 0.90)`; empty for a constraint.
    pub fn kind_note(&self) -> String {
        use crate::references::Kind;
        match (self.kind, self.rule, self.confidence) {
            (Kind::Constraint, ..) => String::new(),
            (k, Some(r), Some(c)) => format!(" ({}: {r}, {c})", k.as_str()),
            (k, ..) => format!(" ({})", k.as_str()),
        }
    }
}

/// A closure step's constraint, child table and child silo, shared by the steps of one key.
type StepNames = (Arc<str>, Arc<QName>, Arc<str>);

/// One step of a cascade closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ClosureStep {
    /// Depth below the deleted table (1 = a direct child).
    pub depth: usize,
    // The three names are shared by every step that follows the same key: a plan of 100,000
    // tables has about 1.5 million steps, and four `String`s each were 6 million allocations.
    /// The foreign key followed.
    pub constraint: Arc<str>,
    /// The child table reached.
    pub child: Arc<QName>,
    /// Its silo.
    pub child_silo: Arc<str>,
    /// What happens to its rows.
    pub action: crate::config::EdgeAction,
    /// This hop crosses a silo boundary.
    pub crosses: bool,
    /// The child was reached earlier in this closure: listed, not followed again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schemars(default)]
    pub again: bool,
}

/// What deleting one row of a parent of a broken edge does, across silos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Closure {
    /// The parent table.
    pub parent: QName,
    /// Its silo.
    pub silo: String,
    /// Every step, depth first (each table's children listed once).
    pub steps: Vec<ClosureStep>,
    /// Steps left out after the first [`CLOSURE_STEPS`] (`silo-plan explain` lists them all).
    pub omitted: usize,
}

/// Most steps of a closure that plan.md and plan.json list; `explain` shows the rest.
pub const CLOSURE_STEPS: usize = 100;

/// The framework that wrote the dump, as [`crate::framework::detect`] tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FrameworkSeen {
    /// `rails`, `django`, `ecto` or `generic`.
    pub name: crate::framework::Framework,
    /// The sign it was told by (`table ar_internal_metadata`), empty for `generic`.
    pub evidence: String,
}

/// The whole plan: data only. `plan.json` is this, serialized.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Plan {
    /// Format version of plan.json.
    pub version: u32,
    /// The config file.
    pub config: String,
    /// The dumps read.
    pub dumps: Vec<String>,
    /// The framework that wrote the dump: where it is Rails or Django, the application's
    /// models, not the dump's `NO ACTION`, decide what a delete does.
    pub framework: FrameworkSeen,
    /// The silo whose tables stay in today's database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Silos, in config order, then `shared`.
    pub silos: Vec<SiloSummary>,
    /// Cross-silo foreign keys, in dump order.
    pub crossings: Vec<PlannedCrossing>,
    /// Every other finding of `check` (couplings, unassigned tables, shared keys).
    pub findings: Vec<crate::findings::Finding>,
    /// Cascade closures of every parent of a broken edge.
    pub closures: Vec<Closure>,
    /// Each silo's `tenant` and the tables it reaches by references (its closure), with the
    /// silo's tables it does not reach; omitted when no silo names a tenant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub tenants: Vec<crate::residency::Tenant>,
    /// The keys of multi-instance silos that must stay unique across the instances (referenced
    /// from another silo, or named by `global_unique`); omitted when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub global_keys: Vec<crate::residency::GlobalKey>,
    /// The reservation table and functions of each key `global_unique` plans
    /// (`residency/<registry silo>.sql`); omitted when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub reservations: Vec<crate::residency::Reservation>,
    /// The id space of each silo that sets `id_space` (`residency/id-space/<silo>/`); omitted
    /// when none does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub id_spaces: Vec<crate::idspace::IdSpacePlan>,
    /// The tombstones of single-instance silos fanned out to every instance of a multi-instance
    /// silo (`residency/fanout/<silo>.sql`); omitted when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub fanouts: Vec<fanout::Fanout>,
    /// `fks/drop.sql` and `fks/restore.sql`: every step with its locks and hazards.
    pub fks: fks::FkScripts,
    /// What a person must decide before running anything.
    pub decisions: Vec<String>,
    /// `silos/<silo>/schema.sql`: the dump's statements each silo's database needs.
    #[serde(skip)]
    #[schemars(skip)]
    pub schemas: Vec<schema::SiloSchema>,
    /// `cascades/<silo>.sql`: tombstone producers, consumers and restrict guards per silo.
    #[serde(skip)]
    #[schemars(skip)]
    pub cascades: Vec<cascades::SiloCascades>,
    /// `stubs/<lang>/`: records, lookups, cascade handlers, restrict guards and the pump.
    #[serde(skip)]
    #[schemars(skip)]
    pub stubs: stubs::Stubs,
    /// `simulate/roles.sql` and `reset.sql`: the roles of the default prefix (`silo-plan
    /// simulate --prefix` for another), or why they cannot be made (a silo name too long for
    /// its role).
    #[serde(skip)]
    #[schemars(skip)]
    pub simulation: Result<crate::simulate::Simulation, crate::simulate::SimulateError>,
    /// `phases/`: the physical split, phase by phase (plan.json: each phase's locks and verify
    /// query), and the replication-readiness findings.
    pub phases: phases::Phases,
    /// What every `-- Locks:` comment of `cascades/*.sql` and `phases/*.sql` claims, file by
    /// file (those of `fks/*.sql` are the `locks` of [`Plan::fks`]' steps): the data the
    /// comments and the runbook are rendered from.
    pub locks: Vec<FileLocks>,
}

/// `set_columns`: the listed columns of a `SET NULL (cols)` key, empty when all are set.
fn replication(
    action: crate::config::EdgeAction,
    set_columns: &[String],
    child_silo: &str,
    parent_silo: &str,
) -> String {
    use crate::config::EdgeAction as A;
    let cols = if set_columns.is_empty() {
        "the columns".to_string()
    } else {
        format!("only {}", set_columns.join(", "))
    };
    match action {
        A::Cascade => format!("tombstones from {parent_silo}; {child_silo} deletes the child rows in batches"),
        A::SetNull => format!("tombstones from {parent_silo}; {child_silo} sets {cols} to NULL in batches"),
        A::SetDefault if set_columns.len() == 1 => format!("tombstones from {parent_silo}; {child_silo} sets {cols} to its default in batches"),
        A::SetDefault => format!("tombstones from {parent_silo}; {child_silo} sets {cols} to their default in batches"),
        A::Restrict => "not enforceable across databases: the application checks for children before deleting the parent".to_string(),
        A::Ignore => "nothing: the edge is ignored by configuration".to_string(),
    }
}

/// Builds the plan from the analysis of the dump and the config.
pub fn build(input: &Input, findings: &[crate::findings::Finding]) -> Plan {
    use crate::assign::Placement;
    use crate::check::{crossings, effective_action, ActionSource};
    let cat = input.cat;
    let cfg = input.cfg;
    let origin = cfg.origin.as_ref().map(|o| o.get_ref().clone());
    let mut silos: Vec<SiloSummary> = cfg
        .silos
        .iter()
        .map(|s| SiloSummary {
            name: s.name.clone(),
            stays: origin.as_deref() == Some(s.name.as_str()),
            instances: s.instances.clone(),
            origin_instance: s.origin_instance().map(str::to_string),
            tables: Vec::new(),
            views: Vec::new(),
        })
        .collect();
    silos.push(SiloSummary {
        name: "shared".into(),
        stays: false,
        instances: Vec::new(),
        origin_instance: None,
        tables: Vec::new(),
        views: Vec::new(),
    });
    let index_of = |p: &Placement| -> Option<usize> {
        match p {
            Placement::Silo(n) => cfg.silos.iter().position(|s| &s.name == n),
            Placement::Shared => Some(cfg.silos.len()),
            Placement::Unassigned => None,
        }
    };
    for (q, d) in &input.asg.tables {
        if let Some(i) = index_of(&d.placement) {
            silos[i].tables.push(q.clone());
        }
    }
    for (q, d) in &input.asg.views {
        if let Some(i) = index_of(&d.placement) {
            silos[i].views.push(q.clone());
        }
    }
    let detected = crate::framework::detect(cat);
    let framework = detected.framework;
    let mut planned = Vec::new();
    let mut parents = std::collections::BTreeSet::new();
    for c in crossings(cat, input.asg, input.rules) {
        if c.child_silo == "shared" || c.parent_silo == "shared" {
            continue;
        }
        let fk = &cat.foreign_keys[c.fk];
        let (action, source) = effective_action(cat, cfg, input.rules, c.fk);
        if !matches!(
            action,
            crate::config::EdgeAction::Restrict | crate::config::EdgeAction::Ignore
        ) {
            parents.insert(fk.references.clone());
        }
        let set_columns = match action {
            crate::config::EdgeAction::SetNull | crate::config::EdgeAction::SetDefault => {
                fk.on_delete_columns.clone()
            }
            _ => Vec::new(),
        };
        planned.push(PlannedCrossing {
            key: CrossingKey::new(fk, &c),
            declared_on_delete: fk.on_delete,
            declared_on_delete_columns: fk.on_delete_columns.clone(),
            on_delete: action,
            set_columns: set_columns.clone(),
            decided_by: source.word().into(),
            replication: if source == ActionSource::Inferred {
                "nothing: only inferred from the column's name (the database does nothing today); a [[references]] entry confirms it with its on_delete".to_string()
            } else {
                let how = replication(action, &set_columns, &c.child_silo, &c.parent_silo);
                // In the words of the framework's models, where they decide deletes.
                match framework.action_words(action) {
                    Some(w) if action != crate::config::EdgeAction::Ignore => {
                        format!("as `{w}`: {how}")
                    }
                    _ => how,
                }
            },
            allowed: c.allowed_by.map(|i| cfg.allow[i].reason.clone()),
            file: cat
                .files
                .get(fk.span.file as usize)
                .cloned()
                .unwrap_or_default(),
            line: fk.span.line,
            kind: fk.kind(),
            rule: fk.reference.as_ref().and_then(|p| p.rule),
            confidence: fk
                .reference
                .as_ref()
                .filter(|p| p.kind == crate::references::Kind::Inferred)
                .map(|p| p.confidence),
            orm: framework.action_words(action).map(str::to_string),
        });
    }
    // Each key's names and child silo, made once for all the closure steps that follow it.
    let mut step_names: Vec<Option<StepNames>> = vec![None; cat.foreign_keys.len()];
    let mut silo_names: BTreeMap<&str, Arc<str>> = BTreeMap::new();
    let mut walk = crate::closure::ClosureWalk::default();
    let closures = parents
        .iter()
        .map(|p| {
            let (hops, omitted) = walk.walk(input, p, CLOSURE_STEPS);
            Closure {
                parent: p.clone(),
                silo: input.asg.silo_name(p).to_string(),
                omitted,
                steps: hops
                    .iter()
                    .map(|h| {
                        let (constraint, child, child_silo) = step_names[h.fk]
                            .get_or_insert_with(|| {
                                let fk = &cat.foreign_keys[h.fk];
                                let silo = input
                                    .asg
                                    .fk_placements(h.fk, fk)
                                    .0
                                    .map_or("unassigned", Placement::name);
                                let silo = silo_names
                                    .entry(silo)
                                    .or_insert_with(|| Arc::from(silo))
                                    .clone();
                                (
                                    Arc::from(fk.name.as_str()),
                                    Arc::new(fk.table.clone()),
                                    silo,
                                )
                            })
                            .clone();
                        ClosureStep {
                            depth: h.depth,
                            constraint,
                            child,
                            child_silo,
                            action: h.action,
                            crosses: h.crosses,
                            again: h.cycle && h.action == crate::config::EdgeAction::Cascade,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    // The crossings are listed with their plans; an allowed key that is not among them (a
    // shared table's, SP003 accepted) stays a finding, or plan.md would not show it at all.
    let planned_key = |r: &crate::findings::FindingRef| {
        planned.iter().any(|c| {
            c.key.child == r.table
                && c.key.child_columns == r.columns
                && c.key.parent == r.referenced_table
        })
    };
    let others: Vec<crate::findings::Finding> = findings
        .iter()
        .filter(|f| match f.code {
            crate::findings::Code::CrossSiloForeignKey => false,
            crate::findings::Code::AllowedCrossing => {
                f.reference.as_ref().is_some_and(|r| !planned_key(r))
            }
            _ => true,
        })
        .cloned()
        .collect();
    let fk_scripts = fks::build(input);
    let decisions = decisions(&planned, &others, origin.as_deref(), cfg, framework);
    let stubs = stubs::build(input, &planned);
    let cascades = cascades::build(input);
    let phases = phases::build_with(input, &fk_scripts, &cascades);
    let mut locks: Vec<FileLocks> = cascades.iter().flat_map(cascades::file_locks).collect();
    locks.extend(phases::file_locks(&phases));
    let reservations = crate::residency::reservations(cat, cfg, input.asg);
    locks.extend(crate::residency::file_locks(cfg, &cascades, &reservations));
    Plan {
        version: 1,
        config: cfg.path.clone(),
        dumps: cat.files.clone(),
        framework: FrameworkSeen {
            name: framework,
            evidence: detected.evidence,
        },
        origin,
        silos,
        crossings: planned,
        findings: others,
        closures,
        tenants: crate::residency::tenants(cat, cfg, input.asg, input.graph),
        global_keys: crate::residency::global_keys(cat, cfg, input.asg),
        reservations,
        id_spaces: crate::idspace::build(input),
        fanouts: fanout::build(cfg, &cascades),
        fks: fk_scripts,
        schemas: schema::build(input),
        cascades,
        stubs,
        decisions,
        simulation: crate::simulate::build(input, &crate::simulate::Options::default()),
        phases,
        locks,
    }
}

fn decisions(
    crossings: &[PlannedCrossing],
    others: &[crate::findings::Finding],
    origin: Option<&str>,
    cfg: &Config,
    framework: crate::framework::Framework,
) -> Vec<String> {
    use crate::findings::Code;
    let mut out = Vec::new();
    use crate::references::Kind;
    let defaulted: Vec<&PlannedCrossing> = crossings
        .iter()
        .filter(|c| c.decided_by == "default" && c.kind == Kind::Constraint)
        .collect();
    if !defaulted.is_empty() {
        // What the plan gives them: `defaults.on_delete` when the config sets it, else what the
        // database does today (NO ACTION refuses the delete).
        let given = match cfg.defaults.on_delete {
            Some(a) => format!("get `defaults.on_delete = \"{}\"`", a.as_str()),
            None => "get restrict, what the database does today: the parent's delete is refused while children exist in the other silo".to_string(),
        };
        let action = cfg
            .defaults
            .on_delete
            .unwrap_or(crate::config::EdgeAction::Restrict);
        match (framework.delete_setting(), framework.action_words(action)) {
            (Some(setting), Some(words)) => {
                // The names, so a reader can find them without the table (at most 20).
                const NAMED: usize = 20;
                let mut names = defaulted
                    .iter()
                    .take(NAMED)
                    .map(|c| format!("`{}`", c.key.constraint.replace('`', "'")))
                    .collect::<Vec<_>>()
                    .join(", ");
                if defaulted.len() > NAMED {
                    names.push_str(&format!(
                        " and {} more (decided by `default` below)",
                        defaulted.len() - NAMED
                    ));
                }
                let why = match framework {
                    crate::framework::Framework::Django => "Django creates every foreign key NO ACTION DEFERRABLE whatever the model's `on_delete` says",
                    _ => "Rails decides deletes with `dependent:`, which never reaches the database",
                };
                out.push(format!(
                    "{} crossing(s) say NO ACTION in the dump, which says nothing about the application's `{setting}` ({why}), and {given} (`{words}`): export the models with `silo-plan export-script {}` and import the references file it writes (`references = [\"silo-plan-references.json\"]`), or set each with an [[edges]] entry: {names}",
                    defaulted.len(),
                    framework.as_str(),
                ));
            }
            _ => out.push(format!(
                "{} crossing(s) say NO ACTION in the dump and {given}: confirm each (the application may delete or null the children itself), or set it with an [[edges]] entry",
                defaulted.len(),
            )),
        }
    }
    let unstated = crossings
        .iter()
        .filter(|c| c.decided_by == "default" && c.kind != Kind::Constraint)
        .count();
    if unstated > 0 {
        out.push(format!(
            "{unstated} crossing reference(s) without a constraint state no on_delete and get {}: give each its on_delete in [[references]] (what the application does)",
            match cfg.defaults.on_delete {
                Some(a) => format!("`defaults.on_delete = \"{}\"`", a.as_str()),
                None => "ignore, what the database does today (it has no constraint): nothing is replicated".to_string(),
            }
        ));
    }
    let inferred = crossings
        .iter()
        .filter(|c| c.decided_by == "inferred")
        .count();
    if inferred > 0 {
        out.push(format!(
            "{inferred} crossing reference(s) are only inferred from column names: nothing is replicated for them (the database does nothing today). Confirm each with a [[references]] entry and its on_delete, or reject it with `ignore = true`"
        ));
    }
    for c in crossings
        .iter()
        .filter(|c| c.on_delete == crate::config::EdgeAction::Restrict)
    {
        // As the dump says it, unless something else decided the restrict.
        let what = match (c.kind, c.declared_on_delete, c.decided_by.as_str()) {
            (Kind::Constraint, crate::catalog::FkAction::Restrict, _) => "RESTRICT",
            (Kind::Constraint, crate::catalog::FkAction::NoAction, "default") => {
                "NO ACTION, kept as restrict"
            }
            _ => "restrict",
        };
        out.push(format!(
            "{} ({} → {}) is {what}{}: after the split the application must check for children in {} before deleting from {}",
            c.key.constraint,
            c.key.child,
            c.key.parent,
            match &c.orm {
                Some(w) => format!(" (`{w}`)"),
                None => String::new(),
            },
            c.key.child_silo,
            c.key.parent
        ));
    }
    for c in crossings.iter().filter(|c| c.allowed.is_some()) {
        out.push(format!(
            "{} is allowed for now ({}); it is still broken by fks/drop.sql and its cascade still has to be replicated",
            c.key.constraint,
            c.allowed.as_deref().unwrap_or("")
        ));
    }
    for f in others {
        let what = match f.code {
            Code::UnassignedTable => "assign it to a silo",
            Code::CrossSiloView => "split or replace the view",
            Code::CrossSiloSequence => "give each silo its own sequence",
            Code::CrossSiloRoutine => "review the routine (found by a text scan)",
            Code::CrossSiloInheritance => "move parent and children together",
            Code::SharedForeignKey => "decide how the shared data stays identical in every silo",
            _ => continue,
        };
        out.push(format!("{}: {what}", f.message));
    }
    if let Some(o) = origin {
        if let Some(s) = cfg
            .silos
            .iter()
            .find(|s| s.name == o && !s.instances.is_empty() && s.origin_instance.is_none())
        {
            out.push(format!(
                "origin silo {o} runs as {} instances ({}): today's database becomes {}, the first listed; set `origin_instance` in `[silos.{o}]` to confirm it or name another",
                s.instances.len(),
                s.instances.join(", "),
                s.instances[0]
            ));
        }
    } else {
        out.push(
            "no `origin` in the config: name the silo whose tables stay in today's database".into(),
        );
    }
    out
}
