//! The README's test command is one command that a fresh machine can run, CI runs exactly it,
//! and the tests' installs are listed in one place (scripts/install-test-deps), so CI and a
//! newcomer cannot drift apart.

use super::util::root;

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The last command of a shell text (comments and blank lines left out).
fn last_command(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('#'))
        .expect("a command")
        .to_string()
}

#[test]
fn ci_runs_exactly_the_readmes_test_command_and_installs_in_one_place() {
    let readme = read("README.md");
    let block = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the README's first sh block");
    let command = last_command(block);
    assert_eq!(command, "scripts/test", "{block}");
    let ci = read(".ci/run");
    assert_eq!(
        last_command(&ci),
        command,
        ".ci/run must end with the README's command"
    );
    // The installs are in scripts/install-test-deps, which scripts/test runs; not in .ci/run.
    for install in ["apt-get", "pip install", "npm "] {
        assert!(!ci.contains(install), ".ci/run installs with `{install}`");
    }
    let test = read("scripts/test");
    assert!(test.contains("scripts/install-test-deps"), "{test}");
    assert!(test.contains("cargo test --locked"), "{test}");
    let deps = read("scripts/install-test-deps");
    for tool in [
        "postgresql",
        "golang-go",
        "chromium",
        "django==",
        "alembic==",
        "ruff==",
    ] {
        assert!(
            deps.contains(tool),
            "scripts/install-test-deps lacks {tool}"
        );
    }
}
