//! `fks/drop.sql` and `fks/restore.sql`: the scripts that break the cross-silo foreign keys in
//! today's database, and put them back.
//!
//! **Which keys.** Every foreign key [`check::crossings`] reports whose two ends are in two
//! different silos, in dump order. Crossings accepted by an `[[allow]]` entry are broken too:
//! `allow` only stops `check` from failing; the two tables still end up in two databases, where
//! no constraint can hold. Keys between a `[shared]` table and a silo table are *not* touched:
//! a shared table is copied into every silo, so a key from a silo table to a shared one holds
//! as is in every database, and a key from a shared table to a silo table is a `check` error
//! (SP003 `shared-fk`) that needs a decision in `silo-plan.toml` (move the child into the
//! parent's silo, or the parent into `[shared]`), not a guess here.
//!
//! **drop.sql**, per key: where no index of the child (a plain btree index, primary key or
//! unique constraint, not partial) has the key's columns as its leading columns, one is built
//! with `CREATE INDEX CONCURRENTLY IF NOT EXISTS` (after the split the application and the
//! replicated cascades look child rows up by those columns). A concurrent build that fails
//! leaves an INVALID index of that name, which `IF NOT EXISTS` would then keep forever, so a
//! psql `\gexec` query before the build drops an index of that name only when
//! `pg_index.indisvalid` is false: the script is safe to re-run. Then the key is dropped in its
//! own short transaction under `SET LOCAL lock_timeout`.
//!
//! **Partitioned children.** `CREATE INDEX CONCURRENTLY` is refused on a partitioned table, and
//! a plain `CREATE INDEX` on it holds SHARE (writes blocked) on every partition for the whole
//! build, which is what this script must avoid on the tables that are usually the largest. So
//! the index is built as Postgres documents for this case: `CREATE INDEX ... ON ONLY` the
//! parent (no build, a brief SHARE lock), one `CREATE INDEX CONCURRENTLY` per leaf partition,
//! then `ALTER INDEX ... ATTACH PARTITION` for each (deepest level first), after which the
//! parent's index becomes valid by itself. The partitions are listed at run time from
//! `pg_partition_tree` (psql `\gexec`), not from the dump, so partitions created after the dump
//! (pg_partman, ...) are covered too. Each partition's index is named `<parent index>_<8 hex
//! digits>` (the md5 of the partition's quoted `schema.name`), stable across re-runs.
//!
//! **restore.sql** re-adds each key with its original definition (columns, referenced columns,
//! `MATCH FULL`, `ON UPDATE`, `ON DELETE`, `DEFERRABLE`, `INITIALLY DEFERRED`) as `NOT VALID`,
//! inside a `DO` block that does nothing when the table already has a constraint of that name
//! (Postgres has no `ADD CONSTRAINT IF NOT EXISTS`), then validates them all in a second part.
//! PostgreSQL 17 and older cannot add a `NOT VALID` foreign key to a partitioned table: there
//! the block adds it valid at once, which checks every row while holding SHARE ROW EXCLUSIVE
//! (writes blocked); the step's hazard says so. A key the dump itself declares `NOT VALID` is
//! restored `NOT VALID` and not validated, as it was. The indexes drop.sql built are kept.

use std::borrow::Cow;
use std::collections::BTreeSet;

// Lookups only (nothing iterates these maps into the output): rustc's fast hash, not SipHash.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use schemars::JsonSchema;
use serde::Serialize;

use super::{FileLocks, Hazard, Input, Lock, Step, StepLocks};
use crate::catalog::{Catalog, FkAction, FkMatch, ForeignKey, Index, QName, Table, TableKind};
use crate::check::{self, ActionSource};
use crate::config::EdgeAction;
use crate::ident::{
    comment_text, ident, ident_list, literal, push_ident, push_ident_list, push_qualified,
    qualified,
};

/// `lock_timeout` of every step that takes a lock that blocks reads or writes.
pub const LOCK_TIMEOUT: &str = "5s";

/// Postgres's identifier length limit in bytes (`NAMEDATALEN - 1`).
const MAX_IDENT: usize = 63;

/// How every index name this module makes starts (see [`index_name`]).
const INDEX_PREFIX: &str = "silo_plan_";

/// Both scripts, as data.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct FkScripts {
    /// The `lock_timeout` the steps use.
    pub lock_timeout: String,
    /// The keys broken, in dump order.
    pub broken: Vec<BrokenFk>,
    /// Keys between a `[shared]` table and a silo table: crossings left in place (see the
    /// module docs).
    pub kept: Vec<KeptFk>,
    /// Crossing references without a constraint (declared, imported, inferred): nothing to
    /// drop or restore; the scripts list them in a comment. Omitted from JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub unconstrained: Vec<UnconstrainedRef>,
    /// `fks/drop.sql`, step by step.
    pub drop: Vec<Step>,
    /// `fks/restore.sql`, step by step: first every `ADD ... NOT VALID`, then every `VALIDATE`.
    pub restore: Vec<Step>,
    /// Where the `VALIDATE` steps start in `restore`.
    pub validate_from: usize,
    /// Whether any `cascades/<silo>.sql` is written: a broken key is replicated or restrict,
    /// not ignored (the headers point there only then).
    #[serde(skip)]
    #[schemars(skip)]
    pub cascade_files: bool,
}

/// A foreign key the scripts break and restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct BrokenFk {
    /// `schema.table.constraint` (the `object` of its steps).
    pub object: String,
    /// Constraint name.
    pub name: String,
    /// Child table.
    pub child: QName,
    /// Child columns.
    pub columns: Vec<String>,
    /// Child's silo.
    pub child_silo: String,
    /// Parent table.
    pub parent: QName,
    /// Parent's silo.
    pub parent_silo: String,
    /// The `[[allow]]` reason, when the crossing is accepted for now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
    /// How the child columns are indexed.
    pub index: IndexPlan,
}

