"""Serve a WSGI app from a background thread on loopback (the demo and the tests use it).

The socket is bound when the object is made, so the port (and with it the
app's public URL) is known before the app is built.
"""

from __future__ import annotations

import socket
import threading
from typing import Any, Callable

from werkzeug.serving import make_server

from .errors import SandboxError


class ServerThread:
    """A threaded WSGI server on ``127.0.0.1:port`` (``port=0``: a free one)."""

    def __init__(self, *, port: int = 0, host: str = "127.0.0.1") -> None:
        self._app: Callable[..., Any] | None = None
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self._socket.bind((host, port))
            self._socket.listen(128)
        except OSError as exc:
            self._socket.close()
            raise SandboxError(f"port {port} on {host} is in use or not allowed ({exc.strerror})") from None
        self.server = make_server(host, port, self._dispatch, threaded=True, fd=self._socket.fileno())
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _dispatch(self, environ, start_response):
        if self._app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting"]
        return self._app(environ, start_response)

    def serve(self, app: Callable[..., Any]) -> "ServerThread":
        """Start answering with ``app``."""
        self._app = app
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"wsgi-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.server.server_close()
        self._socket.close()
