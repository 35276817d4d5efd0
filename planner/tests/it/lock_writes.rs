//! `cleanup = "lock-writes"` (issue 19 item 6) on Postgres: examples/saas split through
//! `phases/run.sh` from ORIGIN to the control silo's database, with the moved tables kept in
//! ORIGIN. After `07-cleanup` they are readable and every write to them fails with a message
//! naming the silo that owns the table; `08-truncate` needs CONFIRM, empties them, and they
//! stay write-locked. Both phases run twice (idempotent).
//! On a partitioned moving table, the partitions created after the dump and after 07-cleanup
//! are write-locked too (the row trigger on the partitioned root; its TRUNCATE gap asserted).

use crate::pg::Cluster;
use crate::phases::{
    load_saas, ok, run_phase, run_phases, saas_data, two_cluster_env, BEFORE_CUTOVER,
};

fn refused(c: &mut postgres::Client, sql: &str) -> String {
    let e = c.batch_execute(sql).expect_err(sql);
    e.as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| e.to_string())
}

#[test]
fn lock_writes_keeps_moved_tables_readable_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let root = crate::util::root();
    let config = std::fs::read_to_string(root.join("examples/saas/silo-plan.toml"))
        .unwrap()
        .replace(
            "schema = [\"schema.sql\"]",
            &format!(
                "schema = [{:?}]\ncleanup = \"lock-writes\"",
                root.join("examples/saas/schema.sql").display().to_string()
            ),
        );
    assert!(config.contains("cleanup = \"lock-writes\""));
    std::fs::write(dir.path().join("silo-plan.toml"), config).unwrap();
    let out = dir.path().join("plan");
    let files = crate::util::plan_files(&dir.path().join("silo-plan.toml"), &out);
    assert!(
        files.contains_key("phases/08-truncate.sql"),
        "{:?}",
        files.keys()
    );

    let o = Cluster::builder().wal_level_logical().start();
    let t = Cluster::builder().wal_level_logical().start();
    load_saas(&o, "origin", dir.path());
    t.createdb("control");
    o.client("origin")
        .batch_execute(&saas_data(300, 30))
        .unwrap();
    let env = two_cluster_env(&o, &t, dir.path());
    run_phases(&out, &BEFORE_CUTOVER, &env);
    run_phases(&out, &["06-cutover", "07-cleanup", "07-cleanup"], &env);
    let mut c = o.client("origin");
    let users: i64 = c
        .query_one("SELECT count(*) FROM auth_user", &[])
        .expect("reads work")
        .get(0);
    assert_eq!(users, 300);
    let message = "table public.auth_user belongs to silo control: write to its database";
    for sql in [
        "INSERT INTO auth_user (id, password, username, name, email, is_staff, is_active, is_superuser, date_joined) VALUES (100000, 'p', 'u', 'n', 'e', false, true, false, now())",
        "UPDATE auth_user SET name = 'x' WHERE id = 1",
        "DELETE FROM auth_user WHERE id = 1",
        "TRUNCATE auth_user CASCADE",
    ] {
        assert_eq!(refused(&mut c, sql), message, "{sql}");
    }
    assert_eq!(
        refused(&mut c, "DELETE FROM org_slugreservation"),
        "table public.org_slugreservation belongs to silo control: write to its database"
    );
    // A table that stays takes writes.
    c.batch_execute("UPDATE org_organization SET name = name WHERE id = 1")
        .expect("region stays writable");
    // The runbook's verify query of 07-cleanup: every moved table is locked, the fences gone.
    let line = files["phases/runbook.md"]
        .lines()
        .find(|l| l.starts_with("**Verify**") && l.contains("silo_plan_lock_writes"))
        .expect("07-cleanup's verify query in the runbook");
    let q = line.split('`').nth(1).expect("a query between backquotes");
    assert_eq!(o.psql("origin", q).trim(), "0", "{q}");
    assert_eq!(
        o.psql(
            "origin",
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'silo_plan_fence'"
        )
        .trim(),
        "0"
    );

    // 08-truncate: refused without CONFIRM, then empties the tables; writes still refused.
    let no = run_phase(&out, "08-truncate", &env);
    assert!(!no.status.success());
    assert!(String::from_utf8_lossy(&no.stderr).contains("set CONFIRM=drop-moved-tables"));
    assert_eq!(
        c.query_one("SELECT count(*) FROM auth_user", &[])
            .unwrap()
            .get::<_, i64>(0),
        300
    );
    let mut confirmed = env.clone();
    confirmed.push(("CONFIRM", "drop-moved-tables".to_string()));
    for _ in 0..2 {
        ok(&run_phase(&out, "08-truncate", &confirmed), "08-truncate");
    }
    assert_eq!(
        c.query_one("SELECT count(*) FROM auth_user", &[])
            .unwrap()
            .get::<_, i64>(0),
        0
    );
    assert_eq!(refused(&mut c, "UPDATE auth_user SET name = 'x'"), message);
    let users_target: i64 = t
        .client("control")
        .query_one("SELECT count(*) FROM auth_user", &[])
        .unwrap()
        .get(0);
    assert_eq!(users_target, 300, "the target holds the rows");
}

