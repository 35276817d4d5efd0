//! Every reference into one list: the dump's constraints, then the declared (`[[references]]`),
//! imported (references files) and inferred ones, appended to [`Catalog::foreign_keys`].
//!
//! Appending keeps every constraint's index, so the later stages (the graph, `check`,
//! `explain`, `suggest`, the plan's crossings, cascades, tombstones, stubs, `simulate`) see
//! every reference without knowing its kind; the few that write or cut DDL (the per-silo
//! schema, `fks/`, the phases' re-add and `VALIDATE`, `verify`) keep to
//! [`ForeignKey::is_constraint`].
//!
//! * A declared or imported reference with the same child table, columns and parent as a
//!   constraint adds no key: it only gives the constraint the `on_delete` the application
//!   implements ([`Provenance::on_delete`]). The same holds between a declared and an imported
//!   one: the declared entry comes first, the imported one adds its `on_delete` only when the
//!   declared one says none.
//! * Inferred references ([`crate::infer`]) are looked for on the columns no other reference
//!   covers, unless `[defaults] infer_references = false`; a `[[references]]` entry with
//!   `ignore = true` rejects those it matches.
//! * A declared or imported reference is checked against the dump as a constraint would be:
//!   the child and parent columns exist, the parent's columns are its primary key or a unique
//!   key (constraint or unique index without a predicate), and each pair of column types is
//!   compatible. Compatible means what inference uses: integer types with integer types
//!   (`integer` child of a `bigint` key too: Django and Rails mix them over a schema's
//!   history), text types with text types, any other type with the same type.
//!
//! Errors are [`ConfigError`]s at the entry: `silo-plan.toml` line and column, or the
//! references file's.

use crate::assign::{display_name, glob_match, is_glob};
use crate::catalog::{Catalog, FkAction, FkMatch, ForeignKey, QName, Table};
use crate::config::{backticked, nearest, Config, ConfigError, DeclaredRef, Pos};
use crate::infer::{col_type, compatible, Ambiguous, Polymorphic};
use crate::references::{AppAction, Confidence, Kind, Provenance, Reference};
use crate::refs_file::{FileAction, RefsFile, VERSION};

/// What the resolution found besides the keys it appended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extra {
    /// Columns with several plausible parents (none picked).
    pub ambiguous: Vec<Ambiguous>,
    /// Polymorphic columns (targets unknown).
    pub polymorphic: Vec<Polymorphic>,
    /// What references files list as unresolved (a Django generic foreign key, a Rails
    /// polymorphic `belongs_to`): never planned, shown by `silo-plan references`.
    pub unresolved: Vec<ImportedUnresolved>,
}

/// An `unresolved` entry of a references file, with the file it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct ImportedUnresolved {
    /// The references file, as the config names it.
    pub file: String,
    /// The entry.
    #[serde(flatten)]
    pub entry: crate::refs_file::Unresolved,
}

/// One declared or imported reference, resolved against the catalog.
struct Stated {
    table: QName,
    columns: Vec<String>,
    parent: QName,
    parent_columns: Vec<String>,
    on_delete: Option<FkAction>,
    kind: Kind,
    pos: Option<Pos>,
    stated_at: String,
    reason: Option<String>,
}

