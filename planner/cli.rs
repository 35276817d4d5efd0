//! Command-line interface: clap derive types, declared only by `main.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Plans the split of one relational database into silos.
#[derive(Debug, Parser)]
#[command(name = "silo-plan", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output format of `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// JSON (stable order).
    Json,
}

/// Output format of findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingsFormat {
    /// rustc-like text with the dump line (colour on a terminal only).
    Text,
    /// JSON, documented in docs/codes.md.
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub workflow annotations.
    Github,
}

/// Where the config and the dump come from.
#[derive(Debug, Args)]
pub struct Input {
    /// `silo-plan.toml`, or a directory holding one (default: the current directory).
    #[arg(value_name = "CONFIG")]
    pub config_pos: Option<PathBuf>,
    /// Same as the positional CONFIG.
    #[arg(long = "config", value_name = "FILE", conflicts_with = "config_pos")]
    pub config: Option<PathBuf>,
    /// Schema dump(s) to read instead of the config's `schema` (repeatable; a directory is read
    /// as migrations in file-name order).
    #[arg(long = "schema", value_name = "FILE")]
    pub schema: Vec<PathBuf>,
    /// Treat unparsed dump statements as errors.
    #[arg(long)]
    pub strict: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// What was read from the dump: objects by kind, unparsed statements with their lines.
    Inspect {
        /// Schema dump to read (repeatable; read in order as one catalog).
        #[arg(long = "schema", required = true)]
        schema: Vec<PathBuf>,
        /// Output format: counts and warnings (text) or the whole catalog (json).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Treat unparsed statements as errors (exit 2).
        #[arg(long)]
        strict: bool,
    },
    /// The CI gate: unassigned tables, cross-silo foreign keys and other couplings.
    /// Exit 0 clean, 1 findings, 2 bad input.
    Check {
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FindingsFormat::Text)]
        format: FindingsFormat,
    },
    /// Writes the whole plan: plan.md, plan.json, graphs, per-silo schemas, FK scripts.
    Plan {
        #[command(flatten)]
        input: Input,
        /// Output directory (written through a temporary directory, renamed at the end).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Replace a non-empty output directory.
        #[arg(long)]
        force: bool,
        /// Also print the plan's statements with their locks and hazards as JSON on stdout.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// A table's silo and why, its edges, and what deleting one of its rows cascades to.
    Explain {
        /// The table (`orders` or `schema.orders`).
        table: String,
        #[command(flatten)]
        input: Input,
    },
}
