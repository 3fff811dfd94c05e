"""SignCertificate -> CertificateSigned, with the site's CA, over real websockets and real TLS on loopback.

TC_074_CSMS (Update Charge Point Certificate by request of Central System), from the charger's
SignCertificate on: the chain arrives with CertificateSigned and the charger then connects with it
(security profile 3).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from ocpp.v16 import call

from ocpp_server.certificate_authority import serial_hex
from tests.fleet.charger_security_support import (
    CHARGER,
    HANDSHAKE_OK,
    OTHER_CHARGER,
    SecureSite,
    handshake_status,
    secure_charger,
    secure_site,
)
from tests.ocpp_server.security_pki import Pki, csr_pem, make_pki

PASSWORD = b"sixteen-or-more!"


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


@pytest.fixture
async def site(database_url: str, pki: Pki) -> AsyncIterator[SecureSite]:
    async with secure_site(database_url, pki.tls_settings()) as running:
        await running.security.set_password(CHARGER, PASSWORD.decode())
        yield running


async def _sign(site: SecureSite, pki: Pki, csr: str) -> tuple[str, str | None]:
    """The SignCertificate status, and the chain CertificateSigned brought (None if none came)."""
    async with secure_charger(site.wss_url, CHARGER, password=PASSWORD, tls=pki.client_context()) as charger:
        answer = await charger.call(call.SignCertificate(csr=csr))
        try:
            chain = await asyncio.wait_for(
                charger.certificate_chains.get(), timeout=1 if answer.status != "Accepted" else 5
            )
        except TimeoutError:
            chain = None
    return str(answer.status), chain


async def test_tc_074_csms_signed_certificate_is_usable_for_profile_3(site: SecureSite, pki: Pki) -> None:
    csr, key = csr_pem(CHARGER)

    status, chain = await _sign(site, pki, csr)

    assert status == "Accepted"
    assert chain is not None
    certificates = x509.load_pem_x509_certificates(chain.encode())
    assert certificates[-1] == pki.ca_certificate
    issued = certificates[0]
    assert issued.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == CHARGER
    records = await site.store.charger_security.certificates(CHARGER)
    assert [r.serial for r in records] == [serial_hex(issued.serial_number)]
    assert records[0].not_after == issued.not_valid_after_utc

    cert_path, key_path = pki.folder / "issued.crt", pki.folder / "issued.key"
    cert_path.write_text(chain)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    await site.security.set_minimum_profile(CHARGER, 3)
    assert await handshake_status(site.wss_url, CHARGER, tls=pki.client_context((cert_path, key_path))) == HANDSHAKE_OK
    stored = await site.store.charger_security.credentials(CHARGER)
    assert stored is not None
    assert stored.last_security_profile == 3


async def test_a_csr_for_another_charge_point_is_rejected(site: SecureSite, pki: Pki) -> None:
    status, chain = await _sign(site, pki, csr_pem(OTHER_CHARGER)[0])

    assert (status, chain) == ("Rejected", None)
    assert await site.store.charger_security.certificates(CHARGER) == []


async def test_a_csr_that_does_not_parse_is_rejected(site: SecureSite, pki: Pki) -> None:
    status, chain = await _sign(
        site, pki, "-----BEGIN CERTIFICATE REQUEST-----\nbm9wZQ==\n-----END CERTIFICATE REQUEST-----\n"
    )

    assert (status, chain) == ("Rejected", None)


async def test_without_a_ca_key_every_csr_is_rejected(database_url: str, pki: Pki) -> None:
    async with secure_site(database_url, pki.tls_settings(with_ca_key=False)) as running:
        await running.security.set_password(CHARGER, PASSWORD.decode())

        status, chain = await _sign(running, pki, csr_pem(CHARGER)[0])

    assert (status, chain) == ("Rejected", None)
