/* The kiosk's on-screen pad for the appointment code (templates/hall/check_in.html): each key
   adds its character to the code field, "⌫" takes the last one away, "Clear" empties it. The
   field stays an ordinary input, so a keyboard or a scanner works too. No inline script (CSP). */
(function () {
  "use strict";
  var pad = document.querySelector(".checkin-pad");
  if (!pad) return;
  var input = document.getElementById(pad.getAttribute("data-target"));
  var length = parseInt(pad.getAttribute("data-length"), 10) || 6;
  if (!input) return;
  input.setAttribute("maxlength", String(length));
  pad.addEventListener("click", function (event) {
    var key = event.target.closest("button");
    if (!key || !pad.contains(key)) return;
    var value = input.value.toUpperCase().replace(/[\s-]/g, "");
    var action = key.getAttribute("data-action");
    if (action === "back") {
      value = value.slice(0, -1);
    } else if (action === "clear") {
      value = "";
    } else if (value.length < length) {
      value += key.getAttribute("data-key");
    }
    input.value = value;
  });
})();
