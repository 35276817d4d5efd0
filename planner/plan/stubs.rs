//! The application stubs as data: what `stubs/<lang>/` says, before any language is chosen.
//!
//! For every parent table of a cross-silo foreign key: its columns with a language-neutral type
//! ([`Kind`]), the key column lists other silos reference it by (each a lookup that used to be a
//! join), and the edges whose `ON DELETE` is replicated. For every `restrict` crossing, the guard
//! query the application runs in the child's silo before deleting the parent. And the tombstone
//! pump's SQL, the same in every language. [`crate::render::stubs`] lays this out per language.
//!
//! The pump follows the tombstone contract shared with `cascades/<silo>.sql`: it reads
//! `silo_plan.tombstones` in the parent's database above a high-water mark, inserts the rows
//! into `silo_plan.inbox` in the child's database (`ON CONFLICT DO NOTHING`, so a repeated batch
//! changes nothing), and calls `silo_plan.apply(batch_size)` until it returns 0.

use rustc_hash::FxHashMap;

use crate::catalog::{Catalog, QName, TypeKind};
use crate::config::EdgeAction;
use crate::ident::{ident, ident_list, qualified};

use super::PlannedCrossing;

/// A column type, independent of the language it is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `smallint`, `smallserial`.
    Int16,
    /// `integer`, `serial`.
    Int32,
    /// `bigint`, `bigserial`.
    Int64,
    /// `real`.
    Float32,
    /// `double precision`, `float`.
    Float64,
    /// `numeric`, `decimal`, `money`: exact, carried as a string.
    Decimal,
    /// `text`, `varchar`, `char`, `citext`, `name`.
    Text,
    /// `uuid`: carried as a string.
    Uuid,
    /// `boolean`.
    Bool,
    /// `timestamp without time zone`.
    Timestamp,
    /// `timestamp with time zone`.
    TimestampTz,
    /// `date`.
    Date,
    /// `time`, `timetz`.
    Time,
    /// `interval`: carried as a string.
    Interval,
    /// `bytea`.
    Bytes,
    /// `json`, `jsonb`: any JSON value.
    Json,
    /// A user-defined enum: carried as a string (its label).
    Enum,
    /// Anything else (`inet`, `tsvector`, a composite, ...): carried as a string.
    Other,
}

impl Kind {
    /// Bound as the language's own number or boolean; every other kind is bound as text and cast.
    pub fn is_native_param(self) -> bool {
        matches!(
            self,
            Kind::Int16 | Kind::Int32 | Kind::Int64 | Kind::Float32 | Kind::Float64 | Kind::Bool
        )
    }
}

/// A column's type for the stubs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldType {
    /// The element kind.
    pub kind: Kind,
    /// Array dimensions (`integer[]` is 1).
    pub dims: usize,
    /// The type as SQL for a cast (`bigint`, `public.mood`), or `None` when the dump's text
    /// could not be written back safely; the parameter is then left for Postgres to infer.
    pub cast: Option<String>,
    /// The type as the dump writes it, for comments.
    pub written: String,
}

/// A column of a parent table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StubColumn {
    /// Column name.
    pub name: String,
    /// Its type.
    pub ty: FieldType,
    /// May be NULL.
    pub nullable: bool,
}

/// A cross-silo edge below a parent table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StubEdge {
    /// Constraint name.
    pub constraint: String,
    /// Child table.
    pub child: QName,
    /// Child columns.
    pub child_columns: Vec<String>,
    /// Child's silo.
    pub child_silo: String,
    /// Parent columns it references.
    pub parent_columns: Vec<String>,
    /// The replicated action.
    pub action: EdgeAction,
    /// The columns a set-null / set-default writes when the dump lists them (`SET NULL
    /// (cols)`, Postgres 15+); empty when it writes every child column.
    pub set_columns: Vec<String>,
}

