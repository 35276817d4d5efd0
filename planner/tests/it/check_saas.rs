//! `check` on examples/saas reports exactly the crossings its README lists, in all four formats.

use std::collections::BTreeSet;

fn run(format: &str) -> (i32, String) {
    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--format", format, "examples/saas"])
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8"),
    )
}

#[test]
fn json_reports_exactly_the_readme_crossings() {
    let expected = crate::util::saas_readme_crossings();
    assert_eq!(expected.len(), 21, "README lists 21 crossings");
    let (code, out) = run("json");
    assert_eq!(code, 1, "crossings fail the gate");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let findings = v["findings"].as_array().expect("findings array");
    let names = |code: &str| -> BTreeSet<String> {
        findings
            .iter()
            .filter(|f| f["code"] == code)
            .map(|f| {
                f["object"]
                    .as_str()
                    .unwrap_or("")
                    .rsplit('.')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    };
    let want = |allowed: bool| -> BTreeSet<String> {
        expected
            .iter()
            .filter(|c| c.allowed == allowed)
            .map(|c| c.constraint.clone())
            .collect()
    };
    let (want_errors, want_allowed) = (want(false), want(true));
    assert_eq!(names("SP002"), want_errors);
    assert_eq!(names("SP009"), want_allowed);
    // The README's other couplings: the view across silos and the trigger.
    assert_eq!(
        names("SP004"),
        BTreeSet::from(["org_member_directory_v".to_string()])
    );
    let routines: Vec<&serde_json::Value> =
        findings.iter().filter(|f| f["code"] == "SP006").collect();
    assert_eq!(routines.len(), 1, "{routines:?}");
    assert!(routines[0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("org_organizationmapping"));
    // The control → shared key is reported as a warning, not a crossing.
    let shared: Vec<&serde_json::Value> =
        findings.iter().filter(|f| f["code"] == "SP003").collect();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["severity"], "warning");
    // The two references inferred across silos (Django's `organization_id` of the control
    // tables that map region organizations, no constraint) are warnings, each with its
    // reference as data.
    assert_eq!(
        names("SP017"),
        BTreeSet::from([
            "org_membermapping_organization_id_ref".to_string(),
            "org_slugreservation_organization_id_ref".to_string()
        ])
    );
    for f in findings.iter().filter(|f| f["code"] == "SP017") {
        assert_eq!(f["severity"], "warning");
        assert_eq!(f["reference"]["kind"], "inferred");
    }
    // Every crossing foreign key carries its reference as data, of kind constraint.
    for f in findings.iter().filter(|f| f["code"] == "SP002") {
        assert_eq!(f["reference"]["kind"], "constraint", "{f}");
    }
    // Nothing else: no unassigned table, no stale allow, nothing unparsed.
    for f in findings {
        let c = f["code"].as_str().unwrap_or("");
        assert!(
            ["SP002", "SP003", "SP004", "SP006", "SP009", "SP017"].contains(&c),
            "unexpected finding {f}"
        );
    }
    // Every crossing points at its dump line.
    for f in findings.iter().filter(|f| f["code"] == "SP002") {
        assert!(f["location"]["file"]
            .as_str()
            .unwrap_or("")
            .ends_with("schema.sql"));
        assert!(f["location"]["line"].as_u64().unwrap_or(0) > 0);
    }
}

#[test]
fn text_github_and_sarif_agree_with_json() {
    let (_, json) = run("json");
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let n = v["findings"].as_array().map_or(0, |a| a.len());
    assert!(n >= 21);
    let (code, text) = run("text");
    assert_eq!(code, 1);
    assert_eq!(text.matches("error[SP002]").count(), 20, "{text}");
    let (code, gh) = run("github");
    assert_eq!(code, 1);
    assert_eq!(gh.lines().filter(|l| l.starts_with("::")).count(), n);
    let (code, sarif) = run("sarif");
    assert_eq!(code, 1);
    let s: serde_json::Value = serde_json::from_str(&sarif).expect("sarif json");
    assert_eq!(s["version"], "2.1.0");
    assert_eq!(s["runs"][0]["results"].as_array().map_or(0, |a| a.len()), n);
}

#[test]
fn explain_follows_the_chain_that_crosses_twice() {
    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["explain", "auth_user", "examples/saas"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("org_membermapping_organizationmember_i_be1a3b28_fk_org_membe"));
    insta::assert_snapshot!("explain_auth_user", text);
}

/// `check examples/saas --format sarif` is valid SARIF 2.1.0: checked against the OASIS schema
/// vendored in `fixtures/sarif-schema-2.1.0.json` (see report.rs for its provenance), with the
/// same validator settings as report.rs (draft 4, formats checked).
#[test]
fn sarif_passes_schema_validation() {
    let (code, sarif) = run("sarif");
    assert_eq!(code, 1, "crossings fail the gate");
    let s: serde_json::Value = serde_json::from_str(&sarif).expect("sarif json");
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/sarif-schema-2.1.0.json")).expect("schema");
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&s)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}",
        errors.join("\n")
    );
    // Not vacuous: the run carries the crossings, and the validator rejects a broken copy.
    let results = s["runs"][0]["results"].as_array().expect("results");
    assert!(
        results.iter().filter(|r| r["ruleId"] == "SP002").count() >= 20,
        "{sarif}"
    );
    let mut broken = s.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(
        !validator.is_valid(&broken),
        "a bad level must fail validation"
    );
}
