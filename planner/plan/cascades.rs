//! `cascades/<silo>.sql` and `cascades/<silo>.replication.sql`: the replicated cascades, as data.
//!
//! Once a cross-silo foreign key is dropped, Postgres no longer deletes or nulls the child rows
//! when a parent row goes. The plan puts that behaviour back with Sentry's tombstones and
//! GitLab's loose foreign keys as models:
//!
//! * **Producers**, in the parent's silo: every table that is the parent of a broken `cascade`,
//!   `set-null` or `set-default` edge gets a statement-level `AFTER DELETE` trigger with a
//!   transition table that writes one row into `silo_plan.tombstones` per deleted row and per
//!   distinct set of referenced columns (`{"id": 7}`; `{"provider": "github", "external_id":
//!   "42"}` for a composite key; a uuid or text key as its JSON string).
//! * **Consumers**, in the child's silo: the tombstones arrive in one of two places, by
//!   transport: `silo_plan.inbox` (the application's pump inserts batches there) or
//!   `silo_plan.tombstones_<source silo>` (logical replication's subscription fills it, the
//!   publisher's copy under the same name; the name carries the source silo, so it never
//!   clashes with the child's own `silo_plan.tombstones`). `silo_plan.apply_<silo>(batch_size)`
//!   reads both directly and processes them edge by edge, in dump order, with one watermark per
//!   (source, edge) and place: `silo_plan.watermarks` (inbox ids) and
//!   `silo_plan.received_watermarks` ((xid, id) of the replicated rows): `DELETE` for cascade,
//!   `UPDATE ... SET col = NULL` / `DEFAULT` for set-null / set-default (only the columns of a
//!   Postgres 15 `SET NULL (cols)` list when the dump declares one).
//!   `silo_plan.apply(batch_size)` calls the `apply_<silo>` of every silo installed in that
//!   database (before the physical split they all live in today's database).
//! * **Chains**: an applied `DELETE` fires the child silo's own producer triggers when the child
//!   is itself the parent of a broken edge, so `auth_user → org_member → org_membermapping`
//!   (control → region → control) completes after two trips.
//! * **Ordering and concurrency**: tombstone ids are handed out in order but commit in any
//!   order. The pump (stubs) reads the parent under `LOCK ... IN SHARE MODE`, so its high-water
//!   mark never passes an uncommitted id and its batches reach the inbox in id order; the
//!   inbox's statement-level arrival trigger rewinds a watermark that already passed a newly
//!   stored id (a second pump, a row inserted by hand; re-applying a window changes nothing).
//!   Logical replication delivers in commit order, so ids arrive out of order; it writes its
//!   own table with no trigger (a per-row plpgsql trigger cost about 44 µs a row, the
//!   replication transport missed the benchmark target by 2x), and the apply keeps the order
//!   itself, as PgQ does: each replicated row records the child's transaction that stored it
//!   (`xid`, a column default the replication worker fills), the apply reads in (xid, id)
//!   order only rows whose xid is below the xmin of its snapshot (their transactions are over),
//!   and every row stored later has an xid at or above that xmin, so a (last_xid, last_id)
//!   watermark never passes a row it has not applied, whatever the commit order and however
//!   many writers. Cost: a transaction left open in the child's database delays (never loses)
//!   replicated tombstones stored after it began. Appliers take watermark rows `FOR UPDATE SKIP
//!   LOCKED`: several may run at once, none works on the same (source, edge) as another.
//! * **Upgrade** from the layout before the replicated tables were read directly (a `BEFORE
//!   INSERT` trigger on `silo_plan.tombstones_<source>` moved each replicated row into the
//!   inbox): re-running `cascades/<silo>.sql` adds the table's `xid` and `received_at` columns
//!   (the table was empty), drops that trigger and its function in one transaction, and from
//!   then on replicated rows stay there; rows already moved are applied from the inbox as
//!   before. The subscription is kept; `cascades/<silo>.replication.sql` only checks the layout.
//! * **restrict** edges get no tombstone: the application checks for children before deleting
//!   the parent; [`Guard`] holds the query for the file header and the stubs.
//!
//! The SQL text is in `templates/cascades/`; [`crate::render::cascades`] lays it out.

// Lookups only (never iterated into the output): rustc's fast hash, not SipHash.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use petgraph::graph::NodeIndex;
use schemars::JsonSchema;
use serde::Serialize;

use super::{CrossingKey, FileLocks, Input, Lock, StepLocks};
use crate::assign::Placement;
use crate::catalog::{FkAction, QName};
use crate::check::{self, effective_action};
use crate::config::EdgeAction;
use crate::names;

