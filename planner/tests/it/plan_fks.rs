//! `fks/drop.sql` and `fks/restore.sql` run on real PostgreSQL.
//!
//! For examples/saas (its own config), every PostgreSQL dump of the corpus (loaded as
//! `corpus.rs` loads it, with a two-silo config written here: root tables split by
//! [`corpus::silo_of_root`], partitions following their root) and a dump whose names all need
//! quoting: load the dump; snapshot its foreign keys from `pg_constraint`; run drop.sql: exactly
//! the expected crossings are gone, every other key, every column and every index is intact, and
//! each dropped key's columns lead a valid index; run it again (no error, nothing changes); run
//! restore.sql: the keys equal the snapshot again, validated as they were; run it again.
//! The expected crossings are computed here from Postgres's catalog and the split rule (or, for
//! examples/saas, from its README), not from silo-plan.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use silo_plan::plan::fks::{self, FkScripts, IndexPlan};
use silo_plan::render;

use crate::corpus::{self, Name};
use crate::pg::{self, Cluster};

// ---------------------------------------------------------------------------------------------
// Planning.

/// The scripts for a config, as data and rendered.
struct Scripts {
    fks: FkScripts,
    drop: String,
    restore: String,
}

fn plan(config_path: &Path) -> Scripts {
    let a = crate::util::analysis(config_path);
    let input = a.input();
    let f = fks::build(&input);
    let again = fks::build(&input);
    let (drop, restore) = (render::fks::drop_sql(&f), render::fks::restore_sql(&f));
    assert_eq!(
        drop,
        render::fks::drop_sql(&again),
        "drop.sql is deterministic"
    );
    assert_eq!(
        restore,
        render::fks::restore_sql(&again),
        "restore.sql is deterministic"
    );
    Scripts {
        fks: f,
        drop,
        restore,
    }
}

// ---------------------------------------------------------------------------------------------
// What Postgres holds.

/// `(schema, table, constraint)`.
type FkKey = (String, String, String);

#[derive(Debug, Clone, PartialEq, Eq)]
struct FkDef {
    columns: Vec<String>,
    references: String,
    referenced: Vec<String>,
    on_delete: String,
    on_update: String,
    match_type: String,
    deferrable: bool,
    deferred: bool,
    validated: bool,
    /// Postgres 15's `ON DELETE SET NULL (cols)` / `SET DEFAULT (cols)` list (empty: all).
    on_delete_columns: Vec<String>,
}

fn col_names(rel: &str, attnums: &str) -> String {
    format!(
        "ARRAY(SELECT a.attname::text FROM unnest({attnums}) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum ORDER BY k.ord)"
    )
}

/// Every declared foreign key (not the clones on partitions) of the dump's tables.
fn fk_snapshot(client: &mut postgres::Client) -> BTreeMap<FkKey, FkDef> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, con.conname::text, {}, \
                format('%s.%s', fn.nspname, fc.relname), {}, \
                con.confdeltype::text, con.confupdtype::text, con.confmatchtype::text, \
                con.condeferrable, con.condeferred, con.convalidated, {} \
         FROM pg_constraint con \
         JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_class fc ON fc.oid = con.confrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
         WHERE con.contype = 'f' AND con.conparentid = 0 AND {}",
        col_names("con.conrelid", "con.conkey"),
        col_names("con.confrelid", "con.confkey"),
        col_names("con.conrelid", "con.confdelsetcols"),
        corpus::USER_REL
    );
    client
        .query(sql.as_str(), &[])
        .expect("querying foreign keys")
        .iter()
        .map(|r| {
            (
                (r.get(0), r.get(1), r.get(2)),
                FkDef {
                    columns: r.get(3),
                    references: r.get(4),
                    referenced: r.get(5),
                    on_delete: r.get(6),
                    on_update: r.get(7),
                    match_type: r.get(8),
                    deferrable: r.get(9),
                    deferred: r.get(10),
                    validated: r.get(11),
                    on_delete_columns: r.get(12),
                },
            )
        })
        .collect()
}

