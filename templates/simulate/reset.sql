-- silo-plan: simulate --reset (from {{ config }})
--
-- Removes the silo roles of `silo-plan simulate` and everything granted to them, in one
-- transaction: back to the plain monolith. Run it as a superuser (or a role with CREATEROLE that
-- owns the objects) in the database where the roles were used. DROP OWNED BY works per database:
-- if a role was also granted objects in another database, run this there too first.
-- Idempotent: a role that does not exist is skipped.

BEGIN;
{% for r in roles %}
-- Silo `{{ r.silo }}`.
DO $silo_plan$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = {{ r.role_literal }}) THEN
        REASSIGN OWNED BY {{ r.role }} TO CURRENT_USER;
        DROP OWNED BY {{ r.role }};
        DROP ROLE {{ r.role }};
    END IF;
END
$silo_plan$;
{% endfor %}
COMMIT;

-- End of simulate --reset.
