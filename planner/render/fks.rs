//! Rendering `fks/drop.sql` and `fks/restore.sql` through `templates/fks/*.sql`.
//!
//! The plan ([`crate::plan::fks`]) decides every statement and every comment's content; this
//! only lays them out: a header, one section per foreign key, and above each statement its
//! why, locks and hazards as `--` comments (line breaks in names cannot end a comment: every
//! comment line goes through [`crate::ident::comment_text`]), wrapped at 100 columns.

use askama::Template;

use super::wrap;
use crate::ident::{comment_text, ident, literal, qualified};
use crate::plan::fks::{BrokenFk, FkScripts, IndexPlan, Quoted as Names};
use crate::plan::Step;

/// Width comment lines are wrapped at.
const WIDTH: usize = 100;

/// A step laid out: comment lines and the statement text.
struct StepView<'a> {
    /// Comment lines, each ending in `\n`.
    comments: String,
    /// `BEGIN; SET LOCAL lock_timeout = ...;` when the step runs in its own transaction.
    begin: Option<String>,
    sql: &'a str,
    /// `;` or `\gexec`.
    end: &'static str,
    commit: bool,
}

struct Section<'a> {
    /// Comment lines, each ending in `\n`.
    heading: String,
    steps: Vec<StepView<'a>>,
}

#[derive(Template)]
#[template(path = "fks/drop.sql", escape = "none")]
struct DropSql<'a> {
    header: Vec<String>,
    sections: Vec<Section<'a>>,
}

#[derive(Template)]
#[template(path = "fks/restore.sql", escape = "none")]
struct RestoreSql<'a> {
    header: Vec<String>,
    add: Vec<Section<'a>>,
    validate: Vec<Section<'a>>,
}

/// `--` comment lines for `text`, wrapped at [`WIDTH`]; continuation lines are indented by
/// `indent` spaces after the `--`.
fn comment(text: &str, indent: usize) -> Vec<String> {
    wrap::comment_lines(text, indent, WIDTH, true)
}

/// [`comment`] appended to a block of lines.
fn push_comment(out: &mut String, text: &str, indent: usize) {
    wrap::push_comment(out, text, indent, WIDTH, true);
}

fn step_view(s: &Step) -> StepView<'_> {
    let mut comments = String::with_capacity(512);
    push_comment(&mut comments, &s.why, 0);
    let mut locks = String::from("Locks: ");
    for (i, (t, l)) in s.locks.iter().enumerate() {
        if i > 0 {
            locks.push_str("; ");
        }
        locks.push_str(&qualified(t));
        locks.push(' ');
        locks.push_str(l.as_str());
    }
    locks.push('.');
    push_comment(&mut comments, &locks, 4);
    for h in &s.hazards {
        push_comment(
            &mut comments,
            &format!("Hazard {}: {}", h.kind, h.message),
            4,
        );
    }
    let has = |kind: &str| s.hazards.iter().any(|h| h.kind == kind);
    comments.push_str(if has("table-rewrite") {
        "-- Rewrites a table: yes. Deletes data: "
    } else {
        "-- Rewrites a table: no. Deletes data: "
    });
    comments.push_str(if has("data-loss") { "yes." } else { "no." });
    if s.gexec {
        comments.push_str(" Generates statements that psql's \\gexec runs.");
    }
    comments.push('\n');
    StepView {
        comments,
        begin: s
            .lock_timeout
            .as_ref()
            .map(|t| format!("BEGIN;\nSET LOCAL lock_timeout = {};", literal(t))),
        sql: &s.sql,
        end: if s.gexec { "\n\\gexec" } else { ";" },
        commit: s.lock_timeout.is_some(),
    }
}

/// Each broken key's names, quoted once per file (the list and every section repeat them).
fn names(s: &FkScripts) -> Vec<Names> {
    s.broken.iter().map(Names::new).collect()
}

/// Comment lines describing a broken key in the header list.
fn fk_lines(i: usize, b: &BrokenFk, n: &Names) -> Vec<String> {
    let number = format!("{:>3}.", i + 1);
    let pad = " ".repeat(number.len());
    let indent = number.len() + 1;
    let mut lines = comment(&format!("{number} {}", n.shown()), indent);
    lines.extend(comment(
        &format!(
            "{pad} {} ({}) -> {} ({})",
            n.child, b.child_silo, n.parent, b.parent_silo
        ),
        indent,
    ));
    let index = match &b.index {
        IndexPlan::Existing(what) => format!("already indexed: {what}"),
        IndexPlan::Create(n) => format!("builds index {n}"),
        IndexPlan::CreatePartitioned(n) => {
            format!("builds index {n} (partitioned: per partition, then attached)")
        }
    };
    lines.extend(comment(&format!("{pad} {index}"), indent));
    if let Some(r) = &b.allowed {
        lines.extend(comment(
            &format!("{pad} allowed for now in silo-plan.toml: {r}"),
            indent,
        ));
    }
    lines
}

