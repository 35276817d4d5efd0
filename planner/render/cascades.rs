//! Rendering `cascades/<silo>.sql` and `cascades/<silo>.replication.sql` through
//! `templates/cascades/*.sql`.
//!
//! The plan ([`crate::plan::cascades`]) decides which tables produce tombstones and which edges
//! each silo applies; this lays them out: every name through [`crate::ident`], every comment
//! line through [`crate::ident::comment_text`] (wrapped at 100 columns), and each function body
//! dollar-quoted with a tag that no name in the file contains.

use askama::Template;

use std::fmt::{self, Write};

use super::wrap::{write_comment_in, Lines};
use super::RenderError;
use crate::catalog::{FkAction, QName};
use crate::config::EdgeAction;
use crate::ident::{comment_text, ident, ident_list, push_ident, push_literal, qualified};
use crate::names;
use crate::plan::cascades::{locks, received_table, CascadeEdge, Guard, Producer, SiloCascades};
use crate::plan::StepLocks;

/// Width comment lines are wrapped at.
const WIDTH: usize = 100;

/// The dollar-quote tag the templates use; replaced when a name contains it.
const TAG: &str = "$silo_plan$";

struct KeyView {
    build: String,
    not_null: String,
}

struct ProducerView<'a> {
    /// The producer and its silo's cascades: for [`ProducerView::comments`].
    producer: &'a Producer,
    silo: &'a SiloCascades,
    function: String,
    table: String,
    table_lit: String,
    /// The table as a `regclass` literal (`'public.auth_user'`).
    table_reg: String,
    keys: Vec<KeyView>,
}

struct EdgeView<'a> {
    /// The edge, its position (from 0) and count, and its [`edge_line`]: for
    /// [`EdgeView::comments`].
    edge: &'a CascadeEdge,
    i: usize,
    n: usize,
    line: &'a str,
    /// The parent table as SQL.
    parent: String,
    edge_lit: String,
    source_lit: String,
    parent_lit: String,
    child: String,
    statement: String,
    lhs: String,
    select: String,
    build: String,
    key_names: String,
    /// The table logical replication fills with this edge's parent silo's tombstones.
    received: Option<String>,
}

/// One table logical replication fills on the child (`silo_plan.tombstones_<source>`), read by
/// the apply directly.
struct ReceivedView {
    comments: Lines,
    upgrade_comments: Lines,
    discover_comments: Lines,
    table: String,
    index: String,
    old_function: String,
    edge_lits: Vec<String>,
}

/// One `(table_name, edge)` row of the arrival trigger's edge list.
struct ArrivalView {
    table_lit: String,
    edge_lit: String,
}

#[derive(Template)]
#[template(path = "cascades/silo.sql", escape = "none")]
struct SiloSql<'a> {
    silo: String,
    header: Lines,
    schema_comments: Lines,
    tombstones_comments: Lines,
    producers: Vec<ProducerView<'a>>,
    inbox_comments: Lines,
    edges: Vec<EdgeView<'a>>,
    received: Vec<ReceivedView>,
    received_watermarks_comments: Lines,
    arrived_comments: Lines,
    arrived: String,
    arrived_trigger: String,
    /// The arrival trigger's name as a literal (the check of pg_trigger).
    arrived_trigger_lit: String,
    arrivals: Vec<ArrivalView>,
    apply_comments: Lines,
    apply: String,
    dispatch_comments: Lines,
    guards: Vec<Lines>,
}

struct PublishView {
    comments: Lines,
    table: String,
    table_lit: String,
    function: String,
    trigger: String,
    /// The trigger's name as a literal (the check of pg_trigger).
    trigger_lit: String,
    publication_comments: Lines,
    publication_lit: String,
}

struct SubscribeView {
    comments: Lines,
    source: String,
    var: String,
    table_lit: String,
    subscription_comments: Lines,
    subscription_lit: String,
    publication_lit: String,
}

#[derive(Template)]
#[template(path = "cascades/replication.sql", escape = "none")]
struct ReplicationSql {
    silo: String,
    silo_lit: String,
    /// [`names::INSTANCE_SEPARATOR`] as a literal: what joins silo and instance in `source`.
    separator_lit: String,
    /// `<silo>/<instance>`, comment-safe.
    instance_source: String,
    /// The silo's instances, comment-safe (empty for a single instance).
    instances: String,
    /// The values `-v instance=...` may take, as literals: `''` and the instances.
    instance_lits: String,
    /// The error when it takes another, as a literal.
    instance_error_lit: String,
    header: Lines,
    publish: Option<PublishView>,
    subscribe: Vec<SubscribeView>,
}

/// `--` comment lines for `text`, wrapped at [`WIDTH`]; continuation lines are indented by
/// `indent` spaces after the `--`. An empty text is an empty comment line.
fn comment(text: &str, indent: usize) -> Lines {
    comment_width(text, indent, WIDTH)
}

/// [`comment`] wrapped at `width` (for comments indented inside a function body).
fn comment_width(text: &str, indent: usize, width: usize) -> Lines {
    Lines::new_comment(text, indent, width, false)
}

/// Paragraphs as comment lines: `""` is an empty comment line, a paragraph starting with four
/// spaces is shown as is (a command), one starting with `- ` is a list item.
fn paragraphs(ps: &[String]) -> Lines {
    let mut out = Lines::default();
    for p in ps {
        if p.is_empty() {
            out.push("--");
        } else if p.starts_with("    ") {
            out.push(format!("-- {}", comment_text(p)));
        } else if p.starts_with("- ") || p.starts_with("  ") {
            out.push_comment(p, 4, WIDTH, false);
        } else {
            out.push_comment(p, 0, WIDTH, false);
        }
    }
    out
}

/// Why / locks / hazards above a statement, as in `fks/*.sql`.
fn step_comments(why: &str, locks: &str, hazards: &[(&str, String)]) -> Lines {
    let mut out = Lines::default();
    push_step_comments(&mut out, why, locks, hazards, WIDTH);
    out
}

/// [`step_comments`] wrapped at `width`, onto the end of `out`.
fn push_step_comments(
    out: &mut Lines,
    why: &str,
    locks: &str,
    hazards: &[(&str, String)],
    width: usize,
) {
    // Writing to a `Lines` cannot fail.
    let _ = write_step_comments(out, "", why, locks, hazards, width);
}