/// Resolves every declared, imported and inferred reference of `cfg` against `cat` and appends
/// them to [`Catalog::foreign_keys`] (see the module docs).
pub fn resolve(cat: &mut Catalog, cfg: &Config) -> Result<Extra, ConfigError> {
    let mut stated = Vec::new();
    for d in cfg.references.iter().filter(|d| !d.ignore) {
        declared(cat, cfg, d, &mut stated)?;
    }
    let mut unresolved = Vec::new();
    for i in &cfg.imports {
        imported(cat, cfg, i, &mut stated, &mut unresolved)?;
    }
    let constraints = cat.foreign_keys.len();
    for s in stated {
        let same = |fk: &ForeignKey| {
            fk.table == s.table && fk.columns == s.columns && fk.references == s.parent
        };
        if let Some(fk) = cat.foreign_keys.iter_mut().find(|fk| same(fk)) {
            let Some(action) = s.on_delete else { continue };
            let p = fk.reference.get_or_insert_with(|| {
                Box::new(Provenance {
                    kind: Kind::Constraint,
                    rule: None,
                    confidence: Confidence::CERTAIN,
                    on_delete: None,
                    stated_at: None,
                    reason: None,
                    pos: None,
                })
            });
            if p.on_delete.is_none() {
                p.on_delete = Some(AppAction {
                    action,
                    from: s.kind,
                    pos: s.pos,
                });
                if p.kind == Kind::Constraint {
                    p.stated_at = Some(s.stated_at);
                    p.reason = s.reason;
                }
            }
            continue;
        }
        let name = ref_name(cat, &s.table, &s.columns);
        let span = cat.table(&s.table).map(|t| t.span).unwrap_or_default();
        cat.foreign_keys.push(ForeignKey {
            name,
            table: s.table,
            columns: s.columns,
            references: s.parent,
            referenced_columns: s.parent_columns,
            on_delete: FkAction::NoAction,
            on_delete_columns: Vec::new(),
            on_update: FkAction::NoAction,
            deferrable: false,
            initially_deferred: false,
            match_kind: FkMatch::Simple,
            not_valid: false,
            span,
            written: None,
            reference: Some(Box::new(Provenance {
                kind: s.kind,
                rule: None,
                confidence: Confidence::CERTAIN,
                on_delete: s.on_delete.map(|action| AppAction {
                    action,
                    from: s.kind,
                    pos: s.pos,
                }),
                stated_at: Some(s.stated_at),
                reason: s.reason,
                pos: s.pos,
            })),
        });
    }
    debug_assert!(cat.foreign_keys[..constraints]
        .iter()
        .all(|f| f.kind() == Kind::Constraint));

    let ignores: Vec<&DeclaredRef> = cfg.references.iter().filter(|d| d.ignore).collect();
    if !cfg.defaults.infer_references {
        if let Some(d) = ignores.first() {
            return Err(cfg
                .error(
                    d.pos,
                    format!(
                        "`[[references]]` entry `from = \"{}\"` has `ignore = true`, but \
                         `[defaults] infer_references = false` infers nothing",
                        d.from
                    ),
                )
                .with_help("remove the entry, or turn inference back on"));
        }
        return Ok(Extra::default());
    }
    let existing = all(cat);
    let inferred = crate::infer::infer(cat, &existing);
    let mut hits = vec![0usize; ignores.len()];
    for r in inferred.references {
        let mut ignored = false;
        for (i, d) in ignores.iter().enumerate() {
            if ignore_matches(cat, cfg, d, &r) {
                hits[i] += 1;
                ignored = true;
            }
        }
        if ignored {
            continue;
        }
        let name = ref_name(cat, &r.table, &r.columns);
        cat.foreign_keys.push(ForeignKey {
            name,
            table: r.table,
            columns: r.columns,
            references: r.references,
            referenced_columns: r.referenced_columns,
            on_delete: FkAction::NoAction,
            on_delete_columns: Vec::new(),
            on_update: FkAction::NoAction,
            deferrable: false,
            initially_deferred: false,
            match_kind: FkMatch::Simple,
            not_valid: false,
            span: r.span,
            written: None,
            reference: Some(Box::new(Provenance {
                kind: Kind::Inferred,
                rule: r.rule,
                confidence: r.confidence,
                on_delete: None,
                stated_at: None,
                reason: None,
                pos: None,
            })),
        });
    }
    if let Some(i) = hits.iter().position(|&h| h == 0) {
        let d = ignores[i];
        return Err(cfg
            .error(
                d.pos,
                format!(
                    "`[[references]]` entry `from = \"{}\"`{} with `ignore = true` matches no \
                     inferred reference",
                    d.from,
                    d.to.as_ref()
                        .map(|t| format!(" `to = \"{t}\"`"))
                        .unwrap_or_default()
                ),
            )
            .with_help(
                "nothing is inferred there (`silo-plan references` lists what is): remove the \
                 entry",
            ));
    }
    Ok(Extra {
        ambiguous: inferred.ambiguous,
        polymorphic: inferred.polymorphic,
        unresolved,
    })
}

