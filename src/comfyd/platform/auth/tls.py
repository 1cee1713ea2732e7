"""`--tls-self-signed`: a certificate for this machine, so comfyd can serve https without a CA.

The frontend accepts only https bases for the platform services (`comfy_api_base_url`,
`comfy_cloud_base_url`), so a local comfyd that wants its credits, release and workspace panels
must be served over https. The certificate names `localhost`, `127.0.0.1` and `::1`; it is made
once, kept under the user directory (`tls/`), and made again only when it nears its end. A
browser must be told to trust it (or the user accepts it once).
"""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from comfyd.config import ServerConfig

logger = logging.getLogger(__name__)

CERTIFICATE_NAME = "comfyd-self-signed.pem"
KEY_NAME = "comfyd-self-signed-key.pem"
LIFETIME = timedelta(days=365)
RENEW_BEFORE = timedelta(days=7)
DNS_NAMES = ("localhost",)
IP_ADDRESSES = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class CertificateFiles:
    certfile: Path
    keyfile: Path


def with_self_signed_tls(config: ServerConfig) -> ServerConfig:
    """`config` serving https with the self-signed certificate, when `--tls-self-signed` asks for it."""
    if not config.tls_self_signed:
        return config
    files = ensure_self_signed_certificate(config.user_root / "tls")
    return config.model_copy(update={"tls_certfile": files.certfile, "tls_keyfile": files.keyfile})


def ensure_self_signed_certificate(directory: Path, *, now: datetime | None = None) -> CertificateFiles:
    """The certificate and key in `directory`, made there if missing or about to expire."""
    now = now or datetime.now(UTC)
    files = CertificateFiles(directory / CERTIFICATE_NAME, directory / KEY_NAME)
    if _is_usable(files, now):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    _write_private(files.keyfile, key)
    files.certfile.write_bytes(_certificate(key, now).public_bytes(serialization.Encoding.PEM))
    logger.info(
        "Made a self-signed certificate for %s: %s", ", ".join(DNS_NAMES + IP_ADDRESSES), files.certfile
    )
    return files


def _is_usable(files: CertificateFiles, now: datetime) -> bool:
    if not (files.certfile.is_file() and files.keyfile.is_file()):
        return False
    certificate = x509.load_pem_x509_certificate(files.certfile.read_bytes())
    return certificate.not_valid_after_utc - RENEW_BEFORE > now


def _certificate(key: ec.EllipticCurvePrivateKey, now: datetime) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "comfyd on localhost")])
    alternative_names = [x509.DNSName(n) for n in DNS_NAMES]
    alternative_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in IP_ADDRESSES]
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + LIFETIME)
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """Write the key readable by its owner only, from the moment the file exists."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
