//! Fan-out of tombstones to every instance (issue 19, item 3; must-show 3) on Postgres.
//!
//! A monolith `m` (every foreign key, native `ON DELETE CASCADE` and `SET NULL`) and the split:
//! `control` (users) and the region silo's two instances `us` and `de` (organizations with odd
//! ids in us, even ones in de, with their members, projects and comments), each built from the
//! plan's files (`silos/<silo>/schema.sql`, `cascades/<silo>.sql`,
//! `residency/fanout/control.sql`). Users who are members of organizations in both instances
//! are deleted in control and in m; a pump made of the generated calls (`fanout_batch`, the
//! instance's inbox, `fanout_ack`) delivers control's tombstones to each instance, which
//! applies them. Each instance's rows must then equal m's rows of its organizations, every
//! watermark must have reached the last tombstone, and delivering everything again from a
//! reset watermark changes nothing.

use std::path::Path;

use crate::pg::{self, run_file, Cluster};
use crate::util::plan_files;

const SCHEMA: &str = "\
CREATE TABLE public.users (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.orgs (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.members (id bigint PRIMARY KEY, org_id bigint NOT NULL, user_id bigint NOT NULL);
CREATE TABLE public.projects (id bigint PRIMARY KEY, org_id bigint NOT NULL, owner_id bigint);
CREATE TABLE public.comments (id bigint PRIMARY KEY, member_id bigint NOT NULL,
    project_id bigint NOT NULL);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT members_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.members
    ADD CONSTRAINT members_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES public.users(id) ON DELETE SET NULL;