/// How a broken key's child columns are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum IndexPlan {
    /// An index or key of the dump already leads with the columns (its description).
    Existing(String),
    /// drop.sql builds this index (`CREATE INDEX CONCURRENTLY`).
    Create(String),
    /// drop.sql builds this index on a partitioned table: `ON ONLY` the parent, concurrently
    /// per partition, attached.
    CreatePartitioned(String),
}

/// A crossing reference without a constraint: the database enforces nothing for it, so the
/// scripts have nothing to drop or restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UnconstrainedRef {
    /// Child table.
    pub child: QName,
    /// Child columns.
    pub columns: Vec<String>,
    /// Parent table.
    pub parent: QName,
    /// Where the reference comes from.
    pub kind: crate::references::Kind,
    /// Child's silo (or `shared`).
    pub child_silo: String,
    /// Parent's silo (or `shared`).
    pub parent_silo: String,
}

/// A crossing between a shared table and a silo table, left in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct KeptFk {
    /// `schema.table.constraint`.
    pub object: String,
    /// Child table.
    pub child: QName,
    /// Constraint name.
    pub name: String,
    /// Child's silo (or `shared`).
    pub child_silo: String,
    /// Parent's silo (or `shared`).
    pub parent_silo: String,
}

/// Each partitioned table's partitions, in dump order.
type Partitions<'c> = HashMap<&'c QName, Vec<QName>>;

/// Indexes this script builds, by table: (columns, index name), so two keys on the same
/// columns share one.
type Planned = HashMap<QName, Vec<(Vec<String>, String)>>;

/// Builds both scripts.
pub fn build(input: &Input) -> FkScripts {
    let cat = input.cat;
    let mut out = FkScripts {
        lock_timeout: LOCK_TIMEOUT.to_string(),
        ..FkScripts::default()
    };
    let mut taken = relation_names(cat);
    // Indexes planned so far: (table, columns), so two keys on the same columns share one.
    let mut planned: Planned = HashMap::default();
    let mut validate = Vec::new();
    // The catalog's indexes by table, looked up once per crossing (not scanned).
    let mut indexes_of: HashMap<&QName, Vec<&Index>> = HashMap::default();
    for i in &cat.indexes {
        indexes_of.entry(&i.table).or_default().push(i);
    }
    // Each partitioned table's partitions, in dump order: a key's locks reach them.
    let mut partitions: Partitions = HashMap::default();
    for t in &cat.tables {
        if let Some(p) = &t.partition_of {
            partitions.entry(p).or_default().push(t.qname());
        }
    }
    for c in check::crossings(cat, input.asg, input.rules) {
        let fk = &cat.foreign_keys[c.fk];
        if !fk.is_constraint() {
            // No constraint: nothing to drop, index or restore. Its cascade, if any, is
            // replicated like a constraint's (cascades/).
            let action = check::effective_action(cat, input.cfg, input.rules, c.fk).0;
            let shared = c.child_silo == "shared" || c.parent_silo == "shared";
            out.cascade_files |= !shared && action != EdgeAction::Ignore;
            out.unconstrained.push(UnconstrainedRef {
                child: fk.table.clone(),
                columns: fk.columns.clone(),
                parent: fk.references.clone(),
                kind: fk.kind(),
                child_silo: c.child_silo,
                parent_silo: c.parent_silo,
            });
            continue;
        }
        let object = format!("{}.{}", fk.table, fk.name);
        if c.child_silo == "shared" || c.parent_silo == "shared" {
            out.kept.push(KeptFk {
                object,
                child: fk.table.clone(),
                name: fk.name.clone(),
                child_silo: c.child_silo,
                parent_silo: c.parent_silo,
            });
            continue;
        }
        let child = cat.table(&fk.table);
        let partitioned = child.is_some_and(|t| t.kind == TableKind::Partitioned);
        let index = match covering(child, fk, &indexes_of, &planned) {
            Some(what) => IndexPlan::Existing(what),
            None => {
                let name = index_name(&fk.table, &fk.columns, &taken);
                taken.insert((Cow::Borrowed(&fk.table.schema), Cow::Owned(name.clone())));
                planned
                    .entry(fk.table.clone())
                    .or_default()
                    .push((fk.columns.clone(), name.clone()));
                if partitioned {
                    // The partitions' indexes take names derived from the parent's.
                    IndexPlan::CreatePartitioned(name)
                } else {
                    IndexPlan::Create(name)
                }
            }
        };
        let b = BrokenFk {
            object,
            name: fk.name.clone(),
            child: fk.table.clone(),
            columns: fk.columns.clone(),
            child_silo: c.child_silo.clone(),
            parent: fk.references.clone(),
            parent_silo: c.parent_silo.clone(),
            allowed: c.allowed_by.map(|i| input.cfg.allow[i].reason.clone()),
            index,
        };
        let q = Quoted::new(&b);
        let action = check::effective_action(cat, input.cfg, input.rules, c.fk);
        out.cascade_files |= action.0 != EdgeAction::Ignore;
        match &b.index {
            IndexPlan::Existing(_) => {}
            IndexPlan::Create(name) => out.drop.extend(index_steps(&b, &q, name)),
            IndexPlan::CreatePartitioned(name) => {
                out.drop.extend(partitioned_index_steps(&b, &q, name))
            }
        }
        out.drop
            .push(drop_step(cat, &b, &q, fk, action, &partitions));
        out.restore
            .push(add_step(&b, &q, fk, partitioned, &partitions));
        if !fk.not_valid {
            validate.push(validate_step(&b, &q, fk));
        }
        out.broken.push(b);
    }
    out.validate_from = out.restore.len();
    out.restore.extend(validate);
    out
}

