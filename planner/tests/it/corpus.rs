//! The real dump corpus (`../shared/schemas/real`, see its SOURCES.md and LOADING.md), checked
//! against PostgreSQL itself.
//!
//! For each PostgreSQL dump: read it with silo-plan, load the same dump into a fresh Postgres
//! cluster (roles it names created first, psql backslash lines stripped), and compare what
//! Postgres's catalog holds with what silo-plan extracted: foreign keys (`pg_constraint`),
//! tables with kind, partition parent and primary key, sequence ownership (`pg_depend`), and
//! what each view reads (`pg_rewrite` + `pg_depend`). Every mismatch is listed by object name.
//!
//! What cannot load on Debian's PostgreSQL 15 is handled per file by a [`Known`] list, each entry
//! with its reason: edits to the loaded copy (stand-ins; silo-plan always reads the unmodified
//! dump), psql errors that are expected, and named objects left out of the comparison.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Debug, Display};
use std::path::PathBuf;

use silo_plan::catalog::{Catalog, TableKind};
use silo_plan::dump::{self, Dialect, ReadOptions};
use silo_plan::source::SourceFile;

use crate::pg::{self, Cluster};

// ---------------------------------------------------------------------------------------------
// What each file needs.

/// An edit to the copy of the dump that is loaded into Postgres. Statements added by an edit
/// stay on the line they are added to, so psql's line numbers still match the dump's.
#[derive(Clone, Copy)]
pub(crate) struct Edit {
    /// Text to find (`""`: the start of the file). Every occurrence is replaced; the test fails
    /// if there is none, so a stale edit is noticed.
    find: &'static str,
    /// Replacement (for `""`, the text put in front of the first line).
    with: &'static str,
    /// Why.
    reason: &'static str,
}

/// An error psql is expected to report while loading (matched as a substring of the message).
#[derive(Clone, Copy)]
pub(crate) struct LoadError {
    message: &'static str,
    reason: &'static str,
}

/// An object left out of the comparison on both sides: a table (with its FKs, its sequences'
/// ownership and view reads of it), a view, or a foreign key (`table.constraint`).
pub(crate) struct Exclude {
    pub(crate) object: &'static str,
    reason: &'static str,
}

#[derive(Default)]
pub(crate) struct Known {
    edits: &'static [Edit],
    load_errors: &'static [LoadError],
    pub(crate) exclude: &'static [Exclude],
}

const TRANSACTION_TIMEOUT: LoadError = LoadError {
    message: "unrecognized configuration parameter \"transaction_timeout\"",
    reason: "`SET transaction_timeout` is a PostgreSQL 17 setting; the dump was made by pg_dump 17+. Harmless.",
};

const NO_PGVECTOR: &str =
    "pgvector is not packaged by Debian for PostgreSQL 15; the stand-in domain `public.vector` holds its columns";

const VECTOR_ERRORS: [LoadError; 3] = [
    LoadError {
        message: "extension \"vector\" is not available",
        reason: NO_PGVECTOR,
    },
    LoadError {
        message: "extension \"vector\" does not exist",
        reason: "`COMMENT ON EXTENSION vector` (the extension could not be created)",
    },
    LoadError {
        message: "access method \"hnsw\" does not exist",
        reason: "hnsw indexes come with pgvector; indexes are not compared here",
    },
];

const SUPABASE_EXTENSIONS: [LoadError; 8] = [
    LoadError {
        message: "extension \"pgsodium\" is not available",
        reason: "Supabase-only extension, not packaged by Debian",
    },
    LoadError {
        message: "extension \"pgsodium\" does not exist",
        reason: "`COMMENT ON EXTENSION pgsodium` (not created)",
    },
    LoadError {
        message: "extension \"pg_graphql\" is not available",
        reason: "Supabase-only extension, not packaged by Debian",
    },
    LoadError {
        message: "extension \"pg_graphql\" does not exist",
        reason: "`COMMENT ON EXTENSION pg_graphql` (not created)",
    },
    LoadError {
        message: "extension \"pgjwt\" is not available",
        reason: "Supabase-only extension, not packaged by Debian",
    },
    LoadError {
        message: "extension \"pgjwt\" does not exist",
        reason: "`COMMENT ON EXTENSION pgjwt` (not created)",
    },
    LoadError {
        message: "extension \"supabase_vault\" is not available",
        reason: "Supabase-only extension, not packaged by Debian",
    },
    LoadError {
        message: "extension \"supabase_vault\" does not exist",
        reason: "`COMMENT ON EXTENSION supabase_vault` (not created)",
    },
];

const fn vector_stand_in(find: &'static str) -> Edit {
    Edit {
        find,
        with: "public.vector",
        reason: "pgvector's typmod `vector(N)` cannot be kept on the stand-in domain `public.vector` (real[])",
    }
}

const VECTOR_DOMAIN: Edit = Edit {
    find: "",
    with: "CREATE DOMAIN public.vector AS real[];",
    reason: NO_PGVECTOR,
};

// ---------------------------------------------------------------------------------------------
// One test per dump.

#[test]
fn corpus_pagila() {
    check_dump("pagila.sql", &known("pagila.sql"));
}

#[test]
fn corpus_sentry_onpremise() {
    check_dump("sentry-onpremise.sql", &known("sentry-onpremise.sql"));
}

#[test]
fn corpus_openstreetmap_website() {
    check_dump(
        "openstreetmap-website.sql",
        &known("openstreetmap-website.sql"),
    );
}

