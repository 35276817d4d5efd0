//! `phases/`: snapshots for examples/saas, the preflight refusing a table without a primary key,
//! and rehearsals on two real clusters through `phases/run.sh`, as the runbook says: the whole
//! split of over 200k rows with a concurrent writer (no acknowledged write lost), the rollback of
//! the cut-over after the switch with the same writer, and a cut-over run again after a rollback.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::pg::{self, Cluster};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `bash phases/run.sh PHASE` with the given environment.
/// What `run.sh` reads for a split of examples/saas from ORIGIN (`origin` on `o`) to the
/// control silo (`control` on `t`), its state kept under `dir`, with the runbook's timeouts.
pub(crate) fn two_cluster_env(o: &Cluster, t: &Cluster, dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("ORIGIN_URL", o.url("origin")),
        ("CONTROL_URL", t.url("control")),
        ("SILO_PLAN_STATE", dir.join("state").display().to_string()),
        ("SYNC_TIMEOUT", "300".to_string()),
        ("CATCHUP_TIMEOUT", "120".to_string()),
    ]
}

pub(crate) fn run_phase(plan: &Path, phase: &str, env: &[(&str, String)]) -> Output {
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(plan.join("phases/run.sh")).arg(phase);
    for v in [
        "PGDATABASE",
        "PGUSER",
        "PGHOST",
        "PGPORT",
        "PGOPTIONS",
        "CONFIRM",
    ] {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("running run.sh")
}

pub(crate) fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed ({}):\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Phases 01 to 05, everything before the cut-over, in order.
pub(crate) const BEFORE_CUTOVER: [&str; 5] = [
    "01-preflight",
    "02-prepare",
    "03-break",
    "04-provision",
    "05-replicate",
];

/// Runs each of `ids` in order through run.sh; each must succeed.
pub(crate) fn run_phases(plan: &Path, ids: &[&str], env: &[(&str, String)]) {
    for id in ids {
        ok(&run_phase(plan, id, env), id);
    }
}

pub(crate) fn load_saas(c: &Cluster, db: &str, dir: &Path) {
    c.createdb(db);
    let path = dir.join(format!("{db}-schema.sql"));
    std::fs::write(
        &path,
        pg::prepare_dump(
            &std::fs::read_to_string(root().join("examples/saas/schema.sql")).expect("schema"),
        ),
    )
    .expect("write");
    let o = c.psql_file(db, &path);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && !err.contains("ERROR"),
        "loading the schema: {err}"
    );
}

#[test]
fn saas_phases_snapshots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, files) = crate::util::plan_example(dir.path());
    let phases: Vec<(&String, &String)> = files
        .iter()
        .filter(|(p, _)| p.starts_with("phases/"))
        .collect();
    assert!(
        phases.len() >= 9,
        "expected the phase files, run.sh and runbook.md: {:?}",
        phases.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for id in [
        "01-preflight",
        "02-prepare",
        "03-break",
        "04-provision",
        "05-replicate",
        "06-cutover",
        "07-cleanup",
    ] {
        assert!(
            phases
                .iter()
                .any(|(p, _)| p.starts_with(&format!("phases/{id}"))),
            "no file for {id}"
        );
    }
    // Their text is snapshotted once, with every other file of the plan, in plan_files.rs.
    for (path, text) in phases {
        assert!(!text.trim().is_empty(), "{path} is empty");
    }
    let md = &files["plan.md"];
    assert!(md.contains("## Replication readiness"), "plan.md section");
}

#[test]
fn run_sh_refuses_unknown_phases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, _) = crate::util::plan_example(dir.path());
    let o = run_phase(&out, "08-celebrate", &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown phase '08-celebrate'"), "{err}");
    let o = run_phase(&out, "01-preflight", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("ORIGIN_URL is not set"));
}

#[test]
fn preflight_refuses_a_moving_table_without_primary_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, _) = crate::util::plan_example(dir.path());
    let c = Cluster::builder().wal_level_logical().start();
    load_saas(&c, "origin", dir.path());
    c.createdb("control");
    // auth_userip moves to control; without its key, UPDATE and DELETE cannot be replicated.
    c.psql(
        "origin",
        "ALTER TABLE public.auth_userip DROP CONSTRAINT auth_userip_pkey",
    );
    let before = c.psql(
        "origin",
        "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'silo_plan'), (SELECT count(*) FROM pg_publication), (SELECT count(*) FROM pg_constraint WHERE contype = 'f')",
    );
    let env = [
        ("ORIGIN_URL", c.url("origin")),
        ("CONTROL_URL", c.url("control")),
        (
            "SILO_PLAN_STATE",
            dir.path().join("state").display().to_string(),
        ),
    ];
    let o = run_phase(&out, "01-preflight", &env);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "preflight passed:\n{err}");
    assert!(
        err.contains(
            "silo-plan preflight refused the split on ORIGIN (1 problem(s)); nothing was changed"
        ),
        "{err}"
    );
    assert!(
        err.contains("table public.auth_userip has no primary key and no replica identity"),
        "{err}"
    );
    assert!(
        err.contains("ALTER TABLE public.auth_userip REPLICA IDENTITY FULL"),
        "{err}"
    );
    assert!(
        !err.contains("on control"),
        "run.sh stopped before the target's check: {err}"
    );
    let after = c.psql(
        "origin",
        "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'silo_plan'), (SELECT count(*) FROM pg_publication), (SELECT count(*) FROM pg_constraint WHERE contype = 'f')",
    );
    assert_eq!(before, after, "preflight changed the origin");

    // The fix it names works: with REPLICA IDENTITY FULL the origin passes.
    c.psql(
        "origin",
        "ALTER TABLE public.auth_userip REPLICA IDENTITY FULL",
    );
    let o = run_phase(&out, "01-preflight", &env);
    ok(&o, "preflight after the fix");
}

