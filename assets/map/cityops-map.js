// The one-map component: deck.gl 9 in a Dash page, fed by the screen API.
//
// Pure UI: it draws what the server sends and never decides a colour or a level itself.
// - base and thematic layers arrive as pydeck layer JSON (JSONConverter) with either
//   records or columnar rows (typed arrays in base64, see layers/wire.py);
// - live changes are polled from /screen/api/changes with a cursor: upserts by key,
//   removals, whole-layer replacements (small aggregated layers), feed items and ages;
// - clicks go back to Dash through dash_clientside.set_props on the selection store;
// - replay loads the whole picture at a past instant and stops the live polling.
(function () {
  "use strict";

  const TYPED = {
    float32: Float32Array, float64: Float64Array, uint8: Uint8Array, uint16: Uint16Array,
    uint32: Uint32Array, int8: Int8Array, int16: Int16Array, int32: Int32Array,
  };

  function decodeNumeric(col) {
    const bin = atob(col.b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return { value: new TYPED[col.dtype](bytes.buffer), size: col.size };
  }

  // A columnar layer's columns as {numeric: {name: {value, size}}, text: {name: [..]}}
  function decodeColumns(columns) {
    const numeric = {};
    const text = {};
    for (const [name, col] of Object.entries(columns || {})) {
      if (Array.isArray(col)) text[name] = col;
      else if (col && col.codes) {
        const codes = decodeNumeric(col.codes).value;
        const out = new Array(codes.length);
        for (let i = 0; i < codes.length; i++) out[i] = col.values[codes[i]];
        text[name] = out;
      } else numeric[name] = decodeNumeric(col);
    }
    return { numeric, text };
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function fill(template, get) {
    return String(template).replace(/\{(\w+)\}/g, (_, f) => {
      const v = get(f);
      return v === undefined || v === null ? "" : v;
    });
  }

  let converter = null;
  function getConverter() {
    if (converter) return converter;
    const classes = {};
    for (const [name, value] of Object.entries(window.deck)) {
      if (/Layer$/.test(name) && typeof value === "function") classes[name] = value;
    }
    const configuration = new window.deck.JSONConfiguration({ classes });
    converter = new window.deck.JSONConverter({ configuration });
    return converter;
  }

  // One layer as the map keeps it: its wire JSON and its rows, mutable by upserts.
  class LayerState {
    constructor(json) {
      this.reset(json);
    }

    reset(json) {
      this.json = json;
      this.version = (this.version || 0) + 1;
      this.key = json.key || "";
      // a dense layer the server holds back until it is needed (see ensurePoints)
      this.deferred = Boolean(json.deferred);
      if (json.columns) {
        const { numeric, text } = decodeColumns(json.columns);
        this.length = json.length;
        this.numeric = numeric;
        this.text = text;
        this.records = null;
      } else {
        this.records = json.data || [];
        this.length = this.records.length;
      }
      this.recolor = null;
    }

    keyOf(index) {
      if (!this.key) return null;
      if (this.records) return this.records[index] ? this.records[index][this.key] : null;
      return this.text[this.key] ? this.text[this.key][index] : null;
    }

    field(index, name) {
      if (this.records) return this.records[index] ? this.records[index][name] : undefined;
      if (this.text[name]) return this.text[name][index];
      const col = this.numeric[name];
      if (col && col.size === 1) return col.value[index];
      return undefined;
    }

    rowCount() {
      return this.deferred ? this.json.count || 0 : this.length;
    }

    // Replace rows with the same key, append new ones, drop the removed keys.
    upsert(json, removes) {
      if (this.deferred) return; // it will load whole, and current, when needed
      const gone = new Set(removes || []);
      if (this.records) {
        const incoming = json ? json.data || [] : [];
        const byKey = new Map();
        incoming.forEach((r) => byKey.set(r[this.key], r));
        // a record layer may hold several records per key (multi-polygons): replace all
        const kept = this.records.filter((r) => !gone.has(r[this.key]) && !byKey.has(r[this.key]));
        this.records = kept.concat(incoming.filter((r) => !gone.has(r[this.key])));
        this.length = this.records.length;
      } else {
        const add = json && json.columns ? decodeColumns(json.columns) : { numeric: {}, text: {} };
        const addKeys = add.text[this.key] || [];
        const replaceAt = new Map();
        const index = new Map();
        const keys = this.text[this.key];
        for (let i = 0; i < this.length; i++) index.set(keys[i], i);
        const keep = [];
        for (let i = 0; i < this.length; i++) {
          if (!gone.has(keys[i])) keep.push(i);
        }
        const appended = [];
        addKeys.forEach((k, j) => {
          if (gone.has(k)) return;
          if (index.has(k) && !gone.has(k)) replaceAt.set(index.get(k), j);
          else appended.push(j);
        });
        const n = keep.length + appended.length;
        const numeric = {};
        for (const [name, col] of Object.entries(this.numeric)) {
          const size = col.size;
          const out = new col.value.constructor(n * size);
          const src = add.numeric[name];
          keep.forEach((i, r) => {
            const j = replaceAt.get(i);
            if (j !== undefined && src) out.set(src.value.subarray(j * size, j * size + size), r * size);
            else out.set(col.value.subarray(i * size, i * size + size), r * size);
          });
          appended.forEach((j, a) => {
            if (src) out.set(src.value.subarray(j * size, j * size + size), (keep.length + a) * size);
          });
          numeric[name] = { value: out, size };
        }
        const text = {};
        for (const [name, col] of Object.entries(this.text)) {
          const src = add.text[name] || [];
          const out = keep.map((i) => {
            const j = replaceAt.get(i);
            return j !== undefined ? src[j] : col[i];
          });
          appended.forEach((j) => out.push(src[j]));
          text[name] = out;
        }
        this.numeric = numeric;
        this.text = text;
        this.length = n;
      }
      this.version += 1;
    }

    // deck.gl layer props for this layer
    props(visible, zoom) {
      const json = this.json;
      const conv = getConverter();
      const spec = Object.assign({ "@@type": json.type, id: json.id }, json.props, {
        visible,
        data: [],
      });
      // outlines of thousands of polygons cost most of a frame on software GL and are
      // noise at city scale: drawn only from strokeMinZoom on
      if (json.strokeMinZoom !== undefined) spec.stroked = zoom >= json.strokeMinZoom;
      const layer = conv.convert({ layers: [spec] }).layers[0];
      const extra = { visible };
      if (this.records) {
        extra.data = this.records;
        if (this.recolor) {
          const colors = this.recolor.colors;
          extra.getFillColor = (_d, { index }) => colors.subarray(index * 4, index * 4 + 4);
          extra.updateTriggers = { getFillColor: this.recolor.mode };
        }
      } else {
        // one data object per version: a new object would make deck re-upload the arrays
        if (!this.binaryData || this.binaryData.version !== this.version) {
          const attributes = {};
          for (const [accessor, column] of Object.entries(json.binary || {})) {
            const col = this.numeric[column];
            if (col) attributes[accessor] = { value: col.value, size: col.size };
          }
          this.binaryData = { version: this.version, data: { length: this.length, attributes } };
        }
        extra.data = this.binaryData.data;
      }
      return layer.clone(extra);
    }
  }

  class CityMap {
    constructor(el, config) {
      this.el = el;
      this.config = config;
      this.layers = new Map(); // id -> LayerState
      this.order = []; // draw order of layer ids
      this.visibleGroups = new Set(config.visible || []);
      this.modes = { cases: "auto", grid: config.gridMode || "district" };
      this.theme = config.theme || ""; // the wall's theme map: the server filters by it
      el.dataset.theme = this.theme;
      this.cursor = null;
      this.replayAt = null;
      this.ages = {};
      this.stats = { polls: 0, applied: 0, firstDrawMs: null, loads: 0, lastPayloadBytes: 0 };
      this.timer = null;
      this.ageTimer = null;
      let view = config.view;
      const rect = el.getBoundingClientRect();
      if (config.bounds && rect.width > 0 && rect.height > 0) {
        const [w, s, e, n] = config.bounds;
        const vp = new window.deck.WebMercatorViewport({ width: rect.width, height: rect.height });
        const fit = vp.fitBounds([[w, s], [e, n]], { padding: 24 });
        view = { longitude: fit.longitude, latitude: fit.latitude, zoom: fit.zoom };
      }
      this.zoom = view.zoom;
      this.deck = new window.deck.Deck({
        parent: el,
        controller: true,
        useDevicePixels: config.devicePixels || 1,
        initialViewState: {
          longitude: view.longitude, latitude: view.latitude,
          zoom: view.zoom, pitch: view.pitch || 0, bearing: view.bearing || 0,
        },
        layers: [],
        getTooltip: (info) => this.tooltip(info),
        onViewStateChange: ({ viewState, interactionState }) => {
          const i = interactionState || {};
          if (i.isDragging || i.isPanning || i.isZooming || i.isRotating) this.userMoved = true;
          const before = this.zoomBand();
          this.zoom = viewState.zoom;
          if (this.zoomBand() !== before) this.redrawNow();
          return viewState;
        },
        onAfterRender: () => this.afterRender(),
        style: { background: config.background || "#03101f" },
      });
      // A wall that changes size (another screen, a window dragged) keeps the whole scope in
      // view until someone moves the map by hand.
      if (window.ResizeObserver && config.bounds) {
        this.resizer = new ResizeObserver(() => {
          if (!this.userMoved && this.el.getBoundingClientRect().width > 0) {
            this.flyTo(config.bounds, undefined, 0);
          }
        });
        this.resizer.observe(el);
      }
      // Clicks are picked here rather than through deck's gesture recogniser: on a slow
      // (software) GL a tap's pointer events can arrive too far apart to count as one.
      el.addEventListener("pointerdown", (ev) => { this.down = [ev.clientX, ev.clientY]; });
      el.addEventListener("click", (ev) => {
        const d = this.down;
        if (d && Math.hypot(ev.clientX - d[0], ev.clientY - d[1]) > 5) return; // a drag
        const rect = el.getBoundingClientRect();
        const info = this.deck.pickObject({ x: ev.clientX - rect.left, y: ev.clientY - rect.top, radius: 6 });
        if (info) this.click(info);
      });
      this.start();
    }

    zoomBand() {
      const near = this.zoom >= (this.config.pointsZoom || 12);
      const outlines = this.zoom >= (this.config.outlineZoom || 12);
      return `${near ? "near" : "far"}-${outlines ? "lines" : "fills"}`;
    }

    groupOf(id) {
      const s = this.layers.get(id);
      return s && s.json.group ? s.json.group : "base";
    }

    isVisible(id) {
      // with a tile server, its imagery replaces our own land and sea fills
      if (this.config.tileUrl && (id === "base-land" || id === "base-sea")) return false;
      const group = this.groupOf(id);
      if (group !== "base" && !this.visibleGroups.has(group)) return false;
      if (id === "case-points" || id === "case-hexes") {
        const mode = this.modes.cases;
        const wantHex = mode === "hexagons" || (mode === "auto" && this.zoomBand().startsWith("far") &&
          this.caseCount() > (this.config.hexAbove || 3000));
        return id === "case-hexes" ? wantHex : !wantHex;
      }
      return true;
    }

    // Coalesce redraws: a frame can take seconds on software GL, and live changes arrive
    // every poll; the feed and panels never wait for the map.
    redraw() {
      // on software GL a frame blocks the page for a while: leave it room between frames
      const gap = Math.max(this.config.minRedrawMs || 0, 3 * (this.longFrameMs || 0));
      const since = performance.now() - (this.lastRedraw || -1e9);
      if (since >= gap) {
        this.redrawNow();
        return;
      }
      if (!this.redrawTimer) {
        this.redrawTimer = setTimeout(() => { this.redrawTimer = null; this.redrawNow(); }, gap - since);
      }
    }

    // A deployment's own tile server (map.tile_url), drawn under everything; never by default.
    tileLayer() {
      if (!this.config.tileUrl) return null;
      if (!this.tiles) {
        this.tiles = new window.deck.TileLayer({
          id: "base-tiles",
          data: this.config.tileUrl,
          minZoom: 0,
          maxZoom: 19,
          tileSize: 256,
          renderSubLayers: (props) => {
            const { west, south, east, north } = props.tile.bbox;
            return new window.deck.BitmapLayer(props, {
              data: null, image: props.data, bounds: [west, south, east, north],
            });
          },
        });
      }
      return this.tiles;
    }

    caseCount() {
      const points = this.layers.get("case-points");
      return points ? points.rowCount() : 0;
    }

    // Load the held-back case points once they are to be shown.
    ensurePoints() {
      const points = this.layers.get("case-points");
      if (!points || !points.deferred || this.pointsLoading || !this.isVisible("case-points")) return;
      const at = this.replayAt;
      const load = this.stats.loads;
      this.pointsLoading = true;
      this.el.dataset.points = "loading";
      const params = new URLSearchParams();
      if (at) params.set("at", at);
      if (this.theme) params.set("theme", this.theme);
      const q = params.toString() ? `?${params}` : "";
      this.fetchJson(`${this.config.api}/case-points${q}`)
        .then((json) => {
          if (load !== this.stats.loads) return; // a newer picture was loaded meanwhile
          points.reset(json);
          this.el.dataset.points = "loaded";
          this.redrawNow();
        })
        .catch((err) => { this.el.dataset.error = String(err); })
        .finally(() => { this.pointsLoading = false; });
    }

    redrawNow() {
      this.lastRedraw = performance.now();
      this.ensurePoints();
      const layers = [];
      const tiles = this.tileLayer();
      if (tiles) layers.push(tiles);
      for (const id of this.order) {
        const s = this.layers.get(id);
        if (s) layers.push(s.props(this.isVisible(id), this.zoom));
      }
      this.deck.setProps({ layers });
      this.el.dataset.layers = this.order.filter((id) => this.isVisible(id)).join(",");
      this.el.dataset.rows = JSON.stringify(
        Object.fromEntries(this.order.map((id) => [id, this.layers.get(id).rowCount()])));
    }

    afterRender() {
      if (this.pendingFirstDraw && this.layers.size) {
        this.pendingFirstDraw = false;
        this.stats.firstDrawMs = performance.now() - this.stats.loadStart;
        this.el.dataset.drawn = String(this.stats.loads);
      }
    }

    setLayers(list, { replace }) {
      if (replace) {
        this.layers.clear();
        this.order = [];
      }
      for (const json of list) {
        if (this.layers.has(json.id)) this.layers.get(json.id).reset(json);
        else {
          this.layers.set(json.id, new LayerState(json));
          this.order.push(json.id);
        }
      }
      // draw order: base under everything, outlines above, thematic layers by their z
      this.order.sort((a, b) => (this.layers.get(a).json.z || 0) - (this.layers.get(b).json.z || 0));
    }

    async fetchJson(url, tries = 3) {
      const resp = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (resp.status === 429 && tries > 1) {
        // the server runs a few expensive requests per user at once: wait as asked, retry
        const wait = Math.min(10, Number(resp.headers.get("Retry-After")) || 1);
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
        return this.fetchJson(url, tries - 1);
      }
      if (!resp.ok) throw new Error(`${url}: ${resp.status}`);
      const text = await resp.text();
      this.stats.lastPayloadBytes = text.length;
      return JSON.parse(text);
    }

    async load() {
      this.stats.loadStart = performance.now();
      this.stats.loads += 1;
      if (this.config.layers) {
        // a static map (the dispatch console's case map): its layers come with the config
        this.setLayers(this.config.layers, { replace: true });
        this.pendingFirstDraw = true;
        this.redrawNow();
        this.el.dataset.state = "static";
        return;
      }
      const load = this.stats.loads;
      this.el.dataset.state = "loading";
      const params = new URLSearchParams();
      if (this.replayAt) params.set("at", this.replayAt);
      if (this.modes.cases === "points" || this.zoomBand().startsWith("near")) params.set("points", "1");
      if (this.theme) params.set("theme", this.theme);
      const at = params.toString() ? `?${params}` : "";
      if (!this.baseLoaded) {
        const base = await this.fetchJson(this.config.api + "/base");
        this.setLayers(base.layers, { replace: false });
        this.baseLoaded = true;
      }
      const body = await this.fetchJson(this.config.api + "/layers" + at);
      if (load !== this.stats.loads) return; // a newer load started meanwhile
      this.setLayers(body.layers, { replace: false });
      if (this.gridColors) this.applyGridMode(this.modes.grid);
      else if (this.modes.grid !== "district") {
        this.setGridMode(this.modes.grid).catch((err) => { this.el.dataset.error = String(err); });
      }
      this.cursor = body.cursor;
      this.ages = body.ages || {};
      this.pendingFirstDraw = true;
      this.redrawNow();
      this.renderAges();
      this.el.dataset.state = this.replayAt ? "replay" : "live";
      this.el.dataset.at = body.at || "";
      if (body.feed) this.pushFeed(body.feed, true);
    }

    async poll() {
      if (!document.body.contains(this.el)) {
        this.destroy();
        return;
      }
      if (this.replayAt || this.polling) return;
      this.polling = true;
      const started = performance.now();
      try {
        const body = await this.fetchJson(
          `${this.config.api}/changes?cursor=${encodeURIComponent(this.cursor || "")}` +
          (this.theme ? `&theme=${encodeURIComponent(this.theme)}` : ""));
        const fetched = performance.now();
        this.stats.fetchMs = (this.stats.fetchMs || 0) + (fetched - started);
        this.stats.polls += 1;
        if (this.replayAt) return;
        if (body.reset) {
          await this.load();
          return;
        }
        if (body.feed && body.feed.length) this.pushFeed(body.feed, false);
        let changed = false;
        for (const json of body.replace || []) {
          this.setLayers([json], { replace: false });
          changed = true;
        }
        for (const [id, json] of Object.entries(body.upserts || {})) {
          const s = this.layers.get(id);
          if (s) { s.upsert(json, (body.removes || {})[id]); changed = true; }
        }
        for (const [id, keys] of Object.entries(body.removes || {})) {
          if (body.upserts && body.upserts[id]) continue;
          const s = this.layers.get(id);
          if (s && keys.length) { s.upsert(null, keys); changed = true; }
        }
        if (changed) {
          if (this.gridColors && (body.replace || []).some((j) => j.id === "grid-cells")) {
            this.applyGridMode(this.modes.grid);
          }
          this.redraw();
          this.stats.applied += 1;
        }
        Object.assign(this.ages, body.ages || {});
        this.cursor = body.cursor;
        this.el.dataset.polls = String(this.stats.polls);
      } catch (err) {
        this.el.dataset.error = String(err);
      } finally {
        this.polling = false;
        this.stats.pollMs = (this.stats.pollMs || 0) + (performance.now() - started);
      }
    }

    pushFeed(items, reset) {
      const list = document.getElementById(this.config.feedId);
      if (!list) return;
      if (reset) list.innerHTML = "";
      // newest first; the server sends them oldest first
      for (const item of items) {
        const seen = list.querySelector(`li[data-id="${CSS.escape(String(item.id))}"][data-kind="${item.kind}"]`);
        if (seen) continue;
        const li = document.createElement("li");
        li.className = `feed-item feed-${item.kind}${item.exercise ? " feed-exercise" : ""}`;
        li.dataset.id = item.id;
        li.dataset.kind = item.kind;
        if (item.ext) li.dataset.ext = item.ext;
        li.dataset.layer = item.layer || "";
        li.innerHTML = `<span class="feed-time">${escapeHtml(item.time)}</span>` +
          `<span class="feed-tag">${escapeHtml(item.tag)}</span>` +
          `<span class="feed-text">${escapeHtml(item.text)}</span>`;
        li.addEventListener("click", () => this.select(item.layer, item.id, item.lon, item.lat));
        list.insertBefore(li, list.firstChild);
      }
      while (list.children.length > (this.config.feedMax || 60)) list.removeChild(list.lastChild);
    }

    renderAges() {
      const now = Date.now();
      const fmt = this.config.ageText || {};
      for (const el of document.querySelectorAll("[data-age-group]")) {
        const age = this.ages[el.dataset.ageGroup];
        if (!age || !age.at) {
          el.textContent = fmt.none || "—";
          el.classList.remove("stale");
          continue;
        }
        const ref = this.replayAt ? Date.parse(this.replayAt) : now;
        const s = Math.max(0, Math.round((ref - Date.parse(age.at)) / 1000));
        let text;
        if (s < 60) text = fill(fmt.s || "{n}s", () => s);
        else if (s < 3600) text = fill(fmt.m || "{n}m", () => Math.round(s / 60));
        else if (s < 172800) text = fill(fmt.h || "{n}h", () => Math.round(s / 3600));
        else text = fill(fmt.d || "{n}d", () => Math.round(s / 86400));
        el.textContent = text;
        el.classList.toggle("stale", age.stale_s ? s > age.stale_s : false);
      }
    }

    tooltip(info) {
      if (!info.layer || info.index < 0) return null;
      const s = this.layers.get(info.layer.id);
      if (!s) return null;
      const tpl = s.json.tooltip;
      const get = (f) => (info.object && info.object[f] !== undefined ? info.object[f] : s.field(info.index, f));
      let title;
      let lines;
      if (tpl) {
        title = fill(tpl.title, get);
        lines = (tpl.lines || []).map((l) => fill(l, get)).filter((l) => l.trim());
      } else {
        title = get("title");
        lines = get("lines") || [];
      }
      if (!title && !lines.length) return null;
      return {
        html: `<div class="map-tip"><div class="tip-title">${escapeHtml(title || "")}</div>` +
          lines.map((l) => `<div class="tip-line">${escapeHtml(l)}</div>`).join("") + "</div>",
        style: { background: "rgba(4,18,38,0.94)", color: "#dcecff", border: "1px solid #2f7bd8",
                 fontSize: "13px", padding: "8px 10px", maxWidth: "360px" },
      };
    }

    click(info) {
      if (!info.layer || info.index < 0) return;
      const s = this.layers.get(info.layer.id);
      if (!s || !s.key) return;
      const key = info.object && info.object[s.key] !== undefined ? info.object[s.key] : s.keyOf(info.index);
      if (key === null || key === undefined) return;
      this.select(info.layer.id, key);
    }

    select(layer, id, lon, lat) {
      if (!layer || !id) return;
      const selection = { layer, id: String(id), at: this.replayAt, t: Date.now() };
      this.el.dataset.selected = `${layer}:${id}`;
      if (window.dash_clientside && window.dash_clientside.set_props) {
        window.dash_clientside.set_props(this.config.selectionId, { data: selection });
      }
      if (lon !== undefined && lat !== undefined && lon !== null) this.flyTo([lon, lat, lon, lat], 15);
    }

    flyTo(bounds, maxZoom, duration) {
      const [w, s, e, n] = bounds;
      const { width, height } = this.el.getBoundingClientRect();
      const vp = new window.deck.WebMercatorViewport({ width: width || 800, height: height || 600 });
      const fit = vp.fitBounds([[w, s], [e, n]], { padding: 40, maxZoom: maxZoom || 16 });
      this.deck.setProps({
        initialViewState: {
          longitude: fit.longitude, latitude: fit.latitude, zoom: fit.zoom, pitch: 0, bearing: 0,
          transitionDuration: duration === undefined ? 600 : duration,
        },
      });
      this.zoom = fit.zoom;
      this.redrawNow();
    }

    setVisible(groups) {
      this.visibleGroups = new Set(groups || []);
      this.redrawNow();
    }

    // A theme map chosen on the wall: the picture again, of the theme's cases and sensors.
    async setTheme(theme) {
      const next = theme || "";
      if (next === this.theme) return;
      this.theme = next;
      this.el.dataset.theme = next;
      await this.load();
    }

    setCasesMode(mode) {
      this.modes.cases = mode || "auto";
      this.redrawNow();
    }

    async setGridMode(mode) {
      this.modes.grid = mode || "district";
      if (this.modes.grid !== "district" &&
          (!this.gridColors || this.gridColors.mode !== this.modes.grid)) {
        const at = this.replayAt ? `&at=${encodeURIComponent(this.replayAt)}` : "";
        this.gridColors = await this.fetchJson(
          `${this.config.api}/grid-colors?mode=${encodeURIComponent(this.modes.grid)}${at}`);
      }
      this.applyGridMode(this.modes.grid);
      this.redrawNow();
    }

    applyGridMode(mode) {
      const grid = this.layers.get("grid-cells");
      if (!grid || !this.gridColors) return;
      if (mode === "district") {
        grid.recolor = null;
      } else {
        const colors = decodeNumeric(this.gridColors.colors).value;
        grid.recolor = colors.length === grid.length * 4 ? { colors, mode: mode + this.gridColors.stamp } : null;
      }
      grid.version += 1;
    }

    async setReplay(at) {
      const next = at || null;
      if (next === this.replayAt) return;
      this.replayAt = next;
      if (this.gridColors && this.modes.grid !== "district") this.gridColors = null;
      await this.load();
      if (this.modes.grid !== "district") await this.setGridMode(this.modes.grid);
    }

    watchLongFrames() {
      if (!window.PerformanceObserver) return;
      try {
        this.longTasks = new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) {
            // a decaying maximum: one slow frame widens the gap, fast ones narrow it again
            this.longFrameMs = Math.max(entry.duration, 0.8 * (this.longFrameMs || 0));
          }
        });
        this.longTasks.observe({ entryTypes: ["longtask"] });
      } catch (err) {
        this.longTasks = null;
      }
    }

    start() {
      this.watchLongFrames();
      this.load().catch((err) => { this.el.dataset.error = String(err); });
      if (this.config.layers) return; // static: nothing to poll
      this.timer = setInterval(() => this.poll(), this.config.pollMs || 1000);
      this.ageTimer = setInterval(() => this.renderAges(), 1000);
    }

    destroy() {
      if (this.longTasks) this.longTasks.disconnect();
      if (this.resizer) this.resizer.disconnect();
      clearInterval(this.timer);
      clearInterval(this.ageTimer);
      this.deck.finalize();
      if (window.cityopsMap.current === this) window.cityopsMap.current = null;
    }

    debug() {
      return {
        state: this.el.dataset.state, cursor: this.cursor, replayAt: this.replayAt,
        visible: this.order.filter((id) => this.isVisible(id)),
        rows: Object.fromEntries(this.order.map((id) => [id, this.layers.get(id).rowCount()])),
        loadedRows: Object.fromEntries(this.order.map((id) => [id, this.layers.get(id).length])),
        stats: Object.assign({}, this.stats),
      };
    }
  }

  window.cityopsMap = {
    current: null,
    mount(elementId, config) {
      const el = document.getElementById(elementId);
      if (!el) return false;
      const cur = this.current;
      if (cur && cur.el === el) return true;
      if (cur) cur.destroy();
      this.current = new CityMap(el, config);
      return true;
    },
    call(method, ...args) {
      const cur = this.current;
      if (!cur || !document.body.contains(cur.el)) return false;
      cur[method](...args);
      return true;
    },
  };
})();
