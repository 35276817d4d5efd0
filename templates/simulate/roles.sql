-- silo-plan: simulate/roles.sql (from {{ config }})
--
-- Silo mode: makes this monolith enforce the silo boundaries, so a test suite shows every code
-- path that crosses one. It creates one NOLOGIN role per silo and grants it exactly what the silo
-- will hold after the split: its own tables and the shared ones (SELECT, INSERT, UPDATE, DELETE,
-- TRUNCATE, REFERENCES), their sequences (USAGE, SELECT, UPDATE), the views that read only those
-- (SELECT), USAGE on their schemas and EXECUTE on the functions there (Postgres grants EXECUTE to
-- PUBLIC anyway: a function body is checked as the role that calls it).
--
-- Run it as the owner of the tables (or a superuser), once after loading the schema and again
-- whenever silo-plan.toml changes: one transaction revokes everything these roles held and grants
-- again, so no session ever sees a half-applied map. Undo it all with `silo-plan simulate --reset`.
--
-- How a test suite runs in silo mode:
--   1. Let the test user switch into the roles (once):  GRANT {{ example_role }} TO app_test_user;
--   2. Per connection (or per test, when a test belongs to one silo):  SET ROLE {{ example_role }};
--      (`SET LOCAL ROLE` lasts until the end of the transaction, for a test wrapped in one;
--      `RESET ROLE` goes back.) A connection without a role is the monolith: everything is allowed.
--   3. Read `ERROR: permission denied for table X` (SQLSTATE 42501) as "this code path crosses
--      into the silo of X": the statement, or a view, trigger or function it runs, touches a
--      table the role's silo will not have. `permission denied for sequence S` is the same for
--      the silo of the table S feeds, and `for view V` means V reads more than one silo.
--
-- Not simulated: foreign key checks and ON DELETE / ON UPDATE cascades run as the table owner,
-- so a cross-silo foreign key (or a cascade through one) does not fail here; `silo-plan check`
-- lists those. SECURITY DEFINER functions run as their owner and are not checked either.
-- REFRESH MATERIALIZED VIEW needs ownership and always fails under a silo role.
--
-- Crossings inside the dump itself (using these fails in silo mode):
{% for line in notes %}{{ line }}
{% endfor %}
BEGIN;

-- Roles (idempotent).
{% for r in roles -%}
DO $silo_plan$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {{ r.role_literal }}) THEN
        CREATE ROLE {{ r.role }} NOLOGIN;
    END IF;
END
$silo_plan$;
{% endfor %}
-- Revoke what an earlier run granted, in every schema of the dump (a table moved to another
-- silo since must not stay granted).
{% for s in schemas -%}
REVOKE ALL ON ALL TABLES IN SCHEMA {{ s }} FROM {{ all_roles }};
REVOKE ALL ON ALL SEQUENCES IN SCHEMA {{ s }} FROM {{ all_roles }};
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {{ s }} FROM {{ all_roles }};
REVOKE ALL ON SCHEMA {{ s }} FROM {{ all_roles }};
{% endfor -%}
{% for r in roles %}
-- ---------------------------------------------------------------------------------------------
-- Silo `{{ r.silo }}`: role {{ r.role }}
{% for line in r.summary %}{{ line }}
{% endfor -%}
-- ---------------------------------------------------------------------------------------------
{% if !r.schemas.is_empty() -%}
GRANT USAGE ON SCHEMA {% for s in r.schemas %}{{ s }}{% if !loop.last %}, {% endif %}{% endfor %} TO {{ r.role }};
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {% for s in r.schemas %}{{ s }}{% if !loop.last %}, {% endif %}{% endfor %} TO {{ r.role }};
{% endif -%}
{% if !r.tables.is_empty() -%}
GRANT {{ privileges }} ON TABLE
{% for t in r.tables %}    {{ t }}
{% endfor %}  TO {{ r.role }};
{% endif -%}
{% if !r.sequences.is_empty() -%}
GRANT USAGE, SELECT, UPDATE ON SEQUENCE
{% for s in r.sequences %}    {{ s }}
{% endfor %}  TO {{ r.role }};
{% endif -%}
{% if !r.views.is_empty() -%}
GRANT SELECT ON TABLE
{% for v in r.views %}    {{ v }}
{% endfor %}  TO {{ r.role }};
{% endif -%}
{% endfor %}
COMMIT;

-- End of simulate/roles.sql.
