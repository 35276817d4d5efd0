//! References: every dependency of a child table's columns on a parent table's key, whatever
//! says so.
//!
//! A foreign-key constraint in the dump is one kind of reference ([`Kind::Constraint`]); real
//! schemas hold many more without a constraint (Django's `db_constraint=False`, Rails apps that
//! never call `add_foreign_key`, GitLab's loose foreign keys, Synapse's `room_id text`). The
//! other kinds say where such a reference comes from: declared in `silo-plan.toml`, imported from
//! a file the application's models were exported to, or inferred from the dump's naming
//! conventions ([`crate::infer`]). The later stages treat every kind alike; the kind, the rule and
//! the confidence only say how sure the planner is.
//!
//! Plain data and pure functions: no I/O.

use std::fmt;

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use crate::catalog::{Catalog, FkAction, QName, Span};

/// Where a reference comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A foreign-key constraint in the dump.
    #[default]
    Constraint,
    /// `[[references]]` in `silo-plan.toml`.
    Declared,
    /// A references file exported from the application's models.
    Imported,
    /// Inferred from the dump's naming conventions ([`crate::infer`]).
    Inferred,
}

impl Kind {
    /// The kind as written in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Constraint => "constraint",
            Kind::Declared => "declared",
            Kind::Imported => "imported",
            Kind::Inferred => "inferred",
        }
    }
}

/// The naming convention an inferred reference follows (see [`crate::infer`] for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Rails: `<singular>_id` → the table named `<plural>` (`category_id` → `categories`).
    Rails,
    /// Generic: `<table>_id` → the table named exactly `<table>` (`city_id` → `city`).
    TableName,
    /// Rails namespaces: `runner_id` → `ci_runners` (a prefix word before the plural).
    RailsNamespace,
    /// Django: `<field>_id` → `<app>_<field>`, underscores of the model's name dropped
    /// (`organization_integration_id` → `sentry_organizationintegration`).
    Django,
    /// The child table is named after its parent: `ui_auth_sessions_credentials.session_id` →
    /// `ui_auth_sessions`.
    ParentPrefix,
    /// A role before the parent's name: `source_project_id` → `projects`,
    /// `root_namespace_id` → `namespaces`.
    RolePrefix,
    /// A person in a role (`author_id`, `created_by_id`, `owner_id`) → the users table.
    Person,
    /// A reference to the row's own table (`parent_id`, `previous_version_id`).
    SelfReference,
    /// Django, same app: the field is the end of the model's name (`author_id` →
    /// `sentry_commitauthor` for a `sentry_*` table).
    ModelSuffix,
    /// A column named like the one-column key of the table its name names (`destination` →
    /// `destinations(destination)`).
    KeyName,
    /// A column with the same name and type as the one-column key of exactly one other table
    /// (`media_id` → `local_media_repository(media_id)`).
    SameKey,
}

impl Rule {
    /// The rule as written in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Rails => "rails",
            Rule::TableName => "table-name",
            Rule::RailsNamespace => "rails-namespace",
            Rule::Django => "django",
            Rule::ParentPrefix => "parent-prefix",
            Rule::RolePrefix => "role-prefix",
            Rule::Person => "person",
            Rule::SelfReference => "self-reference",
            Rule::ModelSuffix => "model-suffix",
            Rule::KeyName => "key-name",
            Rule::SameKey => "same-key",
        }
    }

    /// Every rule, in declaration order (for reports that count them).
    pub const ALL: [Rule; 11] = [
        Rule::Rails,
        Rule::TableName,
        Rule::RailsNamespace,
        Rule::Django,
        Rule::ParentPrefix,
        Rule::RolePrefix,
        Rule::Person,
        Rule::SelfReference,
        Rule::ModelSuffix,
        Rule::KeyName,
        Rule::SameKey,
    ];
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure the planner is that a reference is real, in hundredths (a constraint is 100).
/// Serialized as a number between 0 and 1 (`0.9`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(transparent)]
pub struct Confidence(pub u8);

impl Confidence {
    /// Certain: a constraint the database enforces.
    pub const CERTAIN: Confidence = Confidence(100);

