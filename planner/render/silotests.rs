//! Silo-mode test helpers beside the stubs (`stubs/<lang>/`): a pytest plugin, a Django
//! test-runner mixin, a Vitest/Jest helper, a Minitest module and a Go `testing` helper, each
//! running a test as code of one silo (`SET ROLE` to the role `simulate/roles.sql` creates for
//! it), in monolith mode, silo mode or both, and turning Postgres's `permission denied for table X` (SQLSTATE 42501) into a
//! message that names the boundary: `code in silo region read table auth_user of silo control`.
//!
//! The table → silo map comes from the simulation ([`Simulation`]): the names Postgres writes in
//! its message (a relation's name without its schema), each with the silo of its role; a name in
//! several schemas of different silos lists them all (`control or region`). Sequences held by
//! some roles but not all map to those silos; views granted to no role list the silos they read.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;

use super::stubs::{comment, Lang};
use super::{OutFile, RenderError};
use crate::simulate::Simulation;

/// One silo: its name, its role and the statement that enters the role, as literals.
struct SiloLit {
    name: String,
    role: String,
    set_role: String,
    /// The role's name as libpq's `options` takes it (`-c role=...`: spaces and backslashes
    /// escaped with a backslash), as a literal.
    pg_option: String,
}

/// What every helper template reads: names already written as the language's literals.
struct Data {
    version: &'static str,
    config: String,
    silos: Vec<SiloLit>,
    /// The silos' names for a comment: `control, region`.
    silo_names: String,
    /// A silo for the examples in comments.
    example: String,
    /// Relation name → silo(s), sorted by name.
    tables: Vec<(String, String)>,
    sequences: Vec<(String, String)>,
    views: Vec<(String, String)>,
}

/// The maps of [`Data`], unspelled: relation name → silo description.
struct Maps {
    tables: BTreeMap<String, String>,
    sequences: BTreeMap<String, String>,
    views: BTreeMap<String, String>,
}

fn maps(sim: &Simulation) -> Maps {
    let mut tables: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    let mut sequences: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for r in &sim.roles {
        for t in &r.tables {
            tables.entry(t.name.clone()).or_default().insert(&r.silo);
        }
        for s in &r.sequences {
            sequences.entry(s.name.clone()).or_default().insert(&r.silo);
        }
    }
    let or = |m: BTreeMap<String, BTreeSet<&str>>, all: usize| -> BTreeMap<String, String> {
        m.into_iter()
            // A sequence every role holds (a shared table's) is never refused.
            .filter(|(_, s)| s.len() < all)
            .map(|(k, s)| (k, s.into_iter().collect::<Vec<_>>().join(" or ")))
            .collect()
    };
    let all = sim.roles.len();
    let tables = or(tables, usize::MAX);
    let sequences = or(sequences, all);
    let views = sim
        .crossing_views
        .iter()
        .map(|v| (v.view.name.clone(), v.silos.join(" and ")))
        .collect();
    Maps {
        tables,
        sequences,
        views,
    }
}

