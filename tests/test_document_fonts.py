"""The documents' own font (applications/document_fonts.py): it changes what a print costs, never
what it shows. Cut here to a few characters, so that most of a slip falls back to Noto."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command

from applications import document_fonts, documents
from applications.models import Document

from .test_documents import pdf_text

PDFFONTS = shutil.which("pdffonts") or "/usr/bin/pdffonts"
FEW = "受理通知书承诺件" + "".join(map(chr, range(0x20, 0x7F)))


def fresh_fonts() -> None:
    """Each thread keeps its font configuration: the next print builds it again."""
    if hasattr(documents._local, "font_config"):
        del documents._local.font_config


@pytest.fixture(scope="module")
def cut(tmp_path_factory):
    from django.conf import settings

    place = tmp_path_factory.mktemp("fonts")
    before = settings.DOCUMENT_FONTS_DIR
    settings.DOCUMENT_FONTS_DIR = place
    try:
        document_fonts.make(keep={ord(c) for c in FEW}, weights=["Regular"])
    finally:
        settings.DOCUMENT_FONTS_DIR = before
    return place


@pytest.fixture
def fonts_in(settings):
    def put(place):
        settings.DOCUMENT_FONTS_DIR = place
        fresh_fonts()

    yield put
    fresh_fonts()


def fonts_of(pdf: bytes, tmp_path) -> str:
    """The fonts a PDF embeds, as poppler's pdffonts lists them."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(  # noqa: S603 (a fixed program on a file the test wrote)
        [PDFFONTS, str(path)], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def slip_of(accepted) -> Document:
    return accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)


def test_a_slip_prints_with_the_cut_font_and_falls_back_to_noto_for_the_rest(
    accepted, cut, fonts_in, tmp_path
):
    slip = slip_of(accepted)
    fonts_in(tmp_path / "none")
    plain = documents.render_pdf(slip)
    fonts_in(cut)
    with_cut = documents.render_pdf(slip)

    assert "Center-Sans-SC" in fonts_of(with_cut, tmp_path)
    assert "Center-Sans-SC" not in fonts_of(plain, tmp_path)
    # Characters outside the cut (the applicant's name, the items; the bold) come from Noto.
    assert "Noto-Sans-CJK-SC" in fonts_of(with_cut, tmp_path)
    # Every character is there (a line that mixes two fonts may be read out in another order).
    assert sorted(pdf_text(with_cut, tmp_path)) == sorted(pdf_text(plain, tmp_path))


def test_without_the_files_documents_print_from_noto(accepted, fonts_in, tmp_path):
    fonts_in(tmp_path / "never-made")
    pdf = documents.render_pdf(slip_of(accepted))
    assert "Center-Sans-SC" not in fonts_of(pdf, tmp_path)
    assert "Noto-Sans-CJK-SC" in fonts_of(pdf, tmp_path)
    assert "受理通知书" in pdf_text(pdf, tmp_path)


def test_the_files_are_kept_unless_replaced(cut, settings):
    settings.DOCUMENT_FONTS_DIR = cut
    files = document_fonts.made()
    assert [path.name for path in files] == ["CenterSansSC-Regular.otf"]
    stamps = [path.stat().st_mtime_ns for path in files]
    assert document_fonts.make(weights=["Regular"]) == files  # nothing cut again
    assert [path.stat().st_mtime_ns for path in files] == stamps
    assert not list(cut.glob("*.part"))


def test_the_command_says_what_is_missing(settings, tmp_path, monkeypatch):
    settings.DOCUMENT_FONTS_DIR = tmp_path / "fonts"
    monkeypatch.setattr(document_fonts, "SOURCE_DIR", str(tmp_path / "no-fonts-here"))
    with pytest.raises(CommandError, match="Noto Sans CJK SC Regular is not under"):
        call_command("make_document_fonts")
    assert document_fonts.made() == []
