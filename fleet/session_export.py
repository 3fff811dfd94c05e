"""Charging sessions as a table, written as CSV (spreadsheets) or Parquet (data tools)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from fleet.persistence.records import TransactionRecord

COLUMNS = (
    "id",
    "charge_point_id",
    "connector_id",
    "id_tag",
    "vehicle_id",
    "started_at",
    "stopped_at",
    "energy_kwh",
    "cost_eur",
    "stop_reason",
)
"""One row per session; instants in UTC (ISO 8601 with offset in CSV, timestamp[us, UTC] in Parquet)."""


def _row(tx: TransactionRecord, cost_eur: float) -> tuple[object, ...]:
    return (
        tx.id,
        tx.charge_point_id,
        tx.connector_id,
        tx.id_tag,
        tx.vehicle_id,
        tx.started_at,
        tx.stopped_at,
        round(tx.energy_kwh, 3),
        cost_eur,
        tx.stop_reason,
    )


def sessions_csv(sessions: Sequence[TransactionRecord], costs_eur: Sequence[float]) -> str:
    """``costs_eur``: each session's cost (``session_cost.session_costs_eur``), in the same order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for tx, cost_eur in zip(sessions, costs_eur, strict=True):
        row = _row(tx, cost_eur)
        writer.writerow(["" if v is None else v.isoformat() if hasattr(v, "isoformat") else v for v in row])
    return out.getvalue()


def sessions_parquet(sessions: Sequence[TransactionRecord], costs_eur: Sequence[float]) -> bytes:
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("charge_point_id", pa.string()),
            ("connector_id", pa.int32()),
            ("id_tag", pa.string()),
            ("vehicle_id", pa.string()),
            ("started_at", pa.timestamp("us", tz="UTC")),
            ("stopped_at", pa.timestamp("us", tz="UTC")),
            ("energy_kwh", pa.float64()),
            ("cost_eur", pa.float64()),
            ("stop_reason", pa.string()),
        ]
    )
    rows = (_row(tx, cost_eur) for tx, cost_eur in zip(sessions, costs_eur, strict=True))
    columns = list(zip(*rows, strict=True)) or [() for _ in COLUMNS]
    table = pa.table({name: list(values) for name, values in zip(COLUMNS, columns, strict=True)}, schema=schema)
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()
