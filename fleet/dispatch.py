"""Schedule -> one TxProfile per charging connector, sent only when it changed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

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
) -> PowerLimitProfile:
    """A TxProfile following ``power_kw`` over the schedule's slots, merged where the limit repeats.

    A planned power above 0 but below ``min_power_kw`` (the charger's minimum current) is a draw the
    vehicle itself holds there, its taper near full: the optimiser's repair plans it only so, and
    keeps the minimum free for it under every limit. The charger is given its minimum and the
    vehicle takes what it accepts.
    """
    start = schedule.slot_starts_utc[0] - PROFILE_LEAD
    periods: list[PowerPeriod] = []
    for slot_start, planned_kw in zip(schedule.slot_starts_utc, power_kw, strict=True):
        offset_s = 0 if not periods else int((slot_start - start).total_seconds())
        limit_kw = min_power_kw if 0 < planned_kw < min_power_kw else planned_kw
        rounded_kw = round(max(0.0, limit_kw), 3)
        if periods and abs(periods[-1].limit_kw - rounded_kw) < 1e-9:
            continue
        periods.append(PowerPeriod(start_offset_s=offset_s, limit_kw=rounded_kw))
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

    def __init__(self, site: SiteConfig, sender: ProfileSender) -> None:
        self._site = site
        self._sender = sender
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
            )
            old = self._sent.get(vehicle.connector_key)
            if old is not None and same_plan(old, profile, now):
                continue
            jobs.append((vehicle, profile))
        active = {p.connector_key for p in plugged}
        for key in [k for k in self._sent if k not in active]:
            del self._sent[key]
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self._send(v, prof, now)) for v, prof in jobs]
        return [t.result() for t in tasks]

    async def _send(self, vehicle: PluggedVehicle, profile: PowerLimitProfile, now: datetime) -> DispatchOutcome:
        charger = self._site.charge_point(vehicle.charge_point_id)
        assert charger is not None
        result = await self._sender.set_charging_profile(
            vehicle.charge_point_id, profile, electrical_of(charger), max_periods=charger.max_schedule_periods
        )
        if result.ok:
            self._sent[vehicle.connector_key] = profile
        else:
            # An older TxProfile may still be installed with limits the new plan has given to others:
            # clear it so the fail-safe default applies, and forget it so the next plan sends again.
            self._sent.pop(vehicle.connector_key, None)
            log.warning("TxProfile for %s not installed: %s %s", vehicle.connector_key, result.status, result.detail)
            if result.status is not CommandStatus.NOT_CONNECTED:
                cleared = await self._sender.clear_charging_profile(
                    vehicle.charge_point_id, profile_id=profile.profile_id
                )
                if not cleared.ok and cleared.status is not CommandStatus.UNKNOWN:
                    log.error(
                        "could not clear TxProfile on %s: %s %s",
                        vehicle.connector_key,
                        cleared.status,
                        cleared.detail,
                    )
        outcome = DispatchOutcome(vehicle.connector_key, vehicle.transaction_id, now, result)
        self.last_outcomes[vehicle.connector_key] = outcome
        return outcome
