"""What a charger presents at its handshake (OCPP 1.6 security profiles 1-3), read off the request.

The edge neither stores nor checks credentials: it reads the HTTP Basic header and the client
certificate the TLS handshake verified, and hands them to the application (``ChargerConnected``).
"""

from __future__ import annotations

import binascii
import ssl
from base64 import b64decode
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request

from ocpp_server.events import PresentedCredentials


def basic_credentials(authorization: str | None) -> tuple[str, bytes] | None:
    """(user name, password) of an ``Authorization: Basic`` header value (RFC 7617), None otherwise.

    The password is the bytes after the first colon, as sent: the whitepaper's passwords are binary
    (20 random bytes at best), so they are not read as text. A user name holds no colon.
    """
    if authorization is None:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        return None
    username, colon, password = decoded.partition(b":")
    if not colon:
        return None
    try:
        return username.decode("utf-8"), password
    except UnicodeDecodeError:
        return None


def presented_credentials(connection: ServerConnection, request: Request) -> PresentedCredentials:
    """The Basic credentials and verified client certificate of ``connection``'s handshake."""
    basic = basic_credentials(request.headers.get("Authorization"))
    ssl_object = connection.transport.get_extra_info("ssl_object")
    common_name = serial = None
    if isinstance(ssl_object, ssl.SSLObject):
        # getpeercert() holds a certificate only once it verified against the CA.
        certificate = ssl_object.getpeercert()
        if certificate:
            common_name = _common_name(certificate)
            serial = str(certificate.get("serialNumber")) if certificate.get("serialNumber") else None
    return PresentedCredentials(
        basic_username=None if basic is None else basic[0],
        basic_password=None if basic is None else basic[1],
        tls=ssl_object is not None,
        client_certificate_cn=common_name,
        client_certificate_serial=serial,
    )


def _common_name(certificate: dict[str, Any]) -> str | None:
    for relative_name in certificate.get("subject", ()):
        for key, value in relative_name:
            if key == "commonName":
                return str(value)
    return None
