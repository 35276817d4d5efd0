//! Rendering `fks/drop.sql` and `fks/restore.sql` through `templates/fks/*.sql`.
//!
//! The plan ([`crate::plan::fks`]) decides every statement and every comment's content; this
//! only lays them out: a header, one section per foreign key, and above each statement its
//! why, locks and hazards as `--` comments (line breaks in names cannot end a comment: every
//! comment line goes through [`crate::ident::comment_text`]), wrapped at 100 columns.
//!
//! The templates hold the file around the sections; the sections themselves (`Sections`: a
//! heading per key, then each step's comments and statement) are written by this module
//! straight into the template's output, once (at 100,000 tables the two scripts are hundreds of
//! megabytes, and each copy of them was a visible part of `plan`).

use std::fmt::{self, Write as _};

use askama::Template;

use super::wrap;
use crate::ident::{comment_text, ident, literal, push_qualified, qualified};
use crate::plan::fks::{BrokenFk, FkScripts, IndexPlan, Quoted as Names};
use crate::plan::Step;

/// Width comment lines are wrapped at.
const WIDTH: usize = 100;

/// The sections of one part of a script: one per broken key, holding its steps (they are
/// grouped by `object`, in order). Written by [`Sections::write`], as the template prints it.
struct Sections<'a> {
    scripts: &'a FkScripts,
    /// Per broken key, its quoted names.
    names: &'a [Names],
    /// A key's `object` → its index in `scripts.broken`.
    by_object: &'a rustc_hash::FxHashMap<&'a str, usize>,
    steps: &'a [Step],
    /// The heading's word: `Foreign key`, `Add`, `Validate`.
    what: &'static str,
}

#[derive(Template)]
#[template(path = "fks/drop.sql", escape = "none")]
struct DropSql<'a> {
    /// Comment lines, each ending in `\n`.
    header: String,
    sections: Sections<'a>,
}

#[derive(Template)]
#[template(path = "fks/restore.sql", escape = "none")]
struct RestoreSql<'a> {
    /// Comment lines, each ending in `\n`.
    header: String,
    add: Sections<'a>,
    validate: Sections<'a>,
}

/// `--` comment lines for `text` appended to a block of lines, wrapped at [`WIDTH`];
/// continuation lines are indented by `indent` spaces after the `--`.
fn push_comment(out: &mut String, text: &str, indent: usize) {
    wrap::push_comment(out, text, indent, WIDTH, true);
}

/// [`push_comment`] into the template's output.
fn write_comment<W: fmt::Write + ?Sized>(out: &mut W, text: &str, indent: usize) -> fmt::Result {
    wrap::write_comment(out, text, indent, WIDTH, true)
}

/// A step laid out: a blank line, its why, locks and hazards as comments, then the statement
/// (in its own transaction with a lock timeout when it has one). `text` is scratch space for
/// the comments' texts.
fn write_step<W: fmt::Write + ?Sized>(out: &mut W, s: &Step, text: &mut String) -> fmt::Result {
    out.write_char('\n')?;
    write_comment(out, &s.why, 0)?;
    text.clear();
    text.push_str("Locks: ");
    for (i, (t, l)) in s.locks.iter().enumerate() {
        if i > 0 {
            text.push_str("; ");
        }
        push_qualified(text, t);
        text.push(' ');
        text.push_str(l.as_str());
    }
    text.push('.');
    write_comment(out, text, 4)?;
    for h in &s.hazards {
        text.clear();
        text.push_str("Hazard ");
        text.push_str(h.kind.as_str());
        text.push_str(": ");
        text.push_str(&h.message);
        write_comment(out, text, 4)?;
    }
    let has = |kind: &str| s.hazards.iter().any(|h| h.kind == kind);
    out.write_str(if has("table-rewrite") {
        "-- Rewrites a table: yes. Deletes data: "
    } else {
        "-- Rewrites a table: no. Deletes data: "
    })?;
    out.write_str(if has("data-loss") { "yes." } else { "no." })?;
    if s.gexec {
        out.write_str(" Generates statements that psql's \\gexec runs.")?;
    }
    out.write_char('\n')?;
    if let Some(t) = &s.lock_timeout {
        out.write_str("BEGIN;\nSET LOCAL lock_timeout = ")?;
        out.write_str(&literal(t))?;
        out.write_str(";\n")?;
    }
    out.write_str(&s.sql)?;
    out.write_str(if s.gexec { "\n\\gexec\n" } else { ";\n" })?;
    if s.lock_timeout.is_some() {
        out.write_str("COMMIT;\n")?;
    }
    Ok(())
}

