"""The Live camera view: WebRTC frames handed to :class:`thomas_cv.pipeline.live.LiveSession`.

The frame thread calls :meth:`LiveSession.process`; the page shows the reading as text and
captures the last steady measurement. A second capture, a front photo of the same position,
joins the side capture as a side+front pair does (:func:`thomas_cv.pipeline.photo.combine_views`). No
measuring here: the session and the analysis do it all.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Optional

from thomas_cv.pipeline.photo import Result, _unexpected, add_front_view, combine_views
from thomas_cv.pipeline.live import STEADY_WORDS, LiveSession
from thomas_cv.web.common import (IMAGE_TYPES, POINTS_NEEDED, STUN_TURN_HELP, ice_servers, md, measure_photo, once,
                                  show_photo_guide, show_result)

#: what the live view asks the camera for (media constraints); less is said on the page
LIVE_WIDTH, LIVE_HEIGHT = 1280, 720
LIVE_MIN_SIDE_PX = 720


def resolution_note(frame_size: Optional[tuple]) -> Optional[str]:
    """A warning when the camera delivers less than the 720p the page asks for, else None.

    >>> resolution_note((640, 480))
    'The camera sends 640 × 480, less than the 1280 × 720 asked for: angles are less sure; use a better camera or good light.'
    >>> resolution_note((1280, 720)) is None
    True
    """
    if frame_size is None:
        return None
    w, h = frame_size
    if min(w, h) >= LIVE_MIN_SIDE_PX:
        return None
    return (f"The camera sends {w} × {h}, less than the {LIVE_WIDTH} × {LIVE_HEIGHT} asked for: angles are less "
            "sure; use a better camera or good light.")


def live_text(snap: Optional[dict], stopped: bool = False) -> str:
    """The live reading as page text (also what the browser test reads). The steadiness words
    are the banner's (``STEADY_WORDS``), from the same reading."""
    if snap is None:
        return "Live: camera stopped. Press START." if stopped else "Live: waiting for the camera ..."
    note = resolution_note(snap.get("frame_size"))
    tail = f"  \n:orange[{note}]" if note else ""
    if not snap["ok"]:
        return f"Live: {snap['message']}" + tail
    state = f"**{STEADY_WORDS[bool(snap['steady'])]}**"
    pre = "Last live reading" if stopped else "Live"
    return (f"{pre} - thigh angle: {snap['thigh_angle_deg']:+.1f}° · knee flexion: "
            f"{snap['knee_flexion_deg']:.1f}° · side {snap['side']} · {state}" + tail)


def view(st, opts: dict, blur: bool, shared_estimator):
    """The view; returns (WebRTC context or None, the session, the placeholder for the live text)."""
    side, horizon, pain = opts["side"], opts["horizon"], opts["pain"]
    ctx = None
    st.subheader("Live camera")
    show_photo_guide(st)
    live = st.session_state.get("_live")
    if live is None:
        live = st.session_state["_live"] = LiveSession()
    if horizon is None:
        st.info(POINTS_NEEDED)
        return ctx, live, None
    live.configure(side, horizon, pain)
    try:
        import av
        from streamlit_webrtc import WebRtcMode, webrtc_streamer
    except ImportError:  # pragma: no cover - the [app] extra is missing
        st.warning("Live video needs streamlit-webrtc (pip install 'thomas-cv[app]'). "
                   "The single snapshot below still works.")
    else:
        def video_frame_callback(frame):
            out = live.process(frame.to_ndarray(format="rgb24"))
            return av.VideoFrame.from_ndarray(out, format="rgb24")

        if os.environ.get("THOMAS_CV_ICE_SERVERS", "").strip() and not ice_servers():
            st.warning("THOMAS_CV_ICE_SERVERS is not a JSON list of ICE servers: no STUN/TURN is used.")
        st.caption("Prop the camera level at hip height, side-on to the hanging leg. Press START, hold the "
                   "position until the banner says STEADY, then press Capture.")
        try:
            ctx = webrtc_streamer(
                key="live",
                mode=WebRtcMode.SENDRECV,
                # No STUN/TURN: localhost needs none and there may be no internet (see below).
                rtc_configuration={"iceServers": ice_servers()},
                # 720p asked for; a camera that cannot is used anyway and the page says so
                media_stream_constraints={"video": {"width": {"ideal": LIVE_WIDTH},
                                                    "height": {"ideal": LIVE_HEIGHT}}, "audio": False},
                video_frame_callback=video_frame_callback,
                async_processing=True,
            )
        except Exception as exc:  # e.g. no Streamlit server runtime (script tests)
            ctx = None
            st.warning(f"Live video cannot start here ({type(exc).__name__}). "
                       "Use the single snapshot below.")
    live_placeholder = st.empty()
    if st.button("Capture the steady measurement", key="capture", type="primary"):
        res = live.capture()
        if res is None:
            st.session_state["live_capture"] = None
            st.warning("Not steady yet: hold the test position still for a second, then capture again.")
        else:
            st.session_state["live_capture"] = res
    cap = st.session_state.get("live_capture")
    if cap is not None:
        if cap.ok:
            st.success("Captured the steady measurement.")
        st.session_state["live_result"] = cap.to_dict()
        show_result(st, cap, "live-capture", key="live", blur=blur)
        if cap.ok and cap.measurement is not None:
            second_capture(st, cap, pain, blur, shared_estimator)
    with st.expander("Using the camera from another device (STUN/TURN)"):
        st.markdown(STUN_TURN_HELP)
    st.markdown("##### Camera not working?")
    # the snapshot widget turns the camera on as soon as it is shown: only on request
    if st.toggle("Take a single snapshot instead (for browsers where live video fails)", key="use_snapshot"):
        shot = st.camera_input("Snapshot of the test position", key="snapshot")
        if shot is not None:
            res = measure_photo(st, shared_estimator, shot.getvalue(), "snapshot", **opts)
            st.session_state["snapshot_result"] = res.to_dict()
            show_result(st, res, "snapshot", key="snapshot", blur=blur)
    return ctx, live, live_placeholder


