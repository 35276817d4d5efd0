//! `suggest`: a silo for each unassigned table, chosen from its foreign-key neighbourhood to
//! minimise crossings, with what every alternative would cost, and a TOML snippet.
//!
//! Greedy and deterministic: in each round, every unassigned table is scored against the silos
//! of its already placed neighbours (foreign keys in both directions, each key counting once);
//! the tables whose best silo is strictly better than the others are placed, and the round
//! repeats so placements propagate along chains. A table whose best silos tie, or that has no
//! placed neighbour, is left for a person, and the output says which.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::assign::Placement;
use crate::catalog::QName;

/// One unassigned table and what placing it in each silo would cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The table.
    pub table: QName,
    /// The chosen silo; `None` when the neighbourhood does not decide.
    pub silo: Option<String>,
    /// For every silo: the foreign keys that would cross if the table went there.
    pub costs: Vec<(String, usize)>,
    /// The silos tied for the lowest cost, when more than one.
    pub tie: Vec<String>,
    /// The round in which it was decided (1 = by assigned neighbours only).
    pub round: usize,
}

/// Suggestions for every unassigned table, in table order.
pub fn suggest(a: &Analysis) -> Vec<Suggestion> {
    let silos: Vec<String> = a.cfg.silos.iter().map(|s| s.name.clone()).collect();
    let mut placed: BTreeMap<QName, String> = BTreeMap::new();
    let mut open: Vec<QName> = Vec::new();
    for (q, d) in &a.asg.tables {
        match &d.placement {
            Placement::Silo(s) => {
                placed.insert(q.clone(), s.clone());
            }
            Placement::Shared => {}
            Placement::Unassigned => open.push(q.clone()),
        }
    }
    // Neighbours through foreign keys, both directions, self-references left out.
    let mut neighbours: BTreeMap<&QName, Vec<&QName>> = BTreeMap::new();
    for fk in &a.cat.foreign_keys {
        if fk.table != fk.references {
            neighbours
                .entry(&fk.table)
                .or_default()
                .push(&fk.references);
            neighbours
                .entry(&fk.references)
                .or_default()
                .push(&fk.table);
        }
    }
    let costs_of = |t: &QName, placed: &BTreeMap<QName, String>| -> Vec<(String, usize)> {
        let near: Vec<&String> = neighbours
            .get(t)
            .map(|v| v.iter().filter_map(|n| placed.get(*n)).collect())
            .unwrap_or_default();
        silos
            .iter()
            .map(|s| (s.clone(), near.iter().filter(|n| **n != s).count()))
            .collect()
    };
    let mut decided: BTreeMap<QName, (String, usize)> = BTreeMap::new();
    let mut round = 0;
    loop {
        round += 1;
        let mut now = Vec::new();
        for t in &open {
            if decided.contains_key(t) {
                continue;
            }
            let has_neighbour = neighbours
                .get(t)
                .is_some_and(|v| v.iter().any(|n| placed.contains_key(*n)));
            if !has_neighbour {
                continue;
            }
            let costs = costs_of(t, &placed);
            let best = costs.iter().map(|c| c.1).min().unwrap_or(0);
            let winners: Vec<&String> =
                costs.iter().filter(|c| c.1 == best).map(|c| &c.0).collect();
            if winners.len() == 1 {
                now.push((t.clone(), winners[0].clone()));
            }
        }
        if now.is_empty() {
            break;
        }
        for (t, s) in now {
            placed.insert(t.clone(), s.clone());
            decided.insert(t, (s, round));
        }
    }
    open.iter()
        .map(|t| {
            // Costs against the final placement of everything else.
            let mut others = placed.clone();
            others.remove(t);
            let costs = costs_of(t, &others);
            let best = costs.iter().map(|c| c.1).min().unwrap_or(0);
            let winners: Vec<String> = costs
                .iter()
                .filter(|c| c.1 == best)
                .map(|c| c.0.clone())
                .collect();
            match decided.get(t) {
                Some((s, r)) => Suggestion {
                    table: t.clone(),
                    silo: Some(s.clone()),
                    costs,
                    tie: Vec::new(),
                    round: *r,
                },
                None => Suggestion {
                    table: t.clone(),
                    silo: None,
                    costs,
                    tie: if winners.len() > 1 {
                        winners
                    } else {
                        Vec::new()
                    },
                    round: 0,
                },
            }
        })
        .collect()
}

/// The name as a pattern of the config: bare in the default schema, else `schema.name`.
fn pattern(q: &QName, default_schema: &str) -> String {
    if q.schema == default_schema {
        q.name.clone()
    } else {
        q.to_string()
    }
}

/// The text report: one line per table, then a TOML snippet for the decided ones.
pub fn text(a: &Analysis, s: &[Suggestion]) -> String {
    let mut o = String::new();
    if s.is_empty() {
        o.push_str("every table is assigned: nothing to suggest\n");
        return o;
    }
    for x in s {
        let costs = x
            .costs
            .iter()
            .map(|(silo, n)| format!("{silo} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let verdict = match (&x.silo, x.tie.is_empty()) {
            (Some(silo), _) if x.round > 1 => {
                format!("{silo} (follows tables placed in round {})", x.round - 1)
            }
            (Some(silo), _) => silo.clone(),
            (None, false) => format!("tie between {}: decide by hand", x.tie.join(" and ")),
            (None, true) => "undecided: no foreign key to a placed table".to_string(),
        };
        let _ = writeln!(o, "{}: {verdict}; crossings if placed in: {costs}", x.table);
    }
    let mut by_silo: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for x in s {
        if let Some(silo) = &x.silo {
            by_silo
                .entry(silo.as_str())
                .or_default()
                .push(pattern(&x.table, &a.cfg.default_schema));
        }
    }
    if !by_silo.is_empty() {
        o.push_str("\n# Add to silo-plan.toml (merge into the existing `tables` lists):\n");
        for silo in a.cfg.silos.iter().map(|s| s.name.as_str()) {
            let Some(names) = by_silo.get(silo) else {
                continue;
            };
            let list = names
                .iter()
                .map(|n| toml::Value::String(n.clone()).to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(o, "[silos.{silo}]\ntables = [{list}]");
        }
    }
    o
}
