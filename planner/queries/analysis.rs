//! Analysing logged statements: resolving the relations each one touches against the dump
//! ([`Resolver`]: CTEs excluded, views expanded, triggers followed), normalizing texts so each
//! distinct one is parsed once, recovering transactions, and the findings of crossings (SP011 to
//! SP014) or the [`Workload`] `suggest` weighs. The statements come from [`super::logs`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;

use sqlparser::ast::{
    AssignmentTarget, CopySource, FromTable, ObjectName, Query, Statement, TableFactor,
    TableObject, TriggerEvent, Visit, Visitor,
};

use crate::assign::{Assignment, Placement};
use crate::catalog::{Catalog, QName};
use crate::dump::lex::{tokenize, Tok};
use crate::dump::lower::parts;
use crate::findings::{Code, Finding, Location, Related, Severity};
use crate::plan::Input;
use crate::source::SourceFile;

use super::logs::{read_logs, FileStats, Logged, Options, QueryError};
use super::parse;

// ---------------------------------------------------------------------------------------------
// Resolving one statement.

/// What one statement touches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touch {
    /// Tables it reads or writes (views expanded, trigger targets included).
    pub tables: BTreeSet<QName>,
    /// Tables it writes (`INSERT`, `UPDATE`, `DELETE`, `MERGE`, `COPY FROM`, `TRUNCATE`), and
    /// the tables named by the triggers those writes fire.
    pub written: BTreeSet<QName>,
    /// Trigger names fired by its writes whose functions name tables.
    pub triggers: BTreeSet<String>,
    /// Relations the dump does not define, as written (folded).
    pub unknown: BTreeSet<String>,
}

impl Touch {
    fn merge(&mut self, o: Touch) {
        self.tables.extend(o.tables);
        self.written.extend(o.written);
        self.triggers.extend(o.triggers);
        self.unknown.extend(o.unknown);
    }
}

/// Where a trigger fires and what its function names.
#[derive(Debug, Clone)]
struct TriggerInfo {
    name: String,
    /// `insert`, `update`, `delete`, `truncate`, with the `UPDATE OF` columns (empty: any).
    events: Vec<(String, Vec<String>)>,
    mentions: Vec<QName>,
}

/// Resolves statements against the dump and the silo map.
pub struct Resolver<'a> {
    cat: &'a Catalog,
    asg: &'a Assignment,
    default_schema: String,
    views: BTreeMap<QName, Vec<QName>>,
    triggers: BTreeMap<QName, Vec<TriggerInfo>>,
}

