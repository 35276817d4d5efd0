//! The inputs: a seed corpus read once, and input number `i` of a run made from it by a
//! generator that depends only on (corpus, seed, i), so any input can be made again from its
//! number (the supervisor does that after a crash; `SILO_PLAN_FUZZ_INPUT` reruns one).

use std::path::{Path, PathBuf};

use silo_plan::catalog::{Catalog, QName};
use silo_plan::dump::{self, Dialect, ReadOptions};
use silo_plan::source::SourceFile;

/// The largest dump an input holds, in bytes (all its files together).
pub const MAX_INPUT: usize = 1 << 20;

/// A small, fast, well-mixed generator (SplitMix64); no dependency, same numbers everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut r = Rng(seed ^ 0x6a09_e667_f3bc_c908);
        r.next();
        r
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// True with probability `p` percent.
    pub fn pct(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    /// Roughly log-uniform in `1..=max`: small values often, large ones sometimes.
    pub fn log_size(&mut self, max: usize) -> usize {
        let bits = usize::BITS - max.max(1).leading_zeros();
        let b = self.below(bits as usize + 1) as u32;
        (1 + self.below(1usize << b)).min(max.max(1))
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One seed dump with its statements' byte ranges.
pub struct Doc {
    pub name: String,
    pub text: String,
    pub dialect: Dialect,
    pub stmts: Vec<(usize, usize)>,
    /// Statements (indexes into `stmts`) that create a table.
    pub creates: Vec<usize>,
    /// Statements that add a foreign key.
    pub fks: Vec<usize>,
}

/// Everything inputs are made from.
pub struct Corpus {
    pub dumps: Vec<Doc>,
    pub configs: Vec<String>,
}

fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sql_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "sql" || x == "toml") {
            out.push(p);
        }
    }
}

impl Corpus {
    /// The repository's example and fixture dumps and configs, and the real dumps in
    /// `../shared/schemas/real` (required: the fuzz fails without them, it never shrinks its
    /// corpus silently).
    pub fn load() -> Corpus {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let real = root.join("../shared/schemas/real");
        let mut files = Vec::new();
        sql_files(&root.join("examples"), &mut files);
        sql_files(&root.join("planner/tests/it/fixtures"), &mut files);
        let before = files.len();
        sql_files(&real, &mut files);
        assert!(
            files.len() - before >= 10,
            "the fuzz seeds from the real dumps in {}: found {} .sql files there",
            real.display(),
            files.len() - before
        );
        let mut c = Corpus {
            dumps: Vec::new(),
            configs: Vec::new(),
        };
        for p in files {
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
            let name = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            if name.ends_with(".toml") {
                c.configs.push(text);
                continue;
            }
            let dialect = if name.contains("mysql") {
                Dialect::MySql
            } else {
                Dialect::Postgres
            };
            let pieces = dump::split::split(&text, dialect);
            let stmts = pieces.iter().map(|p| (p.start, p.end)).collect();
            let (mut creates, mut fks) = (Vec::new(), Vec::new());
            for (i, p) in pieces.iter().enumerate() {
                let sql = p.sql(&text).to_ascii_uppercase();
                if sql.starts_with("CREATE TABLE") || sql.starts_with("CREATE UNLOGGED TABLE") {
                    creates.push(i);
                } else if sql.starts_with("ALTER TABLE") && sql.contains("FOREIGN KEY") {
                    fks.push(i);
                }
            }
            c.dumps.push(Doc {
                name,
                text,
                dialect,
                stmts,
                creates,
                fks,
            });
        }
        assert!(!c.configs.is_empty(), "no silo-plan.toml among the seeds");
        c
    }
}

/// One input: the dump files (bytes, as they would be on disk), the config, and how to run.
#[derive(Clone)]
pub struct Input {
    pub files: Vec<Vec<u8>>,
    pub config: Vec<u8>,
    /// `--strict`.
    pub strict: bool,
    /// Which table `explain` looks at (modulo the number of tables).
    pub explain: usize,
    /// Run the pipeline twice and compare every output.
    pub twice: bool,
    /// How it was made (seed file, window, mutations), for the crash report.
    pub how: String,
}

