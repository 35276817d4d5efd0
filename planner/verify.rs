//! `silo-plan verify`: compares the moved tables between ORIGIN and a target, read-only.
//!
//! For every moved table (a table of a silo other than `origin`; partitions through their root):
//! that it exists on both sides (`table`), then the row count and an order-independent checksum
//! (the sum of a 64-bit hash of each row's text) on both sides (`rows`); for every sequence of
//! those tables, that the target's next value is at or beyond the source's, so the target never
//! hands out a value the source already gave (`sequence`; beyond is below for a descending one);
//! for every foreign key inside the moving silo, the number of child rows on the target whose
//! parent is missing (an anti-join) must be 0 (`fk`; a key whose table is missing is not checked,
//! and says so as a difference).
//!
//! Each session first runs [`SESSION`]: read-only, row-level security off (a policy that would
//! hide rows makes the query fail instead of counting fewer rows), and the settings that shape a
//! row's text fixed, so equal rows hash equally on two servers whose defaults differ.
//!
//! The library builds the queries and compares the answers; the caller supplies the connections
//! through [`Conn`] (the binary uses the `postgres` crate) and prints the [`Report`].

use crate::catalog::QName;
use crate::ident::{ident, literal, qualified};
use crate::plan::phases::Phases;

/// The session settings every connection gets first, in order: the checks can never write, a
/// row-level security policy makes a query fail rather than hide rows, and the output of times,
/// dates, intervals, floats, money and bytea is the same on both servers.
pub const SESSION: &[&str] = &[
    "SET default_transaction_read_only = on",
    "SET row_security = off",
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 3",
    "SET lc_monetary = 'C'",
    "SET bytea_output = 'hex'",
];

/// A database connection that answers a query with rows of text values.
pub trait Conn {
    /// Runs one statement; returns its rows (NULL as `None`).
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String>;
}

/// One comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `table`, `rows`, `sequence` or `fk`.
    pub kind: &'static str,
    /// The silo the object moves with.
    pub silo: String,
    /// The table, sequence or foreign key.
    pub object: String,
    /// What the source says (`-` when not applicable).
    pub source: String,
    /// What the target says.
    pub target: String,
    /// Whether the two agree.
    pub ok: bool,
}

/// Every comparison, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    /// The checks that failed.
    pub fn differences(&self) -> usize {
        self.checks.iter().filter(|c| !c.ok).count()
    }

    /// The report as an aligned text table with a summary line.
    pub fn table(&self) -> String {
        let head = ["check", "silo", "object", "source", "target", "result"];
        let rows: Vec<[String; 6]> = self
            .checks
            .iter()
            .map(|c| {
                [
                    c.kind.to_string(),
                    c.silo.clone(),
                    c.object.clone(),
                    c.source.clone(),
                    c.target.clone(),
                    if c.ok { "ok" } else { "DIFFERS" }.to_string(),
                ]
            })
            .collect();
        let mut w = head.map(str::len);
        for r in &rows {
            for (i, v) in r.iter().enumerate() {
                w[i] = w[i].max(v.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, v) in cells.iter().enumerate() {
                if i > 0 {
                    s.push_str("  ");
                }
                s.push_str(v);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(w[i] - v.chars().count()));
                }
            }
            s.push('\n');
            s
        };
        let mut out = line(&head.map(String::from));
        for r in &rows {
            out.push_str(&line(r));
        }
        out.push_str(&format!(
            "{} checks, {} differences\n",
            self.checks.len(),
            self.differences()
        ));
        out
    }
}

fn one(c: &mut dyn Conn, sql: &str) -> Result<Vec<Option<String>>, String> {
    c.query(sql)?
        .into_iter()
        .next()
        .ok_or_else(|| format!("no row from: {sql}"))
}

fn show(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "NULL".into())
}

/// Whether relation `q` exists on this side.
fn exists(c: &mut dyn Conn, q: &QName) -> Result<bool, String> {
    let sql = format!(
        "SELECT (pg_catalog.to_regclass({}) IS NOT NULL)::text",
        literal(&qualified(q))
    );
    Ok(one(c, &sql)?.first().cloned().flatten().as_deref() == Some("true"))
}

fn presence(e: bool) -> String {
    if e { "exists" } else { "missing" }.to_string()
}

