"""Who may call the API: accounts with roles, Argon2-hashed secrets, signed bearer tokens."""

from fleet.auth.errors import (
    AccountExistsError,
    AuthError,
    InvalidAccountError,
    InvalidCredentialsError,
    InvalidTokenError,
)
from fleet.auth.principal import Principal, Role
from fleet.auth.service import AuthService, IssuedToken

__all__ = [
    "AccountExistsError",
    "AuthError",
    "AuthService",
    "InvalidAccountError",
    "InvalidCredentialsError",
    "InvalidTokenError",
    "IssuedToken",
    "Principal",
    "Role",
]
