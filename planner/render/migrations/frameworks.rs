//! The migrations of frameworks whose migrations are code: Django (`RunSQL` with
//! `reverse_sql`, `atomic = False`), Rails (ActiveRecord classes, `up`/`down`,
//! `disable_ddl_transaction!`) and Alembic (`op` calls, `autocommit_block`).
//!
//! Every statement is its own call ([`super::Script::calls`]), so no driver is asked to run two
//! in one query (a `CONCURRENTLY` statement would then run in the query's implicit
//! transaction). The SQL is written as a string literal of the language, with every character
//! that could end it or be read as an escape or interpolation escaped.

use super::{header, Database, Migration, Script};

/// `s` as a Python string literal: `"""`-quoted (line breaks kept), `\` and `"` escaped, and
/// control or non-ASCII characters as `\u` escapes.
fn py_str(s: &str) -> String {
    let mut out = String::from("\"\"\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push('\n'),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push_str("\"\"\"");
    out
}

/// `s` as a Ruby double-quoted string: `\`, `"` and `#` escaped (no interpolation), control
/// and non-ASCII characters as `\u{...}`.
fn rb_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '#' => out.push_str("\\#"),
            '\n' => out.push('\n'),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// `SiloPlanOriginBreakForeignKeys` of `silo_plan_origin_break_foreign_keys`.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn no_down_message(m: &Migration) -> String {
    format!("silo-plan: {} has no down: {}", m.name, m.no_down)
}

/// Django: a package `silo_plan_<db>/` (an app: add it to `INSTALLED_APPS` and route it to
/// that database) whose `migrations/` hold one `RunSQL` migration each, chained.
pub fn django(db: &Database) -> Vec<(String, String)> {
    let app = format!("silo_plan_{}", db.key);
    let mut out = vec![
        (
            format!("{app}/__init__.py"),
            format!(
                "\"\"\"silo-plan's migrations for the {} database ({}): add {app:?} to \
                 INSTALLED_APPS and let a database router send it there.\"\"\"\n",
                db.name, db.env
            ),
        ),
        (format!("{app}/migrations/__init__.py"), String::new()),
    ];
    let list = |s: &Script| {
        let mut t = String::from("[\n");
        for c in s.calls() {
            t.push_str("                ");
            t.push_str(&py_str(&c));
            t.push_str(",\n");
        }
        t.push_str("            ]");
        t
    };
    let mut previous: Option<String> = None;
    for (i, m) in db.migrations.iter().enumerate() {
        let module = format!("{:04}_{}", i + 1, m.name);
        let mut f = header(db, m, "#");
        f.push_str(
            "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n",
        );
        if !m.up.transactional {
            f.push_str(
                "    # Not in one transaction: each statement runs on its own (autocommit), \
                 explicit\n    # BEGIN/COMMIT pairs below are transactions of their own.\n    \
                 atomic = False\n\n",
            );
        }
        match &previous {
            Some(p) => f.push_str(&format!("    dependencies = [({app:?}, {p:?})]\n\n")),
            None => f.push_str("    dependencies: list[tuple[str, str]] = []\n\n"),
        }
        f.push_str("    operations = [\n        migrations.RunSQL(\n            sql=");
        f.push_str(&list(&m.up));
        f.push_str(",\n            reverse_sql=");
        match &m.down {
            Some(d) => f.push_str(&list(d)),
            // None: Django refuses to unapply it (IrreversibleError).
            None => f.push_str(&format!(
                "None,  # {}",
                no_down_message(m).replace('\n', " ")
            )),
        }
        f.push_str(",\n        ),\n    ]\n");
        out.push((format!("{app}/migrations/{module}.py"), f));
        previous = Some(module);
    }
    out
}

