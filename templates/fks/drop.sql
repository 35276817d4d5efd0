-- silo-plan: fks/drop.sql
--
{% for line in header -%}
{{ line }}
{% endfor -%}
--
-- Stop at the first error (also when run without -v ON_ERROR_STOP=1), and read string literals as
-- standard SQL: the names below are quoted for that.
\set ON_ERROR_STOP on
SET standard_conforming_strings = on;
{% for sec in sections -%}
{% include "fks/section.sql" -%}
{% endfor %}
-- End of fks/drop.sql.
