//! Derived names stand for one thing each (issue 20, items 1, 9 and 13), on real PostgreSQL.
//!
//! The fixture (written by [`fixture`]): parent tables in silo `control` whose names flatten
//! alike, `a.b_c` and `a_b.c` (one trigger function name `record_a_b_c` if joined by `_`), and
//! `"d.e".f` and `d."e.f"` (one `schema.table` text, `d.e.f`, if written unquoted), each with a
//! child in silo `region` declared `ON DELETE CASCADE`. The parents share their ids, so a
//! tombstone recorded under the wrong table deletes rows that must stay.
//!
//! 1. The replicated cascades delete in region exactly what Postgres's own cascades delete in
//!    the monolith (world M, one database with every key; world S, a database per silo, the
//!    tombstones pumped from control's into region's inbox and applied).
//! 2. `control` runs as instances `us` and `de`: the tombstone source the stubs document for an
//!    instance is the one `cascades/control.replication.sql -v instance=...` writes, and an
//!    instance the config does not list stops that script.
//! 3. Two tables with a foreign key of the same name, only one of which crosses: `fks/drop.sql`
//!    drops that one, `fks/restore.sql` puts it back (it looks for the key on its own table,
//!    not by name alone), and the other is never touched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cascades::{apply_all, checksums};
use crate::pg::{self, run_file, Cluster};
use crate::util::plan_files;