#[derive(Default)]
struct Collect {
    reads: Vec<ObjectName>,
    /// Target, event (`insert` ...), `UPDATE` columns.
    writes: Vec<(ObjectName, &'static str, Vec<String>)>,
    ctes: BTreeSet<String>,
}

fn table_name(tf: &TableFactor) -> Option<&ObjectName> {
    match tf {
        TableFactor::Table {
            name, args: None, ..
        } => Some(name),
        _ => None,
    }
}

impl Visitor for Collect {
    type Break = ();

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                self.ctes.insert(crate::dump::lower::ident(&cte.alias.name));
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, tf: &TableFactor) -> ControlFlow<()> {
        if let Some(n) = table_name(tf) {
            self.reads.push(n.clone());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, s: &Statement) -> ControlFlow<()> {
        match s {
            Statement::Insert(i) => {
                if let TableObject::TableName(n) = &i.table {
                    self.writes.push((n.clone(), "insert", Vec::new()));
                }
            }
            Statement::Update(u) => {
                if let Some(n) = table_name(&u.table.relation) {
                    let mut cols = Vec::new();
                    for a in &u.assignments {
                        match &a.target {
                            AssignmentTarget::ColumnName(c) => {
                                cols.extend(parts(c).last().cloned());
                            }
                            AssignmentTarget::Tuple(cs) => {
                                for c in cs {
                                    cols.extend(parts(c).last().cloned());
                                }
                            }
                        }
                    }
                    self.writes.push((n.clone(), "update", cols));
                }
            }
            Statement::Delete(d) => {
                for n in &d.tables {
                    self.writes.push((n.clone(), "delete", Vec::new()));
                }
                if d.tables.is_empty() {
                    let (FromTable::WithFromKeyword(f) | FromTable::WithoutKeyword(f)) = &d.from;
                    for twj in f {
                        if let Some(n) = table_name(&twj.relation) {
                            self.writes.push((n.clone(), "delete", Vec::new()));
                        }
                    }
                }
            }
            Statement::Merge(m) => {
                if let Some(n) = table_name(&m.table) {
                    for e in ["insert", "update", "delete"] {
                        self.writes.push((n.clone(), e, Vec::new()));
                    }
                }
            }
            Statement::Copy {
                source: CopySource::Table { table_name, .. },
                to,
                ..
            } => {
                if *to {
                    self.reads.push(table_name.clone());
                } else {
                    self.writes.push((table_name.clone(), "insert", Vec::new()));
                }
            }
            Statement::Truncate(t) => {
                for n in &t.table_names {
                    self.writes.push((n.name.clone(), "truncate", Vec::new()));
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

impl<'a> Resolver<'a> {
    /// A resolver over a catalog, its silo map and its graph; the dump files' text in
    /// `input.sources` gives the trigger definitions' `UPDATE OF` columns.
    pub fn new(input: &Input<'a>) -> Self {
        let Input {
            cat,
            sources: dump,
            cfg,
            asg,
            graph,
            ..
        } = *input;
        let views = cat
            .views
            .iter()
            .map(|v| (v.name.clone(), v.reads.clone()))
            .collect();
        let mut triggers: BTreeMap<QName, Vec<TriggerInfo>> = BTreeMap::new();
        for t in &cat.triggers {
            let mentions = graph.mentions(&t.function);
            if mentions.is_empty() {
                continue;
            }
            let mut events: Vec<(String, Vec<String>)> =
                t.events.iter().map(|e| (e.clone(), Vec::new())).collect();
            // The catalog keeps the events only; `UPDATE OF a, b` is read from the definition.
            if let Some(text) = dump
                .get(t.span.file as usize)
                .and_then(|f| f.text.get(t.span.start as usize..t.span.end as usize))
            {
                if let Ok(stmts) = parse(text) {
                    if let Some(Statement::CreateTrigger(ct)) = stmts.first() {
                        events = ct
                            .events
                            .iter()
                            .map(|e| match e {
                                TriggerEvent::Insert => ("insert".to_string(), Vec::new()),
                                TriggerEvent::Update(cols) => (
                                    "update".to_string(),
                                    cols.iter().map(crate::dump::lower::ident).collect(),
                                ),
                                TriggerEvent::Delete => ("delete".to_string(), Vec::new()),
                                TriggerEvent::Truncate => ("truncate".to_string(), Vec::new()),
                            })
                            .collect();
                    }
                }
            }
            triggers
                .entry(t.table.clone())
                .or_default()
                .push(TriggerInfo {
                    name: t.name.clone(),
                    events,
                    mentions,
                });
        }
        Resolver {
            cat,
            asg,
            default_schema: cfg.default_schema.clone(),
            views,
            triggers,
        }
    }

    /// The table or view a name means; `Err` with the folded name when the dump has none, `Ok`
    /// of an empty list for system catalogs.
    fn resolve(&self, n: &ObjectName, ctes: &BTreeSet<String>) -> Result<Vec<QName>, String> {
        let p = parts(n);
        let q = match p.as_slice() {
            [name] if ctes.contains(name) => return Ok(Vec::new()),
            [name] if name.starts_with("pg_") => {
                let q = QName::new(&self.default_schema, name);
                if self.cat.table(&q).is_none() && !self.views.contains_key(&q) {
                    return Ok(Vec::new());
                }
                q
            }
            [name] => QName::new(&self.default_schema, name),
            [.., schema, name] => QName::new(schema, name),
            [] => return Ok(Vec::new()),
        };
        if matches!(q.schema.as_str(), "pg_catalog" | "information_schema") {
            return Ok(Vec::new());
        }
        if self.cat.table(&q).is_some() {
            return Ok(vec![q]);
        }
        if self.views.contains_key(&q) {
            let mut out = Vec::new();
            self.expand(&q, &mut BTreeSet::new(), &mut out);
            return Ok(out);
        }
        Err(p.join("."))
    }

    fn expand(&self, v: &QName, seen: &mut BTreeSet<QName>, out: &mut Vec<QName>) {
        if !seen.insert(v.clone()) {
            return;
        }
        for r in self.views.get(v).into_iter().flatten() {
            if self.views.contains_key(r) {
                self.expand(r, seen, out);
            } else {
                out.push(r.clone());
            }
        }
    }

    /// What one parsed statement touches.
    pub fn statement(&self, s: &Statement) -> Touch {
        let mut c = Collect::default();
        let _ = s.visit(&mut c);
        let mut t = Touch::default();
        for n in &c.reads {
            match self.resolve(n, &c.ctes) {
                Ok(qs) => t.tables.extend(qs),
                Err(u) => {
                    t.unknown.insert(u);
                }
            }
        }
        for (n, event, cols) in &c.writes {
            let qs = match self.resolve(n, &c.ctes) {
                Ok(qs) => qs,
                Err(u) => {
                    t.unknown.insert(u);
                    continue;
                }
            };
            for q in qs {
                for tr in self.triggers.get(&q).into_iter().flatten() {
                    let fires = tr.events.iter().any(|(e, of)| {
                        e == event
                            && (of.is_empty()
                                || cols.is_empty()
                                || of.iter().any(|c| cols.contains(c)))
                    });
                    if fires {
                        t.triggers.insert(tr.name.clone());
                        t.tables.extend(tr.mentions.iter().cloned());
                        t.written.extend(tr.mentions.iter().cloned());
                    }
                }
                t.tables.insert(q.clone());
                t.written.insert(q);
            }
        }
        t
    }

    /// Parses SQL text (one or more statements) and resolves it.
    pub fn sql(&self, sql: &str) -> Result<Touch, String> {
        let mut t = Touch::default();
        for s in parse(sql)? {
            t.merge(self.statement(&s));
        }
        Ok(t)
    }

    /// The silos of a set of tables (shared and unassigned tables excluded), sorted.
    pub fn silos<'t>(&self, tables: impl IntoIterator<Item = &'t QName>) -> BTreeSet<String> {
        tables
            .into_iter()
            .filter_map(|q| match self.asg.silo_of(q) {
                Some(Placement::Silo(s)) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    /// `public.a (control), public.b (region)` for the tables of a set that are in a silo.
    fn describe(&self, tables: &BTreeSet<QName>) -> String {
        tables
            .iter()
            .filter_map(|q| match self.asg.silo_of(q) {
                Some(Placement::Silo(s)) => Some(format!("{q} ({s})")),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

// ---------------------------------------------------------------------------------------------
// Normalizing.

/// Statement text with literals and parameters as `?`, comments dropped and whitespace collapsed
/// to single spaces: the grouping key of [`analyze`].
///
/// Built on the dump reader's tokenizer ([`crate::dump::lex`]), which already knows Postgres's
/// quoting (`''` doubling, `E'...'`, dollar quotes, quoted identifiers) and comments (nested
/// `/* */`, `--`): tokens are copied, string, dollar-quoted and numeric constants and `$n`
/// parameters become `?`, and a space stands wherever the text had whitespace or a comment
/// between two tokens.
pub fn normalize(sql: &str) -> String {
    let t = tokenize(sql, usize::MAX, false);
    let toks = &t.toks;
    let mut out = String::with_capacity(sql.len());
    let mut prev_end: Option<usize> = None;
    let mut i = 0;
    while i < toks.len() {
        let tk = toks[i];
        let raw = &sql[tk.start..tk.end];
        let mut end = tk.end;
        let constant = match tk.kind {
            Tok::Str | Tok::Dollar => true,
            Tok::Number => {
                // The tokenizer reads `1.5e-3` as `1.5e`, `-`, `3`: one constant.
                if raw.ends_with(['e', 'E']) {
                    if let (Some(sign), Some(exp)) = (toks.get(i + 1), toks.get(i + 2)) {
                        if matches!(sign.kind, Tok::Punct(b'-' | b'+'))
                            && sign.start == tk.end
                            && exp.kind == Tok::Number
                            && exp.start == sign.end
                        {
                            end = exp.end;
                            i += 2;
                        }
                    }
                }
                true
            }
            // `$1`: a parameter (the tokenizer reads it as a word).
            Tok::Word => {
                raw.len() > 1
                    && raw.starts_with('$')
                    && raw[1..].bytes().all(|b| b.is_ascii_digit())
            }
            Tok::Quoted | Tok::Punct(_) => false,
        };
        if prev_end.is_some_and(|p| tk.start > p) {
            out.push(' ');
        }
        if constant {
            out.push('?');
        } else {
            out.push_str(raw);
        }
        prev_end = Some(end);
        i += 1;
    }
    while out.ends_with([';', ' ']) {
        out.pop();
    }
    out
}

// Analysis.

/// Counts of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Per input file.
    pub files: Vec<FileStats>,
    /// Statements read (counting `calls`).
    pub statements: u64,
    /// Distinct normalized texts.
    pub distinct: usize,
    /// Distinct texts that crossed silos.
    pub crossing: usize,
    /// Statements that could not be parsed (counting `calls`).
    pub unparsed: u64,
    /// Transactions seen in server logs.
    pub transactions: usize,
    /// Transactions that wrote to several silos.
    pub crossing_transactions: usize,
}

/// The result of [`analyze`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Findings in their stable order.
    pub findings: Vec<Finding>,
    /// Counts.
    pub stats: Stats,
}

/// A distinct statement text and what it touches.
struct Shape {
    norm: String,
    touch: Result<Touch, String>,
    silos: BTreeSet<String>,
    written_silos: BTreeSet<String>,
    calls: u64,
    first: usize,
    others: Vec<usize>,
    /// First word, uppercased (`BEGIN`, `COMMIT`, ...).
    boundary: Option<Boundary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundary {
    Begin,
    End,
}

fn boundary(norm: &str) -> Option<Boundary> {
    let mut w = norm.split(|c: char| c.is_whitespace() || c == ';');
    let a = w.next()?.to_ascii_uppercase();
    let b = w.next().unwrap_or("").to_ascii_uppercase();
    match (a.as_str(), b.as_str()) {
        ("BEGIN", _) | ("START", "TRANSACTION") => Some(Boundary::Begin),
        ("COMMIT", "PREPARED") | ("ROLLBACK", "PREPARED") => None,
        ("ROLLBACK", "TO") => None,
        ("COMMIT" | "END" | "ROLLBACK" | "ABORT", _) | ("PREPARE", "TRANSACTION") => {
            Some(Boundary::End)
        }
        _ => None,
    }
}

struct Txn {
    /// `session 4101`, `transaction 3/15`.
    key: String,
    statements: Vec<usize>,
    /// `committed`, `rolled back`, `unfinished in the log`, or `autocommit`.
    end: &'static str,
}

fn loc(logs: &[SourceFile], l: &Logged) -> Location {
    Location {
        file: logs.get(l.file).map(|f| f.path.clone()).unwrap_or_default(),
        line: l.line,
        column: None,
    }
}

fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

fn and_list(v: &BTreeSet<String>) -> String {
    let v: Vec<&str> = v.iter().map(String::as_str).collect();
    match v.as_slice() {
        [] => String::new(),
        [a] => format!("`{a}`"),
        [init @ .., last] => format!(
            "{} and `{last}`",
            init.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn short(s: &str) -> String {
    const MAX: usize = 160;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

/// Groups the statements by normalized text, parsing and resolving each distinct text once.
/// Returns the shapes and, for every statement, its shape.
fn shapes(res: &Resolver<'_>, stmts: &[Logged]) -> (Vec<Shape>, Vec<usize>) {
    let mut shapes: Vec<Shape> = Vec::new();
    let mut by_norm: HashMap<String, usize> = HashMap::new();
    let mut shape_of: Vec<usize> = Vec::with_capacity(stmts.len());
    for (i, l) in stmts.iter().enumerate() {
        let norm = normalize(&l.sql);
        let k = match by_norm.get(&norm) {
            Some(&k) => {
                shapes[k].calls += l.calls;
                shapes[k].others.push(i);
                k
            }
            None => {
                let touch = res.sql(&l.sql);
                let (silos, written_silos) = match &touch {
                    Ok(t) => (res.silos(&t.tables), res.silos(&t.written)),
                    Err(_) => Default::default(),
                };
                let k = shapes.len();
                shapes.push(Shape {
                    boundary: boundary(&norm),
                    norm: norm.clone(),
                    touch,
                    silos,
                    written_silos,
                    calls: l.calls,
                    first: i,
                    others: Vec::new(),
                });
                by_norm.insert(norm, k);
                k
            }
        };
        shape_of.push(k);
    }
    (shapes, shape_of)
}

/// The transactions of server-log statements: by `%v` or `%x` when the prefix has them, else
/// by session and its `BEGIN` / `COMMIT` / `ROLLBACK`.
fn transactions(stmts: &[Logged], shapes: &[Shape], shape_of: &[usize]) -> Vec<Txn> {
    let mut txns: Vec<Txn> = Vec::new();
    let mut open: HashMap<String, usize> = HashMap::new();
    let mut keyed: HashMap<String, usize> = HashMap::new();
    for (i, l) in stmts.iter().enumerate() {
        let shape = &shapes[shape_of[i]];
        if let Some(v) = l.txn.as_ref().or(l.xid.as_ref()) {
            let key = format!("{}:{v}", l.file);
            let t = *keyed.entry(key.clone()).or_insert_with(|| {
                let what = if l.txn.is_some() {
                    "transaction"
                } else {
                    "xid"
                };
                txns.push(Txn {
                    key: format!("{what} {v}"),
                    statements: Vec::new(),
                    end: "as logged",
                });
                txns.len() - 1
            });
            txns[t].statements.push(i);
        } else if let Some(sess) = &l.session {
            let skey = format!("{}:{sess}", l.file);
            match shape.boundary {
                Some(Boundary::Begin) => {
                    txns.push(Txn {
                        key: format!("session {sess}"),
                        statements: vec![i],
                        end: "unfinished in the log",
                    });
                    open.insert(skey, txns.len() - 1);
                }
                Some(Boundary::End) => {
                    if let Some(t) = open.remove(&skey) {
                        txns[t].statements.push(i);
                        let w = shape.norm.to_ascii_uppercase();
                        txns[t].end = if w.starts_with("ROLLBACK") || w.starts_with("ABORT") {
                            "rolled back"
                        } else if w.starts_with("PREPARE") {
                            "prepared"
                        } else {
                            "committed"
                        };
                    }
                }
                None => match open.get(&skey) {
                    Some(&t) => txns[t].statements.push(i),
                    None => txns.push(Txn {
                        key: format!("session {sess}"),
                        statements: vec![i],
                        end: "autocommit",
                    }),
                },
            }
        }
    }
    txns
}

/// Reads the logs and reports cross-silo queries and transactions.
pub fn analyze(
    res: &Resolver<'_>,
    logs: &[SourceFile],
    opts: &Options,
) -> Result<Outcome, QueryError> {
    let (stmts, files) = read_logs(logs, opts)?;
    Ok(analyze_statements(res, logs, &stmts, files))
}

/// Reports cross-silo queries and transactions of statements already read.
pub fn analyze_statements(
    res: &Resolver<'_>,
    logs: &[SourceFile],
    stmts: &[Logged],
    files: Vec<FileStats>,
) -> Outcome {
    let (shapes, shape_of) = shapes(res, stmts);

    let mut findings = Vec::new();
    let mut stats = Stats {
        files,
        statements: stmts.iter().map(|l| l.calls).sum(),
        distinct: shapes.len(),
        ..Stats::default()
    };
    let mut unknown: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    for s in &shapes {
        let first = &stmts[s.first];
        let related: Vec<Related> = s
            .others
            .iter()
            .take(3)
            .map(|&o| Related {
                location: loc(logs, &stmts[o]),
                message: "also here".to_string(),
            })
            .collect();
        match &s.touch {
            Err(e) => {
                stats.unparsed += s.calls;
                findings.push(Finding {
                    code: Code::UnparsedQuery,
                    reference: None,
                    severity: Severity::Warning,
                    message: format!(
                        "statement not parsed ({}): {}",
                        plural(s.calls, "call"),
                        short(&s.norm)
                    ),
                    location: Some(loc(logs, first)),
                    related,
                    help: Some(format!(
                        "sqlparser: {e}; check it by hand, or rewrite it in the query log"
                    )),
                    object: s.norm.clone(),
                });
            }
            Ok(t) => {
                for u in &t.unknown {
                    let e = unknown.entry(u.clone()).or_insert((0, s.first));
                    e.0 += s.calls;
                }
                if s.silos.len() > 1 {
                    stats.crossing += 1;
                    let via = if t.triggers.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (through trigger {})",
                            t.triggers.iter().cloned().collect::<Vec<_>>().join(", ")
                        )
                    };
                    findings.push(Finding {
                        code: Code::CrossSiloQuery,
                        reference: None,
                        severity: Severity::Error,
                        message: format!(
                            "query touches silos {} ({}): {}{via}",
                            and_list(&s.silos),
                            plural(s.calls, "call"),
                            res.describe(&t.tables)
                        ),
                        location: Some(loc(logs, first)),
                        related,
                        help: Some(format!(
                            "after the split the silos are separate databases: split it into \
                             one query per silo (the other silo's rows through its API), or \
                             move the tables into one silo (query: {})",
                            short(&s.norm)
                        )),
                        object: s.norm.clone(),
                    });
                }
            }
        }
    }
    for (name, (calls, first)) in unknown {
        findings.push(Finding {
            code: Code::UnknownRelation,
            reference: None,
            severity: Severity::Note,
            message: format!(
                "relation `{name}` is not in the dump ({}); its silo is unknown",
                plural(calls, "call")
            ),
            location: Some(loc(logs, &stmts[first])),
            related: Vec::new(),
            help: Some(
                "a temporary table, a table created after the dump, or another search_path: \
                 the statements naming it are judged on their other tables"
                    .to_string(),
            ),
            object: name,
        });
    }

    let txns = transactions(stmts, &shapes, &shape_of);
    stats.transactions = txns.len();
    // Group crossing transactions by the texts of their writing statements.
    let mut groups: BTreeMap<Vec<usize>, (usize, u64)> = BTreeMap::new();
    let mut order: Vec<Vec<usize>> = Vec::new();
    for (ti, t) in txns.iter().enumerate() {
        let mut silos = BTreeSet::new();
        let mut writes = Vec::new();
        for &i in &t.statements {
            let s = &shapes[shape_of[i]];
            if !s.written_silos.is_empty() {
                silos.extend(s.written_silos.iter().cloned());
                writes.push(shape_of[i]);
            }
        }
        if silos.len() < 2 {
            continue;
        }
        stats.crossing_transactions += 1;
        match groups.get_mut(&writes) {
            Some(g) => g.1 += 1,
            None => {
                groups.insert(writes.clone(), (ti, 1));
                order.push(writes);
            }
        }
    }
    for writes in order {
        let (ti, count) = groups[&writes];
        let t = &txns[ti];
        let mut silos = BTreeSet::new();
        let mut related = Vec::new();
        for &i in &t.statements {
            let s = &shapes[shape_of[i]];
            if s.written_silos.is_empty() {
                continue;
            }
            silos.extend(s.written_silos.iter().cloned());
            let written = match &s.touch {
                Ok(touch) => res.describe(&touch.written),
                Err(_) => String::new(),
            };
            related.push(Related {
                location: loc(logs, &stmts[i]),
                message: format!("writes {written}"),
            });
        }
        let first = &stmts[t.statements[0]];
        let times = if count > 1 {
            format!(", {count} such transactions")
        } else {
            String::new()
        };
        findings.push(Finding {
            code: Code::CrossSiloTransaction,
            reference: None,
            severity: Severity::Error,
            message: format!(
                "transaction writes to silos {} ({}, {}, {}{times})",
                and_list(&silos),
                t.key,
                plural(t.statements.len() as u64, "statement"),
                t.end
            ),
            location: Some(loc(logs, first)),
            related,
            help: Some(
                "after the split these writes commit in different databases and are no longer \
                 atomic: make one side idempotent and retried (outbox, tombstone), or move the \
                 tables into one silo"
                    .to_string(),
            ),
            object: format!(
                "transaction {}:{}",
                logs.get(first.file).map(|f| f.path.as_str()).unwrap_or(""),
                first.line
            ),
        });
    }
    crate::findings::sort(&mut findings);
    Outcome { findings, stats }
}

// ---------------------------------------------------------------------------------------------
// The workload, as `suggest` weighs it.

/// A distinct statement of a workload that parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedStatement {
    /// Its normalized text.
    pub text: String,
    /// The tables it touches (views expanded, trigger targets included).
    pub tables: BTreeSet<QName>,
    /// How many times it ran.
    pub calls: u64,
}

/// Transactions of more than one statement that wrote the same set of tables. (A single
/// statement writing several tables, through a trigger say, is weighed as a statement.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedTransaction {
    /// The tables their statements write.
    pub written: BTreeSet<QName>,
    /// How many such transactions the logs hold.
    pub count: u64,
    /// The normalized texts of the first one's writing statements, `; `-separated.
    pub text: String,
}

/// What a workload does, independent of the silo map: the input of `suggest --log`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Distinct statements that parsed, in order of first appearance.
    pub statements: Vec<UsedStatement>,
    /// Transactions grouped by the tables they write, in order of first appearance.
    pub transactions: Vec<UsedTransaction>,
    /// Per input file.
    pub files: Vec<FileStats>,
    /// Statements read (counting `calls`).
    pub calls: u64,
    /// Statements that could not be parsed (counting `calls`); they weigh nothing.
    pub unparsed: u64,
}

/// Reads the logs into a [`Workload`]: each distinct text parsed once, its tables resolved,
/// transactions recovered as [`analyze`] does.
pub fn workload(
    res: &Resolver<'_>,
    logs: &[SourceFile],
    opts: &Options,
) -> Result<Workload, QueryError> {
    let (stmts, files) = read_logs(logs, opts)?;
    let (shapes, shape_of) = shapes(res, &stmts);
    let txns = transactions(&stmts, &shapes, &shape_of);
    let mut w = Workload {
        statements: Vec::new(),
        transactions: Vec::new(),
        files,
        calls: stmts.iter().map(|l| l.calls).sum(),
        unparsed: 0,
    };
    for s in &shapes {
        match &s.touch {
            Ok(t) if !t.tables.is_empty() => w.statements.push(UsedStatement {
                text: s.norm.clone(),
                tables: t.tables.clone(),
                calls: s.calls,
            }),
            Ok(_) => {}
            Err(_) => w.unparsed += s.calls,
        }
    }
    let mut by_written: HashMap<BTreeSet<QName>, usize> = HashMap::new();
    for t in &txns {
        let mut written = BTreeSet::new();
        let mut writers = Vec::new();
        for &i in &t.statements {
            if let Ok(touch) = &shapes[shape_of[i]].touch {
                if !touch.written.is_empty() {
                    written.extend(touch.written.iter().cloned());
                    writers.push(shape_of[i]);
                }
            }
        }
        if writers.len() < 2 {
            continue;
        }
        match by_written.get(&written) {
            Some(&g) => w.transactions[g].count += 1,
            None => {
                by_written.insert(written.clone(), w.transactions.len());
                w.transactions.push(UsedTransaction {
                    written,
                    count: 1,
                    text: writers
                        .iter()
                        .map(|&k| shapes[k].norm.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
        }
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing() {
        assert_eq!(
            normalize("SELECT *  FROM t\n WHERE a = 'x''y' AND b = 42 -- c\n AND c = $1;"),
            "SELECT * FROM t WHERE a = ? AND b = ? AND c = ?"
        );
        assert_eq!(
            normalize("select e'a\\'b', t1.c2 from \"T 1\""),
            "select ?, t1.c2 from \"T 1\""
        );
        assert_eq!(normalize("SELECT $x$ a $x$, 1.5e-3"), "SELECT ?, ?");
        assert_eq!(normalize("/* a /* b */ */ SELECT 1"), "SELECT ?");
        assert_eq!(
            normalize("SELECT -1.5E+10, 2e3, a$1, x::int[]\n-- c\nFROM t; ;"),
            "SELECT -?, ?, a$1, x::int[] FROM t"
        );
        assert_eq!(normalize("SELECT 'a'/*x*/||E'b'"), "SELECT ? ||?");
        assert_eq!(normalize("  -- only a comment\n"), "");
    }

    #[test]
    fn boundaries() {
        assert_eq!(boundary("BEGIN"), Some(Boundary::Begin));
        assert_eq!(
            boundary("start transaction isolation level serializable"),
            Some(Boundary::Begin)
        );
        assert_eq!(boundary("commit"), Some(Boundary::End));
        assert_eq!(boundary("ROLLBACK TO SAVEPOINT a"), None);
        assert_eq!(boundary("SELECT ?"), None);
    }
}
