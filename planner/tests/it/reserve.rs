//! Reservations of keys unique across instances (issue 19, item 1), beyond their DDL
//! (`residency.rs`): the backfill of the values today's rows already hold
//! (`residency/backfill/`), run on Postgres with the example's data.

use std::path::Path;
use std::process::Output;

use crate::pg::{self, Cluster};

/// Runs a generated psql script as a user would (`-v ON_ERROR_STOP=1`), from `cwd`: the
/// backfill's files travel through psql's working directory.
fn psql_in(pg: &Cluster, db: &str, cwd: &Path, script: &Path) -> Output {
    pg.psql_cmd(db)
        .current_dir(cwd)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-f"])
        .arg(script)
        .output()
        .expect("running psql")
}

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `value=instance/owner` of every row of a reservation table, in value order, with its count.
fn held(pg: &Cluster, table: &str) -> String {
    pg.psql(
        "control",
        &format!(
            "SELECT count(*) || ' ' || md5(coalesce(string_agg(value::text || '=' || instance || '/' \
             || owner_id, ',' ORDER BY value), '')) FROM silo_plan.{table}"
        ),
    )
}

/// The same text for today's rows of `table`, as instance `us` holding them.
fn today(pg: &Cluster, table: &str, column: &str) -> String {
    pg.psql(
        "us",
        &format!(
            "SELECT count(*) || ' ' || md5(coalesce(string_agg({column}::text || '=us/' || id, ',' \
             ORDER BY {column}), '')) FROM public.{table}"
        ),
    )
}

/// The backfill on the example: today's database (instance us of region, the example's data)
/// exports every org_organization.slug and .id, org_member.id and proj_project.id with its row;
/// control imports them into the reservation tables. A slug control already holds for de (a
/// conflicting pre-held value) stops the import, naming the value and both holders, and its
/// key registers nothing; a value only de holds is left alone; a value us holds for a row it
/// no longer has is reported (a NOTICE), not released. Once the conflict is released the
/// import registers every value for us; running both steps again changes nothing (not even
/// `reserved_at`).
#[test]
fn backfill_registers_today_s_values_and_refuses_a_value_held_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let (out, files) = crate::util::plan_example(dir.path());
    for f in [
        "residency/backfill/region-export.sql",
        "residency/backfill/control-import.sql",
    ] {
        assert!(files.contains_key(f), "{f}: {:?}", files.keys());
    }
    let export = out.join("residency/backfill/region-export.sql");
    let import = out.join("residency/backfill/control-import.sql");
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();

    let pg = Cluster::start();
    pg.createdb("us");
    pg.createdb("control");
    let dump =
        std::fs::read_to_string(crate::util::root().join("examples/saas/schema.sql")).unwrap();
    pg::run_file(
        &pg,
        "us",
        dir.path(),
        "schema.sql",
        &pg::prepare_dump(&dump),
    );
    pg.client("us")
        .batch_execute(&crate::cascades::data_sql())
        .unwrap();
    ok(
        &pg.psql_file_stop("control", &out.join("residency/control.sql")),
        "residency/control.sql",
    );
    // Held before the backfill: slug-7 by de (org 7 of us has it too), de-only by de alone, and
    // gone by us for a row us no longer has (deleted without a release).
    pg.psql(
        "control",
        "SELECT silo_plan.reserve_org_organization_slug('slug-7', 'de', 9999), \
         silo_plan.reserve_org_organization_slug('de-only', 'de', 9998), \
         silo_plan.reserve_org_organization_slug('gone', 'us', 99999)",
    );

    ok(&psql_in(&pg, "us", &work, &export), "export");
    let o = psql_in(&pg, "control", &work, &import);
    assert!(
        !o.status.success(),
        "the conflicting slug must stop the import"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "ERROR:  value slug-7 of public.org_organization.slug is held by instance de (row \
             9999), and instance us holds it in row 7"
        ),
        "{err}"
    );
    assert_eq!(
        pg.psql(
            "control",
            "SELECT string_agg(value || '=' || instance || '/' || owner_id, ',' ORDER BY value) \
             FROM silo_plan.reservation_org_organization_slug"
        ),
        "de-only=de/9998,gone=us/99999,slug-7=de/9999\n",
        "the refused key registers nothing"
    );

    pg.psql(
        "control",
        "SELECT silo_plan.release_org_organization_slug('slug-7', 'de', 9999)",
    );
    let o = psql_in(&pg, "control", &work, &import);
    ok(&o, "import");
    // The stale reservation is reported, not released.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "NOTICE:  1 value(s) of public.org_organization.slug held by instance us are in none \
             of its rows"
        ),
        "{err}"
    );
    let keys = [
        (
            "reservation_org_organization_slug",
            "org_organization",
            "slug",
        ),
        ("reservation_org_organization_id", "org_organization", "id"),
        ("reservation_org_member_id", "org_member", "id"),
        ("reservation_proj_project_id", "proj_project", "id"),
    ];
    for (res, table, column) in keys {
        let want = if column == "slug" {
            // Today's slugs, and de's own.
            pg.psql(
                "us",
                "SELECT count(*) || ' ' || md5(string_agg(v, ',' ORDER BY k)) FROM (\
                 SELECT slug AS k, slug || '=us/' || id AS v FROM public.org_organization \
                 UNION ALL SELECT 'de-only', 'de-only=de/9998' \
                 UNION ALL SELECT 'gone', 'gone=us/99999') AS x",
            )
        } else {
            today(&pg, table, column)
        };
        assert_eq!(held(&pg, res), want, "{res}");
        assert!(!want.starts_with("0 "), "{table} has rows");
    }

    // Run again: nothing changes, not even when a value was reserved.
    let all = |pg: &Cluster| -> String {
        keys.iter()
            .map(|(res, _, _)| {
                pg.psql(
                    "control",
                    &format!(
                        "SELECT count(*) || ' ' || md5(string_agg(r::text, ',' ORDER BY value)) \
                         FROM silo_plan.{res} AS r"
                    ),
                )
            })
            .collect()
    };
    let before = all(&pg);
    ok(&psql_in(&pg, "us", &work, &export), "export again");
    ok(&psql_in(&pg, "control", &work, &import), "import again");
    assert_eq!(all(&pg), before);
}

