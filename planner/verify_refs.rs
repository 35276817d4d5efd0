//! `silo-plan references --db URL`: each reference checked against live data, read-only.
//!
//! For a reference (child table, columns) → (parent table, columns), the child rows with a value
//! (non-NULL in every child column, as a `MATCH SIMPLE` key checks them) are counted, then the
//! ones among them whose value has no parent row (an anti-join, `NOT EXISTS`), then, when there
//! are any, the first three distinct orphan values in the columns' own order, as text. The
//! verdict ([`Verdict`]):
//!
//! * `confirmed`: no orphan among `checked` rows, `checked` > 0;
//! * `refuted`: `orphans` of `checked` rows have no parent (with the rate and three values);
//! * `unknown`, with a `reason`: a query ran into `statement_timeout` (SQLSTATE 57014) or
//!   `lock_timeout` (55P03), the table is empty or holds no value in those columns, a table or
//!   column of the dump is missing on the live database, or another error (its message).
//!
//! **Which references.** Every reference but a foreign-key constraint: the database enforces a
//! constraint on every row, so checking it would only cost time. A constraint added `NOT VALID`
//! is the exception (the rows older than it were never checked) and is checked too.
//!
//! **Read-only, and short locks.** The session first runs [`crate::verify::SESSION`]
//! (`default_transaction_read_only`, row-level security off so a policy makes a query fail
//! rather than hide rows, and fixed formats so the example values print alike on every server).
//! Each reference then runs in its own `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
//! transaction (one snapshot for its counts, and the sample of both counts the same rows) with
//! `SET LOCAL statement_timeout` and `SET LOCAL lock_timeout`, ended by `COMMIT`, or `ROLLBACK`
//! after an error; the next reference starts afresh. Its statements are plain `SELECT`s and an
//! `EXPLAIN` without `ANALYZE`: the only locks they take are ACCESS SHARE on the tables they read,
//! and a transaction per reference releases them as soon as that reference is decided. One long
//! transaction would hold an ACCESS SHARE lock on every table checked so far until the end, and
//! a migration's `ALTER TABLE` waiting behind it would queue every later query on that table.
//! Keep `statement_timeout` short on a busy database: an `ALTER TABLE` that arrives while a
//! reference's query runs waits for it, and the application's queries wait behind the
//! `ALTER TABLE`.
//!
//! **Sampling.** A child table the planner estimates at twice [`Options::sample`] rows or more
//! (`EXPLAIN SELECT` of the table: `pg_class.reltuples` scaled to the table's current size,
//! right also for a table never analyzed, whose `reltuples` is -1) is read through
//! `TABLESAMPLE SYSTEM (p) REPEATABLE (0)`, `p` the percentage that makes about `sample` rows
//! (a smaller table is read whole: a sample of half of it or more would save little).
//! `SYSTEM` picks whole pages at random over the whole table and reads only those, so the cost
//! follows the sample, not the table, and `REPEATABLE (0)` picks the same pages in each query
//! and on every run over the same table (deterministic output). The price: rows of one page are
//! usually written together, so orphans clustered in time (rows written after their parents
//! were deleted) are over- or under-represented, and the rate varies more than with a row-level
//! sample. The alternatives cost more or see less: `TABLESAMPLE BERNOULLI` samples rows but
//! reads every page of the table, and `LIMIT` over the child scan reads only the oldest rows
//! (the start of the heap), where the orphans of recent deletions are not. A sampled reference
//! says so (`sample_percent`), `checked` counts the rows actually examined, and `orphans` counts
//! the orphans among them (not in the whole table). A sample that holds no row (the planner
//! assumes at least 10 pages for a table never vacuumed, so a small table can look big) falls
//! back to reading the whole table. `sample = 0` never samples.
//!
//! The library builds the queries and decides the verdicts; the caller supplies the connection
//! through [`Conn`] (the binary uses the `postgres` crate) and prints the outcome.

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::{Catalog, QName};
use crate::ident::{ident, literal, qualified};
use crate::references::{Kind, Listed, Listing};
use crate::refs_file::{FileReference, RefsFile, Verdict};

/// `--timeout-ms`: a reference's query running longer is cancelled (the reference is `unknown`).
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;