/// Every key of the catalog as a reference, in its order (after [`resolve`]: constraints,
/// then declared, imported and inferred references).
pub fn all(cat: &Catalog) -> Vec<Reference> {
    cat.foreign_keys
        .iter()
        .enumerate()
        .map(|(i, fk)| {
            let p = fk.reference.as_deref();
            Reference {
                table: fk.table.clone(),
                columns: fk.columns.clone(),
                references: fk.references.clone(),
                referenced_columns: fk.referenced_columns.clone(),
                on_delete: match p.and_then(|p| p.on_delete.as_ref()) {
                    Some(a) => Some(a.action),
                    None if fk.is_constraint() => Some(fk.on_delete),
                    None => None,
                },
                kind: fk.kind(),
                rule: p.and_then(|p| p.rule),
                confidence: p.map_or(Confidence::CERTAIN, |p| p.confidence),
                constraint: fk.is_constraint().then_some(i),
                span: fk.span,
            }
        })
        .collect()
}

/// A name for a reference without a constraint: `<table>_<columns>_ref`, made unique among
/// the keys of its table (numbered from 2). It names the reference in plans, tombstone
/// watermarks and stubs; no constraint of that name is ever created.
fn ref_name(cat: &Catalog, table: &QName, columns: &[String]) -> String {
    let base = format!("{}_{}_ref", table.name, columns.join("_"));
    let taken = |n: &str| {
        cat.foreign_keys
            .iter()
            .any(|f| f.table == *table && f.name == n)
    };
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base}{i}"))
        .find(|n| !taken(n))
        .expect("a free name")
}

/// Whether an `ignore = true` entry matches inferred reference `r`.
fn ignore_matches(cat: &Catalog, cfg: &Config, d: &DeclaredRef, r: &Reference) -> bool {
    let (table_pat, column) = d.from.rsplit_once('.').expect("checked: has a dot");
    let (schema, name) = crate::config::split_pattern(table_pat, &cfg.default_schema);
    if !(glob_match(schema, &r.table.schema)
        && glob_match(name, &r.table.name)
        && r.columns.iter().any(|c| c == column))
    {
        return false;
    }
    match &d.to {
        None => true,
        Some(to) => match parent_of(cat, cfg, to) {
            Some((q, col)) => {
                q == r.references && col.is_none_or(|c| r.referenced_columns.contains(&c))
            }
            None => false,
        },
    }
}

/// `to` as written: `table`, `table.column` (when `default_schema.table` has the column, else
/// `schema.table`) or `schema.table.column`, resolved to a table of the catalog.
fn parent_of(cat: &Catalog, cfg: &Config, to: &str) -> Option<(QName, Option<String>)> {
    let parts: Vec<&str> = to.split('.').collect();
    let ds = &cfg.default_schema;
    match parts.as_slice() {
        [t] => Some((QName::new(ds, *t), None)),
        [a, b] => {
            let q = QName::new(ds, *a);
            if cat
                .table(&q)
                .is_some_and(|t| t.columns.iter().any(|c| c.name == *b))
            {
                Some((q, Some(b.to_string())))
            } else {
                Some((QName::new(*a, *b), None))
            }
        }
        [s, t, c] => Some((QName::new(*s, *t), Some(c.to_string()))),
        _ => None,
    }
}

/// The nearest table names to `name`, for help texts.
fn nearest_tables(cat: &Catalog, cfg: &Config, name: &str) -> String {
    let names: Vec<String> = cat
        .tables
        .iter()
        .map(|t| display_name(&t.qname(), &cfg.default_schema))
        .collect();
    backticked(nearest(name, names.iter().map(String::as_str), 3))
}

/// Whether `cols` of `t` are its primary key or a unique key (constraint, or unique index
/// without a predicate), in any order.
fn unique_on(cat: &Catalog, t: &Table, cols: &[String]) -> bool {
    let same = |k: &[String]| k.len() == cols.len() && k.iter().all(|c| cols.contains(c));
    t.primary_key.as_ref().is_some_and(|k| same(&k.columns))
        || t.unique.iter().any(|k| same(&k.columns))
        || cat
            .indexes
            .iter()
            .any(|x| x.unique && x.predicate.is_none() && x.table == t.qname() && same(&x.columns))
}

