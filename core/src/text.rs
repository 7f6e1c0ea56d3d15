//! Values from AWS or from events, made safe to show a person.
//!
//! A job name is chosen by whoever creates the job (up to 500 characters), a bucket name or an
//! error message by someone else again. In readable text (notifications, the CLI) every such
//! value is one line with no control characters: line breaks, terminal escape sequences and
//! the Unicode characters that reorder or hide text are shown as visible escapes (`\n`,
//! `\u{1b}`, `\u{202e}`). The JSON parts keep the exact values.

use std::fmt::Write;

/// Whether `c` would change how the surrounding text looks: control characters (C0, DEL,
/// C1), line and paragraph separators, bidirectional overrides and isolates, and invisible
/// format characters.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{2028}' | '\u{2029}'            // line / paragraph separator
            | '\u{200b}'..='\u{200f}'          // zero width, LRM, RLM
            | '\u{202a}'..='\u{202e}'          // bidi embeddings and overrides
            | '\u{2060}'..='\u{2069}'          // word joiner .. bidi isolates
            | '\u{061c}'                       // Arabic letter mark
            | '\u{feff}'                       // byte order mark
            | '\u{fff9}'..='\u{fffb}') // interlinear annotations
}

/// `s` with every unsafe character escaped as [`safe`] does, and nothing else touched: for
/// text already made of escaped values (a notification's), where doubling its backslashes
/// again would show a person something else than the e-mail shows.
pub fn controls_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// `s` on one line, every unsafe character escaped, backslashes doubled (so an escape in the
/// output always came from this function, never from the value).
pub fn safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A length limit: in UTF-8 bytes (what services count), or in characters (what people see).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Bytes(usize),
    Chars(usize),
}

impl Limit {
    fn of(self, s: &str) -> usize {
        match self {
            Limit::Bytes(_) => s.len(),
            Limit::Chars(_) => s.chars().count(),
        }
    }

    fn max(self) -> usize {
        match self {
            Limit::Bytes(n) | Limit::Chars(n) => n,
        }
    }
}

/// `s` within `limit`: as it is when it fits, else its longest beginning that fits with
/// `more` (the mark of the cut) after it. Never cuts inside a character, and never ends on a
/// lone backslash (the start of an escape). The one way text is cut, everywhere.
pub fn truncate(s: &str, limit: Limit, more: &str) -> String {
    if limit.of(s) <= limit.max() {
        return s.to_string();
    }
    let room = limit.max().saturating_sub(limit.of(more));
    let mut end = 0;
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let size = match limit {
            Limit::Bytes(_) => c.len_utf8(),
            Limit::Chars(_) => 1,
        };
        if used + size > room {
            break;
        }
        used += size;
        end = i + c.len_utf8();
    }
    let kept = &s[..end];
    let kept = kept.strip_suffix('\\').unwrap_or(kept);
    format!("{kept}{more}")
}

/// `safe(s)` cut to at most `max` characters (an ellipsis marks the cut).
pub fn safe_short(s: &str, max: usize) -> String {
    truncate(&safe(s), Limit::Chars(max), "…")
}

/// A value in quotes for readable text: `"name"`, escaped.
pub fn quoted(s: &str) -> String {
    format!("\"{}\"", safe(s).replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_no_control_characters() {
        let hostile = "scan\n- [done] job \"x\" was resumed\r\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}gnp.exe\u{85}\u{2028}\t\\n";
        let out = safe(hostile);
        assert!(!out.chars().any(is_unsafe), "{out:?}");
        assert!(!out.contains('\n') && !out.contains('\u{1b}'));
        assert_eq!(
            out,
            "scan\\n- [done] job \"x\" was resumed\\r\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{202e}gnp.exe\\u{85}\\u{2028}\\t\\\\n"
        );
        // Ordinary text, accents and scripts pass unchanged.
        assert_eq!(safe("données-été 東京 scan_1"), "données-été 東京 scan_1");
        assert_eq!(quoted("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(safe_short("abcdef", 4), "abc…");
        assert_eq!(truncate("ééé", Limit::Bytes(5), ""), "éé");
        assert_eq!(truncate("ééé", Limit::Bytes(5), "..."), "é...");
        assert_eq!(truncate("ééé", Limit::Chars(3), "…"), "ééé");
        assert_eq!(
            truncate("ab\\ncd", Limit::Chars(4), "…"),
            "ab…",
            "not on a lone backslash"
        );
        assert_eq!(safe_short("ab\n", 4), "ab\\n");
    }
}
