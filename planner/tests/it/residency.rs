//! Data residency (issue 19): a silo's `tenant` and its closure. A small dump where one table
//! of a multi-instance silo reaches the tenant through two keys, a partitioned table follows
//! its parent, a self-reference and a key from another silo are not paths, and one table (a
//! lookup) is not reachable: `check` warns about it (SP017) only while the silo runs as several
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
