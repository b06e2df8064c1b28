"""The overlay's labels never overlap each other, the drawn lines or the face (no model needed).

Checked on every bundled sample (the person placed from the sidecar's ground-truth keypoints,
the table edge found in the photo as the tool does) and on a grid of synthetic poses, image
sizes and orientations.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sample_data import samples_dir, sidecar_landmarks
from synthetic_landmarks import make_landmarks
from thomas_cv.pipeline.photo import Horizon, measure_with_reference, resolve_reference
from thomas_cv.core.interpret import interpret
from thomas_cv.core.measure import measure
from thomas_cv.vision.overlay import _seg_hits, boxes_overlap, draw_overlay, layout
from thomas_cv.vision.privacy import face_box

SAMPLES = sorted(samples_dir().glob("*.jpg")) if samples_dir().is_dir() else []


def assert_clear(lay, shape, what=""):
    h, w = shape[:2]
    names = [lab.name for lab in lay.labels]
    assert {"disclaimer"} <= set(names), (what, names)
    for lab in lay.labels:
        x0, y0, x1, y1 = lab.box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, (what, lab.name, lab.box, (w, h))
        assert _seg_hits(lab.box, lay.segments, 0.0) == 0.0, (what, lab.name, "covers a drawn line")
        for a in lay.avoid:
            assert not boxes_overlap(lab.box, a), (what, lab.name, "over the face or banner")
    for a, b in itertools.combinations(lay.labels, 2):
        assert not boxes_overlap(a.box, b.box), (what, a.name, b.name)
    assert lay.clean, what


@pytest.mark.skipif(not SAMPLES, reason="no sample images")
@pytest.mark.parametrize("photo", SAMPLES, ids=lambda p: p.name)
def test_sample_overlay_labels_are_clear(photo):
    from thomas_cv.media import load_image

    img = load_image(photo)
    lm = sidecar_landmarks(photo)
    ref = resolve_reference(img.rgb, lm, Horizon.parse("auto"), focal_35mm=img.focal_35mm)
    m = measure_with_reference(lm, side=None, ref=ref)
    findings, _ = interpret(m)
    face = face_box(lm, img.rgb.shape[:2])
    lay = layout(img.rgb.shape, m, findings, face=face)
    assert [lab.name for lab in lay.labels] == ["thigh", "knee", "level", "panel", "disclaimer"]
    assert_clear(lay, img.rgb.shape, photo.name)
    out = draw_overlay(img.rgb, m, findings, landmarks=lm)
    assert out.shape == img.rgb.shape and not np.array_equal(out, img.rgb)


GRID = list(itertools.product(
    (-25.0, -8.0, 0.0, 12.0, 35.0),      # thigh angle
    (15.0, 60.0, 95.0, 130.0),           # knee flexion
    ("left", "right"),                   # head side
    ((1280, 960), (640, 480), (960, 1280), (4032, 3024)),
))


@pytest.mark.parametrize("thigh,knee,head,size", GRID)
def test_synthetic_overlay_labels_are_clear(thigh, knee, head, size):
    w, h = size
    k = min(w, h) / 960.0
    lm = make_landmarks(thigh=thigh, knee=knee, head=head, size=size, thigh_len=200 * k, shank_len=190 * k,
                        trunk_len=260 * k)
    m = measure(lm, horizon_deg=0.0, horizon_source="image")
    findings, _ = interpret(m)
    face = face_box(lm, (h, w))
    lay = layout((h, w, 3), m, findings, face=face, banner_px=int(0.05 * h))
    assert_clear(lay, (h, w), (thigh, knee, head, size))


def test_words_beside_each_angle_and_no_yaw_clutter():
    lm = make_landmarks(thigh=-8.0, knee=61.0)
    m = measure(lm, horizon_deg=0.0, horizon_source="table_edge")
    findings, _ = interpret(m)
    lay = layout((960, 1280, 3), m, findings)
    text = {lab.name: [t for t, _ in lab.lines] for lab in lay.labels}
    assert text["thigh"][0] == "Thigh 8° above horizontal"
    assert text["thigh"][1] == "Iliopsoas: appears short"
    assert text["knee"] == ["Knee bent 61°", "Rectus femoris: appears short"]
    assert not any("off square" in t for lines in text.values() for t in lines)
    import dataclasses

    lay = layout((960, 1280, 3), dataclasses.replace(m, view_yaw_deg=20.0), findings)
    assert any("20° off square" in t for lab in lay.labels for t, _ in lab.lines)


def test_text_scales_with_the_image():
    lm = make_landmarks()
    m = measure(lm, horizon_deg=0.0, horizon_source="image")
    small = layout((480, 640, 3), m.__class__(**{**m.__dict__}), None)
    big_lm = lm.scaled(4.0)
    big = layout((1920, 2560, 3), measure(big_lm, horizon_deg=0.0, horizon_source="image"), None)
    assert big.font_px >= 3.5 * small.font_px


def test_nothing_measured_draws_message_and_disclaimer():
    img = np.zeros((480, 640, 3), np.uint8)
    out = draw_overlay(img, None, None, message="No person found")
    assert out.shape == img.shape and out.any()
    lay = layout(img.shape, None, None, message="No person found")
    assert [lab.name for lab in lay.labels] == ["panel", "disclaimer"]
    assert_clear(lay, img.shape)


@pytest.mark.skipif(not SAMPLES, reason="no sample images")
@pytest.mark.parametrize("photo", SAMPLES, ids=lambda p: p.name)
def test_drawn_table_edge_is_on_the_table(photo):
    """Regression: the edge drawn as the level line was often the skirting board or the floor
    line behind the table (e.g. 0.51 trunk lengths below the table top on
    thomas_l_short_iliopsoas_01). The segment drawn now lies on the table (its top or the pad's
    lower edge), within 0.25 trunk lengths of the renderer's table edge, on every sample."""
    import json

    from thomas_cv.vision.table import find_table_edge
    from thomas_cv.media import load_image

    meta = json.loads(photo.with_suffix(".json").read_text())
    lm = sidecar_landmarks(photo)
    edge = find_table_edge(load_image(photo).rgb, lm)
    assert edge is not None
    kp = {k: np.asarray(v, float) for k, v in meta["keypoints_px"].items()}
    trunk = np.hypot(*((kp["left_shoulder"] + kp["right_shoulder"]) / 2 - (kp["left_hip"] + kp["right_hip"]) / 2))
    t1, t2 = (np.asarray(p, float) for p in meta["table_edge_px"])
    d = (t2 - t1) / np.hypot(*(t2 - t1))
    a, b = (np.asarray(p, float) for p in (edge.shown or (edge.p1, edge.p2)))
    mid = (a + b) / 2 - t1
    off = abs(d[0] * mid[1] - d[1] * mid[0]) / trunk
    assert off <= 0.25, f"drawn edge {off:.2f} trunk lengths from the table edge"


