//! `silo-plan queries`: snapshots of its text output on small fixtures, and a server log
//! written by a real PostgreSQL with `log_statement = 'all'`, in which it must find exactly the
//! transactions that write to both silos.

use std::collections::BTreeSet;

use silo_plan::queries::{self, LogFormat, Options, Resolver};
use silo_plan::source::SourceFile;

use crate::pg::Cluster;
use crate::simulate::{fixtures, root};
use crate::util::analysis;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .unwrap()
        .current_dir(root())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Output of a run that must report something (a snapshot test never passes on nothing).
fn nonempty(args: &[&str]) -> (Option<i32>, String, String) {
    let r = run(args);
    assert!(r.1.contains("SP01"), "no findings:\n{}\n{}", r.1, r.2);
    r
}

#[test]
fn queries_text_on_csv_export() {
    let (code, out, err) = nonempty(&[
        "queries",
        "examples/saas",
        "planner/tests/it/fixtures/queries/small.csv",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("pg_stat_statements CSV"), "{err}");
    insta::assert_snapshot!("queries_small_csv_text", out);
}

#[test]
fn queries_text_on_server_log() {
    let (code, out, err) = nonempty(&[
        "queries",
        "examples/saas",
        "planner/tests/it/fixtures/queries/small.log",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("log_line_prefix \"%m [%p] %x \""), "{err}");
    insta::assert_snapshot!("queries_small_log_text", out);
}

#[test]
fn queries_formats_and_exit_codes() {
    // github and sarif render the same findings.
    let (code, out, _) = nonempty(&[
        "queries",
        "--format",
        "github",
        "examples/saas",
        "planner/tests/it/fixtures/queries/small.csv",
    ]);
    assert_eq!(code, Some(1));
    assert!(out.contains("::error file=planner/tests/it/fixtures/queries/small.csv,line=2,title=SP011 cross-silo-query::"), "{out}");
    let (code, out, _) = run(&[
        "queries",
        "--format",
        "sarif",
        "examples/saas",
        "planner/tests/it/fixtures/queries/small.csv",
    ]);
    assert_eq!(code, Some(1));
    assert!(out.contains("\"ruleId\": \"SP011\""));
    // Clean input: exit 0.
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.sql");
    std::fs::write(
        &clean,
        "SELECT 1 FROM org_member;\nSELECT 2 FROM auth_user\n",
    )
    .unwrap();
    let (code, out, _) = run(&["queries", "examples/saas", clean.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out, "no findings\n");
    // Bad input: exit 2.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n").unwrap();
    let (code, _, err) = run(&[
        "queries",
        "--input-format",
        "csv",
        "examples/saas",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("`query`"), "{err}");
    let (code, _, err) = run(&["queries", "examples/saas", "/nonexistent.log"]);
    assert_eq!(code, Some(2), "{err}");
}

/// The transactions of the log workload: (marker, statements, writes both silos?). Each runs
/// on its own connection unless it names one of the two shared sessions `A` and `B`, which
/// interleave.
const TXNS: &[(&str, &[&str], bool)] = &[
    (
        "T1",
        &[
            "BEGIN",
            "INSERT INTO org_team (organization_id, slug, name, status) VALUES (100, 't1', 'T1', 0)",
            "INSERT INTO org_option (organization_id, key, value) VALUES (100, 't1', '1')",
            "COMMIT",
        ],
        false,
    ),
    (
        "T2",
        &[
            "BEGIN",
            "UPDATE auth_user SET last_login = now() WHERE id = 100",
            "INSERT INTO org_auditlogentry (organization_id, actor_id, event, data, datetime)\nVALUES (100, 100, 7, '{}', now())",
            "COMMIT",
        ],
        true,
    ),
    (
        "T3",
        &[
            "BEGIN",
            "SELECT id FROM auth_user WHERE username = 'ada'",
            "INSERT INTO org_member (organization_id, user_id, role, has_global_access, date_added) VALUES (100, 101, 'member', false, now())",
            "COMMIT",
        ],
        false,
    ),
    (
        "T4",
        &["INSERT INTO org_membermapping (organization_id, organizationmember_id, role, date_added)\n  SELECT organization_id, id, role::text, now() FROM org_member WHERE id = 101"],
        false,
    ),
    (
        "T5",
        &[
            "BEGIN",
            "INSERT INTO auth_useremail (user_id, email, validation_hash, date_hash_added, is_verified) VALUES (101, 'bob@example.com', 'h', now(), false)",
            "UPDATE org_member SET email = 'bob@example.com' WHERE user_id = 101",
            "ROLLBACK",
        ],
        true,
    ),
    (
        "T6",
        &["UPDATE org_organization SET name = 'Acme Six' WHERE id = 100"],
        true,
    ),
    (
        "T7",
        &[
            "BEGIN",
            "INSERT INTO django_migrations (app, name, applied) VALUES ('org', '0007', now())",
            "UPDATE proj_project SET status = 1 WHERE id = 100",
            "COMMIT",
        ],
        false,
    ),
    (
        "T8",
        &[
            "START TRANSACTION ISOLATION LEVEL REPEATABLE READ",
            "DELETE FROM notif_settingoption WHERE project_id = 100",
            "SAVEPOINT s1",
            "UPDATE issue_group SET times_seen = times_seen + 1 WHERE id = 100",
            "ROLLBACK TO SAVEPOINT s1",
            "UPDATE rel_release SET ref = 'v8' WHERE id = 100",
            "COMMIT",
        ],
        true,
    ),
    (
        "T9",
        &["UPDATE auth_user SET name = 'Ada L' WHERE id = 100"],
        false,
    ),
];

#[test]
fn queries_server_log_from_postgres_finds_exactly_the_cross_silo_transactions() {
    let cluster = Cluster::builder()
        .setting("log_statement", "all")
        .setting("log_line_prefix", "'%m [%p] %x '")
        .start();
    cluster.createdb("saas");
    let text = std::fs::read_to_string(root().join("examples/saas/schema.sql")).unwrap();
    let file = cluster.dir().join("schema.sql");
    std::fs::write(&file, crate::pg::prepare_dump(&text)).unwrap();
    let out = cluster.psql_file("saas", &file);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("ERROR"));
    let out = cluster.psql_file("saas", &fixtures().join("seed.sql"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("ERROR"));
    let start = cluster.log().len();

    // Two sessions interleave T1 and T2 statement by statement; the others run one by one, some
    // as one simple-protocol string (`BEGIN; ...; COMMIT`), some through the extended protocol.
    let mut a = cluster.client("saas");
    let mut b = cluster.client("saas");
    let (t1, t2) = (TXNS[0].1, TXNS[1].1);
    for i in 0..t1.len().max(t2.len()) {
        if let Some(s) = t1.get(i) {
            a.batch_execute(s).unwrap();
        }
        if let Some(s) = t2.get(i) {
            b.batch_execute(s).unwrap();
        }
    }
    for (k, (name, stmts, _)) in TXNS.iter().enumerate().skip(2) {
        let mut c = cluster.client("saas");
        if k % 2 == 0 {
            c.batch_execute(&stmts.join(";\n"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        } else {
            for s in *stmts {
                c.execute(*s, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
    }
    drop((a, b));
    // The server writes its log asynchronously to the file: wait until the last statement is in.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let log = loop {
        let log = cluster.log();
        if log.contains("SET name = 'Ada L'") || std::time::Instant::now() > deadline {
            break log[start..].to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let log_path = cluster.dir().join("workload.log");
    std::fs::write(&log_path, &log).unwrap();

    let l = analysis(&root().join("examples/saas"));
    let res = Resolver::new(&l.input());
    let logs = [SourceFile::new(log_path.display().to_string(), log.clone())];
    for opts in [
        Options::default(),
        Options {
            format: LogFormat::ServerLog,
            log_line_prefix: Some("%m [%p] %x ".into()),
        },
    ] {
        let outcome = queries::analyze(&res, &logs, &opts).unwrap();
        assert_eq!(
            outcome.stats.files[0].prefix.as_deref(),
            Some("%m [%p] %x "),
            "{log}"
        );
        // Which transactions each SP012 finding names: the statements it lists as writes hold
        // text unique to one transaction.
        let found: Vec<BTreeSet<&str>> = outcome
            .findings
            .iter()
            .filter(|f| f.code == silo_plan::findings::Code::CrossSiloTransaction)
            .map(|f| {
                f.related
                    .iter()
                    .flat_map(|r| {
                        let line = log.lines().nth(r.location.line as usize - 1).unwrap();
                        TXNS.iter()
                            .filter(move |(_, stmts, _)| {
                                stmts.iter().any(|s| {
                                    let first = s.lines().next().unwrap();
                                    !first.starts_with("BEGIN")
                                        && !first.starts_with("COMMIT")
                                        && line.contains(first)
                                })
                            })
                            .map(|(n, _, _)| *n)
                    })
                    .collect()
            })
            .collect();
        for f in &found {
            assert_eq!(f.len(), 1, "a finding spans transactions: {found:?}");
        }
        let got: BTreeSet<&str> = found.iter().flatten().copied().collect();
        let want: BTreeSet<&str> = TXNS.iter().filter(|t| t.2).map(|t| t.0).collect();
        assert_eq!(got, want, "log:\n{log}");
        assert_eq!(outcome.stats.crossing_transactions, want.len());
        assert_eq!(found.len(), want.len());
    }
}
