//! Lowering sqlparser ASTs to catalog facts: tables, constraints, indexes and views.
//!
//! The only code that turns a dump statement's AST into catalog facts. sqlparser's AST is read
//! in two other places: `dump/read.rs` parses each statement and dispatches on its variant
//! before handing it here, and `queries/analysis.rs` walks the ASTs of query-log statements,
//! which never reach the catalog. Each function takes one parsed statement and the name
//! resolver of the statement's position in the dump, and adds facts to the catalog. The AST is
//! dropped right after, so memory stays flat however large the dump is.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnOption, ConstraintReferenceMatchKind,
    CreateIndex, CreateTable, CreateView, DataType, DeferrableInitial, DropBehavior, Expr,
    GeneratedAs, Ident, ObjectName, ObjectNamePart, Query, ReferentialAction, RenameTableNameKind,
    TableConstraint, TableFactor, Visit, Visitor,
};

use crate::catalog::{
    Check, Column, ColumnRef, FkAction, FkMatch, ForeignKey, Identity, Index, QName, StmtKind,
    Table, TableKind, View,
};
use crate::dump::read::Ctx;

/// Folds an identifier as Postgres does: quoted ones keep their case.
pub fn ident(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

/// The parts of an object name, folded.
pub fn parts(n: &ObjectName) -> Vec<String> {
    n.0.iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => ident(i),
            other => other.to_string(),
        })
        .collect()
}

fn action(a: Option<ReferentialAction>) -> FkAction {
    match a {
        None | Some(ReferentialAction::NoAction) => FkAction::NoAction,
        Some(ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ReferentialAction::SetDefault) => FkAction::SetDefault,
    }
}

/// The `ON DELETE SET NULL|DEFAULT (cols)` list taken out of the statement for the foreign key
/// whose referenced table name starts at `foreign_table`'s span (empty when it has none).
fn set_columns(ctx: &mut Ctx<'_>, foreign_table: &ObjectName) -> Vec<String> {
    if ctx.set_columns.is_empty() {
        return Vec::new();
    }
    let Some(ObjectNamePart::Identifier(first)) = foreign_table.0.first() else {
        return Vec::new();
    };
    let at = (first.span.start.line, first.span.start.column);
    match ctx.set_columns.iter().position(|(k, _)| *k == at) {
        Some(i) => ctx.set_columns.remove(i).1,
        None => Vec::new(),
    }
}

/// Postgres's default constraint name: `table_col1_col2_suffix`, cut to 63 bytes.
fn default_name(table: &str, cols: &[String], suffix: &str) -> String {
    let mut base = table.to_string();
    if !cols.is_empty() {
        base.push('_');
        base.push_str(&cols.join("_"));
    }
    let max = 63 - suffix.len() - 1;
    if base.len() > max {
        let mut cut = max;
        while !base.is_char_boundary(cut) {
            cut -= 1;
        }
        base.truncate(cut);
    }
    format!("{base}_{suffix}")
}

fn index_col_text(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => ident(i),
        other => other.to_string(),
    }
}

/// Adds the facts of one table constraint on `table`.
fn constraint(ctx: &mut Ctx<'_>, table: &QName, c: &TableConstraint, not_valid: bool) {
    match c {
        TableConstraint::PrimaryKey(pk) => {
            let columns: Vec<String> = pk
                .columns
                .iter()
                .map(|c| index_col_text(&c.column.expr))
                .collect();
            ctx.set_primary_key(table, pk.name.as_ref().map(ident), columns);
        }
        TableConstraint::Unique(u) => {
            let columns = u
                .columns
                .iter()
                .map(|c| index_col_text(&c.column.expr))
                .collect();
            ctx.add_unique(table, u.name.as_ref().map(ident), columns);
        }
        TableConstraint::Check(ch) => {
            let name = ch.name.as_ref().map(ident);
            let expr = ch.expr.to_string();
            match ctx.cat.table_mut(table) {
                Some(t) => t.checks.push(Check { name, expr }),
                None => ctx.orphan(table, "CHECK"),
            }
        }
        TableConstraint::ForeignKey(fk) => {
            let columns: Vec<String> = fk.columns.iter().map(ident).collect();
            let references = ctx.resolve_rel(&parts(&fk.foreign_table));
            let referenced_columns: Vec<String> = fk.referred_columns.iter().map(ident).collect();
            let (deferrable, initially_deferred) = match &fk.characteristics {
                Some(ch) => {
                    let deferred = matches!(ch.initially, Some(DeferrableInitial::Deferred));
                    (ch.deferrable.unwrap_or(false) || deferred, deferred)
                }
                None => (false, false),
            };
            let name = fk
                .name
                .as_ref()
                .map(ident)
                .unwrap_or_else(|| default_name(&table.name, &columns, "fkey"));
            let fk = ForeignKey {
                name,
                table: table.clone(),
                columns,
                references,
                referenced_columns,
                on_delete: action(fk.on_delete),
                on_delete_columns: set_columns(ctx, &fk.foreign_table),
                on_update: action(fk.on_update),
                deferrable,
                initially_deferred,
                match_kind: match fk.match_kind {
                    Some(ConstraintReferenceMatchKind::Full) => FkMatch::Full,
                    Some(ConstraintReferenceMatchKind::Partial) => FkMatch::Partial,
                    _ => FkMatch::Simple,
                },
                not_valid,
                span: ctx.span,
                written: None,
                reference: None,
            };
            ctx.add_foreign_key(fk);
        }
        _ => {}
    }
}