#[test]
fn corpus_danbooru() {
    check_dump("danbooru.sql", &known("danbooru.sql"));
}

#[test]
fn corpus_lago_api() {
    check_dump("lago-api.sql", &known("lago-api.sql"));
}

#[test]
fn corpus_gisia_gitlab_like() {
    check_dump("gisia-gitlab-like.sql", &known("gisia-gitlab-like.sql"));
}

#[test]
fn corpus_synapse_full72() {
    check_dump("synapse-full72.sql", &known("synapse-full72.sql"));
}

#[test]
fn corpus_sanbase2() {
    check_dump("sanbase2.sql", &known("sanbase2.sql"));
}

#[test]
fn corpus_philomena() {
    check_dump("philomena.sql", &known("philomena.sql"));
}

#[test]
fn corpus_supabase_postgres_15() {
    check_dump(
        "supabase-postgres-15.sql",
        &known("supabase-postgres-15.sql"),
    );
}

#[test]
fn corpus_supabase_cli_starter() {
    check_dump(
        "supabase-cli-starter.sql",
        &known("supabase-cli-starter.sql"),
    );
}

#[test]
fn corpus_sakila_pg_imor() {
    check_dump("sakila-pg-imor.sql", &known("sakila-pg-imor.sql"));
}

/// The PostgreSQL dumps of the corpus, each loaded by [`load`] with its [`known`] edits.
pub(crate) const POSTGRES_DUMPS: [&str; 12] = [
    "pagila.sql",
    "sentry-onpremise.sql",
    "openstreetmap-website.sql",
    "danbooru.sql",
    "lago-api.sql",
    "gisia-gitlab-like.sql",
    "synapse-full72.sql",
    "sanbase2.sql",
    "philomena.sql",
    "supabase-postgres-15.sql",
    "supabase-cli-starter.sql",
    "sakila-pg-imor.sql",
];

/// What loading `name` on PostgreSQL 15 needs (edits, expected load errors, exclusions).
pub(crate) fn known(name: &str) -> Known {
    match name {
        "pagila.sql" => {
            static EDITS: [Edit; 4] = [
                VECTOR_DOMAIN,
                Edit {
                    find: "",
                    with: "CREATE FUNCTION pg_catalog.uuidv7() RETURNS uuid LANGUAGE sql AS 'SELECT gen_random_uuid()';",
                    reason: "`uuidv7()` is a PostgreSQL 18 built-in (pg_catalog), used in column defaults of \
                             dozens of tables; stand-in returning gen_random_uuid()",
                },
                vector_stand_in("public.vector(20)"),
                Edit {
                    find: "(round(length / 60.0, 2)) VIRTUAL",
                    with: "(round(length / 60.0, 2)) STORED",
                    reason: "`GENERATED ... VIRTUAL` (film.length_hours) is PostgreSQL 18; STORED is the PG15 form",
                },
            ];
            Known {
                edits: &EDITS,
                load_errors: &VECTOR_ERRORS,
                exclude: &[],
            }
        }
        "sentry-onpremise.sql" => Known::default(),
        "openstreetmap-website.sql" => {
            // Needs postgresql-15-postgis-3 (postgis); its spatial_ref_sys table and views are
            // extension members, which the comparison leaves out.
            Known::default()
        }
        "danbooru.sql" => Known::default(),
        "lago-api.sql" => {
            // Needs postgresql-15-partman (schema `partman`); partman's own tables are extension members.
            Known::default()
        }
        "gisia-gitlab-like.sql" => Known::default(),
        "synapse-full72.sql" => Known::default(),
        "sanbase2.sql" => {
            static EDITS: [Edit; 2] = [VECTOR_DOMAIN, vector_stand_in("public.vector(1536)")];
            static ERRORS: [LoadError; 4] = [
                TRANSACTION_TIMEOUT,
                VECTOR_ERRORS[0],
                VECTOR_ERRORS[1],
                VECTOR_ERRORS[2],
            ];
            Known {
                edits: &EDITS,
                load_errors: &ERRORS,
                exclude: &[],
            }
        }
        "philomena.sql" => Known {
            load_errors: &[TRANSACTION_TIMEOUT],
            ..Known::default()
        },
        "supabase-postgres-15.sql" => {
            static EDITS: [Edit; 2] = [
                Edit {
                    find: "CREATE SCHEMA vault;",
                    with: "CREATE SCHEMA vault; CREATE TABLE vault.secrets (id uuid PRIMARY KEY, name text, \
                           description text, secret text, key_id uuid, nonce bytea, \
                           created_at timestamptz, updated_at timestamptz);",
                    reason: "stand-in for the table the supabase_vault extension creates, which the view \
                             vault.decrypted_secrets reads",
                },
                Edit {
                    find: "CREATE SCHEMA pgsodium;",
                    with: "CREATE SCHEMA pgsodium; CREATE FUNCTION pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid, bytea) \
                           RETURNS bytea LANGUAGE sql AS 'SELECT $1';",
                    reason: "stand-in for the pgsodium function the view vault.decrypted_secrets calls",
                },
            ];
            Known {
                    edits: &EDITS,
                    load_errors: &SUPABASE_EXTENSIONS,
                    exclude: &[Exclude {
                        object: "vault.secrets",
                        reason:
                            "the stand-in table added above; in Supabase it belongs to the supabase_vault \
                                 extension, and the dump does not define it",
                    }],
                }
        }
        "supabase-cli-starter.sql" => {
            static EDITS: [Edit; 1] = [Edit {
                find: "",
                with: "CREATE SCHEMA extensions; CREATE PUBLICATION supabase_realtime;",
                reason:
                    "the dump assumes Supabase's `extensions` schema and `supabase_realtime` publication, \
                         which it never creates",
            }];
            static ERRORS: [LoadError; 4] = [
                SUPABASE_EXTENSIONS[0],
                SUPABASE_EXTENSIONS[2],
                SUPABASE_EXTENSIONS[4],
                SUPABASE_EXTENSIONS[6],
            ];
            Known {
                edits: &EDITS,
                load_errors: &ERRORS,
                exclude: &[],
            }
        }
        "sakila-pg-imor.sql" => Known::default(),
        other => panic!("{other}: not a PostgreSQL dump of the corpus"),
    }
}

