"""The objects one app instance shares between requests, and the workflow-step registry.

Blueprints reach them with :func:`services`. Later workflow steps (assess,
results, approve and write back) plug in by registering a blueprint in
:data:`plugin.web.BLUEPRINT_MODULES` whose ``init_app`` calls
:func:`register_step`; the assessment page then links to them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

import requests
from flask import Flask, current_app

from ..config import AppConfig, Tenant
from ..smart.client import SmartClient
from ..smart.discovery import DiscoveryCache
from .assessments import Assessment, AssessmentStore
from .db import Database
from .sessions import SessionStore
from .vault import Vault


@dataclass(frozen=True)
class WorkflowStep:
    """A step offered on an assessment's page once ``available(assessment)`` says so.

    Attributes
    ----------
    name : str
        Stable id, also the key of its stored results (:meth:`AssessmentStore.add_step`).
    label : str
        Button text.
    endpoint : str
        Flask endpoint taking ``launch_id`` and ``assessment_id``.
    """

    name: str
    label: str
    endpoint: str
    available: Callable[[Assessment], bool] = lambda assessment: True


@dataclass
class Services:
    """Configuration, storage and clients of one app instance."""

    config: AppConfig
    db: Database
    vault: Vault
    sessions: SessionStore
    assessments: AssessmentStore
    discovery: DiscoveryCache
    steps: list[WorkflowStep] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def http(self) -> requests.Session:
        """An HTTP session for outgoing calls, one per thread (connection reuse without sharing state)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    @classmethod
    def create(cls, config: AppConfig) -> "Services":
        config.instance_dir.mkdir(parents=True, exist_ok=True)
        db = Database(config.instance_dir)
        vault = Vault(config.secret_key)
        return cls(
            config=config, db=db, vault=vault, sessions=SessionStore(db, vault),
            assessments=AssessmentStore(db, config.instance_dir), discovery=DiscoveryCache(),
        )

    def smart_client(self, tenant: Tenant) -> SmartClient:
        """A SMART client for ``tenant`` (discovery is cached for a few minutes)."""
        smart = self.discovery.get(tenant.iss, timeout=self.config.fhir_timeout_s, http=self.http)
        key = self.config.key(tenant.key_id) if tenant.key_id else None
        return SmartClient(tenant, smart, redirect_uri=self.config.redirect_uri, signing_key=key,
                           timeout=self.config.fhir_timeout_s)


def services() -> Services:
    """The :class:`Services` of the current app."""
    return current_app.extensions["fpcds"]


def register_step(app: Flask, step: WorkflowStep) -> None:
    """Offer a workflow step on assessment pages (called from a step blueprint's ``init_app``)."""
    steps = app.extensions["fpcds"].steps
    if any(s.name == step.name for s in steps):
        raise ValueError(f"workflow step {step.name!r} is registered twice")
    steps.append(step)
