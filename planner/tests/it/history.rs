//! A directory of migrations is a history (issue 20, item 2): `DROP TABLE`, `DROP CONSTRAINT`,
//! `DROP INDEX`, `DROP COLUMN`, the renames and `ALTER COLUMN ... TYPE` change the catalog in
//! file-name order, and the per-silo schema never brings back what a later file drops.
//!
//! 1. The directory that made `plan` panic (a foreign key added by `ALTER TABLE ... ADD
//!    CONSTRAINT`, dropped later by `DROP CONSTRAINT`), through the command: `plan` exits 0, and
//!    each written `silos/*/schema.sql` applies on Postgres with `ON_ERROR_STOP` and holds no
//!    dropped key.
//! 2. A history with every kind of change: run on Postgres in file order, then tables,
//!    columns with their types, primary keys, foreign keys and indexes as Postgres reports them
//!    (`pg_attribute`, `pg_constraint`, `pg_index`) equal silo-plan's catalog; and each silo's
//!    `schema.sql`, on an empty database, equals that database restricted to the silo
//!    (`plan_schema::check_split`).
//! 3. A table dropped and created again is a new table (preflight's readiness).

use std::collections::BTreeSet;
use std::path::Path;

use silo_plan::catalog::Catalog;
use silo_plan::dump::{self, ReadOptions};
use silo_plan::source::SourceFile;

use crate::corpus::{Known, Loaded, USER_REL};
use crate::pg::Cluster;
use crate::util::silo_plan;

/// Writes `files` into `dir` (created) and returns their paths in file-name order.
fn write_migrations(dir: &Path, files: &[(&str, &str)]) -> Vec<std::path::PathBuf> {
    std::fs::create_dir_all(dir).expect("migrations dir");
    let mut paths: Vec<_> = files
        .iter()
        .map(|(name, sql)| {
            let p = dir.join(name);
            std::fs::write(&p, sql).expect("writing a migration");
            p
        })
        .collect();
    paths.sort();
    paths
}

// ---------------------------------------------------------------------------------------------
// 1. The directory that panicked.

const PANIC_CONFIG: &str = "version = 1\n\
[silos.control]\ntables = [\"accounts\"]\n\
[silos.region]\ntables = [\"orders\", \"items\"]\n";

const PANIC_MIGRATIONS: [(&str, &str); 3] = [
    (
        "001_init.sql",
        "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n\
         CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);\n\
         CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));\n",
    ),
    (
        "002_keys.sql",
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);\n\
         ALTER TABLE items ADD CONSTRAINT items_order_fk2 FOREIGN KEY (order_id) REFERENCES orders (id);\n",
    ),
    (
        "003_drop.sql",
        "ALTER TABLE orders DROP CONSTRAINT orders_account_fk;\n\
         ALTER TABLE items DROP CONSTRAINT items_order_fk2;\n",
    ),
];

