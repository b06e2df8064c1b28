"""The Thomas-test web page (Streamlit): Photo, Video, Live camera and Batch.

Thin wiring over the core (:mod:`thomas_cv.analyze`, :mod:`thomas_cv.video`, ...): no
angle maths here. Run it with ``thomas-cv app`` or ``streamlit run app.py``.

Privacy: every upload is measured in memory (videos and zips in a temporary file or folder
that is deleted straight afterwards); nothing is written to disk for keeps and nothing is
sent anywhere. Uploads are limited to :data:`MAX_UPLOAD_MB` per file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import threading
import time
import zipfile
from collections import deque
from pathlib import Path
from typing import Optional

import numpy as np

from thomas_cv.analyze import Horizon, Result, analyze_path
from thomas_cv.errors import ThomasCVError
from thomas_cv.interpret import DISCLAIMER, MUSCLES, interpret
from thomas_cv.measure import measure

#: per-file upload limit (MB), also set in .streamlit/config.toml (server.maxUploadSize)
MAX_UPLOAD_MB = 200
IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "heic", "heif", "gif"]
VIDEO_TYPES = ["mp4", "mov", "avi", "mkv", "m4v", "webm"]

MUSCLE_LABELS = {
    "iliopsoas": "Iliopsoas (one-joint hip flexors)",
    "rectus_femoris": "Rectus femoris (two-joint hip flexor)",
    "tfl_itb": "Tensor fasciae latae / IT band",
    "sartorius": "Sartorius",
}
MUSCLE_SHORT_NAMES = {"iliopsoas": "Iliopsoas", "rectus_femoris": "Rectus femoris", "tfl_itb": "TFL / IT band",
                      "sartorius": "Sartorius"}
#: colour AND words for every status (never colour alone)
STATUS_STYLE = {
    "normal": ("green", ":material/check_circle:", "Normal"),
    "borderline": ("orange", ":material/help:", "Borderline"),
    "short": ("red", ":material/warning:", "Appears short"),
    "not_assessable": ("gray", ":material/visibility_off:", "Not assessable"),
}
SIDE_CHOICES = {"Auto (the hanging leg)": None, "Left": "left", "Right": "right"}
PAIN_CHOICES = {"No pain, only a stretch": None, "Pain in the hip": "hip", "Pain in the knee": "knee"}
HORIZON_CHOICES = (
    "Automatic: the table edge (else the image's x axis)",
    "Image x axis (camera level)",
    "Camera roll (degrees)",
    "Two points on the table edge",
)

PRIVACY_TEXT = (
    "Images stay on this computer: photos, clips and camera frames are measured in memory "
    "(or in a temporary file deleted straight afterwards), nothing is stored and nothing is sent anywhere. "
    f"Uploads up to {MAX_UPLOAD_MB} MB per file."
)
STUN_TURN_HELP = """\
On this computer (localhost) the camera works without any server on the internet.
To use the page from another device (e.g. a tablet on the clinic network), serve it over
HTTPS (browsers allow cameras only on https or localhost) and give WebRTC a STUN server,
and a TURN server if the networks block direct connections. Set the environment variable
`THOMAS_CV_ICE_SERVERS` to a JSON list before starting the app, for example

```
export THOMAS_CV_ICE_SERVERS='[{"urls": ["stun:stun.example.org:3478"]},
  {"urls": ["turn:turn.example.org:3478"], "username": "user", "credential": "secret"}]'
thomas-cv app
```

Your own TURN server (e.g. coturn) keeps the video inside your network. If WebRTC still
fails, use the single snapshot below: it needs only the browser's camera.
"""


# ----------------------------------------------------------------------------- helpers


def samples_dir() -> Optional[Path]:
    """The bundled ``sample_images/`` next to the package's repository, if present."""
    env = os.environ.get("THOMAS_CV_SAMPLES")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parents[1] / "sample_images", Path.cwd() / "sample_images"]
    for c in candidates:
        if c.is_dir():
            return c
    return None


def sample_photos() -> list[Path]:
    d = samples_dir()
    if d is None:
        return []
    return sorted(p for p in d.iterdir() if p.is_file() and p.suffix.lower().lstrip(".") in IMAGE_TYPES)


def sample_clips() -> list[Path]:
    d = samples_dir()
    if d is None:
        return []
    return sorted(p for p in d.rglob("*") if p.is_file() and p.suffix.lower().lstrip(".") in VIDEO_TYPES)