/// libpq's `options` escaping: a backslash before each space and backslash.
fn pg_option(role: &str) -> String {
    let mut out = String::with_capacity(role.len() + 8);
    out.push_str("-c role=");
    for c in role.chars() {
        if c == ' ' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn data(sim: &Simulation, maps: &Maps, lang: Lang) -> Data {
    let pairs = |m: &BTreeMap<String, String>| -> Vec<(String, String)> {
        m.iter().map(|(k, v)| (lang.lit(k), lang.lit(v))).collect()
    };
    let silos: Vec<SiloLit> = sim
        .roles
        .iter()
        .map(|r| SiloLit {
            name: lang.lit(&r.silo),
            role: lang.lit(&r.role),
            set_role: lang.lit(&format!("SET ROLE {}", crate::ident::ident(&r.role))),
            pg_option: lang.lit(&pg_option(&r.role)),
        })
        .collect();
    let names: Vec<&str> = sim.roles.iter().map(|r| r.silo.as_str()).collect();
    Data {
        version: env!("CARGO_PKG_VERSION"),
        config: comment(&sim.config),
        silos,
        silo_names: comment(&names.join(", ")),
        example: comment(names.last().copied().unwrap_or("region")),
        tables: pairs(&maps.tables),
        sequences: pairs(&maps.sequences),
        views: pairs(&maps.views),
    }
}

#[derive(Template)]
#[template(path = "stubs/python/silo_plan_testing.py", escape = "none")]
struct PyTesting {
    d: Data,
}

#[derive(Template)]
#[template(path = "stubs/python/silo_plan_pytest.py", escape = "none")]
struct PyPytest {
    d: Data,
}

#[derive(Template)]
#[template(path = "stubs/python/silo_plan_django.py", escape = "none")]
struct PyDjango {
    d: Data,
}

#[derive(Template)]
#[template(path = "stubs/typescript/silo_plan_testing.ts", escape = "none")]
struct TsTesting {
    d: Data,
}

#[derive(Template)]
#[template(path = "stubs/ruby/silo_plan_minitest.rb", escape = "none")]
struct RbMinitest {
    d: Data,
}

#[derive(Template)]
#[template(path = "stubs/go/silotest.go", escape = "none")]
struct GoSilotest {
    d: Data,
}

/// The test helpers under `stubs/`, for the plan's simulation.
pub fn files(sim: &Simulation) -> Result<Vec<OutFile>, RenderError> {
    let m = maps(sim);
    let file = |path: &str, contents: String| OutFile {
        path: format!("stubs/{path}"),
        contents: super::with_newline(contents),
    };
    Ok(vec![
        file(
            "python/silo_plan_testing.py",
            super::run(
                "stubs/python/silo_plan_testing.py",
                &PyTesting {
                    d: data(sim, &m, Lang::Python),
                },
            )?,
        ),
        file(
            "python/silo_plan_pytest.py",
            super::run(
                "stubs/python/silo_plan_pytest.py",
                &PyPytest {
                    d: data(sim, &m, Lang::Python),
                },
            )?,
        ),
        file(
            "python/silo_plan_django.py",
            super::run(
                "stubs/python/silo_plan_django.py",
                &PyDjango {
                    d: data(sim, &m, Lang::Python),
                },
            )?,
        ),
        file(
            "typescript/silo_plan_testing.ts",
            super::run(
                "stubs/typescript/silo_plan_testing.ts",
                &TsTesting {
                    d: data(sim, &m, Lang::TypeScript),
                },
            )?,
        ),
        file(
            "go/silotest/silotest.go",
            super::run(
                "stubs/go/silotest.go",
                &GoSilotest {
                    d: data(sim, &m, Lang::Go),
                },
            )?,
        ),
        file(
            "ruby/silo_plan_minitest.rb",
            super::run(
                "stubs/ruby/silo_plan_minitest.rb",
                &RbMinitest {
                    d: data(sim, &m, Lang::Ruby),
                },
            )?,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::QName;
    use crate::simulate::{CrossingView, SiloRole};

    fn role(silo: &str, tables: &[(&str, &str)], sequences: &[&str]) -> SiloRole {
        SiloRole {
            silo: silo.into(),
            role: format!("silo_{silo}"),
            tables: tables.iter().map(|(s, t)| QName::new(*s, *t)).collect(),
            shared: Vec::new(),
            views: Vec::new(),
            sequences: sequences.iter().map(|s| QName::new("public", *s)).collect(),
            schemas: vec!["public".into()],
        }
    }

    fn sim() -> Simulation {
        Simulation {
            config: "silo-plan.toml".into(),
            roles: vec![
                role(
                    "control",
                    &[("public", "auth_user"), ("audit", "log")],
                    &["auth_user_id_seq", "django_migrations_id_seq"],
                ),
                role(
                    "Region",
                    &[("public", "invoice"), ("public", "log")],
                    &["invoice_id_seq", "django_migrations_id_seq"],
                ),
            ],
            schemas: vec!["audit".into(), "public".into()],
            crossing_views: vec![CrossingView {
                view: QName::new("public", "member_v"),
                silos: vec!["Region".into(), "control".into()],
            }],
            crossing_functions: Vec::new(),
            unassigned: Vec::new(),
        }
    }

    #[test]
    fn maps_name_relations_as_postgres_does() {
        let m = maps(&sim());
        // Postgres names the relation without its schema: `log` is in both silos.
        assert_eq!(m.tables["log"], "Region or control");
        assert_eq!(m.tables["auth_user"], "control");
        assert_eq!(m.tables["invoice"], "Region");
        // A sequence every role holds (a shared table's) is never refused.
        assert!(!m.sequences.contains_key("django_migrations_id_seq"));
        assert_eq!(m.sequences["invoice_id_seq"], "Region");
        assert_eq!(m.views["member_v"], "Region and control");
    }

    #[test]
    fn roles_are_quoted_in_sql_and_escaped_for_libpq() {
        let files = files(&sim()).expect("renders");
        let py = &files
            .iter()
            .find(|f| f.path == "stubs/python/silo_plan_testing.py")
            .expect("python")
            .contents;
        assert!(
            py.contains(r#""Region": 'SET ROLE "silo_Region"',"#),
            "{py}"
        );
        assert!(
            py.contains(r#""control": "SET ROLE silo_control","#),
            "{py}"
        );
        assert!(py.contains(r#""Region": "-c role=silo_Region","#), "{py}");
        assert!(py.contains(r#""log": "Region or control","#), "{py}");
        assert_eq!(pg_option("a b\\c"), r"-c role=a\ b\\c");
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "stubs/python/silo_plan_testing.py",
                "stubs/python/silo_plan_pytest.py",
                "stubs/python/silo_plan_django.py",
                "stubs/typescript/silo_plan_testing.ts",
                "stubs/go/silotest/silotest.go",
                "stubs/ruby/silo_plan_minitest.rb",
            ]
        );
    }
}
