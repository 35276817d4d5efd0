//! The command line's conventions: completions and a man page, examples in every command's
//! help, colour by `--color` and `NO_COLOR` (on a real terminal: a pty from util-linux
//! `script`), `-q`, `--schema -` from standard input, and the config found upward from the
//! working directory.

use std::path::Path;

use assert_cmd::Command;

use super::util::root;

fn bin() -> Command {
    Command::cargo_bin("silo-plan").expect("binary")
}

fn ok_stdout(args: &[&str]) -> String {
    let o = bin().args(args).output().expect("runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

const COMMANDS: [&str; 13] = [
    "init",
    "inspect",
    "check",
    "references",
    "plan",
    "verify",
    "suggest",
    "explain",
    "simulate",
    "queries",
    "relocate",
    "completions",
    "man",
];

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = ok_stdout(&["completions", shell]);
        for cmd in COMMANDS {
            assert!(out.contains(cmd), "{shell} completions lack `{cmd}`");
        }
        assert!(out.contains("color"), "{shell} completions lack --color");
    }
}

#[test]
fn man_page() {
    let out = ok_stdout(&["man"]);
    assert!(out.contains(".TH silo-plan 1"), "{out}");
    for cmd in COMMANDS {
        assert!(out.contains(cmd), "man page lacks `{cmd}`");
    }
}

#[test]
fn every_command_has_examples_in_its_help() {
    assert!(ok_stdout(&["--help"]).contains("Examples:"));
    for cmd in COMMANDS {
        let out = ok_stdout(&[cmd, "--help"]);
        let ex = out
            .split("Examples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("`{cmd} --help` has no examples:\n{out}"));
        assert!(ex.contains(&format!("silo-plan {cmd}")), "{cmd}: {ex}");
    }
}

/// `silo-plan ARGS` run on a pseudo-terminal (`script -q -e -c`), in the repository root, with
/// `NO_COLOR` set to `no_color` or removed: what the terminal showed.
fn on_terminal(args: &str, no_color: Option<&str>) -> String {
    let exe = assert_cmd::cargo::cargo_bin("silo-plan");
    let line = format!("{} {args}", exe.display());
    let mut c = std::process::Command::new("script");
    c.current_dir(root())
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("TERM", "xterm");
    match no_color {
        Some(v) => c.env("NO_COLOR", v),
        None => c.env_remove("NO_COLOR"),
    };
    let o = c
        .output()
        .expect("util-linux `script` runs (apt-get install bsdutils)");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(1),
        "check finds the example's crossings: {out}"
    );
    assert!(
        out.contains("SP002"),
        "the report reached the terminal: {out}"
    );
    out
}

#[test]
fn colour_on_a_terminal_follows_no_color_and_the_flag() {
    // The control: on a terminal, colour by default.
    assert!(on_terminal("check examples/saas", None).contains('\u{1b}'));
    assert!(!on_terminal("check examples/saas", Some("1")).contains('\u{1b}'));
    // An empty NO_COLOR is unset (no-color.org).
    assert!(on_terminal("check examples/saas", Some("")).contains('\u{1b}'));
    assert!(!on_terminal("check examples/saas --color never", None).contains('\u{1b}'));
    // --color always wins over NO_COLOR, and colours a pipe.
    assert!(on_terminal("check examples/saas --color always", Some("1")).contains('\u{1b}'));
    let o = bin()
        .current_dir(root())
        .args(["check", "examples/saas", "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains('\u{1b}'));
}

#[test]
fn quiet_leaves_out_notes() {
    let tmp = tempfile::tempdir().unwrap();
    let schema = root().join("examples/saas/schema.sql");
    let run = |extra: &[&str]| {
        let o = bin()
            .args(["init"])
            .arg(tmp.path())
            .arg("--schema")
            .arg(&schema)
            .arg("--force")
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
        String::from_utf8(o.stderr).unwrap()
    };
    assert!(run(&[]).contains("wrote"));
    assert_eq!(run(&["-q"]), "");
}

#[test]
fn schema_from_standard_input() {
    let path = "examples/saas/schema.sql";
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let from_file = bin()
        .current_dir(root())
        .args(["inspect", "--schema", path])
        .output()
        .unwrap();
    let from_stdin = bin()
        .current_dir(root())
        .args(["inspect", "--schema", "-"])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    assert_eq!(from_stdin.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&from_stdin.stdout),
        String::from_utf8_lossy(&from_file.stdout).replace(path, "<stdin>")
    );
    // A config-driven command reads it in place of the config's dumps.
    let o = bin()
        .current_dir(root())
        .args([
            "check",
            "examples/saas",
            "--schema",
            "-",
            "--format",
            "json",
        ])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"<stdin>\""));
}

fn copy_example(to: &Path) {
    for f in ["silo-plan.toml", "schema.sql"] {
        std::fs::copy(root().join("examples/saas").join(f), to.join(f)).unwrap();
    }
}

#[test]
fn config_found_upward_from_the_working_directory() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example(tmp.path());
    let deep = tmp.path().join("app/models");
    std::fs::create_dir_all(&deep).unwrap();
    let run = |dir: &Path| {
        bin()
            .current_dir(dir)
            .args(["check", "--format", "json"])
            .output()
            .unwrap()
    };
    let top = run(tmp.path());
    let below = run(&deep);
    assert_eq!(top.status.code(), Some(1));
    assert_eq!(
        below.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&below.stderr)
    );
    // The same findings, the files named from where it ran.
    let below_text = String::from_utf8_lossy(&below.stdout);
    assert!(below_text.contains("../../schema.sql"), "{below_text}");
    assert_eq!(
        below_text.replace("../../", ""),
        String::from_utf8_lossy(&top.stdout).replace("./", "")
    );
    // With no config anywhere up, the error names the directory and `init`.
    let empty = tempfile::tempdir().unwrap();
    let o = run(empty.path());
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("nor in any parent directory"), "{err}");
    assert!(err.contains("silo-plan init"), "{err}");
}
