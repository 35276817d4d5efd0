//! The `check` analyzers: one function per concern, each returning findings with stable codes.
//!
//! Inputs are the catalog, the config and its assignment; output is a sorted `Vec<Finding>`.
//! Nothing here formats output (see [`crate::report`]) or touches files.

use std::collections::{BTreeMap, BTreeSet};

use crate::assign::{Assignment, Placement, RuleMatches};
use crate::catalog::{Catalog, FkAction, FkProblem, ForeignKey, QName, RejectedFk, Span};
use crate::config::{Config, EdgeAction, Pos, Unassigned};
use crate::findings::{sort, Code, Finding, FindingRef, Location, Related, Severity};
use crate::graph::Graph;
use crate::plan::Input;
use crate::references::{Confidence, Kind};
use crate::source::SourceFile;

/// Where an effective `ON DELETE` action came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionSource {
    /// The dump declares it.
    Declared,
    /// An `[[edges]]` entry overrides it (its position in the config).
    Override(Pos),
    /// The dump says NO ACTION and `defaults.on_delete` is set: it applies.
    Default,
    /// The dump says NO ACTION and `defaults.on_delete` is unset: what the database does
    /// today, which is to refuse the delete while child rows exist (`restrict`).
    Today,
    /// A `[[references]]` entry (its position) or a references file (the application's
    /// models: `Kind::Imported`, no position) states what the application does.
    Stated(Kind, Option<Pos>),
    /// A declared or imported reference without a constraint that states no `on_delete`:
    /// `defaults.on_delete` applies, or, unset, what the database does today: nothing
    /// (`ignore`).
    Unstated,
    /// An inferred reference: no constraint, nothing states an action, so the database does
    /// nothing today (the child keeps a dangling id) and neither does the plan.
    Inferred,
}

impl ActionSource {
    /// A short word for plans (`decided by`): `declared`, `override`, `default`, `references`
    /// (a `[[references]]` entry), `orm` (a references file), `inferred`.
    pub fn word(&self) -> &'static str {
        match self {
            ActionSource::Declared => "declared",
            ActionSource::Override(_) => "override",
            ActionSource::Default | ActionSource::Today | ActionSource::Unstated => "default",
            ActionSource::Stated(Kind::Imported, _) => "orm",
            ActionSource::Stated(..) => "references",
            ActionSource::Inferred => "inferred",
        }
    }

    /// What it means, for reports: `[[edges]] override`, `defaults.on_delete, the dump says NO
    /// ACTION`, ...
    pub fn text(&self) -> &'static str {
        match self {
            ActionSource::Declared => "declared",
            ActionSource::Override(_) => "[[edges]] override",
            ActionSource::Default => "defaults.on_delete, the dump says NO ACTION",
            ActionSource::Today => {
                "the dump says NO ACTION, so the database refuses the delete today; defaults.on_delete is unset, so that is kept"
            }
            ActionSource::Stated(Kind::Imported, _) => "the application's models, imported",
            ActionSource::Stated(..) => "[[references]] entry",
            ActionSource::Unstated => "the reference states no on_delete, defaults.on_delete",
            ActionSource::Inferred => {
                "inferred without a constraint: the database does nothing today"
            }
        }
    }
}

