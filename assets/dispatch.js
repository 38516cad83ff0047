// Dispatch console (/dispatch): pure UI in the browser. The grid's cache, opening a case,
// the case map (the one map component, assets/map/cityops-map.js, in static mode), canned
// notes, and the keyboard. Every action still goes to the server, which checks it.
(function () {
  "use strict";

  const GRID = "dispatch-grid";
  const state = { index: -1, openId: null };

  function nu() {
    return window.dash_clientside.no_update;
  }

  function gridApi() {
    try {
      return window.dash_ag_grid && window.dash_ag_grid.getApi(GRID);
    } catch (err) {
      return null; // not ready yet
    }
  }

  function withApi(fn) {
    const api = gridApi();
    if (api) fn(api);
    else if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
      window.dash_ag_grid.getApiAsync(GRID).then(fn).catch(() => {});
    }
  }

  function openCase(id) {
    if (!id) return;
    state.openId = id;
    window.dash_clientside.set_props("dispatch-open", { data: { id: id, t: Date.now() } });
  }

  // Next/previous case of the queue as displayed (sorted, filtered on the server).
  function move(delta) {
    const api = gridApi();
    if (!api) return;
    const n = api.getDisplayedRowCount();
    if (!n) return;
    let index = state.index;
    if (index < 0 || index >= n) index = delta > 0 ? -1 : n;
    index = Math.max(0, Math.min(n - 1, index + delta));
    const node = api.getDisplayedRowAtIndex(index);
    if (!node || !node.data) return; // its block is still loading
    state.index = index;
    api.ensureIndexVisible(index);
    api.setFocusedCell(index, "case_id");
    openCase(node.data.case_id);
  }

  function toggleSelected() {
    const api = gridApi();
    if (!api || state.index < 0) return;
    const node = api.getDisplayedRowAtIndex(state.index);
    if (node && node.data) node.setSelected(!node.isSelected());
  }

  function press(id) {
    const button = document.getElementById(id);
    // a hidden button (an action the case does not allow) is not pressed
    if (button && button.offsetParent !== null && !button.disabled) button.click();
  }

  function toggleHelp(show) {
    const help = document.getElementById("dispatch-help");
    if (!help) return;
    const hidden = show === undefined ? !help.classList.contains("hidden") : !show;
    help.classList.toggle("hidden", hidden);
  }

  function typing(target) {
    if (!target) return false;
    if (target.isContentEditable) return true;
    return /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  const KEYS = {
    j: () => move(1),
    ArrowDown: () => move(1),
    k: () => move(-1),
    ArrowUp: () => move(-1),
    a: () => press("dispatch-act-accept"),
    r: () => press("dispatch-act-register"),
    d: () => press("dispatch-act-dispatch"),
    m: () => press("dispatch-claim"),
    x: () => toggleSelected(),
    "?": () => toggleHelp(),
    "/": () => {
      const search = document.getElementById("dispatch-f-text");
      if (search) search.focus();
    },
  };

  document.addEventListener("keydown", (ev) => {
    if (!document.getElementById(GRID)) return; // another page
    if (ev.key === "Escape") {
      toggleHelp(false);
      if (typing(ev.target)) ev.target.blur();
      return;
    }
    // shortcuts are off while typing, and leave the browser's own combinations alone
    if (typing(ev.target) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const action = KEYS[ev.key];
    if (!action) return;
    ev.preventDefault();
    ev.stopPropagation();
    action();
  }, true);

  document.addEventListener("click", (ev) => {
    const target = ev.target;
    if (!(target instanceof Element)) return;
    if (target.closest("#dispatch-help-button")) toggleHelp();
    else if (target.id === "dispatch-help") toggleHelp(false);
  });

  function mountMap(config, left) {
    const el = document.getElementById("dispatch-map");
    if (!el || !window.cityopsMap || !window.deck) {
      if (left > 0) setTimeout(() => mountMap(config, left - 1), 100);
      return;
    }
    const current = window.cityopsMap.current;
    if (current && current.el === el) current.destroy();
    el.classList.toggle("no-position", !config);
    if (config) window.cityopsMap.mount("dispatch-map", config);
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    dispatch: {
      purge: function () {
        state.index = -1;
        withApi((api) => {
          api.purgeInfiniteCache();
          api.ensureIndexVisible(0);
        });
        return nu();
      },
      refresh: function () {
        withApi((api) => api.refreshInfiniteCache());
        return nu();
      },
      openClicked: function (cell) {
        if (!cell || !cell.rowId || String(cell.colId || "").indexOf("Selection") >= 0) return nu();
        if (typeof cell.rowIndex === "number") state.index = cell.rowIndex;
        state.openId = cell.rowId;
        return { id: cell.rowId, t: Date.now() };
      },
      openFromMap: function (selection) {
        if (!selection || selection.layer !== "dispatch-nearby" || !selection.id) return nu();
        state.index = -1;
        return { id: String(selection.id), t: Date.now() };
      },
      mountCaseMap: function (config) {
        mountMap(config, 50);
        return Date.now();
      },
      fillNote: function (note) {
        return note ? note : nu();
      },
    },
  });

  // for the browser tests and the curious: where the keyboard stands
  window.dispatchConsole = { state: state, move: move };
})();
