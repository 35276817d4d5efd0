//! `explain TABLE`: a table's silo and why, its edges, and the transitive cascade closure of
//! deleting one of its rows, across in-silo and cross-silo edges.

use std::fmt::Write;

use petgraph::graph::NodeIndex;

use crate::assign::{Assignment, Placement, RuleMatches};
use crate::catalog::{Catalog, QName};
use crate::check::{effective_action, ActionSource};
use crate::config::{Config, EdgeAction};
use crate::graph::Graph;

/// One step of a cascade: the foreign key followed and what happens to the child rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// Index into [`Catalog::foreign_keys`].
    pub fk: usize,
    /// Effective action.
    pub action: EdgeAction,
    /// Where the action came from.
    pub source: ActionSource,
    /// Child silo differs from parent silo.
    pub crosses: bool,
    /// Nesting depth (1 = a direct child).
    pub depth: usize,
    /// The child was already reached in this closure (another path, or a cycle): listed, not
    /// followed again.
    pub cycle: bool,
}

/// The cascade closure of deleting one row of `table`, depth first, in catalog order. Each
/// table's children are expanded once: a table reached again (by another path, or a cycle) is
/// listed with `cycle` set and not followed, so the closure is linear in the edges it reaches.
pub fn closure(
    cat: &Catalog,
    cfg: &Config,
    asg: &Assignment,
    rules: &RuleMatches,
    graph: &Graph,
    table: &QName,
) -> Vec<Hop> {
    closure_limited(cat, cfg, asg, rules, graph, table, usize::MAX).0
}

/// [`closure`] stopped after `limit` steps; also returns how many steps were left out.
pub fn closure_limited<'a>(
    cat: &'a Catalog,
    cfg: &'a Config,
    asg: &'a Assignment,
    rules: &'a RuleMatches,
    graph: &'a Graph,
    table: &'a QName,
    limit: usize,
) -> (Vec<Hop>, usize) {
    let mut w = ClosureWalk::default();
    let omitted = w.walk(cat, cfg, asg, rules, graph, table, limit).1;
    (w.out, omitted)
}

/// [`closure_limited`] for many tables in a row, keeping its buffers (the tables walked and the
/// steps) between walks: a plan walks the closure of every parent of a crossing, 50,000 of
/// them at 100,000 tables, and a fresh set and list each time were grown step by step.
#[derive(Debug, Default)]
pub struct ClosureWalk {
    seen: rustc_hash::FxHashSet<NodeIndex>,
    out: Vec<Hop>,
}

impl ClosureWalk {
    /// The closure of `table` as [`closure_limited`] returns it, borrowed until the next walk.
    #[allow(clippy::too_many_arguments)]
    pub fn walk<'w>(
        &'w mut self,
        cat: &Catalog,
        cfg: &Config,
        asg: &Assignment,
        rules: &RuleMatches,
        graph: &Graph,
        table: &QName,
        limit: usize,
    ) -> (&'w [Hop], usize) {
        self.seen.clear();
        self.out.clear();
        let mut w = Walk {
            cat,
            cfg,
            asg,
            rules,
            graph,
            seen: std::mem::take(&mut self.seen),
            out: std::mem::take(&mut self.out),
            limit,
            omitted: 0,
        };
        // A table the graph does not have has no children.
        if let Some(n) = graph.table_node(table) {
            w.seen.insert(n);
            w.walk(n, asg.silo_name(table), 1);
        }
        self.seen = w.seen;
        self.out = w.out;
        (&self.out, w.omitted)
    }
}

struct Walk<'a> {
    cat: &'a Catalog,
    cfg: &'a Config,
    asg: &'a Assignment,
    rules: &'a RuleMatches,
    graph: &'a Graph,
    /// Tables whose children are (being) listed, by graph node: the walk runs once per parent
    /// of every crossing, and follows node indices and the assignment's per-key placements, so
    /// that a step hashes no name.
    seen: rustc_hash::FxHashSet<NodeIndex>,
    out: Vec<Hop>,
    limit: usize,
    omitted: usize,
}

impl<'a> Walk<'a> {
    fn walk(&mut self, parent: NodeIndex, parent_silo: &'a str, depth: usize) {
        for &k in self.graph.children_at(parent) {
            if self.out.len() >= self.limit {
                self.omitted += 1;
                continue;
            }
            let fk = &self.cat.foreign_keys[k];
            let (action, source) = effective_action(self.cat, self.cfg, self.rules, k);
            let child_silo = self
                .asg
                .fk_placements(k, fk)
                .0
                .map_or("unassigned", Placement::name);
            let child = self.graph.fk_child(k);
            let crosses = child_silo != parent_silo;
            let cycle = self.seen.contains(&child);
            self.out.push(Hop {
                fk: k,
                action,
                source,
                crosses,
                depth,
                cycle,
            });
            if action == EdgeAction::Cascade && !cycle {
                self.seen.insert(child);
                self.walk(child, child_silo, depth + 1);
            }
        }
    }
}

