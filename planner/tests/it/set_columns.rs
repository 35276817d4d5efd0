//! Postgres 15's `ON DELETE SET NULL (cols)` / `SET DEFAULT (cols)` on real PostgreSQL.
//!
//! Fixture `fixtures/set_columns/`: `source.sql` (hand-written, keys inside `CREATE TABLE`, so
//! read through sqlparser) and `schema.sql` (pg_dump 15's output after loading it: keys as
//! `ALTER TABLE ONLY ... ADD CONSTRAINT`, read by the recognizer), split control (tenants,
//! users) / region (posts, comments). Shown here:
//! 1. each dump, loaded into Postgres, gives `pg_constraint.confdelsetcols` equal to the catalog's
//!    `on_delete_columns` for every key (and the same delete action);
//! 2. `fks/drop.sql` then `fks/restore.sql` give back every key with the identical
//!    `pg_get_constraintdef` and validation (and again when both are run twice);
//! 3. each silo's `schema.sql` on an empty database recreates its in-silo keys with the
//!    identical definition;
//! 4. the crossing keys replicated through `cascades/*.sql` (control's tombstones pumped into
//!    region's inbox, `silo_plan.apply`) change exactly the rows and columns Postgres's own keys
//!    change in the monolith: only the listed column is nulled / defaulted, the other key column
//!    keeps its value, and a key without a list nulls both;
//! 5. plan.md, plan.json, the stubs' comments, `explain` and `check` show the list with the
//!    action.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use silo_plan::source::SourceFile;

use crate::pg::{self, run_file, Cluster};
use crate::util::{plan_files, root};

const CONTROL: [&str; 2] = ["tenants", "users"];
const REGION: [&str; 2] = ["posts", "comments"];
/// The keys that cross region → control (fixtures/set_columns/silo-plan.toml).
const CROSSING: [&str; 3] = [
    "comments_author_fkey",
    "posts_Editor_fkey",
    "posts_author_fkey",
];

fn fixture() -> PathBuf {
    root().join("planner/tests/it/fixtures/set_columns")
}

/// `(table, constraint)`.
type Key = (String, String);

/// Every foreign key of schema public: `(table, constraint)` → (`confdeltype`, the
/// `confdelsetcols` column names in order, `pg_get_constraintdef`, `convalidated`).
fn keys(c: &mut postgres::Client) -> BTreeMap<Key, (String, Vec<String>, String, bool)> {
    c.query(
        "SELECT t.relname::text, con.conname::text, con.confdeltype::text, \
                ARRAY(SELECT a.attname::text \
                        FROM unnest(con.confdelsetcols) WITH ORDINALITY AS k(attnum, ord) \
                        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
                       ORDER BY k.ord), \
                pg_get_constraintdef(con.oid), con.convalidated \
           FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid \
           JOIN pg_namespace n ON n.oid = t.relnamespace \
          WHERE con.contype = 'f' AND n.nspname = 'public'",
        &[],
    )
    .expect("querying pg_constraint")
    .iter()
    .map(|r| {
        (
            (r.get(0), r.get(1)),
            (r.get(2), r.get(3), r.get(4), r.get(5)),
        )
    })
    .collect()
}

/// Loads `file` of the fixture into a new database `db` and checks that silo-plan's catalog of
/// the same file has, for every key, the delete action and column list Postgres has.
fn load_and_compare_catalog(cluster: &Cluster, dir: &Path, db: &str, file: &str) {
    let path = fixture().join(file);
    let text = std::fs::read_to_string(&path).expect("fixture");
    cluster.createdb(db);
    run_file(cluster, db, dir, file, &pg::prepare_dump(&text));
    let cat = silo_plan::dump::read(
        &[SourceFile::load(&path).expect("loads")],
        &Default::default(),
    );
    assert!(cat.unparsed.is_empty(), "{file}: {:?}", cat.unparsed);
    let have: BTreeMap<Key, (String, Vec<String>)> = cat
        .foreign_keys
        .iter()
        .map(|f| {
            let t = match f.on_delete {
                silo_plan::catalog::FkAction::NoAction => "a",
                silo_plan::catalog::FkAction::Restrict => "r",
                silo_plan::catalog::FkAction::Cascade => "c",
                silo_plan::catalog::FkAction::SetNull => "n",
                silo_plan::catalog::FkAction::SetDefault => "d",
            };
            (
                (f.table.name.clone(), f.name.clone()),
                (t.to_string(), f.on_delete_columns.clone()),
            )
        })
        .collect();
    let want: BTreeMap<Key, (String, Vec<String>)> = keys(&mut cluster.client(db))
        .into_iter()
        .map(|(k, (t, cols, _, _))| (k, (t, cols)))
        .collect();
    assert_eq!(
        have, want,
        "{file}: catalog vs pg_constraint.confdelsetcols"
    );
    let listed = want.values().filter(|(_, c)| !c.is_empty()).count();
    assert_eq!(listed, 5, "{file}: the fixture has five keys with a list");
}

