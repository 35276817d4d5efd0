//! `migrations/<format>/<database>/`: the plan's SQL in the layout of the team's migration tool
//! (`plan --migrations FORMAT`, `[output] migrations = [...]`).
//!
//! One neutral list per database ([`build`]), which every format's writer lays out:
//!
//! * **origin** (today's database): the simulation roles (`simulate/roles.sql`, down
//!   `simulate/reset.sql`); the replicated cascades of every silo (phase 2, prepare:
//!   `cascades/<silo>.sql`, down `DROP SCHEMA silo_plan CASCADE`, the phase's rollback); each
//!   index `fks/drop.sql` builds (down: dropping it); the foreign-key break (phase 3:
//!   `fks/drop.sql`, down `fks/restore.sql`).
//! * **each moving silo's new database** (phase 4, provision): its initial schema
//!   (`silos/<silo>/schema.sql`, no down: drop the database) and its replicated cascades.
//! * **residency**, in the database of the single-instance silo it belongs to (a moving silo's,
//!   or today's for the origin silo), after its cascades: the fan-out of its tombstones to the
//!   instances of a multi-instance silo (`residency/fanout/<silo>.sql`) and the reservation
//!   tables it holds as a registry (`residency/<silo>.sql`). The id-space files are per
//!   instance (`residency/id-space/`), and the backfill reads one database and writes another
//!   (`residency/backfill/`): they stay psql scripts.
//!
//! Phases 1 and 5 to 7 (preflight, replicate, cut over, clean up) are not migrations: they span
//! two databases, wait on each other and hold connection strings; `phases/run.sh` runs them.
//!
//! **Transactions.** A [`Script`] is either transactional (the tool's transaction holds all of
//! it; a `lock_timeout` becomes one `SET LOCAL` at its start) or not: then every [`Block`] is
//! its own explicit transaction (`BEGIN; SET LOCAL lock_timeout ...; ...; COMMIT;`), except a
//! statement that cannot run in a transaction block (`CREATE INDEX CONCURRENTLY`), which the
//! list always puts alone in a migration of its own ([`Script::concurrent`]): tools that send a
//! file as one query (dbmate, golang-migrate) would otherwise run it inside the implicit
//! transaction of a multi-statement query, where Postgres refuses it. Up and down of one
//! migration share the mode (goose's `NO TRANSACTION` is per file).
//!
//! **Plain SQL only.** psql meta-commands never reach a migration: `\gexec` queries are
//! replaced by the statements they generate, made from the plan's data (the index names
//! `fks/drop.sql` picks, the dump's partitions), and `\set` lines are left out. Files without
//! meta-commands other than `\set` (the cascades, the simulation roles) are split into their
//! statements by the dump reader's splitter, comments kept.

mod frameworks;
mod sqitch;
mod sqlfiles;

use crate::catalog::{QName, TableKind};
use crate::dump::dialect::Dialect;
use crate::dump::split::{split, PieceKind};
use crate::ident::{ident, literal, qualified};
use crate::plan::fks::IndexPlan;
use crate::plan::{Input, Plan, Step};

use super::{OutFile, RenderError};

/// A migration tool's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Plain SQL files, `NNN_name.up.sql` / `.down.sql`, for any client.
    Sql,
    /// dbmate: `NNN_name.sql` with `-- migrate:up` / `-- migrate:down`.
    Dbmate,
    /// golang-migrate: `NNNNNN_name.up.sql` / `.down.sql`.
    GolangMigrate,
    /// goose: `NNNNN_name.sql` with `-- +goose Up` / `-- +goose Down`.
    Goose,
    /// Flyway: `V<n>__name.sql`, undo `U<n>__name.sql`, `.sql.conf` script config.
    Flyway,
    /// Sqitch: `sqitch.plan`, `deploy/`, `revert/`, `verify/`.
    Sqitch,
    /// Atlas: a versioned directory with its `atlas.sum`.
    Atlas,
    /// Django: an app whose migrations are `RunSQL` operations.
    Django,
    /// Rails: ActiveRecord migration classes.
    Rails,
    /// Alembic: revision scripts.
    Alembic,
}

impl Format {
    /// Every format, in the order `plan` writes them.
    pub const ALL: [Format; 10] = [
        Format::Sql,
        Format::Dbmate,
        Format::GolangMigrate,
        Format::Goose,
        Format::Flyway,
        Format::Sqitch,
        Format::Atlas,
        Format::Django,
        Format::Rails,
        Format::Alembic,
    ];

    /// The name the command line and the config use (and the directory's).
    pub fn name(self) -> &'static str {
        match self {
            Format::Sql => "sql",
            Format::Dbmate => "dbmate",
            Format::GolangMigrate => "golang-migrate",
            Format::Goose => "goose",
            Format::Flyway => "flyway",
            Format::Sqitch => "sqitch",
            Format::Atlas => "atlas",
            Format::Django => "django",
            Format::Rails => "rails",
            Format::Alembic => "alembic",
        }
    }

    /// The format of a name, `None` for an unknown one.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The names, comma-separated (for error messages).
    pub fn names() -> String {
        Format::ALL.map(Format::name).join(", ")
    }
}