/// The action to replicate for key `k`'s `ON DELETE`, and why. In order: an `[[edges]]`
/// override; the `on_delete` a `[[references]]` entry, else a references file, states (for a
/// constraint, `no-action` is `restrict`: the database refuses the delete; without a
/// constraint it is `ignore`: nothing happens); a constraint's own action, with
/// `defaults.on_delete` where the dump says NO ACTION; `defaults.on_delete` for a declared or
/// imported reference that states none; `ignore` for an inferred one (a guess never deletes).
/// Where `defaults.on_delete` is unset, what the database does today: a constraint's NO ACTION
/// refuses the delete (`restrict`), a reference without a constraint does nothing (`ignore`).
pub fn effective_action(
    cat: &Catalog,
    cfg: &Config,
    rules: &RuleMatches,
    k: usize,
) -> (EdgeAction, ActionSource) {
    if let Some(rule) = rules
        .edge_of_fk
        .get(k)
        .copied()
        .flatten()
        .map(|i| &cfg.edges[i])
    {
        return (rule.on_delete, ActionSource::Override(rule.pos));
    }
    let fk = &cat.foreign_keys[k];
    if let Some(a) = fk.reference.as_ref().and_then(|p| p.on_delete.as_ref()) {
        let action = match a.action {
            FkAction::NoAction if fk.is_constraint() => EdgeAction::Restrict,
            FkAction::NoAction => EdgeAction::Ignore,
            FkAction::Restrict => EdgeAction::Restrict,
            FkAction::Cascade => EdgeAction::Cascade,
            FkAction::SetNull => EdgeAction::SetNull,
            FkAction::SetDefault => EdgeAction::SetDefault,
        };
        return (action, ActionSource::Stated(a.from, a.pos));
    }
    match fk.kind() {
        Kind::Constraint => {}
        Kind::Inferred => return (EdgeAction::Ignore, ActionSource::Inferred),
        Kind::Declared | Kind::Imported => {
            return (
                cfg.defaults.on_delete.unwrap_or(EdgeAction::Ignore),
                ActionSource::Unstated,
            )
        }
    }
    match fk.on_delete {
        FkAction::NoAction => match cfg.defaults.on_delete {
            Some(a) => (a, ActionSource::Default),
            None => (EdgeAction::Restrict, ActionSource::Today),
        },
        FkAction::Restrict => (EdgeAction::Restrict, ActionSource::Declared),
        FkAction::Cascade => (EdgeAction::Cascade, ActionSource::Declared),
        FkAction::SetNull => (EdgeAction::SetNull, ActionSource::Declared),
        FkAction::SetDefault => (EdgeAction::SetDefault, ActionSource::Declared),
    }
}

/// A foreign key whose ends are placed in different silos (or shared vs silo).
#[derive(Debug, Clone)]
pub struct Crossing {
    /// Index into [`Catalog::foreign_keys`].
    pub fk: usize,
    /// Child's silo name (or `shared`).
    pub child_silo: String,
    /// Parent's silo name (or `shared`).
    pub parent_silo: String,
    /// Index of the `[[allow]]` entry that accepts it.
    pub allowed_by: Option<usize>,
}

fn placement_name(p: &Placement) -> Option<&str> {
    match p {
        Placement::Silo(s) => Some(s),
        Placement::Shared => Some("shared"),
        Placement::Unassigned => None,
    }
}

/// Every foreign key whose two ends are in different silos, or between shared and a silo.
pub fn crossings(cat: &Catalog, asg: &Assignment, rules: &RuleMatches) -> Vec<Crossing> {
    let mut out = Vec::new();
    for (k, fk) in cat.foreign_keys.iter().enumerate() {
        let (Some(a), Some(b)) = asg.fk_placements(k, fk) else {
            continue;
        };
        let (Some(ca), Some(cb)) = (placement_name(a), placement_name(b)) else {
            continue;
        };
        if ca == cb {
            continue;
        }
        let allowed_by = rules.allow_of_fk.get(k).copied().flatten();
        out.push(Crossing {
            fk: k,
            child_silo: ca.to_string(),
            parent_silo: cb.to_string(),
            allowed_by,
        });
    }
    out
}

struct Ctx<'a> {
    cat: &'a Catalog,
    /// The dump files by [`Span::file`], for columns; may be empty.
    sources: &'a [SourceFile],
    cfg: &'a Config,
    asg: &'a Assignment,
    rules: &'a RuleMatches,
    graph: &'a Graph,
    out: Vec<Finding>,
}

