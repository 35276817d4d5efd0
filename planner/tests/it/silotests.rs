//! Issue 17, item 2: the silo-mode test helpers `plan` writes beside the stubs, run in the real
//! test runners on examples/django (control: `accounts_*`, region: `billing_*`) and a real
//! Postgres cluster whose roles are `simulate/roles.sql`'s. In each runner a test marked as
//! code of silo region that reads `accounts_user` (silo control) fails in silo mode with the
//! message naming the boundary, passes in monolith mode, and `--silo-mode=both` runs every
//! marked test twice (the runner's own counts say so). A test reading its own silo's table
//! passes in every mode.
//!
//! Runners: pytest (PyPI, pinned in .ci/run) with the plugin, Django's `manage.py test` with
//! the runner mixin, Minitest (Ruby's) with the pg gem, `go test` with lib/pq (Debian's
//! sources, through a module `replace`), and Vitest with pg (npm, pinned by
//! planner/tests/stub-tools). A missing one fails with its install command.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::pg::Cluster;
use crate::util::{plan_files, root};

/// The boundary message, as each helper words it for a `SELECT` of `accounts_user`: the
/// Django runner knows the statement (`read`), the others only Postgres's error (`touched`).
const CROSSED: &str = "table accounts_user of silo control";

/// A plan of examples/django, and a cluster with database `shop` holding its schema and the
/// simulation's roles.
struct World {
    _tmp: tempfile::TempDir,
    plan: PathBuf,
    work: PathBuf,
    pg: Cluster,
}

fn world() -> World {
    let tmp = tempfile::tempdir().expect("tempdir");
    let plan = tmp.path().join("plan");
    plan_files(Path::new("examples/django"), &plan);
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let pg = Cluster::start();
    let dump = std::fs::read_to_string(root().join("examples/django/schema.sql")).expect("dump");
    let out = pg.load_dump("shop", "schema.sql", &dump, &crate::pg::prepare_dump(&dump));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("ERROR"), "loading the schema:\n{err}");
    let out = pg.psql_file_stop("shop", &plan.join("simulate/roles.sql"));
    assert!(
        out.status.success(),
        "simulate/roles.sql:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    World {
        _tmp: tmp,
        plan,
        work,
        pg,
    }
}

impl World {
    /// `program` in `dir`, connected to `shop` through the libpq variables.
    fn command(&self, program: &str, dir: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(dir)
            .env("PGHOST", "127.0.0.1")
            .env("PGPORT", self.pg.port().to_string())
            .env("PGUSER", "postgres")
            .env("PGDATABASE", "shop")
            .env_remove("PGOPTIONS")
            .env_remove("PGPASSWORD")
            .env_remove("SILO_MODE")
            .env("PYTHONDONTWRITEBYTECODE", "1");
        c
    }
}

/// Runs `cmd`, failing with `hint` when it cannot start; its output, whatever its status.
fn output(cmd: &mut Command, hint: &str) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {:?} ({e}); {hint}", cmd.get_program()))
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Asserts the run's status, that `counts` is in its output, and that the boundary message is
/// there exactly when a run failed.
fn expect(o: &Output, what: &str, fails: bool, counts: &str, message: &str) {
    let t = text(o);
    assert_eq!(
        o.status.success(),
        !fails,
        "{what}: status {}\n{t}",
        o.status
    );
    assert!(t.contains(counts), "{what}: no `{counts}` in\n{t}");
    assert_eq!(
        t.contains(message),
        fails,
        "{what}: the boundary message `{message}` {} expected\n{t}",
        if fails { "is" } else { "is not" }
    );
}

const PYTEST_HINT: &str = "install pytest and psycopg 3: `pip install pytest==9.2.0 \
    'psycopg[binary]'` (.ci/run does this); these tests never skip";

const PYTEST_FILE: &str = r#"import psycopg
import pytest


@pytest.mark.silo("region")
def test_region_reads_users() -> None:
    with psycopg.connect() as conn:
        conn.execute("SELECT count(*) FROM billing_invoice").fetchone()
        conn.execute("SELECT count(*) FROM accounts_user").fetchone()


@pytest.mark.silo("region")
def test_region_reads_invoices() -> None:
    with psycopg.connect() as conn:
        conn.execute("SELECT count(*) FROM billing_invoice").fetchone()


def test_unmarked_reads_users() -> None:
    with psycopg.connect() as conn:
        conn.execute("SELECT count(*) FROM accounts_user").fetchone()
"#;

