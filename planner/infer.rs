//! References inferred from the dump alone, by naming conventions.
//!
//! Most dependencies of real schemas have no foreign-key constraint (see [`crate::references`]);
//! their columns still say where they point, by the conventions of the frameworks that wrote
//! them. [`infer`] reads every column of every table (partitions excluded: a reference of a
//! partitioned table covers its partitions) that no existing reference covers, and looks for the
//! parent its name names, trying these conventions in order and stopping at the first that names
//! a table:
//!
//! 1. The column `<stem>_<key>` (`user_id`, `question_uuid`, `language_code`) names a table by
//!    its stem, looked up in tiers, the first tier with a table deciding:
//!    * the table the child is named after ([`Rule::ParentPrefix`]:
//!      `ui_auth_sessions_credentials.session_id` → `ui_auth_sessions`);
//!    * the child's own namespace, Rails's constant lookup and Django's app
//!      ([`Rule::RailsNamespace`] / [`Rule::Django`]: `forum_posts.topic_id` → `forum_topics`
//!      before `topics`);
//!    * the exact name: `<plural>` ([`Rule::Rails`], with Rails's inflections: person/people,
//!      category/categories, status/statuses) or `<stem>` itself ([`Rule::TableName`]);
//!    * any one-word namespace (`runner_id` → `ci_runners`; Django's `<app>_<model>` with the
//!      model's underscores dropped: `organization_integration_id` →
//!      `sentry_organizationintegration`), then longer prefixes.
//!
//!    A column whose stem names its own table (`rooms.room_id`), or, when no table has the
//!    stem's exact name, its own table after one namespace word (`presence_stream.stream_id`),
//!    is the table's own identifier, not a reference. A person (rule 3) is looked up in the
//!    first three tiers only: a table of another namespace ending with the word is a table of
//!    people in a role (`merge_request_assignees`), not the people.
//! 2. A self-reference role (`parent_id`, `previous_id`, `duplicate_of_id`) → the own table
//!    ([`Rule::SelfReference`]).
//! 3. A person in a role (`author_id`, `owner_id`, `created_by_id`, `assignee_id`: a fixed list
//!    of agent nouns, and any `<verb>_by`) → the table `user_id` would name
//!    ([`Rule::Person`]).
//! 4. Django, same app: a model whose name ends with the stem (`author_id` in a `sentry_*` table
//!    → `sentry_commitauthor`, [`Rule::ModelSuffix`]).
//! 5. A role prefix before one of the above (`source_project_id` → `projects`,
//!    `root_namespace_id` → `namespaces`, `previous_version_id` → its own `*_versions` table,
//!    [`Rule::RolePrefix`]).
//! 6. A column `<x>_id` of a table named after another whose key holds it belongs to that
//!    table (`remote_media_cache_thumbnails(media_origin, media_id)` →
//!    `remote_media_cache`, [`Rule::ParentPrefix`]); otherwise, with the same name and a
//!    compatible type as the one-column key of exactly one other table, itself not a key of
//!    its own table, it points there ([`Rule::SameKey`]) if that key is the table's identity
//!    (its primary key, or a unique key of a table without one: a unique `job_id` beside a
//!    primary key `id` is itself a has-one reference), followed to its own parent when the key
//!    column is itself a reference (a given constraint, or a rule above). A column `<x>` (no
//!    `_id`) named like the key of the table `<x>` names ([`Rule::KeyName`]: `destination` →
//!    `destinations(destination)`), or a person (`sender`, `created_by`).
//!
//! The parent's key must fit: a one-column primary key or unique key (constraint or unique
//! index) whose type is compatible with the column's (integers with integers, except a
//! `smallint` with a `bigint` key, which is an enum such as `state_id`, not a reference; text
//! with text, uuid with uuid, otherwise the same type), named like an identifier (`id`,
//! `uuid`, `name`, the column's own name, ...), or a composite key whose columns the child has too
//! (`node_tags(node_id, version)` → `nodes(node_id, version)`). A tier whose tables have no
//! fitting key stops the search: the name points there, so nothing is inferred.
//!
//! A column that fits several tables of the same tier, after preferring the own table (for a
//! role), the child's schema and the child's namespace, is [`Ambiguous`]: both are listed and
//! neither is picked. A column `<x>_id` beside `<x>_type` where `<x>` names no table (Rails's
//! polymorphic `belongs_to`, whose `<x>_type` holds a class name: text, or an enum type), and
//! Django's `object_id` beside `content_type_id`, are [`Polymorphic`]: their targets are
//! unknown. An integer `<x>_type` is more often the row's kind (`runner_type` beside a
//! `runner_id` that names `ci_runners`): it makes the pair polymorphic only when no convention
//! finds a parent for `<x>_id`.
//!
//! Every inferred reference carries its [`Rule`] and a [`Confidence`], by rule and tier, as
//! often right on the corpus (`planner/tests/it/infer_corpus.rs` prints the share per rule
//! and confidence): 0.9 for an exact table name, 0.85 for the table the child is named after
//! (0.7 when found by its key, rule 6), 0.8 for the child's own namespace, 0.7 for another one (0.6 for another Django app's model),
//! 0.5 for a longer prefix, 0.75 for a self-reference, 0.7 for a person, 0.15 less for a role
//! prefix than for the rule it prefixes, 0.4 for the same key name. The search is linear in
//! the number of columns: tables are indexed by name, by every suffix after an underscore and
//! by Django model-name tails once, and a column is looked up only when the part after its last
//! underscore is a key column's name somewhere. Pure: no I/O.

use rustc_hash::{FxHashMap, FxHashSet};
use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::{Catalog, QName, Span, Table};
use crate::references::{Confidence, Kind, Reference, Rule};

/// What [`infer`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Inferred {
    /// One reference per column (or composite key) with exactly one plausible parent, in
    /// catalog order (child table, then column).
    pub references: Vec<Reference>,
    /// Columns with several plausible parents: none is picked.
    pub ambiguous: Vec<Ambiguous>,
    /// Polymorphic columns: the target table is in a sibling column, unknown from the dump.
    pub polymorphic: Vec<Polymorphic>,
}

/// A column with several plausible parents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Ambiguous {
    /// The child table.
    pub table: QName,
    /// The column.
    pub column: String,
    /// The plausible parents, in catalog order.
    pub candidates: Vec<QName>,
    /// The convention that found them.
    pub rule: Rule,
    /// The child table's definition.
    #[serde(flatten)]
    pub span: Span,
}

/// A polymorphic reference: `<x>_id` whose table is named by `<x>_type` in each row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Polymorphic {
    /// The child table.
    pub table: QName,
    /// The id column.
    pub column: String,
    /// The column naming the target (`<x>_type`, or Django's `content_type_id`).
    pub type_column: String,
    /// The child table's definition.
    #[serde(flatten)]
    pub span: Span,
}

