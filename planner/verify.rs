//! `silo-plan verify`: compares the moved tables between ORIGIN and a target, read-only.
//!
//! For every moved table (a table of a silo other than `origin`; partitions through their root):
//! the row count and an order-independent checksum (the sum of a 64-bit hash of each row's text)
//! on both sides; for every sequence of those tables, the target's value must be at or above the
//! source's; for every foreign key inside the moving silo, the number of child rows on the target
//! whose parent is missing (an anti-join) must be 0.
//!
//! The library builds the queries and compares the answers; the caller supplies the connections
//! through [`Conn`] (the binary uses the `postgres` crate) and prints the [`Report`].

use crate::ident::{ident, literal, qualified};
use crate::plan::phases::Phases;

/// The session setting every connection gets first: the checks can never write.
pub const READ_ONLY: &str = "SET default_transaction_read_only = on";

/// A database connection that answers a query with rows of text values.
pub trait Conn {
    /// Runs one statement; returns its rows (NULL as `None`).
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String>;
}

/// One comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `rows`, `sequence` or `fk`.
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

/// Runs every check of the plan's moving silos; `Err` only when a query fails.
pub fn run(ph: &Phases, source: &mut dyn Conn, target: &mut dyn Conn) -> Result<Report, String> {
    source.query(READ_ONLY)?;
    target.query(READ_ONLY)?;
    let mut checks = Vec::new();
    for t in &ph.targets {
        for q in &t.roots {
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
            let sql = format!(
                "SELECT last_value::text FROM pg_catalog.pg_sequences WHERE pg_catalog.format('%I.%I', schemaname, sequencename)::regclass = pg_catalog.to_regclass({})",
                literal(&qualified(q))
            );
            let s = source
                .query(&sql)
                .map_err(|e| format!("source: {e}"))?
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next().flatten());
            let d = target
                .query(&sql)
                .map_err(|e| format!("target: {e}"))?
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next().flatten());
            let num = |v: &Option<String>| v.as_deref().and_then(|x| x.parse::<i128>().ok());
            let ok = match (num(&s), num(&d)) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(a), Some(b)) => b >= a,
            };
            checks.push(Check {
                kind: "sequence",
                silo: t.silo.clone(),
                object: q.to_string(),
                source: s.unwrap_or_else(|| "unused".into()),
                target: d.unwrap_or_else(|| "unused".into()),
                ok,
            });
        }
        for fk in &t.in_silo_fks {
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
                object: format!("{}.{}", fk.child, fk.name),
                source: "-".into(),
                target: format!("{n} dangling"),
                ok: n == "0",
            });
        }
    }
    Ok(Report { checks })
}
