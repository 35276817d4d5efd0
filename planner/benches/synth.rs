//! A deterministic generator of pg_dump-style schema dumps of any size, for the benchmark.
//!
//! The output imitates `pg_dump --schema-only` of a Rails/Django-style application: the usual
//! header, then the sections in pg_dump's order (functions, tables with their sequences, views,
//! column defaults, primary keys, indexes, triggers, foreign keys), each object under its
//! `-- Name: ...; Type: ...; Schema: public; Owner: app` block comment. Table `t_NNNNN` has 5 to 12
//! columns, a bigint `id` fed by its own sequence, 1 to 3 btree indexes and 0 to 3 foreign keys to
//! earlier tables; every 50th table has a view, every 100th a plpgsql trigger function with a
//! dollar-quoted body and its trigger. About 2.1 KB of dump per table, so 100,000 tables is about
//! 212 MB, the size DESIGN.md's speed targets are stated for.
//!
//! No randomness crate: a xorshift64* generator with a caller-given seed, so the same
//! `(tables, seed)` always yields byte-identical text.

#![allow(dead_code)]

use std::fmt::Write;

/// The seed the benchmark uses.
pub const SEED: u64 = 0x5eed_0001_d00d_f00d;

/// The role owning every object (the dump is taken with owners, as pagila.sql is).
const OWNER: &str = "app";

/// What a generated dump holds, to check a reader against.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// `CREATE TABLE` statements.
    pub tables: usize,
    /// `FOREIGN KEY` constraints.
    pub foreign_keys: usize,
    /// `CREATE INDEX` statements (primary keys not counted).
    pub indexes: usize,
    /// `CREATE SEQUENCE` statements (each `OWNED BY` its table's `id`).
    pub sequences: usize,
    /// `CREATE VIEW` statements.
    pub views: usize,
    /// `CREATE FUNCTION` statements.
    pub functions: usize,
    /// `CREATE TRIGGER` statements.
    pub triggers: usize,
    /// `COMMENT ON TABLE` statements.
    pub comments: usize,
}

/// A generated dump and what it holds.
#[derive(Debug, Clone)]
pub struct Synth {
    /// The dump text.
    pub text: String,
    /// The objects in it.
    pub counts: Counts,
}

/// A pg_dump-style schema of `tables` tables, deterministic for a given `seed`.
pub fn generate(tables: usize, seed: u64) -> String {
    generate_with_counts(tables, seed).text
}

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // xorshift must not start at zero.
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

/// Extra columns a table draws from: (name, type and constraints).
const EXTRA: &[(&str, &str)] = &[
    ("status", "integer DEFAULT 0 NOT NULL"),
    ("description", "text"),
    ("metadata", "jsonb DEFAULT '{}'::jsonb NOT NULL"),
    ("amount_cents", "bigint DEFAULT 0 NOT NULL"),
    (
        "amount_currency",
        "character varying(3) DEFAULT 'USD'::character varying NOT NULL",
    ),
    ("deleted_at", "timestamp(6) without time zone"),
    ("is_active", "boolean DEFAULT true NOT NULL"),
    ("external_id", "uuid DEFAULT gen_random_uuid() NOT NULL"),
    ("slug", "character varying(64) NOT NULL"),
    ("position", "integer"),
    ("tags", "text[] DEFAULT '{}'::text[] NOT NULL"),
    ("score", "numeric(12,4)"),
    ("settings", "jsonb"),
    ("expires_at", "timestamp(6) without time zone"),
    ("last_synced_at", "timestamp(6) without time zone"),
    ("invoice_grace_period", "integer DEFAULT 0 NOT NULL"),
    (
        "timezone",
        "character varying DEFAULT 'UTC'::character varying NOT NULL",
    ),
    (
        "email",
        "character varying(255) DEFAULT ''::character varying NOT NULL",
    ),
    ("encrypted_token", "character varying"),
    ("sync_with_provider", "boolean DEFAULT false"),
];

