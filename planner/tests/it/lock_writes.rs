//! `cleanup = "lock-writes"` (issue 19 item 6) on Postgres: examples/saas split through
//! `phases/run.sh` from ORIGIN to the control silo's database, with the moved tables kept in
//! ORIGIN. After `07-cleanup` they are readable and every write to them fails with a message
//! naming the silo that owns the table; `08-truncate` needs CONFIRM, empties them, and they
//! stay write-locked. Both phases run twice (idempotent).

use crate::pg::Cluster;
use crate::phases::{load_saas, ok, run_phase, saas_data, two_cluster_env};

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
    for phase in [
        "01-preflight",
        "02-prepare",
        "03-break",
        "04-provision",
        "05-replicate",
        "06-cutover",
        "07-cleanup",
        "07-cleanup",
    ] {
        ok(&run_phase(&out, phase, &env), phase);
    }
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
