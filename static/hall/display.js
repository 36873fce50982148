// The hall display (hall:display): polls hall:display_state every second with If-None-Match
// (the server answers 304 while nothing changed), shows the calls and the waiting counts, and
// announces each new call with HallVoice (static/hall/announce.js, docs/hall-voice.md). Calls on
// the screen when the page loads are not announced again.
(function () {
  "use strict";
  var board = document.querySelector("[data-display]");
  if (!board) { return; }
  var POLL_MS = 1000;
  var RETRY_MS = 2000;
  var RECENT = 8;
  var url = board.getAttribute("data-state-url");
  var etag = board.getAttribute("data-etag") || "";
  var latestNode = board.querySelector("[data-latest]");
  var recentNode = board.querySelector("[data-recent]");
  var waitingNode = board.querySelector("[data-waiting]");
  var offline = board.querySelector("[data-offline]");
  var words = document.getElementById("display-words");
  var template = words ? words.content.textContent.trim() : "{ticket} → {window}";
  var seen = {};
  var failures = 0;
  var voice = window.HallVoice;

  var unlock = document.getElementById("voice-unlock");
  if (voice && unlock) { voice.bindUnlockButton(unlock); }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function renderLatest(call) {
    latestNode.textContent = "";
    if (!call) { return; }
    var line = element("p", "latest-call");
    var ticket = element("span", "latest-ticket", call.ticket);
    ticket.setAttribute("data-testid", "latest-ticket");
    var arrow = element("span", "latest-arrow", "→");
    arrow.setAttribute("aria-hidden", "true");
    var windowBox = element("span", "latest-window");
    var windowNumber = element("span", "", call.window);
    windowNumber.setAttribute("data-testid", "latest-window");
    windowBox.appendChild(windowNumber);
    line.appendChild(ticket);
    line.appendChild(document.createTextNode(" "));
    line.appendChild(arrow);
    line.appendChild(document.createTextNode(" "));
    line.appendChild(windowBox);
    var sentence = template.replace("{ticket}", call.ticket).replace("{window}", call.window);
    var said = element("p", "latest-words", sentence + " · " + call.window_name);
    latestNode.appendChild(line);
    latestNode.appendChild(said);
    line.classList.add("fresh");
  }

  function renderRecent(calls) {
    recentNode.textContent = "";
    calls.slice(1, RECENT + 1).forEach(function (call) {
      var row = element("tr");
      row.appendChild(element("td", "ticket", call.ticket));
      var where = element("td", "", call.window + " ");
      where.appendChild(element("span", "window-name", call.window_name));
      row.appendChild(where);
      row.appendChild(element("td", "at", call.at));
      recentNode.appendChild(row);
    });
  }

  function renderWaiting(waiting) {
    waitingNode.textContent = "";
    waiting.forEach(function (business) {
      var item = element("li");
      item.appendChild(element("span", "letter", business.letter));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(element("span", "name", business.name));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(element("span", "count", String(business.count)));
      waitingNode.appendChild(item);
    });
  }

  function apply(state, announce) {
    var calls = state.calls || [];
    var fresh = calls.filter(function (call) { return !seen[call.id]; });
    calls.forEach(function (call) { seen[call.id] = true; });
    if (fresh.length || !announce) {
      renderLatest(calls[0]);
      renderRecent(calls);
    }
    renderWaiting(state.waiting || []);
    if (announce && voice) {
      // Oldest first: the hall hears them in the order they were made.
      fresh.slice().reverse().forEach(function (call) {
        voice.announce(call.ticket, call.window, call.id);
      });
    }
  }

  function poll() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(url, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        etag = response.headers.get("ETag") || "";
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        offline.hidden = true;
        if (state) { apply(state, true); }
        setTimeout(poll, POLL_MS);
      })
      .catch(function () {
        failures += 1;
        if (failures >= 3) { offline.hidden = false; }
        setTimeout(poll, RETRY_MS);
      });
  }

  var initial = document.getElementById("hall-display-state");
  if (initial) {
    try { apply(JSON.parse(initial.textContent), false); } catch (error) { /* the server's HTML stays */ }
  }
  setTimeout(poll, POLL_MS);
})();
