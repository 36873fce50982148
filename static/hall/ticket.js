// The kiosk's ticket page (hall:ticket_print): print it once on the kiosk's 80 mm printer (the
// kiosk's Chromium runs with --kiosk-printing: no dialog), then back to the kiosk after the
// seconds the page says, ready for the next visitor. "Back" goes at once.
(function () {
  "use strict";
  var ticket = document.querySelector("[data-ticket]");
  if (!ticket) { return; }
  var back = ticket.getAttribute("data-return-url");
  var seconds = parseInt(ticket.getAttribute("data-return-seconds"), 10) || 8;
  window.addEventListener("load", function () {
    if (ticket.hasAttribute("data-autoprint")) { window.print(); }
    setTimeout(function () { window.location.replace(back); }, seconds * 1000);
  });
})();