/// The keys of `t` a reference can point at, for help texts: `id`, `(a, b)`.
fn keys_of(cat: &Catalog, t: &Table) -> String {
    let mut keys: Vec<String> = t
        .primary_key
        .iter()
        .chain(&t.unique)
        .map(|k| k.columns.join(", "))
        .chain(
            cat.indexes
                .iter()
                .filter(|x| x.unique && x.predicate.is_none() && x.table == t.qname())
                .map(|x| x.columns.join(", ")),
        )
        .collect();
    keys.dedup();
    if keys.is_empty() {
        "it has no primary or unique key".to_string()
    } else {
        format!(
            "its keys: {}",
            backticked(keys.iter().map(|k| format!("({k})")))
        )
    }
}

/// Where an error about an entry points: the config, or a references file.
struct At<'a> {
    file: &'a str,
    pos: Pos,
    /// How the entry names itself in messages: `` `[[references]]` entry `from = "a.b"` ``.
    what: String,
}

impl At<'_> {
    fn err(&self, message: String, help: String) -> ConfigError {
        ConfigError::at(self.file, self.pos, format!("{}: {message}", self.what)).with_help(help)
    }
}

/// Checks one child → parent pair of column lists against the catalog, filling in the parent's
/// primary key when `parent_columns` is empty.
fn check_pair(
    cat: &Catalog,
    cfg: &Config,
    at: &At<'_>,
    child: &Table,
    columns: &[String],
    parent: &QName,
    mut parent_columns: Vec<String>,
) -> Result<Vec<String>, ConfigError> {
    let ds = &cfg.default_schema;
    let Some(pt) = cat.table(parent) else {
        return Err(at.err(
            format!("no table `{}` to reference", display_name(parent, ds)),
            format!(
                "name the parent table; nearest tables: {}",
                nearest_tables(cat, cfg, &parent.name)
            ),
        ));
    };
    let pname = display_name(parent, ds);
    if parent_columns.is_empty() {
        match &pt.primary_key {
            Some(k) if k.columns.len() == columns.len() => parent_columns = k.columns.clone(),
            _ => {
                return Err(at.err(
                    format!(
                        "`{pname}` has no {}primary key to reference",
                        if columns.len() == 1 {
                            "one-column "
                        } else {
                            ""
                        }
                    ),
                    format!(
                        "name the parent's key column, `{pname}.<column>`; {}",
                        keys_of(cat, pt)
                    ),
                ))
            }
        }
    }
    if parent_columns.len() != columns.len() {
        return Err(at.err(
            format!(
                "{} child columns reference {} columns of `{pname}`",
                columns.len(),
                parent_columns.len()
            ),
            "list as many parent columns as child columns, in the same order".to_string(),
        ));
    }
    for pc in &parent_columns {
        if col_type(pt, pc).is_none() {
            let names = pt.columns.iter().map(|c| c.name.as_str());
            return Err(at.err(
                format!("`{pname}` has no column `{pc}`"),
                format!("nearest columns: {}", backticked(nearest(pc, names, 3))),
            ));
        }
    }
    if !unique_on(cat, pt, &parent_columns) {
        return Err(at.err(
            format!(
                "`{pname}({})` is not unique: no primary key, unique constraint or unique index \
                 on it",
                parent_columns.join(", ")
            ),
            format!(
                "a reference points at one parent row: name a primary or unique key; {}",
                keys_of(cat, pt)
            ),
        ));
    }
    let cname = display_name(&child.qname(), ds);
    for (c, pc) in columns.iter().zip(&parent_columns) {
        let (Some(ct), Some(pty)) = (col_type(child, c), col_type(pt, pc)) else {
            continue;
        };
        if !compatible(ct, pty) {
            return Err(at.err(
                format!(
                    "`{cname}.{c}` ({ct}) cannot reference `{pname}.{pc}` ({pty}): the types are \
                     not compatible"
                ),
                "name the right column: integer types reference integer types, text types \
                 text types, any other type the same type"
                    .to_string(),
            ));
        }
    }
    Ok(parent_columns)
}

