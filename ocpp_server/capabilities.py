"""What a charger says it can do, read with GetConfiguration after it is accepted.

OCPP 1.6 keeps a charger's smart-charging limits in configuration keys whose values are strings
(section 9): ``SupportedFeatureProfiles`` ("Core,SmartCharging"), ``ChargeProfileMaxStackLevel``,
``ChargingScheduleAllowedChargingRateUnit`` ("Current", "Power" or both), ``ChargingScheduleMaxPeriods``,
``MaxChargingProfilesInstalled`` and more. Chargers differ in how they spell lists ("Current,Power",
"Current, Power", "current;power"), leave keys out or answer them as unknown, so ``parse_configuration``
is tolerant: a key that is missing or unreadable leaves its field None (not known) and is named in
``problems`` when it was present but unreadable. The record is frozen and kept whole: the latest
read replaces the previous one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpp_server.commands import RateUnit

SMART_CHARGING = "SmartCharging"

CAPABILITY_KEYS = (
    "SupportedFeatureProfiles",
    "ChargeProfileMaxStackLevel",
    "ChargingScheduleAllowedChargingRateUnit",
    "ChargingScheduleMaxPeriods",
    "MaxChargingProfilesInstalled",
    "MeterValueSampleInterval",
    "NumberOfConnectors",
    "ConnectorPhaseRotation",
    "LocalAuthListMaxLength",
    "SendLocalListMaxLength",
    "AuthorizationKey",
)
"""The keys asked for; OCPP key names are case-insensitive."""

_RATE_UNITS = {"current": RateUnit.AMPS, "a": RateUnit.AMPS, "power": RateUnit.WATTS, "w": RateUnit.WATTS}
_LIST_SEPARATORS = re.compile(r"[,;\s]+")


@dataclass(frozen=True, slots=True)
class ChargerCapabilities:
    """A charger's reported configuration, typed; None means the charger did not say (or said nonsense).

    Attributes
    ----------
    read_at
        When the central system read it [UTC].
    feature_profiles
        SupportedFeatureProfiles as reported ("Core", "SmartCharging", ...); None if not reported.
    max_stack_level
        ChargeProfileMaxStackLevel: the highest stack level a profile may have [-].
    allowed_rate_units
        ChargingScheduleAllowedChargingRateUnit: the units a schedule may be written in.
    max_schedule_periods
        ChargingScheduleMaxPeriods: the most periods one schedule may have [-].
    max_profiles_installed
        MaxChargingProfilesInstalled [-].
    meter_value_sample_interval_s
        MeterValueSampleInterval [s]; 0 sends no periodic meter values.
    number_of_connectors
        NumberOfConnectors [-].
    connector_phase_rotation
        ConnectorPhaseRotation as reported, e.g. "0.RST,1.RST" or "NotApplicable".
    local_auth_list_max_length, send_local_list_max_length
        LocalAuthListMaxLength and SendLocalListMaxLength [-].
    authorization_key_set
        Whether the charger holds an AuthorizationKey (HTTP Basic auth, security profiles 1-2);
        its value is write-only, so only its presence is recorded.
    unknown_keys
        Keys asked for that the charger answered as unknown.
    problems
        Keys present with a value that could not be read, each with the value.
    """

    read_at: datetime
    feature_profiles: frozenset[str] | None = None
    max_stack_level: int | None = None
    allowed_rate_units: frozenset[RateUnit] | None = None
    max_schedule_periods: int | None = None
    max_profiles_installed: int | None = None
    meter_value_sample_interval_s: int | None = None
    number_of_connectors: int | None = None
    connector_phase_rotation: str | None = None
    local_auth_list_max_length: int | None = None
    send_local_list_max_length: int | None = None
    authorization_key_set: bool | None = None
    unknown_keys: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def smart_charging(self) -> bool | None:
        """Whether SmartCharging is among the feature profiles; None if the charger did not say."""
        if self.feature_profiles is None:
            return None
        return SMART_CHARGING.lower() in {p.lower() for p in self.feature_profiles}


def parse_configuration(
    configuration: Mapping[str, str | None], unknown_keys: Iterable[str], read_at: datetime
) -> ChargerCapabilities:
    """Build the record from a GetConfiguration answer, key -> value as strings.

    Parameters
    ----------
    configuration
        The ``configurationKey`` entries, key -> value (value None when the charger sent none).
    unknown_keys
        The ``unknownKey`` list.
    read_at
        When the answer arrived [UTC].
    """
    values = {key.strip().lower(): value for key, value in configuration.items()}
    problems: list[str] = []

    def text(key: str) -> str | None:
        value = values.get(key.lower())
        return value.strip() if value is not None and value.strip() else None

    def whole(key: str, minimum: int) -> int | None:
        value = text(key)
        if value is None:
            return None
        try:
            # Some firmware writes integers as "5.0".
            number = float(value)
        except ValueError:
            number = float("nan")
        if not number.is_integer() or number < minimum:
            problems.append(f"{key}={value!r}")
            return None
        return int(number)

    features = text("SupportedFeatureProfiles")
    units_text = text("ChargingScheduleAllowedChargingRateUnit")
    units: frozenset[RateUnit] | None = None
    if units_text is not None:
        words = [w for w in _LIST_SEPARATORS.split(units_text.lower()) if w]
        if words and all(w in _RATE_UNITS for w in words):
            units = frozenset(_RATE_UNITS[w] for w in words)
        else:
            problems.append(f"ChargingScheduleAllowedChargingRateUnit={units_text!r}")
    return ChargerCapabilities(
        read_at=read_at,
        feature_profiles=None if features is None else _words(features),
        max_stack_level=whole("ChargeProfileMaxStackLevel", 0),
        allowed_rate_units=units,
        max_schedule_periods=whole("ChargingScheduleMaxPeriods", 1),
        max_profiles_installed=whole("MaxChargingProfilesInstalled", 1),
        meter_value_sample_interval_s=whole("MeterValueSampleInterval", 0),
        number_of_connectors=whole("NumberOfConnectors", 1),
        connector_phase_rotation=text("ConnectorPhaseRotation"),
        local_auth_list_max_length=whole("LocalAuthListMaxLength", 0),
        send_local_list_max_length=whole("SendLocalListMaxLength", 0),
        authorization_key_set=_key_presence(values, unknown_keys),
        unknown_keys=tuple(unknown_keys),
        problems=tuple(problems),
    )


def configuration_from_answer(answer: Mapping[str, Any]) -> tuple[dict[str, str | None], list[str]]:
    """Key -> value and the unknown keys of a GetConfiguration.conf payload (snake_case or camelCase)."""
    entries = answer.get("configuration_key", answer.get("configurationKey")) or []
    unknown = answer.get("unknown_key", answer.get("unknownKey")) or []
    configuration: dict[str, str | None] = {}
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get("key"), str):
            value = entry.get("value")
            configuration[entry["key"]] = None if value is None else str(value)
    return configuration, [str(key) for key in unknown]


def _words(value: str) -> frozenset[str]:
    return frozenset(w for w in _LIST_SEPARATORS.split(value) if w)


def _key_presence(values: Mapping[str, str | None], unknown_keys: Iterable[str]) -> bool | None:
    # The key is write-only: chargers answer it masked ("****") when set and empty when not.
    if "authorizationkey" in values:
        value = values["authorizationkey"]
        return value is not None and bool(value.strip())
    if "authorizationkey" in {key.lower() for key in unknown_keys}:
        return False
    return None
