//! `cascades/<silo>.sql` and `cascades/<silo>.replication.sql`: a differential test against
//! Postgres's own cascades, and snapshots.
//!
//! World M is the monolith: examples/saas/schema.sql on one cluster, with every foreign key. World
//! S is the split: each silo's `silos/<silo>/schema.sql` (from `silo-plan plan`) in its own
//! database, control and region on two more clusters (`wal_level=logical`), the data copied from
//! M per silo, the cascades installed. A seeded generator fills M with about 160k rows (keys of
//! every kind: bigint ids, the composite text key of `integ_integration`, the uuid of
//! `app_sentryapp`, the text slug of `org_slugreservation`), then the same seeded sequence of
//! 1,000 deletes on parents runs in M and in S, where the tombstones are drained until quiet.
//! Every table's rows must then be equal (row count and md5 of the rows in order).
//!
//! S is built twice, once per transport: (a) the generated Python stub (`stubs/python`, run by
//! `python3` with psycopg) pumps tombstones from each parent database into the child's inbox and
//! applies them, through its cascade handlers, (b) logical replication installed by
//! `cascades/<silo>.replication.sql`. After (a), the stub pumps every tombstone again and every
//! watermark is reset to 0 and applied again by the stub: nothing may change. After (b), two
//! deletes commit out of tombstone-id order (the higher id is replicated and applied first), the
//! lower one must still be applied, and the replicated tombstones are applied a second time
//! from watermarks reset to (0, 0): nothing may change.
//!
//! Besides: several appliers at once, over the pump and over replication, apply each
//! (tombstone, edge) pair exactly once; and re-running `cascades/region.sql` over the previous
//! layout's receive trigger upgrades it.
//!
//! Two adjustments keep the worlds comparable, both applied to M and S alike:
//! * Django-style dumps declare most keys `NO ACTION` (the ORM emulates `ON DELETE`); the plan
//!   replicates `defaults.on_delete` (or an `[[edges]]` override) for those. Postgres must do
//!   the same inside each database, so every foreign key whose intended action differs from the
//!   dump's is re-declared with it (in M all keys, in S the keys inside each silo). The
//!   intended action is the README's for a crossing, written by hand, never the plan's: were
//!   the plan to replicate the wrong action, M would run the intended one and the worlds would
//!   differ. The generated file lists such keys as hazards.
//! * `org_organization.slug → org_slugreservation` is `restrict`: in M the delete fails; in S the
//!   test runs the application's guard (the query in cascades/control.sql, Part 3) in region
//!   first and skips the delete when it finds a child. The two worlds must refuse the same
//!   deletes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use silo_plan::catalog::{Catalog, FkAction, QName, TableKind};
use silo_plan::ident::{ident_list, qualified};

use crate::pg::{self, run_file, Cluster};
use crate::util::root;

/// The example's catalog and table placement.
struct Saas {
    cat: Catalog,
    /// `schema.table` → silo name (`shared` for shared tables).
    silo: BTreeMap<String, String>,
    /// Per foreign key, the `ON DELETE` Postgres must run for the two worlds to be comparable
    /// ([`intended_actions`]).
    intended: Vec<FkAction>,
}

fn saas() -> Saas {
    let a = crate::util::analysis(&root().join("examples/saas"));
    let silo = a
        .cat
        .tables
        .iter()
        .map(|t| {
            let q = QName::new(&t.schema, &t.name);
            (q.to_string(), a.asg.silo_name(&q).to_string())
        })
        .collect();
    let intended = intended_actions(&a.cat);
    Saas {
        cat: a.cat,
        silo,
        intended,
    }
}

/// Per foreign key of the example, the `ON DELETE` the split must reproduce, taken from what
/// people wrote and not from the code under test (`check::effective_action`, which decides what
/// the generated cascades replicate): a crossing's is the `effective` column of the README's
/// crossing tables (21 rows, each written by hand from the dump and the config); any other
/// key's is the one the dump declares, except that `NO ACTION` means `CASCADE` (the README and
/// the config's `[defaults] on_delete = "cascade"`: Django emulates `ON DELETE` in the ORM; the
/// config's one `[[edges]]` override is a crossing, README row 14).
fn intended_actions(cat: &Catalog) -> Vec<FkAction> {
    const ACTIONS: [FkAction; 5] = [
        FkAction::NoAction,
        FkAction::Restrict,
        FkAction::Cascade,
        FkAction::SetNull,
        FkAction::SetDefault,
    ];
    let mut readme = BTreeMap::new();
    for c in crate::util::saas_readme_crossings() {
        let action = ACTIONS
            .into_iter()
            .find(|a| a.as_str() == c.effective)
            .unwrap_or_else(|| panic!("README: {}: no action {:?}", c.constraint, c.effective));
        assert_eq!(
            cat.foreign_keys
                .iter()
                .filter(|f| f.name == c.constraint)
                .count(),
            1,
            "README: {} names one foreign key of the dump",
            c.constraint
        );
        readme.insert(c.constraint, action);
    }
    assert_eq!(readme.len(), 21, "the README lists 21 crossings");
    cat.foreign_keys
        .iter()
        .map(|fk| match (readme.get(&fk.name), fk.on_delete) {
            (Some(a), _) => *a,
            (None, FkAction::NoAction) => FkAction::Cascade,
            (None, declared) => declared,
        })
        .collect()
}

