//! Findings: what `check` reports, as data with a stable code and positions.
//!
//! How a finding looks (text, JSON, SARIF, GitHub annotations) is decided in [`crate::report`];
//! what each code means is documented on [`Code`] and in `docs/codes.md`.

use schemars::JsonSchema;
use serde::Serialize;

/// A stable finding code. Codes never change meaning; retired codes are not reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub enum Code {
    /// SP001: a table that no pattern of the silo map assigns.
    #[serde(rename = "SP001")]
    UnassignedTable,
    /// SP002: a foreign key whose child and parent are in different silos.
    #[serde(rename = "SP002")]
    CrossSiloForeignKey,
    /// SP003: a foreign key between a shared table and a silo table.
    #[serde(rename = "SP003")]
    SharedForeignKey,
    /// SP004: a view that reads tables of more than one silo.
    #[serde(rename = "SP004")]
    CrossSiloView,
    /// SP005: a sequence that feeds tables of more than one silo.
    #[serde(rename = "SP005")]
    CrossSiloSequence,
    /// SP006: a trigger or function whose body names a table of another silo (text scan).
    #[serde(rename = "SP006")]
    CrossSiloRoutine,
    /// SP007: table inheritance across silos.
    #[serde(rename = "SP007")]
    CrossSiloInheritance,
    /// SP008: an `[[allow]]` entry whose foreign key no longer crosses a boundary.
    #[serde(rename = "SP008")]
    StaleAllow,
    /// SP009: a cross-silo foreign key accepted by an `[[allow]]` entry (a note).
    #[serde(rename = "SP009")]
    AllowedCrossing,
    /// SP010: a dump statement that was not read (a warning; an error under `--strict`).
    #[serde(rename = "SP010")]
    Unparsed,
    /// SP011: a logged query that touches tables of more than one silo (`queries`).
    #[serde(rename = "SP011")]
    CrossSiloQuery,
    /// SP012: a logged transaction that writes to more than one silo (`queries`).
    #[serde(rename = "SP012")]
    CrossSiloTransaction,
    /// SP013: a logged statement that could not be parsed (`queries`; a warning).
    #[serde(rename = "SP013")]
    UnparsedQuery,
    /// SP014: a logged statement names a relation the dump does not define (`queries`; a note).
    #[serde(rename = "SP014")]
    UnknownRelation,
    /// SP015: a foreign key on or to a table that no dump file defines (the dump is
    /// incomplete; Postgres rejects the key).
    #[serde(rename = "SP015")]
    FkUnknownTable,
    /// SP016: a foreign key naming a column that is not there, or an `ON DELETE SET NULL|SET
    /// DEFAULT (cols)` column outside the key (Postgres rejects the key).
    #[serde(rename = "SP016")]
    FkInvalidColumns,
    /// SP017: a reference inferred from column names (no constraint, nothing declares it)
    /// whose child and parent are in different silos (a warning: confirm or reject it).
    #[serde(rename = "SP017")]
    InferredCrossing,
    /// SP018: a key of a multi-instance silo referenced from another silo, that no
    /// `global_unique` entry plans (its values must stay unique across the instances; a
    /// warning).
    #[serde(rename = "SP018")]
    GlobalKeyUnplanned,
    /// SP019: a table of a multi-instance silo with a `tenant` that no chain of references
    /// reaches from the tenant (its rows cannot be placed in an instance; a warning).
    #[serde(rename = "SP019")]
    TenantUnreachable,
    /// SP020: a multi-instance silo with sequence-backed or identity columns and no
    /// `id_space` (every instance hands out the same ids; a warning).
    #[serde(rename = "SP020")]
    IdSpaceUnplanned,
}

impl Code {
    /// The code as printed: `SP002`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::UnassignedTable => "SP001",
            Code::CrossSiloForeignKey => "SP002",
            Code::SharedForeignKey => "SP003",
            Code::CrossSiloView => "SP004",
            Code::CrossSiloSequence => "SP005",
            Code::CrossSiloRoutine => "SP006",
            Code::CrossSiloInheritance => "SP007",
            Code::StaleAllow => "SP008",
            Code::AllowedCrossing => "SP009",
            Code::Unparsed => "SP010",
            Code::CrossSiloQuery => "SP011",
            Code::CrossSiloTransaction => "SP012",
            Code::UnparsedQuery => "SP013",
            Code::UnknownRelation => "SP014",
            Code::FkUnknownTable => "SP015",
            Code::FkInvalidColumns => "SP016",
            Code::InferredCrossing => "SP017",
            Code::GlobalKeyUnplanned => "SP018",
            Code::TenantUnreachable => "SP019",
            Code::IdSpaceUnplanned => "SP020",
        }
    }

    /// A short kebab-case name: `cross-silo-fk`.
    pub fn name(self) -> &'static str {
        match self {
            Code::UnassignedTable => "unassigned-table",
            Code::CrossSiloForeignKey => "cross-silo-fk",
            Code::SharedForeignKey => "shared-fk",
            Code::CrossSiloView => "cross-silo-view",
            Code::CrossSiloSequence => "cross-silo-sequence",
            Code::CrossSiloRoutine => "cross-silo-routine",
            Code::CrossSiloInheritance => "cross-silo-inheritance",
            Code::StaleAllow => "stale-allow",
            Code::AllowedCrossing => "allowed-crossing",
            Code::Unparsed => "unparsed-statement",
            Code::CrossSiloQuery => "cross-silo-query",
            Code::CrossSiloTransaction => "cross-silo-transaction",
            Code::UnparsedQuery => "unparsed-query",
            Code::UnknownRelation => "unknown-relation",
            Code::FkUnknownTable => "fk-unknown-table",
            Code::FkInvalidColumns => "fk-invalid-columns",
            Code::InferredCrossing => "inferred-crossing",
            Code::GlobalKeyUnplanned => "global-key-unplanned",
            Code::TenantUnreachable => "tenant-unreachable",
            Code::IdSpaceUnplanned => "id-space-unplanned",
        }
    }

    /// Every code, in order.
    pub const ALL: [Code; 20] = [
        Code::UnassignedTable,
        Code::CrossSiloForeignKey,
        Code::SharedForeignKey,
        Code::CrossSiloView,
        Code::CrossSiloSequence,
        Code::CrossSiloRoutine,
        Code::CrossSiloInheritance,
        Code::StaleAllow,
        Code::AllowedCrossing,
        Code::Unparsed,
        Code::CrossSiloQuery,
        Code::CrossSiloTransaction,
        Code::UnparsedQuery,
        Code::UnknownRelation,
        Code::FkUnknownTable,
        Code::FkInvalidColumns,
        Code::InferredCrossing,
        Code::GlobalKeyUnplanned,
        Code::TenantUnreachable,
        Code::IdSpaceUnplanned,
    ];
}

