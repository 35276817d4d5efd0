//! ID spaces of a multi-instance silo (`[silos.X] id_space = ...`): after the split every
//! instance runs its own sequences, so two instances hand out the same ids, and a reference
//! from a single-instance silo (control → a region row) no longer says which database holds the
//! row. Three schemes, each written as SQL the plan runs once per database:
//!
//! * `ranges`: each instance's sequences hand out ids from their own slice of the column's type
//!   (the positive range split evenly: the origin instance's first, from 1, then the others in
//!   the order of `instances`). The origin instance (`origin_instance`, default the first) is
//!   the one that holds today's rows (its sequences keep going, bounded by `MAXVALUE`); the
//!   others start at their range (`MINVALUE … MAXVALUE … RESTART WITH`). A guard refuses, naming the
//!   sequence and the maximum, when an existing id breaks the scheme: today's maximum past the
//!   origin instance's range end, or, in another instance, an id at or above the start of its
//!   range (the restart would hand it out again). A sequence already in its range is left as
//!   it is: the file can run again.
//! * `instance-column`: ids stay per instance; every reference into the silo from a
//!   single-instance silo gets a text column beside it naming the instance that holds the row
//!   (`org_id_instance`), backfilled to the origin instance, with a CHECK that a set reference
//!   names a configured instance and an index built concurrently.
//! * `snowflake`: ids carry the instance: `silo_plan.<function>()` returns milliseconds since
//!   2024-01-01 (41 bits), the instance's number (10 bits) and a sequence (12 bits) in one
//!   bigint, set as the default of each sequence-backed column (an identity is dropped first).
//!   The guard refuses a column that is not bigint and an existing id at or above the first
//!   id the function can hand out.
//!
//! Plain data and pure functions: no I/O.

use std::fmt::Write;

use schemars::JsonSchema;
use serde::Serialize;

use crate::assign::{Assignment, Placement};
use crate::catalog::{Catalog, QName};
use crate::config::{Config, IdSpace};
use crate::findings::{Code, Finding, Location, Severity};
use crate::ident::{comment_text, ident, literal, qualified};
use crate::names;

/// `snowflake`: the epoch of the time bits, 2024-01-01T00:00:00Z in milliseconds.
pub const SNOWFLAKE_EPOCH_MS: i64 = 1_704_067_200_000;

/// `snowflake`: bits of the instance number (at most 1,024 instances).
pub const SNOWFLAKE_INSTANCE_BITS: u32 = 10;

/// `snowflake`: bits of the sequence (4,096 ids per millisecond and instance).
pub const SNOWFLAKE_SEQUENCE_BITS: u32 = 12;

/// The `lock_timeout` of statements that lock a table or sequence in a mode that blocks writes.
pub const LOCK_TIMEOUT: &str = "5s";

/// One sequence of the silo and the columns it fills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct IdSequence {
    /// The sequence; for an identity column, the one Postgres created for it (read with
    /// `pg_get_serial_sequence` when the file runs).
    pub sequence: QName,
    /// It backs an identity column.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schemars(default)]
    pub identity: bool,
    /// The columns whose ids it hands out (`schema.table.column`), sorted.
    pub columns: Vec<IdColumn>,
    /// The integer type of its columns (`smallint`, `integer`, `bigint`; the narrowest).
    pub data_type: String,
    /// `ranges`: each instance's range, the origin instance's first (from 1), then the others
    /// in `instances` order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub ranges: Vec<IdRange>,
}

/// A column whose default hands out ids from a sequence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct IdColumn {
    /// The table.
    pub table: QName,
    /// The column.
    pub column: String,
}

/// One instance's range of ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct IdRange {
    /// The instance.
    pub instance: String,
    /// First id.
    pub start: i64,
    /// Last id.
    pub end: i64,
}

/// `instance-column`: a reference into the silo and the column added beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct InstanceRef {
    /// The single-instance silo holding the child table.
    pub silo: String,
    /// The foreign key (or reference) of the child table.
    pub constraint: String,
    /// The child table.
    pub table: QName,
    /// Its columns that hold the reference.
    pub columns: Vec<String>,
    /// The table of the multi-instance silo referenced.
    pub references: QName,
    /// The column added: `<columns>_instance`.
    pub instance_column: String,
    /// Its CHECK constraint.
    pub check: String,
    /// Its index, built concurrently: (instance column, reference columns).
    pub index: String,
    /// The child table is partitioned: Postgres cannot build its index concurrently, the plain
    /// build blocks writes while it runs.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schemars(default)]
    pub partitioned: bool,
}