/// `ALTER TABLE` statements that re-declare, with its intended action, every foreign key whose
/// two ends satisfy `keep` and whose declared action differs from that.
fn effective_fks(s: &Saas, keep: impl Fn(&str, &str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for (fk, &action) in s.cat.foreign_keys.iter().zip(&s.intended) {
        // Only constraints are re-declared: a reference without one (inferred) has none.
        if !fk.is_constraint()
            || !keep(&fk.table.to_string(), &fk.references.to_string())
            || fk.on_delete == action
        {
            continue;
        }
        out.push(format!(
            "ALTER TABLE {t} DROP CONSTRAINT {n}, ADD CONSTRAINT {n} FOREIGN KEY ({c}) \
             REFERENCES {p} ({pc}) ON UPDATE {u} ON DELETE {d}{def}",
            t = qualified(&fk.table),
            n = silo_plan::ident::ident(&fk.name),
            c = ident_list(&fk.columns),
            p = qualified(&fk.references),
            pc = ident_list(&fk.referenced_columns),
            u = fk.on_update.sql(),
            d = action.sql(),
            def = match (fk.deferrable, fk.initially_deferred) {
                (true, true) => " DEFERRABLE INITIALLY DEFERRED",
                (true, false) => " DEFERRABLE",
                _ => "",
            }
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Data.

/// The seeded generator: about 160k rows, every key derived from the row number and `SEED`.
const SEED: i64 = 20_240_917;

pub(crate) fn data_sql() -> String {
    // h(x) is a deterministic pseudo-random non-negative int from x and the seed.
    let h = |x: &str| format!("(abs(hashint8(({x})::bigint * 7919 + {SEED})) )");
    format!(
        "
INSERT INTO auth_user (id, password, username, name, email, is_staff, is_active, is_superuser, date_joined)
SELECT i, 'pw' || i, 'user' || i, 'User ' || i, 'u' || i || '@example.com', i % 50 = 0, true, false,
       timestamptz '2024-01-01' + (i || ' minutes')::interval
  FROM generate_series(1, 5000) AS i;
INSERT INTO org_slugreservation (slug, organization_id, user_id, region_name, reservation_type, date_added)
SELECT 'slug-' || i, i, {u}, 'us', 0, timestamptz '2024-01-01' FROM generate_series(1, 1000) AS i;
INSERT INTO org_organization (id, name, slug, status, default_role, flags, date_added)
SELECT i, 'Org ' || i, 'slug-' || i, 0, 'member', 0, timestamptz '2024-02-01' FROM generate_series(1, 800) AS i;
INSERT INTO org_organizationmapping (id, organization_id, slug, name, status, region_name, date_created)
SELECT i, i, 'slug-' || i, 'Org ' || i, 0, 'us', timestamptz '2024-02-01' FROM generate_series(1, 800) AS i;
INSERT INTO org_member (id, organization_id, user_id, email, role, token, inviter_id, has_global_access, date_added)
SELECT (o - 1) * 30 + k + 1, o, ((o * 131 + k * 167) % 5000) + 1, NULL, 'member', NULL,
       CASE WHEN {hm} % 3 = 0 THEN NULL ELSE {hmu} % 5000 + 1 END, k % 2 = 0, timestamptz '2024-03-01'
  FROM generate_series(1, 800) AS o, generate_series(0, 29) AS k;
INSERT INTO org_membermapping (id, organization_id, organizationmember_id, email, role, inviter_id, date_added)
SELECT m.id, m.organization_id, m.id, NULL, 'member', m.inviter_id, m.date_added FROM org_member AS m;
INSERT INTO org_team (id, organization_id, slug, name, status, date_added)
SELECT (o - 1) * 3 + k + 1, o, 'team-' || k, 'Team ' || k, 0, NULL
  FROM generate_series(1, 800) AS o, generate_series(0, 2) AS k;
INSERT INTO org_memberteam (id, team_id, organizationmember_id, is_active, role)
SELECT m.id, (m.organization_id - 1) * 3 + (m.id % 3) + 1, m.id, true, NULL FROM org_member AS m;
INSERT INTO proj_project (id, organization_id, slug, name, status, platform, first_event, date_added)
SELECT (o - 1) * 4 + k + 1, o, 'p' || k, 'Project ' || k, 0, 'python', NULL, timestamptz '2024-03-01'
  FROM generate_series(1, 800) AS o, generate_series(0, 3) AS k;
INSERT INTO notif_settingoption (id, user_id, project_id, scope_type, scope_identifier, type, value, date_updated)
SELECT i, {hu} % 5000 + 1, {hp} % 3200 + 1, 'project', i, 'alerts', 'always', timestamptz '2024-04-01'
  FROM generate_series(1, 8000) AS i;
INSERT INTO integ_integration (id, provider, external_id, name, metadata, status, date_added)
SELECT i, 'prov' || (i % 5), 'ext-' || i, 'Integration ' || i, '{{}}', 0, NULL FROM generate_series(1, 600) AS i;
INSERT INTO integ_organizationintegration (id, organization_id, integration_id, config, default_auth_id, status, date_added)
SELECT i, (i - 1) % 800 + 1, (i - 1) / 800 * 7 + {hi} % 7 + 1, '{{}}', NULL, 0, NULL FROM generate_series(1, 1500) AS i;
INSERT INTO integ_repository (id, organization_id, name, url, integration_provider, integration_external_id, status, date_added)
SELECT i, {ho} % 800 + 1, 'repo' || i, NULL,
       CASE WHEN i % 10 = 0 THEN NULL ELSE 'prov' || ((i % 600 + 1) % 5) END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE 'ext-' || (i % 600 + 1) END, 0, timestamptz '2024-04-01'
  FROM generate_series(1, 3000) AS i;
INSERT INTO auth_apiapplication (id, client_id, client_secret, owner_id, name, status, allowed_origins, date_added)
SELECT i, 'client' || i, 'secret', {hu} % 5000 + 1, 'App ' || i, 0, NULL, timestamptz '2024-01-05'
  FROM generate_series(1, 300) AS i;
INSERT INTO app_sentryapp (id, application_id, proxy_user_id, owner_id, name, slug, uuid, status, scope_list, date_added)
SELECT i, CASE WHEN i % 2 = 0 THEN i END, 4000 + i, {ho} % 800 + 1, 'Sentry app ' || i, 'app-' || i,
       md5('app-' || i)::uuid, 0, '{{}}', timestamptz '2024-01-06'
  FROM generate_series(1, 300) AS i;
INSERT INTO app_sentryappinstallation (id, sentry_app_id, organization_id, uuid, status, date_added, date_deleted)
SELECT i, {ha} % 300 + 1, {ho} % 800 + 1, md5('inst-' || i)::uuid, 0, timestamptz '2024-01-07', NULL
  FROM generate_series(1, 1000) AS i;
INSERT INTO auth_apitoken (id, user_id, application_id, scope_list, token, expires_at, date_added)
SELECT i, {hu} % 5000 + 1, NULL, '{{}}', 'tok' || i, NULL, timestamptz '2024-01-08' FROM generate_series(1, 2000) AS i;
INSERT INTO auth_identityprovider (id, type, organization_id, external_id, config, date_added)
SELECT i, 'saml', (i - 1) % 800 + 1, 'idp-' || i, '{{}}', NULL FROM generate_series(1, 400) AS i;
INSERT INTO auth_identity (id, idp_id, user_id, ident, data, status, date_verified)
SELECT i, (i - 1) % 400 + 1, ((i - 1) / 400 * 1000 + {hu} % 1000) % 5000 + 1, 'ident' || i, '{{}}', 0,
       timestamptz '2024-01-09'
  FROM generate_series(1, 1000) AS i;
INSERT INTO proj_servicehook (id, organization_id, project_id, sentry_app_uuid, url, secret, events, status, date_added)
SELECT i, {ho} % 800 + 1, {hp} % 3200 + 1,
       CASE WHEN i % 4 = 0 THEN NULL ELSE md5('app-' || ({ha} % 300 + 1))::uuid END,
       'https://hook/' || i, 's', '{{}}', 0, timestamptz '2024-05-01'
  FROM generate_series(1, 3000) AS i;
INSERT INTO alert_rule (id, organization_id, name, status, threshold_period, owner_user_id, owner_team_id, date_added)
SELECT i, {ho} % 800 + 1, 'rule' || i, 0, 1, CASE WHEN i % 5 = 0 THEN NULL ELSE {hu} % 5000 + 1 END, NULL,
       timestamptz '2024-05-01'
  FROM generate_series(1, 2000) AS i;
INSERT INTO alert_ruletrigger (id, alert_rule_id, label, threshold_type, alert_threshold, resolve_threshold, date_added)
SELECT i, i, 'critical', NULL, 1.5, NULL, timestamptz '2024-05-01' FROM generate_series(1, 2000) AS i;
INSERT INTO alert_ruletriggeraction (id, alert_rule_trigger_id, type, target_type, target_identifier, integration_id, sentry_app_id, date_added)
SELECT i, (i - 1) % 2000 + 1, 0, 0, NULL,
       CASE WHEN i % 3 = 0 THEN {hi} % 600 + 1 END, CASE WHEN i % 3 = 1 THEN {ha} % 300 + 1 END,
       timestamptz '2024-05-01'
  FROM generate_series(1, 4000) AS i;
INSERT INTO issue_group (id, project_id, short_id, message, culprit, status, times_seen, first_seen, last_seen, first_release_id)
SELECT i, {hp} % 3200 + 1, i, 'error ' || i, NULL, 0, 1, timestamptz '2024-06-01', timestamptz '2024-06-02', NULL
  FROM generate_series(1, 8000) AS i;
INSERT INTO issue_groupassignee (id, project_id, group_id, user_id, team_id, date_added)
SELECT i, g.project_id, g.id, {hu} % 5000 + 1, NULL, timestamptz '2024-06-03'
  FROM generate_series(1, 3000) AS i JOIN issue_group AS g ON g.id = i * 2;
INSERT INTO issue_groupbookmark (id, project_id, group_id, user_id, date_added)
SELECT i, g.project_id, g.id, ((i - 1) / 8000 * 2500 + {hu} % 2500) % 5000 + 1, NULL
  FROM generate_series(1, 6000) AS i JOIN issue_group AS g ON g.id = (i - 1) % 8000 + 1;
INSERT INTO issue_event (id, project_id, group_id, event_id, platform, message, data, date_added)
SELECT i, g.project_id, g.id, md5('ev' || i), NULL, 'event', NULL,
       CASE WHEN i % 2 = 0 THEN timestamptz '2024-07-01' ELSE timestamptz '2025-07-01' END
  FROM generate_series(1, 10000) AS i JOIN issue_group AS g ON g.id = (i - 1) % 8000 + 1;
INSERT INTO org_auditlogentry (id, organization_id, actor_id, actor_label, target_object, target_user_id, event, ip_address, data, datetime)
SELECT i, {ho} % 800 + 1, CASE WHEN i % 7 = 0 THEN NULL ELSE {hu} % 5000 + 1 END, 'actor',
       NULL, CASE WHEN i % 3 = 0 THEN {ht} % 5000 + 1 END, 1, NULL, '{{}}', timestamptz '2024-08-01'
  FROM generate_series(1, 10000) AS i;
INSERT INTO rel_release (id, organization_id, version, ref, url, owner_id, data, date_added, date_released)
SELECT i, {ho} % 800 + 1, 'v' || i, NULL, NULL, CASE WHEN i % 4 = 0 THEN NULL ELSE {hu} % 5000 + 1 END, '{{}}',
       timestamptz '2024-08-01', NULL
  FROM generate_series(1, 3000) AS i;
INSERT INTO org_onboardingtask (id, organization_id, user_id, project_id, task, status, date_completed, data)
SELECT i, {ho} % 800 + 1, {hu} % 5000 + 1, {hp} % 3200 + 1, 1, 0, timestamptz '2024-08-01', '{{}}'
  FROM generate_series(1, 3000) AS i;
",
        u = h("i + 1"),
        hm = h("o * 100 + k"),
        hmu = h("o * 1000 + k + 7"),
        hu = h("i + 11"),
        hp = h("i + 13"),
        hi = h("i + 17"),
        ho = h("i + 19"),
        ha = h("i + 23"),
        ht = h("i + 29"),
    )
}

// ---------------------------------------------------------------------------------------------
// Deletes.

/// A splitmix64 generator: the delete sequence depends only on its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One delete: the silo whose database runs it, the statement, and for a restrict parent the
/// guard query run in the child's silo first.
struct Delete {
    silo: &'static str,
    sql: String,
    guard: Option<(&'static str, String)>,
    kind: &'static str,
}

fn deletes(n: usize) -> Vec<Delete> {
    let mut rng = Rng(SEED as u64);
    (0..n)
        .map(|_| {
            let r = rng.below(100);
            let (silo, kind, sql, guard) = match r {
                0..=34 => {
                    let id = rng.below(5000) + 1;
                    (
                        "control",
                        "auth_user",
                        format!("DELETE FROM public.auth_user WHERE id = {id}"),
                        None,
                    )
                }
                35..=49 => {
                    let id = rng.below(24_000) + 1;
                    (
                        "region",
                        "org_member",
                        format!("DELETE FROM public.org_member WHERE id = {id}"),
                        None,
                    )
                }
                50..=57 => {
                    let id = rng.below(800) + 1;
                    (
                        "region",
                        "org_organization",
                        format!("DELETE FROM public.org_organization WHERE id = {id}"),
                        None,
                    )
                }
                58..=67 => {
                    let id = rng.below(3200) + 1;
                    (
                        "region",
                        "proj_project",
                        format!("DELETE FROM public.proj_project WHERE id = {id}"),
                        None,
                    )
                }
                68..=77 => {
                    let id = rng.below(600) + 1;
                    (
                        "control",
                        "integ_integration (composite key)",
                        format!(
                            "DELETE FROM public.integ_integration \
                             WHERE provider = 'prov{}' AND external_id = 'ext-{id}'",
                            id % 5
                        ),
                        None,
                    )
                }
                78..=87 => {
                    let id = rng.below(300) + 1;
                    (
                        "control",
                        "app_sentryapp (uuid key)",
                        format!(
                            "DELETE FROM public.app_sentryapp WHERE uuid = md5('app-{id}')::uuid"
                        ),
                        None,
                    )
                }
                _ => {
                    let id = rng.below(1000) + 1;
                    (
                        "control",
                        "org_slugreservation (text key, restrict)",
                        format!("DELETE FROM public.org_slugreservation WHERE slug = 'slug-{id}'"),
                        Some((
                            "region",
                            format!(
                                "SELECT 1 FROM public.org_organization WHERE slug = 'slug-{id}' \
                                 LIMIT 1"
                            ),
                        )),
                    )
                }
            };
            Delete {
                silo,
                sql,
                guard,
                kind,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// World S.

/// One silo database of world S.
struct SiloDb<'c> {
    silo: &'static str,
    cluster: &'c Cluster,
    db: String,
}

impl SiloDb<'_> {
    fn client(&self) -> postgres::Client {
        self.cluster.client(&self.db)
    }

    fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={}",
            self.cluster.port(),
            self.db
        )
    }
}

/// Creates a silo database: its schema, the in-silo keys with the plan's actions, M's rows of
/// its tables, and the cascades.
fn build_silo(s: &Saas, files: &BTreeMap<String, String>, m: &Cluster, db: &SiloDb, dir: &Path) {
    db.cluster.createdb(&db.db);
    let schema = &files[&format!("silos/{}/schema.sql", db.silo)];
    run_file(
        db.cluster,
        &db.db,
        dir,
        &format!("{}-schema.sql", db.db),
        &pg::prepare_dump(schema),
    );
    let here = |t: &str| s.silo.get(t).is_some_and(|x| x == db.silo || x == "shared");
    let mut c = db.client();
    for stmt in effective_fks(s, |child, parent| here(child) && here(parent)) {
        c.batch_execute(&stmt)
            .unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    // Rows, leaf tables only (a partitioned table's rows are its partitions'), with the foreign
    // keys' triggers off while loading (replica role), as pg_dump's data sections do.
    let mut from = m.client("m");
    c.batch_execute("SET session_replication_role = replica")
        .expect("replica role");
    for t in &s.cat.tables {
        let name = QName::new(&t.schema, &t.name);
        if !here(&name.to_string()) || t.kind == TableKind::Partitioned {
            continue;
        }
        let q = qualified(&name);
        let mut data = Vec::new();
        std::io::Read::read_to_end(
            &mut from
                .copy_out(format!("COPY {q} TO STDOUT").as_str())
                .expect("copy out"),
            &mut data,
        )
        .expect("read copy");
        let mut w = c
            .copy_in(format!("COPY {q} FROM STDIN").as_str())
            .expect("copy in");
        std::io::Write::write_all(&mut w, &data).expect("write copy");
        w.finish().expect("finish copy");
    }
    c.batch_execute("SET session_replication_role = origin")
        .expect("origin role");
    let cascades = &files[&format!("cascades/{}.sql", db.silo)];
    run_file(
        db.cluster,
        &db.db,
        dir,
        &format!("{}-cascades.sql", db.db),
        cascades,
    );
}

/// Calls `silo_plan.apply(batch)` until it returns 0; the total processed.
pub(crate) fn apply_all(c: &mut postgres::Client, batch: i32) -> i64 {
    let mut total = 0i64;
    loop {
        let n: i32 = c
            .query_one("SELECT silo_plan.apply($1)", &[&batch])
            .expect("apply")
            .get(0);
        if n == 0 {
            return total;
        }
        total += i64::from(n);
    }
}

/// [`apply_all`] that calls again when Postgres aborts a call as a deadlock victim (the whole
/// call rolls back, watermarks with it), as the generated file says to.
fn apply_all_retrying(c: &mut postgres::Client, batch: i32) -> i64 {
    let mut total = 0i64;
    loop {
        match c.query_one("SELECT silo_plan.apply($1)", &[&batch]) {
            Ok(r) => {
                let n: i32 = r.get(0);
                if n == 0 {
                    return total;
                }
                total += i64::from(n);
            }
            Err(e) if e.code() == Some(&postgres::error::SqlState::T_R_DEADLOCK_DETECTED) => {}
            Err(e) => panic!("apply: {e}"),
        }
    }
}

/// Drives the generated Python stub (`stubs/python/silo_plan_stubs.py`): argv = mode, control
/// URL, region URL, JSON state; prints one JSON object. Transport (a) is this: the stub's cascade
/// handler (`after_delete(..., "public.auth_user")` in control, `"public.org_member"` in region;
/// each call pumps all of its silo's tombstones, the table only names the entry point) move tombstones
/// to the other silo's inbox and apply them there with `apply_all`, until a round does nothing.
const DRIVER_PY: &str = r#"
import json
import sys

import psycopg

import silo_plan_stubs as s

mode, state = sys.argv[1], json.loads(sys.argv[4])
control = psycopg.connect(sys.argv[2], autocommit=True)
region = psycopg.connect(sys.argv[3], autocommit=True)
batch = int(state["batch"])
if mode == "drain":
    to_region = {"region": int(state["control"])}
    to_control = {"control": int(state["region"])}
    rounds = moved = applied = 0
    while True:
        rounds += 1
        a = s.after_delete(control, {"region": region}, to_region, "public.auth_user", batch_size=batch)["region"]
        b = s.after_delete(region, {"control": control}, to_control, "public.org_member", batch_size=batch)["control"]
        moved += a.moved + b.moved
        applied += a.applied + b.applied
        if a.moved + b.moved + a.applied + b.applied == 0:
            break
    out = {"control": to_region["region"], "region": to_control["control"],
           "rounds": rounds, "moved": moved, "applied": applied}
elif mode == "replay":
    a = s.pump(control, region, "control", 0, batch)
    b = s.pump(region, control, "region", 0, batch)
    out = {"moved": a.moved + b.moved, "applied": a.applied + b.applied}
elif mode == "apply":
    out = {"applied": s.apply_all(region, batch) + s.apply_all(control, batch)}
else:
    raise SystemExit("unknown mode " + mode)
print(json.dumps(out))
"#;

/// The generated Python stub of the plan, with [`DRIVER_PY`] beside it.
struct PythonStub {
    dir: PathBuf,
}

impl PythonStub {
    fn new(plan: &Path) -> PythonStub {
        crate::stubs::python();
        let dir = plan.join("stubs/python");
        assert!(dir.join("silo_plan_stubs.py").is_file(), "no Python stub");
        std::fs::write(dir.join("cascade_driver.py"), DRIVER_PY).expect("driver");
        PythonStub { dir }
    }

    /// Runs the driver in `mode` against world S's control and region databases.
    fn run(&self, mode: &str, control: &SiloDb, region: &SiloDb, state: Value) -> Value {
        let out = crate::stubs::run(
            Command::new(crate::stubs::python())
                .arg("cascade_driver.py")
                .arg(mode)
                .arg(control.cluster.url(&control.db))
                .arg(region.cluster.url(&region.db))
                .arg(state.to_string())
                .current_dir(&self.dir),
            &format!("the Python stub ({mode})"),
            crate::stubs::PY_HINT,
        );
        serde_json::from_slice(&out.stdout).expect("the driver prints JSON")
    }
}

fn int(v: &Value, k: &str) -> i64 {
    v[k].as_i64()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// Row count and md5 of the rows in order, per table.
pub(crate) fn checksums(
    c: &mut postgres::Client,
    tables: &[String],
) -> BTreeMap<String, (i64, String)> {
    tables
        .iter()
        .map(|t| {
            let r = c
                .query_one(
                    format!(
                        "SELECT count(*), md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) \
                         FROM {t} AS x"
                    )
                    .as_str(),
                    &[],
                )
                .unwrap_or_else(|e| panic!("{t}: {e}"));
            (t.clone(), (r.get(0), r.get(1)))
        })
        .collect()
}

/// Compares every table of S (in its silo's database, shared ones in each) with M.
fn compare(s: &Saas, m: &BTreeMap<String, (i64, String)>, dbs: &[&SiloDb], world: &str) -> usize {
    let mut compared = 0;
    for db in dbs {
        let tables: Vec<String> = s
            .silo
            .iter()
            .filter(|(_, x)| *x == db.silo || *x == "shared")
            .map(|(t, _)| t.clone())
            .collect();
        let got = checksums(&mut db.client(), &tables);
        for (t, v) in &got {
            assert_eq!(
                Some(v),
                m.get(t),
                "world {world}: {t} in {} differs from the monolith (rows, md5)",
                db.db
            );
            compared += 1;
        }
    }
    compared
}

/// Runs the deletes in M, and in S with the restrict guard; `drain` is called every `every`
/// deletes and at the end. Returns (deleted in M, refused in M).
fn run_deletes(
    list: &[Delete],
    m: Option<&mut postgres::Client>,
    s: &[&SiloDb],
    every: usize,
    mut drain: impl FnMut(),
) -> (usize, usize) {
    let mut clients: BTreeMap<&str, postgres::Client> =
        s.iter().map(|d| (d.silo, d.client())).collect();
    let mut refused_s = Vec::new();
    for (i, d) in list.iter().enumerate() {
        let refuse = match &d.guard {
            Some((silo, q)) => !clients
                .get_mut(silo)
                .expect("guard silo")
                .query(q.as_str(), &[])
                .expect("guard")
                .is_empty(),
            None => false,
        };
        if refuse {
            refused_s.push(i);
        } else {
            // With appliers running at once (the concurrency test), the delete and an apply
            // may deadlock on the same child rows; Postgres aborts one and the application
            // retries, as here.
            let c = clients.get_mut(d.silo).expect("silo");
            let mut tries = 0;
            while let Err(e) = c.batch_execute(&d.sql) {
                tries += 1;
                assert!(
                    tries < 5
                        && e.code() == Some(&postgres::error::SqlState::T_R_DEADLOCK_DETECTED),
                    "S: {}: {e}",
                    d.sql
                );
            }
        }
        if (i + 1) % every == 0 {
            drain();
        }
    }
    drain();
    let Some(m) = m else {
        return (0, refused_s.len());
    };
    let mut refused_m = Vec::new();
    let mut deleted = 0;
    for (i, d) in list.iter().enumerate() {
        match m.execute(d.sql.as_str(), &[]) {
            Ok(n) => deleted += n as usize,
            Err(e) => {
                let msg = e.as_db_error().map(|e| e.message().to_string());
                assert!(
                    d.guard.is_some()
                        && msg
                            .as_deref()
                            .is_some_and(|m| m.contains("violates foreign key")),
                    "M refused a delete that has no restrict guard: {}: {e}",
                    d.sql
                );
                refused_m.push(i);
            }
        }
    }
    assert_eq!(
        refused_m, refused_s,
        "M refuses exactly the deletes S's restrict guard refuses"
    );
    (deleted, refused_m.len())
}

/// Transport (b) between two silo databases: each one's `cascades/<silo>.replication.sql`,
/// publications first everywhere, then a second run that refreshes the subscriptions; waits
/// for their initial sync.
fn install_replication(files: &BTreeMap<String, String>, dbs: &[SiloDb], dir: &Path) {
    for db in dbs {
        let mut text = String::new();
        for other in dbs.iter().filter(|o| o.silo != db.silo) {
            text.push_str(&format!(
                "\\set conninfo_{} '{}'\n",
                other.silo,
                other.conninfo()
            ));
        }
        text.push_str(&files[&format!("cascades/{}.replication.sql", db.silo)]);
        std::fs::write(dir.join(format!("{}-repl.sql", db.db)), &text).expect("write");
    }
    for round in 0..2 {
        for db in dbs {
            let text =
                std::fs::read_to_string(dir.join(format!("{}-repl.sql", db.db))).expect("read");
            run_file(
                db.cluster,
                &db.db,
                dir,
                &format!("{}-repl-{round}.sql", db.db),
                &text,
            );
        }
    }
    for db in dbs {
        let mut c = db.client();
        wait_until("the subscriptions' initial sync", || {
            count(
                &mut c,
                "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'",
            ) == 0
                && count(&mut c, "SELECT count(*) FROM pg_subscription_rel") == 1
        });
    }
}

/// Transport (b): waits until every tombstone of each publisher is in the other database's
/// replicated table and `silo_plan.apply` finds nothing left in either; returns the polls and
/// the (tombstone, edge) pairs its own apply calls processed.
fn drain_replicated(
    cpub: &mut postgres::Client,
    rpub: &mut postgres::Client,
    c_b: &mut postgres::Client,
    r_b: &mut postgres::Client,
    apply_all: fn(&mut postgres::Client, i32) -> i64,
) -> (usize, i64) {
    let (mut polls, mut applied) = (0, 0);
    wait_until("tombstones replicated and applied", || {
        let sent_c = count(cpub, "SELECT count(*) FROM silo_plan.tombstones");
        let sent_r = count(rpub, "SELECT count(*) FROM silo_plan.tombstones");
        let got_r = count(
            r_b,
            "SELECT count(*) FROM silo_plan.tombstones_control WHERE source = 'control'",
        );
        let got_c = count(
            c_b,
            "SELECT count(*) FROM silo_plan.tombstones_region WHERE source = 'region'",
        );
        let done = apply_all(r_b, 500) + apply_all(c_b, 500);
        applied += done;
        polls += 1;
        sent_c == got_r && sent_r == got_c && done == 0
    });
    (polls, applied)
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn count(c: &mut postgres::Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).expect(sql).get(0)
}

/// World M: the example's schema with every key re-declared with the plan's action, and the
/// generated rows. Returns the cluster, a client of database `m` and every table's checksum.
fn monolith(s: &Saas, dir: &Path) -> (Cluster, postgres::Client, BTreeMap<String, (i64, String)>) {
    let m = Cluster::start();
    m.createdb("m");
    run_file(
        &m,
        "m",
        dir,
        "m-schema.sql",
        &pg::prepare_dump(
            &std::fs::read_to_string(root().join("examples/saas/schema.sql")).expect("schema"),
        ),
    );
    let mut mc = m.client("m");
    let rewritten = effective_fks(s, |_, _| true);
    assert!(
        rewritten.len() >= 40,
        "the NO ACTION keys get the plan's action ({})",
        rewritten.len()
    );
    for stmt in &rewritten {
        mc.batch_execute(stmt)
            .unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    mc.batch_execute(&data_sql()).expect("generating data");
    let tables: Vec<String> = s.silo.keys().cloned().collect();
    let before = checksums(&mut mc, &tables);
    (m, mc, before)
}

#[test]
fn saas_cascades_match_postgres_with_both_transports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = crate::util::plan_example(dir.path()).1;
    let s = saas();
    let tables: Vec<String> = s.silo.keys().cloned().collect();

    // World M.
    let (m, mut mc, before) = monolith(&s, dir.path());
    let total: i64 = before
        .iter()
        .filter(|(t, _)| {
            // Partitions are counted through their parent.
            !t.starts_with("public.issue_event_")
        })
        .map(|(_, (n, _))| n)
        .sum();
    assert!(total >= 100_000, "generated {total} rows");

    // World S, two clusters (logical replication needs them apart: a subscription to a
    // database of its own cluster cannot create its slot in one step).
    let cc = Cluster::builder().wal_level_logical().start();
    let rc = Cluster::builder().wal_level_logical().start();
    let a = [
        SiloDb {
            silo: "control",
            cluster: &cc,
            db: "control_a".into(),
        },
        SiloDb {
            silo: "region",
            cluster: &rc,
            db: "region_a".into(),
        },
    ];
    let b = [
        SiloDb {
            silo: "control",
            cluster: &cc,
            db: "control_b".into(),
        },
        SiloDb {
            silo: "region",
            cluster: &rc,
            db: "region_b".into(),
        },
    ];
    for db in a.iter().chain(&b) {
        build_silo(&s, &files, &m, db, dir.path());
    }
    install_replication(&files, &b, dir.path());

    let list = deletes(1000);
    let by_kind = list
        .iter()
        .fold(BTreeMap::<&str, usize>::new(), |mut m, d| {
            *m.entry(d.kind).or_default() += 1;
            m
        });
    assert!(list.len() >= 1000 && by_kind.len() == 7, "{by_kind:?}");

    // Transport (a): the generated Python stub is the pump and the cascade handler.
    let [ca, ra] = &a;
    let (mut c_a, mut r_a) = (ca.client(), ra.client());
    let py = PythonStub::new(&dir.path().join("plan"));
    let (mut c_last, mut r_last) = (0i64, 0i64);
    let mut rounds = 0;
    let mut pumped = 0;
    let mut applied = 0;
    let (deleted_m, refused) = run_deletes(&list, Some(&mut mc), &[ca, ra], 100, || {
        let out = py.run(
            "drain",
            ca,
            ra,
            json!({"control": c_last, "region": r_last, "batch": 500}),
        );
        c_last = int(&out, "control");
        r_last = int(&out, "region");
        rounds += int(&out, "rounds");
        pumped += int(&out, "moved");
        applied += int(&out, "applied");
    });
    let after = checksums(&mut mc, &tables);
    let changed: Vec<&String> = tables.iter().filter(|t| before[*t] != after[*t]).collect();
    for t in [
        "public.auth_user",
        "public.org_member",
        "public.org_membermapping",
        "public.integ_repository",
        "public.proj_servicehook",
        "public.notif_settingoption",
        "public.org_organizationmapping",
        "public.alert_ruletriggeraction",
        "public.org_slugreservation",
    ] {
        assert!(
            changed.iter().any(|c| c.as_str() == t),
            "the deletes change {t} in M"
        );
    }
    assert!(refused > 0, "some slug deletes are refused (restrict)");
    let compared_a = compare(&s, &after, &[ca, ra], "S (a)");

    // The chain control → region → control: org_membermapping rows went only through region's
    // org_member tombstones.
    let chain = count(
        &mut c_a,
        "SELECT count(*) FROM silo_plan.inbox WHERE source = 'region' \
         AND table_name = 'public.org_member'",
    );
    assert!(chain > 0, "org_member tombstones reached control");

    // Applying the same tombstones twice changes nothing: pump everything again (the inbox
    // ignores it), then rewind every watermark and apply everything again.
    let inbox = |c: &mut postgres::Client, r: &mut postgres::Client| {
        count(c, "SELECT count(*) FROM silo_plan.inbox")
            + count(r, "SELECT count(*) FROM silo_plan.inbox")
    };
    let inbox_before = inbox(&mut c_a, &mut r_a);
    assert_eq!(
        inbox_before, pumped,
        "every pumped tombstone is in an inbox once"
    );
    let again = py.run("replay", ca, ra, json!({"batch": 700}));
    assert_eq!(
        (int(&again, "moved"), int(&again, "applied")),
        (pumped, 0),
        "the replayed pump reads every tombstone again and applies nothing new"
    );
    assert_eq!(
        inbox(&mut c_a, &mut r_a),
        inbox_before,
        "the inbox ignores tombstones it has"
    );
    for c in [&mut c_a, &mut r_a] {
        c.batch_execute("UPDATE silo_plan.watermarks SET last_id = 0")
            .expect("rewind");
    }
    let replayed = int(&py.run("apply", ca, ra, json!({"batch": 1000})), "applied");
    assert!(replayed > 0, "the replay processed the tombstones again");
    let new_tombstones = count(
        &mut c_a,
        "SELECT coalesce(max(id), 0) FROM silo_plan.tombstones",
    ) > c_last
        || count(
            &mut r_a,
            "SELECT coalesce(max(id), 0) FROM silo_plan.tombstones",
        ) > r_last;
    assert!(
        !new_tombstones,
        "a replay deletes nothing, so records nothing"
    );
    compare(&s, &after, &[ca, ra], "S (a) after the replay");

    // A tombstone arriving below its watermark (ids commit out of order) rewinds the watermark
    // of its edges, so the next apply takes it; the replay in between changes nothing.
    r_a.batch_execute(
        "INSERT INTO silo_plan.inbox (source, id, table_name, key, deleted_at) \
         VALUES ('control', -1, 'public.auth_user', '{\"id\": 999999}', now())",
    )
    .expect("late tombstone");
    let rewound = count(
        &mut r_a,
        "SELECT count(*) FROM silo_plan.watermarks WHERE source = 'control' AND last_id = -2",
    );
    assert_eq!(
        rewound, 9,
        "the 9 edges from auth_user rewind below the late tombstone"
    );
    assert!(apply_all(&mut r_a, 1000) > 0);
    assert_eq!(
        count(
            &mut r_a,
            "SELECT count(*) FROM silo_plan.watermarks WHERE source = 'control' AND last_id < 0",
        ),
        0,
        "every watermark passed the late tombstone again"
    );
    compare(&s, &after, &[ca, ra], "S (a) after a late tombstone");

    // Transport (b): logical replication; the test only calls apply.
    let [cb, rb] = &b;
    let (mut c_b, mut r_b) = (cb.client(), rb.client());
    let (mut cpub, mut rpub) = (cb.client(), rb.client());
    let mut quiet_rounds = 0;
    run_deletes(&list, None, &[cb, rb], 250, || {
        quiet_rounds += drain_replicated(&mut cpub, &mut rpub, &mut c_b, &mut r_b, apply_all).0;
    });
    let compared_b = compare(&s, &after, &[cb, rb], "S (b)");
    let replicated = count(
        &mut r_b,
        "SELECT count(*) FROM silo_plan.tombstones_control",
    ) + count(&mut c_b, "SELECT count(*) FROM silo_plan.tombstones_region");
    assert_eq!(
        count(&mut r_b, "SELECT count(*) FROM silo_plan.inbox")
            + count(&mut c_b, "SELECT count(*) FROM silo_plan.inbox"),
        0,
        "replication does not go through the inbox"
    );
    assert_eq!(
        count(&mut cpub, "SELECT count(*) FROM silo_plan.tombstones")
            + count(&mut rpub, "SELECT count(*) FROM silo_plan.tombstones"),
        replicated,
        "every tombstone is in the child's replicated table once"
    );

    // Commits out of id order: transaction 1 deletes user X and takes the lower tombstone
    // ids, transaction 2 deletes user Y with higher ids and commits first. Y's tombstones are
    // replicated and applied (the watermark passes ids above X's) before X's commit is even
    // sent; X's tombstones must still be applied when they arrive.
    let users: Vec<i64> = r_b
        .query(
            "SELECT user_id FROM public.org_member GROUP BY user_id ORDER BY user_id LIMIT 2",
            &[],
        )
        .expect("users with members")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let &[x, y] = users.as_slice() else {
        panic!("two users with members in region: {users:?}")
    };
    let members = |c: &mut postgres::Client, u: i64| {
        c.query_one(
            "SELECT count(*) FROM public.org_member WHERE user_id = $1",
            &[&u],
        )
        .expect("members")
        .get::<_, i64>(0)
    };
    assert!(members(&mut r_b, x) > 0 && members(&mut r_b, y) > 0);
    let received = |c: &mut postgres::Client, u: i64| {
        c.query_one(
            "SELECT count(*) FROM silo_plan.tombstones_control \
             WHERE table_name = 'public.auth_user' AND key = jsonb_build_object('id', $1::bigint)",
            &[&u],
        )
        .expect("received")
        .get::<_, i64>(0)
    };
    let mut tx1 = cb.client();
    tx1.batch_execute("BEGIN").expect("begin");
    tx1.execute("DELETE FROM public.auth_user WHERE id = $1", &[&x])
        .expect("delete x");
    let x_id: i64 = tx1
        .query_one("SELECT max(id) FROM silo_plan.tombstones", &[])
        .expect("x's tombstone")
        .get(0);
    // Fails rather than waits should y's delete need a row x's transaction holds.
    c_b.batch_execute("SET lock_timeout = '20s'")
        .expect("lock_timeout");
    c_b.execute("DELETE FROM public.auth_user WHERE id = $1", &[&y])
        .expect("delete y");
    let y_id: i64 = count(&mut cpub, "SELECT max(id) FROM silo_plan.tombstones");
    assert!(
        x_id < y_id,
        "x's tombstone {x_id} has the lower id ({y_id})"
    );
    wait_until("y's tombstone replicated", || received(&mut r_b, y) == 1);
    assert!(apply_all(&mut r_b, 500) > 0, "y's tombstone is applied");
    assert_eq!(members(&mut r_b, y), 0, "y's members are gone");
    assert!(members(&mut r_b, x) > 0, "x is not deleted yet");
    let passed: i64 = r_b
        .query_one(
            "SELECT count(*) FROM silo_plan.received_watermarks \
             WHERE source = 'control' AND last_id > $1",
            &[&x_id],
        )
        .expect("watermarks")
        .get(0);
    assert!(passed > 0, "some watermarks stand above x's id {x_id}");
    tx1.batch_execute("COMMIT").expect("commit x");
    wait_until("x's tombstone replicated", || received(&mut r_b, x) == 1);
    quiet_rounds += drain_replicated(&mut cpub, &mut rpub, &mut c_b, &mut r_b, apply_all).0;
    assert_eq!(
        members(&mut r_b, x),
        0,
        "x's tombstone, committed after a higher id was applied, is not lost"
    );
    for u in [x, y] {
        mc.execute("DELETE FROM public.auth_user WHERE id = $1", &[&u])
            .expect("the same deletes in M");
    }
    let after_xy = checksums(&mut mc, &tables);
    compare(
        &s,
        &after_xy,
        &[cb, rb],
        "S (b) after commits out of id order",
    );

    // Applying the replicated tombstones twice changes nothing.
    let (c_max, r_max) = (
        count(&mut cpub, "SELECT max(id) FROM silo_plan.tombstones"),
        count(&mut rpub, "SELECT max(id) FROM silo_plan.tombstones"),
    );
    for c in [&mut c_b, &mut r_b] {
        c.batch_execute("UPDATE silo_plan.received_watermarks SET last_xid = 0, last_id = 0")
            .expect("rewind");
    }
    let replayed_b = apply_all(&mut r_b, 1000) + apply_all(&mut c_b, 1000);
    assert!(replayed_b > 0, "the replay processed the tombstones again");
    assert_eq!(
        (
            count(&mut cpub, "SELECT max(id) FROM silo_plan.tombstones"),
            count(&mut rpub, "SELECT max(id) FROM silo_plan.tombstones"),
        ),
        (c_max, r_max),
        "a replay deletes nothing, so records nothing"
    );
    compare(&s, &after_xy, &[cb, rb], "S (b) after the replay");

    eprintln!(
        "cascades: {total} rows generated; {} deletes ({by_kind:?}); M deleted {deleted_m} parent \
         rows, refused {refused} (restrict); {} tables changed in M; (a) {rounds} drain rounds, \
         {pumped} tombstones pumped, {applied} (tombstone, edge) pairs applied, {compared_a} \
         table checksums equal; replay: inbox {inbox_before} rows, {replayed} pairs re-applied, \
         nothing changed; (b) {replicated} tombstones replicated, {compared_b} table checksums \
         equal ({quiet_rounds} polls), commits out of id order applied, replay re-applied \
         {replayed_b} pairs, nothing changed",
        list.len(),
        changed.len()
    );
}

/// What each concurrent applier thread did.
#[derive(Default)]
struct ApplierTally {
    /// (tombstone, edge) pairs its `silo_plan.apply` calls returned.
    applied: AtomicI64,
    /// Calls that returned work.
    busy_calls: AtomicI64,
    /// Calls Postgres aborted as deadlock victims (rolled back whole, then retried).
    deadlocks: AtomicI64,
}

impl ApplierTally {
    /// (pairs applied, busy calls, deadlocks) summed over every thread.
    fn totals(tallies: &[ApplierTally]) -> (i64, i64, i64) {
        let sum = |f: fn(&ApplierTally) -> &AtomicI64| -> i64 {
            tallies.iter().map(|t| f(t).load(Ordering::SeqCst)).sum()
        };
        (
            sum(|t| &t.applied),
            sum(|t| &t.busy_calls),
            sum(|t| &t.deadlocks),
        )
    }
}

/// Sets the appliers' stop flag when dropped: at the end of the scope's closure, and also when
/// the closure panics, so that `thread::scope` (which joins the appliers) never waits forever on
/// appliers nobody told to stop.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Calls `silo_plan.apply(batch)` in a loop until `stop` is set and a call finds nothing.
fn applier(db: &SiloDb, batch: i32, stop: &AtomicBool, tally: &ApplierTally) {
    let mut c = db.client();
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        match c.query_one("SELECT silo_plan.apply($1)", &[&batch]) {
            Ok(r) => {
                let n: i32 = r.get(0);
                if n > 0 {
                    tally.applied.fetch_add(i64::from(n), Ordering::SeqCst);
                    tally.busy_calls.fetch_add(1, Ordering::SeqCst);
                } else if stopping {
                    return;
                } else {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            Err(e) if e.code() == Some(&postgres::error::SqlState::T_R_DEADLOCK_DETECTED) => {
                tally.deadlocks.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => panic!("apply in {}: {e}", db.db),
        }
    }
}

/// Several appliers at once while tombstones keep arriving: in each silo database 4 threads
/// call `silo_plan.apply(7)` in a loop while the seeded deletes run and the generated Python
/// pump (itself an applier, batch 25) moves tombstones every 50 deletes. Afterwards S equals
/// M, every watermark stands on the last tombstone of its edge (none lost), and the pairs the
/// appliers report add up to exactly the (tombstone, edge) pairs in the inboxes: no tombstone
/// was applied twice for an edge. (The pump reads in id order under its SHARE lock, so no
/// watermark is ever rewound here and the count must be exact.)
#[test]
fn saas_cascades_concurrent_appliers_apply_each_tombstone_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan_dir, files) = crate::util::plan_example(dir.path());
    let s = saas();
    let (m, mut mc, _) = monolith(&s, dir.path());
    let cc = Cluster::start();
    let rc = Cluster::start();
    let c = [
        SiloDb {
            silo: "control",
            cluster: &cc,
            db: "control_c".into(),
        },
        SiloDb {
            silo: "region",
            cluster: &rc,
            db: "region_c".into(),
        },
    ];
    for db in &c {
        build_silo(&s, &files, &m, db, dir.path());
    }
    let [cdb, rdb] = &c;
    let py = PythonStub::new(&plan_dir);
    let list = deletes(1000);

    const THREADS: usize = 4;
    let stop = AtomicBool::new(false);
    let tallies: Vec<ApplierTally> = (0..2 * THREADS).map(|_| ApplierTally::default()).collect();
    let (mut c_last, mut r_last, mut pumped, mut pump_applied) = (0i64, 0i64, 0i64, 0i64);
    let mut drain = |c_last: &mut i64, r_last: &mut i64| {
        let out = py.run(
            "drain",
            cdb,
            rdb,
            json!({"control": *c_last, "region": *r_last, "batch": 25}),
        );
        *c_last = int(&out, "control");
        *r_last = int(&out, "region");
        pumped += int(&out, "moved");
        pump_applied += int(&out, "applied");
    };
    let mut refused = 0;
    std::thread::scope(|scope| {
        let _stop = StopOnDrop(&stop);
        for (k, tally) in tallies.iter().enumerate() {
            let db = &c[k / THREADS];
            let stop = &stop;
            scope.spawn(move || applier(db, 7, stop, tally));
        }
        // M's deletes run after S's inside run_deletes; both refuse the same ones.
        refused = run_deletes(&list, Some(&mut mc), &[cdb, rdb], 50, || {
            drain(&mut c_last, &mut r_last)
        })
        .1;
    });
    // What the threads left when they stopped (a chain's next hop) the pump finishes.
    drain(&mut c_last, &mut r_last);
    let tables: Vec<String> = s.silo.keys().cloned().collect();
    let after = checksums(&mut mc, &tables);
    let compared = compare(&s, &after, &[cdb, rdb], "S (c), concurrent appliers");
    assert!(refused > 0, "some slug deletes are refused (restrict)");

    // Bookkeeping: per edge, the matching inbox rows and the watermark.
    let an = crate::util::analysis(&root().join("examples/saas/silo-plan.toml"));
    let plan = silo_plan::plan::cascades::build(&an.input());
    let mut pairs = 0i64;
    let mut edges = 0;
    for sc in plan.iter().filter(|sc| !sc.edges.is_empty()) {
        let db = c.iter().find(|d| d.silo == sc.silo).expect("silo db");
        let mut cl = db.client();
        for e in &sc.edges {
            let r = cl
                .query_one(
                    "SELECT count(*), coalesce(max(id), 0) FROM silo_plan.inbox \
                     WHERE source = $1 AND table_name = $2 AND key ?& $3",
                    &[&e.parent_silo, &e.parent_name, &e.parent_columns],
                )
                .expect("inbox");
            let (n, last): (i64, i64) = (r.get(0), r.get(1));
            let mark: i64 = cl
                .query_one(
                    "SELECT last_id FROM silo_plan.watermarks WHERE source = $1 AND edge = $2",
                    &[&e.parent_silo, &e.edge],
                )
                .expect("watermark")
                .get(0);
            assert!(
                mark >= last,
                "{}: watermark {mark} below its last tombstone {last}: a tombstone is lost",
                e.edge
            );
            pairs += n;
            edges += 1;
        }
    }
    let (by_threads, busy, deadlocks) = ApplierTally::totals(&tallies);
    assert!(pairs > 1000, "the deletes produce tombstones ({pairs})");
    assert!(
        by_threads > 0 && busy > 100,
        "the threads did part of the work ({by_threads} pairs in {busy} calls)"
    );
    assert_eq!(
        by_threads + pump_applied,
        pairs,
        "every (tombstone, edge) pair applied exactly once: threads {by_threads}, pump \
         {pump_applied}, inbox pairs {pairs}"
    );
    eprintln!(
        "concurrent appliers: {} deletes, {refused} refused; {pumped} tombstones pumped, \
         {pairs} (tombstone, edge) pairs over {edges} edges: {by_threads} applied by {} threads \
         in {busy} calls, {pump_applied} by the pump; {deadlocks} deadlock retries; \
         {compared} table checksums equal",
        list.len(),
        2 * THREADS
    );
}

/// The replicated-tombstone table as the previous layout's `cascades/region.replication.sql`
/// created it: a `BEFORE INSERT` trigger, enabled ALWAYS, moved each replicated row into the
/// inbox and kept nothing.
const OLD_RECEIVE_SQL: &str = r#"
CREATE SCHEMA IF NOT EXISTS silo_plan;
CREATE TABLE IF NOT EXISTS silo_plan.tombstones_control (
    source text NOT NULL,
    id bigint NOT NULL,
    table_name text NOT NULL,
    key jsonb NOT NULL,
    deleted_at timestamptz NOT NULL
);
CREATE OR REPLACE FUNCTION silo_plan.receive_control_region() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $silo_plan$
BEGIN
    INSERT INTO silo_plan.inbox (source, id, table_name, key, deleted_at)
    VALUES (NEW.source, NEW.id, NEW.table_name, NEW.key, NEW.deleted_at)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$silo_plan$;
DROP TRIGGER IF EXISTS silo_plan_receive ON silo_plan.tombstones_control;
CREATE TRIGGER silo_plan_receive
    BEFORE INSERT ON silo_plan.tombstones_control
    FOR EACH ROW EXECUTE FUNCTION silo_plan.receive_control_region();
ALTER TABLE silo_plan.tombstones_control ENABLE ALWAYS TRIGGER silo_plan_receive;
"#;

/// Upgrade from the previous layout: re-running `cascades/region.sql` over the old receive
/// table adds its xid column, drops the per-row trigger and its function, and from then on a
/// row stored as the replication worker stores it stays in the table and is applied once; a
/// tombstone the old trigger had moved into the inbox is still applied from there. A second
/// run changes nothing.
#[test]
fn cascades_upgrade_from_the_receive_trigger_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = crate::util::plan_example(dir.path()).1;
    let c = Cluster::start();
    c.createdb("up");
    run_file(
        &c,
        "up",
        dir.path(),
        "up-schema.sql",
        &pg::prepare_dump(&files["silos/region/schema.sql"]),
    );
    let mut cl = c.client("up");
    cl.batch_execute(OLD_RECEIVE_SQL).expect("old layout");
    let cascades = &files["cascades/region.sql"];
    run_file(&c, "up", dir.path(), "up-cascades-1.sql", cascades);
    assert_eq!(
        count(
            &mut cl,
            "SELECT count(*) FROM pg_trigger \
             WHERE tgrelid = 'silo_plan.tombstones_control'::regclass AND NOT tgisinternal",
        ),
        0,
        "the receive trigger is dropped"
    );
    assert_eq!(
        count(
            &mut cl,
            "SELECT count(*) FROM pg_proc WHERE proname = 'receive_control_region'",
        ),
        0,
        "its function is dropped"
    );
    // As the replication worker stores a row: the publisher's columns only, session role
    // replica.
    cl.batch_execute(
        "SET session_replication_role = replica; \
         INSERT INTO silo_plan.tombstones_control (source, id, table_name, key, deleted_at) \
         VALUES ('control', 5, 'public.auth_user', '{\"id\": 1}', now()); \
         RESET session_replication_role",
    )
    .expect("a replicated row");
    assert_eq!(
        count(&mut cl, "SELECT count(*) FROM silo_plan.tombstones_control"),
        1,
        "the row stays where replication stored it"
    );
    assert_eq!(
        count(&mut cl, "SELECT count(*) FROM silo_plan.inbox"),
        0,
        "nothing moves into the inbox"
    );
    assert_eq!(
        apply_all(&mut cl, 100),
        9,
        "the 9 edges from auth_user apply it"
    );
    run_file(&c, "up", dir.path(), "up-cascades-2.sql", cascades);
    assert_eq!(apply_all(&mut cl, 100), 0, "a re-run keeps the watermarks");
    // A tombstone the old trigger had moved into the inbox before the upgrade.
    cl.batch_execute(
        "INSERT INTO silo_plan.inbox (source, id, table_name, key, deleted_at) \
         VALUES ('control', 3, 'public.auth_user', '{\"id\": 2}', now())",
    )
    .expect("an inbox row");
    assert_eq!(apply_all(&mut cl, 100), 9, "the inbox is applied as before");
}

/// Several appliers at once over transport (b), logical replication: in each silo database 4
/// threads call `silo_plan.apply(7)` in a loop while the seeded deletes run and, every 50
/// deletes, the test waits until replication has delivered everything and applies what is
/// left. Afterwards S equals M, every watermark of `silo_plan.received_watermarks` stands on
/// the last replicated tombstone of its edge in (xid, id) order (none lost), and the pairs the
/// appliers report add up to exactly the (tombstone, edge) pairs in the replicated tables: no
/// tombstone was applied twice for an edge.
#[test]
fn saas_cascades_concurrent_appliers_over_replication_apply_each_tombstone_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = crate::util::plan_example(dir.path()).1;
    let s = saas();
    let (m, mut mc, _) = monolith(&s, dir.path());
    let cc = Cluster::builder().wal_level_logical().start();
    let rc = Cluster::builder().wal_level_logical().start();
    let d = [
        SiloDb {
            silo: "control",
            cluster: &cc,
            db: "control_d".into(),
        },
        SiloDb {
            silo: "region",
            cluster: &rc,
            db: "region_d".into(),
        },
    ];
    for db in &d {
        build_silo(&s, &files, &m, db, dir.path());
    }
    install_replication(&files, &d, dir.path());
    let [cdb, rdb] = &d;
    let list = deletes(1000);

    const THREADS: usize = 4;
    let stop = AtomicBool::new(false);
    let tallies: Vec<ApplierTally> = (0..2 * THREADS).map(|_| ApplierTally::default()).collect();
    let (mut cpub, mut rpub) = (cdb.client(), rdb.client());
    let (mut c_d, mut r_d) = (cdb.client(), rdb.client());
    let mut drained = 0i64;
    let mut refused = 0;
    std::thread::scope(|scope| {
        let _stop = StopOnDrop(&stop);
        for (k, tally) in tallies.iter().enumerate() {
            let db = &d[k / THREADS];
            let stop = &stop;
            scope.spawn(move || applier(db, 7, stop, tally));
        }
        refused = run_deletes(&list, Some(&mut mc), &[cdb, rdb], 50, || {
            drained +=
                drain_replicated(&mut cpub, &mut rpub, &mut c_d, &mut r_d, apply_all_retrying).1;
        })
        .1;
    });
    // What the threads left when they stopped (a chain's next hop).
    drained += drain_replicated(&mut cpub, &mut rpub, &mut c_d, &mut r_d, apply_all).1;
    let tables: Vec<String> = s.silo.keys().cloned().collect();
    let after = checksums(&mut mc, &tables);
    let compared = compare(&s, &after, &[cdb, rdb], "S (d), appliers over replication");
    assert!(refused > 0, "some slug deletes are refused (restrict)");

    let an = crate::util::analysis(&root().join("examples/saas/silo-plan.toml"));
    let plan = silo_plan::plan::cascades::build(&an.input());
    let mut pairs = 0i64;
    let mut edges = 0;
    for sc in plan.iter().filter(|sc| !sc.edges.is_empty()) {
        let db = d.iter().find(|x| x.silo == sc.silo).expect("silo db");
        let mut cl = db.client();
        for e in &sc.edges {
            let table = format!("silo_plan.tombstones_{}", e.parent_silo);
            let n: i64 = cl
                .query_one(
                    format!(
                        "SELECT count(*) FROM {table} \
                         WHERE source = $1 AND table_name = $2 AND key ?& $3"
                    )
                    .as_str(),
                    &[&e.parent_silo, &e.parent_name, &e.parent_columns],
                )
                .expect("received")
                .get(0);
            let last: Option<(i64, i64)> = cl
                .query_opt(
                    format!(
                        "SELECT xid, id FROM {table} \
                         WHERE source = $1 AND table_name = $2 AND key ?& $3 \
                         ORDER BY xid DESC, id DESC LIMIT 1"
                    )
                    .as_str(),
                    &[&e.parent_silo, &e.parent_name, &e.parent_columns],
                )
                .expect("last received")
                .map(|r| (r.get(0), r.get(1)));
            let r = cl
                .query_one(
                    "SELECT last_xid, last_id FROM silo_plan.received_watermarks \
                     WHERE source = $1 AND edge = $2",
                    &[&e.parent_silo, &e.edge],
                )
                .expect("watermark");
            let mark: (i64, i64) = (r.get(0), r.get(1));
            if let Some(last) = last {
                assert!(
                    mark >= last,
                    "{}: watermark {mark:?} below its last tombstone {last:?}: a tombstone is lost",
                    e.edge
                );
            }
            pairs += n;
            edges += 1;
        }
    }
    assert_eq!(
        count(&mut c_d, "SELECT count(*) FROM silo_plan.inbox")
            + count(&mut r_d, "SELECT count(*) FROM silo_plan.inbox"),
        0,
        "replication does not go through the inbox"
    );
    let (by_threads, busy, deadlocks) = ApplierTally::totals(&tallies);
    assert!(pairs > 1000, "the deletes produce tombstones ({pairs})");
    assert!(
        by_threads > 0 && busy > 100,
        "the threads did part of the work ({by_threads} pairs in {busy} calls)"
    );
    assert_eq!(
        by_threads + drained,
        pairs,
        "every (tombstone, edge) pair applied exactly once: threads {by_threads}, drain \
         {drained}, replicated pairs {pairs}"
    );
    eprintln!(
        "concurrent appliers over replication: {} deletes, {refused} refused; {pairs} \
         (tombstone, edge) pairs over {edges} edges: {by_threads} applied by {} threads in \
         {busy} calls, {drained} by the drain; {deadlocks} deadlock retries; {compared} table \
         checksums equal",
        list.len(),
        2 * THREADS
    );
}
