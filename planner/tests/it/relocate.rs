//! `silo-plan relocate` (issue 19, must-show 4) on Postgres: examples/saas split by `plan` into
//! three databases, control, us and de (each silo's `silos/<silo>/schema.sql`), filled with the
//! cascades test's seeded rows (800 organizations, all in us; de starts with one organization
//! of its own, its sequences in their own range as an id space gives them). One organization
//! moves from us to de through the generated `relocate.sh`:
//!
//! * its closure's rows in de equal those it had in us, table by table (row counts and
//!   checksums of the rows as text, every renumbered id mapped through the relocation's
//!   mapping), and every id in de is new (from de's sequences);
//! * nothing of it is left in us, and us's other rows are those it had;
//! * control's rows that pointed at its rows point at the new ids, `region_name` says de, its
//!   reservations are held by de; every other control row is unchanged;
//! * a second run changes nothing in any database.
//!
//! The test selects a tenant's rows its own way (nested `IN` subqueries along the paths plan.md
//! lists) and decides which columns are renumbered from the catalog, not from the generated
//! files.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use silo_plan::catalog::{Catalog, QName, TableKind};
use silo_plan::ident::{ident, literal, qualified};
use silo_plan::residency::TenantTable;

use crate::pg::{self, run_file, Cluster};
use crate::util::root;

/// The organization that moves.
const ORG: i64 = 5;

/// The renumbered column of a table: the primary key column a sequence owns.
fn id_col(cat: &Catalog, q: &QName) -> Option<String> {
    let t = cat.table(q)?;
    let pk = t.primary_key.as_ref()?;
    pk.columns
        .iter()
        .find(|c| {
            cat.sequences.iter().any(|s| {
                s.owned_by
                    .as_ref()
                    .is_some_and(|o| &o.table == q && &o.column == *c)
            })
        })
        .cloned()
}

/// The tenant's rows of `t`, as `SELECT t0 FROM ...`: a row belongs when any of its references
/// to a table of the closure leads to the tenant's row (nested IN, never through a table twice).
fn rows_of(cat: &Catalog, tenant: &QName, t: &TenantTable, org: &str) -> String {
    fn cond(
        cat: &Catalog,
        tenant: &QName,
        table: &QName,
        org: &str,
        stack: &mut Vec<QName>,
    ) -> String {
        if table == tenant {
            let tk = &cat
                .table(tenant)
                .unwrap()
                .primary_key
                .as_ref()
                .unwrap()
                .columns[0];
            return format!("{} = {org}", ident(tk));
        }
        stack.push(table.clone());
        let mut any = Vec::new();
        for fk in cat.foreign_keys.iter().filter(|f| &f.table == table) {
            if stack.contains(&fk.references)
                || !CLOSURE.with(|c| c.borrow().contains(&fk.references))
            {
                continue;
            }
            assert_eq!(fk.columns.len(), 1, "one-column references in the example");
            any.push(format!(
                "{} IN (SELECT {} FROM {} WHERE {})",
                ident(&fk.columns[0]),
                ident(&fk.referenced_columns[0]),
                qualified(&fk.references),
                cond(cat, tenant, &fk.references, org, stack)
            ));
        }
        stack.pop();
        if any.is_empty() {
            "false".into()
        } else {
            format!("({})", any.join(" OR "))
        }
    }
    let c = cond(cat, tenant, &t.table, org, &mut Vec::new());
    format!("SELECT t0 FROM {} AS t0 WHERE {c}", qualified(&t.table))
}

