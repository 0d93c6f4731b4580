"""The emulator's server process: moto on loopback with natless's fixes applied.

Run as ``python -m natless.emulator.server --port 0``. Prints one line ``READY <port>`` on stdout
once it accepts connections, then serves until SIGTERM/SIGINT, or until its parent process goes
away (so an emulator can never outlive the harness that started it).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path


def _exit_with_parent(parent: int, server, log_file: str | None) -> None:  # type: ignore[no-untyped-def]
    while os.getppid() == parent:
        time.sleep(0.5)
    # Nobody is left to read the log or to delete it.
    if log_file:
        Path(log_file).unlink(missing_ok=True)
    server.shutdown()  # also before serve_forever has begun: it then returns at once


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="natless-emulator-server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log-file", help="the log stderr goes to: deleted if the parent dies")
    args = parser.parse_args(argv)
    # Taken before the slow imports below: a parent that dies while they run is noticed too.
    parent = os.getppid()

    # moto loads the AWS-managed IAM policies (which the examples attach) only when this is set
    # before its IAM backend starts. moto and the fixes are imported here, after it is set, and
    # only in this server process: nothing else needs the patched moto.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.moto_server.threaded_moto_server import MotoRequestHandler
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from natless.emulator.fixes import apply_all
    from natless.emulator.invoke_service import LocalInvokeService, NatlessWsgi

    fixes = apply_all()
    service = LocalInvokeService("", account_id=DEFAULT_ACCOUNT_ID)
    app = NatlessWsgi(DomainDispatcherApplication(create_backend_app), service)
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    service.emulator_url = f"http://{args.host}:{server.server_port}"

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        threading.Thread(
            target=_exit_with_parent, args=(parent, server, args.log_file), daemon=True
        ).start()
        # One line on stdout for the parent; everything after goes to the log (stderr), and
        # werkzeug's line per request is dropped: a long run would otherwise fill the log.
        try:
            print(f"READY {server.server_port} fixes={','.join(fixes)}", flush=True)
        except BrokenPipeError:  # the parent died while this server started
            if args.log_file:
                Path(args.log_file).unlink(missing_ok=True)
            return 1
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server.serve_forever()
    finally:
        server.server_close()
        service.close()  # the unpacked function code
    return 0


if __name__ == "__main__":
    sys.exit(main())
