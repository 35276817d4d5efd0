//! `silos/<silo>/schema.sql` on real PostgreSQL.
//!
//! For the example and for every real dump that loads on PostgreSQL 15 (as `corpus.rs` loads
//! it, with the same KNOWN edits, applied to each generated file where they apply): load the
//! original once; split its tables into two silos by a fixed rule on the table name
//! (`corpus::silo_of_root`; partitions follow their root); run each silo's `schema.sql` on an
//! empty database of a second, fresh cluster; then compare, through catalog queries, each silo
//! database with the original restricted to that silo's tables and the shared ones: tables,
//! columns (type, not null, default, identity, generated), constraints (primary keys, unique,
//! checks, exclusions, foreign keys whose two ends share a placement), indexes, triggers,
//! sequence ownership, and views (those whose relations are all in the silo). The silos' tables
//! together must be all the tables, each once, shared ones in every silo.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use silo_plan::assign::Placement;
use silo_plan::dump::{self, ReadOptions};
use silo_plan::plan::schema::{build, Item, SiloSchema};
use silo_plan::render::schema::schema_sql;
use silo_plan::source::SourceFile;

use crate::corpus::{
    self, apply_edits_where_found, known, split_roots, unexpected_errors, write_split_config,
    Known, Loaded, Name, USER_REL,
};
use crate::pg::{self, Cluster};

// ---------------------------------------------------------------------------------------------
// Planning.

/// Each silo's schema and rendered file, and where every table is placed.
pub(crate) struct Planned {
    pub(crate) silos: Vec<(SiloSchema, String)>,
    /// `schema.name` → placement, for every table of the catalog.
    placement: BTreeMap<String, Placement>,
}

fn plan(config_path: &Path) -> Planned {
    let a = crate::util::analysis(config_path);
    let input = a.input();
    let schemas = build(&input);
    assert_eq!(
        schemas.iter().map(|s| s.silo.as_str()).collect::<Vec<_>>(),
        a.cfg
            .silos
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        "one schema per silo, in config order"
    );
    let silos = schemas
        .into_iter()
        .map(|s| {
            let sql = schema_sql(&s, &input);
            assert_eq!(sql, schema_sql(&s, &input), "rendering is deterministic");
            (s, sql)
        })
        .collect();
    let placement = a
        .asg
        .tables
        .iter()
        .map(|(q, d)| (q.to_string(), d.placement.clone()))
        .collect();
    Planned { silos, placement }
}

// ---------------------------------------------------------------------------------------------
// Catalog facts.

/// One fact: kind, key (unique per kind), the table it belongs to, the table it references
/// (foreign keys), its value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    what: &'static str,
    key: String,
    table: String,
    refs: Option<String>,
    value: String,
}

/// `c` joined with its namespace `n`, user relations only.
fn rel(kinds: &str) -> String {
    format!(
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ({kinds}) AND {USER_REL}"
    )
}

const QN: &str = "(n.nspname || '.' || c.relname)";

