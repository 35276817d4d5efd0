//! The per-silo DDL, `silos/<silo>/schema.sql`: the dump's own statements that the silo's
//! database needs, in the dump's own order, with a comment where something was left out.
//!
//! # Order
//!
//! The statements keep the dump's relative order. pg_dump (and Rails / Ecto `structure.sql`,
//! which are pg_dump output) writes a dependency-valid order: schemas, extensions, types and
//! functions, then tables and sequences, then (post-data) keys, indexes, foreign keys, triggers,
//! policies, and privileges last, with foreign keys after every table, so foreign-key cycles are
//! already resolved as pg_dump resolves them. A subset of a valid order is valid whenever the
//! subset contains everything its statements depend on, which is what the rules below ensure.
//! Keeping the order also keeps every `SET search_path` (and `standard_conforming_strings`)
//! in effect for exactly the statements it was in effect for in the dump; sorting by section
//! would move statements across those settings.
//!
//! # What a silo gets
//!
//! * every session statement (`SET`, `set_config`), schema, extension, type, language, operator,
//!   event trigger and other statement that is not about one table, in every silo;
//! * the silo's tables and the `[shared]` tables (partitions follow their parent), with every
//!   statement about them: defaults, keys, identity, partition attachment, indexes, triggers,
//!   policies, comments, grants, owners;
//! * sequences owned by or feeding a default of an included table; a sequence no table owns or
//!   uses (the application's) goes to every silo. `OWNED BY` a table of another silo is left out
//!   with a comment;
//! * functions whose text (signature and body) names no table of another silo, in every silo,
//!   except trigger functions, which go where one of their triggers is. A function that names
//!   another silo's table is kept only where something kept names it (a trigger, a default, a
//!   view, another kept function: a scan of bare names, to a fixed point), with a `coupling`
//!   note, and else is left out with a comment;
//! * views whose relations are all kept here (and that the config does not place in another
//!   silo); the others are left out with a comment naming what they read;
//! * foreign keys whose two ends have the same placement; each crossing one is replaced by a
//!   comment naming it and where its `ON DELETE` is replicated. A crossing foreign key written
//!   inline in `CREATE TABLE` is cut out of the statement (token-exact; tested on Postgres);
//! * policies and unrecognized statements that read a table of another silo (`FROM`, `JOIN`,
//!   `TABLE`, `ON`, `TO` followed by its name) are left out with a comment;
//! * data (`INSERT`, `setval`) only for shared tables (migration bookkeeping such as
//!   `schema_migrations`); rows of the silo's own tables arrive by replication, and a copy here
//!   would make the initial sync fail on duplicate keys. `COPY` blocks are never kept;
//! * `DROP` statements and the whole `--clean` prelude (`DROP ... IF EXISTS`, `ALTER TABLE IF
//!   EXISTS ... DROP`, placeholder views) are left out: the file is for an empty database.
//!
//! # A history
//!
//! Several files (a directory of migrations) are one history ([`crate::dump::history`]). Each
//! statement's subject is its object's final name, so renames, `ALTER COLUMN ... TYPE` and
//! `ADD` / `DROP COLUMN` are kept in the silo of their table and run again there, after the
//! statements they change. What a later statement drops never comes back from its `CREATE`:
//! statements marked [`Stmt::superseded`] are left out (counted), and a foreign key that is
//! not in the final schema (dropped later, or one Postgres rejects) is cut out of the statement
//! that adds it, as is the `DROP CONSTRAINT` that drops it (`ALTER TABLE` actions and `CREATE
//! TABLE` parts, each found by the columns and parent the statement writes, before renames); a
//! statement with nothing left is left out. A crossing key added by an `ALTER TABLE` with other
//! actions is cut out the same way, the other actions kept.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

// Maps and sets keyed by names and statement positions only answer lookups (nothing iterates
// them into the output), so rustc's fast hash serves: SipHash of `QName`s was a tenth of this
// module's time.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::Input;
use crate::assign::Placement;
use crate::catalog::{Attached, FkAction, ForeignKey, QName, Span, Stmt, StmtKind};
use crate::check::{crossings, effective_action, ActionSource, Crossing};
use crate::config::EdgeAction;
use crate::dump::lex::{tokenize, Tok, Tokens};
use crate::graph::TablesByName;
use crate::ident::{comment_text, ident, ident_list, qualified};

/// The database of one silo, statement by statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiloSchema {
    /// The silo's name.
    pub silo: String,
    /// The dump files the statements come from.
    pub files: Vec<String>,
    /// The silo's own tables (partitions included), sorted.
    pub tables: Vec<QName>,
    /// The `[shared]` tables, also in this database, sorted.
    pub shared: Vec<QName>,
    /// One line per kind of statement left out, with counts and why (for the header).
    pub left_out: Vec<String>,
    /// The statements and comments, in order.
    pub items: Vec<Item>,
}

/// Where in the dump a statement is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    /// Dump file, as given (shared by every item of the file: a large dump has a million).
    pub file: Arc<str>,
    /// 1-based line of the statement's first byte.
    pub line: u32,
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One entry of a silo's schema file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A statement of the dump, as written (or cut where `notes` say so), without terminator.
    Statement {
        /// Where it comes from.
        at: At,
        /// The SQL.
        sql: Sql,
        /// Remarks for the reviewer, one line each (couplings, rewrites).
        notes: Vec<String>,
    },
    /// A statement left out, and why (one line).
    Comment {
        /// Where the left-out statement is.
        at: At,
        /// Why it was left out.
        text: String,
    },
}

/// The SQL of a kept statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sql {
    /// As the dump writes it: this span of the dump, read with [`Sql::text`]. Not copied: a
    /// large dump's statements would otherwise be held once more per silo (400 MB for two
    /// silos of a 212 MB dump).
    AsWritten(Span),
    /// Rewritten (inline foreign keys cut out, as the item's notes say).
    Rewritten(String),
}

impl Sql {
    /// The statement's text, from the dump `input` holds (the one the plan was built from).
    pub fn text<'a>(&'a self, input: &'a Input) -> &'a str {
        match self {
            Sql::AsWritten(span) => input.text(span),
            Sql::Rewritten(s) => s,
        }
    }
}

