//! SQL `--` comments wrapped to a width: the one place generated scripts lay out prose.
//!
//! Comment text passes through [`crate::ident::comment_text`] rules (a line break in a name
//! cannot end the comment, a terminal escape or bidirectional override is written visibly),
//! words are never split, and continuation lines are indented. The
//! functions append to one `String`, or ([`write_comment`], [`write_comment_in`] with a margin
//! before each line) write straight into a template's output (the scripts hold thousands of
//! comment lines; one buffer per block instead of one per line, and no block at all where a
//! script is written directly, is what keeps `plan` within its time budget).

/// Appends `text` as `--` comment lines to `out`, each ending in `\n`, wrapped at `width`
/// columns; continuation lines are indented by `indent` spaces after the `--`; leading spaces of
/// `text` are kept on the first line. With `keep_labels`, a short first word (a list number, a
/// label: at most 4 characters) is never left alone on its line.
pub fn push_comment(out: &mut String, text: &str, indent: usize, width: usize, keep_labels: bool) {
    out.reserve(text.len() + text.len() / 16 + 8);
    // Writing to a String cannot fail.
    let _ = write_comment(out, text, indent, width, keep_labels);
}

/// [`push_comment`] into any writer (a template's output, written once: no block of its own to
/// copy in).
pub fn write_comment<W: std::fmt::Write + ?Sized>(
    out: &mut W,
    text: &str,
    indent: usize,
    width: usize,
    keep_labels: bool,
) -> std::fmt::Result {
    write_comment_in(out, "", text, indent, width, keep_labels)
}

/// [`write_comment`] with `margin` before the `--` of every line (a comment inside a function
/// body); `width` counts from the `--`.
pub fn write_comment_in<W: std::fmt::Write + ?Sized>(
    out: &mut W,
    margin: &str,
    text: &str,
    indent: usize,
    width: usize,
    keep_labels: bool,
) -> std::fmt::Result {
    // Terminal escapes and bidirectional overrides in names are written visibly (line breaks
    // separate words, as spaces do); laid out as they are shown.
    let escaped = crate::untrusted::escape_but(text, &['\n', '\r']);
    let text: &str = &escaped;
    let bytes = text.as_bytes();
    let lead = bytes
        .iter()
        .position(|&b| !is_sep(b))
        .unwrap_or(bytes.len());
    out.write_str(margin)?;
    out.write_str("--")?;
    write_spaces(out, lead)?;
    let line = Line {
        margin,
        indent,
        width,
        keep_labels,
    };
    if lead < bytes.len() && one_space_apart(&bytes[lead..]) {
        line.words_one_space_apart(out, text, lead)?;
    } else {
        line.any_words(out, text, lead)?;
    }
    out.write_char('\n')
}

/// What separates words in a comment's text.
fn is_sep(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r')
}

/// Whether `rest` (which starts with a word) is words one space apart: no line break, no two
/// spaces in a row, no space at the end. Most comment texts are; [`Line::words_one_space_apart`]
/// lays them out a line at a time.
fn one_space_apart(rest: &[u8]) -> bool {
    memchr::memchr2(b'\n', b'\r', rest).is_none()
        && memchr::memmem::find(rest, b"  ").is_none()
        && rest.last() != Some(&b' ')
}

/// How [`write_comment_in`] lays out lines after the first line's `--`.
struct Line<'m> {
    margin: &'m str,
    indent: usize,
    width: usize,
    keep_labels: bool,
}

