//! ID spaces of a multi-instance silo (issue 19, item 2; must-show 2) on Postgres, on
//! examples/saas with `id_space` set for the region silo (instances us and de):
//!
//! * `ranges`: us (the first instance, today's rows) and de, each the region silo's schema in
//!   its own database, run `residency/id-space/region/<instance>.sql` (twice: idempotent);
//!   then 10,000 inserts per instance into every sequence-backed table: the union of the ids
//!   of both instances has no duplicate, each id lies in its instance's range. The guard
//!   refuses, naming the sequence and the maximum, an origin whose ids are past its range and a
//!   second instance already holding an id at its range's start.
//! * `instance-column`: control's database runs `residency/id-space/region/control.sql`: every
//!   reference from control into region then names its instance (backfilled to us), a new
//!   reference without one, or with an instance the silo does not list, is refused.
//! * `snowflake`: on a small dump of bigint ids, 10,000 inserts per instance never collide, and
//!   an integer id column is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use silo_plan::catalog::{Catalog, QName};
use silo_plan::config::IdSpace;
use silo_plan::ident::{ident, qualified};
use silo_plan::idspace::IdSpacePlan;

use crate::pg::{self, Cluster};
use crate::util::{analysis, plan_files, root};

/// examples/saas copied into `dir` with `id_space = "<scheme>"` for the region silo.
fn saas_with(dir: &Path, scheme: &str) -> PathBuf {
    let src = root().join("examples/saas");
    std::fs::copy(src.join("schema.sql"), dir.join("schema.sql")).unwrap();
    let config = std::fs::read_to_string(src.join("silo-plan.toml")).unwrap();
    // The example sets `id_space = "ranges"`: this test sets the scheme it checks.
    let config = config.replacen(
        "id_space = \"ranges\"",
        &format!("id_space = \"{scheme}\""),
        1,
    );
    assert!(config.contains(&format!("id_space = \"{scheme}\"")));
    std::fs::write(dir.join("silo-plan.toml"), config).unwrap();
    dir.join("silo-plan.toml")
}

/// A value of type `ty` for row `g` (a SQL expression over `g`), distinct per row where the
/// type allows, so unique keys hold.
fn value(ty: &str) -> String {
    let t = ty.to_ascii_lowercase();
    if t.ends_with("[]") {
        format!("'{{}}'::{t}")
    } else if t.starts_with("character") || t == "text" {
        format!("md5(g::text)::{t}")
    } else if matches!(
        t.as_str(),
        "bigint" | "integer" | "smallint" | "double precision" | "numeric" | "real"
    ) {
        format!("g::{t}")
    } else if t == "boolean" {
        "false".into()
    } else if t.starts_with("timestamp") || t == "date" {
        format!("now()::{t}")
    } else if t == "jsonb" || t == "json" {
        format!("'{{}}'::{t}")
    } else if t == "uuid" {
        "gen_random_uuid()".into()
    } else {
        panic!("no test value for type {ty}")
    }
}

/// `INSERT INTO t (...) SELECT ... FROM generate_series(from, to) AS g`: every NOT NULL column
/// without a default gets [`value`], the columns of `set` their expression, the id its default.
fn fill(cat: &Catalog, t: &QName, from: i64, to: i64, set: &[(&str, String)]) -> String {
    let table = cat.table(t).unwrap();
    let mut cols = Vec::new();
    let mut vals = Vec::new();
    for c in &table.columns {
        if let Some((_, e)) = set.iter().find(|(n, _)| *n == c.name) {
            cols.push(ident(&c.name));
            vals.push(e.clone());
        } else if c.not_null && c.default.is_none() && c.identity.is_none() && c.generated.is_none()
        {
            cols.push(ident(&c.name));
            vals.push(value(&c.data_type));
        }
    }
    // Columns the dump does not have (added by the plan).
    for (n, e) in set {
        if !table.columns.iter().any(|c| c.name == *n) {
            cols.push(ident(n));
            vals.push(e.clone());
        }
    }
    format!(
        "INSERT INTO {} ({}) SELECT {} FROM generate_series({from}, {to}) AS g",
        qualified(t),
        cols.join(", "),
        vals.join(", ")
    )
}

fn id_space(config: &Path) -> (silo_plan::analysis::Analysis, IdSpacePlan) {
    let a = analysis(config);
    let mut p = silo_plan::idspace::build(&a.input());
    assert_eq!(p.len(), 1, "{p:#?}");
    let p = p.remove(0);
    (a, p)
}

