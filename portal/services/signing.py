"""The portal's signing keys: the digital signature on every certificate's PDF, and the public
keys anyone may use to check a certificate without asking the portal about it.

- The signing key and its certificate come from one PKCS#12 file: CERTIFICATE_P12, opened with
  CERTIFICATE_P12_PASSPHRASE (production). In development `flask keys init`, or the first
  certificate, makes one in SIGNING_DIR, issued by a development root made beside it.
- The key that signs the statements in QR codes is an Ed25519 key derived from the signing key
  (HKDF-SHA256): the PKCS#12 file stays the only secret, and a new file rotates both keys.
- Every public key that signs is published (the `published_keys` table, which every app server
  reads; served at /certificates/keys) before its first certificate leaves, and is never
  removed: after a rotation, old certificates keep verifying.

Private keys stay inside SigningKeys objects: nothing here logs, prints, stores in the database
or serves them.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Coroutine, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app
from joserfc.jwk import OKPKey
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from sqlalchemy.exc import IntegrityError

from portal.config import PRODUCTION
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.signing import KEY_CA, KEY_SIGNING, KEY_STATEMENT, PublishedKey

ISSUER = "Khorgos Gateway"
STATEMENT_ALGORITHM = "Ed25519"  # the JWS "alg" of an Ed25519 signature (RFC 9864)
SIGNATURE_FIELD = "KhorgosGateway"
SIGNATURE_LOCATION = "Khorgos"
# Changing this changes the statement key derived from every signing key: never change it.
_STATEMENT_KEY_INFO = b"Khorgos Gateway certificate statement key v1"

# Development keys, in SIGNING_DIR.
DEV_ROOT_KEY = "root-key.pem"
DEV_ROOT = "root.pem"
DEV_P12 = "signing.p12"
DEV_ROOT_YEARS = 30
DEV_SIGNING_YEARS = 20


class SigningUnavailable(RuntimeError):
    """No usable signing key: production without CERTIFICATE_P12, or a file that does not open."""


# --- The keys that sign --------------------------------------------------------------------


def certificate_kid(certificate: x509.Certificate) -> str:
    """A certificate's key id: the start of its SHA-256 fingerprint."""
    return certificate.fingerprint(hashes.SHA256()).hex()[:16]


def statement_kid(key: OKPKey) -> str:
    """A statement key's id: the start of its JWK thumbprint (RFC 7638), short for the QR code."""
    return key.thumbprint()[:8]


def _private_secret(private_key) -> bytes:
    """The signing key's secret number, stable across encodings and library versions."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        value = private_key.private_numbers().private_value
        return value.to_bytes((private_key.curve.key_size + 7) // 8, "big")
    if isinstance(private_key, rsa.RSAPrivateKey):
        value = private_key.private_numbers().d
        return value.to_bytes((value.bit_length() + 7) // 8, "big")
    if isinstance(private_key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return private_key.private_bytes_raw()
    raise SigningUnavailable(f"a {type(private_key).__name__} signing key is not supported")


def _statement_key(private_key) -> OKPKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_STATEMENT_KEY_INFO).derive(
        _private_secret(private_key)
    )
    return OKPKey.import_key(ed25519.Ed25519PrivateKey.from_private_bytes(seed))


@dataclass(frozen=True, repr=False)
class SigningKeys:
    """What new certificates are signed with: the PDF signer and the QR statement key."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # the issuers the PKCS#12 file carries
    signer: signers.SimpleSigner
    statement_key: OKPKey  # private: signs statements

    @property
    def statement_kid(self) -> str:
        return statement_kid(self.statement_key)

    def __repr__(self) -> str:  # never the keys themselves
        return f"<SigningKeys {self.certificate.subject.rfc4514_string()} {self.statement_kid}>"


def load_p12(data: bytes, passphrase: str = "") -> SigningKeys:
    secret = passphrase.encode() if passphrase else None
    try:
        private_key, certificate, chain = pkcs12.load_key_and_certificates(data, secret)
        signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=secret)
    except ValueError:
        raise SigningUnavailable(
            "the PKCS#12 file does not open: check CERTIFICATE_P12 and CERTIFICATE_P12_PASSPHRASE"
        ) from None
    if private_key is None or certificate is None:
        raise SigningUnavailable("the PKCS#12 file holds no private key and certificate")
    return SigningKeys(
        certificate=certificate,
        chain=tuple(chain),
        signer=signer,
        statement_key=_statement_key(private_key),
    )


