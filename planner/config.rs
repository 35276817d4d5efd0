//! The silo map, `silo-plan.toml`: its format, parsing and validation.
//!
//! [`parse`] turns the file's text into a [`Config`]; [`load`] reads it from a file or from a
//! directory holding `silo-plan.toml`. Everything that can be checked without a catalog is
//! checked here (version, unknown keys, action names, origin, empty silos, pattern syntax,
//! duplicate patterns, edge and allow selectors); matching patterns against tables is
//! [`crate::assign`]'s job. Every error is a [`ConfigError`] with the file, the 1-based line and
//! column of the offending key or value, and a help line that names the fix.
//!
//! The file format is described by private `serde` types that also derive `JsonSchema`;
//! [`json_schema`] returns the schema editors use to complete the file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

pub use toml::Spanned;

use crate::catalog::FkAction;
use crate::dump::Dialect;
use crate::source::SourceFile;

/// The file name looked for when the config is given as a directory.
pub const FILE_NAME: &str = "silo-plan.toml";

/// The only `version` this build reads.
pub const VERSION: u32 = 1;

// ---------------------------------------------------------------------------------------------
// The resolved model.

/// A 1-based position in the config file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, JsonSchema,
)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A table pattern as written in the config (`auth_user`, `sentry_*`, `auth.*`), with the
/// position of its string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Pattern {
    /// The pattern text, as written.
    pub text: String,
    /// Where the string is in the config.
    pub pos: Pos,
}

/// What to replicate when a parent row of a broken foreign key is deleted.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeAction {
    /// Delete the child rows.
    #[default]
    Cascade,
    /// Set the child's foreign-key columns to NULL.
    SetNull,
    /// Set the child's foreign-key columns to their defaults.
    SetDefault,
    /// Refuse the delete while child rows exist (an application check across databases).
    Restrict,
    /// Do nothing: child rows keep a dangling id.
    Ignore,
}

impl EdgeAction {
    /// Every action, in documentation order.
    pub const ALL: [EdgeAction; 5] = [
        EdgeAction::Cascade,
        EdgeAction::SetNull,
        EdgeAction::SetDefault,
        EdgeAction::Restrict,
        EdgeAction::Ignore,
    ];

    /// The name as written in the config: `set-null`.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeAction::Cascade => "cascade",
            EdgeAction::SetNull => "set-null",
            EdgeAction::SetDefault => "set-default",
            EdgeAction::Restrict => "restrict",
            EdgeAction::Ignore => "ignore",
        }
    }

    /// The declared `ON DELETE` action that does the same inside one database; `None` for
    /// `ignore`, which no declared action does (the child keeps a dangling id).
    pub fn fk_action(self) -> Option<FkAction> {
        match self {
            EdgeAction::Cascade => Some(FkAction::Cascade),
            EdgeAction::SetNull => Some(FkAction::SetNull),
            EdgeAction::SetDefault => Some(FkAction::SetDefault),
            EdgeAction::Restrict => Some(FkAction::Restrict),
            EdgeAction::Ignore => None,
        }
    }

    fn from_name(s: &str) -> Option<EdgeAction> {
        EdgeAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for EdgeAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `check` does with a table that no pattern matches.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Unassigned {
    /// An error: `check` fails.
    #[default]
    Error,
    /// A warning.
    Warn,
}

impl Unassigned {
    /// The name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Unassigned::Error => "error",
            Unassigned::Warn => "warn",
        }
    }
}

/// The `[defaults]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Defaults {
    /// Action replicated where the dump says `NO ACTION`, or a declared or imported reference
    /// states none, when the config sets one; `None` (unset): what the database does today (a
    /// constraint's `NO ACTION` refuses the delete: `restrict`; no constraint does nothing:
    /// `ignore`).
    pub on_delete: Option<EdgeAction>,
    /// Severity of an unassigned table (default `error`).
    pub unassigned: Unassigned,
    /// Whether references without a constraint are inferred from the dump's names (default
    /// `true`).
    pub infer_references: bool,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            on_delete: None,
            unassigned: Unassigned::default(),
            infer_references: true,
        }
    }
}

/// A `[[references]]` entry: a reference the dump does not declare (or the `on_delete` the
/// application gives one it does), or, with `ignore = true`, an inferred reference rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DeclaredRef {
    /// The child column as written: `table.column`, `schema.table.column`; the table part may
    /// be a pattern (`*.user_id`).
    pub from: String,
    /// Position of the `from` value (the entry's position in messages).
    pub pos: Pos,
    /// The parent as written: `table`, `table.column` or `schema.table.column`; `None` only
    /// with `ignore` (any parent).
    pub to: Option<String>,
    /// Position of the `to` value.
    pub to_pos: Option<Pos>,
    /// What the application does to the child rows when a parent row is deleted; `None`:
    /// `[defaults] on_delete`.
    pub on_delete: Option<FkAction>,
    /// Why the reference exists (free text).
    pub reason: Option<String>,
    /// Rejects the inferred references it matches instead of declaring one.
    pub ignore: bool,
}

/// A references file to import (`references = ["refs.json"]`, or `[[references]] file =
/// "refs.json"`), relative to the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Import {
    /// The path as written.
    pub path: String,
    /// Position of the path in the config.
    pub pos: Pos,
    /// The file's text, read by [`load`] (`None` after [`parse`] alone).
    #[serde(skip)]
    #[schemars(skip)]
    pub text: Option<String>,
}

/// One `[silos.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Silo {
    /// The silo's name (a TOML key; letters, digits, `_`, `-`).
    pub name: String,
    /// Where the name is (the key in `[silos.NAME]`).
    pub name_pos: Pos,
    /// Its table patterns, in file order (never empty).
    pub tables: Vec<Pattern>,
    /// Instances (regions) this silo runs as; empty for a single instance.
    pub instances: Vec<String>,
    /// `tenant`: the table whose rows are placed in an instance (`org_organization`, in
    /// `default_schema`, or `schema.table`), with the position of its string; checked against
    /// the dump by [`crate::residency::validate`].
    pub tenant: Option<Pattern>,
    /// `global_unique`: keys of this silo that stay unique across its instances
    /// (`org_organization.slug`: `table.column` or `schema.table.column`), each with the
    /// position of its string; checked against the dump by [`crate::residency::validate`].
    pub global_unique: Vec<Pattern>,
    /// `id_space`: how ids of a multi-instance silo stay apart across its instances
    /// ([`crate::idspace`]), with the position of its string.
    pub id_space: Option<IdSpaceSetting>,
    /// `origin_instance`: the instance that receives today's rows, as written, with the position
    /// of its string; `None` when the config leaves it to the first of `instances`
    /// ([`Silo::origin_instance`]).
    pub origin_instance: Option<Pattern>,
}

impl Silo {
    /// The instance that receives today's rows (`origin_instance`, else the first of
    /// `instances`); `None` for a single-instance silo.
    pub fn origin_instance(&self) -> Option<&str> {
        if self.instances.len() < 2 {
            return None;
        }
        match &self.origin_instance {
            Some(p) => Some(p.text.as_str()),
            None => self.instances.first().map(String::as_str),
        }
    }

    /// Its instances other than [`Silo::origin_instance`], in `instances` order: each starts as
    /// a new, empty database.
    pub fn new_instances(&self) -> Vec<&str> {
        let origin = self.origin_instance();
        self.instances
            .iter()
            .map(String::as_str)
            .filter(|i| origin.is_some_and(|o| o != *i))
            .collect()
    }
}

/// How the ids of a multi-instance silo stay apart across its instances (`id_space`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IdSpace {
    /// Each instance's sequences hand out ids from its own range of the column's type.
    Ranges,
    /// References into the silo from a single-instance silo get an instance column beside them.
    InstanceColumn,
    /// Ids carry the instance: time, instance number and a sequence in one bigint.
    Snowflake,
}

impl IdSpace {
    /// The value as written in `silo-plan.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdSpace::Ranges => "ranges",
            IdSpace::InstanceColumn => "instance-column",
            IdSpace::Snowflake => "snowflake",
        }
    }
}

/// A silo's `id_space` and where its value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct IdSpaceSetting {
    /// The scheme.
    pub scheme: IdSpace,
    /// Where the string is in the config.
    pub pos: Pos,
}