#[test]
fn set_column_lists_read_and_restored_as_declared() {
    let cluster = Cluster::start();
    let dir = tempfile::tempdir().expect("tempdir");
    load_and_compare_catalog(&cluster, dir.path(), "src", "source.sql");
    load_and_compare_catalog(&cluster, dir.path(), "orig", "schema.sql");

    let files = plan_files(&fixture(), &dir.path().join("plan"));
    let mut c = cluster.client("orig");
    let before = keys(&mut c);
    for round in 1..=2 {
        run_file(
            &cluster,
            "orig",
            dir.path(),
            "fks/drop.sql",
            &files["fks/drop.sql"],
        );
        let dropped = keys(&mut c);
        let gone: Vec<&str> = before
            .keys()
            .filter(|k| !dropped.contains_key(*k))
            .map(|k| k.1.as_str())
            .collect();
        assert_eq!(
            gone, CROSSING,
            "round {round}: drop.sql drops the crossings"
        );
        run_file(
            &cluster,
            "orig",
            dir.path(),
            "fks/restore.sql",
            &files["fks/restore.sql"],
        );
        assert_eq!(
            keys(&mut c),
            before,
            "round {round}: restore.sql gives back the identical keys"
        );
    }
    // What restore.sql recreated, spelled out for the reader of this test.
    let def = &before[&("posts".to_string(), "posts_author_fkey".to_string())].2;
    assert!(def.ends_with("ON DELETE SET NULL (author_id)"), "{def}");
}

/// Every row of each table, as text, sorted.
pub(crate) fn rows(c: &mut postgres::Client, tables: &[&str]) -> BTreeMap<String, String> {
    tables
        .iter()
        .map(|t| {
            let text: String = c
                .query_one(
                    format!(
                        "SELECT coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '') \
                         FROM public.{t} AS r"
                    )
                    .as_str(),
                    &[],
                )
                .expect("rows")
                .get(0);
            (t.to_string(), text)
        })
        .collect()
}