/// The id-space plan of one multi-instance silo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct IdSpacePlan {
    /// The silo.
    pub silo: String,
    /// The scheme (`id_space`).
    pub scheme: IdSpace,
    /// Its instances, in `instances` order.
    pub instances: Vec<String>,
    /// The instance that holds today's rows (`origin_instance`, default the first).
    pub origin_instance: String,
    /// The sequences of the silo's tables (by sequence name); for `ranges` and `snowflake`.
    pub sequences: Vec<IdSequence>,
    /// `instance-column`: the references into the silo from single-instance silos, by child
    /// table and key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub references: Vec<InstanceRef>,
}

impl IdSpacePlan {
    /// The files the plan writes for it, in order: one per instance (`ranges`, `snowflake`)
    /// or one per single-instance silo holding references (`instance-column`).
    pub fn files(&self) -> Vec<String> {
        match self.scheme {
            IdSpace::InstanceColumn => {
                let mut silos: Vec<&str> =
                    self.references.iter().map(|r| r.silo.as_str()).collect();
                silos.sort_unstable();
                silos.dedup();
                silos
                    .into_iter()
                    .map(|s| format!("residency/id-space/{}/{s}.sql", self.silo))
                    .collect()
            }
            _ => self
                .instances
                .iter()
                .map(|i| format!("residency/id-space/{}/{i}.sql", self.silo))
                .collect(),
        }
    }
}

/// The largest id of an integer type as a dump writes it; bigint for anything else.
fn type_of(data_type: &str) -> (&'static str, i64) {
    match data_type.trim().to_ascii_lowercase().as_str() {
        "smallint" | "int2" | "smallserial" => ("smallint", i64::from(i16::MAX)),
        "integer" | "int" | "int4" | "serial" => ("integer", i64::from(i32::MAX)),
        _ => ("bigint", i64::MAX),
    }
}

fn in_silo(asg: &Assignment, t: &QName, silo: &str) -> bool {
    matches!(asg.silo_of(t), Some(Placement::Silo(n)) if n == silo)
}

/// Each instance's range of `1..=max`: equal slices in order, the last one taking the rest.
pub fn ranges(instances: &[String], max: i64) -> Vec<IdRange> {
    let n = i64::try_from(instances.len().max(1)).unwrap_or(1);
    let size = max / n;
    instances
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            let i = i64::try_from(i).unwrap_or(0);
            IdRange {
                instance: inst.clone(),
                start: i * size + 1,
                end: if i == n - 1 { max } else { (i + 1) * size },
            }
        })
        .collect()
}

/// The id-space plan of every silo that sets `id_space`, in config order.
pub fn build(input: &crate::plan::Input) -> Vec<IdSpacePlan> {
    let (cat, cfg, asg) = (input.cat, input.cfg, input.asg);
    let mut out = Vec::new();
    for s in &cfg.silos {
        let Some(setting) = s.id_space else { continue };
        let Some(origin) = s.origin_instance() else {
            continue;
        };
        // The origin instance's range starts at 1: today's ids are in it.
        let mut ordered: Vec<String> = vec![origin.to_string()];
        ordered.extend(s.new_instances().into_iter().map(str::to_string));
        let mut sequences = silo_sequences(cat, asg, &s.name, &ordered);
        if setting.scheme != IdSpace::Ranges {
            for q in &mut sequences {
                q.ranges.clear();
            }
        }
        let references = if setting.scheme == IdSpace::InstanceColumn {
            instance_refs(cat, cfg, asg, &s.name)
        } else {
            Vec::new()
        };
        out.push(IdSpacePlan {
            silo: s.name.clone(),
            scheme: setting.scheme,
            instances: s.instances.clone(),
            origin_instance: origin.to_string(),
            sequences,
            references,
        });
    }
    out
}

