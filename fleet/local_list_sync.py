"""Keeps each charger's local authorisation list and the stored copy of it in step.

An update is sent with SendLocalList and stored only as far as the charger accepted it: the stored
list and version are always those the charger last said it holds. Updates of one charger are sent
one at a time (``locks``), so two operators cannot send the same next version. Before an update the
charger is asked how long a list it holds and how many entries one message may carry
(GetConfiguration); a charger that does not say gets the update in one message.

A station that connected with 2.0.1 (or 2.1) is sent the 2.0.1 messages (``local_lists_v201``), its
limits read with GetVariables (LocalAuthListCtrlr.ItemsPerMessage and BytesPerMessage): a station
that does not say, or answers GetVariables with a CALLERROR, gets the update in one message, as a
1.6 charger that does not say.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from fleet import local_lists_v201
from fleet.charger_protocols import OcppFamily
from fleet.id_tags import id_tag_info
from fleet.local_lists import (
    LIST_MAX_LENGTH_KEY,
    SEND_MAX_LENGTH_KEY,
    LocalListLimits,
    MessageSize,
    SendLocalListMessage,
    UpdateStatus,
    apply_message,
    differential_update_messages,
    full_update_messages,
    limits_from_configuration,
)
from fleet.persistence.errors import InvalidValueError
from fleet.persistence.id_tag_records import (
    LocalListEntry,
    LocalListRecord,
    id_tag_key,
    require_id_tag,
    require_id_tag_info,
)
from fleet.persistence.id_tag_store import IdTagStore
from ocpp_server.ports import IdTagInfo
from ocpp_server.raw_calls import CentralSystemAction, RawCallAnswer, RawCallOutcome
from ocpp_server.sessions import KeyedLocks


class ChargerCalls(Protocol):
    async def send_call(
        self, charge_point_id: str, action: CentralSystemAction, payload: dict[str, Any]
    ) -> RawCallAnswer: ...


class ChargerVersions(Protocol):
    async def family(self, charge_point_id: str) -> OcppFamily: ...


class LocalListError(Exception):
    """An update or a version check that did not go through; the message says why."""


class ChargerUnreachableError(LocalListError):
    """The charger is not connected, went away, or did not answer in time (``outcome``)."""

    def __init__(self, charge_point_id: str, answer: RawCallAnswer) -> None:
        super().__init__(f"charge point {charge_point_id!r}: {answer.detail}")
        self.outcome = answer.outcome


class ChargerRefusedError(LocalListError):
    """The charger answered, but not Accepted: ``status`` is its status, or its CALLERROR's code."""

    def __init__(self, charge_point_id: str, action: str, status: str, detail: str, stored: LocalListRecord) -> None:
        super().__init__(f"charge point {charge_point_id!r} answered {action} with {status}{detail}")
        self.status = status
        self.stored = stored
        """The list as stored afterwards: messages of a split update accepted before stay applied."""


@dataclass(frozen=True, slots=True)
class RequestedEntry:
    """An id tag for a list; ``info`` None takes the tag's current answer from the id-tag store."""

    id_tag: str
    info: IdTagInfo | None = None


@dataclass(frozen=True, slots=True)
class VersionCheck:
    charge_point_id: str
    stored_version: int
    charger_version: int
    """What GetLocalListVersion answered: 0 (2.0.1 and most 1.6 chargers) or -1 without a local list."""

    @property
    def matches(self) -> bool:
        return self.stored_version == self.charger_version


