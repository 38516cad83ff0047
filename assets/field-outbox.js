// The field app's outbox: a report that cannot reach the server (no network, a timeout, a
// 5xx) is kept on the phone in IndexedDB (photos as Blobs), per user, and sent later through
// the case API with the same draft id as external_id, so it never makes two cases.
// Every check stays on the server; this is only where a report waits.
(function () {
  "use strict";

  // -- pure: what an outcome means ------------------------------------------------------
  // An outcome is {network: true} (offline, fetch failed, timed out) or {status, reason}.
  // An item is {id, user, category, text, lon, lat, at, photos: [Blob], caseId, state,
  // reason}; state "waiting" (sent when online), "login" (held until the worker logs in
  // again), "rejected" (the server said no: shown with its reason, never retried).
  function verdict(outcome) {
    if (!outcome || outcome.network) return "retry";
    const s = outcome.status;
    if (s >= 200 && s < 300) return "sent";
    if (s === 401 || s === 0) return "login"; // 0: redirected (to the log-in page)
    if (s === 408 || s === 429 || s >= 500) return "retry";
    if (s >= 400) return "rejected";
    return "retry";
  }

  const AHEAD = /^reported_at: .* ahead of the server clock/;

  // The item after one step ("case": making the case, "photo": its first photo left).
  function advance(item, step, outcome, caseId) {
    const v = verdict(outcome);
    const next = Object.assign({}, item, { tries: (item.tries || 0) + 1, last: v });
    if (v === "sent") {
      next.state = "waiting";
      next.reason = null;
      if (step === "case") next.caseId = caseId;
      else next.photos = item.photos.slice(1);
      next.done = Boolean(next.caseId) && next.photos.length === 0;
    } else if (v === "login") {
      next.state = "login";
    } else if (v === "rejected" && step === "case" && !item.noTime && AHEAD.test(outcome.reason || "")) {
      // the phone's clock runs ahead of the server's: send again with the server's time
      next.state = "waiting";
      next.noTime = true;
      next.last = "again";
    } else if (v === "rejected") {
      next.state = "rejected";
      next.reason = (outcome.reason || "HTTP " + outcome.status).slice(0, 300);
    } else {
      next.state = "waiting";
    }
    return next;
  }

  // Is the item sent now? Rejected: never; held for log-in: at page load or when asked.
  function due(item, how) {
    if (item.state === "rejected") return false;
    if (item.state === "login") return how === "load" || how === "manual";
    return true;
  }

  // What the Dash submit's answer means for the draft it carried.
  function dashVerdict(status) {
    if (status === null) return "keep"; // no answer: network
    if (status === 401 || status === 403) return "keep-login";
    if (status === 408 || status === 429 || status >= 500) return "keep";
    return "server"; // the server answered: its message is shown by the page
  }

  // -- IndexedDB -----------------------------------------------------------------------
  const DB = "cityops-field-outbox";
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const open = indexedDB.open(DB, 1);
        open.onupgradeneeded = () => {
          const store = open.result.createObjectStore("items", { keyPath: "id" });
          store.createIndex("user", "user");
        };
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
    }
    return dbPromise;
  }
  function tx(mode, fn) {
    return db().then((d) => new Promise((resolve, reject) => {
      const t = d.transaction("items", mode);
      const result = fn(t.objectStore("items"));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      t.onerror = () => reject(t.error);
    }));
  }
  const put = (item) => tx("readwrite", (s) => { s.put(item); });
  const remove = (id) => tx("readwrite", (s) => { s.delete(id); });
  // Only this user's items: another worker on the same phone never sees or sends them.
  const itemsOf = (user) => tx("readonly", (s) => s.index("user").getAll(user))
    .then((items) => (items || []).filter((i) => i.user === user).sort((a, b) => (a.at < b.at ? -1 : 1)));

  // -- the page ------------------------------------------------------------------------
  const box = () => document.getElementById("field-outbox");
  const user = () => (box() ? box().dataset.user || "" : "");
  function words() {
    try { return JSON.parse(box().dataset.text || "{}"); } catch (e) { return {}; }
  }
  function say(key, values) {
    let text = words()[key] || key;
    Object.entries(values || {}).forEach(([k, v]) => { text = text.split("{" + k + "}").join(String(v)); });
    return text;
  }
  function setProps(id, props) {
    if (window.dash_clientside && window.dash_clientside.set_props) window.dash_clientside.set_props(id, props);
  }
  function note(text, kind) {
    setProps("field-report-message", {
      children: { type: "Div", namespace: "dash_html_components", props: { className: "field-note " + kind, children: text } },
    });
  }
  function base() {
    try {
      return JSON.parse(document.getElementById("_dash-config").textContent).requests_pathname_prefix || "/";
    } catch (e) { return "/"; }
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16)); // http on a LAN has no randomUUID
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function blobOf(dataUrl) {
    const [head, data] = String(dataUrl).split(",", 2);
    const mime = (head.match(/^data:([^;]+)/) || [])[1] || "application/octet-stream";
    const bin = atob(data || "");
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], { type: mime });
  }

  // The form as the worker left it; the position is the one the page holds (noteFix).
  let draftId = null;
  let lastFix = null;
  let photoUrls = [];
  function snapshot() {
    const checked = document.querySelector("#field-cat-list input:checked");
    const text = document.getElementById("field-report-text");
    return {
      id: draftId, user: user(), category: checked ? checked.value : null,
      text: text ? text.value.trim() : "", lon: lastFix ? lastFix.lon : null, lat: lastFix ? lastFix.lat : null,
      at: new Date().toISOString(), photos: photoUrls.slice(), caseId: null, state: "waiting", reason: null, tries: 0,
    };
  }
  function problem(draft) {
    if (!draft.category) return "need_category";
    if (draft.lon === null || draft.lat === null) return "need_position";
    if (draft.photos.length > 6) return "too_many_photos";
    return null;
  }

  async function keep(draft, why) {
    const item = Object.assign({}, draft, { photos: draft.photos.map(blobOf), state: why === "keep-login" ? "login" : "waiting" });
    await put(item);
    draftId = null; // the next report is another draft
    photoUrls = [];
    setProps("field-report-text", { value: "" }); // cleared: a second tap keeps no twin
    setProps("field-cat-list", { value: null });
    setProps("field-report-photos", { contents: null });
    await render();
  }

  // -- sending -------------------------------------------------------------------------
  async function request(path, init, timeoutMs) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const r = await fetch(base() + path, Object.assign({
        credentials: "same-origin", redirect: "manual", signal: abort.signal,
      }, init));
      let body = null;
      try { body = await r.json(); } catch (e) { body = null; }
      const reason = body && typeof body.error === "string" ? body.error : null;
      return { status: r.type === "opaqueredirect" ? 0 : r.status, reason: reason, body: body };
    } catch (e) {
      return { network: true };
    } finally {
      clearTimeout(timer);
    }
  }
  const HEADERS = { "X-Requested-With": "XMLHttpRequest" };

  async function sendOne(item) {
    let current = item;
    for (let attempt = 0; attempt < 2 && !current.caseId; attempt++) {
      const out = await request("api/v1/cases", {
        method: "POST",
        headers: Object.assign({ "Content-Type": "application/json" }, HEADERS),
        body: JSON.stringify({
          category: current.category, lon: current.lon, lat: current.lat, text: current.text,
          external_id: "field:" + current.id, reported_at: current.noTime ? undefined : current.at,
        }),
      }, 30000);
      current = advance(current, "case", out, out.body && out.body.id);
      if (current.last !== "sent" && current.last !== "again") return current;
    }
    if (!current.caseId) return current;
    while (current.photos.length) {
      const form = new FormData();
      const blob = current.photos[0];
      form.append("photo", blob, "photo." + ((blob.type || "").split("/")[1] || "jpg"));
      form.append("kind", "report");
      const out = await request(`api/v1/cases/${encodeURIComponent(current.caseId)}/photos`, {
        method: "POST", headers: HEADERS, body: form,
      }, 60000);
      current = advance(current, "photo", out);
      if (verdict(out) !== "sent") return current;
      await put(current); // a photo sent is never sent again
    }
    return current;
  }

  let sending = false;
  let lastSent = null;
  async function flush(how) {
    const who = user();
    if (sending || !who || navigator.onLine === false) return;
    sending = true;
    try {
      for (const item of await itemsOf(who)) {
        if (!due(item, how)) continue;
        const after = await sendOne(item);
        if (after.done) {
          await remove(item.id);
          lastSent = after.caseId;
        } else {
          await put(after);
        }
        await render();
        if (after.last === "login" || after.last === "retry") break; // the rest would fare alike
      }
    } finally {
      sending = false;
      await render();
    }
  }

  // -- the outbox box ------------------------------------------------------------------
  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => { if (k === "text") e.textContent = v; else e.setAttribute(k, v); });
    (children || []).forEach((c) => c && e.appendChild(c));
    return e;
  }
  async function render() {
    const b = box();
    if (!b) return;
    const items = await itemsOf(user());
    b.replaceChildren();
    if (lastSent) b.appendChild(el("div", { class: "field-note ok field-outbox-sent", text: say("sent", { id: lastSent }) }));
    b.className = "field-outbox" + (items.length || lastSent ? "" : " hidden");
    if (!items.length) return;
    const head = el("div", { class: "field-row field-outbox-head" }, [
      el("span", { class: "field-outbox-count", text: say("pending", { n: items.length }) }),
      el("button", { type: "button", class: "field-btn small", id: "field-outbox-send", text: sending ? say("sending") : say("send_now") }),
    ]);
    b.appendChild(head);
    if (items.some((i) => i.state === "login")) {
      b.appendChild(el("div", { class: "field-note warn" }, [
        el("span", { text: say("login") + " " }),
        el("a", { href: base() + "login?next=" + encodeURIComponent(location.pathname), text: say("login_link") }),
      ]));
    }
    items.forEach((i) => {
      const status = i.state === "rejected" ? say("rejected", { reason: i.reason || "" })
        : i.caseId ? say("photos_left", { id: i.caseId, n: i.photos.length })
          : say("waiting");
      const when = new Date(i.at);
      b.appendChild(el("div", { class: "field-outbox-item " + i.state, "data-id": i.id }, [
        el("div", { class: "field-outbox-line" }, [
          el("span", { class: "field-case-id", text: i.category || "" }),
          el("span", { class: "field-time", text: when.toLocaleString() }),
          el("span", { text: say("photos", { n: i.photos.length }) }),
        ]),
        i.text ? el("div", { class: "field-outbox-text", text: i.text.slice(0, 80) }) : null,
        el("div", { class: "field-outbox-state", text: status }),
        i.state === "rejected"
          ? el("button", { type: "button", class: "field-btn small secondary field-outbox-delete", "data-id": i.id, text: say("delete") })
          : null,
      ]));
    });
  }

  // -- wiring --------------------------------------------------------------------------
  let pending = null; // the draft the Dash submit now in flight carries
  const SUBMITS = ["field-report-submit", "field-report-confirm"];

  // Before Dash sees a tap on 上报: give the draft its id; with no network keep it here.
  window.addEventListener("click", (e) => {
    const button = e.target.closest && e.target.closest("button");
    if (!button) return;
    if (button.id === "field-outbox-send") { flush("manual"); return; }
    if (button.classList.contains("field-outbox-delete")) {
      remove(button.dataset.id).then(render);
      return;
    }
    if (!SUBMITS.includes(button.id) || !box()) return;
    if (!draftId) draftId = newId();
    setProps("field-report-token", { data: draftId });
    const draft = snapshot();
    if (navigator.onLine !== false) { pending = draft; return; }
    e.preventDefault();
    e.stopImmediatePropagation();
    const missing = problem(draft);
    if (missing) { note(say(missing), "error"); return; }
    keep(draft, "keep").then(() => note(say("kept"), "warn"));
  }, true);

  // The Dash submit that gets no answer (or a 5xx, or a lapsed session) keeps its draft.
  const realFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    if (!pending || !url.split("?")[0].endsWith("_dash-update-component") || !init || typeof init.body !== "string"
        || !SUBMITS.some((id) => init.body.includes(`"${id}.n_clicks"`)) || !init.body.includes("field-report-token")) {
      return realFetch(input, init);
    }
    const draft = pending;
    pending = null;
    let settled = false;
    const onAnswer = (status, body) => {
      if (settled) return;
      settled = true;
      const v = dashVerdict(status);
      if (v === "server") {
        // the token output is written only when the case is made: the next report is new
        if (body && body.response && "field-report-token" in body.response) draftId = null;
        return;
      }
      if (problem(draft)) return;
      keep(draft, v).then(() => note(say("failed_keep"), "warn"));
    };
    const timer = setTimeout(() => onAnswer(null), 45000); // a hung server: keep it, the id guards
    return realFetch(input, init).then((r) => {
      clearTimeout(timer);
      r.clone().json().then((b) => onAnswer(r.status, b), () => onAnswer(r.status, null));
      return r;
    }, (err) => {
      clearTimeout(timer);
      onAnswer(null);
      throw err;
    });
  };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.fieldOutbox = {
    // The report's position as the page holds it (GPS or a tap on the map).
    // The report's position (GPS or a tap on the map) and photos as the page holds them.
    noteDraft: function (fix, contents) {
      lastFix = fix && Number.isFinite(fix.lon) && Number.isFinite(fix.lat) ? fix : null;
      photoUrls = !contents ? [] : Array.isArray(contents) ? contents : [contents];
      return window.dash_clientside.no_update;
    },
  };

  window.cityopsOutbox = { verdict, advance, due, dashVerdict, itemsOf, flush, render };

  window.addEventListener("online", () => flush("online"));
  setInterval(() => flush("tick"), 30000);
  // The page is drawn by Dash after load (and again on navigation): start on each new box.
  function scan() {
    const b = box();
    if (!b || b.dataset.started) return;
    b.dataset.started = "1";
    render().then(() => flush("load"));
  }
  function start() {
    scan();
    new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
