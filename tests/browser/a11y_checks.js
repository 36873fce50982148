// The accessibility check of a page, run in the page (tests/browser/a11y.py puts it there after
// axe-core). Three functions on window:
//   __a11yOwnChecks(): the checks axe-core does not make;
//   __a11yRun(tags): axe-core's rules of those tags and the own checks, one list of
//     {rule, description, selector, html};
//   __a11yWatch(tags): in the top window of a page of the server (not the Django admin), runs
//     __a11yRun at the load event and again after every change to the page, and tells the test
//     through the binding __a11yReport(kind, document, payload): "begin" as the document starts,
//     "dirty" when a check is due, "done" with the violations.

window.__a11yOwnChecks = () => {
  // Han characters and the Chinese punctuation and full-width forms around them.
  const CHINESE = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/;
  const found = [];

  function selector(element) {
    // A CSS path that finds this element again: up to the nearest unique id.
    const parts = [];
    for (let el = element; el && el.nodeType === 1; el = el.parentElement) {
      if (el.id && document.querySelectorAll(`#${CSS.escape(el.id)}`).length === 1) {
        parts.unshift(`#${CSS.escape(el.id)}`);
        break;
      }
      let part = el.localName;
      const parent = el.parentElement;
      if (parent) {
        const same = [...parent.children].filter((c) => c.localName === el.localName);
        if (same.length > 1) part += `:nth-of-type(${same.indexOf(el) + 1})`;
      }
      parts.unshift(part);
    }
    return parts.join(" > ");
  }

  function report(rule, element, description) {
    const html = element.outerHTML.replace(/\s+/g, " ");
    found.push({
      rule,
      description,
      selector: selector(element),
      html: html.length > 240 ? `${html.slice(0, 240)}…` : html,
    });
  }

  function text(element) {
    return (
      element.textContent.trim() ||
      (element.getAttribute("aria-label") || "").trim() ||
      (element.getAttribute("alt") || "").trim()
    );
  }

  // 1. Every id once (WCAG 4.1.1 in 2.1; references below would find the first one only).
  const byId = new Map();
  for (const el of document.querySelectorAll("[id]")) {
    byId.set(el.id, [...(byId.get(el.id) || []), el]);
  }
  for (const [id, elements] of byId) {
    if (elements.length > 1) {
      for (const el of elements.slice(1)) {
        report("duplicate-id", el, `id "${id}" is on ${elements.length} elements`);
      }
    }
  }

  // 2. References to ids: each names an element that is there and says something.
  for (const attribute of ["aria-describedby", "aria-labelledby"]) {
    for (const el of document.querySelectorAll(`[${attribute}]`)) {
      const ids = el.getAttribute(attribute).trim().split(/\s+/).filter(Boolean);
      if (!ids.length) report("idref-empty", el, `${attribute} is empty`);
      for (const id of ids) {
        const target = document.getElementById(id);
        if (!target) {
          report("idref-missing", el, `${attribute} names "${id}", which is not on the page`);
        } else if (!text(target)) {
          report("idref-empty-target", el, `${attribute} names "${id}", which has no text`);
        }
      }
    }
  }
  const LABELABLE = "button, input:not([type=hidden]), meter, output, progress, select, textarea";
  for (const label of document.querySelectorAll("label[for]")) {
    const id = label.getAttribute("for").trim();
    const target = id && document.getElementById(id);
    if (!id) report("label-for-empty", label, 'label for="" names no control');
    else if (!target) report("label-for-missing", label, `label for="${id}": no such element`);
    else if (!target.matches(LABELABLE)) {
      report("label-for-not-control", label, `label for="${id}" names a <${target.localName}>`);
    }
  }

  // 3. The skip link is the first stop of the Tab key and leads to an element that is there.
  const FOCUSABLE =
    "a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable]";
  const stops = [...document.querySelectorAll(FOCUSABLE)].filter(
    (el) =>
      el.tabIndex >= 0 &&
      !el.disabled &&
      !(el.localName === "input" && el.type === "hidden") &&
      !el.closest("[inert]") &&
      el.getClientRects().length > 0 &&
      getComputedStyle(el).visibility !== "hidden",
  );
  // Positive tabindex values come first, in their order; then the document's order.
  const ordered = [
    ...stops.filter((el) => el.tabIndex > 0).sort((a, b) => a.tabIndex - b.tabIndex),
    ...stops.filter((el) => el.tabIndex === 0),
  ];
  const first = ordered[0];
  const skipTarget =
    first && first.localName === "a" && (first.getAttribute("href") || "").startsWith("#")
      ? document.getElementById(decodeURIComponent(first.getAttribute("href").slice(1)))
      : null;
  if (matchMedia("print").matches) {
    // As printed (emulated by a test): no keyboard, and the skip link is not printed.
  } else if (!first) {
    report("skip-link-first", document.body, "the page has nothing to focus, not even a skip link");
  } else if (!skipTarget || !skipTarget.matches("main, [role=main]")) {
    report("skip-link-first", first, "the first Tab stop is not a skip link to the main content");
  }

  // 4. On a page not in Chinese, Chinese text is marked lang="zh" (WCAG 3.1.2), so that a screen
  // reader reads it in a Chinese voice.
  const pageLanguage = (document.documentElement.getAttribute("lang") || "").toLowerCase();
  const isChinese = (el) => {
    const holder = el.closest("[lang]");
    return holder ? holder.getAttribute("lang").toLowerCase().startsWith("zh") : false;
  };
  if (!pageLanguage.startsWith("zh")) {
    // The title cannot mark a part as Chinese: there, Chinese is only a name the page shows marked
    // (a proper name: WCAG 3.1.2's exception), never words of the interface.
    const marked = [...document.body.querySelectorAll("[lang^=zh]")].map((e) => e.textContent);
    const title = document.querySelector("title");
    const runs = title ? title.textContent.match(new RegExp(`${CHINESE.source}+`, "g")) || [] : [];
    const unmarked = runs.filter((run) => !marked.some((text) => text.includes(run)));
    if (unmarked.length) {
      report("chinese-without-lang", title, `Chinese "${unmarked[0]}" in the title is not a name the page shows`);
    }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const reported = new Set();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest("script, style, noscript, template")) continue;
      if (!CHINESE.test(node.data) || isChinese(parent) || reported.has(parent)) continue;
      reported.add(parent);
      const words = node.data.trim().slice(0, 40);
      report("chinese-without-lang", parent, `Chinese text "${words}" on a page in "${pageLanguage}"`);
    }
    const ATTRIBUTES = ["title", "alt", "placeholder", "aria-label", "value"];
    for (const el of document.body.querySelectorAll("*")) {
      for (const attribute of ATTRIBUTES) {
        const value = el.getAttribute(attribute);
        if (attribute === "value" && !el.matches("input[type=submit], input[type=button]")) continue;
        if (value && CHINESE.test(value) && !isChinese(el)) {
          report("chinese-without-lang", el, `Chinese ${attribute} "${value.slice(0, 40)}"`);
        }
      }
    }
  }
  return found;
};