fn facts(client: &mut postgres::Client) -> Vec<Row> {
    let mut out = Vec::new();
    let mut q = |what: &'static str, sql: String| {
        for r in client
            .query(sql.as_str(), &[])
            .unwrap_or_else(|e| panic!("{what}: {e}\n{sql}"))
        {
            out.push(Row {
                what,
                table: r.get(0),
                key: r.get(1),
                refs: r.get(2),
                value: r.get(3),
            });
        }
    };
    q(
        "table",
        format!(
            "SELECT {QN}, {QN}, NULL::text, c.relkind::text || ' ' || c.relpersistence::text \
               || ' bound=' || COALESCE(pg_get_expr(c.relpartbound, c.oid), '') \
               || ' key=' || COALESCE(pg_get_partkeydef(c.oid), '') \
               || ' parents=' || COALESCE((SELECT string_agg(pn.nspname || '.' || p.relname, ',' \
                    ORDER BY i.inhseqno) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent \
                    JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid), '') \
             {}",
            rel("'r', 'p', 'f'")
        ),
    );
    q(
        "column",
        format!(
            "SELECT {QN}, {QN} || '.' || a.attname, NULL::text, \
               a.attnum::text || ' ' || format_type(a.atttypid, a.atttypmod) \
               || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END \
               || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '') \
               || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text \
               || ' collation=' || COALESCE((SELECT co.collname::text FROM pg_collation co \
                    WHERE co.oid = a.attcollation), '') \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') \
               AND {USER_REL}"
        ),
    );
    q(
        "constraint",
        format!(
            "SELECT {QN}, {QN} || '.' || con.conname, \
               (SELECT fn.nspname || '.' || fc.relname FROM pg_class fc \
                  JOIN pg_namespace fn ON fn.oid = fc.relnamespace WHERE fc.oid = con.confrelid), \
               con.contype::text || ' ' || pg_get_constraintdef(con.oid) \
               || CASE WHEN con.convalidated THEN '' ELSE ' (not validated)' END \
             FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'f') AND {USER_REL}"
        ),
    );
    q(
        "index",
        format!(
            "SELECT {QN}, n.nspname || '.' || ic.relname, NULL::text, \
               pg_get_indexdef(i.indexrelid) \
               || CASE WHEN i.indisreplident THEN ' (replica identity)' ELSE '' END \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class ic ON ic.oid = i.indexrelid \
             WHERE {USER_REL}"
        ),
    );
    q(
        "trigger",
        format!(
            "SELECT {QN}, {QN} || '.' || t.tgname, NULL::text, pg_get_triggerdef(t.oid) \
             FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE NOT t.tgisinternal AND {USER_REL}"
        ),
    );
    q(
        "sequence ownership",
        format!(
            "SELECT tn.nspname || '.' || t.relname, {QN}, NULL::text, \
               tn.nspname || '.' || t.relname || '.' || a.attname || ' ' || d.deptype::text \
             FROM pg_depend d JOIN pg_class c ON c.oid = d.objid AND c.relkind = 'S' \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid \
             WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass \
               AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i') AND {USER_REL}"
        ),
    );
    q(
        "view",
        format!(
            "SELECT {QN}, {QN}, NULL::text, c.relkind::text || ' ' || pg_get_viewdef(c.oid) {}",
            rel("'v', 'm'")
        ),
    );
    out
}