/// One SQL statement with the comment lines above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    /// `--` comment lines, each ending in `\n` (may be empty).
    pub comment: String,
    /// The statement, without terminator.
    pub sql: String,
}

/// Statements that run together: in a non-transactional [`Script`], one explicit transaction
/// (or one bare statement when it has a single statement and no `lock_timeout`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// `SET LOCAL lock_timeout` to this first.
    pub lock_timeout: Option<String>,
    /// The statements.
    pub stmts: Vec<Stmt>,
}

/// One direction of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Whether the tool may (and should) run it in one transaction.
    pub transactional: bool,
    /// The statements, in blocks.
    pub blocks: Vec<Block>,
}

impl Script {
    /// A statement that must run alone, outside any transaction block (`CONCURRENTLY`).
    pub fn concurrent(&self) -> bool {
        !self.transactional
            && self.blocks.len() == 1
            && self.blocks[0].lock_timeout.is_none()
            && self.blocks[0].stmts.len() == 1
    }

    /// The `lock_timeout` of a transactional script: the first block's that has one (every
    /// step of the plan uses the same).
    pub fn lock_timeout(&self) -> Option<&str> {
        self.blocks.iter().find_map(|b| b.lock_timeout.as_deref())
    }

    /// Every statement, in order.
    pub fn stmts(&self) -> impl Iterator<Item = &Stmt> {
        self.blocks.iter().flat_map(|b| &b.stmts)
    }

    /// The script as SQL text a client sends as is: a transactional script wrapped in
    /// `BEGIN`/`COMMIT` when `wrap` (the tool does not open a transaction itself), else with
    /// only its `SET LOCAL lock_timeout`; a non-transactional one with its blocks as explicit
    /// transactions.
    pub fn text(&self, wrap: bool) -> String {
        let mut out = String::new();
        if self.transactional {
            if wrap {
                out.push_str("BEGIN;\n");
            }
            if let Some(t) = self.lock_timeout() {
                push_lock_timeout(&mut out, t);
            }
            for s in self.stmts() {
                push_stmt(&mut out, s);
            }
            if wrap {
                out.push_str("COMMIT;\n");
            }
            return out;
        }
        for (i, b) in self.blocks.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let explicit = b.lock_timeout.is_some() || b.stmts.len() > 1;
            if explicit {
                out.push_str("BEGIN;\n");
            }
            if let Some(t) = &b.lock_timeout {
                push_lock_timeout(&mut out, t);
            }
            for s in &b.stmts {
                push_stmt(&mut out, s);
            }
            if explicit {
                out.push_str("COMMIT;\n");
            }
        }
        out
    }

    /// The script as texts sent one by one, each `;`-terminated: a transactional script's
    /// statements; a non-transactional one's blocks, each whole (an explicit transaction is
    /// one text from `BEGIN` to `COMMIT`, so a connection pool cannot split it).
    pub fn chunks(&self) -> Vec<String> {
        if self.transactional {
            let mut out = Vec::new();
            if let Some(t) = self.lock_timeout() {
                let mut s = String::new();
                push_lock_timeout(&mut s, t);
                out.push(s);
            }
            out.extend(self.stmts().map(|s| {
                let mut t = String::new();
                push_stmt(&mut t, s);
                t
            }));
            return out;
        }
        self.blocks
            .iter()
            .map(|b| {
                Script {
                    transactional: false,
                    blocks: vec![b.clone()],
                }
                .text(false)
            })
            .collect()
    }

    /// The script as separate calls of a client that runs one statement per call (Django's
    /// `RunSQL` list, Rails' `execute`, Alembic's `exec_driver_sql`): the same statements as
    /// [`Script::text`] without `wrap`, `BEGIN`, `SET LOCAL` and `COMMIT` each a call of its
    /// own, so no call holds two statements.
    pub fn calls(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut one = |s: &Stmt| format!("{}{}", s.comment, s.sql);
        if self.transactional {
            if let Some(t) = self.lock_timeout() {
                out.push(format!("SET LOCAL lock_timeout = {}", literal(t)));
            }
            out.extend(self.stmts().map(&mut one));
            return out;
        }
        for b in &self.blocks {
            let explicit = b.lock_timeout.is_some() || b.stmts.len() > 1;
            if explicit {
                out.push("BEGIN".to_string());
            }
            if let Some(t) = &b.lock_timeout {
                out.push(format!("SET LOCAL lock_timeout = {}", literal(t)));
            }
            out.extend(b.stmts.iter().map(&mut one));
            if explicit {
                out.push("COMMIT".to_string());
            }
        }
        out
    }
}

fn push_lock_timeout(out: &mut String, t: &str) {
    out.push_str(
        "-- Give up instead of queueing the application behind a lock (then run it again).\n",
    );
    out.push_str("SET LOCAL lock_timeout = ");
    out.push_str(&literal(t));
    out.push_str(";\n");
}

fn push_stmt(out: &mut String, s: &Stmt) {
    out.push_str(&s.comment);
    out.push_str(&s.sql);
    out.push_str(";\n");
}

