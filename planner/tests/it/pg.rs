//! A throwaway PostgreSQL cluster per test, and helpers to load real dumps into it.
//!
//! [`Cluster::start`] runs `initdb` in a fresh temp dir and starts `postgres` on a free loopback
//! port with its socket inside that dir, so tests run in parallel without sharing anything.
//! As root, the server runs as an unprivileged user (`silo_plan_test`, created on first use, else
//! `nobody`), because Postgres refuses to run as root. Dropping the cluster stops the server and
//! removes the dir. A machine without Postgres server binaries fails these tests with the command
//! that installs them: they never skip.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const NOT_FOUND: &str = "PostgreSQL server binaries not found: install them with \
`apt-get install -y postgresql postgresql-contrib` (Debian) — these tests never skip";

/// Settings that make a test cluster fast; durability does not matter for a temp dir.
const FAST: &[(&str, &str)] = &[
    ("fsync", "off"),
    ("full_page_writes", "off"),
    ("synchronous_commit", "off"),
    ("shared_buffers", "32MB"),
    ("max_connections", "40"),
    ("log_min_messages", "warning"),
];

/// How to start a [`Cluster`].
#[derive(Debug, Clone, Default)]
pub struct Builder {
    settings: Vec<(String, String)>,
}

impl Builder {
    /// `wal_level=logical` (for publications and subscriptions).
    pub fn wal_level_logical(mut self) -> Self {
        self.settings.push(("wal_level".into(), "logical".into()));
        self
    }

    /// Any other server setting (`-c name=value`).
    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.settings.push((name.into(), value.into()));
        self
    }

    /// Creates, starts and waits for the cluster.
    pub fn start(self) -> Cluster {
        Cluster::start_with(self)
    }
}

/// A running PostgreSQL cluster in a temp dir, stopped and removed on drop.
pub struct Cluster {
    dir: tempfile::TempDir,
    bindir: PathBuf,
    port: u16,
    run_as: Option<String>,
    stopped: bool,
}

impl Cluster {
    /// A cluster with the default (fast) settings.
    pub fn start() -> Cluster {
        Builder::default().start()
    }

    /// A builder for non-default settings.
    pub fn builder() -> Builder {
        Builder::default()
    }

