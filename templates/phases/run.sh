#!/usr/bin/env bash
# silo-plan: phases/run.sh
#
# Runs one phase of the physical split with psql, every file of the phase in order, each against
# the database it names, and stops at the first error:
#
#   phases/run.sh 05-replicate
#
# Phases, in order (phases/runbook.md says what each does, how to verify it and how to roll back):
{% for p in phases -%}
#   {{ p.id }}{% if p.point_of_no_return %}   (POINT OF NO RETURN){% endif %}
{% endfor -%}
#
# Scripted rollbacks (phases/runbook.md, in the section of the phase they undo):
{% for p in rollbacks -%}
#   {{ p.id }}
{% endfor -%}
{% if !instances.is_empty() -%}
#
# New instances of a silo that runs as several (phases/runbook.md, "New instances"): each makes
# one new, empty database ready, against ${{ instance_env }}:
#
{% for i in instances -%}
#   phases/run.sh instance {{ i.silo }} {{ i.instance }}
{% endfor -%}
{% endif -%}
#
# Environment:
#   ORIGIN_URL        today's database (silo {{ origin }}), as psql reaches it
{% for t in targets -%}
#   {{ t.env }}{{ t.pad }} the new database of silo {{ t.silo }}
{% endfor -%}
#   ORIGIN_CONNINFO, <SILO>_CONNINFO
#                     how the database *servers* reach each other for replication (default: the
#                     URLs above)
#   SYNC_TIMEOUT      seconds 05-replicate waits for the initial copy (default 3600)
#   CATCHUP_TIMEOUT   seconds 06-cutover (and its rollback) waits for the subscriber to reach the
#                     fence (default 600)
#   SILO_PLAN_STATE   directory for the files 06-cutover (and its rollback) hands from one
#                     database to the other
#                     (default: phases/state next to this script)
#   CONFIRM=drop-moved-tables   required by {% for p in phases %}{% if p.point_of_no_return %}{{ p.id }}{% endif %}{% endfor %}, the point of no return
{% if !instances.is_empty() -%}
#   {{ instance_env }}      the new instance's database, for `run.sh instance SILO INSTANCE` only
{% endif -%}
#   PSQL              the psql binary (default: psql on PATH)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
psql_bin="${PSQL:-psql}"
state="${SILO_PLAN_STATE:-$here/state}"
phase="${1:-}"

usage() {
    echo "usage: phases/run.sh PHASE" >&2
    echo "phases:{% for p in phases %} {{ p.id }}{% endfor %}" >&2
    echo "rollbacks:{% for p in rollbacks %} {{ p.id }}{% endfor %}" >&2
{%- if !instances.is_empty() %}
    echo "usage: phases/run.sh instance SILO INSTANCE   (with {{ instance_env }} set)" >&2
    echo "new instances:{% for i in instances %} {{ i.silo }} {{ i.instance }};{% endfor %}" >&2
{%- endif %}
}

# run URL_VAR FILE: runs FILE with psql against the database in $URL_VAR.
run() {
    local url_var="$1" file="$2"
    if [ -z "${!url_var:-}" ]; then
        echo "run.sh: $url_var is not set (the database $file runs on)" >&2
        exit 2
    fi
    local args=(-X -v ON_ERROR_STOP=1 -v "state_dir=$state"
        -v "sync_timeout=${SYNC_TIMEOUT:-3600}" -v "catchup_timeout=${CATCHUP_TIMEOUT:-600}")
    if [ -n "${ORIGIN_URL:-}" ]; then
        args+=(-v "origin_conninfo=${ORIGIN_CONNINFO:-$ORIGIN_URL}")
    fi
{%- for t in targets %}
    if [ -n "${ {{- t.env -}} :-}" ]; then
        args+=(-v "{{ t.var }}=${ {{- t.conninfo_env }}:-${{ t.env }}}")
    fi
{%- endfor %}
    if [ "${CONFIRM:-}" = "drop-moved-tables" ]; then
        args+=(-v confirm=yes)
    fi
    echo "==> $phase: $file on ${url_var%_URL}" >&2
    "$psql_bin" "${args[@]}" -f "$here/$file" "${!url_var}"
}

mkdir -p "$state"
case "$phase" in
{%- for p in phases %}
    {{ p.id }})
{%- for f in p.files %}
        run {{ f.env }} {{ f.name }}
{%- endfor %}
        ;;
{%- endfor %}
{%- for p in rollbacks %}
    {{ p.id }})
{%- for f in p.files %}
        run {{ f.env }} {{ f.name }}
{%- endfor %}
        ;;
{%- endfor %}
{%- if !instances.is_empty() %}
    instance)
        phase="instance ${2:-} ${3:-}"
        case "${2:-}/${3:-}" in
{%- for i in instances %}
            {{ i.silo }}/{{ i.instance }})
                run {{ instance_env }} {{ i.name }}
                ;;
{%- endfor %}
            *)
                echo "run.sh: no new instance '${2:-}' '${3:-}'" >&2
                usage
                exit 2
                ;;
        esac
        ;;
{%- endif %}
    -h | --help)
        usage
        ;;
    *)
        echo "run.sh: unknown phase '$phase'" >&2
        usage
        exit 2
        ;;
esac
echo "==> $phase: done" >&2
