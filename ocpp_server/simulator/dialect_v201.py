"""OCPP 2.0.1 as a simulated charge point speaks it (subprotocol ``ocpp2.0.1``).

The charger chooses its transaction ids, so the central system's answer to a Started event only
says whether the idToken is accepted. An ISO 15118 charger reports the vehicle's charging needs
once the Started event is through, and the schedule the vehicle chose after each TxProfile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.clock import SimClock
from ocpp_server.simulator.config import HEARTBEAT_INTERVAL, ConfigStore
from ocpp_server.simulator.connector import Connector
from ocpp_server.simulator.device_model import DeviceModel
from ocpp_server.simulator.messages_v201 import (
    TransactionEvents,
    boot_notification,
    connector_status,
    needs_of,
    to_call,
)
from ocpp_server.simulator.ocpp_link_v201 import OcppLinkV201
from ocpp_server.simulator.outbox import BootOut, Outbox, OutMessage, StartTransactionOut, StatusOut
from ocpp_server.simulator.remote_control import RemoteControl
from ocpp_server.simulator.remote_control_v201 import RemoteControlV201


class Ocpp201Dialect:
    """The OCPP 2.0.1 protocol layer of one simulated charge point."""

    def __init__(
        self,
        spec: SimChargerSpec,
        clock: SimClock,
        config: ConfigStore,
        connector: Connector,
        outbox: Outbox,
        control: RemoteControl,
        departure: Callable[[], datetime | None],
    ) -> None:
        self._spec = spec
        self._clock = clock
        self._config = config
        self._connector = connector
        self._outbox = outbox
        self._departure = departure
        self.device_model = DeviceModel(spec, config, lambda: len(connector.profiles))
        self._events = TransactionEvents(self.device_model.tx_updated_measurands)
        self._control = RemoteControlV201(
            spec, clock, connector, outbox, control, self.device_model, self._events, departure
        )
        self._reported_status: str | None = None

    @property
    def subprotocol(self) -> Subprotocol:
        return Subprotocol("ocpp2.0.1")

    def open_link(
        self, websocket: ClientConnection, *, response_timeout_s: float, logger: logging.Logger
    ) -> OcppLinkV201:
        self._reported_status = None
        return OcppLinkV201(
            self._spec.charge_point_id,
            websocket,
            self._control,
            response_timeout_s=response_timeout_s,
            logger=logger,
        )

    def boot_call(self, *, after_reset: bool) -> Any:
        return boot_notification(self._spec, "RemoteReset" if after_reset else "PowerUp")

    def to_call(self, message: OutMessage) -> Any | None:
        # Several statuses of the model are one 2.0.1 status (Occupied): report changes only.
        if isinstance(message, StatusOut) and connector_status(message.status) == self._reported_status:
            return None
        return to_call(message, self._events, self._spec, offline=self._outbox.queued_offline(message))

    def delivered(self, message: OutMessage, result: Any) -> None:
        if isinstance(message, StatusOut):
            self._reported_status = connector_status(message.status)
        elif isinstance(message, StartTransactionOut):
            info = result.id_token_info or {}
            accepted = info.get("status", "Accepted") == "Accepted"
            transaction = message.transaction
            self._connector.confirm_transaction(transaction, None, accepted, self._clock.now())
            battery = self._connector.battery
            if (
                accepted
                and self._spec.speaks_iso15118
                and battery is not None
                and self._connector.transaction is transaction
            ):
                self._outbox.put(needs_of(self._spec, transaction, battery, self._departure()))
        elif isinstance(message, BootOut) and int(result.interval) > 0:
            self._config.set_int(HEARTBEAT_INTERVAL, int(result.interval))
