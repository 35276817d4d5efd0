//! Resolving the silo map against a catalog: which silo each table (and view) goes to, and why.
//!
//! Rules (DESIGN.md, "Inputs"):
//!
//! * a pattern without a dot is in the config's `default_schema`; `auth.*` is a whole schema;
//!   `*` matches any run of characters and `?` one character, in both parts;
//! * names compare exactly (case-sensitive) with the catalog's names, which are already folded
//!   as Postgres folds them;
//! * an exact name beats any glob; between globs, the one with more literal characters in the
//!   table-name part wins, then the one with more in the schema part; a tie between patterns of
//!   different places (two silos, or a silo and `[shared]`) is an error naming both;
//! * a partition (`Table::partition_of`, transitively) follows its parent: a pattern that puts it
//!   elsewhere is an error, and a partition no pattern matches inherits its parent's silo;
//! * a pattern that matches no table (nor view) is an error naming the nearest names;
//! * a table no pattern matches is [`Placement::Unassigned`]: not an error here, `check` reports
//!   it.
//!
//! [`match_rules`] does the same for `[[edges]]` and `[[allow]]` against foreign keys.

use std::collections::{BTreeMap, HashMap};

use rustc_hash::FxHashMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::{Catalog, ForeignKey, QName};
use crate::config::{backticked, nearest, split_pattern, Config, ConfigError, Pattern, Selector};

/// Where a table goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// Into the named silo.
    Silo(String),
    /// Into every silo (`[shared]`): schema copied, data not split.
    Shared,
    /// No pattern matches it.
    Unassigned,
}

impl Placement {
    /// The silo's name, `shared` or `unassigned` (silos cannot take those names).
    pub fn name(&self) -> &str {
        match self {
            Placement::Silo(s) => s,
            Placement::Shared => "shared",
            Placement::Unassigned => "unassigned",
        }
    }

    /// `silo `x`` or `[shared]`, for messages.
    fn describe(&self) -> String {
        match self {
            Placement::Silo(s) => format!("silo `{s}`"),
            Placement::Shared => "[shared]".into(),
            Placement::Unassigned => "no silo".into(),
        }
    }
}

/// Where one table goes and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Decision {
    /// Where it goes.
    pub placement: Placement,
    /// The pattern that matched it and decided (for a partition: its own matching pattern,
    /// which agrees with its parent); `None` when unassigned or when a partition only inherits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
    /// For a partition whose parent is in the catalog: the parent, whose placement it has
    /// (also when that is `Unassigned`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<QName>,
}

/// The resolved silo map.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, JsonSchema)]
pub struct Assignment {
    /// Every table of the catalog (all kinds, partitions included).
    pub tables: BTreeMap<QName, Decision>,
    /// Every view and materialized view of the catalog, placed by the same patterns (views have
    /// no partitions; an unmatched view is `Unassigned`).
    pub views: BTreeMap<QName, Decision>,
    /// Each table's position in `placements`: the lookup `silo_of` answers by hash, since
    /// `plan` asks it for both ends of every foreign key several times (walking `tables`, a
    /// `BTreeMap`, was a tenth of `plan::build`). Built by [`assign`] with `tables`.
    #[serde(skip)]
    #[schemars(skip)]
    index: FxHashMap<QName, usize>,
    #[serde(skip)]
    #[schemars(skip)]
    placements: Vec<Placement>,
    /// Per foreign key of the catalog, the positions in `placements` of its child and parent
    /// tables ([`NOT_A_TABLE`] for a table the catalog does not have): the cascade walks and
    /// the crossing list ask for both ends of every key, a million times on a large dump, and
    /// a position costs no hashing. Built by [`assign`].
    #[serde(skip)]
    #[schemars(skip)]
    fk_ends: Vec<[u32; 2]>,
}

/// The position of a table the catalog does not have, in [`Assignment`]'s per-key ends.
const NOT_A_TABLE: u32 = u32::MAX;

impl Assignment {
    /// The placement of a table; `None` when the catalog has no such table.
    pub fn silo_of(&self, t: &QName) -> Option<&Placement> {
        match self.index.get(t) {
            Some(&i) => self.placements.get(i),
            // An assignment built without `assign` (a struct update in a test) has no index.
            None if self.index.is_empty() => self.tables.get(t).map(|d| &d.placement),
            None => None,
        }
    }

    /// The placement of the table at position `i` of the catalog given to [`assign`], as
    /// [`silo_of`](Self::silo_of) answers for its name, without hashing it; `None` for an
    /// assignment built without `assign` (ask `silo_of`).
    pub fn placement_at(&self, i: usize) -> Option<&Placement> {
        self.placements.get(i)
    }

    /// The silo name of a table, `shared`, or `unassigned` (also for a table not in the
    /// catalog).
    pub fn silo_name(&self, t: &QName) -> &str {
        self.silo_of(t).map_or("unassigned", Placement::name)
    }

