//! The schema model: every object a dump defines, with where it was defined.
//!
//! Plain data, no parsing and no I/O. The reader ([`crate::dump`]) fills it; every later stage
//! (assignment, graph, plan) only reads it. Names are stored resolved: schema-qualified with the
//! dump's `search_path` applied, identifiers case-folded as Postgres folds them. Vectors keep
//! dump order; lookups go through [`Catalog::table`] and friends.

use std::fmt;

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

pub use crate::source::Span;

/// A schema-qualified name, `schema.name`, serialized as that string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct QName {
    /// Schema (namespace).
    pub schema: String,
    /// Object name within the schema.
    pub name: String,
}

impl QName {
    /// Builds a name from its two parts.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Three plain writes (the same text as `write!(f, "{}.{}", ..)`, without the
        // formatting machinery: names are displayed and serialized by the thousand).
        f.write_str(&self.schema)?;
        f.write_str(".")?;
        f.write_str(&self.name)
    }
}

impl Serialize for QName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The `Display` text, as one string, without a `String` per name (plan.json holds
        // millions of names at scale): joined in a buffer on the stack when it fits (one
        // string for the serializer to scan and copy, not three pieces through `fmt`), else
        // written piece by piece into the serializer.
        let (a, b) = (self.schema.as_bytes(), self.name.as_bytes());
        let mut buf = [0u8; 128];
        if a.len() + 1 + b.len() <= buf.len() {
            buf[..a.len()].copy_from_slice(a);
            buf[a.len()] = b'.';
            let end = a.len() + 1 + b.len();
            buf[a.len() + 1..end].copy_from_slice(b);
            if let Ok(text) = std::str::from_utf8(&buf[..end]) {
                return s.serialize_str(text);
            }
        }
        s.collect_str(self)
    }
}

impl JsonSchema for QName {
    fn schema_name() -> String {
        "QName".into()
    }
    fn json_schema(g: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        let mut s = String::json_schema(g).into_object();
        s.metadata().description = Some("Schema-qualified name, `schema.name`.".into());
        s.into()
    }
}

/// What a foreign key does when the referenced row is deleted or its key updated.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FkAction {
    /// `NO ACTION` (the default): checked at statement or transaction end.
    #[default]
    NoAction,
    /// `RESTRICT`: checked immediately.
    Restrict,
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
}

impl FkAction {
    /// The action as written in JSON and plans: `no-action`, `set-null`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            FkAction::NoAction => "no-action",
            FkAction::Restrict => "restrict",
            FkAction::Cascade => "cascade",
            FkAction::SetNull => "set-null",
            FkAction::SetDefault => "set-default",
        }
    }

    /// The action as SQL writes it after `ON DELETE` / `ON UPDATE`: `NO ACTION`, `SET NULL`, ...
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }
}

/// `MATCH` kind of a foreign key.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FkMatch {
    /// `MATCH SIMPLE` (the default).
    #[default]
    Simple,
    /// `MATCH FULL`.
    Full,
    /// `MATCH PARTIAL` (accepted by the grammar, not implemented by Postgres).
    Partial,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// A foreign key constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ForeignKey {
    /// Constraint name (as Postgres would name it when the dump does not).
    pub name: String,
    /// The referencing (child) table.
    pub table: QName,
    /// Referencing columns, in constraint order.
    pub columns: Vec<String>,
    /// The referenced (parent) table.
    pub references: QName,
    /// Referenced columns, in constraint order (the parent's primary key when the dump omits them).
    pub referenced_columns: Vec<String>,
    /// `ON DELETE` action.
    pub on_delete: FkAction,
    /// `ON DELETE SET NULL (cols)` / `SET DEFAULT (cols)` (Postgres 15+, `confdelsetcols`): the
    /// only columns the action sets, a subset of `columns`. Empty means all of `columns`;
    /// omitted from JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub on_delete_columns: Vec<String>,
    /// `ON UPDATE` action (Postgres allows no column list here).
    pub on_update: FkAction,
    /// `DEFERRABLE`.
    pub deferrable: bool,
    /// `INITIALLY DEFERRED`.
    pub initially_deferred: bool,
    /// `MATCH` kind; omitted from JSON when `simple`.
    #[serde(rename = "match", skip_serializing_if = "is_default")]
    #[schemars(default)]
    pub match_kind: FkMatch,
    /// Added `NOT VALID`; omitted from JSON when false.
    #[serde(skip_serializing_if = "is_default")]
    #[schemars(default)]
    pub not_valid: bool,
    /// Where it was defined.
    #[serde(flatten)]
    pub span: Span,
    /// Its columns and parent as the statement at `span` writes them, when a later statement
    /// renamed one of them (`None`: as now). The per-silo schema finds the key in that text by
    /// them. Not serialized.
    #[serde(skip)]
    #[schemars(skip)]
    pub written: Option<Box<FkWritten>>,
    /// Where a reference that is not (only) the dump's constraint comes from: `None` for a
    /// foreign-key constraint of the dump as read. The analysis appends the declared, imported
    /// and inferred references after the constraints (so constraint indexes do not move), and
    /// gives a constraint the `on_delete` a declared or imported entry states (see
    /// [`crate::references::Provenance`]). Not serialized.
    #[serde(skip)]
    #[schemars(skip)]
    pub reference: Option<Box<crate::references::Provenance>>,
}