/// The `lock_timeout` of the statements that lock an existing table in a mode that blocks
/// writes (a tombstone trigger created on a parent, silo-plan's own tables altered).
pub const LOCK_TIMEOUT: &str = "5s";

/// `silo_plan.tombstones`: the tombstones a silo's parents record.
pub fn tombstones_table() -> QName {
    QName::new("silo_plan", "tombstones")
}

/// `silo_plan.inbox`: the tombstones a pump delivers.
pub fn inbox_table() -> QName {
    QName::new("silo_plan", "inbox")
}

/// `silo_plan.tombstones_<source>`: the publisher's copy of its tombstones, and on a child the
/// table its subscription fills.
pub fn received_table(source: &str) -> QName {
    QName::new(
        "silo_plan",
        crate::names::silo_object("tombstones_", source, ""),
    )
}

/// What each `-- Locks:` comment of `cascades/<silo>.sql` and `cascades/<silo>.replication.sql`
/// claims: [`crate::render::cascades`] renders the comments from these, and [`file_locks`]
/// lists them in file order for plan.json. Run again, a file takes at most these locks: each
/// trigger is created only when missing.
pub mod locks {
    use super::*;

    fn none() -> StepLocks {
        StepLocks::default()
    }

    fn timed(locks: &[(QName, Lock)]) -> StepLocks {
        StepLocks::new(locks, Some(LOCK_TIMEOUT))
    }

    /// `CREATE SCHEMA IF NOT EXISTS silo_plan`.
    pub fn schema() -> StepLocks {
        none()
    }

    /// `silo_plan.tombstones` created when missing, then commented: `COMMENT ON TABLE` takes
    /// SHARE UPDATE EXCLUSIVE on it.
    pub fn tombstones() -> StepLocks {
        StepLocks::new(&[(tombstones_table(), Lock::ShareUpdateExclusive)], None)
    }

    /// A producer's function, and its trigger created when missing (CREATE TRIGGER: SHARE ROW
    /// EXCLUSIVE on the parent; partitions are not touched by a statement trigger).
    pub fn producer(p: &Producer) -> StepLocks {
        timed(&[(p.table.clone(), Lock::ShareRowExclusive)])
    }

    /// `silo_plan.inbox` and `silo_plan.watermarks` created when missing, the watermark rows
    /// inserted (ROW EXCLUSIVE: none worth naming).
    pub fn inbox() -> StepLocks {
        none()
    }

    /// `silo_plan.tombstones_<source>` created when missing.
    pub fn received(_source: &str) -> StepLocks {
        none()
    }

    /// The upgrade of `silo_plan.tombstones_<source>` (ADD COLUMN IF NOT EXISTS takes ACCESS
    /// EXCLUSIVE even when the columns exist) and its index, in one transaction.
    pub fn received_upgrade(source: &str) -> StepLocks {
        timed(&[(received_table(source), Lock::AccessExclusive)])
    }

    /// `silo_plan.received_watermarks` created when missing, its rows inserted.
    pub fn received_watermarks() -> StepLocks {
        none()
    }

    /// The arrival trigger on `silo_plan.inbox`, created when missing and enabled ALWAYS
    /// when it is not: SHARE ROW EXCLUSIVE.
    pub fn arrived() -> StepLocks {
        timed(&[(inbox_table(), Lock::ShareRowExclusive)])
    }

    /// `CREATE OR REPLACE FUNCTION` of `apply_<silo>` and of `silo_plan.apply`: no table lock.
    pub fn function() -> StepLocks {
        none()
    }

    /// replication.sql: the published copy `silo_plan.tombstones_<silo>` (its source default
    /// set again: ALTER TABLE, ACCESS EXCLUSIVE) and the trigger that fills it, created on
    /// `silo_plan.tombstones` when missing (SHARE ROW EXCLUSIVE), in one transaction.
    pub fn publish(silo: &str) -> StepLocks {
        timed(&[
            (tombstones_table(), Lock::ShareRowExclusive),
            (received_table(silo), Lock::AccessExclusive),
        ])
    }

    /// replication.sql: CREATE PUBLICATION of the published copy (SHARE UPDATE EXCLUSIVE).
    pub fn publication(silo: &str) -> StepLocks {
        StepLocks::new(&[(received_table(silo), Lock::ShareUpdateExclusive)], None)
    }