impl Ctx<'_> {
    fn loc(&self, span: &Span) -> Location {
        Location {
            file: self
                .cat
                .files
                .get(span.file as usize)
                .cloned()
                .unwrap_or_default(),
            line: span.line,
            column: self.column(span),
        }
    }

    /// The column of a statement that does not start its line (several statements on one
    /// line): without it, every finding of such a line would point at its first statement.
    /// A statement that starts its line, perhaps after indentation, has none, as before.
    fn column(&self, span: &Span) -> Option<u32> {
        let src = self.sources.get(span.file as usize)?;
        let start = (span.start as usize).min(src.text.len());
        let line_start = src.line_start(span.line);
        let before = src.text.get(line_start..start)?;
        // Only the whitespace run before the statement is scanned, not the whole line.
        let indent = before.len() - before.trim_end_matches([' ', '\t']).len();
        (indent < before.len()).then(|| src.column_of(start))
    }

    fn config_loc(&self, pos: Pos, message: String) -> Related {
        Related {
            location: Location {
                file: self.cfg.path.clone(),
                line: pos.line,
                column: Some(pos.column),
            },
            message,
        }
    }

    fn silo(&self, q: &QName) -> Option<String> {
        self.asg
            .silo_of(q)
            .and_then(placement_name)
            .map(str::to_string)
    }

    fn push(&mut self, f: Finding) {
        self.out.push(f);
    }
}

/// Options for [`check`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// Unparsed dump statements are errors, not warnings.
    pub strict: bool,
}

/// Runs every analyzer and returns the findings in their stable order. A finding about a
/// statement that does not start its line names its column when `input.sources` holds the dump
/// files the catalog was read from (in its order); with none, findings carry no column.
pub fn check(input: &Input, opts: CheckOptions) -> Vec<Finding> {
    let Input {
        cat,
        sources,
        cfg,
        asg,
        rules,
        graph,
    } = *input;
    let mut cx = Ctx {
        cat,
        sources,
        cfg,
        asg,
        rules,
        graph,
        out: Vec::new(),
    };
    unassigned(&mut cx);
    foreign_keys(&mut cx);
    views(&mut cx);
    sequences(&mut cx);
    routines(&mut cx);
    inheritance(&mut cx);
    rejected_fks(&mut cx);
    unparsed(&mut cx, opts.strict);
    let tenants = crate::residency::findings(cat, cfg, asg, graph, |s| cx.loc(s));
    cx.out.extend(tenants);
    let keys = crate::residency::global_key_findings(cat, cfg, asg, |s| cx.loc(s));
    cx.out.extend(keys);
    cx.out.extend(crate::idspace::findings(cat, cfg, asg));
    allowed_findings(&mut cx);
    let mut out = cx.out;
    sort(&mut out);
    out
}

fn unassigned(cx: &mut Ctx<'_>) {
    let severity = match cx.cfg.defaults.unassigned {
        Unassigned::Error => Severity::Error,
        Unassigned::Warn => Severity::Warning,
    };
    for (i, t) in cx.cat.tables.iter().enumerate() {
        // By position first: nearly every table is placed, and its name need not be built
        // nor hashed to see so.
        if let Some(Placement::Silo(_) | Placement::Shared) = cx.asg.placement_at(i) {
            continue;
        }
        let q = t.qname();
        // A partition follows its parent: only the parent is reported.
        let follows = cx.asg.tables.get(&q).is_some_and(|d| d.via.is_some());
        if !follows && matches!(cx.asg.silo_of(&q), Some(Placement::Unassigned) | None) {
            let loc = cx.loc(&t.span);
            cx.push(Finding {
                code: Code::UnassignedTable,
                reference: None,
                severity,
                message: format!("table {q} is not assigned to a silo"),
                location: Some(loc),
                related: Vec::new(),
                help: Some(format!(
                    "add \"{}\" (or a glob matching it) to a `[silos.<name>] tables` list or to `[shared]`; `silo-plan suggest` proposes a silo",
                    if q.schema == cx.cfg.default_schema { q.name.clone() } else { q.to_string() }
                )),
                object: q.to_string(),
            });
        }
    }
}

fn fk_text(fk: &ForeignKey) -> String {
    format!(
        "{}({}) → {}({})",
        fk.table,
        fk.columns.join(", "),
        fk.references,
        fk.referenced_columns.join(", ")
    )
}

