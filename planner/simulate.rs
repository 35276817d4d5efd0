//! `silo-plan simulate`: SQL that makes the monolith enforce the silo boundaries.
//!
//! One `NOLOGIN` role per silo (`<prefix><silo>`), granted exactly what that silo will hold after
//! the split: its own tables and the shared ones (partitions included), the sequences they use,
//! the views that read only those, `USAGE` on their schemas, `EXECUTE` on the functions of those
//! schemas. A test suite that runs with `SET ROLE <prefix><silo>` then fails with Postgres's own
//! `permission denied for table X` (SQLSTATE 42501) wherever a code path crosses into another
//! silo.
//!
//! Decisions (also written in the script's header and in the README):
//!
//! * **Table privileges**: `SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES`; not `TRIGGER`
//!   (DDL). `TRUNCATE` is granted because test suites truncate their own tables between tests;
//!   `TRUNCATE ... CASCADE` into another silo's table then fails, as it should.
//! * **Views**: `SELECT` on a view whose reads (through other views, transitively) are all tables
//!   of the silo or shared. A view reading two silos is granted to no role: reading it crosses.
//!   Postgres checks a view's underlying tables as the view owner, so granting a crossing view
//!   would hide the crossing.
//! * **Sequences**: `USAGE, SELECT, UPDATE` on every sequence owned by or feeding a column of a
//!   table the role holds (`OWNED BY` and `nextval` defaults from the dump).
//! * **Functions**: `EXECUTE ON ALL FUNCTIONS IN SCHEMA` for the role's schemas. Postgres grants
//!   `EXECUTE` to `PUBLIC` by default anyway; the boundary is enforced where a (security invoker)
//!   function body touches a table, as the calling role. `SECURITY DEFINER` functions run as
//!   their owner and are not checked.
//! * **Schemas**: `USAGE` on the schemas of everything granted, and on schemas that hold no
//!   relation at all (helper functions and types).
//! * **Re-running** after the map changed: one transaction first revokes everything from every
//!   silo role in every schema of the dump, then grants; other sessions see the old grants until
//!   `COMMIT` and the new ones after, never a state in between.
//!
//! Not simulated: foreign key checks and `ON DELETE` cascades run as the table owner, so
//! cross-silo foreign keys and cascades do not fail in silo mode (`check` and the plan cover
//! them).

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;

use crate::assign::{Assignment, Placement};
use crate::catalog::QName;
use crate::ident::{comment_text, ident, literal, qualified};
use crate::plan::Input;

/// Default role name prefix (`--prefix`).
pub const DEFAULT_PREFIX: &str = "silo_";

/// Table privileges granted to a silo role, in the order written.
pub const TABLE_PRIVILEGES: &str = "SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES";

/// Options of `simulate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Role name prefix: the role of silo `region` is `<prefix>region`.
    pub prefix: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            prefix: DEFAULT_PREFIX.to_string(),
        }
    }
}

/// Why the simulation cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulateError(pub String);

impl std::fmt::Display for SimulateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SimulateError {}

/// What one silo's role is granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiloRole {
    /// The silo.
    pub silo: String,
    /// The role name (unquoted).
    pub role: String,
    /// The silo's own tables (partitions included), sorted.
    pub tables: Vec<QName>,
    /// Shared tables, sorted.
    pub shared: Vec<QName>,
    /// Views and materialized views reading only the role's tables, sorted.
    pub views: Vec<QName>,
    /// Sequences of the role's tables, sorted.
    pub sequences: Vec<QName>,
    /// Schemas granted `USAGE` (and `EXECUTE` on their functions), sorted.
    pub schemas: Vec<String>,
}

/// A view granted to no role, and the silos it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossingView {
    /// The view.
    pub view: QName,
    /// Silos (and `unassigned`) of the tables it reads, sorted.
    pub silos: Vec<String>,
}

/// A function whose body names tables of more than one silo: calling it fails in silo mode
/// (unless `SECURITY DEFINER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossingFunction {
    /// The function.
    pub function: QName,
    /// Silos of the tables its body names, sorted.
    pub silos: Vec<String>,
}