window.__a11yRun = async (tags) => {
  const result = await window.axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations", "incomplete"],
  });
  const cut = (html) => (html.length > 240 ? `${html.slice(0, 240)}…` : html);
  const found = result.violations.flatMap((v) =>
    v.nodes.map((node) => ({
      rule: v.id,
      description: `${v.help} (${v.impact}): ${node.failureSummary.replace(/\s+/g, " ")}`,
      selector: node.target.join(" "),
      html: cut(node.html),
    })),
  );
  // axe leaves text of one character (a count, a digit) undecided: too short to tell whether it
  // is text. A count is text; it is held to the same contrast as the words around it.
  for (const v of result.incomplete.filter((r) => r.id === "color-contrast")) {
    for (const node of v.nodes) {
      const data = (node.any[0] || {}).data || {};
      const expected = parseFloat(data.expectedContrastRatio);
      const measured = data.fgColor && data.bgColor && data.contrastRatio > 0;
      if (data.messageKey === "shortTextContent" && measured && data.contrastRatio < expected) {
        found.push({
          rule: "color-contrast",
          description: `Short text must have sufficient color contrast: ${data.contrastRatio}:1 (${data.fgColor} on ${data.bgColor}), needs ${data.expectedContrastRatio}`,
          selector: node.target.join(" "),
          html: cut(node.html),
        });
      }
    }
  }
  return found.concat(window.__a11yOwnChecks());
};

window.__a11yWatch = (tags) => {
  if (window.top !== window || !window.__a11yReport) return;
  const doc = Math.random().toString(36).slice(2);
  const report = (kind, payload) => window.__a11yReport(kind, doc, payload || {});
  const ours = /^https?:$/.test(location.protocol) && !location.pathname.startsWith("/admin/");
  if (!ours) {
    report("done", { url: location.href, skipped: true, settled: true });
    return;
  }
  report("begin", { url: location.href });
  let running = false; // a check is running
  let again = false; // the page changed while it ran
  let timer = null; // a check is due
  let dirty = false; // the test was told a check is due
  const schedule = () => {
    clearTimeout(timer);
    if (!dirty) {
      dirty = true;
      report("dirty");
    }
    timer = setTimeout(run, 300);
  };
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    dirty = false;
    const url = location.href;
    let payload;
    try {
      if (document.contentType !== "text/html") payload = { url, skipped: true };
      else {
        const violations = await window.__a11yRun(tags);
        payload = { url, lang: document.documentElement.lang, violations };
      }
    } catch (error) {
      payload = { url, error: String(error) };
    }
    running = false;
    // Settled: no change since, none due; the test may leave the page.
    report("done", { ...payload, settled: !again && timer === null });
    if (again) {
      again = false;
      schedule();
    }
  };
  const start = () => {
    run();
    const observer = new MutationObserver(schedule);
    observer.observe(document.documentElement, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  };
  if (document.readyState === "complete") start();
  else addEventListener("load", start, { once: true });
};
