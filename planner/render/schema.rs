//! Rendering `silos/<silo>/schema.sql` from a [`SiloSchema`]: a header (silo, tables, where it
//! came from, how to apply it, what was left out), then each statement or left-out comment
//! preceded by `-- from <file>:<line>`.

use std::fmt::{self, Write};

use askama::Template;

use super::RenderError;
use crate::dump::lex::tokenize;
use crate::ident::{comment_text, qualified, write_comment_text};
use crate::plan::schema::{Item, SiloSchema};
use crate::plan::Input;

/// The entries, each written straight into the template's output: `-- from <file>:<line>`,
/// the notes, then the statement with its terminator or the `-- left out:` comment. A silo of
/// a large dump has a million of them; building each as `String`s that the template then
/// copied cost as much as the rest of the file.
struct Items<'a> {
    items: &'a [Item],
    input: &'a Input<'a>,
}

impl fmt::Display for Items<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in self.items {
            let (Item::Statement { at, .. } | Item::Comment { at, .. }) = item;
            f.write_str("\n\n-- from ")?;
            write_comment_text(f, &at.file)?;
            write!(f, ":{}", at.line)?;
            match item {
                Item::Statement { sql, notes, .. } => {
                    for n in notes {
                        f.write_str("\n-- ")?;
                        write_comment_text(f, n)?;
                    }
                    f.write_char('\n')?;
                    write_terminated(f, sql.text(self.input))?;
                }
                Item::Comment { text, .. } => {
                    f.write_str("\n-- ")?;
                    write_comment_text(f, text)?;
                }
            }
        }
        Ok(())
    }
}

#[derive(Template)]
#[template(path = "silo/schema.sql", escape = "none")]
struct SchemaSql<'a> {
    silo: String,
    version: &'static str,
    dumps: String,
    env: String,
    n_tables: usize,
    tables: Vec<String>,
    n_shared: usize,
    shared: Vec<String>,
    left_out: Vec<String>,
    items: Items<'a>,
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
    let env = crate::names::env_var(&s.silo, "URL");
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
        items: Items {
            items: &s.items,
            input,
        },
    };
    let mut out = super::run("silo/schema.sql", &t)?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// The statement with `;`: on its own line when the statement ends in a `--` comment.
fn write_terminated(f: &mut impl Write, sql: &str) -> fmt::Result {
    let sql = sql.trim_end();
    f.write_str(sql)?;
    // Only a comment (`--` or `/*`) can leave text after the last token; most statements have
    // none, and tokenizing each one whole just to find that out was a visible part of `plan`.
    let ends_in_comment = (sql.contains("--") || sql.contains("/*"))
        && tokenize(sql, usize::MAX, false)
            .toks
            .last()
            .map_or(0, |k| k.end)
            < sql.len();
    if ends_in_comment {
        f.write_char('\n')?;
    }
    f.write_char(';')
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

    fn terminated(sql: &str) -> String {
        let mut out = String::new();
        write_terminated(&mut out, sql).expect("writing to a String");
        out
    }

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
