"""/screen with 100,000 open cases: first draw, wire bytes, GeoJSON baseline, hover and click.

A demo folder (no history) gets N synthetic open cases (Arrow append of cases and their
transitions); `cityops serve` runs over it with MQTT pointed at a private mosquitto (for the
one new case of the change poll). Headless Chromium (Debian's, 1920×1080, software WebGL)
logs in as ``operator`` and opens /screen; the cases mode is switched to points so that
every case is drawn. Baseline in the same run: the same case features as plain GeoJSON.

    .venv/bin/python benchmarks/bench_screen_draw.py [--cases 100000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screen_fixtures import (
    REPORT_TOPIC,
    SECRET,
    add_open_cases,
    cookie_header,
    decode,
    demo_passwords,
    fetch,
    load_cells,
    machine,
    make_demo,
    report_body,
)

TIMEOUT_MS = 180_000

# performance.now() (ms from navigation start) when #screen-map gets data-drawn
DRAWN_PROBE = """
(() => {
  const mark = () => {
    const el = document.querySelector('#screen-map[data-drawn]');
    if (el && window.__drawnAt === undefined) window.__drawnAt = performance.now();
  };
  new MutationObserver(mark).observe(document, {subtree: true, attributes: true,
    childList: true, attributeFilter: ['data-drawn']});
})();
"""


def compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def case_geojson(layer: dict[str, Any]) -> dict[str, Any]:
    """The case-points layer's rows as a GeoJSON FeatureCollection with the same attributes."""
    from layers.wire import decode_array

    cols = layer["columns"]

    def text(name: str) -> list[str]:
        col = cols[name]
        if isinstance(col, dict):
            values = col["values"]
            return [values[i] for i in decode_array(col["codes"]).tolist()]
        return list(col)

    pos = decode_array(cols["position"]).astype(float)
    fill = decode_array(cols["fill"]).tolist()
    line = decode_array(cols["line"]).tolist()
    ids, cat, stage, sla, left, drill = (
        text(n) for n in ("id", "category", "stage", "sla", "left", "drill")
    )
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [round(pos[i, 0], 6), round(pos[i, 1], 6)],
            },
            "properties": {
                "id": ids[i],
                "category": cat[i],
                "stage": stage[i],
                "sla": sla[i],
                "left": left[i],
                "exercise": bool(drill[i]),
                "fill": fill[i],
                "line": line[i],
            },
        }
        for i in range(layer["length"])
    ]
    return {"type": "FeatureCollection", "features": features}