impl Line<'_> {
    /// A line break and the next line's `--` and indent.
    fn next<W: std::fmt::Write + ?Sized>(&self, out: &mut W) -> std::fmt::Result {
        out.write_char('\n')?;
        out.write_str(self.margin)?;
        out.write_str("--")?;
        write_spaces(out, self.indent)
    }

    /// The words of `text[from..]`, any separators between them, word by word.
    fn any_words<W: std::fmt::Write + ?Sized>(
        &self,
        out: &mut W,
        text: &str,
        from: usize,
    ) -> std::fmt::Result {
        // Bytes on the current line so far.
        let mut line_len = 2 + from;
        let mut words = 0;
        let mut first_len = 0;
        let bytes = text.as_bytes();
        // Words placed on the line but not written yet: `text[run.0..run.1]`, written after a
        // space. Words one space apart in `text` join the run, so a line is usually written
        // in one piece rather than word by word.
        let mut run: Option<(usize, usize)> = None;
        let mut i = from;
        loop {
            while i < bytes.len() && is_sep(bytes[i]) {
                i += 1;
            }
            if i == bytes.len() {
                break;
            }
            let word = i;
            while i < bytes.len() && !is_sep(bytes[i]) {
                i += 1;
            }
            // Both ends are at ASCII bytes (or the end), so these are char boundaries.
            let len = i - word;
            let lone_label = self.keep_labels && words == 1 && first_len <= 4;
            if words > 0 && !lone_label && line_len + 1 + len > self.width {
                flush(out, text, run.take())?;
                self.next(out)?;
                line_len = 2 + self.indent;
                words = 0;
            }
            run = match run {
                Some((start, end)) if end + 1 == word && bytes[end] == b' ' => Some((start, i)),
                other => {
                    flush(out, text, other)?;
                    Some((word, i))
                }
            };
            line_len += 1 + len;
            if words == 0 {
                first_len = len;
            }
            words += 1;
        }
        flush(out, text, run)
    }

    /// [`any_words`](Self::any_words) of a text whose words from `from` on are one space
    /// apart ([`one_space_apart`]), a line at a time: words from `p` to a space at `e` take
    /// `e - p + 1` bytes after the `--` and indent, so a line ends at the last space within
    /// the width (after its first word, and after the second when the first is a lone label).
    fn words_one_space_apart<W: std::fmt::Write + ?Sized>(
        &self,
        out: &mut W,
        text: &str,
        from: usize,
    ) -> std::fmt::Result {
        let bytes = text.as_bytes();
        let len = bytes.len();
        let word_end = |at: usize| memchr::memchr(b' ', &bytes[at..]).map_or(len, |k| at + k);
        let (mut p, mut taken) = (from, 2 + from);
        loop {
            let first = word_end(p);
            let at_least = if self.keep_labels && first - p <= 4 && first < len {
                word_end(first + 1)
            } else {
                first
            };
            // The last end `e` with `taken + (e - p) + 1 <= width`.
            let end = match (p + self.width).checked_sub(taken + 1) {
                Some(limit) if limit >= len => len,
                Some(limit) if limit > p => memchr::memrchr(b' ', &bytes[p..=limit])
                    .map_or(at_least, |k| (p + k).max(at_least)),
                _ => at_least,
            };
            out.write_char(' ')?;
            // `end` is at a space or the end: a char boundary.
            out.write_str(&text[p..end])?;
            if end == len {
                return Ok(());
            }
            self.next(out)?;
            p = end + 1;
            taken = 2 + self.indent;
        }
    }
}

/// Writes a run of [`write_comment`]: a space, then `text[start..end]`.
fn flush<W: std::fmt::Write + ?Sized>(
    out: &mut W,
    text: &str,
    run: Option<(usize, usize)>,
) -> std::fmt::Result {
    match run {
        Some((start, end)) => {
            out.write_char(' ')?;
            out.write_str(&text[start..end])
        }
        None => Ok(()),
    }
}

/// [`push_comment`] as a block of its own.
pub fn comment_block(text: &str, indent: usize, width: usize, keep_labels: bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8 + 16);
    push_comment(&mut out, text, indent, width, keep_labels);
    out
}

