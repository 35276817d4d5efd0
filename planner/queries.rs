//! `silo-plan queries`: which queries and transactions of a workload cross silo boundaries,
//! from a query log, without a database.
//!
//! Three inputs, detected per file ([`LogFormat`]):
//!
//! * a `pg_stat_statements` export: CSV with a header row naming at least `query` (and usually
//!   `calls`), as `\copy (SELECT query, calls FROM pg_stat_statements) TO 'x.csv' CSV HEADER`
//!   writes it;
//! * a Postgres server log (stderr format) written with `log_statement = 'all'`: lines
//!   `<log_line_prefix>LOG:  statement: ...` or `LOG:  execute <name>: ...`, a statement continuing
//!   on following lines that carry no prefix. The prefix is Postgres's own `log_line_prefix`
//!   ([`Options::log_line_prefix`]), or detected among common ones. Transactions are recovered
//!   from `%v` (virtual transaction id), else the session (`%c`, else `%p`) and its
//!   `BEGIN` / `COMMIT` / `ROLLBACK` statements, else `%x` (which misses the first write of each
//!   transaction: Postgres logs a statement before it assigns the transaction id);
//! * plain SQL: statements separated by `;`, or one per line.
//!
//! Every statement is parsed with sqlparser's `PostgreSqlDialect` (`$1` parameters are fine), its
//! relations resolved (CTE names excluded; unqualified names in the config's `default_schema`;
//! views expanded to the tables they read; a write also touches what the triggers it fires name),
//! and placed with the silo map. Statements are grouped by normalized text (literals and
//! parameters become `?`, comments dropped, whitespace collapsed), so each distinct text is
//! parsed once.
//!
//! Findings ([`crate::findings`]): SP011 a query touching tables of several silos (shared tables
//! do not count), SP012 a transaction writing to several silos, SP013 a statement that could not
//! be parsed (a warning, never fatal), SP014 a relation the dump does not define (a note).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;

use sqlparser::ast::{
    AssignmentTarget, CopySource, FromTable, ObjectName, Query, Statement, TableFactor,
    TableObject, TriggerEvent, Visit, Visitor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::assign::{Assignment, Placement};
use crate::catalog::{Catalog, QName};
use crate::dump::lex::{tokenize, Tok};
use crate::dump::lower::parts;
use crate::dump::split::{split, PieceKind};
use crate::dump::Dialect;
use crate::findings::{Code, Finding, Location, Related, Severity};
use crate::plan::Input;
use crate::source::SourceFile;

/// How a log file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogFormat {
    /// Detect per file: a CSV header naming `query`, server log lines, else SQL.
    #[default]
    Auto,
    /// A `pg_stat_statements` CSV export.
    Csv,
    /// A Postgres server log (stderr format).
    ServerLog,
    /// Plain SQL.
    Sql,
}

impl LogFormat {
    /// The format's name, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Auto => "auto",
            LogFormat::Csv => "pg_stat_statements CSV",
            LogFormat::ServerLog => "server log",
            LogFormat::Sql => "SQL",
        }
    }
}

/// Options of `queries`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Input format (default: detect).
    pub format: LogFormat,
    /// The server's `log_line_prefix` (`%m [%p] %x `), when detection is not wanted.
    pub log_line_prefix: Option<String>,
}

/// Input that cannot be read at all (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

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

fn parse(sql: &str) -> Result<Vec<Statement>, String> {
    Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| e.to_string())
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

/// Only whitespace and comments.
fn is_trivia(sql: &str) -> bool {
    tokenize(sql, 1, false).toks.is_empty()
}

// ---------------------------------------------------------------------------------------------
// Reading logs.

/// One statement read from a log, before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// The statement text (without its terminator).
    pub sql: String,
    /// Index of the log file.
    pub file: usize,
    /// 1-based line where it starts.
    pub line: u32,
    /// How many times it ran (`calls` of `pg_stat_statements`, else 1).
    pub calls: u64,
    /// The transaction it belongs to, when the log says (server logs only).
    pub txn: Option<String>,
    /// `BEGIN`/`COMMIT` tracking applies (session-keyed server logs).
    pub session: Option<String>,
    /// `%x` of the line, when that is all the prefix has.
    pub xid: Option<String>,
}

