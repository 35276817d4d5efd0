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
//! reports (SP019, [`findings`]).
//!
//! Keys unique across instances ([`global_keys`], SP018) get a reservation table in a
//! single-instance silo ([`reservations`], [`registry_sql`]); [`backfill_export_sql`] and
//! [`backfill_import_sql`] register the values today's rows already hold, from the
//! [`Silo::origin_instance`].
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
    #[schemars(default)]
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
        validate_global_unique(cat, cfg, asg, s)?;
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

/// SP019: each table of a silo with several instances and a tenant that the tenant does not
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
                reference: None,
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

// ---------------------------------------------------------------------------------------------
// Global uniqueness.

/// The table and column a `global_unique` entry names: `table.column` (table in
/// `default_schema`) or `schema.table.column`.
fn key_name(text: &str, default_schema: &str) -> (QName, String) {
    let parts: Vec<&str> = text.split('.').collect();
    match parts.as_slice() {
        [s, t, c] => (QName::new(*s, *t), (*c).to_string()),
        [t, c] => (QName::new(default_schema, *t), (*c).to_string()),
        _ => (QName::new(default_schema, text), String::new()),
    }
}

/// Whether `columns` are exactly a primary key, a unique constraint or a unique index without
/// predicate of `table`.
pub fn is_unique_key(cat: &Catalog, table: &QName, columns: &[String]) -> bool {
    let Some(t) = cat.table(table) else {
        return false;
    };
    let same = |c: &[String]| {
        let mut a = c.to_vec();
        let mut b = columns.to_vec();
        a.sort();
        b.sort();
        a == b
    };
    t.primary_key
        .iter()
        .chain(&t.unique)
        .any(|k| same(&k.columns))
        || cat
            .indexes
            .iter()
            .any(|i| i.unique && i.predicate.is_none() && &i.table == table && same(&i.columns))
}

fn validate_global_unique(
    cat: &Catalog,
    cfg: &Config,
    asg: &Assignment,
    s: &Silo,
) -> Result<(), ConfigError> {
    let ds = &cfg.default_schema;
    for g in &s.global_unique {
        let (q, column) = key_name(&g.text, ds);
        let Some(t) = cat.table(&q) else {
            let own: Vec<String> = silo_tables(asg, s).map(|q| display(q, ds)).collect();
            return Err(cfg
                .error(
                    g.pos,
                    format!(
                        "global_unique entry `{}`: no table `{}`",
                        g.text,
                        display(&q, ds)
                    ),
                )
                .with_help(format!(
                    "write `table.column` with a table of silo `{}`{}",
                    s.name,
                    if own.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; nearest: {}",
                            backticked(nearest(
                                &display(&q, ds),
                                own.iter().map(String::as_str),
                                3
                            ))
                        )
                    }
                )));
        };
        if !matches!(asg.silo_of(&q), Some(Placement::Silo(n)) if *n == s.name) {
            return Err(cfg
                .error(
                    g.pos,
                    format!(
                        "global_unique entry `{}`: table `{}` is not in silo `{}`",
                        g.text,
                        display(&q, ds),
                        s.name
                    ),
                )
                .with_help(format!(
                    "list the key under the silo that holds `{}`, or assign the table to `{}`",
                    display(&q, ds),
                    s.name
                )));
        }
        if !t.columns.iter().any(|c| c.name == column) {
            return Err(cfg
                .error(
                    g.pos,
                    format!(
                        "global_unique entry `{}`: table `{}` has no column `{column}`",
                        g.text,
                        display(&q, ds)
                    ),
                )
                .with_help(format!(
                    "nearest columns: {}",
                    backticked(nearest(
                        &column,
                        t.columns.iter().map(|c| c.name.as_str()),
                        3
                    ))
                )));
        }
        if !is_unique_key(cat, &q, std::slice::from_ref(&column)) {
            return Err(cfg
                .error(
                    g.pos,
                    format!(
                        "global_unique entry `{}`: `{column}` is not a unique key of `{}`",
                        g.text,
                        display(&q, ds)
                    ),
                )
                .with_help(
                    "a value can be reserved across instances only where it is unique within \
                     one: name a primary key or unique column (a UNIQUE constraint or a unique \
                     index without WHERE), or add one to the schema first",
                ));
        }
    }
    Ok(())
}

/// Why a key must stay unique across the instances of its silo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct GlobalKey {
    /// The multi-instance silo holding the table.
    pub silo: String,
    /// Its instances.
    pub instances: Vec<String>,
    /// The table.
    pub table: QName,
    /// The key's columns.
    pub columns: Vec<String>,
    /// Foreign keys of other silos that reference it (`schema.table.constraint`): a child row
    /// there must name one row of all the instances.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub referenced_by: Vec<String>,
    /// The `global_unique` entry naming it, `line:column` in the config; none when no entry
    /// names it (`check` warns, SP018).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configured: Option<crate::config::Pos>,
    /// The single-instance silo whose database holds its reservation table, when one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_silo: Option<String>,
}

/// The single-instance silo that holds the reservations of silo `s`'s keys: the first other
/// silo in config order that runs as one instance.
fn registry_silo<'a>(cfg: &'a Config, s: &Silo) -> Option<&'a Silo> {
    cfg.silos
        .iter()
        .find(|o| o.name != s.name && o.instances.len() < 2)
}