/// Tokens that change how a dump splits or reads, spliced in at random places.
const SQL_TOKENS: &[&str] = &[
    "'",
    "''",
    "\"",
    "\"\"",
    "E'",
    "e'\\'",
    "$$",
    "$a$",
    "$body$",
    "$1",
    "/*",
    "*/",
    "/* /* */",
    "--",
    "-- x\n",
    "\n",
    "\r\n",
    "\r",
    ";",
    ";;",
    "(",
    ")",
    "((((",
    "))))",
    ",",
    ".",
    "\\",
    "\\.\n",
    "\\restrict abc\n",
    "\\connect db\n",
    "\\unrestrict abc\n",
    "#",
    "`",
    "DELIMITER //\n",
    "DELIMITER ;\n",
    "//",
    "BEGIN ATOMIC ",
    " END",
    "\u{feff}",
    "\u{0}",
    "\t",
    "é",
    "ß",
    "𝔘",
    "👩‍👩‍👧",
    "\u{202e}",
    "\u{200b}",
    "Ω",
    "\u{ffff}",
    "COPY public.t (a) FROM stdin;\n1\n",
    "SET standard_conforming_strings = off;\n",
    "SET standard_conforming_strings = on;\n",
    "SET search_path = '', pg_catalog;\n",
    "SET search_path = x, public;\n",
    "CREATE TABLE ",
    "CREATE UNLOGGED TABLE ",
    "CREATE TABLE t (id int PRIMARY KEY);\n",
    "ALTER TABLE ONLY ",
    "ALTER TABLE ",
    " ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES ",
    " REFERENCES ",
    " ON DELETE CASCADE",
    " ON DELETE SET NULL (a)",
    " ON DELETE SET DEFAULT ",
    " ON DELETE ",
    " MATCH FULL",
    " DEFERRABLE INITIALLY DEFERRED",
    " NOT VALID",
    " PARTITION OF ",
    " FOR VALUES FROM (1) TO (2)",
    " PARTITION BY RANGE (a)",
    " INHERITS (",
    " PRIMARY KEY (",
    " UNIQUE (",
    "CREATE VIEW v AS SELECT * FROM ",
    "CREATE MATERIALIZED VIEW ",
    "CREATE SEQUENCE s",
    "ALTER SEQUENCE s OWNED BY ",
    " OWNED BY ",
    "GENERATED BY DEFAULT AS IDENTITY",
    "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM ",
    "CREATE TRIGGER tr AFTER DELETE ON ",
    " EXECUTE FUNCTION f()",
    "CREATE POLICY p ON ",
    "CREATE INDEX ON ONLY ",
    "CREATE TYPE ",
    "COMMENT ON TABLE ",
    "GRANT SELECT ON ",
    " OWNER TO ",
    "CREATE SCHEMA ",
    "CREATE EXTENSION ",
    "public.",
    "\"public\".",
    "pg_catalog.",
    "nextval('",
    "'::regclass)",
    "::text",
    "ARRAY[",
    "]",
    "[]",
    "WITH (",
    "USING btree (",
    "CHECK (",
    "DEFAULT ",
    "NOT NULL",
    "NULL",
    "IF NOT EXISTS ",
    "ONLY ",
    "*",
    "?",
    "0",
    "-1",
    "99999999999999999999",
];

/// Tokens that change how a config parses.
const TOML_TOKENS: &[&str] = &[
    "\"",
    "'",
    "'''",
    "\"\"\"",
    "[",
    "]",
    "[[",
    "]]",
    "=",
    ",",
    "#",
    "\n",
    "{",
    "}",
    "\\",
    "\\u0000",
    "\\uD800",
    "\\U0010FFFF",
    "\\n",
    ".",
    "*",
    "?",
    "é",
    "\u{feff}",
    "\u{0}",
    "\r",
    "\t",
    "version = 1\n",
    "version = 2\n",
    "[silos.x]\n",
    "[silos.\"\"]\n",
    "tables = [\"*\"]\n",
    "tables = []\n",
    "tables = [\"public.*\"]\n",
    "[[edges]]\n",
    "from = \"a.b\"\n",
    "constraint = \"c\"\n",
    "on_delete = \"set-null\"\n",
    "on_delete = \"bogus\"\n",
    "[[allow]]\n",
    "reason = \"\"\n",
    "reason = \"x\"\n",
    "origin = \"x\"\n",
    "[shared]\n",
    "instances = []\n",
    "instances = [\"us\", \"us\"]\n",
    "default_schema = \"\"\n",
    "dialect = \"mysql\"\n",
    "[defaults]\n",
    "unassigned = \"warn\"\n",
    "schema = []\n",
    "a = [[[[[[[[1]]]]]]]]\n",
    "x = {a = {b = {c = 1}}}\n",
    "1979-05-27T07:32:00Z",
    "inf",
    "nan",
    "0x10",
    "1e400",
];

const SILO_NAMES: &[&str] = &["control", "region", "a", "b", "c-1", "x_y", "Z9"];
const BAD_SILO_NAMES: &[&str] = &["", "1x", "é", "with space", "shared", "a.b", "-", "x\"y"];
const ACTIONS: &[&str] = &["cascade", "set-null", "set-default", "restrict", "ignore"];

