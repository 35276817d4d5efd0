//! Splitting a dump into statements with exact byte spans.
//!
//! The splitter is a byte-level state machine that understands everything a dump can hold
//! between two semicolons: single-quoted strings (`''` doubling, `E'...'` backslash escapes, and
//! backslash escapes everywhere once `standard_conforming_strings = off` has been seen), quoted
//! identifiers, dollar quotes with tags, nested block comments, line comments, psql backslash
//! lines (`\restrict`, `\connect`, ...), `COPY ... FROM stdin` data up to `\.`, `BEGIN ATOMIC ...
//! END` bodies, and MySQL's `DELIMITER`, backticks and `#` comments.
//!
//! Every byte of the input belongs to exactly one [`Piece`]: re-joining the pieces reproduces
//! the file. The loop always advances, so no input can make it spin, and all indexing goes
//! through bounds-checked helpers, so no input can make it panic.

use crate::dump::dialect::Dialect;

/// What a piece of the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceKind {
    /// An SQL statement, up to and including its terminator (when it has one).
    Statement,
    /// A psql meta-command line such as `\restrict KEY` or `\connect db`.
    Meta,
    /// The data lines of `COPY ... FROM stdin`, through the `\.` line.
    CopyData,
    /// A MySQL `DELIMITER x` line.
    Delimiter,
    /// Only whitespace and comments (the tail of a file).
    Trivia,
}

/// One piece of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// What it is.
    pub kind: PieceKind,
    /// First byte, including leading whitespace and comments.
    pub start: usize,
    /// First byte of the statement itself (after leading trivia).
    pub body: usize,
    /// One past the last byte (the terminator included).
    pub end: usize,
    /// Byte offset of the terminator, or `end` when the statement ran into end of file.
    pub body_end: usize,
    /// True when the statement ended at end of file without its terminator, or inside an
    /// unterminated quote, comment or dollar quote.
    pub unterminated: bool,
}

impl Piece {
    /// The statement text without leading trivia or the terminator.
    pub fn sql<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.body..self.body_end).unwrap_or("")
    }
}

/// Splits `text` into pieces that cover it exactly.
pub fn split(text: &str, dialect: Dialect) -> Vec<Piece> {
    let mut out = Vec::with_capacity(text.len() / 120 + 4);
    let mut s = Splitter {
        b: text.as_bytes(),
        pos: 0,
        dialect,
        backslash_strings: dialect == Dialect::MySql,
        delimiter: b";".to_vec(),
        pending_copy: None,
    };
    while s.pos < s.b.len() {
        let piece = s.next_piece();
        debug_assert!(piece.end > piece.start);
        out.push(piece);
    }
    out
}

struct Splitter<'a> {
    b: &'a [u8],
    pos: usize,
    dialect: Dialect,
    /// Plain `'...'` strings treat backslash as an escape (old dumps, MySQL).
    backslash_strings: bool,
    delimiter: Vec<u8>,
    /// Byte range of `COPY ... FROM stdin` data that must come out as the next piece.
    pending_copy: Option<(usize, usize)>,
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 || c == b'$'
}