    /// The placements of foreign key `k`'s child and parent tables (each `None` when the
    /// catalog has no such table), as [`silo_of`](Self::silo_of) answers for `fk.table` and
    /// `fk.references`, where `fk` is the key at `k` in the catalog given to [`assign`].
    pub fn fk_placements(
        &self,
        k: usize,
        fk: &ForeignKey,
    ) -> (Option<&Placement>, Option<&Placement>) {
        match self.fk_ends.get(k) {
            Some(&[c, p]) => (
                self.placements.get(c as usize),
                self.placements.get(p as usize),
            ),
            // An assignment built without `assign` has no positions.
            None => (self.silo_of(&fk.table), self.silo_of(&fk.references)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Globs.

/// Whether `name` matches `glob`, where `*` matches any run of characters (also empty) and `?`
/// exactly one; every other character matches itself.
pub fn glob_match(glob: &str, name: &str) -> bool {
    // Byte indices, always on character boundaries: no allocation, one pass with backtracking
    // to the last `*` only.
    fn char_len(lead: u8) -> usize {
        match lead {
            0..=0x7f => 1,
            0x80..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        }
    }
    let (g, n) = (glob.as_bytes(), name.as_bytes());
    let (mut gi, mut ni) = (0, 0);
    // The last `*` seen, and the name position it currently absorbs up to.
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        let len = char_len(n[ni]);
        if gi < g.len() && g[gi] == b'?' {
            gi += 1;
            ni += len;
        } else if gi < g.len() && g[gi] == b'*' {
            star = Some((gi, ni));
            gi += 1;
        } else if g[gi..].starts_with(&n[ni..ni + len]) {
            // UTF-8 is prefix-free: equal bytes here are the same character.
            gi += len;
            ni += len;
        } else if let Some((sg, sn)) = star {
            let next = sn + char_len(n[sn]);
            gi = sg + 1;
            ni = next;
            star = Some((sg, next));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|&c| c == b'*')
}

fn literals(s: &str) -> usize {
    s.chars().filter(|&c| c != '*' && c != '?').count()
}

pub(crate) fn is_glob(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// A pattern ready to match: its parts, where it puts tables, and how specific it is.
struct Compiled<'c> {
    schema: &'c str,
    name: &'c str,
    exact: bool,
    /// Ordering key: (exact, literal characters of the name part, of the schema part).
    rank: (bool, usize, usize),
    placement: Placement,
    pattern: &'c Pattern,
}

fn compile(cfg: &Config) -> Vec<Compiled<'_>> {
    let mut out = Vec::new();
    let owners = cfg
        .silos
        .iter()
        .map(|s| (Placement::Silo(s.name.clone()), &s.tables))
        .chain(std::iter::once((Placement::Shared, &cfg.shared)));
    for (placement, patterns) in owners {
        for p in patterns {
            let (schema, name) = split_pattern(&p.text, &cfg.default_schema);
            let exact = !is_glob(schema) && !is_glob(name);
            out.push(Compiled {
                schema,
                name,
                exact,
                rank: (exact, literals(name), literals(schema)),
                placement: placement.clone(),
                pattern: p,
            });
        }
    }
    out
}

/// What the patterns alone decide for one relation.
struct Matcher<'c> {
    cfg: &'c Config,
    pats: Vec<Compiled<'c>>,
    exact: HashMap<(&'c str, &'c str), usize>,
    globs: Vec<usize>,
    /// How many relations each pattern matches (decided or not).
    hits: Vec<usize>,
}

impl<'c> Matcher<'c> {
    fn new(cfg: &'c Config) -> Self {
        let pats = compile(cfg);
        let mut exact = HashMap::new();
        let mut globs = Vec::new();
        for (i, p) in pats.iter().enumerate() {
            if p.exact {
                // config::parse rejects duplicates, so each (schema, name) appears once.
                exact.entry((p.schema, p.name)).or_insert(i);
            } else {
                globs.push(i);
            }
        }
        let hits = vec![0; pats.len()];
        Matcher {
            cfg,
            pats,
            exact,
            globs,
            hits,
        }
    }

    /// The deciding pattern's index, `None` when none matches; a tie between different
    /// placements is an error.
    fn decide(&mut self, q: &QName, what: &str) -> Result<Option<usize>, ConfigError> {
        let exact = self
            .exact
            .get(&(q.schema.as_str(), q.name.as_str()))
            .copied();
        if let Some(i) = exact {
            self.hits[i] += 1;
        }
        let mut best: Vec<usize> = Vec::new();
        for &i in &self.globs {
            let p = &self.pats[i];
            if glob_match(p.schema, &q.schema) && glob_match(p.name, &q.name) {
                self.hits[i] += 1;
                match best.first().map(|&b| self.pats[b].rank.cmp(&p.rank)) {
                    None | Some(std::cmp::Ordering::Equal) => best.push(i),
                    Some(std::cmp::Ordering::Less) => best = vec![i],
                    Some(std::cmp::Ordering::Greater) => {}
                }
            }
        }
        if exact.is_some() {
            return Ok(exact);
        }
        let Some(&first) = best.first() else {
            return Ok(None);
        };
        if let Some(&other) = best
            .iter()
            .find(|&&i| self.pats[i].placement != self.pats[first].placement)
        {
            let (a, b) = (&self.pats[first], &self.pats[other]);
            return Err(self
                .cfg
                .error(
                    b.pattern.pos,
                    format!(
                        "{what} `{q}` is matched equally by `{}` ({}, {}) and `{}` ({}, {})",
                        a.pattern.text,
                        a.placement.describe(),
                        a.pattern.pos,
                        b.pattern.text,
                        b.placement.describe(),
                        b.pattern.pos
                    ),
                )
                .with_help(format!(
                    "both globs have {} literal characters; list `{}` by name in the place it \
                     belongs, or make one glob longer",
                    a.rank.1,
                    display_name(q, &self.cfg.default_schema)
                )));
        }
        Ok(Some(first))
    }

    fn decision(&self, i: Option<usize>) -> Decision {
        match i {
            None => Decision {
                placement: Placement::Unassigned,
                pattern: None,
                via: None,
            },
            Some(i) => Decision {
                placement: self.pats[i].placement.clone(),
                pattern: Some(self.pats[i].pattern.clone()),
                via: None,
            },
        }
    }
}

/// `name` in the default schema, `schema.name` elsewhere.
pub(crate) fn display_name(q: &QName, default_schema: &str) -> String {
    if q.schema == default_schema {
        q.name.clone()
    } else {
        q.to_string()
    }
}

/// Resolves every table and view of `cat` to a silo, `[shared]` or unassigned.
///
/// Errors (positioned at the config pattern involved): a tie between globs of different places,
/// a partition assigned apart from its parent (or assigned while its parent is not), a pattern
/// that matches no table or view, a `tenant` that is not a table of its silo.
pub fn assign(cat: &Catalog, cfg: &Config) -> Result<Assignment, ConfigError> {
    let mut m = Matcher::new(cfg);

    // What each table's own patterns say.
    let mut own: Vec<Option<usize>> = Vec::with_capacity(cat.tables.len());
    for t in &cat.tables {
        own.push(m.decide(&t.qname(), "table")?);
    }
    let mut views = BTreeMap::new();
    for v in &cat.views {
        let i = m.decide(&v.name, "view")?;
        views.insert(v.name.clone(), m.decision(i));
    }

    // Partitions follow their parents: resolve parents first.
    let index: FxHashMap<QName, usize> = cat
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.qname(), i))
        .collect();
    let parent_of = |i: usize| -> Option<usize> {
        cat.tables[i]
            .partition_of
            .as_ref()
            .and_then(|p| index.get(p).copied())
    };
    // (decision, the pattern index that decided the root, if any)
    let mut done: Vec<Option<(Decision, Option<usize>)>> = vec![None; cat.tables.len()];
    for start in 0..cat.tables.len() {
        // The chain from `start` up to the first resolved ancestor or a root (cycle-safe).
        let mut chain = vec![start];
        while let Some(p) = parent_of(*chain.last().expect("not empty")) {
            if done[p].is_some() || chain.contains(&p) {
                break;
            }
            chain.push(p);
        }
        for &i in chain.iter().rev() {
            if done[i].is_some() {
                continue;
            }
            let t = &cat.tables[i];
            let mine = own[i];
            let parent = parent_of(i).filter(|&p| done[p].is_some());
            let resolved = match parent {
                None => (m.decision(mine), mine),
                Some(p) => {
                    let (pd, proot) = done[p].clone().expect("resolved above");
                    let pq = cat.tables[p].qname();
                    match mine {
                        None => (
                            Decision {
                                placement: pd.placement.clone(),
                                pattern: None,
                                via: Some(pq),
                            },
                            proot,
                        ),
                        Some(k) => {
                            let kp = &m.pats[k];
                            if kp.placement == pd.placement {
                                (
                                    Decision {
                                        placement: pd.placement.clone(),
                                        pattern: Some(kp.pattern.clone()),
                                        via: Some(pq),
                                    },
                                    proot,
                                )
                            } else {
                                return Err(apart(cfg, &m, t.qname(), k, &pq, &pd, proot));
                            }
                        }
                    }
                }
            };
            done[i] = Some(resolved);
        }
    }
    let decisions: Vec<Decision> = done
        .into_iter()
        .map(|d| d.expect("every table resolved").0)
        .collect();
    // `index` holds catalog positions (the catalog keeps one table per name), and so does this.
    let placements: Vec<Placement> = decisions.iter().map(|d| d.placement.clone()).collect();
    let position = |q: &QName| {
        // More than 4 billion tables cannot be read into memory in the first place.
        index.get(q).map_or(NOT_A_TABLE, |&i| i as u32)
    };
    let fk_ends: Vec<[u32; 2]> = cat
        .foreign_keys
        .iter()
        .map(|fk| [position(&fk.table), position(&fk.references)])
        .collect();
    let tables: BTreeMap<QName, Decision> = cat
        .tables
        .iter()
        .zip(decisions)
        .map(|(t, d)| (t.qname(), d))
        .collect();

