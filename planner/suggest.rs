//! `suggest`: a silo for each unassigned table, chosen from its foreign-key neighbourhood and,
//! when query logs are given, from the statements and transactions that involve it, to
//! minimise crossings; with what every alternative would cost, and a TOML snippet.
//!
//! Greedy and deterministic: in each round, every unassigned table is scored against the silos
//! of the tables already placed; the tables whose best silo is strictly better than the others
//! are placed, and the round repeats so placements propagate along chains. A table whose best
//! silos tie, or that has no evidence (no placed foreign-key neighbour, no logged statement or
//! transaction shared with a placed table), is left for a person, and the output says which.
//!
//! The cost of placing table `T` in silo `S` is the sum of:
//!
//! * the foreign keys between `T` and placed tables of other silos (both directions, each key
//!   once, self-references left out);
//! * with a log ([`crate::queries::Workload`]), the calls of every distinct statement touching
//!   `T` that would touch more than one silo with `T` in `S` (joins, subqueries, `INSERT ...
//!   SELECT`, views and triggers expanded; shared and unplaced tables do not count);
//! * with a server log, every transaction of several statements writing `T` whose writes would
//!   then span more than one silo (they lose atomicity after the split).
//!
//! One crossing foreign key weighs as much as one call or one transaction. With a log of real
//! traffic the log's counts dominate and the keys only decide what the log does not tell apart;
//! with a sparse log both count. The output says which of the two decided ([`DecidedBy`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::assign::Placement;
use crate::catalog::QName;
use crate::queries::Workload;

/// What the query log would cost in one silo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogCost {
    /// The silo.
    pub silo: String,
    /// Calls of statements involving the table that would cross silos.
    pub calls: u64,
    /// Transactions writing the table whose writes would span several silos.
    pub transactions: u64,
    /// The heaviest of those (at most three): calls or transactions, and the normalized text.
    pub heaviest: Vec<(u64, String)>,
}

/// Which weights decided a suggestion made with a query log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum DecidedBy {
    /// The log costs the same in every silo (or names no statement with the table): the
    /// foreign keys decided.
    ForeignKeys,
    /// The foreign keys cost the same in every silo: the log decided.
    QueryLog,
    /// Both prefer the chosen silo.
    Agree,
    /// The foreign keys tie between several silos; the log picked one of them.
    LogBreaksTie,
    /// The foreign keys alone would choose another silo; the log outweighs them.
    LogOutweighs {
        /// The silo (or silos, tied) the foreign keys alone would choose.
        foreign_keys_choose: Vec<String>,
    },
}

/// One unassigned table and what placing it in each silo would cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The table.
    pub table: QName,
    /// The chosen silo; `None` when the evidence does not decide.
    pub silo: Option<String>,
    /// For every silo: the foreign keys that would cross if the table went there.
    pub costs: Vec<(String, usize)>,
    /// With a query log, for every silo: what of the log would cross if the table went there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log_costs: Vec<LogCost>,
    /// The silos tied for the lowest total cost, when more than one.
    pub tie: Vec<String>,
    /// The round in which it was decided (1 = by assigned tables only).
    pub round: usize,
    /// With a query log, for a decided table: which weights decided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<DecidedBy>,
}

impl Suggestion {
    /// The total cost of each silo: foreign keys + calls + transactions.
    pub fn totals(&self) -> Vec<(String, u64)> {
        self.costs
            .iter()
            .map(|(silo, fks)| {
                let log = self
                    .log_costs
                    .iter()
                    .find(|l| &l.silo == silo)
                    .map_or(0, |l| l.calls + l.transactions);
                (silo.clone(), *fks as u64 + log)
            })
            .collect()
    }
}

/// The log's statements and transactions, indexed by the unassigned tables they involve.
struct LogIndex<'w> {
    w: &'w Workload,
    statements: BTreeMap<&'w QName, Vec<usize>>,
    transactions: BTreeMap<&'w QName, Vec<usize>>,
}