/// Infers the references the dump's names imply for every column no reference of `existing`
/// covers (pass the constraints, [`crate::references::from_constraints`], so that a column with
/// a foreign key is not inferred again; a reference of a partition covers the column of its
/// partition root, where inference looks).
pub fn infer(cat: &Catalog, existing: &[Reference]) -> Inferred {
    let ix = Index::new(cat, existing);
    // The columns of each table that a reference covers: one lookup per table, then a scan
    // of a few names per column. A reference of a partition covers its root's column (pagila
    // declares its keys on the partitions of `payment`).
    let mut covered: FxHashMap<(&str, &str), Vec<&str>> = FxHashMap::default();
    for r in existing {
        let mut t = cat.table(&r.table);
        let mut hops = 0;
        while let Some(p) = t.and_then(|t| t.partition_of.as_ref()) {
            match cat.table(p) {
                Some(pt) if hops < 64 => t = Some(pt),
                _ => break,
            }
            hops += 1;
        }
        let (schema, name) = t.map_or((r.table.schema.as_str(), r.table.name.as_str()), |t| {
            (t.schema.as_str(), t.name.as_str())
        });
        covered
            .entry((schema, name))
            .or_default()
            .extend(r.columns.iter().map(String::as_str));
    }
    let mut out = Inferred::default();
    let mut done: FxHashSet<(Tid, u32)> = FxHashSet::default();
    for (tid, t) in cat.tables.iter().enumerate() {
        if t.partition_of.is_some() {
            continue;
        }
        let tid = tid as Tid;
        done.clear();
        let covered = covered
            .get(&(t.schema.as_str(), t.name.as_str()))
            .map_or(&[][..], Vec::as_slice);
        for c in &t.columns {
            let col = c.name.as_str();
            if covered.contains(&col) {
                continue;
            }
            if let Some(type_column) = ix.polymorphic(t, col, false) {
                out.polymorphic.push(Polymorphic {
                    table: t.qname(),
                    column: col.to_string(),
                    type_column,
                    span: t.span,
                });
                continue;
            }
            match ix.column(tid, col) {
                Outcome::Found(f) => {
                    let (columns, referenced_columns) = ix.columns_of(col, &f);
                    // A composite key is found from each of its columns: once is enough.
                    if f.composite
                        && (!done.insert((f.parent, f.key))
                            || columns.iter().any(|c| covered.contains(&c.as_str())))
                    {
                        continue;
                    }
                    out.references.push(Reference {
                        table: t.qname(),
                        columns,
                        references: cat.tables[f.parent as usize].qname(),
                        referenced_columns,
                        on_delete: None,
                        kind: Kind::Inferred,
                        rule: Some(f.rule),
                        confidence: Confidence(f.confidence),
                        constraint: None,
                        span: t.span,
                    });
                }
                Outcome::Ambiguous(mut cands, rule) => {
                    cands.sort_unstable();
                    out.ambiguous.push(Ambiguous {
                        table: t.qname(),
                        column: col.to_string(),
                        candidates: cands
                            .iter()
                            .map(|&i| cat.tables[i as usize].qname())
                            .collect(),
                        rule,
                        span: t.span,
                    });
                }
                Outcome::Nothing => {
                    if let Some(type_column) = ix.polymorphic(t, col, true) {
                        out.polymorphic.push(Polymorphic {
                            table: t.qname(),
                            column: col.to_string(),
                            type_column,
                            span: t.span,
                        });
                    }
                }
                Outcome::Own => {}
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Names.

/// Rails's uncountable words (ActiveSupport's inflections).
const UNCOUNTABLE: [&str; 10] = [
    "equipment",
    "information",
    "rice",
    "money",
    "species",
    "series",
    "fish",
    "sheep",
    "jeans",
    "police",
];

/// Rails's irregular plurals, and the usual others of English.
const IRREGULAR: [(&str, &str); 12] = [
    ("person", "people"),
    ("man", "men"),
    ("woman", "women"),
    ("child", "children"),
    ("sex", "sexes"),
    ("move", "moves"),
    ("zombie", "zombies"),
    ("ox", "oxen"),
    ("mouse", "mice"),
    ("louse", "lice"),
    ("foot", "feet"),
    ("tooth", "teeth"),
];

/// Rails's plural of a snake_case name: its last word pluralized by ActiveSupport's rules
/// (`diary_entry` → `diary_entries`, `status` → `statuses`, `person` → `people`).
pub fn plural(stem: &str) -> String {
    let cut = stem.rfind('_').map_or(0, |i| i + 1);
    let (head, w) = stem.split_at(cut);
    let mut out = String::with_capacity(stem.len() + 3);
    out.push_str(head);
    if UNCOUNTABLE.contains(&w) {
        out.push_str(w);
        return out;
    }
    if let Some((_, p)) = IRREGULAR.iter().find(|(s, _)| *s == w) {
        out.push_str(p);
        return out;
    }
    let b = w.as_bytes();
    let n = b.len();
    let ends = |s: &str| w.ends_with(s);
    let vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u');
    // ActiveSupport's rules, the most specific first (it applies the last defined first).
    if ends("quiz") {
        out.push_str(w);
        out.push_str("zes");
    } else if ends("matrix") || ends("vertex") || ends("index") {
        out.push_str(&w[..n - 2]);
        out.push_str("ices");
    } else if ends("x") || ends("ch") || ends("ss") || ends("sh") {
        out.push_str(w);
        out.push_str("es");
    } else if n >= 2 && b[n - 1] == b'y' && ((!vowel(b[n - 2]) && b[n - 2] != b'y') || ends("quy"))
    {
        out.push_str(&w[..n - 1]);
        out.push_str("ies");
    } else if ends("hive") {
        out.push_str(w);
        out.push('s');
    } else if n >= 3 && ends("fe") && b[n - 3] != b'f' {
        out.push_str(&w[..n - 2]);
        out.push_str("ves");
    } else if n >= 2 && b[n - 1] == b'f' && matches!(b[n - 2], b'l' | b'r') {
        out.push_str(&w[..n - 1]);
        out.push_str("ves");
    } else if ends("sis") {
        out.push_str(&w[..n - 2]);
        out.push_str("es");
    } else if n >= 2 && b[n - 1] == b'a' && matches!(b[n - 2], b't' | b'i') {
        out.push_str(w); // already a plural: data, media, criteria
    } else if n >= 3 && ends("um") && matches!(b[n - 3], b't' | b'i') {
        out.push_str(&w[..n - 2]);
        out.push('a');
    } else if ends("buffalo") || ends("tomato") || ends("bus") || ends("alias") || ends("status") {
        out.push_str(w);
        out.push_str("es");
    } else if ends("octopus") || ends("virus") {
        out.push_str(&w[..n - 2]);
        out.push('i');
    } else if w == "axis" || w == "testis" {
        out.push_str(&w[..n - 2]);
        out.push_str("es");
    } else if ends("s") {
        out.push_str(w);
    } else {
        out.push_str(w);
        out.push('s');
    }
    out
}

/// ActiveSupport's singular of a snake_case name, the inverse of [`plural`]: its last word made
/// singular (`add_ons` → `add_on`, `categories` → `category`, `people` → `person`); a word that
/// reads as singular already stays as it is (`status`, `address`, `news`).
pub fn singular(name: &str) -> String {
    let cut = name.rfind('_').map_or(0, |i| i + 1);
    let (head, w) = name.split_at(cut);
    let mut out = String::with_capacity(name.len() + 2);
    out.push_str(head);
    if UNCOUNTABLE.contains(&w) {
        out.push_str(w);
        return out;
    }
    if let Some((s, _)) = IRREGULAR.iter().find(|(_, p)| *p == w) {
        out.push_str(s);
        return out;
    }
    let n = w.len();
    let ends = |s: &str| w.ends_with(s);
    let b = w.as_bytes();
    let vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    // ActiveSupport's singular rules, the most specific first.
    let (keep, add): (usize, &str) = if ends("databases") {
        (n - 1, "")
    } else if ends("quizzes") {
        (n - 3, "")
    } else if ends("matrices") {
        (n - 3, "x")
    } else if ends("vertices") || ends("indices") {
        (n - 4, "ex")
    } else if ends("aliases") || ends("statuses") || ends("buses") {
        (n - 2, "")
    } else if ends("alias") || ends("status") || ends("bus") || ends("octopus") || ends("virus") {
        (n, "")
    } else if ends("octopi") || ends("viri") {
        (n - 1, "us")
    } else if w == "axes" || w == "testes" || ends("crises") {
        (n - 2, "is")
    } else if ends("shoes") {
        (n - 1, "")
    } else if ends("oes") || ends("xes") || ends("ches") || ends("sses") || ends("shes") {
        (n - 2, "")
    } else if ends("movies") {
        (n - 1, "")
    } else if n >= 4 && ends("ies") && (!vowel(b[n - 4]) || ends("quies")) {
        (n - 3, "y")
    } else if n >= 4 && ends("ves") && matches!(b[n - 4], b'l' | b'r') {
        (n - 3, "f")
    } else if ends("tives") || ends("hives") {
        (n - 1, "")
    } else if n >= 4 && ends("ves") && b[n - 4] != b'f' {
        (n - 3, "fe")
    } else if ends("ses")
        && [
            "analy", "ba", "diagno", "parenthe", "progno", "synop", "the",
        ]
        .iter()
        .any(|stem| w[..n - 3].ends_with(stem))
    {
        (n - 2, "is")
    } else if ends("sis") || ends("ss") || ends("us") || ends("news") {
        (n, "")
    } else if n >= 2 && ends("a") && matches!(b[n - 2], b't' | b'i') {
        (n - 1, "um")
    } else if n >= 2 && ends("s") {
        (n - 1, "")
    } else {
        (n, "")
    };
    out.push_str(&w[..keep]);
    out.push_str(add);
    out
}

/// Words naming a person in a role: such a column points at the users table.
const PERSON: [&str; 47] = [
    "author",
    "creator",
    "owner",
    "assignee",
    "assigner",
    "reporter",
    "reviewer",
    "approver",
    "sender",
    "recipient",
    "receiver",
    "editor",
    "updater",
    "modifier",
    "deleter",
    "actor",
    "requester",
    "requestor",
    "inviter",
    "invitee",
    "subscriber",
    "follower",
    "moderator",
    "admin",
    "administrator",
    "revoker",
    "granter",
    "grantee",
    "resolver",
    "closer",
    "merger",
    "uploader",
    "submitter",
    "committer",
    "purchaser",
    "buyer",
    "seller",
    "redeemer",
    "commenter",
    "voter",
    "publisher",
    "signer",
    "verifier",
    "operator",
    "participant",
    "attendee",
    "organizer",
];

/// Roles that point at the row's own table.
const SELF_ROLES: [&str; 17] = [
    "parent",
    "root",
    "ancestor",
    "predecessor",
    "successor",
    "previous",
    "prev",
    "next",
    "original",
    "duplicate",
    "duplicate_of",
    "superseded_by",
    "replaced_by",
    "copied_from",
    "cloned_from",
    "forked_from",
    "in_reply_to",
];

/// Key column names that identify a row (besides the column's own name).
const ID_NAMES: [&str; 7] = ["id", "uuid", "guid", "name", "code", "key", "slug"];

fn is_person(stem: &str) -> bool {
    let last = stem.rsplit('_').next().unwrap_or(stem);
    PERSON.contains(&last) || (stem.contains('_') && last == "by")
}

/// The text before the first underscore (a Rails namespace, a Django app), if any.
fn first_word(name: &str) -> Option<&str> {
    name.find('_').map(|i| &name[..i])
}

/// `child` is `<parent>_<more>`.
fn named_after(child: &str, parent: &str) -> bool {
    child.len() > parent.len() + 1
        && child.starts_with(parent)
        && child.as_bytes()[parent.len()] == b'_'
}

/// Whether key column `kc` of a parent identifies what column `col` (stem `stem`) names:
/// `id`-like names, the column's own name, or `<x>_id` where `x`'s words are the stem's
/// (`login_sessions(login_id)` for `login_session_id`; not `dehydrated_devices(user_id)` for
/// `device_id`).
fn id_like(kc: &str, col: &str, stem: &str) -> bool {
    if ID_NAMES.contains(&kc) || kc == col {
        return true;
    }
    let Some((x, suffix)) = kc.rsplit_once('_') else {
        return false;
    };
    matches!(suffix, "id" | "uuid" | "key" | "code" | "name")
        && x.split('_').all(|w| stem.split('_').any(|s| s == w))
}

/// A type, for compatibility: integers with integers (by width), text with text, else the
/// same name without modifiers or the `public.` / `pg_catalog.` schema.
#[derive(Debug, PartialEq, Eq)]
enum TypeClass<'a> {
    /// An integer of this many bytes.
    Int(u8),
    Text,
    Other(&'a str),
}

fn type_class(t: &str) -> TypeClass<'_> {
    let t = t.trim();
    let t = t.find('(').map_or(t, |i| t[..i].trim_end());
    let t = t
        .strip_prefix("public.")
        .or_else(|| t.strip_prefix("pg_catalog."))
        .unwrap_or(t);
    let is = |names: &[&str]| names.iter().any(|n| t.eq_ignore_ascii_case(n));
    if is(&["smallint", "int2", "smallserial", "serial2"]) {
        TypeClass::Int(2)
    } else if is(&["integer", "int", "int4", "serial", "serial4"]) {
        TypeClass::Int(4)
    } else if is(&["bigint", "int8", "bigserial", "serial8"]) {
        TypeClass::Int(8)
    } else if is(&[
        "text",
        "character varying",
        "varchar",
        "character",
        "char",
        "citext",
        "bpchar",
    ]) {
        TypeClass::Text
    } else {
        TypeClass::Other(t)
    }
}

/// Whether a child column of type `child` can reference a parent key of type `parent`.
/// Integers of any width fit each other (`smallint` → `integer`, `integer` → `bigint` are both
/// common), except a `smallint` child of a `bigint` key: in the corpus that pair is never a
/// foreign key, and a `smallint` beside a big table's id is an enum (`state_id smallint`), not
/// a reference to it.
pub(crate) fn compatible(child: &str, parent: &str) -> bool {
    match (type_class(child), type_class(parent)) {
        (TypeClass::Other(x), TypeClass::Other(y)) => x.eq_ignore_ascii_case(y),
        (TypeClass::Int(c), TypeClass::Int(p)) => !(c == 2 && p == 8),
        (x, y) => x == y,
    }
}

pub(crate) fn col_type<'a>(t: &'a Table, name: &str) -> Option<&'a str> {
    t.columns
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.data_type.as_str())
}

