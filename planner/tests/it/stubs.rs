//! `stubs/<lang>/`: rendered by `silo-plan plan` for examples/saas and for a dump of awkward
//! names (`fixtures/stubs`: keywords of every language, mixed case, spaces, quotes, `$1` and `%`,
//! `#{`, `*/`, unicode, names that collide once sanitized), each checked by its language's own
//! tools: `py_compile`, `mypy --strict`, `ruff format --check` and `ruff check`, `tsc --strict`,
//! `prettier --check`, `gofmt` and `go vet`, `rustfmt --check` and `cargo clippy -D warnings`,
//! `ruby -wc` and rubocop; the silo-mode test helpers beside them (`silo_plan_testing.py`,
//! `silo_plan_pytest.py`, `silo_plan_django.py`, `silo_plan_testing.ts`, `go/silotest/`,
//! `silo_plan_minitest.rb`) too,
//! and `silotests.rs` runs them in their test runners.
//! The Python pump, a cascade handler and a restrict guard also run against two real databases.
//!
//! The saas stubs' snapshots are those of `plan_files` (`plan_saas__stubs_*`). A missing tool
//! fails its test with the command that installs it (`.ci/run` installs them all); tests never
//! skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::pg::Cluster;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where the checkers' caches live: `target/stub-tools` (npm packages, the generated crate's
/// build directory), shared by every run.
pub(crate) fn tools_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    target.join("stub-tools")
}

/// Runs `silo-plan plan` on `example` (a directory with `silo-plan.toml`) into a temp dir.
fn plan(example: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(root())
        .args(["plan", example, "--out"])
        .arg(dir.path().join("plan"))
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "silo-plan plan {example}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn stubs(dir: &tempfile::TempDir, lang: &str) -> PathBuf {
    let p = dir.path().join("plan/stubs").join(lang);
    assert!(p.is_dir(), "{} is missing", p.display());
    p
}

/// The bundled example, the awkward names, and lago-api (a real Rails app's dump from
/// `../shared/schemas/real`, split so that many tables cross).
const EXAMPLES: [&str; 3] = [
    "examples/saas",
    "planner/tests/it/fixtures/stubs",
    "planner/tests/it/fixtures/stubs-lago",
];

/// Runs a command, panicking with its output unless it succeeds. A program that cannot be
/// started fails with `hint`.
pub(crate) fn run(cmd: &mut Command, what: &str, hint: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {:?} ({e}); {hint}", cmd.get_program()));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Checks that `program args` starts and succeeds, else fails with `hint`.
fn require(program: &str, args: &[&str], hint: &str) {
    let ok = Command::new(program)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(ok, "`{program} {}` failed: {hint}", args.join(" "));
}

pub(crate) const PY_HINT: &str = "install Python 3 with mypy, psycopg 3, ruff, pytest and \
    Django (the silo-mode helpers are checked against them): `apt-get install -y python3 \
    python3-pip && pip install mypy 'psycopg[binary]' ruff==0.17.6 pytest==9.2.0 \
    django==5.2.19` (.ci/run does this); these tests never skip";

pub(crate) fn python() -> &'static str {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        require("python3", &["-c", "import psycopg"], PY_HINT);
        require("python3", &["-m", "mypy", "--version"], PY_HINT);
        require("python3", &["-m", "ruff", "--version"], PY_HINT);
        require("python3", &["-m", "pytest", "--version"], PY_HINT);
        require("python3", &["-c", "import django"], PY_HINT);
    });
    "python3"
}

/// The Python files of `stubs/python/`: the stubs, and the silo-mode test helpers (the pytest
/// plugin and the Django test-runner mixin over `silo_plan_testing`).
const PY_FILES: [&str; 4] = [
    "silo_plan_stubs.py",
    "silo_plan_testing.py",
    "silo_plan_pytest.py",
    "silo_plan_django.py",
];

#[test]
fn python_stubs_compile_and_pass_mypy_strict() {
    for ex in EXAMPLES {
        let dir = plan(ex);
        let py = stubs(&dir, "python");
        run(
            Command::new(python())
                .args(["-m", "py_compile"])
                .args(PY_FILES)
                .current_dir(&py),
            &format!("py_compile of {ex}'s Python stub"),
            PY_HINT,
        );
        run(
            Command::new(python())
                .args(["-m", "mypy", "--strict", "--no-incremental"])
                .args(PY_FILES)
                .current_dir(&py),
            &format!("mypy --strict on {ex}'s Python stub"),
            PY_HINT,
        );
        // ruff's defaults (no configuration file: `--isolated`), as a project would check in
        // the file.
        run(
            Command::new(python())
                .args(["-m", "ruff", "format", "--isolated", "--check", "--diff"])
                .args(PY_FILES)
                .current_dir(&py),
            &format!("ruff format --check on {ex}'s Python stub"),
            PY_HINT,
        );
        run(
            Command::new(python())
                .args(["-m", "ruff", "check", "--isolated", "--no-cache"])
                .args(PY_FILES)
                .current_dir(&py),
            &format!("ruff check on {ex}'s Python stub"),
            PY_HINT,
        );
    }
}

