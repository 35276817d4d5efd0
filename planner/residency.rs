//! Data residency: a silo that runs once per region (`[silos.X] instances = [...]`) and its
//! `tenant`, the table whose rows are placed in an instance (`org_organization`).
//!
//! A row of such a silo lives in the instance of the tenant row it belongs to, and it belongs to
//! one only through a chain of references up to the tenant: `org_project.organization_id →
//! org_organization`, `proj_key.project_id → org_project.organization_id → org_organization`.
//! [`tenants`] walks the object graph every stage uses ([`crate::graph`]: every foreign key of
//! the catalog) from the tenant down to its children, within the silo, and returns each
//! table's first path (fewest hops; between equal paths, the first key in catalog order); a
//! partition belongs where its partitioned parent does. The silo's tables the walk does not
//! reach are listed too: with several instances their rows cannot be placed, which `check`
//! reports (SP017, [`findings`]).
//!
//! Plain data and pure functions: no I/O.

use std::collections::{BTreeMap, VecDeque};

use schemars::JsonSchema;
use serde::Serialize;

use crate::assign::{Assignment, Placement};
use crate::catalog::{Catalog, QName};
use crate::config::{backticked, nearest, Config, ConfigError, Silo};
use crate::findings::{Code, Finding, Location, Related, Severity};
use crate::graph::Graph;

/// One step of a path up to the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TenantHop {
    /// The table the step starts from.
    pub child: QName,
    /// The foreign key followed; omitted when `child` is a partition of `parent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// The key's child columns (empty for a partition).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// The table it leads to.
    pub parent: QName,
}

/// A table of the tenant's closure and how it reaches the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TenantTable {
    /// The table.
    pub table: QName,
    /// The path from it up to the tenant, first step first (never empty).
    pub path: Vec<TenantHop>,
}

/// A silo's tenant, the tables it places in an instance, and the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Tenant {
    /// The silo.
    pub silo: String,
    /// Its instances (empty for one instance).
    pub instances: Vec<String>,
    /// The tenant table.
    pub tenant: QName,
    /// Every other table of the silo reachable from the tenant by references, sorted.
    pub reachable: Vec<TenantTable>,
    /// The silo's tables not reachable from it, sorted: with several instances their rows
    /// cannot be placed in one.
    pub unreachable: Vec<QName>,
}

/// The table a `tenant` value names: `table` in `default_schema`, or `schema.table`.
fn tenant_name(text: &str, default_schema: &str) -> QName {
    match text.split_once('.') {
        Some((s, t)) => QName::new(s, t),
        None => QName::new(default_schema, text),
    }
}

fn display(q: &QName, default_schema: &str) -> String {
    if q.schema == default_schema {
        q.name.clone()
    } else {
        q.to_string()
    }
}

/// Checks every silo's `tenant` against the dump: a table the dump defines, and placed in that
/// silo. The error stands at the `tenant` value and names the nearest tables of the silo.
pub fn validate(cat: &Catalog, cfg: &Config, asg: &Assignment) -> Result<(), ConfigError> {
    let ds = &cfg.default_schema;
    for s in &cfg.silos {
        let Some(t) = &s.tenant else { continue };
        let q = tenant_name(&t.text, ds);
        let own: Vec<String> = silo_tables(asg, s)
            .map(|q| display(q, ds))
            .collect::<Vec<_>>();
        if cat.table(&q).is_none() {
            return Err(cfg
                .error(
                    t.pos,
                    format!(
                        "tenant `{}` of silo `{}` is not a table of the dump",
                        t.text, s.name
                    ),
                )
                .with_help(if own.is_empty() {
                    format!("name a table of silo `{}`", s.name)
                } else {
                    format!(
                        "name a table of silo `{}`; nearest: {}",
                        s.name,
                        backticked(nearest(&t.text, own.iter().map(String::as_str), 3))
                    )
                }));
        }
        match asg.silo_of(&q) {
            Some(Placement::Silo(n)) if *n == s.name => {}
            other => {
                let where_ = match other {
                    Some(Placement::Silo(n)) => format!("in silo `{n}`"),
                    Some(Placement::Shared) => "in `[shared]`".to_string(),
                    _ => "in no silo".to_string(),
                };
                return Err(cfg
                    .error(
                        t.pos,
                        format!(
                            "tenant `{}` of silo `{}` is {where_}, not in silo `{}`",
                            t.text, s.name, s.name
                        ),
                    )
                    .with_help(format!(
                        "the tenant is the table of silo `{}` whose rows are placed in an \
                         instance: name one of its tables{}, or assign `{}` to it",
                        s.name,
                        if own.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " (nearest: {})",
                                backticked(nearest(&t.text, own.iter().map(String::as_str), 3))
                            )
                        },
                        t.text
                    )));
            }
        }
    }
    Ok(())
}

/// The tables placed in silo `s`, in name order.
fn silo_tables<'a>(asg: &'a Assignment, s: &'a Silo) -> impl Iterator<Item = &'a QName> + 'a {
    asg.tables
        .iter()
        .filter(move |(_, d)| matches!(&d.placement, Placement::Silo(n) if *n == s.name))
        .map(|(q, _)| q)
}

