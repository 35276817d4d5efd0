//! The reader: one pass over every statement of every file, dispatching each to sqlparser
//! lowering or a recognizer by its first keywords, and resolving names with the `search_path`
//! the dump sets as it goes. Each statement's kind and subject ([`crate::catalog::Stmt`]) come
//! from what its handler records it defined ([`Ctx::did`]), or, for one that defined nothing,
//! from its first words.

use std::collections::{BTreeSet, HashMap};

use sqlparser::parser::Parser;

use crate::catalog::{
    Catalog, ColumnRef, ForeignKey, QName, Sequence, Stmt, StmtKind, TableKind, Unparsed,
};
use crate::dump::dialect::Dialect;
use crate::dump::lex::{tokenize, Tokens};
use crate::dump::split::{split, PieceKind};
use crate::dump::{lower, recognize};
use crate::source::{SourceFile, Span};

/// A dropped foreign key: the `DROP CONSTRAINT` and the name it used, and where it went.
pub(super) type DeadFk = (Option<(Span, String)>, Span);

/// How to read a dump.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The dump's dialect.
    pub dialect: Dialect,
}

/// Reader state shared by lowering and recognizers: the catalog being built, the span of the
/// current statement and the names in scope.
pub struct Ctx<'s> {
    /// The catalog being built.
    pub cat: Catalog,
    /// Span of the statement being read.
    pub span: Span,
    /// The current `search_path` (without `pg_catalog` unless listed).
    pub search_path: Vec<String>,
    /// Every relation (table, view, sequence) defined so far, for resolving unqualified names.
    pub(super) relations: BTreeSet<QName>,
    /// Index of each sequence in `cat.sequences`.
    pub(super) seqs: HashMap<QName, usize>,
    /// Index of each view in `cat.views`.
    pub(super) views: HashMap<QName, usize>,
    /// Index of each interned statement subject in `cat.names` (the object of that name now:
    /// a dropped object's name is taken out, see [`crate::dump::history`]).
    pub(super) names: HashMap<QName, u32>,
    /// Foreign keys dropped so far (by index into `cat.foreign_keys`, grown on demand): the
    /// `DROP CONSTRAINT` statement and name that dropped each, and where it was dropped.
    pub(super) dead_fks: Vec<Option<DeadFk>>,
    /// Interned subjects whose object a statement dropped.
    pub(super) dropped_names: Vec<u32>,
    /// The `ALTER INDEX` statements about each index, superseded when it is dropped.
    pub(super) index_stmts: HashMap<QName, Vec<Span>>,
    /// Subjects whose statements go with a table (a sequence its `DROP COLUMN` drops).
    pub(super) redirects: Vec<(u32, QName)>,
    /// The current statement's subject, when its handler knows it better than the statement's
    /// words (a rename: the new name).
    pub stmt_subject: Option<QName>,
    /// The foreign key the current statement is about without adding it (a rename).
    pub stmt_fk: Option<usize>,
    /// What the current statement added or defined, which makes its kind (see [`Ctx::did`]).
    pub(super) stmt_did: Did,
    /// Text of the current file.
    pub text: &'s str,
    /// Offset of the current statement's body in the file.
    pub base: usize,
    /// `standard_conforming_strings = off` is in effect: backslash escapes in plain strings.
    pub backslash: bool,
    /// `ON DELETE SET NULL|DEFAULT (cols)` lists taken out of the statement being lowered
    /// (sqlparser does not parse them), keyed by the span of their referenced table's name;
    /// lowering takes each one into its foreign key. See [`recognize::strip_set_columns`].
    pub set_columns: Vec<((u64, u64), Vec<String>)>,
}

/// What one statement added or defined: the kind it makes the statement, the object its
/// statements go with, the foreign key it added; and the object of the comment, grant or owner
/// it attached (a statement of those kinds without one, `GRANT role TO role`, has no subject).
#[derive(Default)]
pub(super) struct Did {
    kind: Option<StmtKind>,
    subject: Option<QName>,
    fk: Option<usize>,
    pub(super) attached: Option<QName>,
}

/// Which kind a statement that did several things is: a `CREATE TABLE` with inline `REFERENCES`
/// and serial columns is the table's, an `ALTER TABLE` adding a foreign key and a serial column
/// the key's. Higher ranks first; of one kind, the last object the statement added.
fn rank(k: StmtKind) -> u8 {
    use StmtKind as K;
    match k {
        K::Table => 9,
        K::ForeignKey => 8,
        K::View => 7,
        K::Function => 6,
        K::Type => 5,
        K::Index => 4,
        K::Trigger => 3,
        K::Policy => 2,
        K::Sequence => 1,
        _ => 0,
    }
}

