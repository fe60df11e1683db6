"""The Flask application factory of the fpcds SMART-on-FHIR app.

``create_app()`` reads the configuration file named by ``$FPCDS_CONFIG``;
tests pass a mapping with the file's structure (or an :class:`AppConfig`).
Blueprints are listed in :data:`plugin.web.BLUEPRINT_MODULES`.
"""

from __future__ import annotations

import importlib
import time
from typing import Any, Mapping

from flask import Flask

from .config import AppConfig, config_from_mapping, load_config
from .web import BLUEPRINT_MODULES, errors, logsafe, security
from .web.services import Services


def _timestamp(value: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(value))


def create_app(test_config: AppConfig | Mapping[str, Any] | None = None) -> Flask:
    """Build the app.

    Parameters
    ----------
    test_config : AppConfig or mapping, optional
        Settings to use instead of the file named by ``$FPCDS_CONFIG``; a
        mapping is validated exactly like the file.

    Raises
    ------
    ConfigError
        When the settings are missing or invalid.
    """
    if test_config is None:
        config = load_config()
    elif isinstance(test_config, AppConfig):
        config = test_config
    else:
        config = config_from_mapping(test_config)
    logsafe.install(level=config.log_level)

    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=config.max_upload_mb * 1024 * 1024,
        SESSION_COOKIE_NAME="fpcds-unused",  # Flask's client-side session is not used
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["fpcds"] = Services.create(config)
    app.jinja_env.filters["timestamp"] = _timestamp
    security.init_app(app, config)
    errors.init_app(app)
    for name in BLUEPRINT_MODULES:
        importlib.import_module(name).init_app(app)
    return app