/// [`push_step_comments`] into any writer, with `margin` before every line.
fn write_step_comments<W: Write + ?Sized>(
    out: &mut W,
    margin: &str,
    why: &str,
    locks: &str,
    hazards: &[(&str, String)],
    width: usize,
) -> fmt::Result {
    write_comment_in(out, margin, why, 0, width, false)?;
    write_comment_in(out, margin, &format!("Locks: {locks}."), 4, width, false)?;
    for (kind, msg) in hazards {
        write_comment_in(
            out,
            margin,
            &format!("Hazard {kind}: {msg}"),
            4,
            width,
            false,
        )?;
    }
    Ok(())
}

/// A `-- Locks:` comment's text: the claim ([`crate::plan::cascades::locks`]) and `note`, how
/// long and why (in parentheses when given).
fn claim(c: &StepLocks, note: &str) -> String {
    let mut t = super::claim_text(c);
    if !note.is_empty() {
        t.push_str(" (");
        t.push_str(note);
        if let Some(to) = &c.lock_timeout {
            t.push_str("; lock_timeout ");
            t.push_str(to);
            t.push_str(" gives up rather than queue the application behind it: run the file again");
        }
        t.push(')');
    }
    t
}

/// `silo_plan.<prefix>_<silo key>` ([`names::silo_object`]), as SQL.
fn silo_fn(prefix: &str, silo: &str) -> String {
    format!(
        "silo_plan.{}",
        ident(&names::silo_object(&format!("{prefix}_"), silo, ""))
    )
}

/// The psql variable `cascades/<silo>.replication.sql` reads a source's conninfo from:
/// `conninfo_<source key>`.
fn conninfo_var(source: &str) -> String {
    format!("conninfo_{}", names::silo_key(source))
}

/// The previous layout's receive function, `silo_plan.receive_<source>_<silo>`, as SQL: named
/// as that layout named it (keys joined, not fitted), so that the upgrade drops the function
/// that exists.
fn legacy_receive_fn(source: &str, silo: &str) -> String {
    format!(
        "silo_plan.{}",
        ident(&format!(
            "receive_{}_{}",
            names::silo_key(source),
            names::silo_key(silo)
        ))
    )
}

fn action_words(e: &CascadeEdge) -> String {
    // A `SET NULL (cols)` list names the columns; without one every child column is set.
    let listed = e.set_columns != e.child_columns;
    let cols = || ident_list(&e.set_columns);
    match e.action {
        EdgeAction::Cascade => "deletes the child rows".into(),
        EdgeAction::SetNull if listed => format!("sets only {} to NULL", cols()),
        EdgeAction::SetNull => "sets the child columns to NULL".into(),
        EdgeAction::SetDefault if listed && e.set_columns.len() == 1 => {
            format!("sets only {} to its default", cols())
        }
        EdgeAction::SetDefault if listed => format!("sets only {} to their defaults", cols()),
        EdgeAction::SetDefault => "sets the child columns to their default".into(),
        EdgeAction::Restrict => "is a check in the application".into(),
        EdgeAction::Ignore => "does nothing".into(),
    }
}

fn edge_line(e: &CascadeEdge) -> String {
    format!(
        "{}({}) -> {}({}) [{} -> this silo], {} ({})",
        qualified(&e.child),
        e.child_columns
            .iter()
            .map(|c| ident(c))
            .collect::<Vec<_>>()
            .join(", "),
        qualified(&e.parent),
        e.parent_columns
            .iter()
            .map(|c| ident(c))
            .collect::<Vec<_>>()
            .join(", "),
        e.parent_silo,
        if e.set_columns.is_empty() || e.set_columns == e.child_columns {
            e.action.as_str().to_string()
        } else {
            format!("{} ({})", e.action.as_str(), ident_list(&e.set_columns))
        },
        e.decided_by
    )
}

/// [`crate::ident::literal`], written into one buffer (files list thousands of them).
fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_literal(&mut out, s);
    out
}

/// `items`, each written by `f` into one `String`, separated by `sep` (what
/// `.map(..).collect::<Vec<_>>().join(sep)` gives, without a `String` per item).
fn joined<T>(
    items: impl IntoIterator<Item = T>,
    sep: &str,
    mut f: impl FnMut(&mut String, T),
) -> String {
    let mut out = String::new();
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        f(&mut out, x);
    }
    out
}

fn cols(t: &str, cs: &[String]) -> String {
    joined(cs, ", ", |out, c| {
        out.push_str(t);
        out.push('.');
        push_ident(out, c);
    })
}

fn guard_lines(g: &Guard, silo: &str) -> Lines {
    let pairs: Vec<String> = g
        .key
        .child_columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} = ${}", ident(c), i + 1))
        .collect();
    let query = format!(
        "SELECT 1 FROM {} WHERE {} LIMIT 1",
        qualified(&g.key.child),
        pairs.join(" AND ")
    );
    let mut out = comment(
        &format!(
            "{}: {}({}) [{}] -> {}({}) [{}], restrict.",
            ident(&g.key.constraint),
            qualified(&g.key.child),
            g.key.child_columns.join(", "),
            g.key.child_silo,
            qualified(&g.key.parent),
            g.key.parent_columns.join(", "),
            g.key.parent_silo
        ),
        4,
    );
    if g.key.parent_silo == silo {
        out.push_comment(
            &format!(
                "Before deleting a row of {} here, the application runs in {}'s database, with the \
                 row's {} as parameters, and refuses the delete when it returns a row:",
                qualified(&g.key.parent),
                g.key.child_silo,
                g.key.parent_columns.join(", ")
            ),
            4,
            WIDTH,
            false,
        );
    } else {
        out.push_comment(
            &format!(
                "The application deleting a row of {} in {} runs this here first and refuses the \
                 delete when it returns a row (the stubs' restrict guard):",
                qualified(&g.key.parent),
                g.key.parent_silo
            ),
            4,
            WIDTH,
            false,
        );
    }
    out.push(format!("--     {}", comment_text(&query)));
    out.push_comment(
        "Hazard integrity-unchecked: the check and the delete run in two databases, so a child \
         row inserted between them is left pointing at a missing parent; the stubs' guard \
         narrows, not closes, that window.",
        4,
        WIDTH,
        false,
    );
    if !matches!(g.on_update, FkAction::NoAction | FkAction::Restrict) {
        out.push_comment(
            &format!(
                "Hazard integrity-unchecked: ON UPDATE {} is declared and not replicated: changing \
                 a referenced value of {} leaves {} rows pointing at the old one; keep the key \
                 immutable or update both databases in the application.",
                g.on_update.sql(),
                qualified(&g.key.parent),
                qualified(&g.key.child)
            ),
            4,
            WIDTH,
            false,
        );
    }
    out
}

