"""The site's certificate authority: reads chargers' CSRs and signs their client certificates.

OCPP 1.6 Security Whitepaper (edition 3), profile 3: a charger makes its own key pair and sends a
certificate signing request (SignCertificate); the central system has it signed and returns the
chain (CertificateSigned). The charger's certificate's common name is its charge point id, which is
what the TLS listener then holds the charger to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLIENT_CERTIFICATE_VALIDITY = timedelta(days=365)
"""How long a charger's certificate is valid; it asks for a new one before then."""
CLOCK_SKEW = timedelta(minutes=5)
"""A certificate is valid from a little before it is signed, for chargers whose clock runs behind."""


class CertificateRequestError(ValueError):
    """A CSR that cannot be signed: not PEM, a bad signature, no common name."""


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    pem_chain: str
    """The charger's certificate, then the CA's, PEM."""
    serial_hex: str
    """The serial number as ``serial_hex`` writes it."""
    common_name: str
    not_before: datetime
    not_after: datetime


def serial_hex(serial_number: int) -> str:
    """A serial number as the ssl module reports a peer's: upper-case hexadecimal, two digits a byte."""
    digits = f"{serial_number:X}"
    return digits if len(digits) % 2 == 0 else f"0{digits}"


def csr_common_name(csr_pem: str) -> str:
    """The subject common name of a PEM CSR whose signature verifies.

    Raises
    ------
    CertificateRequestError
        If the CSR does not parse, is not signed by its own key, or names no common name.
    """
    csr = _load_csr(csr_pem)
    return _single_common_name(csr.subject)


class CertificateAuthority:
    """Signs client certificates with one CA key (RSA or EC).

    Parameters
    ----------
    certificate
        The CA's certificate; chains end with it.
    private_key
        The CA's private key.
    """

    def __init__(
        self, certificate: x509.Certificate, private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    ) -> None:
        self._certificate = certificate
        self._key = private_key

    @classmethod
    def from_files(cls, cert_path: Path, key_path: Path) -> CertificateAuthority:
        """Load an unencrypted PEM certificate and key.

        Raises
        ------
        OSError
            If a file cannot be read.
        ValueError
            If they are not a PEM certificate and an RSA or EC key.
        """
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError(f"{key_path}: the CA key must be RSA or EC, not {type(key).__name__}")
        return cls(certificate, key)

    def sign(self, csr_pem: str, now: datetime) -> IssuedCertificate:
        """A client certificate for the CSR's key and subject, valid from ``now`` (UTC) for a year.

        Raises
        ------
        CertificateRequestError
            As ``csr_common_name``.
        """
        csr = _load_csr(csr_pem)
        common_name = _single_common_name(csr.subject)
        not_before = now - CLOCK_SKEW
        not_after = now + CLIENT_CERTIFICATE_VALIDITY
        certificate = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self._certificate.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=isinstance(csr.public_key(), rsa.RSAPublicKey),
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (certificate, self._certificate))
        return IssuedCertificate(
            pem_chain=chain.decode("ascii"),
            serial_hex=serial_hex(certificate.serial_number),
            common_name=common_name,
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
        )


def _load_csr(csr_pem: str) -> x509.CertificateSigningRequest:
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise CertificateRequestError(f"not a PEM certificate signing request: {error}") from None
    if not csr.is_signature_valid:
        raise CertificateRequestError("the CSR's signature does not verify with its own public key")
    if not isinstance(csr.public_key(), rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise CertificateRequestError("the CSR's key must be RSA or EC")
    return csr


def _single_common_name(subject: x509.Name) -> str:
    names = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(names) != 1:
        raise CertificateRequestError(f"the CSR's subject must hold one common name, it holds {len(names)}")
    return str(names[0].value)
