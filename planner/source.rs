//! Source files, byte spans and the line index.
//!
//! Owns the mapping from a byte offset in a dump to a 1-based line: computed once per file
//! (a sorted vector of line starts), so thousands of warnings never rescan the text.

use schemars::JsonSchema;
use serde::Serialize;

fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// One input file, read whole into memory.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as the user gave it (or as the config resolved it).
    pub path: String,
    /// The text, already checked to be UTF-8.
    pub text: String,
    line_starts: Vec<u32>,
    /// Byte offsets of the UTF-8 continuation bytes (empty for ASCII text), built on the first
    /// column asked for: a column is then found in logarithmic time however long its line.
    continuations: std::sync::OnceLock<Vec<u32>>,
}

impl SourceFile {
    /// Wraps a file's text and indexes its lines. A UTF-8 byte-order mark at the start is
    /// dropped: it is no part of the first statement (Postgres would reject a statement that
    /// starts with one), and every line and column is counted as an editor shows it, without.
    pub fn new(path: impl Into<String>, mut text: String) -> Self {
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let mut line_starts = Vec::with_capacity(text.len() / 40 + 1);
        line_starts.push(0u32);
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push((i + 1) as u32);
            }
        }
        SourceFile {
            path: path.into(),
            text,
            line_starts,
            continuations: std::sync::OnceLock::new(),
        }
    }

    /// 1-based line of a byte offset (offsets past the end map to the last line).
    pub fn line_of(&self, offset: usize) -> u32 {
        match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }

    /// 1-based column (in characters) of a byte offset (an offset inside a character counts
    /// as that character). Logarithmic in the file, not linear in the line: a config with
    /// 100,000 patterns on one line asks for 100,000 columns of it.
    pub fn column_of(&self, offset: usize) -> u32 {
        let mut end = offset.min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let line = self.line_of(end);
        let start = self.line_start(line);
        (end - start - self.continuations_in(start, end)) as u32 + 1
    }

    /// Byte offset of the start of a 1-based line (the end of the text past the last line).
    pub fn line_start(&self, line: u32) -> usize {
        let i = (line.max(1) - 1) as usize;
        self.line_starts
            .get(i)
            .map_or(self.text.len(), |&s| s as usize)
    }

    /// Byte offset of a 1-based character column of a 1-based line: the inverse of
    /// [`SourceFile::column_of`], clamped to the end of the line (before its line break).
    /// Logarithmic in the file, as `column_of`.
    pub fn offset_of_column(&self, line: u32, column: u32) -> usize {
        if line as usize > self.line_starts.len() {
            return self.text.len();
        }
        let start = self.line_start(line);
        let end = start + self.line_text(line).len();
        let m = column.max(1) as usize - 1;
        let conts = self.continuations();
        let lo = conts.partition_point(|&p| (p as usize) < start);
        let hi = conts.partition_point(|&p| (p as usize) < end);
        // The continuation byte `j` of the line belongs to character `q - j - 1` (q its offset
        // in the line): it lies before character `m` when `q - j <= m`, which is monotone in j.
        let line_conts = &conts[lo..hi];
        let (mut a, mut b) = (0, line_conts.len());
        while a < b {
            let j = (a + b) / 2;
            if line_conts[j] as usize - start - j <= m {
                a = j + 1;
            } else {
                b = j;
            }
        }
        (start + m + a).min(end)
    }

    /// The continuation bytes of the text, indexed on first use.
    fn continuations(&self) -> &[u32] {
        self.continuations.get_or_init(|| {
            if self.text.is_ascii() {
                return Vec::new();
            }
            self.text
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b & 0xC0 == 0x80)
                .map(|(i, _)| i as u32)
                .collect()
        })
    }

    /// How many continuation bytes lie in `start..end`.
    fn continuations_in(&self, start: usize, end: usize) -> usize {
        let conts = self.continuations();
        if conts.is_empty() {
            return 0;
        }
        conts.partition_point(|&p| (p as usize) < end)
            - conts.partition_point(|&p| (p as usize) < start)
    }

    /// The text of one 1-based line, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let i = (line.max(1) - 1) as usize;
        let start = self.line_starts.get(i).copied().unwrap_or(0) as usize;
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(self.text.len(), |&e| e as usize);
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum SourceError {
    /// The file could not be opened or read.
    Io {
        /// The path.
        path: String,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// The file is not UTF-8.
    NotUtf8 {
        /// The path.
        path: String,
        /// 1-based line of the first invalid byte.
        line: u32,
        /// 1-based byte column of the first invalid byte.
        column: u32,
    },
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Io { path, error } => write!(f, "cannot read {path}: {error}"),
            SourceError::NotUtf8 { path, line, column } => write!(
                f,
                "{path}:{line}:{column}: not valid UTF-8 (dump with `pg_dump --encoding=UTF8`, or convert it with iconv)"
            ),
        }
    }
}

