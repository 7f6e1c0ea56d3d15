//! Chat-ready notifications: the custom-notification JSON that Amazon Q Developer in chat
//! applications shows in Slack, Microsoft Teams and Amazon Chime channels subscribed to an
//! SNS topic (Administrator Guide, "Custom notifications"): `version` `1.0`, `source`
//! `custom`, `content` (client-markdown title, description, next steps, keywords) and
//! `metadata` (thread, summary, event type, related resources, additional context).
//!
//! Everything shown is markdown-safe: the notification's text, whose values are already
//! escaped (`text::safe`: no control character, no newline), is escaped once more only for
//! markdown: `&`, `<` and `>` become entities (so no `<!channel>`, `<@user>` or `<url|label>`
//! can ping or link) and markdown's characters stand behind a backslash (so a job named
//! `*urgent*` is shown as written). The channel shows what the e-mail shows.

use serde_json::{json, Value};

use crate::tell::notification::{Notification, MAX_BODY_BYTES};
use crate::text::{controls_escaped, safe, truncate, Limit};

/// At most this many characters of description (the rest is in the e-mail and the log).
pub const DESCRIPTION_MAX: usize = 3_500;
/// At most this many next steps, each at most this long.
const STEPS_MAX: usize = 5;
const STEP_MAX: usize = 300;
/// At most this many related resources.
const RESOURCES_MAX: usize = 20;

/// Text for client-markdown, shown as it reads in the e-mail: any control character left is
/// escaped (values are escaped already), entities for `& < >`, the characters that format
/// text in a line (`\ * _ ~ ` [ ] |`) behind a backslash. Newlines are kept only where
/// `keep_lines` (the text's own line breaks).
pub fn markdown(s: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let lines: Vec<String> = if keep_lines {
        s.lines().map(controls_escaped).collect()
    } else {
        vec![controls_escaped(s)]
    };
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for c in line.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                // Characters that format text in the middle of a line; values never start
                // a line (a newline in a value is escaped by `safe`).
                '\\' | '*' | '_' | '~' | '`' | '[' | ']' | '|' => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
    }
    out
}

fn cut_chars(s: &str, max: usize, more: &str) -> String {
    truncate(s, Limit::Chars(max), more)
}

/// SNS's `MessageStructure=json` message carrying both forms: the readable body for
/// e-mail and every other protocol (`default`), Amazon Q Developer's custom notification
/// for chat (`https`, how it subscribes), whose event identifier is `id`. Never over
/// [`MAX_BODY_BYTES`] as a whole: the body gives way, as in [`Notification::body`].
pub fn sns_message(n: &Notification, id: &str) -> String {
    let chat = custom_notification(n, id).to_string();
    let mut room = MAX_BODY_BYTES;
    loop {
        let message =
            serde_json::json!({"default": n.body_within(room), "https": chat}).to_string();
        if message.len() <= MAX_BODY_BYTES || room < 1024 {
            return message;
        }
        // JSON escaping grew the body: give it less room, by what it overshot.
        room = room.saturating_sub(message.len() - MAX_BODY_BYTES + 64);
    }
}

/// The custom notification for `n`; `id` is the event's own identifier (Amazon Q Developer:
/// "a unique event identifier"), one per message, while `threadId` groups an account's
/// messages.
pub fn custom_notification(n: &Notification, id: &str) -> Value {
    let description = cut_chars(
        &markdown(n.text.trim_end(), true),
        DESCRIPTION_MAX,
        "\n… (more in the e-mail and the function's log)",
    );
    let steps: Vec<String> = n
        .next_steps
        .iter()
        .take(STEPS_MAX)
        .map(|s| cut_chars(&markdown(s, false), STEP_MAX, "…"))
        .collect();
    let title = cut_chars(&markdown(&n.subject, false), 250, "…");
    json!({
        "version": "1.0",
        "source": "custom",
        "id": id,
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": description,
            "nextSteps": steps,
            "keywords": ["macie-guard", n.kind, n.severity],
        },
        "metadata": {
            "threadId": n.thread,
            "summary": title,
            "eventType": format!("macie-guard-{}", n.kind),
            "relatedResources": n.resources.iter().take(RESOURCES_MAX).map(|r| safe(r)).collect::<Vec<_>>(),
            "additionalContext": additional_context(n),
        },
    })
}

