//! What a delete did before the split, on a real Rails dump (issue 16, must-show 3).
//!
//! lago-api (`../shared/schemas/real/lago-api.sql`, read from there: its licence is AGPL) with
//! its dunning campaigns split off (`fixtures/lago-restrict/silo-plan.toml`), no export of the
//! models and no `[defaults] on_delete`. Rails's `add_foreign_key` writes NO ACTION: today the
//! database refuses to delete an organization that a dunning campaign references. The plan keeps
//! that: each crossing NO ACTION key becomes a restrict guard, not a replicated `DELETE`, and
//! plan.md names Rails's `dependent:` and `silo-plan export-script rails`. The declared `ON
//! DELETE SET NULL` key is still replicated with tombstones.
//!
//! Snapshots: plan.md's decision list and crossing table, and every `cascades/` file. Then on
//! Postgres: the monolith (the dump as it is) refuses the delete; the split (each silo's
//! `silos/<silo>/schema.sql` and `cascades/<silo>.sql` in a database of its own) runs the guard
//! the plan wrote in the child's silo, which refuses the same delete while a child exists there
//! and lets it through once there is none; an organization without children is deleted at once.

use std::path::Path;

use crate::corpus::{unexpected_errors, Known};
use crate::pg::{self, Cluster};
use crate::util::{plan_files, root};

const CONFIG: &str = "planner/tests/it/fixtures/lago-restrict";

/// The text of `md` from the line `from` up to (not including) the line `to`.
fn section<'a>(md: &'a str, from: &str, to: &str) -> &'a str {
    let start = md
        .find(from)
        .unwrap_or_else(|| panic!("plan.md has {from}"));
    let end = md[start..].find(to).map_or(md.len(), |e| start + e);
    &md[start..end]
}

/// The guard query `cascades/<parent silo>.sql` writes for `constraint`.
fn guard_query(cascades: &str, constraint: &str) -> String {
    let at = cascades
        .find(&format!("-- {constraint}: "))
        .unwrap_or_else(|| panic!("a guard for {constraint}"));
    let line = cascades[at..]
        .lines()
        .find(|l| l.starts_with("--     SELECT 1 FROM"))
        .expect("its query");
    line.trim_start_matches("--").trim().to_string()
}

/// Whether `query` (with `$1`) returns a row for `value` in `db`.
fn returns_row(c: &Cluster, db: &str, query: &str, value: &str) -> bool {
    let out = c.psql(
        db,
        &format!("PREPARE guard AS {query}; EXECUTE guard('{value}');"),
    );
    !out.trim().is_empty()
}

const ORG: &str = "00000000-0000-0000-0000-00000000000a";
const LONE_ORG: &str = "00000000-0000-0000-0000-00000000000b";
const CAMPAIGN: &str = "00000000-0000-0000-0000-0000000000c1";

fn insert_org(id: &str, slug: &str) -> String {
    format!(
        "INSERT INTO public.organizations (id, name, created_at, updated_at, hmac_key, slug) \
         VALUES ('{id}', '{slug}', now(), now(), 'key-{slug}', '{slug}');"
    )
}

fn insert_campaign() -> String {
    format!(
        "INSERT INTO public.dunning_campaigns (id, organization_id, name, code, created_at, \
         updated_at) VALUES ('{CAMPAIGN}', '{ORG}', 'Reminders', 'reminders', now(), now());"
    )
}

fn delete_org(id: &str) -> String {
    format!("DELETE FROM public.organizations WHERE id = '{id}'")
}

