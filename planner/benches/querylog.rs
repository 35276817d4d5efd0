//! A deterministic generator of query logs over a catalog's tables (examples/saas in the
//! benchmark), for `queries.rs`.
//!
//! Statements come from a small grammar over the catalog's tables, columns and foreign keys:
//! selects by key with aliases, `IN` lists, `ORDER BY` / `LIMIT` / `OFFSET`; joins along foreign
//! keys (two or three tables, `JOIN` / `LEFT JOIN`); CTEs; `IN`, `EXISTS` and scalar subqueries;
//! aggregates with `GROUP BY` / `HAVING`; single- and multi-row `INSERT` (some `RETURNING`, some
//! `ON CONFLICT DO NOTHING`), `INSERT ... SELECT`, `UPDATE` (some with `FROM`), `DELETE` (some
//! with a subquery). A fifth of the shapes are written over several lines, a tenth carry an
//! sqlcommenter-style `/* ... */` comment, and multi-line ones sometimes a `--` comment. Values
//! are literals of the column's type, or `$n` parameters.
//!
//! Three outputs:
//!
//! * [`server_log`] with [`Shapes::Pool`]: a Postgres server log as `log_statement = 'all'` and
//!   `log_line_prefix = '%m [%p] %x '` write it: 32 interleaved sessions, each running
//!   autocommit statements and `BEGIN ... COMMIT` transactions (one in twenty rolled back),
//!   a third of the sessions through the extended protocol (`execute <unnamed>: ...` with a
//!   `DETAIL:  parameters: ...` line), `%x` zero until the transaction's first write has been
//!   logged (as Postgres assigns it), a duplicate-key `ERROR` / `DETAIL` / `STATEMENT` now and
//!   then (the transaction then rolls back), connection and disconnection lines. Statements are
//!   drawn from a fixed application of [`POOL_READS`] read and [`POOL_WRITES`] write shapes with
//!   a Zipf-like popularity, so most texts repeat, as in a real application;
//! * [`server_log`] with [`Shapes::Distinct`]: the same, but every statement other than
//!   `BEGIN` / `COMMIT` / `ROLLBACK` is a shape never seen before (the worst case for a tool
//!   that parses each distinct text once);
//! * [`stat_statements_csv`]: a `pg_stat_statements` export (`queryid,query,calls,
//!   total_exec_time,rows`), one row per distinct statement, `$n` parameters, as
//!   `\copy (SELECT queryid, query, calls, total_exec_time, rows FROM pg_stat_statements) TO
//!   'x.csv' CSV HEADER` writes it.
//!
//! No randomness crate: xorshift64* with a caller-given seed, so the same inputs always give
//! byte-identical text.

#![allow(dead_code)]

use std::collections::{HashSet, VecDeque};
use std::fmt::Write;

use silo_plan::catalog::Catalog;
use silo_plan::queries::normalize;

/// The seed the benchmark uses.
pub const SEED: u64 = 0x5109_0008_0000_0001;
/// Read shapes of the application in [`Shapes::Pool`].
pub const POOL_READS: usize = 700;
/// Write shapes of the application in [`Shapes::Pool`].
pub const POOL_WRITES: usize = 300;
/// Concurrent sessions in a server log.
const SESSIONS: usize = 32;

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // xorshift must not start at zero.
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    /// True with probability `p` percent.
    fn pct(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// A column's value kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Time,
    Bool,
    Json,
}

fn kind_of(data_type: &str) -> Kind {
    let t = data_type.to_ascii_lowercase();
    if t.contains("int") || t.contains("serial") || t.contains("numeric") {
        Kind::Int
    } else if t.contains("timestamp") || t == "date" {
        Kind::Time
    } else if t.contains("bool") {
        Kind::Bool
    } else if t.contains("json") {
        Kind::Json
    } else {
        Kind::Text
    }
}

struct Tab {
    name: String,
    /// Columns other than `id`.
    cols: Vec<(String, Kind)>,
    has_id: bool,
}

struct Fk {
    child: usize,
    col: String,
    parent: usize,
}

/// The tables, columns and single-column foreign keys statements are written over.
pub struct Model {
    tabs: Vec<Tab>,
    fks: Vec<Fk>,
}

