"""Who may connect as a charge point: OCPP 1.6 security profiles 1-3 (Security Whitepaper, edition 3).

The edge reports what a charger presented at its handshake (``PresentedCredentials``); this decides:

1. a verified client certificate must name the charger (common name = charge point id), else 403;
2. a charger whose minimum profile is 2 or 3 must come over TLS, else 403;
3. profile 3 needs a client certificate, else 403;
4. HTTP Basic credentials, when presented, must be the charger's id and its password, else 401;
   at minimum profile 1 or more they must be presented (or a certificate), else 401.

The profile a connection used is 3 with a certificate, 2 with Basic over TLS, 1 with Basic over
plain ws, 0 with neither.

OCPP 2.0.1 stations are admitted by the same rules (2.0.1 part 2, A00: the same three profiles).

Passwords are bytes: a 1.6 charger's AuthorizationKey configuration key holds their hexadecimal
form (16-20 bytes, at most 40 hexadecimal digits), a 2.0.1 station's SecurityCtrlr.BasicAuthPassword
the password itself (``basic_auth_password_v201``), and the charger sends the bytes themselves in
the Basic header. What is hashed (Argon2id) is the password's hexadecimal form, so that any bytes can
be kept; the password itself is never stored.
"""

from __future__ import annotations

import asyncio
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from fleet.auth.secrets_hashing import SecretHasher
from fleet.basic_auth_password_v201 import (
    new_basic_auth_password,
    password_accepted,
    password_set_by,
    password_status,
    set_password_payload,
)
from fleet.charger_protocols import OcppFamily
from fleet.persistence.charger_security_store import ChargerSecurityStore
from fleet.site_config import SiteConfig
from ocpp_server.events import PresentedCredentials
from ocpp_server.ports import Refusal
from ocpp_server.raw_calls import CentralSystemAction, RawCallAnswer, RawCallOutcome

AUTHORIZATION_KEY: Final = "AuthorizationKey"
"""The configuration key holding the charger's Basic-auth password (whitepaper, section 2.3)."""
GENERATED_PASSWORD_BYTES: Final = 20
"""Bytes in a generated password: the whitepaper's maximum (40 hexadecimal digits as a key)."""
_GENERATED_ALPHABET: Final = string.ascii_letters + string.digits
"""Generated passwords are random letters and digits (119 bits in 20 bytes): a charger that puts
them into its Basic header as text then sends the very same bytes."""
MIN_PASSWORD_CHARS: Final = 16
MAX_PASSWORD_CHARS: Final = 40
_PASSWORD_CHARACTERS: Final = frozenset(string.printable) - frozenset(string.whitespace)
_HEX_DIGITS: Final = frozenset(string.hexdigits)


class InvalidPasswordError(ValueError):
    """A password a charger cannot hold as its AuthorizationKey."""


@dataclass(frozen=True, slots=True)
class Admission:
    """The security check's verdict on one handshake: the profile used, or why it is refused."""

    profile: int | None
    """The security profile the connection used; None when refused."""
    refusal: Refusal | None = None
    detail: str = ""


def new_authorization_key() -> str:
    """A fresh AuthorizationKey: a random 20-byte password as 40 hexadecimal digits."""
    password = "".join(secrets.choice(_GENERATED_ALPHABET) for _ in range(GENERATED_PASSWORD_BYTES))
    return password.encode("ascii").hex().upper()


def password_of_key(value: str) -> bytes:
    """The Basic-auth password an AuthorizationKey value stands for.

    The whitepaper's form is hexadecimal (32-40 digits for 16-20 bytes); a value that is not (16-20
    characters, as some installers enter it) is the password as text, the reading the OCA's test
    tool takes too.
    """
    if 32 <= len(value) <= 40 and len(value) % 2 == 0 and set(value) <= _HEX_DIGITS:
        return bytes.fromhex(value)
    return value.encode("utf-8")