/// `cleanup` takes "drop" or "lock-writes"; anything else is an error at its value.
#[test]
fn unknown_cleanup_is_an_error_at_its_value() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schema.sql"),
        "CREATE TABLE public.t (id int PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("silo-plan.toml"),
        "version = 1\nschema = [\"schema.sql\"]\norigin = \"a\"\ncleanup = \"lock\"\n\n[silos.a]\ntables = [\"t\"]\n",
    )
    .unwrap();
    let o = crate::util::silo_plan(dir.path(), ["check"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("silo-plan.toml:4:11: unknown cleanup `lock`")
            && err.contains("help: use `\"drop\"` or `\"lock-writes\"`")
            && err.contains("docs/config.md#cleanup"),
        "{err}"
    );
}

/// Each `(table, sql)` in its own transaction, rolled back: the error of each, or `TABLE: taken`
/// where Postgres took it.
fn attempt(c: &mut postgres::Client, writes: &[(&str, &str)]) -> Vec<String> {
    writes
        .iter()
        .map(|&(table, sql)| {
            let mut tx = c.transaction().expect("begin");
            let got = tx.batch_execute(sql).err().map(|e| {
                e.as_db_error()
                    .map(|d| d.message().to_string())
                    .unwrap_or_else(|| e.to_string())
            });
            drop(tx);
            got.unwrap_or_else(|| format!("{table}: taken"))
        })
        .collect()
}

