
{% for line in sec.heading -%}
{{ line }}
{% endfor -%}
{% for st in sec.steps %}
{% for line in st.comments -%}
{{ line }}
{% endfor -%}
{% if let Some(b) = st.begin -%}
{{ b }}
{% endif -%}
{{ st.sql }}{{ st.end }}
{% if st.commit -%}
COMMIT;
{% endif -%}
{% endfor -%}