/// sqlparser prints built-in type names in upper case; Postgres's own spelling is lower case.
/// Quoted parts (`public."Mood"`) keep their case.
fn lower_outside_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quoted = false;
    for ch in s.chars() {
        if ch == '"' {
            quoted = !quoted;
        }
        if quoted {
            out.push(ch);
        } else {
            out.extend(ch.to_lowercase());
        }
    }
    out
}

/// A type name as written (`ALTER COLUMN ... TYPE`), spelled as [`create_table`] spells column
/// types: through sqlparser, lower case outside quotes. Text sqlparser does not read keeps its
/// words, lower case outside quotes, single spaced.
pub fn type_text(text: &str) -> String {
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let parsed = sqlparser::parser::Parser::new(&dialect)
        .try_with_sql(text)
        .and_then(|mut p| {
            let t = p.parse_data_type()?;
            p.expect_token(&sqlparser::tokenizer::Token::EOF)?;
            Ok(t)
        });
    match parsed {
        Ok(t) => lower_outside_quotes(&t.to_string()),
        Err(_) => lower_outside_quotes(&text.split_whitespace().collect::<Vec<_>>().join(" ")),
    }
}

fn is_serial(t: &DataType) -> Option<&'static str> {
    let s = t.to_string().to_lowercase();
    match s.as_str() {
        "serial" | "serial4" => Some("integer"),
        "bigserial" | "serial8" => Some("bigint"),
        "smallserial" | "serial2" => Some("smallint"),
        _ => None,
    }
}

/// Constraints written inside a column definition, with the column they belong to.
type Inline = Vec<(TableConstraint, String)>;
/// Sequences a column creates (serial, identity): name, column, identity.
type Owned = Vec<(QName, String, bool)>;

/// One column definition of `name`: the column, plus its inline constraints and the sequences
/// it implies (serial types, identity).
fn column(
    name: &QName,
    c: &sqlparser::ast::ColumnDef,
    inline: &mut Inline,
    owned_seqs: &mut Owned,
) -> Column {
    let cname = ident(&c.name);
    let mut data_type = lower_outside_quotes(&c.data_type.to_string());
    let mut col = Column {
        name: cname.clone(),
        data_type: String::new(),
        not_null: false,
        default: None,
        identity: None,
        generated: None,
    };
    if let Some(base) = is_serial(&c.data_type) {
        data_type = base.to_string();
        let seq = QName::new(&name.schema, format!("{}_{}_seq", name.name, cname));
        col.default = Some(format!(
            "nextval({}::regclass)",
            crate::ident::literal(&crate::ident::qualified(&seq))
        ));
        col.not_null = true;
        owned_seqs.push((seq, cname.clone(), false));
    }
    col.data_type = data_type;
    for opt in &c.options {
        let cons_name = opt.name.clone();
        match &opt.option {
            ColumnOption::NotNull => col.not_null = true,
            ColumnOption::Default(e) => col.default = Some(e.to_string()),
            ColumnOption::Generated {
                generated_as,
                generation_expr,
                ..
            } => match generation_expr {
                Some(e) => col.generated = Some(e.to_string()),
                None => {
                    col.identity = Some(match generated_as {
                        GeneratedAs::ByDefault => Identity::ByDefault,
                        _ => Identity::Always,
                    });
                    col.not_null = true;
                    let seq = QName::new(&name.schema, format!("{}_{}_seq", name.name, cname));
                    owned_seqs.push((seq, cname.clone(), true));
                }
            },
            ColumnOption::PrimaryKey(pk) => {
                let mut pk = pk.clone();
                pk.name = pk.name.or(cons_name);
                pk.columns = vec![sqlparser::ast::IndexColumn {
                    column: sqlparser::ast::OrderByExpr {
                        expr: Expr::Identifier(c.name.clone()),
                        options: Default::default(),
                        with_fill: None,
                    },
                    operator_class: None,
                }];
                col.not_null = true;
                inline.push((TableConstraint::PrimaryKey(pk), cname.clone()));
            }
            ColumnOption::Unique(u) => {
                let mut u = u.clone();
                u.name = u.name.or(cons_name);
                u.columns = vec![sqlparser::ast::IndexColumn {
                    column: sqlparser::ast::OrderByExpr {
                        expr: Expr::Identifier(c.name.clone()),
                        options: Default::default(),
                        with_fill: None,
                    },
                    operator_class: None,
                }];
                inline.push((TableConstraint::Unique(u), cname.clone()));
            }
            ColumnOption::ForeignKey(fk) => {
                let mut fk = fk.clone();
                fk.name = fk.name.or(cons_name);
                fk.columns = vec![c.name.clone()];
                inline.push((TableConstraint::ForeignKey(fk), cname.clone()));
            }
            ColumnOption::Check(ch) => {
                let mut ch = ch.clone();
                ch.name = ch.name.or(cons_name);
                inline.push((TableConstraint::Check(ch), cname.clone()));
            }
            _ => {}
        }
    }
    col
}

