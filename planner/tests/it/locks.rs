//! Lock claims against Postgres. Every `-- Locks:` comment of the SQL that `silo-plan plan
//! examples/saas` writes (`fks/*.sql`, `cascades/*.sql`, `phases/*.sql`), every phase's locks in
//! runbook.md, and every `lock_timeout` they claim, held against what `pg_locks` shows while the
//! statements run on two real clusters, phase by phase as `phases/run.sh` runs them.
//!
//! [`Session`] feeds a generated file to `psql` through its stdin, statement by statement (psql
//! itself reads the meta-commands and variables). A statement that runs in autocommit is wrapped
//! in a transaction of its own; a `BEGIN ... COMMIT` of the file is kept as it is. Before each
//! commit a second session reads the tables the first one holds locks on (`pg_locks` joined to
//! `pg_class`: a table created in the open transaction is not visible there, so only tables that
//! existed before count, as only those matter to anyone else) and the `lock_timeout` in force.
//! `\ir` of another generated file is followed, so the locks of `cascades/<silo>.sql` and
//! `fks/drop.sql` count for the phase that includes them.
//!
//! The claims come from plan.json: the steps of `fks.drop` and `fks.restore`, `locks` (for the
//! other files, one entry per `-- Locks:` comment, in file order) and `phases.phases[].locks` /
//! `phases.rollbacks[].locks` (a phase's tables per database and mode). A statement belongs to the claim of the last `-- Locks:` comment above it; for each
//! claim, the strongest lock observed on each table, over every run of the file, must be the
//! claimed one (a table not claimed: none worth naming, i.e. at most ACCESS SHARE or ROW
//! EXCLUSIVE). Phases that are idempotent are run twice, and the cut-over again after its
//! rollback, so the claims hold for reruns too.
//!
//! Not observed, and listed by the test with the reason (it fails on any other kind):
//! * CREATE / ALTER / DROP SUBSCRIPTION and CREATE / DROP INDEX CONCURRENTLY: they cannot run in a
//!   transaction block; none takes a table lock of its own that a file claims (examples/saas
//!   builds no index);
//! * statements inside a psql `\if` block (the variable guards, the Postgres 16 branch of the
//!   reverse subscription): psql skips an inactive branch, statements included;
//! * `\i :state_file`: statements written at run time (set_config, setval of sequences);
//! * `\ir ../silos/<silo>/schema.sql`: the dump's own DDL on the new database, which nothing
//!   uses yet (the runbook says its locks are not listed);
//! * `\ir` of `residency/` files (the id space a new instance's script runs): their claims are
//!   not in plan.json yet.
//!
//! The new instance's script (`phases/instances/region/de.sql`) runs twice on a third database
//! after the split, as `run.sh instance region de` runs it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::pg::Cluster;
use crate::phases::{load_saas, run_phase, two_cluster_env};

// ---------------------------------------------------------------------------------------------
// Lock modes.

/// Postgres's number of a lock mode (`pg_locks.mode`): 1 ACCESS SHARE to 8 ACCESS EXCLUSIVE.
fn pg_rank(mode: &str) -> u8 {
    match mode {
        "AccessShareLock" => 1,
        "RowShareLock" => 2,
        "RowExclusiveLock" => 3,
        "ShareUpdateExclusiveLock" => 4,
        "ShareLock" => 5,
        "ShareRowExclusiveLock" => 6,
        "ExclusiveLock" => 7,
        "AccessExclusiveLock" => 8,
        other => panic!("unknown lock mode {other}"),
    }
}

/// The rank a claim in plan.json names (`ACCESS_EXCLUSIVE`); `NONE` is 0.
fn claim_rank(name: &str) -> u8 {
    match name {
        "NONE" => 0,
        "ROW_SHARE" => 2,
        "SHARE_UPDATE_EXCLUSIVE" => 4,
        "SHARE" => 5,
        "SHARE_ROW_EXCLUSIVE" => 6,
        "ACCESS_EXCLUSIVE" => 8,
        other => panic!("plan.json names an unknown lock {other}"),
    }
}

/// An observed rank as a claim compares it: ACCESS SHARE (a read) and ROW EXCLUSIVE (a write)
/// block no read or write of anyone else, and are "none worth naming".
fn named(rank: u8) -> u8 {
    match rank {
        1 | 3 => 0,
        r => r,
    }
}

/// The mode as the files and the runbook write it.
fn mode_name(rank: u8) -> &'static str {
    match rank {
        0 => "none",
        1 => "ACCESS SHARE",
        2 => "ROW SHARE",
        3 => "ROW EXCLUSIVE",
        4 => "SHARE UPDATE EXCLUSIVE",
        5 => "SHARE",
        6 => "SHARE ROW EXCLUSIVE",
        7 => "EXCLUSIVE",
        _ => "ACCESS EXCLUSIVE",
    }
}

