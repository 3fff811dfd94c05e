"""What one OCPP 2.0.1 connection knows of its charger's transactions, between TransactionEvents.

OCPP 2.0.1 lets the charger name its transactions (a string ``transactionId``) and sends every
change as a TransactionEvent, with a sequence number that starts at 0 with the transaction's
first event and grows by one per event; events queued while the charger was offline come later and
in any order. The application numbers transactions itself (``TransactionStarted`` ->
``TransactionDecision.transaction_id``) and makes a repeated start of the same charger transaction
return the same number, so this map is only a cache: after a reconnect the first event of each
transaction asks the application again.

A missing sequence number at a transaction's end means events were lost or are still queued: the
central system then asks the charger (GetTransactionStatus, E14). Stations number their events in
one of two ways, and the central system must take both (OCA test TC_E_53): from 0 for each
transaction (what edition 2 of 2.0.1 recommends), or with one counter for the whole station, whose
numbers then interleave between the transactions of its EVSEs. A transaction whose Started was
numbered 0 is checked on its own numbers; otherwise a number is missing only when no event of the
station on this connection carried it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field

SEQ_NOS_KEPT = 4096
"""Sequence numbers remembered per connection for stations with one counter: far more events than
one transaction of a few hours sends, still a few kilobytes per connection."""

TRANSACTIONS_KEPT = 64
"""Open and recently ended transactions remembered per connection: a charging station has a few
EVSEs, so this bounds memory at thousands of connections without forgetting a live transaction."""


@dataclass(slots=True)
class ChargerTransaction:
    """One charger transaction as this connection has seen it."""

    transaction_id: int
    """The application's number for it."""
    connector_id: int
    """The EVSE id."""
    id_tag_known: bool
    seq_nos: set[int] = field(default_factory=set)
    last_register_kwh: float | None = None
    ended: bool = False

    def missing_seq_nos(self, up_to: int, station_seq_nos: Collection[int]) -> list[int]:
        """Sequence numbers of this transaction's events below ``up_to`` (its end's) never received;
        ``station_seq_nos`` are the numbers of every event of the station on this connection."""
        if 0 in self.seq_nos:
            return [seq_no for seq_no in range(up_to) if seq_no not in self.seq_nos]
        first = min(self.seq_nos, default=up_to)
        return [seq_no for seq_no in range(first, up_to) if seq_no not in station_seq_nos]


class ChargerTransactions:
    """The transactions of one connection, by the charger's transaction id, oldest first."""

    def __init__(self) -> None:
        self._by_charger_id: dict[str, ChargerTransaction] = {}
        self._seq_nos: deque[int] = deque(maxlen=SEQ_NOS_KEPT)
        self._seq_no_set: set[int] = set()

    def saw(self, transaction: ChargerTransaction, seq_no: int) -> None:
        """An event of ``transaction`` numbered ``seq_no`` arrived."""
        transaction.seq_nos.add(seq_no)
        if seq_no in self._seq_no_set:
            return
        if len(self._seq_nos) == self._seq_nos.maxlen:
            self._seq_no_set.discard(self._seq_nos[0])
        self._seq_nos.append(seq_no)
        self._seq_no_set.add(seq_no)

    def missing_seq_nos(self, transaction: ChargerTransaction, ended_seq_no: int) -> list[int]:
        """The numbers of ``transaction``'s events that never arrived, at its end numbered ``ended_seq_no``."""
        return transaction.missing_seq_nos(ended_seq_no, self._seq_no_set)

    def get(self, charger_transaction_id: str) -> ChargerTransaction | None:
        return self._by_charger_id.get(charger_transaction_id)

    def add(self, charger_transaction_id: str, transaction: ChargerTransaction) -> None:
        self._by_charger_id.pop(charger_transaction_id, None)
        self._by_charger_id[charger_transaction_id] = transaction
        while len(self._by_charger_id) > TRANSACTIONS_KEPT:
            oldest = next(
                (key for key, kept in self._by_charger_id.items() if kept.ended), next(iter(self._by_charger_id))
            )
            del self._by_charger_id[oldest]

    def charger_id_of(self, transaction_id: int) -> str | None:
        """The charger's id of the application's transaction ``transaction_id``, if seen here."""
        for charger_id, transaction in self._by_charger_id.items():
            if transaction.transaction_id == transaction_id:
                return charger_id
        return None

    def open_on(self, connector_id: int) -> tuple[str, ChargerTransaction] | None:
        """The latest transaction on EVSE ``connector_id`` that has not ended."""
        for charger_id, transaction in reversed(self._by_charger_id.items()):
            if transaction.connector_id == connector_id and not transaction.ended:
                return charger_id, transaction
        return None