#[test]
fn pytest_plugin_runs_marked_tests_in_their_silo() {
    let w = world();
    let py = w.plan.join("stubs/python");
    std::fs::write(w.work.join("test_boundary.py"), PYTEST_FILE).expect("test file");
    let pytest = |mode: Option<&str>| {
        let mut c = w.command("python3", &w.work);
        c.args([
            "-m",
            "pytest",
            "-p",
            "silo_plan_pytest",
            "-p",
            "no:cacheprovider",
        ])
        .args(["-q", "-rA", "test_boundary.py"])
        .env("PYTHONPATH", &py);
        if let Some(m) = mode {
            c.arg(format!("--silo-mode={m}"));
        }
        output(&mut c, PYTEST_HINT)
    };
    let message = format!("SiloBoundaryError: code in silo region touched {CROSSED}");
    // The default is silo mode.
    expect(
        &pytest(None),
        "pytest",
        true,
        "1 failed, 2 passed",
        &message,
    );
    expect(
        &pytest(Some("silo")),
        "pytest --silo-mode=silo",
        true,
        "1 failed, 2 passed",
        &message,
    );
    expect(
        &pytest(Some("monolith")),
        "pytest --silo-mode=monolith",
        false,
        "3 passed",
        &message,
    );
    let both = pytest(Some("both"));
    expect(
        &both,
        "pytest --silo-mode=both",
        true,
        "1 failed, 4 passed",
        &message,
    );
    let t = text(&both);
    for id in [
        "PASSED test_boundary.py::test_region_reads_users[monolith]",
        "FAILED test_boundary.py::test_region_reads_users[silo-region]",
        "PASSED test_boundary.py::test_region_reads_invoices[monolith]",
        "PASSED test_boundary.py::test_region_reads_invoices[silo-region]",
        "PASSED test_boundary.py::test_unmarked_reads_users",
    ] {
        assert!(t.contains(id), "no `{id}` in\n{t}");
    }
    // Postgres's own error stays in the chain.
    assert!(t.contains("InsufficientPrivilege"), "{t}");
}

const DJANGO_HINT: &str = "install Django: `pip install django==5.2.19` (.ci/run does this); \
    these tests never skip";

const DJANGO_SETTINGS: &str = r#"from shop.settings import *  # noqa: F403

TEST_RUNNER = "silo_runner.SiloRunner"
SILO_PLAN_ROLES_SQL = __import__("os").environ["SILO_PLAN_ROLES_SQL"]
"#;

const DJANGO_RUNNER: &str = r#"from django.test.runner import DiscoverRunner
from silo_plan_django import SiloModeMixin


class SiloRunner(SiloModeMixin, DiscoverRunner):
    pass
"#;

const DJANGO_TESTS: &str = r#"from accounts.models import User
from billing.models import Invoice
from django.test import TestCase, TransactionTestCase
from silo_plan_django import silo


@silo("region")
class RegionTests(TestCase):
    def test_reads_users(self) -> None:
        list(User.objects.all())

    def test_reads_invoices(self) -> None:
        list(Invoice.objects.all())


class UnmarkedTests(TransactionTestCase):
    def test_reads_users(self) -> None:
        list(User.objects.all())

    @silo("region")
    def test_reads_invoices(self) -> None:
        list(Invoice.objects.all())
"#;

#[test]
fn django_runner_mixin_runs_marked_tests_in_their_silo() {
    let w = world();
    for (name, body) in [
        ("silo_settings.py", DJANGO_SETTINGS),
        ("silo_runner.py", DJANGO_RUNNER),
        ("tests_silo.py", DJANGO_TESTS),
    ] {
        std::fs::write(w.work.join(name), body).expect("write");
    }
    let path = std::env::join_paths([
        w.work.clone(),
        root().join("examples/django"),
        w.plan.join("stubs/python"),
    ])
    .expect("PYTHONPATH");
    let test = |mode: Option<&str>| {
        let mut c = w.command("python3", &w.work);
        c.args(["-m", "django", "test", "tests_silo", "--noinput", "-v", "2"])
            .arg("--settings=silo_settings")
            .env("PYTHONPATH", &path)
            .env("SILO_PLAN_ROLES_SQL", w.plan.join("simulate/roles.sql"));
        if let Some(m) = mode {
            c.arg(format!("--silo-mode={m}"));
        }
        output(&mut c, DJANGO_HINT)
    };
    let message = format!("SiloBoundaryError: code in silo region read {CROSSED}");
    expect(&test(None), "manage.py test", true, "Ran 4 tests", &message);
    expect(
        &test(Some("monolith")),
        "manage.py test --silo-mode=monolith",
        false,
        "Ran 4 tests",
        &message,
    );
    let both = test(Some("both"));
    expect(
        &both,
        "manage.py test --silo-mode=both",
        true,
        "Ran 7 tests",
        &message,
    );
    let t = text(&both);
    assert!(t.contains("FAILED (errors=1)"), "{t}");
    for line in [
        "test_reads_users (tests_silo.RegionTests.test_reads_users) ... ok",
        "test_reads_users (tests_silo.RegionTests[silo-region].test_reads_users) ... ERROR",
        "test_reads_invoices (tests_silo.RegionTests.test_reads_invoices) ... ok",
        "test_reads_invoices (tests_silo.RegionTests[silo-region].test_reads_invoices) ... ok",
        "test_reads_invoices (tests_silo.UnmarkedTests[silo-region].test_reads_invoices) ... ok",
    ] {
        assert!(t.contains(line), "no `{line}` in\n{t}");
    }
    assert!(
        t.contains(
            "ERROR: test_reads_users (tests_silo.RegionTests[silo-region].test_reads_users)"
        ),
        "{t}"
    );
}

