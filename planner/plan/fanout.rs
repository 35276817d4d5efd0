//! `residency/fanout/<silo>.sql`: the tombstones of a single-instance silo delivered to every
//! instance of a multi-instance silo (issue 19, fan-out).
//!
//! A user deleted in control must cascade in us and in de: each instance's database runs
//! `cascades/<silo>.sql` on its own (its inbox, its watermarks per edge, its
//! `silo_plan.apply`), so each instance applies what it receives. What a single pump cursor
//! cannot say is how far each instance got: this file gives the producer's database one
//! watermark per instance, `silo_plan.tombstone_watermark(consumer, instance, last_id)`, and
//! two functions the pump calls per instance:
//!
//! 1. `silo_plan.fanout_batch(consumer, instance, limit)`: the tombstones after that instance's
//!    watermark, in id order, read under `LOCK silo_plan.tombstones IN SHARE MODE` (as the
//!    stubs' pump reads: the lock waits for the transactions still inserting tombstones, so no
//!    id below the batch's last commits later);
//! 2. the pump inserts them into the instance's `silo_plan.inbox` (`ON CONFLICT DO NOTHING`:
//!    a batch delivered twice is stored once) and commits there;
//! 3. `silo_plan.fanout_ack(consumer, instance, last_id)` moves that instance's watermark (never
//!    back). A crash between 2 and 3 delivers the batch again: nothing changes.
//!
//! `silo_plan.tombstone_fanout` shows each instance's watermark and how many tombstones it has
//! not received; a tombstone below every instance's watermark has reached them all.

use schemars::JsonSchema;
use serde::Serialize;

use super::cascades::SiloCascades;
use crate::config::Config;
use crate::ident::{comment_text, literal};

/// The fan-out of one single-instance silo's tombstones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Fanout {
    /// The single-instance silo whose parents record tombstones.
    pub silo: String,
    /// The multi-instance silos that consume them, each with its instances.
    pub consumers: Vec<FanoutConsumer>,
}

/// A multi-instance silo receiving tombstones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FanoutConsumer {
    /// The silo.
    pub silo: String,
    /// Its instances: one watermark each.
    pub instances: Vec<String>,
}

/// The fan-out of every single-instance silo whose tombstones a multi-instance silo applies, in
/// config order.
pub fn build(cfg: &Config, cascades: &[SiloCascades]) -> Vec<Fanout> {
    let mut out = Vec::new();
    for c in cascades {
        if c.producers.is_empty() || cfg.silo(&c.silo).is_none_or(|s| s.instances.len() >= 2) {
            continue;
        }
        let consumers: Vec<FanoutConsumer> = c
            .consumers
            .iter()
            .filter_map(|n| cfg.silo(n))
            .filter(|s| s.instances.len() >= 2)
            .map(|s| FanoutConsumer {
                silo: s.name.clone(),
                instances: s.instances.clone(),
            })
            .collect();
        if !consumers.is_empty() {
            out.push(Fanout {
                silo: c.silo.clone(),
                consumers,
            });
        }
    }
    out
}