/// `--sample`: a child table estimated at twice as many rows or more is checked on a sample of
/// about this many.
pub const DEFAULT_SAMPLE: u64 = 1_000_000;

/// What `silo-plan references --db` writes in a references file's `source`.
pub const SOURCE: &str = "silo-plan references --db";

/// An error from the database: its SQLSTATE (`None` when the connection itself failed) and
/// message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    /// The SQLSTATE (`57014`), `None` for an error that is not the server's answer (the
    /// connection broke).
    pub code: Option<String>,
    /// The message (the server's, without the statement).
    pub message: String,
}

/// A database connection that answers a statement with rows of text values.
pub trait Conn {
    /// Runs one statement; returns its rows (NULL as `None`).
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError>;
}

/// How to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `statement_timeout` of every query, in milliseconds (0: none, as in Postgres).
    pub timeout_ms: u64,
    /// `lock_timeout`, in milliseconds.
    pub lock_timeout_ms: u64,
    /// A child table estimated at twice as many rows or more is sampled to about this many; 0:
    /// never sample.
    pub sample: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            lock_timeout_ms: DEFAULT_TIMEOUT_MS,
            sample: DEFAULT_SAMPLE,
        }
    }
}

/// One reference to check.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The child table.
    pub table: &'a QName,
    /// The child's columns.
    pub columns: &'a [String],
    /// The parent table.
    pub referenced_table: &'a QName,
    /// The parent's columns, in the order of `columns`.
    pub referenced_columns: &'a [String],
}

impl<'a> From<&'a Listed> for Target<'a> {
    fn from(l: &'a Listed) -> Self {
        Target {
            table: &l.table,
            columns: &l.columns,
            referenced_table: &l.referenced_table,
            referenced_columns: &l.referenced_columns,
        }
    }
}

/// What live data says about one reference.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Outcome {
    /// The verdict.
    pub verdict: Verdict,
    /// Child rows without a parent among `checked` (`None` when not counted).
    pub orphans: Option<u64>,
    /// Child rows with a value in every column that were examined (`None` when not counted).
    pub checked: Option<u64>,
    /// `orphans / checked`, for a refuted reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Up to three distinct orphan values, the smallest in the columns' order, as text (a
    /// composite key's columns joined by `, `; a value longer than 80 characters cut to 77 and
    /// `...`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub examples: Vec<String>,
    /// The `TABLESAMPLE SYSTEM` percentage, when the child table was sampled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_percent: Option<f64>,
    /// Why the verdict is `unknown` (or why a refuted reference lists no examples).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Outcome {
    fn unknown(reason: String) -> Outcome {
        Outcome {
            verdict: Verdict::Unknown,
            orphans: None,
            checked: None,
            rate: None,
            examples: Vec::new(),
            sample_percent: None,
            reason: Some(reason),
        }
    }

    /// The verdict as one line of text: `refuted: 10 orphans in 1000000 rows checked
    /// (0.001%), e.g. 7, 9, 12`.
    pub fn summary(&self) -> String {
        let mut s = verdict_str(self.verdict).to_string();
        if let (Some(o), Some(c)) = (self.orphans, self.checked) {
            s.push_str(&format!(
                ": {o} orphan{} in {c} row{} checked",
                plural(o),
                plural(c)
            ));
            if let Some(r) = self.rate {
                s.push_str(&format!(" ({})", percent(r)));
            }
        }
        if let Some(p) = self.sample_percent {
            s.push_str(&format!(", a {p}% sample (TABLESAMPLE SYSTEM)"));
        }
        if !self.examples.is_empty() {
            s.push_str(&format!(", e.g. {}", self.examples.join("; ")));
        }
        if let Some(r) = &self.reason {
            s.push_str(&format!(": {r}"));
        }
        s
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A rate as a percentage with four significant digits at most (`0.001%`, `12.5%`).
fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if p <= 0.0 {
        return "0%".to_string();
    }
    let digits = if p >= 10.0 {
        2
    } else if p >= 1.0 {
        3
    } else {
        // Enough decimals for four significant digits of a small rate.
        (4 - (p.log10().floor() as i32) - 1).clamp(3, 12) as usize
    };
    let mut s = format!("{p:.digits$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    format!("{s}%")
}

/// The verdict as written in JSON and reports.
pub fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Confirmed => "confirmed",
        Verdict::Refuted => "refuted",
        Verdict::Unknown => "unknown",
    }
}

