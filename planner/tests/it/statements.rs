//! Every dump statement is classified with the object it belongs to, so per-silo DDL can be
//! rebuilt from the dump's own text. Checked on the example and on every real dump.

use std::path::Path;

use silo_plan::catalog::StmtKind;
use silo_plan::dump::{read, ReadOptions};
use silo_plan::source::SourceFile;

fn check(path: &Path) -> (usize, Vec<String>) {
    let src = SourceFile::load(path).expect("dump readable");
    let cat = read(std::slice::from_ref(&src), &ReadOptions::default());
    let mut missing = Vec::new();
    for st in &cat.statements {
        let needs_subject = matches!(
            st.kind,
            StmtKind::Table
                | StmtKind::AlterTable
                | StmtKind::ForeignKey
                | StmtKind::View
                | StmtKind::Index
                | StmtKind::Trigger
                | StmtKind::Policy
                | StmtKind::Sequence
                | StmtKind::Function
                | StmtKind::Type
        );
        if needs_subject && st.subject.is_none() {
            missing.push(format!("{}:{} {:?}", src.path, st.span.line, st.kind));
        }
    }
    let fk_statements = cat.statements.iter().filter(|s| s.fk.is_some()).count();
    assert_eq!(
        cat.statements.len(),
        cat.stats.statements,
        "{}: one entry per statement",
        src.path
    );
    (fk_statements, missing)
}

#[test]
fn example_statements_have_subjects() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/saas/schema.sql");
    let (fks, missing) = check(&p);
    assert_eq!(fks, 86, "one statement per foreign key");
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn corpus_statements_have_subjects() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/real");
    let mut all = Vec::new();
    let mut files = 0;
    for e in std::fs::read_dir(&dir).expect("../shared/schemas/real is beside the repository") {
        let p = e.expect("entry").path();
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if !name.ends_with(".sql") || name.contains("mysql") {
            continue;
        }
        files += 1;
        all.extend(check(&p).1);
    }
    assert_eq!(files, 12);
    assert!(all.is_empty(), "statements without a subject: {all:#?}");
}
