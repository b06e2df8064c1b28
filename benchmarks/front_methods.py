"""Which way of running the pose model reads a front view (issue 14)? An experiment, kept as a benchmark.

    python benchmarks/front_methods.py --images DIR [DIR ...] [--models heavy,full] [--cache FILE]

On front renders (``python -m tools.synth front --out DIR --n 60 --seed 12``; tune on seeds 10-19
only) the bundled model is run in several ways and every person it finds is cached (``--cache``,
default ``bench_out/front_methods_<folders>.json``), then each way is graded per camera place:

- ``base``: the photo pipeline's own look (``find_lying_person``);
- ``rot0..rot3``: the model on the photo turned by 0/90/180/270 deg (counter-clockwise), the
  landmarks turned back; ``rotbest``: of all four, the person with the highest mean visibility
  of hips, knees and ankles (the model's own judgement);
- ``crop_rot0..3``: a square crop around the ``base`` person (padded 30%), brought to 960 px, turned;
  ``croprotbest``: the most visible of those;
- ``fuserot`` / ``fuseall``: the per-landmark median of the rotated looks (and the crops), left and
  right aligned to the first look;
- ``oracle``: NOT a usable method, a ceiling: of every person found in any look, the one whose
  tested hip, knee, ankle and other hip lie nearest the renderer's joints (chosen with hindsight).

Columns: ``found`` (a person), ``front`` (recognised as a front view), ``meas`` (measured by the
full front path: view, test-position gate, body checks), ``meas_ng`` (measured without the
test-position gate, i.e. using only the landmarks the measurement needs: the hugged leg is not
demanded), abduction and shank-deviation MAE with the gate (``abdMAE``, ``devMAE``) and without
(``ngAbd``, ``ngDev``) against the 3-D truth, coverage of the stated uncertainty (abduction /
deviation, with the gate), tested leg right, and the median distance of the model's tested hip,
knee, ankle and other hip from the renderer's joints (the nearer of the two labels), in hip widths,
and ``j<.1``: the share of photos with a person found whose four joints all lie within 0.1 hip
widths (twice the joint error the front geometry assumes, ``FRONT_JOINT_SD_HIP_WIDTHS``); last, how
many photos each check refused (``pos``: not the test position, ``body``: no body fits, ``side``:
seen as a side view).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from thomas_cv.pipeline.photo import analyze_front_landmarks  # noqa: E402
from thomas_cv.core.errors import ThomasCVError  # noqa: E402
from thomas_cv.core.front import measure_front, recognise_view  # noqa: E402
from thomas_cv.core.landmarks import Landmarks, PoseLandmark as P  # noqa: E402
from thomas_cv.media import load_image  # noqa: E402
from thomas_cv.core.perspective import focal_px_from_35mm  # noqa: E402
from thomas_cv.vision.person import body_box, find_lying_person  # noqa: E402

NEED = {"hip": ("LEFT_HIP", "RIGHT_HIP"), "knee": ("LEFT_KNEE", "RIGHT_KNEE"), "ankle": ("LEFT_ANKLE", "RIGHT_ANKLE")}


def lm_of(r):
    return Landmarks(xy=np.asarray(r["xy"], float), visibility=np.asarray(r["vis"], float), image_size=tuple(r["size"]))


def joint_err(lm, meta, vectors: bool = False) -> dict:
    """Distance of the tested hip, knee, ankle and the other hip from the renderer's joints, in
    truth hip widths, each from the nearer of the model's two labels (left/right may be swapped);
    ``vectors``: the (dx, dy) error of that label instead of its length."""
    kp = meta["keypoints_px"]
    s = meta["tested_side"]
    o = "left" if s == "right" else "right"
    hw = float(np.linalg.norm(np.subtract(kp["left_hip"], kp["right_hip"])))
    wanted = [(name, kp[f"{s}_{name}"], pair) for name, pair in NEED.items()] + [("ohip", kp[f"{o}_hip"], NEED["hip"])]
    errs = {}
    for name, t, (a, b) in wanted:
        d = min((lm.xy[P[lab]] - np.asarray(t, float) for lab in (a, b)), key=lambda v: float(np.linalg.norm(v))) / hw
        errs[name] = d if vectors else float(np.linalg.norm(d))
    return errs


def measure(lm, meta, gate=True):
    if recognise_view(lm).view != "front":
        return {"ok": False, "code": "seen_side"}
    try:
        if gate:
            r = analyze_front_landmarks(None, lm, focal_35mm=meta["camera"]["focal_35mm"], with_overlay=False)
            f = r.front
        else:
            w, h = lm.image_size
            f = measure_front(lm, f_px=focal_px_from_35mm(meta["camera"]["focal_35mm"], w, h))
        return {"ok": True, "abd": f.thigh_abduction_deg, "dev": f.shank_deviation_deg,
                "ua": f.thigh_abduction_uncertainty_deg, "ud": f.shank_deviation_uncertainty_deg, "side": f.side}
    except ThomasCVError as exc:
        return {"ok": False, "code": exc.code, "msg": str(exc)[:100]}


def pick(cands, how):
    """cands: list of (method, rec). how: 'vis' = highest mean visibility of the legs' joints."""
    if not cands:
        return None
    legs = [P.LEFT_HIP, P.RIGHT_HIP, P.LEFT_KNEE, P.RIGHT_KNEE, P.LEFT_ANKLE, P.RIGHT_ANKLE]
    return max(cands, key=lambda c: float(np.mean(np.asarray(c[1]["vis"])[legs])))


