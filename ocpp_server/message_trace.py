"""The last few OCPP frames of each charger, as they went over the wire, for the operator.

Kept in memory only and bounded per charger (``frames_per_charger``), so that thousands of
connections cost little; it outlives a connection, since what a charger said just before it dropped
is what an operator wants to see. Each frame is kept as one string (direction, time, frame): a
string is no object the garbage collector tracks, so recording adds nothing to its work. Recording
tuples or dataclasses instead made young collections more frequent, which promoted more of the
per-message objects in flight to the oldest generation and brought on full collections that paused
the event loop for 0.4-0.5 s at 5,000 chargers and 2,500 messages/s.

Secrets are masked before a frame is kept: the value of a ChangeConfiguration of AuthorizationKey
(the charger's Basic-auth password).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

MAX_FRAME_CHARS: Final = 2000
"""Longer frames (a certificate chain, a long local list) are kept cut to this length."""
_SECRET_KEYS: Final = ("AuthorizationKey",)
_VALUE = re.compile(r'("value"\s*:\s*)"(?:[^"\\]|\\.)*"')


class Direction(StrEnum):
    RECEIVED = "received"
    SENT = "sent"


_MARK: Final = {Direction.RECEIVED: "<", Direction.SENT: ">"}
_DIRECTION: Final = {mark: direction for direction, mark in _MARK.items()}


@dataclass(frozen=True, slots=True)
class TracedFrame:
    at: datetime
    direction: Direction
    frame: str
    """The frame as on the wire (secrets masked, cut to ``MAX_FRAME_CHARS``)."""
    truncated: bool


def masked(frame: str) -> str:
    """``frame`` with the value of a secret configuration key replaced by ``***``."""
    if not any(key in frame for key in _SECRET_KEYS):
        return frame
    return _VALUE.sub(r'\1"***"', frame)


class MessageTrace:
    """Recent frames per charge point id, oldest first.

    Parameters
    ----------
    now
        Clock returning tz-aware datetimes.
    frames_per_charger
        Frames kept per charger; 0 keeps none.
    """

    def __init__(self, now: Callable[[], datetime], *, frames_per_charger: int = 20) -> None:
        if frames_per_charger < 0:
            raise ValueError(f"frames_per_charger must be >= 0, got {frames_per_charger}")
        self._now = now
        self._frames_per_charger = frames_per_charger
        self._frames: dict[str, deque[str]] = {}

    def record(self, charge_point_id: str, direction: Direction, frame: str | bytes) -> None:
        if self._frames_per_charger == 0:
            return
        text = frame.decode("utf-8", errors="replace") if isinstance(frame, bytes) else frame
        frames = self._frames.get(charge_point_id)
        if frames is None:
            frames = self._frames[charge_point_id] = deque(maxlen=self._frames_per_charger)
        frames.append(f"{_MARK[direction]}{self._now().timestamp()!r} {masked(text)}")

    def recent(self, charge_point_id: str) -> tuple[TracedFrame, ...]:
        """The charger's frames, oldest first; empty for a charger never heard from."""
        return tuple(_traced(entry) for entry in self._frames.get(charge_point_id, ()))


def _traced(entry: str) -> TracedFrame:
    timestamp, frame = entry[1:].split(" ", 1)
    return TracedFrame(
        datetime.fromtimestamp(float(timestamp), UTC),
        _DIRECTION[entry[0]],
        frame[:MAX_FRAME_CHARS],
        len(frame) > MAX_FRAME_CHARS,
    )
