"""Block A (security) of a 2.0.1 station, over real websockets: its certificate signed by the site's CA."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cryptography import x509
from ocpp.v201 import call

from ocpp_server.central_system import CentralSystem
from ocpp_server.certificate_authority import CertificateAuthority
from ocpp_server.ports import CsrReview
from ocpp_server.raw_calls import CentralSystemAction, RawCallOutcome
from tests.ocpp_server.security_pki import csr_pem, make_pki
from tests.ocpp_server.support import RecordingSink, fixed_now, running
from tests.ocpp_server.v201.station import station
from tests.ocpp_server.v201.test_b_provisioning import ACCEPTED, BOOT, PENDING


class SiteSigner:
    """Signs a station's own CSR (its common name is its id) with the site's CA."""

    def __init__(self, authority: CertificateAuthority) -> None:
        self._authority = authority

    async def review_csr(self, charge_point_id: str, csr_pem: str) -> CsrReview:
        return CsrReview(True)

    async def sign_csr(self, charge_point_id: str, csr_pem: str) -> str:
        return self._authority.sign(csr_pem, fixed_now()).pem_chain


async def test_tc_a_sign_certificate_is_accepted_and_the_chain_follows_with_certificate_signed(
    tmp_path: Path,
) -> None:
    pki = make_pki(tmp_path)
    signer = SiteSigner(CertificateAuthority.from_files(pki.ca_cert_path, pki.ca_key_path))
    central = CentralSystem(RecordingSink(boot=ACCEPTED), fixed_now, certificates=signer)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        answer = await cs.call(
            call.SignCertificate(csr=csr_pem("CS1")[0], certificate_type="ChargingStationCertificate")
        )
        chain = await asyncio.wait_for(cs.certificate_chains.get(), timeout=5)

    assert answer.status == "Accepted"
    certificates = x509.load_pem_x509_certificates(chain.encode())
    assert certificates[-1] == pki.ca_certificate
    assert certificates[0].subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "CS1"


async def test_tc_a_sign_certificate_without_a_ca_is_rejected() -> None:
    central = CentralSystem(RecordingSink(boot=ACCEPTED), fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        answer = await cs.call(call.SignCertificate(csr="-----BEGIN CERTIFICATE REQUEST-----"))

    assert answer.status == "Rejected"


async def test_tc_b_a_pending_station_can_still_be_asked_to_boot_again() -> None:
    central = CentralSystem(RecordingSink(boot=PENDING), fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        answer = await central.send_call(
            "CS1", CentralSystemAction.TRIGGER_MESSAGE, {"requestedMessage": "BootNotification"}
        )
        triggered = await asyncio.wait_for(cs.triggered.get(), timeout=5)

    assert answer.outcome is RawCallOutcome.RESULT
    assert answer.payload == {"status": "Accepted"}
    assert triggered == "BootNotification"