impl<'w> LogIndex<'w> {
    fn new(w: &'w Workload, open: &BTreeSet<&QName>) -> Self {
        let mut statements: BTreeMap<&QName, Vec<usize>> = BTreeMap::new();
        for (i, s) in w.statements.iter().enumerate() {
            for q in s.tables.iter().filter(|q| open.contains(q)) {
                statements.entry(q).or_default().push(i);
            }
        }
        let mut transactions: BTreeMap<&QName, Vec<usize>> = BTreeMap::new();
        for (i, t) in w.transactions.iter().enumerate() {
            for q in t.written.iter().filter(|q| open.contains(q)) {
                transactions.entry(q).or_default().push(i);
            }
        }
        LogIndex {
            w,
            statements,
            transactions,
        }
    }

    /// Whether a statement or transaction involves `t` and a placed table.
    fn has_evidence(&self, t: &QName, placed: &BTreeMap<QName, String>) -> bool {
        let placed_other =
            |tables: &BTreeSet<QName>| tables.iter().any(|q| q != t && placed.contains_key(q));
        self.statements.get(t).is_some_and(|v| {
            v.iter()
                .any(|&i| placed_other(&self.w.statements[i].tables))
        }) || self.transactions.get(t).is_some_and(|v| {
            v.iter()
                .any(|&i| placed_other(&self.w.transactions[i].written))
        })
    }

    /// What placing `t` in `silo` costs in the log, given the placed tables.
    fn cost(&self, t: &QName, silo: &str, placed: &BTreeMap<QName, String>) -> LogCost {
        // Another placed table of another silo makes it cross.
        let crosses = |tables: &BTreeSet<QName>| {
            tables
                .iter()
                .filter(|q| *q != t)
                .any(|q| placed.get(q).is_some_and(|s| s != silo))
        };
        let mut c = LogCost {
            silo: silo.to_string(),
            calls: 0,
            transactions: 0,
            heaviest: Vec::new(),
        };
        let mut heavy: Vec<(u64, &str)> = Vec::new();
        for &i in self.statements.get(t).into_iter().flatten() {
            let s = &self.w.statements[i];
            if crosses(&s.tables) {
                c.calls += s.calls;
                heavy.push((s.calls, &s.text));
            }
        }
        for &i in self.transactions.get(t).into_iter().flatten() {
            let x = &self.w.transactions[i];
            if crosses(&x.written) {
                c.transactions += x.count;
                heavy.push((x.count, &x.text));
            }
        }
        // Heaviest first; equal weights in the log's order.
        heavy.sort_by_key(|h| std::cmp::Reverse(h.0));
        c.heaviest = heavy
            .into_iter()
            .take(3)
            .map(|(n, text)| (n, text.to_string()))
            .collect();
        c
    }
}

/// Suggestions for every unassigned table, in table order, from the foreign keys alone.
pub fn suggest(a: &Analysis) -> Vec<Suggestion> {
    suggest_weighted(a, None)
}