fn foreign_keys(cx: &mut Ctx<'_>) {
    let crossings = crossings(cx.cat, cx.asg, cx.rules);
    let mut allow_used = vec![false; cx.cfg.allow.len()];
    for c in &crossings {
        let fk = &cx.cat.foreign_keys[c.fk];
        let loc = cx.loc(&fk.span);
        let object = format!("{}.{}", fk.table, fk.name);
        let reference = Some(FindingRef::of(fk));
        // How the message names it: `foreign key NAME`, or `declared reference` (a reference
        // without a constraint has no name in the dump).
        let named = match fk.kind() {
            Kind::Constraint => format!("foreign key {}", fk.name),
            k => format!("{} reference", k.as_str()),
        };
        let (action, source) = effective_action(cx.cat, cx.cfg, cx.rules, c.fk);
        let mut related = Vec::new();
        if let Some(p) = fk.reference.as_deref() {
            let stated = p.on_delete.as_ref().and_then(|a| a.pos);
            if let (Some(pos), None) = (p.pos, stated) {
                related.push(cx.config_loc(pos, "declared by this [[references]] entry".into()));
            }
            if let (Some(pos), ActionSource::Stated(..)) = (stated, &source) {
                related.push(cx.config_loc(
                    pos,
                    format!("[[references]] states on_delete {}", action.as_str()),
                ));
            }
        }
        if let ActionSource::Override(pos) = source {
            related
                .push(cx.config_loc(pos, format!("[[edges]] sets ON DELETE {}", action.as_str())));
        }
        let shared = c.child_silo == "shared" || c.parent_silo == "shared";
        // An inferred reference is a guess: a warning that says how to settle it, never an
        // error (not even SP003, which blocks the plan), unless [[edges]] or [[allow]] took
        // it on.
        if fk.kind() == Kind::Inferred
            && c.allowed_by.is_none()
            && !matches!(source, ActionSource::Override(_))
        {
            let p = fk.reference.as_deref();
            cx.push(Finding {
                code: Code::InferredCrossing,
                reference,
                severity: Severity::Warning,
                message: format!(
                    "inferred reference crosses from silo {} to silo {}: {} (no constraint; by {}, confidence {})",
                    c.child_silo,
                    c.parent_silo,
                    fk_text(fk),
                    p.and_then(|p| p.rule).map_or("?", |r| r.as_str()),
                    p.map_or(Confidence::CERTAIN, |p| p.confidence)
                ),
                location: Some(loc),
                related,
                help: Some(format!(
                    "only the column's name says so, so nothing is replicated for it (the database does nothing today either). Confirm it with a [[references]] entry: `from = \"{}.{}\"`, `to = \"{}\"` and the on_delete the application implements; or reject it: the same `from` with `ignore = true`",
                    crate::assign::display_name(&fk.table, &cx.cfg.default_schema),
                    fk.columns.first().map_or("", String::as_str),
                    crate::assign::display_name(&fk.references, &cx.cfg.default_schema),
                )),
                object,
            });
            continue;
        }
        if let Some(i) = c.allowed_by {
            allow_used[i] = true;
            let rule = &cx.cfg.allow[i];
            related.push(cx.config_loc(
                rule.pos,
                format!("{}{}", crate::findings::ALLOWED_PREFIX, rule.reason),
            ));
            cx.push(Finding {
                code: Code::AllowedCrossing,
                severity: Severity::Note,
                message: format!(
                    "{named} crosses silos ({} → {}), allowed: {}",
                    c.child_silo,
                    c.parent_silo,
                    fk_text(fk)
                ),
                location: Some(loc),
                related,
                help: None,
                object,
                reference: reference.clone(),
            });
            continue;
        }
        if shared {
            // A shared table exists in every silo, with data that is not split.
            let severity = if c.child_silo == "shared" {
                Severity::Error
            } else {
                Severity::Warning
            };
            let help = if c.child_silo == "shared" {
                "a shared table is copied into every silo, but its parent lives in one: move the child into that silo, or the parent into [shared]"
            } else {
                "each silo's copy of the shared table must hold every row its tables reference: keep the shared data identical in every silo, or assign the parent to a silo"
            };
            cx.push(Finding {
                code: Code::SharedForeignKey,
                severity,
                message: format!(
                    "{named} links shared and silo tables: {} ({} → {})",
                    fk_text(fk),
                    c.child_silo,
                    c.parent_silo
                ),
                location: Some(loc),
                related,
                help: Some(help.to_string()),
                object,
                reference: reference.clone(),
            });
            continue;
        }
        let how = match action {
            EdgeAction::Cascade => "its ON DELETE CASCADE must be replicated with tombstones".to_string(),
            EdgeAction::SetNull => "its ON DELETE SET NULL must be replicated with tombstones".to_string(),
            EdgeAction::SetDefault => "its ON DELETE SET DEFAULT must be replicated with tombstones".to_string(),
            EdgeAction::Restrict => "RESTRICT cannot be enforced across databases: the application must check before deleting".to_string(),
            EdgeAction::Ignore => "the edge is ignored: nothing is replicated".to_string(),
        };
        let source_text = source.text();
        cx.push(Finding {
            code: Code::CrossSiloForeignKey,
            severity: Severity::Error,
            message: format!(
                "{named} crosses from silo {} to silo {}: {}",
                c.child_silo,
                c.parent_silo,
                fk_text(fk)
            ),
            location: Some(loc),
            related,
            help: Some(format!(
                "on delete: {}{} ({source_text}); {how}. Break it with `silo-plan plan`, move both tables into one silo, or accept it for now with an [[allow]] entry",
                action.as_str(),
                // Postgres 15's `SET NULL (cols)`: the columns the action sets.
                match action {
                    EdgeAction::SetNull | EdgeAction::SetDefault if !fk.on_delete_columns.is_empty() => {
                        format!(" ({})", fk.on_delete_columns.join(", "))
                    }
                    _ => String::new(),
                }
            )),
            object,
            reference,
        });
    }
    for (i, rule) in cx.cfg.allow.iter().enumerate() {
        if allow_used[i] {
            continue;
        }
        let matched: Vec<&ForeignKey> = cx.rules.fks_of_allow[i]
            .iter()
            .map(|&k| &cx.cat.foreign_keys[k])
            .collect();
        let what = matched
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let related = vec![cx.config_loc(rule.pos, "this [[allow]] entry".to_string())];
        let object = format!("allow[{i}]");
        cx.push(Finding {
            code: Code::StaleAllow,
            reference: None,
            severity: Severity::Error,
            message: if matched.is_empty() {
                "[[allow]] entry matches no foreign key".to_string()
            } else {
                format!(
                    "[[allow]] entry no longer matches a crossing: {what} stays inside one silo"
                )
            },
            location: Some(Location {
                file: cx.cfg.path.clone(),
                line: rule.pos.line,
                column: Some(rule.pos.column),
            }),
            related,
            help: Some("remove the entry: the crossing it accepted is gone".to_string()),
            object,
        });
    }
}

