//! A silo that runs as several instances, through the phases (issue 19 item 6): examples/saas
//! with region's `origin_instance = "de"` is split through `phases/run.sh` 01 to 08 (ORIGIN becomes de),
//! then `phases/run.sh instance region us` makes a fresh database the new instance us: the
//! schema, no rows, its sequences in us's id range (an insert in us gets an id in us's range, in
//! de in de's, no collision); a second run changes nothing; an organization then moves de → us
//! with `silo-plan relocate` (ids in us's range, nothing left in de). Without `id_space` the
//! script refuses to finish and `check` warns (SP020).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::pg::Cluster;
use crate::phases::{
    load_saas, ok, run_phase, run_phases, saas_data, two_cluster_env, BEFORE_CUTOVER,
};
use crate::util::{plan_files, root, silo_plan};

/// examples/saas as a config in `dir` (the dump read in place), with `edit` applied to its text.
fn saas_config(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let config = std::fs::read_to_string(root().join("examples/saas/silo-plan.toml"))
        .unwrap()
        .replace(
            "schema = [\"schema.sql\"]",
            &format!(
                "schema = [{:?}]",
                root()
                    .join("examples/saas/schema.sql")
                    .display()
                    .to_string()
            ),
        );
    let config = edit(config);
    let path = dir.join("silo-plan.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// Each region sequence's range per instance, from plan.json: sequence → instance → (start, end).
fn ranges(plan_json: &str) -> BTreeMap<String, BTreeMap<String, (i64, i64)>> {
    let v: serde_json::Value = serde_json::from_str(plan_json).unwrap();
    let p = v["id_spaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["silo"] == "region")
        .expect("region's id space in plan.json");
    assert_eq!(p["origin_instance"], "de");
    let mut out = BTreeMap::new();
    for q in p["sequences"].as_array().unwrap() {
        let col = &q["columns"][0];
        let key = format!(
            "{}.{}",
            col["table"].as_str().unwrap(),
            col["column"].as_str().unwrap()
        );
        let mut per = BTreeMap::new();
        for r in q["ranges"].as_array().unwrap() {
            per.insert(
                r["instance"].as_str().unwrap().to_string(),
                (r["start"].as_i64().unwrap(), r["end"].as_i64().unwrap()),
            );
        }
        out.insert(key, per);
    }
    out
}

/// `(min, max)` of the sequence behind `table.column` in database `db`.
fn bounds(c: &mut postgres::Client, table_column: &str) -> (i64, i64) {
    let (table, column) = table_column.rsplit_once('.').unwrap();
    let row = c
        .query_one(
            "SELECT seqmin, seqmax FROM pg_sequence WHERE seqrelid = pg_get_serial_sequence($1, $2)::regclass",
            &[&table, &column],
        )
        .unwrap_or_else(|e| panic!("{table_column}: {e}"));
    (row.get(0), row.get(1))
}

/// What a rerun must leave as it is: the relations of `public` and `silo_plan` with their kind,
/// every sequence's bounds and last value, every table's row count, the ready mark.
fn state(c: &mut postgres::Client) -> String {
    let mut out = String::new();
    for r in c
        .query(
            "SELECT c.oid::regclass::text, c.relkind::text,
                    coalesce(s.seqmin::text || '..' || s.seqmax::text || ' ' || coalesce(q.last_value::text, '-'), '')
               FROM pg_class c
               LEFT JOIN pg_sequence s ON s.seqrelid = c.oid
               LEFT JOIN pg_sequences q ON q.schemaname = c.relnamespace::regnamespace::text AND q.sequencename = c.relname
              WHERE c.relnamespace IN ('public'::regnamespace, 'silo_plan'::regnamespace)
              ORDER BY 1",
            &[],
        )
        .unwrap()
    {
        let (name, kind, seq): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        out.push_str(&format!("{name} {kind} {seq}"));
        if kind == "r" || kind == "p" {
            let n: i64 = c
                .query_one(&format!("SELECT count(*) FROM {name}"), &[])
                .unwrap()
                .get(0);
            out.push_str(&format!(" rows={n}"));
        }
        out.push('\n');
    }
    for r in c
        .query(
            "SELECT silo, instance, ready_at::text FROM silo_plan.instance_ready ORDER BY 1, 2",
            &[],
        )
        .unwrap()
    {
        let (s, i, at): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        out.push_str(&format!("ready {s} {i} {at}\n"));
    }
    out
}

fn insert_org(c: &mut postgres::Client, slug: &str) -> i64 {
    c.query_one(
        "INSERT INTO org_organization (name, slug, status, date_added, default_role, flags)
         VALUES ($1, $1, 0, now(), 'member', 0) RETURNING id",
        &[&slug],
    )
    .unwrap_or_else(|e| panic!("insert {slug}: {e}"))
    .get(0)
}

#[test]
fn new_instance_starts_empty_in_its_id_space_after_the_split() {
    let dir = tempfile::tempdir().unwrap();
    let config = saas_config(dir.path(), |c| {
        // lock-writes: the example's view org_member_directory_v (stays) reads a moved table,
        // which `drop` refuses to break.
        let c = c
            .replace("origin_instance = \"us\"", "origin_instance = \"de\"")
            .replace(
                "origin = \"region\"",
                "origin = \"region\"\ncleanup = \"lock-writes\"",
            );
        assert!(c.contains("origin_instance = \"de\"") && c.contains("lock-writes"));
        c
    });
    let out = dir.path().join("plan");
    let files = plan_files(&config, &out);
    assert!(
        files.contains_key("phases/instances/region/us.sql")
            && !files.contains_key("phases/instances/region/de.sql"),
        "one script, for the instance that is not the origin: {:?}",
        files.keys().filter(|k| k.starts_with("phases/"))
    );
    let ranges = ranges(&files["plan.json"]);
    assert!(ranges.len() > 20, "{ranges:?}");
    for (seq, per) in &ranges {
        assert_eq!(
            per["de"].0, 1,
            "{seq}: the origin instance's range holds today's ids"
        );
    }

    // The split: ORIGIN (region, which becomes instance de) and control, through 08-truncate.
    let o = Cluster::builder().wal_level_logical().start();
    let t = Cluster::builder().wal_level_logical().start();
    load_saas(&o, "origin", dir.path());
    t.createdb("control");
    o.client("origin")
        .batch_execute(&saas_data(200, 20))
        .unwrap();
    let mut env = two_cluster_env(&o, &t, dir.path());
    env.push(("CONFIRM", "drop-moved-tables".to_string()));
    run_phases(&out, &BEFORE_CUTOVER, &env);
    run_phases(&out, &["06-cutover", "07-cleanup", "08-truncate"], &env);
    // ORIGIN is instance de: its sequences bounded to de's range, as the runbook says.
    let origin_file = out.join("residency/id-space/region/de.sql");
    for _ in 0..2 {
        let r = o.psql_file_stop("origin", &origin_file);
        ok(&r, "residency/id-space/region/de.sql on ORIGIN");
    }

    // The new instance us, on a fresh database of the second server.
    t.createdb("us");
    let mut inst = env.clone();
    inst.push(("INSTANCE_URL", t.url("us")));
    let wrong = run_phase(&out, "instance", &inst);
    assert!(!wrong.status.success(), "no silo and instance named");
    let cmd_args = |extra: &[&str]| {
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(out.join("phases/run.sh")).args(extra);
        for v in ["PGDATABASE", "PGUSER", "PGHOST", "PGPORT", "PGOPTIONS"] {
            cmd.env_remove(v);
        }
        for (k, v) in &inst {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let first = cmd_args(&["instance", "region", "us"]);
    ok(&first, "run.sh instance region us");
    let mut us = t.client("us");
    let before = state(&mut us);
    let again = cmd_args(&["instance", "region", "us"]);
    ok(&again, "run.sh instance region us, again");
    assert_eq!(state(&mut us), before, "a second run changes nothing");
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("already loaded"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );

    // Every table of region is there and empty; the instance is recorded ready.
    let region_tables = files["silos/region/schema.sql"]
        .lines()
        .filter(|l| l.starts_with("CREATE TABLE public."))
        .count();
    assert!(region_tables >= 27, "{region_tables}");
    assert!(
        before.contains("ready region us "),
        "recorded ready:\n{before}"
    );
    for line in before.lines().filter(|l| l.starts_with("public.")) {
        if line.contains(" rows=") && !line.starts_with("public.django_") {
            assert!(
                line.ends_with(" rows=0"),
                "no rows in a new instance: {line}"
            );
        }
    }

    // Every sequence of us is in us's range; ORIGIN's (de) in de's.
    let mut de = o.client("origin");
    for (col, per) in &ranges {
        assert_eq!(bounds(&mut us, col), per["us"], "{col} in us");
        assert_eq!(bounds(&mut de, col).1, per["de"].1, "{col} in de (ORIGIN)");
    }
    // An insert in each instance: ids in their own ranges, no collision.
    let org = &ranges["public.org_organization.id"];
    let id_us = insert_org(&mut us, "new-in-us");
    let id_de = insert_org(&mut de, "new-in-de");
    assert!(
        (org["us"].0..=org["us"].1).contains(&id_us),
        "{id_us} in us's range {:?}",
        org["us"]
    );
    assert!(
        (org["de"].0..=org["de"].1).contains(&id_de),
        "{id_de} in de's range {:?}",
        org["de"]
    );
    assert_ne!(id_us, id_de);
    // Once the instance takes writes, a run checks the rest and still passes.
    ok(
        &cmd_args(&["instance", "region", "us"]),
        "run.sh instance region us after a write",
    );

    // A tenant moves from de (ORIGIN) to the new instance us with `silo-plan relocate`: its
    // organization and teams get ids in us's range, and nothing of it is left in de.
    let moved = dir.path().join("relocation");
    let r = silo_plan(
        root(),
        [
            "relocate".as_ref(),
            config.as_os_str(),
            "--tenant-id".as_ref(),
            "3".as_ref(),
            "--from".as_ref(),
            "de".as_ref(),
            "--to".as_ref(),
            "us".as_ref(),
            "--out".as_ref(),
            moved.as_os_str(),
        ],
    );
    ok(&r, "silo-plan relocate");
    let teams_before: i64 = de
        .query_one(
            "SELECT count(*) FROM org_team WHERE organization_id = 3",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(teams_before > 0);
    let slug: String = de
        .query_one("SELECT slug FROM org_organization WHERE id = 3", &[])
        .unwrap()
        .get(0);
    for _ in 0..2 {
        let o = std::process::Command::new("bash")
            .arg(moved.join("relocate.sh"))
            .env("SOURCE_URL", o.url("origin"))
            .env("TARGET_URL", t.url("us"))
            .env("CONTROL_URL", t.url("control"))
            .env("PSQL", t.bin("psql"))
            .output()
            .unwrap();
        ok(&o, "relocate.sh de → us");
    }
    let left: i64 = de
        .query_one(
            "SELECT (SELECT count(*) FROM org_organization WHERE id = 3)
                  + (SELECT count(*) FROM org_team WHERE organization_id = 3)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "nothing of organization 3 is left in de");
    let row = us
        .query_one(
            "SELECT o.id, (SELECT count(*) FROM org_team t WHERE t.organization_id = o.id)
               FROM org_organization o WHERE o.slug = $1",
            &[&slug],
        )
        .unwrap();
    let (new_id, teams): (i64, i64) = (row.get(0), row.get(1));
    assert!(
        (org["us"].0..=org["us"].1).contains(&new_id),
        "{new_id} in us's range"
    );
    assert_eq!(teams, teams_before, "its teams moved with it");
}

/// Without `id_space`, the new instance's script loads the schema and then refuses, naming the
/// fix; `check` warns SP020 at the silo, and not once `id_space` is set.
#[test]
fn without_id_space_the_new_instance_refuses_and_check_warns() {
    let dir = tempfile::tempdir().unwrap();
    let config = saas_config(dir.path(), |c| {
        let c = c.replace("id_space = \"ranges\"", "");
        assert!(!c.contains("id_space"));
        c
    });
    let json = |config: &Path| {
        let o = silo_plan(
            root(),
            ["check", "--format", "json", config.to_str().unwrap()],
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "SP020")
            .cloned()
            .collect::<Vec<_>>()
    };
    let found = json(&config);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["object"], "region");
    assert_eq!(found[0]["severity"], "warning");
    assert_eq!(found[0]["location"]["line"], 24, "at [silos.region]");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains("silo region runs as 2 instances (us, de) and sets no id_space"),
        "{message}"
    );

    let out = dir.path().join("plan");
    let files = plan_files(&config, &out);
    assert!(files["phases/instances/region/de.sql"].contains("sets no id_space"));
    let t = Cluster::start();
    t.createdb("de");
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(out.join("phases/run.sh"))
        .args(["instance", "region", "de"])
        .env("INSTANCE_URL", t.url("de"));
    for v in ["PGDATABASE", "PGUSER", "PGHOST", "PGPORT", "PGOPTIONS"] {
        cmd.env_remove(v);
    }
    let o = cmd.output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("silo-plan: silo region sets no id_space")
            && err.contains("Set id_space in [silos.region]"),
        "{err}"
    );
    assert_eq!(
        t.psql(
            "de",
            "SELECT to_regclass('silo_plan.instance_ready') IS NULL"
        )
        .trim(),
        "t",
        "not recorded ready"
    );

    // The example as shipped sets id_space: no SP020.
    let other = tempfile::tempdir().unwrap();
    let shipped = saas_config(other.path(), |c| c);
    assert!(json(&shipped).is_empty());
}

/// A silo that moves (origin = control) and runs as two instances, `origin_instance = "eu"`,
/// `id_space = "snowflake"`: the runbook says the phases move its rows into eu's database, the
/// script makes us ready on Postgres (its ids from the snowflake function), and runs again.
#[test]
fn moving_silo_new_instance_with_snowflake_ids() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schema.sql"),
        "CREATE TABLE public.users (id bigserial PRIMARY KEY, name text);\n\
         CREATE TABLE public.orgs (id bigserial PRIMARY KEY, slug text UNIQUE, owner_id bigint REFERENCES public.users (id) ON DELETE CASCADE);\n\
         CREATE TABLE public.projects (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, org_id bigint NOT NULL REFERENCES public.orgs (id));\n",
    )
    .unwrap();
    let config = dir.path().join("silo-plan.toml");
    std::fs::write(
        &config,
        "version = 1\nschema = [\"schema.sql\"]\norigin = \"control\"\n\n\
         [silos.control]\ntables = [\"users\"]\n\n\
         [silos.region]\ntables = [\"orgs\", \"projects\"]\ninstances = [\"us\", \"eu\"]\n\
         origin_instance = \"eu\"\nid_space = \"snowflake\"\ntenant = \"orgs\"\n\
         global_unique = [\"orgs.id\"]\n",
    )
    .unwrap();
    let out = dir.path().join("plan");
    let files = plan_files(&config, &out);
    assert!(files.contains_key("phases/instances/region/us.sql"));
    assert!(!files.contains_key("phases/instances/region/eu.sql"));
    let book = &files["phases/runbook.md"];
    assert!(
        book.contains("these phases move all its rows into the database of instance eu (its `origin_instance`): `$REGION_URL` is that instance's database"),
        "{book}"
    );
    assert!(book.contains("instance eu is the region database (`$REGION_URL`)"));
    assert!(book.contains("-f residency/id-space/region/eu.sql \"$REGION_URL\""));

    let pg = Cluster::start();
    pg.createdb("us");
    for _ in 0..2 {
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(out.join("phases/run.sh"))
            .args(["instance", "region", "us"])
            .env("INSTANCE_URL", pg.url("us"));
        for v in ["PGDATABASE", "PGUSER", "PGHOST", "PGPORT", "PGOPTIONS"] {
            cmd.env_remove(v);
        }
        ok(&cmd.output().unwrap(), "run.sh instance region us");
    }
    let mut us = pg.client("us");
    let default: String = us
        .query_one(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
              JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
             WHERE d.adrelid = 'public.projects'::regclass AND a.attname = 'id'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(default, "silo_plan.next_id_region()");
    // us is the first of `instances`: instance number 0 in its ids, whichever holds today's rows.
    let id: i64 = us
        .query_one("INSERT INTO orgs (slug) VALUES ('a') RETURNING id", &[])
        .unwrap()
        .get(0);
    assert_eq!((id >> 12) & 1023, 0, "{id}");
    assert!(id > 1 << 22, "{id}: a snowflake id, not a sequence's");
}