/// The lock-mode names a text mentions (longest match first, each occurrence once).
fn modes_in(text: &str) -> BTreeSet<u8> {
    let mut t = text.to_string();
    let mut out = BTreeSet::new();
    for r in [8u8, 6, 4, 7, 3, 2, 1, 5] {
        let name = mode_name(r);
        while let Some(i) = t.find(name) {
            out.insert(r);
            t.replace_range(i..i + name.len(), "#");
        }
    }
    out
}

/// Locks blocking reads or writes of the application (SHARE and stronger) must have a timeout.
const BLOCKING: u8 = 5;

// ---------------------------------------------------------------------------------------------
// The files, cut into what psql runs.

/// One thing psql runs.
#[derive(Debug, Clone)]
enum Unit {
    /// A statement with its terminator: `;`, or a line such as `\gexec` or `\g FILE`.
    Sql(String),
    /// A meta-command line on its own (`\set`, `\if`, `\ir`, ...).
    Meta(String),
}

/// A file cut into units, with where each `-- Locks:` comment starts its claim.
struct Scanned {
    units: Vec<Unit>,
    /// For each unit, the index of the `-- Locks:` comment (claim) it falls under, if any.
    claim: Vec<Option<usize>>,
    /// The text of each `-- Locks:` comment, continuation lines joined.
    claim_texts: Vec<String>,
}

/// Cuts a psql script into statements and meta-command lines: quotes, quoted identifiers,
/// dollar quotes and comments are skipped; a backslash outside them starts a meta-command that
/// runs to the end of the line, and ends the statement in progress when there is one (`\gexec`).
/// A `-- Locks:` comment in column 0 between statements, after the first unit (a phase file's
/// header states the phase's locks), starts a claim.
fn scan(text: &str) -> Scanned {
    let b = text.as_bytes();
    let mut units = Vec::new();
    let mut claim = Vec::new();
    let mut claim_texts: Vec<String> = Vec::new();
    let mut current: Option<usize> = None;
    let mut stmt = String::new();
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = b[i];
        let blank = stmt.trim().is_empty();
        let at_line_start = i == 0 || b[i - 1] == b'\n';
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            let end = text[i..].find('\n').map_or(b.len(), |e| i + e);
            let line = &text[i..end];
            if blank && at_line_start && line.starts_with("-- Locks:") && !units.is_empty() {
                // The claim's text: this line and its continuation lines (`--     ...`).
                let mut t = line["-- Locks:".len()..].trim().to_string();
                let mut j = end + 1;
                while j < b.len() && text[j..].starts_with("--     ") {
                    let e = text[j..].find('\n').map_or(b.len(), |e| j + e);
                    t.push(' ');
                    t.push_str(text[j + 2..e].trim());
                    j = e + 1;
                }
                claim_texts.push(t);
                current = Some(claim_texts.len() - 1);
            }
            if !blank {
                stmt.push_str(line);
            }
            i = end;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let start = i;
            i = crate::pg::block_comment_end(b, i);
            stmt.push_str(&text[start..i]);
            continue;
        }
        if c == b'\'' || c == b'"' {
            let escapes = c == b'\''
                && i > 0
                && matches!(b[i - 1], b'E' | b'e')
                && (i < 2 || !ident(b[i - 2]));
            let start = i;
            i += 1;
            while i < b.len() {
                if escapes && b[i] == b'\\' {
                    i += 2;
                    continue;
                }
                if b[i] == c {
                    if b.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            stmt.push_str(&text[start..i.min(b.len())]);
            continue;
        }
        if c == b'$' && (i == 0 || !ident(b[i - 1])) {
            let mut j = i + 1;
            while j < b.len() && ident(b[j]) {
                j += 1;
            }
            let tag_ok = j < b.len() && b[j] == b'$' && (j == i + 1 || !b[i + 1].is_ascii_digit());
            if tag_ok {
                let tag = &text[i..=j];
                let body = j + 1;
                let end = text[body..]
                    .find(tag)
                    .map_or(b.len(), |e| body + e + tag.len());
                stmt.push_str(&text[i..end]);
                i = end;
                continue;
            }
        }
        if c == b'\\' {
            let end = text[i..].find('\n').map_or(b.len(), |e| i + e);
            let line = text[i..end].to_string();
            if blank {
                stmt.clear();
                units.push(Unit::Meta(line));
            } else {
                stmt.push('\n');
                stmt.push_str(&line);
                units.push(Unit::Sql(std::mem::take(&mut stmt)));
            }
            claim.push(current);
            i = end;
            continue;
        }
        if c == b';' {
            stmt.push(';');
            units.push(Unit::Sql(std::mem::take(&mut stmt).trim().to_string()));
            claim.push(current);
            i += 1;
            continue;
        }
        if !(blank && c.is_ascii_whitespace()) {
            stmt.push(c as char);
        }
        if c >= 0x80 {
            // A multi-byte character: copy it whole.
            stmt.pop();
            let ch = text[i..].chars().next().expect("a character");
            stmt.push(ch);
            i += ch.len_utf8();
            continue;
        }
        i += 1;
    }
    assert!(
        stmt.trim().is_empty(),
        "a statement without its terminator at the end: {stmt}"
    );
    Scanned {
        units,
        claim,
        claim_texts,
    }
}