def check_password(password: str) -> str:
    """``password`` if a charger can hold it: 16-40 printable ASCII characters without spaces.

    Raises
    ------
    InvalidPasswordError
        Otherwise.
    """
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidPasswordError(f"must be {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters")
    if not set(password) <= _PASSWORD_CHARACTERS:
        raise InvalidPasswordError("must be printable ASCII without spaces")
    return password


class ChargerCalls(Protocol):
    """Sends an OCPP action to a connected charger (the central system)."""

    async def send_call(
        self, charge_point_id: str, action: CentralSystemAction, payload: dict[str, Any]
    ) -> RawCallAnswer: ...


def sets_authorization_key(action: CentralSystemAction, payload: dict[str, Any]) -> str | None:
    """The new AuthorizationKey a ChangeConfiguration call sets, None for any other call."""
    if action is not CentralSystemAction.CHANGE_CONFIGURATION or payload.get("key") != AUTHORIZATION_KEY:
        return None
    value = payload.get("value")
    return value if isinstance(value, str) else None


def accepted(answer: RawCallAnswer) -> bool:
    """Whether the charger answered with status Accepted."""
    return answer.outcome is RawCallOutcome.RESULT and (answer.payload or {}).get("status") == "Accepted"


def password_held_after(action: CentralSystemAction, payload: dict[str, Any], answer: RawCallAnswer) -> bytes | None:
    """The Basic-auth password a call made the charger hold: a 1.6 ChangeConfiguration of its
    AuthorizationKey or a 2.0.1 SetVariables of its BasicAuthPassword, answered Accepted; else None."""
    key = sets_authorization_key(action, payload)
    if key is not None and accepted(answer):
        return password_of_key(key)
    password = password_set_by(action, payload)
    if password is not None and password_accepted(answer):
        return password.encode("utf-8")
    return None


@dataclass(frozen=True, slots=True)
class PasswordRotation:
    """What became of a rotation: the call's answer, the charger's status, whether the hash was replaced."""

    answer: RawCallAnswer
    status: str
    """ChangeConfiguration's status (1.6), BasicAuthPassword's attributeStatus (2.0.1), or a CALLERROR's code."""
    stored: bool


def _configuration_status(answer: RawCallAnswer) -> str:
    if answer.outcome is RawCallOutcome.CALL_ERROR:
        return answer.error_code or ""
    return str((answer.payload or {}).get("status", ""))


def _refused(refusal: Refusal, detail: str) -> Admission:
    return Admission(None, refusal, detail)