/// `CSV` records: fields and the 1-based line each record starts on.
fn csv_records(text: &str) -> Vec<(u32, Vec<String>)> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1u32;
    let mut start_line = 1u32;
    let mut quoted = false;
    let mut at_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                if !(fields.len() == 1 && fields[0].is_empty()) {
                    out.push((start_line, std::mem::take(&mut fields)));
                }
                fields.clear();
                line += 1;
                start_line = line;
                at_start = true;
                continue;
            }
            c => field.push(c),
        }
        at_start = false;
    }
    if !at_start || !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((start_line, fields));
    }
    out
}

fn csv_header(text: &str) -> Option<Vec<String>> {
    let first = text.lines().next()?;
    let cols: Vec<String> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    cols.iter().any(|c| c == "query").then_some(cols)
}

/// One element of a compiled `log_line_prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PrefixItem {
    Lit(String),
    Esc(char),
    /// `%q`: the prefix may end here (non-session processes).
    Stop,
}

/// A compiled `log_line_prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePrefix {
    text: String,
    items: Vec<PrefixItem>,
}

/// Fields of one matched prefix.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct PrefixFields {
    pid: Option<String>,
    session: Option<String>,
    xid: Option<String>,
    vxid: Option<String>,
}

const LEVELS: &[&str] = &[
    "LOG",
    "ERROR",
    "WARNING",
    "NOTICE",
    "INFO",
    "DETAIL",
    "HINT",
    "STATEMENT",
    "CONTEXT",
    "FATAL",
    "PANIC",
    "QUERY",
    "LOCATION",
    "DEBUG",
    "DEBUG1",
    "DEBUG2",
    "DEBUG3",
    "DEBUG4",
    "DEBUG5",
];

/// The level and message of `rest` when it is `LEVEL:  message`.
fn level_of(rest: &str) -> Option<(&str, &str)> {
    let (lvl, msg) = rest.split_once(":  ")?;
    LEVELS.contains(&lvl).then_some((lvl, msg))
}

impl LinePrefix {
    /// Compiles Postgres's `log_line_prefix` syntax (`%m [%p] %x `): `%` escapes, `%%`, `%q`,
    /// padding (`%-10u`) accepted and ignored.
    pub fn new(fmt: &str) -> LinePrefix {
        let mut items = Vec::new();
        let mut lit = String::new();
        let mut chars = fmt.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                lit.push(c);
                continue;
            }
            while chars
                .peek()
                .is_some_and(|d| d.is_ascii_digit() || *d == '-')
            {
                chars.next();
            }
            match chars.next() {
                Some('%') => lit.push('%'),
                Some(e) => {
                    if !lit.is_empty() {
                        items.push(PrefixItem::Lit(std::mem::take(&mut lit)));
                    }
                    items.push(if e == 'q' {
                        PrefixItem::Stop
                    } else {
                        PrefixItem::Esc(e)
                    });
                }
                None => lit.push('%'),
            }
        }
        if !lit.is_empty() {
            items.push(PrefixItem::Lit(lit));
        }
        LinePrefix {
            text: fmt.to_string(),
            items,
        }
    }

    /// The prefix as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn has(&self, e: char) -> bool {
        self.items.contains(&PrefixItem::Esc(e))
    }

    /// Matches a log line: its fields, level and message.
    fn matches<'l>(&self, line: &'l str) -> Option<(PrefixFields, &'l str, &'l str)> {
        let mut f = PrefixFields::default();
        let (lvl, msg) = self.go(0, line, &mut f)?;
        Some((f, lvl, msg))
    }

    fn go<'l>(&self, k: usize, rest: &'l str, f: &mut PrefixFields) -> Option<(&'l str, &'l str)> {
        let Some(item) = self.items.get(k) else {
            return level_of(rest);
        };
        match item {
            PrefixItem::Lit(l) => self.go(k + 1, rest.strip_prefix(l.as_str())?, f),
            PrefixItem::Stop => level_of(rest).or_else(|| self.go(k + 1, rest, f)),
            PrefixItem::Esc(e) => {
                let ok = |c: char| -> bool {
                    match e {
                        'p' | 'x' | 'l' | 'P' => c.is_ascii_digit(),
                        'c' => c.is_ascii_hexdigit() || c == '.',
                        'v' => c.is_ascii_digit() || c == '/' || c == '-',
                        'm' | 't' | 'n' | 's' => c.is_ascii_alphanumeric() || " -:.+/".contains(c),
                        _ => c != '\n',
                    }
                };
                let valid = |v: &str| -> bool {
                    match e {
                        'p' | 'x' | 'l' | 'P' => !v.is_empty(),
                        'c' => v
                            .split_once('.')
                            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty()),
                        'v' => v.contains('/'),
                        'm' | 't' | 's' => {
                            v.len() >= 8 && v.starts_with(|c: char| c.is_ascii_digit())
                        }
                        _ => true,
                    }
                };
                let mut ends: Vec<usize> = vec![0];
                for (i, c) in rest.char_indices() {
                    if !ok(c) {
                        break;
                    }
                    ends.push(i + c.len_utf8());
                }
                // Shortest first: the next literal decides where a field ends.
                for end in ends {
                    let v = &rest[..end];
                    if !valid(v) {
                        continue;
                    }
                    let saved = f.clone();
                    match e {
                        'p' => f.pid = Some(v.to_string()),
                        'c' => f.session = Some(v.to_string()),
                        'x' => f.xid = Some(v.to_string()),
                        'v' => f.vxid = Some(v.to_string()),
                        _ => {}
                    }
                    if let Some(r) = self.go(k + 1, &rest[end..], f) {
                        return Some(r);
                    }
                    *f = saved;
                }
                None
            }
        }
    }
}