/// What a relation name is in the catalog.
#[derive(Debug, Clone, Copy)]
enum Rel<'a> {
    /// A table, with its placement and that placement's [`Home`] (looked up once here, not
    /// per question).
    Table(&'a Placement, Home),
    View(usize),
    Sequence(usize),
    /// An index, on this table or materialized view.
    Index(&'a QName),
}

/// A placement as a number, compared without reading the silo's name: a silo's position in
/// the config, or [`SHARED`] or [`NOWHERE`]. Every statement of a large dump asks whether its
/// table is here, once per silo, and the names' bytes are scattered over the heap.
type Home = u32;
const SHARED: Home = Home::MAX;
const NOWHERE: Home = Home::MAX - 1;
/// The home of a silo the config does not have: no table is placed there.
const NO_SILO: Home = Home::MAX - 2;

fn home_of(input: &Input, p: &Placement) -> Home {
    match p {
        Placement::Silo(s) => input
            .cfg
            .silos
            .iter()
            .position(|x| x.name == *s)
            .map_or(NOWHERE, |i| i as Home),
        Placement::Shared => SHARED,
        Placement::Unassigned => NOWHERE,
    }
}

/// Facts shared by every silo.
struct Shared<'a> {
    input: &'a Input<'a>,
    rels: HashMap<&'a QName, Rel<'a>>,
    /// `rels` of every interned statement subject ([`Catalog::names`](crate::catalog::Catalog)
    /// order): each statement is decided once per silo (and again per round of the functions'
    /// fixed point), so its subject is looked up once here rather than hashed every time.
    subject_rels: Vec<Option<Rel<'a>>>,
    /// Tables by bare name, for unqualified references.
    by_name: TablesByName<'a>,
    /// Sequences by bare name, for `setval('name')`.
    seqs_by_name: BTreeMap<&'a str, Vec<usize>>,
    /// Tables each function's text names (all overloads together).
    fn_mentions: BTreeMap<&'a QName, BTreeSet<QName>>,
    /// Relations whose triggers run each function.
    trigger_on: BTreeMap<&'a QName, Vec<&'a QName>>,
    /// Comment / grant / owner records by statement start.
    attached: HashMap<(u32, u32), &'a Attached>,
    /// Foreign keys defined by each statement (inline ones share a `CREATE TABLE`).
    fks_of_stmt: HashMap<(u32, u32), Vec<usize>>,
    /// Foreign keys each statement adds that are not in the catalog's final schema, with why:
    /// dropped by a later statement, or rejected by Postgres. Cut out of their statement.
    gone_of_stmt: HashMap<(u32, u32), Vec<(&'a ForeignKey, Gone)>>,
    /// Names of the constraints each `ALTER TABLE` drops that are foreign keys dropped there
    /// (cut out with the key's `ADD`).
    drops_of_stmt: HashMap<(u32, u32), Vec<&'a str>>,
    /// `ALTER TABLE` statements that need cutting: those in `gone_of_stmt` or `drops_of_stmt`,
    /// and those that add several foreign keys (empty for most dumps: no lookup then).
    alter_cuts: HashSet<(u32, u32)>,
    /// Crossings by foreign key.
    crossing: HashMap<usize, Crossing>,
    /// The dump files' names, for [`At`].
    files: Vec<Arc<str>>,
    /// Per statement, whether it is in a `--clean` prelude.
    prelude: Vec<bool>,
    /// Per foreign key, the [`Home`] of its child table (`None` when the child is not a table
    /// of the assignment).
    fk_child_home: Vec<Option<Home>>,
    /// Per statement, the functions (by bare name) it names; computed on first need.
    fn_refs: Option<Vec<Vec<&'a str>>>,
    /// The [`Home`]s of the tables owning or using each sequence ([`NOWHERE`] for a name that
    /// is not a table), sequence `i`'s at `seq_homes[seq_at[i]..seq_at[i + 1]]`: looked up once
    /// for all silos.
    seq_homes: Vec<Home>,
    seq_at: Vec<u32>,
}

fn key(s: &Span) -> (u32, u32) {
    (s.file, s.start)
}

/// Why a foreign key a statement adds is not in the final schema.
#[derive(Debug, Clone)]
enum Gone {
    /// A later statement (here) drops it.
    Dropped(Span),
    /// Postgres rejects it (what `check` says).
    Rejected(String),
}

/// Builds the schema of every silo, in config order.
pub fn build(input: &Input) -> Vec<SiloSchema> {
    let mut shared = Shared::new(input);
    input
        .cfg
        .silos
        .iter()
        .map(|s| silo_schema(&mut shared, &s.name))
        .collect()
}

impl<'a> Shared<'a> {
    fn new(input: &'a Input<'a>) -> Self {
        let cat = input.cat;
        // Sized once: at 100,000 tables growing these maps by doubling was a tenth of `build`.
        let mut rels: HashMap<&QName, Rel> = HashMap::default();
        rels.reserve(
            input.asg.tables.len() + cat.views.len() + cat.sequences.len() + cat.indexes.len(),
        );
        let by_name = TablesByName::new(cat);
        // The assignment holds every table of the catalog, each once.
        for (q, d) in &input.asg.tables {
            rels.insert(q, Rel::Table(&d.placement, home_of(input, &d.placement)));
        }
        let fk_child_home = cat
            .foreign_keys
            .iter()
            .enumerate()
            .map(|(k, fk)| input.asg.fk_placements(k, fk).0.map(|p| home_of(input, p)))
            .collect();
        for (i, v) in cat.views.iter().enumerate() {
            rels.entry(&v.name).or_insert(Rel::View(i));
        }
        for (i, s) in cat.sequences.iter().enumerate() {
            rels.entry(&s.name).or_insert(Rel::Sequence(i));
        }
        for ix in &cat.indexes {
            rels.entry(&ix.name).or_insert(Rel::Index(&ix.table));
        }
        let subject_rels = cat.names.iter().map(|q| rels.get(q).copied()).collect();
        let mut seq_homes = Vec::with_capacity(cat.sequences.len());
        let mut seq_at = Vec::with_capacity(cat.sequences.len() + 1);
        seq_at.push(0);
        for sq in &cat.sequences {
            let tables = sq.owned_by.iter().map(|o| &o.table);
            for t in tables.chain(sq.used_by.iter().map(|u| &u.table)) {
                seq_homes.push(match rels.get(t) {
                    Some(&Rel::Table(_, h)) => h,
                    _ => NOWHERE,
                });
            }
            // More than 4 billion owners and users cannot be read into memory.
            seq_at.push(seq_homes.len() as u32);
        }
        let mut seqs_by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, s) in cat.sequences.iter().enumerate() {
            seqs_by_name
                .entry(s.name.name.as_str())
                .or_default()
                .push(i);
        }
        let mut fn_mentions: BTreeMap<&QName, BTreeSet<QName>> = BTreeMap::new();
        for f in &cat.functions {
            let m = fn_mentions.entry(&f.name).or_default();
            m.extend(input.graph.mentions(&f.name));
            // The signature can name a table's row type (`RETURNS SETOF public.t`).
            let text = input.text(&f.span);
            let sig_end = f.body.map_or(text.len(), |(s, _)| {
                (s.saturating_sub(f.span.start)) as usize
            });
            if let Some(sig) = text.get(..sig_end) {
                m.extend(crate::graph::body_mentions(cat, sig, &by_name));
            }
            m.remove(&f.name);
        }
        let mut trigger_on: BTreeMap<&QName, Vec<&QName>> = BTreeMap::new();
        for tr in &cat.triggers {
            trigger_on.entry(&tr.function).or_default().push(&tr.table);
        }
        let mut attached = HashMap::default();
        attached.reserve(cat.comments.len() + cat.grants.len() + cat.owners.len());
        for a in cat.comments.iter().chain(&cat.grants).chain(&cat.owners) {
            attached.insert(key(&a.span), a);
        }
        let mut fks_of_stmt: HashMap<(u32, u32), Vec<usize>> = HashMap::default();
        fks_of_stmt.reserve(cat.foreign_keys.len());
        let mut alter_cuts: HashSet<(u32, u32)> = HashSet::default();
        for (k, fk) in cat.foreign_keys.iter().enumerate() {
            // A reference without a constraint is in no statement (its span is its child
            // table's definition): there is nothing to cut.
            if !fk.is_constraint() {
                continue;
            }
            let v = fks_of_stmt.entry(key(&fk.span)).or_default();
            v.push(k);
            if v.len() == 2 {
                alter_cuts.insert(key(&fk.span));
            }
        }
        let mut gone_of_stmt: HashMap<(u32, u32), Vec<(&ForeignKey, Gone)>> = HashMap::default();
        let mut drops_of_stmt: HashMap<(u32, u32), Vec<&str>> = HashMap::default();
        for d in &cat.dropped_foreign_keys {
            gone_of_stmt
                .entry(key(&d.fk.span))
                .or_default()
                .push((&d.fk, Gone::Dropped(d.at)));
            alter_cuts.insert(key(&d.fk.span));
            if let Some((span, name)) = &d.dropped_by {
                drops_of_stmt.entry(key(span)).or_default().push(name);
                alter_cuts.insert(key(span));
            }
        }
        for r in &cat.rejected_foreign_keys {
            let why = crate::check::rejected_text(r);
            gone_of_stmt
                .entry(key(&r.foreign_key.span))
                .or_default()
                .push((&r.foreign_key, Gone::Rejected(why)));
            alter_cuts.insert(key(&r.foreign_key.span));
        }
        // A key from a silo table to a shared table holds in every silo (each has the shared
        // table), so fks/drop.sql keeps it and so does this file; the other crossings go.
        let crossing = crossings(cat, input.asg, input.rules)
            .into_iter()
            .filter(|c| c.parent_silo != "shared" || c.child_silo == "shared")
            .map(|c| (c.fk, c))
            .collect();
        Shared {
            input,
            rels,
            subject_rels,
            by_name,
            seqs_by_name,
            fn_mentions,
            trigger_on,
            attached,
            fks_of_stmt,
            gone_of_stmt,
            drops_of_stmt,
            alter_cuts,
            crossing,
            files: cat.files.iter().map(|f| Arc::from(f.as_str())).collect(),
            prelude: clean_prelude(input),
            fk_child_home,
            fn_refs: None,
            seq_homes,
            seq_at,
        }
    }

    fn text(&self, st: &Stmt) -> &'a str {
        self.input.text(&st.span)
    }

    /// The statement's subject and what it is in the catalog (`None`: not a relation the
    /// catalog knows).
    fn subject(&self, st: &Stmt) -> Option<(&'a QName, Option<Rel<'a>>)> {
        let i = st.subject? as usize;
        let q = self.input.cat.names.get(i)?;
        Some((q, self.subject_rels.get(i).copied().flatten()))
    }

    fn at(&self, span: &Span) -> At {
        At {
            file: self
                .files
                .get(span.file as usize)
                .cloned()
                .unwrap_or_else(|| Arc::from("")),
            line: span.line,
        }
    }

    /// Per statement, the bare names of catalog functions it names (word tokens only).
    fn fn_refs(&mut self) -> &Vec<Vec<&'a str>> {
        if self.fn_refs.is_none() {
            let names: HashSet<&str> = self
                .input
                .cat
                .functions
                .iter()
                .map(|f| f.name.name.as_str())
                .collect();
            let input = self.input;
            // Most statements name no function of the dump: find the ones that might with one
            // pass of a case-insensitive automaton over their text, and tokenize only those.
            // A name that needs quotes inside (`""`) makes the filter step aside (every
            // statement is tokenized), and so does a `U&"..."` identifier in a statement
            // (found apart by its `&"`: with it among the patterns, the automaton's prefilter
            // lost its rare bytes and the filter cost more than the tokenizing it saves).
            let patterns: Vec<&str> = names.iter().copied().collect();
            let prefilter = if names.iter().any(|n| n.is_empty() || n.contains('"')) {
                None
            } else {
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    // A DFA at any count of names (the default switches to a slower NFA past
                    // 100; a dump of 100,000 tables had 1,000 functions).
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(&patterns)
                    .ok()
            };
            let escaped_ident = memchr::memmem::Finder::new(b"&\"");
            let refs = input
                .cat
                .statements
                .iter()
                .map(|st| {
                    // Only statements that can call a function (at load or at run time).
                    let calls = matches!(
                        st.kind,
                        StmtKind::Table
                            | StmtKind::AlterTable
                            | StmtKind::View
                            | StmtKind::Index
                            | StmtKind::Trigger
                            | StmtKind::Policy
                            | StmtKind::Type
                            | StmtKind::Function
                            | StmtKind::Other
                    );
                    if !calls || names.is_empty() {
                        return Vec::new();
                    }
                    let text = input.text(&st.span);
                    if prefilter.as_ref().is_some_and(|ac| {
                        !ac.is_match(text) && escaped_ident.find(text.as_bytes()).is_none()
                    }) {
                        return Vec::new();
                    }
                    let t = tokenize(text, usize::MAX, false);
                    let mut v: Vec<&str> = (0..t.len())
                        .filter_map(|i| t.ident(i))
                        .filter_map(|w| names.get(w.as_str()).copied())
                        .collect();
                    v.sort_unstable();
                    v.dedup();
                    v
                })
                .collect();
            self.fn_refs = Some(refs);
        }
        self.fn_refs.as_ref().expect("just computed")
    }
}