/// How an `[[edges]]` or `[[allow]]` entry names foreign keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Selector {
    /// `from = "table.column"` or `"schema.table.column"`: every foreign key of that child table
    /// whose columns include that column.
    Column {
        /// The table as written: `orders` (in `default_schema`) or `sales.orders`.
        table: String,
        /// The column.
        column: String,
    },
    /// `constraint = "name"`: the foreign key with that constraint name; `"table.name"` (table
    /// in `default_schema`) or `"schema.table.name"` when the name is on several tables (a
    /// bare name that is, is an error: Postgres names constraints per table).
    Constraint(String),
}

impl fmt::Display for Selector {
    /// As written in the config: `from = "t.c"` or `constraint = "name"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Column { table, column } => write!(f, "from = \"{table}.{column}\""),
            Selector::Constraint(c) => write!(f, "constraint = \"{c}\""),
        }
    }
}

/// An `[[edges]]` entry: the action to replicate for some foreign keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct EdgeRule {
    /// Which foreign keys.
    pub selector: Selector,
    /// The action replicated for them.
    pub on_delete: EdgeAction,
    /// Position of the `from` or `constraint` value.
    pub pos: Pos,
}

/// An `[[allow]]` entry with `code` and `object`: the findings of that code about that
/// object (a view, a sequence, a routine, an unassigned table, an unread statement...) accepted
/// for now: `check` reports them as notes, and an entry that matches no finding is an error
/// (SP008).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AllowFinding {
    /// The finding code it accepts.
    pub code: crate::findings::Code,
    /// A glob (`*`, `?`) over the finding's object as `check` names it (`public.orders`, a
    /// trigger `public.orders.orders_audit`); an object in `default_schema` may be written
    /// without it.
    pub object: String,
    /// Why (never empty).
    pub reason: String,
    /// Position of the `code` value.
    pub pos: Pos,
}

impl AllowFinding {
    /// The codes an entry with `code` can accept: every `check` finding except those about a
    /// foreign key or reference (SP002, SP003, SP017: `from` or `constraint` select those) and
    /// those about `[[allow]]` itself (SP008, SP009).
    pub const CODES: [crate::findings::Code; 11] = {
        use crate::findings::Code as C;
        [
            C::UnassignedTable,
            C::CrossSiloView,
            C::CrossSiloSequence,
            C::CrossSiloRoutine,
            C::CrossSiloInheritance,
            C::Unparsed,
            C::FkUnknownTable,
            C::FkInvalidColumns,
            C::GlobalKeyUnplanned,
            C::TenantUnreachable,
            C::IdSpaceUnplanned,
        ]
    };

    /// Whether it accepts finding `f`, with `default_schema` the config's.
    pub fn matches(&self, f: &crate::findings::Finding, default_schema: &str) -> bool {
        use crate::assign::glob_match;
        f.code == self.code
            && (glob_match(&self.object, &f.object)
                || f.object
                    .strip_prefix(default_schema)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|rest| glob_match(&self.object, rest)))
    }
}

/// An `[[allow]]` entry with `from` or `constraint`: a crossing foreign key or reference
/// accepted for now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AllowRule {
    /// Which foreign keys.
    pub selector: Selector,
    /// Why (never empty).
    pub reason: String,
    /// Position of the `from` or `constraint` value.
    pub pos: Pos,
}

/// `cleanup`: what the phases' clean-up does with the moved tables in today's database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Cleanup {
    /// Drop them (`07-cleanup`, the point of no return).
    #[default]
    Drop,
    /// Keep them, write-locked by triggers naming the silo that owns each (reads work), and
    /// truncate them in a last phase (`08-truncate`), as GitLab's decomposition does.
    LockWrites,
}

/// A parsed and validated `silo-plan.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The config file's path, as given.
    pub path: String,
    /// The directory holding the config (`.` when the path has none); `schema` paths are
    /// relative to it.
    pub dir: PathBuf,
    /// Format version (always [`VERSION`] once parsed).
    pub version: u32,
    /// Dump files, as written (relative to [`Config::dir`]); may be empty when the command line
    /// gives `--schema`. See [`Config::schema_paths`].
    pub schema: Vec<String>,
    /// The dumps' dialect.
    pub dialect: Dialect,
    /// The silo whose tables stay in today's database, when given; always names a silo.
    pub origin: Option<Spanned<String>>,
    /// What the phases' clean-up does with the moved tables in today's database.
    pub cleanup: Cleanup,
    /// Schema of patterns and `from` tables written without one (default `public`).
    pub default_schema: String,
    /// The `[defaults]` table.
    pub defaults: Defaults,
    /// Silos in file order (at least one).
    pub silos: Vec<Silo>,
    /// Patterns of `[shared]`: tables copied into every silo.
    pub shared: Vec<Pattern>,
    /// `[[edges]]` entries in file order.
    pub edges: Vec<EdgeRule>,
    /// `[[allow]]` entries with `from` or `constraint`, in file order.
    pub allow: Vec<AllowRule>,
    /// `[[allow]]` entries with `code` and `object`, in file order.
    pub allow_findings: Vec<AllowFinding>,
    /// `[output] migrations`: the migration tools `plan` also writes `migrations/<tool>/` for,
    /// in file order, each once.
    pub migrations: Vec<crate::render::migrations::Format>,
    /// The section of `docs/config.md` each line of the file is in (see [`doc_sections`]), so
    /// that errors found later, against the dump, point at the key's documentation too.
    pub doc_sections: Vec<(u32, &'static str)>,
    /// `[[references]]` entries in file order (declared references and `ignore` entries).
    pub references: Vec<DeclaredRef>,
    /// References files to import, in file order.
    pub imports: Vec<Import>,
}

impl Config {
    /// The silo named `name`.
    pub fn silo(&self, name: &str) -> Option<&Silo> {
        self.silos.iter().find(|s| s.name == name)
    }

    /// The `schema` files joined to the config's directory.
    pub fn schema_paths(&self) -> Vec<PathBuf> {
        self.schema.iter().map(|s| self.dir.join(s)).collect()
    }

    /// An error positioned in this config file, pointing at the documentation of the key it is
    /// under.
    pub fn error(&self, pos: Pos, message: impl Into<String>) -> ConfigError {
        let mut e = ConfigError::at(&self.path, pos, message);
        e.doc = section_at(&self.doc_sections, pos.line);
        e
    }
}

// ---------------------------------------------------------------------------------------------
// Errors.

/// A config that cannot be used: where, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The config file's path, as given.
    pub file: String,
    /// 1-based line; 0 when the error is about the file as a whole (missing, unreadable).
    pub line: u32,
    /// 1-based column; 0 with `line`.
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The section of `docs/config.md` that documents the key (`silos` for
    /// `docs/config.md#silos`); `None` points at the whole page.
    pub doc: Option<&'static str>,
}

impl ConfigError {
    /// An error at a position of `file`.
    pub fn at(file: &str, pos: Pos, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
            help: None,
            doc: None,
        }
    }

    /// Adds the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> ConfigError {
        self.help = Some(help.into());
        self
    }

    /// Points at another section of `docs/config.md` than the key's position gives.
    pub fn with_doc(mut self, section: &'static str) -> ConfigError {
        self.doc = Some(section);
        self
    }
}

/// The page documenting every key of the file, with its examples and errors.
pub const DOC_PAGE: &str = "docs/config.md";

/// The sections of [`DOC_PAGE`]: one per top-level key (its anchor is the key), and `toml` for
/// the file's syntax.
pub const DOC_SECTIONS: [&str; 14] = [
    "version",
    "schema",
    "dialect",
    "origin",
    "cleanup",
    "default_schema",
    "references",
    "defaults",
    "silos",
    "shared",
    "edges",
    "allow",
    "output",
    "toml",
];

/// For each line of a config's `text` that starts a documented key, the line and the key's
/// section in [`DOC_PAGE`]: a table header (`[silos.x]`, `[[edges]]`) starts its table's, a
/// top-level `key =` its own; a line belongs to the last start at or above it.
pub fn doc_sections(text: &str) -> Vec<(u32, &'static str)> {
    let known = |k: &str| DOC_SECTIONS.iter().copied().find(|s| *s == k);
    let mut out = Vec::new();
    let mut in_table = false;
    for (i, line) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = line.trim_start();
        let key = if let Some(h) = t.strip_prefix('[') {
            in_table = true;
            let h = h.trim_start_matches('[').trim_start();
            let end = h.find(['.', ']']).unwrap_or(h.len());
            Some(h[..end].trim().trim_matches(['"', '\'']))
        } else if !in_table {
            t.split_once('=').map(|(k, _)| k.trim())
        } else {
            None
        };
        if let Some(k) = key {
            // An unknown key or table is documented with the file's syntax and keys.
            out.push((line_no, known(k).unwrap_or("toml")));
        }
    }
    out
}

