"""The hall's spoken call (hall/voice.py) and its recorded pieces (static/hall/voice/).

Nobody can listen in a test: each piece is checked to be a well-formed Ogg Opus file (every page's
checksum right), short, and not silent (decoded by opusdec when it is installed; the browser test
tests/browser/test_hall_voice.py decodes every piece with Chromium's own decoder too).
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest

from hall import voice

STATIC = Path(__file__).resolve().parents[1] / "static"
MAX_SECONDS = 1.5
MAX_TOTAL = 600 * 1024
MIN_RMS = 0.02  # of full scale; the pieces are made at about 0.16


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else r << 1
        table.append(r & 0xFFFFFFFF)
    return table


CRC = _crc_table()


def ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ CRC[((crc >> 24) & 0xFF) ^ byte]
    return crc


def ogg_pages(data: bytes) -> list[tuple[int, bytes]]:
    """(granule position, body) of each page; fails on a page that is not well formed."""
    pages, at = [], 0
    while at < len(data):
        assert data[at : at + 4] == b"OggS", f"no Ogg page at byte {at}"
        assert data[at + 4] == 0, "Ogg version"
        granule = struct.unpack_from("<q", data, at + 6)[0]
        (crc,) = struct.unpack_from("<I", data, at + 22)
        segments = data[at + 26]
        body_length = sum(data[at + 27 : at + 27 + segments])
        end = at + 27 + segments + body_length
        assert end <= len(data), "a page cut short"
        page = bytearray(data[at:end])
        page[22:26] = b"\0\0\0\0"
        assert ogg_crc(bytes(page)) == crc, f"checksum of the page at byte {at}"
        pages.append((granule, data[at + 27 + segments : end]))
        at = end
    return pages


def opus_seconds(data: bytes) -> float:
    """The playing time of an Ogg Opus file: its last granule position less the pre-skip."""
    pages = ogg_pages(data)
    head = pages[0][1]
    assert head[:8] == b"OpusHead", "not Opus"
    assert head[9] == 1, "not mono"
    assert pages[1][1][:8] == b"OpusTags"
    (pre_skip,) = struct.unpack_from("<H", head, 10)
    return (pages[-1][0] - pre_skip) / 48000


def test_it_calls_a_ticket_to_a_window_in_order():
    assert voice.pieces("A023", "A05") == [
        "hall/voice/chime.ogg",
        "hall/voice/qing.ogg",
        "hall/voice/letter-a.ogg",
        "hall/voice/digit-0.ogg",
        "hall/voice/digit-2.ogg",
        "hall/voice/digit-3.ogg",
        "hall/voice/hao-dao.ogg",
        "hall/voice/letter-a.ogg",
        "hall/voice/digit-0.ogg",
        "hall/voice/digit-5.ogg",
        "hall/voice/hao-chuangkou.ogg",
        "hall/voice/banli.ogg",
    ]


@pytest.mark.parametrize(
    ("ticket", "window", "ticket_pieces", "window_pieces"),
    [
        (
            "B100",
            "B12",
            ["letter-b", "digit-1", "digit-0", "digit-0"],
            ["letter-b", "digit-1", "digit-2"],
        ),
        (
            "Z999",
            "Z99",
            ["letter-z", "digit-9", "digit-9", "digit-9"],
            ["letter-z", "digit-9", "digit-9"],
        ),
        (
            "C001",
            "D00",
            ["letter-c", "digit-0", "digit-0", "digit-1"],
            ["letter-d", "digit-0", "digit-0"],
        ),
        (
            "W478",
            "Q36",
            ["letter-w", "digit-4", "digit-7", "digit-8"],
            ["letter-q", "digit-3", "digit-6"],
        ),
    ],
)
def test_it_reads_every_character_one_by_one(ticket, window, ticket_pieces, window_pieces):
    said = voice.pieces(ticket, window)
    names = [Path(p).stem for p in said]
    assert names == [
        "chime",
        "qing",
        *ticket_pieces,
        "hao-dao",
        *window_pieces,
        "hao-chuangkou",
        "banli",
    ]
    assert all(p.startswith("hall/voice/") and p.endswith(".ogg") for p in said)


@pytest.mark.parametrize(
    ("ticket", "window"),
    [
        ("a023", "A05"),  # lower case
        ("A23", "A05"),  # two digits
        ("A0234", "A05"),
        ("AA23", "A05"),
        ("A023 ", "A05"),  # anything around it
        ("A023\n", "A05"),
        ("A02３", "A05"),  # a full-width digit
        ("A٠٢٣", "A05"),  # digits of another script: \d would take them
        ("", "A05"),
        ("A023", "A5"),
        ("A023", "A005"),
        ("A023", "05"),
        ("A023", "a05"),
        ("A023", "A05\n"),
        ("A023", "../x"),
        (None, "A05"),
        ("A023", 5),
    ],
)
def test_it_refuses_what_is_not_a_ticket_or_a_window(ticket, window):
    with pytest.raises(ValueError):
        voice.pieces(ticket, window)


def test_every_character_has_its_piece():
    assert set(voice.CHARACTERS) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    assert len(set(voice.PIECES)) == len(voice.PIECES) == 26 + 10 + 5


def test_every_piece_of_every_call_is_listed():
    listed = set(voice.PIECES)
    assert set(voice.pieces("A023", "A05")) <= listed
    for c in voice.CHARACTERS:
        letter = c if c.isalpha() else "A"
        digit = c if c.isdigit() else "0"
        assert (
            set(voice.pieces(f"{letter}{digit}{digit}{digit}", f"{letter}{digit}{digit}")) <= listed
        )


@pytest.mark.parametrize("piece", voice.PIECES)
def test_each_piece_is_a_short_ogg_opus_file(piece):
    data = (STATIC / piece).read_bytes()
    assert len(data) > 500
    seconds = opus_seconds(data)
    assert 0.15 < seconds < MAX_SECONDS


def test_the_pieces_are_small_together():
    total = sum((STATIC / p).stat().st_size for p in voice.PIECES)
    assert total < MAX_TOTAL
    # Nothing else lies in the folder to be shipped unnoticed.
    shipped = {p.name for p in (STATIC / "hall" / "voice").iterdir()}
    assert shipped == {Path(p).name for p in voice.PIECES} | {"README.md"}


@pytest.mark.skipif(shutil.which("opusdec") is None, reason="opusdec (opus-tools) not installed")
@pytest.mark.parametrize("piece", voice.PIECES)
def test_no_piece_is_silent(piece, tmp_path):
    out = tmp_path / "piece.wav"
    opusdec = shutil.which("opusdec")
    # The committed pieces and a temporary file: no input from outside.
    subprocess.run(  # noqa: S603
        [opusdec, "--quiet", "--rate", "16000", str(STATIC / piece), str(out)], check=True
    )
    with wave.open(str(out)) as w:
        frames = w.readframes(w.getnframes())
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
    assert rms > MIN_RMS
    assert len(samples) / 16000 < MAX_SECONDS


def test_the_page_gets_the_sentence_and_every_character():
    data = voice.page_data(url=lambda path: f"/static/{path}")
    assert data["sentence"] == [
        "/static/hall/voice/chime.ogg",
        "/static/hall/voice/qing.ogg",
        "{ticket}",
        "/static/hall/voice/hao-dao.ogg",
        "{window}",
        "/static/hall/voice/hao-chuangkou.ogg",
        "/static/hall/voice/banli.ogg",
    ]
    assert data["characters"]["A"] == "/static/hall/voice/letter-a.ogg"
    assert data["characters"]["7"] == "/static/hall/voice/digit-7.ogg"
    assert data["ticket"] == "^[A-Z][0-9]{3}$"
    assert data["window"] == "^[A-Z][0-9]{2}$"


def test_the_page_data_uses_the_static_files_urls(settings):
    settings.STATIC_URL = "/assets/"
    data = voice.page_data()
    assert data["sentence"][0] == "/assets/hall/voice/chime.ogg"
    assert set(data["characters"].values()) == {f"/assets/{p}" for p in voice.CHARACTERS.values()}
