"""Passwords and client secrets hashed with Argon2id (RFC 9106), the memory-hard KDF OWASP recommends."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class SecretHasher:
    """Hash and verify secrets; the parameters travel inside each hash, so they can be raised later.

    Parameters
    ----------
    hasher
        The Argon2 hasher (argon2-cffi's RFC 9106 low-memory profile by default).
    """

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash = self._hasher.hash("no account has this secret")

    def hash(self, secret: str) -> str:
        """The PHC string of ``secret`` (salted: two hashes of one secret differ)."""
        return self._hasher.hash(secret)

    def verify(self, secret_hash: str, secret: str) -> bool:
        """Whether ``secret`` matches ``secret_hash``; a malformed hash never matches."""
        try:
            return self._hasher.verify(secret_hash, secret)
        except (VerificationError, InvalidHashError):
            return False

    def dummy_verify(self, secret: str) -> None:
        """Spend the time of one verification, so an unknown account answers as slowly as a known one."""
        self.verify(self._dummy_hash, secret)
