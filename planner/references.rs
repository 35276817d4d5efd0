//! References: every dependency of a child table's columns on a parent table's key, whatever
//! says so.
//!
//! A foreign-key constraint in the dump is one kind of reference ([`Kind::Constraint`]); real
//! schemas hold many more without a constraint (Django's `db_constraint=False`, Rails apps that
//! never call `add_foreign_key`, GitLab's loose foreign keys, Synapse's `room_id text`). The
//! other kinds say where such a reference comes from: declared in `silo-plan.toml`, imported from
//! a file the application's models were exported to, or inferred from the dump's naming
//! conventions ([`crate::infer`]). The later stages treat every kind alike; the kind, the rule and
//! the confidence only say how sure the planner is.
//!
//! Plain data and pure functions: no I/O.

use std::fmt;

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use crate::catalog::{Catalog, FkAction, QName, Span};

/// Where a reference comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A foreign-key constraint in the dump.
    #[default]
    Constraint,
    /// `[[references]]` in `silo-plan.toml`.
    Declared,
    /// A references file exported from the application's models.
    Imported,
    /// Inferred from the dump's naming conventions ([`crate::infer`]).
    Inferred,
}

impl Kind {
    /// The kind as written in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Constraint => "constraint",
            Kind::Declared => "declared",
            Kind::Imported => "imported",
            Kind::Inferred => "inferred",
        }
    }
}

/// The naming convention an inferred reference follows (see [`crate::infer`] for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Rails: `<singular>_id` → the table named `<plural>` (`category_id` → `categories`).
    Rails,
    /// Generic: `<table>_id` → the table named exactly `<table>` (`city_id` → `city`).
    TableName,
    /// Rails namespaces: `runner_id` → `ci_runners` (a prefix word before the plural).
    RailsNamespace,
    /// Django: `<field>_id` → `<app>_<field>`, underscores of the model's name dropped
    /// (`organization_integration_id` → `sentry_organizationintegration`).
    Django,
    /// The child table is named after its parent: `ui_auth_sessions_credentials.session_id` →
    /// `ui_auth_sessions`.
    ParentPrefix,
    /// A role before the parent's name: `source_project_id` → `projects`,
    /// `root_namespace_id` → `namespaces`.
    RolePrefix,
    /// A person in a role (`author_id`, `created_by_id`, `owner_id`) → the users table.
    Person,
    /// A reference to the row's own table (`parent_id`, `previous_version_id`).
    SelfReference,
    /// Django, same app: the field is the end of the model's name (`author_id` →
    /// `sentry_commitauthor` for a `sentry_*` table).
    ModelSuffix,
    /// A column named like the one-column key of the table its name names (`destination` →
    /// `destinations(destination)`).
    KeyName,
    /// A column with the same name and type as the one-column key of exactly one other table
    /// (`media_id` → `local_media_repository(media_id)`).
    SameKey,
}

impl Rule {
    /// The rule as written in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Rails => "rails",
            Rule::TableName => "table-name",
            Rule::RailsNamespace => "rails-namespace",
            Rule::Django => "django",
            Rule::ParentPrefix => "parent-prefix",
            Rule::RolePrefix => "role-prefix",
            Rule::Person => "person",
            Rule::SelfReference => "self-reference",
            Rule::ModelSuffix => "model-suffix",
            Rule::KeyName => "key-name",
            Rule::SameKey => "same-key",
        }
    }

    /// Every rule, in declaration order (for reports that count them).
    pub const ALL: [Rule; 11] = [
        Rule::Rails,
        Rule::TableName,
        Rule::RailsNamespace,
        Rule::Django,
        Rule::ParentPrefix,
        Rule::RolePrefix,
        Rule::Person,
        Rule::SelfReference,
        Rule::ModelSuffix,
        Rule::KeyName,
        Rule::SameKey,
    ];
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure the planner is that a reference is real, in hundredths (a constraint is 100).
/// Serialized as a number between 0 and 1 (`0.9`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Confidence(pub u8);

/// The schema of what [`Confidence`] serializes: a number from 0 to 1, not the hundredths it
/// holds.
impl JsonSchema for Confidence {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        "Confidence".into()
    }

    fn json_schema(generator: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        let mut schema = f64::json_schema(generator).into_object();
        schema.number().minimum = Some(0.0);
        schema.number().maximum = Some(1.0);
        schema.into()
    }
}