impl Model {
    /// Every table of the catalog but partitions (an application queries the parent).
    pub fn new(cat: &Catalog) -> Model {
        let mut tabs = Vec::new();
        for t in &cat.tables {
            if t.partition_of.is_some() {
                continue;
            }
            tabs.push(Tab {
                name: t.name.clone(),
                cols: t
                    .columns
                    .iter()
                    .filter(|c| c.name != "id")
                    .map(|c| (c.name.clone(), kind_of(&c.data_type)))
                    .collect(),
                has_id: t.columns.iter().any(|c| c.name == "id"),
            });
        }
        let index = |name: &str| tabs.iter().position(|t| t.name == name);
        let mut fks = Vec::new();
        for fk in &cat.foreign_keys {
            if fk.columns.len() != 1 || fk.referenced_columns != ["id"] {
                continue;
            }
            if let (Some(c), Some(p)) = (index(&fk.table.name), index(&fk.references.name)) {
                if c != p {
                    fks.push(Fk {
                        child: c,
                        col: fk.columns[0].clone(),
                        parent: p,
                    });
                }
            }
        }
        assert!(
            !fks.is_empty(),
            "the catalog has no single-column foreign key"
        );
        Model { tabs, fks }
    }
}

/// A piece of a statement shape.
#[derive(Debug, Clone)]
enum Seg {
    Text(String),
    Val(Kind),
}

/// A statement shape: clauses joined by a space, or by a line break when written over several
/// lines; values filled in when rendered.
#[derive(Debug, Clone)]
pub struct Shape {
    clauses: Vec<Vec<Seg>>,
    multiline: bool,
    /// Writes a table (its transaction gets an xid once it has been logged).
    pub write: bool,
}

/// Builds a [`Shape`].
struct B {
    clauses: Vec<Vec<Seg>>,
}

impl B {
    fn new() -> B {
        B {
            clauses: vec![Vec::new()],
        }
    }
    /// Text, appended to the current clause.
    fn t(&mut self, s: &str) -> &mut B {
        let cur = self.clauses.last_mut().expect("a clause");
        if let Some(Seg::Text(last)) = cur.last_mut() {
            last.push_str(s);
        } else {
            cur.push(Seg::Text(s.to_string()));
        }
        self
    }
    fn v(&mut self, k: Kind) -> &mut B {
        self.clauses.last_mut().expect("a clause").push(Seg::Val(k));
        self
    }
    /// Starts a new clause (a new line in a multi-line shape).
    fn c(&mut self) -> &mut B {
        self.clauses.push(Vec::new());
        self
    }
    fn done(self, rng: &mut Rng, write: bool) -> Shape {
        let mut clauses = self.clauses;
        clauses.retain(|c| !c.is_empty());
        let multiline = rng.pct(20);
        if rng.pct(10) {
            // sqlcommenter / marginalia style.
            let tag = format!(
                " /*controller='{}',action='{}'*/",
                rng.pick(CONTROLLERS),
                rng.pick(ACTIONS)
            );
            if let Some(Seg::Text(t)) = clauses.last_mut().and_then(|c| c.last_mut()) {
                t.push_str(&tag);
            } else if let Some(c) = clauses.last_mut() {
                c.push(Seg::Text(tag));
            }
        }
        if multiline && clauses.len() > 1 && rng.pct(20) {
            if let Some(Seg::Text(t)) = clauses[0].last_mut() {
                t.push_str(" -- hot path, see the dashboard");
            }
        }
        Shape {
            clauses,
            multiline,
            write,
        }
    }
}

const CONTROLLERS: &[&str] = &["organizations", "projects", "issues", "users", "alerts"];
const ACTIONS: &[&str] = &["index", "show", "update", "create", "destroy"];
const CTE_NAMES: &[&str] = &[
    "recent",
    "scoped",
    "matching",
    "ids",
    "active",
    "candidates",
];
const WORDS: &[&str] = &[
    "acme", "sentry", "backend", "frontend", "O''Brien", "prod", "staging", "infra", "mobile",
    "billing",
];

/// How values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// Literals of the column's kind (the simple protocol: `LOG:  statement: ...`).
    Literal,
    /// `$1`, `$2`, ... (the extended protocol, and pg_stat_statements).
    Params,
}