/// Moves control's new tombstones into region's inbox (what the stubs' pump does); returns
/// how many.
pub(crate) fn pump(
    from: &mut postgres::Client,
    to: &mut postgres::Client,
    last: &mut i64,
) -> usize {
    let rows = from
        .query(
            "SELECT id, table_name, key::text, deleted_at::text FROM silo_plan.tombstones \
             WHERE id > $1 ORDER BY id",
            &[&*last],
        )
        .expect("read tombstones");
    for r in &rows {
        let (id, table, key, at): (i64, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        to.execute(
            "INSERT INTO silo_plan.inbox (source, id, table_name, key, deleted_at) \
             VALUES ('control', $1, $2, $3::text::jsonb, $4::text::timestamptz) ON CONFLICT DO NOTHING",
            &[&id, &table, &key, &at],
        )
        .expect("insert into inbox");
        *last = id;
    }
    rows.len()
}

/// Calls `silo_plan.apply` until it has nothing left; the (tombstone, edge) pairs applied.
pub(crate) fn apply_all(c: &mut postgres::Client) -> i64 {
    let mut total = 0;
    loop {
        let n: i32 = c
            .query_one("SELECT silo_plan.apply(100)", &[])
            .expect("apply")
            .get(0);
        if n == 0 {
            return total;
        }
        total += i64::from(n);
    }
}

const CONTROL_ROWS: &str = "\
INSERT INTO public.tenants VALUES (1, 'one'), (2, 'two');
INSERT INTO public.users (tenant_id, id, manager_id, name) VALUES
    (1, 0, NULL, 'nobody'), (1, 1, NULL, 'ann'), (1, 2, 1, 'bob'), (1, 3, 2, 'cy'),
    (2, 0, NULL, 'nobody'), (2, 1, NULL, 'dee'), (2, 2, 1, 'eve'), (2, 3, 2, 'fay');
";

// Tenant 2's posts have no "Editor": deleting tenant 2 removes its user 0 too, and SET DEFAULT
// would then point at a missing row (Postgres refuses that in the monolith).
const REGION_ROWS: &str = "\
INSERT INTO public.posts (tenant_id, id, author_id, \"Editor\", body) VALUES
    (1, 0, NULL, 0, 'pinned default'), (1, 1, 2, 2, 'p1'), (1, 2, 2, 1, 'p2'),
    (1, 3, 1, 2, 'p3'), (1, 4, 3, 3, 'p4'), (1, 5, NULL, DEFAULT, 'p5'),
    (2, 0, NULL, NULL, 'pinned default'), (2, 1, 2, NULL, 'q1'), (2, 2, 3, NULL, 'q2');
INSERT INTO public.comments
    (tenant_id, id, post_id, pinned_post_id, author_tenant_id, author_id, body) VALUES
    (1, 1, 1, 1, 1, 2, 'c1'), (1, 2, 1, 2, 1, 3, 'c2'), (1, 3, 2, 0, 2, 2, 'c3'),
    (2, 1, 1, 1, 2, 2, 'd1'), (2, 2, 2, NULL, 1, 2, 'd2');
";

#[test]
fn set_column_lists_in_silo_schemas_and_replicated_cascades() {
    let cluster = Cluster::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let files = plan_files(&fixture(), &d.join("plan"));

    // World M: the monolith with every key.
    let dump = std::fs::read_to_string(fixture().join("schema.sql")).expect("fixture");
    cluster.createdb("m");
    run_file(&cluster, "m", d, "schema.sql", &pg::prepare_dump(&dump));
    let mut m = cluster.client("m");
    let original = keys(&mut m);

    // Each silo's schema.sql: its in-silo keys, identical.
    for (silo, tables) in [("control", CONTROL), ("region", REGION)] {
        cluster.createdb(silo);
        let file = format!("silos/{silo}/schema.sql");
        run_file(&cluster, silo, d, &file, &files[&file]);
        let want: BTreeMap<Key, (String, Vec<String>, String, bool)> = original
            .iter()
            .filter(|(k, _)| tables.contains(&k.0.as_str()) && !CROSSING.contains(&k.1.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(want.len(), 2, "{silo}: two in-silo keys");
        assert_eq!(keys(&mut cluster.client(silo)), want, "{file}");
    }
    // The silo schemas must not carry the crossings (only comments naming them).
    assert!(files["silos/region/schema.sql"].contains(
        "its ON DELETE SET NULL (author_id) (declared) is replicated by cascades/region.sql"
    ));

    // World S: control and region databases with the same rows and the cascades.
    let mut control = cluster.client("control");
    let mut region = cluster.client("region");
    m.batch_execute(CONTROL_ROWS).expect("rows into m");
    m.batch_execute(REGION_ROWS).expect("rows into m");
    control
        .batch_execute(CONTROL_ROWS)
        .expect("rows into control");
    region.batch_execute(REGION_ROWS).expect("rows into region");
    for silo in ["control", "region"] {
        let file = format!("cascades/{silo}.sql");
        run_file(&cluster, silo, d, &file, &files[&file]);
    }
    let all: Vec<&str> = CONTROL.iter().chain(REGION.iter()).copied().collect();
    let world_s = |control: &mut postgres::Client, region: &mut postgres::Client| {
        let mut r = rows(control, &CONTROL);
        r.extend(rows(region, &REGION));
        r
    };
    assert_eq!(rows(&mut m, &all), world_s(&mut control, &mut region));

    let mut last = 0i64;
    // Round 1: user (1, 2) goes. Postgres in M nulls posts.author_id (tenant_id stays), sets
    // posts."Editor" to its default, nulls both columns of comments' plain SET NULL key.
    let delete_user = "DELETE FROM public.users WHERE (tenant_id, id) = (1, 2)";
    m.batch_execute(delete_user).expect("delete in m");
    control
        .batch_execute(delete_user)
        .expect("delete in control");
    let pumped = pump(&mut control, &mut region, &mut last);
    assert_eq!(pumped, 1, "one tombstone for one deleted user");
    let applied = apply_all(&mut region);
    assert_eq!(
        applied, 3,
        "the tombstone is applied on each of the three edges"
    );
    let s = world_s(&mut control, &mut region);
    assert_eq!(rows(&mut m, &all), s, "round 1: world S equals world M");
    let post = |c: &mut postgres::Client, t: i32, id: i32| -> (i32, Option<i32>, Option<i32>) {
        let r = c
            .query_one(
                "SELECT tenant_id, author_id, \"Editor\" FROM public.posts \
                 WHERE (tenant_id, id) = ($1, $2)",
                &[&t, &id],
            )
            .expect("post");
        (r.get(0), r.get(1), r.get(2))
    };
    // Only the listed column changed; the tenant column and tenant 2's user 2 are untouched.
    assert_eq!(post(&mut region, 1, 1), (1, None, Some(0)));
    assert_eq!(post(&mut region, 1, 2), (1, None, Some(1)));
    assert_eq!(post(&mut region, 1, 3), (1, Some(1), Some(0)));
    assert_eq!(post(&mut region, 2, 1), (2, Some(2), None));
    let comment: (Option<i32>, Option<i32>) = {
        let r = region
            .query_one(
                "SELECT author_tenant_id, author_id FROM public.comments \
                 WHERE (tenant_id, id) = (2, 2)",
                &[],
            )
            .expect("comment");
        (r.get(0), r.get(1))
    };
    assert_eq!(
        comment,
        (None, None),
        "a key without a list nulls all its columns"
    );

    // Round 2: an in-silo delete in region (Postgres's own SET NULL (post_id) / SET DEFAULT
    // (pinned_post_id) in both worlds) and tenant 2, whose users go by an in-silo cascade whose
    // deletes the tombstone trigger sees too.
    for (sql, s_side) in [
        (
            "DELETE FROM public.posts WHERE (tenant_id, id) = (1, 1)",
            &mut region,
        ),
        ("DELETE FROM public.tenants WHERE id = 2", &mut control),
    ] {
        m.batch_execute(sql).expect("delete in m");
        s_side.batch_execute(sql).expect("delete in s");
    }
    let pumped = pump(&mut control, &mut region, &mut last);
    assert_eq!(pumped, 4, "tenant 2's four users");
    assert!(apply_all(&mut region) > 0);
    assert_eq!(
        rows(&mut m, &all),
        world_s(&mut control, &mut region),
        "round 2: world S equals world M"
    );
    assert_eq!(post(&mut region, 2, 1), (2, None, None));

    // Applying the same tombstones again changes nothing.
    region
        .batch_execute("UPDATE silo_plan.watermarks SET last_id = 0")
        .expect("rewind");
    let before = world_s(&mut control, &mut region);
    apply_all(&mut region);
    assert_eq!(world_s(&mut control, &mut region), before, "replay");
}

/// Where the plan shows the action to a person, the list is part of it: plan.md's crossings,
/// plan.json, the stubs' handler comments, `explain`. (The SQL files are run above.)
#[test]
fn set_column_lists_shown_where_the_action_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = plan_files(&fixture(), &dir.path().join("plan"));
    let md = &files["plan.md"];
    let row = md
        .lines()
        .find(|l| l.starts_with("| `posts_author_fkey`"))
        .expect("plan.md lists the crossing");
    assert!(
        row.contains("| set-null (author_id) | set-null (author_id) |")
            && row.contains("region sets only author_id to NULL in batches"),
        "{row}"
    );
    let json: serde_json::Value = serde_json::from_str(&files["plan.json"]).expect("json");
    let crossing = json["crossings"]
        .as_array()
        .expect("crossings")
        .iter()
        .find(|c| c["constraint"] == "posts_Editor_fkey")
        .expect("in plan.json");
    assert_eq!(
        crossing["declared_on_delete_columns"],
        serde_json::json!(["Editor"])
    );
    assert_eq!(crossing["set_columns"], serde_json::json!(["Editor"]));
    let plain = json["crossings"]
        .as_array()
        .expect("crossings")
        .iter()
        .find(|c| c["constraint"] == "comments_author_fkey")
        .expect("in plan.json");
    assert!(plain.get("set_columns").is_none(), "{plain}");
    assert!(files["stubs/python/silo_plan_stubs.py"].contains(
        "public.posts(tenant_id, author_id) in region, via posts_author_fkey: sets only author_id to NULL"
    ));
    let o = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .args(["explain", "users"])
        .arg(fixture())
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&o.stdout);
    for line in [
        "  users_manager_fkey (tenant_id, manager_id) → public.users(tenant_id, id) [control] on delete set-null (manager_id)",
        "  public.posts(tenant_id, Editor) [region] via posts_Editor_fkey on delete set-default (Editor)  ✗ crosses silos",
        "  └ sets NULL in public.posts(author_id) [region] via posts_author_fkey (declared)  ✗ crosses control → region",
        "  └ sets NULL in public.comments(author_tenant_id, author_id) [region] via comments_author_fkey (declared)  ✗ crosses control → region",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    let o = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .arg("check")
        .arg(fixture())
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("help: on delete: set-null (author_id) (declared);"),
        "{text}"
    );
}