pub(crate) const TS_HINT: &str =
    "install Node.js and npm (`apt-get install -y nodejs npm`); the test \
    installs typescript, prettier, @types/pg, @types/node, pg and vitest, at the versions of \
    planner/tests/stub-tools/package-lock.json, into target/stub-tools with `npm ci` \
    (.ci/run does this too); these tests never skip";

/// `tsc` from `target/stub-tools/node_modules`, installed with `npm ci` from the pinned
/// `planner/tests/stub-tools/package-lock.json` when missing or installed from another lock.
pub(crate) fn tsc() -> PathBuf {
    let dir = tools_dir();
    let tsc = dir.join("node_modules/.bin/tsc");
    let pinned = crate::util::root().join("planner/tests/stub-tools");
    let lock = std::fs::read(pinned.join("package-lock.json")).expect("the pinned npm lockfile");
    let installed = std::fs::read(dir.join("package-lock.json")).ok();
    if !tsc.exists() || installed.as_deref() != Some(lock.as_slice()) {
        std::fs::create_dir_all(&dir).expect("creating target/stub-tools");
        for f in ["package.json", "package-lock.json"] {
            std::fs::copy(pinned.join(f), dir.join(f)).expect("copying the npm pin");
        }
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir),
            "npm ci of the TypeScript checker",
            TS_HINT,
        );
    }
    require("node", &["--version"], TS_HINT);
    tsc
}

#[test]
fn typescript_stubs_pass_tsc_strict_and_prettier() {
    let tsc = tsc();
    for ex in EXAMPLES {
        let dir = plan(ex);
        let ts = stubs(&dir, "typescript");
        // The types resolve from a node_modules beside the file.
        copy_dir_link(&tools_dir().join("node_modules"), &ts.join("node_modules"));
        run(
            Command::new(&tsc)
                .args([
                    "--noEmit",
                    "--strict",
                    "--target",
                    "es2020",
                    "--module",
                    "nodenext",
                    "--types",
                    "node",
                    "silo_plan_stubs.ts",
                    "silo_plan_testing.ts",
                ])
                .current_dir(&ts),
            &format!("tsc --strict on {ex}'s TypeScript stub"),
            TS_HINT,
        );
        // prettier's defaults (no configuration file or .editorconfig read), as a project
        // without one would check the file in.
        run(
            Command::new(tools_dir().join("node_modules/.bin/prettier"))
                .args([
                    "--check",
                    "--no-config",
                    "--no-editorconfig",
                    "silo_plan_stubs.ts",
                    "silo_plan_testing.ts",
                ])
                .current_dir(&ts),
            &format!("prettier --check on {ex}'s TypeScript stub"),
            TS_HINT,
        );
    }
}

/// A symlink to `from` at `to` (node resolves packages through it).
pub(crate) fn copy_dir_link(from: &Path, to: &Path) {
    #[cfg(unix)]
    std::os::unix::fs::symlink(from, to).expect("symlinking node_modules");
    #[cfg(not(unix))]
    panic!("the TypeScript check needs a Unix symlink for node_modules");
}

const GO_HINT: &str =
    "install Go: `apt-get install -y golang-go` (.ci/run does this); these tests never skip";

