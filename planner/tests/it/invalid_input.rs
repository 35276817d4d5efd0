//! Input the reader must not get wrong in silence (issue 20, items 3 and 10), on Postgres.
//!
//! * A UTF-8 byte-order mark at the start of a dump: the first statement is read (its table is
//!   there), lines and columns count as without it, and no generated file carries it (psql
//!   stops at a mark in the middle of a file).
//! * Foreign keys Postgres rejects (a parent no file defines, a column that is not there, an
//!   `ON DELETE SET NULL (cols)` column outside the key): `check` fails with SP015 / SP016 at
//!   the lines where Postgres itself reports the error (a parent another file of the config
//!   defines is no error), and nothing `plan` writes carries them:
//!   every generated file is free of the bad names, and each silo's `schema.sql` runs on
//!   Postgres with `ON_ERROR_STOP`.

use std::collections::BTreeMap;
use std::path::Path;

use silo_plan::check::CheckOptions;

use crate::pg::Cluster;
use crate::util::silo_plan;

/// Every file `plan` writes for the config in `dir`, through the library (`plan` itself may
/// refuse to write on error findings; what it would write must be right all the same).
fn plan_files(dir: &Path) -> BTreeMap<String, String> {
    let a = crate::util::analysis(dir);
    let findings = a.check(CheckOptions::default());
    let input = a.input();
    let plan = silo_plan::plan::build(&input, &findings);
    let mut files = BTreeMap::new();
    silo_plan::render::render_each(&plan, &input, &mut |f| {
        files.insert(f.path, f.contents);
        Ok(())
    })
    .expect("renders");
    files
}

/// Runs each `silos/*/schema.sql` on its own empty database with `ON_ERROR_STOP`; returns the
/// cluster for more queries.
fn apply_silos(files: &BTreeMap<String, String>) -> Cluster {
    let cluster = Cluster::start();
    let mut n = 0;
    for (path, sql) in files {
        let Some(silo) = path
            .strip_prefix("silos/")
            .and_then(|p| p.strip_suffix("/schema.sql"))
        else {
            continue;
        };
        n += 1;
        cluster.createdb(silo);
        let file = cluster.dir().join(format!("{silo}.sql"));
        std::fs::write(&file, sql).expect("writing schema.sql");
        let out = cluster.psql_file_stop(silo, &file);
        assert!(
            out.status.success(),
            "silos/{silo}/schema.sql fails on Postgres:\n{}\n{sql}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(n > 0, "no silo schema written: {:?}", files.keys());
    cluster
}

fn tables(cluster: &Cluster, db: &str) -> Vec<String> {
    let out = cluster.psql(
        db,
        "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class \
         WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace",
    );
    out.split_whitespace().map(str::to_string).collect()
}

const TWO_SILOS: &str = "version = 1\nschema = [\"schema.sql\"]\n\
[silos.control]\ntables = [\"accounts\"]\n\
[silos.region]\ntables = [\"orders\"]\n";

// ---------------------------------------------------------------------------------------------
// A byte-order mark.

#[test]
fn byte_order_mark_before_the_first_create_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("schema.sql"),
        "\u{feff}CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n\
         CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("silo-plan.toml"), TWO_SILOS).unwrap();

    let a = crate::util::analysis(dir.path());
    assert!(a.cat.unparsed.is_empty(), "{:#?}", a.cat.unparsed);
    let names: Vec<String> = a.cat.tables.iter().map(|t| t.qname().to_string()).collect();
    assert_eq!(names, ["public.orders", "public.accounts"]);

    // The crossing key of the first statement, at line 1, column 1, its line shown as an
    // editor shows it (the mark is no character of it).
    let o = silo_plan(dir.path(), ["check"]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("error[SP002]: foreign key orders_account_id_fkey crosses")
            && text.contains(" --> ./schema.sql:1:1\n")
            && text.contains("\n1 | CREATE TABLE orders (id bigint"),
        "{text}"
    );
    let inspect = silo_plan(dir.path(), ["inspect", "--schema", "schema.sql"]);
    let text = String::from_utf8_lossy(&inspect.stdout);
    assert!(text.contains("tables              2"), "{text}");

    let files = plan_files(dir.path());
    for (path, body) in &files {
        assert!(
            !body.contains('\u{feff}'),
            "{path} carries the byte-order mark"
        );
    }
    let cluster = apply_silos(&files);
    assert_eq!(tables(&cluster, "control"), ["accounts"]);
    assert_eq!(tables(&cluster, "region"), ["orders"]);
}

#[test]
fn byte_order_mark_before_a_leading_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("schema.sql"),
        "\u{feff}SET statement_timeout = 0;\n\
         SET client_encoding = 'UTF8';\n\
         CREATE TABLE accounts (id bigint PRIMARY KEY);\n\
         CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("silo-plan.toml"), TWO_SILOS).unwrap();
    let a = crate::util::analysis(dir.path());
    assert!(a.cat.unparsed.is_empty(), "{:#?}", a.cat.unparsed);
    let files = plan_files(dir.path());
    let control = &files["silos/control/schema.sql"];
    assert!(
        control.contains("\nSET statement_timeout = 0;\n"),
        "the SET is kept, without the mark:\n{control}"
    );
    for (path, body) in &files {
        assert!(
            !body.contains('\u{feff}'),
            "{path} carries the byte-order mark"
        );
    }
    let cluster = apply_silos(&files);
    assert_eq!(tables(&cluster, "control"), ["accounts"]);
    assert_eq!(tables(&cluster, "region"), ["orders"]);
}

