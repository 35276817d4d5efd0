//! The JSON Schemas in `schemas/` are generated from the Rust types and must be current.
//! Regenerate with `SILO_PLAN_UPDATE_SCHEMAS=1 cargo test --test it schemas`. They must also
//! accept what silo-plan really prints (the `*_validates_*` tests below).

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

// The schemas must describe what silo-plan really prints: users validate our JSON against them
// in their pipelines, so a schema that rejects our own output (a field serde omits when empty
// marked required) is wrong in silence. Each case validates a real output with the `jsonschema`
// crate (draft 7, as schemars declares) and checks that the validator is not vacuous.

fn validator(schema: &serde_json::Value) -> jsonschema::Validator {
    jsonschema::draft7::options()
        .should_validate_formats(false)
        .build(schema)
        .expect("the schema compiles")
}

pub(crate) fn schema_file(file: &str) -> serde_json::Value {
    let path = crate::util::root().join("schemas").join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file")).expect("json")
}

/// `instance` (from `what`) is valid against `schema`; a copy with the first required key of
/// the top-level object removed is not (the schema constrains something).
pub(crate) fn assert_valid(what: &str, schema: &serde_json::Value, instance: &serde_json::Value) {
    let v = validator(schema);
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate against its schema:\n{}",
        errors.join("\n")
    );
    let required = schema["required"].as_array().expect("top-level required");
    let key = required[0].as_str().expect("key");
    let mut broken = instance.clone();
    broken.as_object_mut().expect("object").remove(key);
    assert!(!v.is_valid(&broken), "{what}: dropping {key} must fail");
}

fn stdout_json(args: &[&str]) -> serde_json::Value {
    let o = crate::util::silo_plan(crate::util::root(), args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "silo-plan {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

#[test]
fn catalog_schema_validates_real_inspect_output() {
    let schema = schema_file("catalog.schema.json");
    for dump in [
        "examples/saas/schema.sql",
        "../shared/schemas/real/lago-api.sql",
        "../shared/schemas/real/gisia-gitlab-like.sql",
        "../shared/schemas/real/sentry-onpremise.sql",
    ] {
        let out = stdout_json(&["inspect", "--format", "json", "--schema", dump]);
        assert_valid(dump, &schema, &out);
    }
}

#[test]
fn plan_schema_validates_real_plan_json() {
    let out = tempfile::tempdir().expect("tempdir");
    let files = crate::util::plan_files(std::path::Path::new("examples/saas"), out.path());
    let plan: serde_json::Value = serde_json::from_str(&files["plan.json"]).expect("plan.json");
    assert_valid("plan.json", &schema_file("plan.schema.json"), &plan);
}

/// `references --format json` has no published schema file; its shape is the schemars schema
/// of [`silo_plan::references::Listing`], which must accept it as well.
#[test]
fn references_listing_schema_validates_real_output() {
    let schema = serde_json::to_value(schemars::schema_for!(silo_plan::references::Listing))
        .expect("schema");
    let out = stdout_json(&["references", "--format", "json", "examples/saas"]);
    assert_valid("references --format json", &schema, &out);
}

#[test]
fn config_schema_validates_the_examples() {
    let schema = schema_file("silo-plan.schema.json");
    for ex in ["saas", "django", "rails"] {
        let path = crate::util::root()
            .join("examples")
            .join(ex)
            .join("silo-plan.toml");
        let text = std::fs::read_to_string(&path).expect("config");
        let cfg: serde_json::Value = toml::from_str(&text).expect("toml");
        assert_valid(&path.display().to_string(), &schema, &cfg);
    }
}