const RUBY_HINT: &str = "install Ruby and the pg gem: `apt-get install -y ruby ruby-pg` (.ci/run \
    does this; Minitest ships with Ruby); these tests never skip";

const MINITEST_FILE: &str = r#"# frozen_string_literal: true

require 'minitest/autorun'
require 'pg'
require_relative 'silo_plan_minitest'

CONN = PG.connect

class RegionTest < Minitest::Test
  include SiloPlanMinitest
  silo 'region'

  def silo_plan_connection
    CONN
  end

  def test_reads_users
    CONN.exec('SELECT count(*) FROM accounts_user')
  end

  def test_reads_invoices
    CONN.exec('SELECT count(*) FROM billing_invoice')
  end
end

class UnmarkedTest < Minitest::Test
  def test_reads_users
    CONN.exec('SELECT count(*) FROM accounts_user')
  end
end
"#;

#[test]
fn minitest_helper_runs_marked_tests_in_their_silo() {
    let w = world();
    let rb = w.plan.join("stubs/ruby");
    std::fs::write(rb.join("test_boundary.rb"), MINITEST_FILE).expect("test file");
    let minitest = |mode: Option<&str>| {
        let mut c = w.command("ruby", &rb);
        c.args(["test_boundary.rb", "--seed", "1"]);
        if let Some(m) = mode {
            c.arg(format!("--silo-mode={m}"));
        }
        output(&mut c, RUBY_HINT)
    };
    let message = format!("SiloPlanMinitest::BoundaryError: code in silo region touched {CROSSED}");
    expect(
        &minitest(None),
        "minitest",
        true,
        "3 runs, 0 assertions, 0 failures, 1 errors",
        &message,
    );
    expect(
        &minitest(Some("monolith")),
        "minitest --silo-mode=monolith",
        false,
        "3 runs, 0 assertions, 0 failures, 0 errors",
        &message,
    );
    let both = minitest(Some("both"));
    expect(
        &both,
        "minitest --silo-mode=both",
        true,
        "5 runs, 0 assertions, 0 failures, 1 errors",
        &message,
    );
    assert!(
        text(&both).contains("RegionTest#test_reads_users[silo-region]"),
        "{}",
        text(&both)
    );
}

const GO_HINT: &str = "install Go and lib/pq's sources: `apt-get install -y golang-go \
    golang-github-lib-pq-dev` (.ci/run does this); these tests never skip";

/// Where Debian's golang-github-lib-pq-dev puts lib/pq.
const PQ: &str = "/usr/share/gocode/src/github.com/lib/pq";

const GO_TEST: &str = r#"package boundary

import (
	"database/sql"
	"testing"

	"example.com/silotests/silotest"
	_ "github.com/lib/pq"
)

