//! Reading schema dumps: splitting into statements, then each statement into catalog facts.
//!
//! The only code that knows SQL text. [`split`] cuts a file into statements with spans;
//! [`lower`] turns the statements that need an AST (tables, constraints, indexes, views) into
//! facts through sqlparser; [`recognize`] reads the ones sqlparser rejects or that need no AST
//! (sequence ownership, functions, triggers, types, comments, grants); what neither understands
//! is kept as [`crate::catalog::Unparsed`] with its line. Reading never fails on a statement.

pub mod dialect;
pub mod history;
pub mod lex;
pub mod lower;
pub mod read;
pub mod recognize;
pub mod split;

pub use dialect::Dialect;
pub use read::{read, ReadOptions};
