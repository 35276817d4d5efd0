//! `silo-plan init`: a starter `silo-plan.toml` from a dump, every table with a comment saying
//! why it is where it is.
//!
//! * The framework is detected from its bookkeeping tables ([`crate::framework`]); those tables
//!   go to `[shared]` (each database keeps its own migration history), unless one references
//!   another table (a shared table referencing a silo's table blocks `plan`).
//! * Without seeds, the silos are the groups of the reference graph: the dump's foreign keys and
//!   the references its column names imply ([`crate::infer`]), with `INHERITS` and partitions
//!   keeping children with their parents. Each group of two or more tables connected by
//!   references is a silo named after its most connected table (its hub); each table's comment
//!   names the reference that ties it to the group (the first step of a breadth-first walk from
//!   the hub). Tables with no reference at all are left unassigned (`unassigned = "warn"`) and
//!   listed in a comment: nothing in the dump says where they belong. When no group exists,
//!   every table goes to one silo, `app`.
//! * With seeds (`--silos control,region`, or `control=users+accounts,region=orders`), each
//!   silo starts from its seed tables (named, or else the most connected tables not next to
//!   one another) and [`crate::suggest`] places the rest by the foreign keys that would cross;
//!   a table it leaves open whose inferred references all lead into one silo goes there. The
//!   rest is left unassigned and listed, with suggest's reason.
//!
//! The result is checked before it is returned: it parses, and it resolves against the dump.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

use crate::analysis::Analysis;
use crate::catalog::{Catalog, QName};
use crate::config;
use crate::framework::{self, Framework};
use crate::source::SourceFile;

/// A silo asked for on the command line, with its seed tables (empty: chosen by `init`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// The silo's name.
    pub name: String,
    /// Seed tables as written (`users` or `auth.users`).
    pub tables: Vec<String>,
}

/// Reads `--silos`: `a,b` or `a=t1+t2,b=t3`.
pub fn parse_seeds(arg: &str) -> Result<Vec<Seed>, String> {
    let mut out: Vec<Seed> = Vec::new();
    for part in arg.split(',').map(str::trim) {
        let (name, tables) = match part.split_once('=') {
            Some((n, t)) => (
                n.trim(),
                t.split('+')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
            ),
            None => (part, Vec::new()),
        };
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid || name == "shared" || name == "unassigned" {
            return Err(format!(
                "--silos: `{part}` is not `NAME` or `NAME=TABLE+TABLE`; a silo name starts with a letter, then letters, digits, `_` or `-` (not `shared` or `unassigned`)"
            ));
        }
        if out.iter().any(|s| s.name == name) {
            return Err(format!("--silos: silo `{name}` is named twice"));
        }
        out.push(Seed {
            name: name.to_string(),
            tables,
        });
    }
    if out.len() < 2 {
        return Err("--silos: name at least two silos, e.g. `--silos control,region`".into());
    }
    Ok(out)
}

/// What `init` is told.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The dumps as the config names them (relative to its directory).
    pub schema: Vec<String>,
    /// The silos asked for; empty: proposed from the reference graph.
    pub seeds: Vec<Seed>,
}

/// What `init` made.
#[derive(Debug, Clone)]
pub struct Starter {
    /// The text of `silo-plan.toml`.
    pub text: String,
    /// The framework detected.
    pub framework: Framework,
    /// Tables per silo, in the file's order.
    pub silos: Vec<(String, usize)>,
    /// Tables in `[shared]`.
    pub shared: usize,
    /// Tables left unassigned.
    pub unassigned: usize,
}

/// A table's place and why.
struct Placed {
    table: usize,
    why: String,
}

/// The tables `init` places (no partitions of a table in the catalog, no views) and the
/// references between them.
struct Graph {
    tables: Vec<QName>,
    index: BTreeMap<QName, usize>,
    /// Per table: (neighbour, why the two are tied), sorted by neighbour, one per neighbour.
    adj: Vec<Vec<(usize, String)>>,
}