/// A foreign key's columns and parent as its defining statement writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FkWritten {
    /// Referencing columns, as written.
    pub columns: Vec<String>,
    /// The referenced table, as the statement resolved it.
    pub references: QName,
}

impl ForeignKey {
    /// Where it comes from: [`Kind::Constraint`](crate::references::Kind::Constraint) for a
    /// constraint of the dump, else declared, imported or inferred.
    pub fn kind(&self) -> crate::references::Kind {
        self.reference
            .as_ref()
            .map_or(crate::references::Kind::Constraint, |p| p.kind)
    }

    /// Whether it is a constraint of the dump: only those are in its DDL, dropped by
    /// `fks/drop.sql`, restored, validated or checked on the target.
    pub fn is_constraint(&self) -> bool {
        self.kind() == crate::references::Kind::Constraint
    }

    /// The columns and parent as the defining statement writes them (before later renames).
    pub fn as_written(&self) -> (&[String], &QName) {
        match &self.written {
            Some(w) => (&w.columns, &w.references),
            None => (&self.columns, &self.references),
        }
    }

    /// The child columns a set-null or set-default action writes: the declared
    /// `ON DELETE SET NULL|DEFAULT (cols)` list, else every column of the key. The plan uses it
    /// also when `[[edges]]` swaps one of the two set actions for the other: the list names the
    /// columns this key's delete action owns (the rest is typically a tenant column other
    /// constraints share).
    pub fn delete_set_columns(&self) -> &[String] {
        if self.on_delete_columns.is_empty() {
            &self.columns
        } else {
            &self.on_delete_columns
        }
    }
}

/// A primary key or unique constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Key {
    /// Constraint name, when the dump gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Key columns in order.
    pub columns: Vec<String>,
}

/// A check constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Check {
    /// Constraint name, when the dump gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The expression as written.
    pub expr: String,
}

/// Identity column kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Identity {
    /// `GENERATED ALWAYS AS IDENTITY`.
    Always,
    /// `GENERATED BY DEFAULT AS IDENTITY`.
    ByDefault,
}

/// A table column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Type as written in the dump (`character varying(255)`, `public.mood`).
    #[serde(rename = "type")]
    pub data_type: String,
    /// `NOT NULL` (a primary key column counts).
    pub not_null: bool,
    /// Default expression as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Identity kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// Generated column expression (`GENERATED ALWAYS AS (expr) STORED`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
}

/// Kind of a table, as `pg_class.relkind` distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TableKind {
    /// An ordinary table (`r`), including partitions that are not themselves partitioned.
    Ordinary,
    /// A partitioned table (`p`): `PARTITION BY ...`.
    Partitioned,
    /// A foreign table (`f`).
    Foreign,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Table {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: TableKind,
    /// `UNLOGGED`.
    #[serde(skip_serializing_if = "is_default")]
    #[schemars(default)]
    pub unlogged: bool,
    /// The partitioned table this is a partition of (`PARTITION OF` or `ATTACH PARTITION`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<QName>,
    /// `INHERITS (...)` parents.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub inherits: Vec<QName>,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Primary key, inline or added later by `ALTER TABLE`.
    pub primary_key: Option<Key>,
    /// Unique constraints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub unique: Vec<Key>,
    /// Check constraints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub checks: Vec<Check>,
    /// Owner (`ALTER TABLE ... OWNER TO`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Where it was defined.
    #[serde(flatten)]
    pub span: Span,
}

