// Emergency command screen (/emergency): pure UI in the browser. It mounts the one map
// component (assets/map/cityops-map.js) in static mode, swaps in the changing layers the server
// sends without moving the view, flies to a newly chosen incident, and, while the new-incident
// form is open, turns a click on the map into its longitude and latitude. Every action
// still goes to the server, which checks it.
(function () {
  "use strict";

  const MAP = "emergency-map";
  const state = { pending: null, focus: null, point: null, listening: false };

  function nu() {
    return window.dash_clientside.no_update;
  }

  function current() {
    const cur = window.cityopsMap && window.cityopsMap.current;
    const el = document.getElementById(MAP);
    return cur && el && cur.el === el ? cur : null;
  }

  function markerLayer() {
    return {
      id: "emergency-new-point", type: "ScatterplotLayer", key: "", z: 60,
      data: state.point ? [{ position: state.point }] : [],
      props: {
        getPosition: "@@=position", getFillColor: [255, 255, 255, 60],
        getLineColor: [255, 255, 255, 255], stroked: true, filled: true,
        lineWidthMinPixels: 2, radiusUnits: "pixels", getRadius: 10, pickable: false,
      },
    };
  }

  function apply(payload) {
    const map = current();
    if (!map) {
      state.pending = payload;
      return;
    }
    state.pending = null;
    const box = document.getElementById("emergency-new-box");
    const lon = document.getElementById("emergency-new-lon");
    // the form closed, or emptied once its incident was opened: its point leaves the map
    if (!box || !box.open || !lon || !lon.value) state.point = null;
    map.setLayers((payload.layers || []).concat([markerLayer()]), { replace: false });
    map.redrawNow();
    const el = document.getElementById(MAP);
    const rows = {};
    (payload.layers || []).forEach((l) => { rows[l.id] = (l.data || []).length; });
    el.dataset.live = JSON.stringify(rows);
    const focus = payload.focus;
    if (focus && focus.id !== state.focus && isFinite(focus.lon) && isFinite(focus.lat)) {
      map.flyTo([focus.lon - 0.03, focus.lat - 0.02, focus.lon + 0.03, focus.lat + 0.02], 14);
    }
    state.focus = focus ? focus.id : null;
  }

  function listen(el) {
    if (el.dataset.clicks) return;
    el.dataset.clicks = "1";
    let down = null;
    el.addEventListener("pointerdown", (ev) => { down = [ev.clientX, ev.clientY]; });
    el.addEventListener("click", (ev) => {
      const map = current();
      if (!map || (down && Math.hypot(ev.clientX - down[0], ev.clientY - down[1]) > 5)) return;
      // a point is taken while the new-incident form is open; an incident clicked is chosen
      const box = document.getElementById("emergency-new-box");
      if (!box || !box.open || box.classList.contains("hidden")) return;
      const rect = el.getBoundingClientRect();
      const x = ev.clientX - rect.left;
      const y = ev.clientY - rect.top;
      const hit = map.deck.pickObject({ x: x, y: y, radius: 6 });
      if (hit && hit.layer && hit.layer.id === "incidents") return;
      const viewport = map.deck.getViewports()[0];
      if (!viewport) return;
      const [lon, lat] = viewport.unproject([x, y]);
      state.point = [Number(lon.toFixed(6)), Number(lat.toFixed(6))];
      window.dash_clientside.set_props("emergency-new-lon", { value: state.point[0] });
      window.dash_clientside.set_props("emergency-new-lat", { value: state.point[1] });
      map.setLayers([markerLayer()], { replace: false });
      map.redrawNow();
    });
  }

  function mount(config, left) {
    const el = document.getElementById(MAP);
    if (!el || !window.cityopsMap || !window.deck) {
      if (left > 0) setTimeout(() => mount(config, left - 1), 100);
      return;
    }
    const cur = window.cityopsMap.current;
    if (cur && cur.el === el) cur.destroy();
    window.cityopsMap.mount(MAP, config);
    listen(el);
    if (state.pending) apply(state.pending);
  }

  // The panels' buttons (data-act="<group>:<act>", data-arg) write {act, arg, t} into the
  // store emergency-act-<group>: one listener for the page, so a press counts even when a
  // refresh redraws the panel under it (a pattern-matching n_clicks would be reset).
  document.addEventListener("click", (ev) => {
    const el = ev.target && ev.target.closest ? ev.target.closest(".emergency [data-act]") : null;
    if (!el || el.disabled || !window.dash_clientside || !window.dash_clientside.set_props) return;
    const [group, act] = String(el.dataset.act).split(":");
    if (!group || !act) return;
    window.dash_clientside.set_props("emergency-act-" + group, {
      data: { act: act, arg: el.dataset.arg || "", t: Date.now() },
    });
  });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    emergency: {
      mountMap: function (config) {
        if (!config) return nu();
        state.focus = null;
        mount(config, 50);
        return Date.now();
      },
      applyLayers: function (payload) {
        if (payload) apply(payload);
        return nu();
      },
    },
  });
})();