/// One migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// `snake_case`, unique in its database (`break_foreign_keys`).
    pub name: String,
    /// What it does, one paragraph (the file's header).
    pub what: String,
    /// Forward.
    pub up: Script,
    /// Its revert, when there is one (same transaction mode as `up`).
    pub down: Option<Script>,
    /// Why there is no down, when there is none.
    pub no_down: String,
    /// A query that fails unless the migration is applied (Sqitch's verify).
    pub verify: String,
}

/// The migrations of one database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// `origin`, or the moving silo's name (the directory's name).
    pub name: String,
    /// The environment variable holding its URL, as `phases/run.sh` names it.
    pub env: String,
    /// A `[a-z0-9_]` form of `name`, for class and app names.
    pub key: String,
    /// In order.
    pub migrations: Vec<Migration>,
}

fn stmt(comment: &str, sql: impl Into<String>) -> Stmt {
    Stmt {
        comment: if comment.is_empty() {
            String::new()
        } else {
            super::wrap::comment_block(comment, 4, 100, true)
        },
        sql: sql.into(),
    }
}

/// The comment above a plan step: its why and its locks.
fn step_comment(s: &Step) -> String {
    let mut c = super::wrap::comment_block(&s.why, 0, 100, true);
    c.push_str(&super::wrap::comment_block(
        &format!("Locks: {}.", super::locks_text(&s.locks)),
        4,
        100,
        true,
    ));
    c
}

/// The statements of a rendered plain-SQL file, comments kept: psql meta-commands, the
/// session-wide `SET standard_conforming_strings`, and the file's own `BEGIN`, `COMMIT` and
/// `SET LOCAL lock_timeout` (the migration's [`Script`] says how it runs) left out. Returns the
/// statements and whether a `lock_timeout` was set.
fn file_stmts(text: &str) -> (Vec<Stmt>, Option<String>) {
    let mut out = Vec::new();
    let mut timeout = None;
    for p in split(text, Dialect::Postgres) {
        if p.kind != PieceKind::Statement {
            continue;
        }
        let sql = p.sql(text).trim();
        let lower = sql.to_ascii_lowercase();
        if lower == "begin" || lower == "commit" || lower == "set standard_conforming_strings = on"
        {
            continue;
        }
        if let Some(rest) = lower.strip_prefix("set local lock_timeout = ") {
            timeout = Some(rest.trim_matches('\'').to_string());
            continue;
        }
        // The comment lines right above the statement (a file's header and section rules stay
        // in the file; only the lines after the last blank line are the statement's).
        let lead = text.get(p.start..p.body).unwrap_or("");
        let comment = lead
            .trim_end()
            .rsplit("\n\n")
            .next()
            .unwrap_or("")
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("--") && !l.starts_with("-- ===") && !l.starts_with("-- ---"))
            .fold(String::new(), |mut acc, l| {
                acc.push_str(l);
                acc.push('\n');
                acc
            });
        out.push(Stmt {
            comment,
            sql: sql.to_string(),
        });
    }
    (out, timeout)
}

/// A statement of the dump as the initial schema runs it: session settings (`SET x = v`,
/// `set_config(..., false)`) made local to the migration's transaction, so they do not leak
/// into the tool's later statements on the same connection (pg_dump's empty `search_path` would
/// make the tool's own unqualified bookkeeping table unknown).
fn local_setting(sql: &str) -> String {
    let lower = sql.to_ascii_lowercase();
    if lower.starts_with("set ")
        && !lower.starts_with("set local ")
        && !lower.starts_with("set session ")
    {
        return format!("SET LOCAL {}", &sql[4..]);
    }
    if lower.starts_with("select pg_catalog.set_config(") && lower.trim_end().ends_with(", false)")
    {
        let cut = sql.trim_end().len() - ", false)".len();
        return format!("{}, true)", &sql[..cut]);
    }
    sql.to_string()
}

/// Whether `sql` names the table `q` (or its `_id_seq`) qualified: the statements of a tool's
/// own bookkeeping table that the dump holds (Django's `django_migrations`), which the tool
/// creates itself before it runs the first migration.
fn names_table(sql: &str, q: &QName) -> bool {
    let toks = crate::dump::lex::tokenize(sql, usize::MAX, false);
    let words: Vec<String> = toks
        .toks
        .iter()
        .map(|t| {
            let s = &sql[t.start..t.end];
            match t.kind {
                crate::dump::lex::Tok::Quoted => s.trim_matches('"').replace("\"\"", "\""),
                crate::dump::lex::Tok::Word => s.to_ascii_lowercase(),
                _ => s.to_string(),
            }
        })
        .collect();
    let seq = format!("{}_id_seq", q.name);
    words
        .windows(3)
        .any(|w| w[0] == q.schema && w[1] == "." && (w[2] == q.name || w[2] == seq))
}

/// The bookkeeping tables a tool creates in the database it migrates, in `public`.
pub fn tool_tables(f: Format) -> &'static [&'static str] {
    match f {
        Format::Django => &["django_migrations"],
        Format::Rails => &["schema_migrations", "ar_internal_metadata"],
        Format::Dbmate | Format::GolangMigrate => &["schema_migrations"],
        Format::Goose => &["goose_db_version"],
        Format::Flyway => &["flyway_schema_history"],
        Format::Alembic => &["alembic_version"],
        Format::Sql | Format::Sqitch | Format::Atlas => &[],
    }
}

