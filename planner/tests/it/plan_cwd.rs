//! The same config planned from different working directories, named relatively or
//! absolutely, gives byte-identical output: the plan names the config and the dumps relative
//! to the config's directory (issue 18, must-show 3).

use std::path::Path;

use crate::util::{read_tree, root};

fn plan(cwd: &Path, args: &[&std::ffi::OsStr]) -> std::collections::BTreeMap<String, String> {
    let out = tempfile::tempdir().expect("tempdir");
    let o = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(cwd)
        .arg("plan")
        .args(args)
        .arg("--out")
        .arg(out.path().join("plan"))
        .output()
        .expect("runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    read_tree(&out.path().join("plan"))
}

#[test]
fn the_plan_does_not_depend_on_the_working_directory() {
    let saas = root().join("examples/saas");
    let elsewhere = tempfile::tempdir().expect("tempdir");
    // From the repository, the config's directory named relatively.
    let a = plan(root(), &["examples/saas".as_ref()]);
    // From `examples`, the config file itself named relatively.
    let b = plan(&root().join("examples"), &["saas/silo-plan.toml".as_ref()]);
    // From an unrelated directory, the config named absolutely, the dump given with
    // `--schema` (absolute, through a `..`).
    let c = plan(
        elsewhere.path(),
        &[
            saas.as_os_str(),
            "--schema".as_ref(),
            saas.join("../saas/schema.sql").as_os_str(),
        ],
    );
    // From the config's own directory, nothing named.
    let d = plan(&saas, &[]);
    assert!(a.len() > 20, "{:?}", a.keys());
    for (what, other) in [("b", &b), ("c", &c), ("d", &d)] {
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            other.keys().collect::<Vec<_>>(),
            "{what}"
        );
        for (path, text) in &a {
            assert!(other[path] == *text, "{path} differs in run {what}");
        }
    }
    // The names are the config's: no working directory shows through.
    let md = &a["plan.md"];
    assert!(
        md.contains("from `silo-plan.toml` and `schema.sql`"),
        "{}",
        &md[..400]
    );
    let cwd = root().display().to_string();
    for (path, text) in &a {
        assert!(!text.contains(&cwd), "{path} names {cwd}");
        assert!(
            !text.contains("examples/saas"),
            "{path} names examples/saas"
        );
    }
}
