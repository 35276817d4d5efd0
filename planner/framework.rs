//! The framework that wrote a dump, told from its bookkeeping tables, and the bookkeeping tables
//! themselves (migration history, Rails's environment record, Django's content types): tables
//! every silo's database needs a copy of and whose rows are not split.
//!
//! The signs, in order:
//!
//! * Django: a `django_migrations`, `django_content_type` or `south_migrationhistory` (Django
//!   before 1.7) table;
//! * Rails: an `ar_internal_metadata` table, or a `schema_migrations` table whose only column is
//!   `version character varying` (dbmate's and gotrue's have a length, `varchar(128)`);
//! * Ecto (Phoenix): a `schema_migrations` table with an `inserted_at` column;
//! * anything else is generic.
//!
//! Where the framework decides deletes in its models (Django's `on_delete`, Rails's
//! `dependent:`), the dump's `NO ACTION` says nothing about them: plan.md asks for an export and
//! gives each action in the framework's words ([`Framework::action_words`]).
//!
//! Bookkeeping tables are known by name in any schema (Supabase keeps its migrations in
//! `supabase_migrations.schema_migrations`), whatever the framework.

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::{Catalog, QName, Table};
use crate::config::EdgeAction;

/// The framework that wrote a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    /// Ruby on Rails (`db/structure.sql`).
    Rails,
    /// Django.
    Django,
    /// Elixir's Ecto (`priv/repo/structure.sql`).
    Ecto,
    /// No framework's sign.
    Generic,
}

impl Framework {
    /// The framework's name, lowercase: `rails`, `django`, `ecto`, `generic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Rails => "rails",
            Framework::Django => "django",
            Framework::Ecto => "ecto",
            Framework::Generic => "generic",
        }
    }

    /// The framework's name as people write it: `Rails`, `Django`, `Ecto`, `generic`.
    pub fn title(self) -> &'static str {
        match self {
            Framework::Rails => "Rails",
            Framework::Django => "Django",
            Framework::Ecto => "Ecto",
            Framework::Generic => "generic",
        }
    }

    /// Whether the application, not the dump, decides what deleting a parent does: Django
    /// writes every key `NO ACTION` whatever `on_delete` says, Rails's `dependent:` never
    /// reaches the database. (Ecto's migrations write `on_delete:` into the key.)
    pub fn orm_decides(self) -> bool {
        matches!(self, Framework::Rails | Framework::Django)
    }

    /// An action in the words of the framework's models (`on_delete=CASCADE`, `dependent:
    /// :destroy`), for the frameworks whose models decide ([`Framework::orm_decides`]).
    pub fn action_words(self, a: EdgeAction) -> Option<&'static str> {
        Some(match (self, a) {
            (Framework::Django, EdgeAction::Cascade) => "on_delete=CASCADE",
            (Framework::Django, EdgeAction::SetNull) => "on_delete=SET_NULL",
            (Framework::Django, EdgeAction::SetDefault) => "on_delete=SET_DEFAULT",
            (Framework::Django, EdgeAction::Restrict) => "on_delete=PROTECT",
            (Framework::Django, EdgeAction::Ignore) => "on_delete=DO_NOTHING",
            (Framework::Rails, EdgeAction::Cascade) => "dependent: :destroy",
            (Framework::Rails, EdgeAction::SetNull) => "dependent: :nullify",
            // Rails has no `dependent:` that writes a column's default: a callback does.
            (Framework::Rails, EdgeAction::SetDefault) => "a before_destroy callback",
            (Framework::Rails, EdgeAction::Restrict) => "dependent: :restrict_with_error",
            (Framework::Rails, EdgeAction::Ignore) => "no dependent:",
            _ => return None,
        })
    }

    /// The models' setting that decides deletes: `on_delete`, `dependent:`.
    pub fn delete_setting(self) -> Option<&'static str> {
        match self {
            Framework::Django => Some("on_delete"),
            Framework::Rails => Some("dependent:"),
            _ => None,
        }
    }
}

/// What [`detect`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Detected {
    /// The framework.
    pub framework: Framework,
    /// The sign it was told by (`table ar_internal_metadata`), empty for [`Framework::Generic`].
    pub evidence: String,
    /// The dump's bookkeeping tables, in catalog order, each with what it is.
    #[serde(skip)]
    #[schemars(skip)]
    pub bookkeeping: Vec<(QName, &'static str)>,
}

