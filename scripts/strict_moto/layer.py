"""The layer itself: the WSGI app in front of moto (`Strict`), the test controls
(`/_strict/...`), faults on demand, the calls counted, and errors written as each
service's protocol writes them."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from typing import Any
from urllib.parse import parse_qs, unquote_plus



# ---------------------------------------------------------------------------------------
# Faults: a test asks for an error (or a stall) on the next N calls of an operation.
# ---------------------------------------------------------------------------------------

_FAULTS: list[dict[str, Any]] = []
_FAULTS_LOCK = threading.Lock()
# Calls seen by the layer, per "service:Action" (read by tests through /_strict/calls).
_CALLS: dict[str, int] = {}

# Protocols, for writing an error as the service writes it.
_QUERY = {"sts", "sns", "iam", "cloudformation"}
_JSON = {"dynamodb", "organizations", "events", "sqs", "kms"}
_REST_JSON = {"securityhub"}

# Security Hub's REST operations the project uses, by method and path.
_SECURITYHUB_ACTIONS = {
    ("POST", "/findings"): "GetFindings",
    ("POST", "/findings/import"): "BatchImportFindings",
    ("PATCH", "/findings/batchupdate"): "BatchUpdateFindings",
    ("POST", "/accounts"): "EnableSecurityHub",
    ("DELETE", "/accounts"): "DisableSecurityHub",
    ("GET", "/accounts"): "DescribeHub",
}


def _credential(environ: dict[str, Any]) -> tuple[str, str, str]:
    """(access key, Region, service) from the request's SigV4 Authorization header."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/aws4_request", auth)
    return (m.group(1), m.group(2), m.group(3)) if m else ("", "", "")


def _action(service: str, environ: dict[str, Any], body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    if service in _REST_JSON:
        key = (environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
        return _SECURITYHUB_ACTIONS.get(key, f"{key[0]} {key[1]}")
    params = parse_qs(body.decode("utf-8", "replace"))
    params.update(parse_qs(environ.get("QUERY_STRING", "")))
    return params.get("Action", [""])[0]


def _account_of(access_key: str) -> str:
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key)


def _error(service: str, code: str, status: int, message: str) -> tuple[int, list, bytes]:
    """An error as the service's protocol writes it."""
    if service in _QUERY:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>strict-moto</RequestId></ErrorResponse>"
        ).encode()
        return status, [("Content-Type", "text/xml")], body
    if service in _REST_JSON:
        body = json.dumps({"Code": code, "Message": message}).encode()
        return status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)], body
    body = json.dumps({"__type": code, "message": message}).encode()
    return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)], body


def _fault_for(service: str, action: str, account: str, region: str, body: bytes) -> dict | None:
    with _FAULTS_LOCK:
        for f in _FAULTS:
            if f.get("service") != service or f.get("action") != action:
                continue
            if f.get("account") not in (None, account):
                continue
            if f.get("region") not in (None, region):
                continue
            if f.get("match") and f["match"] not in unquote_plus(body.decode("utf-8", "replace")):
                # The body as sent, its form encoding undone (query protocols).
                continue
            if f.get("times", -1) == 0:
                continue
            if f.get("times", -1) > 0:
                f["times"] -= 1
            f["seen"] = f.get("seen", 0) + 1
            return dict(f)
    return None


class Strict:
    """The WSGI layer in front of moto's app: the test controls and the faults.

    - `POST /_strict/faults` with `{"service", "action", "code", "status", "message"` and
      optionally `"account"` (the caller's), `"region"`, `"match"` (a substring of the
      request body, form encoding undone), `"times"` (default: every call), `"stall"` (seconds to wait before
      answering, with no error unless `code` is given), `"answer"` (a JSON body to answer
      with, status 200 unless `status` says otherwise: a partial failure, say)}: the matching
      calls fail so.
    - `DELETE /_strict/faults`: no more faults. `GET /_strict/calls`: calls per operation.
    - `GET /_strict/sns-published?topic=ARN`: the messages SNS accepted for that topic
      (message, subject, attributes), read from that topic alone: moto's own dump of every
      backend (`/moto-api/data.json`) fails once some DynamoDB state will not serialize.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if path.startswith("/_strict/"):
            return self._control(environ, path, body, start_response)
        access_key, region, service = _credential(environ)
        action = _action(service, environ, body)
        with _FAULTS_LOCK:
            key = f"{service}:{action}"
            _CALLS[key] = _CALLS.get(key, 0) + 1
        fault = _fault_for(service, action, _account_of(access_key) if access_key else "", region, body)
        if fault:
            if fault.get("stall"):
                time.sleep(float(fault["stall"]))
            if fault.get("code"):
                status, headers, out = _error(
                    service, fault["code"], int(fault.get("status", 400)), fault.get("message", "")
                )
                start_response(f"{status} Error", headers + [("Content-Length", str(len(out)))])
                return [out]
            if "answer" in fault:
                # A success the service could give, as JSON (a partial failure, say).
                out = json.dumps(fault["answer"]).encode()
                kind = "application/x-amz-json-1.1" if service in _JSON else "application/json"
                start_response(f"{int(fault.get('status', 200))} OK", [("Content-Type", kind), ("Content-Length", str(len(out)))])
                return [out]
        return self.app(environ, start_response)

    def _control(self, environ: dict[str, Any], path: str, body: bytes, start_response: Any) -> Any:
        method = environ.get("REQUEST_METHOD")
        answer: Any = {}
        with _FAULTS_LOCK:
            if path == "/_strict/faults" and method == "POST":
                _FAULTS.append(json.loads(body))
            elif path == "/_strict/faults" and method == "DELETE":
                _FAULTS.clear()
            elif path == "/_strict/faults" and method == "GET":
                answer = {"faults": _FAULTS}
            elif path == "/_strict/calls" and method == "GET":
                answer = {"calls": dict(_CALLS)}
            elif path == "/_strict/calls" and method == "DELETE":
                _CALLS.clear()
            elif path == "/_strict/sns-published" and method == "GET":
                answer = {"published": _published(environ.get("QUERY_STRING", ""))}
            else:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"no such control"]
        out = json.dumps(answer).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
        return [out]


def _published(query: str) -> list[dict[str, Any]]:
    from urllib.parse import parse_qs

    from moto.sns import sns_backends

    arn = (parse_qs(query).get("topic") or [""])[0]
    for _account, regions in sns_backends.items():
        for _region, backend in regions.items():
            topic = backend.topics.get(arn)
            if topic is not None:
                return [
                    {"message": n[1], "subject": n[2], "attributes": n[3] or {}}
                    for n in topic.sent_notifications
                ]
    return []


def service_error(service: str, code: str, message: str) -> Exception:
    """An error moto serializes as `service` answers (status and shape from the service's
    model): moto finds the service by the exception's module."""
    from moto.core.exceptions import ServiceException

    cls = type(code, (ServiceException,), {"__module__": f"moto.{service}.exceptions"})
    return cls(code, message)
