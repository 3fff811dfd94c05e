"""The audit log: every command and change made through the API (who, what, when, payload, outcome).

An ASGI middleware rather than a call in each route, so that no new route can forget it. Every
request to ``/api/v1`` other than a read is recorded, refused ones included; secrets in the body
(passwords, client secrets, tokens) are replaced by ``"***"``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from fleet.api.asgi_capture import CapturedResponse, capturing_send, header, read_body, replay_receive
from fleet.api.security import PRINCIPAL_STATE
from fleet.auth import Principal
from fleet.persistence.access_store import AccessStore

log = logging.getLogger(__name__)

READS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
SECRET_FIELDS: Final = frozenset({"password", "client_secret", "secret", "token"})
PASSWORD_KEYS: Final = frozenset({"AuthorizationKey", "SecurityCtrlr.BasicAuthPassword"})
"""Configuration keys (typed ``change-configuration``) whose value is a charger's password."""
PAYLOAD_LIMIT_BYTES: Final = 256 * 1024
"""Longer bodies are recorded as too long rather than stored."""


def audit_payload(body: bytes, content_type: str | None) -> dict[str, Any] | None:
    """The request body as a JSON object for the log, with secrets masked."""
    if not body:
        return None
    if len(body) > PAYLOAD_LIMIT_BYTES:
        return {"_unrecorded": f"body longer than {PAYLOAD_LIMIT_BYTES} bytes"}
    media_type = (content_type or "").split(";")[0].strip().lower()
    parsed: Any
    try:
        if media_type == "application/x-www-form-urlencoded":
            parsed = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        else:
            parsed = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return {"_unrecorded": f"body not JSON ({len(body)} bytes)"}
    if not isinstance(parsed, dict):
        parsed = {"items": parsed}
    try:
        json.dumps(parsed, allow_nan=False)
    except ValueError:
        return {"_unrecorded": "body holds NaN or infinity"}
    masked = {k: "***" if k in SECRET_FIELDS else v for k, v in parsed.items()}
    if masked.get("key") in PASSWORD_KEYS and "value" in masked:
        # A charger's new Basic-auth password, sent with ChangeConfiguration (or its 2.0.1 variable).
        masked["value"] = "***"
    if isinstance(masked.get("setVariableData"), list):
        masked["setVariableData"] = [_masked_setting(item) for item in masked["setVariableData"]]
    return masked


def _masked_setting(item: Any) -> Any:
    """A SetVariables item with a 2.0.1 station's new Basic-auth password masked."""
    if not isinstance(item, dict) or "attributeValue" not in item:
        return item
    variable = item.get("variable")
    if isinstance(variable, dict) and variable.get("name") == "BasicAuthPassword":
        return item | {"attributeValue": "***"}
    return item


class AuditMiddleware:
    """Records every non-read request to the API in the store's audit log, after it is answered.

    Parameters
    ----------
    now
        The wall clock: the log says when a person acted, even when the site's clock is simulated.
    """

    def __init__(self, app: ASGIApp, store: AccessStore, now: Callable[[], datetime], prefix: str) -> None:
        self._app = app
        self._store = store
        self._now = now
        self._prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READS or not scope["path"].startswith(self._prefix):
            await self._app(scope, receive, send)
            return
        body = await read_body(receive)
        state: dict[str, Any] = scope.setdefault("state", {})
        captured = CapturedResponse()
        try:
            await self._app(scope, replay_receive(body, receive), capturing_send(send, captured, keep_body=False))
        finally:
            principal = state.get(PRINCIPAL_STATE)
            caller = principal if isinstance(principal, Principal) else None
            try:
                await self._store.add_audit(
                    self._now(),
                    caller.name if caller else None,
                    str(caller.role) if caller else None,
                    scope["method"],
                    scope["path"],
                    captured.status_code,
                    audit_payload(body, header(scope, b"content-type")),
                )
            except Exception:
                log.exception("could not write the audit entry for %s %s", scope["method"], scope["path"])
