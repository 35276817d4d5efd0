//! References without constraints on real PostgreSQL (fixture `fixtures/references/`).
//!
//! The region tables point at control's `accounts` by plain columns: `members.account_ref`
//! (declared `cascade`), `notes.account_ref` (declared `set-null`) and `visits.account_id`
//! (only inferred). Shown here:
//! 1. world M, the monolith, is the dump with the two declared references as real constraints
//!    (`ON DELETE CASCADE` / `SET NULL`); world S is `plan`'s two silo schemas, loaded, with
//!    `cascades/*.sql` installed. After the same deletes of accounts, control's tombstones pumped
//!    into region's inbox and applied, every row is equal in both worlds: the declared references
//!    are replicated exactly as constraints would be, and the inferred one deletes nothing;
//! 2. `fks/drop.sql` and `fks/restore.sql` run on today's database and change no constraint,
//!    and say why in a comment;
//! 3. the silo schemas carry no note or cut about the references (there is nothing to cut);
//! 4. with no `[[references]]`, the inferred crossing is a warning: `check` exits 0 and `plan`
//!    writes the plan.

use std::path::{Path, PathBuf};

use crate::pg::{self, run_file, Cluster};
use crate::set_columns::{apply_all, rows};
use crate::util::{read_tree, root};

fn fixture() -> PathBuf {
    root().join("planner/tests/it/fixtures/references")
}

fn silo_plan(args: &[&str], config: &Path, out: Option<&Path>) -> std::process::Output {
    let mut cmd = assert_cmd::Command::cargo_bin("silo-plan").expect("binary");
    cmd.args(args).arg(config);
    if let Some(o) = out {
        cmd.arg("--out").arg(o);
    }
    cmd.output().expect("runs")
}

fn constraints(c: &mut postgres::Client) -> Vec<String> {
    c.query(
        "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1",
        &[],
    )
    .expect("pg_constraint")
    .iter()
    .map(|r| r.get(0))
    .collect()
}

const CONTROL: [&str; 1] = ["accounts"];
const REGION: [&str; 3] = ["members", "notes", "visits"];

const CONTROL_ROWS: &str = "\
INSERT INTO public.accounts VALUES (1, 'one'), (2, 'two'), (3, 'three');
";
const REGION_ROWS: &str = "\
INSERT INTO public.members VALUES (1, 1, 'owner'), (2, 1, 'member'), (3, 2, 'owner'), (4, 3, 'x');
INSERT INTO public.notes VALUES (1, 1, 'n1'), (2, 2, 'n2'), (3, NULL, 'n3'), (4, 1, 'n4');
INSERT INTO public.visits VALUES (1, 1, 'monday'), (2, 2, 'tuesday'), (3, 1, 'friday');
";

/// The two declared references as the constraints the application emulates.
const M_KEYS: &str = "\
ALTER TABLE public.members ADD CONSTRAINT m_account FOREIGN KEY (account_ref)
    REFERENCES public.accounts(id) ON DELETE CASCADE;
ALTER TABLE public.notes ADD CONSTRAINT n_account FOREIGN KEY (account_ref)
    REFERENCES public.accounts(id) ON DELETE SET NULL;
";

