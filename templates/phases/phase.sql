-- silo-plan: {{ path }}
--
{% for line in header -%}
{{ line }}
{% endfor -%}
--
-- Stop at the first error (also when run without -v ON_ERROR_STOP=1), and read string literals as
-- standard SQL: the names below are quoted for that.
\set ON_ERROR_STOP on
SET standard_conforming_strings = on;
{% for it in items %}
{% for line in it.comments -%}
{{ line }}
{% endfor -%}
{{ it.body }}
{% endfor %}
-- End of {{ path }}.
