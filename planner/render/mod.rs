//! Rendering a [`crate::plan::Plan`] into files: askama templates in `templates/`, one template
//! struct per output kind. The plan decides what each file says (statements, crossings,
//! decisions, the facts in comments); rendering decides how it is written: quoting through
//! [`crate::ident`], comment wrapping, how each stub language spells names and types
//! (`stubs.rs`), which files plan.md's start links to (`start.rs`), and the layout of each file.
//! The result is an in-memory directory (paths and contents); only `main.rs` writes it.

/// Gives a type with a `write<W: fmt::Write>` method what askama needs to write it straight into
/// a template's `String` (`FastWritable`; through `Display`, every piece would go through a
/// `Formatter`, which made the stubs' fields slower than building them as a list was), and
/// `Display` for other uses.
macro_rules! fast_writable {
    ($t:ty) => {
        impl askama::FastWritable for $t {
            fn write_into<W: std::fmt::Write + ?Sized>(
                &self,
                dest: &mut W,
                _: &dyn askama::Values,
            ) -> askama::Result<()> {
                Ok(self.write(dest)?)
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.write(f)
            }
        }
    };
}

pub mod cascades;
pub mod fks;
pub mod migrations;
pub mod phases;
mod picture;
mod residency;
pub mod schema;
pub mod silotests;
mod start;
pub mod stubs;
pub mod wrap;

use std::fmt::{self, Write as _};

use rustc_hash::{FxHashMap, FxHashSet};

use askama::Template;

use crate::catalog::QName;
use crate::config::EdgeAction;
use crate::plan::{Input, Plan, Step};
use crate::untrusted;

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// Contents.
    pub contents: String,
}

/// A template failed to render (a bug, reported with the template's name).
#[derive(Debug)]
pub struct RenderError(pub String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rendering failed: {}", self.0)
    }
}

impl std::error::Error for RenderError {}

fn run<T: Template>(name: &str, t: &T) -> Result<String, RenderError> {
    t.render().map_err(|e| RenderError(format!("{name}: {e}")))
}

/// [`run`] into a `String` with room for `capacity` bytes up front: a file of megabytes that
/// grows by doubling is copied, and its fresh pages faulted in, at every doubling.
fn run_sized<T: Template>(name: &str, t: &T, capacity: usize) -> Result<String, RenderError> {
    let mut out = String::with_capacity(capacity.max(T::SIZE_HINT));
    t.render_into(&mut out)
        .map_err(|e| RenderError(format!("{name}: {e}")))?;
    Ok(out)
}

/// What a step's `-- Locks:` comment says of its claim: `ACCESS EXCLUSIVE on a, b; SHARE ROW
/// EXCLUSIVE on c`, modes in the claim's order, or `none that block reads or writes`.
fn locks_text(locks: &[(crate::catalog::QName, crate::plan::Lock)]) -> String {
    claim_text(&crate::plan::StepLocks::new(locks, None))
}