/// The section in effect at `line` (from [`doc_sections`]).
fn section_at(sections: &[(u32, &'static str)], line: u32) -> Option<&'static str> {
    sections
        .iter()
        .take_while(|(l, _)| *l <= line)
        .last()
        .map(|(_, s)| *s)
}

impl fmt::Display for ConfigError {
    /// `file:line:column: message`, then `  help: ...` on its own line when there is help.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )?;
        }
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        match self.doc {
            Some(d) => write!(f, "\n  see: {DOC_PAGE}#{d}"),
            None => write!(f, "\n  see: {DOC_PAGE}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Up to `n` candidates nearest to `target` by edit distance, nearest first (ties by name).
pub(crate) fn nearest<'a>(
    target: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(target, c), c))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// `` `a`, `b`, `c` ``.
pub(crate) fn backticked<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    items
        .into_iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `did you mean `x`? ` when one candidate is within a small edit distance of `target`.
fn did_you_mean<'a>(target: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match nearest(target, candidates, 1).first() {
        Some(c) if strsim::levenshtein(target, c) <= (target.chars().count() / 3).max(2) => {
            format!("did you mean `{c}`? ")
        }
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// The file format (what serde reads and what the JSON Schema describes).

/// `silo-plan.toml`: which tables go to which silo, and how broken foreign keys behave.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "silo-plan.toml")]
struct ConfigFile {
    /// Format version; must be 1.
    #[schemars(schema_with = "version_schema")]
    version: Spanned<toml::Value>,
    /// Dump files to read, relative to this file (`--schema` overrides).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    schema: Vec<Spanned<String>>,
    /// The dumps' SQL dialect (default `postgres`).
    #[schemars(with = "Option<Dialect>")]
    dialect: Option<Spanned<String>>,
    /// The silo whose tables stay in today's database.
    #[schemars(with = "Option<String>")]
    origin: Option<Spanned<String>>,
    /// What the phases' clean-up does with the moved tables in today's database: `drop`
    /// (default) or `lock-writes`.
    #[schemars(with = "Option<Cleanup>")]
    cleanup: Option<Spanned<String>>,
    /// Schema of table patterns written without a dot (default `public`).
    #[schemars(with = "Option<String>")]
    default_schema: Option<Spanned<String>>,
    /// Defaults for every foreign key and table.
    defaults: Option<DefaultsFile>,
    /// The silos: `[silos.NAME]` with the patterns of the tables each holds.
    #[serde(default)]
    silos: SiloMap,
    /// Tables whose schema is copied into every silo and whose data is not split.
    shared: Option<SharedFile>,
    /// Per-foreign-key overrides of the replicated `ON DELETE` action.
    #[serde(default)]
    #[schemars(with = "Vec<EdgeFile>")]
    edges: Vec<Spanned<EdgeFile>>,
    /// Crossings accepted for now: `check` does not fail on them.
    #[serde(default)]
    #[schemars(with = "Vec<AllowFile>")]
    allow: Vec<Spanned<AllowFile>>,
    /// What `plan` writes besides the plan itself.
    output: Option<OutputFile>,
    /// References the dump does not declare: `[[references]]` entries, and references files
    /// to import (`references = ["refs.json"]`, relative to this file; `[[references]] file =
    /// "refs.json"` in a file that also declares entries).
    #[serde(default)]
    #[schemars(with = "Vec<ReferenceItemFile>")]
    references: Vec<Spanned<ReferenceItem>>,
}

/// `[output]`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct OutputFile {
    /// Also write the plan's SQL as migrations of these tools, in `migrations/<tool>/`: `sql`,
    /// `dbmate`, `golang-migrate`, `goose`, `flyway`, `sqitch`, `atlas`, `django`, `rails`,
    /// `alembic`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    migrations: Vec<Spanned<String>>,
}

/// One item of `references`: a references file's path, or an entry.
#[allow(dead_code)] // only its JSON Schema is used
#[derive(JsonSchema)]
#[serde(untagged)]
enum ReferenceItemFile {
    /// A references file to import (schemas/references.schema.json), relative to this file.
    File(String),
    /// A `[[references]]` entry.
    Entry(ReferenceFile),
}

/// One item of `references` as read.
enum ReferenceItem {
    File(String),
    Entry(ReferenceFile),
}

impl<'de> Deserialize<'de> for ReferenceItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ReferenceItem;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a references file's path or a `[[references]]` entry")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ReferenceItem, E> {
                Ok(ReferenceItem::File(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<ReferenceItem, A::Error> {
                // The entry's own keys keep their spans: the map is handed on as it is.
                ReferenceFile::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(ReferenceItem::Entry)
            }
        }
        d.deserialize_any(V)
    }
}

/// `[[references]]`: `from` and `to` (with `on_delete`, `reason`), or `from` with `ignore =
/// true`, or `file` alone.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReferenceFile {
    /// The child column: `table.column` or `schema.table.column`; the table part may be a
    /// pattern (`*.user_id` declares one reference per table with a `user_id` column).
    #[schemars(with = "Option<String>")]
    from: Option<Spanned<String>>,
    /// The parent: `table` (its one-column primary key), `table.column` or
    /// `schema.table.column`. Must be a primary or unique key of compatible type.
    #[schemars(with = "Option<String>")]
    to: Option<Spanned<String>>,
    /// What the application does to the child rows when a parent row is deleted: `cascade`,
    /// `set-null`, `set-default`, `restrict` or `no-action` (nothing). Omitted: `[defaults]
    /// on_delete`.
    #[schemars(with = "Option<crate::refs_file::FileAction>")]
    on_delete: Option<Spanned<String>>,
    /// Why the reference exists (free text, shown in reports).
    #[schemars(with = "Option<String>")]
    reason: Option<Spanned<String>>,
    /// `true`: reject the inferred references `from` (and `to`, when given) match.
    #[schemars(with = "Option<bool>")]
    ignore: Option<Spanned<bool>>,
    /// A references file to import, relative to this file (alone in its entry).
    #[schemars(with = "Option<String>")]
    file: Option<Spanned<String>>,
}

fn version_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
    let mut s = schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::Integer.into()),
        const_value: Some(serde_json::json!(VERSION)),
        ..Default::default()
    };
    s.metadata().description = Some("Format version; must be 1.".into());
    s.into()
}

/// `[defaults]`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DefaultsFile {
    /// What to replicate where the dump says `NO ACTION`, or a declared or imported reference
    /// states no `on_delete`. Unset (default): what the database does today: a constraint's
    /// `NO ACTION` refuses the delete (`restrict`), a reference without one does nothing
    /// (`ignore`).
    #[schemars(with = "Option<EdgeAction>")]
    on_delete: Option<Spanned<String>>,
    /// What a table that no pattern matches is: `error` (default) or `warn`.
    #[schemars(with = "Option<Unassigned>")]
    unassigned: Option<Spanned<String>>,
    /// Infer references without a constraint from the dump's names (default `true`).
    #[schemars(with = "Option<bool>")]
    infer_references: Option<Spanned<bool>>,
}

/// `[silos.NAME]`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SiloFile {
    /// Table patterns: `name` (in `default_schema`), `schema.name`, `schema.*`; `*` and `?`
    /// glob. An exact name beats a glob; between globs, more literal characters win.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    tables: Vec<Spanned<String>>,
    /// Instances (regions) this silo runs as, e.g. `["us", "de"]`; omit for one instance.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    instances: Vec<Spanned<String>>,
    /// The table whose rows are placed in an instance, e.g. `"org_organization"` (in
    /// `default_schema`) or `"schema.table"`: a table of this silo. `plan` lists the tables
    /// reachable from it by references and `check` warns about the others (SP017).
    #[schemars(with = "Option<String>")]
    tenant: Option<Spanned<String>>,
    /// Unique keys that stay unique across the instances, e.g. `["org_organization.slug"]`
    /// (`table.column` or `schema.table.column`): each gets a reservation table in a
    /// single-instance silo. A key referenced from another silo needs one too (SP018).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    global_unique: Vec<Spanned<String>>,
    /// How ids stay apart across the instances: `"ranges"` (a sequence range per instance),
    /// `"instance-column"` (an instance column beside each reference into the silo) or
    /// `"snowflake"` (ids carrying the instance). Needs two or more `instances`.
    #[schemars(with = "Option<IdSpace>")]
    id_space: Option<Spanned<String>>,
    /// The instance that receives today's rows, one of `instances` (default: the first): for
    /// the origin silo, today's database becomes that instance; for a silo that moves, the
    /// phases move its rows into that instance's database. The others start empty.
    #[schemars(with = "Option<String>")]
    origin_instance: Option<Spanned<String>>,
}

