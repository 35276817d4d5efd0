//! Reference inference, blind to constraints, against the real corpus (issue 21, "what it must
//! show" 1).
//!
//! For each of the 12 PostgreSQL dumps: load the unmodified dump (with the [`corpus::known`]
//! stand-ins) into a fresh cluster; the truth is every foreign key `pg_constraint` holds. Strip
//! every foreign-key constraint from a copy of the dump text (their statements blanked, lines
//! kept), read the copy, check that it equals the original's catalog without its foreign keys,
//! and infer references from it ([`silo_plan::infer::infer`] with no existing reference). Then
//! compare.
//!
//! A reference of a partitioned table stands for all its partitions, so inference looks at
//! partition roots only, and the truth is counted per root: a foreign key declared on each of
//! six partitions (pagila's `payment_p2022_0N`) is one reference of the root (`payment`). Keys
//! compared: (child table, child columns, parent table); a multi-column key is found only when
//! the inferred reference has exactly its columns.
//!
//! * recall: the share of true references inferred;
//! * precision: the share of inferred references that are true. A dump lists only the
//!   references its application declared, so an inferred reference on a column without any
//!   foreign key counts against precision even when it is real (gisia-gitlab-like keeps 6 of its
//!   keys, synapse 14: most of their `*_id` columns are loose references by design);
//! * judged precision: the same, over the inferred references whose child columns have a
//!   foreign key in the dump, where the truth is known: does inference pick the right parent?
//! * precision with labels: the precision with the truth completed, for lago-api, synapse and
//!   gisia-gitlab-like, by the references labelled from their source (`infer_labels.rs`, what
//!   it must show 2); a reference on a column neither decides still counts as wrong.
//!
//! Ambiguous and polymorphic columns pick no parent and count in neither.

use std::collections::{BTreeMap, BTreeSet};

use silo_plan::catalog::{Catalog, StmtKind};
use silo_plan::dump::{self, ReadOptions};
use silo_plan::infer::{self, Inferred};
use silo_plan::references::Rule;
use silo_plan::source::SourceFile;

use crate::corpus::{self, POSTGRES_DUMPS, USER_REL};

/// (child root `schema.table`, child columns, parent root `schema.table`).
type Key = (String, Vec<String>, String);

/// The true references of one dump.
struct Truth {
    /// `pg_constraint` rows (foreign keys, not counting the clones Postgres makes on partitions).
    rows: usize,
    /// Per partition root.
    refs: BTreeSet<Key>,
    /// The references labelled from the application's source (`infer_labels.rs`) that
    /// `refs` lacks: empty for a dump without labels.
    labelled: BTreeSet<Key>,
}

/// What `pg_constraint` of the loaded dump holds.
fn truth_from_postgres(client: &mut postgres::Client, excluded: &dyn Fn(&str) -> bool) -> Truth {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, con.conname::text, \
                rn.nspname::text || '.' || r.relname::text, \
                ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
                      ORDER BY k.ord), \
                fn.nspname::text || '.' || fc.relname::text, \
                pn.nspname::text || '.' || p.relname::text \
         FROM pg_constraint con \
         JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_class r ON r.oid = COALESCE(pg_partition_root(c.oid), c.oid) \
         JOIN pg_namespace rn ON rn.oid = r.relnamespace \
         JOIN pg_class fc ON fc.oid = con.confrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
         JOIN pg_class p ON p.oid = COALESCE(pg_partition_root(fc.oid), fc.oid) \
         JOIN pg_namespace pn ON pn.oid = p.relnamespace \
         WHERE con.contype = 'f' AND con.conparentid = 0 AND {USER_REL}"
    );
    let mut rows = 0;
    let mut refs = BTreeSet::new();
    for row in client
        .query(sql.as_str(), &[])
        .expect("querying foreign keys")
    {
        let (schema, table, con): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        let child = format!("{schema}.{table}");
        let parent: String = row.get(5);
        if excluded(&child) || excluded(&parent) || excluded(&format!("{child}.{con}")) {
            continue;
        }
        rows += 1;
        refs.insert((row.get(3), row.get(4), row.get(6)));
    }
    Truth {
        rows,
        refs,
        labelled: BTreeSet::new(),
    }
}

