//! The object graph over the catalog (petgraph): tables, views and functions as nodes; edges
//! for foreign keys, view reads, triggers, function bodies that name tables (a text scan),
//! sequences, partitions and inheritance. Crossings and the cascade closure are computed here.
//!
//! Node and edge insertion follows catalog order, so every traversal is deterministic.

use std::collections::BTreeSet;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use rustc_hash::FxHashMap;

use crate::catalog::{Catalog, QName};
use crate::dump::lex::{tokenize, Tok};

/// A node: a relation or a routine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// A table (any kind).
    Table(QName),
    /// A view or materialized view.
    View(QName),
    /// A function, procedure or aggregate (overloads share a node).
    Function(QName),
}

impl Node {
    /// The node's name.
    pub fn name(&self) -> &QName {
        match self {
            Node::Table(q) | Node::View(q) | Node::Function(q) => q,
        }
    }
}

/// An edge, pointing from the dependent object to what it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edge {
    /// Child table → parent table; index into [`Catalog::foreign_keys`].
    ForeignKey(usize),
    /// View → relation it reads.
    Reads,
    /// Table → function its trigger runs; index into [`Catalog::triggers`].
    Trigger(usize),
    /// Function → table its body names (text scan: a heuristic).
    Mentions,
    /// Table → table whose sequence feeds one of its column defaults.
    SharesSequence(QName),
    /// Partition → partitioned parent.
    PartitionOf,
    /// Child → parent of `INHERITS`.
    Inherits,
}

/// The graph and a name index.
#[derive(Debug, Default)]
pub struct Graph {
    /// The petgraph graph.
    pub g: DiGraph<Node, Edge>,
    /// Lookups only (never iterated): hashed.
    index: FxHashMap<Node, NodeIndex>,
    /// The table nodes by name (the cascade walks look their start up here, then follow
    /// indices).
    tables: FxHashMap<QName, NodeIndex>,
    /// Foreign keys pointing at each node (only tables have any), ascending, by node index.
    child_fks: Vec<Vec<usize>>,
    /// Each foreign key's child table node, by key index.
    fk_child: Vec<NodeIndex>,
}

impl Graph {
    fn node(&mut self, n: Node) -> NodeIndex {
        if let Some(&i) = self.index.get(&n) {
            return i;
        }
        let i = self.g.add_node(n.clone());
        if let Node::Table(q) = &n {
            self.tables.insert(q.clone(), i);
        }
        self.index.insert(n, i);
        i
    }

    /// [`node`](Self::node) of a table, cloning its name only when it is new (every foreign
    /// key looks up both of its ends).
    fn table_or_add(&mut self, q: &QName) -> NodeIndex {
        match self.tables.get(q) {
            Some(&i) => i,
            None => self.node(Node::Table(q.clone())),
        }
    }

    /// The index of a node, if present.
    pub fn find(&self, n: &Node) -> Option<NodeIndex> {
        self.index.get(n).copied()
    }

    /// Nodes an edge kind reaches from `n`, in insertion order.
    pub fn out_edges(&self, n: NodeIndex) -> Vec<(NodeIndex, &Edge)> {
        let mut v: Vec<_> = self
            .g
            .edges_directed(n, Direction::Outgoing)
            .map(|e| (e.target(), e.weight()))
            .collect();
        v.reverse(); // petgraph lists newest first
        v
    }

    /// Tables the body of function `f` names (all overloads together), in name order.
    pub fn mentions(&self, f: &QName) -> Vec<QName> {
        let Some(i) = self.find(&Node::Function(f.clone())) else {
            return Vec::new();
        };
        let mut v: Vec<QName> = self
            .g
            .edges_directed(i, Direction::Outgoing)
            .filter(|e| matches!(e.weight(), Edge::Mentions))
            .map(|e| self.g[e.target()].name().clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Foreign keys pointing at table `t` (its children), in catalog order.
    pub fn children(&self, t: &QName) -> &[usize] {
        self.table_node(t).map_or(&[], |n| self.children_at(n))
    }

    /// The node of table `t`, if the graph has it.
    pub fn table_node(&self, t: &QName) -> Option<NodeIndex> {
        self.tables.get(t).copied()
    }

    /// [`children`](Self::children) of a node: foreign keys pointing at it, ascending (none
    /// unless it is a table).
    pub fn children_at(&self, n: NodeIndex) -> &[usize] {
        self.child_fks.get(n.index()).map_or(&[], Vec::as_slice)
    }

    /// The child table node of foreign key `k` (an index into [`Catalog::foreign_keys`] of the
    /// catalog the graph was built from; panics on any other).
    pub fn fk_child(&self, k: usize) -> NodeIndex {
        self.fk_child[k]
    }
}

/// The catalog's tables by bare name (any schema), for what an unqualified name can mean:
/// borrowed names in one hash map, the tables sharing a name chained in catalog order (no
/// `Vec` nor `QName` copy per table: built by `graph` and by `plan` over every table).
pub struct TablesByName<'c> {
    cat: &'c Catalog,
    /// Name -> (first, last) index into `Catalog::tables`.
    ends: FxHashMap<&'c str, (u32, u32)>,
    /// Per table, the next table of the same name, or [`TablesByName::END`].
    next: Vec<u32>,
}

impl<'c> TablesByName<'c> {
    const END: u32 = u32::MAX;

