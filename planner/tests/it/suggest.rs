//! `suggest` on examples/saas with a dozen tables taken out of the map: it restores those whose
//! neighbourhood decides them and says which are ties.

use std::collections::BTreeMap;
use std::path::Path;

use silo_plan::assign::Placement;

/// Tables removed from the map: a mix of leaves, hubs and chain members of both silos.
const REMOVED: [&str; 12] = [
    "org_member",
    "org_membermapping",
    "auth_useremail",
    "auth_apitoken",
    "proj_projectkey",
    "issue_groupassignee",
    "rel_releaseproject",
    "alert_ruletrigger",
    "integ_organizationintegration",
    "notif_settingprovider",
    "org_onboardingtask",
    "rel_deploy",
];

/// examples/saas's map written out table by table (partitions follow their parent), minus
/// [`REMOVED`], as `DIR/silo-plan.toml`. Returns every table's silo in the example.
fn write_map_without_removed(dir: &Path) -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let original = crate::util::analysis(&root.join("examples/saas"));
    let mut silos: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut truth: BTreeMap<String, String> = BTreeMap::new();
    for (q, d) in &original.asg.tables {
        if d.via.is_some() {
            continue;
        }
        match &d.placement {
            Placement::Silo(s) => {
                truth.insert(q.name.clone(), s.clone());
                if !REMOVED.contains(&q.name.as_str()) {
                    silos.entry(s.clone()).or_default().push(q.name.clone());
                }
            }
            Placement::Shared | Placement::Unassigned => {}
        }
    }
    let mut toml = format!(
        "version = 1\nschema = [{}]\norigin = \"region\"\n[defaults]\nunassigned = \"warn\"\n",
        toml::Value::String(root.join("examples/saas/schema.sql").display().to_string())
    );
    for (s, ts) in &silos {
        let list: Vec<String> = ts.iter().map(|t| format!("{t:?}")).collect();
        toml.push_str(&format!("[silos.{s}]\ntables = [{}]\n", list.join(", ")));
    }
    toml.push_str("[shared]\ntables = [\"django_migrations\", \"django_content_type\"]\n");
    std::fs::write(dir.join("silo-plan.toml"), toml).expect("write config");
    truth
}