/// How a table is written in the config and in comments: bare in `public`, else `schema.name`.
fn shown(q: &QName) -> String {
    if q.schema == "public" {
        q.name.clone()
    } else {
        q.to_string()
    }
}

/// Whether a pattern can name exactly this table (no glob character, no dot, no edge spaces).
fn writable(q: &QName) -> bool {
    let ok = |s: &str| !s.is_empty() && s.trim() == s && !s.contains(['.', '*', '?']);
    ok(&q.schema) && ok(&q.name)
}

/// A comment's text: names from the dump written visibly when they hold control characters.
fn comment(s: &str) -> String {
    crate::untrusted::escape(s).into_owned()
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

impl Graph {
    fn build(cat: &Catalog, skip: &BTreeSet<QName>) -> (Graph, Vec<QName>) {
        // A partition follows its root (when the root is in the catalog).
        let root = |q: &QName| -> QName {
            let mut q = q.clone();
            for _ in 0..64 {
                match cat.table(&q).and_then(|t| t.partition_of.clone()) {
                    Some(p) if cat.table(&p).is_some() => q = p,
                    _ => break,
                }
            }
            q
        };
        let mut tables = Vec::new();
        let mut unwritable = Vec::new();
        for t in &cat.tables {
            let q = t.qname();
            if root(&q) != q || skip.contains(&q) {
                continue;
            }
            if writable(&q) {
                tables.push(q);
            } else {
                unwritable.push(q);
            }
        }
        let index: BTreeMap<QName, usize> = tables
            .iter()
            .enumerate()
            .map(|(i, q)| (q.clone(), i))
            .collect();
        let mut adj: Vec<BTreeMap<usize, String>> = vec![BTreeMap::new(); tables.len()];
        let mut tie = |a: &QName, b: &QName, why: String| {
            let (Some(&i), Some(&j)) = (index.get(&root(a)), index.get(&root(b))) else {
                return;
            };
            if i != j {
                adj[i].entry(j).or_insert_with(|| why.clone());
                adj[j].entry(i).or_insert(why);
            }
        };
        let constraints = crate::references::from_constraints(cat);
        let inferred = crate::infer::infer(cat, &constraints);
        for r in constraints.iter().chain(&inferred.references) {
            let how = match r.constraint {
                Some(k) => format!("foreign key {}", cat.foreign_keys[k].name),
                None => format!("inferred, {} rule", r.rule.map_or("naming", |x| x.as_str())),
            };
            let why = format!(
                "{}.{} → {} ({how})",
                shown(&r.table),
                r.columns.join(","),
                shown(&r.references)
            );
            tie(&r.table, &r.references, why);
        }
        for t in &cat.tables {
            for p in &t.inherits {
                let why = format!("{} inherits {}", shown(&t.qname()), shown(p));
                tie(&t.qname(), p, why);
            }
        }
        let adj = adj.into_iter().map(|m| m.into_iter().collect()).collect();
        (Graph { tables, index, adj }, unwritable)
    }

    fn degree(&self, i: usize) -> usize {
        self.adj[i].len()
    }

    /// The most connected of `among` (ties: the name first in order).
    fn hub(&self, among: impl Iterator<Item = usize>) -> Option<usize> {
        among.max_by(|&a, &b| {
            self.degree(a)
                .cmp(&self.degree(b))
                .then_with(|| self.tables[b].cmp(&self.tables[a]))
        })
    }
}

/// A silo name made from a table name: lowercase letters, digits and `_`, starting with a
/// letter, at most 30 characters, none of the names silo-plan keeps for itself.
fn silo_name(table: &str, taken: &BTreeSet<String>) -> String {
    let mut base: String = table
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    base = base.trim_matches('_').to_string();
    if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
        base = format!("s_{base}");
    }
    base.truncate(30);
    let base = base.trim_end_matches('_').to_string();
    let reserved = ["shared", "unassigned", "origin", "pkey"];
    let mut name = base.clone();
    let mut n = 2;
    while reserved.contains(&name.as_str()) || taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// Builds the starter config for `cat` (read from `sources`).
pub fn build(cat: &Catalog, sources: &[SourceFile], opts: &Options) -> Result<Starter, String> {
    let detected = framework::detect(cat);
    // Bookkeeping tables are shared, unless one references another table.
    let mut shared: Vec<(QName, String)> = Vec::new();
    let mut kept_back: Vec<QName> = Vec::new();
    for (q, why) in &detected.bookkeeping {
        let refers = cat
            .foreign_keys
            .iter()
            .any(|fk| &fk.table == q && &fk.references != q);
        if refers || !writable(q) {
            kept_back.push(q.clone());
        } else {
            shared.push((q.clone(), why.to_string()));
        }
    }
    let shared_set: BTreeSet<QName> = shared.iter().map(|(q, _)| q.clone()).collect();
    let (g, unwritable) = Graph::build(cat, &shared_set);

    let mut silos: Vec<(String, String, Vec<Placed>)> = Vec::new();
    let mut open: Vec<(usize, String)> = Vec::new();
    if opts.seeds.is_empty() {
        propose_groups(&g, &mut silos, &mut open);
    } else {
        seeded(sources, opts, &g, &shared, &mut silos, &mut open)?;
    }

    let text = render(
        cat,
        opts,
        &detected,
        &shared,
        &silos,
        &open,
        &unwritable,
        &g,
    );
    // What init writes must be something `check` reads.
    let cfg = config::parse(config::FILE_NAME, &text)
        .map_err(|e| format!("init wrote a config that does not parse (a bug): {e}\n{text}"))?;
    crate::assign::assign(cat, &cfg)
        .map_err(|e| format!("init wrote a config that does not fit the dump (a bug): {e}"))?;
    Ok(Starter {
        framework: detected.framework,
        silos: silos.iter().map(|(n, _, t)| (n.clone(), t.len())).collect(),
        shared: shared.len(),
        unassigned: open.len() + unwritable.len(),
        text,
    })
}

/// Silos from the groups of the reference graph (see the module documentation).
fn propose_groups(
    g: &Graph,
    silos: &mut Vec<(String, String, Vec<Placed>)>,
    open: &mut Vec<(usize, String)>,
) {
    let mut seen = vec![false; g.tables.len()];
    let mut taken = BTreeSet::new();
    while let Some(hub) = g.hub((0..g.tables.len()).filter(|&i| !seen[i])) {
        // A breadth-first walk from the hub; each table is tied by the reference it was
        // reached by.
        let mut members = vec![Placed {
            table: hub,
            why: format!(
                "the most connected table of this group ({} tables referenced or referencing)",
                g.degree(hub)
            ),
        }];
        seen[hub] = true;
        let mut queue = VecDeque::from([hub]);
        while let Some(i) = queue.pop_front() {
            for (j, why) in &g.adj[i] {
                if !seen[*j] {
                    seen[*j] = true;
                    members.push(Placed {
                        table: *j,
                        why: why.clone(),
                    });
                    queue.push_back(*j);
                }
            }
        }
        if members.len() == 1 {
            open.push((hub, "no reference to or from another table".into()));
            continue;
        }
        let name = silo_name(&g.tables[hub].name, &taken);
        taken.insert(name.clone());
        let about = format!(
            "{} tables connected by references around {}",
            members.len(),
            shown(&g.tables[hub])
        );
        silos.push((name, about, members));
    }
    if silos.is_empty() {
        // No group at all: one silo holds every table.
        let members = open
            .drain(..)
            .map(|(i, _)| Placed {
                table: i,
                why: "no reference to or from another table; one silo holds them all".into(),
            })
            .collect::<Vec<_>>();
        if !members.is_empty() {
            silos.push((
                "app".into(),
                "every table: the dump has no reference between two tables".into(),
                members,
            ));
        }
    }
}

/// Silos from seeds, placed by `suggest` (see the module documentation).
fn seeded(
    sources: &[SourceFile],
    opts: &Options,
    g: &Graph,
    shared: &[(QName, String)],
    silos: &mut Vec<(String, String, Vec<Placed>)>,
    open: &mut Vec<(usize, String)>,
) -> Result<(), String> {
    // Seeds: the tables named, else the most connected table next to no seed chosen so far.
    let mut chosen: Vec<Vec<Placed>> = Vec::new();
    let mut used: BTreeSet<usize> = BTreeSet::new();
    for s in &opts.seeds {
        let mut mine = Vec::new();
        for t in &s.tables {
            let q = match t.split_once('.') {
                Some((a, b)) => QName::new(a, b),
                None => QName::new("public", t),
            };
            let Some(&i) = g.index.get(&q) else {
                let near = config::nearest(&q.name, g.tables.iter().map(|t| t.name.as_str()), 3);
                return Err(format!(
                    "--silos: no table `{t}` to seed silo `{}` with (partitions and shared tables cannot seed); nearest: {}",
                    s.name,
                    config::backticked(near)
                ));
            };
            if !used.insert(i) {
                return Err(format!("--silos: table `{t}` seeds two silos"));
            }
            mine.push(Placed {
                table: i,
                why: "seed of this silo (named by --silos)".into(),
            });
        }
        chosen.push(mine);
    }
    for (k, s) in opts.seeds.iter().enumerate() {
        if !s.tables.is_empty() {
            continue;
        }
        let near_seed = |i: usize| g.adj[i].iter().any(|(j, _)| used.contains(j));
        let pick = g
            .hub((0..g.tables.len()).filter(|&i| !used.contains(&i) && !near_seed(i)))
            .or_else(|| g.hub((0..g.tables.len()).filter(|&i| !used.contains(&i))));
        let Some(i) = pick else {
            return Err(format!(
                "--silos: the dump has no table left to seed silo `{}` with",
                s.name
            ));
        };
        used.insert(i);
        chosen[k].push(Placed {
            table: i,
            why: format!(
                "seed of this silo: the most connected table ({} tables referenced or referencing) next to no other seed",
                g.degree(i)
            ),
        });
    }
    // A config of the seeds alone, for suggest.
    let mut text = String::from("version = 1\n[defaults]\nunassigned = \"warn\"\n");
    for (s, seeds) in opts.seeds.iter().zip(&chosen) {
        let _ = writeln!(text, "[silos.{}]\ntables = [", s.name);
        for p in seeds {
            let _ = writeln!(text, "  {},", toml_str(&shown(&g.tables[p.table])));
        }
        text.push_str("]\n");
    }
    if !shared.is_empty() {
        text.push_str("[shared]\ntables = [\n");
        for (q, _) in shared {
            let _ = writeln!(text, "  {},", toml_str(&shown(q)));
        }
        text.push_str("]\n");
    }
    let cfg = config::parse(config::FILE_NAME, &text).map_err(|e| e.to_string())?;
    let a = Analysis::new(cfg, sources.to_vec()).map_err(|e| e.to_string())?;
    let suggestions = crate::suggest::suggest(&a);
    let mut place: BTreeMap<usize, (usize, String)> = BTreeMap::new();
    let silo_index =
        |name: &str| -> Option<usize> { opts.seeds.iter().position(|s| s.name == name) };
    let mut left: Vec<(usize, String)> = Vec::new();
    for s in &suggestions {
        let Some(&i) = g.index.get(&s.table) else {
            continue;
        };
        if used.contains(&i) {
            continue;
        }
        let costs = s
            .costs
            .iter()
            .map(|(silo, n)| format!("{n} in {silo}"))
            .collect::<Vec<_>>()
            .join(", ");
        match s.silo.as_deref().and_then(silo_index) {
            Some(k) => {
                place.insert(
                    i,
                    (
                        k,
                        format!(
                            "suggest, round {}: foreign keys that would cross: {costs}",
                            s.round
                        ),
                    ),
                );
            }
            None if !s.tie.is_empty() => left.push((
                i,
                format!(
                    "suggest: tie between {} (foreign keys that would cross: {costs})",
                    s.tie.join(", ")
                ),
            )),
            None => left.push((i, "suggest: no foreign key to a placed table".into())),
        }
    }
    let mut placed_silo: BTreeMap<usize, usize> =
        place.iter().map(|(i, (k, _))| (*i, *k)).collect();
    for (k, seeds) in chosen.iter().enumerate() {
        for p in seeds {
            placed_silo.insert(p.table, k);
        }
    }
    // Inferred references (and inheritance) settle what the foreign keys left open, in rounds.
    loop {
        let mut now = Vec::new();
        for (i, _) in &left {
            let near: BTreeSet<usize> = g.adj[*i]
                .iter()
                .filter_map(|(j, _)| placed_silo.get(j).copied())
                .collect();
            if near.len() == 1 {
                let k = *near.iter().next().expect("one");
                let why = g.adj[*i]
                    .iter()
                    .find(|(j, _)| placed_silo.get(j) == Some(&k))
                    .map(|(_, w)| w.clone())
                    .unwrap_or_default();
                now.push((*i, k, format!("its placed references all lead here: {why}")));
            }
        }
        if now.is_empty() {
            break;
        }
        for (i, k, why) in now {
            placed_silo.insert(i, k);
            place.insert(i, (k, why));
            left.retain(|(j, _)| *j != i);
        }
    }
    open.extend(left);
    for (k, (s, seeds)) in opts.seeds.iter().zip(chosen).enumerate() {
        let mut members = seeds;
        members.extend(
            place
                .iter()
                .filter(|(_, (kk, _))| *kk == k)
                .map(|(i, (_, why))| Placed {
                    table: *i,
                    why: why.clone(),
                }),
        );
        let about = format!(
            "{} tables, grown from its seeds by `silo-plan suggest`",
            members.len()
        );
        silos.push((s.name.clone(), about, members));
    }
    Ok(())
}

/// `tables = [...]` lines, one table per line with its comment, comments aligned.
fn table_lines(out: &mut String, rows: &[(String, String)], commented: bool) {
    let width = rows
        .iter()
        .map(|(p, _)| p.chars().count())
        .max()
        .unwrap_or(0);
    for (pattern, why) in rows {
        let pad = width - pattern.chars().count();
        let lead = if commented { "#   " } else { "    " };
        let _ = writeln!(out, "{lead}{pattern},{:pad$}  # {}", "", comment(why));
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    cat: &Catalog,
    opts: &Options,
    detected: &framework::Detected,
    shared: &[(QName, String)],
    silos: &[(String, String, Vec<Placed>)],
    open: &[(usize, String)],
    unwritable: &[QName],
    g: &Graph,
) -> String {
    let mut out = String::new();
    let dumps = opts
        .schema
        .iter()
        .map(|s| comment(s))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "# Starter silo map written by `silo-plan init` from {dumps}: {} tables.",
        cat.tables.len()
    );
    let fw = match detected.framework {
        Framework::Generic => "generic (no framework's bookkeeping table found)".to_string(),
        f => format!("{} ({})", f.as_str(), comment(&detected.evidence)),
    };
    let _ = writeln!(out, "# Framework: {fw}.");
    out.push_str(
        "# Review it: move tables between silos (globs such as \"billing_*\" can replace lists), \
         then run\n# `silo-plan check`. Every key is documented in docs/config.md.\n",
    );
    out.push_str("version = 1\n");
    let _ = writeln!(
        out,
        "schema = [{}]",
        opts.schema
            .iter()
            .map(|s| toml_str(s))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The first of the largest silos.
    let largest = silos.iter().map(|(_, _, m)| m.len()).max().unwrap_or(0);
    if let Some((first, _, _)) = silos.iter().find(|(_, _, m)| m.len() == largest) {
        out.push_str(
            "# The silo whose tables stay in today's database (here the largest); the others \
             move to new ones.\n",
        );
        let _ = writeln!(out, "origin = {}", toml_str(first));
    }
    out.push_str("\n[defaults]\n");
    // Unset, a crossing's NO ACTION keeps what the database does today (the delete is refused
    // while children exist): a starter config must not turn it into deletes.
    out.push_str(
        "# Where the dump says NO ACTION and no export or declaration says more, a crossing \
         foreign key\n# keeps what the database does today: the parent's delete is refused while \
         children exist\n# in the other silo. Django and Rails decide deletes in their models: \
         `silo-plan export-script`\n# writes them to a references file. Uncomment to replicate \
         another action instead:\n# on_delete = \"cascade\"\n",
    );
    let unplaced = open.len() + unwritable.len();
    if unplaced > 0 {
        let _ = writeln!(
            out,
            "# {unplaced} table{} below {} in no silo yet: warnings, not errors, until placed \
             (then make this \"error\").",
            if unplaced == 1 { "" } else { "s" },
            if unplaced == 1 { "is" } else { "are" },
        );
        out.push_str("unassigned = \"warn\"\n");
    } else {
        out.push_str("unassigned = \"error\"\n");
    }
    for (name, about, members) in silos {
        let _ = writeln!(out, "\n# {}", comment(about));
        let _ = writeln!(out, "[silos.{name}]\ntables = [");
        let rows: Vec<(String, String)> = members
            .iter()
            .map(|p| (toml_str(&shown(&g.tables[p.table])), p.why.clone()))
            .collect();
        table_lines(&mut out, &rows, false);
        out.push_str("]\n");
    }
    if !shared.is_empty() {
        out.push_str(
            "\n# Schema copied into every silo's database, rows not split: the framework's \
             bookkeeping.\n[shared]\ntables = [\n",
        );
        let rows: Vec<(String, String)> = shared
            .iter()
            .map(|(q, why)| (toml_str(&shown(q)), why.clone()))
            .collect();
        table_lines(&mut out, &rows, false);
        out.push_str("]\n");
    }
    if unplaced > 0 {
        out.push_str(
            "\n# In no silo yet: nothing in the dump decides where these belong. Add each to the \
             silo whose\n# code uses it (`silo-plan suggest` weighs a query log too: --log FILE).\n",
        );
        let mut rows: Vec<(String, String)> = open
            .iter()
            .map(|(i, why)| (toml_str(&shown(&g.tables[*i])), why.clone()))
            .collect();
        rows.extend(unwritable.iter().map(|q| {
            (
                toml_str(&q.to_string()),
                "its name holds `.`, `*`, `?` or edge spaces: no pattern names it alone".into(),
            )
        }));
        table_lines(&mut out, &rows, true);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse() {
        let s = parse_seeds("control=users+accounts, region").unwrap();
        assert_eq!(s[0].tables, ["users", "accounts"]);
        assert!(s[1].tables.is_empty());
        assert!(parse_seeds("a").is_err());
        assert!(parse_seeds("a,a").is_err());
        assert!(parse_seeds("a,shared").is_err());
        assert!(parse_seeds("a,9b").is_err());
    }

    #[test]
    fn silo_names_are_valid_and_apart() {
        let mut taken = BTreeSet::new();
        assert_eq!(silo_name("Film", &taken), "film");
        taken.insert("film".to_string());
        assert_eq!(silo_name("film", &taken), "film_2");
        assert_eq!(silo_name("_1x", &taken), "s_1x");
        assert_eq!(silo_name("origin", &taken), "origin_2");
    }
}