/// The sequences of silo `silo`'s tables (partitions through their parent): each sequence a
/// default or an identity of one of them draws from, with its columns and, for `instances`
/// (the origin instance first), each instance's range; sorted by sequence name.
fn silo_sequences(
    cat: &Catalog,
    asg: &Assignment,
    silo: &str,
    instances: &[String],
) -> Vec<IdSequence> {
    let mut sequences: Vec<IdSequence> = Vec::new();
    let root_table = |t: &QName| {
        cat.table(t).is_some_and(|t| {
            t.partition_of.is_none() && in_silo(asg, &QName::new(&t.schema, &t.name), silo)
        })
    };
    for seq in &cat.sequences {
        let mut cols: Vec<IdColumn> = seq
            .owned_by
            .iter()
            .chain(seq.used_by.iter())
            .filter(|c| root_table(&c.table))
            .map(|c| IdColumn {
                table: c.table.clone(),
                column: c.column.clone(),
            })
            .collect();
        cols.sort();
        cols.dedup();
        if cols.is_empty() {
            continue;
        }
        sequences.push(sequence_entry(
            cat,
            seq.name.clone(),
            seq.identity,
            cols,
            instances,
        ));
    }
    // Identity columns declared inline, whose sequence the dump does not name.
    for t in &cat.tables {
        let q = QName::new(&t.schema, &t.name);
        if !root_table(&q) {
            continue;
        }
        for c in t.columns.iter().filter(|c| c.identity.is_some()) {
            let col = IdColumn {
                table: q.clone(),
                column: c.name.clone(),
            };
            if sequences.iter().any(|q| q.columns.contains(&col)) {
                continue;
            }
            let name = QName::new(&t.schema, format!("{}_{}_seq", t.name, c.name));
            sequences.push(sequence_entry(cat, name, true, vec![col], instances));
        }
    }
    sequences.sort_by(|a, b| a.sequence.cmp(&b.sequence));
    sequences
}

/// The columns of silo `silo`'s tables whose ids a sequence or identity hands out
/// (`schema.table.column`), by sequence name.
pub fn sequence_columns(cat: &Catalog, asg: &Assignment, silo: &str) -> Vec<String> {
    silo_sequences(cat, asg, silo, &[])
        .into_iter()
        .flat_map(|q| q.columns)
        .map(|c| format!("{}.{}", c.table, c.column))
        .collect()
}

/// How many columns [`findings`] names before it counts the rest.
const NAMED_COLUMNS: usize = 3;

/// SP020: each silo with two or more instances, no `id_space`, and tables whose ids a sequence
/// or identity hands out: every instance would hand out the same ids (at the silo's name in the
/// config).
pub fn findings(cat: &Catalog, cfg: &Config, asg: &Assignment) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in cfg.silos.iter().filter(|s| s.id_space.is_none()) {
        if s.instances.len() < 2 {
            continue;
        }
        let columns: Vec<IdColumn> = silo_sequences(cat, asg, &s.name, &s.instances)
            .into_iter()
            .flat_map(|q| q.columns)
            .collect();
        if columns.is_empty() {
            continue;
        }
        let mut named: Vec<String> = columns
            .iter()
            .take(NAMED_COLUMNS)
            .map(|c| format!("{}.{}", c.table, c.column))
            .collect();
        if columns.len() > NAMED_COLUMNS {
            named.push(format!("and {} more", columns.len() - NAMED_COLUMNS));
        }
        let at = Location {
            file: cfg.path.clone(),
            line: s.name_pos.line,
            column: Some(s.name_pos.column),
        };
        out.push(Finding {
            code: Code::IdSpaceUnplanned,
            severity: Severity::Warning,
            message: format!(
                "silo {} runs as {} instances ({}) and sets no id_space: {} column(s) take their ids from a sequence or identity ({}), and every instance would hand out the same ids",
                s.name,
                s.instances.len(),
                s.instances.join(", "),
                columns.len(),
                named.join(", ")
            ),
            location: Some(at),
            related: Vec::new(),
            help: Some(format!(
                "set `id_space` in `[silos.{}]`: \"ranges\" (a slice of each sequence per instance), \"instance-column\" (references into the silo name the instance) or \"snowflake\" (ids that carry the instance); docs/config.md#silos",
                s.name
            )),
            object: s.name.clone(),
            reference: None,
        });
    }
    out
}