impl Table {
    /// The table's qualified name.
    pub fn qname(&self) -> QName {
        QName::new(&self.schema, &self.name)
    }
}

/// An index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Index {
    /// Index name (in the table's schema).
    pub name: QName,
    /// Indexed table.
    pub table: QName,
    /// `UNIQUE`.
    pub unique: bool,
    /// Access method (`btree`, `gin`, ...).
    pub method: String,
    /// Columns or expressions, as written.
    pub columns: Vec<String>,
    /// `WHERE` predicate of a partial index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// `ON ONLY` (an index on a partitioned table's parent alone).
    #[serde(skip_serializing_if = "is_default")]
    #[schemars(default)]
    pub only: bool,
    /// The parent index it is attached to (`ALTER INDEX ... ATTACH PARTITION`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attached_to: Option<QName>,
    /// Where it was defined.
    #[serde(flatten)]
    pub span: Span,
}

/// A table column reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct ColumnRef {
    /// Table.
    pub table: QName,
    /// Column.
    pub column: String,
}

/// A sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Sequence {
    /// Sequence name.
    pub name: QName,
    /// `OWNED BY` column (also set for identity and serial columns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<ColumnRef>,
    /// Columns whose default calls `nextval` on it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub used_by: Vec<ColumnRef>,
    /// Backs an identity column (created by `ADD GENERATED ... AS IDENTITY` or inline).
    #[serde(skip_serializing_if = "is_default")]
    #[schemars(default)]
    pub identity: bool,
    /// Where it was defined.
    #[serde(flatten)]
    pub span: Span,
}

/// A view or materialized view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct View {
    /// View name.
    pub name: QName,
    /// `MATERIALIZED`.
    #[serde(skip_serializing_if = "is_default")]
    #[schemars(default)]
    pub materialized: bool,
    /// Tables and views its query reads, resolved, sorted, without duplicates.
    pub reads: Vec<QName>,
    /// Where it was defined.
    #[serde(flatten)]
    pub span: Span,
}

/// Kind of routine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoutineKind {
    /// `CREATE FUNCTION`.
    Function,
    /// `CREATE PROCEDURE`.
    Procedure,
    /// `CREATE AGGREGATE`.
    Aggregate,
}

/// A function, procedure or aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Function {
    /// Name.
    pub name: QName,
    /// Kind.
    pub kind: RoutineKind,
    /// Argument list as written, without parentheses.
    pub args: String,
    /// Language (`plpgsql`, `sql`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Returns `trigger`.
    #[serde(skip_serializing_if = "is_default")]
    #[schemars(default)]
    pub returns_trigger: bool,
    /// Byte range of the body (dollar-quoted text or `BEGIN ATOMIC` block), for text scans.
    #[serde(skip)]
    pub body: Option<(u32, u32)>,
    /// Where it was defined.
    #[serde(flatten)]
    pub span: Span,
}

/// Trigger firing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerTiming {
    /// `BEFORE`.
    Before,
    /// `AFTER`.
    After,
    /// `INSTEAD OF`.
    InsteadOf,
}

/// A trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Trigger {
    /// Trigger name.
    pub name: String,
    /// Table (or view) it is on.
    pub table: QName,
    /// When it fires.
    pub timing: TriggerTiming,
    /// Events, lowercase (`insert`, `update`, `delete`, `truncate`).
    pub events: Vec<String>,
    /// `FOR EACH ROW` (else statement-level).
    pub for_each_row: bool,
    /// The function it executes.
    pub function: QName,
    /// `CONSTRAINT TRIGGER`.
    #[serde(skip_serializing_if = "is_default")]
    #[schemars(default)]
    pub constraint: bool,
    /// Where it was defined.
    #[serde(flatten)]
    pub span: Span,
}

