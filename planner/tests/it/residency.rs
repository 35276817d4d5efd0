//! Data residency (issue 19): a silo's `tenant` and its closure. A small dump where one table
//! of a multi-instance silo reaches the tenant through two keys, a partitioned table follows
//! its parent, a self-reference and a key from another silo are not paths, and one table (a
//! lookup) is not reachable: `check` warns about it (SP019) only while the silo runs as several
//! instances; plan.json and plan.md list the closure with each path.

use std::path::Path;

use silo_plan::findings::Code;

use crate::util::analysis;

const SCHEMA: &str = "\
CREATE TABLE public.users (id bigint PRIMARY KEY);
CREATE TABLE public.orgs (id bigint PRIMARY KEY, slug text UNIQUE);
CREATE TABLE public.projects (id bigint PRIMARY KEY, org_id bigint NOT NULL, parent_id bigint,
    owner_id bigint);
CREATE TABLE public.keys (id bigint PRIMARY KEY, project_id bigint NOT NULL);
CREATE TABLE public.events (id bigint, project_id bigint NOT NULL, at date NOT NULL)
    PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 PARTITION OF public.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.plans (id bigint PRIMARY KEY, name text NOT NULL);
ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id);
ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.projects(id);
ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES public.users(id);
ALTER TABLE ONLY public.keys
    ADD CONSTRAINT keys_project_id_fkey FOREIGN KEY (project_id) REFERENCES public.projects(id);
ALTER TABLE public.events
    ADD CONSTRAINT events_project_id_fkey FOREIGN KEY (project_id) REFERENCES public.projects(id);
";

fn config(instances: &str) -> String {
    format!(
        "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
         [silos.control]\ntables = [\"users\"]\n\n\
         [silos.region]\ntables = [\"orgs\", \"projects\", \"keys\", \"events\", \"plans\"]\n\
         instances = {instances}\ntenant = \"orgs\"\n"
    )
}

fn write(dir: &Path, instances: &str) {
    std::fs::write(dir.join("schema.sql"), SCHEMA).unwrap();
    std::fs::write(dir.join("silo-plan.toml"), config(instances)).unwrap();
}

#[test]
fn unreachable_table_of_a_multi_instance_silo_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "[\"us\", \"eu\"]");
    let a = analysis(&dir.path().join("silo-plan.toml"));
    let sp017: Vec<_> = a
        .check(Default::default())
        .into_iter()
        .filter(|f| f.code == Code::TenantUnreachable)
        .collect();
    assert_eq!(sp017.len(), 1, "{sp017:#?}");
    let f = &sp017[0];
    assert_eq!(f.object, "public.plans");
    assert_eq!(f.severity, silo_plan::findings::Severity::Warning);
    let at = f.location.as_ref().unwrap();
    assert_eq!(at.line, 10, "the CREATE TABLE of plans");
    assert_eq!(f.related[0].location.line, 11, "the tenant in the config");
    assert_eq!(f.related[0].location.column, Some(10));
    insta::assert_snapshot!("residency_sp017_message", f.message);

    // One instance: every row is in the one database; nothing to warn about.
    write(dir.path(), "[\"us\"]");
    let a = analysis(&dir.path().join("silo-plan.toml"));
    assert!(!a
        .check(Default::default())
        .iter()
        .any(|f| f.code == Code::TenantUnreachable));
}

#[test]
fn plan_lists_the_closure_with_paths() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "[\"us\", \"eu\"]");
    let out = dir.path().join("plan");
    let o = assert_cmd::Command::cargo_bin("silo-plan")
        .unwrap()
        .arg("plan")
        .arg(dir.path())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("plan.json")).unwrap()).unwrap();
    insta::assert_json_snapshot!("residency_plan_json_tenants", json["tenants"]);
    let md = std::fs::read_to_string(out.join("plan.md")).unwrap();
    let start = md
        .find("## Tenant of silo region")
        .expect("a tenant section");
    let end = start + md[start..].find("## Cascade closures").unwrap();
    insta::assert_snapshot!("residency_plan_md_tenant", &md[start..end]);
}

#[test]
fn saas_example_tenant_reaches_every_region_table() {
    let a = analysis(&crate::util::root().join("examples/saas"));
    let findings = a.check(Default::default());
    assert!(
        !findings.iter().any(|f| f.code == Code::TenantUnreachable),
        "every region table belongs to an organization"
    );
    let t = silo_plan::residency::tenants(&a.cat, &a.cfg, &a.asg, &a.graph);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].tenant.to_string(), "public.org_organization");
    assert!(t[0].unreachable.is_empty());
    let region = a.cfg.silo("region").unwrap();
    let tables = a
        .asg
        .tables
        .values()
        .filter(|d| d.placement.name() == region.name)
        .count();
    assert_eq!(t[0].reachable.len() + 1, tables);
}