/// Input number `i` of the run with `seed`.
pub fn input(c: &Corpus, seed: u64, i: u64) -> Input {
    input_with(c, seed, i, true)
}

/// Input `i` with a fixed config instead of its own: when reading the dump to write the config
/// is what panics, the dump alone is what to keep.
pub fn dump_only(c: &Corpus, seed: u64, i: u64) -> Input {
    input_with(c, seed, i, false)
}

fn input_with(c: &Corpus, seed: u64, i: u64, own_config: bool) -> Input {
    let mut r = Rng::new(seed ^ i.wrapping_mul(0xd1b5_4a32_d192_ed03));
    // MySQL dumps are only split for now (no tables): one input in twenty.
    let (pg, my): (Vec<&Doc>, Vec<&Doc>) =
        c.dumps.iter().partition(|d| d.dialect == Dialect::Postgres);
    let doc = if my.is_empty() || r.pct(95) {
        *r.pick(&pg)
    } else {
        *r.pick(&my)
    };
    let mut how = Vec::new();
    let synth = r.pct(25);
    let mut text = if synth {
        how.push("synthetic schema".into());
        synthetic(&mut r).into_bytes()
    } else {
        window(&mut r, doc, &mut how).into_bytes()
    };
    // Tables and their keys from anywhere in the dump, so windows deep in the constraints
    // section still have tables to plan.
    if !synth && r.pct(70) && !doc.creates.is_empty() {
        let n = r.log_size(200);
        let mut pre = Vec::new();
        for _ in 0..n {
            let (s, e) = doc.stmts[*r.pick(&doc.creates)];
            pre.extend_from_slice(&doc.text.as_bytes()[s..e]);
        }
        let mut post = Vec::new();
        if !doc.fks.is_empty() && r.pct(60) {
            for _ in 0..r.log_size(200) {
                let (s, e) = doc.stmts[*r.pick(&doc.fks)];
                post.extend_from_slice(&doc.text.as_bytes()[s..e]);
            }
        }
        how.push(format!(
            "{n} tables before, {} bytes of keys after",
            post.len()
        ));
        text.splice(0..0, pre);
        text.extend(post);
    }
    if r.pct(15) {
        let other = r.pick(&c.dumps);
        let w = window(&mut r, other, &mut how).into_bytes();
        let at = boundary(&mut r, &text);
        text.splice(at..at, w);
    }
    let n = match r.below(100) {
        _ if synth && r.pct(60) => 0,
        0..=24 => 0,
        25..=69 => 1 + r.below(3),
        _ => 4 + r.below(13),
    };
    for _ in 0..n {
        mutate_sql(&mut r, &mut text, c, &mut how);
    }
    text.truncate(MAX_INPUT);
    if std::str::from_utf8(&text).is_err() && r.pct(92) {
        text = String::from_utf8_lossy(&text).into_owned().into_bytes();
    }
    let files = split_files(&mut r, text, &mut how);
    let strict = r.pct(10);
    let explain = r.below(1 << 20);
    let twice = r.pct(6);
    let config = match if own_config { r.below(100) } else { 100 } {
        100 => {
            how.push("a fixed config (the generator panicked on this dump)".into());
            b"version = 1\n\n[defaults]\nunassigned = \"warn\"\n\n[silos.a]\ntables = [\"*\"]\n"
                .to_vec()
        }
        0..=9 => {
            how.push("seed config".into());
            let mut t = r.pick(&c.configs).clone().into_bytes();
            for _ in 0..r.below(7) {
                mutate_toml(&mut r, &mut t, &mut how);
            }
            t
        }
        10..=34 => {
            how.push("config with faults".into());
            let mut t = config_for(&mut r, &files, doc.dialect, true).into_bytes();
            if r.pct(50) {
                for _ in 0..1 + r.below(4) {
                    mutate_toml(&mut r, &mut t, &mut how);
                }
            }
            t
        }
        _ => config_for(&mut r, &files, doc.dialect, false).into_bytes(),
    };
    Input {
        files,
        config,
        strict,
        explain,
        twice,
        how: format!("{}; {}", doc.name, how.join(", ")),
    }
}