/// The lock claims of `fks/drop.sql` and `fks/restore.sql`: each step's, in file order.
pub fn file_locks(s: &FkScripts) -> Vec<FileLocks> {
    [("fks/drop.sql", &s.drop), ("fks/restore.sql", &s.restore)]
        .into_iter()
        .map(|(file, steps)| FileLocks {
            file: file.to_string(),
            steps: steps.iter().map(StepLocks::of).collect(),
        })
        .collect()
}

/// `table` and each partition the dump declares below it (at any depth), each with `lock`:
/// Postgres takes the lock of a foreign key's change on every partition of a partitioned
/// table it touches.
fn with_partitions(
    table: &QName,
    lock: Lock,
    partitions: &Partitions,
    out: &mut Vec<(QName, Lock)>,
) {
    out.push((table.clone(), lock));
    if let Some(ps) = partitions.get(table) {
        for p in ps {
            with_partitions(p, lock, partitions, out);
        }
    }
}

/// A broken key's names as SQL writes them, quoted once (each step's text, and render::fks's
/// list and sections, repeat them).
pub(crate) struct Quoted {
    pub(crate) child: String,
    pub(crate) parent: String,
    /// The constraint.
    pub(crate) name: String,
}

impl Quoted {
    pub(crate) fn new(b: &BrokenFk) -> Self {
        Quoted {
            child: qualified(&b.child),
            parent: qualified(&b.parent),
            name: ident(&b.name),
        }
    }

    /// The key as SQL names it: `schema.table.constraint`.
    pub(crate) fn shown(&self) -> String {
        format!("{}.{}", self.child, self.name)
    }
}

/// Whether a table is partitioned (`PARTITION BY`).
fn is_partitioned(cat: &Catalog, t: &QName) -> bool {
    cat.table(t)
        .is_some_and(|t| t.kind == TableKind::Partitioned)
}

/// Whether `cols` starts with exactly the columns of `want`, in any order.
fn leads_with(cols: &[String], want: &[String]) -> bool {
    let n = want.len();
    if n == 0 || cols.len() < n {
        return false;
    }
    // Most keys have one column: no sets to build for them.
    if n == 1 {
        return cols[0] == want[0];
    }
    cols[..n].iter().collect::<BTreeSet<_>>() == want.iter().collect::<BTreeSet<_>>()
}

/// An index or key of the child (`child`: the catalog's table of `fk.table`) whose leading
/// columns are the key's columns (any order: an equality lookup on all of them uses it),
/// described for the reader; `None` when none. Only indexes that serve an equality lookup
/// count: btree, or hash on the one column; not partial. Expression indexes never match
/// (their text is not a column name).
fn covering(
    child: Option<&Table>,
    fk: &ForeignKey,
    indexes_of: &HashMap<&QName, Vec<&Index>>,
    planned: &Planned,
) -> Option<String> {
    let cols = &fk.columns;
    if let Some(t) = child {
        if let Some(pk) = &t.primary_key {
            if leads_with(&pk.columns, cols) {
                return Some(match &pk.name {
                    Some(n) => format!("primary key {n}"),
                    None => "the primary key".to_string(),
                });
            }
        }
        for u in &t.unique {
            if leads_with(&u.columns, cols) {
                return Some(match &u.name {
                    Some(n) => format!("unique constraint {n}"),
                    None => format!("unique ({})", u.columns.join(", ")),
                });
            }
        }
    }
    for i in indexes_of.get(&fk.table).into_iter().flatten() {
        let method_ok = i.method.eq_ignore_ascii_case("btree")
            || (i.method.eq_ignore_ascii_case("hash") && cols.len() == 1 && i.columns.len() == 1);
        if method_ok && i.predicate.is_none() && leads_with(&i.columns, cols) {
            return Some(format!("index {}", i.name.name));
        }
    }
    planned
        .get(&fk.table)
        .into_iter()
        .flatten()
        .find(|(c, _)| leads_with(c, cols))
        .map(|(_, n)| format!("index {n} (built for an earlier key above)"))
}

/// Every relation name of the catalog (tables, indexes, sequences, views, key indexes) that an
/// index built here could take: an index must not take one of them, or `IF NOT EXISTS` would
/// skip its build. Only names starting with [`INDEX_PREFIX`] are kept, since every name
/// [`index_name`] makes starts so (a dump of 100,000 tables has 400,000 other names to skip).
fn relation_names<'c>(cat: &'c Catalog) -> Taken<'c> {
    let mut s = Taken::default();
    let mut add = |schema: &'c str, name: &'c str| {
        if name.starts_with(INDEX_PREFIX) {
            s.insert((Cow::Borrowed(schema), Cow::Borrowed(name)));
        }
    };
    for t in &cat.tables {
        add(&t.schema, &t.name);
        for k in t.primary_key.iter().chain(&t.unique) {
            if let Some(n) = &k.name {
                add(&t.schema, n);
            }
        }
    }
    for q in cat
        .indexes
        .iter()
        .map(|i| &i.name)
        .chain(cat.sequences.iter().map(|q| &q.name))
        .chain(cat.views.iter().map(|v| &v.name))
    {
        add(&q.schema, &q.name);
    }
    s
}

/// Relation names in use, as (schema, name): borrowed from the catalog, owned for the indexes
/// planned here (a set of `QName` clones cost more than the lookups it serves).
type Taken<'c> = HashSet<(Cow<'c, str>, Cow<'c, str>)>;

/// FNV-1a, 64 bits: a hash that never changes between Rust versions or runs.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `s` reduced to lowercase ASCII letters, digits and single underscores, so a generated name
/// needs no quoting (the names it is made of may need it).
fn plain(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    out.trim_matches('_').to_string()
}

