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
    // Words typed before this script ran (a slow line, a form the browser restored on Back).
    if (input.value.trim()) { run(); }
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
  // The items of a new application (applications/apply.html): a container with
  // data-item-filters="ID" narrows the rows of table ID to the "one thing" package and the
  // department chosen and to the words typed (every word); ticked rows always stay in sight.
  // "Tick every item listed" takes a package's items at one press.
  document.querySelectorAll("[data-item-filters]").forEach(function (box) {
    var rows = Array.prototype.slice.call(
      document.querySelectorAll("#" + box.dataset.itemFilters + " tbody tr"));
    var words = box.querySelector("input[type=search]");
    var pack = box.querySelector("select[data-by=package]");
    var department = box.querySelector("select[data-by=department]");
    var take = box.querySelector("[data-take-listed]");
    var said = box.querySelector("[data-filter-status]");
    function listed(row) {
      var box = row.querySelector("input[type=checkbox]");
      if (box && box.checked) { return true; }
      if (pack.value && row.dataset.packages.split(" ").indexOf(pack.value) < 0) { return false; }
      if (department.value && row.dataset.department !== department.value) { return false; }
      var text = row.textContent.toLowerCase();
      return words.value.trim().toLowerCase().split(/\s+/).filter(Boolean)
        .every(function (w) { return text.indexOf(w) >= 0; });
    }
    function apply() {
      var shown = 0;
      rows.forEach(function (row) { row.hidden = !listed(row); shown += row.hidden ? 0 : 1; });
      var narrowed = pack.value || department.value || words.value.trim();
      take.hidden = !narrowed;
      said.textContent = narrowed ? box.dataset.shown.replace("%s", shown) : "";
    }
    [words, pack, department].forEach(function (control) {
      control.addEventListener("input", apply);
      control.addEventListener("change", apply);
    });
    if (pack.value || department.value || words.value.trim()) { apply(); }  // as above
    // Enter in the words filters; it must not send the form (its first button registers a
    // project).
    words.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    take.addEventListener("click", function () {
      rows.forEach(function (row) {
        var box = row.querySelector("input[type=checkbox]");
        if (!row.hidden && box) { box.checked = true; }
      });
    });
  });
  // The checklist (applications/application.html): each line shows the field its status needs
  // (copies when received, the promised date when to follow, the note when missing, or a note
  // already written), so a line costs at most two stops of the keyboard: the status (one radio
  // group) and that field. "All received" marks every line, or the lines one item requires,
  // received with the copies the items ask for. Without the script every field shows.
  document.querySelectorAll("form[data-checklist]").forEach(function (form) {
    var rows = Array.prototype.slice.call(form.querySelectorAll("tr[data-line]"));
    var tools = form.querySelector("[data-checklist-tools]");
    var said = form.querySelector("[data-checklist-status]");
    function status(row) {
      var checked = row.querySelector("input[type=radio]:checked");
      return checked ? checked.value : "";
    }
    function show(row) {
      var now = status(row);
      row.querySelectorAll("[data-show]").forEach(function (cell) {
        var field = cell.querySelector("input, select, textarea");
        if (!field) { return; }
        var written = field.type === "text" && field.value.trim() !== "";
        field.hidden = !(cell.dataset.show === now || written || cell.querySelector(".error"));
      });
    }
    rows.forEach(function (row) {
      show(row);
      row.addEventListener("change", function () { show(row); });
    });
    form.querySelectorAll("[data-all-received]").forEach(function (button) {
      button.addEventListener("click", function () {
        var item = button.dataset.allReceived;
        var marked = 0;
        rows.forEach(function (row) {
          if (item && row.dataset.items.split(" ").indexOf(item) < 0) { return; }
          var received = row.querySelector("input[type=radio][value=received]");
          if (!received) { return; }
          received.checked = true;
          var copies = row.querySelector("input[type=number]");
          if (copies && !(Number(copies.value) > 0)) { copies.value = row.dataset.copies; }
          show(row);
          marked += 1;
        });
        if (said) { said.textContent = tools.dataset.done.replace("%s", marked); }
      });
    });
    if (tools) { tools.hidden = false; }
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
  // Print buttons: data-print (recovery codes).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // Buttons that need a confirmation: data-confirm="question".
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