/// A run of consecutive statements of `doc` (sometimes all of a small one).
fn window(r: &mut Rng, doc: &Doc, how: &mut Vec<String>) -> String {
    if doc.stmts.is_empty() || (doc.text.len() <= 256 * 1024 && r.pct(8)) {
        how.push(format!("all of {}", doc.name));
        return doc.text.clone();
    }
    let n = if r.pct(50) {
        r.log_size(400)
    } else {
        50 + r.log_size(1500)
    };
    let first = r.below(doc.stmts.len());
    let last = (first + n).min(doc.stmts.len()) - 1;
    how.push(format!("{} statements {first}..={last}", doc.name));
    doc.text[doc.stmts[first].0..doc.stmts[last].1].to_string()
}

/// A random position in `b`, at a character boundary when `b` is UTF-8.
fn boundary(r: &mut Rng, b: &[u8]) -> usize {
    let mut at = r.below(b.len() + 1);
    if let Ok(s) = std::str::from_utf8(b) {
        while !s.is_char_boundary(at) {
            at -= 1;
        }
    }
    at
}

fn mutate_sql(r: &mut Rng, t: &mut Vec<u8>, c: &Corpus, how: &mut Vec<String>) {
    let at = boundary(r, t);
    match r.below(14) {
        0 => {
            if !t.is_empty() {
                let i = r.below(t.len());
                t[i] ^= 1 << r.below(8);
                how.push(format!("bit flip at {i}"));
            }
        }
        1 => {
            if !t.is_empty() {
                let i = r.below(t.len());
                t[i] = *r.pick(b"'\"$;()\\\n-/*`#E. \0\xff\xc3");
                how.push(format!("byte set at {i}"));
            }
        }
        2..=4 => {
            let tok = *r.pick(SQL_TOKENS);
            t.splice(at..at, tok.bytes());
            how.push(format!("insert {tok:?} at {at}"));
        }
        5 => {
            let len = r.log_size(4096).min(t.len() - at);
            t.drain(at..at + len);
            how.push(format!("delete {len} at {at}"));
        }
        6 => {
            let len = r.log_size(4096).min(t.len() - at);
            let piece = t[at..at + len].to_vec();
            let to = boundary(r, t);
            t.splice(to..to, piece);
            how.push(format!("duplicate {len} from {at} to {to}"));
        }
        7 => {
            let doc = r.pick(&c.dumps);
            if let Some(&(s, e)) = doc.stmts.get(r.below(doc.stmts.len())) {
                t.splice(at..at, doc.text.as_bytes()[s..e].iter().copied());
                how.push(format!("splice a statement of {} at {at}", doc.name));
            }
        }
        8 => {
            t.truncate(at);
            how.push(format!("truncate at {at}"));
        }
        9 => {
            let n = r.log_size(100_000);
            let quoted = r.pct(50);
            let mut id = Vec::with_capacity(n + 2);
            if quoted {
                id.push(b'"');
            }
            id.extend(std::iter::repeat_n(*r.pick(b"ax_\xc3"), n));
            if quoted {
                id.push(b'"');
            }
            t.splice(at..at, id);
            how.push(format!("identifier of {n} at {at}"));
        }
        10 => {
            let open = r.log_size(20_000);
            let close = if r.pct(70) { open } else { r.log_size(20_000) };
            let mut p = vec![b'('; open];
            p.extend(std::iter::repeat_n(b')', close));
            t.splice(at..at, p);
            how.push(format!("{open} ( and {close} ) at {at}"));
        }
        11 => {
            t.splice(0..0, "\u{feff}".bytes());
            how.push("BOM".into());
        }
        12 => {
            let s = String::from_utf8_lossy(t).into_owned();
            let i = s.find(' ').unwrap_or(0);
            let name = *r.pick(&[
                "\"a\"\"b\"",
                "\"x.y\"",
                "\"\"",
                "\"Ω\"",
                "\"a;b\"",
                "\"$$\"",
            ]);
            let mut out = s[..i].to_string();
            out.push(' ');
            out.push_str(name);
            out.push_str(&s[i..]);
            *t = out.into_bytes();
            how.push(format!("name {name}"));
        }
        _ => {
            // Swap two chunks: statements out of their order.
            let a = boundary(r, t);
            let b = boundary(r, t);
            let (a, b) = (a.min(b), a.max(b));
            let mid = boundary(r, &t[a..b]) + a;
            t[a..b].rotate_left(mid - a);
            how.push(format!("rotate {a}..{b}"));
        }
    }
}

fn mutate_toml(r: &mut Rng, t: &mut Vec<u8>, how: &mut Vec<String>) {
    let at = boundary(r, t);
    match r.below(6) {
        0 => {
            if !t.is_empty() {
                let i = r.below(t.len());
                t[i] ^= 1 << r.below(8);
                how.push(format!("config bit flip at {i}"));
            }
        }
        1..=3 => {
            let tok = *r.pick(TOML_TOKENS);
            t.splice(at..at, tok.bytes());
            how.push(format!("config insert {tok:?} at {at}"));
        }
        4 => {
            let len = r.log_size(256).min(t.len() - at);
            t.drain(at..at + len);
            how.push(format!("config delete {len} at {at}"));
        }
        _ => {
            t.truncate(at);
            how.push(format!("config truncate at {at}"));
        }
    }
}

