# silo-plan export-script django: writes the references of every Django model as a silo-plan
# references file (format: schemas/references.schema.json).
#
# Run it inside the project, where the models load:
#
#     python manage.py shell < export-django.py
#
# It writes silo-plan-references.json in the working directory (another path:
# SILO_PLAN_REFERENCES=path). Then add `references = ["silo-plan-references.json"]` to
# silo-plan.toml. It reads model metadata only: no query runs, nothing is written but the file.
#
# What it exports, for every concrete ForeignKey and OneToOneField (also the automatic ones of
# many-to-many tables and multi-table inheritance), with or without db_constraint: the child's
# table and columns, the parent's table and columns, and what the ORM does on delete (Django
# creates every foreign key as NO ACTION DEFERRABLE INITIALLY DEFERRED and deletes in Python,
# so the dump never says). Generic foreign keys have no single parent: they are listed as
# unresolved.
import inspect
import json
import os
import sys

import django
from django.apps import apps

# on_delete → silo-plan's words. SET(...) and custom callables have no equivalent: exported
# without on_delete (the reason says which), so silo-plan asks for a decision.
ACTIONS = {
    "CASCADE": "cascade",
    "SET_NULL": "set-null",
    "SET_DEFAULT": "set-default",
    "PROTECT": "restrict",
    "RESTRICT": "restrict",
    "DO_NOTHING": "no-action",
}


def _source(model):
    try:
        path = inspect.getsourcefile(model) or ""
    except TypeError:
        return ""
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def _origin(model, field_name):
    where = _source(model)
    name = f"{model._meta.app_label}.{model.__name__}.{field_name}"
    return f"{where}: {name}" if where else name


def _export():
    references = []
    unresolved = []
    seen = set()
    models = sorted(
        apps.get_models(include_auto_created=True), key=lambda m: m._meta.label
    )
    for model in models:
        meta = model._meta
        if meta.proxy:
            continue  # a proxy shares its concrete model's table and fields
        for field in meta.get_fields(include_hidden=True):
            if field.is_relation and not field.concrete and hasattr(field, "fk_field"):
                # GenericForeignKey: (content_type, object_id) points at any model.
                ct = meta.get_field(field.ct_field)
                fk = meta.get_field(field.fk_field)
                unresolved.append(
                    {
                        "table": meta.db_table,
                        "columns": [fk.column, ct.column],
                        "origin": _origin(model, field.name),
                        "reason": "generic foreign key",
                    }
                )
                continue
            if not (
                field.concrete
                and field.is_relation
                and (field.many_to_one or field.one_to_one)
                and field.related_model is not None
            ):
                continue
            if field.model is not model:
                continue  # inherited from a concrete parent: exported with the parent's table
            parent = field.related_model._meta
            columns = [f.column for f in field.local_related_fields]
            key = (meta.db_table, tuple(columns))
            if key in seen:
                continue
            seen.add(key)
            ref = {
                "table": meta.db_table,
                "columns": columns,
                "referenced_table": parent.db_table,
                "referenced_columns": [f.column for f in field.foreign_related_fields],
                "origin": _origin(model, field.name),
            }
            action = getattr(field.remote_field.on_delete, "__name__", "")
            if action in ACTIONS:
                ref["on_delete"] = ACTIONS[action]
            else:
                ref["reason"] = f"on_delete={action or '?'} has no silo-plan equivalent"
            if not getattr(field, "db_constraint", True):
                note = "db_constraint=False: no constraint in the database"
                ref["reason"] = f"{ref['reason']}; {note}" if "reason" in ref else note
            references.append(ref)
    references.sort(key=lambda r: (r["table"], r["columns"]))
    unresolved.sort(key=lambda r: (r["table"], r["columns"]))
    return {
        "version": 1,
        "source": f"silo-plan export-script django (Django {django.get_version()})",
        "references": references,
        "unresolved": unresolved,
    }


def _main():
    out = os.environ.get("SILO_PLAN_REFERENCES", "silo-plan-references.json")
    data = _export()
    with open(out, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    print(
        f"silo-plan: wrote {len(data['references'])} references"
        f" and {len(data['unresolved'])} unresolved to {out}",
        file=sys.stderr,
    )


_main()
