//! The SQL dialects a dump can be written in.
//!
//! Owns the differences between PostgreSQL and MySQL dumps that the reader must know about.
//! Only PostgreSQL is read into a catalog today; MySQL dumps are split (so `DELIMITER`, backticks
//! and `#` comments are understood) and their statements are kept as unparsed text.

use serde::{Deserialize, Serialize};

/// A dump's SQL dialect.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// `pg_dump --schema-only` and the files frameworks keep (Rails, Ecto, dbmate, Supabase).
    #[default]
    Postgres,
    /// `mysqldump --no-data` (split only, for now).
    #[serde(rename = "mysql")]
    MySql,
}
