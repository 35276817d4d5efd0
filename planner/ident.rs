//! The one place quoting rules live: identifiers and literals in generated SQL.
//!
//! Every name that reaches generated SQL goes through [`ident`] or [`qualified`], so a name from
//! a dump can never break out of a statement: it is double-quoted unless it is a plain
//! lowercase identifier that is not a keyword, and embedded quotes are doubled.

use crate::catalog::QName;

/// Keywords that cannot be used as bare identifiers (Postgres's reserved and type/func-name
/// keywords), so they are always quoted. Sorted: looked up by binary search.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// Longest word in [`RESERVED`], plus one.
const MAX_RESERVED: usize = 18;

/// Bit `len` of entry `c - b'a'` is set when a word of [`RESERVED`] starts with `c` and has
/// `len` bytes: most names are told apart from every reserved word by these two facts alone,
/// before any string comparison.
const RESERVED_SHAPES: [u32; 26] = {
    let mut t = [0u32; 26];
    let mut i = 0;
    while i < RESERVED.len() {
        let w = RESERVED[i].as_bytes();
        assert!(w.len() < MAX_RESERVED && w[0].is_ascii_lowercase());
        t[(w[0] - b'a') as usize] |= 1 << w.len();
        i += 1;
    }
    t
};

/// True when `name` is a word of [`RESERVED`].
fn is_reserved(name: &str) -> bool {
    let b = name.as_bytes();
    match b.first() {
        Some(c @ b'a'..=b'z') if b.len() < MAX_RESERVED => {
            RESERVED_SHAPES[(c - b'a') as usize] & (1 << b.len()) != 0
                && RESERVED.binary_search(&name).is_ok()
        }
        _ => false,
    }
}

/// True when `name` can be written without quotes and means the same.
pub fn is_bare(name: &str) -> bool {
    let b = name.as_bytes();
    b.first()
        .is_some_and(|&c| c.is_ascii_lowercase() || c == b'_')
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'$')
        && !is_reserved(name)
}

/// An identifier as SQL: bare when safe, else double-quoted with `"` doubled.
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_ident(&mut out, name);
    out
}

/// [`ident`] appended to `out` (no intermediate `String`).
pub fn push_ident(out: &mut String, name: &str) {
    if is_bare(name) {
        out.push_str(name);
    } else {
        push_quoted(out, name, '"');
    }
}

/// `s` between two `quote`s, each `quote` inside doubled (SQL's quoting of identifiers and
/// literals alike).
fn push_quoted(out: &mut String, s: &str, quote: char) {
    out.push(quote);
    for (i, part) in s.split(quote).enumerate() {
        if i > 0 {
            out.push(quote);
            out.push(quote);
        }
        out.push_str(part);
    }
    out.push(quote);
}

/// A schema-qualified name as SQL: `schema.name`, each part quoted as needed.
pub fn qualified(q: &QName) -> String {
    let mut out = String::with_capacity(q.schema.len() + q.name.len() + 5);
    push_qualified(&mut out, q);
    out
}

/// [`qualified`] appended to `out` (no intermediate `String`).
pub fn push_qualified(out: &mut String, q: &QName) {
    push_ident(out, &q.schema);
    out.push('.');
    push_ident(out, &q.name);
}

/// A comma-separated identifier list: `a, "B", c`.
pub fn ident_list(names: &[String]) -> String {
    let mut out = String::with_capacity(names.iter().map(|n| n.len() + 4).sum());
    push_ident_list(&mut out, names);
    out
}

/// [`ident_list`] appended to `out` (no `String` per name).
pub fn push_ident_list(out: &mut String, names: &[String]) {
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_ident(out, n);
    }
}

/// A string literal: `'...'` with `'` doubled (standard-conforming strings).
pub fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_literal(&mut out, s);
    out
}

/// [`literal`] appended to `out` (no intermediate `String`).
pub fn push_literal(out: &mut String, s: &str) {
    push_quoted(out, s, '\'');
}

/// Text safe inside an SQL `--` comment: line breaks become spaces, and the other characters
/// [`crate::untrusted`] escapes (terminal escapes, bidirectional overrides) are written
/// visibly, so a comment shows a reviewer the name that the quoted SQL below it holds.
pub fn comment_text(s: &str) -> String {
    if s.contains(['\n', '\r']) {
        crate::untrusted::escape(&s.replace(['\n', '\r'], " ")).into_owned()
    } else {
        crate::untrusted::escape(s).into_owned()
    }
}

/// [`comment_text`] written into `out` (no intermediate `String`).
pub fn write_comment_text<W: std::fmt::Write + ?Sized>(out: &mut W, s: &str) -> std::fmt::Result {
    let mut rest = s;
    while let Some(i) = rest.find(['\n', '\r']) {
        crate::untrusted::write_escaped(out, &rest[..i])?;
        out.write_char(' ')?;
        rest = &rest[i + 1..];
    }
    crate::untrusted::write_escaped(out, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_sorted() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn reserved_lookup_agrees_with_the_list() {
        for w in RESERVED {
            assert!(is_reserved(w), "{w}");
            assert!(!is_bare(w), "{w}");
        }
        for w in [
            "users", "a", "ordering", "table_", "all1", "", "Order", "zzz",
        ] {
            assert!(!is_reserved(w), "{w}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(ident("orders"), "orders");
        assert_eq!(ident("Orders"), "\"Orders\"");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("a b"), "\"a b\"");
        assert_eq!(ident("x\"y"), "\"x\"\"y\"");
        assert_eq!(ident("1abc"), "\"1abc\"");
        assert_eq!(ident("café"), "\"café\"");
        assert_eq!(ident(""), "\"\"");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(qualified(&QName::new("public", "User")), "public.\"User\"");
        assert_eq!(comment_text("a\nb"), "a b");
        assert_eq!(
            comment_text("x\x1b[2J\u{202e}y\u{9b}"),
            "x\\u{1b}[2J\\u{202e}y\\u{9b}"
        );
    }

    #[test]
    fn write_comment_text_writes_what_comment_text_returns() {
        for s in [
            "plain",
            "two\nlines",
            "cr\r\nlf",
            "\n",
            "",
            "end\n",
            "esc\x1b[31m\nred\u{202e}",
        ] {
            let mut out = String::new();
            write_comment_text(&mut out, s).expect("writing to a String");
            assert_eq!(out, comment_text(s), "{s:?}");
        }
    }

    #[test]
    fn literals_and_quoted_identifiers_double_their_quote() {
        // `literal` is built on `push_literal`, so each is checked against the SQL it must be.
        for (s, want) in [
            ("", "''"),
            ("plain", "'plain'"),
            ("it's", "'it''s'"),
            ("''", "''''''"),
            ("'a'b'", "'''a''b'''"),
            ("é'", "'é'''"),
        ] {
            let mut out = String::from("x");
            push_literal(&mut out, s);
            assert_eq!(out, format!("x{want}"), "{s:?}");
            assert_eq!(literal(s), want, "{s:?}");
        }
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("\"\""), "\"\"\"\"\"\"");
    }
}