/// `[[allow]]` entries with `code` and `object`: each finding one accepts (the first in file
/// order) becomes a note, still reported, with the entry and its reason as a related position;
/// an entry that accepts nothing is the error SP008, so that the allowlist cannot rot.
fn allowed_findings(cx: &mut Ctx<'_>) {
    let rules = &cx.cfg.allow_findings;
    let mut used = vec![false; rules.len()];
    for f in &mut cx.out {
        let Some(i) = rules
            .iter()
            .position(|r| r.matches(f, &cx.cfg.default_schema))
        else {
            continue;
        };
        used[i] = true;
        f.severity = Severity::Note;
        f.related.push(Related {
            location: Location {
                file: cx.cfg.path.clone(),
                line: rules[i].pos.line,
                column: Some(rules[i].pos.column),
            },
            message: format!("{}{}", crate::findings::ALLOWED_PREFIX, rules[i].reason),
        });
    }
    for (i, rule) in rules.iter().enumerate() {
        if used[i] {
            continue;
        }
        let entry = format!(
            "code = \"{}\", object = \"{}\"",
            rule.code.as_str(),
            rule.object
        );
        let related = vec![cx.config_loc(rule.pos, "this [[allow]] entry".to_string())];
        cx.push(Finding {
            code: Code::StaleAllow,
            reference: None,
            severity: Severity::Error,
            message: format!(
                "[[allow]] entry `{entry}` matches no finding: no {} {} about an object matching `{}`",
                rule.code.as_str(),
                rule.code.name(),
                rule.object
            ),
            location: Some(Location {
                file: cx.cfg.path.clone(),
                line: rule.pos.line,
                column: Some(rule.pos.column),
            }),
            related,
            help: Some(
                "remove the entry if what it accepted is gone; else correct `object` to the object `check` names without the entry (globs `*` and `?`)".to_string(),
            ),
            object: format!("allow[{entry}]"),
        });
    }
}

