//! `silo-plan plan`: the files for examples/saas (snapshots), byte-identical reruns, and no
//! partial output directory on failure.

use std::path::Path;

use crate::util::{root, silo_plan};

/// `silo-plan plan examples/saas --out OUT EXTRA...`.
fn plan(out: &Path, extra: &[&str]) -> std::process::Output {
    let args = [
        "plan".as_ref(),
        "examples/saas".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    silo_plan(
        root(),
        args.into_iter().chain(extra.iter().map(|a| a.as_ref())),
    )
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
        if path == "report.html" {
            // The page's data, pretty-printed (its script and style are templates/report.js
            // and templates/report.html, tested in a browser by report_html.rs).
            let start = text
                .find("<script type=\"application/json\" id=\"plan-data\">")
                .expect("data");
            let json = &text[start..];
            let json =
                &json[json.find('>').expect("tag") + 1..json.find("</script>").expect("end")];
            let data: serde_json::Value = serde_json::from_str(json).expect("JSON");
            insta::assert_snapshot!(
                "plan_saas__report_html_data",
                serde_json::to_string_pretty(&data).expect("JSON")
            );
            continue;
        }
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

/// The files of a small "plan", for the output tests that drive `output::write_dir` directly.
fn files(tag: &str) -> Vec<silo_plan::render::OutFile> {
    [
        "plan.md",
        "fks/drop.sql",
        "phases/run.sh",
        "stubs/python/x.py",
    ]
    .iter()
    .map(|p| silo_plan::render::OutFile {
        path: p.to_string(),
        contents: format!("{tag}: {p}\n"),
    })
    .collect()
}

fn write(
    out: &Path,
    force: bool,
    fault: silo_plan::output::Fault,
    tag: &str,
) -> Result<silo_plan::output::Written, silo_plan::output::WriteError> {
    let opts = silo_plan::output::Options {
        force,
        inputs: Vec::new(),
        fault,
    };
    silo_plan::output::write_dir(out, &opts, |emit| {
        for f in files(tag) {
            emit(f)?;
        }
        Ok(())
    })
}

/// Every entry of `dir`, by name, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn a_failure_midway_leaves_no_output_directory() {
    use silo_plan::output::Fault;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("plan");
    let e = write(&out, false, Fault::WriteFails(2), "new").expect_err("fails");
    assert!(e.message.contains("nothing was written"), "{e}");
    assert!(!out.exists(), "no output directory after a failed write");
    assert!(
        entries(dir.path()).is_empty(),
        "no temporary directory left behind"
    );
    // Over an existing output: it stays as it was.
    write(&out, false, Fault::None, "old").expect("writes");
    let e = write(&out, true, Fault::WriteFails(3), "new").expect_err("fails");
    assert!(e.message.contains("nothing was written"), "{e}");
    assert_eq!(crate::util::read_tree(&out)["plan.md"], "old: plan.md\n");
    assert_eq!(entries(dir.path()), ["plan"]);
}

/// The shipped binary has no test hook: the variable that used to make it fail midway does
/// nothing.
#[test]
fn the_binary_has_no_failure_hook() {
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
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.join("plan.md").exists());
}

/// The saas example copied into `dir/proj` (config and dump), for tests that plan it where
/// they like.
fn copy_saas(dir: &Path) -> std::path::PathBuf {
    let proj = dir.join("proj");
    std::fs::create_dir_all(&proj).expect("mkdir");
    for f in ["silo-plan.toml", "schema.sql"] {
        std::fs::copy(root().join("examples/saas").join(f), proj.join(f)).expect("copy");
    }
    proj
}

/// `--out` naming the config's directory, a directory above it, or a dump directory given with
/// `--schema`: `--force` would delete the inputs. Refused, and the inputs are all still there.
#[test]
fn refuses_an_output_that_holds_an_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let proj = copy_saas(dir.path());
    let dumps = dir.path().join("dumps");
    std::fs::create_dir(&dumps).expect("mkdir");
    std::fs::copy(proj.join("schema.sql"), dumps.join("schema.sql")).expect("copy");
    let os = |s: &str| std::ffi::OsStr::new(s).to_os_string();
    for (args, input) in [
        (
            vec![os("plan"), os("proj"), os("--out"), os("proj")],
            "silo-plan.toml",
        ),
        (
            vec![
                os("plan"),
                os("proj"),
                os("--out"),
                dir.path().as_os_str().to_os_string(),
            ],
            "silo-plan.toml",
        ),
        (
            vec![
                os("plan"),
                os("proj"),
                os("--schema"),
                os("dumps"),
                os("--out"),
                os("dumps"),
            ],
            "dumps",
        ),
    ] {
        let mut args = args;
        args.push(os("--force"));
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let o = silo_plan(dir.path(), &refs);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("an input of this plan") && err.contains(input),
            "{args:?}: {err}"
        );
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(entries(&proj), ["schema.sql", "silo-plan.toml"], "{args:?}");
        assert_eq!(entries(&dumps), ["schema.sql"], "{args:?}");
        assert_eq!(entries(dir.path()), ["dumps", "proj"], "{args:?}");
    }
}