fn producer_view<'a>(p: &'a Producer, silo: &'a SiloCascades) -> ProducerView<'a> {
    // The table as SQL once: the comments repeat it.
    let table = qualified(&p.table);
    let keys = p
        .keys
        .iter()
        .map(|k| KeyView {
            build: joined(k, ", ", |out, c| {
                push_literal(out, c);
                out.push_str(", o.");
                push_ident(out, c);
            }),
            not_null: joined(k, " AND ", |out, c| {
                out.push_str("o.");
                push_ident(out, c);
                out.push_str(" IS NOT NULL");
            }),
        })
        .collect::<Vec<_>>();
    ProducerView {
        producer: p,
        silo,
        function: format!("silo_plan.{}", ident(&p.function)),
        table_reg: literal(&table),
        table,
        table_lit: literal(&p.table_name),
        keys,
    }
}

impl ProducerView<'_> {
    /// The comments above the producer's trigger: what it records, locks and hazards. Written
    /// straight into the file (no block per producer for the template to copy).
    fn comments(&self) -> ProducerComments<'_> {
        ProducerComments(self)
    }
}

/// [`ProducerView::comments`].
struct ProducerComments<'v>(&'v ProducerView<'v>);

fast_writable!(ProducerComments<'_>);

impl ProducerComments<'_> {
    fn write<W: Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        let (p, silo, table) = (self.0.producer, self.0.silo, &self.0.table);
        let key_text = p
            .keys
            .iter()
            .map(|k| format!("({})", k.join(", ")))
            .collect::<Vec<_>>()
            .join(" and ");
        let mut hazards = vec![
            (
                "blocks-writes",
                format!(
                    "CREATE TRIGGER takes SHARE ROW EXCLUSIVE on {table}: writes to it wait (reads \
                     go on) for the catalog change, once the transactions writing it have ended. \
                     The trigger is created only when missing, never dropped and created again \
                     (DROP TRIGGER would take ACCESS EXCLUSIVE, blocking reads too): a rerun takes \
                     no lock on {table}, and a trigger of that name left by hand is kept."
                ),
            ),
            (
                "long-running",
                format!(
                    "from now on every DELETE on {table} also inserts {} tombstone(s) per deleted row \
                     in the same transaction: a bulk delete writes as many rows into \
                     silo_plan.tombstones.",
                    p.keys.len()
                ),
            ),
        ];
        if p.partitioned {
            hazards.push((
                "integrity-unchecked",
                format!(
                    "{table} is partitioned: a statement-level trigger on it sees deletes made \
                     through it, not DELETEs aimed directly at a partition nor DETACH/DROP \
                     PARTITION; delete through the parent."
                ),
            ));
        }
        for (c, a) in &p.update_actions {
            hazards.push((
                "integrity-unchecked",
                format!(
                    "{} declares ON UPDATE {}, which is not replicated: changing a referenced value \
                     of {table} leaves the child rows in {} pointing at the old value; keep the key \
                     immutable, or update both databases in the application.",
                    ident(c),
                    a.sql(),
                    silo.consumers.join(", ")
                ),
            ));
        }
        write_comment_in(out, "", &format!("Tombstones for {table}"), 4, WIDTH, false)?;
        write_step_comments(
            out,
            "",
            &format!(
                "After a DELETE on {table}, records one tombstone per deleted row and key {} for \
                 the broken edge(s) {}: a statement-level trigger reading the transition table, so \
                 a delete of many rows costs one INSERT ... SELECT. Rows whose key has a NULL are \
                 skipped: no child can reference them. The trigger also fires for rows Postgres \
                 deletes by an in-silo ON DELETE CASCADE, which is how chains continue.",
                key_text,
                p.edges
                    .iter()
                    .map(|e| ident(e))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &claim(
                &locks::producer(p),
                "while the trigger is created, only when missing: milliseconds",
            ),
            &hazards,
            WIDTH,
        )
    }
}

/// The view of edge `i` of `n`; `line` is its [`edge_line`] (the header lists it too),
/// `received` the table logical replication fills from its parent's silo, as SQL.
fn edge_view<'a>(
    i: usize,
    n: usize,
    e: &'a CascadeEdge,
    line: &'a str,
    received: String,
) -> EdgeView<'a> {
    let child_cols = &e.child_columns;
    // Each name as SQL once: the comments and statements below repeat them.
    let child = qualified(&e.child);
    let parent = qualified(&e.parent);
    let lhs = if child_cols.len() == 1 {
        format!("c.{}", ident(&child_cols[0]))
    } else {
        format!("({})", cols("c", child_cols))
    };
    let statement = match e.action {
        EdgeAction::Cascade => format!("DELETE FROM {child} AS c"),
        EdgeAction::SetNull | EdgeAction::SetDefault => {
            let value = if e.action == EdgeAction::SetNull {
                "NULL"
            } else {
                "DEFAULT"
            };
            // Rows are matched on every child column; only `set_columns` are written (all of
            // them unless the dump declares `SET NULL (cols)`), as Postgres 15 does.
            format!(
                "UPDATE {child} AS c SET {}",
                joined(&e.set_columns, ", ", |out, c| {
                    push_ident(out, c);
                    out.push_str(" = ");
                    out.push_str(value);
                })
            )
        }
        EdgeAction::Restrict | EdgeAction::Ignore => unreachable!("only applied actions"),
    };
    let build = joined(
        child_cols.iter().zip(&e.parent_columns),
        ", ",
        |out, (c, p)| {
            push_literal(out, c);
            out.push_str(", b.key -> ");
            push_literal(out, p);
        },
    );
    EdgeView {
        edge: e,
        i,
        n,
        line,
        parent,
        edge_lit: literal(&e.edge),
        source_lit: literal(&e.parent_silo),
        parent_lit: literal(&e.parent_name),
        child,
        statement,
        lhs,
        select: cols("k", child_cols),
        build,
        key_names: joined(&e.parent_columns, ", ", |out, c| push_literal(out, c)),
        received: Some(received),
    }
}

