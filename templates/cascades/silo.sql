-- silo-plan: cascades/{{ silo }}.sql
--
{{ header.as_str() -}}
--
-- Stop at the first error (also when run without -v ON_ERROR_STOP=1), and read string literals as
-- standard SQL: the names below are quoted for that.
\set ON_ERROR_STOP on
SET standard_conforming_strings = on;

-- =================================================================================================
-- Schema silo_plan: shared by every silo's cascades installed in this database.
-- =================================================================================================

{{ schema_comments.as_str() -}}
CREATE SCHEMA IF NOT EXISTS silo_plan;
{% if !producers.is_empty() %}
-- =================================================================================================
-- Part 1: tombstones. {{ producers.len() }} parent table(s) of this silo record their deletes.
-- =================================================================================================

{{ tombstones_comments.as_str() -}}
CREATE TABLE IF NOT EXISTS silo_plan.tombstones (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name text NOT NULL,
    key jsonb NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE silo_plan.tombstones IS 'silo-plan: one row per deleted row of a parent of a broken foreign key and per referenced column set; read by a pump (id > last id read) or published by cascades/<silo>.replication.sql';
{% for p in producers %}
-- -------------------------------------------------------------------------------------------------
{{ p.comments() -}}
CREATE OR REPLACE FUNCTION {{ p.function }}() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $silo_plan$
BEGIN
{%- for k in p.keys %}
    INSERT INTO silo_plan.tombstones (table_name, key)
    SELECT {{ p.table_lit }}, jsonb_build_object({{ k.build }})
      FROM old_rows AS o
     WHERE {{ k.not_null }};
{%- endfor %}
    RETURN NULL;
END
$silo_plan$;
BEGIN;
SET LOCAL lock_timeout = '5s';
DO $silo_plan$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                    WHERE tgrelid = {{ p.table_reg }}::regclass AND tgname = 'silo_plan_tombstones') THEN
        CREATE TRIGGER silo_plan_tombstones
            AFTER DELETE ON {{ p.table }}
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {{ p.function }}();
    END IF;
END
$silo_plan$;
COMMIT;
{% endfor -%}
{% endif -%}
{% if !edges.is_empty() %}
-- =================================================================================================
-- Part 2: inbox and apply. {{ edges.len() }} broken edge(s) whose child lives in this silo.
-- =================================================================================================

{{ inbox_comments.as_str() -}}
CREATE TABLE IF NOT EXISTS silo_plan.inbox (
    source text NOT NULL,
    id bigint NOT NULL,
    table_name text NOT NULL,
    key jsonb NOT NULL,
    deleted_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, table_name, id)
);
CREATE TABLE IF NOT EXISTS silo_plan.watermarks (
    source text NOT NULL,
    edge text NOT NULL,
    last_id bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (source, edge)
);
INSERT INTO silo_plan.watermarks (source, edge) VALUES
{%- for e in edges %}
    ({{ e.source_lit }}, {{ e.edge_lit }}){% if loop.last %}{% else %},{% endif %}
{%- endfor %}
ON CONFLICT DO NOTHING;
{% for r in received %}
-- -------------------------------------------------------------------------------------------------
{{ r.comments.as_str() -}}
CREATE TABLE IF NOT EXISTS {{ r.table }} (
    source text NOT NULL,
    id bigint NOT NULL,
    table_name text NOT NULL,
    key jsonb NOT NULL,
    deleted_at timestamptz NOT NULL,
    xid bigint NOT NULL DEFAULT pg_catalog.txid_current(),
    received_at timestamptz NOT NULL DEFAULT now()
);
{{ r.upgrade_comments.as_str() -}}
BEGIN;
SET LOCAL lock_timeout = '5s';
ALTER TABLE {{ r.table }}
    ADD COLUMN IF NOT EXISTS xid bigint NOT NULL DEFAULT pg_catalog.txid_current(),
    ADD COLUMN IF NOT EXISTS received_at timestamptz NOT NULL DEFAULT now();
DROP TRIGGER IF EXISTS silo_plan_receive ON {{ r.table }};
DROP FUNCTION IF EXISTS {{ r.old_function }}();
CREATE INDEX IF NOT EXISTS {{ r.index }}
    ON {{ r.table }} (source, table_name, xid, id);