/// How serious a finding is. `check` exits 1 when any finding is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails `check`.
    Error,
    /// Reported, does not fail `check` (unless `--strict`).
    Warning,
    /// Information (an accepted crossing).
    Note,
}

/// A position in an input file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Location {
    /// File path as given.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

/// A secondary position with what it says (e.g. the config entry involved).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Related {
    /// Where.
    pub location: Location,
    /// What it is.
    pub message: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Finding {
    /// Stable code.
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// One sentence naming the objects and silos involved.
    pub message: String,
    /// The dump line it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Other positions involved (config entries, the other end of a crossing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub related: Vec<Related>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The main object (`public.orders` or a constraint `public.orders.orders_user_id_fkey`),
    /// for sorting and machine use.
    pub object: String,
    /// The reference the finding is about (a crossing foreign key or reference), as data;
    /// omitted for other findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<FindingRef>,
}

/// A reference a finding is about: child table and columns, parent table and columns, and
/// where the reference comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FindingRef {
    /// The child table.
    pub table: crate::catalog::QName,
    /// Its columns.
    pub columns: Vec<String>,
    /// The parent table.
    pub referenced_table: crate::catalog::QName,
    /// The parent's key columns.
    pub referenced_columns: Vec<String>,
    /// `constraint`, `declared`, `imported` or `inferred`.
    pub kind: crate::references::Kind,
}

impl FindingRef {
    /// The reference key `fk` is.
    pub fn of(fk: &crate::catalog::ForeignKey) -> FindingRef {
        FindingRef {
            table: fk.table.clone(),
            columns: fk.columns.clone(),
            referenced_table: fk.references.clone(),
            referenced_columns: fk.referenced_columns.clone(),
            kind: fk.kind(),
        }
    }
}

/// How the message of the [`Related`] position an `[[allow]]` entry adds to the finding it
/// accepts starts (the entry's reason follows).
pub const ALLOWED_PREFIX: &str = "allowed: ";

impl Finding {
    /// The `[[allow]]` entry that accepts this finding (its position in the config, and its
    /// reason after [`ALLOWED_PREFIX`]), if one does.
    pub fn allowed_by(&self) -> Option<&Related> {
        self.related
            .iter()
            .find(|r| r.message.starts_with(ALLOWED_PREFIX))
    }

    /// Whether `silo-plan plan` refuses to write a plan while this finding stands (unless
    /// `--allow-findings`): an error that says the silo map itself is incomplete or contradicts
    /// the dump, so that a plan would have to guess. These are the errors of SP001 (a table in
    /// no silo, with `unassigned = "error"`), SP003 (a shared table referencing a silo table),
    /// SP007 (table inheritance across silos) and SP010 (a statement not read, under
    /// `--strict`).
    ///
    /// The other errors are what a plan is for, or what it lays out for a person: a cross-silo
    /// foreign key (SP002) is broken by `fks/drop.sql` and its `ON DELETE` replicated; a view
    /// (SP004) or sequence (SP005) shared by several silos is left out of the silos' schemas
    /// and listed among the decisions in plan.md. A stale `[[allow]]` entry (SP008) fails
    /// `check` so that the allowlist cannot rot, but changes nothing in the plan.
    pub fn blocks_plan(&self) -> bool {
        self.severity == Severity::Error
            && matches!(
                self.code,
                Code::UnassignedTable
                    | Code::SharedForeignKey
                    | Code::CrossSiloInheritance
                    | Code::Unparsed
            )
    }
}

/// Sorts findings into their stable order: by file, line, code, object.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let ka = (
            a.location.as_ref().map(|l| (l.file.clone(), l.line)),
            a.code,
            &a.object,
        );
        let kb = (
            b.location.as_ref().map(|l| (l.file.clone(), l.line)),
            b.code,
            &b.object,
        );
        ka.cmp(&kb)
    });
}
