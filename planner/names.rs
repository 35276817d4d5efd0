//! Every name silo-plan derives from the names of silos, instances, tables and constraints: the
//! one place their rules live.
//!
//! A derived name must never stand for two inputs (two tables whose trigger functions share a
//! name record each other's deletes; two silos that share a subscription name steal each other's
//! slot), and it must fit Postgres's identifier limit of 63 bytes (longer names are cut by the
//! server with only a notice, after which two of them may be one). The rules:
//!
//! * **Silo keys.** A silo's name as database objects, psql variables and environment variables
//!   carry it: [`silo_key`], lowercase with `-` as `_` (`Us-West` → `us_west`; environment
//!   variables take it in upper case, `US_WEST_URL`). Instances of a multi-instance silo get the
//!   same treatment ([`instance_key`]). Two silos whose keys, or any name made from them, are
//!   equal are a config error at the second one's name ([`silo_names`], checked by
//!   [`crate::config::parse`]): the names are the user's, so is the fix. File names keep the
//!   silo's name as written and are compared without case (macOS and Windows file systems).
//! * **Per-table objects in the shared schema `silo_plan`** (the tombstone trigger function of
//!   a parent table, `record_<schema>_<table>`): [`table_object`]. The plain form joins prefix,
//!   schema and table with `_`, which is ambiguous (`a.b_c` and `a_b.c` both give
//!   `record_a_b_c`) unless the schema has no `_`: then the first `_` after the prefix ends the
//!   schema, and the plain form is kept (`record_public_auth_user`). Otherwise, and whenever the
//!   plain form is longer than 63 bytes, the name is cut to 54 bytes and ended by `_` and 8 hex
//!   digits of a fixed hash ([`hash`], FNV-1a over the exact prefix, schema and table, so the
//!   same on every run and platform). [`unique_table_objects`] then makes the names of one plan
//!   distinct even against a hash collision (a counter in the hash input).
//! * **Names fitted to 63 bytes** ([`fit`]): every other derived identifier is kept as it is
//!   when it fits, else cut and ended by the hash of its inputs in the same way.
//! * **Texts that name a table or key inside the data** (a tombstone's `table_name`, a
//!   watermark's edge): [`table_text`] and [`edge_key`] write `schema.table` (and
//!   `.constraint`) unquoted when no part has a `.` (the only form before, so such names are unchanged), and
//!   quoted as SQL otherwise, so `"a.b".c` and `a."b.c"` stay apart.
//! * **An instance's tombstone source** is `<silo>/<instance>` ([`instance_source`]): what
//!   `cascades/<silo>.replication.sql -v instance=...` writes and what the stubs' pump is given.
//!
//! Index names that `fks/drop.sql` builds are derived in [`crate::plan::fks`]: they are checked
//! against the dump's own relation names, which only the plan knows.

use crate::catalog::QName;
use crate::ident::{push_ident, qualified};

/// Postgres's identifier length limit in bytes (`NAMEDATALEN - 1`).
pub const MAX_IDENT: usize = 63;

/// Between a silo and its instance in a tombstone's `source`: `region/us`.
pub const INSTANCE_SEPARATOR: char = '/';

/// `_` and 8 hex digits: what a cut name ends with.
const HASH_SUFFIX_LEN: usize = 9;