    /// replication.sql: the check that the received table has its current layout (a catalog
    /// read).
    pub fn subscribe_check() -> StepLocks {
        none()
    }

    /// replication.sql: CREATE or ALTER SUBSCRIPTION (outside a transaction block; no table
    /// lock of its own).
    pub fn subscription() -> StepLocks {
        none()
    }
}

/// The lock claims of `cascades/<silo>.sql` and, when written, `cascades/<silo>.replication.sql`,
/// in file order; none for a silo with nothing to do (no file is written).
pub fn file_locks(s: &SiloCascades) -> Vec<FileLocks> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut steps = vec![locks::schema()];
    if !s.producers.is_empty() {
        steps.push(locks::tombstones());
        steps.extend(s.producers.iter().map(locks::producer));
    }
    if !s.edges.is_empty() {
        steps.push(locks::inbox());
        for src in &s.sources {
            steps.push(locks::received(src));
            steps.push(locks::received_upgrade(src));
        }
        if !s.sources.is_empty() {
            steps.push(locks::received_watermarks());
        }
        steps.push(locks::arrived());
        steps.push(locks::function());
        steps.push(locks::function());
    }
    let mut out = vec![FileLocks {
        file: format!("cascades/{}.sql", s.silo),
        steps,
    }];
    if !s.producers.is_empty() || !s.edges.is_empty() {
        let mut steps = Vec::new();
        if !s.producers.is_empty() {
            steps.push(locks::publish(&s.silo));
            steps.push(locks::publication(&s.silo));
        }
        for _ in &s.sources {
            steps.push(locks::subscribe_check());
            steps.push(locks::subscription());
        }
        out.push(FileLocks {
            file: format!("cascades/{}.replication.sql", s.silo),
            steps,
        });
    }
    out
}

/// The replicated cascades of one silo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SiloCascades {
    /// Silo name.
    pub silo: String,
    /// Its instances (empty for a single instance).
    pub instances: Vec<String>,
    /// Parent tables of broken edges that live in this silo: they record tombstones.
    pub producers: Vec<Producer>,
    /// Broken cascade / set-null / set-default edges whose child lives in this silo, in dump
    /// order: `apply_<silo>` processes them in this order.
    pub edges: Vec<CascadeEdge>,
    /// Silos this one receives tombstones from, sorted.
    pub sources: Vec<String>,
    /// Silos that receive this one's tombstones, sorted.
    pub consumers: Vec<String>,
    /// Broken `restrict` edges with either end in this silo.
    pub guards: Vec<Guard>,
}

impl SiloCascades {
    /// Whether the silo needs a cascades file at all.
    pub fn is_empty(&self) -> bool {
        self.producers.is_empty() && self.edges.is_empty() && self.guards.is_empty()
    }
}

/// A parent table that records tombstones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Producer {
    /// The table.
    pub table: QName,
    /// The table as written into `tombstones.table_name` ([`names::table_text`]: `schema.table`,
    /// unquoted unless a part has a `.`).
    pub table_name: String,
    /// Name of its trigger function in schema `silo_plan`: [`names::table_object`], distinct
    /// from every other producer's of the plan, at most 63 bytes.
    pub function: String,
    /// Distinct referenced column sets, one tombstone per deleted row and set, sorted.
    pub keys: Vec<Vec<String>>,
    /// The broken edges it feeds (constraint names), in dump order.
    pub edges: Vec<String>,
    /// The table is partitioned: its trigger sees deletes made through it, not directly on a
    /// partition.
    pub partitioned: bool,
    /// Broken edges whose `ON UPDATE` action is not `NO ACTION`/`RESTRICT` (not replicated).
    pub update_actions: Vec<(String, FkAction)>,
}

/// A broken edge the child's silo applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CascadeEdge {
    /// Watermark key (`silo_plan.watermarks.edge`, [`names::edge_key`]): the constraint name, or
    /// `schema.table.constraint` when two broken edges share a constraint name.
    pub edge: String,
    /// Constraint name.
    pub constraint: String,
    /// Child table (in this silo).
    pub child: QName,
    /// Child columns.
    pub child_columns: Vec<String>,
    /// Parent table.
    pub parent: QName,
    /// The parent as tombstones name it ([`names::table_text`]).
    pub parent_name: String,
    /// Referenced columns, matching `child_columns` one to one.
    pub parent_columns: Vec<String>,
    /// The parent's silo (the tombstones' default `source`).
    pub parent_silo: String,
    /// What applying a tombstone does.
    pub action: EdgeAction,
    /// The child columns set-null / set-default writes: the dump's `ON DELETE SET NULL|DEFAULT
    /// (cols)` list (Postgres 15+) when it declares one, else every child column. Empty for
    /// cascade.
    pub set_columns: Vec<String>,
    /// Where the action comes from: `declared`, `override` or `default`.
    pub decided_by: String,
    /// `ON UPDATE` as declared (not replicated unless `NO ACTION`/`RESTRICT`).
    pub on_update: FkAction,
    /// Foreign keys inside this silo, reached from the child through keys Postgres itself
    /// cascades, that the dump declares `NO ACTION`/`RESTRICT` while the plan's action for them
    /// is not restrict: Postgres refuses the applied `DELETE` while such rows exist.
    pub blocked_by: Vec<String>,
    /// The `[[allow]]` reason, when the crossing is accepted for now.
    pub allowed: Option<String>,
}