/// A sequence's next value and its increment, `None` when it does not exist.
fn next_value(c: &mut dyn Conn, q: &QName) -> Result<Option<(i128, i128)>, String> {
    if !exists(c, q)? {
        return Ok(None);
    }
    // Read from the sequence itself, not pg_sequences: that view shows NULL both for a sequence
    // not yet called and for one this user may not read; reading the sequence fails on the latter.
    let sql = format!(
        "SELECT s.last_value::text, s.is_called::text, p.seqincrement::text FROM {} AS s, pg_catalog.pg_sequence AS p WHERE p.seqrelid = {}::regclass",
        qualified(q),
        literal(&qualified(q))
    );
    let r = one(c, &sql)?;
    let num = |i: usize| {
        r.get(i)
            .cloned()
            .flatten()
            .and_then(|v| v.parse::<i128>().ok())
            .ok_or_else(|| format!("sequence {q}: no number in column {i} of: {sql}"))
    };
    let (last, inc) = (num(0)?, num(2)?);
    let called = r.get(1).cloned().flatten().as_deref() == Some("true");
    Ok(Some((if called { last + inc } else { last }, inc)))
}

/// Runs every check of the plan's moving silos; `Err` only when a query fails.
pub fn run(ph: &Phases, source: &mut dyn Conn, target: &mut dyn Conn) -> Result<Report, String> {
    for s in SESSION {
        source.query(s).map_err(|e| format!("source: {e}"))?;
        target.query(s).map_err(|e| format!("target: {e}"))?;
    }
    let mut checks = Vec::new();
    for t in &ph.targets {
        for q in &t.roots {
            let se = exists(source, q).map_err(|e| format!("source: {e}"))?;
            let de = exists(target, q).map_err(|e| format!("target: {e}"))?;
            if !(se && de) {
                checks.push(Check {
                    kind: "table",
                    silo: t.silo.clone(),
                    object: q.to_string(),
                    source: presence(se),
                    target: presence(de),
                    ok: false,
                });
                continue;
            }
            let sql = format!(
                "SELECT count(*)::text, coalesce(sum(hashtextextended(x::text, 0)::numeric), 0)::text FROM {} AS x",
                qualified(q)
            );
            let s = one(source, &sql).map_err(|e| format!("source: {e}"))?;
            let d = one(target, &sql).map_err(|e| format!("target: {e}"))?;
            let fmt = |r: &Vec<Option<String>>| {
                format!(
                    "{} rows, sum {}",
                    show(&r[0]),
                    show(r.get(1).unwrap_or(&None))
                )
            };
            checks.push(Check {
                kind: "rows",
                silo: t.silo.clone(),
                object: q.to_string(),
                source: fmt(&s),
                target: fmt(&d),
                ok: s == d,
            });
        }
        for q in &t.sequences {
            let s = next_value(source, q).map_err(|e| format!("source: {e}"))?;
            let d = next_value(target, q).map_err(|e| format!("target: {e}"))?;
            let ok = match (s, d) {
                (Some((a, inc)), Some((b, _))) => {
                    if inc < 0 {
                        b <= a
                    } else {
                        b >= a
                    }
                }
                _ => false,
            };
            let fmt = |v: Option<(i128, i128)>| match v {
                Some((n, _)) => format!("next {n}"),
                None => "missing".into(),
            };
            checks.push(Check {
                kind: "sequence",
                silo: t.silo.clone(),
                object: q.to_string(),
                source: fmt(s),
                target: fmt(d),
                ok,
            });
        }
        for fk in &t.in_silo_fks {
            let object = format!("{}.{}", fk.child, fk.name);
            let mut missing = None;
            for q in [&fk.child, &fk.parent] {
                if missing.is_none() && !exists(target, q).map_err(|e| format!("target: {e}"))? {
                    missing = Some(q);
                }
            }
            if let Some(q) = missing {
                checks.push(Check {
                    kind: "fk",
                    silo: t.silo.clone(),
                    object,
                    source: "-".into(),
                    target: format!("not checked: {q} missing"),
                    ok: false,
                });
                continue;
            }
            let on: Vec<String> = fk
                .columns
                .iter()
                .zip(&fk.parent_columns)
                .map(|(c, p)| format!("p.{} = c.{}", ident(p), ident(c)))
                .collect();
            let not_null: Vec<String> = fk
                .columns
                .iter()
                .map(|c| format!("c.{} IS NOT NULL", ident(c)))
                .collect();
            let sql = format!(
                "SELECT count(*)::text FROM {} AS c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})",
                qualified(&fk.child),
                not_null.join(" AND "),
                qualified(&fk.parent),
                on.join(" AND ")
            );
            let d = one(target, &sql).map_err(|e| format!("target: {e}"))?;
            let n = show(&d[0]);
            checks.push(Check {
                kind: "fk",
                silo: t.silo.clone(),
                object,
                source: "-".into(),
                target: format!("{n} dangling"),
                ok: n == "0",
            });
        }
    }
    Ok(Report { checks })
}
