"""The edge's part of the security profiles: it reports what the charger presented and answers the
application's refusal with the right HTTP status; it judges nothing itself."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from ocpp.v16 import call
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from ocpp_server.central_system import CentralSystem
from ocpp_server.certificate_authority import serial_hex
from ocpp_server.events import ChargerConnected, PresentedCredentials
from ocpp_server.ports import ConnectionDecision, Refusal
from ocpp_server.security import basic_credentials
from ocpp_server.tls import server_ssl_context
from tests.ocpp_server.security_pki import Pki, csr_pem, make_pki
from tests.ocpp_server.support import RecordingSink, TestChargePoint, fixed_now

CHARGER = "CP-1"


@dataclass
class RefusingSink(RecordingSink):
    refusal: Refusal | None = None

    async def charger_connected(self, event: ChargerConnected) -> ConnectionDecision:
        decision = await super().charger_connected(event)
        if self.refusal is None:
            return decision
        return ConnectionDecision(accept=False, refusal=self.refusal, detail="told so")


@dataclass
class Edge:
    sink: RefusingSink
    central: CentralSystem
    ws_url: str
    wss_url: str


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


@pytest.fixture
async def edge(pki: Pki) -> AsyncIterator[Edge]:
    sink = RefusingSink()
    central = CentralSystem(sink, fixed_now)
    plain, secure = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(central.serve("127.0.0.1", 0, ready=plain)),
        asyncio.create_task(central.serve("127.0.0.1", 0, ready=secure, tls=server_ssl_context(pki.tls_settings()))),
    ]
    try:
        await asyncio.wait_for(asyncio.gather(plain.wait(), secure.wait()), timeout=5)
        yield Edge(
            sink,
            central,
            f"ws://127.0.0.1:{central.listening_port()}",
            f"wss://127.0.0.1:{central.listening_port(tls=True)}",
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _basic(user: str, password: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(user.encode() + b":" + password).decode()}


async def _open(url: str, *, headers: dict[str, str] | None = None, tls: ssl.SSLContext | None = None) -> None:
    async with connect(f"{url}/{CHARGER}", subprotocols=[Subprotocol("ocpp1.6")], additional_headers=headers, ssl=tls):
        pass


def _presented(edge: Edge) -> PresentedCredentials:
    return edge.sink.of_type(ChargerConnected)[-1].credentials


async def test_plain_ws_without_credentials_presents_nothing(edge: Edge) -> None:
    await _open(edge.ws_url)

    assert _presented(edge) == PresentedCredentials()


async def test_basic_credentials_reach_the_application_as_sent(edge: Edge) -> None:
    await _open(edge.ws_url, headers=_basic(CHARGER, b"\x00binary:key\xff"))

    assert _presented(edge) == PresentedCredentials(basic_username=CHARGER, basic_password=b"\x00binary:key\xff")


async def test_a_client_certificate_is_reported_once_verified(edge: Edge, pki: Pki) -> None:
    certificate = pki.client_certificate(CHARGER)

    await _open(edge.wss_url, tls=pki.client_context(certificate))

    presented = _presented(edge)
    issued = x509.load_pem_x509_certificate(certificate[0].read_bytes())
    assert presented.tls
    assert presented.client_certificate_cn == CHARGER
    assert presented.client_certificate_serial == serial_hex(issued.serial_number)
    assert presented.basic_username is None


async def test_tls_without_a_client_certificate_is_reported_as_tls_only(edge: Edge, pki: Pki) -> None:
    await _open(edge.wss_url, headers=_basic(CHARGER, b"password"), tls=pki.client_context())

    assert _presented(edge) == PresentedCredentials(basic_username=CHARGER, basic_password=b"password", tls=True)


@pytest.mark.parametrize(
    ("refusal", "status"), [(Refusal.UNAUTHORIZED, 401), (Refusal.FORBIDDEN, 403), (Refusal.UNKNOWN_ID, 404)]
)
async def test_each_refusal_has_its_http_status(edge: Edge, refusal: Refusal, status: int) -> None:
    edge.sink.refusal = refusal

    with pytest.raises(InvalidStatus) as refused:
        await _open(edge.ws_url)

    assert refused.value.response.status_code == status
    assert ("WWW-Authenticate" in refused.value.response.headers) == (status == 401)
    assert CHARGER not in edge.central.connected_ids()


async def test_sign_certificate_without_a_signer_is_rejected(edge: Edge) -> None:
    async with connect(f"{edge.ws_url}/{CHARGER}", subprotocols=[Subprotocol("ocpp1.6")]) as ws:
        charger = TestChargePoint(CHARGER, ws)
        task = asyncio.create_task(charger.start())
        try:
            answer = await charger.call(call.SignCertificate(csr=csr_pem(CHARGER)[0]))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    assert answer.status == "Rejected"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("Bearer abc", None),
        ("Basic not-base64!", None),
        ("Basic " + base64.b64encode(b"no-colon").decode(), None),
        ("Basic " + base64.b64encode(b"CP-1:pass:word").decode(), ("CP-1", b"pass:word")),
        ("basic " + base64.b64encode(b"CP-1:").decode(), ("CP-1", b"")),
    ],
)
def test_basic_header_parsing(header: str | None, expected: tuple[str, bytes] | None) -> None:
    assert basic_credentials(header) == expected
