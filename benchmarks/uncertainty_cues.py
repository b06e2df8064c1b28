"""Which cues a photo shows predict the error (issue 13): the figures behind the uncertainty's terms in
thomas_cv/core/constants.py, from benchmarks/accuracy.py dumps of tuning renders.

    python benchmarks/uncertainty_cues.py s10.jsonl [more.jsonl ...] [--setting auto]

Prints, over the measured photos: how often each cue is available; rank correlations (Spearman) of the
cues with the absolute and signed errors and with the renderer's true camera pitch; and the mean and 90th
percentile of the absolute error (thigh, knee) in bins of each cue. The cues are what the tool reads off
the photo (``view_yaw_deg``, ``view_pitch_deg``, ``camera_distance_trunks``, ``proportions``); the truth
is only used to score them. Errors are measured minus true 3-D angles, degrees.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def load(paths, key):
    rows = []
    for p in paths:
        for line in open(p, encoding="utf-8"):
            r = json.loads(line)
            x, m = r["results"].get(key), r["meta"]
            if m.get("view", "side") != "side" or not x or not x.get("ok") or x.get("thigh_angle_deg") is None:
                continue
            t, pr = m["truth_3d"], x.get("proportions") or {}
            rows.append({
                "et": x["thigh_angle_deg"] - t["thigh_angle_deg"], "ek": x["knee_flexion_deg"] - t["knee_flexion_deg"],
                "yaw": x.get("view_yaw_deg"), "pitch": x.get("view_pitch_deg"), "dist": x.get("camera_distance_trunks"),
                "drop": pr.get("near_side_drop"), "thigh": pr.get("thigh"),
                "true_pitch": m.get("camera", {}).get("pitch_deg"),
            })
    return rows


def _rank(v):
    return np.argsort(np.argsort(v)).astype(float)


def spearman(a, b) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return float("nan")
    return float(np.corrcoef(_rank(a[ok]), _rank(b[ok]))[0, 1])


def col(rows, k):
    return np.array([np.nan if r[k] is None else float(r[k]) for r in rows])


CUES = {"yaw": [0, 5, 10, 15, 20, 90], "pitch": [-90, 5, 10, 15, 20, 90], "dist": [0, 2, 3, 4, 6, 100],
        "drop": [-1, 0, 0.05, 0.1, 0.15, 0.2, 0.25, 1], "thigh": [0, 0.7, 0.8, 0.9, 5]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dumps", nargs="+")
    ap.add_argument("--setting", default="auto")
    a = ap.parse_args(argv)
    rows = load(a.dumps, a.setting)
    if not rows:
        print("no measured side photos in the dumps", file=sys.stderr)
        return 2
    et, ek = col(rows, "et"), col(rows, "ek")
    print(f"{len(rows)} measured photos ({a.setting}); thigh MAE {np.mean(np.abs(et)):.2f}, knee {np.mean(np.abs(ek)):.2f}")
    print(f"{'cue':8s} {'avail':>6s} {'|et|':>6s} {'|ek|':>6s} {'et':>6s} {'ek':>6s} {'true pitch':>10s}   (Spearman)")
    tp = col(rows, "true_pitch")
    for c in CUES:
        v = col(rows, c)
        print(f"{c:8s} {np.isfinite(v).mean():6.0%} {spearman(v, np.abs(et)):6.2f} {spearman(v, np.abs(ek)):6.2f} "
              f"{spearman(v, et):6.2f} {spearman(v, ek):6.2f} {spearman(v, tp):10.2f}")
    for c, edges in CUES.items():
        v = col(rows, c)
        print(f"\n{c}: bin, n, thigh |error| mean / 90th pct, thigh bias, knee |error| mean / 90th pct, knee bias")
        missing = ~np.isfinite(v)
        bins = [("not seen", missing)] if missing.any() else []
        bins += [(f"{lo:g}..{hi:g}", (v > lo) & (v <= hi)) for lo, hi in zip(edges[:-1], edges[1:])]
        for label, sel in bins:
            if sel.sum() == 0:
                continue
            print(f"  {label:12s} {sel.sum():4d}  {np.mean(np.abs(et[sel])):5.2f} / {np.quantile(np.abs(et[sel]), 0.9):5.2f}"
                  f"  {np.mean(et[sel]):+5.2f}   {np.mean(np.abs(ek[sel])):5.2f} / {np.quantile(np.abs(ek[sel]), 0.9):5.2f}"
                  f"  {np.mean(ek[sel]):+5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