/// Prefixes tried when none is given, most specific first.
const COMMON_PREFIXES: &[&str] = &[
    "%m [%p] %v ",
    "%m [%p] %c ",
    "%m [%p] %x ",
    "%t [%p] %v ",
    "%t [%p] %c ",
    "%t [%p] %x ",
    "%m %c %x ",
    "%m [%p] %c %x ",
    "%m [%p] %x %c ",
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%t:%r:%u@%d:[%p]:",
    "%m [%p] %q%u@%d ",
    "%m [%p] ",
    "%t [%p] ",
    "%m ",
    "%t ",
];

fn statement_message(msg: &str) -> Option<&str> {
    if let Some(s) = msg.strip_prefix("statement: ") {
        return Some(s);
    }
    if let Some(rest) = msg.strip_prefix("execute ") {
        return rest.split_once(": ").map(|(_, s)| s);
    }
    None
}

fn is_server_log(text: &str) -> bool {
    text.lines()
        .take(200)
        .any(|l| l.contains("LOG:  statement: ") || l.contains("LOG:  execute "))
}

fn detect_prefix(text: &str) -> Option<LinePrefix> {
    let samples: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("LOG:  statement: ") || l.contains("LOG:  execute "))
        .take(20)
        .collect();
    COMMON_PREFIXES
        .iter()
        .map(|p| LinePrefix::new(p))
        .find(|p| {
            samples.iter().all(|l| {
                p.matches(l)
                    .is_some_and(|(_, lvl, msg)| lvl == "LOG" && statement_message(msg).is_some())
            })
        })
}