impl Confidence {
    /// Certain: a constraint the database enforces.
    pub const CERTAIN: Confidence = Confidence(100);

    /// The confidence as a fraction (`0.9`).
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }
}

impl Serialize for Confidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A dependency of a child table's columns on a parent table's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Reference {
    /// The referencing (child) table.
    pub table: QName,
    /// Referencing columns, in the order of `referenced_columns`.
    pub columns: Vec<String>,
    /// The referenced (parent) table.
    #[serde(rename = "referenced_table")]
    pub references: QName,
    /// The parent's key columns.
    pub referenced_columns: Vec<String>,
    /// What deleting a parent row does to the child rows, where the source says it (a
    /// constraint always does; an inferred reference never does: the config's default applies).
    pub on_delete: Option<FkAction>,
    /// Where the reference comes from.
    pub kind: Kind,
    /// The convention an inferred reference follows (`None` for the other kinds).
    pub rule: Option<Rule>,
    /// How sure the planner is ([`Confidence::CERTAIN`] for a constraint).
    pub confidence: Confidence,
    /// The foreign key it is (index into [`Catalog::foreign_keys`]), for a constraint.
    #[serde(skip)]
    pub constraint: Option<usize>,
    /// Where it is: the constraint's statement, or the child table's definition for an
    /// inferred reference.
    #[serde(flatten)]
    pub span: Span,
}

impl Reference {
    /// Whether the reference covers child column `column` of `table`.
    pub fn covers(&self, table: &QName, column: &str) -> bool {
        self.table == *table && self.columns.iter().any(|c| c == column)
    }
}

/// Where a key of [`Catalog::foreign_keys`] that is not only the dump's constraint comes from
/// ([`crate::catalog::ForeignKey::reference`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// Declared, imported or inferred; [`Kind::Constraint`] for a constraint of the dump whose
    /// `on_delete` a declared or imported entry states.
    pub kind: Kind,
    /// The convention of an inferred reference.
    pub rule: Option<Rule>,
    /// How sure the planner is.
    pub confidence: Confidence,
    /// What the application does when a parent row is deleted, where a declared or imported
    /// entry says it (the ORM decides, not the dump's `NO ACTION`).
    pub on_delete: Option<AppAction>,
    /// Where it was stated, for reports: `silo-plan.toml:12:8`, or the references file and the
    /// entry's `origin` (`refs.json:4:5 (sentry/models/x.py: X.user)`).
    pub stated_at: Option<String>,
    /// The `reason` of the entry, when it gives one.
    pub reason: Option<String>,
    /// The `[[references]]` entry that declares it.
    pub pos: Option<crate::config::Pos>,
}

/// An `on_delete` a declared or imported entry states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAction {
    /// The action as the entry writes it (`no-action`: the application does nothing).
    pub action: FkAction,
    /// [`Kind::Declared`] (`[[references]]`) or [`Kind::Imported`] (a references file).
    pub from: Kind,
    /// The `[[references]]` entry, for a declared one.
    pub pos: Option<crate::config::Pos>,
}