/// One section per broken key, holding its steps (they are grouped by `object`, in order).
fn sections<'a>(s: &FkScripts, names: &[Names], steps: &'a [Step], what: &str) -> Vec<Section<'a>> {
    let n = s.broken.len();
    let by_object: rustc_hash::FxHashMap<&str, (usize, &BrokenFk, &Names)> = s
        .broken
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, (b, q))| (b.object.as_str(), (i, b, q)))
        .collect();
    let mut out: Vec<(String, Section)> = Vec::new();
    for st in steps {
        if out.last().map(|(o, _)| o.as_str()) != Some(st.object.as_str()) {
            let (i, b, q) = *by_object
                .get(st.object.as_str())
                .expect("every step is for a broken key");
            let mut heading = String::with_capacity(256);
            heading.push_str("-- ");
            heading.push_str(&"-".repeat(WIDTH - 3));
            heading.push('\n');
            heading.push_str(&format!("-- {what} {}/{n}\n", i + 1));
            push_comment(&mut heading, &q.shown(), 4);
            push_comment(
                &mut heading,
                &format!(
                    "{} ({}) -> {} ({})",
                    q.child, b.child_silo, q.parent, b.parent_silo
                ),
                4,
            );
            out.push((
                st.object.clone(),
                Section {
                    heading,
                    steps: Vec::new(),
                },
            ));
        }
        out.last_mut()
            .expect("pushed above")
            .1
            .steps
            .push(step_view(st));
    }
    out.into_iter().map(|(_, s)| s).collect()
}

/// Header paragraphs as comment lines: `""` is an empty comment line, a paragraph starting with
/// four spaces is a command shown as is.
fn paragraphs(ps: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for p in ps {
        if p.is_empty() {
            out.push("--".to_string());
        } else if p.starts_with("    ") {
            out.push(format!("-- {}", comment_text(p)));
        } else {
            out.extend(comment(p, 0));
        }
    }
    out
}

fn list(s: &FkScripts, names: &[Names]) -> Vec<String> {
    let mut h = Vec::new();
    if s.broken.is_empty() {
        h.extend(comment(
            "Foreign keys: none crosses silos, so there is nothing to do.",
            0,
        ));
    } else {
        h.extend(comment("Foreign keys, in dump order:", 0));
        for (i, (b, n)) in s.broken.iter().zip(names).enumerate() {
            h.extend(fk_lines(i, b, n));
        }
    }
    if !s.kept.is_empty() {
        h.push("--".into());
        h.extend(comment(
            "Left in place: these keys join a [shared] table, which every silo has a copy of \
             (a key from a shared table to a silo table is a `check` error, SP003, to \
             settle in silo-plan.toml first):",
            0,
        ));
        for k in &s.kept {
            h.extend(comment(
                &format!(
                    "  - {}.{} ({} -> {})",
                    qualified(&k.child),
                    ident(&k.name),
                    k.child_silo,
                    k.parent_silo
                ),
                6,
            ));
        }
    }
    h
}

/// The text a list of sections holds (their comments and statements), for sizing the output.
fn size(sections: &[Section]) -> usize {
    sections
        .iter()
        .map(|s| {
            s.heading.len()
                + s.steps
                    .iter()
                    .map(|st| st.comments.len() + st.sql.len() + 64)
                    .sum::<usize>()
        })
        .sum()
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
        "Before running it, the replicated cascades (cascades/<silo>.sql and the application's \
         handlers) must be live: from each drop on, the database no longer enforces that key. \
         This script does NOT replicate any cascade and moves no data; fks/restore.sql puts the \
         keys back."
            .into(),
        String::new(),
    ]);
    let names = names(s);
    header.extend(list(s, &names));
    let t = DropSql {
        header,
        sections: sections(s, &names, &s.drop, "Foreign key"),
    };
    let hint = t.header.iter().map(|l| l.len() + 1).sum::<usize>() + size(&t.sections);
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
        "It does NOT undo replicated cascades (cascades/<silo>.sql) nor drop the indexes \
         fks/drop.sql built: they serve the restored keys too."
            .into(),
        String::new(),
    ]);
    let names = names(s);
    header.extend(list(s, &names));
    let split = s.validate_from.min(s.restore.len());
    let t = RestoreSql {
        header,
        add: sections(s, &names, &s.restore[..split], "Add"),
        validate: sections(s, &names, &s.restore[split..], "Validate"),
    };
    let hint =
        t.header.iter().map(|l| l.len() + 1).sum::<usize>() + size(&t.add) + size(&t.validate);
    super::run_sized("fks/restore.sql", &t, hint + hint / 8 + 4096)
        .expect("fks/restore.sql renders")
}

#[cfg(test)]
mod tests {
    use super::*;

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