/// `[shared]`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SharedFile {
    /// Table patterns, as in a silo.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    tables: Vec<Spanned<String>>,
}

/// `[[edges]]`: exactly one of `from` and `constraint`, and `on_delete`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct EdgeFile {
    /// The child column, `table.column` or `schema.table.column`: every foreign key of that
    /// table whose columns include it.
    #[schemars(with = "Option<String>")]
    from: Option<Spanned<String>>,
    /// A foreign-key constraint name, or `table.name` / `schema.table.name` when tables share
    /// the name.
    #[schemars(with = "Option<String>")]
    constraint: Option<Spanned<String>>,
    /// The action to replicate for these foreign keys.
    #[schemars(with = "EdgeAction")]
    on_delete: Option<Spanned<String>>,
}

/// `[[allow]]`: exactly one of `from` and `constraint` (a foreign key's crossing), or `code`
/// and `object` (any other finding), and a `reason`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AllowFile {
    /// The code of the finding accepted (`SP004`), with `object`; not for foreign keys.
    #[schemars(with = "Option<String>")]
    code: Option<Spanned<String>>,
    /// The finding's object as `check` names it (`public.org_stats`; globs `*` and `?`), with
    /// `code`.
    #[schemars(with = "Option<String>")]
    object: Option<Spanned<String>>,
    /// The child column, `table.column` or `schema.table.column`.
    #[schemars(with = "Option<String>")]
    from: Option<Spanned<String>>,
    /// A foreign-key constraint name, or `table.name` / `schema.table.name` when tables share
    /// the name.
    #[schemars(with = "Option<String>")]
    constraint: Option<Spanned<String>>,
    /// Why the crossing is accepted, and when it goes (required, not empty).
    #[schemars(with = "String")]
    reason: Option<Spanned<String>>,
}

/// `[silos]`, keeping file order (a map would sort it).
#[derive(Default)]
struct SiloMap(Vec<(Spanned<String>, SiloFile)>);

impl<'de> Deserialize<'de> for SiloMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SiloMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of silos, `[silos.NAME]`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<SiloMap, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = m.next_entry::<Spanned<String>, SiloFile>()? {
                    v.push(entry);
                }
                Ok(SiloMap(v))
            }
        }
        d.deserialize_map(V)
    }
}

impl JsonSchema for SiloMap {
    fn schema_name() -> String {
        "Silos".into()
    }
    fn json_schema(g: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        <BTreeMap<String, SiloFile>>::json_schema(g)
    }
}

/// The JSON Schema of `silo-plan.toml` (what `schemas/silo-plan.schema.json` holds).
pub fn json_schema() -> schemars::schema::RootSchema {
    // TOML has no null: an optional key is absent, never `null`.
    schemars::gen::SchemaSettings::draft07()
        .with(|s| s.option_add_null_type = false)
        .into_generator()
        .into_root_schema_for::<ConfigFile>()
}

// ---------------------------------------------------------------------------------------------
// Parsing.

/// Byte spans to positions, and errors at them.
struct Ctx<'a> {
    path: &'a str,
    src: SourceFile,
    sections: Vec<(u32, &'static str)>,
}

impl Ctx<'_> {
    fn pos(&self, offset: usize) -> Pos {
        Pos {
            line: self.src.line_of(offset),
            column: self.src.column_of(offset),
        }
    }

    fn pos_of<T>(&self, s: &Spanned<T>) -> Pos {
        self.pos(s.span().start)
    }

    fn err(&self, pos: Pos, message: impl Into<String>) -> ConfigError {
        let mut e = ConfigError::at(self.path, pos, message);
        e.doc = section_at(&self.sections, pos.line);
        e
    }

    fn err_at<T>(&self, s: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        self.err(self.pos_of(s), message)
    }

    /// A TOML syntax or shape error, rewritten to name the fix.
    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        let pos = e
            .span()
            .map_or(Pos { line: 1, column: 1 }, |s| self.pos(s.start));
        let msg = e.message().trim();
        let tick = |s: &str| -> Vec<String> {
            s.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        };
        if let Some(rest) = msg.strip_prefix("unknown field ") {
            let names = tick(rest);
            let (key, valid) = names.split_first().map_or(("", &[][..]), |(k, v)| (k, v));
            let valid_list = if valid.is_empty() {
                "none".to_string()
            } else {
                backticked(valid)
            };
            let mean = did_you_mean(key, valid.iter().map(String::as_str));
            return self
                .err(pos, format!("unknown key `{key}`"))
                .with_help(format!("{mean}valid keys here: {valid_list}"));
        }
        if let Some(rest) = msg.strip_prefix("missing field ") {
            let key = tick(rest).into_iter().next().unwrap_or_default();
            let help = match key.as_str() {
                "version" => "add `version = 1` at the top of the file".to_string(),
                _ => format!("add `{key} = ...`"),
            };
            let e = self
                .err(pos, format!("missing key `{key}`"))
                .with_help(help);
            return match DOC_SECTIONS.iter().find(|s| **s == key) {
                Some(s) => e.with_doc(s),
                None => e,
            };
        }
        if let Some(rest) = msg.strip_prefix("invalid type: ") {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
            let (expected, help) = match expected {
                "a sequence" => (
                    "a list",
                    "write it as a list, `[\"...\"]`, even for one item".to_string(),
                ),
                "a string" => ("a string", "quote it: `\"...\"`".to_string()),
                e if e.starts_with("struct ") || e.contains("table") || e.contains("map") => (
                    "a table",
                    "write it as a table, `[name]` with `key = value` lines".to_string(),
                ),
                e => (e, format!("write {e} here")),
            };
            return self
                .err(
                    pos,
                    format!("wrong type: found {found}, expected {expected}"),
                )
                .with_help(help);
        }
        // A syntax error: toml's message is "what\nexpected ..." or "what\nwhy".
        let lines: Vec<&str> = msg
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if let Some(dup) = lines.iter().find(|l| l.starts_with("duplicate key")) {
            return self
                .err(pos, format!("TOML error: {dup}"))
                .with_help("a key or table may appear only once: merge the two or remove one")
                .with_doc("toml");
        }
        let what = lines.first().copied().unwrap_or("invalid TOML");
        let help = match what {
            "invalid basic string" => {
                "close the string with `\"` on the same line (`\"\"\"` starts a multi-line string)"
                    .to_string()
            }
            "invalid literal string" => "close the string with `'` on the same line".to_string(),
            _ if lines.len() > 1 => {
                format!("{} (TOML syntax, https://toml.io)", lines[1..].join("; "))
            }
            _ => "fix the TOML syntax here (https://toml.io)".to_string(),
        };
        self.err(pos, format!("TOML syntax error: {what}"))
            .with_help(help)
            .with_doc("toml")
    }

    fn action(&self, s: &Spanned<String>, key: &str) -> Result<EdgeAction, ConfigError> {
        EdgeAction::from_name(s.get_ref()).ok_or_else(|| {
            let names = EdgeAction::ALL.map(EdgeAction::as_str);
            self.err_at(s, format!("invalid {key} action `{}`", s.get_ref()))
                .with_help(format!(
                    "{}use one of: {}",
                    did_you_mean(s.get_ref(), names),
                    backticked(names)
                ))
        })
    }

    /// `from` / `constraint` of an `[[edges]]` or `[[allow]]` entry.
    fn selector(
        &self,
        kind: &str,
        entry: &Spanned<impl Sized>,
        from: &Option<Spanned<String>>,
        constraint: &Option<Spanned<String>>,
    ) -> Result<(Selector, Pos), ConfigError> {
        match (from, constraint) {
            (Some(_), Some(c)) => Err(self
                .err_at(
                    c,
                    format!("`{kind}` entry has both `from` and `constraint`"),
                )
                .with_help(
                    "keep one: `from = \"table.column\"` selects the foreign keys of a child \
                     column, `constraint = \"name\"` one constraint",
                )),
            (None, None) => Err(self
                .err_at(
                    entry,
                    format!("`{kind}` entry has neither `from` nor `constraint`"),
                )
                .with_help(format!(
                    "add `from = \"table.column\"` (the child's foreign-key column) or \
                     `constraint = \"name\"`{}",
                    if kind == "[[allow]]" {
                        "; for a finding of another kind, `code = \"SP004\"` and \
                         `object = \"name\"`"
                    } else {
                        ""
                    }
                ))),
            (Some(f), None) => {
                let text = f.get_ref();
                let parts: Vec<&str> = text.split('.').collect();
                let ok = (parts.len() == 2 || parts.len() == 3)
                    && parts
                        .iter()
                        .all(|p| !p.is_empty() && !p.contains(['*', '?']) && p.trim() == *p);
                if !ok {
                    return Err(self
                        .err_at(
                            f,
                            format!(
                                "`from = \"{text}\"` is not `table.column` or \
                                 `schema.table.column`"
                            ),
                        )
                        .with_help(
                            "name the child table and its foreign-key column, e.g. \
                             `from = \"orders.customer_id\"` (no globs)",
                        ));
                }
                let (table, column) = text.rsplit_once('.').expect("checked: has a dot");
                Ok((
                    Selector::Column {
                        table: table.to_string(),
                        column: column.to_string(),
                    },
                    self.pos_of(f),
                ))
            }
            (None, Some(c)) => {
                if c.get_ref().trim().is_empty() {
                    return Err(self
                        .err_at(c, "empty `constraint`")
                        .with_help("write the foreign key's constraint name, as in the dump"));
                }
                Ok((Selector::Constraint(c.get_ref().clone()), self.pos_of(c)))
            }
        }
    }

    /// A pattern's syntax: not empty, at most one dot, no empty part.
    fn pattern(&self, s: &Spanned<String>) -> Result<Pattern, ConfigError> {
        let text = s.get_ref();
        let bad = if text.trim().is_empty() {
            Some("empty table pattern")
        } else if text.trim() != text {
            Some("table pattern with leading or trailing spaces")
        } else if text.matches('.').count() > 1 {
            Some("table pattern with more than one dot")
        } else if text.starts_with('.') || text.ends_with('.') {
            Some("table pattern with an empty schema or table part")
        } else {
            None
        };
        match bad {
            Some(m) => Err(self.err_at(s, format!("{m}: `{text}`")).with_help(
                "write `name`, `schema.name` or `schema.*`; `*` matches any characters and `?` one",
            )),
            None => Ok(Pattern {
                text: text.clone(),
                pos: self.pos_of(s),
            }),
        }
    }
}

