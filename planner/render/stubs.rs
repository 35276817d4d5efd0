//! Rendering `stubs/<lang>/` from [`Stubs`]: Python (typing + psycopg 3), TypeScript (`pg`),
//! Go (pgx's types; `database/sql` for the pump), Rust (the `postgres` crate) and Ruby (`pg`).
//!
//! Every language gets the same parts: a record per parent table, a lookup interface per silo
//! that owns parents (the calls that used to be joins), one generic cascade handler with the
//! table of replicated deletes, the restrict guards, the reserve and release functions of keys
//! unique across instances (when `global_unique` plans any), and the tombstone pump. This module decides
//! how names and types are spelled in each language (a record's field has the type its driver
//! returns: see `Lang::spell_ty`); the templates in `templates/stubs/` lay them out, but for
//! the records' fields (every column of every parent table, the hottest list), which `Fields`
//! writes straight into the file, a line layout per language. Each file is written as its
//! formatter writes it (ruff format, prettier, gofmt, rustfmt) and passes its linter with the
//! defaults (ruff check, go vet, clippy, rubocop): the few constructs whose width depends on
//! names from the dump are laid out by `layout`, Ruby's long literals and comments cut to 120
//! columns.
//!
//! Names from the dump become identifiers through [`words`]: ASCII letters and digits split into
//! words (case changes and every other character separate words; a non-ASCII character becomes
//! a word of its own, `u` and its code point in hex), then each language's case (Go's
//! initialisms in capitals, `UserID`; Ruby's numbers after letters, `a2`; a record's last word
//! singular, `AddOn`), a trailing `_` on a keyword or a name the file already uses, and `_2`,
//! `_3` (`2`, `3` in Ruby) on a collision, in a fixed order.
//! SQL keeps the real names, quoted by [`crate::ident`], inside string literals escaped for the
//! language.

use std::borrow::Cow;

use askama::Template;

use super::{OutFile, RenderError};
use crate::config::EdgeAction;
use crate::plan::stubs::{FieldType, Kind, StubColumn, StubParent, Stubs};

/// The languages stubs are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Python 3.10+, typing and psycopg 3.
    Python,
    /// TypeScript with `pg`.
    TypeScript,
    /// Go: records typed as pgx scans them, the pump over `database/sql`.
    Go,
    /// Rust, the `postgres` crate (sync; tokio-postgres's types).
    Rust,
    /// Ruby, `pg`.
    Ruby,
}

const PYTHON_RESERVED: &str = "\
    False None True and as assert async await break class continue def del elif else except \
    finally for from global if import in is lambda nonlocal not or pass raise return try while \
    with yield match case type _ self cls psycopg dataclasses datetime decimal uuid collections \
    Any Mapping MutableMapping Protocol Sequence list dict tuple int str float bool bytes object \
    JsonValue PumpResult Cascade CASCADES after_delete _exists parent child children marks \
    source since batch_size keys conn annotations table sql params
";

const TS_RESERVED: &str = "\
    break case catch class const continue debugger default delete do else enum export extends \
    false finally for function if import in instanceof new null return super switch this throw \
    true try typeof var void while with as implements interface let package private protected \
    public static yield any boolean constructor declare get module require number set string \
    symbol type from of async await bigint unknown never object undefined arguments eval Promise \
    Array ReadonlyArray Date Buffer Record Map Set Object String Number Boolean BigInt JSON \
    Error Json PostgresInterval ClientBase PumpResult parent child children marks source since batchSize keys \
    conn
";

const GO_RESERVED: &str = "\
    break case chan const continue default defer else fallthrough for func go goto if import \
    interface map package range return select struct switch type var bool byte complex64 \
    complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 \
    uint32 uint64 uintptr true false iota nil append cap close complex copy delete imag len make \
    new panic print println real recover any comparable context sql json time fmt ctx db tx err \
    PumpResult Pump parent child children marks source since batchSize keys conn
";

const RUST_RESERVED: &str = "\
    as break const continue crate else enum extern false fn for if impl in let loop match mod \
    move mut pub ref return self Self static struct super trait true type unsafe use where while \
    async await dyn abstract become box do final macro override priv typeof unsized virtual \
    yield try gen union String Vec Option Result Box Ok Err Some None Client Error PumpResult \
    postgres std core parent child children marks source since batch_size keys conn
";

const RUBY_RESERVED: &str = "\
    BEGIN END alias and begin break case class def defined do else elsif end ensure false for if \
    in module next nil not or redo rescue retry return self super then true undef unless until \
    when while yield __FILE__ __LINE__ __ENCODING__ hash object_id send method methods to_a to_h \
    to_s members values size length each select filter dig freeze inspect eql equal dup clone \
    display tap then Struct Integer String Float Hash Array Object Kernel Time Data Comparable \
    PG JSON NotImplementedError PumpResult parent child children marks source since batch_size \
    keys conn p puts raise require
";

impl Lang {
    /// Every language, in output order.
    pub const ALL: [Lang; 5] = [
        Lang::Python,
        Lang::TypeScript,
        Lang::Go,
        Lang::Rust,
        Lang::Ruby,
    ];

    /// The position in [`Lang::ALL`].
    fn index(self) -> usize {
        match self {
            Lang::Python => 0,
            Lang::TypeScript => 1,
            Lang::Go => 2,
            Lang::Rust => 3,
            Lang::Ruby => 4,
        }
    }

    /// This language's bit in a set of languages.
    fn bit(self) -> u8 {
        1 << self.index()
    }

    /// The directory under `stubs/`.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::TypeScript => "typescript",
            Lang::Go => "go",
            Lang::Rust => "rust",
            Lang::Ruby => "ruby",
        }
    }

    /// Keywords, and names the file itself uses, separated by whitespace.
    fn reserved(self) -> &'static str {
        match self {
            Lang::Python => PYTHON_RESERVED,
            Lang::TypeScript => TS_RESERVED,
            Lang::Go => GO_RESERVED,
            Lang::Rust => RUST_RESERVED,
            Lang::Ruby => RUBY_RESERVED,
        }
    }

    /// A string literal holding `s`.
    pub fn lit(self, s: &str) -> String {
        match self {
            // JSON string syntax is valid Python, JavaScript and Go string syntax (`\uXXXX`
            // escapes for control characters; every other character as itself).
            Lang::Go => json_str(s),
            // ruff format and prettier write a string in double quotes unless it holds more
            // double quotes than single ones.
            Lang::Python | Lang::TypeScript => {
                let lit = json_str(s);
                if s.matches('"').count() > s.matches('\'').count() {
                    single_quoted(&lit)
                } else {
                    lit
                }
            }
            Lang::Ruby => ruby_lit(s),
            Lang::Rust => format!("{s:?}"),
        }
    }

    /// The language type of a column (or element type for `dims > 0`). A scalar (almost every
    /// column) is spelled once per process and borrowed from then on.
    fn ty(self, t: &FieldType, nullable: bool) -> Cow<'static, str> {
        if t.dims == 0 {
            Cow::Borrowed(self.scalar_ty(t.kind, nullable))
        } else {
            Cow::Owned(self.spell_ty(t.kind, t.dims, nullable))
        }
    }

    /// [`Lang::spell_ty`] with no array dimensions, from a table filled on first use.
    fn scalar_ty(self, kind: Kind, nullable: bool) -> &'static str {
        static TABLE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        let table = TABLE.get_or_init(|| {
            let mut t = Vec::with_capacity(Lang::ALL.len() * ALL_KINDS.len() * 2);
            for lang in Lang::ALL {
                for kind in ALL_KINDS {
                    for nullable in [false, true] {
                        t.push(lang.spell_ty(kind, 0, nullable));
                    }
                }
            }
            t
        });
        let l = self.index();
        // ALL_KINDS lists the kinds in their declaration order (a test checks).
        let k = kind as usize;
        &table[(l * ALL_KINDS.len() + k) * 2 + usize::from(nullable)]
    }

    /// The language type of `kind` with `dims` array dimensions, spelled out.
    fn spell_ty(self, kind: Kind, dims: usize, nullable: bool) -> String {
        let base = match (self, kind) {
            // As psycopg 3 loads them.
            (Lang::Python, Kind::Int16 | Kind::Int32 | Kind::Int64) => "int",
            (Lang::Python, Kind::Float32 | Kind::Float64) => "float",
            (Lang::Python, Kind::Decimal) => "decimal.Decimal",
            (Lang::Python, Kind::Uuid) => "uuid.UUID",
            (Lang::Python, Kind::Bool) => "bool",
            (Lang::Python, Kind::Timestamp | Kind::TimestampTz) => "datetime.datetime",
            (Lang::Python, Kind::Date) => "datetime.date",
            (Lang::Python, Kind::Time) => "datetime.time",
            (Lang::Python, Kind::Interval) => "datetime.timedelta",
            (Lang::Python, Kind::Bytes) => "bytes",
            (Lang::Python, Kind::Json) => "JsonValue",
            // psycopg loads an array of a type it has no loader for (an enum's, unless
            // registered) as the array's text.
            (Lang::Python, _) => "str",
            // As node-postgres (pg-types 2) parses them: bigint and numeric as strings (a
            // JavaScript number cannot hold every value), but `numeric[]` as numbers (pg-types
            // parses its elements with parseFloat); dates and timestamps as `Date`; an interval
            // as postgres-interval's object; arrays of an enum or another type pg-types does
            // not know as the array's text (`{a,b}`).
            (Lang::TypeScript, Kind::Enum | Kind::Other) if dims > 0 => "string",
            (Lang::TypeScript, Kind::Decimal) if dims > 0 => "number",
            (Lang::TypeScript, Kind::Int16 | Kind::Int32 | Kind::Float32 | Kind::Float64) => {
                "number"
            }
            (Lang::TypeScript, Kind::Bool) => "boolean",
            (Lang::TypeScript, Kind::Bytes) => "Buffer",
            (Lang::TypeScript, Kind::Json) => "Json",
            (Lang::TypeScript, Kind::Timestamp | Kind::TimestampTz | Kind::Date) => "Date",
            (Lang::TypeScript, Kind::Interval) => "PostgresInterval",
            (Lang::TypeScript, _) => "string",
            // As pgx scans them (and its database/sql driver converts them).
            (Lang::Go, Kind::Int16) => "int16",
            (Lang::Go, Kind::Int32) => "int32",
            (Lang::Go, Kind::Int64) => "int64",
            (Lang::Go, Kind::Float32) => "float32",
            (Lang::Go, Kind::Float64) => "float64",
            (Lang::Go, Kind::Bool) => "bool",
            (Lang::Go, Kind::Timestamp | Kind::TimestampTz | Kind::Date) => "time.Time",
            (Lang::Go, Kind::Bytes) => "[]byte",
            (Lang::Go, Kind::Json) => "json.RawMessage",
            (Lang::Go, _) => "string",
            // As the `postgres` crate (tokio-postgres's types) reads them with the features the
            // stub's Cargo.toml enables; interval, enums and other types have no `FromSql` for
            // `String`: select them with `::text`.
            (Lang::Rust, Kind::Int16) => "i16",
            (Lang::Rust, Kind::Int32) => "i32",
            (Lang::Rust, Kind::Int64) => "i64",
            (Lang::Rust, Kind::Float32) => "f32",
            (Lang::Rust, Kind::Float64) => "f64",
            (Lang::Rust, Kind::Bool) => "bool",
            (Lang::Rust, Kind::Decimal) => "rust_decimal::Decimal",
            (Lang::Rust, Kind::Uuid) => "uuid::Uuid",
            (Lang::Rust, Kind::Timestamp) => "chrono::NaiveDateTime",
            (Lang::Rust, Kind::TimestampTz) => "chrono::DateTime<chrono::Utc>",
            (Lang::Rust, Kind::Date) => "chrono::NaiveDate",
            (Lang::Rust, Kind::Time) => "chrono::NaiveTime",
            (Lang::Rust, Kind::Json) => "serde_json::Value",
            (Lang::Rust, Kind::Bytes) => "Vec<u8>",
            (Lang::Rust, _) => "String",
            // As the pg gem decodes them with `PG::BasicTypeMapForResults` (without a type
            // map, every value is a String).
            (Lang::Ruby, Kind::Enum | Kind::Other) if dims > 0 => "String",
            (Lang::Ruby, Kind::Int16 | Kind::Int32 | Kind::Int64) => "Integer",
            (Lang::Ruby, Kind::Float32 | Kind::Float64) => "Float",
            (Lang::Ruby, Kind::Decimal) => "BigDecimal",
            (Lang::Ruby, Kind::Bool) => "Boolean",
            (Lang::Ruby, Kind::Timestamp | Kind::TimestampTz) => "Time",
            (Lang::Ruby, Kind::Date) => "Date",
            (Lang::Ruby, Kind::Json) => "Object",
            (Lang::Ruby, _) => "String",
        };
        // Those read as one string, whatever the array's dimensions.
        let dims = match (self, kind) {
            (Lang::TypeScript | Lang::Ruby | Lang::Python, Kind::Enum | Kind::Other) => 0,
            _ => dims,
        };
        let mut s = base.to_string();
        for _ in 0..dims {
            s = match self {
                Lang::Python => format!("list[{s}]"),
                Lang::TypeScript if s.contains(' ') => format!("({s})[]"),
                Lang::TypeScript => format!("{s}[]"),
                Lang::Go => format!("[]{s}"),
                Lang::Rust => format!("Vec<{s}>"),
                Lang::Ruby => format!("Array<{s}>"),
            };
        }
        if nullable {
            s = match self {
                Lang::Python => format!("{s} | None"),
                Lang::TypeScript => format!("{s} | null"),
                Lang::Go if s.starts_with("[]") || s == "json.RawMessage" => s,
                Lang::Go => format!("*{s}"),
                Lang::Rust => format!("Option<{s}>"),
                Lang::Ruby => format!("{s}, nil"),
            };
        }
        s
    }

    /// The type a key value is passed as: the record's type for numbers, booleans and text,
    /// else a string (the query casts it from text).
    fn key_ty(self, t: &FieldType) -> Cow<'static, str> {
        if t.dims == 0 && (t.kind.is_native_param() || matches!(t.kind, Kind::Text)) {
            // bigint keys in TypeScript are strings, as `pg` returns them.
            self.ty(t, false)
        } else {
            Cow::Borrowed(self.scalar_ty(Kind::Text, false))
        }
    }
}

