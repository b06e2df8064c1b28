"""The table-line (perspective) search on less image: do the readings stay the same? (issue 17)

    python benchmarks/line_search_variants.py [--images DIR ...]

``find_table_perspective`` runs OpenCV's line-segment detector on the three LAB channels of a
band under the trunk shrunk to ``LINES_MAX_BAND_PX`` (640) wide: about a third of a photo's
time beyond the model. This measures every photo (default: ``sample_images/*.jpg``; add render
folders with ``--images``) with the default search and with two cheaper ones, in one process:
the lightness channel only, and the band shrunk to 480 px; it prints the search's CPU time a
photo and how many photos' readings (the whole output contract but the landmarks) change.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=Path, nargs="*", default=[], help="more folders of *.jpg")
    args = ap.parse_args(argv)
    import cv2

    import thomas_cv.vision.table as H
    from thomas_cv.pipeline.photo import analyze_image
    from thomas_cv.core.errors import ThomasCVError
    from thomas_cv.media import load_image
    from thomas_cv.vision.pose import BlazePose

    files = sorted((ROOT / "sample_images").glob("*.jpg"))
    for d in args.images:
        files += sorted(d.glob("*.jpg"))
    imgs = [load_image(f) for f in files]
    search, split, band = H.find_table_perspective, cv2.split, H.LINES_MAX_BAND_PX
    cpu = [0.0]

    def timed(*a, **k):
        c = time.process_time()
        try:
            return search(*a, **k)
        finally:
            cpu[0] += time.process_time() - c

    class LOnly:  # cv2 as vision/table.py sees it, splitting off the lightness channel only
        def __getattr__(self, k):
            return (lambda img: split(img)[:1]) if k == "split" else getattr(cv2, k)

    variants = {"default (L, a, b channels; band 640 px)": lambda: None,
                "lightness channel only": lambda: setattr(H, "cv2", LOnly()),
                "band shrunk to 480 px": lambda: setattr(H, "LINES_MAX_BAND_PX", 480)}
    ref = None
    H.find_table_perspective = timed
    try:
        with BlazePose("heavy") as est:
            for label, apply in variants.items():
                H.cv2, H.LINES_MAX_BAND_PX = cv2, band
                apply()
                cpu[0] = 0.0
                out = []
                for f, im in zip(files, imgs):
                    try:
                        d = analyze_image(im.rgb, est, file=f.name, focal_35mm=im.focal_35mm,
                                          with_overlay=False).to_dict()
                    except ThomasCVError as exc:
                        d = {"error": exc.code}
                    d.pop("landmarks", None)
                    out.append(json.dumps(d, sort_keys=True, default=str))
                ref = ref or out
                changed = sum(a != b for a, b in zip(ref, out))
                print(f"{label:42s} search {1000 * cpu[0] / len(files):5.1f} ms CPU a photo; readings changed on "
                      f"{changed}/{len(files)} photos")
    finally:
        H.find_table_perspective, H.cv2, H.LINES_MAX_BAND_PX = search, cv2, band
    return 0


if __name__ == "__main__":
    sys.exit(main())