thread_local! {
    /// The closure's tables (partitions aside), set by the test.
    static CLOSURE: std::cell::RefCell<Vec<QName>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Row count and md5 of the rows of `select` (which yields one composite column), as text in a
/// fixed order.
fn sum(c: &mut postgres::Client, select: &str) -> (i64, String) {
    let q = format!(
        "SELECT count(*), md5(coalesce(string_agg(x.r, chr(10) ORDER BY x.r COLLATE \"C\"), '')) \
         FROM (SELECT s.t0::text AS r FROM ({select}) AS s) AS x"
    );
    let row = c.query_one(&q, &[]).unwrap_or_else(|e| panic!("{q}: {e}"));
    (row.get(0), row.get(1))
}

/// Every table of every non-system schema of a database: rows and md5.
fn everything(c: &mut postgres::Client) -> BTreeMap<String, (i64, String)> {
    let tables: Vec<String> = c
        .query(
            "SELECT format('%I.%I', n.nspname, r.relname) FROM pg_class r \
             JOIN pg_namespace n ON n.oid = r.relnamespace \
             WHERE r.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
             AND n.nspname NOT LIKE 'pg_%' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    tables
        .into_iter()
        .map(|t| {
            let s = sum(c, &format!("SELECT t0 FROM {t} AS t0"));
            (t, s)
        })
        .collect()
}

fn copy_rows(from: &mut postgres::Client, to: &mut postgres::Client, table: &str) {
    let mut data = Vec::new();
    std::io::Read::read_to_end(
        &mut from
            .copy_out(format!("COPY {table} TO STDOUT").as_str())
            .unwrap(),
        &mut data,
    )
    .unwrap();
    let mut w = to
        .copy_in(format!("COPY {table} FROM STDIN").as_str())
        .unwrap();
    std::io::Write::write_all(&mut w, &data).unwrap();
    w.finish().unwrap();
}

fn run_relocate(pg: &Cluster, out: &Path) -> std::process::Output {
    Command::new("bash")
        .arg(out.join("relocate.sh"))
        .env("SOURCE_URL", pg.url("us"))
        .env("TARGET_URL", pg.url("de"))
        .env("CONTROL_URL", pg.url("control"))
        .env("PSQL", pg.bin("psql"))
        .output()
        .unwrap()
}

fn relocate(pg: &Cluster, out: &Path) {
    let o = run_relocate(pg, out);
    assert!(
        o.status.success(),
        "relocate.sh: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn organization_relocated_from_us_to_de() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, files) = crate::util::plan_example(dir.path());
    let a = crate::util::analysis(&root().join("examples/saas"));
    let cat = &a.cat;
    let tenant = silo_plan::residency::tenants(cat, &a.cfg, &a.asg, &a.graph).remove(0);
    // The closure without partitions (their rows are their parent's).
    let mut closure = vec![TenantTable {
        table: tenant.tenant.clone(),
        path: Vec::new(),
    }];
    closure.extend(
        tenant
            .reachable
            .iter()
            .filter(|t| cat.table(&t.table).unwrap().partition_of.is_none())
            .cloned(),
    );
    CLOSURE.with(|c| *c.borrow_mut() = closure.iter().map(|t| t.table.clone()).collect());
    let ids: BTreeMap<QName, String> = closure
        .iter()
        .filter_map(|t| id_col(cat, &t.table).map(|c| (t.table.clone(), c)))
        .collect();

    // Three databases.
    let pg = Cluster::start();
    for db in ["m", "control", "us", "de"] {
        pg.createdb(db);
    }
    let dump = std::fs::read_to_string(root().join("examples/saas/schema.sql")).unwrap();
    run_file(&pg, "m", dir.path(), "schema.sql", &pg::prepare_dump(&dump));
    let mut m = pg.client("m");
    m.batch_execute(&crate::cascades::data_sql()).unwrap();
    for (db, silo) in [("control", "control"), ("us", "region"), ("de", "region")] {
        run_file(
            &pg,
            db,
            dir.path(),
            "schema.sql",
            &pg::prepare_dump(&files[&format!("silos/{silo}/schema.sql")]),
        );
        if db == "de" {
            continue;
        }
        let mut c = pg.client(db);
        c.batch_execute("SET session_replication_role = replica")
            .unwrap();
        for t in &cat.tables {
            let q = QName::new(&t.schema, &t.name);
            let s = a.asg.silo_name(&q);
            if (s == silo || s == "shared") && t.kind != TableKind::Partitioned {
                copy_rows(&mut m, &mut c, &qualified(&q));
            }
        }
    }
    run_file(
        &pg,
        "control",
        dir.path(),
        "residency.sql",
        &files["residency/control.sql"],
    );
    // de: its sequences in their own range, one organization of its own with a project.
    let mut de = pg.client("de");
    de.batch_execute(
        "DO $$ DECLARE s regclass; BEGIN FOR s IN SELECT c.oid FROM pg_class c WHERE c.relkind = 'S' \
         LOOP PERFORM setval(s, 1000000); END LOOP; END $$;
         INSERT INTO org_organization (name, slug, status, default_role, flags, date_added)
         VALUES ('De Org', 'de-org', 0, 'member', 0, '2024-01-01');
         INSERT INTO proj_project (organization_id, slug, name, status, platform, date_added)
         SELECT id, 'p', 'P', 0, 'go', '2024-01-01' FROM org_organization;",
    )
    .unwrap();
    let mut control = pg.client("control");
    let de_org: i64 = de
        .query_one("SELECT id FROM org_organization", &[])
        .unwrap()
        .get(0);
    for (inst, id, slug) in [
        ("us", ORG, format!("slug-{ORG}")),
        ("us", ORG + 1, format!("slug-{}", ORG + 1)),
        ("de", de_org, "de-org".to_string()),
    ] {
        control
            .execute(
                "SELECT silo_plan.reserve_org_organization_slug($1, $2, $3), \
                 silo_plan.reserve_org_organization_id($3, $2, $3)",
                &[&slug, &inst, &id],
            )
            .unwrap();
    }

    let mut us = pg.client("us");
    let out = dir.path().join("relocation");
    let o = crate::util::silo_plan(
        root(),
        [
            "relocate".as_ref(),
            root().join("examples/saas").as_os_str(),
            "--tenant-id".as_ref(),
            ORG.to_string().as_ref(),
            "--from".as_ref(),
            "us".as_ref(),
            "--to".as_ref(),
            "de".as_ref(),
            "--instance-column".as_ref(),
            "org_organizationmapping.region_name".as_ref(),
            "--instance-column".as_ref(),
            "org_slugreservation.region_name".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The seeded rows of org_onboardingtask and proj_servicehook name a project of any
    // organization: such a row cannot move with its organization (its reference would dangle
    // in de). The relocation refuses it at the import, which changes nothing in de.
    let de_public = |de: &mut postgres::Client| {
        everything(de)
            .into_iter()
            .filter(|(t, _)| t.starts_with("public."))
            .collect::<BTreeMap<_, _>>()
    };
    let de_start = de_public(&mut de);
    let failed = run_relocate(&pg, &out);
    assert!(!failed.status.success());
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(
        err.contains("20-import.sql") && err.contains("is not a moved row"),
        "{err}"
    );
    assert_eq!(de_public(&mut de), de_start, "nothing imported");
    // Each such row gets a project of its own organization; the relocation then resumes.
    us.batch_execute(
        "UPDATE org_onboardingtask AS t SET project_id = (SELECT min(p.id) FROM proj_project AS p \
         WHERE p.organization_id = t.organization_id) WHERE NOT EXISTS (SELECT FROM proj_project AS p \
         WHERE p.id = t.project_id AND p.organization_id = t.organization_id);
         UPDATE proj_servicehook AS t SET project_id = (SELECT min(p.id) FROM proj_project AS p \
         WHERE p.organization_id = t.organization_id) WHERE NOT EXISTS (SELECT FROM proj_project AS p \
         WHERE p.id = t.project_id AND p.organization_id = t.organization_id);",
    )
    .unwrap();

    // Before.

    let org = ORG.to_string();
    us.batch_execute("CREATE SCHEMA scratch").unwrap();
    let mut moved_before = BTreeMap::new();
    let mut old_ids: BTreeMap<QName, Vec<i64>> = BTreeMap::new();
    for (i, t) in closure.iter().enumerate() {
        let sel = rows_of(cat, &tenant.tenant, t, &org);
        us.batch_execute(&format!(
            "CREATE TABLE scratch.t{i} AS SELECT (s.t0).* FROM ({sel}) AS s"
        ))
        .unwrap();
        moved_before.insert(t.table.clone(), sum(&mut us, &sel));
        if let Some(c) = ids.get(&t.table) {
            let v: Vec<i64> = us
                .query(
                    &format!("SELECT ({}::bigint) FROM scratch.t{i}", ident(c)),
                    &[],
                )
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            old_ids.insert(t.table.clone(), v);
        }
    }
    let moved_rows: i64 = moved_before.values().map(|x| x.0).sum();
    assert!(
        moved_rows > 100,
        "the organization has rows: {moved_before:?}"
    );
    let nonempty = moved_before.values().filter(|x| x.0 > 0).count();
    assert!(nonempty >= 15, "rows in most tables: {moved_before:?}");
    let us_before = everything(&mut us);
    let de_before = everything(&mut de);
    // Control's rows pointing at the moved rows, per table (by the catalog's references).
    control.batch_execute("CREATE SCHEMA before").unwrap();
    let mut pointing: BTreeMap<QName, Vec<(String, QName)>> = BTreeMap::new();
    for fk in &cat.foreign_keys {
        if a.asg.silo_name(&fk.table) != "control" || fk.columns.len() != 1 {
            continue;
        }
        if ids.get(&fk.references) == Some(&fk.referenced_columns[0]) {
            pointing
                .entry(fk.table.clone())
                .or_default()
                .push((fk.columns[0].clone(), fk.references.clone()));
        }
    }
    assert!(pointing.len() >= 5, "{pointing:?}");
    let pointing_at = |cols: &[(String, QName)], ids: &BTreeMap<QName, Vec<i64>>| {
        cols.iter()
            .map(|(c, p)| {
                format!(
                    "t0.{} = ANY ('{{{}}}'::bigint[])",
                    ident(c),
                    ids[p]
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    let mut control_expected: BTreeMap<QName, i64> = BTreeMap::new();
    for (t, cols) in &pointing {
        let n: i64 = control
            .query_one(
                &format!(
                    "SELECT count(*) FROM {} AS t0 WHERE {}",
                    qualified(t),
                    pointing_at(cols, &old_ids)
                ),
                &[],
            )
            .unwrap()
            .get(0);
        control_expected.insert(t.clone(), n);
    }
    assert!(
        control_expected.values().filter(|n| **n > 0).count() >= 4,
        "{control_expected:?}"
    );
    let control_tables: Vec<QName> = cat
        .tables
        .iter()
        .map(|t| QName::new(&t.schema, &t.name))
        .filter(|q| a.asg.silo_name(q) == "control")
        .collect();
    for (i, q) in control_tables.iter().enumerate() {
        control
            .batch_execute(&format!(
                "CREATE TABLE before.c{i} AS SELECT * FROM {}",
                qualified(q)
            ))
            .unwrap();
    }

    // Relocate.
    let _ = plan;
    relocate(&pg, &out);

    // The mapping, as de wrote it, into us's scratch schema.
    let map: Vec<(String, i64, i64)> = de
        .query(
            "SELECT table_name, old_id, new_id FROM silo_plan.relocation_map ORDER BY 1, 2",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        map.len(),
        old_ids.values().map(Vec::len).sum::<usize>(),
        "one new id per moved row of a renumbered table"
    );
    assert!(
        map.iter().all(|(_, _, n)| *n > 1_000_000),
        "ids from de's range"
    );
    us.batch_execute("CREATE TABLE scratch.map (table_name text, old_id bigint, new_id bigint)")
        .unwrap();
    for (t, o, n) in &map {
        us.execute("INSERT INTO scratch.map VALUES ($1, $2, $3)", &[t, o, n])
            .unwrap();
    }
    let new_ids: BTreeMap<QName, Vec<i64>> = old_ids
        .keys()
        .map(|q| {
            let v = map
                .iter()
                .filter(|(t, _, _)| *t == q.to_string())
                .map(|x| x.2)
                .collect();
            (q.clone(), v)
        })
        .collect();
    let new_org = map
        .iter()
        .find(|(t, o, _)| t == "public.org_organization" && *o == ORG)
        .unwrap()
        .2;

    // de holds the organization's rows, equal to us's before with ids mapped; nothing else in
    // de changed.
    for (i, t) in closure.iter().enumerate() {
        let table = cat.table(&t.table).unwrap();
        let mapped: Vec<String> = table
            .columns
            .iter()
            .filter(|c| c.generated.is_none())
            .map(|c| {
                let parent = if ids.get(&t.table) == Some(&c.name) {
                    Some(t.table.clone())
                } else {
                    cat.foreign_keys
                        .iter()
                        .find(|f| {
                            f.table == t.table
                                && f.columns == [c.name.clone()]
                                && ids.get(&f.references) == Some(&f.referenced_columns[0])
                        })
                        .map(|f| f.references.clone())
                };
                match parent {
                    Some(p) => format!(
                        "(SELECT m.new_id FROM scratch.map AS m WHERE m.table_name = {} AND m.old_id = b.{})",
                        literal(&p.to_string()),
                        ident(&c.name)
                    ),
                    None => format!("b.{}", ident(&c.name)),
                }
            })
            .collect();
        let expected = sum(
            &mut us,
            &format!(
                "SELECT ROW({}) AS t0 FROM scratch.t{i} AS b",
                mapped.join(", ")
            ),
        );
        let got = sum(
            &mut de,
            &rows_of(cat, &tenant.tenant, t, &new_org.to_string()),
        );
        assert_eq!(got, expected, "{} in de", t.table);
        assert_eq!(got.0, moved_before[&t.table].0);
        let all = sum(
            &mut de,
            &format!("SELECT t0 FROM {} AS t0", qualified(&t.table)),
        );
        assert_eq!(
            all.0,
            de_before[&t.table.to_string()].0 + got.0,
            "{}",
            t.table
        );
    }
    let de_org_row = sum(
        &mut de,
        &format!("SELECT t0 FROM org_organization AS t0 WHERE id = {de_org}"),
    );
    assert_eq!(de_org_row.0, 1, "de's own organization stays");

    // us: nothing of it left; its other rows as they were.
    for (i, t) in closure.iter().enumerate() {
        let sel = rows_of(cat, &tenant.tenant, t, &org);
        assert_eq!(sum(&mut us, &sel).0, 0, "{} left in us", t.table);
        let union = format!(
            "SELECT t0 FROM {} AS t0 UNION ALL SELECT ROW(b.*)::{} FROM scratch.t{i} AS b",
            qualified(&t.table),
            qualified(&t.table)
        );
        assert_eq!(
            sum(&mut us, &union),
            us_before[&t.table.to_string()],
            "us's {} less the moved rows",
            t.table
        );
    }

    // control: the rows that pointed at the moved rows now point at their new ids, in de;
    // nothing else changed.
    for (i, q) in control_tables.iter().enumerate() {
        let changed: i64 = control
            .query_one(
                &format!(
                    "SELECT count(*) FROM (SELECT * FROM {} EXCEPT ALL SELECT * FROM before.c{i}) AS x",
                    qualified(q)
                ),
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(
            changed,
            control_expected.get(q).copied().unwrap_or(0),
            "changed rows of {q}"
        );
        if let Some(cols) = pointing.get(q) {
            let cond = |ids| pointing_at(cols, ids);
            let count = |c: &mut postgres::Client, cond: String| -> i64 {
                c.query_one(
                    &format!("SELECT count(*) FROM {} AS t0 WHERE {cond}", qualified(q)),
                    &[],
                )
                .unwrap()
                .get(0)
            };
            assert_eq!(count(&mut control, cond(&old_ids)), 0, "{q}: old ids");
            assert_eq!(
                count(&mut control, cond(&new_ids)),
                control_expected[q],
                "{q}: new ids"
            );
        }
    }
    assert_eq!(
        pg.psql(
            "control",
            &format!(
                "SELECT organization_id = {new_org}, region_name FROM org_organizationmapping \
                 WHERE slug = 'slug-{ORG}'"
            )
        ),
        "t|de\n"
    );
    assert_eq!(
        pg.psql(
            "control",
            "SELECT string_agg(s.value || '=' || s.instance || '/' || (s.owner_id > 1000000), ',' \
             ORDER BY s.value) FROM silo_plan.reservation_org_organization_slug AS s"
        ),
        format!(
            "de-org=de/true,slug-{ORG}=de/true,slug-{}=us/false\n",
            ORG + 1
        )
    );
    assert_eq!(
        pg.psql(
            "control",
            &format!(
                "SELECT string_agg(v.value || '=' || v.instance, ',' ORDER BY v.value) \
                 FROM silo_plan.reservation_org_organization_id AS v WHERE v.value IN ({ORG}, {new_org})"
            )
        ),
        format!("{new_org}=de\n")
    );

    // Again: nothing changes anywhere.
    let snapshot = |pg: &Cluster| {
        ["control", "us", "de"]
            .map(|db| everything(&mut pg.client(db)))
            .to_vec()
    };
    let after = snapshot(&pg);
    relocate(&pg, &out);
    assert_eq!(snapshot(&pg), after, "a second run changes nothing");
}

/// What `relocate` refuses (exit 2, one line naming the fix), on examples/saas.
#[test]
fn relocate_refuses_what_it_cannot_move() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let run = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "relocate".into(),
            root().join("examples/saas").into(),
            "--tenant-id".into(),
            "1".into(),
            "--out".into(),
            out.clone().into(),
        ];
        args.extend(extra.iter().map(|s| s.into()));
        let o = crate::util::silo_plan(root(), args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    for (args, message) in [
        (
            &["--from", "us", "--to", "eu"][..],
            "--to `eu` is not an instance of silo `region` (instances: us, de)",
        ),
        (
            &["--from", "us", "--to", "us"][..],
            "--from and --to are both `us`",
        ),
        (
            &["--silo", "control", "--from", "us", "--to", "de"][..],
            "silo `control` runs as one instance",
        ),
        (
            &["--silo", "nope", "--from", "us", "--to", "de"][..],
            "no silo `nope`; silos: control, region",
        ),
        (
            &[
                "--from",
                "us",
                "--to",
                "de",
                "--instance-column",
                "auth_user.nope",
            ][..],
            "--instance-column `auth_user.nope`: public.auth_user has no column `nope`",
        ),
        (
            &[
                "--from",
                "us",
                "--to",
                "de",
                "--instance-column",
                "org_team.slug",
            ][..],
            "public.org_team is not in a single-instance silo other than `region`",
        ),
        (
            &[
                "--from",
                "us",
                "--to",
                "de",
                "--instance-column",
                "auth_user.email",
            ][..],
            "--instance-column: public.auth_user has no reference to a renumbered table",
        ),
    ] {
        let err = run(args);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    assert!(!out.exists(), "nothing written");
}

/// Names that need quoting (`"Orgs"`, `"Org id"`), an identity tenant key (`OVERRIDING SYSTEM
/// VALUE`), a self-reference (`projects.parent_id`, rewritten through the same mapping), a
/// partitioned table and a table the tenant does not reach (left where it is), on Postgres.
#[test]
fn relocation_with_quoted_names_identity_self_reference_and_partitions() {
    const REGION: &str = "
CREATE TABLE public.\"Orgs\" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, slug text UNIQUE);
CREATE TABLE public.projects (id serial PRIMARY KEY, \"Org id\" bigint NOT NULL, parent_id integer,
    owner_id bigint);
CREATE TABLE public.keys (id bigserial PRIMARY KEY, project_id integer NOT NULL, k text);
CREATE TABLE public.events (id bigserial, project_id integer NOT NULL, at date NOT NULL,
    PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 PARTITION OF public.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.plans (id bigint PRIMARY KEY, name text NOT NULL);
ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_org_id_fkey FOREIGN KEY (\"Org id\") REFERENCES public.\"Orgs\"(id);
ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.projects(id);
ALTER TABLE ONLY public.keys
    ADD CONSTRAINT keys_project_id_fkey FOREIGN KEY (project_id) REFERENCES public.projects(id);
ALTER TABLE public.events
    ADD CONSTRAINT events_project_id_fkey FOREIGN KEY (project_id) REFERENCES public.projects(id);
";
    const CONTROL: &str = "
CREATE TABLE public.users (id bigint PRIMARY KEY);
CREATE TABLE public.org_links (id bigint PRIMARY KEY, org_id bigint NOT NULL, region text NOT NULL);
";
    const CROSSING: &str = "
ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES public.users(id);
ALTER TABLE public.org_links
    ADD CONSTRAINT org_links_org_fkey FOREIGN KEY (org_id) REFERENCES public.\"Orgs\"(id);
";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schema.sql"),
        format!("{CONTROL}{REGION}{CROSSING}"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("silo-plan.toml"),
        "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
         [silos.control]\ntables = [\"users\", \"org_links\"]\n\n\
         [silos.region]\ntables = [\"Orgs\", \"projects\", \"keys\", \"events\", \"plans\"]\n\
         instances = [\"us\", \"eu\"]\ntenant = \"Orgs\"\n",
    )
    .unwrap();
    let out = dir.path().join("r");
    let o = crate::util::silo_plan(
        dir.path(),
        [
            "relocate",
            ".",
            "--tenant-id",
            "2",
            "--from",
            "us",
            "--to",
            "eu",
            "--instance-column",
            "org_links.region",
            "--out",
            "r",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sh = std::fs::read_to_string(out.join("relocate.sh")).unwrap();
    assert!(sh.contains("# the source: public.plans"), "{sh}");

    let pg = Cluster::start();
    for db in ["control", "us", "eu"] {
        pg.createdb(db);
    }
    pg.client("control")
        .batch_execute(&format!(
            "{CONTROL} INSERT INTO users VALUES (1);
             INSERT INTO org_links SELECT i, i, 'us' FROM generate_series(1, 3) AS i;
             INSERT INTO org_links VALUES (4, 2, 'eu');"
        ))
        .unwrap();
    // us: three organizations, each with a project tree, keys and events; eu: one of its own,
    // whose id 2 collides with us's organization 2 (org_links row 4 names it with region eu).
    pg.client("us")
        .batch_execute(&format!(
            "{REGION}
             INSERT INTO \"Orgs\" (slug) SELECT 'o' || i FROM generate_series(1, 3) AS i;
             INSERT INTO projects (\"Org id\", parent_id, owner_id)
               SELECT o, NULL, 1 FROM generate_series(1, 3) AS o;
             INSERT INTO projects (\"Org id\", parent_id, owner_id)
               SELECT p.\"Org id\", p.id, NULL FROM projects AS p;
             INSERT INTO keys (project_id, k) SELECT p.id, 'k' || k FROM projects AS p,
               generate_series(1, 2) AS k;
             INSERT INTO events (project_id, at) SELECT p.id, date '2024-03-01' + k
               FROM projects AS p, generate_series(1, 3) AS k;
             INSERT INTO plans VALUES (1, 'free');"
        ))
        .unwrap();
    pg.client("eu")
        .batch_execute(&format!(
            "{REGION}
             INSERT INTO \"Orgs\" (slug) VALUES ('e1'), ('e2');
             DELETE FROM \"Orgs\" WHERE slug = 'e1';
             INSERT INTO projects (\"Org id\") SELECT id FROM \"Orgs\";"
        ))
        .unwrap();
    let q = |db: &str, sql: &str| pg.psql(db, sql);
    let us_rest = |pg: &Cluster| {
        pg.psql(
            "us",
            "SELECT (SELECT string_agg(id || ':' || slug, ',' ORDER BY id) FROM \"Orgs\") || ' ' || \
             (SELECT count(*) FROM projects) || ' ' || (SELECT count(*) FROM keys) || ' ' || \
             (SELECT count(*) FROM events) || ' ' || (SELECT count(*) FROM plans)",
        )
    };
    assert_eq!(us_rest(&pg), "1:o1,2:o2,3:o3 6 12 18 1\n");
    let run = || {
        let o = Command::new("bash")
            .arg(out.join("relocate.sh"))
            .env("SOURCE_URL", pg.url("us"))
            .env("TARGET_URL", pg.url("eu"))
            .env("CONTROL_URL", pg.url("control"))
            .env("PSQL", pg.bin("psql"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run();
    assert_eq!(
        us_rest(&pg),
        "1:o1,3:o3 4 8 12 1\n",
        "organization 2 left us"
    );
    // eu: the organization under a new id (its sequence's next: 3), its project tree with the
    // child pointing at its parent's new id, 4 keys, 6 events.
    assert_eq!(
        q(
            "eu",
            "SELECT string_agg(o.id || ':' || o.slug, ',' ORDER BY o.id) FROM \"Orgs\" AS o"
        ),
        "2:e2,3:o2\n"
    );
    assert_eq!(
        q(
            "eu",
            "SELECT count(*), count(c.parent_id) FILTER (WHERE p.id IS NOT NULL AND p.\"Org id\" = 3) \
             FROM projects AS c LEFT JOIN projects AS p ON p.id = c.parent_id WHERE c.\"Org id\" = 3"
        ),
        "2|1\n"
    );
    assert_eq!(
        q(
            "eu",
            "SELECT (SELECT count(*) FROM keys AS k JOIN projects AS p ON p.id = k.project_id \
             WHERE p.\"Org id\" = 3), (SELECT count(*) FROM events_2024 AS e JOIN projects AS p \
             ON p.id = e.project_id WHERE p.\"Org id\" = 3)"
        ),
        "4|6\n"
    );
    // control: us's organization 2 is eu's 3; eu's own organization 2 is untouched.
    let links =
        "SELECT string_agg(id || '=' || org_id || '@' || region, ',' ORDER BY id) FROM org_links";
    assert_eq!(q("control", links), "1=1@us,2=3@eu,3=3@us,4=2@eu\n");
    let snapshot = || ["control", "us", "eu"].map(|db| everything(&mut pg.client(db)));
    let before = snapshot();
    run();
    assert_eq!(snapshot(), before, "a second run changes nothing");
}