/// Silos of the base tables a relation reads, following views through views.
fn view_silos(
    cx: &Ctx<'_>,
    name: &QName,
    seen: &mut BTreeSet<QName>,
    out: &mut BTreeMap<String, BTreeSet<QName>>,
) {
    if !seen.insert(name.clone()) {
        return;
    }
    if let Some(v) = cx.cat.views.iter().find(|v| v.name == *name) {
        for r in &v.reads {
            view_silos(cx, r, seen, out);
        }
        return;
    }
    if let Some(s) = cx.silo(name) {
        if s != "shared" {
            out.entry(s).or_default().insert(name.clone());
        }
    }
}

fn views(cx: &mut Ctx<'_>) {
    for v in &cx.cat.views {
        let mut silos = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for r in &v.reads {
            view_silos(cx, r, &mut seen, &mut silos);
        }
        if silos.len() < 2 {
            continue;
        }
        let parts: Vec<String> = silos
            .iter()
            .map(|(s, ts)| {
                format!(
                    "{s} ({})",
                    ts.iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        let loc = cx.loc(&v.span);
        cx.push(Finding {
            code: Code::CrossSiloView,
            reference: None,
            severity: Severity::Error,
            message: format!(
                "{} {} reads tables of {} silos: {}",
                if v.materialized { "materialized view" } else { "view" },
                v.name,
                silos.len(),
                parts.join("; ")
            ),
            location: Some(loc),
            related: Vec::new(),
            help: Some("a view cannot join across databases: split it per silo, or replace it with an application-side lookup".to_string()),
            object: v.name.to_string(),
        });
    }
}

fn sequences(cx: &mut Ctx<'_>) {
    for s in &cx.cat.sequences {
        let mut tables: BTreeSet<&QName> = s.used_by.iter().map(|c| &c.table).collect();
        if let Some(o) = &s.owned_by {
            tables.insert(&o.table);
        }
        let mut silos: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in tables {
            if let Some(silo) = cx.silo(t) {
                silos.entry(silo).or_default().push(t.to_string());
            }
        }
        if silos.len() < 2 {
            continue;
        }
        let parts: Vec<String> = silos
            .iter()
            .map(|(s, ts)| format!("{s} ({})", ts.join(", ")))
            .collect();
        let loc = cx.loc(&s.span);
        cx.push(Finding {
            code: Code::CrossSiloSequence,
            reference: None,
            severity: Severity::Error,
            message: format!("sequence {} feeds tables of {} silos: {}", s.name, silos.len(), parts.join("; ")),
            location: Some(loc),
            related: Vec::new(),
            help: Some("after the split each database has its own copy of the sequence and they will hand out the same ids: give each silo its own sequence (or an id range per silo)".to_string()),
            object: s.name.to_string(),
        });
    }
}

fn routines(cx: &mut Ctx<'_>) {
    // Which tables each function is triggered from.
    let mut triggered_from: BTreeMap<&QName, Vec<(&QName, &str)>> = BTreeMap::new();
    for tr in &cx.cat.triggers {
        triggered_from
            .entry(&tr.function)
            .or_default()
            .push((&tr.table, tr.name.as_str()));
    }
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &cx.cat.functions {
        // Overloads share a node (and their mentions) in the graph: report the name once.
        if !seen.insert(&f.name) {
            continue;
        }
        let mentions = cx.graph.mentions(&f.name);
        let mut silos: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in &mentions {
            if let Some(silo) = cx.silo(m) {
                if silo != "shared" {
                    silos.entry(silo).or_default().push(m.to_string());
                }
            }
        }
        let triggers = triggered_from.get(&f.name).cloned().unwrap_or_default();
        for (table, trig) in &triggers {
            let Some(own) = cx.silo(table) else { continue };
            let other: Vec<String> = silos
                .iter()
                .filter(|(s, _)| **s != own)
                .map(|(s, ts)| format!("{s} ({})", ts.join(", ")))
                .collect();
            if other.is_empty() {
                continue;
            }
            found.push((
                f.span,
                format!(
                    "trigger {trig} on {table} (silo {own}) runs {}, whose body names tables of another silo: {}",
                    f.name,
                    other.join("; ")
                ),
                format!("{table}.{trig}"),
            ));
        }
        if triggers.is_empty() && silos.len() >= 2 {
            let parts: Vec<String> = silos
                .iter()
                .map(|(s, ts)| format!("{s} ({})", ts.join(", ")))
                .collect();
            found.push((
                f.span,
                format!(
                    "function {} names tables of {} silos: {}",
                    f.name,
                    silos.len(),
                    parts.join("; ")
                ),
                f.name.to_string(),
            ));
        }
    }
    for (span, message, object) in found {
        let loc = cx.loc(&span);
        cx.push(Finding {
            code: Code::CrossSiloRoutine,
            reference: None,
            severity: Severity::Warning,
            message,
            location: Some(loc),
            related: Vec::new(),
            help: Some("found by a text scan of the body (a heuristic): after the split this code runs in one database and cannot see the other silo's tables; move the logic to the application or an RPC".to_string()),
            object,
        });
    }
}

fn inheritance(cx: &mut Ctx<'_>) {
    for t in &cx.cat.tables {
        let q = t.qname();
        let Some(own) = cx.silo(&q) else { continue };
        for p in &t.inherits {
            let Some(ps) = cx.silo(p) else { continue };
            if ps != own {
                let loc = cx.loc(&t.span);
                cx.push(Finding {
                    code: Code::CrossSiloInheritance,
                    reference: None,
                    severity: Severity::Error,
                    message: format!("table {q} (silo {own}) inherits from {p} (silo {ps})"),
                    location: Some(loc),
                    related: Vec::new(),
                    help: Some("queries on the parent read the children's rows: assign parent and children to one silo".to_string()),
                    object: q.to_string(),
                });
            }
        }
    }
}

/// What is wrong with a foreign key Postgres rejects, in one sentence (also the per-silo
/// schema's note where the key is cut out).
pub fn rejected_text(r: &RejectedFk) -> String {
    let fk = &r.foreign_key;
    // `SET NULL` or `SET DEFAULT`: the only actions a column list is read with.
    let action = fk.on_delete.sql();
    r.problems
        .iter()
        .map(|p| match p {
            FkProblem::MissingChild => {
                format!("its table {} is not defined by any dump file", fk.table)
            }
            FkProblem::MissingParent => format!(
                "it references {}, a table no dump file defines",
                fk.references
            ),
            FkProblem::MissingColumn { column } => {
                format!("{} has no column {column}", fk.table)
            }
            FkProblem::MissingReferencedColumn { column } => {
                format!("{} has no column {column}", fk.references)
            }
            FkProblem::NoParentKey => format!(
                "it names no referenced columns and {} has no primary key",
                fk.references
            ),
            FkProblem::ColumnCount => format!(
                "it has {} referencing and {} referenced columns",
                fk.columns.len(),
                fk.referenced_columns.len()
            ),
            FkProblem::SetColumnNotInKey { column } => format!(
                "ON DELETE {action} ({}) names {column}, which is not a column of the key ({})",
                fk.on_delete_columns.join(", "),
                fk.columns.join(", ")
            ),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// SP015 and SP016: foreign keys Postgres would reject. The reader left them out of the
/// catalog's keys (so nothing generated carries them); each is an error here.
fn rejected_fks(cx: &mut Ctx<'_>) {
    for r in &cx.cat.rejected_foreign_keys {
        let fk = &r.foreign_key;
        let missing_table = r
            .problems
            .iter()
            .any(|p| matches!(p, FkProblem::MissingChild | FkProblem::MissingParent));
        let (code, help) = if missing_table {
            (
                Code::FkUnknownTable,
                "the dump is incomplete: add the file that creates the table to `schema` in silo-plan.toml (all its files, and every file of a migrations directory, are read as one schema), or correct the name. Postgres rejects this key, so `plan` leaves it out of everything it writes",
            )
        } else {
            (
                Code::FkInvalidColumns,
                "Postgres rejects this key (the statement that adds it fails): correct the column names in the dump. `plan` leaves the key out of everything it writes",
            )
        };
        let loc = cx.loc(&fk.span);
        cx.push(Finding {
            code,
            reference: Some(FindingRef::of(fk)),
            severity: Severity::Error,
            message: format!(
                "foreign key {} ({}) is not valid: {}",
                fk.name,
                fk_text(fk),
                rejected_text(r)
            ),
            location: Some(loc),
            related: Vec::new(),
            help: Some(help.to_string()),
            object: format!("{}.{}", fk.table, fk.name),
        });
    }
}

fn unparsed(cx: &mut Ctx<'_>, strict: bool) {
    for u in &cx.cat.unparsed {
        let loc = cx.loc(&u.span);
        let object = u.object.clone().unwrap_or_default();
        cx.push(Finding {
            code: Code::Unparsed,
            reference: None,
            severity: if strict {
                Severity::Error
            } else {
                Severity::Warning
            },
            message: format!(
                "statement not read: {}{}: {}",
                u.head,
                if object.is_empty() {
                    String::new()
                } else {
                    format!(" ({object})")
                },
                u.reason
            ),
            location: Some(loc),
            related: Vec::new(),
            help: Some("its couplings are not analyzed; report it if it matters".to_string()),
            object,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::{self, ReadOptions};
    use crate::source::SourceFile;

    /// Each key's effective action and source word, under a config with `defaults` inserted.
    fn actions(defaults: &str) -> Vec<String> {
        let sql = "CREATE TABLE p (id bigint PRIMARY KEY);\n\
                   CREATE TABLE c (id bigint PRIMARY KEY, a bigint, b bigint, d bigint, e bigint,\n\
                     f bigint, g bigint);\n\
                   ALTER TABLE c ADD CONSTRAINT c_a FOREIGN KEY (a) REFERENCES p(id);\n\
                   ALTER TABLE c ADD CONSTRAINT c_b FOREIGN KEY (b) REFERENCES p(id) ON DELETE CASCADE;\n\
                   ALTER TABLE c ADD CONSTRAINT c_d FOREIGN KEY (d) REFERENCES p(id) ON DELETE SET NULL;\n\
                   ALTER TABLE c ADD CONSTRAINT c_e FOREIGN KEY (e) REFERENCES p(id) ON DELETE RESTRICT;\n";
        let mut cat = dump::read(
            &[SourceFile::new("s.sql", sql.to_string())],
            &ReadOptions::default(),
        );
        let cfg = crate::config::parse(
            "silo-plan.toml",
            &format!(
                "version = 1\n[defaults]\ninfer_references = false\n{defaults}\n\
                 [silos.a]\ntables = [\"p\"]\n[silos.b]\ntables = [\"c\"]\n\
                 [[references]]\nfrom = \"c.f\"\nto = \"p\"\n"
            ),
        )
        .expect("config");
        crate::refs_resolve::resolve(&mut cat, &cfg).expect("resolves");
        let rules = crate::assign::match_rules(&cat, &cfg).expect("rules");
        (0..cat.foreign_keys.len())
            .map(|k| {
                let (a, s) = effective_action(&cat, &cfg, &rules, k);
                format!(
                    "{} {} {}",
                    cat.foreign_keys[k].columns[0],
                    a.as_str(),
                    s.word()
                )
            })
            .collect()
    }

    #[test]
    fn unset_default_keeps_what_the_database_does_today() {
        // NO ACTION refuses the delete today: restrict; a declared reference without a
        // constraint and without on_delete: nothing happens today: ignore.
        assert_eq!(
            actions(""),
            [
                "a restrict default",
                "b cascade declared",
                "d set-null declared",
                "e restrict declared",
                "f ignore default",
            ]
        );
        // Set explicitly, the default still applies where the dump says NO ACTION.
        assert_eq!(
            actions("on_delete = \"cascade\""),
            [
                "a cascade default",
                "b cascade declared",
                "d set-null declared",
                "e restrict declared",
                "f cascade default",
            ]
        );
    }
}