/// Every silo's tenant and its closure, in config order (silos without a `tenant` have none).
/// A tenant [`validate`] refuses is left out.
pub fn tenants(cat: &Catalog, cfg: &Config, asg: &Assignment, graph: &Graph) -> Vec<Tenant> {
    let mut partitions: BTreeMap<&QName, Vec<QName>> = BTreeMap::new();
    for t in &cat.tables {
        if let Some(p) = &t.partition_of {
            partitions.entry(p).or_default().push(t.qname());
        }
    }
    let mut out = Vec::new();
    for s in &cfg.silos {
        let Some(t) = &s.tenant else { continue };
        let tenant = tenant_name(&t.text, &cfg.default_schema);
        if !matches!(asg.silo_of(&tenant), Some(Placement::Silo(n)) if *n == s.name) {
            continue;
        }
        let in_silo =
            |q: &QName| matches!(asg.silo_of(q), Some(Placement::Silo(n)) if *n == s.name);
        // Breadth first from the tenant: each table's first hop up, toward the tenant.
        let mut up: BTreeMap<QName, TenantHop> = BTreeMap::new();
        let mut queue = VecDeque::from([tenant.clone()]);
        while let Some(parent) = queue.pop_front() {
            let mut next: Vec<TenantHop> = Vec::new();
            for &k in graph.children(&parent) {
                let fk = &cat.foreign_keys[k];
                next.push(TenantHop {
                    child: fk.table.clone(),
                    constraint: Some(fk.name.clone()),
                    columns: fk.columns.clone(),
                    parent: parent.clone(),
                });
            }
            for p in partitions.get(&parent).into_iter().flatten() {
                next.push(TenantHop {
                    child: p.clone(),
                    constraint: None,
                    columns: Vec::new(),
                    parent: parent.clone(),
                });
            }
            for hop in next {
                if hop.child == tenant || up.contains_key(&hop.child) || !in_silo(&hop.child) {
                    continue;
                }
                queue.push_back(hop.child.clone());
                up.insert(hop.child.clone(), hop);
            }
        }
        let mut reachable = Vec::new();
        let mut unreachable = Vec::new();
        for q in silo_tables(asg, s) {
            if *q == tenant {
                continue;
            }
            if !up.contains_key(q) {
                unreachable.push(q.clone());
                continue;
            }
            let mut path = Vec::new();
            let mut at = q;
            while let Some(h) = up.get(at) {
                path.push(h.clone());
                at = &h.parent;
            }
            reachable.push(TenantTable {
                table: q.clone(),
                path,
            });
        }
        out.push(Tenant {
            silo: s.name.clone(),
            instances: s.instances.clone(),
            tenant,
            reachable,
            unreachable,
        });
    }
    out
}

/// A path as plan.md shows it: `public.proj_key.project_id → public.org_project.organization_id
/// → public.org_organization`; a partition step is `public.t_2024 (partition) → public.t`.
pub fn path_text(path: &[TenantHop]) -> String {
    let mut s = String::new();
    for h in path {
        s.push_str(&h.child.to_string());
        if h.constraint.is_some() {
            s.push('.');
            s.push_str(&h.columns.join(", "));
        } else {
            s.push_str(" (partition)");
        }
        s.push_str(" → ");
    }
    if let Some(last) = path.last() {
        s.push_str(&last.parent.to_string());
    }
    s
}

/// SP017: each table of a silo with several instances and a tenant that the tenant does not
/// reach (a partition is reported through its parent).
pub fn findings(
    cat: &Catalog,
    cfg: &Config,
    asg: &Assignment,
    graph: &Graph,
    loc: impl Fn(&crate::catalog::Span) -> Location,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in tenants(cat, cfg, asg, graph) {
        if t.instances.len() < 2 {
            continue;
        }
        let Some(pos) = cfg
            .silo(&t.silo)
            .and_then(|s| s.tenant.as_ref())
            .map(|p| p.pos)
        else {
            continue;
        };
        for q in &t.unreachable {
            let Some(table) = cat.table(q) else { continue };
            if table.partition_of.is_some() {
                continue;
            }
            out.push(Finding {
                code: Code::TenantUnreachable,
                severity: Severity::Warning,
                message: format!(
                    "table {q} of silo {} ({} instances: {}) is not reachable from its tenant {} by references: its rows cannot be placed in an instance",
                    t.silo,
                    t.instances.len(),
                    t.instances.join(", "),
                    t.tenant
                ),
                location: Some(loc(&table.span)),
                related: vec![Related {
                    location: Location {
                        file: cfg.path.clone(),
                        line: pos.line,
                        column: Some(pos.column),
                    },
                    message: format!("tenant of silo {}", t.silo),
                }],
                help: Some(format!(
                    "give {q} a foreign key to the tenant or to a table of its closure (plan.md lists it), or move it to a single-instance silo or `[shared]` when its rows belong to no {}",
                    t.tenant.name
                )),
                object: q.to_string(),
            });
        }
    }
    out
}