// ---------------------------------------------------------------------------------------------
// The queries.

/// The statements that open a reference's transaction, in order.
pub fn begin(opts: &Options) -> [String; 3] {
    [
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".to_string(),
        format!("SET LOCAL statement_timeout = {}", opts.timeout_ms),
        format!("SET LOCAL lock_timeout = {}", opts.lock_timeout_ms),
    ]
}

/// Whether each table and column the reference names exists on the live database: one row per
/// (table, column) pair, child's first, each `true`/`false` for the table and for the column.
/// Reads the catalogs only (`to_regclass` takes no lock).
pub fn presence_sql(t: &Target<'_>) -> String {
    let mut values = Vec::new();
    for (q, cols) in [
        (t.table, t.columns),
        (t.referenced_table, t.referenced_columns),
    ] {
        for c in cols {
            values.push(format!(
                "({}, {}, {})",
                values.len(),
                literal(&qualified(q)),
                literal(c)
            ));
        }
    }
    format!(
        "SELECT (pg_catalog.to_regclass(x.rel) IS NOT NULL)::text, EXISTS (SELECT 1 FROM \
         pg_catalog.pg_attribute AS a WHERE a.attrelid = pg_catalog.to_regclass(x.rel) AND \
         a.attname = x.col AND a.attnum > 0 AND NOT a.attisdropped)::text FROM (VALUES {}) AS \
         x(n, rel, col) ORDER BY x.n",
        values.join(", ")
    )
}

/// The planner's estimate of the child table's rows (`Plan Rows` of the JSON plan).
pub fn estimate_sql(t: &Target<'_>) -> String {
    format!("EXPLAIN (FORMAT JSON) SELECT 1 FROM {}", qualified(t.table))
}

/// `FROM child AS c`, sampled when `percent` is given.
fn from_child(t: &Target<'_>, percent: Option<f64>) -> String {
    let mut s = format!("FROM {} AS c", qualified(t.table));
    if let Some(p) = percent {
        s.push_str(&format!(" TABLESAMPLE SYSTEM ({p}) REPEATABLE (0)"));
    }
    s
}