/// Statements of each file's `--clean` prelude: from the top, the run of `DROP`s,
/// `ALTER TABLE IF EXISTS` and placeholder views, up to its last `DROP`. A statement that drops
/// or changes what was defined before the run ends it: a migration that starts by dropping
/// what an earlier file created has no prelude (its statements are the history).
fn clean_prelude(input: &Input) -> Vec<bool> {
    let sts = &input.cat.statements;
    let mut out = vec![false; sts.len()];
    let changes = &input.cat.changes;
    let mut i = 0;
    while i < sts.len() {
        let file = sts[i].span.file;
        let run_start = key(&sts[i].span);
        let mut last_drop = None;
        let mut j = i;
        while j < sts.len() && sts[j].span.file == file {
            let st = &sts[j];
            // `changes` is in statement order (empty for a dump without drops or renames).
            let undoes_earlier = !changes.is_empty()
                && changes
                    .binary_search_by_key(&key(&st.span), |(s, _)| key(s))
                    .is_ok_and(|c| key(&changes[c].1) < run_start);
            if undoes_earlier {
                break;
            }
            let t = tokenize(input.text(&st.span), 4, false);
            let fits = match st.kind {
                StmtKind::Drop => {
                    last_drop = Some(j);
                    true
                }
                StmtKind::Session | StmtKind::View => true,
                StmtKind::AlterTable | StmtKind::ForeignKey => t.are(1, &["TABLE", "IF"]),
                _ => false,
            };
            if !fits {
                break;
            }
            j += 1;
        }
        if let Some(end) = last_drop {
            for k in i..=end {
                out[k] = sts[k].kind != StmtKind::Session;
            }
        }
        // Skip to the next file.
        while j < sts.len() && sts[j].span.file == file {
            j += 1;
        }
        i = j;
    }
    out
}

/// Why a statement is left out.
enum Out {
    /// About another silo's object: silent, counted.
    Elsewhere,
    /// Silent, counted under a heading.
    Counted(&'static str),
    /// With a comment in place.
    Comment(String),
    /// With a comment in place, counted under this heading.
    CommentUnder(&'static str, String),
}

/// Per-silo state.
struct Silo<'s, 'a> {
    sh: &'s Shared<'a>,
    name: &'s str,
    /// This silo's [`Home`].
    home: Home,
    /// Whether each sequence is here, once asked (a sequence has several statements).
    sequences: Vec<Option<bool>>,
    views: Vec<Option<Result<(), String>>>,
    functions: HashSet<&'a QName>,
}

impl<'a> Silo<'_, 'a> {
    fn placement(&self, q: &QName) -> Option<&'a Placement> {
        // Every table of the assignment is a `Rel::Table` (tables are entered first), and
        // nothing else is: the same answer as `asg.silo_of`, from the one hash map.
        match self.sh.rels.get(q) {
            Some(Rel::Table(p, _)) => Some(p),
            _ => None,
        }
    }

    fn where_is(&self, q: &QName) -> String {
        match self.placement(q) {
            Some(Placement::Silo(s)) => format!("silo {s}"),
            Some(Placement::Shared) => "shared".into(),
            Some(Placement::Unassigned) => "no silo".into(),
            None => "not a table".into(),
        }
    }

    fn table_here(&self, q: &QName) -> bool {
        match self.sh.rels.get(q) {
            Some(&Rel::Table(_, h)) => self.home_here(h),
            _ => false,
        }
    }

    /// Whether a table placed at `h` is in this silo's database.
    fn home_here(&self, h: Home) -> bool {
        h == self.home || h == SHARED
    }

    /// Whether a table the catalog knows is absent here (tables outside the catalog, such as an
    /// extension's, are assumed present).
    fn table_elsewhere(&self, q: &QName) -> bool {
        self.placement(q).is_some() && !self.table_here(q)
    }

    fn sequence_here(&mut self, i: usize) -> bool {
        if let Some(here) = self.sequences[i] {
            return here;
        }
        // Here when a table owning or using it is (`NOWHERE` is never here), or it has none.
        let sh = self.sh;
        let homes = &sh.seq_homes[sh.seq_at[i] as usize..sh.seq_at[i + 1] as usize];
        let here = homes.is_empty() || homes.iter().any(|&h| self.home_here(h));
        self.sequences[i] = Some(here);
        here
    }