/// Every column of every user relation: `(schema, relation, column, type)`.
fn columns(client: &mut postgres::Client) -> BTreeSet<(String, String, String, String)> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, a.attname::text, \
                format_type(a.atttypid, a.atttypmod) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm') \
           AND {}",
        corpus::USER_REL
    );
    client
        .query(sql.as_str(), &[])
        .expect("querying columns")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

/// Every index of a user table: `(schema, index)` → (definition, valid).
fn indexes(client: &mut postgres::Client) -> BTreeMap<(String, String), (String, bool)> {
    let sql = format!(
        "SELECT n.nspname::text, ic.relname::text, pg_get_indexdef(i.indexrelid), i.indisvalid \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE {}",
        corpus::USER_REL
    );
    client
        .query(sql.as_str(), &[])
        .expect("querying indexes")
        .iter()
        .map(|r| ((r.get(0), r.get(1)), (r.get(2), r.get(3))))
        .collect()
}

/// Whether a valid, non-partial btree index of `schema.table` leads with exactly `cols`.
fn covered(client: &mut postgres::Client, schema: &str, table: &str, cols: &[String]) -> bool {
    let rows = client
        .query(
            "SELECT ARRAY(SELECT COALESCE(a.attname::text, '') \
                            FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                            LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                           ORDER BY k.ord) \
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
             JOIN pg_am am ON am.oid = ic.relam \
             WHERE i.indrelid = format('%I.%I', $1::text, $2::text)::regclass \
               AND i.indisvalid AND i.indpred IS NULL AND am.amname = 'btree'",
            &[&schema, &table],
        )
        .expect("querying the child's indexes");
    let want: BTreeSet<&String> = cols.iter().collect();
    rows.iter().any(|r| {
        let keys: Vec<String> = r.get(0);
        keys.len() >= cols.len() && keys[..cols.len()].iter().collect::<BTreeSet<_>>() == want
    })
}

// ---------------------------------------------------------------------------------------------
// The run.

