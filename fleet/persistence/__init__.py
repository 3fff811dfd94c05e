"""Durable storage of the site's state (SQLite by default, PostgreSQL by URL), with migrations."""

from fleet.persistence.errors import (
    IdTagConflictError,
    InvalidValueError,
    NaiveDatetimeError,
    PersistenceError,
    UnknownVehicleError,
    UnsupportedDatabaseError,
)
from fleet.persistence.records import (
    BookingRecord,
    ChargePointRecord,
    ChargerLogRecord,
    ConnectorRecord,
    EvNeedsRecord,
    ExternalLimitRecord,
    FinishedSession,
    MeterBatch,
    MeterBatchOutcome,
    ScheduleRecord,
    SiteSampleRecord,
    TransactionRecord,
    VehicleClass,
    VehicleRecord,
)
from fleet.persistence.store import Store

__all__ = [
    "BookingRecord",
    "ChargePointRecord",
    "ChargerLogRecord",
    "ConnectorRecord",
    "EvNeedsRecord",
    "ExternalLimitRecord",
    "FinishedSession",
    "IdTagConflictError",
    "InvalidValueError",
    "MeterBatch",
    "MeterBatchOutcome",
    "NaiveDatetimeError",
    "PersistenceError",
    "ScheduleRecord",
    "SiteSampleRecord",
    "Store",
    "TransactionRecord",
    "UnknownVehicleError",
    "UnsupportedDatabaseError",
    "VehicleClass",
    "VehicleRecord",
]