    // Patterns that match nothing, first in file order.
    let mut unused: Vec<&Compiled<'_>> = m
        .pats
        .iter()
        .zip(&m.hits)
        .filter(|(_, &h)| h == 0)
        .map(|(p, _)| p)
        .collect();
    unused.sort_by_key(|p| p.pattern.pos);
    if let Some(p) = unused.first() {
        return Err(no_match(cat, cfg, p));
    }

    let asg = Assignment {
        tables,
        views,
        index,
        placements,
        fk_ends,
    };
    crate::residency::validate(cat, cfg, &asg)?;
    Ok(asg)
}

/// The "partition assigned apart from its parent" error.
fn apart(
    cfg: &Config,
    m: &Matcher<'_>,
    part: QName,
    k: usize,
    parent: &QName,
    pd: &Decision,
    proot: Option<usize>,
) -> ConfigError {
    let kp = &m.pats[k];
    let ds = &cfg.default_schema;
    let (pn, partn) = (display_name(parent, ds), display_name(&part, ds));
    match (&pd.placement, proot) {
        (Placement::Unassigned, _) | (_, None) => cfg
            .error(
                kp.pattern.pos,
                format!(
                    "partition `{part}` is put in {} by `{}`, but its parent `{parent}` is \
                     unassigned",
                    kp.placement.describe(),
                    kp.pattern.text
                ),
            )
            .with_help(format!(
                "a partition lives with its parent: assign `{pn}` (its partitions follow it)"
            )),
        (_, Some(r)) => {
            let rp = &m.pats[r];
            cfg.error(
                kp.pattern.pos,
                format!(
                    "partition assigned apart from its parent: `{part}` is put in {} by `{}`, \
                     but its parent `{parent}` is in {} by `{}` ({})",
                    kp.placement.describe(),
                    kp.pattern.text,
                    pd.placement.describe(),
                    rp.pattern.text,
                    rp.pattern.pos
                ),
            )
            .with_help(format!(
                "a partition lives with its parent: change `{}` so it does not match `{partn}`, \
                 or move `{pn}` to {}",
                kp.pattern.text,
                kp.placement.describe()
            ))
        }
    }
}

