"""Schedule -> one TxProfile per charging connector, sent only when it changed.

What each connector should hold is also kept as desired state (``Store.capabilities``, when given):
``reinstall`` sends it again to a charger that rebooted or reconnected, or whose last answer was
not Accepted, without waiting for the plan to change (see ``fleet.desired_profiles``).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from fleet.observability.metrics import FleetMetrics
from fleet.persistence.capability_queries import CapabilityStore, DesiredProfile
from fleet.planning import PluggedVehicle
from fleet.site_config import ChargePointConfig, SiteConfig
from ocpp_server.commands import (
    CommandResult,
    CommandStatus,
    ConnectorElectrical,
    PowerLimitProfile,
    PowerPeriod,
    ProfilePurpose,
    RateUnit,
)
from optimizer import Schedule

log = logging.getLogger(__name__)

# Starting a profile slightly in the past keeps a charger whose clock runs a little ahead from
# ignoring the first period.
PROFILE_LEAD = timedelta(seconds=10)
TX_PROFILE_STACK_LEVEL = 1
TX_PROFILE_ID_BASE = 1000
SAME_LIMIT_KW = 0.05
RETRIED_STATUSES = frozenset(s.value for s in (CommandStatus.REJECTED, CommandStatus.TIMEOUT, CommandStatus.CALL_ERROR))
"""Answers after which a desired profile is sent again on the next pass; a profile NOT_SENT cannot fit
the charger and waits for the next plan, one NOT_CONNECTED for the charger's reconnect."""


class ProfileSender(Protocol):
    async def set_charging_profile(
        self,
        charge_point_id: str,
        profile: PowerLimitProfile,
        electrical: ConnectorElectrical,
        *,
        max_periods: int | None = None,
    ) -> CommandResult: ...

    async def clear_charging_profile(self, charge_point_id: str, *, profile_id: int | None = None) -> CommandResult: ...


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    connector_key: str
    transaction_id: int
    sent_at: datetime
    result: CommandResult | None
    """None when the profile was unchanged and not sent again."""


def electrical_of(charger: ChargePointConfig) -> ConnectorElectrical:
    return ConnectorElectrical(
        rate_unit=RateUnit(charger.rate_unit),
        phases=charger.phases,
        voltage_v=charger.voltage_v,
        min_current_a=charger.min_current_a,
        max_power_kw=charger.max_power_kw,
    )


def tx_profile(
    schedule: Schedule,
    power_kw: Sequence[float],
    connector_id: int,
    transaction_id: int,
    *,
    min_power_kw: float = 0.0,
    part_slot_h: Sequence[float] = (),
) -> PowerLimitProfile:
    """A TxProfile following ``power_kw`` over the schedule's slots, merged where the limit repeats.

    A planned power above 0 but below ``min_power_kw`` (the charger's minimum current) is given as
    the minimum: the optimiser's repair plans it only where the vehicle itself holds the draw
    there (its taper near full: it takes what it accepts for the whole slot) or where it needs
    less than a whole slot at the minimum. Then ``part_slot_h`` (the plan's
    :attr:`~optimizer.VehiclePlan.part_slot_h`) says how long from the slot's start [h]: the
    minimum for that long, rounded up to the second, then 0. The repair keeps the minimum free
    for it under every limit.
    """
    start = schedule.slot_starts_utc[0] - PROFILE_LEAD
    periods: list[PowerPeriod] = []

    def hold(offset_s: int, limit_kw: float) -> None:
        rounded_kw = round(max(0.0, limit_kw), 3)
        if not periods or abs(periods[-1].limit_kw - rounded_kw) >= 1e-9:
            periods.append(PowerPeriod(start_offset_s=offset_s if periods else 0, limit_kw=rounded_kw))

    for t, (slot_start, planned_kw) in enumerate(zip(schedule.slot_starts_utc, power_kw, strict=True)):
        slot_offset_s = int((slot_start - start).total_seconds())
        below_minimum = 0 < planned_kw < min_power_kw
        hold(slot_offset_s, min_power_kw if below_minimum else planned_kw)
        part_h = part_slot_h[t] if t < len(part_slot_h) else 0.0
        if below_minimum and part_h > 0:
            off_s = slot_offset_s + math.ceil(part_h * 3600.0 - 1e-6)
            if off_s < slot_offset_s + round(schedule.slot_duration_h[t] * 3600.0):
                hold(off_s, 0.0)
    horizon_end = schedule.slot_starts_utc[-1] + timedelta(hours=schedule.slot_duration_h[-1])
    return PowerLimitProfile(
        profile_id=TX_PROFILE_ID_BASE + connector_id,
        purpose=ProfilePurpose.TX,
        stack_level=TX_PROFILE_STACK_LEVEL,
        connector_id=connector_id,
        start_utc=start,
        duration_s=int((horizon_end - start).total_seconds()),
        periods=tuple(periods),
        transaction_id=transaction_id,
    )


def limit_at(profile: PowerLimitProfile, at: datetime) -> float | None:
    """The profile's limit at ``at`` [kW], None outside its schedule."""
    if profile.start_utc is None or at < profile.start_utc:
        return None
    offset_s = (at - profile.start_utc).total_seconds()
    if profile.duration_s is not None and offset_s >= profile.duration_s:
        return None
    current = None
    for period in profile.periods:
        if period.start_offset_s <= offset_s:
            current = period.limit_kw
    return current


def _change_points(profile: PowerLimitProfile) -> list[datetime]:
    """Where the profile's limit may change: every period start, and its end."""
    assert profile.start_utc is not None
    points = [profile.start_utc + timedelta(seconds=p.start_offset_s) for p in profile.periods]
    if profile.duration_s is not None:
        points.append(profile.start_utc + timedelta(seconds=profile.duration_s))
    return points