/// The name of the index built for `cols` of `table`: `silo_plan_<table>_<cols>_idx` (names
/// reduced by [`plain`]) when it fits in 63 bytes and is free in the table's schema, else that
/// cut short and ended by 8 hex digits of a stable hash of the exact names
/// (`..._1a2b3c4d_idx`).
fn index_name(table: &QName, cols: &[String], taken: &Taken) -> String {
    let cols_part: Vec<String> = cols.iter().map(|c| plain(c)).collect();
    let stem = format!(
        "{INDEX_PREFIX}{}_{}",
        plain(&table.name),
        cols_part.join("_")
    );
    let plain_name = format!("{stem}_idx");
    let free = |n: &str| !taken.contains(&(Cow::Borrowed(table.schema.as_str()), Cow::Borrowed(n)));
    if plain_name.len() <= MAX_IDENT && free(&plain_name) {
        return plain_name;
    }
    (0u32..)
        .map(|i| {
            let h = fnv1a(&format!("{table}\u{0}{}\u{0}{i}", cols.join("\u{0}")));
            let suffix = format!("_{:08x}_idx", h as u32);
            format!("{}{suffix}", truncate(&stem, MAX_IDENT - suffix.len()))
        })
        .find(|n| free(n))
        .expect("some hash suffix is free")
}

/// `$tag$body$tag$` with a tag that does not occur in `body` (names from the dump are inside).
/// `body` starts and ends with a line break, so the tag cannot be formed across its edges.
#[cfg(test)]
fn dollar_quoted(body: &str) -> String {
    let mut out = String::new();
    push_dollar_quoted(&mut out, body);
    out
}

/// [`dollar_quoted`] appended to `out`.
pub(crate) fn push_dollar_quoted(out: &mut String, body: &str) {
    const TAG: &str = "$silo_plan$";
    if !body.contains(TAG) {
        out.reserve(body.len() + 2 * TAG.len());
        out.push_str(TAG);
        out.push_str(body);
        out.push_str(TAG);
        return;
    }
    let tag = (1u32..)
        .map(|i| format!("$silo_plan_{i}$"))
        .find(|t| !body.contains(t.as_str()))
        .expect("some tag is free");
    out.push_str(&tag);
    out.push_str(body);
    out.push_str(&tag);
}

fn hazard(kind: &str, message: String) -> Hazard {
    Hazard {
        kind: kind.to_string(),
        message,
    }
}

fn cols_text(cols: &[String]) -> String {
    let mut s = String::new();
    push_cols(&mut s, cols);
    s
}

/// [`cols_text`] appended to `out`.
fn push_cols(out: &mut String, cols: &[String]) {
    out.push('(');
    push_ident_list(out, cols);
    out.push(')');
}

/// The constraint's definition after `ADD CONSTRAINT name`, as pg_dump writes it.
fn definition(fk: &ForeignKey) -> String {
    let mut s = String::with_capacity(128);
    s.push_str("FOREIGN KEY ");
    push_cols(&mut s, &fk.columns);
    s.push_str(" REFERENCES ");
    push_qualified(&mut s, &fk.references);
    s.push(' ');
    push_cols(&mut s, &fk.referenced_columns);
    match fk.match_kind {
        FkMatch::Simple => {}
        FkMatch::Full => s.push_str(" MATCH FULL"),
        FkMatch::Partial => s.push_str(" MATCH PARTIAL"),
    }
    if fk.on_update != FkAction::NoAction {
        s.push_str(" ON UPDATE ");
        s.push_str(fk.on_update.sql());
    }
    if fk.on_delete != FkAction::NoAction {
        s.push_str(" ON DELETE ");
        s.push_str(fk.on_delete.sql());
        if !fk.on_delete_columns.is_empty() {
            // Postgres 15+: only these columns are set.
            s.push(' ');
            s.push_str(&cols_text(&fk.on_delete_columns));
        }
    }
    if fk.deferrable || fk.initially_deferred {
        s.push_str(" DEFERRABLE");
    }
    if fk.initially_deferred {
        s.push_str(" INITIALLY DEFERRED");
    }
    s
}

/// How a step runs: (may run in a transaction block, own transaction with lock_timeout, through
/// psql's `\gexec`).
#[derive(Clone, Copy)]
struct Run(bool, bool, bool);

/// One statement in autocommit.
const PLAIN: Run = Run(true, false, false);
/// One statement in its own transaction with `lock_timeout`.
const TIMED: Run = Run(true, true, false);
/// `CONCURRENTLY`: outside any transaction.
const CONCURRENT: Run = Run(false, false, false);
/// A `\gexec` query generating `CONCURRENTLY` statements, each in autocommit.
const GEXEC_CONCURRENT: Run = Run(false, false, true);
/// A `\gexec` query whose statements run in one transaction with `lock_timeout`.
const GEXEC_TIMED: Run = Run(true, true, true);

fn step(
    b: &BrokenFk,
    why: String,
    locks: Vec<(QName, Lock)>,
    hazards: Vec<Hazard>,
    run: Run,
    sql: String,
) -> Step {
    Step {
        why,
        locks,
        hazards,
        transactional: run.0,
        object: b.object.clone(),
        lock_timeout: run.1.then(|| LOCK_TIMEOUT.to_string()),
        gexec: run.2,
        sql,
    }
}

const INVALID_INDEX_WHY: &str = "Re-run safety: a concurrent build that failed (lock timeout, \
     cancel, deadlock) leaves an INVALID index of this name, which IF NOT EXISTS would keep; \
     this drops it, and only when pg_index says it is invalid. On a first run it does nothing.";