func open(t *testing.T) *sql.DB {
	db, err := sql.Open("postgres", "sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestRegionReadsUsers(t *testing.T) {
	silotest.Run(t, open(t), "region", func(t *silotest.T, tx *sql.Tx) {
		var n int
		t.Check(tx.QueryRow("SELECT count(*) FROM accounts_user").Scan(&n))
	})
}

func TestRegionReadsInvoices(t *testing.T) {
	silotest.Run(t, open(t), "region", func(t *silotest.T, tx *sql.Tx) {
		var n int
		t.Check(tx.QueryRow("SELECT count(*) FROM billing_invoice").Scan(&n))
	})
}
"#;

#[test]
fn go_helper_runs_functions_in_their_silo() {
    let w = world();
    assert!(Path::new(PQ).join("go.mod").is_file(), "{GO_HINT}");
    let module = w.work.join("gomod");
    std::fs::create_dir_all(module.join("boundary")).expect("mkdir");
    copy_dir(&w.plan.join("stubs/go/silotest"), &module.join("silotest"));
    std::fs::write(
        module.join("go.mod"),
        format!(
            "module example.com/silotests\n\ngo 1.19\n\nrequire github.com/lib/pq v1.10.7\n\n\
             replace github.com/lib/pq => {PQ}\n"
        ),
    )
    .expect("go.mod");
    std::fs::write(module.join("boundary/boundary_test.go"), GO_TEST).expect("test file");
    let cache = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("stub-tools/go-cache");
    let go_test = |mode: Option<&str>| {
        let mut c = w.command("go", &module);
        c.args(["test", "-v", "-count=1", "./boundary"])
            .env("GOCACHE", &cache)
            .env("GOFLAGS", "-mod=mod")
            .env("GOPROXY", "off")
            .env("GO111MODULE", "on")
            .env("GOTOOLCHAIN", "local");
        if let Some(m) = mode {
            c.args(["-args", &format!("-silo-mode={m}")]);
        }
        output(&mut c, GO_HINT)
    };
    let message = format!("code in silo region touched {CROSSED}");
    let count = |o: &Output, s: &str| text(o).matches(s).count();
    let silo = go_test(None);
    expect(
        &silo,
        "go test",
        true,
        "--- FAIL: TestRegionReadsUsers/silo-region",
        &message,
    );
    assert_eq!(
        (count(&silo, "    --- PASS"), count(&silo, "    --- FAIL")),
        (1, 1),
        "{}",
        text(&silo)
    );
    let mono = go_test(Some("monolith"));
    expect(
        &mono,
        "go test -silo-mode=monolith",
        false,
        "--- PASS: TestRegionReadsUsers/monolith",
        &message,
    );
    assert_eq!(
        (count(&mono, "    --- PASS"), count(&mono, "    --- FAIL")),
        (2, 0),
        "{}",
        text(&mono)
    );
    let both = go_test(Some("both"));
    expect(
        &both,
        "go test -silo-mode=both",
        true,
        "--- PASS: TestRegionReadsUsers/monolith",
        &message,
    );
    assert_eq!(
        (count(&both, "    --- PASS"), count(&both, "    --- FAIL")),
        (3, 1),
        "{}",
        text(&both)
    );
    assert!(
        text(&both).contains("pq: permission denied for table accounts_user"),
        "{}",
        text(&both)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

const VITEST_FILE: &str = r#"import { afterAll, beforeAll, test } from "vitest";
import pg from "pg";
import { siloTest } from "./silo_plan_testing";

const client = new pg.Client();
beforeAll(async () => {
  await client.connect();
});
afterAll(async () => {
  await client.end();
});

siloTest(test, "region reads users", "region", () => client, async (c) => {
  await c.query("SELECT count(*) FROM billing_invoice");
  await c.query("SELECT count(*) FROM accounts_user");
});

siloTest(test, "region reads invoices", "region", () => client, async (c) => {
  await c.query("SELECT count(*) FROM billing_invoice");
});

test("unmarked reads users", async () => {
  await client.query("SELECT count(*) FROM accounts_user");
});
"#;

#[test]
fn vitest_helper_runs_silo_tests_in_their_silo() {
    crate::stubs::tsc();
    let w = world();
    let ts = w.plan.join("stubs/typescript");
    crate::stubs::copy_dir_link(
        &crate::stubs::tools_dir().join("node_modules"),
        &ts.join("node_modules"),
    );
    std::fs::write(ts.join("boundary.test.ts"), VITEST_FILE).expect("test file");
    let vitest = crate::stubs::tools_dir().join("node_modules/.bin/vitest");
    let run = |mode: Option<&str>| {
        let mut c = w.command(vitest.to_str().expect("UTF-8 path"), &ts);
        c.args(["run", "--reporter=verbose", "--cache=false", "--root", "."])
            .env("NO_COLOR", "1")
            .env_remove("FORCE_COLOR")
            .env_remove("CI");
        if let Some(m) = mode {
            c.env("SILO_MODE", m);
        }
        output(&mut c, crate::stubs::TS_HINT)
    };
    let message = format!("SiloBoundaryError: code in silo region touched {CROSSED}");
    expect(
        &run(None),
        "vitest",
        true,
        "Tests  1 failed | 2 passed (3)",
        &message,
    );
    expect(
        &run(Some("monolith")),
        "SILO_MODE=monolith vitest",
        false,
        "Tests  3 passed (3)",
        &message,
    );
    let both = run(Some("both"));
    expect(
        &both,
        "SILO_MODE=both vitest",
        true,
        "Tests  1 failed | 4 passed (5)",
        &message,
    );
    let t = text(&both);
    for name in [
        "region reads users [monolith]",
        "region reads users [silo-region]",
        "region reads invoices [silo-region]",
    ] {
        assert!(t.contains(name), "no `{name}` in\n{t}");
    }
}
