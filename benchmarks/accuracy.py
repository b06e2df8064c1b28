"""Accuracy benchmark on synthetic renders with exactly known angles.

    python benchmarks/accuracy.py                       # render 240 images (seed 0, all conditions) into bench_out/, measure, report
    python benchmarks/accuracy.py --images DIR          # measure an existing render set (images + JSON sidecars)
    python benchmarks/accuracy.py --horizon image auto  # compare settings (default: image+noflip auto+noflip auto)

Needs the renderer's extra for rendering (``pip install -e .[synth]``, Debian libosmesa6).
Prints: detection rate; tested-side accuracy; MAE, bias and worst error of thigh angle and
knee flexion against the true 3D angles, overall and per condition; agreement of the
findings with the ground-truth findings on clear-cut cases; calibration of the reported
uncertainty. Errors are measured minus true, in degrees.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: a case is clear-cut when the true angle is this far from the cut-off
CLEAR_THIGH_DEG = 3.0
CLEAR_KNEE_DEG = 4.0


def load_set(folder: Path) -> list[tuple[Path, dict]]:
    items = []
    for js in sorted(folder.glob("*.json")):
        meta = json.loads(js.read_text())
        img = folder / meta.get("image", js.stem + ".jpg")
        if img.exists() and "truth_3d" in meta:
            items.append((img, meta))
    return items


_EST = None


def _init(model):
    global _EST
    from thomas_cv.pose import make_estimator

    _EST = make_estimator(model, static=True)


def _measure(args):
    img, horizons = args
    from thomas_cv.analyze import Horizon, analyze_path

    out = {}
    for h in horizons:
        name, flip = (h[: -len("+noflip")], False) if h.endswith("+noflip") else (h, True)
        t = time.perf_counter()
        out[h] = analyze_path(img, _EST, horizon=Horizon.parse(name), with_overlay=False, flip=flip).to_dict()
        out[h]["seconds"] = time.perf_counter() - t
    return str(img), out


def condition_keys(meta: dict) -> dict:
    cam = meta.get("camera", {})
    return {
        "yaw": f"{cam.get('yaw_deg', 0):+.0f}",
        "roll": f"{cam.get('roll_deg', 0):+.0f}",
        "side": meta.get("tested_side"),
        "head": meta.get("head_towards"),
        "frame": cam.get("orientation", "?"),
        "far_side": str(bool(cam.get("far_side", False))),
        "small": str(bool(cam.get("small_subject", meta.get("small_subject", False)))),
        "helper": str(bool(meta.get("helper", cam.get("helper", False)))),
    }


def stats(err: np.ndarray) -> str:
    if err.size == 0:
        return "   n/a"
    return f"{np.mean(np.abs(err)):5.2f} {np.mean(err):+6.2f} {np.max(np.abs(err)):6.2f}"


def true_status(meta: dict, muscle: str, margin_scale: float = 1.0):
    from thomas_cv import constants as C

    t = meta["truth_3d"]
    if muscle == "iliopsoas":
        v, cut, clear = t["thigh_angle_deg"], C.THIGH_NORMAL_MIN_DEG, CLEAR_THIGH_DEG
    else:
        v, cut, clear = t["knee_flexion_deg"], C.KNEE_FLEXION_NORMAL_MIN_DEG, CLEAR_KNEE_DEG
    status = "normal" if v >= cut else "short"
    return status, abs(v - cut) >= clear * margin_scale


def report(items, results, horizon: str) -> None:
    rows = []
    for img, meta in items:
        d = results[str(img)][horizon]
        rows.append((meta, d))
    n = len(rows)
    ok = [(m, d) for m, d in rows if d["ok"]]
    print(f"\n=== horizon={horizon}: {n} images ===")
    print(f"person found and measured: {len(ok)}/{n} = {100 * len(ok) / max(n, 1):.1f}%")
    side_ok = sum(1 for m, d in ok if d["side"] == m["tested_side"])
    print(f"tested side right: {side_ok}/{len(ok)} = {100 * side_ok / max(len(ok), 1):.1f}%")
    e_t = np.array([d["thigh_angle_deg"] - m["truth_3d"]["thigh_angle_deg"] for m, d in ok])
    e_k = np.array([d["knee_flexion_deg"] - m["truth_3d"]["knee_flexion_deg"] for m, d in ok])
    e_t2 = np.array([d["thigh_angle_deg"] - m["truth_image"]["thigh_angle_deg"] for m, d in ok if "truth_image" in m])
    e_k2 = np.array([d["knee_flexion_deg"] - m["truth_image"]["knee_flexion_deg"] for m, d in ok if "truth_image" in m])
    print(f"{'':28s} {'thigh: MAE  bias  worst':>24s}   {'knee: MAE  bias  worst':>24s}")
    print(f"{'all, vs true 3D':28s} {stats(e_t):>24s}   {stats(e_k):>24s}")
    print(f"{'all, vs projected 2D truth':28s} {stats(e_t2):>24s}   {stats(e_k2):>24s}")
    conds = {}
    for i, (m, d) in enumerate(ok):
        for k, v in condition_keys(m).items():
            conds.setdefault((k, v), []).append(i)
    for (k, v), idx in sorted(conds.items()):
        if len({vv for (kk, vv) in conds if kk == k}) < 2:
            continue  # condition does not vary in this set
        nn = sum(1 for m, _ in rows if condition_keys(m)[k] == v)
        found = len(idx)
        sides = sum(1 for i in idx if ok[i][1]["side"] == ok[i][0]["tested_side"])
        label = f"{k}={v} (n={nn}, found {found}, side ok {sides})"
        print(f"{label:28s} {stats(e_t[idx]):>24s}   {stats(e_k[idx]):>24s}")
    # findings on clear-cut cases
    for margin_scale in (1.0, 5.0 / 3.0):
        for mu in ("iliopsoas", "rectus_femoris"):
            agree = total = border = wrong = 0
            for m, d in ok:
                st, clear = true_status(m, mu, margin_scale)
                if not clear:
                    continue
                total += 1
                got = d["findings"][mu]["status"]
                agree += got == st
                border += got == "borderline"
                wrong += got not in (st, "borderline")
            mt, mk = CLEAR_THIGH_DEG * margin_scale, CLEAR_KNEE_DEG * margin_scale
            print(f"findings {mu:15s}: agree on {agree}/{total} clear-cut (true angle >= {mt:.0f} deg thigh / {mk:.0f} deg knee "
                  f"from the cut-off) = {100 * agree / max(total, 1):.1f}%; borderline {border}, opposite {wrong}")
    # uncertainty calibration
    cov_t = np.mean([abs(e) <= d["thigh_angle_uncertainty_deg"] for e, (_, d) in zip(e_t, ok)]) if ok else float("nan")
    cov_k = np.mean([abs(e) <= d["knee_flexion_uncertainty_deg"] for e, (_, d) in zip(e_k, ok)]) if ok else float("nan")
    print(f"uncertainty covers the true error: thigh {100 * cov_t:.1f}%, knee {100 * cov_k:.1f}% (target >= 90%)")
    # view check: camera yaw estimated from the table's converging lines, flagged beyond 15 deg
    by_yaw: dict = {}
    for m, d in ok:
        by_yaw.setdefault(abs(float(m["camera"]["yaw_deg"])), []).append(d)
    parts = []
    for yaw, ds in sorted(by_yaw.items()):
        est = [d["view_yaw_deg"] for d in ds if d.get("view_yaw_deg") is not None]
        err = f", error {np.mean(np.abs(np.array(est) - yaw)):.1f} mean / {np.max(np.abs(np.array(est) - yaw)):.1f} worst" if est else ""
        flagged = sum("oblique_view" in d["flags"] for d in ds)
        parts.append(f"yaw {yaw:.0f}: estimated {len(est)}/{len(ds)}{err}, flagged oblique {flagged}/{len(ds)}")
    print("view check: " + "; ".join(parts))
    secs = [d["seconds"] for _, d in rows]
    print(f"seconds per image (measure only, incl. decode): median {np.median(secs):.3f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=Path, help="existing render set (default: render into --out)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench_out" / "accuracy")
    ap.add_argument("--n", type=int, default=240)
    ap.add_argument("--seed", type=int, default=0, help="render seed (0 = the reporting set; tune on another seed)")
    ap.add_argument("--conditions", default="all", help="render conditions (tools.synth render --conditions)")
    ap.add_argument("--horizon", nargs="+", default=["image+noflip", "auto+noflip", "auto"],
                    help="settings to compare: image, auto, an angle; add +noflip to skip the test-time flip (e.g. auto+noflip)")
    ap.add_argument("--model", help="a MediaPipe .task model to benchmark as well")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--dump", type=Path, help="write per-image records (truth + result) as JSON lines")
    args = ap.parse_args(argv)
    t0 = time.time()
    folder = args.images
    if folder is None:
        folder = args.out
        if not load_set(folder) or len(load_set(folder)) < args.n:
            print(f"rendering {args.n} images (seed {args.seed}) into {folder} ...", flush=True)
            subprocess.run(
                [sys.executable, "-m", "tools.synth", "render", "--out", str(folder), "--n", str(args.n),
                 "--seed", str(args.seed), "--conditions", args.conditions],
                check=True, cwd=ROOT,
            )
    items = load_set(folder)
    if not items:
        print(f"no images with sidecars in {folder}", file=sys.stderr)
        return 2
    t1 = time.time()
    models = [None] + ([args.model] if args.model else [])
    for model in models:
        with mp.get_context("spawn").Pool(args.workers, initializer=_init, initargs=(model,)) as pool:
            results = dict(pool.imap_unordered(_measure, [(img, args.horizon) for img, _ in items], chunksize=4))
        print(f"\n##### model: {model or 'bundled BlazePose full'}")
        if args.dump:
            with open(args.dump, "w") as fh:
                for img, meta in items:
                    fh.write(json.dumps({"meta": meta, "results": results[str(img)]}) + "\n")
        for h in args.horizon:
            report(items, results, h)
    print(f"\nrender {t1 - t0:.0f} s, measure {time.time() - t1:.0f} s, images from {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