LR = [(11, 12), (13, 14), (15, 16), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32)]


def swap(xy):
    out = xy.copy()
    for a, b in LR:
        out[[a, b]] = xy[[b, a]]
    return out


def fuse(recs):
    """Per-landmark median of several looks, left/right labels aligned to the first look by the legs."""
    if not recs:
        return None
    ref = np.asarray(recs[0][1]["xy"], float)
    legs = [23, 24, 25, 26, 27, 28]
    xs, vs = [], []
    for _, r in recs:
        xy = np.asarray(r["xy"], float)
        sw = swap(xy)
        if np.linalg.norm(sw[legs] - ref[legs]) < np.linalg.norm(xy[legs] - ref[legs]):
            xy = sw
        xs.append(xy)
        vs.append(np.asarray(r["vis"], float))
    return ("fused", {"xy": np.median(xs, 0).tolist(), "vis": np.median(vs, 0).tolist(), "size": recs[0][1]["size"]})




def rot_back(xy, k, W, H):
    """Points in np.rot90(img, k) back to the original image (W, H)."""
    x, y = xy[:, 0], xy[:, 1]
    if k == 0:
        return xy.copy()
    if k == 1:  # CCW: orig x = W - y', y = x'
        return np.stack([W - y, x], 1)
    if k == 2:
        return np.stack([W - x, H - y], 1)
    if k == 3:  # CW: orig x = y', y = H - x'
        return np.stack([y, H - x], 1)


def rec(lm):
    return None if lm is None else {"xy": np.round(lm.xy, 2).tolist(), "vis": np.round(lm.visibility, 4).tolist(),
                                    "size": list(lm.image_size)}


def run_rot(est, rgb, k):
    H, W = rgb.shape[:2]
    img = np.ascontiguousarray(np.rot90(rgb, k))
    out = []
    for lm in est.estimate_all(img):
        out.append(Landmarks(xy=rot_back(lm.xy, k, W, H), visibility=lm.visibility, image_size=(W, H)))
    return out


def crop_rot(est, rgb, lm, k, pad=0.3, target=960):
    """Crop around lm's body box (square), rotate by k, upscale to target; all people back."""
    H, W = rgb.shape[:2]
    x0, y0, x1, y1 = body_box(lm, pad=pad)
    side = max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x0, x1 = int(max(0, cx - side / 2)), int(min(W, cx + side / 2))
    y0, y1 = int(max(0, cy - side / 2)), int(min(H, cy + side / 2))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return []
    crop = rgb[y0:y1, x0:x1]
    s = target / max(crop.shape[:2])
    crop = cv2.resize(crop, (max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s))),
                      interpolation=cv2.INTER_CUBIC if s > 1 else cv2.INTER_AREA)
    ch, cw = crop.shape[:2]
    out = []
    for p in run_rot(est, crop, k):
        out.append(Landmarks(xy=p.xy / s + np.array([x0, y0]), visibility=p.visibility, image_size=(W, H)))
    return out