/// Runs a generated script with psql; panics with psql's output on any error.
fn run_script(cluster: &Cluster, db: &str, what: &str, file: &Path, sql: &str) {
    std::fs::write(file, sql).expect("writing the script");
    let out = cluster.psql_file(db, file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(
        out.status.success() && errors.is_empty(),
        "{what} failed ({}):\n{stderr}",
        out.status
    );
}

/// What one dump's run did, for the log.
struct Counts {
    fks: usize,
    dropped: usize,
    indexes_created: usize,
    partitioned: usize,
}

/// The whole drop / drop / restore / restore cycle on a loaded database.
fn exercise(
    name: &str,
    cluster: &Cluster,
    db: &str,
    s: &Scripts,
    expected: &BTreeSet<FkKey>,
) -> Counts {
    let mut client = cluster.client(db);
    let before = fk_snapshot(&mut client);
    let cols0 = columns(&mut client);
    let idx0 = indexes(&mut client);
    for k in expected {
        assert!(
            before.contains_key(k),
            "{name}: expected crossing {k:?} is not a foreign key in Postgres"
        );
    }

    // The plan breaks exactly the expected keys.
    let planned: BTreeSet<FkKey> = s
        .fks
        .broken
        .iter()
        .map(|b| (b.child.schema.clone(), b.child.name.clone(), b.name.clone()))
        .collect();
    let missing: Vec<_> = expected.difference(&planned).collect();
    let extra: Vec<_> = planned.difference(expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{name}: drop.sql breaks the wrong keys\n  not broken: {missing:?}\n  broken, not expected: {extra:?}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let drop_file = dir.path().join("drop.sql");
    let restore_file = dir.path().join("restore.sql");

    // drop.sql
    run_script(
        cluster,
        db,
        &format!("{name}: drop.sql"),
        &drop_file,
        &s.drop,
    );
    let after = fk_snapshot(&mut client);
    let want_after: BTreeMap<FkKey, FkDef> = before
        .iter()
        .filter(|(k, _)| !expected.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(
        after, want_after,
        "{name}: after drop.sql, exactly the crossings are gone and every other key is intact"
    );
    assert_eq!(
        columns(&mut client),
        cols0,
        "{name}: drop.sql changed columns"
    );
    let idx1 = indexes(&mut client);
    for (k, v) in &idx0 {
        assert_eq!(
            idx1.get(k),
            Some(v),
            "{name}: index {k:?} changed by drop.sql"
        );
    }
    let created: Vec<_> = idx1.keys().filter(|k| !idx0.contains_key(*k)).collect();
    for k in &created {
        assert!(
            idx1[*k].1,
            "{name}: index {k:?} built by drop.sql is not valid"
        );
    }
    for (k, fk) in before.iter().filter(|(k, _)| expected.contains(*k)) {
        assert!(
            covered(&mut client, &k.0, &k.1, &fk.columns),
            "{name}: after drop.sql no valid index of {}.{} leads with {:?} (key {})",
            k.0,
            k.1,
            fk.columns,
            k.2
        );
    }

    // drop.sql again: nothing to do, nothing changes.
    run_script(
        cluster,
        db,
        &format!("{name}: drop.sql (again)"),
        &drop_file,
        &s.drop,
    );
    assert_eq!(
        fk_snapshot(&mut client),
        want_after,
        "{name}: drop.sql again"
    );
    assert_eq!(
        indexes(&mut client),
        idx1,
        "{name}: drop.sql again changed indexes"
    );

    // restore.sql, twice.
    for pass in ["restore.sql", "restore.sql (again)"] {
        run_script(
            cluster,
            db,
            &format!("{name}: {pass}"),
            &restore_file,
            &s.restore,
        );
        let restored = fk_snapshot(&mut client);
        if restored != before {
            let diff: Vec<String> = before
                .iter()
                .filter(|(k, v)| restored.get(*k) != Some(*v))
                .map(|(k, v)| format!("{k:?}: was {v:?}, now {:?}", restored.get(k)))
                .chain(
                    restored
                        .keys()
                        .filter(|k| !before.contains_key(*k))
                        .map(|k| format!("{k:?}: new")),
                )
                .collect();
            panic!(
                "{name}: after {pass} the keys differ from the original:\n  {}",
                diff.join("\n  ")
            );
        }
        assert_eq!(
            columns(&mut client),
            cols0,
            "{name}: {pass} changed columns"
        );
        assert_eq!(indexes(&mut client), idx1, "{name}: {pass} changed indexes");
    }
    // Restored keys are validated (unless the dump itself declared them NOT VALID).
    let restored = fk_snapshot(&mut client);
    for k in expected {
        assert_eq!(
            restored[k].validated, before[k].validated,
            "{name}: {k:?} convalidated"
        );
    }

    Counts {
        fks: before.len(),
        dropped: expected.len(),
        indexes_created: created.len(),
        partitioned: s
            .fks
            .broken
            .iter()
            .filter(|b| matches!(b.index, IndexPlan::CreatePartitioned(_)))
            .count(),
    }
}

fn report(name: &str, c: &Counts, s: &Scripts) {
    let planned = s
        .fks
        .broken
        .iter()
        .filter(|b| !matches!(b.index, IndexPlan::Existing(_)))
        .count();
    eprintln!(
        "{name}: {} foreign keys; drop.sql broke {} and built {} indexes ({} planned, {} on \
         partitioned tables); {} shared keys left in place; {} + {} steps",
        c.fks,
        c.dropped,
        c.indexes_created,
        planned,
        c.partitioned,
        s.fks.kept.len(),
        s.fks.drop.len(),
        s.fks.restore.len()
    );
}

// ---------------------------------------------------------------------------------------------
// examples/saas

fn saas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/saas")
}

/// `(public, child, constraint)` of every row of the README's crossing table.
fn readme_crossings() -> BTreeSet<FkKey> {
    crate::util::saas_readme_crossings()
        .into_iter()
        .map(|c| ("public".to_string(), c.child, c.constraint))
        .collect()
}

/// Loads a dump's text (psql lines stripped, its roles created) into database `db`.
fn load_text(cluster: &Cluster, db: &str, name: &str, text: &str) {
    let out = cluster.load_dump(db, name, text, &pg::prepare_dump(text));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("ERROR"),
        "loading {name} failed:\n{stderr}"
    );
}

#[test]
fn saas_drop_and_restore_on_postgres() {
    let s = plan(&saas());
    let expected = readme_crossings();
    assert_eq!(expected.len(), 21, "the README lists 21 crossings");
    let cluster = Cluster::start();
    let text = std::fs::read_to_string(saas().join("schema.sql")).expect("schema.sql");
    load_text(&cluster, "saas", "schema.sql", &text);
    let counts = exercise("examples/saas", &cluster, "saas", &s, &expected);
    report("examples/saas", &counts, &s);
}

// ---------------------------------------------------------------------------------------------
// The corpus.

/// Every foreign key (declared, not a partition's clone) whose child and parent roots land in
/// different silos under [`corpus::silo_of_root`]; roots that cannot be named are in no silo.
fn expected_crossings(
    client: &mut postgres::Client,
    roots: &BTreeSet<Name>,
    excluded: &dyn Fn(&str) -> bool,
) -> BTreeSet<FkKey> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, con.conname::text, \
                rn.nspname::text, r.relname::text, prn.nspname::text, pr.relname::text \
         FROM pg_constraint con \
         JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_class r ON r.oid = COALESCE(pg_partition_root(c.oid), c.oid) \
         JOIN pg_namespace rn ON rn.oid = r.relnamespace \
         JOIN pg_class pr ON pr.oid = COALESCE(pg_partition_root(con.confrelid), con.confrelid) \
         JOIN pg_namespace prn ON prn.oid = pr.relnamespace \
         WHERE con.contype = 'f' AND con.conparentid = 0 AND {}",
        corpus::USER_REL
    );
    let silo = |root: &Name| roots.contains(root).then(|| corpus::silo_of_root(&root.1));
    client
        .query(sql.as_str(), &[])
        .expect("querying foreign keys with their roots")
        .iter()
        .filter_map(|r| {
            let key: FkKey = (r.get(0), r.get(1), r.get(2));
            let (child, parent) = (Name(r.get(3), r.get(4)), Name(r.get(5), r.get(6)));
            if excluded(&format!("{}.{}", key.0, key.1))
                || excluded(&format!("{}.{}.{}", key.0, key.1, key.2))
            {
                return None;
            }
            match (silo(&child), silo(&parent)) {
                (Some(a), Some(b)) if a != b => Some(key),
                _ => None,
            }
        })
        .collect()
}

