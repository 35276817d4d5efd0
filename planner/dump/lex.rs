//! A small tokenizer for the recognizers and for classifying statements by their first words.
//!
//! Much cheaper than sqlparser's tokenizer: it borrows from the statement text, folds nothing
//! until asked, and can stop after the first few tokens. Tokens carry byte offsets into the
//! statement so a recognizer can cut original text (a default expression, a function body) out.

/// A token kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// A bare word (keyword or unquoted identifier).
    Word,
    /// A double-quoted identifier.
    Quoted,
    /// A string constant (`'...'`, `E'...'`).
    Str,
    /// A dollar-quoted string.
    Dollar,
    /// A number.
    Number,
    /// A punctuation or operator character.
    Punct(u8),
}

/// A token: kind and byte range in the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Kind.
    pub kind: Tok,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// Tokens of one statement with access helpers.
pub struct Tokens<'a> {
    /// The statement text.
    pub text: &'a str,
    /// Tokens in order.
    pub toks: Vec<Token>,
}

fn ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// Tokenizes at most `limit` tokens of `text` (comments and whitespace skipped).
pub fn tokenize(text: &str, limit: usize, backslash_strings: bool) -> Tokens<'_> {
    let b = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    while i < b.len() && toks.len() < limit {
        let c = b[i];
        let start = i;
        let kind;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c == b'-' && at(i + 1) == b'-' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        } else if c == b'/' && at(i + 1) == b'*' {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && at(i + 1) == b'*' {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && at(i + 1) == b'/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            continue;
        } else if (c == b'E' || c == b'e') && at(i + 1) == b'\'' {
            i = quoted(b, i + 1, b'\'', true);
            kind = Tok::Str;
        } else if c == b'\'' {
            i = quoted(b, i, b'\'', backslash_strings);
            kind = Tok::Str;
        } else if c == b'"' {
            i = quoted(b, i, b'"', false);
            kind = Tok::Quoted;
        } else if c == b'$' && !at(i + 1).is_ascii_digit() {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
                j += 1;
            }
            if at(j) == b'$' {
                let tag = &b[i..=j];
                let rest = &b[j + 1..];
                i = match rest.windows(tag.len()).position(|w| w == tag) {
                    Some(p) => j + 1 + p + tag.len(),
                    None => b.len(),
                };
                kind = Tok::Dollar;
            } else {
                i += 1;
                kind = Tok::Punct(b'$');
            }
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            kind = Tok::Number;
        } else if ident_byte(c) {
            while i < b.len() && ident_byte(b[i]) {
                i += 1;
            }
            kind = Tok::Word;
        } else {
            i += 1;
            kind = Tok::Punct(c);
        }
        toks.push(Token {
            kind,
            start,
            end: i,
        });
    }
    Tokens { text, toks }
}

fn quoted(b: &[u8], open: usize, q: u8, backslash: bool) -> usize {
    let mut j = open + 1;
    while j < b.len() {
        if backslash && b[j] == b'\\' {
            j += 2;
        } else if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
            } else {
                return j + 1;
            }
        } else {
            j += 1;
        }
    }
    b.len()
}