fn run_twice(pg: &Cluster, db: &str, path: &Path) {
    for _ in 0..2 {
        let o = pg.psql_file_stop(db, path);
        assert!(
            o.status.success(),
            "{} on {db}: {}",
            path.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("ERROR"), "{err}");
    }
}

/// The ids of every sequence-backed column, by column, in `db`.
fn ids(c: &mut postgres::Client, p: &IdSpacePlan) -> BTreeMap<String, Vec<i64>> {
    let mut out = BTreeMap::new();
    for q in &p.sequences {
        for col in &q.columns {
            let rows = c
                .query(
                    &format!(
                        "SELECT {}::bigint FROM {}",
                        ident(&col.column),
                        qualified(&col.table)
                    ),
                    &[],
                )
                .unwrap();
            out.insert(
                format!("{}.{}", col.table, col.column),
                rows.iter().map(|r| r.get::<_, i64>(0)).collect(),
            );
        }
    }
    out
}

/// Must-show 2 (ranges): after the id-space migration, 10,000 inserts per instance into every
/// sequence-backed table of the region silo never collide across us and de.
#[test]
fn ranges_keep_ids_of_us_and_de_apart() {
    let dir = tempfile::tempdir().unwrap();
    let config = saas_with(dir.path(), "ranges");
    let out = dir.path().join("plan");
    let files = plan_files(&config, &out);
    let (a, p) = id_space(&config);
    assert_eq!(p.scheme, IdSpace::Ranges);
    assert!(p.sequences.len() >= 20, "{:#?}", p.sequences);
    assert!(
        p.sequences.iter().any(|q| q.identity) && p.sequences.iter().any(|q| !q.identity),
        "identity columns and serial sequences both"
    );
    assert!(p.sequences.iter().any(|q| q.data_type == "integer"));
    for f in [
        "residency/id-space/region/us.sql",
        "residency/id-space/region/de.sql",
    ] {
        assert!(files.contains_key(f), "{:?}", files.keys());
    }
    let md = &files["plan.md"];
    assert!(md.contains("## ID space of silo region: ranges"), "{md}");

    let pg = Cluster::start();
    for db in ["us", "de"] {
        pg::load_silo(&pg, &files, "region", db, dir.path());
    }
    // Today's rows are in us (the first instance): 100 per table.
    let mut us = pg.client("us");
    us.batch_execute("SET session_replication_role = replica")
        .unwrap();
    for q in &p.sequences {
        for c in &q.columns {
            us.batch_execute(&fill(&a.cat, &c.table, 1, 100, &[]))
                .unwrap();
        }
    }
    for db in ["us", "de"] {
        run_twice(
            &pg,
            db,
            &out.join(format!("residency/id-space/region/{db}.sql")),
        );
    }
    // 10,000 inserts per instance and table, ids from the column defaults.
    let mut all: BTreeMap<String, BTreeMap<String, Vec<i64>>> = BTreeMap::new();
    for db in ["us", "de"] {
        let mut c = pg.client(db);
        c.batch_execute("SET session_replication_role = replica")
            .unwrap();
        for q in &p.sequences {
            for col in &q.columns {
                c.batch_execute(&fill(&a.cat, &col.table, 1001, 11_000, &[]))
                    .unwrap_or_else(|e| panic!("{} in {db}: {e}", col.table));
            }
        }
        all.insert(db.to_string(), ids(&mut c, &p));
        // Run again once the instance has its ids: every sequence is in its range already.
        run_twice(
            &pg,
            db,
            &out.join(format!("residency/id-space/region/{db}.sql")),
        );
    }
    let mut checked = 0;
    for q in &p.sequences {
        for col in &q.columns {
            let key = format!("{}.{}", col.table, col.column);
            let mut seen: BTreeSet<i64> = BTreeSet::new();
            for (db, expect) in [("us", 10_100usize), ("de", 10_000)] {
                let v = &all[db][&key];
                assert_eq!(v.len(), expect, "{key} in {db}");
                let r = q.ranges.iter().find(|r| r.instance == db).unwrap();
                for id in v {
                    assert!(
                        (r.start..=r.end).contains(id),
                        "{key}: id {id} of {db} outside {}..={}",
                        r.start,
                        r.end
                    );
                    assert!(seen.insert(*id), "{key}: id {id} twice across us and de");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        p.sequences.iter().map(|q| q.columns.len()).sum::<usize>()
    );

    // The guard: a second instance already holding an id at its range's start.
    let team = p
        .sequences
        .iter()
        .find(|q| q.sequence.name == "org_team_id_seq")
        .unwrap();
    let de_start = team.ranges[1].start;
    pg::load_silo(&pg, &files, "region", "de2", dir.path());
    let mut de2 = pg.client("de2");
    de2.batch_execute("SET session_replication_role = replica")
        .unwrap();
    de2.batch_execute(&fill(
        &a.cat,
        &QName::new("public", "org_team"),
        1,
        1,
        &[("id", format!("{de_start}"))],
    ))
    .unwrap();
    let o = pg.psql_file_stop("de2", &out.join("residency/id-space/region/de.sql"));
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "id space of instance de: sequence public.org_team_id_seq (public.org_team.id) would restart at {de_start} but max(id) is {de_start}"
        )),
        "{err}"
    );
    assert_eq!(
        pg.psql(
            "de2",
            "SELECT seqmin FROM pg_sequence WHERE seqrelid = 'public.org_team_id_seq'::regclass"
        ),
        "1\n",
        "the refused sequence is unchanged"
    );
    // The origin with an id past the end of its range (an integer column: 1,073,741,823).
    let env = p
        .sequences
        .iter()
        .find(|q| q.sequence.name == "proj_environment_id_seq")
        .unwrap();
    assert_eq!(env.data_type, "integer");
    let past = env.ranges[0].end + 1;
    pg::load_silo(&pg, &files, "region", "us2", dir.path());
    let mut us2 = pg.client("us2");
    us2.batch_execute("SET session_replication_role = replica")
        .unwrap();
    us2.batch_execute(&fill(
        &a.cat,
        &QName::new("public", "proj_environment"),
        1,
        1,
        &[("id", format!("{past}"))],
    ))
    .unwrap();
    let o = pg.psql_file_stop("us2", &out.join("residency/id-space/region/us.sql"));
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "id space of instance us: sequence public.proj_environment_id_seq (public.proj_environment.id) is past the end {} of its range: max(id) {past}",
            env.ranges[0].end
        )),
        "{err}"
    );
}