fn not_transactional(what: &str) -> Hazard {
    hazard(
        "not-transactional",
        format!(
            "{what} cannot run inside a transaction block (do not run this script with psql -1); \
             if it fails it leaves an INVALID index, which the step before it drops on the next run."
        ),
    )
}

/// Building the index on an ordinary child: drop a failed build's leftover, build concurrently.
fn index_steps(b: &BrokenFk, q: &Quoted, name: &str) -> Vec<Step> {
    let child = &q.child;
    let index = QName::new(&b.child.schema, name);
    let cols = cols_text(&b.columns);
    let drop_invalid = format!(
        "SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %s', i.indexrelid::regclass)\n  \
         FROM pg_index AS i\n \
         WHERE i.indexrelid = to_regclass({})\n   \
         AND NOT i.indisvalid",
        literal(&qualified(&index))
    );
    let build = format!(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {child} USING btree {cols}",
        ident(name)
    );
    vec![
        step(
            b,
            INVALID_INDEX_WHY.to_string(),
            vec![(b.child.clone(), Lock::ShareUpdateExclusive)],
            vec![not_transactional("DROP INDEX CONCURRENTLY")],
            GEXEC_CONCURRENT,
            drop_invalid,
        ),
        step(
            b,
            format!(
                "After the split {} rows are looked up by {cols} (the replicated cascade deletes \
                 or updates by them); no index of {} leads with these columns.",
                q.child, q.child
            ),
            vec![(b.child.clone(), Lock::ShareUpdateExclusive)],
            vec![
                hazard(
                    "long-running",
                    format!(
                        "scans {} twice and first waits for every transaction older than itself: \
                         seconds to hours with the table's size; reads and writes go on \
                         throughout, VACUUM and other schema changes of the table wait.",
                        q.child
                    ),
                ),
                not_transactional("CREATE INDEX CONCURRENTLY"),
            ],
            CONCURRENT,
            build,
        ),
    ]
}

/// Building the index on a partitioned child: `ON ONLY` the parent, concurrently per leaf
/// partition (listed at run time), `ON ONLY` on sub-partitioned partitions, then attach.
fn partitioned_index_steps(b: &BrokenFk, q: &Quoted, name: &str) -> Vec<Step> {
    let child = &q.child;
    let root = format!("{}::regclass", literal(child));
    let cols = cols_text(&b.columns);
    let cols_lit = literal(&ident_list(&b.columns));
    // Each partition's index: the parent index's name (cut to leave room) + `_` + 8 hex digits.
    let prefix = literal(truncate(name, MAX_IDENT - 9));
    let part_name = |n: &str, c: &str| {
        format!("{prefix} || '_' || left(md5(format('%I.%I', {n}.nspname, {c}.relname)), 8)")
    };
    let tree = format!(
        "  FROM pg_partition_tree({root}) AS t\n  \
         JOIN pg_class AS c ON c.oid = t.relid\n  \
         JOIN pg_namespace AS n ON n.oid = c.relnamespace"
    );
    let parent_index = format!(
        "CREATE INDEX IF NOT EXISTS {} ON ONLY {child} USING btree {cols}",
        ident(name)
    );
    let drop_invalid = format!(
        "SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I', n.nspname, ci.relname)\n{tree}\n  \
         JOIN pg_class AS ci ON ci.relnamespace = c.relnamespace AND ci.relname = {}\n  \
         JOIN pg_index AS i ON i.indexrelid = ci.oid AND NOT i.indisvalid\n \
         WHERE t.level > 0 AND c.relkind = 'r'",
        part_name("n", "c")
    );
    let leaves = format!(
        "SELECT format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %I.%I USING btree (%s)',\n              \
         {}, n.nspname, c.relname, {cols_lit})\n{tree}\n \
         WHERE t.level > 0 AND c.relkind = 'r'\n \
         ORDER BY t.level, n.nspname, c.relname",
        part_name("n", "c")
    );
    let middles = format!(
        "SELECT format('CREATE INDEX IF NOT EXISTS %I ON ONLY %I.%I USING btree (%s)',\n              \
         {}, n.nspname, c.relname, {cols_lit})\n{tree}\n \
         WHERE t.level > 0 AND c.relkind = 'p'\n \
         ORDER BY t.level, n.nspname, c.relname",
        part_name("n", "c")
    );
    let attach = format!(
        "SELECT format('ALTER INDEX %I.%I ATTACH PARTITION %I.%I',\n              \
         pn.nspname, CASE WHEN t.parentrelid = {root} THEN {} ELSE {} END,\n              \
         n.nspname, {})\n{tree}\n  \
         JOIN pg_class AS p ON p.oid = t.parentrelid\n  \
         JOIN pg_namespace AS pn ON pn.oid = p.relnamespace\n \
         WHERE t.level > 0 AND c.relkind IN ('r', 'p')\n   \
         AND NOT EXISTS (SELECT 1 FROM pg_class AS ci JOIN pg_inherits AS ih ON ih.inhrelid = ci.oid\n                    \
         WHERE ci.relnamespace = c.relnamespace AND ci.relname = {})\n \
         ORDER BY t.level DESC, n.nspname, c.relname",
        literal(name),
        part_name("pn", "p"),
        part_name("n", "c"),
        part_name("n", "c"),
    );
    let parent = b.child.clone();
    vec![
        step(
            b,
            format!(
                "After the split {} rows are looked up by {cols}; no index of it leads with these \
                 columns, and {} is partitioned, where CREATE INDEX CONCURRENTLY is refused: \
                 this creates the parent's index ON ONLY the parent (no build, left invalid \
                 until every partition's index is attached below).",
                q.child, q.child
            ),
            vec![(parent.clone(), Lock::Share)],
            vec![hazard(
                "blocks-writes",
                format!(
                    "SHARE on {} (the parent only) blocks writes through it while held: \
                     milliseconds, since nothing is built; lock_timeout bounds the wait.",
                    q.child
                ),
            )],
            TIMED,
            parent_index,
        ),
        step(
            b,
            format!(
                "{INVALID_INDEX_WHY} (For each partition of {}, as Postgres lists them now; \
                 SHARE UPDATE EXCLUSIVE on that partition only.)",
                q.child
            ),
            vec![(parent.clone(), Lock::None)],
            vec![not_transactional("DROP INDEX CONCURRENTLY")],
            GEXEC_CONCURRENT,
            drop_invalid,
        ),
        step(
            b,
            format!(
                "Builds the index of each leaf partition of {} concurrently; the partitions are \
                 listed at run time, so ones created after the dump are included.",
                q.child
            ),
            vec![(parent.clone(), Lock::None)],
            vec![
                hazard(
                    "long-running",
                    "scans each partition twice and waits for older transactions: seconds to \
                     hours with the data's size; reads and writes go on throughout (SHARE UPDATE \
                     EXCLUSIVE is taken on one partition at a time)."
                        .to_string(),
                ),
                not_transactional("CREATE INDEX CONCURRENTLY"),
            ],
            GEXEC_CONCURRENT,
            leaves,
        ),
        step(
            b,
            format!(
                "Sub-partitioned partitions of {} get their own index ON ONLY (no build); a \
                 table without sub-partitions generates nothing here.",
                q.child
            ),
            vec![(parent.clone(), Lock::None)],
            vec![hazard(
                "blocks-writes",
                "SHARE on each sub-partitioned partition while held: milliseconds, nothing is \
                 built; lock_timeout bounds the wait."
                    .to_string(),
            )],
            GEXEC_TIMED,
            middles,
        ),
        step(
            b,
            format!(
                "Attaches each partition's index to its parent's, deepest level first; once all \
                 are attached the index of {} is valid. A partition created while this script \
                 ran is picked up by running the script again.",
                q.child
            ),
            vec![(parent, Lock::None)],
            vec![hazard(
                "blocks-reads",
                "ACCESS EXCLUSIVE on each partition's new index (ACCESS SHARE on the tables): \
                 queries on that partition wait while it is held, milliseconds; lock_timeout \
                 bounds the wait."
                    .to_string(),
            )],
            GEXEC_TIMED,
            attach,
        ),
    ]
}