/// Kind of a user-defined type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum TypeKind {
    /// `AS ENUM (...)`.
    Enum {
        /// Labels in order.
        labels: Vec<String>,
    },
    /// `CREATE DOMAIN ... AS base`.
    Domain {
        /// Base type as written.
        base: String,
    },
    /// `AS (field type, ...)`.
    Composite,
    /// `AS RANGE (...)`.
    Range,
    /// A shell or base type.
    Base,
}

/// A user-defined type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TypeDef {
    /// Type name.
    pub name: QName,
    /// Kind and details.
    #[serde(flatten)]
    pub kind: TypeKind,
    /// Where it was defined.
    #[serde(flatten)]
    pub span: Span,
}

/// A row-level security policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Policy {
    /// Policy name.
    pub name: String,
    /// Table.
    pub table: QName,
    /// Where it was defined.
    #[serde(flatten)]
    pub span: Span,
}

/// A named object with no other facts kept: schemas, extensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Named {
    /// Name.
    pub name: String,
    /// Schema it lives in, where that applies (extensions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Where it was defined.
    #[serde(flatten)]
    pub span: Span,
}

/// A statement kept as text about an object: `COMMENT ON`, `GRANT`, `REVOKE`, `OWNER TO`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Attached {
    /// The object kind as the statement names it (`table`, `column`, `function`, ...).
    pub object_kind: String,
    /// The object, resolved where it is a relation (`public.orders`, `public.orders.id`).
    pub object: String,
    /// The comment text, grantee or owner.
    pub value: String,
    /// The relation, routine or type it is about, resolved (not serialized: `object` says it).
    #[serde(skip)]
    #[schemars(skip)]
    pub subject: Option<QName>,
    /// Where it was defined.
    #[serde(flatten)]
    pub span: Span,
}

/// A statement the reader did not turn into facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Unparsed {
    /// Its first keywords, uppercased (`CREATE OPERATOR`, `ALTER INDEX`).
    pub head: String,
    /// The object it names, resolved, when it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Why it was not read (the parser's message, or `not recognized`).
    pub reason: String,
    /// Where it is.
    #[serde(flatten)]
    pub span: Span,
}

/// What a dump statement does, for rebuilding per-silo DDL from the dump's own text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StmtKind {
    /// `SET`, `set_config`, `RESET`: session settings at the top of a dump.
    Session,
    /// `CREATE SCHEMA`.
    Schema,
    /// `CREATE EXTENSION`.
    Extension,
    /// `CREATE TYPE` / `CREATE DOMAIN`.
    Type,
    /// `CREATE FUNCTION | PROCEDURE | AGGREGATE`.
    Function,
    /// `CREATE SEQUENCE`, `ALTER SEQUENCE`, and an `ALTER TABLE` that creates one (adding a
    /// serial or identity column) and no foreign key.
    Sequence,
    /// `CREATE TABLE`.
    Table,
    /// `ALTER TABLE` other than adding a foreign key (defaults, keys, identity, partitions).
    AlterTable,
    /// `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY`.
    ForeignKey,
    /// `CREATE VIEW` / `CREATE MATERIALIZED VIEW`.
    View,
    /// `CREATE INDEX`, `ALTER INDEX`.
    Index,
    /// `CREATE TRIGGER`.
    Trigger,
    /// `CREATE POLICY`.
    Policy,
    /// `COMMENT ON`.
    Comment,
    /// `GRANT`, `REVOKE`, `ALTER DEFAULT PRIVILEGES`.
    Grant,
    /// `ALTER ... OWNER TO`.
    Owner,
    /// Data: `INSERT`, `COPY`, `setval`.
    Data,
    /// `DROP` (from `--clean` dumps).
    Drop,
    /// psql meta-commands and anything else.
    Other,
}

