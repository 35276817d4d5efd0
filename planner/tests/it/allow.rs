//! `[[allow]]` for every finding: `code` and `object` accept a view, a routine, an unassigned
//! table (any finding that is not a foreign key's); `from`/`constraint` accept a foreign key's
//! crossing, a shared table's key (SP003) included. An accepted finding is still reported, as a
//! note naming the entry and its reason, and does not fail `check`; an entry that accepts
//! nothing is the error SP008 at its line and column.

use serde_json::Value;

use super::pg::Cluster;
use super::util::silo_plan;

/// A dump with a materialized view over two silos (SP004), a trigger in one silo updating the
/// other's table (SP006), a table no silo holds (SP001), a shared table referencing a silo
/// table (SP003) and a reference its column name implies across silos (SP017). Loaded into PostgreSQL by the first test, so it is what Postgres accepts.
const DUMP: &str = "\
CREATE TABLE public.auth_user (id bigint PRIMARY KEY, email text);
CREATE TABLE public.org_member (id bigint PRIMARY KEY, user_id bigint NOT NULL);
CREATE TABLE public.scratch (id bigint PRIMARY KEY);
CREATE TABLE public.django_admin_log (id bigint PRIMARY KEY,
    user_id bigint CONSTRAINT django_admin_log_user_fk REFERENCES public.auth_user(id));
CREATE MATERIALIZED VIEW public.member_emails_mv AS
    SELECT m.id, u.email FROM public.org_member m JOIN public.auth_user u ON u.id = m.user_id;
CREATE FUNCTION public.touch_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE public.auth_user SET email = email WHERE id = NEW.user_id; RETURN NEW; END $$;
CREATE TRIGGER org_member_touch AFTER INSERT ON public.org_member
    FOR EACH ROW EXECUTE FUNCTION public.touch_user();
";

const MAP: &str = r#"version = 1
schema = ["schema.sql"]

[silos.control]
tables = ["auth_*"]

[silos.region]
tables = ["org_*"]

[shared]
tables = ["django_*"]
"#;

/// The entries accepting every finding of [`DUMP`] under [`MAP`].
const ALLOWS: &str = r#"
[[allow]]
code = "SP004"
object = "public.*_mv"
reason = "the dashboard reads it until the stats service ships (#41)"

[[allow]]
code = "cross-silo-routine"
object = "org_member.org_member_*"
reason = "the trigger goes with the user sync rewrite (#42)"

[[allow]]
code = "SP001"
object = "scratch"
reason = "dropped next release (#43)"

[[allow]]
from = "django_admin_log.user_id"
reason = "admin log rows are cleared before the split (#44)"

[[allow]]
from = "org_member.user_id"
reason = "the membership keeps a plain user id (#45)"
"#;

/// `check --format json` on `config` beside [`DUMP`]: its exit code and document.
fn check(config: &str) -> (i32, Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.sql"), DUMP).unwrap();
    std::fs::write(dir.path().join("silo-plan.toml"), config).unwrap();
    let out = silo_plan(dir.path(), ["check", "silo-plan.toml", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), doc, dir)
}