/// Every [`Kind`], for [`Lang::scalar_ty`]'s table.
const ALL_KINDS: [Kind; 18] = [
    Kind::Int16,
    Kind::Int32,
    Kind::Int64,
    Kind::Float32,
    Kind::Float64,
    Kind::Decimal,
    Kind::Text,
    Kind::Uuid,
    Kind::Bool,
    Kind::Timestamp,
    Kind::TimestampTz,
    Kind::Date,
    Kind::Time,
    Kind::Interval,
    Kind::Bytes,
    Kind::Json,
    Kind::Enum,
    Kind::Other,
];

/// A JSON string literal rewritten in single quotes: `\"` unescaped, `'` escaped, every other
/// escape as it is.
fn single_quoted(lit: &str) -> String {
    let inner = &lit[1..lit.len() - 1];
    let mut out = String::with_capacity(lit.len() + 4);
    out.push('\'');
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('"') => out.push('"'),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            },
            '\'' => out.push_str("\\'"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A Ruby string literal as rubocop's defaults want it: single quotes (only `\\` and `\'`
/// escaped) unless the string needs an escape sequence (a control character, a character
/// [`crate::untrusted`] writes visibly), holds `#{` (single-quoted, rubocop reads it as a
/// forgotten interpolation) or single quotes and no double ones; then double quotes, with `#` escaped only before `{`, `$` and `@`
/// (where it would interpolate: any other `\#` is a redundant escape to rubocop).
fn ruby_lit(s: &str) -> String {
    if s.contains("#{")
        || (s.contains('\'') && !s.contains('"'))
        || s.chars()
            .any(|c| c.is_control() || crate::untrusted::is_unsafe(c))
    {
        let lit = json_str(s);
        let mut out = String::with_capacity(lit.len() + 2);
        let mut chars = lit.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '#' && matches!(chars.peek(), Some('{' | '$' | '@')) {
                out.push('\\');
            }
            out.push(c);
        }
        return out;
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// rubocop's `Layout/LineLength` default.
const RUBY_WIDTH: usize = 120;

/// `s` as Ruby string literals joined by line continuations (`'a' \`, then `'b'` on the next
/// line at column `col`), none of whose lines passes [`RUBY_WIDTH`] when the first starts at
/// column `col`: rubocop's `Layout/LineLength` and `aligned` string continuation. The parts
/// are cut between characters of `s`, never inside an escape; one literal when it fits.
fn ruby_lit_lines(s: &str, col: usize) -> String {
    let whole = ruby_lit(s);
    if col + layout::width(&whole) <= RUBY_WIDTH {
        return whole;
    }
    // Room for a part's characters: the width less the quotes and ` \`, at least 16.
    let room = RUBY_WIDTH.saturating_sub(col + 4).max(16);
    let mut out = String::with_capacity(whole.len() + whole.len() / 8);
    let mut part = String::new();
    let mut part_width = 0;
    let flush = |out: &mut String, part: &str| {
        if !out.is_empty() {
            out.push_str(" \\\n");
            out.push_str(&" ".repeat(col));
        }
        out.push_str(&ruby_lit(part));
    };
    // A character's width inside a literal: escapes take up to 6 columns.
    let char_width = |c: char| layout::width(&ruby_lit(c.encode_utf8(&mut [0; 4]))) - 2;
    for c in s.chars() {
        let w = char_width(c);
        if part_width + w > room && !part.is_empty() {
            // Cut after the part's last space when it has one, else here.
            let cut = part
                .rfind(' ')
                .map(|i| i + 1)
                .filter(|&i| i < part.len())
                .unwrap_or(part.len());
            flush(&mut out, &part[..cut]);
            part.drain(..cut);
            part_width = part.chars().map(char_width).sum();
        }
        part.push(c);
        part_width += w;
    }
    flush(&mut out, &part);
    out
}

/// Full-line `#` comments of a rendered Ruby file rewrapped to [`RUBY_WIDTH`] (rubocop's
/// `Layout/LineLength` counts comments): a long line is cut at spaces, its continuation lines
/// indented as the first and, in a `# - item` list, hung under the item's text. Code lines,
/// and the file when no comment is too long, are left as they are.
fn wrap_ruby_comments(file: String) -> String {
    if !file
        .lines()
        .any(|l| layout::width(l) > RUBY_WIDTH && l.trim_start().starts_with('#'))
    {
        return file;
    }
    let mut out = String::with_capacity(file.len() + file.len() / 32);
    for line in file.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let trimmed = body.trim_start();
        if layout::width(body) <= RUBY_WIDTH || !trimmed.starts_with("# ") {
            out.push_str(line);
            continue;
        }
        let margin = &body[..body.len() - trimmed.len()];
        let hang = if trimmed.starts_with("# - ") {
            "#   "
        } else {
            "# "
        };
        let mut text = &trimmed[2..];
        let mut first = true;
        loop {
            let lead = if first { "# " } else { hang };
            let room = RUBY_WIDTH.saturating_sub(layout::width(margin) + lead.len());
            out.push_str(margin);
            out.push_str(lead);
            if layout::width(text) <= room {
                out.push_str(text);
                out.push('\n');
                break;
            }
            // The last space within the room, else the first one after it (a word longer
            // than the line stays whole).
            let cut = text
                .char_indices()
                .filter(|&(i, c)| c == ' ' && layout::width(&text[..i]) <= room)
                .map(|(i, _)| i)
                .next_back()
                .filter(|&i| i > 0)
                .or_else(|| text.find(' '));
            match cut {
                Some(i) => {
                    out.push_str(&text[..i]);
                    out.push('\n');
                    text = text[i..].trim_start_matches(' ');
                    first = false;
                }
                None => {
                    out.push_str(text);
                    out.push('\n');
                    break;
                }
            }
        }
    }
    out
}

fn json_str(s: &str) -> String {
    // serde_json cannot fail on a string.
    let out = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    // JSON leaves DEL, the C1 controls, the bidirectional overrides and U+2028 / U+2029 as they
    // are: a reader of the stub would see the code around them reordered (and older JavaScript
    // engines end a line at U+2028). `\uXXXX` holds them in every language this serves; all
    // are in the Basic Multilingual Plane (copies made only when there is one: almost never).
    if out.chars().any(crate::untrusted::is_unsafe) {
        let mut escaped = String::with_capacity(out.len() + 16);
        for c in out.chars() {
            if crate::untrusted::is_unsafe(c) {
                escaped.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                escaped.push(c);
            }
        }
        escaped
    } else {
        out
    }
}

/// Text safe inside a one-line comment in every language (and a Python docstring, a JSDoc
/// block and a Rust doc comment): line breaks and tabs become spaces, the other characters
/// [`crate::untrusted`] escapes (terminal escapes, bidirectional overrides) are written
/// visibly, `*/` and `"""` are broken up, backslashes doubled.
pub(super) fn comment(s: &str) -> String {
    if comment_safe(s) {
        return s.to_string();
    }
    let spaced: String = s
        .chars()
        .map(|c| {
            if matches!(
                c,
                '\n' | '\r' | '\t' | '\u{b}' | '\u{c}' | '\u{2028}' | '\u{2029}' | '\u{85}'
            ) {
                ' '
            } else {
                c
            }
        })
        .collect();
    crate::untrusted::escape(&spaced)
        .replace('\\', "\\\\")
        .replace("*/", "* /")
        .replace("\"\"\"", "\" \" \"")
}

/// Printable ASCII with nothing to escape (almost every name): [`comment`] copies it as it is.
fn comment_safe(s: &str) -> bool {
    // One pass: every byte printable ASCII but a backslash, and no `*/` or `"""`.
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        (b' '..=b'~').contains(&c)
            && c != b'\\'
            && !(c == b'/' && i >= 1 && b[i - 1] == b'*')
            && !(c == b'"' && i >= 2 && b[i - 1] == b'"' && b[i - 2] == b'"')
    })
}

/// [`comment`] of a text built for it: returned as it is when there is nothing to escape.
fn comment_owned(s: String) -> String {
    if comment_safe(&s) {
        s
    } else {
        comment(&s)
    }
}

/// A name as words for identifiers: see the module documentation.
pub fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<char> = None;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            let boundary = matches!(prev, Some(p) if (p.is_ascii_lowercase() || p.is_ascii_digit()) && c.is_ascii_uppercase());
            if boundary && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(c.to_ascii_lowercase());
            prev = Some(c);
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if !c.is_ascii() {
                out.push(format!("u{:x}", c as u32));
            }
            prev = None;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    if out.is_empty() {
        out.push("x".into());
    }
    if out[0].starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, "n".into());
    }
    out
}

#[cfg(test)]
fn snake(w: &[String]) -> String {
    w.join("_")
}

/// `snake(&words(name))`, written in one pass without the list of words (one per column and
/// per plan: a visible share of preparing the stubs).
fn snake_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_snake_name(&mut out, name);
    out
}

/// Appends [`snake_name`] of `name` to `out`, after a `_` when `out` is not empty: the snake
/// case of several names' words in a row, without their lists of words.
fn push_snake_name(out: &mut String, name: &str) {
    use std::fmt::Write as _;
    if !out.is_empty() {
        out.push('_');
    }
    let start = out.len();
    // A word is open: the next letter or digit continues it.
    let mut open = false;
    let mut prev: Option<char> = None;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            let boundary = matches!(prev, Some(p) if (p.is_ascii_lowercase() || p.is_ascii_digit()) && c.is_ascii_uppercase());
            if !open || boundary {
                if out.len() > start {
                    out.push('_');
                } else if c.is_ascii_digit() {
                    // The first word starts with a digit.
                    out.push_str("n_");
                }
                open = true;
            }
            out.push(c.to_ascii_lowercase());
            prev = Some(c);
        } else {
            open = false;
            if !c.is_ascii() {
                if out.len() > start {
                    out.push('_');
                }
                // Writing to a String cannot fail.
                let _ = write!(out, "u{:x}", c as u32);
            }
            prev = None;
        }
    }
    if out.len() == start {
        out.push('x');
    }
}

fn pascal(w: &[String]) -> String {
    let mut out = String::with_capacity(w.iter().map(String::len).sum());
    for s in w {
        let mut c = s.chars();
        if let Some(f) = c.next() {
            out.push(f.to_ascii_uppercase());
            out.push_str(c.as_str());
        }
    }
    out
}

/// The name sets below only answer membership, so rustc's fast non-keyed hash of short
/// identifiers is enough (SipHash and ordered sets were a visible part of rendering the stubs
/// for five languages).
type FxSet<T> = rustc_hash::FxHashSet<T>;

/// Hands out unique identifiers in one scope. Names are borrowed from `'a` (the per-plan
/// [`Prepared`] texts, or the file's own `'static` names) when they need no change, so the
/// common case allocates nothing.
struct Namer<'a> {
    /// Ruby numbers a repeat without a `_` (rubocop's `Naming/VariableNumber`).
    ruby: bool,
    /// The language's reserved words, split once per process.
    reserved: &'static FxSet<&'static str>,
    taken: FxSet<Cow<'a, str>>,
}

impl<'a> Namer<'a> {
    fn new(lang: Lang) -> Self {
        Namer {
            ruby: lang == Lang::Ruby,
            reserved: Self::reserved_set(lang),
            taken: FxSet::default(),
        }
    }

