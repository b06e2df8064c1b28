"""What the views of the web page share: settings, sample lookup, formatting, result display.

Privacy: every upload is measured in memory (videos and zips in a temporary file or folder
that is deleted straight afterwards); nothing is written to disk for keeps and nothing is
sent anywhere. Uploads are limited to :data:`MAX_UPLOAD_MB` per file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Optional

import numpy as np

from thomas_cv.pipeline.photo import Horizon, Result
from thomas_cv.core.errors import ThomasCVError
from thomas_cv.core.interpret import DISCLAIMER, MUSCLES
from thomas_cv.media import HEIF_SUPPORTED
from thomas_cv.vision.overlay import SHOW_YAW_DEG

#: per-file upload limit (MB), also set in .streamlit/config.toml (server.maxUploadSize)
MAX_UPLOAD_MB = 200
#: photo types the uploaders accept: HEIC/HEIF only when pillow-heif is installed, so that the
#: browser refuses them before uploading instead of the measurement failing afterwards
IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "gif"] + (["heic", "heif"] if HEIF_SUPPORTED else [])
HEIC_NOTE = ("" if HEIF_SUPPORTED else
             " iPhone HEIC photos: export them as JPEG, or install HEIC support (pip install 'thomas-cv[heic]').")
#: the page's icon, a file of the package: no request leaves the computer for it
ICON_PATH = Path(__file__).with_name("icon.png")
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
    "(or in a temporary file deleted straight afterwards) and nothing is sent anywhere. Nothing is stored unless "
    "you press \"Save to this computer\" in an assessment (then its angles and findings, no photos). "
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


def photo_guide() -> Optional[Path]:
    """The picture of a good set-up and the common mistakes (docs/photo_guide.jpg), if present."""
    p = Path(__file__).resolve().parents[2] / "docs" / "photo_guide.jpg"
    return p if p.is_file() else None


GUIDE_TEXT = ("Side-on to the hanging leg (on its side of the table), camera level at hip height, 2-4 m "
              "away, the whole body in view; good light, nothing covering hip, knee or ankle.")


def show_photo_guide(st) -> None:
    """The photo guide, folded away under an expander."""
    with st.expander("How to take the photo", icon=":material/photo_camera:"):
        st.markdown(GUIDE_TEXT)
        guide = photo_guide()
        if guide is not None:
            st.image(str(guide), caption="One good set-up and five common mistakes (rendered scenes).",
                     width="stretch")


def samples_dir() -> Optional[Path]:
    """The bundled ``sample_images/`` next to the package's repository, if present."""
    env = os.environ.get("THOMAS_CV_SAMPLES")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parents[2] / "sample_images", Path.cwd() / "sample_images"]
    for c in candidates:
        if c.is_dir():
            return c
    return None


def sample_photos(sub: str = "") -> list[Path]:
    """The bundled sample photos (in ``sample_images/``, or its folder ``sub``), by name."""
    d = samples_dir()
    if d is None or not (d / sub).is_dir():
        return []
    return sorted(p for p in (d / sub).iterdir() if p.is_file() and p.suffix.lower().lstrip(".") in IMAGE_TYPES)


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
    if blur:
        from thomas_cv.vision.privacy import blur_faces

        img = blur_faces(img, result.landmarks, result.other_faces)
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


def md(text) -> str:
    r"""Any user-supplied text (a file name, a zip entry, an error message naming them) as
    Streamlit shows it literally: every ASCII punctuation character backslash-escaped (the
    CommonMark rule), so that no name becomes Markdown, HTML, a link, an image fetched from
    another host, an emoji or a colour directive; control characters written as escapes.

    >>> print(md("![x](https://h/p.png)"))
    \!\[x\]\(https\:\/\/h\/p\.png\)
    """
    import string

    from thomas_cv.outputs import display_name

    return "".join("\\" + c if c in string.punctuation else c for c in display_name(str(text)))


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



# ---------------------------------------------------------------------- result views


