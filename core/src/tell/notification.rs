//! A message for people, as plain data: readable text first, the same facts as JSON after
//! it, fitted to SNS's limits. Delivery is the adapters' business.

use serde::Serialize;
use serde_json::Value;

use crate::severity::Severity;
use crate::text::{truncate, Limit};

/// A message for people: readable text first, the same facts as JSON after it.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// The subject (SNS's is fitted by [`sns_subject`](Self::sns_subject)).
    pub subject: String,
    pub text: String,
    pub facts: Value,
    /// What it is about: `expiry`, `export`.
    pub kind: &'static str,
    pub severity: Severity,
    /// What the message continues (chat threads): `macie-guard/<kind>/<account>[/<region>]`.
    pub thread: String,
    /// What people can do, one step each (chat's next steps).
    pub next_steps: Vec<String>,
    /// The ARNs it is about.
    pub resources: Vec<String>,
    /// What a chat channel's buttons read from the message (its custom notification's
    /// `metadata.additionalContext`, beside `severity` and `kind`): for a message about one
    /// job a person can act on, the job and what is offered (`tell::chat::ACTIONS`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub context: std::collections::BTreeMap<&'static str, String>,
}

/// SNS accepts messages up to 256 KiB; keep a margin for the subject and attributes.
pub const MAX_BODY_BYTES: usize = 250 * 1024;

impl Notification {
    /// The message body: the text, then the facts as JSON; never over [`MAX_BODY_BYTES`]
    /// (the JSON goes first, then the text is cut, each with a note saying so).
    pub fn body(&self) -> String {
        self.body_within(MAX_BODY_BYTES)
    }

    /// The body in at most `max` bytes.
    pub fn body_within(&self, max: usize) -> String {
        let text = self.text.trim_end();
        let json = serde_json::to_string_pretty(&self.facts).unwrap_or_default();
        let full = format!("{text}\n\n---- details (JSON) ----\n{json}\n");
        if full.len() <= max {
            return full;
        }
        let note = "\n\n---- details (JSON) ----\n(left out: too long for one message; see the function's log and result)\n";
        if text.len() + note.len() <= max {
            return format!("{text}{note}");
        }
        let more = "\n... (cut: too long for one message; see the function's log and result)";
        format!(
            "{}{more}{note}",
            truncate(
                text,
                Limit::Bytes(max.saturating_sub(note.len() + more.len())),
                ""
            )
        )
    }

    /// The subject fitted to SNS's rules ("no line breaks or control characters, and less
    /// than 100 characters long"): printable ASCII on one line, at most 99 characters.
    pub fn sns_subject(&self) -> String {
        let clean: String = self
            .subject
            .chars()
            .map(|c| match c {
                c if c.is_ascii_graphic() || c == ' ' => c,
                c if c.is_whitespace() => ' ',
                _ => '?',
            })
            .collect();
        if clean.len() < 100 {
            clean
        } else {
            format!("{}...", &clean[..96])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_fit_sns_rules() {
        let n = Notification {
            subject: format!("job é\n{}", "x".repeat(200)),
            text: "t".into(),
            facts: serde_json::json!({"a": 1}),
            kind: "expiry",
            severity: Severity::Info,
            thread: String::new(),
            next_steps: Vec::new(),
            resources: Vec::new(),
            context: Default::default(),
        };
        let s = n.sns_subject();
        assert!(s.len() < 100 && !s.contains('\n'), "{s}");
        let exactly = Notification {
            subject: "y".repeat(100),
            ..n.clone()
        };
        assert_eq!(exactly.sns_subject().len(), 99);
        assert!(s.starts_with("job ? x"), "{s}");
        assert!(n
            .body()
            .contains("---- details (JSON) ----\n{\n  \"a\": 1\n}"));
    }

    #[test]
    fn bodies_never_exceed_the_sns_limit() {
        let big = |text_len: usize, facts_len: usize| Notification {
            subject: "s".into(),
            text: "é".repeat(text_len),
            facts: serde_json::json!({"x": "y".repeat(facts_len)}),
            kind: "expiry",
            severity: Severity::Info,
            thread: String::new(),
            next_steps: Vec::new(),
            resources: Vec::new(),
            context: Default::default(),
        };
        assert!(big(10, 10).body().contains("\"x\""));
        let no_json = big(1000, 300_000).body();
        assert!(no_json.len() <= MAX_BODY_BYTES && no_json.contains("left out"));
        assert!(no_json.contains(&"é".repeat(1000)));
        let cut_text = big(200_000, 10).body();
        assert!(cut_text.len() <= MAX_BODY_BYTES && cut_text.contains("(cut: too long"));
    }
}