/// The `(schema, name)` a pattern stands for, with `default_schema` applied.
pub(crate) fn split_pattern<'p>(text: &'p str, default_schema: &'p str) -> (&'p str, &'p str) {
    text.split_once('.').unwrap_or((default_schema, text))
}

fn valid_silo_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Every name made from the silos ([`crate::names::silo_names`]: files, environment and psql
/// variables, tables, functions, publications, subscriptions) stands for one silo: an error at
/// the second silo's name when two make the same one (`a-b` and `a_b`, `Control` and
/// `control`), or when a silo makes one of silo-plan's own.
fn names_apart(cx: &Ctx, file: &ConfigFile, silos: &[Silo]) -> Result<(), ConfigError> {
    use crate::names::{first_collision, owner_silos, silo_names, Owner, SiloInput};
    let origin = file.origin.as_ref().map(|o| o.get_ref().as_str());
    let inputs: Vec<SiloInput> = silos
        .iter()
        .map(|s| SiloInput {
            name: &s.name,
            instances: &s.instances,
            origin: origin == Some(s.name.as_str()),
        })
        .collect();
    let names = silo_names(&inputs, origin.is_some());
    let Some((first, second)) = first_collision(&names) else {
        return Ok(());
    };
    // The error stands at the silo declared last among the two names' silos.
    let involved = |o: &Owner| owner_silos(o);
    let mut all = involved(&first.owner);
    all.extend(involved(&second.owner));
    let at = all.iter().copied().max().unwrap_or(0);
    let silo = &silos[at];
    let at_silo = |i: usize| format!("silo `{}` (at {})", silos[i].name, silos[i].name_pos);
    let describe = |d: &crate::names::Derived| match d.owner {
        Owner::Fixed => d.what.clone(),
        Owner::Silo(i) => format!("{}, for {}", d.what, at_silo(i)),
        Owner::Pair(f, t) => format!(
            "{}, for {}",
            d.what
                .replace(&format!("silo `{}`", silos[f].name), &at_silo(f)),
            at_silo(t)
        ),
    };
    let help = if first.owner == Owner::Fixed {
        format!(
            "names made from a silo use it in lowercase with `-` as `_`: rename silo `{}`",
            silo.name
        )
    } else {
        "names made from a silo use it in lowercase with `-` as `_` (file names compared \
         without case), joined to fixed words: rename one of these silos"
            .to_string()
    };
    Err(cx
        .err(
            silo.name_pos,
            format!(
                "the name `{}` would stand for two things: {}, and {}",
                second.name,
                describe(first),
                describe(second)
            ),
        )
        .with_help(help))
}

/// Parses and validates a config's text. `path` is used in errors and to find `schema` files.
pub fn parse(path: &str, text: &str) -> Result<Config, ConfigError> {
    let cx = Ctx {
        path,
        src: SourceFile::new(path, text.to_string()),
        sections: doc_sections(text),
    };
    let file: ConfigFile = toml::from_str(text).map_err(|e| cx.toml_error(&e))?;

    // version
    if file.version.get_ref().as_integer() != Some(i64::from(VERSION)) {
        return Err(cx
            .err_at(
                &file.version,
                format!("unsupported version {}", file.version.get_ref()),
            )
            .with_help(format!(
                "this silo-plan reads `version = {VERSION}`; write that"
            )));
    }

    // schema, dialect, default_schema
    let mut schema = Vec::new();
    for s in &file.schema {
        if s.get_ref().trim().is_empty() {
            return Err(cx
                .err_at(s, "empty path in `schema`")
                .with_help("give the dump's path relative to this file, or remove the entry"));
        }
        schema.push(s.get_ref().clone());
    }
    let dialect = match &file.dialect {
        None => Dialect::default(),
        Some(d) => match d.get_ref().as_str() {
            "postgres" => Dialect::Postgres,
            "mysql" => Dialect::MySql,
            other => {
                return Err(cx
                    .err_at(d, format!("unknown dialect `{other}`"))
                    .with_help("use `\"postgres\"` or `\"mysql\"`"))
            }
        },
    };
    let cleanup = match &file.cleanup {
        None => Cleanup::Drop,
        Some(c) => match c.get_ref().as_str() {
            "drop" => Cleanup::Drop,
            "lock-writes" => Cleanup::LockWrites,
            other => {
                return Err(cx
                    .err_at(c, format!("unknown cleanup `{other}`"))
                    .with_help("use `\"drop\"` or `\"lock-writes\"`"))
            }
        },
    };
    let default_schema = match &file.default_schema {
        None => "public".to_string(),
        Some(s) if s.get_ref().trim().is_empty() || s.get_ref().contains('.') => {
            return Err(cx
                .err_at(s, format!("invalid default_schema `{}`", s.get_ref()))
                .with_help("give one schema name, e.g. `default_schema = \"public\"`"))
        }
        Some(s) => s.get_ref().clone(),
    };

    // defaults
    let mut defaults = Defaults::default();
    if let Some(d) = &file.defaults {
        if let Some(a) = &d.on_delete {
            defaults.on_delete = Some(cx.action(a, "on_delete")?);
        }
        if let Some(u) = &d.unassigned {
            defaults.unassigned = match u.get_ref().as_str() {
                "error" => Unassigned::Error,
                "warn" => Unassigned::Warn,
                other => {
                    return Err(cx
                        .err_at(u, format!("invalid unassigned value `{other}`"))
                        .with_help(format!(
                            "{}use `\"error\"` or `\"warn\"`",
                            did_you_mean(other, ["error", "warn"])
                        )))
                }
            }
        }
        if let Some(b) = &d.infer_references {
            defaults.infer_references = *b.get_ref();
        }
    }

    // silos
    let mut silos: Vec<Silo> = Vec::new();
    for (name, s) in &file.silos.0 {
        let n = name.get_ref();
        if n == "shared" || n == "unassigned" {
            let help = if n == "shared" {
                "tables copied into every silo go in the top-level `[shared]` table; \
                 give this silo another name"
            } else {
                "`unassigned` is how tables no pattern matches are reported; give this silo \
                 another name"
            };
            return Err(cx
                .err_at(name, format!("a silo cannot be named `{n}`"))
                .with_help(help));
        }
        if !valid_silo_name(n) {
            return Err(cx
                .err_at(name, format!("invalid silo name `{n}`"))
                .with_help(
                    "silo names become file and role names: start with a letter, then letters, \
                     digits, `_` or `-`",
                ));
        }
        if s.tables.is_empty() {
            return Err(cx
                .err_at(name, format!("silo `{n}` has no tables"))
                .with_help(format!(
                    "list its table patterns, e.g. `tables = [\"{n}_*\"]`, or remove \
                     `[silos.{n}]`"
                )));
        }
        let tables = s
            .tables
            .iter()
            .map(|p| cx.pattern(p))
            .collect::<Result<Vec<_>, _>>()?;
        let mut instances: Vec<String> = Vec::new();
        for i in &s.instances {
            let v = i.get_ref();
            if !valid_silo_name(v) {
                return Err(cx
                    .err_at(i, format!("invalid instance name `{v}`"))
                    .with_help(
                        "instance names become file and role names: start with a letter, then \
                         letters, digits, `_` or `-`",
                    ));
            }
            if instances.contains(v) {
                return Err(cx
                    .err_at(i, format!("duplicate instance `{v}` in silo `{n}`"))
                    .with_help("list each instance once"));
            }
            let key = crate::names::instance_key(v);
            if let Some(other) = instances
                .iter()
                .find(|o| crate::names::instance_key(o) == key)
            {
                return Err(cx
                    .err_at(
                        i,
                        format!(
                            "instances `{other}` and `{v}` of silo `{n}` both become `{key}` in \
                             subscription and replication slot names"
                        ),
                    )
                    .with_help(
                        "those names are lowercase with `-` as `_`: rename one of the two \
                         instances",
                    ));
            }
            instances.push(v.clone());
        }
        let tenant = match &s.tenant {
            None => None,
            Some(t) => {
                let text = t.get_ref();
                let (schema, table) = split_pattern(text, "x");
                if schema.is_empty()
                    || table.is_empty()
                    || table.contains('.')
                    || text.contains(['*', '?'])
                    || text.trim() != text
                {
                    return Err(cx.err_at(t, format!("invalid tenant `{text}`")).with_help(
                        "name one table of this silo: `table` (in `default_schema`) or \
                             `schema.table`, no glob",
                    ));
                }
                Some(Pattern {
                    text: text.clone(),
                    pos: cx.pos_of(t),
                })
            }
        };
        let mut global_unique: Vec<Pattern> = Vec::new();
        for g in &s.global_unique {
            let text = g.get_ref();
            let parts: Vec<&str> = text.split('.').collect();
            if !(2..=3).contains(&parts.len())
                || parts.iter().any(|p| p.is_empty() || p.trim() != *p)
                || text.contains(['*', '?'])
            {
                return Err(cx
                    .err_at(g, format!("invalid global_unique entry `{text}`"))
                    .with_help(
                        "name a one-column unique key of this silo: `table.column` (table in \
                         `default_schema`) or `schema.table.column`",
                    ));
            }
            if global_unique.iter().any(|p| p.text == *text) {
                return Err(cx
                    .err_at(g, format!("duplicate global_unique entry `{text}`"))
                    .with_help("list each key once"));
            }
            global_unique.push(Pattern {
                text: text.clone(),
                pos: cx.pos_of(g),
            });
        }
        let id_space = match &s.id_space {
            None => None,
            Some(v) => {
                let scheme = match v.get_ref().as_str() {
                    "ranges" => IdSpace::Ranges,
                    "instance-column" => IdSpace::InstanceColumn,
                    "snowflake" => IdSpace::Snowflake,
                    other => {
                        return Err(cx
                            .err_at(v, format!("invalid id_space `{other}` in silo `{n}`"))
                            .with_help(
                                "write \"ranges\" (a sequence range per instance), \
                                 \"instance-column\" (an instance column beside each reference \
                                 into the silo) or \"snowflake\" (ids that carry the instance)",
                            ));
                    }
                };
                if instances.len() < 2 {
                    return Err(cx
                        .err_at(
                            v,
                            format!("id_space of silo `{n}` needs two or more instances"),
                        )
                        .with_help(format!(
                            "ids collide only between instances: list them in `[silos.{n}] \
                             instances`, or remove `id_space`"
                        )));
                }
                Some(IdSpaceSetting {
                    scheme,
                    pos: cx.pos_of(v),
                })
            }
        };
        let origin_instance = match &s.origin_instance {
            None => None,
            Some(v) => {
                let text = v.get_ref();
                if instances.len() < 2 {
                    return Err(cx
                        .err_at(
                            v,
                            format!("origin_instance of silo `{n}` needs two or more instances"),
                        )
                        .with_help(format!(
                            "a silo that runs once has no instance to choose: list them in \
                             `[silos.{n}] instances`, or remove `origin_instance`"
                        )));
                }
                if !instances.contains(text) {
                    return Err(cx
                        .err_at(
                            v,
                            format!("origin_instance `{text}` is not an instance of silo `{n}`"),
                        )
                        .with_help(format!(
                            "{}name one of its instances: {}",
                            did_you_mean(text, instances.iter().map(String::as_str)),
                            backticked(&instances)
                        )));
                }
                Some(Pattern {
                    text: text.clone(),
                    pos: cx.pos_of(v),
                })
            }
        };
        silos.push(Silo {
            name: n.clone(),
            name_pos: cx.pos_of(name),
            tables,
            instances,
            tenant,
            global_unique,
            id_space,
            origin_instance,
        });
    }
    if silos.is_empty() {
        return Err(cx
            .err(Pos { line: 1, column: 1 }, "no silos defined")
            .with_doc("silos")
            .with_help(
                "add a `[silos.NAME]` table per silo with `tables = [...]` patterns \
                 (examples/saas/silo-plan.toml is a complete example)",
            ));
    }
    let shared = match &file.shared {
        None => Vec::new(),
        Some(s) => s
            .tables
            .iter()
            .map(|p| cx.pattern(p))
            .collect::<Result<Vec<_>, _>>()?,
    };

    // duplicate patterns: the same (schema, name) listed twice anywhere
    let mut seen: BTreeMap<(String, String), (&str, &Pattern)> = BTreeMap::new();
    let owners = silos
        .iter()
        .map(|s| (s.name.as_str(), &s.tables))
        .chain(std::iter::once(("shared", &shared)));
    for (owner, patterns) in owners {
        for p in patterns {
            let (sch, name) = split_pattern(&p.text, &default_schema);
            let key = (sch.to_string(), name.to_string());
            if let Some((o, first)) = seen.get(&key) {
                let where_ = |o: &str| {
                    if o == "shared" {
                        "[shared]".to_string()
                    } else {
                        format!("silo `{o}`")
                    }
                };
                let help = if *o == owner {
                    "remove one of the two".to_string()
                } else {
                    format!(
                        "a table lives in one place: keep it in {} or in {}, not both",
                        where_(o),
                        where_(owner)
                    )
                };
                return Err(cx
                    .err(
                        p.pos,
                        format!(
                            "duplicate pattern `{}` in {}: already listed as `{}` at {} in {}",
                            p.text,
                            where_(owner),
                            first.text,
                            first.pos,
                            where_(o)
                        ),
                    )
                    .with_help(help));
            }
            seen.insert(key, (owner, p));
        }
    }

    // origin
    if let Some(o) = &file.origin {
        let n = o.get_ref();
        if silos.iter().all(|s| &s.name != n) {
            let names: Vec<&str> = silos.iter().map(|s| s.name.as_str()).collect();
            let help = if n == "shared" {
                format!(
                    "the origin is a silo (shared tables are in every database); silos: {}",
                    backticked(&names)
                )
            } else {
                format!(
                    "{}silos in this file: {}",
                    did_you_mean(n, names.iter().copied()),
                    backticked(&names)
                )
            };
            return Err(cx
                .err_at(o, format!("origin `{n}` names no silo"))
                .with_help(help));
        }
    }

    // names made from the silos: none may stand for two of them
    names_apart(&cx, &file, &silos)?;

    // edges and allow
    let mut edges = Vec::new();
    for e in &file.edges {
        let (selector, pos) =
            cx.selector("[[edges]]", e, &e.get_ref().from, &e.get_ref().constraint)?;
        let on_delete = match &e.get_ref().on_delete {
            Some(a) => cx.action(a, "on_delete")?,
            None => {
                return Err(cx
                    .err(pos, "`[[edges]]` entry without `on_delete`")
                    .with_help(format!(
                        "add `on_delete = \"...\"`, one of: {}",
                        backticked(EdgeAction::ALL.map(EdgeAction::as_str))
                    )))
            }
        };
        edges.push(EdgeRule {
            selector,
            on_delete,
            pos,
        });
    }
    let mut allow = Vec::new();
    let mut allow_findings = Vec::new();
    for a in &file.allow {
        let entry = a.get_ref();
        if let Some(found) = allow_finding(&cx, a)? {
            allow_findings.push(found);
            continue;
        }
        let (selector, pos) = cx.selector("[[allow]]", a, &entry.from, &entry.constraint)?;
        let reason = match &entry.reason {
            Some(r) if !r.get_ref().trim().is_empty() => r.get_ref().trim().to_string(),
            r => {
                let at = r.as_ref().map_or(pos, |r| cx.pos_of(r));
                return Err(cx.err(at, "`[[allow]]` entry without a reason").with_help(
                    "add `reason = \"...\"`: why this crossing is accepted and when it goes \
                         (e.g. a tracking issue)",
                ));
            }
        };
        allow.push(AllowRule {
            selector,
            reason,
            pos,
        });
    }

    let mut migrations = Vec::new();
    for m in file.output.iter().flat_map(|o| &o.migrations) {
        let Some(f) = crate::render::migrations::Format::from_name(m.get_ref()) else {
            return Err(cx
                .err(
                    cx.pos_of(m),
                    format!("unknown migration tool `{}`", m.get_ref()),
                )
                .with_help(format!(
                    "`[output] migrations` takes: {}",
                    crate::render::migrations::Format::names()
                )));
        };
        if !migrations.contains(&f) {
            migrations.push(f);
        }
    }
    let (references, imports) = references(&cx, &file.references)?;

    let dir = match Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(Config {
        path: path.to_string(),
        dir,
        version: VERSION,
        schema,
        dialect,
        origin: file.origin,
        cleanup,
        default_schema,
        defaults,
        silos,
        shared,
        edges,
        allow,
        allow_findings,
        migrations,
        doc_sections: cx.sections,
        references,
        imports,
    })
}

/// An `[[allow]]` entry with `code` or `object` (`None` for one with neither: a foreign key's).
fn allow_finding(
    cx: &Ctx<'_>,
    a: &Spanned<AllowFile>,
) -> Result<Option<AllowFinding>, ConfigError> {
    use crate::findings::Code;
    let entry = a.get_ref();
    let (code, object) =
        match (&entry.code, &entry.object) {
            (None, None) => return Ok(None),
            (Some(c), None) => return Err(cx
                .err_at(c, "`[[allow]]` entry with `code` but no `object`")
                .with_help(
                    "add `object = \"...\"`: the object the finding names, as `check` prints it \
                     (`public.org_stats` or `org_stats` in default_schema; globs `*` and `?`)",
                )),
            (None, Some(o)) => {
                return Err(cx
                    .err_at(o, "`[[allow]]` entry with `object` but no `code`")
                    .with_help("add `code = \"SP004\"`: the code of the finding to accept"))
            }
            (Some(c), Some(o)) => (c, o),
        };
    if let Some(sel) = entry.from.as_ref().or(entry.constraint.as_ref()) {
        let key = if entry.from.is_some() {
            "from"
        } else {
            "constraint"
        };
        return Err(cx
            .err_at(
                sel,
                format!("`[[allow]]` entry has both `code` and `{key}`"),
            )
            .with_help(
                "keep one: `from` or `constraint` accepts a foreign key's crossing (SP002, \
                 SP003, SP017), `code` and `object` any other finding",
            ));
    }
    let text = code.get_ref().trim();
    let Some(found) = Code::ALL
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(text) || k.name() == text)
    else {
        let names = AllowFinding::CODES.map(Code::as_str);
        return Err(cx
            .err_at(code, format!("unknown finding code `{text}`"))
            .with_help(format!(
                "{}`code` takes: {} (docs/codes.md)",
                did_you_mean(text, names),
                backticked(names)
            )));
    };
    if !AllowFinding::CODES.contains(&found) {
        let help = match found {
            Code::CrossSiloForeignKey | Code::SharedForeignKey | Code::InferredCrossing => {
                "select the foreign key or reference instead: `from = \"table.column\"` or \
                 `constraint = \"name\"`, without `code` and `object`"
                    .to_string()
            }
            _ => format!(
                "{} is not a finding of `check` that an entry can accept; `code` takes: {}",
                found.as_str(),
                backticked(AllowFinding::CODES.map(Code::as_str))
            ),
        };
        return Err(cx
            .err_at(code, format!("`[[allow]]` cannot take `code = \"{text}\"`"))
            .with_help(help));
    }
    let pattern = object.get_ref();
    if pattern.trim().is_empty() || pattern.trim() != pattern {
        return Err(cx
            .err_at(object, "empty `object`, or with leading or trailing spaces")
            .with_help(
                "write the object the finding names, as `check` prints it (`public.org_stats`; \
                 `*` matches every object)",
            ));
    }
    let pos = cx.pos_of(code);
    let reason = match &entry.reason {
        Some(r) if !r.get_ref().trim().is_empty() => r.get_ref().trim().to_string(),
        r => {
            let at = r.as_ref().map_or(pos, |r| cx.pos_of(r));
            return Err(cx.err(at, "`[[allow]]` entry without a reason").with_help(
                "add `reason = \"...\"`: why this finding is accepted and when it goes \
                     (e.g. a tracking issue)",
            ));
        }
    };
    Ok(Some(AllowFinding {
        code: found,
        object: pattern.clone(),
        reason,
        pos,
    }))
}