/// The "pattern matches no table" error, with the nearest names.
fn no_match(cat: &Catalog, cfg: &Config, p: &Compiled<'_>) -> ConfigError {
    let ds = &cfg.default_schema;
    let e = cfg.error(
        p.pattern.pos,
        format!("pattern `{}` matches no table", p.pattern.text),
    );
    let names: Vec<String> = cat
        .tables
        .iter()
        .map(|t| display_name(&t.qname(), ds))
        .chain(cat.views.iter().map(|v| display_name(&v.name, ds)))
        .collect();
    if names.is_empty() {
        return e.with_help(format!(
            "the dump defines no tables; check `schema` in {}",
            cfg.path
        ));
    }
    let schema_missing = p.pattern.text.contains('.')
        && !is_glob(p.schema)
        && !cat
            .tables
            .iter()
            .map(|t| t.schema.as_str())
            .chain(cat.views.iter().map(|v| v.name.schema.as_str()))
            .any(|s| s == p.schema);
    if schema_missing {
        let mut schemas: Vec<&str> = cat.tables.iter().map(|t| t.schema.as_str()).collect();
        schemas.sort();
        schemas.dedup();
        return e.with_help(format!(
            "no table is in schema `{}`; schemas with tables: {}",
            p.schema,
            backticked(nearest(p.schema, schemas, 5))
        ));
    }
    let near = nearest(&p.pattern.text, names.iter().map(String::as_str), 3);
    e.with_help(format!(
        "fix or remove it; nearest tables: {}",
        backticked(near)
    ))
}

// ---------------------------------------------------------------------------------------------
// [[edges]] and [[allow]].

