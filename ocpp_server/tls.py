"""The central system's TLS listener (OCPP 1.6 security profiles 2 and 3): settings and SSL context.

Profile 2 is TLS with the server's certificate and HTTP Basic auth; profile 3 adds a client
certificate, which the TLS handshake verifies against the site's CA. Client certificates are
optional at the TLS level (a profile 2 charger has none), but one that is presented must verify: an
unknown or self-signed certificate ends the handshake. Whether a charger needed one is the
application's decision, made on what the handshake saw (``events.PresentedCredentials``).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """Where the wss listener listens and which files it uses; all PEM."""

    port: int
    """TCP port of the wss listener, next to the plain ws one."""
    cert_path: Path
    """The central system's certificate (with its intermediates, if any)."""
    key_path: Path
    """Its private key, unencrypted."""
    ca_cert_path: Path | None = None
    """The CA chargers' client certificates must chain to; None accepts no client certificate
    (profile 2 only)."""
    ca_key_path: Path | None = None
    """The CA's private key: with it, chargers' SignCertificate requests are signed by this CA."""


def server_ssl_context(settings: TlsSettings) -> ssl.SSLContext:
    """A server context: TLS 1.2 or newer (the whitepaper's minimum), optional verified client certificates.

    Raises
    ------
    OSError, ssl.SSLError
        If a file cannot be read or does not hold what it should.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.cert_path, settings.key_path)
    if settings.ca_cert_path is not None:
        context.load_verify_locations(cafile=settings.ca_cert_path)
        context.verify_mode = ssl.CERT_OPTIONAL
    return context