fn not_null(t: &Target<'_>) -> String {
    t.columns
        .iter()
        .map(|c| format!("c.{} IS NOT NULL", ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn no_parent(t: &Target<'_>) -> String {
    let on: Vec<String> = t
        .columns
        .iter()
        .zip(t.referenced_columns)
        .map(|(c, p)| format!("p.{} = c.{}", ident(p), ident(c)))
        .collect();
    format!(
        "NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})",
        qualified(t.referenced_table),
        on.join(" AND ")
    )
}

/// The rows read (of the sample, when sampled) and those with a value in every child column.
pub fn count_sql(t: &Target<'_>, percent: Option<f64>) -> String {
    format!(
        "SELECT count(*)::text, count(*) FILTER (WHERE {})::text {}",
        not_null(t),
        from_child(t, percent)
    )
}

/// The child rows with a value and no parent (the anti-join).
pub fn orphans_sql(t: &Target<'_>, percent: Option<f64>) -> String {
    format!(
        "SELECT count(*)::text {} WHERE {} AND {}",
        from_child(t, percent),
        not_null(t),
        no_parent(t)
    )
}

/// The first three distinct orphan values in the columns' order, as text.
pub fn examples_sql(t: &Target<'_>, percent: Option<f64>) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("c.{}", ident(c)))
        .collect();
    let text: Vec<String> = cols.iter().map(|c| format!("{c}::text")).collect();
    format!(
        "SELECT {} FROM (SELECT DISTINCT {} {} WHERE {} AND {} ORDER BY {} LIMIT 3) AS c",
        if text.len() == 1 {
            text[0].clone()
        } else {
            format!("concat_ws(', ', {})", text.join(", "))
        },
        cols.join(", "),
        from_child(t, percent),
        not_null(t),
        no_parent(t),
        cols.join(", ")
    )
}

// ---------------------------------------------------------------------------------------------
// Running them.

/// Why a reference stopped: the database's answer (the reference is `unknown`), or the end of
/// the run (the connection failed).
enum Stop {
    Unknown(String),
    Fatal(String),
}

fn fail(e: DbError, opts: &Options, sql: &str) -> Stop {
    match e.code.as_deref() {
        None => Stop::Fatal(format!("{} (in: {sql})", e.message)),
        Some("57014") => Stop::Unknown(format!(
            "a query ran longer than the statement_timeout ({} ms) and was cancelled",
            opts.timeout_ms
        )),
        Some("55P03") => Stop::Unknown(format!(
            "a lock was not granted within the lock_timeout ({} ms): another session holds or \
             waits for a conflicting lock",
            opts.lock_timeout_ms
        )),
        Some(code) => Stop::Unknown(format!("{} (SQLSTATE {code})", e.message)),
    }
}

fn rows(c: &mut dyn Conn, sql: &str, opts: &Options) -> Result<Vec<Vec<Option<String>>>, Stop> {
    c.query(sql).map_err(|e| fail(e, opts, sql))
}

fn number(c: &mut dyn Conn, sql: &str, opts: &Options, col: usize) -> Result<u64, Stop> {
    let r = rows(c, sql, opts)?;
    r.first()
        .and_then(|row| row.get(col).cloned().flatten())
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| Stop::Fatal(format!("no number in column {col} of the answer to: {sql}")))
}

/// An example value cut to 80 characters (a key may be a long text).
fn shorten(v: String) -> String {
    if v.chars().count() <= 80 {
        return v;
    }
    let mut s: String = v.chars().take(77).collect();
    s.push_str("...");
    s
}

/// The sampling percentage for a table estimated at `rows` rows: `None` when `sample` rows are
/// half of the table or more (a sample would save little and count less), or `sample` is 0.
pub fn sample_percent(rows: f64, sample: u64) -> Option<f64> {
    if sample == 0 || rows.is_nan() || rows < 2.0 * sample as f64 {
        return None;
    }
    // Six decimals are plenty and print the same on every run.
    let p = (100.0 * sample as f64 / rows * 1e6).ceil() / 1e6;
    Some(p.clamp(0.000001, 50.0))
}

/// Checks one reference inside its transaction (opened by the caller).
fn decide(c: &mut dyn Conn, t: &Target<'_>, opts: &Options) -> Result<Outcome, Stop> {
    let present = rows(c, &presence_sql(t), opts)?;
    let pairs = t.columns.iter().map(|col| (t.table, col)).chain(
        t.referenced_columns
            .iter()
            .map(|col| (t.referenced_table, col)),
    );
    let mut missing_col = None;
    for ((q, col), row) in pairs.zip(&present) {
        let yes = |i: usize| row.get(i).cloned().flatten().as_deref() == Some("true");
        if !yes(0) {
            return Ok(Outcome::unknown(format!(
                "table {q} does not exist on the live database"
            )));
        }
        if !yes(1) && missing_col.is_none() {
            missing_col = Some(format!(
                "column {q}.{col} does not exist on the live database"
            ));
        }
    }
    if let Some(m) = missing_col {
        return Ok(Outcome::unknown(m));
    }
    let mut percent = if opts.sample > 0 {
        let plan = rows(c, &estimate_sql(t), opts)?;
        let text = plan
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .unwrap_or_default();
        let est = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v[0]["Plan"]["Plan Rows"].as_f64())
            .ok_or_else(|| Stop::Fatal(format!("no `Plan Rows` in the plan: {text}")))?;
        sample_percent(est, opts.sample)
    } else {
        None
    };
    let count = |c: &mut dyn Conn, percent: Option<f64>| -> Result<(u64, u64), Stop> {
        let sql = count_sql(t, percent);
        let counted = rows(c, &sql, opts)?;
        let num = |i: usize| {
            counted
                .first()
                .and_then(|r| r.get(i).cloned().flatten())
                .and_then(|v| v.parse::<u64>().ok())
        };
        match (num(0), num(1)) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(Stop::Fatal(format!("no counts from: {sql}"))),
        }
    };
    let (mut read, mut checked) = count(c, percent)?;
    if read == 0 && percent.is_some() {
        // The pages picked hold no row: the estimate was too high (a table never vacuumed is
        // assumed to have at least 10 pages) or the table is mostly empty pages. Read it all,
        // still within the timeout.
        percent = None;
        (read, checked) = count(c, percent)?;
    }
    if checked == 0 {
        let reason = if read > 0 {
            format!(
                "every row {}has NULL in ({}): no value to check",
                if percent.is_some() {
                    "of the sample "
                } else {
                    ""
                },
                t.columns.join(", ")
            )
        } else {
            "the table is empty".to_string()
        };
        let mut o = Outcome::unknown(reason);
        o.checked = Some(0);
        o.sample_percent = percent;
        return Ok(o);
    }
    let orphans = number(c, &orphans_sql(t, percent), opts, 0)?;
    let mut o = Outcome {
        verdict: if orphans == 0 {
            Verdict::Confirmed
        } else {
            Verdict::Refuted
        },
        orphans: Some(orphans),
        checked: Some(checked),
        rate: (orphans > 0).then(|| orphans as f64 / checked as f64),
        examples: Vec::new(),
        sample_percent: percent,
        reason: None,
    };
    if orphans > 0 {
        match rows(c, &examples_sql(t, percent), opts) {
            Ok(r) => {
                o.examples = r
                    .into_iter()
                    .filter_map(|row| row.into_iter().next().flatten())
                    .map(shorten)
                    .collect();
            }
            // The count stands; only the examples are missing, and the reason says why.
            Err(Stop::Unknown(why)) => o.reason = Some(format!("no example values: {why}")),
            Err(e) => return Err(e),
        }
    }
    Ok(o)
}