#[test]
fn go_stubs_pass_gofmt_and_go_vet() {
    require("go", &["version"], GO_HINT);
    for ex in EXAMPLES {
        let dir = plan(ex);
        let go = stubs(&dir, "go");
        let cache = tools_dir().join("go-cache");
        let go_cmd = |args: &[&str]| {
            let mut c = Command::new("go");
            c.args(args)
                .current_dir(&go)
                .env("GOCACHE", &cache)
                .env("GO111MODULE", "on")
                .env("GOTOOLCHAIN", "local");
            c
        };
        run(
            &mut go_cmd(&["mod", "init", "example.com/stubs"]),
            "go mod init",
            GO_HINT,
        );
        run(
            &mut go_cmd(&["vet", "./..."]),
            &format!("go vet on {ex}'s Go stub"),
            GO_HINT,
        );
        // `gofmt -l` lists the files it would change; `-d` shows how.
        let out = run(
            Command::new("gofmt")
                .args(["-l", "-d", "."])
                .current_dir(&go),
            "gofmt",
            GO_HINT,
        );
        assert!(
            out.stdout.is_empty(),
            "gofmt would change {ex}'s Go stub:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

const CARGO_HINT: &str = "cargo, rustfmt and clippy must be on PATH (`rustup component add \
    rustfmt clippy`; .ci/run does this)";

#[test]
fn rust_stubs_pass_rustfmt_and_clippy() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for ex in EXAMPLES {
        let dir = plan(ex);
        let krate = stubs(&dir, "rust");
        // rustfmt's defaults for the crate's edition (the stub has no rustfmt.toml).
        run(
            Command::new("rustfmt")
                .args(["--edition", "2021", "--check", "src/lib.rs"])
                .current_dir(&krate),
            &format!("rustfmt --check on {ex}'s Rust stub"),
            CARGO_HINT,
        );
        // The stub crate's dependencies are the same for every plan: pinned by a lock of
        // their own (`cargo generate-lockfile` in a generated stub crate).
        std::fs::copy(
            root().join("planner/tests/stub-tools/rust-stubs.Cargo.lock"),
            krate.join("Cargo.lock"),
        )
        .expect("Cargo.lock");
        let out = run(
            Command::new(&cargo)
                .args([
                    "clippy",
                    "--locked",
                    "--quiet",
                    "--message-format",
                    "short",
                    "--",
                    "-D",
                    "warnings",
                ])
                .current_dir(&krate)
                .env("CARGO_TARGET_DIR", tools_dir().join("cargo"))
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_BUILD_RUSTFLAGS"),
            &format!("cargo clippy on {ex}'s Rust stub"),
            CARGO_HINT,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("warning"),
            "cargo clippy on {ex}'s Rust stub warns:\n{stderr}"
        );
    }
}

const RUBY_HINT: &str = "install Ruby and rubocop: `apt-get install -y ruby rubocop` (.ci/run \
    does this); these tests never skip";

/// The Ruby files of `stubs/ruby/`: the stubs and the Minitest silo-mode helper.
const RB_FILES: [&str; 2] = ["silo_plan_stubs.rb", "silo_plan_minitest.rb"];

#[test]
fn ruby_stubs_pass_ruby_wc_and_rubocop() {
    require("ruby", &["--version"], RUBY_HINT);
    require("rubocop", &["--version"], RUBY_HINT);
    for ex in EXAMPLES {
        let dir = plan(ex);
        let rb = stubs(&dir, "ruby");
        for file in RB_FILES {
            let out = run(
                Command::new("ruby").args(["-wc", file]).current_dir(&rb),
                &format!("ruby -c on {ex}'s {file}"),
                RUBY_HINT,
            );
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.trim().is_empty(),
                "ruby -wc warns on {file}:\n{stderr}"
            );
        }
        // rubocop's defaults (no configuration file, none looked up), as a project without
        // one would check the file in; it exits non-zero on any offense.
        run(
            Command::new("rubocop")
                .args([
                    "--force-default-config",
                    "--cache",
                    "false",
                    "--format",
                    "simple",
                ])
                .args(RB_FILES)
                .current_dir(&rb),
            &format!("rubocop on {ex}'s Ruby stub"),
            RUBY_HINT,
        );
    }
}

#[test]
fn every_language_is_rendered_for_every_example() {
    for ex in EXAMPLES {
        let dir = plan(ex);
        let plan_json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("plan/plan.json")).expect("plan.json"),
        )
        .expect("plan.json parses");
        let crossings = plan_json["crossings"].as_array().expect("crossings");
        assert!(!crossings.is_empty(), "{ex}: the example has crossings");
        for (lang, file) in [
            ("python", "silo_plan_stubs.py"),
            ("typescript", "silo_plan_stubs.ts"),
            ("go", "siloplan/siloplan.go"),
            ("rust", "src/lib.rs"),
            ("rust", "Cargo.toml"),
            ("ruby", "silo_plan_stubs.rb"),
        ] {
            let text = std::fs::read_to_string(stubs(&dir, lang).join(file)).expect(file);
            assert!(text.len() > 200, "{ex}: {lang}/{file} is nearly empty");
            if file == "Cargo.toml" {
                continue;
            }
            // Every crossing reaches every language: its parent's record and lookup, and its
            // key named in the handler or guard that replaces it.
            let lower = text.to_lowercase();
            for c in crossings {
                let (key, parent) = (
                    c["constraint"].as_str().expect("constraint"),
                    c["parent"].as_str().expect("parent"),
                );
                // (`*/` is written `* /`, so that no name can end a comment.) An ignored
                // crossing (an inferred reference) has no handler or guard to name it in.
                assert!(
                    c["on_delete"] == "ignore"
                        || lower.contains(&key.replace("*/", "* /").to_lowercase()),
                    "{ex}: {lang}/{file} never names crossing {key}"
                );
                // The parent as the stubs' docs write it: each part quoted unless plain.
                let shown = parent
                    .split_once('.')
                    .map(|(s, t)| format!("{}.{}", doc_ident(s), doc_ident(t)))
                    .expect("a qualified name")
                    .to_lowercase();
                for doc in [
                    format!("row of {shown} (silo"),
                    format!("rows of {shown} whose"),
                ] {
                    assert!(lower.contains(&doc), "{ex}: {lang}/{file} lacks `{doc}`");
                }
            }
        }
        // Queries are parameterized: no key value is ever formatted into SQL.
        let py = std::fs::read_to_string(stubs(&dir, "python").join("silo_plan_stubs.py"))
            .expect("python stub");
        if crossings.iter().any(|c| c["on_delete"] == "restrict") {
            assert!(py.contains("SELECT EXISTS (SELECT 1 FROM"), "{ex}: a guard");
        }
        assert!(
            !py.contains(".format(") && !py.contains("\" % ") && !py.contains(" f\""),
            "{ex}: no formatting"
        );
    }
}

