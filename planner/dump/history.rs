//! The dump read as a history: what `DROP`, `RENAME` and `ALTER COLUMN ... TYPE` do to the
//! catalog.
//!
//! A directory of migrations (and any list of files) is read in order as one history: the
//! catalog is the schema after the last statement, as Postgres would hold it after running the
//! files in that order. A dropped table takes its indexes, triggers, policies, owned sequences,
//! partitions, the views reading it and the foreign keys to and from it along; a renamed one
//! carries every reference to it (foreign keys, indexes, views, sequences, statements) to its new
//! name.
//!
//! The per-silo schema ([`crate::plan::schema`]) rebuilds each silo from the statements as
//! written, in order. So that a dropped object does not come back from its `CREATE`, the history
//! is also recorded on the statements:
//!
//! * a statement about an object dropped later (its `CREATE`, the `ALTER`s, comments, grants,
//!   indexes and triggers of a dropped table, the `ALTER INDEX` of a dropped index, the rename of
//!   a dropped foreign key) is marked [`Stmt::superseded`](crate::catalog::Stmt) and left out,
//!   like the `DROP` itself;
//! * a foreign key dropped later is kept in [`Catalog::dropped_foreign_keys`] with the statement
//!   that dropped it, and the per-silo schema cuts both out of their statements (an inline
//!   `REFERENCES` out of its `CREATE TABLE`, an action out of a multi-action `ALTER TABLE`);
//! * renames, `ALTER COLUMN ... TYPE`, `ADD` and `DROP COLUMN` stay, and run again in order in
//!   the silo of their table: the statements before them write the old names, which those
//!   statements change. Each statement's subject is the object's final name, so the whole
//!   history of a table goes where the table goes.

use crate::catalog::{Catalog, DroppedFk, FkWritten, QName, Span, StmtKind};
use crate::dump::read::Ctx;
use crate::dump::recognize::nextval_target;