def test_seg_hits_skipping_far_segments_changes_nothing():
    """_seg_hits only samples segments near the box (speed, issue 17): the same score as
    sampling every segment."""
    from thomas_cv.vision.overlay import _seg_hits

    def brute(box, segs, pad):
        x0, y0, x1, y1 = box
        a, b, hw = segs[:, :2], segs[:, 2:4], segs[:, 4]
        length = np.hypot(*(b - a).T)
        n = int(min(200, max(2, length.max() / 3.0)))
        t = np.linspace(0.0, 1.0, n)[None, :, None]
        pts = a[:, None, :] + (b - a)[:, None, :] * t
        m = (hw + pad)[:, None]
        inside = ((pts[..., 0] >= x0 - m) & (pts[..., 0] <= x1 + m) & (pts[..., 1] >= y0 - m) & (pts[..., 1] <= y1 + m))
        return float((inside.mean(axis=1) * length).sum())

    rng = np.random.default_rng(3)
    hit = 0
    for _ in range(300):
        segs = np.column_stack([rng.uniform(0, 1000, (40, 4)), rng.uniform(0.5, 4, 40)])
        x0, y0 = rng.uniform(0, 900, 2)
        box = (x0, y0, x0 + rng.uniform(5, 200), y0 + rng.uniform(5, 100))
        want = brute(box, segs, 2.0)
        assert _seg_hits(box, segs, 2.0) == pytest.approx(want, rel=1e-12, abs=1e-9)
        hit += want > 0
    assert 20 < hit < 280  # both hits and clear boxes were tried


