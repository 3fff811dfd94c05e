"""How a simulated charge point answers the central system's requests.

:class:`RemoteControl` implements :class:`~ocpp_server.simulator.ocpp_link.ChargerControl` on top
of the connector, the configuration keys and the outbox of one charge point. What it accepts it
carries out as a real charger would: profiles apply at once, a remote stop or an unlock ends the
transaction, a reset stops it and reboots the charger, a trigger queues the requested message, a
local list update is kept with its version (through reboots, as in a charger's flash memory).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, get_args

from ocpp_server.simulator.charger_spec import RateUnit, SimChargerSpec
from ocpp_server.simulator.clock import SimClock
from ocpp_server.simulator.config import LOCAL_AUTH_LIST_MAX_LENGTH, ConfigEntry, ConfigStore
from ocpp_server.simulator.connector import Connector
from ocpp_server.simulator.local_list import LocalAuthList
from ocpp_server.simulator.outbox import BootOut, HeartbeatOut, IdleNotificationOut, Outbox
from ocpp_server.simulator.profile_store import CONNECTOR_ID, UnusableProfileError, parse_charging_profile
from ocpp_server.simulator.profiles import ProfilePurpose
from ocpp_server.simulator.timestamps import format_ocpp_datetime

_TRIGGERABLE = {
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
}
_PURPOSES: dict[str, ProfilePurpose] = {name: name for name in get_args(ProfilePurpose)}
_UNITS: dict[str, RateUnit] = {name: name for name in get_args(RateUnit)}


def _floor_to_tenth(value: float) -> float:
    """Round down to the 0.1 resolution of OCPP limits, ignoring float noise (6899.99999 -> 6900.0)."""
    return math.floor(value * 10 + 1e-6) / 10


class RemoteControl:
    """The requests a central system can make of one simulated charge point.

    Parameters
    ----------
    spec, clock, config, connector, outbox
        The charge point's parts.
    request_reboot
        Called after a Reset has stopped the transaction: close the connection and boot again.
    """

    def __init__(
        self,
        spec: SimChargerSpec,
        clock: SimClock,
        config: ConfigStore,
        connector: Connector,
        outbox: Outbox,
        request_reboot: Callable[[], None],
    ) -> None:
        self._spec = spec
        self._clock = clock
        self._config = config
        self._connector = connector
        self._outbox = outbox
        self._request_reboot = request_reboot
        self._local_list = LocalAuthList(max_length=config.int_value(LOCAL_AUTH_LIST_MAX_LENGTH))
        self._log = logging.getLogger(__name__)

    def set_charging_profile(self, connector_id: int, profile: Mapping[str, Any]) -> str:
        now = self._clock.now()
        try:
            parsed = parse_charging_profile(profile, connector_id=connector_id, installed_at=now)
            self._connector.set_profile(parsed, now)
        except UnusableProfileError as exc:
            self._log.info("%s: SetChargingProfile rejected: %s", self._spec.charge_point_id, exc)
            return "Rejected"
        return "Accepted"

    def clear_charging_profile(
        self, profile_id: int | None, connector_id: int | None, purpose: str | None, stack_level: int | None
    ) -> str:
        known_purpose = None if purpose is None else _PURPOSES.get(purpose)
        if purpose is not None and known_purpose is None:
            return "Unknown"
        removed = self._connector.clear_profiles(
            self._clock.now(),
            profile_id=profile_id,
            connector_id=connector_id,
            purpose=known_purpose,
            stack_level=stack_level,
        )
        return "Accepted" if removed else "Unknown"

    def composite_schedule(self, connector_id: int, duration_s: int, rate_unit: str | None) -> dict[str, Any] | None:
        unit = _UNITS.get(rate_unit or self._spec.rate_unit)
        if connector_id not in (0, CONNECTOR_ID) or unit is None or duration_s < 1:
            return None
        now = self._clock.now()
        scale = 1000.0 if unit == "W" else 1 / self._spec.kw_per_amp()
        periods = [
            {"start_period": offset_s, "limit": _floor_to_tenth(limit_kw * scale)}
            for offset_s, limit_kw in self._connector.composite(connector_id, duration_s, now)
        ]
        start = format_ocpp_datetime(now)
        return {
            "connector_id": connector_id,
            "schedule_start": start,
            "charging_schedule": {
                "duration": duration_s,
                "start_schedule": start,
                "charging_rate_unit": unit,
                "charging_schedule_period": periods,
            },
        }

    def configuration(self, keys: list[str] | None) -> tuple[list[ConfigEntry], list[str]]:
        return self._config.get(keys)

    def change_configuration(self, key: str, value: str) -> str:
        return self._config.change(key, value)

    def change_availability(self, connector_id: int, availability_type: str) -> str:
        """Connector 0 is the whole charger: the same single connector here."""
        if connector_id not in (0, CONNECTOR_ID):
            return "Rejected"
        return self._connector.change_availability(availability_type == "Operative", self._clock.now())

    def send_local_list(self, list_version: int, update_type: str, entries: list[Mapping[str, Any]]) -> str:
        return self._local_list.update(list_version, update_type, entries)

    def local_list_version(self) -> int:
        return self._local_list.version

    def accepts_remote_start(self, connector_id: int | None) -> bool:
        return connector_id in (None, CONNECTOR_ID) and self._connector.can_start_transaction()

    def remote_start(self, id_tag: str, connector_id: int | None, charging_profile: Mapping[str, Any] | None) -> None:
        if not self.accepts_remote_start(connector_id):
            return
        self._connector.start_transaction(id_tag, self._clock.now())
        if charging_profile is not None:
            self.set_charging_profile(CONNECTOR_ID, charging_profile)

    def accepts_remote_stop(self, transaction_id: int) -> bool:
        transaction = self._connector.transaction
        return transaction is not None and transaction.transaction_id == transaction_id

    def remote_stop(self, transaction_id: int) -> None:
        if self.accepts_remote_stop(transaction_id):
            self._connector.stop_transaction("Remote", self._clock.now())

    def reset(self, reset_type: str) -> None:
        self._connector.stop_transaction("HardReset" if reset_type == "Hard" else "SoftReset", self._clock.now())
        self._request_reboot()

    def accepts_trigger(self, requested_message: str, connector_id: int | None) -> str:
        if connector_id not in (None, 0, CONNECTOR_ID):
            return "Rejected"
        return "Accepted" if requested_message in _TRIGGERABLE else "NotImplemented"

    def trigger(self, requested_message: str, connector_id: int | None) -> None:
        if self.accepts_trigger(requested_message, connector_id) != "Accepted":
            return
        now = self._clock.now()
        if requested_message == "StatusNotification":
            reports = self._connector.status_reports(now)
            for report in reports:
                if connector_id is None or report.connector_id == connector_id:
                    self._outbox.put(report)
        elif requested_message == "MeterValues":
            self._outbox.put(self._connector.triggered_meter_values(now))
        elif requested_message == "Heartbeat":
            self._outbox.put(HeartbeatOut())
        elif requested_message == "BootNotification":
            self._outbox.put(BootOut())
        elif requested_message == "DiagnosticsStatusNotification":
            self._outbox.put(IdleNotificationOut("DiagnosticsStatusNotification"))
        elif requested_message == "FirmwareStatusNotification":
            self._outbox.put(IdleNotificationOut("FirmwareStatusNotification"))

    def accepts_unlock(self, connector_id: int) -> str:
        return "Unlocked" if connector_id == CONNECTOR_ID else "NotSupported"

    def unlock(self, connector_id: int) -> None:
        if connector_id == CONNECTOR_ID:
            self._connector.stop_transaction("UnlockCommand", self._clock.now())