COMMIT;
{% endfor -%}
{% if !received.is_empty() %}
{{ received_watermarks_comments.as_str() -}}
CREATE TABLE IF NOT EXISTS silo_plan.received_watermarks (
    source text NOT NULL,
    edge text NOT NULL,
    last_xid bigint NOT NULL DEFAULT 0,
    last_id bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (source, edge)
);
INSERT INTO silo_plan.received_watermarks (source, edge) VALUES
{%- for e in edges %}
    ({{ e.source_lit }}, {{ e.edge_lit }}){% if loop.last %}{% else %},{% endif %}
{%- endfor %}
ON CONFLICT DO NOTHING;
{% endif %}
{{ arrived_comments.as_str() -}}
CREATE OR REPLACE FUNCTION {{ arrived }}() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $silo_plan$
DECLARE
    _sp_r record;
    _sp_last bigint;
BEGIN
    FOR _sp_r IN SELECT n.source, e.edge, min(n.id) AS first_id
                   FROM new_rows AS n
                   JOIN (VALUES
{%- for t in arrivals %}
                        ({{ t.table_lit }}, {{ t.edge_lit }}){% if !loop.last %},{% endif %}
{%- endfor %}
                        ) AS e (table_name, edge) ON e.table_name = n.table_name
                  GROUP BY n.source, e.edge
                  ORDER BY n.source, e.edge
    LOOP
        INSERT INTO silo_plan.watermarks (source, edge)
        VALUES (_sp_r.source, _sp_r.edge)
        ON CONFLICT DO NOTHING;
        SELECT w.last_id INTO _sp_last
          FROM silo_plan.watermarks AS w
         WHERE w.source = _sp_r.source AND w.edge = _sp_r.edge
           FOR UPDATE;
        IF _sp_last >= _sp_r.first_id THEN
            UPDATE silo_plan.watermarks AS w
               SET last_id = _sp_r.first_id - 1
             WHERE w.source = _sp_r.source AND w.edge = _sp_r.edge;
        END IF;
    END LOOP;
    RETURN NULL;
END
$silo_plan$;
BEGIN;
SET LOCAL lock_timeout = '5s';
DO $silo_plan$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                    WHERE tgrelid = 'silo_plan.inbox'::regclass AND tgname = {{ arrived_trigger_lit }}) THEN
        CREATE TRIGGER {{ arrived_trigger }}
            AFTER INSERT ON silo_plan.inbox
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {{ arrived }}();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                    WHERE tgrelid = 'silo_plan.inbox'::regclass AND tgname = {{ arrived_trigger_lit }}
                      AND tgenabled = 'A') THEN
        ALTER TABLE silo_plan.inbox ENABLE ALWAYS TRIGGER {{ arrived_trigger }};
    END IF;
END
$silo_plan$;
COMMIT;

