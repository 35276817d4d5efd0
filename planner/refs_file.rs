//! The references file: the documented format in which any tool hands silo-plan references the
//! dump does not declare (an export of an application's models, the verdicts of
//! `silo-plan references --db`), imported with `references = ["refs.json"]` in `silo-plan.toml`.
//!
//! This module owns the file's shape only (its JSON Schema is `schemas/references.schema.json`);
//! resolving its entries against the catalog is the config's job, as for `[[references]]`.
//!
//! ```json
//! {
//!   "version": 1,
//!   "source": "django models export",
//!   "references": [
//!     {
//!       "table": "sentry_organizationmember",
//!       "columns": ["user_id"],
//!       "referenced_table": "auth_user",
//!       "referenced_columns": ["id"],
//!       "on_delete": "cascade",
//!       "origin": "sentry/models/organizationmember.py: OrganizationMember.user"
//!     }
//!   ]
//! }
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The only version this build reads and writes.
pub const VERSION: u32 = 1;

/// A references file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefsFile {
    /// The format's version: 1.
    pub version: u32,
    /// What wrote the file (free text, shown in reports): `django models export`,
    /// `silo-plan references --db`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The references.
    pub references: Vec<FileReference>,
    /// References the exporter saw but could not resolve to one parent table (a Django generic
    /// foreign key, a Rails polymorphic `belongs_to` without concrete types): listed as
    /// polymorphic, never planned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<Unresolved>,
}

/// One reference: (table, columns) → (referenced_table, referenced_columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileReference {
    /// The child table: `schema.table`, or a bare name resolved as in `silo-plan.toml`.
    pub table: String,
    /// The child's columns, in the order of `referenced_columns`.
    pub columns: Vec<String>,
    /// The parent table: `schema.table` or a bare name.
    pub referenced_table: String,
    /// The parent's columns; omitted: the parent's one-column primary key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referenced_columns: Vec<String>,
    /// What deleting a parent row does to the child rows in the application; omitted: unknown
    /// (`[defaults] on_delete` applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<FileAction>,
    /// Where the fact comes from (a model file and field), shown in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Why the reference exists or has this action (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A verdict from live data (`silo-plan references --db`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<Verdict>,
    /// Child values without a parent, among `checked` rows (with `verified`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orphans: Option<u64>,
    /// Child rows checked (with `verified`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<u64>,
}

/// A reference the exporter could not resolve to one parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unresolved {
    /// The child table.
    pub table: String,
    /// The child's columns (for a polymorphic pair, the id column first, then the type column).
    pub columns: Vec<String>,
    /// The parent tables it may point at, where known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<String>,
    /// Where the fact comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Why it is unresolved (`generic foreign key`, `polymorphic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `on_delete` as the file writes it (the words of `[[references]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FileAction {
    /// Delete the child rows.
    Cascade,
    /// Set the child's columns to NULL.
    SetNull,
    /// Set the child's columns to their defaults.
    SetDefault,
    /// Refuse the delete while child rows exist.
    Restrict,
    /// Do nothing in the database (the application may: Django's `DO_NOTHING`, Rails without
    /// `dependent:`).
    NoAction,
}

/// A verdict from live data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No orphan among the rows checked.
    Confirmed,
    /// Orphans found.
    Refuted,
    /// Not decided (a timeout, an empty table).
    Unknown,
}

/// The JSON Schema of the file (`schemas/references.schema.json`).
pub fn json_schema() -> schemars::schema::RootSchema {
    schemars::schema_for!(RefsFile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_reads_and_writes_back() {
        let doc = include_str!("refs_file.rs");
        let start = doc.find("//! ```json\n").expect("example") + "//! ```json\n".len();
        let end = start + doc[start..].find("//! ```").expect("end");
        let json: String = doc[start..end]
            .lines()
            .map(|l| l.strip_prefix("//!").unwrap_or(l).trim_start_matches(' '))
            .collect::<Vec<_>>()
            .join("\n");
        let f: RefsFile = serde_json::from_str(&json).expect("the module doc's example reads");
        assert_eq!(f.version, VERSION);
        assert_eq!(f.references[0].on_delete, Some(FileAction::Cascade));
        let back: RefsFile =
            serde_json::from_str(&serde_json::to_string(&f).expect("writes")).expect("reads");
        assert_eq!(back, f);
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let e = serde_json::from_str::<RefsFile>(
            r#"{"version": 1, "references": [{"table": "t", "columns": ["a"], "referenced_table": "p", "ondelete": "cascade"}]}"#,
        )
        .expect_err("a misspelt key must not be ignored");
        assert!(e.to_string().contains("ondelete"), "{e}");
    }
}