/// What dropping the key stops the database from doing, and who does it instead.
fn integrity_message(
    b: &BrokenFk,
    q: &Quoted,
    fk: &ForeignKey,
    action: EdgeAction,
    source: &ActionSource,
) -> String {
    let stops = match fk.on_delete {
        FkAction::NoAction | FkAction::Restrict => format!(
            "and deleting a {} row that {} rows still reference is no longer refused",
            q.parent, q.child
        ),
        other if fk.on_delete_columns.is_empty() => {
            format!("and ON DELETE {} no longer runs", other.sql())
        }
        other => format!(
            "and ON DELETE {} {} no longer runs",
            other.sql(),
            cols_text(&fk.on_delete_columns)
        ),
    };
    let source = match source {
        ActionSource::Declared => "as declared",
        ActionSource::Override(_) => "set by [[edges]]",
        ActionSource::Default => "defaults.on_delete, the dump says NO ACTION",
        other => other.text(),
    };
    let instead = match action {
        EdgeAction::Cascade | EdgeAction::SetNull | EdgeAction::SetDefault => format!(
            "it is replicated as {}{} ({source}) with tombstones, recorded by \
             cascades/{}.sql and applied by cascades/{}.sql, which must be live before this step",
            action.as_str(),
            if action != EdgeAction::Cascade && !fk.on_delete_columns.is_empty() {
                format!(" of {}", cols_text(&fk.on_delete_columns))
            } else {
                String::new()
            },
            b.parent_silo,
            b.child_silo
        ),
        EdgeAction::Restrict => format!(
            "restrict ({source}) cannot be replicated across databases: the application must \
             check for {} rows before deleting from {}",
            q.child, q.parent
        ),
        EdgeAction::Ignore => "silo-plan.toml ignores this edge: nothing replaces it".to_string(),
    };
    let mut m = format!(
        "from here on the database no longer checks that {} rows point at existing {} rows, \
         {stops}; {instead}.",
        q.child, q.parent
    );
    if fk.on_update != FkAction::NoAction && fk.on_update != FkAction::Restrict {
        m.push_str(&format!(
            " ON UPDATE {} no longer runs either, and is not replicated: a changed key in {} \
             leaves {} rows pointing at the old value.",
            fk.on_update.sql(),
            q.parent,
            q.child
        ));
    }
    m
}

fn drop_step(
    cat: &Catalog,
    b: &BrokenFk,
    q: &Quoted,
    fk: &ForeignKey,
    (action, source): (EdgeAction, ActionSource),
    partitions: &Partitions,
) -> Step {
    let mut why = format!(
        "{} ({}) references {} ({}): after the split they live in two databases, where no \
         constraint can hold.",
        q.child, b.child_silo, q.parent, b.parent_silo
    );
    if let Some(reason) = &b.allowed {
        why.push_str(&format!(
            " Allowed for now in silo-plan.toml ({reason}), but it still crosses, so it is broken too."
        ));
    }
    let mut blocks = format!(
        "ACCESS EXCLUSIVE on {} and {} blocks their reads and writes while held: only for the \
         catalog change (milliseconds), but a query arriving while it waits queues behind it, \
         so lock_timeout gives up after {LOCK_TIMEOUT}; then run the script again.",
        q.child, q.parent
    );
    if is_partitioned(cat, &b.parent) {
        blocks.push_str(&format!(
            " {} is partitioned: each of its partitions is locked too (the key's triggers live there).",
            q.parent
        ));
    }
    if is_partitioned(cat, &b.child) {
        blocks.push_str(&format!(
            " {} is partitioned: the key is dropped from each of its partitions too.",
            q.child
        ));
    }
    let mut locks = Vec::with_capacity(2);
    with_partitions(&b.child, Lock::AccessExclusive, partitions, &mut locks);
    with_partitions(&b.parent, Lock::AccessExclusive, partitions, &mut locks);
    step(
        b,
        why,
        locks,
        vec![
            hazard("blocks-reads", blocks),
            hazard(
                "integrity-unchecked",
                integrity_message(b, q, fk, action, &source),
            ),
        ],
        TIMED,
        format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
            q.child, q.name
        ),
    )
}