/// Whether a statement cannot run in a transaction block: it starts so, or it is a query whose
/// result psql's `\gexec` runs and the statement it generates (in its text) does.
fn outside_transactions(sql: &str) -> bool {
    let words: String = sql
        .to_ascii_uppercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let kinds = [
        "CREATE SUBSCRIPTION",
        "ALTER SUBSCRIPTION",
        "DROP SUBSCRIPTION",
        "CREATE INDEX CONCURRENTLY",
        "CREATE UNIQUE INDEX CONCURRENTLY",
        "DROP INDEX CONCURRENTLY",
    ];
    if words.ends_with("\\GEXEC") {
        kinds.iter().any(|k| words.contains(k))
    } else {
        kinds.iter().any(|k| words.starts_with(k))
    }
}

// ---------------------------------------------------------------------------------------------
// Running a file through psql, watched.

/// The locks one transaction held on tables just before its commit.
#[derive(Debug, Clone)]
struct Group {
    /// Plan-relative path of the file its statements are in.
    file: String,
    /// The file's claim it falls under.
    claim: Option<usize>,
    /// The phase being run, when a phase file (or a file it includes) runs.
    phase: Option<String>,
    /// `origin` or the target silo.
    place: String,
    /// Its statements, for messages.
    text: String,
    /// Table (`schema.name`) to the strongest mode held (rank).
    locks: BTreeMap<String, u8>,
    /// `lock_timeout` in force before the commit.
    lock_timeout: String,
}

/// What the test did not observe, and why.
#[derive(Debug, Clone)]
struct Skipped {
    file: String,
    what: String,
    reason: &'static str,
}

/// Everything observed.
#[derive(Default)]
struct Observed {
    groups: Vec<Group>,
    skipped: Vec<Skipped>,
}

/// Which database a session runs on.
struct Db<'c> {
    place: &'static str,
    cluster: &'c Cluster,
    db: &'static str,
}

impl Db<'_> {
    fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={}",
            self.cluster.port(),
            self.db
        )
    }
}

static SESSIONS: AtomicUsize = AtomicUsize::new(0);

/// A psql process fed through its stdin, and a second connection that watches it.
struct Session<'a> {
    child: Child,
    stdin: Option<ChildStdin>,
    output: Arc<Mutex<String>>,
    pid: i32,
    watch: postgres::Client,
    probe: String,
    marks: u64,
    plan: &'a Path,
    place: &'static str,
    phase: Option<String>,
}