/// Must-show 2 (instance-column): every reference from control into region names its
/// instance after the migration, and a new one must.
#[test]
fn instance_column_names_the_instance_of_every_reference_from_control() {
    let dir = tempfile::tempdir().unwrap();
    let config = saas_with(dir.path(), "instance-column");
    let out = dir.path().join("plan");
    let files = plan_files(&config, &out);
    let (a, p) = id_space(&config);
    assert_eq!(p.scheme, IdSpace::InstanceColumn);
    assert!(
        p.references.len() >= 5 && p.references.iter().all(|r| r.silo == "control"),
        "{:#?}",
        p.references
    );
    let file = "residency/id-space/region/control.sql";
    assert!(files.contains_key(file), "{:?}", files.keys());
    assert!(!files.contains_key("residency/id-space/region/us.sql"));
    let pg = Cluster::start();
    pg::load_silo(&pg, &files, "control", "control", dir.path());
    let mut c = pg.client("control");
    c.batch_execute("SET session_replication_role = replica")
        .unwrap();
    // Today's rows: half of each table's references set, half NULL where the column allows it.
    let mut tables: Vec<&QName> = p.references.iter().map(|r| &r.table).collect();
    tables.dedup();
    for t in &tables {
        let set: Vec<(&str, String)> = p
            .references
            .iter()
            .filter(|r| r.table == **t)
            .flat_map(|r| r.columns.iter())
            .map(|col| {
                let nullable = !a
                    .cat
                    .table(t)
                    .unwrap()
                    .columns
                    .iter()
                    .any(|x| x.name == *col && x.not_null);
                let e = if nullable {
                    "CASE WHEN g % 2 = 0 THEN NULL ELSE g END".to_string()
                } else {
                    "g".to_string()
                };
                (col.as_str(), e)
            })
            .collect();
        c.batch_execute(&fill(&a.cat, t, 1, 200, &set))
            .unwrap_or_else(|e| panic!("{t}: {e}"));
    }
    run_twice(&pg, "control", &out.join(file));
    let mut c = pg.client("control");
    for r in &p.references {
        let t = qualified(&r.table);
        let ic = ident(&r.instance_column);
        let set: Vec<String> = r
            .columns
            .iter()
            .map(|x| format!("{} IS NOT NULL", ident(x)))
            .collect();
        let counts = c
            .query_one(
                &format!(
                    "SELECT count(*) FILTER (WHERE {ic} = 'us'), \
                     count(*) FILTER (WHERE {ic} IS DISTINCT FROM 'us') \
                     FROM {t} WHERE {}",
                    set.join(" AND ")
                ),
                &[],
            )
            .unwrap();
        let (us, other): (i64, i64) = (counts.get(0), counts.get(1));
        assert!(us >= 100, "{t}.{ic}: {us}");
        assert_eq!(other, 0, "{t}: every reference names its instance");
        // The index exists and is valid.
        let valid: bool = c
            .query_one(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)",
                &[&format!("{}.{}", ident(&r.table.schema), ident(&r.index))],
            )
            .unwrap()
            .get(0);
        assert!(valid, "{}", r.index);
    }
    // A new reference must name an instance of the silo.
    let r = p
        .references
        .iter()
        .find(|r| r.table.name == "org_organizationmapping")
        .unwrap();
    let insert = |instance: Option<&str>, g: i64| {
        let mut set = vec![(r.columns[0].as_str(), "g".to_string())];
        set.push((
            r.instance_column.as_str(),
            instance.map_or("NULL".to_string(), |i| format!("'{i}'")),
        ));
        fill(&a.cat, &r.table, g, g, &set)
    };
    c.batch_execute("SET session_replication_role = replica")
        .unwrap();
    c.batch_execute(&insert(Some("de"), 1001))
        .expect("a reference to de");
    for (bad, g) in [(None, 1002), (Some("eu"), 1003)] {
        let e = c.batch_execute(&insert(bad, g)).expect_err("refused");
        assert_eq!(
            e.code(),
            Some(&postgres::error::SqlState::CHECK_VIOLATION),
            "{e}"
        );
    }
}

