"""The Assessment view: both legs of one person as one assessment. A side photo of each leg
(upload or bundled sample) and, optionally, a front photo of each leg (TFL / IT band and
sartorius, as ``thomas-cv assess --front-left/--front-right``); the points correctable by hand on
the side photo (drag them; angles and findings recomputed at once), the left-right comparison,
the report (PDF and HTML) and the data (JSON, CSV, FHIR) to download, and "save to this
computer" for the progress over time. No maths here: :mod:`thomas_cv.clinic` does it all.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from pathlib import Path
from typing import Optional

from thomas_cv.core.interpret import DISCLAIMER, MUSCLES
from thomas_cv.web.common import IMAGE_TYPES, MAX_UPLOAD_MB, STATUS_STYLE, error_text, sample_photos

SIDES = ("left", "right")
#: which bundled samples show which leg (the sample names say: thomas_l_* left, thomas_r_* right)
SAMPLE_PREFIX = {"left": "thomas_l_", "right": "thomas_r_"}
#: the bundled front views (sample_images/front/, issue 14): NAME_front from the foot end of the
#: table, NAME_above from above the thigh; NAME_side is the same pose's side photo
FRONT_DIR = "front"
FRONT_SAMPLE_SUFFIXES = ("_front", "_above")
DEMO = {"left": "thomas_l_normal_01.jpg", "right": "thomas_r_short_rectus_01.jpg"}
#: both legs with front views: a thigh drawn out (left, TFL / IT band) and the sartorius pattern (right)
FRONT_DEMO = {"left": "thomas_l_front_tfl_short_side.jpg", "right": "thomas_r_front_sartorius_side.jpg",
              "front_left": "thomas_l_front_tfl_short_front.jpg", "front_right": "thomas_r_front_sartorius_front.jpg"}

#: which bundled sample each box shows ({"left"|"right"|"front_left"|"front_right": name}): plain
#: session state, the one source of truth. Never written into a widget's own key: a rerun the
#: browser asks for carries the browser's widget values, which lag behind a value the script set
#: (with Streamlit's fast reruns that rerun replaces the script's; issue 16, the demo pair that
#: lost its right photo).
PICKS = "_assess_picks"
#: bumped whenever the script, not the user, changes the picks: the sample boxes get new keys
#: and start at the picks (the browser holds no value of its own for a new key)
PICKS_GEN = "_assess_picks_gen"


def load_demo(st, picks: dict) -> None:
    """``on_click`` of the demo buttons: every box's sample at once (a callback runs before the
    script, so nothing drawn later can undo it)."""
    st.session_state[PICKS] = dict(picks)
    st.session_state[PICKS_GEN] = st.session_state.get(PICKS_GEN, 0) + 1


def side_samples(side: str) -> list[Path]:
    """Bundled side photos of one leg: the top-level samples and the front-view poses' side photos."""
    front = [p for p in sample_photos(FRONT_DIR) if p.stem.endswith("_side")]
    return [p for p in sample_photos() + front if p.name.startswith(SAMPLE_PREFIX[side])]


def front_samples(side: str) -> list[Path]:
    """Bundled front photos of one leg (sample_images/front/NAME_front, NAME_above)."""
    return [p for p in sample_photos(FRONT_DIR)
            if p.name.startswith(SAMPLE_PREFIX[side]) and p.stem.endswith(FRONT_SAMPLE_SUFFIXES)]


def _sample_box(st, label: str, samples: list[Path], pick: str) -> Optional[Path]:
    """A box of bundled samples whose value lives in :data:`PICKS` (``pick`` names the slot)."""
    if not samples:
        return None
    names = ["-"] + [p.name for p in samples]
    picks = st.session_state.setdefault(PICKS, {})
    picked = picks.get(pick, "-")
    choice = st.selectbox(label, names, index=names.index(picked) if picked in names else 0,
                          key=f"assess_sample_{pick}_{st.session_state.get(PICKS_GEN, 0)}")
    picks[pick] = choice  # the user's own choice in the box becomes the pick
    return next((p for p in samples if p.name == choice), None)