/// Which `[[edges]]` and `[[allow]]` entries apply to which foreign keys.
///
/// FK indexes are into `cat.foreign_keys`; rule indexes into `cfg.edges` / `cfg.allow`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleMatches {
    /// For each foreign key, the `[[edges]]` entry that sets its replicated action, if any.
    pub edge_of_fk: Vec<Option<usize>>,
    /// For each foreign key, the `[[allow]]` entry that accepts it, if any.
    pub allow_of_fk: Vec<Option<usize>>,
    /// For each `[[edges]]` entry, the foreign keys it matches: never empty, ascending.
    pub fks_of_edge: Vec<Vec<usize>>,
    /// For each `[[allow]]` entry, the foreign keys it matches: never empty, ascending.
    pub fks_of_allow: Vec<Vec<usize>>,
}

/// Matches every `[[edges]]` and `[[allow]]` entry against the catalog's foreign keys.
///
/// `constraint = "name"` matches the foreign key with that constraint name, and
/// `"table.name"` (table in `default_schema`) or `"schema.table.name"` the one of that table;
/// `from = "table.column"` (table in `default_schema`) or `"schema.table.column"` matches every
/// foreign key of that child table whose columns include that column (so a composite key is
/// matched by any of its columns). Matching is whether or not the key crosses silos: `check`
/// decides what a non-crossing match means (a stale allow).
///
/// Returns a [`RuleMatches`]: per foreign key, the index of the one `[[edges]]` entry and the
/// one `[[allow]]` entry that apply to it (`None` when none does); per entry, the foreign keys it
/// matches. Errors, positioned at the entry's `from`/`constraint` value: a `constraint` that
/// matches keys on two or more tables (Postgres names constraints per table; the error names
/// the tables and the `table.name` forms that pick one), an entry that matches no foreign key
/// (help: the nearest constraint names, the child table's foreign-key columns, or the nearest
/// tables), and two entries of the same kind matching the same foreign key.
pub fn match_rules(cat: &Catalog, cfg: &Config) -> Result<RuleMatches, ConfigError> {
    let n = cat.foreign_keys.len();
    let mut out = RuleMatches {
        edge_of_fk: vec![None; n],
        allow_of_fk: vec![None; n],
        ..Default::default()
    };
    for (ri, rule) in cfg.edges.iter().enumerate() {
        let fks = rule_fks(cat, cfg, &rule.selector, rule.pos, "[[edges]]")?;
        claim(cat, cfg, &mut out.edge_of_fk, &fks, ri, "[[edges]]", |i| {
            cfg.edges[i].pos
        })?;
        out.fks_of_edge.push(fks);
    }
    for (ri, rule) in cfg.allow.iter().enumerate() {
        let fks = rule_fks(cat, cfg, &rule.selector, rule.pos, "[[allow]]")?;
        claim(cat, cfg, &mut out.allow_of_fk, &fks, ri, "[[allow]]", |i| {
            cfg.allow[i].pos
        })?;
        out.fks_of_allow.push(fks);
    }
    Ok(out)
}

fn claim(
    cat: &Catalog,
    cfg: &Config,
    slots: &mut [Option<usize>],
    fks: &[usize],
    rule: usize,
    kind: &str,
    pos: impl Fn(usize) -> crate::config::Pos,
) -> Result<(), ConfigError> {
    for &f in fks {
        if let Some(prev) = slots[f] {
            let fk = &cat.foreign_keys[f];
            return Err(cfg
                .error(
                    pos(rule),
                    format!(
                        "`{kind}` entries at {} and {} both match foreign key `{}` on `{}`",
                        pos(prev),
                        pos(rule),
                        fk.name,
                        fk.table
                    ),
                )
                .with_help("keep one entry per foreign key"));
        }
        slots[f] = Some(rule);
    }
    Ok(())
}

pub(crate) fn resolve_table(text: &str, default_schema: &str) -> QName {
    match text.split_once('.') {
        Some((s, t)) => QName::new(s, t),
        None => QName::new(default_schema, text),
    }
}

/// Whether `constraint = "text"` names `fk`: its name, `table.name` (table in
/// `default_schema`) or `schema.table.name`.
fn constraint_matches(fk: &ForeignKey, text: &str, default_schema: &str) -> bool {
    if fk.name == text {
        return true;
    }
    let Some(prefix) = text
        .strip_suffix(fk.name.as_str())
        .and_then(|p| p.strip_suffix('.'))
    else {
        return false;
    };
    let t = &fk.table;
    (prefix == t.name && t.schema == default_schema)
        || prefix
            .strip_suffix(t.name.as_str())
            .and_then(|p| p.strip_suffix('.'))
            .is_some_and(|schema| schema == t.schema)
}

fn fk_columns(fk: &ForeignKey) -> String {
    fk.columns.join(", ")
}

