"""Argument checks shared by the store: each failure names the field and the problem."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from fleet.persistence.errors import InvalidValueError, NaiveDatetimeError
from ocpp_server.events import Measurand, MeterSample


def require_utc(field: str, value: datetime) -> datetime:
    """Return ``value`` as the same instant in UTC, refusing naive datetimes.

    Parameters
    ----------
    field
        Name of the argument, used in the error message.
    value
        A tz-aware datetime in any zone.

    Returns
    -------
    datetime
        The same instant with ``tzinfo=UTC``.

    Raises
    ------
    NaiveDatetimeError
        If ``value`` has no time zone.
    InvalidValueError
        If ``value`` is not a datetime at all.
    """
    if not isinstance(value, datetime):
        raise InvalidValueError(field, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(field)
    return value.astimezone(UTC)


def require_finite(field: str, value: float) -> float:
    """Return ``value`` as a float if it is a finite number (NaN and infinities cannot be stored)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidValueError(field, f"must be a finite number, got {value!r}")
    return float(value)


def require_optional_finite(field: str, value: float | None) -> float | None:
    """Like ``require_finite`` but lets ``None`` (not measured) through."""
    return None if value is None else require_finite(field, value)


def require_text(field: str, value: str) -> str:
    """Return ``value`` if it is a non-empty string."""
    if not isinstance(value, str) or not value:
        raise InvalidValueError(field, f"must be a non-empty string, got {value!r}")
    return value


def require_connector_id(field: str, value: int) -> int:
    """Return ``value`` if it is a connector number (0 is the charge point as a whole)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidValueError(field, f"must be an integer >= 0, got {value!r}")
    return value


def require_samples(field: str, samples: Sequence[MeterSample]) -> list[MeterSample]:
    """Return ``samples`` with known measurands, finite values and UTC instants.

    Raises
    ------
    InvalidValueError
        Naming the offending sample, e.g. ``samples[3].measured_at``.
    """
    checked: list[MeterSample] = []
    for index, sample in enumerate(samples):
        name = f"{field}[{index}]"
        try:
            measurand = Measurand(sample.measurand)
        except ValueError:
            raise InvalidValueError(f"{name}.measurand", f"unknown measurand {sample.measurand!r}") from None
        checked.append(
            MeterSample(
                measurand=measurand,
                value=require_finite(f"{name}.value", sample.value),
                measured_at=require_utc(f"{name}.measured_at", sample.measured_at),
                phase=sample.phase or None,
            )
        )
    return checked


def check_booking_need(energy_needed_kwh: float | None, target_soc: float | None) -> None:
    """A booking needs exactly one of an energy [kWh] >= 0 and a target state of charge in (0, 1]."""
    if (energy_needed_kwh is None) == (target_soc is None):
        raise InvalidValueError("energy_needed_kwh", "give exactly one of energy_needed_kwh and target_soc")
    if energy_needed_kwh is not None:
        energy_needed_kwh = require_finite("energy_needed_kwh", energy_needed_kwh)
        if energy_needed_kwh < 0:
            raise InvalidValueError("energy_needed_kwh", f"must be >= 0, got {energy_needed_kwh!r}")
    if target_soc is not None:
        target_soc = require_finite("target_soc", target_soc)
        if not 0 < target_soc <= 1:
            raise InvalidValueError("target_soc", f"must be in (0, 1], got {target_soc!r}")
