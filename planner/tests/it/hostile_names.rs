//! Names that attack the reader: a table, a column and a constraint named with a terminal
//! escape sequence, an 8-bit control, bidirectional overrides and a line break reach no output
//! a person reads raw (plan.md, the comments of every generated file, the stubs, the text and
//! GitHub reports, stderr), while the generated SQL still names them exactly, as PostgreSQL
//! runs it.

use silo_plan::untrusted::is_unsafe;

use crate::pg::Cluster;
use crate::util::silo_plan;

/// The parent (control) and the child (region), their key column and the constraint.
const PARENT: &str = "pa\x1b[31mrent\u{202e}";
const CHILD: &str = "ch\x1b]0;pwned\x07ild\u{9b}2J";
const COLUMN: &str = "pa\u{202e}rent\u{2066}_id";
const CONSTRAINT: &str = "fk\x1b[2J\u{200f}\nDROP TABLE x; --";

fn q(name: &str) -> String {
    crate::pg::quote_ident(name)
}

fn dump() -> String {
    format!(
        "CREATE TABLE public.{p} (id bigint PRIMARY KEY);\n\
         CREATE TABLE public.{c} (id bigint PRIMARY KEY, {col} bigint);\n\
         ALTER TABLE ONLY public.{c}\n    ADD CONSTRAINT {k} FOREIGN KEY ({col}) REFERENCES public.{p}(id) ON DELETE CASCADE;\n",
        p = q(PARENT),
        c = q(CHILD),
        col = q(COLUMN),
        k = q(CONSTRAINT),
    )
}

const CONFIG: &str = "version = 1\nschema = [\"schema.sql\"]\norigin = \"region\"\n\
    [silos.control]\ntables = [\"pa*\"]\n\
    [silos.region]\ntables = [\"ch*\"]\n";

/// The characters of `text` that may not reach a reader, with the line they are on.
fn raw_unsafe(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.chars().any(is_unsafe))
        .map(|(i, l)| (i + 1, l.escape_debug().to_string()))
        .collect()
}

#[test]
fn hostile_names_reach_no_reader_raw_and_the_sql_still_names_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("schema.sql"), dump()).expect("write");
    std::fs::write(dir.path().join("silo-plan.toml"), CONFIG).expect("write");

    // The reports a person reads.
    for format in ["text", "github"] {
        let o = silo_plan(dir.path(), ["check", ".", "--format", format]);
        assert_eq!(o.status.code(), Some(1));
        let out = String::from_utf8(o.stdout).expect("UTF-8");
        assert!(out.contains("\\u{1b}[31m"), "{format}: {out}");
        assert_eq!(raw_unsafe(&out), [], "check --format {format}");
    }
    let o = silo_plan(dir.path(), ["explain", "ch*"]);
    assert_eq!(
        raw_unsafe(&String::from_utf8_lossy(&o.stderr)),
        [],
        "stderr"
    );

    let o = silo_plan(dir.path(), ["plan", ".", "--out", "plan"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(raw_unsafe(&String::from_utf8_lossy(&o.stdout)), []);
    assert_eq!(raw_unsafe(&String::from_utf8_lossy(&o.stderr)), []);
    let files = crate::util::read_tree(&dir.path().join("plan"));

    // plan.md names them, escaped, in its cells.
    let md = &files["plan.md"];
    assert_eq!(raw_unsafe(md), [], "plan.md");
    assert!(
        md.contains("| `fk\\u{1b}[2J\\u{200f}\\u{a}DROP TABLE x; --` | public.ch\\u{1b}]0;pwned\\u{7}ild\\u{9b}2J(pa\\u{202e}rent\\u{2066}_id) → public.pa\\u{1b}[31mrent\\u{202e}(id) |"),
        "{md}"
    );
    // Every line of a human-read file (Markdown, graphs, stubs, scripts; not plan.json, which is
    // for programs) is safe; in SQL, every
    // comment line is, while quoted identifiers hold the names exactly (as in the runbook's
    // verify queries, SQL to copy into psql).
    let mut quoted = 0;
    for (path, text) in &files {
        if path.ends_with(".json") {
            // Machine-read, exact (JSON escapes control characters by its own syntax).
            continue;
        }
        if path == "phases/runbook.md" {
            let prose: String = text
                .split("**Verify**: ")
                .map(|part| part.split_once(";`").map_or(part, |(_, after)| after))
                .collect();
            assert_eq!(raw_unsafe(&prose), [], "{path}");
        } else if path.ends_with(".sql") {
            for (i, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("--") {
                    assert_eq!(raw_unsafe(line), [], "{path}:{}", i + 1);
                }
            }
            quoted += [PARENT, CHILD, COLUMN]
                .iter()
                .filter(|n| text.contains(&q(n)))
                .count();
        } else {
            assert_eq!(raw_unsafe(text), [], "{path}");
        }
    }
    assert!(
        quoted >= 3,
        "the SQL names the tables by their quoted names"
    );
    let drop = &files["fks/drop.sql"];
    assert!(
        drop.contains(&format!(
            "ALTER TABLE public.{} DROP CONSTRAINT IF EXISTS {}",
            q(CHILD),
            q(CONSTRAINT)
        )),
        "{drop}"
    );

    // The SQL runs on PostgreSQL and acts on those very names.
    let pg = Cluster::start();
    pg.createdb("names");
    pg.createdb("control");
    pg.createdb("region");
    let mut c = pg.client("names");
    c.batch_execute(&dump()).expect("the dump loads");
    let has_key = |c: &mut postgres::Client| -> bool {
        c.query_one(
            "SELECT count(*) FROM pg_constraint WHERE conname = $1 AND contype = 'f'",
            &[&CONSTRAINT],
        )
        .expect("query")
        .get::<_, i64>(0)
            == 1
    };
    assert!(has_key(&mut c));
    let run = |db: &str, path: &str| {
        let o = pg.psql_file(db, &dir.path().join("plan").join(path));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() && !err.contains("ERROR"),
            "{path} on {db}: {err}"
        );
    };
    run("names", "fks/drop.sql");
    assert!(!has_key(&mut c), "drop.sql dropped the key");
    run("names", "fks/restore.sql");
    assert!(has_key(&mut c), "restore.sql put it back");
    // Each silo's schema creates its table under the exact name.
    for (db, table) in [("control", PARENT), ("region", CHILD)] {
        run(db, &format!("silos/{db}/schema.sql"));
        let n: i64 = pg
            .client(db)
            .query_one(
                "SELECT count(*) FROM pg_class WHERE relname = $1 AND relkind = 'r'",
                &[&table],
            )
            .expect("query")
            .get(0);
        assert_eq!(n, 1, "silos/{db}/schema.sql creates {table:?}");
    }
}