/// Suggestions for every unassigned table, in table order, weighing the foreign keys and,
/// when given, a query log's statements and transactions (see the module documentation).
pub fn suggest_weighted(a: &Analysis, log: Option<&Workload>) -> Vec<Suggestion> {
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
    let open_set: BTreeSet<&QName> = open.iter().collect();
    let index = log.map(|w| LogIndex::new(w, &open_set));
    // Neighbours through foreign keys and declared or imported references, both directions,
    // self-references left out. Inferred references are left out: a column's name alone is a
    // guess, and weighed like a constraint it turned clear choices of the example into ties
    // (`org_membermapping`, which maps region organizations from control by a plain id).
    let mut neighbours: BTreeMap<&QName, Vec<&QName>> = BTreeMap::new();
    for fk in &a.cat.foreign_keys {
        if fk.table != fk.references && fk.kind() != crate::references::Kind::Inferred {
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
    let fk_costs = |t: &QName, placed: &BTreeMap<QName, String>| -> Vec<(String, usize)> {
        let near: Vec<&String> = neighbours
            .get(t)
            .map(|v| v.iter().filter_map(|n| placed.get(*n)).collect())
            .unwrap_or_default();
        silos
            .iter()
            .map(|s| (s.clone(), near.iter().filter(|n| **n != s).count()))
            .collect()
    };
    let log_costs = |t: &QName, placed: &BTreeMap<QName, String>| -> Vec<LogCost> {
        match &index {
            Some(ix) => silos.iter().map(|s| ix.cost(t, s, placed)).collect(),
            None => Vec::new(),
        }
    };
    let has_evidence = |t: &QName, placed: &BTreeMap<QName, String>| -> bool {
        neighbours
            .get(t)
            .is_some_and(|v| v.iter().any(|n| placed.contains_key(*n)))
            || index.as_ref().is_some_and(|ix| ix.has_evidence(t, placed))
    };
    let suggestion = |t: &QName, placed: &BTreeMap<QName, String>| -> Suggestion {
        Suggestion {
            table: t.clone(),
            silo: None,
            costs: fk_costs(t, placed),
            log_costs: log_costs(t, placed),
            tie: Vec::new(),
            round: 0,
            decided_by: None,
        }
    };
    // A table's own placement never enters its costs (its keys to itself are left out, and
    // the log's costs skip it), so they can be computed against `placed` as it stands.
    let mut decided: BTreeMap<QName, (String, usize)> = BTreeMap::new();
    let mut round = 0;
    // Bounded for safety; each pass either places, moves a table to a strictly cheaper silo
    // (lowering the total cost) or takes a decision back, so it ends long before.
    for _ in 0..=open.len() + 1 {
        // Greedy rounds: place every table whose cheapest silo is unique.
        loop {
            round += 1;
            let mut now = Vec::new();
            for t in &open {
                if decided.contains_key(t) || !has_evidence(t, &placed) {
                    continue;
                }
                let winners = cheapest(&suggestion(t, &placed).totals());
                if winners.len() == 1 {
                    now.push((t.clone(), winners[0].clone()));
                }
            }
            if now.is_empty() {
                round -= 1;
                break;
            }
            for (t, s) in now {
                placed.insert(t.clone(), s.clone());
                decided.insert(t, (s, round));
            }
        }
        // Tables placed in the same round, or before their neighbours, were judged without
        // each other: check every decision against the final placement of all others. A
        // table whose cheapest silo changed moves there; one whose cheapest silos now tie is
        // left for a person.
        let mut changed = false;
        for t in &open {
            let Some((silo, _)) = decided.get(t) else {
                continue;
            };
            let winners = cheapest(&suggestion(t, &placed).totals());
            if winners.len() == 1 && &winners[0] == silo {
                continue;
            }
            changed = true;
            if winners.len() == 1 {
                placed.insert(t.clone(), winners[0].clone());
                if let Some(d) = decided.get_mut(t) {
                    d.0 = winners[0].clone();
                }
            } else {
                placed.remove(t);
                decided.remove(t);
            }
        }
        if !changed {
            break;
        }
    }
    open.iter()
        .map(|t| {
            // Costs against the final placement of everything else.
            let mut x = suggestion(t, &placed);
            let winners = cheapest(&x.totals());
            match decided.get(t) {
                Some((s, r)) => {
                    x.silo = Some(s.clone());
                    x.round = *r;
                    if log.is_some() {
                        x.decided_by = Some(decided_by(&x, s));
                    }
                }
                None => {
                    if winners.len() > 1 {
                        x.tie = winners;
                    }
                }
            }
            x
        })
        .collect()
}

/// The silos of lowest cost.
fn cheapest<N: Ord + Copy>(costs: &[(String, N)]) -> Vec<String> {
    let Some(best) = costs.iter().map(|c| c.1).min() else {
        return Vec::new();
    };
    costs
        .iter()
        .filter(|c| c.1 == best)
        .map(|c| c.0.clone())
        .collect()
}

fn decided_by(x: &Suggestion, chosen: &str) -> DecidedBy {
    let fk_all_equal = x.costs.windows(2).all(|w| w[0].1 == w[1].1);
    let log: Vec<(String, u64)> = x
        .log_costs
        .iter()
        .map(|l| (l.silo.clone(), l.calls + l.transactions))
        .collect();
    let log_all_equal = log.windows(2).all(|w| w[0].1 == w[1].1);
    let by_fks = cheapest(&x.costs);
    if log_all_equal {
        DecidedBy::ForeignKeys
    } else if fk_all_equal {
        DecidedBy::QueryLog
    } else if by_fks.len() == 1 && by_fks[0] == chosen {
        DecidedBy::Agree
    } else if by_fks.iter().any(|s| s == chosen) {
        DecidedBy::LogBreaksTie
    } else {
        DecidedBy::LogOutweighs {
            foreign_keys_choose: by_fks,
        }
    }
}

/// The name as a pattern of the config: bare in the default schema, else `schema.name`.
fn pattern(q: &QName, default_schema: &str) -> String {
    if q.schema == default_schema {
        q.name.clone()
    } else {
        q.to_string()
    }
}

fn count(n: u64, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

fn short(s: &str) -> String {
    const MAX: usize = 100;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

/// The text report: one line per table (with a query log, the heaviest statements and
/// transactions that would cross in each silo not chosen), then a TOML snippet for the decided
/// ones.
/// `config_text` is the config's own text, where the snippet says each entry goes; with `None`
/// (`suggest --write` wrote the entries), there is no snippet.
pub fn text(a: &Analysis, s: &[Suggestion], config_text: Option<&str>) -> String {
    let mut o = String::new();
    if s.is_empty() {
        o.push_str("every table is assigned: nothing to suggest\n");
        return o;
    }
    for x in s {
        let logged = !x.log_costs.is_empty();
        let costs = if logged {
            x.totals()
                .iter()
                .zip(&x.costs)
                .zip(&x.log_costs)
                .map(|(((silo, total), (_, fks)), l)| {
                    format!(
                        "{silo} {total} ({}, {}, {})",
                        count(*fks as u64, "FK"),
                        count(l.calls, "call"),
                        count(l.transactions, "transaction")
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            x.costs
                .iter()
                .map(|(silo, n)| format!("{silo} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let why = match &x.decided_by {
            None => String::new(),
            Some(DecidedBy::ForeignKeys) => {
                "foreign keys; the log does not tell the silos apart".into()
            }
            Some(DecidedBy::QueryLog) => {
                "query log; the foreign keys do not tell the silos apart".into()
            }
            Some(DecidedBy::Agree) => "foreign keys and query log agree".into(),
            Some(DecidedBy::LogBreaksTie) => "the query log breaks the foreign keys' tie".into(),
            Some(DecidedBy::LogOutweighs {
                foreign_keys_choose,
            }) => format!(
                "the query log outweighs the foreign keys, which alone would choose {}",
                foreign_keys_choose.join(" or ")
            ),
        };
        let verdict = match (&x.silo, x.tie.is_empty()) {
            (Some(silo), _) if x.round > 1 && why.is_empty() => {
                format!("{silo} (follows tables placed in round {})", x.round - 1)
            }
            (Some(silo), _) if x.round > 1 => {
                format!(
                    "{silo} (follows tables placed in round {}; {why})",
                    x.round - 1
                )
            }
            (Some(silo), _) if why.is_empty() => silo.clone(),
            (Some(silo), _) => format!("{silo} ({why})"),
            (None, false) => format!("tie between {}: decide by hand", x.tie.join(" and ")),
            (None, true) if logged => {
                "undecided: no foreign key, logged statement or transaction shared with a placed table"
                    .to_string()
            }
            (None, true) => "undecided: no foreign key to a placed table".to_string(),
        };
        let _ = writeln!(o, "{}: {verdict}; crossings if placed in: {costs}", x.table);
        // What the log would cost in the silos not chosen.
        for l in &x.log_costs {
            if l.heaviest.is_empty() || x.silo.as_deref() == Some(l.silo.as_str()) {
                continue;
            }
            let items = l
                .heaviest
                .iter()
                .map(|(n, text)| format!("{n}x `{}`", short(text)))
                .collect::<Vec<_>>()
                .join("; ");
            let _ = writeln!(o, "    would cross in {}: {items}", l.silo);
        }
    }
    let decided = decided(a, s);
    let doc: Option<toml_edit::DocumentMut> = config_text.and_then(|t| t.parse().ok());
    if let (Some(doc), false) = (&doc, decided.is_empty()) {
        // Only the new entries, each where it goes: a `[silos.NAME]` header pasted again would
        // be a duplicate table, which TOML refuses.
        let file = std::path::Path::new(&a.cfg.path)
            .file_name()
            .map_or(a.cfg.path.clone(), |f| f.to_string_lossy().into_owned());
        let _ = writeln!(
            o,
            "\n# Add to {file} (`silo-plan suggest --write` does it in place, keeping comments):"
        );
        for (silo, names) in decided {
            let tables = tables_of(doc, &silo.name);
            let Some(last) = silo.tables.last() else {
                continue;
            };
            let (line, after) = (last.pos.line, toml_string(&last.text));
            // A list written one item a line, ending in a comma: one line per entry, after the
            // last item's line. Any other: the entries after the last item, on its line.
            let one_a_line = tables.is_some_and(|t| one_a_line(t) && t.trailing_comma());
            if one_a_line {
                let _ = writeln!(
                    o,
                    "# to the `tables` of [silos.{}], the lines after line {line} ({after}):",
                    silo.name
                );
                for n in names {
                    let _ = writeln!(o, "    {},", toml_string(&n));
                }
            } else {
                let _ = writeln!(
                    o,
                    "# to the `tables` of [silos.{}], after {after} on line {line}:",
                    silo.name
                );
                let list: Vec<String> = names.iter().map(|n| toml_string(n)).collect();
                let _ = writeln!(o, ", {}", list.join(", "));
            }
        }
    }
    o
}

/// The `tables` list of silo `name` in `doc`.
fn tables_of<'d>(doc: &'d toml_edit::DocumentMut, name: &str) -> Option<&'d toml_edit::Array> {
    doc.get("silos")?.get(name)?.get("tables")?.as_array()
}

/// Whether `tables` is written one item a line.
fn one_a_line(tables: &toml_edit::Array) -> bool {
    tables.iter().any(|v| {
        v.decor()
            .prefix()
            .and_then(|p| p.as_str())
            .is_some_and(|p| p.contains('\n'))
    })
}

/// The decided tables of `s` by silo, in the config's silo order, each as a `tables` pattern.
fn decided<'a>(a: &'a Analysis, s: &[Suggestion]) -> Vec<(&'a crate::config::Silo, Vec<String>)> {
    let mut by_silo: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for x in s {
        if let Some(silo) = &x.silo {
            by_silo
                .entry(silo.as_str())
                .or_default()
                .push(pattern(&x.table, &a.cfg.default_schema));
        }
    }
    a.cfg
        .silos
        .iter()
        .filter_map(|silo| Some((silo, by_silo.remove(silo.name.as_str())?)))
        .collect()
}

/// `text`, the config's own text, with each decided table of `s` added to the end of its
/// silo's `tables` list (what `suggest --write` writes), and how many were added. Comments,
/// order and layout stay as they are (`toml_edit`): in a list written one item a line, each new
/// item gets a line of its own with the indentation of the last, and a comment after the last
/// item stays on its line. The result is checked to read back as a config.
pub fn write_into(text: &str, a: &Analysis, s: &[Suggestion]) -> Result<(String, usize), String> {
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| format!("{}: cannot edit: {e}", a.cfg.path))?;
    let mut added = 0;
    for (silo, names) in decided(a, s) {
        let tables = doc
            .get_mut("silos")
            .and_then(|i| i.get_mut(&silo.name))
            .and_then(|i| i.get_mut("tables"))
            .and_then(|i| i.as_array_mut())
            .ok_or_else(|| {
                format!(
                    "{}: no `tables` list for silo `{}` to add to",
                    a.cfg.path, silo.name
                )
            })?;
        push_lines(tables, &names)?;
        added += names.len();
    }
    let out = doc.to_string();
    crate::config::parse(&a.cfg.path, &out).map_err(|e| {
        format!(
            "{}: the edited file would not read back ({e}); nothing was written",
            a.cfg.path
        )
    })?;
    Ok((out, added))
}

/// Appends `names` to `tables` in its layout: one a line when its items are, else on its line.
fn push_lines(tables: &mut toml_edit::Array, names: &[String]) -> Result<(), String> {
    let last_prefix = tables
        .iter()
        .last()
        .and_then(|v| v.decor().prefix())
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_string();
    let one_a_line = one_a_line(tables);
    let mut trailing = tables.trailing().as_str().unwrap_or("").to_string();
    if one_a_line && !tables.trailing_comma() {
        // Without a trailing comma, the line break before `]` is the last item's suffix.
        if let Some(last) = tables.iter_mut().last() {
            let suffix = last.decor().suffix().and_then(|p| p.as_str()).unwrap_or("");
            trailing = format!("{suffix}{trailing}");
            last.decor_mut().set_suffix("");
        }
    }
    for (i, n) in names.iter().enumerate() {
        let mut v: toml_edit::Value = toml_string(n)
            .parse()
            .map_err(|e| format!("cannot write table name {n}: {e}"))?;
        let prefix = if one_a_line {
            let indent = last_prefix.rsplit('\n').next().unwrap_or("");
            // The text after the old last item (a comment) stays after it: it goes before the
            // first new item's line break.
            let keep = if i == 0 {
                trailing.rsplit_once('\n').map_or("", |(before, _)| before)
            } else {
                ""
            };
            format!("{keep}\n{indent}")
        } else if tables.is_empty() {
            String::new()
        } else {
            " ".to_string()
        };
        v.decor_mut().set_prefix(prefix);
        v.decor_mut().set_suffix("");
        tables.push_formatted(v);
    }
    if one_a_line {
        let closing = trailing.rsplit_once('\n').map_or("", |(_, after)| after);
        tables.set_trailing(format!("\n{closing}"));
        tables.set_trailing_comma(true);
    }
    Ok(())
}

/// `s` as a TOML string for the snippet to paste: a name holding a character that
/// [`crate::untrusted`] escapes is written as a basic string with `\uXXXX` escapes (every such
/// character is in the Basic Multilingual Plane), which TOML reads back as the same name.
fn toml_string(s: &str) -> String {
    if !s.chars().any(crate::untrusted::is_unsafe) {
        return toml::Value::String(s.to_string()).to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if crate::untrusted::is_unsafe(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    /// The snippet's strings are read back by TOML as the names they stand for, and show no
    /// terminal escape or bidirectional override raw.
    #[test]
    fn toml_strings_read_back_and_hold_no_unsafe_character() {
        for s in ["plain", "a\"b\\c", "ev\x1b[31m\u{202e}\u{9b}x\u{7f}"] {
            let t = super::toml_string(s);
            assert!(!t.chars().any(crate::untrusted::is_unsafe), "{t}");
            let v: toml::Table = toml::from_str(&format!("x = {t}")).expect("valid TOML");
            assert_eq!(v["x"].as_str(), Some(s));
        }
    }

    /// New entries follow the list's layout; comments stay on the lines they were on.
    #[test]
    fn push_lines_keeps_layout_and_comments() {
        let edit = |text: &str| {
            let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
            let t = doc["tables"].as_array_mut().unwrap();
            super::push_lines(t, &["c".to_string(), "d e".to_string()]).unwrap();
            doc.to_string()
        };
        assert_eq!(
            edit("tables = [\n    \"a\",  # first\n  \"b\", # last\n]  # end\n"),
            "tables = [\n    \"a\",  # first\n  \"b\", # last\n  \"c\",\n  \"d e\",\n]  # end\n"
        );
        assert_eq!(
            edit("tables = [\n  \"a\"\n]\n"),
            "tables = [\n  \"a\",\n  \"c\",\n  \"d e\",\n]\n"
        );
        assert_eq!(
            edit("tables = [\"a\", \"b\"]  # x\n"),
            "tables = [\"a\", \"b\", \"c\", \"d e\"]  # x\n"
        );
    }
}
