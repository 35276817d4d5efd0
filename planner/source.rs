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
        }
    }

    /// 1-based line of a byte offset (offsets past the end map to the last line).
    pub fn line_of(&self, offset: usize) -> u32 {
        match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }

    /// 1-based column (in characters) of a byte offset.
    pub fn column_of(&self, offset: usize) -> u32 {
        let line = self.line_of(offset) as usize;
        let start = self.line_starts[line - 1] as usize;
        let end = offset.min(self.text.len());
        self.text
            .get(start..end)
            .map_or(1, |s| s.chars().count() as u32 + 1)
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