const DUMP: &str = r#"
CREATE SCHEMA a;
CREATE SCHEMA a_b;
CREATE SCHEMA d;
CREATE SCHEMA "d.e";
CREATE TABLE a.b_c (id bigint NOT NULL, label text);
CREATE TABLE a_b.c (id bigint NOT NULL, label text);
CREATE TABLE "d.e".f (id bigint NOT NULL, label text);
CREATE TABLE d."e.f" (id bigint NOT NULL, label text);
CREATE TABLE public.x_child (id bigint NOT NULL, parent_id bigint);
CREATE TABLE public.y_child (id bigint NOT NULL, parent_id bigint);
CREATE TABLE public.z_child (id bigint NOT NULL, parent_id bigint);
CREATE TABLE public.w_child (id bigint NOT NULL, parent_id bigint);
ALTER TABLE ONLY a.b_c ADD CONSTRAINT b_c_pkey PRIMARY KEY (id);
ALTER TABLE ONLY a_b.c ADD CONSTRAINT c_pkey PRIMARY KEY (id);
ALTER TABLE ONLY "d.e".f ADD CONSTRAINT f_pkey PRIMARY KEY (id);
ALTER TABLE ONLY d."e.f" ADD CONSTRAINT "e.f_pkey" PRIMARY KEY (id);
ALTER TABLE ONLY public.x_child ADD CONSTRAINT x_child_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.y_child ADD CONSTRAINT y_child_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.z_child ADD CONSTRAINT z_child_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.w_child ADD CONSTRAINT w_child_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.x_child
    ADD CONSTRAINT x_child_parent_fk FOREIGN KEY (parent_id) REFERENCES a.b_c(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.y_child
    ADD CONSTRAINT y_child_parent_fk FOREIGN KEY (parent_id) REFERENCES a_b.c(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.z_child
    ADD CONSTRAINT z_child_parent_fk FOREIGN KEY (parent_id) REFERENCES "d.e".f(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.w_child
    ADD CONSTRAINT w_child_parent_fk FOREIGN KEY (parent_id) REFERENCES d."e.f"(id) ON DELETE CASCADE;
"#;

const CONFIG: &str = r#"version = 1
schema = ["schema.sql"]

[silos.control]
tables = ["a.*", "a_b.*", "d.*", "d?e.*"]
instances = ["us", "de"]

[silos.region]
tables = ["public.*"]
"#;

/// Every table of the fixture, as SQL.
const TABLES: [&str; 8] = [
    "a.b_c",
    "a_b.c",
    "\"d.e\".f",
    "d.\"e.f\"",
    "public.x_child",
    "public.y_child",
    "public.z_child",
    "public.w_child",
];

/// Six rows in each parent, ids 1 to 6 in all four; two children per parent row.
const ROWS: &str = r#"
INSERT INTO a.b_c SELECT i, 'a.b_c ' || i FROM generate_series(1, 6) AS i;
INSERT INTO a_b.c SELECT i, 'a_b.c ' || i FROM generate_series(1, 6) AS i;
INSERT INTO "d.e".f SELECT i, '"d.e".f ' || i FROM generate_series(1, 6) AS i;
INSERT INTO d."e.f" SELECT i, 'd."e.f" ' || i FROM generate_series(1, 6) AS i;
INSERT INTO public.x_child SELECT i, (i - 1) / 2 + 1 FROM generate_series(1, 12) AS i;
INSERT INTO public.y_child SELECT i, (i - 1) / 2 + 1 FROM generate_series(1, 12) AS i;
INSERT INTO public.z_child SELECT i, (i - 1) / 2 + 1 FROM generate_series(1, 12) AS i;
INSERT INTO public.w_child SELECT i, (i - 1) / 2 + 1 FROM generate_series(1, 12) AS i;
"#;

/// Writes `silo-plan.toml` and `schema.sql` into `dir/in`; returns that directory.
fn fixture(dir: &Path, config: &str, dump: &str) -> PathBuf {
    let d = dir.join("in");
    std::fs::create_dir_all(&d).expect("mkdir");
    std::fs::write(d.join("silo-plan.toml"), config).expect("config");
    std::fs::write(d.join("schema.sql"), dump).expect("dump");
    d
}

fn all_tables() -> Vec<String> {
    TABLES.iter().map(|t| t.to_string()).collect()
}

/// Item 1: deletes on parents whose names flatten alike cascade to their own children only,
/// exactly as Postgres cascades them in the monolith.
#[test]
fn parents_whose_names_flatten_alike_cascade_to_their_own_children() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let files = plan_files(&fixture(d, CONFIG, DUMP), &d.join("plan"));
    let cascades = &files["cascades/control.sql"];
    // One trigger function per parent, each recording its own table.
    for (function, table) in [
        ("silo_plan.record_a_b_c()", "'a.b_c'"),
        ("silo_plan.record_a_b_c_", "'a_b.c'"),
        ("silo_plan.\"record_d.e_f\"()", "'\"d.e\".f'"),
        ("silo_plan.\"record_d_e.f\"()", "'d.\"e.f\"'"),
    ] {
        let at = cascades
            .find(&format!("CREATE OR REPLACE FUNCTION {function}"))
            .unwrap_or_else(|| panic!("no function {function} in\n{cascades}"));
        let body = &cascades[at..at + cascades[at..].find("$silo_plan$;").expect("body end")];
        assert!(
            body.contains(&format!("SELECT {table}, jsonb_build_object")),
            "{function} records {table}:\n{body}"
        );
    }

    let c = Cluster::start();
    // World M: the monolith, every key.
    c.createdb("m");
    run_file(&c, "m", d, "m-schema.sql", &pg::prepare_dump(DUMP));
    let mut m = c.client("m");
    m.batch_execute(ROWS).expect("rows into m");
    // World S: a database per silo, the same rows, the cascades.
    for silo in ["control", "region"] {
        c.createdb(silo);
        let schema = format!("silos/{silo}/schema.sql");
        run_file(&c, silo, d, &format!("{silo}-schema.sql"), &files[&schema]);
    }
    let (mut control, mut region) = (c.client("control"), c.client("region"));
    // The rows of each silo's tables, loaded as pg_dump does (no key checks across the copy).
    for (client, tables) in [(&mut control, &TABLES[..4]), (&mut region, &TABLES[4..])] {
        client
            .batch_execute("SET session_replication_role = replica")
            .expect("replica");
        for stmt in ROWS
            .lines()
            .filter(|l| tables.iter().any(|t| l.contains(&format!("INTO {t} "))))
        {
            client.batch_execute(stmt).expect("rows into S");
        }
        client
            .batch_execute("SET session_replication_role = origin")
            .expect("origin");
    }
    for silo in ["control", "region"] {
        let file = format!("cascades/{silo}.sql");
        run_file(&c, silo, d, &format!("{silo}-cascades.sql"), &files[&file]);
    }
    let world_s = |control: &mut postgres::Client, region: &mut postgres::Client| {
        let mut all = checksums(control, &all_tables()[..4]);
        all.extend(checksums(region, &all_tables()[4..]));
        all
    };
    assert_eq!(
        checksums(&mut m, &all_tables()),
        world_s(&mut control, &mut region),
        "the worlds start equal"
    );

    let mut last = 0i64;
    for delete in [
        "DELETE FROM a.b_c WHERE id IN (1, 2)",
        "DELETE FROM a_b.c WHERE id = 5",
        "DELETE FROM \"d.e\".f WHERE id = 3",
        "DELETE FROM d.\"e.f\" WHERE id IN (4, 6)",
    ] {
        m.batch_execute(delete).expect("delete in M");
        control.batch_execute(delete).expect("delete in control");
        crate::set_columns::pump(&mut control, &mut region, &mut last);
        apply_all(&mut region, 100);
        let want = checksums(&mut m, &all_tables());
        let have = world_s(&mut control, &mut region);
        for t in TABLES {
            assert_eq!(
                have[t], want[t],
                "after `{delete}`: {t} in S (rows, md5) differs from the monolith's"
            );
        }
    }
    // Postgres deleted 2 + 1 + 1 + 2 parents' children, two each: 12 of 48.
    let left: i64 = m
        .query_one(
            "SELECT (SELECT count(*) FROM public.x_child) + (SELECT count(*) FROM public.y_child) \
             + (SELECT count(*) FROM public.z_child) + (SELECT count(*) FROM public.w_child)",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(left, 36);
}

/// The tombstone sources a stub's docs list, per silo: in the paragraph that starts "Silos with
/// several instances", the list after its `):`, each `silo: "s/i", "s/j"` part.
fn documented_sources(stub: &str) -> BTreeMap<String, Vec<String>> {
    let start = stub
        .find("Silos with several instances")
        .unwrap_or_else(|| panic!("no instance docs in\n{stub}"));
    let rest = &stub[start..];
    let para = &rest[..rest.find("\n\n").unwrap_or(rest.len())];
    // The text after the paragraph's last `):`, comment markers removed.
    let text: String = para
        .lines()
        .map(|l| l.trim_start_matches(['/', '#', '!', ' ']))
        .collect::<Vec<_>>()
        .join(" ");
    let list = &text[text.rfind("):").expect("a list after `):`") + 2..];
    // The list ends at its full stop, after the last source's closing quote.
    let list = &list[..list.find("\".").expect("a list ending in `\".`") + 1];
    let mut out = BTreeMap::new();
    for part in list.trim().split(';') {
        let (silo, sources) = part.split_once(':').unwrap_or_else(|| panic!("{part:?}"));
        let quoted: Vec<String> = sources
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        out.insert(silo.trim().to_string(), quoted);
    }
    out
}

/// Item 9: the source the stubs document for an instance is the source the SQL writes for it.
#[test]
fn stubs_document_the_tombstone_source_the_sql_writes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let files = plan_files(&fixture(d, CONFIG, DUMP), &d.join("plan"));
    let stubs = [
        "stubs/python/silo_plan_stubs.py",
        "stubs/typescript/silo_plan_stubs.ts",
        "stubs/go/siloplan/siloplan.go",
        "stubs/rust/src/lib.rs",
        "stubs/ruby/silo_plan_stubs.rb",
    ];
    let documented = documented_sources(&files[stubs[0]]);
    for s in &stubs[1..] {
        assert_eq!(documented_sources(&files[*s]), documented, "{s}");
    }
    let control = &documented["control"];
    assert_eq!(control.len(), 2, "{documented:?}");

    let c = Cluster::start();
    for (instance, want) in [("us", &control[0]), ("de", &control[1])] {
        let db = format!("control_{instance}");
        c.createdb(&db);
        run_file(
            &c,
            &db,
            d,
            &format!("{db}-schema.sql"),
            &files["silos/control/schema.sql"],
        );
        run_file(
            &c,
            &db,
            d,
            &format!("{db}-cascades.sql"),
            &files["cascades/control.sql"],
        );
        let replication = format!(
            "\\set instance {instance}\n{}",
            files["cascades/control.replication.sql"]
        );
        run_file(&c, &db, d, &format!("{db}-replication.sql"), &replication);
        let mut cl = c.client(&db);
        cl.batch_execute("INSERT INTO a.b_c VALUES (1, 'one'); DELETE FROM a.b_c")
            .expect("a delete");
        let sources: Vec<String> = cl
            .query(
                "SELECT DISTINCT source FROM silo_plan.tombstones_control",
                &[],
            )
            .expect("published tombstones")
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(
            &sources,
            std::slice::from_ref(want),
            "instance {instance}: the source the stubs document"
        );
    }
    // An instance the config does not list stops the script before anything is created.
    c.createdb("control_x");
    run_file(
        &c,
        "control_x",
        d,
        "x-schema.sql",
        &files["silos/control/schema.sql"],
    );
    run_file(
        &c,
        "control_x",
        d,
        "x-cascades.sql",
        &files["cascades/control.sql"],
    );
    let path = d.join("x-replication.sql");
    std::fs::write(
        &path,
        format!(
            "\\set instance US\n{}",
            files["cascades/control.replication.sql"]
        ),
    )
    .expect("write");
    let out = c.psql_file("control_x", &path);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not an instance of silo control; use one of us, de"),
        "{err}"
    );
    let published: i64 = c
        .client("control_x")
        .query_one("SELECT count(*) FROM pg_catalog.pg_publication", &[])
        .expect("count")
        .get(0);
    assert_eq!(published, 0, "nothing published under a wrong instance");
}

/// Item 13: a key name on two tables, one key crossing silos: restore re-adds the dropped one
/// although the other table still has a key of that name.
#[test]
fn restore_finds_a_key_by_its_table_and_name() {
    const SAME: &str = r#"
CREATE TABLE public.users (id bigint NOT NULL);
CREATE TABLE public.posts (id bigint NOT NULL, owner_id bigint);
CREATE TABLE public.accounts (id bigint NOT NULL, owner_id bigint);
ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.posts ADD CONSTRAINT posts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.posts
    ADD CONSTRAINT owner_fk FOREIGN KEY (owner_id) REFERENCES public.users(id);
ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT owner_fk FOREIGN KEY (owner_id) REFERENCES public.users(id);
"#;
    const SAME_CONFIG: &str = r#"version = 1
schema = ["schema.sql"]

[silos.control]
tables = ["users", "accounts"]

[silos.region]
tables = ["posts"]

[[edges]]
constraint = "posts.owner_fk"
on_delete = "set-null"
"#;
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let files = plan_files(&fixture(d, SAME_CONFIG, SAME), &d.join("plan"));
    assert!(
        files["cascades/region.sql"].contains("SET owner_id = NULL"),
        "the [[edges]] entry `posts.owner_fk` applies to posts' key"
    );
    let c = Cluster::start();
    c.createdb("m");
    run_file(&c, "m", d, "m-schema.sql", &pg::prepare_dump(SAME));
    let mut m = c.client("m");
    let keys = |m: &mut postgres::Client| -> Vec<(String, String)> {
        m.query(
            "SELECT conrelid::regclass::text, conname::text FROM pg_constraint \
             WHERE contype = 'f' ORDER BY 1, 2",
            &[],
        )
        .expect("keys")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
    };
    let all = vec![
        ("accounts".to_string(), "owner_fk".to_string()),
        ("posts".to_string(), "owner_fk".to_string()),
    ];
    assert_eq!(keys(&mut m), all);
    run_file(&c, "m", d, "drop.sql", &files["fks/drop.sql"]);
    assert_eq!(
        keys(&mut m),
        [("accounts".to_string(), "owner_fk".to_string())],
        "drop.sql drops the crossing key only"
    );
    run_file(&c, "m", d, "restore.sql", &files["fks/restore.sql"]);
    assert_eq!(keys(&mut m), all, "restore.sql re-adds posts' key");
}