// ---------------------------------------------------------------------------------------------
// Foreign keys Postgres rejects.

const INVALID: &str = r#"CREATE TABLE accounts (id bigint PRIMARY KEY, region text);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint, region text REFERENCES regions);
CREATE TABLE ghost_refs (
    id bigint PRIMARY KEY,
    ghost_id bigint REFERENCES ghosts (id)
);
CREATE TABLE bad_lists (
    id bigint PRIMARY KEY,
    account_id bigint,
    CONSTRAINT bad_lists_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE SET NULL (no_such_col)
);
CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint, account_id bigint, note text);
ALTER TABLE ONLY items
    ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE SET DEFAULT (note);
ALTER TABLE ONLY items
    ADD CONSTRAINT items_account_fk FOREIGN KEY (account_id) REFERENCES accounts (nope);
ALTER TABLE ONLY items
    ADD CONSTRAINT items_phantom_fk FOREIGN KEY (order_id) REFERENCES public.phantoms (id);
ALTER TABLE ONLY items
    ADD CONSTRAINT items_order_ok FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE SET NULL (order_id);
"#;

/// Another file of the config: its table counts (all files form one schema).
const BASE: &str = "CREATE TABLE regions (code text PRIMARY KEY);\n";

const INVALID_SILOS: &str = "version = 1\nschema = [\"base.sql\", \"schema.sql\"]\n\
[silos.control]\ntables = [\"accounts\"]\n\
[silos.region]\ntables = [\"regions\", \"orders\", \"items\", \"ghost_refs\", \"bad_lists\"]\n";

/// `(line, code)` of each error finding of `check`.
fn error_lines(dir: &Path) -> Vec<(u64, String)> {
    let o = silo_plan(dir, ["check", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "check must fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let mut out: Vec<(u64, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "SP015" || f["code"] == "SP016")
        .map(|f| {
            assert_eq!(f["severity"], "error", "{f:#}");
            (
                f["location"]["line"].as_u64().expect("a line"),
                f["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn foreign_keys_postgres_rejects_are_errors_and_never_generated() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("base.sql"), BASE).unwrap();
    std::fs::write(dir.path().join("schema.sql"), INVALID).unwrap();
    std::fs::write(dir.path().join("silo-plan.toml"), INVALID_SILOS).unwrap();

    // Where Postgres itself stops: each statement declaring a bad key fails (the key to the
    // table of base.sql does not).
    let cluster = Cluster::start();
    cluster.createdb("original");
    cluster.psql("original", BASE);
    let file = cluster.dir().join("original.sql");
    std::fs::write(&file, INVALID).unwrap();
    let out = cluster.psql_file("original", &file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut pg_lines: Vec<u64> = stderr
        .lines()
        .filter(|l| l.contains("ERROR:"))
        .filter_map(|l| l.split(':').nth(2)?.trim().parse().ok())
        .collect();
    pg_lines.sort();
    // psql reports a statement's last line; the findings its first.
    assert_eq!(pg_lines, [6, 11, 14, 16, 18], "{stderr}");

    let errors = error_lines(dir.path());
    assert_eq!(
        errors,
        [
            (3, "SP015".to_string()),
            (7, "SP016".to_string()),
            (13, "SP016".to_string()),
            (15, "SP016".to_string()),
            (17, "SP015".to_string()),
        ],
        "one error per statement Postgres rejects, at its first line"
    );
    let a = crate::util::analysis(dir.path());
    // The valid key stays; the rejected ones are not the catalog's.
    let names: Vec<&str> = a
        .cat
        .foreign_keys
        .iter()
        .filter(|f| f.is_constraint())
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["orders_region_fkey", "items_order_ok"]);

    let files = plan_files(dir.path());
    // The review documents list the findings (with the names); nothing else names them.
    for doc in ["plan.md", "plan.json"] {
        assert!(
            files[doc].contains("SP016") && files[doc].contains("SP015"),
            "{doc}"
        );
    }
    for (path, body) in files.iter().filter(|(p, _)| !p.starts_with("plan.")) {
        for bad in [
            "no_such_col",
            "ghosts",
            "phantoms",
            "(nope)",
            "items_order_fk ",
        ] {
            let generated = body
                .lines()
                .any(|l| !l.trim_start().starts_with("--") && l.contains(bad));
            assert!(!generated, "{path} carries {bad:?}:\n{body}");
        }
    }
    let region = &files["silos/region/schema.sql"];
    for want in [
        "-- cut (Postgres rejects it): FK bad_lists_account_fk public.bad_lists(account_id) → public.accounts: ON DELETE SET NULL (no_such_col) names no_such_col, which is not a column of the key (account_id)",
        "-- cut (Postgres rejects it): FK ghost_refs_ghost_id_fkey public.ghost_refs(ghost_id) → public.ghosts: it references public.ghosts, a table no dump file defines",
        "-- left out: FK items_phantom_fk public.items(order_id) → public.phantoms: it references public.phantoms, a table no dump file defines",
    ] {
        assert!(region.contains(want), "region schema.sql lacks {want:?}:\n{region}");
    }
    let cluster = apply_silos(&files);
    assert_eq!(
        tables(&cluster, "region"),
        ["bad_lists", "ghost_refs", "items", "orders", "regions"]
    );
    let keys = cluster.psql(
        "region",
        "SELECT string_agg(conname, ' ' ORDER BY conname) FROM pg_constraint WHERE contype = 'f'",
    );
    assert_eq!(keys.trim(), "items_order_ok orders_region_fkey");
}