#[test]
fn declared_references_replicate_their_cascades_like_constraints_and_inferred_ones_nothing() {
    let cluster = Cluster::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = d.join("plan");
    let o = silo_plan(&["plan"], &fixture(), Some(&out));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let files = read_tree(&out);
    let dump = std::fs::read_to_string(fixture().join("schema.sql")).expect("fixture");

    // fks/: nothing to drop or restore, and they say so.
    for f in ["fks/drop.sql", "fks/restore.sql"] {
        assert!(
            files[f].contains(
                "--   - public.members(account_ref) -> public.accounts (declared; region -> control)"
            ) && files[f].contains("Nothing to drop or restore for these references"),
            "{f}:\n{}",
            files[f]
        );
        assert!(!files[f].contains("DROP CONSTRAINT"), "{f}");
    }
    cluster.createdb("origin");
    run_file(
        &cluster,
        "origin",
        d,
        "schema.sql",
        &pg::prepare_dump(&dump),
    );
    let mut origin = cluster.client("origin");
    let before = constraints(&mut origin);
    assert_eq!(before.len(), 4, "four primary keys: {before:?}");
    for f in ["fks/drop.sql", "fks/restore.sql"] {
        run_file(&cluster, "origin", d, f, &files[f]);
        assert_eq!(
            constraints(&mut origin),
            before,
            "{f} changed no constraint"
        );
    }

    // The silo schemas: the dump's statements, nothing cut (no constraint to cut).
    for silo in ["control", "region"] {
        let s = &files[&format!("silos/{silo}/schema.sql")];
        assert!(
            !s.contains("could not cut") && !s.contains("_ref_ref") && !s.contains("_id_ref"),
            "silos/{silo}/schema.sql mentions a reference:\n{s}"
        );
    }

    // World M.
    cluster.createdb("m");
    run_file(&cluster, "m", d, "schema.sql", &pg::prepare_dump(&dump));
    let mut m = cluster.client("m");
    m.batch_execute(M_KEYS).expect("keys in m");
    m.batch_execute(CONTROL_ROWS).expect("rows into m");
    m.batch_execute(REGION_ROWS).expect("rows into m");
    // World S.
    for silo in ["control", "region"] {
        cluster.createdb(silo);
        let file = format!("silos/{silo}/schema.sql");
        run_file(&cluster, silo, d, &file, &files[&file]);
    }
    let mut control = cluster.client("control");
    let mut region = cluster.client("region");
    control.batch_execute(CONTROL_ROWS).expect("rows");
    region.batch_execute(REGION_ROWS).expect("rows");
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
    let delete = "DELETE FROM public.accounts WHERE id = 1";
    m.batch_execute(delete).expect("delete in m");
    control.batch_execute(delete).expect("delete in control");
    let pumped = crate::set_columns::pump(&mut control, &mut region, &mut last);
    assert_eq!(pumped, 1, "one tombstone for one deleted account");
    let applied = apply_all(&mut region);
    assert_eq!(
        applied, 2,
        "applied on the two declared references, not on the inferred one"
    );
    assert_eq!(
        rows(&mut m, &all),
        world_s(&mut control, &mut region),
        "world S equals world M"
    );
    let count = |c: &mut postgres::Client, sql: &str| -> i64 {
        c.query_one(sql, &[]).expect("count").get(0)
    };
    assert_eq!(
        count(
            &mut region,
            "SELECT count(*) FROM public.members WHERE account_ref = 1"
        ),
        0,
        "cascade deleted account 1's members"
    );
    assert_eq!(
        count(
            &mut region,
            "SELECT count(*) FROM public.notes WHERE account_ref IS NULL"
        ),
        3,
        "set-null nulled account 1's two notes (and n3 was NULL)"
    );
    assert_eq!(
        count(
            &mut region,
            "SELECT count(*) FROM public.visits WHERE account_id = 1"
        ),
        2,
        "the inferred reference deletes nothing: account 1's visits keep their dangling id"
    );

    // A second delete, and a replay of everything: nothing changes twice.
    let delete = "DELETE FROM public.accounts WHERE id = 2";
    m.batch_execute(delete).expect("delete in m");
    control.batch_execute(delete).expect("delete in control");
    crate::set_columns::pump(&mut control, &mut region, &mut last);
    apply_all(&mut region);
    assert_eq!(rows(&mut m, &all), world_s(&mut control, &mut region));
    region
        .batch_execute("UPDATE silo_plan.watermarks SET last_id = 0")
        .expect("rewind");
    let before = world_s(&mut control, &mut region);
    apply_all(&mut region);
    assert_eq!(world_s(&mut control, &mut region), before, "replay");
}

#[test]
fn an_inferred_crossing_alone_warns_and_does_not_stop_check_or_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::copy(fixture().join("schema.sql"), d.join("schema.sql")).expect("copy");
    std::fs::write(
        d.join("silo-plan.toml"),
        "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\
         [silos.control]\ntables = [\"accounts\"]\n\
         [silos.region]\ntables = [\"members\", \"notes\", \"visits\"]\n",
    )
    .expect("config");
    let o = silo_plan(&["check", "--format", "json"], d, None);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "warnings only: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let f = &v["findings"][0];
    assert_eq!(f["code"], "SP017", "{text}");
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        f["reference"],
        serde_json::json!({
            "table": "public.visits",
            "columns": ["account_id"],
            "referenced_table": "public.accounts",
            "referenced_columns": ["id"],
            "kind": "inferred"
        })
    );
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(1), "{text}");
    let o = silo_plan(&["plan"], d, Some(&d.join("plan")));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let plan = std::fs::read_to_string(d.join("plan/plan.md")).expect("plan.md");
    assert!(
        plan.contains("| `visits_account_id_ref` (inferred: rails, 0.90) | public.visits(account_id) → public.accounts(id) | region → control | no constraint | ignore | inferred |"),
        "{plan}"
    );
}
