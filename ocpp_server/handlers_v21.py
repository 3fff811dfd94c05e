"""OCPP 2.1 stations, served with the 2.0.1 core.

OCPP 2.1 keeps 2.0.1's messages (with optional fields added) and adds new ones (bidirectional
power, DER control, prepaid and ad-hoc payment, periodic event streams...). A 2.1 station is served
by the 2.0.1 handlers: its messages are checked against the 2.1 schemas, the fields 2.0.1 does not
know are ignored, and every action without a handler gets NotSupported (a known 2.1 action) or
NotImplemented (an unknown one). That matters here: the ``ocpp`` package's own 2.1 charge point sends
no reply at all to an action it has no handler for, and a station waiting for that reply would stall
its message queue until its timeout; this router answers every CALL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from ocpp.v21 import call, call_result
from ocpp.v21.enums import Action

from ocpp_server.handlers_v201 import ChargePointV201


class ChargePointV21(ChargePointV201):
    """The central system's side of one OCPP 2.1 station connection, on the 2.0.1 core."""

    _call = call
    _call_result = call_result
    _ocpp_version = "2.1"

    protocol_name: ClassVar[str] = "OCPP 2.1"
    error_spelling: ClassVar[Mapping[str, str]] = {}
    known_actions: ClassVar[frozenset[str]] = frozenset(action.value for action in Action)
