//! Relocation (issue 19): moving one tenant of a multi-instance silo from one instance to
//! another (`silo-plan relocate`), as Sentry's "relocation" does for an organization.
//!
//! [`build`] decides everything from the analysis: the tenant's closure
//! ([`crate::residency::tenants`]: every table of the silo reachable from the tenant, with its
//! path) in dependency order (parents first), the id column of each table that the target's
//! sequence renumbers, every column that references a renumbered id (rewritten through the
//! mapping table), and the tables of single-instance silos (control) whose rows point at moved
//! rows, with the reservation tables of [`crate::residency::reservations`]. [`files`] writes it
//! as psql scripts and `relocate.sh`, the driver that runs them in order.
//!
//! The transfer between the two instances goes through files written and read by psql's
//! `\copy`: it needs nothing but psql and plain Postgres (no extension, no network path from one
//! database server to the other, as dblink or postgres_fdw would), and the export reads every
//! table in one snapshot. Every step records itself in `silo_plan.relocation_state` of the
//! database it changes, in the same transaction as its change, and is skipped once recorded:
//! the driver can be run again after a failure (it resumes) or after success (nothing changes).
//!
//! Plain data and pure functions: no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::assign::Placement;
use crate::catalog::{Catalog, QName};
use crate::ident::{comment_text, ident, literal, qualified};
use crate::residency::{self, TenantHop};

/// What to relocate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The multi-instance silo (default: the only one with a `tenant`).
    pub silo: Option<String>,
    /// The tenant row's primary key value, as text (`42`).
    pub tenant_id: String,
    /// The instance it is in.
    pub from: String,
    /// The instance it moves to.
    pub to: String,
    /// The relocation's id (default `<silo>-<tenant id>-<from>-<to>`).
    pub id: Option<String>,
    /// `table.column` (or `schema.table.column`) of a single-instance silo naming the instance
    /// of the tenant row its row points at (`org_organizationmapping.region_name`).
    pub instance_columns: Vec<String>,
}

/// Why a relocation cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelocateError(pub String);

impl std::fmt::Display for RelocateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RelocateError {}

/// A column rewritten through the mapping of a renumbered table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The column.
    pub column: String,
    /// The renumbered table whose mapping rewrites it.
    pub table: QName,
}

/// One table of the tenant's closure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The table (a partitioned table stands for its partitions).
    pub table: QName,
    /// Its columns, in order, without generated ones.
    pub columns: Vec<String>,
    /// The column the target's sequence renumbers (a primary key column backed by a sequence or
    /// identity), and the sequence when the dump names it.
    pub id: Option<(String, Option<QName>)>,
    /// Columns referencing a renumbered id (the id column itself excluded).
    pub mapped: Vec<Mapped>,
    /// The path up to the tenant (empty for the tenant).
    pub path: Vec<TenantHop>,
    /// Has an identity column (its insert says `OVERRIDING SYSTEM VALUE`).
    pub identity: bool,
}

/// Rows of a single-instance silo's table that point at moved rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    /// The single-instance silo.
    pub silo: String,
    /// The table.
    pub table: QName,
    /// Its columns referencing a renumbered id.
    pub mapped: Vec<Mapped>,
    /// The column naming the instance, when given.
    pub instance_column: Option<String>,
}

/// A reservation table whose rows of moved keys change instance (and value or owner, when
/// renumbered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationMove {
    /// The registry silo holding it.
    pub silo: String,
    /// `silo_plan.<name>`.
    pub name: String,
    /// The reserved key's table.
    pub table: QName,
    /// The value is the renumbered id itself.
    pub value_mapped: bool,
    /// The owner column holding the renumbered id (`owner_id`).
    pub owner: String,
}

/// Everything a relocation does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relocation {
    /// Its id.
    pub id: String,
    /// The silo.
    pub silo: String,
    /// Source and target instances.
    pub from: String,
    /// The target instance.
    pub to: String,
    /// The tenant table.
    pub tenant: QName,
    /// Its primary key column.
    pub tenant_key: String,
    /// The tenant id as a typed SQL literal (`'42'::bigint`).
    pub tenant_value: String,
    /// The closure, parents first (the tenant first).
    pub tables: Vec<Moved>,
    /// Rows of single-instance silos pointing at moved rows, by silo then table.
    pub referrers: Vec<Referrer>,
    /// Reservation tables.
    pub reservations: Vec<ReservationMove>,
    /// The single-instance silos whose databases change (referrers and reservations), sorted.
    pub other_silos: Vec<String>,
    /// The silo's tables the tenant does not reach (SP019): their rows stay where they are.
    pub left_out: Vec<QName>,
}

fn is_integer(ty: &str) -> bool {
    matches!(
        ty.to_ascii_lowercase().as_str(),
        "smallint" | "integer" | "bigint" | "int" | "int2" | "int4" | "int8"
    )
}

/// The renumbered column of `t`: the one primary key column of an integer type that a sequence
/// or identity fills.
fn id_column(cat: &Catalog, t: &QName) -> Option<(String, Option<QName>)> {
    let table = cat.table(t)?;
    let pk = table.primary_key.as_ref()?;
    let mut found = Vec::new();
    for c in &pk.columns {
        let Some(col) = table.columns.iter().find(|x| &x.name == c) else {
            continue;
        };
        if !is_integer(&col.data_type) {
            continue;
        }
        let seq = cat.sequences.iter().find(|s| {
            s.owned_by
                .as_ref()
                .is_some_and(|o| &o.table == t && &o.column == c)
                || s.used_by.iter().any(|u| &u.table == t && &u.column == c)
        });
        let by_default = col
            .default
            .as_deref()
            .is_some_and(|d| d.contains("nextval"));
        if seq.is_some() || col.identity.is_some() || by_default {
            found.push((c.clone(), seq.map(|s| s.name.clone())));
        }
    }
    if found.len() == 1 {
        found.pop()
    } else {
        None
    }
}

