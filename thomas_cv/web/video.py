"""The Video view: a side-view clip measured over its steadiest stretch."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from typing import Optional
from pathlib import Path

from thomas_cv.core.errors import ThomasCVError
from thomas_cv.web.common import (MAX_UPLOAD_MB, POINTS_NEEDED, VIDEO_TYPES, md, once, pick_source, sample_clips,
                                  samples_dir, show_photo_guide, show_result)


def view(st, opts: dict, blur: bool) -> None:
    st.subheader("Video")
    show_photo_guide(st)
    vup = st.file_uploader("Drop a side-view clip of the test here", type=VIDEO_TYPES, key="video_upload",
                           max_upload_size=MAX_UPLOAD_MB)
    clips = sample_clips()
    vchoice = None
    if clips:
        d = samples_dir()
        cnames = ["-"] + [p.relative_to(d).as_posix() for p in clips]
        vchoice = st.selectbox("... or pick a bundled sample clip", cnames, key="video_sample")
    vchoice = vchoice if vchoice and vchoice != "-" else None
    which = pick_source(st, "video", None if vup is None else vup.file_id, vchoice)
    vsrc = None
    if which == "upload":
        vsrc = ("upload", vup.name, vup.getvalue())
        if vchoice:
            st.caption(f"Showing your upload **{md(vup.name)}**; pick the sample again to see it instead.")
    elif which == "sample":
        vsrc = ("sample", vchoice, samples_dir() / vchoice)
        if vup is not None:
            st.caption(f"Showing the bundled sample **{md(vchoice)}**, picked after your upload {md(vup.name)} "
                       "(remove the upload, or upload again, to see it instead).")
    if vsrc is None:
        st.info("Film from the side with the whole body in view; hold the test position still for a few "
                "seconds. The steadiest stretch is measured.")
    elif opts["horizon"] is None:
        st.info(POINTS_NEEDED)
    else:
        vr = run_video(st, vsrc, opts)
        show_video(st, vr, vsrc[1], blur)


def upload_file_name(name: str) -> str:
    r"""A safe file name for an upload: its own base name, without path parts or control
    characters (else ``upload`` with its extension).

    >>> upload_file_name("../../clip 1.mp4"), upload_file_name("a/b\\c.MOV"), upload_file_name("..")
    ('clip 1.mp4', 'c.MOV', 'upload')
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip()
    return base if base and base not in (".", "..") else "upload" + Path(name).suffix


#: the app's temporary folders: thomas-cv-<server pid>-<random>
TEMP_PREFIX = "thomas-cv-"


def remove_stale_temp(tmp: Optional[str] = None) -> int:
    """Remove temporary folders that an app process which no longer runs left behind
    (killed while measuring a clip): a patient's video never outlives a crash for long.
    Returns how many were removed."""
    import re

    from thomas_cv.outputs import remove_tree

    tmp = tmp or tempfile.gettempdir()
    n = 0
    for entry in os.scandir(tmp):
        m = re.fullmatch(re.escape(TEMP_PREFIX) + r"(\d+)-\w+", entry.name)
        if not m or not entry.is_dir(follow_symlinks=False):
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or os.path.exists(f"/proc/{pid}"):
            continue
        remove_tree(entry.path)
        n += 1
    return n


