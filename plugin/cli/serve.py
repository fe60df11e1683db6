"""``fpcds serve --config FILE``: the app for production, under gunicorn.

Binds to ``--bind`` (default ``127.0.0.1:8000``; put it behind the hospital's
TLS reverse proxy, whose public https URL is ``public_url`` in the config).
The configuration is validated before any worker starts, so a bad file
fails here with one line naming the file and the key. The access log never
contains query strings.
"""

from __future__ import annotations

import argparse
import os

ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="run the app under gunicorn with a configuration file")
    p.add_argument("--config", required=True, help="settings file (.toml/.yaml); see plugin/config.py")
    p.add_argument("--bind", default="127.0.0.1:8000", help="host:port to listen on (default 127.0.0.1:8000)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    p.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    p.add_argument("--check", action="store_true", help="validate the configuration and exit")
    p.set_defaults(handler=run)


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

        def load(self):
            return create_app()

    _Gunicorn().run()
    return 0