/// [`push_comment`] as one `String` per line (no `\n`), for templates that list lines.
pub fn comment_lines(text: &str, indent: usize, width: usize, keep_labels: bool) -> Vec<String> {
    comment_block(text, indent, width, keep_labels)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Comment lines kept as one block, each line ending in `\n` (one buffer instead of one
/// `String` per line); templates iterate its lines as they would a `Vec<String>`.
#[derive(Debug, Default, Clone)]
pub struct Lines(String);

impl Lines {
    /// [`push_comment`] into this block.
    pub fn new_comment(text: &str, indent: usize, width: usize, keep_labels: bool) -> Lines {
        Lines(comment_block(text, indent, width, keep_labels))
    }

    /// [`push_comment`] onto the end of this block (no block of its own to copy in).
    pub fn push_comment(&mut self, text: &str, indent: usize, width: usize, keep_labels: bool) {
        push_comment(&mut self.0, text, indent, width, keep_labels);
    }

    /// Appends one line (a `\n` inside it starts another, as it would when printed).
    pub fn push(&mut self, line: impl AsRef<str>) {
        self.0.push_str(line.as_ref());
        self.0.push('\n');
    }

    /// Appends the lines of `other`.
    pub fn append(&mut self, other: Lines) {
        if self.0.is_empty() {
            self.0 = other.0;
        } else {
            self.0.push_str(&other.0);
        }
    }

    /// Every line with `prefix` before it.
    pub fn prefixed(&self, prefix: &str) -> Lines {
        let mut out = String::with_capacity(self.0.len() + self.0.len() / 8 + prefix.len());
        for l in self.iter() {
            out.push_str(prefix);
            out.push_str(l);
            out.push('\n');
        }
        Lines(out)
    }

    /// The whole block, every line ending in `\n` (empty when there are no lines): what a
    /// template prints by writing each line of [`Lines::iter`] and a `\n`, in one write.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lines, without their `\n`.
    pub fn iter(&self) -> std::str::SplitTerminator<'_, char> {
        self.0.split_terminator('\n')
    }
}

/// Text written into the block as it is (lines end where it has a `\n`).
impl std::fmt::Write for Lines {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.push_str(s);
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Lines {
    type Item = &'a str;
    type IntoIter = std::str::SplitTerminator<'a, char>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

fn write_spaces<W: std::fmt::Write + ?Sized>(out: &mut W, n: usize) -> std::fmt::Result {
    const SPACES: &str = "                                ";
    let mut n = n;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.write_str(&SPACES[..k])?;
        n -= k;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line-at-a-time layout of words one space apart is the word-by-word one: every text
    /// of short and long words (labels, numbers, non-ASCII, words wider than the line) from a
    /// fixed pseudo-random sequence, at many widths and indents, with and without labels.
    #[test]
    fn words_one_space_apart_are_laid_out_as_word_by_word() {
        let words = [
            "1.",
            "a",
            "ab",
            "abcd",
            "abcde",
            "é",
            "ünïcode",
            "public.t_00001",
            "(a)",
            "x",
            "a_rather_long_identifier_that_will_not_fit_on_any_line_at_all",
            "--",
            "$1",
            "…",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut checked = 0;
        for _ in 0..3000 {
            let count = 1 + next(30);
            let mut text = " ".repeat(next(3));
            for k in 0..count {
                if k > 0 {
                    text.push(' ');
                }
                text.push_str(words[next(words.len())]);
            }
            let lead = text.len() - text.trim_start().len();
            assert!(one_space_apart(&text.as_bytes()[lead..]), "{text:?}");
            for width in [1, 2, 5, 12, 20, 40, 100] {
                for indent in [0, 3] {
                    for keep_labels in [false, true] {
                        let line = Line {
                            margin: "  ",
                            indent,
                            width,
                            keep_labels,
                        };
                        let (mut fast, mut slow) = (String::new(), String::new());
                        line.words_one_space_apart(&mut fast, &text, lead).unwrap();
                        line.any_words(&mut slow, &text, lead).unwrap();
                        assert_eq!(fast, slow, "{text:?} {width} {indent} {keep_labels}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 3000 * 7 * 2 * 2);
        // What is not one space apart goes word by word.
        for text in ["a  b", "a\nb", "a\rb", "a b "] {
            assert!(!one_space_apart(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn wraps_at_the_width_and_indents_continuations() {
        let got = comment_block("alpha beta gamma delta", 4, 16, false);
        assert_eq!(got, "-- alpha beta\n--     gamma\n--     delta\n");
    }

    #[test]
    fn line_breaks_in_text_cannot_end_the_comment() {
        assert_eq!(
            comment_block("a\nDROP TABLE x;\r\nb", 0, 100, false),
            "-- a DROP TABLE x; b\n"
        );
    }

    #[test]
    fn terminal_escapes_and_overrides_are_written_visibly() {
        assert_eq!(
            comment_block("drop \x1b[2Jt\u{202e}x\nnext", 0, 100, false),
            "-- drop \\u{1b}[2Jt\\u{202e}x next\n"
        );
    }

    #[test]
    fn a_short_label_keeps_its_first_word() {
        // Without the rule, " 12." would stand alone on the first line.
        let long = "x".repeat(30);
        assert_eq!(
            comment_lines(&format!(" 12. {long}"), 5, 20, true),
            vec![format!("--  12. {long}")]
        );
        assert_eq!(
            comment_lines(&format!(" 12. {long}"), 5, 20, false),
            vec!["--  12.".to_string(), format!("--      {long}")]
        );
    }

    /// What [`write_comment`] writes, word by word (how it was written before runs).
    fn word_by_word(text: &str, indent: usize, width: usize, keep_labels: bool) -> String {
        let lead = text.len() - text.trim_start_matches([' ', '\n', '\r']).len();
        let mut out = format!("--{}", " ".repeat(lead));
        let mut start = 0;
        let mut words = 0;
        let mut first_len = 0;
        for word in text.split([' ', '\n', '\r']).filter(|w| !w.is_empty()) {
            let lone_label = keep_labels && words == 1 && first_len <= 4;
            if words > 0 && !lone_label && out.len() - start + 1 + word.len() > width {
                out.push('\n');
                start = out.len();
                out.push_str("--");
                out.push_str(&" ".repeat(indent));
                words = 0;
            }
            out.push(' ');
            out.push_str(word);
            if words == 0 {
                first_len = word.len();
            }
            words += 1;
        }
        out.push('\n');
        out
    }

    #[test]
    fn runs_write_what_words_do() {
        let long = "x".repeat(30);
        for text in [
            "",
            "  ",
            "one",
            "  lead and  two  spaces\nline\r\nbreaks  ",
            "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu",
            &format!(" 12. {long} {long} a b"),
            &format!("{long}{long}{long} tail"),
            "é ü ß words with accents, é",
        ] {
            for (indent, width, keep) in
                [(0, 100, false), (4, 16, false), (5, 20, true), (2, 3, true)]
            {
                assert_eq!(
                    comment_block(text, indent, width, keep),
                    word_by_word(text, indent, width, keep),
                    "{text:?} {indent} {width} {keep}"
                );
            }
        }
    }

    #[test]
    fn a_margin_goes_before_every_line() {
        let text = "alpha beta gamma delta epsilon zeta eta theta";
        for (indent, width) in [(0, 100), (4, 16), (2, 3)] {
            let mut got = String::new();
            write_comment_in(&mut got, "    ", text, indent, width, false).unwrap();
            let want: String = comment_block(text, indent, width, false)
                .lines()
                .map(|l| format!("    {l}\n"))
                .collect();
            assert_eq!(got, want, "{indent} {width}");
        }
    }

    #[test]
    fn empty_text_is_one_empty_comment_line() {
        assert_eq!(comment_block("", 0, 100, false), "--\n");
    }
}
