//! plan.md's "Start here": the order of work, each step with links to the files it uses. The
//! prose is in `templates/plan.md`; this module only says which of the files this plan writes
//! (a plan with no crossing writes no cascades, one where nothing moves no phases), so that no
//! link points at a file that is not there. Links are relative to plan.md, at the root of the
//! output directory.

use crate::plan::Plan;

/// A link to a file of the plan directory, as Markdown: `` [`path`](path) ``.
pub(super) fn link(path: &str) -> String {
    format!("[`{path}`]({path})")
}

/// What "Start here" links to.
pub(super) struct StartHere {
    /// Crossings: constraints and references without one.
    pub crossings: usize,
    /// Crossing foreign-key constraints (`fks/drop.sql` breaks them).
    pub constraints: usize,
    /// Other findings.
    pub findings: usize,
    /// `cascades/<silo>.sql` and `cascades/<silo>.replication.sql` as written, as links.
    pub cascades: Vec<String>,
    /// `silos/<silo>/schema.sql`, as links.
    pub schemas: Vec<String>,
    /// Whether `phases/` is written.
    pub phases: bool,
}

impl StartHere {
    /// The links of `plan`, as `render_each` writes its files.
    pub(super) fn new(plan: &Plan) -> StartHere {
        let mut cascades = Vec::new();
        for c in plan.cascades.iter().filter(|c| !c.is_empty()) {
            cascades.push(link(&format!("cascades/{}.sql", c.silo)));
            if !c.producers.is_empty() || !c.edges.is_empty() {
                cascades.push(link(&format!("cascades/{}.replication.sql", c.silo)));
            }
        }
        StartHere {
            crossings: plan.crossings.len(),
            constraints: plan
                .crossings
                .iter()
                .filter(|c| c.kind == crate::references::Kind::Constraint)
                .count(),
            findings: plan.findings.len(),
            cascades,
            schemas: plan
                .schemas
                .iter()
                .map(|s| link(&format!("silos/{}/schema.sql", s.silo)))
                .collect(),
            phases: !plan.phases.phases.is_empty(),
        }
    }
}