impl EdgeView<'_> {
    /// The comments above the edge's part of the apply, indented as its body: its number and
    /// name, its [`edge_line`], why, locks and hazards. Written straight into the file (no
    /// block per edge for the template to copy, line by line, with the indent).
    fn comments(&self) -> EdgeComments<'_> {
        EdgeComments(self)
    }
}

/// [`EdgeView::comments`].
struct EdgeComments<'v>(&'v EdgeView<'v>);

fast_writable!(EdgeComments<'_>);

impl EdgeComments<'_> {
    fn write<W: Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        /// The apply function's body.
        const MARGIN: &str = "    ";
        let v = self.0;
        let (e, child, parent) = (v.edge, &v.child, &v.parent);
        write!(out, "{MARGIN}-- {}/{} ", v.i + 1, v.n)?;
        out.write_str(&comment_text(&ident(&e.edge)))?;
        out.write_char('\n')?;
        write_comment_in(out, MARGIN, v.line, 4, WIDTH - 4, false)?;
        let mut hazards: Vec<(&str, String)> = Vec::new();
        if e.action == EdgeAction::Cascade {
            hazards.push((
                "data-loss",
                format!(
                    "deletes the rows of {child} whose {} match a tombstone's key, as ON DELETE \
                     CASCADE did; their own in-silo cascades and tombstone triggers fire.",
                    e.child_columns.join(", ")
                ),
            ));
        } else {
            hazards.push((
                "data-loss",
                format!(
                    "overwrites {} of the matching rows of {child}; a key reused by a new parent \
                     row before its tombstone is applied (or re-applied) loses its children's link \
                     too.",
                    e.set_columns.join(", "),
                ),
            ));
        }
        if !e.blocked_by.is_empty() {
            hazards.push((
                "integrity-unchecked",
                format!(
                    "Postgres refuses this DELETE while rows exist for {}: the dump declares them NO \
                     ACTION (the application emulated ON DELETE), which no trigger here does. Declare \
                     them ON DELETE CASCADE / SET NULL in this silo, or have the application clear \
                     them first; until then apply() fails on such a batch (the whole call rolls back) and fails again when retried.",
                    e.blocked_by.join(", ")
                ),
            ));
        }
        if !matches!(e.on_update, FkAction::NoAction | FkAction::Restrict) {
            hazards.push((
                "integrity-unchecked",
                format!(
                    "ON UPDATE {} is declared and not replicated: a changed key in {parent} leaves \
                     these rows pointing at the old value.",
                    e.on_update.sql(),
                ),
            ));
        }
        if let Some(r) = &e.allowed {
            hazards.push((
                "integrity-unchecked",
                format!("allowed for now in silo-plan.toml ({r}); replicated all the same."),
            ));
        }
        write_step_comments(
            out,
            MARGIN,
            &format!(
                "Takes up to batch_size tombstones of {parent} above this edge's watermark, per \
                 source, and {action}; then advances the watermark. Replaying a tombstone matches no \
                 row (or rows already changed), so it changes nothing.",
                action = action_words(e)
            ),
            &format!(
                "the watermark row (FOR UPDATE SKIP LOCKED: a concurrent apply skips this edge); \
                 {child} ROW EXCLUSIVE and row locks on the matched rows"
            ),
            &hazards,
            WIDTH - 4,
        )
    }
}

fn received_view(s: &SiloCascades, src: &str) -> ReceivedView {
    let table = received_table(src);
    let mut edge_lits: Vec<String> = s
        .edges
        .iter()
        .filter(|e| e.parent_silo == src)
        .map(|e| e.edge.clone())
        .collect();
    edge_lits.sort();
    let edge_lits = edge_lits.iter().map(|e| literal(e)).collect();
    let mut comments = comment(
        &format!("Tombstones of {src} received by logical replication"),
        4,
    );
    push_step_comments(
        &mut comments,
        &format!(
            "{t} is the table cascades/{me}.replication.sql subscribes to {src}'s \
             publication with (same name and columns as {src}'s published copy; the name carries \
             the source silo, so it never clashes with this database's own \
             silo_plan.tombstones or {own}). The replication worker \
             inserts rows into it with no trigger at all: per row one heap insert and one index \
             entry, and the apply reads it directly. Two columns are this side's own and filled \
             by their defaults, which logical replication evaluates for columns the publisher \
             does not send: xid, the local transaction that stored the row (txid_current(), \
             64 bits, never wraps), and received_at. Ids commit out of order on the publisher \
             and replication delivers in commit order, so the apply does not follow ids: it \
             reads in (xid, id) order and only rows whose transaction is older than every \
             transaction still running here (the snapshot's xmin), as PgQ batches its events. \
             A row stored later always has an xid at or above that xmin, so a watermark \
             (last_xid, last_id) in silo_plan.received_watermarks never passes a row it has \
             not applied, whatever order the commits arrive in, and however many \
             subscriptions or sessions write the table. Empty while tombstones come by the pump \
             (silo_plan.inbox). Nothing here deletes old rows: rows below every watermark of \
             their source may be deleted.",
            t = qualified(&table),
            me = s.silo,
            own = qualified(&received_table(&s.silo)),
        ),
        &claim(&locks::received(src), "a new table, created when missing"),
        &[
            (
                "long-running",
                "a transaction left open in this database (one that wrote anything) holds the \
             snapshot's xmin back: tombstones replicated after it started wait until it ends \
             before any apply takes them (delayed, not lost)."
                    .to_string(),
            ),
            (
                "integrity-unchecked",
                "xid values are this cluster's transaction ids: after moving this database to \
             another cluster with pg_dump (not pg_upgrade, which keeps the counter), apply until \
             quiet first, then delete the rows of these tables and set every \
             received_watermarks row to (0, 0); otherwise new rows may sort below a watermark."
                    .to_string(),
            ),
        ],
        WIDTH,
    );
    let upgrade_comments = step_comments(
        &format!(
            "Upgrade from the previous layout, where cascades/{me}.replication.sql created this \
             table without xid and received_at, with a BEFORE INSERT trigger silo_plan_receive \
             (function {old}) that moved each row into silo_plan.inbox and kept nothing: the \
             table is empty then, so adding the columns rewrites nothing of size, and the \
             trigger and its function are dropped in the same transaction. From the commit on, \
             replicated rows stay here and this file's apply reads them; those the old trigger \
             had moved into silo_plan.inbox are applied from there as before, under their own \
             watermarks. Nothing else is needed: the subscription stays as it is (the new \
             replication file only checks that this table has xid). On a fresh install and a \
             re-run, ADD COLUMN IF NOT EXISTS and DROP ... IF EXISTS change nothing. The \
             index the apply reads by is created (when missing) in the same transaction.",
            me = s.silo,
            old = legacy_receive_fn(src, &s.silo),
        ),
        &claim(
            &locks::received_upgrade(src),
            "ADD COLUMN IF NOT EXISTS takes it even when the columns exist; until the commit, \
             milliseconds, which the replication worker waits",
        ),
        &[],
    );
    let discover_comments = comment_width(
        &format!(
            "Watermark rows for every source found in {} ({src}, or {} for a \
             silo with instances), read from the index by a loose index scan (one probe per \
             distinct source), created when missing.",
            qualified(&table),
            names::instance_source(src, Some("<instance>"))
        ),
        4,
        WIDTH - 4,
    );
    ReceivedView {
        comments,
        upgrade_comments,
        discover_comments,
        index: ident(&names::silo_object("tombstones_", src, "_apply")),
        table: qualified(&table),
        old_function: legacy_receive_fn(src, &s.silo),
        edge_lits,
    }
}

