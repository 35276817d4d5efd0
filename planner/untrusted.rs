//! Text from the inputs (table and column names, paths, messages built from them) made safe for
//! a person to read: the one place that decides which characters may not reach a reader raw.
//!
//! A name in a dump may hold any character. Printed as it is, a terminal escape sequence
//! (`ESC [ 2 J`) clears the screen or recolours what follows, an 8-bit control (U+009B is CSI
//! on some terminals) does the same, and a bidirectional override (U+202E) or isolate makes the
//! text that follows read in another order than it is stored: a report, `plan.md` or a comment
//! in a generated file could then show a reviewer something other than what is there. Each such
//! character is written visibly instead, as `\u{1b}`:
//!
//! * the C0 controls U+0000 to U+001F except the tab, DEL (U+007F) and the C1 controls U+0080 to
//!   U+009F;
//! * the bidirectional marks, embeddings, overrides and isolates: U+061C, U+200E, U+200F,
//!   U+202A to U+202E, U+2066 to U+2069;
//! * the line and paragraph separators U+2028 and U+2029 (line breaks in some languages).
//!
//! Generated SQL never goes through here: identifiers are quoted exactly by [`crate::ident`], so
//! a script names the very table the dump does. Machine formats (JSON, SARIF) keep the text as
//! it is, escaped by their own syntax.
//!
//! ```
//! use silo_plan::untrusted::escape;
//!
//! assert_eq!(escape("orders"), "orders");
//! assert_eq!(escape("ev\x1b[31mil\u{202e}"), "ev\\u{1b}[31mil\\u{202e}");
//! ```

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Whether `c` may not reach a reader as it is (see the module documentation).
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{a}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// Whether some character of `s` may be unsafe, from its bytes: `false` means every character
/// is safe. Every unsafe character is a byte below 0x20 (but the tab) or 0x7F, or starts with
/// 0xC2 (U+0080 to U+009F), 0xD8 (U+061C) or 0xE2 (U+2000 to U+2FFF); nearly every name has
/// none of these.
fn may_be_unsafe(s: &str) -> bool {
    s.bytes()
        .any(|b| (b < 0x20 && b != b'\t') || matches!(b, 0x7f | 0xc2 | 0xd8 | 0xe2))
}

/// `s` with every unsafe character written as `\u{hex}`; borrowed when there is none.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_but(s, &[])
}

/// [`escape`], keeping the characters of `keep` (`'\n'` for a message of several lines).
pub fn escape_but<'s>(s: &'s str, keep: &[char]) -> Cow<'s, str> {
    if !may_be_unsafe(s) || !s.chars().any(|c| is_unsafe(c) && !keep.contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) && !keep.contains(&c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`escape`] written into `out` (no intermediate `String`).
pub fn write_escaped<W: fmt::Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    if !may_be_unsafe(s) {
        return out.write_str(s);
    }
    let mut rest = s;
    while let Some((i, c)) = rest.char_indices().find(|&(_, c)| is_unsafe(c)) {
        out.write_str(&rest[..i])?;
        write!(out, "\\u{{{:x}}}", c as u32)?;
        rest = &rest[i + c.len_utf8()..];
    }
    out.write_str(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_characters_are_escaped_visibly() {
        let raw = "a\x1b[2J\x07b\u{9b}c\u{202e}d\u{2066}e\u{200f}f\u{61c}g\u{2028}h\ni\x7fj";
        let want = "a\\u{1b}[2J\\u{7}b\\u{9b}c\\u{202e}d\\u{2066}e\\u{200f}f\\u{61c}g\\u{2028}h\\u{a}i\\u{7f}j";
        assert_eq!(escape(raw), want);
        let mut w = String::new();
        write_escaped(&mut w, raw).expect("writing to a String");
        assert_eq!(w, want);
        assert_eq!(escape_but("a\nb\x1b", &['\n']), "a\nb\\u{1b}");
    }

    #[test]
    fn safe_text_is_borrowed() {
        for s in ["orders", "tab\there", "é ü ß → ✗ 日本", "€ – — ‘’ “”", ""]
        {
            assert!(matches!(escape(s), Cow::Borrowed(_)), "{s:?}");
            let mut w = String::new();
            write_escaped(&mut w, s).expect("writing to a String");
            assert_eq!(w, s);
        }
    }

    /// The byte pre-check never lets an unsafe character through: every character of the
    /// ranges involved is tried.
    #[test]
    fn the_byte_check_covers_every_unsafe_character() {
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let s = c.to_string();
            if is_unsafe(c) {
                assert!(may_be_unsafe(&s), "{c:?}");
                assert_ne!(escape(&s), s, "{c:?}");
            } else {
                assert_eq!(escape(&s), s, "{c:?}");
            }
        }
    }
}
