// The hall display's spoken call (issue 14): a chime, then "请 A023 号到 A05 号窗口办理" from
// recorded pieces (static/hall/voice/), offline. Load with <script src> (no inline script: CSP).
//
// The page's contract: the server renders hall.voice.page_data() with Django's json_script,
//
//   {{ hall_voice|json_script:"hall-voice-pieces" }}
//
// which gives
//
//   <script id="hall-voice-pieces" type="application/json">
//     {"sentence": ["/static/hall/voice/chime.ogg", "/static/hall/voice/qing.ogg", "{ticket}",
//                   "/static/hall/voice/hao-dao.ogg", "{window}", ...],
//      "characters": {"A": "/static/hall/voice/letter-a.ogg", ..., "0": "/static/hall/voice/digit-0.ogg", ...},
//      "ticket": "^[A-Z][0-9]{3}$", "window": "^[A-Z][0-9]{2}$"}
//   </script>
//
// "sentence" is the call in order: URLs, and the slots "{ticket}" and "{window}", each read
// character by character through "characters". The wording lives in hall/voice.py only.
//
// window.HallVoice:
//   announce(ticket, window[, id]) -> true if the call was queued, false if dropped (a number
//       that is not a ticket or a window, a duplicate, or sound known to be blocked). Calls are
//       spoken one after the other, never over each other. Duplicates: with an id (the call's
//       own id; a recall has a new one), an id already announced is dropped (the last 200 are
//       remembered); without one, the same ticket and window is dropped while it waits or is
//       spoken and for 10 s after it was queued.
//   unlock() -> Promise of true once the browser lets the page play sound. Call it from a user
//       gesture (a click): browsers block sound until one.
//   bindUnlockButton(button): a click on `button` unlocks; the button is hidden (the `hidden`
//       attribute) once sound plays, and shown again if the browser blocks it.
//   queueLength() -> the calls not yet finished, the one being spoken included.
// Sound blocked (no gesture yet, and the browser not set to allow autoplay): the call that
// met the block and those waiting are dropped, not kept for later; the screen still shows them.
(function () {
  "use strict";
  var GAP_MS = 600; // silence between two calls
  var PIECE_TIMEOUT_MS = 4000; // a piece that never says it ended is given up (pieces < 1.5 s)
  var DUPLICATE_MS = 10000;
  var REMEMBERED_IDS = 200;

  var config = null;
  var elements = {}; // URL -> its HTMLAudioElement, made once and reused
  var queue = []; // calls waiting: {key, urls}
  var current = null; // the call being spoken (kept through the gap after it)
  var ids = []; // ids announced, oldest first
  var recent = {}; // key without id -> when it was queued
  var state = "unknown"; // "unknown" | "blocked" | "unlocked"
  var buttons = [];

  function load() {
    if (config) { return config; }
    var node = document.getElementById("hall-voice-pieces");
    if (!node) { return null; }
    try {
      config = JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
    config.ticketPattern = new RegExp(config.ticket);
    config.windowPattern = new RegExp(config.window);
    allUrls().forEach(audio);
    return config;
  }

  function allUrls() {
    var urls = config.sentence.filter(function (item) { return item !== "{ticket}" && item !== "{window}"; });
    Object.keys(config.characters).forEach(function (c) { urls.push(config.characters[c]); });
    return urls;
  }

  function audio(url) {
    var element = elements[url];
    if (!element) {
      element = new Audio();
      element.preload = "auto";
      element.src = url;
      elements[url] = element;
    }
    return element;
  }

  function expand(ticket, counter) {
    var urls = [];
    config.sentence.forEach(function (item) {
      var number = item === "{ticket}" ? ticket : item === "{window}" ? counter : null;
      if (number === null) { urls.push(item); return; }
      number.split("").forEach(function (c) { urls.push(config.characters[c]); });
    });
    return urls;
  }

  function setButtons(hidden) {
    buttons.forEach(function (button) { button.hidden = hidden; });
  }

  function unlocked() {
    state = "unlocked";
    setButtons(true);
  }

  function blocked() {
    state = "blocked";
    setButtons(false);
  }

  // Plays one piece; resolves when it has ended (or failed: a piece that cannot play is
  // skipped), rejects only when the browser blocks sound.
  function playPiece(url) {
    return new Promise(function (resolve, reject) {
      var element = audio(url);
      var done = false;
      var timer = null;
      function finish(error) {
        if (done) { return; }
        done = true;
        clearTimeout(timer);
        element.removeEventListener("ended", onEnd);
        element.removeEventListener("error", onEnd);
        if (error) { reject(error); } else { resolve(); }
      }
      function onEnd() { finish(null); }
      element.addEventListener("ended", onEnd);
      element.addEventListener("error", onEnd);
      timer = setTimeout(onEnd, PIECE_TIMEOUT_MS);
      try {
        element.muted = false;
        element.currentTime = 0;
        var started = element.play();
        if (started && started.then) {
          started.then(unlocked, function (error) {
            finish(error && error.name === "NotAllowedError" ? error : null);
          });
        }
      } catch (error) {
        finish(null);
      }
    });
  }

  function next() {
    if (current || !queue.length) { return; }
    current = queue.shift();
    var call = current;
    var i = 0;
    function step() {
      if (i >= call.urls.length) {
        setTimeout(function () { current = null; next(); }, GAP_MS);
        return;
      }
      playPiece(call.urls[i++]).then(step, function () {
        queue.length = 0;
        current = null;
        blocked();
      });
    }
    step();
  }

  // `counter` is the window called to ("A05"); `window` is the browser's.
  function announce(ticket, counter, id) {
    if (!load()) { return false; }
    ticket = String(ticket);
    counter = String(counter);
    if (!config.ticketPattern.test(ticket) || !config.windowPattern.test(counter)) { return false; }
    if (state === "blocked") { return false; }
    var hasId = id !== undefined && id !== null && id !== "";
    var key = hasId ? "id:" + id : ticket + "@" + counter;
    if (current && current.key === key) { return false; }
    if (queue.some(function (call) { return call.key === key; })) { return false; }
    var now = Date.now();
    if (hasId) {
      if (ids.indexOf(key) !== -1) { return false; }
      ids.push(key);
      if (ids.length > REMEMBERED_IDS) { ids.shift(); }
    } else {
      if (recent[key] !== undefined && now - recent[key] < DUPLICATE_MS) { return false; }
      recent[key] = now;
    }
    queue.push({ key: key, urls: expand(ticket, counter) });
    next();
    return true;
  }

  // Within a user gesture, each paused piece is played muted and stopped at once: Chromium
  // then lets the document play sound, and browsers that unlock element by element (Safari)
  // have every reused element unlocked.
  function unlock() {
    if (!load()) { return Promise.resolve(false); }
    if (state === "unlocked") { return Promise.resolve(true); }
    var tries = Object.keys(elements).map(function (url) {
      var element = elements[url];
      if (!element.paused) { return Promise.resolve(); }
      element.muted = true;
      var started;
      try {
        started = element.play();
      } catch (error) {
        started = null;
      }
      return Promise.resolve(started).then(function () {
        if (!element.muted) { return; } // a call took this piece over meanwhile
        element.pause();
        element.currentTime = 0;
        element.muted = false;
      }, function (error) {
        element.muted = false;
        if (error && error.name === "NotAllowedError") { throw error; }
      });
    });
    return Promise.all(tries).then(function () {
      unlocked();
      return true;
    }, function () {
      blocked();
      return false;
    });
  }

  function bindUnlockButton(button) {
    if (!button) { return; }
    buttons.push(button);
    button.hidden = state === "unlocked";
    button.addEventListener("click", function () { unlock(); });
  }

  function queueLength() {
    return queue.length + (current ? 1 : 0);
  }

  window.HallVoice = {
    announce: announce,
    unlock: unlock,
    bindUnlockButton: bindUnlockButton,
    queueLength: queueLength
  };

  // Fetch the pieces early: the first call should not wait for the network.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", load);
  } else {
    load();
  }
})();
