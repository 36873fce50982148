// The kiosk (hall:kiosk): the on-screen digit pad for the optional mobile or ID number (kiosks
// have no keyboard; the field takes a keyboard too), one ticket per touch, and a screen left
// alone for a minute forgets what was typed (the next visitor must not see it).
(function () {
  "use strict";
  var form = document.querySelector("[data-kiosk]");
  if (!form) { return; }
  var field = form.querySelector("[data-pad-field]");
  var pad = form.querySelector("[data-pad]");
  var idleMs = (parseInt(form.getAttribute("data-idle-seconds"), 10) || 60) * 1000;
  var timer = null;
  var sent = false;

  if (pad && field) {
    pad.hidden = false;
    pad.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-key]");
      if (!button) { return; }
      var key = button.getAttribute("data-key");
      if (key === "back") {
        field.value = field.value.slice(0, -1);
      } else if (key === "clear") {
        field.value = "";
      } else if (field.value.length < 18) {
        field.value += key;
      }
    });
  }

  function forget() {
    if (field) { field.value = ""; }
    var errors = form.querySelectorAll("[role=alert]");
    for (var i = 0; i < errors.length; i++) { errors[i].remove(); }
  }

  function touched() {
    clearTimeout(timer);
    timer = setTimeout(forget, idleMs);
  }
  ["pointerdown", "keydown", "input"].forEach(function (name) {
    document.addEventListener(name, touched, true);
  });
  touched();

  // A second touch while the first ticket is on its way would print a second ticket.
  form.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); return; }
    sent = true;
    form.classList.add("sending");
  });
  // Back from the ticket page by the browser's history: the page may come from its cache.
  window.addEventListener("pageshow", function () {
    sent = false;
    form.classList.remove("sending");
  });
})();