    /// The language's reserved words, split once per process.
    fn reserved_set(lang: Lang) -> &'static FxSet<&'static str> {
        static SETS: std::sync::OnceLock<Vec<FxSet<&'static str>>> = std::sync::OnceLock::new();
        let sets = SETS.get_or_init(|| {
            Lang::ALL
                .iter()
                .map(|l| l.reserved().split_whitespace().collect())
                .collect()
        });
        &sets[lang.index()]
    }

    /// Whether `name` is a keyword, or a name the file uses, in `lang`.
    fn is_reserved(lang: Lang, name: &str) -> bool {
        Self::reserved_set(lang).contains(name)
    }

    /// Forgets the names handed out, for the next scope of the same kind (the set keeps its
    /// capacity).
    fn clear(&mut self) {
        self.taken.clear();
    }

    /// Marks names the file itself defines in this scope.
    fn reserve(&mut self, names: &[&'static str]) {
        self.taken.extend(names.iter().map(|&s| Cow::Borrowed(s)));
    }

    /// `candidate` made unique: `_` after a keyword or a name the file defines; on a collision
    /// a number, `_2` in snake case and `2` in camel or Pascal case, so the result keeps the
    /// language's naming convention.
    fn name(&mut self, candidate: String) -> String {
        if !self.reserved.contains(candidate.as_str())
            && self.taken.insert(Cow::Owned(candidate.clone()))
        {
            return candidate;
        }
        self.renamed(&candidate)
    }

    /// [`Namer::name`] of a borrowed candidate: borrowed back when it is free.
    fn name_ref(&mut self, candidate: &'a str) -> Cow<'a, str> {
        if !self.reserved.contains(candidate) && self.taken.insert(Cow::Borrowed(candidate)) {
            return Cow::Borrowed(candidate);
        }
        Cow::Owned(self.renamed(candidate))
    }

    /// The slow path of [`Namer::name`]: `candidate` is reserved or taken.
    fn renamed(&mut self, candidate: &str) -> String {
        let reserved = |n: &str| self.reserved.contains(n);
        let mut n = if reserved(candidate) {
            format!("{candidate}_")
        } else {
            candidate.to_string()
        };
        let sep = if !self.ruby
            && (candidate.contains('_') || candidate.chars().all(|c| !c.is_ascii_uppercase()))
        {
            "_"
        } else {
            ""
        };
        let mut i = 2;
        while self.taken.contains(n.as_str()) || reserved(&n) {
            n = format!("{candidate}{sep}{i}");
            i += 1;
        }
        self.taken.insert(Cow::Owned(n.clone()));
        n
    }
}

/// An identifier or type as the templates write it: borrowed when it needed no change, else
/// owned. (askama writes a `Cow<str>` through `fmt::Display`, a visible cost at one per field
/// and language; this writes the `str` directly.)
#[derive(Clone)]
struct Str<'a>(Cow<'a, str>);

impl<'a> From<Cow<'a, str>> for Str<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        Str(s)
    }
}

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::FastWritable for Str<'_> {
    fn write_into<W: std::fmt::Write + ?Sized>(
        &self,
        dest: &mut W,
        values: &dyn askama::Values,
    ) -> askama::Result<()> {
        self.0.as_ref().write_into(dest, values)
    }
}

/// The fields of a record, written straight into the file in one pass over the plan's columns
/// (the hottest list of the stubs: every column of every parent table, in five languages; a
/// `Vec` of fields per record that the template then walked again was a visible part of the
/// cost). Each field starts with its line break; the layout per language is in
/// [`Fields::write`] and, for Ruby's `Struct.new` members, [`Fields::members`].
struct Fields<'a> {
    lang: Lang,
    columns: &'a [StubColumn],
    prepared: &'a [&'a PreparedColumn],
    /// The names the record's [`Namer`] handed out, when the record is not plain in this
    /// language (see [`PreparedParent::plain_fields`]); else each name is its case as it is.
    renamed: Option<Vec<Cow<'a, str>>>,
}

impl<'a> Fields<'a> {
    /// The identifier of field `i`.
    fn name(&self, i: usize) -> &str {
        match &self.renamed {
            Some(names) => &names[i],
            None => self.prepared[i].name.func(self.lang),
        }
    }

    /// Ruby's `Struct.new` members: `:name,` a line each.
    fn members(&self) -> RubyMembers<'_, 'a> {
        RubyMembers(self)
    }
}

impl Fields<'_> {
    /// Writes the fields (see [`Fields`]).
    fn write<W: std::fmt::Write + ?Sized>(&self, f: &mut W) -> std::fmt::Result {
        if self.lang == Lang::Go {
            return self.write_go(f);
        }
        for (i, pc) in self.prepared.iter().enumerate() {
            let name = self.name(i);
            let ty = pc.ty(self.lang);
            let about = pc.about.as_str();
            let parts: &[&str] = match self.lang {
                // The column as the attribute's docstring (a trailing comment would count in
                // ruff's line width); the annotation in parentheses where it is too wide.
                Lang::Python => {
                    let (open, close) = if 4 + name.len() + 2 + ty.len() > layout::PY {
                        (": (\n        ", "\n    )")
                    } else {
                        (": ", "")
                    };
                    // ruff puts a space between the docstring's quotes and a quote of its own.
                    let lead = if about.starts_with('"') { " " } else { "" };
                    let trail = if about.ends_with('"') { " " } else { "" };
                    for part in [
                        "\n    ",
                        name,
                        open,
                        ty,
                        close,
                        "\n    \"\"\"",
                        lead,
                        about,
                        trail,
                        "\"\"\"",
                    ] {
                        f.write_str(part)?;
                    }
                    continue;
                }
                // The column's own name: `pg` returns a row keyed by column names. Quoted unless
                // an identifier (prettier unquotes the others).
                Lang::TypeScript => {
                    let column = &self.columns[i].name;
                    let plain = column
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                        && column
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
                    let quoted;
                    let key = if plain {
                        column.as_str()
                    } else {
                        quoted = Lang::TypeScript.lit(column);
                        quoted.as_str()
                    };
                    for part in ["\n  /** ", about, " */\n  readonly ", key, ": ", ty, ";"] {
                        f.write_str(part)?;
                    }
                    continue;
                }
                Lang::Go => &[],
                Lang::Rust => &["\n    /// ", about, "\n    pub ", name, ": ", ty, ","],
                Lang::Ruby => &["\n  # - ", name, " [", ty, "]: ", about],
            };
            for part in parts {
                f.write_str(part)?;
            }
        }
        Ok(())
    }
}

impl Fields<'_> {
    /// Go's fields, aligned in columns as `gofmt` aligns them (see [`go_align`]): name, type,
    /// then the struct tag (`json` and `db`: pgx's `RowToStructByName` reads `db`) where the
    /// column's name can be one, then the comment.
    fn write_go<W: std::fmt::Write + ?Sized>(&self, f: &mut W) -> std::fmt::Result {
        let rows: Vec<[&str; 3]> = (0..self.columns.len())
            .map(|i| {
                let pc = self.prepared[i];
                [
                    self.name(i),
                    pc.ty(Lang::Go),
                    if pc.safe_tag {
                        &self.columns[i].name
                    } else {
                        ""
                    },
                ]
            })
            .collect();
        let tags: Vec<String> = rows
            .iter()
            .map(|r| {
                if r[2].is_empty() {
                    String::new()
                } else {
                    format!("`json:\"{0}\" db:\"{0}\"`", r[2])
                }
            })
            .collect();
        let lines: Vec<Vec<&str>> = rows
            .iter()
            .zip(&tags)
            .map(|(r, t)| {
                if t.is_empty() {
                    vec![r[0], r[1]]
                } else {
                    vec![r[0], r[1], t.as_str()]
                }
            })
            .collect();
        let widths = go_align(&lines);
        for (i, cells) in lines.iter().enumerate() {
            f.write_str("\n\t")?;
            for (j, cell) in cells.iter().enumerate() {
                f.write_str(cell)?;
                for _ in cell.chars().count()..widths[i][j] {
                    f.write_char(' ')?;
                }
            }
            f.write_str("// ")?;
            f.write_str(&self.prepared[i].about)?;
        }
        Ok(())
    }
}

/// The width of every cell of `lines` as `gofmt` pads them (its `text/tabwriter`, padding 1):
/// each line's cells are followed by one more, unaligned (the comment). A column's width is the
/// widest of its cells plus one over each run of consecutive lines that have that column; a line
/// with fewer cells ends the run of the columns it lacks.
pub(crate) fn go_align(lines: &[Vec<&str>]) -> Vec<Vec<usize>> {
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|l| vec![0; l.len()]).collect();
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    for col in 0..columns {
        let mut i = 0;
        while i < lines.len() {
            if lines[i].len() <= col {
                i += 1;
                continue;
            }
            let start = i;
            let mut w = 0;
            while i < lines.len() && lines[i].len() > col {
                w = w.max(lines[i][col].chars().count() + 1);
                i += 1;
            }
            for row in &mut widths[start..i] {
                row[col] = w;
            }
        }
    }
    widths
}

/// [`Fields::members`].
struct RubyMembers<'f, 'a>(&'f Fields<'a>);

impl RubyMembers<'_, '_> {
    /// Writes the members (see [`Fields::members`]).
    fn write<W: std::fmt::Write + ?Sized>(&self, f: &mut W) -> std::fmt::Result {
        for i in 0..self.0.columns.len() {
            f.write_str("\n    :")?;
            f.write_str(self.0.name(i))?;
            f.write_str(",")?;
        }
        Ok(())
    }
}

fast_writable!(Fields<'_>);
fast_writable!(RubyMembers<'_, '_>);

struct Record<'a> {
    name: Str<'a>,
    table: &'a str,
    silo: &'a str,
    fields: Fields<'a>,
}

/// What the five languages' views share, computed once per plan: the identifiers spelled in
/// each case, which records need no renaming of their fields in which language, the string
/// literals of the silos handlers name, and the comment-safe texts about each parent table,
/// column and guard.
struct Prepared<'a> {
    parents: Vec<PreparedParent<'a>>,
    /// Per guard of `Stubs::guards`, in order.
    guards: Vec<PreparedGuard>,
    /// The literals of each distinct pair of a parent silo and the child silos its tables'
    /// deletes cascade to (a few pairs, written for every handler): see
    /// [`PreparedParent::handler_lits`].
    handler_lits: Vec<HandlerLits>,
}

/// What a cascade handler writes of its silos, per language in the order of [`Lang::ALL`].
struct HandlerLits {
    /// The parent silo's string literal (the default `source`).
    silo: [String; 5],
    /// The child silos' string literals as the handler's list of them: `"a", "b"` (Python's
    /// tuple: `"a", "b",`).
    children: [String; 5],
    /// The child silos' string literals, one by one.
    child_list: [Vec<String>; 5],
}

impl HandlerLits {
    fn new(silo: &str, children: &[String]) -> Self {
        HandlerLits {
            silo: Lang::ALL.map(|l| l.lit(silo)),
            child_list: Lang::ALL.map(|l| children.iter().map(|c| l.lit(c)).collect()),
            children: Lang::ALL.map(|l| {
                let mut s = String::new();
                for (i, c) in children.iter().enumerate() {
                    match (l, i) {
                        (Lang::Python, 0) => {}
                        (Lang::Python, _) => s.push(' '),
                        (_, 0) => {}
                        _ => s.push_str(", "),
                    }
                    s.push_str(&l.lit(c));
                    if l == Lang::Python {
                        s.push(',');
                    }
                }
                if l == Lang::Ruby {
                    s = ruby_array(children, s);
                }
                s
            }),
        }
    }
}

/// A Ruby array of `items` (their literals joined: `joined`) as rubocop's `Style/WordArray`
/// wants it: `%w[a b]` when there are two or more and each is a word (letters, digits, `_`,
/// and `-` between them), else `['a', 'b c']`.
fn ruby_array(items: &[String], joined: String) -> String {
    let word = |s: &String| {
        let b: Vec<char> = s.chars().collect();
        !b.is_empty()
            && b.iter().enumerate().all(|(i, &c)| {
                c.is_alphanumeric()
                    || c == '_'
                    || (c == '-'
                        && i > 0
                        && i + 1 < b.len()
                        && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
                        && (b[i + 1].is_alphanumeric() || b[i + 1] == '_'))
            })
    };
    if items.len() >= 2 && items.iter().all(word) {
        format!("%w[{}]", items.join(" "))
    } else {
        format!("[{joined}]")
    }
}

/// An identifier candidate in each case a language may want it in, in one buffer (one
/// allocation per name, not three): `snake_case`, then `PascalCase`, then `camelCase`.
struct Cases {
    buf: String,
    /// Where the Pascal case starts in `buf`.
    pascal_at: usize,
    /// Where the camel case starts in `buf`.
    camel_at: usize,
    /// Where the camel case ends in `buf`.
    camel_end: usize,
    /// Where Ruby's snake case starts and ends in `buf`, or 0 when it is the snake case.
    ruby_at: usize,
    ruby_end: usize,
    /// Where Go's Pascal case (with its initialisms: `UserID`) starts in `buf`, where its camel
    /// case starts and where that ends, or 0 when they are the Pascal and camel cases.
    go_at: usize,
    go_camel_at: usize,
    go_end: usize,
}

