"""Errors raised by the persistence layer.

Every error derives from ``PersistenceError`` so that callers can map the whole family in one place
(an OCPP CallError, an HTTP status). Errors caused by a bad argument also derive from ``ValueError``.
"""

from __future__ import annotations


class PersistenceError(Exception):
    """Base class of every error raised by ``fleet.persistence``."""


class InvalidValueError(PersistenceError, ValueError):
    """An argument cannot be stored as given; the message names the field and the problem."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class NaiveDatetimeError(InvalidValueError):
    """A datetime without a time zone was given where an instant (tz-aware) is required."""

    def __init__(self, field: str) -> None:
        super().__init__(field, "datetime must be timezone-aware (got a naive datetime)")


class UnknownVehicleError(PersistenceError, LookupError):
    """The vehicle id refers to no stored vehicle."""

    def __init__(self, vehicle_id: str) -> None:
        super().__init__(f"vehicle_id: no vehicle with id {vehicle_id!r}")
        self.vehicle_id = vehicle_id


class IdTagConflictError(PersistenceError):
    """Storing the vehicles would give one id tag to two vehicles."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"id_tag: {detail}")


class UnsupportedDatabaseError(PersistenceError, ValueError):
    """The database URL names a backend other than SQLite or PostgreSQL."""

    def __init__(self, url: str) -> None:
        super().__init__(f"database url: only sqlite and postgresql are supported, got {url!r}")
        self.url = url
