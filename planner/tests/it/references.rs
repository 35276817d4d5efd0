//! `silo-plan references` on examples/saas: every foreign key of the dump as a constraint, and
//! the references its names imply without one (the example's control-silo mapping tables keep
//! plain `organization_id` / `user_id` columns, as Sentry's `HybridCloudForeignKey` does).

use std::collections::BTreeSet;

fn run(format: &str) -> (i32, String) {
    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["references", "--format", format, "examples/saas"])
        .output()
        .expect("runs");
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8"),
    )
}

#[test]
fn references_lists_constraints_and_inferred_references() {
    let (code, json) = run("json");
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let refs = v["references"].as_array().expect("references");
    let keys: BTreeSet<&str> = [
        "table",
        "columns",
        "referenced_table",
        "referenced_columns",
        "kind",
        "rule",
        "confidence",
        "on_delete",
        "on_delete_source",
        "child_silo",
        "parent_silo",
        "crosses",
        "verified",
        "orphans",
        "checked",
        "line",
    ]
    .into();
    for r in refs {
        let got: BTreeSet<&str> = r
            .as_object()
            .expect("object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(got, keys, "{r}");
    }
    // Every foreign key of the dump, as `inspect` reads it.
    let inspect = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "inspect",
            "--format",
            "json",
            "--schema",
            "examples/saas/schema.sql",
        ])
        .output()
        .expect("runs");
    let cat: serde_json::Value = serde_json::from_slice(&inspect.stdout).expect("catalog JSON");
    let fks = cat["foreign_keys"].as_array().expect("foreign keys");
    let constraints: Vec<&serde_json::Value> =
        refs.iter().filter(|r| r["kind"] == "constraint").collect();
    assert_eq!(constraints.len(), fks.len());
    for (r, fk) in constraints.iter().zip(fks) {
        assert_eq!(r["table"], fk["table"]);
        assert_eq!(r["columns"], fk["columns"]);
        assert_eq!(r["referenced_table"], fk["references"]);
        assert_eq!(r["line"], fk["line"]);
        assert_eq!(r["confidence"], 1.0);
        assert!(r["rule"].is_null());
    }
    // The example's plain columns, inferred, crossing from control to region.
    let inferred: Vec<String> = refs
        .iter()
        .filter(|r| r["kind"] == "inferred")
        .map(|r| {
            format!(
                "{}({}) -> {} {} {} {}->{} crosses={}",
                r["table"].as_str().unwrap(),
                r["columns"][0].as_str().unwrap(),
                r["referenced_table"].as_str().unwrap(),
                r["rule"].as_str().unwrap(),
                r["on_delete_source"].as_str().unwrap(),
                r["child_silo"].as_str().unwrap(),
                r["parent_silo"].as_str().unwrap(),
                r["crosses"]
            )
        })
        .collect();
    assert_eq!(
        inferred,
        [
            "public.org_membermapping(organization_id) -> public.org_organization django inferred control->region crosses=true",
            "public.org_slugreservation(organization_id) -> public.org_organization django inferred control->region crosses=true",
            "public.org_slugreservation(user_id) -> public.auth_user django inferred control->control crosses=false",
        ]
    );
    assert!(v["ambiguous"].as_array().is_some_and(Vec::is_empty));
    assert!(v["polymorphic"].as_array().is_some_and(Vec::is_empty));

    let (code, text) = run("text");
    assert_eq!(code, 0);
    assert!(
        text.starts_with(&format!(
            "{} references ({} constraints, 3 inferred)",
            refs.len(),
            fks.len()
        )),
        "{text}"
    );
    assert!(text.contains(
        "public.org_slugreservation(organization_id) -> public.org_organization(id)\n  inferred by \
         django, confidence 0.80; on delete ignore (inferred); control -> region, crosses\n  --> \
         examples/saas/schema.sql:1473\n"
    ), "{text}");
    // Deterministic.
    assert_eq!(run("json").1, json);
}
