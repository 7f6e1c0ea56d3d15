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
