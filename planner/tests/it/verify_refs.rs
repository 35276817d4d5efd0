//! `silo-plan references --db`: references checked against live data (issue 21, must-show 3).
//!
//! A generated database (over a million child rows, loaded with one `INSERT ... SELECT` per
//! table into unlogged tables) holds references with a known number of orphans, one without,
//! an empty table, a table and a column the dump has and the database has not, a foreign key
//! added `NOT VALID` over orphans, and one that is enforced. The verdicts must be exact; a tiny
//! timeout must cut the queries on the big table (and only those) and a locked table must give
//! up at the lock timeout, each reference then `unknown` and the next one still decided; every
//! query must end inside its timeout; a second session polling `pg_locks` must only ever see
//! ACCESS SHARE locks of the verifying session; and the database must be the same afterwards
//! (rows, checksums, tuple counters, no transaction id used).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use silo_plan::references::Listing;
use silo_plan::refs_file::{RefsFile, Verdict};
use silo_plan::verify_refs::{self, Conn, DbError, Options, Outcome};

use crate::pg::Cluster;

/// The dump's tables (loaded as they are, before the data).
const TABLES: &str = "\
CREATE UNLOGGED TABLE users (id bigint PRIMARY KEY);
CREATE UNLOGGED TABLE accounts (id bigint PRIMARY KEY);
CREATE UNLOGGED TABLE events (id bigint NOT NULL, user_id bigint, account_id bigint);
CREATE UNLOGGED TABLE posts (id bigint PRIMARY KEY, user_id bigint, author_id bigint);
CREATE UNLOGGED TABLE comments (id bigint PRIMARY KEY, post_id bigint);
CREATE UNLOGGED TABLE tags (id bigint PRIMARY KEY);
CREATE UNLOGGED TABLE taggings (id bigint PRIMARY KEY, tag_id bigint, post_id bigint);
CREATE UNLOGGED TABLE invoices (id bigint PRIMARY KEY, account_id bigint);
";

/// The dump's foreign keys (loaded after the data: the `NOT VALID` one leaves its orphans).
const KEYS: &str = "\
ALTER TABLE posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id);
ALTER TABLE taggings ADD CONSTRAINT taggings_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) NOT VALID;
";

/// The data, one `INSERT ... SELECT` per table. `events.user_id`: NULL in every tenth row (100k),
/// and the 10 rows whose id is a multiple of 100,000 point past the users (1,100,000 ...
/// 2,000,000). `taggings`: tags 48-50 and posts 21-25 do not exist.
const DATA: &str = "\
INSERT INTO users SELECT g FROM generate_series(1, 100000) g;
INSERT INTO accounts SELECT g FROM generate_series(1, 1000) g;
INSERT INTO events SELECT g, CASE WHEN g % 10 = 3 THEN NULL WHEN g % 100000 = 0 THEN 1000000 + g ELSE g % 100000 END, g % 1000 + 1 FROM generate_series(1, 1000000) g;
INSERT INTO posts SELECT g, g, g FROM generate_series(1, 20) g;
INSERT INTO tags SELECT g FROM generate_series(1, 47) g;
INSERT INTO taggings SELECT g, g, g % 25 + 1 FROM generate_series(1, 50) g;
";

/// What the live database lacks of the dump.
const DRIFT: &str = "DROP TABLE invoices; ALTER TABLE posts DROP COLUMN author_id;";

/// A config dir with the dump and a silo map: `control` holds `control` (a TOML array), the
/// other tables are in `region`.
fn config_dir(dump: &str, control: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("schema.sql"), dump).expect("dump");
    std::fs::write(
        dir.path().join("silo-plan.toml"),
        format!(
            "version = 1\nschema = [\"schema.sql\"]\n[defaults]\nunassigned = \"warn\"\n\
         [silos.control]\ntables = {control}\n[silos.region]\ntables = [\"*\"]\n"
        ),
    )
    .expect("config");
    dir
}

/// A `postgres` connection for the library that times every statement.
struct Timed {
    client: postgres::Client,
    /// (statement, how long it took, its SQLSTATE when it failed).
    log: Vec<(String, Duration, Option<String>)>,
}

impl Conn for Timed {
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let t = Instant::now();
        let r = self.client.simple_query(sql);
        let took = t.elapsed();
        match r {
            Ok(msgs) => {
                self.log.push((sql.to_string(), took, None));
                Ok(msgs
                    .into_iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => {
                            Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                        }
                        _ => None,
                    })
                    .collect())
            }
            Err(e) => {
                let code = e.code().map(|c| c.code().to_string());
                self.log.push((sql.to_string(), took, code.clone()));
                Err(DbError {
                    code,
                    message: e
                        .as_db_error()
                        .map_or_else(|| e.to_string(), |d| d.message().to_string()),
                })
            }
        }
    }
}

