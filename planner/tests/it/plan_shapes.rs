//! Plan shapes other than examples/saas: no crossing at all, crossings that are all restrict
//! (no tombstone, no apply function), a silo that holds no table (only a view) beside one that
//! moves, nothing that moves, one silo only, references without a constraint on both sides of
//! the boundary (issue 21: no phase, verify or blocking check treats them as keys). For each, `plan` succeeds; runbook.md, plan.md and
//! every SQL file name only files that are written and call only `silo_plan` functions that a
//! generated file creates; and where there are phases, they run through `phases/run.sh` on two
//! clusters, each phase's verify query (plan.json's `check`) giving what the runbook expects.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::pg::Cluster;
use crate::phases::{ok, run_phase};

/// A shape: its dump and its silo map.
struct Shape {
    name: &'static str,
    schema: &'static str,
    config: &'static str,
}

/// Tables of a small two-silo application; `projects.owner_id` has no key unless a shape adds
/// one.
const TABLES: &str = "\
CREATE TABLE public.users (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.sessions (id bigint PRIMARY KEY, user_id bigint NOT NULL);
CREATE TABLE public.orgs (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.projects (id bigint PRIMARY KEY, org_id bigint NOT NULL, owner_id bigint);
CREATE VIEW public.user_names AS SELECT id, name FROM public.users;
ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;
";

/// Rows for [`TABLES`].
const ROWS: &str = "\
INSERT INTO public.users SELECT i, 'user ' || i FROM generate_series(1, 50) AS i;
INSERT INTO public.sessions SELECT i, 1 + i % 50 FROM generate_series(1, 80) AS i;
INSERT INTO public.orgs SELECT i, 'org ' || i FROM generate_series(1, 10) AS i;
INSERT INTO public.projects SELECT i, 1 + i % 10, 1 + i % 50 FROM generate_series(1, 30) AS i;
";

fn zero_crossings() -> Shape {
    Shape {
        name: "zero-crossings",
        schema: TABLES,
        config: "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
                 [silos.control]\ntables = [\"users\", \"sessions\", \"user_names\"]\n\n\
                 [silos.region]\ntables = [\"orgs\", \"projects\"]\n",
    }
}

fn restrict_only() -> Shape {
    Shape {
        name: "restrict-only",
        schema: concat!(
            "CREATE TABLE public.users (id bigint PRIMARY KEY, name text NOT NULL);\n",
            "CREATE TABLE public.sessions (id bigint PRIMARY KEY, user_id bigint NOT NULL);\n",
            "CREATE TABLE public.orgs (id bigint PRIMARY KEY, name text NOT NULL);\n",
            "CREATE TABLE public.projects (id bigint PRIMARY KEY, org_id bigint NOT NULL, owner_id bigint);\n",
            "CREATE VIEW public.user_names AS SELECT id, name FROM public.users;\n",
            "ALTER TABLE ONLY public.sessions\n",
            "    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;\n",
            "ALTER TABLE ONLY public.projects\n",
            "    ADD CONSTRAINT projects_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;\n",
            "ALTER TABLE ONLY public.projects\n",
            "    ADD CONSTRAINT projects_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES public.users(id) ON DELETE RESTRICT;\n",
        ),
        config: "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
                 [silos.control]\ntables = [\"users\", \"sessions\", \"user_names\"]\n\n\
                 [silos.region]\ntables = [\"orgs\", \"projects\"]\n",
    }
}

/// References without a constraint on both sides of the boundary: `projects.owner_id` declared
/// (it crosses, set-null through tombstones) and `profiles.user_id` inside the moving silo
/// (inferred). Neither is in the DDL, so no phase may drop, create or look for a constraint for
/// them.
fn references_without_constraints() -> Shape {
    Shape {
        name: "references-without-constraints",
        schema: concat!(
            "CREATE TABLE public.users (id bigint PRIMARY KEY, name text NOT NULL);\n",
            "CREATE TABLE public.sessions (id bigint PRIMARY KEY, user_id bigint NOT NULL);\n",
            "CREATE TABLE public.profiles (id bigint PRIMARY KEY, user_id bigint NOT NULL);\n",
            "CREATE TABLE public.orgs (id bigint PRIMARY KEY, name text NOT NULL);\n",
            "CREATE TABLE public.projects (id bigint PRIMARY KEY, org_id bigint NOT NULL, owner_id bigint);\n",
            "CREATE VIEW public.user_names AS SELECT id, name FROM public.users;\n",
            "ALTER TABLE ONLY public.sessions\n",
            "    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;\n",
            "ALTER TABLE ONLY public.projects\n",
            "    ADD CONSTRAINT projects_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;\n",
            // One orphan: the application never enforced the reference. Verify does not count
            // it as a key broken by the move (the database never declared the key).
            "INSERT INTO public.profiles SELECT i, 1 + i % 50 FROM generate_series(1, 40) AS i;\n",
            "INSERT INTO public.profiles VALUES (41, 999);\n",
        ),
        config: "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
                 [silos.control]\ntables = [\"users\", \"sessions\", \"profiles\", \"user_names\"]\n\n\
                 [silos.region]\ntables = [\"orgs\", \"projects\"]\n\n\
                 [[references]]\nfrom = \"projects.owner_id\"\nto = \"users.id\"\non_delete = \"set-null\"\n",
    }
}

fn a_silo_without_tables() -> Shape {
    Shape {
        name: "silo-without-tables",
        schema: TABLES,
        config: "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
                 [silos.control]\ntables = [\"users\", \"sessions\"]\n\n\
                 [silos.analytics]\ntables = [\"user_names\"]\n\n\
                 [silos.region]\ntables = [\"orgs\", \"projects\"]\n",
    }
}

fn nothing_moves() -> Shape {
    Shape {
        name: "nothing-moves",
        schema: TABLES,
        config: "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
                 [silos.reports]\ntables = [\"user_names\"]\n\n\
                 [silos.region]\ntables = [\"users\", \"sessions\", \"orgs\", \"projects\"]\n",
    }
}

fn one_silo() -> Shape {
    Shape {
        name: "one-silo",
        schema: TABLES,
        config: "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
                 [silos.region]\ntables = [\"*\"]\n",
    }
}

/// Writes the shape under `dir` and runs `silo-plan plan` on it: the plan directory and its
/// files.
fn plan(dir: &Path, s: &Shape) -> (PathBuf, BTreeMap<String, String>) {
    let input = dir.join(s.name);
    std::fs::create_dir_all(&input).expect("shape dir");
    std::fs::write(input.join("schema.sql"), s.schema).expect("schema");
    std::fs::write(input.join("silo-plan.toml"), s.config).expect("config");
    let out = dir.join(format!("{}-plan", s.name));
    let files = crate::util::plan_files(&input, &out);
    (out, files)
}

/// Whether `path` matches `pattern`, where `<...>` stands for one path segment or part of one.
fn matches(pattern: &str, path: &str) -> bool {
    let Some(open) = pattern.find('<') else {
        return pattern == path;
    };
    let Some(close) = pattern[open..].find('>').map(|c| open + c) else {
        return pattern == path;
    };
    let (head, rest) = (&pattern[..open], &pattern[close + 1..]);
    let Some(tail) = path.strip_prefix(head) else {
        return false;
    };
    (1..=tail.len())
        .any(|n| tail.is_char_boundary(n) && !tail[..n].contains('/') && matches(rest, &tail[n..]))
}

/// The files a text names (`cascades/...`, `fks/...`, `phases/...`, `silos/...`, `stubs/...`,
/// `simulate/...`), as written: `<silo>` placeholders kept, a trailing `/` for a directory.
fn named_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for dir in [
        "cascades/",
        "fks/",
        "phases/",
        "silos/",
        "stubs/",
        "simulate/",
    ] {
        for (i, _) in text.match_indices(dir) {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                continue;
            }
            let path: String = text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "_.-/<>".contains(*c))
                .collect();
            let path = path.trim_end_matches('.').to_string();
            out.push(path);
        }
    }
    out
}

/// The `silo_plan` functions a text calls (`silo_plan.apply(`), and those it creates.
fn functions(text: &str) -> (Vec<String>, Vec<String>) {
    let mut called = Vec::new();
    let mut created = Vec::new();
    for (i, _) in text.match_indices("silo_plan.") {
        let rest = &text[i + "silo_plan.".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '"')
            .collect();
        if !rest[name.len()..].starts_with('(') || name.is_empty() {
            continue;
        }
        let name = name.trim_matches('"').to_string();
        if text[..i].ends_with("FUNCTION ") {
            created.push(name);
        } else {
            called.push(name);
        }
    }
    (called, created)
}

/// What the files name that is not written, and the functions they call that none creates.
fn dangling(files: &BTreeMap<String, String>) -> Vec<String> {
    let mut errors = Vec::new();
    let created: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.ends_with(".sql"))
        .flat_map(|(_, t)| functions(t).1)
        .collect();
    for (path, text) in files
        .iter()
        .filter(|(p, _)| p.ends_with(".sql") || p.ends_with(".md"))
    {
        for named in named_paths(text) {
            let found = if named.ends_with('/') {
                files
                    .keys()
                    .any(|f| f.starts_with(&named) || matches(&format!("{named}<x>"), f))
            } else {
                files.keys().any(|f| matches(&named, f))
            };
            if !found {
                errors.push(format!("{path} names {named}, which is not written"));
            }
        }
        if path.starts_with("phases/") {
            for f in functions(text).0 {
                if !created.contains(&f) {
                    errors.push(format!(
                        "{path} calls silo_plan.{f}(), which no generated file creates"
                    ));
                }
            }
        }
    }
    errors.sort();
    errors.dedup();
    errors
}

/// Runs a phase's plan.json check on its database and compares with its expected line.
fn check_phase(plan_json: &Value, id: &str, o: &Cluster, t: &Cluster) {
    let phases = plan_json["phases"]["phases"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            plan_json["phases"]["rollbacks"]
                .as_array()
                .into_iter()
                .flatten(),
        );
    let Some(p) = phases.into_iter().find(|p| p["id"] == id) else {
        panic!("plan.json has no phase {id}");
    };
    let Some(c) = p.get("check") else {
        return;
    };
    let sql = c["sql"].as_str().expect("sql");
    let got = if c["place"] == "origin" {
        o.psql("origin", sql)
    } else {
        t.psql(c["place"].as_str().expect("place"), sql)
    };
    assert_eq!(
        got.trim(),
        c["expect"].as_str().expect("expect"),
        "{id}'s verify query: {sql}"
    );
}

/// The whole split of a shape that moves silo `control`, through `phases/run.sh`, on two
/// clusters: each phase, its verify query after it, a cut-over that stops at the wait and is
/// rolled back, the cut-over again, `silo-plan verify`, and the clean-up.
fn split(dir: &Path, s: &Shape, plan_dir: &Path, files: &BTreeMap<String, String>) {
    let o = Cluster::builder().wal_level_logical().start();
    let t = Cluster::builder().wal_level_logical().start();
    o.createdb("origin");
    t.createdb("control");
    let schema = dir.join(format!("{}-load.sql", s.name));
    std::fs::write(&schema, format!("{}{ROWS}", s.schema)).expect("write");
    let loaded = o.psql_file("origin", &schema);
    assert!(
        loaded.status.success() && !String::from_utf8_lossy(&loaded.stderr).contains("ERROR"),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let plan_json: Value = serde_json::from_str(&files["plan.json"]).expect("plan.json");
    let mut env = crate::phases::two_cluster_env(&o, &t, &dir.join(s.name));
    for id in crate::phases::BEFORE_CUTOVER {
        ok(&run_phase(plan_dir, id, &env), &format!("{}: {id}", s.name));
        check_phase(&plan_json, id, &o, &t);
    }
    // A cut-over that stops at the target's wait, and its rollback.
    t.disable_subscription("control", "silo_plan_move_control");
    let mut short = env.clone();
    short.retain(|(k, _)| *k != "CATCHUP_TIMEOUT");
    short.push(("CATCHUP_TIMEOUT", "2".to_string()));
    let stopped = run_phase(plan_dir, "06-cutover", &short);
    assert!(
        !stopped.status.success(),
        "{}: 06-cutover did not stop at the wait",
        s.name
    );
    ok(
        &run_phase(plan_dir, "rollback-06-cutover", &env),
        &format!("{}: rollback-06-cutover", s.name),
    );
    check_phase(&plan_json, "rollback-06-cutover", &o, &t);
    t.psql(
        "control",
        "ALTER SUBSCRIPTION silo_plan_move_control ENABLE",
    );
    ok(
        &run_phase(plan_dir, "06-cutover", &env),
        &format!("{}: 06-cutover", s.name),
    );
    check_phase(&plan_json, "06-cutover", &o, &t);
    let v = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .arg("verify")
        .arg(dir.join(s.name))
        .args(["--source", &o.url("origin"), "--target", &t.url("control")])
        .output()
        .expect("verify");
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}: verify after the cut-over:\n{}{}",
        s.name,
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    // The view reading a moved table is a coupling plan.md lists: replaced before clean-up.
    o.psql("origin", "DROP VIEW IF EXISTS public.user_names");
    env.push(("CONFIRM", "drop-moved-tables".to_string()));
    ok(
        &run_phase(plan_dir, "07-cleanup", &env),
        &format!("{}: 07-cleanup", s.name),
    );
    check_phase(&plan_json, "07-cleanup", &o, &t);
}

fn assert_no_dangling(s: &Shape, files: &BTreeMap<String, String>) {
    let errors = dangling(files);
    assert!(
        errors.is_empty(),
        "{}: the plan names what it does not write:\n{}",
        s.name,
        errors.join("\n")
    );
}

#[test]
fn path_patterns_and_function_calls_are_read_as_meant() {
    assert!(matches("cascades/<silo>.sql", "cascades/control.sql"));
    assert!(!matches("cascades/<silo>.sql", "cascades/a/b.sql"));
    assert!(matches(
        "silos/<silo>/schema.sql",
        "silos/region/schema.sql"
    ));
    assert_eq!(
        named_paths("run `phases/run.sh 02-prepare`, then \\ir ../fks/drop.sql; see silos/<silo>/schema.sql."),
        vec!["fks/drop.sql", "phases/run.sh", "silos/<silo>/schema.sql"]
    );
    let (called, created) = functions(
        "CREATE OR REPLACE FUNCTION silo_plan.apply(n int) ...; SELECT silo_plan.apply(1000); silo_plan.tombstones",
    );
    assert_eq!(
        (called, created),
        (vec!["apply".to_string()], vec!["apply".to_string()])
    );
}

#[test]
fn a_plan_without_crossings_names_only_what_it_writes_and_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = zero_crossings();
    let (out, files) = plan(dir.path(), &s);
    assert!(
        files.contains_key("phases/runbook.md"),
        "control moves: phases are written"
    );
    assert!(
        !files.keys().any(|f| f.starts_with("cascades/")),
        "no crossing, no cascades"
    );
    assert_no_dangling(&s, &files);
    split(dir.path(), &s, &out, &files);
}

#[test]
fn a_plan_whose_crossings_are_all_restrict_names_only_what_it_writes_and_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = restrict_only();
    let (out, files) = plan(dir.path(), &s);
    assert!(files.contains_key("cascades/region.sql"), "restrict guards");
    assert!(
        !files["cascades/region.sql"].contains("FUNCTION silo_plan.apply("),
        "nothing to apply"
    );
    assert_no_dangling(&s, &files);
    split(dir.path(), &s, &out, &files);
}

/// A replicated cascade whose child has children of its own through references without a
/// constraint: Postgres checks no such reference, so none of them blocks the replicated DELETE
/// (a NO ACTION constraint would: `blocked_by`, the "Postgres refuses this DELETE" hazard).
#[test]
fn a_reference_without_constraint_blocks_no_replicated_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Shape {
        name: "cascade-over-references",
        schema: concat!(
            "CREATE TABLE public.users (id bigint PRIMARY KEY, name text NOT NULL);\n",
            "CREATE TABLE public.projects (id bigint PRIMARY KEY, owner_id bigint NOT NULL);\n",
            "CREATE TABLE public.tasks (id bigint PRIMARY KEY, project_id bigint NOT NULL);\n",
            "CREATE TABLE public.notes (id bigint PRIMARY KEY, project_id bigint NOT NULL);\n",
            "ALTER TABLE ONLY public.projects\n",
            "    ADD CONSTRAINT projects_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES public.users(id) ON DELETE CASCADE;\n",
            "ALTER TABLE ONLY public.notes\n",
            "    ADD CONSTRAINT notes_project_id_fkey FOREIGN KEY (project_id) REFERENCES public.projects(id);\n",
        ),
        config: "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\n\
                 [silos.control]\ntables = [\"users\"]\n\n\
                 [silos.region]\ntables = [\"projects\", \"tasks\", \"notes\"]\n\n\
                 [[references]]\nfrom = \"tasks.project_id\"\nto = \"projects.id\"\non_delete = \"cascade\"\n\n\
                 [[edges]]\nfrom = \"notes.project_id\"\non_delete = \"cascade\"\n",
    };
    let (_, files) = plan(dir.path(), &s);
    let region = &files["cascades/region.sql"];
    // The control: a NO ACTION constraint the application emulated as a cascade does block it.
    assert!(
        region.contains("public.notes.notes_project_id_fkey (cascade)"),
        "the NO ACTION constraint notes_project_id_fkey is named as blocking:\n{region}"
    );
    assert!(
        !region.contains("tasks_project_id_ref"),
        "a reference without a constraint is named as blocking the replicated DELETE:\n{region}"
    );
}