/// Every foreign-key constraint of the catalog as a reference of kind [`Kind::Constraint`], in
/// the catalog's order.
pub fn from_constraints(cat: &Catalog) -> Vec<Reference> {
    cat.foreign_keys
        .iter()
        .enumerate()
        .map(|(i, fk)| Reference {
            table: fk.table.clone(),
            columns: fk.columns.clone(),
            references: fk.references.clone(),
            referenced_columns: fk.referenced_columns.clone(),
            on_delete: Some(fk.on_delete),
            kind: Kind::Constraint,
            rule: None,
            confidence: Confidence::CERTAIN,
            constraint: Some(i),
            span: fk.span,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The listing of `silo-plan references`.

/// Where the `on_delete` of a listed reference comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnDeleteSource {
    /// The constraint's own action.
    Constraint,
    /// The application's models (imported references).
    Orm,
    /// `silo-plan.toml`: an `[[edges]]` entry (or a declared reference).
    Declared,
    /// `[defaults] on_delete`, or where it is unset what the database does today: nothing else
    /// says (a constraint's `NO ACTION`, a declared or imported reference that states none).
    Default,
    /// An inferred reference that nothing confirms: no constraint, so the database does nothing
    /// today and the plan replicates nothing (`ignore`).
    Inferred,
}

/// One reference as `silo-plan references` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Listed {
    /// The child table.
    pub table: QName,
    /// Its columns.
    pub columns: Vec<String>,
    /// The parent table.
    pub referenced_table: QName,
    /// The parent's key columns.
    pub referenced_columns: Vec<String>,
    /// Where the reference comes from.
    pub kind: Kind,
    /// The convention of an inferred reference.
    pub rule: Option<Rule>,
    /// How sure the planner is.
    pub confidence: Confidence,
    /// What deleting a parent row does, as the plan replicates it (`cascade`, `set-null`,
    /// `set-default`, `restrict`, `ignore`).
    pub on_delete: &'static str,
    /// Where that comes from.
    pub on_delete_source: OnDeleteSource,
    /// The child's silo (`shared`, `unassigned`).
    pub child_silo: String,
    /// The parent's silo.
    pub parent_silo: String,
    /// The two ends are placed in different silos (or one shared, one not).
    pub crosses: bool,
    /// The verdict from live data (`null`: not verified).
    pub verified: Option<String>,
    /// Child values without a parent, when verified.
    pub orphans: Option<u64>,
    /// Child rows checked, when verified.
    pub checked: Option<u64>,
    /// The whole verdict, with the orphan rate, example values, sample and reason (`silo-plan
    /// references --db` only; omitted otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<crate::verify_refs::Outcome>,
    /// The dump file (omitted for the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The dump line: the constraint, or the child table's definition.
    pub line: u32,
}

/// Everything `silo-plan references` prints.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Listing {
    /// Every reference: the constraints in dump order, then the inferred ones.
    pub references: Vec<Listed>,
    /// Columns with several plausible parents (none picked).
    pub ambiguous: Vec<crate::infer::Ambiguous>,
    /// Polymorphic columns (targets unknown).
    pub polymorphic: Vec<crate::infer::Polymorphic>,
    /// What imported references files list as unresolved (never planned).
    pub unresolved: Vec<crate::refs_resolve::ImportedUnresolved>,
}

/// The listing of every key of the catalog (after [`crate::refs_resolve::resolve`]: the
/// constraints, then the declared, imported and inferred references) and the columns inference
/// left undecided (`extra`), with each end's silo and the `on_delete` the plan replicates
/// ([`crate::check::effective_action`]).
pub fn listing(a: &crate::analysis::Analysis) -> Listing {
    let crate::analysis::Analysis {
        cat,
        cfg,
        asg,
        rules,
        inferred: extra,
        ..
    } = a;
    use crate::assign::Placement;
    use crate::check::{effective_action, ActionSource};
    let placed = |q: &QName| {
        let p = asg.silo_of(q);
        let name = p.map_or("unassigned", Placement::name).to_string();
        let ok = matches!(p, Some(Placement::Silo(_) | Placement::Shared));
        (name, ok)
    };
    let refs = crate::refs_resolve::all(cat);
    let mut out = Vec::with_capacity(refs.len());
    for (k, r) in refs.iter().enumerate() {
        let (on_delete, src) = effective_action(cat, cfg, rules, k);
        let source = match src {
            ActionSource::Override(_) => OnDeleteSource::Declared,
            ActionSource::Declared => OnDeleteSource::Constraint,
            ActionSource::Stated(Kind::Imported, _) => OnDeleteSource::Orm,
            ActionSource::Stated(..) => OnDeleteSource::Declared,
            ActionSource::Default | ActionSource::Today | ActionSource::Unstated => {
                OnDeleteSource::Default
            }
            ActionSource::Inferred => OnDeleteSource::Inferred,
        };
        let (child_silo, child_ok) = placed(&r.table);
        let (parent_silo, parent_ok) = placed(&r.references);
        out.push(Listed {
            table: r.table.clone(),
            columns: r.columns.clone(),
            referenced_table: r.references.clone(),
            referenced_columns: r.referenced_columns.clone(),
            kind: r.kind,
            rule: r.rule,
            confidence: r.confidence,
            on_delete: on_delete.as_str(),
            on_delete_source: source,
            crosses: child_ok && parent_ok && child_silo != parent_silo,
            child_silo,
            parent_silo,
            verified: None,
            orphans: None,
            checked: None,
            verification: None,
            file: (r.span.file != 0).then(|| {
                cat.files
                    .get(r.span.file as usize)
                    .cloned()
                    .unwrap_or_default()
            }),
            line: r.span.line,
        });
    }
    Listing {
        references: out,
        ambiguous: extra.ambiguous.clone(),
        polymorphic: extra.polymorphic.clone(),
        unresolved: extra.unresolved.clone(),
    }
}

