//! `silo-plan simulate` on real PostgreSQL, and the same workload through `queries`.
//!
//! examples/saas is loaded with seed rows (`fixtures/queries/seed.sql`) and simulate's SQL. Every
//! statement of `fixtures/queries/workload.sql` carries the verdict written beside it by hand
//! (`-- expect: region | control | shared | cross`). Each runs in a transaction that is rolled
//! back, as the superuser (must succeed), as `silo_region` and as `silo_control`: a statement
//! fails with SQLSTATE 42501 exactly when it touches a silo the role is not (every `cross`
//! statement for both roles, a silo statement for the other silo's role). `queries` must give the
//! same verdicts from the text alone.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use postgres::error::SqlState;
use silo_plan::analysis::Analysis;
use silo_plan::dump;
use silo_plan::queries::Resolver;
use silo_plan::simulate::{self, Simulation};
use silo_plan::source::SourceFile;

use crate::pg::{self, Cluster};
use crate::util::analysis;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("planner/tests/it/fixtures/queries")
}

fn simulation(l: &Analysis) -> Simulation {
    simulate::build(&l.input(), &simulate::Options::default()).expect("simulation")
}

/// One workload statement with its verdict.
#[derive(Debug, Clone)]
pub struct Case {
    pub line: u32,
    pub expect: String,
    pub sql: String,
}

/// The statements of a workload file, each with the `-- expect: X` comment above it.
pub fn workload(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).expect("workload");
    let file = SourceFile::new(path.display().to_string(), text.clone());
    let mut out = Vec::new();
    for p in dump::split::split(&text, dump::Dialect::Postgres) {
        if p.kind != dump::split::PieceKind::Statement {
            continue;
        }
        let lead = &text[p.start..p.body];
        let expect = lead
            .lines()
            .filter_map(|l| l.trim().strip_prefix("-- expect:"))
            .next_back()
            .unwrap_or_else(|| {
                panic!(
                    "line {}: statement without `-- expect:`",
                    file.line_of(p.body)
                )
            })
            .trim()
            .to_string();
        assert!(
            ["region", "control", "shared", "cross"].contains(&expect.as_str()),
            "{expect}"
        );
        out.push(Case {
            line: file.line_of(p.body),
            expect,
            sql: p.sql(&text).to_string(),
        });
    }
    out
}

fn load_dump(cluster: &Cluster, db: &str) {
    cluster.createdb(db);
    let text = std::fs::read_to_string(root().join("examples/saas/schema.sql")).unwrap();
    let file = cluster.dir().join("schema.sql");
    std::fs::write(&file, pg::prepare_dump(&text)).unwrap();
    run_file(cluster, db, &file);
}

fn run_file(cluster: &Cluster, db: &str, file: &Path) {
    let out = cluster.psql_file(db, file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("ERROR"),
        "running {} failed:\n{stderr}",
        file.display()
    );
}

fn run_sql(cluster: &Cluster, db: &str, name: &str, sql: &str) {
    let file = cluster.dir().join(name);
    std::fs::write(&file, sql).unwrap();
    run_file(cluster, db, &file);
}

/// Runs a statement in a rolled-back transaction as `role` (`None`: the superuser); `Err` with
/// the SQLSTATE and message when it fails.
fn try_as(client: &mut postgres::Client, role: Option<&str>, sql: &str) -> Result<(), String> {
    client.batch_execute("BEGIN").unwrap();
    if let Some(r) = role {
        client.batch_execute(&format!("SET ROLE {r}")).unwrap();
    }
    // Parameters of the workload all stand for id 100.
    let sql = sql.replace("$1", "100");
    let r = client.batch_execute(&sql).map_err(|e| {
        let code = e.code().map(|c| c.code().to_string()).unwrap_or_default();
        let msg = e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string());
        format!("{code} {msg}")
    });
    client.batch_execute("ROLLBACK").unwrap();
    r
}

#[test]
fn simulate_saas_sql_is_the_plans() {
    // Relative to the package root (the tests' working directory): the header names the path.
    let mut l = analysis(Path::new("examples/saas"));
    assert_eq!(l.cfg.path, "examples/saas/silo-plan.toml");
    // `plan` names the config relative to its own directory, whatever the working directory.
    l.cfg.path = "silo-plan.toml".into();
    let sim = simulation(&l);
    let roles = simulate::roles_sql(&sim).unwrap();
    let reset = simulate::reset_sql(&sim).unwrap();
    assert!(roles.contains("CREATE ROLE silo_region NOLOGIN"));
    assert!(reset.contains("DROP ROLE silo_control"));
    // `plan` writes the same text (snapshotted in plan_files.rs), ending it with a newline.
    let dir = tempfile::tempdir().expect("tempdir");
    let files = crate::util::plan_example(dir.path()).1;
    assert_eq!(
        format!("{roles}\n"),
        files["simulate/roles.sql"],
        "simulate/roles.sql"
    );
    assert_eq!(
        format!("{reset}\n"),
        files["simulate/reset.sql"],
        "simulate/reset.sql"
    );
}

#[test]
fn simulate_rejects_a_prefix_that_needs_quoting() {
    let l = analysis(&root().join("examples/saas"));
    let e = simulate::build(
        &l.input(),
        &simulate::Options {
            prefix: "x$y".into(),
        },
    )
    .unwrap_err();
    assert!(e.0.contains("--prefix"), "{e}");
}