/// The dump as one file, or cut into up to 4 (read in order, as a migrations directory).
fn split_files(r: &mut Rng, text: Vec<u8>, how: &mut Vec<String>) -> Vec<Vec<u8>> {
    if !r.pct(15) {
        return vec![text];
    }
    let mut cuts: Vec<usize> = (0..1 + r.below(3)).map(|_| boundary(r, &text)).collect();
    cuts.sort();
    how.push(format!("files cut at {cuts:?}"));
    let mut out = Vec::new();
    let mut from = 0;
    for c in cuts {
        out.push(text[from..c].to_vec());
        from = c;
    }
    out.push(text[from..].to_vec());
    out
}

/// `s` as a TOML basic string.
pub fn toml_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn list(items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", v.join(", "))
}

/// A pattern string, sometimes mangled.
/// A table a pattern can name: no glob characters, no dots.
fn plain(schema: &str, name: &str) -> bool {
    let ok = |s: &str| !s.is_empty() && !s.contains(['*', '?', '.']);
    ok(schema) && ok(name)
}

/// True with probability `p` percent when the config is to have faults.
fn bad(r: &mut Rng, faults: bool, p: u64) -> bool {
    faults && r.pct(p)
}

fn mangle(r: &mut Rng, faults: bool, p: String) -> String {
    if !bad(r, faults, 8) {
        return p;
    }
    let mut p = p;
    match r.below(6) {
        0 => p.push('*'),
        1 => p.insert(0, '?'),
        2 => p = format!("{p}.{p}"),
        3 => p.clear(),
        4 => p = "*".repeat(1 + r.below(40)),
        _ => p.push_str(r.pick::<&str>(&["[", "]", "\\", "é", "\u{0}", "..", "*.*"])),
    }
    p
}

/// The catalog of the input's dump, as far as it reads (the generator's own view of it).
fn catalog(files: &[Vec<u8>], dialect: Dialect) -> Catalog {
    let sources: Vec<SourceFile> = files
        .iter()
        .enumerate()
        .map(|(i, f)| SourceFile::new(format!("{i}.sql"), String::from_utf8_lossy(f).into_owned()))
        .collect();
    dump::read(&sources, &ReadOptions { dialect })
}

