// The accessibility check of a page, run in the page (tests/browser/a11y.py puts it there after
// axe-core). Three functions on window:
//   __a11yOwnChecks(): the checks axe-core does not make;
//   __a11yRun(tags): axe-core's rules of those tags and the own checks, one list of
//     {rule, description, selector, html};
//   __a11yShape(): the page's form, for the test to know axe-core has already passed a page of
//     exactly this form (null when it cannot tell: a page with frames);
//   __a11yWatch(tags): in the top window of a page of the server (not the Django admin), runs
//     __a11yRun at the load event and again after every change to the page, and tells the test
//     through the binding __a11yReport(kind, document, payload): "begin" as the document starts,
//     "dirty" when a check is due, "done" with the violations. A page of a shape axe-core passed
//     already in this test process (window.__a11yPassed, which the test puts in each new browser
//     context, and this tab's sessionStorage since) gets the own checks only: exact and cheap.
//     (The binding cannot answer: the test may be holding the next navigation while it waits.)

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

// The page's form: what axe-core's verdict depends on, with the data's digits left out.
// Every element in order, at its depth, with its attributes (the digits of addresses, names and
// texts as 0: numbers, dates, object ids; an id as first or repeated, a reference to ids as the
// places of the elements named, a link to "#x" likewise; a hidden input's value not at all;
// any other value as it is), the state of form fields, every piece of text (its digits as 0),
// the focus, the viewport and the media. Two documents of one shape
// are the same page laid out the same way with other numbers in it: axe-core finds the same
// in both. null when a page has frames (their documents are not in it).
window.__a11yShape = () => {
  if (document.querySelector("iframe, frame, object, embed")) return null;
  const elements = [...document.querySelectorAll("*")];
  const first = new Map();
  elements.forEach((el, n) => {
    if (el.id && !first.has(el.id)) first.set(el.id, n);
  });
  const REFS = new Set([
    "for",
    "headers",
    "list",
    "form",
    "aria-labelledby",
    "aria-describedby",
    "aria-controls",
    "aria-owns",
    "aria-activedescendant",
    "aria-details",
    "aria-errormessage",
    "aria-flowto",
  ]);
  const DATA = new Set([
    "href",
    "src",
    "action",
    "formaction",
    "name",
    "value",
    "title",
    "alt",
    "placeholder",
    "aria-label",
    "aria-description",
    "datetime",
  ]);
  const place = (id) => (first.has(id) ? String(first.get(id)) : "?");
  const digits = (text) => text.replace(/[0-9]+/g, "0");
  const index = new Map(elements.map((el, n) => [el, n]));
  const parts = [
    `${innerWidth}x${innerHeight} print:${matchMedia("print").matches} dark:${matchMedia("(prefers-color-scheme: dark)").matches}`,
    `focus:${index.get(document.activeElement)}`,
  ];
  const walker = document.createTreeWalker(
    document.documentElement,
    NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT,
  );
  for (let node = walker.currentNode; node; node = walker.nextNode()) {
    if (node.nodeType === Node.TEXT_NODE) {
      if (node.data.trim()) parts.push(`"${digits(node.data)}`);
      continue;
    }
    const el = node;
    // Its depth: how the elements nest is part of the form.
    let depth = 0;
    for (let up = el.parentElement; up; up = up.parentElement) depth++;
    const attributes = [...el.attributes]
      .map(({ name, value }) => {
        if (name === "id") return `id=${first.get(value) === index.get(el) ? "1" : "again"}`;
        if (REFS.has(name)) return `${name}=${value.trim().split(/\s+/).map(place).join(",")}`;
        if (name === "href" && value.startsWith("#")) return `href=#${place(value.slice(1))}`;
        if (name === "value" && el.localName === "input" && el.type === "hidden") return name;
        // Digits that are data: addresses, names, texts; any other value as it is (a colspan,
        // an aria-level, a style's sizes, a meta viewport's scale change what axe-core finds).
        if (DATA.has(name) || name.startsWith("data-")) return `${name}=${digits(value)}`;
        return `${name}=${value}`;
      })
      .sort();
    let state = "";
    if (el.matches("input:not([type=hidden]), select, textarea, option, button")) {
      const typed = el.matches("input, select, textarea") ? `v${digits(el.value)}` : "";
      state = ` [${el.checked ? "c" : ""}${el.selected ? "s" : ""}${el.disabled ? "d" : ""}${typed}]`;
    }
    parts.push(`${depth}<${el.localName} ${attributes.join(" ")}${state}`);
  }
  const text = parts.join("\n");
  // cyrb53: a 53-bit hash of the text, with its length.
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `${text.length}:${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}`;
};

window.__a11yWatch = (tags) => {
  if (window.top !== window || !window.__a11yReport) return;
  const doc = Math.random().toString(36).slice(2);
  const report = (kind, payload) => window.__a11yReport(kind, doc, payload || {});
  // Not the Django admin, nor the API's documentation page (Swagger UI: its test checks it
  // with axe-core itself, tests/browser/test_api_pages.py).
  const ours =
    /^https?:$/.test(location.protocol) &&
    !location.pathname.startsWith("/admin/") &&
    !location.pathname.startsWith("/api/v1/docs/");
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
        const passed = window.__a11yPassed;
        const shape = passed ? window.__a11yShape() : null;
        const key = `__a11y:${shape}`;
        const known = shape !== null && (passed.has(shape) || sessionStorage.getItem(key) !== null);
        const violations = known ? window.__a11yOwnChecks() : await window.__a11yRun(tags);
        payload = { url, lang: document.documentElement.lang, violations, known };
        // A shape axe-core passed is one it saw all along: not one that changed while it ran.
        if (shape !== null && !known && !violations.length && window.__a11yShape() === shape) {
          sessionStorage.setItem(key, "");
          payload.shape = shape;
        }
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