/// (locktype, mode, relation name or `-`) → how many polls saw it.
type Locks = BTreeMap<(String, String, String), usize>;

/// Every lock a session holds or waits for, seen by polling `pg_locks` from another session
/// until stopped: (locktype, mode, relation name or `-`), with how many polls ran.
struct LockWatch {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<(Locks, usize)>,
}

impl LockWatch {
    fn start(c: &Cluster, db: &str, pid: i32) -> LockWatch {
        let mut client = c.client(db);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut seen = Locks::new();
            let mut polls = 0;
            while !flag.load(Ordering::Relaxed) {
                let rows = client
                    .query(
                        "SELECT l.locktype, l.mode, coalesce(c.relname::text, '-') FROM pg_locks l \
                         LEFT JOIN pg_class c ON c.oid = l.relation WHERE l.pid = $1",
                        &[&pid],
                    )
                    .expect("pg_locks");
                for r in rows {
                    *seen.entry((r.get(0), r.get(1), r.get(2))).or_insert(0) += 1;
                }
                polls += 1;
            }
            (seen, polls)
        });
        LockWatch { stop, handle }
    }

    fn finish(self) -> (Locks, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("lock watcher")
    }
}

/// The next transaction id: a write anywhere in the cluster takes one (autovacuum is off).
fn next_xid(c: &mut postgres::Client) -> i64 {
    c.query_one(
        "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint",
        &[],
    )
    .expect("xid")
    .get(0)
}

/// What must not change: every table's rows and checksum, and the write counters of the user
/// tables.
fn state(c: &mut postgres::Client) -> String {
    c.batch_execute("SELECT pg_stat_clear_snapshot()")
        .expect("clear stats snapshot");
    let mut out = String::new();
    let tables = c
        .query(
            "SELECT format('%I', relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace \
             AND relkind = 'r' ORDER BY 1",
            &[],
        )
        .expect("tables");
    for t in tables {
        let t: String = t.get(0);
        let r = c
            .query_one(
                &format!(
                    "SELECT count(*)::text, coalesce(sum(hashtextextended(x::text, 0)::numeric), 0)::text FROM {t} AS x"
                ),
                &[],
            )
            .expect("checksum");
        out.push_str(&format!(
            "{t}: {} rows, sum {}\n",
            r.get::<_, String>(0),
            r.get::<_, String>(1)
        ));
    }
    for r in c
        .query(
            "SELECT relname::text, n_tup_ins::text, n_tup_upd::text, n_tup_del::text, \
             n_tup_hot_upd::text FROM pg_stat_user_tables ORDER BY 1",
            &[],
        )
        .expect("stats")
    {
        out.push_str(&format!(
            "{} ins {} upd {} del {} hot {}\n",
            r.get::<_, String>(0),
            r.get::<_, String>(1),
            r.get::<_, String>(2),
            r.get::<_, String>(3),
            r.get::<_, String>(4)
        ));
    }
    out
}

/// The outcome of each reference, by `table.columns`, and whether it was checked at all.
fn by_ref(l: &Listing) -> BTreeMap<String, Option<Outcome>> {
    l.references
        .iter()
        .map(|r| {
            (
                format!("{}.{}", r.table.name, r.columns.join(",")),
                r.verification.clone(),
            )
        })
        .collect()
}

fn outcome(verdict: Verdict, orphans: u64, checked: u64, examples: &[&str]) -> Option<Outcome> {
    Some(Outcome {
        verdict,
        orphans: Some(orphans),
        checked: Some(checked),
        rate: (orphans > 0).then(|| orphans as f64 / checked as f64),
        examples: examples.iter().map(|s| s.to_string()).collect(),
        sample_percent: None,
        reason: None,
    })
}

fn unknown(reason: &str, checked: Option<u64>) -> Option<Outcome> {
    Some(Outcome {
        verdict: Verdict::Unknown,
        orphans: None,
        checked,
        rate: None,
        examples: Vec::new(),
        sample_percent: None,
        reason: Some(reason.to_string()),
    })
}

