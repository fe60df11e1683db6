"""Security headers and the browser cookie.

* CSP ``frame-ancestors`` lists the configured EHR origins, so the app runs in
  the EHR's iframe and nowhere else; everything else is ``'self'`` only.
* The cookie holds an opaque browser id, never a token. It is
  ``Secure; SameSite=None; HttpOnly`` with the ``__Host-`` prefix, so it is
  sent inside a cross-site EHR iframe. Development exception: on
  ``http://127.0.0.1`` (or localhost) it is ``SameSite=Lax`` without
  ``Secure``, which works when the EHR is on the same loopback host.
"""

from __future__ import annotations

from flask import Flask, Response, request

from ..config import AppConfig

SECURE_COOKIE = "__Host-fpcds-browser"
DEV_COOKIE = "fpcds-browser"


def cookie_name(config: AppConfig) -> str:
    return DEV_COOKIE if config.dev_http else SECURE_COOKIE


def set_browser_cookie(response: Response, config: AppConfig, value: str) -> None:
    """Attach the browser-id cookie with the attributes described in the module docstring."""
    max_age = int(config.launch_ttl_hours * 3600)
    if config.dev_http:
        response.set_cookie(DEV_COOKIE, value, max_age=max_age, path="/", httponly=True, samesite="Lax")
    else:
        response.set_cookie(SECURE_COOKIE, value, max_age=max_age, path="/", secure=True, httponly=True,
                            samesite="None")


def content_security_policy(config: AppConfig) -> str:
    ancestors = " ".join(("'self'",) + config.frame_ancestors)
    return ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {ancestors}")


def init_app(app: Flask, config: AppConfig) -> None:
    """Add the security headers to every response."""
    csp = content_security_policy(config)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin-allow-popups"
        if not config.dev_http:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response