/// A parent table referenced from another silo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StubParent {
    /// The table.
    pub table: QName,
    /// Its silo.
    pub silo: String,
    /// Its columns, in table order.
    pub columns: Vec<StubColumn>,
    /// The distinct column lists other silos reference it by, in first-crossing order: one
    /// lookup each.
    pub keys: Vec<Vec<String>>,
    /// Every crossing below it, in dump order.
    pub edges: Vec<StubEdge>,
    /// The child silos its tombstones must reach (edges with cascade, set-null, set-default),
    /// sorted. Empty when nothing is replicated (only restrict or ignore).
    pub cascade_to: Vec<String>,
}

impl StubParent {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&StubColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A guard for a `restrict` crossing: run in the child's silo before deleting the parent row;
/// refuse the delete when it returns true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestrictGuard {
    /// Constraint name.
    pub constraint: String,
    /// The parent table whose delete is guarded.
    pub parent: QName,
    /// Its silo.
    pub parent_silo: String,
    /// The child table searched.
    pub child: QName,
    /// The silo whose database the query runs in.
    pub child_silo: String,
    /// `(child column, parent column, the parent column's type)`, in constraint order: one
    /// parameter each.
    pub columns: Vec<(String, String, FieldType)>,
    /// `SELECT EXISTS (...)` with `$1`, `$2`, ... for the key.
    pub sql: String,
}

/// The tombstone pump's statements (the same for every language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PumpSql {
    /// Parent side, first in the read transaction: bounds the wait for the lock below.
    pub lock_timeout: String,
    /// Parent side: waits until every transaction that is writing tombstones has ended, so no
    /// tombstone can commit later with an id below the high-water mark (identity values are
    /// handed out in order but committed in any order).
    pub lock: String,
    /// Parent side: `$1` high-water mark, `$2` batch size; returns the row count, the new mark
    /// (NULL when the count is 0) and the batch as a JSON array (`id`, `table_name`, `key`,
    /// `deleted_at`). Each parameter appears once, as psycopg's positional `%s` needs.
    pub read: String,
    /// Child side: `$1` source, `$2` the JSON batch.
    pub insert: String,
    /// Child side: `$1` batch size; returns how many inbox rows were processed.
    pub apply: String,
}

/// A key unique across the instances of its silo ([`crate::residency::reservations`]): the
/// application reserves a value in the registry silo's database before the insert in an
/// instance, and releases it after the delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StubReservation {
    /// The table.
    pub table: QName,
    /// The key column.
    pub column: String,
    /// The multi-instance silo.
    pub silo: String,
    /// Its instances.
    pub instances: Vec<String>,
    /// The single-instance silo whose database holds the reservation table.
    pub registry_silo: String,
    /// `silo_plan.reservation_<...>`.
    pub reservation_table: String,
    /// `silo_plan.reserve_<...>`, the SQL function's name.
    pub reserve_function: String,
    /// `silo_plan.release_<...>`.
    pub release_function: String,
    /// The key column's type.
    pub value: FieldType,
    /// The owner's columns (the table's primary key) and their types.
    pub owners: Vec<(String, FieldType)>,
    /// `$1` value, `$2` instance, `$3...` owner: returns one row, `true` (the function raises
    /// SQLSTATE 23505 when another instance or row holds the value).
    pub reserve_sql: String,
    /// The same parameters: returns one boolean, true when this instance and row held it.
    pub release_sql: String,
}

/// Everything `stubs/<lang>/` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stubs {
    /// Parent tables, sorted by silo then name.
    pub parents: Vec<StubParent>,
    /// Restrict guards, in dump order.
    pub guards: Vec<RestrictGuard>,
    /// `(parent silo, child silo)` pairs that tombstones travel, sorted.
    pub routes: Vec<(String, String)>,
    /// The silos that own parent tables (one lookup interface each), sorted.
    pub lookup_silos: Vec<String>,
    /// The silos with more than one instance, each with the tombstone `source` of each of its
    /// instances ([`crate::names::instance_source`]: `region/us`), in config order.
    pub multi_instance: Vec<(String, Vec<String>)>,
    /// The pump's SQL.
    pub pump: PumpSql,
    /// Keys unique across instances, in [`crate::residency::reservations`] order.
    pub reservations: Vec<StubReservation>,
}

