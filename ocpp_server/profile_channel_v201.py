"""One OCPP 2.0.1 station's smart-charging side: its device model, sampling, and every profile sent.

After an accepted boot the connection runs ``set_up``, the 2.0.1 counterpart of ``profile_channel``:

1. it reads the variables that say how the station takes profiles and reports energy
   (GetVariables, split to the station's ItemsPerMessage / BytesPerMessage once those are known),
   and tells the application as ``CapabilitiesReported``, in the terms a 1.6 charger reports;
2. it sets the sampling the control loop needs (J: SampledDataCtrlr.TxUpdatedInterval and
   TxUpdatedMeasurands: energy register, power and state of charge every minute);
3. it installs the fail-safe TxDefaultProfile on EVSE 0.

Every SetChargingProfile goes through ``send``: converted to 2.0.1, checked against the K01
requirements and the station's reported limits (``profiles_v201.k01_problems``) and not sent at all
when it fails them. A TxProfile names the charger's own transaction id, which this connection learnt
from the transaction's TransactionEvents (``transactions_v201``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from ocpp.v201 import call

from ocpp_server.capabilities import ChargerCapabilities
from ocpp_server.commands import (
    CommandResult,
    CommandStatus,
    ConnectorElectrical,
    PowerLimitProfile,
    ProfilePurpose,
)
from ocpp_server.device_limits import charger_limits
from ocpp_server.device_model import DeviceModel, NotifyReportAssembler
from ocpp_server.events import CapabilitiesReported, ChargerNotice, NoticeKind
from ocpp_server.message_batches import batches, call_frame_encoder
from ocpp_server.outbound_v16 import CallingChargePoint, OutboundCalls
from ocpp_server.ports import BootDecision, ChargerEventSink
from ocpp_server.profile_channel import failsafe_electrical
from ocpp_server.profiles import failsafe_profile
from ocpp_server.profiles_v201 import k01_problems, to_ocpp201_charging_profile
from ocpp_server.set_up_gate import SetUpGate
from ocpp_server.station_variables_v201 import (
    CAPABILITY_VARIABLES,
    LIMIT_VARIABLES,
    TX_UPDATED_INTERVAL,
    TX_UPDATED_MEASURANDS_VARIABLE,
    Variable,
    capabilities_of,
    configuration_of,
)
from ocpp_server.transactions_v201 import ChargerTransactions

LOGGER = logging.getLogger(__name__)

TX_UPDATED_INTERVAL_S = 60
TX_UPDATED_MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,SoC"


_V201_PURPOSE = {
    ProfilePurpose.CHARGE_POINT_MAX: "ChargingStationMaxProfile",
    ProfilePurpose.TX_DEFAULT: "TxDefaultProfile",
    ProfilePurpose.TX: "TxProfile",
}


class StationConnection(CallingChargePoint, Protocol):
    @property
    def charge_point_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ScheduleComparison:
    status: str
    """``Within`` the profile sent, ``Above`` it somewhere, or ``NoProfile`` to compare with."""
    detail: str


class ProfileChannelV201:
    """Device model, sampling set-up and checked profiles of one 2.0.1 station connection."""

    def __init__(
        self,
        charge_point: StationConnection,
        outbound: OutboundCalls,
        sink: ChargerEventSink,
        now: Callable[[], datetime],
        transactions: ChargerTransactions,
        *,
        read_timeout_s: float = 10.0,
    ) -> None:
        self._charge_point = charge_point
        self._outbound = outbound
        self._sink = sink
        self._now = now
        self._transactions = transactions
        self._read_timeout_s = read_timeout_s
        self._set_up = SetUpGate(read_timeout_s)
        self._model = DeviceModel()
        """What the station reported of itself: read with GetVariables, replaced by a whole report."""
        self._reports = NotifyReportAssembler()
        self._sent: dict[int, tuple[dict[str, Any], ConnectorElectrical, datetime]] = {}
        """The last TxProfile (or TxDefaultProfile) sent per EVSE, for comparing the EV's schedule."""
        self.capabilities: ChargerCapabilities | None = None
        self.device_model: DeviceModel | None = None
        """The last complete NotifyReport (GetBaseReport / GetReport), None until one arrives."""

    def expect_set_up(self) -> None:
        self._set_up.close()

    async def set_up(self, decision: BootDecision) -> CommandResult:
        """Read the variables, set the sampling, then install the fail-safe; the fail-safe's result."""
        self.expect_set_up()
        try:
            await self.read_capabilities()
            await self.set_sampling()
        finally:
            self._set_up.open()
        return await self.install_failsafe(decision)

    async def read_capabilities(self) -> ChargerCapabilities | None:
        """GetVariables for how the station takes profiles; None if it gave no answer."""
        if not await self._get_variables(LIMIT_VARIABLES, items_per_message=None, bytes_per_message=None):
            LOGGER.warning("%s: device model not read", self._charge_point.charge_point_id)
            return None
        limits = charger_limits(self._model)
        read = await self._get_variables(
            CAPABILITY_VARIABLES,
            items_per_message=limits.items_per_get_variables,
            bytes_per_message=limits.bytes_per_get_variables,
        )
        return await self._tell_capabilities() if read else None

    async def _tell_capabilities(self) -> ChargerCapabilities:
        """The capabilities of the device model as it stands, told to the application with every value."""
        capabilities = capabilities_of(charger_limits(self._model), self._now())
        self.capabilities = capabilities
        cp_id = self._charge_point.charge_point_id
        await self._sink.capabilities_reported(CapabilitiesReported(cp_id, capabilities, configuration_of(self._model)))
        return capabilities

    async def set_sampling(self) -> bool:
        """Ask for the meter values the control loop needs during transactions; whether all were taken."""
        wanted = {
            TX_UPDATED_INTERVAL: str(TX_UPDATED_INTERVAL_S),
            TX_UPDATED_MEASURANDS_VARIABLE: TX_UPDATED_MEASURANDS,
        }
        data = [{**variable.wire(), "attributeValue": value} for variable, value in wanted.items()]
        accepted = True
        limits = charger_limits(self._model)
        for batch in batches(
            data,
            items_per_message=limits.items_per_set_variables,
            bytes_per_message=limits.bytes_per_set_variables,
            encode=call_frame_encoder("SetVariables", "setVariableData"),
        ):
            answer = await self._outbound.request(self._charge_point, call.SetVariables(set_variable_data=batch))
            if isinstance(answer, CommandResult):
                LOGGER.warning(
                    "%s: sampling not set: %s %s", self._charge_point.charge_point_id, answer.status, answer.detail
                )
                return False
            for result in answer.set_variable_result:
                if result["attribute_status"] not in ("Accepted", "RebootRequired"):
                    accepted = False
                    LOGGER.warning(
                        "%s: %s.%s not set: %s",
                        self._charge_point.charge_point_id,
                        result["component"]["name"],
                        result["variable"]["name"],
                        result["attribute_status"],
                    )
        return accepted

    async def _get_variables(
        self, variables: Sequence[Variable], *, items_per_message: int | None, bytes_per_message: int | None
    ) -> bool:
        """Ask for ``variables`` in batches the station takes; whether it answered every batch."""
        for batch in batches(
            [variable.wire() for variable in variables],
            items_per_message=items_per_message,
            bytes_per_message=bytes_per_message,
            encode=call_frame_encoder("GetVariables", "getVariableData"),
        ):
            answer = await self._outbound.request(
                self._charge_point, call.GetVariables(get_variable_data=batch), timeout_s=self._read_timeout_s
            )
            if isinstance(answer, CommandResult):
                LOGGER.warning(
                    "%s: GetVariables: %s %s", self._charge_point.charge_point_id, answer.status, answer.detail
                )
                return False
            self._model = self._model.with_get_variables_results(answer.get_variable_result)
        return True

    async def report_part(self, request: Mapping[str, Any]) -> None:
        """One NotifyReport (snake_case). A complete report becomes the station's device model, and
        the application hears it as the station's configuration (every variable's Actual value)."""
        progress = self._reports.add(request)
        if not progress.complete:
            return
        model = self._reports.take(progress.request_id)
        self.device_model = model
        LOGGER.info(
            "%s: device model of report %d: %d variables",
            self._charge_point.charge_point_id,
            progress.request_id,
            len(model),
        )
        # The report is the station's whole model: it replaces what was read variable by variable.
        self._model = model
        await self._tell_capabilities()

    async def install_failsafe(self, decision: BootDecision) -> CommandResult:
        cp_id = self._charge_point.charge_point_id
        electrical = failsafe_electrical(decision.electrical)
        if electrical is None:
            LOGGER.error("%s: no connector electrical data, fail-safe not installed", cp_id)
            return CommandResult(CommandStatus.REJECTED, "no connector electrical data")
        result = await self.send(failsafe_profile(decision.failsafe_limit_kw), electrical)
        outcome = "installed" if result.ok else f"not installed: {result.status} {result.detail}"
        LOGGER.log(logging.DEBUG if result.ok else logging.WARNING, "%s: fail-safe %s", cp_id, outcome)
        return result

    async def send(
        self, profile: PowerLimitProfile, electrical: ConnectorElectrical, *, max_periods: int | None = None
    ) -> CommandResult:
        """Send ``profile`` [kW] in 2.0.1 form if it passes K01 and fits the station; NOT_SENT says why not."""
        await self._set_up.wait()
        request, refusal = self._prepare(profile, electrical, max_periods)
        if request is None:
            result = CommandResult(CommandStatus.NOT_SENT, refusal)
        else:
            answer = await self._outbound.request(
                self._charge_point,
                call.SetChargingProfile(evse_id=request["evseId"], charging_profile=request["chargingProfile"]),
            )
            result = _set_profile_result(answer)
            if result.ok:
                self._sent[profile.connector_id] = (request, electrical, self._now())
        if not result.ok and result.status is not CommandStatus.NOT_CONNECTED:
            await self._report_refused(profile, result)
        return result

    def _prepare(
        self, profile: PowerLimitProfile, electrical: ConnectorElectrical, max_periods: int | None
    ) -> tuple[dict[str, Any] | None, str]:
        capabilities = self.capabilities
        if capabilities is not None and capabilities.smart_charging is False:
            return None, "the station's SmartChargingCtrlr is not enabled"
        charger_transaction_id: str | None = None
        if profile.purpose is ProfilePurpose.TX:
            if profile.transaction_id is None:
                return None, "a TxProfile needs a transaction"
            charger_transaction_id = self._transactions.charger_id_of(profile.transaction_id)
            if charger_transaction_id is None:
                return None, f"transaction {profile.transaction_id} was not reported on this connection"
        allowed_units = None if capabilities is None else capabilities.allowed_rate_units
        if allowed_units is not None and electrical.rate_unit not in allowed_units:
            # The same limit in the unit the station allows (the conversion is known: V x phases).
            electrical = replace(electrical, rate_unit=next(iter(sorted(allowed_units))))
        if capabilities is not None and capabilities.max_schedule_periods is not None:
            reported = capabilities.max_schedule_periods
            max_periods = reported if max_periods is None else min(max_periods, reported)
        try:
            request = to_ocpp201_charging_profile(
                profile, electrical, charger_transaction_id=charger_transaction_id, max_periods=max_periods
            )
        except ValueError as error:
            return None, f"inconsistent profile: {error}"
        problems = k01_problems(
            request,
            allowed_rate_units=None if allowed_units is None else frozenset(unit.value for unit in allowed_units),
            periods_per_schedule=None if capabilities is None else capabilities.max_schedule_periods,
            max_stack_level=None if capabilities is None else capabilities.max_stack_level,
        )
        if problems:
            return None, "; ".join(problems)
        return request, ""

    async def clear(
        self,
        *,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: ProfilePurpose | None = None,
        stack_level: int | None = None,
    ) -> CommandResult:
        """ClearChargingProfile by id or by criteria (K10); Unknown when nothing matched."""
        criteria: dict[str, Any] = {}
        if evse_id is not None:
            criteria["evse_id"] = evse_id
        if purpose is not None:
            criteria["charging_profile_purpose"] = _V201_PURPOSE[purpose]
        if stack_level is not None:
            criteria["stack_level"] = stack_level
        answer = await self._outbound.request(
            self._charge_point,
            call.ClearChargingProfile(charging_profile_id=profile_id, charging_profile_criteria=criteria or None),
        )
        if isinstance(answer, CommandResult):
            return answer
        status = str(answer.status)
        if status == "Accepted":
            return CommandResult(CommandStatus.ACCEPTED, status)
        if status == "Unknown":
            return CommandResult(CommandStatus.UNKNOWN, "no charging profile matched")
        return CommandResult(CommandStatus.REJECTED, status)

    async def ask_transaction_status(self, charger_transaction_id: str, missing: Sequence[int]) -> bool | None:
        """GetTransactionStatus after an end with missing events (E14); whether the station still
        queues messages for it, None without an answer. Lost events are reported to the operator."""
        answer = await self._outbound.request(
            self._charge_point, call.GetTransactionStatus(transaction_id=charger_transaction_id)
        )
        if isinstance(answer, CommandResult):
            return None
        queued = bool(answer.messages_in_queue)
        if not queued:
            await self._notice(
                NoticeKind.EVENT,
                "TransactionEventsLost",
                f"transaction {charger_transaction_id} ended without events {list(missing)}, and the "
                "station queues none for it",
            )
        return queued

    def compare_ev_schedule(self, evse_id: int, time_base: datetime, schedule: Mapping[str, Any]) -> ScheduleComparison:
        """The vehicle's chosen schedule (NotifyEVChargingSchedule) against the last profile sent to the EVSE."""
        sent = self._sent.get(evse_id)
        periods = schedule.get("charging_schedule_period", [])
        ev_kw = [_limit_kw(p, schedule.get("charging_rate_unit", "W"), sent[1] if sent else None) for p in periods]
        if sent is None:
            return ScheduleComparison(
                "NoProfile", f"EVSE {evse_id}: EV schedule of {len(periods)} periods, no profile sent"
            )
        request, electrical, _ = sent
        profile_schedule = request["chargingProfile"]["chargingSchedule"][0]
        unit = profile_schedule["chargingRateUnit"]
        profile_kw = [_limit_kw(p, unit, electrical) for p in profile_schedule["chargingSchedulePeriod"]]
        highest_ev_kw = max(ev_kw, default=0.0)
        highest_profile_kw = max(profile_kw, default=0.0)
        status = "Within" if highest_ev_kw <= highest_profile_kw + 1e-6 else "Above"
        return ScheduleComparison(
            status,
            f"EVSE {evse_id} from {time_base.isoformat()}: EV plans up to {highest_ev_kw:.1f} kW in "
            f"{len(periods)} periods; profile {request['chargingProfile']['id']} allows up to "
            f"{highest_profile_kw:.1f} kW",
        )

    def lowest_limit_kw(self, connector_id: int, schedules: Sequence[Mapping[str, Any]]) -> float | None:
        """The lowest limit [kW] in an external limit's schedules (the binding one), None without any."""
        electrical = None
        limits = [
            _limit_kw(period, schedule.get("charging_rate_unit", "W"), electrical)
            for schedule in schedules
            for period in schedule.get("charging_schedule_period", [])
        ]
        return min(limits) if limits else None

    async def _report_refused(self, profile: PowerLimitProfile, result: CommandResult) -> None:
        what = f"{profile.purpose.value} {profile.profile_id} on EVSE {profile.connector_id}"
        await self._notice(
            NoticeKind.CHARGING_PROFILE, result.status.value, f"{what}: {result.detail}", profile.profile_id
        )

    async def _notice(self, kind: NoticeKind, status: str, detail: str, request_id: int | None = None) -> None:
        cp_id = self._charge_point.charge_point_id
        LOGGER.warning("%s: %s %s: %s", cp_id, kind.value, status, detail)
        try:
            await self._sink.charger_reported(ChargerNotice(cp_id, kind, status, self._now(), request_id, detail))
        except Exception:
            LOGGER.exception("%s: recording %s failed", cp_id, kind.value)


def _set_profile_result(answer: Any) -> CommandResult:
    if isinstance(answer, CommandResult):
        return answer
    status = str(answer.status)
    return CommandResult(CommandStatus.ACCEPTED if status == "Accepted" else CommandStatus.REJECTED, status)


def _limit_kw(period: Mapping[str, Any], unit: str, electrical: ConnectorElectrical | None) -> float:
    limit = float(period["limit"])
    if unit == "W":
        return limit / 1000
    phases = period.get("number_phases") or (electrical.phases if electrical else 3)
    voltage_v = electrical.voltage_v if electrical else 230.0
    return limit * voltage_v * phases / 1000
