//! `inspect` on small dumps: one snapshot of the text report and one of the catalog JSON per
//! fixture in `fixtures/dumps/`.

use std::path::Path;

use silo_plan::dump::{read, ReadOptions};
use silo_plan::source::SourceFile;

fn fixture(name: &str) -> SourceFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("planner/tests/it/fixtures/dumps")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    SourceFile::new(format!("fixtures/dumps/{name}"), text)
}

fn snapshot(name: &str) {
    let src = fixture(name);
    let cat = read(std::slice::from_ref(&src), &ReadOptions::default());
    assert!(!cat.tables.is_empty(), "{name}: no tables read");
    let stem = name.trim_end_matches(".sql");
    insta::assert_snapshot!(
        format!("inspect_text_{stem}"),
        silo_plan::inspect::text(&cat)
    );
    insta::assert_snapshot!(
        format!("inspect_json_{stem}"),
        silo_plan::inspect::json(&cat)
    );
}

#[test]
fn pg17_partitions() {
    snapshot("pg17_partitions.sql");
}

#[test]
fn rails_unqualified() {
    snapshot("rails_unqualified.sql");
}

#[test]
fn old_escape_strings() {
    snapshot("old_escape_strings.sql");
}

#[test]
fn cli_inspect_missing_and_non_utf8_files_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("latin1.sql");
    std::fs::write(
        &bad,
        b"CREATE TABLE t (\n  name text DEFAULT 'caf\xe9'\n);\n",
    )
    .expect("write");
    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .args(["inspect", "--schema"])
        .arg(&bad)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("latin1.sql:2:"), "names file and line: {err}");
    assert!(err.contains("not valid UTF-8"), "{err}");

    let missing = dir.path().join("nope.sql");
    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .args(["inspect", "--schema"])
        .arg(&missing)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.sql"));
}

#[test]
fn cli_inspect_strict_fails_on_unparsed() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("planner/tests/it/fixtures/dumps/pg17_partitions.sql");
    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .args(["inspect", "--strict", "--schema"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "CREATE OPERATOR is unparsed");
    let ok = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .args(["inspect", "--schema"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("warning[unparsed]: CREATE OPERATOR"));
}

/// `inspect --format json` names the framework that wrote the dump, as the text report does
/// (`django` and its sign for examples/saas; `generic` with no evidence for a plain dump), and
/// `schemas/catalog.schema.json` requires the key with both fields.
#[test]
fn cli_inspect_json_names_the_framework() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schemas/catalog.schema.json")).expect("schema"),
    )
    .expect("schema json");
    assert!(
        schema["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|k| k == "framework")),
        "the schema requires `framework`"
    );
    assert_eq!(
        schema["definitions"]["FrameworkSeen"]["required"],
        serde_json::json!(["evidence", "name"])
    );
    for (dump, name, evidence) in [
        (
            "examples/saas/schema.sql",
            "django",
            "table django_migrations",
        ),
        (
            "planner/tests/it/fixtures/dumps/pg17_partitions.sql",
            "generic",
            "",
        ),
    ] {
        let out = assert_cmd::Command::cargo_bin("silo-plan")
            .expect("binary")
            .args(["inspect", "--format", "json", "--schema"])
            .arg(root.join(dump))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{dump}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            doc["framework"],
            serde_json::json!({"name": name, "evidence": evidence}),
            "{dump}"
        );
    }
}