/// The MySQL dumps are not loaded anywhere (no MySQL server here), and the reader does not read
/// MySQL yet: it splits a dump into statements and reports each one as unread ("MySQL dumps are
/// split but not yet read"), so nothing is dropped in silence. The split must cut each
/// `CREATE TABLE` whole: as many as the dump has, holding all its primary and foreign keys.
/// The numbers were counted in the dumps with grep, each object being one line of mysqldump's
/// output: `grep -c '^CREATE TABLE'`, `grep -cE '^\s+PRIMARY KEY'` and `grep -c 'FOREIGN KEY'`
/// (every one a `CONSTRAINT ... FOREIGN KEY` line inside a `CREATE TABLE`; the dumps have no
/// `ALTER TABLE`).
#[test]
fn corpus_mysql_dumps_read() {
    // (dump, tables, primary keys, foreign keys)
    for (name, tables, pks, fks) in [
        ("arxiv-mysql.sql", 150, 126, 136),
        ("targoman-account-mysql.sql", 21, 19, 40),
        ("sakila-mysql.sql", 16, 16, 22),
    ] {
        let src = SourceFile::load(&corpus_path(name))
            .unwrap_or_else(|e| panic!("loading {name}: {e:?}"));
        let text = src.text.clone();
        let cat = dump::read(
            &[src],
            &ReadOptions {
                dialect: Dialect::MySql,
            },
        );
        assert!(
            cat.tables.is_empty(),
            "{name}: MySQL is read now: assert what it reads"
        );
        assert_eq!(
            cat.unparsed.len() as u64,
            cat.stats.statements as u64,
            "{name}: every statement is reported unread"
        );
        let creates: Vec<&str> = cat
            .unparsed
            .iter()
            .map(|u| &text[u.span.start as usize..u.span.end as usize])
            .filter(|s| s.starts_with("CREATE TABLE"))
            .collect();
        let got = (
            creates.len(),
            creates
                .iter()
                .flat_map(|s| s.lines())
                .filter(|l| l.trim_start().starts_with("PRIMARY KEY"))
                .count(),
            creates
                .iter()
                .map(|s| s.matches("FOREIGN KEY").count())
                .sum::<usize>(),
        );
        assert_eq!(
            got,
            (tables, pks, fks),
            "{name}: (CREATE TABLE statements, primary keys, foreign keys in them)"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The check.

fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/real");
    assert!(
        dir.is_dir(),
        "the real dump corpus is missing: expected {} (the shared checkout next to this repo, \
         see DESIGN.md: `../shared/schemas/real/`)",
        dir.display()
    );
    dir
}

fn corpus_path(name: &str) -> PathBuf {
    corpus_dir().join(name)
}

/// A corpus dump loaded into a fresh cluster.
pub(crate) struct Loaded {
    /// The running cluster (stopped on drop).
    pub(crate) cluster: Cluster,
    /// The database the dump was loaded into.
    pub(crate) db: &'static str,
    /// The dump's path (unmodified: silo-plan reads this).
    pub(crate) path: PathBuf,
    /// The dump's text.
    pub(crate) original: String,
    /// What silo-plan read from it.
    pub(crate) cat: Catalog,
    /// psql's stderr while loading.
    pub(crate) stderr: String,
    /// `ERROR:` lines of `stderr` that the [`Known`] list does not expect.
    pub(crate) unexpected: Vec<String>,
}

/// Reads corpus dump `name` with silo-plan and loads its prepared copy (roles created first,
/// psql lines stripped, `known.edits` applied) into a new cluster's database `corpus`.
pub(crate) fn load(name: &str, known: &Known) -> Loaded {
    for e in known.edits {
        eprintln!(
            "{name}: KNOWN edit `{}` -> `{}`: {}",
            e.find, e.with, e.reason
        );
    }
    for e in known.load_errors {
        eprintln!("{name}: KNOWN load error `{}`: {}", e.message, e.reason);
    }
    for e in known.exclude {
        eprintln!("{name}: KNOWN exclusion {}: {}", e.object, e.reason);
    }
    let path = corpus_path(name);
    let src = SourceFile::load(&path).unwrap_or_else(|e| panic!("loading {name}: {e:?}"));
    let original = src.text.clone();
    let cat = dump::read(&[src], &ReadOptions::default());

    // The copy Postgres loads.
    let mut text = pg::prepare_dump(&original);
    for e in known.edits {
        if e.find.is_empty() {
            text.insert_str(0, &format!("{} ", e.with));
        } else {
            assert!(
                text.contains(e.find),
                "{name}: the edit `{}` -> `{}` ({}) finds nothing: remove it from the test",
                e.find,
                e.with,
                e.reason
            );
            text = text.replace(e.find, e.with);
        }
    }

    let cluster = Cluster::start();
    eprintln!(
        "{name}: roles created first: {:?}",
        pg::dump_roles(&original)
    );
    let db = "corpus";
    let out = cluster.load_dump(db, name, &original, &text);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{name}: psql failed ({}):\n{stderr}",
        out.status
    );
    let unexpected: Vec<String> = stderr
        .lines()
        .filter(|l| l.contains("ERROR:"))
        .filter(|l| !known.load_errors.iter().any(|k| l.contains(k.message)))
        .map(str::to_string)
        .collect();
    Loaded {
        cluster,
        db,
        path,
        original,
        cat,
        stderr,
        unexpected,
    }
}

fn check_dump(name: &str, known: &Known) {
    let Loaded {
        cluster,
        db,
        path,
        original,
        cat,
        stderr,
        unexpected,
    } = load(name, known);

    let mut report = Vec::new();
    for l in &unexpected {
        report.push(format!("load error not in the KNOWN list: {l}"));
    }

    let mut client = cluster.client(db);
    let pg = PgFacts::query(&mut client);
    let silo = SiloFacts::from(&cat);

    // Never vacuous: what the dump says, Postgres must have.
    assert!(
        !pg.tables.is_empty(),
        "{name}: Postgres has no tables after loading the dump"
    );
    if mentions(&original, &["FOREIGN KEY", " REFERENCES "]) {
        assert!(
            !pg.fks.is_empty(),
            "{name}: the dump declares foreign keys but Postgres has none:\n{stderr}"
        );
    }
    if mentions(
        &original,
        &[
            "\nCREATE VIEW",
            "\nCREATE MATERIALIZED VIEW",
            "\nCREATE OR REPLACE VIEW",
        ],
    ) {
        assert!(
            !pg.views.is_empty(),
            "{name}: the dump creates views but Postgres has none"
        );
    }
    if mentions(&original, &["OWNED BY", "AS IDENTITY"]) {
        assert!(
            !pg.sequences.is_empty(),
            "{name}: the dump has owned sequences but Postgres has none"
        );
    }

    let excluded = |obj: &str| known.exclude.iter().any(|x| x.object == obj);
    let (pg, silo) = (pg.without(&excluded), silo.without(&excluded));
    compare("foreign key", &pg.fks, &silo.fks, &mut report);
    compare("table", &pg.tables, &silo.tables, &mut report);
    compare("sequence", &pg.sequences, &silo.sequences, &mut report);
    compare("view", &pg.views, &silo.views, &mut report);
    check_crossings(name, &path, &cat, &mut client, &excluded, &mut report);

    eprintln!(
        "{name}: compared {} foreign keys, {} tables, {} owned sequences, {} views; \
         {} mismatches; {} known load errors; edits: {}; excluded: {}",
        pg.fks.len(),
        pg.tables.len(),
        pg.sequences.len(),
        pg.views.len(),
        report.len(),
        stderr.lines().filter(|l| l.contains("ERROR:")).count() - unexpected.len(),
        known.edits.len(),
        known.exclude.len(),
    );
    if !report.is_empty() {
        panic!(
            "{name}: silo-plan and PostgreSQL disagree ({} items):\n  {}",
            report.len(),
            report.join("\n  ")
        );
    }
}

fn mentions(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

/// Compares two keyed sets: each key present on one side only, each key whose value differs,
/// and each key listed twice on one side is a mismatch naming the object.
fn compare<K: Ord + Display, V: PartialEq + Debug>(
    what: &str,
    pg: &[(K, V)],
    silo: &[(K, V)],
    report: &mut Vec<String>,
) {
    fn index<'a, K: Ord + Display, V: Debug>(
        what: &str,
        side: &str,
        items: &'a [(K, V)],
        report: &mut Vec<String>,
    ) -> BTreeMap<&'a K, &'a V> {
        let mut all: BTreeMap<&K, Vec<&V>> = BTreeMap::new();
        for (k, v) in items {
            all.entry(k).or_default().push(v);
        }
        all.into_iter()
            .map(|(k, vs)| {
                if vs.len() > 1 {
                    report.push(format!(
                        "{what} {k}: listed {} times by {side} (expected once): {vs:?}",
                        vs.len()
                    ));
                }
                (k, *vs.last().unwrap())
            })
            .collect()
    }
    let p = index(what, "PostgreSQL", pg, report);
    let s = index(what, "silo-plan", silo, report);
    for (k, v) in &p {
        match s.get(k) {
            None => report.push(format!(
                "{what} {k}: missing from silo-plan (PostgreSQL: {v:?})"
            )),
            Some(sv) if sv != v => report.push(format!(
                "{what} {k}: differs\n      PostgreSQL: {v:?}\n      silo-plan:  {sv:?}"
            )),
            Some(_) => {}
        }
    }
    for (k, v) in &s {
        if !p.contains_key(k) {
            report.push(format!(
                "{what} {k}: extra in silo-plan, not in PostgreSQL ({v:?})"
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The facts compared, from both sides, in one shape.

/// `schema.name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Name(pub(crate) String, pub(crate) String);

impl Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

impl From<&silo_plan::catalog::QName> for Name {
    fn from(q: &silo_plan::catalog::QName) -> Self {
        Name(q.schema.clone(), q.name.clone())
    }
}

/// A foreign key's key: `schema.table.constraint`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct FkKey(Name, String);

impl Display for FkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Fk {
    columns: Vec<String>,
    references: String,
    referenced_columns: Vec<String>,
    on_delete: &'static str,
    on_update: &'static str,
    deferrable: bool,
    initially_deferred: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TableFacts {
    kind: &'static str,
    partition_of: Option<String>,
    primary_key: Option<Vec<String>>,
}

/// An owned sequence: the owning `schema.table.column`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OwnedBy(String);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ViewFacts {
    materialized: bool,
    reads: BTreeSet<String>,
}

#[derive(Default)]
struct Facts {
    fks: Vec<(FkKey, Fk)>,
    tables: Vec<(Name, TableFacts)>,
    sequences: Vec<(Name, OwnedBy)>,
    views: Vec<(Name, ViewFacts)>,
}

type PgFacts = Facts;
type SiloFacts = Facts;

impl Facts {
    /// Leaves out excluded objects: tables and views by name (with the FKs on or to them, the
    /// sequences they own and view reads of them), FKs by `schema.table.constraint`.
    fn without(self, excluded: &dyn Fn(&str) -> bool) -> Facts {
        let ex = |n: &str| excluded(n);
        let table_of = |s: &str| {
            s.rsplit_once('.')
                .map(|(t, _)| t.to_string())
                .unwrap_or_default()
        };
        Facts {
            fks: self
                .fks
                .into_iter()
                .filter(|(k, v)| !ex(&k.to_string()) && !ex(&k.0.to_string()) && !ex(&v.references))
                .collect(),
            tables: self
                .tables
                .into_iter()
                .filter(|(k, _)| !ex(&k.to_string()))
                .collect(),
            sequences: self
                .sequences
                .into_iter()
                .filter(|(k, v)| !ex(&k.to_string()) && !ex(&table_of(&v.0)))
                .collect(),
            views: self
                .views
                .into_iter()
                .filter(|(k, _)| !ex(&k.to_string()))
                .map(|(k, mut v)| {
                    v.reads.retain(|r| !ex(r));
                    (k, v)
                })
                .collect(),
        }
    }
}

fn pg_action(c: &str) -> &'static str {
    match c {
        "a" => "no-action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set-null",
        "d" => "set-default",
        other => panic!("unknown pg_constraint action {other:?}"),
    }
}

impl From<&Catalog> for Facts {
    fn from(cat: &Catalog) -> Facts {
        let fks = cat
            .foreign_keys
            .iter()
            .map(|f| {
                // The serde name and the match above must agree (kebab-case).
                debug_assert_eq!(
                    serde_json::to_value(f.on_delete).unwrap(),
                    serde_json::Value::from(f.on_delete.as_str())
                );
                (
                    FkKey(Name::from(&f.table), f.name.clone()),
                    Fk {
                        columns: f.columns.clone(),
                        references: f.references.to_string(),
                        referenced_columns: f.referenced_columns.clone(),
                        on_delete: f.on_delete.as_str(),
                        on_update: f.on_update.as_str(),
                        deferrable: f.deferrable,
                        initially_deferred: f.initially_deferred,
                    },
                )
            })
            .collect();
        let tables = cat
            .tables
            .iter()
            .map(|t| {
                (
                    Name(t.schema.clone(), t.name.clone()),
                    TableFacts {
                        kind: match t.kind {
                            TableKind::Ordinary => "ordinary",
                            TableKind::Partitioned => "partitioned",
                            TableKind::Foreign => "foreign",
                        },
                        partition_of: t.partition_of.as_ref().map(|p| p.to_string()),
                        primary_key: t.primary_key.as_ref().map(|k| k.columns.clone()),
                    },
                )
            })
            .collect();
        let sequences = cat
            .sequences
            .iter()
            .filter_map(|s| {
                let o = s.owned_by.as_ref()?;
                Some((
                    Name::from(&s.name),
                    OwnedBy(format!("{}.{}", o.table, o.column)),
                ))
            })
            .collect();
        let views = cat
            .views
            .iter()
            .map(|v| {
                (
                    Name::from(&v.name),
                    ViewFacts {
                        materialized: v.materialized,
                        // Postgres records no dependency on pinned system catalogs, so reads
                        // of pg_catalog relations are not compared.
                        reads: v
                            .reads
                            .iter()
                            .filter(|r| r.schema != "pg_catalog")
                            .map(|r| r.to_string())
                            .collect(),
                    },
                )
            })
            .collect();
        Facts {
            fks,
            tables,
            sequences,
            views,
        }
    }
}

/// Relations that belong to the dump: not in a system schema, not a member of an extension.
pub(crate) const USER_REL: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
     AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass \
                     AND e.objid = c.oid AND e.deptype = 'e')";

/// Column names of `attnums` of relation `rel`, in the array's order (SQL fragment).
fn cols_sql(rel: &str, attnums: &str) -> String {
    format!(
        "ARRAY(SELECT a.attname::text FROM unnest({attnums}) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum ORDER BY k.ord)"
    )
}

impl PgFacts {
    fn query(client: &mut postgres::Client) -> PgFacts {
        let fk_sql = format!(
            "SELECT n.nspname::text, c.relname::text, con.conname::text, {}, \
                    fn.nspname::text, fc.relname::text, {}, \
                    con.confdeltype::text, con.confupdtype::text, con.condeferrable, con.condeferred \
             FROM pg_constraint con \
             JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_class fc ON fc.oid = con.confrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
             WHERE con.contype = 'f' AND con.conparentid = 0 AND {USER_REL}",
            cols_sql("con.conrelid", "con.conkey"),
            cols_sql("con.confrelid", "con.confkey"),
        );
        let fks = client
            .query(fk_sql.as_str(), &[])
            .expect("querying foreign keys")
            .iter()
            .map(|r| {
                let fschema: String = r.get(4);
                let ftable: String = r.get(5);
                (
                    FkKey(Name(r.get(0), r.get(1)), r.get(2)),
                    Fk {
                        columns: r.get(3),
                        references: format!("{fschema}.{ftable}"),
                        referenced_columns: r.get(6),
                        on_delete: pg_action(r.get(7)),
                        on_update: pg_action(r.get(8)),
                        deferrable: r.get(9),
                        initially_deferred: r.get(10),
                    },
                )
            })
            .collect();

        let table_sql = format!(
            "SELECT n.nspname::text, c.relname::text, c.relkind::text, \
                    (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i \
                       JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace \
                      WHERE i.inhrelid = c.oid AND c.relispartition), \
                    (SELECT {} FROM pg_constraint pk WHERE pk.conrelid = c.oid AND pk.contype = 'p') \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'f') AND {USER_REL}",
            cols_sql("pk.conrelid", "pk.conkey"),
        );
        let tables = client
            .query(table_sql.as_str(), &[])
            .expect("querying tables")
            .iter()
            .map(|r| {
                let kind: String = r.get(2);
                (
                    Name(r.get(0), r.get(1)),
                    TableFacts {
                        kind: match kind.as_str() {
                            "r" => "ordinary",
                            "p" => "partitioned",
                            "f" => "foreign",
                            k => panic!("relkind {k}"),
                        },
                        partition_of: r.get(3),
                        primary_key: r.get(4),
                    },
                )
            })
            .collect();

        let seq_sql = format!(
            "SELECT n.nspname::text, c.relname::text, tn.nspname::text, t.relname::text, a.attname::text \
             FROM pg_depend d \
             JOIN pg_class c ON c.oid = d.objid AND c.relkind = 'S' \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_class t ON t.oid = d.refobjid \
             JOIN pg_namespace tn ON tn.oid = t.relnamespace \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid \
             WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass \
               AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i') AND {USER_REL}"
        );
        let sequences = client
            .query(seq_sql.as_str(), &[])
            .expect("querying sequence ownership")
            .iter()
            .map(|r| {
                let (ts, t, col): (String, String, String) = (r.get(2), r.get(3), r.get(4));
                (Name(r.get(0), r.get(1)), OwnedBy(format!("{ts}.{t}.{col}")))
            })
            .collect();

        let view_sql = format!(
            "SELECT n.nspname::text, c.relname::text, c.relkind = 'm', \
                    ARRAY(SELECT DISTINCT rn.nspname || '.' || r.relname \
                            FROM pg_rewrite rw \
                            JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid \
                                            AND d.refclassid = 'pg_class'::regclass \
                            JOIN pg_class r ON r.oid = d.refobjid \
                            JOIN pg_namespace rn ON rn.oid = r.relnamespace \
                           WHERE rw.ev_class = c.oid AND d.refobjid <> c.oid \
                             AND r.relkind IN ('r', 'p', 'f', 'v', 'm')) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('v', 'm') AND {USER_REL}"
        );
        let views = client
            .query(view_sql.as_str(), &[])
            .expect("querying views")
            .iter()
            .map(|r| {
                let reads: Vec<String> = r.get(3);
                (
                    Name(r.get(0), r.get(1)),
                    ViewFacts {
                        materialized: r.get(2),
                        reads: reads.into_iter().collect(),
                    },
                )
            })
            .collect();

        Facts {
            fks,
            tables,
            sequences,
            views,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `check` on the loaded dump: the crossings silo-plan reports equal those Postgres implies.
//
// The rule that splits the tables is written twice, independently: [`silo_of_root`] in Rust
// writes the config, [`SILO_OF_ROOT_SQL`] in SQL computes the expected crossings from
// `pg_constraint`. Both apply it to a table's partition root (`pg_partition_root`), so a
// partition lands with its parent; the config lists root tables only (partitions follow their
// parent in silo-plan's assignment; listing one apart from its parent is a config error).

/// The fixed rule, in Rust: silo `a` for a root table whose name's UTF-8 bytes have an even
/// sum, `b` otherwise. (A first-letter rule puts prefix families such as `sentry_*` wholly in
/// one silo, with few crossings; name-length parity gives none on supabase-postgres-15, whose
/// three foreign keys join names of odd length.)
pub(crate) fn silo_of_root(table: &str) -> &'static str {
    if table.bytes().map(u32::from).sum::<u32>() % 2 == 0 {
        "a"
    } else {
        "b"
    }
}

/// The same rule, in SQL, over the root's `pg_class` row `r`.
const SILO_OF_ROOT_SQL: &str =
    "CASE WHEN (SELECT COALESCE(sum(get_byte(convert_to(r.relname::text, 'UTF8'), i)), 0) \
     FROM generate_series(0, octet_length(convert_to(r.relname::text, 'UTF8')) - 1) AS i) % 2 = 0 \
     THEN 'a' ELSE 'b' END";

/// A name a config pattern cannot state exactly: a dot (patterns split `schema.table` at the
/// first dot and allow one), `*` or `?` (always glob characters, with no escape), leading or
/// trailing whitespace, or empty (rejected by the config's pattern syntax). Tables with such a
/// name (or schema) are left unassigned, so `check` runs with `unassigned = "warn"`; their
/// foreign keys cannot cross, and leave the expected set.
pub(crate) fn unexpressible(part: &str) -> bool {
    part.is_empty() || part.contains(['.', '*', '?']) || part.trim() != part
}

/// The same test, in SQL, over a text expression.
fn unexpressible_sql(expr: &str) -> String {
    format!("({expr} = '' OR {expr} ~ '[.*?]' OR {expr} ~ '^\\s|\\s$')")
}

/// A TOML string holding `s` exactly (every name is data: quotes, backslashes and control
/// characters are escaped by the `toml` crate's own serializer).
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Writes `silo-plan.toml` into `dir`: the dump by absolute path, silo `a` and `b` with each
/// listed root table as an exact `schema.table` pattern, and `unassigned = "warn"` when some
/// table of the dump is left out.
pub(crate) fn write_split_config(
    dir: &std::path::Path,
    dump: &std::path::Path,
    roots: &[Name],
    warn: bool,
) {
    let mut by_silo: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for r in roots {
        assert!(!unexpressible(&r.0) && !unexpressible(&r.1), "{r}");
        by_silo
            .entry(silo_of_root(&r.1))
            .or_default()
            .push(toml_string(&r.to_string()));
    }
    let mut toml = format!(
        "# Written by planner/tests/it/corpus.rs: root tables split by the parity of their name's byte sum.\n\
         version = 1\nschema = [{}]\n\n[defaults]\nunassigned = \"{}\"\n",
        toml_string(dump.to_str().expect("the corpus path is UTF-8")),
        if warn { "warn" } else { "error" }
    );
    for (silo, tables) in &by_silo {
        toml.push_str(&format!("\n[silos.{silo}]\ntables = [\n"));
        for t in tables {
            toml.push_str(&format!("    {t},\n"));
        }
        toml.push_str("]\n");
    }
    std::fs::write(dir.join("silo-plan.toml"), toml).expect("writing silo-plan.toml");
}

/// The user tables Postgres holds, split into the partition roots a config can name exactly
/// (a table outside any partition tree is its own root) and the tables left out because their
/// root's name cannot be written as an exact pattern (see [`unexpressible`]); objects
/// `excluded` are in neither.
pub(crate) fn split_roots(
    client: &mut postgres::Client,
    excluded: &dyn Fn(&str) -> bool,
) -> (BTreeSet<Name>, BTreeSet<Name>) {
    // Every user table with its partition root.
    let tables_sql = format!(
        "SELECT n.nspname::text, c.relname::text, rn.nspname::text, r.relname::text \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_class r ON r.oid = COALESCE(pg_partition_root(c.oid), c.oid) \
         JOIN pg_namespace rn ON rn.oid = r.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'f') AND {USER_REL}"
    );
    let mut roots = BTreeSet::new();
    let mut left_out = BTreeSet::new();
    for row in client
        .query(tables_sql.as_str(), &[])
        .expect("querying tables")
    {
        let table = Name(row.get(0), row.get(1));
        let root = Name(row.get(2), row.get(3));
        if excluded(&table.to_string()) || excluded(&root.to_string()) {
            continue;
        }
        if unexpressible(&root.0) || unexpressible(&root.1) {
            left_out.insert(table);
        } else if table == root {
            roots.insert(root);
        }
    }
    (roots, left_out)
}

/// A crossing: `schema.table.constraint` of the child, and the (child, parent) silos.
type CrossingSet = BTreeSet<(String, String, String)>;

/// Runs `silo-plan check --format json` on the dump with a config that splits its tables by
/// [`silo_of_root`], and compares the `SP002` findings with the crossings Postgres implies.
fn check_crossings(
    name: &str,
    path: &std::path::Path,
    cat: &Catalog,
    client: &mut postgres::Client,
    excluded: &dyn Fn(&str) -> bool,
    report: &mut Vec<String>,
) {
    let (roots, left_out) = split_roots(client, excluded);
    // Left out and seen by silo-plan: reported as unassigned (a partition only through its root).
    let in_catalog: BTreeSet<String> = cat
        .tables
        .iter()
        .filter(|t| t.partition_of.is_none())
        .map(|t| format!("{}.{}", t.schema, t.name))
        .collect();
    let want_unassigned: BTreeSet<String> = left_out
        .iter()
        .map(|t| t.to_string())
        .filter(|t| in_catalog.contains(t))
        .collect();
    for t in &left_out {
        eprintln!(
            "{name}: table {t} left unassigned: its name cannot be written as an exact pattern"
        );
    }

    // Expected: every declared foreign key whose two roots land in different silos.
    let root_silo = format!(
        "CASE WHEN {} OR {} THEN NULL ELSE {SILO_OF_ROOT_SQL} END",
        unexpressible_sql("r.relname::text"),
        unexpressible_sql("rn.nspname::text")
    );
    let fk_sql = format!(
        "WITH placed AS ( \
           SELECT c.oid, r.oid AS root, n.nspname::text AS schema, c.relname::text AS name, {root_silo} AS silo \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
           JOIN pg_class r ON r.oid = COALESCE(pg_partition_root(c.oid), c.oid) \
           JOIN pg_namespace rn ON rn.oid = r.relnamespace \
           WHERE c.relkind IN ('r', 'p', 'f') AND {USER_REL}) \
         SELECT ch.schema, ch.name, con.conname::text, pa.schema, pa.name, ch.silo, pa.silo, \
                ch.root <> pa.root \
         FROM pg_constraint con \
         JOIN placed ch ON ch.oid = con.conrelid JOIN placed pa ON pa.oid = con.confrelid \
         WHERE con.contype = 'f' AND con.conparentid = 0"
    );
    let mut expected = CrossingSet::new();
    let (mut fks, mut between_roots) = (0, 0);
    for row in client
        .query(fk_sql.as_str(), &[])
        .expect("querying crossings")
    {
        let (cs, ct, con, ps, pt): (String, String, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        let (child, parent) = (format!("{cs}.{ct}"), format!("{ps}.{pt}"));
        let key = format!("{child}.{con}");
        if excluded(&child) || excluded(&parent) || excluded(&key) {
            continue;
        }
        fks += 1;
        if row.get::<_, bool>(7) {
            between_roots += 1;
        }
        let (a, b): (Option<String>, Option<String>) = (row.get(5), row.get(6));
        if let (Some(a), Some(b)) = (a, b) {
            if a != b {
                expected.insert((key, a, b));
            }
        }
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let roots: Vec<Name> = roots.into_iter().collect();
    write_split_config(dir.path(), path, &roots, !want_unassigned.is_empty());
    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("runs silo-plan");
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let config = std::fs::read_to_string(dir.path().join("silo-plan.toml")).unwrap_or_default();
    assert!(
        code == 0 || code == 1,
        "{name}: `silo-plan check` exited {code} on the written config:\n{stderr}\n--- silo-plan.toml:\n{config}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{name}: check --format json is not JSON ({e}):\n{stdout}"));
    let findings = v["findings"].as_array().expect("findings array");
    let mut got = CrossingSet::new();
    let mut unassigned = BTreeSet::new();
    for f in findings {
        let object = f["object"].as_str().unwrap_or("").to_string();
        match f["code"].as_str().unwrap_or("") {
            "SP002" => {
                // "foreign key NAME crosses from silo X to silo Y: ..."
                let msg = f["message"].as_str().unwrap_or("");
                let silos = msg
                    .split_once(" crosses from silo ")
                    .and_then(|(_, rest)| rest.split_once(':'))
                    .and_then(|(s, _)| s.split_once(" to silo "));
                let Some((a, b)) = silos else {
                    report.push(format!("crossing {object}: unexpected message {msg:?}"));
                    continue;
                };
                got.insert((object, a.to_string(), b.to_string()));
            }
            "SP001" => {
                unassigned.insert(object);
            }
            "SP003" | "SP009" => report.push(format!(
                "crossing check: unexpected finding (no shared tables, no [[allow]]): {f}"
            )),
            _ => {}
        }
    }

    for c in expected.difference(&got) {
        report.push(format!(
            "crossing {} ({} → {}): expected from pg_constraint, not reported by check",
            c.0, c.1, c.2
        ));
    }
    for c in got.difference(&expected) {
        report.push(format!(
            "crossing {} ({} → {}): reported by check, not expected from pg_constraint",
            c.0, c.1, c.2
        ));
    }
    if unassigned != want_unassigned {
        report.push(format!(
            "crossing check: unassigned tables {unassigned:?}, expected {want_unassigned:?}"
        ));
    }
    if !expected.is_empty() && code != 1 {
        report.push(format!(
            "crossing check: exit code {code} with {} crossings (expected 1)",
            expected.len()
        ));
    }
    eprintln!(
        "{name}: crossings: {} root tables split {} / {} (a / b), {} foreign keys ({} between \
         different roots), {} expected crossings, {} reported by check, exit {code}",
        roots.len(),
        roots.iter().filter(|r| silo_of_root(&r.1) == "a").count(),
        roots.iter().filter(|r| silo_of_root(&r.1) == "b").count(),
        fks,
        between_roots,
        expected.len(),
        got.len(),
    );
    // Never vacuous: a dump with foreign keys between different root tables has crossings.
    if between_roots > 0 {
        assert!(
            !expected.is_empty(),
            "{name}: {between_roots} foreign keys between different tables, but none crosses \
             the byte-sum parity rule: change the rule"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// For files generated from a dump (plan_schema.rs): the same KNOWN list, applied to a part.

/// `text` (generated from a corpus dump, holding only part of it) with `known.edits` applied
/// where they apply: an edit at the start of the file always, a replacement wherever its text
/// occurs (a silo's schema may not contain it).
pub(crate) fn apply_edits_where_found(text: &str, known: &Known) -> String {
    let mut text = text.to_string();
    for e in known.edits {
        if e.find.is_empty() {
            text.insert_str(0, &format!("{} ", e.with));
        } else {
            text = text.replace(e.find, e.with);
        }
    }
    text
}

/// The `ERROR:` lines of psql's `stderr` that `known.load_errors` does not expect.
pub(crate) fn unexpected_errors(stderr: &str, known: &Known) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains("ERROR:"))
        .filter(|l| !known.load_errors.iter().any(|k| l.contains(k.message)))
        .map(str::to_string)
        .collect()
}