impl<'a> Sections<'a> {
    fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Every section: a blank line, a rule, the key's number and names, then its steps.
    fn write<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        let n = self.scripts.broken.len();
        let mut text = String::with_capacity(1024);
        let mut object: Option<&str> = None;
        for st in self.steps {
            if object != Some(st.object.as_str()) {
                object = Some(&st.object);
                let i = *self
                    .by_object
                    .get(st.object.as_str())
                    .expect("every step is for a broken key");
                let (b, q) = (&self.scripts.broken[i], &self.names[i]);
                out.write_str("\n-- ")?;
                out.write_str(RULE)?;
                out.write_char('\n')?;
                writeln!(out, "-- {} {}/{n}", self.what, i + 1)?;
                text.clear();
                text.push_str(&q.child);
                text.push('.');
                text.push_str(&q.name);
                write_comment(out, &text, 4)?;
                text.clear();
                // Writing to a String cannot fail.
                let _ = write!(
                    text,
                    "{} ({}) -> {} ({})",
                    q.child, b.child_silo, q.parent, b.parent_silo
                );
                write_comment(out, &text, 4)?;
            }
            write_step(out, st, &mut text)?;
        }
        Ok(())
    }

    /// The bytes the sections take, about (for sizing the output).
    fn size(&self) -> usize {
        self.steps
            .iter()
            .map(|st| {
                st.why.len()
                    + st.sql.len()
                    + st.hazards
                        .iter()
                        .map(|h| h.message.len() + 64)
                        .sum::<usize>()
                    + 96 * st.locks.len()
                    + 256
            })
            .sum()
    }
}

/// `-` × 97: a section's rule, after `-- `.
const RULE: &str = "-------------------------------------------------------------------------------------------------";

impl fmt::Display for Sections<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

impl askama::FastWritable for Sections<'_> {
    fn write_into<W: fmt::Write + ?Sized>(
        &self,
        dest: &mut W,
        _values: &dyn askama::Values,
    ) -> askama::Result<()> {
        Ok(self.write(dest)?)
    }
}

/// Each broken key's names, quoted once per file (the list and every section repeat them).
fn names(s: &FkScripts) -> Vec<Names> {
    s.broken.iter().map(Names::new).collect()
}

/// A key's `object` → its index in `s.broken`.
fn by_object(s: &FkScripts) -> rustc_hash::FxHashMap<&str, usize> {
    s.broken
        .iter()
        .enumerate()
        .map(|(i, b)| (b.object.as_str(), i))
        .collect()
}

/// Comment lines describing a broken key in the header list, appended to `out`; `text` is
/// scratch space.
fn push_fk_lines(out: &mut String, text: &mut String, i: usize, b: &BrokenFk, n: &Names) {
    // `{:>3}.`: at least 4 characters, padded on the left.
    let number = format!("{:>3}.", i + 1);
    let pad = " ".repeat(number.len());
    let indent = number.len() + 1;
    let line = |out: &mut String, text: &mut String, parts: &[&str]| {
        text.clear();
        for p in parts {
            text.push_str(p);
        }
        push_comment(out, text, indent);
    };
    line(out, text, &[&number, " ", &n.shown()]);
    line(
        out,
        text,
        &[
            &pad,
            " ",
            &n.child,
            " (",
            &b.child_silo,
            ") -> ",
            &n.parent,
            " (",
            &b.parent_silo,
            ")",
        ],
    );
    match &b.index {
        IndexPlan::Existing(what) => line(out, text, &[&pad, " already indexed: ", what]),
        IndexPlan::Create(n) => line(out, text, &[&pad, " builds index ", n]),
        IndexPlan::CreatePartitioned(n) => line(
            out,
            text,
            &[
                &pad,
                " builds index ",
                n,
                " (partitioned: per partition, then attached)",
            ],
        ),
    }
    if let Some(r) = &b.allowed {
        line(
            out,
            text,
            &[&pad, " allowed for now in silo-plan.toml: ", r],
        );
    }
}

