"""Bearer tokens as signed JWTs (RFC 7519, HS256 via PyJWT): who, which role, until when, and an id to revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import jwt

from fleet.auth.errors import InvalidTokenError

ISSUER: Final = "vettabbia"
ALGORITHM: Final = "HS256"
MIN_KEY_BYTES: Final = 32
"""RFC 7518 asks for an HS256 key at least as long as the hash (256 bits)."""
REQUIRED_CLAIMS: Final = ("iss", "sub", "jti", "iat", "exp", "role", "kind")


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str
    token_id: str
    role: str
    kind: str
    fleet: str | None
    issued_at: datetime
    expires_at: datetime


class TokenCodec:
    """Sign and check tokens with one secret key.

    Parameters
    ----------
    key
        The HMAC key, at least 32 bytes; every process serving the same site needs the same key.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"token signing key: at least {MIN_KEY_BYTES} bytes, got {len(key)}")
        self._key = key

    def encode(self, claims: TokenClaims) -> str:
        return jwt.encode(
            {
                "iss": ISSUER,
                "sub": claims.subject,
                "jti": claims.token_id,
                "role": claims.role,
                "kind": claims.kind,
                "fleet": claims.fleet,
                "iat": int(claims.issued_at.timestamp()),
                "exp": int(claims.expires_at.timestamp()),
            },
            self._key,
            algorithm=ALGORITHM,
        )

    def decode(self, token: str, now: datetime) -> TokenClaims:
        """The claims of a token signed with this key and not expired at ``now``.

        Raises
        ------
        InvalidTokenError
            If the token is malformed, signed with another key or algorithm, lacks a claim, or expired.
        """
        try:
            # Expiry is checked against the application's clock below, not the library's.
            payload = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": list(REQUIRED_CLAIMS), "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(f"invalid token: {error}") from None
        try:
            claims = TokenClaims(
                subject=str(payload["sub"]),
                token_id=str(payload["jti"]),
                role=str(payload["role"]),
                kind=str(payload["kind"]),
                fleet=None if payload.get("fleet") is None else str(payload["fleet"]),
                issued_at=datetime.fromtimestamp(int(payload["iat"]), UTC),
                expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
            )
        except (TypeError, ValueError, OverflowError) as error:
            raise InvalidTokenError(f"invalid token: {error}") from None
        if claims.expires_at <= now:
            raise InvalidTokenError("token expired")
        return claims
