//! How the hub tells what it could not do in a member account: the account, the Region, what
//! it was asked and why it could not, as a message people get at the hub.

use serde_json::json;

use crate::expiry::event::ExpiryEvent;
use crate::scope::Scope;
use crate::severity::Severity;
use crate::tell::notification::Notification;
use crate::text::safe;

/// An event about a job in `at` that the hub could not act on: its member role could not be
/// assumed (`reason`). The event is kept (retried, then the dead-letter queue).
pub fn unreached_event(hub: &Scope, at: &Scope, event: &ExpiryEvent, reason: &str) -> Notification {
    let what = match event {
        ExpiryEvent::Health(h) => {
            format!("Macie's Health event {}", safe(&h.detail.event_type_code))
        }
        ExpiryEvent::Tagged { resource_arn, .. } => {
            format!("a macie-guard: tag set on {}", safe(resource_arn))
        }
        ExpiryEvent::Sweep { .. } => "the sweep".to_string(),
        ExpiryEvent::Recover { .. } => "the journal watch".to_string(),
        ExpiryEvent::Ignored { .. } => "an event".to_string(),
    };
    let text = format!(
        "macie-guard's hub ({} in {}) could not act on {what} about account {} in {}.\n\
         Why: {}\n\
         Nothing was changed there. The event is kept: Lambda retries it, then the function's dead-letter queue holds it; once the account's member role is there, replay it with `macie-guard dead-letters replay`.\n",
        hub.account,
        hub.region,
        at.account,
        at.region,
        safe(reason)
    );
    Notification {
        subject: format!(
            "macie-guard could not reach account {} in {}",
            at.account, at.region
        ),
        text,
        facts: json!({
            "hub": hub,
            "account": at.account,
            "region": at.region,
            "event": event,
            "reason": reason,
        }),
        kind: "expiry",
        severity: Severity::Critical,
        thread: format!("macie-guard/expiry/{}/{}", at.account, at.region),
        next_steps: vec![
            format!(
                "Deploy the member stack (stacksets/member.yaml) in account {}, or check its role's trust and any SCP that denies the hub",
                at.account
            ),
            "Then replay the kept event: macie-guard dead-letters replay".to_string(),
        ],
        resources: Vec::new(),
        context: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_who_what_and_why_escaped() {
        let event = ExpiryEvent::Tagged {
            resource_arn: "arn:aws:macie2:eu-west-1:222222222222:classification-job/a\nb".into(),
            on_expiry: None,
        };
        let n = unreached_event(
            &Scope::new("111111111111", "eu-west-1"),
            &Scope::new("222222222222", "eu-west-1"),
            &event,
            "cannot assume arn:aws:iam::222222222222:role/macie-guard-member: AccessDenied: no\u{1b}[2J",
        );
        assert!(n.subject.contains("222222222222") && n.subject.contains("eu-west-1"));
        assert!(n.text.contains("AccessDenied") && n.text.contains("dead-letters replay"));
        assert!(
            !n.text.contains('\u{1b}') && n.text.contains("a\\nb"),
            "{}",
            n.text
        );
        assert_eq!(n.severity, Severity::Critical);
        assert_eq!(n.facts["account"], "222222222222");
    }
}