def _photo_input(st, side: str) -> tuple[Optional[bytes], Optional[str]]:
    up = st.file_uploader(f"{side.capitalize()} leg hanging: side photo", type=IMAGE_TYPES,
                          key=f"assess_upload_{side}", max_upload_size=MAX_UPLOAD_MB)
    path = _sample_box(st, f"... or a bundled sample ({side} leg)", side_samples(side), side)
    if up is not None:
        return up.getvalue(), up.name
    if path is not None:
        return path.read_bytes(), path.name
    return None, None


def _front_input(st, side: str) -> tuple[Optional[bytes], Optional[str]]:
    """The optional front photo of one leg (upload or bundled sample)."""
    picked = st.session_state.get(PICKS, {}).get(f"front_{side}", "-") != "-"
    with st.expander(f"Optional: front photo of the {side} leg (TFL / IT band, sartorius) — experimental",
                     expanded=picked):
        up = st.file_uploader(f"{side.capitalize()} leg hanging: front photo, from the foot end of the table",
                              type=IMAGE_TYPES, key=f"assess_front_upload_{side}", max_upload_size=MAX_UPLOAD_MB)
        path = _sample_box(st, f"... or a bundled front sample ({side} leg)", front_samples(side), f"front_{side}")
        st.caption("Same position as the side photo, the camera at the foot end of the table at about table "
                   "height, looking along the table. The real pose model often cannot read this view yet: the "
                   "photo is then refused with the reason, never guessed (see the README's front-view section).")
    if up is not None:
        return up.getvalue(), up.name
    if path is not None:
        return path.read_bytes(), path.name
    return None, None


def _measure(st, shared_estimator, side: str, data: bytes, name: str, opts: dict,
             front: Optional[bytes] = None, front_name: Optional[str] = None):
    """The model's result and the photo, once per (photo, front photo, settings)."""
    from thomas_cv.clinic.assessment import measure_side

    key = (hashlib.sha1(data).hexdigest(), name, None if front is None else hashlib.sha1(front).hexdigest(),
           front_name, side, opts["horizon"], opts["pain"])
    memo = st.session_state.setdefault("_assess_memo", {})
    if memo.get(side, (None,))[0] != key:
        est, lock = shared_estimator()
        with lock, st.spinner(f"Measuring the {side} leg ..."):
            res, rgb = measure_side(data, est, side, name=name, horizon=opts["horizon"], pain=opts["pain"],
                                    front=front, front_name=front_name)
        memo[side] = (key, res, rgb)
        st.session_state.setdefault("_assess_moves", {})[side] = {}  # a new photo: no corrections yet
    return memo[side][1], memo[side][2]


def _editable_points(res) -> dict:
    from thomas_cv.clinic.correction import movable_points

    pts = movable_points(res.measurement.points)
    edge = res.measurement.points.get("table_edge")
    if edge is not None:
        pts["table_edge_1"], pts["table_edge_2"] = list(edge[0]), list(edge[1])
    return pts


def _correct(st, side: str, model, rgb, opts: dict, blur: bool):
    """The correction UI for one side; returns the result to use (corrected or the model's)."""
    from thomas_cv.clinic.assessment import corrected_result
    from thomas_cv.web.points import point_editor

    moves = st.session_state.setdefault("_assess_moves", {}).setdefault(side, {})
    base_pts = _editable_points(model)
    shown = {**base_pts, **moves}
    photo = rgb
    if blur:
        from thomas_cv.vision.privacy import blur_faces

        photo = blur_faces(rgb, model.landmarks, model.other_faces)
    moved = point_editor(photo, shown, key=f"points_{side}", label=f"{side} leg: drag a point to move it")
    ver = st.session_state.setdefault("_assess_ver", {}).setdefault(side, 0)
    if moved is not None:
        moves[moved["name"]] = [float(moved["x"]), float(moved["y"])]
        shown[moved["name"]] = moves[moved["name"]]
        ver = st.session_state["_assess_ver"][side] = ver + 1  # typed fields show the new place
    with st.expander(f"Type the points ({side}, photo pixels)"):
        for name in base_pts:
            c1, c2 = st.columns(2)
            x = c1.number_input(f"{name} x", value=float(shown[name][0]), step=1.0, format="%.1f",
                                key=f"num_{side}_{name}_x_{ver}")
            y = c2.number_input(f"{name} y", value=float(shown[name][1]), step=1.0, format="%.1f",
                                key=f"num_{side}_{name}_y_{ver}")
            if abs(x - shown[name][0]) > 0.05 or abs(y - shown[name][1]) > 0.05:
                moves[name] = [x, y]
                st.session_state["_assess_ver"][side] = ver + 1
                st.rerun()
    if st.button("Reset to the model's points", key=f"reset_{side}", disabled=not moves):
        moves.clear()
        st.session_state["_assess_ver"][side] = ver + 1
        st.rerun()
    if not moves:
        return model
    edge_moves = [n for n in ("table_edge_1", "table_edge_2") if n in moves]
    edge = None
    if edge_moves:
        edge = (tuple(shown["table_edge_1"]), tuple(shown["table_edge_2"]))
    point_moves = {k: v for k, v in moves.items() if not k.startswith("table_edge")}
    return corrected_result(model, rgb, point_moves, side=side, horizon=opts["horizon"], pain=opts["pain"],
                            table_edge=edge)


