"""A central system with the application's security checks on a real store, plain ws and wss listeners,
and a library-made charger that presents Basic credentials and client certificates."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from websockets.exceptions import InvalidMessage, InvalidStatus

from fleet.certificate_signing import SiteCertificateSigner
from fleet.charger_security import ChargerSecurity
from fleet.ingest import ChargerIngest
from fleet.persistence.store import Store
from fleet.site_config import SiteConfig, load_site
from fleet.triggers import PlanTriggers
from ocpp_server.central_system import CentralSystem
from ocpp_server.certificate_authority import CertificateAuthority
from ocpp_server.tls import TlsSettings, server_ssl_context
from tests.fleet.conftest import fast_hasher
from tests.ocpp_server.support import serving_charger

CHARGER = "MI-AC-01"
"""A charge point of the bundled Milan site."""
OTHER_CHARGER = "MI-AC-02"
HANDSHAKE_OK = 101


def wall_clock() -> datetime:
    return datetime.now(UTC)


def basic_header(username: str, password: bytes) -> dict[str, str]:
    token = base64.b64encode(username.encode() + b":" + password).decode("ascii")
    return {"Authorization": f"Basic {token}"}


class SecureTestCharger(ChargePoint):  # type: ignore[misc]  # the ocpp package ships no types
    """Answers ChangeConfiguration as ``configuration_answer`` says and keeps the certificates it is sent."""

    __test__ = False

    def __init__(self, charge_point_id: str, connection: Any) -> None:
        super().__init__(charge_point_id, connection, response_timeout=5)
        self.configuration_answer = "Accepted"
        self.configuration: dict[str, str] = {}
        self.certificate_chains: asyncio.Queue[str] = asyncio.Queue()

    @on("ChangeConfiguration")  # type: ignore[untyped-decorator]
    async def on_change_configuration(self, key: str, value: str) -> call_result.ChangeConfiguration:
        if self.configuration_answer == "Accepted":
            self.configuration[key] = value
        return call_result.ChangeConfiguration(status=self.configuration_answer)

    @on("CertificateSigned")  # type: ignore[untyped-decorator]
    async def on_certificate_signed(self, certificate_chain: str) -> call_result.CertificateSigned:
        self.certificate_chains.put_nowait(certificate_chain)
        return call_result.CertificateSigned(status="Accepted")


@dataclass
class SecureSite:
    site: SiteConfig
    store: Store
    security: ChargerSecurity
    central: CentralSystem
    ws_url: str
    wss_url: str


@asynccontextmanager
async def secure_site(database_url: str, tls: TlsSettings, site: SiteConfig | None = None) -> AsyncIterator[SecureSite]:
    """``site``'s (default: Milan's) central system on loopback, its store on the empty database at
    ``database_url``: ws, and wss with ``tls`` (its port is ignored)."""
    site = load_site() if site is None else site
    store = Store.from_url(database_url)
    await store.migrate()
    security = ChargerSecurity(site, store.charger_security, fast_hasher(), wall_clock)
    authority = None
    if tls.ca_cert_path is not None and tls.ca_key_path is not None:
        authority = CertificateAuthority.from_files(tls.ca_cert_path, tls.ca_key_path)
    central = CentralSystem(
        ChargerIngest(site, store, PlanTriggers(), security=security),
        wall_clock,
        call_timeout_s=5,
        certificates=SiteCertificateSigner(site, authority, store.charger_security, wall_clock),
    )
    plain_ready, tls_ready = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(central.serve("127.0.0.1", 0, ready=plain_ready)),
        asyncio.create_task(central.serve("127.0.0.1", 0, ready=tls_ready, tls=server_ssl_context(tls))),
    ]
    try:
        await asyncio.wait_for(asyncio.gather(plain_ready.wait(), tls_ready.wait()), timeout=5)
        yield SecureSite(
            site,
            store,
            security,
            central,
            f"ws://127.0.0.1:{central.listening_port()}",
            f"wss://127.0.0.1:{central.listening_port(tls=True)}",
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await store.close()


@asynccontextmanager
async def secure_charger(
    url: str,
    charge_point_id: str,
    *,
    password: bytes | None = None,
    username: str | None = None,
    tls: ssl.SSLContext | None = None,
    subprotocol: str = "ocpp1.6",
) -> AsyncIterator[SecureTestCharger]:
    """A connected SecureTestCharger presenting Basic credentials (if ``password``) and ``tls``; the
    handshake offers ``subprotocol`` (the profiles are the same for every OCPP version)."""
    headers = None if password is None else basic_header(username or charge_point_id, password)
    async with serving_charger(
        url,
        charge_point_id,
        SecureTestCharger,
        subprotocol=subprotocol,
        additional_headers=headers,
        ssl=tls,
        open_timeout=5,
    ) as charge_point:
        yield charge_point


async def handshake_status(
    url: str,
    charge_point_id: str,
    *,
    password: bytes | None = None,
    username: str | None = None,
    tls: ssl.SSLContext | None = None,
    subprotocol: str = "ocpp1.6",
) -> int:
    """101 when the websocket opens, else the HTTP status the central system refused it with."""
    try:
        async with secure_charger(
            url, charge_point_id, password=password, username=username, tls=tls, subprotocol=subprotocol
        ):
            return HANDSHAKE_OK
    except InvalidStatus as refusal:
        return refusal.response.status_code


async def tls_refused(url: str, charge_point_id: str, *, tls: ssl.SSLContext, password: bytes | None = None) -> bool:
    """Whether the TLS handshake ends the connection before any HTTP answer.

    Under TLS 1.3 the client certificate is checked after the client's side of the handshake is
    done, so a refused certificate shows as the connection closing before the HTTP answer; under
    TLS 1.2, and for a refused protocol version, as an alert or a reset during the handshake.
    """
    try:
        await handshake_status(url, charge_point_id, password=password, tls=tls)
    except (ssl.SSLError, ConnectionResetError, InvalidMessage):
        return True
    return False


async def refusal_headers(url: str, charge_point_id: str, *, password: bytes | None = None) -> dict[str, str]:
    """The headers of the central system's refusal of a handshake (which must be refused)."""
    try:
        async with secure_charger(url, charge_point_id, password=password):
            pass
    except InvalidStatus as refusal:
        return {name.lower(): value for name, value in refusal.response.headers.raw_items()}
    raise AssertionError(f"{charge_point_id} was admitted")