    fn start_with(b: Builder) -> Cluster {
        let bindir = bindir();
        let run_as = server_user();
        let dir = tempfile::Builder::new()
            .prefix("silo-plan-pg-")
            .tempdir()
            .expect("creating a temp dir for the test cluster");
        let data = dir.path().join("data");
        let sock = dir.path().join("sock");
        std::fs::create_dir(&sock).expect("creating the socket dir");
        if let Some(user) = &run_as {
            let out = Command::new("chown")
                .arg("-R")
                .arg(user)
                .arg(dir.path())
                .output()
                .expect("running chown");
            assert!(
                out.status.success(),
                "chown {} to {user} failed: {}",
                dir.path().display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut c = Cluster {
            dir,
            bindir,
            port: 0,
            run_as,
            stopped: true,
        };
        let out = c
            .server_cmd("initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "--auth=trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ])
            .command()
            .output()
            .expect("running initdb");
        assert!(
            out.status.success(),
            "initdb failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );

        let mut opts = format!("-h 127.0.0.1 -k {}", sock.display());
        let mut settings: Vec<(String, String)> = FAST
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        settings.extend(b.settings);
        for (k, v) in &settings {
            opts.push_str(&format!(" -c {k}={v}"));
        }
        let log = c.dir.path().join("server.log");
        // A port picked by binding port 0 can be taken by another test before the server binds
        // it; retry with a new one when the log says so.
        for attempt in 0..8 {
            let port = free_port();
            let out = c
                .server_cmd("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o"])
                .arg(format!("{opts} -p {port}"))
                .arg("start")
                .command()
                .output()
                .expect("running pg_ctl start");
            if out.status.success() {
                c.port = port;
                c.stopped = false;
                break;
            }
            let log_text = std::fs::read_to_string(&log).unwrap_or_default();
            let port_taken = log_text.contains("could not bind")
                || log_text.contains("Address already in use")
                || log_text.contains("could not create any TCP/IP sockets");
            if !port_taken || attempt == 7 {
                panic!(
                    "starting postgres failed ({}):\n{}\n{}\nserver log:\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr),
                    log_text
                );
            }
        }
        c.wait_ready();
        c
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = Command::new(self.bin("pg_isready"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                ])
                .output()
                .expect("running pg_isready");
            if out.status.success() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "postgres on port {} not ready after 60 s; server log:\n{}",
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A command for a server binary (`initdb`, `pg_ctl`), run as the unprivileged user when
    /// this process is root, from the cluster dir (the user may not read the current one).
    fn server_cmd(&self, name: &str) -> ServerCmd {
        ServerCmd {
            user: self.run_as.clone(),
            program: self.bin(name),
            args: Vec::new(),
            dir: self.dir.path().to_path_buf(),
        }
    }

    /// The path of Postgres program `name` of this cluster's installation.
    pub fn bin(&self, name: &str) -> PathBuf {
        let p = self.bindir.join(name);
        if p.exists() {
            p
        } else {
            PathBuf::from(name)
        }
    }

    /// The TCP port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's temp dir (data in `data/`, socket in `sock/`, log in `server.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A libpq URL for database `db`, as the `postgres` superuser.
    pub fn url(&self, db: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{}", self.port, db)
    }

    /// A `psql` command connected to `db`, with no `.psqlrc` and no ambient `PG*` settings.
    pub fn psql_cmd(&self, db: &str) -> Command {
        let mut cmd = Command::new(self.bin("psql"));
        for v in [
            "PGDATABASE",
            "PGUSER",
            "PGHOST",
            "PGPORT",
            "PGSERVICE",
            "PGOPTIONS",
            "PGPASSWORD",
        ] {
            cmd.env_remove(v);
        }
        cmd.args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            "-d",
            db,
        ]);
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Creates database `name` (owned by `postgres`).
    pub fn createdb(&self, name: &str) {
        self.psql(
            "postgres",
            &format!("CREATE DATABASE {}", quote_ident(name)),
        );
    }

    /// Creates the roles `dump` names ([`dump_roles`]).
    pub fn create_roles(&self, dump: &str) {
        let roles = dump_roles(dump);
        if !roles.is_empty() {
            let sql: String = roles
                .iter()
                .map(|r| format!("CREATE ROLE {};", quote_ident(r)))
                .collect();
            self.psql("postgres", &sql);
        }
    }

    /// Creates the roles `dump` names ([`dump_roles`]), then database `db`, and runs `text`
    /// (`dump` as [`prepare_dump`] prepares it, maybe edited further) in it with psql, as file
    /// `name` of the cluster's directory: psql's output, whose errors the caller judges.
    pub fn load_dump(&self, db: &str, name: &str, dump: &str, text: &str) -> Output {
        self.create_roles(dump);
        self.createdb(db);
        let file = self.dir().join(name);
        std::fs::write(&file, text).expect("writing the dump");
        self.psql_file(db, &file)
    }

    /// Runs a SQL file with `psql -v ON_ERROR_STOP=0 -X -q`: every statement is tried, and the
    /// errors are in the output's stderr, each as `psql:FILE:LINE: ERROR: ...`.
    pub fn psql_file(&self, db: &str, path: &Path) -> Output {
        self.psql_cmd(db)
            .args(["-v", "ON_ERROR_STOP=0", "-q", "-f"])
            .arg(path)
            .output()
            .expect("running psql")
    }

    /// Runs a SQL file as a user would apply a generated file, `psql -v ON_ERROR_STOP=1 -X -q
    /// -f`: it stops at the first error (the output's status says whether there was one).
    pub fn psql_file_stop(&self, db: &str, path: &Path) -> Output {
        self.psql_cmd(db)
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-f"])
            .arg(path)
            .output()
            .expect("running psql")
    }

    /// Runs SQL with `psql -v ON_ERROR_STOP=1` and returns its unaligned, tuples-only output;
    /// panics with psql's stderr on the first error.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = self
            .psql_cmd(db)
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-c"])
            .arg(sql)
            .output()
            .expect("running psql");
        assert!(
            out.status.success(),
            "psql on {db} failed ({}): {sql}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Disables subscription `name` in `db` and waits until its apply worker has exited.
    /// `ALTER SUBSCRIPTION ... DISABLE` only asks the worker to stop: under load it goes on
    /// applying for a moment, long enough to let a cut-over that a test expects to stop at its
    /// catch-up wait catch up instead.
    pub fn disable_subscription(&self, db: &str, name: &str) {
        self.psql(
            db,
            &format!("ALTER SUBSCRIPTION {} DISABLE", quote_ident(name)),
        );
        let running = format!(
            "SELECT count(*) FROM pg_stat_subscription WHERE subname = '{}' AND pid IS NOT NULL",
            name.replace('\'', "''")
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.psql(db, &running).trim() != "0" {
            assert!(
                Instant::now() < deadline,
                "the apply worker of subscription {name} in {db} still runs 60 s after DISABLE"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A client connection to `db` (no TLS).
    pub fn client(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(db), postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.url(db)))
    }

    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let data = self.dir.path().join("data");
        let _ = self
            .server_cmd("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        // The TempDir removes the (root-removable) dir after this.
    }
}

/// A server binary's command line, run directly, or as `user` when this process is root:
/// `runuser -u USER -- PROGRAM ARGS` where util-linux's `runuser` exists, else
/// `su USER -s /bin/sh -c 'PROGRAM ARGS'` (arguments single-quoted for the shell).
struct ServerCmd {
    user: Option<String>,
    program: PathBuf,
    args: Vec<std::ffi::OsString>,
    dir: PathBuf,
}

impl ServerCmd {
    fn arg(&mut self, a: impl AsRef<std::ffi::OsStr>) -> &mut Self {
        self.args.push(a.as_ref().to_owned());
        self
    }

    fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(&mut self, args: I) -> &mut Self {
        for a in args {
            self.arg(a);
        }
        self
    }

    fn command(&self) -> Command {
        let mut c = match &self.user {
            None => {
                let mut c = Command::new(&self.program);
                c.args(&self.args);
                c
            }
            Some(user) if has_runuser() => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"])
                    .arg(&self.program)
                    .args(&self.args);
                c
            }
            Some(user) => {
                let mut line = sh_quote(self.program.as_os_str());
                for a in &self.args {
                    line.push(' ');
                    line.push_str(&sh_quote(a));
                }
                let mut c = Command::new("su");
                c.args([user.as_str(), "-s", "/bin/sh", "-c", &line]);
                c
            }
        };
        c.current_dir(&self.dir).stdin(Stdio::null());
        for v in [
            "PGDATA",
            "PGPORT",
            "PGHOST",
            "PGUSER",
            "PGDATABASE",
            "PGOPTIONS",
        ] {
            c.env_remove(v);
        }
        c
    }
}

fn has_runuser() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        Command::new("runuser")
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    })
}