    fn view_here(&mut self, i: usize) -> Result<(), String> {
        if let Some(r) = &self.views[i] {
            return r.clone();
        }
        // A cycle cannot happen in a loadable dump; assume success while visiting.
        self.views[i] = Some(Ok(()));
        let cat = self.sh.input.cat;
        let v = &cat.views[i];
        let mut outside = Vec::new();
        for r in &v.reads {
            match self.sh.rels.get(r).copied() {
                Some(Rel::Table(_, h)) if !self.home_here(h) => {
                    outside.push(format!("{} ({})", qualified(r), self.where_is(r)))
                }
                Some(Rel::View(j)) if self.view_here(j).is_err() => {
                    outside.push(format!("{} (a view left out here)", qualified(r)))
                }
                _ => {}
            }
        }
        let placed_elsewhere = match self.sh.input.asg.views.get(&v.name).map(|d| &d.placement) {
            Some(Placement::Silo(x)) if x != self.name => Some(x.clone()),
            _ => None,
        };
        let r = if !outside.is_empty() {
            Err(format!(
                "view {} reads {}: a view cannot read across databases",
                qualified(&v.name),
                outside.join(", ")
            ))
        } else if let Some(s) = placed_elsewhere {
            Err(format!(
                "view {} is placed in silo {s} by the config",
                qualified(&v.name)
            ))
        } else {
            Ok(())
        };
        self.views[i] = Some(r.clone());
        r
    }

    /// Whether the relation `q` (of any kind) is in this silo; unknown names count as present.
    fn rel_here(&mut self, q: &QName) -> bool {
        let r = self.sh.rels.get(q).copied();
        self.rel_is_here(r)
    }

    /// [`rel_here`](Self::rel_here) of a relation already looked up.
    fn rel_is_here(&mut self, r: Option<Rel>) -> bool {
        match r {
            Some(Rel::Table(_, h)) => self.home_here(h),
            Some(Rel::View(i)) => self.view_here(i).is_ok(),
            Some(Rel::Sequence(i)) => self.sequence_here(i),
            Some(Rel::Index(on)) => self.rel_here(on),
            None => true,
        }
    }

    fn function_here(&self, q: &QName) -> bool {
        !self.sh.fn_mentions.contains_key(q) || self.functions.contains(q)
    }

    /// Tables of other silos the function's text names.
    fn fn_outside(&self, q: &QName) -> Vec<&QName> {
        self.sh
            .fn_mentions
            .get(q)
            .map(|m| m.iter().filter(|t| self.table_elsewhere(t)).collect())
            .unwrap_or_default()
    }
}

fn silo_schema(sh: &mut Shared, name: &str) -> SiloSchema {
    let input = sh.input;
    let cat = input.cat;
    // `build` passes the config's silos; a name that were not one would match no table.
    let home = input
        .cfg
        .silos
        .iter()
        .position(|x| x.name == name)
        .map_or(NO_SILO, |i| i as Home);
    let mut tables = Vec::new();
    let mut shared_tables = Vec::new();
    let mut unassigned = 0;
    for (q, d) in &input.asg.tables {
        match &d.placement {
            Placement::Silo(s) if s == name => tables.push(q.clone()),
            Placement::Shared => shared_tables.push(q.clone()),
            Placement::Unassigned => unassigned += 1,
            Placement::Silo(_) => {}
        }
    }

    // Functions: those naming no table of another silo and run by no trigger, or by a trigger
    // here; then, to a fixed point, those that a kept statement names.
    let tied: HashSet<&QName> = {
        let mut probe = Silo {
            sh,
            name,
            home,
            sequences: vec![None; cat.sequences.len()],
            views: vec![None; cat.views.len()],
            functions: HashSet::default(),
        };
        sh.fn_mentions
            .keys()
            .copied()
            .filter(|q| {
                let triggers_elsewhere = sh
                    .trigger_on
                    .get(q)
                    .is_some_and(|ts| !ts.iter().any(|t| probe.rel_here(t)));
                triggers_elsewhere || !probe.fn_outside(q).is_empty()
            })
            .collect()
    };
    let mut functions: HashSet<&QName> = sh
        .fn_mentions
        .keys()
        .copied()
        .filter(|q| !tied.contains(q))
        .collect();
    if !tied.is_empty() {
        sh.fn_refs();
        let sh: &Shared = sh;
        let refs = sh.fn_refs.as_ref().expect("computed above");
        loop {
            let mut s = Silo {
                sh,
                name,
                home,
                sequences: vec![None; cat.sequences.len()],
                views: vec![None; cat.views.len()],
                functions: functions.clone(),
            };
            let mut named: HashSet<&str> = HashSet::default();
            for (i, st) in cat.statements.iter().enumerate() {
                if !refs[i].is_empty() && matches!(decide(&mut s, i, st), Decision::Keep(..)) {
                    // A function does not need itself.
                    let own = match st.kind {
                        StmtKind::Function => cat.subject(st).map(|q| q.name.as_str()),
                        _ => None,
                    };
                    named.extend(refs[i].iter().copied().filter(|n| Some(*n) != own));
                }
            }
            let before = functions.len();
            functions.extend(
                tied.iter()
                    .copied()
                    .filter(|q| named.contains(q.name.as_str())),
            );
            if functions.len() == before {
                break;
            }
        }
    }

    let sh: &Shared = sh;
    let mut s = Silo {
        sh,
        name,
        home,
        sequences: vec![None; cat.sequences.len()],
        views: vec![None; cat.views.len()],
        functions,
    };
    let mut items = Vec::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut commented: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut said: HashSet<String> = HashSet::default();
    for (i, st) in cat.statements.iter().enumerate() {
        match decide(&mut s, i, st) {
            Decision::Keep(sql, notes) => {
                for n in &notes {
                    if let Some((_, what)) = CUTS.iter().find(|(mark, _)| n.starts_with(mark)) {
                        *commented.entry(what).or_default() += 1;
                    }
                }
                items.push(Item::Statement {
                    at: sh.at(&st.span),
                    sql: match sql {
                        Some(rewritten) => Sql::Rewritten(rewritten),
                        None => Sql::AsWritten(st.span),
                    },
                    notes: notes.into_iter().map(|n| comment_text(&n)).collect(),
                })
            }
            Decision::Out(Out::Elsewhere) => *counts.entry(ELSEWHERE).or_default() += 1,
            Decision::Out(Out::Counted(what)) => *counts.entry(what).or_default() += 1,
            Decision::Out(out @ (Out::Comment(_) | Out::CommentUnder(..))) => {
                let (what, text) = match out {
                    Out::CommentUnder(what, text) => (what, text),
                    Out::Comment(text) => (heading(st), text),
                    Out::Elsewhere | Out::Counted(_) => continue,
                };
                *commented.entry(what).or_default() += 1;
                // One comment per object (a view's placeholder and its definition, overloads).
                if said.insert(text.clone()) {
                    items.push(Item::Comment {
                        at: sh.at(&st.span),
                        text: comment_text(&text),
                    });
                }
            }
        }
    }

    let mut left_out = Vec::new();
    for (what, n) in &commented {
        let mark = CUTS
            .iter()
            .find(|(_, w)| w == what)
            .map_or("left out:", |(mark, _)| mark);
        left_out.push(format!("{n} {what} (each marked below with `-- {mark}`)"));
    }
    for (what, n) in &counts {
        left_out.push(format!("{n} {what}"));
    }
    if unassigned > 0 {
        left_out.push(format!(
            "{unassigned} tables no pattern assigns (`silo-plan check` reports them)"
        ));
    }
    tables.sort();
    shared_tables.sort();
    SiloSchema {
        silo: name.to_string(),
        files: cat.files.clone(),
        tables,
        shared: shared_tables,
        left_out,
        items,
    }
}

const CUT: &str = "cut from this CREATE TABLE:";
const CUT_ALTER: &str = "cut from this ALTER TABLE:";
const CUT_DROPPED: &str = "cut (a later statement drops it):";
const CUT_REJECTED: &str = "cut (Postgres rejects it):";
/// The marks of the notes on statements something was cut out of, and the header line each
/// is counted under.
const CUTS: [(&str, &str); 4] = [
    (
        CUT,
        "cross-silo foreign keys written inside CREATE TABLE, cut out of it",
    ),
    (
        CUT_ALTER,
        "cross-silo foreign keys added by an ALTER TABLE with other actions, cut out of it",
    ),
    (
        CUT_DROPPED,
        "foreign keys a later statement drops, cut out of the statements that add and drop them",
    ),
    (
        CUT_REJECTED,
        "foreign keys Postgres rejects (`silo-plan check` reports them), cut out of their statements",
    ),
];
/// Statements a later statement undoes.
const UNDONE: &str = "statements a later statement undoes (about objects it drops, and the drops)";
/// Foreign keys Postgres rejects, left out.
const REJECTED: &str = "foreign keys Postgres rejects (`silo-plan check` reports them)";
/// Statements a key could not be cut out of (not expected; said loudly).
const NOT_CUT: &str =
    "statements silo-plan could not cut a foreign key out of, left out whole (see the WARNING)";