impl Ctx<'_> {
    /// Whether foreign key `k` has been dropped by an earlier statement.
    pub fn fk_dead(&self, k: usize) -> bool {
        self.dead_fks.get(k).is_some_and(Option::is_some)
    }

    /// The foreign key named `name` on `table` that is still there.
    pub fn live_fk(&self, table: &QName, name: &str) -> Option<usize> {
        (0..self.cat.foreign_keys.len()).rev().find(|&k| {
            let f = &self.cat.foreign_keys[k];
            !self.fk_dead(k) && f.table == *table && f.name == name
        })
    }

    /// Drops foreign key `k` at the current statement; `by` is the name a `DROP CONSTRAINT`
    /// dropped it by.
    fn kill_fk(&mut self, k: usize, by: Option<String>) {
        if self.dead_fks.len() <= k {
            self.dead_fks.resize(self.cat.foreign_keys.len(), None);
        }
        let span = self.span;
        self.dead_fks[k] = Some((by.map(|n| (span, n)), span));
    }

    /// Drops every live foreign key `f` selects.
    fn kill_fks_where(&mut self, f: impl Fn(&crate::catalog::ForeignKey) -> bool) {
        for k in 0..self.cat.foreign_keys.len() {
            if !self.fk_dead(k) && f(&self.cat.foreign_keys[k]) {
                self.kill_fk(k, None);
            }
        }
    }

    /// The statements about `q` so far belong to an object that is gone: they are superseded
    /// (see [`finish`]), and a later object of the same name starts afresh.
    fn forget_name(&mut self, q: &QName) {
        if let Some(i) = self.names.remove(q) {
            self.dropped_names.push(i);
        }
    }

    /// The current statement dropped or changed an object defined at `origin`.
    pub fn changed(&mut self, origin: Span) {
        let span = self.span;
        match self.cat.changes.last_mut() {
            Some((s, o)) if *s == span => *o = (*o).min(origin),
            _ => self.cat.changes.push((span, origin)),
        }
    }

    /// Marks the earlier statement at `span` superseded.
    pub fn supersede(&mut self, span: Span) {
        let sts = &mut self.cat.statements;
        if let Ok(i) =
            sts.binary_search_by_key(&(span.file, span.start), |s| (s.span.file, s.span.start))
        {
            sts[i].superseded = true;
        }
    }

    /// The index `parts` names: qualified, or the first schema of the search path that has one.
    pub fn resolve_index(&self, parts: &[String]) -> QName {
        if let [n] = parts {
            for s in &self.search_path {
                let q = QName::new(s.clone(), n.clone());
                if self.cat.indexes.iter().any(|x| x.name == q) || self.constraint_index(&q) {
                    return q;
                }
            }
        }
        self.qualify(parts)
    }

    /// Whether `q` names the index of a primary key or unique constraint.
    fn constraint_index(&self, q: &QName) -> bool {
        let named = |k: &crate::catalog::Key| k.name.as_deref() == Some(q.name.as_str());
        self.cat.tables.iter().any(|t| {
            t.schema == q.schema
                && (t.primary_key.as_ref().is_some_and(named) || t.unique.iter().any(named))
        })
    }

    /// Records the current `ALTER INDEX` statement as one about index `q`: dropping the index
    /// supersedes it.
    pub fn touch_index(&mut self, q: &QName) {
        let span = self.span;
        self.index_stmts.entry(q.clone()).or_default().push(span);
    }

    /// `DROP TABLE q [CASCADE]`: the table and what goes with it. False when there is none.
    pub fn drop_table(&mut self, q: &QName, cascade: bool) -> bool {
        let Some(t) = self.cat.remove_table(q) else {
            return false;
        };
        self.changed(t.span);
        self.relations.remove(q);
        self.forget_name(q);
        let mut children = Vec::new();
        for t in &mut self.cat.tables {
            if t.partition_of.as_ref() == Some(q) || (cascade && t.inherits.contains(q)) {
                children.push(t.qname());
            } else {
                t.inherits.retain(|p| p != q);
            }
        }
        self.kill_fks_where(|f| f.table == *q || f.references == *q);
        let indexes: Vec<QName> = self
            .cat
            .indexes
            .iter()
            .filter(|x| x.table == *q)
            .map(|x| x.name.clone())
            .collect();
        self.cat.indexes.retain(|x| x.table != *q);
        for ix in &indexes {
            self.forget_name(ix);
            self.index_stmts.remove(ix);
        }
        self.cat.triggers.retain(|x| x.table != *q);
        self.cat.policies.retain(|x| x.table != *q);
        forget_attached(&mut self.cat, q);
        let owned: Vec<QName> = self
            .cat
            .sequences
            .iter()
            .filter(|s| s.owned_by.as_ref().is_some_and(|o| o.table == *q))
            .map(|s| s.name.clone())
            .collect();
        for s in &owned {
            self.drop_sequence(s);
        }
        self.drop_readers(q);
        for c in &children {
            self.drop_table(c, cascade);
        }
        true
    }

    /// Views reading `q` go with it (`CASCADE`; without it Postgres refuses the drop).
    fn drop_readers(&mut self, q: &QName) {
        let readers: Vec<QName> = self
            .cat
            .views
            .iter()
            .filter(|v| v.reads.contains(q))
            .map(|v| v.name.clone())
            .collect();
        for v in &readers {
            self.drop_view(v);
        }
    }

    /// `DROP [MATERIALIZED] VIEW q`: the view, its indexes and the views reading it.
    pub fn drop_view(&mut self, q: &QName) -> bool {
        let Some(i) = self.views.remove(q) else {
            return false;
        };
        let v = self.cat.views.remove(i);
        self.changed(v.span);
        for v in self.views.values_mut() {
            if *v > i {
                *v -= 1;
            }
        }
        self.relations.remove(q);
        self.forget_name(q);
        let indexes: Vec<QName> = self
            .cat
            .indexes
            .iter()
            .filter(|x| x.table == *q)
            .map(|x| x.name.clone())
            .collect();
        self.cat.indexes.retain(|x| x.table != *q);
        for ix in &indexes {
            self.forget_name(ix);
            self.index_stmts.remove(ix);
        }
        self.cat.triggers.retain(|x| x.table != *q);
        forget_attached(&mut self.cat, q);
        self.drop_readers(q);
        true
    }

    /// `DROP SEQUENCE q`: the sequence, and the column defaults that call it (`CASCADE`).
    pub fn drop_sequence(&mut self, q: &QName) -> bool {
        let Some(i) = self.seqs.remove(q) else {
            return false;
        };
        let sq = self.cat.sequences.remove(i);
        self.changed(sq.span);
        for v in self.seqs.values_mut() {
            if *v > i {
                *v -= 1;
            }
        }
        self.relations.remove(q);
        self.forget_name(q);
        forget_attached(&mut self.cat, q);
        for t in &mut self.cat.tables {
            for c in &mut t.columns {
                let calls = c
                    .default
                    .as_deref()
                    .and_then(nextval_target)
                    .is_some_and(|p| {
                        p.last() == Some(&q.name) && (p.len() < 2 || p[p.len() - 2] == q.schema)
                    });
                if calls {
                    c.default = None;
                }
            }
        }
        true
    }

    /// `DROP INDEX q`: the index, its `CREATE INDEX` and `ALTER INDEX` statements, and the
    /// partitions' indexes attached to it.
    pub fn drop_index(&mut self, q: &QName) -> bool {
        let Some(i) = self.cat.indexes.iter().position(|x| x.name == *q) else {
            return false;
        };
        let ix = self.cat.indexes.remove(i);
        self.changed(ix.span);
        self.supersede(ix.span);
        self.forget_name(q);
        for span in self.index_stmts.remove(q).unwrap_or_default() {
            self.supersede(span);
        }
        let attached: Vec<QName> = self
            .cat
            .indexes
            .iter()
            .filter(|x| x.attached_to.as_ref() == Some(q))
            .map(|x| x.name.clone())
            .collect();
        for a in &attached {
            self.drop_index(a);
        }
        true
    }

    /// `ALTER TABLE table DROP CONSTRAINT name [CASCADE]`. A foreign key is recorded as dropped
    /// by this statement; a primary key or unique constraint dropped with `CASCADE` takes the
    /// foreign keys that reference it along.
    pub fn drop_constraint(&mut self, table: &QName, name: &str, cascade: bool) {
        if let Some(k) = self.live_fk(table, name) {
            self.changed(self.cat.foreign_keys[k].span);
            self.kill_fk(k, Some(name.to_string()));
            return;
        }
        let Some(origin) = self.cat.table(table).map(|t| t.span) else {
            return;
        };
        self.changed(origin);
        let Some(tb) = self.cat.table_mut(table) else {
            return;
        };
        let is = |k: &crate::catalog::Key| k.name.as_deref() == Some(name);
        let mut key = None;
        if tb.primary_key.as_ref().is_some_and(is) {
            key = tb.primary_key.take().map(|k| k.columns);
        }
        if let Some(u) = tb.unique.iter().position(is) {
            key = Some(tb.unique.remove(u).columns);
        }
        tb.checks.retain(|k| k.name.as_deref() != Some(name));
        if let (Some(cols), true) = (key, cascade) {
            self.kill_fks_where(|f| f.references == *table && f.referenced_columns == cols);
        }
    }

    /// `ALTER TABLE table DROP COLUMN col`: the column, the keys and indexes on it, the foreign
    /// keys from and to it and its owned sequences. The statement itself runs again in the
    /// silo, so the statements before it stay (an owned sequence's go with the table).
    pub fn drop_column(&mut self, table: &QName, col: &str) -> bool {
        let Some(origin) = self.cat.table(table).map(|t| t.span) else {
            return false;
        };
        self.changed(origin);
        let Some(tb) = self.cat.table_mut(table) else {
            return false;
        };
        let before = tb.columns.len();
        tb.columns.retain(|c| c.name != col);
        if tb.columns.len() == before {
            return false;
        }
        if tb
            .primary_key
            .as_ref()
            .is_some_and(|k| k.columns.iter().any(|c| c == col))
        {
            tb.primary_key = None;
        }
        tb.unique.retain(|k| !k.columns.iter().any(|c| c == col));
        self.kill_fks_where(|f| {
            (f.table == *table && f.columns.iter().any(|c| c == col))
                || (f.references == *table && f.referenced_columns.iter().any(|c| c == col))
        });
        // Its indexes: their statements stay (the DROP COLUMN drops them again).
        let on_col =
            |x: &crate::catalog::Index| x.table == *table && x.columns.iter().any(|c| c == col);
        for x in self.cat.indexes.iter().filter(|x| on_col(x)) {
            self.index_stmts.remove(&x.name);
        }
        self.cat.indexes.retain(|x| !on_col(x));
        let owned: Vec<QName> = self
            .cat
            .sequences
            .iter()
            .filter(|s| {
                s.owned_by
                    .as_ref()
                    .is_some_and(|o| o.table == *table && o.column == col)
            })
            .map(|s| s.name.clone())
            .collect();
        for s in &owned {
            // Its statements stay, in the table's silo, where the DROP COLUMN drops it again.
            if let Some(&i) = self.names.get(s) {
                self.redirects.push((i, table.clone()));
            }
            if let Some(i) = self.seqs.remove(s) {
                self.cat.sequences.remove(i);
                for v in self.seqs.values_mut() {
                    if *v > i {
                        *v -= 1;
                    }
                }
            }
            self.relations.remove(s);
            self.names.remove(s);
        }
        true
    }

    /// `ALTER TABLE table ALTER COLUMN col [SET DATA] TYPE ty`.
    pub fn set_column_type(&mut self, table: &QName, col: &str, ty: String) -> bool {
        if let Some(origin) = self.cat.table(table).map(|t| t.span) {
            self.changed(origin);
        }
        let Some(c) = self
            .cat
            .table_mut(table)
            .and_then(|t| t.columns.iter_mut().find(|c| c.name == col))
        else {
            return false;
        };
        c.data_type = ty;
        true
    }

    /// `ALTER TABLE table RENAME [COLUMN] from TO to`: the column and every reference to it.
    pub fn rename_column(&mut self, table: &QName, from: &str, to: &str) -> bool {
        let Some(origin) = self.cat.table(table).map(|t| t.span) else {
            return false;
        };
        self.changed(origin);
        let Some(tb) = self.cat.table_mut(table) else {
            return false;
        };
        let Some(c) = tb.columns.iter_mut().find(|c| c.name == from) else {
            return false;
        };
        c.name = to.to_string();
        let swap = |cols: &mut Vec<String>| {
            for c in cols.iter_mut() {
                if c == from {
                    *c = to.to_string();
                }
            }
        };
        if let Some(k) = &mut tb.primary_key {
            swap(&mut k.columns);
        }
        for k in &mut tb.unique {
            swap(&mut k.columns);
        }
        for k in 0..self.cat.foreign_keys.len() {
            if self.fk_dead(k) {
                continue;
            }
            let f = &mut self.cat.foreign_keys[k];
            if f.table == *table && f.columns.iter().any(|c| c == from) {
                keep_written(f);
                swap(&mut f.columns);
                swap(&mut f.on_delete_columns);
            }
            if f.references == *table {
                swap(&mut f.referenced_columns);
            }
        }
        for x in &mut self.cat.indexes {
            if x.table == *table {
                swap(&mut x.columns);
            }
        }
        for s in &mut self.cat.sequences {
            if let Some(o) = &mut s.owned_by {
                if o.table == *table && o.column == from {
                    o.column = to.to_string();
                }
            }
        }
        true
    }

    /// `ALTER TABLE table RENAME CONSTRAINT from TO to`. A foreign key's rename is a statement
    /// of that key (it goes where the key goes, and with it when the key is dropped).
    pub fn rename_constraint(&mut self, table: &QName, from: &str, to: &str) -> bool {
        if let Some(origin) = self.cat.table(table).map(|t| t.span) {
            self.changed(origin);
        }
        if let Some(k) = self.live_fk(table, from) {
            self.cat.foreign_keys[k].name = to.to_string();
            self.stmt_fk = Some(k);
            return true;
        }
        let Some(tb) = self.cat.table_mut(table) else {
            return false;
        };
        let mut found = false;
        let named = |n: &mut Option<String>, found: &mut bool| {
            if n.as_deref() == Some(from) {
                *n = Some(to.to_string());
                *found = true;
            }
        };
        if let Some(k) = &mut tb.primary_key {
            named(&mut k.name, &mut found);
        }
        for k in &mut tb.unique {
            named(&mut k.name, &mut found);
        }
        for k in &mut tb.checks {
            named(&mut k.name, &mut found);
        }
        found
    }

    /// `ALTER {TABLE | VIEW | MATERIALIZED VIEW | SEQUENCE | INDEX} from RENAME TO to` (Postgres
    /// takes any of them for any relation): the relation and every reference to it. False when
    /// no relation has that name.
    pub fn rename_relation(&mut self, from: &QName, to: &str) -> bool {
        let new = QName::new(from.schema.clone(), to);
        let origin = self
            .cat
            .table(from)
            .map(|t| t.span)
            .or_else(|| self.views.get(from).map(|&i| self.cat.views[i].span))
            .or_else(|| self.seqs.get(from).map(|&i| self.cat.sequences[i].span))
            .or_else(|| {
                self.cat
                    .indexes
                    .iter()
                    .find(|x| x.name == *from)
                    .map(|x| x.span)
            });
        if let Some(origin) = origin {
            self.changed(origin);
        }
        if self.cat.rename_table(from, &new) {
            self.renamed(from, &new);
            for k in 0..self.cat.foreign_keys.len() {
                let f = &mut self.cat.foreign_keys[k];
                if f.table == *from {
                    f.table = new.clone();
                }
                if f.references == *from {
                    keep_written(f);
                    f.references = new.clone();
                }
            }
            for t in &mut self.cat.tables {
                if t.partition_of.as_ref() == Some(from) {
                    t.partition_of = Some(new.clone());
                }
                for p in &mut t.inherits {
                    if p == from {
                        *p = new.clone();
                    }
                }
            }
            rename_in(&mut self.cat.indexes, |x| &mut x.table, from, &new);
            for s in &mut self.cat.sequences {
                if let Some(o) = &mut s.owned_by {
                    if o.table == *from {
                        o.table = new.clone();
                    }
                }
            }
            rename_in(&mut self.cat.triggers, |x| &mut x.table, from, &new);
            rename_in(&mut self.cat.policies, |x| &mut x.table, from, &new);
            self.stmt_subject = Some(new);
            return true;
        }
        if let Some(i) = self.views.remove(from) {
            self.views.insert(new.clone(), i);
            self.cat.views[i].name = new.clone();
            self.renamed(from, &new);
            rename_in(&mut self.cat.indexes, |x| &mut x.table, from, &new);
            rename_in(&mut self.cat.triggers, |x| &mut x.table, from, &new);
            self.stmt_subject = Some(new);
            return true;
        }
        if let Some(i) = self.seqs.remove(from) {
            self.seqs.insert(new.clone(), i);
            self.cat.sequences[i].name = new.clone();
            self.renamed(from, &new);
            // A default calls the sequence by its OID: Postgres shows the new name.
            let call = format!(
                "nextval({}::regclass)",
                crate::ident::literal(&crate::ident::qualified(&new))
            );
            for t in &mut self.cat.tables {
                for c in &mut t.columns {
                    let calls = c
                        .default
                        .as_deref()
                        .and_then(nextval_target)
                        .is_some_and(|p| {
                            p.last() == Some(&from.name)
                                && (if p.len() < 2 {
                                    t.schema == from.schema
                                } else {
                                    p[p.len() - 2] == from.schema
                                })
                        });
                    if calls {
                        c.default = Some(call.clone());
                    }
                }
            }
            self.stmt_subject = Some(new);
            return true;
        }
        if let Some(x) = self.cat.indexes.iter_mut().find(|x| x.name == *from) {
            x.name = new.clone();
            let table = x.table.clone();
            for y in &mut self.cat.indexes {
                if y.attached_to.as_ref() == Some(from) {
                    y.attached_to = Some(new.clone());
                }
            }
            self.rename_interned(from, &new);
            let mut spans = self.index_stmts.remove(from).unwrap_or_default();
            spans.push(self.span);
            self.index_stmts.insert(new, spans);
            self.stmt_subject = Some(table);
            return true;
        }
        // The index of a primary key or unique constraint: Postgres renames the constraint.
        let schema = from.schema.clone();
        let named = |k: &crate::catalog::Key| k.name.as_deref() == Some(from.name.as_str());
        if let Some(t) = self.cat.tables.iter_mut().find(|t| {
            t.schema == schema
                && (t.primary_key.as_ref().is_some_and(named) || t.unique.iter().any(named))
        }) {
            for k in t.primary_key.iter_mut().chain(t.unique.iter_mut()) {
                if named(k) {
                    k.name = Some(to.to_string());
                }
            }
            self.stmt_subject = Some(t.qname());
            return true;
        }
        false
    }

    /// A relation renamed: name resolution, the statements about it, comments and grants, and
    /// the views that read it.
    fn renamed(&mut self, from: &QName, new: &QName) {
        if self.relations.remove(from) {
            self.relations.insert(new.clone());
        }
        self.rename_interned(from, new);
        let (old_text, new_text) = (from.to_string(), new.to_string());
        let cat = &mut self.cat;
        for a in cat
            .comments
            .iter_mut()
            .chain(cat.grants.iter_mut())
            .chain(cat.owners.iter_mut())
        {
            if a.subject.as_ref() == Some(from) {
                a.subject = Some(new.clone());
                if let Some(rest) = a.object.strip_prefix(&old_text) {
                    if rest.is_empty() || rest.starts_with('.') {
                        a.object = format!("{new_text}{rest}");
                    }
                }
            }
        }
        for v in &mut cat.views {
            if v.reads.contains(from) {
                for r in &mut v.reads {
                    if r == from {
                        *r = new.clone();
                    }
                }
                v.reads.sort();
                v.reads.dedup();
            }
        }
    }

    /// The statements about `from` are now about `new`.
    fn rename_interned(&mut self, from: &QName, new: &QName) {
        if let Some(i) = self.names.remove(from) {
            self.cat.names[i as usize] = new.clone();
            self.names.insert(new.clone(), i);
        }
    }
}