impl Ctx<'_> {
    /// Records that the current statement added, or defined again, an object of `kind`
    /// whose statements go with `subject` (a table's for its indexes, triggers, policies and
    /// foreign keys). The statement is of that kind unless it also did something of a higher
    /// rank (`rank`). A statement that did nothing of the sort is classified by its words.
    pub fn did(&mut self, kind: StmtKind, subject: QName) {
        if self.stmt_did.kind.is_none_or(|k| rank(kind) >= rank(k)) {
            self.stmt_did.kind = Some(kind);
            self.stmt_did.subject = Some(subject);
        }
    }

    /// Adds a foreign key, the current statement's.
    pub fn add_foreign_key(&mut self, fk: ForeignKey) {
        self.did(StmtKind::ForeignKey, fk.table.clone());
        self.stmt_did.fk = Some(self.cat.foreign_keys.len());
        self.cat.foreign_keys.push(fk);
    }

    fn creation_schema(&self) -> String {
        self.search_path
            .iter()
            .find(|s| s.as_str() != "pg_catalog" && !s.starts_with('$'))
            .cloned()
            .unwrap_or_else(|| "public".to_string())
    }

    /// The name a `CREATE` of `parts` creates.
    pub fn qualify(&self, parts: &[String]) -> QName {
        match parts {
            [] => QName::new(self.creation_schema(), ""),
            [n] => QName::new(self.creation_schema(), n.clone()),
            [.., s, n] => QName::new(s.clone(), n.clone()),
        }
    }

    /// The relation `parts` refers to: the first schema of the search path that has it.
    pub fn resolve_rel(&self, parts: &[String]) -> QName {
        if let [n] = parts {
            for s in &self.search_path {
                let q = QName::new(s.clone(), n.clone());
                if self.relations.contains(&q) {
                    return q;
                }
            }
            if n.starts_with("pg_") {
                return QName::new("pg_catalog", n.clone());
            }
        }
        self.qualify(parts)
    }

    /// Records a relation name so later unqualified references resolve to it.
    pub fn define(&mut self, q: QName) {
        self.relations.insert(q);
    }

    /// A constraint or action on a table the dump never defined.
    pub fn orphan(&mut self, table: &QName, what: &str) {
        self.cat.unparsed.push(Unparsed {
            head: what.to_string(),
            object: Some(table.to_string()),
            reason: format!("{what} on {table}, a table this dump does not define"),
            span: self.span,
        });
    }

    /// The interned index of a statement subject.
    pub(super) fn intern_name(&mut self, q: QName) -> u32 {
        if let Some(&i) = self.names.get(&q) {
            return i;
        }
        let i = self.cat.names.len() as u32;
        self.cat.names.push(q.clone());
        self.names.insert(q, i);
        i
    }

    /// Sets a table's primary key (its columns become NOT NULL, as Postgres makes them).
    pub fn set_primary_key(&mut self, table: &QName, name: Option<String>, columns: Vec<String>) {
        match self.cat.table_mut(table) {
            Some(t) => {
                for col in &mut t.columns {
                    if columns.contains(&col.name) {
                        col.not_null = true;
                    }
                }
                t.primary_key = Some(crate::catalog::Key { name, columns });
            }
            None => self.orphan(table, "PRIMARY KEY"),
        }
    }

    /// Adds a unique constraint to a table.
    pub fn add_unique(&mut self, table: &QName, name: Option<String>, columns: Vec<String>) {
        match self.cat.table_mut(table) {
            Some(t) => t.unique.push(crate::catalog::Key { name, columns }),
            None => self.orphan(table, "UNIQUE"),
        }
    }

    /// Adds or updates a sequence owned by a column.
    pub fn add_owned_sequence(&mut self, seq: QName, owner: ColumnRef, identity: bool) {
        self.define(seq.clone());
        match self.sequence_mut(&seq) {
            Some(s) => {
                s.owned_by = Some(owner);
                s.identity |= identity;
            }
            None => self.push_sequence(Sequence {
                name: seq,
                owned_by: Some(owner),
                used_by: Vec::new(),
                identity,
                span: self.span,
            }),
        }
    }

    /// The sequence of that name, if defined so far.
    pub fn sequence_mut(&mut self, name: &QName) -> Option<&mut Sequence> {
        let i = *self.seqs.get(name)?;
        self.cat.sequences.get_mut(i)
    }

    /// Adds a view; a later definition of the same name (`CREATE OR REPLACE VIEW` after a
    /// `--clean` dump's placeholder) replaces the earlier one, as in Postgres.
    pub fn add_view(&mut self, v: crate::catalog::View) {
        self.define(v.name.clone());
        self.did(StmtKind::View, v.name.clone());
        match self.views.get(&v.name) {
            Some(&i) => self.cat.views[i] = v,
            None => {
                self.views.insert(v.name.clone(), self.cat.views.len());
                self.cat.views.push(v);
            }
        }
    }

    /// Adds a new sequence.
    pub fn push_sequence(&mut self, s: Sequence) {
        self.define(s.name.clone());
        self.did(StmtKind::Sequence, s.name.clone());
        self.seqs.insert(s.name.clone(), self.cat.sequences.len());
        self.cat.sequences.push(s);
    }

    /// Records the current statement as unparsed.
    pub fn unparsed(&mut self, head: String, object: Option<String>, reason: String) {
        self.cat.stats.unparsed += 1;
        self.cat.unparsed.push(Unparsed {
            head,
            object,
            reason,
            span: self.span,
        });
    }
}

/// Reads dumps into one catalog. Never fails: statements it cannot read are kept in
/// [`Catalog::unparsed`] with their lines (callers decide whether that is an error).
pub fn read(sources: &[SourceFile], opts: &ReadOptions) -> Catalog {
    let mut cat = Catalog::default();
    cat.files = sources.iter().map(|s| s.path.clone()).collect();
    let mut ctx = Ctx {
        cat,
        span: Span::default(),
        search_path: vec!["public".to_string()],
        relations: BTreeSet::new(),
        seqs: HashMap::new(),
        views: HashMap::new(),
        names: HashMap::new(),
        text: "",
        base: 0,
        backslash: false,
        set_columns: Vec::new(),
        dead_fks: Vec::new(),
        dropped_names: Vec::new(),
        index_stmts: HashMap::new(),
        redirects: Vec::new(),
        stmt_subject: None,
        stmt_fk: None,
        stmt_did: Did::default(),
    };
    for (fi, src) in sources.iter().enumerate() {
        ctx.text = &src.text;
        let pieces = split(&src.text, opts.dialect);
        for p in &pieces {
            ctx.span = Span {
                file: fi as u32,
                start: p.body as u32,
                end: p.body_end as u32,
                line: src.line_of(p.body),
            };
            ctx.base = p.body;
            match p.kind {
                PieceKind::Statement => {
                    ctx.cat.stats.statements += 1;
                    let sql = p.sql(&src.text);
                    if opts.dialect == Dialect::MySql {
                        let toks = tokenize(sql, 4, true);
                        ctx.unparsed(
                            head_words(&toks),
                            None,
                            "MySQL dumps are split but not yet read".into(),
                        );
                    } else {
                        statement(&mut ctx, sql);
                    }
                    let did = std::mem::take(&mut ctx.stmt_did);
                    let (mut kind, subject) = match did.kind {
                        Some(kind) => (kind, did.subject),
                        None => kind_by_words(&ctx, sql, did.attached),
                    };
                    let subject = ctx.stmt_subject.take().or(subject);
                    let mut fk = did.fk;
                    if let Some(k) = ctx.stmt_fk.take() {
                        kind = StmtKind::ForeignKey;
                        fk = Some(k);
                    }
                    let st = Stmt {
                        span: ctx.span,
                        kind,
                        subject: subject.map(|q| ctx.intern_name(q)),
                        fk,
                        superseded: false,
                    };
                    ctx.cat.statements.push(st);
                }
                PieceKind::Meta => ctx.cat.stats.psql_lines += 1,
                PieceKind::CopyData | PieceKind::Delimiter | PieceKind::Trivia => {}
            }
        }
    }
    finish(&mut ctx);
    ctx.cat
}

