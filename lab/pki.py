"""Per-site CA and certificates (ECDSA P-256: fast to make, accepted by every component)."""
from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=365)


@dataclass(frozen=True)
class ClientIdentity:
    file_stem: str
    common_name: str
    groups: tuple[str, ...]


# system:masters for the controllers keeps RBAC out of the lab's way; the names stay distinct
# so audit-style messages say which component acted.
CLIENTS = (
    ClientIdentity("admin", "gpufleet-lab-admin", ("system:masters",)),
    ClientIdentity("controller-manager", "system:kube-controller-manager", ("system:masters",)),
    ClientIdentity("scheduler", "system:kube-scheduler", ("system:masters",)),
    ClientIdentity("kwok", "kwok-controller", ("system:masters",)),
)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY))


def _signed_by(builder: x509.CertificateBuilder, ca_key, public_key) -> x509.CertificateBuilder:
    """Key identifiers as Go's x509 (kubeadm, k3s) writes them: Python 3.13 verifies strictly
    (VERIFY_X509_STRICT) and refuses a certificate without an Authority Key Identifier."""
    return (builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))


def make_ca(site: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"gpufleet-lab {site} CA")])
    cert = (_signed_by(_builder(name, name, key.public_key()), key, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_serving(ca_key, ca_cert: x509.Certificate, ips: list[str], dns: list[str]):
    key = _key()
    sans = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips] + [x509.DNSName(d) for d in dns]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
    cert = (_signed_by(_builder(subject, ca_cert.subject, key.public_key()), ca_key, key.public_key())
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def make_client(ca_key, ca_cert: x509.Certificate, ident: ClientIdentity):
    key = _key()
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in ident.groups]
    subject = x509.Name(attrs + [x509.NameAttribute(NameOID.COMMON_NAME, ident.common_name)])
    cert = (_signed_by(_builder(subject, ca_cert.subject, key.public_key()), ca_key, key.public_key())
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def ensure_site_pki(pki_dir: Path, site: str, ips: list[str]) -> None:
    """Create the site's PKI once; an existing CA is kept so kubeconfigs stay valid across ups."""
    if (pki_dir / "ca.crt").exists():
        return
    pki_dir.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = make_ca(site)
    key, cert = make_serving(ca_key, ca_cert, ips,
                             ["kubernetes", "kubernetes.default", "kubernetes.default.svc",
                              "kubernetes.default.svc.cluster.local"])
    _write_key(pki_dir / "apiserver.key", key)
    _write_cert(pki_dir / "apiserver.crt", cert)
    for ident in CLIENTS:
        key, cert = make_client(ca_key, ca_cert, ident)
        _write_key(pki_dir / f"{ident.file_stem}.key", key)
        _write_cert(pki_dir / f"{ident.file_stem}.crt", cert)
    _write_key(pki_dir / "sa.key", sa_key := _key())
    (pki_dir / "sa.pub").write_bytes(sa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    # CA last: its presence marks the set complete.
    _write_key(pki_dir / "ca.key", ca_key)
    _write_cert(pki_dir / "ca.crt", ca_cert)
