"""The three looks at a photo (the photo, its mirror image, a crop of the person): the former
rule (the median of each angle on its own, issue #6) against the shipped one (whole skeletons,
:mod:`thomas_cv.core.fusion`, issue #13).

    python benchmarks/three_looks.py /work/bench/side_s10 [--model FILE.task]

For every render all three looks are taken and each is measured against the photo's resolved
reference. Printed per rule: thigh and knee MAE and worst error against the true 3-D angles,
the tested side's accuracy, and on how many photos the angles printed and the landmarks behind
them (what the overlay draws) differ by more than 5 deg; for the shipped rule also on the photos
it grades (the others it refuses or marks not assessable, thomas_cv.core.validity). Tuning sets only (seeds 10-19).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from thomas_cv.pipeline.photo import THIRD_LOOK_DEG, Horizon, measure_with_reference, resolve_reference  # noqa: E402
from thomas_cv.core.errors import ThomasCVError  # noqa: E402
from thomas_cv.core.fusion import fuse_looks  # noqa: E402
from thomas_cv.media import load_image  # noqa: E402
from thomas_cv.vision.person import estimate_mirrored, estimate_on_crop, find_lying_person  # noqa: E402
from thomas_cv.vision.pose import make_estimator  # noqa: E402
from thomas_cv.core.validity import test_position  # noqa: E402

#: the former rule: a mirror-image reading further off than this was a different reading
FORMER_FLIP_AGREE_DEG = 10.0


def _measure(lm, ref):
    if lm is None:
        return None
    try:
        return measure_with_reference(lm, side=None, ref=ref)
    except ThomasCVError:
        return None


def former(ms):
    """The rule before #13: median of each angle (mean of two), side and points of the first."""
    a, b, c = ms
    if a is None:
        return None
    if b is None:
        return a.thigh_angle_deg, a.knee_flexion_deg, a.side, a
    dt, dk = b.thigh_angle_deg - a.thigh_angle_deg, b.knee_flexion_deg - a.knee_flexion_deg
    use = [a, b, c] if max(abs(dt), abs(dk)) >= THIRD_LOOK_DEG and c is not None else (
        [a, b] if max(abs(dt), abs(dk)) < FORMER_FLIP_AGREE_DEG else [a])
    agg = np.mean if len(use) == 2 else np.median
    return (float(agg([m.thigh_angle_deg for m in use])), float(agg([m.knee_flexion_deg for m in use])), a.side, a)


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
        looks = [lm, estimate_mirrored(img.rgb, est), estimate_on_crop(img.rgb, est, lm)]
        ms = [_measure(x, ref) for x in looks]
        rec = {"truth": meta["truth_3d"], "side": meta["tested_side"], "former": None, "fused": None}
        f = former(ms)
        if f is not None:
            drawn = f[3]  # the overlay drew the first look's points
            rec["former"] = {"thigh": f[0], "knee": f[1], "side": f[2],
                             "drawn_gap": max(abs(f[0] - drawn.thigh_angle_deg), abs(f[1] - drawn.knee_flexion_deg))}
        try:
            fusion = fuse_looks(looks, lambda x: measure_with_reference(x, side=None, ref=ref))
            fu = fusion.measurement
            again = measure_with_reference(fusion.landmarks, side=None, ref=ref)  # what the overlay draws
            rec["fused"] = {"thigh": fu.thigh_angle_deg, "knee": fu.knee_flexion_deg, "side": fu.side,
                            "drawn_gap": max(abs(fu.thigh_angle_deg - again.thigh_angle_deg),
                                             abs(fu.knee_flexion_deg - again.knee_flexion_deg)),
                            "graded": (lambda v: v.is_test_position and v.not_assessable is None)(test_position(fu))}
        except ThomasCVError:
            pass
        recs.append(rec)
    return recs


def report(recs, key, graded_only=False) -> str:
    rs = [r for r in recs if r[key] is not None and (not graded_only or r[key]["graded"])]
    et = np.array([abs(r[key]["thigh"] - r["truth"]["thigh_angle_deg"]) for r in rs])
    ek = np.array([abs(r[key]["knee"] - r["truth"]["knee_flexion_deg"]) for r in rs])
    side = np.mean([r[key]["side"] == r["side"] for r in rs])
    gap = sum(r[key]["drawn_gap"] > 5.0 for r in rs)
    return (f"n {len(rs):3d}  thigh MAE {et.mean():.2f} worst {et.max():5.1f}   knee MAE {ek.mean():.2f} worst {ek.max():5.1f}"
            f"   side right {side:.1%}   drawn vs printed > 5 deg: {gap}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("images", nargs="+", help="render sets (images + JSON sidecars)")
    ap.add_argument("--model", default=None, help="pose model .task file (default: the bundled one)")
    args = ap.parse_args(argv)
    est = make_estimator(args.model, static=True)
    for images in args.images:
        recs = collect(images, est)
        print(f"\n{images}: {len(recs)} photos with a person")
        print(f"  former rule (median of each angle): {report(recs, 'former')}")
        print(f"  whole skeletons (shipped)         : {report(recs, 'fused')}")
        print(f"  ... of these, graded (test position, assessable): {report(recs, 'fused', graded_only=True)}")
    est.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