fn cascades_down() -> Script {
    Script {
        transactional: true,
        blocks: vec![Block {
            lock_timeout: None,
            stmts: vec![stmt(
                "Drops the tombstone tables, the functions and, through them, the triggers \
                 (the prepare phase's rollback). Tombstones not yet applied are lost.",
                "DROP SCHEMA IF EXISTS silo_plan CASCADE",
            )],
        }],
    }
}

/// The migrations installing `silos`' replicated cascades.
fn cascades_migration(
    plan: &Plan,
    silos: &[&str],
    where_: &str,
) -> Result<Option<Migration>, RenderError> {
    let mut stmts = Vec::new();
    let mut timeout = None;
    for s in silos {
        let Some(c) = plan.cascades.iter().find(|c| c.silo == *s && !c.is_empty()) else {
            continue;
        };
        let (st, t) = file_stmts(&super::cascades::silo_sql(c)?);
        stmts.extend(st);
        timeout = timeout.or(t);
    }
    if stmts.is_empty() {
        return Ok(None);
    }
    Ok(Some(Migration {
        name: "install_cascades".into(),
        what: format!(
            "Installs the replicated cascades ({}) in {where_}: schema silo_plan, the tombstone \
             triggers of the parent tables, the consumers. In one transaction: the triggers' \
             SHARE ROW EXCLUSIVE locks are held until it commits (milliseconds), lock_timeout \
             bounds the wait.",
            silos
                .iter()
                .map(|s| format!("cascades/{s}.sql"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        up: Script {
            transactional: true,
            blocks: vec![Block {
                lock_timeout: timeout,
                stmts,
            }],
        },
        down: Some(cascades_down()),
        no_down: String::new(),
        verify: "SELECT 'silo_plan'::regnamespace".into(),
    }))
}

/// The migrations of `residency/` for the database of silo `silo`: the fan-out of its
/// tombstones to the instances of multi-instance silos (`residency/fanout/<silo>.sql`, after
/// its cascades, whose `silo_plan.tombstones` it reads), then the reservation tables and
/// functions it holds as a registry (`residency/<silo>.sql`). Each in one transaction; neither
/// locks an existing table.
fn residency_migrations(
    plan: &Plan,
    input: &Input,
    silo: &str,
) -> Result<Vec<Migration>, RenderError> {
    let one = |stmts: Vec<Stmt>| Script {
        transactional: true,
        blocks: vec![Block {
            lock_timeout: None,
            stmts,
        }],
    };
    let mut out = Vec::new();
    if let Some(f) = plan.fanouts.iter().find(|f| f.silo == silo) {
        let (stmts, _) = file_stmts(&crate::plan::fanout::sql(f));
        out.push(Migration {
            name: "install_fanout".into(),
            what: format!(
                "Installs the fan-out of silo {silo}'s tombstones to every instance of the silos \
                 it cascades into (residency/fanout/{silo}.sql): a watermark per instance and \
                 the functions the pump calls. After install_cascades. Locks no existing table."
            ),
            up: one(stmts),
            down: Some(one(vec![
                stmt("", "DROP VIEW IF EXISTS silo_plan.tombstone_fanout"),
                stmt(
                    "",
                    "DROP FUNCTION IF EXISTS silo_plan.fanout_ack(text, text, bigint)",
                ),
                stmt(
                    "",
                    "DROP FUNCTION IF EXISTS silo_plan.fanout_batch(text, text, integer)",
                ),
                stmt(
                    "The instances' watermarks are lost: a new install delivers every \
                     tombstone again (the inbox stores each once).",
                    "DROP TABLE IF EXISTS silo_plan.tombstone_watermark",
                ),
            ])),
            no_down: String::new(),
            verify: "SELECT 'silo_plan.fanout_batch(text, text, integer)'::regprocedure".into(),
        });
    }
    if let Some(sql) = crate::residency::registry_sql(
        input.cat,
        input.cfg,
        &plan.cascades,
        &plan.reservations,
        silo,
    ) {
        let (stmts, _) = file_stmts(&sql);
        let mine: Vec<&crate::residency::Reservation> = plan
            .reservations
            .iter()
            .filter(|r| r.registry_silo == silo)
            .collect();
        let mut down = Vec::new();
        for r in &mine {
            if crate::residency::tombstone_release(&plan.cascades, r).is_some() {
                down.push(stmt(
                    "Values whose tombstones arrive later stay reserved until the application \
                     releases them.",
                    format!(
                        "DROP FUNCTION IF EXISTS silo_plan.{}",
                        ident(&crate::residency::apply_release_function(r))
                    ),
                ));
            }
            down.push(stmt(
                "",
                format!(
                    "DROP FUNCTION IF EXISTS silo_plan.{}",
                    ident(&r.release_function)
                ),
            ));
            down.push(stmt(
                "",
                format!(
                    "DROP FUNCTION IF EXISTS silo_plan.{}",
                    ident(&r.reserve_function)
                ),
            ));
            down.push(stmt(
                "The reservations it holds are lost: run residency/backfill/ again after a new \
                 install.",
                format!(
                    "DROP TABLE IF EXISTS silo_plan.{}",
                    ident(&r.reservation_table)
                ),
            ));
        }
        out.push(Migration {
            name: "install_reservations".into(),
            what: format!(
                "Installs the reservations of keys unique across instances that silo {silo} \
                 holds (residency/{silo}.sql): {}. The application reserves a value before the \
                 insert in an instance and releases it after the delete (stubs: reserve_*, \
                 release_*); residency/backfill/ registers today's values. Locks no existing table.",
                mine.iter()
                    .map(|r| format!("{}.{}", r.table, r.column))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            up: one(stmts),
            down: Some(one(down)),
            no_down: String::new(),
            verify: mine.first().map_or_else(String::new, |r| {
                format!(
                    "SELECT {}::regclass",
                    literal(&format!("silo_plan.{}", ident(&r.reservation_table)))
                )
            }),
        });
    }
    Ok(out)
}

/// A step of `fks/*.sql` as a block: in its own transaction with its `lock_timeout`.
fn step_block(s: &Step) -> Block {
    Block {
        lock_timeout: s.lock_timeout.clone(),
        stmts: vec![Stmt {
            comment: step_comment(s),
            sql: s.sql.clone(),
        }],
    }
}

/// Migrations building the indexes `fks/drop.sql` builds, each `CONCURRENTLY` statement alone.
fn index_migrations(plan: &Plan, input: &Input, out: &mut Vec<Migration>) {
    for b in &plan.fks.broken {
        let cols = format!("({})", crate::ident::ident_list(&b.columns));
        let child = qualified(&b.child);
        match &b.index {
            IndexPlan::Existing(_) => {}
            IndexPlan::Create(name) => {
                let index = qualified(&QName::new(&b.child.schema, name));
                out.push(concurrent_migration(
                    format!("drop_invalid_{name}"),
                    format!(
                        "Re-run safety before building {index}: a concurrent build that failed \
                         (lock timeout, cancel, deadlock) leaves an INVALID index of that name, \
                         which IF NOT EXISTS would keep; this drops an index of that name (the \
                         name is silo-plan's own, not in the dump). Outside any transaction: \
                         DROP INDEX CONCURRENTLY refuses to run in one."
                    ),
                    format!("DROP INDEX CONCURRENTLY IF EXISTS {index}"),
                    None,
                    "SELECT 1".into(),
                ));
                out.push(concurrent_migration(
                    format!("index_{name}"),
                    format!(
                        "After the split {child} rows are looked up by {cols} (the replicated \
                         cascade deletes or updates by them); no index of {child} leads with \
                         these columns. Builds it concurrently, outside any transaction: reads \
                         and writes go on; it scans the table twice and waits for older \
                         transactions (seconds to hours with its size)."
                    ),
                    format!(
                        "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {child} USING btree {cols}",
                        ident(name)
                    ),
                    Some(format!("DROP INDEX CONCURRENTLY IF EXISTS {index}")),
                    format!(
                        "SELECT 1/count(*) FROM pg_catalog.pg_index WHERE indexrelid = to_regclass({}) AND indisvalid",
                        literal(&index)
                    ),
                ));
            }
            IndexPlan::CreatePartitioned(name) => {
                partitioned_index_migrations(input, b, name, &cols, out);
            }
        }
    }
}

fn concurrent_migration(
    name: String,
    what: String,
    up: String,
    down: Option<String>,
    verify: String,
) -> Migration {
    let script = |sql: String| Script {
        transactional: false,
        blocks: vec![Block {
            lock_timeout: None,
            stmts: vec![Stmt {
                comment: String::new(),
                sql,
            }],
        }],
    };
    Migration {
        name: migration_name(&name),
        what,
        up: script(up),
        down: down.map(script),
        no_down: "nothing to undo: it only removes a failed build's leftover".into(),
        verify,
    }
}

/// `name` cut to `[a-z0-9_]` and 60 bytes (file and class names).
fn migration_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.len() > 60 {
        let h = crate::names::hash(&[name]);
        s.truncate(51);
        s.push_str(&format!("_{h:08x}"));
    }
    s
}

/// The partitioned child's index from the dump's partitions (`fks/drop.sql` lists them at run
/// time with `\gexec`; a partition created after the dump is not covered here): the parent's
/// index `ON ONLY`, each leaf's built concurrently (each alone), the sub-partitioned ones' `ON
/// ONLY`, then every attach, deepest first. Partition index names as `fks/drop.sql` makes them.
fn partitioned_index_migrations(
    input: &Input,
    b: &crate::plan::fks::BrokenFk,
    name: &str,
    cols: &str,
    out: &mut Vec<Migration>,
) {
    use md5::Digest;
    let cat = input.cat;
    // (level, partition, kind, parent), breadth first from the root.
    let mut tree: Vec<(usize, QName, TableKind, QName)> = Vec::new();
    let mut frontier = vec![(b.child.clone(), 0usize)];
    while let Some((p, level)) = frontier.pop() {
        for t in &cat.tables {
            if t.partition_of.as_ref() == Some(&p) {
                tree.push((level + 1, t.qname(), t.kind, p.clone()));
                frontier.push((t.qname(), level + 1));
            }
        }
    }
    let prefix = crate::names::truncate(name, 63 - 9).to_string();
    let part_index = |q: &QName| {
        let h = md5::Md5::digest(format!("{}.{}", ident(&q.schema), ident(&q.name)).as_bytes());
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        format!("{prefix}_{}", &hex[..8])
    };
    let child = qualified(&b.child);
    let index = qualified(&QName::new(&b.child.schema, name));
    let mut blocks = vec![Block {
        lock_timeout: Some(crate::plan::fks::LOCK_TIMEOUT.into()),
        stmts: vec![stmt(
            &format!(
                "{child} is partitioned, where CREATE INDEX CONCURRENTLY is refused: the parent's \
                 index ON ONLY the parent (no build; valid once every partition's is attached)."
            ),
            format!(
                "CREATE INDEX IF NOT EXISTS {} ON ONLY {child} USING btree {cols}",
                ident(name)
            ),
        )],
    }];
    out.push(Migration {
        name: migration_name(&format!("index_{name}")),
        what: format!("The index of partitioned {child} on {cols}, ON ONLY the parent."),
        up: Script {
            transactional: false,
            blocks: std::mem::take(&mut blocks),
        },
        down: Some(Script {
            transactional: false,
            blocks: vec![Block {
                lock_timeout: Some(crate::plan::fks::LOCK_TIMEOUT.into()),
                stmts: vec![stmt(
                    "Drops the parent's index and, with it, the partitions'.",
                    format!("DROP INDEX IF EXISTS {index}"),
                )],
            }],
        }),
        no_down: String::new(),
        verify: format!("SELECT {}::regclass", literal(&index)),
    });
    let mut sorted = tree.clone();
    sorted.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    for (_, p, kind, _) in &sorted {
        let pi = part_index(p);
        let pq = qualified(p);
        let piq = qualified(&QName::new(&p.schema, &pi));
        if *kind == TableKind::Partitioned {
            out.push(Migration {
                name: migration_name(&format!("index_{pi}")),
                what: format!("Sub-partitioned {pq}: its own index ON ONLY (no build)."),
                up: Script {
                    transactional: false,
                    blocks: vec![Block {
                        lock_timeout: Some(crate::plan::fks::LOCK_TIMEOUT.into()),
                        stmts: vec![stmt(
                            "",
                            format!(
                                "CREATE INDEX IF NOT EXISTS {} ON ONLY {pq} USING btree {cols}",
                                ident(&pi)
                            ),
                        )],
                    }],
                },
                down: None,
                no_down: "the parent's index migration drops it".into(),
                verify: format!("SELECT {}::regclass", literal(&piq)),
            });
        } else {
            out.push(concurrent_migration(
                format!("drop_invalid_{pi}"),
                format!("Re-run safety before building {piq} (see the index migrations above)."),
                format!("DROP INDEX CONCURRENTLY IF EXISTS {piq}"),
                None,
                "SELECT 1".into(),
            ));
            out.push(concurrent_migration(
                format!("index_{pi}"),
                format!(
                    "Builds the index of partition {pq} concurrently, outside any transaction."
                ),
                format!(
                    "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {pq} USING btree {cols}",
                    ident(&pi)
                ),
                Some(format!("DROP INDEX CONCURRENTLY IF EXISTS {piq}")),
                format!("SELECT {}::regclass", literal(&piq)),
            ));
        }
    }
    if sorted.is_empty() {
        return;
    }
    sorted.sort_by(|a, b| (std::cmp::Reverse(a.0), &a.1).cmp(&(std::cmp::Reverse(b.0), &b.1)));
    let attach = sorted
        .iter()
        .map(|(_, p, _, parent)| {
            let parent_index = if *parent == b.child {
                name.to_string()
            } else {
                part_index(parent)
            };
            Block {
                lock_timeout: Some(crate::plan::fks::LOCK_TIMEOUT.into()),
                stmts: vec![Stmt {
                    comment: String::new(),
                    sql: format!(
                        "ALTER INDEX {} ATTACH PARTITION {}",
                        qualified(&QName::new(&parent.schema, &parent_index)),
                        qualified(&QName::new(&p.schema, part_index(p)))
                    ),
                }],
            }
        })
        .collect();
    out.push(Migration {
        name: migration_name(&format!("attach_{name}")),
        what: format!("Attaches each partition's index to its parent's, deepest first; then {index} is valid."),
        up: Script {
            transactional: false,
            blocks: attach,
        },
        down: None,
        no_down: "the parent's index migration drops them all".into(),
        verify: format!(
            "SELECT 1/count(*) FROM pg_catalog.pg_index WHERE indexrelid = to_regclass({}) AND indisvalid",
            literal(&index)
        ),
    });
}

/// The foreign-key break: every `DROP CONSTRAINT` of `fks/drop.sql` in its own transaction;
/// down, `fks/restore.sql`: every key re-added `NOT VALID`, then validated, each in its own.
fn break_migration(plan: &Plan) -> Option<Migration> {
    let drops: Vec<Block> = plan
        .fks
        .drop
        .iter()
        .filter(|s| !s.gexec && s.transactional)
        .filter(|s| s.sql.contains(" DROP CONSTRAINT "))
        .map(step_block)
        .collect();
    if drops.is_empty() {
        return None;
    }
    let restore: Vec<Block> = plan.fks.restore.iter().map(step_block).collect();
    let keys: Vec<String> = plan
        .fks
        .broken
        .iter()
        .map(|b| {
            format!(
                "({}::regclass, {})",
                literal(&qualified(&b.child)),
                literal(&b.name)
            )
        })
        .collect();
    Some(Migration {
        name: "break_foreign_keys".into(),
        what: format!(
            "Drops the {} foreign keys that cross silos (fks/drop.sql), each in a transaction of \
             its own under lock_timeout {}: one key's child and parent are locked ACCESS \
             EXCLUSIVE for the catalog change only. Not one transaction for all: that would \
             hold every table's lock until the end. The replicated cascades must be live first. \
             Down (fks/restore.sql): re-adds every key NOT VALID, then validates each, every \
             statement in its own transaction, so VALIDATE's scan holds only SHARE UPDATE \
             EXCLUSIVE (writes go on).",
            drops.len(),
            plan.fks.lock_timeout
        ),
        up: Script {
            transactional: false,
            blocks: drops,
        },
        down: Some(Script {
            transactional: false,
            blocks: restore,
        }),
        no_down: String::new(),
        verify: format!(
            "DO $silo_plan$\nBEGIN\n    IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE contype = 'f' AND (conrelid, conname) IN ({})) THEN\n        RAISE EXCEPTION 'a cross-silo foreign key is still there';\n    END IF;\nEND\n$silo_plan$",
            keys.join(", ")
        ),
    })
}

/// The simulation roles (`simulate/roles.sql`), down `simulate/reset.sql`.
fn roles_migration(input: &Input) -> Result<Migration, RenderError> {
    let sim = crate::simulate::build(
        input,
        &crate::simulate::Options {
            prefix: crate::simulate::DEFAULT_PREFIX.into(),
        },
    )
    .map_err(|e| RenderError(e.to_string()))?;
    let (up, _) = file_stmts(&crate::simulate::roles_sql(&sim)?);
    let (down, _) = file_stmts(&crate::simulate::reset_sql(&sim)?);
    let roles: Vec<String> = sim.roles.iter().map(|r| literal(&r.role)).collect();
    let one = |stmts| Script {
        transactional: true,
        blocks: vec![Block {
            lock_timeout: None,
            stmts,
        }],
    };
    Ok(Migration {
        name: "simulation_roles".into(),
        what: format!(
            "A NOLOGIN role per silo ({}) granted only that silo's and the shared tables \
             (simulate/roles.sql): a test run with SET ROLE fails with `permission denied` \
             where code crosses a boundary. Roles belong to the cluster: every database of it \
             sees them. Down: simulate/reset.sql.",
            sim.roles
                .iter()
                .map(|r| r.role.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        up: one(up),
        down: Some(one(down)),
        no_down: String::new(),
        verify: format!(
            "SELECT 1/(count(*) = {})::int FROM pg_catalog.pg_roles WHERE rolname IN ({})",
            roles.len(),
            roles.join(", ")
        ),
    })
}

/// The new database's initial schema: `silos/<silo>/schema.sql`'s statements, settings local,
/// the statements of `skip`'s tables (the tool's own) left out.
fn schema_migration(plan: &Plan, input: &Input, silo: &str, skip: &[QName]) -> Option<Migration> {
    let s = plan.schemas.iter().find(|s| s.silo == silo)?;
    let mut stmts = vec![stmt(
        "pg_dump's settings below set an empty search_path; it is put back at the end, so the \
         tool's own statements after this migration (its bookkeeping table, unqualified) find \
         their tables.",
        "SELECT pg_catalog.set_config('silo_plan.search_path', pg_catalog.current_setting('search_path'), true)",
    )];
    for item in &s.items {
        if let crate::plan::schema::Item::Statement { at, sql, .. } = item {
            let text = sql.text(input);
            if skip.iter().any(|q| names_table(text, q)) {
                continue;
            }
            stmts.push(Stmt {
                comment: format!("-- from {}\n", crate::ident::comment_text(&at.to_string())),
                sql: local_setting(text.trim_end().trim_end_matches(';')),
            });
        }
    }
    stmts.push(stmt(
        "",
        "SELECT pg_catalog.set_config('search_path', pg_catalog.current_setting('silo_plan.search_path'), true)",
    ));
    let tables: Vec<String> = s
        .tables
        .iter()
        .map(|t| format!("{}::regclass", literal(&qualified(t))))
        .collect();
    Some(Migration {
        name: "initial_schema".into(),
        what: format!(
            "Creates silo {silo}'s schema in its new database (silos/{silo}/schema.sql: the \
             dump's own statements for its {} tables and the shared ones; no rows, they arrive \
             by replication). The new database is not in use yet.",
            s.tables.len()
        ),
        up: Script {
            transactional: true,
            blocks: vec![Block {
                lock_timeout: None,
                stmts,
            }],
        },
        down: None,
        no_down: "the revert of a new database's initial schema is dropping the database".into(),
        verify: if tables.is_empty() {
            "SELECT 1".into()
        } else {
            format!("SELECT {}", tables.join(", "))
        },
    })
}

/// The migrations of every database, for a tool whose bookkeeping tables are `tool_tables`
/// (in `public`): statements of the dump about them are left out of an initial schema.
pub fn build(
    plan: &Plan,
    input: &Input,
    tool_tables: &[&str],
) -> Result<Vec<Database>, RenderError> {
    let skip: Vec<QName> = tool_tables
        .iter()
        .map(|t| QName::new("public", *t))
        .collect();
    let mut dbs = Vec::new();
    let mut origin = vec![roles_migration(input)?];
    let silos: Vec<&str> = plan
        .phases
        .cascade_silos
        .iter()
        .map(String::as_str)
        .collect();
    origin.extend(cascades_migration(plan, &silos, "today's database")?);
    index_migrations(plan, input, &mut origin);
    origin.extend(break_migration(plan));
    // Residency (fan-out, reservations) of the origin silo, when it runs as one instance.
    if let Some(o) = plan.origin.as_deref() {
        origin.extend(residency_migrations(plan, input, o)?);
    }
    dbs.push(Database {
        name: "origin".into(),
        env: "ORIGIN_URL".into(),
        key: "origin".into(),
        migrations: origin,
    });
    for t in &plan.phases.targets {
        let mut m = Vec::new();
        m.extend(schema_migration(plan, input, &t.silo, &skip));
        if t.cascades {
            m.extend(cascades_migration(
                plan,
                &[t.silo.as_str()],
                &format!("silo {}'s new database", t.silo),
            )?);
        }
        m.extend(residency_migrations(plan, input, &t.silo)?);
        dbs.push(Database {
            name: t.silo.clone(),
            env: t.env.clone(),
            key: migration_name(&t.silo),
            migrations: m,
        });
    }
    Ok(dbs)
}

/// Every file of `migrations/<format>/` for each of `formats`.
pub fn files(plan: &Plan, input: &Input, formats: &[Format]) -> Result<Vec<OutFile>, RenderError> {
    let mut out = Vec::new();
    for &f in formats {
        let dbs = build(plan, input, tool_tables(f))?;
        for db in &dbs {
            let dir = format!("migrations/{}/{}", f.name(), db.name);
            let files = match f {
                Format::Sql => sqlfiles::sql(db),
                Format::Dbmate => sqlfiles::dbmate(db),
                Format::GolangMigrate => sqlfiles::golang_migrate(db),
                Format::Goose => sqlfiles::goose(db),
                Format::Flyway => sqlfiles::flyway(db),
                Format::Atlas => sqlfiles::atlas(db),
                Format::Sqitch => sqitch::sqitch(db),
                Format::Django => frameworks::django(db),
                Format::Rails => frameworks::rails(db),
                Format::Alembic => frameworks::alembic(db),
            };
            for (path, contents) in files {
                out.push(OutFile {
                    path: format!("{dir}/{path}"),
                    contents,
                });
            }
        }
    }
    Ok(out)
}

/// The header comment of a migration file: what, and how it runs.
fn header(db: &Database, m: &Migration, prefix: &str) -> String {
    let mut text = format!(
        "silo-plan: {} on {} ({}). {}",
        m.name, db.name, db.env, m.what
    );
    if m.up.concurrent() {
        text.push_str(
            " Runs outside any transaction, alone: CONCURRENTLY refuses a transaction block.",
        );
    } else if !m.up.transactional {
        text.push_str(" Not one transaction: each block below is its own (BEGIN ... COMMIT).");
    }
    if m.down.is_none() {
        text.push_str(&format!(" No down: {}.", m.no_down));
    }
    super::wrap::comment_block(&text, 4, 100, true)
        .lines()
        .map(|l| format!("{prefix}{}\n", l.strip_prefix("--").unwrap_or(l)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_become_local() {
        assert_eq!(
            local_setting("SET lock_timeout = 0"),
            "SET LOCAL lock_timeout = 0"
        );
        assert_eq!(
            local_setting("SELECT pg_catalog.set_config('search_path', '', false)"),
            "SELECT pg_catalog.set_config('search_path', '', true)"
        );
        assert_eq!(local_setting("CREATE TABLE t ()"), "CREATE TABLE t ()");
    }

    #[test]
    fn a_tools_table_is_found_by_its_qualified_name() {
        let q = QName::new("public", "django_migrations");
        assert!(names_table(
            "CREATE TABLE public.django_migrations (id int)",
            &q
        ));
        assert!(names_table(
            "ALTER SEQUENCE public.django_migrations_id_seq OWNED BY x",
            &q
        ));
        assert!(names_table(
            "ALTER TABLE ONLY \"public\".\"django_migrations\" ADD x",
            &q
        ));
        assert!(!names_table(
            "CREATE TABLE public.django_migrations2 (id int)",
            &q
        ));
        assert!(!names_table(
            "CREATE TABLE other.django_migrations (id int)",
            &q
        ));
    }
}
