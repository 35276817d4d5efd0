-- silo-plan: cascades/{{ silo }}.replication.sql
--
{{ header.as_str() -}}
--
-- Stop at the first error (also when run without -v ON_ERROR_STOP=1), and read string literals as
-- standard SQL: the names below are quoted for that.
\set ON_ERROR_STOP on
SET standard_conforming_strings = on;

{% if instances.is_empty() -%}
-- Silo {{ silo }} has no instances: leave psql variable instance unset (any value stops the
-- script). The tombstones it publishes carry source '{{ silo }}' (the text the stubs' pump is given
-- as its source).
{% else -%}
-- The instance of {{ silo }} this database is (psql -v instance=...): one of {{ instances }}, spelled as
-- in silo-plan.toml, or unset for the whole silo in one database (any other value stops the
-- script). The tombstones it publishes carry source '{{ silo }}' or '{{ instance_source }}' (the
-- text the stubs' pump is given as its source), and its subscriptions (one replication slot each
-- on the publisher) end in _<instance>, lowercase with '-' as '_' (all a slot name allows).
{% endif -%}
\if :{?instance}
\else
\set instance ''
\endif
SELECT :'instance' IN ({{ instance_lits }}) AS instance_known,
       CASE WHEN :'instance' = '' THEN {{ silo_lit }} ELSE {{ silo_lit }} || {{ separator_lit }} || :'instance' END AS source,
       CASE WHEN :'instance' = '' THEN '' ELSE '_' || replace(lower(:'instance'), '-', '_') END AS suffix
\gset
\if :instance_known
\else
DO $silo_plan$ BEGIN RAISE EXCEPTION '%', {{ instance_error_lit }}; END $silo_plan$;
\endif
{% if let Some(p) = publish %}
-- =================================================================================================
-- Part 1: publish this silo's tombstones (this database is a parent of broken edges).
-- =================================================================================================

{{ p.comments.as_str() -}}
CREATE TABLE IF NOT EXISTS {{ p.table }} (
    source text NOT NULL,
    id bigint NOT NULL,
    table_name text NOT NULL,
    key jsonb NOT NULL,
    deleted_at timestamptz NOT NULL
);
CREATE OR REPLACE FUNCTION {{ p.function }}() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $silo_plan$
BEGIN
    INSERT INTO {{ p.table }} (id, table_name, key, deleted_at)
    SELECT n.id, n.table_name, n.key, n.deleted_at
      FROM new_rows AS n;
    RETURN NULL;
END
$silo_plan$;
BEGIN;
SET LOCAL lock_timeout = '5s';
ALTER TABLE {{ p.table }} ALTER COLUMN source SET DEFAULT :'source';
DO $silo_plan$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                    WHERE tgrelid = 'silo_plan.tombstones'::regclass AND tgname = {{ p.trigger_lit }}) THEN
        CREATE TRIGGER {{ p.trigger }}
            AFTER INSERT ON silo_plan.tombstones
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {{ p.function }}();
    END IF;
END
$silo_plan$;
COMMIT;

{{ p.publication_comments.as_str() -}}
SELECT format('CREATE PUBLICATION %I FOR TABLE %s WITH (publish = %L)',
              {{ p.publication_lit }}, {{ p.table_lit }}, 'insert')
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = {{ p.publication_lit }})
\gexec
{% endif -%}
{% if !subscribe.is_empty() %}
-- =================================================================================================
-- Part 2: subscribe to the tombstones of {{ subscribe.len() }} parent silo(s); apply() reads them where they land.
-- =================================================================================================
{% for s in subscribe %}
-- -------------------------------------------------------------------------------------------------
{{ s.comments.as_str() -}}
\if :{?{{ s.var }}}
\else
DO $silo_plan$ BEGIN RAISE EXCEPTION 'psql variable {{ s.var }} is not set: run with -v {{ s.var }}=''host=... dbname=...'' (the {{ s.source }} database)'; END $silo_plan$;
\endif
DO $silo_plan$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                    WHERE attrelid = pg_catalog.to_regclass({{ s.table_lit }})
                      AND attname = 'xid' AND NOT attisdropped) THEN
        RAISE EXCEPTION 'run this version of cascades/%.sql first: it creates % with its xid column, which the subscription below fills and apply() reads',
            {{ silo_lit }}, {{ s.table_lit }};
    END IF;
END
$silo_plan$;

{{ s.subscription_comments.as_str() -}}
SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_subscription AS s
                          JOIN pg_catalog.pg_database AS d ON d.oid = s.subdbid
                         WHERE d.datname = current_database()
                           AND s.subname = {{ s.subscription_lit }} || :'suffix')
            THEN format('ALTER SUBSCRIPTION %I REFRESH PUBLICATION',
                        {{ s.subscription_lit }} || :'suffix')
            ELSE format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I',
                        {{ s.subscription_lit }} || :'suffix', :'{{ s.var }}', {{ s.publication_lit }})
       END
\gexec
{% endfor -%}
{% endif %}
-- End of cascades/{{ silo }}.replication.sql.