/// `edge_lines`: the [`edge_line`] of each edge of `s`.
fn header(s: &SiloCascades, edge_lines: &[String]) -> Lines {
    let mut ps: Vec<String> = vec![
        format!(
            "The replicated cascades of silo {silo}: what Postgres did through the foreign keys \
             that fks/drop.sql breaks, done again across databases with tombstones.",
            silo = s.silo
        ),
        String::new(),
        format!(
            "Run it against {silo}'s database with psql, before fks/drop.sql (from then on the \
             database no longer cascades these keys), and again after any change; before the \
             physical split every silo lives in today's database: run every cascades/*.sql \
             there.",
            silo = s.silo
        ),
        format!(
            "    psql -v ON_ERROR_STOP=1 -f cascades/{}.sql \"${}\"",
            s.silo,
            names::env_var(&s.silo, "URL")
        ),
        String::new(),
        "Safe to re-run: tables and indexes IF NOT EXISTS, functions CREATE OR REPLACE, each \
         trigger created only when missing (a rerun takes no lock on a table that has its \
         trigger; to change a trigger, drop it first). It moves no data and deletes nothing by \
         itself. The comment above each statement says the locks it takes."
            .into(),
        String::new(),
    ];
    if !s.producers.is_empty() {
        ps.push(format!(
            "Produces: {} parent table(s) record a tombstone per deleted row in \
             silo_plan.tombstones, read by {}:",
            s.producers.len(),
            s.consumers.join(", ")
        ));
        for p in &s.producers {
            ps.push(format!(
                "- {} key {} for {}",
                qualified(&p.table),
                p.keys
                    .iter()
                    .map(|k| format!("({})", k.join(", ")))
                    .collect::<Vec<_>>()
                    .join(" and "),
                p.edges.join(", ")
            ));
        }
        ps.push(String::new());
    }
    if !s.edges.is_empty() {
        ps.push(format!(
            "Applies: {} broken edge(s) whose child lives here, in this order, from the \
             tombstones of {}:",
            s.edges.len(),
            s.sources.join(", ")
        ));
        for (i, (e, line)) in s.edges.iter().zip(edge_lines).enumerate() {
            ps.push(format!("- {}. {}: {line}", i + 1, e.constraint));
        }
        ps.push(String::new());
        ps.push(format!(
            "Tombstones reach this database by either transport: (a) the application's pump \
             (stubs), which reads SELECT id, table_name, key, deleted_at FROM \
             silo_plan.tombstones WHERE id > $1 ORDER BY id LIMIT $2 in the parent's database \
             and inserts them into silo_plan.inbox with their source (ON CONFLICT DO \
             NOTHING), under LOCK silo_plan.tombstones IN SHARE MODE so that no id below its \
             mark is still uncommitted: the stubs' pump does so, and a pump written by hand must \
             too (or re-read an overlap below its last id: duplicates are ignored, and a late \
             tombstone rewinds the watermark); or (b) logical \
             replication, cascades/{}.replication.sql, into silo_plan.tombstones_<source silo> \
             (created in Part 2). Then call, until it returns 0:",
            s.silo
        ));
        ps.push("    SELECT silo_plan.apply(1000);".into());
        ps.push(
            "Concurrent callers are safe: each (source, edge) is processed under its watermark \
             row's lock, skipped by the others. Ids commit out of order, and none is lost for \
             it: a tombstone stored in the inbox after its watermark passed its id rewinds the \
             watermark (the replay in between is idempotent), and replicated tombstones are \
             read in the order this database stored them (xid), not by id. A tombstone's source is the parent silo's name, \
             or silo/instance for a silo with instances (their ids overlap)."
                .into(),
        );
        ps.push(String::new());
    }
    let updates: Vec<&CascadeEdge> = s
        .edges
        .iter()
        .filter(|e| !matches!(e.on_update, FkAction::NoAction | FkAction::Restrict))
        .collect();
    let producer_updates: Vec<&(String, FkAction)> =
        s.producers.iter().flat_map(|p| &p.update_actions).collect();
    let guard_updates: Vec<&Guard> = s
        .guards
        .iter()
        .filter(|g| !matches!(g.on_update, FkAction::NoAction | FkAction::Restrict))
        .collect();
    ps.push(
        "Key updates are not replicated: tombstones record deletes only. A parent of a broken \
         edge must not change its referenced columns (ids here), or the application updates \
         both databases."
            .into(),
    );
    for e in updates {
        ps.push(format!(
            "- {} declares ON UPDATE {}: not replicated.",
            e.constraint,
            e.on_update.sql()
        ));
    }
    for (c, a) in producer_updates {
        ps.push(format!(
            "- {c} declares ON UPDATE {}: not replicated.",
            a.sql()
        ));
    }
    for g in guard_updates {
        ps.push(format!(
            "- {} (restrict) declares ON UPDATE {}: not replicated.",
            g.key.constraint,
            g.on_update.sql()
        ));
    }
    if !s.guards.is_empty() {
        ps.push(String::new());
        ps.push(format!(
            "Restrict: {} broken edge(s) cannot be enforced across databases and get no \
             tombstone; the application checks for children before the delete (Part 3).",
            s.guards.len()
        ));
    }
    paragraphs(&ps)
}