impl Splitter<'_> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn line_end(&self, from: usize) -> usize {
        match self.b[from.min(self.b.len())..]
            .iter()
            .position(|&c| c == b'\n')
        {
            Some(p) => from + p + 1,
            None => self.b.len(),
        }
    }

    /// Skips whitespace and comments from `i`; returns the first other byte's offset.
    fn skip_trivia(&self, mut i: usize) -> usize {
        loop {
            let c = self.at(i);
            if i >= self.b.len() {
                return self.b.len();
            }
            if c.is_ascii_whitespace() {
                i += 1;
            } else if (c == b'-' && self.at(i + 1) == b'-')
                || (c == b'#' && self.dialect == Dialect::MySql)
            {
                i = self.line_end(i);
            } else if c == b'/' && self.at(i + 1) == b'*' && !self.mysql_conditional(i) {
                i = self.block_comment_end(i).0;
            } else {
                return i;
            }
        }
    }

    /// MySQL's `/*!40101 ... */` is code, not a comment.
    fn mysql_conditional(&self, i: usize) -> bool {
        self.dialect == Dialect::MySql && self.at(i + 2) == b'!'
    }

    /// End of a (nested) block comment starting at `i`, and whether it was closed.
    fn block_comment_end(&self, i: usize) -> (usize, bool) {
        let mut depth = 0usize;
        let mut j = i;
        while j < self.b.len() {
            if self.at(j) == b'/' && self.at(j + 1) == b'*' {
                depth += 1;
                j += 2;
            } else if self.at(j) == b'*' && self.at(j + 1) == b'/' {
                depth -= 1;
                j += 2;
                if depth == 0 || self.dialect == Dialect::MySql {
                    return (j, true);
                }
            } else {
                j += 1;
            }
        }
        (self.b.len(), false)
    }

    /// End of a quoted run starting at `i` (the opening quote), and whether it was closed.
    fn quoted_end(&self, i: usize, q: u8, backslash: bool) -> (usize, bool) {
        let mut j = i + 1;
        while j < self.b.len() {
            let c = self.b[j];
            if backslash && c == b'\\' {
                j += 2;
            } else if c == q {
                if self.at(j + 1) == q {
                    j += 2;
                } else {
                    return (j + 1, true);
                }
            } else {
                j += 1;
            }
        }
        (self.b.len(), false)
    }

    /// If a dollar-quote opener `$tag$` starts at `i`, its length.
    fn dollar_tag(&self, i: usize) -> Option<usize> {
        if i > 0 && is_ident_byte(self.b[i - 1]) {
            return None;
        }
        let mut j = i + 1;
        if self.at(j).is_ascii_digit() {
            return None;
        }
        while j < self.b.len()
            && (self.b[j].is_ascii_alphanumeric() || self.b[j] == b'_' || self.b[j] >= 0x80)
        {
            j += 1;
        }
        (self.at(j) == b'$').then_some(j + 1 - i)
    }

    fn next_piece(&mut self) -> Piece {
        let start = self.pos;
        if let Some((s, e)) = self.pending_copy.take() {
            if s == start && e > s {
                self.pos = e;
                return Piece {
                    kind: PieceKind::CopyData,
                    start,
                    body: s,
                    end: e,
                    body_end: e,
                    unterminated: false,
                };
            }
        }
        let body = self.skip_trivia(start);
        if body >= self.b.len() {
            self.pos = self.b.len();
            return Piece {
                kind: PieceKind::Trivia,
                start,
                body,
                end: self.b.len(),
                body_end: self.b.len(),
                unterminated: false,
            };
        }
        if self.at(body) == b'\\' {
            let end = self.line_end(body);
            self.pos = end;
            let body_end = if end > body && self.at(end - 1) == b'\n' {
                end - 1
            } else {
                end
            };
            return Piece {
                kind: PieceKind::Meta,
                start,
                body,
                end,
                body_end,
                unterminated: false,
            };
        }
        if self.dialect == Dialect::MySql && self.starts_word(body, b"DELIMITER") {
            let end = self.line_end(body);
            let line = &self.b[body + 9..end];
            let d: Vec<u8> = line
                .iter()
                .copied()
                .skip_while(|c| c.is_ascii_whitespace())
                .take_while(|c| !c.is_ascii_whitespace())
                .collect();
            if !d.is_empty() {
                self.delimiter = d;
            }
            self.pos = end;
            return Piece {
                kind: PieceKind::Delimiter,
                start,
                body,
                end,
                body_end: end,
                unterminated: false,
            };
        }
        let (body_end, end, unterminated) = self.statement_end(body);
        self.pos = end.max(start + 1);
        let piece = Piece {
            kind: PieceKind::Statement,
            start,
            body,
            end: self.pos,
            body_end,
            unterminated,
        };
        self.after_statement(&piece);
        piece
    }

    fn starts_word(&self, i: usize, word: &[u8]) -> bool {
        let end = i + word.len();
        end <= self.b.len()
            && self.b[i..end].eq_ignore_ascii_case(word)
            && !is_ident_byte(self.at(end))
    }

    /// Scans one statement from `body`: (terminator offset, end offset, unterminated).
    fn statement_end(&self, body: usize) -> (usize, usize, bool) {
        let b = self.b;
        let mut i = body;
        let mut first_words: u8 = 0; // counts words seen, to recognise CREATE ... BEGIN ATOMIC
        let mut is_create = false;
        let mut prev_begin = false;
        let mut atomic_depth: u32 = 0;
        let delim = self.delimiter.as_slice();
        while i < b.len() {
            let c = b[i];
            if atomic_depth == 0 && c == delim[0] && b[i..].starts_with(delim) {
                return (i, i + delim.len(), false);
            }
            match c {
                b'\'' => {
                    let e = i > 0
                        && matches!(b[i - 1], b'E' | b'e')
                        && (i < 2 || !is_ident_byte(b[i - 2]));
                    let (j, closed) = self.quoted_end(i, b'\'', e || self.backslash_strings);
                    if !closed {
                        return (b.len(), b.len(), true);
                    }
                    i = j;
                }
                b'"' => {
                    let (j, closed) = self.quoted_end(i, b'"', self.dialect == Dialect::MySql);
                    if !closed {
                        return (b.len(), b.len(), true);
                    }
                    i = j;
                }
                b'`' if self.dialect == Dialect::MySql => {
                    let (j, closed) = self.quoted_end(i, b'`', false);
                    if !closed {
                        return (b.len(), b.len(), true);
                    }
                    i = j;
                }
                b'-' if self.at(i + 1) == b'-' => i = self.line_end(i),
                b'#' if self.dialect == Dialect::MySql => i = self.line_end(i),
                b'/' if self.at(i + 1) == b'*' && !self.mysql_conditional(i) => {
                    let (j, closed) = self.block_comment_end(i);
                    if !closed {
                        return (b.len(), b.len(), true);
                    }
                    i = j;
                }
                b'/' if self.at(i + 1) == b'*' => i += 3, // MySQL `/*!`: scan inside as code
                b'$' if self.dialect == Dialect::Postgres => match self.dollar_tag(i) {
                    Some(n) => {
                        let tag = &b[i..i + n];
                        match find(&b[i + n..], tag) {
                            Some(p) => i = i + n + p + n,
                            None => return (b.len(), b.len(), true),
                        }
                    }
                    None => i += 1,
                },
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let start = i;
                    while i < b.len() && is_ident_byte(b[i]) {
                        i += 1;
                    }
                    let w = &b[start..i];
                    if first_words == 0 {
                        is_create = w.eq_ignore_ascii_case(b"CREATE");
                    }
                    first_words = first_words.saturating_add(1);
                    if is_create {
                        if atomic_depth == 0 {
                            if prev_begin && w.eq_ignore_ascii_case(b"ATOMIC") {
                                atomic_depth = 1;
                            }
                        } else if w.eq_ignore_ascii_case(b"BEGIN")
                            || w.eq_ignore_ascii_case(b"CASE")
                        {
                            atomic_depth += 1;
                        } else if w.eq_ignore_ascii_case(b"END") {
                            atomic_depth -= 1;
                        }
                        prev_begin = w.eq_ignore_ascii_case(b"BEGIN");
                    }
                }
                _ => i += 1,
            }
        }
        (b.len(), b.len(), true)
    }

    /// Side effects of a finished statement: `COPY ... FROM stdin` data, string-escape mode.
    fn after_statement(&mut self, p: &Piece) {
        let sql = &self.b[p.body..p.body_end];
        if self.dialect == Dialect::Postgres
            && sql.len() > 4
            && sql[..4].eq_ignore_ascii_case(b"COPY")
            && ends_with_ci(trim_end(sql), b"stdin")
        {
            // The data starts on the next line and ends with a line holding `\.`.
            let mut i = self.line_end(self.pos);
            if i == self.pos {
                return;
            }
            let data_start = self.pos;
            loop {
                if i >= self.b.len() {
                    break;
                }
                let e = self.line_end(i);
                let line = trim_end(&self.b[i..e]);
                i = e;
                if line == b"\\." {
                    break;
                }
            }
            self.pending_copy = Some((data_start, i));
        }
        if sql.len() > 3 && sql[..3].eq_ignore_ascii_case(b"SET") {
            let lower = String::from_utf8_lossy(sql).to_ascii_lowercase();
            if lower.contains("standard_conforming_strings") {
                self.backslash_strings = lower.contains("off") || lower.contains("false");
            }
        }
    }
}

