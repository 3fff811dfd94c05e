"""SignCertificate, the central system's half (OCPP 1.6 Security Whitepaper, edition 3, use case A02/A03).

The request is answered at once (Accepted or Rejected, on the application's review of the CSR); the
signing and the CertificateSigned call that carries the chain follow from a task of the connection,
never from the handler, which must not await an outbound call.
"""

from __future__ import annotations

import logging

from ocpp_server.json_codec import JsonCodec
from ocpp_server.ports import CertificateSigner, CsrReview
from ocpp_server.raw_calls import CentralSystemAction, RawCallingChargePoint, RawCallOutcome, send_raw_call

LOGGER = logging.getLogger(__name__)

NO_CERTIFICATE_AUTHORITY = CsrReview(False, "the central system has no CA to sign with (--ocpp-ca-key)")


async def review_csr(signer: CertificateSigner | None, charge_point_id: str, csr_pem: str) -> CsrReview:
    """The application's review of ``csr_pem``, logged when rejected; rejected without a signer."""
    review = NO_CERTIFICATE_AUTHORITY if signer is None else await signer.review_csr(charge_point_id, csr_pem)
    if not review.accepted:
        LOGGER.warning("%s: SignCertificate rejected: %s", charge_point_id, review.reason)
    return review


async def deliver_certificate(
    charge_point: RawCallingChargePoint,
    charge_point_id: str,
    signer: CertificateSigner,
    csr_pem: str,
    *,
    timeout_s: float,
    codec: JsonCodec,
) -> bool:
    """Sign ``csr_pem`` and send the chain with CertificateSigned; whether the charger accepted it."""
    chain_pem = await signer.sign_csr(charge_point_id, csr_pem)
    answer = await send_raw_call(
        charge_point,
        CentralSystemAction.CERTIFICATE_SIGNED,
        {"certificateChain": chain_pem},
        timeout_s=timeout_s,
        codec=codec,
    )
    status = (answer.payload or {}).get("status") if answer.outcome is RawCallOutcome.RESULT else None
    if status == "Accepted":
        LOGGER.info("%s: CertificateSigned accepted", charge_point_id)
        return True
    LOGGER.warning(
        "%s: CertificateSigned not accepted: %s %s %s",
        charge_point_id,
        answer.outcome.value,
        status or answer.error_code or "",
        answer.detail,
    )
    return False
