"""The Photo view: one side photo (upload or bundled sample) measured and shown; optionally a
front photo of the same test (second slot) for TFL / IT band and sartorius and the 3-D correction.

With the "Two points on the table edge" reference, the photo is shown first and the user
clicks the two points on it (:func:`place_point`); they fill the sidebar's number fields.
"""

from __future__ import annotations

from typing import Optional

from thomas_cv.web.common import (HEIC_NOTE, HORIZON_CHOICES, IMAGE_TYPES, MAX_UPLOAD_MB, POINTS_NEEDED, md,
                                  measure_pair, measure_photo, pick_source, sample_photos, show_photo_guide,
                                  show_result, upright_size)

#: width (pixels) of the photo shown for clicking the table-edge points
CLICK_WIDTH = 900
POINT_KEYS = ("hx1", "hy1", "hx2", "hy2")


def view(st, opts: dict, blur: bool, shared_estimator) -> None:
    st.subheader("Photo")
    show_photo_guide(st)
    up = st.file_uploader("Drop a side photo of the Thomas test here", type=IMAGE_TYPES, key="photo_upload",
                          max_upload_size=MAX_UPLOAD_MB)
    samples = sample_photos()
    choice = None
    if samples:
        names = ["-"] + [p.name for p in samples]
        choice = st.selectbox("... or pick a bundled sample photo", names, key="photo_sample")
    choice = choice if choice and choice != "-" else None
    which = pick_source(st, "photo", None if up is None else up.file_id, choice)
    data, name = None, None
    if which == "upload":
        data, name = up.getvalue(), up.name
        if choice:
            st.caption(f"Showing your upload **{md(name)}**; pick the sample again to see it instead.")
    elif which == "sample":
        path = next(p for p in samples if p.name == choice)
        data, name = path.read_bytes(), path.name
        if up is not None:
            st.caption(f"Showing the bundled sample **{md(name)}**, picked after your upload {md(up.name)} "
                       "(remove the upload, or upload again, to see it instead).")
    if data is None:
        st.info("Upload a photo taken from the side, perpendicular to the hanging leg, with the whole body "
                "on the table in view." + ("" if samples else " (No bundled samples found.)") + HEIC_NOTE)
        return
    if st.session_state.get("horizon_mode") == HORIZON_CHOICES[3]:
        click_points(st, data, name)
    if opts["horizon"] is None:
        st.info(POINTS_NEEDED)
        return
    front = st.file_uploader("Optional: a front photo of the same test (from the foot end of the table), for "
                             "TFL / IT band and sartorius — experimental", type=IMAGE_TYPES, key="front_upload",
                             max_upload_size=MAX_UPLOAD_MB)
    if front is not None:
        res = measure_pair(st, shared_estimator, data, name, front.getvalue(), front.name, **opts)
    else:
        res = measure_photo(st, shared_estimator, data, name, **opts)
    st.session_state["photo_result"] = res.to_dict()
    show_result(st, res, name, key="photo", blur=blur)


def place_point(values: list, click: dict, natural_width: int) -> list:
    """The four point fields (x1, y1, x2, y2; None = not given) after a click on the shown photo.

    ``click``: the component's value (``x``, ``y`` and the shown ``width`` in screen pixels);
    ``natural_width``: the photo's upright width, in whose pixels the points are kept. The first
    click sets point 1, the second point 2, a third starts again.

    >>> place_point([None] * 4, {"x": 100, "y": 50, "width": 900}, 1800)
    [200.0, 100.0, None, None]
    >>> place_point([200.0, 100.0, None, None], {"x": 450, "y": 60, "width": 900}, 1800)
    [200.0, 100.0, 900.0, 120.0]
    >>> place_point([200.0, 100.0, 900.0, 120.0], {"x": 10, "y": 10, "width": 900}, 1800)
    [20.0, 20.0, None, None]
    """
    f = natural_width / max(1.0, float(click["width"]))
    x, y = round(click["x"] * f, 1), round(click["y"] * f, 1)
    if values[0] is None or values[1] is None or all(v is not None for v in values):
        return [x, y, None, None]
    return [values[0], values[1], x, y]


def click_points(st, data: bytes, name: str) -> None:
    """The photo, to click the two table-edge points on (they fill the sidebar's fields)."""
    try:
        from streamlit_image_coordinates import streamlit_image_coordinates
    except ImportError:  # pragma: no cover - the [app] extra is missing
        st.caption("Type the two table-edge points in the sidebar (clicking them needs "
                   "streamlit-image-coordinates: pip install 'thomas-cv[app]').")
        return
    shown = _marked_photo(data, [st.session_state.get(k) for k in POINT_KEYS])
    if shown is None:
        return
    img, natural_w = shown

    def on_click():
        click = st.session_state.get("edge_click")
        if click:
            vals = place_point([st.session_state.get(k) for k in POINT_KEYS], click, natural_w)
            for k, v in zip(POINT_KEYS, vals):
                st.session_state[k] = v

    size = upright_size(data)
    st.markdown(f"**Click two points on the table edge** of {md(name)}"
                + (f" ({size[0]} × {size[1]} px)" if size else "")
                + ": the first click sets point 1, the second point 2, a third starts again.")
    streamlit_image_coordinates(img, key="edge_click", width=min(CLICK_WIDTH, img.shape[1]), on_click=on_click,
                                cursor="crosshair")


def _marked_photo(data: bytes, values: list) -> Optional[tuple]:
    """The upright photo, scaled down for the page, with the points placed so far drawn on it;
    and the upright width the points refer to."""
    import cv2

    from thomas_cv.core.errors import ThomasCVError
    from thomas_cv.media import load_image

    try:
        rgb = load_image(data, max_side=CLICK_WIDTH * 2).rgb
    except ThomasCVError:
        return None  # the measurement says why
    size = upright_size(data)
    natural_w = size[0] if size else rgb.shape[1]
    f = rgb.shape[1] / natural_w
    img = rgb.copy()
    r = max(4, img.shape[1] // 150)
    pts = [(values[i] * f, values[i + 1] * f) for i in (0, 2) if values[i] is not None and values[i + 1] is not None]
    for x, y in pts:
        cv2.circle(img, (int(x), int(y)), r, (255, 255, 0), -1, cv2.LINE_AA)
        cv2.circle(img, (int(x), int(y)), r + 2, (0, 0, 0), 2, cv2.LINE_AA)
    if len(pts) == 2:
        cv2.line(img, tuple(int(v) for v in pts[0]), tuple(int(v) for v in pts[1]), (255, 255, 0), max(2, r // 2),
                 cv2.LINE_AA)
    return img, natural_w