#[test]
fn migrations_dir_with_a_dropped_constraint_plans_and_applies() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_migrations(&dir.path().join("migrations"), &PANIC_MIGRATIONS);
    std::fs::write(dir.path().join("silo-plan.toml"), PANIC_CONFIG).expect("config");
    let o = silo_plan(
        dir.path(),
        [
            "plan",
            "silo-plan.toml",
            "--schema",
            "migrations",
            "--out",
            "out",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "plan on a migrations directory:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // No key crosses any more: the only one that did was dropped.
    let check = silo_plan(
        dir.path(),
        ["check", "silo-plan.toml", "--schema", "migrations"],
    );
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let cluster = Cluster::start();
    for silo in ["control", "region"] {
        let file = dir.path().join(format!("out/silos/{silo}/schema.sql"));
        let sql = std::fs::read_to_string(&file).expect("schema.sql");
        for gone in ["orders_account_fk", "items_order_fk2"] {
            assert!(
                !sql.lines()
                    .any(|l| !l.starts_with("--") && l.contains(gone)),
                "{silo}: the dropped key {gone} is back:\n{sql}"
            );
        }
        cluster.createdb(silo);
        let out = cluster.psql_file_stop(silo, &file);
        assert!(
            out.status.success(),
            "{silo}: schema.sql fails on Postgres:\n{}\n{sql}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The region keeps the inline key items → orders, and nothing else.
    let mut c = cluster.client("region");
    let keys: Vec<String> = c
        .query(
            "SELECT conname::text FROM pg_constraint WHERE contype = 'f' ORDER BY 1",
            &[],
        )
        .expect("keys")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(keys, ["items_order_id_fkey"]);
}

// ---------------------------------------------------------------------------------------------
// 2. Every kind of change, against Postgres.

const HISTORY_CONFIG_SILOS: &str =
    "\n[silos.control]\ntables = [\"organizations\", \"products\"]\n\
[silos.region]\ntables = [\"users\", \"orders\", \"items\", \"invoices\"]\n";

const HISTORY: [(&str, &str); 7] = [
    (
        "001_init.sql",
        r#"CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    legacy_code integer
);
CREATE TABLE products (id bigint PRIMARY KEY, title text);
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    account_id bigint REFERENCES accounts (id),
    email character varying(100),
    nickname text
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    user_id bigint,
    amount integer,
    created_at timestamp with time zone
);
CREATE INDEX orders_created_idx ON orders (created_at);
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
CREATE TABLE old_audit (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), account_id bigint);
ALTER TABLE old_audit ADD CONSTRAINT old_audit_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
CREATE INDEX old_audit_user_idx ON old_audit (user_id);
"#,
    ),
    (
        "002_items.sql",
        r#"CREATE TABLE items (
    id bigint PRIMARY KEY,
    order_id bigint REFERENCES orders (id) ON DELETE CASCADE,
    product_id bigint CONSTRAINT items_product_fk REFERENCES products (id)
);
CREATE INDEX users_email_idx ON users (email);
ALTER TABLE orders ADD COLUMN note text;
CREATE TABLE scratch (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));
CREATE VIEW scratch_view AS SELECT id FROM scratch;
COMMENT ON TABLE scratch IS 'temporary';
"#,
    ),
    (
        "003_rework_keys.sql",
        r#"ALTER TABLE orders DROP CONSTRAINT orders_user_fk;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE items DROP CONSTRAINT items_product_fk;
"#,
    ),
    (
        "004_drops.sql",
        r#"DROP TABLE old_audit;
DROP TABLE IF EXISTS scratch CASCADE;
DROP INDEX users_email_idx;
DROP TABLE IF EXISTS never_was;
"#,
    ),
    (
        "005_renames.sql",
        r#"ALTER TABLE accounts RENAME TO organizations;
ALTER TABLE users RENAME COLUMN account_id TO organization_id;
ALTER TABLE users RENAME CONSTRAINT users_account_id_fkey TO users_organization_fk;
ALTER INDEX orders_created_idx RENAME TO orders_created_at_idx;
ALTER TABLE users ALTER COLUMN email TYPE text;
ALTER TABLE organizations DROP COLUMN legacy_code;
ALTER TABLE orders ALTER COLUMN amount SET DATA TYPE numeric(12,2) USING amount::numeric;
ALTER TABLE orders RENAME COLUMN note TO remark;
CREATE TABLE users_archive (id bigint PRIMARY KEY);
ALTER TABLE users_archive RENAME TO users_history;
"#,
    ),
    (
        "006_multi.sql",
        r#"ALTER TABLE users DROP CONSTRAINT users_organization_fk, ADD CONSTRAINT users_org_fk FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE SET NULL;
ALTER TABLE users VALIDATE CONSTRAINT users_org_fk;
ALTER TABLE items ADD COLUMN qty integer NOT NULL DEFAULT 1, ADD CONSTRAINT items_qty_check CHECK (qty > 0);
CREATE INDEX items_order_idx ON items (order_id);
ALTER TABLE items DROP COLUMN product_id;
ALTER TABLE users_history ADD COLUMN user_id bigint REFERENCES users (id), ADD COLUMN note text;
"#,
    ),
    (
        "007_more.sql",
        r#"CREATE SEQUENCE invoice_numbers;
CREATE SEQUENCE legacy_seq;
CREATE TABLE invoices (
    id bigint PRIMARY KEY,
    number bigint DEFAULT nextval('invoice_numbers'),
    legacy bigint DEFAULT nextval('legacy_seq'),
    order_id bigint REFERENCES orders (id)
);
ALTER SEQUENCE invoice_numbers OWNED BY invoices.number;
ALTER SEQUENCE legacy_seq OWNED BY invoices.legacy;
ALTER SEQUENCE invoice_numbers RENAME TO invoice_number_seq;
CREATE VIEW recent_orders AS SELECT id, created_at FROM orders;
ALTER VIEW recent_orders RENAME TO latest_orders;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER invoices_touch BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER invoices_touch2 BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION touch();
DROP TRIGGER invoices_touch2 ON invoices;
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_all ON invoices USING (true);
CREATE POLICY invoices_none ON invoices USING (false);
DROP POLICY invoices_none ON invoices;
ALTER TABLE invoices DROP COLUMN legacy;
CREATE MATERIALIZED VIEW order_counts AS SELECT user_id, count(*) AS n FROM orders GROUP BY user_id;
CREATE INDEX order_counts_user_idx ON order_counts (user_id);
DROP MATERIALIZED VIEW order_counts;
CREATE SEQUENCE scratch_seq;
COMMENT ON SEQUENCE scratch_seq IS 'gone soon';
DROP SEQUENCE scratch_seq;
ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);
ALTER TABLE orders RENAME CONSTRAINT orders_amount_positive TO orders_amount_check;
ALTER TABLE products ADD CONSTRAINT products_title_key UNIQUE (title);
ALTER INDEX products_title_key RENAME TO products_title_uniq;
"#,
    ),
];

