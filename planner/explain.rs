//! `explain TABLE`: a table's silo and why, its edges, and the transitive cascade closure of
//! deleting one of its rows, across in-silo and cross-silo edges.

use std::collections::BTreeSet;
use std::fmt::Write;

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
    /// The child was already reached on this path (a cycle); not followed further.
    pub cycle: bool,
}

fn silo_name(asg: &Assignment, q: &QName) -> String {
    match asg.silo_of(q) {
        Some(Placement::Silo(s)) => s.clone(),
        Some(Placement::Shared) => "shared".into(),
        _ => "unassigned".into(),
    }
}

/// The cascade closure of deleting one row of `table`, depth first, in catalog order.
pub fn closure(
    cat: &Catalog,
    cfg: &Config,
    asg: &Assignment,
    rules: &RuleMatches,
    graph: &Graph,
    table: &QName,
) -> Vec<Hop> {
    let mut out = Vec::new();
    let mut path = BTreeSet::new();
    path.insert(table.clone());
    walk(cat, cfg, asg, rules, graph, table, 1, &mut path, &mut out);
    out
}

#[allow(clippy::too_many_arguments)]
fn walk(
    cat: &Catalog,
    cfg: &Config,
    asg: &Assignment,
    rules: &RuleMatches,
    graph: &Graph,
    parent: &QName,
    depth: usize,
    path: &mut BTreeSet<QName>,
    out: &mut Vec<Hop>,
) {
    for k in graph.children(parent) {
        let fk = &cat.foreign_keys[k];
        let (action, source) = effective_action(cat, cfg, rules, k);
        let crosses = silo_name(asg, &fk.table) != silo_name(asg, parent);
        let cycle = path.contains(&fk.table);
        out.push(Hop {
            fk: k,
            action,
            source,
            crosses,
            depth,
            cycle,
        });
        if action == EdgeAction::Cascade && !cycle {
            path.insert(fk.table.clone());
            walk(cat, cfg, asg, rules, graph, &fk.table, depth + 1, path, out);
            path.remove(&fk.table);
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
    let silo = silo_name(asg, table);
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
        let ps = silo_name(asg, &fk.references);
        let mark = if ps != silo {
            "  ✗ crosses silos"
        } else {
            ""
        };
        let (action, _) = effective_action(cat, cfg, rules, k);
        let _ = writeln!(
            o,
            "  {} ({}) → {}({}) [{ps}] on delete {}{mark}",
            fk.name,
            fk.columns.join(", "),
            fk.references,
            fk.referenced_columns.join(", "),
            action.as_str()
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
    for k in &children {
        let fk = &cat.foreign_keys[*k];
        let cs = silo_name(asg, &fk.table);
        let mark = if cs != silo {
            "  ✗ crosses silos"
        } else {
            ""
        };
        let (action, _) = effective_action(cat, cfg, rules, *k);
        let _ = writeln!(
            o,
            "  {}({}) [{cs}] via {} on delete {}{mark}",
            fk.table,
            fk.columns.join(", "),
            fk.name,
            action.as_str()
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
        };
        let cross = if h.crosses {
            crossings += 1;
            format!(
                "  ✗ crosses {} → {}",
                silo_name(asg, &fk.references),
                silo_name(asg, &fk.table)
            )
        } else {
            String::new()
        };
        let cycle = if h.cycle {
            " (cycle: not followed)"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "{indent}└ {verb} {}({}) [{}] via {} ({src}){cross}{cycle}",
            fk.table,
            fk.columns.join(", "),
            silo_name(asg, &fk.table),
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