impl<'a> Tokens<'a> {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.toks.len()
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }

    /// Raw text of token `i` ("" past the end).
    pub fn raw(&self, i: usize) -> &'a str {
        self.toks.get(i).map_or("", |t| &self.text[t.start..t.end])
    }

    /// True when token `i` is the bare word `w` (case-insensitive).
    pub fn is(&self, i: usize, w: &str) -> bool {
        self.toks
            .get(i)
            .is_some_and(|t| t.kind == Tok::Word && self.raw(i).eq_ignore_ascii_case(w))
    }

    /// True when tokens from `i` are the bare words `ws`.
    pub fn are(&self, i: usize, ws: &[&str]) -> bool {
        ws.iter().enumerate().all(|(k, w)| self.is(i + k, w))
    }

    /// True when token `i` is the punctuation `c`.
    pub fn punct(&self, i: usize, c: u8) -> bool {
        self.toks.get(i).is_some_and(|t| t.kind == Tok::Punct(c))
    }

    /// Kind of token `i`.
    pub fn kind(&self, i: usize) -> Option<Tok> {
        self.toks.get(i).map(|t| t.kind)
    }

    /// Token `i` as an identifier: unquoted words fold to lowercase, quoted ones keep case.
    pub fn ident(&self, i: usize) -> Option<String> {
        let t = self.toks.get(i)?;
        match t.kind {
            Tok::Word => Some(self.raw(i).to_lowercase()),
            Tok::Quoted => {
                // After the opening quote; the closing one is there when the text ends in an odd
                // run of quotes (`""` is a quote inside the name). An unterminated name (at the
                // end of a file) keeps all its characters, and is never cut inside one.
                let body = self.raw(i).get(1..).unwrap_or("");
                let trailing = body.len() - body.trim_end_matches('"').len();
                let inner = if trailing % 2 == 1 {
                    &body[..body.len() - 1]
                } else {
                    body
                };
                Some(inner.replace("\"\"", "\""))
            }
            _ => None,
        }
    }

    /// Token `i` as a string constant's value.
    pub fn string(&self, i: usize) -> Option<String> {
        let t = self.toks.get(i)?;
        let r = self.raw(i);
        match t.kind {
            Tok::Str => {
                let (body, esc) = if r.starts_with(['E', 'e']) {
                    (&r[1..], true)
                } else {
                    (r, false)
                };
                let inner = body.get(1..body.len().saturating_sub(1)).unwrap_or("");
                let s = inner.replace("''", "'");
                Some(if esc {
                    s.replace("\\'", "'").replace("\\\\", "\\")
                } else {
                    s
                })
            }
            Tok::Dollar => {
                let tag_end = r[1..].find('$').map_or(0, |p| p + 2);
                Some(
                    r.get(tag_end..r.len().saturating_sub(tag_end))
                        .unwrap_or("")
                        .to_string(),
                )
            }
            _ => None,
        }
    }

    /// A possibly qualified name starting at `i`: its parts and the index after it.
    pub fn name(&self, i: usize) -> Option<(Vec<String>, usize)> {
        let mut parts = vec![self.ident(i)?];
        let mut j = i + 1;
        while self.punct(j, b'.') {
            parts.push(self.ident(j + 1)?);
            j += 2;
        }
        Some((parts, j))
    }

    /// Index of the token that closes the parenthesis opened at `open`.
    pub fn close_paren(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for j in open..self.toks.len() {
            match self.toks[j].kind {
                Tok::Punct(b'(') => depth += 1,
                Tok::Punct(b')') => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(j);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Original text from the start of token `a` to the end of token `b` (inclusive).
    pub fn slice(&self, a: usize, b: usize) -> &'a str {
        match (self.toks.get(a), self.toks.get(b)) {
            (Some(x), Some(y)) if y.end >= x.start => &self.text[x.start..y.end],
            _ => "",
        }
    }

    /// Splits the tokens strictly between `open` and `close` at top-level commas.
    pub fn comma_groups(&self, open: usize, close: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut start = open + 1;
        for j in open + 1..close {
            match self.toks[j].kind {
                Tok::Punct(b'(') | Tok::Punct(b'[') => depth += 1,
                Tok::Punct(b')') | Tok::Punct(b']') => depth = depth.saturating_sub(1),
                Tok::Punct(b',') if depth == 0 => {
                    if j > start {
                        out.push((start, j - 1));
                    }
                    start = j + 1;
                }
                _ => {}
            }
        }
        if close > start {
            out.push((start, close - 1));
        }
        out
    }

    /// Index of the first bare word `w` at or after `from`, at parenthesis depth 0.
    pub fn find_word(&self, from: usize, w: &str) -> Option<usize> {
        let mut depth = 0usize;
        for j in from..self.toks.len() {
            match self.toks[j].kind {
                Tok::Punct(b'(') => depth += 1,
                Tok::Punct(b')') => depth = depth.saturating_sub(1),
                Tok::Word if depth == 0 && self.is(j, w) => return Some(j),
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_names() {
        let t = tokenize(
            "ALTER SEQUENCE \"My\"\"Seq\".x OWNED BY public.t.id; -- c\n E'a\\'b' $f$x$f$",
            100,
            false,
        );
        assert!(t.are(0, &["alter", "sequence"]));
        let (parts, next) = t.name(2).unwrap();
        assert_eq!(parts, vec!["My\"Seq", "x"]);
        assert!(t.are(next, &["OWNED", "BY"]));
        let s = t.toks.len();
        assert_eq!(t.string(s - 2).unwrap(), "a'b");
        assert_eq!(t.string(s - 1).unwrap(), "x");
    }

    /// A quoted name cut off by the end of the file keeps every character it has; it used to
    /// lose its last byte, which panicked inside a multi-byte character (found by the fuzz run).
    #[test]
    fn unterminated_quoted_names() {
        for (text, want) in [
            ("\"é", "é"),
            ("\"ab", "ab"),
            ("\"a\"\"", "a\""),
            ("\"", ""),
            ("\"a\"\"b\"", "a\"b"),
            ("\"\"", ""),
        ] {
            let t = tokenize(text, 10, false);
            assert_eq!(t.ident(0).as_deref(), Some(want), "{text}");
        }
    }
}