fn sh_quote(s: &std::ffi::OsStr) -> String {
    format!("'{}'", s.to_string_lossy().replace('\'', "'\\''"))
}

/// Picks a free loopback port by binding port 0.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0 to pick a free port")
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: `pg_config --bindir` if it has
/// them (Debian's `pg_config` from libpq-dev points at /usr/bin, which does not), else the
/// newest `/usr/lib/postgresql/*/bin`, else wherever `initdb` is on `PATH`.
fn bindir() -> PathBuf {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(find_bindir).clone().expect(NOT_FOUND)
}

fn find_bindir() -> Option<PathBuf> {
    let has_server = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if has_server(&d) {
                return Some(d);
            }
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let d = e.path().join("bin");
            has_server(&d).then_some((v, d))
        })
        .collect();
    versioned.sort();
    // Prefer 15 (what the corpus's LOADING.md describes), else the newest.
    if let Some((_, d)) = versioned.iter().find(|(v, _)| *v == 15) {
        return Some(d.clone());
    }
    if let Some((_, d)) = versioned.pop() {
        return Some(d);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .find(|d| has_server(d))
        .map(|d| {
            // Follow a symlinked initdb to its real bin dir, where the siblings live.
            std::fs::canonicalize(d.join("initdb"))
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .filter(|p| has_server(p))
                .unwrap_or(d)
        })
}

