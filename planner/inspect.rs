//! The `inspect` report: what was read from a dump, as text or JSON.

use std::fmt::Write;

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::Catalog;

/// Text report: per-file statement counts, the framework that wrote the dump
/// ([`crate::framework::detect`]), objects per kind, then every unparsed statement
/// as a warning and every foreign key Postgres would reject as an error, with its `file:line`.
pub fn text(cat: &Catalog) -> String {
    let mut out = String::new();
    let s = &cat.stats;
    let files = cat.files.join(", ");
    let _ = writeln!(out, "read {files}");
    let _ = writeln!(
        out,
        "  {} statements: {} by sqlparser, {} by recognizers, {} without schema facts, {} unparsed; {} psql lines",
        s.statements, s.parsed_sqlparser, s.parsed_recognizer, s.ignored, s.unparsed, s.psql_lines
    );
    let fw = crate::framework::detect(cat);
    if fw.framework == crate::framework::Framework::Generic {
        let _ = writeln!(
            out,
            "  framework: generic (no framework's bookkeeping table)"
        );
    } else {
        let _ = writeln!(
            out,
            "  framework: {} ({})",
            fw.framework.as_str(),
            fw.evidence
        );
    }
    let _ = writeln!(out);
    for (kind, n) in cat.counts() {
        let _ = writeln!(out, "  {kind:<14} {n:>6}");
    }
    if !cat.unparsed.is_empty() || !cat.rejected_foreign_keys.is_empty() {
        let _ = writeln!(out);
    }
    for u in &cat.unparsed {
        let file = cat
            .files
            .get(u.span.file as usize)
            .map_or("?", |f| f.as_str());
        let object = u
            .object
            .as_deref()
            .map(|o| format!(" ({o})"))
            .unwrap_or_default();
        let _ = writeln!(out, "warning[unparsed]: {}{object}: {}", u.head, u.reason);
        let _ = writeln!(out, "  --> {file}:{}", u.span.line);
    }
    // Keys Postgres rejects were read, and are no part of the schema (`check`: SP015, SP016).
    for r in &cat.rejected_foreign_keys {
        let fk = &r.foreign_key;
        let file = cat
            .files
            .get(fk.span.file as usize)
            .map_or("?", |f| f.as_str());
        let _ = writeln!(
            out,
            "error[rejected-fk]: foreign key {} on {}: {}",
            fk.name,
            fk.table,
            crate::check::rejected_text(r)
        );
        let _ = writeln!(out, "  --> {file}:{}", fk.span.line);
    }
    out
}

/// What `silo-plan inspect --format json` prints: the framework that wrote the dump, as the
/// text report names it, then everything read from the dumps (the catalog).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Inspection<'a> {
    /// The framework that wrote the dump, told by its bookkeeping tables: `generic`, with empty
    /// evidence, when no framework's bookkeeping table is there.
    pub framework: crate::plan::FrameworkSeen,
    /// Everything read from the dumps.
    #[serde(flatten)]
    pub catalog: &'a Catalog,
}

/// [`Inspection`] of `cat` as pretty JSON (shape: `schemas/catalog.schema.json`).
pub fn json(cat: &Catalog) -> String {
    let fw = crate::framework::detect(cat);
    let doc = Inspection {
        framework: crate::plan::FrameworkSeen {
            name: fw.framework,
            evidence: fw.evidence,
        },
        catalog: cat,
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
