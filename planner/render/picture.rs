//! The pictures of a plan: `report.html`, one self-contained page (no library, nothing fetched:
//! its script is `templates/report.js`, its data the plan's tables, keys and cascade closures
//! embedded as JSON), and `graph-silos.dot` / `graph-silos.mmd`, the silo-level graph (silos as
//! nodes, the crossing foreign keys counted on the edges) that stays readable however many
//! tables there are.

use std::collections::BTreeMap;

use askama::Template;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::{run, RenderError};
use crate::catalog::QName;
use crate::plan::{Input, Plan, CLOSURE_STEPS};
use crate::untrusted;

/// The page's script: plain JavaScript, no library.
const SCRIPT: &str = include_str!("../../templates/report.js");

#[derive(Template)]
#[template(path = "report.html", escape = "none")]
struct ReportHtml<'a> {
    title: String,
    data: String,
    script: &'a str,
}

/// Most closure steps the page holds in all: about 14 bytes each, so a page of a few megabytes
/// that a browser opens at once. A plan of 100,000 tables would otherwise embed millions; the
/// page then names `silo-plan explain` for the tables past it.
const PAGE_STEPS: usize = 300_000;

/// A silo of the page.
#[derive(Serialize)]
struct SiloData {
    name: String,
    role: &'static str,
}

/// A foreign key of the page, its ends by position in `tables`.
#[derive(Serialize)]
struct FkData {
    name: String,
    child: usize,
    cols: String,
    parent: usize,
    pcols: String,
    /// The `ON DELETE` the plan replicates (or keeps, within a silo).
    action: &'static str,
    /// A crossing of plan.md's list.
    crosses: bool,
    /// An `[[allow]]` entry lets it stand for now.
    allowed: bool,
    /// `file:line` of its statement.
    at: String,
}

/// Everything the page shows.
#[derive(Serialize)]
struct Data {
    config: String,
    dumps: Vec<String>,
    silos: Vec<SiloData>,
    /// `[schema.table, silo]`, silo by position in `silos`.
    tables: Vec<(String, usize)>,
    fks: Vec<FkData>,
    /// Per table, the cascade closure of deleting one of its rows (as `explain` walks it,
    /// at most [`CLOSURE_STEPS`] steps): `[fk, depth, flags]`, flags 1 = the step crosses
    /// silos, 2 = the child was reached above (listed, not followed again). `null` for the
    /// tables past [`PAGE_STEPS`].
    closures: Vec<Option<Vec<[usize; 3]>>>,
    /// `[table, steps left out]` for the closures cut at [`CLOSURE_STEPS`].
    omitted: Vec<[usize; 2]>,
    /// Findings other than the crossings.
    findings: usize,
}

/// A name as the page shows it: the characters [`untrusted`] escapes written visibly.
fn shown(s: &str) -> String {
    untrusted::escape(s).into_owned()
}

fn qshown(q: &QName) -> String {
    format!("{}.{}", shown(&q.schema), shown(&q.name))
}

/// JSON that may stand inside a `<script>` element: `<`, `>` and `&` (which only occur inside
/// JSON strings) written as `\u003c`, `\u003e`, `\u0026`, so that no name can end the element
/// (`</script>`) or open a comment (`<!--`), and U+2028 / U+2029 escaped as well.
pub(super) fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Text inside an HTML element: `&`, `<` and `>` as entities.
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn data(plan: &Plan, input: &Input) -> Data {
    // Silos in plan order (config order, then `shared`), then the tables in none.
    let mut silos: Vec<SiloData> = plan
        .silos
        .iter()
        .map(|s| SiloData {
            name: shown(&s.name),
            role: if s.name == "shared" {
                "shared"
            } else if s.stays {
                "stays"
            } else {
                "moves"
            },
        })
        .collect();
    let mut silo_pos: FxHashMap<&str, usize> = plan
        .silos
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let mut tables = Vec::with_capacity(input.asg.tables.len());
    let mut table_pos: FxHashMap<&QName, usize> = FxHashMap::default();
    for (q, d) in &input.asg.tables {
        let name = d.placement.name();
        let s = match silo_pos.get(name) {
            Some(&s) => s,
            None => {
                silos.push(SiloData {
                    name: shown(name),
                    role: "unassigned",
                });
                silo_pos.insert(name, silos.len() - 1);
                silos.len() - 1
            }
        };
        table_pos.insert(q, tables.len());
        tables.push((qshown(q), s));
    }
    let crossing: FxHashMap<(&QName, &str), bool> = plan
        .crossings
        .iter()
        .map(|c| {
            (
                (&c.key.child, c.key.constraint.as_str()),
                c.allowed.is_some(),
            )
        })
        .collect();
    let mut fk_pos: Vec<Option<usize>> = vec![None; input.cat.foreign_keys.len()];
    let mut fks = Vec::new();
    for (k, fk) in input.cat.foreign_keys.iter().enumerate() {
        let (Some(&child), Some(&parent)) =
            (table_pos.get(&fk.table), table_pos.get(&fk.references))
        else {
            continue;
        };
        let crossed = crossing.get(&(&fk.table, fk.name.as_str())).copied();
        let (action, _) = crate::check::effective_action(input.cat, input.cfg, input.rules, k);
        fk_pos[k] = Some(fks.len());
        fks.push(FkData {
            name: shown(&fk.name),
            child,
            cols: shown(&fk.columns.join(", ")),
            parent,
            pcols: shown(&fk.referenced_columns.join(", ")),
            action: action.as_str(),
            crosses: crossed.is_some(),
            allowed: crossed.unwrap_or(false),
            at: shown(&format!(
                "{}:{}",
                input
                    .cat
                    .files
                    .get(fk.span.file as usize)
                    .map_or("", |f| f.as_str()),
                fk.span.line
            )),
        });
    }
    let mut walk = crate::closure::ClosureWalk::default();
    let mut closures = Vec::with_capacity(tables.len());
    let mut omitted = Vec::new();
    let mut budget = PAGE_STEPS;
    for (i, q) in input.asg.tables.keys().enumerate() {
        let (hops, left) = walk.walk(input, q, CLOSURE_STEPS);
        if budget < hops.len() {
            budget = 0;
            closures.push(None);
            continue;
        }
        budget -= hops.len();
        closures.push(Some(
            hops.iter()
                .filter_map(|h| {
                    let flags = usize::from(h.crosses) | (usize::from(h.cycle) << 1);
                    fk_pos[h.fk].map(|f| [f, h.depth, flags])
                })
                .collect(),
        ));
        if left > 0 {
            omitted.push([i, left]);
        }
    }
    Data {
        config: shown(&plan.config),
        dumps: plan.dumps.iter().map(|d| shown(d)).collect(),
        silos,
        tables,
        fks,
        closures,
        omitted,
        findings: plan.findings.len(),
    }
}