/// Chooses a dollar-quote tag that no name of the file contains, and puts it in place of
/// [`TAG`]. Every tag tried contains a `$`, so only `names` with one are compared (usually none).
fn retag<'a>(text: String, names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.filter(|s| s.contains('$')).collect();
    let mut tag = TAG.to_string();
    let mut n = 0;
    while names
        .iter()
        .any(|s| s.contains(&tag[..tag.len() - 1]) || s.contains(&tag[1..]))
    {
        n += 1;
        tag = format!("$silo_plan_{n}$");
    }
    if n == 0 {
        text
    } else {
        text.replace(TAG, &tag)
    }
}

/// Every name the files of `s` print, borrowed. A table is given as its two parts: no tag
/// contains a `.`, so one is in `schema.table` exactly when it is in one of the parts.
fn names(s: &SiloCascades) -> impl Iterator<Item = &str> {
    fn parts(q: &QName) -> [&str; 2] {
        [&q.schema, &q.name]
    }
    fn strs(v: &[String]) -> impl Iterator<Item = &str> {
        v.iter().map(String::as_str)
    }
    let producers = s.producers.iter().flat_map(move |p| {
        parts(&p.table)
            .into_iter()
            .chain(p.keys.iter().flat_map(|k| strs(k)))
            .chain(strs(&p.edges))
    });
    let edges = s.edges.iter().flat_map(move |e| {
        parts(&e.child)
            .into_iter()
            .chain(parts(&e.parent))
            .chain([e.edge.as_str()])
            .chain(strs(&e.child_columns))
            .chain(strs(&e.parent_columns))
            .chain(strs(&e.blocked_by))
            .chain(e.allowed.as_deref())
    });
    let guards = s.guards.iter().flat_map(move |g| {
        parts(&g.key.child)
            .into_iter()
            .chain(parts(&g.key.parent))
            .chain([g.key.constraint.as_str()])
            .chain(strs(&g.key.child_columns))
    });
    std::iter::once(s.silo.as_str())
        .chain(producers)
        .chain(edges)
        .chain(guards)
}