/// The kind of a statement that added or defined no object (see [`Ctx::did`]), and the object
/// it belongs to, from its first words (a comment's, grant's or owner's: the one it `attached`).
fn kind_by_words(ctx: &Ctx<'_>, sql: &str, attached: Option<QName>) -> (StmtKind, Option<QName>) {
    use StmtKind as K;
    let c = &ctx.cat;
    let t = tokenize(sql, 16, ctx.backslash);
    let w0 = t.raw(0).to_ascii_uppercase();
    let w1 = t.raw(1).to_ascii_uppercase();
    // After `ALTER <kind>` (and `IF EXISTS`): the object's name.
    let named_at = |i: usize| {
        if t.are(i, &["IF", "EXISTS"]) {
            i + 2
        } else {
            i
        }
    };
    match (w0.as_str(), w1.as_str()) {
        ("SET" | "RESET", _) => (K::Session, None),
        ("SELECT", _) if sql.to_ascii_lowercase().contains("setval") => (K::Data, None),
        ("SELECT", _) => (K::Session, None),
        ("INSERT" | "COPY", _) => (K::Data, None),
        ("DROP", _) => (K::Drop, None),
        ("CREATE", "SCHEMA") => (K::Schema, None),
        ("CREATE", "EXTENSION") => (K::Extension, None),
        ("COMMENT", _) => (K::Comment, attached),
        ("GRANT" | "REVOKE", _) | ("ALTER", "DEFAULT") => (K::Grant, attached),
        ("ALTER", _) if (2..t.len()).any(|k| t.are(k, &["OWNER", "TO"])) => (K::Owner, attached),
        ("ALTER", "TABLE" | "FOREIGN") => {
            let mut i = named_at(if w1 == "FOREIGN" { 3 } else { 2 });
            if t.is(i, "ONLY") {
                i += 1;
            }
            (K::AlterTable, t.name(i).map(|(p, _)| ctx.resolve_rel(&p)))
        }
        ("ALTER", "SEQUENCE") => (
            K::Sequence,
            t.name(named_at(2)).map(|(p, _)| ctx.resolve_rel(&p)),
        ),
        ("ALTER", "INDEX") => {
            let table = t.name(named_at(2)).and_then(|(p, _)| {
                let q = ctx.qualify(&p);
                c.indexes
                    .iter()
                    .find(|x| x.name == q)
                    .map(|x| x.table.clone())
                    .or_else(|| constraint_index_table(c, &q))
            });
            (K::Index, table)
        }
        ("ALTER", "VIEW" | "MATERIALIZED") => (K::View, recognize::named_object(ctx, &t)),
        ("ALTER", "FUNCTION" | "PROCEDURE" | "AGGREGATE") => {
            (K::Function, recognize::named_object(ctx, &t))
        }
        ("ALTER", "TYPE" | "DOMAIN") => (K::Type, recognize::named_object(ctx, &t)),
        // A view whose statement was not read is still that view's statement.
        ("CREATE", _)
            if ["VIEW", "MATERIALIZED", "RECURSIVE"]
                .iter()
                .any(|w| t.is(if t.are(1, &["OR", "REPLACE"]) { 3 } else { 1 }, w)) =>
        {
            (K::View, recognize::named_object(ctx, &t))
        }
        _ => (K::Other, None),
    }
}

/// The table whose primary key or unique constraint owns the index `q` (constraint indexes
/// share the constraint's name and are not in [`Catalog::indexes`]).
fn constraint_index_table(c: &Catalog, q: &QName) -> Option<QName> {
    let named = |k: &crate::catalog::Key| k.name.as_deref() == Some(q.name.as_str());
    c.tables
        .iter()
        .filter(|t| t.schema == q.schema)
        .find(|t| t.primary_key.as_ref().is_some_and(named) || t.unique.iter().any(named))
        .map(|t| t.qname())
}

/// The first keywords of a statement, uppercased, for messages.
pub fn head_words(t: &Tokens<'_>) -> String {
    let mut out = Vec::new();
    for i in 0..t.len().min(6) {
        if t.kind(i) != Some(crate::dump::lex::Tok::Word) {
            break;
        }
        let w = t.raw(i).to_uppercase();
        let stop = !out.is_empty() && !KEYWORDS.contains(&w.as_str());
        if stop {
            break;
        }
        out.push(w);
    }
    out.join(" ")
}

const KEYWORDS: &[&str] = &[
    "TABLE",
    "INDEX",
    "UNIQUE",
    "VIEW",
    "MATERIALIZED",
    "SEQUENCE",
    "FUNCTION",
    "PROCEDURE",
    "TRIGGER",
    "TYPE",
    "DOMAIN",
    "SCHEMA",
    "EXTENSION",
    "POLICY",
    "OPERATOR",
    "CLASS",
    "FAMILY",
    "TEXT",
    "SEARCH",
    "CONFIGURATION",
    "DICTIONARY",
    "PARSER",
    "TEMPLATE",
    "EVENT",
    "PUBLICATION",
    "SUBSCRIPTION",
    "CAST",
    "COLLATION",
    "CONVERSION",
    "LANGUAGE",
    "PROCEDURAL",
    "OR",
    "REPLACE",
    "AGGREGATE",
    "FOREIGN",
    "DATA",
    "WRAPPER",
    "SERVER",
    "USER",
    "MAPPING",
    "RULE",
    "DEFAULT",
    "PRIVILEGES",
    "ON",
    "STATISTICS",
    "ACCESS",
    "METHOD",
    "UNLOGGED",
    "CONSTRAINT",
    "LARGE",
    "OBJECT",
    "TRUSTED",
    "TRANSFORM",
    "ROLE",
    "GROUP",
    "TABLESPACE",
    "DATABASE",
];