/// Reads the statements of a server log.
fn read_server_log(
    file: usize,
    text: &str,
    prefix: &LinePrefix,
    out: &mut Vec<Logged>,
) -> Result<(), QueryError> {
    let mut current: Option<(Logged, PrefixFields)> = None;
    let mut matched_any = false;
    let flush = |cur: &mut Option<(Logged, PrefixFields)>, out: &mut Vec<Logged>| {
        if let Some((mut l, f)) = cur.take() {
            if let Some(v) = f.vxid {
                l.txn = Some(v);
            } else if let Some(s) = f.session.or(f.pid) {
                l.session = Some(s);
            } else if let Some(x) = f.xid.filter(|x| x != "0") {
                l.xid = Some(x);
            }
            out.push(l);
        }
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match prefix.matches(line) {
            Some((fields, lvl, msg)) => {
                matched_any = true;
                flush(&mut current, out);
                if lvl == "LOG" {
                    if let Some(sql) = statement_message(msg) {
                        current = Some((
                            Logged {
                                sql: sql.to_string(),
                                file,
                                line: i as u32 + 1,
                                calls: 1,
                                txn: None,
                                session: None,
                                xid: None,
                            },
                            fields,
                        ));
                    }
                }
            }
            None => {
                if let Some((l, _)) = &mut current {
                    l.sql.push('\n');
                    l.sql.push_str(line);
                }
            }
        }
    }
    flush(&mut current, out);
    if !matched_any {
        return Err(QueryError(format!(
            "no line matches the log_line_prefix {:?}",
            prefix.as_str()
        )));
    }
    Ok(())
}

/// How a file was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStats {
    /// The file.
    pub path: String,
    /// Its format.
    pub format: LogFormat,
    /// The `log_line_prefix` used for a server log.
    pub prefix: Option<String>,
    /// How transactions were recovered (server logs).
    pub transactions: Option<&'static str>,
    /// Statements read (counting `calls`).
    pub statements: u64,
}

/// Reads every statement of the log files.
pub fn read_logs(
    logs: &[SourceFile],
    opts: &Options,
) -> Result<(Vec<Logged>, Vec<FileStats>), QueryError> {
    let mut out = Vec::new();
    let mut stats = Vec::new();
    for (fi, f) in logs.iter().enumerate() {
        let before = out.len();
        let format = match opts.format {
            LogFormat::Auto if csv_header(&f.text).is_some() => LogFormat::Csv,
            LogFormat::Auto if opts.log_line_prefix.is_some() || is_server_log(&f.text) => {
                LogFormat::ServerLog
            }
            LogFormat::Auto => LogFormat::Sql,
            other => other,
        };
        let mut fs = FileStats {
            path: f.path.clone(),
            format,
            prefix: None,
            transactions: None,
            statements: 0,
        };
        match format {
            LogFormat::Csv => {
                let header = csv_header(&f.text).ok_or_else(|| {
                    QueryError(format!(
                        "{}: not a pg_stat_statements export: the first line must name the \
                         columns, one of them `query`",
                        f.path
                    ))
                })?;
                let qi = header.iter().position(|c| c == "query").unwrap_or(0);
                let ci = header.iter().position(|c| c == "calls");
                for (line, rec) in csv_records(&f.text).into_iter().skip(1) {
                    let Some(q) = rec.get(qi) else { continue };
                    let calls = match ci.and_then(|c| rec.get(c)) {
                        Some(v) => v.trim().parse::<u64>().map_err(|_| {
                            QueryError(format!("{}:{line}: calls {v:?} is not a number", f.path))
                        })?,
                        None => 1,
                    };
                    push_split(q, fi, line, calls, &mut out, None);
                }
            }
            LogFormat::ServerLog => {
                let prefix = match &opts.log_line_prefix {
                    Some(p) => LinePrefix::new(p),
                    None => detect_prefix(&f.text).ok_or_else(|| {
                        QueryError(format!(
                            "{}: looks like a server log, but its lines match no common \
                             log_line_prefix: pass the server's with --log-line-prefix",
                            f.path
                        ))
                    })?,
                };
                let mut raw = Vec::new();
                read_server_log(fi, &f.text, &prefix, &mut raw)
                    .map_err(|e| QueryError(format!("{}: {e}", f.path)))?;
                for l in raw {
                    let template = l.clone();
                    push_split(&l.sql, fi, l.line, 1, &mut out, Some(&template));
                }
                fs.transactions = Some(if prefix.has('v') {
                    "by virtual transaction id (%v)"
                } else if prefix.has('c') {
                    "by session (%c) and BEGIN/COMMIT"
                } else if prefix.has('p') {
                    "by process (%p) and BEGIN/COMMIT"
                } else if prefix.has('x') {
                    "by transaction id (%x): the first write of each transaction is logged before \
                     it has one and is missed; add %c or %v to log_line_prefix"
                } else {
                    "not analysed: log_line_prefix has none of %v, %c, %p, %x"
                });
                fs.prefix = Some(prefix.as_str().to_string());
            }
            LogFormat::Sql | LogFormat::Auto => {
                for p in split(&f.text, Dialect::Postgres) {
                    if p.kind != PieceKind::Statement {
                        continue;
                    }
                    let sql = p.sql(&f.text);
                    let line = f.line_of(p.body);
                    let multi = sql.contains('\n');
                    if multi && parse(sql).is_err() {
                        // One statement per line, without `;`.
                        let lines: Vec<&str> = sql.lines().collect();
                        if lines
                            .iter()
                            .filter(|l| !is_trivia(l))
                            .all(|l| parse(l).is_ok())
                        {
                            for (k, l) in lines.iter().enumerate() {
                                let t = l.trim();
                                if is_trivia(t) {
                                    continue;
                                }
                                out.push(logged(t, fi, line + k as u32, 1));
                            }
                            continue;
                        }
                    }
                    out.push(logged(sql, fi, line, 1));
                }
            }
        }
        fs.statements = out[before..].iter().map(|l| l.calls).sum();
        stats.push(fs);
    }
    Ok((out, stats))
}