ALTER TABLE ONLY public.comments
    ADD CONSTRAINT comments_member_id_fkey FOREIGN KEY (member_id) REFERENCES public.members(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.comments
    ADD CONSTRAINT comments_project_id_fkey FOREIGN KEY (project_id) REFERENCES public.projects(id) ON DELETE CASCADE;
";

const CONFIG: &str = "\
version = 1
schema = [\"schema.sql\"]
origin = \"region\"

[silos.control]
tables = [\"users\"]

[silos.region]
tables = [\"orgs\", \"members\", \"projects\", \"comments\"]
instances = [\"us\", \"de\"]
tenant = \"orgs\"
";

const DATA: &str = "\
INSERT INTO public.users SELECT g, 'u' || g FROM generate_series(1, 20) AS g;
INSERT INTO public.orgs SELECT g, 'o' || g FROM generate_series(1, 10) AS g;
INSERT INTO public.members
SELECT row_number() OVER (ORDER BY o, u), o, u
  FROM generate_series(1, 10) AS o, generate_series(1, 20) AS u
 WHERE (u + o) % 3 = 0;
INSERT INTO public.projects
SELECT (o - 1) * 3 + p, o, (o * 3 + p) % 20 + 1 FROM generate_series(1, 10) AS o, generate_series(1, 3) AS p;
INSERT INTO public.comments
SELECT row_number() OVER (ORDER BY m.id, p.id), m.id, p.id
  FROM public.members AS m JOIN public.projects AS p ON p.org_id = m.org_id
 WHERE (m.id + p.id) % 2 = 0;
";

/// Each region table and the query selecting an instance's rows of it in the monolith
/// (`{r}`: 1 for us, 0 for de).
const REGION: [(&str, &str); 4] = [
    ("orgs", "SELECT * FROM public.orgs WHERE id % 2 = {r}"),
    (
        "members",
        "SELECT * FROM public.members WHERE org_id % 2 = {r}",
    ),
    (
        "projects",
        "SELECT * FROM public.projects WHERE org_id % 2 = {r}",
    ),
    (
        "comments",
        "SELECT c.* FROM public.comments AS c JOIN public.projects AS p ON p.id = c.project_id \
         WHERE p.org_id % 2 = {r}",
    ),
];

const INSTANCES: [(&str, &str); 2] = [("us", "1"), ("de", "0")];

fn copy(from: &mut postgres::Client, to: &mut postgres::Client, query: &str, table: &str) {
    let mut data = Vec::new();
    std::io::Read::read_to_end(
        &mut from
            .copy_out(format!("COPY ({query}) TO STDOUT").as_str())
            .unwrap(),
        &mut data,
    )
    .unwrap();
    let mut w = to
        .copy_in(format!("COPY public.{table} FROM STDIN").as_str())
        .unwrap();
    std::io::Write::write_all(&mut w, &data).unwrap();
    w.finish().unwrap();
}

/// Row count and md5 of the rows in id order.
fn digest(c: &mut postgres::Client, query: &str) -> (i64, String) {
    let r = c
        .query_one(
            &format!(
                "SELECT count(*), coalesce(md5(string_agg(t::text, ',' ORDER BY t.id)), '') \
                 FROM ({query}) AS t"
            ),
            &[],
        )
        .unwrap();
    (r.get(0), r.get(1))
}

/// Delivers control's tombstones to one instance, two at a time, through the generated calls;
/// the number delivered.
fn pump(control: &mut postgres::Client, instance: &mut postgres::Client, name: &str) -> usize {
    let mut total = 0;
    loop {
        let mut tx = control.transaction().unwrap();
        let rows = tx
            .query(
                "SELECT source, id, table_name, key::text, deleted_at::text \
                 FROM silo_plan.fanout_batch('region', $1, 2)",
                &[&name],
            )
            .unwrap();
        tx.commit().unwrap();
        let Some(last) = rows.last().map(|r| r.get::<_, i64>(1)) else {
            return total;
        };
        let mut tx = instance.transaction().unwrap();
        for r in &rows {
            tx.execute(
                "INSERT INTO silo_plan.inbox (source, id, table_name, key, deleted_at) \
                 VALUES ($1, $2, $3, $4::text::jsonb, $5::text::timestamptz) ON CONFLICT DO NOTHING",
                &[
                    &r.get::<_, String>(0),
                    &r.get::<_, i64>(1),
                    &r.get::<_, String>(2),
                    &r.get::<_, String>(3),
                    &r.get::<_, String>(4),
                ],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        let mark: i64 = control
            .query_one(
                "SELECT silo_plan.fanout_ack('region', $1, $2)",
                &[&name, &last],
            )
            .unwrap()
            .get(0);
        assert_eq!(mark, last);
        total += rows.len();
    }
}

fn compare(m: &mut postgres::Client, pg: &Cluster, what: &str) -> usize {
    let mut changed = 0;
    for (db, r) in INSTANCES {
        let mut c = pg.client(db);
        for (table, q) in REGION {
            let want = digest(m, &q.replace("{r}", r));
            let have = digest(&mut c, &format!("SELECT * FROM public.{table}"));
            assert_eq!(have, want, "{what}: {table} in {db}");
            changed += usize::from(want.0 > 0);
        }
    }
    changed
}

fn install(pg: &Cluster, dir: &Path, files: &std::collections::BTreeMap<String, String>) {
    for (db, silo) in [("control", "control"), ("us", "region"), ("de", "region")] {
        pg::load_silo(pg, files, silo, db, dir);
        run_file(
            pg,
            db,
            dir,
            "cascades.sql",
            &files[&format!("cascades/{silo}.sql")],
        );
    }
    for _ in 0..2 {
        run_file(
            pg,
            "control",
            dir,
            "fanout.sql",
            &files["residency/fanout/control.sql"],
        );
    }
}

fn apply_all(c: &mut postgres::Client) -> i64 {
    crate::cascades::apply_all(c, 100)
}

/// Must-show 3: users deleted in control; the tombstones reach us and de, each applies them,
/// and each instance's rows equal what the monolith's native cascade leaves of its
/// organizations.
#[test]
fn user_deleted_in_control_cascades_in_us_and_de_as_in_a_monolith() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.sql"), SCHEMA).unwrap();
    std::fs::write(dir.path().join("silo-plan.toml"), CONFIG).unwrap();
    let out = dir.path().join("plan");
    let files = plan_files(&dir.path().join("silo-plan.toml"), &out);
    assert!(
        files.contains_key("residency/fanout/control.sql"),
        "{:?}",
        files.keys()
    );
    let md = &files["plan.md"];
    assert!(
        md.contains("## Tombstones fanned out to every instance")
            && md.contains("| control | `residency/fanout/control.sql` | region: us, de |"),
        "{md}"
    );

    let pg = Cluster::start();
    pg.createdb("m");
    run_file(&pg, "m", dir.path(), "schema.sql", SCHEMA);
    let mut m = pg.client("m");
    m.batch_execute(DATA).unwrap();
    install(&pg, dir.path(), &files);
    {
        let mut control = pg.client("control");
        copy(&mut m, &mut control, "SELECT * FROM public.users", "users");
        for (db, r) in INSTANCES {
            let mut c = pg.client(db);
            for (table, q) in REGION {
                copy(&mut m, &mut c, &q.replace("{r}", r), table);
            }
        }
    }
    compare(&mut m, &pg, "before");
    let before: Vec<(i64, String)> = INSTANCES
        .iter()
        .map(|(db, _)| digest(&mut pg.client(db), "SELECT * FROM public.members"))
        .collect();

    // Users 3 and 7 are members of organizations in both instances and own projects in both.
    let deletes = "DELETE FROM public.users WHERE id IN (3, 7)";
    for id in [3i64, 7] {
        let orgs: Vec<i64> = m
            .query(
                "SELECT DISTINCT org_id % 2 FROM public.members WHERE user_id = $1",
                &[&id],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(orgs.len(), 2, "user {id} is in both instances");
    }
    m.batch_execute(deletes).unwrap();
    let mut control = pg.client("control");
    control.batch_execute(deletes).unwrap();
    let tombstones: i64 = control
        .query_one("SELECT count(*) FROM silo_plan.tombstones", &[])
        .unwrap()
        .get(0);
    assert!(tombstones >= 2, "{tombstones}");

    for (db, _) in INSTANCES {
        let mut c = pg.client(db);
        let n = pump(&mut control, &mut c, db);
        assert_eq!(n as i64, tombstones, "{db} receives every tombstone");
        assert!(apply_all(&mut c) > 0, "{db} applies them");
    }
    compare(&mut m, &pg, "after");
    for (i, (db, _)) in INSTANCES.iter().enumerate() {
        let now = digest(&mut pg.client(db), "SELECT * FROM public.members");
        assert!(
            now.0 < before[i].0,
            "members of the users were deleted in {db}"
        );
    }
    let marks = control
        .query(
            "SELECT instance, last_id, pending FROM silo_plan.tombstone_fanout ORDER BY instance",
            &[],
        )
        .unwrap();
    let last: i64 = control
        .query_one("SELECT max(id) FROM silo_plan.tombstones", &[])
        .unwrap()
        .get(0);
    assert_eq!(marks.len(), 2);
    for r in &marks {
        assert_eq!(r.get::<_, i64>(1), last, "{}", r.get::<_, String>(0));
        assert_eq!(r.get::<_, i64>(2), 0);
    }

    // Delivered and applied again from reset watermarks: nothing changes.
    control
        .batch_execute("UPDATE silo_plan.tombstone_watermark SET last_id = 0")
        .unwrap();
    for (db, _) in INSTANCES {
        let mut c = pg.client(db);
        assert_eq!(pump(&mut control, &mut c, db) as i64, tombstones);
        c.batch_execute("UPDATE silo_plan.watermarks SET last_id = 0")
            .unwrap();
        apply_all(&mut c);
    }
    compare(&mut m, &pg, "again");

    // An instance the silo does not list has no watermark.
    let e = control
        .query(
            "SELECT * FROM silo_plan.fanout_batch('region', 'eu', 10)",
            &[],
        )
        .expect_err("eu is not an instance of region");
    let message = e.as_db_error().map(|d| d.message().to_string());
    assert_eq!(
        message.as_deref(),
        Some("no tombstone watermark for instance eu of silo region: run residency/fanout/control.sql again after adding it")
    );
}
