"""A virus scan of an upload through clamd (Debian's clamav-daemon), when configured.

No client library is installed, so clamd's INSTREAM command is spoken here: the command, then
the file in chunks each preceded by its length (4 bytes, network order), then a zero length;
clamd answers `stream: OK`, `stream: <signature> FOUND` or `... ERROR`.

Off unless `CLAMD_SOCKET` (a Unix socket, e.g. /run/clamav/clamd.ctl) or `CLAMD_HOST` is set.
When it is set and clamd does not answer, the upload is refused with a message saying so: a
file is never stored unscanned where scanning was asked for (docs/filing.md).
"""

from __future__ import annotations

import logging
import socket
import struct

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("approval_center.clamd")
CHUNK = 64 * 1024


def configured() -> bool:
    return bool(settings.CLAMD_SOCKET or settings.CLAMD_HOST)


def _connect() -> socket.socket:
    timeout = settings.CLAMD_TIMEOUT_SECONDS
    if settings.CLAMD_SOCKET:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(settings.CLAMD_SOCKET)
        return sock
    return socket.create_connection((settings.CLAMD_HOST, settings.CLAMD_PORT), timeout=timeout)


def instream(upload) -> str:
    """clamd's answer for the file's bytes, without the `stream: ` prefix (OSError when clamd
    cannot be reached or breaks off)."""
    upload.seek(0)
    with _connect() as sock:
        sock.sendall(b"zINSTREAM\0")
        while chunk := upload.read(CHUNK):
            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        answer = b""
        while not answer.endswith(b"\0"):
            part = sock.recv(4096)
            if not part:
                break
            answer += part
    upload.seek(0)
    return answer.rstrip(b"\0").decode("utf-8", "replace").removeprefix("stream: ").strip()


def refuse_infected(upload) -> None:
    """Nothing when clamd is off or finds the file clean; a ValidationError otherwise."""
    if not configured():
        return
    try:
        answer = instream(upload)
    except OSError as error:
        log.error("clamd unreachable: %s", error)
        raise ValidationError(
            _(
                "The virus scanner cannot be reached just now, so the file was not stored. "
                "Please try again later; if it lasts, tell the center."
            ),
            code="virus_scanner_down",
        ) from None
    if answer == "OK":
        return
    if answer.endswith("FOUND"):
        log.warning("clamd found %s in an upload", answer.removesuffix("FOUND").strip())
        raise ValidationError(
            _("This file carries a virus (%(name)s) and was not stored."),
            code="virus_found",
            params={"name": answer.removesuffix("FOUND").strip()},
        )
    log.error("clamd answered %s", answer)
    raise ValidationError(
        _("The virus scanner could not check this file, so it was not stored: %(answer)s"),
        code="virus_scanner_error",
        params={"answer": answer[:100]},
    )
