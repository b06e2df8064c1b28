"""Fit the uncertainty constants (thomas_cv/core/constants.py, THIGH_UNC_* and KNEE_UNC_*) on
tuning renders, so that the true error lies inside the reported uncertainty at least
``--target`` of the time, and with ``--group-target`` at least that in every condition group of
accuracy.py with 20 or more photos, with the narrowest mean width.

    python benchmarks/accuracy.py --images /work/bench/side_s10 --horizon auto auto+noflip --dump s10.jsonl
    python benchmarks/accuracy.py --images /work/bench/side_s14 --horizon auto auto+noflip --dump s14.jsonl
    python benchmarks/calibrate_uncertainty.py s10.jsonl s14.jsonl --group-target 0.91 --check s15.jsonl

Both settings (the default, and without the mirror look) are fitted together: one set of
constants must hold for both. The terms are what a photo shows (thomas_cv.core.measure.uncertainty_deg):
never the renderer's truth, which only defines the groups to be covered. Fit on tuning seeds only
(10-19), never on a reporting set (100+): the accuracy benchmark checks the fitted values there;
``--check`` shows the coverage on other tuning seeds not fitted on. Prints the constants to copy
into constants.py, and the coverage and mean width the current and the fitted constants reach
overall and in the lowest condition groups.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from thomas_cv.core import constants as C  # noqa: E402
from thomas_cv.core.measure import uncertainty_deg  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import MIN_GROUP, groups_of  # noqa: E402


def load(paths, key):
    rows = []
    for p in paths:
        for line in open(p, encoding="utf-8"):
            r = json.loads(line)
            x = r["results"].get(key)
            if r["meta"].get("view", "side") != "side":
                continue  # front views have their own angles
            if not x or not x["ok"] or x.get("thigh_angle_deg") is None:
                continue
            t = r["meta"]["truth_3d"]
            rows.append({
                "et": abs(x["thigh_angle_deg"] - t["thigh_angle_deg"]),
                "ek": abs(x["knee_flexion_deg"] - t["knee_flexion_deg"]),
                "fdt": x.get("flip_delta_thigh_deg"),
                "fdk": x.get("flip_delta_knee_deg"),
                "yaw": x.get("view_yaw_deg"),
                "fallback": x["horizon_source"] == "image_fallback",
                "poor": bool({"landmark_not_visible", "not_side_view"} & set(x["flags"])),
                "disagreed": bool(x.get("looks_disagreed", False)),
                "far": "far_side_view" in x["flags"],
                "pitch": x.get("view_pitch_deg"),
                "dist": x.get("camera_distance_trunks"),
                "thigh": (x.get("proportions") or {}).get("thigh"),
                "drop": (x.get("proportions") or {}).get("near_side_drop"),
                "groups": groups_of(r["meta"]),
            })
    return rows


def widths(rows, consts):
    k = SimpleNamespace(**{n: getattr(C, n) for n in dir(C) if n.isupper()})
    k.__dict__.update(consts)
    u = np.array([uncertainty_deg(r["fdt"], r["fdk"], view_yaw_deg=r["yaw"], horizon_from_image=r["fallback"],
                                  poor_view=r["poor"], looks_disagreed=r["disagreed"], far_side=r["far"],
                                  view_pitch_deg=r.get("pitch"), camera_distance_trunks=r.get("dist"),
                                  thigh_to_trunk=r.get("thigh"), near_side_drop=r.get("drop"), k=k)
                  for r in rows])
    return u[:, 0], u[:, 1]


def group_index(rows) -> list:
    """Index arrays of the condition groups (accuracy.py's) with MIN_GROUP or more rows."""
    by: dict = {}
    for i, r in enumerate(rows):
        for g in r["groups"]:
            by.setdefault(g, []).append(i)
    return [np.array(ix) for ix in by.values() if len(ix) >= MIN_GROUP]


#: trial values of each term (THIGH_/KNEE_ prefixed); PER_FLIP_DELTA is a slope
GRIDS = {"UNC_PER_FLIP_DELTA": np.arange(0.0, 0.51, 0.05),
         "UNC_OBLIQUE_DEG": np.arange(0.0, 3.01, 0.25),
         "UNC_LOOKS_DISAGREE_DEG": np.arange(0.0, 6.01, 0.5),
         "UNC_FAR_SIDE_DEG": np.arange(0.0, 6.01, 0.5),
         "UNC_YAW_DEG": np.arange(0.0, 6.01, 0.5),
         "UNC_VIEW_UNKNOWN_DEG": np.arange(0.0, 6.01, 0.5),
         "UNC_PITCH_DEG": np.arange(0.0, 6.01, 0.5),
         "UNC_NEAR_DEG": np.arange(0.0, 16.01, 1.0),
         "UNC_DROP_DEG": np.arange(0.0, 5.01, 0.25),
         "UNC_SHORT_THIGH_DEG": np.arange(0.0, 3.01, 0.25)}
#: the single-reading base (no mirror look) minus the base with one
NOFLIP_MINUS_BASE = np.arange(-3.0, 3.01, 0.25)


def _features(rows, names, which):
    """Each row's width per unit of each named constant, from uncertainty_deg itself (every
    constant 0 but one; the roll and poor-view widening applied afterwards by _widen)."""
    zero = {n: 0.0 for n in dir(C) if n.endswith("_DEG") and "_UNC_" in n}
    zero.update(THIGH_UNC_PER_FLIP_DELTA=0.0, KNEE_UNC_PER_FLIP_DELTA=0.0)
    plain = [dict(r, fallback=False, poor=False) for r in rows]
    return np.stack([widths(plain, {**zero, n: 1.0})[which] for n in names], axis=1)


def _widen(lin, rows, which):
    """The roll (thigh) and poor-view widening of uncertainty_deg, on many rows at once."""
    fallback = np.array([r["fallback"] for r in rows])
    poor = np.array([r["poor"] for r in rows])
    u = np.where(fallback, np.hypot(lin, C.UNKNOWN_ROLL_DEG), lin) if which == 0 else lin
    return np.where(poor, u * C.POOR_VIEW_UNC_FACTOR, u)


def fit(rows, err_key, which, target, group_target=None, terms=None, samples=2000, seed=0):
    """Smallest mean width reaching ``target`` coverage (and, with ``group_target``, that much
    in every condition group of MIN_GROUP or more rows), over the base, the single-reading base
    and the terms (``terms``, default all of GRIDS): a random search over the grids, then
    coordinate descent; the base found by bisection for each candidate (rounded up: never below
    the target). Returns (mean width, coverage, constants); check them with ``widths``."""
    err = np.array([r[err_key] for r in rows])
    groups = group_index(rows) if group_target else []
    T = "THIGH" if which == 0 else "KNEE"
    names = [f"{T}_{n}" for n in GRIDS if terms is None or n in terms or n == "UNC_PER_FLIP_DELTA"]
    grids = [GRIDS[n[len(T) + 1:]] for n in names]
    F = _features(rows, names, which)
    held = [f"{T}_{n}" for n in GRIDS if f"{T}_{n}" not in names]  # not fitted: kept at constants.py's value
    fixed = _features(rows, held, which) @ np.array([float(getattr(C, n)) for n in held]) if held else 0.0
    single = np.array([r["fdt"] is None for r in rows], float)
    F_base = _features(rows, [f"{T}_UNC_BASE_DEG", f"{T}_UNC_NOFLIP_DEG"], which)
    one = F_base.sum(axis=1)  # 1 for every row: its base is one of the two

    def covered(u):
        inside = err <= u
        return inside.mean() >= target and all(inside[ix].mean() >= group_target for ix in groups)

    def evaluate(c, delta):
        rest = F @ c + delta * single + fixed
        lo, hi = -5.0, 30.0
        if not covered(_widen(hi * one + rest, rows, which)):
            return float("inf"), None
        for _ in range(24):
            mid = (lo + hi) / 2
            if covered(_widen(mid * one + rest, rows, which)):
                hi = mid
            else:
                lo = mid
        base = np.ceil(hi * 10) / 10
        u = _widen(base * one + rest, rows, which)
        return float(u.mean()), base

    rng = np.random.default_rng(seed)
    c0 = np.array([float(getattr(C, n)) for n in names])
    best = (*evaluate(c0, 0.0), c0, 0.0)
    for _ in range(samples):  # random search: a few terms on at a time
        c = np.array([rng.choice(g) if rng.random() < 0.4 else 0.0 for g in grids])
        d = float(rng.choice(NOFLIP_MINUS_BASE))
        w, base = evaluate(c, d)
        if w < best[0]:
            best = (w, base, c, d)
    for _ in range(3):  # coordinate descent from the best found
        for j, g in enumerate(list(grids) + [NOFLIP_MINUS_BASE]):
            for v in g:
                c, d = best[2].copy(), best[3]
                if j < len(names):
                    c[j] = v
                else:
                    d = float(v)
                w, base = evaluate(c, d)
                if w < best[0] - 1e-9:
                    best = (w, base, c, d)
    w, base, c, d = best
    consts = {n: round(float(v), 2) for n, v in zip(names, c)}
    consts[f"{T}_UNC_BASE_DEG"] = float(base)
    consts[f"{T}_UNC_NOFLIP_DEG"] = round(float(base + d), 2)
    u = widths(rows, consts)[which]
    return float(u.mean()), float((err <= u).mean()), consts


def print_group_coverage(rows, consts, title, every=False):
    """Coverage overall and in the five lowest condition groups (n >= MIN_GROUP); ``every``:
    then a line per group (coverage thigh / knee %, mean width thigh / knee deg)."""
    ut, uk = widths(rows, consts)
    et = np.array([r["et"] for r in rows])
    ek = np.array([r["ek"] for r in rows])
    by: dict = {}
    for i, r in enumerate(rows):
        for g in r["groups"]:
            by.setdefault(g, []).append(i)
    worst = sorted(((100 * np.mean(et[ix] <= ut[ix]), 100 * np.mean(ek[ix] <= uk[ix]), f"{g}: {v}", len(ix))
                    for (g, v), ix in by.items() if len(ix) >= MIN_GROUP), key=lambda t: min(t[:2]))
    print(f"  {title}: coverage thigh {100 * np.mean(et <= ut):.1f}%, knee {100 * np.mean(ek <= uk):.1f}%, "
          f"mean width thigh {ut.mean():.2f}, knee {uk.mean():.2f} deg; "
          f"lowest groups (n >= {MIN_GROUP}): "
          + "; ".join(f"{lab} (n={n}) {ct:.0f}%/{ck:.0f}%" for ct, ck, lab, n in worst[:5]))
    if every:
        for (g, v), ix in by.items():
            if len(ix) >= MIN_GROUP:
                print(f"    {g + ': ' + str(v):34s} n={len(ix):4d}  cover {100 * np.mean(et[ix] <= ut[ix]):5.1f}/"
                      f"{100 * np.mean(ek[ix] <= uk[ix]):5.1f}%  width {ut[ix].mean():5.2f}/{uk[ix].mean():5.2f} deg")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dumps", nargs="+", help="JSON lines from benchmarks/accuracy.py --dump (tuning seeds)")
    ap.add_argument("--target", type=float, default=0.92,
                    help="coverage to reach on the tuning set (default 0.92: a margin over the 90%% promised)")
    ap.add_argument("--group-target", type=float, default=None,
                    help="coverage to reach in every condition group of 20 or more photos as well (e.g. 0.91)")
    ap.add_argument("--terms", help="comma list of the terms to fit (default all: " + ",".join(list(GRIDS)[1:]) + ")")
    ap.add_argument("--check", nargs="*", default=[], help="dumps of other tuning seeds: coverage there with the fit")
    ap.add_argument("--report", action="store_true",
                    help="no fit: coverage and mean width of constants.py's values on the dumps")
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                    help="with --report: these constants instead of constants.py's (e.g. a former release's)")
    a = ap.parse_args(argv)
    terms = None if not a.terms else set(a.terms.split(","))
    if a.report:
        over = {k: float(v) for k, v in (x.split("=", 1) for x in a.set)}
        title = "constants.py" + (" with " + ", ".join(a.set) if a.set else "")
        for key in ("auto", "auto+noflip"):
            sel = load(a.dumps, key)
            print(f"  -- {key}, {', '.join(map(str, a.dumps))}: {len(sel)} images")
            print_group_coverage(sel, over, title, every=True)
        return 0
    rows = load(a.dumps, "auto") + load(a.dumps, "auto+noflip")
    if not rows:
        print("no records (run accuracy.py with --horizon auto auto+noflip)")
        return 2
    print(f"== fit on both settings (auto, auto+noflip) together: {len(rows)} readings, target coverage "
          f"{a.target:.0%}" + (f", every group of {MIN_GROUP}+ at least {a.group_target:.0%}" if a.group_target else ""))
    fitted = {}
    for which, (err_key, label) in enumerate((("et", "thigh"), ("ek", "knee"))):
        width, cover, consts = fit(rows, err_key, which, a.target, a.group_target, terms)
        fitted.update(consts)
        shown = ", ".join(f"{n} = {v:g}" for n, v in sorted(consts.items()))
        print(f"  {label}: mean width {width:.2f} deg, coverage {cover:.1%}: {shown}")
    for key in ("auto", "auto+noflip"):
        for label, paths in (("fitted on", a.dumps), ("check", a.check)):
            sel = load(paths, key) if paths else []
            if not sel:
                continue
            print(f"  -- {key}, {label} {', '.join(map(str, paths))}: {len(sel)} images")
            for title, consts in (("current constants", {}), ("fitted constants", fitted)):
                print_group_coverage(sel, consts, title)
    return 0


if __name__ == "__main__":
    sys.exit(main())
