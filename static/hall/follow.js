// The follow page (hall:follow): every 15 seconds the status part is fetched again and put in
// place (a polite live region: a screen reader hears the change; nothing else moves).
(function () {
  "use strict";
  var region = document.querySelector("[data-follow-status]");
  if (!region || !window.fetch || !window.DOMParser) { return; }
  var EVERY_MS = 15000;
  function update() {
    fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector("[data-follow-status]");
        if (fresh && fresh.innerHTML !== region.innerHTML) { region.innerHTML = fresh.innerHTML; }
        var time = document.querySelector("[data-follow-time]");
        var freshTime = page.querySelector("[data-follow-time]");
        if (time && freshTime) { time.textContent = freshTime.textContent; }
      })
      .catch(function () { /* offline for a moment: the next turn tries again */ })
      .then(function () { setTimeout(update, EVERY_MS); });
  }
  setTimeout(update, EVERY_MS);
})();