/// The foreign keys one selector matches; an error when there are none.
fn rule_fks(
    cat: &Catalog,
    cfg: &Config,
    sel: &Selector,
    pos: crate::config::Pos,
    kind: &str,
) -> Result<Vec<usize>, ConfigError> {
    let fks: Vec<usize> = cat
        .foreign_keys
        .iter()
        .enumerate()
        .filter(|(_, fk)| match sel {
            Selector::Constraint(c) => constraint_matches(fk, c, &cfg.default_schema),
            Selector::Column { table, column } => {
                fk.table == resolve_table(table, &cfg.default_schema)
                    && fk.columns.iter().any(|c| c == column)
            }
        })
        .map(|(i, _)| i)
        .collect();
    if let (Selector::Constraint(c), Some(&first)) = (sel, fks.first()) {
        // Postgres names a constraint per table: a bare name on two tables is two keys, and
        // which one the entry means is not for silo-plan to guess.
        let ds = &cfg.default_schema;
        let mut tables: Vec<&QName> = fks.iter().map(|&i| &cat.foreign_keys[i].table).collect();
        tables.sort();
        tables.dedup();
        if tables.len() > 1 {
            let name = &cat.foreign_keys[first].name;
            let qualified: Vec<String> = tables
                .iter()
                .map(|t| format!("{}.{name}", display_name(t, ds)))
                .collect();
            return Err(cfg
                .error(
                    pos,
                    format!(
                        "`{kind}` entry `{sel}` matches foreign keys on {} tables: {}",
                        tables.len(),
                        backticked(tables.iter().map(|t| display_name(t, ds)))
                    ),
                )
                .with_help(format!(
                    "a constraint name is unique only within its table: write the table before \
                     it, one of {}{}",
                    backticked(qualified.iter().take(5)),
                    if c.contains('.') {
                        " (`schema.table.constraint` names the schema too)"
                    } else {
                        ""
                    }
                )));
        }
    }
    if !fks.is_empty() {
        return Ok(fks);
    }
    let e = cfg.error(
        pos,
        format!("`{kind}` entry `{sel}` matches no foreign key"),
    );
    let ds = &cfg.default_schema;
    let help = match sel {
        Selector::Constraint(c) => {
            if cat.foreign_keys.is_empty() {
                "the dump defines no foreign keys".to_string()
            } else {
                let names = cat.foreign_keys.iter().map(|f| f.name.as_str());
                format!(
                    "nearest foreign-key names: {}",
                    backticked(nearest(c, names, 3))
                )
            }
        }
        Selector::Column { table, column } => {
            let q = resolve_table(table, ds);
            match cat.table(&q) {
                None => {
                    let names: Vec<String> = cat
                        .tables
                        .iter()
                        .map(|t| display_name(&t.qname(), ds))
                        .collect();
                    format!(
                        "no table `{q}`; nearest tables: {}",
                        backticked(nearest(table, names.iter().map(String::as_str), 3))
                    )
                }
                Some(t) => {
                    let own: Vec<&ForeignKey> =
                        cat.foreign_keys.iter().filter(|f| f.table == q).collect();
                    let has_column = t.columns.iter().any(|c| &c.name == column);
                    if own.is_empty() {
                        format!("`{table}` has no foreign keys")
                    } else {
                        let mut cols: Vec<&str> = own
                            .iter()
                            .flat_map(|f| f.columns.iter().map(String::as_str))
                            .collect();
                        cols.sort();
                        cols.dedup();
                        let lead = if has_column {
                            format!("`{table}.{column}` is in no foreign key; ")
                        } else {
                            format!("`{table}` has no column `{column}`; ")
                        };
                        let listed: Vec<String> = nearest(column, cols, 5)
                            .into_iter()
                            .map(|c| {
                                let f = own
                                    .iter()
                                    .find(|f| f.columns.iter().any(|x| x == c))
                                    .expect("column came from these keys");
                                if f.columns.len() == 1 {
                                    format!("`{c}` ({})", f.name)
                                } else {
                                    format!("`{c}` ({}: {})", f.name, fk_columns(f))
                                }
                            })
                            .collect();
                        format!("{lead}its foreign-key columns: {}", listed.join(", "))
                    }
                }
            }
        }
    };
    Err(e.with_help(help))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::dump::{read, ReadOptions};
    use crate::source::SourceFile;

    fn catalog(sql: &str) -> Catalog {
        read(
            &[SourceFile::new("t.sql", sql.to_string())],
            &ReadOptions::default(),
        )
    }

    fn config(silos: &str) -> Config {
        parse("t.toml", &format!("version = 1\n{silos}")).unwrap_or_else(|e| panic!("{e}"))
    }

    fn placed(a: &Assignment, t: &str) -> String {
        let q = match t.split_once('.') {
            Some((s, n)) => QName::new(s, n),
            None => QName::new("public", t),
        };
        a.silo_name(&q).to_string()
    }

    /// `fk_placements` answers by position what `silo_of` answers by name, for both ends of
    /// every key, also for ends the catalog does not have, and for an assignment built
    /// without `assign` (no positions).
    #[test]
    fn fk_placements_agree_with_silo_of() {
        let cat = catalog(
            "CREATE TABLE public.org (id bigint PRIMARY KEY);\n\
             CREATE TABLE public.team (id bigint PRIMARY KEY, org_id bigint);\n\
             CREATE TABLE public.log (id bigint, team_id bigint, org_id bigint);\n\
             CREATE TABLE public.free (id bigint, x bigint);\n\
             ALTER TABLE ONLY public.team ADD CONSTRAINT team_org FOREIGN KEY (org_id) REFERENCES public.org(id);\n\
             ALTER TABLE ONLY public.log ADD CONSTRAINT log_team FOREIGN KEY (team_id) REFERENCES public.team(id);\n\
             ALTER TABLE ONLY public.log ADD CONSTRAINT log_org FOREIGN KEY (org_id) REFERENCES public.org(id);\n\
             ALTER TABLE ONLY public.free ADD CONSTRAINT free_ext FOREIGN KEY (x) REFERENCES ext.elsewhere(id);\n\
             ALTER TABLE ONLY public.ghost ADD CONSTRAINT ghost_org FOREIGN KEY (org_id) REFERENCES public.org(id);\n",
        );
        // The reader rejects the keys with an end it does not define (SP015); a catalog built
        // otherwise may hold them, and the assignment must answer for them too.
        let mut cat = cat;
        let rejected = std::mem::take(&mut cat.rejected_foreign_keys);
        cat.foreign_keys
            .extend(rejected.into_iter().map(|r| r.foreign_key));
        assert_eq!(cat.foreign_keys.len(), 5, "{:?}", cat.foreign_keys);
        let cfg = config(
            "[silos.control]\ntables = [\"org\"]\n[silos.region]\ntables = [\"team\", \"log\"]\n\
             [shared]\ntables = []\n",
        );
        let a = assign(&cat, &cfg).unwrap_or_else(|e| panic!("{e}"));
        let no_positions = Assignment {
            tables: a.tables.clone(),
            views: a.views.clone(),
            ..Assignment::default()
        };
        for (i, t) in cat.tables.iter().enumerate() {
            assert_eq!(a.placement_at(i), a.silo_of(&t.qname()), "{}", t.name);
        }
        assert_eq!(no_positions.placement_at(0), None);
        let mut seen = BTreeMap::new();
        for (k, fk) in cat.foreign_keys.iter().enumerate() {
            let by_name = (a.silo_of(&fk.table), a.silo_of(&fk.references));
            assert_eq!(a.fk_placements(k, fk), by_name, "{}", fk.name);
            assert_eq!(no_positions.fk_placements(k, fk), by_name, "{}", fk.name);
            seen.insert(
                fk.name.as_str(),
                (
                    by_name.0.map(Placement::name),
                    by_name.1.map(Placement::name),
                ),
            );
        }
        // The ends the test is about: in a silo, unassigned, not in the catalog.
        assert_eq!(seen["log_team"], (Some("region"), Some("region")));
        assert_eq!(seen["team_org"], (Some("region"), Some("control")));
        assert_eq!(seen["free_ext"], (Some("unassigned"), None));
        assert_eq!(seen["ghost_org"], (None, Some("control")));
    }

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("a*", "a"));
        assert!(glob_match("a*c", "abbbc"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("*_user*", "auth_user_groups"));
        assert!(!glob_match("auth_*", "Auth_user"));
        assert!(glob_match("a*b*c", "axxbyybzc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("é?", "éx"));
        assert!(glob_match("**x", "x"));
        assert!(glob_match("?é*", "xé"));
        assert!(glob_match("*é", "ééé"));
        assert!(!glob_match("?", "éé"));
        assert!(!glob_match("", "a"));
        assert!(glob_match("", ""));
    }

    const SQL: &str = "
        CREATE TABLE public.auth_user (id int PRIMARY KEY);
        CREATE TABLE public.auth_group (id int);
        CREATE TABLE public.integ_integration (id int);
        CREATE TABLE public.integ_repository (id int, integration_id int,
            CONSTRAINT repo_integ_fk FOREIGN KEY (integration_id) REFERENCES public.integ_integration (id));
        CREATE TABLE public.org_member (id int, user_id int REFERENCES public.auth_user (id));
        CREATE TABLE public.org_mapping (id int);
        CREATE SCHEMA billing;
        CREATE TABLE billing.invoice (id int);
        CREATE TABLE billing.line (id int);
        CREATE TABLE public.event (id int, at date) PARTITION BY RANGE (at);
        CREATE TABLE public.event_2024 PARTITION OF public.event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE TABLE public.ev_default (id int, at date);
        ALTER TABLE ONLY public.event ATTACH PARTITION public.ev_default DEFAULT;
        CREATE VIEW public.org_v AS SELECT id FROM public.org_member;
    ";

    #[test]
    fn precedence() {
        let cat = catalog(SQL);
        let cfg = config(
            "[silos.control]\ntables = [\"auth_*\", \"integ_*\", \"org_mapping\"]\n\
             [silos.region]\ntables = [\"org_*\", \"integ_repo*\", \"event\", \"billing.*\"]\n",
        );
        let a = assign(&cat, &cfg).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(placed(&a, "auth_user"), "control");
        assert_eq!(placed(&a, "integ_integration"), "control");
        assert_eq!(placed(&a, "integ_repository"), "region", "longer glob wins");
        assert_eq!(placed(&a, "org_mapping"), "control", "exact beats glob");
        assert_eq!(placed(&a, "org_member"), "region");
        assert_eq!(placed(&a, "billing.invoice"), "region", "schema pattern");
        assert_eq!(placed(&a, "billing.line"), "region");
        let d = &a.tables[&QName::new("public", "org_mapping")];
        assert_eq!(d.pattern.as_ref().unwrap().text, "org_mapping");
        assert_eq!(
            a.views[&QName::new("public", "org_v")].placement,
            Placement::Silo("region".into())
        );
    }

    #[test]
    fn partitions_follow_parent() {
        let cat = catalog(SQL);
        let cfg = config(
            "[silos.control]\ntables = [\"auth_*\", \"integ_*\", \"org_*\"]\n\
             [silos.region]\ntables = [\"event\", \"billing.*\"]\n",
        );
        let a = assign(&cat, &cfg).unwrap_or_else(|e| panic!("{e}"));
        for p in ["event_2024", "ev_default"] {
            let d = &a.tables[&QName::new("public", p)];
            assert_eq!(d.placement, Placement::Silo("region".into()), "{p}");
            assert_eq!(d.via, Some(QName::new("public", "event")));
            assert_eq!(d.pattern, None);
        }
    }

    #[test]
    fn partition_apart_is_an_error() {
        let cat = catalog(SQL);
        let cfg = config(
            "[silos.control]\ntables = [\"auth_*\", \"integ_*\", \"org_*\", \"ev_*\"]\n\
             [silos.region]\ntables = [\"event\", \"billing.*\"]\n",
        );
        let e = assign(&cat, &cfg).unwrap_err();
        assert!(e.message.contains("partition assigned apart"), "{e}");
        assert_eq!((e.line, e.column), (3, 41));
    }

    #[test]
    fn tie_between_silos() {
        let cat = catalog(SQL);
        let cfg = config(
            "[silos.a]\ntables = [\"auth_*\", \"*\"]\n[silos.b]\ntables = [\"*_user\", \"billing.*\"]\n",
        );
        let e = assign(&cat, &cfg).unwrap_err().to_string();
        assert!(e.contains("matched equally by `auth_*`"), "{e}");
    }

    #[test]
    fn unassigned_and_unmatched() {
        let cat = catalog(SQL);
        let a = assign(&cat, &config("[silos.a]\ntables = [\"auth_*\"]\n")).unwrap();
        assert_eq!(placed(&a, "org_member"), "unassigned");
        assert_eq!(placed(&a, "event_2024"), "unassigned");
        let e = assign(&cat, &config("[silos.a]\ntables = [\"auth_usr\"]\n")).unwrap_err();
        assert!(e.to_string().contains("nearest tables: `auth_user`"), "{e}");
    }

    #[test]
    fn rules_match_foreign_keys() {
        let cat = catalog(SQL);
        let cfg = config(
            "[silos.a]\ntables = [\"*\"]\n[[edges]]\nfrom = \"org_member.user_id\"\n\
             on_delete = \"set-null\"\n[[allow]]\nconstraint = \"repo_integ_fk\"\nreason = \"r\"\n",
        );
        let m = match_rules(&cat, &cfg).unwrap();
        let member = cat
            .foreign_keys
            .iter()
            .position(|f| f.table.name == "org_member")
            .unwrap();
        let repo = cat
            .foreign_keys
            .iter()
            .position(|f| f.name == "repo_integ_fk")
            .unwrap();
        assert_eq!(m.edge_of_fk[member], Some(0));
        assert_eq!(m.allow_of_fk[repo], Some(0));
        assert_eq!(m.fks_of_edge, vec![vec![member]]);
        let bad = config(
            "[silos.a]\ntables = [\"*\"]\n[[edges]]\nfrom = \"org_member.usr_id\"\non_delete = \"ignore\"\n",
        );
        let e = match_rules(&cat, &bad).unwrap_err().to_string();
        assert!(
            e.contains("matches no foreign key") && e.contains("`user_id`"),
            "{e}"
        );
    }
}
