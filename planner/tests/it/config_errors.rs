//! Config errors: one snapshot per error class of `silo-plan.toml` and its resolution against a
//! dump, each the full message (`file:line:column: message` and the help line); and the bundled
//! example's config resolved against its dump.

use std::collections::BTreeMap;
use std::path::Path;

use silo_plan::assign::{assign, match_rules, Placement};
use silo_plan::catalog::{Catalog, QName};
use silo_plan::config::{self, parse, ConfigError};
use silo_plan::dump::{self, ReadOptions};
use silo_plan::source::SourceFile;

const FILE: &str = "silo-plan.toml";

/// A small dump: two silos' worth of tables, a partitioned table, foreign keys.
const DUMP: &str = "
CREATE TABLE public.auth_user (id integer PRIMARY KEY, email text);
CREATE TABLE public.auth_token (id integer PRIMARY KEY, user_id integer);
CREATE TABLE public.org_organization (id integer PRIMARY KEY, slug text);
CREATE TABLE public.org_member (id integer PRIMARY KEY, organization_id integer, user_id integer,
    inviter_id integer, role text);
CREATE TABLE public.org_mapping (id integer PRIMARY KEY, organization_id integer);
CREATE TABLE public.django_migrations (id integer PRIMARY KEY);
CREATE TABLE public.issue_event (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE public.issue_event_2024 PARTITION OF public.issue_event
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE ONLY public.auth_token
    ADD CONSTRAINT auth_token_user_id_fk FOREIGN KEY (user_id) REFERENCES public.auth_user(id);
ALTER TABLE ONLY public.org_member
    ADD CONSTRAINT org_member_user_id_fk FOREIGN KEY (user_id) REFERENCES public.auth_user(id);
ALTER TABLE ONLY public.org_member
    ADD CONSTRAINT org_member_inviter_id_fk FOREIGN KEY (inviter_id) REFERENCES public.auth_user(id);
ALTER TABLE ONLY public.org_member
    ADD CONSTRAINT org_member_organization_id_fk FOREIGN KEY (organization_id)
    REFERENCES public.org_organization(id);
ALTER TABLE ONLY public.org_mapping
    ADD CONSTRAINT org_mapping_organization_id_fk FOREIGN KEY (organization_id)
    REFERENCES public.org_organization(id);
";

/// A config that resolves cleanly against [`DUMP`]; tests append to it or edit it.
const GOOD: &str = r#"version = 1
origin = "region"

[silos.control]
tables = ["auth_*", "org_mapping"]

[silos.region]
tables = ["org_*", "issue_*"]

[shared]
tables = ["django_migrations"]
"#;

fn catalog() -> Catalog {
    let cat = dump::read(
        &[SourceFile::new("t.sql", DUMP.to_string())],
        &ReadOptions::default(),
    );
    assert_eq!(cat.tables.len(), 8, "the test dump reads");
    assert_eq!(cat.foreign_keys.len(), 5, "the test dump reads");
    cat
}

/// The full message of an error; refuses an empty one and checks it is positioned.
fn shown(e: ConfigError) -> String {
    let s = e.to_string();
    assert!(!e.message.is_empty(), "empty message: {s}");
    assert!(
        e.help.as_deref().is_some_and(|h| !h.is_empty()),
        "no help: {s}"
    );
    s
}

/// The error `parse` gives for `text` (which must fail).
fn parse_err(text: &str) -> String {
    match parse(FILE, text) {
        Ok(_) => panic!("parsed without error:\n{text}"),
        Err(e) => shown(e),
    }
}

/// The error `assign` or `match_rules` gives for `text` against [`DUMP`] (parsing must pass).
fn resolve_err(text: &str) -> String {
    let cfg = parse(FILE, text).unwrap_or_else(|e| panic!("does not parse: {e}"));
    let cat = catalog();
    let r = assign(&cat, &cfg).and_then(|_| match_rules(&cat, &cfg));
    match r {
        Ok(_) => panic!("resolved without error:\n{text}"),
        Err(e) => shown(e),
    }
}

#[test]
fn good_config_resolves() {
    let cfg = parse(FILE, GOOD).unwrap();
    let a = assign(&catalog(), &cfg).unwrap();
    let names: BTreeMap<String, &str> = a
        .tables
        .keys()
        .map(|q| (q.name.clone(), a.silo_name(q)))
        .collect();
    insta::assert_debug_snapshot!("config_good_assignment", names);
}

#[test]
fn toml_syntax() {
    insta::assert_snapshot!(
        "config_toml_syntax",
        parse_err("version = 1\n[silos.control\ntables = [\"auth_*\"]\n")
    );
}

#[test]
fn toml_unterminated_string() {
    insta::assert_snapshot!(
        "config_toml_unterminated_string",
        parse_err("version = 1\n[silos.control]\ntables = [\"auth_*]\n")
    );
}

#[test]
fn toml_duplicate_table() {
    insta::assert_snapshot!(
        "config_toml_duplicate_table",
        parse_err(&format!("{GOOD}[silos.control]\ntables = [\"x\"]\n"))
    );
}

#[test]
fn unknown_key_top_level() {
    insta::assert_snapshot!(
        "config_unknown_key_top_level",
        parse_err(&GOOD.replace("origin =", "orgin ="))
    );
}

#[test]
fn unknown_key_in_silo() {
    insta::assert_snapshot!(
        "config_unknown_key_in_silo",
        parse_err(&format!(
            "{GOOD}[silos.third]\ntables = [\"x\"]\ninstance = [\"us\"]\n"
        ))
    );
}

#[test]
fn unknown_key_in_edges() {
    insta::assert_snapshot!(
        "config_unknown_key_in_edges",
        parse_err(&format!(
            "{GOOD}\n[[edges]]\nfrom = \"org_member.user_id\"\nondelete = \"set-null\"\n"
        ))
    );
}

#[test]
fn wrong_type() {
    insta::assert_snapshot!(
        "config_wrong_type",
        parse_err(&GOOD.replace(r#"["org_*", "issue_*"]"#, r#""org_*""#))
    );
}

#[test]
fn missing_version() {
    insta::assert_snapshot!(
        "config_missing_version",
        parse_err(&GOOD.replace("version = 1\n", ""))
    );
}

#[test]
fn wrong_version() {
    insta::assert_snapshot!(
        "config_wrong_version",
        parse_err(&GOOD.replace("version = 1", "version = 2"))
    );
}

#[test]
fn invalid_dialect() {
    insta::assert_snapshot!(
        "config_invalid_dialect",
        parse_err(&GOOD.replace("origin", "dialect = \"postgresql\"\norigin"))
    );
}

#[test]
fn origin_names_no_silo() {
    insta::assert_snapshot!(
        "config_origin_names_no_silo",
        parse_err(&GOOD.replace("origin = \"region\"", "origin = \"regoin\""))
    );
}

#[test]
fn no_silos() {
    insta::assert_snapshot!(
        "config_no_silos",
        parse_err("version = 1\n[shared]\ntables = [\"django_migrations\"]\n")
    );
}

#[test]
fn empty_silo() {
    insta::assert_snapshot!(
        "config_empty_silo",
        parse_err(&format!("{GOOD}[silos.billing]\ntables = []\n"))
    );
}

#[test]
fn silo_named_shared() {
    insta::assert_snapshot!(
        "config_silo_named_shared",
        parse_err(&format!("{GOOD}[silos.shared]\ntables = [\"x_*\"]\n"))
    );
}

#[test]
fn invalid_silo_name() {
    insta::assert_snapshot!(
        "config_invalid_silo_name",
        parse_err(&format!("{GOOD}[silos.\"../etc\"]\ntables = [\"x_*\"]\n"))
    );
}

#[test]
fn bad_pattern_syntax() {
    insta::assert_snapshot!(
        "config_bad_pattern_syntax",
        parse_err(&GOOD.replace("\"issue_*\"", "\"public.issue.*\""))
    );
}

#[test]
fn duplicate_in_one_silo() {
    insta::assert_snapshot!(
        "config_duplicate_in_one_silo",
        parse_err(&GOOD.replace(
            r#"["auth_*", "org_mapping"]"#,
            r#"["auth_*", "org_mapping", "auth_*"]"#
        ))
    );
}

#[test]
fn duplicate_across_silos() {
    insta::assert_snapshot!(
        "config_duplicate_across_silos",
        parse_err(&GOOD.replace(
            r#"["org_*", "issue_*"]"#,
            r#"["org_*", "issue_*", "public.org_mapping"]"#
        ))
    );
}

#[test]
fn duplicate_silo_and_shared() {
    insta::assert_snapshot!(
        "config_duplicate_silo_and_shared",
        parse_err(&GOOD.replace(
            r#"["django_migrations"]"#,
            r#"["django_migrations", "org_*"]"#
        ))
    );
}

#[test]
fn invalid_action_in_defaults() {
    insta::assert_snapshot!(
        "config_invalid_action_in_defaults",
        parse_err(&format!("{GOOD}[defaults]\non_delete = \"set_null\"\n"))
    );
}

#[test]
fn invalid_action_in_edges() {
    insta::assert_snapshot!(
        "config_invalid_action_in_edges",
        parse_err(&format!(
            "{GOOD}\n[[edges]]\nfrom = \"org_member.user_id\"\non_delete = \"delete\"\n"
        ))
    );
}

#[test]
fn invalid_unassigned() {
    insta::assert_snapshot!(
        "config_invalid_unassigned",
        parse_err(&format!("{GOOD}[defaults]\nunassigned = \"warning\"\n"))
    );
}

#[test]
fn edge_without_action() {
    insta::assert_snapshot!(
        "config_edge_without_action",
        parse_err(&format!(
            "{GOOD}\n[[edges]]\nfrom = \"org_member.user_id\"\n"
        ))
    );
}

#[test]
fn edge_with_from_and_constraint() {
    insta::assert_snapshot!(
        "config_edge_with_from_and_constraint",
        parse_err(&format!(
            "{GOOD}\n[[edges]]\nfrom = \"org_member.user_id\"\nconstraint = \"org_member_user_id_fk\"\non_delete = \"set-null\"\n"
        ))
    );
}

#[test]
fn edge_without_from_or_constraint() {
    insta::assert_snapshot!(
        "config_edge_without_from_or_constraint",
        parse_err(&format!("{GOOD}\n[[edges]]\non_delete = \"set-null\"\n"))
    );
}

#[test]
fn bad_from_syntax() {
    insta::assert_snapshot!(
        "config_bad_from_syntax",
        parse_err(&format!(
            "{GOOD}\n[[allow]]\nfrom = \"org_member\"\nreason = \"tracked in #12\"\n"
        ))
    );
}

#[test]
fn allow_with_empty_reason() {
    insta::assert_snapshot!(
        "config_allow_with_empty_reason",
        parse_err(&format!(
            "{GOOD}\n[[allow]]\nfrom = \"org_member.user_id\"\nreason = \"  \"\n"
        ))
    );
}

#[test]
fn allow_without_reason() {
    insta::assert_snapshot!(
        "config_allow_without_reason",
        parse_err(&format!(
            "{GOOD}\n[[allow]]\nconstraint = \"org_member_user_id_fk\"\n"
        ))
    );
}

#[test]
fn allow_code_without_object() {
    insta::assert_snapshot!(
        "config_allow_code_without_object",
        parse_err(&format!(
            "{GOOD}\n[[allow]]\ncode = \"SP004\"\nreason = \"tracked in #12\"\n"
        ))
    );
}

#[test]
fn allow_object_without_code() {
    insta::assert_snapshot!(
        "config_allow_object_without_code",
        parse_err(&format!(
            "{GOOD}\n[[allow]]\nobject = \"org_stats_mv\"\nreason = \"tracked in #12\"\n"
        ))
    );
}

#[test]
fn allow_unknown_code() {
    insta::assert_snapshot!(
        "config_allow_unknown_code",
        parse_err(&format!(
            "{GOOD}\n[[allow]]\ncode = \"SP04\"\nobject = \"org_stats_mv\"\nreason = \"tracked in #12\"\n"
        ))
    );
}

#[test]
fn allow_code_of_a_foreign_key() {
    insta::assert_snapshot!(
        "config_allow_code_of_a_foreign_key",
        parse_err(&format!(
            "{GOOD}\n[[allow]]\ncode = \"SP002\"\nobject = \"org_member.*\"\nreason = \"tracked in #12\"\n"
        ))
    );
}

#[test]
fn allow_code_of_queries() {
    insta::assert_snapshot!(
        "config_allow_code_of_queries",
        parse_err(&format!(
            "{GOOD}\n[[allow]]\ncode = \"SP011\"\nobject = \"*\"\nreason = \"tracked in #12\"\n"
        ))
    );
}

#[test]
fn allow_code_and_from() {
    insta::assert_snapshot!(
        "config_allow_code_and_from",
        parse_err(&format!(
            "{GOOD}\n[[allow]]\ncode = \"SP004\"\nobject = \"org_stats_mv\"\nfrom = \"org_member.user_id\"\nreason = \"tracked in #12\"\n"
        ))
    );
}

#[test]
fn allow_empty_object() {
    insta::assert_snapshot!(
        "config_allow_empty_object",
        parse_err(&format!(
            "{GOOD}\n[[allow]]\ncode = \"SP004\"\nobject = \"\"\nreason = \"tracked in #12\"\n"
        ))
    );
}

#[test]
fn allow_code_without_reason() {
    insta::assert_snapshot!(
        "config_allow_code_without_reason",
        parse_err(&format!(
            "{GOOD}\n[[allow]]\ncode = \"SP004\"\nobject = \"org_stats_mv\"\n"
        ))
    );
}

#[test]
fn allow_without_selector() {
    insta::assert_snapshot!(
        "config_allow_without_selector",
        parse_err(&format!("{GOOD}\n[[allow]]\nreason = \"tracked in #12\"\n"))
    );
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = config::load(dir.path()).unwrap_err();
    assert_eq!((e.line, e.column), (0, 0));
    let shown = shown(e).replace(&dir.path().display().to_string(), "[dir]");
    insta::assert_snapshot!("config_missing_file", shown);
}

// Resolution against a dump.

#[test]
fn pattern_matches_no_table() {
    insta::assert_snapshot!(
        "config_pattern_matches_no_table",
        resolve_err(&GOOD.replace("\"org_mapping\"", "\"org_mappings\""))
    );
}

#[test]
fn schema_pattern_matches_no_schema() {
    insta::assert_snapshot!(
        "config_schema_pattern_matches_no_schema",
        resolve_err(&GOOD.replace("\"issue_*\"", "\"issue_*\", \"billing.*\""))
    );
}

#[test]
fn tie_between_silos() {
    insta::assert_snapshot!(
        "config_tie_between_silos",
        resolve_err(
            &GOOD
                .replace("\"auth_*\"", "\"auth_*\", \"*_member\"")
                .replace("\"org_*\"", "\"org_*\", \"org_mem*\"")
        )
    );
}

#[test]
fn tie_between_silo_and_shared() {
    insta::assert_snapshot!(
        "config_tie_between_silo_and_shared",
        resolve_err(&GOOD.replace(
            r#"["django_migrations"]"#,
            r#"["django_migrations", "*token"]"#
        ))
    );
}

#[test]
fn partition_apart_from_parent() {
    insta::assert_snapshot!(
        "config_partition_apart_from_parent",
        resolve_err(&GOOD.replace("\"auth_*\"", "\"auth_*\", \"issue_event_20*\""))
    );
}

#[test]
fn partition_assigned_parent_unassigned() {
    insta::assert_snapshot!(
        "config_partition_assigned_parent_unassigned",
        resolve_err(&GOOD.replace("\"issue_*\"", "\"issue_event_2*\""))
    );
}

#[test]
fn edge_matches_no_foreign_key_column() {
    insta::assert_snapshot!(
        "config_edge_matches_no_foreign_key_column",
        resolve_err(&format!(
            "{GOOD}\n[[edges]]\nfrom = \"org_member.usr_id\"\non_delete = \"set-null\"\n"
        ))
    );
}

#[test]
fn edge_on_column_in_no_foreign_key() {
    insta::assert_snapshot!(
        "config_edge_on_column_in_no_foreign_key",
        resolve_err(&format!(
            "{GOOD}\n[[edges]]\nfrom = \"org_member.role\"\non_delete = \"set-null\"\n"
        ))
    );
}

#[test]
fn allow_on_missing_table() {
    insta::assert_snapshot!(
        "config_allow_on_missing_table",
        resolve_err(&format!(
            "{GOOD}\n[[allow]]\nfrom = \"org_membr.user_id\"\nreason = \"tracked in #12\"\n"
        ))
    );
}

#[test]
fn allow_on_unknown_constraint() {
    insta::assert_snapshot!(
        "config_allow_on_unknown_constraint",
        resolve_err(&format!(
            "{GOOD}\n[[allow]]\nconstraint = \"org_member_user_fk\"\nreason = \"tracked in #12\"\n"
        ))
    );
}

#[test]
fn two_edges_on_one_foreign_key() {
    insta::assert_snapshot!(
        "config_two_edges_on_one_foreign_key",
        resolve_err(&format!(
            "{GOOD}\n[[edges]]\nfrom = \"org_member.user_id\"\non_delete = \"set-null\"\n\n\
             [[edges]]\nconstraint = \"org_member_user_id_fk\"\non_delete = \"cascade\"\n"
        ))
    );
}

// The bundled example.

#[test]
fn saas_example_assigns_every_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cfg = config::load(&root.join("examples/saas")).unwrap_or_else(|e| panic!("{e}"));
    let sources: Vec<SourceFile> = cfg
        .schema_paths()
        .iter()
        .map(|p| SourceFile::load(p).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let cat = dump::read(
        &sources,
        &ReadOptions {
            dialect: cfg.dialect,
        },
    );
    let a = assign(&cat, &cfg).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.tables.len(), 54);

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for d in a.tables.values() {
        assert_ne!(d.placement, Placement::Unassigned);
        *counts.entry(d.placement.name()).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = [("control", 22), ("region", 30), ("shared", 2)].into();
    assert_eq!(counts, expected);

    // The control list of the README, exactly.
    let control: Vec<&str> = a
        .tables
        .iter()
        .filter(|(_, d)| d.placement == Placement::Silo("control".into()))
        .map(|(q, _)| q.name.as_str())
        .collect();
    assert_eq!(
        control,
        [
            "app_sentryapp",
            "app_sentryappinstallation",
            "app_sentryappinstallationtoken",
            "auth_apiapplication",
            "auth_apigrant",
            "auth_apitoken",
            "auth_authenticator",
            "auth_identity",
            "auth_identityprovider",
            "auth_permission",
            "auth_user",
            "auth_user_user_permissions",
            "auth_useravatar",
            "auth_useremail",
            "auth_userip",
            "integ_integration",
            "integ_organizationintegration",
            "notif_settingoption",
            "notif_settingprovider",
            "org_membermapping",
            "org_organizationmapping",
            "org_slugreservation",
        ]
    );

    // The rules the README spells out.
    let silo = |t: &str| a.silo_name(&QName::new("public", t)).to_string();
    assert_eq!(
        silo("org_organizationmapping"),
        "control",
        "exact beats glob"
    );
    assert_eq!(silo("integ_repository"), "region", "longer glob wins");
    assert_eq!(silo("integ_integration"), "control");
    for p in [
        "issue_event_2024",
        "issue_event_2025",
        "issue_event_default",
    ] {
        let d = &a.tables[&QName::new("public", p)];
        assert_eq!(d.placement, Placement::Silo("region".into()), "{p}");
        assert_eq!(d.via, Some(QName::new("public", "issue_event")), "{p}");
    }
    for v in ["org_member_directory_v", "issue_project_counts_mv"] {
        assert_eq!(
            a.views[&QName::new("public", v)].placement,
            Placement::Silo("region".into()),
            "{v}"
        );
    }

    let m = match_rules(&cat, &cfg).unwrap_or_else(|e| panic!("{e}"));
    let name = |i: usize| cat.foreign_keys[i].name.as_str();
    assert_eq!(m.fks_of_edge.len(), 1);
    assert_eq!(
        m.fks_of_edge[0]
            .iter()
            .map(|&i| name(i))
            .collect::<Vec<_>>(),
        ["rel_release_owner_id_73a210ab_fk_auth_user_id"]
    );
    assert_eq!(
        m.fks_of_allow[0]
            .iter()
            .map(|&i| name(i))
            .collect::<Vec<_>>(),
        ["org_auditlogentry_actor_id_296c0f86_fk_auth_user_id"]
    );
    assert_eq!(m.edge_of_fk.iter().flatten().count(), 1);
    assert_eq!(m.allow_of_fk.iter().flatten().count(), 1);
}

// Names made from silos: one name, one silo (issue 20, item 1).

#[test]
fn silos_whose_names_flatten_alike() {
    insta::assert_snapshot!(
        "config_silos_whose_names_flatten_alike",
        parse_err(&format!(
            "{GOOD}[silos.a-b]\ntables = [\"x\"]\n[silos.a_b]\ntables = [\"y\"]\n"
        ))
    );
}

#[test]
fn silos_whose_names_differ_in_case() {
    insta::assert_snapshot!(
        "config_silos_whose_names_differ_in_case",
        parse_err(&format!("{GOOD}[silos.Control]\ntables = [\"x\"]\n"))
    );
}

#[test]
fn silo_named_origin_beside_the_origin() {
    insta::assert_snapshot!(
        "config_silo_named_origin_beside_the_origin",
        parse_err(&format!("{GOOD}[silos.origin]\ntables = [\"x\"]\n"))
    );
}

#[test]
fn silo_making_a_name_silo_plan_uses() {
    insta::assert_snapshot!(
        "config_silo_making_a_name_silo_plan_uses",
        parse_err(&format!("{GOOD}[silos.pkey]\ntables = [\"x\"]\n"))
    );
}

#[test]
fn silos_making_the_same_subscription_name() {
    insta::assert_snapshot!(
        "config_silos_making_the_same_subscription_name",
        parse_err(&format!(
            "{GOOD}[silos.to_b]\ntables = [\"x\"]\n[silos.a]\ntables = [\"y\"]\n\
             [silos.a_to]\ntables = [\"z\"]\n[silos.b]\ntables = [\"w\"]\n"
        ))
    );
}

#[test]
fn tenant_with_a_glob() {
    insta::assert_snapshot!(
        "config_tenant_with_a_glob",
        parse_err(&GOOD.replace(
            "tables = [\"org_*\", \"issue_*\"]",
            "tables = [\"org_*\", \"issue_*\"]\ntenant = \"org_*\""
        ))
    );
}

#[test]
fn tenant_names_no_table() {
    insta::assert_snapshot!(
        "config_tenant_names_no_table",
        resolve_err(&GOOD.replace(
            "tables = [\"org_*\", \"issue_*\"]",
            "tables = [\"org_*\", \"issue_*\"]\ntenant = \"org_organisation\""
        ))
    );
}

#[test]
fn tenant_in_another_silo() {
    insta::assert_snapshot!(
        "config_tenant_in_another_silo",
        resolve_err(&GOOD.replace(
            "tables = [\"org_*\", \"issue_*\"]",
            "tables = [\"org_*\", \"issue_*\"]\ntenant = \"org_mapping\""
        ))
    );
}

fn with_global_unique(entry: &str) -> String {
    GOOD.replace(
        "tables = [\"org_*\", \"issue_*\"]",
        &format!("tables = [\"org_*\", \"issue_*\"]\ninstances = [\"us\", \"eu\"]\nglobal_unique = [{entry}]"),
    )
}

#[test]
fn global_unique_syntax() {
    insta::assert_snapshot!(
        "config_global_unique_syntax",
        parse_err(&with_global_unique("\"org_organization\""))
    );
}

#[test]
fn global_unique_unknown_column() {
    insta::assert_snapshot!(
        "config_global_unique_unknown_column",
        resolve_err(&with_global_unique("\"org_organization.slag\""))
    );
}

#[test]
fn global_unique_not_a_unique_key() {
    insta::assert_snapshot!(
        "config_global_unique_not_a_unique_key",
        resolve_err(&with_global_unique("\"org_member.role\""))
    );
}

#[test]
fn global_unique_table_of_another_silo() {
    insta::assert_snapshot!(
        "config_global_unique_table_of_another_silo",
        resolve_err(&with_global_unique("\"auth_user.id\""))
    );
}

#[test]
fn global_unique_unknown_table() {
    insta::assert_snapshot!(
        "config_global_unique_unknown_table",
        resolve_err(&with_global_unique("\"org_organisation.id\""))
    );
}

#[test]
fn instances_whose_names_flatten_alike() {
    insta::assert_snapshot!(
        "config_instances_whose_names_flatten_alike",
        parse_err(&GOOD.replace(
            "tables = [\"org_*\", \"issue_*\"]",
            "tables = [\"org_*\", \"issue_*\"]\ninstances = [\"us-east\", \"US_east\"]"
        ))
    );
}

/// The example's and every ordinary pair of names pass.
#[test]
fn ordinary_silo_names_pass() {
    parse(
        FILE,
        &format!(
            "{GOOD}[silos.billing-eu]\ntables = [\"x\"]\n[silos.Search]\ntables = [\"y\"]\n\
             [silos.a]\ntables = [\"z\"]\ninstances = [\"us-east-1\", \"eu\"]\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

// Constraint names are unique per table only (issue 20, item 13).

/// [`DUMP`] plus a table in schema `audit` whose key has the name of `public.org_member`'s.
fn with_same_named_key(text: &str) -> Result<Vec<Vec<usize>>, String> {
    let cfg = parse(FILE, text).unwrap_or_else(|e| panic!("does not parse: {e}"));
    let cat = dump::read(
        &[SourceFile::new(
            "t.sql",
            format!(
                "{DUMP}\nCREATE TABLE audit.org_member (id integer PRIMARY KEY, user_id integer);\n\
                 ALTER TABLE ONLY audit.org_member ADD CONSTRAINT org_member_user_id_fk \
                 FOREIGN KEY (user_id) REFERENCES public.auth_user(id);\n"
            ),
        )],
        &ReadOptions::default(),
    );
    assign(&cat, &cfg).map_err(shown)?;
    match_rules(&cat, &cfg)
        .map(|m| m.fks_of_edge)
        .map_err(shown)
}

#[test]
fn constraint_name_on_two_tables() {
    let text = GOOD.replace("\"issue_*\"]", "\"issue_*\", \"audit.*\"]")
        + "\n[[edges]]\nconstraint = \"org_member_user_id_fk\"\non_delete = \"set-null\"\n";
    insta::assert_snapshot!(
        "config_constraint_name_on_two_tables",
        with_same_named_key(&text).expect_err("a bare name on two tables")
    );
}

#[test]
fn constraint_named_with_its_table() {
    let base = GOOD.replace("\"issue_*\"]", "\"issue_*\", \"audit.*\"]");
    for (written, table) in [
        ("org_member.org_member_user_id_fk", "public"),
        ("public.org_member.org_member_user_id_fk", "public"),
        ("audit.org_member.org_member_user_id_fk", "audit"),
    ] {
        let text =
            format!("{base}\n[[edges]]\nconstraint = \"{written}\"\non_delete = \"set-null\"\n");
        let fks = with_same_named_key(&text).unwrap_or_else(|e| panic!("{written}: {e}"));
        assert_eq!(fks.len(), 1);
        assert_eq!(fks[0].len(), 1, "{written}: one key");
        // Keys in dump order: the five of DUMP, then audit's.
        let want = if table == "audit" { 5 } else { 1 };
        assert_eq!(fks[0][0], want, "{written}");
    }
}

// ---------------------------------------------------------------------------------------------
// `[[references]]` and references files, resolved against a dump whose references are plain
// columns.

const REFS_DUMP: &str = "
CREATE TABLE public.users (id bigint PRIMARY KEY, email text, handle text);
CREATE TABLE public.teams (code text, name text);
CREATE TABLE public.posts (id bigint PRIMARY KEY, user_id bigint, author_email text,
    team_code text, owner_ref integer);
CREATE UNIQUE INDEX users_handle ON public.users (handle);
";

const REFS_GOOD: &str = r#"version = 1
[silos.control]
tables = ["users", "teams"]

[silos.region]
tables = ["posts"]
"#;

/// Resolves `cfg` (loaded, so that references files are read) against [`REFS_DUMP`].
fn refs_resolve(cfg: &config::Config) -> Result<silo_plan::analysis::Analysis, ConfigError> {
    silo_plan::analysis::Analysis::new(
        cfg.clone(),
        vec![SourceFile::new("t.sql", REFS_DUMP.to_string())],
    )
}

/// The error resolving `text` (appended to [`REFS_GOOD`]) against [`REFS_DUMP`] gives.
fn refs_err(text: &str) -> String {
    let cfg = parse(FILE, &format!("{REFS_GOOD}{text}"))
        .unwrap_or_else(|e| panic!("does not parse: {e}"));
    match refs_resolve(&cfg) {
        Ok(_) => panic!("resolved without error:\n{text}"),
        Err(e) => shown(e),
    }
}

#[test]
fn references_pattern_matching_nothing() {
    insta::assert_snapshot!(
        "config_references_pattern_matching_nothing",
        refs_err("[[references]]\nfrom = \"*.account_id\"\nto = \"users\"\n")
    );
}

#[test]
fn references_missing_column() {
    insta::assert_snapshot!(
        "config_references_missing_column",
        refs_err("[[references]]\nfrom = \"posts.usr_id\"\nto = \"users\"\n")
    );
}

#[test]
fn references_type_mismatch() {
    insta::assert_snapshot!(
        "config_references_type_mismatch",
        refs_err("[[references]]\nfrom = \"posts.author_email\"\nto = \"users\"\n")
    );
}

#[test]
fn references_target_not_unique() {
    insta::assert_snapshot!(
        "config_references_target_not_unique",
        refs_err("[[references]]\nfrom = \"posts.author_email\"\nto = \"users.email\"\n")
    );
}

#[test]
fn references_parent_without_primary_key() {
    insta::assert_snapshot!(
        "config_references_parent_without_primary_key",
        refs_err("[[references]]\nfrom = \"posts.team_code\"\nto = \"teams\"\n")
    );
}

#[test]
fn references_ignore_matching_nothing() {
    insta::assert_snapshot!(
        "config_references_ignore_matching_nothing",
        refs_err("[[references]]\nfrom = \"posts.owner_ref\"\nignore = true\n")
    );
}

#[test]
fn references_invalid_action() {
    insta::assert_snapshot!(
        "config_references_invalid_action",
        parse_err(&format!(
            "{REFS_GOOD}[[references]]\nfrom = \"posts.owner_ref\"\nto = \"users\"\non_delete = \"cascad\"\n"
        ))
    );
}

#[test]
fn references_declared_unique_index_and_int_widths_resolve_and_edges_select_them() {
    // `integer` → `bigint` is compatible; a unique index is a key; `[[edges]]` selects a
    // declared reference and an inferred one by their child column.
    let cfg = parse(
        FILE,
        &format!(
            "{REFS_GOOD}[[references]]\nfrom = \"posts.owner_ref\"\nto = \"users\"\n\
             [[references]]\nfrom = \"posts.author_email\"\nto = \"users.handle\"\n\
             on_delete = \"set-null\"\n\
             [[edges]]\nfrom = \"posts.owner_ref\"\non_delete = \"restrict\"\n\
             [[edges]]\nfrom = \"posts.user_id\"\non_delete = \"cascade\"\n"
        ),
    )
    .expect("parses");
    let a = refs_resolve(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<String> = a
        .cat
        .foreign_keys
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let (action, _) = silo_plan::check::effective_action(&a.cat, &a.cfg, &a.rules, k);
            format!(
                "{}({}) -> {}({}) {} {}",
                f.table,
                f.columns.join(","),
                f.references,
                f.referenced_columns.join(","),
                f.kind().as_str(),
                action.as_str()
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            "public.posts(owner_ref) -> public.users(id) declared restrict",
            "public.posts(author_email) -> public.users(handle) declared set-null",
            "public.posts(user_id) -> public.users(id) inferred cascade",
        ]
    );
}

/// The error `config::load` then the resolution give for a config importing `refs.json`.
fn import_err(json: Option<&str>) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(FILE),
        format!(
            "{}references = [\"refs.json\"]\n{}",
            "version = 1\n",
            &REFS_GOOD[12..]
        ),
    )
    .expect("config");
    if let Some(j) = json {
        std::fs::write(dir.path().join("refs.json"), j).expect("refs");
    }
    let e = match config::load(dir.path()) {
        Err(e) => e,
        Ok(cfg) => match refs_resolve(&cfg) {
            Ok(_) => panic!("resolved without error"),
            Err(e) => e,
        },
    };
    shown(e).replace(&dir.path().display().to_string(), "DIR")
}

#[test]
fn references_file_missing() {
    insta::assert_snapshot!("config_references_file_missing", import_err(None));
}

#[test]
fn references_file_invalid_json() {
    insta::assert_snapshot!(
        "config_references_file_invalid_json",
        import_err(Some(
            "{\"version\": 1,\n \"references\": [\n  {\"table\": \"posts\",}\n ]}\n"
        ))
    );
}

#[test]
fn references_file_unknown_version() {
    insta::assert_snapshot!(
        "config_references_file_unknown_version",
        import_err(Some("{\n  \"version\": 2,\n  \"references\": []\n}\n"))
    );
}

#[test]
fn references_file_entry_matching_no_table() {
    insta::assert_snapshot!(
        "config_references_file_entry_matching_no_table",
        import_err(Some(
            "{\n  \"version\": 1,\n  \"references\": [\n    {\"table\": \"posts\", \"columns\": [\"owner_ref\"], \"referenced_table\": \"users\"},\n    {\"table\": \"post\", \"columns\": [\"user_id\"], \"referenced_table\": \"users\"}\n  ]\n}\n"
        ))
    );
}

#[test]
fn id_space_unknown_scheme() {
    insta::assert_snapshot!(
        "config_id_space_unknown_scheme",
        parse_err(&GOOD.replace(
            "tables = [\"org_*\", \"issue_*\"]",
            "tables = [\"org_*\", \"issue_*\"]\ninstances = [\"us\", \"eu\"]\nid_space = \"uuid\""
        ))
    );
}

#[test]
fn id_space_without_instances() {
    insta::assert_snapshot!(
        "config_id_space_without_instances",
        parse_err(&GOOD.replace(
            "tables = [\"org_*\", \"issue_*\"]",
            "tables = [\"org_*\", \"issue_*\"]\nid_space = \"ranges\""
        ))
    );
}

#[test]
fn origin_instance_not_an_instance() {
    insta::assert_snapshot!(
        "config_origin_instance_not_an_instance",
        parse_err(&GOOD.replace(
            "tables = [\"org_*\", \"issue_*\"]",
            "tables = [\"org_*\", \"issue_*\"]\ninstances = [\"us\", \"de\"]\norigin_instance = \"use\""
        ))
    );
}

#[test]
fn origin_instance_without_instances() {
    insta::assert_snapshot!(
        "config_origin_instance_without_instances",
        parse_err(&GOOD.replace(
            "tables = [\"org_*\", \"issue_*\"]",
            "tables = [\"org_*\", \"issue_*\"]\ninstances = [\"us\"]\norigin_instance = \"us\""
        ))
    );
}

#[test]
fn origin_instance_names_the_instance_that_keeps_todays_rows() {
    let with = |extra: &str| {
        parse(
            FILE,
            &GOOD.replace(
                "tables = [\"org_*\", \"issue_*\"]",
                &format!("tables = [\"org_*\", \"issue_*\"]\ninstances = [\"us\", \"de\", \"jp\"]{extra}"),
            ),
        )
        .unwrap()
    };
    let cfg = with("\norigin_instance = \"de\"");
    let region = cfg.silo("region").unwrap();
    assert_eq!(region.origin_instance(), Some("de"));
    assert_eq!(region.new_instances(), ["us", "jp"]);
    let cfg = with("");
    let region = cfg.silo("region").unwrap();
    assert_eq!(region.origin_instance(), Some("us"), "the first by default");
    assert_eq!(region.new_instances(), ["de", "jp"]);
    assert_eq!(cfg.silo("control").unwrap().origin_instance(), None);
}