/// `metadata.additionalContext`: severity and kind, and what a button reads (see
/// [`ACTIONS`]). Values are of Macie's and AWS's alphabets only (the offer, account, Region,
/// job id and ARN).
fn additional_context(n: &Notification) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("severity".into(), json!(n.severity));
    m.insert("kind".into(), json!(n.kind));
    for (k, v) in &n.context {
        m.insert((*k).to_string(), json!(v));
    }
    Value::Object(m)
}

/// Where a button's variable is read in a custom notification (`event` is the notification).
pub const VARIABLE_PATH: &str = "event.metadata.additionalContext.";

/// The longest `CommandText` Amazon Q Developer takes (API Reference, CustomActionDefinition:
/// 1 to 100 characters; CloudFormation's schema allows 5,000: the stricter holds).
pub const COMMAND_MAX: usize = 100;

/// A button on macie-guard's chat notifications: an `AWS::Chatbot::CustomAction` of
/// template.yaml (`tests/integration/template.rs` holds the template to this list). It is
/// attached to custom notifications (`NotificationType: Custom`) whose additionalContext offers
/// it (`offer`) for a job of the stack's own account and Region, and runs one AWS CLI command
/// under the channel's role, with the notification's variables (`$name`, each read at
/// [`VARIABLE_PATH`]`name`).
#[derive(Debug, Clone, Copy)]
pub struct ChatAction {
    /// The resource's logical id in template.yaml.
    pub resource: &'static str,
    /// Its `ActionName`, before `-<Region>` (a custom action's name is unique in the account).
    pub name: &'static str,
    pub button: &'static str,
    /// The `offer` of the notifications it is on.
    pub offer: &'static str,
    /// `CommandText`: `${...}` is the template's (Fn::Sub), `$name` a variable.
    pub command: &'static str,
    /// The variables it reads: `offer`, `account` and `region` for its criteria, and the job.
    pub variables: &'static [&'static str],
    /// What the channel's role must be allowed for the command.
    pub needs: &'static [&'static str],
}

/// The buttons: resume, or keep paused, a job expiring with no action; recreate a lost one.
/// Keep paused and recreate set the job's tag (`macie-guard:on-expiry=keep-paused`,
/// `macie-guard:on-lost=recreate`); the expiry guard, told by CloudTrail's record of the
/// tagging, makes the change at once under its journal, as for any tag (recreating only where
/// the stack allows it).
pub const ACTIONS: [ChatAction; 3] = [
    ChatAction {
        resource: "ChatResumeAction",
        name: "macie-guard-resume",
        button: "Resume the job",
        offer: "expiring",
        command: "macie2 tag-resource --resource-arn $jobArn --tags macie-guard:on-expiry=resume --region $region",
        variables: &["offer", "account", "region", "jobArn"],
        needs: &["macie2:TagResource"],
    },
    ChatAction {
        resource: "ChatKeepPausedAction",
        name: "macie-guard-keep-paused",
        button: "Keep it paused",
        offer: "expiring",
        command: "macie2 tag-resource --resource-arn $jobArn --tags macie-guard:on-expiry=keep-paused --region $region",
        variables: &["offer", "account", "region", "jobArn"],
        needs: &["macie2:TagResource"],
    },
    ChatAction {
        resource: "ChatRecreateAction",
        name: "macie-guard-recreate",
        button: "Recreate the job",
        offer: "lost",
        command: "macie2 tag-resource --resource-arn $jobArn --tags macie-guard:on-lost=recreate --region $region",
        variables: &["offer", "account", "region", "jobArn"],
        needs: &["macie2:TagResource"],
    },
];

impl ChatAction {
    /// The tag its command sets (`--tags KEY=VALUE`), if it sets one.
    pub fn sets(&self) -> Option<(&'static str, &'static str)> {
        let rest = self.command.split("--tags ").nth(1)?;
        let pair = rest.split_whitespace().next()?;
        pair.split_once('=')
    }