/// Facts both sides report, one string per fact, sorted.
fn pg_facts(c: &mut postgres::Client) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let qn = "n.nspname || '.' || c.relname";
    let mut q = |sql: String| {
        for r in c
            .query(sql.as_str(), &[])
            .unwrap_or_else(|e| panic!("{e:?}\n{sql}"))
        {
            out.insert(r.get::<_, String>(0));
        }
    };
    q(format!(
        "SELECT 'table ' || {qn} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND {USER_REL}"
    ));
    q(format!(
        "SELECT 'column ' || {qn} || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND {USER_REL}"
    ));
    let cols = |rel: &str, keys: &str| {
        format!(
            "array_to_string(ARRAY(SELECT a.attname FROM unnest({keys}) WITH ORDINALITY k(num, ord) \
             JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.num ORDER BY k.ord), ',')"
        )
    };
    q(format!(
        "SELECT 'primary key ' || {qn} || '(' || {} || ')' \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE con.contype = 'p' AND {USER_REL}",
        cols("con.conrelid", "con.conkey")
    ));
    q(format!(
        "SELECT 'foreign key ' || {qn} || '.' || con.conname || '(' || {} || ') -> ' \
           || fn.nspname || '.' || fc.relname || '(' || {} || ') on delete ' || con.confdeltype::text \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_class fc ON fc.oid = con.confrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
         WHERE con.contype = 'f' AND {USER_REL}",
        cols("con.conrelid", "con.conkey"),
        cols("con.confrelid", "con.confkey")
    ));
    // Indexes that are not a constraint's (the catalog keeps those as keys).
    q(format!(
        "SELECT 'index ' || n.nspname || '.' || ic.relname || ' on ' || {qn} || '(' || {} || ')' \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class ic ON ic.oid = i.indexrelid \
         WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
           AND {USER_REL}",
        cols("i.indrelid", "i.indkey::int2[]")
    ));
    q(format!(
        "SELECT 'view ' || {qn} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('v', 'm') AND {USER_REL}"
    ));
    q(format!(
        "SELECT 'sequence ' || {qn} || COALESCE(' owned by ' || (SELECT tn.nspname || '.' \
           || t.relname || '.' || a.attname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid \
           JOIN pg_namespace tn ON tn.oid = t.relnamespace JOIN pg_attribute a \
             ON a.attrelid = t.oid AND a.attnum = d.refobjsubid \
           WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
             AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), '') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'S' AND {USER_REL}"
    ));
    q(format!(
        "SELECT 'trigger ' || {qn} || '.' || t.tgname FROM pg_trigger t \
         JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT t.tgisinternal AND {USER_REL}"
    ));
    q(format!(
        "SELECT 'policy ' || {qn} || '.' || p.polname FROM pg_policy p \
         JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE {USER_REL}"
    ));
    out
}

