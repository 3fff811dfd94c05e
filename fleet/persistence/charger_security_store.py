"""The chargers' credentials part of the store: password hashes, security profiles, issued certificates.

It shares the ``Store``'s engine, sessions and write queue (``Store.charger_security``); every write
is committed before its method returns. It keeps hashes only: passwords never reach it.
"""

from __future__ import annotations

from datetime import datetime

from fleet.persistence import charger_security_queries
from fleet.persistence.access_store import SessionScope
from fleet.persistence.charger_security_queries import ChargerCredentialsRecord, IssuedCertificateRecord
from fleet.persistence.checks import require_text, require_utc
from fleet.persistence.errors import InvalidValueError

SECURITY_PROFILES = range(4)
"""OCPP 1.6 security profiles: 0 (none, for loopback and the demo), 1, 2 and 3."""


def _require_profile(name: str, profile: int) -> int:
    if profile not in SECURITY_PROFILES:
        raise InvalidValueError(name, f"must be 0, 1, 2 or 3, got {profile!r}")
    return profile


class ChargerSecurityStore:
    def __init__(self, writing: SessionScope, reading: SessionScope) -> None:
        self._writing = writing
        self._reading = reading

    async def credentials(self, charge_point_id: str) -> ChargerCredentialsRecord | None:
        async with self._reading() as session:
            return await charger_security_queries.credentials(session, charge_point_id)

    async def set_password_hash(self, charge_point_id: str, password_hash: str, at: datetime) -> None:
        """Replace the charger's Basic-auth password hash (an Argon2id PHC string)."""
        charge_point_id = require_text("charge_point_id", charge_point_id)
        if not password_hash.startswith("$argon2"):
            raise InvalidValueError("password_hash", "must be an Argon2 PHC string, never the password")
        changes = {"password_hash": password_hash, "password_set_at": require_utc("at", at)}
        async with self._writing() as session:
            await charger_security_queries.update_credentials(session, charge_point_id, changes)

    async def set_minimum_security_profile(self, charge_point_id: str, profile: int | None) -> None:
        """Set the lowest profile the charger may connect with; None returns to the site file's."""
        charge_point_id = require_text("charge_point_id", charge_point_id)
        if profile is not None:
            _require_profile("minimum_security_profile", profile)
        async with self._writing() as session:
            await charger_security_queries.update_credentials(
                session, charge_point_id, {"minimum_security_profile": profile}
            )

    async def record_security_profile(self, charge_point_id: str, profile: int, at: datetime) -> None:
        """Record the profile an admitted connection used."""
        charge_point_id = require_text("charge_point_id", charge_point_id)
        changes = {
            "last_security_profile": _require_profile("profile", profile),
            "last_connected_at": require_utc("at", at),
        }
        async with self._writing() as session:
            await charger_security_queries.update_credentials(session, charge_point_id, changes)

    async def add_certificate(self, certificate: IssuedCertificateRecord) -> None:
        require_text("serial", certificate.serial)
        require_text("charge_point_id", certificate.charge_point_id)
        for name, at in (
            ("not_before", certificate.not_before),
            ("not_after", certificate.not_after),
            ("issued_at", certificate.issued_at),
        ):
            require_utc(name, at)
        async with self._writing() as session:
            await charger_security_queries.add_certificate(session, certificate)

    async def certificates(self, charge_point_id: str) -> list[IssuedCertificateRecord]:
        """The certificates issued to the charger, newest first."""
        async with self._reading() as session:
            return await charger_security_queries.certificates(session, charge_point_id)
