"""Chargers that accept a limit and draw more: measured power against the limit installed, sustained.

The limit in force on a connector is the TxProfile its charger accepted for the running transaction
at that instant, else the fail-safe TxDefaultProfile (a charger that refused a plan falls back to
it); before that TxProfile begins, the limit of the profile it replaced is not kept, and those
samples are not judged. A connector is over its limit when every power sample over at least ``SUSTAINED`` (and at least
``MIN_SAMPLES`` of them, the latest fresh) lies above the limit with a tolerance: meters, amps
rounded to 0.1 A and a vehicle's ramp make a single high sample normal. ``fleet.alerts`` shows the
connectors over their limit now; ``OverLimitMonitor`` writes each one once to its charger's log.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleet.clock import Clock
from fleet.dispatch import limit_at
from fleet.persistence.records import TransactionRecord
from fleet.persistence.store import Store
from fleet.stopping import being_stopped, stop_if_asked
from ocpp_server.commands import PowerLimitProfile
from ocpp_server.events import Measurand

log = logging.getLogger(__name__)

OVER_LIMIT_TOLERANCE_KW = 0.5
OVER_LIMIT_TOLERANCE_SHARE = 0.05
"""Above limit x (1 + share) + tolerance a sample counts as over the limit."""
SUSTAINED = timedelta(minutes=2)
"""The excess must last this long (site time)."""
MIN_SAMPLES = 3
FRESH_SAMPLE = timedelta(minutes=5)
"""A connector whose latest sample is older than this is not judged."""
CHECK_INTERVAL_S = 60.0
"""Site seconds between two checks of the monitor."""
OVER_LIMIT_KIND = "OverLimit"
"""The charger-log kind of the flag."""

InstalledProfile = Callable[[str], PowerLimitProfile | None]
"""connector key ("CP/1") -> the TxProfile its charger last accepted, None if none."""


@dataclass(frozen=True, slots=True)
class Excess:
    """A sustained draw above the limit: from ``since`` to the latest sample."""

    since: datetime
    latest_at: datetime
    power_kw: float
    """The latest sample [kW]."""
    limit_kw: float
    """The limit in force at the latest sample [kW]."""
    samples: int


def threshold_kw(limit_kw: float) -> float:
    """The power [kW] above which a sample is over ``limit_kw``."""
    return limit_kw * (1 + OVER_LIMIT_TOLERANCE_SHARE) + OVER_LIMIT_TOLERANCE_KW


def limit_in_force_kw(
    installed: PowerLimitProfile | None, transaction_id: int, failsafe_kw: float, at: datetime
) -> float:
    """The limit [kW] a connector holds at ``at``: its accepted TxProfile's, else the fail-safe's.

    Before the accepted profile begins the limit is not known here: each plan replaces the profile
    of the plan before, and what that one allowed is gone. Such an instant gets no limit (infinity),
    so the minutes a connector drew what the previous plan gave it are not judged against the
    fail-safe the moment a new plan lowers its limit.
    """
    if installed is not None and installed.transaction_id == transaction_id:
        if installed.start_utc is not None and at < installed.start_utc:
            return math.inf
        limit_kw = limit_at(installed, at)
        if limit_kw is not None:
            return limit_kw
    return failsafe_kw


def sustained_excess(
    samples: Sequence[tuple[datetime, float]], limit_kw_at: Callable[[datetime], float], now: datetime
) -> Excess | None:
    """The run of samples (oldest first) ending with the latest, each over its limit; None if too short.

    Parameters
    ----------
    samples
        (instant, power [kW]) pairs, oldest first.
    limit_kw_at
        The limit [kW] in force at an instant.
    now
        The latest sample older than ``FRESH_SAMPLE`` before ``now`` is not judged.
    """
    if not samples or now - samples[-1][0] > FRESH_SAMPLE:
        return None
    start = len(samples)
    while start > 0 and samples[start - 1][1] > threshold_kw(limit_kw_at(samples[start - 1][0])):
        start -= 1
    run = samples[start:]
    if len(run) < MIN_SAMPLES or run[-1][0] - run[0][0] < SUSTAINED:
        return None
    latest_at, power_kw = run[-1]
    return Excess(run[0][0], latest_at, power_kw, limit_kw_at(latest_at), len(run))


async def excesses(
    store: Store,
    transactions: Sequence[TransactionRecord],
    installed: InstalledProfile,
    failsafe_kw: float,
    now: datetime,
) -> dict[int, Excess]:
    """Transaction id -> its connector's sustained excess, for the running transactions that have one."""
    found: dict[int, Excess] = {}
    for tx in transactions:
        profile = installed(f"{tx.charge_point_id}/{tx.connector_id}")

        def limit_kw_at(at: datetime, profile: PowerLimitProfile | None = profile, tx_id: int = tx.id) -> float:
            return limit_in_force_kw(profile, tx_id, failsafe_kw, at)

        # Only a connector whose latest sample is over its limit can be in a sustained excess: the
        # series is read for those alone.
        if tx.last_power_kw is None or tx.last_sample_at is None:
            continue
        if tx.last_power_kw <= threshold_kw(limit_kw_at(tx.last_sample_at)):
            continue
        series = await store.meter_series(tx.id, Measurand.POWER_IMPORT_KW)
        excess = sustained_excess(series, limit_kw_at, now)
        if excess is not None:
            found[tx.id] = excess
    return found


class OverLimitMonitor:
    """Checks the charging connectors every ``CHECK_INTERVAL_S`` of site time; flags each
    transaction over its limit once in its charger's log."""

    def __init__(self, store: Store, clock: Clock, installed: InstalledProfile, failsafe_kw: float) -> None:
        self._store = store
        self._clock = clock
        self._installed = installed
        self._failsafe_kw = failsafe_kw
        self._flagged: set[int] = set()

    async def run(self) -> None:
        while True:
            stop_if_asked()
            await self._clock.sleep(CHECK_INTERVAL_S)
            try:
                await self.check()
            except Exception:
                if being_stopped():
                    raise
                log.exception("checking chargers against their limits failed")

    async def check(self) -> list[int]:
        """One check; the transactions flagged by it."""
        now = self._clock.now()
        transactions = await self._store.active_transactions()
        found = await excesses(self._store, transactions, self._installed, self._failsafe_kw, now)
        by_id = {tx.id: tx for tx in transactions}
        new = [tx_id for tx_id in sorted(found) if tx_id not in self._flagged]
        for tx_id in new:
            tx, excess = by_id[tx_id], found[tx_id]
            detail = (
                f"connector {tx.connector_id}, transaction {tx_id}: {excess.samples} samples over "
                f"{(excess.latest_at - excess.since).total_seconds():.0f} s above the installed limit; "
                f"latest {excess.power_kw:.1f} kW against {excess.limit_kw:.1f} kW"
            )
            log.warning("%s: over its limit: %s", tx.charge_point_id, detail)
            await self._store.add_charger_log(
                tx.charge_point_id, excess.latest_at, OVER_LIMIT_KIND, "Flagged", flagged=True, detail=detail
            )
        self._flagged = {tx_id for tx_id in self._flagged | set(new) if tx_id in by_id}
        return new