/// The `explain` text for `table`.
pub fn text(
    cat: &Catalog,
    cfg: &Config,
    asg: &Assignment,
    rules: &RuleMatches,
    graph: &Graph,
    table: &QName,
) -> String {
    let mut o = String::new();
    let silo = asg.silo_name(table);
    let why = match asg.tables.get(table) {
        Some(d) => match (&d.pattern, &d.via) {
            (_, Some(parent)) => format!("follows its partitioned parent {parent}"),
            (Some(p), None) => format!(
                "pattern \"{}\" at {}:{}:{}",
                p.text, cfg.path, p.pos.line, p.pos.column
            ),
            (None, None) => "no pattern matches it".to_string(),
        },
        None => "not a table of this dump".to_string(),
    };
    let _ = writeln!(o, "{table}: silo {silo} ({why})");
    if let Some(t) = cat.table(table) {
        let file = cat
            .files
            .get(t.span.file as usize)
            .map_or("", |s| s.as_str());
        let _ = writeln!(o, "  defined at {file}:{}", t.span.line);
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "references (outgoing foreign keys):");
    let mut any = false;
    for (k, fk) in cat
        .foreign_keys
        .iter()
        .enumerate()
        .filter(|(_, f)| f.table == *table)
    {
        any = true;
        let ps = asg.silo_name(&fk.references);
        let mark = if ps != silo {
            "  ✗ crosses silos"
        } else {
            ""
        };
        let (action, _) = effective_action(cat, cfg, rules, k);
        let _ = writeln!(
            o,
            "  {} ({}) → {}({}) [{ps}] on delete {}{}{mark}",
            fk.name,
            fk.columns.join(", "),
            fk.references,
            fk.referenced_columns.join(", "),
            action.as_str(),
            set_list(fk, action)
        );
    }
    if !any {
        let _ = writeln!(o, "  (none)");
    }
    let _ = writeln!(o, "referenced by (incoming foreign keys):");
    let children = graph.children(table);
    if children.is_empty() {
        let _ = writeln!(o, "  (none)");
    }
    for k in children {
        let fk = &cat.foreign_keys[*k];
        let cs = asg.silo_name(&fk.table);
        let mark = if cs != silo {
            "  ✗ crosses silos"
        } else {
            ""
        };
        let (action, _) = effective_action(cat, cfg, rules, *k);
        let _ = writeln!(
            o,
            "  {}({}) [{cs}] via {} on delete {}{}{mark}",
            fk.table,
            fk.columns.join(", "),
            fk.name,
            action.as_str(),
            set_list(fk, action)
        );
    }
    let _ = writeln!(o);
    let hops = closure(cat, cfg, asg, rules, graph, table);
    let _ = writeln!(o, "deleting one row of {table} [{silo}]:");
    if hops.is_empty() {
        let _ = writeln!(o, "  affects no other table");
    }
    let mut crossings = 0;
    for h in &hops {
        let fk = &cat.foreign_keys[h.fk];
        let indent = "  ".repeat(h.depth);
        let verb = match h.action {
            EdgeAction::Cascade => "deletes rows of",
            EdgeAction::SetNull => "sets NULL in",
            EdgeAction::SetDefault => "sets DEFAULT in",
            EdgeAction::Restrict => "is refused while rows exist in",
            EdgeAction::Ignore => "leaves (ignored) rows of",
        };
        let src = match &h.source {
            ActionSource::Declared => "declared",
            ActionSource::Override(_) => "[[edges]] override",
            ActionSource::Default => "default, dump says NO ACTION",
            other => other.text(),
        };
        let cross = if h.crosses {
            crossings += 1;
            format!(
                "  ✗ crosses {} → {}",
                asg.silo_name(&fk.references),
                asg.silo_name(&fk.table)
            )
        } else {
            String::new()
        };
        let cycle = if h.cycle && h.action == EdgeAction::Cascade {
            " (already reached above: not followed again)"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "{indent}└ {verb} {}({}) [{}] via {} ({src}){cross}{cycle}",
            fk.table,
            // What the step writes: a `SET NULL (cols)` key sets only its listed columns.
            match h.action {
                EdgeAction::SetNull | EdgeAction::SetDefault => fk.delete_set_columns().join(", "),
                _ => fk.columns.join(", "),
            },
            asg.silo_name(&fk.table),
            fk.name
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{} steps, {crossings} of them cross a silo boundary",
        hops.len()
    );
    o
}

/// ` (cols)` for a set-null / set-default key that lists the columns it sets (Postgres 15+).
fn set_list(fk: &crate::catalog::ForeignKey, action: EdgeAction) -> String {
    match action {
        EdgeAction::SetNull | EdgeAction::SetDefault if !fk.on_delete_columns.is_empty() => {
            format!(" ({})", fk.on_delete_columns.join(", "))
        }
        _ => String::new(),
    }
}