fn corpus_dump(name: &str) {
    let known = corpus::known(name);
    let loaded = corpus::load(name, &known);
    assert!(
        loaded.unexpected.is_empty(),
        "{name}: load errors not in the KNOWN list:\n{}",
        loaded.unexpected.join("\n")
    );
    let excluded = |obj: &str| known.exclude.iter().any(|x| x.object == obj);
    let mut client = loaded.cluster.client(loaded.db);
    let (roots, left_out) = corpus::split_roots(&mut client, &excluded);
    let expected = expected_crossings(&mut client, &roots, &excluded);
    drop(client);

    let dir = tempfile::tempdir().expect("temp dir");
    let roots: Vec<Name> = roots.into_iter().collect();
    corpus::write_split_config(dir.path(), &loaded.path, &roots, !left_out.is_empty());
    let s = plan(&dir.path().join("silo-plan.toml"));
    let counts = exercise(name, &loaded.cluster, loaded.db, &s, &expected);
    report(name, &counts, &s);
    // Never vacuous: a dump with foreign keys between two roots has crossings under the rule.
    let fks = loaded.cat.foreign_keys.len();
    if fks > 0
        && loaded
            .cat
            .foreign_keys
            .iter()
            .any(|f| f.table != f.references)
    {
        assert!(
            counts.dropped > 0,
            "{name}: {fks} foreign keys, none broken"
        );
    }
}