/// `report.html`: the page, its script and its data in one file.
pub fn report_html(plan: &Plan, input: &Input) -> Result<String, RenderError> {
    let json = serde_json::to_string(&data(plan, input))
        .map_err(|e| RenderError(format!("report.html: {e}")))?;
    run(
        "report.html",
        &ReportHtml {
            title: html_text(&shown(&plan.config)),
            data: script_json(&json),
            script: SCRIPT,
        },
    )
}

struct SiloNode {
    id: String,
    label: String,
}

struct SiloEdge {
    from: String,
    to: String,
    label: String,
}

#[derive(Template)]
#[template(path = "graph-silos.dot", escape = "none")]
struct SilosDot {
    config: String,
    nodes: Vec<SiloNode>,
    edges: Vec<SiloEdge>,
}

#[derive(Template)]
#[template(path = "graph-silos.mmd", escape = "none")]
struct SilosMmd {
    config: String,
    nodes: Vec<SiloNode>,
    edges: Vec<SiloEdge>,
}

/// `N crossings` (foreign keys and references without a constraint) and, when some are
/// allowed, `(A allowed)`.
fn count_label(n: usize, allowed: usize) -> String {
    let keys = if n == 1 { "crossing" } else { "crossings" };
    if allowed > 0 {
        format!("{n} {keys} ({allowed} allowed)")
    } else {
        format!("{n} {keys}")
    }
}

/// `graph-silos.dot` and `graph-silos.mmd`: a node per silo (its table count), an edge from
/// the child's silo to the parent's labelled with how many references (foreign keys or not) cross that way.
pub fn silo_graphs(plan: &Plan) -> Result<(String, String), RenderError> {
    let index: FxHashMap<&str, usize> = plan
        .silos
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    // (child silo, parent silo) → (keys, allowed), in silo order.
    let mut counts: BTreeMap<(usize, usize), (usize, usize)> = BTreeMap::new();
    for c in &plan.crossings {
        let (Some(&a), Some(&b)) = (
            index.get(c.key.child_silo.as_str()),
            index.get(c.key.parent_silo.as_str()),
        ) else {
            continue;
        };
        let e = counts.entry((a, b)).or_default();
        e.0 += 1;
        e.1 += usize::from(c.allowed.is_some());
    }
    let tables = |n: usize| {
        if n == 1 {
            "1 table".to_string()
        } else {
            format!("{n} tables")
        }
    };
    let dot_nodes = plan
        .silos
        .iter()
        .enumerate()
        .map(|(i, s)| SiloNode {
            id: format!("s{i}"),
            // `\n` is a line break in a DOT label.
            label: {
                let mut l = String::from("\"");
                super::push_dot_escaped(&mut l, &s.name);
                l.push_str("\\n");
                l.push_str(&tables(s.tables.len()));
                l.push('"');
                l
            },
        })
        .collect();
    let mmd_nodes = plan
        .silos
        .iter()
        .enumerate()
        .map(|(i, s)| SiloNode {
            id: format!("s{i}"),
            label: format!(
                "{}<br/>{}",
                super::mmd_label(&s.name),
                tables(s.tables.len())
            ),
        })
        .collect();
    let edges = |label: &dyn Fn(String) -> String| -> Vec<SiloEdge> {
        counts
            .iter()
            .map(|(&(a, b), &(n, allowed))| SiloEdge {
                from: format!("s{a}"),
                to: format!("s{b}"),
                label: label(count_label(n, allowed)),
            })
            .collect()
    };
    let config = untrusted::escape(&plan.config.replace(['\n', '\r'], " ")).into_owned();
    let dot = run(
        "graph-silos.dot",
        &SilosDot {
            config: config.clone(),
            nodes: dot_nodes,
            edges: edges(&|s| super::dot_str(&s)),
        },
    )?;
    let mmd = run(
        "graph-silos.mmd",
        &SilosMmd {
            config,
            nodes: mmd_nodes,
            edges: edges(&|s| s),
        },
    )?;
    Ok((dot, mmd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_end_the_script_element() {
        let json = serde_json::to_string(&["</script><!-- & \u{2028}"]).unwrap();
        let safe = script_json(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        assert_eq!(
            serde_json::from_str::<Vec<String>>(&safe).unwrap(),
            vec!["</script><!-- & \u{2028}".to_string()]
        );
    }

    #[test]
    fn the_script_holds_no_end_tag() {
        // The script is pasted into a `<script>` element as it is.
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script"));
        assert!(!SCRIPT.contains("<!--"));
    }
}
