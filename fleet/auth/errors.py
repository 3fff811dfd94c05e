"""Errors of the access-control package; the API maps each to one HTTP status."""

from __future__ import annotations


class AuthError(Exception):
    """Base class of every error raised by ``fleet.auth``."""


class InvalidCredentialsError(AuthError):
    """Unknown account, wrong secret, or a flow the account may not use (the message never says which)."""


class InvalidTokenError(AuthError):
    """A bearer token that is malformed, forged, expired, revoked, or of a deleted account."""


class AccountExistsError(AuthError):
    """An account of that name exists already."""

    def __init__(self, name: str) -> None:
        super().__init__(f"an account named {name!r} exists already")
        self.name = name


class InvalidAccountError(AuthError, ValueError):
    """An account that cannot be created as given (e.g. a fleet manager without a fleet)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