/// Runs the verification of every reference of the dump in `dir` on `db` with `opts`, watching
/// the session's locks: the listing, each statement's duration and the locks seen.
fn verify(c: &Cluster, db: &str, dir: &Path, opts: &Options) -> (Listing, Timed, Locks) {
    let a = crate::util::analysis(&dir.join("silo-plan.toml"));
    let mut listing = silo_plan::references::listing(&a);
    let mut conn = Timed {
        client: c.client(db),
        log: Vec::new(),
    };
    let pid: i32 = conn
        .client
        .query_one("SELECT pg_backend_pid()", &[])
        .expect("pid")
        .get(0);
    let watch = LockWatch::start(c, db, pid);
    // Let the watcher's first poll run before the checks start.
    std::thread::sleep(Duration::from_millis(50));
    verify_refs::verify_listing(&mut conn, &a.cat, &mut listing, opts).expect("verification");
    std::thread::sleep(Duration::from_millis(50));
    let (locks, polls) = watch.finish();
    assert!(polls > 10, "the lock watcher polled only {polls} times");
    (listing, conn, locks)
}

/// Only ACCESS SHARE locks on relations (and the session's own virtual transaction id; no
/// transaction id, which any write would take), and ACCESS SHARE seen on `table`.
fn assert_access_share_only(locks: &Locks, table: &str) {
    for (locktype, mode, rel) in locks.keys() {
        match locktype.as_str() {
            "relation" => assert_eq!(mode, "AccessShareLock", "{rel}: {locks:?}"),
            "virtualxid" => assert_eq!(mode, "ExclusiveLock", "{locks:?}"),
            other => panic!("a {other} lock ({mode} on {rel}): {locks:?}"),
        }
    }
    assert!(
        locks.contains_key(&(
            "relation".to_string(),
            "AccessShareLock".to_string(),
            table.to_string()
        )),
        "no ACCESS SHARE lock on {table} was seen while the references were checked: {locks:?}"
    );
}

/// Every statement ended within `limit`.
fn assert_within(conn: &Timed, limit: Duration) {
    assert!(conn.log.len() > 20, "only {} statements", conn.log.len());
    for (sql, took, code) in &conn.log {
        assert!(
            *took <= limit,
            "{sql} took {took:?} (SQLSTATE {code:?}), more than {limit:?}"
        );
    }
}

