"""One charger's smart-charging side: what it reported it can do, and every profile sent to it.

After an accepted boot, and when a known charger reconnects, the connection runs ``set_up``: it reads
the charger's capabilities (GetConfiguration, with a timeout), tells the application, then installs
the fail-safe profile. Every SetChargingProfile, the fail-safe and the plan's alike, goes through
``send``: fitted to the reported capabilities or not sent at all (``profile_checks``). A profile the
charger does not hold, refused here or by the charger, is reported to the application for the
charger's log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from ocpp_server.capabilities import (
    CAPABILITY_KEYS,
    ChargerCapabilities,
    configuration_from_answer,
    parse_configuration,
)
from ocpp_server.commands import CommandResult, CommandStatus, ConnectorElectrical, PowerLimitProfile
from ocpp_server.events import CapabilitiesReported, ChargerNotice, NoticeKind
from ocpp_server.outbound_v16 import CallingChargePoint, OutboundCalls
from ocpp_server.ports import BootDecision, ChargerEventSink
from ocpp_server.profile_checks import prepare_profile
from ocpp_server.profiles import failsafe_profile
from ocpp_server.set_up_gate import SetUpGate

LOGGER = logging.getLogger(__name__)

SECRET_KEYS = frozenset({"authorizationkey"})
"""Keys whose value never leaves the edge (only whether it is set)."""


class ChargerConnection(CallingChargePoint, Protocol):
    """The charger session a channel sends through."""

    @property
    def charge_point_id(self) -> str: ...


class ProfileChannel:
    """Capabilities and checked profiles of one charger connection.

    Parameters
    ----------
    charge_point
        The connection (the ``ocpp`` library's ``call`` and a closed flag).
    outbound
        Timeouts and the shared limit on calls in flight.
    sink
        The application: hears the capabilities and the profiles the charger does not hold.
    now
        Clock returning tz-aware UTC datetimes.
    read_timeout_s
        Longest wait [s] for the GetConfiguration answer, and for a profile to wait for it.
    """

    def __init__(
        self,
        charge_point: ChargerConnection,
        outbound: OutboundCalls,
        sink: ChargerEventSink,
        now: Callable[[], datetime],
        *,
        read_timeout_s: float = 10.0,
    ) -> None:
        self._charge_point = charge_point
        self._outbound = outbound
        self._sink = sink
        self._now = now
        self._read_timeout_s = read_timeout_s
        self._set_up = SetUpGate(read_timeout_s)
        self.capabilities: ChargerCapabilities | None = None
        """The latest read on this connection; None until read (or if the charger did not answer)."""

    def expect_set_up(self) -> None:
        """A set-up is coming: profiles sent meanwhile wait (at most the read timeout) for its capabilities."""
        self._set_up.close()

    async def set_up(self, decision: BootDecision) -> CommandResult:
        """Read the capabilities, then install the fail-safe profile; the fail-safe's result."""
        self.expect_set_up()
        try:
            await self.read_capabilities()
        finally:
            self._set_up.open()
        return await self.install_failsafe(decision)

    async def read_capabilities(self) -> ChargerCapabilities | None:
        """Ask the charger (GetConfiguration) and tell the application; None if it gave no answer."""
        cp_id = self._charge_point.charge_point_id
        answer = await self._outbound.get_configuration(
            self._charge_point, CAPABILITY_KEYS, timeout_s=self._read_timeout_s
        )
        if isinstance(answer, CommandResult):
            LOGGER.warning("%s: capabilities not read: %s %s", cp_id, answer.status, answer.detail)
            return None
        configuration, unknown = configuration_from_answer(answer)
        capabilities = parse_configuration(configuration, unknown, self._now())
        self.capabilities = capabilities
        if capabilities.problems:
            LOGGER.warning("%s: unreadable configuration values: %s", cp_id, ", ".join(capabilities.problems))
        shown = {key: value for key, value in configuration.items() if key.lower() not in SECRET_KEYS}
        await self._sink.capabilities_reported(CapabilitiesReported(cp_id, capabilities, shown))
        return capabilities

    async def install_failsafe(self, decision: BootDecision) -> CommandResult:
        """Send the fail-safe TxDefaultProfile for ``decision``."""
        cp_id = self._charge_point.charge_point_id
        electrical = failsafe_electrical(decision.electrical)
        if electrical is None:
            LOGGER.error("%s: no connector electrical data, fail-safe not installed", cp_id)
            return CommandResult(CommandStatus.REJECTED, "no connector electrical data")
        result = await self.send(failsafe_profile(decision.failsafe_limit_kw), electrical)
        level = logging.DEBUG if result.ok else logging.WARNING
        outcome = "installed" if result.ok else f"not installed: {result.status} {result.detail}"
        LOGGER.log(level, "%s: fail-safe %.1f kW %s", cp_id, decision.failsafe_limit_kw, outcome)
        return result

    async def send(
        self, profile: PowerLimitProfile, electrical: ConnectorElectrical, *, max_periods: int | None = None
    ) -> CommandResult:
        """Send ``profile`` [kW] if it fits the charger (see ``profile_checks``); NOT_SENT says why not.

        Raises
        ------
        ValueError
            If ``electrical`` is inconsistent (a caller error, not a charger one).
        """
        await self._set_up.wait()
        prepared = prepare_profile(profile, electrical, self.capabilities, max_periods=max_periods)
        if prepared.payload is None:
            result = CommandResult(CommandStatus.NOT_SENT, prepared.refusal or "")
        else:
            result = await self._outbound.set_charging_profile(
                self._charge_point, profile.connector_id, prepared.payload
            )
        if not result.ok and result.status is not CommandStatus.NOT_CONNECTED:
            await self._report(profile, result)
        return result

    async def _report(self, profile: PowerLimitProfile, result: CommandResult) -> None:
        cp_id = self._charge_point.charge_point_id
        what = f"{profile.purpose.value} {profile.profile_id} on connector {profile.connector_id}"
        LOGGER.warning("%s: %s not installed: %s %s", cp_id, what, result.status, result.detail)
        notice = ChargerNotice(
            charge_point_id=cp_id,
            kind=NoticeKind.CHARGING_PROFILE,
            status=result.status.value,
            at=self._now(),
            request_id=profile.profile_id,
            detail=f"{what}: {result.detail}",
        )
        try:
            await self._sink.charger_reported(notice)
        except Exception:
            # The profile's result matters more to the caller than the log line.
            LOGGER.exception("%s: recording the profile result failed", cp_id)


def failsafe_electrical(electrical: dict[int, ConnectorElectrical]) -> ConnectorElectrical | None:
    """Connector 1's description, else the lowest-numbered connector's: the fail-safe goes on
    connector 0 and so needs one conversion for the whole charger."""
    if 1 in electrical:
        return electrical[1]
    if not electrical:
        return None
    return electrical[min(electrical)]
