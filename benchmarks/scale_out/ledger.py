"""What the chargers were acknowledged against what the controller's database holds.

A charger's reading or transaction message counts as acknowledged once the central system answered
it with a CALLRESULT; from then on it must be in the database exactly once, whatever was killed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.scale_out.fault_load import ChargerLedger
from fleet.persistence import Store, TransactionRecord
from ocpp_server.events import Measurand

PROBLEMS_KEPT = 10
_LIST_ALL = 10**7


@dataclass(frozen=True, slots=True)
class LedgerCheck:
    transactions_acknowledged: int
    """Distinct transaction ids the chargers were given."""
    transactions_stored: int
    """Transactions of these chargers in the database (a start stored twice shows as one more)."""
    transactions_missing: int
    stops_acknowledged: int
    stops_stored: int
    readings_acknowledged: int
    readings_stored: int
    """Acknowledged readings found in the database with their value."""
    readings_lost: int
    readings_duplicated: int
    """Instants stored more than once for one transaction."""
    problems: tuple[str, ...]
    """The first few discrepancies, for the report."""
    waited_s: float
    """How long after the ledger was taken the database held it (or the wait gave up)."""

    @property
    def clean(self) -> bool:
        return (
            self.readings_lost == 0
            and self.readings_duplicated == 0
            and self.transactions_missing == 0
            and self.transactions_stored == self.transactions_acknowledged
            and self.stops_stored == self.stops_acknowledged
        )


def _same_kwh(stored_kwh: float | None, sent_wh: int) -> bool:
    return stored_kwh is not None and abs(stored_kwh - sent_wh / 1000) < 1e-9


async def _compare(store: Store, ledgers: Sequence[ChargerLedger], waited_s: float) -> LedgerCheck:
    ours = {ledger.charge_point_id for ledger in ledgers}
    stored: dict[int, TransactionRecord] = {
        tx.id: tx for tx in await store.list_transactions(limit=_LIST_ALL) if tx.charge_point_id in ours
    }
    problems: list[str] = []
    given_total = missing = stops = stops_stored = readings = readings_stored = lost = duplicated = 0
    for ledger in ledgers:
        cp = ledger.charge_point_id
        given = set(ledger.transaction_ids)
        given_total += len(given)
        for transaction_id in given:
            tx = stored.get(transaction_id)
            if tx is None or tx.charge_point_id != cp or tx.id_tag != ledger.id_tag:
                missing += 1
                problems.append(f"{cp}: start of {transaction_id} stored as {tx}")
        for transaction_id, meter_stop_wh in ledger.stops:
            stops += 1
            tx = stored.get(transaction_id)
            if tx is not None and not tx.is_active and _same_kwh(tx.meter_stop_kwh, meter_stop_wh):
                stops_stored += 1
            else:
                problems.append(f"{cp}: stop of {transaction_id} stored as {tx}")
        for transaction_id in given:
            series = await store.meter_series(transaction_id, Measurand.ENERGY_IMPORT_KWH)
            instants = [at for at, _ in series]
            duplicated += len(instants) - len(set(instants))
            values = dict(series)
            for reading in ledger.readings:
                if reading.transaction_id != transaction_id:
                    continue
                readings += 1
                if _same_kwh(values.get(reading.at), reading.energy_wh):
                    readings_stored += 1
                else:
                    lost += 1
                    problems.append(f"{cp}: {reading.energy_wh} Wh at {reading.at} of {transaction_id} not stored")
    return LedgerCheck(
        transactions_acknowledged=given_total,
        transactions_stored=len(stored),
        transactions_missing=missing,
        stops_acknowledged=stops,
        stops_stored=stops_stored,
        readings_acknowledged=readings,
        readings_stored=readings_stored,
        readings_lost=lost,
        readings_duplicated=duplicated,
        problems=tuple(problems[:PROBLEMS_KEPT]),
        waited_s=round(waited_s, 2),
    )


async def check_ledger(database_url: str, ledgers: Sequence[ChargerLedger], timeout_s: float) -> LedgerCheck:
    """Compare until the database holds everything acknowledged, or ``timeout_s`` passed (the
    controller may still be working through a backlog); the last comparison."""
    started_s = time.monotonic()
    store = Store.from_url(database_url)
    try:
        while True:
            check = await _compare(store, ledgers, time.monotonic() - started_s)
            if check.clean or time.monotonic() - started_s > timeout_s:
                return check
            await asyncio.sleep(1.0)
    finally:
        await store.close()