/// The user to run the server as: `None` when not root; else `silo_plan_test` (created with
/// `useradd` when missing), or `nobody` when it cannot be created.
fn server_user() -> Option<String> {
    static USER: OnceLock<Option<String>> = OnceLock::new();
    USER.get_or_init(|| {
        if !running_as_root() {
            return None;
        }
        let exists = |u: &str| {
            Command::new("id")
                .arg("-u")
                .arg(u)
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        };
        const USER: &str = "silo_plan_test";
        if !exists(USER) {
            let _ = Command::new("useradd")
                .args([
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    USER,
                ])
                .output();
        }
        Some(if exists(USER) { USER } else { "nobody" }.to_string())
    })
    .clone()
}

fn running_as_root() -> bool {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("Uid:")) {
            // Real, effective, saved, filesystem: the effective one decides.
            let ids: Vec<&str> = line.split_whitespace().skip(1).collect();
            return ids.get(1).or(ids.first()) == Some(&"0");
        }
    }
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `"name"`, with embedded quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

// ---------------------------------------------------------------------------------------------
// Dump text: psql lines and roles.

/// What a position in dump text is inside of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lex {
    Code,
    /// `'...'`; true for `E'...'` (backslash escapes).
    Str(bool),
    Ident,
    Block(u32),
}

/// A token of dump text, for the role scan.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An unquoted word, as written.
    Word(String),
    /// A `"quoted"` identifier, unescaped.
    Quoted(String),
    /// A string literal's content.
    Str(String),
    /// One punctuation character (`;`, `,`, `(`, ...).
    Punct(char),
}

/// Creates database `db` on `c` and loads the plan's `silos/<silo>/schema.sql` into it (prepared
/// as [`prepare_dump`] prepares a dump for this server).
pub fn load_silo(
    c: &Cluster,
    files: &std::collections::BTreeMap<String, String>,
    silo: &str,
    db: &str,
    dir: &Path,
) {
    c.createdb(db);
    run_file(
        c,
        db,
        dir,
        "schema.sql",
        &prepare_dump(&files[&format!("silos/{silo}/schema.sql")]),
    );
}

/// Runs `text` with psql in database `db`, as file `<db>-<name>` (`/` as `_`) of `dir`; panics
/// on any error it reports.
pub fn run_file(c: &Cluster, db: &str, dir: &Path, name: &str, text: &str) {
    let path = dir.join(format!("{db}-{}", name.replace('/', "_")));
    std::fs::write(&path, text).expect("write sql");
    let out = c.psql_file(db, &path);
    let err = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("FATAL"))
        .collect();
    assert!(
        out.status.success() && errors.is_empty(),
        "{name} on {db}: {}\n{err}",
        out.status
    );
}

