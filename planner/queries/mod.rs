//! `silo-plan queries`: which queries and transactions of a workload cross silo boundaries,
//! from a query log, without a database.
//!
//! Three inputs, detected per file ([`LogFormat`]):
//!
//! * a `pg_stat_statements` export: CSV with a header row naming at least `query` (and usually
//!   `calls`), as `\copy (SELECT query, calls FROM pg_stat_statements) TO 'x.csv' CSV HEADER`
//!   writes it;
//! * a Postgres server log (stderr format) written with `log_statement = 'all'`: lines
//!   `<log_line_prefix>LOG:  statement: ...` or `LOG:  execute <name>: ...`, a statement continuing
//!   on following lines that carry no prefix. The prefix is Postgres's own `log_line_prefix`
//!   ([`Options::log_line_prefix`]), or detected among common ones. Transactions are recovered
//!   from `%v` (virtual transaction id), else the session (`%c`, else `%p`) and its
//!   `BEGIN` / `COMMIT` / `ROLLBACK` statements, else `%x` (which misses the first write of each
//!   transaction: Postgres logs a statement before it assigns the transaction id);
//! * plain SQL: statements separated by `;`, or one per line.
//!
//! Every statement is parsed with sqlparser's `PostgreSqlDialect` (`$1` parameters are fine), its
//! relations resolved (CTE names excluded; unqualified names in the config's `default_schema`;
//! views expanded to the tables they read; a write also touches what the triggers it fires name),
//! and placed with the silo map. Statements are grouped by normalized text (literals and
//! parameters become `?`, comments dropped, whitespace collapsed), so each distinct text is
//! parsed once.
//!
//! Findings ([`crate::findings`]): SP011 a query touching tables of several silos (shared tables
//! do not count), SP012 a transaction writing to several silos, SP013 a statement that could not
//! be parsed (a warning, never fatal), SP014 a relation the dump does not define (a note).
//!
//! Two parts: [`logs`] reads the files (format detection, `pg_stat_statements` CSV, server logs
//! and their `log_line_prefix`, plain SQL) into [`Logged`] statements and knows nothing of the
//! dump; [`analysis`] resolves each statement against the dump and the silo map ([`Resolver`]),
//! groups statements by normalized text, recovers transactions and writes the findings.

use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

pub mod analysis;
pub mod logs;

pub use analysis::{
    analyze, analyze_statements, normalize, workload, Outcome, Resolver, Stats, Touch,
    UsedStatement, UsedTransaction, Workload,
};
pub use logs::{read_logs, FileStats, LinePrefix, LogFormat, Logged, Options, QueryError};

/// Parses SQL text as Postgres (`$1` parameters are fine): statements of a log, and trigger
/// definitions of the dump.
fn parse(sql: &str) -> Result<Vec<Statement>, String> {
    Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| e.to_string())
}
