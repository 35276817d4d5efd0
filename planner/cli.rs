//! Command-line interface: clap derive types, declared only by `main.rs`.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// Plans the split of one relational database into silos.
#[derive(Debug, Parser)]
#[command(
    name = "silo-plan",
    version,
    about,
    long_about = None,
    after_help = "Examples:
  silo-plan init --schema db/structure.sql      write a starter silo-plan.toml here
  silo-plan check                               the CI gate, with silo-plan.toml found upward
  silo-plan plan examples/saas --out plan/      the whole plan of the bundled example

CONFIG is a silo-plan.toml or a directory holding one; without it, silo-plan.toml is looked for
in the current directory, then in each parent. The file's keys: docs/config.md."
)]
pub struct Cli {
    /// When to colour the output: `auto` colours on a terminal unless NO_COLOR is set (not
    /// empty).
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print results and errors only: no notes or summaries on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Also print on stderr which config and dumps were read.
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless the NO_COLOR environment variable is set and not empty.
    Auto,
    /// Always, even when piped or with NO_COLOR.
    Always,
    /// Never.
    Never,
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
    /// `silo-plan.toml`, or a directory holding one (default: the first found in the current
    /// directory or a parent).
    #[arg(value_name = "CONFIG")]
    pub config_pos: Option<PathBuf>,
    /// Same as the positional CONFIG.
    #[arg(long = "config", value_name = "FILE", conflicts_with = "config_pos")]
    pub config: Option<PathBuf>,
    /// Schema dump(s) to read instead of the config's `schema` (repeatable; a directory is read
    /// as migrations in file-name order; `-` reads standard input).
    #[arg(long = "schema", value_name = "FILE")]
    pub schema: Vec<PathBuf>,
    /// Treat unparsed dump statements as errors.
    #[arg(long)]
    pub strict: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Writes a starter silo-plan.toml from a dump: the framework detected, its bookkeeping
    /// tables shared, silos proposed from the reference graph, each table with a comment saying
    /// why it is where it is.
    #[command(
        after_help = "Examples:\n  silo-plan init --schema db/structure.sql\n  silo-plan init config/ --schema db/structure.sql --silos control,region\n  silo-plan init --schema dump.sql --silos control=users+accounts,region=organizations --force"
    )]
    Init {
        /// Directory to write silo-plan.toml in (created if missing; default: the current
        /// directory).
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Schema dump to read (repeatable; read in order as one catalog). Written into the
        /// config relative to DIR.
        #[arg(long = "schema", value_name = "FILE", required = true)]
        schema: Vec<PathBuf>,
        /// The silos to make, seeded and grown by `suggest`: `control,region` (seeds chosen
        /// among the most connected tables) or `control=users+accounts,region=orders`.
        #[arg(long, value_name = "NAMES")]
        silos: Option<String>,
        /// Replace an existing silo-plan.toml.
        #[arg(long)]
        force: bool,
    },
    /// What was read from the dump: objects by kind, unparsed statements with their lines.
    #[command(
        after_help = "Examples:\n  silo-plan inspect --schema db/structure.sql\n  pg_dump --schema-only mydb | silo-plan inspect --schema -\n  silo-plan inspect --schema db/structure.sql --format json"
    )]
    Inspect {
        /// Schema dump to read (repeatable; read in order as one catalog; `-` reads standard
        /// input).
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
    #[command(
        after_help = "Examples:\n  silo-plan check\n  silo-plan check examples/saas --format sarif > findings.sarif\n  silo-plan check --format github   # annotations in a GitHub workflow"
    )]
    Check {
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FindingsFormat::Text)]
        format: FindingsFormat,
    },
    /// Every reference: the foreign keys of the dump and the references its names imply
    /// (inferred), with their rule, confidence, on_delete and silos.
    #[command(
        after_help = "Examples:\n  silo-plan references\n  silo-plan references examples/saas --format json"
    )]
    References {
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Check every reference that is not a constraint against this live database, read-only
        /// (a libpq URL or conninfo string): confirmed, refuted (exit 1) or unknown.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// statement_timeout and lock_timeout of each query, in milliseconds: a reference whose
        /// query runs longer is unknown.
        #[arg(long, value_name = "MS", requires = "db",
              default_value_t = silo_plan::verify_refs::DEFAULT_TIMEOUT_MS)]
        timeout_ms: u64,
        /// A child table the planner estimates at 2N rows or more is checked on a sample of
        /// about N rows (TABLESAMPLE SYSTEM); 0 checks every row.
        #[arg(long, value_name = "N", requires = "db",
              default_value_t = silo_plan::verify_refs::DEFAULT_SAMPLE)]
        sample: u64,
        /// Also write the verdicts as a references file (schemas/references.schema.json) to
        /// import with `references = ["FILE"]`.
        #[arg(long, value_name = "FILE", requires = "db")]
        write: Option<PathBuf>,
    },
    /// Prints a script to run inside the application (`python manage.py shell < script`,
    /// `bin/rails runner script`) that writes the references its models know, with their
    /// `on_delete` / `dependent:`, as a references file to import with `references = [...]`.
    ExportScript {
        /// The application's framework.
        #[arg(value_enum)]
        framework: ExportFramework,
    },
    /// Writes the whole plan: plan.md, plan.json, graphs, per-silo schemas, FK scripts.
    /// Refuses (exit 2) a silo map with findings that leave the plan to guess: tables in no
    /// silo (with `unassigned = "error"`), shared tables referencing silo tables, inheritance
    /// across silos.
    #[command(
        after_help = "Examples:\n  silo-plan plan --out plan/\n  silo-plan plan examples/saas --out plan/ --force\n  silo-plan plan --out plan/ --allow-findings"
    )]
    Plan {
        #[command(flatten)]
        input: Input,
        /// Output directory (written through a temporary directory, renamed at the end). Never
        /// a file, nor a directory holding the config or a dump.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Replace a non-empty output directory.
        #[arg(long)]
        force: bool,
        /// Write the plan despite findings that block it (they are printed, and plan.md lists
        /// them at the top).
        #[arg(long)]
        allow_findings: bool,
        /// Also print the plan's statements with their locks and hazards as JSON on stdout.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also write the plan's SQL as migrations of this tool in `migrations/<tool>/`
        /// (repeatable; added to the config's `[output] migrations`): sql, dbmate,
        /// golang-migrate, goose, flyway, sqitch, atlas, django, rails, alembic.
        #[arg(long = "migrations", value_name = "TOOL", value_parser = migration_format)]
        migrations: Vec<silo_plan::render::migrations::Format>,
    },
    /// Compares the moved tables between today's database and a new one, read-only: row counts
    /// and checksums, sequence values (target at or above source), in-silo foreign keys left
    /// dangling on the target. Exit 0 equal, 1 differences, 2 bad input or a failed query.
    #[command(
        after_help = "Examples:\n  silo-plan verify --source postgres://localhost/app --target postgres://localhost/control"
    )]
    Verify {
        #[command(flatten)]
        input: Input,
        /// Today's database (ORIGIN), a libpq URL or conninfo string.
        #[arg(long, value_name = "URL")]
        source: String,
        /// The new database of the moving silo.
        #[arg(long, value_name = "URL")]
        target: String,
    },
    /// A silo for each unassigned table, from its foreign-key neighbourhood (and the statements
    /// and transactions of query logs, with --log), with the crossings each choice costs and a
    /// TOML snippet to paste.
    #[command(
        after_help = "Examples:\n  silo-plan suggest\n  silo-plan suggest --write\n  silo-plan suggest --log pg_stat_statements.csv\n  silo-plan suggest --format json"
    )]
    Suggest {
        #[command(flatten)]
        input: Input,
        /// A query log weighing the choice (repeatable): a pg_stat_statements CSV export, a
        /// server log written with log_statement = 'all', or plain SQL, as `queries` reads them.
        #[arg(long = "log", value_name = "FILE")]
        log: Vec<PathBuf>,
        /// The server's log_line_prefix (`%m [%p] %x `), when a server log's is not detected.
        #[arg(long, value_name = "FORMAT", requires = "log")]
        log_line_prefix: Option<String>,
        /// Input format of the logs, instead of detecting it.
        #[arg(long = "input-format", value_enum, default_value_t = LogInput::Auto)]
        input_format: LogInput,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Add each decided table to its silo's `tables` in silo-plan.toml, in place, keeping
        /// its comments and layout (instead of printing the entries to add).
        #[arg(long)]
        write: bool,
    },
    /// A table's silo and why, its edges, and what deleting one of its rows cascades to.
    #[command(
        after_help = "Examples:\n  silo-plan explain auth_user\n  silo-plan explain org_organization examples/saas"
    )]
    Explain {
        /// The table (`orders` or `schema.orders`).
        table: String,
        #[command(flatten)]
        input: Input,
    },
    /// SQL that makes the monolith enforce the boundaries: a NOLOGIN role per silo, granted only
    /// its own and the shared tables (run the tests with `SET ROLE silo_<name>`).
    #[command(
        after_help = "Examples:\n  silo-plan simulate --out roles.sql\n  silo-plan simulate --reset | psql \"$DATABASE_URL\""
    )]
    Simulate {
        #[command(flatten)]
        input: Input,
        /// Write the SQL to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Role name prefix: silo `region` gets role `<prefix>region`.
        #[arg(long, value_name = "PREFIX", default_value = "silo_")]
        prefix: String,
        /// Print the script that drops the roles and their grants instead.
        #[arg(long)]
        reset: bool,
    },
    /// Writes the scripts that move one tenant (a row of a silo's `tenant` table and every row
    /// of its closure) from one instance of a multi-instance silo to another: export in
    /// dependency order, new ids from the target's sequences with a mapping table, references
    /// from single-instance silos rewritten, verify (row counts and checksums), then delete in
    /// the source. Idempotent and resumable (`relocate.sh` records each step).
    #[command(
        after_help = "Examples:\n  silo-plan relocate examples/saas --tenant-id 42 --from us --to de --out relocate-42/\n  silo-plan relocate --silo region --tenant-id 42 --from us --to de --instance-column org_organizationmapping.region_name --out relocate-42/\n  SOURCE_URL=postgres:///us TARGET_URL=postgres:///de CONTROL_URL=postgres:///control relocate-42/relocate.sh"
    )]
    Relocate {
        #[command(flatten)]
        input: Input,
        /// The multi-instance silo (default: the only one with `instances` and a `tenant`).
        #[arg(long, value_name = "SILO")]
        silo: Option<String>,
        /// The tenant row's primary key value.
        #[arg(long = "tenant-id", value_name = "ID")]
        tenant_id: String,
        /// The instance the tenant is in.
        #[arg(long, value_name = "INSTANCE")]
        from: String,
        /// The instance it moves to.
        #[arg(long, value_name = "INSTANCE")]
        to: String,
        /// The relocation's id, recorded in every database (default:
        /// `<silo>-<tenant id>-<from>-<to>`).
        #[arg(long, value_name = "ID")]
        id: Option<String>,
        /// A column of a single-instance silo's table naming the instance of the tenant row its
        /// row points at (`org_organizationmapping.region_name`; repeatable): set to the target
        /// instance, and only rows naming the source are rewritten.
        #[arg(long = "instance-column", value_name = "TABLE.COLUMN")]
        instance_columns: Vec<String>,
        /// Output directory (created; the files it already holds of a relocation are replaced).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Shell completions on stdout, e.g. `silo-plan completions bash > /etc/bash_completion.d/silo-plan`.
    #[command(
        after_help = "Examples:\n  silo-plan completions bash > ~/.local/share/bash-completion/completions/silo-plan\n  silo-plan completions zsh > ~/.zfunc/_silo-plan\n  silo-plan completions fish > ~/.config/fish/completions/silo-plan.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The man page (roff) on stdout, e.g. `silo-plan man > silo-plan.1`.
    #[command(after_help = "Examples:\n  silo-plan man > silo-plan.1 && man ./silo-plan.1")]
    Man,
    /// Queries and transactions of a query log that cross silos: a pg_stat_statements CSV
    /// export, a server log written with log_statement = 'all', or plain SQL.
    /// Exit 0 clean, 1 findings, 2 bad input.
    #[command(
        after_help = "Examples:\n  silo-plan queries pg_stat_statements.csv\n  silo-plan queries config/ postgresql.log --log-line-prefix '%m [%p] '"
    )]
    Queries {
        /// `[CONFIG] LOG...`: the config (`silo-plan.toml` or its directory; default: the
        /// current directory) when the first path is one, then the log files (format detected
        /// per file).
        #[arg(value_name = "PATH", required = true, num_args = 1..)]
        paths: Vec<PathBuf>,
        /// `silo-plan.toml`, or a directory holding one (then every PATH is a log).
        #[arg(long = "config", value_name = "FILE")]
        config: Option<PathBuf>,
        /// Schema dump(s) to read instead of the config's `schema` (repeatable).
        #[arg(long = "schema", value_name = "FILE")]
        schema: Vec<PathBuf>,
        /// Treat unparsed dump statements as errors.
        #[arg(long)]
        strict: bool,
        /// The server's log_line_prefix (`%m [%p] %x `), when a server log's is not detected.
        #[arg(long, value_name = "FORMAT")]
        log_line_prefix: Option<String>,
        /// Input format, instead of detecting it.
        #[arg(long = "input-format", value_enum, default_value_t = LogInput::Auto)]
        input_format: LogInput,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FindingsFormat::Text)]
        format: FindingsFormat,
    },
}

/// The frameworks `export-script` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFramework {
    /// Django (ForeignKey, OneToOneField, `on_delete`, generic foreign keys as unresolved).
    Django,
    /// Rails / ActiveRecord (`belongs_to`, `has_many`/`has_one` `dependent:`, polymorphic
    /// associations as unresolved).
    Rails,
}

/// Input format of `queries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogInput {
    /// Detect per file.
    Auto,
    /// pg_stat_statements CSV export (header row naming `query`, `calls`).
    Csv,
    /// Postgres server log (stderr format).
    Log,
    /// Plain SQL: `;`-separated or one statement per line.
    Sql,
}

/// A `--migrations` value.
fn migration_format(s: &str) -> Result<silo_plan::render::migrations::Format, String> {
    silo_plan::render::migrations::Format::from_name(s).ok_or_else(|| {
        format!(
            "unknown migration tool `{s}`; one of: {}",
            silo_plan::render::migrations::Format::names()
        )
    })
}
