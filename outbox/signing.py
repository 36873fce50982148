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
    if not secret or not timestamp.isdigit() or abs(now - int(timestamp)) > window:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