#[test]
fn references_verified_on_a_million_rows_exact_read_only_and_within_timeouts() {
    let c = Cluster::builder().setting("autovacuum", "off").start();
    c.createdb("app");
    let mut admin = c.client("app");
    let t = Instant::now();
    admin
        .batch_execute(&format!("{TABLES}{DATA}{KEYS}{DRIFT}"))
        .expect("load");
    eprintln!("loaded in {:?}", t.elapsed());
    let dir = config_dir(&format!("{TABLES}{KEYS}"), r#"["users", "accounts"]"#);
    let before = state(&mut admin);

    // 1. The defaults: 5 s timeouts, tables of 2M rows and more sampled, so all exact here.
    let xid = next_xid(&mut admin);
    let t = Instant::now();
    let (l, conn, locks) = verify(&c, "app", dir.path(), &Options::default());
    eprintln!("verified in {:?}", t.elapsed());
    assert_eq!(
        next_xid(&mut admin),
        xid,
        "a transaction id was taken: something wrote"
    );
    let mut want = BTreeMap::new();
    want.insert(
        "events.user_id".to_string(),
        outcome(
            Verdict::Refuted,
            10,
            900_000,
            &["1100000", "1200000", "1300000"],
        ),
    );
    want.insert(
        "events.account_id".to_string(),
        outcome(Verdict::Confirmed, 0, 1_000_000, &[]),
    );
    want.insert(
        "posts.author_id".to_string(),
        unknown(
            "column public.posts.author_id does not exist on the live database",
            None,
        ),
    );
    // Enforced by the database: not checked.
    want.insert("posts.user_id".to_string(), None);
    want.insert(
        "comments.post_id".to_string(),
        unknown("the table is empty", Some(0)),
    );
    want.insert(
        "taggings.tag_id".to_string(),
        outcome(Verdict::Refuted, 3, 50, &["48", "49", "50"]),
    );
    // NOT VALID: the rows older than the key were never checked.
    want.insert(
        "taggings.post_id".to_string(),
        outcome(Verdict::Refuted, 10, 50, &["21", "22", "23"]),
    );
    want.insert(
        "invoices.account_id".to_string(),
        unknown(
            "table public.invoices does not exist on the live database",
            None,
        ),
    );
    assert_eq!(by_ref(&l), want);
    for r in &l.references {
        let v = r.verification.as_ref();
        assert_eq!(
            r.verified.as_deref(),
            v.map(|o| verify_refs::verdict_str(o.verdict))
        );
        assert_eq!(
            (r.orphans, r.checked),
            v.map_or((None, None), |o| (o.orphans, o.checked))
        );
    }
    assert_within(&conn, Duration::from_millis(5_000));
    assert_access_share_only(&locks, "events");
    let slowest = conn.log.iter().map(|e| e.1).max().expect("statements");
    eprintln!("{} statements, slowest {slowest:?}", conn.log.len());

    // 2. A timeout the million rows cannot meet, and taggings locked by a migration: the big
    // table's references and the locked table's are unknown, every other is decided as before.
    let mut migration = c.client("app");
    let xid = next_xid(&mut admin);
    migration
        .batch_execute("BEGIN; LOCK TABLE taggings IN ACCESS EXCLUSIVE MODE")
        .expect("lock");
    let tiny = Options {
        timeout_ms: 100,
        lock_timeout_ms: 50,
        sample: 0,
    };
    let (l2, conn2, locks2) = verify(&c, "app", dir.path(), &tiny);
    migration.batch_execute("ROLLBACK").expect("unlock");
    // ACCESS EXCLUSIVE takes a transaction id (to log the lock for standbys); nothing else did.
    assert_eq!(
        next_xid(&mut admin),
        xid + 1,
        "a transaction id was taken: something wrote"
    );
    let timeout = "a query ran longer than the statement_timeout (100 ms) and was cancelled";
    let lock = "a lock was not granted within the lock_timeout (50 ms): another session holds or \
                waits for a conflicting lock";
    let mut want2 = want.clone();
    want2.insert("events.user_id".into(), unknown(timeout, None));
    want2.insert("events.account_id".into(), unknown(timeout, None));
    want2.insert("taggings.tag_id".into(), unknown(lock, None));
    want2.insert("taggings.post_id".into(), unknown(lock, None));
    assert_eq!(by_ref(&l2), want2);
    let cancelled = conn2
        .log
        .iter()
        .filter(|e| e.2.as_deref() == Some("57014"))
        .count();
    assert!(cancelled >= 2, "{:?}", conn2.log);
    // Cancelled at 100 ms, with room for a loaded machine (the full queries take 3x longer
    // unloaded).
    assert_within(&conn2, Duration::from_millis(600));
    assert_access_share_only(&locks2, "events");

    // 3. Sampled: about 100,000 of the million rows, the same sample on every run.
    let sampled = Options {
        sample: 100_000,
        ..Options::default()
    };
    let xid = next_xid(&mut admin);
    let (l3, conn3, locks3) = verify(&c, "app", dir.path(), &sampled);
    let (l4, _, _) = verify(&c, "app", dir.path(), &sampled);
    assert_eq!(
        next_xid(&mut admin),
        xid,
        "a transaction id was taken: something wrote"
    );
    assert_eq!(by_ref(&l3), by_ref(&l4), "two sampled runs differ");
    let got = by_ref(&l3);
    for col in ["events.user_id", "events.account_id"] {
        let o = got[col].clone().expect("checked");
        let p = o.sample_percent.expect("sampled");
        assert!((9.0..=11.0).contains(&p), "{col}: {p}%");
        let checked = o.checked.expect("checked");
        assert!(
            (50_000..=200_000).contains(&checked),
            "{col}: {checked} rows checked of a 10% sample"
        );
        let orphans = o.orphans.expect("orphans");
        assert!(orphans <= 10, "{col}: {orphans}");
        let want_verdict = if orphans == 0 {
            Verdict::Confirmed
        } else {
            Verdict::Refuted
        };
        assert_eq!(o.verdict, want_verdict, "{col}: {o:?}");
    }
    // The small tables are read whole.
    for (k, v) in &want {
        if !k.starts_with("events.") {
            assert_eq!(&got[k], v, "{k}");
        }
    }
    assert_within(&conn3, Duration::from_millis(5_000));
    assert_access_share_only(&locks3, "events");

    // The verifying sessions are gone (their counters flushed at exit): nothing was written.
    drop((conn, conn2, conn3));
    for _ in 0..100 {
        let n: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'app' AND pid <> pg_backend_pid() \
                 AND backend_type = 'client backend'",
                &[],
            )
            .expect("activity")
            .get(0);
        if n <= 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(state(&mut admin), before, "the database changed");
}

/// `silo-plan references DIR --db URL --write FILE`, end to end: exit 1 (a reference is
/// refuted), the verdicts in the text and JSON listings, and a references file that reads back
/// into `RefsFile` with the inferred references and their verdicts (not the constraint).
#[test]
fn references_db_write_end_to_end() {
    let c = Cluster::start();
    c.createdb("app");
    let tables = "\
CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);
CREATE TABLE payments (id bigint PRIMARY KEY, order_id bigint);
ALTER TABLE payments ADD CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders(id);
CREATE TABLE \"Audit Log\" (id bigint PRIMARY KEY, user_id bigint);
CREATE TABLE languages (code text PRIMARY KEY);
CREATE TABLE pages (id bigint PRIMARY KEY, language_code text);
";
    c.psql(
        "app",
        &format!(
            "{tables}
INSERT INTO users SELECT g FROM generate_series(1, 10) g;
INSERT INTO orders SELECT g, g FROM generate_series(1, 12) g;
INSERT INTO payments SELECT g, g FROM generate_series(1, 12) g;
INSERT INTO \"Audit Log\" SELECT g, g % 10 + 1 FROM generate_series(1, 30) g;
INSERT INTO languages VALUES ('en');
INSERT INTO pages VALUES (1, 'en'), (2, E'\\x1b[31mred');"
        ),
    );
    let dir = config_dir(tables, r#"["users"]"#);
    let out_file = dir.path().join("refs.verified.json");
    let run = |format: &str, write: bool| {
        let mut cmd = assert_cmd::Command::cargo_bin("silo-plan").expect("binary");
        cmd.arg("references")
            .arg(dir.path())
            .args(["--format", format, "--timeout-ms", "3000", "--db"])
            .arg(c.url("app"));
        if write {
            cmd.arg("--write").arg(&out_file);
        }
        let o = cmd.output().expect("runs");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, text, err) = run("text", true);
    assert_eq!(code, Some(1), "{text}\n{err}");
    assert!(err.is_empty(), "{err}");
    assert!(
        text.contains(
            "public.orders(user_id) -> public.users(id)\n  inferred by rails, confidence 0.90; \
             on delete ignore (inferred); region -> control, crosses\n  verified: refuted: 2 \
             orphans in 12 rows checked (16.67%), e.g. 11; 12\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "public.Audit Log(user_id) -> public.users(id)\n  inferred by rails, confidence \
             0.90; on delete ignore (inferred); region -> control, crosses\n  verified: \
             confirmed: 0 orphans in 30 rows checked\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("3 checked on live data: 1 confirmed, 2 refuted, 0 unknown"),
        "{text}"
    );
    // A value from the database is written visibly, never as a terminal escape.
    assert!(
        text.contains("verified: refuted: 1 orphan in 2 rows checked (50%), e.g. \\u{1b}[31mred\n"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "{text}");

    let written = std::fs::read_to_string(&out_file).expect("the references file");
    let f: RefsFile = serde_json::from_str(&written).expect("reads back as a references file");
    crate::schemas::assert_valid(
        "references --write",
        &crate::schemas::schema_file("references.schema.json"),
        &serde_json::from_str(&written).expect("JSON"),
    );
    assert_eq!(f.source.as_deref(), Some(verify_refs::SOURCE));
    type Row = (String, Option<Verdict>, Option<u64>, Option<u64>);
    let got: Vec<Row> = f
        .references
        .iter()
        .map(|r| {
            (
                format!("{}.{}", r.table, r.columns.join(",")),
                r.verified,
                r.orphans,
                r.checked,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "public.orders.user_id".to_string(),
                Some(Verdict::Refuted),
                Some(2),
                Some(12)
            ),
            (
                "public.Audit Log.user_id".to_string(),
                Some(Verdict::Confirmed),
                Some(0),
                Some(30)
            ),
            (
                "public.pages.language_code".to_string(),
                Some(Verdict::Refuted),
                Some(1),
                Some(2)
            ),
        ],
        "{written}"
    );
    assert!(
        f.references.iter().all(|r| r.on_delete.is_none()),
        "{written}"
    );

    // JSON: the listing's keys carry the verdicts; a constraint is not checked.
    let (code, json, err) = run("json", false);
    assert_eq!(code, Some(1), "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    // The verdicts' keys are in the listing's schema (no published file: schemars's own).
    crate::schemas::assert_valid(
        "references --db --format json",
        &serde_json::to_value(schemars::schema_for!(silo_plan::references::Listing))
            .expect("schema"),
        &v,
    );
    let refs = v["references"].as_array().expect("references");
    let find = |table: &str| {
        refs.iter()
            .find(|r| r["table"] == table)
            .unwrap_or_else(|| panic!("{table}: {json}"))
    };
    let orders = find("public.orders");
    assert_eq!(orders["verified"], "refuted");
    assert_eq!(orders["orphans"], 2);
    assert_eq!(orders["checked"], 12);
    assert_eq!(
        orders["verification"]["examples"],
        serde_json::json!(["11", "12"])
    );
    let payments = find("public.payments");
    assert_eq!(payments["kind"], "constraint");
    assert!(payments["verified"].is_null(), "{payments}");
    assert!(payments.get("verification").is_none(), "{payments}");
}