fn add_step(
    b: &BrokenFk,
    q: &Quoted,
    fk: &ForeignKey,
    partitioned: bool,
    partitions: &Partitions,
) -> Step {
    let child = &q.child;
    let alter = |not_valid: bool, indent: &str| {
        format!(
            "{indent}ALTER TABLE {child}\n{indent}    ADD CONSTRAINT {}\n{indent}    {}{};",
            q.name,
            definition(fk),
            if not_valid { " NOT VALID" } else { "" }
        )
    };
    let add = if partitioned && !fk.not_valid {
        format!(
            "        IF current_setting('server_version_num')::int >= 180000 THEN\n{}\n        \
             ELSE\n            -- PostgreSQL 17 and older refuse NOT VALID on a partitioned table.\n{}\n        \
             END IF;",
            alter(true, "            "),
            alter(false, "            ")
        )
    } else {
        alter(true, "        ")
    };
    let body = format!(
        "\nBEGIN\n    IF NOT EXISTS (SELECT 1 FROM pg_constraint\n                   \
         WHERE conname = {}\n                     AND conrelid = {}::regclass) THEN\n{add}\n    \
         END IF;\nEND\n",
        literal(&b.name),
        literal(child)
    );
    let mut hazards = vec![hazard(
        "blocks-writes",
        format!(
            "SHARE ROW EXCLUSIVE on {} and {} blocks their writes (not reads) while held: \
             milliseconds, since NOT VALID skips checking existing rows; lock_timeout bounds the \
             wait. From then on every write is checked.",
            q.child, q.parent
        ),
    )];
    if partitioned && !fk.not_valid {
        hazards.push(hazard(
            "long-running",
            format!(
                "on PostgreSQL 17 and older, {} is partitioned and cannot take the key NOT VALID: \
                 it is added valid at once, which checks every row of every partition while \
                 holding SHARE ROW EXCLUSIVE: writes to {} and {} wait for the whole check \
                 (lock_timeout only bounds the wait for the lock). Run it at a quiet time.",
                q.child, q.child, q.parent
            ),
        ));
    }
    let mut why = format!(
        "Re-adds {} with its original definition, unless {} already has a constraint of that \
         name (Postgres has no ADD CONSTRAINT IF NOT EXISTS).",
        q.name, q.child
    );
    if fk.not_valid {
        why.push_str(" The dump declares it NOT VALID, so it stays so and is not validated below.");
    }
    let mut sql = String::with_capacity(body.len() + 32);
    sql.push_str("DO ");
    push_dollar_quoted(&mut sql, &body);
    let mut locks = Vec::with_capacity(2);
    with_partitions(&b.child, Lock::ShareRowExclusive, partitions, &mut locks);
    with_partitions(&b.parent, Lock::ShareRowExclusive, partitions, &mut locks);
    step(b, why, locks, hazards, TIMED, sql)
}

/// A query that lists the rows that make `VALIDATE` fail.
fn orphans_query(fk: &ForeignKey) -> String {
    // `c.<col> <test>` for each child column, joined by AND.
    let each = |q: &mut String, test: &str| {
        for (i, c) in fk.columns.iter().enumerate() {
            if i > 0 {
                q.push_str(" AND ");
            }
            q.push_str("c.");
            push_ident(q, c);
            q.push_str(test);
        }
    };
    let mut q = String::with_capacity(160);
    q.push_str("SELECT c.* FROM ");
    push_qualified(&mut q, &fk.table);
    q.push_str(" AS c WHERE ");
    // MATCH SIMPLE exempts a row with any NULL column; MATCH FULL only one with all NULL.
    match fk.match_kind {
        FkMatch::Full => {
            q.push_str("NOT (");
            each(&mut q, " IS NULL");
            q.push(')');
        }
        _ => each(&mut q, " IS NOT NULL"),
    }
    q.push_str(" AND NOT EXISTS (SELECT 1 FROM ");
    push_qualified(&mut q, &fk.references);
    q.push_str(" AS p WHERE ");
    for (i, (c, p)) in fk.columns.iter().zip(&fk.referenced_columns).enumerate() {
        if i > 0 {
            q.push_str(" AND ");
        }
        q.push_str("p.");
        push_ident(&mut q, p);
        q.push_str(" = c.");
        push_ident(&mut q, c);
    }
    q.push(')');
    q
}