def same_plan(old: PowerLimitProfile, new: PowerLimitProfile, now: datetime) -> bool:
    """Whether ``old`` already enforces ``new`` from ``now`` to the end of ``new``."""
    if old.transaction_id != new.transaction_id or new.start_utc is None or new.duration_s is None:
        return False
    new_end = new.start_utc + timedelta(seconds=new.duration_s)
    checks = [now] + [t for t in _change_points(new) + _change_points(old) if now <= t < new_end]
    for at in checks:
        old_kw, new_kw = limit_at(old, at), limit_at(new, at)
        if old_kw is None or new_kw is None or abs(old_kw - new_kw) > SAME_LIMIT_KW:
            return False
    return True


class Dispatcher:
    """Turns schedules into TxProfiles; remembers what each connector was last sent."""

    def __init__(
        self,
        site: SiteConfig,
        sender: ProfileSender,
        desired: CapabilityStore | None = None,
        *,
        metrics: FleetMetrics | None = None,
    ) -> None:
        self._site = site
        self._metrics = metrics
        self._sender = sender
        self._desired = desired
        self._sent: dict[str, PowerLimitProfile] = {}
        self.last_outcomes: dict[str, DispatchOutcome] = {}

    def forget(self, charge_point_id: str) -> None:
        """A charger that reconnected may have lost its profiles: send them again next time."""
        for key in [k for k in self._sent if k.split("/", 1)[0] == charge_point_id]:
            del self._sent[key]

    def installed(self, connector_key: str) -> PowerLimitProfile | None:
        return self._sent.get(connector_key)

    async def dispatch(
        self, schedule: Schedule, plugged: Sequence[PluggedVehicle], now: datetime
    ) -> list[DispatchOutcome]:
        by_key = {p.plan_key: p for p in plugged}
        jobs: list[tuple[PluggedVehicle, PowerLimitProfile]] = []
        decided: dict[str, PowerLimitProfile] = {}
        for plan in schedule.plans:
            vehicle = by_key.get(plan.vehicle_id)
            if vehicle is None:
                continue
            profile = tx_profile(
                schedule,
                plan.power_kw,
                vehicle.connector_id,
                vehicle.transaction_id,
                min_power_kw=vehicle.min_power_kw,
                part_slot_h=plan.part_slot_h,
            )
            old = self._sent.get(vehicle.connector_key)
            if old is not None and same_plan(old, profile, now):
                decided[vehicle.connector_key] = old
                continue
            decided[vehicle.connector_key] = profile
            jobs.append((vehicle, profile))
        active = {p.connector_key for p in plugged}
        for key in [k for k in self._sent if k not in active]:
            del self._sent[key]
        if self._desired is not None:
            await self._desired.set_desired(decided, now)
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self._send(v.charge_point_id, v.connector_key, prof, now)) for v, prof in jobs]
        return [t.result() for t in tasks]

    async def reinstall(
        self, charge_point_ids: Collection[str] | None, active: Collection[tuple[str, int, int]], now: datetime
    ) -> list[DispatchOutcome]:
        """Send the desired TxProfiles again: of ``charge_point_ids`` all of them (a charger that
        rebooted or reconnected may have lost them), with None those whose last attempt was
        refused or unanswered (``RETRIED_STATUSES``).

        Only profiles of transactions still ``active`` (charger, connector, transaction id) whose
        schedule has not ended are sent.
        """
        if self._desired is None:
            return []
        wanted = [
            d
            for d in await self._desired.desired(charge_point_ids)
            if (d.charge_point_id, d.connector_id, d.profile.transaction_id) in active
            and _runs_after(d, now)
            and (charge_point_ids is not None or d.last_status in RETRIED_STATUSES)
        ]
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self._send(d.charge_point_id, d.connector_key, d.profile, now)) for d in wanted]
        return [t.result() for t in tasks]

    async def _send(
        self, charge_point_id: str, connector_key: str, profile: PowerLimitProfile, now: datetime
    ) -> DispatchOutcome:
        charger = self._site.charge_point(charge_point_id)
        assert charger is not None
        result = await self._sender.set_charging_profile(
            charge_point_id, profile, electrical_of(charger), max_periods=charger.max_schedule_periods
        )
        if self._desired is not None:
            await self._desired.record_attempt(connector_key, profile, result.status.value, now)
        if self._metrics is not None:
            self._metrics.profile_dispatched(result.status.value)
        if result.ok:
            self._sent[connector_key] = profile
        else:
            # An older TxProfile may still be installed with limits the new plan has given to others:
            # clear it so the fail-safe default applies, and forget it so the next plan sends again.
            self._sent.pop(connector_key, None)
            log.warning("TxProfile for %s not installed: %s %s", connector_key, result.status, result.detail)
            # NOT_SENT: the charger cannot hold such a profile, so no older one of it is installed either.
            if result.status not in (CommandStatus.NOT_CONNECTED, CommandStatus.NOT_SENT):
                cleared = await self._sender.clear_charging_profile(charge_point_id, profile_id=profile.profile_id)
                if not cleared.ok and cleared.status is not CommandStatus.UNKNOWN:
                    log.error("could not clear TxProfile on %s: %s %s", connector_key, cleared.status, cleared.detail)
        outcome = DispatchOutcome(connector_key, profile.transaction_id or 0, now, result)
        self.last_outcomes[connector_key] = outcome
        return outcome


def _runs_after(desired: DesiredProfile, now: datetime) -> bool:
    profile = desired.profile
    if profile.start_utc is None or profile.duration_s is None:
        return True
    return profile.start_utc + timedelta(seconds=profile.duration_s) > now