/// Header paragraphs as comment lines, each ending in `\n`: `""` is an empty comment line, a
/// paragraph starting with four spaces is a command shown as is.
fn paragraphs(ps: &[String]) -> String {
    let mut out = String::with_capacity(2048);
    for p in ps {
        if p.is_empty() {
            out.push_str("--\n");
        } else if p.starts_with("    ") {
            out.push_str("-- ");
            out.push_str(&comment_text(p));
            out.push('\n');
        } else {
            push_comment(&mut out, p, 0);
        }
    }
    out
}

/// The list of keys (broken, then left in place) appended to the header.
fn push_list(h: &mut String, s: &FkScripts, names: &[Names]) {
    h.reserve(256 * s.broken.len() + 128 * s.kept.len());
    let mut text = String::with_capacity(256);
    if s.broken.is_empty() {
        push_comment(
            h,
            "Foreign keys: none crosses silos, so there is nothing to do.",
            0,
        );
    } else {
        push_comment(h, "Foreign keys, in dump order:", 0);
        for (i, (b, n)) in s.broken.iter().zip(names).enumerate() {
            push_fk_lines(h, &mut text, i, b, n);
        }
    }
    if !s.kept.is_empty() {
        h.push_str("--\n");
        push_comment(
            h,
            "Left in place: these keys join a [shared] table, which every silo has a copy of \
             (a key from a shared table to a silo table is a `check` error, SP003, to \
             settle in silo-plan.toml first):",
            0,
        );
        for k in &s.kept {
            push_comment(
                h,
                &format!(
                    "  - {}.{} ({} -> {})",
                    qualified(&k.child),
                    ident(&k.name),
                    k.child_silo,
                    k.parent_silo
                ),
                6,
            );
        }
    }
    if !s.unconstrained.is_empty() {
        h.push_str("--\n");
        push_comment(
            h,
            "Nothing to drop or restore for these references: they cross silos without a \
             foreign-key constraint (declared in silo-plan.toml, imported or inferred), so the \
             database enforces nothing for them today:",
            0,
        );
        for u in &s.unconstrained {
            push_comment(
                h,
                &format!(
                    "  - {}({}) -> {} ({}; {} -> {})",
                    qualified(&u.child),
                    crate::ident::ident_list(&u.columns),
                    qualified(&u.parent),
                    u.kind.as_str(),
                    u.child_silo,
                    u.parent_silo
                ),
                6,
            );
        }
    }
}