/// `--out` naming a file: refused even with `--force`, the file kept.
#[test]
fn refuses_to_replace_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let proj = copy_saas(dir.path());
    let file = dir.path().join("plan.sql");
    std::fs::write(&file, "mine").expect("write");
    for force in [false, true] {
        let mut args = vec![
            std::ffi::OsStr::new("plan"),
            proj.as_os_str(),
            std::ffi::OsStr::new("--out"),
            file.as_os_str(),
        ];
        if force {
            args.push(std::ffi::OsStr::new("--force"));
        }
        let o = silo_plan(dir.path(), &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("is a file, not a directory"), "{err}");
        assert_eq!(std::fs::read_to_string(&file).expect("kept"), "mine");
        assert_eq!(entries(dir.path()), ["plan.sql", "proj"]);
    }
}

/// A run killed between its two renames leaves no output, only the old output moved aside and
/// the new one beside it (names given by the process id). The next run puts the old output
/// back before anything else and removes the leftovers.
#[test]
fn a_kill_between_the_renames_is_recovered_by_the_next_run() {
    use silo_plan::output::Fault;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("plan");
    write(&out, false, Fault::None, "old").expect("writes");
    write(&out, true, Fault::StopBetweenRenames, "new").expect_err("stops");
    assert!(!out.exists(), "the kill left no output");
    let pid = std::process::id();
    assert_eq!(
        entries(dir.path()),
        [
            format!(".plan.silo-plan-old-{pid}"),
            format!(".plan.silo-plan-tmp-{pid}")
        ]
    );
    // The next run without --force: the old output is back, and it is not replaced.
    let e = write(&out, false, Fault::None, "next").expect_err("not empty");
    assert!(e.message.contains("--force"), "{e}");
    assert!(
        e.notes
            .iter()
            .any(|n| n.starts_with(&format!("restored {}", out.display()))),
        "{:?}",
        e.notes
    );
    assert_eq!(crate::util::read_tree(&out)["plan.md"], "old: plan.md\n");
    assert_eq!(entries(dir.path()), ["plan"]);
}

/// The same recovery by the binary, from the leftovers a killed run of another process leaves.
#[test]
fn the_binary_restores_an_output_a_killed_run_moved_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let proj = copy_saas(dir.path());
    let old = dir.path().join(".plan.silo-plan-old-4194999");
    let tmp = dir.path().join(".plan.silo-plan-tmp-4194999");
    for (d, text) in [(&old, "old plan"), (&tmp, "half a new plan")] {
        std::fs::create_dir_all(d).expect("mkdir");
        std::fs::write(d.join("plan.md"), text).expect("write");
    }
    let stale = dir.path().join(".plan.silo-plan-tmp-17");
    std::fs::create_dir_all(&stale).expect("mkdir");
    let args = [
        std::ffi::OsStr::new("plan"),
        proj.as_os_str(),
        std::ffi::OsStr::new("--out"),
        std::ffi::OsStr::new("plan"),
    ];
    // Without --force: restored, and then refused as the non-empty directory it is.
    let o = silo_plan(dir.path(), args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("note: restored plan from ./.plan.silo-plan-old-4194999"),
        "{err}"
    );
    assert!(err.contains("is not empty: pass --force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("plan/plan.md")).expect("restored"),
        "old plan"
    );
    assert_eq!(entries(dir.path()), ["plan", "proj"]);
    // With --force: replaced.
    let mut forced = args.to_vec();
    forced.push(std::ffi::OsStr::new("--force"));
    let o = silo_plan(dir.path(), &forced);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(std::fs::read_to_string(dir.path().join("plan/plan.md"))
        .expect("new")
        .starts_with("# Split plan"));
    assert_eq!(entries(dir.path()), ["plan", "proj"]);
}