    /// The `$name`s its command reads.
    pub fn reads(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut rest = self.command;
        while let Some(at) = rest.find('$') {
            rest = &rest[at + 1..];
            if rest.starts_with('{') {
                continue; // the template's own ${...}
            }
            let end = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            out.push(&rest[..end]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(text: &str) -> Notification {
        Notification {
            subject: "Macie paused jobs in 123456789012 us-east-1: 1 expiring, no action".into(),
            text: text.into(),
            facts: json!({}),
            kind: "expiry",
            severity: crate::severity::Severity::Critical,
            thread: "macie-guard/expiry/123456789012/us-east-1".into(),
            next_steps: vec!["Resume it, or tag it macie-guard:on-expiry=resume.".into()],
            resources: vec!["arn:aws:macie2:us-east-1:123456789012:classification-job/abc".into()],
            context: Default::default(),
        }
    }

    #[test]
    fn the_format_is_amazon_q_developers_custom_notification() {
        let v = custom_notification(&note("line one\nline two"), "macie-guard/expiry/1");
        assert_eq!(v["id"], "macie-guard/expiry/1");
        assert_eq!(v["version"], "1.0");
        assert_eq!(v["source"], "custom");
        assert_eq!(v["content"]["textType"], "client-markdown");
        assert_eq!(v["content"]["description"], "line one\nline two");
        assert_eq!(v["content"]["nextSteps"].as_array().unwrap().len(), 1);
        assert_eq!(
            v["metadata"]["threadId"],
            "macie-guard/expiry/123456789012/us-east-1"
        );
        assert_eq!(v["metadata"]["eventType"], "macie-guard-expiry");
        assert_eq!(
            v["metadata"]["relatedResources"][0],
            "arn:aws:macie2:us-east-1:123456789012:classification-job/abc"
        );
    }

    #[test]
    fn values_can_neither_ping_nor_link_nor_format() {
        let hostile = "job <!channel> <@U123> <https://evil.example|click> *bold* _it_ `code` [x](y) ~s~ \u{1b}[31m\u{202e}";
        let v = custom_notification(&note(&format!("- [notified] \"{hostile}\"")), "i");
        let d = v["content"]["description"].as_str().unwrap();
        for raw in [
            "<!channel>",
            "<@U123>",
            "<https:",
            "*bold*",
            "_it_",
            "`code`",
            "[x](y)",
            "~s~",
            "\u{1b}",
            "\u{202e}",
        ] {
            assert!(!d.contains(raw), "{raw:?} in {d}");
        }
        assert!(d.contains("&lt;!channel&gt;"), "{d}");
        assert!(d.contains("\\*bold\\*"), "{d}");
        assert!(
            d.contains("\\\\u{1b}"),
            "the escape sequence is shown as written: {d}"
        );
    }

    /// What a channel shows of client-markdown: entities and backslash escapes undone.
    fn shown(md: &str) -> String {
        let mut out = String::new();
        let mut chars = md.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                c => out.push(c),
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    /// The e-mail's text has the values escaped once; the channel shows the same text, not a
    /// second escape of it.
    #[test]
    fn the_channel_shows_what_the_email_shows() {
        let name = "a\\b <!channel> *x* & \u{1b}[2J\nnext";
        let text = format!(
            "macie-guard looked at paused jobs.\n\n- [notified] job \"{}\" expires soon",
            safe(name)
        );
        let n = note(&text);
        let v = custom_notification(&n, "i");
        let description = v["content"]["description"].as_str().unwrap();
        assert_eq!(shown(description), n.text, "{description}");
        assert!(
            shown(description).contains("a\\\\b"),
            "one escape of the backslash, as in the e-mail"
        );
        assert_eq!(shown(v["content"]["title"].as_str().unwrap()), n.subject);
    }

    #[test]
    fn long_messages_are_cut_with_a_note() {
        let v = custom_notification(&note(&"x".repeat(10_000)), "i");
        let d = v["content"]["description"].as_str().unwrap();
        assert!(d.chars().count() <= DESCRIPTION_MAX);
        assert!(d.ends_with("(more in the e-mail and the function's log)"));
        let mut n = note("t");
        n.next_steps = (0..9)
            .map(|i| format!("step {i} {}", "y".repeat(400)))
            .collect();
        let v = custom_notification(&n, "i");
        let steps = v["content"]["nextSteps"].as_array().unwrap();
        assert_eq!(steps.len(), 5);
        assert!(steps
            .iter()
            .all(|s| s.as_str().unwrap().chars().count() <= 300));
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
            severity: crate::severity::Severity::Critical,
            thread: "macie-guard/export/123456789012".into(),
            next_steps: vec!["fix".into()],
            resources: vec![],
            context: Default::default(),
        };
        let m = sns_message(&n, "i");
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
        let v: serde_json::Value = serde_json::from_str(&sns_message(&small, "i")).unwrap();
        assert_eq!(v["default"], small.body());
    }
}