def fronts(folders) -> dict:
    metas = {}
    for d in folders:
        for js in sorted(Path(d).glob("*.json")):
            m = json.loads(js.read_text())
            if m.get("view") == "front" and "truth_3d" in m:
                metas[str(Path(d) / m["image"])] = m
    return metas


def run(metas: dict, models, cache_path: Path) -> dict:
    from thomas_cv.vision.pose import make_estimator

    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    for model in models:
        todo = [img for img in metas if f"{model}|{img}" not in cache]
        if not todo:
            continue
        with make_estimator(model, static=True) as est:
            t0 = time.process_time()
            for n, img in enumerate(todo, 1):
                rgb = load_image(img).rgb
                r = {}
                base = find_lying_person(rgb, est)
                r["base"] = [rec(base)] if base is not None else []
                for k in range(4):
                    r[f"rot{k}"] = [rec(p) for p in run_rot(est, rgb, k)]
                if base is not None:
                    for k in range(4):
                        r[f"crop_rot{k}"] = [rec(p) for p in crop_rot(est, rgb, base, k)]
                cache[f"{model}|{img}"] = r
                if n % 10 == 0 or n == len(todo):
                    cache_path.write_text(json.dumps(cache))
                    print(f"  {model}: {n}/{len(todo)} ({(time.process_time() - t0) / n:.2f} CPU-s/image)",
                          file=sys.stderr, flush=True)
    return cache


def choose(meth: str, r: dict, meta: dict):
    """The person one way (``meth``) takes from one photo's cached looks ``r``, or None."""
    if meth == "rotbest":
        return pick([(k, x) for k in ("rot0", "rot1", "rot2", "rot3") for x in r.get(k, [])], "vis")
    elif meth == "croprotbest":
        return pick([(k, x) for k in ("crop_rot0", "crop_rot1", "crop_rot2", "crop_rot3") for x in r.get(k, [])], "vis")
    elif meth.startswith("fuse"):
        keys = ["rot0", "rot1", "rot2", "rot3"] + (["crop_rot0", "crop_rot1", "crop_rot2", "crop_rot3"] if meth == "fuseall" else [])
        looks = [pick([(k, x) for x in r.get(k, [])], "vis") for k in keys]
        return fuse([x for x in looks if x is not None])
    elif meth == "oracle":  # hindsight: the look whose joints lie nearest the truth
        looks = [(k, x) for k in ("base", "rot0", "rot1", "rot2", "rot3", "crop_rot0", "crop_rot1",
                                  "crop_rot2", "crop_rot3") for x in r.get(k, [])]
        return min(looks, key=lambda c: max(joint_err(lm_of(c[1]), meta).values())) if looks else None
    else:
        cs = r.get(meth, [])
        return pick([(meth, x) for x in cs], "vis")


#: short names of the refusals, for the last column
CODES = {"not_test_position": "pos", "landmark_not_visible": "body", "seen_side": "side", "wrong_view": "side"}