#[test]
fn simulate_workload_on_postgres_matches_expectations_and_queries() {
    let cases = workload(&fixtures().join("workload.sql"));
    assert!(cases.len() >= 50, "{} statements", cases.len());
    for kind in ["region", "control", "shared", "cross"] {
        assert!(cases.iter().any(|c| c.expect == kind), "no {kind} case");
    }

    // Without a database: the verdicts of `queries`.
    let l = analysis(&root().join("examples/saas"));
    let res = Resolver::new(&l.input());
    let mut wrong = Vec::new();
    for c in &cases {
        let t = res
            .sql(&c.sql)
            .unwrap_or_else(|e| panic!("line {}: {e}", c.line));
        let silos = res.silos(&t.tables);
        let got = match silos.len() {
            0 if !t.tables.is_empty() => "shared".to_string(),
            0 => "nothing".to_string(),
            1 => silos.into_iter().next().unwrap(),
            _ => "cross".to_string(),
        };
        if got != c.expect {
            wrong.push(format!(
                "line {}: expected {}, queries says {got}",
                c.line, c.expect
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Through the binary: exactly the `cross` statements are SP011 findings.
    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .unwrap()
        .args(["queries", "--format", "json"])
        .arg(root().join("examples/saas"))
        .arg(fixtures().join("workload.sql"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{:?}", out);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines: BTreeSet<u64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "SP011")
        .map(|f| f["location"]["line"].as_u64().unwrap())
        .collect();
    let want: BTreeSet<u64> = cases
        .iter()
        .filter(|c| c.expect == "cross")
        .map(|c| c.line as u64)
        .collect();
    assert_eq!(lines, want);
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] == "SP011"),
        "only SP011 expected: {doc}"
    );

    // On PostgreSQL.
    let cluster = Cluster::start();
    load_dump(&cluster, "saas");
    run_file(&cluster, "saas", &fixtures().join("seed.sql"));
    let sim = simulation(&l);
    let roles = simulate::roles_sql(&sim).unwrap();
    run_sql(&cluster, "saas", "roles.sql", &roles);
    run_sql(&cluster, "saas", "roles-again.sql", &roles); // idempotent
    let mut client = cluster.client("saas");
    let mut failures = Vec::new();
    for c in &cases {
        let expect_ok = |role: &str| match c.expect.as_str() {
            "shared" => true,
            "cross" => false,
            silo => silo == role,
        };
        if let Err(e) = try_as(&mut client, None, &c.sql) {
            failures.push(format!("line {} as superuser: {e}", c.line));
        }
        for silo in ["region", "control"] {
            let role = format!("silo_{silo}");
            let r = try_as(&mut client, Some(&role), &c.sql);
            match (expect_ok(silo), r) {
                (true, Ok(())) => {}
                (false, Err(e)) if e.starts_with(SqlState::INSUFFICIENT_PRIVILEGE.code()) => {}
                (true, Err(e)) => failures.push(format!(
                    "line {} ({}) as {role}: expected success, got {e}",
                    c.line, c.expect
                )),
                (false, other) => failures.push(format!(
                    "line {} ({}) as {role}: expected permission denied, got {other:?}",
                    c.line, c.expect
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn simulate_rerun_after_map_change_revokes_and_reset_removes_all() {
    let cluster = Cluster::start();
    load_dump(&cluster, "saas");
    let l = analysis(&root().join("examples/saas"));
    run_sql(
        &cluster,
        "saas",
        "roles.sql",
        &simulate::roles_sql(&simulation(&l)).unwrap(),
    );
    let has = |role: &str, table: &str| -> bool {
        cluster
            .psql(
                "saas",
                &format!("SELECT has_table_privilege('{role}', '{table}', 'SELECT')"),
            )
            .trim()
            == "t"
    };
    assert!(has("silo_region", "public.rel_release"));
    assert!(!has("silo_control", "public.rel_release"));

    // Move `rel_*` to control: re-running revokes it from region and grants it to control.
    let dir = tempfile::tempdir().unwrap();
    let toml = std::fs::read_to_string(root().join("examples/saas/silo-plan.toml"))
        .unwrap()
        .replace("    \"rel_*\",\n", "")
        .replace("    \"notif_*\",\n", "    \"notif_*\",\n    \"rel_*\",\n")
        .replace(
            "schema = [\"schema.sql\"]",
            &format!(
                "schema = [{:?}]",
                root()
                    .join("examples/saas/schema.sql")
                    .display()
                    .to_string()
            ),
        );
    std::fs::write(dir.path().join("silo-plan.toml"), toml).unwrap();
    let moved = analysis(&dir.path().join("silo-plan.toml"));
    run_sql(
        &cluster,
        "saas",
        "roles2.sql",
        &simulate::roles_sql(&simulation(&moved)).unwrap(),
    );
    assert!(!has("silo_region", "public.rel_release"));
    assert!(has("silo_control", "public.rel_release"));
    assert!(has("silo_control", "public.org_slugreservation"));

    // Reset: no role left; running it again is harmless.
    let reset = simulate::reset_sql(&simulation(&l)).unwrap();
    run_sql(&cluster, "saas", "reset.sql", &reset);
    run_sql(&cluster, "saas", "reset2.sql", &reset);
    let left = cluster.psql(
        "saas",
        "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'silo\\_%'",
    );
    assert_eq!(left.trim(), "0");
}
