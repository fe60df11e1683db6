"""The web side of the plugin: blueprints, templates, server-side stores and security.

:data:`BLUEPRINT_MODULES` lists the modules whose ``init_app(app)`` the
application factory calls, in order. A later workflow step (assess, results,
approve and write back) is one more module here: a blueprint under
``/app/<launch_id>/`` using :func:`plugin.web.context.requires_launch` and
:func:`plugin.web.context.fhir_client`, registered with
:func:`plugin.web.services.register_step`.
"""

BLUEPRINT_MODULES: tuple[str, ...] = (
    "plugin.web.health",
    "plugin.web.launch",
    "plugin.web.workflow",
    "plugin.web.capture_step",
    "plugin.web.assess_step",
    "plugin.web.fdi_step",  # after assess_step: feeds the latest FDI to its jobs
    "plugin.web.results.view",
    "plugin.web.history",
    "plugin.web.approve_step",
)