/// [`locks_text`] of a claim.
fn claim_text(c: &crate::plan::StepLocks) -> String {
    if c.locks.is_empty() {
        return "none that block reads or writes".to_string();
    }
    c.locks
        .iter()
        .map(|g| {
            let tables: Vec<String> = g.tables.iter().map(crate::ident::qualified).collect();
            format!("{} on {}", g.lock.as_str(), tables.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Text safe inside a Markdown table cell: `|` escaped, line breaks as spaces, and the
/// characters [`untrusted`] escapes written visibly.
fn cell(s: &str) -> String {
    // A byte scan (all three are ASCII; a `contains` of a list of chars decodes every char).
    if !s.bytes().any(|b| matches!(b, b'|' | b'\n' | b'\r')) {
        // Most cells: nothing to replace, one copy instead of two.
        return untrusted::escape(s).into_owned();
    }
    untrusted::escape(&s.replace('|', "\\|").replace(['\n', '\r'], " ")).into_owned()
}

struct SiloRow {
    name: String,
    role: String,
    tables: usize,
    views: usize,
}

struct FindingRow {
    code: String,
    message: String,
    at: String,
}

/// [`cell`] written into `f`: `|` escaped, line breaks as spaces, unsafe characters escaped.
/// The rule maps each character on its own, so a cell written in pieces is the cell of the
/// pieces joined.
fn write_cell<W: fmt::Write + ?Sized>(f: &mut W, s: &str) -> fmt::Result {
    let mut rest = s;
    while let Some(i) = rest.bytes().position(|b| matches!(b, b'|' | b'\n' | b'\r')) {
        untrusted::write_escaped(f, &rest[..i])?;
        f.write_str(if rest.as_bytes()[i] == b'|' {
            "\\|"
        } else {
            " "
        })?;
        rest = &rest[i + 1..];
    }
    untrusted::write_escaped(f, rest)
}

/// `s` with every backtick as `'`, for a code span, and unsafe characters escaped.
fn write_ticks_as_quotes<W: fmt::Write + ?Sized>(f: &mut W, s: &str) -> fmt::Result {
    let mut rest = s;
    while let Some(i) = rest.find('`') {
        untrusted::write_escaped(f, &rest[..i])?;
        f.write_str("'")?;
        rest = &rest[i + 1..];
    }
    untrusted::write_escaped(f, rest)
}

/// `items` separated by `, `, each through [`write_cell`].
fn write_cell_list<W: fmt::Write + ?Sized>(f: &mut W, items: &[String]) -> fmt::Result {
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_cell(f, s)?;
    }
    Ok(())
}

/// `table(columns)` through [`write_cell`].
fn write_cell_columns<W: fmt::Write + ?Sized>(
    f: &mut W,
    q: &QName,
    columns: &[String],
) -> fmt::Result {
    write_cell(f, &q.schema)?;
    f.write_str(".")?;
    write_cell(f, &q.name)?;
    f.write_str("(")?;
    write_cell_list(f, columns)?;
    f.write_str(")")
}

/// The rows of the cross-silo foreign key table, each written straight into plan.md (a large
/// plan has thousands; eight `String`s per row that the template then copied were most of
/// their cost). Each row starts with its line break.
struct CrossingRows<'a>(&'a [crate::plan::PlannedCrossing]);

fast_writable!(CrossingRows<'_>);

impl CrossingRows<'_> {
    fn write<W: fmt::Write + ?Sized>(&self, f: &mut W) -> fmt::Result {
        for c in self.0 {
            // The constraint: backticks would end its code span.
            f.write_str("\n| `")?;
            write_ticks_as_quotes(f, &c.key.constraint)?;
            f.write_str("`")?;
            f.write_str(&c.kind_note())?;
            f.write_str(" | ")?;
            write_cell_columns(f, &c.key.child, &c.key.child_columns)?;
            f.write_str(" → ")?;
            write_cell_columns(f, &c.key.parent, &c.key.parent_columns)?;
            f.write_str(" | ")?;
            write_cell(f, &c.key.child_silo)?;
            f.write_str(" → ")?;
            write_cell(f, &c.key.parent_silo)?;
            f.write_str(" | ")?;
            f.write_str(if c.kind == crate::references::Kind::Constraint {
                c.declared_on_delete.as_str()
            } else {
                "no constraint"
            })?;
            if !c.declared_on_delete_columns.is_empty() {
                f.write_str(" (")?;
                write_cell_list(f, &c.declared_on_delete_columns)?;
                f.write_str(")")?;
            }
            f.write_str(" | ")?;
            f.write_str(action_name(c.on_delete))?;
            if !c.set_columns.is_empty() {
                f.write_str(" (")?;
                write_cell_list(f, &c.set_columns)?;
                f.write_str(")")?;
            }
            if c.allowed.is_some() {
                f.write_str(" (allowed)")?;
            }
            f.write_str(" | ")?;
            f.write_str(&c.decided_by)?;
            f.write_str(" | ")?;
            write_cell(f, &c.replication)?;
            f.write_str(" | ")?;
            write_cell(f, &c.file)?;
            write!(f, ":{} |", c.line)?;
        }
        Ok(())
    }
}

/// What a closure step does to the child's rows, in its tree.
fn step_verb(a: EdgeAction) -> &'static str {
    match a {
        EdgeAction::Cascade => "delete",
        EdgeAction::SetNull => "set null",
        EdgeAction::SetDefault => "set default",
        EdgeAction::Restrict => "restrict",
        EdgeAction::Ignore => "ignore",
    }
}

/// `schema.table [silo]`: a table in a closure's tree.
fn push_node(tree: &mut String, q: &QName, silo: &str) {
    tree.push_str(&untrusted::escape(&q.schema));
    tree.push('.');
    tree.push_str(&untrusted::escape(&q.name));
    tree.push_str(" [");
    tree.push_str(&untrusted::escape(silo));
    tree.push(']');
}

/// Whether `s` holds three backticks in a row. Backticks are rare (a tree with omitted steps
/// has two, far apart), so each is found by a fast byte search and the two after it checked; a
/// substring search for the fence over a whole large tree was a third of plan.md's cost.
fn has_fence(s: &str) -> bool {
    let mut from = 0;
    while let Some(i) = s[from..].find('`') {
        let at = from + i;
        if s[at..].starts_with("```") {
            return true;
        }
        from = at + 1;
    }
    false
}

/// The cascade closures of plan.md, each a heading and its tree in a code block, written
/// straight into the document (they are most of a large plan.md: a `String` per tree that the
/// template then copied, and a `format!` per step, were most of its cost). Each tree is built
/// in one buffer reused from closure to closure, so that a fence inside it can be broken up.
struct Closures<'a>(&'a [crate::plan::Closure]);