class ChargerSecurity:
    """Checks chargers' handshakes and keeps their passwords and minimum security profiles.

    Parameters
    ----------
    site
        The site file: each charge point's default minimum profile.
    store
        Password hashes, profiles set through the API, profiles used.
    hasher
        Argon2id; verifications run in a worker thread, away from the event loop.
    now
        The wall clock (tz-aware UTC).
    """

    def __init__(
        self, site: SiteConfig, store: ChargerSecurityStore, hasher: SecretHasher, now: Callable[[], datetime]
    ) -> None:
        self._site = site
        self._store = store
        self._hasher = hasher
        self._now = now

    async def minimum_profile(self, charge_point_id: str) -> int:
        """The charger's minimum profile: set through the API, else the site file's (for a charger it
        does not list, ``ocpp.unlisted_security_profile``)."""
        stored = await self._store.credentials(charge_point_id)
        if stored is not None and stored.minimum_security_profile is not None:
            return stored.minimum_security_profile
        listed = self._site.charge_point(charge_point_id)
        return self._site.ocpp.unlisted_security_profile if listed is None else listed.security_profile

    async def admit(self, charge_point_id: str, presented: PresentedCredentials, at: datetime) -> Admission:
        """Judge a charger's handshake; an admitted one has its profile recorded."""
        admission = await self._judge(charge_point_id, presented)
        if admission.profile is not None:
            await self._store.record_security_profile(charge_point_id, admission.profile, at)
        return admission

    async def _judge(self, charge_point_id: str, presented: PresentedCredentials) -> Admission:
        certificate_cn = presented.client_certificate_cn
        if certificate_cn is not None and certificate_cn != charge_point_id:
            return _refused(Refusal.FORBIDDEN, f"client certificate of {certificate_cn!r}, not {charge_point_id!r}")
        minimum = await self.minimum_profile(charge_point_id)
        if minimum >= 2 and not presented.tls:
            return _refused(Refusal.FORBIDDEN, f"security profile {minimum} needs TLS (wss)")
        if minimum == 3 and certificate_cn is None:
            return _refused(Refusal.FORBIDDEN, "security profile 3 needs a client certificate")
        if certificate_cn is not None:
            return Admission(3)
        if presented.basic_username is None or presented.basic_password is None:
            if minimum >= 1:
                return _refused(Refusal.UNAUTHORIZED, f"security profile {minimum} needs HTTP Basic credentials")
            return Admission(0)
        if not await self._password_matches(charge_point_id, presented.basic_username, presented.basic_password):
            return _refused(Refusal.UNAUTHORIZED, "wrong user name or password")
        return Admission(2 if presented.tls else 1)

    async def _password_matches(self, charge_point_id: str, username: str, password: bytes) -> bool:
        stored = await self._store.credentials(charge_point_id)
        password_hash = None if stored is None else stored.password_hash
        if password_hash is None or username != charge_point_id:
            # As slow as a real check, so that timing tells nothing about which part was wrong.
            await asyncio.to_thread(self._hasher.dummy_verify, password.hex())
            return False
        return await asyncio.to_thread(self._hasher.verify, password_hash, password.hex())

    async def _store_password(self, charge_point_id: str, password: bytes) -> None:
        password_hash = await asyncio.to_thread(self._hasher.hash, password.hex())
        await self._store.set_password_hash(charge_point_id, password_hash, self._now())

    async def set_password(self, charge_point_id: str, password: str) -> None:
        """Store the hash of the charger's new Basic-auth password (its AuthorizationKey).

        Raises
        ------
        InvalidPasswordError
            If a charger could not hold it.
        """
        await self._store_password(charge_point_id, check_password(password).encode("ascii"))

    async def key_accepted(self, charge_point_id: str, key: str) -> None:
        """A charger accepted ``key`` as its AuthorizationKey: from now on its password is what it stands for.

        Unlike ``set_password``, any key is taken: the charger holds it already.
        """
        await self.password_held(charge_point_id, password_of_key(key))

    async def password_held(self, charge_point_id: str, password: bytes) -> None:
        """The charger accepted ``password`` (``password_held_after``): from now on it is its password."""
        await self._store_password(charge_point_id, password)

    async def rotate_password(self, charge_point_id: str, calls: ChargerCalls, family: OcppFamily) -> PasswordRotation:
        """Send the charger a fresh password; store its hash only if the charger accepts it.

        1.6: a 20-byte AuthorizationKey with ChangeConfiguration; 2.0.1: a 40-character
        BasicAuthPassword with SetVariables (A02). The password itself is never returned nor logged:
        the charger holds it, the store its hash.
        """
        if family is OcppFamily.V201:
            action = CentralSystemAction.SET_VARIABLES
            payload = set_password_payload(new_basic_auth_password())
        else:
            action = CentralSystemAction.CHANGE_CONFIGURATION
            payload = {"key": AUTHORIZATION_KEY, "value": new_authorization_key()}
        answer = await calls.send_call(charge_point_id, action, payload)
        held = password_held_after(action, payload, answer)
        if held is not None:
            await self.password_held(charge_point_id, held)
        status = password_status(answer) if family is OcppFamily.V201 else _configuration_status(answer)
        return PasswordRotation(answer, status, held is not None)

    async def set_minimum_profile(self, charge_point_id: str, profile: int | None) -> None:
        """Set the lowest profile the charger may connect with; None returns to the site file's."""
        await self._store.set_minimum_security_profile(charge_point_id, profile)