#[test]
fn records_are_singular_and_go_writes_initialisms() {
    let dir = plan("planner/tests/it/fixtures/stubs-lago");
    // lago-api's `add_ons`, `billing_entities` and `taxes`: a row of each is one record.
    for (lang, file, decl) in [
        ("python", "silo_plan_stubs.py", "class {}:"),
        ("typescript", "silo_plan_stubs.ts", "export interface {} {"),
        ("go", "siloplan/siloplan.go", "type {} struct {"),
        ("rust", "src/lib.rs", "pub struct {} {"),
        ("ruby", "silo_plan_stubs.rb", "  {} = Struct.new("),
    ] {
        let text = std::fs::read_to_string(stubs(&dir, lang).join(file)).expect(file);
        for record in ["AddOn", "BillingEntity", "Tax", "Organization"] {
            let line = decl.replace("{}", record);
            assert!(
                text.lines().any(|l| l == line),
                "{lang}: no `{line}` for a row of its table"
            );
        }
        let plural = decl.replace("{}", "AddOns");
        assert!(
            !text.contains(&plural),
            "{lang}: a plural record `{plural}`"
        );
    }
    // Go's initialisms: fields, lookups and key structs.
    let dir = plan("examples/saas");
    let go = std::fs::read_to_string(stubs(&dir, "go").join("siloplan/siloplan.go")).expect("Go");
    for name in [
        "\tID ",
        "\tUUID ",
        "\tUserID ",
        "AppSentryappByID(",
        "ExternalIDKey struct",
    ] {
        assert!(go.contains(name), "Go stub lacks `{name}`");
    }
    for line in go.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let code = line
            .split("//")
            .next()
            .expect("code")
            .split('`')
            .next()
            .expect("code");
        for word in ["Id", "Uuid", "Url", "Api", "Json", "Sql", "Ip"] {
            let bad = code.match_indices(word).any(|(i, _)| {
                !code[i + word.len()..].starts_with(|c: char| c.is_ascii_lowercase())
            });
            assert!(!bad, "Go writes `{word}` in: {line}");
        }
    }
}