def publish_one(port: int, lon: float, lat: float) -> str:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    msg_id, payload = report_body(lon, lat)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(REPORT_TOPIC, payload, qos=1).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()
    return msg_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()

    from tests.broker import Mosquitto
    from tests.browser import chromium, login, served

    out: dict[str, Any] = {"machine": machine()}
    problems: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="bench-screen-draw-"))
    folder = work / "demo"
    broker = Mosquitto(work / "broker", open_=True)  # benchmarks measure throughput: no log-in
    broker.start()
    try:
        t = time.perf_counter()
        make_demo(folder, mqtt_port=broker.port)
        out["init_s"] = time.perf_counter() - t
        t = time.perf_counter()
        out["cases_added"] = add_open_cases(folder / "cityops.duckdb", args.cases)
        out["append_s"] = time.perf_counter() - t
        cells = load_cells(folder / "cityops.duckdb")
        probe_cell = cells.iloc[len(cells) // 2]
        password = demo_passwords(folder)["operator"]

        with (
            served(folder, secret=SECRET, timeout_s=120) as url,
            chromium(work, width=1920, height=1080) as page,
        ):
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
            page.on(
                "console",
                lambda m: (
                    errors.append(f"console.{m.type}: {m.text}") if m.type in ("error",) else None
                ),
            )
            page.add_init_script(DRAWN_PROBE)
            page.set_default_timeout(TIMEOUT_MS)
            wall = time.perf_counter()
            login(page, url, "operator", password, "/screen")
            page.wait_for_selector("#screen-map[data-drawn]", timeout=TIMEOUT_MS)
            out["wall_login_to_drawn_s"] = time.perf_counter() - wall
            out["nav_to_drawn_ms"] = page.evaluate("window.__drawnAt")
            dbg = page.evaluate("window.cityopsMap.current.debug()")
            out["first_draw_ms"] = dbg["stats"]["firstDrawMs"]
            out["rows"] = dbg["rows"]
            out["visible_auto"] = dbg["visible"]
            out["layers_payload_chars_js"] = dbg["stats"]["lastPayloadBytes"]

            # ---- switch to points: every case drawn ----
            page.evaluate(
                """() => {
                  const cur = window.cityopsMap.current;
                  window.__pointsAt = undefined;
                  const orig = cur.afterRender.bind(cur);
                  cur.afterRender = () => {
                    orig();
                    if (window.__pointsAt === undefined && cur.isVisible('case-points')
                        && !cur.layers.get('case-points').deferred)
                      window.__pointsAt = performance.now();
                  };
                  window.__clickAt = performance.now();
                }"""
            )
            page.check("#screen-cases-mode input[value='points']")
            page.wait_for_function("window.__pointsAt !== undefined", timeout=TIMEOUT_MS)
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            out["points_switch_ms"] = page.evaluate("window.__pointsAt - window.__clickAt")
            dbg = page.evaluate("window.cityopsMap.current.debug()")
            out["visible_points"] = dbg["visible"]
            if "case-points" not in dbg["visible"]:
                problems.append("cases mode 'points' did not make case-points visible")
            shot = Path(tempfile.gettempdir()) / f"bench-screen-draw-{int(time.time())}.png"
            page.screenshot(path=str(shot))
            out["screenshot"] = str(shot)
            # frame rate with 100k points: a pan of 30 frames
            out["pan_fps"] = page.evaluate(
                """() => new Promise(resolve => {
                  const cur = window.cityopsMap.current;
                  const v0 = cur.deck.getViewports()[0];
                  let k = 0; const t0 = performance.now();
                  const step = () => {
                    k += 1;
                    cur.deck.setProps({initialViewState: {longitude: v0.longitude + k * 0.0005,
                      latitude: v0.latitude, zoom: v0.zoom, pitch: 0, bearing: 0}});
                    cur.deck.redraw('bench');
                    if (k < 30) requestAnimationFrame(step);
                    else resolve(30000 / (performance.now() - t0));
                  };
                  requestAnimationFrame(step);
                })"""
            )

            # ---- bytes on the wire, fetched with the browser's session ----
            cookie = cookie_header(page)
            sizes: dict[str, Any] = {}
            bodies: dict[str, Any] = {}
            for name in ("base", "layers", "case-points"):
                gz_raw, gz_s, gz_enc = fetch(f"{url}/screen/api/{name}", cookie, gzip_ok=True)
                id_raw, id_s, id_enc = fetch(f"{url}/screen/api/{name}", cookie, gzip_ok=False)
                sizes[name] = {
                    "gzip": len(gz_raw),
                    "gzip_encoding": gz_enc,
                    "identity": len(id_raw),
                    "identity_encoding": id_enc,
                    "gzip_s": gz_s,
                    "identity_s": id_s,
                }
                if gz_enc != "gzip":
                    problems.append(f"/screen/api/{name}: not gzipped with Accept-Encoding: gzip")
                bodies[name] = decode(id_raw, id_enc)
            body = bodies["layers"]  # the overview: hexagons, points deferred above the limit
            cursor = body["cursor"]
            raw, s, enc = fetch(f"{url}/screen/api/changes?cursor={cursor}", cookie, gzip_ok=True)
            raw_i, s_i, enc_i = fetch(
                f"{url}/screen/api/changes?cursor={cursor}", cookie, gzip_ok=False
            )
            nochange = decode(raw_i, enc_i)
            sizes["changes_none"] = {
                "gzip": len(raw),
                "gzip_encoding": enc,
                "identity": len(raw_i),
                "gzip_s": s,
                "identity_s": s_i,
                "upserts": sorted(nochange.get("upserts", {})),
                "replace": [j["id"] for j in nochange.get("replace", [])],
            }
            # one new case over MQTT; poll with the same cursor until it shows
            msg_id = publish_one(
                broker.port, float(probe_cell["centroid_lon"]), float(probe_cell["centroid_lat"])
            )
            deadline = time.monotonic() + 30
            one = None
            while time.monotonic() < deadline:
                raw_i, s_i, enc_i = fetch(
                    f"{url}/screen/api/changes?cursor={cursor}", cookie, gzip_ok=False
                )
                one = decode(raw_i, enc_i)
                if "case-points" in one.get("upserts", {}):
                    break
                time.sleep(0.3)
            raw, s, enc = fetch(f"{url}/screen/api/changes?cursor={cursor}", cookie, gzip_ok=True)
            if one is None or "case-points" not in one.get("upserts", {}):
                problems.append(f"new case {msg_id} never reached /screen/api/changes in 30 s")
            else:
                sizes["changes_one"] = {
                    "gzip": len(raw),
                    "identity": len(raw_i),
                    "gzip_s": s,
                    "identity_s": s_i,
                    "upsert_rows": one["upserts"]["case-points"]["length"],
                    "replace": [j["id"] for j in one.get("replace", [])],
                    "replace_bytes": {j["id"]: len(compact(j)) for j in one.get("replace", [])},
                    "feed_items": len(one.get("feed", [])),
                }
            out["sizes"] = sizes

            # ---- GeoJSON baseline of the same case features ----
            layer = bodies["case-points"]  # every open case as points
            ours = compact(layer)
            geo = compact(case_geojson(layer))
            out["case_layer"] = {
                "rows": layer["length"],
                "ours_raw": len(ours),
                "ours_gzip": gz(ours),
                "geojson_raw": len(geo),
                "geojson_gzip": gz(geo),
            }

            # ---- interactivity: hover a case point, click it ----
            k = layer["length"] - 1  # drawn last: overdue cases are on top
            from layers.wire import decode_array

            lon, lat = (float(v) for v in decode_array(layer["columns"]["position"])[k])
            expect_id = layer["columns"]["id"][k]
            cat_col = layer["columns"]["category"]
            cat_codes = decode_array(cat_col["codes"])
            expect_cat = cat_col["values"][int(cat_codes[k])]
            # the synthetic cases sit on cell centroids: several may share the spot, and the
            # one drawn on top is the one picked
            positions = decode_array(layer["columns"]["position"])
            same = (positions == positions[k]).all(axis=1).nonzero()[0]
            expect_ids = [layer["columns"]["id"][i] for i in same]
            expect_cats = {cat_col["values"][int(cat_codes[i])] for i in same}
            page.evaluate(
                "([lon, lat]) => window.cityopsMap.current.flyTo([lon, lat, lon, lat], 16)",
                [lon, lat],
            )
            page.wait_for_timeout(2500)
            x, y = page.evaluate(
                """([lon, lat]) => {
                  const cur = window.cityopsMap.current;
                  const [x, y] = cur.deck.getViewports()[0].project([lon, lat]);
                  const r = cur.el.getBoundingClientRect();
                  return [r.left + x, r.top + y];
                }""",
                [lon, lat],
            )
            inter: dict[str, Any] = {"point": expect_id, "category": expect_cat}
            page.mouse.move(x + 40, y + 40)
            page.wait_for_timeout(300)
            t = time.perf_counter()
            page.mouse.move(x, y)
            try:
                page.wait_for_selector(".deck-tooltip", state="visible", timeout=60_000)
                page.wait_for_function(
                    "() => (document.querySelector('.deck-tooltip')||{}).innerText",
                    timeout=60_000,
                )
                inter["hover_ms"] = (time.perf_counter() - t) * 1000
                tip = page.inner_text(".deck-tooltip")
                inter["tooltip"] = tip.replace("\n", " | ")
                inter["tooltip_has_category"] = any(c in tip for c in expect_cats)
                if not inter["tooltip_has_category"]:
                    problems.append(f"tooltip {tip!r} lacks the category {expect_cat!r}")
            except Exception as exc:
                problems.append(f"hover: no visible .deck-tooltip ({type(exc).__name__})")
            t = time.perf_counter()
            page.mouse.click(x, y)
            try:
                page.wait_for_function(
                    "(ids) => { const c = document.getElementById('screen-card');"
                    " return c && !c.classList.contains('hidden')"
                    " && ids.some(id => c.innerText.includes(id)); }",
                    arg=expect_ids,
                    timeout=60_000,
                )
                inter["click_to_card_ms"] = (time.perf_counter() - t) * 1000
                inter["card_has_id"] = True
            except Exception:
                selected = page.evaluate("document.getElementById('screen-map').dataset.selected")
                card = page.inner_text("#screen-card")[:200]
                inter["card_has_id"] = False
                problems.append(
                    f"click: #screen-card does not show {expect_id} (selected={selected!r}, "
                    f"card={card!r})"
                )
            shot2 = Path(tempfile.gettempdir()) / f"bench-screen-card-{int(time.time())}.png"
            page.screenshot(path=str(shot2))
            out["screenshot_card"] = str(shot2)
            out["interaction"] = inter
            out["browser_errors"] = errors[:10]
    finally:
        broker.stop()
        log = folder / "server.log"
        tail = log.read_text(errors="replace").splitlines()[-400:] if log.exists() else []
        out["server_log_errors"] = [ln for ln in tail if "Traceback" in ln or "ERROR" in ln][:10]
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept", work)

    report(out, problems)


def report(out: dict[str, Any], problems: list[str]) -> None:
    m = out["machine"]
    print("\n=== /screen draw benchmark ===")
    print(f"machine: nproc {m['nproc']}, {m['cpu']}, {m['memory']}, Python {m['python']}")
    print(f"browser: {m['chromium']} (headless, software WebGL), viewport 1920x1080")
    c = out["cases_added"]
    print(
        f"set-up: init {out['init_s']:.1f} s; {c['cases']:,} open cases + "
        f"{c['transitions']:,} transitions appended in {out['append_s']:.1f} s "
        f"({', '.join(f'{k[6:]} {v:,}' for k, v in c.items() if k.startswith('stage:'))}, "
        f"exercise {c['exercise']})"
    )
    rows = []
    rows.append(
        ("first full draw: navigation start -> data-drawn", f"{out['nav_to_drawn_ms']:,.0f} ms")
    )
    rows.append(("first full draw: debug().stats.firstDrawMs", f"{out['first_draw_ms']:,.0f} ms"))
    rows.append(("wall clock: login click -> data-drawn", f"{out['wall_login_to_drawn_s']:.1f} s"))
    rows.append(("visible in auto mode", ",".join(out["visible_auto"])))
    rows.append(("case-points rows in the browser", f"{out['rows'].get('case-points', 0):,}"))
    rows.append(("switch to points -> drawn", f"{out['points_switch_ms']:,.0f} ms"))
    rows.append(("pan, 30 forced redraws, all points", f"{out['pan_fps']:.2f} frames/s"))
    s = out["sizes"]
    for name, label in (
        ("base", "/screen/api/base"),
        ("layers", "/screen/api/layers (overview)"),
        ("case-points", "/screen/api/case-points"),
    ):
        rows.append(
            (
                f"{label} bytes gzip / identity",
                f"{s[name]['gzip']:,} / {s[name]['identity']:,} "
                f"(served in {s[name]['gzip_s']:.2f} s / {s[name]['identity_s']:.2f} s)",
            )
        )
    rows.append(
        (
            "/changes, no change: gzip / identity",
            f"{s['changes_none']['gzip']:,} / {s['changes_none']['identity']:,} B "
            f"({s['changes_none']['gzip_s'] * 1000:.0f} ms)",
        )
    )
    if "changes_one" in s:
        one = s["changes_one"]
        rows.append(
            (
                "/changes, one new case: gzip / identity",
                f"{one['gzip']:,} / {one['identity']:,} B ({one['gzip_s'] * 1000:.0f} ms); "
                f"upsert rows {one['upsert_rows']}, replaced {one['replace_bytes']}",
            )
        )
    cl = out["case_layer"]
    rows.append(("case layer (ours) raw / gzip", f"{cl['ours_raw']:,} / {cl['ours_gzip']:,} B"))
    rows.append(("same as GeoJSON raw / gzip", f"{cl['geojson_raw']:,} / {cl['geojson_gzip']:,} B"))
    r_raw = cl["geojson_raw"] / cl["ours_raw"]
    r_gz = cl["geojson_gzip"] / cl["ours_gzip"]
    rows.append(("ratio GeoJSON / ours raw; gzip", f"{r_raw:.1f}x; {r_gz:.1f}x (target >= 5x)"))
    over = s["layers"]
    rows.append(
        (
            "ratio GeoJSON / whole overview (every layer)",
            f"{cl['geojson_raw'] / over['identity']:.1f}x raw; "
            f"{cl['geojson_gzip'] / over['gzip']:.1f}x gzip",
        )
    )
    i = out.get("interaction", {})
    rows.append(
        (
            "hover -> .deck-tooltip",
            f"{i.get('hover_ms', float('nan')):.0f} ms: {i.get('tooltip', '-')}",
        )
    )
    rows.append(("tooltip shows the category", str(i.get("tooltip_has_category"))))
    rows.append(
        (
            "click -> #screen-card with the id",
            f"{i.get('click_to_card_ms', float('nan')):.0f} ms "
            f"({i.get('point')}, ok={i.get('card_has_id')})",
        )
    )
    width = max(len(r[0]) for r in rows)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    print(f"screenshots: {out.get('screenshot')} {out.get('screenshot_card')}")
    if out.get("browser_errors"):
        print("browser errors:", *out["browser_errors"], sep="\n  ")
    if out.get("server_log_errors"):
        print("server log:", *out["server_log_errors"], sep="\n  ")
    if r_gz < 5 or r_raw < 5:
        problems.append(f"GeoJSON/ours ratio below 5x (raw {r_raw:.1f}x, gzip {r_gz:.1f}x)")
    print("problems:", *(problems or ["none"]), sep="\n  ")
    Path(tempfile.gettempdir(), "bench-screen-draw.json").write_text(
        json.dumps(out, indent=1, default=str)
    )


if __name__ == "__main__":
    main()