/// `cascades/<silo>.sql`.
pub fn silo_sql(s: &SiloCascades) -> Result<String, RenderError> {
    let n = s.edges.len();
    // Each edge's one-line description, in the header and above its part of the apply.
    let edge_lines: Vec<String> = s.edges.iter().map(edge_line).collect();
    // The replicated table of each source, as SQL: every edge from that source reads it.
    let received_tables: Vec<(&str, String)> = s
        .sources
        .iter()
        .map(|src| (src.as_str(), qualified(&received_table(src))))
        .collect();
    let received_of = |silo: &str| match received_tables.iter().find(|(src, _)| *src == silo) {
        Some((_, table)) => table.clone(),
        None => qualified(&received_table(silo)),
    };
    let mut arrivals: Vec<ArrivalView> = Vec::new();
    let mut by_parent: std::collections::BTreeMap<&str, Vec<&str>> =
        std::collections::BTreeMap::new();
    for e in &s.edges {
        by_parent.entry(&e.parent_name).or_default().push(&e.edge);
    }
    for (p, mut es) in by_parent {
        es.sort();
        for e in es {
            arrivals.push(ArrivalView {
                table_lit: literal(p),
                edge_lit: literal(e),
            });
        }
    }
    let t = SiloSql {
        silo: comment_text(&s.silo),
        header: header(s, &edge_lines),
        schema_comments: step_comments(
            "Holds the tombstones, the inbox, the watermarks and the functions below; nothing \
             of the application's.",
            &claim(&locks::schema(), ""),
            &[],
        ),
        tombstones_comments: step_comments(
            "One row per deleted parent row and referenced column set: table_name is \
             schema.table unquoted, key the referenced columns as JSON ({\"id\": 7}; composite, \
             uuid and text keys as their JSON values). Ids are an identity: a pump reads \
             id > its last id. Nothing here deletes old rows: prune them once every consumer \
             has them (for example older than a week).",
            &claim(
                &locks::tombstones(),
                "COMMENT ON TABLE, on a table that is new or silo-plan's own: milliseconds, \
                 which a pump reading it waits",
            ),
            &[],
        ),
        producers: s.producers.iter().map(|p| producer_view(p, s)).collect(),
        inbox_comments: step_comments(
            "silo_plan.inbox holds the tombstones that arrived from other silos' databases: \
             (source, table_name, id) is the key, so a tombstone delivered twice is stored \
             once (insert with ON CONFLICT DO NOTHING; an id names one tombstone of its \
             source, so table_name in the key changes nothing there), and the same index \
             serves the apply's read of one source and table above a watermark: one index \
             to maintain per arriving tombstone, not two. silo_plan.watermarks holds, per (source, edge), the \
             last tombstone id applied for that edge. The rows seeded here are for each parent \
             silo's own name; other sources (silo/instance) get theirs on first arrival.",
            &claim(
                &locks::inbox(),
                "new tables, created when missing; the seeded rows are a plain insert",
            ),
            &[],
        ),
        edges: s
            .edges
            .iter()
            .enumerate()
            .map(|(i, e)| edge_view(i, n, e, &edge_lines[i], received_of(&e.parent_silo)))
            .collect(),
        received: s.sources.iter().map(|src| received_view(s, src)).collect(),
        received_watermarks_comments: step_comments(
            "silo_plan.received_watermarks holds, per (source, edge), the last tombstone applied \
             from the replicated tables above, as (xid, id): the order the apply reads them in. \
             A table apart from silo_plan.watermarks (which counts inbox ids), so the two \
             transports never move each other's marks. The rows seeded here are for each parent \
             silo's own name; the apply creates those of other sources (silo/instance).",
            &claim(
                &locks::received_watermarks(),
                "a new table, created when missing; the seeded rows are a plain insert",
            ),
            &[],
        ),
        arrived_comments: step_comments(
            &format!(
                "Runs once per statement that stores tombstones in the inbox (a pump's batch; \
                 logical replication does not write the inbox), reading the stored \
                 rows from the transition table: creates the watermark rows of their (source, \
                 edge) pairs, and where a watermark already passed the lowest id stored for it \
                 (ids of concurrent transactions commit out of order), moves it back below that \
                 id so the next apply takes it. The watermark rows are locked FOR UPDATE, in \
                 (source, edge) order so two inserting transactions cannot deadlock, until the \
                 insert commits: an apply that stepped over the new rows before the lock (they \
                 were not committed) is undone by the rewind, one that comes after skips the \
                 edge. One statement-level trigger instead of one call per row: a batch of 10k \
                 tombstones costs one pass. Only \
                 the edges of silo {} are listed; another silo's file adds its own trigger. The \
                 generated pump reads the parent under a SHARE lock, so its batches arrive in id \
                 order and never rewind anything; the rewind is for rows inserted by hand or by \
                 a second pump of the same source (re-applying the tombstones in between changes \
                 nothing). Logical replication fills the tables above instead, whose order the \
                 apply keeps by xid, with no trigger per row. The trigger is created when \
                 missing and enabled ALWAYS when it is not (so the replication worker's \
                 inserts, if any, fire it too), never dropped.",
                s.silo
            ),
            &claim(
                &locks::arrived(),
                "silo-plan's own table, while the trigger is created or enabled, only when \
                 needed: milliseconds",
            ),
            &[],
        ),
        arrived: silo_fn("arrived", &s.silo),
        arrived_trigger: ident(&names::silo_object("silo_plan_arrived_", &s.silo, "")),
        arrived_trigger_lit: literal(&names::silo_object("silo_plan_arrived_", &s.silo, "")),
        arrivals,
        apply_comments: step_comments(
            &format!(
                "Applies the tombstones in the inbox and in the replicated tables to the {n} \
                 edge(s) above, edge by edge in dump order and up to batch_size per edge and \
                 source (inbox first, then replicated), and returns how many \
                 (tombstone, edge) pairs it processed: call it until it returns 0. Matching \
                 goes through jsonb_populate_record of the child's row type, so each key \
                 value is read as the child column's own type. A DELETE here fires this \
                 silo's tombstone triggers: that is how a chain crossing silos twice goes on. \
                 Several callers at once are safe: each (source, edge) watermark row is taken \
                 FOR UPDATE SKIP LOCKED, so no two work on the same edge and source, and a \
                 caller finding them all taken returns 0. Replicated rows are read in (xid, id) \
                 order up to the snapshot's xmin (see the replicated tables above): a \
                 replicated tombstone whose id is below one already applied is still taken, \
                 no rewind needed."
            ),
            &claim(
                &locks::function(),
                "creating the function; a call locks its watermark rows and the child rows it \
                 changes, as a DELETE or UPDATE does",
            ),
            &[
                (
                    "long-running",
                    "a batch is one statement per edge; a large batch_size holds its row locks \
                 longer. The function runs in the caller's transaction: call it in autocommit."
                        .to_string(),
                ),
                (
                    "deadlock",
                    "two callers on different edges into the same child rows (or a caller and \
                 the application) can deadlock; Postgres then aborts one whole call, its \
                 watermarks with it: call it again, nothing is lost or applied twice."
                        .to_string(),
                ),
            ],
        ),
        apply: silo_fn("apply", &s.silo),
        dispatch_comments: step_comments(
            "silo_plan.apply(batch_size) runs the apply_<silo>() of every silo installed in \
             this database (one before the physical split, one after) and sums what they \
             processed: the one function the application, a cron job or the stubs call.",
            &claim(
                &locks::function(),
                "creating the function; a call takes those of each apply_<silo>()",
            ),
            &[],
        ),
        guards: s.guards.iter().map(|g| guard_lines(g, &s.silo)).collect(),
    };
    // Room for the whole file up front (in lago's and synth-10k's files an edge takes about
    // 5 KB, a producer 1.5 KB, a guard 1 KB), so the text is not copied again as it grows.
    let text = super::run_sized(
        &format!("cascades/{}.sql", s.silo),
        &t,
        SiloSql::SIZE_HINT + 4096 + 6144 * n + 2048 * s.producers.len() + 1536 * s.guards.len(),
    )?;
    Ok(retag(text, names(s)))
}

fn replication_header(s: &SiloCascades) -> Lines {
    let mut ps = vec![
        format!(
            "Transport (b) for silo {silo}: the tombstones travel by Postgres logical \
             replication, no application code. Run it in {silo}'s database after \
             cascades/{silo}.sql, with wal_level = logical on every publishing server:",
            silo = s.silo
        ),
        format!(
            "    psql -v ON_ERROR_STOP=1{}{} -f cascades/{}.replication.sql \"${}\"",
            s.sources
                .iter()
                .map(|src| format!(" -v {}='host=... dbname=...'", conninfo_var(src)))
                .collect::<String>(),
            match s.instances.first() {
                Some(i) => format!(" [-v instance={i}]"),
                None => String::new(),
            },
            s.silo,
            names::env_var(&s.silo, "URL")
        ),
        String::new(),
        "A database that is both a parent and a child already has a silo_plan.tombstones of its \
         own, and a subscriber's table must have the publisher's name: so each silo publishes a \
         copy, silo_plan.tombstones_<silo> (insert-only, with its source), filled by a trigger \
         on silo_plan.tombstones, and its children subscribe to that. On the child the rows \
         land in the table of that name, which cascades/<silo>.sql created and its apply reads \
         directly: no trigger per row (the previous layout's BEFORE INSERT trigger that moved \
         each row into silo_plan.inbox cost about 44 us a row; cascades/<silo>.sql drops it). \
         The initial copy of the subscription delivers the tombstones recorded so far."
            .into(),
        String::new(),
        "Run it in the database of every silo, then once more in each: a subscription \
         created before its publisher's publication existed gets its table on the re-run \
         (ALTER SUBSCRIPTION ... REFRESH PUBLICATION)."
            .into(),
        String::new(),
        "Safe to re-run: the publication and subscriptions are created only when missing. It \
         does not apply anything: call silo_plan.apply() as with the other transport. Drop the \
         subscriptions (DROP SUBSCRIPTION frees the slot on the publisher) before dropping a \
         publisher."
            .into(),
    ];
    if s.sources.is_empty() {
        ps.push(String::new());
        ps.push("This silo applies no tombstones: it only publishes.".into());
    }
    if s.producers.is_empty() {
        ps.push(String::new());
        ps.push("This silo records no tombstones: it only subscribes.".into());
    }
    paragraphs(&ps)
}