/// Words Go writes in capitals (its initialisms, as `go vet`'s old lint and the standard
/// library write them), in their Go spelling.
const GO_INITIALISMS: [(&str, &str); 9] = [
    ("id", "ID"),
    ("ids", "IDs"),
    ("uuid", "UUID"),
    ("url", "URL"),
    ("api", "API"),
    ("http", "HTTP"),
    ("json", "JSON"),
    ("sql", "SQL"),
    ("ip", "IP"),
];

/// A word's Go initialism, if it is one.
fn go_initialism(word: &str) -> Option<&'static str> {
    GO_INITIALISMS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, g)| *g)
}

impl Cases {
    #[cfg(test)]
    fn new(w: &[String]) -> Self {
        Self::from_snake(snake(w))
    }

    /// `Cases::new(&words(name))` without the list of words.
    fn of_name(name: &str) -> Self {
        Self::from_snake(snake_name(name))
    }

    /// The cases of the words joined by `_` in `snake` (words are ASCII letters and digits,
    /// never `_`; see [`words`]).
    fn from_snake(mut buf: String) -> Self {
        let pascal_at = buf.len();
        buf.reserve(2 * pascal_at);
        let mut start = true;
        for i in 0..pascal_at {
            let c = buf.as_bytes()[i];
            if c == b'_' {
                start = true;
            } else {
                buf.push(char::from(if start { c.to_ascii_uppercase() } else { c }));
                start = false;
            }
        }
        let camel_at = buf.len();
        for i in pascal_at..camel_at {
            let c = buf.as_bytes()[i];
            buf.push(char::from(if i == pascal_at {
                c.to_ascii_lowercase()
            } else {
                c
            }));
        }
        // Ruby's snake case without a `_` before a digit (rubocop's `Naming/VariableNumber`
        // wants `a2`, not `a_2`), only for the few names that have one.
        let end = buf.len();
        let ruby_at = if buf.as_bytes()[..pascal_at]
            .windows(2)
            .any(|w| w[0] == b'_' && w[1].is_ascii_digit())
        {
            for i in 0..pascal_at {
                let b = buf.as_bytes();
                if !(b[i] == b'_' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
                    buf.push(char::from(b[i]));
                }
            }
            end
        } else {
            0
        };
        let ruby_end = buf.len();
        // Go's cases with initialisms, only for the names that have one.
        let (go_at, go_camel_at) = if buf[..pascal_at]
            .split('_')
            .any(|w| go_initialism(w).is_some())
        {
            let snake = buf[..pascal_at].to_string();
            let go_at = buf.len();
            for w in snake.split('_') {
                match go_initialism(w) {
                    Some(g) => buf.push_str(g),
                    None => {
                        let mut c = w.chars();
                        if let Some(f) = c.next() {
                            buf.push(f.to_ascii_uppercase());
                            buf.push_str(c.as_str());
                        }
                    }
                }
            }
            let go_camel_at = buf.len();
            for (i, w) in snake.split('_').enumerate() {
                if i == 0 {
                    buf.push_str(w);
                    continue;
                }
                match go_initialism(w) {
                    Some(g) => buf.push_str(g),
                    None => {
                        let mut c = w.chars();
                        if let Some(f) = c.next() {
                            buf.push(f.to_ascii_uppercase());
                            buf.push_str(c.as_str());
                        }
                    }
                }
            }
            (go_at, go_camel_at)
        } else {
            (0, 0)
        };
        Cases {
            go_end: buf.len(),
            buf,
            pascal_at,
            camel_at,
            camel_end: end,
            ruby_at,
            ruby_end,
            go_at,
            go_camel_at,
        }
    }

    /// [`Cases::snake`] as Ruby writes it (see [`Cases::from_snake`]).
    fn ruby(&self) -> &str {
        if self.ruby_at == 0 {
            self.snake()
        } else {
            &self.buf[self.ruby_at..self.ruby_end]
        }
    }

    /// [`Cases::pascal`] as Go writes it, its initialisms in capitals.
    fn go_pascal(&self) -> &str {
        if self.go_at == 0 {
            self.pascal()
        } else {
            &self.buf[self.go_at..self.go_camel_at]
        }
    }

    /// [`Cases::camel`] as Go writes it, its initialisms after the first word in capitals.
    fn go_camel(&self) -> &str {
        if self.go_at == 0 {
            self.camel()
        } else {
            &self.buf[self.go_camel_at..self.go_end]
        }
    }

    fn snake(&self) -> &str {
        &self.buf[..self.pascal_at]
    }

    fn pascal(&self) -> &str {
        &self.buf[self.pascal_at..self.camel_at]
    }

    fn camel(&self) -> &str {
        &self.buf[self.camel_at..self.camel_end]
    }

    /// A value name: `snake_case`, or `camelCase` in TypeScript and Go.
    fn value(&self, lang: Lang) -> &str {
        match lang {
            Lang::Python | Lang::Rust => self.snake(),
            Lang::Ruby => self.ruby(),
            Lang::TypeScript => self.camel(),
            Lang::Go => self.go_camel(),
        }
    }

    /// A public function, method or record field name: [`Cases::value`], but Pascal case in Go
    /// (exported).
    fn func(&self, lang: Lang) -> &str {
        match lang {
            Lang::Go => self.go_pascal(),
            _ => self.value(lang),
        }
    }
}

struct PreparedParent<'a> {
    /// `schema.table`, comment-safe.
    table: String,
    /// The table as its tombstones' `table_name` writes it ([`crate::names::table_text`]).
    table_key: String,
    silo: String,
    /// The record's name in each case (see [`PreparedParent::record`]).
    record: Cases,
    /// Per column of `StubParent::columns`: its texts, shared by the columns of every table
    /// with the same name, type and nullability (see [`PreparedColumn::table`]).
    columns: Vec<&'a PreparedColumn>,
    /// The languages (bits of [`Lang::bit`]) in which no field name of the record is reserved
    /// and all are distinct, so each is its case as it is (almost every record, in every
    /// language): the views skip the record's [`Namer`], whose answer is known.
    plain_fields: u8,
    /// Per key of `StubParent::keys`, in order.
    keys: Vec<PreparedKey<'a>>,
    /// Per edge of `StubParent::edges`: what it does on delete, comment-safe.
    edges: Vec<String>,
    /// Whether a field's Go type uses `time.Time`, `json.RawMessage` (the Go file imports
    /// `time`, `encoding/json` only when one does).
    go_time: bool,
    go_json: bool,
    /// The position of the cascade handler's literals in [`Prepared::handler_lits`], when the
    /// table's deletes cascade to other silos.
    handler_lits: Option<usize>,
}

impl PreparedParent<'_> {
    /// The record's name in `lang`: a row of the table, so its words with the last one made
    /// singular ([`crate::infer::singular`]: `AddOn` for `add_ons`), in Pascal case.
    fn record(&self, lang: Lang) -> &str {
        match lang {
            Lang::Go => self.record.go_pascal(),
            _ => self.record.pascal(),
        }
    }
}

struct PreparedKey<'a> {
    /// The lookup's method name in each case (words: the table's, `by`, the columns').
    method: Cases,
    /// The type of each key column (found by name among the table's columns once, not per
    /// language).
    types: Vec<&'a FieldType>,
    /// The key's columns, comment-safe.
    columns: String,
    /// The crossing keys that reference it, comment-safe.
    used_by: Vec<String>,
}

/// What the views write for a column: the same for every column of the plan with its name,
/// type and nullability (`id`, `created_at` and their like recur in most tables), so prepared
/// once per distinct column by [`PreparedColumn::table`].
struct PreparedColumn {
    /// The field's name in each case: in a language of [`PreparedParent::plain_fields`], the
    /// field's name as it is.
    name: Cases,
    /// The column and its SQL type, comment-safe.
    about: String,
    /// Whether the column's name can be a Go struct tag as it is.
    safe_tag: bool,
    /// The field's type in each language, in the order of [`Lang::ALL`].
    tys: [Cow<'static, str>; 5],
}

/// What makes two columns' [`PreparedColumn`]s the same: name, type as written, kind, array
/// dimensions, nullability.
type ColumnKey<'s> = (&'s str, &'s str, Kind, usize, bool);

impl PreparedColumn {
    fn new(c: &StubColumn) -> Self {
        let mut about = String::with_capacity(c.name.len() + c.ty.written.len() + 12);
        crate::ident::push_ident(&mut about, &c.name);
        about.push(' ');
        about.push_str(&c.ty.written);
        if !c.nullable {
            about.push_str(" NOT NULL");
        }
        if c.ty.kind == Kind::Other {
            about.push_str(" (type not known to silo-plan: carried as a string)");
        }
        PreparedColumn {
            name: Cases::of_name(&c.name),
            about: comment_owned(about),
            safe_tag: c
                .name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_'),
            tys: Lang::ALL.map(|l| l.ty(&c.ty, c.nullable)),
        }
    }

    /// The distinct columns of the plan's parent tables, prepared once each, and the position
    /// among them of every column of every parent, in order.
    fn table(stubs: &Stubs) -> (Vec<PreparedColumn>, Vec<usize>) {
        let mut at: rustc_hash::FxHashMap<ColumnKey, usize> = rustc_hash::FxHashMap::default();
        let mut distinct = Vec::new();
        let mut positions = Vec::with_capacity(stubs.parents.iter().map(|p| p.columns.len()).sum());
        for c in stubs.parents.iter().flat_map(|p| &p.columns) {
            let key = (
                c.name.as_str(),
                c.ty.written.as_str(),
                c.ty.kind,
                c.ty.dims,
                c.nullable,
            );
            let i = *at.entry(key).or_insert_with(|| {
                distinct.push(PreparedColumn::new(c));
                distinct.len() - 1
            });
            positions.push(i);
        }
        (distinct, positions)
    }

