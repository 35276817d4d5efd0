//! Command-line interface: clap derive types, declared only by `main.rs`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Plans the split of one relational database into silos.
#[derive(Debug, Parser)]
#[command(name = "silo-plan", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// JSON (stable order).
    Json,
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
}