fn sequence_entry(
    cat: &Catalog,
    sequence: QName,
    identity: bool,
    columns: Vec<IdColumn>,
    instances: &[String],
) -> IdSequence {
    let (data_type, max) = columns
        .iter()
        .map(|c| {
            let ty = cat
                .table(&c.table)
                .and_then(|t| t.columns.iter().find(|x| x.name == c.column))
                .map_or("bigint", |x| x.data_type.as_str());
            type_of(ty)
        })
        .min_by_key(|(_, m)| *m)
        .unwrap_or(("bigint", i64::MAX));
    IdSequence {
        sequence,
        identity,
        columns,
        data_type: data_type.to_string(),
        ranges: ranges(instances, max),
    }
}

/// The references into silo `silo` from single-instance silos, by child table and key, with
/// the names of what is added beside each.
fn instance_refs(cat: &Catalog, cfg: &Config, asg: &Assignment, silo: &str) -> Vec<InstanceRef> {
    let single = |p: Option<&Placement>| match p {
        Some(Placement::Silo(n)) if n != silo => cfg
            .silo(n)
            .filter(|o| o.instances.len() < 2)
            .map(|o| o.name.clone()),
        _ => None,
    };
    let mut found: Vec<(QName, Vec<String>, String, QName, String)> = Vec::new();
    for (k, fk) in cat.foreign_keys.iter().enumerate() {
        let (child, parent) = asg.fk_placements(k, fk);
        if !matches!(parent, Some(Placement::Silo(n)) if n == silo) {
            continue;
        }
        let Some(child_silo) = single(child) else {
            continue;
        };
        if found
            .iter()
            .any(|(t, c, ..)| *t == fk.table && *c == fk.columns)
        {
            continue;
        }
        found.push((
            fk.table.clone(),
            fk.columns.clone(),
            fk.name.clone(),
            fk.references.clone(),
            child_silo,
        ));
    }
    found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut taken: Vec<(QName, String)> = Vec::new();
    found
        .into_iter()
        .map(|(table, columns, constraint, references, child_silo)| {
            let existing: Vec<&str> = cat
                .table(&table)
                .map(|t| t.columns.iter().map(|c| c.name.as_str()).collect())
                .unwrap_or_default();
            let base = format!("{}_instance", columns.join("_"));
            let mut salt = 0u32;
            let instance_column = loop {
                let salt_text = salt.to_string();
                let name = if salt == 0 {
                    names::fit(&base, names::MAX_IDENT, &[&base])
                } else {
                    names::fit(
                        &format!("{base}_{salt}"),
                        names::MAX_IDENT,
                        &[&base, &salt_text],
                    )
                };
                if !existing.contains(&name.as_str())
                    && !taken.iter().any(|(t, n)| *t == table && *n == name)
                {
                    break name;
                }
                salt += 1;
            };
            taken.push((table.clone(), instance_column.clone()));
            let check_base = format!("{}_{instance_column}_check", table.name);
            let index_base = format!("silo_plan_{}_{instance_column}_idx", table.name);
            InstanceRef {
                partitioned: cat
                    .table(&table)
                    .is_some_and(|t| t.kind == crate::catalog::TableKind::Partitioned),
                silo: child_silo,
                constraint,
                check: names::fit(
                    &check_base,
                    names::MAX_IDENT,
                    &[&table.schema, &table.name, &instance_column, "check"],
                ),
                index: names::fit(
                    &index_base,
                    names::MAX_IDENT,
                    &[&table.schema, &table.name, &instance_column, "idx"],
                ),
                table,
                columns,
                references,
                instance_column,
            }
        })
        .collect()
}

/// `silo_plan.next_id_<silo>`: the snowflake function of a silo.
pub fn snowflake_function(silo: &str) -> String {
    names::silo_object("next_id_", silo, "")
}

/// `silo_plan.next_id_<silo>_seq`: the sequence part of its ids.
pub fn snowflake_sequence(silo: &str) -> String {
    names::silo_object("next_id_", silo, "_seq")
}

fn header(p: &IdSpacePlan, file: &str, db: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "-- silo-plan: {file}\n--\n\
         -- ID space of silo {silo} (`id_space = \"{scheme}\"`; instances {instances}), for the {db} database.\n\
         -- Run with psql -v ON_ERROR_STOP=1 on that database, before the application writes there after the split.\n\
         -- {guard}\n\
         \\set ON_ERROR_STOP on\n\
         SET standard_conforming_strings = on;",
        silo = comment_text(&p.silo),
        scheme = p.scheme.as_str(),
        instances = comment_text(&p.instances.join(", ")),
        db = comment_text(db),
        guard = match p.scheme {
            IdSpace::InstanceColumn => "Each step is done once: run it again after a failure, it goes on where it stopped.",
            _ => "Each sequence (or column) is its own transaction whose guard runs first and raises an exception that\n\
                  -- names it and the id that breaks the scheme: the file stops there, the ones before are done, that one\n\
                  -- is unchanged. Fix it and run the file again: what is done is left as it is.",
        },
    );
    s
}