/// examples/saas data, set-based: `users` users with as many e-mail addresses, a quarter as many
/// login IPs (moving, control), `orgs` organizations with their slug reservations (the
/// reservations move), and twice as many teams and options (staying, region).
pub(crate) fn saas_data(users: i64, orgs: i64) -> String {
    let ips = users / 4;
    let teams = orgs * 2;
    format!(
        "
INSERT INTO auth_user (password, username, name, email, is_staff, is_active, is_superuser, date_joined)
SELECT 'pw', 'user' || i, 'User ' || i, 'u' || i || '@example.com', false, true, false, timestamptz '2024-01-01'
  FROM generate_series(1, {users}) AS i;
INSERT INTO auth_useremail (id, user_id, email, validation_hash, date_hash_added, is_verified)
SELECT i, i, 'u' || i || '@example.com', md5(i::text), timestamptz '2024-01-02', i % 2 = 0
  FROM generate_series(1, {users}) AS i;
SELECT setval('auth_useremail_id_seq', {users});
INSERT INTO auth_userip (id, user_id, ip_address, country_code, first_seen, last_seen)
SELECT i, i, inet '10.0.0.0' + i, 'DE', timestamptz '2024-01-03', timestamptz '2024-01-04'
  FROM generate_series(1, {ips}) AS i;
SELECT setval('auth_userip_id_seq', {ips});
INSERT INTO org_slugreservation (slug, organization_id, user_id, region_name, reservation_type, date_added)
SELECT 'slug-' || i, i, i, 'us', 0, timestamptz '2024-01-01' FROM generate_series(1, {orgs}) AS i;
INSERT INTO org_organization (id, name, slug, status, default_role, flags, date_added)
SELECT i, 'Org ' || i, 'slug-' || i, 0, 'member', 0, timestamptz '2024-02-01' FROM generate_series(1, {orgs}) AS i;
SELECT setval('org_organization_id_seq', {orgs});
INSERT INTO org_team (id, organization_id, slug, name, status, date_added)
SELECT i, (i - 1) % {orgs} + 1, 'team-' || i, 'Team ' || i, 0, timestamptz '2024-03-01' FROM generate_series(1, {teams}) AS i;
SELECT setval('org_team_id_seq', {teams});
INSERT INTO org_option (id, organization_id, key, value)
SELECT i, (i - 1) % {orgs} + 1, 'key-' || i, to_jsonb(i) FROM generate_series(1, {teams}) AS i;
SELECT setval('org_option_id_seq', {teams});
ANALYZE;
"
    )
}

/// Where the writer sends writes to the moving tables: the database the application is switched
/// to. The test flips it after `06-cutover` (and back after `rollback-06-cutover`).
const HOME_ORIGIN: u8 = 0;
const HOME_TARGET: u8 = 1;

/// The tables the writer touches: two that move (control) and two that stay (region), each with
/// the column whose value marks the writer's last acknowledged write to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Table {
    AuthUser,
    AuthUseremail,
    OrgTeam,
    OrgOption,
}

impl Table {
    const ALL: [Table; 4] = [
        Table::AuthUser,
        Table::AuthUseremail,
        Table::OrgTeam,
        Table::OrgOption,
    ];