def p12_path(config: Mapping) -> Path:
    if config.get("CERTIFICATE_P12"):
        return Path(config["CERTIFICATE_P12"])
    return Path(config["SIGNING_DIR"]) / DEV_P12


def current_keys() -> SigningKeys:
    """The keys new certificates are signed with, published before they are handed out.

    In development the keys are made when missing; in production a missing or unreadable
    CERTIFICATE_P12 raises SigningUnavailable. The file is read again when it changes (rotation).
    """
    config = current_app.config
    path = p12_path(config)
    if not path.exists():
        if config.get("CERTIFICATE_P12") or config.get("PORTAL_ENV") == PRODUCTION:
            raise SigningUnavailable(
                f"no signing key: {path} does not exist; set CERTIFICATE_P12 to the PKCS#12 file"
            )
        init_dev_keys(Path(config["SIGNING_DIR"]))
    state = current_app.extensions.setdefault("signing", {})
    stamp = (str(path), path.stat().st_mtime_ns)
    if state.get("stamp") != stamp:
        keys = load_p12(path.read_bytes(), config.get("CERTIFICATE_P12_PASSPHRASE", ""))
        publish(keys)
        state.update(stamp=stamp, keys=keys)
    return state["keys"]


# --- Development keys ------------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{ISSUER} (development)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, sign_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not sign_certificates,
        content_commitment=not sign_certificates,  # "non-repudiation", which PDF signers expect
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certificates,
        crl_sign=sign_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _new_root() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    name = _name(f"{ISSUER} development root")
    root = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * DEV_ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, root


def issue_signing_p12(
    root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate, passphrase: str = ""
) -> bytes:
    """A new ECDSA P-256 signing key with its certificate from `root`, as a PKCS#12 file.

    P-256 rather than Ed25519 for the PDF: every PDF reader that checks signatures knows it.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{ISSUER} certificate signing {now:%Y-%m-%d %H:%M:%S}"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * DEV_SIGNING_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign_certificates=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        ISSUER.encode(), key, certificate, [root], encryption
    )


def _write_private(path: Path, data: bytes, *, replace: bool = False) -> bool:
    """Write a file only its owner reads. Without `replace`, False if it exists already (two
    processes starting together keep the first one's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.with_name(path.name + ".new") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    if replace:
        os.replace(target, path)
    return True


def dev_root(directory: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The development root's key and certificate, made the first time."""
    key_path, cert_path = directory / DEV_ROOT_KEY, directory / DEV_ROOT
    if not key_path.exists():
        key, root = _new_root()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        if _write_private(key_path, pem):
            _write_private(cert_path, root.public_bytes(serialization.Encoding.PEM), replace=True)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    return key, x509.load_pem_x509_certificate(cert_path.read_bytes())


def init_dev_keys(directory: Path) -> bool:
    """Make a development root and a signing key it certifies, unless they exist: True if made."""
    if (directory / DEV_P12).exists():
        return False
    root_key, root = dev_root(directory)
    return _write_private(directory / DEV_P12, issue_signing_p12(root_key, root))


def rotate_dev_keys(directory: Path) -> None:
    """A new development signing key (and so a new statement key) from the same root.

    The old key's public parts stay published; its private part is gone, as after a real
    rotation."""
    root_key, root = dev_root(directory)
    _write_private(directory / DEV_P12, issue_signing_p12(root_key, root), replace=True)


# --- Publication -----------------------------------------------------------------------------


def _certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _publishable(keys: SigningKeys) -> list[tuple[str, str, str]]:
    """(kid, kind, PEM) of each public part of `keys`: its chain, certificate, statement key."""
    rows = [(certificate_kid(c), KEY_CA, _certificate_pem(c)) for c in keys.chain]
    rows.append(
        (certificate_kid(keys.certificate), KEY_SIGNING, _certificate_pem(keys.certificate))
    )
    public = keys.statement_key.as_pem(private=False).decode()
    rows.append((keys.statement_kid, KEY_STATEMENT, public))
    return rows


def publish(keys: SigningKeys) -> list[str]:
    """Publish the public parts of `keys` not yet published; the kids newly published.

    In a transaction of its own, so they are stored before any certificate they sign leaves,
    whatever the caller's transaction does next."""
    rows = _publishable(keys)
    kids = [kid for kid, _kind, _pem in rows]
    for attempt in range(2):
        try:
            with db.engine.begin() as connection:
                query = db.select(PublishedKey.kid).where(PublishedKey.kid.in_(kids))
                known = set(connection.scalars(query))
                added = [row for row in rows if row[0] not in known]
                for kid, kind, pem in added:
                    connection.execute(
                        db.insert(PublishedKey).values(
                            kid=kid, kind=kind, pem=pem, published_at=utcnow()
                        )
                    )
            return [kid for kid, _kind, _pem in added]
        except IntegrityError:  # another server published the same key at the same instant
            if attempt:
                raise
    return []


@dataclass(frozen=True)
class PublishedCertificate:
    kid: str
    kind: str
    certificate: x509.Certificate
    published_at: datetime | None = None


@dataclass(frozen=True)
class PublishedStatementKey:
    kid: str
    key: OKPKey  # public only
    published_at: datetime | None = None


def _isoformat(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _parse_moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _public_okp(jwk: Mapping) -> OKPKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not jwk.get("x"):
        raise ValueError("not an Ed25519 public key")
    return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]})