/// The whole simulation, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulation {
    /// The config file, for the header.
    pub config: String,
    /// One role per silo, in config order.
    pub roles: Vec<SiloRole>,
    /// Every schema of the dump, sorted: where re-running revokes first.
    pub schemas: Vec<String>,
    /// Views granted to no role.
    pub crossing_views: Vec<CrossingView>,
    /// Functions whose bodies name tables of several silos.
    pub crossing_functions: Vec<CrossingFunction>,
    /// Tables in no silo: no role may touch them.
    pub unassigned: Vec<QName>,
}

fn valid_prefix(p: &str) -> bool {
    p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Builds the simulation for a resolved silo map.
pub fn build(input: &Input, opts: &Options) -> Result<Simulation, SimulateError> {
    let Input {
        cat,
        cfg,
        asg,
        graph,
        ..
    } = *input;
    if !valid_prefix(&opts.prefix) {
        return Err(SimulateError(format!(
            "--prefix {:?}: use only ASCII letters, digits and `_`",
            opts.prefix
        )));
    }
    for s in &cfg.silos {
        let role = format!("{}{}", opts.prefix, s.name);
        if role.len() > 63 {
            return Err(SimulateError(format!(
                "role name `{role}` is longer than 63 bytes (Postgres would truncate it): \
                 use a shorter --prefix"
            )));
        }
    }
    let views: BTreeMap<&QName, &crate::catalog::View> =
        cat.views.iter().map(|v| (&v.name, v)).collect();

    // The placements a view reads, through other views.
    fn view_silos(
        v: &QName,
        views: &BTreeMap<&QName, &crate::catalog::View>,
        asg: &Assignment,
        seen: &mut BTreeSet<QName>,
        out: &mut BTreeSet<Placement>,
    ) {
        if !seen.insert(v.clone()) {
            return;
        }
        let Some(view) = views.get(v) else { return };
        for r in &view.reads {
            if views.contains_key(r) {
                view_silos(r, views, asg, seen, out);
            } else {
                out.insert(asg.silo_of(r).cloned().unwrap_or(Placement::Unassigned));
            }
        }
    }

    let mut schemas: BTreeSet<String> = cat.schemas.iter().map(|s| s.name.clone()).collect();
    let mut relation_schemas: BTreeSet<&str> = BTreeSet::new();
    for t in &cat.tables {
        schemas.insert(t.schema.clone());
        relation_schemas.insert(&t.schema);
    }
    for v in &cat.views {
        schemas.insert(v.name.schema.clone());
        relation_schemas.insert(&v.name.schema);
    }
    for s in &cat.sequences {
        schemas.insert(s.name.schema.clone());
        relation_schemas.insert(&s.name.schema);
    }
    for f in &cat.functions {
        schemas.insert(f.name.schema.clone());
    }
    for t in &cat.types {
        schemas.insert(t.name.schema.clone());
    }
    let helper_schemas: Vec<String> = schemas
        .iter()
        .filter(|s| !relation_schemas.contains(s.as_str()))
        .cloned()
        .collect();

    let shared: Vec<QName> = asg
        .tables
        .iter()
        .filter(|(_, d)| d.placement == Placement::Shared)
        .map(|(q, _)| q.clone())
        .collect();

    let mut roles = Vec::new();
    for s in &cfg.silos {
        let mine = Placement::Silo(s.name.clone());
        let tables: Vec<QName> = asg
            .tables
            .iter()
            .filter(|(_, d)| d.placement == mine)
            .map(|(q, _)| q.clone())
            .collect();
        // What the role holds: its silo's tables and the shared ones (asked of the assignment
        // by hash, not of a set of every such name).
        let held =
            |t: &QName| matches!(asg.silo_of(t), Some(p) if *p == mine || *p == Placement::Shared);
        let mut granted_views = Vec::new();
        for v in &cat.views {
            let mut out = BTreeSet::new();
            view_silos(&v.name, &views, asg, &mut BTreeSet::new(), &mut out);
            if out.iter().all(|p| *p == mine || *p == Placement::Shared) {
                granted_views.push(v.name.clone());
            }
        }
        granted_views.sort();
        let mut sequences: Vec<QName> = cat
            .sequences
            .iter()
            .filter(|q| {
                q.owned_by
                    .iter()
                    .chain(q.used_by.iter())
                    .any(|c| held(&c.table))
            })
            .map(|q| q.name.clone())
            .collect();
        sequences.sort();
        sequences.dedup();
        let mut role_schemas: BTreeSet<&str> = helper_schemas.iter().map(String::as_str).collect();
        for q in tables
            .iter()
            .chain(&shared)
            .chain(&granted_views)
            .chain(&sequences)
        {
            role_schemas.insert(&q.schema);
        }
        let role_schemas: Vec<String> = role_schemas.into_iter().map(str::to_string).collect();
        roles.push(SiloRole {
            silo: s.name.clone(),
            role: format!("{}{}", opts.prefix, s.name),
            tables,
            shared: shared.clone(),
            views: granted_views,
            sequences,
            schemas: role_schemas,
        });
    }

    let mut crossing_views = Vec::new();
    for v in &cat.views {
        if roles.iter().any(|r| r.views.contains(&v.name)) {
            continue;
        }
        let mut out = BTreeSet::new();
        view_silos(&v.name, &views, asg, &mut BTreeSet::new(), &mut out);
        out.remove(&Placement::Shared);
        crossing_views.push(CrossingView {
            view: v.name.clone(),
            silos: out.iter().map(|p| p.name().to_string()).collect(),
        });
    }
    crossing_views.sort_by(|a, b| a.view.cmp(&b.view));

    let mut crossing_functions = Vec::new();
    let fnames: BTreeSet<&QName> = cat.functions.iter().map(|f| &f.name).collect();
    for f in fnames {
        let silos: BTreeSet<String> = graph
            .mentions(f)
            .iter()
            .filter_map(|t| match asg.silo_of(t) {
                Some(Placement::Silo(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let triggered_from: BTreeSet<String> = cat
            .triggers
            .iter()
            .filter(|t| &t.function == f)
            .filter_map(|t| match asg.silo_of(&t.table) {
                Some(Placement::Silo(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let all: BTreeSet<String> = silos.union(&triggered_from).cloned().collect();
        if all.len() > 1 {
            crossing_functions.push(CrossingFunction {
                function: f.clone(),
                silos: all.into_iter().collect(),
            });
        }
    }

    let unassigned = asg
        .tables
        .iter()
        .filter(|(_, d)| d.placement == Placement::Unassigned)
        .map(|(q, _)| q.clone())
        .collect();

    Ok(Simulation {
        config: cfg.path.clone(),
        roles,
        schemas: schemas.into_iter().collect(),
        crossing_views,
        crossing_functions,
        unassigned,
    })
}

// ---------------------------------------------------------------------------------------------
// Rendering.

pub use crate::render::RenderError;

/// One role, laid out: every name already quoted.
struct RoleView {
    /// Quoted role name.
    role: String,
    /// The role name as a string literal.
    role_literal: String,
    silo: String,
    /// Comment lines: what it holds.
    summary: Vec<String>,
    tables: Vec<String>,
    views: Vec<String>,
    sequences: Vec<String>,
    schemas: Vec<String>,
}

#[derive(Template)]
#[template(path = "simulate/roles.sql", escape = "none")]
struct RolesSql {
    config: String,
    roles: Vec<RoleView>,
    /// `a, b` quoted role names, for `REVOKE ... FROM`.
    all_roles: String,
    example_role: String,
    schemas: Vec<String>,
    notes: Vec<String>,
    privileges: &'static str,
}

#[derive(Template)]
#[template(path = "simulate/reset.sql", escape = "none")]
struct ResetSql {
    config: String,
    roles: Vec<RoleView>,
}

fn names(v: &[QName]) -> Vec<String> {
    v.iter().map(qualified).collect()
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Names one per line: every one but the last followed by a comma.
fn listed(mut v: Vec<String>) -> Vec<String> {
    let n = v.len();
    for s in v.iter_mut().take(n.saturating_sub(1)) {
        s.push(',');
    }
    v
}

/// `--` comment lines of `text` wrapped at 100 columns; continuation lines indented by `indent`.
fn wrap(text: &str, indent: usize) -> Vec<String> {
    let text = comment_text(text);
    let mut lines = Vec::new();
    let mut line = String::from("--");
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if line.len() > 2 + indent && line.len() + 1 + word.len() > 100 {
            lines.push(std::mem::take(&mut line));
            line = format!("--{}", " ".repeat(indent));
        }
        line.push(' ');
        line.push_str(word);
    }
    lines.push(line);
    lines
}

fn role_views(sim: &Simulation) -> Vec<RoleView> {
    sim.roles
        .iter()
        .map(|r| {
            let mut summary = wrap(
                &format!(
                    "{}: {} of silo `{}`, {} shared, {}, {}, {}.",
                    r.role,
                    plural(r.tables.len(), "table"),
                    r.silo,
                    r.shared.len(),
                    plural(r.views.len(), "view"),
                    plural(r.sequences.len(), "sequence"),
                    plural(r.schemas.len(), "schema")
                ),
                0,
            );
            if !r.views.is_empty() {
                summary.extend(wrap(
                    &format!(
                        "Views wholly inside the silo: {}.",
                        r.views
                            .iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    0,
                ));
            }
            let mut tables = names(&r.tables);
            tables.extend(names(&r.shared));
            RoleView {
                role: ident(&r.role),
                role_literal: literal(&r.role),
                silo: comment_text(&r.silo),
                summary,
                tables: listed(tables),
                views: listed(names(&r.views)),
                sequences: listed(names(&r.sequences)),
                schemas: r.schemas.iter().map(|s| ident(s)).collect(),
            }
        })
        .collect()
}

fn notes(sim: &Simulation) -> Vec<String> {
    let mut out = Vec::new();
    for v in &sim.crossing_views {
        out.extend(wrap(
            &format!(
                "* view {} reads {}: reading it fails in every silo.",
                v.view,
                v.silos.join(" and ")
            ),
            2,
        ));
    }
    for f in &sim.crossing_functions {
        out.extend(wrap(
            &format!(
                "* function {} (or a trigger running it) touches {}: running it fails in \
                 silo mode unless it is SECURITY DEFINER.",
                f.function,
                f.silos.join(" and ")
            ),
            2,
        ));
    }
    if !sim.unassigned.is_empty() {
        out.extend(wrap(
            &format!(
                "* {} tables in no silo: {}.",
                sim.unassigned.len(),
                sim.unassigned
                    .iter()
                    .map(|q| q.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            2,
        ));
    }
    if out.is_empty() {
        out.push("-- * nothing.".to_string());
    }
    out
}

/// The roles-and-grants script (`simulate/roles.sql`).
pub fn roles_sql(sim: &Simulation) -> Result<String, RenderError> {
    let roles = role_views(sim);
    let all_roles = roles
        .iter()
        .map(|r| r.role.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let example_role = roles.last().map(|r| r.role.clone()).unwrap_or_default();
    let t = RolesSql {
        config: comment_text(&sim.config),
        all_roles,
        example_role,
        schemas: sim.schemas.iter().map(|s| ident(s)).collect(),
        notes: notes(sim),
        roles,
        privileges: TABLE_PRIVILEGES,
    };
    t.render()
        .map_err(|e| RenderError(format!("simulate/roles.sql: {e}")))
}

/// The script that removes every role `roles_sql` created (`simulate --reset`).
pub fn reset_sql(sim: &Simulation) -> Result<String, RenderError> {
    let t = ResetSql {
        config: comment_text(&sim.config),
        roles: role_views(sim),
    };
    t.render()
        .map_err(|e| RenderError(format!("simulate/reset.sql: {e}")))
}
