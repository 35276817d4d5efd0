//! `explain TABLE`: a table's silo and why, its edges, and the transitive cascade closure of
//! deleting one of its rows ([`crate::closure`]), across in-silo and cross-silo edges.

use std::fmt::Write;

use crate::catalog::QName;
use crate::check::{effective_action, ActionSource};
use crate::closure::closure;
use crate::config::EdgeAction;
use crate::plan::Input;

/// The `explain` text for `table`.
pub fn text(input: &Input, table: &QName) -> String {
    let Input {
        cat,
        cfg,
        asg,
        rules,
        graph,
        ..
    } = *input;
    let mut o = String::new();
    let silo = asg.silo_name(table);
    let why = match asg.tables.get(table) {
        Some(d) => match (&d.pattern, &d.via) {
            (_, Some(parent)) => format!("follows its partitioned parent {parent}"),
            (Some(p), None) => format!(
                "pattern \"{}\" at {}:{}:{}",
                p.text, cfg.path, p.pos.line, p.pos.column
            ),
            (None, None) => "no pattern matches it".to_string(),
        },
        None => "not a table of this dump".to_string(),
    };
    let _ = writeln!(o, "{table}: silo {silo} ({why})");
    if let Some(t) = cat.table(table) {
        let file = cat
            .files
            .get(t.span.file as usize)
            .map_or("", |s| s.as_str());
        let _ = writeln!(o, "  defined at {file}:{}", t.span.line);
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "references (outgoing foreign keys):");
    let mut any = false;
    for (k, fk) in cat
        .foreign_keys
        .iter()
        .enumerate()
        .filter(|(_, f)| f.table == *table)
    {
        any = true;
        let ps = asg.silo_name(&fk.references);
        let mark = if ps != silo {
            "  ✗ crosses silos"
        } else {
            ""
        };
        let (action, _) = effective_action(cat, cfg, rules, k);
        let _ = writeln!(
            o,
            "  {} ({}) → {}({}) [{ps}] on delete {}{}{mark}",
            fk.name,
            fk.columns.join(", "),
            fk.references,
            fk.referenced_columns.join(", "),
            action.as_str(),
            set_list(fk, action)
        );
    }
    if !any {
        let _ = writeln!(o, "  (none)");
    }
    let _ = writeln!(o, "referenced by (incoming foreign keys):");
    let children = graph.children(table);
    if children.is_empty() {
        let _ = writeln!(o, "  (none)");
    }
    for k in children {
        let fk = &cat.foreign_keys[*k];
        let cs = asg.silo_name(&fk.table);
        let mark = if cs != silo {
            "  ✗ crosses silos"
        } else {
            ""
        };
        let (action, _) = effective_action(cat, cfg, rules, *k);
        let _ = writeln!(
            o,
            "  {}({}) [{cs}] via {} on delete {}{}{mark}",
            fk.table,
            fk.columns.join(", "),
            fk.name,
            action.as_str(),
            set_list(fk, action)
        );
    }
    let _ = writeln!(o);
    let hops = closure(input, table);
    let _ = writeln!(o, "deleting one row of {table} [{silo}]:");
    if hops.is_empty() {
        let _ = writeln!(o, "  affects no other table");
    }
    let mut crossings = 0;
    for h in &hops {
        let fk = &cat.foreign_keys[h.fk];
        let indent = "  ".repeat(h.depth);
        let verb = match h.action {
            EdgeAction::Cascade => "deletes rows of",
            EdgeAction::SetNull => "sets NULL in",
            EdgeAction::SetDefault => "sets DEFAULT in",
            EdgeAction::Restrict => "is refused while rows exist in",
            EdgeAction::Ignore => "leaves (ignored) rows of",
        };
        let src = match &h.source {
            ActionSource::Declared => "declared",
            ActionSource::Override(_) => "[[edges]] override",
            ActionSource::Default => "default, dump says NO ACTION",
            other => other.text(),
        };
        let cross = if h.crosses {
            crossings += 1;
            format!(
                "  ✗ crosses {} → {}",
                asg.silo_name(&fk.references),
                asg.silo_name(&fk.table)
            )
        } else {
            String::new()
        };
        let cycle = if h.cycle && h.action == EdgeAction::Cascade {
            " (already reached above: not followed again)"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "{indent}└ {verb} {}({}) [{}] via {} ({src}){cross}{cycle}",
            fk.table,
            // What the step writes: a `SET NULL (cols)` key sets only its listed columns.
            match h.action {
                EdgeAction::SetNull | EdgeAction::SetDefault => fk.delete_set_columns().join(", "),
                _ => fk.columns.join(", "),
            },
            asg.silo_name(&fk.table),
            fk.name
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{} steps, {crossings} of them cross a silo boundary",
        hops.len()
    );
    o
}

/// ` (cols)` for a set-null / set-default key that lists the columns it sets (Postgres 15+).
fn set_list(fk: &crate::catalog::ForeignKey, action: EdgeAction) -> String {
    match action {
        EdgeAction::SetNull | EdgeAction::SetDefault if !fk.on_delete_columns.is_empty() => {
            format!(" ({})", fk.on_delete_columns.join(", "))
        }
        _ => String::new(),
    }
}