/// A name as the stubs' docs show it: double-quoted unless a plain lowercase identifier.
fn doc_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The parent's tombstones and the child's inbox as the contract with `cascades/<silo>.sql`
/// defines them, with a stand-in `silo_plan.apply` that records what it processed (the real
/// one comes from the cascades).
const PARENT_SQL: &str = r#"
CREATE SCHEMA silo_plan;
CREATE TABLE silo_plan.tombstones (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name text NOT NULL,
    key jsonb NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO silo_plan.tombstones (table_name, key, deleted_at) VALUES
    ('public.auth_user', '{"id": 1}', '2024-05-01 10:00:00.123456+00'),
    ('public.auth_user', '{"id": 2}', '2024-05-01 10:00:01.000001+00'),
    ('public.integ_integration', '{"provider": "github", "external_id": "x''1"}', '2024-05-01 10:00:02+00'),
    ('public.app_sentryapp', '{"uuid": "7d3c1b6e-2a0f-4c55-9a51-1f2f7e0b9a10"}', '2024-05-01 10:00:03+00'),
    ('public."Odd Table"', '{"Ü ber": "ça%s$1"}', '2024-05-01 10:00:04+00');
"#;

const CHILD_SQL: &str = r#"
CREATE SCHEMA silo_plan;
CREATE TABLE silo_plan.inbox (
    source text NOT NULL,
    id bigint NOT NULL,
    table_name text NOT NULL,
    key jsonb NOT NULL,
    deleted_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, id)
);
CREATE TABLE silo_plan.applied (source text, id bigint, PRIMARY KEY (source, id));
CREATE FUNCTION silo_plan.apply(batch_size integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
    INSERT INTO silo_plan.applied
    SELECT i.source, i.id FROM silo_plan.inbox i
    WHERE NOT EXISTS (SELECT 1 FROM silo_plan.applied a WHERE a.source = i.source AND a.id = i.id)
    ORDER BY i.source, i.id LIMIT batch_size;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
CREATE TABLE public.org_organization (id bigint PRIMARY KEY, slug character varying(50) NOT NULL);
INSERT INTO public.org_organization VALUES (1, 'acme');
"#;

/// Drives the generated module: argv = parent URL, child URL; prints one JSON object.
const DRIVER_PY: &str = r#"
import json
import sys

import psycopg

import silo_plan_stubs as s

parent = psycopg.connect(sys.argv[1])
child = psycopg.connect(sys.argv[2])
out = {}
first = s.pump(parent, child, "control", 0, batch_size=2)
out["first"] = [first.high_water_mark, first.moved, first.applied]
again = s.pump(parent, child, "control", first.high_water_mark, batch_size=2)
out["again"] = [again.high_water_mark, again.moved, again.applied]
replay = s.pump(parent, child, "control", 0, batch_size=2)
out["replay"] = [replay.high_water_mark, replay.moved, replay.applied]
with parent.transaction():
    parent.execute(
        "INSERT INTO silo_plan.tombstones (table_name, key) VALUES ('public.auth_user', '{\"id\": 3}')"
    )
marks = {"region": first.high_water_mark}
results = s.after_delete(parent, {"region": child}, marks, "public.auth_user")
out["handler"] = [marks["region"], results["region"].moved, results["region"].applied]
out["guard_acme"] = s.restrict_org_slugreservation_by_org_organization(child, "acme")
out["guard_other"] = s.restrict_org_slugreservation_by_org_organization(child, "o'ther%s")
print(json.dumps(out))
"#;

#[test]
fn python_pump_moves_tombstones_once_and_guards_run() {
    python();
    let dir = plan("examples/saas");
    let py = stubs(&dir, "python");
    let cluster = Cluster::start();
    cluster.createdb("parent");
    cluster.createdb("child");
    cluster.psql("parent", PARENT_SQL);
    cluster.psql("child", CHILD_SQL);
    std::fs::write(py.join("driver.py"), DRIVER_PY).expect("driver");
    let out = run(
        Command::new(python())
            .arg("driver.py")
            .arg(cluster.url("parent"))
            .arg(cluster.url("child"))
            .current_dir(&py),
        "the Python pump against Postgres",
        PY_HINT,
    );
    let got: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the driver prints JSON");
    assert_eq!(
        got,
        serde_json::json!({
            "first": [5, 5, 5],
            "again": [5, 0, 0],
            "replay": [5, 5, 0],
            "handler": [6, 1, 1],
            "guard_acme": true,
            "guard_other": false,
        })
    );
    // Every tombstone arrived exactly, key and time included, once.
    let rows = "SELECT id, table_name, key::text, deleted_at FROM silo_plan.%s ORDER BY id";
    let parent_rows = cluster.psql("parent", &rows.replace("%s", "tombstones"));
    let child_rows = cluster.psql(
        "child",
        &rows.replace("%s", "inbox WHERE source = 'control'"),
    );
    assert_eq!(parent_rows, child_rows);
    assert_eq!(
        cluster
            .psql("child", "SELECT count(*) FROM silo_plan.applied")
            .trim(),
        "6"
    );
}

/// The row every driver reads in [`records_round_trip_through_each_driver`], and what each
/// prints of it (times as milliseconds since the epoch, dates as `YYYY-MM-DD`, JSON compact
/// with sorted keys, numbers exactly as Postgres wrote them).
const SAMPLE_ROW: &str = r#"
INSERT INTO public.samples VALUES (
    '7d3c1b6e-2a0f-4c55-9a51-1f2f7e0b9a10', 12345.67, 9007199254740993,
    '2024-05-01 10:00:00.123456+00', '2024-02-29', '{"b": null, "a": [1, "x"]}',
    '{x,"y z"}', 'sad', NULL
);
"#;

fn sample_expected() -> serde_json::Value {
    serde_json::json!({
        "id": "7d3c1b6e-2a0f-4c55-9a51-1f2f7e0b9a10",
        "amount": "12345.67",
        "big": "9007199254740993",
        "created_at": "1714557600123",
        "born": "2024-02-29",
        "payload": "{\"a\":[1,\"x\"],\"b\":null}",
        "tags": ["x", "y z"],
        "mood": "sad",
        "note": null,
    })
}

/// Python: psycopg's `class_row` builds the record; every value is checked against the
/// record's annotation at run time (`typing.get_type_hints`), then printed.
const ROUND_TRIP_PY: &str = r#"
import datetime
import decimal
import json
import sys
import types
import typing
import uuid

import psycopg
from psycopg.rows import class_row

import silo_plan_stubs as s

record = getattr(s, sys.argv[2])
conn = psycopg.connect(sys.argv[1])
row = conn.cursor(row_factory=class_row(record)).execute("SELECT * FROM public.samples").fetchone()


def fits(value, hint):
    if hint is s.JsonValue or hint == s.JsonValue:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, h) for h in typing.get_args(hint))
    if origin is list:
        (element,) = typing.get_args(hint)
        return isinstance(value, list) and all(fits(v, element) for v in value)
    if origin is dict:
        _, element = typing.get_args(hint)
        return isinstance(value, dict) and all(fits(v, element) for v in value.values())
    if isinstance(hint, typing.ForwardRef):
        return fits(value, s.JsonValue)
    if hint is type(None):
        return value is None
    return isinstance(value, hint)


