"""Experiment behind issue #6's note: could the third look be chosen better?

For every photo of a render set it takes all three looks (the photo, its mirror image, a crop
of the person), records each look's angles and shank-to-thigh length ratio, then prints the
error against the true 3D angles of several ways of combining them: the shipped rule
(``analyze_image``: a third look only when the first two differ by 4 deg or more, median of
three), dropping the look with the least plausible proportions, and always taking three.

    python benchmarks/three_looks.py bench_out/tune_seed1 bench_out/tune_seed2

Tuning sets only: the result (no rule beats the shipped one) was read on seeds 1 and 2.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

import numpy as np

from thomas_cv.analyze import FLIP_AGREE_DEG, THIRD_LOOK_DEG, Horizon, _another_look, resolve_reference
from thomas_cv.constants import RATIO_DECISIVE_LOG, SHANK_TO_THIGH_RATIO
from thomas_cv.measure import _shank_to_thigh
from thomas_cv.media import load_image
from thomas_cv.person import estimate_mirrored, estimate_on_crop, find_lying_person
from thomas_cv.pose import BlazePose


def collect(images: str, est) -> list[dict]:
    recs = []
    for p in sorted(glob.glob(os.path.join(images, "*.jpg"))):
        with open(p[:-4] + ".json") as fh:
            meta = json.load(fh)
        img = load_image(p)
        lm = find_lying_person(img.rgb, est, refine=True)
        if lm is None:
            continue
        ref = resolve_reference(img.rgb, lm, Horizon(), focal_35mm=img.focal_35mm)
        looks = [_another_look(x, None, ref) for x in
                 (lm, estimate_mirrored(img.rgb, est), estimate_on_crop(img.rgb, est, lm))]
        recs.append({"truth": meta["truth_3d"], "looks": [None if m is None else {
            "thigh": m.thigh_angle_deg, "knee": m.knee_flexion_deg,
            "ratio_log": abs(float(np.log(_shank_to_thigh(m) / SHANK_TO_THIGH_RATIO))),
            "vis": float(np.mean(list(m.visibility.values())))} for m in looks]})
    return recs


def _fuse(ls):
    agg = np.mean if len(ls) == 2 else np.median
    return float(agg([x["thigh"] for x in ls])), float(agg([x["knee"] for x in ls]))


def shipped(looks, **_):
    a, b, c = looks
    if a is None:
        return None
    if b is None:
        return a["thigh"], a["knee"]
    dt, dk = b["thigh"] - a["thigh"], b["knee"] - a["knee"]
    if max(abs(dt), abs(dk)) >= THIRD_LOOK_DEG and c is not None:
        return _fuse([a, b, c])
    if abs(dt) < FLIP_AGREE_DEG and abs(dk) < FLIP_AGREE_DEG:
        return _fuse([a, b])
    if abs(a["ratio_log"] - b["ratio_log"]) > RATIO_DECISIVE_LOG:
        p = a if a["ratio_log"] < b["ratio_log"] else b
    else:
        p = a if a["vis"] >= b["vis"] else b
    return p["thigh"], p["knee"]


def _by_ratio(ls, thr):
    ls = sorted(ls, key=lambda x: x["ratio_log"])
    if ls[-1]["ratio_log"] > thr and ls[-1]["ratio_log"] - ls[0]["ratio_log"] > RATIO_DECISIVE_LOG:
        return _fuse(ls[:2])
    return _fuse(ls)


def drop_implausible(looks, thr=0.25):
    a, b, c = looks
    if None in looks:
        return shipped(looks)
    if max(abs(b["thigh"] - a["thigh"]), abs(b["knee"] - a["knee"])) < THIRD_LOOK_DEG:
        return _fuse([a, b])
    return _by_ratio([a, b, c], thr)


def always_three(looks, thr=0.25):
    return shipped(looks) if None in looks else _by_ratio(list(looks), thr)


def report(recs, rule, **kw) -> str:
    et, ek = [], []
    for r in recs:
        v = rule(r["looks"], **kw)
        if v is not None:
            et.append(abs(v[0] - r["truth"]["thigh_angle_deg"]))
            ek.append(abs(v[1] - r["truth"]["knee_flexion_deg"]))
    et, ek = np.array(et), np.array(ek)
    return f"thigh MAE {et.mean():.2f} worst {et.max():.1f}   knee MAE {ek.mean():.2f} worst {ek.max():.1f}   knee > 8 deg: {(ek > 8).sum()}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("images", nargs="+", help="render sets (images + JSON sidecars)")
    args = ap.parse_args(argv)
    with BlazePose(static=True) as est:
        for images in args.images:
            recs = collect(images, est)
            print(f"\n{images}: {len(recs)} photos")
            print(f"  shipped rule                 : {report(recs, shipped)}")
            for thr in (0.15, 0.2, 0.25, 0.3):
                print(f"  drop least plausible (>{thr:.2f}): {report(recs, drop_implausible, thr=thr)}")
                print(f"  always three looks   (>{thr:.2f}): {report(recs, always_three, thr=thr)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
