//! The cut-over's fence on partitioned tables, on two clusters through `phases/run.sh`: a
//! statement trigger on a partitioned table does not fire for a write addressed to one of its
//! partitions, so the fence must cover each partition too (those of the dump, one created after
//! the dump, one two levels down), and lifting it (the rollback on ORIGIN, the cut-over again on
//! the target) must drop every trigger it added.

use crate::pg::Cluster;
use crate::phases::{ok, run_phase, run_phases, two_cluster_env, BEFORE_CUTOVER};

/// Control moves with `events`, partitioned by range, one partition itself partitioned by range of id.
pub(crate) const SCHEMA: &str = "\
CREATE TABLE public.users (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.events (id bigint NOT NULL, at date NOT NULL, kind text NOT NULL, user_id bigint NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 (id bigint NOT NULL, at date NOT NULL, kind text NOT NULL, user_id bigint NOT NULL);
CREATE TABLE public.events_2025 (id bigint NOT NULL, at date NOT NULL, kind text NOT NULL, user_id bigint NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE public.events_2025_a (id bigint NOT NULL, at date NOT NULL, kind text NOT NULL, user_id bigint NOT NULL);
CREATE TABLE public.events_2025_b (id bigint NOT NULL, at date NOT NULL, kind text NOT NULL, user_id bigint NOT NULL);
ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE ONLY public.events_2025 ATTACH PARTITION public.events_2025_a FOR VALUES FROM (MINVALUE) TO (50);
ALTER TABLE ONLY public.events_2025 ATTACH PARTITION public.events_2025_b DEFAULT;
ALTER TABLE public.events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);
ALTER TABLE public.events
    ADD CONSTRAINT events_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;
CREATE TABLE public.orgs (id bigint PRIMARY KEY, name text NOT NULL);
";

pub(crate) const ROWS: &str = "\
INSERT INTO public.users SELECT i, 'user ' || i FROM generate_series(1, 20) AS i;
INSERT INTO public.events SELECT i, date '2024-01-01' + (i * 7), CASE WHEN i % 2 = 0 THEN 'click' ELSE 'view' END, 1 + i % 20 FROM generate_series(1, 90) AS i;
INSERT INTO public.orgs SELECT i, 'org ' || i FROM generate_series(1, 5) AS i;
";

pub(crate) const CONFIG: &str = "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
    [silos.control]\ntables = [\"users\", \"events*\"]\n\n\
    [silos.region]\ntables = [\"orgs\"]\n";

/// A write to each partition (and one through the root): `(what, sql)`.
fn writes() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "INSERT into a partition",
            "INSERT INTO public.events_2024 VALUES (1000, '2024-06-01', 'view', 1)",
        ),
        (
            "UPDATE of a partition",
            "UPDATE public.events_2024 SET kind = kind",
        ),
        (
            "DELETE from a sub-partition",
            "DELETE FROM public.events_2025_a",
        ),
        (
            "TRUNCATE of a sub-partition",
            "TRUNCATE public.events_2025_b",
        ),
        (
            "TRUNCATE of a partitioned partition",
            "TRUNCATE public.events_2025",
        ),
        (
            "INSERT into a partition created after the dump",
            "INSERT INTO public.events_2026 VALUES (1001, '2026-06-01', 'view', 1)",
        ),
        (
            "INSERT through the root",
            "INSERT INTO public.events VALUES (1002, '2024-06-02', 'view', 1)",
        ),
    ]
}

/// Each write of [`writes`] in its own transaction, rolled back: the error of each, or `None`
/// where Postgres took it.
fn attempt(c: &mut postgres::Client) -> Vec<(&'static str, Option<String>)> {
    writes()
        .into_iter()
        .map(|(what, sql)| {
            let mut tx = c.transaction().expect("begin");
            let got = tx.batch_execute(sql).err().map(|e| {
                e.as_db_error()
                    .map(|d| d.message().to_string())
                    .unwrap_or_else(|| e.to_string())
            });
            drop(tx);
            (what, got)
        })
        .collect()
}

fn assert_fenced(c: &mut postgres::Client, where_: &str) {
    for (what, got) in attempt(c) {
        let msg = got.unwrap_or_else(|| format!("{where_}: {what} passed the fence"));
        assert!(
            msg.contains("has moved to another database"),
            "{where_}: {what}: {msg}"
        );
    }
}

fn assert_writable(c: &mut postgres::Client, where_: &str) {
    for (what, got) in attempt(c) {
        assert_eq!(
            got, None,
            "{where_}: {what} refused after the fence was lifted"
        );
    }
}

fn fence_triggers(c: &Cluster, db: &str) -> String {
    c.psql(
        db,
        "SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgname LIKE 'silo\\_plan\\_fence%'",
    )
    .trim()
    .to_string()
}