/// A broken `restrict` edge: the application's check before deleting the parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Guard {
    /// The key: the check runs in the child's silo, the delete in the parent's.
    pub key: CrossingKey,
    /// `ON UPDATE` as declared.
    pub on_update: FkAction,
}

/// Builds the cascades of every silo, in config order; silos with nothing to do are kept (the
/// renderer skips them).
pub fn build(input: &Input) -> Vec<SiloCascades> {
    let cat = input.cat;
    let mut silos: Vec<SiloCascades> = input
        .cfg
        .silos
        .iter()
        .map(|s| SiloCascades {
            silo: s.name.clone(),
            instances: s.instances.clone(),
            producers: Vec::new(),
            edges: Vec::new(),
            sources: Vec::new(),
            consumers: Vec::new(),
            guards: Vec::new(),
        })
        .collect();
    let index = |name: &str| silos_index(input, name);
    // (silo index, parent table) → its producer's index in that silo.
    let mut producer_at: HashMap<(usize, &QName), usize> = HashMap::default();
    let crossings: Vec<check::Crossing> = check::crossings(cat, input.asg, input.rules)
        .into_iter()
        .filter(|c| c.child_silo != "shared" && c.parent_silo != "shared")
        .collect();
    // Constraint names used by more than one broken edge get qualified watermark keys.
    let mut name_count = HashMap::<&str, usize>::default();
    for c in &crossings {
        *name_count
            .entry(cat.foreign_keys[c.fk].name.as_str())
            .or_default() += 1;
    }
    for c in &crossings {
        let fk = &cat.foreign_keys[c.fk];
        let (action, source) = check::effective_action(cat, input.cfg, input.rules, c.fk);
        let (Some(ci), Some(pi)) = (index(&c.child_silo), index(&c.parent_silo)) else {
            continue;
        };
        match action {
            EdgeAction::Ignore => {}
            EdgeAction::Restrict => {
                let g = Guard {
                    key: CrossingKey::new(fk, c),
                    on_update: fk.on_update,
                };
                silos[pi].guards.push(g.clone());
                silos[ci].guards.push(g);
            }
            EdgeAction::Cascade | EdgeAction::SetNull | EdgeAction::SetDefault => {
                let edge = names::edge_key(&fk.table, &fk.name, name_count[fk.name.as_str()] == 1);
                let blocked_by = if action == EdgeAction::Cascade {
                    blocked_by(input, &fk.table, &c.child_silo)
                } else {
                    Vec::new()
                };
                silos[ci].edges.push(CascadeEdge {
                    edge,
                    constraint: fk.name.clone(),
                    child: fk.table.clone(),
                    child_columns: fk.columns.clone(),
                    parent: fk.references.clone(),
                    parent_name: names::table_text(&fk.references),
                    parent_columns: fk.referenced_columns.clone(),
                    parent_silo: c.parent_silo.clone(),
                    action,
                    set_columns: if action == EdgeAction::Cascade {
                        Vec::new()
                    } else {
                        fk.delete_set_columns().to_vec()
                    },
                    decided_by: source.word().into(),
                    on_update: fk.on_update,
                    blocked_by,
                    allowed: c.allowed_by.map(|i| input.cfg.allow[i].reason.clone()),
                });
                push_sorted(&mut silos[ci].sources, &c.parent_silo);
                push_sorted(&mut silos[pi].consumers, &c.child_silo);
                let p = match producer_at.get(&(pi, &fk.references)) {
                    Some(&i) => i,
                    None => {
                        producer_at.insert((pi, &fk.references), silos[pi].producers.len());
                        silos[pi].producers.push(Producer {
                            table: fk.references.clone(),
                            table_name: names::table_text(&fk.references),
                            // Set below, once every producer of every silo is known.
                            function: String::new(),
                            keys: Vec::new(),
                            edges: Vec::new(),
                            partitioned: cat
                                .table(&fk.references)
                                .is_some_and(|t| t.kind == crate::catalog::TableKind::Partitioned),
                            update_actions: Vec::new(),
                        });
                        silos[pi].producers.len() - 1
                    }
                };
                let prod = &mut silos[pi].producers[p];
                let mut key = fk.referenced_columns.clone();
                key.sort();
                if !prod.keys.contains(&key) {
                    prod.keys.push(key);
                    prod.keys.sort();
                }
                prod.edges.push(fk.name.clone());
                if !matches!(fk.on_update, FkAction::NoAction | FkAction::Restrict) {
                    prod.update_actions.push((fk.name.clone(), fk.on_update));
                }
            }
        }
    }
    for s in &mut silos {
        s.producers.sort_by(|a, b| a.table.cmp(&b.table));
    }
    // Every silo's trigger functions live in the one schema silo_plan (before the physical
    // split all silos share today's database): their names must differ across silos, in a
    // stable order.
    let mut at: Vec<(usize, usize)> = silos
        .iter()
        .enumerate()
        .flat_map(|(si, s)| (0..s.producers.len()).map(move |pi| (si, pi)))
        .collect();
    at.sort_by(|a, b| {
        silos[a.0].producers[a.1]
            .table
            .cmp(&silos[b.0].producers[b.1].table)
    });
    let functions = {
        let tables: Vec<&QName> = at
            .iter()
            .map(|&(si, pi)| &silos[si].producers[pi].table)
            .collect();
        names::unique_table_objects("record", &tables)
    };
    for (&(si, pi), f) in at.iter().zip(functions) {
        silos[si].producers[pi].function = f;
    }
    silos
}