    /// Indexes every table of `cat`.
    pub fn new(cat: &'c Catalog) -> Self {
        let mut ends: FxHashMap<&'c str, (u32, u32)> = FxHashMap::default();
        ends.reserve(cat.tables.len());
        let mut next = vec![Self::END; cat.tables.len()];
        for (i, t) in cat.tables.iter().enumerate() {
            let i = i as u32;
            ends.entry(t.name.as_str())
                .and_modify(|(_, last)| {
                    next[*last as usize] = i;
                    *last = i;
                })
                .or_insert((i, i));
        }
        TablesByName { cat, ends, next }
    }

    /// The tables named `name`, in catalog order.
    pub fn get(&self, name: &str) -> impl Iterator<Item = &'c crate::catalog::Table> + '_ {
        let mut at = self.ends.get(name).map_or(Self::END, |&(first, _)| first);
        std::iter::from_fn(move || {
            let t = self.cat.tables.get(at as usize)?;
            at = self.next[at as usize];
            Some(t)
        })
    }
}

/// Table names a routine body mentions: every identifier (or `schema.name` pair) that is the
/// name of a table in the catalog. A heuristic: dynamic SQL and shadowing are not seen.
pub fn body_mentions(cat: &Catalog, body: &str, by_name: &TablesByName) -> Vec<QName> {
    let t = tokenize(body, usize::MAX, false);
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < t.len() {
        if matches!(t.kind(i), Some(Tok::Word) | Some(Tok::Quoted)) {
            if let Some((parts, next)) = t.name(i) {
                if parts.len() >= 2 {
                    let q = QName::new(
                        parts[parts.len() - 2].clone(),
                        parts[parts.len() - 1].clone(),
                    );
                    if cat.table(&q).is_some() {
                        out.insert(q);
                    }
                } else {
                    out.extend(by_name.get(parts[0].as_str()).map(|t| t.qname()));
                }
                i = next;
                continue;
            }
        }
        // Dynamic SQL and nested strings: scan string bodies as well.
        if matches!(t.kind(i), Some(Tok::Str) | Some(Tok::Dollar)) {
            if let Some(s) = t.string(i) {
                out.extend(body_mentions(cat, &s, by_name));
            }
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// Builds the graph. `text_of` gives a file's text by index, for function bodies.
pub fn build<'a>(cat: &Catalog, text_of: impl Fn(u32) -> Option<&'a str>) -> Graph {
    let mut g = Graph::default();
    for t in &cat.tables {
        g.node(Node::Table(t.qname()));
    }
    for v in &cat.views {
        g.node(Node::View(v.name.clone()));
    }
    for f in &cat.functions {
        g.node(Node::Function(f.name.clone()));
    }
    for (k, fk) in cat.foreign_keys.iter().enumerate() {
        let a = g.table_or_add(&fk.table);
        let b = g.table_or_add(&fk.references);
        g.g.add_edge(a, b, Edge::ForeignKey(k));
        if g.child_fks.len() <= b.index() {
            g.child_fks.resize_with(b.index() + 1, Vec::new);
        }
        g.child_fks[b.index()].push(k);
        g.fk_child.push(a);
    }
    let views: BTreeSet<&QName> = cat.views.iter().map(|v| &v.name).collect();
    for v in &cat.views {
        let a = g.node(Node::View(v.name.clone()));
        for r in &v.reads {
            let n = if views.contains(r) {
                Node::View(r.clone())
            } else {
                Node::Table(r.clone())
            };
            if cat.table(r).is_some() || views.contains(r) {
                let b = g.node(n);
                g.g.add_edge(a, b, Edge::Reads);
            }
        }
    }
    for (k, tr) in cat.triggers.iter().enumerate() {
        let a = g.table_or_add(&tr.table);
        let b = g.node(Node::Function(tr.function.clone()));
        g.g.add_edge(a, b, Edge::Trigger(k));
    }
    let by_name = TablesByName::new(cat);
    for f in &cat.functions {
        let Some((s, e)) = f.body else { continue };
        let Some(text) = text_of(f.span.file) else {
            continue;
        };
        let Some(body) = text.get(s as usize..e as usize) else {
            continue;
        };
        let a = g.node(Node::Function(f.name.clone()));
        for q in body_mentions(cat, body, &by_name) {
            let b = g.node(Node::Table(q));
            g.g.add_edge(a, b, Edge::Mentions);
        }
    }
    for s in &cat.sequences {
        let mut users: BTreeSet<&QName> = s.used_by.iter().map(|c| &c.table).collect();
        if let Some(o) = &s.owned_by {
            users.insert(&o.table);
        }
        let users: Vec<&QName> = users.into_iter().collect();
        for w in users.windows(2) {
            let a = g.table_or_add(w[0]);
            let b = g.table_or_add(w[1]);
            g.g.add_edge(a, b, Edge::SharesSequence(s.name.clone()));
        }
    }
    for t in &cat.tables {
        if t.partition_of.is_none() && t.inherits.is_empty() {
            continue;
        }
        let a = g.node(Node::Table(t.qname()));
        if let Some(p) = &t.partition_of {
            let b = g.table_or_add(p);
            g.g.add_edge(a, b, Edge::PartitionOf);
        }
        for p in &t.inherits {
            let b = g.table_or_add(p);
            g.g.add_edge(a, b, Edge::Inherits);
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::{read, ReadOptions};
    use crate::source::SourceFile;

    /// An unqualified name means every table of that name, in catalog order; body_mentions
    /// resolves it so (and a qualified one only to its own table).
    #[test]
    fn tables_by_name_in_catalog_order() {
        let sql = "CREATE TABLE b.users (id bigint);\n\
                   CREATE TABLE public.orgs (id bigint);\n\
                   CREATE TABLE a.users (id bigint);\n\
                   CREATE TABLE c.users (id bigint);\n";
        let sources = [SourceFile::new("t.sql", sql.to_string())];
        let cat = read(&sources, &ReadOptions::default());
        let by_name = TablesByName::new(&cat);
        let names =
            |n: &str| -> Vec<String> { by_name.get(n).map(|t| t.qname().to_string()).collect() };
        assert_eq!(names("users"), ["b.users", "a.users", "c.users"]);
        assert_eq!(names("orgs"), ["public.orgs"]);
        assert!(names("nothing").is_empty());
        let mentions = |body: &str| -> Vec<String> {
            body_mentions(&cat, body, &by_name)
                .iter()
                .map(|q| q.to_string())
                .collect()
        };
        assert_eq!(
            mentions("SELECT 1 FROM users JOIN a.users ON true; SELECT * FROM orgs"),
            ["a.users", "b.users", "c.users", "public.orgs"]
        );
        assert_eq!(mentions("UPDATE c.users SET id = 1"), ["c.users"]);
    }

    /// The cascade walks follow node indices (`table_node`, `children_at`, `fk_child`): they
    /// must agree with the by-name answers, also for tables the dump never creates.
    #[test]
    fn node_indices_agree_with_names() {
        let sql = "CREATE TABLE public.org (id bigint PRIMARY KEY);\n\
                   CREATE TABLE public.team (id bigint PRIMARY KEY, org_id bigint);\n\
                   CREATE TABLE public.log (team_id bigint, org_id bigint);\n\
                   ALTER TABLE ONLY public.team ADD CONSTRAINT team_org FOREIGN KEY (org_id) REFERENCES public.org(id);\n\
                   ALTER TABLE ONLY public.log ADD CONSTRAINT log_team FOREIGN KEY (team_id) REFERENCES public.team(id);\n\
                   ALTER TABLE ONLY public.log ADD CONSTRAINT log_org FOREIGN KEY (org_id) REFERENCES public.org(id);\n\
                   ALTER TABLE ONLY public.ghost ADD CONSTRAINT ghost_ext FOREIGN KEY (x) REFERENCES ext.gone(id);\n";
        let sources = [SourceFile::new("t.sql", sql.to_string())];
        let mut cat = read(&sources, &ReadOptions::default());
        // The reader rejects the key with ends it does not define (SP015); a catalog built
        // otherwise may hold it, and the graph must answer for it too.
        let rejected = std::mem::take(&mut cat.rejected_foreign_keys);
        cat.foreign_keys
            .extend(rejected.into_iter().map(|r| r.foreign_key));
        assert_eq!(cat.foreign_keys.len(), 4);
        let g = build(&cat, |i| sources.get(i as usize).map(|s| s.text.as_str()));
        let names = ["org", "team", "log", "ghost"]
            .map(|t| QName::new("public", t))
            .into_iter()
            .chain([QName::new("ext", "gone"), QName::new("public", "nowhere")]);
        for q in names {
            let by_index = g.table_node(&q).map_or(&[][..], |n| g.children_at(n));
            assert_eq!(g.children(&q), by_index, "{q}");
            let want: Vec<usize> = (0..cat.foreign_keys.len())
                .filter(|&k| cat.foreign_keys[k].references == q)
                .collect();
            assert_eq!(g.children(&q), want.as_slice(), "{q}");
        }
        for (k, fk) in cat.foreign_keys.iter().enumerate() {
            assert_eq!(Some(g.fk_child(k)), g.table_node(&fk.table), "{}", fk.name);
            assert_eq!(g.g[g.fk_child(k)], Node::Table(fk.table.clone()));
        }
        assert_eq!(g.table_node(&QName::new("public", "nowhere")), None);
    }
}