/// Adds the sequences and inline constraints gathered from column definitions of `name`.
fn finish_columns(ctx: &mut Ctx<'_>, name: &QName, owned_seqs: Owned, inline: Inline) {
    for (seq, col, identity) in owned_seqs {
        ctx.add_owned_sequence(
            seq,
            ColumnRef {
                table: name.clone(),
                column: col,
            },
            identity,
        );
    }
    for (c, col) in &inline {
        let mut c = c.clone();
        if let TableConstraint::ForeignKey(fk) = &mut c {
            if fk.name.is_none() {
                fk.name = Some(Ident::with_quote(
                    '"',
                    default_name(&name.name, std::slice::from_ref(col), "fkey"),
                ));
            }
        }
        if let TableConstraint::PrimaryKey(pk) = &mut c {
            if pk.name.is_none() {
                pk.name = Some(Ident::with_quote('"', format!("{}_pkey", name.name)));
            }
        }
        constraint(ctx, name, &c, false);
    }
}

/// `CREATE [UNLOGGED | FOREIGN] TABLE`.
pub fn create_table(ctx: &mut Ctx<'_>, ct: &CreateTable, kind: TableKind) {
    let name = ctx.qualify(&parts(&ct.name));
    if ct.if_not_exists && ctx.cat.table(&name).is_some() {
        // Postgres leaves the existing table as it is (a NOTICE): no column, key or sequence of
        // this definition exists. Replacing it would lose the keys the first one declared.
        ctx.did(StmtKind::Table, name);
        return;
    }
    let mut columns = Vec::with_capacity(ct.columns.len());
    let mut inline: Inline = Vec::new();
    let mut owned_seqs: Owned = Vec::new();
    for c in &ct.columns {
        columns.push(column(&name, c, &mut inline, &mut owned_seqs));
    }
    let partitioned = ct.partition_by.is_some();
    let table = Table {
        schema: name.schema.clone(),
        name: name.name.clone(),
        kind: if partitioned {
            TableKind::Partitioned
        } else {
            kind
        },
        unlogged: ct.unlogged,
        partition_of: ct.partition_of.as_ref().map(|p| ctx.resolve_rel(&parts(p))),
        inherits: ct
            .inherits
            .iter()
            .flatten()
            .map(|p| ctx.resolve_rel(&parts(p)))
            .collect(),
        columns,
        primary_key: None,
        unique: Vec::new(),
        checks: Vec::new(),
        owner: None,
        span: ctx.span,
    };
    ctx.cat.add_table(table);
    // Defined again (a history without `IF NOT EXISTS`): still the table's statement.
    ctx.did(StmtKind::Table, name.clone());
    for c in &ct.constraints {
        constraint(ctx, &name, c, false);
    }
    finish_columns(ctx, &name, owned_seqs, inline);
}

