"""What a simulated charge point needs from the OCPP version it speaks.

The charging model (connector, battery, profiles, outbox, retries) is the same for every version;
a :class:`Dialect` supplies the websocket subprotocol, the library link that answers the central
system's requests, and the translation of outbox messages into that version's requests and of
the answers back into the model.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from ocpp_server.simulator.outbox import OutMessage


class Link(Protocol):
    """One websocket session on the ``ocpp`` library's charge point role."""

    async def start(self) -> None: ...

    async def call(
        self, payload: Any, suppress: bool = True, unique_id: Any = None, skip_schema_validation: bool = False
    ) -> Any: ...


class Dialect(Protocol):
    """The protocol layer of one simulated charge point."""

    @property
    def subprotocol(self) -> Subprotocol: ...

    def open_link(self, websocket: ClientConnection, *, response_timeout_s: float, logger: logging.Logger) -> Link:
        """The link for a new session (a dialect may reset per-session state here)."""
        ...

    def boot_call(self, *, after_reset: bool) -> Any:
        """The BootNotification request sent on connecting (again after a Reset when ``after_reset``)."""
        ...

    def to_call(self, message: OutMessage) -> Any | None:
        """The request for an outbox message; None when this version has nothing to send for it.

        Raises
        ------
        UndeliverableError
            When the message cannot be sent at all (it is dropped).
        """
        ...

    def delivered(self, message: OutMessage, result: Any) -> None:
        """Apply the central system's answer to a delivered message."""
        ...
