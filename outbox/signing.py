"""The signature of a push, as the platform checks it (docs/outbox.md, "Signature").

The body is signed with HMAC-SHA256 under the shared secret, over the timestamp (Unix seconds,
as sent in its header), a full stop, and the body's bytes exactly as sent. A receiver computes
the same, compares in constant time, and refuses a timestamp outside its window (a captured
request replayed later is refused; one replayed within the window is the same event again, and
the idempotency key makes it a no-op).
"""

from __future__ import annotations

import hashlib
import hmac

KEY_HEADER = "Idempotency-Key"
TIMESTAMP_HEADER = "X-Outbox-Timestamp"
SIGNATURE_HEADER = "X-Outbox-Signature"
PREFIX = "sha256="


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float, window: int
) -> bool:
    """Whether `signature` is the secret's over `timestamp` and `body`, and the timestamp is
    within `window` seconds of `now`."""
    # Unix seconds in ASCII digits only ("²" is a digit to str.isdigit, and int() refuses it).
    if not secret or not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs(now - int(timestamp)) > window:
        return False
    expected = sign(secret, int(timestamp), body).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", errors="replace"))