/// Must-show 1 of issue 19 on Postgres: control, us and de as three databases; the
/// application's path for a new organization is "reserve the slug in control through the
/// generated function, then insert in the instance". The same slug for us and then for de:
/// the second reservation is refused (SQLSTATE 23505), so de never inserts it; after us
/// deletes its organization and releases the slug, de can take it. The file runs twice
/// (idempotent) with `ON_ERROR_STOP=1`.
#[test]
fn same_slug_reserved_for_us_then_de_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (out, files) = crate::util::plan_example(dir.path());
    assert!(
        files.contains_key("residency/control.sql"),
        "{:?}",
        files.keys()
    );
    let pg = crate::pg::Cluster::start();
    for db in ["control", "us", "de"] {
        pg.createdb(db);
    }
    for _ in 0..2 {
        let o = pg.psql_file_stop("control", &out.join("residency/control.sql"));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for db in ["us", "de"] {
        pg.psql(
            db,
            "CREATE TABLE public.org_organization (id bigint PRIMARY KEY, \
             slug character varying(50) NOT NULL UNIQUE)",
        );
    }
    let mut control = pg.client("control");
    // The application's insert path in one instance.
    let mut create = |instance: &str, id: i64, slug: &str| -> Result<(), postgres::Error> {
        control.execute(
            "SELECT silo_plan.reserve_org_organization_slug($1, $2, $3)",
            &[&slug, &instance, &id],
        )?;
        pg.psql(
            instance,
            &format!("INSERT INTO public.org_organization VALUES ({id}, '{slug}')"),
        );
        Ok(())
    };
    create("us", 1, "acme").expect("a free slug is reserved");
    let refused = create("de", 2, "acme").expect_err("the slug us holds is refused for de");
    assert_eq!(
        refused.code(),
        Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
        "{refused}"
    );
    let message = refused.as_db_error().map(|d| d.message().to_string());
    assert_eq!(
        message.as_deref(),
        Some("value acme of public.org_organization.slug is held by instance us")
    );
    assert_eq!(
        pg.psql("de", "SELECT count(*) FROM public.org_organization"),
        "0\n"
    );
    // A retried reservation by its holder is accepted; a slug free everywhere goes to de.
    create("de", 2, "globex").expect("another slug");
    control
        .execute(
            "SELECT silo_plan.reserve_org_organization_slug($1, $2, $3)",
            &[&"acme", &"us", &1i64],
        )
        .expect("the holder reserves again");
    // Not released by another instance; released by its holder after its delete.
    let released = |c: &mut postgres::Client, instance: &str, id: i64| -> bool {
        c.query_one(
            "SELECT silo_plan.release_org_organization_slug($1, $2, $3)",
            &[&"acme", &instance, &id],
        )
        .unwrap()
        .get(0)
    };
    assert!(!released(&mut control, "de", 2));
    pg.psql("us", "DELETE FROM public.org_organization WHERE id = 1");
    assert!(released(&mut control, "us", 1));
    let mut create = |instance: &str, id: i64, slug: &str| -> Result<(), postgres::Error> {
        control.execute(
            "SELECT silo_plan.reserve_org_organization_slug($1, $2, $3)",
            &[&slug, &instance, &id],
        )?;
        pg.psql(
            instance,
            &format!("INSERT INTO public.org_organization VALUES ({id}, '{slug}')"),
        );
        Ok(())
    };
    create("de", 3, "acme").expect("a released slug is free again");
    assert_eq!(
        pg.psql(
            "control",
            "SELECT string_agg(value || '=' || instance || '/' || owner_id, ',' ORDER BY value) \
             FROM silo_plan.reservation_org_organization_slug"
        ),
        "acme=de/3,globex=de/2\n"
    );
    // An instance the silo does not list is refused by the table's check.
    let e = control
        .execute(
            "SELECT silo_plan.reserve_org_organization_slug($1, $2, $3)",
            &[&"initech", &"eu", &4i64],
        )
        .expect_err("eu is not an instance of region");
    assert_eq!(e.code(), Some(&postgres::error::SqlState::CHECK_VIOLATION));
}

/// SP018: `users(id)` of a two-instance silo is referenced from the control silo; without a
/// `global_unique` entry `check` warns at the key, with one the plan has its reservation and
/// `check` is quiet. One instance: nothing to keep unique across.
#[test]
fn key_referenced_from_another_silo_needs_a_plan() {
    let dir = tempfile::tempdir().unwrap();
    let schema = "\
CREATE TABLE public.accounts (id bigint PRIMARY KEY, handle text NOT NULL UNIQUE);
CREATE TABLE public.orgs (id bigint PRIMARY KEY, slug text NOT NULL UNIQUE, creator_id bigint);
ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_org_fk FOREIGN KEY (id) REFERENCES public.orgs(id);
";
    std::fs::write(dir.path().join("schema.sql"), schema).unwrap();
    let config = |instances: &str, global: &str| {
        format!(
            "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
             [silos.control]\ntables = [\"accounts\"]\n\n\
             [silos.region]\ntables = [\"orgs\"]\ninstances = {instances}\n{global}"
        )
    };
    let findings = |text: String| {
        std::fs::write(dir.path().join("silo-plan.toml"), text).unwrap();
        let a = analysis(&dir.path().join("silo-plan.toml"));
        a.check(Default::default())
            .into_iter()
            .filter(|f| f.code == Code::GlobalKeyUnplanned)
            .collect::<Vec<_>>()
    };
    let f = findings(config("[\"us\", \"eu\"]", ""));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].object, "public.orgs(id)");
    assert_eq!(
        f[0].location.as_ref().unwrap().line,
        3,
        "the referencing key"
    );
    insta::assert_snapshot!(
        "residency_sp018",
        format!("{}\n{}", f[0].message, f[0].help.as_deref().unwrap())
    );
    assert!(findings(config(
        "[\"us\", \"eu\"]",
        "global_unique = [\"orgs.id\"]\n"
    ))
    .is_empty());
    assert!(findings(config("[\"us\"]", "")).is_empty());
}
