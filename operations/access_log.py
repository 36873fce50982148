"""gunicorn's access log without what belongs to the applicant (gunicorn.conf.py's
`logger_class`): the request line is written with its path alone, never its query string (the
slip's QR link carries the receipt number and the access code in it), and the key of a rating
link (`/track/rate/<key>/`) is masked. The referrer is cut to its path the same way."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from gunicorn.glogging import Logger

_RATING_KEY = re.compile(r"(/track/rate/)[^/?#\s]+")
MASK = "****"


def private_path(path: str) -> str:
    """The path without query string or fragment, a rating key masked."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    return _RATING_KEY.sub(rf"\g<1>{MASK}", path)


def _private_referrer(referrer: str) -> str:
    if not referrer or referrer == "-":
        return referrer
    parts = urlsplit(referrer)
    return f"{parts.scheme}://{parts.netloc}{private_path(parts.path)}" if parts.netloc else "-"


class PrivateAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = private_path(environ.get("RAW_URI") or environ.get("PATH_INFO") or "")
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}"
        atoms["U"] = private_path(environ.get("PATH_INFO") or "")
        atoms["f"] = _private_referrer(atoms.get("f", "-"))
        # gunicorn also offers every header ({name}i) and environ entry ({name}e) as an atom:
        # none of them may carry a query string or a rating key either.
        for name, value in list(atoms.items()):
            if not isinstance(value, str) or name in ("r", "U", "f", "a"):
                continue
            lowered = name.lower()
            if name == "q" or "query_string" in lowered:
                atoms[name] = ""
            elif "referer" in lowered:
                atoms[name] = _private_referrer(value)
            elif "uri" in lowered or "path" in lowered:
                atoms[name] = private_path(value)
        return atoms