/// The `references` items: declared entries and files to import.
fn references(
    cx: &Ctx<'_>,
    items: &[Spanned<ReferenceItem>],
) -> Result<(Vec<DeclaredRef>, Vec<Import>), ConfigError> {
    let mut declared = Vec::new();
    let mut imports = Vec::new();
    for item in items {
        let e = match item.get_ref() {
            ReferenceItem::File(path) => {
                if path.trim().is_empty() {
                    return Err(cx
                        .err_at(item, "empty path in `references`")
                        .with_help("give the references file's path relative to this file"));
                }
                imports.push(Import {
                    path: path.clone(),
                    pos: cx.pos_of(item),
                    text: None,
                });
                continue;
            }
            ReferenceItem::Entry(e) => e,
        };
        if let Some(f) = &e.file {
            let other = [
                e.from.as_ref().map(|_| "from"),
                e.to.as_ref().map(|_| "to"),
                e.on_delete.as_ref().map(|_| "on_delete"),
                e.reason.as_ref().map(|_| "reason"),
                e.ignore.as_ref().map(|_| "ignore"),
            ];
            if let Some(k) = other.into_iter().flatten().next() {
                return Err(cx
                    .err_at(f, format!("`[[references]]` entry has both `file` and `{k}`"))
                    .with_help(
                        "an entry either imports a references file (`file` alone) or declares                          a reference (`from`, `to`, `on_delete`): split it in two",
                    ));
            }
            if f.get_ref().trim().is_empty() {
                return Err(cx
                    .err_at(f, "empty `file` in `[[references]]`")
                    .with_help("give the references file's path relative to this file"));
            }
            imports.push(Import {
                path: f.get_ref().clone(),
                pos: cx.pos_of(f),
                text: None,
            });
            continue;
        }
        let Some(from) = &e.from else {
            return Err(cx
                .err_at(item, "`[[references]]` entry without `from`")
                .with_help(
                    "add `from = \"table.column\"` (the child column; `*.column` for every \
                     table with it) and `to = \"parent\"`, or `file = \"refs.json\"` to import",
                ));
        };
        let text = from.get_ref();
        let parts: Vec<&str> = text.split('.').collect();
        let ok = (parts.len() == 2 || parts.len() == 3)
            && parts.iter().all(|p| !p.is_empty() && p.trim() == *p)
            && !parts[parts.len() - 1].contains(['*', '?']);
        if !ok {
            return Err(cx
                .err_at(
                    from,
                    format!("`from = \"{text}\"` is not `table.column` or `schema.table.column`"),
                )
                .with_help(
                    "name the child table (a pattern such as `*` is allowed) and its column, \
                     e.g. `from = \"orders.customer_id\"` or `from = \"*.user_id\"`",
                ));
        }
        let ignore = e.ignore.as_ref().is_some_and(|b| *b.get_ref());
        if let Some(t) = &e.to {
            let tt = t.get_ref();
            let n = tt.split('.').count();
            if n > 3
                || tt
                    .split('.')
                    .any(|p| p.is_empty() || p.trim() != p || p.contains(['*', '?']))
            {
                return Err(cx
                    .err_at(t, format!("`to = \"{tt}\"` is not `table`, `table.column` or `schema.table.column`"))
                    .with_help("name the parent table, and its key column when it is not the one-column primary key (no patterns)"));
            }
        } else if !ignore {
            return Err(cx
                .err_at(from, "`[[references]]` entry without `to`")
                .with_help(
                    "add `to = \"parent\"` (its one-column primary key) or `to = \
                     \"parent.column\"`; or `ignore = true` to reject the inferred reference",
                ));
        }
        if ignore {
            if let Some(a) = &e.on_delete {
                return Err(cx
                    .err_at(
                        a,
                        "`[[references]]` entry with `ignore = true` and `on_delete`",
                    )
                    .with_help(
                        "`ignore = true` rejects an inferred reference, so nothing is deleted \
                         through it: remove `on_delete`, or `ignore` to declare the reference",
                    ));
            }
        }
        let on_delete = match &e.on_delete {
            None => None,
            Some(a) => Some(match a.get_ref().as_str() {
                "cascade" => FkAction::Cascade,
                "set-null" => FkAction::SetNull,
                "set-default" => FkAction::SetDefault,
                "restrict" => FkAction::Restrict,
                "no-action" => FkAction::NoAction,
                other => {
                    let names = [
                        "cascade",
                        "set-null",
                        "set-default",
                        "restrict",
                        "no-action",
                    ];
                    return Err(cx
                        .err_at(a, format!("invalid on_delete action `{other}`"))
                        .with_help(format!(
                            "{}use one of: {} (what the application does to the child rows)",
                            did_you_mean(other, names),
                            backticked(names)
                        )));
                }
            }),
        };
        declared.push(DeclaredRef {
            from: text.clone(),
            pos: cx.pos_of(from),
            to: e.to.as_ref().map(|t| t.get_ref().clone()),
            to_pos: e.to.as_ref().map(|t| cx.pos_of(t)),
            on_delete,
            reason: e
                .reason
                .as_ref()
                .map(|r| r.get_ref().trim().to_string())
                .filter(|r| !r.is_empty()),
            ignore,
        });
    }
    Ok((declared, imports))
}