impl<'a> Session<'a> {
    /// psql on `db`, with the variables `phases/run.sh` passes (and `confirm` when asked).
    fn start(
        db: &Db,
        vars: &[(String, String)],
        plan: &'a Path,
        phase: Option<&str>,
        cwd: &Path,
    ) -> Session<'a> {
        let probe = format!(
            "silo-plan-lock-probe-{}",
            SESSIONS.fetch_add(1, Ordering::SeqCst)
        );
        let mut cmd = db.cluster.psql_cmd(db.db);
        cmd.args(["-q", "-v", "ON_ERROR_STOP=1"]);
        for (k, v) in vars {
            cmd.arg("-v").arg(format!("{k}={v}"));
        }
        cmd.current_dir(plan.join(cwd))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("starting psql");
        let output = Arc::new(Mutex::new(String::new()));
        for mut r in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let out = output.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = r.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    out.lock()
                        .expect("output")
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let stdin = child.stdin.take();
        let mut s = Session {
            child,
            stdin,
            output,
            pid: 0,
            watch: db.cluster.client(db.db),
            probe,
            marks: 0,
            plan,
            place: db.place,
            phase: phase.map(str::to_string),
        };
        s.mark();
        s
    }

    fn send(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("psql's stdin");
        if stdin
            .write_all(text.as_bytes())
            .and_then(|()| stdin.write_all(b"\n"))
            .and_then(|()| stdin.flush())
            .is_err()
        {
            self.died("writing to psql");
        }
    }

    fn died(&mut self, when: &str) -> ! {
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(200));
        panic!(
            "psql on {} stopped {when}:\n{}",
            self.place,
            self.output.lock().expect("output")
        );
    }

    /// Waits until psql has run everything sent so far; returns the `lock_timeout` in force.
    fn mark(&mut self) -> String {
        self.marks += 1;
        let tag = format!("{}:{}:", self.probe, self.marks);
        self.send(&format!(
            "SELECT pg_catalog.set_config('application_name', '{tag}' || pg_catalog.current_setting('lock_timeout'), false) \\g /dev/null"
        ));
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                self.died("while running");
            }
            let rows = self
                .watch
                .query(
                    "SELECT pid, application_name, state FROM pg_catalog.pg_stat_activity WHERE application_name LIKE $1",
                    &[&format!("{tag}%")],
                )
                .expect("pg_stat_activity");
            if let Some(r) = rows.first() {
                let state: Option<String> = r.get(2);
                if matches!(state.as_deref(), Some("idle" | "idle in transaction")) {
                    self.pid = r.get(0);
                    let app: String = r.get(1);
                    return app[tag.len()..].to_string();
                }
            }
            assert!(
                Instant::now() < deadline,
                "psql on {} did not get through its statements in 600 s:\n{}",
                self.place,
                self.output.lock().expect("output")
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The tables psql's session holds locks on, with the strongest mode of each.
    fn locks(&mut self) -> BTreeMap<String, u8> {
        let rows = self
            .watch
            .query(
                "SELECT n.nspname, c.relname, l.mode
                   FROM pg_catalog.pg_locks AS l
                   JOIN pg_catalog.pg_class AS c ON c.oid = l.relation
                   JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                  WHERE l.pid = $1 AND l.locktype = 'relation' AND c.relkind IN ('r', 'p')
                    AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
                &[&self.pid],
            )
            .expect("pg_locks");
        let mut out = BTreeMap::new();
        for r in rows {
            let (n, t, m): (String, String, String) = (r.get(0), r.get(1), r.get(2));
            let e = out.entry(format!("{n}.{t}")).or_insert(0);
            *e = (*e).max(pg_rank(&m));
        }
        out
    }

    /// Runs the plan's file `rel`, recording what it locks into `obs`.
    fn run_file(&mut self, rel: &str, obs: &mut Observed) {
        let text =
            std::fs::read_to_string(self.plan.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let s = scan(&text);
        let mut open: Option<(Option<usize>, String)> = None;
        let mut i = 0;
        while i < s.units.len() {
            let claim = s.claim[i];
            match &s.units[i] {
                Unit::Meta(line) => {
                    let l = line.trim();
                    if let Some(path) = l.strip_prefix("\\ir ").map(|p| included(rel, p)) {
                        let path = path.as_str();
                        if path.starts_with("silos/") {
                            self.send(l);
                            self.mark();
                            obs.skipped.push(Skipped {
                                file: rel.to_string(),
                                what: l.to_string(),
                                reason: "the dump's own DDL on a new database nothing uses yet",
                            });
                        } else if path.starts_with("residency/") {
                            self.send(l);
                            self.mark();
                            obs.skipped.push(Skipped {
                                file: rel.to_string(),
                                what: l.to_string(),
                                reason: "residency/ files: their claims are not in plan.json yet",
                            });
                        } else {
                            self.run_file(path, obs);
                        }
                    } else if l.starts_with("\\if") {
                        // Up to the matching \endif, sent as one: psql skips the inactive branch.
                        let mut depth = 0;
                        let mut block = String::new();
                        let mut sql = false;
                        loop {
                            match &s.units[i] {
                                Unit::Meta(m) => {
                                    let m = m.trim();
                                    if m.starts_with("\\if") {
                                        depth += 1;
                                    } else if m.starts_with("\\endif") {
                                        depth -= 1;
                                    }
                                    block.push_str(m);
                                }
                                Unit::Sql(q) => {
                                    sql = true;
                                    block.push_str(q);
                                }
                            }
                            block.push('\n');
                            if depth == 0 {
                                break;
                            }
                            i += 1;
                        }
                        self.send(&block);
                        self.mark();
                        if sql {
                            obs.skipped.push(Skipped {
                                file: rel.to_string(),
                                what: block.lines().take(3).collect::<Vec<_>>().join(" / "),
                                reason: "inside a psql \\if block",
                            });
                        }
                    } else {
                        self.send(l);
                        if l.starts_with("\\i ") {
                            self.mark();
                            obs.skipped.push(Skipped {
                                file: rel.to_string(),
                                what: l.to_string(),
                                reason: "statements written at run time (set_config, setval)",
                            });
                        }
                    }
                }
                Unit::Sql(q) => {
                    let word = q.trim_end_matches(';').trim().to_ascii_uppercase();
                    if word == "BEGIN" {
                        assert!(open.is_none(), "{rel}: BEGIN inside a transaction");
                        self.send(q);
                        open = Some((claim, String::new()));
                    } else if word == "COMMIT" {
                        let (c, body) = open.take().expect("COMMIT without BEGIN");
                        self.record(rel, c, body, obs);
                        self.send(q);
                    } else if let Some((_, body)) = open.as_mut() {
                        body.push_str(q);
                        body.push('\n');
                        let q = q.clone();
                        self.send(&q);
                    } else if outside_transactions(q) {
                        let q = q.clone();
                        self.send(&q);
                        self.mark();
                        obs.skipped.push(Skipped {
                            file: rel.to_string(),
                            what: q.lines().next().unwrap_or("").to_string(),
                            reason: "cannot run in a transaction block",
                        });
                    } else {
                        let q = q.clone();
                        self.send("BEGIN;");
                        self.send(&q);
                        self.record(rel, claim, q, obs);
                        self.send("COMMIT;");
                    }
                }
            }
            i += 1;
        }
        assert!(open.is_none(), "{rel}: a transaction left open at the end");
        self.mark();
    }

    /// Waits for what was sent, and records the open transaction's locks.
    fn record(&mut self, file: &str, claim: Option<usize>, text: String, obs: &mut Observed) {
        let lock_timeout = self.mark();
        let locks = self.locks();
        obs.groups.push(Group {
            file: file.to_string(),
            claim,
            phase: self.phase.clone(),
            place: self.place.to_string(),
            text,
            locks,
            lock_timeout,
        });
    }

    fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("psql");
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            status.success(),
            "psql on {} failed ({status}):\n{}",
            self.place,
            self.output.lock().expect("output")
        );
    }
}

