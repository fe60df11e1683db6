"""Server-side state of browsers and launches; the browser only holds an opaque random id.

* A **browser** is identified by a 256-bit random cookie value; only its
  SHA-256 is stored.
* A **pending authorization** (keyed by the SHA-256 of ``state``) remembers
  the issuer, the launch and the PKCE verifier between the redirect to the
  EHR and the callback; it is single-use and expires after ten minutes.
* A **launch** is one authorized SMART context (one patient at one EHR) with
  its tokens. Its id appears in app URLs so that two launches in one browser
  (two patients in two tabs) never share state; a launch is only served to
  the browser that started it.

Tokens, verifiers and the patient banner are encrypted at rest (:mod:`.vault`).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from ..smart.pkce import digest, same
from ..smart.tokens import TokenSet
from .db import Database
from .vault import Vault

PENDING_TTL_S = 600.0


@dataclass(frozen=True)
class PendingAuth:
    """What the callback needs to finish an authorization it started."""

    iss: str
    kind: str  # "ehr" or "standalone"
    launch: str | None
    scope: str
    code_verifier: str

    def __repr__(self) -> str:
        return f"PendingAuth(iss={self.iss!r}, kind={self.kind!r})"


@dataclass(frozen=True)
class Launch:
    """One authorized SMART launch (tokens are fetched separately, never kept on this object)."""

    id: str
    browser: str
    iss: str
    client_id: str
    patient: str
    encounter: str | None
    fhir_user: str | None
    scope: tuple[str, ...]
    need_patient_banner: bool
    smart_style_url: str | None
    csrf: str
    created: float
    expires: float
    token_expires: float


class SessionStore:
    """Browsers, pending authorizations and launches in the app database."""

    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    # -- browsers ---------------------------------------------------------------------------------
    def browser_for(self, cookie_value: str | None) -> str | None:
        """The stored browser key for a cookie value, or None when unknown."""
        if not cookie_value or len(cookie_value) > 200:
            return None
        key = digest(cookie_value)
        with self.db.reading() as con:
            row = con.execute("SELECT id_hash FROM browsers WHERE id_hash=?", (key,)).fetchone()
        return key if row else None

    def new_browser(self) -> tuple[str, str]:
        """Register a new browser; returns (cookie value, stored key)."""
        value = secrets.token_urlsafe(32)
        key = digest(value)
        now = time.time()
        with self.db.transaction() as con:
            con.execute("INSERT INTO browsers (id_hash, created, last_seen) VALUES (?, ?, ?)", (key, now, now))
        return value, key

    # -- pending authorizations -------------------------------------------------------------------
    def add_pending(self, *, browser: str, state: str, pending: PendingAuth, now: float | None = None) -> None:
        now = time.time() if now is None else now
        key = digest(state)
        sealed = self.vault.seal(pending.code_verifier, purpose="verifier", row=key)
        with self.db.transaction() as con:
            con.execute("DELETE FROM pending_auth WHERE expires < ?", (now,))
            con.execute(
                "INSERT INTO pending_auth (state_hash, browser, iss, kind, launch, scope, verifier, created, expires)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, browser, pending.iss, pending.kind, pending.launch, pending.scope, sealed, now,
                 now + PENDING_TTL_S),
            )

    def take_pending(self, *, browser: str | None, state: str | None, now: float | None = None) -> PendingAuth | None:
        """Remove and return the pending authorization for ``state`` if this browser started it.

        Returns None when the state is missing, unknown, expired, already used
        or belongs to another browser (the row is consumed in every case, so a
        replayed callback never succeeds).
        """
        if not state or len(state) > 512:
            return None
        now = time.time() if now is None else now
        key = digest(state)
        with self.db.transaction() as con:
            row = con.execute("SELECT * FROM pending_auth WHERE state_hash=?", (key,)).fetchone()
            if row is None:
                return None
            con.execute("DELETE FROM pending_auth WHERE state_hash=?", (key,))
        if browser is None or not same(row["browser"], browser) or row["expires"] < now:
            return None
        return PendingAuth(
            iss=row["iss"], kind=row["kind"], launch=row["launch"], scope=row["scope"],
            code_verifier=self.vault.open(row["verifier"], purpose="verifier", row=key),
        )

    # -- launches -----------------------------------------------------------------------------------
    def create_launch(self, *, browser: str, iss: str, client_id: str, tokens: TokenSet, ttl_s: float,
                      now: float | None = None) -> Launch:
        """Store a newly authorized launch and its tokens."""
        if not tokens.patient:
            raise ValueError("a launch needs a patient in context")
        now = time.time() if now is None else now
        launch_id = secrets.token_urlsafe(18)
        csrf = secrets.token_urlsafe(24)
        sealed = self.vault.seal(tokens.to_json(), purpose="tokens", row=launch_id)
        with self.db.transaction() as con:
            con.execute(
                "INSERT INTO launches (id, browser, iss, client_id, patient, encounter, fhir_user, scope,"
                " need_patient_banner, smart_style_url, banner, tokens, token_expires, refresh_claim, csrf,"
                " created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, ?, ?, ?)",
                (launch_id, browser, iss, client_id, tokens.patient, tokens.encounter, tokens.fhir_user,
                 " ".join(tokens.scope), int(tokens.need_patient_banner), tokens.smart_style_url, sealed,
                 tokens.expires_at, csrf, now, now + ttl_s),
            )
        return self.launch(launch_id)  # type: ignore[return-value]

    @staticmethod
    def _launch(row: Any) -> Launch:
        return Launch(
            id=row["id"], browser=row["browser"], iss=row["iss"], client_id=row["client_id"],
            patient=row["patient"], encounter=row["encounter"], fhir_user=row["fhir_user"],
            scope=tuple(row["scope"].split()), need_patient_banner=bool(row["need_patient_banner"]),
            smart_style_url=row["smart_style_url"], csrf=row["csrf"], created=row["created"],
            expires=row["expires"], token_expires=row["token_expires"],
        )

    def launch(self, launch_id: str) -> Launch | None:
        with self.db.reading() as con:
            row = con.execute("SELECT * FROM launches WHERE id=?", (launch_id,)).fetchone()
        return self._launch(row) if row else None

    def launch_for_browser(self, launch_id: str, browser: str | None) -> Launch | None:
        """The launch if it exists and belongs to ``browser``; None otherwise."""
        if browser is None or not launch_id or len(launch_id) > 64:
            return None
        launch = self.launch(launch_id)
        if launch is None or not same(launch.browser, browser):
            return None
        return launch

    def tokens(self, launch_id: str) -> TokenSet:
        with self.db.reading() as con:
            row = con.execute("SELECT tokens FROM launches WHERE id=?", (launch_id,)).fetchone()
        if row is None:
            raise KeyError(launch_id)
        return TokenSet.from_json(self.vault.open(row["tokens"], purpose="tokens", row=launch_id))

    def claim_refresh(self, launch_id: str, *, now: float | None = None, hold_s: float = 30.0) -> bool:
        """Atomically claim the right to use this launch's refresh token (one refresher at a time)."""
        now = time.time() if now is None else now
        with self.db.transaction() as con:
            cur = con.execute(
                "UPDATE launches SET refresh_claim=? WHERE id=? AND (refresh_claim IS NULL OR refresh_claim < ?)",
                (now, launch_id, now - hold_s),
            )
            return cur.rowcount == 1

    def store_tokens(self, launch_id: str, tokens: TokenSet) -> None:
        """Replace the launch's tokens (after a refresh) and release the refresh claim."""
        sealed = self.vault.seal(tokens.to_json(), purpose="tokens", row=launch_id)
        with self.db.transaction() as con:
            con.execute(
                "UPDATE launches SET tokens=?, token_expires=?, scope=?, refresh_claim=NULL WHERE id=?",
                (sealed, tokens.expires_at, " ".join(tokens.scope), launch_id),
            )

    def banner(self, launch_id: str) -> dict[str, Any] | None:
        with self.db.reading() as con:
            row = con.execute("SELECT banner FROM launches WHERE id=?", (launch_id,)).fetchone()
        if row is None or row["banner"] is None:
            return None
        return json.loads(self.vault.open(row["banner"], purpose="banner", row=launch_id))

    def store_banner(self, launch_id: str, banner: dict[str, Any]) -> None:
        sealed = self.vault.seal(json.dumps(banner), purpose="banner", row=launch_id)
        with self.db.transaction() as con:
            con.execute("UPDATE launches SET banner=? WHERE id=?", (sealed, launch_id))

    def counts(self) -> dict[str, int]:
        """Row counts per table (for tests and diagnostics; no content)."""
        with self.db.reading() as con:
            return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                    for t in ("browsers", "pending_auth", "launches", "assessments", "assessment_steps")}