#[test]
fn suggest_restores_removed_assignments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let truth = write_map_without_removed(dir.path());

    let a = crate::util::analysis(dir.path());
    let s = silo_plan::suggest::suggest(&a);
    assert_eq!(s.len(), REMOVED.len(), "one suggestion per removed table");
    // Every decided suggestion is the one cheapest silo.
    for x in &s {
        if let Some(got) = &x.silo {
            let best = x.costs.iter().map(|c| c.1).min().unwrap_or(0);
            let cheapest: Vec<&str> = x
                .costs
                .iter()
                .filter(|c| c.1 == best)
                .map(|c| c.0.as_str())
                .collect();
            assert_eq!(cheapest, [got.as_str()], "{}: {:?}", x.table, x.costs);
        }
    }
    // Foreign keys alone restore 10 of the 12 to the example's silo. The two others, worked out
    // from the example's keys:
    // * org_member (region in the example) has two keys to auth_user (control) and one to
    //   org_organization (region), and is referenced by org_memberteam (region) and
    //   org_membermapping (control once round 1 restores it): 2 crossings in control, 3 in
    //   region. The example's map follows ownership (a member belongs to its organization), which
    //   keys alone cannot see; a query log can (`suggest_weighted_by_query_logs_changes_a_decision`).
    // * integ_organizationintegration (control) has one key to integ_integration (control) and
    //   one to org_organization (region): 1 crossing either way, a tie left to a person.
    let got: BTreeMap<&str, String> = s
        .iter()
        .map(|x| {
            let verdict = match &x.silo {
                Some(silo) => silo.clone(),
                None => format!("tie {}", x.tie.join(" ")),
            };
            (x.table.name.as_str(), verdict)
        })
        .collect();
    let want: BTreeMap<&str, String> = REMOVED
        .iter()
        .map(|t| {
            let verdict = match *t {
                "org_member" => "control".to_string(),
                "integ_organizationintegration" => "tie control region".to_string(),
                _ => truth[*t].clone(),
            };
            (*t, verdict)
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        REMOVED.iter().filter(|t| got[**t] == truth[**t]).count(),
        10,
        "restored to the example's silo"
    );
    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .args(["suggest"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    insta::assert_snapshot!("suggest_saas_twelve_removed", text);
}

/// `suggest --log` on the same map, with a small hand-written workload: a pg_stat_statements
/// export (`fixtures/suggest/weights.csv`, calls per statement) and a server log of three
/// transactions (`fixtures/suggest/txns.log`). The expected answers, worked out from the
/// example's keys and the logs before running anything:
///
/// * `org_membermapping` (control in the example): one key to `auth_user` (control), one to
///   `org_member` (removed too). The log joins it with `auth_user` on its inviter (60 calls),
///   which would cross in region: control 1 + 0, region 1 + 60 once `org_member` is in region
///   (control 0 + 0 before): **control**.
/// * `org_member` (region in the example). Its keys: two to `auth_user` (control), one to
///   `org_organization` (region), and it is referenced by `org_memberteam` (region) and
///   `org_membermapping` (control, above). Foreign keys alone: control 2, region 3, so control
///   (the snapshot of the test above). The log: its member pages join it with `org_memberteam`
///   and `org_team` (1200 calls) and `org_organization` (900 calls), all region, while 150 calls
///   join it with `auth_user` (control). In control 2,100 calls would cross, in region 150:
///   control 2 + 2100 = 2102, region 3 + 150 = 153, so **region**, the log outweighing the
///   keys, which alone would choose control.
/// * `integ_organizationintegration` (control in the example). Keys: one to `integ_integration`
///   (control), one to `org_organization` (region): a tie without a log. The server log holds
///   three transactions that insert an `integ_integration` and then its
///   `integ_organizationintegration`: in region each would write to both silos. Control 1 + 0,
///   region 1 + 3 transactions: **control**, the log breaking the keys' tie. (The statements
///   themselves touch one table each and weigh nothing; the one read of it touches no other
///   table.)
/// * `auth_useremail`: keys control 0, region 1; 300 calls join it with `auth_user` (control),
///   which would cross in region: **control**, keys and log agree.
/// * `rel_deploy`: 40 calls of a statement reading it alone (no crossing anywhere); the keys
///   decide as without a log: **region**.
/// * The tables the log does not name keep the verdicts of the foreign keys.
#[test]
fn suggest_weighted_by_query_logs_changes_a_decision() {
    use silo_plan::suggest::DecidedBy;

    let dir = tempfile::tempdir().expect("tempdir");
    let truth = write_map_without_removed(dir.path());
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("planner/tests/it/fixtures/suggest");
    let logs: Vec<silo_plan::source::SourceFile> = ["weights.csv", "txns.log"]
        .iter()
        .map(|f| silo_plan::source::SourceFile::load(&fixtures.join(f)).expect("fixture"))
        .collect();

    let a = crate::util::analysis(dir.path());
    let res = silo_plan::queries::Resolver::new(&a.input());
    let w = silo_plan::queries::workload(&res, &logs, &silo_plan::queries::Options::default())
        .expect("logs read");
    assert_eq!(w.unparsed, 0);
    assert_eq!(w.transactions.len(), 1, "{:#?}", w.transactions);
    assert_eq!(w.transactions[0].count, 3);

    let plain = silo_plan::suggest::suggest(&a);
    let weighted = silo_plan::suggest::suggest_weighted(&a, Some(&w));
    let find = |s: &[silo_plan::suggest::Suggestion], t: &str| {
        s.iter()
            .find(|x| x.table.name == t)
            .cloned()
            .unwrap_or_else(|| panic!("no suggestion for {t}"))
    };

    // org_member: the keys alone say control; the log says region (the example's silo).
    let fk_only = find(&plain, "org_member");
    assert_eq!(fk_only.silo.as_deref(), Some("control"));
    let m = find(&weighted, "org_member");
    assert_eq!(m.silo.as_deref(), Some("region"));
    assert_eq!(
        m.silo.as_deref(),
        truth.get("org_member").map(String::as_str)
    );
    assert_eq!(
        m.totals(),
        vec![("control".to_string(), 2102), ("region".to_string(), 153)]
    );
    assert_eq!(
        m.decided_by,
        Some(DecidedBy::LogOutweighs {
            foreign_keys_choose: vec!["control".to_string()]
        })
    );

    let mm = find(&weighted, "org_membermapping");
    assert_eq!(mm.silo.as_deref(), Some("control"));
    assert_eq!(mm.decided_by, Some(DecidedBy::QueryLog));

    // integ_organizationintegration: a tie on keys, broken by the transactions.
    assert!(find(&plain, "integ_organizationintegration").silo.is_none());
    let oi = find(&weighted, "integ_organizationintegration");
    assert_eq!(oi.silo.as_deref(), Some("control"));
    assert_eq!(
        oi.totals(),
        vec![("control".to_string(), 1), ("region".to_string(), 4)]
    );
    // With two silos a tie on keys is a tie everywhere: the log alone decided.
    assert_eq!(oi.decided_by, Some(DecidedBy::QueryLog));

    let e = find(&weighted, "auth_useremail");
    assert_eq!(e.silo.as_deref(), Some("control"));
    assert_eq!(e.decided_by, Some(DecidedBy::Agree));
    let d = find(&weighted, "rel_deploy");
    assert_eq!(d.silo.as_deref(), Some("region"));
    assert_eq!(d.decided_by, Some(DecidedBy::ForeignKeys));

    // With the log, all twelve get the example's silo.
    for x in &weighted {
        assert_eq!(
            x.silo.as_ref(),
            truth.get(&x.table.name),
            "{}: not the example's silo",
            x.table
        );
    }

    // Every other table: the same verdict as the keys alone.
    for x in &weighted {
        if [
            "org_member",
            "org_membermapping",
            "integ_organizationintegration",
            "auth_useremail",
            "rel_deploy",
        ]
        .contains(&x.table.name.as_str())
        {
            continue;
        }
        let p = find(&plain, &x.table.name);
        assert_eq!(x.silo, p.silo, "{}", x.table);
        assert_eq!(
            x.decided_by,
            Some(DecidedBy::ForeignKeys).filter(|_| x.silo.is_some()),
            "{}",
            x.table
        );
    }

    // Without the statement naming org_membermapping, round 1 still places it in control
    // (only auth_user is placed then) while the log places org_member in region; against that
    // placement org_membermapping has one key each way, so the decision is taken back: a tie,
    // and org_member's keys tie too (2 and 2), so the log alone decided it.
    let mut w2 = w.clone();
    w2.statements
        .retain(|s| !s.tables.iter().any(|q| q.name == "org_membermapping"));
    let weighted2 = silo_plan::suggest::suggest_weighted(&a, Some(&w2));
    let mm = find(&weighted2, "org_membermapping");
    assert_eq!((mm.silo.clone(), mm.round), (None, 0));
    assert_eq!(mm.tie, vec!["control".to_string(), "region".to_string()]);
    let m = find(&weighted2, "org_member");
    assert_eq!(m.silo.as_deref(), Some("region"));
    assert_eq!(m.decided_by, Some(DecidedBy::QueryLog));
    // Every decision is the unique cheapest against the final placement of all others.
    for x in weighted.iter().chain(&weighted2) {
        if let Some(silo) = &x.silo {
            let totals = x.totals();
            let best = totals.iter().map(|t| t.1).min();
            let cheapest: Vec<&String> = totals
                .iter()
                .filter(|t| Some(t.1) == best)
                .map(|t| &t.0)
                .collect();
            assert_eq!(cheapest, vec![silo], "{}: {totals:?}", x.table);
        }
    }

    let out = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .args(["suggest"])
        .arg(dir.path())
        .arg("--log")
        .arg(fixtures.join("weights.csv"))
        .arg("--log")
        .arg(fixtures.join("txns.log"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("query log: 2663 statements, 9 distinct texts weighed, 3 transactions of several writes"),
        "{err}"
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    insta::assert_snapshot!("suggest_saas_twelve_removed_with_log", text);
}

/// examples/saas copied into `dir` with `"rel_*"` taken out of region's `tables` (the rel_
/// tables are then in no silo): its config text.
fn example_without_rel(dir: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/saas");
    std::fs::copy(root.join("schema.sql"), dir.join("schema.sql")).expect("copy dump");
    let original = std::fs::read_to_string(root.join("silo-plan.toml")).expect("example");
    let line = "    \"rel_*\",\n";
    assert!(original.contains(line), "the example lists {line:?}");
    let text = original.replacen(line, "", 1);
    std::fs::write(dir.join("silo-plan.toml"), &text).expect("write config");
    text
}

/// `silo-plan ARGS` in `dir`: exit code, stdout, stderr.
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = crate::util::silo_plan(dir, args);
    (
        o.status.code().expect("exit code"),
        String::from_utf8(o.stdout).expect("utf-8"),
        String::from_utf8(o.stderr).expect("utf-8"),
    )
}

/// The rel_ tables `suggest` places, by silo (from its JSON).
fn rel_suggestions(dir: &Path) -> Vec<(String, String)> {
    let (code, out, err) = run(dir, &["suggest", "silo-plan.toml", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let got: Vec<(String, String)> = v
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|x| {
            let silo = x["silo"].as_str()?;
            let table = x["table"].as_str()?.strip_prefix("public.")?;
            Some((table.to_string(), silo.to_string()))
        })
        .collect();
    assert!(got.len() >= 3, "{got:?}");
    assert!(got.iter().all(|(t, _)| t.starts_with("rel_")), "{got:?}");
    got
}

/// The tables each silo of the config `text` lists.
fn silo_tables(text: &str) -> BTreeMap<String, Vec<String>> {
    let cfg = silo_plan::config::parse("silo-plan.toml", text).expect("reads back");
    cfg.silos
        .iter()
        .map(|s| {
            let names = s.tables.iter().map(|p| p.text.clone()).collect();
            (s.name.clone(), names)
        })
        .collect()
}

#[test]
fn suggest_write_edits_the_config_in_place_keeping_comments_and_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = example_without_rel(dir.path());
    let placed = rel_suggestions(dir.path());

    let (code, out, err) = run(dir.path(), &["suggest", "silo-plan.toml", "--write"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("added {} tables", placed.len())),
        "{err}"
    );
    assert!(!out.contains("# Add to"), "no snippet once written: {out}");
    let after = std::fs::read_to_string(dir.path().join("silo-plan.toml")).unwrap();

    // Every line of the file is still there, in its order (comments included); the new lines
    // are only the added entries.
    let mut rest = after.lines();
    let mut added = Vec::new();
    for line in before.lines() {
        loop {
            let l = rest
                .next()
                .unwrap_or_else(|| panic!("{line:?} lost or moved:\n{after}"));
            if l == line {
                break;
            }
            added.push(l.to_string());
        }
    }
    added.extend(rest.map(str::to_string));
    let mut want: Vec<String> = placed
        .iter()
        .map(|(t, _)| format!("    \"{t}\","))
        .collect();
    want.sort();
    added.sort();
    assert_eq!(added, want, "after:\n{after}");
    for comment in before.lines().filter(|l| l.contains('#')) {
        assert!(after.contains(comment), "comment lost: {comment}");
    }
    // Each table is in the silo suggest chose, and check reads the file.
    let silos = silo_tables(&after);
    for (t, s) in &placed {
        assert!(silos[s].contains(t), "{t} not in {s}: {silos:?}");
    }
    let (code, out, err) = run(dir.path(), &["check", "silo-plan.toml", "--format", "json"]);
    assert!(code == 0 || code == 1, "check: {code} {err}");
    assert!(!out.contains("\"SP001\""), "a table left unassigned: {out}");
}

/// The decided tables `suggest` places, by silo (from its JSON).
fn placed(dir: &Path) -> Vec<(String, String)> {
    let (code, out, err) = run(dir, &["suggest", "silo-plan.toml", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    v.as_array()
        .expect("a list")
        .iter()
        .filter_map(|x| {
            let silo = x["silo"].as_str()?;
            let table = x["table"].as_str()?.strip_prefix("public.")?;
            Some((table.to_string(), silo.to_string()))
        })
        .collect()
}

/// `suggest`'s snippet for the config in `dir` (text `before`), pasted as it says: every
/// decided table is then in its silo.
fn paste_snippet(dir: &Path, before: &str) {
    let placed = placed(dir);
    assert!(placed.len() >= 3, "{placed:?}");
    let (code, out, err) = run(dir, &["suggest", "silo-plan.toml"]);
    assert_eq!(code, 0, "{err}");
    let snippet = out
        .split_once("# Add to silo-plan.toml (")
        .unwrap_or_else(|| panic!("no snippet: {out}"))
        .1;
    let mut lines: Vec<String> = before.lines().map(str::to_string).collect();
    // (line, the last item's text when the entries go on its line, entries)
    let mut groups: Vec<(usize, Option<String>, Vec<String>)> = Vec::new();
    for l in snippet.lines().skip(1) {
        // No table header to paste a second time: only comments saying where, and entries.
        assert!(!l.starts_with('['), "{l:?} in\n{snippet}");
        if let Some(rest) = l.strip_prefix("# to the `tables` of [silos.") {
            if let Some((_, at)) = rest.split_once("], the lines after line ") {
                let n = at.split_once(' ').expect("a line number").0;
                groups.push((n.parse().expect("a number"), None, Vec::new()));
            } else {
                let (_, at) = rest.split_once("], after ").expect("where");
                let (item, n) = at
                    .strip_suffix(':')
                    .and_then(|a| a.rsplit_once(" on line "))
                    .expect("an item and a line");
                groups.push((
                    n.parse().expect("a number"),
                    Some(item.to_string()),
                    Vec::new(),
                ));
            }
        } else {
            groups.last_mut().expect("a group").2.push(l.to_string());
        }
    }
    assert!(!groups.is_empty(), "{snippet}");
    groups.sort_by_key(|g| std::cmp::Reverse(g.0));
    for (at, item, entries) in groups {
        match item {
            None => {
                for (i, e) in entries.into_iter().enumerate() {
                    lines.insert(at + i, e);
                }
            }
            Some(item) => {
                let line = &mut lines[at - 1];
                let end = line.find(&item).expect("the item on its line") + item.len();
                line.insert_str(end, &entries.concat());
            }
        }
    }
    let pasted = lines.join("\n") + "\n";
    let silos = silo_tables(&pasted);
    for (t, s) in &placed {
        assert!(silos[s].contains(t), "{t} not in {s}: {silos:?}\n{pasted}");
    }
}

#[test]
fn suggest_prints_only_the_entries_to_add_where_they_go() {
    // Lists written one item a line (the example's).
    let dir = tempfile::tempdir().expect("tempdir");
    let before = example_without_rel(dir.path());
    paste_snippet(dir.path(), &before);
    // Lists on one line.
    let dir = tempfile::tempdir().expect("tempdir");
    write_map_without_removed(dir.path());
    let before = std::fs::read_to_string(dir.path().join("silo-plan.toml")).unwrap();
    paste_snippet(dir.path(), &before);
}