/// What each user view reads (relations, through its rewrite rule), by `schema.name`.
fn view_reads(client: &mut postgres::Client) -> BTreeMap<String, BTreeSet<String>> {
    let sql = format!(
        "SELECT {QN}, ARRAY(SELECT DISTINCT rn.nspname || '.' || r.relname FROM pg_rewrite rw \
            JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid \
                             AND d.refclassid = 'pg_class'::regclass \
            JOIN pg_class r ON r.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = r.relnamespace \
            WHERE rw.ev_class = c.oid AND d.refobjid <> c.oid) {}",
        rel("'v', 'm'")
    );
    client
        .query(sql.as_str(), &[])
        .expect("querying view reads")
        .iter()
        .map(|r| {
            let reads: Vec<String> = r.get(1);
            (r.get(0), reads.into_iter().collect())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The check.

/// Runs every silo's schema on a fresh cluster and compares it with the loaded original.
pub(crate) fn check_split(
    name: &str,
    original: &Loaded,
    config_path: &Path,
    known: &Known,
) -> Planned {
    assert!(
        original.unexpected.is_empty(),
        "{name}: the original does not load:\n{}",
        original.unexpected.join("\n")
    );
    let planned = plan(config_path);
    let excluded = |o: &str| known.exclude.iter().any(|x| x.object == o);

    let mut client = original.cluster.client(original.db);
    let all: Vec<Row> = facts(&mut client)
        .into_iter()
        .filter(|r| !excluded(&r.table) && !excluded(&r.key))
        .collect();
    let reads = view_reads(&mut client);
    let tables: BTreeSet<String> = all
        .iter()
        .filter(|r| r.what == "table")
        .map(|r| r.table.clone())
        .collect();
    let views: BTreeSet<&String> = reads.keys().collect();

    let cluster = Cluster::start();
    cluster.create_roles(&original.original);

    let mut report = Vec::new();
    let mut found_in: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (s, sql) in &planned.silos {
        let silo = &s.silo;
        // Tables of this database: the silo's and the shared ones.
        let here: BTreeSet<String> = planned
            .placement
            .iter()
            .filter(|(_, p)| matches!(p, Placement::Shared) || **p == Placement::Silo(silo.clone()))
            .map(|(t, _)| t.clone())
            .filter(|t| !excluded(t))
            .collect();
        assert!(!here.is_empty(), "{name}: silo {silo} has no tables");
        assert_eq!(
            s.tables.len() + s.shared.len(),
            here.len(),
            "{name}: {silo}: the header lists the tables"
        );

        // Views expected here: every relation they read is here (tables) or expected (views);
        // relations that are not the dump's own (extension members, system catalogs) are
        // present everywhere.
        let mut want_views: BTreeSet<&String> = BTreeSet::new();
        loop {
            let before = want_views.len();
            for (v, rs) in &reads {
                let ok = rs.iter().all(|r| {
                    if tables.contains(r) {
                        here.contains(r)
                    } else if views.contains(r) {
                        want_views.contains(r) || r == v
                    } else {
                        true
                    }
                });
                if ok {
                    want_views.insert(v);
                }
            }
            if want_views.len() == before {
                break;
            }
        }

        let placed = |t: &str| planned.placement.get(t);
        let expected: BTreeMap<(&str, &str), &Row> = all
            .iter()
            .filter(|r| match r.what {
                "view" => want_views.contains(&r.table),
                "constraint" if r.refs.is_some() => {
                    let p = r.refs.as_deref().unwrap_or_default();
                    here.contains(&r.table)
                        && (placed(p).is_none()
                            || (here.contains(p)
                                && (placed(p) == placed(&r.table)
                                    // A key to a shared table holds in every silo.
                                    || matches!(placed(p), Some(Placement::Shared)))))
                }
                // Indexes and triggers on (materialized) views go with their view.
                _ => here.contains(&r.table) || want_views.contains(&r.table),
            })
            .map(|r| ((r.what, r.key.as_str()), r))
            .collect();

        // Load the silo's file into an empty database.
        let db = format!("silo_{silo}");
        cluster.createdb(&db);
        let file = cluster.dir().join(format!("{silo}.sql"));
        std::fs::write(&file, apply_edits_where_found(sql, known)).expect("writing schema.sql");
        let out = cluster.psql_file(&db, &file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{name}: {silo}: psql failed:\n{stderr}"
        );
        for l in unexpected_errors(&stderr, known) {
            report.push(format!("{silo}: load error: {l}"));
        }

        let mut sc = cluster.client(&db);
        let got_rows: Vec<Row> = facts(&mut sc)
            .into_iter()
            .filter(|r| !excluded(&r.table) && !excluded(&r.key))
            .collect();
        let got: BTreeMap<(&str, &str), &Row> = got_rows
            .iter()
            .map(|r| ((r.what, r.key.as_str()), r))
            .collect();
        for r in got_rows.iter().filter(|r| r.what == "table") {
            found_in
                .entry(r.table.clone())
                .or_default()
                .push(silo.clone());
        }
        for (k, want) in &expected {
            match got.get(k) {
                None => report.push(format!("{silo}: {} {}: missing ({})", k.0, k.1, want.value)),
                Some(g) if g.value != want.value => report.push(format!(
                    "{silo}: {} {}: differs\n      original: {}\n      silo:     {}",
                    k.0, k.1, want.value, g.value
                )),
                Some(_) => {}
            }
        }
        for (k, g) in &got {
            if !expected.contains_key(k) {
                report.push(format!("{silo}: {} {}: extra ({})", k.0, k.1, g.value));
            }
        }
        let count = |w: &str| expected.keys().filter(|k| k.0 == w).count();
        let left_fks = s
            .items
            .iter()
            .filter(|i| matches!(i, Item::Comment { text, .. } if text.starts_with("left out: FK")))
            .count();
        eprintln!(
            "{name}: silo {silo}: {} tables ({} shared), {} columns, {} constraints, {} indexes, \
             {} triggers, {} owned sequences, {} views compared; {} statements, {} cross-silo FKs \
             left out; left out: {:?}",
            s.tables.len(),
            s.shared.len(),
            count("column"),
            count("constraint"),
            count("index"),
            count("trigger"),
            count("sequence ownership"),
            count("view"),
            s.items
                .iter()
                .filter(|i| matches!(i, Item::Statement { .. }))
                .count(),
            left_fks,
            s.left_out
        );
    }

    // The silos' tables together are all the assigned tables, each once; shared ones everywhere.
    let n = planned.silos.len();
    for t in &tables {
        let Some(p) = planned.placement.get(t) else {
            report.push(format!("table {t}: not in silo-plan's catalog"));
            continue;
        };
        let inn = found_in.get(t).cloned().unwrap_or_default();
        let ok = match p {
            Placement::Shared => inn.len() == n,
            Placement::Silo(s) => inn == [s.clone()],
            Placement::Unassigned => inn.is_empty(),
        };
        if !ok {
            report.push(format!("table {t} ({p:?}) is in silos {inn:?}"));
        }
    }
    let assigned = planned
        .placement
        .values()
        .filter(|p| !matches!(p, Placement::Unassigned))
        .count();
    assert!(assigned > 0, "{name}: no table assigned");

    if !report.is_empty() {
        let shown: Vec<&String> = report.iter().take(60).collect();
        panic!(
            "{name}: the silo schemas differ from the original ({} items):\n  {}",
            report.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
    planned
}

/// A corpus dump, split in two by the fixed rule.
fn corpus_case(name: &str) {
    let k = known(name);
    let loaded = corpus::load(name, &k);
    let excluded = |o: &str| k.exclude.iter().any(|x| x.object == o);
    let mut client = loaded.cluster.client(loaded.db);
    let (roots, left_out) = split_roots(&mut client, &excluded);
    let roots: Vec<Name> = roots.into_iter().collect();
    let dir = tempfile::tempdir().expect("temp dir");
    write_split_config(dir.path(), &loaded.path, &roots, !left_out.is_empty());
    check_split(name, &loaded, dir.path(), &k);
}

/// Loads any dump (no KNOWN edits) like `corpus::load` does.
fn load_file(path: &Path) -> Loaded {
    let src = SourceFile::load(path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let original = src.text.clone();
    let cat = dump::read(&[src], &ReadOptions::default());
    let cluster = Cluster::start();
    let db = "original";
    let out = cluster.load_dump(db, "original.sql", &original, &pg::prepare_dump(&original));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let unexpected = unexpected_errors(&stderr, &Known::default());
    Loaded {
        cluster,
        db,
        path: path.to_path_buf(),
        original,
        cat,
        stderr,
        unexpected,
    }
}

fn manifest(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

// ---------------------------------------------------------------------------------------------
// The example.

#[test]
fn plan_schema_saas_runs_and_matches_the_original() {
    let loaded = load_file(&manifest("examples/saas/schema.sql"));
    // The example's own config: control / region, two shared tables, an [[edges]] override
    // and an [[allow]]ed crossing.
    let planned = check_split(
        "examples/saas",
        &loaded,
        Path::new("examples/saas"),
        &Known::default(),
    );
    for (s, sql) in &planned.silos {
        assert!(
            sql.contains("-- left out: FK"),
            "{}: crossings are named",
            s.silo
        );
    }
}

#[test]
fn plan_schema_saas_by_the_fixed_rule() {
    let loaded = load_file(&manifest("examples/saas/schema.sql"));
    let mut client = loaded.cluster.client(loaded.db);
    let (roots, _) = split_roots(&mut client, &|_| false);
    let roots: Vec<Name> = roots.into_iter().collect();
    let dir = tempfile::tempdir().expect("temp dir");
    write_split_config(dir.path(), &loaded.path, &roots, false);
    check_split(
        "examples/saas (fixed rule)",
        &loaded,
        dir.path(),
        &Known::default(),
    );
}

#[test]
fn plan_schema_saas_is_deterministic() {
    // Relative paths, as `silo-plan plan examples/saas` run from the repository gives them.
    let planned = plan(Path::new("examples/saas"));
    let again = plan(Path::new("examples/saas"));
    assert_eq!(
        planned.silos.iter().map(|x| &x.1).collect::<Vec<_>>(),
        again.silos.iter().map(|x| &x.1).collect::<Vec<_>>(),
        "two runs give byte-identical files"
    );
    // The text is snapshotted once, with every other file of the plan, in plan_files.rs.
    for (s, sql) in &planned.silos {
        assert!(!s.items.is_empty() && !sql.is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// Inline foreign keys cut out of CREATE TABLE, quoted names, a view and a policy across silos.

const INLINE: &str = r#"
SET client_min_messages = warning;
CREATE SCHEMA "Sales";
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW."Updated At" = now(); RETURN NEW; END $$;
CREATE TABLE public."Account" (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    "Name" text NOT NULL UNIQUE,
    "Updated At" timestamptz
);
CREATE TABLE "Sales"."Order" (
    id bigserial PRIMARY KEY,
    "Account Id" bigint NOT NULL CONSTRAINT "order→account" REFERENCES public."Account"(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    parent_id bigint REFERENCES "Sales"."Order" ON DELETE SET NULL,
    note text DEFAULT 'a, b -- not a comment' CHECK (note <> ''),
    "Updated At" timestamptz
);
CREATE TABLE "Sales"."Line" (
    "Order Id" bigint NOT NULL,
    "Account Id" bigint,
    qty int NOT NULL CHECK (qty > 0),
    CONSTRAINT line_order FOREIGN KEY ("Order Id") REFERENCES "Sales"."Order"(id) ON DELETE CASCADE,
    CONSTRAINT "line account" FOREIGN KEY ("Account Id") REFERENCES public."Account" (id) MATCH FULL ON UPDATE CASCADE,
    PRIMARY KEY ("Order Id", qty)
);
CREATE TABLE public.schema_migrations (version text PRIMARY KEY);
INSERT INTO public.schema_migrations (version) VALUES ('1'), ('2');
CREATE INDEX "line by account" ON "Sales"."Line" ("Account Id");
CREATE TRIGGER "touch order" BEFORE UPDATE ON "Sales"."Order" FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE TRIGGER touch_account BEFORE UPDATE ON public."Account" FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE VIEW "Sales".order_accounts AS SELECT o.id, a."Name" FROM "Sales"."Order" o JOIN public."Account" a ON a.id = o."Account Id";
CREATE VIEW "Sales".big_lines AS SELECT * FROM "Sales"."Line" WHERE qty > 10;
ALTER TABLE "Sales"."Order" ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON "Sales"."Order" USING (EXISTS (SELECT 1 FROM public."Account" a WHERE a.id = "Account Id"));
CREATE POLICY positive ON "Sales"."Line" USING (qty > 0);
"#;

const INLINE_CONFIG: &str = r#"
version = 1
schema = ["dump.sql"]

[silos.accounts]
tables = ["Account"]

[silos.sales]
tables = ["Sales.*"]

[shared]
tables = ["schema_migrations"]
"#;

#[test]
fn plan_schema_cuts_inline_foreign_keys_and_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("dump.sql"), INLINE).unwrap();
    std::fs::write(dir.path().join("silo-plan.toml"), INLINE_CONFIG).unwrap();
    let loaded = load_file(&dir.path().join("dump.sql"));
    let planned = check_split("inline", &loaded, dir.path(), &Known::default());
    let sales = &planned
        .silos
        .iter()
        .find(|(s, _)| s.silo == "sales")
        .expect("silo sales")
        .1;
    for want in [
        "-- cut from this CREATE TABLE: FK \"order→account\" \"Sales\".\"Order\"(\"Account Id\") → public.\"Account\"(id) crosses to silo accounts",
        "-- left out: view \"Sales\".order_accounts reads public.\"Account\" (silo accounts)",
        "-- left out: policy `CREATE POLICY own_orders ...` reads public.\"Account\" (silo accounts)",
        "INSERT INTO public.schema_migrations",
        "CREATE POLICY positive",
        "CREATE VIEW \"Sales\".big_lines",
        "CONSTRAINT line_order FOREIGN KEY",
        "parent_id bigint REFERENCES \"Sales\".\"Order\" ON DELETE SET NULL",
    ] {
        assert!(sales.contains(want), "sales schema.sql lacks {want:?}:\n{sales}");
    }
    assert!(!sales.contains("REFERENCES public.\"Account\""), "{sales}");
}

// ---------------------------------------------------------------------------------------------
// The real dumps (every one that loads on PostgreSQL 15; see corpus.rs).

#[test]
fn plan_schema_corpus_list_is_complete() {
    assert_eq!(
        corpus::POSTGRES_DUMPS.len(),
        12,
        "add a test below for each new dump"
    );
}

#[test]
fn plan_schema_pagila() {
    corpus_case("pagila.sql");
}

#[test]
fn plan_schema_sentry_onpremise() {
    corpus_case("sentry-onpremise.sql");
}

#[test]
fn plan_schema_openstreetmap_website() {
    corpus_case("openstreetmap-website.sql");
}

#[test]
fn plan_schema_danbooru() {
    corpus_case("danbooru.sql");
}

#[test]
fn plan_schema_lago_api() {
    corpus_case("lago-api.sql");
}

#[test]
fn plan_schema_gisia_gitlab_like() {
    corpus_case("gisia-gitlab-like.sql");
}

#[test]
fn plan_schema_synapse_full72() {
    corpus_case("synapse-full72.sql");
}

#[test]
fn plan_schema_sanbase2() {
    corpus_case("sanbase2.sql");
}

#[test]
fn plan_schema_philomena() {
    corpus_case("philomena.sql");
}

#[test]
fn plan_schema_supabase_postgres_15() {
    corpus_case("supabase-postgres-15.sql");
}

#[test]
fn plan_schema_supabase_cli_starter() {
    corpus_case("supabase-cli-starter.sql");
}

#[test]
fn plan_schema_sakila_pg_imor() {
    corpus_case("sakila-pg-imor.sql");
}
