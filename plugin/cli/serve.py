"""``fpcds serve --config FILE``: the app for production, under gunicorn.

Binds to ``--bind`` (default ``127.0.0.1:8000``; put it behind the hospital's
TLS reverse proxy, whose public https URL is ``public_url`` in the config).
The configuration is validated before any worker starts, so a bad file
fails here with one line naming the file and the key. The access log never
contains query strings.

Defaults: one worker process with 16 threads (gunicorn ``gthread``). Live
capture relays biofeedback from the capture agent to the physician's page
inside one process (:mod:`plugin.capture.broker`), and every open
biofeedback stream holds one thread while it lasts; so keep ``--workers 1``
and size ``--threads`` for the pages and streams open at once. With more
workers everything else still works (state is in SQLite), but a page and an
agent served by different workers see no biofeedback; ``serve`` says so.
When a worker is told to stop (SIGTERM, SIGINT, SIGQUIT) it first ends its
open biofeedback streams (the pages reconnect), so it stops at once instead
of waiting out the graceful timeout.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="run the app under gunicorn with a configuration file")
    p.add_argument("--config", required=True, help="settings file (.toml/.yaml); see plugin/config.py")
    p.add_argument("--bind", default="127.0.0.1:8000", help="host:port to listen on (default 127.0.0.1:8000)")
    p.add_argument("--workers", type=int, default=1,
                   help="gunicorn worker processes (default 1; live biofeedback needs exactly 1)")
    p.add_argument("--threads", type=int, default=16,
                   help="threads per worker (default 16; each open biofeedback stream uses one)")
    p.add_argument("--check", action="store_true", help="validate the configuration and exit")
    p.set_defaults(handler=run)


def _end_streams_on_stop(worker: Any) -> None:
    """gunicorn ``post_worker_init``: stopping signals first end the worker's open event streams."""
    from plugin.capture import close_streams

    app = worker.wsgi
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            close_streams(app)
            if callable(previous):
                previous(signum, frame)

        signal.signal(sig, handler)


def run(args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    from plugin.app import create_app
    from plugin.config import ConfigError, load_config

    config = load_config(args.config)
    if args.check:
        print(f"configuration OK: {len(config.tenants)} tenant(s), public URL {config.public_url}")
        return 0
    if args.workers < 1 or args.threads < 1:
        raise ConfigError("command line", "--workers and --threads must be at least 1")
    if args.workers > 1:
        print(f"fpcds serve: warning: with {args.workers} worker processes live-capture biofeedback reaches the "
              "physician's page only when the agent and the page are served by the same worker; use --workers 1 "
              "for live capture", file=sys.stderr, flush=True)
    os.environ["FPCDS_CONFIG"] = os.path.abspath(args.config)

    class _Gunicorn(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", args.bind)
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            self.cfg.set("access_log_format", ACCESS_LOG_FORMAT)
            self.cfg.set("forwarded_allow_ips", "127.0.0.1")
            self.cfg.set("timeout", 120)
            self.cfg.set("post_worker_init", _end_streams_on_stop)

        def load(self):
            return create_app()

    _Gunicorn().run()
    return 0
