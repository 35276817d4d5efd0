//! The Django and Rails examples (issue 16): real applications whose dumps come from their own
//! migrations, and the exporters `silo-plan export-script` prints, run inside them.
//!
//! Each test runs the real framework (Django from PyPI, ActiveRecord from Debian's packages) on
//! a throwaway Postgres cluster; a missing framework fails the test with the install command,
//! never skips it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::pg::Cluster;
use crate::util::root;

/// One of the two example applications.
#[derive(Clone, Copy)]
enum App {
    Django,
    Rails,
}

impl App {
    fn dir(self) -> PathBuf {
        root().join(match self {
            App::Django => "examples/django",
            App::Rails => "examples/rails",
        })
    }

    fn name(self) -> &'static str {
        match self {
            App::Django => "django",
            App::Rails => "rails",
        }
    }

    /// A command run in the app's directory against database `db` of `pg`, the libpq
    /// variables set as the apps read them.
    fn command(self, pg: &Cluster, db: &str, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.dir())
            .env("PGHOST", "127.0.0.1")
            .env("PGPORT", pg.port().to_string())
            .env("PGUSER", "postgres")
            .env("PGDATABASE", db)
            .env_remove("PGPASSWORD")
            // Django's and Python's caches stay out of the source tree.
            .env("PYTHONDONTWRITEBYTECODE", "1");
        cmd
    }

    /// Runs the app's own migrations on a new database `db`.
    fn migrate(self, pg: &Cluster, db: &str) {
        pg.createdb(db);
        let mut cmd = match self {
            App::Django => {
                let mut c = self.command(pg, db, "python3");
                c.args(["manage.py", "migrate", "-v0"]);
                c
            }
            App::Rails => {
                let mut c = self.command(pg, db, "ruby");
                c.arg("bin/migrate");
                c
            }
        };
        run(&mut cmd, self.install_hint());
    }

    fn install_hint(self) -> &'static str {
        match self {
            App::Django => {
                "Django is missing: python3 -m pip install 'django==5.2.19' (.ci/run does)"
            }
            App::Rails => {
                "ActiveRecord is missing: apt-get install ruby-activerecord ruby-pg (.ci/run does)"
            }
        }
    }

    /// Runs `silo-plan export-script <app>`'s script inside the app; returns the file it wrote.
    fn export(self, pg: &Cluster, db: &str, out: &Path) -> serde_json::Value {
        let script = out.with_extension(match self {
            App::Django => "py",
            App::Rails => "rb",
        });
        let printed = assert_cmd::Command::cargo_bin("silo-plan")
            .expect("binary")
            .args(["export-script", self.name()])
            .output()
            .expect("run silo-plan");
        assert!(printed.status.success(), "{printed:?}");
        std::fs::write(&script, &printed.stdout).expect("write script");
        let mut cmd = match self {
            App::Django => {
                let mut c = self.command(pg, db, "python3");
                c.args(["manage.py", "shell"])
                    .stdin(std::fs::File::open(&script).expect("script"));
                c
            }
            App::Rails => {
                let mut c = self.command(pg, db, "ruby");
                c.arg("bin/runner").arg(&script);
                c
            }
        };
        cmd.env("SILO_PLAN_REFERENCES", out);
        run(&mut cmd, self.install_hint());
        serde_json::from_str(&std::fs::read_to_string(out).expect("the export wrote its file"))
            .expect("the export is JSON")
    }
}