fn replicated(a: EdgeAction) -> bool {
    matches!(
        a,
        EdgeAction::Cascade | EdgeAction::SetNull | EdgeAction::SetDefault
    )
}

/// Builds the stubs from the planned crossings (shared tables never cross).
pub fn build(input: &super::Input<'_>, crossings: &[PlannedCrossing]) -> Stubs {
    let super::Input { cat, cfg, .. } = *input;
    let mut parents: Vec<StubParent> = Vec::new();
    // Lookups only: rustc's fast hash, not SipHash.
    let mut index: FxHashMap<&QName, usize> = FxHashMap::default();
    // Column types by their text: a dump writes a few dozen types over all its columns.
    let mut types: FxHashMap<&str, FieldType> = FxHashMap::default();
    for c in crossings {
        let i = match index.get(&c.key.parent) {
            Some(&i) => i,
            None => {
                index.insert(&c.key.parent, parents.len());
                parents.push(StubParent {
                    table: c.key.parent.clone(),
                    silo: c.key.parent_silo.clone(),
                    columns: columns(cat, &c.key.parent, &mut types),
                    keys: Vec::new(),
                    edges: Vec::new(),
                    cascade_to: Vec::new(),
                });
                parents.len() - 1
            }
        };
        let p = &mut parents[i];
        if !p.keys.contains(&c.key.parent_columns) {
            p.keys.push(c.key.parent_columns.clone());
        }
        if replicated(c.on_delete) && !p.cascade_to.contains(&c.key.child_silo) {
            p.cascade_to.push(c.key.child_silo.clone());
        }
        p.edges.push(StubEdge {
            constraint: c.key.constraint.clone(),
            child: c.key.child.clone(),
            child_columns: c.key.child_columns.clone(),
            child_silo: c.key.child_silo.clone(),
            parent_columns: c.key.parent_columns.clone(),
            action: c.on_delete,
            set_columns: c.set_columns.clone(),
        });
    }
    for p in &mut parents {
        p.cascade_to.sort();
        // A key column the table does not have (an inconsistent dump) still gets a field.
        for k in 0..p.keys.len() {
            for c in 0..p.keys[k].len() {
                if p.column(&p.keys[k][c]).is_none() {
                    p.columns.push(StubColumn {
                        name: p.keys[k][c].clone(),
                        ty: field_type(cat, "unknown"),
                        nullable: true,
                    });
                }
            }
        }
    }
    parents.sort_by(|a, b| (&a.silo, &a.table).cmp(&(&b.silo, &b.table)));
    let by_table: std::collections::HashMap<&QName, &StubParent> =
        parents.iter().map(|p| (&p.table, p)).collect();

    let guards = crossings
        .iter()
        .filter(|c| c.on_delete == EdgeAction::Restrict)
        .map(|c| {
            let parent = by_table.get(&c.key.parent).copied();
            let columns: Vec<(String, String, FieldType)> = c
                .key
                .child_columns
                .iter()
                .zip(&c.key.parent_columns)
                .map(|(cc, pc)| {
                    let ty = parent
                        .and_then(|p| p.column(pc))
                        .map(|col| col.ty.clone())
                        .unwrap_or_else(|| field_type(cat, "unknown"));
                    (cc.clone(), pc.clone(), ty)
                })
                .collect();
            let cond = columns
                .iter()
                .enumerate()
                .map(|(i, (cc, _, ty))| format!("{} = {}", ident(cc), param(i + 1, ty)))
                .collect::<Vec<_>>()
                .join(" AND ");
            RestrictGuard {
                constraint: c.key.constraint.clone(),
                parent: c.key.parent.clone(),
                parent_silo: c.key.parent_silo.clone(),
                child: c.key.child.clone(),
                child_silo: c.key.child_silo.clone(),
                sql: format!(
                    "SELECT EXISTS (SELECT 1 FROM {} WHERE {cond})",
                    qualified(&c.key.child)
                ),
                columns,
            }
        })
        .collect();

    let mut routes: Vec<(String, String)> = crossings
        .iter()
        .filter(|c| replicated(c.on_delete))
        .map(|c| (c.key.parent_silo.clone(), c.key.child_silo.clone()))
        .collect();
    routes.sort();
    routes.dedup();
    let mut lookup_silos: Vec<String> = parents.iter().map(|p| p.silo.clone()).collect();
    lookup_silos.dedup();
    let multi_instance = cfg
        .silos
        .iter()
        .filter(|s| !s.instances.is_empty())
        .map(|s| {
            let sources = s
                .instances
                .iter()
                .map(|i| crate::names::instance_source(&s.name, Some(i)))
                .collect();
            (s.name.clone(), sources)
        })
        .collect();
    Stubs {
        parents,
        guards,
        routes,
        lookup_silos,
        multi_instance,
        pump: pump_sql(),
        reservations: reservations(input),
    }
}

