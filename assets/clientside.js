// Pure UI callbacks run in the browser (no data, no server round trip).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  cityops: {
    clock: function () {
      // The command center runs on Beijing time whatever the browser's zone.
      const fmt = new Intl.DateTimeFormat("zh-CN", {
        timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
      });
      return fmt.format(new Date());
    },
  },
});

// The one map (assets/map/cityops-map.js): mounting and the panel's controls.
window.dash_clientside.cityops = Object.assign(window.dash_clientside.cityops, {
  mountMap: function (config) {
    const nu = window.dash_clientside.no_update;
    if (!config || !window.cityopsMap) return nu;
    const tryMount = (left) => {
      if (window.cityopsMap.mount(config.elementId, config)) return;
      if (left > 0) setTimeout(() => tryMount(left - 1), 100);
    };
    tryMount(50);
    return Date.now();
  },
  setGroups: function (groups) {
    window.cityopsMap.call("setVisible", groups || []);
    return window.dash_clientside.no_update;
  },
  setGridMode: function (mode) {
    window.cityopsMap.call("setGridMode", mode);
    return window.dash_clientside.no_update;
  },
  setCasesMode: function (mode) {
    window.cityopsMap.call("setCasesMode", mode);
    return window.dash_clientside.no_update;
  },
  zoomTo: function (value) {
    if (value) window.cityopsMap.call("flyTo", value.split(",").map(Number));
    return window.dash_clientside.no_update;
  },
  setReplay: function (replay) {
    window.cityopsMap.call("setReplay", replay && replay.at ? replay.at + "Z" : null);
    return window.dash_clientside.no_update;
  },
});

// The wall's theme map (app/pages/screen/themes.py): the map loads the theme's picture and
// the address keeps it (/screen?theme=<id>), so a reload opens the same theme.
window.dash_clientside.cityops.setTheme = function (theme) {
  if (theme) {
    const url = new URL(window.location.href);
    url.searchParams.set("theme", theme);
    window.history.replaceState(window.history.state, "", url.toString());
    window.cityopsMap.call("setTheme", theme);
  }
  return window.dash_clientside.no_update;
};
