-- silo-plan: fks/drop.sql
--
{{ header -}}
--
-- Stop at the first error (also when run without -v ON_ERROR_STOP=1), and read string literals as
-- standard SQL: the names below are quoted for that.
\set ON_ERROR_STOP on
SET standard_conforming_strings = on;
{# One section per key (a heading, then each step), written by render/fks.rs. -#}
{{ sections }}
-- End of fks/drop.sql.
