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