/// The end of the block comment that opens at `b[i]` (`/*`), nested ones included, as Postgres
/// reads them; the end of `b` when it is not closed.
pub fn block_comment_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                break;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// Cuts dump text into tokens, dropping comments and dollar-quoted bodies; psql backslash lines
/// (outside quotes) become a `;` so they end a statement.
fn tokens(text: &str) -> Vec<Tok> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let at_line_start = std::mem::replace(&mut line_start, false);
        if c == b'\\' && at_line_start {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            out.push(Tok::Punct(';'));
            continue;
        }
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = block_comment_end(b, i);
            continue;
        }
        if c == b'\'' || ((c == b'E' || c == b'e') && b.get(i + 1) == Some(&b'\'')) {
            let escapes = c != b'\'';
            i += if escapes { 2 } else { 1 };
            let start = i;
            let mut s = String::new();
            while i < b.len() {
                if escapes && b[i] == b'\\' {
                    i += 2;
                } else if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                    } else {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            s.push_str(&text[start..i.min(b.len())].replace("''", "'"));
            i += 1;
            out.push(Tok::Str(s));
            continue;
        }
        if c == b'"' {
            i += 1;
            let start = i;
            while i < b.len() {
                if b[i] == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            out.push(Tok::Quoted(
                text[start..i.min(b.len())].replace("\"\"", "\""),
            ));
            i += 1;
            continue;
        }
        if c == b'$' {
            if let Some(tag_len) = dollar_tag(&b[i..]) {
                let tag = &text[i..i + tag_len];
                i += tag_len;
                match text[i..].find(tag) {
                    Some(end) => i += end + tag_len,
                    None => i = b.len(),
                }
                out.push(Tok::Str(String::new()));
                continue;
            }
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            out.push(Tok::Word(text[start..i].to_string()));
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            out.push(Tok::Punct('0'));
            continue;
        }
        // Step over one (possibly multi-byte) character.
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(Tok::Punct(ch));
        i += ch.len_utf8();
    }
    out
}

/// Length of a dollar-quote opening tag (`$$`, `$body$`) at the start of `b`.
fn dollar_tag(b: &[u8]) -> Option<usize> {
    let mut j = 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        if j == 1 && b[j].is_ascii_digit() {
            return None; // `$1` is a parameter
        }
        j += 1;
    }
    (b.get(j) == Some(&b'$')).then_some(j + 1)
}

