//! plan.md's sections on a multi-instance silo's id space and on the fan-out of tombstones to
//! its instances ([`crate::idspace`], [`crate::plan::fanout`]).

use super::cell;
use crate::plan::Plan;

/// plan.md's *ID spaces* section: per silo its scheme, files, and what each file does.
pub(super) fn id_spaces_md(plan: &Plan) -> String {
    use crate::config::IdSpace;
    use std::fmt::Write;
    let mut s = String::new();
    for p in &plan.id_spaces {
        let files: Vec<String> = p.files().iter().map(|f| format!("`{f}`")).collect();
        let _ = write!(
            s,
            "\n\n## ID space of silo {}: {}\n\n",
            cell(&p.silo),
            p.scheme.as_str()
        );
        match p.scheme {
            IdSpace::Ranges => {
                let _ = write!(
                    s,
                    "Each instance's sequences hand out ids from their own slice of the column's \
                     type ({}, one file per instance database). The origin instance ({}) holds \
                     today's rows: its sequences go on, bounded by the end of its range; the \
                     others restart at the start of theirs. Each file first checks that no \
                     existing id breaks the scheme: it refuses, naming the sequence and the \
                     maximum, when an id or the sequence of the origin instance is past its \
                     range's end, or when another instance already holds an id at or above its \
                     range's start. A sequence already in its range is left as it is.\n\n\
                     | sequence | columns | type |",
                    files.join(", "),
                    cell(&p.origin_instance),
                );
                for i in &p.instances {
                    let _ = write!(s, " {} |", cell(i));
                }
                s.push_str("\n|---|---|---|");
                for _ in &p.instances {
                    s.push_str("---:|");
                }
                for q in &p.sequences {
                    let cols: Vec<String> = q
                        .columns
                        .iter()
                        .map(|c| format!("{}.{}", c.table, c.column))
                        .collect();
                    let _ = write!(
                        s,
                        "\n| {}{} | {} | {} |",
                        cell(&q.sequence.to_string()),
                        if q.identity { " (identity)" } else { "" },
                        cell(&cols.join(", ")),
                        q.data_type
                    );
                    for r in &q.ranges {
                        let _ = write!(s, " {} to {} |", r.start, r.end);
                    }
                }
            }
            IdSpace::Snowflake => {
                let _ = write!(
                    s,
                    "Ids carry the instance ({}, one file per instance database): \
                     `silo_plan.{}()` returns milliseconds since 2024-01-01 (41 bits), the \
                     instance's place in `instances` (10 bits) and a sequence (12 bits: 4,096 ids \
                     per millisecond), and becomes the default of each column below (an identity \
                     is dropped first). Each file first checks that no existing id breaks the \
                     scheme: it refuses a column that is not bigint, and an id at or above the \
                     first snowflake id.\n\n| column | sequence today | type |\n|---|---|---|",
                    files.join(", "),
                    cell(&crate::idspace::snowflake_function(&p.silo)),
                );
                for q in &p.sequences {
                    for c in &q.columns {
                        let _ = write!(
                            s,
                            "\n| {} | {} | {} |",
                            cell(&format!("{}.{}", c.table, c.column)),
                            cell(&q.sequence.to_string()),
                            q.data_type
                        );
                    }
                }
            }
            IdSpace::InstanceColumn => {
                let _ = write!(
                    s,
                    "Ids stay unique per instance only; each reference into the silo from a \
                     single-instance silo gets a column beside it naming the instance that holds \
                     the row ({}): added without a default, existing references backfilled to \
                     the origin instance ({}), a CHECK (added NOT VALID, then validated) that a \
                     set reference names one of {}, and an index built concurrently. Deploy the \
                     application change that writes the column first.\n\n\
                     | table | reference | → | instance column |\n|---|---|---|---|",
                    files.join(", "),
                    cell(&p.origin_instance),
                    cell(&p.instances.join(", ")),
                );
                if p.references.is_empty() {
                    s.push_str("\n| (no reference into the silo) | | | |");
                }
                for r in &p.references {
                    let _ = write!(
                        s,
                        "\n| {} | {} ({}) | {} | {} |",
                        cell(&r.table.to_string()),
                        cell(&r.columns.join(", ")),
                        cell(&r.constraint),
                        cell(&r.references.to_string()),
                        cell(&r.instance_column)
                    );
                }
            }
        }
    }
    s
}

/// plan.md's *Tombstones fanned out to every instance* section.
pub(super) fn fanouts_md(plan: &Plan) -> String {
    use std::fmt::Write;
    if plan.fanouts.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "\n\n## Tombstones fanned out to every instance\n\n\
         A row deleted in a single-instance silo must be deleted (or nulled) in every instance of \
         a multi-instance silo that references it: each instance's database installs its \
         silo's `cascades/<silo>.sql` and applies what reaches its inbox. The producer's \
         database keeps one watermark per instance (`silo_plan.tombstone_watermark`); the pump \
         reads each instance's next batch with `silo_plan.fanout_batch`, inserts it into that \
         instance's `silo_plan.inbox` and moves its watermark with `silo_plan.fanout_ack` \
         (`silo_plan.tombstone_fanout` shows what each instance has not received).\n\n\
         | silo | file | instances |\n|---|---|---|",
    );
    for f in &plan.fanouts {
        let to: Vec<String> = f
            .consumers
            .iter()
            .map(|c| format!("{}: {}", c.silo, c.instances.join(", ")))
            .collect();
        let _ = write!(
            s,
            "\n| {} | `residency/fanout/{}.sql` | {} |",
            cell(&f.silo),
            f.silo,
            cell(&to.join("; "))
        );
    }
    s
}
