"""Could face blurring reuse the people of the first look instead of a look of its own? (issue 17)

    python benchmarks/bystanders.py [--images DIR]

BlazePose (``estimate_all``) is asked for up to ``NUM_POSES`` people a look. Saved overlays blur
the faces of the other people in the photo, found by :func:`thomas_cv.vision.person.other_people` (the
measured person hidden, the model asked again: one more model pass a photo). For every photo
with a bystander this prints how many of the people that extra look finds the first, whole-image
look already returned (the same body: boxes overlapping by IoU > 0.3). Photos: composites of
each of four sample photos beside real people (``tests/data/negatives``, Sports2D/Pose2Sim demo
frames) and, with ``--images``, every ``*.jpg`` of a folder (e.g. tuning renders of
``python -m tools.synth mixed``, a quarter of which have a standing helper).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def composites():
    import cv2

    from thomas_cv.media import load_image

    sides = sorted((ROOT / "sample_images").glob("thomas_*_01.jpg"))[:4]
    negs = sorted((ROOT / "tests/data/negatives").glob("pose2sim_*.jpg"))[::3]
    negs.append(ROOT / "tests/data/negatives/sports2d_demo_f030.jpg")
    for i, s in enumerate(sides):
        a = load_image(s).rgb
        for n in negs[i::2]:
            b = load_image(n).rgb
            b = cv2.resize(b, (round(b.shape[1] * a.shape[0] / b.shape[0]), a.shape[0]))
            yield f"{s.name} + {n.name}", np.ascontiguousarray(np.concatenate([a, b], axis=1))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=Path, help="also every *.jpg in this folder")
    args = ap.parse_args(argv)
    from thomas_cv.media import load_image
    from thomas_cv.vision.person import _iou, body_box, find_lying_person, other_people
    from thomas_cv.vision.pose import BlazePose

    photos = list(composites())
    if args.images:
        photos += [(p.name, load_image(p).rgb) for p in sorted(args.images.glob("*.jpg"))]
    totals = {}
    with BlazePose("heavy") as est:
        for name, rgb in photos:
            subject = find_lying_person(rgb, est)
            if subject is None:
                continue
            extra = [body_box(o) for o in other_people(rgb, est, subject)]
            if not extra:
                continue
            first = [body_box(p) for p in est.estimate_all(rgb)]
            first = [b for b in first if _iou(b, body_box(subject)) <= 0.5]  # not the subject
            seen = sum(1 for b in extra if any(_iou(b, f) > 0.3 for f in first))
            group = "composites" if " + " in name else "--images"
            t = totals.setdefault(group, [0, 0, 0])
            t[0] += 1
            t[1] += len(extra)
            t[2] += seen
            print(f"  {name:62s} people found by the extra look {len(extra)}, of them in the first look {seen}")
    for group, (n, extra, seen) in totals.items():
        print(f"{group}: {n} photos with bystanders; the extra look found {extra} people, the first look "
              f"had returned {seen} of them ({100 * seen / max(extra, 1):.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