/// The dump without psql backslash lines (`\restrict KEY`, `\unrestrict KEY`, `\connect db`, ...):
/// a line starting with `\` outside strings, quoted identifiers, dollar quotes and comments is
/// removed (its line break is kept, so line numbers in psql's errors still match the dump).
pub fn prepare_dump(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut state = Lex::Code;
    let mut i = 0;
    let mut line_start = true;
    let mut copied = 0; // bytes of `text` before this are already in `out` (or dropped)
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line_start = true;
            i += 1;
            continue;
        }
        let at_line_start = std::mem::replace(&mut line_start, false);
        match state {
            Lex::Code => {
                if at_line_start && c == b'\\' {
                    out.push_str(&text[copied..i]);
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    copied = i;
                    continue;
                }
                if c == b'-' && b.get(i + 1) == Some(&b'-') {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                if c == b'/' && b.get(i + 1) == Some(&b'*') {
                    state = Lex::Block(1);
                    i += 2;
                    continue;
                }
                if c == b'\'' {
                    let escapes = i > 0 && (b[i - 1] == b'E' || b[i - 1] == b'e');
                    state = Lex::Str(escapes);
                } else if c == b'"' {
                    state = Lex::Ident;
                } else if c == b'$' {
                    if let Some(tag_len) = dollar_tag(&b[i..]) {
                        let tag = &text[i..i + tag_len];
                        i += tag_len;
                        match text[i..].find(tag) {
                            Some(end) => i += end + tag_len,
                            None => i = b.len(),
                        }
                        // The closing tag may end mid-line: what follows is not a line start.
                        continue;
                    }
                }
                i += 1;
            }
            Lex::Str(escapes) => {
                if escapes && c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    state = Lex::Code;
                }
                i += 1;
            }
            Lex::Ident => {
                if c == b'"' {
                    state = Lex::Code;
                }
                i += 1;
            }
            Lex::Block(depth) => {
                if c == b'/' && b.get(i + 1) == Some(&b'*') {
                    state = Lex::Block(depth + 1);
                    i += 2;
                } else if c == b'*' && b.get(i + 1) == Some(&b'/') {
                    state = if depth == 1 {
                        Lex::Code
                    } else {
                        Lex::Block(depth - 1)
                    };
                    i += 2;
                } else {
                    i += 1;
                }
            }
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Every role the dump names and expects to exist, case-folded as Postgres folds identifiers:
/// `OWNER TO x`, `GRANT ... TO x, y` (and the granted roles of `GRANT a TO b`),
/// `REVOKE ... FROM x`, `ALTER DEFAULT PRIVILEGES FOR ROLE x`, `AUTHORIZATION x`,
/// `CREATE POLICY ... TO x`, `SET ROLE x`, `GRANTED BY x`. `PUBLIC`, `postgres`, `CURRENT_USER`,
/// `SESSION_USER` and `CURRENT_ROLE` are left out.
pub fn dump_roles(text: &str) -> BTreeSet<String> {
    let toks = tokens(text);
    let mut roles = BTreeSet::new();
    for stmt in toks.split(|t| *t == Tok::Punct(';')) {
        scan_statement(stmt, &mut roles);
    }
    roles.retain(|r| {
        !matches!(
            r.as_str(),
            "public"
                | "postgres"
                | "current_user"
                | "session_user"
                | "current_role"
                | "group"
                | "none"
        )
    });
    roles
}

fn word_is(t: Option<&Tok>, w: &str) -> bool {
    matches!(t, Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
}

/// A role name token: a word (folded to lowercase, so `PUBLIC` and friends match the excluded
/// list) or a quoted identifier (kept as written).
fn role_name(t: &Tok) -> Option<String> {
    match t {
        Tok::Word(w) => Some(w.to_lowercase()),
        Tok::Quoted(q) => Some(q.clone()),
        Tok::Str(s) => Some(s.clone()), // SET SESSION AUTHORIZATION 'x'
        Tok::Punct(_) => None,
    }
}

/// Reads a comma-separated role list at `i`, stopping at anything else.
fn role_list(stmt: &[Tok], mut i: usize, stop: &[&str], roles: &mut BTreeSet<String>) {
    loop {
        if word_is(stmt.get(i), "GROUP")
            || word_is(stmt.get(i), "ROLE")
            || word_is(stmt.get(i), "USER")
        {
            i += 1;
        }
        let Some(t) = stmt.get(i) else { return };
        if let Tok::Word(w) = t {
            if stop.iter().any(|s| w.eq_ignore_ascii_case(s)) {
                return;
            }
        }
        match role_name(t) {
            Some(r) => {
                roles.insert(r);
            }
            None => return,
        }
        if stmt.get(i + 1) != Some(&Tok::Punct(',')) {
            return;
        }
        i += 2;
    }
}

fn scan_statement(stmt: &[Tok], roles: &mut BTreeSet<String>) {
    const STOP: &[&str] = &["WITH", "GRANTED", "CASCADE", "RESTRICT", "USING", "IN"];
    let first = |w: &str| word_is(stmt.first(), w);
    let is_priv_stmt = first("GRANT")
        || first("REVOKE")
        || (first("ALTER")
            && word_is(stmt.get(1), "DEFAULT")
            && word_is(stmt.get(2), "PRIVILEGES"));
    let is_policy = first("CREATE") && word_is(stmt.get(1), "POLICY");
    for (i, t) in stmt.iter().enumerate() {
        let Tok::Word(w) = t else { continue };
        let w = w.to_ascii_uppercase();
        match w.as_str() {
            "OWNER" if word_is(stmt.get(i + 1), "TO") => role_list(stmt, i + 2, STOP, roles),
            "AUTHORIZATION" => role_list(stmt, i + 1, STOP, roles),
            "GRANTED" if word_is(stmt.get(i + 1), "BY") => role_list(stmt, i + 2, STOP, roles),
            "TO" if is_priv_stmt || is_policy => role_list(stmt, i + 1, STOP, roles),
            "FROM" if is_priv_stmt => role_list(stmt, i + 1, STOP, roles),
            "FOR"
                if is_priv_stmt
                    && (word_is(stmt.get(i + 1), "ROLE") || word_is(stmt.get(i + 1), "USER")) =>
            {
                role_list(stmt, i + 1, &["IN", "GRANT", "REVOKE"], roles)
            }
            "ROLE" if i == 1 && first("SET") => role_list(stmt, i + 1, STOP, roles),
            _ => {}
        }
    }
    // `GRANT a, b TO c`: a role membership grant (no `ON`) names roles on both sides.
    if first("GRANT") && !stmt.iter().any(|t| word_is(Some(t), "ON")) {
        role_list(stmt, 1, &["TO"], roles);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_starts_with_builder_settings_and_serves_clients() {
        let a = Cluster::builder().wal_level_logical().start();
        let b = Cluster::start();
        assert_ne!(a.port(), b.port());
        assert_eq!(a.psql("postgres", "SHOW wal_level").trim(), "logical");
        assert_eq!(b.psql("postgres", "SHOW fsync").trim(), "off");
        a.createdb("t 1");
        let mut c = a.client("t 1");
        c.batch_execute("CREATE TABLE x (id int PRIMARY KEY); INSERT INTO x VALUES (1), (2);")
            .unwrap();
        let n: i64 = c.query_one("SELECT count(*) FROM x", &[]).unwrap().get(0);
        assert_eq!(n, 2);
        let f = a.dir().join("bad.sql");
        std::fs::write(&f, "SELECT 1;\nSELEC 2;\nSELECT 3;\n").unwrap();
        let out = a.psql_file("t 1", &f);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.sql:2: ERROR:"), "{err}");
        let dir = a.dir().to_path_buf();
        drop(a);
        assert!(!dir.exists(), "the cluster dir is removed on drop");
    }

    #[test]
    fn prepare_dump_on_the_corpus_drops_exactly_the_psql_lines() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/real");
        let mut seen = 0;
        for e in std::fs::read_dir(&dir).expect("the corpus dir ../shared/schemas/real") {
            let path = e.unwrap().path();
            if path.extension().is_none_or(|x| x != "sql") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let by_line: String = text
                .split_inclusive('\n')
                .map(|l| {
                    if l.starts_with('\\') {
                        &l[l.trim_end_matches(['\n', '\r']).len()..]
                    } else {
                        l
                    }
                })
                .collect();
            assert_eq!(prepare_dump(&text), by_line, "{}", path.display());
            seen += 1;
        }
        assert!(seen >= 15);
    }

    #[test]
    fn prepare_dump_strips_psql_lines_only_outside_quotes() {
        let dump = "\\restrict abc\nSET x = 1;\nCREATE FUNCTION f() RETURNS text AS $$\n\\not psql\n$$;\nSELECT '\n\\in string';\n\\unrestrict abc\n";
        let out = prepare_dump(dump);
        assert_eq!(
            out,
            "\nSET x = 1;\nCREATE FUNCTION f() RETURNS text AS $$\n\\not psql\n$$;\nSELECT '\n\\in string';\n\n"
        );
    }

    #[test]
    fn dump_roles_finds_every_kind_of_mention() {
        let dump = r#"
ALTER TABLE public.t OWNER TO app_owner;
ALTER SCHEMA s OWNER TO "Mixed Case";
CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
GRANT SELECT ON TABLE public.t TO reader, "Writer" WITH GRANT OPTION;
GRANT ALL ON SCHEMA public TO PUBLIC;
REVOKE ALL ON TABLE public.t FROM old_role CASCADE;
ALTER DEFAULT PRIVILEGES FOR ROLE "postgres", admin2 IN SCHEMA public GRANT ALL ON TABLES TO "anon";
CREATE POLICY p ON public.t FOR SELECT TO authenticated, CURRENT_USER USING (true);
GRANT anon TO authenticator;
ALTER TABLE public.t OWNER TO postgres;
CREATE FUNCTION f() RETURNS void AS $$ BEGIN GRANT x TO in_body; END $$ LANGUAGE plpgsql;
COMMENT ON TABLE t IS 'GRANT a TO in_string';
"#;
        let roles: Vec<String> = dump_roles(dump).into_iter().collect();
        assert_eq!(
            roles,
            [
                "Mixed Case",
                "Writer",
                "admin2",
                "anon",
                "app_owner",
                "authenticated",
                "authenticator",
                "old_role",
                "reader",
                "supabase_auth_admin"
            ]
        );
    }
}