def show_result(st, res: Result, name: str, key: str, blur: bool, extra: Optional[dict] = None) -> None:
    """One result as the Photo view shows it: overlay(s), metrics (side view, front view or both),
    findings, flags, downloads."""
    d = res.to_dict()
    if extra:
        d.update(extra)
    if not res.ok:
        st.error(f"{md(name)}: {md(error_text(res.error))}  \n(code `{d['error_code']}`)")
        st.download_button("Download JSON", json.dumps(d, indent=2), f"{Path(name).stem}_thomas.json",
                           "application/json", key=f"{key}_json", on_click="ignore")
        return
    m, fm = res.measurement, res.front
    left, right = st.columns([3, 2])
    with left:
        if res.overlay is not None:
            what = "tested leg, horizontal reference, angles" if m is not None else "midline, thigh abduction, shank"
            st.image(res.overlay, caption=f"{md(name)}: the evidence ({what})", width="stretch")
        if res.front_overlay is not None:
            st.image(res.front_overlay, caption=f"{md(res.front_file)}: the front view (midline, thigh abduction, shank)",
                     width="stretch")
    with right:
        if fm is not None:
            _front_metrics(st, d)
        if m is not None:
            _side_metrics(st, d)
    st.markdown("#### Findings")
    for mu in MUSCLES:
        f = res.findings.get(mu)
        if f is None:
            continue
        colour, icon, words = STATUS_STYLE.get(f.status, ("gray", "", f.status))
        st.markdown(f":{colour}-badge[{icon} {words}] **{MUSCLE_LABELS.get(mu, mu)}**: {f.reason}")
    for fl in (tuple(m.flags) if m is not None else ()) + (tuple(fm.flags) if fm is not None else ()):
        st.warning(fl.message, icon=":material/flag:")
    _result_tail(st, res, d, name, key, blur, extra)


def _front_metrics(st, d: dict) -> None:
    c1, c2 = st.columns(2)
    c1.metric("Thigh abduction", _fmt_deg(d["thigh_abduction_deg"], signed=True),
              help="Front view: hip→knee out of the body's midline plane; + = knee away from the midline. "
                   "Under 10° normal (TFL / IT band).", border=True)
    c2.metric("Shank deviation", _fmt_deg(d["shank_deviation_deg"], signed=True),
              help="Front view: knee→ankle against straight down; + = foot swung outwards (hip turned in), "
                   "- = inwards (hip turned out).", border=True)
    if d.get("thigh_angle_corrected_deg") is not None:
        c1.metric("Thigh angle in 3-D", _fmt_deg(d["thigh_angle_corrected_deg"], signed=True),
                  help="The side view's thigh angle corrected with the front view's abduction.", border=True)
        c2.metric("Knee flexion in 3-D", _fmt_deg(d["knee_flexion_corrected_deg"]),
                  help="The knee angle between thigh and shank in 3-D, from both views.", border=True)
    st.caption(f"Front view ({(d.get('view_place') or '').replace('_', ' ')}) · uncertainty "
               f"±{d['thigh_abduction_uncertainty_deg']:.0f}° abduction, ±{d['shank_deviation_uncertainty_deg']:.0f}° "
               "shank · experimental: see the README's front-view section")


def _side_metrics(st, d: dict) -> None:
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
    view = ("" if d.get("view_yaw_deg") is None or d["view_yaw_deg"] < SHOW_YAW_DEG
            else f" · perspective corrected: camera {d['view_yaw_deg']:.0f}° off square")
    st.caption(f"Tested side: **{d['side']}** · horizontal reference: {d['horizon_source']} "
               f"({d['horizon_deg']:+.1f}°){view} · uncertainty ±{d['thigh_angle_uncertainty_deg']:.0f}° thigh, "
               f"±{d['knee_flexion_uncertainty_deg']:.0f}° knee")


def _result_tail(st, res: Result, d: dict, name: str, key: str, blur: bool, extra: Optional[dict]) -> None:
    from thomas_cv.media import encode_image

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


# ------------------------------------------------------------------------ settings


def sidebar(st) -> tuple[dict, bool]:
    """The settings in the sidebar: (options for the measurement, blur faces in downloads)."""
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
            st.caption("Click two points on the table edge on the photo (Photo view), or type them here in "
                       "the photo's pixels (x to the right, y down).")
            c1, c2 = st.columns(2)
            vals = [c1.number_input("x1", 0.0, value=None, step=10.0, key="hx1"),
                    c2.number_input("y1", 0.0, value=None, step=10.0, key="hy1"),
                    c1.number_input("x2", 0.0, value=None, step=10.0, key="hx2"),
                    c2.number_input("y2", 0.0, value=None, step=10.0, key="hy2")]
            horizon = None  # nothing is measured until both points are given
            if all(v is not None for v in vals):
                try:
                    horizon = Horizon.parse(",".join(str(v) for v in vals))
                except ThomasCVError as exc:
                    st.error(md(exc))
            else:
                st.warning("Two table-edge points are needed before anything is measured.")
        pain = PAIN_CHOICES[st.radio("Pain in the test position", list(PAIN_CHOICES), key="pain",
                                     help="Pain in the hip or knee is not a muscle finding: a joint or spine "
                                          "problem must be ruled out first.")]
        blur = st.checkbox("Blur faces in downloaded images", value=True, key="blur")
        st.divider()
        st.caption(f"{DISCLAIMER} Thigh angle: + when the knee is below the hip (0 = parallel, "
                   "about +10 optimal). Knee flexion: 0 = straight leg, about 90 normal.")


    return dict(side=side, horizon=horizon, pain=pain), blur