    /// The field's type in `lang`.
    fn ty(&self, lang: Lang) -> &str {
        &self.tys[lang.index()]
    }
}

struct PreparedGuard {
    /// The guard's function name in each case (words: `restrict`, the parent's, `by`, the
    /// child's).
    name: Cases,
    /// The guard's query constant in each case (words: `sql`, the parent's, `by`, the
    /// child's), and in upper snake case.
    sql_const: Cases,
    sql_const_upper: String,
    /// Per column of `RestrictGuard::columns`: the parameter's name in each case, and what it
    /// binds, comment-safe.
    params: Vec<(Cases, String)>,
    /// The constraint, comment-safe.
    about: String,
    parent: String,
    child: String,
    child_silo: String,
}

impl<'a> Prepared<'a> {
    /// `distinct` and `positions` are [`PreparedColumn::table`]'s.
    fn new(stubs: &'a Stubs, distinct: &'a [PreparedColumn], positions: &[usize]) -> Self {
        let mut positions = positions.iter();
        let mut parents: Vec<PreparedParent> = stubs
            .parents
            .iter()
            .map(|p| {
                let columns: Vec<&PreparedColumn> = positions
                    .by_ref()
                    .take(p.columns.len())
                    .map(|&i| &distinct[i])
                    .collect();
                let (mut go_time, mut go_json) = (false, false);
                for c in &columns {
                    let ty = c.ty(Lang::Go);
                    go_time |= ty.contains("time.Time");
                    go_json |= ty.contains("json.RawMessage");
                }
                PreparedParent {
                    go_time,
                    go_json,
                    handler_lits: None,
                    table: comment_owned(crate::ident::qualified(&p.table)),
                    table_key: crate::names::table_text(&p.table),
                    silo: comment(&p.silo),
                    record: Cases::from_snake(crate::infer::singular(&snake_name(&p.table.name))),
                    plain_fields: 0,
                    columns,
                    keys: p
                        .keys
                        .iter()
                        .map(|key| {
                            let mut method = snake_name(&p.table.name);
                            method.push_str("_by");
                            for k in key {
                                push_snake_name(&mut method, k);
                            }
                            PreparedKey {
                                method: Cases::from_snake(method),
                                types: key.iter().map(|k| key_type(p, k)).collect(),
                                columns: comment_owned(crate::ident::ident_list(key)),
                                used_by: p
                                    .edges
                                    .iter()
                                    .filter(|e| &e.parent_columns == key)
                                    .map(|e| comment_owned(child_in_silo(e)))
                                    .collect(),
                            }
                        })
                        .collect(),
                    edges: p
                        .edges
                        .iter()
                        .map(|e| {
                            let mut t = child_in_silo(e);
                            t.push_str(", via ");
                            t.push_str(&e.constraint);
                            t.push_str(": ");
                            t.push_str(&action_text(e.action, &e.set_columns));
                            comment_owned(t)
                        })
                        .collect(),
                }
            })
            .collect();
        let mut seen = FxSet::default();
        for pp in &mut parents {
            pp.plain_fields = plain_fields(&pp.columns, &mut seen);
        }
        let guards = stubs
            .guards
            .iter()
            .map(|g| {
                // The words after `restrict` or `sql`: the parent's, `by`, the child's.
                let mut tail = snake_name(&g.parent.name);
                tail.push_str("_by");
                push_snake_name(&mut tail, &g.child.name);
                let sql_const = Cases::from_snake(format!("sql_{tail}"));
                PreparedGuard {
                    name: Cases::from_snake(format!("restrict_{tail}")),
                    sql_const_upper: sql_const.snake().to_ascii_uppercase(),
                    sql_const,
                    params: g
                        .columns
                        .iter()
                        .map(|(cc, pc, ty)| {
                            let about = comment_owned(format!(
                                "{} = {}.{} ({})",
                                crate::ident::ident(cc),
                                crate::ident::qualified(&g.parent),
                                crate::ident::ident(pc),
                                ty.written
                            ));
                            (Cases::of_name(pc), about)
                        })
                        .collect(),
                    about: comment(&g.constraint),
                    parent: comment_owned(crate::ident::qualified(&g.parent)),
                    child: comment_owned(crate::ident::qualified(&g.child)),
                    child_silo: comment(&g.child_silo),
                }
            })
            .collect();
        let mut handler_lits = Vec::new();
        let mut at: rustc_hash::FxHashMap<(&str, &[String]), usize> = Default::default();
        for (p, pp) in stubs.parents.iter().zip(&mut parents) {
            if !p.cascade_to.is_empty() {
                let key = (p.silo.as_str(), p.cascade_to.as_slice());
                pp.handler_lits = Some(*at.entry(key).or_insert_with(|| {
                    handler_lits.push(HandlerLits::new(&p.silo, &p.cascade_to));
                    handler_lits.len() - 1
                }));
            }
        }
        Prepared {
            parents,
            guards,
            handler_lits,
        }
    }
}

/// [`PreparedParent::plain_fields`] of a record's columns; `seen` is scratch space.
fn plain_fields<'c>(columns: &[&'c PreparedColumn], seen: &mut FxSet<&'c str>) -> u8 {
    // A snake case name starts with a lower case letter, a Pascal case one with an upper case
    // letter: one set finds a repeat in either. Camel case names repeat where Pascal case ones
    // do (they differ only in the first letter's case).
    seen.clear();
    let mut reserved = 0;
    for c in columns {
        if !seen.insert(c.name.snake()) || !seen.insert(c.name.pascal()) {
            return 0;
        }
        // Go's initialisms can make two Pascal cases one (`a_id`, `a_i_d`).
        if c.name.go_pascal() != c.name.pascal() && !seen.insert(c.name.go_pascal()) {
            return 0;
        }
        for lang in Lang::ALL {
            if Namer::is_reserved(lang, c.name.func(lang)) {
                reserved |= lang.bit();
            }
        }
    }
    Lang::ALL.iter().fold(0, |all, l| all | l.bit()) & !reserved
}

/// One key parameter of a lookup or guard.
struct KeyParam<'a> {
    name: Str<'a>,
    ty: Str<'static>,
    about: Str<'a>,
}

struct Lookup<'a> {
    method: Str<'a>,
    /// Element type of the `keys` argument (a tuple, or a key struct in Go).
    key_ty: Str<'a>,
    /// A Go key struct for a composite key, else `None`.
    key_struct: Option<KeyStruct<'a>>,
    record: Str<'a>,
    table: &'a str,
    columns: &'a str,
    used_by: &'a [String],
    /// The method's declaration as the language's formatter lays it out (Python, TypeScript,
    /// Rust), without the indentation of its first line.
    sig: String,
}

struct KeyStruct<'a> {
    name: String,
    fields: Vec<KeyParam<'a>>,
    /// Per field, its name and type padded as `gofmt` aligns them.
    lines: Vec<String>,
}

struct Interface<'a> {
    name: String,
    silo: String,
    lookups: Vec<Lookup<'a>>,
}

struct Handler<'a> {
    /// The table as its tombstones' `table_name` writes it, as a string literal.
    key_lit: String,
    /// The table's entry of the language's table of cascades, laid out (Python: see
    /// [`layout`]).
    entry: String,
    table: &'a str,
    silo: &'a str,
    silo_lit: &'a str,
    edges: &'a [String],
    /// The child silos' literals as a list (see [`HandlerLits::children`]).
    child_silo_lits: &'a str,
}

struct Guard<'a> {
    name: Str<'a>,
    sql_const: Str<'a>,
    sql_lit: String,
    params: Vec<KeyParam<'a>>,
    /// Parameter names as the query's argument list (`a, b`).
    args: String,
    about: &'a str,
    parent: &'a str,
    child: &'a str,
    child_silo: &'a str,
    /// The constant's declaration, the function's signature and its body's call, as the
    /// language's formatter lays them out (see [`layout`]).
    const_decl: String,
    sig: String,
    call: String,
}

/// One function calling a reservation function of the registry ([`ReservationView`]).
struct ReservationFn {
    name: String,
    sql_const: String,
    /// The query as the language's literal (Go, Ruby), and the constant's declaration as the
    /// language's formatter lays it out (Python, TypeScript, Rust).
    sql_lit: String,
    const_decl: String,
    /// The signature and the call of the query, laid out (see [`layout`]).
    sig: String,
    call: String,
    /// Go and Ruby: the parameters with their types (`value string, instance string`), and
    /// the arguments (`value, instance`).
    params: String,
    args: String,
}

/// A key unique across instances: reserve before the insert, release after the delete.
struct ReservationView {
    /// `schema.table.column`, comment-safe.
    key: String,
    silo: String,
    instances: String,
    registry: String,
    /// `silo_plan.reserve_...(...)`, comment-safe.
    reserve_sql_fn: String,
    release_sql_fn: String,
    /// Per parameter: its name and what it binds, comment-safe.
    about: Vec<(String, String)>,
    reserve: ReservationFn,
    release: ReservationFn,
}

/// The reservation functions of `stubs` in `lang`, their names made unique in `module`.
fn reservation_views(stubs: &Stubs, lang: Lang, module: &mut Namer<'_>) -> Vec<ReservationView> {
    stubs
        .reservations
        .iter()
        .map(|r| {
            let mut scope = Namer::new(lang);
            scope.reserve(&["registry", "ctx", "result", "row", "r"]);
            let mut params: Vec<(String, &FieldType, String)> = Vec::new();
            let text = crate::plan::stubs::field_type(&crate::catalog::Catalog::default(), "text");
            let key = format!(
                "{}.{}",
                crate::ident::qualified(&r.table),
                crate::ident::ident(&r.column)
            );
            params.push((
                scope.name(Cases::of_name("value").value(lang).to_string()),
                &r.value,
                comment_owned(format!("the value of {key} ({})", r.value.written)),
            ));
            params.push((
                scope.name(Cases::of_name("instance").value(lang).to_string()),
                &text,
                comment_owned(format!(
                    "the instance of silo {} the row is in ({})",
                    r.silo,
                    r.instances.join(", ")
                )),
            ));
            for (c, t) in &r.owners {
                params.push((
                    scope.name(
                        Cases::of_name(&format!("owner_{c}"))
                            .value(lang)
                            .to_string(),
                    ),
                    t,
                    comment_owned(format!(
                        "the row's {} ({})",
                        crate::ident::ident(c),
                        t.written
                    )),
                ));
            }
            let typed: Vec<(String, String)> = params
                .iter()
                .map(|(n, t, _)| {
                    let ty = match lang.key_ty(t) {
                        t if lang == Lang::Rust && t == "String" => Cow::Borrowed("&str"),
                        t => t,
                    };
                    (n.clone(), ty.into_owned())
                })
                .collect();
            let make = |module: &mut Namer<'_>, function: &str, sql: &str, release: bool| {
                let name = module.name(Cases::of_name(function).func(lang).to_string());
                let c = Cases::of_name(&format!("sql_{function}"));
                let sql_const = module.name(match lang {
                    Lang::Go => c.go_pascal().to_string(),
                    Lang::TypeScript => c.camel().to_string(),
                    _ => c.snake().to_ascii_uppercase(),
                });
                let sql_lit = match lang {
                    Lang::Ruby => ruby_lit_lines(sql, 2 + layout::width(&sql_const) + 3),
                    _ => lang.lit(&driver_sql(lang, sql)),
                };
                let names: Vec<String> = typed.iter().map(|(n, _)| n.clone()).collect();
                let args = names.join(", ");
                let (const_decl, sig, call) = match lang {
                    Lang::Python => {
                        let mut items = vec!["registry: psycopg.Connection[Any]".to_string()];
                        items.extend(typed.iter().map(|(n, t)| format!("{n}: {t}")));
                        let ret = if release { ") -> bool:" } else { ") -> None:" };
                        let sig = layout::call(0, &format!("def {name}("), &items, ret, layout::PY);
                        let mut a = vec!["registry".to_string(), sql_const.clone()];
                        a.extend(names.iter().cloned());
                        let head = if release {
                            "return _exists("
                        } else {
                            "_exists("
                        };
                        let call = layout::call(4, head, &a, ")", layout::PY);
                        (layout::py_assign(&sql_const, &sql_lit), sig, call)
                    }
                    Lang::TypeScript => {
                        let mut items = vec!["registry: ClientBase".to_string()];
                        items.extend(typed.iter().map(|(n, t)| format!("{n}: {t}")));
                        let ret = if release {
                            "): Promise<boolean> {"
                        } else {
                            "): Promise<void> {"
                        };
                        let sig = layout::ts_call(
                            0,
                            &format!("export async function {name}("),
                            &items,
                            ret,
                        );
                        let call = layout::ts_call(4, "values: [", &names, "],");
                        (layout::ts_const(&sql_const, &sql_lit), sig, call)
                    }
                    Lang::Rust => {
                        let mut items =
                            vec!["registry: &mut impl postgres::GenericClient".to_string()];
                        items.extend(typed.iter().map(|(n, t)| format!("{n}: {t}")));
                        let ret = if release {
                            ") -> Result<bool, postgres::Error> {"
                        } else {
                            ") -> Result<(), postgres::Error> {"
                        };
                        let sig = layout::rs_sig(0, &format!("pub fn {name}("), &items, ret);
                        let refs: Vec<String> = names.iter().map(|n| format!("&{n}")).collect();
                        let head = if release {
                            "let row = registry.query_one("
                        } else {
                            "registry.query_one("
                        };
                        let call = layout::rs_call(4, head, &sql_const, &refs, ")?;");
                        (layout::rs_const(&sql_const, &sql_lit), sig, call)
                    }
                    Lang::Ruby => {
                        let mut items = vec!["registry".to_string()];
                        items.extend(names.iter().cloned());
                        let sig =
                            layout::call(2, &format!("def self.{name}("), &items, ")", RUBY_WIDTH);
                        let head = if release {
                            "result = registry.exec_params("
                        } else {
                            "registry.exec_params("
                        };
                        let call = layout::call(
                            4,
                            head,
                            &[sql_const.clone(), format!("[{args}]")],
                            ")",
                            RUBY_WIDTH,
                        );
                        (String::new(), sig, call)
                    }
                    _ => Default::default(),
                };
                let params = typed
                    .iter()
                    .map(|(n, t)| format!("{n} {t}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                ReservationFn {
                    name,
                    sql_const,
                    sql_lit,
                    const_decl,
                    sig,
                    call,
                    params,
                    args,
                }
            };
            ReservationView {
                key: comment_owned(key.clone()),
                silo: comment(&r.silo),
                instances: comment_owned(r.instances.join(", ")),
                registry: comment(&r.registry_silo),
                reserve_sql_fn: comment_owned(format!(
                    "silo_plan.{}",
                    crate::ident::ident(&r.reserve_function)
                )),
                release_sql_fn: comment_owned(format!(
                    "silo_plan.{}",
                    crate::ident::ident(&r.release_function)
                )),
                about: params
                    .iter()
                    .map(|(n, _, a)| (n.clone(), a.clone()))
                    .collect(),
                reserve: make(module, &r.reserve_function, &r.reserve_sql, false),
                release: make(module, &r.release_function, &r.release_sql, true),
            }
        })
        .collect()
}

struct PumpView {
    lock_timeout: String,
    lock: String,
    read: String,
    insert: String,
    apply: String,
}

/// What every language's template reads.
struct View<'a> {
    version: &'static str,
    config: String,
    records: Vec<Record<'a>>,
    interfaces: Vec<Interface<'a>>,
    handlers: Vec<Handler<'a>>,
    guards: Vec<Guard<'a>>,
    reservations: Vec<ReservationView>,
    pump: PumpView,
    routes: Vec<String>,
    multi_instance: String,
    /// Go imports, sorted.
    imports: Vec<&'static str>,
    /// The Python modules the records' types name (`datetime`, `decimal`, `uuid`), sorted.
    py_imports: Vec<&'static str>,
}