/// The generated Python stubs' reservation path against Postgres (must-show 1 of issue 19
/// through the application's code): control holds the registry (`residency/control.sql`);
/// `reserve_org_organization_slug` takes "acme" for us, refuses it for de with the generated
/// message (psycopg's UniqueViolation), `release_org_organization_slug` by de (not the holder)
/// releases nothing, by us releases it, and de can then reserve it. The connection is psycopg's
/// default (not autocommit): what the stubs do is committed, as a second session sees.
const RESERVE_PY: &str = r#"
import json
import sys

import psycopg

import silo_plan_stubs as s

out = {}
with psycopg.connect(sys.argv[1]) as control:
    s.reserve_org_organization_slug(control, "acme", "us", 1)
    s.reserve_org_organization_slug(control, "acme", "us", 1)
    try:
        s.reserve_org_organization_slug(control, "acme", "de", 2)
        out["second"] = "accepted"
    except psycopg.errors.UniqueViolation as e:
        out["second"] = e.diag.message_primary
    out["release_by_de"] = s.release_org_organization_slug(control, "acme", "de", 2)
    out["release_by_us"] = s.release_org_organization_slug(control, "acme", "us", 1)
    s.reserve_org_organization_slug(control, "acme", "de", 2)
    s.reserve_proj_project_id(control, 7, "de", 7)
print(json.dumps(out, sort_keys=True))
"#;

#[test]
fn python_stubs_reserve_and_release_through_the_registry() {
    let py = crate::stubs::python();
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = crate::util::plan_example(dir.path());
    let stubs = out.join("stubs/python");
    let pg = Cluster::start();
    pg.createdb("control");
    ok(
        &pg.psql_file_stop("control", &out.join("residency/control.sql")),
        "residency/control.sql",
    );
    std::fs::write(stubs.join("reserve_driver.py"), RESERVE_PY).unwrap();
    let o = crate::stubs::run(
        std::process::Command::new(py)
            .arg("reserve_driver.py")
            .arg(pg.url("control"))
            .current_dir(&stubs),
        "the Python reservation stubs against Postgres",
        crate::stubs::PY_HINT,
    );
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(
        got,
        serde_json::json!({
            "second": "value acme of public.org_organization.slug is held by instance us",
            "release_by_de": false,
            "release_by_us": true,
        })
    );
    assert_eq!(
        pg.psql(
            "control",
            "SELECT string_agg(value::text || '=' || instance || '/' || owner_id, ',' ORDER BY value) \
             FROM (SELECT value::text, instance, owner_id FROM silo_plan.reservation_org_organization_slug \
             UNION ALL SELECT value::text, instance, owner_id FROM silo_plan.reservation_proj_project_id) AS x"
        ),
        "7=de/7,acme=de/2\n"
    );
}
