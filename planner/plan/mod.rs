//! Building the [`Plan`]: data only, no text formatting beyond the SQL statements themselves.
//!
//! One builder per part: [`schema`] the per-silo DDL, [`fks`] the scripts that break and restore
//! cross-silo foreign keys. [`crate::render`] turns a `Plan` into files through the askama
//! templates in `templates/`.

pub mod fks;
pub mod schema;

use schemars::JsonSchema;
use serde::Serialize;

use crate::assign::{Assignment, RuleMatches};
use crate::catalog::{Catalog, QName};
use crate::config::Config;
use crate::graph::Graph;
use crate::source::SourceFile;

/// Everything the planners read.
pub struct Input<'a> {
    /// The catalog.
    pub cat: &'a Catalog,
    /// The dump files (for original statement text).
    pub sources: &'a [SourceFile],
    /// The config.
    pub cfg: &'a Config,
    /// The table → silo assignment.
    pub asg: &'a Assignment,
    /// Which `[[edges]]` / `[[allow]]` entries apply to which foreign keys.
    pub rules: &'a RuleMatches,
    /// The object graph.
    pub graph: &'a Graph,
}

impl Input<'_> {
    /// The original text of a catalog span.
    pub fn text(&self, span: &crate::catalog::Span) -> &str {
        self.sources
            .get(span.file as usize)
            .and_then(|s| s.text.get(span.start as usize..span.end as usize))
            .unwrap_or("")
    }
}

/// Lock level a statement takes, strongest first (Postgres's table-level lock modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Lock {
    /// Blocks everything, reads included.
    AccessExclusive,
    /// Blocks writes and other schema changes; reads go on.
    ShareRowExclusive,
    /// Blocks writes (`CREATE INDEX` without `CONCURRENTLY`).
    Share,
    /// Blocks schema changes and VACUUM, not reads or writes (`CREATE INDEX CONCURRENTLY`,
    /// `VALIDATE CONSTRAINT`).
    ShareUpdateExclusive,
    /// Takes no table lock worth naming.
    None,
}

/// A hazard of running a statement, as pg-schema-diff reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Hazard {
    /// Kind, kebab-case: `blocks-writes`, `blocks-reads`, `long-running`, `integrity-unchecked`,
    /// `data-loss`, `not-transactional`.
    pub kind: String,
    /// One sentence for the reviewer.
    pub message: String,
}

/// One generated statement with what it does to a running database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Step {
    /// Why this statement is here (one line, shown as a comment above it).
    pub why: String,
    /// The tables it locks and how.
    pub locks: Vec<(QName, Lock)>,
    /// Hazards, possibly none.
    pub hazards: Vec<Hazard>,
    /// Whether it may run inside a transaction block (`CREATE INDEX CONCURRENTLY` may not).
    pub transactional: bool,
    /// The SQL, without a trailing semicolon.
    pub sql: String,
}