/// `cascades/<silo>.replication.sql`.
pub fn replication_sql(s: &SiloCascades) -> Result<String, RenderError> {
    let publish = (!s.producers.is_empty()).then(|| {
        let table = received_table(&s.silo);
        let publication = names::silo_object("silo_plan_tombstones_", &s.silo, "");
        PublishView {
            comments: step_comments(
                &format!(
                    "The published copy of silo_plan.tombstones, filled by a statement-level \
                     trigger in the deleting transaction; its source defaults to this \
                     database's '{}' or '{}'. Rows may be deleted once every \
                     subscriber has them (only inserts are published). The copy is created \
                     when missing and its source default set (again: the instance may differ); \
                     the trigger on silo_plan.tombstones is created when missing, never dropped.",
                    s.silo,
                    names::instance_source(&s.silo, Some("<instance>"))
                ),
                &claim(
                    &locks::publish(&s.silo),
                    "in one transaction, milliseconds: deletes on this silo's parent tables \
                     write tombstones into both tables, so they wait for it",
                ),
                &[(
                    "long-running",
                    "every tombstone is written twice (the table and its published copy)."
                        .to_string(),
                )],
            ),
            table_lit: literal(&qualified(&table)),
            table: qualified(&table),
            function: silo_fn("publish", &s.silo),
            trigger: ident(&names::silo_object("silo_plan_publish_", &s.silo, "")),
            trigger_lit: literal(&names::silo_object("silo_plan_publish_", &s.silo, "")),
            publication_comments: step_comments(
                &format!(
                    "Publication {publication}, inserts only, created when missing \
                     (Postgres has no CREATE PUBLICATION IF NOT EXISTS: psql's \\gexec runs the \
                     statement the query returns)."
                ),
                &claim(
                    &locks::publication(&s.silo),
                    "only while the publication is created; it blocks no read or write",
                ),
                &[],
            ),
            publication_lit: literal(&publication),
        }
    });
    // Subscription names end in `_<instance>` on a multi-instance silo: room for the longest.
    let room = names::instance_room(&s.instances);
    let subscribe = s
        .sources
        .iter()
        .map(|src| {
            let table = received_table(src);
            let subscription = names::subscription(src, &s.silo, room);
            SubscribeView {
                comments: step_comments(
                    &format!(
                        "Receives {src}'s tombstones into {}, the \
                         published table's name and columns plus two of its own: \
                         cascades/{me}.sql creates that table (this file only checks that it \
                         has, with xid, the current layout) and its apply reads it directly, \
                         with no trigger per row.",
                        qualified(&table),
                        me = s.silo
                    ),
                    &claim(&locks::subscribe_check(), "a catalog read"),
                    &[],
                ),
                source: comment_text(src),
                var: conninfo_var(src),
                table_lit: literal(&qualified(&table)),
                subscription_comments: step_comments(
                    &format!(
                        "Subscription {subscription}{} to {src}'s \
                         publication, with a replication slot of that name on {src}'s server: \
                         created when missing, else refreshed, so that a re-run picks up a \
                         publication created after the subscription (a subscription made \
                         before its publication exists receives nothing until refreshed). \
                         Neither statement can run in a transaction block: psql's \\gexec \
                         runs it on its own.",
                        if s.instances.is_empty() {
                            ""
                        } else {
                            "[_<instance>]"
                        }
                    ),
                    &claim(
                        &locks::subscription(),
                        "outside a transaction block; the initial copy reads the publisher's \
                         table",
                    ),
                    &[(
                        "long-running",
                        format!(
                            "the slot keeps WAL on {src}'s server until this subscription \
                             consumes it: a subscription left disabled fills its disk."
                        ),
                    )],
                ),
                subscription_lit: literal(&subscription),
                publication_lit: literal(&names::silo_object("silo_plan_tombstones_", src, "")),
            }
        })
        .collect();
    let t = ReplicationSql {
        silo: comment_text(&s.silo),
        silo_lit: literal(&s.silo),
        separator_lit: literal(&names::INSTANCE_SEPARATOR.to_string()),
        instance_source: comment_text(&names::instance_source(&s.silo, Some("<instance>"))),
        instances: comment_text(&s.instances.join(", ")),
        instance_lits: std::iter::once("")
            .chain(s.instances.iter().map(String::as_str))
            .map(literal)
            .collect::<Vec<_>>()
            .join(", "),
        instance_error_lit: literal(&if s.instances.is_empty() {
            format!(
                "psql variable instance: silo {} has no instances; leave instance unset",
                s.silo
            )
        } else {
            format!(
                "psql variable instance: not an instance of silo {}; use one of {}, spelled as in \
                 silo-plan.toml, or leave it unset for the whole silo in one database",
                s.silo,
                s.instances.join(", ")
            )
        }),
        header: replication_header(s),
        publish,
        subscribe,
    };
    let text = t
        .render()
        .map_err(|e| RenderError(format!("cascades/{}.replication.sql: {e}", s.silo)))?;
    Ok(retag(text, names(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_avoid_names() {
        let t = retag(
            "x $silo_plan$ y $silo_plan$".into(),
            ["a$silo_plan"].into_iter(),
        );
        assert_eq!(t, "x $silo_plan_1$ y $silo_plan_1$");
        let t = retag("$silo_plan$".into(), ["plain"].into_iter());
        assert_eq!(t, "$silo_plan$");
    }

    #[test]
    fn comments_never_break_out() {
        for l in &comment("a\nDROP TABLE x; b", 2) {
            assert!(l.starts_with("--") && !l.contains('\n'));
        }
    }
}
