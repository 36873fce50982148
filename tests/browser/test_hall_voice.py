"""The hall display's spoken call in Chromium (issue 14): static/hall/announce.js plays the
pieces hall/voice.py names, in order, one call after another, never two at once, a duplicate
dropped, and nothing until the browser lets the page play sound.

The page is tests/browser/pages/hall_voice.html opened from a file, with the pieces' JSON as the
display's server renders it (json_script of hall.voice.page_data) pointing at the committed
files. Most tests replace HTMLMediaElement.play to record what is played and say "ended" when
the test wants; one lets Chromium really play a call through, and one decodes every piece with
Chromium's own decoder to check it is short and not silent.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from django.utils.html import json_script

from hall import voice

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
PAGES = Path(__file__).with_name("pages")

# Records every play() (its piece and whether muted), says "ended" on its own (window.__auto) or
# when the test calls __end(), and refuses to play before a user's click when __needGesture is
# set, as Chromium's autoplay policy does (Playwright's evaluate() counts as a gesture for
# Chromium itself, so the stand-in watches for a real click).
FAKE_AUDIO = """
window.__played = [];
window.__playing = [];
window.__maxPlaying = 0;
window.__auto = true;
window.__needGesture = false;
window.__clicked = false;
document.addEventListener("click", function (event) {
  if (event.isTrusted) { window.__clicked = true; }
}, true);
window.__end = function () {
  var element = window.__playing.shift();
  if (element) { element.dispatchEvent(new Event("ended")); }
};
HTMLMediaElement.prototype.pause = function () {};
HTMLMediaElement.prototype.play = function () {
  var element = this;
  if (window.__needGesture && !window.__clicked) {
    return Promise.reject(new DOMException("no gesture yet", "NotAllowedError"));
  }
  window.__played.push({ src: element.getAttribute("src"), muted: element.muted });
  if (!element.muted) {
    window.__playing.push(element);
    window.__maxPlaying = Math.max(window.__maxPlaying, window.__playing.length);
    if (window.__auto) { setTimeout(window.__end, 1); }
  }
  return Promise.resolve();
};
"""

# Lets Chromium play for real, recording each piece started and each that ended.
REAL_AUDIO = """
window.__played = [];
window.__ended = [];
var play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  var element = this;
  if (!element.muted) {
    window.__played.push(element.getAttribute("src"));
    element.addEventListener("ended", function () {
      window.__ended.push(element.getAttribute("src"));
    }, { once: true });
  }
  return play.call(element);
};
"""


def url(path: str) -> str:
    return (STATIC / path).as_uri()


@pytest.fixture
def hall_page(page, tmp_path):
    """Opens the test page; `hall_page(script)` first adds the audio stand-in `script`."""

    def open_page(script: str = FAKE_AUDIO):
        html = (PAGES / "hall_voice.html").read_text(encoding="utf-8")
        html = html.replace("__PIECES__", json_script(voice.page_data(url), "hall-voice-pieces"))
        html = html.replace("__ANNOUNCE_JS__", (STATIC / "hall" / "announce.js").as_uri())
        html = html.replace("__BIND_JS__", (PAGES / "hall_voice_bind.js").as_uri())
        target = tmp_path / "hall_voice.html"
        target.write_text(html, encoding="utf-8")
        page.add_init_script(script=script)
        page.goto(target.as_uri())
        page.wait_for_function("window.HallVoice !== undefined")
        return page

    return open_page


def played(page) -> list[str]:
    """The pieces played aloud so far, as static paths."""
    return [
        Path(p["src"].removeprefix("file://")).relative_to(STATIC).as_posix()
        for p in page.evaluate("window.__played")
        if not p["muted"]
    ]


def wait_until_quiet(page) -> None:
    page.wait_for_function("window.HallVoice.queueLength() === 0")


def test_a_call_is_played_piece_by_piece_in_order(hall_page):
    page = hall_page()
    assert page.evaluate("HallVoice.announce('A023', 'A05')") is True
    wait_until_quiet(page)
    assert played(page) == voice.pieces("A023", "A05")
    assert played(page)[:3] == [
        "hall/voice/chime.ogg",
        "hall/voice/qing.ogg",
        "hall/voice/letter-a.ogg",
    ]


def test_two_calls_arriving_together_are_spoken_one_after_the_other(hall_page):
    page = hall_page()
    page.evaluate("window.__auto = false")
    assert page.evaluate(
        "[HallVoice.announce('A023', 'A05'), HallVoice.announce('B101', 'B12')]"
    ) == [
        True,
        True,
    ]
    page.wait_for_function("window.__played.length === 1")
    assert page.evaluate("HallVoice.queueLength()") == 2
    assert played(page) == ["hall/voice/chime.ogg"]  # the second call waits for the first
    first, second = voice.pieces("A023", "A05"), voice.pieces("B101", "B12")
    for count in range(2, len(first) + len(second) + 1):
        page.evaluate("window.__end()")
        page.wait_for_function(f"window.__played.length === {count}")
        if count == len(first):
            assert page.evaluate("HallVoice.queueLength()") == 2
        if count == len(first) + 1:
            assert page.evaluate("HallVoice.queueLength()") == 1
    page.evaluate("window.__end()")
    wait_until_quiet(page)
    assert played(page) == first + second
    assert page.evaluate("window.__maxPlaying") == 1  # never two pieces at once


def test_the_same_call_arriving_twice_is_spoken_once(hall_page):
    page = hall_page()
    page.evaluate("window.__auto = false")
    answers = page.evaluate(
        "[HallVoice.announce('A023', 'A05'), HallVoice.announce('A023', 'A05'),"
        " HallVoice.announce('A024', 'A05'), HallVoice.announce('A024', 'A05')]"
    )
    assert answers == [True, False, True, False]
    assert page.evaluate("HallVoice.queueLength()") == 2
    page.evaluate("window.__auto = true; window.__end()")
    wait_until_quiet(page)
    assert played(page) == voice.pieces("A023", "A05") + voice.pieces("A024", "A05")
    # Just after: the same call again without an id is still a duplicate (an event delivered twice).
    assert page.evaluate("HallVoice.announce('A023', 'A05')") is False


def test_calls_with_ids_are_told_apart_by_id(hall_page):
    page = hall_page()
    assert page.evaluate("HallVoice.announce('A023', 'A05', 41)") is True
    wait_until_quiet(page)
    # The same event replayed (a reconnection), even once the call was spoken: dropped.
    assert page.evaluate("HallVoice.announce('A023', 'A05', 41)") is False
    # The clerk calls the ticket again: a new call, with its own id, is spoken.
    assert page.evaluate("HallVoice.announce('A023', 'A05', 42)") is True
    wait_until_quiet(page)
    assert played(page) == voice.pieces("A023", "A05") * 2


@pytest.mark.parametrize(
    ("ticket", "window"),
    [("a023", "A05"), ("A23", "A05"), ("A023", "A5"), ("A023", "A05 "), ("A0<b>", "A05"), ("", "")],
)
def test_it_refuses_what_is_not_a_ticket_or_a_window(hall_page, ticket, window):
    page = hall_page()
    assert page.evaluate("([t, w]) => HallVoice.announce(t, w)", [ticket, window]) is False
    assert page.evaluate("HallVoice.queueLength()") == 0
    assert played(page) == []


def test_nothing_is_played_before_the_button_turns_the_sound_on(hall_page, shot):
    page = hall_page()
    page.evaluate("window.__needGesture = true")
    button = page.get_by_role("button", name="开启语音播报 / Turn on announcements")
    shot("hall-voice-locked")
    assert button.is_visible()
    # The browser refuses: the call is dropped (the screen shows it), not kept for later.
    assert page.evaluate("HallVoice.announce('A023', 'A05')") is True
    wait_until_quiet(page)
    assert played(page) == []
    assert page.evaluate("HallVoice.announce('A024', 'A05')") is False
    assert button.is_visible()

    button.click()
    page.wait_for_function("document.getElementById('voice-unlock').hidden")
    assert not button.is_visible()
    # Unlocking played every piece muted, nothing aloud.
    assert played(page) == []
    muted = {p["src"] for p in page.evaluate("window.__played") if p["muted"]}
    assert len(muted) == len(voice.PIECES)
    assert page.evaluate("HallVoice.announce('A025', 'A05')") is True
    wait_until_quiet(page)
    assert played(page) == voice.pieces("A025", "A05")
    assert page.evaluate("HallVoice.unlock()") is True


def test_chromium_really_plays_a_call_through(hall_page):
    page = hall_page(REAL_AUDIO)
    page.get_by_role("button", name="开启语音播报 / Turn on announcements").click()
    page.wait_for_function("document.getElementById('voice-unlock').hidden")
    assert page.evaluate("HallVoice.announce('C107', 'B12')") is True
    wait_until_quiet(page)
    expected = [url(p) for p in voice.pieces("C107", "B12")]
    assert page.evaluate("window.__played") == expected
    # Each piece ended by itself (not given up after the time limit).
    assert page.evaluate("window.__ended") == expected


def test_every_piece_decodes_in_chromium_short_and_not_silent(hall_page):
    page = hall_page()
    encoded = [base64.b64encode((STATIC / p).read_bytes()).decode() for p in voice.PIECES]
    measured = page.evaluate(
        """async (pieces) => {
          const context = new OfflineAudioContext(1, 1, 48000);
          const out = [];
          for (const piece of pieces) {
            const bytes = Uint8Array.from(atob(piece), (c) => c.charCodeAt(0));
            const audio = await context.decodeAudioData(bytes.buffer);
            const samples = audio.getChannelData(0);
            let sum = 0;
            for (const s of samples) { sum += s * s; }
            out.push([audio.duration, Math.sqrt(sum / samples.length)]);
          }
          return out;
        }""",
        encoded,
    )
    for piece, (seconds, rms) in zip(voice.PIECES, measured, strict=True):
        assert 0.15 < seconds < 1.5, piece
        assert rms > 0.02, piece