#[test]
fn lago_no_action_crossing_is_a_restrict_guard_not_a_cascade() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("plan");
    let files = plan_files(Path::new(CONFIG), &out);

    // plan.md: the framework, what the dump's NO ACTION means for a Rails app, the export.
    let md = &files["plan.md"];
    assert!(
        md.contains("Framework: Rails (told by `table ar_internal_metadata`)"),
        "plan.md names the framework"
    );
    let decisions = section(
        md,
        "## Decisions left to a person",
        "## Cross-silo foreign keys",
    );
    assert!(
        decisions.contains("`dependent:`") && decisions.contains("silo-plan export-script rails"),
        "{decisions}"
    );
    insta::assert_snapshot!("lago_restrict_plan_md_decisions", decisions);
    insta::assert_snapshot!(
        "lago_restrict_plan_md_crossings",
        section(md, "## Cross-silo foreign keys", "## Other couplings")
    );
    for (name, text) in files.iter().filter(|(n, _)| n.starts_with("cascades/")) {
        insta::assert_snapshot!(
            format!("lago_restrict_{}", name.replace(['/', '.'], "_")),
            text
        );
    }

    // plan.json: the NO ACTION key organizations ← dunning_campaigns is restrict, by default,
    // in Rails's words; the declared SET NULL key is the only one replicated.
    let plan: serde_json::Value = serde_json::from_str(&files["plan.json"]).expect("plan.json");
    assert_eq!(plan["framework"]["name"], "rails");
    let crossings = plan["crossings"].as_array().expect("crossings");
    let key = crossings
        .iter()
        .find(|c| c["constraint"] == "fk_rails_6c720a8ccd")
        .expect("dunning_campaigns.organization_id crosses");
    assert_eq!(key["declared_on_delete"], "no-action");
    assert_eq!(key["on_delete"], "restrict");
    assert_eq!(key["decided_by"], "default");
    assert_eq!(key["orm"], "dependent: :restrict_with_error");
    let replicated: Vec<&str> = crossings
        .iter()
        .filter(|c| c["on_delete"] != "restrict")
        .map(|c| c["constraint"].as_str().expect("name"))
        .collect();
    assert_eq!(replicated, ["fk_rails_4aa58496c3"], "only the SET NULL key");
    let tombstoned: Vec<&str> = plan["closures"]
        .as_array()
        .expect("closures")
        .iter()
        .map(|c| c["parent"].as_str().expect("parent"))
        .collect();
    assert_eq!(
        tombstoned,
        ["public.dunning_campaigns"],
        "no tombstones for organizations: no delete of theirs is replicated"
    );

    // Postgres. The monolith: the dump as it is.
    let dump_path = root().join("../shared/schemas/real/lago-api.sql");
    let original = std::fs::read_to_string(&dump_path)
        .unwrap_or_else(|e| panic!("{}: {e}", dump_path.display()));
    let c = Cluster::start();
    let loaded = c.load_dump(
        "monolith",
        "monolith.sql",
        &original,
        &pg::prepare_dump(&original),
    );
    let errors = unexpected_errors(&String::from_utf8_lossy(&loaded.stderr), &Known::default());
    assert!(errors.is_empty(), "lago-api loads: {errors:?}");
    c.psql("monolith", &(insert_org(ORG, "acme") + &insert_campaign()));
    let mut m = c.client("monolith");
    let refused = m
        .execute(delete_org(ORG).as_str(), &[])
        .expect_err("today the database refuses the delete");
    let db_error = refused.as_db_error().expect("a database error");
    assert_eq!(
        (db_error.code(), db_error.constraint()),
        (
            &postgres::error::SqlState::FOREIGN_KEY_VIOLATION,
            Some("fk_rails_6c720a8ccd")
        ),
        "refused by the NO ACTION key: {db_error}"
    );

    // The split: each silo in a database of its own, with its cascades installed.
    for silo in ["billing", "dunning"] {
        c.createdb(silo);
        let schema = &files[&format!("silos/{silo}/schema.sql")];
        let path = c.dir().join(format!("{silo}-schema.sql"));
        std::fs::write(&path, schema).expect("write schema");
        let loaded = c.psql_file(silo, &path);
        let errors = unexpected_errors(&String::from_utf8_lossy(&loaded.stderr), &Known::default());
        assert!(
            errors.is_empty(),
            "silos/{silo}/schema.sql loads: {errors:?}"
        );
        let name = format!("cascades/{silo}.sql");
        pg::run_file(&c, silo, c.dir(), &name, &files[&name]);
    }
    c.psql(
        "billing",
        &(insert_org(ORG, "acme") + &insert_org(LONE_ORG, "lone")),
    );
    c.psql("dunning", &insert_campaign());
    // The guard the plan wrote for the parent's silo, run in the child's silo first.
    let guard = guard_query(&files["cascades/billing.sql"], "fk_rails_6c720a8ccd");
    assert_eq!(
        guard,
        "SELECT 1 FROM public.dunning_campaigns WHERE organization_id = $1 LIMIT 1"
    );
    assert!(
        returns_row(&c, "dunning", &guard, ORG),
        "a campaign in dunning: the guard refuses the delete, as the monolith did"
    );
    assert_eq!(
        c.psql(
            "billing",
            &format!("SELECT count(*) FROM public.organizations WHERE id = '{ORG}'")
        )
        .trim(),
        "1"
    );
    assert!(
        !returns_row(&c, "dunning", &guard, LONE_ORG),
        "no campaign: the guard lets the delete through"
    );
    let mut billing = c.client("billing");
    assert_eq!(
        billing
            .execute(delete_org(LONE_ORG).as_str(), &[])
            .expect("deleted"),
        1
    );
    // Once the child is gone, in both worlds the delete goes through.
    c.psql(
        "dunning",
        &format!("DELETE FROM public.dunning_campaigns WHERE id = '{CAMPAIGN}'"),
    );
    assert!(!returns_row(&c, "dunning", &guard, ORG));
    assert_eq!(
        billing
            .execute(delete_org(ORG).as_str(), &[])
            .expect("deleted"),
        1
    );
    m.execute(
        format!("DELETE FROM public.dunning_campaigns WHERE id = '{CAMPAIGN}'").as_str(),
        &[],
    )
    .expect("campaign deleted");
    assert_eq!(
        m.execute(delete_org(ORG).as_str(), &[]).expect("deleted"),
        1
    );
}