/// The phases keep to constraints: a crossing reference without one is not in 03-break's list
/// of keys to drop, and an in-silo one is not a key the target must have (issue 21).
#[test]
fn references_without_constraints_are_in_no_phase_ddl_and_the_split_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = references_without_constraints();
    let (out, files) = plan(dir.path(), &s);
    let plan_json: Value = serde_json::from_str(&files["plan.json"]).expect("plan.json");
    let text = plan_json.to_string();
    assert!(
        text.contains("projects_owner_id_ref") && text.contains("profiles_user_id_ref"),
        "both references are in the plan (declared crossing, inferred in-silo)"
    );
    for (f, body) in files.iter().filter(|(f, _)| f.starts_with("phases/")) {
        assert!(
            !body.contains("projects_owner_id_ref") && !body.contains("profiles_user_id_ref"),
            "{f} names a reference that has no constraint"
        );
    }
    assert_no_dangling(&s, &files);
    split(dir.path(), &s, &out, &files);
}

#[test]
fn a_silo_without_tables_gets_no_phase_and_the_split_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = a_silo_without_tables();
    let (out, files) = plan(dir.path(), &s);
    assert!(
        !files
            .keys()
            .any(|f| f.starts_with("phases/") && f.contains("analytics")),
        "a phase file for silo analytics, which holds no table: {:?}",
        files
            .keys()
            .filter(|f| f.starts_with("phases/"))
            .collect::<Vec<_>>()
    );
    assert!(
        files["phases/runbook.md"].contains("Silo analytics holds no table"),
        "the runbook says why analytics has no phase"
    );
    assert_no_dangling(&s, &files);
    split(dir.path(), &s, &out, &files);
}

#[test]
fn plans_where_nothing_moves_name_only_what_they_write_and_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = Cluster::start();
    for s in [nothing_moves(), one_silo()] {
        let (out, files) = plan(dir.path(), &s);
        assert!(
            !files.keys().any(|f| f.starts_with("phases/")),
            "{}: phases written though nothing moves",
            s.name
        );
        assert_no_dangling(&s, &files);
        // What is written runs: the dump, then the FK scripts (they change nothing).
        let db = s.name.replace('-', "_");
        c.createdb(&db);
        let load = dir.path().join(format!("{db}.sql"));
        std::fs::write(&load, format!("{}{ROWS}", s.schema)).expect("write");
        for f in [load, out.join("fks/drop.sql"), out.join("fks/restore.sql")] {
            let o = c.psql_file(&db, &f);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                o.status.success() && !err.contains("ERROR"),
                "{}: {}: {err}",
                s.name,
                f.display()
            );
        }
    }
}
