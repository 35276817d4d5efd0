//! The JSON Schemas in `schemas/` are generated from the Rust types and must be current.
//! Regenerate with `SILO_PLAN_UPDATE_SCHEMAS=1 cargo test --test it schemas`.

use std::path::Path;

fn check(file: &str, schema: schemars::schema::RootSchema) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(file);
    let mut want = serde_json::to_string_pretty(&schema).expect("schema serializes");
    want.push('\n');
    if std::env::var_os("SILO_PLAN_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &want).expect("write schema");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: regenerate with SILO_PLAN_UPDATE_SCHEMAS=1 cargo test --test it schemas",
        path.display()
    );
}

#[test]
fn catalog_schema_is_current() {
    let schema = schemars::schema_for!(silo_plan::inspect::Inspection<'static>);
    let fk = &schema.definitions["ForeignKey"];
    let props = fk.clone().into_object().object.expect("object").properties;
    // The documented foreign-key keys (issue 3): these must never disappear.
    for key in [
        "name",
        "table",
        "columns",
        "references",
        "referenced_columns",
        "on_delete",
        "on_update",
        "deferrable",
        "initially_deferred",
        "line",
    ] {
        assert!(props.contains_key(key), "ForeignKey lacks {key}");
    }
    check("catalog.schema.json", schema);
}

#[test]
fn plan_schema_is_current() {
    check(
        "plan.schema.json",
        schemars::schema_for!(silo_plan::plan::Plan),
    );
}

#[test]
fn config_schema_is_current() {
    check("silo-plan.schema.json", silo_plan::config::json_schema());
}

#[test]
fn references_file_schema_is_current() {
    check(
        "references.schema.json",
        silo_plan::refs_file::json_schema(),
    );
}