/// Partitions under `cleanup = "lock-writes"` (fence.rs's schema: `events` partitioned by range,
/// one partition partitioned again): after 07-cleanup, a write to a partition of the dump, to one
/// created between the dump and 07-cleanup, and to one created after 07-cleanup fails with the
/// lock-writes message naming that partition; the cut-over's fence triggers are all gone. A
/// statement trigger on the root does not fire for a write addressed to a partition, so the later
/// partition is reached by the row trigger `silo_plan_lock_writes_rows`, which Postgres clones onto
/// it. Not covered (asserted, so that the runbook's advice stays true): a TRUNCATE of a partition
/// created after 07-cleanup, since TRUNCATE fires statement triggers only; running 07-cleanup
/// again gives that partition its own.
#[test]
fn lock_writes_covers_partitions_created_after_the_dump_and_after_cleanup() {
    use crate::fence::{CONFIG, ROWS, SCHEMA};
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("partitions");
    std::fs::create_dir_all(&input).expect("dir");
    std::fs::write(input.join("schema.sql"), SCHEMA).expect("schema");
    let config = CONFIG.replace(
        "schema = [\"schema.sql\"]\n",
        "schema = [\"schema.sql\"]\ncleanup = \"lock-writes\"\n",
    );
    assert!(config.contains("cleanup = \"lock-writes\""));
    std::fs::write(input.join("silo-plan.toml"), config).expect("config");
    let out = dir.path().join("plan");
    let files = crate::util::plan_files(&input, &out);
    assert!(files["phases/07-cleanup.1.origin.sql"].contains("silo_plan_lock_writes_rows"));

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
    let env = two_cluster_env(&o, &t, &input);
    run_phases(&out, &BEFORE_CUTOVER, &env);
    // A partition the dump does not know, created on both sides before the clean-up.
    let between = "CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')";
    o.psql("origin", between);
    t.psql("control", between);
    for id in ["06-cutover", "07-cleanup", "07-cleanup"] {
        ok(&run_phase(&out, id, &env), id);
    }
    // Partitions created after the clean-up: one as pg_partman's maintenance would, one filled
    // first and attached (a row trigger fires only for rows: UPDATE and DELETE need one).
    o.psql("origin", "CREATE TABLE public.events_2027 PARTITION OF public.events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')");
    o.psql(
        "origin",
        "CREATE TABLE public.events_2028 (LIKE public.events); \
         INSERT INTO public.events_2028 VALUES (1004, '2028-03-01', 'view', 1); \
         ALTER TABLE public.events ATTACH PARTITION public.events_2028 FOR VALUES FROM ('2028-01-01') TO ('2029-01-01')",
    );

    let mut c = o.client("origin");
    let events: i64 = c
        .query_one("SELECT count(*) FROM public.events", &[])
        .expect("reads work")
        .get(0);
    assert_eq!(events, 91);
    let writes = [
        (
            "events_2024",
            "INSERT INTO public.events_2024 VALUES (1000, '2024-06-01', 'view', 1)",
        ),
        ("events_2025_a", "DELETE FROM public.events_2025_a"),
        ("events_2025_b", "TRUNCATE public.events_2025_b"),
        (
            "events",
            "INSERT INTO public.events VALUES (1002, '2024-06-02', 'view', 1)",
        ),
        (
            "events_2026",
            "INSERT INTO public.events_2026 VALUES (1001, '2026-06-01', 'view', 1)",
        ),
        ("events_2026", "TRUNCATE public.events_2026"),
        (
            "events_2027",
            "INSERT INTO public.events_2027 VALUES (1003, '2027-06-01', 'view', 1)",
        ),
        ("events_2028", "UPDATE public.events_2028 SET kind = kind"),
        ("events_2028", "DELETE FROM public.events_2028"),
    ];
    // Through the root, the root's statement trigger refuses first.
    let expect = |table: &str| {
        format!("table public.{table} belongs to silo control: write to its database")
    };
    let got = attempt(&mut c, &writes);
    for ((table, sql), got) in writes.iter().zip(&got) {
        assert_eq!(got, &expect(table), "{sql}");
    }
    assert_eq!(
        o.psql(
            "origin",
            "SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgname LIKE 'silo\\_plan\\_fence%'"
        )
        .trim(),
        "0",
        "the cut-over's fence triggers are gone"
    );

    // The gap: a TRUNCATE addressed to a partition created after 07-cleanup fires no row
    // trigger. Running 07-cleanup again gives it its statement trigger.
    let late_truncate = [("events_2027", "TRUNCATE public.events_2027")];
    assert_eq!(attempt(&mut c, &late_truncate), ["events_2027: taken"]);
    ok(&run_phase(&out, "07-cleanup", &env), "07-cleanup again");
    assert_eq!(attempt(&mut c, &late_truncate), [expect("events_2027")]);

    // 08-truncate empties them; the later partition stays write-locked.
    let mut confirmed = env.clone();
    confirmed.push(("CONFIRM", "drop-moved-tables".to_string()));
    ok(&run_phase(&out, "08-truncate", &confirmed), "08-truncate");
    let events: i64 = c
        .query_one("SELECT count(*) FROM public.events", &[])
        .unwrap()
        .get(0);
    assert_eq!(events, 0);
    assert_eq!(attempt(&mut c, &writes[6..7]), [expect("events_2027")]);
}