fn parse_one(sql: &str) -> Result<sqlparser::ast::Statement, String> {
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    match Parser::parse_sql(&dialect, sql) {
        Ok(mut v) if v.len() == 1 => Ok(v.remove(0)),
        Ok(v) => Err(format!(
            "expected one statement, sqlparser read {}",
            v.len()
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// [`parse_one`], and when that fails because of `ON DELETE SET NULL|DEFAULT (cols)` (Postgres
/// 15+, unknown to sqlparser 0.64), again without the lists, which are left in
/// `ctx.set_columns` for lowering. `rewrite` is one more fallback on the text (CREATE TABLE's
/// VIRTUAL columns).
fn parse_keeping_set_columns(
    ctx: &mut Ctx<'_>,
    sql: &str,
    rewrite: fn(&str) -> Option<String>,
) -> Result<sqlparser::ast::Statement, String> {
    ctx.set_columns.clear();
    let first = match parse_one(sql) {
        Ok(st) => return Ok(st),
        Err(e) => e,
    };
    let stripped = recognize::strip_set_columns(sql, ctx.backslash);
    let text = stripped.as_ref().map_or(sql, |s| s.text.as_str());
    let parsed = match &stripped {
        Some(_) => parse_one(text),
        None => Err(first.clone()),
    }
    .or_else(|_| match rewrite(text) {
        Some(v) => parse_one(&v),
        None => Err(first.clone()),
    })
    .map_err(|_| first);
    if parsed.is_ok() {
        if let Some(s) = stripped {
            ctx.set_columns = s.lists;
        }
    }
    parsed
}

/// After lowering: a column list no foreign key took (its span was not found) is reported, so
/// the key is never presented as complete without it.
fn check_set_columns(ctx: &mut Ctx<'_>, t: &Tokens<'_>, object: Option<String>) {
    if ctx.set_columns.is_empty() {
        return;
    }
    let lists: Vec<String> = std::mem::take(&mut ctx.set_columns)
        .into_iter()
        .map(|(_, cols)| format!("({})", cols.join(", ")))
        .collect();
    ctx.unparsed(
        head_words(t),
        object,
        format!(
            "ON DELETE SET NULL/SET DEFAULT column list {} not attached to its foreign key: \
             the key was read as setting all its columns",
            lists.join(", ")
        ),
    );
}

fn statement(ctx: &mut Ctx<'_>, sql: &str) {
    let owned;
    let sql = if ctx.backslash && sql.contains('\\') {
        // Old dumps (`standard_conforming_strings = off`): spell backslash escapes as E'' so
        // sqlparser and the recognizers read the same string values Postgres would.
        owned = recognize::escape_strings(sql);
        owned.as_str()
    } else {
        sql
    };
    let t = tokenize(sql, 12, false);
    if t.is_empty() {
        ctx.cat.stats.ignored += 1;
        return;
    }
    let w0 = t.raw(0).to_ascii_uppercase();
    match w0.as_str() {
        "CREATE" => create(ctx, sql, &t),
        "ALTER" => alter(ctx, sql, &t),
        "DROP" => recognize::drop_statement(ctx, sql),
        "SET" | "RESET" | "SELECT" | "INSERT" | "COPY" | "BEGIN" | "COMMIT" | "START" | "END"
        | "ANALYZE" | "VACUUM" | "CHECKPOINT" | "SHOW" | "DISCARD" | "REFRESH" | "ROLLBACK"
        | "DO" | "LOCK" | "NOTIFY" | "LISTEN" | "DELETE" | "UPDATE" | "TRUNCATE" => {
            if w0 == "SET" || w0 == "SELECT" {
                recognize::search_path(ctx, sql);
                recognize::string_mode(ctx, sql);
            }
            if w0 == "DO" || w0 == "INSERT" || w0 == "UPDATE" || w0 == "DELETE" {
                // Data or code that runs at load time: no schema facts, but worth a look.
                if w0 == "DO" {
                    let reason = "anonymous code block: runs at load time, not read".to_string();
                    ctx.unparsed(head_words(&t), None, reason);
                    return;
                }
            }
            ctx.cat.stats.ignored += 1;
        }
        "COMMENT" => recognize::comment(ctx, sql),
        "GRANT" | "REVOKE" => recognize::grant(ctx, sql),
        _ => {
            let head = head_words(&t);
            ctx.unparsed(head, None, "not recognized".into());
        }
    }
}

fn create(ctx: &mut Ctx<'_>, sql: &str, t: &Tokens<'_>) {
    let mut i = 1;
    if t.are(i, &["OR", "REPLACE"]) {
        i += 2;
    }
    let kind = t.raw(i).to_ascii_uppercase();
    match kind.as_str() {
        "TABLE" | "UNLOGGED" | "TEMP" | "TEMPORARY" | "GLOBAL" | "LOCAL" => {
            table(ctx, sql, TableKind::Ordinary)
        }
        "FOREIGN" if t.is(i + 1, "TABLE") => table(ctx, sql, TableKind::Foreign),
        "UNIQUE" | "INDEX" => index(ctx, sql, t),
        "VIEW" | "MATERIALIZED" | "RECURSIVE" => view(ctx, sql),
        "SEQUENCE" => recognize::create_sequence(ctx, sql),
        "FUNCTION" | "PROCEDURE" | "AGGREGATE" => recognize::create_function(ctx, sql),
        "TRIGGER" | "CONSTRAINT" => recognize::create_trigger(ctx, sql),
        "TYPE" | "DOMAIN" => recognize::create_type(ctx, sql),
        "SCHEMA" | "EXTENSION" => recognize::create_schema_or_extension(ctx, sql),
        // Old dumps create plpgsql explicitly; a language carries no coupling.
        "LANGUAGE" | "PROCEDURAL" | "TRUSTED" => ctx.cat.stats.ignored += 1,
        "POLICY" => recognize::create_policy(ctx, sql),
        _ => {
            let head = head_words(t);
            let object = recognize::object_name(ctx, t);
            ctx.unparsed(head, object, "not recognized".into());
        }
    }
}

fn table(ctx: &mut Ctx<'_>, sql: &str, kind: TableKind) {
    let owned;
    let mut text = sql;
    if kind == TableKind::Foreign {
        owned = recognize::foreign_table_as_table(sql);
        text = &owned;
    }
    // PG18 virtual generated columns: sqlparser knows only STORED. Same facts.
    let parsed = parse_keeping_set_columns(ctx, text, recognize::virtual_as_stored);
    match parsed {
        Ok(sqlparser::ast::Statement::CreateTable(ct)) => {
            ctx.cat.stats.parsed_sqlparser += 1;
            let name = ctx.qualify(&lower::parts(&ct.name));
            ctx.define(name.clone());
            lower::create_table(ctx, &ct, kind);
            let t = tokenize(sql, 12, false);
            check_set_columns(ctx, &t, Some(name.to_string()));
        }
        Ok(_) => ctx.unparsed(
            "CREATE TABLE".into(),
            None,
            "unexpected statement kind".into(),
        ),
        Err(e) => {
            let t = tokenize(sql, 12, false);
            let object = recognize::object_name(ctx, &t);
            ctx.unparsed(head_words(&t), object, e);
        }
    }
}

fn index(ctx: &mut Ctx<'_>, sql: &str, t: &Tokens<'_>) {
    if recognize::create_index(ctx, sql) {
        return;
    }
    // `ON ONLY parent`: sqlparser rejects ONLY here; parse without it and remember.
    let on = t.find_word(0, "ON");
    let only = on.is_some_and(|i| t.is(i + 1, "ONLY"));
    let owned;
    let text = if only {
        let tok = t.toks[on.unwrap_or(0) + 1];
        owned = format!("{}{}", &sql[..tok.start], &sql[tok.end..]);
        owned.as_str()
    } else {
        sql
    };
    match parse_one(text) {
        Ok(sqlparser::ast::Statement::CreateIndex(ci)) => {
            ctx.cat.stats.parsed_sqlparser += 1;
            lower::create_index(ctx, &ci, only);
        }
        Ok(_) => ctx.unparsed(
            "CREATE INDEX".into(),
            None,
            "unexpected statement kind".into(),
        ),
        Err(e) => {
            let object = on
                .and_then(|i| t.name(i + 1 + usize::from(only)))
                .map(|(p, _)| ctx.resolve_rel(&p).to_string());
            ctx.unparsed(head_words(t), object, e)
        }
    }
}

fn view(ctx: &mut Ctx<'_>, sql: &str) {
    let parsed = parse_one(sql).or_else(|e| match recognize::strip_with_data(sql) {
        Some(s) => parse_one(s),
        None => Err(e),
    });
    match parsed {
        Ok(sqlparser::ast::Statement::CreateView(cv)) => {
            ctx.cat.stats.parsed_sqlparser += 1;
            let name = ctx.qualify(&lower::parts(&cv.name));
            lower::create_view(ctx, &cv);
            ctx.define(name);
        }
        Ok(_) => ctx.unparsed(
            "CREATE VIEW".into(),
            None,
            "unexpected statement kind".into(),
        ),
        Err(e) => {
            let t = tokenize(sql, 12, false);
            let object = recognize::object_name(ctx, &t);
            ctx.unparsed(head_words(&t), object, e);
        }
    }
}

fn alter(ctx: &mut Ctx<'_>, sql: &str, t: &Tokens<'_>) {
    let kind = t.raw(1).to_ascii_uppercase();
    match kind.as_str() {
        "TABLE" | "FOREIGN" => {
            // Sorted by frequency in real dumps: ADD CONSTRAINT, SET DEFAULT, OWNER TO.
            if recognize::alter_table(ctx, sql) {
                return;
            }
            match parse_keeping_set_columns(ctx, sql, |_| None) {
                Ok(sqlparser::ast::Statement::AlterTable(at)) => {
                    let object = Some(ctx.resolve_rel(&lower::parts(&at.name)).to_string());
                    if lower::alter_table(ctx, &at.name, &at.operations) {
                        ctx.cat.stats.parsed_sqlparser += 1;
                        check_set_columns(ctx, t, object);
                    } else {
                        ctx.set_columns.clear();
                        ctx.unparsed(head_words(t), object, "ALTER TABLE action not read".into());
                    }
                }
                Ok(_) => ctx.unparsed(head_words(t), None, "unexpected statement kind".into()),
                Err(e) => {
                    let object = recognize::object_name(ctx, t);
                    ctx.unparsed(head_words(t), object, e)
                }
            }
        }
        _ => recognize::alter_other(ctx, sql),
    }
}

/// Facts that need the whole dump: the history's drops, keys partitions inherit, defaulted
/// referenced columns, sequence users, and the foreign keys Postgres would reject.
fn finish(ctx: &mut Ctx<'_>) {
    crate::dump::history::finish(ctx);
    let cat = &mut ctx.cat;
    // A partition without a key of its own gets its partitioned parent's (Postgres creates it
    // when the key is added to the parent or the partition is attached).
    for i in 0..cat.tables.len() {
        if cat.tables[i].primary_key.is_some() {
            continue;
        }
        let mut parent = cat.tables[i].partition_of.clone();
        let mut hops = 0;
        while let Some(p) = parent {
            let Some(pt) = cat.table(&p) else { break };
            if let Some(k) = &pt.primary_key {
                let name = Some(format!("{}_pkey", cat.tables[i].name));
                let columns = k.columns.clone();
                cat.tables[i].primary_key = Some(crate::catalog::Key { name, columns });
                break;
            }
            parent = pt.partition_of.clone();
            hops += 1;
            if hops > 64 {
                break;
            }
        }
    }
    for i in 0..cat.foreign_keys.len() {
        if cat.foreign_keys[i].referenced_columns.is_empty() {
            let pk = cat
                .table(&cat.foreign_keys[i].references)
                .and_then(|t| t.primary_key.as_ref())
                .map(|k| k.columns.clone());
            if let Some(cols) = pk {
                cat.foreign_keys[i].referenced_columns = cols;
            }
        }
    }
    reject_invalid_fks(cat);
    let mut users: Vec<(QName, ColumnRef)> = Vec::new();
    for t in &cat.tables {
        for c in &t.columns {
            if let Some(d) = &c.default {
                if let Some(seq) = recognize::nextval_target(d) {
                    let q = if seq.len() == 1 {
                        let mut q = None;
                        for s in &ctx.search_path {
                            let cand = QName::new(s.clone(), seq[0].clone());
                            if ctx.relations.contains(&cand) {
                                q = Some(cand);
                                break;
                            }
                        }
                        q.unwrap_or_else(|| QName::new(t.schema.clone(), seq[0].clone()))
                    } else {
                        QName::new(seq[seq.len() - 2].clone(), seq[seq.len() - 1].clone())
                    };
                    users.push((
                        q,
                        ColumnRef {
                            table: t.qname(),
                            column: c.name.clone(),
                        },
                    ));
                }
            }
        }
    }
    for (q, user) in users {
        if let Some(&i) = ctx.seqs.get(&q) {
            cat.sequences[i].used_by.push(user);
        }
    }
    for s in &mut cat.sequences {
        s.used_by.sort();
        s.used_by.dedup();
    }
}

/// Whether table `t` has column `c`, its own or one of the tables it is a partition of or
/// inherits from; `None` when one of those is not in the catalog.
fn has_column(cat: &Catalog, t: &crate::catalog::Table, c: &str, depth: u32) -> Option<bool> {
    if t.columns.iter().any(|x| x.name == c) {
        return Some(true);
    }
    // No columns of its own nor a parent: `CREATE TABLE ... AS` or `(LIKE other)`, whose
    // columns the reader does not know.
    let unknown = t.columns.is_empty() && t.partition_of.is_none() && t.inherits.is_empty();
    if unknown || depth > 64 {
        return None;
    }
    let mut found = false;
    for p in t.partition_of.iter().chain(&t.inherits) {
        found |= has_column(cat, cat.table(p)?, c, depth + 1)?;
    }
    Some(found)
}

/// Moves the foreign keys Postgres would reject out of [`Catalog::foreign_keys`] into
/// [`Catalog::rejected_foreign_keys`]: a child or parent table no file defines, a column that
/// is not there, no primary key to reference, column counts that differ, a
/// `SET NULL|DEFAULT (cols)` column outside the key. A table whose statement was not read
/// (SP010) counts as defined, with unknown columns.
fn reject_invalid_fks(cat: &mut Catalog) {
    use crate::catalog::{FkProblem as P, RejectedFk};
    let unread: BTreeSet<&str> = cat
        .unparsed
        .iter()
        .filter_map(|u| u.object.as_deref())
        .collect();
    let mut rejected = Vec::new();
    for (k, fk) in cat.foreign_keys.iter().enumerate() {
        let mut problems = Vec::new();
        // Each end looked up once (every key of a large dump comes through here).
        let (child, parent) = (cat.table(&fk.table), cat.table(&fk.references));
        let unread_table = |q: &QName| unread.contains(q.to_string().as_str());
        if child.is_none() && !unread_table(&fk.table) {
            problems.push(P::MissingChild);
        }
        if parent.is_none() && !unread_table(&fk.references) {
            problems.push(P::MissingParent);
        }
        if let Some(t) = child {
            for c in &fk.columns {
                if has_column(cat, t, c, 0) == Some(false) {
                    problems.push(P::MissingColumn { column: c.clone() });
                }
            }
        }
        if let Some(t) = parent {
            if fk.referenced_columns.is_empty() {
                problems.push(P::NoParentKey);
            }
            for c in &fk.referenced_columns {
                if has_column(cat, t, c, 0) == Some(false) {
                    problems.push(P::MissingReferencedColumn { column: c.clone() });
                }
            }
        }
        if !fk.referenced_columns.is_empty() && fk.referenced_columns.len() != fk.columns.len() {
            problems.push(P::ColumnCount);
        }
        for c in &fk.on_delete_columns {
            if !fk.columns.contains(c) {
                problems.push(P::SetColumnNotInKey { column: c.clone() });
            }
        }
        if !problems.is_empty() {
            rejected.push((k, problems));
        }
    }
    if rejected.is_empty() {
        return;
    }
    let mut remap: Vec<Option<usize>> = Vec::with_capacity(cat.foreign_keys.len());
    let mut live = Vec::with_capacity(cat.foreign_keys.len());
    let mut next = rejected.into_iter().peekable();
    for (k, fk) in std::mem::take(&mut cat.foreign_keys)
        .into_iter()
        .enumerate()
    {
        match next.next_if(|(r, _)| *r == k) {
            Some((_, problems)) => {
                remap.push(None);
                cat.rejected_foreign_keys.push(RejectedFk {
                    foreign_key: fk,
                    problems,
                });
            }
            None => {
                remap.push(Some(live.len()));
                live.push(fk);
            }
        }
    }
    cat.foreign_keys = live;
    for st in &mut cat.statements {
        if let Some(k) = st.fk {
            st.fk = remap[k];
            // A rename or validation of a key Postgres rejected: there is no such key.
            if st.fk.is_none()
                && !cat
                    .rejected_foreign_keys
                    .iter()
                    .any(|r| r.foreign_key.span == st.span)
            {
                st.superseded = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(sql: &str) -> Catalog {
        read(
            &[SourceFile::new("t.sql", sql.to_string())],
            &ReadOptions::default(),
        )
    }

    /// Each statement: its line, kind, subject and foreign key (`-` for none).
    fn kinds(cat: &Catalog) -> Vec<String> {
        let kind = |st: &Stmt| {
            let subject = cat.subject(st).map_or("-".into(), |q| q.to_string());
            let fk = st.fk.map_or("-", |k| cat.foreign_keys[k].name.as_str());
            format!("{} {:?} {subject} {fk}", st.span.line, st.kind)
        };
        cat.statements.iter().map(kind).collect()
    }

    fn set_cols(cat: &Catalog, name: &str) -> Vec<String> {
        let fk = cat.foreign_keys.iter().find(|f| f.name == name);
        fk.unwrap_or_else(|| panic!("no fk {name}"))
            .on_delete_columns
            .clone()
    }

    /// `ON DELETE SET NULL|DEFAULT (cols)` through every path: pg_dump's ADD CONSTRAINT (fast
    /// path), CREATE TABLE table and column constraints and a multi-action ALTER TABLE
    /// (sqlparser, lists taken out first), and the list after ON UPDATE, which Postgres rejects
    /// and the reader must not read as if absent.
    #[test]
    fn set_column_lists_are_kept() {
        let cat = read_text(
            "CREATE TABLE public.u (t integer, id integer, PRIMARY KEY (t, id), UNIQUE (id));\n\
             CREATE TABLE public.p (\n    t integer,\n    \"Ä\" integer DEFAULT 0\n        \
             REFERENCES public.u (id) ON DELETE SET DEFAULT (\"Ä\"),\n    a integer,\n    \
             CONSTRAINT p_a FOREIGN KEY (t, a) REFERENCES u (t, id) ON DELETE SET NULL (a) \
             ON UPDATE CASCADE,\n    b integer, FOREIGN KEY (t, b) REFERENCES u (t, id) \
             ON DELETE SET NULL\n);\n\
             ALTER TABLE ONLY public.p\n    ADD CONSTRAINT p_b FOREIGN KEY (t, b) \
             REFERENCES public.u(t, id) ON DELETE SET DEFAULT (b) DEFERRABLE;\n\
             ALTER TABLE public.p ADD CONSTRAINT p_c FOREIGN KEY (t, a) REFERENCES public.u(t, id) \
             ON DELETE SET NULL (\"a\") NOT VALID, ADD COLUMN z integer;\n\
             ALTER TABLE public.p ADD CONSTRAINT p_d FOREIGN KEY (t, a) REFERENCES public.u(t, id) \
             ON UPDATE SET NULL (a);\n",
        );
        assert_eq!(set_cols(&cat, "p_a"), ["a"]);
        assert_eq!(set_cols(&cat, "p_Ä_fkey"), ["Ä"]);
        assert!(set_cols(&cat, "p_t_b_fkey").is_empty());
        assert_eq!(set_cols(&cat, "p_b"), ["b"]);
        assert_eq!(set_cols(&cat, "p_c"), ["a"]);
        let p_a = cat.foreign_keys.iter().find(|f| f.name == "p_a").unwrap();
        assert_eq!(p_a.on_update, crate::catalog::FkAction::Cascade);
        let p_c = cat.foreign_keys.iter().find(|f| f.name == "p_c").unwrap();
        assert!(p_c.not_valid);
        assert!(cat
            .table(&QName::new("public", "p"))
            .unwrap()
            .columns
            .iter()
            .any(|c| c.name == "z"));
        // The ON UPDATE list: not read, and said so.
        assert!(!cat.foreign_keys.iter().any(|f| f.name == "p_d"));
        assert_eq!(cat.unparsed.len(), 1, "{:?}", cat.unparsed);
        assert_eq!(cat.unparsed[0].span.line, 13);
    }

    /// A statement is of the kind of what it defines, though the catalog's list of that kind
    /// does not grow: a table, sequence or view defined again (`IF NOT EXISTS`, `OR REPLACE`)
    /// is its object's statement, with the foreign key it adds.
    #[test]
    fn an_object_defined_again_is_its_statement() {
        let cat = read_text(
            "CREATE TABLE p (id int PRIMARY KEY);\n\
             CREATE TABLE t (id serial PRIMARY KEY);\n\
             CREATE TABLE IF NOT EXISTS t (id serial PRIMARY KEY);\n\
             CREATE SEQUENCE IF NOT EXISTS t_id_seq;\n\
             CREATE VIEW v AS SELECT id FROM t;\n\
             CREATE OR REPLACE VIEW v AS SELECT id FROM p;\n\
             CREATE TABLE IF NOT EXISTS t (id int, p_id int REFERENCES p);\n",
        );
        assert_eq!(
            kinds(&cat),
            [
                "1 Table public.p -",
                "2 Table public.t -",
                "3 Table public.t -",
                "4 Sequence public.t_id_seq -",
                "5 View public.v -",
                "6 View public.v -",
                "7 Table public.t -",
            ]
        );
    }

    /// `CREATE TABLE IF NOT EXISTS` on a table that exists changes nothing, as in Postgres (a
    /// NOTICE): the first definition keeps its columns and keys, and the second's columns,
    /// inline key and serial sequence do not appear.
    #[test]
    fn create_table_if_not_exists_keeps_the_existing_table() {
        let cat = read_text(
            "CREATE TABLE p (id int PRIMARY KEY);\n\
             CREATE TABLE t (id int PRIMARY KEY, name text UNIQUE);\n\
             CREATE TABLE IF NOT EXISTS t (id int, n serial, p_id int REFERENCES p);\n",
        );
        let t = cat.table(&QName::new("public", "t")).expect("table t");
        let cols: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(cols, ["id", "name"]);
        assert!(t.primary_key.is_some(), "the primary key is kept");
        assert_eq!(t.unique.len(), 1, "the unique key is kept");
        assert!(cat.foreign_keys.is_empty(), "{:?}", cat.foreign_keys);
        assert!(cat.sequences.is_empty(), "{:?}", cat.sequences);
    }

    /// A statement that drops an object of a kind and adds another of it (a serial column's
    /// sequence) is of the kind of what it adds, as the same statement without the drop is.
    #[test]
    fn a_statement_that_drops_and_adds_is_what_it_adds() {
        let cat = read_text(
            "CREATE TABLE t (id int, a serial);\n\
             ALTER TABLE t DROP COLUMN a, ADD COLUMN b serial;\n\
             ALTER TABLE t ADD COLUMN c serial;\n",
        );
        assert_eq!(
            kinds(&cat),
            [
                "1 Table public.t -",
                "2 Sequence public.t_b_seq -",
                "3 Sequence public.t_c_seq -",
            ]
        );
        let seqs: Vec<String> = cat.sequences.iter().map(|q| q.name.to_string()).collect();
        assert_eq!(seqs, ["public.t_b_seq", "public.t_c_seq"]);
    }

    /// A comment, grant or owner statement belongs to the object it attached something to, and
    /// to none when it attached nothing (a role's grant, a statement not read): never to the
    /// object of the statement of its kind before it.
    #[test]
    fn a_statement_that_attaches_nothing_has_no_subject() {
        let cat = read_text(
            "CREATE TABLE t (id int);\n\
             CREATE TABLE u (id int);\n\
             GRANT SELECT ON TABLE t TO app;\n\
             GRANT app TO bob;\n\
             COMMENT ON TABLE t IS 'x';\n\
             COMMENT ON t;\n\
             ALTER TABLE t OWNER TO app;\n\
             ALTER TABLE u ADD COLUMN z int, OWNER TO bob;\n",
        );
        assert_eq!(
            kinds(&cat)[2..],
            [
                "3 Grant public.t -",
                "4 Grant - -",
                "5 Comment public.t -",
                "6 Comment - -",
                "7 Owner public.t -",
                "8 Owner - -",
            ]
        );
        let unread: Vec<u32> = cat.unparsed.iter().map(|u| u.span.line).collect();
        assert_eq!(unread, [6, 8]);
    }

    /// A history: what `DROP ... CASCADE` takes along, and which statements it supersedes (not
    /// a function's, though it shares the dropped table's name; not the `CREATE TABLE` whose
    /// inline key goes: the key is cut out of it).
    #[test]
    fn drops_take_along_what_postgres_takes() {
        let cat = read_text(
            "CREATE TABLE p (id int PRIMARY KEY, k int) PARTITION BY RANGE (id);\n\
             CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);\n\
             CREATE TABLE c (id int, p_id int REFERENCES p (id));\n\
             CREATE FUNCTION p() RETURNS int LANGUAGE sql AS 'SELECT 1';\n\
             COMMENT ON FUNCTION p() IS 'kept';\n\
             COMMENT ON TABLE p IS 'gone';\n\
             CREATE TABLE q (id int, CONSTRAINT q_pkey PRIMARY KEY (id));\n\
             CREATE TABLE r (q_id int REFERENCES q (id));\n\
             ALTER TABLE q DROP CONSTRAINT q_pkey CASCADE;\n\
             CREATE INDEX c_idx ON c (id);\n\
             ALTER INDEX c_idx RENAME TO c_id_idx;\n\
             DROP INDEX c_id_idx;\n\
             DROP TABLE p CASCADE;\n",
        );
        let tables: Vec<String> = cat.tables.iter().map(|t| t.name.clone()).collect();
        assert_eq!(tables, ["c", "q", "r"]);
        assert!(cat.foreign_keys.is_empty(), "{:?}", cat.foreign_keys);
        assert!(cat.indexes.is_empty());
        let dropped: Vec<(&str, u32, Option<&str>)> = cat
            .dropped_foreign_keys
            .iter()
            .map(|d| {
                let by = d.dropped_by.as_ref().map(|(_, n)| n.as_str());
                (d.fk.name.as_str(), d.at.line, by)
            })
            .collect();
        assert_eq!(
            dropped,
            [("c_p_id_fkey", 13, None), ("r_q_id_fkey", 9, None)]
        );
        assert_eq!(cat.functions.len(), 1);
        assert_eq!(cat.comments.len(), 1);
        let superseded: Vec<u32> = cat
            .statements
            .iter()
            .filter(|s| s.superseded)
            .map(|s| s.span.line)
            .collect();
        assert_eq!(superseded, [1, 2, 6, 10, 11]);
    }

    /// Keys Postgres rejects leave the catalog's keys with what is wrong. Columns that come
    /// from a partition's or inheritance parent count, and a table whose columns the reader
    /// does not know (`AS`, `LIKE`, a statement not read) rejects nothing: those keys stay.
    /// (Whether a unique key matches the referenced columns is not checked.)
    #[test]
    fn keys_postgres_rejects_are_set_apart() {
        use crate::catalog::FkProblem as P;
        let cat = read_text(
            "CREATE TABLE a (id int PRIMARY KEY, x int);\n\
             CREATE TABLE p (id int, k int) PARTITION BY RANGE (k);\n\
             CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);\n\
             CREATE TABLE h (z int) INHERITS (a);\n\
             CREATE TABLE s AS SELECT 1 AS id;\n\
             CREATE TABLE l (LIKE a);\n\
             CREATE TABLE u (LIKE a INCLUDING ALL, w int);\n\
             CREATE TABLE ok (\n\
                 pk int REFERENCES p1 (id), hx int REFERENCES h (x), sid int REFERENCES s (id),\n\
                 lx int REFERENCES l (x), ux int REFERENCES u (w), ax int REFERENCES a\n\
             );\n\
             CREATE TABLE bad (id int, a_id int, note text);\n\
             ALTER TABLE bad ADD CONSTRAINT b1 FOREIGN KEY (a_id) REFERENCES nowhere (id);\n\
             ALTER TABLE bad ADD CONSTRAINT b2 FOREIGN KEY (a_nope) REFERENCES a (id);\n\
             ALTER TABLE bad ADD CONSTRAINT b3 FOREIGN KEY (a_id) REFERENCES a (y);\n\
             ALTER TABLE bad ADD CONSTRAINT b4 FOREIGN KEY (a_id, id) REFERENCES a (id);\n\
             ALTER TABLE bad ADD CONSTRAINT b5 FOREIGN KEY (a_id) REFERENCES h;\n\
             ALTER TABLE bad ADD CONSTRAINT b6 FOREIGN KEY (a_id) REFERENCES a (id) ON DELETE SET NULL (note);\n\
             ALTER TABLE ghost ADD CONSTRAINT b7 FOREIGN KEY (a_id) REFERENCES a (id);\n\
             ALTER TABLE bad RENAME CONSTRAINT b6 TO b6_renamed;\n",
        );
        let kept: Vec<&str> = cat.foreign_keys.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            kept,
            [
                "ok_pk_fkey",
                "ok_hx_fkey",
                "ok_sid_fkey",
                "ok_lx_fkey",
                "ok_ux_fkey",
                "ok_ax_fkey"
            ]
        );
        let rejected: Vec<(&str, &[P], u32)> = cat
            .rejected_foreign_keys
            .iter()
            .map(|r| {
                let f = &r.foreign_key;
                (f.name.as_str(), r.problems.as_slice(), f.span.line)
            })
            .collect();
        let col = |c: &str| c.to_string();
        assert_eq!(
            rejected,
            [
                ("b1", &[P::MissingParent][..], 13),
                (
                    "b2",
                    &[P::MissingColumn {
                        column: col("a_nope")
                    }][..],
                    14
                ),
                (
                    "b3",
                    &[P::MissingReferencedColumn { column: col("y") }][..],
                    15
                ),
                ("b4", &[P::ColumnCount][..], 16),
                ("b5", &[P::NoParentKey][..], 17),
                (
                    "b6_renamed",
                    &[P::SetColumnNotInKey {
                        column: col("note")
                    }][..],
                    18
                ),
                ("b7", &[P::MissingChild][..], 19),
            ]
        );
        // The rename of a key that is not there goes with it.
        let superseded: Vec<u32> = cat
            .statements
            .iter()
            .filter(|s| s.superseded)
            .map(|s| s.span.line)
            .collect();
        assert_eq!(superseded, [20]);
    }
}