/// Bookkeeping tables by name, and what each is.
const BOOKKEEPING: [(&str, &str); 13] = [
    (
        "schema_migrations",
        "migration history (Rails, Ecto, dbmate, golang-migrate): every database keeps its own",
    ),
    (
        "ar_internal_metadata",
        "Rails's record of the database's environment: every database keeps its own",
    ),
    (
        "django_migrations",
        "Django's migration history: every database keeps its own",
    ),
    (
        "django_content_type",
        "Django's registry of models, read by permissions and generic relations in every silo",
    ),
    (
        "south_migrationhistory",
        "South's migration history (Django before 1.7): every database keeps its own",
    ),
    (
        "flyway_schema_history",
        "Flyway's migration history: every database keeps its own",
    ),
    (
        "goose_db_version",
        "goose's migration history: every database keeps its own",
    ),
    (
        "alembic_version",
        "Alembic's migration version: every database keeps its own",
    ),
    (
        "knex_migrations",
        "Knex's migration history: every database keeps its own",
    ),
    (
        "knex_migrations_lock",
        "Knex's migration lock: every database keeps its own",
    ),
    (
        "_prisma_migrations",
        "Prisma's migration history: every database keeps its own",
    ),
    (
        "__EFMigrationsHistory",
        "Entity Framework's migration history: every database keeps its own",
    ),
    (
        "schema_version",
        "migration history (Flyway before 5): every database keeps its own",
    ),
];

fn named<'c>(cat: &'c Catalog, name: &str) -> Option<&'c Table> {
    cat.tables.iter().find(|t| t.name == name)
}

fn has_column(t: &Table, name: &str) -> bool {
    t.columns.iter().any(|c| c.name == name)
}

/// The framework that wrote `cat`'s dump, and its bookkeeping tables.
pub fn detect(cat: &Catalog) -> Detected {
    let migrations = named(cat, "schema_migrations");
    let django = [
        "django_migrations",
        "django_content_type",
        "south_migrationhistory",
    ]
    .into_iter()
    .find(|n| named(cat, n).is_some());
    let (framework, evidence) = if let Some(n) = django {
        (Framework::Django, format!("table {n}"))
    } else if named(cat, "ar_internal_metadata").is_some() {
        (Framework::Rails, "table ar_internal_metadata".to_string())
    } else if let Some(m) = migrations.filter(|m| has_column(m, "inserted_at")) {
        (
            Framework::Ecto,
            format!("table {} with inserted_at", m.qname()),
        )
    } else if let Some(m) = migrations.filter(|m| {
        m.columns.len() == 1
            && m.columns[0].name == "version"
            && m.columns[0]
                .data_type
                .eq_ignore_ascii_case("character varying")
    }) {
        (
            Framework::Rails,
            format!("table {} (version character varying only)", m.qname()),
        )
    } else {
        (Framework::Generic, String::new())
    };
    let bookkeeping = cat
        .tables
        .iter()
        .filter_map(|t| {
            BOOKKEEPING
                .iter()
                .find(|(n, _)| *n == t.name)
                .map(|(_, why)| (t.qname(), *why))
        })
        .collect();
    Detected {
        framework,
        evidence,
        bookkeeping,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::{self, ReadOptions};
    use crate::source::SourceFile;

    fn detect_sql(sql: &str) -> Detected {
        let cat = dump::read(
            &[SourceFile::new("t.sql", sql.to_string())],
            &ReadOptions::default(),
        );
        detect(&cat)
    }

    #[test]
    fn frameworks() {
        let rails = detect_sql(
            "CREATE TABLE public.schema_migrations (version character varying NOT NULL);\n\
             CREATE TABLE public.ar_internal_metadata (key text, value text);\n\
             CREATE TABLE public.users (id bigint);\n",
        );
        assert_eq!(rails.framework, Framework::Rails);
        let names: Vec<&str> = rails
            .bookkeeping
            .iter()
            .map(|(q, _)| q.name.as_str())
            .collect();
        assert_eq!(names, ["schema_migrations", "ar_internal_metadata"]);
        let ecto = detect_sql(
            "CREATE TABLE public.schema_migrations (version bigint, inserted_at timestamp);\n",
        );
        assert_eq!(ecto.framework, Framework::Ecto);
        let django = detect_sql(
            "CREATE TABLE public.django_migrations (id integer, app text, name text);\n\
             CREATE TABLE public.django_content_type (id integer);\n",
        );
        assert_eq!(django.framework, Framework::Django);
        assert_eq!(django.bookkeeping.len(), 2);
        let dbmate = detect_sql(
            "CREATE TABLE public.schema_migrations (version character varying(128) NOT NULL);\n",
        );
        assert_eq!(dbmate.framework, Framework::Generic);
        let generic =
            detect_sql("CREATE TABLE public.schema_migrations (version bigint, dirty boolean);\n");
        assert_eq!(generic.framework, Framework::Generic);
        assert_eq!(generic.bookkeeping.len(), 1);
    }
}
