"""A 2.0.1 station's HTTP Basic password (use case A02): the variable SecurityCtrlr.BasicAuthPassword.

Unlike 1.6's AuthorizationKey (the password's hexadecimal form), the variable holds the password
itself: 16-40 characters (OCPP 2.0.1 part 2, use case A02). It is set with SetVariables, and the
station holds the new password only when its result for that variable is Accepted; any other status
(Rejected, RebootRequired, UnknownVariable...) or a CALLERROR leaves the old one in force.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any, Final

from fleet.configuration_keys_v201 import AUTHORIZATION_KEY_VARIABLE
from ocpp_server.raw_calls import CentralSystemAction, RawCallAnswer, RawCallOutcome

GENERATED_PASSWORD_CHARS: Final = 40
"""A generated password is as long as the variable holds (238 bits of letters and digits)."""
_ALPHABET: Final = string.ascii_letters + string.digits


def new_basic_auth_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(GENERATED_PASSWORD_CHARS))


def set_password_payload(password: str) -> dict[str, Any]:
    """The SetVariables payload (wire form) giving the station ``password``."""
    return {"setVariableData": [AUTHORIZATION_KEY_VARIABLE.wire() | {"attributeValue": password}]}


def _is_password_variable(item: Any) -> bool:
    if not isinstance(item, Mapping):
        return False
    component, variable = item.get("component"), item.get("variable")
    if not isinstance(component, Mapping) or not isinstance(variable, Mapping):
        return False
    return (
        component.get("name") == AUTHORIZATION_KEY_VARIABLE.component
        and component.get("evse") is None
        and variable.get("name") == AUTHORIZATION_KEY_VARIABLE.variable
        and variable.get("instance") is None
        and item.get("attributeType", "Actual") == "Actual"
    )


def password_set_by(action: CentralSystemAction, payload: Mapping[str, Any]) -> str | None:
    """The BasicAuthPassword a SetVariables call sets, None for any other call."""
    if action is not CentralSystemAction.SET_VARIABLES:
        return None
    items = payload.get("setVariableData")
    for item in items if isinstance(items, list) else []:
        if _is_password_variable(item) and isinstance(item.get("attributeValue"), str):
            value: str = item["attributeValue"]
            return value
    return None


def password_status(answer: RawCallAnswer) -> str:
    """The station's attributeStatus for BasicAuthPassword, a CALLERROR's code, or "" without either."""
    if answer.outcome is RawCallOutcome.CALL_ERROR:
        return answer.error_code or ""
    results = (answer.payload or {}).get("setVariableResult")
    for result in results if isinstance(results, list) else []:
        if _is_password_variable(result):
            status = result.get("attributeStatus")
            return status if isinstance(status, str) else ""
    return ""


def password_accepted(answer: RawCallAnswer) -> bool:
    """Whether the station now holds the password it was sent."""
    return answer.outcome is RawCallOutcome.RESULT and password_status(answer) == "Accepted"