macro_rules! corpus_tests {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                corpus_dump($file);
            }
        )*

        /// Every PostgreSQL dump of the corpus has a test here.
        #[test]
        fn corpus_covers_every_postgres_dump() {
            let mine: BTreeSet<&str> = [$($file),*].into_iter().collect();
            let all: BTreeSet<&str> = corpus::POSTGRES_DUMPS.into_iter().collect();
            assert_eq!(mine, all);
        }
    };
}

corpus_tests! {
    corpus_pagila => "pagila.sql",
    corpus_sentry_onpremise => "sentry-onpremise.sql",
    corpus_openstreetmap_website => "openstreetmap-website.sql",
    corpus_danbooru => "danbooru.sql",
    corpus_lago_api => "lago-api.sql",
    corpus_gisia_gitlab_like => "gisia-gitlab-like.sql",
    corpus_synapse_full72 => "synapse-full72.sql",
    corpus_sanbase2 => "sanbase2.sql",
    corpus_philomena => "philomena.sql",
    corpus_supabase_postgres_15 => "supabase-postgres-15.sql",
    corpus_supabase_cli_starter => "supabase-cli-starter.sql",
    corpus_sakila_pg_imor => "sakila-pg-imor.sql",
}

// ---------------------------------------------------------------------------------------------
// Names that need quoting.

/// A pg_dump-style dump whose every name needs quoting: mixed case, spaces, embedded double
/// quotes, keywords (`order`, `user`), unicode, a single quote, `--`, a dollar-quote tag and a
/// line break in a constraint name; a composite key with MATCH FULL, actions and deferrability;
/// a partitioned child with a sub-partitioned partition.
const QUOTED_DUMP: &str = r#"
SET standard_conforming_strings = on;
CREATE SCHEMA "Silo Schema";

CREATE TABLE public."User" (
    "Id" bigint NOT NULL,
    "e-mail" text
);
ALTER TABLE ONLY public."User" ADD CONSTRAINT "User_pkey" PRIMARY KEY ("Id");

CREATE TABLE public."order" (
    id bigint NOT NULL,
    "Tenant Id" integer NOT NULL
);
ALTER TABLE ONLY public."order" ADD CONSTRAINT "order pk" PRIMARY KEY (id, "Tenant Id");

CREATE TABLE public."Café ☕" (
    k bigint NOT NULL
);
ALTER TABLE ONLY public."Café ☕" ADD CONSTRAINT "Café ☕_pkey" PRIMARY KEY (k);

CREATE TABLE "Silo Schema"."Line ""Items""" (
    id bigint NOT NULL,
    "Order Id" bigint,
    "Tenant Id" integer,
    "user" bigint,
    "café_ñ" bigint
);
ALTER TABLE ONLY "Silo Schema"."Line ""Items""" ADD CONSTRAINT "Line ""Items""_pkey" PRIMARY KEY (id);

CREATE TABLE public."Events" (
    "Id" bigint NOT NULL,
    "User" bigint,
    at date NOT NULL
)
PARTITION BY RANGE (at);

CREATE TABLE public."Events 2024" (
    "Id" bigint NOT NULL,
    "User" bigint,
    at date NOT NULL
);

CREATE TABLE public."Events Sub" (
    "Id" bigint NOT NULL,
    "User" bigint,
    at date NOT NULL
)
PARTITION BY LIST ("User");

