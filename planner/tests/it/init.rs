//! `silo-plan init`: a starter config for each PostgreSQL dump of the corpus that `check` reads
//! (exit 0 or 1, never 2); snapshots of two; the schema path written relative to the config;
//! no overwrite without `--force`; `--silos` seeded and grown by suggest.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use super::util::root;

/// The 12 PostgreSQL dumps of the corpus (read from `../shared/schemas/real/`, never copied into
/// the repository).
const DUMPS: [&str; 12] = [
    "danbooru",
    "gisia-gitlab-like",
    "lago-api",
    "openstreetmap-website",
    "pagila",
    "philomena",
    "sakila-pg-imor",
    "sanbase2",
    "sentry-onpremise",
    "supabase-cli-starter",
    "supabase-postgres-15",
    "synapse-full72",
];

fn dump(name: &str) -> PathBuf {
    let p = root()
        .join("../shared/schemas/real")
        .join(format!("{name}.sql"));
    assert!(p.is_file(), "missing corpus dump {}", p.display());
    p
}

fn silo_plan(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::cargo_bin("silo-plan")
        .expect("binary")
        .args(args)
        .output()
        .expect("runs")
}

fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

/// `init DIR --schema DUMP [extra]`, which must succeed; returns the written file.
fn init(dir: &Path, dump: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        os("init"),
        dir.as_os_str(),
        os("--schema"),
        dump.as_os_str(),
    ];
    args.extend(extra.iter().map(os));
    let o = silo_plan(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "init {}: {}",
        dump.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_to_string(dir.join("silo-plan.toml")).expect("silo-plan.toml written")
}

/// `check DIR`'s exit code, which must be 0 or 1.
fn check_reads(dir: &Path) -> i32 {
    let o = silo_plan(&[os("check"), dir.as_os_str()]);
    let code = o.status.code().expect("exit code");
    assert!(
        code == 0 || code == 1,
        "check {} exited {code}: {}\n{}",
        dir.display(),
        String::from_utf8_lossy(&o.stderr),
        std::fs::read_to_string(dir.join("silo-plan.toml")).unwrap_or_default()
    );
    code
}

#[test]
fn init_on_every_postgres_dump_writes_a_config_check_reads() {
    let tmp = tempfile::tempdir().unwrap();
    for name in DUMPS {
        let dir = tmp.path().join(name);
        let text = init(&dir, &dump(name), &[]);
        assert!(text.contains("[silos."), "{name}: no silo\n{text}");
        check_reads(&dir);
    }
}

/// The dump copied beside the config (in a temporary directory only), so the snapshot's
/// `schema` line does not depend on where the test runs.
fn snapshot_of(name: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join(format!("{name}.sql"));
    std::fs::copy(dump(name), &local).unwrap();
    let text = init(tmp.path(), &local, &[]);
    check_reads(tmp.path());
    text
}

#[test]
fn init_pagila() {
    insta::assert_snapshot!("init_pagila", snapshot_of("pagila"));
}

#[test]
fn init_synapse() {
    insta::assert_snapshot!("init_synapse", snapshot_of("synapse-full72"));
}

#[test]
fn schema_path_is_relative_to_the_config_and_no_overwrite_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    std::fs::create_dir(&db).unwrap();
    std::fs::copy(dump("pagila"), db.join("structure.sql")).unwrap();
    let cfg = tmp.path().join("config/split");
    let text = init(&cfg, &db.join("structure.sql"), &[]);
    assert!(
        text.contains("schema = [\"../../db/structure.sql\"]"),
        "{text}"
    );
    check_reads(&cfg);
    // A second run refuses to replace the file, then --force does.
    std::fs::write(cfg.join("silo-plan.toml"), "# mine\n").unwrap();
    let o = silo_plan(&[
        os("init"),
        cfg.as_os_str(),
        os("--schema"),
        db.join("structure.sql").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--force"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(cfg.join("silo-plan.toml")).unwrap(),
        "# mine\n"
    );
    let text = init(&cfg, &db.join("structure.sql"), &["--force"]);
    assert!(text.starts_with("# Starter silo map"), "{text}");
}

#[test]
fn silos_are_seeded_and_grown_by_suggest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lago");
    let text = init(
        &dir,
        &dump("lago-api"),
        &["--silos", "billing=organizations,identity=users"],
    );
    assert!(text.contains("[silos.billing]"), "{text}");
    assert!(text.contains("[silos.identity]"), "{text}");
    assert!(
        text.contains("\"organizations\",")
            && text.contains("seed of this silo (named by --silos)"),
        "{text}"
    );
    assert!(text.contains("# suggest, round 1"), "{text}");
    // Rails's bookkeeping is shared.
    let shared = text.split("[shared]").nth(1).expect("a [shared] table");
    assert!(shared.contains("\"schema_migrations\","), "{text}");
    assert!(shared.contains("\"ar_internal_metadata\","), "{text}");
    check_reads(&dir);
    // Seeds chosen by init: two silos, each with a seed.
    let dir = tmp.path().join("pagila");
    let text = init(&dir, &dump("pagila"), &["--silos", "catalog,rentals"]);
    assert_eq!(
        text.matches("seed of this silo: the most connected")
            .count(),
        2,
        "{text}"
    );
    check_reads(&dir);
}