struct Table {
    name: String,
    /// Columns as (name, definition).
    columns: Vec<(String, &'static str)>,
    /// (column, referenced table, ON DELETE clause).
    fks: Vec<(String, String, &'static str)>,
    /// Index column lists.
    indexes: Vec<Vec<String>>,
    /// A unique index on the first of `indexes`.
    unique_first: bool,
    /// Which of `indexes` are partial (`WHERE (deleted_at IS NULL)`).
    partial: Vec<bool>,
    /// A column with a `CHECK (col >= 0)`.
    check: Option<String>,
    /// Has a `COMMENT ON TABLE`.
    comment: bool,
}

fn header(name: &str, kind: &str, out: &mut String) {
    let _ = write!(
        out,
        "--\n-- Name: {name}; Type: {kind}; Schema: public; Owner: {OWNER}\n--\n\n"
    );
}

/// Like [`generate`], also returning what the dump holds.
pub fn generate_with_counts(tables: usize, seed: u64) -> Synth {
    let mut rng = Rng::new(seed);
    let width = if tables > 100_000 {
        tables.to_string().len()
    } else {
        5
    };
    let tname = |i: usize| format!("t_{i:0width$}");
    let mut counts = Counts::default();

    // Decide the tables first, then write them section by section as pg_dump does.
    let mut ts: Vec<Table> = Vec::with_capacity(tables);
    for i in 0..tables {
        let name = tname(i);
        let mut columns: Vec<(String, &'static str)> = vec![
            ("id".into(), "bigint NOT NULL"),
            ("name".into(), "character varying(255)"),
            (
                "created_at".into(),
                "timestamp with time zone DEFAULT now() NOT NULL",
            ),
            (
                "updated_at".into(),
                "timestamp with time zone DEFAULT now() NOT NULL",
            ),
        ];
        // 0-3 foreign keys to earlier tables; the first is the organization-like parent.
        let nfk = if i == 0 { 0 } else { rng.range(0, 3).min(i) };
        let mut fks = Vec::new();
        for k in 0..nfk {
            // Mostly near parents (like real schemas' clusters), sometimes a far one.
            let target = if rng.range(0, 3) == 0 {
                rng.range(0, i - 1)
            } else {
                i - 1 - rng.range(0, (i - 1).min(40))
            };
            let col = if k == 0 {
                "org_id".to_string()
            } else {
                format!("{}_id", tname(target))
            };
            if fks.iter().any(|(c, _, _)| *c == col) {
                continue;
            }
            let on_delete = match rng.range(0, 3) {
                0 => " ON DELETE CASCADE",
                1 => " ON DELETE SET NULL",
                2 => "",
                _ => " ON DELETE CASCADE",
            };
            columns.push((col.clone(), "bigint"));
            fks.push((col, tname(target), on_delete));
        }
        // Fill up to 5-12 columns from the pool, each at most once.
        // Skewed towards wider tables, as in real schemas.
        let want = rng.range(5, 12).max(rng.range(5, 12)).max(columns.len());
        while columns.len() < want {
            let (c, def) = EXTRA[rng.range(0, EXTRA.len() - 1)];
            if !columns.iter().any(|(n, _)| n == c) {
                columns.push((c.to_string(), def));
            }
        }
        // A third of the tables check a column, as Rails' `check_constraint` does.
        let check = if rng.range(0, 2) == 0 {
            columns
                .iter()
                .find(|(c, _)| c == "amount_cents" || c == "status" || c == "position")
                .map(|(c, _)| c.clone())
        } else {
            None
        };
        let comment = rng.range(0, 9) == 0;
        // 1-3 indexes: the FK columns first (as Rails adds them), then others.
        let nidx = rng.range(1, 3).max(rng.range(1, 3));
        let mut indexes: Vec<Vec<String>> = fks
            .iter()
            .take(nidx)
            .map(|(c, _, _)| vec![c.clone()])
            .collect();
        while indexes.len() < nidx {
            let c = &columns[rng.range(1, columns.len() - 1)].0;
            let cols = if rng.range(0, 3) == 0 {
                vec![c.clone(), "created_at".into()]
            } else {
                vec![c.clone()]
            };
            if indexes.contains(&cols) {
                break;
            }
            indexes.push(cols);
        }
        let unique_first = rng.range(0, 4) == 0;
        // About a fifth of the indexes are partial, as in lago-api.sql.
        let partial = indexes.iter().map(|_| rng.range(0, 4) == 0).collect();
        ts.push(Table {
            name,
            columns,
            fks,
            indexes,
            unique_first,
            partial,
            check,
            comment,
        });
    }

    let mut out = String::with_capacity(tables * 2200 + 4096);
    out.push_str(
        "--\n-- PostgreSQL database dump\n--\n\n\
         -- Dumped from database version 16.4\n\
         -- Dumped by pg_dump version 16.4\n\n\
         SET statement_timeout = 0;\n\
         SET lock_timeout = 0;\n\
         SET idle_in_transaction_session_timeout = 0;\n\
         SET client_encoding = 'UTF8';\n\
         SET standard_conforming_strings = on;\n\
         SELECT pg_catalog.set_config('search_path', '', false);\n\
         SET check_function_bodies = false;\n\
         SET xmloption = content;\n\
         SET client_min_messages = warning;\n\
         SET row_security = off;\n\n",
    );
    header("pgcrypto", "EXTENSION", &mut out);
    out.push_str("CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;\n\n\n");

    // Functions (pg_dump puts them before tables).
    for (i, t) in ts.iter().enumerate() {
        if i % 100 != 99 {
            continue;
        }
        let f = format!("{}_touch()", t.name);
        header(&f, "FUNCTION", &mut out);
        let _ = write!(
            out,
            "CREATE FUNCTION public.{f} RETURNS trigger\n    LANGUAGE plpgsql\n    AS $$\n\
             DECLARE\n    n integer;\n\
             BEGIN\n    NEW.updated_at := now();\n\
             \x20   IF NEW.name IS NULL OR NEW.name = '' THEN\n\
             \x20       RAISE EXCEPTION 'name of {t} % must not be empty; it''s required', NEW.id;\n\
             \x20   END IF;\n\
             \x20   SELECT count(*) INTO n FROM public.{t} WHERE name = NEW.name; -- a ; inside\n\
             \x20   RETURN NEW;\nEND;\n$$;\n\n\n\
             ALTER FUNCTION public.{f} OWNER TO {OWNER};\n\n",
            t = t.name
        );
        counts.functions += 1;
    }

    // Tables, each followed by its sequence, as pg_dump orders them by name.
    for t in &ts {
        header(&t.name, "TABLE", &mut out);
        let _ = writeln!(out, "CREATE TABLE public.{} (", t.name);
        for (k, (c, def)) in t.columns.iter().enumerate() {
            let sep = if k + 1 < t.columns.len() || t.check.is_some() {
                ","
            } else {
                ""
            };
            let _ = writeln!(out, "    {c} {def}{sep}");
        }
        if let Some(c) = &t.check {
            let _ = writeln!(
                out,
                "    CONSTRAINT check_{t}_on_{c} CHECK (({c} >= 0))",
                t = t.name
            );
        }
        let _ = write!(
            out,
            ");\n\n\nALTER TABLE public.{} OWNER TO {OWNER};\n\n",
            t.name
        );
        counts.tables += 1;
        if t.comment {
            header(&format!("TABLE {}", t.name), "COMMENT", &mut out);
            let _ = write!(
                out,
                "COMMENT ON TABLE public.{t} IS 'Rows of {t}; owned by the billing team, \
                 see docs/{t}.md';\n\n\n",
                t = t.name
            );
            counts.comments += 1;
        }

        let seq = format!("{}_id_seq", t.name);
        header(&seq, "SEQUENCE", &mut out);
        let _ = write!(
            out,
            "CREATE SEQUENCE public.{seq}\n    START WITH 1\n    INCREMENT BY 1\n    \
             NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\n\n\n\
             ALTER TABLE public.{seq} OWNER TO {OWNER};\n\n"
        );
        header(&seq, "SEQUENCE OWNED BY", &mut out);
        let _ = write!(
            out,
            "ALTER SEQUENCE public.{seq} OWNED BY public.{}.id;\n\n\n",
            t.name
        );
        counts.sequences += 1;
    }

    // Views: every 50th table, joined to its parent when it has one.
    for (i, t) in ts.iter().enumerate() {
        if i % 50 != 49 {
            continue;
        }
        let v = format!("v_{}", t.name);
        header(&v, "VIEW", &mut out);
        let _ = write!(
            out,
            "CREATE VIEW public.{v} AS\n SELECT t.id,\n    t.name,\n    t.created_at"
        );
        match t.fks.first() {
            Some((col, parent, _)) => {
                let _ = write!(
                    out,
                    ",\n    p.name AS parent_name\n   FROM (public.{} t\n     \
                     JOIN public.{parent} p ON ((p.id = t.{col})))\n",
                    t.name
                );
            }
            None => {
                let _ = writeln!(out, "\n   FROM public.{} t", t.name);
            }
        }
        let _ = write!(
            out,
            "  WHERE (t.created_at > (now() - '30 days'::interval));\n\n\n\
             ALTER VIEW public.{v} OWNER TO {OWNER};\n\n"
        );
        counts.views += 1;
    }

    // Column defaults from the sequences.
    for t in &ts {
        header(&format!("{} id", t.name), "DEFAULT", &mut out);
        let _ = write!(
            out,
            "ALTER TABLE ONLY public.{t} ALTER COLUMN id SET DEFAULT \
             nextval('public.{t}_id_seq'::regclass);\n\n\n",
            t = t.name
        );
    }

    // Primary keys.
    for t in &ts {
        header(&format!("{t} {t}_pkey", t = t.name), "CONSTRAINT", &mut out);
        let _ = write!(
            out,
            "ALTER TABLE ONLY public.{t}\n    ADD CONSTRAINT {t}_pkey PRIMARY KEY (id);\n\n\n",
            t = t.name
        );
    }

    // Indexes.
    for t in &ts {
        for (k, cols) in t.indexes.iter().enumerate() {
            let unique = t.unique_first && k == 0;
            let name = format!("index_{}_on_{}", t.name, cols.join("_and_"));
            header(&name, "INDEX", &mut out);
            let _ = write!(
                out,
                "CREATE {}INDEX {name} ON public.{} USING btree ({}){};\n\n\n",
                if unique { "UNIQUE " } else { "" },
                t.name,
                cols.join(", "),
                if t.partial[k] {
                    " WHERE (created_at > '2020-01-01 00:00:00+00'::timestamp with time zone)"
                } else {
                    ""
                }
            );
            counts.indexes += 1;
        }
    }

    // Triggers.
    for (i, t) in ts.iter().enumerate() {
        if i % 100 != 99 {
            continue;
        }
        let trig = format!("{}_touch", t.name);
        header(&format!("{} {trig}", t.name), "TRIGGER", &mut out);
        let _ = write!(
            out,
            "CREATE TRIGGER {trig} BEFORE UPDATE ON public.{} FOR EACH ROW \
             EXECUTE FUNCTION public.{trig}();\n\n\n",
            t.name
        );
        counts.triggers += 1;
    }

    // Foreign keys.
    for t in &ts {
        for (col, parent, on_delete) in &t.fks {
            let name = format!("fk_{}_{col}", t.name);
            header(&format!("{} {name}", t.name), "FK CONSTRAINT", &mut out);
            let _ = write!(
                out,
                "ALTER TABLE ONLY public.{}\n    ADD CONSTRAINT {name} FOREIGN KEY ({col}) \
                 REFERENCES public.{parent}(id){on_delete};\n\n\n",
                t.name
            );
            counts.foreign_keys += 1;
        }
    }

    out.push_str("--\n-- PostgreSQL database dump complete\n--\n\n");
    Synth { text: out, counts }
}