CREATE TABLE public."Events Sub default" (
    "Id" bigint NOT NULL,
    "User" bigint,
    at date NOT NULL
);

ALTER TABLE ONLY public."Events" ATTACH PARTITION public."Events 2024" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE ONLY public."Events" ATTACH PARTITION public."Events Sub" FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE ONLY public."Events Sub" ATTACH PARTITION public."Events Sub default" DEFAULT;

ALTER TABLE ONLY "Silo Schema"."Line ""Items"""
    ADD CONSTRAINT "Line→Order FK" FOREIGN KEY ("Order Id", "Tenant Id") REFERENCES public."order"(id, "Tenant Id") MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY "Silo Schema"."Line ""Items"""
    ADD CONSTRAINT "user" FOREIGN KEY ("user") REFERENCES public."User"("Id") ON DELETE CASCADE;

ALTER TABLE ONLY "Silo Schema"."Line ""Items"""
    ADD CONSTRAINT "it's $silo_plan$ -- ""x""
line two" FOREIGN KEY ("café_ñ") REFERENCES public."Café ☕"(k) DEFERRABLE;

ALTER TABLE public."Events"
    ADD CONSTRAINT "Events_User_fkey" FOREIGN KEY ("User") REFERENCES public."User"("Id") ON UPDATE RESTRICT;
"#;

const QUOTED_DATA: &str = r#"
INSERT INTO public."User" VALUES (1, 'a'), (2, 'b');
INSERT INTO public."order" VALUES (10, 1), (11, 1);
INSERT INTO public."Café ☕" VALUES (7);
INSERT INTO "Silo Schema"."Line ""Items""" VALUES (1, 10, 1, 1, 7), (2, 11, 1, 2, NULL), (3, NULL, NULL, NULL, 7);
INSERT INTO public."Events" VALUES (1, 1, '2024-05-01'), (2, 2, '2025-05-01'), (3, NULL, '2025-06-01');
"#;

/// `'text'`, with embedded quotes doubled.
fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes the quoted dump and its two-silo config into `dir` and plans them.
fn quoted_plan(dir: &Path) -> Scripts {
    std::fs::write(dir.join("dump.sql"), QUOTED_DUMP).expect("writing the dump");
    std::fs::write(
        dir.join("silo-plan.toml"),
        r#"version = 1
schema = ["dump.sql"]

[silos.a]
tables = ["public.User", "public.order", "public.Café ☕"]

[silos.b]
tables = ["Silo Schema.Line \"Items\"", "public.Events"]
"#,
    )
    .expect("writing the config");
    plan(&dir.join("silo-plan.toml"))
}

#[test]
fn quoted_names_run_on_postgres() {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = quoted_plan(dir.path());
    let key = |schema: &str, table: &str, name: &str| -> FkKey {
        (schema.to_string(), table.to_string(), name.to_string())
    };
    let items = "Line \"Items\"";
    let expected: BTreeSet<FkKey> = [
        key("Silo Schema", items, "Line→Order FK"),
        key("Silo Schema", items, "user"),
        key("Silo Schema", items, "it's $silo_plan$ -- \"x\"\nline two"),
        key("public", "Events", "Events_User_fkey"),
    ]
    .into_iter()
    .collect();

    // A line break in a name never ends a comment: the name's second line appears only inside
    // a quoted identifier or a string literal, so it is followed by the closing quote.
    for (file, text) in [("drop.sql", &s.drop), ("restore.sql", &s.restore)] {
        for l in text.lines().filter(|l| l.starts_with("line two")) {
            assert!(
                l.starts_with("line two\"") || l.starts_with("line two'"),
                "{file}: a name's line break escaped a comment: {l}\n{text}"
            );
        }
    }

    let cluster = Cluster::start();
    load_text(&cluster, "quoted", "dump.sql", QUOTED_DUMP);
    cluster.psql("quoted", QUOTED_DATA);
    let counts = exercise("quoted names", &cluster, "quoted", &s, &expected);
    assert_eq!(counts.partitioned, 1, "the partitioned child got its index");
    report("quoted names", &counts, &s);
}