fast_writable!(Closures<'_>);

impl Closures<'_> {
    fn write<W: fmt::Write + ?Sized>(&self, f: &mut W) -> fmt::Result {
        const INDENT: &str = "                                                                ";
        let mut tree = String::new();
        for c in self.0 {
            f.write_str("\n### `")?;
            write_ticks_as_quotes(f, &c.parent.schema)?;
            f.write_str(".")?;
            write_ticks_as_quotes(f, &c.parent.name)?;
            f.write_str("` (")?;
            write_cell(f, &c.silo)?;
            f.write_str(")\n\n```\n")?;
            tree.clear();
            push_node(&mut tree, &c.parent, &c.silo);
            for s in &c.steps {
                tree.push('\n');
                let mut depth = 2 * s.depth;
                while depth > 0 {
                    let k = depth.min(INDENT.len());
                    tree.push_str(&INDENT[..k]);
                    depth -= k;
                }
                tree.push_str("└ ");
                tree.push_str(step_verb(s.action));
                tree.push(' ');
                push_node(&mut tree, &s.child, &s.child_silo);
                tree.push_str(" via ");
                tree.push_str(&untrusted::escape(&s.constraint));
                if s.crosses {
                    tree.push_str("  ✗");
                }
                if s.again {
                    tree.push_str(" (reached above)");
                }
            }
            if c.omitted > 0 {
                let _ = write!(
                    tree,
                    "\n  … and {} more steps: `silo-plan explain {}` lists them all",
                    c.omitted,
                    untrusted::escape(&c.parent.to_string())
                );
            }
            // A fence inside the tree would end its code block (rare).
            if has_fence(&tree) {
                f.write_str(&tree.replace("```", "'''"))?;
            } else {
                f.write_str(&tree)?;
            }
            f.write_str("\n```\n")?;
        }
        Ok(())
    }
}

struct ScriptSummary {
    count: usize,
    locks: String,
    hazards: String,
}

/// A silo's tenant in plan.md: its closure, each table with its path, and the tables it does
/// not reach.
struct TenantSection {
    silo: String,
    tenant: String,
    intro: String,
    /// (table, path) cells.
    rows: Vec<(String, String)>,
    unreachable_intro: String,
    unreachable: Vec<String>,
}

fn tenant_section(t: &crate::residency::Tenant) -> TenantSection {
    let many = t.instances.len() > 1;
    let intro = format!(
        "A row of silo {} belongs to the instance of the {} row it references, directly or \
         through the tables below (every reference of the dump, walked from the tenant to its \
         children within the silo; the first path with the fewest steps). {} of the silo's {} \
         other tables are reachable.",
        t.silo,
        t.tenant,
        t.reachable.len(),
        t.reachable.len() + t.unreachable.len()
    );
    let unreachable_intro = if many {
        format!(
            "Not reachable from the tenant: with {} instances ({}) their rows cannot be placed \
             in one (`check` warns, SP017). Give each a reference into the closure, or move it \
             to a single-instance silo or `[shared]`.",
            t.instances.len(),
            t.instances.join(", ")
        )
    } else {
        "Not reachable from the tenant (the silo runs as one instance, so their rows stay \
         placed; with several instances they could not be):"
            .to_string()
    };
    TenantSection {
        silo: untrusted::escape(&t.silo).into_owned(),
        tenant: untrusted::escape(&t.tenant.to_string()).into_owned(),
        intro: untrusted::escape(&intro).into_owned(),
        rows: t
            .reachable
            .iter()
            .map(|r| {
                (
                    cell(&r.table.to_string()),
                    cell(&crate::residency::path_text(&r.path)),
                )
            })
            .collect(),
        unreachable_intro: untrusted::escape(&unreachable_intro).into_owned(),
        unreachable: t
            .unreachable
            .iter()
            .map(|q| untrusted::escape(&q.to_string()).into_owned())
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "plan.md", escape = "none")]
struct PlanMd<'a> {
    plan: &'a Plan,
    version: &'a str,
    config: String,
    dumps: String,
    /// The line naming the framework that wrote the dump.
    framework: String,
    silos: Vec<SiloRow>,
    crossing_line: String,
    decisions: Vec<String>,
    crossings: CrossingRows<'a>,
    couplings: Vec<FindingRow>,
    /// The findings that block a plan (written with `--allow-findings`).
    blocking: Vec<FindingRow>,
    closures: Closures<'a>,
    tenants: Vec<TenantSection>,
    /// Rows of the global keys table: key, why, plan.
    global_keys: Vec<(String, String, String)>,
    /// The ID spaces section (empty when no silo sets `id_space`).
    id_spaces: String,
    /// The fan-out section (empty when no tombstones reach a multi-instance silo).
    fanouts: String,
    drop: ScriptSummary,
    restore: ScriptSummary,
    readiness: String,
    start: start::StartHere,
}

fn action_name(a: EdgeAction) -> &'static str {
    a.as_str()
}