/// One statement of the dump, classified, with the object it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    /// Where it is (the statement without its terminator).
    pub span: Span,
    /// What it does.
    pub kind: StmtKind,
    /// The relation, sequence, function or type it defines or changes: an index into
    /// [`Catalog::names`] (see [`Catalog::subject`]); names are interned because a dump has
    /// several statements per object.
    pub subject: Option<u32>,
    /// The foreign key it adds, renames or validates (index into [`Catalog::foreign_keys`]).
    pub fk: Option<usize>,
    /// A later statement undid it: it defines an object (or renames one, or changes one) that a
    /// later statement of the history drops. The final schema holds no trace of it, and the
    /// per-silo schema leaves it out. (A foreign key dropped later is cut out of the statement
    /// that adds it instead: see [`Catalog::dropped_foreign_keys`].)
    pub superseded: bool,
}

/// A foreign key that a later statement dropped (`DROP CONSTRAINT`, or with its table or one of
/// its columns), kept to cut it out of the statement that added it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedFk {
    /// The key as it was when dropped (its `span` is the statement that added it).
    pub fk: ForeignKey,
    /// The `ALTER TABLE ... DROP CONSTRAINT` that dropped it, and the name it dropped it by.
    pub dropped_by: Option<(Span, String)>,
    /// Where it was dropped (the `DROP CONSTRAINT`, `DROP TABLE` or `DROP COLUMN`).
    pub at: Span,
}

/// Why Postgres rejects a foreign key of the dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "problem")]
pub enum FkProblem {
    /// The referencing table is not defined by any dump file.
    MissingChild,
    /// The referenced table is not defined by any dump file.
    MissingParent,
    /// A referencing column is not a column of the child table.
    MissingColumn {
        /// The column.
        column: String,
    },
    /// A referenced column is not a column of the parent table.
    MissingReferencedColumn {
        /// The column.
        column: String,
    },
    /// The key names no referenced columns and the parent has no primary key.
    NoParentKey,
    /// The numbers of referencing and referenced columns differ.
    ColumnCount,
    /// A column of `ON DELETE SET NULL|SET DEFAULT (cols)` is not a column of the key.
    SetColumnNotInKey {
        /// The column.
        column: String,
    },
}

/// A foreign key the dump declares that Postgres would reject: left out of the catalog's
/// [`Catalog::foreign_keys`] (and so of everything generated), reported by `check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RejectedFk {
    /// The key as declared.
    pub foreign_key: ForeignKey,
    /// What is wrong with it (at least one).
    pub problems: Vec<FkProblem>,
}

/// Counts of statements by how they were read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ReadStats {
    /// Statements (not counting psql lines and COPY data).
    pub statements: usize,
    /// Turned into facts by sqlparser.
    pub parsed_sqlparser: usize,
    /// Turned into facts by a recognizer.
    pub parsed_recognizer: usize,
    /// Understood and deliberately without facts (`SET`, `DROP ... IF EXISTS` of `--clean`, ...).
    pub ignored: usize,
    /// psql backslash lines.
    pub psql_lines: usize,
    /// Kept as unparsed text.
    pub unparsed: usize,
}

/// Everything read from one or more dump files.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Catalog {
    /// Input files, in order; spans index into this.
    pub files: Vec<String>,
    /// Schemas created by the dump.
    pub schemas: Vec<Named>,
    /// Extensions.
    pub extensions: Vec<Named>,
    /// Enum, domain, composite and range types.
    pub types: Vec<TypeDef>,
    /// Tables (all kinds).
    pub tables: Vec<Table>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Foreign keys Postgres would reject (a missing parent or column): not in `foreign_keys`;
    /// omitted from JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub rejected_foreign_keys: Vec<RejectedFk>,
    /// Foreign keys a later statement dropped (not serialized: the final schema has none of
    /// them).
    #[serde(skip)]
    #[schemars(skip)]
    pub dropped_foreign_keys: Vec<DroppedFk>,
    /// Statements that dropped or changed an object an earlier statement defined, each with
    /// that definition's span, in statement order: a `--clean` prelude drops nothing defined
    /// before it, a migration does. Not serialized.
    #[serde(skip)]
    #[schemars(skip)]
    pub changes: Vec<(Span, Span)>,
    /// Indexes.
    pub indexes: Vec<Index>,
    /// Sequences.
    pub sequences: Vec<Sequence>,
    /// Views and materialized views.
    pub views: Vec<View>,
    /// Functions, procedures and aggregates.
    pub functions: Vec<Function>,
    /// Triggers.
    pub triggers: Vec<Trigger>,
    /// Row-level security policies.
    pub policies: Vec<Policy>,
    /// `COMMENT ON` statements.
    pub comments: Vec<Attached>,
    /// `GRANT` / `REVOKE` statements.
    pub grants: Vec<Attached>,
    /// `ALTER ... OWNER TO` statements.
    pub owners: Vec<Attached>,
    /// Statements kept as text.
    pub unparsed: Vec<Unparsed>,
    /// How statements were read.
    pub stats: ReadStats,
    /// Every statement in dump order, classified (not serialized: it points into the files).
    #[serde(skip)]
    #[schemars(skip)]
    pub statements: Vec<Stmt>,
    /// Interned statement subjects ([`Stmt::subject`] indexes into it).
    #[serde(skip)]
    #[schemars(skip)]
    pub names: Vec<QName>,
    /// Tables by name, for lookups only (never iterated): hashed, since `check` and `plan` look
    /// up both ends of every foreign key.
    #[serde(skip)]
    #[schemars(skip)]
    table_index: rustc_hash::FxHashMap<QName, usize>,
}

