"""What a simulated charger accepts in SetChargingProfile and ClearChargingProfile."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.profile_store import (
    UnusableProfileError,
    check_installable,
    clear_profiles,
    install_profile,
    parse_charging_profile,
    without_tx_profiles,
)
from ocpp_server.simulator.profiles import ChargingProfile, RunningTransaction

AC = SimChargerSpec("AC-1", "AC", 22.0, "A", 3, 230.0, 6.0, "Vettabbia", "SimAC22", max_schedule_periods=4)
T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
TX = RunningTransaction(7, T0)


def payload(**overrides: Any) -> dict[str, Any]:
    """A SetChargingProfile csChargingProfiles as the ocpp library hands it over (snake_case)."""
    data: dict[str, Any] = {
        "charging_profile_id": 1,
        "stack_level": 0,
        "charging_profile_purpose": "TxDefaultProfile",
        "charging_profile_kind": "Absolute",
        "charging_schedule": {
            "charging_rate_unit": "A",
            "start_schedule": "2024-05-01T06:00:00Z",
            "duration": 3600,
            "charging_schedule_period": [
                {"start_period": 0, "limit": Decimal("16.0")},
                {"start_period": 900, "limit": Decimal("8.5"), "number_phases": 1},
            ],
        },
    }
    data.update(overrides)
    return data


def parse(connector_id: int = 1, **overrides: Any) -> ChargingProfile:
    return parse_charging_profile(payload(**overrides), connector_id=connector_id, installed_at=T0)


def test_parses_a_full_profile() -> None:
    parsed = parse()
    assert parsed.profile_id == 1
    assert parsed.purpose == "TxDefaultProfile"
    assert parsed.start_schedule == T0
    assert parsed.duration_s == 3600
    assert [(p.start_period_s, p.limit, p.number_phases) for p in parsed.periods] == [
        (0, 16.0, None),
        (900, 8.5, 1),
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"charging_profile_purpose": "Cheapest"}, "charging_profile_purpose"),
        ({"charging_profile_kind": None}, "charging_profile_kind is missing"),
        ({"stack_level": 1.5}, "stack_level must be an integer"),
        (
            {
                "charging_schedule": {
                    "charging_rate_unit": "A",
                    "charging_schedule_period": [{"start_period": 60, "limit": 16}],
                }
            },
            "start_period 0",
        ),
        (
            {"charging_schedule": {"charging_rate_unit": "A", "charging_schedule_period": [{"start_period": 0}]}},
            "limit is missing",
        ),
        (
            {
                "charging_schedule": {
                    "charging_rate_unit": "kW",
                    "charging_schedule_period": [{"start_period": 0, "limit": 1}],
                }
            },
            "charging_rate_unit must be one of A, W",
        ),
        ({"charging_profile_kind": "Recurring"}, "recurrency_kind"),
        ({"valid_from": "yesterday"}, "valid_from"),
    ],
)
def test_malformed_profiles_are_refused_naming_the_field(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(UnusableProfileError, match=message):
        parse(**overrides)


def test_a_tx_profile_needs_a_running_transaction() -> None:
    tx_profile = parse(charging_profile_purpose="TxProfile")
    with pytest.raises(UnusableProfileError, match="running transaction"):
        check_installable(tx_profile, AC, (), None)
    check_installable(tx_profile, AC, (), TX)


def test_a_tx_profile_for_another_transaction_is_refused() -> None:
    tx_profile = parse(charging_profile_purpose="TxProfile", transaction_id=8)
    with pytest.raises(UnusableProfileError, match="transaction 8"):
        check_installable(tx_profile, AC, (), TX)
    # Before StartTransaction.conf the charger does not know its id yet and takes the profile.
    check_installable(tx_profile, AC, (), RunningTransaction(None, T0))


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (lambda: parse(connector_id=1, charging_profile_purpose="ChargePointMaxProfile"), "connector 0"),
        (lambda: parse(connector_id=0, charging_profile_purpose="TxProfile"), "connector > 0"),
        (lambda: parse(connector_id=2), "connector 2"),
        (lambda: parse(stack_level=11), "stack level 11"),
        (
            lambda: parse(
                charging_schedule={
                    "charging_rate_unit": "W",
                    "charging_schedule_period": [{"start_period": 0, "limit": 11000}],
                }
            ),
            "takes schedules in A",
        ),
        (
            lambda: parse(
                charging_schedule={
                    "charging_rate_unit": "A",
                    "charging_schedule_period": [{"start_period": s, "limit": 16} for s in range(0, 500, 100)],
                }
            ),
            "ChargingScheduleMaxPeriods",
        ),
    ],
)
def test_profiles_this_charger_cannot_apply_are_refused(profile: Any, message: str) -> None:
    with pytest.raises(UnusableProfileError, match=message):
        check_installable(profile(), AC, (), TX)


def test_too_many_profiles_are_refused() -> None:
    small = SimChargerSpec("AC-2", "AC", 22.0, "A", 3, 230.0, 6.0, "V", "M", max_installed_profiles=2)
    installed = (parse(charging_profile_id=1, stack_level=1), parse(charging_profile_id=2, stack_level=2))
    with pytest.raises(UnusableProfileError, match="MaxChargingProfilesInstalled"):
        check_installable(parse(charging_profile_id=3, stack_level=3), small, installed, TX)
    # replacing one is fine
    check_installable(parse(charging_profile_id=3, stack_level=2), small, installed, TX)


def test_install_replaces_same_id_and_same_purpose_stack_level_connector() -> None:
    first = parse(charging_profile_id=1, stack_level=1)
    second = parse(charging_profile_id=2, stack_level=2)
    same_id = parse(charging_profile_id=1, stack_level=3)
    same_slot = parse(charging_profile_id=4, stack_level=2)
    installed = install_profile(install_profile((), first), second)
    assert [p.profile_id for p in install_profile(installed, same_id)] == [2, 1]
    assert [p.profile_id for p in install_profile(installed, same_slot)] == [1, 4]
    other_connector = parse(connector_id=0, charging_profile_id=5, stack_level=2)
    assert [p.profile_id for p in install_profile(installed, other_connector)] == [1, 2, 5]


def test_clear_by_id_or_by_criteria() -> None:
    installed = (
        parse(charging_profile_id=1, stack_level=1),
        parse(charging_profile_id=2, stack_level=2, charging_profile_purpose="TxProfile"),
        parse(connector_id=0, charging_profile_id=3, stack_level=1, charging_profile_purpose="ChargePointMaxProfile"),
    )
    kept, removed = clear_profiles(installed, profile_id=2, purpose="ChargePointMaxProfile")
    assert (removed, [p.profile_id for p in kept]) == (1, [1, 3])
    kept, removed = clear_profiles(installed, purpose="ChargePointMaxProfile")
    assert (removed, [p.profile_id for p in kept]) == (1, [1, 2])
    kept, removed = clear_profiles(installed, connector_id=1, stack_level=1)
    assert (removed, [p.profile_id for p in kept]) == (1, [2, 3])
    assert clear_profiles(installed) == ((), 3)
    assert clear_profiles(installed, profile_id=99) == (installed, 0)


def test_tx_profiles_go_with_their_transaction() -> None:
    installed = (parse(charging_profile_id=1), parse(charging_profile_id=2, charging_profile_purpose="TxProfile"))
    assert [p.profile_id for p in without_tx_profiles(installed)] == [1]
