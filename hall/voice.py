"""The hall's spoken call (issue 14): which recorded pieces say "请 A023 号到 A05 号窗口办理".

The one place that knows the sentence. The pieces are short Ogg Opus files under
static/hall/voice/, made by scripts/make-hall-voice and committed; the hall display plays them
in order with static/hall/announce.js, which reads `page_data()` from the page (its contract is
at the top of that file).

The ticket ("A023": a business letter and three digits) and the window ("A05": a letter and two
digits) are read character by character, as hall systems do: "A 零 二 三".

Importable without Django settings (scripts/make-hall-voice reads the file names from here);
only `page_data()` needs Django, for the static files' URLs.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable

TICKET = re.compile(r"[A-Z][0-9]{3}")
WINDOW = re.compile(r"[A-Z][0-9]{2}")

DIR = "hall/voice"
EXT = "ogg"


def _path(name: str) -> str:
    return f"{DIR}/{name}.{EXT}"


CHIME = _path("chime")
# Each character of a ticket or window number, as its piece.
CHARACTERS: dict[str, str] = {
    **{letter: _path(f"letter-{letter.lower()}") for letter in string.ascii_uppercase},
    **{digit: _path(f"digit-{digit}") for digit in string.digits},
}
# The sentence: a chime, then 请 <ticket> 号到 <window> 号窗口 办理. "号窗口" and "办理" are two
# pieces only to keep each recording short; played back to back they read as one phrase.
TICKET_SLOT = "{ticket}"
WINDOW_SLOT = "{window}"
SENTENCE: tuple[str, ...] = (
    CHIME,
    _path("qing"),  # 请
    TICKET_SLOT,
    _path("hao-dao"),  # 号到
    WINDOW_SLOT,
    _path("hao-chuangkou"),  # 号窗口
    _path("banli"),  # 办理
)
# Every file, each once: what scripts/make-hall-voice makes and the tests check.
PIECES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [p for p in SENTENCE if p not in (TICKET_SLOT, WINDOW_SLOT)] + list(CHARACTERS.values())
    )
)


def pieces(ticket: str, window: str) -> list[str]:
    """The static paths (relative to STATIC) of the call of `ticket` to `window`, in order.

    Raises ValueError for a ticket that is not a letter and three digits or a window that is not
    a letter and two digits (upper case, nothing around them)."""
    if not isinstance(ticket, str) or not TICKET.fullmatch(ticket):
        raise ValueError(f"not a ticket number: {ticket!r}")
    if not isinstance(window, str) or not WINDOW.fullmatch(window):
        raise ValueError(f"not a window number: {window!r}")
    spoken: list[str] = []
    for piece in SENTENCE:
        if piece == TICKET_SLOT:
            spoken.extend(CHARACTERS[c] for c in ticket)
        elif piece == WINDOW_SLOT:
            spoken.extend(CHARACTERS[c] for c in window)
        else:
            spoken.append(piece)
    return spoken


def page_data(url: Callable[[str], str] | None = None) -> dict:
    """What the hall display gives announce.js, as JSON (`json_script`, id "hall-voice-pieces").

    `url` turns a static path into its URL; Django's `static()` by default (so hashed names of
    ManifestStaticFilesStorage are right). The sentence is sent as data, so the page says what
    `pieces()` says without knowing the wording."""
    if url is None:
        from django.templatetags.static import static as url
    return {
        "sentence": [p if p in (TICKET_SLOT, WINDOW_SLOT) else url(p) for p in SENTENCE],
        "characters": {c: url(p) for c, p in CHARACTERS.items()},
        "ticket": f"^{TICKET.pattern}$",
        "window": f"^{WINDOW.pattern}$",
    }
