"""The center's signature on every issued document (PAdES, pyHanko), and its check.

One key signs for the center; the signature's reason names the issuing department (or the
center for the intake's documents) and its location the center. Where the key comes from:

- production: a PKCS#12 file and its passphrase from the environment (`SIGNING_PKCS12_PATH`,
  `SIGNING_PKCS12_PASSPHRASE`; settings refuse to start without the path);
- development and tests: a key and self-signed certificate made once under VAR_DIR
  (`manage.py make_signing_key`, or at the first signature), a PKCS#12 file without
  passphrase read the same way.

The signer is loaded once per process. A document is signed in an incremental update of the
PDF WeasyPrint wrote (the bytes before the signature are untouched), with SHA-256.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import io
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings

_lock = threading.Lock()
_signer = None


def development_key_path() -> Path:
    return Path(settings.VAR_DIR) / "signing" / "development.p12"


def make_development_key(path: Path | None = None, *, replace: bool = False) -> Path:
    """An RSA 2048 key and a self-signed certificate in the center's name, valid ten years, as
    a PKCS#12 file without passphrase. RSA, not ECDSA on P-256: pyHanko marks a file signed
    with a P-256 key as PDF 2.0 (ISO 32002), and the documents are PDF/A-3, based on PDF 1.7.
    Written to a temporary file and moved into place, so two processes at first use keep one
    key (the second's link fails and it reads the first's)."""
    path = path or development_key_path()
    if path.exists() and not replace:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.CENTER_NAME),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{settings.CENTER_NAME}（开发用）"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"development", key, cert, None, serialization.NoEncryption()
    )
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o600)
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def _key_file() -> tuple[Path, bytes | None]:
    configured = settings.SIGNING_PKCS12_PATH
    if configured:
        passphrase = settings.SIGNING_PKCS12_PASSPHRASE
        return Path(configured), passphrase.encode() if passphrase else None
    return make_development_key(), None


def signer():
    """The center's signer (pyHanko SimpleSigner), loaded once per process."""
    global _signer
    if _signer is None:
        with _lock:
            if _signer is None:
                from pyhanko.sign import signers

                path, passphrase = _key_file()
                loaded = signers.SimpleSigner.load_pkcs12_data(
                    path.read_bytes(), other_certs=(), passphrase=passphrase
                )
                if loaded is None:
                    raise RuntimeError(f"the signing key {path} cannot be read")
                _keep_key_loaded(loaded)
                _signer = loaded
    return _signer


def _keep_key_loaded(loaded) -> None:
    """pyHanko's SimpleSigner loads its private key again for every signature, and loading an
    RSA key checks it (most of a signature's cost): an RSA key is loaded once here."""
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign.general import get_pyca_cryptography_hash

    key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None)
    if not isinstance(key, RSAPrivateKey):
        return
    original = loaded.sign_raw

    def sign_raw(data: bytes, digest_algorithm: str) -> bytes:
        mechanism = loaded.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo != "rsassa_pkcs1v15":
            return original(data, digest_algorithm)
        return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))

    loaded.sign_raw = sign_raw


# Room for the signature container (DER bytes), so pyHanko need not sign once more to measure
# it: an RSA 2048 or 4096 signature with a chain of a few certificates fits easily. A bigger
# container (a long chain) is measured as pyHanko does by itself.
SIGNATURE_ROOM = 16_384


def forget_signer() -> None:
    """Load the key again at the next signature (a test that changes the key's settings)."""
    global _signer
    with _lock:
        _signer = None


def certificate() -> asn1_x509.Certificate:
    return signer().signing_cert


def _outside_event_loop(work):
    """pyHanko's synchronous API runs its own event loop (asyncio.run), which cannot start in a
    thread that runs one already (an ASGI server, Playwright's sync API in the browser tests):
    there the work runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def sign(pdf: bytes, *, reason: str, location: str) -> bytes:
    """The PDF with the center's signature added in an incremental update."""
    return _outside_event_loop(lambda: _sign(pdf, reason=reason, location=location))


def _sign(pdf: bytes, *, reason: str, location: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.general import SigningError

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name="CenterSignature",
        reason=reason,
        location=location,
        name=settings.CENTER_NAME,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
    )
    out = io.BytesIO()
    pdf_signer = signers.PdfSigner(meta, signer=signer())
    try:
        pdf_signer.sign_pdf(writer, output=out, bytes_reserved=SIGNATURE_ROOM)
    except SigningError:  # the container did not fit: let pyHanko measure it
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = io.BytesIO()
        pdf_signer.sign_pdf(writer, output=out)
    return out.getvalue()


@dataclass(frozen=True)
class Check:
    """What a PDF's signatures say: `signed` (at least one), `valid` (every one intact and by
    the center's certificate), `covers_all` (the last one covers the whole file) and, when
    signed, who and why."""

    signed: bool
    valid: bool
    intact: bool = False
    trusted: bool = False
    covers_all: bool = False
    signer: str = ""
    reason: str = ""
    error: str = ""


def check(pdf: bytes) -> Check:
    """Validate a PDF's signatures against the center's certificate (the only trust root).
    Never raises on bad input: an unreadable file is unsigned."""
    return _outside_event_loop(lambda: _check(pdf))


def _check(pdf: bytes) -> Check:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as error:
        return Check(signed=False, valid=False, error=type(error).__name__)
    if not embedded:
        return Check(signed=False, valid=False)
    context = ValidationContext(trust_roots=[certificate()], allow_fetching=False)
    intact = trusted = True
    last = None
    try:
        for sig in embedded:
            status = validate_pdf_signature(sig, context)
            intact = intact and status.intact and status.valid
            trusted = trusted and status.trusted
            last = (sig, status)
    except Exception as error:
        return Check(signed=True, valid=False, error=type(error).__name__)
    sig, status = last
    covers_all = sig.coverage is not None and sig.coverage.name == "ENTIRE_FILE"
    reason = ""
    try:
        reason = str(sig.sig_object.get("/Reason", ""))
    except Exception:
        reason = ""
    return Check(
        signed=True,
        valid=intact and trusted and covers_all,
        intact=intact,
        trusted=trusted,
        covers_all=covers_all,
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        reason=reason,
    )
