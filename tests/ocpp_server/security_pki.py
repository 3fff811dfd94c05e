"""A throwaway PKI for the security profile tests: a CA, the central system's certificate, chargers' keys.

Everything is made with ``cryptography`` in a temporary folder, EC P-256 keys (fast to make), the
same files an operator makes with openssl (docs/security.md).
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ocpp_server.tls import TlsSettings

VALIDITY = timedelta(days=2)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vettabbia test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


def _write_certificate(path: Path, *certificates: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates))
    return path


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    signing_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    server_ip: str | None = None,
    client: bool = False,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if server_ip is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(server_ip)), x509.DNSName("localhost")]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if client:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


@dataclass(frozen=True)
class Pki:
    folder: Path
    ca_cert_path: Path
    ca_key_path: Path
    server_cert_path: Path
    server_key_path: Path
    ca_key: ec.EllipticCurvePrivateKey
    ca_certificate: x509.Certificate

    def tls_settings(self, *, with_ca: bool = True, with_ca_key: bool = True) -> TlsSettings:
        return TlsSettings(
            port=0,
            cert_path=self.server_cert_path,
            key_path=self.server_key_path,
            ca_cert_path=self.ca_cert_path if with_ca else None,
            ca_key_path=self.ca_key_path if with_ca and with_ca_key else None,
        )

    def client_certificate(self, common_name: str, *, self_signed: bool = False) -> tuple[Path, Path]:
        """(certificate, key) files of a charger's client certificate, issued by the CA unless ``self_signed``."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(common_name)
        if self_signed:
            certificate = _certificate(subject, subject, key.public_key(), key, client=True)
        else:
            certificate = _certificate(subject, self.ca_certificate.subject, key.public_key(), self.ca_key, client=True)
        stem = f"{common_name}{'-self' if self_signed else ''}"
        return (
            _write_certificate(self.folder / f"{stem}.crt", certificate),
            _write_key(self.folder / f"{stem}.key", key),
        )

    def client_context(
        self,
        certificate: tuple[Path, Path] | None = None,
        *,
        maximum_version: ssl.TLSVersion | None = None,
    ) -> ssl.SSLContext:
        """A charger's TLS context: trusts the CA (the server's issuer), presents ``certificate`` if given."""
        context = ssl.create_default_context(cafile=self.ca_cert_path)
        if maximum_version is not None:
            context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            context.maximum_version = maximum_version
        if certificate is not None:
            context.load_cert_chain(*certificate)
        return context


def make_pki(folder: Path) -> Pki:
    """A CA and a server certificate for 127.0.0.1 signed by it, written under ``folder``."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Vettabbia test CA")
    ca_certificate = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_certificate = _certificate(
        _name("127.0.0.1"), ca_name, server_key.public_key(), ca_key, server_ip="127.0.0.1"
    )
    return Pki(
        folder=folder,
        ca_cert_path=_write_certificate(folder / "ca.crt", ca_certificate),
        ca_key_path=_write_key(folder / "ca.key", ca_key),
        server_cert_path=_write_certificate(folder / "server.crt", server_certificate),
        server_key_path=_write_key(folder / "server.key", server_key),
        ca_key=ca_key,
        ca_certificate=ca_certificate,
    )


def csr_pem(common_name: str) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """A charger's certificate signing request (PEM) and the key it was made with."""
    key = ec.generate_private_key(ec.SECP256R1())
    request = x509.CertificateSigningRequestBuilder().subject_name(_name(common_name)).sign(key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM).decode("ascii"), key
