//! References against lists labelled from the applications' own source (issue 21, "what it must
//! show" 2).
//!
//! `fixtures/labels/<dump>.toml` lists, for lago-api, synapse and gisia, references read from
//! each application's models or storage code (each with the source file it came from), columns
//! the source says are not references, and polymorphic ones; each file's header says how it was
//! built and what it does not cover. This test reads each whole dump, constraints included, as
//! `silo-plan references` does: the tool's answer is the dump's foreign keys plus the
//! references inferred for the other columns ([`silo_plan::infer::infer`] with the constraints
//! as `existing`). Ambiguous and polymorphic columns pick no parent and are no part of it.
//!
//! Keys compared: (child table, child columns as a set, parent table), a child of a partition
//! counted at its partition root.
//!
//! * recall: the share of labelled references in the answer, over all labels and over the
//!   labels on columns without a foreign key in the dump (where only inference can find them);
//! * precision: the share of the answer's references that are labelled, over the references
//!   whose every column the labels decide (a label, a `not_references` or a `polymorphic`
//!   entry): a reference on a column the labels leave open is neither right nor wrong.
//!
//! Every label must name a table and columns of the dump, and a parent key that is there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;
use silo_plan::catalog::{Catalog, QName};
use silo_plan::dump::{self, ReadOptions};
use silo_plan::references::{self, Kind, Reference};
use silo_plan::source::SourceFile;

