"""SNS Publish: sizes, subjects, message structure."""

from __future__ import annotations

import json
import re
from typing import Any



# ---------------------------------------------------------------------------------------
# SNS
# ---------------------------------------------------------------------------------------

# "By default, a message can be at most 256 KiB in size (262,144 bytes, not 262,144
# characters) ... Amazon SNS validates the combined size of the message body and message
# attributes" (SNS API Reference, Publish, Message).
SNS_MAX_BYTES = 262_144
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def publish_as_aws_does() -> None:
    """Publish: the message body and its attributes at most 262,144 bytes together (UTF-8);
    Subject "UTF-8 text with no line breaks or control characters, and less than 100
    characters long"; with MessageStructure=json, Message "a syntactically valid JSON object"
    with "at least a top-level JSON key of "default" with a value that is a string", and every
    key's value a string (SNS API Reference, Publish). moto counts characters, not bytes,
    ignores attributes, accepts any subject under 101 characters and checks the JSON only when
    it delivers."""
    from moto.sns.exceptions import InvalidParameterValue
    from moto.sns.models import SNSBackend

    original = SNSBackend.publish

    def attributes_size(attrs: dict[str, Any] | None) -> int:
        size = 0
        for name, a in (attrs or {}).items():
            size += len(name.encode()) + len(str(a.get("Type", a.get("DataType", ""))).encode())
            size += len(str(a.get("Value", a.get("StringValue", ""))).encode())
        return size

    def publish(self, message, arn, phone_number=None, subject=None, message_attributes=None, *args, **kwargs):
        structure = kwargs.get("message_structure")
        if subject is not None:
            if subject == "" or len(subject) >= 100 or _CONTROL.search(subject):
                raise InvalidParameterValue("Invalid parameter: Subject")
        if phone_number is None:
            size = len((message or "").encode("utf-8")) + attributes_size(message_attributes)
            if size > SNS_MAX_BYTES:
                raise InvalidParameterValue("Invalid parameter: Message too long")
        if structure == "json":
            try:
                doc = json.loads(message)
            except ValueError:
                raise InvalidParameterValue(
                    "Invalid parameter: Message Structure - JSON message body failed to parse"
                )
            if not isinstance(doc, dict) or not isinstance(doc.get("default"), str):
                raise InvalidParameterValue(
                    "Invalid parameter: Message Structure - No default entry in JSON message body"
                )
            if any(not isinstance(v, str) for v in doc.values()):
                raise InvalidParameterValue(
                    "Invalid parameter: Message Structure - JSON values must be strings"
                )
        return original(self, message, arn, phone_number, subject, message_attributes, *args, **kwargs)

    SNSBackend.publish = publish
