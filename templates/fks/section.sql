
{{ sec.heading }}
{%- for st in sec.steps %}
{{ st.comments }}
{%- if let Some(b) = st.begin -%}
{{ b }}
{% endif -%}
{{ st.sql }}{{ st.end }}
{% if st.commit -%}
COMMIT;
{% endif -%}
{% endfor -%}
