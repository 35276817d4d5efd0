//! `silo-plan verify` finds each difference it claims to find. Every test sets the databases up
//! the way the split leaves them (ORIGIN loaded from examples/saas/schema.sql with data; the
//! control silo's database loaded from the plan's `silos/control/schema.sql`, every table's rows
//! and every sequence copied from ORIGIN), checks that verify says `0 differences` (exit 0), then
//! introduces exactly one difference and runs the real binary again: exit 1, and the rows marked
//! `DIFFERS` are exactly the ones naming that difference (check and object).

use std::collections::BTreeSet;
use std::io::{Read, Write};

use crate::pg::Cluster;
use crate::util::root;

/// ORIGIN (`origin`) and the control silo's new database (`control`), in one cluster or two.
struct Split {
    /// The cluster holding `origin`.
    o: Cluster,
    /// The cluster holding `control`, when it is not `o`.
    t: Option<Cluster>,
    _dir: tempfile::TempDir,
}

impl Split {
    /// Both databases in one cluster.
    fn new() -> Split {
        Split::with(Cluster::start(), None)
    }

    fn with(o: Cluster, t: Option<Cluster>) -> Split {
        let dir = tempfile::tempdir().expect("tempdir");
        let (plan, _) = crate::util::plan_example(dir.path());
        crate::phases::load_saas(&o, "origin", dir.path());
        o.client("origin")
            .batch_execute(&crate::phases::saas_data(400, 40))
            .expect("data");
        let s = Split { o, t, _dir: dir };
        let tc = s.target();
        tc.createdb("control");
        let out = tc.psql_file("control", &plan.join("silos/control/schema.sql"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !err.contains("ERROR"),
            "loading silos/control/schema.sql: {err}"
        );
        s.copy();
        s
    }

    fn target(&self) -> &Cluster {
        self.t.as_ref().unwrap_or(&self.o)
    }

    /// Copies every table of the target database (whatever verify thinks moves) and every
    /// sequence's state from ORIGIN, as replication and the cut-over's hand-over do.
    fn copy(&self) {
        let mut src = self.o.client("origin");
        let mut dst = self.target().client("control");
        // Like a subscription's apply worker: no triggers, so foreign keys do not order the copy.
        dst.batch_execute("SET session_replication_role = replica")
            .expect("replica role");
        let tables = dst
            .query(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
                &[],
            )
            .expect("tables");
        assert!(tables.len() > 10, "only {} tables in control", tables.len());
        let mut copied = 0;
        for r in &tables {
            let t: String = r.get(0);
            let mut rows = Vec::new();
            src.copy_out(&format!("COPY (SELECT * FROM {t}) TO STDOUT"))
                .expect("copy out")
                .read_to_end(&mut rows)
                .expect("read");
            copied += rows.len();
            let mut w = dst
                .copy_in(&format!("COPY {t} FROM STDIN"))
                .expect("copy in");
            w.write_all(&rows).expect("write");
            w.finish().expect("finish copy");
        }
        assert!(copied > 10_000, "only {copied} bytes of rows copied");
        let seqs = dst
            .query(
                "SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences ORDER BY 1",
                &[],
            )
            .expect("sequences");
        for r in &seqs {
            let s: String = r.get(0);
            let v = src
                .query_one(&format!("SELECT last_value, is_called FROM {s}"), &[])
                .expect("source sequence");
            let (last, called): (i64, bool) = (v.get(0), v.get(1));
            dst.execute(
                "SELECT setval($1::text::regclass, $2, $3)",
                &[&s, &last, &called],
            )
            .expect("setval");
        }
    }

    /// Runs SQL on `origin` as a replica (no triggers, no foreign-key checks).
    fn on_origin(&self, sql: &str) {
        self.o.psql(
            "origin",
            &format!("SET session_replication_role = replica; {sql}"),
        );
    }

    /// Runs SQL on `control` as a replica (no triggers, no foreign-key checks).
    fn on_target(&self, sql: &str) {
        self.target().psql(
            "control",
            &format!("SET session_replication_role = replica; {sql}"),
        );
    }

    /// `silo-plan verify examples/saas --source ORIGIN --target CONTROL`.
    fn verify(&self) -> Verified {
        let v = assert_cmd::Command::cargo_bin("silo-plan")
            .expect("binary")
            .current_dir(root())
            .args(["verify", "examples/saas", "--source"])
            .arg(self.o.url("origin"))
            .arg("--target")
            .arg(self.target().url("control"))
            .output()
            .expect("runs");
        Verified {
            code: v.status.code(),
            stdout: String::from_utf8_lossy(&v.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&v.stderr).into_owned(),
        }
    }

    /// Verify finds nothing: exit 0, `0 differences`, and every kind of check ran.
    fn assert_equal(&self) {
        let v = self.verify();
        assert_eq!(v.code, Some(0), "verify of equal databases:\n{v}");
        assert!(v.stdout.contains(", 0 differences\n"), "{v}");
        assert!(v.differing().is_empty(), "{v}");
        for kind in ["rows", "sequence", "fk"] {
            assert!(
                v.stdout.lines().any(|l| l.starts_with(&format!("{kind} "))),
                "no {kind} check ran:\n{v}"
            );
        }
    }

    /// Verify exits 1 and the rows marked `DIFFERS` are exactly `want` (check, object).
    fn assert_differs(&self, want: &[(&str, &str)]) -> Verified {
        let v = self.verify();
        assert_eq!(v.code, Some(1), "verify:\n{v}");
        let want: BTreeSet<(String, String)> = want
            .iter()
            .map(|(k, o)| (k.to_string(), o.to_string()))
            .collect();
        assert_eq!(v.differing(), want, "verify:\n{v}");
        assert!(
            v.stdout
                .contains(&format!(", {} differences\n", want.len())),
            "{v}"
        );
        v
    }
}

/// One run of the binary.
struct Verified {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Verified {
    /// (check, object) of every row marked `DIFFERS`.
    fn differing(&self) -> BTreeSet<(String, String)> {
        self.stdout
            .lines()
            .filter(|l| l.ends_with("  DIFFERS"))
            .map(|l| {
                let mut w = l.split_whitespace();
                let kind = w.next().expect("check").to_string();
                let _silo = w.next().expect("silo");
                (kind, w.next().expect("object").to_string())
            })
            .collect()
    }