/// Snowflake ids: a small dump of bigint ids in two instances; 10,000 inserts per instance
/// and table never collide, and the ids carry the instance's number. An integer id column is
/// refused by the guard.
#[test]
fn snowflake_ids_carry_the_instance() {
    let dir = tempfile::tempdir().unwrap();
    let schema = "\
CREATE TABLE public.users (id bigint PRIMARY KEY);
CREATE TABLE public.orgs (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE SEQUENCE public.projects_id_seq;
CREATE TABLE public.projects (id bigint DEFAULT nextval('public.projects_id_seq') PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES public.orgs(id));
ALTER SEQUENCE public.projects_id_seq OWNED BY public.projects.id;
CREATE SEQUENCE public.small_id_seq AS integer;
CREATE TABLE public.small (id integer DEFAULT nextval('public.small_id_seq') PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES public.orgs(id));
";
    std::fs::write(dir.path().join("schema.sql"), schema).unwrap();
    let config = dir.path().join("silo-plan.toml");
    std::fs::write(
        &config,
        "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
         [silos.control]\ntables = [\"users\"]\n\n\
         [silos.region]\ntables = [\"orgs\", \"projects\", \"small\"]\n\
         instances = [\"us\", \"de\"]\nid_space = \"snowflake\"\n",
    )
    .unwrap();
    let out = dir.path().join("plan");
    let files = plan_files(&config, &out);
    let (_, p) = id_space(&config);
    assert_eq!(p.sequences.len(), 3, "{:#?}", p.sequences);
    let pg = Cluster::start();
    // The integer column is refused until it is widened.
    let mut seen: BTreeSet<i64> = BTreeSet::new();
    for (n, db) in ["us", "de"].iter().enumerate() {
        pg::load_silo(&pg, &files, "region", db, dir.path());
        let path = out.join(format!("residency/id-space/region/{db}.sql"));
        let o = pg.psql_file_stop(db, &path);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!(
                "id space of instance {db}: column public.small.id is not bigint"
            )),
            "{err}"
        );
        pg.psql(db, "ALTER TABLE public.small ALTER COLUMN id TYPE bigint");
        run_twice(&pg, db, &path);
        let mut c = pg.client(db);
        c.batch_execute(
            "INSERT INTO public.orgs (name) SELECT g::text FROM generate_series(1, 10000) AS g;
             INSERT INTO public.projects (org_id) SELECT id FROM public.orgs;
             INSERT INTO public.small (org_id) SELECT id FROM public.orgs;",
        )
        .unwrap();
        // Run again once ids exist: done, nothing refused.
        run_twice(&pg, db, &path);
        for t in ["orgs", "projects", "small"] {
            let rows = c.query(&format!("SELECT id FROM public.{t}"), &[]).unwrap();
            assert_eq!(rows.len(), 10_000);
            for r in rows {
                let id: i64 = r.get(0);
                assert_eq!(
                    (id >> 12) & 1023,
                    n as i64,
                    "{t}: {id} carries instance {n}"
                );
                assert!(seen.insert(id), "{t}: id {id} twice");
            }
        }
    }
}