/// A `CREATE INDEX CONCURRENTLY` that failed leaves an INVALID index of the planned name (here
/// made on purpose: a unique build over duplicate values), on an ordinary child and on a
/// partition; drop.sql drops and rebuilds both instead of keeping them.
#[test]
fn failed_concurrent_builds_are_rebuilt() {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = quoted_plan(dir.path());
    let name_of = |table: &str| -> String {
        let b = s
            .fks
            .broken
            .iter()
            .find(|b| b.child.name == table)
            .expect("a broken key on the table");
        match &b.index {
            IndexPlan::Create(n) | IndexPlan::CreatePartitioned(n) => n.clone(),
            IndexPlan::Existing(e) => panic!("{table} is already indexed by {e}"),
        }
    };
    // The ordinary child's key on "café_ñ" (values 7, NULL, 7) and the partition "Events 2024".
    let cafe = s
        .fks
        .broken
        .iter()
        .find(|b| b.columns == ["café_ñ"])
        .expect("the key on café_ñ");
    let IndexPlan::Create(cafe_index) = &cafe.index else {
        panic!("café_ñ is not indexed by drop.sql: {:?}", cafe.index)
    };
    let events_index = name_of("Events");

    let cluster = Cluster::start();
    load_text(&cluster, "quoted", "dump.sql", QUOTED_DUMP);
    cluster.psql("quoted", QUOTED_DATA);
    cluster.psql(
        "quoted",
        "INSERT INTO public.\"Events\" VALUES (4, 1, '2024-06-01')",
    );
    let part_index = cluster.psql(
        "quoted",
        &format!(
            "SELECT {} || '_' || left(md5(format('%I.%I', 'public', 'Events 2024')), 8)",
            quote_literal(&events_index)
        ),
    );
    let part_index = part_index.trim();
    for (index, table, column) in [
        (
            cafe_index.as_str(),
            "\"Silo Schema\".\"Line \"\"Items\"\"\"",
            "\"café_ñ\"",
        ),
        (part_index, "public.\"Events 2024\"", "\"User\""),
    ] {
        let leftover = dir.path().join("leftover.sql");
        std::fs::write(
            &leftover,
            format!(
                "CREATE UNIQUE INDEX CONCURRENTLY {} ON {table} ({column});",
                pg::quote_ident(index)
            ),
        )
        .expect("writing the leftover build");
        let out = cluster.psql_file("quoted", &leftover);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("could not create unique index"),
            "the leftover build of {index} did not fail as intended: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let invalid = |cluster: &Cluster| -> String {
        cluster.psql(
            "quoted",
            "SELECT string_agg(c.relname::text, ', ' ORDER BY c.relname) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid WHERE NOT i.indisvalid",
        )
    };
    assert_eq!(
        invalid(&cluster).trim(),
        format!("{part_index}, {cafe_index}"),
        "two invalid leftovers"
    );

    let file = dir.path().join("drop.sql");
    run_script(
        &cluster,
        "quoted",
        "drop.sql over leftovers",
        &file,
        &s.drop,
    );
    assert_eq!(invalid(&cluster).trim(), "", "no invalid index remains");
    let mut client = cluster.client("quoted");
    assert!(covered(
        &mut client,
        "Silo Schema",
        "Line \"Items\"",
        &["café_ñ".to_string()]
    ));
    assert!(covered(
        &mut client,
        "public",
        "Events",
        &["User".to_string()]
    ));
    let unique: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_index WHERE indisunique AND indexrelid::regclass::text LIKE '%silo_plan%'",
            &[],
        )
        .expect("counting")
        .get(0);
    assert_eq!(unique, 0, "the leftovers were replaced, not kept");
}