fn summarize(steps: &[Step]) -> ScriptSummary {
    // A handful of lock levels and hazard kinds over thousands of steps: counted in short lists
    // (a search of a few names beats a map's ordered insert), sorted by name at the end.
    fn count<'k>(counts: &mut Vec<(&'k str, usize)>, key: &'k str) {
        match counts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => counts.push((key, 1)),
        }
    }
    let mut locks = Vec::new();
    let mut hazards = Vec::new();
    for s in steps {
        for (_, l) in &s.locks {
            count(&mut locks, l.as_str());
        }
        for h in &s.hazards {
            count(&mut hazards, h.kind.as_str());
        }
    }
    let join = |mut m: Vec<(&str, usize)>| {
        m.sort_unstable();
        if m.is_empty() {
            "none".to_string()
        } else {
            m.iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    ScriptSummary {
        count: steps.len(),
        locks: join(locks),
        hazards: join(hazards),
    }
}

/// plan.md's line on the framework that wrote the dump and what it means for deletes.
fn framework_line(f: &crate::plan::FrameworkSeen) -> String {
    use crate::framework::Framework;
    let evidence = untrusted::escape(&f.evidence.replace('`', "'")).into_owned();
    match f.name {
        Framework::Generic => "Framework: none detected (no framework's bookkeeping table): the \
                               dump's foreign keys say what a delete does."
            .to_string(),
        Framework::Ecto => format!(
            "Framework: Ecto (told by `{evidence}`): its migrations write `on_delete:` into the \
             foreign keys, so the dump says what a delete does."
        ),
        fw => format!(
            "Framework: {} (told by `{evidence}`): the models' `{}`, not the dump's NO ACTION, \
             decide what a delete does; the *how* column gives each action in their words.",
            fw.title(),
            fw.delete_setting().unwrap_or("")
        ),
    }
}

/// `plan.md`: the plan for a person to read.
pub fn plan_md(plan: &Plan) -> Result<String, RenderError> {
    let silos = plan
        .silos
        .iter()
        .map(|s| SiloRow {
            name: cell(&s.name),
            role: cell(&if s.name == "shared" {
                "schema in every silo, data not split".to_string()
            } else if s.stays {
                "stays in today's database (origin)".to_string()
            } else if s.instances.is_empty() {
                "moves to a new database".to_string()
            } else {
                format!(
                    "moves; one database per instance: {}",
                    s.instances.join(", ")
                )
            }),
            tables: s.tables.len(),
            views: s.views.len(),
        })
        .collect();
    let allowed = plan
        .crossings
        .iter()
        .filter(|c| c.allowed.is_some())
        .count();
    let unconstrained = plan
        .crossings
        .iter()
        .filter(|c| c.kind != crate::references::Kind::Constraint)
        .count();
    let crossing_line = format!(
        "{} foreign keys{} cross a silo boundary ({} of them allowed for now); {} other findings{}; {} parent tables need tombstones.",
        plan.crossings.len() - unconstrained,
        if unconstrained == 0 {
            String::new()
        } else {
            format!(" and {unconstrained} references without a constraint (declared, imported or inferred; their kind follows the name)")
        },
        allowed,
        plan.findings.len(),
        match plan.findings.iter().filter(|f| f.allowed_by().is_some()).count() {
            0 => String::new(),
            n => format!(" ({n} of them allowed)"),
        },
        plan.closures.len()
    );
    let row = |f: &crate::findings::Finding| FindingRow {
        code: f.code.as_str().to_string(),
        // An accepted finding says so, with the entry's place and reason, as `check` does.
        message: match f.allowed_by() {
            Some(r) => format!(
                "{} — **allowed** by the `[[allow]]` entry at {}: {}",
                cell(&f.message),
                cell(&format!("{}:{}", r.location.file, r.location.line)),
                cell(
                    r.message
                        .strip_prefix(crate::findings::ALLOWED_PREFIX)
                        .unwrap_or(&r.message)
                )
            ),
            None => cell(&f.message),
        },
        at: f
            .location
            .as_ref()
            .map(|l| cell(&format!("{}:{}", l.file, l.line)))
            .unwrap_or_default(),
    };
    let couplings = plan.findings.iter().map(row).collect();
    let blocking = plan
        .findings
        .iter()
        .filter(|f| f.blocks_plan())
        .map(row)
        .collect();
    let t = PlanMd {
        plan,
        version: env!("CARGO_PKG_VERSION"),
        config: untrusted::escape(&plan.config.replace('`', "'")).into_owned(),
        dumps: plan
            .dumps
            .iter()
            .map(|d| format!("`{}`", untrusted::escape(&d.replace('`', "'"))))
            .collect::<Vec<_>>()
            .join(", "),
        framework: framework_line(&plan.framework),
        silos,
        crossing_line,
        decisions: plan.decisions.iter().map(|d| cell(d)).collect(),
        crossings: CrossingRows(&plan.crossings),
        couplings,
        blocking,
        closures: Closures(&plan.closures),
        tenants: plan.tenants.iter().map(tenant_section).collect(),
        global_keys: plan
            .global_keys
            .iter()
            .map(|k| {
                let key = format!("{}({})", k.table, k.columns.join(", "));
                let mut why = Vec::new();
                if let Some(p) = k.configured {
                    why.push(format!("`global_unique` at {}:{p}", plan.config));
                }
                if !k.referenced_by.is_empty() {
                    why.push(format!("referenced from another silo by {}", k.referenced_by.join(", ")));
                }
                let res = plan
                    .reservations
                    .iter()
                    .find(|r| r.table == k.table && [r.column.clone()] == k.columns.as_slice());
                let how = match res {
                    Some(r) => format!(
                        "reservation table silo_plan.{} in silo {} (`residency/{}.sql`): `silo_plan.{}` before the insert, `silo_plan.{}` after the delete (stubs: `{}`, `{}`); today's values: `residency/backfill/{}-export.sql`, then `residency/backfill/{}-import.sql`",
                        r.reservation_table, r.registry_silo, r.registry_silo, r.reserve_function, r.release_function,
                        r.reserve_function, r.release_function, r.silo, r.registry_silo
                    ) + &match crate::residency::tombstone_release(&plan.cascades, r) {
                        Some(_) => format!(
                            "; a delete the application does not release: `silo_plan.{}` (called by `silo_plan.apply()`) when its tombstone arrives",
                            crate::residency::apply_release_function(r)
                        ),
                        None => format!(
                            "; a delete the application does not release stays reserved (no tombstone of {} reaches silo {})",
                            r.table, r.registry_silo
                        ),
                    },
                    None => "none: `check` warns (SP018)".to_string(),
                };
                (cell(&key), cell(&why.join("; ")), cell(&how))
            })
            .collect(),
        id_spaces: residency::id_spaces_md(plan),
        fanouts: residency::fanouts_md(plan),
        drop: summarize(&plan.fks.drop),
        restore: summarize(&plan.fks.restore),
        readiness: phases::readiness_md(&plan.phases),
        start: start::StartHere::new(plan),
    };
    // Room for the whole document up front (the closure trees from the lengths of their names,
    // about 500 bytes per crossing row and 250 per other row), so a large plan.md is not copied
    // as it grows.
    let trees: usize = plan
        .closures
        .iter()
        .map(|c| {
            let steps: usize = c
                .steps
                .iter()
                .map(|s| {
                    2 * s.depth
                        + s.child.schema.len()
                        + s.child.name.len()
                        + s.child_silo.len()
                        + s.constraint.len()
                        + 48
                })
                .sum();
            2 * (c.parent.schema.len() + c.parent.name.len() + c.silo.len()) + steps + 192
        })
        .sum();
    let rows = 2 * t.couplings.len() + t.decisions.len() + t.silos.len();
    run_sized(
        "plan.md",
        &t,
        PlanMd::SIZE_HINT + 16384 + trees + 512 * plan.crossings.len() + 256 * rows,
    )
}

struct Cluster {
    id: String,
    label: String,
    nodes: Vec<String>,
}

#[derive(Template)]
#[template(path = "graph.dot", escape = "none")]
struct GraphDot {
    config: String,
    clusters: Vec<Cluster>,
    edges: Vec<String>,
}

#[derive(Template)]
#[template(path = "graph.mmd", escape = "none")]
struct GraphMmd {
    config: String,
    clusters: Vec<Cluster>,
    edges: Vec<String>,
}

fn dot_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    push_dot_escaped(&mut out, s);
    out.push('"');
    out
}