/// The directory of plan-relative file `file`: psql reads an `\ir` sent on its stdin relative
/// to its working directory, which is that directory.
fn dir_of(file: &str) -> &Path {
    Path::new(file).parent().unwrap_or(Path::new(""))
}

/// The plan-relative path `\ir PATH` in plan-relative file `rel` includes.
fn included(rel: &str, path: &str) -> String {
    let mut parts: Vec<&str> = dir_of(rel)
        .iter()
        .map(|c| c.to_str().expect("UTF-8 path"))
        .collect();
    for c in path.trim().split('/') {
        match c {
            ".." => {
                parts.pop().expect("an \\ir inside the plan");
            }
            "." | "" => {}
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// The two databases and how a file of the plan reaches them.
struct Split<'c> {
    plan: PathBuf,
    origin: Db<'c>,
    target: Db<'c>,
    state: PathBuf,
}

impl Split<'_> {
    /// `phases/run.sh`'s psql variables.
    fn vars(&self, confirm: bool) -> Vec<(String, String)> {
        let mut v = vec![
            ("state_dir".to_string(), self.state.display().to_string()),
            ("sync_timeout".into(), "300".into()),
            ("catchup_timeout".into(), "120".into()),
            ("origin_conninfo".into(), self.origin.conninfo()),
            ("control_conninfo".into(), self.target.conninfo()),
        ];
        if confirm {
            v.push(("confirm".into(), "yes".into()));
        }
        v
    }

    fn db(&self, place: &str) -> &Db<'_> {
        if place == "origin" {
            &self.origin
        } else {
            assert_eq!(place, "control", "examples/saas moves silo control");
            &self.target
        }
    }

    /// Runs `file` (plan-relative) on `place` in a session of its own.
    fn run(
        &self,
        place: &str,
        file: &str,
        phase: Option<&str>,
        extra: &[(String, String)],
        obs: &mut Observed,
    ) {
        let mut vars = self.vars(phase == Some("07-cleanup"));
        vars.extend(extra.iter().cloned());
        let mut s = Session::start(self.db(place), &vars, &self.plan, phase, dir_of(file));
        s.run_file(file, obs);
        s.finish();
    }

    /// Runs phase `id`'s files in the order run.sh runs them (read from run.sh itself).
    fn phase(&self, id: &str, obs: &mut Observed) {
        let run_sh = std::fs::read_to_string(self.plan.join("phases/run.sh")).expect("run.sh");
        let case = run_sh
            .split(&format!("\n    {id})\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("run.sh has no case {id}"));
        let case = &case[..case.find(";;").expect("end of case")];
        let mut n = 0;
        for line in case
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("run "))
        {
            let mut w = line.split_whitespace().skip(1);
            let (env, file) = (w.next().expect("env"), w.next().expect("file"));
            let place = if env == "ORIGIN_URL" {
                "origin"
            } else {
                "control"
            };
            self.run(place, &format!("phases/{file}"), Some(id), &[], obs);
            n += 1;
        }
        assert!(n > 0, "run.sh runs no file for {id}");
    }
}

// ---------------------------------------------------------------------------------------------
// Claims.

/// A claim of plan.json: table to rank, and the lock_timeout.
#[derive(Debug, Clone, Default)]
struct Claim {
    locks: BTreeMap<String, u8>,
    lock_timeout: Option<String>,
}

/// The claims of every file: `fks/*.sql`'s from plan.json's `fks` steps (`locks`: pairs of
/// table and mode), the others' from plan.json's `locks` (modes with their tables).
fn claims_of(plan_json: &Value) -> Result<BTreeMap<String, Vec<Claim>>, String> {
    let mut out = BTreeMap::new();
    for (file, key) in [("fks/drop.sql", "drop"), ("fks/restore.sql", "restore")] {
        let steps = plan_json["fks"][key]
            .as_array()
            .ok_or(format!("plan.json has no `fks.{key}`"))?;
        let claims = steps
            .iter()
            .map(|s| Claim {
                locks: s["locks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        (
                            p[0].as_str().expect("table").to_string(),
                            claim_rank(p[1].as_str().expect("lock")),
                        )
                    })
                    .filter(|(_, r)| *r > 0)
                    .collect(),
                lock_timeout: s["lock_timeout"].as_str().map(str::to_string),
            })
            .collect();
        out.insert(file.to_string(), claims);
    }
    let files = plan_json
        .get("locks")
        .and_then(Value::as_array)
        .ok_or("plan.json has no `locks`: the files' lock claims are not machine-readable")?;
    for f in files {
        let file = f["file"].as_str().ok_or("a `locks` entry without `file`")?;
        let steps = f["steps"]
            .as_array()
            .ok_or("a `locks` entry without `steps`")?
            .iter()
            .map(|s| Claim {
                locks: s["locks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|g| {
                        let rank = claim_rank(g["lock"].as_str().expect("lock"));
                        g["tables"]
                            .as_array()
                            .expect("tables")
                            .iter()
                            .map(move |t| (t.as_str().expect("table").to_string(), rank))
                    })
                    .filter(|(_, r)| *r > 0)
                    .collect(),
                lock_timeout: s["lock_timeout"].as_str().map(str::to_string),
            })
            .collect();
        out.insert(file.to_string(), steps);
    }
    Ok(out)
}