/// The new output is in place when removing the old one fails: the run succeeds and says
/// exactly that (it used to say "nothing was written" and exit 2); the next run removes it.
#[test]
fn an_old_output_that_cannot_be_removed_is_reported_truly() {
    use silo_plan::output::Fault;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("plan");
    write(&out, false, Fault::None, "old").expect("writes");
    let w = write(&out, true, Fault::RemoveOldFails, "new").expect("the new plan is in place");
    assert_eq!(w.files.len(), 4);
    let old = dir
        .path()
        .join(format!(".plan.silo-plan-old-{}", std::process::id()));
    assert_eq!(
        w.notes,
        [format!(
            "the new plan is in {}, but the previous output could not be removed from {}: simulated removal failure (remove it by hand; the next run removes it)",
            out.display(),
            old.display()
        )]
    );
    assert_eq!(crate::util::read_tree(&out)["plan.md"], "new: plan.md\n");
    assert!(old.exists());
    let w = write(&out, true, Fault::None, "next").expect("writes");
    assert!(
        w.notes[0].starts_with(&format!("removed {}", old.display())),
        "{:?}",
        w.notes
    );
    assert_eq!(entries(dir.path()), ["plan"]);
}

/// `silo-plan plan DIR --out OUT` (the config in `dir`, written by the test).
fn plan_dir(dir: &Path, out: &Path) -> std::process::Output {
    silo_plan(
        root(),
        [
            "plan".as_ref(),
            dir.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
    )
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

/// Three tables, one of them in a silo: with `unassigned = "error"` (the default), `check`
/// rejects the map.
fn unassigned_map(dir: &Path, unassigned: &str) {
    std::fs::write(
        dir.join("schema.sql"),
        "CREATE TABLE public.orgs (id bigint PRIMARY KEY);\n\
         CREATE TABLE public.teams (id bigint PRIMARY KEY, org_id bigint);\n\
         CREATE TABLE public.logs (id bigint PRIMARY KEY);\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("silo-plan.toml"),
        format!(
            "version = 1\nschema = [\"schema.sql\"]\n{unassigned}\
             [silos.control]\ntables = [\"orgs\"]\n"
        ),
    )
    .expect("write");
}

/// `plan` on a map that `check` rejects for tables in no silo refuses: exit 2, the blocking
/// findings printed as `check` prints them, nothing written. It used to exit 0 and write a plan
/// that left two tables out, saying only "2 other findings".
#[test]
fn plan_refuses_a_map_with_unassigned_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    unassigned_map(dir.path(), "");
    let out = dir.path().join("plan");
    let o = plan_dir(dir.path(), &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for t in ["teams", "logs"] {
        assert!(
            err.contains(&format!(
                "error[SP001]: table public.{t} is not assigned to a silo"
            )),
            "{err}"
        );
    }
    assert!(err.contains("2 errors, 0 warnings, 0 notes"), "{err}");
    assert!(err.contains("--allow-findings"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(o.stdout.is_empty());
    assert!(!out.exists());
    assert_eq!(entries(dir.path()), ["schema.sql", "silo-plan.toml"]);

    // With `unassigned = "warn"` the same map only warns: written, without that section.
    unassigned_map(dir.path(), "[defaults]\nunassigned = \"warn\"\n");
    let o = plan_dir(dir.path(), &out);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let md = std::fs::read_to_string(out.join("plan.md")).expect("plan.md");
    assert!(!md.contains("Written despite"), "{md}");
}

/// `--allow-findings` writes the plan anyway, says so, and plan.md opens with the findings it
/// was written despite.
#[test]
fn allow_findings_writes_the_plan_and_says_what_it_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    unassigned_map(dir.path(), "");
    let out = dir.path().join("plan");
    let o = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .arg("plan")
        .arg(dir.path())
        .arg("--out")
        .arg(&out)
        .arg("--allow-findings")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("error[SP001]: table public.logs"), "{err}");
    assert!(
        err.contains("writing the plan anyway (--allow-findings)"),
        "{err}"
    );
    let md = std::fs::read_to_string(out.join("plan.md")).expect("plan.md");
    let head = md.split("## Summary").next().expect("head");
    assert!(
        head.contains("## ⚠ Written despite findings that block it"),
        "{md}"
    );
    for t in ["teams", "logs"] {
        assert!(
            head.contains(&format!(
                "| SP001 | table public.{t} is not assigned to a silo |"
            )),
            "{head}"
        );
    }
}