/// The keys of every multi-instance silo that must stay unique across its instances: those a
/// foreign key of another silo references, and those `global_unique` names; by silo (config
/// order), then table and columns.
pub fn global_keys(cat: &Catalog, cfg: &Config, asg: &Assignment) -> Vec<GlobalKey> {
    let mut out = Vec::new();
    for s in cfg.silos.iter().filter(|s| s.instances.len() >= 2) {
        let mut keys: BTreeMap<(QName, Vec<String>), GlobalKey> = BTreeMap::new();
        let new = |table: &QName, columns: &[String]| GlobalKey {
            silo: s.name.clone(),
            instances: s.instances.clone(),
            table: table.clone(),
            columns: columns.to_vec(),
            referenced_by: Vec::new(),
            configured: None,
            registry_silo: registry_silo(cfg, s).map(|r| r.name.clone()),
        };
        for (k, fk) in cat.foreign_keys.iter().enumerate() {
            let (child, parent) = asg.fk_placements(k, fk);
            let parent_here = matches!(parent, Some(Placement::Silo(n)) if *n == s.name);
            let child_elsewhere = matches!(child, Some(Placement::Silo(n)) if *n != s.name);
            if parent_here && child_elsewhere {
                keys.entry((fk.references.clone(), fk.referenced_columns.clone()))
                    .or_insert_with(|| new(&fk.references, &fk.referenced_columns))
                    .referenced_by
                    .push(format!("{}.{}", fk.table, fk.name));
            }
        }
        for g in &s.global_unique {
            let (q, column) = key_name(&g.text, &cfg.default_schema);
            let columns = vec![column];
            keys.entry((q.clone(), columns.clone()))
                .or_insert_with(|| new(&q, &columns))
                .configured = Some(g.pos);
        }
        out.extend(keys.into_values());
    }
    out
}

/// SP018: each key that must stay unique across instances and that no `global_unique` entry
/// plans (a warning at the first foreign key that references it).
pub fn global_key_findings(
    cat: &Catalog,
    cfg: &Config,
    asg: &Assignment,
    loc: impl Fn(&crate::catalog::Span) -> Location,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in global_keys(cat, cfg, asg) {
        if g.configured.is_some() {
            continue;
        }
        let Some(first) = g.referenced_by.first() else {
            continue;
        };
        let Some(fk) = cat
            .foreign_keys
            .iter()
            .find(|f| format!("{}.{}", f.table, f.name) == *first)
        else {
            continue;
        };
        let entry = format!(
            "{}.{}",
            display(&g.table, &cfg.default_schema),
            g.columns.join(", ")
        );
        let fix = match (&g.registry_silo, g.columns.len()) {
            (Some(r), 1) => format!(
                "add \"{entry}\" to `[silos.{}] global_unique`: plan then writes a reservation table in silo {r} (the value, the instance holding it, the owner's id) and the functions that reserve a value before the insert and release it on delete",
                g.silo
            ),
            (None, _) => format!(
                "no silo runs as a single instance to hold the reservations: give the registry of {} its own single-instance silo",
                g.table
            ),
            (Some(_), _) => format!(
                "`global_unique` plans one-column keys only: reference a one-column unique key of {} instead, or keep the key's values unique across instances in the application",
                g.table
            ),
        };
        out.push(Finding {
            reference: None,
            code: Code::GlobalKeyUnplanned,
            severity: Severity::Warning,
            message: format!(
                "key {}({}) of silo {} ({} instances: {}) is referenced from another silo by {}: it must stay unique across the instances, and no `global_unique` entry plans it",
                g.table,
                g.columns.join(", "),
                g.silo,
                g.instances.len(),
                g.instances.join(", "),
                g.referenced_by.join(", ")
            ),
            location: Some(loc(&fk.span)),
            related: Vec::new(),
            help: Some(fix),
            object: format!("{}({})", g.table, g.columns.join(", ")),
        });
    }
    out
}

/// One reservation table and its functions, in a single-instance silo's database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Reservation {
    /// The multi-instance silo whose key it keeps unique.
    pub silo: String,
    /// The table and key column.
    pub table: QName,
    /// The key column.
    pub column: String,
    /// The silo whose database holds the table (the registry).
    pub registry_silo: String,
    /// `silo_plan.reservation_<table>_<column>`.
    pub reservation_table: String,
    /// `silo_plan.reserve_<table>_<column>(value, instance, owner)`: called before the insert in
    /// an instance; refuses (SQLSTATE 23505) a value another instance or owner holds.
    pub reserve_function: String,
    /// `silo_plan.release_<table>_<column>(value, instance, owner)`: called after the delete.
    pub release_function: String,
    /// The owner's columns (the table's primary key), each `owner_<column>` in the reservation.
    pub owner_columns: Vec<String>,
}