fn split_column(text: &str, default_schema: &str) -> Option<(QName, String)> {
    let parts: Vec<&str> = text.split('.').collect();
    match parts.as_slice() {
        [s, t, c] => Some((QName::new(*s, *t), (*c).to_string())),
        [t, c] => Some((QName::new(default_schema, *t), (*c).to_string())),
        _ => None,
    }
}

/// Plans the relocation of one tenant.
pub fn build(input: &crate::plan::Input, opts: &Options) -> Result<Relocation, RelocateError> {
    let (cat, cfg, asg, graph) = (input.cat, input.cfg, input.asg, input.graph);
    let err = |m: String| Err(RelocateError(m));
    let tenants = residency::tenants(cat, cfg, asg, graph);
    let candidates: Vec<&residency::Tenant> =
        tenants.iter().filter(|t| t.instances.len() >= 2).collect();
    let t =
        match &opts.silo {
            Some(name) => match (cfg.silo(name), tenants.iter().find(|t| &t.silo == name)) {
                (None, _) => {
                    return err(format!(
                        "no silo `{name}`; silos: {}",
                        cfg.silos
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
                (Some(s), _) if s.instances.len() < 2 => {
                    return err(format!(
                        "silo `{name}` runs as one instance: nothing to relocate between (give it \
                     `instances = [...]` with two or more)"
                    ))
                }
                (Some(_), Some(t)) => t,
                (Some(_), None) => {
                    return err(format!(
                    "silo `{name}` has no `tenant`: name the table whose rows are placed in an \
                     instance (`tenant = \"...\"`)"
                ))
                }
            },
            None => {
                match candidates.as_slice() {
                    [one] => one,
                    [] => return err(
                        "no silo has two or more `instances` and a `tenant`: nothing to relocate"
                            .into(),
                    ),
                    many => {
                        return err(format!(
                    "several silos have instances and a tenant ({}): choose one with --silo",
                    many.iter().map(|t| t.silo.as_str()).collect::<Vec<_>>().join(", ")
                ))
                    }
                }
            }
        };
    for (what, i) in [("--from", &opts.from), ("--to", &opts.to)] {
        if !t.instances.contains(i) {
            return err(format!(
                "{what} `{i}` is not an instance of silo `{}` (instances: {})",
                t.silo,
                t.instances.join(", ")
            ));
        }
    }
    if opts.from == opts.to {
        return err(format!(
            "--from and --to are both `{}`: a relocation moves between two instances",
            opts.from
        ));
    }
    let tenant_table = cat
        .table(&t.tenant)
        .ok_or_else(|| RelocateError(format!("tenant {} is not in the dump", t.tenant)))?;
    let Some(pk) = tenant_table
        .primary_key
        .as_ref()
        .filter(|k| k.columns.len() == 1)
    else {
        return err(format!(
            "tenant {} has no one-column primary key: a relocation names its row by one value",
            t.tenant
        ));
    };
    let tenant_key = pk.columns[0].clone();
    let key_type = tenant_table
        .columns
        .iter()
        .find(|c| c.name == tenant_key)
        .map_or_else(|| "text".to_string(), |c| c.data_type.clone());
    let tenant_value = format!("{}::{key_type}", literal(&opts.tenant_id));

    // The closure: the tenant and its reachable tables, partitions standing for their parent.
    let mut members: BTreeMap<QName, Vec<TenantHop>> = BTreeMap::new();
    members.insert(t.tenant.clone(), Vec::new());
    for r in &t.reachable {
        let table = cat.table(&r.table);
        if table.is_some_and(|x| x.partition_of.is_some()) {
            continue;
        }
        if r.path.iter().any(|h| h.constraint.is_none()) {
            return err(format!(
                "table {} reaches the tenant through a partition: not supported by relocate",
                r.table
            ));
        }
        members.insert(r.table.clone(), r.path.clone());
    }
    let ids: BTreeMap<QName, (String, Option<QName>)> = members
        .keys()
        .filter_map(|q| id_column(cat, q).map(|i| (q.clone(), i)))
        .collect();
    // A column is rewritten when a reference (constraint, declared or inferred) leads from it
    // to a renumbered id column.
    let mapped_of = |child: &QName| -> Vec<Mapped> {
        let mut out: Vec<Mapped> = Vec::new();
        for fk in cat.foreign_keys.iter().filter(|f| &f.table == child) {
            let Some((idc, _)) = ids.get(&fk.references) else {
                continue;
            };
            for (c, rc) in fk.columns.iter().zip(&fk.referenced_columns) {
                if rc == idc && !out.iter().any(|m| &m.column == c) {
                    out.push(Mapped {
                        column: c.clone(),
                        table: fk.references.clone(),
                    });
                }
            }
        }
        out.sort_by(|a, b| a.column.cmp(&b.column));
        out
    };

    // Parents first: a table comes after every closure table it references (self-references
    // and cycles aside: those rely on the constraints being checked at commit).
    let mut order: Vec<QName> = Vec::new();
    let mut placed: BTreeSet<QName> = BTreeSet::new();
    let deps: BTreeMap<&QName, BTreeSet<QName>> = members
        .keys()
        .map(|q| {
            let d = cat
                .foreign_keys
                .iter()
                .filter(|f| &f.table == q && &f.references != q)
                .filter(|f| members.contains_key(&f.references))
                .map(|f| f.references.clone())
                .collect();
            (q, d)
        })
        .collect();
    order.push(t.tenant.clone());
    placed.insert(t.tenant.clone());
    while order.len() < members.len() {
        let ready = members
            .keys()
            .find(|q| !placed.contains(*q) && deps[q].iter().all(|d| placed.contains(d)))
            .or_else(|| members.keys().find(|q| !placed.contains(*q)))
            .cloned()
            .expect("a table left");
        placed.insert(ready.clone());
        order.push(ready);
    }
    let tables: Vec<Moved> = order
        .iter()
        .map(|q| {
            let table = cat.table(q).expect("a closure table is in the dump");
            let id = ids.get(q).cloned();
            let mut mapped = mapped_of(q);
            if let Some((c, _)) = &id {
                mapped.retain(|m| &m.column != c);
            }
            Moved {
                table: q.clone(),
                columns: table
                    .columns
                    .iter()
                    .filter(|c| c.generated.is_none())
                    .map(|c| c.name.clone())
                    .collect(),
                id,
                mapped,
                path: members[q].clone(),
                identity: table.columns.iter().any(|c| c.identity.is_some()),
            }
        })
        .collect();

    // Single-instance silos' rows pointing at moved rows.
    let single = |q: &QName| -> Option<String> {
        match asg.silo_of(q) {
            Some(Placement::Silo(n))
                if *n != t.silo && cfg.silo(n).is_some_and(|s| s.instances.len() < 2) =>
            {
                Some(n.clone())
            }
            _ => None,
        }
    };
    let mut instance_columns: BTreeMap<QName, String> = BTreeMap::new();
    for text in &opts.instance_columns {
        let Some((q, c)) = split_column(text, &cfg.default_schema) else {
            return err(format!(
                "--instance-column `{text}`: write `table.column` or `schema.table.column`"
            ));
        };
        let Some(table) = cat.table(&q) else {
            return err(format!(
                "--instance-column `{text}`: no table {q} in the dump"
            ));
        };
        if !table.columns.iter().any(|x| x.name == c) {
            return err(format!(
                "--instance-column `{text}`: {q} has no column `{c}`"
            ));
        }
        if single(&q).is_none() {
            return err(format!(
                "--instance-column `{text}`: {q} is not in a single-instance silo other than `{}`",
                t.silo
            ));
        }
        instance_columns.insert(q, c);
    }
    let mut referrers: Vec<Referrer> = Vec::new();
    let mut children: BTreeSet<QName> = BTreeSet::new();
    for fk in &cat.foreign_keys {
        if ids.contains_key(&fk.references) && single(&fk.table).is_some() {
            children.insert(fk.table.clone());
        }
    }
    for q in &children {
        let mapped = mapped_of(q);
        if mapped.is_empty() {
            continue;
        }
        referrers.push(Referrer {
            silo: single(q).unwrap_or_default(),
            table: q.clone(),
            mapped,
            instance_column: instance_columns.get(q).cloned(),
        });
    }
    for q in instance_columns.keys() {
        if !children.contains(q) {
            return err(format!(
                "--instance-column: {q} has no reference to a renumbered table of the closure of {}",
                t.tenant
            ));
        }
    }
    referrers.sort_by(|a, b| (&a.silo, &a.table).cmp(&(&b.silo, &b.table)));
    let mut reservations = Vec::new();
    for r in residency::reservations(cat, cfg, asg) {
        if r.silo != t.silo {
            continue;
        }
        let Some((idc, _)) = ids.get(&r.table) else {
            continue;
        };
        if !r.owner_columns.contains(idc) {
            continue;
        }
        reservations.push(ReservationMove {
            silo: r.registry_silo.clone(),
            name: r.reservation_table.clone(),
            table: r.table.clone(),
            value_mapped: &r.column == idc,
            owner: format!("owner_{idc}"),
        });
    }
    let other_silos: Vec<String> = referrers
        .iter()
        .map(|r| r.silo.clone())
        .chain(reservations.iter().map(|r| r.silo.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(Relocation {
        id: opts
            .id
            .clone()
            .unwrap_or_else(|| format!("{}-{}-{}-{}", t.silo, opts.tenant_id, opts.from, opts.to)),
        silo: t.silo.clone(),
        from: opts.from.clone(),
        to: opts.to.clone(),
        tenant: t.tenant.clone(),
        tenant_key,
        tenant_value,
        tables,
        referrers,
        reservations,
        other_silos,
        left_out: t
            .unreachable
            .iter()
            .filter(|q| cat.table(q).is_some_and(|x| x.partition_of.is_none()))
            .cloned()
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// SQL.

/// The `FROM ... WHERE ...` selecting the tenant's rows of `m` (as `t0`): a row belongs to the
/// tenant when any of its references to a table before it in the closure's order leads to one
/// of the tenant's rows (a row whose first path is NULL, such as an assignee without a team,
/// still belongs through its other references), recursively up to the tenant's key = `tenant`.
fn selection(cat: &Catalog, r: &Relocation, m: &Moved, tenant: &str) -> (String, String) {
    let mut next = 1;
    let cond = belongs(cat, r, &m.table, 0, tenant, &mut next);
    (format!("{} AS t0", qualified(&m.table)), cond)
}

fn belongs(
    cat: &Catalog,
    r: &Relocation,
    table: &QName,
    alias: usize,
    tenant: &str,
    next: &mut usize,
) -> String {
    if *table == r.tenant {
        return format!("t{alias}.{} = {tenant}", ident(&r.tenant_key));
    }
    let at = r
        .tables
        .iter()
        .position(|m| &m.table == table)
        .unwrap_or(usize::MAX);
    let mut any = Vec::new();
    for fk in cat.foreign_keys.iter().filter(|f| &f.table == table) {
        let Some(p) = r.tables.iter().position(|m| m.table == fk.references) else {
            continue;
        };
        if p >= at {
            continue;
        }
        let a = *next;
        *next += 1;
        let mut conds: Vec<String> = fk
            .columns
            .iter()
            .zip(&fk.referenced_columns)
            .map(|(c, rc)| format!("t{a}.{} = t{alias}.{}", ident(rc), ident(c)))
            .collect();
        conds.push(belongs(cat, r, &fk.references, a, tenant, next));
        any.push(format!(
            "EXISTS (SELECT FROM {} AS t{a} WHERE {})",
            qualified(&fk.references),
            conds.join(" AND ")
        ));
    }
    if any.is_empty() {
        "false".to_string()
    } else if any.len() == 1 {
        any.pop().unwrap_or_default()
    } else {
        format!("({})", any.join(" OR "))
    }
}

fn lookup(r: &Relocation, table: &QName, value: &str) -> String {
    format!(
        "silo_plan.relocated_id({}, {}, {value})",
        literal(&r.id),
        literal(&table.to_string())
    )
}

/// The tenant's key in the target: renumbered when the tenant is.
fn target_tenant(r: &Relocation) -> String {
    if r.tables[0].id.is_some() {
        lookup(r, &r.tenant, &r.tenant_value)
    } else {
        r.tenant_value.clone()
    }
}

/// The row as text, ids through the mapping (source) or as they are (target).
fn row_text(r: &Relocation, m: &Moved, map: bool) -> String {
    let cols: Vec<String> = m
        .columns
        .iter()
        .map(|c| {
            let v = format!("t0.{}", ident(c));
            if !map {
                return v;
            }
            if m.id.as_ref().is_some_and(|(i, _)| i == c) {
                return lookup(r, &m.table, &v);
            }
            match m.mapped.iter().find(|x| &x.column == c) {
                Some(x) => lookup(r, &x.table, &v),
                None => v,
            }
        })
        .collect();
    format!("ROW({})::text", cols.join(", "))
}

/// Per table: name, row count and an order-independent md5 of the rows.
fn sums_query(cat: &Catalog, r: &Relocation, source: bool) -> String {
    let tenant = if source {
        r.tenant_value.clone()
    } else {
        target_tenant(r)
    };
    let parts: Vec<String> = r
        .tables
        .iter()
        .map(|m| {
            let (from, cond) = selection(cat, r, m, &tenant);
            format!(
                "SELECT {}::text AS table_name, count(*) AS row_count, \
                 md5(coalesce(string_agg(x.r, chr(10) ORDER BY x.r COLLATE \"C\"), '')) AS checksum\n  \
                 FROM (SELECT {} AS r FROM {from} WHERE {cond}) AS x",
                literal(&m.table.to_string()),
                row_text(r, m, source)
            )
        })
        .collect();
    parts.join("\nUNION ALL\n")
}

const TEXT_SETTINGS: &str = "-- Rows are compared as text: the same settings on both sides print times, dates, intervals \
and\n-- floats alike.\nSET TimeZone = 'UTC';\nSET DateStyle = 'ISO, YMD';\nSET IntervalStyle = 'postgres';\n\
SET extra_float_digits = 3;\nSET bytea_output = 'hex';\n";

fn header(r: &Relocation, file: &str, runs_on: &str, what: &str) -> String {
    format!(
        "-- silo-plan relocate: {file}\n-- Relocation {} (silo {}, tenant {} {} = {}, from instance {} to {}).\n\
         -- Runs on {runs_on}, from relocate.sh (psql -v ON_ERROR_STOP=1, in the data directory).\n{what}\n",
        comment_text(&r.id),
        comment_text(&r.silo),
        comment_text(&r.tenant.to_string()),
        comment_text(&r.tenant_key),
        comment_text(&r.tenant_value),
        comment_text(&r.from),
        comment_text(&r.to),
    )
}

/// `\if` on whether `step` is recorded: `done_<step>` set by `\gset`.
fn step_done(r: &Relocation, step: &str) -> String {
    format!(
        "SELECT EXISTS (SELECT FROM silo_plan.relocation_state WHERE relocation = {} AND step = {}) AS done \\gset\n",
        literal(&r.id),
        literal(step)
    )
}

fn record(r: &Relocation, step: &str) -> String {
    format!(
        "INSERT INTO silo_plan.relocation_state (relocation, step) VALUES ({}, {});\n",
        literal(&r.id),
        literal(step)
    )
}

fn data_file(i: usize) -> String {
    format!("{:03}.copy", i + 1)
}

/// A dollar-quote tag that `body` does not contain.
fn dollar_tag(body: &str) -> String {
    let mut tag = "$relocate$".to_string();
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$relocate{n}$");
    }
    tag
}

const SETUP: &str = "\
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS silo_plan;

-- The steps each database finished, one row per (relocation, step), written in the step's own
-- transaction: a recorded step is skipped when the relocation runs again.
-- Locks: none on existing tables (new tables and a function).
CREATE TABLE IF NOT EXISTS silo_plan.relocation_state (
    relocation text NOT NULL,
    step text NOT NULL,
    done_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (relocation, step)
);

-- Old id (source instance) to new id (from the target's sequence), per renumbered table: the
-- target writes it, the source and the single-instance silos receive a copy.
CREATE TABLE IF NOT EXISTS silo_plan.relocation_map (
    relocation text NOT NULL,
    table_name text NOT NULL,
    old_id bigint NOT NULL,
    new_id bigint NOT NULL,
    PRIMARY KEY (relocation, table_name, old_id)
);

-- The row counts and checksums the source verified against the target: the delete removes
-- exactly these counts, or nothing.
CREATE TABLE IF NOT EXISTS silo_plan.relocation_verified (
    relocation text NOT NULL,
    table_name text NOT NULL,
    row_count bigint NOT NULL,
    checksum text NOT NULL,
    PRIMARY KEY (relocation, table_name)
);

-- The new id of a moved row; NULL for NULL. A row the mapping does not have is an error: a
-- reference to a row outside the tenant's closure cannot be rewritten.
CREATE OR REPLACE FUNCTION silo_plan.relocated_id(p_relocation text, p_table text, p_old bigint)
RETURNS bigint
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
    found_id bigint;
BEGIN
    IF p_old IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT m.new_id INTO found_id FROM silo_plan.relocation_map AS m
     WHERE m.relocation = p_relocation AND m.table_name = p_table AND m.old_id = p_old;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relocation %: % id % is not a moved row (a reference outside the tenant''s rows?)',
            p_relocation, p_table, p_old;
    END IF;
    RETURN found_id;
END
$fn$;
";

/// Every file of the relocation, by path relative to the output directory, in order.
pub fn files(cat: &Catalog, r: &Relocation) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let id = literal(&r.id);
    out.push((
        "00-setup.sql".to_string(),
        format!(
            "{}{SETUP}",
            header(
                r,
                "00-setup.sql",
                "every database of the relocation",
                "-- The bookkeeping of relocations in schema silo_plan. Idempotent."
            )
        ),
    ));

    // Export.
    let mut s = header(
        r,
        "10-export.sql",
        &format!("the source instance ({})", comment_text(&r.from)),
        "-- Writes the tenant's rows of every table of its closure, parents first, one file per \
         table\n-- (NNN.copy, COPY text format), all read in one REPEATABLE READ snapshot. \
         Read-only.\n-- Locks: ACCESS SHARE on each table read (blocks only DDL), until the \
         COMMIT.",
    );
    let _ = write!(s, "\n{}\\if :done\n\\echo relocation {}: verified already, nothing to export\n\\else\nBEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n",
        step_done(r, "verify"), comment_text(&r.id));
    for (i, m) in r.tables.iter().enumerate() {
        let (from, cond) = selection(cat, r, m, &r.tenant_value);
        let cols: Vec<String> = m
            .columns
            .iter()
            .map(|c| format!("t0.{}", ident(c)))
            .collect();
        let _ = write!(
            s,
            "-- {}{}\n\\copy (SELECT {} FROM {from} WHERE {cond}) TO '{}'\n",
            comment_text(&m.table.to_string()),
            if m.path.is_empty() {
                String::new()
            } else {
                format!(": {}", comment_text(&residency::path_text(&m.path)))
            },
            cols.join(", "),
            data_file(i)
        );
    }
    s.push_str("COMMIT;\n\\endif\n");
    out.push(("10-export.sql".to_string(), s));

    // Import.
    let mut s = header(
        r,
        "20-import.sql",
        &format!("the target instance ({})", comment_text(&r.to)),
        "-- Loads the exported rows into temporary tables, gives every row of a renumbered table \
         a new id\n-- from this database's sequence (silo_plan.relocation_map), and inserts the \
         rows with every id and\n-- reference rewritten, in one transaction. Then writes the \
         mapping to map.copy for the other databases.",
    );
    let _ = write!(
        s,
        "SET lock_timeout = '5s';\n\n{}\\if :done\n\\echo relocation {}: imported already\n\\else\nBEGIN;\n\
         -- Keys declared DEFERRABLE are checked at COMMIT: tables referencing each other in a cycle load in any order.\n\
         SET CONSTRAINTS ALL DEFERRED;\n",
        step_done(r, "import"),
        comment_text(&r.id)
    );
    for (i, m) in r.tables.iter().enumerate() {
        let _ = write!(
            s,
            "CREATE TEMPORARY TABLE s{:03} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA;\n\\copy pg_temp.s{:03} FROM '{}'\n",
            i + 1,
            crate::ident::ident_list(&m.columns),
            qualified(&m.table),
            i + 1,
            data_file(i)
        );
    }
    s.push_str("\n-- New ids, in old-id order.\n-- Locks: ROW EXCLUSIVE on silo_plan.relocation_map; nextval on each sequence.\n");
    for (i, m) in r.tables.iter().enumerate() {
        let Some((c, seq)) = &m.id else { continue };
        let next = match seq {
            Some(q) => format!("nextval({}::regclass)", literal(&qualified(q))),
            None => format!(
                "nextval(pg_get_serial_sequence({}, {}))",
                literal(&qualified(&m.table)),
                literal(c)
            ),
        };
        let _ = writeln!(
            s,
            "INSERT INTO silo_plan.relocation_map (relocation, table_name, old_id, new_id)\n\
             SELECT {id}, {}, s.{}, {next} FROM pg_temp.s{:03} AS s ORDER BY s.{};",
            literal(&m.table.to_string()),
            ident(c),
            i + 1,
            ident(c)
        );
    }
    s.push_str("\n-- The rows, parents first.\n");
    for (i, m) in r.tables.iter().enumerate() {
        let exprs: Vec<String> = m
            .columns
            .iter()
            .map(|c| {
                let v = format!("s.{}", ident(c));
                if m.id.as_ref().is_some_and(|(x, _)| x == c) {
                    lookup(r, &m.table, &v)
                } else if let Some(x) = m.mapped.iter().find(|x| &x.column == c) {
                    lookup(r, &x.table, &v)
                } else {
                    v
                }
            })
            .collect();
        let _ = writeln!(
            s,
            "-- Locks: ROW EXCLUSIVE on {} (readers and writers of other rows go on); FOR KEY SHARE on the referenced rows.\n\
             INSERT INTO {} ({}){}\nSELECT {} FROM pg_temp.s{:03} AS s;",
            comment_text(&m.table.to_string()),
            qualified(&m.table),
            crate::ident::ident_list(&m.columns),
            if m.identity { " OVERRIDING SYSTEM VALUE" } else { "" },
            exprs.join(", "),
            i + 1
        );
    }
    let _ = write!(
        s,
        "{}COMMIT;\n\\endif\n\n-- The mapping, for the source and the single-instance silos (read-only).\n\
         \\copy (SELECT table_name, old_id, new_id FROM silo_plan.relocation_map WHERE relocation = {id} ORDER BY table_name, old_id) TO 'map.copy'\n",
        record(r, "import")
    );
    out.push(("20-import.sql".to_string(), s));

    // Mapping into the source and the single-instance silos.
    let s = format!(
        "{}\nBEGIN;\nCREATE TEMPORARY TABLE relocation_map_in (table_name text, old_id bigint, new_id bigint) ON COMMIT DROP;\n\
         \\copy pg_temp.relocation_map_in FROM 'map.copy'\n\
         -- Locks: ROW EXCLUSIVE on silo_plan.relocation_map.\n\
         INSERT INTO silo_plan.relocation_map (relocation, table_name, old_id, new_id)\n\
         SELECT {id}, table_name, old_id, new_id FROM pg_temp.relocation_map_in\nON CONFLICT DO NOTHING;\nCOMMIT;\n",
        header(
            r,
            "30-map.sql",
            "the source instance and each single-instance silo's database",
            "-- Copies the mapping the target wrote (map.copy). Idempotent: a known row is kept."
        )
    );
    out.push(("30-map.sql".to_string(), s));

    // Target sums.
    let s = format!(
        "{}\n{TEXT_SETTINGS}\n\\copy ({}) TO 'target.sums'\n",
        header(
            r,
            "40-target-sums.sql",
            &format!("the target instance ({})", comment_text(&r.to)),
            "-- Row count and checksum of the tenant's rows per table, as they are in the target \
             (target.sums). Read-only.\n-- Locks: ACCESS SHARE on each table read."
        ),
        sums_query(cat, r, false).replace('\n', " ")
    );
    out.push(("40-target-sums.sql".to_string(), s));

    // Verify.
    let cmp = "DECLARE\n    bad text;\nBEGIN\n    SELECT string_agg(format('%s: source %s rows %s, target %s rows %s', coalesce(s.table_name, t.table_name), s.row_count, s.checksum, t.row_count, t.checksum), '; ' ORDER BY coalesce(s.table_name, t.table_name))\n      INTO bad\n      FROM pg_temp.source_sums AS s FULL JOIN pg_temp.target_sums AS t ON t.table_name = s.table_name\n     WHERE s.row_count IS DISTINCT FROM t.row_count OR s.checksum IS DISTINCT FROM t.checksum;\n    IF bad IS NOT NULL THEN\n        RAISE EXCEPTION 'relocation: source and target differ: %', bad;\n    END IF;\nEND\n";
    let tag = dollar_tag(cmp);
    let s = format!(
        "{}\n{TEXT_SETTINGS}\n{}\\if :done\n\\echo relocation {}: verified already\n\\else\nBEGIN;\n\
         CREATE TEMPORARY TABLE target_sums (table_name text, row_count bigint, checksum text) ON COMMIT DROP;\n\
         \\copy pg_temp.target_sums FROM 'target.sums'\n\
         -- The source's rows with every renumbered id through the mapping (a row without one is an error).\n\
         CREATE TEMPORARY TABLE source_sums ON COMMIT DROP AS\n{};\n\
         DO {tag}\n{cmp}{tag};\n\
         -- Locks: ROW EXCLUSIVE on silo_plan.relocation_verified and relocation_state.\n\
         INSERT INTO silo_plan.relocation_verified (relocation, table_name, row_count, checksum)\n\
         SELECT {id}, table_name, row_count, checksum FROM pg_temp.source_sums;\n{}COMMIT;\n\\endif\n",
        header(
            r,
            "50-verify.sql",
            &format!("the source instance ({})", comment_text(&r.from)),
            "-- Compares the tenant's rows in the source (ids mapped) with the target's \
             (target.sums): equal row\n-- counts and checksums per table, or an error naming \
             each difference. Records the verified counts\n-- that 70-delete.sql checks."
        ),
        step_done(r, "verify"),
        comment_text(&r.id),
        sums_query(cat, r, true),
        record(r, "verify")
    );
    out.push(("50-verify.sql".to_string(), s));

    // The single-instance silos.
    for silo in &r.other_silos {
        let name = format!("60-{}.sql", crate::names::silo_key(silo));
        let mut s = header(
            r,
            &name,
            &format!("the database of silo {}", comment_text(silo)),
            "-- Rewrites the references of this silo's rows to the moved rows: their new ids, and \
             the instance\n-- they now live in. One transaction, recorded; runs once.",
        );
        let refs: Vec<&Referrer> = r.referrers.iter().filter(|x| &x.silo == silo).collect();
        if refs.iter().any(|x| x.instance_column.is_none()) {
            s.push_str(
                "-- A table below has no instance column (--instance-column): its references \
                 are matched by id\n-- alone, which is right only when the instances' ids do not \
                 overlap (an id space per instance).\n",
            );
        }
        let step = format!("references-{silo}");
        let _ = write!(
            s,
            "SET lock_timeout = '5s';\n\n{}\\if :done\n\\echo relocation {}: references rewritten already\n\\else\nBEGIN;\n",
            step_done(r, &step),
            comment_text(&r.id)
        );
        let guard =
            "BEGIN\n    IF NOT EXISTS (SELECT FROM silo_plan.relocation_map WHERE relocation = ";
        let _ = write!(
            s,
            "DO $guard$\n{guard}{id}) THEN\n        RAISE EXCEPTION 'relocation %: no mapping here; run 30-map.sql first', {id};\n    END IF;\nEND\n$guard$;\n"
        );
        let map_of = |table: &QName, v: &str| {
            format!(
                "(SELECT m.new_id FROM silo_plan.relocation_map AS m WHERE m.relocation = {id} AND m.table_name = {} AND m.old_id = {v})",
                literal(&table.to_string())
            )
        };
        for x in refs {
            let mut sets: Vec<String> = x
                .mapped
                .iter()
                .map(|m| {
                    let v = format!("c.{}", ident(&m.column));
                    format!(
                        "{} = coalesce({}, {v})",
                        ident(&m.column),
                        map_of(&m.table, &v)
                    )
                })
                .collect();
            let any: Vec<String> = x
                .mapped
                .iter()
                .map(|m| {
                    format!(
                        "EXISTS (SELECT FROM silo_plan.relocation_map AS m WHERE m.relocation = {id} AND m.table_name = {} AND m.old_id = c.{})",
                        literal(&m.table.to_string()),
                        ident(&m.column)
                    )
                })
                .collect();
            let mut cond = format!("({})", any.join("\n    OR "));
            if let Some(ic) = &x.instance_column {
                sets.push(format!("{} = {}", ident(ic), literal(&r.to)));
                cond = format!("c.{} = {} AND {cond}", ident(ic), literal(&r.from));
            }
            let _ = writeln!(
                s,
                "\n-- {}: {}.\n-- Locks: ROW EXCLUSIVE on {}; the rows it updates.\nUPDATE {} AS c\n   SET {}\n WHERE {cond};",
                comment_text(&x.table.to_string()),
                x.mapped
                    .iter()
                    .map(|m| format!("{} → {}", comment_text(&m.column), comment_text(&m.table.to_string())))
                    .chain(x.instance_column.iter().map(|c| format!("{} names the instance", comment_text(c))))
                    .collect::<Vec<_>>()
                    .join(", "),
                comment_text(&x.table.to_string()),
                qualified(&x.table),
                sets.join(",\n       ")
            );
        }
        for x in r.reservations.iter().filter(|x| &x.silo == silo) {
            let table = format!("silo_plan.{}", ident(&x.name));
            let reg = literal(&table);
            let owner = ident(&x.owner);
            let mut sets = vec![
                format!("instance = {}", literal(&r.to)),
                format!("{owner} = {}", lookup(r, &x.table, &format!("v.{owner}"))),
            ];
            if x.value_mapped {
                sets.push(format!("value = {}", lookup(r, &x.table, "v.value")));
            }
            let _ = writeln!(
                s,
                "\n-- Reservations of {} held for the moved rows: now held by {}, for their new ids.\n\
                 -- Skipped when residency/{silo}.sql was not run here.\n\
                 SELECT to_regclass({reg}) IS NOT NULL AS has_reservations \\gset\n\\if :has_reservations\n\
                 -- Locks: ROW EXCLUSIVE on {}; the rows it updates.\n\
                 UPDATE {table} AS v\n   SET {}\n WHERE v.instance = {} AND EXISTS (SELECT FROM silo_plan.relocation_map AS m WHERE m.relocation = {id} AND m.table_name = {} AND m.old_id = v.{owner});\n\\endif",
                comment_text(&x.table.to_string()),
                comment_text(&r.to),
                comment_text(&table),
                sets.join(",\n       "),
                literal(&r.from),
                literal(&x.table.to_string()),
            );
        }
        let _ = write!(s, "{}COMMIT;\n\\endif\n", record(r, &step));
        out.push((name, s));
    }

    // Delete.
    let mut body = String::from("DECLARE\n    n bigint;\nBEGIN\n");
    let _ = writeln!(
        body,
        "    IF NOT EXISTS (SELECT FROM silo_plan.relocation_state WHERE relocation = {id} AND step = 'verify') THEN\n        \
         RAISE EXCEPTION 'relocation %: not verified; run 50-verify.sql first', {id};\n    END IF;"
    );
    for m in r.tables.iter().rev() {
        let (from, cond) = selection(cat, r, m, &r.tenant_value);
        let _ = writeln!(
            body,
            "    -- Locks: ROW EXCLUSIVE on {}; the rows it deletes.\n    DELETE FROM {from} WHERE {cond};\n    \
             GET DIAGNOSTICS n = ROW_COUNT;\n    \
             IF n IS DISTINCT FROM (SELECT v.row_count FROM silo_plan.relocation_verified AS v WHERE v.relocation = {id} AND v.table_name = {}) THEN\n        \
             RAISE EXCEPTION 'relocation %: % rows of % deleted, not the count verified', {id}, n, {};\n    END IF;",
            comment_text(&m.table.to_string()),
            literal(&m.table.to_string()),
            literal(&m.table.to_string()),
        );
    }
    body.push_str("END\n");
    let tag = dollar_tag(&body);
    let s = format!(
        "{}SET lock_timeout = '5s';\n\n{}\\if :done\n\\echo relocation {}: deleted already\n\\else\nBEGIN;\n\
         -- Keys declared DEFERRABLE are checked at COMMIT.\nSET CONSTRAINTS ALL DEFERRED;\n\
         DO {tag}\n{body}{tag};\n{}COMMIT;\n\\endif\n",
        header(
            r,
            "70-delete.sql",
            &format!("the source instance ({})", comment_text(&r.from)),
            "-- Deletes the tenant's rows, children first, only after 50-verify.sql recorded the \
             verify, and\n-- only when each table loses exactly the rows verified: else nothing \
             is deleted. A row of\n-- another tenant still referencing a moved row fails the \
             COMMIT (nothing deleted)."
        ),
        step_done(r, "delete"),
        comment_text(&r.id),
        record(r, "delete")
    );
    out.push(("70-delete.sql".to_string(), s));
    out.push(("relocate.sh".to_string(), driver(r)));
    out
}

fn driver(r: &Relocation) -> String {
    let others: Vec<(String, String)> = r
        .other_silos
        .iter()
        .map(|s| {
            (
                crate::names::env_var(s, "URL"),
                format!("60-{}.sql", crate::names::silo_key(s)),
            )
        })
        .collect();
    let mut env_doc = String::new();
    for (v, _) in &others {
        let _ = writeln!(
            env_doc,
            "#   {v:<14} a single-instance silo's database whose rows point at moved rows"
        );
    }
    let mut left_note = String::new();
    if !r.left_out.is_empty() {
        let _ = writeln!(
            left_note,
            "#\n# Not moved: the silo's tables its tenant does not reach (check's SP019), whose rows stay in\n# the source: {}",
            r.left_out
                .iter()
                .map(|q| comment_text(&q.to_string()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut setup = String::new();
    let mut map = String::new();
    let mut refs = String::new();
    for (v, f) in &others {
        let _ = writeln!(setup, "run {v} 00-setup.sql");
        let _ = writeln!(map, "run {v} 30-map.sql");
        let _ = writeln!(refs, "run {v} {f}");
    }
    format!(
        "#!/usr/bin/env bash\n# silo-plan relocate: relocate.sh\n#\n\
         # Moves tenant {} = {} of silo {} from instance {} to {} (relocation {}).\n#\n\
         # The rows travel through files: psql's \\copy writes them from the source and reads them into the\n\
         # target. Only psql and plain Postgres are needed (no extension, and no network path between the\n\
         # database servers, which dblink or postgres_fdw would need); the export reads every table in one\n\
         # snapshot. The application must not write the tenant's rows while this runs (mark it read-only).\n#\n\
         # Steps, each recorded in silo_plan.relocation_state of the database it changes and skipped once\n\
         # recorded: run it again after a failure to resume, or after success to change nothing.\n\
         #   00-setup      every database: schema silo_plan's bookkeeping\n\
         #   10-export     source: the tenant's rows, parents first, into NNN.copy\n\
         #   20-import     target: new ids from its sequences (silo_plan.relocation_map), rows inserted\n\
         #                 with every reference rewritten; the mapping into map.copy\n\
         #   30-map        source and single-instance silos: the mapping\n\
         #   40-target-sums, 50-verify   row counts and checksums per table, equal or stop\n\
         #   60-<silo>     single-instance silos: references to moved rows, reservations, instance\n\
         #   70-delete     source: the tenant's rows, only once verified\n#\n\
         # Environment:\n#   SOURCE_URL     the database of instance {}\n#   TARGET_URL     the database of instance {}\n{env_doc}\
         #   RELOCATION_DATA  directory for the exported rows (default: data/ next to this script)\n\
         #   PSQL           the psql binary (default: psql on PATH)\n{left_note}\
         set -euo pipefail\n\n\
         here=\"$(cd \"$(dirname \"${{BASH_SOURCE[0]}}\")\" && pwd)\"\n\
         psql_bin=\"${{PSQL:-psql}}\"\ndata=\"${{RELOCATION_DATA:-$here/data}}\"\nmkdir -p \"$data\"\ncd \"$data\"\n\n\
         # run URL_VAR FILE: FILE with psql against the database in $URL_VAR, stopping at the first error.\n\
         run() {{\n    local url_var=\"$1\" file=\"$2\"\n    if [ -z \"${{!url_var:-}}\" ]; then\n        \
         echo \"relocate.sh: $url_var is not set (the database $file runs on)\" >&2\n        exit 2\n    fi\n    \
         echo \"relocate.sh: $file on $url_var\" >&2\n    \
         \"$psql_bin\" -X -q -v ON_ERROR_STOP=1 -d \"${{!url_var}}\" -f \"$here/$file\"\n}}\n\n\
         run SOURCE_URL 00-setup.sql\nrun TARGET_URL 00-setup.sql\n{setup}\
         run SOURCE_URL 10-export.sql\nrun TARGET_URL 20-import.sql\nrun SOURCE_URL 30-map.sql\n{map}\
         run TARGET_URL 40-target-sums.sql\nrun SOURCE_URL 50-verify.sql\n{refs}run SOURCE_URL 70-delete.sql\n\
         echo \"relocate.sh: relocation {} done\" >&2\n",
        comment_text(&r.tenant.to_string()),
        comment_text(&r.tenant_value),
        comment_text(&r.silo),
        comment_text(&r.from),
        comment_text(&r.to),
        comment_text(&r.id),
        comment_text(&r.from),
        comment_text(&r.to),
        shell_text(&r.id),
    )
}

/// Text safe inside a double-quoted shell string.
fn shell_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '"' | '$' | '`' | '\\' => format!("\\{c}"),
            c => c.to_string(),
        })
        .collect()
}