/// The dump's text with every foreign-key statement blanked (spaces, line breaks kept, so every
/// other statement keeps its bytes and lines), and its terminating `;`.
fn strip_foreign_keys(text: &str, cat: &Catalog) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for st in cat
        .statements
        .iter()
        .filter(|s| s.kind == StmtKind::ForeignKey)
    {
        let (start, mut end) = (st.span.start as usize, st.span.end as usize);
        if bytes.get(end) == Some(&b';') {
            end += 1;
        }
        for b in &mut bytes[start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    String::from_utf8(bytes).expect("blanking ASCII keeps UTF-8")
}

/// Inference on the dump stripped of its foreign keys, after checking that the stripped text
/// reads as the original catalog without them.
fn infer_stripped(name: &str, original: &str, cat: &Catalog) -> Inferred {
    let stripped = strip_foreign_keys(original, cat);
    let blind = dump::read(&[SourceFile::new(name, stripped)], &ReadOptions::default());
    assert!(
        blind.foreign_keys.is_empty(),
        "{name}: the stripped copy still declares {} foreign keys (first: {:?}): a key inside \
         another statement (inline REFERENCES) is not stripped",
        blind.foreign_keys.len(),
        blind.foreign_keys.first().map(|f| (&f.table, &f.name))
    );
    assert!(
        blind.tables == cat.tables && blind.indexes == cat.indexes,
        "{name}: stripping the foreign keys changed the tables or indexes read"
    );
    let got = infer::infer(&blind, &[]);
    // The same as clearing the catalog's list: what a caller without the text can do.
    let mut cleared = cat.clone();
    cleared.foreign_keys.clear();
    assert_eq!(
        infer::infer(&cleared, &[]),
        got,
        "{name}: inference differs between the stripped text and the cleared catalog"
    );
    got
}

/// Counts of one dump, or of all.
#[derive(Default, Clone)]
struct Score {
    rows: usize,
    real: usize,
    multi: usize,
    inferred: usize,
    tp: usize,
    judged: usize,
    judged_tp: usize,
    ambiguous: usize,
    polymorphic: usize,
    /// True references with the labelled ones added to the truth.
    tp_labelled: usize,
}

impl Score {
    fn add(&mut self, o: &Score) {
        self.rows += o.rows;
        self.real += o.real;
        self.multi += o.multi;
        self.inferred += o.inferred;
        self.tp += o.tp;
        self.judged += o.judged;
        self.judged_tp += o.judged_tp;
        self.ambiguous += o.ambiguous;
        self.polymorphic += o.polymorphic;
        self.tp_labelled += o.tp_labelled;
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.real)
    }
    fn precision(&self) -> f64 {
        ratio(self.tp, self.inferred)
    }
    fn judged_precision(&self) -> f64 {
        ratio(self.judged_tp, self.judged)
    }
    fn labelled_precision(&self) -> f64 {
        ratio(self.tp_labelled, self.inferred)
    }
    fn line(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {} | {} | {} | {} | {:.3} | {:.3} | {} | {:.3} | {:.3} | {} | {} |",
            self.rows,
            self.real,
            self.multi,
            self.inferred,
            self.tp,
            self.recall(),
            self.precision(),
            self.judged,
            self.judged_precision(),
            self.labelled_precision(),
            self.ambiguous,
            self.polymorphic
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

/// Scores inference against the truth; `per_rule` collects per (rule, confidence) the inferred
/// references, the true ones, the judged ones and the judged true ones; `misses` gets the true
/// references not found and `wrong` the judged references with the wrong parent (for the log).
fn score(
    got: &Inferred,
    truth: &Truth,
    per_rule: &mut BTreeMap<(Rule, u8), [usize; 4]>,
    misses: &mut Vec<String>,
    wrong: &mut Vec<String>,
) -> Score {
    let key = |t: &silo_plan::catalog::QName, cols: &[String], p: &silo_plan::catalog::QName| {
        (t.to_string(), cols.to_vec(), p.to_string())
    };
    let inferred: BTreeMap<Key, (Rule, u8)> = got
        .references
        .iter()
        .map(|r| {
            (
                key(&r.table, &r.columns, &r.references),
                (
                    r.rule.expect("an inferred reference has a rule"),
                    r.confidence.0,
                ),
            )
        })
        .collect();
    assert_eq!(
        inferred.len(),
        got.references.len(),
        "one inferred reference per (child, columns, parent)"
    );
    let constrained: BTreeSet<(&str, &[String])> = truth
        .refs
        .iter()
        .map(|(t, c, _)| (t.as_str(), c.as_slice()))
        .collect();
    let mut s = Score {
        rows: truth.rows,
        real: truth.refs.len(),
        multi: truth.refs.iter().filter(|k| k.1.len() > 1).count(),
        inferred: inferred.len(),
        ambiguous: got.ambiguous.len(),
        polymorphic: got.polymorphic.len(),
        ..Score::default()
    };
    for (k, rule) in &inferred {
        let ok = truth.refs.contains(k);
        let e = per_rule.entry(*rule).or_default();
        e[0] += 1;
        if ok {
            e[1] += 1;
            s.tp += 1;
        }
        if ok || truth.labelled.contains(k) {
            s.tp_labelled += 1;
        }
        if constrained.contains(&(k.0.as_str(), k.1.as_slice())) {
            s.judged += 1;
            e[2] += 1;
            if ok {
                s.judged_tp += 1;
                e[3] += 1;
            } else {
                wrong.push(format!(
                    "{}({}) -> {} ({}, {})",
                    k.0,
                    k.1.join(", "),
                    k.2,
                    rule.0.as_str(),
                    rule.1
                ));
            }
        }
    }
    for k in &truth.refs {
        if !inferred.contains_key(k) {
            let amb = got
                .ambiguous
                .iter()
                .find(|a| a.table.to_string() == k.0 && [a.column.clone()] == k.1.as_slice());
            misses.push(format!(
                "{}({}) -> {}{}",
                k.0,
                k.1.join(", "),
                k.2,
                amb.map_or(String::new(), |a| format!(
                    " (ambiguous: {})",
                    a.candidates
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            ));
        }
    }
    s
}

/// Every PostgreSQL dump of the corpus: recall and precision per dump and overall.
#[test]
fn inference_recall_on_the_corpus() {
    let mut rows = Vec::new();
    let mut total = Score::default();
    let mut per_rule: BTreeMap<(Rule, u8), [usize; 4]> = BTreeMap::new();
    for name in POSTGRES_DUMPS {
        let known = corpus::known(name);
        let loaded = corpus::load(name, &known);
        assert!(
            loaded.unexpected.is_empty(),
            "{name}: unexpected load errors: {:?}",
            loaded.unexpected
        );
        let excluded = |obj: &str| known.exclude.iter().any(|x| x.object == obj);
        let mut truth = truth_from_postgres(&mut loaded.cluster.client(loaded.db), &excluded);
        truth.labelled = crate::infer_labels::labelled_references(name, &loaded.cat)
            .into_iter()
            .filter(|k| !truth.refs.contains(k))
            .collect();
        let got = infer_stripped(name, &loaded.original, &loaded.cat);
        let (mut misses, mut wrong) = (Vec::new(), Vec::new());
        let s = score(&got, &truth, &mut per_rule, &mut misses, &mut wrong);
        for m in &misses {
            eprintln!("{name}: not inferred: {m}");
        }
        for w in &wrong {
            eprintln!("{name}: wrong parent: {w}");
        }
        total.add(&s);
        rows.push(s.line(name));
    }
    eprintln!(
        "\n| dump | FK rows | real | multi-column | inferred | true | recall | precision | \
         judged | judged precision | precision with labels | ambiguous | polymorphic |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in &rows {
        eprintln!("{r}");
    }
    eprintln!("{}", total.line("**all (micro)**"));
    eprintln!(
        "\n| rule | confidence | inferred | true | precision | judged | judged true | judged precision |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for ((rule, confidence), [n, t, j, jt]) in &per_rule {
        eprintln!(
            "| {rule} | {confidence} | {n} | {t} | {:.3} | {j} | {jt} | {:.3} |",
            ratio(*t, *n),
            ratio(*jt, *j)
        );
    }
    // Never vacuous.
    assert!(total.real > 1000, "the corpus has over 1000 foreign keys");
    // Floors at the measured values minus a margin, so that a regression of inference fails
    // here (measured: recall 0.954, judged precision 0.982, precision 0.675, with labels
    // 0.804). The targets of issue 21: recall at least 0.85 ...
    assert!(
        total.recall() >= 0.94,
        "overall recall {:.3} fell below the floor 0.94 (the issue's target: 0.85)",
        total.recall()
    );
    // ... with the right parent wherever the truth is known ...
    assert!(
        total.judged_precision() >= 0.97,
        "overall judged precision {:.3} fell below the floor 0.97",
        total.judged_precision()
    );
    // ... and precision 0.8. Counting every reference on a column without a constraint as
    // wrong, the floor is BELOW that target: gisia-gitlab-like and synapse declare 20 of their
    // keys and leave the rest as loose references, which inference finds and pg_constraint
    // cannot confirm (of their 336 inferred references, 18 are true by pg_constraint).
    assert!(
        total.precision() >= 0.66,
        "overall precision {:.3} fell below the floor 0.66",
        total.precision()
    );
    // With the labelled references of the three labelled dumps added to the truth, the
    // target is met (0.804 measured; the floor leaves a margin).
    assert!(
        total.labelled_precision() >= 0.79,
        "overall precision with labels {:.3} fell below the floor 0.79",
        total.labelled_precision()
    );
}
