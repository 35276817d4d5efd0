//! Rendering `silos/<silo>/schema.sql` from a [`SiloSchema`]: a header (silo, tables, where it
//! came from, how to apply it, what was left out), then each statement or left-out comment
//! preceded by `-- from <file>:<line>`.

use askama::Template;

use super::RenderError;
use crate::dump::lex::tokenize;
use crate::ident::{comment_text, qualified};
use crate::plan::schema::{Item, SiloSchema};
use crate::plan::Input;

/// One entry as the template lays it out.
struct Entry {
    at: String,
    notes: Vec<String>,
    /// The statement with its terminator, or the `-- left out:` comment.
    body: String,
}

#[derive(Template)]
#[template(path = "silo/schema.sql", escape = "none")]
struct SchemaSql {
    silo: String,
    version: &'static str,
    dumps: String,
    env: String,
    n_tables: usize,
    tables: Vec<String>,
    n_shared: usize,
    shared: Vec<String>,
    left_out: Vec<String>,
    items: Vec<Entry>,
}

/// `silos/<silo>/schema.sql`.
///
/// Rendering cannot fail on this template (every field is text); if askama ever reports an
/// error, the result is a file whose first statement raises it, so that applying it fails
/// instead of silently doing nothing. [`try_schema_sql`] returns the error instead.
pub fn schema_sql(s: &SiloSchema, input: &Input) -> String {
    try_schema_sql(s, input).unwrap_or_else(|e| {
        format!(
            "DO $$ BEGIN RAISE EXCEPTION '%', {}; END $$;\n",
            crate::ident::literal(&e.to_string())
        )
    })
}

/// `silos/<silo>/schema.sql`, or the template's error.
pub fn try_schema_sql(s: &SiloSchema, input: &Input) -> Result<String, RenderError> {
    let silo = comment_text(&s.silo);
    let env: String = s
        .silo
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect::<String>()
        + "_URL";
    let names = |v: &[crate::catalog::QName]| {
        if v.is_empty() {
            return vec!["(none)".to_string()];
        }
        wrap(
            &v.iter()
                .map(|q| comment_text(&qualified(q)))
                .collect::<Vec<_>>(),
            92,
        )
    };
    let items = s
        .items
        .iter()
        .map(|i| match i {
            Item::Statement { at, sql, notes } => Entry {
                at: comment_text(&at.to_string()),
                notes: notes.iter().map(|n| comment_text(n)).collect(),
                body: terminated(sql.text(input)),
            },
            Item::Comment { at, text } => Entry {
                at: comment_text(&at.to_string()),
                notes: Vec::new(),
                body: format!("-- {}", comment_text(text)),
            },
        })
        .collect();
    let t = SchemaSql {
        silo,
        version: env!("CARGO_PKG_VERSION"),
        dumps: s
            .files
            .iter()
            .map(|f| comment_text(f))
            .collect::<Vec<_>>()
            .join(", "),
        env,
        n_tables: s.tables.len(),
        tables: names(&s.tables),
        n_shared: s.shared.len(),
        shared: names(&s.shared),
        left_out: if s.left_out.is_empty() {
            vec!["nothing".to_string()]
        } else {
            s.left_out.iter().map(|l| comment_text(l)).collect()
        },
        items,
    };
    let mut out = super::run("silo/schema.sql", &t)?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// The statement with `;`: on its own line when the statement ends in a `--` comment.
fn terminated(sql: &str) -> String {
    let sql = sql.trim_end();
    let mut out = String::with_capacity(sql.len() + 2);
    out.push_str(sql);
    // Only a comment (`--` or `/*`) can leave text after the last token; most statements have
    // none, and tokenizing each one whole just to find that out was a visible part of `plan`.
    let ends_in_comment = (sql.contains("--") || sql.contains("/*"))
        && tokenize(sql, usize::MAX, false)
            .toks
            .last()
            .map_or(0, |k| k.end)
            < sql.len();
    if ends_in_comment {
        out.push('\n');
    }
    out.push(';');
    out
}

/// Comma-separated names in lines of at most `width` characters (a longer name gets its own).
fn wrap(names: &[String], width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for (i, n) in names.iter().enumerate() {
        let piece = if i + 1 < names.len() {
            format!("{n},")
        } else {
            n.clone()
        };
        if !line.is_empty() && line.len() + 1 + piece.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminator_after_a_trailing_comment_goes_on_its_own_line() {
        assert_eq!(terminated("SELECT 1"), "SELECT 1;");
        assert_eq!(terminated("SELECT 1 -- one"), "SELECT 1 -- one\n;");
        assert_eq!(terminated("SELECT '--'"), "SELECT '--';");
        assert_eq!(terminated("SELECT 1 /* c */"), "SELECT 1 /* c */\n;");
    }

    #[test]
    fn wraps_names() {
        let v: Vec<String> = ["a", "bb", "ccc"].iter().map(|s| s.to_string()).collect();
        assert_eq!(wrap(&v, 5), vec!["a,", "bb,", "ccc"]);
        assert_eq!(wrap(&v, 6), vec!["a, bb,", "ccc"]);
        assert_eq!(wrap(&v, 80), vec!["a, bb, ccc"]);
    }
}