wrong = {
    name: f"{type(getattr(row, name)).__name__} is not {hint}"
    for name, hint in typing.get_type_hints(record).items()
    if not fits(getattr(row, name), hint)
}
if wrong:
    sys.exit(f"values that do not fit the record's types: {wrong}")
print(json.dumps({
    "id": str(row.id),
    "amount": str(row.amount),
    "big": str(row.big),
    "created_at": str(int(row.created_at.timestamp() * 1000)),
    "born": row.born.isoformat(),
    "payload": json.dumps(row.payload, sort_keys=True, separators=(",", ":")),
    "tags": row.tags,
    "mood": row.mood,
    "note": row.note,
    "types": [type(row.id).__name__, type(row.amount).__name__, type(row.created_at).__name__],
}))
"#;

/// TypeScript, compiled with the stub by `tsc --strict` and run by node: `pg` reads the row;
/// every value is checked against the type the record's interface declares (given as JSON:
/// field to type, read from the stub), then printed.
const ROUND_TRIP_TS: &str = r#"
import { Client } from "pg";
import type * as stubs from "./silo_plan_stubs";

function fits(value: unknown, type: string): boolean {
  if (type.endsWith(" | null")) {
    return value === null || fits(value, type.slice(0, -" | null".length));
  }
  if (type.endsWith("[]")) {
    const element = type.slice(0, -2).replace(/^\((.*)\)$/, "$1");
    return Array.isArray(value) && value.every((v) => fits(v, element));
  }
  switch (type) {
    case "string":
    case "number":
    case "boolean":
      return typeof value === type;
    case "Date":
      return value instanceof Date;
    case "Buffer":
      return Buffer.isBuffer(value);
    case "Json":
      return value !== undefined;
    case "PostgresInterval":
      return typeof value === "object" && value !== null;
  }
  return false;
}

