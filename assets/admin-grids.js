// The grids tab (/admin?tab=grids): the drop zone silently ignores a file above its size
// limit; say why at once (the server refuses such a file again if it ever arrives).
(function () {
  "use strict";

  function check(ev) {
    const box = ev.target && ev.target.closest && ev.target.closest(".admin-grids-upload-box");
    if (!box) return;
    const files = (ev.dataTransfer && ev.dataTransfer.files) || ev.target.files || [];
    const limit = Number(box.dataset.maxBytes);
    const tooBig = Array.from(files).some((f) => limit && f.size > limit);
    if (tooBig && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("admin-grids-report", {
        children: { type: "Div", namespace: "dash_html_components",
                    props: { children: box.dataset.tooBig, className: "msg err", role: "status",
                             id: "admin-grids-too-big" } },
      });
    }
  }

  document.addEventListener("change", check, true);
  document.addEventListener("drop", check, true);
})();