def ice_servers() -> list:
    """ICE servers for WebRTC: none by default (localhost needs none; no internet needed)."""
    raw = os.environ.get("THOMAS_CV_ICE_SERVERS", "").strip()
    if not raw:
        return []
    try:
        servers = json.loads(raw)
        return servers if isinstance(servers, list) else []
    except json.JSONDecodeError:
        return []


def result_csv(rows: list[dict]) -> bytes:
    """CSV bytes in the batch column order (the output contract)."""
    import pandas as pd

    from thomas_cv.batch import columns

    cols = columns()
    extra = [k for r in rows for k in r if k not in cols]
    cols = cols + list(dict.fromkeys(extra))
    return pd.DataFrame(rows, columns=cols).to_csv(index=False).encode("utf-8")


def privacy_image(result: Result, blur: bool) -> Optional[np.ndarray]:
    """The overlay, with the face blurred when asked and landmarks are known."""
    img = result.overlay
    if img is None:
        return None
    if blur and result.landmarks is not None:
        from thomas_cv.privacy import blur_faces

        img = blur_faces(img, result.landmarks)
    return img


def upright_size(data: bytes) -> Optional[tuple[int, int]]:
    """(width, height) of a photo as shown upright (EXIF rotation applied), without decoding it."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
            if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # rotated by 90 degrees
                w, h = h, w
            return w, h
    except Exception:  # unreadable: the measurement says why
        return None


def error_text(err) -> str:
    """The core's one-line message, without the generic name it gives in-memory uploads."""
    text = str(err)
    for generic in ("the upload: ", "upload: "):
        if text.startswith(generic):
            return text[len(generic):]
    return text


def _fmt_deg(v, signed: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:+.1f}°" if signed else f"{v:.1f}°"


