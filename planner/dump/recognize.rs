//! Recognizers: small readers for statements sqlparser rejects or that need no AST.
//!
//! Each reads the token stream of [`crate::dump::lex`] for one statement shape that real dumps
//! contain (`ALTER SEQUENCE ... OWNED BY`, `ALTER INDEX ... ATTACH PARTITION`, functions with
//! their bodies kept as text, triggers, types, comments, grants, owners) and adds its facts.
//! A recognizer that does not match a statement leaves it for sqlparser or the unparsed list.

use crate::catalog::{
    Attached, ColumnRef, Function, Identity, Named, Policy, QName, RoutineKind, Sequence, StmtKind,
    Trigger, TriggerTiming, TypeDef, TypeKind,
};
use crate::dump::lex::{tokenize, Tok, Tokens};
use crate::dump::read::{head_words, Ctx};

const ALL: usize = usize::MAX;

fn words_to_kind(t: &Tokens<'_>, from: usize, to: usize) -> String {
    (from..to)
        .map(|i| t.raw(i).to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `SET search_path ...` and `SELECT pg_catalog.set_config('search_path', '...', false)`.
pub fn search_path(ctx: &mut Ctx<'_>, sql: &str) {
    let t = tokenize(sql, 64, false);
    if t.is(0, "SET") {
        let mut i = 1;
        if t.is(i, "SESSION") || t.is(i, "LOCAL") {
            i += 1;
        }
        if !t.is(i, "search_path") {
            return;
        }
        i += 1;
        if t.punct(i, b'=') || t.is(i, "TO") {
            i += 1;
        }
        let mut path = Vec::new();
        while i < t.len() {
            match t.kind(i) {
                Some(Tok::Word) | Some(Tok::Quoted) => path.push(t.ident(i).unwrap_or_default()),
                Some(Tok::Str) => path.extend(parse_path_list(&t.string(i).unwrap_or_default())),
                _ => {}
            }
            i += 1;
        }
        if path.len() == 1 && path[0].eq_ignore_ascii_case("default") {
            path = vec!["$user".into(), "public".into()];
        }
        ctx.search_path = path;
    } else if t.is(0, "SELECT") {
        let lower = sql.to_ascii_lowercase();
        if !lower.contains("set_config") || !lower.contains("'search_path'") {
            return;
        }
        // pg_catalog.set_config('search_path', 'a, b', false)
        let strs: Vec<String> = (0..t.len())
            .filter(|&i| t.kind(i) == Some(Tok::Str))
            .filter_map(|i| t.string(i))
            .collect();
        if strs.len() >= 2 && strs[0] == "search_path" {
            ctx.search_path = parse_path_list(&strs[1]);
        }
    }
}

/// Tracks `SET standard_conforming_strings = on | off`.
pub fn string_mode(ctx: &mut Ctx<'_>, sql: &str) {
    let t = tokenize(sql, 8, false);
    if t.is(0, "SET") && t.is(1, "standard_conforming_strings") {
        let v = t.raw(3).trim_matches('\'').to_ascii_lowercase();
        ctx.backslash = v == "off" || v == "false";
    }
}

/// Rewrites plain string constants that contain backslashes as `E'...'` constants, which mean
/// the same under `standard_conforming_strings = off` and are read correctly by every parser.
/// Only used on statements read in that mode; the byte length grows by one per rewritten string.
pub fn escape_strings(sql: &str) -> String {
    let t = tokenize(sql, ALL, true);
    let mut out = String::with_capacity(sql.len() + 8);
    let mut last = 0;
    for tok in &t.toks {
        if tok.kind == Tok::Str
            && sql.as_bytes()[tok.start] == b'\''
            && sql[tok.start..tok.end].contains('\\')
        {
            out.push_str(&sql[last..tok.start]);
            out.push('E');
            last = tok.start;
        }
    }
    out.push_str(&sql[last..]);
    out
}

fn parse_path_list(s: &str) -> Vec<String> {
    let t = tokenize(s, ALL, false);
    (0..t.len()).filter_map(|i| t.ident(i)).collect()
}

/// The object a statement names, for messages: schema-qualified where it lives in a schema.
pub fn object_name(ctx: &Ctx<'_>, t: &Tokens<'_>) -> Option<String> {
    let global = (1..6).any(|i| {
        [
            "EVENT",
            "PUBLICATION",
            "SUBSCRIPTION",
            "LANGUAGE",
            "SERVER",
            "WRAPPER",
            "SCHEMA",
            "EXTENSION",
            "ROLE",
            "DATABASE",
            "TABLESPACE",
        ]
        .iter()
        .any(|k| t.is(i, k))
    });
    let q = named_object(ctx, t)?;
    Some(if global { q.name } else { q.to_string() })
}

/// The name after `CREATE [OR REPLACE] <kind words> [IF NOT EXISTS]` or `ALTER <kind> [IF EXISTS]`.
pub fn named_object(ctx: &Ctx<'_>, t: &Tokens<'_>) -> Option<QName> {
    let mut i = 1;
    while i < t.len() && t.kind(i) == Some(Tok::Word) {
        let w = t.raw(i).to_ascii_uppercase();
        if w == "IF" {
            i += if t.is(i + 1, "NOT") { 3 } else { 2 };
            break;
        }
        if !is_kind_word(&w) {
            break;
        }
        i += 1;
    }
    if t.is(i, "ONLY") {
        i += 1;
    }
    let (parts, _) = t.name(i)?;
    Some(ctx.qualify(&parts))
}

fn is_kind_word(w: &str) -> bool {
    matches!(
        w,
        "OR" | "REPLACE"
            | "TABLE"
            | "VIEW"
            | "MATERIALIZED"
            | "INDEX"
            | "UNIQUE"
            | "SEQUENCE"
            | "FUNCTION"
            | "PROCEDURE"
            | "AGGREGATE"
            | "TRIGGER"
            | "TYPE"
            | "DOMAIN"
            | "SCHEMA"
            | "EXTENSION"
            | "POLICY"
            | "OPERATOR"
            | "CLASS"
            | "FAMILY"
            | "TEXT"
            | "SEARCH"
            | "CONFIGURATION"
            | "DICTIONARY"
            | "PARSER"
            | "TEMPLATE"
            | "EVENT"
            | "PUBLICATION"
            | "SUBSCRIPTION"
            | "COLLATION"
            | "CONVERSION"
            | "LANGUAGE"
            | "PROCEDURAL"
            | "FOREIGN"
            | "DATA"
            | "WRAPPER"
            | "SERVER"
            | "UNLOGGED"
            | "CONSTRAINT"
            | "RULE"
            | "STATISTICS"
            | "TRUSTED"
            | "CONCURRENTLY"
            | "RECURSIVE"
            | "TEMP"
            | "TEMPORARY"
    )
}

/// `CREATE FOREIGN TABLE ... SERVER s OPTIONS (...)` as a plain `CREATE TABLE` (same columns).
pub fn foreign_table_as_table(sql: &str) -> String {
    let t = tokenize(sql, ALL, false);
    let Some(f) = (0..t.len()).find(|&i| t.is(i, "FOREIGN")) else {
        return sql.to_string();
    };
    let start = t.toks[f].start;
    let after = t.toks[f].end;
    let mut out = format!("{}{}", &sql[..start], &sql[after..]);
    let t2 = tokenize(&out, ALL, false);
    if let Some(s) = t2.find_word(0, "SERVER") {
        out.truncate(t2.toks[s].start);
    }
    out
}

/// A PG18 `GENERATED ALWAYS AS (...) VIRTUAL` column rewritten to `STORED` for sqlparser.
pub fn virtual_as_stored(sql: &str) -> Option<String> {
    let t = tokenize(sql, ALL, false);
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    for i in 0..t.len() {
        if t.is(i, "VIRTUAL") && i > 0 && t.punct(i - 1, b')') {
            out.push_str(&sql[last..t.toks[i].start]);
            out.push_str("STORED");
            last = t.toks[i].end;
        }
    }
    if last == 0 {
        return None;
    }
    out.push_str(&sql[last..]);
    Some(out)
}

/// A materialized view's trailing `WITH [NO] DATA`, which sqlparser rejects after a `WITH` query.
pub fn strip_with_data(sql: &str) -> Option<&str> {
    let t = tokenize(sql, ALL, false);
    let n = t.len();
    if n >= 3 && t.are(n - 3, &["WITH", "NO", "DATA"]) {
        return Some(&sql[..t.toks[n - 3].start]);
    }
    if n >= 2 && t.are(n - 2, &["WITH", "DATA"]) {
        return Some(&sql[..t.toks[n - 2].start]);
    }
    None
}

/// `nextval('schema.seq'::regclass)` in a default expression: the sequence name's parts.
pub fn nextval_target(default: &str) -> Option<Vec<String>> {
    let lower = default.to_ascii_lowercase();
    let p = lower.find("nextval(")?;
    let t = tokenize(&default[p + 8..], 2, false);
    let s = t.string(0)?;
    let nt = tokenize(&s, ALL, false);
    let (parts, _) = nt.name(0)?;
    Some(parts)
}

fn attach(
    ctx: &mut Ctx<'_>,
    list: Which,
    object_kind: String,
    object: String,
    value: String,
    subject: Option<QName>,
) {
    ctx.stmt_did.attached = subject.clone();
    let a = Attached {
        object_kind,
        object,
        value,
        subject,
        span: ctx.span,
    };
    match list {
        Which::Comment => ctx.cat.comments.push(a),
        Which::Grant => ctx.cat.grants.push(a),
        Which::Owner => ctx.cat.owners.push(a),
    }
    ctx.cat.stats.parsed_recognizer += 1;
}

enum Which {
    Comment,
    Grant,
    Owner,
}

/// Reads `kind name` at `i` (kind words, then a name, then optional `(args)`), returning
/// (kind, object text, index after, the relation/routine/type it is about). Relations and
/// columns are resolved.
fn object_ref(
    ctx: &Ctx<'_>,
    t: &Tokens<'_>,
    mut i: usize,
) -> Option<(String, String, usize, Option<QName>)> {
    let k0 = i;
    while i < t.len()
        && t.kind(i) == Some(Tok::Word)
        && is_kind_word(&t.raw(i).to_ascii_uppercase())
        || t.is(i, "COLUMN")
        || t.is(i, "LARGE")
        || t.is(i, "OBJECT")
        || t.is(i, "ROLE")
        || t.is(i, "DATABASE")
        || t.is(i, "ACCESS")
        || t.is(i, "METHOD")
    {
        i += 1;
    }
    let kind = words_to_kind(t, k0, i);
    if kind == "constraint" || kind == "trigger" || kind == "policy" || kind == "rule" {
        // `CONSTRAINT name ON table`
        let n = t.ident(i)?;
        if t.is(i + 1, "ON") {
            let (p, next) = t.name(i + 2)?;
            let tbl = ctx.resolve_rel(&p);
            return Some((kind, format!("{tbl}.{n}"), next, Some(tbl)));
        }
        return Some((kind, n, i + 1, None));
    }
    let (parts, mut next) = t.name(i)?;
    let (object, subject) = match kind.as_str() {
        "table" | "view" | "materialized view" | "sequence" | "foreign table" | "" => {
            let q = ctx.resolve_rel(&parts);
            (q.to_string(), Some(q))
        }
        "column" if parts.len() >= 2 => {
            let tbl = ctx.resolve_rel(&parts[..parts.len() - 1]);
            (format!("{tbl}.{}", parts[parts.len() - 1]), Some(tbl))
        }
        "schema" | "extension" | "language" | "role" | "database" => (parts.join("."), None),
        _ => {
            let q = ctx.qualify(&parts);
            (q.to_string(), Some(q))
        }
    };
    let mut object = object;
    if t.punct(next, b'(') {
        if let Some(close) = t.close_paren(next) {
            object.push_str(t.slice(next, close));
            next = close + 1;
        }
    }
    Some((kind, object, next, subject))
}

/// `COMMENT ON <object> IS '...'`.
pub fn comment(ctx: &mut Ctx<'_>, sql: &str) {
    let t = tokenize(sql, ALL, false);
    if !t.is(1, "ON") {
        return ctx.unparsed(head_words(&t), None, "not recognized".into());
    }
    match object_ref(ctx, &t, 2) {
        Some((kind, object, next, subject)) if t.is(next, "IS") => {
            let text = t.string(next + 1).unwrap_or_default();
            attach(ctx, Which::Comment, kind, object, text, subject);
        }
        _ => ctx.unparsed("COMMENT ON".into(), None, "not recognized".into()),
    }
}

/// `GRANT ... ON ... TO ...` / `REVOKE ... ON ... FROM ...` (kept as text on the object).
pub fn grant(ctx: &mut Ctx<'_>, sql: &str) {
    let t = tokenize(sql, ALL, false);
    let Some(on) = t.find_word(1, "ON") else {
        // Role membership (`GRANT role TO role`): nothing in the schema.
        ctx.cat.stats.ignored += 1;
        return;
    };
    let revoke = t.is(0, "REVOKE");
    let (kind, object, next, subject) = match object_ref(ctx, &t, on + 1) {
        Some(x) => x,
        None => return ctx.unparsed(head_words(&t), None, "not recognized".into()),
    };
    let kind = if kind.is_empty() {
        "table".to_string()
    } else {
        kind
    };
    let privileges = t.slice(1, on - 1).to_string();
    let to = t.find_word(next, if revoke { "FROM" } else { "TO" });
    let grantee = to
        .map(|i| t.slice(i + 1, t.len() - 1).to_string())
        .unwrap_or_default();
    let value = format!(
        "{} {} {}",
        if revoke { "revoke" } else { "grant" },
        privileges,
        grantee
    );
    attach(ctx, Which::Grant, kind, object, value, subject);
}

/// `CREATE SEQUENCE [IF NOT EXISTS] name ...`.
pub fn create_sequence(ctx: &mut Ctx<'_>, sql: &str) {
    let t = tokenize(sql, 16, false);
    let Some(name) = named_object(ctx, &t) else {
        return ctx.unparsed("CREATE SEQUENCE".into(), None, "no name".into());
    };
    ctx.cat.stats.parsed_recognizer += 1;
    ctx.define(name.clone());
    // One that is there already (a serial column's): still the sequence's statement.
    ctx.did(StmtKind::Sequence, name.clone());
    if ctx.sequence_mut(&name).is_none() {
        ctx.push_sequence(Sequence {
            name,
            owned_by: None,
            used_by: Vec::new(),
            identity: false,
            span: ctx.span,
        });
    }
}

/// `CREATE [OR REPLACE] FUNCTION | PROCEDURE | AGGREGATE name(args) ...`: name, arguments,
/// language, and the body's byte range (kept as text, never parsed).
pub fn create_function(ctx: &mut Ctx<'_>, sql: &str) {
    let t = tokenize(sql, ALL, false);
    let mut i = 1;
    if t.are(i, &["OR", "REPLACE"]) {
        i += 2;
    }
    let kind = match t.raw(i).to_ascii_uppercase().as_str() {
        "FUNCTION" => RoutineKind::Function,
        "PROCEDURE" => RoutineKind::Procedure,
        _ => RoutineKind::Aggregate,
    };
    let Some((parts, next)) = t.name(i + 1) else {
        return ctx.unparsed(head_words(&t), None, "no name".into());
    };
    let name = ctx.qualify(&parts);
    let (args, mut j) = match t.close_paren(next) {
        Some(close) if t.punct(next, b'(') => (
            if close > next + 1 {
                t.slice(next + 1, close - 1).to_string()
            } else {
                String::new()
            },
            close + 1,
        ),
        _ => (String::new(), next),
    };
    let mut language = None;
    let mut returns_trigger = false;
    let mut body = None;
    while j < t.len() {
        if t.is(j, "LANGUAGE") {
            language = t.ident(j + 1).or_else(|| t.string(j + 1));
        } else if t.is(j, "RETURNS") && t.is(j + 1, "trigger") {
            returns_trigger = true;
        } else if t.is(j, "AS") && matches!(t.kind(j + 1), Some(Tok::Dollar) | Some(Tok::Str)) {
            let tok = t.toks[j + 1];
            body = Some(((ctx.base + tok.start) as u32, (ctx.base + tok.end) as u32));
        } else if t.are(j, &["BEGIN", "ATOMIC"]) {
            let tok = t.toks[j];
            body = Some(((ctx.base + tok.start) as u32, (ctx.base + sql.len()) as u32));
            break;
        }
        j += 1;
    }
    ctx.cat.stats.parsed_recognizer += 1;
    ctx.did(StmtKind::Function, name.clone());
    ctx.cat.functions.push(Function {
        name,
        kind,
        args,
        language,
        returns_trigger,
        body,
        span: ctx.span,
    });
}

/// `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER name timing events ON table ... EXECUTE
/// {FUNCTION | PROCEDURE} f(args)`.
pub fn create_trigger(ctx: &mut Ctx<'_>, sql: &str) {
    let t = tokenize(sql, ALL, false);
    let mut i = 1;
    if t.are(i, &["OR", "REPLACE"]) {
        i += 2;
    }
    let constraint = t.is(i, "CONSTRAINT");
    if constraint {
        i += 1;
    }
    if !t.is(i, "TRIGGER") {
        return ctx.unparsed(head_words(&t), None, "not recognized".into());
    }
    let Some(name) = t.ident(i + 1) else {
        return ctx.unparsed(head_words(&t), None, "no name".into());
    };
    i += 2;
    let timing = if t.is(i, "BEFORE") {
        TriggerTiming::Before
    } else if t.is(i, "AFTER") {
        TriggerTiming::After
    } else if t.are(i, &["INSTEAD", "OF"]) {
        i += 1;
        TriggerTiming::InsteadOf
    } else {
        return ctx.unparsed(
            "CREATE TRIGGER".into(),
            None,
            "no BEFORE/AFTER/INSTEAD OF".into(),
        );
    };
    i += 1;
    let mut events = Vec::new();
    while i < t.len() && !t.is(i, "ON") {
        for e in ["INSERT", "UPDATE", "DELETE", "TRUNCATE"] {
            if t.is(i, e) {
                events.push(e.to_lowercase());
            }
        }
        i += 1;
    }
    let Some((tparts, next)) = t.name(i + 1) else {
        return ctx.unparsed("CREATE TRIGGER".into(), None, "no table".into());
    };
    let table = ctx.resolve_rel(&tparts);
    let for_each_row = (next..t.len())
        .any(|k| t.is(k, "FOR") && (t.is(k + 1, "ROW") || t.are(k + 1, &["EACH", "ROW"])));
    let Some(ex) = (next..t.len()).find(|&k| t.is(k, "EXECUTE")) else {
        return ctx.unparsed(
            "CREATE TRIGGER".into(),
            Some(table.to_string()),
            "no EXECUTE".into(),
        );
    };
    let Some((fparts, _)) = t.name(ex + 2) else {
        return ctx.unparsed(
            "CREATE TRIGGER".into(),
            Some(table.to_string()),
            "no function".into(),
        );
    };
    let function = ctx.qualify(&fparts);
    ctx.cat.stats.parsed_recognizer += 1;
    ctx.did(StmtKind::Trigger, table.clone());
    ctx.cat.triggers.push(Trigger {
        name,
        table,
        timing,
        events,
        for_each_row,
        function,
        constraint,
        span: ctx.span,
    });
}

/// `CREATE TYPE name AS ENUM (...) | AS (...) | AS RANGE (...)` and `CREATE DOMAIN name AS base`.
pub fn create_type(ctx: &mut Ctx<'_>, sql: &str) {
    let t = tokenize(sql, ALL, false);
    let domain = t.is(1, "DOMAIN");
    let Some((parts, next)) = t.name(2) else {
        return ctx.unparsed(head_words(&t), None, "no name".into());
    };
    let name = ctx.qualify(&parts);
    let kind = if domain {
        let b = if t.is(next, "AS") { next + 1 } else { next };
        // The base type runs until the first constraint keyword.
        let mut e = b;
        while e < t.len()
            && !["NOT", "NULL", "CHECK", "DEFAULT", "CONSTRAINT", "COLLATE"]
                .iter()
                .any(|k| t.is(e, k))
        {
            e += 1;
        }
        TypeKind::Domain {
            base: if e > b {
                t.slice(b, e - 1).to_string()
            } else {
                String::new()
            },
        }
    } else if t.are(next, &["AS", "ENUM"]) {
        let labels = (next + 2..t.len())
            .filter(|&k| t.kind(k) == Some(Tok::Str))
            .filter_map(|k| t.string(k))
            .collect();
        TypeKind::Enum { labels }
    } else if t.are(next, &["AS", "RANGE"]) {
        TypeKind::Range
    } else if t.is(next, "AS") {
        TypeKind::Composite
    } else {
        TypeKind::Base
    };
    ctx.cat.stats.parsed_recognizer += 1;
    ctx.did(StmtKind::Type, name.clone());
    ctx.cat.types.push(TypeDef {
        name,
        kind,
        span: ctx.span,
    });
}

/// `CREATE SCHEMA [IF NOT EXISTS] name` and `CREATE EXTENSION [IF NOT EXISTS] name [WITH] [SCHEMA s]`.
pub fn create_schema_or_extension(ctx: &mut Ctx<'_>, sql: &str) {
    let t = tokenize(sql, 32, false);
    let ext = t.is(1, "EXTENSION");
    let mut i = 2;
    if t.are(i, &["IF", "NOT", "EXISTS"]) {
        i += 3;
    }
    let Some(name) = t.ident(i) else {
        return ctx.unparsed(head_words(&t), None, "no name".into());
    };
    let schema = if ext {
        (i..t.len())
            .find(|&k| t.is(k, "SCHEMA"))
            .and_then(|k| t.ident(k + 1))
    } else {
        None
    };
    let n = Named {
        name,
        schema,
        span: ctx.span,
    };
    ctx.cat.stats.parsed_recognizer += 1;
    if ext {
        ctx.cat.extensions.push(n);
    } else {
        ctx.cat.schemas.push(n);
    }
}

/// `CREATE POLICY name ON table ...`.
pub fn create_policy(ctx: &mut Ctx<'_>, sql: &str) {
    let t = tokenize(sql, 16, false);
    match (t.ident(2), t.is(3, "ON").then(|| t.name(4)).flatten()) {
        (Some(name), Some((parts, _))) => {
            let table = ctx.resolve_rel(&parts);
            ctx.cat.stats.parsed_recognizer += 1;
            ctx.did(StmtKind::Policy, table.clone());
            ctx.cat.policies.push(Policy {
                name,
                table,
                span: ctx.span,
            });
        }
        _ => ctx.unparsed("CREATE POLICY".into(), None, "not recognized".into()),
    }
}

/// `ALTER TABLE` actions read without sqlparser. Returns false to hand the statement on
/// (`ADD CONSTRAINT` and anything unknown).
pub fn alter_table(ctx: &mut Ctx<'_>, sql: &str) -> bool {
    let t = tokenize(sql, 48, false);
    let mut i = 2;
    if t.is(1, "FOREIGN") {
        i += 1;
    }
    if t.are(i, &["IF", "EXISTS"]) {
        i += 2;
    }
    if t.is(i, "ONLY") {
        i += 1;
    }
    let Some((parts, a)) = t.name(i) else {
        return false;
    };
    let table = ctx.resolve_rel(&parts);
    if t.are(a, &["ADD", "CONSTRAINT"]) {
        // pg_dump's own forms of PRIMARY KEY / UNIQUE / FOREIGN KEY are read here, without an
        // AST (they are most of a dump's statements); anything else goes to sqlparser.
        return add_constraint(ctx, sql, &table, a + 2);
    }
    if t.is(a, "ADD") && !t.is(a + 1, "COLUMN") {
        return false;
    }
    if t.are(a, &["OWNER", "TO"]) {
        let owner = t.ident(a + 2).unwrap_or_default();
        if let Some(tb) = ctx.cat.table_mut(&table) {
            tb.owner = Some(owner.clone());
        }
        let subject = Some(table.clone());
        attach(
            ctx,
            Which::Owner,
            "table".into(),
            table.to_string(),
            owner,
            subject,
        );
        return true;
    }
    if t.are(a, &["ATTACH", "PARTITION"]) {
        let Some((cparts, _)) = t.name(a + 2) else {
            return false;
        };
        let child = ctx.resolve_rel(&cparts);
        match ctx.cat.table_mut(&child) {
            Some(c) => c.partition_of = Some(table),
            None => {
                ctx.orphan(&child, "ATTACH PARTITION");
                return true;
            }
        }
        ctx.cat.stats.parsed_recognizer += 1;
        return true;
    }
    if t.is(a, "INHERIT") {
        if let Some((pparts, _)) = t.name(a + 1) {
            let parent = ctx.resolve_rel(&pparts);
            if let Some(tb) = ctx.cat.table_mut(&table) {
                tb.inherits.push(parent);
                ctx.cat.stats.parsed_recognizer += 1;
                return true;
            }
        }
        return false;
    }
    if t.is(a, "ALTER") {
        let c = if t.is(a + 1, "COLUMN") { a + 2 } else { a + 1 };
        let Some(col) = t.ident(c) else {
            return false;
        };
        if t.are(c + 1, &["SET", "DEFAULT"]) {
            let full = tokenize(sql, ALL, false);
            let start = full.toks.get(c + 3).map_or(sql.len(), |x| x.start);
            let expr = sql[start..].trim().to_string();
            return set_column(ctx, &table, &col, |column| column.default = Some(expr));
        }
        if t.is(c + 1, "ADD") && t.is(c + 2, "GENERATED") {
            let by_default = t.are(c + 3, &["BY", "DEFAULT"]);
            let full = tokenize(sql, ALL, false);
            let seq = (c..full.len())
                .find(|&k| full.are(k, &["SEQUENCE", "NAME"]))
                .and_then(|k| full.name(k + 2))
                .map(|(p, _)| ctx.qualify(&p))
                .unwrap_or_else(|| {
                    QName::new(&table.schema, format!("{}_{}_seq", table.name, col))
                });
            let ok = set_column(ctx, &table, &col, |column| {
                column.identity = Some(if by_default {
                    Identity::ByDefault
                } else {
                    Identity::Always
                });
                column.not_null = true;
            });
            if ok {
                let owner = ColumnRef {
                    table: table.clone(),
                    column: col,
                };
                ctx.add_owned_sequence(seq, owner, true);
            }
            return ok;
        }
        if t.is(c + 1, "SET")
            && (t.is(c + 2, "STATISTICS")
                || t.is(c + 2, "STORAGE")
                || t.is(c + 2, "COMPRESSION")
                || t.punct(c + 2, b'('))
        {
            ctx.cat.stats.ignored += 1;
            return true;
        }
        if t.are(c + 1, &["DROP", "DEFAULT"]) {
            return set_column(ctx, &table, &col, |column| column.default = None);
        }
        if t.are(c + 1, &["SET", "NOT", "NULL"]) {
            return set_column(ctx, &table, &col, |column| column.not_null = true);
        }
        if t.are(c + 1, &["DROP", "NOT", "NULL"]) {
            return set_column(ctx, &table, &col, |column| column.not_null = false);
        }
        return history_action(ctx, sql, &table, a).unwrap_or(false);
    }
    if t.is(a, "DROP") || t.is(a, "RENAME") {
        if let Some(done) = history_action(ctx, sql, &table, a) {
            return done;
        }
    }
    if t.are(a, &["VALIDATE", "CONSTRAINT"]) && a + 3 == t.len() && t.len() < 48 {
        // A statement of its key: it goes where the key goes (and with it, if dropped later).
        if let Some(k) = t.ident(a + 2).and_then(|n| ctx.live_fk(&table, &n)) {
            ctx.stmt_fk = Some(k);
        }
        ctx.cat.stats.parsed_recognizer += 1;
        return true;
    }
    // Physical and access settings that carry no facts this tool uses.
    let ignorable = t.are(a, &["REPLICA", "IDENTITY"])
        || t.are(a, &["CLUSTER", "ON"])
        || t.is(a, "ENABLE")
        || t.is(a, "DISABLE")
        || t.is(a, "FORCE")
        || t.are(a, &["NO", "FORCE"])
        || t.are(a, &["SET", "WITHOUT"])
        || (t.is(a, "SET") && t.punct(a + 1, b'('))
        || t.are(a, &["SET", "LOGGED"])
        || t.are(a, &["SET", "UNLOGGED"])
        || t.are(a, &["SET", "TABLESPACE"])
        || t.are(a, &["SET", "ACCESS"]);
    if ignorable {
        ctx.cat.stats.ignored += 1;
        return true;
    }
    false
}

/// The identifiers of a parenthesized list at `open`: `(a, "B", c)`. None unless every element
/// is one identifier.
fn ident_list(t: &Tokens<'_>, open: usize) -> Option<(Vec<String>, usize)> {
    if !t.punct(open, b'(') {
        return None;
    }
    let close = t.close_paren(open)?;
    let mut out = Vec::new();
    for (a, b) in t.comma_groups(open, close) {
        if a != b {
            return None;
        }
        out.push(t.ident(a)?);
    }
    (!out.is_empty()).then_some((out, close + 1))
}

/// A referential action at `i`, with the column list of `SET NULL (cols)` / `SET DEFAULT
/// (cols)` (Postgres 15+) when `lists` allows one (ON DELETE only: Postgres rejects a list after
/// ON UPDATE, so that form is left to sqlparser, which reports it).
fn fk_action(
    t: &Tokens<'_>,
    i: usize,
    lists: bool,
) -> Option<(crate::catalog::FkAction, Vec<String>, usize)> {
    use crate::catalog::FkAction as A;
    let set = |a: A| {
        if !t.punct(i + 2, b'(') {
            Some((a, Vec::new(), i + 2))
        } else if lists {
            let (cols, next) = ident_list(t, i + 2)?;
            Some((a, cols, next))
        } else {
            None
        }
    };
    if t.are(i, &["NO", "ACTION"]) {
        Some((A::NoAction, Vec::new(), i + 2))
    } else if t.is(i, "RESTRICT") {
        Some((A::Restrict, Vec::new(), i + 1))
    } else if t.is(i, "CASCADE") {
        Some((A::Cascade, Vec::new(), i + 1))
    } else if t.are(i, &["SET", "NULL"]) {
        set(A::SetNull)
    } else if t.are(i, &["SET", "DEFAULT"]) {
        set(A::SetDefault)
    } else {
        None
    }
}

/// Column lists of `ON DELETE SET NULL (cols)` / `SET DEFAULT (cols)` (Postgres 15+) taken out
/// of a statement for sqlparser 0.64, which does not parse them.
pub struct SetColumns {
    /// The statement with each list replaced by spaces (newlines kept), so every position
    /// sqlparser reports is that of the original text.
    pub text: String,
    /// Each list, keyed by the position (1-based line and column in characters, as sqlparser's
    /// spans count) of the first token of the referenced table's name after the nearest
    /// `REFERENCES` before it: [`crate::dump::lower`] finds its foreign key by that span.
    pub lists: Vec<((u64, u64), Vec<String>)>,
}

/// Takes out the `ON DELETE SET NULL|DEFAULT (cols)` lists of `sql`; `None` when it has none or
/// one the reader cannot attribute (no `REFERENCES` before it, or not a list of identifiers):
/// the statement then fails in sqlparser as before and is recorded as unparsed, never read
/// without its list.
pub fn strip_set_columns(sql: &str, backslash: bool) -> Option<SetColumns> {
    let t = tokenize(sql, ALL, backslash);
    let mut text = String::new();
    let mut last = 0;
    let mut lists = Vec::new();
    let mut references: Option<usize> = None;
    for i in 0..t.len() {
        if t.is(i, "REFERENCES") {
            references = Some(i + 1);
        }
        let list = t.are(i, &["ON", "DELETE", "SET"])
            && (t.is(i + 3, "NULL") || t.is(i + 3, "DEFAULT"))
            && t.punct(i + 4, b'(');
        if !list {
            continue;
        }
        let (cols, next) = ident_list(&t, i + 4)?;
        let name = t.toks.get(references?)?.start;
        let (from, to) = (t.toks[i + 4].start, t.toks[next - 1].end);
        // Same characters and newlines: positions after the list do not move.
        text.push_str(&sql[last..from]);
        text.extend(
            sql[from..to]
                .chars()
                .map(|c| if c == '\n' { '\n' } else { ' ' }),
        );
        last = to;
        lists.push((char_position(sql, name), cols));
    }
    if lists.is_empty() {
        return None;
    }
    text.push_str(&sql[last..]);
    Some(SetColumns { text, lists })
}

/// 1-based line and column, in characters, of byte `at` of `s` (sqlparser's span convention).
fn char_position(s: &str, at: usize) -> (u64, u64) {
    let before = &s[..at];
    let line = before.bytes().filter(|&b| b == b'\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |k| k + 1);
    (line, before[line_start..].chars().count() as u64 + 1)
}

/// `ADD CONSTRAINT name {PRIMARY KEY | UNIQUE | FOREIGN KEY} ...` from `c` (the name). Returns
/// false, adding nothing, for any form it does not know completely.
fn add_constraint(ctx: &mut Ctx<'_>, sql: &str, table: &QName, c: usize) -> bool {
    use crate::catalog::{FkAction, FkMatch, ForeignKey};
    let t = tokenize(sql, ALL, ctx.backslash);
    let Some(name) = t.ident(c) else {
        return false;
    };
    let k = c + 1;
    let end = t.len();
    if t.are(k, &["PRIMARY", "KEY"]) || t.is(k, "UNIQUE") {
        let open = if t.is(k, "UNIQUE") { k + 1 } else { k + 2 };
        let Some((cols, next)) = ident_list(&t, open) else {
            return false;
        };
        if next != end {
            return false; // INCLUDE, WITH (...), USING INDEX TABLESPACE, DEFERRABLE: sqlparser
        }
        if t.is(k, "UNIQUE") {
            ctx.add_unique(table, Some(name), cols);
        } else {
            ctx.set_primary_key(table, Some(name), cols);
        }
        ctx.cat.stats.parsed_recognizer += 1;
        return true;
    }
    if !t.are(k, &["FOREIGN", "KEY"]) {
        return false;
    }
    let Some((columns, mut i)) = ident_list(&t, k + 2) else {
        return false;
    };
    if !t.is(i, "REFERENCES") {
        return false;
    }
    let Some((rparts, next)) = t.name(i + 1) else {
        return false;
    };
    i = next;
    let mut referenced_columns = Vec::new();
    if t.punct(i, b'(') {
        let Some((cols, next)) = ident_list(&t, i) else {
            return false;
        };
        referenced_columns = cols;
        i = next;
    }
    let (mut on_delete, mut on_update) = (FkAction::NoAction, FkAction::NoAction);
    let mut on_delete_columns = Vec::new();
    let (mut deferrable, mut deferred, mut not_valid) = (false, false, false);
    let mut match_kind = FkMatch::Simple;
    while i < end {
        if t.is(i, "MATCH") {
            match_kind = if t.is(i + 1, "FULL") {
                FkMatch::Full
            } else if t.is(i + 1, "PARTIAL") {
                FkMatch::Partial
            } else if t.is(i + 1, "SIMPLE") {
                FkMatch::Simple
            } else {
                return false;
            };
            i += 2;
        } else if t.are(i, &["ON", "DELETE"]) || t.are(i, &["ON", "UPDATE"]) {
            let delete = t.is(i + 1, "DELETE");
            let Some((a, cols, next)) = fk_action(&t, i + 2, delete) else {
                return false;
            };
            if delete {
                on_delete = a;
                on_delete_columns = cols;
            } else {
                on_update = a;
            }
            i = next;
        } else if t.are(i, &["NOT", "DEFERRABLE"]) {
            i += 2;
        } else if t.is(i, "DEFERRABLE") {
            deferrable = true;
            i += 1;
        } else if t.are(i, &["INITIALLY", "DEFERRED"]) {
            deferred = true;
            i += 2;
        } else if t.are(i, &["INITIALLY", "IMMEDIATE"]) {
            i += 2;
        } else if t.are(i, &["NOT", "VALID"]) {
            not_valid = true;
            i += 2;
        } else {
            return false;
        }
    }
    let references = ctx.resolve_rel(&rparts);
    ctx.add_foreign_key(ForeignKey {
        name,
        table: table.clone(),
        columns,
        references,
        referenced_columns,
        on_delete,
        on_delete_columns,
        on_update,
        deferrable: deferrable || deferred,
        initially_deferred: deferred,
        match_kind,
        not_valid,
        span: ctx.span,
        written: None,
        reference: None,
    });
    ctx.cat.stats.parsed_recognizer += 1;
    true
}

/// pg_dump's `CREATE [UNIQUE] INDEX name ON [ONLY] table USING method (elements) [WHERE pred]`,
/// read without an AST. Columns keep their names; expressions keep their text as written.
/// Returns false, adding nothing, for other forms (INCLUDE, WITH, TABLESPACE, ...).
pub fn create_index(ctx: &mut Ctx<'_>, sql: &str) -> bool {
    let t = tokenize(sql, ALL, ctx.backslash);
    let mut i = 1;
    let unique = t.is(i, "UNIQUE");
    if unique {
        i += 1;
    }
    if !t.is(i, "INDEX") || t.is(i + 1, "CONCURRENTLY") || t.are(i + 1, &["IF", "NOT"]) {
        return false;
    }
    let Some(iname) = t.ident(i + 1) else {
        return false;
    };
    if !t.is(i + 2, "ON") {
        return false;
    }
    i += 3;
    let only = t.is(i, "ONLY");
    if only {
        i += 1;
    }
    let Some((parts, next)) = t.name(i) else {
        return false;
    };
    i = next;
    let mut method = "btree".to_string();
    if t.is(i, "USING") {
        let Some(m) = t.ident(i + 1) else {
            return false;
        };
        method = m;
        i += 2;
    }
    if !t.punct(i, b'(') {
        return false;
    }
    let Some(close) = t.close_paren(i) else {
        return false;
    };
    let mut columns = Vec::new();
    for (a, b) in t.comma_groups(i, close) {
        // A bare column, optionally with an operator class, ordering or NULLS position.
        let plain = matches!(t.kind(a), Some(Tok::Word) | Some(Tok::Quoted))
            && !t.punct(a + 1, b'(')
            && (a + 1..=b).all(|k| {
                matches!(t.kind(k), Some(Tok::Word) | Some(Tok::Quoted)) || t.punct(k, b'.')
            });
        if plain {
            columns.push(t.ident(a).unwrap_or_default());
        } else {
            columns.push(t.slice(a, b).to_string());
        }
    }
    i = close + 1;
    let predicate = if t.is(i, "WHERE") && i + 1 < t.len() {
        let p = t.slice(i + 1, t.len() - 1).to_string();
        i = t.len();
        Some(p)
    } else {
        None
    };
    if i != t.len() {
        return false;
    }
    let table = ctx.resolve_rel(&parts);
    ctx.did(StmtKind::Index, table.clone());
    ctx.cat.indexes.push(crate::catalog::Index {
        name: QName::new(table.schema.clone(), iname),
        table,
        unique,
        method,
        columns,
        predicate,
        only,
        attached_to: None,
        span: ctx.span,
    });
    ctx.cat.stats.parsed_recognizer += 1;
    true
}

/// The single actions of `ALTER TABLE` that change the history ([`crate::dump::history`]):
/// `DROP CONSTRAINT`, `DROP COLUMN`, `RENAME [COLUMN | CONSTRAINT] ... TO`, `RENAME TO` and
/// `ALTER COLUMN ... TYPE`, from action `a`. `None` hands the statement on (to sqlparser, which
/// reads several actions in one statement).
fn history_action(ctx: &mut Ctx<'_>, sql: &str, table: &QName, a: usize) -> Option<bool> {
    let t = tokenize(sql, ALL, ctx.backslash);
    let end = t.len();
    // `[CASCADE | RESTRICT]` then the end of the statement: one action.
    let last = |i: usize| {
        let cascade = t.is(i, "CASCADE");
        let i = if cascade || t.is(i, "RESTRICT") {
            i + 1
        } else {
            i
        };
        (i == end).then_some(cascade)
    };
    if t.is(a, "RENAME") {
        if t.is(a + 1, "TO") {
            let to = t.ident(a + 2)?;
            last(a + 3)?;
            if !ctx.rename_relation(table, &to) {
                ctx.orphan(table, "RENAME TO");
            } else {
                ctx.cat.stats.parsed_recognizer += 1;
            }
            return Some(true);
        }
        let constraint = t.is(a + 1, "CONSTRAINT");
        let c = if constraint || t.is(a + 1, "COLUMN") {
            a + 2
        } else {
            a + 1
        };
        let (from, to) = (t.ident(c)?, t.ident(c + 2)?);
        if !t.is(c + 1, "TO") {
            return None;
        }
        last(c + 3)?;
        if constraint {
            // An unnamed check's name is Postgres's; not knowing it changes nothing here.
            ctx.rename_constraint(table, &from, &to);
        } else if ctx.cat.table(table).is_none() {
            ctx.orphan(table, "RENAME COLUMN");
            return Some(true);
        } else if !ctx.rename_column(table, &from, &to) {
            ctx.unparsed(
                "ALTER TABLE".into(),
                Some(format!("{table}.{from}")),
                format!("column {from} is not defined on {table}"),
            );
            return Some(true);
        }
        ctx.cat.stats.parsed_recognizer += 1;
        return Some(true);
    }
    if t.is(a, "DROP") {
        if t.is(a + 1, "CONSTRAINT") {
            let exists = t.are(a + 2, &["IF", "EXISTS"]);
            let n = if exists { a + 4 } else { a + 2 };
            let name = t.ident(n)?;
            let cascade = last(n + 1)?;
            ctx.drop_constraint(table, &name, cascade);
            ctx.cat.stats.parsed_recognizer += 1;
            return Some(true);
        }
        let c = if t.is(a + 1, "COLUMN") { a + 2 } else { a + 1 };
        let exists = t.are(c, &["IF", "EXISTS"]);
        let c = if exists { c + 2 } else { c };
        let col = t.ident(c)?;
        last(c + 1)?;
        if ctx.cat.table(table).is_none() {
            ctx.orphan(table, "DROP COLUMN");
            return Some(true);
        }
        if !ctx.drop_column(table, &col) && !exists {
            ctx.unparsed(
                "ALTER TABLE".into(),
                Some(format!("{table}.{col}")),
                format!("column {col} is not defined on {table}"),
            );
            return Some(true);
        }
        ctx.cat.stats.parsed_recognizer += 1;
        return Some(true);
    }
    // ALTER [COLUMN] c [SET DATA] TYPE ty [COLLATE x] [USING expr]
    let c = if t.is(a + 1, "COLUMN") { a + 2 } else { a + 1 };
    let col = t.ident(c)?;
    let ty = if t.are(c + 1, &["SET", "DATA", "TYPE"]) {
        c + 4
    } else if t.is(c + 1, "TYPE") {
        c + 2
    } else {
        return None;
    };
    let mut stop = ty;
    let mut depth = 0usize;
    while stop < end {
        match t.kind(stop) {
            Some(Tok::Punct(b'(')) => depth += 1,
            Some(Tok::Punct(b')')) => depth = depth.saturating_sub(1),
            Some(Tok::Punct(b',')) if depth == 0 => return None,
            _ if depth == 0 && (t.is(stop, "USING") || t.is(stop, "COLLATE")) => break,
            _ => {}
        }
        stop += 1;
    }
    if stop == ty {
        return None;
    }
    if (stop..end).any(|k| t.punct(k, b',')) {
        return None; // another action follows the USING expression: sqlparser
    }
    let text = crate::dump::lower::type_text(t.slice(ty, stop - 1));
    Some(set_column(ctx, table, &col, |column| {
        column.data_type = text
    }))
}

/// `DROP {TABLE | FOREIGN TABLE | VIEW | MATERIALIZED VIEW | SEQUENCE | INDEX} [IF EXISTS]
/// names [CASCADE]`, `DROP TRIGGER name ON table` and `DROP POLICY name ON table`: the
/// objects leave the catalog ([`crate::dump::history`]). A drop of something not defined (the
/// `--clean` prelude's, before the `CREATE`) changes nothing.
pub fn drop_statement(ctx: &mut Ctx<'_>, sql: &str) {
    #[derive(Clone, Copy, PartialEq)]
    enum K {
        Table,
        View,
        Sequence,
        Index,
    }
    let t = tokenize(sql, ALL, ctx.backslash);
    let mut i = 1;
    if t.is(1, "TRIGGER") || t.is(1, "POLICY") {
        let trigger = t.is(1, "TRIGGER");
        let n = if t.are(2, &["IF", "EXISTS"]) { 4 } else { 2 };
        let (Some(name), true) = (t.ident(n), t.is(n + 1, "ON")) else {
            ctx.cat.stats.ignored += 1;
            return;
        };
        let Some((parts, _)) = t.name(n + 2) else {
            ctx.cat.stats.ignored += 1;
            return;
        };
        let table = ctx.resolve_rel(&parts);
        let span = if trigger {
            let at = ctx
                .cat
                .triggers
                .iter()
                .position(|x| x.name == name && x.table == table);
            at.map(|k| ctx.cat.triggers.remove(k).span)
        } else {
            let at = ctx
                .cat
                .policies
                .iter()
                .position(|x| x.name == name && x.table == table);
            at.map(|k| ctx.cat.policies.remove(k).span)
        };
        match span {
            Some(span) => {
                ctx.changed(span);
                ctx.supersede(span);
                ctx.cat.stats.parsed_recognizer += 1;
            }
            None => ctx.cat.stats.ignored += 1,
        }
        return;
    }
    let kind = if t.is(i, "TABLE") {
        K::Table
    } else if t.are(i, &["FOREIGN", "TABLE"]) {
        i += 1;
        K::Table
    } else if t.is(i, "VIEW") {
        K::View
    } else if t.are(i, &["MATERIALIZED", "VIEW"]) {
        i += 1;
        K::View
    } else if t.is(i, "SEQUENCE") {
        K::Sequence
    } else if t.is(i, "INDEX") {
        if t.is(i + 1, "CONCURRENTLY") {
            i += 1;
        }
        K::Index
    } else {
        ctx.cat.stats.ignored += 1;
        return;
    };
    i += 1;
    if t.are(i, &["IF", "EXISTS"]) {
        i += 2;
    }
    let mut names = Vec::new();
    while let Some((parts, next)) = t.name(i) {
        names.push(parts);
        i = next;
        if !t.punct(i, b',') {
            break;
        }
        i += 1;
    }
    let cascade = t.is(i, "CASCADE");
    let mut dropped = false;
    for parts in &names {
        dropped |= match kind {
            K::Table => {
                let q = ctx.resolve_rel(parts);
                ctx.drop_table(&q, cascade)
            }
            K::View => {
                let q = ctx.resolve_rel(parts);
                ctx.drop_view(&q)
            }
            K::Sequence => {
                let q = ctx.resolve_rel(parts);
                ctx.drop_sequence(&q)
            }
            K::Index => {
                let q = ctx.resolve_index(parts);
                ctx.drop_index(&q)
            }
        };
    }
    if dropped {
        ctx.cat.stats.parsed_recognizer += 1;
    } else {
        ctx.cat.stats.ignored += 1;
    }
}

fn set_column(
    ctx: &mut Ctx<'_>,
    table: &QName,
    col: &str,
    f: impl FnOnce(&mut crate::catalog::Column),
) -> bool {
    let Some(tb) = ctx.cat.table_mut(table) else {
        ctx.orphan(table, "ALTER COLUMN");
        return true;
    };
    match tb.columns.iter_mut().find(|c| c.name == col) {
        Some(c) => f(c),
        None => {
            ctx.unparsed(
                "ALTER TABLE".into(),
                Some(format!("{table}.{col}")),
                format!("column {col} is not defined on {table}"),
            );
            return true;
        }
    }
    ctx.cat.stats.parsed_recognizer += 1;
    true
}

/// `ALTER SEQUENCE | INDEX | <kind> ...`: ownership, index attachment, owners, default privileges.
pub fn alter_other(ctx: &mut Ctx<'_>, sql: &str) {
    let t = tokenize(sql, 48, false);
    // `ALTER {VIEW | MATERIALIZED VIEW | SEQUENCE | INDEX} [IF EXISTS] name RENAME TO new`.
    let kind_end = if t.is(1, "VIEW") || t.is(1, "SEQUENCE") || t.is(1, "INDEX") {
        2
    } else if t.are(1, &["MATERIALIZED", "VIEW"]) {
        3
    } else {
        0
    };
    if kind_end > 0 {
        let i = if t.are(kind_end, &["IF", "EXISTS"]) {
            kind_end + 2
        } else {
            kind_end
        };
        if let Some((parts, a)) = t.name(i) {
            if let (true, Some(to), true) = (
                t.are(a, &["RENAME", "TO"]),
                t.ident(a + 2),
                a + 3 == t.len(),
            ) {
                let q = if t.is(1, "INDEX") {
                    ctx.resolve_index(&parts)
                } else {
                    ctx.resolve_rel(&parts)
                };
                if ctx.rename_relation(&q, &to) {
                    ctx.cat.stats.parsed_recognizer += 1;
                } else {
                    ctx.orphan(&q, "RENAME TO");
                }
                return;
            }
        }
    }
    if t.is(1, "SEQUENCE") {
        let mut i = 2;
        if t.are(i, &["IF", "EXISTS"]) {
            i += 2;
        }
        if let Some((parts, a)) = t.name(i) {
            let seq = ctx.resolve_rel(&parts);
            if t.are(a, &["OWNED", "BY"]) {
                if t.is(a + 2, "NONE") {
                    if let Some(s) = ctx.sequence_mut(&seq) {
                        s.owned_by = None;
                    }
                    ctx.cat.stats.parsed_recognizer += 1;
                    return;
                }
                if let Some((cparts, _)) = t.name(a + 2) {
                    if cparts.len() >= 2 {
                        let table = ctx.resolve_rel(&cparts[..cparts.len() - 1]);
                        let column = cparts[cparts.len() - 1].clone();
                        let identity = ctx.sequence_mut(&seq).is_some_and(|s| s.identity);
                        ctx.add_owned_sequence(seq, ColumnRef { table, column }, identity);
                        ctx.cat.stats.parsed_recognizer += 1;
                        return;
                    }
                }
            } else if t.are(a, &["OWNER", "TO"]) {
                let owner = t.ident(a + 2).unwrap_or_default();
                let subject = Some(seq.clone());
                return attach(
                    ctx,
                    Which::Owner,
                    "sequence".into(),
                    seq.to_string(),
                    owner,
                    subject,
                );
            } else {
                // RESTART, INCREMENT, ...: sequence options carry no facts used here.
                ctx.cat.stats.ignored += 1;
                return;
            }
        }
    }
    if t.is(1, "INDEX") {
        let mut i = 2;
        if t.are(i, &["IF", "EXISTS"]) {
            i += 2;
        }
        if let Some((parts, a)) = t.name(i) {
            let parent = ctx.qualify(&parts);
            // Dropping the index drops this statement too.
            ctx.touch_index(&parent);
            if t.are(a, &["ATTACH", "PARTITION"]) {
                if let Some((cparts, _)) = t.name(a + 2) {
                    let child = ctx.qualify(&cparts);
                    ctx.touch_index(&child);
                    let found = ctx.cat.indexes.iter_mut().rev().find(|x| x.name == child);
                    match found {
                        Some(ix) => {
                            ix.attached_to = Some(parent);
                            ctx.cat.stats.parsed_recognizer += 1;
                        }
                        // A constraint's index (`..._pkey`) is implicit: keep the fact as text.
                        None => ctx.cat.stats.parsed_recognizer += 1,
                    }
                    return;
                }
            }
            ctx.cat.stats.ignored += 1;
            return;
        }
    }
    if t.are(1, &["DEFAULT", "PRIVILEGES"]) {
        let value = t.slice(3, t.len().saturating_sub(1)).to_string();
        return attach(
            ctx,
            Which::Grant,
            "default privileges".into(),
            String::new(),
            value,
            None,
        );
    }
    if let Some(o) = (2..t.len()).find(|&k| t.are(k, &["OWNER", "TO"])) {
        if let Some((kind, object, _, subject)) = object_ref(ctx, &t, 1) {
            let owner = t.ident(o + 2).unwrap_or_default();
            return attach(ctx, Which::Owner, kind, object, owner, subject);
        }
    }
    let object = object_name(ctx, &t);
    ctx.unparsed(head_words(&t), object, "not recognized".into());
}