    fn name(self) -> &'static str {
        match self {
            Table::AuthUser => "auth_user",
            Table::AuthUseremail => "auth_useremail",
            Table::OrgTeam => "org_team",
            Table::OrgOption => "org_option",
        }
    }

    /// Whether the table moves to the control database.
    fn moves(self) -> bool {
        matches!(self, Table::AuthUser | Table::AuthUseremail)
    }

    /// The marker column, as text.
    fn marker(self) -> &'static str {
        match self {
            Table::AuthUser => "name",
            Table::AuthUseremail => "validation_hash",
            Table::OrgTeam => "name",
            Table::OrgOption => "value #>> '{}'",
        }
    }

    fn insert(self) -> &'static str {
        match self {
            Table::AuthUser => "INSERT INTO auth_user (password, username, name, email, is_staff, is_active, is_superuser) VALUES ('pw', $1::text, $1::text, $1::text || '@w.example', false, true, false) RETURNING id",
            Table::AuthUseremail => "INSERT INTO auth_useremail (user_id, email, validation_hash, date_hash_added, is_verified) VALUES ($2, $1::text || '@w.example', $1::text, now(), false) RETURNING id",
            Table::OrgTeam => "INSERT INTO org_team (organization_id, slug, name, status, date_added) VALUES ($2, $1::text, $1::text, 0, now()) RETURNING id",
            Table::OrgOption => "INSERT INTO org_option (organization_id, key, value) VALUES ($2, $1::text, to_jsonb($1::text)) RETURNING id",
        }
    }

    fn update(self) -> &'static str {
        match self {
            Table::AuthUser => "UPDATE auth_user SET name = $2::text WHERE id = $1",
            Table::AuthUseremail => {
                "UPDATE auth_useremail SET validation_hash = $2::text WHERE id = $1"
            }
            Table::OrgTeam => "UPDATE org_team SET name = $2::text WHERE id = $1",
            Table::OrgOption => "UPDATE org_option SET value = to_jsonb($2::text) WHERE id = $1",
        }
    }

    /// auth_user is a parent of in-silo keys and of replicated cascades: the writer does not
    /// delete users (it deletes their e-mail addresses).
    fn delete(self) -> Option<&'static str> {
        match self {
            Table::AuthUser => None,
            Table::AuthUseremail => Some("DELETE FROM auth_useremail WHERE id = $1"),
            Table::OrgTeam => Some("DELETE FROM org_team WHERE id = $1"),
            Table::OrgOption => Some("DELETE FROM org_option WHERE id = $1"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Insert,
    Update(i64),
    Delete(i64),
}

/// One write the application wants done.
#[derive(Debug, Clone)]
struct Op {
    table: Table,
    kind: Kind,
    /// Unique per operation: the value the write leaves in the marker column.
    marker: String,
    /// The parent for inserts (a user, an organization that never goes away).
    parent: i64,
}

/// What the writer did, for the report and the checks.
#[derive(Debug, Default, Clone)]
struct WriterStats {
    /// Writes committed, by database (`[origin, target]`).
    acknowledged: [usize; 2],
    /// Writes to moving tables a fenced database refused.
    refused: usize,
    /// Refused writes sent again to the database the application was switched to, and committed.
    retried: usize,
    inserts: usize,
    updates: usize,
    deletes: usize,
    /// Ids of rows inserted, by table and database.
    inserted: Vec<(Table, u8, i64)>,
}

/// A bounded concurrent writer with its own connections: it inserts, updates and deletes rows in
/// moving and staying tables with small sleeps until told to stop (or after `MAX_OPS`), and keeps
/// a model of every write a database acknowledged: `(table, id) -> Some(marker)` for a row that
/// must exist with that marker, `None` for a row it deleted. Writes to moving tables go to the
/// database `home` names; a write a fenced database refuses waits (in order) until `home`
/// changes and is then sent there, as an application does after it is switched.
struct Writer {
    origin: postgres::Client,
    target: postgres::Client,
    home: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    /// Acknowledged writes on the target so far (the test waits for some after a switch).
    on_target: Arc<AtomicUsize>,
    /// Acknowledged writes to moving tables on ORIGIN so far.
    moving_on_origin: Arc<AtomicUsize>,
    model: BTreeMap<(Table, i64), Option<String>>,
    /// Rows the writer may update or delete, per table (pre-existing ones included).
    live: BTreeMap<Table, Vec<i64>>,
    pending: Vec<Op>,
    pending_home: u8,
    stats: WriterStats,
    seed: u64,
}

/// A safety bound on the writer (minutes of writing; the tests stop it long before).
const MAX_OPS: usize = 100_000;

impl Writer {
    fn next(&mut self) -> u64 {
        // xorshift: deterministic, no dependency.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed
    }

    fn make_op(&mut self, n: usize) -> Op {
        let table = Table::ALL[n % 4];
        let r = self.next();
        let parent = match table {
            Table::AuthUseremail => 1 + (r % 1000) as i64,
            Table::OrgTeam | Table::OrgOption => 1 + (r % 100) as i64,
            Table::AuthUser => 0,
        };
        let marker = format!("w{n}");
        let live = self.live.get(&table).map_or(0, Vec::len);
        let pick = (r >> 20) as usize % live.max(1);
        let kind = match (n / 4) % 3 {
            1 if live > 0 => Kind::Update(self.live[&table][pick]),
            2 if live > 0 && table.delete().is_some() => {
                let id = self.live.get_mut(&table).expect("live").swap_remove(pick);
                Kind::Delete(id)
            }
            _ => Kind::Insert,
        };
        Op {
            table,
            kind,
            marker,
            parent,
        }
    }

    /// Runs `op` on database `db`: `Ok(true)` when committed, `Ok(false)` when the fence
    /// refused it; any other error fails the test (the model must stay exact).
    fn apply(&mut self, op: &Op, db: u8) -> Result<bool, String> {
        let client = if db == HOME_ORIGIN {
            &mut self.origin
        } else {
            &mut self.target
        };
        let both: [&(dyn postgres::types::ToSql + Sync); 2] = [&op.marker, &op.parent];
        let params = if op.table == Table::AuthUser {
            &both[..1]
        } else {
            &both[..]
        };
        let res = match op.kind {
            Kind::Insert => client
                .query_one(op.table.insert(), params)
                .map(|row| Some(row.get::<_, i64>(0))),
            Kind::Update(id) => client
                .execute(op.table.update(), &[&id, &op.marker])
                .map(|n| {
                    assert_eq!(n, 1, "{op:?} on db {db}: the row the writer wrote is gone");
                    None
                }),
            Kind::Delete(id) => client
                .execute(op.table.delete().expect("deletable"), &[&id])
                .map(|n| {
                    assert_eq!(n, 1, "{op:?} on db {db}: the row the writer wrote is gone");
                    None
                }),
        };
        match res {
            Ok(inserted) => {
                self.stats.acknowledged[db as usize] += 1;
                if db == HOME_TARGET {
                    self.on_target.fetch_add(1, Ordering::SeqCst);
                } else if op.table.moves() {
                    self.moving_on_origin.fetch_add(1, Ordering::SeqCst);
                }
                match op.kind {
                    Kind::Insert => {
                        let id = inserted.expect("id");
                        self.stats.inserts += 1;
                        self.stats.inserted.push((op.table, db, id));
                        self.model.insert((op.table, id), Some(op.marker.clone()));
                        self.live.entry(op.table).or_default().push(id);
                    }
                    Kind::Update(id) => {
                        self.stats.updates += 1;
                        self.model.insert((op.table, id), Some(op.marker.clone()));
                    }
                    Kind::Delete(id) => {
                        self.stats.deletes += 1;
                        self.model.insert((op.table, id), None);
                    }
                }
                Ok(true)
            }
            Err(e) => {
                let fenced = e.code()
                    == Some(&postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION)
                    && e.as_db_error()
                        .is_some_and(|d| d.message().contains("has moved to another database"));
                if fenced && op.table.moves() {
                    Ok(false)
                } else {
                    Err(format!("{op:?} on db {db}: {e:?}"))
                }
            }
        }
    }

    fn run(mut self) -> Result<Self, String> {
        for n in 0..MAX_OPS {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let home = self.home.load(Ordering::SeqCst);
            if !self.pending.is_empty() && home != self.pending_home {
                // Switched: send the refused writes, in order, where the application now writes.
                for op in std::mem::take(&mut self.pending) {
                    if self.apply(&op, home)? {
                        self.stats.retried += 1;
                    } else {
                        return Err(format!("{op:?} refused again after the switch"));
                    }
                }
            }
            let op = self.make_op(n);
            let db = if op.table.moves() { home } else { HOME_ORIGIN };
            if self.apply(&op, db)? {
                if op.table.moves() && !self.pending.is_empty() {
                    // The fence covers every moving table in one transaction: a write that goes
                    // through after one was refused, on the same database, breaks the order.
                    return Err(format!("{op:?} committed on db {db} after a refused write"));
                }
            } else {
                self.stats.refused += 1;
                self.pending_home = db;
                self.pending.push(op);
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        if !self.pending.is_empty() {
            return Err(format!(
                "stopped with {} refused write(s) never sent again",
                self.pending.len()
            ));
        }
        Ok(self)
    }
}

/// Starts the writer on its own thread.
struct WriterHandle {
    home: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    on_target: Arc<AtomicUsize>,
    moving_on_origin: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<Result<Writer, String>>>,
}

impl WriterHandle {
    fn start(origin: postgres::Client, target: postgres::Client, users: i64, orgs: i64) -> Self {
        let home = Arc::new(AtomicU8::new(HOME_ORIGIN));
        let stop = Arc::new(AtomicBool::new(false));
        let on_target = Arc::new(AtomicUsize::new(0));
        let moving_on_origin = Arc::new(AtomicUsize::new(0));
        // Pre-existing rows the writer may update or delete: the first ids of each table, away
        // from the parents its inserts use (users 1..1000, organizations 1..100).
        let mut live = BTreeMap::new();
        live.insert(Table::AuthUser, (users / 2..users / 2 + 500).collect());
        live.insert(Table::AuthUseremail, (users / 2..users / 2 + 500).collect());
        live.insert(Table::OrgTeam, (orgs..orgs + 500).collect());
        live.insert(Table::OrgOption, (orgs..orgs + 500).collect());
        let w = Writer {
            origin,
            target,
            home: home.clone(),
            stop: stop.clone(),
            on_target: on_target.clone(),
            moving_on_origin: moving_on_origin.clone(),
            model: BTreeMap::new(),
            live,
            pending: Vec::new(),
            pending_home: HOME_ORIGIN,
            stats: WriterStats::default(),
            seed: 0x9E37_79B9_7F4A_7C15,
        };
        WriterHandle {
            home,
            stop,
            on_target,
            moving_on_origin,
            thread: Some(std::thread::spawn(move || w.run())),
        }
    }

    /// Waits until `counter` reaches `n` (the writer is alive and writing), at most 120 s.
    fn wait_for(&mut self, counter: &Arc<AtomicUsize>, n: usize, what: &str) {
        let counter = counter.clone();
        let start = Instant::now();
        while counter.load(Ordering::SeqCst) < n {
            if self.thread.as_ref().is_some_and(|t| t.is_finished()) {
                let r = self.thread.take().expect("thread").join();
                panic!(
                    "the writer stopped while waiting for {what}: {:?}",
                    r.map(|r| r.err())
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "waited 120 s for {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn finish(mut self) -> Writer {
        self.stop.store(true, Ordering::SeqCst);
        match self
            .thread
            .take()
            .expect("thread")
            .join()
            .expect("writer thread")
        {
            Ok(w) => w,
            Err(e) => panic!("writer: {e}"),
        }
    }
}

/// Every write the writer saw acknowledged, checked against the final state of the database
/// that owns the table (`owner(table)`): each row it inserted or updated holds its last marker,
/// each row it deleted is gone.
fn assert_no_acknowledged_write_lost(
    w: &Writer,
    owner: &mut dyn FnMut(Table) -> postgres::Client,
) -> usize {
    let mut lost = Vec::new();
    let mut checked = 0;
    for table in Table::ALL {
        let ids: Vec<i64> = w
            .model
            .keys()
            .filter(|(t, _)| *t == table)
            .map(|(_, id)| *id)
            .collect();
        let mut c = owner(table);
        let rows = c
            .query(
                &format!(
                    "SELECT id, ({})::text FROM {} WHERE id = ANY($1)",
                    table.marker(),
                    table.name()
                ),
                &[&ids],
            )
            .expect("read back");
        let found: BTreeMap<i64, Option<String>> =
            rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        for id in ids {
            checked += 1;
            let want = &w.model[&(table, id)];
            let got = found.get(&id);
            let ok = match (want, got) {
                (Some(m), Some(Some(g))) => m == g,
                (None, None) => true,
                _ => false,
            };
            if !ok {
                lost.push(format!(
                    "{}.id={id}: want {want:?}, got {got:?}",
                    table.name()
                ));
            }
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {checked} acknowledged write(s) lost, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    checked
}

/// For every moved table with an `id` sequence in `ahead`: the next value it hands out is above
/// every id in `behind`'s copy of the table. Returns how many sequences were checked.
fn assert_sequences_ahead(ahead: &mut postgres::Client, behind: &mut postgres::Client) -> usize {
    let seqs = ahead
        .query(
            "WITH t AS MATERIALIZED (
                 SELECT c.relname::text AS relname, format('%I.%I', n.nspname, c.relname) AS qname
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id' AND NOT a.attisdropped
                  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE 'django%'
             )
             SELECT relname, pg_get_serial_sequence(qname, 'id') FROM t",
            &[],
        )
        .expect("sequences");
    let mut checked = 0;
    for r in &seqs {
        let table: String = r.get(0);
        let Some(seq): Option<String> = r.get(1) else {
            continue;
        };
        let exists: bool = behind
            .query_one(
                "SELECT to_regclass($1) IS NOT NULL",
                &[&format!("public.{table}")],
            )
            .expect("exists")
            .get(0);
        if !exists {
            continue;
        }
        let max: i64 = behind
            .query_one(
                &format!("SELECT coalesce(max(id), 0)::bigint FROM public.{table}"),
                &[],
            )
            .expect("max")
            .get(0);
        let row = ahead
            .query_one(&format!("SELECT last_value, is_called FROM {seq}"), &[])
            .expect("sequence");
        let (last, called): (i64, bool) = (row.get(0), row.get(1));
        let next = if called { last + 1 } else { last };
        assert!(
            next > max,
            "{seq} hands out {next} next, but {table} already holds id {max} on the other side"
        );
        checked += 1;
    }
    checked
}

/// `silo-plan verify examples/saas --source ORIGIN --target TARGET`: exit code and table.
fn verify(o: &Cluster, t: &Cluster) -> (Option<i32>, String) {
    let v = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(root())
        .args(["verify", "examples/saas", "--source"])
        .arg(o.url("origin"))
        .arg("--target")
        .arg(t.url("control"))
        .output()
        .expect("runs");
    (
        v.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        ),
    )
}

fn assert_verified(o: &Cluster, t: &Cluster, when: &str) {
    let (code, table) = verify(o, t);
    assert_eq!(code, Some(0), "verify {when}:\n{table}");
    assert!(table.contains(", 0 differences"), "verify {when}:\n{table}");
}

/// Waits until ORIGIN's reverse subscription has the target's WAL as of now.
fn wait_for_reverse(o: &Cluster, t: &Cluster) {
    let lsn = t.psql("control", "SELECT pg_current_wal_lsn()");
    let lsn = lsn.trim();
    for _ in 0..600 {
        let got = o.psql(
            "origin",
            &format!("SELECT coalesce(latest_end_lsn >= '{lsn}', false) FROM pg_stat_subscription WHERE subname = 'silo_plan_back_control' AND relid IS NULL"),
        );
        if got.trim() == "t" {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the reverse subscription did not reach {lsn}");
}

fn total_rows(c: &Cluster, db: &str) -> i64 {
    c.psql(
        db,
        "SELECT sum((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM ONLY %I.%I', schemaname, tablename), false, true, '')))[1]::text::bigint) FROM pg_tables WHERE schemaname = 'public'",
    )
    .trim()
    .parse()
    .expect("count")
}

fn report(what: &str, rows: i64, w: &Writer, checked: usize, started: Instant) {
    eprintln!(
        "{what}: {rows} rows; writer: {checked} rows checked at the end, {} writes acknowledged ({} on ORIGIN, {} on the target; {} inserts, {} updates, {} deletes), {} refused by a fence, {} retried after the switch; {:.1} s",
        w.stats.acknowledged[0] + w.stats.acknowledged[1],
        w.stats.acknowledged[0],
        w.stats.acknowledged[1],
        w.stats.inserts,
        w.stats.updates,
        w.stats.deletes,
        w.stats.refused,
        w.stats.retried,
        started.elapsed().as_secs_f64()
    );
}

/// Must-show 1: the whole split of examples/saas (over 200k rows) through `phases/run.sh`, as
/// the runbook says, with a concurrent writer on moving and staying tables from before
/// replicate until after the switch; no acknowledged write is lost.
#[test]
fn rehearsal_at_scale_with_a_concurrent_writer() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, _) = crate::util::plan_example(dir.path());
    let o = Cluster::builder().wal_level_logical().start();
    let t = Cluster::builder().wal_level_logical().start();
    load_saas(&o, "origin", dir.path());
    t.createdb("control");
    let (users, orgs) = (64_000, 10_000);
    o.client("origin")
        .batch_execute(&saas_data(users, orgs))
        .expect("data");
    let rows = total_rows(&o, "origin");
    assert!(rows >= 200_000, "only {rows} rows");
    let env = two_cluster_env(&o, &t, dir.path());
    for phase in ["01-preflight", "02-prepare", "03-break", "04-provision"] {
        ok(&run_phase(&out, phase, &env), phase);
    }

    let mut w = WriterHandle::start(o.client("origin"), t.client("control"), users, orgs);
    w.wait_for(&w.moving_on_origin.clone(), 50, "writes before replicate");
    let before = w.moving_on_origin.load(Ordering::SeqCst);
    ok(&run_phase(&out, "05-replicate", &env), "05-replicate");
    let after = w.moving_on_origin.load(Ordering::SeqCst);
    assert!(
        after > before,
        "no write to a moving table during 05-replicate"
    );
    ok(&run_phase(&out, "06-cutover", &env), "06-cutover");

    // The fence: ORIGIN refuses writes to moved tables, not to staying ones; a region trigger
    // that writes a control table (org_organization_sync_mapping) is a coupling the fence
    // surfaces instead of letting the write land in the wrong database.
    let mut oc = o.client("origin");
    let e = oc
        .batch_execute("UPDATE auth_user SET name = 'x' WHERE id = 1")
        .expect_err("fenced");
    assert!(
        format!("{e:?}").contains("has moved to another database"),
        "{e:?}"
    );
    oc.batch_execute("UPDATE org_team SET name = 'staying' WHERE id = 1")
        .expect("staying tables take writes");
    let e = oc
        .batch_execute("UPDATE org_organization SET name = 'renamed' WHERE id = 1")
        .expect_err("the sync trigger writes a moved table");
    assert!(
        format!("{e:?}").contains("public.org_organizationmapping has moved"),
        "{e:?}"
    );

    // Before the switch: every sequence on the target is ahead of ORIGIN's rows, and verify
    // (the runbook's check for this phase) reports zero differences while the writer keeps
    // writing the staying tables and has its writes to the moved tables refused.
    let mut tc = t.client("control");
    let seqs = assert_sequences_ahead(&mut tc, &mut oc);
    assert!(seqs >= 20, "only {seqs} sequences checked");
    assert_verified(&o, &t, "after 06-cutover");
    let max_user: i64 = oc
        .query_one("SELECT max(id) FROM auth_user", &[])
        .expect("max")
        .get(0);

    // The switch: the writer sends the refused writes, then every new one, to the target.
    w.home.store(HOME_TARGET, Ordering::SeqCst);
    w.wait_for(
        &w.on_target.clone(),
        150,
        "writes on the target after the switch",
    );
    // Every file is idempotent (the runbook: after a failure, fix the cause and run the same
    // phase again). Even a rerun after the switch, while the application writes on the target,
    // succeeds and changes nothing: the sequences handed over never move the target's back
    // below ids it already handed out (the writer's next inserts would fail on duplicate keys).
    ok(&run_phase(&out, "06-cutover", &env), "06-cutover, again");
    let now = w.on_target.load(Ordering::SeqCst);
    w.wait_for(
        &w.on_target.clone(),
        now + 150,
        "writes on the target after the rerun",
    );
    let writer = w.finish();
    assert!(
        writer.stats.refused > 0,
        "no write was refused by the fence"
    );
    assert_eq!(writer.stats.refused, writer.stats.retried);
    for (table, db, id) in &writer.stats.inserted {
        if *db == HOME_TARGET && *table == Table::AuthUser {
            assert!(
                *id > max_user,
                "target handed out {id}, ORIGIN had {max_user}"
            );
        }
    }
    // New writes on the target succeed; ORIGIN follows through the reverse subscription (the
    // rollback path), so verify still reports zero differences.
    let id: i64 = tc
        .query_one(
            "INSERT INTO auth_user (password, username, name, email, is_staff, is_active, is_superuser) VALUES ('pw', 'after', 'After', 'after@example.com', false, true, false) RETURNING id",
            &[],
        )
        .expect("insert on the target")
        .get(0);
    assert!(id > max_user);
    wait_for_reverse(&o, &t);
    assert_verified(&o, &t, "after the switch");

    // Clean-up refuses without the confirmation, and while a region view still reads auth_user
    // (plan.md lists it as a coupling), before dropping anything; then drops the moved tables.
    let refused = run_phase(&out, "07-cleanup", &env);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("point of no return"));
    let mut env2 = env.to_vec();
    env2.push(("CONFIRM", "drop-moved-tables".into()));
    let refused = run_phase(&out, "07-cleanup", &env2);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{err}");
    assert!(
        err.contains("view org_member_directory_v reads auth_user"),
        "{err}"
    );
    o.psql("origin", "DROP VIEW public.org_member_directory_v");
    ok(&run_phase(&out, "07-cleanup", &env2), "07-cleanup");
    assert_eq!(
        o.psql(
            "origin",
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND (c.relname LIKE 'auth\\_%' OR c.relname LIKE 'app\\_%' OR c.relname LIKE 'notif\\_%' OR c.relname IN ('integ_integration', 'integ_organizationintegration', 'org_organizationmapping', 'org_slugreservation', 'org_membermapping'))",
        )
        .trim(),
        "0",
        "moved tables left in ORIGIN"
    );

    // No acknowledged write is lost: moving tables are read on the target, staying ones on
    // ORIGIN.
    let checked = assert_no_acknowledged_write_lost(&writer, &mut |table| {
        if table.moves() {
            t.client("control")
        } else {
            o.client("origin")
        }
    });
    assert!(checked > 500, "only {checked} rows checked");
    report(
        "rehearsal_at_scale_with_a_concurrent_writer",
        rows,
        &writer,
        checked,
        started,
    );
}

/// Must-show 2: after the cut-over and the switch, roll back as the runbook says
/// (`phases/run.sh rollback-06-cutover`, its verify query, then switch the application back)
/// while the writer keeps writing: ORIGIN is authoritative again, takes writes to the moved
/// tables, hands out ids above every id the target handed out, and holds every write made on the
/// target in between.
#[test]
fn rollback_of_the_cutover_through_run_sh() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, _) = crate::util::plan_example(dir.path());
    let o = Cluster::builder().wal_level_logical().start();
    let t = Cluster::builder().wal_level_logical().start();
    load_saas(&o, "origin", dir.path());
    t.createdb("control");
    let (users, orgs) = (16_000, 2_000);
    o.client("origin")
        .batch_execute(&saas_data(users, orgs))
        .expect("data");
    let rows = total_rows(&o, "origin");
    let env = two_cluster_env(&o, &t, dir.path());
    for phase in ["01-preflight", "02-prepare", "03-break", "04-provision"] {
        ok(&run_phase(&out, phase, &env), phase);
    }
    let mut w = WriterHandle::start(o.client("origin"), t.client("control"), users, orgs);
    w.wait_for(&w.moving_on_origin.clone(), 50, "writes before replicate");
    for phase in ["05-replicate", "06-cutover"] {
        ok(&run_phase(&out, phase, &env), phase);
    }
    assert_verified(&o, &t, "after 06-cutover");

    // The switch, then writes on the target: the cut-over window the rollback must bring back.
    w.home.store(HOME_TARGET, Ordering::SeqCst);
    w.wait_for(
        &w.on_target.clone(),
        300,
        "writes on the target after the switch",
    );

    // The runbook's rollback, with the writer still running: its writes to the moved tables
    // are refused by the target's fence until it is switched back.
    ok(
        &run_phase(&out, "rollback-06-cutover", &env),
        "rollback-06-cutover",
    );
    assert_eq!(
        o.psql(
            "origin",
            "SELECT (SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgname IN ('silo_plan_fence', 'silo_plan_fence_rows')) AS fenced, (SELECT count(*) FROM pg_catalog.pg_subscription WHERE subname = 'silo_plan_back_control') AS subscribed;",
        )
        .trim(),
        "0|0",
        "the runbook's verify query"
    );
    assert_verified(&o, &t, "after rollback-06-cutover");
    // ORIGIN's sequences are ahead of every id the target handed out.
    let mut oc = o.client("origin");
    let mut tc = t.client("control");
    let seqs = assert_sequences_ahead(&mut oc, &mut tc);
    assert!(seqs >= 20, "only {seqs} sequences checked");
    // The target stays fenced: a write that still goes there fails instead of getting lost.
    let e = tc
        .batch_execute("UPDATE auth_user SET name = 'x' WHERE id = 1")
        .expect_err("target fenced");
    assert!(
        format!("{e:?}").contains("has moved to another database"),
        "{e:?}"
    );

    // Switch back: ORIGIN takes writes to the moved tables again.
    let back = w.moving_on_origin.load(Ordering::SeqCst);
    w.home.store(HOME_ORIGIN, Ordering::SeqCst);
    w.wait_for(
        &w.moving_on_origin.clone(),
        back + 50,
        "writes on ORIGIN after the rollback",
    );
    // Every file is idempotent (the runbook: after a failure, run the same phase again). Even a
    // rerun after the switch back, while the application writes on ORIGIN, succeeds and changes
    // nothing there: ORIGIN's sequences only move forward, its fence stays lifted.
    ok(
        &run_phase(&out, "rollback-06-cutover", &env),
        "rollback-06-cutover, again",
    );
    let now = w.moving_on_origin.load(Ordering::SeqCst);
    w.wait_for(
        &w.moving_on_origin.clone(),
        now + 50,
        "writes on ORIGIN after the rerun",
    );
    let writer = w.finish();
    let on_target = writer.stats.acknowledged[HOME_TARGET as usize];
    assert!(on_target >= 300, "only {on_target} writes on the target");
    assert!(writer.stats.refused > 0, "no write was refused by a fence");
    assert_eq!(writer.stats.refused, writer.stats.retried);
    for table in [Table::AuthUser, Table::AuthUseremail] {
        let max_target = writer
            .stats
            .inserted
            .iter()
            .filter(|(tb, db, _)| *tb == table && *db == HOME_TARGET)
            .map(|(_, _, id)| *id)
            .max()
            .expect("inserts on the target");
        // Inserts on ORIGIN after the rollback come after the target's in the list.
        let last_target = writer
            .stats
            .inserted
            .iter()
            .rposition(|(tb, db, _)| *tb == table && *db == HOME_TARGET)
            .expect("position");
        for (tb, db, id) in &writer.stats.inserted[last_target..] {
            if *tb == table && *db == HOME_ORIGIN {
                assert!(
                    *id > max_target,
                    "ORIGIN handed out {id} for {} after the target's {max_target}",
                    table.name()
                );
            }
        }
    }
    let id: i64 = oc
        .query_one(
            "INSERT INTO auth_user (password, username, name, email, is_staff, is_active, is_superuser) VALUES ('pw', 'back', 'Back', 'back@example.com', false, true, false) RETURNING id",
            &[],
        )
        .expect("ORIGIN takes writes to auth_user again")
        .get(0);
    let max_target: i64 = tc
        .query_one("SELECT max(id) FROM auth_user", &[])
        .expect("max")
        .get(0);
    assert!(id > max_target);

    // Every acknowledged write, the target's included, is in ORIGIN: it owns every table again.
    let checked = assert_no_acknowledged_write_lost(&writer, &mut |_| o.client("origin"));
    assert!(checked > 500, "only {checked} rows checked");
    report(
        "rollback_of_the_cutover_through_run_sh",
        rows,
        &writer,
        checked,
        started,
    );
}

/// A cut-over that stops before it reaches the target (its subscription is not running), rolled
/// back as the runbook says, then fixed and run again: ORIGIN takes writes in between, the
/// target gets them, and after the second cut-over the target takes writes (the rollback's fence
/// is lifted).
#[test]
fn cutover_again_after_a_rollback_before_the_switch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, _) = crate::util::plan_example(dir.path());
    let o = Cluster::builder().wal_level_logical().start();
    let t = Cluster::builder().wal_level_logical().start();
    load_saas(&o, "origin", dir.path());
    t.createdb("control");
    o.client("origin")
        .batch_execute(&saas_data(2_000, 200))
        .expect("data");
    let env = two_cluster_env(&o, &t, dir.path());
    for phase in BEFORE_CUTOVER {
        ok(&run_phase(&out, phase, &env), phase);
        // The runbook: "every file is idempotent: after a failure, fix the cause and run the
        // same phase again". A second run right after a success is the strictest case.
        ok(
            &run_phase(&out, phase, &env),
            &format!("{phase}, run again"),
        );
    }
    let insert = |name: &str| {
        format!("INSERT INTO auth_user (password, username, name, email, is_staff, is_active, is_superuser) VALUES ('pw', '{name}', '{name}', '{name}@example.com', false, true, false) RETURNING id")
    };
    // The cause: the subscription stops applying; ORIGIN keeps taking writes.
    t.disable_subscription("control", "silo_plan_move_control");
    o.psql("origin", &insert("during"));
    let mut short = env.clone();
    short.retain(|(k, _)| *k != "CATCHUP_TIMEOUT");
    short.push(("CATCHUP_TIMEOUT", "2".to_string()));
    let failed = run_phase(&out, "06-cutover", &short);
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success(), "{err}");
    assert!(
        err.contains("is it running (pg_stat_subscription)?"),
        "{err}"
    );

    // The runbook's rollback: ORIGIN is authoritative and takes writes to the moved tables.
    ok(
        &run_phase(&out, "rollback-06-cutover", &env),
        "rollback-06-cutover",
    );
    o.psql("origin", &insert("rolled-back"));

    // Fix the cause and cut over again: the target catches up with both writes and, once
    // switched, takes writes of its own.
    t.psql(
        "control",
        "ALTER SUBSCRIPTION silo_plan_move_control ENABLE",
    );
    ok(&run_phase(&out, "06-cutover", &env), "06-cutover, again");
    assert_verified(&o, &t, "after the second 06-cutover");
    let max: i64 = o
        .psql("origin", "SELECT max(id) FROM auth_user")
        .trim()
        .parse()
        .expect("max");
    assert_eq!(max, 2_002, "ORIGIN's two writes");
    let id: i64 = t
        .psql("control", &insert("switched"))
        .trim()
        .parse()
        .expect("the target takes writes after the second cut-over");
    assert!(id > max, "target handed out {id}, ORIGIN had {max}");
}