fn validate_step(b: &BrokenFk, q: &Quoted, fk: &ForeignKey) -> Step {
    step(
        b,
        format!(
            "Checks the rows written while {} was dropped; validating a valid key does nothing, \
             so a re-run is cheap. The ROW SHARE lock on {} blocks only ALTER/DROP of it.",
            q.name, q.parent
        ),
        vec![
            (b.child.clone(), Lock::ShareUpdateExclusive),
            (b.parent.clone(), Lock::RowShare),
        ],
        vec![
            hazard(
                "long-running",
                format!(
                    "scans all of {} and looks each key up in {}: seconds to hours with their \
                     size; reads and writes of both go on throughout.",
                    q.child, q.parent
                ),
            ),
            hazard(
                "integrity-unchecked",
                format!(
                    "fails, changing nothing, if a row of {} points at a missing {} row; the \
                     query in the comment above the statement lists them.",
                    q.child, q.parent
                ),
            ),
        ],
        PLAIN,
        format!(
            "-- Rows that make it fail, if any:\n-- {}\nALTER TABLE {} VALIDATE CONSTRAINT {}",
            comment_text(&orphans_query(fk)),
            q.child,
            q.name
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_names_fit_and_are_stable() {
        let t = QName::new("public", "orders");
        let taken = Taken::default();
        assert_eq!(
            index_name(&t, &["user_id".into()], &taken),
            "silo_plan_orders_user_id_idx"
        );
        assert_eq!(
            index_name(
                &QName::new("S", "Line \"Items\""),
                &["Order Id".into()],
                &taken
            ),
            "silo_plan_line_items_order_id_idx"
        );
        let long = QName::new("public", "é".repeat(40));
        let n = index_name(&long, &["a".into(), "b".into()], &taken);
        assert!(n.len() <= MAX_IDENT, "{n}");
        assert!(n.ends_with("_idx"));
        // relation_names keeps only the catalog's names that could collide: those with the
        // prefix, which every name made here has, cut short and hashed or not.
        assert!(n.starts_with(INDEX_PREFIX), "{n}");
        assert_eq!(n, index_name(&long, &["a".into(), "b".into()], &taken));
        let mut taken = Taken::default();
        taken.insert(("public".into(), "silo_plan_orders_user_id_idx".into()));
        let other = index_name(&t, &["user_id".into()], &taken);
        assert_ne!(other, "silo_plan_orders_user_id_idx");
        assert!(other.starts_with("silo_plan_orders_user_id_"));
    }

    #[test]
    fn taken_names_include_the_dumps_own_with_the_prefix() {
        use crate::dump::{read, ReadOptions};
        use crate::source::SourceFile;
        let sql = "CREATE TABLE public.orders (id bigint, user_id bigint);\n\
                   CREATE INDEX silo_plan_orders_user_id_idx ON public.orders USING btree (id);\n\
                   CREATE INDEX orders_id_idx ON public.orders USING btree (id);\n";
        let sources = [SourceFile::new("t.sql", sql.to_string())];
        let cat = read(&sources, &ReadOptions::default());
        let taken = relation_names(&cat);
        assert!(taken.contains(&("public".into(), "silo_plan_orders_user_id_idx".into())));
        assert!(!taken.contains(&("public".into(), "orders_id_idx".into())));
        let t = QName::new("public", "orders");
        let n = index_name(&t, &["user_id".into()], &taken);
        assert_ne!(n, "silo_plan_orders_user_id_idx");
    }

    #[test]
    fn orphan_queries_and_definitions_read_as_sql() {
        use crate::dump::{read, ReadOptions};
        use crate::source::SourceFile;
        let sql = "CREATE TABLE public.\"order\" (id bigint, \"Tenant Id\" bigint);\n\
                   CREATE TABLE public.line (\"Order Id\" bigint, \"Tenant Id\" bigint, o bigint);\n\
                   ALTER TABLE ONLY public.line ADD CONSTRAINT full_fk FOREIGN KEY (\"Order Id\", \"Tenant Id\") REFERENCES public.\"order\"(id, \"Tenant Id\") MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;\n\
                   ALTER TABLE ONLY public.line ADD CONSTRAINT one_fk FOREIGN KEY (o) REFERENCES public.\"order\"(id);\n";
        let sources = [SourceFile::new("t.sql", sql.to_string())];
        let cat = read(&sources, &ReadOptions::default());
        let [full, one] = [0, 1].map(|k| &cat.foreign_keys[k]);
        assert_eq!(
            orphans_query(full),
            "SELECT c.* FROM public.line AS c WHERE NOT (c.\"Order Id\" IS NULL AND \
             c.\"Tenant Id\" IS NULL) AND NOT EXISTS (SELECT 1 FROM public.\"order\" AS p WHERE \
             p.id = c.\"Order Id\" AND p.\"Tenant Id\" = c.\"Tenant Id\")"
        );
        assert_eq!(
            orphans_query(one),
            "SELECT c.* FROM public.line AS c WHERE c.o IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM public.\"order\" AS p WHERE p.id = c.o)"
        );
        assert_eq!(
            definition(full),
            "FOREIGN KEY (\"Order Id\", \"Tenant Id\") REFERENCES public.\"order\" \
             (id, \"Tenant Id\") MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE \
             INITIALLY DEFERRED"
        );
        assert_eq!(cols_text(&one.columns), "(o)");
    }

    #[test]
    fn dollar_tag_avoids_the_body() {
        assert_eq!(dollar_quoted("\nx\n"), "$silo_plan$\nx\n$silo_plan$");
        assert_eq!(
            dollar_quoted("\n\"a$silo_plan$b\"\n"),
            "$silo_plan_1$\n\"a$silo_plan$b\"\n$silo_plan_1$"
        );
    }

    #[test]
    fn leading_columns_in_any_order() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(leads_with(&s(&["b", "a", "c"]), &s(&["a", "b"])));
        assert!(!leads_with(&s(&["c", "a", "b"]), &s(&["a", "b"])));
        assert!(!leads_with(&s(&["a"]), &s(&["a", "b"])));
        assert!(leads_with(&s(&["a", "b"]), &s(&["a"])));
        assert!(!leads_with(&s(&["b", "a"]), &s(&["a"])));
        assert!(!leads_with(&s(&[]), &s(&["a"])));
    }
}
