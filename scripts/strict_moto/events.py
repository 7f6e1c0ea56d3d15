"""EventBridge PutEvents: entries per request, size, detail, sources."""

from __future__ import annotations

import json
from typing import Any

from .layer import service_error



# ---------------------------------------------------------------------------------------
# EventBridge
# ---------------------------------------------------------------------------------------

# "The total entry size must be less than 256KB" (EventBridge User Guide, "Calculating
# PutEvents event entry size").
PUT_EVENTS_MAX_BYTES = 256 * 1024


def entry_size(entry: dict[str, Any]) -> int:
    """An entry's size as EventBridge counts it: Time 14 bytes, Source, DetailType, Detail and
    each of Resources by their UTF-8 bytes (EventBridge User Guide, "Calculating PutEvents
    event entry size")."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len((entry.get(key) or "").encode("utf-8"))
    for r in entry.get("Resources") or []:
        size += len(r.encode("utf-8"))
    return size


def put_events_as_aws_does() -> None:
    """PutEvents: 1 to 10 entries (API Reference, PutEvents, Entries: "Minimum number of 1
    item. Maximum number of 10 items"); the entries of a request less than 256 KB in all
    (ValidationException); Detail "a valid JSON object" (an array or a string is refused as
    MalformedDetail, where moto only warns); a Source starting with `aws.` is AWS's own
    (NotAuthorizedForSourceException)."""
    from moto.events.models import EventsBackend

    original = EventsBackend.put_events

    def put_events(self, events):
        if not events:
            raise service_error(
                "events",
                "ValidationException",
                "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
            )
        total = sum(entry_size(e) for e in events)
        if total >= PUT_EVENTS_MAX_BYTES:
            raise service_error(
                "events",
                "ValidationException",
                f"Total size of the entries in the request is over the limit ({total} bytes; the limit is 256 KB).",
            )
        refused: dict[int, dict[str, str]] = {}
        for i, e in enumerate(events):
            if (e.get("Source") or "").startswith("aws."):
                refused[i] = {
                    "ErrorCode": "NotAuthorizedForSourceException",
                    "ErrorMessage": "Not authorized for the source.",
                }
                continue
            try:
                detail = json.loads(e.get("Detail") or "null")
            except ValueError:
                detail = None
            if e.get("Detail") and not isinstance(detail, dict):
                refused[i] = {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
        accepted = [e for i, e in enumerate(events) if i not in refused]
        results = iter(original(self, accepted) if accepted else [])
        return [refused[i] if i in refused else next(results) for i in range(len(events))]

    EventsBackend.put_events = put_events


def bus_targets_as_aws_does() -> None:
    """PutTargets: a rule whose target is an event bus in another Region, or in another account
    whose bus admits this one through its organization, names a role EventBridge sends with
    (RoleArn). "If you grant permissions using an organization, then accounts in that
    organization must specify a RoleArn with proper permissions when they use PutTarget to add
    your account's event bus as a target" (API Reference, PutPermission); a bus in another
    Region is reached with a role (User Guide, "Sending and receiving events between AWS
    Regions"). moto takes any target. A bus that admits the account by its id is taken
    without a role, as AWS still does."""
    from moto.events.models import EventsBackend, events_backends

    original = EventsBackend.put_targets

    def admits_by_organization(account: str, region: str, name: str) -> bool:
        try:
            bus = events_backends[account][region].event_buses.get(name)
        except KeyError:
            return False
        policy = json.loads(bus.policy) if bus is not None and bus.policy else {}
        return any(
            "aws:PrincipalOrgID" in json.dumps(s.get("Condition", {})) for s in policy.get("Statement", [])
        )

    def put_targets(self, name, event_bus_arn, targets):
        for t in targets:
            parts = (t.get("Arn") or "").split(":", 5)
            if len(parts) < 6 or parts[2] != "events" or not parts[5].startswith("event-bus/"):
                continue
            if t.get("RoleArn"):
                continue
            region, account, bus = parts[3], parts[4], parts[5].split("/", 1)[1]
            if region != self.region_name or (
                account != self.account_id and admits_by_organization(account, region, bus)
            ):
                raise service_error(
                    "events",
                    "ValidationException",
                    f"RoleArn is required for target {t.get('Id')}: the event bus {t.get('Arn')} is in another Region, or admits this account through its organization.",
                )
        return original(self, name, event_bus_arn, targets)

    EventsBackend.put_targets = put_targets
