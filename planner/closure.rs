//! The cascade closure of deleting one row of a table: every foreign key a delete reaches,
//! through cascades, with the effective action of each and whether it crosses silos. `explain`
//! prints it; `plan` walks it for every parent of a crossing.

use petgraph::graph::NodeIndex;

use crate::assign::Placement;
use crate::catalog::QName;
use crate::check::{effective_action, ActionSource};
use crate::config::EdgeAction;
use crate::plan::Input;

/// One step of a cascade: the foreign key followed and what happens to the child rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// Index into [`crate::catalog::Catalog::foreign_keys`].
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
pub fn closure(input: &Input, table: &QName) -> Vec<Hop> {
    closure_limited(input, table, usize::MAX).0
}

/// [`closure`] stopped after `limit` steps; also returns how many steps were left out.
pub fn closure_limited(input: &Input, table: &QName, limit: usize) -> (Vec<Hop>, usize) {
    let mut w = ClosureWalk::default();
    let omitted = w.walk(input, table, limit).1;
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
    pub fn walk<'w>(
        &'w mut self,
        input: &Input,
        table: &QName,
        limit: usize,
    ) -> (&'w [Hop], usize) {
        self.seen.clear();
        self.out.clear();
        let mut w = Walk {
            input,
            seen: std::mem::take(&mut self.seen),
            out: std::mem::take(&mut self.out),
            limit,
            omitted: 0,
        };
        // A table the graph does not have has no children.
        if let Some(n) = input.graph.table_node(table) {
            w.seen.insert(n);
            w.walk(n, input.asg.silo_name(table), 1);
        }
        self.seen = w.seen;
        self.out = w.out;
        (&self.out, w.omitted)
    }
}

struct Walk<'i, 'a> {
    input: &'i Input<'a>,
    /// Tables whose children are (being) listed, by graph node: the walk runs once per parent
    /// of every crossing, and follows node indices and the assignment's per-key placements, so
    /// that a step hashes no name.
    seen: rustc_hash::FxHashSet<NodeIndex>,
    out: Vec<Hop>,
    limit: usize,
    omitted: usize,
}

impl<'a> Walk<'_, 'a> {
    fn walk(&mut self, parent: NodeIndex, parent_silo: &'a str, depth: usize) {
        let Input {
            cat,
            cfg,
            asg,
            rules,
            graph,
            ..
        } = *self.input;
        for &k in graph.children_at(parent) {
            if self.out.len() >= self.limit {
                self.omitted += 1;
                continue;
            }
            let fk = &cat.foreign_keys[k];
            let (action, source) = effective_action(cat, cfg, rules, k);
            let child_silo = asg
                .fk_placements(k, fk)
                .0
                .map_or("unassigned", Placement::name);
            let child = graph.fk_child(k);
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