/// One `[[references]]` entry (not `ignore`): a reference per child table its `from` matches.
fn declared(
    cat: &Catalog,
    cfg: &Config,
    d: &DeclaredRef,
    out: &mut Vec<Stated>,
) -> Result<(), ConfigError> {
    let ds = &cfg.default_schema;
    let at = At {
        file: &cfg.path,
        pos: d.pos,
        what: format!("`[[references]]` entry `from = \"{}\"`", d.from),
    };
    let to =
        d.to.as_deref()
            .expect("checked by the config: `to` without ignore");
    let to_at = At {
        file: &cfg.path,
        pos: d.to_pos.unwrap_or(d.pos),
        what: format!("`[[references]]` entry `to = \"{to}\"`"),
    };
    let Some((parent, pcol)) = parent_of(cat, cfg, to) else {
        unreachable!("checked by the config: at most three parts")
    };
    let (table_pat, column) = d.from.rsplit_once('.').expect("checked: has a dot");
    let (schema, name) = crate::config::split_pattern(table_pat, ds);
    let glob = is_glob(table_pat);
    let mut matched = 0;
    for t in &cat.tables {
        if !(glob_match(schema, &t.schema) && glob_match(name, &t.name)) {
            continue;
        }
        if glob && t.partition_of.is_some() {
            // A reference of a partitioned table covers its partitions.
            continue;
        }
        if col_type(t, column).is_none() {
            if !glob {
                let names = t.columns.iter().map(|c| c.name.as_str());
                return Err(at.err(
                    format!(
                        "`{}` has no column `{column}`",
                        display_name(&t.qname(), ds)
                    ),
                    format!("nearest columns: {}", backticked(nearest(column, names, 3))),
                ));
            }
            continue;
        }
        let q = t.qname();
        if glob && q == parent && pcol.as_deref().is_none_or(|c| c == column) {
            continue;
        }
        let cols = vec![column.to_string()];
        let pcols = check_pair(
            cat,
            cfg,
            &to_at,
            t,
            &cols,
            &parent,
            pcol.iter().cloned().collect(),
        )
        .map_err(|e| {
            if glob {
                let mut e = e;
                e.help = Some(format!(
                    "{} (for `{}`; narrow the pattern to leave that table out)",
                    e.help.unwrap_or_default(),
                    display_name(&q, ds)
                ));
                e
            } else {
                e
            }
        })?;
        matched += 1;
        out.push(Stated {
            table: q,
            columns: cols,
            parent: parent.clone(),
            parent_columns: pcols,
            on_delete: d.on_delete,
            kind: Kind::Declared,
            pos: Some(d.pos),
            stated_at: format!("{}:{}", cfg.path, d.pos),
            reason: d.reason.clone(),
        });
    }
    if matched == 0 {
        let help = if glob {
            let mut with: Vec<String> = cat
                .tables
                .iter()
                .filter(|t| t.partition_of.is_none() && col_type(t, column).is_some())
                .map(|t| display_name(&t.qname(), ds))
                .collect();
            with.truncate(5);
            if with.is_empty() {
                format!("no table has a column `{column}`: fix or remove the entry")
            } else {
                format!(
                    "fix the pattern; tables with a column `{column}`: {}",
                    backticked(&with)
                )
            }
        } else {
            format!(
                "no table `{}`; nearest tables: {}",
                display_name(&QName::new(schema, name), ds),
                nearest_tables(cat, cfg, name)
            )
        };
        return Err(at.err("matches no table".to_string(), help));
    }
    Ok(())
}