fn catalog_facts(cat: &Catalog) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in &cat.tables {
        let q = t.qname();
        out.insert(format!("table {q}"));
        for c in &t.columns {
            out.insert(format!("column {q}.{} {}", c.name, c.data_type));
        }
        if let Some(k) = &t.primary_key {
            out.insert(format!("primary key {q}({})", k.columns.join(",")));
        }
    }
    for f in &cat.foreign_keys {
        let action = match f.on_delete.as_str() {
            "no-action" => "a",
            "restrict" => "r",
            "cascade" => "c",
            "set-null" => "n",
            _ => "d",
        };
        out.insert(format!(
            "foreign key {}.{}({}) -> {}({}) on delete {action}",
            f.table,
            f.name,
            f.columns.join(","),
            f.references,
            f.referenced_columns.join(",")
        ));
    }
    for i in &cat.indexes {
        out.insert(format!(
            "index {} on {}({})",
            i.name,
            i.table,
            i.columns.join(",")
        ));
    }
    for v in &cat.views {
        out.insert(format!("view {}", v.name));
    }
    for sq in &cat.sequences {
        out.insert(match &sq.owned_by {
            Some(o) => format!("sequence {} owned by {}.{}", sq.name, o.table, o.column),
            None => format!("sequence {}", sq.name),
        });
    }
    for t in &cat.triggers {
        out.insert(format!("trigger {}.{}", t.table, t.name));
    }
    for p in &cat.policies {
        out.insert(format!("policy {}.{}", p.table, p.name));
    }
    out
}