// ---------------------------------------------------------------------------------------------
// The index.

/// A table's position in [`Catalog::tables`].
type Tid = u32;

/// Lists of tables under a key, without a vector per key: a map to the newest node and a pool
/// of nodes chained to the previous one.
struct Multi<K> {
    head: FxHashMap<K, u32>,
    nodes: Vec<(Tid, u32)>,
}

const NONE: u32 = u32::MAX;

/// How many leading words of a column name `resolve` strips as role prefixes
/// (`billing_owner_user_id` strips two). Postgres names hold 63 bytes, so real columns stay far
/// below this; the bound keeps generated names from recursing once per underscore.
const MAX_ROLE_WORDS: u8 = 16;

impl<K: std::hash::Hash + Eq> Multi<K> {
    fn with_capacity(n: usize) -> Self {
        Multi {
            head: FxHashMap::with_capacity_and_hasher(n, Default::default()),
            nodes: Vec::with_capacity(n),
        }
    }
    fn insert(&mut self, k: K, t: Tid) {
        let at = self.nodes.len() as u32;
        let head = self.head.entry(k).or_insert(NONE);
        self.nodes.push((t, std::mem::replace(head, at)));
    }
    fn get<Q>(&self, k: &Q) -> impl Iterator<Item = Tid> + '_
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let mut at = self.head.get(k).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            if at == NONE {
                return None;
            }
            let (t, next) = self.nodes[at as usize];
            at = next;
            Some(t)
        })
    }
}

struct Index<'a> {
    cat: &'a Catalog,
    /// Key columns of all keys, concatenated.
    kcols: Vec<&'a str>,
    /// Keys: a range of `kcols`.
    keys: Vec<(u32, u32)>,
    /// Per table, its keys: a range of `keys` (primary key first, then unique constraints, then
    /// unique indexes).
    tkeys: Vec<(u32, u32)>,
    /// Tables (not partitions) by name.
    by_name: Multi<&'a str>,
    /// Tables (not partitions) by every suffix after an underscore of their name.
    by_suffix: Multi<&'a str>,
    /// Django tables `<app>_<model>` by (app, every tail of the model's name of 3+ letters).
    model_tail: Multi<(&'a str, &'a str)>,
    /// The one-column references given to [`infer`]: (child, column) → (parent, column).
    existing: FxHashMap<(Tid, &'a str), (Tid, &'a str)>,
    /// Tables (not partitions) with a one-column key, by that column's name.
    key_col: Multi<&'a str>,
}

impl<'a> Index<'a> {
    fn new(cat: &'a Catalog, existing: &'a [Reference]) -> Self {
        let n = cat.tables.len();
        let mut tid: FxHashMap<(&str, &str), Tid> =
            FxHashMap::with_capacity_and_hasher(n, Default::default());
        for (i, t) in cat.tables.iter().enumerate() {
            tid.insert((t.schema.as_str(), t.name.as_str()), i as Tid);
        }
        let mut given = FxHashMap::default();
        for r in existing {
            let find = |q: &QName| tid.get(&(q.schema.as_str(), q.name.as_str())).copied();
            if let ([c], [pc], Some(t), Some(p)) = (
                r.columns.as_slice(),
                r.referenced_columns.as_slice(),
                find(&r.table),
                find(&r.references),
            ) {
                given.insert((t, c.as_str()), (p, pc.as_str()));
            }
        }
        // Unique indexes on plain columns, without a predicate, by table.
        let mut uix: Vec<(Tid, usize)> = Vec::new();
        for (i, x) in cat.indexes.iter().enumerate() {
            if !x.unique || x.predicate.is_some() {
                continue;
            }
            if let Some(&t) = tid.get(&(x.table.schema.as_str(), x.table.name.as_str())) {
                let table = &cat.tables[t as usize];
                if x.columns.iter().all(|c| col_type(table, c).is_some()) {
                    uix.push((t, i));
                }
            }
        }
        uix.sort_unstable();
        let mut ix = Index {
            cat,
            kcols: Vec::with_capacity(n * 2),
            keys: Vec::with_capacity(n * 2),
            tkeys: Vec::with_capacity(n),
            by_name: Multi::with_capacity(n),
            by_suffix: Multi::with_capacity(n),
            model_tail: Multi::with_capacity(n),
            existing: given,
            key_col: Multi::with_capacity(n),
        };
        let mut u = 0;
        for (i, t) in cat.tables.iter().enumerate() {
            let i = i as Tid;
            let first = ix.keys.len() as u32;
            let add = |ix: &mut Index<'a>, cols: &'a [String]| {
                if cols.is_empty() {
                    return;
                }
                let start = ix.kcols.len() as u32;
                for &(ks, ke) in &ix.keys[first as usize..] {
                    if ix.kcols[ks as usize..ke as usize]
                        .iter()
                        .copied()
                        .eq(cols.iter().map(String::as_str))
                    {
                        return;
                    }
                }
                ix.kcols.extend(cols.iter().map(String::as_str));
                ix.keys.push((start, ix.kcols.len() as u32));
            };
            if let Some(pk) = &t.primary_key {
                add(&mut ix, &pk.columns);
            }
            for k in &t.unique {
                add(&mut ix, &k.columns);
            }
            while u < uix.len() && uix[u].0 == i {
                add(&mut ix, &cat.indexes[uix[u].1].columns);
                u += 1;
            }
            ix.tkeys.push((first, ix.keys.len() as u32));
            if t.partition_of.is_some() {
                continue;
            }
            let name = t.name.as_str();
            ix.by_name.insert(name, i);
            for (p, _) in name.match_indices('_') {
                if p + 1 < name.len() {
                    ix.by_suffix.insert(&name[p + 1..], i);
                }
            }
            if let Some((app, model)) = name.split_once('_') {
                if !model.contains('_') {
                    // Proper tails only: the whole model name is an ordinary suffix.
                    for (p, _) in model.char_indices().skip(1) {
                        if model.len() - p >= 3 {
                            ix.model_tail.insert((app, &model[p..]), i);
                        }
                    }
                }
            }
            for k in first..ix.keys.len() as u32 {
                let (ks, ke) = ix.keys[k as usize];
                if ke - ks == 1 {
                    ix.key_col.insert(ix.kcols[ks as usize], i);
                }
            }
        }
        ix
    }

