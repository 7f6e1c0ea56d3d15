"""Runs moto's server (S3, KMS, SNS, DynamoDB, ...) on loopback for macie-guard's tests and demo.

AWS's rules for the calls the project makes are enforced in front of moto (the `strict_moto` package).
Binds 127.0.0.1 on a free port, prints exactly one line `listening on http://HOST:PORT` once it
accepts connections, and stops when standard input closes (the parent process ended, even by a
crash) or on SIGTERM/SIGINT.
"""

import argparse
import logging
import signal
import sys
import threading
import warnings

from moto.server import ThreadedMotoServer

import moto_cfn_types
import strict_moto


class StrictMotoServer(ThreadedMotoServer):
    """moto's threaded server with the strictness layer (`strict_moto.Strict`) in front."""

    def _server_entry(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        app = strict_moto.Strict(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


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
    strict_moto.install()
    moto_cfn_types.install()
    # moto warns that STS's model has no AccessDenied shape; AWS answers that code all the same.
    warnings.filterwarnings("ignore", message=".*does not match an error shape.*")

    server = StrictMotoServer(ip_address=args.host, port=args.port, verbose=False)
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
