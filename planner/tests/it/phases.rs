//! `phases/`: snapshots for examples/saas, the preflight refusing a table without a primary key,
//! and a rehearsal of the whole split on two real clusters through `phases/run.sh`.

use std::path::Path;
use std::process::Output;

use crate::pg::{self, Cluster};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `bash phases/run.sh PHASE` with the given environment.
fn run_phase(plan: &Path, phase: &str, env: &[(&str, String)]) -> Output {
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

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed ({}):\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn load_saas(c: &Cluster, db: &str, dir: &Path) {
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
    for (path, text) in phases {
        assert!(!text.trim().is_empty(), "{path} is empty");
        let name = format!("saas__{}", path.replace(['/', '.'], "_"));
        insta::assert_snapshot!(name, text);
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

/// A small, deterministic data set on the moving (control) and staying (region) tables.
const DATA: &str = "
INSERT INTO auth_user (password, username, name, email, is_staff, is_active, is_superuser, date_joined)
SELECT 'pw', 'user' || i, 'User ' || i, 'u' || i || '@example.com', false, true, false, timestamptz '2024-01-01'
  FROM generate_series(1, 20000) AS i;
INSERT INTO auth_useremail (id, user_id, email, validation_hash, date_hash_added, is_verified)
SELECT i, i, 'u' || i || '@example.com', md5(i::text), timestamptz '2024-01-02', i % 2 = 0
  FROM generate_series(1, 20000) AS i;
SELECT setval('auth_useremail_id_seq', 20000);
INSERT INTO org_slugreservation (slug, organization_id, user_id, region_name, reservation_type, date_added)
SELECT 'slug-' || i, i, i, 'us', 0, timestamptz '2024-01-01' FROM generate_series(1, 1000) AS i;
INSERT INTO org_organization (id, name, slug, status, default_role, flags, date_added)
SELECT i, 'Org ' || i, 'slug-' || i, 0, 'member', 0, timestamptz '2024-02-01' FROM generate_series(1, 1000) AS i;
";

#[test]
fn rehearsal_of_the_split_through_run_sh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, _) = crate::util::plan_example(dir.path());
    let o = Cluster::builder().wal_level_logical().start();
    let t = Cluster::builder().wal_level_logical().start();
    load_saas(&o, "origin", dir.path());
    t.createdb("control");
    o.client("origin").batch_execute(DATA).expect("data");
    let env = [
        ("ORIGIN_URL", o.url("origin")),
        ("CONTROL_URL", t.url("control")),
        (
            "SILO_PLAN_STATE",
            dir.path().join("state").display().to_string(),
        ),
        ("SYNC_TIMEOUT", "300".to_string()),
        ("CATCHUP_TIMEOUT", "120".to_string()),
    ];
    for phase in [
        "01-preflight",
        "02-prepare",
        "03-break",
        "04-provision",
        "05-replicate",
    ] {
        ok(&run_phase(&out, phase, &env), phase);
    }
    // Writes on ORIGIN during replication reach the target.
    o.psql(
        "origin",
        "INSERT INTO auth_user (password, username, name, email, is_staff, is_active, is_superuser) VALUES ('pw', 'late', 'Late', 'late@example.com', false, true, false); UPDATE auth_useremail SET is_verified = true WHERE id <= 100; DELETE FROM auth_useremail WHERE id > 19990",
    );
    ok(&run_phase(&out, "06-cutover", &env), "06-cutover");

    // The fence: ORIGIN refuses writes to moved tables, not to staying ones.
    let mut oc = o.client("origin");
    let e = oc
        .batch_execute("UPDATE auth_user SET name = 'x' WHERE id = 1")
        .expect_err("fenced");
    assert!(
        e.to_string().contains("") && format!("{e:?}").contains("has moved to another database"),
        "{e:?}"
    );
    oc.batch_execute(
        "INSERT INTO org_team (id, organization_id, slug, name, status, date_added) VALUES (1, 1, 't', 'T', 0, now())",
    )
    .expect("staying tables take writes");
    // A region trigger that writes a control table (org_organization_sync_mapping) is a coupling
    // the fence surfaces instead of letting the write land in the wrong database.
    let e = oc
        .batch_execute("UPDATE org_organization SET name = 'renamed' WHERE id = 1")
        .expect_err("the sync trigger writes a moved table");
    assert!(
        format!("{e:?}").contains("public.org_organizationmapping has moved"),
        "{e:?}"
    );

    // verify: zero differences, sequences ahead.
    let v = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(root())
        .args(["verify", "examples/saas", "--source"])
        .arg(o.url("origin"))
        .arg("--target")
        .arg(t.url("control"))
        .output()
        .expect("runs");
    let table = String::from_utf8_lossy(&v.stdout);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{table}\n{}",
        String::from_utf8_lossy(&v.stderr)
    );
    assert!(table.contains(", 0 differences"), "{table}");
    assert!(table.contains("public.auth_user_id_seq"), "{table}");
    assert_eq!(
        t.psql("control", "SELECT count(*) FROM auth_user").trim(),
        "20001"
    );

    // New writes on the target succeed, with ids above every id ORIGIN handed out, and travel
    // back to ORIGIN through the reverse subscription.
    let id = t.psql(
        "control",
        "INSERT INTO auth_user (password, username, name, email, is_staff, is_active, is_superuser) VALUES ('pw', 'after', 'After', 'after@example.com', false, true, false) RETURNING id",
    );
    let id: i64 = id.trim().parse().expect("id");
    assert!(id > 20001, "new id {id} collides with ORIGIN's ids");
    let mut back = String::new();
    for _ in 0..300 {
        back = o.psql(
            "origin",
            &format!("SELECT count(*) FROM auth_user WHERE id = {id}"),
        );
        if back.trim() == "1" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        back.trim(),
        "1",
        "the reverse subscription did not carry the write back"
    );

    // Clean-up refuses without the confirmation, then drops the moved tables.
    let refused = run_phase(&out, "07-cleanup", &env);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("point of no return"));
    let mut env2 = env.to_vec();
    env2.push(("CONFIRM", "drop-moved-tables".into()));
    // A region view still reads auth_user (plan.md lists it as a coupling): clean-up refuses
    // before dropping anything, and the rollback path stays open.
    let refused = run_phase(&out, "07-cleanup", &env2);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{err}");
    assert!(
        err.contains("view org_member_directory_v reads auth_user"),
        "{err}"
    );
    assert_eq!(
        o.psql(
            "origin",
            "SELECT count(*) FROM pg_subscription WHERE subname = 'silo_plan_back_control'"
        )
        .trim(),
        "1"
    );
    o.psql("origin", "DROP VIEW public.org_member_directory_v");
    ok(&run_phase(&out, "07-cleanup", &env2), "07-cleanup");
    assert_eq!(
        o.psql(
            "origin",
            "SELECT count(*) FROM pg_class WHERE relname IN ('auth_user', 'auth_useremail', 'org_slugreservation') AND relkind IN ('r', 'p')",
        )
        .trim(),
        "0"
    );
    assert_eq!(
        o.psql("origin", "SELECT count(*) FROM org_organization")
            .trim(),
        "1000"
    );
    assert_eq!(
        t.psql("control", "SELECT count(*) FROM auth_user").trim(),
        "20002"
    );
}