impl Catalog {
    /// Looks a table up by qualified name.
    pub fn table(&self, name: &QName) -> Option<&Table> {
        self.table_index.get(name).map(|&i| &self.tables[i])
    }

    /// Looks a table up for changing it.
    pub fn table_mut(&mut self, name: &QName) -> Option<&mut Table> {
        self.table_index.get(name).map(|&i| &mut self.tables[i])
    }

    /// Removes a table (`DROP TABLE`), keeping the others in order.
    pub fn remove_table(&mut self, name: &QName) -> Option<Table> {
        let i = self.table_index.remove(name)?;
        for v in self.table_index.values_mut() {
            if *v > i {
                *v -= 1;
            }
        }
        Some(self.tables.remove(i))
    }

    /// Renames a table in place (`ALTER TABLE ... RENAME TO`); false when there is none of
    /// that name. References to it elsewhere are the caller's.
    pub fn rename_table(&mut self, from: &QName, to: &QName) -> bool {
        let Some(i) = self.table_index.remove(from) else {
            return false;
        };
        self.tables[i].schema = to.schema.clone();
        self.tables[i].name = to.name.clone();
        self.table_index.insert(to.clone(), i);
        true
    }

    /// Adds a table (a later definition of the same name replaces the earlier one).
    pub fn add_table(&mut self, t: Table) {
        let q = t.qname();
        match self.table_index.get(&q) {
            Some(&i) => self.tables[i] = t,
            None => {
                self.table_index.insert(q, self.tables.len());
                self.tables.push(t);
            }
        }
    }

    /// The object a statement defines or changes.
    pub fn subject(&self, st: &Stmt) -> Option<&QName> {
        st.subject.and_then(|i| self.names.get(i as usize))
    }

    /// Counts of objects per kind, in a fixed order (for `inspect`).
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("schemas", self.schemas.len()),
            ("extensions", self.extensions.len()),
            ("types", self.types.len()),
            ("tables", self.tables.len()),
            ("foreign keys", self.foreign_keys.len()),
            ("indexes", self.indexes.len()),
            ("sequences", self.sequences.len()),
            ("views", self.views.len()),
            ("functions", self.functions.len()),
            ("triggers", self.triggers.len()),
            ("policies", self.policies.len()),
            ("comments", self.comments.len()),
            ("grants", self.grants.len()),
            ("owners", self.owners.len()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name serializes as its `Display` text, short or long (past the stack buffer), with
    /// characters JSON escapes and non-ASCII ones.
    #[test]
    fn names_serialize_as_they_display() {
        let long = "é".repeat(100);
        for q in [
            QName::new("public", "users"),
            QName::new("S", "Line \"Items\""),
            QName::new("a\\b", "tab\there\nnew"),
            QName::new("ünï", "cödé"),
            QName::new("", ""),
            QName::new("public", long.as_str()),
            QName::new(long.as_str(), "x\"y"),
        ] {
            let want = serde_json::to_string(&q.to_string()).expect("a string serializes");
            assert_eq!(serde_json::to_string(&q).expect("a name serializes"), want);
        }
    }
}