/// Checks each target in its own read-only transaction, in order: one [`Outcome`] per target.
/// `Err` only when the connection fails (or a session statement does); a query that fails or
/// times out makes its reference `unknown` and the next one starts in a fresh transaction.
pub fn run(
    c: &mut dyn Conn,
    targets: &[Target<'_>],
    opts: &Options,
) -> Result<Vec<Outcome>, String> {
    for s in crate::verify::SESSION {
        c.query(s).map_err(|e| format!("{} (in: {s})", e.message))?;
    }
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        for s in begin(opts) {
            c.query(&s)
                .map_err(|e| format!("{} (in: {s})", e.message))?;
        }
        let decided = decide(c, t, opts);
        let end = if decided.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        let closed = c.query(end);
        match decided {
            Ok(o) => {
                closed.map_err(|e| format!("{} (in: {end})", e.message))?;
                out.push(o);
            }
            Err(Stop::Unknown(why)) => {
                closed.map_err(|e| format!("{} (in: {end})", e.message))?;
                out.push(Outcome::unknown(why));
            }
            Err(Stop::Fatal(why)) => return Err(why),
        }
    }
    Ok(out)
}

/// Whether a listed reference is checked: every kind but a constraint, and a constraint added
/// `NOT VALID` (the database never checked the rows older than it).
pub fn needs_check(cat: &Catalog, r: &Listed) -> bool {
    r.kind != Kind::Constraint
        || cat.foreign_keys.iter().any(|fk| {
            fk.not_valid
                && fk.table == r.table
                && fk.columns == r.columns
                && fk.references == r.referenced_table
                && fk.referenced_columns == r.referenced_columns
        })
}

/// Checks the references of `listing` that [`needs_check`] and writes each verdict into it
/// (`verified`, `orphans`, `checked`, `verification`).
pub fn verify_listing(
    c: &mut dyn Conn,
    cat: &Catalog,
    listing: &mut Listing,
    opts: &Options,
) -> Result<(), String> {
    let picked: Vec<usize> = (0..listing.references.len())
        .filter(|&i| needs_check(cat, &listing.references[i]))
        .collect();
    let targets: Vec<Target<'_>> = picked
        .iter()
        .map(|&i| Target::from(&listing.references[i]))
        .collect();
    let outcomes = run(c, &targets, opts)?;
    for (i, o) in picked.into_iter().zip(outcomes) {
        let r = &mut listing.references[i];
        r.verified = Some(verdict_str(o.verdict).to_string());
        r.orphans = o.orphans;
        r.checked = o.checked;
        r.verification = Some(o);
    }
    Ok(())
}