@dataclass(frozen=True)
class PublishedKeys:
    """Every public key the portal has signed with: what an offline check trusts, and nothing
    else. Made from the database, or from the document /certificates/keys serves."""

    statement_keys: dict[str, PublishedStatementKey] = field(default_factory=dict)
    certificates: tuple[PublishedCertificate, ...] = ()

    @classmethod
    def from_rows(cls, rows: Iterable[PublishedKey]) -> PublishedKeys:
        statement_keys, certificates = {}, []
        for row in rows:
            if row.kind == KEY_STATEMENT:
                key = OKPKey.import_key(row.pem)
                statement_keys[row.kid] = PublishedStatementKey(row.kid, key, row.published_at)
            else:
                certificate = x509.load_pem_x509_certificate(row.pem.encode())
                certificates.append(
                    PublishedCertificate(row.kid, row.kind, certificate, row.published_at)
                )
        return cls(statement_keys, tuple(certificates))

    @classmethod
    def from_document(cls, document: Mapping) -> PublishedKeys:
        """From the JSON of /certificates/keys (saved for use offline). ValueError if malformed."""
        try:
            statement_keys = {}
            for jwk in document.get("keys", []):
                key = _public_okp(jwk)
                kid = statement_kid(key)
                statement_keys[kid] = PublishedStatementKey(
                    kid, key, _parse_moment(jwk.get("published"))
                )
            certificates = []
            for entry in document.get("certificates", []):
                certificate = x509.load_pem_x509_certificate(entry["pem"].encode())
                certificates.append(
                    PublishedCertificate(
                        certificate_kid(certificate),
                        entry.get("kind", KEY_SIGNING),
                        certificate,
                        _parse_moment(entry.get("published")),
                    )
                )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a document of published keys: {exc}") from None
        return cls(statement_keys, tuple(certificates))

    def document(self) -> dict:
        """The JSON served at /certificates/keys: `keys` is a JWK Set (RFC 7517) of the
        statement keys; `certificates` the PDF signing certificates and their issuers."""
        keys = []
        for entry in self.statement_keys.values():
            jwk = entry.key.as_dict(private=False)
            jwk.update(kid=entry.kid, alg=STATEMENT_ALGORITHM, use="sig")
            jwk["published"] = _isoformat(entry.published_at)
            keys.append(jwk)
        certificates = [
            {
                "kid": entry.kid,
                "kind": entry.kind,
                "subject": entry.certificate.subject.rfc4514_string(),
                "issuer": entry.certificate.issuer.rfc4514_string(),
                "sha256": entry.certificate.fingerprint(hashes.SHA256()).hex(),
                "not_before": _isoformat(entry.certificate.not_valid_before_utc),
                "not_after": _isoformat(entry.certificate.not_valid_after_utc),
                "published": _isoformat(entry.published_at),
                "pem": _certificate_pem(entry.certificate),
            }
            for entry in self.certificates
        ]
        return {"issuer": ISSUER, "keys": keys, "certificates": certificates}

    def pem(self) -> str:
        """The same keys as PEM: the certificates (trust them in a PDF reader or pyHanko), then
        the statement keys, each after a line that says what it is."""
        parts = [f"# {ISSUER}: every public key that has signed certificates of registration.\n"]
        for entry in self.certificates:
            subject = entry.certificate.subject.rfc4514_string()
            published = _isoformat(entry.published_at) or "-"
            parts.append(
                f"\n{entry.kind} certificate {entry.kid}: {subject}; published {published}\n"
            )
            parts.append(_certificate_pem(entry.certificate))
        for entry in self.statement_keys.values():
            published = _isoformat(entry.published_at) or "-"
            parts.append(f"\nstatement key {entry.kid} (Ed25519); published {published}\n")
            parts.append(entry.key.as_pem(private=False).decode())
        return "".join(parts)

    def statement_key(self, kid: str) -> PublishedStatementKey | None:
        return self.statement_keys.get(kid)

    def signed_with(self, certificate: asn1_x509.Certificate) -> bool:
        """Is this the certificate of a key the portal signed with (not merely one its CA
        issued, which a commercial CA does for others too)?"""
        return any(
            entry.kind == KEY_SIGNING
            and entry.certificate.fingerprint(hashes.SHA256()) == certificate.sha256
            for entry in self.certificates
        )

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        """Every published certificate is a trust anchor for the PDF signature, and no other."""
        return [
            asn1_x509.Certificate.load(c.certificate.public_bytes(serialization.Encoding.DER))
            for c in self.certificates
        ]


