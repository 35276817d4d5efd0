//! Sqitch: `sqitch.conf`, `sqitch.plan`, and per change `deploy/`, `revert/`, `verify/`.
//!
//! Sqitch runs each script with psql and opens no transaction itself: a transactional script
//! carries its own `BEGIN`/`COMMIT` (as Sqitch's own templates do), a non-transactional one
//! only its blocks' explicit transactions, a `CONCURRENTLY` statement none.

use super::sqlfiles::no_down_sql;
use super::{header, Database};

/// The plan's fixed timestamp and planner: the files are the same on every run.
const PLANNED: &str = "2000-01-01T00:00:00Z silo-plan <silo-plan@example.invalid>";

/// Every file of one database's Sqitch project.
pub fn sqitch(db: &Database) -> Vec<(String, String)> {
    let mut out = Vec::new();
    out.push((
        "sqitch.conf".to_string(),
        "[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = .\n".to_string(),
    ));
    let mut plan = format!("%syntax-version=1.0.0\n%project=silo_plan_{}\n\n", db.key);
    for m in &db.migrations {
        // A note is one line, without `#`'s special meaning mattering (it runs to the end).
        let note: String = m
            .what
            .split(". ")
            .next()
            .unwrap_or("")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        plan.push_str(&format!(
            "{} {PLANNED} # {}\n",
            m.name,
            note.trim_end_matches('.')
        ));
        out.push((
            format!("deploy/{}.sql", m.name),
            format!("{}\n{}", header(db, m, "--"), m.up.text(true)),
        ));
        out.push((
            format!("revert/{}.sql", m.name),
            match &m.down {
                Some(d) => format!("-- Revert {}.\n\n{}", m.name, d.text(true)),
                None => no_down_sql(m),
            },
        ));
        out.push((
            format!("verify/{}.sql", m.name),
            format!(
                "-- Verify {}: fails unless it is deployed.\n\nBEGIN;\n{};\nROLLBACK;\n",
                m.name, m.verify
            ),
        ));
    }
    out.push(("sqitch.plan".into(), plan));
    out
}