/// One labels file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Labels {
    references: Vec<Label>,
    not_references: Vec<NotReference>,
    polymorphic: Vec<Polymorphic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Label {
    table: String,
    columns: Vec<String>,
    referenced_table: String,
    referenced_columns: Vec<String>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotReference {
    table: String,
    column: String,
    reason: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Polymorphic {
    table: String,
    column: String,
    type_column: String,
    source: String,
}

/// (child root `schema.table`, child columns sorted, parent root `schema.table`).
type Key = (String, Vec<String>, String);

/// `t` or `s.t` as a name (schema `public` by default).
fn qname(s: &str) -> QName {
    match s.split_once('.') {
        Some((schema, name)) => QName::new(schema, name),
        None => QName::new("public", s),
    }
}

/// The partition root of `t`, as `schema.table`.
fn root(cat: &Catalog, t: &QName) -> String {
    let mut cur = cat.table(t);
    let mut name = t.to_string();
    let mut hops = 0;
    while let Some(p) = cur.and_then(|c| c.partition_of.as_ref()) {
        if hops > 64 {
            break;
        }
        hops += 1;
        name = p.to_string();
        cur = cat.table(p);
    }
    name
}

fn key(cat: &Catalog, t: &QName, cols: &[String], p: &QName) -> Key {
    let mut cols = cols.to_vec();
    cols.sort();
    (root(cat, t), cols, root(cat, p))
}

/// Counts of one dump, or of all.
#[derive(Default, Clone, Copy)]
struct Score {
    labels: usize,
    found: usize,
    loose_labels: usize,
    loose_found: usize,
    not_references: usize,
    answer: usize,
    judged: usize,
    right: usize,
    wrong_on_not_references: usize,
}

impl Score {
    fn add(&mut self, o: &Score) {
        self.labels += o.labels;
        self.found += o.found;
        self.loose_labels += o.loose_labels;
        self.loose_found += o.loose_found;
        self.not_references += o.not_references;
        self.answer += o.answer;
        self.judged += o.judged;
        self.right += o.right;
        self.wrong_on_not_references += o.wrong_on_not_references;
    }
    fn recall(&self) -> f64 {
        ratio(self.found, self.labels)
    }
    fn loose_recall(&self) -> f64 {
        ratio(self.loose_found, self.loose_labels)
    }
    fn precision(&self) -> f64 {
        ratio(self.right, self.judged)
    }
    fn line(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {} | {:.3} | {} | {} | {:.3} | {} | {} | {} | {:.3} | {} |",
            self.labels,
            self.found,
            self.recall(),
            self.loose_labels,
            self.loose_found,
            self.loose_recall(),
            self.not_references,
            self.judged,
            self.right,
            self.precision(),
            self.wrong_on_not_references,
        )
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// The labels of `dump`, checked against its catalog: every table, column and parent key named
/// is there.
fn labels_of(dump: &str, cat: &Catalog) -> Labels {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("planner/tests/it/fixtures/labels")
        .join(format!("{}.toml", dump.trim_end_matches(".sql")));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let labels: Labels =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let has = |t: &str, c: &str| {
        cat.table(&qname(t))
            .is_some_and(|t| t.columns.iter().any(|x| x.name == c))
    };
    let mut decided = BTreeSet::new();
    for l in &labels.references {
        assert!(!l.source.is_empty(), "{dump}: {} has no source", l.table);
        for c in &l.columns {
            assert!(
                has(&l.table, c),
                "{dump}: label {}.{c}: no such column",
                l.table
            );
        }
        for c in &l.referenced_columns {
            assert!(
                has(&l.referenced_table, c),
                "{dump}: label {}({}) -> {}.{c}: no such column",
                l.table,
                l.columns.join(", "),
                l.referenced_table
            );
        }
        assert_eq!(
            l.columns.len(),
            l.referenced_columns.len(),
            "{dump}: {}",
            l.table
        );
    }
    for n in &labels.not_references {
        assert!(
            has(&n.table, &n.column),
            "{dump}: {}.{}: no such column",
            n.table,
            n.column
        );
        assert!(
            !n.reason.is_empty() && !n.source.is_empty(),
            "{dump}: {}.{}",
            n.table,
            n.column
        );
        assert!(
            decided.insert((n.table.as_str(), n.column.as_str())),
            "{dump}: {}.{} is listed twice",
            n.table,
            n.column
        );
    }
    for p in &labels.polymorphic {
        assert!(
            has(&p.table, &p.column) && has(&p.table, &p.type_column),
            "{dump}: {}.{}",
            p.table,
            p.column
        );
        assert!(!p.source.is_empty(), "{dump}: {}.{}", p.table, p.column);
        assert!(
            decided.insert((p.table.as_str(), p.column.as_str())),
            "{dump}: {}.{} twice",
            p.table,
            p.column
        );
    }
    for l in &labels.references {
        for c in &l.columns {
            assert!(
                !labels
                    .not_references
                    .iter()
                    .any(|n| n.table == l.table && &n.column == c)
                    && !labels
                        .polymorphic
                        .iter()
                        .any(|p| p.table == l.table && &p.column == c),
                "{dump}: {}.{c} is labelled a reference and not one",
                l.table
            );
        }
    }
    labels
}

/// The labelled references of `dump`, if it is labelled, as (child root `schema.table`, child
/// columns as labelled, parent root `schema.table`): a truth beside `pg_constraint` for the
/// corpus test.
pub(crate) fn labelled_references(dump: &str, cat: &Catalog) -> Vec<(String, Vec<String>, String)> {
    if !LABELLED.contains(&dump) {
        return Vec::new();
    }
    labels_of(dump, cat)
        .references
        .iter()
        .map(|l| {
            (
                root(cat, &qname(&l.table)),
                l.columns.clone(),
                root(cat, &qname(&l.referenced_table)),
            )
        })
        .collect()
}

/// What `silo-plan references` answers for `dump`: its constraints, then the references
/// inferred for the columns they leave.
fn answer(cat: &Catalog) -> Vec<Reference> {
    let constraints = references::from_constraints(cat);
    let inferred = silo_plan::infer::infer(cat, &constraints);
    let mut all = constraints;
    all.extend(inferred.references);
    all
}

/// Scores the answer against the labels; `log` gets the misses and the wrong references,
/// `per_rule` the judged and right inferred references per (rule, confidence).
fn score(
    dump: &str,
    cat: &Catalog,
    labels: &Labels,
    log: &mut Vec<String>,
    per_rule: &mut BTreeMap<(&'static str, u8), (usize, usize)>,
) -> Score {
    let answer = answer(cat);
    let got: BTreeMap<Key, &Reference> = answer
        .iter()
        .map(|r| (key(cat, &r.table, &r.columns, &r.references), r))
        .collect();
    // Child columns the dump's foreign keys cover (at the partition root).
    let constrained: BTreeSet<(String, String)> = answer
        .iter()
        .filter(|r| r.kind == Kind::Constraint)
        .flat_map(|r| r.columns.iter().map(|c| (root(cat, &r.table), c.clone())))
        .collect();
    let mut decided: BTreeSet<(String, String)> = BTreeSet::new();
    let mut not_refs: BTreeSet<(String, String)> = BTreeSet::new();
    let mut want: BTreeSet<Key> = BTreeSet::new();
    for l in &labels.references {
        let t = qname(&l.table);
        for c in &l.columns {
            decided.insert((root(cat, &t), c.clone()));
        }
        want.insert(key(cat, &t, &l.columns, &qname(&l.referenced_table)));
    }
    for n in &labels.not_references {
        let col = (root(cat, &qname(&n.table)), n.column.clone());
        decided.insert(col.clone());
        not_refs.insert(col);
    }
    for p in &labels.polymorphic {
        decided.insert((root(cat, &qname(&p.table)), p.column.clone()));
    }
    let mut s = Score {
        labels: want.len(),
        not_references: labels.not_references.len(),
        answer: got.len(),
        ..Score::default()
    };
    for k in &want {
        let loose =
            !k.1.iter()
                .all(|c| constrained.contains(&(k.0.clone(), c.clone())));
        let found = got.contains_key(k);
        if loose {
            s.loose_labels += 1;
        }
        if found {
            s.found += 1;
            if loose {
                s.loose_found += 1;
            }
        } else {
            log.push(format!(
                "{dump}: not found: {}({}) -> {}",
                k.0,
                k.1.join(", "),
                k.2
            ));
        }
    }
    for (k, r) in &got {
        if !k
            .1
            .iter()
            .all(|c| decided.contains(&(k.0.clone(), c.clone())))
        {
            continue;
        }
        s.judged += 1;
        let rule = r.rule.map(|x| (x.as_str(), r.confidence.0));
        if let Some(rule) = rule {
            per_rule.entry(rule).or_default().0 += 1;
        }
        if want.contains(k) {
            s.right += 1;
            if let Some(rule) = rule {
                per_rule.entry(rule).or_default().1 += 1;
            }
        } else {
            let on_not =
                k.1.iter()
                    .any(|c| not_refs.contains(&(k.0.clone(), c.clone())));
            if on_not {
                s.wrong_on_not_references += 1;
            }
            log.push(format!(
                "{dump}: wrong: {}({}) -> {} ({}{}){}",
                k.0,
                k.1.join(", "),
                k.2,
                r.kind.as_str(),
                r.rule
                    .map_or(String::new(), |x| format!(", {}", x.as_str())),
                if on_not {
                    " on a column that is no reference"
                } else {
                    ""
                }
            ));
        }
    }
    s
}

const LABELLED: [&str; 3] = [
    "lago-api.sql",
    "synapse-full72.sql",
    "gisia-gitlab-like.sql",
];

/// Recall and precision of `silo-plan references` against the labels, per dump and overall.
#[test]
fn references_against_labels_from_the_applications_source() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/real");
    assert!(
        dir.is_dir(),
        "the real dump corpus is missing: expected {}",
        dir.display()
    );
    let mut total = Score::default();
    let mut rows = Vec::new();
    let mut per = BTreeMap::new();
    let mut log = Vec::new();
    let mut per_rule = BTreeMap::new();
    for name in LABELLED {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let cat = dump::read(&[SourceFile::new(name, text)], &ReadOptions::default());
        let labels = labels_of(name, &cat);
        let s = score(name, &cat, &labels, &mut log, &mut per_rule);
        total.add(&s);
        rows.push(s.line(name));
        per.insert(name, s);
    }
    for l in &log {
        eprintln!("{l}");
    }
    eprintln!(
        "\n| dump | labels | found | recall | labels without a constraint | found | recall | \
         not references | judged answers | right | precision | wrong on a non-reference |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in &rows {
        eprintln!("{r}");
    }
    eprintln!("{}", total.line("**all (micro)**"));
    eprintln!(
        "\n| rule | confidence | judged inferred | right | precision |\n|---|---:|---:|---:|---:|"
    );
    for ((rule, confidence), (n, right)) in &per_rule {
        eprintln!(
            "| {rule} | {confidence} | {n} | {right} | {:.3} |",
            ratio(*right, *n)
        );
    }

    // Never vacuous.
    assert!(
        total.labels >= 200 && total.judged >= 200,
        "too few labels to measure"
    );
    // Over all three, the labels on columns without a constraint (where only inference finds
    // anything): 0.975 measured.
    assert!(
        total.loose_recall() >= 0.95,
        "recall on the columns without a constraint {:.3} fell below the floor 0.95",
        total.loose_recall()
    );
    // Floors at the measured values minus a margin (measured: lago-api 0.929 / 1.000,
    // synapse 0.991 / 0.831, gisia 0.945 / 1.000, all 0.967 / 0.900: the targets,
    // recall 0.85 with precision 0.8, are met on these labels). A regression of inference
    // fails here.
    let floors = [
        ("lago-api.sql", 0.90, 0.97),
        ("synapse-full72.sql", 0.97, 0.81),
        ("gisia-gitlab-like.sql", 0.92, 0.97),
    ];
    for (name, recall, precision) in floors {
        let s = &per[name];
        assert!(
            s.recall() >= recall,
            "{name}: recall {:.3} fell below the floor {recall}",
            s.recall()
        );
        assert!(
            s.precision() >= precision,
            "{name}: precision {:.3} fell below the floor {precision}",
            s.precision()
        );
    }
}