#[test]
fn the_fence_covers_every_partition_and_is_lifted_from_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("partitions");
    std::fs::create_dir_all(&input).expect("dir");
    std::fs::write(input.join("schema.sql"), SCHEMA).expect("schema");
    std::fs::write(input.join("silo-plan.toml"), CONFIG).expect("config");
    let out = dir.path().join("plan");
    let files = crate::util::plan_files(&input, &out);

    let o = Cluster::builder().wal_level_logical().start();
    let t = Cluster::builder().wal_level_logical().start();
    o.createdb("origin");
    t.createdb("control");
    let load = dir.path().join("load.sql");
    std::fs::write(&load, format!("{SCHEMA}{ROWS}")).expect("write");
    let loaded = o.psql_file("origin", &load);
    assert!(
        loaded.status.success() && !String::from_utf8_lossy(&loaded.stderr).contains("ERROR"),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let mut env = two_cluster_env(&o, &t, &input);
    run_phases(&out, &BEFORE_CUTOVER, &env);
    // A partition the dump does not know, created on both sides before the cut-over (as
    // pg_partman's maintenance would).
    let extra = "CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')";
    o.psql("origin", extra);
    t.psql("control", extra);

    // A cut-over that stops at the target's wait: ORIGIN is fenced.
    t.disable_subscription("control", "silo_plan_move_control");
    let mut short = env.clone();
    short.retain(|(k, _)| *k != "CATCHUP_TIMEOUT");
    short.push(("CATCHUP_TIMEOUT", "2".to_string()));
    assert!(
        !run_phase(&out, "06-cutover", &short).status.success(),
        "06-cutover did not stop at the wait"
    );
    assert_fenced(&mut o.client("origin"), "ORIGIN after 06-cutover");

    // The rollback fences the target and lifts ORIGIN's fence from every table it added it to.
    ok(
        &run_phase(&out, "rollback-06-cutover", &env),
        "rollback-06-cutover",
    );
    assert_eq!(
        fence_triggers(&o, "origin"),
        "0",
        "ORIGIN keeps fence triggers"
    );
    assert_writable(&mut o.client("origin"), "ORIGIN after the rollback");
    assert_fenced(&mut t.client("control"), "the target after the rollback");

    // The cut-over again lifts the target's fence and fences ORIGIN.
    t.psql(
        "control",
        "ALTER SUBSCRIPTION silo_plan_move_control ENABLE",
    );
    ok(&run_phase(&out, "06-cutover", &env), "06-cutover");
    assert_eq!(
        fence_triggers(&t, "control"),
        "0",
        "the target keeps fence triggers"
    );
    assert_writable(&mut t.client("control"), "the target after the cut-over");
    assert_fenced(&mut o.client("origin"), "ORIGIN after the cut-over");

    // A partition created after the fence: the fence reaches it through the root.
    o.psql("origin", "CREATE TABLE public.events_2027 PARTITION OF public.events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')");
    let late = o
        .client("origin")
        .batch_execute("INSERT INTO public.events_2027 VALUES (1003, '2027-06-01', 'view', 1)")
        .expect_err("a write to a partition created after the fence passed it");
    assert!(
        late.as_db_error()
            .is_some_and(|d| d.message().contains("has moved to another database")),
        "{late}"
    );

    // The clean-up's guard finds the fence; the tables go.
    env.push(("CONFIRM", "drop-moved-tables".to_string()));
    ok(&run_phase(&out, "07-cleanup", &env), "07-cleanup");

    // The locks the fence and its lifting claim name the dump's partitions.
    for (file, mode) in [
        ("phases/06-cutover.1.origin.sql", "SHARE ROW EXCLUSIVE"),
        (
            "phases/rollback-06-cutover.2.origin.sql",
            "ACCESS EXCLUSIVE",
        ),
    ] {
        let claims = lock_claims(&files[file]);
        assert!(
            claims.iter().any(|c| c.starts_with(mode)
                && [
                    "public.events_2024,",
                    "public.events_2025,",
                    "public.events_2025_a,",
                    "public.events_2025_b,"
                ]
                .iter()
                .all(|p| c.contains(p))),
            "{file}: no {mode} claim names the partitions: {claims:#?}"
        );
    }
}

/// The `-- Locks:` comments of a phase file, each joined into one line.
fn lock_claims(sql: &str) -> Vec<String> {
    let mut claims: Vec<String> = Vec::new();
    let mut open = false;
    for line in sql.lines() {
        if let Some(claim) = line.strip_prefix("-- Locks: ") {
            claims.push(claim.to_string());
            open = true;
        } else if let (true, Some(more)) = (open, line.strip_prefix("--     ")) {
            let last = claims.last_mut().expect("a claim");
            last.push(' ');
            last.push_str(more);
        } else {
            open = false;
        }
    }
    claims
}