def _side_summary(st, side: str, res) -> None:
    d = res.to_dict()
    if not res.ok:
        st.error(f"{side.capitalize()}: {error_text(res.error)}")
        return
    c1, c2 = st.columns(2)
    c1.metric(f"{side.capitalize()} thigh angle", f"{d['thigh_angle_deg']:+.1f}° ± {d['thigh_angle_uncertainty_deg']:.0f}",
              help="+ = knee below the hip; 0 parallel, +10 optimal.", border=True)
    c2.metric(f"{side.capitalize()} knee flexion", f"{d['knee_flexion_deg']:.1f}° ± {d['knee_flexion_uncertainty_deg']:.0f}",
              help="0 = straight; 80 or more normal.", border=True)
    if res.corrected:
        mr = res.model_reading or {}
        st.caption(f":material/edit: Points corrected by hand. The model's own reading: thigh "
                   f"{mr.get('thigh_angle_deg', '-')}°, knee flexion {mr.get('knee_flexion_deg', '-')}°.")
    if res.front is not None:
        c1, c2 = st.columns(2)
        c1.metric(f"{side.capitalize()} thigh abduction",
                  f"{d['thigh_abduction_deg']:+.1f}° ± {d['thigh_abduction_uncertainty_deg']:.0f}",
                  help="Front view: hip→knee out of the body's midline plane; + = knee away from the midline. "
                       "Under 10° normal (TFL / IT band).", border=True)
        c2.metric(f"{side.capitalize()} shank deviation",
                  f"{d['shank_deviation_deg']:+.1f}° ± {d['shank_deviation_uncertainty_deg']:.0f}",
                  help="Front view: knee→ankle against straight down; + = foot swung outwards (hip turned in), "
                       "- = inwards (hip turned out: with the thigh drawn out, the sartorius pattern).", border=True)
    if d.get("front_error"):
        st.warning(f"{side.capitalize()} front photo not measured: {d['front_error']}", icon=":material/flag:")
    for fl in tuple(res.measurement.flags) + (tuple(res.front.flags) if res.front is not None else ()):
        st.warning(fl.message, icon=":material/flag:")


def _front_overlay(st, side: str, res, blur: bool) -> None:
    """The front view's evidence (midline, thigh abduction, shank), face blurred as the side photo."""
    if res.front_overlay is None:
        return
    img = res.front_overlay
    if blur:
        from thomas_cv.vision.privacy import blur_faces

        img = blur_faces(img, res.front_landmarks, res.front_other_faces)
    st.image(img, caption=f"{side.capitalize()} leg from the front ({res.front_file}): midline, thigh abduction, "
                          "shank against straight down", width="stretch")