impl Shape {
    /// The statement text; with [`Values::Params`], `params` receives the values' literals.
    pub fn render(&self, rng: &mut Rng, values: Values, params: &mut Vec<String>) -> String {
        let mut out = String::new();
        let sep = if self.multiline { "\n    " } else { " " };
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            for s in clause {
                match s {
                    Seg::Text(t) => out.push_str(t),
                    Seg::Val(k) => {
                        let lit = literal(rng, *k);
                        match values {
                            Values::Literal => out.push_str(&lit),
                            Values::Params => {
                                params.push(lit);
                                let _ = write!(out, "${}", params.len());
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

fn literal(rng: &mut Rng, k: Kind) -> String {
    match k {
        Kind::Int => rng.range(1, 250_000).to_string(),
        Kind::Text => format!("'{}-{}'", rng.pick(WORDS), rng.below(1000)),
        Kind::Time => format!(
            "'2026-11-{:02} {:02}:{:02}:{:02}+00'",
            rng.range(1, 29),
            rng.below(24),
            rng.below(60),
            rng.below(60)
        ),
        Kind::Bool => (if rng.pct(50) { "true" } else { "false" }).to_string(),
        Kind::Json => format!("'{{\"v\": {}}}'", rng.below(100)),
    }
}

/// Writes statement shapes over a [`Model`].
pub struct Grammar<'m> {
    m: &'m Model,
}

impl<'m> Grammar<'m> {
    pub fn new(m: &'m Model) -> Self {
        Grammar { m }
    }

    fn col<'a>(&'a self, rng: &mut Rng, t: usize) -> Option<&'a (String, Kind)> {
        let cols = &self.m.tabs[t].cols;
        (!cols.is_empty()).then(|| rng.pick(cols))
    }

    /// A select list of 1 to 6 columns in random order, `*` now and then.
    fn select_list(&self, rng: &mut Rng, t: usize, alias: Option<&str>) -> String {
        let p = alias.map(|a| format!("{a}.")).unwrap_or_default();
        if rng.pct(8) {
            return format!("{p}*");
        }
        let tab = &self.m.tabs[t];
        let mut names: Vec<&str> = Vec::new();
        if tab.has_id && rng.pct(70) {
            names.push("id");
        }
        let n = rng.range(1, 6.min(tab.cols.len().max(1)));
        for _ in 0..n {
            if let Some((c, _)) = self.col(rng, t) {
                if !names.contains(&c.as_str()) {
                    names.push(c);
                }
            }
        }
        if names.is_empty() {
            names.push("*");
        }
        names
            .iter()
            .map(|c| format!("{p}{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// One condition on a column of `t`.
    fn cond(&self, b: &mut B, rng: &mut Rng, t: usize, alias: Option<&str>) {
        let p = alias.map(|a| format!("{a}.")).unwrap_or_default();
        let tab = &self.m.tabs[t];
        let (c, k) = match self.col(rng, t) {
            Some((c, k)) if !(tab.has_id && rng.pct(30)) => (c.clone(), *k),
            _ => ("id".to_string(), Kind::Int),
        };
        match rng.below(10) {
            0 if k == Kind::Int || k == Kind::Text => {
                let n = rng.range(1, 12);
                b.t(&format!("{p}{c} IN ("));
                for i in 0..n {
                    if i > 0 {
                        b.t(", ");
                    }
                    b.v(k);
                }
                b.t(")");
            }
            1 => {
                b.t(&format!("{p}{c} IS NULL"));
            }
            2 if k == Kind::Int || k == Kind::Time => {
                b.t(&format!("{p}{c} > ")).v(k);
            }
            3 if k == Kind::Time => {
                b.t(&format!("{p}{c} >= now() - interval '7 days'"));
            }
            4 if k == Kind::Text => {
                b.t(&format!("lower({p}{c}) LIKE ")).v(k);
            }
            _ => {
                b.t(&format!("{p}{c} = ")).v(k);
            }
        }
    }

    fn conds(&self, b: &mut B, rng: &mut Rng, t: usize, alias: Option<&str>, n: usize) {
        for i in 0..n {
            if i > 0 {
                b.t(" AND ");
            }
            self.cond(b, rng, t, alias);
        }
    }

    fn tail(&self, b: &mut B, rng: &mut Rng, t: usize, alias: Option<&str>) {
        let p = alias.map(|a| format!("{a}.")).unwrap_or_default();
        if rng.pct(40) {
            let c = match self.col(rng, t) {
                Some((c, _)) if rng.pct(50) => c.clone(),
                _ => "id".to_string(),
            };
            b.c().t(&format!(
                "ORDER BY {p}{c}{}",
                if rng.pct(50) { " DESC" } else { "" }
            ));
        }
        if rng.pct(35) {
            b.c().t("LIMIT ").v(Kind::Int);
            if rng.pct(30) {
                b.t(" OFFSET ").v(Kind::Int);
            }
        }
    }

    fn table(&self, rng: &mut Rng) -> usize {
        rng.below(self.m.tabs.len())
    }

    fn fk(&self, rng: &mut Rng) -> &'m Fk {
        rng.pick(&self.m.fks)
    }

    fn select_by_key(&self, rng: &mut Rng) -> Shape {
        let t = self.table(rng);
        let alias = rng.pct(50).then_some("t0");
        let mut b = B::new();
        b.t(&format!("SELECT {}", self.select_list(rng, t, alias)));
        b.c().t(&format!("FROM {}", self.m.tabs[t].name));
        if let Some(a) = alias {
            b.t(&format!(" {a}"));
        }
        b.c().t("WHERE ");
        let n = rng.range(1, 3);
        self.conds(&mut b, rng, t, alias, n);
        self.tail(&mut b, rng, t, alias);
        b.done(rng, false)
    }

    fn select_join(&self, rng: &mut Rng) -> Shape {
        let fk = self.fk(rng);
        let (c, p) = (fk.child, fk.parent);
        let mut b = B::new();
        b.t(&format!(
            "SELECT {}, {}",
            self.select_list(rng, c, Some("c")),
            self.select_list(rng, p, Some("p"))
        ));
        let join = *rng.pick(&["JOIN", "INNER JOIN", "LEFT JOIN", "LEFT OUTER JOIN"]);
        b.c().t(&format!("FROM {} c", self.m.tabs[c].name));
        b.c().t(&format!(
            "{join} {} p ON p.id = c.{}",
            self.m.tabs[p].name, fk.col
        ));
        // A third table along another key of the parent or the child.
        if rng.pct(35) {
            let more: Vec<&Fk> = self
                .m
                .fks
                .iter()
                .filter(|f| f.child == p || f.child == c)
                .filter(|f| f.parent != p && f.parent != c)
                .collect();
            if !more.is_empty() {
                let f = *rng.pick(&more);
                let from = if f.child == p { "p" } else { "c" };
                b.c().t(&format!(
                    "JOIN {} g ON g.id = {from}.{}",
                    self.m.tabs[f.parent].name, f.col
                ));
            }
        }
        b.c().t("WHERE ");
        self.cond(&mut b, rng, p, Some("p"));
        if rng.pct(50) {
            b.t(" AND ");
            self.cond(&mut b, rng, c, Some("c"));
        }
        self.tail(&mut b, rng, c, Some("c"));
        b.done(rng, false)
    }

    fn select_cte(&self, rng: &mut Rng) -> Shape {
        let fk = self.fk(rng);
        let (c, p) = (fk.child, fk.parent);
        let name = *rng.pick(CTE_NAMES);
        let mut b = B::new();
        b.t(&format!(
            "WITH {name} AS (SELECT id, {} FROM {} WHERE ",
            fk.col, self.m.tabs[c].name
        ));
        self.cond(&mut b, rng, c, None);
        b.t(")");
        b.c().t(&format!(
            "SELECT {}, count(*) AS n",
            self.select_list(rng, p, Some("p"))
        ));
        b.c().t(&format!(
            "FROM {name} r JOIN {} p ON p.id = r.{}",
            self.m.tabs[p].name, fk.col
        ));
        b.c().t("GROUP BY p.id");
        if rng.pct(50) {
            b.c().t("ORDER BY n DESC");
        }
        b.c().t("LIMIT ").v(Kind::Int);
        b.done(rng, false)
    }

    fn select_subquery(&self, rng: &mut Rng) -> Shape {
        let fk = self.fk(rng);
        let (c, p) = (fk.child, fk.parent);
        let (cn, pn) = (&self.m.tabs[c].name, &self.m.tabs[p].name);
        let mut b = B::new();
        match rng.below(4) {
            0 => {
                b.t(&format!("SELECT {}", self.select_list(rng, p, None)));
                b.c().t(&format!("FROM {pn}"));
                b.c()
                    .t(&format!("WHERE id IN (SELECT {} FROM {cn} WHERE ", fk.col));
                self.cond(&mut b, rng, c, None);
                b.t(")");
            }
            1 | 2 => {
                let not = if rng.pct(30) { "NOT " } else { "" };
                b.t(&format!("SELECT {}", self.select_list(rng, p, Some("p"))));
                b.c().t(&format!("FROM {pn} p"));
                b.c().t(&format!(
                    "WHERE {not}EXISTS (SELECT 1 FROM {cn} c WHERE c.{} = p.id AND ",
                    fk.col
                ));
                self.cond(&mut b, rng, c, Some("c"));
                b.t(")");
            }
            _ => {
                b.t(&format!(
                    "SELECT {}, (SELECT count(*) FROM {cn} c WHERE c.{} = p.id) AS n",
                    self.select_list(rng, p, Some("p")),
                    fk.col
                ));
                b.c().t(&format!("FROM {pn} p"));
                b.c().t("WHERE ");
                self.cond(&mut b, rng, p, Some("p"));
            }
        }
        self.tail(&mut b, rng, p, Some("p"));
        b.done(rng, false)
    }

    fn aggregate(&self, rng: &mut Rng) -> Shape {
        let fk = self.fk(rng);
        let c = fk.child;
        let mut b = B::new();
        b.t(&format!("SELECT {}, count(*)", fk.col));
        b.c().t(&format!("FROM {}", self.m.tabs[c].name));
        b.c().t("WHERE ");
        self.cond(&mut b, rng, c, None);
        b.c().t(&format!("GROUP BY {}", fk.col));
        if rng.pct(40) {
            b.c().t("HAVING count(*) > ").v(Kind::Int);
        }
        b.done(rng, false)
    }

    fn insert(&self, rng: &mut Rng) -> Shape {
        let t = self.table(rng);
        let tab = &self.m.tabs[t];
        let mut cols: Vec<&(String, Kind)> = Vec::new();
        let n = rng.range(1, tab.cols.len().max(1));
        for _ in 0..n {
            if let Some(c) = self.col(rng, t) {
                if !cols.iter().any(|x| x.0 == c.0) {
                    cols.push(c);
                }
            }
        }
        if cols.is_empty() {
            let mut b = B::new();
            b.t(&format!("INSERT INTO {} DEFAULT VALUES", tab.name));
            return b.done(rng, true);
        }
        let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
        let mut b = B::new();
        b.t(&format!("INSERT INTO {} ({})", tab.name, names.join(", ")));
        b.c().t("VALUES ");
        let rows = if rng.pct(85) { 1 } else { rng.range(2, 4) };
        for r in 0..rows {
            if r > 0 {
                b.t(", ");
            }
            b.t("(");
            for (i, (_, k)) in cols.iter().enumerate() {
                if i > 0 {
                    b.t(", ");
                }
                b.v(*k);
            }
            b.t(")");
        }
        if rng.pct(15) {
            b.c().t("ON CONFLICT DO NOTHING");
        }
        if tab.has_id && rng.pct(50) {
            b.c().t("RETURNING id");
        }
        b.done(rng, true)
    }

    fn insert_select(&self, rng: &mut Rng) -> Shape {
        let fk = self.fk(rng);
        let (c, p) = (fk.child, fk.parent);
        let mut b = B::new();
        let extra = self.col(rng, c).filter(|x| x.0 != fk.col).cloned();
        match &extra {
            Some((e, k)) => {
                b.t(&format!(
                    "INSERT INTO {} ({}, {e})",
                    self.m.tabs[c].name, fk.col
                ));
                b.c().t("SELECT p.id, ");
                b.v(*k);
            }
            None => {
                b.t(&format!("INSERT INTO {} ({})", self.m.tabs[c].name, fk.col));
                b.c().t("SELECT p.id");
            }
        }
        b.c().t(&format!("FROM {} p", self.m.tabs[p].name));
        b.c().t("WHERE ");
        self.cond(&mut b, rng, p, Some("p"));
        b.done(rng, true)
    }

    fn update(&self, rng: &mut Rng) -> Shape {
        if rng.pct(15) {
            let fk = self.fk(rng);
            let (c, p) = (fk.child, fk.parent);
            if let Some((col, k)) = self.col(rng, c).cloned() {
                let mut b = B::new();
                b.t(&format!("UPDATE {} SET {col} = ", self.m.tabs[c].name));
                b.v(k);
                b.c().t(&format!("FROM {} p", self.m.tabs[p].name));
                b.c().t(&format!(
                    "WHERE p.id = {}.{} AND ",
                    self.m.tabs[c].name, fk.col
                ));
                self.cond(&mut b, rng, p, Some("p"));
                return b.done(rng, true);
            }
        }
        let t = self.table(rng);
        let tab = &self.m.tabs[t];
        let mut b = B::new();
        b.t(&format!("UPDATE {} SET ", tab.name));
        let n = rng.range(1, 3.min(tab.cols.len().max(1)));
        let mut seen: Vec<&str> = Vec::new();
        for _ in 0..n {
            if let Some((c, k)) = self.col(rng, t) {
                if seen.contains(&c.as_str()) {
                    continue;
                }
                if !seen.is_empty() {
                    b.t(", ");
                }
                seen.push(c);
                if *k == Kind::Time && rng.pct(50) {
                    b.t(&format!("{c} = now()"));
                } else {
                    b.t(&format!("{c} = ")).v(*k);
                }
            }
        }
        if seen.is_empty() {
            b.t("id = id");
        }
        b.c().t("WHERE ");
        if tab.has_id && rng.pct(70) {
            b.t("id = ").v(Kind::Int);
        } else {
            self.cond(&mut b, rng, t, None);
        }
        b.done(rng, true)
    }

    fn delete(&self, rng: &mut Rng) -> Shape {
        let mut b = B::new();
        if rng.pct(25) {
            let fk = self.fk(rng);
            let (c, p) = (fk.child, fk.parent);
            b.t(&format!("DELETE FROM {}", self.m.tabs[c].name));
            b.c().t(&format!(
                "WHERE {} IN (SELECT id FROM {} WHERE ",
                fk.col, self.m.tabs[p].name
            ));
            self.cond(&mut b, rng, p, None);
            b.t(")");
        } else {
            let t = self.table(rng);
            b.t(&format!("DELETE FROM {}", self.m.tabs[t].name));
            b.c().t("WHERE ");
            self.cond(&mut b, rng, t, None);
        }
        b.done(rng, true)
    }

    /// A read shape.
    pub fn read(&self, rng: &mut Rng) -> Shape {
        match rng.below(100) {
            0..=39 => self.select_by_key(rng),
            40..=69 => self.select_join(rng),
            70..=79 => self.select_cte(rng),
            80..=92 => self.select_subquery(rng),
            _ => self.aggregate(rng),
        }
    }

    /// A write shape.
    pub fn write(&self, rng: &mut Rng) -> Shape {
        match rng.below(100) {
            0..=44 => self.insert(rng),
            45..=49 => self.insert_select(rng),
            50..=84 => self.update(rng),
            _ => self.delete(rng),
        }
    }
}

/// Where a server log's statements come from.
pub enum Shapes {
    /// A fixed application of [`POOL_READS`] + [`POOL_WRITES`] shapes, Zipf-like popularity.
    Pool,
    /// A shape never seen before for every statement.
    Distinct,
}

/// Hands out shapes: from a pool by popularity, or always new (deduplicated by normalized text).
struct Source<'g, 'm> {
    g: &'g Grammar<'m>,
    pool: Option<Pool>,
    seen: HashSet<String>,
}

/// The application's shapes and their cumulative popularity.
struct Pool {
    reads: Vec<Shape>,
    writes: Vec<Shape>,
    read_cum: Vec<f64>,
    write_cum: Vec<f64>,
}

fn zipf_cumulative(n: usize) -> Vec<f64> {
    let mut acc = 0.0;
    (0..n)
        .map(|r| {
            acc += 1.0 / (r as f64 + 1.0);
            acc
        })
        .collect()
}

fn draw(rng: &mut Rng, cum: &[f64]) -> usize {
    let total = cum.last().copied().unwrap_or(1.0);
    let x = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
    cum.partition_point(|&c| c < x).min(cum.len() - 1)
}

impl<'g, 'm> Source<'g, 'm> {
    fn new(g: &'g Grammar<'m>, shapes: &Shapes, rng: &mut Rng) -> Self {
        let mut s = Source {
            g,
            pool: None,
            seen: HashSet::new(),
        };
        if let Shapes::Pool = shapes {
            let reads: Vec<Shape> = (0..POOL_READS).map(|_| s.fresh(rng, false)).collect();
            let writes: Vec<Shape> = (0..POOL_WRITES).map(|_| s.fresh(rng, true)).collect();
            s.pool = Some(Pool {
                reads,
                writes,
                read_cum: zipf_cumulative(POOL_READS),
                write_cum: zipf_cumulative(POOL_WRITES),
            });
        }
        s
    }

    /// A shape whose normalized text has not been handed out before.
    fn fresh(&mut self, rng: &mut Rng, write: bool) -> Shape {
        loop {
            let shape = if write {
                self.g.write(rng)
            } else {
                self.g.read(rng)
            };
            let mut params = Vec::new();
            let norm = normalize(&shape.render(rng, Values::Params, &mut params));
            if self.seen.insert(norm) {
                return shape;
            }
        }
    }

    fn get(&mut self, rng: &mut Rng, write: bool) -> Shape {
        match &self.pool {
            Some(p) => {
                if write {
                    p.writes[draw(rng, &p.write_cum)].clone()
                } else {
                    p.reads[draw(rng, &p.read_cum)].clone()
                }
            }
            None => self.fresh(rng, write),
        }
    }
}

/// What a generated server log holds.
#[derive(Debug, Clone, Default)]
pub struct LogCounts {
    /// Logged statements (`statement:` and `execute` lines), `BEGIN` / `COMMIT` included.
    pub statements: usize,
    /// Of which `BEGIN`, `COMMIT`, `ROLLBACK`.
    pub begins: usize,
    pub commits: usize,
    pub rollbacks: usize,
    /// Statements logged over several lines.
    pub multiline: usize,
    /// Statements sent through the extended protocol (`execute <unnamed>`).
    pub extended: usize,
    /// Duplicate-key errors logged.
    pub errors: usize,
    /// Sessions (pids).
    pub sessions: usize,
}

enum Item {
    Stmt(Shape),
    Begin,
    Commit,
    Rollback,
}

struct Session {
    pid: u32,
    extended: bool,
    queue: VecDeque<Item>,
    in_txn: bool,
    xid: u64,
}

/// A server log of `n` logged statements (`log_statement = 'all'`,
/// `log_line_prefix = '%m [%p] %x '`).
pub fn server_log(m: &Model, n: usize, shapes: Shapes, seed: u64) -> (String, LogCounts) {
    let mut rng = Rng::new(seed);
    let g = Grammar::new(m);
    let mut src = Source::new(&g, &shapes, &mut rng);
    let mut out = String::with_capacity(n * 200);
    let mut counts = LogCounts::default();
    let mut next_pid = 4100u32;
    let mut next_xid = 74_000u64;
    let mut ms: u64 = 10 * 3600 * 1000;
    let new_session = |rng: &mut Rng, next_pid: &mut u32| {
        *next_pid += 1 + rng.below(7) as u32;
        Session {
            pid: *next_pid,
            extended: rng.pct(33),
            queue: VecDeque::new(),
            in_txn: false,
            xid: 0,
        }
    };
    let mut sessions: Vec<Session> = (0..SESSIONS)
        .map(|_| new_session(&mut rng, &mut next_pid))
        .collect();
    counts.sessions = SESSIONS;
    let ts = |ms: u64| {
        format!(
            "2026-11-29 {:02}:{:02}:{:02}.{:03} UTC",
            (ms / 3_600_000) % 24,
            (ms / 60_000) % 60,
            (ms / 1000) % 60,
            ms % 1000
        )
    };
    while counts.statements < n {
        let si = rng.below(SESSIONS);
        ms += rng.below(3) as u64;
        if sessions[si].queue.is_empty() {
            if !sessions[si].in_txn && rng.pct(1) {
                // The connection closes; another one opens.
                let s = &sessions[si];
                let _ = writeln!(
                    out,
                    "{} [{}] 0 LOG:  disconnection: session time: 0:00:{:02}.{:03} user=app \
                     database=saas host=10.0.0.7 port=5{:04}",
                    ts(ms),
                    s.pid,
                    rng.below(60),
                    rng.below(1000),
                    s.pid % 10_000
                );
                sessions[si] = new_session(&mut rng, &mut next_pid);
                counts.sessions += 1;
                let pid = sessions[si].pid;
                let _ = writeln!(
                    out,
                    "{} [{pid}] 0 LOG:  connection received: host=10.0.0.7 port=5{:04}",
                    ts(ms),
                    pid % 10_000
                );
                let _ = writeln!(
                    out,
                    "{} [{pid}] 0 LOG:  connection authorized: user=app database=saas \
                     application_name=web",
                    ts(ms)
                );
                continue;
            }
            let q = &mut sessions[si].queue;
            if rng.pct(45) {
                q.push_back(Item::Begin);
                for _ in 0..rng.range(1, 6) {
                    let write = rng.pct(55);
                    q.push_back(Item::Stmt(src.get(&mut rng, write)));
                }
                q.push_back(if rng.pct(5) {
                    Item::Rollback
                } else {
                    Item::Commit
                });
            } else {
                let write = rng.pct(20);
                q.push_back(Item::Stmt(src.get(&mut rng, write)));
            }
        }
        let s = &mut sessions[si];
        let item = s.queue.pop_front().expect("a queued statement");
        let xid = if s.in_txn { s.xid } else { 0 };
        let head = format!("{} [{}] {xid}", ts(ms), s.pid);
        counts.statements += 1;
        match item {
            Item::Begin => {
                let _ = writeln!(out, "{head} LOG:  statement: BEGIN");
                s.in_txn = true;
                s.xid = 0;
                counts.begins += 1;
            }
            Item::Commit | Item::Rollback => {
                let word = if matches!(item, Item::Commit) {
                    counts.commits += 1;
                    "COMMIT"
                } else {
                    counts.rollbacks += 1;
                    "ROLLBACK"
                };
                let _ = writeln!(out, "{head} LOG:  statement: {word}");
                s.in_txn = false;
                s.xid = 0;
            }
            Item::Stmt(shape) => {
                let mut params = Vec::new();
                let sql = if s.extended {
                    counts.extended += 1;
                    let sql = shape.render(&mut rng, Values::Params, &mut params);
                    let _ = writeln!(out, "{head} LOG:  execute <unnamed>: {sql}");
                    if !params.is_empty() {
                        let list: Vec<String> = params
                            .iter()
                            .enumerate()
                            .map(|(i, p)| {
                                let v = p.trim_matches('\'');
                                format!("${} = '{}'", i + 1, v)
                            })
                            .collect();
                        let _ = writeln!(out, "{head} DETAIL:  parameters: {}", list.join(", "));
                    }
                    sql
                } else {
                    let sql = shape.render(&mut rng, Values::Literal, &mut params);
                    let _ = writeln!(out, "{head} LOG:  statement: {sql}");
                    sql
                };
                if sql.contains('\n') {
                    counts.multiline += 1;
                }
                if shape.write && rng.below(300) == 0 {
                    counts.errors += 1;
                    let _ = writeln!(
                        out,
                        "{head} ERROR:  duplicate key value violates unique constraint \"pk\""
                    );
                    let _ = writeln!(out, "{head} DETAIL:  Key (id)=(42) already exists.");
                    let _ = writeln!(out, "{head} STATEMENT:  {sql}");
                    if s.in_txn {
                        s.queue.clear();
                        s.queue.push_back(Item::Rollback);
                    }
                } else if shape.write && s.in_txn && s.xid == 0 {
                    // Postgres logs a statement before running it: the xid shows from the
                    // next line on.
                    next_xid += 1;
                    s.xid = next_xid;
                }
            }
        }
    }
    (out, counts)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A `pg_stat_statements` export of `n` rows: `BEGIN`, `COMMIT`, `ROLLBACK`, then distinct
/// statements with `$n` parameters, two reads for every write; `calls` from 1 to about a
/// million, skewed low.
pub fn stat_statements_csv(m: &Model, n: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let g = Grammar::new(m);
    let mut src = Source::new(&g, &Shapes::Distinct, &mut rng);
    let mut out = String::with_capacity(n * 200);
    out.push_str("queryid,query,calls,total_exec_time,rows\n");
    let row = |rng: &mut Rng, out: &mut String, q: &str| {
        let calls = 1 + (1u64 << rng.below(20)) + rng.below(1000) as u64;
        let _ = writeln!(
            out,
            "{},{},{calls},{:.3},{}",
            rng.next() as i64,
            csv_field(q),
            calls as f64 * 0.05,
            calls
        );
    };
    for q in ["BEGIN", "COMMIT", "ROLLBACK"].iter().take(n) {
        row(&mut rng, &mut out, q);
    }
    for _ in 3..n {
        let write = rng.pct(33);
        let shape = src.get(&mut rng, write);
        let mut params = Vec::new();
        let sql = shape.render(&mut rng, Values::Params, &mut params);
        row(&mut rng, &mut out, &sql);
    }
    out
}
