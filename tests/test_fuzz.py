"""Property-based fuzzing (hypothesis; atheris when installed) of the photo and video
loaders, of ``thomas_cv.core.geometry`` and of ``measure``. Bounded: the file runs in < 30 s.

Loader property: for *any* bytes, ``load_image`` returns an upright (H, W, 3) uint8 image
no longer than the model size, or raises one of the tool's own errors (a stable code, one
line) - never anything else, never a hang.
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from make_bad_inputs import room, write_clip
from synthetic_landmarks import make_landmarks
from thomas_cv.core import geometry as G
from thomas_cv.core.errors import ThomasCVError
from thomas_cv.core.landmarks import NUM_LANDMARKS, Landmarks
from thomas_cv.core.measure import measure
from thomas_cv.media import iter_video_frames, load_image

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LOADER = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _valid(fmt: str, size=(240, 200)) -> bytes:
    buf = io.BytesIO()
    room(size).save(buf, format=fmt, **({"quality": 70} if fmt == "JPEG" else {}))
    return buf.getvalue()


SEEDS = {fmt: _valid(fmt) for fmt in ("JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP")}


def check_loaded(data: bytes) -> None:
    try:
        img = load_image(data)
    except ThomasCVError as exc:
        assert exc.code and "\n" not in str(exc)
        return
    a = img.rgb
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3
    assert max(a.shape[:2]) <= 1280 and min(a.shape[:2]) >= 1
    assert 0 < img.scale <= 1.0 + 1e-9


@st.composite
def mutated(draw):
    """A valid image of some format with a few bytes flipped, cut, duplicated or inserted."""
    fmt = draw(st.sampled_from(sorted(SEEDS)))
    b = bytearray(SEEDS[fmt])
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "dup", "header"]))
        i = draw(st.integers(0, len(b) - 1))
        if op == "flip":
            b[i] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del b[i:]
        elif op == "insert":
            b[i:i] = draw(st.binary(min_size=1, max_size=16))
        elif op == "dup":
            j = draw(st.integers(i, min(len(b), i + 64)))
            b[i:i] = b[i:j]
        else:  # size fields live in the first bytes of every format
            k = draw(st.integers(0, min(40, len(b) - 1)))
            b[k] = draw(st.integers(0, 255))
        if len(b) < 2:
            break
    return bytes(b)


@LOADER
@given(st.binary(max_size=2048))
def test_load_image_random_bytes(data):
    check_loaded(data)


@LOADER
@given(mutated())
def test_load_image_mutated_valid_files(data):
    check_loaded(data)


@given(prefix=st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM", b"II*\x00", b"RIFF"]),
       rest=st.binary(max_size=512))
@LOADER
def test_load_image_magic_then_garbage(prefix, rest):
    check_loaded(prefix + rest)


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    out = {}
    for name, fourcc in (("c.avi", "MJPG"), ("c.mp4", "mp4v")):
        write_clip(d / name, 4, fourcc, size=(160, 120))
        out[name] = (d / name).read_bytes()
    return out


def test_video_loader_mutated(clip_bytes, tmp_path):
    """Mutated clips: frames come out as RGB uint8 or an UnreadableVideoError; never a crash."""

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(name=st.sampled_from(sorted(clip_bytes)), data=st.data())
    def run(name, data):
        b = bytearray(clip_bytes[name])
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(b) - 1))
            if data.draw(st.booleans()):
                b[i] ^= data.draw(st.integers(1, 255))
            else:
                del b[i:]
                break
        p = tmp_path / name
        p.write_bytes(bytes(b))
        try:
            for idx, t, rgb in iter_video_frames(p, max_frames=50):
                assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
                assert math.isfinite(t) and idx < 50
        except ThomasCVError as exc:
            assert exc.code in ("unreadable_video", "unsupported_file", "image_too_large")

    run()


# ------------------------------------------------------------------ geometry

coord = st.floats(-5000, 5000, allow_nan=False, allow_infinity=False)
point = st.tuples(coord, coord).map(np.array)
angle = st.floats(-179, 179, allow_nan=False)
scale = st.floats(0.05, 50, allow_nan=False)


def far_apart(*pts, eps=1.0):
    return all(np.linalg.norm(a - b) > eps for i, a in enumerate(pts) for b in pts[i + 1 :])


@FAST
@given(point, point)
def test_segment_angle_finite_and_bounded(a, b):
    assume(far_apart(a, b))
    ang = G.segment_angle_below_horizontal(a, b)
    assert math.isfinite(ang) and -90.0 <= ang <= 90.0
    # mirroring the picture (x -> -x) does not change a tilt against the horizontal
    m = np.array([-1.0, 1.0])
    assert G.segment_angle_below_horizontal(a * m, b * m) == pytest.approx(ang, abs=1e-9)
    # reversing the segment's direction: the end that was below is now above
    assert G.segment_angle_below_horizontal(b, a) == pytest.approx(-ang, abs=1e-9)


@FAST
@given(point, point, point, scale, point)
# regression: nearly collinear segments; arccos of the cosine read 1.2e-6 deg as 0 once scaled
@example(np.array((1015.0782372066733, 0.0)), np.array((2505.0, 6.103515625e-05)), np.array([0.0, 0.0]), 3.0,
         np.array([0.0, 0.0]))
def test_inner_angle_invariances(a, v, b, s, shift):
    assume(far_apart(a, v, b))
    ang = G.inner_angle(a, v, b)
    assert math.isfinite(ang) and 0.0 <= ang <= 180.0
    assert G.inner_angle(b, v, a) == pytest.approx(ang, abs=1e-6)
    assert G.inner_angle(a * s + shift, v * s + shift, b * s + shift) == pytest.approx(ang, abs=1e-6)
    m = np.array([-1.0, 1.0])
    assert G.inner_angle(a * m, v * m, b * m) == pytest.approx(ang, abs=1e-6)
    assert G.knee_flexion(a, v, b) == pytest.approx(180.0 - ang, abs=1e-9)


@FAST
@given(point, point, angle)
def test_signed_angle_mirror_and_rotation(u, w, rot):
    assume(np.linalg.norm(u) > 1 and np.linalg.norm(w) > 1)
    ang = G.signed_angle(u, w)
    assert -180.0 < ang <= 180.0
    m = np.array([-1.0, 1.0])
    mirrored = G.signed_angle(u * m, w * m)
    assert abs(((mirrored + ang) + 180) % 360 - 180) < 1e-6  # mirroring flips the sense
    turned = G.signed_angle(G.rotate_points(u, rot), G.rotate_points(w, rot))
    assert abs(((turned - ang) + 180) % 360 - 180) < 1e-6  # rotating both changes nothing


@FAST
@given(point, point, angle, point)
def test_rotation_with_matching_horizon_changes_nothing(a, b, roll, centre):
    """A camera rolled by ``roll`` and a horizon of ``roll``: the same angle as unrolled."""
    assume(far_apart(a, b, eps=5.0))
    ref = G.segment_angle_below_horizontal(*G.to_canonical(np.stack([a, b]), 0.0))
    ra, rb = G.rotate_points(np.stack([a, b]), roll, centre)
    got = G.segment_angle_below_horizontal(*G.to_canonical(np.stack([ra, rb]), roll))
    assert got == pytest.approx(ref, abs=1e-6)


@FAST
@given(point, st.floats(1, 5000), st.floats(-89, 89))
def test_horizon_from_points_recovers_the_roll(p, length, roll):
    q = p + length * np.array([1.0, 0.0])
    rp, rq = G.rotate_points(np.stack([p, q]), roll, p)
    assert G.horizon_from_points(rp, rq) == pytest.approx(roll, abs=1e-6)
    assert G.horizon_from_points(rq, rp) == pytest.approx(roll, abs=1e-6)


# ------------------------------------------------------------------ measure on synthetic people


@settings(max_examples=120, deadline=None)
@given(
    thigh=st.floats(-25, 30), knee=st.floats(20, 130), hug=st.floats(95, 140), roll=st.floats(-25, 25),
    head=st.sampled_from(["left", "right"]), s=st.floats(0.3, 4.0),
)
def test_measure_recovers_angles_under_roll_mirror_and_scale(thigh, knee, hug, roll, head, s):
    lm = make_landmarks(thigh=thigh, knee=knee, hug=hug, head=head, roll=roll).scaled(s)
    m = measure(lm, horizon_deg=roll)
    assert m.thigh_angle_deg == pytest.approx(thigh, abs=0.05)
    assert m.knee_flexion_deg == pytest.approx(knee, abs=0.05)
    assert m.head_towards == head
    assert m.hugged_hip_flexion_deg == pytest.approx(hug, abs=0.5)
    # the trunk-relative angle does not depend on the horizon at all
    assert measure(lm, horizon_deg=0.0).hip_extension_to_trunk_deg == pytest.approx(m.hip_extension_to_trunk_deg, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(
    xy=st.lists(st.tuples(coord, coord), min_size=NUM_LANDMARKS, max_size=NUM_LANDMARKS),
    vis=st.floats(0, 1), horizon=st.floats(-45, 45),
)
def test_measure_on_arbitrary_landmarks_is_finite_or_a_clear_error(xy, vis, horizon):
    lm = Landmarks(xy=np.array(xy, float), visibility=np.full(NUM_LANDMARKS, vis), image_size=(1280, 960))
    try:
        m = measure(lm, horizon_deg=horizon)
    except ThomasCVError as exc:
        assert exc.code in ("not_test_position", "landmark_not_visible")
        return
    for k in ("thigh_angle_deg", "knee_flexion_deg", "hip_extension_to_trunk_deg", "hugged_hip_flexion_deg",
              "trunk_angle_deg", "confidence"):
        assert math.isfinite(getattr(m, k)), k
    assert 0 <= m.knee_flexion_deg <= 180 and 0 <= m.confidence <= 1


# ------------------------------------------------------------------ atheris (coverage-guided)

ATHERIS_TARGET = textwrap.dedent(
    """
    import sys, atheris
    import numpy, PIL.Image  # not instrumented (slow); Pillow's decoders are C anyway
    with atheris.instrument_imports(include=["thomas_cv"]):
        from thomas_cv.media import load_image
        from thomas_cv.core.errors import ThomasCVError

    def target(data):
        try:
            img = load_image(data)
        except ThomasCVError:
            return
        assert img.rgb.ndim == 3 and img.rgb.shape[2] == 3 and max(img.rgb.shape[:2]) <= 1280

    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
    """
)


@pytest.mark.slow
def test_atheris_load_image(tmp_path):
    """A short coverage-guided run (libFuzzer via atheris) of the photo loader from seeds."""
    pytest.importorskip("atheris")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for fmt, b in SEEDS.items():
        (seeds / fmt).write_bytes(b)
    (tmp_path / "fuzz_load_image.py").write_text(ATHERIS_TARGET)
    proc = subprocess.run(
        [sys.executable, "fuzz_load_image.py", "-max_total_time=8", "-rss_limit_mb=2048", "-max_len=4096",
         "-timeout=10", str(seeds)],
        cwd=tmp_path, capture_output=True, text=True, timeout=90,
    )
    tail = proc.stderr[-3000:]
    assert proc.returncode == 0, tail
    assert "Done" in proc.stderr or "done" in proc.stderr.lower(), tail


@FAST
@given(st.one_of(st.text(max_size=40), st.lists(st.floats(), min_size=1, max_size=5).map(lambda v: ",".join(map(str, v)))))
def test_horizon_option_parses_or_says_why(text):
    from thomas_cv.pipeline.photo import Horizon
    from thomas_cv.core.errors import InvalidOptionError

    try:
        h = Horizon.parse(text)
    except InvalidOptionError as exc:
        assert "\n" not in str(exc) and exc.code == "invalid_option"
        return
    if h.kind == "auto":
        return
    deg = h.degrees()
    assert math.isfinite(deg) and -90 <= deg <= 90
