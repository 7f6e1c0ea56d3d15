"""Runs moto's server (S3, KMS, SNS, DynamoDB, ...) on loopback for macie-guard's tests and demo.

Binds 127.0.0.1 on a free port, prints exactly one line `listening on http://HOST:PORT`
once it accepts connections, and stops when standard input closes (the parent process
ended, even by a crash) or on SIGTERM/SIGINT.
"""

import argparse
import logging
import signal
import sys
import threading
import warnings

from moto.server import ThreadedMotoServer


def atomic_dynamodb_writes() -> None:
    """DynamoDB evaluates a write's condition and applies it atomically. moto's threaded server
    does not: two conditional writes to one item can both pass. One lock around moto's item
    writes restores the guarantee the journal relies on."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.Lock()

    def locked(method):
        def wrapper(*args, **kwargs):
            with lock:
                return method(*args, **kwargs)

        return wrapper

    for name in ("put_item", "update_item", "delete_item", "get_item", "transact_write_items"):
        setattr(DynamoDBBackend, name, locked(getattr(DynamoDBBackend, name)))


def assume_role_needs_the_role() -> None:
    """AWS refuses AssumeRole unless the role exists in its account (and trusts the caller);
    moto issues credentials for any ARN. For the roles macie-guard's stack creates (names
    starting `macie-guard-`), refuse as AWS does when the role does not exist in moto's IAM of
    its account, so that an account without the stack is unreachable, as it would be."""
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend

    original = STSBackend.assume_role

    def assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs):
        parts = role_arn.split(":")
        if len(parts) == 6 and parts[5].startswith("role/macie-guard-"):
            account, name = parts[4], parts[5].split("/")[-1]
            partition = parts[1]
            roles = iam_backends[account][partition].roles.values()
            if not any(r.name == name for r in roles):
                raise STSClientError(
                    "AccessDenied",
                    f"User is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                )
        return original(self, region_name, role_session_name, role_arn, *args, **kwargs)

    STSBackend.assume_role = assume_role


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--no-stdin-lifeline",
        action="store_true",
        help="keep running when standard input closes; stop on SIGTERM/SIGINT only",
    )
    args = parser.parse_args()
    # One line per request drowns the test output; errors still show.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    atomic_dynamodb_writes()
    assume_role_needs_the_role()
    # moto warns that STS's model has no AccessDenied shape; AWS answers that code all the same.
    warnings.filterwarnings("ignore", message=".*does not match an error shape.*")

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"listening on http://{host}:{port}", flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if not args.no_stdin_lifeline:
        def watch_stdin() -> None:
            sys.stdin.buffer.read()
            stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