def test_candidates_scored_together_score_exactly_as_one_at_a_time():
    """The labels are placed by scoring a ring of candidate boxes at once (issue 17): every
    score must equal, to the last bit, the box-at-a-time score (overlap with the labels placed
    and the areas avoided, plus the drawn lines inside it), so the labels land where they did."""
    from thomas_cv.vision.overlay import Label, _crowding, _line_samples, _overlap

    rng = np.random.default_rng(3)
    w, h, margin, pad, px = 1280, 960, 5, 2.5, 22
    for trial in range(60):
        segs = np.column_stack([rng.uniform(-50, 1330, (40, 1)), rng.uniform(-50, 1010, (40, 1)),
                                rng.uniform(-50, 1330, (40, 1)), rng.uniform(-50, 1010, (40, 1)),
                                rng.choice([3.0, 8.0], (40, 1))])[: rng.integers(0, 40)]
        if trial % 7 == 0:  # an arc: many short pieces, as the overlay's are drawn
            ang = np.linspace(0, 2, 30)
            xs, ys = 600 + 80 * np.cos(ang), 400 + 80 * np.sin(ang)
            segs = np.column_stack([xs[:-1], ys[:-1], xs[1:], ys[1:], np.full(29, 3.0)])
        placed = [Label(f"l{i}", (), tuple(float(v) for v in (x, y, x + 200, y + 60)), None, None)
                  for i, (x, y) in enumerate(rng.uniform(0, 1000, (rng.integers(0, 4), 2)))]
        avoid = [tuple(rng.uniform(0, 900, 2).tolist() + [1000.0, 900.0])][: rng.integers(0, 2)]
        xy = rng.uniform(-20, 1200, (24, 2))
        cands = [(x, y, x + rng.uniform(40, 300), y + rng.uniform(20, 90)) for x, y in xy]
        got = _crowding(cands, placed, avoid, segs, w, h, margin, pad, px)
        if len(segs):  # the lines sampled once for all candidates: the same scores
            shared = _crowding(cands, placed, avoid, segs, w, h, margin, pad, px, _line_samples(segs))
            assert np.array_equal(shared, got), trial
        for box, sc in zip(cands, got):
            x0, y0, x1, y1 = box
            if x0 < margin - 1e-6 or y0 < margin - 1e-6 or x1 > w - margin + 1e-6 or y1 > h - margin + 1e-6:
                want = float("inf")
            else:
                want = sum(_overlap(box, o.box) for o in placed) + sum(_overlap(box, a) for a in avoid)
                want = want + _seg_hits(box, segs, pad) * px
            assert sc == want, (trial, box, sc, want)


def test_a_sector_blended_in_its_box_is_the_sector_blended_over_the_whole_image():
    """The angle sectors are filled and blended only within their polygon's box (issue 17): the
    image must be exactly the one blending the whole image gives, also for sectors reaching
    over the image's edges."""
    import cv2

    from thomas_cv.vision.overlay import _sector

    rng = np.random.default_rng(7)
    for trial in range(80):
        h, w = int(rng.integers(40, 200)), int(rng.integers(40, 200))
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        centre = rng.uniform(-30, max(h, w) + 30, 2)
        ang = np.sort(rng.uniform(0, 2 * np.pi, 2))
        r = rng.uniform(2, 150)
        t = np.linspace(ang[0], ang[1], 25)
        arc = centre + r * np.column_stack([np.cos(t), np.sin(t)])
        colour, alpha = tuple(int(c) for c in rng.integers(0, 256, 3)), float(rng.choice([0.4, 0.5, 0.73]))
        want = img.copy()
        poly = np.vstack([centre[None], arc]).round().astype(np.int32)
        layer = want.copy()
        cv2.fillPoly(layer, [poly], colour, cv2.LINE_AA)
        cv2.addWeighted(layer, alpha, want, 1 - alpha, 0, dst=want)
        got = img.copy()
        _sector(got, centre, arc, colour, alpha)
        assert np.array_equal(got, want), trial
