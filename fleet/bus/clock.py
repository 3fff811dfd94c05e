"""One time for every node: gateways follow the controller's clock (a demo's runs faster).

The controller publishes, in the bus's key-value bucket, which instant its clock showed at which
wall-clock instant and how fast it runs; a gateway maps its own wall clock through that. Until it has
heard, and whenever the controller runs on real time, that is the system clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from nats.js.kv import KeyValue

from fleet.clock import Clock
from fleet.stopping import stop_if_asked

log = logging.getLogger(__name__)


def _wall_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ClockReading:
    shown_utc: datetime
    wall_utc: datetime
    speedup: float

    def encode(self) -> bytes:
        return json.dumps(
            {"shown_utc": self.shown_utc.isoformat(), "wall_utc": self.wall_utc.isoformat(), "speedup": self.speedup}
        ).encode()

    @classmethod
    def decode(cls, data: bytes) -> ClockReading:
        raw = json.loads(data)
        return cls(
            datetime.fromisoformat(raw["shown_utc"]), datetime.fromisoformat(raw["wall_utc"]), float(raw["speedup"])
        )


class FollowedClock:
    """A ``Clock`` that shows what the controller's shows."""

    def __init__(self, wall_now: Callable[[], datetime] = _wall_now) -> None:
        self._wall_now = wall_now
        self._reading: ClockReading | None = None

    def follow(self, reading: ClockReading) -> None:
        self._reading = reading

    @property
    def speedup(self) -> float:
        return 1.0 if self._reading is None else self._reading.speedup

    def now(self) -> datetime:
        wall = self._wall_now()
        reading = self._reading
        if reading is None:
            return wall
        return reading.shown_utc + (wall - reading.wall_utc) * reading.speedup

    async def sleep(self, duration_s: float) -> None:
        await asyncio.sleep(duration_s / self.speedup)


async def publish_clock(bucket: KeyValue, key: str, clock: Clock, speedup: float) -> None:
    await bucket.put(key, ClockReading(clock.now(), _wall_now(), speedup).encode())


async def follow_clock(bucket: KeyValue, key: str, clock: FollowedClock) -> None:
    """Keep ``clock`` on the controller's, until cancelled."""
    watcher = await bucket.watch(key)
    try:
        while True:
            # nats-py's watch() awaits its requests to the server with asyncio.wait_for, which on
            # Python 3.11 drops a cancellation that comes in the turn the reply does (CPython
            # gh-86296) and returns the watcher all the same: a gateway whose OCPP port is taken
            # would then wait here for updates forever, and its task group for this task.
            stop_if_asked()
            entry = await watcher.updates(timeout=None)  # type: ignore[no-untyped-call]
            if entry is None or entry.value is None or not entry.value:
                continue
            try:
                clock.follow(ClockReading.decode(entry.value))
            except (ValueError, KeyError) as error:
                log.warning("bus: unreadable clock reading: %r", error)
                continue
            log.info("following the controller's clock (%gx real time)", clock.speedup)
    finally:
        await watcher.stop()  # type: ignore[no-untyped-call]
