"""Local authorisation lists in OCPP 2.0.1's shape (D01 SendLocalList, D02 GetLocalListVersion), pure.

The lists, their versions and how an update is split are those of ``local_lists``; 2.0.1 writes them
differently: ``versionNumber``, id tokens as ``{idToken, type}`` (``Central``: the site's id tags
carry no type, and the central system chose them), ``idTokenInfo`` with ``cacheExpiryDateTime`` and
a ``groupIdToken``, no list at all rather than an empty one.

A station's limits are the variables ItemsPerMessage and BytesPerMessage of LocalAuthListCtrlr,
read with GetVariables before an update. Its list's capacity is not a variable's value (it is the
``maxLimit`` of LocalAuthListCtrlr.Entries, in the station's report), so a 2.0.1 list is not checked
for length before it is sent: a station that cannot hold it answers Failed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from fleet.configuration_keys_v201 import DeviceVariable
from fleet.local_lists import ListChange, LocalListLimits, MessageSize, SendLocalListMessage, UpdateType
from ocpp_server.ports import IdTagInfo
from ocpp_server.timestamps import format_utc_timestamp

ID_TOKEN_TYPE: Final = "Central"
ITEMS_PER_MESSAGE: Final = DeviceVariable("LocalAuthListCtrlr", "ItemsPerMessage")
BYTES_PER_MESSAGE: Final = DeviceVariable("LocalAuthListCtrlr", "BytesPerMessage")
_LARGEST_VERSION: Final = 2**31 - 1
_LONGEST_UNIQUE_ID_CHARS: Final = 36
"""OCPP-J's limit on a message id; the central system's are UUIDs of that length."""


def _id_token(id_tag: str) -> dict[str, Any]:
    return {"idToken": id_tag, "type": ID_TOKEN_TYPE}


def id_token_info(info: IdTagInfo) -> dict[str, Any]:
    """``info`` as 2.0.1 writes an IdTokenInfo: fields not set are left out."""
    wire: dict[str, Any] = {"status": info.status.value}
    if info.expires_at is not None:
        wire["cacheExpiryDateTime"] = format_utc_timestamp(info.expires_at)
    if info.parent_id_tag is not None:
        wire["groupIdToken"] = _id_token(info.parent_id_tag)
    return wire


def authorization_data(change: ListChange) -> dict[str, Any]:
    """One entry of a SendLocalList; without idTokenInfo it removes the token (Differential)."""
    if change.info is None:
        return {"idToken": _id_token(change.id_tag)}
    return {"idToken": _id_token(change.id_tag), "idTokenInfo": id_token_info(change.info)}


def wire_payload(message: SendLocalListMessage) -> dict[str, Any]:
    """The SendLocalListRequest payload in wire form (camelCase)."""
    payload: dict[str, Any] = {"versionNumber": message.version, "updateType": message.update_type.value}
    if message.changes:
        # The schema wants at least one entry: an emptied list is a Full update without any.
        payload["localAuthorizationList"] = [authorization_data(change) for change in message.changes]
    return payload


def _json_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def message_size() -> MessageSize:
    """How long a 2.0.1 SendLocalList frame is: an upper bound (longest id, version and update type)."""
    empty = {
        "versionNumber": _LARGEST_VERSION,
        "updateType": UpdateType.DIFFERENTIAL.value,
        "localAuthorizationList": [],
    }
    frame = [2, "x" * _LONGEST_UNIQUE_ID_CHARS, "SendLocalList", empty]
    return MessageSize(_json_bytes(frame), lambda change: _json_bytes(authorization_data(change)) + 1)


def limits_request() -> dict[str, Any]:
    """The GetVariables payload asking a station for its list's limits."""
    return {"getVariableData": [ITEMS_PER_MESSAGE.wire(), BYTES_PER_MESSAGE.wire()]}


def limits_from_variables(payload: Mapping[str, Any]) -> LocalListLimits:
    """The limits in a GetVariablesResponse; a variable not Accepted or not a positive count is not known."""
    values: dict[str, int] = {}
    for result in payload.get("getVariableResult") or []:
        if not isinstance(result, Mapping) or result.get("attributeStatus") != "Accepted":
            continue
        component, variable = result.get("component"), result.get("variable")
        if not isinstance(component, Mapping) or not isinstance(variable, Mapping):
            continue
        if component.get("name") != ITEMS_PER_MESSAGE.component:
            continue
        value = result.get("attributeValue")
        if isinstance(value, str) and value.strip().isdigit() and int(value.strip()) > 0:
            values[str(variable.get("name"))] = int(value.strip())
    return LocalListLimits(
        send_max_entries=values.get(ITEMS_PER_MESSAGE.variable),
        send_max_bytes=values.get(BYTES_PER_MESSAGE.variable),
    )
