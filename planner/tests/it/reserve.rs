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

/// The registry releases what the application forgot (issue 19 item 1, "what keeps it in
/// step"): control holds the reservations (`residency/control.sql`) and applies region's
/// tombstones (`cascades/control.sql`); instance us records them (`cascades/region.sql`).
/// Organizations 1 ("acme") and 2 ("beta") of us and their ids are reserved for us; de holds
/// "delta" and "epsilon" for its own rows 1 and 2 (ids collide across instances), and us's org 3
/// ("gamma") stays. us deletes 1 and 2 and never calls release: the tombstone of 1 reaches
/// control's inbox as a pump stores it (source region/us), that of 2 the table logical
/// replication fills (as the replication worker stores a row). `silo_plan.apply()` then
/// releases us's values of 1 and 2 and nothing of de's or of 3; applying again changes nothing,
/// and neither does a replay of every tombstone from reset watermarks. A tombstone whose source
/// names no instance (`region`) releases the origin instance's (us) values of its row.
#[test]
fn tombstones_release_what_the_application_forgot_in_their_instance_only() {
    let dir = tempfile::tempdir().unwrap();
    let files = crate::util::plan_files(Path::new("examples/saas"), &dir.path().join("plan"));
    let pg = Cluster::start();
    for (db, silo) in [("control", "control"), ("us", "region")] {
        pg::load_silo(&pg, &files, silo, db, dir.path());
        pg::run_file(
            &pg,
            db,
            dir.path(),
            "cascades.sql",
            &files[&format!("cascades/{silo}.sql")],
        );
    }
    pg::run_file(
        &pg,
        "control",
        dir.path(),
        "residency.sql",
        &files["residency/control.sql"],
    );
    let mut us = pg.client("us");
    let mut control = pg.client("control");
    us.batch_execute(
        "INSERT INTO public.org_organization (id, name, slug, status, default_role, flags, date_added) \
         VALUES (1, 'Acme', 'acme', 0, 'member', 0, now()), (2, 'Beta', 'beta', 0, 'member', 0, now()), \
                (3, 'Gamma', 'gamma', 0, 'member', 0, now())",
    )
    .unwrap();
    control
        .batch_execute(
            "SELECT silo_plan.reserve_org_organization_slug('acme', 'us', 1), \
                    silo_plan.reserve_org_organization_slug('beta', 'us', 2), \
                    silo_plan.reserve_org_organization_slug('gamma', 'us', 3), \
                    silo_plan.reserve_org_organization_slug('delta', 'de', 1), \
                    silo_plan.reserve_org_organization_slug('epsilon', 'de', 2), \
                    silo_plan.reserve_org_organization_id(1, 'us', 1), \
                    silo_plan.reserve_org_organization_id(2, 'us', 2), \
                    silo_plan.reserve_org_organization_id(3, 'us', 3), \
                    silo_plan.reserve_org_organization_id(101, 'de', 101)",
        )
        .unwrap();
    // The application deletes and forgets to release.
    us.batch_execute("DELETE FROM public.org_organization WHERE id = 1")
        .unwrap();
    us.batch_execute("DELETE FROM public.org_organization WHERE id = 2")
        .unwrap();
    let tombstones = us
        .query(
            "SELECT id, table_name, key::text, deleted_at::text FROM silo_plan.tombstones \
             WHERE table_name = 'public.org_organization' ORDER BY id",
            &[],
        )
        .unwrap();
    assert_eq!(
        tombstones.len(),
        2,
        "one tombstone per deleted organization"
    );
    let deliver = |control: &mut postgres::Client| {
        // Org 1 by the pump: into the inbox, as the stubs' pump stores a batch.
        let t = &tombstones[0];
        control
            .execute(
                "INSERT INTO silo_plan.inbox (source, id, table_name, key, deleted_at) \
                 VALUES ('region/us', $1, $2, $3::text::jsonb, $4::text::timestamptz) \
                 ON CONFLICT DO NOTHING",
                &[
                    &t.get::<_, i64>(0),
                    &t.get::<_, String>(1),
                    &t.get::<_, String>(2),
                    &t.get::<_, String>(3),
                ],
            )
            .unwrap();
        // Org 2 by logical replication: the publisher's columns only, session role replica.
        let t = &tombstones[1];
        let mut tx = control.transaction().unwrap();
        tx.batch_execute("SET LOCAL session_replication_role = replica")
            .unwrap();
        tx.execute(
            "INSERT INTO silo_plan.tombstones_region (source, id, table_name, key, deleted_at) \
             VALUES ('region/us', $1, $2, $3::text::jsonb, $4::text::timestamptz)",
            &[
                &t.get::<_, i64>(0),
                &t.get::<_, String>(1),
                &t.get::<_, String>(2),
                &t.get::<_, String>(3),
            ],
        )
        .unwrap();
        tx.commit().unwrap();
    };
    let reserved = |control: &mut postgres::Client| -> String {
        control
            .query_one(
                "SELECT string_agg(v, ',' ORDER BY v) FROM (\
                 SELECT 'slug:' || value || '=' || instance || '/' || owner_id AS v \
                   FROM silo_plan.reservation_org_organization_slug \
                 UNION ALL SELECT 'id:' || value || '=' || instance || '/' || owner_id \
                   FROM silo_plan.reservation_org_organization_id) AS x",
                &[],
            )
            .unwrap()
            .get(0)
    };
    let before = reserved(&mut control);
    deliver(&mut control);
    let applied = crate::cascades::apply_all(&mut control, 100);
    assert!(applied > 0, "the tombstones were applied");
    let after = reserved(&mut control);
    assert_eq!(
        after, "id:101=de/101,id:3=us/3,slug:delta=de/1,slug:epsilon=de/2,slug:gamma=us/3",
        "released us's values of orgs 1 and 2 (before: {before})"
    );
    // Every release watermark reached its tombstone.
    let marks: Vec<(String, String, i64)> = control
        .query(
            "SELECT 'inbox', edge, last_id FROM silo_plan.watermarks \
              WHERE source = 'region/us' AND edge LIKE 'silo\\_plan.reservation\\_org\\_organization\\_%' \
             UNION ALL SELECT 'replicated', edge, last_id FROM silo_plan.received_watermarks \
              WHERE source = 'region/us' AND edge LIKE 'silo\\_plan.reservation\\_org\\_organization\\_%' \
             ORDER BY 1, 2",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let (one, two): (i64, i64) = (tombstones[0].get(0), tombstones[1].get(0));
    assert_eq!(
        marks,
        vec![
            (
                "inbox".to_string(),
                "silo_plan.reservation_org_organization_id".to_string(),
                one
            ),
            (
                "inbox".to_string(),
                "silo_plan.reservation_org_organization_slug".to_string(),
                one
            ),
            (
                "replicated".to_string(),
                "silo_plan.reservation_org_organization_id".to_string(),
                two
            ),
            (
                "replicated".to_string(),
                "silo_plan.reservation_org_organization_slug".to_string(),
                two
            ),
        ]
    );

    // Again: nothing to apply, nothing changes.
    assert_eq!(crate::cascades::apply_all(&mut control, 100), 0);
    assert_eq!(reserved(&mut control), after);
    // us reserves "acme" again for a new row 4; a redelivery of every tombstone (the inbox
    // stores each once; replication stores the row again) and a replay from reset watermarks
    // release nothing else.
    control
        .batch_execute("SELECT silo_plan.reserve_org_organization_slug('acme', 'us', 4)")
        .unwrap();
    let held = reserved(&mut control);
    deliver(&mut control);
    control
        .batch_execute(
            "UPDATE silo_plan.watermarks SET last_id = 0; \
             UPDATE silo_plan.received_watermarks SET last_xid = 0, last_id = 0",
        )
        .unwrap();
    assert!(crate::cascades::apply_all(&mut control, 100) > 0);
    assert_eq!(reserved(&mut control), held);
    assert!(held.contains("slug:acme=us/4"), "{held}");

    // A source that names no instance (the whole silo in one database: cascades/region.replication.sql
    // run without -v instance) is the origin instance, us: org 3's tombstone releases us's values
    // of row 3 only.
    us.batch_execute("DELETE FROM public.org_organization WHERE id = 3")
        .unwrap();
    let t = us
        .query_one(
            "SELECT id, table_name, key::text, deleted_at::text FROM silo_plan.tombstones \
             WHERE table_name = 'public.org_organization' AND key = '{\"id\": 3}'",
            &[],
        )
        .unwrap();
    control
        .execute(
            "INSERT INTO silo_plan.inbox (source, id, table_name, key, deleted_at) \
             VALUES ('region', $1, $2, $3::text::jsonb, $4::text::timestamptz)",
            &[
                &t.get::<_, i64>(0),
                &t.get::<_, String>(1),
                &t.get::<_, String>(2),
                &t.get::<_, String>(3),
            ],
        )
        .unwrap();
    assert!(crate::cascades::apply_all(&mut control, 100) > 0);
    assert_eq!(
        reserved(&mut control),
        "id:101=de/101,slug:acme=us/4,slug:delta=de/1,slug:epsilon=de/2"
    );
}