/// The verdicts as a references file to import (`references = ["FILE"]`): every verified
/// reference that is not a constraint (the dump already holds those), with its verdict,
/// `orphans` and `checked`; `origin` says where the reference came from and `reason` gives the
/// verdict in words. `on_delete` is left out: live data says whether a reference holds, not what
/// a delete does.
pub fn to_file(listing: &Listing, cat: &Catalog) -> RefsFile {
    let file = |r: &Listed| {
        r.file
            .clone()
            .or_else(|| cat.files.first().cloned())
            .unwrap_or_default()
    };
    let references = listing
        .references
        .iter()
        .filter(|r| r.kind != Kind::Constraint)
        .filter_map(|r| {
            let o = r.verification.as_ref()?;
            let how = match r.rule {
                Some(rule) => format!(
                    "{} by {rule} (confidence {})",
                    r.kind.as_str(),
                    r.confidence
                ),
                None => r.kind.as_str().to_string(),
            };
            Some(FileReference {
                table: r.table.to_string(),
                columns: r.columns.clone(),
                referenced_table: r.referenced_table.to_string(),
                referenced_columns: r.referenced_columns.clone(),
                on_delete: None,
                origin: Some(format!("{how}, {}:{}", file(r), r.line)),
                reason: Some(o.summary()),
                verified: Some(o.verdict),
                orphans: o.orphans,
                checked: o.checked,
            })
        })
        .collect();
    RefsFile {
        version: crate::refs_file::VERSION,
        source: Some(SOURCE.to_string()),
        references,
        unresolved: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: &str) -> QName {
        QName::new("public", n)
    }

    #[test]
    fn queries_quote_every_identifier() {
        let (child, parent) = (q("Order Items"), q("user"));
        let cols = vec!["User\"Id".to_string()];
        let pcols = vec!["id".to_string()];
        let t = Target {
            table: &child,
            columns: &cols,
            referenced_table: &parent,
            referenced_columns: &pcols,
        };
        assert_eq!(
            orphans_sql(&t, None),
            "SELECT count(*)::text FROM public.\"Order Items\" AS c WHERE c.\"User\"\"Id\" IS NOT \
             NULL AND NOT EXISTS (SELECT 1 FROM public.\"user\" AS p WHERE p.id = c.\"User\"\"Id\")"
        );
        assert_eq!(
            count_sql(&t, Some(1.5)),
            "SELECT count(*)::text, count(*) FILTER (WHERE c.\"User\"\"Id\" IS NOT NULL)::text \
             FROM public.\"Order Items\" AS c TABLESAMPLE SYSTEM (1.5) REPEATABLE (0)"
        );
        assert!(presence_sql(&t).contains("(0, 'public.\"Order Items\"', 'User\"Id')"));
    }

    #[test]
    fn sampling_only_above_the_threshold() {
        assert_eq!(sample_percent(1000.0, 1000), None);
        assert_eq!(sample_percent(1999.0, 1000), None);
        assert_eq!(sample_percent(2000.0, 1000), Some(50.0));
        assert_eq!(sample_percent(1000.0, 0), None);
        assert_eq!(sample_percent(-1.0, 10), None);
        assert_eq!(sample_percent(4000.0, 1000), Some(25.0));
        assert_eq!(sample_percent(3.0e9, 1000), Some(0.000034));
    }

    #[test]
    fn long_example_values_are_cut() {
        assert_eq!(shorten("abc".into()), "abc");
        let long = "é".repeat(100);
        assert_eq!(shorten(long), format!("{}...", "é".repeat(77)));
    }

    #[test]
    fn rates_print_with_four_significant_digits() {
        assert_eq!(percent(0.00001), "0.001%");
        assert_eq!(percent(1.0 / 3.0), "33.33%");
        assert_eq!(percent(0.05), "5%");
        assert_eq!(percent(0.0123456), "1.235%");
        assert_eq!(percent(0.000123456), "0.01235%");
    }
}