/// Rewrites `$n` placeholders outside quotes for the language's driver: psycopg wants `%s`
/// (and every literal `%` doubled); the others take `$n` as written.
fn driver_sql(lang: Lang, sql: &str) -> Cow<'_, str> {
    if lang != Lang::Python {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '%') => out.push_str("%%"),
            (None, '"' | '\'') => {
                quote = Some(c);
                out.push(c);
            }
            (Some(q), _) if c == q => {
                quote = None;
                out.push(c);
            }
            (None, '$') if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    chars.next();
                }
                out.push_str("%s");
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `schema.child(columns) in silo`: an edge's child end, for comments.
fn child_in_silo(e: &crate::plan::stubs::StubEdge) -> String {
    let mut t = crate::ident::qualified(&e.child);
    t.push('(');
    t.push_str(&crate::ident::ident_list(&e.child_columns));
    t.push_str(") in ");
    t.push_str(&e.child_silo);
    t
}

fn action_text(a: EdgeAction, set_columns: &[String]) -> String {
    if !set_columns.is_empty() {
        // Postgres 15's `SET NULL (cols)`: the other key columns keep their values.
        let cols = crate::ident::ident_list(set_columns);
        match a {
            EdgeAction::SetNull => return format!("sets only {cols} to NULL"),
            EdgeAction::SetDefault if set_columns.len() == 1 => {
                return format!("sets only {cols} to its default")
            }
            EdgeAction::SetDefault => return format!("sets only {cols} to their defaults"),
            _ => {}
        }
    }
    match a {
        EdgeAction::Cascade => "deletes the child rows",
        EdgeAction::SetNull => "sets the columns to NULL",
        EdgeAction::SetDefault => "sets the columns to their defaults",
        EdgeAction::Restrict => "restrict: checked by a guard before the delete",
        EdgeAction::Ignore => "ignored: nothing happens",
    }
    .to_string()
}

fn view<'a>(stubs: &'a Stubs, pre: &'a Prepared<'a>, lang: Lang, config: &str) -> View<'a> {
    let mut module: Namer<'a> = Namer::new(lang);
    // A record, a handler and a lookup per parent table, two names per guard: sized once.
    module
        .taken
        .reserve(3 * stubs.parents.len() + 2 * stubs.guards.len() + 64);
    // Names the file defines itself.
    module.reserve(&[
        "pump",
        "apply_all",
        "Pump",
        "ApplyAll",
        "applyAll",
        "PumpResult",
        "JsonValue",
        "Json",
        "SiloPlanStubs",
        "BATCH_SIZE",
        "DefaultBatchSize",
        "DEFAULT_BATCH_SIZE",
        "SQL_LOCK_TIMEOUT",
        "SQL_LOCK",
        "SQL_READ",
        "SQL_INSERT",
        "SQL_APPLY",
        "sqlLockTimeout",
        "sqlLock",
        "sqlRead",
        "sqlInsert",
        "sqlApply",
        "ROUTES",
        "Routes",
        "Route",
        "readBatch",
        "read_batch",
        "inTransaction",
        "in_transaction",
        "Querier",
        "PumpError",
        "pump_to_silos",
        "Cascade",
        "Cascades",
        "CASCADES",
        "cascades",
        "cascade",
        "AfterDelete",
        "afterDelete",
        "after_delete",
        "_exists",
        "pumpToSilos",
        "PumpToSilos",
    ]);
    let type_case = pascal;

    // Records first (they name the types everything else uses).
    let mut records = Vec::with_capacity(stubs.parents.len());
    let mut uses_time = false;
    let mut uses_json = false;
    let mut scope = Namer::new(lang);
    for (p, pp) in stubs.parents.iter().zip(&pre.parents) {
        let name = Str(module.name_ref(pp.record(lang)));
        let plain = pp.plain_fields & lang.bit() != 0;
        let renamed = (!plain).then(|| {
            scope.clear();
            pp.columns
                .iter()
                .map(|pc| scope.name_ref(pc.name.func(lang)))
                .collect()
        });
        if lang == Lang::Go {
            uses_time |= pp.go_time;
            uses_json |= pp.go_json;
        }
        let fields = Fields {
            lang,
            columns: &p.columns,
            prepared: &pp.columns,
            renamed,
        };
        records.push(Record {
            name,
            table: &pp.table,
            silo: &pp.silo,
            fields,
        });
    }

    let interfaces = stubs
        .lookup_silos
        .iter()
        .map(|silo| {
            let name = module.name(if lang == Lang::Go {
                Cases::of_name(&format!("{silo}_lookups"))
                    .go_pascal()
                    .to_string()
            } else {
                type_case(&[words(silo), vec!["lookups".into()]].concat())
            });
            // A method per key of the silo's parents: the namer and the list sized once (grown
            // step by step, the list of thousands of lookups was copied into fresh memory
            // at every doubling, a visible part of the view).
            let count = stubs
                .parents
                .iter()
                .filter(|p| &p.silo == silo)
                .map(|p| p.keys.len())
                .sum();
            let mut methods = Namer::new(lang);
            methods.taken.reserve(count);
            let mut lookups = Vec::with_capacity(count);
            for ((p, rec), pp) in stubs
                .parents
                .iter()
                .zip(&records)
                .zip(&pre.parents)
                .filter(|((p, _), _)| &p.silo == silo)
            {
                for (k, pk) in p.keys.iter().zip(&pp.keys) {
                    lookups.push(lookup(
                        lang,
                        pk,
                        &pp.table,
                        &rec.name,
                        k,
                        &mut methods,
                        &mut module,
                    ));
                }
            }
            Interface {
                name,
                silo: comment(silo),
                lookups,
            }
        })
        .collect();

    // Sized once, as the lookups.
    let mut handlers = Vec::with_capacity(
        stubs
            .parents
            .iter()
            .filter(|p| !p.cascade_to.is_empty())
            .count(),
    );
    handlers.extend(
        stubs
            .parents
            .iter()
            .zip(&pre.parents)
            .filter_map(|(_, pp)| {
                let lits = &pre.handler_lits[pp.handler_lits?];
                let key_lit = lang.lit(&pp.table_key);
                let silo_lit = &lits.silo[lang.index()];
                let children = &lits.children[lang.index()];
                let entry = match lang {
                    Lang::Python => layout::call(
                        4,
                        &format!("{key_lit}: Cascade("),
                        &[silo_lit.clone(), format!("({children})")],
                        "),",
                        layout::PY,
                    ),
                    Lang::TypeScript => format!(
                        "{key_lit}: {{\n    silo: {silo_lit},\n    {}\n  }},",
                        layout::ts_call(4, "children: [", &lits.child_list[lang.index()], "],")
                    ),
                    Lang::Rust => format!("{key_lit} => ({silo_lit}, &[{children}]),"),
                    Lang::Ruby => format!(
                        "{key_lit} => {{\n      silo: {silo_lit},\n      children: {children}\n    }}"
                    ),
                    _ => String::new(),
                };
                Some(Handler {
                    key_lit,
                    entry,
                    table: &pp.table,
                    silo: &pp.silo,
                    silo_lit: &lits.silo[lang.index()],
                    edges: &pp.edges,
                    child_silo_lits: &lits.children[lang.index()],
                })
            }),
    );

    // `scope` (the records' field names) is reused for each guard's parameters.
    let guards = stubs
        .guards
        .iter()
        .zip(&pre.guards)
        .map(|(g, pg)| {
            let name = Str(module.name_ref(pg.name.func(lang)));
            let sql_const = Str(module.name_ref(match lang {
                Lang::Go => pg.sql_const.go_pascal(),
                Lang::TypeScript => pg.sql_const.camel(),
                _ => &pg.sql_const_upper,
            }));
            scope.clear();
            let params: Vec<KeyParam> = g
                .columns
                .iter()
                .zip(&pg.params)
                .map(|((_, _, ty), (cases, about))| KeyParam {
                    name: Str(scope.name_ref(cases.value(lang))),
                    ty: Str(match lang.key_ty(ty) {
                        t if lang == Lang::Rust && t == "String" => Cow::Borrowed("&str"),
                        t => t,
                    }),
                    about: Str(Cow::Borrowed(about)),
                })
                .collect();
            let mut args = String::new();
            for (i, p) in params.iter().enumerate() {
                if i > 0 {
                    args.push_str(", ");
                }
                args.push_str(&p.name);
            }
            let sql_lit = match lang {
                Lang::Ruby => ruby_lit_lines(&g.sql, 2 + layout::width(&sql_const) + 3),
                _ => lang.lit(&driver_sql(lang, &g.sql)),
            };
            let (const_decl, sig, call) = match lang {
                Lang::Python => {
                    let mut items = vec!["child: psycopg.Connection[Any]".to_string()];
                    items.extend(params.iter().map(|p| format!("{}: {}", &*p.name, &*p.ty)));
                    let sig = layout::call(
                        0,
                        &format!("def {}(", &*name),
                        &items,
                        ") -> bool:",
                        layout::PY,
                    );
                    let mut args = vec!["child".to_string(), sql_const.to_string()];
                    args.extend(params.iter().map(|p| p.name.to_string()));
                    let call = layout::call(4, "return _exists(", &args, ")", layout::PY);
                    (layout::py_assign(&sql_const, &sql_lit), sig, call)
                }
                Lang::TypeScript => {
                    let mut items = vec!["child: ClientBase".to_string()];
                    items.extend(params.iter().map(|p| format!("{}: {}", &*p.name, &*p.ty)));
                    let sig = layout::ts_call(
                        0,
                        &format!("export async function {}(", &*name),
                        &items,
                        "): Promise<boolean> {",
                    );
                    let values: Vec<String> = params.iter().map(|p| p.name.to_string()).collect();
                    let call = layout::ts_call(4, "values: [", &values, "],");
                    (layout::ts_const(&sql_const, &sql_lit), sig, call)
                }
                Lang::Rust => {
                    let mut items = vec!["child: &mut impl postgres::GenericClient".to_string()];
                    items.extend(params.iter().map(|p| format!("{}: {}", &*p.name, &*p.ty)));
                    let sig = layout::rs_sig(
                        0,
                        &format!("pub fn {}(", &*name),
                        &items,
                        ") -> Result<bool, postgres::Error> {",
                    );
                    let refs: Vec<String> =
                        params.iter().map(|p| format!("&{}", &*p.name)).collect();
                    let call =
                        layout::rs_call(4, "let row = child.query_one(", &sql_const, &refs, ")?;");
                    (layout::rs_const(&sql_const, &sql_lit), sig, call)
                }
                Lang::Ruby => {
                    let mut items = vec!["child".to_string()];
                    items.extend(params.iter().map(|p| p.name.to_string()));
                    let sig =
                        layout::call(2, &format!("def self.{}(", &*name), &items, ")", RUBY_WIDTH);
                    let call = layout::call(
                        4,
                        "result = child.exec_params(",
                        &[sql_const.to_string(), format!("[{args}]")],
                        ")",
                        RUBY_WIDTH,
                    );
                    (String::new(), sig, call)
                }
                _ => Default::default(),
            };
            Guard {
                name,
                sql_const,
                sql_lit,
                const_decl,
                sig,
                call,
                args,
                params,
                about: &pg.about,
                parent: &pg.parent,
                child: &pg.child,
                child_silo: &pg.child_silo,
            }
        })
        .collect();

    // Ruby's constants, `  NAME = 'sql'`, are cut into continued literals to fit its width.
    // (psycopg runs the lock statements without parameters: their `%` stay single.)
    // TypeScript's are whole declarations, laid out as prettier does.
    let sql_lit = |name: &str, sql: &str, params: bool| match lang {
        Lang::Ruby => ruby_lit_lines(sql, 2 + layout::width(name) + 3),
        Lang::TypeScript => layout::ts_const(Cases::of_name(name).camel(), &lang.lit(sql)),
        _ if params => lang.lit(&driver_sql(lang, sql)),
        _ => lang.lit(sql),
    };
    let pump = PumpView {
        lock_timeout: sql_lit("SQL_LOCK_TIMEOUT", &stubs.pump.lock_timeout, false),
        lock: sql_lit("SQL_LOCK", &stubs.pump.lock, false),
        read: sql_lit("SQL_READ", &stubs.pump.read, true),
        insert: sql_lit("SQL_INSERT", &stubs.pump.insert, true),
        apply: sql_lit("SQL_APPLY", &stubs.pump.apply, true),
    };
    let mut imports = vec!["context", "database/sql", "fmt"];
    if uses_json {
        imports.push("encoding/json");
    }
    if uses_time {
        imports.push("time");
    }
    imports.sort();
    let mut py_imports = Vec::new();
    if lang == Lang::Python {
        for m in ["datetime", "decimal", "uuid"] {
            let prefix = format!("{m}.");
            let used = pre
                .parents
                .iter()
                .flat_map(|p| &p.columns)
                .any(|c| c.ty(lang).contains(&prefix));
            if used {
                py_imports.push(m);
            }
        }
    }
    let reservations = reservation_views(stubs, lang, &mut module);
    View {
        reservations,
        py_imports,
        version: env!("CARGO_PKG_VERSION"),
        config: comment(config),
        records,
        interfaces,
        handlers,
        guards,
        pump,
        routes: stubs
            .routes
            .iter()
            .map(|(a, b)| comment(&format!("{a} → {b}")))
            .collect(),
        multi_instance: if stubs.multi_instance.is_empty() {
            "none".into()
        } else {
            // `region: "region/us", "region/de"; search: ...`: each source as a JSON string,
            // the form every language's docs can quote.
            comment(
                &stubs
                    .multi_instance
                    .iter()
                    .map(|(silo, sources)| {
                        let quoted: Vec<String> = sources.iter().map(|x| json_str(x)).collect();
                        format!("{silo}: {}", quoted.join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        },
        imports,
    }
}

/// The type of a key column: the parent column's, or an unknown type carried as a string when
/// the table does not have it (an inconsistent dump).
fn key_type<'p>(p: &'p StubParent, column: &str) -> &'p FieldType {
    static UNKNOWN: std::sync::OnceLock<FieldType> = std::sync::OnceLock::new();
    match p.column(column) {
        Some(c) => &c.ty,
        None => UNKNOWN.get_or_init(|| FieldType {
            kind: Kind::Other,
            dims: 0,
            cast: None,
            written: "unknown".into(),
        }),
    }
}

/// A tuple type of the key types: `open`, the types separated by `, `, `close`.
fn tuple_ty(lang: Lang, types: &[&FieldType], open: &str, close: &str) -> String {
    let mut s = String::from(open);
    for (i, t) in types.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&lang.key_ty(t));
    }
    s.push_str(close);
    s
}

