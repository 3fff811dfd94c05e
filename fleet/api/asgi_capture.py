"""Small ASGI helpers for middlewares that look at a request's body and a response's status."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.types import Message, Receive, Scope, Send


async def read_body(receive: Receive) -> bytes:
    """The whole request body (the app behind gets it again through ``replay_receive``)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_receive(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app ``body`` once, then passes on (e.g. a disconnect)."""
    sent = False

    async def _receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return _receive


@dataclass
class CapturedResponse:
    status_code: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)

    def header(self, name: bytes) -> str | None:
        return next((v.decode("latin-1") for k, v in self.headers if k.lower() == name), None)


def capturing_send(send: Send, captured: CapturedResponse, *, keep_body: bool) -> Send:
    """A ``send`` that forwards everything and notes the status (and the body, if asked)."""

    async def _send(message: Message) -> None:
        if message["type"] == "http.response.start":
            captured.status_code = int(message["status"])
            captured.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body" and keep_body:
            captured.body.extend(message.get("body", b""))
        await send(message)

    return _send


def header(scope: Scope, name: bytes) -> str | None:
    """A request header (first occurrence), decoded as latin-1."""
    return next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name), None)