    fn table(&self, t: Tid) -> &'a Table {
        &self.cat.tables[t as usize]
    }

    fn key(&self, k: u32) -> &[&'a str] {
        let (s, e) = self.keys[k as usize];
        &self.kcols[s as usize..e as usize]
    }

    fn keys_of(&self, t: Tid) -> std::ops::Range<u32> {
        let (s, e) = self.tkeys[t as usize];
        s..e
    }

    /// Whether `stem` names a table by its exact name (plural or as is).
    fn names_table(&self, stem: &str) -> bool {
        self.by_name.get(stem).next().is_some()
            || self.by_name.get(plural(stem).as_str()).next().is_some()
    }

    /// The column naming the target of a polymorphic `col` of `t`, if it is one; with
    /// `integer_kinds`, an integer `<x>_type` counts too.
    fn polymorphic(&self, t: &Table, col: &str, integer_kinds: bool) -> Option<String> {
        if col == "object_id" && col_type(t, "content_type_id").is_some() {
            return Some("content_type_id".to_string());
        }
        let x = col.strip_suffix("_id").filter(|x| !x.is_empty())?;
        // Rails's `<x>_type` holds a class name (text, or an enum type of names). An integer
        // `<x>_type` is more often a kind of the row than the table of `<x>_id`
        // (`runner_type integer` beside `runner_id`, which names `ci_runners`): it makes the
        // pair polymorphic only when `<x>_id` names no table at all (`integer_kinds`).
        let type_col = t.columns.iter().find(|c| {
            c.name.strip_suffix("_type") == Some(x)
                && (integer_kinds || !matches!(type_class(&c.data_type), TypeClass::Int(_)))
        })?;
        (!self.names_table(x)).then(|| type_col.name.clone())
    }

    /// The child and parent columns of a found reference.
    fn columns_of(&self, col: &str, f: &Found) -> (Vec<String>, Vec<String>) {
        let key = self.key(f.key);
        if f.composite {
            let cols: Vec<String> = key.iter().map(|s| s.to_string()).collect();
            (cols.clone(), cols)
        } else {
            (vec![col.to_string()], vec![key[0].to_string()])
        }
    }

    /// The key of `parent` that child column `col` of `child` can reference, if any: a
    /// one-column key `want` accepts with a compatible type, else a composite key holding `col`
    /// whose every column the child has, with compatible types.
    fn fit(&self, child: Tid, col: &str, want: Want<'_>, parent: Tid) -> Option<(u32, bool)> {
        let ct = self.table(child);
        let pt = self.table(parent);
        let ty = col_type(ct, col)?;
        let mut composite = None;
        for k in self.keys_of(parent) {
            let key = self.key(k);
            if let [kc] = key {
                let named = match want {
                    Want::Same => *kc == col,
                    Want::Named(n) => *kc == n,
                    Want::Id { stem } => id_like(kc, col, stem),
                };
                if named && col_type(pt, kc).is_some_and(|pty| compatible(ty, pty)) {
                    if parent == child && *kc == col {
                        continue; // a column referencing itself
                    }
                    return Some((k, false));
                }
            } else if composite.is_none()
                && !matches!(want, Want::Named(_))
                && key.contains(&col)
                && parent != child
                && key
                    .iter()
                    .all(|kc| match (col_type(ct, kc), col_type(pt, kc)) {
                        (Some(a), Some(b)) => compatible(a, b),
                        _ => false,
                    })
            {
                composite = Some((k, true));
            }
        }
        composite
    }

    /// The candidates for `stem`, by tier (see the module's documentation): 0 the table the
    /// child is named after, 1 the child's namespace, 2 the exact name, 3 a one-word
    /// namespace, 4 a longer prefix; sorted by tier, then catalog order.
    fn tiers(&self, child: Tid, stem: &str, prefixed: bool) -> Vec<(u8, Tid, Rule)> {
        let cname = self.table(child).name.as_str();
        let fw = first_word(cname);
        let pl = plural(stem);
        let flat = stem.contains('_').then(|| stem.replace('_', ""));
        let mut forms: [(&str, Rule, Rule); 3] = [
            (pl.as_str(), Rule::Rails, Rule::RailsNamespace),
            (stem, Rule::TableName, Rule::Django),
            ("", Rule::TableName, Rule::Django),
        ];
        if let Some(f) = &flat {
            forms[2].0 = f.as_str();
        }
        let mut out: Vec<(u8, Tid, Rule)> = Vec::new();
        let mut add = |tier: u8, t: Tid, rule: Rule| out.push((tier, t, rule));
        for (i, &(form, exact, ns)) in forms.iter().enumerate() {
            if form.is_empty() || (i == 1 && form == pl) {
                continue;
            }
            for t in self.by_name.get(form) {
                if !prefixed && named_after(cname, &self.table(t).name) {
                    add(0, t, Rule::ParentPrefix);
                }
                add(2, t, exact);
            }
            for t in self.by_suffix.get(form) {
                let name = self.table(t).name.as_str();
                let pre = &name[..name.len() - form.len() - 1];
                if !prefixed && named_after(cname, name) {
                    add(0, t, Rule::ParentPrefix);
                }
                if Some(pre) == fw {
                    add(1, t, ns);
                }
                add(if pre.contains('_') { 4 } else { 3 }, t, ns);
            }
        }
        // A table found by several forms counts once per tier, under the first form's rule (a
        // stable sort keeps the order of the forms); sorting beats a scan per insertion when
        // many tables share a suffix.
        out.sort_by_key(|&(tier, t, _)| (tier, t));
        out.dedup_by_key(|&mut (tier, t, _)| (tier, t));
        out
    }

    /// Picks among the tables of one tier that fit.
    fn decide(
        &self,
        child: Tid,
        col: &str,
        want: Want<'_>,
        prefixed: bool,
        cands: impl Iterator<Item = (Tid, Rule)>,
    ) -> Decision {
        let mut any = false;
        let mut fits: Vec<Fit> = Vec::new();
        for (t, rule) in cands {
            if t == child && !prefixed {
                continue;
            }
            any = true;
            if let Some((k, composite)) = self.fit(child, col, want, t) {
                fits.push((t, rule, k, composite));
            }
        }
        if !any {
            return Decision::Empty;
        }
        if fits.len() > 1 {
            let ct = self.table(child);
            let fw = first_word(&ct.name);
            let prefs: [&dyn Fn(&Fit) -> bool; 3] = [
                &|f| prefixed && f.0 == child,
                &|f| self.table(f.0).schema == ct.schema,
                &|f| fw.is_some() && first_word(&self.table(f.0).name) == fw,
            ];
            for p in prefs {
                if fits.len() > 1 && fits.iter().any(p) {
                    fits.retain(|f| p(f));
                }
            }
        }
        match fits.as_slice() {
            [] => Decision::Blocked,
            [(t, rule, k, composite)] => Decision::One(*t, *rule, *k, *composite),
            _ => Decision::Many(fits.iter().map(|f| f.0).collect(), fits[0].1),
        }
    }

    /// The reference of one column, by the conventions in order.
    fn column(&self, child: Tid, col: &str) -> Outcome {
        if let Some((stem, key)) = col.rsplit_once('_') {
            if !stem.is_empty() && (key == "id" || self.key_col.get(key).next().is_some()) {
                let want = if key == "id" {
                    Want::Id { stem }
                } else {
                    Want::Named(key)
                };
                match self.resolve(child, col, want, stem, false, 0) {
                    Outcome::Nothing => {}
                    found => return found,
                }
                if key == "id" {
                    return self.same_key(child, col, stem);
                }
            }
        }
        if col.ends_with("_id") {
            return Outcome::Nothing;
        }
        // The whole name: the key of the table it names (not the column's own table's), or a
        // person.
        if self.key_col.get(col).next().is_some()
            && !self.keys_of(child).any(|k| self.key(k) == [col])
        {
            let tiers = self.tiers(child, col, false);
            let exact = tiers
                .iter()
                .filter(|c| c.0 == 2)
                .map(|c| (c.1, Rule::KeyName));
            match self.decide(child, col, Want::Same, false, exact) {
                Decision::One(t, rule, k, composite) => {
                    return Outcome::Found(Found::new(t, rule, 60, k, composite))
                }
                Decision::Many(ts, rule) => return Outcome::Ambiguous(ts, rule),
                Decision::Blocked => return Outcome::Nothing,
                Decision::Empty => {}
            }
        }
        if is_person(col) {
            return self.person(child, col, Want::Id { stem: "user" });
        }
        Outcome::Nothing
    }

    /// Rule 6 for `<stem>_id`: the same name as the one-column key of exactly one other table
    /// (a name many tables key by is no clue). Not when the column is a key of its own table:
    /// two tables keyed alike are peers, neither the other's child. Not when the child is
    /// named after a table with a key holding the column (`remote_media_cache_thumbnails`
    /// belongs to `remote_media_cache(media_origin, media_id)`, whatever else is keyed by
    /// `media_id`): the child is that table's detail. The other table's key must be its
    /// identity: its primary key, or a unique key of a table without one; a unique `job_id`
    /// beside a primary key `id` is a has-one reference to the table jobs live in, and its
    /// siblings with a `job_id` point there, not at it. A key column that is itself a
    /// reference (a constraint, or a rule above) is followed to its parent.
    fn same_key(&self, child: Tid, col: &str, stem: &str) -> Outcome {
        if self.keys_of(child).any(|k| self.key(k) == [col]) {
            return Outcome::Nothing;
        }
        let ct = self.table(child);
        let cname = ct.name.as_str();
        for (p, _) in cname.rmatch_indices('_') {
            let mut owners = self
                .by_name
                .get(&cname[..p])
                .filter(|&t| self.table(t).schema == ct.schema);
            if let Some(t) = owners.next() {
                if self.keys_of(t).any(|k| self.key(k).contains(&col)) {
                    return match self.fit(child, col, Want::Same, t) {
                        Some((k, composite)) => {
                            Outcome::Found(Found::new(t, Rule::ParentPrefix, 70, k, composite))
                        }
                        None => Outcome::Nothing,
                    };
                }
            }
        }
        let mut others = self.key_col.get(col).filter(|&t| t != child);
        let (Some(t), None) = (others.next(), others.next()) else {
            return Outcome::Nothing;
        };
        let Some((k, false)) = self.fit(child, col, Want::Same, t) else {
            return Outcome::Nothing;
        };
        let pt = self.table(t);
        if pt.primary_key.is_some() && k != self.keys_of(t).start {
            return Outcome::Nothing;
        }
        // The key column's own reference, if it has one: its parent is the root.
        if let Some(&(root, rcol)) = self.existing.get(&(t, col)) {
            let ty = col_type(ct, col).unwrap_or_default();
            return match self.keys_of(root).find(|&rk| self.key(rk) == [rcol]) {
                Some(rk)
                    if root != child
                        && col_type(self.table(root), rcol).is_some_and(|p| compatible(ty, p)) =>
                {
                    Outcome::Found(Found::new(root, Rule::SameKey, 40, rk, false))
                }
                _ => Outcome::Nothing,
            };
        }
        match self.resolve(t, col, Want::Id { stem }, stem, false, 1) {
            Outcome::Found(f) if f.parent != child && !f.composite => {
                match self.fit(child, col, Want::Id { stem }, f.parent) {
                    Some((rk, false)) => {
                        Outcome::Found(Found::new(f.parent, Rule::SameKey, 40, rk, false))
                    }
                    _ => Outcome::Nothing,
                }
            }
            Outcome::Own | Outcome::Nothing => {
                Outcome::Found(Found::new(t, Rule::SameKey, 40, k, false))
            }
            Outcome::Found(_) | Outcome::Ambiguous(..) => Outcome::Nothing,
        }
    }

    /// The users table for a person column.
    fn person(&self, child: Tid, col: &str, want: Want<'_>) -> Outcome {
        let want = match want {
            Want::Id { .. } => Want::Id { stem: "user" },
            w => w,
        };
        match self.resolve(child, col, want, "user", true, 1) {
            Outcome::Found(f) => Outcome::Found(Found {
                rule: Rule::Person,
                // Right for 71 of the 73 person columns whose truth the corpus knows.
                confidence: if f.confidence >= 60 { 70 } else { f.confidence },
                ..f
            }),
            other => other,
        }
    }

    /// The reference `stem` names for column `col` of `child`.
    fn resolve(
        &self,
        child: Tid,
        col: &str,
        want: Want<'_>,
        stem: &str,
        prefixed: bool,
        depth: u8,
    ) -> Outcome {
        let tiers = self.tiers(child, stem, prefixed);
        if !prefixed && tiers.iter().any(|&(tier, t, _)| tier == 2 && t == child) {
            return Outcome::Own;
        }
        // A person is looked up by name in the child's own namespace and by exact name only:
        // a table in another namespace ending with the word is a table of people in a role
        // (`merge_request_assignees` for `work_item_assignees.assignee_id`), not the people.
        let person = stem != "user" && is_person(stem);
        let order: &[u8] = match (prefixed, person) {
            (true, false) => &[2, 1, 3, 4],
            (false, false) => &[0, 1, 2, 3, 4],
            (true, true) => &[2, 1],
            (false, true) => &[0, 1, 2],
        };
        for &tier in order {
            // A one-word stem that is its own table's name after one namespace word, with no
            // table named by the stem itself, is the table's own identifier too
            // (`presence_stream.stream_id`, a position in the presence stream, not a row of
            // `user_signature_stream`). Not a person, whom a table of people in a role names
            // (`merge_request_assignees.assignee_id`), nor a longer name, a detail of a table
            // named alike (`tags_implied_tags.implied_tag_id`).
            if tier == 3
                && !prefixed
                && !is_person(stem)
                && !stem.contains('_')
                && self.table(child).name.matches('_').count() == 1
                && tiers.iter().any(|&(tier, t, _)| tier == 3 && t == child)
            {
                return Outcome::Own;
            }
            let cands = tiers
                .iter()
                .filter(|c| c.0 == tier)
                .map(|&(_, t, rule)| (t, rule));
            match self.decide(child, col, want, prefixed, cands) {
                Decision::Empty => continue,
                Decision::Blocked => return Outcome::Nothing,
                Decision::Many(ts, rule) => return Outcome::Ambiguous(ts, rule),
                Decision::One(t, rule, k, composite) => {
                    // By tier, as often right on the corpus (`infer_corpus.rs` prints the
                    // share per rule and confidence). A model of another Django app
                    // (`auth_group` for a `sentry_*` table's `group_id`) is right for two
                    // columns in three there: an app often has its own model of the name
                    // under another table name (Sentry's `Group` is `sentry_groupedmessage`).
                    let confidence = match (tier, rule) {
                        (0, _) => 85,
                        (1, _) => 80,
                        (2, _) => 90,
                        (3, Rule::Django) => 60,
                        (3, _) => 70,
                        _ => 50,
                    };
                    return Outcome::Found(Found::new(t, rule, confidence, k, composite));
                }
            }
        }
        if SELF_ROLES.contains(&stem) {
            return match self.fit(child, col, want, child) {
                Some((k, composite)) => {
                    Outcome::Found(Found::new(child, Rule::SelfReference, 75, k, composite))
                }
                None => Outcome::Nothing,
            };
        }
        if stem != "user" && is_person(stem) {
            return self.person(child, col, want);
        }
        if depth == 0 {
            let fw = first_word(&self.table(child).name);
            let flat = stem.replace('_', "");
            if let Some(fw) = fw.filter(|_| flat.len() >= 3) {
                let cands = self
                    .model_tail
                    .get(&(fw, flat.as_str()))
                    .map(|t| (t, Rule::ModelSuffix));
                match self.decide(child, col, want, false, cands) {
                    Decision::One(t, rule, k, composite) => {
                        return Outcome::Found(Found::new(t, rule, 50, k, composite))
                    }
                    Decision::Many(ts, rule) => return Outcome::Ambiguous(ts, rule),
                    Decision::Blocked | Decision::Empty => {}
                }
            }
        }
        // A role prefix is a word or two (`created_by_`, `billing_`); a column of more words than
        // MAX_ROLE_WORDS is not followed further, which also bounds the recursion on generated names.
        if let Some((_, rest)) = stem.split_once('_').filter(|_| depth < MAX_ROLE_WORDS) {
            if !rest.is_empty() {
                let want = match want {
                    Want::Id { .. } => Want::Id { stem: rest },
                    w => w,
                };
                return match self.resolve(child, col, want, rest, true, depth + 1) {
                    Outcome::Found(f) => match f.rule {
                        Rule::Person | Rule::SelfReference | Rule::RolePrefix => Outcome::Found(f),
                        _ => Outcome::Found(Found {
                            rule: Rule::RolePrefix,
                            confidence: f.confidence.saturating_sub(15),
                            ..f
                        }),
                    },
                    other => other,
                };
            }
        }
        Outcome::Nothing
    }
}

