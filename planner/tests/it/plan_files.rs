//! `silo-plan plan`: the files for examples/saas (snapshots), byte-identical reruns, and no
//! partial output directory on failure.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn plan(out: &Path, extra: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(root())
        .args(["plan", "examples/saas", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("runs")
}

#[test]
fn saas_plan_files_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("plan");
    let o = plan(&out, &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let fs = crate::util::read_tree(&out).into_iter().collect::<Vec<_>>();
    assert!(fs.iter().any(|(p, _)| p == "plan.md"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("phases/run.sh"))
            .expect("run.sh")
            .permissions();
        assert_eq!(mode.mode() & 0o111, 0o111, "phases/run.sh is executable");
    }
    // The list of files first: a file that `plan` stops writing (or starts to) shows here
    // even where no other test reads it.
    let listing: String = fs.iter().map(|(p, _)| format!("{p}\n")).collect();
    insta::assert_snapshot!("plan_saas__files", listing);
    for (path, text) in &fs {
        assert!(!text.is_empty(), "{path} is empty");
        let name = format!("plan_saas__{}", path.replace(['/', '.'], "_"));
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn two_runs_are_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    assert_eq!(plan(&a, &[]).status.code(), Some(0));
    assert_eq!(plan(&b, &[]).status.code(), Some(0));
    let (fa, fb) = (crate::util::read_tree(&a), crate::util::read_tree(&b));
    assert!(fa.len() >= 4);
    assert_eq!(fa, fb);
}

#[test]
fn refuses_a_non_empty_directory_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("plan");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(out.join("keep.txt"), "mine").expect("write");
    let o = plan(&out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(out.join("keep.txt")).expect("kept"),
        "mine"
    );
    let o = plan(&out, &["--force"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        !out.join("keep.txt").exists(),
        "--force replaces the directory"
    );
    assert!(out.join("plan.md").exists());
}

#[test]
fn a_failure_midway_leaves_no_output_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("plan");
    let o = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(root())
        .env("SILO_PLAN_TEST_FAIL_WRITE_AFTER", "2")
        .args(["plan", "examples/saas", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing was written"));
    assert!(!out.exists(), "no output directory after a failed write");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert!(leftovers.is_empty(), "no temporary directory left behind");
}

/// `silo-plan plan DIR --out OUT` (the config in `dir`, written by the test).
fn plan_dir(dir: &Path, out: &Path) -> std::process::Output {
    assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .args(["plan"])
        .arg(dir)
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

#[test]
fn bad_input_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("silo-plan.toml"),
        "version = 1\nschema = [\"missing.sql\"]\n[silos.a]\ntables = [\"x\"]\n",
    )
    .expect("write");
    let out = dir.path().join("plan");
    let o = plan_dir(dir.path(), &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.sql"));
    assert!(!out.exists());
}

/// Two tables may each have a constraint of the same name: graph.dot and graph.mmd mark the
/// one that crosses, not both (they were matched by name alone).
#[test]
fn graphs_mark_only_the_crossing_key_of_a_shared_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("schema.sql"),
        "CREATE TABLE public.orgs (id bigint PRIMARY KEY);\n\
         CREATE TABLE public.teams (id bigint PRIMARY KEY, org_id bigint);\n\
         CREATE TABLE public.logs (id bigint PRIMARY KEY, org_id bigint);\n\
         ALTER TABLE ONLY public.teams ADD CONSTRAINT owner_fk FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;\n\
         ALTER TABLE ONLY public.logs ADD CONSTRAINT owner_fk FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("silo-plan.toml"),
        "version = 1\nschema = [\"schema.sql\"]\n\
         [silos.control]\ntables = [\"orgs\", \"teams\"]\n\
         [silos.region]\ntables = [\"logs\"]\n",
    )
    .expect("write");
    let out = dir.path().join("plan");
    let o = plan_dir(dir.path(), &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mmd = std::fs::read_to_string(out.join("graph.mmd")).expect("graph.mmd");
    assert_eq!(mmd.matches(" -. crosses .-> ").count(), 1, "{mmd}");
    assert_eq!(mmd.matches(" --> ").count(), 1, "{mmd}");
    let dot = std::fs::read_to_string(out.join("graph.dot")).expect("graph.dot");
    let red: Vec<&str> = dot.lines().filter(|l| l.contains("color=red")).collect();
    assert_eq!(red.len(), 1, "{dot}");
    assert!(red[0].contains("public.logs"), "{dot}");
}
