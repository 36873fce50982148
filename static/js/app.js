// Search as you type: an input with data-search="URL" fills the element named by data-target
// with the HTML fragment the URL returns for ?q=. Keyboard: ArrowDown moves into the results.
(function () {
  "use strict";
  document.querySelectorAll("input[data-search]").forEach(function (input) {
    var target = document.getElementById(input.dataset.target);
    var timer = null;
    var last = "";
    function run() {
      var q = input.value.trim();
      if (q === last) { return; }
      last = q;
      fetch(input.dataset.search + "?q=" + encodeURIComponent(q), {
        headers: { "X-Requested-With": "fetch" }, credentials: "same-origin"
      }).then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { target.innerHTML = html; });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        var first = target.querySelector("a");
        if (first) { first.focus(); event.preventDefault(); }
      }
    });
    target.addEventListener("keydown", function (event) {
      var links = Array.prototype.slice.call(target.querySelectorAll("a"));
      var i = links.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && i < links.length - 1) { links[i + 1].focus(); event.preventDefault(); }
      if (event.key === "ArrowUp") { (i > 0 ? links[i - 1] : input).focus(); event.preventDefault(); }
    });
  });
  // Filter as you type: an input with data-filter="ID" hides the rows of table ID whose text
  // does not contain every word typed (checked rows always stay visible).
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var rows = document.querySelectorAll("#" + input.dataset.filter + " tbody tr");
    input.addEventListener("input", function () {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var box = row.querySelector("input[type=checkbox]");
        var show = (box && box.checked) || words.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !show;
      });
    });
  });
  // Parts that refresh themselves: data-refresh="URL" data-interval="seconds". A refresh is not
  // the person's activity (X-Auto-Refresh): once the idle session has ended (401) the page
  // reloads and shows the sign-in form. Not a live region (a screen reader would read the whole
  // part out every minute), and not while the keyboard's focus is in it (it would be lost).
  document.querySelectorAll("[data-refresh]").forEach(function (part) {
    setInterval(function () {
      if (part.contains(document.activeElement)) { return; }
      fetch(part.dataset.refresh, { credentials: "same-origin", headers: { "X-Auto-Refresh": "1" } })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) { if (html !== null) { part.innerHTML = html; } });
    }, 1000 * Number(part.dataset.interval || 60));
  });
  // Buttons that need a confirmation: data-confirm="question".
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
