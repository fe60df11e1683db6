"""``fpcds demo``: the sandbox EHR, a real FHIR server and the app on this machine, one command.

Prints one ``name: url`` line per service (``ehr:``, ``fhir:``, ``launch:``,
``app:``, ``fhir-store:``), then runs until interrupted (Ctrl-C or SIGTERM)
and shuts everything down. No configuration is needed: the app gets an
embedded configuration with loopback URLs and freshly made secrets.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="run the app with the sandbox EHR and a FHIR server on loopback")
    p.add_argument("--workdir", type=Path, help="keep data here (default: a temporary directory, removed at exit)")
    p.add_argument("--ehr-port", type=int, default=0, help="sandbox EHR port (default: a free one)")
    p.add_argument("--app-port", type=int, default=0, help="app port (default: a free one)")
    p.add_argument("--fhir-port", type=int, default=0, help="FHIR store port (default: a free one)")
    p.add_argument("--public-client", action="store_true",
                   help="register the app as a public client (default: private_key_jwt, ES384)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from plugin.sandbox.stack import DemoStack

    stop = threading.Event()

    def _stop(signum, frame):  # noqa: ARG001 - signal handler signature
        stop.set()

    previous = signal.signal(signal.SIGTERM, _stop)
    temp = None
    workdir = args.workdir
    if workdir is None:
        temp = tempfile.TemporaryDirectory(prefix="fpcds-demo-")
        workdir = Path(temp.name)
    stack = DemoStack(workdir=workdir, ehr_port=args.ehr_port, app_port=args.app_port, fhir_port=args.fhir_port,
                      auth_method="public" if args.public_client else "private_key_jwt")
    try:
        stack.start()
        for name, url in stack.urls.items():
            print(f"{name}: {url}", flush=True)
        print("open the ehr URL in a browser; Ctrl-C stops the demo", file=sys.stderr, flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        stack.stop()
        signal.signal(signal.SIGTERM, previous)
        if temp is not None:
            temp.cleanup()
    print("demo stopped", file=sys.stderr, flush=True)
    return 0