/// The listing as text: one line per reference, then the ambiguous and polymorphic columns.
pub fn text(l: &Listing, cat: &Catalog) -> String {
    use std::fmt::Write;
    let file = |i: u32| cat.files.get(i as usize).map_or("?", |f| f.as_str());
    let mut out = String::new();
    let constraints = l
        .references
        .iter()
        .filter(|r| r.kind == Kind::Constraint)
        .count();
    let crossing = l.references.iter().filter(|r| r.crosses).count();
    let count = |k: Kind| l.references.iter().filter(|r| r.kind == k).count();
    // Declared and imported counts only where there are some: the line stays as it was for a
    // config without them.
    let stated: String = [Kind::Declared, Kind::Imported]
        .into_iter()
        .map(|k| (count(k), k))
        .filter(|(n, _)| *n > 0)
        .map(|(n, k)| format!(", {n} {}", k.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "{} references ({} constraints{stated}, {} inferred), {} crossing a silo boundary; {} \
         ambiguous, {} polymorphic columns{}",
        l.references.len(),
        constraints,
        count(Kind::Inferred),
        crossing,
        l.ambiguous.len(),
        l.polymorphic.len(),
        // Only where a references file lists some: the line stays as it was without.
        match l.unresolved.len() {
            0 => String::new(),
            n => format!(", {n} unresolved in references files"),
        }
    );
    let verdicts: Vec<&str> = l
        .references
        .iter()
        .filter_map(|r| r.verified.as_deref())
        .collect();
    if !verdicts.is_empty() {
        let n = |v: &str| verdicts.iter().filter(|&&x| x == v).count();
        let _ = writeln!(
            out,
            "{} checked on live data: {} confirmed, {} refuted, {} unknown (constraints are not \
             checked, the database enforces them, but for NOT VALID ones)",
            verdicts.len(),
            n("confirmed"),
            n("refuted"),
            n("unknown")
        );
    }
    for r in &l.references {
        let _ = write!(
            out,
            "\n{}({}) -> {}({})\n  {}",
            r.table,
            r.columns.join(", "),
            r.referenced_table,
            r.referenced_columns.join(", "),
            r.kind.as_str()
        );
        if let Some(rule) = r.rule {
            let _ = write!(out, " by {rule}, confidence {}", r.confidence);
        }
        let source = match r.on_delete_source {
            OnDeleteSource::Constraint => "constraint",
            OnDeleteSource::Orm => "orm",
            OnDeleteSource::Declared => "declared",
            OnDeleteSource::Default => "default",
            OnDeleteSource::Inferred => "inferred",
        };
        let _ = writeln!(
            out,
            "; on delete {} ({source}); {} -> {}{}",
            r.on_delete,
            r.child_silo,
            r.parent_silo,
            if r.crosses { ", crosses" } else { "" }
        );
        if let Some(v) = &r.verification {
            let _ = writeln!(out, "  verified: {}", v.summary());
        }
        let f = r.file.as_deref().unwrap_or_else(|| file(0));
        let _ = writeln!(out, "  --> {f}:{}", r.line);
    }
    for a in &l.ambiguous {
        let c: Vec<String> = a.candidates.iter().map(QName::to_string).collect();
        let _ = writeln!(
            out,
            "\nambiguous: {}.{} could reference {} ({}); none is picked: declare the right one \
             in [[references]]\n  --> {}:{}",
            a.table,
            a.column,
            c.join(" or "),
            a.rule,
            file(a.span.file),
            a.span.line
        );
    }
    for p in &l.polymorphic {
        let _ = writeln!(
            out,
            "\npolymorphic: {}.{} references the table {} names in each row; targets unknown\n  \
             --> {}:{}",
            p.table,
            p.column,
            p.type_column,
            file(p.span.file),
            p.span.line
        );
    }
    for u in &l.unresolved {
        let e = &u.entry;
        let candidates = if e.candidates.is_empty() {
            "targets unknown".to_string()
        } else {
            format!("could reference {}", e.candidates.join(" or "))
        };
        let why = e
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let origin = e
            .origin
            .as_deref()
            .map(|o| format!(", {o}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\nunresolved{why}: {}({}) {candidates}; nothing is planned for it: declare the \
             parent in [[references]] if there is one\n  --> {}{origin}",
            e.table,
            e.columns.join(", "),
            u.file,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::{self, ReadOptions};
    use crate::source::SourceFile;

    #[test]
    fn constraints_become_references() {
        let sql = "CREATE TABLE a (id bigint PRIMARY KEY);\n\
                   CREATE TABLE b (id bigint PRIMARY KEY, a_id bigint);\n\
                   ALTER TABLE ONLY b ADD CONSTRAINT b_a FOREIGN KEY (a_id) REFERENCES a(id) ON DELETE CASCADE;\n";
        let cat = dump::read(
            &[SourceFile::new("s.sql", sql.to_string())],
            &ReadOptions::default(),
        );
        let refs = from_constraints(&cat);
        assert_eq!(refs.len(), 1);
        let r = &refs[0];
        assert_eq!(r.table, QName::new("public", "b"));
        assert_eq!(r.columns, ["a_id"]);
        assert_eq!(r.references, QName::new("public", "a"));
        assert_eq!(r.referenced_columns, ["id"]);
        assert_eq!(r.on_delete, Some(FkAction::Cascade));
        assert_eq!(r.kind, Kind::Constraint);
        assert_eq!(r.constraint, Some(0));
        assert_eq!(r.span.line, 3);
        assert!(r.covers(&QName::new("public", "b"), "a_id"));
        let json = serde_json::to_value(r).expect("serializes");
        assert_eq!(json["referenced_table"], "public.a");
        assert_eq!(json["confidence"], 1.0);
        assert_eq!(json["kind"], "constraint");
        assert_eq!(json["line"], 3);
    }

    #[test]
    fn listing_places_both_ends_and_says_where_on_delete_comes_from() {
        let sql = "CREATE TABLE users (id bigint PRIMARY KEY);\n\
                   CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint, editor_id bigint,\n\
                     owner_id bigint, owner_type text, widget_id bigint);\n\
                   CREATE TABLE shop_widgets (id bigint PRIMARY KEY);\n\
                   CREATE TABLE admin_widgets (id bigint PRIMARY KEY);\n\
                   ALTER TABLE posts ADD CONSTRAINT p_u FOREIGN KEY (user_id) REFERENCES users(id);\n";
        let cfg = crate::config::parse(
            "silo-plan.toml",
            "version = 1\n[defaults]\non_delete = \"set-null\"\nunassigned = \"warn\"\n\
             [silos.a]\ntables = [\"users\"]\n[silos.b]\ntables = [\"posts\"]\n",
        )
        .expect("config");
        let sources = vec![SourceFile::new("s.sql", sql.to_string())];
        let a = crate::analysis::Analysis::new(cfg, sources).expect("analysis");
        let l = listing(&a);
        let rows: Vec<String> = l
            .references
            .iter()
            .map(|r| {
                format!(
                    "{}.{} {} {} {:?} {}->{} {}",
                    r.table.name,
                    r.columns[0],
                    r.kind.as_str(),
                    r.on_delete,
                    r.on_delete_source,
                    r.child_silo,
                    r.parent_silo,
                    r.crosses
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                "posts.user_id constraint set-null Default b->a true",
                "posts.editor_id inferred ignore Inferred b->a true",
            ]
        );
        let text = text(&l, &a.cat);
        // An inferred reference's ignore comes from its being inferred, not from the default.
        assert!(
            text.contains("inferred by person, confidence 0.70; on delete ignore (inferred);"),
            "{text}"
        );
        assert!(text.starts_with(
            "2 references (1 constraints, 1 inferred), 2 crossing a silo boundary; 1 ambiguous, \
             1 polymorphic columns\n"
        ), "{text}");
        assert!(
            text.contains(
                "ambiguous: public.posts.widget_id could reference public.shop_widgets or \
             public.admin_widgets (rails-namespace); none is picked"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "polymorphic: public.posts.owner_id references the table owner_type names in each \
             row; targets unknown\n  --> s.sql:2\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn confidence_prints_as_a_fraction() {
        assert_eq!(serde_json::to_string(&Confidence(90)).unwrap(), "0.9");
        assert_eq!(serde_json::to_string(&Confidence(5)).unwrap(), "0.05");
        assert_eq!(Confidence(90).to_string(), "0.90");
        assert_eq!(Confidence::CERTAIN.to_string(), "1.00");
    }
}