def run_video(st, vsrc, opts):
    """Measure a clip once per (clip, settings), with a progress bar; temp file removed."""
    from thomas_cv.vision.pose import make_estimator
    from thomas_cv.pipeline.video import analyze_video

    kind, name, payload = vsrc
    ident = hashlib.sha1(payload).hexdigest() if kind == "upload" else str(payload)
    key = (ident, opts["side"], opts["horizon"], opts["pain"])

    def measure():
        bar = st.progress(0.0, text=f"Measuring {md(name)} ...")

        def progress(done, total):
            if total:
                bar.progress(min(1.0, done / total), text=f"Measuring {md(name)}: frame {done} of {total}")

        tmpdir = None
        try:
            if kind == "upload":
                # in a private temporary folder under the user's own file name, so that every
                # message names their file (never a temporary name)
                remove_stale_temp()
                tmpdir = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
                path = os.path.join(tmpdir, upload_file_name(name))
                with open(path, "wb") as fh:
                    fh.write(payload)
            else:
                path = str(payload)
            with make_estimator(static=False) as est:  # tracking mode: its own instance
                try:
                    vr = analyze_video(path, est, progress=progress, **opts)
                    if kind == "upload":
                        vr = dataclasses.replace(vr, result=dataclasses.replace(vr.result, file=name))
                except ThomasCVError as exc:
                    vr = exc
        finally:
            if tmpdir is not None:
                from thomas_cv.outputs import remove_tree

                remove_tree(tmpdir)
        bar.empty()
        return vr

    return once(st, "_video_memo", key, measure)


def show_video(st, vr, name: str, blur: bool) -> None:
    import altair as alt
    import pandas as pd

    if isinstance(vr, ThomasCVError):
        st.error(f"{md(name)}: {md(vr)}  \n(code `{vr.code}`)")
        return
    d = vr.to_dict()
    st.session_state["video_result"] = d
    frames = pd.DataFrame(vr.frames)
    st.markdown("#### Angles over time")
    if vr.stretch is not None:
        st.caption(f"Shaded: the steadiest stretch, {vr.stretch.start_s:.2f}–{vr.stretch.end_s:.2f} s "
                   f"(frames {vr.stretch.start}–{vr.stretch.end}); the result is the median over it. "
                   f"{d['frames_measured']} of {d['frames_total']} frames measured at {vr.fps:.0f} fps"
                   + (" (frame rate assumed)" if vr.fps_assumed else "") + ".")
    labels = {"thigh_angle_deg": "thigh angle", "knee_flexion_deg": "knee flexion"}
    parts = []
    for k, lab in labels.items():
        if k in frames:
            parts.append(pd.DataFrame({"time (s)": frames["time_s"], "angle (deg)": frames.get(f"{k}_smoothed"),
                                       "series": lab}))
    if parts:
        long = pd.concat(parts).dropna()
        lines = alt.Chart(long).mark_line().encode(
            x=alt.X("time (s):Q", title="time (s)"), y=alt.Y("angle (deg):Q", title="angle (deg)"),
            color=alt.Color("series:N", scale=alt.Scale(domain=list(labels.values()), range=["#e4572e", "#2e86de"])),
            tooltip=["time (s)", "series", alt.Tooltip("angle (deg):Q", format=".1f")],
        )
        layers = []
        if vr.stretch is not None:
            band = pd.DataFrame({"start": [vr.stretch.start_s], "end": [vr.stretch.end_s], "what": ["steady stretch"]})
            layers.append(alt.Chart(band).mark_rect(opacity=0.18, color="#2ca02c").encode(
                x=alt.X("start:Q", title="time (s)"), x2="end:Q", tooltip=["what", "start", "end"]))
        cut = pd.DataFrame({"y": [0.0, 80.0], "cut-off": ["thigh parallel (0°)", "knee 80°"]})
        layers.append(alt.Chart(cut).mark_rule(strokeDash=[4, 4], color="gray").encode(
            y=alt.Y("y:Q", title="angle (deg)"), tooltip=["cut-off"]))
        layers.append(lines)
        st.altair_chart(alt.layer(*layers).properties(height=300), width="stretch")
    else:
        st.warning("No frame could be measured.")
    extra = {k: d[k] for k in ("stable_stretch", "fps", "fps_assumed", "frames_measured", "frames_total")}
    show_result(st, vr.result, Path(name).name, key="video", blur=blur, extra=extra)
    st.download_button("Download the per-frame series (CSV)", frames.to_csv(index=False).encode("utf-8"),
                       f"{Path(name).stem}_frames.csv", "text/csv", key="video_frames_csv", on_click="ignore")