    /// The confidence as a fraction (`0.9`).
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }
}

impl Serialize for Confidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A dependency of a child table's columns on a parent table's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Reference {
    /// The referencing (child) table.
    pub table: QName,
    /// Referencing columns, in the order of `referenced_columns`.
    pub columns: Vec<String>,
    /// The referenced (parent) table.
    #[serde(rename = "referenced_table")]
    pub references: QName,
    /// The parent's key columns.
    pub referenced_columns: Vec<String>,
    /// What deleting a parent row does to the child rows, where the source says it (a
    /// constraint always does; an inferred reference never does: the config's default applies).
    pub on_delete: Option<FkAction>,
    /// Where the reference comes from.
    pub kind: Kind,
    /// The convention an inferred reference follows (`None` for the other kinds).
    pub rule: Option<Rule>,
    /// How sure the planner is ([`Confidence::CERTAIN`] for a constraint).
    pub confidence: Confidence,
    /// The foreign key it is (index into [`Catalog::foreign_keys`]), for a constraint.
    #[serde(skip)]
    pub constraint: Option<usize>,
    /// Where it is: the constraint's statement, or the child table's definition for an
    /// inferred reference.
    #[serde(flatten)]
    pub span: Span,
}

impl Reference {
    /// Whether the reference covers child column `column` of `table`.
    pub fn covers(&self, table: &QName, column: &str) -> bool {
        self.table == *table && self.columns.iter().any(|c| c == column)
    }
}

/// Every foreign-key constraint of the catalog as a reference of kind [`Kind::Constraint`], in
/// the catalog's order.
pub fn from_constraints(cat: &Catalog) -> Vec<Reference> {
    cat.foreign_keys
        .iter()
        .enumerate()
        .map(|(i, fk)| Reference {
            table: fk.table.clone(),
            columns: fk.columns.clone(),
            references: fk.references.clone(),
            referenced_columns: fk.referenced_columns.clone(),
            on_delete: Some(fk.on_delete),
            kind: Kind::Constraint,
            rule: None,
            confidence: Confidence::CERTAIN,
            constraint: Some(i),
            span: fk.span,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::{self, ReadOptions};
    use crate::source::SourceFile;

    #[test]
    fn constraints_become_references() {
        let sql = "CREATE TABLE a (id bigint PRIMARY KEY);\n\
                   CREATE TABLE b (id bigint PRIMARY KEY, a_id bigint);\n\
                   ALTER TABLE ONLY b ADD CONSTRAINT b_a FOREIGN KEY (a_id) REFERENCES a(id) ON DELETE CASCADE;\n";
        let cat = dump::read(
            &[SourceFile::new("s.sql", sql.to_string())],
            &ReadOptions::default(),
        );
        let refs = from_constraints(&cat);
        assert_eq!(refs.len(), 1);
        let r = &refs[0];
        assert_eq!(r.table, QName::new("public", "b"));
        assert_eq!(r.columns, ["a_id"]);
        assert_eq!(r.references, QName::new("public", "a"));
        assert_eq!(r.referenced_columns, ["id"]);
        assert_eq!(r.on_delete, Some(FkAction::Cascade));
        assert_eq!(r.kind, Kind::Constraint);
        assert_eq!(r.constraint, Some(0));
        assert_eq!(r.span.line, 3);
        assert!(r.covers(&QName::new("public", "b"), "a_id"));
        let json = serde_json::to_value(r).expect("serializes");
        assert_eq!(json["referenced_table"], "public.a");
        assert_eq!(json["confidence"], 1.0);
        assert_eq!(json["kind"], "constraint");
        assert_eq!(json["line"], 3);
    }

    #[test]
    fn confidence_prints_as_a_fraction() {
        assert_eq!(serde_json::to_string(&Confidence(90)).unwrap(), "0.9");
        assert_eq!(serde_json::to_string(&Confidence(5)).unwrap(), "0.05");
        assert_eq!(Confidence(90).to_string(), "0.90");
        assert_eq!(Confidence::CERTAIN.to_string(), "1.00");
    }
}
