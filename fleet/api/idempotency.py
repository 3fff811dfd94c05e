"""Idempotency keys on POSTs (the ``Idempotency-Key`` header of the IETF httpapi draft).

The first successful (2xx) answer to a key is stored per caller; the same key with the same request
replays it (with ``Idempotency-Replayed: true``), the same key with another request is a 409. An
ASGI middleware, so that every POST honours the header, present routes and future ones alike. The
caller is the account behind the bearer token: two callers never share keys. A request with a key
but no valid token is passed through, to be refused by the route.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Any, Final

from starlette.types import ASGIApp, Receive, Scope, Send

from fleet.api.asgi_capture import CapturedResponse, capturing_send, header, read_body, replay_receive
from fleet.api.problems import PROBLEM_MEDIA_TYPE, Problem
from fleet.api.security import PRINCIPAL_STATE
from fleet.auth import AuthService, InvalidTokenError
from fleet.persistence.access_records import IdempotentAnswer
from fleet.persistence.access_store import AccessStore

HEADER: Final = b"idempotency-key"
MAX_KEY_CHARS: Final = 255
REPLAYED_HEADER: Final = b"idempotency-replayed"


def request_hash(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class IdempotencyMiddleware:
    def __init__(
        self, app: ASGIApp, store: AccessStore, auth: AuthService, now: Callable[[], datetime], prefix: str
    ) -> None:
        self._app = app
        self._store = store
        self._auth = auth
        self._now = now
        self._prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = header(scope, HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST" or not scope["path"].startswith(self._prefix):
            await self._app(scope, receive, send)
            return
        if not 1 <= len(key) <= MAX_KEY_CHARS:
            await _problem(send, 400, f"Idempotency-Key: 1 to {MAX_KEY_CHARS} characters")
            return
        authorization = header(scope, b"authorization") or ""
        scheme, _, token = authorization.partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise InvalidTokenError("no bearer token")
            caller = await self._auth.authenticate(token.strip())
        except InvalidTokenError:
            await self._app(scope, receive, send)
            return
        body = await read_body(receive)
        fingerprint = request_hash(scope, body)
        stored = await self._store.get_answer(caller.name, key)
        if stored is not None:
            scope.setdefault("state", {})[PRINCIPAL_STATE] = caller
            if stored.request_hash != fingerprint:
                await _problem(send, 409, "Idempotency-Key was used before with a different request")
                return
            await _replay(send, stored)
            return
        captured = CapturedResponse()
        await self._app(scope, replay_receive(body, receive), capturing_send(send, captured, keep_body=True))
        if 200 <= captured.status_code < 300:
            answer = IdempotentAnswer(
                request_hash=fingerprint,
                status_code=captured.status_code,
                content_type=captured.header(b"content-type") or "application/json",
                body=captured.body.decode("utf-8", errors="replace"),
            )
            await self._store.save_answer(caller.name, key, answer, self._now())


async def _replay(send: Send, answer: IdempotentAnswer) -> None:
    body = answer.body.encode("utf-8")
    headers = [
        (b"content-type", answer.content_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode()),
        (REPLAYED_HEADER, b"true"),
    ]
    await send({"type": "http.response.start", "status": answer.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _problem(send: Send, status: int, detail: str) -> None:
    document: dict[str, Any] = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail).model_dump(
        exclude_none=True
    )
    body = json.dumps(document).encode()
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