def grade(cache: dict, metas: dict, models) -> None:
    """One row per camera place x model x method (columns in the module docstring)."""
    methods = ["base", "rot0", "rot1", "rot2", "rot3", "rotbest", "crop_rot0", "crop_rot1", "crop_rot2", "crop_rot3",
               "croprotbest", "fuserot", "fuseall", "oracle"]
    print(f"{'place':9} {'model':6} {'method':12} {'n':>3} {'found':>6} {'front':>6} {'meas':>6} {'meas_ng':>7} "
          f"{'abdMAE':>6} {'devMAE':>6} {'cov':>9} {'ngAbd':>6} {'ngDev':>6} {'legOK':>5} {'jerr(h/k/a/oh)':>20} {'j<.1':>4}  refused (gate on)")
    for place in ("foot_end", "above"):
        for model in models:
            for meth in methods:
                n = found = front = 0
                ok, ng, je, leg, why = [], [], [], [], {}
                for img, meta in metas.items():
                    if meta["view_place"] != place:
                        continue
                    r = cache.get(f"{model}|{img}")
                    if r is None:
                        continue
                    n += 1
                    c = choose(meth, r, meta)
                    if c is None:
                        continue
                    found += 1
                    lm = lm_of(c[1])
                    je.append(list(joint_err(lm, meta).values()))
                    front += recognise_view(lm).view == "front"
                    t = meta["truth_3d"]
                    a = measure(lm, meta, True)
                    if a["ok"]:
                        ok.append((a["abd"] - t["thigh_abduction_deg"], a["dev"] - t["shank_deviation_deg"], a["ua"], a["ud"]))
                        leg.append(a["side"] == meta["tested_side"])
                    else:
                        code = CODES.get(a["code"], a["code"])
                        why[code] = why.get(code, 0) + 1
                    b = measure(lm, meta, False)
                    if b["ok"]:
                        ng.append((b["abd"] - t["thigh_abduction_deg"], b["dev"] - t["shank_deviation_deg"]))
                if not n:
                    continue
                o = np.array(ok) if ok else np.zeros((0, 4))
                g = np.array(ng) if ng else np.zeros((0, 2))
                jm = np.median(np.array(je), 0) if je else [np.nan] * 4
                cov = f"{(np.abs(o[:, 0]) <= o[:, 2]).mean()*100:.0f}/{(np.abs(o[:, 1]) <= o[:, 3]).mean()*100:.0f}" if len(o) else "-"
                print(f"{place:9} {model:6} {meth:12} {n:3d} {found/n*100:6.0f} {front/n*100:6.0f} {len(o)/n*100:6.0f} {len(g)/n*100:7.0f} "
                      f"{np.abs(o[:,0]).mean() if len(o) else np.nan:6.2f} {np.abs(o[:,1]).mean() if len(o) else np.nan:6.2f} {cov:>9} "
                      f"{np.abs(g[:,0]).mean() if len(g) else np.nan:6.2f} {np.abs(g[:,1]).mean() if len(g) else np.nan:6.2f} "
                      f"{np.mean(leg)*100 if leg else np.nan:5.0f} {'/'.join(f'{v:.2f}' for v in jm):>20} "
                      f"{np.mean([max(j) <= 0.1 for j in je]) * 100 if je else np.nan:4.0f}  "
                      + " ".join(f"{k}:{v}" for k, v in sorted(why.items())))




def directions(cache: dict, metas: dict, models, methods=("base", "rotbest", "croprotbest", "oracle")) -> None:
    """Where the joints go wrong: per joint, the median |error| across the image (x) and along it
    (y), and the mean signed y error (+ = lower in the image), in hip widths."""
    print("\njoint errors by direction, hip widths: median |dx| / median |dy| / mean dy (+ = placed lower)")
    print(f"{'place':9} {'model':6} {'method':12} " + "  ".join(f"{j:>17}" for j in ("tested hip", "knee", "ankle", "other hip")))
    for place in ("foot_end", "above"):
        for model in models:
            for meth in methods:
                E: dict = {"hip": [], "knee": [], "ankle": [], "ohip": []}
                for img, meta in metas.items():
                    r = cache.get(f"{model}|{img}")
                    if meta["view_place"] != place or r is None:
                        continue
                    c = choose(meth, r, meta)
                    if c is None:
                        continue
                    for k, v in joint_err(lm_of(c[1]), meta, vectors=True).items():
                        E[k].append(v)
                if not E["hip"]:
                    continue
                cols = []
                for k in ("hip", "knee", "ankle", "ohip"):
                    v = np.array(E[k])
                    cols.append(f"{np.median(np.abs(v[:, 0])):.2f}/{np.median(np.abs(v[:, 1])):.2f}/{v[:, 1].mean():+.2f}")
                print(f"{place:9} {model:6} {meth:12} " + "  ".join(f"{c:>17}" for c in cols))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", nargs="+", required=True, help="folders of front renders with JSON sidecars")
    ap.add_argument("--models", default="heavy,full", help="bundled models to try, comma-separated")
    ap.add_argument("--cache", default=None, help="landmark cache (default: bench_out/front_methods_<folders>.json)")
    a = ap.parse_args(argv)
    metas = fronts(a.images)
    if not metas:
        print("no front renders with sidecars found", file=sys.stderr)
        return 2
    models = [m for m in a.models.split(",") if m]
    cache_path = Path(a.cache) if a.cache else ROOT / "bench_out" / (
        "front_methods_" + "_".join(Path(f).name for f in a.images) + ".json")
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cache = run(metas, models, cache_path)
    print(f"{len(metas)} front renders; models {', '.join(models)}; cache {cache_path}")
    grade(cache, metas, models)
    directions(cache, metas, models)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
