//! docs/config.md documents every key of `silo-plan.toml` and every config error, and each
//! error's `see:` line points at a section that exists.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn doc() -> String {
    std::fs::read_to_string(root().join("docs/config.md")).expect("docs/config.md exists")
}

/// The `## name` headings of docs/config.md (their anchors on GitHub are the names).
fn sections(doc: &str) -> Vec<String> {
    doc.lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|h| h.trim().to_string())
        .collect()
}

#[test]
fn every_section_an_error_can_name_exists() {
    let have = sections(&doc());
    for s in silo_plan::config::DOC_SECTIONS {
        assert!(
            have.iter().any(|h| h == s),
            "docs/config.md has no `## {s}`"
        );
    }
}

#[test]
fn every_key_of_the_schema_is_documented() {
    let schema = serde_json::to_value(silo_plan::config::json_schema()).unwrap();
    let doc = doc();
    let mut keys: Vec<String> = Vec::new();
    let props = |v: &serde_json::Value| -> Vec<String> {
        v.get("properties")
            .and_then(|p| p.as_object())
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    keys.extend(props(&schema));
    for def in schema["definitions"].as_object().unwrap().values() {
        keys.extend(props(def));
    }
    assert!(keys.len() > 15, "{keys:?}");
    let headings = sections(&doc);
    for k in keys {
        assert!(
            headings.contains(&k) || doc.contains(&format!("`{k}`")),
            "docs/config.md does not document key `{k}`"
        );
    }
}

/// Every config error the tests snapshot is quoted in docs/config.md, and its `see:` line names
/// a section there.
#[test]
fn every_snapshotted_error_is_documented_where_it_points() {
    let doc = doc();
    let headings = sections(&doc);
    let dir = root().join("planner/tests/it/snapshots");
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("it__config_errors__config_") || name.contains("good_assignment") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let body = text.splitn(3, "---\n").nth(2).expect("snapshot body");
        let lines: Vec<&str> = body.lines().collect();
        // The message without its position (the documentation's example may stand elsewhere).
        let message = match lines[0].strip_prefix("silo-plan.toml:") {
            Some(rest) => rest.splitn(3, ':').nth(2).unwrap_or(rest).trim_start(),
            None => lines[0],
        };
        assert!(
            doc.contains(message),
            "{name}: docs/config.md does not quote `{message}`"
        );
        let see = lines
            .iter()
            .find_map(|l| l.strip_prefix("  see: docs/config.md"))
            .unwrap_or_else(|| panic!("{name}: no `see:` line"));
        if let Some(anchor) = see.strip_prefix('#') {
            assert!(
                headings.iter().any(|h| h == anchor),
                "{name}: docs/config.md has no `## {anchor}`"
            );
        }
        n += 1;
    }
    assert!(n >= 45, "only {n} config error snapshots");
}