def patch_streamlit_media_gzip() -> bool:
    """Compatibility shim: make Streamlit's server send images and zips with Starlette >= 1.

    Streamlit 1.60's media-aware gzip responders hold back the response start of content
    types they do not compress (images, zip), expecting Starlette to send it with the body;
    Starlette 1.x no longer does, so every ``st.image`` and every PNG/zip download fails with
    HTTP 500 ("Expected ASGI message 'http.response.start'"). Here the start is sent at once
    for those types. Applied only when both versions need it; returns True if applied.
    """
    try:
        import inspect

        from starlette.middleware.gzip import IdentityResponder
        from streamlit.web.server.starlette import starlette_gzip_middleware as g
    except ImportError:
        return False
    if getattr(g, "_thomas_cv_patched", False):
        return True
    if "exclude_content_types" not in inspect.signature(IdentityResponder.__init__).parameters:
        return False  # older Starlette: Streamlit's responders work as they are
    handle = getattr(g, "_handle_response_start", None)
    classes = [getattr(g, n, None) for n in ("_MediaAwareIdentityResponder", "_MediaAwareGZipResponder")]
    if handle is None or None in classes:
        return False

    def make(cls):
        base = cls.__mro__[1].send_with_compression

        async def send_with_compression(self, message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                handle(self, message)
                self.partial_response = message.get("status") == 206
                if self.content_encoding_set or self.partial_response or self.content_type_is_excluded:
                    await self.send(message)
            else:
                await base(self, message)

        return send_with_compression

    for cls in classes:
        cls.send_with_compression = make(cls)
    g._thomas_cv_patched = True
    return True


# ------------------------------------------------------------------- live camera state


class LiveSession:
    """Live measurement shared by the page (script thread) and WebRTC's frame thread.

    The frame thread calls :meth:`process` for every camera frame (its own BlazePose in
    tracking mode: the model is not thread-safe); the page reads :meth:`snapshot` and
    :meth:`capture`. The leg is *steady* when both angles stayed within the video
    analysis's tolerance for :data:`thomas_cv.video.STABLE_MIN_S`.
    """

    KEEP_S = 3.0  # seconds of history kept
    MAX_FRAMES = 45  # frames kept (for the capture) while steady
    AUTO_HORIZON_FRAMES = 15  # frames searched for the table edge with the automatic reference

    def __init__(self, estimator_factory=None):
        from thomas_cv.video import STABLE_MIN_S, STABLE_TOLERANCE_DEG

        self.window_s = STABLE_MIN_S
        self.tolerance_deg = STABLE_TOLERANCE_DEG
        self._factory = estimator_factory
        self._est = None
        self.lock = threading.Lock()
        self.side: Optional[str] = None
        self.horizon = Horizon.parse("auto")
        self.pain: Optional[str] = None
        self._auto_fixed = None  # the Reference (horizontal, perspective) once found
        self._auto_tries = 0
        self._samples: deque = deque()  # (t, thigh, knee)
        self._frames: deque = deque(maxlen=self.MAX_FRAMES)  # (t, rgb, landmarks, measurement)
        self._latest: Optional[dict] = None
        self._steady_pick: Optional[tuple] = None  # (rgb, landmarks, measurement) of the last steady window
        self.frames_seen = 0

    def configure(self, side, horizon: Horizon, pain) -> None:
        with self.lock:
            if horizon != self.horizon:
                self._auto_fixed, self._auto_tries = None, 0
            self.side, self.horizon, self.pain = side, horizon, pain

    def _estimator(self):
        if self._est is None:
            if self._factory is not None:
                self._est = self._factory()
            else:
                from thomas_cv.pose import make_estimator

                self._est = make_estimator(static=False)
        return self._est

    def process(self, rgb: np.ndarray, t: Optional[float] = None) -> np.ndarray:
        """Measure one frame; return it annotated (overlay, angles, steadiness)."""
        from thomas_cv.overlay import draw_overlay

        t = time.monotonic() if t is None else t
        with self.lock:
            side, horizon = self.side, self.horizon
        m, lm, message = None, None, None
        try:
            lm = self._estimator().estimate(rgb)
            if lm is None:
                message = "No person found: show the whole body from the side."
            else:
                m = self._measure(rgb, lm, side, horizon)
        except ThomasCVError as exc:
            message = str(exc)
        except Exception as exc:  # the stream must go on whatever one frame does
            message = f"Frame not measured ({type(exc).__name__})."
        with self.lock:
            self.frames_seen += 1
            if m is None:
                self._samples.clear()
                self._frames.clear()
                self._latest = {"t": t, "ok": False, "message": message, "steady": False}
                steady = False
            else:
                self._samples.append((t, m.thigh_angle_deg, m.knee_flexion_deg))
                while self._samples and self._samples[0][0] < t - self.KEEP_S:
                    self._samples.popleft()
                self._frames.append((t, rgb, lm, m))
                steady = self._is_steady(t)
                if steady:
                    self._steady_pick = self._pick(t)
                self._latest = {
                    "t": t,
                    "ok": True,
                    "thigh_angle_deg": float(m.thigh_angle_deg),
                    "knee_flexion_deg": float(m.knee_flexion_deg),
                    "confidence": float(m.confidence),
                    "side": m.side,
                    "steady": steady,
                    "message": None,
                }
        out = draw_overlay(rgb, m, None, message=message)
        return self._banner(out, steady if m is not None else None)

    def _measure(self, rgb, lm, side, horizon: Horizon):
        """measure() with the horizontal reference; ``auto`` looks for the table edge in the
        first frames only and then keeps it (the camera stands still), as the video does."""
        if horizon.kind != "auto":
            return measure(lm, side=side, horizon_deg=horizon.degrees(), horizon_source=horizon.kind)
        from thomas_cv.analyze import Reference, measure_with_reference, resolve_reference

        with self.lock:
            fixed = self._auto_fixed
        if fixed is not None:
            return measure_with_reference(lm, side=side, ref=fixed)
        ref = resolve_reference(rgb, lm, horizon)
        with self.lock:
            self._auto_tries += 1
            if ref.source == "table_edge":
                self._auto_fixed = ref
            elif self._auto_tries >= self.AUTO_HORIZON_FRAMES:
                self._auto_fixed = Reference(0.0, ref.source)
        return measure_with_reference(lm, side=side, ref=ref)

    def _window(self, t: float) -> list:
        return [s for s in self._samples if s[0] >= t - self.window_s]

    def _is_steady(self, t: float) -> bool:
        """Both angles, median-smoothed as the video analysis does, within the tolerance
        over the last second."""
        from thomas_cv.series import smooth

        n = len(self._window(t))
        if n < 3 or self._samples[0][0] > t - 0.9 * self.window_s:
            return False  # not yet a full second of measured frames
        a = np.array([(s[1], s[2]) for s in self._samples])
        win = max(1, min(5, n // 3) | 1)  # about 0.2 s at 15-30 fps
        sm = np.column_stack([smooth(a[:, 0], win), smooth(a[:, 1], win)])[-n:]
        return bool(np.all(np.ptp(sm, axis=0) <= self.tolerance_deg))

    def _pick(self, t: float) -> tuple:
        """The frame of the steady second closest to its median angles (as the video does)."""
        frames = [f for f in self._frames if f[0] >= t - self.window_s]
        med_t = float(np.median([f[3].thigh_angle_deg for f in frames]))
        med_k = float(np.median([f[3].knee_flexion_deg for f in frames]))
        best = min(frames, key=lambda f: abs(f[3].thigh_angle_deg - med_t) + abs(f[3].knee_flexion_deg - med_k))
        return best[1], best[2], best[3]

    @staticmethod
    def _banner(img: np.ndarray, steady: Optional[bool]) -> np.ndarray:
        import cv2

        if steady is None:
            return img
        h, w = img.shape[:2]
        s = max(h, w) / 1000.0
        text = "STEADY - press Capture" if steady else "HOLD STILL"
        colour = (40, 170, 60) if steady else (230, 140, 0)
        bh = int(44 * max(s, 0.6))
        cv2.rectangle(img, (0, h - bh), (w, h), colour, -1)
        cv2.putText(img, text, (int(12 * max(s, 0.6)), h - int(bh * 0.3)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.9 * max(s, 0.6), (255, 255, 255), max(1, int(2 * s)), cv2.LINE_AA)
        return img

    def snapshot(self) -> Optional[dict]:
        with self.lock:
            return dict(self._latest) if self._latest else None

    def capture(self) -> Optional[Result]:
        """Freeze the last steady measurement into a full result (None if never steady)."""
        from thomas_cv.overlay import draw_overlay

        with self.lock:
            pick, pain = self._steady_pick, self.pain
        if pick is None:
            return None
        rgb, lm, m = pick
        findings, notes = interpret(m, pain=pain)
        overlay = draw_overlay(rgb, m, findings)
        return Result(file="live-capture", measurement=m, findings=findings, notes=tuple(notes),
                      overlay=overlay, landmarks=lm)

    def close(self) -> None:
        if self._est is not None:
            self._est.close()
            self._est = None


# ------------------------------------------------------------------------- the page


def main() -> None:
    import streamlit as st

    patch_streamlit_media_gzip()
    st.set_page_config(page_title="Thomas test - hip-flexor length", page_icon=":material/accessibility:",
                       layout="wide")

    @st.cache_resource(show_spinner="Loading the pose model ...")
    def shared_estimator():
        """One photo model for all sessions, with a lock: BlazePose is not thread-safe."""
        from thomas_cv.pose import make_estimator

        return make_estimator(static=True), threading.Lock()

    def measure_photo(data: bytes, name: str, side, horizon: Horizon, pain) -> Result:
        key = (hashlib.sha1(data).hexdigest(), name, side, horizon, pain)
        memo = st.session_state.get("_photo_memo")
        if memo is not None and memo[0] == key:
            return memo[1]
        est, lock = shared_estimator()
        with lock, st.spinner(f"Measuring {name} ..."):
            res = analyze_path(data, est, name=name, side=side, horizon=horizon, pain=pain)
        st.session_state["_photo_memo"] = (key, res)
        return res

    # --------------------------------------------------------------- header & settings
    st.title("Thomas test: hip-flexor length")
    st.markdown(
        f"**{DISCLAIMER}** The page measures the angles of the hanging leg in a side view and shows its "
        "evidence; a clinician interprets them."
    )
    st.caption(":material/lock: " + PRIVACY_TEXT)

    with st.sidebar:
        st.header("Settings")
        side = SIDE_CHOICES[st.selectbox("Tested side", list(SIDE_CHOICES), key="side",
                                         help="The hanging leg. Auto picks the leg whose hip is less flexed.")]
        hmode = st.radio("Horizontal reference", HORIZON_CHOICES, key="horizon_mode",
                         help="Angles of the thigh are measured against this level line.")
        horizon = Horizon.parse("auto")
        if hmode == HORIZON_CHOICES[1]:
            horizon = Horizon.parse("image")
        elif hmode == HORIZON_CHOICES[2]:
            roll = st.number_input("Camera roll (deg, counter-clockwise positive)", -44.0, 44.0, 0.0, 0.5,
                                   key="horizon_roll",
                                   help="The angle a level line makes with the image's x axis, e.g. from the "
                                        "phone's level.")
            horizon = Horizon.parse(str(roll))
        elif hmode == HORIZON_CHOICES[3]:
            st.caption("Two points on the table edge, in the photo's pixels (x to the right, y down).")
            c1, c2 = st.columns(2)
            x1 = c1.number_input("x1", 0.0, value=0.0, step=10.0, key="hx1")
            y1 = c2.number_input("y1", 0.0, value=0.0, step=10.0, key="hy1")
            x2 = c1.number_input("x2", 0.0, value=100.0, step=10.0, key="hx2")
            y2 = c2.number_input("y2", 0.0, value=0.0, step=10.0, key="hy2")
            try:
                horizon = Horizon.parse(f"{x1},{y1},{x2},{y2}")
            except ThomasCVError as exc:
                st.error(str(exc))
        pain = PAIN_CHOICES[st.radio("Pain in the test position", list(PAIN_CHOICES), key="pain",
                                     help="Pain in the hip or knee is not a muscle finding: a joint or spine "
                                          "problem must be ruled out first.")]
        blur = st.checkbox("Blur faces in downloaded images", value=True, key="blur")
        st.divider()
        st.caption(f"{DISCLAIMER} Thigh angle: + when the knee is below the hip (0 = parallel, "
                   "about +10 optimal). Knee flexion: 0 = straight leg, about 90 normal.")

    opts = dict(side=side, horizon=horizon, pain=pain)
    tab_photo, tab_video, tab_live, tab_batch = st.tabs(["Photo", "Video", "Live camera", "Batch"])

    # ------------------------------------------------------------------------- Photo
    with tab_photo:
        st.subheader("Photo")
        up = st.file_uploader("Drop a side photo of the Thomas test here", type=IMAGE_TYPES, key="photo_upload",
                              max_upload_size=MAX_UPLOAD_MB)
        samples = sample_photos()
        choice = None
        if samples:
            names = ["-"] + [p.name for p in samples]
            choice = st.selectbox("... or pick a bundled sample photo", names, key="photo_sample")
        data, name = None, None
        if up is not None:
            data, name = up.getvalue(), up.name
        elif choice and choice != "-":
            path = next(p for p in samples if p.name == choice)
            data, name = path.read_bytes(), path.name
        if data is None:
            st.info("Upload a photo taken from the side, perpendicular to the hanging leg, with the whole body "
                    "on the table in view." + ("" if samples else " (No bundled samples found.)"))
        else:
            if horizon.kind == "points":
                size = upright_size(data)
                if size:
                    st.caption(f"{name} is {size[0]} × {size[1]} px: give the two table-edge points in these "
                               "pixels (x from the left, y from the top).")
            res = measure_photo(data, name, **opts)
            st.session_state["photo_result"] = res.to_dict()
            show_result(st, res, name, key="photo", blur=blur)

    # ------------------------------------------------------------------------- Video
    with tab_video:
        st.subheader("Video")
        vup = st.file_uploader("Drop a side-view clip of the test here", type=VIDEO_TYPES, key="video_upload",
                               max_upload_size=MAX_UPLOAD_MB)
        clips = sample_clips()
        vchoice = None
        if clips:
            d = samples_dir()
            cnames = ["-"] + [p.relative_to(d).as_posix() for p in clips]
            vchoice = st.selectbox("... or pick a bundled sample clip", cnames, key="video_sample")
        vsrc = None
        if vup is not None:
            vsrc = ("upload", vup.name, vup.getvalue())
        elif vchoice and vchoice != "-":
            vsrc = ("sample", vchoice, samples_dir() / vchoice)
        if vsrc is None:
            st.info("Film from the side with the whole body in view; hold the test position still for a few "
                    "seconds. The steadiest stretch is measured.")
        else:
            vr = run_video(st, vsrc, opts)
            show_video(st, vr, vsrc[1], blur)

    # ------------------------------------------------------------------- Live camera
    live_placeholder = None
    ctx = None
    with tab_live:
        st.subheader("Live camera")
        live = st.session_state.get("_live")
        if live is None:
            live = st.session_state["_live"] = LiveSession()
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
                    media_stream_constraints={"video": {"width": {"ideal": 960}}, "audio": False},
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
            st.success("Captured the steady measurement.")
            st.session_state["live_result"] = cap.to_dict()
            show_result(st, cap, "live-capture", key="live", blur=blur)
        with st.expander("Using the camera from another device (STUN/TURN)"):
            st.markdown(STUN_TURN_HELP)
        st.markdown("##### Camera not working?")
        # the snapshot widget turns the camera on as soon as it is shown: only on request
        if st.toggle("Take a single snapshot instead (for browsers where live video fails)", key="use_snapshot"):
            shot = st.camera_input("Snapshot of the test position", key="snapshot")
            if shot is not None:
                res = measure_photo(shot.getvalue(), "snapshot", **opts)
                st.session_state["snapshot_result"] = res.to_dict()
                show_result(st, res, "snapshot", key="snapshot", blur=blur)

    # ------------------------------------------------------------------------- Batch
    with tab_batch:
        st.subheader("Batch")
        bups = st.file_uploader("Drop many photos, or zip files of photos, here",
                                type=IMAGE_TYPES + ["zip"], accept_multiple_files=True, key="batch_upload",
                                max_upload_size=MAX_UPLOAD_MB)
        if not bups:
            st.info("Each photo is measured on its own; bad files are listed with the reason while the rest "
                    "are measured. Faces are blurred in the zip of overlays.")
        else:
            rows, overlays = run_batch(st, bups, opts, blur, shared_estimator)
            show_batch(st, rows, overlays, blur)

    # ------------------------------------------- live angles as page text, while playing
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


def live_text(snap: Optional[dict], stopped: bool = False) -> str:
    """The live reading as page text (also what the browser test reads)."""
    if snap is None:
        return "Live: camera stopped. Press START." if stopped else "Live: waiting for the camera ..."
    if not snap["ok"]:
        return f"Live: {snap['message']}"
    state = "**Steady**: press Capture" if snap["steady"] else "**Hold still** ..."
    pre = "Last live reading" if stopped else "Live"
    return (f"{pre} - thigh angle: {snap['thigh_angle_deg']:+.1f}° · knee flexion: "
            f"{snap['knee_flexion_deg']:.1f}° · side {snap['side']} · {state}")


# ---------------------------------------------------------------------- result views


def show_result(st, res: Result, name: str, key: str, blur: bool, extra: Optional[dict] = None) -> None:
    """One result as the Photo view shows it: overlay, metrics, findings, flags, downloads."""
    from thomas_cv.media import encode_image

    d = res.to_dict()
    if extra:
        d.update(extra)
    if not res.ok:
        st.error(f"{name}: {error_text(res.error)}  \n(code `{d['error_code']}`)")
        st.download_button("Download JSON", json.dumps(d, indent=2), f"{Path(name).stem}_thomas.json",
                           "application/json", key=f"{key}_json", on_click="ignore")
        return
    m = res.measurement
    left, right = st.columns([3, 2])
    with left:
        st.image(res.overlay, caption=f"{name}: the evidence (tested leg, horizontal reference, angles)",
                 width="stretch")
    with right:
        c1, c2 = st.columns(2)
        c1.metric("Thigh angle", _fmt_deg(d["thigh_angle_deg"], signed=True),
                  help="Hip→knee against the horizontal; + = knee below the hip. 0 = parallel, +10 optimal, "
                       "negative = thigh raised.", border=True)
        c2.metric("Knee flexion", _fmt_deg(d["knee_flexion_deg"]),
                  help="180° minus the inner hip-knee-ankle angle; 0 = straight, about 90 normal.", border=True)
        c1.metric("Hip ext. to trunk", _fmt_deg(d["hip_extension_to_trunk_deg"], signed=True),
                  help="Thigh against the trunk line continued past the hip; + = behind it. Independent of "
                       "the camera's roll.", border=True)
        c2.metric("Other hip drawn up", _fmt_deg(d["hugged_hip_flexion_deg"]),
                  help="Flexion of the hugged hip: too little and the pelvis is not flat.", border=True)
        c1.metric("Knee inner angle", _fmt_deg(d["knee_inner_angle_deg"]), border=True)
        c2.metric("Confidence", f"{d['confidence']:.2f}", border=True)
        view = ("" if d.get("view_yaw_deg") is None
                else f" · perspective corrected: camera {d['view_yaw_deg']:.0f}° off square")
        st.caption(f"Tested side: **{d['side']}** · horizontal reference: {d['horizon_source']} "
                   f"({d['horizon_deg']:+.1f}°){view} · uncertainty ±{d['thigh_angle_uncertainty_deg']:.0f}° thigh, "
                   f"±{d['knee_flexion_uncertainty_deg']:.0f}° knee")
    st.markdown("#### Findings")
    for mu in MUSCLES:
        f = res.findings.get(mu)
        if f is None:
            continue
        colour, icon, words = STATUS_STYLE.get(f.status, ("gray", "", f.status))
        st.markdown(f":{colour}-badge[{icon} {words}] **{MUSCLE_LABELS.get(mu, mu)}**: {f.reason}")
    for fl in m.flags:
        st.warning(fl.message, icon=":material/flag:")
    for n in res.notes:
        st.info(n)
    st.caption(DISCLAIMER)
    stem = Path(name).stem
    img = privacy_image(res, blur)
    c1, c2, c3 = st.columns(3)
    c1.download_button("Download overlay (PNG)", encode_image(img, "PNG"), f"{stem}_overlay.png", "image/png",
                       key=f"{key}_png", on_click="ignore", icon=":material/image:")
    c2.download_button("Download JSON", json.dumps(d, indent=2), f"{stem}_thomas.json", "application/json",
                       key=f"{key}_json", on_click="ignore", icon=":material/data_object:")
    row = res.to_row()
    if extra:
        row.update({k: v for k, v in extra.items() if not isinstance(v, (dict, list))})
    c3.download_button("Download CSV", result_csv([row]), f"{stem}_thomas.csv", "text/csv",
                       key=f"{key}_csv", on_click="ignore", icon=":material/table:")


def run_video(st, vsrc, opts):
    """Measure a clip once per (clip, settings), with a progress bar; temp file removed."""
    from thomas_cv.pose import make_estimator
    from thomas_cv.video import analyze_video

    kind, name, payload = vsrc
    ident = hashlib.sha1(payload).hexdigest() if kind == "upload" else str(payload)
    key = (ident, opts["side"], opts["horizon"], opts["pain"])
    memo = st.session_state.get("_video_memo")
    if memo is not None and memo[0] == key:
        return memo[1]
    bar = st.progress(0.0, text=f"Measuring {name} ...")

    def progress(done, total):
        if total:
            bar.progress(min(1.0, done / total), text=f"Measuring {name}: frame {done} of {total}")

    tmp = None
    try:
        if kind == "upload":
            fd, tmp = tempfile.mkstemp(prefix="thomas-cv-", suffix=Path(name).suffix)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            path = tmp
        else:
            path = str(payload)
        with make_estimator(static=False) as est:  # tracking mode: its own instance
            try:
                vr = analyze_video(path, est, progress=progress, **opts)
            except ThomasCVError as exc:
                vr = exc
    finally:
        if tmp is not None:
            os.unlink(tmp)
    bar.empty()
    st.session_state["_video_memo"] = (key, vr)
    return vr


def show_video(st, vr, name: str, blur: bool) -> None:
    import altair as alt
    import pandas as pd

    if isinstance(vr, ThomasCVError):
        st.error(f"{name}: {vr}  \n(code `{vr.code}`)")
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


def _batch_inputs(uploads, tmpdir: Path) -> list[tuple[str, object]]:
    """(name, bytes | path | ThomasCVError) per photo: zips unpacked safely into tmpdir.

    Entries of a zip that are not photos are ignored (as the command line's batch does);
    photo entries that could not be unpacked safely are listed with the reason.
    """
    from thomas_cv.batch import find_images, safe_extract_zip

    items: list[tuple[str, object]] = []
    for i, up in enumerate(uploads):
        if up.name.lower().endswith(".zip"):
            zpath = tmpdir / f"upload{i}.zip"
            zpath.write_bytes(up.getvalue())
            dest = tmpdir / f"zip{i}"
            dest.mkdir()
            try:
                skipped = safe_extract_zip(zpath, dest) or []
            except ThomasCVError as exc:
                items.append((up.name, exc))
                continue
            finally:
                zpath.unlink()
            found = [(f"{up.name}/{rel}", dest / rel) for rel in find_images(dest)]
            found += [(f"{up.name}/{name}", exc) for name, exc in skipped]
            if not found:
                from thomas_cv.errors import UnsupportedFileError

                found = [(up.name, UnsupportedFileError(f"{up.name}: the zip holds no photos."))]
            items.extend(sorted(found, key=lambda it: it[0]))
        else:
            items.append((up.name, up.getvalue()))
    return items


def run_batch(st, uploads, opts, blur: bool, shared_estimator):
    """Measure every uploaded photo (and every photo in uploaded zips) with a progress bar."""
    from thomas_cv.batch import overlay_name
    from thomas_cv.media import encode_image

    key = (tuple((u.file_id, u.name) for u in uploads), opts["side"], opts["horizon"], opts["pain"], blur)
    memo = st.session_state.get("_batch_memo")
    if memo is not None and memo[0] == key:
        return memo[1]
    rows: list[dict] = []
    overlays: dict[str, bytes] = {}
    bar = st.progress(0.0, text="Preparing ...")
    with tempfile.TemporaryDirectory(prefix="thomas-cv-batch-") as tmp:
        items = _batch_inputs(uploads, Path(tmp))
        est, lock = shared_estimator()
        for i, (name, src) in enumerate(items):
            bar.progress(i / max(1, len(items)), text=f"Measuring {name} ({i + 1} of {len(items)})")
            if isinstance(src, ThomasCVError):
                res = Result(file=name, error=src)
            else:
                with lock:
                    res = analyze_path(src, est, name=name, **opts)
            row = res.to_row()
            row["overlay"] = None
            if res.overlay is not None:
                oname = overlay_name(name)
                overlays[oname] = encode_image(privacy_image(res, blur), "JPEG")
                row["overlay"] = oname
            rows.append(row)
    bar.progress(1.0, text=f"Measured {len(items)} file(s).")
    st.session_state["_batch_memo"] = (key, (rows, overlays))
    return rows, overlays


def show_batch(st, rows: list[dict], overlays: dict, blur: bool) -> None:
    import pandas as pd

    st.session_state["batch_rows"] = rows
    ok = [r for r in rows if r["ok"]]
    bad = [r for r in rows if not r["ok"]]
    st.markdown(f"**{len(ok)} of {len(rows)} file(s) measured**" + (f", {len(bad)} could not be measured." if bad else "."))
    st.markdown("#### Summary: how many appear short, per muscle")
    cols = st.columns(len(MUSCLES))
    for c, mu in zip(cols, MUSCLES):
        st_counts = {s: sum(1 for r in ok if r.get(f"{mu}_status") == s) for s in STATUS_STYLE}
        c.metric(f"{MUSCLE_SHORT_NAMES[mu]}: short", f"{st_counts['short']} of {len(ok)}",
                 help=", ".join(f"{STATUS_STYLE[s][2].lower()}: {n}" for s, n in st_counts.items()), border=True)
    summary = pd.DataFrame(
        [{"muscle": MUSCLE_LABELS[mu], **{STATUS_STYLE[s][2]: sum(1 for r in ok if r.get(f"{mu}_status") == s)
                                         for s in STATUS_STYLE}} for mu in MUSCLES])
    st.dataframe(summary, hide_index=True, key="batch_summary")
    if bad:
        st.markdown("#### Not measured")
        for r in bad:
            st.warning(f"**{r['file']}**: {error_text(r['error'])} (`{r['error_code']}`)")
    st.markdown("#### Results (click a column header to sort)")
    df = pd.DataFrame(rows)
    show = ["file", "ok", "side", "thigh_angle_deg", "knee_flexion_deg", "hip_extension_to_trunk_deg",
            "hugged_hip_flexion_deg", "confidence"] + [f"{m}_status" for m in MUSCLES] + ["flags", "error_code"]
    st.dataframe(df[[c for c in show if c in df]], hide_index=True, key="batch_table",
                 column_config={
                     "thigh_angle_deg": st.column_config.NumberColumn("thigh angle (°)", format="%+.1f"),
                     "knee_flexion_deg": st.column_config.NumberColumn("knee flexion (°)", format="%.1f"),
                     "hip_extension_to_trunk_deg": st.column_config.NumberColumn("hip ext. to trunk (°)", format="%+.1f"),
                     "hugged_hip_flexion_deg": st.column_config.NumberColumn("other hip drawn up (°)", format="%.1f"),
                     "confidence": st.column_config.NumberColumn("confidence", format="%.2f"),
                     **{f"{m}_status": st.column_config.TextColumn(MUSCLE_SHORT_NAMES[m]) for m in MUSCLES},
                 })
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as zf:
        for oname, data in overlays.items():
            zf.writestr(oname, data)
    c1, c2 = st.columns(2)
    c1.download_button("Download results (CSV)", result_csv(rows), "thomas_batch_results.csv", "text/csv",
                       key="batch_csv", on_click="ignore", icon=":material/table:")
    c2.download_button("Download overlays (zip)" + (", faces blurred" if blur else ""), zbuf.getvalue(), "thomas_batch_overlays.zip",
                       "application/zip", key="batch_zip", on_click="ignore", icon=":material/folder_zip:")
    st.caption(DISCLAIMER)


if __name__ == "__main__":  # `streamlit run thomas_cv/webapp.py` (what `thomas-cv app` does)
    main()
