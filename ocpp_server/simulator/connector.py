"""The connector of a simulated charge point: vehicle, transaction, energy meter and limits.

Synchronous and driven by the caller's clock: every method takes ``now``, first integrates the
energy drawn since the last call at the power then in force, then applies its change and
recomputes the power. What the charger has to tell the central system goes into the outbox.

Power drawn = min(limit from the charging profiles, what the vehicle accepts on this kind of
charger at its state of charge). Status while a transaction runs: Charging when power flows,
SuspendedEVSE when the charger offers nothing, SuspendedEV when the vehicle takes nothing (full).
A vehicle that is plugged in starts a transaction with its own idTag (it identifies itself as
with plug-and-charge); after the transaction is stopped by the central system, by an unlock or
by a rejected idTag, it waits for RemoteStartTransaction or for the vehicle to leave.

A connector built with ``report_transaction_updates`` also queues a transaction update when the
charging state or the offered rate of a running transaction changes (OCPP 2.0.1 TransactionEvent).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ocpp_server.simulator.battery import VehicleBattery
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.config import METER_VALUE_SAMPLE_INTERVAL, ConfigStore
from ocpp_server.simulator.outbox import (
    ChargingState,
    LocalTransaction,
    MeterReading,
    MeterValuesOut,
    Outbox,
    ReadingContext,
    StartTransactionOut,
    StatusOut,
    StopReason,
    StopTransactionOut,
    TransactionUpdateOut,
    UpdateReason,
)
from ocpp_server.simulator.profile_store import (
    CONNECTOR_ID,
    check_installable,
    clear_profiles,
    install_profile,
    without_tx_profiles,
)
from ocpp_server.simulator.profiles import (
    ChargingProfile,
    ProfilePurpose,
    RunningTransaction,
    composite_schedule,
    effective_limit_kw,
)

_CHARGING_STATES: dict[str, ChargingState] = {
    "Charging": "Charging",
    "SuspendedEV": "SuspendedEV",
    "SuspendedEVSE": "SuspendedEVSE",
}


class ConnectorBusyError(RuntimeError):
    """A vehicle was plugged into a connector that already has one."""


class Connector:
    """State and physics of connector 1 of a simulated charge point."""

    def __init__(
        self,
        spec: SimChargerSpec,
        config: ConfigStore,
        outbox: Outbox,
        now: datetime,
        *,
        report_transaction_updates: bool = False,
    ) -> None:
        self._spec = spec
        self._report_transaction_updates = report_transaction_updates
        self._config = config
        self._outbox = outbox
        self._profiles: tuple[ChargingProfile, ...] = ()
        self._energy_register_wh = 0.0
        self._battery: VehicleBattery | None = None
        self._transaction: LocalTransaction | None = None
        self._status = "Available"
        self._operative = True
        self._inoperative_after_transaction = False
        self._offered_kw = spec.max_power_kw
        self._power_kw = 0.0
        self._updated_at = now
        self._next_sample_at: datetime | None = None

    @property
    def status(self) -> str:
        return self._status

    @property
    def power_kw(self) -> float:
        """Power drawn now [kW]."""
        return self._power_kw

    @property
    def offered_kw(self) -> float:
        """The limit in force at the last update [kW]."""
        return self._offered_kw

    @property
    def energy_register_wh(self) -> float:
        """The charger's cumulative import meter [Wh]."""
        return self._energy_register_wh

    @property
    def transaction(self) -> LocalTransaction | None:
        return self._transaction

    @property
    def battery(self) -> VehicleBattery | None:
        return self._battery

    @property
    def profiles(self) -> tuple[ChargingProfile, ...]:
        return self._profiles

    def update(self, now: datetime) -> None:
        """Advance to ``now``: meter the energy drawn, recompute the power, take due meter values."""
        self._integrate(now)
        self._recompute(now)
        interval_s = self._config.int_value(METER_VALUE_SAMPLE_INTERVAL)
        if self._transaction is None or interval_s <= 0:
            self._next_sample_at = None
            return
        if self._next_sample_at is None:
            self._next_sample_at = now + timedelta(seconds=interval_s)
        elif now >= self._next_sample_at:
            self._put_readings(self._reading(now, "Sample.Periodic"))
            self._next_sample_at += timedelta(seconds=interval_s)
            if self._next_sample_at <= now:
                self._next_sample_at = now + timedelta(seconds=interval_s)

    def seconds_to_next_update(self, now: datetime, step_s: float) -> float:
        """Simulated seconds until the next update is due: a step, or earlier for a meter sample."""
        if self._next_sample_at is None:
            return step_s
        return max(0.0, min(step_s, (self._next_sample_at - now).total_seconds()))

    def plug_in(self, battery: VehicleBattery, now: datetime) -> None:
        """A vehicle connects: Preparing, then a transaction with the vehicle's idTag."""
        if self._battery is not None:
            raise ConnectorBusyError(
                f"{self._spec.charge_point_id} already has {self._battery.spec.vehicle_id} plugged in"
            )
        self._integrate(now)
        self._battery = battery
        if not self._operative:
            return  # stays Unavailable; the session starts once the connector is made operative
        self._set_status("Preparing", now)
        self.start_transaction(battery.spec.id_tag, now)

    def unplug(self, now: datetime) -> None:
        """The vehicle leaves: StopTransaction (EVDisconnected) if one runs, Finishing, Available."""
        if self._battery is None:
            return
        if self._transaction is not None:
            self.stop_transaction("EVDisconnected", now)
        self._battery = None
        if self._operative:
            self._set_status("Finishing", now)
            self._set_status("Available", now)

    def can_start_transaction(self) -> bool:
        return self._operative and self._battery is not None and self._transaction is None

    @property
    def operative(self) -> bool:
        return self._operative

    def change_availability(self, operative: bool, now: datetime) -> str:
        """ChangeAvailability: Accepted, or Scheduled when a transaction must end first (OCPP 1.6, 5.2).

        Inoperative, the connector reports Unavailable and starts no transaction; made operative
        again with a vehicle still plugged in, it starts one as at a plug-in.
        """
        if not operative and self._transaction is not None:
            self._inoperative_after_transaction = True
            return "Scheduled"
        self._inoperative_after_transaction = False
        self._set_operative(operative, now)
        return "Accepted"

    def _set_operative(self, operative: bool, now: datetime) -> None:
        if operative == self._operative:
            return
        self._operative = operative
        if not operative:
            self._set_status("Unavailable", now)
        elif self._battery is None:
            self._set_status("Available", now)
        else:
            self._set_status("Preparing", now)
            self.start_transaction(self._battery.spec.id_tag, now)

    def start_transaction(self, id_tag: str, now: datetime) -> None:
        if not self.can_start_transaction():
            raise RuntimeError(f"{self._spec.charge_point_id}: no vehicle, or a transaction already runs")
        self._integrate(now)
        meter_start_wh = round(self._energy_register_wh)
        transaction = LocalTransaction(id_tag, meter_start_wh, now)
        self._transaction = transaction
        self._outbox.put(StartTransactionOut(CONNECTOR_ID, transaction))
        self._recompute(now)
        self._put_readings(self._reading(now, "Transaction.Begin"))
        self.update(now)

    def stop_transaction(self, reason: StopReason, now: datetime) -> None:
        """End the running transaction; the vehicle, if any, stays plugged in (Finishing)."""
        transaction = self._transaction
        if transaction is None:
            return
        self._integrate(now)
        self._recompute(now)
        end_reading = self._reading(now, "Transaction.End")
        self._transaction = None
        self._next_sample_at = None
        self._profiles = without_tx_profiles(self._profiles)
        self._outbox.put(StopTransactionOut(transaction, round(self._energy_register_wh), now, reason, (end_reading,)))
        self._recompute(now)
        self._set_status("Finishing", now)
        if self._inoperative_after_transaction:
            self._inoperative_after_transaction = False
            self._set_operative(False, now)

    def confirm_transaction(
        self, transaction: LocalTransaction, transaction_id: int | None, id_tag_accepted: bool, now: datetime
    ) -> None:
        """Record the central system's answer to the start of a transaction; a refused idTag stops it.

        ``transaction_id`` is the id the central system assigned (OCPP 1.6), None when the charger
        chose it (2.0.1).
        """
        if transaction_id is not None:
            transaction.confirm(transaction_id)
        if not id_tag_accepted and transaction is self._transaction:
            self.stop_transaction("DeAuthorized", now)

    def resume_after_reboot(self, now: datetime) -> None:
        """After a reset a vehicle still plugged in identifies itself again."""
        if self._operative and self._battery is not None and self._transaction is None:
            self._set_status("Preparing", now)
            self.start_transaction(self._battery.spec.id_tag, now)

    def set_profile(self, profile: ChargingProfile, now: datetime) -> None:
        """Install a profile and apply it at once; UnusableProfileError if the charger cannot."""
        check_installable(profile, self._spec, self._profiles, self._running(now))
        self._integrate(now)
        offered_kw = self._offered_kw
        self._profiles = install_profile(self._profiles, profile)
        self._recompute(now)
        self._report_rate_change(offered_kw, now)

    def clear_profiles(
        self,
        now: datetime,
        *,
        profile_id: int | None,
        connector_id: int | None,
        purpose: ProfilePurpose | None,
        stack_level: int | None,
    ) -> int:
        """Remove matching profiles (ClearChargingProfile); return how many were removed."""
        self._integrate(now)
        offered_kw = self._offered_kw
        self._profiles, removed = clear_profiles(
            self._profiles,
            profile_id=profile_id,
            connector_id=connector_id,
            purpose=purpose,
            stack_level=stack_level,
        )
        self._recompute(now)
        self._report_rate_change(offered_kw, now)
        return removed

    def composite(self, connector_id: int, duration_s: int, now: datetime) -> tuple[tuple[int, float], ...]:
        """(offset_s, limit_kw) periods from ``now`` for ``duration_s`` seconds."""
        return composite_schedule(
            self._profiles,
            self._spec,
            connector_id=connector_id,
            transaction=self._running(now),
            start=now,
            duration_s=duration_s,
        )

    def status_reports(self, now: datetime) -> list[StatusOut]:
        """StatusNotification for the charge point (connector 0) and the connector."""
        return [
            StatusOut(0, "Available" if self._operative else "Unavailable", now),
            StatusOut(CONNECTOR_ID, self._status, now),
        ]

    def triggered_meter_values(self, now: datetime) -> MeterValuesOut:
        self._integrate(now)
        self._recompute(now)
        return MeterValuesOut(CONNECTOR_ID, self._transaction, (self._reading(now, "Trigger"),))

    def _running(self, now: datetime) -> RunningTransaction | None:
        if self._transaction is None:
            return None
        return RunningTransaction(self._transaction.transaction_id, self._transaction.started_at)

    def _integrate(self, now: datetime) -> None:
        elapsed_s = (now - self._updated_at).total_seconds()
        if elapsed_s <= 0:
            return
        self._updated_at = now
        if self._battery is not None and self._power_kw > 0:
            self._energy_register_wh += self._battery.charge(self._power_kw, elapsed_s) * 1000

    def _recompute(self, now: datetime) -> None:
        self._offered_kw = effective_limit_kw(
            self._profiles,
            self._spec,
            connector_id=CONNECTOR_ID,
            transaction=self._running(now),
            now=now,
        )
        if self._transaction is None or self._battery is None:
            self._power_kw = 0.0
            return
        accepted_kw = self._battery.max_charge_power_kw(self._spec.kind)
        self._power_kw = min(self._offered_kw, accepted_kw)
        if self._power_kw > 0:
            self._set_status("Charging", now)
        elif self._offered_kw <= 0:
            self._set_status("SuspendedEVSE", now)
        else:
            self._set_status("SuspendedEV", now)

    def _set_status(self, status: str, now: datetime) -> None:
        if status != self._status:
            self._status = status
            self._outbox.put(StatusOut(CONNECTOR_ID, status, now))
            if status in _CHARGING_STATES:
                self._report_update("ChargingStateChanged", now)

    @property
    def charging_state(self) -> ChargingState:
        """The state of the running transaction as OCPP 2.0.1 names it (EVConnected when not drawing)."""
        return _CHARGING_STATES.get(self._status, "EVConnected")

    def _report_rate_change(self, offered_kw_before: float, now: datetime) -> None:
        if abs(self._offered_kw - offered_kw_before) > 1e-9:
            self._report_update("ChargingRateChanged", now)

    def _report_update(self, reason: UpdateReason, now: datetime) -> None:
        if self._report_transaction_updates and self._transaction is not None:
            self._outbox.put(TransactionUpdateOut(self._transaction, reason, self.charging_state, now))

    def _reading(self, now: datetime, context: ReadingContext) -> MeterReading:
        power_w = self._power_kw * 1000
        current_a = None
        if self._spec.kind == "AC":
            current_a = power_w / (self._spec.voltage_v * self._spec.phases)
        return MeterReading(
            timestamp=now,
            context=context,
            energy_register_wh=self._energy_register_wh,
            power_w=power_w,
            current_a=current_a,
            phases=self._spec.phases,
            soc_percent=None if self._battery is None else self._battery.soc * 100,
        )

    def _put_readings(self, reading: MeterReading) -> None:
        self._outbox.put(MeterValuesOut(CONNECTOR_ID, self._transaction, (reading,)))