/// The stubs' view of [`crate::residency::reservations`].
fn reservations(input: &super::Input<'_>) -> Vec<StubReservation> {
    let type_of = |t: &QName, c: &str| {
        let written = input
            .cat
            .table(t)
            .and_then(|t| t.columns.iter().find(|x| x.name == c))
            .map_or("text", |c| c.data_type.as_str());
        field_type(input.cat, written)
    };
    crate::residency::reservations(input.cat, input.cfg, input.asg)
        .into_iter()
        .map(|r| {
            let value = type_of(&r.table, &r.column);
            let owners: Vec<(String, FieldType)> = r
                .owner_columns
                .iter()
                .map(|c| (c.clone(), type_of(&r.table, c)))
                .collect();
            let mut args = vec![param(1, &value), "$2::text".to_string()];
            args.extend(owners.iter().enumerate().map(|(i, (_, t))| param(i + 3, t)));
            let args = args.join(", ");
            StubReservation {
                reserve_sql: format!(
                    "SELECT true AS reserved FROM silo_plan.{}({args}) AS r",
                    ident(&r.reserve_function)
                ),
                release_sql: format!(
                    "SELECT silo_plan.{}({args}) AS released",
                    ident(&r.release_function)
                ),
                instances: input
                    .cfg
                    .silo(&r.silo)
                    .map(|s| s.instances.clone())
                    .unwrap_or_default(),
                table: r.table,
                column: r.column,
                silo: r.silo,
                registry_silo: r.registry_silo,
                reservation_table: r.reservation_table,
                reserve_function: r.reserve_function,
                release_function: r.release_function,
                value,
                owners,
            }
        })
        .collect()
}

/// A placeholder for parameter `n`, cast to the parent column's type so that every language
/// binds the same thing: numbers and booleans natively, everything else as text.
fn param(n: usize, ty: &FieldType) -> String {
    match &ty.cast {
        Some(t) if ty.kind.is_native_param() && ty.dims == 0 => format!("${n}::{t}"),
        Some(t) => format!("${n}::text::{t}"),
        None => format!("${n}"),
    }
}

fn pump_sql() -> PumpSql {
    let cols = ident_list(&[
        "id".to_string(),
        "table_name".to_string(),
        "key".to_string(),
        "deleted_at".to_string(),
    ]);
    PumpSql {
        lock_timeout: "SET LOCAL lock_timeout = '5s'".into(),
        lock: "LOCK TABLE silo_plan.tombstones IN SHARE MODE".into(),
        read: format!(
            "SELECT count(*)::bigint AS n, max(t.id) AS last_id, \
             coalesce(json_agg(json_build_object('id', t.id, 'table_name', t.table_name, \
             'key', t.key, 'deleted_at', t.deleted_at) ORDER BY t.id), '[]'::json)::text AS batch \
             FROM (SELECT {cols} FROM silo_plan.tombstones WHERE id > $1::bigint ORDER BY id \
             LIMIT $2::bigint) AS t"
        ),
        insert: format!(
            "INSERT INTO silo_plan.inbox (source, {cols}) \
             SELECT $1::text, t.id, t.table_name, t.key, t.deleted_at \
             FROM jsonb_to_recordset($2::text::jsonb) \
             AS t(id bigint, table_name text, key jsonb, deleted_at timestamptz) \
             ON CONFLICT DO NOTHING"
        ),
        apply: "SELECT silo_plan.apply($1::integer)::bigint AS n".into(),
    }
}

