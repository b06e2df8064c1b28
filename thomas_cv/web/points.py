"""Moving points on the photo by hand: a small drag-and-drop component built on Streamlit's
own ``st.components.v2`` (no third-party component, nothing fetched from the internet).

The photo is drawn in an SVG in its own pixels; each movable point is a circle the clinician
drags (mouse, pen or touch: pointer events). When a point is let go, the component reports
``{"name", "x", "y", "seq"}`` once (a trigger value), in the photo's pixels. Points can also be
typed in (see :mod:`.assessment`), for keyboards and screen readers.
"""

from __future__ import annotations

import base64
import io
from typing import Optional

import numpy as np

#: colour and label of each movable point (labels are words: never colour alone)
POINT_STYLE = {
    "hip": ("#ffaa00", "hip"),
    "knee": ("#ff50c8", "knee"),
    "ankle": ("#00c8ff", "ankle"),
    "hugged_knee": ("#c8c8c8", "other knee"),
    "shoulder_centre": ("#c8c8c8", "shoulders"),
    "table_edge_1": ("#ffff00", "level 1"),
    "table_edge_2": ("#ffff00", "level 2"),
}

_JS = r"""
export default function(component) {
  const { data, setTriggerValue, parentElement } = component;
  if (!data || !data.image) { return; }
  const NS = "http://www.w3.org/2000/svg";
  let root = parentElement.querySelector(".tcv-points");
  if (!root) { root = document.createElement("div"); root.className = "tcv-points"; parentElement.appendChild(root); }
  root.innerHTML = "";
  const W = data.width, H = data.height, P = data.points, S = data.style;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", data.label || "photo with movable points");
  svg.style.width = "100%"; svg.style.height = "auto"; svg.style.touchAction = "none";
  const img = document.createElementNS(NS, "image");
  img.setAttribute("href", data.image); img.setAttribute("width", W); img.setAttribute("height", H);
  svg.appendChild(img);
  const r = Math.max(W, H) / 90, lw = Math.max(W, H) / 400;
  const lines = [["hip", "knee", "#ffaa00"], ["knee", "ankle", "#ffaa00"], ["shoulder_centre", "hip", "#c8c8c8"],
                 ["table_edge_1", "table_edge_2", "#ffff00"]];
  const lineEls = [];
  for (const [a, b, c] of lines) {
    if (!P[a] || !P[b]) continue;
    const l = document.createElementNS(NS, "line");
    l.setAttribute("stroke", c); l.setAttribute("stroke-width", lw * 2);
    if (a.startsWith("table")) l.setAttribute("stroke-dasharray", `${lw * 8} ${lw * 5}`);
    svg.appendChild(l); lineEls.push([l, a, b]);
  }
  const draw = () => { for (const [l, a, b] of lineEls) {
    l.setAttribute("x1", P[a][0]); l.setAttribute("y1", P[a][1]); l.setAttribute("x2", P[b][0]); l.setAttribute("y2", P[b][1]); } };
  draw();
  const toPhoto = (ev) => { const pt = svg.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
    const q = pt.matrixTransform(svg.getScreenCTM().inverse());
    return [Math.min(Math.max(q.x, 0), W), Math.min(Math.max(q.y, 0), H)]; };
  for (const name of Object.keys(P)) {
    const [colour, label] = S[name] || ["#ffffff", name];
    const g = document.createElementNS(NS, "g");
    g.setAttribute("class", "tcv-point"); g.setAttribute("data-name", name); g.style.cursor = "grab";
    const c = document.createElementNS(NS, "circle");
    c.setAttribute("r", r); c.setAttribute("fill", colour); c.setAttribute("fill-opacity", "0.55");
    c.setAttribute("stroke", "#000"); c.setAttribute("stroke-width", lw);
    const t = document.createElementNS(NS, "text");
    t.textContent = label; t.setAttribute("font-size", r * 1.6); t.setAttribute("fill", "#fff");
    t.setAttribute("stroke", "#000"); t.setAttribute("stroke-width", lw * 0.6); t.setAttribute("paint-order", "stroke");
    g.appendChild(c); g.appendChild(t);
    const place = () => { c.setAttribute("cx", P[name][0]); c.setAttribute("cy", P[name][1]);
      t.setAttribute("x", P[name][0] + r * 1.3); t.setAttribute("y", P[name][1] - r * 1.1); };
    place();
    let dragging = false;
    g.addEventListener("pointerdown", (ev) => { dragging = true; g.setPointerCapture(ev.pointerId); g.style.cursor = "grabbing"; ev.preventDefault(); });
    g.addEventListener("pointermove", (ev) => { if (!dragging) return; P[name] = toPhoto(ev); place(); draw(); });
    const end = (ev) => { if (!dragging) return; dragging = false; g.style.cursor = "grab";
      P[name] = toPhoto(ev); place(); draw();
      setTriggerValue("moved", {name: name, x: P[name][0], y: P[name][1], seq: Date.now()}); };
    g.addEventListener("pointerup", end); g.addEventListener("pointercancel", end);
    svg.appendChild(g);
  }
  root.appendChild(svg);
}
"""

_component = None


def _renderer():
    global _component
    if _component is None:
        import streamlit as st

        _component = st.components.v2.component("thomas_cv_points", js=_JS,
                                                css=".tcv-points svg{display:block;max-width:100%}")
    return _component


def jpeg_data_uri(rgb: np.ndarray, max_side: int = 1280) -> str:
    from PIL import Image

    im = Image.fromarray(rgb)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def point_editor(rgb: np.ndarray, points: dict, *, key: str, label: str = "") -> Optional[dict]:
    """Show ``rgb`` with draggable ``points`` ({name: [x, y]}, the photo's pixels). Returns the
    move just made ({"name", "x", "y"}) on the run after a point was let go, else None."""
    h, w = rgb.shape[:2]
    data = {"image": jpeg_data_uri(rgb), "width": int(w), "height": int(h),
            "points": {k: [float(v[0]), float(v[1])] for k, v in points.items()},
            "style": {k: list(v) for k, v in POINT_STYLE.items()}, "label": label}
    res = _renderer()(key=key, data=data, on_moved_change=lambda: None)
    moved = getattr(res, "moved", None)
    if isinstance(moved, dict) and moved.get("name") in POINT_STYLE:
        return moved
    return None