async function main(): Promise<void> {
  const [url, recordTypes] = process.argv.slice(2);
  const declared = JSON.parse(recordTypes) as Record<string, string>;
  const client = new Client({ connectionString: url });
  await client.connect();
  const r = await client.query<stubs.Samples>("SELECT * FROM public.samples");
  await client.end();
  const row = r.rows[0] as unknown as Record<string, unknown>;
  const wrong = Object.entries(declared)
    .filter(([name, type]) => !fits(row[name], type))
    .map(([name, type]) => `${name}: ${String(row[name])} is not ${type}`);
  const missing = Object.keys(row).filter((k) => !(k in declared));
  if (wrong.length > 0 || missing.length > 0) {
    throw new Error(`wrong: ${wrong.join("; ")}; not in the record: ${missing.join(", ")}`);
  }
  const born = row.born as Date;
  const pad = (n: number) => String(n).padStart(2, "0");
  console.log(
    JSON.stringify({
      id: row.id,
      amount: row.amount,
      big: row.big,
      created_at: String((row.created_at as Date).getTime()),
      born: `${born.getFullYear()}-${pad(born.getMonth() + 1)}-${pad(born.getDate())}`,
      payload: JSON.stringify(row.payload),
      tags: row.tags,
      mood: row.mood,
      note: row.note,
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
"#;

/// Ruby: the pg gem with `PG::BasicTypeMapForResults` (as the stub's header says) reads the
/// row into the record's Struct; every value is checked against the type its comment
/// declares (given as JSON: member to type, read from the stub), then printed.
const ROUND_TRIP_RB: &str = r#"
require 'bigdecimal'
require 'date'
require 'json'
require 'pg'
require_relative 'silo_plan_stubs'

def fits(value, type)
  return value.nil? || fits(value, type.delete_suffix(', nil')) if type.end_with?(', nil')

  if type.start_with?('Array<')
    element = type.delete_prefix('Array<').delete_suffix('>')
    return value.is_a?(Array) && value.all? { |v| fits(v, element) }
  end
  case type
  when 'Boolean' then [true, false].include?(value)
  when 'Object' then true
  else value.is_a?(Object.const_get(type))
  end
end

url, name, types = ARGV
conn = PG.connect(url)
conn.type_map_for_results = PG::BasicTypeMapForResults.new(conn)
row = conn.exec('SELECT * FROM public.samples').first
record = SiloPlanStubs.const_get(name).new(**row.transform_keys(&:to_sym))
declared = JSON.parse(types)
wrong = declared.reject { |member, type| fits(record[member], type) }
abort "values that do not fit the record's types: #{wrong} #{record.to_h}" unless wrong.empty?
puts JSON.generate(
  id: record.id,
  amount: record.amount.to_s('F'),
  big: record.big.to_s,
  created_at: (record.created_at.to_r * 1000).floor.to_s,
  born: record.born.iso8601,
  payload: JSON.generate(record.payload.sort.to_h),
  tags: record.tags,
  mood: record.mood,
  note: record.note
)
"#;

/// Rust, an example in the stub crate: the `postgres` crate reads each column into the
/// record's field by name, its type taken from the struct (a type the driver cannot read
/// it as fails the run); the enum is selected `::text`, as the stub's docs say.
const ROUND_TRIP_RS: &str = r#"
use silo_plan_stubs::Samples;

fn main() -> Result<(), postgres::Error> {
    let url = std::env::args().nth(1).expect("a URL");
    let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
    let row = client.query_one("SELECT *, mood::text AS mood_text FROM public.samples", &[])?;
    let r = Samples {
        id: row.try_get("id")?,
        amount: row.try_get("amount")?,
        big: row.try_get("big")?,
        created_at: row.try_get("created_at")?,
        born: row.try_get("born")?,
        payload: row.try_get("payload")?,
        tags: row.try_get("tags")?,
        mood: row.try_get("mood_text")?,
        note: row.try_get("note")?,
    };
    let out = serde_json::json!({
        "id": r.id.to_string(),
        "amount": r.amount.to_string(),
        "big": r.big.to_string(),
        "created_at": r.created_at.timestamp_millis().to_string(),
        "born": r.born.to_string(),
        "payload": r.payload.to_string(),
        "tags": r.tags,
        "mood": r.mood,
        "note": r.note,
    });
    println!("{out}");
    Ok(())
}
"#;

/// The fields of `record` in the stub `text` and their declared types: `readonly name: type;`
/// lines of a TypeScript interface, or `# - name [type]:` lines of a Ruby record.
fn declared_types(text: &str, start: &str, field: fn(&str) -> Option<(&str, &str)>) -> String {
    let body = text
        .split_once(start)
        .unwrap_or_else(|| panic!("the stub has `{start}`"))
        .1;
    let mut types = serde_json::Map::new();
    for line in body.lines().skip(1) {
        let line = line.trim();
        if line == "}" || line.contains("Struct.new(") {
            break;
        }
        if let Some((name, ty)) = field(line) {
            types.insert(name.to_string(), ty.into());
        }
    }
    assert!(types.len() >= 9, "fields of {start}: {types:?}");
    serde_json::Value::Object(types).to_string()
}

#[test]
fn records_round_trip_through_each_driver() {
    let dir = plan("planner/tests/it/fixtures/stubs-kinds");
    let cluster = Cluster::start();
    cluster.createdb("app");
    let schema =
        std::fs::read_to_string(root().join("planner/tests/it/fixtures/stubs-kinds/schema.sql"))
            .expect("schema");
    cluster.psql("app", &schema);
    cluster.psql("app", SAMPLE_ROW);
    let url = cluster.url("app");
    let expected = sample_expected();
    let ts_text = std::fs::read_to_string(stubs(&dir, "typescript").join("silo_plan_stubs.ts"))
        .expect("TypeScript stub");
    // The record's name, as the stubs spell it.
    let record = ts_text
        .split_once("/** A row of public.samples (silo a). */\nexport interface ")
        .and_then(|(_, rest)| rest.split_once(' '))
        .expect("a record for public.samples")
        .0
        .to_string();
    let parse = |what: &str, out: &Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{what} prints JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    };

    // Python (psycopg 3).
    python();
    let py = stubs(&dir, "python");
    std::fs::write(py.join("round_trip.py"), ROUND_TRIP_PY).expect("driver");
    let out = run(
        Command::new(python())
            .args(["round_trip.py", &url, &record])
            .current_dir(&py),
        "the Python record round trip",
        PY_HINT,
    );
    let mut got = parse("the Python driver", &out);
    assert_eq!(
        got.as_object_mut().expect("an object").remove("types"),
        Some(serde_json::json!(["UUID", "Decimal", "datetime"]))
    );
    assert_eq!(got, expected, "Python");

    // TypeScript (node-postgres), compiled with the stub.
    let tsc = tsc();
    let ts = stubs(&dir, "typescript");
    copy_dir_link(&tools_dir().join("node_modules"), &ts.join("node_modules"));
    std::fs::write(
        ts.join("round_trip.ts"),
        ROUND_TRIP_TS.replace("Samples", &record),
    )
    .expect("driver");
    run(
        Command::new(&tsc)
            .args([
                "--strict",
                "--target",
                "es2020",
                "--module",
                "nodenext",
                "--types",
                "node",
                "--outDir",
                "out",
                "round_trip.ts",
            ])
            .current_dir(&ts),
        "tsc of the TypeScript round trip",
        TS_HINT,
    );
    let ts_types = declared_types(&ts_text, &format!("export interface {record} {{"), |line| {
        let rest = line.strip_prefix("readonly ")?.strip_suffix(';')?;
        rest.split_once(": ")
    });
    let out = run(
        Command::new("node")
            .args(["out/round_trip.js", &url, &ts_types])
            .current_dir(&ts)
            .env("TZ", "UTC"),
        "the TypeScript record round trip",
        TS_HINT,
    );
    assert_eq!(parse("the TypeScript driver", &out), expected, "TypeScript");

    // Ruby (the pg gem with its basic type map).
    require("ruby", &["-e", "require 'pg'"], RUBY_PG_HINT);
    let rb = stubs(&dir, "ruby");
    let rb_text = std::fs::read_to_string(rb.join("silo_plan_stubs.rb")).expect("Ruby stub");
    let rb_types = declared_types(&rb_text, "# A row of public.samples (silo a).", |line| {
        let (name, rest) = line.strip_prefix("# - ")?.split_once(" [")?;
        Some((name, rest.split_once("]: ")?.0))
    });
    std::fs::write(rb.join("round_trip.rb"), ROUND_TRIP_RB).expect("driver");
    let out = run(
        Command::new("ruby")
            .args(["round_trip.rb", &url, &record, &rb_types])
            .current_dir(&rb),
        "the Ruby record round trip",
        RUBY_PG_HINT,
    );
    assert_eq!(parse("the Ruby driver", &out), expected, "Ruby");

    // Rust (the `postgres` crate), an example in the stub crate.
    let krate = stubs(&dir, "rust");
    std::fs::copy(
        root().join("planner/tests/stub-tools/rust-stubs.Cargo.lock"),
        krate.join("Cargo.lock"),
    )
    .expect("Cargo.lock");
    std::fs::create_dir_all(krate.join("examples")).expect("examples/");
    std::fs::write(
        krate.join("examples/round_trip.rs"),
        ROUND_TRIP_RS.replace("Samples", &record),
    )
    .expect("driver");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = run(
        Command::new(&cargo)
            .args([
                "run",
                "--locked",
                "--quiet",
                "--example",
                "round_trip",
                "--",
            ])
            .arg(&url)
            .current_dir(&krate)
            .env("CARGO_TARGET_DIR", tools_dir().join("cargo"))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_BUILD_RUSTFLAGS"),
        "the Rust record round trip",
        CARGO_HINT,
    );
    assert_eq!(parse("the Rust driver", &out), expected, "Rust");
    // Go: pgx cannot be fetched here (no Go module proxy); its types are checked against
    // pgx's documented mapping, not run (README, "Stubs").
}

const RUBY_PG_HINT: &str = "install Ruby's pg gem: `apt-get install -y ruby-pg` (.ci/run does \
    this); these tests never skip";