/// FNV-1a, 32 bits, over the parts, each followed by a NUL byte (which no Postgres name
/// contains, so `["ab", "c"]` and `["a", "bc"]` differ): stable across runs, platforms and
/// Rust versions.
pub fn hash(parts: &[&str]) -> u32 {
    let mut h = 0x811c_9dc5u32;
    for p in parts {
        for &b in p.as_bytes().iter().chain(std::iter::once(&0u8)) {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
    }
    h
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `name` cut to leave room and ended by `_` and 8 hex digits of `hash(parts)`: at most `max`
/// bytes.
fn hashed(name: &str, max: usize, parts: &[&str]) -> String {
    let mut out = truncate(name, max.saturating_sub(HASH_SUFFIX_LEN)).to_string();
    out.push_str(&format!("_{:08x}", hash(parts)));
    out
}

/// `name` when it has at most `max` bytes, else cut and ended by the hash of `parts` (the
/// inputs it was made from).
pub fn fit(name: &str, max: usize, parts: &[&str]) -> String {
    if name.len() <= max {
        name.to_string()
    } else {
        hashed(name, max, parts)
    }
}

/// The name of a silo as the names made from it carry it: lowercase, `-` as `_` (silo names
/// are ASCII letters, digits, `_` and `-`).
pub fn silo_key(silo: &str) -> String {
    silo.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// An instance's name as subscription names carry it: as [`silo_key`].
pub fn instance_key(instance: &str) -> String {
    silo_key(instance)
}

/// The tombstone `source` of a silo's database: the silo, or `<silo>/<instance>` for one
/// instance of a multi-instance silo.
pub fn instance_source(silo: &str, instance: Option<&str>) -> String {
    match instance {
        None | Some("") => silo.to_string(),
        Some(i) => format!("{silo}{INSTANCE_SEPARATOR}{i}"),
    }
}

/// The environment variable of a silo's database: `CONTROL_URL` (`what` = `URL`),
/// `CONTROL_CONNINFO`.
pub fn env_var(silo: &str, what: &str) -> String {
    let mut s = silo_key(silo).to_ascii_uppercase();
    s.push('_');
    s.push_str(what);
    s
}

/// A name in schema `silo_plan` for one silo: `<prefix><key><suffix>` fitted to 63 bytes
/// (`apply_control`, `tombstones_region_apply`, `silo_plan_move_control`).
pub fn silo_object(prefix: &str, silo: &str, suffix: &str) -> String {
    let key = silo_key(silo);
    fit(
        &format!("{prefix}{key}{suffix}"),
        MAX_IDENT,
        &[prefix, &key, suffix],
    )
}

/// The subscription (and replication slot) of silo `to` to silo `from`'s tombstones, without
/// the instance suffix (`_<instance>`, added at run time): `silo_plan_<from>_to_<to>`, fitted to
/// leave `room` bytes for the suffix.
pub fn subscription(from: &str, to: &str, room: usize) -> String {
    let (f, t) = (silo_key(from), silo_key(to));
    fit(
        &format!("silo_plan_{f}_to_{t}"),
        MAX_IDENT.saturating_sub(room),
        &["silo_plan_", &f, "_to_", &t],
    )
}

/// The room a subscription name of silo `to` leaves for `_<instance>`: the longest of its
/// instances' keys plus one, 0 without instances.
pub fn instance_room(instances: &[String]) -> usize {
    instances
        .iter()
        .map(|i| instance_key(i).len() + 1)
        .max()
        .unwrap_or(0)
}

/// A per-table object in schema `silo_plan` (`record_public_auth_user`): see the module
/// documentation.
pub fn table_object(prefix: &str, t: &QName) -> String {
    table_object_salted(prefix, t, 0)
}

fn table_object_salted(prefix: &str, t: &QName, salt: u32) -> String {
    let full = format!("{prefix}_{}_{}", t.schema, t.name);
    if salt == 0 && !t.schema.contains('_') && full.len() <= MAX_IDENT {
        return full;
    }
    let salt_text = salt.to_string();
    let mut parts = vec![prefix, t.schema.as_str(), t.name.as_str()];
    if salt > 0 {
        parts.push(&salt_text);
    }
    hashed(&full, MAX_IDENT, &parts)
}

/// [`table_object`] of each table, made distinct: a table whose name an earlier one (in the
/// order given) already has gets the hash of its inputs and a counter instead. Give the tables
/// in a stable order (sorted) so the result is the same on every run.
pub fn unique_table_objects(prefix: &str, tables: &[&QName]) -> Vec<String> {
    // Membership only: rustc's fast hash.
    let mut taken = rustc_hash::FxHashSet::default();
    taken.reserve(tables.len());
    tables
        .iter()
        .map(|t| {
            let mut salt = 0;
            loop {
                let n = table_object_salted(prefix, t, salt);
                if taken.insert(n.clone()) {
                    return n;
                }
                salt += 1;
            }
        })
        .collect()
}

/// The names of the reservation objects of keys that stay unique across instances, one per
/// key in the order given: `<table>_<columns joined by _>`, which the caller prefixes
/// (`reservation_`, `reserve_`, `release_`, [`fit`] to 63 bytes with the hash of prefix and
/// base). A base that an earlier key already has (`a_b.c` and `a.b_c`, or two schemas' tables
/// of one name), or that would not fit behind the longest prefix, is cut and ended by the hash
/// of schema, table, columns and a counter: distinct on every run. Give the keys sorted.
pub fn unique_key_objects(keys: &[(&QName, &[String])]) -> Vec<String> {
    // The longest prefix is `reservation_` (12 bytes).
    const ROOM: usize = MAX_IDENT - 12;
    let mut taken = std::collections::BTreeSet::new();
    keys.iter()
        .map(|(t, cols)| {
            let base = format!("{}_{}", t.name, cols.join("_"));
            let mut salt = 0u32;
            loop {
                let name = if salt == 0 && base.len() <= ROOM {
                    base.clone()
                } else {
                    let salt_text = salt.to_string();
                    let mut parts = vec![t.schema.as_str(), t.name.as_str()];
                    parts.extend(cols.iter().map(String::as_str));
                    parts.push(&salt_text);
                    hashed(&base, ROOM, &parts)
                };
                if taken.insert(name.clone()) {
                    return name;
                }
                salt += 1;
            }
        })
        .collect()
}

/// A table as a tombstone's `table_name` names it: `schema.table` unquoted when neither part
/// has a `.`, else quoted as SQL (`"a.b".c`), so two tables never share the text.
pub fn table_text(t: &QName) -> String {
    if t.schema.contains('.') || t.name.contains('.') {
        qualified(t)
    } else {
        t.to_string()
    }
}

/// The watermark key of a broken edge (`silo_plan.watermarks.edge`): the constraint's name when
/// no other broken edge has it (`unique`) and it has no `.`; else `schema.table.constraint`,
/// unquoted when no part has a `.`, quoted as SQL otherwise. The three forms have no dot, two
/// dots, and three or more, so none can equal another.
pub fn edge_key(table: &QName, constraint: &str, unique: bool) -> String {
    if unique && !constraint.contains('.') {
        return constraint.to_string();
    }
    if !constraint.contains('.') && !table.schema.contains('.') && !table.name.contains('.') {
        return format!("{table}.{constraint}");
    }
    let mut out = qualified(table);
    out.push('.');
    push_ident(&mut out, constraint);
    out
}

// ---------------------------------------------------------------------------------------------
// The names made from silos, for the config's check.

/// Where a derived name lives: names in the same namespace must differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Namespace {
    /// Files and directories of the plan, compared without case.
    File,
    /// Environment variables of `phases/run.sh` and the files' headers.
    EnvVar,
    /// psql variables of the phase files.
    PsqlVar,
    /// Tables, indexes and sequences in schema `silo_plan`.
    Relation,
    /// Functions in schema `silo_plan`.
    Function,
    /// Publications.
    Publication,
    /// Subscriptions and their replication slots.
    Subscription,
}

/// Who a derived name comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// silo-plan itself (a fixed name).
    Fixed,
    /// One silo (its index in the config).
    Silo(usize),
    /// The subscription of silo `.1` to silo `.0`'s tombstones.
    Pair(usize, usize),
}

/// A name made from the silos of a config, what it is, and who it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// Where it lives.
    pub namespace: Namespace,
    /// The name (for files: lowercase).
    pub name: String,
    /// What it is, for the error message (`its`: the silo's; a subscription's is the
    /// subscriber's).
    pub what: String,
    /// Who it comes from.
    pub owner: Owner,
}