/// The columns of `table`, each type resolved once per text (`types`, shared by the calls of
/// one build).
fn columns<'c>(
    cat: &'c Catalog,
    table: &QName,
    types: &mut FxHashMap<&'c str, FieldType>,
) -> Vec<StubColumn> {
    cat.table(table)
        .map(|t| {
            t.columns
                .iter()
                .map(|c| StubColumn {
                    name: c.name.clone(),
                    ty: types
                        .entry(c.data_type.as_str())
                        .or_insert_with(|| field_type(cat, &c.data_type))
                        .clone(),
                    nullable: !c.not_null,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Splits `a."B c".d` into unquoted parts; `None` when the text is not a plain dotted name.
fn name_parts(s: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_alphanumeric() || c == '_' || c == '$' {
                    part.push(c.to_ascii_lowercase());
                    chars.next();
                } else {
                    break;
                }
            }
            if part.is_empty() {
                return None;
            }
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => continue,
            Some(_) => return None,
        }
    }
}

/// The stub type of a column type as the dump writes it.
pub fn field_type(cat: &Catalog, written: &str) -> FieldType {
    let mut base = written.trim();
    let mut dims = 0;
    while let Some(b) = base.strip_suffix("[]") {
        base = b.trim_end();
        dims += 1;
    }
    // `integer ARRAY`, `integer[3]`.
    if let Some(b) = base
        .strip_suffix(" ARRAY")
        .or_else(|| base.strip_suffix(" array"))
    {
        base = b.trim_end();
        dims += 1;
    }
    resolve(cat, written, base, dims, 0)
}

/// `base` followed by `[]` for each array dimension.
fn with_dims(base: &str, dims: usize) -> String {
    let mut s = String::with_capacity(base.len() + 2 * dims);
    s.push_str(base);
    for _ in 0..dims {
        s.push_str("[]");
    }
    s
}

fn resolve(cat: &Catalog, written: &str, base: &str, dims: usize, depth: usize) -> FieldType {
    // Lower case (ASCII), type modifiers `(255)`, `(10,2)` removed, runs of white space made
    // one space and trimmed; then `pg_catalog.` dropped.
    let mut plain = String::with_capacity(base.len());
    let mut level = 0;
    let mut space = false;
    for c in base.chars() {
        match c {
            '(' => level += 1,
            ')' => level -= 1,
            _ if level != 0 => {}
            _ if c.is_whitespace() => space = !plain.is_empty(),
            _ => {
                if space {
                    plain.push(' ');
                    space = false;
                }
                plain.push(c.to_ascii_lowercase());
            }
        }
    }
    let plain = plain.strip_prefix("pg_catalog.").unwrap_or(&plain);
    let builtin = match plain {
        "smallint" | "int2" | "smallserial" | "serial2" => Some(Kind::Int16),
        "integer" | "int" | "int4" | "serial" | "serial4" => Some(Kind::Int32),
        "bigint" | "int8" | "bigserial" | "serial8" => Some(Kind::Int64),
        "real" | "float4" => Some(Kind::Float32),
        "double precision" | "float8" | "float" => Some(Kind::Float64),
        "numeric" | "decimal" | "money" => Some(Kind::Decimal),
        "text" | "character varying" | "varchar" | "character" | "char" | "bpchar" | "citext"
        | "name" | "\"char\"" | "public.citext" => Some(Kind::Text),
        "uuid" => Some(Kind::Uuid),
        "boolean" | "bool" => Some(Kind::Bool),
        "timestamp" | "timestamp without time zone" => Some(Kind::Timestamp),
        "timestamp with time zone" | "timestamptz" => Some(Kind::TimestampTz),
        "date" => Some(Kind::Date),
        "time" | "time without time zone" | "time with time zone" | "timetz" => Some(Kind::Time),
        "interval" => Some(Kind::Interval),
        "bytea" => Some(Kind::Bytes),
        "json" | "jsonb" => Some(Kind::Json),
        _ => None,
    };
    if let Some(kind) = builtin {
        // Built-in type names are keywords and numbers; anything else is not written back.
        let safe = base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '(' | ')' | ',' | '.'));
        return FieldType {
            kind,
            dims,
            cast: safe.then(|| with_dims(base, dims)),
            written: written.to_string(),
        };
    }
    // A user-defined type: found in the catalog by name (unqualified names in `public`).
    let found = name_parts(base).and_then(|parts| {
        let q = match parts.as_slice() {
            [n] => QName::new("public", n.clone()),
            [s, n] => QName::new(s.clone(), n.clone()),
            _ => return None,
        };
        cat.types.iter().find(|t| t.name == q)
    });
    match found {
        Some(t) => match &t.kind {
            TypeKind::Enum { .. } => FieldType {
                kind: Kind::Enum,
                dims,
                cast: Some(with_dims(&qualified(&t.name), dims)),
                written: written.to_string(),
            },
            TypeKind::Domain { base: b } if depth < 8 => {
                let inner = resolve(cat, written, b.trim(), dims, depth + 1);
                FieldType {
                    cast: Some(with_dims(&qualified(&t.name), dims)),
                    ..inner
                }
            }
            _ => FieldType {
                kind: Kind::Other,
                dims,
                cast: Some(with_dims(&qualified(&t.name), dims)),
                written: written.to_string(),
            },
        },
        // A type from an extension or another dump (`public.geometry`, `inet`): written back
        // when it is a plain name.
        None => {
            let safe = base
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.'));
            FieldType {
                kind: Kind::Other,
                dims,
                cast: (safe && !base.is_empty()).then(|| with_dims(base, dims)),
                written: written.to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_map_to_kinds() {
        let cat = Catalog::default();
        let k = |s: &str| {
            let t = field_type(&cat, s);
            (t.kind, t.dims, t.cast)
        };
        assert_eq!(k("bigint"), (Kind::Int64, 0, Some("bigint".into())));
        assert_eq!(
            k("character varying(255)"),
            (Kind::Text, 0, Some("character varying(255)".into()))
        );
        assert_eq!(k("integer[]"), (Kind::Int32, 1, Some("integer[]".into())));
        assert_eq!(
            k("timestamp(6) with time zone"),
            (
                Kind::TimestampTz,
                0,
                Some("timestamp(6) with time zone".into())
            )
        );
        assert_eq!(k("numeric(10,2)").0, Kind::Decimal);
        assert_eq!(k("jsonb").0, Kind::Json);
        assert_eq!(k("inet"), (Kind::Other, 0, Some("inet".into())));
        assert_eq!(k("\"Odd;Type\""), (Kind::Other, 0, None));
        assert_eq!(
            name_parts("public.\"My \"\"T\"").unwrap(),
            vec!["public".to_string(), "My \"T".to_string()]
        );
        assert_eq!(name_parts("a;b"), None);
    }

    #[test]
    fn every_parameter_appears_once() {
        let p = pump_sql();
        for (sql, n) in [(&p.read, 2), (&p.insert, 2), (&p.apply, 1)] {
            for i in 1..=n {
                assert_eq!(sql.matches(&format!("${i}:")).count(), 1, "{sql}");
            }
            assert!(!sql.contains(&format!("${}", n + 1)), "{sql}");
        }
    }
}
