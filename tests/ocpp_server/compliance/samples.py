"""One schema-valid request and one schema-valid answer for every action a central system sends.

Wire form (camelCase), as OCPP 1.6 and its security extension write them. The values are chosen to
be recognisable, so a test can tell that what arrived is what was sent.
"""

from __future__ import annotations

from typing import Any

from ocpp_server.raw_calls import CentralSystemAction

A = CentralSystemAction

TX_PROFILE = {
    "chargingProfileId": 17,
    "transactionId": 4711,
    "stackLevel": 2,
    "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {
        "startSchedule": "2026-12-05T10:00:00Z",
        "duration": 3600,
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.5, "numberPhases": 3}],
    },
}

REMOTE_START_PROFILE = {key: value for key, value in TX_PROFILE.items() if key != "transactionId"}
"""A remote start's profile: the transaction has no id yet."""

CERTIFICATE_HASH = {
    "hashAlgorithm": "SHA256",
    "issuerNameHash": "5f2a1d3c",
    "issuerKeyHash": "9be47d12",
    "serialNumber": "0c1a",
}

PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ29uZm9ybWFuY2U=\n-----END CERTIFICATE-----\n"

CENTRAL_SYSTEM_CALLS: dict[CentralSystemAction, tuple[dict[str, Any], dict[str, Any]]] = {
    A.CANCEL_RESERVATION: ({"reservationId": 31}, {"status": "Accepted"}),
    A.CERTIFICATE_SIGNED: ({"certificateChain": PEM}, {"status": "Accepted"}),
    A.CHANGE_AVAILABILITY: ({"connectorId": 2, "type": "Inoperative"}, {"status": "Scheduled"}),
    A.CHANGE_CONFIGURATION: ({"key": "MeterValueSampleInterval", "value": "60"}, {"status": "RebootRequired"}),
    A.CLEAR_CACHE: ({}, {"status": "Accepted"}),
    A.CLEAR_CHARGING_PROFILE: (
        {"id": 17, "connectorId": 1, "chargingProfilePurpose": "TxProfile", "stackLevel": 2},
        {"status": "Unknown"},
    ),
    A.DATA_TRANSFER: (
        {"vendorId": "com.example.charger", "messageId": "ping", "data": '{"seq": 1}'},
        {"status": "Accepted", "data": "pong"},
    ),
    A.DELETE_CERTIFICATE: ({"certificateHashData": CERTIFICATE_HASH}, {"status": "NotFound"}),
    A.EXTENDED_TRIGGER_MESSAGE: (
        {"requestedMessage": "SignChargePointCertificate"},
        {"status": "Accepted"},
    ),
    A.GET_COMPOSITE_SCHEDULE: (
        {"connectorId": 1, "duration": 900, "chargingRateUnit": "W"},
        {
            "status": "Accepted",
            "connectorId": 1,
            "scheduleStart": "2026-12-05T10:00:00Z",
            "chargingSchedule": {
                "duration": 900,
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}],
            },
        },
    ),
    A.GET_CONFIGURATION: (
        {"key": ["HeartbeatInterval", "NoSuchKey"]},
        {
            "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
            "unknownKey": ["NoSuchKey"],
        },
    ),
    A.GET_DIAGNOSTICS: (
        {
            "location": "ftp://logs.example.org/upload/",
            "retries": 2,
            "retryInterval": 30,
            "startTime": "2026-12-04T00:00:00Z",
            "stopTime": "2026-12-05T00:00:00Z",
        },
        {"fileName": "diagnostics-20261205.zip"},
    ),
    A.GET_INSTALLED_CERTIFICATE_IDS: (
        {"certificateType": "CentralSystemRootCertificate"},
        {"status": "Accepted", "certificateHashData": [CERTIFICATE_HASH]},
    ),
    A.GET_LOCAL_LIST_VERSION: ({}, {"listVersion": 12}),
    A.GET_LOG: (
        {
            "logType": "SecurityLog",
            "requestId": 88,
            "retries": 1,
            "log": {"remoteLocation": "https://logs.example.org/security", "oldestTimestamp": "2026-12-01T00:00:00Z"},
        },
        {"status": "Accepted", "filename": "security-88.log"},
    ),
    A.INSTALL_CERTIFICATE: (
        {"certificateType": "ManufacturerRootCertificate", "certificate": PEM},
        {"status": "Rejected"},
    ),
    A.REMOTE_START_TRANSACTION: (
        {"connectorId": 1, "idTag": "RFID-CAR-01", "chargingProfile": REMOTE_START_PROFILE},
        {"status": "Accepted"},
    ),
    A.REMOTE_STOP_TRANSACTION: ({"transactionId": 4711}, {"status": "Rejected"}),
    A.RESERVE_NOW: (
        {
            "connectorId": 0,
            "expiryDate": "2026-12-05T11:00:00Z",
            "idTag": "RFID-CAR-01",
            "parentIdTag": "FLEET-CS",
            "reservationId": 31,
        },
        {"status": "Occupied"},
    ),
    A.RESET: ({"type": "Hard"}, {"status": "Accepted"}),
    A.SEND_LOCAL_LIST: (
        {
            "listVersion": 13,
            "updateType": "Differential",
            "localAuthorizationList": [
                {"idTag": "RFID-CAR-01", "idTagInfo": {"status": "Accepted", "expiryDate": "2027-01-01T00:00:00Z"}},
                {"idTag": "RFID-GONE"},
            ],
        },
        {"status": "VersionMismatch"},
    ),
    A.SET_CHARGING_PROFILE: ({"connectorId": 1, "csChargingProfiles": TX_PROFILE}, {"status": "Rejected"}),
    A.SIGNED_UPDATE_FIRMWARE: (
        {
            "requestId": 5,
            "retries": 3,
            "firmware": {
                "location": "https://firmware.example.org/fw-2.1.bin",
                "retrieveDateTime": "2026-12-05T12:00:00Z",
                "signingCertificate": PEM,
                "signature": "c2lnbmF0dXJl",
            },
        },
        {"status": "InvalidCertificate"},
    ),
    A.TRIGGER_MESSAGE: ({"requestedMessage": "MeterValues", "connectorId": 2}, {"status": "NotImplemented"}),
    A.UNLOCK_CONNECTOR: ({"connectorId": 2}, {"status": "UnlockFailed"}),
    A.UPDATE_FIRMWARE: (
        {"location": "https://firmware.example.org/fw-2.0.bin", "retrieveDate": "2026-12-05T12:00:00Z", "retries": 2},
        {},
    ),
}
"""(request, answer) per action; the answers include refusals, since those come back just the same."""
