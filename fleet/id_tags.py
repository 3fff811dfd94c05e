"""Whether an id tag may charge: the IdTagInfo answered to Authorize, StartTransaction and StopTransaction.

The rules, in order (id tags compare case-insensitively, OCPP 1.6 CiString20):

1. A tag in the id-tag store answers what the store says: its status, expiry and parent tag; an
   Accepted tag whose expiry has passed answers Expired.
2. A tag the store does not hold but a vehicle does (its first or a further card) is Accepted,
   without expiry or parent: a vehicle's cards work as soon as the vehicle is registered. To block
   one, give it an expiry or put it in a group, add it to the store, which then decides.
3. Any other tag is Invalid.
4. An Accepted tag already charging elsewhere answers ConcurrentTx (see ``concurrent_transaction``).

Only the answer changes: StartTransaction and StopTransaction are stored whatever the tag's status
(the charger is told through the status and stops the transaction itself if so configured).
"""

from __future__ import annotations

from datetime import datetime

from fleet.persistence.id_tag_records import IdTagLookup, TagTransaction
from ocpp_server.ports import IdTagInfo, IdTagStatus

FREE_CONNECTOR_STATUS = "Available"
"""A connector that reports this after a transaction started is no longer in that transaction."""


def id_tag_info(lookup: IdTagLookup, now: datetime) -> IdTagInfo:
    """The tag's answer by rules 1-3: from the store, else Accepted for a vehicle's card, else Invalid."""
    if lookup.entry is None:
        return IdTagInfo(IdTagStatus.ACCEPTED if lookup.vehicle_id is not None else IdTagStatus.INVALID)
    info = lookup.entry.info
    if info.status is IdTagStatus.ACCEPTED and info.expires_at is not None and info.expires_at <= now:
        return IdTagInfo(IdTagStatus.EXPIRED, info.expires_at, info.parent_id_tag)
    return info


def concurrent_transaction(
    lookup: IdTagLookup, charge_point_id: str, connector_id: int | None
) -> TagTransaction | None:
    """The transaction that makes presenting the tag at ``charge_point_id`` a concurrent one, if any.

    Parameters
    ----------
    connector_id
        The connector a StartTransaction names; None for an Authorize, which names none.

    Notes
    -----
    A transaction counts while it is not stopped and its connector has not reported Available since
    it started (a charger that lost the StopTransaction still frees its connector). One on the same
    connector never counts: it is the same transaction retried, or one whose stop was lost, since a
    connector holds one transaction at a time. An Authorize at the charger already holding the tag's
    transaction is not concurrent either: it may be the driver presenting the card to stop, which
    the request cannot tell apart from a start on another connector; that charger's
    StartTransaction answers ConcurrentTx if it is a start.
    """
    for transaction in lookup.open_transactions:
        if transaction.charge_point_id == charge_point_id and (
            connector_id is None or transaction.connector_id == connector_id
        ):
            continue
        freed = (
            transaction.connector_status == FREE_CONNECTOR_STATUS
            and transaction.connector_status_at is not None
            and transaction.connector_status_at > transaction.started_at
        )
        if not freed:
            return transaction
    return None


def start_id_tag_info(lookup: IdTagLookup, now: datetime, charge_point_id: str, connector_id: int | None) -> IdTagInfo:
    """The answer to an Authorize (``connector_id`` None) or a StartTransaction: rules 1-4."""
    info = id_tag_info(lookup, now)
    if info.status is not IdTagStatus.ACCEPTED:
        return info
    if concurrent_transaction(lookup, charge_point_id, connector_id) is None:
        return info
    return IdTagInfo(IdTagStatus.CONCURRENT_TX, info.expires_at, info.parent_id_tag)