def view(st, opts: dict, blur: bool, shared_estimator) -> None:
    from thomas_cv.clinic import fhir, history, report
    from thomas_cv.clinic.assessment import Assessment, MUSCLE_LABELS

    st.subheader("Assessment: both legs")
    st.caption("A side photo of each leg hanging, taken in turn on the same day, and optionally a front photo "
               "of each (TFL / IT band, sartorius). Drag the hip, knee, ankle, shoulder or level-line points on a "
               f"side photo to correct them: the angles and findings follow at once. {DISCLAIMER}")
    c1, c2, c3 = st.columns(3)
    person = c1.text_input("Person ID (a pseudonym is best)", key="assess_person").strip()
    day = c2.date_input("Date of the test", value=_dt.date.today(), key="assess_date")
    if sample_photos():
        c3.button("Load the demo pair (samples)", key="assess_demo", on_click=load_demo, args=(st, DEMO))
        if front_samples("left") and front_samples("right"):
            c3.button("Load a demo pair with front views", key="assess_demo_front", on_click=load_demo,
                      args=(st, FRONT_DEMO))
    cols = st.columns(2)
    results, photos = {}, {}
    for side, col in zip(SIDES, cols):
        with col:
            data, name = _photo_input(st, side)
            if data is None:
                continue
            front, front_name = _front_input(st, side)
            model, rgb = _measure(st, shared_estimator, side, data, name, opts, front, front_name)
            if model.ok and rgb is not None:
                res = _correct(st, side, model, rgb, opts, blur)
            else:
                res = model
            _front_overlay(st, side, res, blur)
            results[side], photos[side] = res, rgb
            _side_summary(st, side, res)
    if not results:
        st.info("Give a side photo of each leg (or load the demo pair) to see the assessment.")
        return
    a = Assessment(results.get("left"), results.get("right"), person=person or None, date=day.isoformat(),
                   photos={k: v for k, v in photos.items() if v is not None})
    d = a.to_dict()
    st.markdown("#### Findings per muscle")
    rows = []
    for mu in MUSCLES:
        cells = []
        for side in SIDES:
            f = d["findings"][side].get(mu)
            if f is None:
                cells.append("-")
                continue
            colour, icon, words = STATUS_STYLE.get(f["status"], ("gray", "", f["status"]))
            cells.append(f":{colour}-badge[{icon} {words}] {f['reason']}")
        rows.append(f"| **{MUSCLE_LABELS[mu]}** | {cells[0]} | {cells[1]} |")
    st.markdown("| Muscle | Left | Right |\n|---|---|---|\n" + "\n".join(rows))
    st.markdown("#### Left-right comparison")
    for c in d["comparison"]:
        text = f"**{MUSCLE_LABELS[c['muscle']]}**: {c['note']}"
        (st.warning if c["asymmetric"] else st.info)(text, icon=":material/compare_arrows:")
    st.markdown("#### What usually follows")
    st.markdown("\n".join(f"- {t}" for t in d["follow_ups"]))
    st.caption(DISCLAIMER)

    stem = f"thomas_{person or 'assessment'}_{day.isoformat()}"
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.download_button("Report (PDF)", report.to_pdf(a, blur_faces=blur), f"{stem}.pdf", "application/pdf",
                       key="assess_pdf", on_click="ignore", icon=":material/picture_as_pdf:")
    c2.download_button("Report (HTML)", report.to_html(a, blur_faces=blur), f"{stem}.html", "text/html",
                       key="assess_html", on_click="ignore", icon=":material/article:")
    c3.download_button("JSON", json.dumps(d, indent=2), f"{stem}.json", "application/json", key="assess_json",
                       on_click="ignore", icon=":material/data_object:")
    from thomas_cv.web.common import result_csv

    c4.download_button("CSV (one row per side)", result_csv(a.rows()), f"{stem}.csv", "text/csv", key="assess_csv",
                       on_click="ignore", icon=":material/table:")
    c5.download_button("FHIR R4 (JSON)", json.dumps(fhir.to_bundle(a), indent=2), f"{stem}.fhir.json",
                       "application/fhir+json", key="assess_fhir", on_click="ignore", icon=":material/share:")

    st.markdown("#### Save to this computer")
    db = history.default_db_path()
    st.caption(f"Nothing is stored unless you press the button. It keeps the angles and findings (no photos) in "
               f"a local database: `{db}`.")
    fingerprint = hashlib.sha1(json.dumps({k: d[k] for k in ("person", "date", "sides")}, sort_keys=True,
                                          default=str).encode()).hexdigest()
    saved = st.session_state.setdefault("_assess_saved", {})
    if st.button("Save to this computer", key="assess_save", disabled=not person or fingerprint in saved,
                 icon=":material/save:", help=None if person else "Give a person ID first."):
        conn = history.connect(db)
        try:
            saved[fingerprint] = history.save(conn, d)
        finally:
            conn.close()
    if fingerprint in saved:
        st.success(f"Saved (assessment {saved[fingerprint]} of {person}). See the History tab.",
                   icon=":material/check:")
    elif not person:
        st.caption("Give a person ID to save.")
