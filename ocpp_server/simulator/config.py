"""The configuration keys of a simulated charge point (GetConfiguration / ChangeConfiguration).

Only keys the simulator acts on are writable; the others describe fixed capabilities and are
read-only. OCPP key names are case-insensitive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ocpp_server.simulator.charger_spec import SimChargerSpec

ChangeStatus = Literal["Accepted", "Rejected", "NotSupported"]

HEARTBEAT_INTERVAL = "HeartbeatInterval"
METER_VALUE_SAMPLE_INTERVAL = "MeterValueSampleInterval"
TRANSACTION_MESSAGE_ATTEMPTS = "TransactionMessageAttempts"
TRANSACTION_MESSAGE_RETRY_INTERVAL = "TransactionMessageRetryInterval"
LOCAL_AUTH_LIST_MAX_LENGTH = "LocalAuthListMaxLength"
ALLOWED_CHARGING_RATE_UNIT = "ChargingScheduleAllowedChargingRateUnit"


@dataclass(frozen=True, slots=True)
class ConfigEntry:
    key: str
    value: str
    readonly: bool


@dataclass(frozen=True, slots=True)
class _IntRule:
    minimum: int
    maximum: int


_WRITABLE: dict[str, _IntRule] = {
    HEARTBEAT_INTERVAL: _IntRule(0, 86_400),
    METER_VALUE_SAMPLE_INTERVAL: _IntRule(0, 86_400),
    TRANSACTION_MESSAGE_ATTEMPTS: _IntRule(1, 100),
    TRANSACTION_MESSAGE_RETRY_INTERVAL: _IntRule(0, 86_400),
}


class ConfigStore:
    """Key/value store with the OCPP rules: unknown keys NotSupported, read-only keys Rejected,
    writable keys validated as integers in range."""

    def __init__(self, entries: Iterable[ConfigEntry]) -> None:
        self._entries = {entry.key.lower(): entry for entry in entries}

    def get(self, keys: Iterable[str] | None = None) -> tuple[list[ConfigEntry], list[str]]:
        """Entries for ``keys`` (all when None) and the keys that do not exist."""
        if keys is None:
            return list(self._entries.values()), []
        found, unknown = [], []
        for key in keys:
            entry = self._entries.get(key.lower())
            if entry is None:
                unknown.append(key)
            else:
                found.append(entry)
        return found, unknown

    def change(self, key: str, value: str) -> ChangeStatus:
        entry = self._entries.get(key.lower())
        if entry is None:
            return "NotSupported"
        rule = _WRITABLE.get(entry.key)
        if entry.readonly or rule is None:
            return "Rejected"
        try:
            number = int(value.strip())
        except ValueError:
            return "Rejected"
        if not rule.minimum <= number <= rule.maximum:
            return "Rejected"
        self._entries[entry.key.lower()] = ConfigEntry(entry.key, str(number), readonly=False)
        return "Accepted"

    def int_value(self, key: str) -> int:
        """An integer key's value; ``KeyError`` naming the key if it does not exist."""
        entry = self._entries.get(key.lower())
        if entry is None:
            raise KeyError(f"configuration key {key} does not exist")
        return int(entry.value)

    def set_int(self, key: str, value: int) -> None:
        """Set an integer key from the charger itself (e.g. the interval in BootNotification.conf)."""
        if self.change(key, str(value)) != "Accepted":
            raise ValueError(f"configuration key {key} cannot take {value}")


def default_configuration(spec: SimChargerSpec, *, meter_interval_s: int, heartbeat_interval_s: int) -> ConfigStore:
    """The configuration a simulated charge point boots with.

    Parameters
    ----------
    spec
        The charger, for its smart-charging capabilities.
    meter_interval_s
        Initial MeterValueSampleInterval [simulated s]; 0 disables periodic meter values.
    heartbeat_interval_s
        Initial HeartbeatInterval [simulated s], until BootNotification.conf sets one.
    """
    measurands = ["Energy.Active.Import.Register", "Power.Active.Import", "SoC"]
    if spec.kind == "AC":
        measurands.insert(2, "Current.Import")
    fixed = {
        "NumberOfConnectors": "1",
        "SupportedFeatureProfiles": "Core,SmartCharging,RemoteTrigger,LocalAuthListManagement",
        "MeterValuesSampledData": ",".join(measurands),
        "StopTxnSampledData": "Energy.Active.Import.Register,Power.Active.Import,SoC",
        "StopTransactionOnEVSideDisconnect": "true",
        "AuthorizeRemoteTxRequests": "false",
        ALLOWED_CHARGING_RATE_UNIT: "Current" if spec.rate_unit == "A" else "Power",
        "ChargeProfileMaxStackLevel": str(spec.max_stack_level),
        "ChargingScheduleMaxPeriods": str(spec.max_schedule_periods),
        "MaxChargingProfilesInstalled": str(spec.max_installed_profiles),
        # OCPP 1.6 section 9.1.7: "NotApplicable" for single-phase and DC connectors.
        "ConnectorPhaseRotation": "1.RST" if spec.kind == "AC" and spec.phases == 3 else "1.NotApplicable",
        "LocalAuthListEnabled": "true",
        LOCAL_AUTH_LIST_MAX_LENGTH: "500",
        "SendLocalListMaxLength": "100",
    }
    store = ConfigStore(
        [ConfigEntry(key, value, readonly=True) for key, value in fixed.items()]
        + [ConfigEntry(key, str(rule.minimum), readonly=False) for key, rule in _WRITABLE.items()]
    )
    store.set_int(HEARTBEAT_INTERVAL, heartbeat_interval_s)
    store.set_int(METER_VALUE_SAMPLE_INTERVAL, meter_interval_s)
    store.set_int(TRANSACTION_MESSAGE_ATTEMPTS, 3)
    store.set_int(TRANSACTION_MESSAGE_RETRY_INTERVAL, 60)
    return store