/// `(code, severity, object)` of every finding.
fn findings(doc: &Value) -> Vec<(String, String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("code"), s("severity"), s("object"))
        })
        .collect()
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}`"))
        + 1
}

#[test]
fn the_dump_is_what_postgres_accepts() {
    let c = Cluster::start();
    c.createdb("allow");
    c.psql("allow", DUMP);
    assert_eq!(
        c.psql(
            "allow",
            "SELECT count(*) FROM pg_matviews WHERE matviewname = 'member_emails_mv'"
        )
        .trim(),
        "1"
    );
}

#[test]
fn without_allow_check_fails_on_the_view_the_table_and_the_shared_key() {
    let (code, doc, _dir) = check(MAP);
    assert_eq!(code, 1, "{doc:#}");
    let f = findings(&doc);
    let expect = |c: &str, sev: &str, obj: &str| {
        assert!(
            f.contains(&(c.into(), sev.into(), obj.into())),
            "no {c} {sev} {obj}: {f:?}"
        );
    };
    expect("SP004", "error", "public.member_emails_mv");
    expect("SP001", "error", "public.scratch");
    expect(
        "SP003",
        "error",
        "public.django_admin_log.django_admin_log_user_fk",
    );
    expect("SP006", "warning", "public.org_member.org_member_touch");
    expect(
        "SP017",
        "warning",
        "public.org_member.org_member_user_id_ref",
    );
    assert_eq!(f.len(), 5, "{f:?}");
}

#[test]
fn allowed_findings_are_notes_naming_the_entry_and_check_passes() {
    let config = format!("{MAP}{ALLOWS}");
    let (code, doc, _dir) = check(&config);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        doc["summary"],
        serde_json::json!({"errors": 0, "warnings": 0, "notes": 5}),
        "{doc:#}"
    );
    let f = findings(&doc);
    for (c, obj, entry, reason) in [
        (
            "SP004",
            "public.member_emails_mv",
            "code = \"SP004\"",
            "#41",
        ),
        (
            "SP006",
            "public.org_member.org_member_touch",
            "code = \"cross-silo-routine\"",
            "#42",
        ),
        ("SP001", "public.scratch", "code = \"SP001\"", "#43"),
        (
            // A shared table's key, accepted by its column: the allowed crossing.
            "SP009",
            "public.django_admin_log.django_admin_log_user_fk",
            "from = \"django_admin_log.user_id\"",
            "#44",
        ),
        (
            // An inferred crossing, accepted by its column.
            "SP009",
            "public.org_member.org_member_user_id_ref",
            "from = \"org_member.user_id\"",
            "#45",
        ),
    ] {
        let i = f
            .iter()
            .position(|x| x.0 == c && x.2 == obj)
            .unwrap_or_else(|| panic!("no {c} {obj}: {f:?}"));
        assert_eq!(f[i].1, "note", "{c} {obj}");
        // Reported as allowed: the entry's position and reason are a related location.
        let related = doc["findings"][i]["related"].as_array().unwrap();
        let line = line_of(&config, entry);
        assert!(
            related
                .iter()
                .any(|r| r["location"]["file"] == "silo-plan.toml"
                    && r["location"]["line"] == line
                    && r["message"].as_str().unwrap().starts_with("allowed: ")
                    && r["message"].as_str().unwrap().contains(reason)),
            "{c}: {related:?}"
        );
    }
    assert_eq!(f.len(), 5, "{f:?}");
}

#[test]
fn a_stale_allow_is_an_error_at_its_line_and_column() {
    let config = format!(
        "{MAP}{ALLOWS}\n[[allow]]\ncode = \"SP004\"\nobject = \"org_*_mv\"\nreason = \"gone?\"\n"
    );
    let (code, doc, dir) = check(&config);
    assert_eq!(code, 1, "{doc:#}");
    let stale: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "SP008")
        .collect();
    assert_eq!(stale.len(), 1, "{doc:#}");
    let line = config
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("code = \"SP004\""))
        .map(|(i, _)| i + 1)
        .last()
        .unwrap();
    assert_eq!(
        stale[0]["location"],
        serde_json::json!({"file": "silo-plan.toml", "line": line, "column": 8})
    );
    assert_eq!(stale[0]["severity"], "error");
    // The text report shows the entry and the fix.
    let out = silo_plan(dir.path(), ["check", "silo-plan.toml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("silo-plan.toml:{line}:8"))
            && text.contains("matches no finding")
            && text.contains("help: remove the entry"),
        "{text}"
    );
}

/// plan.md marks each finding an `[[allow]]` entry accepted, with the entry's line and reason
/// (as `check` prints them), in the section that lists it; a shared table's accepted key (not a
/// crossing with a plan of its own) is listed there too, and the summary line counts them.
#[test]
fn plan_md_marks_allowed_findings_with_the_entry_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.sql"), DUMP).unwrap();
    std::fs::write(dir.path().join("silo-plan.toml"), format!("{MAP}{ALLOWS}")).unwrap();
    let files =
        crate::util::plan_files(&dir.path().join("silo-plan.toml"), &dir.path().join("plan"));
    let md = &files["plan.md"];
    let summary = md
        .lines()
        .find(|l| l.contains("cross a silo boundary"))
        .expect("the summary line");
    let start = md.find("## Other couplings").expect("the section");
    let end = md[start + 1..]
        .find("\n## ")
        .map_or(md.len(), |e| start + 1 + e);
    insta::assert_snapshot!(
        "plan_md_allowed_findings",
        format!("{summary}\n\n{}", &md[start..end])
    );
}