    /// The row of `object` for check `kind`.
    fn row(&self, kind: &str, object: &str) -> &str {
        self.stdout
            .lines()
            .find(|l| {
                let mut w = l.split_whitespace();
                w.next() == Some(kind) && w.nth(1) == Some(object)
            })
            .unwrap_or_else(|| panic!("no {kind} row for {object}:\n{self}"))
    }
}

impl std::fmt::Display for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

#[test]
fn verify_equal_databases_exit_0() {
    Split::new().assert_equal();
}

/// The two databases in clusters whose sessions print times and dates differently: equal rows
/// must still compare equal (the checks fix the settings that shape a row's text).
#[test]
fn verify_equal_across_clusters_with_other_time_settings() {
    let o = Cluster::builder()
        .setting("timezone", "UTC")
        .setting("datestyle", "'ISO, MDY'")
        .start();
    let t = Cluster::builder()
        .setting("timezone", "Asia/Kolkata")
        .setting("datestyle", "'SQL, DMY'")
        .setting("intervalstyle", "sql_standard")
        .start();
    Split::with(o, Some(t)).assert_equal();
}

#[test]
fn verify_finds_a_missing_row() {
    let s = Split::new();
    s.assert_equal();
    s.on_target("DELETE FROM public.auth_userip WHERE id = 7");
    let v = s.assert_differs(&[("rows", "public.auth_userip")]);
    let row = v.row("rows", "public.auth_userip");
    assert!(row.contains("100 rows") && row.contains("99 rows"), "{v}");
}

#[test]
fn verify_finds_an_extra_row() {
    let s = Split::new();
    s.assert_equal();
    // An explicit id: the sequence stays where it was, so only the rows differ.
    s.on_target(
        "INSERT INTO public.auth_userip (id, user_id, ip_address, country_code, first_seen, last_seen) \
         VALUES (5000, 3, '192.0.2.1', 'FR', now(), now())",
    );
    let v = s.assert_differs(&[("rows", "public.auth_userip")]);
    let row = v.row("rows", "public.auth_userip");
    assert!(row.contains("100 rows") && row.contains("101 rows"), "{v}");
}

#[test]
fn verify_finds_a_changed_row() {
    let s = Split::new();
    s.assert_equal();
    s.on_target("UPDATE public.auth_useremail SET is_verified = NOT is_verified WHERE id = 11");
    let v = s.assert_differs(&[("rows", "public.auth_useremail")]);
    // Same count on both sides: only the checksum tells them apart.
    let row = v.row("rows", "public.auth_useremail");
    assert_eq!(row.matches("400 rows").count(), 2, "{v}");
}

#[test]
fn verify_finds_a_sequence_behind() {
    let s = Split::new();
    s.assert_equal();
    s.on_target("SELECT setval('public.auth_useremail_id_seq', 399)");
    s.assert_differs(&[("sequence", "public.auth_useremail_id_seq")]);
}

/// A sequence set with `is_called = false` hands out its value next: the target at ORIGIN's
/// last value but not yet called would give out an id ORIGIN already gave.
#[test]
fn verify_finds_a_sequence_that_would_repeat_origins_last_value() {
    let s = Split::new();
    s.assert_equal();
    s.on_target("SELECT setval('public.auth_useremail_id_seq', 400, false)");
    s.assert_differs(&[("sequence", "public.auth_useremail_id_seq")]);
    // One ahead of ORIGIN's last value, not yet called: equal to ORIGIN's next value, fine.
    s.on_target("SELECT setval('public.auth_useremail_id_seq', 401, false)");
    s.assert_equal();
}

/// ORIGIN's sequence set to its next value without being called (as a restore or a hand-over
/// may leave it) still has a next value the target must not be behind of.
#[test]
fn verify_finds_a_sequence_behind_one_set_but_not_called_on_the_source() {
    let s = Split::new();
    let sql = "SELECT setval('public.auth_useremail_id_seq', 401, false)";
    s.on_origin(sql);
    s.on_target(sql);
    s.assert_equal();
    s.on_target("SELECT setval('public.auth_useremail_id_seq', 1)");
    let v = s.assert_differs(&[("sequence", "public.auth_useremail_id_seq")]);
    let row = v.row("sequence", "public.auth_useremail_id_seq");
    assert!(row.contains("next 401") && row.contains("next 2"), "{v}");
}

#[test]
fn verify_finds_a_dangling_in_silo_foreign_key() {
    let s = Split::new();
    s.assert_equal();
    // The same change on both sides, so the rows still compare equal; on the target the e-mail
    // address now points at a user that does not exist there.
    let sql = "UPDATE public.auth_useremail SET user_id = 999999 WHERE id = 5";
    s.on_origin(sql);
    s.on_target(sql);
    let fk = "public.auth_useremail.auth_useremail_user_id_66c601aa_fk_auth_user_id";
    let v = s.assert_differs(&[("fk", fk)]);
    assert!(v.row("fk", fk).contains("1 dangling"), "{v}");
}

#[test]
fn verify_finds_a_table_missing_on_the_target() {
    let s = Split::new();
    s.assert_equal();
    // org_slugreservation has no sequence and no in-silo foreign key: one difference.
    s.on_target("DROP TABLE public.org_slugreservation");
    let v = s.assert_differs(&[("table", "public.org_slugreservation")]);
    assert!(
        v.row("table", "public.org_slugreservation")
            .contains("missing"),
        "{v}"
    );
    // A table with a sequence and a foreign key: its sequence went with it, and its key cannot
    // be checked; each is named, and verify still answers (exit 1, not an error).
    s.on_target("DROP TABLE public.auth_userip");
    s.assert_differs(&[
        ("table", "public.org_slugreservation"),
        ("table", "public.auth_userip"),
        ("sequence", "public.auth_userip_id_seq"),
        (
            "fk",
            "public.auth_userip.auth_userip_user_id_fd641346_fk_auth_user_id",
        ),
    ]);
}

/// A table ORIGIN does not have (the dump and the database disagree) is a difference too.
#[test]
fn verify_finds_a_table_missing_on_the_source() {
    let s = Split::new();
    s.assert_equal();
    // CASCADE drops the foreign key of region's org_organization to it (not checked: it crosses).
    s.on_origin("DROP TABLE public.org_slugreservation CASCADE");
    s.assert_differs(&[("table", "public.org_slugreservation")]);
}
