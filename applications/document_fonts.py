"""The documents' own font: Noto Sans CJK SC cut down to the characters a document prints.

WeasyPrint embeds a subset of each font a PDF uses, but it keeps the glyph numbers of the font
it cuts from. Noto Sans CJK holds 65,000 glyphs and the common Chinese characters sit high
among them, so every subset of it carries tables sized for all 65,000: about 0.5 and 0.8 MB for
a one-page slip in regular and bold, which HarfBuzz takes about 70 ms each to cut and zlib
about 100 ms to compress, on every first print.

`make` writes, once, the same faces cut down to the 6,763 characters of GB 2312 with their
punctuation, Latin letters and full-width forms (about 8,300 characters, glyphs renumbered, no
layout tables: the documents are set horizontally), named "Center Sans SC". Documents ask for
that family first and Noto Sans CJK SC next, so a character outside it (a rare character in a
name, 赟 or 𠮷) prints from Noto Sans CJK SC as before: the cut changes what a print costs,
never what it shows. Without the files (not made yet) documents print from Noto alone.

The files are made from the machine's own fonts-noto-cjk (SIL Open Font License: a modified
version under another name) by `manage.py make_document_fonts`: `make run` and the image's build
run it; `documents._font_config` adds what it finds in `DOCUMENT_FONTS_DIR`.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

FAMILY = "Center Sans SC"
WEIGHTS = ("Regular", "Bold")
# Where the source faces are (Debian's fonts-noto-cjk).
SOURCE_DIR = "/usr/share/fonts"

# Besides GB 2312: Latin, general punctuation, arrows, enclosed numbers, shapes, CJK symbols
# and punctuation (〔〕 of a document number), full-width forms.
RANGES = (
    (0x20, 0x7F),
    (0xA0, 0x180),
    (0x2000, 0x2070),
    (0x2100, 0x2200),
    (0x2460, 0x2500),
    (0x25A0, 0x2600),
    (0x3000, 0x3040),
    (0xFF00, 0xFFF0),
)


def directory() -> Path:
    return Path(settings.DOCUMENT_FONTS_DIR)


def file_name(weight: str) -> str:
    return f"CenterSansSC-{weight}.otf"


def made() -> list[Path]:
    """The files there are, in WEIGHTS' order (none until `make` ran)."""
    found = (directory() / file_name(weight) for weight in WEIGHTS)
    return [path for path in found if path.is_file()]


def characters() -> set[int]:
    """GB 2312's characters and RANGES, as code points."""
    found = {point for start, end in RANGES for point in range(start, end)}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return found


def source_of(weight: str) -> tuple[Path, int]:
    """The file and face index of Noto Sans CJK SC in `weight` (Debian's fonts-noto-cjk puts the
    faces of all five regions in one collection; other systems have a file per region)."""
    from fontTools.ttLib import TTCollection, TTFont

    for path in sorted(Path(SOURCE_DIR).rglob(f"NotoSansCJK*-{weight}.*")):
        if path.suffix.lower() == ".ttc":
            faces = TTCollection(path, lazy=True).fonts
        elif path.suffix.lower() in {".otf", ".ttf"}:
            faces = [TTFont(path, lazy=True)]
        else:
            continue
        for index, face in enumerate(faces):
            if face["name"].getDebugName(1) == "Noto Sans CJK SC":
                return path, index
    raise FileNotFoundError(f"Noto Sans CJK SC {weight} is not under {SOURCE_DIR} (fonts-noto-cjk)")


def make(*, replace: bool = False, weights: Iterable[str] = WEIGHTS, keep=None) -> list[Path]:
    """Write the cut faces into `directory()` (each about 1.9 MB, 7 s of CPU; the two at once).
    Files there are kept unless `replace`. `keep`: the code points (all of `characters()` when
    None; tests cut a few)."""
    target = directory()
    target.mkdir(parents=True, exist_ok=True)
    wanted = [w for w in weights if replace or not (target / file_name(w)).is_file()]
    if not wanted:
        return made()
    keep = sorted(characters() if keep is None else keep)
    jobs = [(*source_of(weight), weight, str(target), keep) for weight in wanted]
    if len(jobs) == 1:
        _cut(*jobs[0])
    else:
        with ProcessPoolExecutor(max_workers=len(jobs)) as pool:
            list(pool.map(_cut, *zip(*jobs, strict=True)))
    return made()


def _cut(source: Path, index: int, weight: str, target: str, keep: list[int]) -> None:
    # fontTools comes with WeasyPrint.
    from fontTools import subset
    from fontTools.ttLib import TTFont

    # The bounds as the source has them: Pango sets a line of mixed fonts by them.
    font = TTFont(source, fontNumber=index, lazy=True, recalcBBoxes=False)
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "BASE", "VORG", "vhea", "vmtx"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=keep)
    cutter.subset(font)
    names = {
        1: FAMILY,
        16: FAMILY,
        4: f"{FAMILY} {weight}",
        3: f"CenterSansSC-{weight}",
        6: f"CenterSansSC-{weight}",
    }
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    # Written next to its place and renamed: a reader never finds half a file.
    handle, part = tempfile.mkstemp(dir=target, suffix=".part")
    os.close(handle)
    font.save(part)
    os.replace(part, Path(target) / file_name(weight))
