"""OCPP 1.6J as a simulated charge point speaks it: :class:`OcppLink` and :func:`to_call`."""

from __future__ import annotations

import logging
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.clock import SimClock
from ocpp_server.simulator.config import HEARTBEAT_INTERVAL, ConfigStore
from ocpp_server.simulator.connector import Connector
from ocpp_server.simulator.ocpp_link import ChargerControl, OcppLink, to_call
from ocpp_server.simulator.outbox import BootOut, OutMessage, StartTransactionOut


class Ocpp16Dialect:
    """The OCPP 1.6J protocol layer of one simulated charge point."""

    def __init__(
        self, spec: SimChargerSpec, clock: SimClock, config: ConfigStore, connector: Connector, control: ChargerControl
    ) -> None:
        self._spec = spec
        self._clock = clock
        self._config = config
        self._connector = connector
        self._control = control

    @property
    def subprotocol(self) -> Subprotocol:
        return Subprotocol("ocpp1.6")

    def open_link(self, websocket: ClientConnection, *, response_timeout_s: float, logger: logging.Logger) -> OcppLink:
        return OcppLink(
            self._spec.charge_point_id,
            websocket,
            self._control,
            response_timeout_s=response_timeout_s,
            logger=logger,
        )

    def boot_call(self, *, after_reset: bool) -> Any:
        return to_call(BootOut(), vendor=self._spec.vendor, model=self._spec.model)

    def to_call(self, message: OutMessage) -> Any | None:
        return to_call(message, vendor=self._spec.vendor, model=self._spec.model)

    def delivered(self, message: OutMessage, result: Any) -> None:
        if isinstance(message, StartTransactionOut):
            accepted = result.id_tag_info.get("status") == "Accepted"
            self._connector.confirm_transaction(
                message.transaction, int(result.transaction_id), accepted, self._clock.now()
            )
        elif isinstance(message, BootOut) and int(result.interval) > 0:
            self._config.set_int(HEARTBEAT_INTERVAL, int(result.interval))