fn lookup<'a>(
    lang: Lang,
    pk: &'a PreparedKey<'a>,
    table: &'a str,
    record: &Str<'a>,
    key: &[String],
    methods: &mut Namer<'a>,
    module: &mut Namer<'a>,
) -> Lookup<'a> {
    let method = Str(methods.name_ref(pk.method.func(lang)));
    let types = &pk.types;
    let (key_ty, key_struct): (Cow<'a, str>, _) = if key.len() == 1 {
        (lang.key_ty(types[0]), None)
    } else {
        match lang {
            Lang::Go => {
                // The words of the method's name, then `key`.
                let name = module.name(format!("{}Key", pk.method.go_pascal()));
                let mut scope = Namer::new(lang);
                let fields = key
                    .iter()
                    .zip(types)
                    .map(|(k, t)| KeyParam {
                        name: Str(Cow::Owned(
                            scope.name(Cases::of_name(k).go_pascal().to_string()),
                        )),
                        ty: Str(lang.key_ty(t)),
                        about: Str(Cow::Owned(comment(&format!(
                            "{} ({})",
                            crate::ident::ident(k),
                            t.written
                        )))),
                    })
                    .collect::<Vec<KeyParam>>();
                let cells: Vec<Vec<&str>> = fields.iter().map(|p| vec![&*p.name, &*p.ty]).collect();
                let widths = go_align(&cells);
                let lines = cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{:<w0$}{:<w1$}", c[0], c[1], w0 = w[0], w1 = w[1]))
                    .collect();
                (
                    Cow::Owned(name.clone()),
                    Some(KeyStruct {
                        name,
                        fields,
                        lines,
                    }),
                )
            }
            Lang::Python => (Cow::Owned(tuple_ty(lang, types, "tuple[", "]")), None),
            Lang::TypeScript => (Cow::Owned(tuple_ty(lang, types, "readonly [", "]")), None),
            Lang::Rust => (Cow::Owned(tuple_ty(lang, types, "(", ")")), None),
            Lang::Ruby => (Cow::Owned(tuple_ty(lang, types, "Array(", ")")), None),
        }
    };
    let sig = match lang {
        Lang::TypeScript => layout::ts_call(
            2,
            &format!("{}(", &*method),
            &[format!("keys: ReadonlyArray<{key_ty}>")],
            &format!("): Promise<{}[]>;", &**record),
        ),
        Lang::Rust => layout::rs_sig(
            4,
            &format!("fn {}(", &*method),
            &["&mut self".to_string(), format!("keys: &[{key_ty}]")],
            &format!(") -> Result<Vec<{}>, Self::Error>;", &**record),
        ),
        Lang::Python => layout::call(
            4,
            &format!("def {}(", &*method),
            &["self".to_string(), format!("keys: Sequence[{key_ty}]")],
            &format!(") -> list[{}]:", &**record),
            layout::PY,
        ),
        _ => String::new(),
    };
    Lookup {
        method,
        key_ty: Str(key_ty),
        key_struct,
        record: record.clone(),
        table,
        columns: &pk.columns,
        used_by: &pk.used_by,
        sig,
    }
}

/// Lines laid out as each language's formatter lays out the few constructs whose width depends
/// on names from the dump (signatures, calls, constants), so the stubs pass `ruff format
/// --check`, `prettier --check` and `rustfmt --check` as written.
mod layout {
    /// ruff format's (and black's) line width.
    pub const PY: usize = 88;
    /// prettier's line width.
    pub const TS: usize = 80;

    /// The width of `s` as the formatters count it (characters).
    pub fn width(s: &str) -> usize {
        s.chars().count()
    }

    /// `head`, the items separated by `, `, `tail` at `indent` columns: on one line when it
    /// fits in `max`; else the items on one line of their own, one level deeper; else one item a
    /// line, each followed by a comma (ruff's, black's and prettier's split of brackets).
    /// The result does not start with the indentation; its later lines do.
    pub fn call(indent: usize, head: &str, items: &[String], tail: &str, max: usize) -> String {
        let joined = items.join(", ");
        if indent + width(head) + width(&joined) + width(tail) <= max {
            return format!("{head}{joined}{tail}");
        }
        let inner = " ".repeat(indent + 4);
        let outer = " ".repeat(indent);
        if items.is_empty() || indent + 4 + width(&joined) <= max {
            return format!("{head}\n{inner}{joined}\n{outer}{tail}");
        }
        let mut out = String::from(head);
        for item in items {
            out.push('\n');
            out.push_str(&inner);
            out.push_str(item);
            out.push(',');
        }
        out.push('\n');
        out.push_str(&outer);
        out.push_str(tail);
        out
    }

    /// prettier's split of a parameter list, arguments or an array: `head`, the items
    /// separated by `, `, `tail` on one line when that fits in [`TS`] at `indent` columns; else
    /// one item a line, two columns deeper, each followed by a comma. The result does not
    /// start with the indentation; its later lines do.
    pub fn ts_call(indent: usize, head: &str, items: &[String], tail: &str) -> String {
        let joined = items.join(", ");
        if items.is_empty() || indent + width(head) + width(&joined) + width(tail) <= TS {
            return format!("{head}{joined}{tail}");
        }
        one_per_line(indent, 2, head, items, tail)
    }

    /// `head`, then each item on a line of its own `step` columns deeper than `indent`, each
    /// followed by a comma, then `tail` on its own line at `indent`: the layout prettier and
    /// rustfmt fall back to when a list does not fit on one line.
    fn one_per_line(
        indent: usize,
        step: usize,
        head: &str,
        items: &[String],
        tail: &str,
    ) -> String {
        let mut out = String::from(head);
        for item in items {
            out.push('\n');
            out.push_str(&" ".repeat(indent + step));
            out.push_str(item);
            out.push(',');
        }
        out.push('\n');
        out.push_str(&" ".repeat(indent));
        out.push_str(tail);
        out
    }

    /// `const name = value;` at column 0 as prettier writes it: `value` on a line of its own,
    /// two columns in, when the line is too wide (a string literal cannot be split).
    pub fn ts_const(name: &str, value: &str) -> String {
        if 6 + width(name) + 3 + width(value) + ";".len() <= TS {
            format!("const {name} = {value};")
        } else {
            format!("const {name} =\n  {value};")
        }
    }

    /// rustfmt's `max_width`.
    pub const RS: usize = 100;
    /// rustfmt's `fn_call_width` and `array_width` (its default heuristics: 60% of the width).
    pub const RS_CALL: usize = 60;

    /// A function signature as rustfmt lays it out: `head` (`fn name(`), the parameters, `tail`
    /// (`) -> T;` or `) -> T {`) on one line when it fits; for a declaration ending in `;` that
    /// is one column too wide, the return type alone on the next line, four columns deeper;
    /// else one parameter a line, each followed by a comma.
    pub fn rs_sig(indent: usize, head: &str, params: &[String], tail: &str) -> String {
        let joined = params.join(", ");
        let one = indent + width(head) + width(&joined) + width(tail);
        // rustfmt keeps a column for the `;` of a declaration.
        let max = if tail.ends_with(';') { RS - 1 } else { RS };
        if one <= max {
            return format!("{head}{joined}{tail}");
        }
        if one == RS && tail.ends_with(';') {
            if let Some(ret) = tail.strip_prefix(") ") {
                let pad = " ".repeat(indent + 4);
                return format!("{head}{joined})\n{pad}{ret}");
            }
        }
        one_per_line(indent, 4, head, params, tail)
    }

    /// `head` (`let row = client.query_one(`), `first`, `&[items]`, `tail` as rustfmt lays a
    /// call out: on one line when its arguments fit in [`RS_CALL`] and the line in [`RS`];
    /// else one argument a line, four columns deeper, the array itself one item a line when it
    /// has several and is wider than [`RS_CALL`] or its line.
    pub fn rs_call(indent: usize, head: &str, first: &str, items: &[String], tail: &str) -> String {
        let array = format!("&[{}]", items.join(", "));
        let args = width(first) + 2 + width(&array);
        if args <= RS_CALL && indent + width(head) + args + width(tail) <= RS {
            return format!("{head}{first}, {array}{tail}");
        }
        let inner = " ".repeat(indent + 4);
        let mut out = format!("{head}\n{inner}{first},\n{inner}");
        if items.len() < 2 || (width(&array) - 1 <= RS_CALL && indent + 4 + width(&array) < RS) {
            out.push_str(&array);
        } else {
            out.push_str("&[");
            for item in items {
                out.push('\n');
                out.push_str(&inner);
                out.push_str("    ");
                out.push_str(item);
                out.push(',');
            }
            out.push('\n');
            out.push_str(&inner);
            out.push(']');
        }
        out.push_str(",\n");
        out.push_str(&" ".repeat(indent));
        out.push_str(tail.trim_start());
        out
    }

    /// `pub const NAME: &str = value;` at column 0 as rustfmt writes it: `value` on the next
    /// line, four columns in, when the line is too wide.
    pub fn rs_const(name: &str, value: &str) -> String {
        if 10 + width(name) + 9 + width(value) + ";".len() <= RS {
            format!("pub const {name}: &str = {value};")
        } else {
            format!("pub const {name}: &str =\n    {value};")
        }
    }

    /// `name = value` at column 0 in Python: `value` in parentheses on a line of its own when
    /// that makes it fit (ruff's split of a long right-hand side that cannot be split itself).
    pub fn py_assign(name: &str, value: &str) -> String {
        if width(name) + 3 + width(value) <= PY || 4 + width(value) > PY {
            format!("{name} = {value}")
        } else {
            format!("{name} = (\n    {value}\n)")
        }
    }
}

#[derive(Template)]
#[template(path = "stubs/python/silo_plan_stubs.py", escape = "none")]
struct PythonStubs<'a> {
    v: View<'a>,
}

#[derive(Template)]
#[template(path = "stubs/typescript/silo_plan_stubs.ts", escape = "none")]
struct TypeScriptStubs<'a> {
    v: View<'a>,
}

#[derive(Template)]
#[template(path = "stubs/go/siloplan.go", escape = "none")]
struct GoStubs<'a> {
    v: View<'a>,
}

#[derive(Template)]
#[template(path = "stubs/rust/lib.rs", escape = "none")]
struct RustStubs<'a> {
    v: View<'a>,
}

#[derive(Template)]
#[template(path = "stubs/rust/Cargo.toml", escape = "none")]
struct RustCargo {
    version: &'static str,
}

#[derive(Template)]
#[template(path = "stubs/ruby/silo_plan_stubs.rb", escape = "none")]
struct RubyStubs<'a> {
    v: View<'a>,
}

/// Renders `t` into a `String` of at least `hint` bytes, then sets `hint` for the next
/// language: this file's length and a quarter. The five files are within a few percent of each
/// other's size, so only the first one grows while it is written (a growing buffer of several
/// megabytes is copied and its fresh pages faulted in at every doubling).
fn render_sized<T: Template>(name: &str, t: &T, hint: &mut usize) -> Result<String, RenderError> {
    let out = super::run_sized(name, t, *hint)?;
    *hint = out.len() + out.len() / 4;
    Ok(out)
}