/// The entries of one references file.
fn imported(
    cat: &Catalog,
    cfg: &Config,
    i: &crate::config::Import,
    out: &mut Vec<Stated>,
    unresolved: &mut Vec<ImportedUnresolved>,
) -> Result<(), ConfigError> {
    let shown = cfg.dir.join(&i.path).display().to_string();
    let Some(text) = i.text.as_deref() else {
        return Err(cfg
            .error(i.pos, format!("references file `{}` was not read", i.path))
            .with_help("load the config with `config::load`, which reads the files it imports"));
    };
    let src = crate::source::SourceFile::new(&shown, text.to_string());
    let pos_at = |offset: usize| Pos {
        line: src.line_of(offset),
        column: src.column_of(offset),
    };
    let file: RefsFile = serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        // serde_json appends " at line L column C"; the position is ours.
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        ConfigError::at(
            &shown,
            Pos {
                line: e.line() as u32,
                column: e.column() as u32,
            },
            format!("invalid references file: {msg}"),
        )
        .with_help(
            "the file's format is schemas/references.schema.json: `{\"version\": 1, \
             \"references\": [{\"table\", \"columns\", \"referenced_table\", ...}]}`",
        )
    })?;
    /// The positions of the version and of each entry.
    #[derive(serde::Deserialize)]
    struct Positions<'a> {
        #[serde(borrow)]
        version: &'a serde_json::value::RawValue,
        #[serde(borrow)]
        references: Vec<&'a serde_json::value::RawValue>,
    }
    let positions: Positions<'_> = serde_json::from_str(text).expect("read above");
    let offset =
        |r: &serde_json::value::RawValue| r.get().as_ptr() as usize - text.as_ptr() as usize;
    if file.version != VERSION {
        return Err(ConfigError::at(
            &shown,
            pos_at(offset(positions.version)),
            format!("unsupported references file version {}", file.version),
        )
        .with_help(format!(
            "this silo-plan reads `\"version\": {VERSION}`; export the file again"
        )));
    }
    let ds = &cfg.default_schema;
    for (r, raw) in file.references.iter().zip(&positions.references) {
        // A reference live data refuted (`references --db --write` keeps it, with its orphans,
        // so the file says what was checked) is not imported: the data says it is not one.
        if r.verified == Some(crate::refs_file::Verdict::Refuted) {
            continue;
        }
        let pos = pos_at(offset(raw));
        let at = At {
            file: &shown,
            pos,
            what: format!("reference `{}({})`", r.table, r.columns.join(", ")),
        };
        let table = crate::assign::resolve_table(&r.table, ds);
        let Some(t) = cat.table(&table) else {
            return Err(at.err(
                format!("no table `{}` in the dump", r.table),
                format!(
                    "export the file from the same schema as the dump; nearest tables: {}",
                    nearest_tables(cat, cfg, &table.name)
                ),
            ));
        };
        if r.columns.is_empty() {
            return Err(at.err(
                "no columns".to_string(),
                "list the child's columns in `columns`".to_string(),
            ));
        }
        for c in &r.columns {
            if col_type(t, c).is_none() {
                let names = t.columns.iter().map(|c| c.name.as_str());
                return Err(at.err(
                    format!("`{}` has no column `{c}`", r.table),
                    format!(
                        "export the file from the same schema as the dump; nearest columns: {}",
                        backticked(nearest(c, names, 3))
                    ),
                ));
            }
        }
        let parent = crate::assign::resolve_table(&r.referenced_table, ds);
        let pcols = check_pair(
            cat,
            cfg,
            &at,
            t,
            &r.columns,
            &parent,
            r.referenced_columns.clone(),
        )?;
        out.push(Stated {
            table,
            columns: r.columns.clone(),
            parent,
            parent_columns: pcols,
            on_delete: r.on_delete.map(|a| match a {
                FileAction::Cascade => FkAction::Cascade,
                FileAction::SetNull => FkAction::SetNull,
                FileAction::SetDefault => FkAction::SetDefault,
                FileAction::Restrict => FkAction::Restrict,
                FileAction::NoAction => FkAction::NoAction,
            }),
            kind: Kind::Imported,
            pos: None,
            stated_at: match &r.origin {
                Some(o) => format!("{shown}:{pos} ({o})"),
                None => format!("{shown}:{pos}"),
            },
            reason: r.reason.clone(),
        });
    }
    unresolved.extend(file.unresolved.into_iter().map(|entry| ImportedUnresolved {
        file: i.path.clone(),
        entry,
    }));
    Ok(())
}
