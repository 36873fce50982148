// The rating pad: ask the server every few seconds what to show (hall:pad_state) and replace
// the screen when it changed. The server answers 304 while the ETag it gave still holds. After
// a rating (or a refusal) the message stays for data-hold-ms first.
(function () {
  "use strict";
  var screen = document.getElementById("pad-screen");
  if (!screen) { return; }
  var etag = screen.dataset.etag || "";
  var every = parseInt(screen.dataset.pollMs, 10) || 2000;
  var hold = parseInt(screen.dataset.holdMs || "0", 10);

  function poll() {
    var headers = { "X-Requested-With": "fetch" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(screen.dataset.poll, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status !== 200) { return null; }
        etag = response.headers.get("ETag") || "";
        return response.text().then(function (html) { screen.innerHTML = html; });
      })
      .catch(function () { return null; }) // the network is back at the next turn
      .then(function () { setTimeout(poll, every); });
  }

  setTimeout(poll, hold > 0 ? hold : every);
}());