/// (place, table) to the strongest rank taken there.
type PlaceTables = BTreeMap<(String, String), u8>;

/// plan.json's locks of each phase and rollback, by phase id.
fn phase_claims(plan_json: &Value) -> Result<BTreeMap<String, PlaceTables>, String> {
    let mut out = BTreeMap::new();
    for kind in ["phases", "rollbacks"] {
        let phases = plan_json
            .get("phases")
            .and_then(|p| p.get(kind))
            .and_then(Value::as_array)
            .ok_or(format!(
                "plan.json has no `phases.{kind}`: the phases' locks are not machine-readable"
            ))?;
        for p in phases {
            let id = p["id"].as_str().expect("id").to_string();
            let mut m = BTreeMap::new();
            for l in p["locks"]
                .as_array()
                .ok_or(format!("phase {id} has no `locks`"))?
            {
                let place = l["place"].as_str().expect("place").to_string();
                let rank = claim_rank(l["lock"].as_str().expect("lock"));
                for t in l["tables"].as_array().expect("tables") {
                    m.insert(
                        (place.clone(), t.as_str().expect("table").to_string()),
                        rank,
                    );
                }
            }
            out.insert(id, m);
        }
    }
    Ok(out)
}

/// Each phase's `**Locks**:` paragraph of runbook.md, by phase id.
fn runbook_locks(runbook: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut id: Option<String> = None;
    for line in runbook.lines() {
        if line.starts_with('#') {
            id = line
                .split("(`phases/run.sh ")
                .nth(1)
                .and_then(|r| r.split('`').next())
                .map(str::to_string);
        } else if let (Some(p), Some(l)) = (&id, line.strip_prefix("**Locks**: ")) {
            out.insert(p.clone(), l.to_string());
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The test.

#[test]
fn saas_lock_claims_match_pg_locks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan, files) = crate::util::plan_example(dir.path());
    let o = Cluster::builder().wal_level_logical().start();
    let t = Cluster::builder().wal_level_logical().start();
    load_saas(&o, "origin", dir.path());
    t.createdb("control");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).expect("state dir");
    let split = Split {
        plan: plan.clone(),
        origin: Db {
            place: "origin",
            cluster: &o,
            db: "origin",
        },
        target: Db {
            place: "control",
            cluster: &t,
            db: "control",
        },
        state,
    };
    let mut obs = Observed::default();
    // The split as the runbook has it; reruns where the runbook says a phase can be run again,
    // fks/restore.sql (the rollback of 03-break) and 03-break again, the cut-over again after
    // its rollback, and the tombstone transport between the two databases after the switch.
    split.phase("01-preflight", &mut obs);
    split.phase("02-prepare", &mut obs);
    split.phase("02-prepare", &mut obs);
    split.phase("03-break", &mut obs);
    split.run("origin", "fks/restore.sql", None, &[], &mut obs);
    split.run("origin", "fks/restore.sql", None, &[], &mut obs);
    split.phase("03-break", &mut obs);
    split.phase("04-provision", &mut obs);
    split.phase("05-replicate", &mut obs);
    split.phase("05-replicate", &mut obs);
    // A cut-over that stops at the target's wait (its subscription disabled), rolled back, then
    // run again: the second lifts the fence the rollback left on the target (the runbook's way
    // to cut over again). The stopped one runs through run.sh, not observed.
    t.disable_subscription("control", "silo_plan_move_control");
    let mut env = two_cluster_env(&o, &t, dir.path());
    env.retain(|(k, _)| *k != "CATCHUP_TIMEOUT");
    env.push(("CATCHUP_TIMEOUT", "2".to_string()));
    let stopped = run_phase(&plan, "06-cutover", &env);
    assert!(
        !stopped.status.success()
            && String::from_utf8_lossy(&stopped.stderr).contains("is it running"),
        "06-cutover did not stop at the wait: {}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    split.phase("rollback-06-cutover", &mut obs);
    t.psql(
        "control",
        "ALTER SUBSCRIPTION silo_plan_move_control ENABLE",
    );
    split.phase("06-cutover", &mut obs);
    split.phase("06-cutover", &mut obs);
    for round in 0..2 {
        let _ = round;
        split.run(
            "control",
            "cascades/control.replication.sql",
            None,
            &[("conninfo_region".into(), split.origin.conninfo())],
            &mut obs,
        );
        split.run(
            "origin",
            "cascades/region.replication.sql",
            None,
            &[("conninfo_control".into(), split.target.conninfo())],
            &mut obs,
        );
    }
    // The view that reads a moved table is a coupling plan.md lists: replaced before clean-up.
    o.psql("origin", "DROP VIEW public.org_member_directory_v");
    split.phase("07-cleanup", &mut obs);
    // The new instance de of region, made ready twice (the second run skips what is done).
    t.createdb("de");
    let de = Db {
        place: "de",
        cluster: &t,
        db: "de",
    };
    for _ in 0..2 {
        let file = "phases/instances/region/de.sql";
        let mut s = Session::start(&de, &split.vars(false), &split.plan, None, dir_of(file));
        s.run_file(file, &mut obs);
        s.finish();
    }

    let mut errors: Vec<String> = Vec::new();

    // What was not observed, and why: only the kinds the module docs list.
    for s in &obs.skipped {
        eprintln!("not observed: {} in {}: {}", s.what, s.file, s.reason);
    }
    let files_run: BTreeSet<&str> = obs
        .groups
        .iter()
        .map(|g| g.file.as_str())
        .chain(obs.skipped.iter().map(|s| s.file.as_str()))
        .collect();
    for f in files.keys().filter(|f| {
        f.ends_with(".sql")
            && (f.starts_with("fks/") || f.starts_with("cascades/") || f.starts_with("phases/"))
    }) {
        if !files_run.contains(f.as_str()) {
            errors.push(format!("{f} was never run"));
        }
    }

    // No file or runbook claims a retry it does not make.
    for (f, text) in &files {
        if (f.ends_with(".sql") || f.ends_with(".md")) && text.contains("retries") {
            errors.push(format!("{f} claims retries; nothing retries by itself"));
        }
    }

    // Per phase: the runbook's **Locks** names the modes the phase takes, and plan.json's
    // phase locks are the strongest lock taken on each table.
    let mut per_phase: BTreeMap<String, PlaceTables> = BTreeMap::new();
    for g in &obs.groups {
        if let Some(p) = &g.phase {
            let m = per_phase.entry(p.clone()).or_default();
            for (table, r) in &g.locks {
                let e = m.entry((g.place.clone(), table.clone())).or_insert(0);
                *e = (*e).max(named(*r));
            }
        }
    }
    let book = runbook_locks(&files["phases/runbook.md"]);
    for (phase, m) in &per_phase {
        let observed: BTreeSet<u8> = m.values().copied().filter(|r| *r > 0).collect();
        match book.get(phase) {
            None => errors.push(format!("runbook.md has no **Locks** for {phase}")),
            Some(text) => {
                // The locks come first, the note after the first sentence.
                let summary = text.split(". ").next().unwrap_or(text);
                let said = modes_in(summary);
                if said != observed {
                    errors.push(format!(
                        "runbook.md says {phase} takes {:?}, Postgres shows {:?}: {summary}",
                        said.iter().map(|r| mode_name(*r)).collect::<Vec<_>>(),
                        observed.iter().map(|r| mode_name(*r)).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    let plan_json: Value = serde_json::from_str(&files["plan.json"]).expect("plan.json is JSON");
    match phase_claims(&plan_json) {
        Err(e) => errors.push(e),
        Ok(claimed) => {
            for (phase, m) in &per_phase {
                let seen: BTreeMap<&(String, String), u8> = m
                    .iter()
                    .filter(|(_, r)| **r > 0)
                    .map(|(k, r)| (k, *r))
                    .collect();
                let said: BTreeMap<&(String, String), u8> = claimed
                    .get(phase)
                    .map(|c| c.iter().map(|(k, r)| (k, *r)).collect())
                    .unwrap_or_default();
                for k in seen.keys().chain(said.keys()).collect::<BTreeSet<_>>() {
                    let (a, b) = (
                        said.get(k).copied().unwrap_or(0),
                        seen.get(k).copied().unwrap_or(0),
                    );
                    if a != b {
                        errors.push(format!(
                            "{phase} on {}: plan.json claims {} on {}, Postgres took {}",
                            k.0,
                            mode_name(a),
                            k.1,
                            mode_name(b)
                        ));
                    }
                }
            }
        }
    }

    // Per `-- Locks:` comment: the strongest lock on each table, over every run, is the claim;
    // the comment names the claim's modes; the lock_timeout claimed is the one in force.
    match claims_of(&plan_json) {
        Err(e) => errors.push(e),
        Ok(claims) => {
            let mut seen: BTreeMap<(&str, usize), BTreeMap<&str, u8>> = BTreeMap::new();
            for g in &obs.groups {
                let strong: Vec<(&String, u8)> = g
                    .locks
                    .iter()
                    .map(|(t, r)| (t, named(*r)))
                    .filter(|(_, r)| *r > 0)
                    .collect();
                let Some(c) = g.claim else {
                    if !strong.is_empty() {
                        errors.push(format!(
                            "{}: a statement under no `-- Locks:` comment takes {:?}: {}",
                            g.file, strong, g.text
                        ));
                    }
                    continue;
                };
                let m = seen.entry((&g.file, c)).or_default();
                for (t, r) in &strong {
                    let e = m.entry(t.as_str()).or_insert(0);
                    *e = (*e).max(*r);
                }
                let Some(claim) = claims.get(&g.file).and_then(|f| f.get(c)) else {
                    errors.push(format!(
                        "{}: plan.json has no claim {c} of the file",
                        g.file
                    ));
                    continue;
                };
                let want = claim
                    .lock_timeout
                    .clone()
                    .unwrap_or_else(|| "0".to_string());
                if !strong.is_empty() && g.lock_timeout != want {
                    errors.push(format!(
                        "{} claim {c}: lock_timeout {} in force, claimed {want}: {}",
                        g.file, g.lock_timeout, g.text
                    ));
                }
                if strong.iter().any(|(_, r)| *r >= BLOCKING) && g.lock_timeout == "0" {
                    errors.push(format!(
                        "{} claim {c}: {:?} blocks reads or writes without a lock_timeout: {}",
                        g.file, strong, g.text
                    ));
                }
            }
            for (file, steps) in &claims {
                let Some(text) = files.get(file) else {
                    errors.push(format!(
                        "plan.json claims locks of {file}, which is not written"
                    ));
                    continue;
                };
                let s = scan(text);
                if s.claim_texts.len() != steps.len() {
                    errors.push(format!(
                        "{file} has {} `-- Locks:` comments, plan.json {} claims",
                        s.claim_texts.len(),
                        steps.len()
                    ));
                    continue;
                }
                if !files_run.contains(file.as_str()) {
                    continue;
                }
                for (c, claim) in steps.iter().enumerate() {
                    let said: BTreeSet<u8> = claim.locks.values().copied().collect();
                    if modes_in(&s.claim_texts[c]) != said {
                        errors.push(format!(
                            "{file} claim {c}: the comment says `{}`, plan.json {:?}",
                            s.claim_texts[c], claim.locks
                        ));
                    }
                    let got = seen.get(&(file.as_str(), c)).cloned().unwrap_or_default();
                    let tables: BTreeSet<&str> = got
                        .keys()
                        .copied()
                        .chain(claim.locks.keys().map(String::as_str))
                        .collect();
                    for table in tables {
                        let (a, b) = (
                            claim.locks.get(table).copied().unwrap_or(0),
                            got.get(table).copied().unwrap_or(0),
                        );
                        if a != b {
                            errors.push(format!(
                                "{file} claim {c} (`{}`): {table} claimed {}, Postgres took {}",
                                s.claim_texts[c],
                                mode_name(a),
                                mode_name(b)
                            ));
                        }
                    }
                }
            }
        }
    }
    let checked = obs.groups.len();
    eprintln!(
        "{checked} transactions observed, {} statements not observed",
        obs.skipped.len()
    );
    assert!(checked > 100, "only {checked} transactions observed");
    assert!(
        errors.is_empty(),
        "{} lock claim(s) do not hold:\n{}",
        errors.len(),
        errors.join("\n")
    );
}