#[test]
fn migrations_history_matches_postgres_and_plans_per_silo() {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = write_migrations(&dir.path().join("migrations"), &HISTORY);
    let sources: Vec<SourceFile> = paths
        .iter()
        .map(|p| SourceFile::load(p).expect("a migration"))
        .collect();
    let cat = dump::read(&sources, &ReadOptions::default());
    assert!(cat.unparsed.is_empty(), "{:#?}", cat.unparsed);

    // The files in order, on Postgres.
    let all: String = sources.iter().map(|s| s.text.as_str()).collect();
    let cluster = Cluster::start();
    cluster.createdb("original");
    let file = cluster.dir().join("history.sql");
    std::fs::write(&file, &all).expect("writing the history");
    let out = cluster.psql_file("original", &file);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && !stderr.contains("ERROR:"),
        "the history does not run on Postgres:\n{stderr}"
    );
    let mut client = cluster.client("original");
    let pg = pg_facts(&mut client);
    let silo = catalog_facts(&cat);
    // Never vacuous: the history leaves tables, keys, an index and renamed objects.
    for want in [
        "table public.organizations",
        "column public.orders.amount numeric(12,2)",
        "column public.users.email text",
        "foreign key public.users.users_org_fk(organization_id) -> public.organizations(id) on delete n",
        "index public.orders_created_at_idx on public.orders(created_at)",
        "table public.users_history",
        "sequence public.invoice_number_seq owned by public.invoices.number",
        "view public.latest_orders",
        "trigger public.invoices.invoices_touch",
        "policy public.invoices.invoices_all",
    ] {
        assert!(pg.contains(want), "Postgres lacks {want:?}: {pg:#?}");
    }
    let only_pg: Vec<&String> = pg.difference(&silo).collect();
    let only_silo: Vec<&String> = silo.difference(&pg).collect();
    assert!(
        only_pg.is_empty() && only_silo.is_empty(),
        "the catalog differs from Postgres\n  only in Postgres: {only_pg:#?}\n  only in silo-plan: {only_silo:#?}"
    );
    drop(client);

    // Each silo's schema.sql on an empty database equals the history's result restricted to it.
    let listed: Vec<String> = paths
        .iter()
        .map(|p| {
            format!(
                "\"migrations/{}\"",
                p.file_name().unwrap().to_string_lossy()
            )
        })
        .collect();
    let config = format!(
        "version = 1\nschema = [{}]\n{HISTORY_CONFIG_SILOS}[shared]\ntables = [\"users_history\"]\n",
        listed.join(", ")
    );
    std::fs::write(dir.path().join("silo-plan.toml"), &config).expect("config");
    let loaded = Loaded {
        cluster,
        db: "original",
        path: dir.path().join("migrations"),
        original: all,
        cat,
        stderr,
        unexpected: Vec::new(),
    };
    let planned =
        crate::plan_schema::check_split("history", &loaded, dir.path(), &Known::default());
    let region = &planned
        .silos
        .iter()
        .find(|(s, _)| s.silo == "region")
        .expect("silo region")
        .1;
    for want in [
        // Cut from CREATE TABLE users by the columns and parent it was written with.
        "-- cut (a later statement drops it): FK users_organization_fk public.users(account_id) → public.accounts, dropped at ",
        "migrations/006_multi.sql:1\nCREATE TABLE users (",
        "-- cut (a later statement drops it): FK items_product_fk public.items(product_id) → public.products, dropped at ",
        "migrations/003_rework_keys.sql:3\nCREATE TABLE items (",
        "ALTER TABLE users RENAME COLUMN account_id TO organization_id;",
        "ALTER INDEX orders_created_idx RENAME TO orders_created_at_idx;",
        "-- left out: FK users_org_fk",
        "-- cut from this ALTER TABLE: FK users_history_user_id_fkey",
        "ALTER TABLE users_history ADD COLUMN user_id bigint , ADD COLUMN note text;",
    ] {
        assert!(region.contains(want), "region schema.sql lacks {want:?}:\n{region}");
    }
    // Nor the validation of a key left out (it goes with its key).
    for gone in [
        "old_audit",
        "scratch",
        "users_email_idx",
        "items_product_fk FOREIGN",
        "VALIDATE CONSTRAINT",
    ] {
        assert!(
            !region
                .lines()
                .any(|l| !l.starts_with("--") && l.contains(gone)),
            "region schema.sql brings back {gone}:\n{region}"
        );
    }

    // And through the command, with the directory as --schema. The shared users_history keeps
    // its key to region's users, an SP003 error that blocks `plan` by default: this test is
    // about the history, so it plans despite it.
    let o = silo_plan(
        dir.path(),
        [
            "plan",
            "silo-plan.toml",
            "--schema",
            "migrations",
            "--out",
            "out",
            "--allow-findings",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// 3. A table dropped and created again is a new table.

/// Preflight's readiness reads the replica identity of the table as it is, not of an earlier
/// table of that name: `logs`, dropped and created again without a key or replica identity,
/// cannot replicate its UPDATEs and DELETEs, whatever the first `logs` had.
#[test]
fn a_table_created_again_has_none_of_the_dropped_ones_settings() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_migrations(
        &dir.path().join("migrations"),
        &[
            (
                "001.sql",
                "CREATE TABLE accounts (id bigint PRIMARY KEY);\n\
                 CREATE TABLE logs (account_id bigint, line text);\n\
                 ALTER TABLE logs REPLICA IDENTITY FULL;\n",
            ),
            (
                "002.sql",
                "DROP TABLE logs;\nCREATE TABLE logs (account_id bigint, line text);\n",
            ),
        ],
    );
    std::fs::write(
        dir.path().join("silo-plan.toml"),
        "version = 1\nschema = [\"migrations/001.sql\", \"migrations/002.sql\"]\n\
         [silos.control]\ntables = [\"accounts\"]\n[silos.region]\ntables = [\"logs\"]\n",
    )
    .expect("config");
    let a = crate::util::analysis(dir.path());
    let phases = silo_plan::plan::phases::build(&a.input());
    let flagged: Vec<(String, &str)> = phases
        .readiness
        .iter()
        .map(|r| (r.table.to_string(), r.kind.as_str()))
        .collect();
    assert!(
        flagged.contains(&("public.logs".to_string(), "no-primary-key")),
        "{flagged:?}"
    );
}
