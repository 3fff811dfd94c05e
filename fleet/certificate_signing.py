"""Chargers' certificate signing requests (SignCertificate), signed by the site's CA and recorded.

Implements ``ocpp_server.ports.CertificateSigner``. A CSR is accepted when it parses, its signature
verifies, its common name is the charge point id of a charger the site lists, and a CA is
configured; the certificate issued is recorded (serial, common name, validity) before the chain
goes to the charger.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from fleet.persistence.charger_security_queries import IssuedCertificateRecord
from fleet.persistence.charger_security_store import ChargerSecurityStore
from fleet.site_config import SiteConfig
from ocpp_server.certificate_authority import CertificateAuthority, CertificateRequestError, csr_common_name
from ocpp_server.ports import CsrReview


class SiteCertificateSigner:
    """Reviews chargers' CSRs and signs the accepted ones with the site's CA.

    Parameters
    ----------
    site
        Which charge points may have a certificate.
    authority
        The site's CA; None rejects every request (the log says why).
    store
        Where issued certificates are recorded.
    now
        The wall clock (tz-aware UTC): certificates are valid in real time, also in the demo.
    """

    def __init__(
        self,
        site: SiteConfig,
        authority: CertificateAuthority | None,
        store: ChargerSecurityStore,
        now: Callable[[], datetime],
    ) -> None:
        self._site = site
        self._authority = authority
        self._store = store
        self._now = now

    async def review_csr(self, charge_point_id: str, csr_pem: str) -> CsrReview:
        if self._authority is None:
            return CsrReview(False, "no CA configured to sign with (--ocpp-ca-cert and --ocpp-ca-key)")
        if self._site.charge_point(charge_point_id) is None:
            return CsrReview(False, f"{charge_point_id!r} is not a charge point of the site")
        try:
            common_name = csr_common_name(csr_pem)
        except CertificateRequestError as error:
            return CsrReview(False, str(error))
        if common_name != charge_point_id:
            return CsrReview(False, f"the CSR's common name {common_name!r} is not the charge point id")
        return CsrReview(True)

    async def sign_csr(self, charge_point_id: str, csr_pem: str) -> str:
        """Sign an accepted CSR and record the certificate; its chain, PEM.

        Raises
        ------
        CertificateRequestError
            If no CA is configured or the CSR cannot be signed (it was not accepted).
        """
        if self._authority is None:
            raise CertificateRequestError("no CA configured")
        issued_at = self._now()
        # RSA signing takes milliseconds of CPU: off the event loop.
        issued = await asyncio.to_thread(self._authority.sign, csr_pem, issued_at)
        await self._store.add_certificate(
            IssuedCertificateRecord(
                serial=issued.serial_hex,
                charge_point_id=charge_point_id,
                common_name=issued.common_name,
                not_before=issued.not_before,
                not_after=issued.not_after,
                issued_at=issued_at,
            )
        )
        return issued.pem_chain