/// Keeps a foreign key's columns and parent as its statement writes them, before a rename.
fn keep_written(f: &mut crate::catalog::ForeignKey) {
    if f.written.is_none() {
        f.written = Some(Box::new(FkWritten {
            columns: f.columns.clone(),
            references: f.references.clone(),
        }));
    }
}

/// Whether a comment, grant or owner's object kind is a relation or part of one (not a
/// routine or type, which may share a relation's name).
fn relation_kind(k: &str) -> bool {
    matches!(
        k,
        "table"
            | "column"
            | "view"
            | "materialized view"
            | "sequence"
            | "index"
            | "foreign table"
            | "constraint"
            | "trigger"
            | "policy"
            | "rule"
    )
}

/// Comments, grants and owners of a dropped relation (or of its columns).
fn forget_attached(cat: &mut Catalog, q: &QName) {
    let keep = |a: &crate::catalog::Attached| {
        a.subject.as_ref() != Some(q) || !relation_kind(&a.object_kind)
    };
    cat.comments.retain(keep);
    cat.grants.retain(keep);
    cat.owners.retain(keep);
}

/// After the last statement: the dropped foreign keys leave [`Catalog::foreign_keys`] for
/// [`Catalog::dropped_foreign_keys`] (statement indexes follow), and the statements about
/// dropped objects are marked superseded.
pub(super) fn finish(ctx: &mut Ctx<'_>) {
    let cat = &mut ctx.cat;
    if ctx.dead_fks.iter().any(Option::is_some) {
        let mut remap: Vec<Option<usize>> = Vec::with_capacity(cat.foreign_keys.len());
        let mut live = Vec::with_capacity(cat.foreign_keys.len());
        for (k, fk) in std::mem::take(&mut cat.foreign_keys)
            .into_iter()
            .enumerate()
        {
            match ctx.dead_fks.get(k).cloned().flatten() {
                Some((dropped_by, at)) => {
                    remap.push(None);
                    cat.dropped_foreign_keys
                        .push(DroppedFk { fk, dropped_by, at });
                }
                None => {
                    remap.push(Some(live.len()));
                    live.push(fk);
                }
            }
        }
        cat.foreign_keys = live;
        for st in &mut cat.statements {
            let Some(k) = st.fk else { continue };
            st.fk = remap[k];
            if st.fk.is_none() {
                let created_here = cat
                    .dropped_foreign_keys
                    .iter()
                    .any(|d| d.fk.span == st.span);
                // A rename or validation of a key dropped later: gone with it. (The statement
                // that adds the key keeps its other actions; the key is cut out of it.)
                if !created_here {
                    st.superseded = true;
                }
            }
        }
    }
    for (from, to) in std::mem::take(&mut ctx.redirects) {
        let to = ctx.intern_name(to);
        for st in &mut ctx.cat.statements {
            if st.subject == Some(from) {
                st.subject = Some(to);
            }
        }
    }
    if ctx.dropped_names.is_empty() {
        return;
    }
    let cat = &mut ctx.cat;
    let mut dropped = vec![false; cat.names.len()];
    for &i in &ctx.dropped_names {
        dropped[i as usize] = true;
    }
    // A function or type may share the name of a dropped relation: its own statements stay.
    let also_routine: std::collections::HashSet<&QName> = cat
        .functions
        .iter()
        .map(|f| &f.name)
        .chain(cat.types.iter().map(|t| &t.name))
        .collect();
    let attached: std::collections::HashMap<(u32, u32), &str> = cat
        .comments
        .iter()
        .chain(&cat.grants)
        .chain(&cat.owners)
        .map(|a| ((a.span.file, a.span.start), a.object_kind.as_str()))
        .collect();
    let mut marks = Vec::new();
    for (i, st) in cat.statements.iter().enumerate() {
        let Some(s) = st.subject else { continue };
        if !dropped[s as usize] || matches!(st.kind, StmtKind::Function | StmtKind::Type) {
            continue;
        }
        if matches!(
            st.kind,
            StmtKind::Comment | StmtKind::Grant | StmtKind::Owner
        ) && also_routine.contains(&cat.names[s as usize])
            && attached
                .get(&(st.span.file, st.span.start))
                .is_some_and(|k| !relation_kind(k))
        {
            continue;
        }
        marks.push(i);
    }
    for i in marks {
        cat.statements[i].superseded = true;
    }
}

/// Points every item of `items` whose table (`table` of it) is `from` at `to`.
fn rename_in<T>(items: &mut [T], table: impl Fn(&mut T) -> &mut QName, from: &QName, to: &QName) {
    for x in items {
        let t = table(x);
        if t == from {
            *t = to.clone();
        }
    }
}