/// Rails: `NNN_silo_plan_<db>_<name>.rb`, one ActiveRecord migration class each (put them in
/// the database's `migrations_paths`).
pub fn rails(db: &Database) -> Vec<(String, String)> {
    let body = |s: &Script| {
        let mut t = String::new();
        for c in s.calls() {
            t.push_str("    execute ");
            t.push_str(&rb_str(&c));
            t.push('\n');
        }
        t
    };
    db.migrations
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let name = format!("silo_plan_{}_{}", db.key, m.name);
            let mut f = header(db, m, "#");
            f.push_str(&format!(
                "class {} < ActiveRecord::Migration[6.1]\n",
                camel(&name)
            ));
            if !m.up.transactional {
                f.push_str(
                    "  # Not in one transaction: each statement runs on its own; explicit \
                     BEGIN/COMMIT\n  # pairs below are transactions of their own.\n  \
                     disable_ddl_transaction!\n\n",
                );
            }
            f.push_str("  def up\n");
            f.push_str(&body(&m.up));
            f.push_str("  end\n\n  def down\n");
            match &m.down {
                Some(d) => f.push_str(&body(d)),
                None => f.push_str(&format!(
                    "    raise ActiveRecord::IrreversibleMigration, {}\n",
                    rb_str(&no_down_message(m))
                )),
            }
            f.push_str("  end\nend\n");
            (format!("{:03}_{name}.rb", i + 1), f)
        })
        .collect()
}

/// Alembic: `versions/NNN_name.py`, revisions `silo_plan_<db>_NNN` chained, the first one on
/// branch `silo_plan_<db>`. Statements go to the driver as they are
/// (`exec_driver_sql` with `no_parameters`: no bind-parameter or `%` parsing).
pub fn alembic(db: &Database) -> Vec<(String, String)> {
    let body = |s: &Script| {
        let mut t = String::new();
        let indent = if s.transactional { "    " } else { "        " };
        if !s.transactional {
            t.push_str(
                "    # Not in the migration's transaction: each statement on its own (autocommit);\n    \
                 # explicit BEGIN/COMMIT pairs below are transactions of their own.\n    \
                 with op.get_context().autocommit_block():\n",
            );
        }
        t.push_str(indent);
        t.push_str("_run(\n");
        for c in s.calls() {
            t.push_str(indent);
            t.push_str("    ");
            t.push_str(&py_str(&c));
            t.push_str(",\n");
        }
        t.push_str(indent);
        t.push_str(")\n");
        t
    };
    let mut out = Vec::new();
    for (i, m) in db.migrations.iter().enumerate() {
        let rev = format!("silo_plan_{}_{:03}", db.key, i + 1);
        let down_rev = if i == 0 {
            "None".to_string()
        } else {
            format!("{:?}", format!("silo_plan_{}_{:03}", db.key, i))
        };
        let branch = if i == 0 {
            format!("({:?},)", format!("silo_plan_{}", db.key))
        } else {
            "None".to_string()
        };
        let mut f = header(db, m, "#");
        f.push_str(&format!(
            "from alembic import op\n\nrevision = {rev:?}\ndown_revision = {down_rev}\n\
             branch_labels = {branch}\ndepends_on = None\n\n\n\
             def _run(*statements: str) -> None:\n    \
             bind = op.get_bind().execution_options(no_parameters=True)\n    \
             for s in statements:\n        bind.exec_driver_sql(s)\n\n\n\
             def upgrade() -> None:\n"
        ));
        f.push_str(&body(&m.up));
        f.push_str("\n\ndef downgrade() -> None:\n");
        match &m.down {
            Some(d) => f.push_str(&body(d)),
            None => f.push_str(&format!(
                "    raise NotImplementedError({})\n",
                py_str(&no_down_message(m))
            )),
        }
        out.push((format!("versions/{:03}_{}.py", i + 1, m.name), f));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_what_would_end_or_interpolate_them() {
        assert_eq!(
            py_str("a\"\"\"b\\c\u{202e}"),
            "\"\"\"a\\\"\\\"\\\"b\\\\c\\u202e\"\"\""
        );
        assert_eq!(rb_str("#{x} \"q\" \\"), "\"\\#{x} \\\"q\\\" \\\\\"");
        assert_eq!(
            camel("silo_plan_origin_break_foreign_keys"),
            "SiloPlanOriginBreakForeignKeys"
        );
    }
}
