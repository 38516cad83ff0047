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
