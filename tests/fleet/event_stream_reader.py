"""Read a server-sent-events response of the application event by event, as it is sent.

httpx's ``ASGITransport`` hands a response over only once its body is complete, so a test cannot act
between a stream's first events and the next. ``open_event_stream`` calls the ASGI application
itself and hands each event over as the application sends it; leaving the context tells the
application that the client went away, as a closed connection would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.types import ASGIApp, Message, Scope

EVENT_END = b"\n\n"


@dataclass
class EventStream:
    """The response's status and headers, and its events as they arrive."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    _started: asyncio.Event = field(default_factory=asyncio.Event)
    _chunks: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    _pending: bytes = b""

    async def next_event(self, timeout_s: float) -> str:
        """The next event block (``event: name\\ndata: ...``), without its blank line.

        Raises
        ------
        TimeoutError
            If none is complete within ``timeout_s``.
        EOFError
            If the response ended first.
        """
        async with asyncio.timeout(timeout_s):
            while EVENT_END not in self._pending:
                chunk = await self._chunks.get()
                if chunk is None:
                    raise EOFError(f"the stream ended; left over: {self._pending!r}")
                self._pending += chunk
        block, self._pending = self._pending.split(EVENT_END, 1)
        return block.decode("utf-8")

    async def rest(self, timeout_s: float) -> list[str]:
        """Every event still to come, once the response has ended.

        Raises
        ------
        TimeoutError
            If the response has not ended within ``timeout_s``.
        """
        events: list[str] = []
        async with asyncio.timeout(timeout_s):
            while True:
                try:
                    events.append(await self.next_event(timeout_s))
                except EOFError:
                    return events


@contextlib.asynccontextmanager
async def open_event_stream(
    app: ASGIApp, path: str, token: str, params: dict[str, str | int] | None = None, start_timeout_s: float = 10.0
) -> AsyncIterator[EventStream]:
    """GET ``path`` from ``app`` with the bearer ``token``; the response once its headers are sent."""
    stream = EventStream()
    gone = asyncio.Event()
    request_sent = False

    async def receive() -> Message:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            stream.status = message["status"]
            stream.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message["headers"]}
            stream._started.set()
        elif message["type"] == "http.response.body":
            if body := message.get("body", b""):
                stream._chunks.put_nowait(body)
            if not message.get("more_body", False):
                stream._chunks.put_nowait(None)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("ascii"),
        "root_path": "",
        "query_string": urlencode(params or {}).encode("ascii"),
        "headers": [(b"host", b"vettabbia.test"), (b"authorization", f"Bearer {token}".encode("ascii"))],
        "client": ("127.0.0.1", 50000),
        "server": ("vettabbia.test", 80),
    }
    served: asyncio.Future[None] = asyncio.ensure_future(app(scope, receive, send))
    try:
        async with asyncio.timeout(start_timeout_s):
            await stream._started.wait()
        yield stream
    finally:
        gone.set()
        await asyncio.wait_for(served, start_timeout_s)