/// The text of `residency/fanout/<silo>.sql`.
pub fn sql(f: &Fanout) -> String {
    let file = format!("residency/fanout/{}.sql", f.silo);
    let silo = comment_text(&f.silo);
    let source = literal(&crate::names::instance_source(&f.silo, None));
    let rows: Vec<String> = f
        .consumers
        .iter()
        .flat_map(|c| {
            c.instances
                .iter()
                .map(move |i| format!("    ({}, {})", literal(&c.silo), literal(i)))
        })
        .collect();
    let pairs: Vec<String> = f
        .consumers
        .iter()
        .map(|c| format!("{} (instances {})", c.silo, c.instances.join(", ")))
        .collect();
    format!(
        "-- silo-plan: {file}\n\
--\n\
-- Fan-out of silo {silo}'s tombstones to every instance of {consumers}.\n\
-- A row deleted in {silo} must be deleted (or nulled) in each instance: each instance's database runs\n\
-- cascades/<its silo>.sql and applies what reaches its silo_plan.inbox. This file gives the {silo} database\n\
-- one watermark per instance and the two calls the pump makes for each instance, in a loop:\n\
--   1. SELECT * FROM silo_plan.fanout_batch(consumer, instance, 1000);   -- in {silo}, READ COMMITTED; COMMIT\n\
--   2. INSERT INTO silo_plan.inbox (source, id, table_name, key, deleted_at) VALUES ...\n\
--        ON CONFLICT DO NOTHING;                                          -- in that instance; COMMIT\n\
--   3. SELECT silo_plan.fanout_ack(consumer, instance, <last id of the batch>);  -- in {silo}\n\
-- then SELECT silo_plan.apply(1000) in the instance until it returns 0. A batch delivered again after a\n\
-- crash between 2 and 3 is stored once. One instance being down delays only its own deliveries.\n\
-- Run with psql -v ON_ERROR_STOP=1 on the {silo} database, after cascades/{silo}.sql (it creates\n\
-- silo_plan.tombstones). Idempotent: run it again after a change of instances.\n\
\\set ON_ERROR_STOP on\n\
SET standard_conforming_strings = on;\n\
\n\
-- One row per (consuming silo, instance): the id of the last tombstone that instance received.\n\
-- Locks: none on existing tables (a new table; its rows inserted when missing).\n\
CREATE TABLE IF NOT EXISTS silo_plan.tombstone_watermark (\n\
    consumer text NOT NULL,\n\
    instance text NOT NULL,\n\
    last_id bigint NOT NULL DEFAULT 0,\n\
    delivered_at timestamptz,\n\
    PRIMARY KEY (consumer, instance)\n\
);\n\
INSERT INTO silo_plan.tombstone_watermark (consumer, instance) VALUES\n\
{rows}\n\
ON CONFLICT DO NOTHING;\n\
\n\
-- The next tombstones for one instance, after its watermark, in id order. The SHARE lock waits for the\n\
-- transactions still recording tombstones (their ids may be lower than one already committed) and\n\
-- holds new deletes of parent rows until the caller's transaction ends: commit right after reading.\n\
-- Locks: none to create it; each call takes SHARE on silo_plan.tombstones until the end of the\n\
-- caller's transaction.\n\
CREATE OR REPLACE FUNCTION silo_plan.fanout_batch(p_consumer text, p_instance text, p_limit integer)\n\
RETURNS TABLE (source text, id bigint, table_name text, key jsonb, deleted_at timestamptz)\n\
LANGUAGE plpgsql\n\
SET search_path = pg_catalog, pg_temp\n\
AS $silo_plan$\n\
DECLARE\n\
    mark bigint;\n\
BEGIN\n\
    SELECT w.last_id INTO mark FROM silo_plan.tombstone_watermark AS w\n\
     WHERE w.consumer = p_consumer AND w.instance = p_instance;\n\
    IF NOT FOUND THEN\n\
        RAISE EXCEPTION 'no tombstone watermark for instance % of silo %: run {file} again after adding it',\n\
            p_instance, p_consumer;\n\
    END IF;\n\
    LOCK TABLE silo_plan.tombstones IN SHARE MODE;\n\
    RETURN QUERY\n\
        SELECT {source}::text, t.id, t.table_name, t.key, t.deleted_at\n\
          FROM silo_plan.tombstones AS t\n\
         WHERE t.id > mark\n\
         ORDER BY t.id\n\
         LIMIT p_limit;\n\
END\n\
$silo_plan$;\n\
\n\
-- After the instance committed the batch: its watermark moves to the batch's last id (never back).\n\
-- Returns the watermark.\n\
-- Locks: none to create it; each call updates the instance's watermark row\n\
-- (ROW EXCLUSIVE on silo_plan.tombstone_watermark, that row locked).\n\
CREATE OR REPLACE FUNCTION silo_plan.fanout_ack(p_consumer text, p_instance text, p_last_id bigint)\n\
RETURNS bigint\n\
LANGUAGE plpgsql\n\
SET search_path = pg_catalog, pg_temp\n\
AS $silo_plan$\n\
DECLARE\n\
    mark bigint;\n\
BEGIN\n\
    UPDATE silo_plan.tombstone_watermark AS w\n\
       SET last_id = greatest(w.last_id, p_last_id), delivered_at = now()\n\
     WHERE w.consumer = p_consumer AND w.instance = p_instance\n\
    RETURNING w.last_id INTO mark;\n\
    IF NOT FOUND THEN\n\
        RAISE EXCEPTION 'no tombstone watermark for instance % of silo %', p_instance, p_consumer;\n\
    END IF;\n\
    RETURN mark;\n\
END\n\
$silo_plan$;\n\
\n\
-- Each instance's watermark and the tombstones it has not received yet.\n\
-- Locks: none (a view).\n\
CREATE OR REPLACE VIEW silo_plan.tombstone_fanout AS\n\
SELECT w.consumer, w.instance, w.last_id, w.delivered_at,\n\
       (SELECT count(*) FROM silo_plan.tombstones AS t WHERE t.id > w.last_id) AS pending\n\
  FROM silo_plan.tombstone_watermark AS w;\n\
\n\
-- End of {file}.\n",
        consumers = comment_text(&pairs.join(", ")),
        rows = rows.join(",\n"),
    )
}