POINTS_NEEDED = ("Place the two table-edge points first: click them on a photo in the Photo view, or type "
                 "them in the sidebar.")


def pick_source(st, key: str, upload_id: Optional[str], sample: Optional[str]) -> Optional[str]:
    """Which of an upload and a bundled sample to show: ``"upload"``, ``"sample"`` or None.

    When both are set, the one set last wins (a sample picked while an upload is present is
    shown, and a new upload replaces a picked sample); the view says which one it shows.
    """
    state = f"_{key}_source"
    prev = st.session_state.get(state)  # (upload_id, sample, which)
    if upload_id is not None and sample:
        if prev is None or prev[0] != upload_id:
            which = "upload"  # a new upload
        elif prev[1] != sample:
            which = "sample"  # a new pick
        else:
            which = prev[2] or "upload"
    elif upload_id is not None:
        which = "upload"
    elif sample:
        which = "sample"
    else:
        which = None
    st.session_state[state] = (upload_id, sample, which)
    return which


def once(st, slot: str, key, compute):
    """``compute()`` once per ``key`` (the inputs' digests and the settings): the page reruns its
    script on every click, and nothing must be measured again for the same inputs. The last
    value is kept in the session under ``slot`` (one per view)."""
    memo = st.session_state.get(slot)
    if memo is not None and memo[0] == key:
        return memo[1]
    value = compute()
    st.session_state[slot] = (key, value)
    return value


def measure_pair(st, shared_estimator, data: bytes, name: str, front: bytes, front_name: str, side,
                 horizon: Horizon, pain) -> Result:
    """A side and a front photo of one test measured together, once per (photos, settings)."""
    from thomas_cv.pipeline.photo import _unexpected, analyze_pair
    from thomas_cv.decoder import decode

    def measure() -> Result:
        est, lock = shared_estimator()
        with st.spinner(f"Measuring {md(name)} and {md(front_name)} ..."):
            try:  # decoded outside the model's lock, with a time limit (as measure_bytes)
                s_img, f_img = decode(data, name), decode(front, front_name)
                with lock:
                    return analyze_pair(s_img.rgb, f_img.rgb, est, file=name, front_file=front_name, side=side,
                                        horizon=horizon, pain=pain, focal_35mm=s_img.focal_35mm,
                                        front_focal_35mm=f_img.focal_35mm)
            except ThomasCVError as exc:
                return Result(file=name, error=exc, front_file=front_name)
            except Exception as exc:  # noqa: BLE001 - a bug must not take the page down
                return Result(file=name, error=_unexpected(name, exc), front_file=front_name)

    key = (hashlib.sha1(data).hexdigest(), name, hashlib.sha1(front).hexdigest(), front_name, side, horizon, pain)
    return once(st, "_pair_memo", key, measure)


def measure_bytes(data: bytes, name: str, est, lock, **opts) -> Result:
    """One photo: decoded outside the shared model's lock, in a helper process with a time
    limit (:mod:`thomas_cv.decoder`: a costly file holds neither this session nor others),
    then measured under the lock. Never raises for bad input: the error is in the result."""
    from thomas_cv.pipeline.photo import _unexpected, analyze_image
    from thomas_cv.decoder import decode
    from thomas_cv.core.errors import ThomasCVError

    try:
        img = decode(data, name)
        with lock:
            return analyze_image(img.rgb, est, file=name, focal_35mm=img.focal_35mm, **opts)
    except ThomasCVError as exc:
        return Result(file=name, error=exc)
    except Exception as exc:  # noqa: BLE001 - a bug must not take the page down
        return Result(file=name, error=_unexpected(name, exc))


def measure_photo(st, shared_estimator, data: bytes, name: str, side, horizon: Horizon, pain) -> Result:
    """One photo measured once per (photo, settings): the shared model under its lock."""

    def measure() -> Result:
        est, lock = shared_estimator()
        with st.spinner(f"Measuring {md(name)} ..."):
            return measure_bytes(data, name, est, lock, side=side, horizon=horizon, pain=pain)

    return once(st, "_photo_memo", (hashlib.sha1(data).hexdigest(), name, side, horizon, pain), measure)