def published_keys() -> PublishedKeys:
    rows = db.session.scalars(db.select(PublishedKey).order_by(PublishedKey.id))
    return PublishedKeys.from_rows(rows)


def publication() -> PublishedKeys:
    """What the portal publishes, the keys it signs with now included even before their first
    certificate (when they can be loaded: a server without its key still serves the old ones)."""
    try:
        current_keys()
    except SigningUnavailable:
        current_app.logger.warning("No signing key: certificates cannot be issued.")
    return published_keys()


# --- The PDF signature -----------------------------------------------------------------------


def _run(coroutine: Coroutine):
    """Run one of pyHanko's coroutines to its end, also from a thread that already runs an
    event loop (pyHanko's own synchronous wrappers cannot)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def sign_pdf(pdf: bytes, keys: SigningKeys, *, reason: str) -> bytes:
    """`pdf` with the portal's PAdES certification signature: the signing time, the signing
    certificate and its chain; any later change shows as a modification."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=SIGNATURE_LOCATION,
        name=ISSUER,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    return _run(signers.async_sign_pdf(writer, metadata, signer=keys.signer)).getvalue()


@dataclass(frozen=True)
class PdfCheck:
    """What a check of a PDF's signature found, in words for the operator's console."""

    ok: bool
    problem: str = ""
    signer: str = ""
    signed_at: datetime | None = None


def check_pdf(pdf: bytes, published: PublishedKeys) -> PdfCheck:
    """Is `pdf` signed by a key the portal published, and unchanged since? Nothing is fetched:
    the published certificates are the only trust anchors, and the certificate is checked as of
    the signing time it records (so certificates signed before a rotation, or by a signing
    certificate since expired, still verify)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # pyHanko raises many kinds of errors for a damaged file
        return PdfCheck(False, "this is not a readable PDF file")
    if not signatures:
        return PdfCheck(False, "the PDF carries no digital signature")
    signature = signatures[0]
    signed_at = signature.self_reported_timestamp
    context = ValidationContext(
        trust_roots=published.trust_roots(),
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=signed_at,
    )

    async def validate():
        try:
            return await async_validate_pdf_signature(signature, context)
        finally:
            await context.aclose()

    try:
        status = _run(validate())
    except Exception:
        return PdfCheck(False, "the PDF's signature cannot be read: the document was modified")
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    if not status.intact or not status.valid:
        problem = "the document was modified after it was signed (its signature no longer matches)"
    elif not status.trusted or not published.signed_with(status.signing_cert):
        problem = "the signature is not by a key the portal has published"
    elif len(signatures) > 1 or status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problem = "the document was modified after it was signed (something was added to it)"
    else:
        return PdfCheck(True, signer=signer, signed_at=signed_at)
    return PdfCheck(False, problem, signer=signer, signed_at=signed_at)