/// One silo of a config as [`silo_names`] reads it.
pub struct SiloInput<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its instances.
    pub instances: &'a [String],
    /// It is the config's `origin`.
    pub origin: bool,
}

/// Names silo-plan's own files and schema use, which no silo may make.
const FIXED_RELATIONS: &[&str] = &[
    "tombstones",
    "tombstones_pkey",
    "tombstones_id_seq",
    "inbox",
    "inbox_pkey",
    "watermarks",
    "watermarks_pkey",
    "received_watermarks",
    "received_watermarks_pkey",
];

/// Every name made from the silos of a config: what the config checks for two equal names in
/// one namespace (see [`Namespace`]). `origin_set`: the config names an origin (the phases then
/// use `ORIGIN_URL`, `origin_conninfo` and files named `origin`).
pub fn silo_names(silos: &[SiloInput], origin_set: bool) -> Vec<Derived> {
    let mut out = Vec::new();
    let mut add = |namespace, name: String, what: String, owner: Owner| {
        out.push(Derived {
            namespace,
            name,
            what,
            owner,
        });
    };
    for r in FIXED_RELATIONS {
        add(
            Namespace::Relation,
            (*r).to_string(),
            format!("silo-plan's own silo_plan.{r}"),
            Owner::Fixed,
        );
    }
    for f in ["apply", "refuse_write"] {
        add(
            Namespace::Function,
            f.to_string(),
            format!("silo-plan's own function silo_plan.{f}()"),
            Owner::Fixed,
        );
    }
    for (i, s) in silos.iter().enumerate() {
        let n = s.name;
        let own = || Owner::Silo(i);
        // The origin's database is ORIGIN in the phases; a moving silo's is its own name.
        if origin_set && s.origin {
            add(
                Namespace::File,
                "origin".into(),
                "the phase files of today's database (phases/*.origin.sql)".into(),
                own(),
            );
            add(
                Namespace::EnvVar,
                "ORIGIN_URL".into(),
                "the environment variable of today's database".into(),
                own(),
            );
            add(
                Namespace::EnvVar,
                "ORIGIN_CONNINFO".into(),
                "the environment variable of today's database".into(),
                own(),
            );
            add(
                Namespace::PsqlVar,
                "origin_conninfo".into(),
                "the psql variable of today's database".into(),
                own(),
            );
        }
        add(
            Namespace::File,
            n.to_ascii_lowercase(),
            format!("its files (silos/{n}/, cascades/{n}.sql, phases/*.{n}.sql)"),
            own(),
        );
        if !(origin_set && s.origin) {
            for what in ["URL", "CONNINFO"] {
                add(
                    Namespace::EnvVar,
                    env_var(n, what),
                    "the environment variable of its database".into(),
                    own(),
                );
            }
            add(
                Namespace::PsqlVar,
                format!("{}_conninfo", silo_key(n)),
                "the psql variable of its database in the phase files".into(),
                own(),
            );
        }
        add(
            Namespace::Relation,
            silo_object("tombstones_", n, ""),
            "the table of its tombstones (published, and received by its children)".into(),
            own(),
        );
        add(
            Namespace::Relation,
            silo_object("tombstones_", n, "_apply"),
            "the index its children's apply reads its tombstones by".into(),
            own(),
        );
        for (prefix, what) in [
            ("apply_", "its apply function"),
            ("arrived_", "its inbox trigger function"),
            (
                "publish_",
                "the function that copies its tombstones for publishing",
            ),
        ] {
            add(
                Namespace::Function,
                silo_object(prefix, n, ""),
                what.into(),
                own(),
            );
        }
        add(
            Namespace::Publication,
            silo_object("silo_plan_tombstones_", n, ""),
            "the publication of its tombstones".into(),
            own(),
        );
        for (prefix, what) in [
            ("silo_plan_move_", "the publication and subscription that move its tables"),
            (
                "silo_plan_back_",
                "the publication and subscription that keep today's database current after its cut-over",
            ),
        ] {
            add(
                Namespace::Publication,
                silo_object(prefix, n, ""),
                what.into(),
                own(),
            );
            add(
                Namespace::Subscription,
                silo_object(prefix, n, ""),
                what.into(),
                own(),
            );
        }
    }
    for (f, from) in silos.iter().enumerate() {
        for (t, to) in silos.iter().enumerate() {
            if f == t {
                continue;
            }
            let base = subscription(from.name, to.name, instance_room(to.instances));
            let what = |inst: Option<&str>| match inst {
                None => format!("the subscription to the tombstones of silo `{}`", from.name),
                Some(i) => format!(
                    "the subscription of instance `{i}` to the tombstones of silo `{}`",
                    from.name
                ),
            };
            if to.instances.is_empty() {
                add(Namespace::Subscription, base, what(None), Owner::Pair(f, t));
            } else {
                for i in to.instances {
                    add(
                        Namespace::Subscription,
                        format!("{base}_{}", instance_key(i)),
                        what(Some(i)),
                        Owner::Pair(f, t),
                    );
                }
            }
        }
    }
    out
}