class LocalListSync:
    """Sends list updates and version checks to chargers and records what they accepted.

    Parameters
    ----------
    now
        The site's clock: expiry of the id tags taken from the store, and when a list was stored.
    locks
        Shared by every ``LocalListSync`` of the process, so that one charger gets one update at a time.
    versions
        The OCPP version each charger connected with: which messages it is sent.
    """

    def __init__(
        self,
        store: IdTagStore,
        charger: ChargerCalls,
        now: Callable[[], datetime],
        locks: KeyedLocks,
        versions: ChargerVersions,
    ) -> None:
        self._store = store
        self._charger = charger
        self._now = now
        self._locks = locks
        self._versions = versions

    async def full_update(self, charge_point_id: str, entries: Sequence[RequestedEntry]) -> LocalListRecord:
        """Make ``entries`` the charger's whole list (SendLocalList Full); the list as stored after.

        Raises
        ------
        InvalidValueError
            If a tag is given twice (letter case aside) or an entry cannot be stored.
        ListTooLongError
            If the charger holds fewer entries than given.
        ChargerUnreachableError, ChargerRefusedError
            If the update did not reach the charger or it did not accept it.
        """
        _check_unique("entries", [entry.id_tag for entry in entries])
        resolved = await self._resolve(entries)
        family = await self._versions.family(charge_point_id)
        async with self._locks.hold(charge_point_id):
            stored = await self._store.local_list(charge_point_id)
            limits = await self._limits(charge_point_id, family)
            messages = full_update_messages(resolved, stored.version, limits, _message_size(family))
            return await self._send(charge_point_id, stored, messages, family)

    async def differential_update(
        self, charge_point_id: str, upserts: Sequence[RequestedEntry], removals: Sequence[str]
    ) -> LocalListRecord:
        """Add or change ``upserts`` and remove ``removals`` (SendLocalList Differential); the list after.

        Raises
        ------
        InvalidValueError, ListTooLongError, ChargerUnreachableError, ChargerRefusedError
            As for ``full_update``.
        """
        _check_unique("entries", [entry.id_tag for entry in upserts] + list(removals))
        for index, id_tag in enumerate(removals):
            require_id_tag(f"remove[{index}]", id_tag)
        resolved = await self._resolve(upserts)
        family = await self._versions.family(charge_point_id)
        async with self._locks.hold(charge_point_id):
            stored = await self._store.local_list(charge_point_id)
            limits = await self._limits(charge_point_id, family)
            size = _message_size(family)
            messages = differential_update_messages(stored.entries, resolved, removals, stored.version, limits, size)
            return await self._send(charge_point_id, stored, messages, family)

    async def check_version(self, charge_point_id: str) -> VersionCheck:
        """Ask the charger for its list's version (GetLocalListVersion) and compare it with the stored one.

        Raises
        ------
        ChargerUnreachableError, ChargerRefusedError
            If the charger could not be asked or answered with a CALLERROR or a payload without version.
        """
        answer = await self._charger.send_call(charge_point_id, CentralSystemAction.GET_LOCAL_LIST_VERSION, {})
        stored = await self._store.local_list(charge_point_id)
        payload = _result(charge_point_id, CentralSystemAction.GET_LOCAL_LIST_VERSION, answer, stored)
        field = "versionNumber" if await self._versions.family(charge_point_id) is OcppFamily.V201 else "listVersion"
        version = payload.get(field)
        if isinstance(version, bool) or not isinstance(version, int):
            raise ChargerRefusedError(charge_point_id, "GetLocalListVersion", f"no {field}", f": {payload!r}", stored)
        return VersionCheck(charge_point_id, stored.version, version)

    async def _resolve(self, entries: Sequence[RequestedEntry]) -> list[LocalListEntry]:
        resolved = []
        now = self._now()
        for index, entry in enumerate(entries):
            id_tag = require_id_tag(f"entries[{index}].id_tag", entry.id_tag)
            if entry.info is None:
                info = id_tag_info(await self._store.lookup(id_tag), now)
            else:
                info = require_id_tag_info(f"entries[{index}]", entry.info)
            resolved.append(LocalListEntry(id_tag, info))
        return resolved

    async def _limits(self, charge_point_id: str, family: OcppFamily) -> LocalListLimits:
        if family is OcppFamily.V201:
            action, payload = CentralSystemAction.GET_VARIABLES, local_lists_v201.limits_request()
        else:
            action, payload = CentralSystemAction.GET_CONFIGURATION, {"key": [LIST_MAX_LENGTH_KEY, SEND_MAX_LENGTH_KEY]}
        answer = await self._charger.send_call(charge_point_id, action, payload)
        if answer.outcome in (RawCallOutcome.NOT_CONNECTED, RawCallOutcome.TIMEOUT, RawCallOutcome.NOT_IN_PROTOCOL):
            raise ChargerUnreachableError(charge_point_id, answer)
        if answer.outcome is not RawCallOutcome.RESULT or answer.payload is None:
            return LocalListLimits()
        if family is OcppFamily.V201:
            return local_lists_v201.limits_from_variables(answer.payload)
        return limits_from_configuration(answer.payload)

    async def _send(
        self,
        charge_point_id: str,
        stored: LocalListRecord,
        messages: Sequence[SendLocalListMessage],
        family: OcppFamily,
    ) -> LocalListRecord:
        entries, version, refusal = list(stored.entries), stored.version, None
        for message in messages:
            payload = local_lists_v201.wire_payload(message) if family is OcppFamily.V201 else message.wire_payload()
            answer = await self._charger.send_call(charge_point_id, CentralSystemAction.SEND_LOCAL_LIST, payload)
            status = _update_status(answer)
            if status != UpdateStatus.ACCEPTED.value:
                refusal = (answer, status)
                break
            entries, version = apply_message(entries, message), message.version
        after = stored
        if version != stored.version:
            after = await self._store.save_local_list(charge_point_id, version, entries, self._now())
        if refusal is None:
            return after
        answer, status = refusal
        if answer.outcome in (RawCallOutcome.NOT_CONNECTED, RawCallOutcome.TIMEOUT):
            raise ChargerUnreachableError(charge_point_id, answer)
        detail = f": {answer.error_description}" if answer.error_description else ""
        raise ChargerRefusedError(charge_point_id, "SendLocalList", status, detail, after)


def _message_size(family: OcppFamily) -> MessageSize | None:
    """How a message's bytes are counted: only 2.0.1 stations limit them."""
    return local_lists_v201.message_size() if family is OcppFamily.V201 else None


def _update_status(answer: RawCallAnswer) -> str:
    """The SendLocalList.conf status, a CALLERROR's code, or what else came back."""
    if answer.outcome is RawCallOutcome.CALL_ERROR:
        return answer.error_code or "CallError"
    if answer.outcome is not RawCallOutcome.RESULT or answer.payload is None:
        return answer.outcome.value
    status = answer.payload.get("status")
    return status if isinstance(status, str) else f"no status in {answer.payload!r}"


def _result(
    charge_point_id: str, action: CentralSystemAction, answer: RawCallAnswer, stored: LocalListRecord
) -> dict[str, Any]:
    if answer.outcome in (RawCallOutcome.NOT_CONNECTED, RawCallOutcome.TIMEOUT):
        raise ChargerUnreachableError(charge_point_id, answer)
    if answer.outcome is RawCallOutcome.CALL_ERROR or answer.payload is None:
        detail = f": {answer.error_description}" if answer.error_description else ""
        raise ChargerRefusedError(charge_point_id, action.value, answer.error_code or "CallError", detail, stored)
    return answer.payload


def _check_unique(field: str, id_tags: Sequence[str]) -> None:
    counts = Counter(id_tag_key(id_tag) for id_tag in id_tags if isinstance(id_tag, str))
    repeated = sorted(key for key, count in counts.items() if count > 1)
    if repeated:
        raise InvalidValueError(field, f"id tags given more than once (letter case aside): {repeated}")