impl std::error::Error for SourceError {}

impl SourceFile {
    /// Reads a file from disk, checking that it is UTF-8.
    pub fn load(path: &std::path::Path) -> Result<SourceFile, SourceError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| SourceError::Io {
            path: shown.clone(),
            error,
        })?;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::new(shown, text)),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let b = e.as_bytes();
                let line = b[..valid].iter().filter(|&&c| c == b'\n').count() as u32 + 1;
                let col_start = b[..valid]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |p| p + 1);
                Err(SourceError::NotUtf8 {
                    path: shown,
                    line,
                    column: (valid - col_start) as u32 + 1,
                })
            }
        }
    }
}

/// Where an object came from: file index (into the catalog's file list), byte range and line.
///
/// In JSON only `line` appears, and `file` when it is not the first file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, JsonSchema,
)]
pub struct Span {
    /// Index of the file in [`crate::catalog::Catalog::files`].
    #[serde(skip_serializing_if = "is_zero")]
    #[schemars(default)]
    pub file: u32,
    /// Byte offset of the first byte of the statement.
    #[serde(skip)]
    pub start: u32,
    /// Byte offset one past the last byte of the statement.
    #[serde(skip)]
    pub end: u32,
    /// 1-based line of the first byte.
    pub line: u32,
}

impl Span {
    /// The text this span covers in `file`.
    pub fn text<'a>(&self, file: &'a SourceFile) -> &'a str {
        &file.text[self.start as usize..self.end as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let f = SourceFile::new("x.sql", "ab\ncdé\n\nx".to_string());
        assert_eq!(f.line_of(0), 1);
        assert_eq!(f.line_of(2), 1);
        assert_eq!(f.line_of(3), 2);
        assert_eq!(f.line_of(8), 3);
        assert_eq!(f.line_of(9), 4);
        assert_eq!(f.column_of(5), 3);
        assert_eq!(f.line_text(2), "cdé");
        assert_eq!(f.line_text(4), "x");
    }

    /// Columns from the continuation index are the characters counted from the line start,
    /// and `offset_of_column` inverts them, on ASCII and multi-byte lines alike.
    #[test]
    fn columns_match_counting_characters() {
        let text = "ab\ncdé€x\n\n日本語 and ascii\n𝄞a\r\nlast";
        let f = SourceFile::new("x.sql", text.to_string());
        for offset in 0..=text.len() {
            if !text.is_char_boundary(offset) {
                continue;
            }
            let line = f.line_of(offset);
            let start = f.line_start(line);
            let want = text[start..offset].chars().count() as u32 + 1;
            assert_eq!(f.column_of(offset), want, "offset {offset}");
            if offset <= start + f.line_text(line).len() {
                assert_eq!(f.offset_of_column(line, want), offset, "offset {offset}");
            }
        }
        // Past the end of a line: its end, before the line break.
        assert_eq!(f.offset_of_column(2, 99), 3 + "cdé€x".len());
        assert_eq!(f.offset_of_column(5, 9), text.len() - "\r\nlast".len());
        // Inside a character: that character.
        assert_eq!(f.column_of(6), 3);
        let ascii = SourceFile::new("a.sql", "one\ntwo".to_string());
        assert_eq!(ascii.column_of(6), 3);
        assert_eq!(ascii.offset_of_column(2, 3), 6);
    }

    /// A byte-order mark is not text: the first line starts after it, at column 1.
    #[test]
    fn byte_order_mark_is_dropped() {
        let f = SourceFile::new(
            "x.sql",
            "\u{feff}SET a = 1;\nCREATE TABLE t ();\n".to_string(),
        );
        assert_eq!(f.text, "SET a = 1;\nCREATE TABLE t ();\n");
        assert_eq!(f.line_of(0), 1);
        assert_eq!(f.column_of(0), 1);
        assert_eq!(f.line_of(11), 2);
        assert_eq!(f.line_text(1), "SET a = 1;");
        // Only at the start: elsewhere it is a character of the text.
        let g = SourceFile::new("y.sql", "a\u{feff}".to_string());
        assert_eq!(g.text, "a\u{feff}");
    }
}
