//! The `silo-plan` binary: reads files, prints, writes and picks the exit code. All decisions
//! are made by the library.

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, Format};
use silo_plan::dump::{self, ReadOptions};
use silo_plan::source::SourceFile;

/// An error that ends the run with exit code 2 (bad input).
struct Fatal(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn emit(text: &str) -> Result<(), Fatal> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Fatal(format!("cannot write output: {e}"))),
    }
}

fn run(cli: Cli) -> Result<ExitCode, Fatal> {
    match cli.command {
        Command::Inspect {
            schema,
            format,
            strict,
        } => {
            let mut sources = Vec::with_capacity(schema.len());
            for p in &schema {
                sources.push(SourceFile::load(p).map_err(|e| Fatal(e.to_string()))?);
            }
            let cat = dump::read(&sources, &ReadOptions::default());
            match format {
                Format::Text => emit(&silo_plan::inspect::text(&cat))?,
                Format::Json => emit(&silo_plan::inspect::json(&cat))?,
            }
            if strict && !cat.unparsed.is_empty() {
                return Err(Fatal(format!(
                    "{} unparsed statements (--strict)",
                    cat.unparsed.len()
                )));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