/// Reads the references files `cfg` imports (relative to [`Config::dir`]) into
/// [`Import::text`]; a file that is missing or not UTF-8 is an error at its path in the config.
pub fn read_imports(cfg: &mut Config) -> Result<(), ConfigError> {
    for i in 0..cfg.imports.len() {
        let at = cfg.dir.join(&cfg.imports[i].path);
        let err = |m: String, help: &str| {
            Err(ConfigError::at(&cfg.path, cfg.imports[i].pos, m).with_help(help))
        };
        match std::fs::read(&at) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => cfg.imports[i].text = Some(t),
                Err(_) => {
                    return err(
                        format!("references file `{}` is not valid UTF-8", at.display()),
                        "save it as UTF-8 JSON (schemas/references.schema.json)",
                    )
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return err(
                    format!("references file `{}` not found", at.display()),
                    "the path is relative to this config file: fix it, or remove the entry",
                )
            }
            Err(e) => {
                return err(
                    format!("cannot read references file `{}`: {e}", at.display()),
                    "check the file's permissions",
                )
            }
        }
    }
    Ok(())
}

/// Reads and parses the config: `path_or_dir` is the file, or a directory holding
/// `silo-plan.toml`.
pub fn load(path_or_dir: &Path) -> Result<Config, ConfigError> {
    let is_dir = path_or_dir.is_dir();
    let file = if is_dir {
        path_or_dir.join(FILE_NAME)
    } else {
        path_or_dir.to_path_buf()
    };
    let shown = file.display().to_string();
    let whole = |message: String, help: Option<String>| ConfigError {
        file: shown.clone(),
        line: 0,
        column: 0,
        message,
        help,
        doc: None,
    };
    match std::fs::read(&file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => {
                let mut cfg = parse(&shown, &text)?;
                read_imports(&mut cfg)?;
                Ok(cfg)
            }
            Err(_) => Err(whole(
                "not valid UTF-8".into(),
                Some("save the file as UTF-8".into()),
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let message = if is_dir {
                format!("no {FILE_NAME} in `{}`", path_or_dir.display())
            } else {
                "no such file".to_string()
            };
            Err(whole(
                message,
                Some(format!(
                    "write a starter with `silo-plan init --schema <dump>.sql`, or create \
                     `{shown}` with `version = 1`, `schema = [\"<dump>.sql\"]` and one \
                     `[silos.NAME]` table per silo listing its `tables` patterns \
                     (examples/saas/silo-plan.toml is a complete example), or pass \
                     `--config FILE`"
                )),
            ))
        }
        Err(e) => Err(whole(format!("cannot read: {e}"), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Config {
        parse("t.toml", text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn err(text: &str) -> String {
        parse("t.toml", text).unwrap_err().to_string()
    }

    const MIN: &str = "version = 1\n[silos.a]\ntables = [\"a_*\"]\n";

    #[test]
    fn minimal_and_defaults() {
        let c = ok(MIN);
        assert_eq!(c.dir, PathBuf::from("."));
        assert_eq!(c.default_schema, "public");
        assert_eq!(c.defaults, Defaults::default());
        assert_eq!(c.dialect, Dialect::Postgres);
        assert_eq!(c.silos.len(), 1);
        assert_eq!(c.silos[0].name_pos, Pos { line: 2, column: 8 });
        assert_eq!(
            c.silos[0].tables[0].pos,
            Pos {
                line: 3,
                column: 11
            }
        );
    }

    #[test]
    fn silos_keep_file_order() {
        let c = ok(
            "version = 1\n[silos.zeta]\ntables = [\"z\"]\n[silos.alpha]\ntables = [\"a\"]\n\
             [silos.mid]\ntables = [\"m\"]\n",
        );
        let names: Vec<&str> = c.silos.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha", "mid"]);
    }

    #[test]
    fn rules() {
        let c = ok(&format!(
            "{MIN}[[edges]]\nfrom = \"s.t.c\"\non_delete = \"set-null\"\n[[allow]]\n\
             constraint = \"fk\"\nreason = \" why \"\n"
        ));
        assert_eq!(
            c.edges[0].selector,
            Selector::Column {
                table: "s.t".into(),
                column: "c".into()
            }
        );
        assert_eq!(c.edges[0].on_delete, EdgeAction::SetNull);
        assert_eq!(c.edges[0].pos, Pos { line: 5, column: 8 });
        assert_eq!(c.allow[0].selector, Selector::Constraint("fk".into()));
        assert_eq!(c.allow[0].reason, "why");
    }

    #[test]
    fn errors_have_positions() {
        assert!(err("version = 2\n").starts_with("t.toml:1:11: unsupported version 2"));
        assert!(err(&format!("{MIN}bogus = 1\n")).starts_with("t.toml:4:1: unknown key `bogus`"));
        assert!(
            err("version = 1\n[silos.a]\ntables = [\"a\"]\ninstance = []\n")
                .contains("did you mean `instances`?")
        );
        assert!(err("[silos.a]\ntables = [\"a\"]\n").contains("missing key `version`"));
    }

    #[test]
    fn schema_lists_every_key() {
        let s = serde_json::to_string(&json_schema()).unwrap();
        for key in [
            "version",
            "silos",
            "shared",
            "edges",
            "allow",
            "on_delete",
            "instances",
        ] {
            assert!(s.contains(&format!("\"{key}\"")), "{key} missing from {s}");
        }
        assert!(s.contains("set-null"));
    }

    #[test]
    fn errors_point_at_the_section_of_their_key() {
        let e = parse(
            "t.toml",
            "version = 1\nschema = [\n  \"a.sql\",\n  \"\",\n]\n",
        )
        .unwrap_err();
        assert_eq!(e.doc, Some("schema"), "{e}");
        assert!(
            e.to_string().ends_with("\n  see: docs/config.md#schema"),
            "{e}"
        );
        let e = parse("t.toml", &format!("{MIN}[[edges]]\nfrom = \"a.b\"\n")).unwrap_err();
        assert_eq!(e.doc, Some("edges"), "{e}");
        let e = parse("t.toml", "version = 1\norgin = \"a\"\n").unwrap_err();
        assert_eq!(e.doc, Some("toml"), "{e}");
    }

    #[test]
    fn nearest_is_stable() {
        assert_eq!(
            nearest("auth_usr", ["auth_user", "auth_users", "x"], 2),
            ["auth_user", "auth_users"]
        );
    }
}