/// `SELECT max(m) FROM (SELECT max(col)::bigint AS m FROM t UNION ALL ...) AS ids`.
fn max_query(cols: &[IdColumn]) -> String {
    let parts: Vec<String> = cols
        .iter()
        .map(|c| {
            format!(
                "SELECT max({})::bigint AS m FROM {}",
                ident(&c.column),
                qualified(&c.table)
            )
        })
        .collect();
    format!("SELECT max(m) FROM ({}) AS ids", parts.join(" UNION ALL "))
}

fn columns_text(cols: &[IdColumn]) -> String {
    cols.iter()
        .map(|c| format!("{}.{}", c.table, c.column))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `regclass` of a sequence as the file reads it: by name, or for an identity column
/// through `pg_get_serial_sequence` (the name Postgres gave it).
pub fn seq_expr(q: &IdSequence) -> String {
    if q.identity {
        let c = &q.columns[0];
        format!(
            "pg_catalog.pg_get_serial_sequence({}, {})::regclass",
            literal(&qualified(&c.table)),
            literal(&c.column)
        )
    } else {
        format!("{}::regclass", literal(&qualified(&q.sequence)))
    }
}

/// `residency/id-space/<silo>/<instance>.sql` (`ranges`, `snowflake`).
pub fn instance_sql(p: &IdSpacePlan, instance: &str) -> String {
    let file = format!("residency/id-space/{}/{instance}.sql", p.silo);
    let mut s = header(p, &file, &format!("{instance} instance"));
    let number = p.instances.iter().position(|i| i == instance).unwrap_or(0);
    match p.scheme {
        IdSpace::Ranges => ranges_sql(&mut s, p, instance),
        IdSpace::Snowflake => snowflake_sql(&mut s, p, instance, number),
        IdSpace::InstanceColumn => {}
    }
    let _ = writeln!(s, "\n-- End of {file}.");
    s
}

fn ranges_sql(s: &mut String, p: &IdSpacePlan, instance: &str) {
    let first = instance == p.origin_instance;
    let _ = writeln!(
        s,
        "\n-- Each sequence below hands out ids from this instance's slice of its type: the positive range\n\
         -- split evenly between the {n} instances, the origin instance's first. {role}",
        n = p.instances.len(),
        role = if first {
            "This is the origin\n-- instance: it holds today's rows, so its sequences go on from where they are, bounded by MAXVALUE;\n\
             -- the guard refuses when an id or the sequence is already past the end of its range."
        } else {
            "This instance starts\n-- its sequences at the start of its range; the guard refuses when a row already holds an id at or\n\
             -- above that start (the restart would hand it out again). Ids below it came from the origin\n\
             -- instance before the split and stay unique as long as each row lives in one instance."
        }
    );
    for q in &p.sequences {
        let Some(r) = q.ranges.iter().find(|r| r.instance == instance) else {
            continue;
        };
        let what = literal(&format!("{} ({})", q.sequence, columns_text(&q.columns)));
        let _ = writeln!(
            s,
            "\n-- {cols}: sequence {seq}{ident}, ids {start} to {end} ({ty}) in instance {inst}.\n\
             -- Locks: ACCESS SHARE on {tables} (max of the ids); SHARE ROW EXCLUSIVE on the sequence for the ALTER\n\
             -- (nextval waits until COMMIT); lock_timeout {LOCK_TIMEOUT}.\n\
             BEGIN;\nSET LOCAL lock_timeout = '{LOCK_TIMEOUT}';\nDO $silo_plan$\nDECLARE\n    seq regclass := {expr};\n    top bigint;\n    last bigint;\n\
             BEGIN\n    IF EXISTS (SELECT FROM pg_catalog.pg_sequence\n                WHERE seqrelid = seq AND seqmax = {end}{min_cond}) THEN\n        \
             RETURN; -- already in its range\n    END IF;\n    top := ({max});\n    last := pg_catalog.pg_sequence_last_value(seq);",
            cols = comment_text(&columns_text(&q.columns)),
            seq = comment_text(&q.sequence.to_string()),
            ident = if q.identity { " (identity)" } else { "" },
            start = r.start,
            end = r.end,
            ty = q.data_type,
            inst = comment_text(instance),
            tables = comment_text(
                &q.columns
                    .iter()
                    .map(|c| c.table.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            expr = seq_expr(q),
            min_cond = if first {
                String::new()
            } else {
                format!(" AND seqmin = {}", r.start)
            },
            max = max_query(&q.columns),
        );
        if first {
            let _ = writeln!(
                s,
                "    IF top > {end} OR last > {end} THEN\n        \
                 RAISE EXCEPTION 'id space of instance %: sequence % is past the end % of its range: max(id) %, last value %',\n            \
                 {inst}, {what}, {end}, top, last;\n    END IF;\n    \
                 EXECUTE format('ALTER SEQUENCE %s AS {ty} MAXVALUE {end}', seq);",
                end = r.end,
                inst = literal(instance),
                ty = q.data_type,
            );
        } else {
            let _ = writeln!(
                s,
                "    IF top >= {start} THEN\n        \
                 RAISE EXCEPTION 'id space of instance %: sequence % would restart at % but max(id) is %',\n            \
                 {inst}, {what}, {start}, top;\n    END IF;\n    \
                 EXECUTE format('ALTER SEQUENCE %s AS {ty} MINVALUE {start} MAXVALUE {end} START WITH {start} RESTART WITH {start}', seq);",
                start = r.start,
                end = r.end,
                inst = literal(instance),
                ty = q.data_type,
            );
        }
        let _ = writeln!(s, "END\n$silo_plan$;\nCOMMIT;");
    }
}

fn snowflake_sql(s: &mut String, p: &IdSpacePlan, instance: &str, number: usize) {
    let f = format!("silo_plan.{}", ident(&snowflake_function(&p.silo)));
    let seq = format!("silo_plan.{}", ident(&snowflake_sequence(&p.silo)));
    let shift_time = SNOWFLAKE_INSTANCE_BITS + SNOWFLAKE_SEQUENCE_BITS;
    let seq_mod = 1i64 << SNOWFLAKE_SEQUENCE_BITS;
    let _ = writeln!(
        s,
        "\n-- Ids that carry the instance: milliseconds since 2024-01-01 (41 bits, until 2093), instance number\n\
         -- {number} ({inst}, its place in silo-plan.toml's list; {ib} bits) and a sequence ({sb} bits): unique across the\n\
         -- instances, and within one as long as it hands out at most {seq_mod} ids per millisecond and its\n\
         -- clock does not go back. Never renumber the instances once ids exist.\n\
         -- Locks: none on existing tables (a new schema, sequence and function).\n\
         CREATE SCHEMA IF NOT EXISTS silo_plan;\n\
         CREATE SEQUENCE IF NOT EXISTS {seq} AS bigint MINVALUE 0 START WITH 0 CYCLE;\n\
         CREATE OR REPLACE FUNCTION {f}() RETURNS bigint\n    LANGUAGE sql\n    VOLATILE\n    SET search_path = pg_catalog, pg_temp\n\
         AS $silo_plan$\n    SELECT ((floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint - {SNOWFLAKE_EPOCH_MS}) << {shift_time})\n         \
         | ({number}::bigint << {SNOWFLAKE_SEQUENCE_BITS})\n         | (nextval({seq_lit}) % {seq_mod})\n$silo_plan$;",
        inst = comment_text(instance),
        ib = SNOWFLAKE_INSTANCE_BITS,
        sb = SNOWFLAKE_SEQUENCE_BITS,
        seq_lit = literal(&format!("silo_plan.{}", ident(&snowflake_sequence(&p.silo)))),
    );
    for q in &p.sequences {
        for c in &q.columns {
            let t = qualified(&c.table);
            let col = ident(&c.column);
            let what = literal(&format!("{}.{}", c.table, c.column));
            let _ = writeln!(
                s,
                "\n-- {tc}: its default becomes {fc}(){drop}.\n\
                 -- Locks: ACCESS SHARE on {tc_t} (max of the ids), then ACCESS EXCLUSIVE on it for the ALTER (a catalog\n\
                 -- change, no rewrite); lock_timeout {LOCK_TIMEOUT}.\n\
                 BEGIN;\nSET LOCAL lock_timeout = '{LOCK_TIMEOUT}';\nDO $silo_plan$\nDECLARE\n    top bigint;\n    floor_id bigint;\nBEGIN\n    \
                 IF (SELECT a.atttypid FROM pg_catalog.pg_attribute AS a\n         WHERE a.attrelid = {tlit}::regclass AND a.attname = {clit}) <> 'bigint'::regtype THEN\n        \
                 RAISE EXCEPTION 'id space of instance %: column % is not bigint: snowflake ids need bigint (widen it, and every column referencing it, first)',\n            \
                 {inst}, {what};\n    END IF;\n    \
                 IF (SELECT d.adbin IS NOT NULL AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) = {fexpr}\n          \
                 FROM pg_catalog.pg_attrdef AS d JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.adrelid AND a.attnum = d.adnum\n         \
                 WHERE d.adrelid = {tlit}::regclass AND a.attname = {clit}) THEN\n        RETURN; -- already done\n    END IF;\n    \
                 SELECT max({col})::bigint INTO top FROM {t};\n    \
                 floor_id := (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint - {SNOWFLAKE_EPOCH_MS}) << {shift_time};\n    \
                 IF top >= floor_id THEN\n        \
                 RAISE EXCEPTION 'id space of instance %: column % holds id %, at or above the first snowflake id %',\n            \
                 {inst}, {what}, top, floor_id;\n    END IF;\n    \
                 {drop_identity}ALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT {f}();\nEND\n$silo_plan$;\nCOMMIT;",
                tc = comment_text(&format!("{}.{}", c.table, c.column)),
                tc_t = comment_text(&c.table.to_string()),
                fc = comment_text(&f),
                drop = if q.identity {
                    " (its identity is dropped first: inserts may then also give ids of their own)"
                } else {
                    ""
                },
                drop_identity = if q.identity {
                    format!("ALTER TABLE {t} ALTER COLUMN {col} DROP IDENTITY IF EXISTS;\n    ")
                } else {
                    String::new()
                },
                tlit = literal(&t),
                clit = literal(&c.column),
                fexpr = literal(&format!("{f}()")),
                inst = literal(instance),
            );
        }
    }
}

/// `residency/id-space/<silo>/<child silo>.sql` (`instance-column`): the columns added
/// beside the references of `child_silo` into the silo.
pub fn references_sql(p: &IdSpacePlan, child_silo: &str) -> Option<String> {
    let mine: Vec<&InstanceRef> = p
        .references
        .iter()
        .filter(|r| r.silo == child_silo)
        .collect();
    if mine.is_empty() {
        return None;
    }
    let file = format!("residency/id-space/{}/{child_silo}.sql", p.silo);
    let mut s = header(p, &file, child_silo);
    let first = p.origin_instance.as_str();
    let list: Vec<String> = p.instances.iter().map(|i| literal(i)).collect();
    let _ = writeln!(
        s,
        "\n-- Ids of silo {silo} are unique within one instance only: each reference from silo {child} into it gets a\n\
         -- column beside it that names the instance holding the row. Existing references are backfilled to\n\
         -- {first} (the origin instance, which holds today's rows); from then on the application writes the\n\
         -- instance with the reference: the CHECK refuses a set reference without a configured instance.\n\
         -- Deploy the application change that writes these columns before running this file.",
        silo = comment_text(&p.silo),
        child = comment_text(child_silo),
        first = comment_text(first),
    );
    for r in mine {
        let t = qualified(&r.table);
        let c = ident(&r.instance_column);
        let any_null: Vec<String> = r
            .columns
            .iter()
            .map(|x| format!("{} IS NULL", ident(x)))
            .collect();
        let all_set: Vec<String> = r
            .columns
            .iter()
            .map(|x| format!("{} IS NOT NULL", ident(x)))
            .collect();
        let _ = writeln!(
            s,
            "\n-- -------------------------------------------------------------------------------------------------\n\
             -- {tt}({cols}) → {parent} ({con}): instance column {ic}.\n\
             -- Locks: ACCESS EXCLUSIVE on {tt} for the ADD COLUMN (a catalog change: no default, no rewrite);\n\
             -- lock_timeout {LOCK_TIMEOUT}.\n\
             BEGIN;\nSET LOCAL lock_timeout = '{LOCK_TIMEOUT}';\n\
             ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c} text;\nCOMMIT;\n\
             -- Backfill: every existing reference names the origin instance.\n\
             -- Locks: ROW EXCLUSIVE on {tt} and the updated rows until COMMIT (one statement: on a large table run it\n\
             -- in batches of ids instead).\n\
             UPDATE {t} SET {c} = {first_lit} WHERE {c} IS NULL AND {all_set};\n\
             -- A set reference names a configured instance: added NOT VALID (new rows are checked from now on),\n\
             -- then validated without blocking writes.\n\
             -- Locks: ACCESS EXCLUSIVE on {tt} for the ADD CONSTRAINT (no scan); lock_timeout {LOCK_TIMEOUT}.\n\
             BEGIN;\nSET LOCAL lock_timeout = '{LOCK_TIMEOUT}';\nDO $silo_plan$\nBEGIN\n    \
             IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint\n                    WHERE conrelid = {tlit}::regclass AND conname = {chk_lit}) THEN\n        \
             ALTER TABLE {t} ADD CONSTRAINT {chk}\n            CHECK (coalesce({c} IN ({list}), false) OR ({c} IS NULL AND ({any_null})))\n            NOT VALID;\n    \
             END IF;\nEND\n$silo_plan$;\nCOMMIT;\n\
             -- Locks: SHARE UPDATE EXCLUSIVE on {tt} while it scans (writes go on).\n\
             ALTER TABLE {t} VALIDATE CONSTRAINT {chk};\n\
             -- Lookups by instance (which references a move of rows between instances updates).\n\
             {index}",
            index = if r.partitioned {
                format!(
                    "-- {tt} is partitioned: Postgres cannot build the index CONCURRENTLY; this build blocks writes.\n\
                     -- Locks: SHARE on {tt} and each partition while it builds; lock_timeout {LOCK_TIMEOUT}.\n\
                     BEGIN;\nSET LOCAL lock_timeout = '{LOCK_TIMEOUT}';\n\
                     CREATE INDEX IF NOT EXISTS {idx} ON {t} ({c}, {refcols});\nCOMMIT;",
                    tt = comment_text(&r.table.to_string()),
                    idx = ident(&r.index),
                    refcols = crate::ident::ident_list(&r.columns),
                )
            } else {
                format!(
                    "-- CONCURRENTLY, outside any transaction; an invalid index left by an interrupted build is skipped\n\
                     -- by IF NOT EXISTS: drop it and run again.\n\
                     -- Locks: SHARE UPDATE EXCLUSIVE on {tt} while it builds (writes go on).\n\
                     CREATE INDEX CONCURRENTLY IF NOT EXISTS {idx} ON {t} ({c}, {refcols});",
                    tt = comment_text(&r.table.to_string()),
                    idx = ident(&r.index),
                    refcols = crate::ident::ident_list(&r.columns),
                )
            },
            tt = comment_text(&r.table.to_string()),
            cols = comment_text(&r.columns.join(", ")),
            parent = comment_text(&r.references.to_string()),
            con = comment_text(&r.constraint),
            ic = comment_text(&r.instance_column),
            first_lit = literal(first),
            all_set = all_set.join(" AND "),
            tlit = literal(&t),
            chk_lit = literal(&r.check),
            chk = ident(&r.check),
            list = list.join(", "),
            any_null = any_null.join(" OR "),
        );
    }
    let _ = writeln!(s, "\n-- End of {file}.");
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_type_without_overlap() {
        let instances: Vec<String> = ["us", "de", "jp"].iter().map(|s| s.to_string()).collect();
        for max in [i64::from(i16::MAX), i64::from(i32::MAX), i64::MAX] {
            let r = ranges(&instances, max);
            assert_eq!(r.len(), 3);
            assert_eq!(r[0].start, 1);
            assert_eq!(r[2].end, max);
            for w in r.windows(2) {
                assert_eq!(w[0].end + 1, w[1].start, "{w:?}");
            }
            assert!(r.iter().all(|x| x.start <= x.end));
        }
        assert_eq!(type_of("character varying(20)"), ("bigint", i64::MAX));
        assert_eq!(type_of("INTEGER"), ("integer", i64::from(i32::MAX)));
    }
}