const ELSEWHERE: &str = "statements about other silos' tables, views, sequences and functions";

fn heading(st: &Stmt) -> &'static str {
    match st.kind {
        StmtKind::ForeignKey => "foreign keys that cross silos",
        StmtKind::View => "views that read other silos",
        StmtKind::Function => "functions that use other silos' tables and nothing here calls",
        StmtKind::Sequence => "sequence ownerships by other silos' tables",
        StmtKind::Policy => "policies that read other silos' tables",
        _ => "other statements that name other silos' tables",
    }
}

enum Decision {
    /// Kept: the statement rewritten (`None`: as the dump writes it) and notes for the
    /// reviewer.
    Keep(Option<String>, Vec<String>),
    Out(Out),
}

/// Kept as written, without notes.
fn kept() -> Decision {
    Decision::Keep(None, Vec::new())
}

/// Decides one statement for one silo.
fn decide(s: &mut Silo, i: usize, st: &Stmt) -> Decision {
    let sh = s.sh;
    if sh.prelude[i] {
        return Decision::Out(Out::Counted(
            "statements of the dump's `--clean` prelude (DROP ... IF EXISTS; the database is empty)",
        ));
    }
    if st.superseded {
        return Decision::Out(Out::Counted(UNDONE));
    }
    match st.kind {
        StmtKind::Session | StmtKind::Schema | StmtKind::Extension | StmtKind::Type => kept(),
        StmtKind::Drop => Decision::Out(Out::Counted(
            "DROP statements (the file is for an empty database)",
        )),
        // The text only where it is read: slicing it touches the dump's bytes (a cache miss
        // per statement at 100k tables), and most statements are decided without it.
        StmtKind::Data => data(s, sh.text(st)),
        StmtKind::Function => function(s, st),
        StmtKind::Table => table(s, st, sh.text(st)),
        StmtKind::ForeignKey | StmtKind::AlterTable
            if !sh.alter_cuts.is_empty() && sh.alter_cuts.contains(&key(&st.span)) =>
        {
            alter(s, st)
        }
        StmtKind::ForeignKey => match st.fk {
            Some(k) => foreign_key(s, st, k),
            None => subject_rel(s, st),
        },
        StmtKind::Sequence => {
            let Some((q, rel)) = sh.subject(st) else {
                return kept();
            };
            if !s.rel_is_here(rel) {
                return Decision::Out(Out::Elsewhere);
            }
            let seq = match rel {
                Some(Rel::Sequence(i)) => sh.input.cat.sequences.get(i),
                _ => None,
            };
            // Tokenized only for a sequence here whose owner is not (rare): a dump has a few
            // statements per sequence, and one sequence per table is common.
            let owns = || {
                let t = tokenize(sh.text(st), 64, false);
                (0..t.len()).any(|k| t.are(k, &["OWNED", "BY"]))
            };
            match seq.and_then(|x| x.owned_by.as_ref()) {
                Some(o) if !s.table_here(&o.table) && owns() => Decision::Out(Out::Comment(format!(
                    "left out: sequence {} OWNED BY {}.{} ({}); here the sequence only feeds defaults",
                    qualified(q),
                    qualified(&o.table),
                    ident(&o.column),
                    s.where_is(&o.table)
                ))),
                _ => kept(),
            }
        }
        StmtKind::View => {
            let Some((_, rel)) = sh.subject(st) else {
                return kept();
            };
            match rel {
                Some(Rel::View(v)) => match s.view_here(v) {
                    Ok(()) => kept(),
                    Err(why) => Decision::Out(Out::Comment(format!("left out: {why}"))),
                },
                _ => subject_rel(s, st),
            }
        }
        StmtKind::Policy => {
            if let Some((_, rel)) = sh.subject(st) {
                if !s.rel_is_here(rel) {
                    return Decision::Out(Out::Elsewhere);
                }
            }
            reads_elsewhere(s, sh.text(st), "policy")
        }
        StmtKind::Other => reads_elsewhere(s, sh.text(st), "statement"),
        StmtKind::Comment | StmtKind::Grant | StmtKind::Owner => {
            let Some((q, rel)) = sh.subject(st) else {
                return kept();
            };
            let kind = sh
                .attached
                .get(&key(&st.span))
                .map(|a| a.object_kind.as_str())
                .unwrap_or("");
            let here = if matches!(kind, "function" | "procedure" | "aggregate" | "routine") {
                s.function_here(q)
            } else if matches!(kind, "type" | "domain") {
                true
            } else {
                s.rel_is_here(rel)
            };
            if here {
                kept()
            } else {
                Decision::Out(Out::Elsewhere)
            }
        }
        StmtKind::AlterTable | StmtKind::Index | StmtKind::Trigger => subject_rel(s, st),
    }
}

/// Kept when its subject relation is here (or it has none).
fn subject_rel(s: &mut Silo, st: &Stmt) -> Decision {
    match s.sh.subject(st) {
        Some((_, rel)) if !s.rel_is_here(rel) => Decision::Out(Out::Elsewhere),
        _ => kept(),
    }
}

