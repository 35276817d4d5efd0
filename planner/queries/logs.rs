//! Reading query logs: which format a file is ([`LogFormat`]), `pg_stat_statements` CSV
//! records, server-log lines and their `log_line_prefix`, plain SQL split into statements. The
//! result is a list of [`Logged`] statements with their file, line, calls and transaction keys;
//! nothing here parses a statement's meaning or knows the dump (that is [`super::analysis`]).

use crate::dump::lex::tokenize;
use crate::dump::split::{split, PieceKind};
use crate::dump::Dialect;
use crate::source::SourceFile;

use super::parse;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
