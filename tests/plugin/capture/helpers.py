"""A small Flask app carrying only the capture blueprint, and a real loopback server for it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from plugin.capture import init_app

ASSESSMENT = "asmt-001"


def make_app(folder: Path, *, allowed: tuple[str, ...] = (ASSESSMENT,), **config: Any) -> Flask:
    """The blueprint on a bare app; the physician may work on ``allowed`` assessments."""
    app = Flask("fpcds-capture-test", instance_path=str(folder))
    uploads: list[tuple[str, Path, dict]] = []
    settings: dict[str, Any] = {
        "TESTING": True,
        "CAPTURE_DIR": str(folder / "capture"),
        "CAPTURE_AUTHORIZE": lambda assessment_id: assessment_id in allowed,
        "CAPTURE_ON_UPLOAD": lambda aid, path, info: uploads.append((aid, path, info)),
    }
    settings.update(config)
    app.config.update(settings)
    app.extensions["test_uploads"] = uploads
    init_app(app)
    return app


class LoopbackServer:
    """The app served by werkzeug's threaded server on 127.0.0.1 (a real socket)."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LoopbackServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