fn logged(sql: &str, file: usize, line: u32, calls: u64) -> Logged {
    Logged {
        sql: sql.to_string(),
        file,
        line,
        calls,
        txn: None,
        session: None,
        xid: None,
    }
}

/// Splits a logged text that may hold several statements (`BEGIN; ...; COMMIT`).
fn push_split(
    text: &str,
    file: usize,
    line: u32,
    calls: u64,
    out: &mut Vec<Logged>,
    template: Option<&Logged>,
) {
    let base = template
        .cloned()
        .unwrap_or_else(|| logged("", file, line, calls));
    if !text.contains(';') {
        out.push(Logged {
            sql: text.trim().to_string(),
            ..base
        });
        return;
    }
    for p in split(text, Dialect::Postgres) {
        if p.kind != PieceKind::Statement {
            continue;
        }
        let sql = p.sql(text).trim();
        if sql.is_empty() {
            continue;
        }
        let nl = text[..p.body].matches('\n').count() as u32;
        out.push(Logged {
            sql: sql.to_string(),
            line: line + nl,
            ..base.clone()
        });
    }
}

// ---------------------------------------------------------------------------------------------
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
    fn prefixes() {
        let p = LinePrefix::new("%m [%p] %x ");
        let (f, lvl, msg) = p
            .matches("2026-11-29 10:00:00.123 UTC [123] 456 LOG:  statement: SELECT 1")
            .unwrap();
        assert_eq!((lvl, msg), ("LOG", "statement: SELECT 1"));
        assert_eq!(f.pid.as_deref(), Some("123"));
        assert_eq!(f.xid.as_deref(), Some("456"));
        assert!(p.matches("  AND x = 1").is_none());
        let p = LinePrefix::new("%t [%p] %c ");
        assert!(p
            .matches("2026-11-29 10:00:00 UTC [123] 456 LOG:  statement: SELECT 1")
            .is_none());
        let text = "2026-11-29 10:00:00 UTC [123] 6571a3b2.1f4 LOG:  statement: SELECT 1\n";
        // `%m` and `%t` read the same timestamps: either is right.
        assert!(detect_prefix(text).unwrap().as_str().ends_with(" [%p] %c "));
        let text = "2026-11-29 10:00:00 UTC [123] 456 LOG:  statement: SELECT 1\n";
        assert!(detect_prefix(text).unwrap().as_str().ends_with(" [%p] %x "));
    }

    #[test]
    fn csv() {
        let r = csv_records("query,calls\n\"SELECT 1,\n2\",3\nx,\"4\"\n");
        assert_eq!(r.len(), 3);
        assert_eq!(r[1], (2, vec!["SELECT 1,\n2".to_string(), "3".to_string()]));
        assert_eq!(r[2], (4, vec!["x".to_string(), "4".to_string()]));
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