/// A table of a tier that the column fits: (table, rule, key, composite).
type Fit = (Tid, Rule, u32, bool);

/// Which key column of a parent a child column can reference.
#[derive(Clone, Copy)]
enum Want<'s> {
    /// `<stem>_id`: an identifier-like key column ([`id_like`]).
    Id { stem: &'s str },
    /// `<stem>_<key>`: the key column named `<key>`.
    Named(&'s str),
    /// A key column with the column's own name.
    Same,
}

/// A reference found for one column.
#[derive(Debug, Clone, Copy)]
struct Found {
    parent: Tid,
    rule: Rule,
    confidence: u8,
    /// The parent's key ([`Index::key`]).
    key: u32,
    /// The key has several columns, all of which the child has under the same names.
    composite: bool,
}

impl Found {
    fn new(parent: Tid, rule: Rule, confidence: u8, key: u32, composite: bool) -> Self {
        Found {
            parent,
            rule,
            confidence,
            key,
            composite,
        }
    }
}

enum Outcome {
    Found(Found),
    Ambiguous(Vec<Tid>, Rule),
    /// The column is its table's own identifier (`rooms.room_id`).
    Own,
    Nothing,
}

enum Decision {
    /// No table of the tier (other than the child itself, unless for a role).
    Empty,
    /// Tables of the tier, none with a key the column fits.
    Blocked,
    One(Tid, Rule, u32, bool),
    Many(Vec<Tid>, Rule),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::{self, ReadOptions};
    use crate::references::from_constraints;
    use crate::source::SourceFile;

    fn read(sql: &str) -> Catalog {
        dump::read(
            &[SourceFile::new("t.sql", sql.to_string())],
            &ReadOptions::default(),
        )
    }

    /// Each inferred reference as `child(cols) -> parent(cols) rule`, each ambiguous column as
    /// `child.col ? a | b`, each polymorphic one as `child.col ~ type_col`.
    fn show(inf: &Inferred) -> Vec<String> {
        let mut out: Vec<String> = inf
            .references
            .iter()
            .map(|r| {
                format!(
                    "{}({}) -> {}({}) {}",
                    r.table.name,
                    r.columns.join(","),
                    r.references.name,
                    r.referenced_columns.join(","),
                    r.rule.map_or("-", Rule::as_str)
                )
            })
            .collect();
        out.extend(inf.ambiguous.iter().map(|a| {
            let c: Vec<String> = a.candidates.iter().map(|c| c.to_string()).collect();
            format!("{}.{} ? {}", a.table.name, a.column, c.join(" | "))
        }));
        out.extend(
            inf.polymorphic
                .iter()
                .map(|p| format!("{}.{} ~ {}", p.table.name, p.column, p.type_column)),
        );
        out
    }

    fn infer_sql(sql: &str) -> Vec<String> {
        show(&infer(&read(sql), &[]))
    }

    #[test]
    fn singulars_invert_plurals() {
        for (s, p) in [
            ("add_on", "add_ons"),
            ("category", "categories"),
            ("person", "people"),
            ("sales_person", "sales_people"),
            ("status", "statuses"),
            ("diary_entry", "diary_entries"),
            ("address", "addresses"),
            ("box", "boxes"),
            ("branch", "branches"),
            ("wife", "wives"),
            ("half", "halves"),
            ("analysis", "analyses"),
            ("datum", "data"),
            ("matrix", "matrices"),
            ("index", "indices"),
            ("quiz", "quizzes"),
            ("bus", "buses"),
            ("alias", "aliases"),
            ("octopus", "octopi"),
            ("day", "days"),
            ("key", "keys"),
            ("child", "children"),
            ("mouse", "mice"),
            ("equipment", "equipment"),
            ("news", "news"),
            ("user", "users"),
            ("tomato", "tomatoes"),
            ("hive", "hives"),
            ("movie", "movies"),
            ("shoe", "shoes"),
            ("objective", "objectives"),
            ("database", "databases"),
            ("series", "series"),
            ("auth_user", "auth_user"),
            ("billing_entity", "billing_entities"),
            ("staff", "staff"),
        ] {
            assert_eq!(singular(p), s, "{p}");
            // Already singular: unchanged.
            assert_eq!(singular(s), s, "{s}");
        }
    }

    #[test]
    fn rails_plurals_with_irregulars() {
        for (s, p) in [
            ("person", "people"),
            ("sales_person", "sales_people"),
            ("category", "categories"),
            ("status", "statuses"),
            ("diary_entry", "diary_entries"),
            ("address", "addresses"),
            ("box", "boxes"),
            ("branch", "branches"),
            ("wife", "wives"),
            ("half", "halves"),
            ("analysis", "analyses"),
            ("datum", "data"),
            ("medium", "media"),
            ("media", "media"),
            ("matrix", "matrices"),
            ("index", "indices"),
            ("quiz", "quizzes"),
            ("bus", "buses"),
            ("alias", "aliases"),
            ("octopus", "octopi"),
            ("day", "days"),
            ("key", "keys"),
            ("child", "children"),
            ("man", "men"),
            ("equipment", "equipment"),
            ("news", "news"),
            ("user", "users"),
            ("tomato", "tomatoes"),
            ("hive", "hives"),
        ] {
            assert_eq!(plural(s), p, "plural of {s}");
        }
        let got = infer_sql(
            "CREATE TABLE people (id bigint PRIMARY KEY);
             CREATE TABLE categories (id bigint PRIMARY KEY);
             CREATE TABLE statuses (id integer PRIMARY KEY);
             CREATE TABLE diary_entries (id bigint PRIMARY KEY);
             CREATE TABLE posts (id bigint PRIMARY KEY, person_id bigint, category_id bigint,
                                 status_id smallint, diary_entry_id integer, title text);",
        );
        assert_eq!(
            got,
            [
                "posts(person_id) -> people(id) rails",
                "posts(category_id) -> categories(id) rails",
                "posts(status_id) -> statuses(id) rails",
                "posts(diary_entry_id) -> diary_entries(id) rails",
            ]
        );
    }

    #[test]
    fn singular_table_names() {
        let got = infer_sql(
            "CREATE TABLE country (country_id integer PRIMARY KEY);
             CREATE TABLE city (city_id integer PRIMARY KEY, country_id smallint);
             CREATE TABLE address (address_id integer PRIMARY KEY, city_id integer);",
        );
        // `city.city_id` is the table's own identifier, not a reference to anything.
        assert_eq!(
            got,
            [
                "city(country_id) -> country(country_id) table-name",
                "address(city_id) -> city(city_id) table-name",
            ]
        );
    }

    #[test]
    fn django_drops_the_underscores_of_a_model_name() {
        let got = infer_sql(
            "CREATE TABLE sentry_organization (id bigint PRIMARY KEY);
             CREATE TABLE sentry_organizationintegration (id bigint PRIMARY KEY,
                 organization_id bigint);
             CREATE TABLE sentry_repository (id bigint PRIMARY KEY, organization_integration_id bigint);",
        );
        assert_eq!(
            got,
            [
                "sentry_organizationintegration(organization_id) -> sentry_organization(id) django",
                "sentry_repository(organization_integration_id) -> sentry_organizationintegration(id) django",
            ]
        );
    }

    #[test]
    fn rails_namespaces_prefer_the_childs_own() {
        let got = infer_sql(
            "CREATE TABLE ci_runners (id bigint PRIMARY KEY);
             CREATE TABLE ci_builds (id bigint PRIMARY KEY, runner_id bigint);
             CREATE TABLE topics (id bigint PRIMARY KEY);
             CREATE TABLE forum_topics (id bigint PRIMARY KEY);
             CREATE TABLE forum_posts (id bigint PRIMARY KEY, topic_id bigint);
             CREATE TABLE posts (id bigint PRIMARY KEY, topic_id bigint);",
        );
        assert_eq!(
            got,
            [
                "ci_builds(runner_id) -> ci_runners(id) rails-namespace",
                "forum_posts(topic_id) -> forum_topics(id) rails-namespace",
                "posts(topic_id) -> topics(id) rails",
            ]
        );
    }

    #[test]
    fn a_child_named_after_its_parent() {
        let got = infer_sql(
            "CREATE TABLE sessions (session_id text PRIMARY KEY);
             CREATE TABLE ui_auth_sessions (session_id text PRIMARY KEY);
             CREATE TABLE ui_auth_sessions_credentials (session_id text NOT NULL, stage_type text);",
        );
        assert_eq!(
            got,
            [
                // The rule sees a `sessions` table; two tables keyed alike look like parent and
                // child to it.
                "ui_auth_sessions(session_id) -> sessions(session_id) rails",
                "ui_auth_sessions_credentials(session_id) -> ui_auth_sessions(session_id) parent-prefix",
            ]
        );
    }

    #[test]
    fn role_prefixes() {
        let got = infer_sql(
            "CREATE TABLE projects (id bigint PRIMARY KEY);
             CREATE TABLE namespaces (id bigint PRIMARY KEY, root_namespace_id bigint);
             CREATE TABLE merge_requests (id bigint PRIMARY KEY, source_project_id bigint,
                 target_project_id bigint);",
        );
        assert_eq!(
            got,
            [
                "namespaces(root_namespace_id) -> namespaces(id) role-prefix",
                "merge_requests(source_project_id) -> projects(id) role-prefix",
                "merge_requests(target_project_id) -> projects(id) role-prefix",
            ]
        );
    }

    /// The fuzzer's find: a column of 300 words recursed once per word until the depth counter
    /// overflowed. Role prefixes are followed MAX_ROLE_WORDS words deep and no further.
    #[test]
    fn a_column_of_hundreds_of_words_is_not_followed_to_the_end() {
        let long = format!("{}project_id", "a_".repeat(300));
        let deep = format!("{}project_id", "a_".repeat(MAX_ROLE_WORDS as usize + 1));
        let sql = format!(
            "CREATE TABLE projects (id bigint PRIMARY KEY);
             CREATE TABLE t (id bigint PRIMARY KEY, \"{long}\" bigint, \"{deep}\" bigint);"
        );
        let shallow = format!("{}project_id", "a_".repeat(MAX_ROLE_WORDS as usize));
        let sql_shallow = format!(
            "CREATE TABLE projects (id bigint PRIMARY KEY);
             CREATE TABLE t (id bigint PRIMARY KEY, \"{shallow}\" bigint);"
        );
        assert_eq!(infer_sql(&sql), Vec::<String>::new());
        assert_eq!(
            infer_sql(&sql_shallow),
            [format!("t({shallow}) -> projects(id) role-prefix")]
        );
    }

    #[test]
    fn people_in_a_role_point_at_the_users_table() {
        let got = infer_sql(
            "CREATE TABLE users (id bigint PRIMARY KEY, inviter_id bigint);
             CREATE TABLE issues (id bigint PRIMARY KEY, author_id bigint, created_by_id bigint,
                 owner_id bigint, assignee_id bigint, updated_by bigint, reviewer_id uuid);",
        );
        // `reviewer_id uuid` does not fit `users.id bigint`.
        assert_eq!(
            got,
            [
                "users(inviter_id) -> users(id) person",
                "issues(author_id) -> users(id) person",
                "issues(created_by_id) -> users(id) person",
                "issues(owner_id) -> users(id) person",
                "issues(assignee_id) -> users(id) person",
                "issues(updated_by) -> users(id) person",
            ]
        );
        // Django's users table is `auth_user`.
        let got = infer_sql(
            "CREATE TABLE auth_user (id integer PRIMARY KEY);
             CREATE TABLE sentry_release (id bigint PRIMARY KEY, owner_id integer);",
        );
        assert_eq!(got, ["sentry_release(owner_id) -> auth_user(id) person"]);
    }

    #[test]
    fn a_person_is_not_a_table_of_people_in_a_role() {
        let got = infer_sql(
            "CREATE TABLE users (id bigint PRIMARY KEY);
             CREATE TABLE merge_request_assignees (id bigint PRIMARY KEY, user_id bigint);
             CREATE TABLE work_item_assignees (id bigint PRIMARY KEY, assignee_id bigint);",
        );
        assert_eq!(
            got,
            [
                "merge_request_assignees(user_id) -> users(id) rails",
                "work_item_assignees(assignee_id) -> users(id) person",
            ]
        );
    }

    #[test]
    fn a_stem_naming_its_own_table_after_a_namespace_is_its_identifier() {
        let got = infer_sql(
            "CREATE TABLE user_signature_stream (stream_id bigint PRIMARY KEY);
             CREATE TABLE presence_stream (stream_id bigint, user_id text);
             CREATE TABLE blockchain_address_labels (id bigint PRIMARY KEY);
             CREATE TABLE blockchain_address_user_pairs_labels (id bigint PRIMARY KEY,
                 label_id bigint);",
        );
        // `presence_stream.stream_id` is a position in the presence stream. The pairs' labels
        // are a detail of the address labels, not a namespace's `labels`.
        assert_eq!(
            got,
            ["blockchain_address_user_pairs_labels(label_id) -> blockchain_address_labels(id) rails-namespace"]
        );
    }

    #[test]
    fn self_references() {
        let got = infer_sql(
            "CREATE TABLE comments (id bigint PRIMARY KEY, parent_id bigint, root_parent_id bigint);
             CREATE TABLE tag_versions (id bigint PRIMARY KEY, previous_version_id bigint);
             CREATE TABLE note_versions (id bigint PRIMARY KEY);",
        );
        assert_eq!(
            got,
            [
                "comments(parent_id) -> comments(id) self-reference",
                "comments(root_parent_id) -> comments(id) self-reference",
                "tag_versions(previous_version_id) -> tag_versions(id) role-prefix",
            ]
        );
    }

    #[test]
    fn same_name_as_a_unique_key_elsewhere() {
        let got = infer_sql(
            "CREATE TABLE local_media_repository (media_id text, media_type text);
             CREATE UNIQUE INDEX local_media_repository_media_id_key ON local_media_repository (media_id);
             CREATE TABLE local_media_repository_thumbnails (media_id text, thumbnail_width integer);
             CREATE TABLE media_cache (media_id text PRIMARY KEY);
             CREATE TABLE url_cache (url text, media_id integer);
             CREATE TABLE destinations (destination text PRIMARY KEY);
             CREATE TABLE destination_rooms (destination text NOT NULL, room_id text NOT NULL);",
        );
        // Two tables are keyed by `media_id`, but the thumbnails are named after one of them.
        // (And `local_media_repository.media_id` beside `media_type`, naming no table `media`,
        // is polymorphic.)
        assert_eq!(
            got,
            [
                "local_media_repository_thumbnails(media_id) -> local_media_repository(media_id) parent-prefix",
                "destination_rooms(destination) -> destinations(destination) key-name",
                "local_media_repository.media_id ~ media_type",
            ]
        );
        let got = infer_sql(
            "CREATE TABLE rooms (room_id text PRIMARY KEY);
             CREATE TABLE event_json (event_id text, json text);
             CREATE TABLE events (stream_ordering bigint, event_id text UNIQUE, room_id text);
             CREATE TABLE blocks (id bigint PRIMARY KEY, event_id text);",
        );
        assert_eq!(
            got,
            [
                "event_json(event_id) -> events(event_id) rails",
                "events(room_id) -> rooms(room_id) rails",
                "blocks(event_id) -> events(event_id) rails",
            ]
        );
        let got = infer_sql(
            "CREATE TABLE local_media_repository (media_id text, media_kind text);
             CREATE UNIQUE INDEX local_media_repository_media_id_key ON local_media_repository (media_id);
             CREATE TABLE thumbnails (media_id text, thumbnail_width integer);
             CREATE TABLE url_cache (url text, media_id integer);",
        );
        // One table keyed by `media_id`; `url_cache.media_id integer` does not fit its text.
        assert_eq!(
            got,
            ["thumbnails(media_id) -> local_media_repository(media_id) same-key"]
        );
        let got = infer_sql(
            "CREATE TABLE account_data (room_tag_id text PRIMARY KEY);
             CREATE TABLE tags (id bigint PRIMARY KEY, room_tag_id text);",
        );
        assert_eq!(
            got,
            ["tags(room_tag_id) -> account_data(room_tag_id) same-key"]
        );
    }

    #[test]
    fn same_key_needs_the_parents_identity() {
        // `job_id` is unique in `ci_job_definition_instances`, beside its primary key `id`: a
        // has-one reference to wherever jobs live, not the identity of a job.
        let got = infer_sql(
            "CREATE TABLE ci_builds (id bigint PRIMARY KEY);
             CREATE TABLE ci_job_definition_instances (id bigint PRIMARY KEY, job_id bigint);
             CREATE UNIQUE INDEX ON ci_job_definition_instances (job_id);
             CREATE TABLE ci_job_artifacts (id bigint PRIMARY KEY, job_id bigint);",
        );
        assert!(got.is_empty(), "{got:?}");
        // A detail named after a table whose key holds the column belongs to that table, even
        // with another table keyed by the column alone.
        let got = infer_sql(
            "CREATE TABLE media_repository (media_id text PRIMARY KEY);
             CREATE TABLE remote_media_cache (media_origin text, media_id text, media_type text,
                 UNIQUE (media_origin, media_id));
             CREATE TABLE remote_media_cache_thumbnails (media_origin text, media_id text);",
        );
        assert_eq!(
            got,
            [
                "remote_media_cache_thumbnails(media_origin,media_id) -> remote_media_cache(media_origin,media_id) parent-prefix",
                "remote_media_cache.media_id ~ media_type",
            ]
        );
        // A key column with a constraint of its own is followed to its parent.
        let cat = read(
            "CREATE TABLE builds (id bigint PRIMARY KEY);
             CREATE TABLE job_metadata (job_id bigint PRIMARY KEY);
             CREATE TABLE job_variables (id bigint PRIMARY KEY, job_id bigint);
             ALTER TABLE job_metadata ADD CONSTRAINT m FOREIGN KEY (job_id) REFERENCES builds(id);",
        );
        assert_eq!(
            show(&infer(&cat, &from_constraints(&cat))),
            ["job_variables(job_id) -> builds(id) same-key"]
        );
        let mut blind = cat.clone();
        blind.foreign_keys.clear();
        assert_eq!(
            show(&infer(&blind, &[])),
            ["job_variables(job_id) -> job_metadata(job_id) same-key"]
        );
    }

    #[test]
    fn keys_named_other_than_id() {
        let got = infer_sql(
            "CREATE TABLE languages (code character varying(255) PRIMARY KEY);
             CREATE TABLE questionnaires (uuid uuid PRIMARY KEY);
             CREATE TABLE login_sessions (id bigint PRIMARY KEY, login_id uuid NOT NULL);
             CREATE UNIQUE INDEX index_login_sessions_on_login_id ON login_sessions (login_id);
             CREATE TABLE answers (id bigint PRIMARY KEY, language_code character varying,
                 questionnaire_uuid uuid, login_session_id uuid);",
        );
        assert_eq!(
            got,
            [
                "answers(language_code) -> languages(code) rails",
                "answers(questionnaire_uuid) -> questionnaires(uuid) rails",
                "answers(login_session_id) -> login_sessions(login_id) rails",
            ]
        );
    }

    #[test]
    fn composite_keys() {
        let got = infer_sql(
            "CREATE TABLE nodes (node_id bigint, version bigint, PRIMARY KEY (node_id, version));
             CREATE TABLE node_tags (node_id bigint, version bigint, k text);
             CREATE TABLE devices (user_id text, device_id text, UNIQUE (user_id, device_id));
             CREATE TABLE users (name text PRIMARY KEY);
             CREATE TABLE access_tokens (id bigint PRIMARY KEY, user_id text, device_id text);",
        );
        assert_eq!(
            got,
            [
                "node_tags(node_id,version) -> nodes(node_id,version) rails",
                "devices(user_id) -> users(name) rails",
                "access_tokens(user_id) -> users(name) rails",
                "access_tokens(user_id,device_id) -> devices(user_id,device_id) rails",
            ]
        );
    }

    #[test]
    fn polymorphic_pairs_pick_no_parent() {
        let got = infer_sql(
            "CREATE TABLE payment_methods (id uuid PRIMARY KEY);
             CREATE TABLE owners (id uuid PRIMARY KEY);
             CREATE TABLE wallets (id uuid PRIMARY KEY, payable_id uuid, payable_type text,
                 payment_method_id uuid, payment_method_type text);
             CREATE TABLE django_admin_log (id integer PRIMARY KEY, object_id text,
                 content_type_id integer);
             CREATE TABLE django_content_type (id integer PRIMARY KEY);",
        );
        // `payment_method_type` beside a `payment_methods` table is a kind, not a class name.
        assert_eq!(
            got,
            [
                "wallets(payment_method_id) -> payment_methods(id) rails",
                "django_admin_log(content_type_id) -> django_content_type(id) django",
                "wallets.payable_id ~ payable_type",
                "django_admin_log.object_id ~ content_type_id",
            ]
        );
    }

    #[test]
    fn an_integer_type_column_is_a_kind_unless_nothing_else_fits() {
        let got = infer_sql(
            "CREATE TABLE ci_runners (id bigint PRIMARY KEY);
             CREATE TABLE ci_runner_taggings (id bigint PRIMARY KEY, runner_id bigint,
                 runner_type integer);
             CREATE TABLE commits (id bigint PRIMARY KEY);
             CREATE TABLE group_links (id bigint PRIMARY KEY, linked_id bigint,
                 linked_type integer);
             CREATE TYPE nwr AS ENUM ('Node', 'Way', 'Relation');
             CREATE TABLE relation_members (id bigint PRIMARY KEY, member_id bigint,
                 member_type nwr);",
        );
        // `runner_type integer` is the runner's kind; `runner_id` names `ci_runners`. A
        // `linked_id` names no table: its integer `linked_type` says which, as an enum type does.
        assert_eq!(
            got,
            [
                "ci_runner_taggings(runner_id) -> ci_runners(id) rails-namespace",
                "group_links.linked_id ~ linked_type",
                "relation_members.member_id ~ member_type",
            ]
        );
    }

    #[test]
    fn a_smallint_does_not_reference_a_bigint_key() {
        let got = infer_sql(
            "CREATE TABLE ci_build_pending_states (id bigint PRIMARY KEY);
             CREATE TABLE statuses (id integer PRIMARY KEY);
             CREATE TABLE ci_pipelines (id bigint PRIMARY KEY);
             CREATE TABLE work_items (id bigint PRIMARY KEY, state_id smallint,
                 status_id smallint, pipeline_id integer);",
        );
        // `state_id smallint` is an enum, not a row of a table keyed by bigint; a smallint
        // still fits an integer key (sakila's `city.country_id`), an integer a bigint one.
        assert_eq!(
            got,
            [
                "work_items(status_id) -> statuses(id) rails",
                "work_items(pipeline_id) -> ci_pipelines(id) rails-namespace",
            ]
        );
    }

    #[test]
    fn two_plausible_parents_pick_neither() {
        let got = infer_sql(
            "CREATE TABLE shop_widgets (id bigint PRIMARY KEY);
             CREATE TABLE admin_widgets (id bigint PRIMARY KEY);
             CREATE TABLE orders (id bigint PRIMARY KEY, widget_id bigint);
             CREATE SCHEMA a; CREATE SCHEMA b;
             CREATE TABLE a.accounts (id bigint PRIMARY KEY);
             CREATE TABLE b.accounts (id bigint PRIMARY KEY);
             CREATE TABLE b.logins (id bigint PRIMARY KEY, account_id bigint);
             CREATE TABLE public.logins (id bigint PRIMARY KEY, account_id bigint);",
        );
        // `b.logins` prefers its own schema's `accounts`; `public.logins` has two.
        assert_eq!(
            got,
            [
                "logins(account_id) -> accounts(id) rails",
                "orders.widget_id ? public.shop_widgets | public.admin_widgets",
                "logins.account_id ? a.accounts | b.accounts",
            ]
        );
        let inf = infer(
            &read(
                "CREATE SCHEMA b; CREATE TABLE b.accounts (id bigint PRIMARY KEY);
             CREATE TABLE b.logins (id bigint PRIMARY KEY, account_id bigint);",
            ),
            &[],
        );
        assert_eq!(inf.references[0].references, QName::new("b", "accounts"));
    }

    #[test]
    fn incompatible_types_are_rejected() {
        let got = infer_sql(
            "CREATE TABLE users (id bigint PRIMARY KEY);
             CREATE TABLE app_users (id uuid PRIMARY KEY);
             CREATE TABLE events (id bigint PRIMARY KEY, user_id uuid, organization_id text);
             CREATE TABLE organizations (id integer PRIMARY KEY);",
        );
        // `users` is the table `user_id` names; its key is not a uuid: nothing is inferred,
        // not `app_users` either.
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn columns_with_a_constraint_are_not_inferred_again() {
        let cat = read(
            "CREATE TABLE users (id bigint PRIMARY KEY);
             CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint, editor_id bigint);
             ALTER TABLE posts ADD CONSTRAINT posts_user FOREIGN KEY (user_id) REFERENCES users(id);",
        );
        let got = show(&infer(&cat, &from_constraints(&cat)));
        assert_eq!(got, ["posts(editor_id) -> users(id) person"]);
        let mut blind = cat.clone();
        blind.foreign_keys.clear();
        assert_eq!(
            show(&infer(&blind, &[])),
            [
                "posts(user_id) -> users(id) rails",
                "posts(editor_id) -> users(id) person"
            ]
        );
    }

    #[test]
    fn another_apps_model_is_less_certain() {
        let inf = infer(
            &read(
                "CREATE TABLE auth_user (id integer PRIMARY KEY);
                 CREATE TABLE auth_group (id integer PRIMARY KEY);
                 CREATE TABLE sentry_project (id bigint PRIMARY KEY);
                 CREATE TABLE sentry_activity (id bigint PRIMARY KEY, group_id bigint,
                     project_id bigint, user_id integer, actor_id integer);",
            ),
            &[],
        );
        let got: Vec<(&str, &str, u8)> = inf
            .references
            .iter()
            .map(|r| {
                (
                    r.columns[0].as_str(),
                    r.references.name.as_str(),
                    r.confidence.0,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("group_id", "auth_group", 60),
                ("project_id", "sentry_project", 80),
                ("user_id", "auth_user", 60),
                ("actor_id", "auth_user", 70),
            ]
        );
    }

    #[test]
    fn model_suffix_within_a_django_app() {
        let got = infer_sql(
            "CREATE TABLE sentry_fileblob (id bigint PRIMARY KEY);
             CREATE TABLE sentry_file (id bigint PRIMARY KEY, blob_id bigint);
             CREATE TABLE other_blobstore (id bigint PRIMARY KEY, blob_id bigint);",
        );
        assert_eq!(
            got,
            ["sentry_file(blob_id) -> sentry_fileblob(id) model-suffix"]
        );
    }

    #[test]
    fn partitions_follow_their_root() {
        let sql = "CREATE TABLE customer (customer_id integer PRIMARY KEY);
             CREATE TABLE staff (staff_id integer PRIMARY KEY);
             CREATE TABLE payment (payment_id integer, customer_id integer, staff_id integer)
                 PARTITION BY RANGE (payment_id);
             CREATE TABLE payment_p1 PARTITION OF payment FOR VALUES FROM (0) TO (10);
             CREATE TABLE payment_p2 PARTITION OF payment FOR VALUES FROM (10) TO (20);";
        assert_eq!(
            infer_sql(sql),
            [
                "payment(customer_id) -> customer(customer_id) table-name",
                "payment(staff_id) -> staff(staff_id) table-name",
            ]
        );
        // A key declared on a partition covers the root's column.
        let cat = read(&format!(
            "{sql}
             ALTER TABLE ONLY payment_p1 ADD CONSTRAINT p1_c FOREIGN KEY (customer_id)
                 REFERENCES customer(customer_id);"
        ));
        assert_eq!(
            show(&infer(&cat, &from_constraints(&cat))),
            ["payment(staff_id) -> staff(staff_id) table-name"]
        );
    }

    #[test]
    fn inferred_references_carry_kind_rule_confidence_and_line() {
        let inf = infer(
            &read("CREATE TABLE users (id bigint PRIMARY KEY);\n\nCREATE TABLE posts (\n  user_id bigint\n);"),
            &[],
        );
        let r = &inf.references[0];
        assert_eq!(r.kind, Kind::Inferred);
        assert_eq!(r.rule, Some(Rule::Rails));
        assert_eq!(r.confidence, Confidence(90));
        assert_eq!(r.on_delete, None);
        assert_eq!(r.constraint, None);
        assert_eq!(r.span.line, 3);
        let json = serde_json::to_value(r).unwrap();
        assert_eq!(json["kind"], "inferred");
        assert_eq!(json["rule"], "rails");
        assert_eq!(json["confidence"], 0.9);
    }
}
