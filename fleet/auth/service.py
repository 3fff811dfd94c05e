"""Accounts, the two OAuth2 grants, and the check of every bearer token against the store."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from fleet.auth.errors import AccountExistsError, InvalidAccountError, InvalidCredentialsError, InvalidTokenError
from fleet.auth.principal import Principal, Role
from fleet.auth.secrets_hashing import SecretHasher
from fleet.auth.tokens import TokenClaims, TokenCodec
from fleet.persistence.access_records import AccessTokenRecord, AccountKind, AccountRecord
from fleet.persistence.access_store import AccessStore

DEFAULT_TOKEN_LIFETIME: Final = timedelta(hours=1)
MIN_SECRET_CHARS: Final = 12
NAME_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in_s: int
    principal: Principal


class AuthService:
    """Create accounts, issue tokens for a password or a client secret, and check tokens.

    Parameters
    ----------
    store
        Where accounts and issued tokens live.
    codec
        Signs and checks the tokens.
    now
        The wall clock (tz-aware UTC); token lifetimes are real time even when the site's clock is
        simulated.
    token_lifetime
        How long a token is valid after it is issued.
    """

    def __init__(
        self,
        store: AccessStore,
        codec: TokenCodec,
        now: Callable[[], datetime],
        *,
        token_lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
        hasher: SecretHasher | None = None,
    ) -> None:
        self._store = store
        self._codec = codec
        self._now = now
        self._lifetime = token_lifetime
        self._hasher = hasher or SecretHasher()

    async def create_account(
        self, name: str, kind: AccountKind, role: Role, fleet: str | None, secret: str
    ) -> AccountRecord:
        """Store a new account with its secret hashed.

        Raises
        ------
        InvalidAccountError
            If the name, secret or fleet does not fit the role.
        AccountExistsError
            If the name is taken.
        """
        if not NAME_PATTERN.match(name):
            raise InvalidAccountError("name", "1-64 letters, digits or . _ @ -, starting with a letter or digit")
        if len(secret) < MIN_SECRET_CHARS:
            raise InvalidAccountError("secret", f"at least {MIN_SECRET_CHARS} characters")
        if (role is Role.FLEET_MANAGER) != (fleet is not None):
            raise InvalidAccountError("fleet", "a fleet manager needs exactly one fleet; other roles have none")
        account = AccountRecord(name, kind, str(role), fleet, self._hasher.hash(secret), self._now())
        if not await self._store.add_account(account):
            raise AccountExistsError(name)
        return account

    async def password_grant(self, username: str, password: str) -> IssuedToken:
        """OAuth2 resource-owner password grant: a token for a user account."""
        return await self._grant(username, password, AccountKind.USER)

    async def client_grant(self, client_id: str, client_secret: str) -> IssuedToken:
        """OAuth2 client-credentials grant: a token for a machine account."""
        return await self._grant(client_id, client_secret, AccountKind.CLIENT)

    async def _grant(self, name: str, secret: str, kind: AccountKind) -> IssuedToken:
        account = await self._store.get_account(name)
        if account is None:
            self._hasher.dummy_verify(secret)
            raise InvalidCredentialsError("invalid credentials")
        if not self._hasher.verify(account.secret_hash, secret) or account.kind is not kind:
            raise InvalidCredentialsError("invalid credentials")
        issued_at = self._now()
        claims = TokenClaims(
            subject=account.name,
            token_id=secrets.token_urlsafe(18),
            role=account.role,
            kind=str(account.kind),
            fleet=account.fleet,
            issued_at=issued_at,
            expires_at=issued_at + self._lifetime,
        )
        await self._store.add_token(
            AccessTokenRecord(claims.token_id, account.name, claims.issued_at, claims.expires_at, None)
        )
        return IssuedToken(
            access_token=self._codec.encode(claims),
            expires_in_s=int(self._lifetime.total_seconds()),
            principal=_principal(account, claims.token_id),
        )

    async def authenticate(self, token: str) -> Principal:
        """The caller behind a bearer token.

        The signature proves the token is ours; the store proves it was issued, is not revoked, and
        that its account still exists (the role is read from the account, not trusted from the token).

        Raises
        ------
        InvalidTokenError
            If the token is forged, expired, revoked, unknown, or its account is gone.
        """
        now = self._now()
        claims = self._codec.decode(token, now)
        record = await self._store.get_token(claims.token_id)
        if record is None or record.account_name != claims.subject:
            raise InvalidTokenError("token not issued here")
        if record.revoked_at is not None:
            raise InvalidTokenError("token revoked")
        if record.expires_at <= now:
            raise InvalidTokenError("token expired")
        account = await self._store.get_account(claims.subject)
        if account is None:
            raise InvalidTokenError("account deleted")
        return _principal(account, claims.token_id)

    async def revoke(self, token: str, by: Principal) -> bool:
        """Revoke ``token`` (RFC 7009): one's own tokens, or any token for an admin.

        Returns
        -------
        bool
            ``True`` if a token was revoked; ``False`` for a token that is unknown, not the caller's,
            or not ours at all (RFC 7009 answers all of them alike, so tokens cannot be probed).
        """
        try:
            claims = self._codec.decode(token, self._now())
        except InvalidTokenError:
            return False
        if claims.subject != by.name and by.role is not Role.ADMIN:
            return False
        return await self._store.revoke_token(claims.token_id, self._now())


def _principal(account: AccountRecord, token_id: str) -> Principal:
    return Principal(account.name, account.kind, Role(account.role), account.fleet, token_id)
