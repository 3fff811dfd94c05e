"""OCPP 2.0.1 charging profiles to and from the profile store, which speaks OCPP 1.6.

The smart-charging rules are the same in both versions for a single-EVSE charger; 2.0.1 renames
ChargePointMaxProfile to ChargingStationMaxProfile, connectors to EVSEs, the profile's
``chargingProfileId`` to ``id``, lets a profile carry up to three schedules (ISO 15118 offers the
vehicle a choice; this charger takes one), and names transactions with the charger's own string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ocpp_server.simulator.profile_store import UnusableProfileError
from ocpp_server.simulator.profiles import ChargingProfile, ProfilePurpose
from ocpp_server.simulator.timestamps import format_ocpp_datetime

_PURPOSE_FROM_201 = {
    "ChargingStationMaxProfile": "ChargePointMaxProfile",
    "TxDefaultProfile": "TxDefaultProfile",
    "TxProfile": "TxProfile",
}
_PURPOSE_TO_201: dict[ProfilePurpose, str] = {
    "ChargePointMaxProfile": "ChargingStationMaxProfile",
    "TxDefaultProfile": "TxDefaultProfile",
    "TxProfile": "TxProfile",
}


def purpose_from_201(purpose: str) -> str | None:
    """The profile store's name of a 2.0.1 purpose; None for a purpose it does not take
    (ChargingStationExternalConstraints is set by the charger's own energy manager)."""
    return _PURPOSE_FROM_201.get(purpose)


def store_form(profile: Mapping[str, Any], running_transaction_id: str | None) -> dict[str, Any]:
    """A 2.0.1 ``chargingProfile`` (snake_case keys) in the 1.6 shape ``parse_charging_profile`` reads.

    Parameters
    ----------
    profile
        The profile as the ``ocpp`` library hands it to a handler.
    running_transaction_id
        The charger's id of the transaction running on the EVSE, if any.

    Raises
    ------
    UnusableProfileError
        For a purpose the charger does not take, more than one schedule, or a TxProfile naming a
        transaction that is not running.
    """
    purpose = purpose_from_201(str(profile.get("charging_profile_purpose")))
    if purpose is None:
        raise UnusableProfileError(f"purpose {profile.get('charging_profile_purpose')!r} is not taken")
    schedules = profile.get("charging_schedule")
    if not isinstance(schedules, list) or len(schedules) != 1:
        raise UnusableProfileError("this charger takes exactly one charging schedule per profile")
    transaction_id = profile.get("transaction_id")
    if transaction_id is not None and transaction_id != running_transaction_id:
        raise UnusableProfileError(f"transaction {transaction_id} is not running")
    # The store checks a TxProfile against the running transaction; the id has been checked here.
    return {
        "charging_profile_id": profile.get("id"),
        "stack_level": profile.get("stack_level"),
        "charging_profile_purpose": purpose,
        "charging_profile_kind": profile.get("charging_profile_kind"),
        "recurrency_kind": profile.get("recurrency_kind"),
        "valid_from": profile.get("valid_from"),
        "valid_to": profile.get("valid_to"),
        "charging_schedule": schedules[0],
    }


def wire_form(profile: ChargingProfile, running_transaction_id: str | None) -> dict[str, Any]:
    """An installed profile as a 2.0.1 ChargingProfileType (camelCase keys), for ReportChargingProfiles."""
    schedule: dict[str, Any] = {
        "id": profile.profile_id,
        "chargingRateUnit": profile.rate_unit,
        "chargingSchedulePeriod": [
            {"startPeriod": p.start_period_s, "limit": p.limit}
            | ({} if p.number_phases is None else {"numberPhases": p.number_phases})
            for p in profile.periods
        ],
    }
    if profile.start_schedule is not None:
        schedule["startSchedule"] = format_ocpp_datetime(profile.start_schedule)
    if profile.duration_s is not None:
        schedule["duration"] = profile.duration_s
    wire: dict[str, Any] = {
        "id": profile.profile_id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": _PURPOSE_TO_201[profile.purpose],
        "chargingProfileKind": profile.kind,
        "chargingSchedule": [schedule],
    }
    if profile.recurrency is not None:
        wire["recurrencyKind"] = profile.recurrency
    if profile.valid_from is not None:
        wire["validFrom"] = format_ocpp_datetime(profile.valid_from)
    if profile.valid_to is not None:
        wire["validTo"] = format_ocpp_datetime(profile.valid_to)
    if profile.purpose == "TxProfile" and running_transaction_id is not None:
        wire["transactionId"] = running_transaction_id
    return wire