fn function(s: &mut Silo, st: &Stmt) -> Decision {
    let Some(q) = s.sh.input.cat.subject(st) else {
        return kept();
    };
    let outside = s.fn_outside(q);
    if outside.is_empty() {
        return if s.function_here(q) {
            kept()
        } else {
            // Its triggers are all on other silos' tables.
            Decision::Out(Out::Elsewhere)
        };
    }
    let list = |v: &[&QName]| {
        v.iter()
            .map(|t| format!("{} ({})", qualified(t), s.where_is(t)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if s.function_here(q) {
        Decision::Keep(
            None,
            vec![format!(
                "coupling: function {} is used here but names {}: those statements fail in this \
                 database until they go through the other silo",
                qualified(q),
                list(&outside)
            )],
        )
    } else {
        Decision::Out(Out::Comment(format!(
            "left out: function {} names {}, and nothing in this silo calls it",
            qualified(q),
            list(&outside)
        )))
    }
}

fn table(s: &mut Silo, st: &Stmt, text: &str) -> Decision {
    let Some((_, rel)) = s.sh.subject(st) else {
        return kept();
    };
    if !s.rel_is_here(rel) {
        return Decision::Out(Out::Elsewhere);
    }
    let sh = s.sh;
    let cat = sh.input.cat;
    let mut cut: Vec<&ForeignKey> = Vec::new();
    let mut notes = Vec::new();
    for &k in sh.fks_of_stmt.get(&key(&st.span)).into_iter().flatten() {
        if let Some(why) = fk_left_out(s, k) {
            cut.push(&cat.foreign_keys[k]);
            notes.push(format!("{CUT} {why}"));
        }
    }
    if !sh.gone_of_stmt.is_empty() {
        for (fk, gone) in sh.gone_of_stmt.get(&key(&st.span)).into_iter().flatten() {
            cut.push(fk);
            notes.push(gone_note(sh, fk, gone));
        }
    }
    if cut.is_empty() {
        return kept();
    }
    match strip_inline_fks(text, &cut) {
        Some(sql) => Decision::Keep(Some(sql), notes),
        None => {
            // Not expected (the reader found these constraints in this text); keep the
            // statement as written so that loading fails loudly rather than silently.
            notes.push(
                "WARNING: silo-plan could not cut the inline foreign keys above out of this \
                 statement; it is kept as written and will fail on the missing parent"
                    .into(),
            );
            Decision::Keep(None, notes)
        }
    }
}

/// FK `a → b` as the statement adding it writes it (notes about keys not in the catalog).
fn written_edge(fk: &ForeignKey) -> String {
    let (columns, references) = fk.as_written();
    format!(
        "FK {} {}({}) → {}",
        ident(&fk.name),
        qualified(&fk.table),
        ident_list(columns),
        qualified(references)
    )
}

/// The note on a statement a foreign key that is not in the final schema was cut out of.
fn gone_note(sh: &Shared, fk: &ForeignKey, gone: &Gone) -> String {
    match gone {
        Gone::Dropped(at) => format!(
            "{CUT_DROPPED} {}, dropped at {}",
            written_edge(fk),
            sh.at(at)
        ),
        Gone::Rejected(why) => format!("{CUT_REJECTED} {}: {why}", written_edge(fk)),
    }
}

/// An `ALTER TABLE` that adds a foreign key to leave out here, or one a later statement drops
/// or Postgres rejects, or that drops such a key: those actions cut out, the statement kept
/// when other actions remain, else left out.
fn alter(s: &mut Silo, st: &Stmt) -> Decision {
    let sh = s.sh;
    let cat = sh.input.cat;
    // A rename or validation of a key (not its `ADD`): as the key goes.
    if let Some(k) = st.fk {
        if cat.foreign_keys[k].span != st.span {
            return foreign_key(s, st, k);
        }
    }
    if let Some((_, rel)) = sh.subject(st) {
        if !s.rel_is_here(rel) {
            return Decision::Out(Out::Elsewhere);
        }
    }
    let at = key(&st.span);
    let mut cut: Vec<&ForeignKey> = Vec::new();
    let mut notes = Vec::new();
    // Why the whole statement goes, when nothing else is in it.
    let mut crossing = Vec::new();
    let mut rejected = Vec::new();
    for &k in sh.fks_of_stmt.get(&at).into_iter().flatten() {
        if let Some(why) = fk_left_out(s, k) {
            cut.push(&cat.foreign_keys[k]);
            notes.push(format!("{CUT_ALTER} {why}"));
            crossing.push(why);
        }
    }
    for (fk, gone) in sh.gone_of_stmt.get(&at).into_iter().flatten() {
        cut.push(fk);
        notes.push(gone_note(sh, fk, gone));
        if let Gone::Rejected(why) = gone {
            rejected.push(format!("{}: {why}", written_edge(fk)));
        }
    }
    let drops: Vec<&str> = sh
        .drops_of_stmt
        .get(&at)
        .into_iter()
        .flatten()
        .copied()
        .collect();
    if cut.is_empty() && drops.is_empty() {
        return kept();
    }
    match strip_alter_fks(sh.text(st), &cut, &drops) {
        Some(Some(sql)) => Decision::Keep(Some(sql), notes),
        Some(None) if !crossing.is_empty() => {
            Decision::Out(Out::Comment(format!("left out: {}", crossing.join("; "))))
        }
        Some(None) if !rejected.is_empty() => Decision::Out(Out::CommentUnder(
            REJECTED,
            format!("left out: {}", rejected.join("; ")),
        )),
        Some(None) => Decision::Out(Out::Counted(UNDONE)),
        // Not expected (the reader found these actions in this text): leaving the statement
        // out loses its other actions, keeping it would add what must not be here; say so.
        None => Decision::Out(Out::CommentUnder(
            NOT_CUT,
            format!(
                "left out: WARNING: silo-plan could not cut these out of this statement, which \
                 also does more: {}",
                notes.join("; ")
            ),
        )),
    }
}

fn foreign_key(s: &mut Silo, st: &Stmt, k: usize) -> Decision {
    let fk = &s.sh.input.cat.foreign_keys[k];
    // The child's placement by position when it is a table of the assignment (the same answer
    // as `rel_here`, which looks it up by name).
    let here = match s.sh.fk_child_home[k] {
        Some(h) => s.home_here(h),
        None => s.rel_here(&fk.table),
    };
    if !here {
        return Decision::Out(Out::Elsewhere);
    }
    match fk_left_out(s, k) {
        // The statement that adds the key may do more (`ADD COLUMN ..., ADD CONSTRAINT ...`):
        // then only the key is cut out of it. Without a comma it does nothing else (pg_dump's
        // one key per statement: not tokenized).
        Some(why) if fk.span == st.span && s.sh.text(st).contains(',') => {
            match strip_alter_fks(s.sh.text(st), &[fk], &[]) {
                Some(Some(sql)) => Decision::Keep(Some(sql), vec![format!("{CUT_ALTER} {why}")]),
                _ => Decision::Out(Out::Comment(format!("left out: {why}"))),
            }
        }
        Some(why) => Decision::Out(Out::Comment(format!("left out: {why}"))),
        None => subject_rel(s, st),
    }
}

/// Why foreign key `k` (whose child is here) is left out of this silo, or `None` to keep it.
fn fk_left_out(s: &Silo, k: usize) -> Option<String> {
    let sh = s.sh;
    let input = sh.input;
    let fk = &input.cat.foreign_keys[k];
    // Only a key left out is described (most keys are kept).
    let edge = || {
        format!(
            "FK {} {}({}) → {}({})",
            ident(&fk.name),
            qualified(&fk.table),
            ident_list(&fk.columns),
            qualified(&fk.references),
            ident_list(&fk.referenced_columns)
        )
    };
    if let Some(c) = sh.crossing.get(&k) {
        let (action, source) = effective_action(input.cat, input.cfg, input.rules, k);
        let why = match source {
            ActionSource::Declared => "declared".to_string(),
            ActionSource::Default => "NO ACTION in the dump, defaults.on_delete".to_string(),
            ActionSource::Override(p) => {
                format!("[[edges]] at {}:{}", input.cfg.path, p.line)
            }
            other => other.text().to_string(),
        };
        let child_silo = if c.child_silo == "shared" {
            s.name
        } else {
            c.child_silo.as_str()
        };
        let how = match action {
            EdgeAction::Restrict => "cannot be enforced across databases: the application \
                                     checks before deleting"
                .to_string(),
            EdgeAction::Ignore => "is not replicated ([[edges]] says ignore)".to_string(),
            _ => format!("is replicated by cascades/{child_silo}.sql"),
        };
        let allowed = c
            .allowed_by
            .and_then(|a| input.cfg.allow.get(a))
            .map(|a| format!(" (crossing allowed for now: {})", a.reason))
            .unwrap_or_default();
        let to = if c.parent_silo == "shared" {
            "the shared tables".to_string()
        } else {
            format!("silo {}", c.parent_silo)
        };
        // A Postgres 15 `SET NULL (cols)` list is part of the action being replicated.
        let list = match action {
            EdgeAction::SetNull | EdgeAction::SetDefault if !fk.on_delete_columns.is_empty() => {
                format!(" ({})", ident_list(&fk.on_delete_columns))
            }
            _ => String::new(),
        };
        return Some(format!(
            "{} crosses to {to}; its ON DELETE {}{list} ({why}) {how}{allowed}",
            edge(),
            action.fk_action().map_or("(ignore)", FkAction::sql)
        ));
    }
    match input.asg.fk_placements(k, fk).1 {
        Some(Placement::Unassigned) => Some(format!(
            "{}: the parent is in no silo (`silo-plan check` reports it)",
            edge()
        )),
        _ => None,
    }
}

/// Data statements: kept for shared tables (and sequences no table of a silo owns or uses).
fn data(s: &mut Silo, text: &str) -> Decision {
    const ROWS: &str =
        "data statements (INSERT, setval) for this silo's tables: rows arrive by replication";
    let t = tokenize(text, 16, false);
    if t.is(0, "INSERT") && t.is(1, "INTO") {
        if let Some((parts, _)) = t.name(2) {
            if let Some(q) = resolve_table(s.sh, &parts) {
                if matches!(s.placement(&q), Some(Placement::Shared)) {
                    return kept();
                }
                if !s.table_here(&q) {
                    return Decision::Out(Out::Elsewhere);
                }
            }
        }
        return Decision::Out(Out::Counted(ROWS));
    }
    if t.is(0, "SELECT") {
        let seq = (0..t.len())
            .find(|&k| t.kind(k) == Some(Tok::Str))
            .and_then(|k| t.string(k))
            .and_then(|name| {
                let nt = tokenize(&name, 8, false);
                nt.name(0).map(|(p, _)| p)
            });
        if let Some(parts) = seq {
            let cat = s.sh.input.cat;
            let found = s
                .sh
                .seqs_by_name
                .get(parts[parts.len() - 1].as_str())
                .and_then(|v| {
                    let mut m = v.iter().copied().filter(|&i| {
                        parts.len() < 2 || cat.sequences[i].name.schema == parts[parts.len() - 2]
                    });
                    match (m.next(), m.next()) {
                        (Some(i), None) => Some(i),
                        _ => None,
                    }
                });
            if let Some(i) = found {
                let sq = &s.sh.input.cat.sequences[i];
                if !s.sequence_here(i) {
                    return Decision::Out(Out::Elsewhere);
                }
                let shared_only = sq
                    .owned_by
                    .iter()
                    .map(|o| &o.table)
                    .chain(sq.used_by.iter().map(|u| &u.table))
                    .all(|t| matches!(s.placement(t), Some(Placement::Shared)));
                if shared_only {
                    return kept();
                }
            }
        }
        return Decision::Out(Out::Counted(ROWS));
    }
    Decision::Out(Out::Counted(
        "COPY blocks (data; rows arrive by replication)",
    ))
}

fn resolve_table(sh: &Shared, parts: &[String]) -> Option<QName> {
    match parts {
        [.., sc, n] => Some(QName::new(sc.clone(), n.clone())),
        [n] => {
            let mut named = sh.by_name.get(n.as_str());
            match (named.next(), named.next()) {
                (Some(t), None) => Some(t.qname()),
                _ => None,
            }
        }
        [] => None,
    }
}

/// Left out (with a comment) when the statement reads a table of another silo: a name after
/// `FROM`, `JOIN`, `TABLE`, `ON` or `TO` (and after commas following it) that is a catalog table.
fn reads_elsewhere(s: &mut Silo, text: &str, what: &str) -> Decision {
    let t = tokenize(text, usize::MAX, false);
    let mut outside = BTreeSet::new();
    for k in 0..t.len() {
        if !["FROM", "JOIN", "TABLE", "ON", "TO"]
            .iter()
            .any(|w| t.is(k, w))
        {
            continue;
        }
        let mut j = k + 1;
        if t.is(j, "ONLY") {
            j += 1;
        }
        while let Some((parts, next)) = t.name(j) {
            if let Some(q) = resolve_table(s.sh, &parts) {
                if s.table_elsewhere(&q) {
                    outside.insert(q);
                }
            }
            if !t.punct(next, b',') {
                break;
            }
            j = next + 1;
        }
    }
    if outside.is_empty() {
        return kept();
    }
    let list = outside
        .iter()
        .map(|q| format!("{} ({})", qualified(q), s.where_is(q)))
        .collect::<Vec<_>>()
        .join(", ");
    let head = t.slice(0, 2.min(t.len().saturating_sub(1)));
    Decision::Out(Out::Comment(format!(
        "left out: {what} `{head} ...` reads {list}"
    )))
}

// ---------------------------------------------------------------------------------------------
// Cutting inline foreign keys out of CREATE TABLE.

/// Words that start a column constraint (where an inline `REFERENCES` clause ends).
const COLUMN_CONSTRAINT: &[&str] = &[
    "CONSTRAINT",
    "NULL",
    "DEFAULT",
    "CHECK",
    "UNIQUE",
    "PRIMARY",
    "GENERATED",
    "COLLATE",
    "REFERENCES",
];

/// `CREATE TABLE` text without the inline foreign keys `cut` (column `REFERENCES` clauses and
/// table `FOREIGN KEY` constraints), each matched by its columns and referenced table as
/// written. `None` when one of them is not found.
pub fn strip_inline_fks(sql: &str, cut: &[&ForeignKey]) -> Option<String> {
    let t = tokenize(sql, usize::MAX, false);
    let open = (0..t.len()).find(|&k| t.punct(k, b'('))?;
    let close = t.close_paren(open)?;
    let groups = t.comma_groups(open, close);
    let mut cx = Cutting {
        t: &t,
        groups: &groups,
        cut,
        found: vec![false; cut.len()],
        remove: Vec::new(),
        whole: Vec::new(),
    };
    for (g, &(a, b)) in groups.iter().enumerate() {
        let c = if t.is(a, "CONSTRAINT") { a + 2 } else { a };
        if t.are(c, &["FOREIGN", "KEY"]) {
            cx.table_constraint(g, c)?;
        } else {
            cx.column_references(a, b)?;
        }
    }
    cx.finish(sql).map(|(text, _)| text)
}

/// `ALTER TABLE` text without the actions that add the foreign keys `cut` (`ADD [CONSTRAINT n]
/// FOREIGN KEY`, or the `REFERENCES` clause of an `ADD COLUMN`) or drop the constraints named
/// in `drops` (`DROP CONSTRAINT [IF EXISTS] n`). `None` when one of them is not found;
/// `Some(None)` when no action is left.
pub fn strip_alter_fks(sql: &str, cut: &[&ForeignKey], drops: &[&str]) -> Option<Option<String>> {
    let t = tokenize(sql, usize::MAX, false);
    let mut i = if t.is(1, "FOREIGN") { 3 } else { 2 };
    if t.are(i, &["IF", "EXISTS"]) {
        i += 2;
    }
    if t.is(i, "ONLY") {
        i += 1;
    }
    let (_, mut next) = t.name(i)?;
    if t.punct(next, b'*') {
        next += 1;
    }
    // The actions: the comma groups after the name (`comma_groups` takes the tokens strictly
    // between its bounds).
    let groups = t.comma_groups(next.checked_sub(1)?, t.len());
    let mut cx = Cutting {
        t: &t,
        groups: &groups,
        cut,
        found: vec![false; cut.len()],
        remove: Vec::new(),
        whole: Vec::new(),
    };
    let mut dropped = vec![false; drops.len()];
    for (g, &(a, b)) in groups.iter().enumerate() {
        if t.is(a, "ADD") {
            let c = if t.is(a + 1, "CONSTRAINT") {
                a + 3
            } else {
                a + 1
            };
            if t.are(c, &["FOREIGN", "KEY"]) {
                cx.table_constraint(g, c)?;
                continue;
            }
            let mut c = a + 1;
            if t.is(c, "COLUMN") {
                c += 1;
            }
            if t.are(c, &["IF", "NOT", "EXISTS"]) {
                c += 3;
            }
            if c <= b {
                cx.column_references(c, b)?;
            }
        } else if t.are(a, &["DROP", "CONSTRAINT"]) {
            let n = if t.are(a + 2, &["IF", "EXISTS"]) {
                a + 4
            } else {
                a + 2
            };
            let name = t.ident(n);
            if let Some(j) =
                (0..drops.len()).find(|&j| !dropped[j] && name.as_deref() == Some(drops[j]))
            {
                dropped[j] = true;
                cx.remove_group(g);
            }
        }
    }
    if dropped.iter().any(|d| !d) {
        return None;
    }
    let (text, whole) = cx.finish(sql)?;
    Some((whole < groups.len()).then_some(text))
}

/// Cutting foreign keys out of a statement's comma-separated parts.
struct Cutting<'t, 'a, 'f> {
    t: &'t Tokens<'a>,
    /// The parts (token ranges).
    groups: &'t [(usize, usize)],
    /// The keys to cut, and which were found.
    cut: &'t [&'f ForeignKey],
    found: Vec<bool>,
    /// Byte ranges to remove inside a part.
    remove: Vec<(usize, usize)>,
    /// Parts to remove whole.
    whole: Vec<usize>,
}

impl Cutting<'_, '_, '_> {
    /// Removes part `g` (with a comma that separates it from a part that stays).
    fn remove_group(&mut self, g: usize) {
        self.whole.push(g);
    }

    /// A table constraint `[CONSTRAINT n] FOREIGN KEY (cols) REFERENCES parent ...` in part
    /// `g`, `FOREIGN` at `c`: removed when it is one of the keys to cut.
    fn table_constraint(&mut self, g: usize, c: usize) -> Option<()> {
        let t = self.t;
        let cols = paren_idents(t, c + 2)?;
        let r = t.find_word(c + 2, "REFERENCES")?;
        let (parts, _) = t.name(r + 1)?;
        if let Some(i) = matching(self.cut, &cols, &parts, &self.found) {
            self.found[i] = true;
            self.remove_group(g);
        }
        Some(())
    }

    /// A column `name type ... [CONSTRAINT n] REFERENCES parent [(cols)] [options]` from token
    /// `a` to `b`: its `REFERENCES` clause removed when it is one of the keys to cut.
    fn column_references(&mut self, a: usize, b: usize) -> Option<()> {
        let t = self.t;
        let Some(col) = t.ident(a) else {
            return Some(());
        };
        let mut depth = 0usize;
        let mut k = a + 1;
        while k <= b {
            match t.kind(k) {
                Some(Tok::Punct(b'(')) => depth += 1,
                Some(Tok::Punct(b')')) => depth = depth.saturating_sub(1),
                _ if depth == 0 && t.is(k, "REFERENCES") => {
                    let start = if k >= a + 2 && t.is(k - 2, "CONSTRAINT") {
                        k - 2
                    } else {
                        k
                    };
                    let mut end = k + 1;
                    let mut d = 0usize;
                    while end <= b {
                        match t.kind(end) {
                            Some(Tok::Punct(b'(')) => d += 1,
                            Some(Tok::Punct(b')')) => d = d.saturating_sub(1),
                            _ if d == 0 && end > k + 1 => {
                                let starts = COLUMN_CONSTRAINT.iter().any(|w| t.is(end, w))
                                    || (t.is(end, "NOT") && t.is(end + 1, "NULL"));
                                if starts {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        end += 1;
                    }
                    let (parts, _) = t.name(k + 1)?;
                    let cols = std::slice::from_ref(&col);
                    if let Some(i) = matching(self.cut, cols, &parts, &self.found) {
                        self.found[i] = true;
                        self.remove.push((t.toks[start].start, t.toks[end - 1].end));
                    }
                    k = end;
                    continue;
                }
                _ => {}
            }
            k += 1;
        }
        Some(())
    }

    /// The text without the removed ranges, and how many whole parts were removed; `None`
    /// when a key to cut was not found.
    fn finish(mut self, sql: &str) -> Option<(String, usize)> {
        if self.found.iter().any(|f| !f) {
            return None;
        }
        let (t, groups) = (self.t, self.groups);
        self.whole.sort_unstable();
        self.whole.dedup();
        // Each run of neighbouring parts removed goes with the comma before it, or (a run at
        // the start) the comma after it, so the parts that stay keep one comma between each.
        let mut k = 0;
        while k < self.whole.len() {
            let first = self.whole[k];
            let mut last = first;
            while k + 1 < self.whole.len() && self.whole[k + 1] == last + 1 {
                k += 1;
                last += 1;
            }
            k += 1;
            let range = if first > 0 {
                (t.toks[groups[first - 1].1].end, t.toks[groups[last].1].end)
            } else if let Some(next) = groups.get(last + 1) {
                (t.toks[groups[first].0].start, t.toks[next.0].start)
            } else {
                (t.toks[groups[first].0].start, t.toks[groups[last].1].end)
            };
            self.remove.push(range);
        }
        self.remove.sort_unstable();
        let mut out = String::with_capacity(sql.len());
        let mut at = 0;
        for (x, y) in self.remove {
            out.push_str(sql.get(at..x.max(at))?);
            at = at.max(y);
        }
        out.push_str(sql.get(at..)?);
        Some((out, self.whole.len()))
    }
}

fn paren_idents(t: &Tokens<'_>, open: usize) -> Option<Vec<String>> {
    if !t.punct(open, b'(') {
        return None;
    }
    let close = t.close_paren(open)?;
    Some((open + 1..close).filter_map(|k| t.ident(k)).collect())
}

fn matching(
    cut: &[&ForeignKey],
    cols: &[String],
    parent: &[String],
    found: &[bool],
) -> Option<usize> {
    let name = parent.last()?;
    cut.iter().enumerate().position(|(i, fk)| {
        let (columns, references) = fk.as_written();
        !found[i]
            && columns == cols
            && &references.name == name
            && (parent.len() < 2 || references.schema == parent[parent.len() - 2])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fk(cols: &[&str], parent: &str) -> ForeignKey {
        ForeignKey {
            name: "x".into(),
            table: QName::new("public", "child"),
            columns: cols.iter().map(|c| c.to_string()).collect(),
            references: QName::new("public", parent),
            referenced_columns: vec!["id".into()],
            on_delete: Default::default(),
            on_delete_columns: Vec::new(),
            on_update: Default::default(),
            deferrable: false,
            initially_deferred: false,
            match_kind: Default::default(),
            not_valid: false,
            span: Span::default(),
            written: None,
            reference: None,
        }
    }

    #[test]
    fn cuts_column_and_table_foreign_keys() {
        let sql = "CREATE TABLE child (\n    id int PRIMARY KEY,\n    a int NOT NULL CONSTRAINT a_fk REFERENCES public.pa(id) ON DELETE CASCADE DEFERRABLE,\n    b int REFERENCES pb NOT NULL,\n    c int,\n    CONSTRAINT c_fk FOREIGN KEY (c) REFERENCES pc (id) MATCH FULL\n)";
        let (a, b, c) = (fk(&["a"], "pa"), fk(&["b"], "pb"), fk(&["c"], "pc"));
        let out = strip_inline_fks(sql, &[&a, &b, &c]).unwrap();
        assert_eq!(
            out,
            "CREATE TABLE child (\n    id int PRIMARY KEY,\n    a int NOT NULL ,\n    b int  NOT NULL,\n    c int\n)"
        );
        let first = "CREATE TABLE child (FOREIGN KEY (c) REFERENCES pc, c int)";
        assert_eq!(
            strip_inline_fks(first, &[&c]).unwrap(),
            "CREATE TABLE child (c int)"
        );
        assert!(strip_inline_fks(first, &[&a]).is_none());
    }

    /// `ALTER TABLE` actions cut out with one comma between the ones that stay, whichever
    /// neighbours go; nothing left is said; a key not there is `None`.
    #[test]
    fn cuts_alter_table_actions() {
        let (a, b, c) = (fk(&["a"], "pa"), fk(&["b"], "pb"), fk(&["c"], "pc"));
        let sql = "ALTER TABLE ONLY public.child ADD CONSTRAINT a_fk FOREIGN KEY (a) REFERENCES pa(id), \
                   ADD FOREIGN KEY (b) REFERENCES public.pb, ADD COLUMN z int, \
                   ADD COLUMN c int NOT NULL REFERENCES pc ON DELETE CASCADE, DROP CONSTRAINT IF EXISTS old_fk";
        let cut = |keys: &[&ForeignKey], drops: &[&str]| strip_alter_fks(sql, keys, drops);
        assert_eq!(
            cut(&[&a, &b], &[]).unwrap().unwrap(),
            "ALTER TABLE ONLY public.child ADD COLUMN z int, \
                   ADD COLUMN c int NOT NULL REFERENCES pc ON DELETE CASCADE, DROP CONSTRAINT IF EXISTS old_fk"
        );
        assert_eq!(
            cut(&[&b, &c], &["old_fk"]).unwrap().unwrap(),
            "ALTER TABLE ONLY public.child ADD CONSTRAINT a_fk FOREIGN KEY (a) REFERENCES pa(id), \
                   ADD COLUMN z int, \
                   ADD COLUMN c int NOT NULL "
        );
        let only = "ALTER TABLE t ADD CONSTRAINT a_fk FOREIGN KEY (a) REFERENCES pa (id) NOT VALID";
        assert_eq!(strip_alter_fks(only, &[&a], &[]), Some(None));
        let drop = "ALTER TABLE t DROP CONSTRAINT a_fk, DROP CONSTRAINT \"B\" CASCADE";
        assert_eq!(strip_alter_fks(drop, &[], &["a_fk", "B"]), Some(None));
        assert_eq!(
            strip_alter_fks(drop, &[], &["B"]).unwrap().unwrap(),
            "ALTER TABLE t DROP CONSTRAINT a_fk"
        );
        // The key as its statement wrote it, before a rename.
        let mut renamed = fk(&["a2"], "pa2");
        renamed.written = Some(Box::new(crate::catalog::FkWritten {
            columns: vec!["a".into()],
            references: QName::new("public", "pa"),
        }));
        assert_eq!(strip_alter_fks(only, &[&renamed], &[]), Some(None));
        assert_eq!(strip_alter_fks(only, &[&b], &[]), None);
        assert_eq!(strip_alter_fks(drop, &[], &["c_fk"]), None);
    }
}