fn trim_end(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    &s[..n]
}

fn ends_with_ci(s: &[u8], suffix: &[u8]) -> bool {
    s.len() >= suffix.len() && s[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while let Some(p) = hay[i..].iter().position(|&c| c == first) {
        let at = i + p;
        if hay[at..].starts_with(needle) {
            return Some(at);
        }
        i = at + 1;
        if i + needle.len() > hay.len() {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stmts(text: &str) -> Vec<&str> {
        split(text, Dialect::Postgres)
            .iter()
            .filter(|p| p.kind == PieceKind::Statement)
            .map(|p| p.sql(text))
            .collect()
    }

    fn rejoin(text: &str, d: Dialect) -> String {
        split(text, d)
            .iter()
            .map(|p| &text[p.start..p.end])
            .collect()
    }

    #[test]
    fn quotes_comments_and_dollar_bodies() {
        let text = "SELECT 'a;''b'; /* x; /* nested; */ y; */ SELECT E'c\\';d';\n\
                    CREATE FUNCTION f() RETURNS int AS $fn$ select 1; $$ $fn$ LANGUAGE sql;\n\
                    SELECT \"we;ird\" -- c;\n FROM t;";
        assert_eq!(
            stmts(text),
            vec![
                "SELECT 'a;''b'",
                "SELECT E'c\\';d'",
                "CREATE FUNCTION f() RETURNS int AS $fn$ select 1; $$ $fn$ LANGUAGE sql",
                "SELECT \"we;ird\" -- c;\n FROM t",
            ]
        );
    }

    #[test]
    fn psql_lines_copy_data_and_atomic_bodies() {
        let text = "\\restrict abc\nSET x = 1;\nCOPY t (a) FROM stdin;\n1;2\n\\.\n\
                    CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;\n\
                    \\unrestrict abc\n";
        let pieces = split(text, Dialect::Postgres);
        let kinds: Vec<PieceKind> = pieces.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            vec![
                PieceKind::Meta,
                PieceKind::Statement,
                PieceKind::Statement,
                PieceKind::CopyData,
                PieceKind::Statement,
                PieceKind::Meta,
            ]
        );
        assert!(pieces[4].sql(text).ends_with("SELECT 2; END"));
        assert_eq!(rejoin(text, Dialect::Postgres), text);
    }

    #[test]
    fn old_dumps_escape_backslashes_in_plain_strings() {
        let text = "SET standard_conforming_strings = off;\nSELECT 'a\\';b';\nSELECT 1;";
        assert_eq!(stmts(text)[1], "SELECT 'a\\';b'");
        assert_eq!(stmts(text).len(), 3);
    }

    #[test]
    fn mysql_delimiter() {
        let text = "DELIMITER ;;\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET a = 1; END ;;\nDELIMITER ;\nSELECT 1;";
        let pieces = split(text, Dialect::MySql);
        let st: Vec<&str> = pieces
            .iter()
            .filter(|p| p.kind == PieceKind::Statement)
            .map(|p| p.sql(text))
            .collect();
        assert_eq!(st.len(), 2);
        assert!(st[0].ends_with("END "));
        assert_eq!(rejoin(text, Dialect::MySql), text);
    }

    #[test]
    fn unterminated_input_is_one_piece() {
        for text in [
            "SELECT 'abc",
            "SELECT $a$ body",
            "/* never closed",
            "SELECT 1",
        ] {
            let pieces = split(text, Dialect::Postgres);
            assert_eq!(rejoin(text, Dialect::Postgres), text);
            assert!(pieces.len() == 1);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn spans_cover_any_input_exactly(text in ".{0,200}") {
            for d in [Dialect::Postgres, Dialect::MySql] {
                let pieces = split(&text, d);
                let mut at = 0;
                for p in &pieces {
                    prop_assert_eq!(p.start, at);
                    prop_assert!(p.end > p.start);
                    prop_assert!(p.start <= p.body && p.body <= p.body_end && p.body_end <= p.end);
                    at = p.end;
                }
                prop_assert_eq!(at, text.len());
            }
        }

        #[test]
        fn spans_cover_sql_like_input_exactly(parts in proptest::collection::vec(
            prop_oneof![
                Just("'"), Just("''"), Just("E'"), Just("\\"), Just("\""), Just("$$"), Just("$a$"),
                Just("/*"), Just("*/"), Just("--"), Just("\n"), Just(";"), Just("COPY t FROM stdin"),
                Just("\\."), Just("BEGIN ATOMIC"), Just("CREATE"), Just("END"), Just("CASE"), Just(" "),
                Just("x"), Just("DELIMITER ;;"), Just(";;"), Just("`"), Just("#"), Just("é"),
            ],
            0..60,
        )) {
            let text: String = parts.concat();
            for d in [Dialect::Postgres, Dialect::MySql] {
                let joined = rejoin(&text, d);
                prop_assert_eq!(&joined, &text);
            }
        }
    }
}