/// Every file under `stubs/`, for the plan's stubs.
pub fn files(stubs: &Stubs, config: &str) -> Result<Vec<OutFile>, RenderError> {
    let (distinct, positions) = PreparedColumn::table(stubs);
    let pre = Prepared::new(stubs, &distinct, &positions);
    let file = |path: &str, contents: String| OutFile {
        path: format!("stubs/{path}"),
        contents: super::with_newline(contents),
    };
    let mut hint = 0;
    Ok(vec![
        file(
            "python/silo_plan_stubs.py",
            render_sized(
                "stubs/python",
                &PythonStubs {
                    v: view(stubs, &pre, Lang::Python, config),
                },
                &mut hint,
            )?,
        ),
        file(
            "typescript/silo_plan_stubs.ts",
            render_sized(
                "stubs/typescript",
                &TypeScriptStubs {
                    v: view(stubs, &pre, Lang::TypeScript, config),
                },
                &mut hint,
            )?,
        ),
        file(
            "go/siloplan/siloplan.go",
            render_sized(
                "stubs/go",
                &GoStubs {
                    v: view(stubs, &pre, Lang::Go, config),
                },
                &mut hint,
            )?,
        ),
        file(
            "rust/Cargo.toml",
            super::run(
                "stubs/rust/Cargo.toml",
                &RustCargo {
                    version: env!("CARGO_PKG_VERSION"),
                },
            )?,
        ),
        file(
            "rust/src/lib.rs",
            render_sized(
                "stubs/rust",
                &RustStubs {
                    v: view(stubs, &pre, Lang::Rust, config),
                },
                &mut hint,
            )?,
        ),
        file(
            "ruby/silo_plan_stubs.rb",
            wrap_ruby_comments(render_sized(
                "stubs/ruby",
                &RubyStubs {
                    v: view(stubs, &pre, Lang::Ruby, config),
                },
                &mut hint,
            )?),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_identifiers() {
        assert_eq!(words("auth_user"), ["auth", "user"]);
        assert_eq!(words("UserName"), ["user", "name"]);
        assert_eq!(words("a b-c"), ["a", "b", "c"]);
        assert_eq!(words("café"), ["caf", "ue9"]);
        assert_eq!(words("2fa"), ["n", "2fa"]);
        assert_eq!(words("***"), ["x"]);
        let mut n = Namer::new(Lang::Rust);
        assert_eq!(n.name("type".into()), "type_");
        assert_eq!(n.name("type".into()), "type_2");
        assert_eq!(n.name("FooBar".into()), "FooBar");
        assert_eq!(n.name("FooBar".into()), "FooBar2");
        assert_eq!(n.name("a".into()), "a");
        assert_eq!(n.name("a".into()), "a_2");
        assert_eq!(Lang::Ruby.lit("#{x}"), "\"\\#{x}\"");
        assert_eq!(Lang::Rust.lit("a\"\n"), "\"a\\\"\\n\"");
        for lang in Lang::ALL {
            let lit = lang.lit("ev\x1b[31m\u{202e}\u{9b}\u{7f}\u{2028}");
            assert!(!lit.chars().any(crate::untrusted::is_unsafe), "{lit}");
        }
        assert_eq!(Lang::Python.lit("a\u{202e}\u{7f}"), "\"a\\u202e\\u007f\"");
        assert_eq!(
            driver_sql(Lang::Python, "SELECT \"a$1%\" = $1 AND '%$2' = $2"),
            "SELECT \"a$1%%\" = %s AND '%%$2' = %s"
        );
        assert_eq!(comment("a\nb */ \"\"\" c\\"), "a b * / \" \" \" c\\\\");
        assert_eq!(
            comment("x\x1b[31m\u{202e}y\u{9b}\tz"),
            "x\\\\u{1b}[31m\\\\u{202e}y\\\\u{9b} z"
        );
        for (s, safe) in [
            ("plain text", true),
            ("a */ b", false),
            ("*/", false),
            ("/* a * / b", true),
            ("a \"\"\" b", false),
            ("a \"\" b \"", true),
            ("a\\b", false),
            ("caf\u{e9}", false),
            ("a\tb", false),
        ] {
            assert_eq!(comment_safe(s), safe, "{s:?}");
            if safe {
                assert_eq!(comment(s), s);
            }
        }
    }

    #[test]
    fn cases_of_a_name_are_those_of_its_words() {
        for name in [
            "auth_user",
            "UserName",
            "a b-c",
            "café",
            "2fa",
            "***",
            "",
            "_x_",
            "ID",
            "userID2Name",
            "a1B",
            "1",
            "é",
            "éa",
            "aé",
            "a__b",
            "HTTPServer",
            "x9y",
            "9Lives",
            " leading space",
            "ünïcödé_ñame",
        ] {
            let w = words(name);
            let mut camel = pascal(&w);
            camel[..1].make_ascii_lowercase();
            for c in [Cases::of_name(name), Cases::new(&w)] {
                assert_eq!(
                    (c.snake(), c.pascal(), c.camel()),
                    (snake(&w).as_str(), pascal(&w).as_str(), camel.as_str()),
                    "{name:?}"
                );
            }
        }
    }

    #[test]
    fn borrowed_names_are_made_unique_like_owned_ones() {
        let mut n = Namer::new(Lang::Python);
        n.reserve(&["pump"]);
        assert!(matches!(n.name_ref("user_id"), Cow::Borrowed("user_id")));
        assert_eq!(n.name_ref("user_id"), "user_id_2");
        assert_eq!(n.name("user_id".into()), "user_id_3");
        assert_eq!(n.name_ref("pump"), "pump_2");
        assert_eq!(n.name_ref("class"), "class_");
        assert_eq!(n.name_ref("class"), "class_2");
    }

    #[test]
    fn plain_fields_are_those_the_namer_leaves_as_they_are() {
        let cols = |names: &[&str]| -> Vec<PreparedColumn> {
            names
                .iter()
                .map(|n| PreparedColumn {
                    name: Cases::of_name(n),
                    about: String::new(),
                    safe_tag: true,
                    tys: Default::default(),
                })
                .collect()
        };
        for names in [
            &["id", "name"][..],
            &["id", "class"],
            &["id", "type"],
            &["a_1b", "a1b"],
            &["user_id", "UserId"],
            &[],
        ] {
            let owned = cols(names);
            let columns: Vec<&PreparedColumn> = owned.iter().collect();
            let mut seen = FxSet::default();
            let plain = plain_fields(&columns, &mut seen);
            for lang in Lang::ALL {
                let mut scope = Namer::new(lang);
                let as_is = columns.iter().all(|c| {
                    let n = c.name.func(lang);
                    scope.name_ref(n) == n
                });
                // Plain only where the namer leaves every name as it is (a repeat in one
                // case makes the record not plain in any language: the namer decides).
                if plain & lang.bit() != 0 {
                    assert!(as_is, "{names:?} {lang:?}");
                }
            }
        }
        let plain = |names: &[&str]| {
            let owned = cols(names);
            plain_fields(&owned.iter().collect::<Vec<_>>(), &mut FxSet::default())
        };
        assert_eq!(plain(&["id", "name"]), 0b11111);
        assert_eq!(plain(&[]), 0b11111);
        // `class` is reserved in Python, TypeScript and Ruby; Go's `Class` and Rust's `class`
        // are free.
        assert_eq!(plain(&["id", "class"]), Lang::Go.bit() | Lang::Rust.bit());
        assert_eq!(plain(&["a_1b", "a1b"]), 0);
    }

    #[test]
    fn handler_lists_child_silos_as_each_language_writes_a_list() {
        let lits = HandlerLits::new("control", &["region".to_string(), "eu#{x}".to_string()]);
        let children = |l: Lang| lits.children[l.index()].as_str();
        // Python's tuple keeps a trailing comma (one child would otherwise be no tuple).
        assert_eq!(children(Lang::Python), r#""region", "eu#{x}","#);
        assert_eq!(children(Lang::TypeScript), r#""region", "eu#{x}""#);
        assert_eq!(children(Lang::Go), r#""region", "eu#{x}""#);
        assert_eq!(children(Lang::Rust), r#""region", "eu#{x}""#);
        assert_eq!(children(Lang::Ruby), r#"['region', "eu\#{x}"]"#);
        assert_eq!(lits.silo[Lang::Ruby.index()], "'control'");
        let words = HandlerLits::new("control", &["region".to_string(), "eu-1".to_string()]);
        assert_eq!(words.children[Lang::Ruby.index()], "%w[region eu-1]");
        assert_eq!(Lang::Ruby.lit("it's"), "\"it's\"");
        assert_eq!(Lang::Ruby.lit("a\\'\"#b"), r##"'a\\\'"#b'"##);
        assert_eq!(Lang::Ruby.lit("#@x\n"), "\"\\#@x\\n\"");
        let long = "x ".repeat(100);
        let lines = ruby_lit_lines(&long, 20);
        assert!(
            lines.lines().all(|l| l.chars().count() <= RUBY_WIDTH),
            "{lines}"
        );
        assert!(lines
            .lines()
            .skip(1)
            .all(|l| l.starts_with(&" ".repeat(20))));
        let one = HandlerLits::new("control", &["region".to_string()]);
        assert_eq!(one.children[Lang::Python.index()], r#""region","#);
        assert_eq!(one.children[Lang::Go.index()], r#""region""#);
    }

    #[test]
    fn go_writes_initialisms_in_capitals() {
        for (name, pascal, camel) in [
            ("user_id", "UserID", "userID"),
            ("id", "ID", "id"),
            ("uuid", "UUID", "uuid"),
            ("api_url", "APIURL", "apiURL"),
            ("member_ids", "MemberIDs", "memberIDs"),
            ("http_server", "HTTPServer", "httpServer"),
            ("json_payload", "JSONPayload", "jsonPayload"),
            ("ident", "Ident", "ident"),
            ("sql_read", "SQLRead", "sqlRead"),
            ("ip", "IP", "ip"),
        ] {
            let c = Cases::of_name(name);
            assert_eq!(
                (c.func(Lang::Go), c.value(Lang::Go)),
                (pascal, camel),
                "{name}"
            );
        }
        // The other languages keep their cases.
        let c = Cases::of_name("user_id");
        assert_eq!(c.func(Lang::TypeScript), "userId");
        assert_eq!(c.pascal(), "UserId");
        // Ruby's numbers follow the letters (rubocop's normalcase).
        assert_eq!(Cases::of_name("a_2").func(Lang::Ruby), "a2");
        assert_eq!(Cases::of_name("$1%s").func(Lang::Ruby), "n1_s");
    }

    #[test]
    fn kinds_are_at_their_index() {
        for (i, kind) in ALL_KINDS.into_iter().enumerate() {
            assert_eq!(kind as usize, i, "{kind:?}");
        }
    }

    #[test]
    fn languages_are_at_their_index() {
        for (i, lang) in Lang::ALL.into_iter().enumerate() {
            assert_eq!(lang.index(), i, "{lang:?}");
        }
    }

    #[test]
    fn names_in_a_row_are_snake_cased_like_their_words() {
        for (parts, tail) in [
            (&["auth_user", "UserName"][..], "by"),
            (&["2fa", "***", "café"][..], "x"),
            (&["", "a b-c", "9Lives"][..], "by"),
        ] {
            let mut s = snake_name(parts[0]);
            s.push('_');
            s.push_str(tail);
            for p in &parts[1..] {
                push_snake_name(&mut s, p);
            }
            let mut w = words(parts[0]);
            w.push(tail.to_string());
            for p in &parts[1..] {
                w.extend(words(p));
            }
            assert_eq!(s, snake(&w), "{parts:?}");
        }
    }

    #[test]
    fn scalar_types_are_looked_up_as_spelled() {
        for lang in Lang::ALL {
            for kind in ALL_KINDS {
                for nullable in [false, true] {
                    let t = FieldType {
                        kind,
                        dims: 0,
                        cast: None,
                        written: String::new(),
                    };
                    assert_eq!(lang.ty(&t, nullable), lang.spell_ty(kind, 0, nullable));
                }
            }
        }
        let t = |kind, dims| FieldType {
            kind,
            dims,
            cast: None,
            written: String::new(),
        };
        assert_eq!(Lang::Go.ty(&t(Kind::Int64, 0), true), "*int64");
        assert_eq!(Lang::Python.ty(&t(Kind::Json, 0), true), "JsonValue | None");
        assert_eq!(Lang::Ruby.ty(&t(Kind::Bool, 0), false), "Boolean");
        assert_eq!(
            Lang::TypeScript.ty(&t(Kind::Int32, 1), true),
            "number[] | null"
        );
        assert_eq!(Lang::Rust.key_ty(&t(Kind::Uuid, 0)), "String");
        assert_eq!(Lang::TypeScript.key_ty(&t(Kind::Int64, 0)), "string");
    }
}