/// A config in silo-plan's grammar for the tables the dump defines: silos, patterns (exact,
/// prefix globs, whole schemas, sometimes mangled), shared tables, origin, instances, defaults,
/// edges and allows on its real foreign keys, and now and then a value that is wrong.
pub fn config_for(r: &mut Rng, files: &[Vec<u8>], dialect: Dialect, faults: bool) -> String {
    let cat = catalog(files, dialect);
    let mut o = String::new();
    o.push_str(if bad(r, faults, 3) {
        "version = 2\n"
    } else {
        "version = 1\n"
    });
    if r.pct(30) {
        o.push_str("schema = [\"schema.sql\"]\n");
    }
    if dialect == Dialect::MySql || bad(r, faults, 3) {
        o.push_str("dialect = \"mysql\"\n");
    } else if r.pct(10) {
        o.push_str("dialect = \"postgres\"\n");
    }
    let default_schema = if r.pct(8) {
        let s = cat
            .tables
            .get(r.below(cat.tables.len()))
            .map_or("public".to_string(), |t| t.schema.clone());
        o.push_str(&format!("default_schema = {}\n", toml_str(&s)));
        s
    } else {
        "public".to_string()
    };
    let nsilos = if bad(r, faults, 3) { 0 } else { 1 + r.below(4) };
    let mut names: Vec<String> = Vec::new();
    while names.len() < nsilos {
        let n = if bad(r, faults, 3) {
            r.pick(BAD_SILO_NAMES).to_string()
        } else {
            r.pick(SILO_NAMES).to_string()
        };
        if !names.contains(&n) || bad(r, faults, 2) {
            names.push(n);
        }
    }
    // Tables come after every top-level key (origin is chosen below).
    let mut d = String::new();
    if r.pct(60) {
        d.push_str("\n[defaults]\n");
        if r.pct(70) {
            let a = if bad(r, faults, 3) {
                "bogus"
            } else {
                *r.pick(ACTIONS)
            };
            d.push_str(&format!("on_delete = \"{a}\"\n"));
        }
        if r.pct(80) {
            let u = match r.below(20) {
                0 if faults => "maybe",
                1..=5 => "error",
                _ => "warn",
            };
            d.push_str(&format!("unassigned = \"{u}\"\n"));
        }
    }
    let slots = names.len();
    let mut patterns: Vec<Vec<String>> = vec![Vec::new(); slots];
    let mut shared: Vec<String> = Vec::new();
    let name_of = |q: &QName| {
        if q.schema == default_schema && !q.name.contains('.') {
            q.name.clone()
        } else {
            q.to_string()
        }
    };
    let mut by_schema: Option<(String, usize)> = None;
    if slots > 0 && r.pct(10) {
        if let Some(t) = cat.tables.get(r.below(cat.tables.len())) {
            by_schema = Some((t.schema.clone(), r.below(slots)));
        }
    }
    let mut used = std::collections::BTreeSet::new();
    for t in &cat.tables {
        let parent_read = t.partition_of.as_ref().is_some_and(|p| {
            cat.tables
                .iter()
                .any(|x| x.schema == p.schema && x.name == p.name)
        });
        if parent_read && (!faults || r.pct(85)) {
            continue; // follows its parent
        }
        let q = t.qname();
        if !faults && !plain(&q.schema, &q.name) {
            continue; // a pattern cannot name it: left unassigned
        }
        if let Some((s, slot)) = &by_schema {
            if *s == q.schema && r.pct(90) {
                let p = format!("{s}.*");
                if !patterns[*slot].contains(&p) {
                    patterns[*slot].push(p);
                }
                continue;
            }
        }
        let roll = r.below(100);
        if slots == 0 || roll < 6 {
            continue;
        }
        let pat = if r.pct(15) && q.name.chars().count() > 3 {
            let k = 1 + r.below(q.name.chars().count() - 1);
            let prefix: String = q.name.chars().take(k).collect();
            let mut q2 = q.clone();
            q2.name = format!("{prefix}*");
            name_of(&q2)
        } else {
            name_of(&q)
        };
        let pat = mangle(r, faults, pat);
        if !used.insert(pat.clone()) && !bad(r, faults, 20) {
            continue; // listed already (a glob, or a table read twice)
        }
        if roll < 12 {
            shared.push(pat);
        } else {
            patterns[r.below(slots)].push(pat);
        }
    }
    // A silo with no tables is an error: keep one now and then.
    let keep: Vec<usize> = (0..slots)
        .filter(|&i| !patterns[i].is_empty() || bad(r, faults, 3))
        .collect();
    if !keep.is_empty() && r.pct(85) {
        let origin = if !bad(r, faults, 5) {
            names[*r.pick(&keep)].clone()
        } else {
            "nowhere".to_string()
        };
        o.push_str(&format!("origin = {}\n", toml_str(&origin)));
    }
    o.push_str(&d);
    for &i in &keep {
        let n = &names[i];
        o.push_str(&format!("\n[silos.{}]\n", toml_str(n)));
        if !patterns[i].is_empty() || r.pct(50) {
            o.push_str(&format!("tables = {}\n", list(&patterns[i])));
        }
        if r.pct(15) {
            let inst: Vec<String> = match r.below(6) {
                0 if faults => vec![],
                1 if faults => vec!["us".into(), "us".into()],
                2 if faults => vec!["".into()],
                _ => vec!["us".into(), "de".into()],
            };
            o.push_str(&format!("instances = {}\n", list(&inst)));
        }
    }
    if !shared.is_empty() || bad(r, faults, 5) {
        o.push_str(&format!("\n[shared]\ntables = {}\n", list(&shared)));
    }
    for kind in ["edges", "allow"] {
        let n = if cat.foreign_keys.is_empty() && !faults {
            0
        } else {
            r.below(4)
        };
        for _ in 0..n {
            o.push_str(&format!("\n[[{kind}]]\n"));
            let fk = cat.foreign_keys.get(r.below(cat.foreign_keys.len()));
            let by_constraint = r.pct(40);
            match fk {
                Some(fk)
                    if !bad(r, faults, 5)
                        && (faults
                            || (plain(&fk.table.schema, &fk.table.name)
                                && fk.columns.iter().all(|c| !c.contains('.')))) =>
                {
                    if by_constraint {
                        o.push_str(&format!("constraint = {}\n", toml_str(&fk.name)));
                    } else {
                        let col = fk.columns.first().cloned().unwrap_or_default();
                        let from = mangle(r, faults, format!("{}.{col}", name_of(&fk.table)));
                        o.push_str(&format!("from = {}\n", toml_str(&from)));
                    }
                    if bad(r, faults, 3) {
                        o.push_str("constraint = \"both\"\n");
                    }
                }
                _ => o.push_str("from = \"no_such_table.col\"\n"),
            }
            if kind == "edges" {
                if !bad(r, faults, 5) {
                    o.push_str(&format!("on_delete = \"{}\"\n", r.pick(ACTIONS)));
                }
            } else if !bad(r, faults, 5) {
                let reason = if bad(r, faults, 5) {
                    ""
                } else {
                    "tracked in #1"
                };
                o.push_str(&format!("reason = {}\n", toml_str(reason)));
            }
        }
    }
    o
}