/// `ALTER TABLE ... ADD CONSTRAINT ...` (the other actions go through the recognizers).
/// Returns false when an operation carried no facts this function knows.
pub fn alter_table(ctx: &mut Ctx<'_>, name: &ObjectName, ops: &[AlterTableOperation]) -> bool {
    let table = ctx.resolve_rel(&parts(name));
    let mut all = true;
    for op in ops {
        match op {
            AlterTableOperation::AddConstraint {
                constraint: c,
                not_valid,
            } => {
                let mut c = c.clone();
                if let TableConstraint::PrimaryKey(pk) = &mut c {
                    if pk.name.is_none() {
                        pk.name = Some(Ident::with_quote('"', format!("{}_pkey", table.name)));
                    }
                }
                constraint(ctx, &table, &c, *not_valid);
            }
            AlterTableOperation::AddColumn {
                column_def,
                if_not_exists,
                ..
            } => {
                let mut inline = Vec::new();
                let mut owned = Vec::new();
                let col = column(&table, column_def, &mut inline, &mut owned);
                match ctx.cat.table_mut(&table) {
                    // `IF NOT EXISTS` of a column that is there: nothing happens.
                    Some(t) if *if_not_exists && t.columns.iter().any(|c| c.name == col.name) => {
                        continue
                    }
                    Some(t) => {
                        t.columns.retain(|c| c.name != col.name);
                        t.columns.push(col);
                    }
                    None => ctx.orphan(&table, "ADD COLUMN"),
                }
                finish_columns(ctx, &table, owned, inline);
            }
            // The history's actions (see `crate::dump::history`).
            AlterTableOperation::DropConstraint {
                name,
                drop_behavior,
                ..
            } => {
                let cascade = matches!(drop_behavior, Some(DropBehavior::Cascade));
                ctx.drop_constraint(&table, &ident(name), cascade);
            }
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                ..
            } => {
                for c in column_names {
                    if !ctx.drop_column(&table, &ident(c)) && !*if_exists {
                        all = false;
                    }
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                all &= ctx.rename_column(&table, &ident(old_column_name), &ident(new_column_name));
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                ctx.rename_constraint(&table, &ident(old_name), &ident(new_name));
            }
            AlterTableOperation::RenameTable {
                table_name: RenameTableNameKind::To(n) | RenameTableNameKind::As(n),
            } => {
                let to = parts(n).pop().unwrap_or_default();
                all &= ctx.rename_relation(&table, &to);
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let col = ident(column_name);
                let Some(c) = ctx
                    .cat
                    .table_mut(&table)
                    .and_then(|t| t.columns.iter_mut().find(|c| c.name == col))
                else {
                    all = false;
                    continue;
                };
                match op {
                    AlterColumnOperation::SetDataType { data_type, .. } => {
                        c.data_type = lower_outside_quotes(&data_type.to_string());
                    }
                    AlterColumnOperation::SetNotNull => c.not_null = true,
                    AlterColumnOperation::DropNotNull => c.not_null = false,
                    AlterColumnOperation::SetDefault { value } => {
                        c.default = Some(value.to_string())
                    }
                    AlterColumnOperation::DropDefault => c.default = None,
                    _ => all = false,
                }
            }
            _ => all = false,
        }
    }
    all
}

/// `CREATE [UNIQUE] INDEX`; `only` is true for `ON ONLY` (removed from the text before parsing).
pub fn create_index(ctx: &mut Ctx<'_>, ci: &CreateIndex, only: bool) {
    let table = ctx.resolve_rel(&parts(&ci.table_name));
    let name = match &ci.name {
        Some(n) => {
            let p = parts(n);
            QName::new(table.schema.clone(), p.last().cloned().unwrap_or_default())
        }
        None => {
            let cols: Vec<String> = ci
                .columns
                .iter()
                .map(|c| index_col_text(&c.column.expr))
                .collect();
            QName::new(
                table.schema.clone(),
                default_name(&table.name, &cols, "idx"),
            )
        }
    };
    let idx = Index {
        name,
        table,
        unique: ci.unique,
        method: ci
            .using
            .as_ref()
            .map_or_else(|| "btree".to_string(), |u| u.to_string().to_lowercase()),
        columns: ci
            .columns
            .iter()
            .map(|c| index_col_text(&c.column.expr))
            .collect(),
        predicate: ci.predicate.as_ref().map(|p| p.to_string()),
        only,
        attached_to: None,
        span: ctx.span,
    };
    ctx.did(StmtKind::Index, idx.table.clone());
    ctx.cat.indexes.push(idx);
}

#[derive(Default)]
struct Relations {
    names: Vec<ObjectName>,
    ctes: BTreeSet<String>,
}

impl Visitor for Relations {
    type Break = ();

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                self.ctes.insert(ident(&cte.alias.name));
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, tf: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name, args: None, ..
        } = tf
        {
            self.names.push(name.clone());
        }
        ControlFlow::Continue(())
    }
}

/// The relations a query reads, resolved, sorted and unique (CTE names excluded).
pub fn query_reads(ctx: &Ctx<'_>, q: &Query) -> Vec<QName> {
    let mut r = Relations::default();
    let _ = q.visit(&mut r);
    let mut out = BTreeSet::new();
    for n in &r.names {
        let p = parts(n);
        if p.len() == 1 && r.ctes.contains(&p[0]) {
            continue;
        }
        out.insert(ctx.resolve_rel(&p));
    }
    out.into_iter().collect()
}

/// `CREATE [MATERIALIZED] VIEW`.
pub fn create_view(ctx: &mut Ctx<'_>, cv: &CreateView) {
    let name = ctx.qualify(&parts(&cv.name));
    let reads = query_reads(ctx, &cv.query)
        .into_iter()
        .filter(|r| *r != name)
        .collect();
    ctx.add_view(View {
        name,
        materialized: cv.materialized,
        reads,
        span: ctx.span,
    });
}
