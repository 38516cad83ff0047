// The field app's pure UI in the browser: tabs, the device's GPS, photo previews, the
// camera hint on file inputs, and a tap on the small map setting the report's position.
(function () {
  "use strict";

  const PANELS = { report: "field-panel-report", tasks: "field-panel-tasks", patrol: "field-panel-patrol" };

  function setProps(id, props) {
    if (window.dash_clientside && window.dash_clientside.set_props) window.dash_clientside.set_props(id, props);
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.field = {
    showTab: function (value) {
      return Object.keys(PANELS).map((k) => "field-panel" + (k === value ? "" : " hidden"));
    },

    // The device's position: {lon, lat, accuracy, source: "gps"} or {error}.
    locate: function () {
      return new Promise((resolve) => {
        if (!navigator.geolocation) {
          resolve({ error: "no geolocation", t: Date.now() });
          return;
        }
        navigator.geolocation.getCurrentPosition(
          (pos) => resolve({
            lon: pos.coords.longitude, lat: pos.coords.latitude,
            accuracy: pos.coords.accuracy, source: "gps", t: Date.now(),
          }),
          (err) => resolve({ error: err && err.message ? err.message : "unavailable", t: Date.now() }),
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
        );
      });
    },

    thumbs: function (contents) {
      const list = !contents ? [] : Array.isArray(contents) ? contents : [contents];
      return list.map((src, i) => ({
        type: "Img", namespace: "dash_html_components",
        props: { src: src, className: "field-thumb", alt: "photo " + (i + 1) },
      }));
    },

    // The chosen position on the small map: replace the point layer and redraw.
    showHere: function (layer) {
      const nu = window.dash_clientside.no_update;
      if (!layer || !window.cityopsMap) return nu;
      window.cityopsMap.call("setLayers", [layer], { replace: false });
      window.cityopsMap.call("redrawNow");
      // a fix outside the worker's cells: widen the view so the point shows with them
      const map = window.cityopsMap.current;
      const row = layer.data && layer.data[0];
      const bounds = map && map.config && map.config.bounds;
      if (row && row.position && bounds) {
        const [lon, lat] = row.position;
        const [w, s, e, n] = bounds;
        if (lon < w || lon > e || lat < s || lat > n) {
          map.flyTo([Math.min(w, lon), Math.min(s, lat), Math.max(e, lon), Math.max(n, lat)], 16);
        }
      }
      return nu;
    },
  };

  // Phones open the camera for an image input with `capture`; dcc.Upload does not set it.
  function markCameraInputs(root) {
    root.querySelectorAll(".field-camera input[type=file]").forEach((input) => {
      if (input.getAttribute("capture") !== "environment") input.setAttribute("capture", "environment");
      if (!input.getAttribute("accept")) input.setAttribute("accept", "image/*");
    });
  }

  // A tap (not a drag) on the small map sets the position to the tapped point.
  function wireMapTap(el) {
    if (el.dataset.tapWired) return;
    el.dataset.tapWired = "1";
    let down = null;
    el.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; });
    el.addEventListener("click", (e) => {
      if (down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 8) return;
      const map = window.cityopsMap && window.cityopsMap.current;
      if (!map || map.el !== el) return;
      const rect = el.getBoundingClientRect();
      const viewport = map.deck.getViewports()[0];
      if (!viewport) return;
      const [lon, lat] = viewport.unproject([e.clientX - rect.left, e.clientY - rect.top]);
      if (!Number.isFinite(lon) || !Number.isFinite(lat)) return;
      setProps("field-gps", { data: { lon: lon, lat: lat, source: "map", t: Date.now() } });
    });
  }

  function scan() {
    markCameraInputs(document);
    const el = document.getElementById("field-map");
    if (el) wireMapTap(el);
  }

  const observer = new MutationObserver(scan);
  function start() {
    scan();
    observer.observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
