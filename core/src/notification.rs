//! A message for people, as plain data: readable text first, the same facts as JSON after
//! it, fitted to SNS's limits. Delivery is the adapters' business.

use serde::Serialize;
use serde_json::Value;

/// A message for people: readable text first, the same facts as JSON after it.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// The subject (SNS's is fitted by [`sns_subject`](Self::sns_subject)).
    pub subject: String,
    pub text: String,
    pub facts: Value,
    /// What it is about: `expiry`, `export`.
    pub kind: &'static str,
    /// `critical`, `warning` or `info`.
    pub severity: &'static str,
    /// What the message continues (chat threads): `macie-guard/<kind>/<account>[/<region>]`.
    pub thread: String,
    /// What people can do, one step each (chat's next steps).
    pub next_steps: Vec<String>,
    /// The ARNs it is about.
    pub resources: Vec<String>,
}

/// SNS accepts messages up to 256 KiB; keep a margin for the subject and attributes.
pub const MAX_BODY_BYTES: usize = 250 * 1024;

fn cut(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

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
            cut(text, max.saturating_sub(note.len() + more.len()))
        )
    }

    /// SNS's `MessageStructure=json` message carrying both forms: the readable body for
    /// e-mail and every other protocol (`default`), Amazon Q Developer's custom notification
    /// for chat (`https`, how it subscribes), whose event identifier is `id`. Never over
    /// [`MAX_BODY_BYTES`] as a whole: the body gives way, as in [`body`](Self::body).
    pub fn sns_json_message(&self, id: &str) -> String {
        let chat = crate::chat::custom_notification(self, id).to_string();
        let mut room = MAX_BODY_BYTES;
        loop {
            let message =
                serde_json::json!({"default": self.body_within(room), "https": chat}).to_string();
            if message.len() <= MAX_BODY_BYTES || room < 1024 {
                return message;
            }
            // JSON escaping grew the body: give it less room, by what it overshot.
            room = room.saturating_sub(message.len() - MAX_BODY_BYTES + 64);
        }
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
            severity: "info",
            thread: String::new(),
            next_steps: Vec::new(),
            resources: Vec::new(),
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
            severity: "info",
            thread: String::new(),
            next_steps: Vec::new(),
            resources: Vec::new(),
        };
        assert!(big(10, 10).body().contains("\"x\""));
        let no_json = big(1000, 300_000).body();
        assert!(no_json.len() <= MAX_BODY_BYTES && no_json.contains("left out"));
        assert!(no_json.contains(&"é".repeat(1000)));
        let cut_text = big(200_000, 10).body();
        assert!(cut_text.len() <= MAX_BODY_BYTES && cut_text.contains("(cut: too long"));
    }

    /// Both forms in one message stay under the limit, even when JSON escaping makes the
    /// text grow (every quote and newline doubles).
    #[test]
    fn the_two_form_message_never_exceeds_the_sns_limit() {
        let n = Notification {
            subject: "s".into(),
            text: "\"\n".repeat(150_000),
            facts: serde_json::json!({"x": "\"".repeat(50_000)}),
            kind: "export",
            severity: "critical",
            thread: "macie-guard/export/123456789012".into(),
            next_steps: vec!["fix".into()],
            resources: vec![],
        };
        let m = n.sns_json_message("i");
        assert!(m.len() <= MAX_BODY_BYTES, "{}", m.len());
        let v: serde_json::Value = serde_json::from_str(&m).unwrap();
        assert!(v["default"].as_str().unwrap().contains("(cut: too long"));
        let chat: serde_json::Value = serde_json::from_str(v["https"].as_str().unwrap()).unwrap();
        assert_eq!(chat["source"], "custom");
        let small = Notification {
            text: "short".into(),
            facts: serde_json::json!({}),
            ..n
        };
        let v: serde_json::Value = serde_json::from_str(&small.sns_json_message("i")).unwrap();
        assert_eq!(v["default"], small.body());
    }
}