/// The reservations of every key that a `global_unique` entry plans, by key; a key whose silo
/// has no single-instance silo beside it has none.
pub fn reservations(cat: &Catalog, cfg: &Config, asg: &Assignment) -> Vec<Reservation> {
    let keys: Vec<GlobalKey> = global_keys(cat, cfg, asg)
        .into_iter()
        .filter(|k| k.configured.is_some() && k.registry_silo.is_some() && k.columns.len() == 1)
        .collect();
    let refs: Vec<(&QName, &[String])> = keys
        .iter()
        .map(|k| (&k.table, k.columns.as_slice()))
        .collect();
    let bases = crate::names::unique_key_objects(&refs);
    keys.iter()
        .zip(bases)
        .map(|(k, base)| {
            let name = |prefix: &str| {
                crate::names::fit(
                    &format!("{prefix}_{base}"),
                    crate::names::MAX_IDENT,
                    &[prefix, &base],
                )
            };
            Reservation {
                silo: k.silo.clone(),
                table: k.table.clone(),
                column: k.columns[0].clone(),
                registry_silo: k.registry_silo.clone().unwrap_or_default(),
                reservation_table: name("reservation"),
                reserve_function: name("reserve"),
                release_function: name("release"),
                owner_columns: cat
                    .table(&k.table)
                    .and_then(|t| t.primary_key.as_ref())
                    .map(|pk| pk.columns.clone())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The tombstones that tell the registry a reservation's owner row is gone: those of the key's
/// table that reach the registry silo's database (a broken edge from that table into the
/// registry silo, [`crate::plan::cascades`]) and whose key holds every owner column.
pub struct TombstoneRelease {
    /// `table_name` of the tombstones (`public.org_organization`).
    pub table_name: String,
    /// The tombstone key's columns (the edge's referenced columns), a superset of the owner's.
    pub key_columns: Vec<String>,
    /// The table logical replication fills with the reserved silo's tombstones.
    pub received: QName,
}

/// How the tombstones of `r`'s owner rows reach its registry, or `None` when no broken edge
/// brings them there with the owner's columns (then only the application's release frees a
/// value).
pub fn tombstone_release(
    cascades: &[crate::plan::cascades::SiloCascades],
    r: &Reservation,
) -> Option<TombstoneRelease> {
    if r.owner_columns.is_empty() {
        return None;
    }
    let registry = cascades.iter().find(|c| c.silo == r.registry_silo)?;
    let e = registry.edges.iter().find(|e| {
        e.parent == r.table
            && e.parent_silo == r.silo
            && r.owner_columns.iter().all(|c| e.parent_columns.contains(c))
    })?;
    Some(TombstoneRelease {
        table_name: e.parent_name.clone(),
        key_columns: e.parent_columns.clone(),
        received: crate::plan::cascades::received_table(&e.parent_silo),
    })
}

/// The name of the function that releases `r`'s values by tombstone:
/// `silo_plan.apply_release_<table>_<column>`, which `silo_plan.apply()` calls (it calls every
/// `silo_plan.apply_*(integer)`).
pub fn apply_release_function(r: &Reservation) -> String {
    let base = r
        .release_function
        .strip_prefix("release_")
        .unwrap_or(&r.release_function);
    crate::names::fit(
        &format!("apply_release_{base}"),
        crate::names::MAX_IDENT,
        &["apply_release", base],
    )
}

/// `residency/<registry silo>.sql`: for each reservation held in that silo's database, the
/// table, the two functions and, when its owner's tombstones reach the registry
/// ([`tombstone_release`]), the apply that releases by tombstone, in [`reservations`] order.
/// `None` when it holds none.
pub fn registry_sql(
    cat: &Catalog,
    cfg: &Config,
    cascades: &[crate::plan::cascades::SiloCascades],
    rs: &[Reservation],
    registry: &str,
) -> Option<String> {
    use crate::ident::{ident, literal};
    use std::fmt::Write;
    let mine: Vec<&Reservation> = rs.iter().filter(|r| r.registry_silo == registry).collect();
    if mine.is_empty() {
        return None;
    }
    let type_of = |t: &QName, c: &str| {
        cat.table(t)
            .and_then(|t| t.columns.iter().find(|x| x.name == c))
            .map_or_else(|| "text".to_string(), |c| c.data_type.clone())
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "-- Reservations of keys that stay unique across the instances of a silo, for the \
         database of silo {registry} (one instance).\n\
         -- After the split each instance enforces its UNIQUE constraints alone: two instances \
         could both accept the\n\
         -- same value. The application reserves a value here before the insert in its \
         instance, and releases it\n\
         -- after the delete; a value another instance (or another row) holds is refused with \
         SQLSTATE 23505.\n\
         -- Run with psql -v ON_ERROR_STOP=1 on the {registry} database. Idempotent: run it \
         again after a change.\n\
         -- Locks: none on existing tables (it creates schema silo_plan's reservation tables and \
         functions).\n\n\
         CREATE SCHEMA IF NOT EXISTS silo_plan;"
    );
    for r in mine {
        let silo = cfg.silo(&r.silo);
        let instances: Vec<String> = silo
            .map(|s| s.instances.iter().map(|i| literal(i)).collect())
            .unwrap_or_default();
        let ty = type_of(&r.table, &r.column);
        let table = format!("silo_plan.{}", ident(&r.reservation_table));
        let owners: Vec<(String, String)> = r
            .owner_columns
            .iter()
            .map(|c| (format!("owner_{c}"), type_of(&r.table, c)))
            .collect();
        let _ = writeln!(
            s,
            "\n-- {}.{}: a value is held by one instance of silo {} and one row (its primary key) \
             at a time.\n\
             -- Locks: none on existing tables (a new table).\n\
             CREATE TABLE IF NOT EXISTS {table} (\n    value {ty} PRIMARY KEY,\n    instance text \
             NOT NULL CHECK (instance IN ({})),",
            crate::ident::comment_text(&r.table.to_string()),
            crate::ident::comment_text(&r.column),
            crate::ident::comment_text(&r.silo),
            instances.join(", ")
        );
        for (c, t) in &owners {
            let _ = writeln!(s, "    {} {t} NOT NULL,", ident(c));
        }
        let _ = writeln!(s, "    reserved_at timestamptz NOT NULL DEFAULT now()\n);");
        let params: String = owners
            .iter()
            .map(|(c, t)| format!(", {} {t}", ident(&format!("p_{c}"))))
            .collect();
        let owner_match: String = owners
            .iter()
            .map(|(c, _)| format!(" AND r.{} = {}", ident(c), ident(&format!("p_{c}"))))
            .collect();
        let owner_cols: String = owners
            .iter()
            .map(|(c, _)| format!(", {}", ident(c)))
            .collect();
        let owner_args: String = owners
            .iter()
            .map(|(c, _)| format!(", {}", ident(&format!("p_{c}"))))
            .collect();
        let what = literal(&format!("{}.{}", r.table, r.column));
        let _ = writeln!(
            s,
            "\n-- Before inserting (or updating the key of) a row of {} in an instance: reserve the \
             value for that instance and row.\n\
             -- INSERT ... ON CONFLICT DO NOTHING takes the value when it is free; a value held \
             by the same instance and row is\n\
             -- accepted again (a retried insert), any other holder is refused.\n\
             -- Locks: none on existing tables.\n\
             CREATE OR REPLACE FUNCTION silo_plan.{}(p_value {ty}, p_instance text{params})\n\
             RETURNS void\nLANGUAGE plpgsql\nAS $fn$\nDECLARE\n    held text;\nBEGIN\n    LOOP\n        \
             INSERT INTO {table} (value, instance{owner_cols})\n        VALUES (p_value, p_instance{owner_args})\n        \
             ON CONFLICT (value) DO NOTHING\n        RETURNING instance INTO held;\n        \
             IF FOUND THEN\n            RETURN;\n        END IF;\n        \
             SELECT r.instance INTO held FROM {table} AS r WHERE r.value = p_value;\n        \
             IF FOUND THEN\n            \
             IF EXISTS (SELECT FROM {table} AS r WHERE r.value = p_value AND r.instance = p_instance{owner_match}) THEN\n                \
             RETURN;\n            END IF;\n            \
             RAISE EXCEPTION 'value % of % is held by instance %', p_value, {what}, held\n                \
             USING ERRCODE = 'unique_violation';\n        END IF;\n        \
             -- Released meanwhile: try again.\n    END LOOP;\nEND\n$fn$;",
            crate::ident::comment_text(&r.table.to_string()),
            ident(&r.reserve_function),
        );
        let _ = writeln!(
            s,
            "\n-- After deleting the row (or changing its key) in its instance: release the value. \
             True when this instance and row held it.\n\
             -- Locks: none on existing tables.\n\
             CREATE OR REPLACE FUNCTION silo_plan.{}(p_value {ty}, p_instance text{params})\n\
             RETURNS boolean\nLANGUAGE sql\nAS $fn$\n    \
             WITH gone AS (\n        DELETE FROM {table} AS r\n        \
             WHERE r.value = p_value AND r.instance = p_instance{owner_match}\n        RETURNING 1\n    )\n    \
             SELECT EXISTS (SELECT FROM gone)\n$fn$;",
            ident(&r.release_function),
        );
        match tombstone_release(cascades, r) {
            Some(t) => release_by_tombstone(&mut s, cfg, r, &t),
            None => {
                let _ = writeln!(
                    s,
                    "\n-- No tombstone of {} reaches silo {}'s database with its owner's columns \
                     (no broken edge from it into silo {}):\n\
                     -- only the application's release frees a value of this key.",
                    crate::ident::comment_text(&r.table.to_string()),
                    crate::ident::comment_text(registry),
                    crate::ident::comment_text(registry),
                );
            }
        }
    }
    Some(s)
}

/// The apply that releases reservation `r`'s values when its owner's tombstone arrives in the
/// registry (the inbox a pump fills, and the table logical replication fills): a plpgsql
/// function `silo_plan.apply_<...>` that `silo_plan.apply()` calls with the cascades' own, with
/// one watermark row per source in `silo_plan.watermarks` and `silo_plan.received_watermarks`
/// (edge: the reservation table's name).
fn release_by_tombstone(s: &mut String, cfg: &Config, r: &Reservation, t: &TombstoneRelease) {
    use crate::ident::{ident, literal};
    use std::fmt::Write;
    let silo = cfg.silo(&r.silo);
    let instances: Vec<String> = silo.map(|s| s.instances.clone()).unwrap_or_default();
    let origin = silo
        .and_then(Silo::origin_instance)
        .unwrap_or_default()
        .to_string();
    // Every source a tombstone of the silo can carry, with the instance it names: silo/instance,
    // and the bare silo name (the whole silo in one database: the origin, before the others).
    let mut sources: Vec<(String, String)> = vec![(r.silo.clone(), origin.clone())];
    for i in &instances {
        sources.push((
            format!("{}{}{i}", r.silo, crate::names::INSTANCE_SEPARATOR),
            i.clone(),
        ));
    }
    sources.sort();
    let table = format!("silo_plan.{}", ident(&r.reservation_table));
    let edge = literal(&format!("silo_plan.{}", r.reservation_table));
    let values = sources
        .iter()
        .map(|(src, i)| format!("({}, {})", literal(src), literal(i)))
        .collect::<Vec<_>>()
        .join(",\n                             ");
    let seed = sources
        .iter()
        .map(|(src, _)| format!("({}, {edge})", literal(src)))
        .collect::<Vec<_>>()
        .join(",\n               ");
    let owners: Vec<String> = r
        .owner_columns
        .iter()
        .map(|c| format!("owner_{c}"))
        .collect();
    let lhs = if owners.len() == 1 {
        format!("c.{}", ident(&owners[0]))
    } else {
        format!(
            "({})",
            owners
                .iter()
                .map(|c| format!("c.{}", ident(c)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let select = owners
        .iter()
        .map(|c| format!("k.{}", ident(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let build = owners
        .iter()
        .zip(&r.owner_columns)
        .map(|(o, c)| format!("{}, b.key -> {}", literal(o), literal(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let key_names = t
        .key_columns
        .iter()
        .map(|c| literal(c))
        .collect::<Vec<_>>()
        .join(", ");
    let parent = literal(&t.table_name);
    let received = format!("{}.{}", ident(&t.received.schema), ident(&t.received.name));
    let received_lit = literal(&format!(
        "{}.{}",
        ident(&t.received.schema),
        ident(&t.received.name)
    ));
    let matched = format!(
        "DELETE FROM {table} AS c\n                 WHERE c.instance = _sp_w.instance\n                   \
         AND {lhs} IN (\n                       SELECT {select}\n                         \
         FROM batch AS b,\n                              jsonb_populate_record(NULL::{table},\n                                                    \
         jsonb_build_object({build})) AS k)"
    );
    let _ = writeln!(
        s,
        "\n-- The application may forget to release: when the tombstone of a deleted {} row \
         arrives here from the\n\
         -- instance that holds the value (the cascades' transports: the inbox a pump fills, or \
         {} that\n\
         -- logical replication fills), this releases what that instance and row held. \
         silo_plan.apply() calls it with the\n\
         -- cascades' own applies (it calls every silo_plan.apply_*). A tombstone names its \
         instance by its source: {}/<instance>,\n\
         -- or {} alone for the whole silo in one database, which is the origin instance {} (the \
         instance the backfill\n\
         -- registers today's values for). A value is released only when the instance and every \
         owner column match: a\n\
         -- tombstone from one instance never frees a value another holds, even for the same id. \
         Each source has its own\n\
         -- watermark rows, apart from the cascades' edges, under edge\n\
         -- {}: a tombstone delivered twice is stored once, and one applied again\n\
         -- finds nothing to delete. Until cascades/{}.sql has created the \
         inbox (or the replicated\n\
         -- table), that transport is skipped. Tombstones stored in the inbox out of id order (by \
         hand, or a second pump of\n\
         -- one source) below this watermark are not read again: release those values by hand.\n\
         -- Locks: none on the application's tables (creating the function; a call takes ROW \
         EXCLUSIVE on the reservation table and the\n\
         -- watermark tables, and row locks on its watermark rows and the reservations it \
         deletes).",
        crate::ident::comment_text(&r.table.to_string()),
        crate::ident::comment_text(&received),
        crate::ident::comment_text(&r.silo),
        crate::ident::comment_text(&r.silo),
        crate::ident::comment_text(&origin),
        crate::ident::comment_text(&format!("silo_plan.{}", r.reservation_table)),
        crate::ident::comment_text(&r.registry_silo),
    );
    let _ = writeln!(
        s,
        "CREATE OR REPLACE FUNCTION silo_plan.{f}(batch_size integer DEFAULT 1000) RETURNS integer\n\
         LANGUAGE plpgsql\n\
         SET search_path = pg_catalog, pg_temp\n\
         AS $fn$\n\
         DECLARE\n    \
         _sp_total integer := 0;\n    \
         _sp_w record;\n    \
         _sp_n integer;\n    \
         _sp_upto bigint;\n    \
         _sp_upto_xid bigint;\n    \
         _sp_settled bigint;\n\
         BEGIN\n    \
         IF pg_catalog.to_regclass('silo_plan.inbox') IS NOT NULL THEN\n        \
         INSERT INTO silo_plan.watermarks (source, edge)\n        VALUES {seed}\n        \
         ON CONFLICT DO NOTHING;\n        \
         FOR _sp_w IN SELECT w.source, w.last_id, m.instance\n                       \
         FROM silo_plan.watermarks AS w\n                       \
         JOIN (VALUES {values}) AS m (source, instance) ON m.source = w.source\n                      \
         WHERE w.edge = {edge}\n                      \
         ORDER BY w.source\n                        \
         FOR UPDATE OF w SKIP LOCKED\n        \
         LOOP\n            \
         WITH batch AS MATERIALIZED (\n                \
         SELECT i.id, i.key\n                  \
         FROM silo_plan.inbox AS i\n                 \
         WHERE i.source = _sp_w.source\n                   \
         AND i.table_name = {parent}\n                   \
         AND i.id > _sp_w.last_id\n                   \
         AND i.key ?& ARRAY[{key_names}]\n                 \
         ORDER BY i.id\n                 \
         LIMIT batch_size\n            \
         ), released AS (\n                \
         {matched}\n            \
         )\n            \
         SELECT count(*), max(batch.id) INTO _sp_n, _sp_upto FROM batch;\n            \
         IF _sp_n > 0 THEN\n                \
         UPDATE silo_plan.watermarks AS w SET last_id = _sp_upto\n                 \
         WHERE w.source = _sp_w.source AND w.edge = {edge};\n                \
         _sp_total := _sp_total + _sp_n;\n            \
         END IF;\n        \
         END LOOP;\n    \
         END IF;\n    \
         IF pg_catalog.to_regclass({received_lit}) IS NOT NULL\n       \
         AND pg_catalog.to_regclass('silo_plan.received_watermarks') IS NOT NULL THEN\n        \
         INSERT INTO silo_plan.received_watermarks (source, edge)\n        VALUES {seed}\n        \
         ON CONFLICT DO NOTHING;\n        \
         FOR _sp_w IN SELECT w.source, w.last_xid, w.last_id, m.instance\n                       \
         FROM silo_plan.received_watermarks AS w\n                       \
         JOIN (VALUES {values}) AS m (source, instance) ON m.source = w.source\n                      \
         WHERE w.edge = {edge}\n                      \
         ORDER BY w.source\n                        \
         FOR UPDATE OF w SKIP LOCKED\n        \
         LOOP\n            \
         -- Only rows of transactions older than every one still running (as the cascades' apply reads them).\n            \
         _sp_settled := pg_catalog.txid_snapshot_xmin(pg_catalog.txid_current_snapshot());\n            \
         WITH batch AS MATERIALIZED (\n                \
         SELECT r.xid, r.id, r.key\n                  \
         FROM {received} AS r\n                 \
         WHERE r.source = _sp_w.source\n                   \
         AND r.table_name = {parent}\n                   \
         AND (r.xid, r.id) > (_sp_w.last_xid, _sp_w.last_id)\n                   \
         AND r.xid < _sp_settled\n                   \
         AND r.key ?& ARRAY[{key_names}]\n                 \
         ORDER BY r.xid, r.id\n                 \
         LIMIT batch_size\n            \
         ), released AS (\n                \
         {matched}\n            \
         )\n            \
         SELECT count(*) OVER (), b.xid, b.id INTO _sp_n, _sp_upto_xid, _sp_upto\n              \
         FROM batch AS b\n             \
         ORDER BY b.xid DESC, b.id DESC\n             \
         LIMIT 1;\n            \
         IF FOUND THEN\n                \
         UPDATE silo_plan.received_watermarks AS w SET last_xid = _sp_upto_xid, last_id = _sp_upto\n                 \
         WHERE w.source = _sp_w.source AND w.edge = {edge};\n                \
         _sp_total := _sp_total + _sp_n;\n            \
         END IF;\n        \
         END LOOP;\n    \
         END IF;\n    \
         RETURN _sp_total;\n\
         END\n\
         $fn$;",
        f = ident(&apply_release_function(r)),
    );
}

/// The file the backfill of reservation `i` (its place in [`reservations`]) travels through:
/// written by [`backfill_export_sql`] in the instance, read by [`backfill_import_sql`] in the
/// registry, in psql's working directory. Only `[a-z0-9_-]`, so it needs no quoting.
pub fn backfill_file(rs: &[Reservation], i: usize) -> String {
    let name: String = rs[i]
        .reservation_table
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("backfill-{:02}-{name}.copy", i + 1)
}

/// The instance whose rows the backfill of `r` reads ([`Silo::origin_instance`] of its silo).
fn backfill_instance<'a>(cfg: &'a Config, r: &Reservation) -> Option<&'a str> {
    cfg.silo(&r.silo).and_then(Silo::origin_instance)
}

/// `residency/backfill/<silo>-export.sql`: run with psql in the database of silo `silo`'s
/// origin instance; writes, for each of its reserved keys, every value its rows hold today
/// with the instance and the owner (the row's primary key), read in one snapshot. `None` when
/// the silo has no reservation.
pub fn backfill_export_sql(cfg: &Config, rs: &[Reservation], silo: &str) -> Option<String> {
    use crate::ident::{comment_text, ident, literal, qualified};
    use std::fmt::Write;
    let mine: Vec<(usize, &Reservation)> = rs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.silo == silo)
        .collect();
    let instance = backfill_instance(cfg, mine.first()?.1)?;
    let mut registries: Vec<String> = mine
        .iter()
        .map(|(_, r)| {
            format!(
                "residency/backfill/{}-import.sql on the database of silo {}",
                comment_text(&r.registry_silo),
                comment_text(&r.registry_silo)
            )
        })
        .collect();
    registries.sort();
    registries.dedup();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "-- Backfill of the reservations of silo {silo}, step 1 of 2: export the values today's rows hold.\n\
         -- Run with psql -v ON_ERROR_STOP=1 on the database of instance {instance} (the instance that holds today's\n\
         -- rows; today's database when {silo} is the origin), from the directory step 2 runs in: each key's values\n\
         -- go to a file there (psql's \\copy, on the client). Then run {}.\n\
         -- Read-only: run it as often as needed; run both steps again just before a second\n\
         -- instance takes inserts, after the application reserves every new value (stubs: reserve_*).\n\
         -- Locks: ACCESS SHARE on each table read (a SELECT; writes go on).\n\n\
         \\set ON_ERROR_STOP on\n\
         SET lock_timeout = '5s';\n\
         -- One snapshot for every key.\n\
         BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;",
        registries.join(", then "),
        silo = comment_text(silo),
        instance = comment_text(instance),
    );
    for (i, r) in mine {
        let mut cols = vec![format!("k.{}", ident(&r.column)), literal(instance)];
        cols.extend(r.owner_columns.iter().map(|c| format!("k.{}", ident(c))));
        let _ = writeln!(
            s,
            "\n-- {}.{} with its owner ({}), for silo_plan.{}.\n\
             -- Locks: ACCESS SHARE on {}.\n\
             \\copy (SELECT {} FROM {} AS k WHERE k.{} IS NOT NULL ORDER BY k.{}) TO '{}'",
            comment_text(&r.table.to_string()),
            comment_text(&r.column),
            comment_text(&r.owner_columns.join(", ")),
            comment_text(&r.reservation_table),
            comment_text(&r.table.to_string()),
            cols.join(", "),
            qualified(&r.table),
            ident(&r.column),
            ident(&r.column),
            backfill_file(rs, i),
        );
    }
    s.push_str("\nCOMMIT;\n");
    Some(s)
}

/// `residency/backfill/<registry>-import.sql`: run with psql on the registry's database after
/// `residency/<registry>.sql`, where the export wrote its files. Per key, in its own
/// transaction: the values go to a temporary table, then into the reservation table (`INSERT
/// ... ON CONFLICT DO NOTHING`: a value already held by the same instance and row stays as it
/// is), and a value held by another instance or row refuses the whole key, naming the value and
/// both holders. Running it again changes nothing. `None` when the registry holds none.
pub fn backfill_import_sql(cfg: &Config, rs: &[Reservation], registry: &str) -> Option<String> {
    use crate::ident::{comment_text, ident, literal};
    use std::fmt::Write;
    let mine: Vec<(usize, &Reservation)> = rs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.registry_silo == registry && backfill_instance(cfg, r).is_some())
        .collect();
    if mine.is_empty() {
        return None;
    }
    let mut silos: Vec<&str> = mine.iter().map(|(_, r)| r.silo.as_str()).collect();
    silos.dedup();
    let exports: Vec<String> = silos
        .iter()
        .map(|s| format!("residency/backfill/{}-export.sql", comment_text(s)))
        .collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "-- Backfill of the reservations held in the database of silo {registry}, step 2 of 2: register every value\n\
         -- today's rows hold, with the instance and the row holding it, so that no other instance can reserve it.\n\
         -- Run with psql -v ON_ERROR_STOP=1 on the {registry} database, after residency/{registry}.sql, in the\n\
         -- directory where step 1 ({}) wrote its files.\n\
         -- Each key in its own transaction. A value already held by the same instance and row is left as it is:\n\
         -- running this again changes nothing. A value held by another instance or row stops the file, naming\n\
         -- the value and both holders (SQLSTATE 23505), and that key's transaction registers nothing: settle the\n\
         -- value (rename one row, or release a stale reservation), then run steps 1 and 2 again.\n\
         -- Locks: ROW EXCLUSIVE on each reservation table (the rows it inserts; reserve and release go on).\n\n\
         \\set ON_ERROR_STOP on\n\
         SET lock_timeout = '5s';",
        exports.join(", "),
        registry = comment_text(registry),
    );
    for (i, r) in mine {
        let instance = backfill_instance(cfg, r).unwrap_or_default();
        let table = format!("silo_plan.{}", ident(&r.reservation_table));
        let owners: Vec<String> = r
            .owner_columns
            .iter()
            .map(|c| ident(&format!("owner_{c}")))
            .collect();
        let mut cols = vec!["value".to_string(), "instance".to_string()];
        cols.extend(owners.iter().cloned());
        let cols = cols.join(", ");
        let owner_text = |alias: &str| {
            if owners.is_empty() {
                "''".to_string()
            } else {
                format!(
                    "concat_ws(', ', {})",
                    owners
                        .iter()
                        .map(|o| format!("{alias}.{o}::text"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        };
        let differs = if owners.is_empty() {
            "r.instance <> b.instance".to_string()
        } else {
            let row = |alias: &str| {
                owners
                    .iter()
                    .map(|o| format!("{alias}.{o}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!(
                "r.instance <> b.instance OR ({}) IS DISTINCT FROM ({})",
                row("r"),
                row("b")
            )
        };
        let what = literal(&format!("{}.{}", r.table, r.column));
        let inst = literal(instance);
        let release = literal(&format!("silo_plan.{}", ident(&r.release_function)));
        let _ = writeln!(
            s,
            "\n-- {}.{} (silo {}, instance {}) into {}.\n\
             BEGIN;\n\
             -- Locks: none on existing tables (a temporary table, dropped at COMMIT).\n\
             CREATE TEMPORARY TABLE backfill ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA;\n\
             \\copy pg_temp.backfill FROM '{}'\n\
             -- Locks: ROW EXCLUSIVE on {}; the rows it inserts.\n\
             INSERT INTO {table} ({cols})\n\
             SELECT {cols} FROM pg_temp.backfill\n\
             ON CONFLICT (value) DO NOTHING;\n\
             -- Every value must now be held by instance {} and its own row: the first that is not stops here.\n\
             -- Locks: none beyond the above (reads).\n\
             DO $backfill$\nDECLARE\n    c record;\n    n bigint;\nBEGIN\n    \
             SELECT b.value, r.instance AS held_by, {} AS held_for, b.instance AS instance, {} AS owner\n      \
             INTO c\n      FROM pg_temp.backfill AS b\n      JOIN {table} AS r ON r.value = b.value\n     \
             WHERE {differs}\n     ORDER BY b.value\n     LIMIT 1;\n    \
             IF FOUND THEN\n        \
             RAISE EXCEPTION 'value % of % is held by instance % (row %), and instance % holds it in row %', c.value, {what}, c.held_by, c.held_for, c.instance, c.owner\n            \
             USING ERRCODE = 'unique_violation',\n                  \
             HINT = 'rename one of the two rows, or release the reservation if its row is gone; then run the backfill again';\n    \
             END IF;\n    \
             -- Values the instance holds here that none of its rows holds: a delete whose release never ran\n    \
             -- (the application forgot), or a value reserved after the export. Reported, not released.\n    \
             SELECT count(*) INTO n FROM {table} AS r\n     \
             WHERE r.instance = {inst} AND NOT EXISTS (SELECT FROM pg_temp.backfill AS b WHERE b.value = r.value);\n    \
             IF n > 0 THEN\n        \
             RAISE NOTICE '% value(s) of % held by instance % are in none of its rows: deleted without a release, or reserved after the export; release each that is gone with %(value, instance, owner)', n, {what}, {inst}, {release};\n    \
             END IF;\nEND\n$backfill$;\n\
             COMMIT;",
            comment_text(&r.table.to_string()),
            comment_text(&r.column),
            comment_text(&r.silo),
            comment_text(instance),
            comment_text(&table),
            backfill_file(rs, i),
            comment_text(&table),
            comment_text(instance),
            owner_text("r"),
            owner_text("b"),
        );
    }
    Some(s)
}

/// The registry silos of `rs` (each a `residency/<silo>.sql`), sorted, each once.
pub fn registries<'a>(rs: impl IntoIterator<Item = &'a Reservation>) -> Vec<&'a str> {
    let mut out: Vec<&str> = rs.into_iter().map(|r| r.registry_silo.as_str()).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The silos whose keys `rs` reserve (each a `residency/backfill/<silo>-export.sql`), sorted,
/// each once.
pub fn reserved_silos(rs: &[Reservation]) -> Vec<&str> {
    let mut out: Vec<&str> = rs.iter().map(|r| r.silo.as_str()).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// What the `-- Locks:` comments of `residency/<registry>.sql` and `residency/backfill/` claim,
/// file by file (plan.json's `locks`): the reservation tables and functions are new objects
/// (no lock on an existing table); the export reads each key's table (ACCESS SHARE), the
/// import creates a temporary table, inserts into the reservation table (ROW EXCLUSIVE) and
/// reads it: none of them blocks the application's reads or writes.
pub fn file_locks(
    cfg: &Config,
    cascades: &[crate::plan::cascades::SiloCascades],
    rs: &[Reservation],
) -> Vec<crate::plan::FileLocks> {
    use crate::plan::{FileLocks, Lock, StepLocks};
    let mut out = Vec::new();
    for g in registries(rs) {
        let mine: Vec<&Reservation> = rs.iter().filter(|r| r.registry_silo == g).collect();
        // Per reservation: its table, the reserve and the release functions, and the release
        // by tombstone when its tombstones arrive.
        let by_tombstone = mine
            .iter()
            .filter(|r| tombstone_release(cascades, r).is_some())
            .count();
        out.push(FileLocks {
            file: format!("residency/{g}.sql"),
            steps: vec![StepLocks::default(); 3 * mine.len() + by_tombstone],
        });
        let backfilled = mine
            .iter()
            .filter(|r| backfill_instance(cfg, r).is_some())
            .count();
        if backfilled > 0 {
            // Per key: the temporary table, the insert, the check.
            out.push(FileLocks {
                file: format!("residency/backfill/{g}-import.sql"),
                steps: vec![StepLocks::new(&[], Some("5s")); 3 * backfilled],
            });
        }
    }
    for s in reserved_silos(rs) {
        let mine: Vec<&Reservation> = rs
            .iter()
            .filter(|r| r.silo == s && backfill_instance(cfg, r).is_some())
            .collect();
        if mine.is_empty() {
            continue;
        }
        out.push(FileLocks {
            file: format!("residency/backfill/{s}-export.sql"),
            steps: mine
                .iter()
                .map(|r| StepLocks::new(&[(r.table.clone(), Lock::None)], Some("5s")))
                .collect(),
        });
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}