/// A table name as a DOT string: [`dot_str`] of `schema.name`, without building that text
/// first (no part's escape involves the `.`).
fn dot_qname(q: &QName) -> String {
    let mut out = String::with_capacity(q.schema.len() + q.name.len() + 3);
    out.push('"');
    push_dot_escaped(&mut out, &q.schema);
    out.push('.');
    push_dot_escaped(&mut out, &q.name);
    out.push('"');
    out
}

/// `s` inside a DOT string: `\` and `"` escaped, line breaks as spaces (what
/// `.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', " ")` gives, in one pass), after
/// the characters [`untrusted`] escapes are written visibly.
fn push_dot_escaped(out: &mut String, s: &str) {
    let s = untrusted::escape_but(s, &['\n']);
    if !s.contains(['\\', '"', '\n']) {
        out.push_str(&s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
}

fn mmd_label(s: &str) -> String {
    if !s.contains(['"', '\n', '\r']) {
        return untrusted::escape(s).into_owned();
    }
    untrusted::escape(&s.replace('"', "#quot;").replace(['\n', '\r'], " ")).into_owned()
}

fn graphs(plan: &Plan, input: &Input) -> Result<(String, String), RenderError> {
    // Table → node id, looked up twice per foreign key: hashed, borrowed from the plan.
    let mut ids: FxHashMap<&QName, String> = FxHashMap::default();
    let mut dot_clusters = Vec::new();
    let mut mmd_clusters = Vec::new();
    for (ci, s) in plan.silos.iter().enumerate() {
        let mut dn = Vec::new();
        let mut mn = Vec::new();
        for t in &s.tables {
            let id = format!("t{}", ids.len());
            dn.push(dot_qname(t));
            mn.push(format!("{id}[\"{}\"]", mmd_label(&t.to_string())));
            ids.insert(t, id);
        }
        dot_clusters.push(Cluster {
            id: ci.to_string(),
            label: dot_str(&s.name),
            nodes: dn,
        });
        mmd_clusters.push(Cluster {
            id: format!("silo{ci}"),
            label: mmd_label(&s.name),
            nodes: mn,
        });
    }
    // By table and name: two tables may each have a constraint of the same name.
    let crossing: FxHashSet<(&QName, &str)> = plan
        .crossings
        .iter()
        .map(|c| (&c.key.child, c.key.constraint.as_str()))
        .collect();
    let mut dot_edges = Vec::new();
    let mut mmd_edges = Vec::new();
    for fk in &input.cat.foreign_keys {
        let (Some(a), Some(b)) = (ids.get(&fk.table), ids.get(&fk.references)) else {
            continue;
        };
        let crosses = crossing.contains(&(&fk.table, fk.name.as_str()));
        let style = if crosses {
            ", color=red, style=dashed, fontcolor=red"
        } else {
            ""
        };
        dot_edges.push(format!(
            "{} -> {} [label={}{style}]",
            dot_qname(&fk.table),
            dot_qname(&fk.references),
            dot_str(&fk.columns.join(", "))
        ));
        mmd_edges.push(if crosses {
            format!("{a} -. crosses .-> {b}")
        } else {
            format!("{a} --> {b}")
        });
    }
    let config = untrusted::escape(&plan.config.replace(['\n', '\r'], " ")).into_owned();
    let dot = run(
        "graph.dot",
        &GraphDot {
            config: config.clone(),
            clusters: dot_clusters,
            edges: dot_edges,
        },
    )?;
    let mmd = run(
        "graph.mmd",
        &GraphMmd {
            config,
            clusters: mmd_clusters,
            edges: mmd_edges,
        },
    )?;
    Ok((dot, mmd))
}

/// `plan.json`, without its final newline: the plan as `serde_json::to_string_pretty` writes it.
pub fn plan_json(plan: &Plan) -> Result<String, RenderError> {
    serde_json::to_string_pretty(plan).map_err(|e| RenderError(format!("plan.json: {e}")))
}

fn with_newline(mut s: String) -> String {
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Every file of the plan directory, in path order.
pub fn render(plan: &Plan, input: &Input) -> Result<Vec<OutFile>, RenderError> {
    let mut files = Vec::new();
    render_each(plan, input, &mut |f| {
        files.push(f);
        Ok(())
    })?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Every file of the plan directory, each handed to `emit` as soon as it is rendered (in no
/// particular order), so a caller can write and drop it before the next: at 100,000 tables the
/// files together are 2.3 GB, which [`render`] holds in memory at once. Stops at the first
/// error, of rendering or of `emit`.
pub fn render_each(
    plan: &Plan,
    input: &Input,
    emit: &mut dyn FnMut(OutFile) -> Result<(), RenderError>,
) -> Result<(), RenderError> {
    let mut file = |path: String, contents: String| {
        emit(OutFile {
            path,
            contents: with_newline(contents),
        })
    };
    file("plan.md".into(), plan_md(plan)?)?;
    file("plan.json".into(), plan_json(plan)?)?;
    file("fks/drop.sql".into(), fks::drop_sql(&plan.fks))?;
    file("fks/restore.sql".into(), fks::restore_sql(&plan.fks))?;
    for s in &plan.schemas {
        file(
            format!("silos/{}/schema.sql", s.silo),
            schema::try_schema_sql(s, input)?,
        )?;
    }
    for c in plan.cascades.iter().filter(|c| !c.is_empty()) {
        file(format!("cascades/{}.sql", c.silo), cascades::silo_sql(c)?)?;
        if !c.producers.is_empty() || !c.edges.is_empty() {
            file(
                format!("cascades/{}.replication.sql", c.silo),
                cascades::replication_sql(c)?,
            )?;
        }
    }
    // Reservations of keys unique across instances, one file per registry silo.
    for r in crate::residency::registries(&plan.reservations) {
        if let Some(sql) = crate::residency::registry_sql(
            input.cat,
            input.cfg,
            &plan.cascades,
            &plan.reservations,
            r,
        ) {
            file(format!("residency/{r}.sql"), sql)?;
        }
        // The backfill of the values today's rows hold: imported in the registry...
        if let Some(sql) = crate::residency::backfill_import_sql(input.cfg, &plan.reservations, r) {
            file(format!("residency/backfill/{r}-import.sql"), sql)?;
        }
    }
    // ... from files each multi-instance silo's origin instance exports.
    for s in crate::residency::reserved_silos(&plan.reservations) {
        if let Some(sql) = crate::residency::backfill_export_sql(input.cfg, &plan.reservations, s) {
            file(format!("residency/backfill/{s}-export.sql"), sql)?;
        }
    }
    // ID spaces of multi-instance silos, and the fan-out of tombstones to their instances.
    for p in &plan.id_spaces {
        match p.scheme {
            crate::config::IdSpace::InstanceColumn => {
                let mut silos: Vec<&str> = p.references.iter().map(|r| r.silo.as_str()).collect();
                silos.sort_unstable();
                silos.dedup();
                for c in silos {
                    if let Some(sql) = crate::idspace::references_sql(p, c) {
                        file(format!("residency/id-space/{}/{c}.sql", p.silo), sql)?;
                    }
                }
            }
            _ => {
                for i in &p.instances {
                    file(
                        format!("residency/id-space/{}/{i}.sql", p.silo),
                        crate::idspace::instance_sql(p, i),
                    )?;
                }
            }
        }
    }
    for f in &plan.fanouts {
        file(
            format!("residency/fanout/{}.sql", f.silo),
            crate::plan::fanout::sql(f),
        )?;
    }
    let sim = plan
        .simulation
        .as_ref()
        .map_err(|e| RenderError(e.to_string()))?;
    file(
        "simulate/roles.sql".into(),
        crate::simulate::roles_sql(sim)?,
    )?;
    file(
        "simulate/reset.sql".into(),
        crate::simulate::reset_sql(sim)?,
    )?;
    let (dot, mmd) = graphs(plan, input)?;
    file("graph.dot".into(), dot)?;
    file("graph.mmd".into(), mmd)?;
    let (dot, mmd) = picture::silo_graphs(plan)?;
    file("graph-silos.dot".into(), dot)?;
    file("graph-silos.mmd".into(), mmd)?;
    file("report.html".into(), picture::report_html(plan, input)?)?;
    for f in stubs::files(&plan.stubs, &plan.config)? {
        emit(f)?;
    }
    // Silo-mode test helpers beside the stubs, from the simulation's roles.
    for f in silotests::files(sim)? {
        emit(f)?;
    }
    for f in phases::files(
        &plan.phases,
        &plan.config,
        &plan.reservations,
        &plan.fanouts,
    )? {
        emit(f)?;
    }
    // `[output] migrations` (and `plan --migrations`): the same SQL in the team's tools.
    for f in migrations::files(plan, input, &input.cfg.migrations)? {
        emit(f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_strings_escape_as_the_replace_chain_did() {
        for s in [
            "plain",
            "a\\b",
            "q\"uote",
            "line\nbreak",
            "\r\\\"\n",
            "é\"\\",
            "",
        ] {
            let chain = crate::untrusted::escape_but(s, &['\n'])
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', " ");
            assert_eq!(dot_str(s), format!("\"{chain}\""));
        }
        let q = QName::new("s\"x", "t\\y\n");
        assert_eq!(dot_qname(&q), dot_str(&q.to_string()));
    }

    #[test]
    fn cells_and_labels_replace_only_when_needed() {
        assert_eq!(cell("a|b\nc\rd"), "a\\|b c d");
        assert_eq!(cell("plain"), "plain");
        assert_eq!(mmd_label("say \"hi\"\r\n"), "say #quot;hi#quot;  ");
        assert_eq!(mmd_label("plain"), "plain");
    }

    /// A crossing row and a closure as plan.md wrote them when each was built as `String`s
    /// first (the oracle for the rows now written straight into the document).
    fn crossing_row_as_strings(c: &crate::plan::PlannedCrossing) -> String {
        let declared_word = if c.kind == crate::references::Kind::Constraint {
            c.declared_on_delete.as_str()
        } else {
            "no constraint"
        };
        let declared = if c.declared_on_delete_columns.is_empty() {
            declared_word.to_string()
        } else {
            cell(&format!(
                "{} ({})",
                declared_word,
                c.declared_on_delete_columns.join(", ")
            ))
        };
        let action = format!(
            "{}{}{}",
            action_name(c.on_delete),
            if c.set_columns.is_empty() {
                String::new()
            } else {
                cell(&format!(" ({})", c.set_columns.join(", ")))
            },
            if c.allowed.is_some() {
                " (allowed)"
            } else {
                ""
            }
        );
        format!(
            "\n| `{}`{} | {} | {} | {} | {} | {} | {} | {} |",
            crate::untrusted::escape(&c.key.constraint.replace('`', "'")),
            c.kind_note(),
            cell(&format!(
                "{}({}) → {}({})",
                c.key.child,
                c.key.child_columns.join(", "),
                c.key.parent,
                c.key.parent_columns.join(", ")
            )),
            cell(&format!("{} → {}", c.key.child_silo, c.key.parent_silo)),
            declared,
            action,
            c.decided_by,
            cell(&c.replication),
            cell(&format!("{}:{}", c.file, c.line)),
        )
    }

    fn closure_as_strings(c: &crate::plan::Closure) -> String {
        let esc = |s: &str| crate::untrusted::escape(s).into_owned();
        let mut tree = format!(
            "{}.{} [{}]",
            esc(&c.parent.schema),
            esc(&c.parent.name),
            esc(&c.silo)
        );
        for s in &c.steps {
            let verb = step_verb(s.action);
            tree.push('\n');
            tree.push_str(&"  ".repeat(s.depth));
            tree.push_str(&format!(
                "└ {verb} {}.{} [{}] via {}{}",
                esc(&s.child.schema),
                esc(&s.child.name),
                esc(&s.child_silo),
                esc(&s.constraint),
                if s.crosses { "  ✗" } else { "" }
            ));
            if s.again {
                tree.push_str(" (reached above)");
            }
        }
        if c.omitted > 0 {
            tree.push_str(&format!(
                "\n  … and {} more steps: `silo-plan explain {}` lists them all",
                c.omitted,
                esc(&c.parent.to_string())
            ));
        }
        format!(
            "\n### `{}` ({})\n\n```\n{}\n```\n",
            esc(&c.parent.to_string().replace('`', "'")),
            cell(&c.silo),
            tree.replace("```", "'''")
        )
    }

    #[test]
    fn fences_are_found_where_contains_finds_them() {
        for s in [
            "", "`", "``", "```", "a`b`c``d", "x``` y", "`` `` ``", "é``é`", "a ``` ``",
        ] {
            assert_eq!(has_fence(s), s.contains("```"), "{s:?}");
        }
    }

    #[test]
    fn rows_written_straight_are_those_built_as_strings() {
        use crate::catalog::FkAction;
        use crate::plan::{Closure, ClosureStep, CrossingKey, PlannedCrossing};
        let odd = [
            "plain",
            "a|b",
            "line\nbreak\r",
            "tick`s",
            "fence```x",
            "``",
            "é|",
            "",
        ];
        let mut crossings = Vec::new();
        for (i, name) in odd.iter().enumerate() {
            let other = odd[(i + 3) % odd.len()];
            crossings.push(PlannedCrossing {
                key: CrossingKey {
                    constraint: format!("fk_{name}"),
                    child: QName::new(*name, other),
                    child_columns: vec![name.to_string(), other.to_string()],
                    child_silo: other.to_string(),
                    parent: QName::new(other, *name),
                    parent_columns: vec![other.to_string()],
                    parent_silo: name.to_string(),
                },
                declared_on_delete: FkAction::SetNull,
                declared_on_delete_columns: if i % 2 == 0 {
                    vec![name.to_string()]
                } else {
                    Vec::new()
                },
                on_delete: EdgeAction::SetNull,
                set_columns: if i % 3 == 0 {
                    Vec::new()
                } else {
                    vec![other.to_string(), name.to_string()]
                },
                decided_by: "declared".into(),
                replication: format!("how {name}"),
                allowed: (i % 2 == 1).then(|| "why".to_string()),
                file: format!("dump{other}.sql"),
                line: 7 + i as u32,
                kind: [
                    crate::references::Kind::Constraint,
                    crate::references::Kind::Declared,
                    crate::references::Kind::Inferred,
                ][i % 3],
                rule: (i % 3 == 2).then_some(crate::references::Rule::Rails),
                confidence: (i % 3 == 2).then_some(crate::references::Confidence(90)),
                orm: None,
            });
        }
        let want: String = crossings.iter().map(crossing_row_as_strings).collect();
        assert_eq!(CrossingRows(&crossings).to_string(), want);

        let mut closures = Vec::new();
        for (i, name) in odd.iter().enumerate() {
            let other = odd[(i + 5) % odd.len()];
            closures.push(Closure {
                parent: QName::new(other, format!("{name}`")),
                silo: name.to_string(),
                steps: (0..4)
                    .map(|d| ClosureStep {
                        depth: d + 1,
                        constraint: format!("c{d}{other}``").into(),
                        child: QName::new(*name, other).into(),
                        child_silo: other.into(),
                        action: [EdgeAction::Cascade, EdgeAction::SetDefault][d % 2],
                        crosses: d % 2 == 0,
                        again: d == 3,
                    })
                    .collect(),
                omitted: i % 2,
            });
        }
        let want: String = closures.iter().map(closure_as_strings).collect();
        assert_eq!(Closures(&closures).to_string(), want);
    }
}