/// `fks/drop.sql`.
pub fn drop_sql(s: &FkScripts) -> String {
    let built = s
        .broken
        .iter()
        .filter(|b| !matches!(b.index, IndexPlan::Existing(_)))
        .count();
    let mut header = paragraphs(&[
        format!(
            "Breaks the {} foreign keys that cross silos, so the tables on their two ends can \
             move to different databases. Columns, rows and existing indexes stay. Where no \
             index leads with a key's columns, one is built first, concurrently ({built} here): \
             after the split the application and the replicated cascades look rows up by them.",
            s.broken.len()
        ),
        String::new(),
        "Run it against today's database with psql, not in a transaction (no -1: \
         CREATE INDEX CONCURRENTLY refuses to run in one):"
            .into(),
        "    psql -v ON_ERROR_STOP=1 -f fks/drop.sql \"$ORIGIN_URL\"".into(),
        String::new(),
        format!(
            "Safe to re-run: every step skips what is done. Steps that take a lock blocking reads \
             or writes give up after lock_timeout = {} ('canceling statement due to lock \
             timeout') rather than queue the application behind them; the script then stops, \
             and you run it again (at a quieter moment if it keeps timing out).",
            s.lock_timeout
        ),
        String::new(),
        if s.broken.is_empty() {
            "No foreign key crosses a silo: this script changes nothing.".into()
        } else if s.cascade_files {
            "Before running it, the replicated cascades (cascades/<silo>.sql and the \
             application's handlers) must be live: from each drop on, the database no longer \
             enforces that key. This script does NOT replicate any cascade and moves no data; \
             fks/restore.sql puts the keys back."
                .into()
        } else {
            "silo-plan.toml ignores every key below: nothing replaces what it enforced, and from \
             each drop on the database no longer enforces it. This script moves no data; \
             fks/restore.sql puts the keys back."
                .into()
        },
        String::new(),
    ]);
    let names = names(s);
    push_list(&mut header, s, &names);
    let by_object = by_object(s);
    let t = DropSql {
        header,
        sections: Sections {
            scripts: s,
            names: &names,
            by_object: &by_object,
            steps: &s.drop,
            what: "Foreign key",
        },
    };
    let hint = t.header.len() + t.sections.size();
    super::run_sized("fks/drop.sql", &t, hint + hint / 8 + 4096).expect("fks/drop.sql renders")
}

/// `fks/restore.sql`.
pub fn restore_sql(s: &FkScripts) -> String {
    let mut header = paragraphs(&[
        format!(
            "Puts back the {} foreign keys fks/drop.sql broke, with their original definitions: \
             part 1 adds each NOT VALID (a short lock, existing rows not checked), part 2 \
             validates each (a long scan that lets reads and writes go on). Use it to roll back \
             before the tables are split physically.",
            s.broken.len()
        ),
        String::new(),
        "Run it against today's database with psql:".into(),
        "    psql -v ON_ERROR_STOP=1 -f fks/restore.sql \"$ORIGIN_URL\"".into(),
        String::new(),
        format!(
            "Safe to re-run: a key that exists is not added again, and validating a valid key \
             does nothing. Adding a key gives up after lock_timeout = {} ('canceling statement \
             due to lock timeout'); the script then stops, and you run it again. A VALIDATE that \
             fails names a row without a parent: its hazard comment has the query that lists \
             them all; fix them (or the cascade that missed them) and run it again.",
            s.lock_timeout
        ),
        String::new(),
        if s.cascade_files {
            "It does NOT undo replicated cascades (cascades/<silo>.sql) nor drop the indexes \
             fks/drop.sql built: they serve the restored keys too."
                .into()
        } else {
            "It does NOT drop the indexes fks/drop.sql built: they serve the restored keys too."
                .into()
        },
        String::new(),
    ]);
    let names = names(s);
    push_list(&mut header, s, &names);
    let by_object = by_object(s);
    let split = s.validate_from.min(s.restore.len());
    let part = |steps, what| Sections {
        scripts: s,
        names: &names,
        by_object: &by_object,
        steps,
        what,
    };
    let t = RestoreSql {
        header,
        add: part(&s.restore[..split], "Add"),
        validate: part(&s.restore[split..], "Validate"),
    };
    let hint = t.header.len() + t.add.size() + t.validate.size();
    super::run_sized("fks/restore.sql", &t, hint + hint / 8 + 4096)
        .expect("fks/restore.sql renders")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--` comment lines for `text`, as the scripts wrap them.
    fn comment(text: &str, indent: usize) -> Vec<String> {
        wrap::comment_lines(text, indent, WIDTH, true)
    }

    #[test]
    fn comments_wrap_and_never_break_out() {
        let lines = comment("a\nDROP TABLE x; b", 2);
        assert_eq!(lines, vec!["-- a DROP TABLE x; b"]);
        let long = "word ".repeat(40);
        for l in comment(&long, 4) {
            assert!(l.len() <= WIDTH, "{l}");
            assert!(l.starts_with("--"));
        }
    }
}