/// Names for synthetic schemas: plain, reserved (quoted), awkward (quotes, dots, spaces,
/// non-ASCII, longer than Postgres's 63 bytes), and some that collide with each other by case.
const NAMES: &[&str] = &[
    "users",
    "orgs",
    "teams",
    "posts",
    "comments",
    "events",
    "tags",
    "a",
    "b",
    "t1",
    "Users",
    "\"user\"",
    "\"select\"",
    "\"Mixed Case\"",
    "\"a.b\"",
    "\"q\"\"uote\"",
    "\"ü\"",
    "\"日本\"",
    "\"\"",
    "\"a;b\"",
    "\"$$\"",
    "\"*\"",
    "\"?x\"",
    "\"--\"",
    "a_name_that_is_longer_than_sixty_three_bytes_which_postgres_truncates_x",
    "\"a_quoted_name_that_is_longer_than_sixty_three_bytes_which_postgres_truncates\"",
];
const SCHEMAS: &[&str] = &["public", "app", "\"Odd Schema\"", "pg_temp", "x"];
const TYPES: &[&str] = &[
    "integer",
    "bigint",
    "text",
    "uuid",
    "character varying(10)",
    "integer[]",
    "jsonb",
    "timestamp with time zone",
    "numeric(10,2)",
    "public.mood",
    "\"weird type\"",
];
const FK_ACTIONS: &[&str] = &[
    "",
    " ON DELETE CASCADE",
    " ON DELETE SET NULL",
    " ON DELETE SET DEFAULT",
    " ON DELETE RESTRICT",
    " ON DELETE NO ACTION",
    " ON DELETE SET NULL (c0)",
    " ON DELETE SET DEFAULT (c1, c0)",
    " ON DELETE SET NULL (nope)",
    " ON UPDATE CASCADE ON DELETE CASCADE",
    " ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED",
    " MATCH FULL ON DELETE SET NULL",
];

fn pick_name(r: &mut Rng) -> String {
    let n = r.pick(NAMES).to_string();
    if r.pct(60) {
        format!("{n}{}", r.below(50))
            .replace("\"0", "0\"")
            .replace("\"\"1", "\"1\"")
    } else {
        n
    }
}

/// Two to four columns `c0`, `c1`, ... from `0..n` (sometimes past the table's columns).
fn cols(r: &mut Rng, n: usize) -> Vec<String> {
    let k = 1 + r.below(3);
    (0..k)
        .map(|_| {
            let past = usize::from(r.pct(5));
            format!("c{}", r.below(n + past))
        })
        .collect()
}

