//! The layouts of plain SQL files: `sql`, dbmate, golang-migrate, goose, Flyway, Atlas.

use base64::Engine as _;
use sha2::Digest as _;

use super::{header, Database, Migration, Script};
use crate::ident::literal;

/// A statement that fails, naming why the migration has no down (tools that run a down file
/// must not report a revert that did nothing).
pub(super) fn no_down_sql(m: &Migration) -> String {
    format!(
        "DO $silo_plan$\nBEGIN\n    RAISE EXCEPTION '%', {};\nEND\n$silo_plan$;\n",
        literal(&format!("silo-plan: {} has no down: {}", m.name, m.no_down))
    )
}

/// `sql`: `NNN_name.up.sql` and `NNN_name.down.sql`, each runnable as is by any client
/// (transactional ones in their own `BEGIN`/`COMMIT`).
pub fn sql(db: &Database) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, m) in db.migrations.iter().enumerate() {
        let stem = format!("{:03}_{}", i + 1, m.name);
        out.push((
            format!("{stem}.up.sql"),
            format!("{}\n{}", header(db, m, "--"), m.up.text(true)),
        ));
        if let Some(d) = &m.down {
            out.push((
                format!("{stem}.down.sql"),
                format!("-- silo-plan: reverts {stem}.up.sql.\n\n{}", d.text(true)),
            ));
        }
    }
    out
}

/// dbmate: `NNN_name.sql` with `-- migrate:up` and `-- migrate:down`, `transaction:false` where
/// the script is not transactional (dbmate sends a section as one query).
pub fn dbmate(db: &Database) -> Vec<(String, String)> {
    let opt = |s: &Script| {
        if s.transactional {
            ""
        } else {
            " transaction:false"
        }
    };
    db.migrations
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let down = match &m.down {
                Some(d) => format!("-- migrate:down{}\n{}", opt(d), d.text(false)),
                None => format!("-- migrate:down\n{}", no_down_sql(m)),
            };
            (
                format!("{:03}_{}.sql", i + 1, m.name),
                format!(
                    "{}\n-- migrate:up{}\n{}\n{down}",
                    header(db, m, "--"),
                    opt(&m.up),
                    m.up.text(false)
                ),
            )
        })
        .collect()
}

/// golang-migrate: `NNNNNN_name.up.sql` / `.down.sql`. The tool opens no transaction: a
/// transactional script carries its own `BEGIN`/`COMMIT`; a `CONCURRENTLY` statement is the
/// only statement of its file (a multi-statement file runs as one implicit transaction).
pub fn golang_migrate(db: &Database) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, m) in db.migrations.iter().enumerate() {
        let stem = format!("{:06}_{}", i + 1, m.name);
        out.push((
            format!("{stem}.up.sql"),
            format!("{}\n{}", header(db, m, "--"), m.up.text(true)),
        ));
        out.push((
            format!("{stem}.down.sql"),
            match &m.down {
                Some(d) => d.text(true),
                None => no_down_sql(m),
            },
        ));
    }
    out
}

/// goose: `NNNNN_name.sql`, `-- +goose NO TRANSACTION` for non-transactional migrations, every
/// statement between `StatementBegin`/`StatementEnd` (function bodies hold semicolons).
pub fn goose(db: &Database) -> Vec<(String, String)> {
    fn section(s: &Script) -> String {
        let mut out = String::new();
        // One statement per Exec: goose's connection pool may run two on two connections,
        // so an explicit transaction is one statement of its own (BEGIN to COMMIT).
        for c in s.chunks() {
            out.push_str("-- +goose StatementBegin\n");
            out.push_str(&c);
            out.push_str("-- +goose StatementEnd\n");
        }
        out
    }
    db.migrations
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut f = header(db, m, "--");
            if !m.up.transactional {
                f.push_str("-- +goose NO TRANSACTION\n");
            }
            f.push_str("\n-- +goose Up\n");
            f.push_str(&section(&m.up));
            f.push_str("\n-- +goose Down\n");
            match &m.down {
                Some(d) => f.push_str(&section(d)),
                None => {
                    f.push_str("-- +goose StatementBegin\n");
                    f.push_str(&no_down_sql(m));
                    f.push_str("-- +goose StatementEnd\n");
                }
            }
            (format!("{:05}_{}.sql", i + 1, m.name), f)
        })
        .collect()
}

/// Flyway: `V<n>__name.sql`, the undo `U<n>__name.sql` (a Flyway Teams feature; Community
/// ignores it), and `V<n>__name.sql.conf` with `executeInTransaction=false` for
/// non-transactional ones.
pub fn flyway(db: &Database) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, m) in db.migrations.iter().enumerate() {
        let n = i + 1;
        let v = format!("V{n}__{}.sql", m.name);
        out.push((
            v.clone(),
            format!("{}\n{}", header(db, m, "--"), m.up.text(false)),
        ));
        if !m.up.transactional {
            out.push((format!("{v}.conf"), "executeInTransaction=false\n".into()));
        }
        if let Some(d) = &m.down {
            let u = format!("U{n}__{}.sql", m.name);
            out.push((
                u.clone(),
                format!("-- silo-plan: undoes {v}.\n\n{}", d.text(false)),
            ));
            if !d.transactional {
                out.push((format!("{u}.conf"), "executeInTransaction=false\n".into()));
            }
        }
    }
    out
}

/// Atlas: `NNN_name.sql` (up only: Atlas plans a down itself), `-- atlas:txmode none` first in
/// non-transactional files, and `atlas.sum` as Atlas computes it.
pub fn atlas(db: &Database) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = db
        .migrations
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut f = String::new();
            if !m.up.transactional {
                // A directive of the file's first lines, apart from the rest.
                f.push_str("-- atlas:txmode none\n\n");
            }
            f.push_str(&header(db, m, "--"));
            f.push('\n');
            f.push_str(&m.up.text(false));
            (format!("{:03}_{}.sql", i + 1, m.name), f)
        })
        .collect();
    out.sort();
    let sum = atlas_sum(&out);
    out.push(("atlas.sum".into(), sum));
    out
}

/// `atlas.sum` of the `.sql` files (name, contents), sorted by name, as Atlas's
/// `migrate.NewHashFile` computes it: one SHA-256 over each file's name then contents in turn,
/// each file's line holding the base64 of the running hash after it; the first line the base64
/// SHA-256 over every (name, that hash) pair.
pub fn atlas_sum(files: &[(String, String)]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut running = sha2::Sha256::new();
    let mut lines = Vec::new();
    for (name, contents) in files.iter().filter(|(n, _)| n.ends_with(".sql")) {
        running.update(name.as_bytes());
        running.update(contents.as_bytes());
        lines.push((name.clone(), b64.encode(running.clone().finalize())));
    }
    let mut total = sha2::Sha256::new();
    for (n, h) in &lines {
        total.update(n.as_bytes());
        total.update(h.as_bytes());
    }
    let mut out = format!("h1:{}\n", b64.encode(total.finalize()));
    for (n, h) in &lines {
        out.push_str(&format!("{n} h1:{h}\n"));
    }
    out
}