{{ apply_comments.as_str() -}}
CREATE OR REPLACE FUNCTION {{ apply }}(batch_size integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $silo_plan$
DECLARE
    _sp_limit integer := batch_size;
    _sp_total integer := 0;
    _sp_w record;
    _sp_v record;
    _sp_n integer;
    _sp_upto bigint;
    _sp_upto_xid bigint;
    _sp_settled bigint;
BEGIN
{%- for r in received %}

{% for line in r.discover_comments -%}
{{"    "}}{{ line }}
{% endfor -%}
{{"    "}}INSERT INTO silo_plan.received_watermarks (source, edge)
    SELECT s.source, e.edge
      FROM (WITH RECURSIVE s (source) AS (
                SELECT min(r.source) FROM {{ r.table }} AS r
                UNION ALL
                SELECT (SELECT min(r.source) FROM {{ r.table }} AS r WHERE r.source > s.source)
                  FROM s
                 WHERE s.source IS NOT NULL)
            SELECT s.source FROM s WHERE s.source IS NOT NULL) AS s
     CROSS JOIN (VALUES
{%- for e in r.edge_lits %}
                 ({{ e }}){% if !loop.last %},{% endif %}
{%- endfor %}
                ) AS e (edge)
     WHERE NOT EXISTS (SELECT 1 FROM silo_plan.received_watermarks AS w
                        WHERE w.source = s.source AND w.edge = e.edge)
    ON CONFLICT DO NOTHING;
{%- endfor %}
{%- for e in edges %}

{{ e.comments() -}}
{{"    "}}FOR _sp_w IN SELECT w.source, w.last_id
                      FROM silo_plan.watermarks AS w
                     WHERE w.edge = {{ e.edge_lit }}
                     ORDER BY w.source
                       FOR UPDATE SKIP LOCKED
    LOOP
        WITH batch AS MATERIALIZED (
            SELECT i.id, i.key
              FROM silo_plan.inbox AS i
             WHERE i.source = _sp_w.source
               AND i.table_name = {{ e.parent_lit }}
               AND i.id > _sp_w.last_id
               AND i.key ?& ARRAY[{{ e.key_names }}]
             ORDER BY i.id
             LIMIT _sp_limit
        ), applied AS (
            {{ e.statement }}
             WHERE {{ e.lhs }} IN (
                   SELECT {{ e.select }}
                     FROM batch AS b,
                          jsonb_populate_record(NULL::{{ e.child }},
                                                jsonb_build_object({{ e.build }})) AS k)
        )
        SELECT count(*), max(batch.id) INTO _sp_n, _sp_upto FROM batch;
        IF _sp_n > 0 THEN
            UPDATE silo_plan.watermarks AS w
               SET last_id = _sp_upto
             WHERE w.source = _sp_w.source AND w.edge = {{ e.edge_lit }};
            _sp_total := _sp_total + _sp_n;
        END IF;
    END LOOP;
{%- if let Some(r) = e.received %}
{{"    "}}FOR _sp_v IN SELECT w.source, w.last_xid, w.last_id
                      FROM silo_plan.received_watermarks AS w
                     WHERE w.edge = {{ e.edge_lit }}
                     ORDER BY w.source
                       FOR UPDATE SKIP LOCKED
    LOOP
        _sp_settled := pg_catalog.txid_snapshot_xmin(pg_catalog.txid_current_snapshot());
        WITH batch AS MATERIALIZED (
            SELECT r.xid, r.id, r.key
              FROM {{ r }} AS r
             WHERE r.source = _sp_v.source
               AND r.table_name = {{ e.parent_lit }}
               AND (r.xid, r.id) > (_sp_v.last_xid, _sp_v.last_id)
               AND r.xid < _sp_settled
               AND r.key ?& ARRAY[{{ e.key_names }}]
             ORDER BY r.xid, r.id
             LIMIT _sp_limit
        ), applied AS (
            {{ e.statement }}
             WHERE {{ e.lhs }} IN (
                   SELECT {{ e.select }}
                     FROM batch AS b,
                          jsonb_populate_record(NULL::{{ e.child }},
                                                jsonb_build_object({{ e.build }})) AS k)
        )
        SELECT count(*) OVER (), b.xid, b.id INTO _sp_n, _sp_upto_xid, _sp_upto
          FROM batch AS b
         ORDER BY b.xid DESC, b.id DESC
         LIMIT 1;
        IF FOUND THEN
            UPDATE silo_plan.received_watermarks AS w
               SET last_xid = _sp_upto_xid, last_id = _sp_upto
             WHERE w.source = _sp_v.source AND w.edge = {{ e.edge_lit }};
            _sp_total := _sp_total + _sp_n;
        END IF;
    END LOOP;
{%- endif %}
{%- endfor %}
    RETURN _sp_total;
END
$silo_plan$;

{{ dispatch_comments.as_str() -}}
CREATE OR REPLACE FUNCTION silo_plan.apply(batch_size integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $silo_plan$
DECLARE
    _sp_fn name;
    _sp_n integer;
    _sp_total integer := 0;
BEGIN
    FOR _sp_fn IN SELECT p.proname
                    FROM pg_catalog.pg_proc AS p
                   WHERE p.pronamespace = 'silo_plan'::regnamespace
                     AND p.proname LIKE 'apply\_%'
                     AND p.pronargs = 1
                   ORDER BY p.proname
    LOOP
        EXECUTE format('SELECT silo_plan.%I($1)', _sp_fn) INTO _sp_n USING batch_size;
        _sp_total := _sp_total + _sp_n;
    END LOOP;
    RETURN _sp_total;
END
$silo_plan$;
{% endif -%}
{% if !guards.is_empty() %}
-- =================================================================================================
-- Part 3: restrict edges. Not enforceable across databases: the application checks first.
-- =================================================================================================
{% for g in guards %}
{{ g.as_str() -}}
{% endfor -%}
{% endif %}
-- End of cascades/{{ silo }}.sql.