fn run(cmd: &mut Command, hint: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}\n{hint}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}\n{hint}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// pg_dump of `db` as the examples' READMEs make `schema.sql`.
fn dump(pg: &Cluster, db: &str) -> String {
    let out = Command::new(pg.bin("pg_dump"))
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &pg.port().to_string(),
            "-U",
            "postgres",
        ])
        .args([
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--restrict-key=siloplanexample",
            db,
        ])
        .output()
        .expect("run pg_dump");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter(|l| !l.starts_with("-- Dumped from") && !l.starts_with("-- Dumped by"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A reference as the READMEs list it and the exports write it:
/// (table, columns, referenced table, referenced columns, on_delete).
type Row = (String, String, String, String, String);

/// The table between `<!-- references:start -->` and `<!-- references:end -->` of the app's
/// README: the references found by reading its models. Returns each row and whether it has a
/// constraint and crosses silos.
fn readme_references(app: App) -> Vec<(Row, bool, bool)> {
    let text = std::fs::read_to_string(app.dir().join("README.md")).expect("README");
    let start = text
        .find("<!-- references:start -->")
        .expect("start marker");
    let end = text.find("<!-- references:end -->").expect("end marker");
    let rows: Vec<_> = text[start..end]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| table "))
        .map(|l| {
            let c: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(c.len(), 7, "README row {l:?}");
            let yes = |s: &str| match s {
                "yes" => true,
                "no" => false,
                other => panic!("README row {l:?}: {other:?} is neither yes nor no"),
            };
            (
                (
                    c[0].to_string(),
                    c[1].to_string(),
                    c[2].to_string(),
                    c[3].to_string(),
                    c[4].to_string(),
                ),
                yes(c[5]),
                yes(c[6]),
            )
        })
        .collect();
    assert!(
        rows.len() >= 8,
        "{} README lists {} references",
        app.name(),
        rows.len()
    );
    rows
}

fn export_rows(export: &serde_json::Value) -> BTreeSet<Row> {
    let join = |v: &serde_json::Value| {
        v.as_array()
            .expect("array")
            .iter()
            .map(|c| c.as_str().expect("string"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    export["references"]
        .as_array()
        .expect("references")
        .iter()
        .map(|r| {
            (
                r["table"].as_str().expect("table").to_string(),
                join(&r["columns"]),
                r["referenced_table"].as_str().expect("parent").to_string(),
                join(&r["referenced_columns"]),
                r["on_delete"].as_str().unwrap_or("(none)").to_string(),
            )
        })
        .collect()
}

fn dump_is_what_its_migrations_make(app: App) {
    let pg = Cluster::start();
    app.migrate(&pg, "app");
    let committed = std::fs::read_to_string(app.dir().join("schema.sql")).expect("schema.sql");
    let made = dump(&pg, "app");
    assert!(
        committed == made,
        "examples/{}/schema.sql is not what the app's migrations make: regenerate it as its \
         README says\n--- made ---\n{made}",
        app.name()
    );
}

fn exporter_finds_the_readme_references(app: App) {
    let pg = Cluster::start();
    app.migrate(&pg, "app");
    let tmp = tempfile::tempdir().expect("tempdir");
    let export = app.export(&pg, "app", &tmp.path().join("refs.json"));
    let want: BTreeSet<Row> = readme_references(app).into_iter().map(|r| r.0).collect();
    let have = export_rows(&export);
    assert_eq!(
        have.difference(&want).collect::<Vec<_>>(),
        Vec::<&Row>::new(),
        "exported but not in the README"
    );
    assert_eq!(
        want.difference(&have).collect::<Vec<_>>(),
        Vec::<&Row>::new(),
        "in the README but not exported"
    );
    // The file is a references file silo-plan reads.
    let file: silo_plan::refs_file::RefsFile =
        serde_json::from_value(export.clone()).expect("the export has the documented shape");
    assert_eq!(file.version, silo_plan::refs_file::VERSION);
    // The one reference without a single parent is listed as unresolved, not guessed.
    assert_eq!(file.unresolved.len(), 1, "{:?}", file.unresolved);
}

#[test]
fn django_dump_is_what_its_migrations_make() {
    dump_is_what_its_migrations_make(App::Django);
}

#[test]
fn rails_dump_is_what_its_migrations_make() {
    dump_is_what_its_migrations_make(App::Rails);
}

#[test]
fn django_exporter_finds_the_readme_references() {
    exporter_finds_the_readme_references(App::Django);
}

#[test]
fn rails_exporter_finds_the_readme_references() {
    exporter_finds_the_readme_references(App::Rails);
}