/// The silos an owner stands for.
pub fn owner_silos(o: &Owner) -> Vec<usize> {
    match o {
        Owner::Fixed => Vec::new(),
        Owner::Silo(i) => vec![*i],
        Owner::Pair(a, b) => vec![*a, *b],
    }
}

/// The first two names of [`silo_names`] that are equal in one namespace and come from
/// different owners, in the order of the list: `(first, second)`.
pub fn first_collision(names: &[Derived]) -> Option<(&Derived, &Derived)> {
    let mut seen: std::collections::HashMap<(Namespace, &str), &Derived> =
        std::collections::HashMap::new();
    for d in names {
        match seen.get(&(d.namespace, d.name.as_str())) {
            Some(first) if first.owner != d.owner => return Some((first, d)),
            Some(_) => {}
            None => {
                seen.insert((d.namespace, d.name.as_str()), d);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_table_objects_are_kept() {
        let t = QName::new("public", "auth_user");
        assert_eq!(table_object("record", &t), "record_public_auth_user");
    }

    #[test]
    fn flattening_that_would_collide_is_hashed() {
        let a = table_object("record", &QName::new("a", "b_c"));
        let b = table_object("record", &QName::new("a_b", "c"));
        assert_eq!(a, "record_a_b_c", "schema without `_`: the plain form");
        assert!(
            b.starts_with("record_a_b_c_") && b.len() == "record_a_b_c".len() + 9,
            "{b}"
        );
        assert_ne!(a, b);
    }

    #[test]
    fn long_names_fit_and_stay_apart() {
        let long = QName::new("public", "é".repeat(40));
        let n = table_object("record", &long);
        assert!(n.len() <= MAX_IDENT, "{n}");
        assert_eq!(n, table_object("record", &long), "stable");
        assert_ne!(
            n,
            table_object("record", &QName::new("public", "é".repeat(41)))
        );
        let s = silo_object("silo_plan_tombstones_", &"x".repeat(60), "");
        assert!(s.len() <= MAX_IDENT, "{s}");
        assert_ne!(s, silo_object("silo_plan_tombstones_", &"x".repeat(61), ""));
        let sub = subscription(&"a".repeat(30), &"b".repeat(30), 10);
        assert!(sub.len() + 10 <= MAX_IDENT, "{sub}");
    }

    /// The hash is FNV-1a (its published vector: "a" gives e40c292c; each part is followed by a
    /// NUL here) and never changes: names made from it are in users' databases. The expected
    /// values were computed apart from this code.
    #[test]
    fn hash_is_fixed() {
        assert_eq!(hash(&["a"]), 0x2b24_d044);
        assert_ne!(hash(&["ab", "c"]), hash(&["a", "bc"]));
        assert_eq!(
            table_object("record", &QName::new("a_b", "c")),
            "record_a_b_c_9491d179"
        );
    }

    #[test]
    fn unique_table_objects_never_repeat() {
        let a = QName::new("a", "b_c");
        let b = QName::new("a_b", "c");
        let names = unique_table_objects("record", &[&a, &b, &a]);
        assert_eq!(names[0], "record_a_b_c");
        assert_ne!(names[1], names[0]);
        assert_ne!(names[2], names[0], "a repeated table gets a salted name");
        assert_ne!(names[2], names[1]);
    }

    #[test]
    fn table_texts_stay_apart() {
        assert_eq!(
            table_text(&QName::new("public", "auth_user")),
            "public.auth_user"
        );
        assert_eq!(table_text(&QName::new("public", "User")), "public.User");
        let a = table_text(&QName::new("a.b", "c"));
        let b = table_text(&QName::new("a", "b.c"));
        assert_eq!((a.as_str(), b.as_str()), ("\"a.b\".c", "a.\"b.c\""));
    }

    #[test]
    fn edge_keys_stay_apart() {
        let t = QName::new("public", "t");
        assert_eq!(edge_key(&t, "fk", true), "fk");
        assert_eq!(edge_key(&t, "fk", false), "public.t.fk");
        assert_eq!(
            edge_key(&t, "public.t.fk", true),
            "public.t.\"public.t.fk\""
        );
        assert_ne!(
            edge_key(&QName::new("s", "t.x"), "y", false),
            edge_key(&QName::new("s", "t"), "x.y", false)
        );
    }

    #[test]
    fn silo_keys_and_sources() {
        assert_eq!(silo_key("Us-West"), "us_west");
        assert_eq!(env_var("a-b", "URL"), "A_B_URL");
        assert_eq!(instance_source("region", Some("us")), "region/us");
        assert_eq!(instance_source("region", None), "region");
        assert_eq!(
            subscription("control", "region", 3),
            "silo_plan_control_to_region"
        );
    }

    fn input<'a>(names: &'a [&'a str], instances: &'a [String]) -> Vec<SiloInput<'a>> {
        names
            .iter()
            .map(|n| SiloInput {
                name: n,
                instances,
                origin: false,
            })
            .collect()
    }

    #[test]
    fn collisions_between_silos_are_found() {
        let none: &[String] = &[];
        for pair in [
            ["a-b", "a_b"],
            ["Control", "control"],
            ["x", "x_apply"],
            ["x", "x-apply"],
        ] {
            let names = silo_names(&input(&pair, none), false);
            assert!(first_collision(&names).is_some(), "{pair:?}");
        }
        let names = silo_names(&input(&["pkey"], none), false);
        let (a, b) = first_collision(&names).expect("a fixed name");
        assert_eq!(
            (&a.owner, b.name.as_str()),
            (&Owner::Fixed, "tombstones_pkey")
        );
        let names = silo_names(&input(&["control", "region", "billing"], none), true);
        assert_eq!(first_collision(&names), None);
        // Subscriptions: `a` to `to_b` and `a_to` to `b`.
        let names = silo_names(&input(&["a", "to_b", "a_to", "b"], none), false);
        let (x, y) = first_collision(&names).expect("subscriptions");
        assert_eq!(x.namespace, Namespace::Subscription, "{x:?} {y:?}");
    }

    #[test]
    fn key_objects_are_distinct_and_fit() {
        let long = "t".repeat(60);
        let (ab_c, a_bc) = (QName::new("public", "a_b"), QName::new("public", "a"));
        let other_schema = QName::new("other", "a_b");
        let (c, b_c) = (vec!["c".to_string()], vec!["b_c".to_string()]);
        let long_t = QName::new("public", long.as_str());
        let names = unique_key_objects(&[
            (&ab_c, &c),
            (&a_bc, &b_c),
            (&other_schema, &c),
            (&long_t, &c),
        ]);
        assert_eq!(names[0], "a_b_c");
        let set: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(set.len(), 4, "{names:?}");
        for n in &names {
            assert!(format!("reservation_{n}").len() <= MAX_IDENT, "{n}");
        }
        assert_eq!(
            names,
            unique_key_objects(&[
                (&ab_c, &c),
                (&a_bc, &b_c),
                (&other_schema, &c),
                (&long_t, &c)
            ])
        );
    }
}
