-- silo-plan: fks/restore.sql
--
{{ header -}}
--
-- Stop at the first error (also when run without -v ON_ERROR_STOP=1), and read string literals as
-- standard SQL: the names below are quoted for that.
\set ON_ERROR_STOP on
SET standard_conforming_strings = on;
{% if !add.is_empty() %}
-- =================================================================================================
-- Part 1: add every key NOT VALID (short locks; existing rows are not checked yet).
-- =================================================================================================
{% endif -%}
{# One section per key (a heading, then each step), written by render/fks.rs. -#}
{{ add }}
{%- if !validate.is_empty() %}
-- =================================================================================================
-- Part 2: validate every key (long scans; reads and writes go on).
-- =================================================================================================
{% endif -%}
{{ validate }}
-- End of fks/restore.sql.