/// A schema written from scratch, as pg_dump orders it (tables, then keys, then the rest), with
/// the shapes the planner must get right: composite, self-referencing and cyclic keys, keys of
/// the wrong arity or to columns and tables that do not exist, `SET NULL (cols)`, partitions,
/// inheritance, views over several tables, triggers whose functions write elsewhere, owned
/// sequences and identity columns, policies, and names that need quoting.
pub fn synthetic(r: &mut Rng) -> String {
    let n = r.log_size(60);
    let mut tables: Vec<(String, usize)> = Vec::new();
    let mut o = String::from("SET search_path = '', pg_catalog;\n\n");
    if r.pct(30) {
        o.push_str("CREATE SCHEMA app;\nCREATE SCHEMA \"Odd Schema\";\nCREATE SCHEMA x;\n");
    }
    if r.pct(30) {
        o.push_str("CREATE TYPE public.mood AS ENUM ('a', 'b');\n");
    }
    for _ in 0..n {
        let schema = if r.pct(70) {
            "public"
        } else {
            *r.pick(SCHEMAS)
        };
        let name = format!("{schema}.{}", pick_name(r));
        let ncols = 1 + r.below(6);
        let partitioned = r.pct(10);
        let mut def = format!(
            "CREATE {}TABLE {name} (\n",
            if r.pct(5) { "UNLOGGED " } else { "" }
        );
        let parent = if !tables.is_empty() && r.pct(10) {
            Some(r.pick(&tables).clone())
        } else {
            None
        };
        let cols_sql: Vec<String> = (0..ncols)
            .map(|c| {
                let ty = if c == 0 { "bigint" } else { *r.pick(TYPES) };
                let extra = match r.below(12) {
                    0 => " NOT NULL",
                    1 if c == 0 => " GENERATED BY DEFAULT AS IDENTITY",
                    2 => " DEFAULT nextval('public.seq'::regclass)",
                    3 if c > 0 => " GENERATED ALWAYS AS (c0 * 2) STORED",
                    _ => "",
                };
                format!("    c{c} {ty}{extra}")
            })
            .collect();
        match (&parent, r.below(3)) {
            (Some((p, _)), 0) => {
                def =
                    format!("CREATE TABLE {name} PARTITION OF {p}\nFOR VALUES FROM (1) TO (10);\n");
            }
            (Some((p, _)), 1) => {
                def.push_str(&cols_sql.join(",\n"));
                def.push_str(&format!("\n)\nINHERITS ({p});\n"));
            }
            _ => {
                def.push_str(&cols_sql.join(",\n"));
                def.push_str(if partitioned {
                    "\n)\nPARTITION BY RANGE (c0);\n"
                } else {
                    "\n);\n"
                });
            }
        }
        o.push_str(&def);
        if r.pct(30) {
            o.push_str(&format!(
                "CREATE SEQUENCE {name}_seq START WITH 1;\nALTER SEQUENCE {name}_seq OWNED BY {name}.c0;\n"
            ).replace("\"_seq", "_seq\""));
        }
        tables.push((name, ncols));
    }
    for (name, _) in &tables {
        if r.pct(80) {
            o.push_str(&format!(
                "ALTER TABLE ONLY {name}\n    ADD CONSTRAINT pk_{} PRIMARY KEY (c0);\n",
                r.below(1000)
            ));
        }
    }
    let nfk = r.log_size(3 * n.max(1));
    for k in 0..nfk {
        let (child, cn) = r.pick(&tables).clone();
        let (parent, pn) = if r.pct(10) {
            (child.clone(), cn)
        } else if r.pct(3) {
            ("public.missing".to_string(), 2)
        } else {
            r.pick(&tables).clone()
        };
        let c = cols(r, cn);
        let mut p = cols(r, pn);
        if !r.pct(5) {
            p.truncate(c.len());
            while p.len() < c.len() {
                p.push("c0".into());
            }
        }
        let refs = if r.pct(10) {
            String::new()
        } else {
            format!("({})", p.join(", "))
        };
        let cname = if r.pct(5) {
            "dup".to_string()
        } else {
            format!("fk_{k}")
        };
        o.push_str(&format!(
            "ALTER TABLE {}{child}\n    ADD CONSTRAINT {cname} FOREIGN KEY ({}) REFERENCES {parent}{refs}{}{};\n",
            if r.pct(80) { "ONLY " } else { "" },
            c.join(", "),
            r.pick(FK_ACTIONS),
            if r.pct(5) { " NOT VALID" } else { "" },
        ));
    }
    for v in 0..r.below(4) {
        let a = r.pick(&tables).0.clone();
        let b = r.pick(&tables).0.clone();
        o.push_str(&format!(
            "CREATE {}VIEW public.v{v} AS\n SELECT x.c0 FROM ({a} x JOIN {b} y ON ((x.c0 = y.c0)));\n",
            if r.pct(20) { "MATERIALIZED " } else { "" }
        ));
    }
    for f in 0..r.below(3) {
        let target = r.pick(&tables).0.clone();
        let on = r.pick(&tables).0.clone();
        o.push_str(&format!(
            "CREATE FUNCTION public.f{f}() RETURNS trigger\n    LANGUAGE plpgsql\n    AS $$\nBEGIN\n  DELETE FROM {target} WHERE c0 = OLD.c0;\n  RETURN OLD;\nEND;\n$$;\n\
             CREATE TRIGGER tr{f} AFTER DELETE ON {on} FOR EACH ROW EXECUTE FUNCTION public.f{f}();\n"
        ));
    }
    if r.pct(20) {
        let t = r.pick(&tables).0.clone();
        o.push_str(&format!(
            "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON {t} USING ((c0 > 0));\n"
        ));
    }
    if r.pct(20) {
        let t = r.pick(&tables).0.clone();
        o.push_str(&format!(
            "CREATE INDEX idx ON {t} USING btree (c0);\nCOMMENT ON TABLE {t} IS 'it''s';\nGRANT SELECT ON TABLE {t} TO reader;\n"
        ));
    }
    o
}