def with_front(st, shared_estimator, capture: Result, data: bytes, name: str, pain) -> Result:
    """The live capture (a side view) and a front photo of the same position as one result, by
    the rule ``measure --front`` uses (:func:`thomas_cv.pipeline.photo.add_front_view`): the front photo
    is measured as a front view of the captured leg with its thigh angle; one it cannot read (or
    a side photo in its place) leaves the capture standing with the reason. Once per (capture,
    photo, pain)."""
    from thomas_cv.decoder import decode
    from thomas_cv.core.errors import ThomasCVError

    def measure() -> Result:
        est, lock = shared_estimator()
        with st.spinner(f"Measuring {md(name)} ..."):
            try:  # decoded outside the model's lock, with a time limit (as measure_bytes)
                img = decode(data, name)
                with lock:
                    return add_front_view(capture, img.rgb, est, front_file=name, pain=pain,
                                          focal_35mm=img.focal_35mm)
            except ThomasCVError as exc:  # a side photo in the front's place too: the capture stands, with the reason
                return combine_views(capture, Result(file=name, error=exc), pain=pain)
            except Exception as exc:  # noqa: BLE001 - a bug must not take the page down
                return combine_views(capture, Result(file=name, error=_unexpected(name, exc)), pain=pain)

    return once(st, "_live_front_memo", (id(capture), hashlib.sha1(data).hexdigest(), name, pain), measure)


def second_capture(st, capture: Result, pain, blur: bool, shared_estimator) -> None:
    """After a side capture: a front photo of the same position (camera or file), for TFL / IT
    band and sartorius and the 3-D correction."""
    st.markdown("##### Second capture: the front view (experimental)")
    st.caption("Keep the position. From the foot end of the table, camera at table height, photograph both hips and "
               "the whole hanging leg: TFL / IT band and sartorius, and the side angles corrected in 3-D. The pose "
               "model rarely reads this view yet (README, \"The front view\"): a front photo it cannot read leaves "
               "the side capture standing and says why.")
    if not st.toggle("Add a front photo of the same position", key="live_front_on"):
        return
    shot = st.camera_input("Front view from the foot end of the table", key="live_front_shot")
    up = st.file_uploader("... or a front photo taken with another camera", type=IMAGE_TYPES, key="live_front_upload")
    got = shot if shot is not None else up
    if got is None:
        return
    name = getattr(got, "name", None) or "live-front"
    res = with_front(st, shared_estimator, capture, got.getvalue(), name, pain)
    st.session_state["live_result"] = res.to_dict()
    if res.front is not None:
        st.success("The front view joined the captured measurement.")
    show_result(st, res, "live-capture", key="live_front", blur=blur)


def follow(ctx, live: LiveSession, live_placeholder) -> None:
    """Show the live angles as page text while the stream plays (run after every view is drawn)."""
    if ctx is not None and live_placeholder is not None:
        last = None
        while ctx.state.playing:
            snap = live.snapshot()
            text = live_text(snap)
            if text != last:
                live_placeholder.markdown(text)
                last = text
            time.sleep(0.25)
        live_placeholder.markdown(live_text(live.snapshot(), stopped=True))