fn silos_index(input: &Input, name: &str) -> Option<usize> {
    input.cfg.silos.iter().position(|s| s.name == name)
}

fn push_sorted(v: &mut Vec<String>, s: &str) {
    if let Err(i) = v.binary_search_by(|x| x.as_str().cmp(s)) {
        v.insert(i, s.to_string());
    }
}

/// Foreign keys in `silo` that Postgres checks, not cascades, below `table` on paths it
/// cascades itself, where the plan's action is not restrict: `schema.table.constraint (action)`.
///
/// Walks only the hops Postgres performs itself (a key inside `silo`, declared `ON DELETE
/// CASCADE`, that the plan cascades too), each table's children once: what hangs below any other
/// hop is not reached by the database's own cascade, and walking it (a whole closure per
/// crossing) made `plan` quadratic on large schemas.
fn blocked_by(input: &Input, table: &QName, silo: &str) -> Vec<String> {
    struct Native<'a> {
        input: &'a Input<'a>,
        silo: &'a str,
        /// Tables walked, by graph node (see `explain`'s walk).
        seen: HashSet<NodeIndex>,
        out: Vec<String>,
    }
    impl Native<'_> {
        fn walk(&mut self, parent: NodeIndex) {
            let cat = self.input.cat;
            for &k in self.input.graph.children_at(parent) {
                let fk = &cat.foreign_keys[k];
                let child_silo = self.input.asg.fk_placements(k, fk).0;
                if child_silo.map_or("unassigned", Placement::name) != self.silo {
                    continue;
                }
                let (action, _) = effective_action(cat, self.input.cfg, self.input.rules, k);
                // Postgres checks constraints only: a reference without one blocks nothing.
                if fk.is_constraint()
                    && matches!(fk.on_delete, FkAction::NoAction | FkAction::Restrict)
                    && !matches!(action, EdgeAction::Restrict | EdgeAction::Ignore)
                {
                    let s = format!("{}.{} ({})", fk.table, fk.name, action.as_str());
                    if !self.out.contains(&s) {
                        self.out.push(s);
                    }
                }
                let child = self.input.graph.fk_child(k);
                if fk.on_delete == FkAction::Cascade
                    && action == EdgeAction::Cascade
                    && self.seen.insert(child)
                {
                    self.walk(child);
                }
            }
        }
    }
    if input.asg.silo_name(table) != silo {
        return Vec::new();
    }
    let Some(start) = input.graph.table_node(table) else {
        return Vec::new();
    };
    let mut w = Native {
        input,
        silo,
        seen: HashSet::from_iter([start]),
        out: Vec::new(),
    };
    w.walk(start);
    w.out
}
