"""Accuracy benchmark on synthetic renders with exactly known angles (the harder yardstick).

    python benchmarks/accuracy.py --seed 10 --n 240      # render (if not yet) the mixed set of seed 10, measure, report
    python benchmarks/accuracy.py --images DIR           # measure an existing render set (images + JSON sidecars)
    python benchmarks/accuracy.py --kind pairs --seed 11 --n 60   # side + front images of 60 poses
    python benchmarks/accuracy.py --conditions all --seed 0       # the older balanced grid (tools.synth render)

The default set is ``python -m tools.synth mixed``: every condition drawn at random together for
each photo (tested side, far-side camera, yaw -25..25, roll, pitch 0-25, 35 mm focal length
13-77 mm, portrait/landscape, subject size, standing helper, lighting/clothes/room, MakeHuman
body shape, hip abduction 0-20 and rotation -20..20 of the tested leg, thigh -20..25 and knee
flexion 40..110 across the cut-offs).  Rendering is reproducible by seed and is skipped for
images already in the folder.  Seeds: tune on 10-19; 20-29 check the uncertainty on renders no
code was tuned on; 100+ are reserved for the headline run.

Prints, overall AND per condition group (groups of fewer than 20 photos are flagged ``n<20``):
found %, tested side right %, thigh and knee MAE / bias (mean signed error) / worst, findings
agreement on clear-cut cases (true angle 5 deg or more from the cut-off) and opposite calls
(short for normal or the reverse), uncertainty coverage.  Front views (``view`` = front in the
sidecar): view type right, abduction and shank-deviation errors when the tool reports them.
Errors are measured minus true (true 3-D angles), in degrees.  Needs the renderer's extra for
rendering (``pip install -e .[synth]``, Mesa EGL).
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

#: a case is clear-cut when the true angle is at least this far from the cut-off (deg)
CLEAR_DEG = 5.0
#: groups smaller than this are flagged: too few photos to judge
MIN_GROUP = 20
#: the shipped settings (horizon auto, mirror-image check on)
DEFAULT_SETTING = "auto"


def load_set(folder: Path) -> list[tuple[Path, dict]]:
    items = []
    for js in sorted(folder.glob("*.json")):
        try:
            meta = json.loads(js.read_text())
        except (OSError, ValueError):
            continue
        img = folder / meta.get("image", js.stem + ".jpg")
        if img.exists() and "truth_3d" in meta:
            items.append((img, meta))
    return items


# --------------------------------------------------------------------- measuring (worker)
_EST = None


def _init(model):
    global _EST
    from thomas_cv.vision.pose import make_estimator

    _EST = make_estimator(model, static=True)


def _measure(args):
    """One photo alone under each setting; a side photo with its front partner also as a pair
    (``<setting>|pair``: analyze_pair_paths, the side angles corrected in 3-D)."""
    img, settings, front = args
    from thomas_cv.pipeline.photo import Horizon, analyze_path

    out = {}
    for h in settings:
        name, flip = (h[: -len("+noflip")], False) if h.endswith("+noflip") else (h, True)
        t = time.perf_counter()
        out[h] = analyze_path(img, _EST, horizon=Horizon.parse(name), with_overlay=False, flip=flip).to_dict()
        out[h]["seconds"] = time.perf_counter() - t
        if front is not None:
            from thomas_cv.pipeline.photo import analyze_pair_paths
            out[f"{h}|pair"] = analyze_pair_paths(img, front, _EST, horizon=Horizon.parse(name),
                                                  with_overlay=False, flip=flip).to_dict()
    return str(img), out


# --------------------------------------------------------------------- truth and groups
def view_of(meta: dict) -> str:
    return meta.get("view", "side")


def true_status(meta: dict, muscle: str):
    """(true status, clear-cut?) from the 3-D truth and the tool's cut-offs (constants.py).

    TFL / IT band: short when the thigh is abducted past TFL_ABDUCTION_CUTOFF_DEG. Sartorius:
    short when abducted past it AND turned out (shank swung inwards) past
    SARTORIUS_EXTERNAL_ROTATION_DEG; clear-cut when every condition that decides it is
    CLEAR_DEG or more from its cut-off."""
    from thomas_cv.core import constants as C

    t = meta["truth_3d"]
    if muscle in ("tfl_itb", "sartorius"):
        a = t["thigh_abduction_deg"] - C.TFL_ABDUCTION_CUTOFF_DEG
        if muscle == "tfl_itb":
            return ("short" if a >= 0 else "normal"), abs(a) >= CLEAR_DEG
        r = -t["shank_deviation_deg"] - C.SARTORIUS_EXTERNAL_ROTATION_DEG
        if a >= 0 and r >= 0:
            return "short", min(a, r) >= CLEAR_DEG
        return "normal", (a <= -CLEAR_DEG) or (r <= -CLEAR_DEG)
    if muscle == "iliopsoas":
        v, cut = t["thigh_angle_deg"], C.THIGH_NORMAL_MIN_DEG
    else:
        v, cut = t["knee_flexion_deg"], C.KNEE_FLEXION_NORMAL_MIN_DEG
    return ("normal" if v >= cut else "short"), abs(v - cut) >= CLEAR_DEG


def _bin(v, edges, fmt="{:g}"):
    """Label of the bin of |v| among `edges` (e.g. 0,10,20 -> '0-10', '10-20', '>=20')."""
    if v < edges[0]:
        return f"<{fmt.format(edges[0])}"
    for lo, hi in zip(edges[:-1], edges[1:]):
        if lo <= v < hi:
            return f"{fmt.format(lo)}-{fmt.format(hi)}"
    return f">={fmt.format(edges[-1])}"


def groups_of(meta: dict) -> list[tuple[str, str]]:
    """The condition groups a photo belongs to: (group, value)."""
    cam = meta.get("camera", {})
    t = meta["truth_3d"]
    body = (meta.get("body") or {}).get("shape") or {}
    g = [("tested side", meta.get("tested_side", "?")),
         ("camera side", "far side" if cam.get("far_side") else "tested side"),
         ("|yaw| deg", _bin(abs(float(cam.get("yaw_deg", 0.0))), [0, 10, 20])),
         ("pitch deg", _bin(float(cam.get("pitch_deg", cam.get("elevation_deg", 7.0))), [0, 8, 16])),
         ("|roll| deg", _bin(abs(float(cam.get("roll_deg", 0.0))), [0, 3])),
         ("frame", cam.get("orientation", "?")),
         ("subject", "small" if cam.get("small_subject") else "normal"),
         ("helper", "helper" if cam.get("helper") else "alone"),
         ("abduction deg", ">=10" if t.get("hip_abduction_deg", 0.0) >= 10 else "<10"),
         ("|rotation| deg", ">=10" if abs(t.get("hip_rotation_deg", 0.0)) >= 10 else "<10"),
         ("thigh near cut-off", "within 5" if abs(t["thigh_angle_deg"]) < CLEAR_DEG else "clear"),
         ]
    f35 = cam.get("focal_35mm")
    if f35 is not None:
        g.append(("focal 35mm", "ultrawide <20" if f35 < 20 else ("tele >40" if f35 > 40 else "main 20-40")))
    if body:
        w = float(body.get("weight", 0.5))
        g.append(("body weight", "heavy >=0.7" if w >= 0.7 else ("light <=0.3" if w <= 0.3 else "average")))
        g.append(("sex", "male" if body.get("gender", 0.5) >= 0.5 else "female"))
        st = (meta.get("body") or {}).get("stature_m")
        if st is not None:
            g.append(("stature m", "<1.60" if st < 1.60 else (">=1.80" if st >= 1.80 else "1.60-1.80")))
    if view_of(meta) != "side":
        g.append(("front place", meta.get("view_place", "?")))
    return g


# --------------------------------------------------------------------- statistics
def _err(rows, key, truth_key):
    return np.array([d[key] - m["truth_3d"][truth_key] for m, d in rows
                     if d.get(key) is not None and np.isfinite(d[key])], float)


def _mbw(e):
    if e.size == 0:
        return "    n/a            "
    return f"{np.mean(np.abs(e)):5.2f} {np.mean(e):+5.2f} {np.max(np.abs(e)):5.1f}"


def side_stats(rows):
    """Everything reported for one group of side-view photos: rows = [(meta, result dict)]."""
    n = len(rows)
    ok = [(m, d) for m, d in rows if d.get("ok") and d.get("thigh_angle_deg") is not None]
    side_ok = sum(1 for m, d in ok if d.get("side") == m["tested_side"])
    et = _err(ok, "thigh_angle_deg", "thigh_angle_deg")
    ek = _err(ok, "knee_flexion_deg", "knee_flexion_deg")
    agree, total, opposite = findings_stats(ok, ("iliopsoas", "rectus_femoris"))
    cov = []
    for key, tk, uk in (("thigh_angle_deg", "thigh_angle_deg", "thigh_angle_uncertainty_deg"),
                        ("knee_flexion_deg", "knee_flexion_deg", "knee_flexion_uncertainty_deg")):
        c = [abs(d[key] - m["truth_3d"][tk]) <= d[uk] for m, d in ok
             if d.get(key) is not None and d.get(uk) is not None]
        cov.append(100 * np.mean(c) if c else float("nan"))
    return dict(n=n, found=len(ok), side_ok=side_ok, et=et, ek=ek, agree=agree, clear=total,
                opposite=opposite, cov_t=cov[0], cov_k=cov[1])


HEADER = (f"{'group':34s} {'n':>4s} {'found':>6s} {'side':>6s}  {'thigh MAE bias worst':>19s}  "
          f"{'knee MAE bias worst':>19s}  {'agree':>6s} {'opp':>3s}  {'cover t/k':>9s}")


def side_line(label, s):
    pct = lambda a, b: f"{100 * a / b:5.1f}%" if b else "   n/a"
    flag = "  n<20" if s["n"] < MIN_GROUP else ""
    return (f"{label:34s} {s['n']:4d} {pct(s['found'], s['n'])} {pct(s['side_ok'], s['found'])}  "
            f"{_mbw(s['et']):>19s}  {_mbw(s['ek']):>19s}  {pct(s['agree'], s['clear'])} {s['opposite']:3d}  "
            f"{s['cov_t']:4.0f}/{s['cov_k']:<4.0f}{flag}")


def report_side(rows, title):
    print(f"\n=== {title}: {len(rows)} side-view photos ===")
    s = side_stats(rows)
    print(f"person found and measured: {s['found']}/{s['n']} = {100 * s['found'] / max(s['n'], 1):.1f}%")
    print(f"tested side right: {s['side_ok']}/{s['found']} = {100 * s['side_ok'] / max(s['found'], 1):.1f}%")
    print(f"thigh angle   (true 3-D): MAE {np.mean(np.abs(s['et'])) if s['et'].size else float('nan'):.2f}, "
          f"bias {np.mean(s['et']) if s['et'].size else float('nan'):+.2f}, "
          f"worst {np.max(np.abs(s['et'])) if s['et'].size else float('nan'):.1f} deg")
    print(f"knee flexion  (true 3-D): MAE {np.mean(np.abs(s['ek'])) if s['ek'].size else float('nan'):.2f}, "
          f"bias {np.mean(s['ek']) if s['ek'].size else float('nan'):+.2f}, "
          f"worst {np.max(np.abs(s['ek'])) if s['ek'].size else float('nan'):.1f} deg")
    print(f"findings on clear-cut cases (>= {CLEAR_DEG:g} deg from the cut-off, both muscles): agree "
          f"{s['agree']}/{s['clear']} = {100 * s['agree'] / max(s['clear'], 1):.1f}%, opposite calls {s['opposite']}")
    print(f"uncertainty covers the true error: thigh {s['cov_t']:.1f}%, knee {s['cov_k']:.1f}% (target >= 90%)")
    print("\nper condition group (MAE / bias / worst in deg; agree = clear-cut findings agreeing; "
          "opp = opposite calls; cover = uncertainty coverage %):")
    print(HEADER)
    print(side_line("all", s))
    by: dict = {}
    for m, d in rows:
        for k, v in groups_of(m):
            by.setdefault(k, {}).setdefault(v, []).append((m, d))
    for k in by:
        if len(by[k]) < 2:
            continue  # does not vary in this set
        for v in sorted(by[k]):
            print(side_line(f"{k}: {v}", side_stats(by[k][v])))
    report_view_check(rows)
    views = [d.get("view") for _, d in rows if d.get("ok")]
    if any(v is not None for v in views):
        print(f"view type right (side): {sum(v == 'side' for v in views)}/{len(views)} measured photos")
    # not-found and wrong-side photos, for looking at
    measured = lambda d: d.get("ok") and d.get("thigh_angle_deg") is not None  # noqa: E731 (as side_stats)
    missed = [m["image"] for m, d in rows if not d.get("ok")]
    as_front = [m["image"] for m, d in rows if d.get("ok") and not measured(d)]
    wrong = [m["image"] for m, d in rows if measured(d) and d.get("side") != m["tested_side"]]
    if as_front:
        print(f"read as another view, no side angles ({len(as_front)}): {', '.join(as_front[:12])}")
    if missed:
        print(f"not measured ({len(missed)}): {', '.join(missed[:12])}{' ...' if len(missed) > 12 else ''}")
    if wrong:
        print(f"wrong side ({len(wrong)}): {', '.join(wrong[:12])}{' ...' if len(wrong) > 12 else ''}")
    secs = [d["seconds"] for _, d in rows if "seconds" in d]
    if secs:
        print(f"seconds per photo (measure only, incl. decode): median {np.median(secs):.3f}")


def findings_stats(rows, muscles):
    """(agree, clear-cut, opposite) over rows for these muscles."""
    agree = total = opposite = 0
    for m, d in rows:
        for mu in muscles:
            st, clear = true_status(m, mu)
            if not clear:
                continue
            got = (d.get("findings", {}).get(mu) or {}).get("status")
            total += 1
            agree += got == st
            opposite += got in ("normal", "short") and got != st
    return agree, total, opposite


def report_front(rows, title):
    """Front views alone: person found, view type, no side angle read off them, abduction and
    shank deviation against the truth, coverage, TFL / IT band and sartorius findings."""
    print(f"\n=== {title}: {len(rows)} front-view photos ===")
    print(f"{'place':16s} {'n':>4s} {'found':>6s} {'view ok':>7s} {'side#':>5s}  {'abduction MAE bias worst':>24s}  "
          f"{'shank dev MAE bias worst':>24s}  {'cover a/s':>9s}  {'TFL+sart agree':>14s} {'opp':>3s}")
    by_place: dict = {}
    for m, d in rows:
        by_place.setdefault(m.get("view_place", "?"), []).append((m, d))
    groups = [("all", rows)] + sorted(by_place.items())
    for k, v in (("abduction >=10", lambda m: m["truth_3d"]["thigh_abduction_deg"] >= 10),
                 ("|yaw| >=10", lambda m: abs(m["camera"]["yaw_deg"]) >= 10),
                 ("helper", lambda m: m["camera"].get("helper"))):
        groups.append((k, [(m, d) for m, d in rows if v(m)]))
    for place, rs in groups:
        n = len(rs)
        ok = [(m, d) for m, d in rs if d.get("ok")]
        view_ok = sum(1 for _, d in rs if d.get("view") == "front")
        side_read = sum(1 for _, d in rs if d.get("thigh_angle_deg") is not None)
        ea = _err(ok, "thigh_abduction_deg", "thigh_abduction_deg")
        es = _err(ok, "shank_deviation_deg", "shank_deviation_deg")
        cov = []
        for key, uk in (("thigh_abduction_deg", "thigh_abduction_uncertainty_deg"),
                        ("shank_deviation_deg", "shank_deviation_uncertainty_deg")):
            c = [abs(d[key] - m["truth_3d"][key]) <= d[uk] for m, d in ok
                 if d.get(key) is not None and d.get(uk) is not None]
            cov.append(f"{100 * np.mean(c):.0f}" if c else "n/a")
        ag, tot, opp = findings_stats(ok, ("tfl_itb", "sartorius"))
        pct = lambda a, b: f"{100 * a / b:5.1f}%" if b else "   n/a"
        flag = "  n<20" if n < MIN_GROUP else ""
        print(f"{place:16s} {n:4d} {pct(len(ok), n)} {pct(view_ok, n):>7s} {side_read:5d}  {_mbw(ea):>24s}  "
              f"{_mbw(es):>24s}  {cov[0]:>4s}/{cov[1]:<4s}  {ag:4d}/{tot:<4d}{pct(ag, tot)} {opp:3d}{flag}")
    print("(view ok = recognised as a front view; side# = side-view angles read off a front photo, must be 0;"
          " TFL+sart = TFL/IT band and sartorius on clear-cut cases)")


def report_pairs(items, results, setting):
    """Side + front of one pose measured together: the side angles corrected in 3-D against the
    side view alone (same poses), overall and at abduction >= 10 deg; all four findings."""
    by_pose: dict = {}
    for img, m in items:
        by_pose.setdefault(m.get("pose_id"), {})[view_of(m)] = (img, m)
    pairs = [p for p in by_pose.values() if "side" in p and "front" in p]
    if not pairs:
        return
    rows = []
    for p in pairs:
        img, m = p["side"]
        r = results[str(img)]
        rows.append((m, r[setting], r.get(f"{setting}|pair") or {}))
    found = sum(1 for _, _, q in rows if q.get("ok"))
    print(f"\n=== side+front pairs measured together: {len(rows)} poses, {found} measured "
          f"({100 * found / len(rows):.1f}%) ===")
    for label, sel in (("all", lambda m: True), ("abduction >= 10", lambda m: m["truth_3d"]["hip_abduction_deg"] >= 10),
                       ("abduction < 10", lambda m: m["truth_3d"]["hip_abduction_deg"] < 10)):
        both = [(m, d, q) for m, d, q in rows if sel(m) and d.get("ok") and q.get("ok")
                and q.get("thigh_angle_corrected_deg") is not None and d.get("thigh_angle_deg") is not None]
        if not both:
            print(f"{label:16s}: no pose with both the side-alone and the corrected reading")
            continue
        st = _err([(m, d) for m, d, _ in both], "thigh_angle_deg", "thigh_angle_deg")
        sk = _err([(m, d) for m, d, _ in both], "knee_flexion_deg", "knee_flexion_deg")
        ct = _err([(m, q) for m, _, q in both], "thigh_angle_corrected_deg", "thigh_angle_deg")
        ck = _err([(m, q) for m, _, q in both], "knee_flexion_corrected_deg", "knee_flexion_deg")
        flag = "  n<20" if len(both) < MIN_GROUP else ""
        print(f"{label:16s} n={len(both):3d}  side alone: thigh {_mbw(st)}  knee {_mbw(sk)}   "
              f"corrected in 3-D: thigh {_mbw(ct)}  knee {_mbw(ck)}{flag}")
    ok = [(m, q) for m, _, q in rows if q.get("ok")]
    for mus in (("iliopsoas", "rectus_femoris"), ("tfl_itb", "sartorius")):
        ag, tot, opp = findings_stats(ok, mus)
        print(f"findings {' + '.join(mus)} on clear-cut cases: agree {ag}/{tot} = {100 * ag / max(tot, 1):.1f}%, "
              f"opposite {opp}")


def report_view_check(rows):
    """Camera yaw estimated from the table's lines, and the oblique-view flag, by true |yaw|."""
    by: dict = {}
    for m, d in rows:
        if d.get("ok"):
            by.setdefault(_bin(abs(float(m["camera"]["yaw_deg"])), [0, 10, 15, 20]), []).append((m, d))
    parts = []
    for b, rs in sorted(by.items()):
        est = [(abs(float(m["camera"]["yaw_deg"])), d["view_yaw_deg"]) for m, d in rs if d.get("view_yaw_deg") is not None]
        err = f", error {np.mean([abs(abs(e) - t) for t, e in est]):.1f} mean" if est else ""
        flagged = sum("oblique_view" in d.get("flags", []) for _, d in rs)
        parts.append(f"|yaw| {b}: estimated {len(est)}/{len(rs)}{err}, flagged oblique {flagged}/{len(rs)}")
    print("view check: " + "; ".join(parts))


# --------------------------------------------------------------------- main
def render(folder: Path, args) -> float:
    """Render the set into `folder` (only images not there yet); returns seconds spent."""
    t0 = time.time()
    if args.conditions:
        if len(load_set(folder)) >= args.n:
            return 0.0
        cmd = ["render", "--out", str(folder), "--n", str(args.n), "--seed", str(args.seed),
               "--conditions", args.conditions, "--workers", str(args.workers)]
    else:
        cmd = [{"side": "mixed"}.get(args.kind, args.kind), "--out", str(folder), "--n", str(args.n),
               "--seed", str(args.seed), "--workers", str(args.workers), "--skip-existing"]
    print(f"rendering into {folder}: python -m tools.synth {' '.join(cmd)}", flush=True)
    subprocess.run([sys.executable, "-m", "tools.synth", *cmd], check=True, cwd=ROOT)
    return time.time() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=Path, help="measure an existing render set (no rendering)")
    ap.add_argument("--out", type=Path, help="render folder (default bench_out/accuracy_<kind>_s<seed>)")
    ap.add_argument("--n", type=int, default=240, help="photos (pairs: poses, 2 photos each)")
    ap.add_argument("--seed", type=int, default=10, help="render seed (tune on 10-19; 20-29 uncertainty checks; 100+ reserved for the headline run)")
    ap.add_argument("--kind", choices=("side", "front", "pairs"), default="side")
    ap.add_argument("--conditions", help="render the older balanced grid instead (tools.synth render --conditions)")
    ap.add_argument("--horizon", nargs="+", default=[DEFAULT_SETTING],
                    help="settings to compare: image, auto, an angle; add +noflip to skip the mirror-image check")
    ap.add_argument("--model", help="benchmark this MediaPipe .task model instead of the bundled one")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--dump", type=Path, help="write per-image records (truth + result) as JSON lines")
    args = ap.parse_args(argv)
    t0 = time.time()
    folder = args.images
    t_render = 0.0
    if folder is None:
        tag = f"grid_{args.conditions.replace(',', '-')}" if args.conditions else args.kind
        folder = args.out or ROOT / "bench_out" / f"accuracy_{tag}_s{args.seed}"
        t_render = render(folder, args)
        items = load_set(folder)
        if not args.conditions:  # exactly the requested set, even if the folder holds more
            from tools.synth.cli import make_mixed_specs
            names = {f"{s.name}.jpg" for s in make_mixed_specs(args.n, args.seed, args.kind)}
            items = [(img, m) for img, m in items if img.name in names]
    else:
        items = load_set(folder)
    if not items:
        print(f"no images with sidecars in {folder}", file=sys.stderr)
        return 2
    t1 = time.time()
    fronts = {m.get("pose_id"): img for img, m in items if view_of(m) == "front"}
    jobs = [(img, args.horizon, fronts.get(m.get("pose_id")) if view_of(m) == "side" else None) for img, m in items]
    try:  # fail fast here rather than in every pool worker
        from thomas_cv.vision.pose import make_estimator
        make_estimator(args.model, static=True).close()
    except Exception as exc:  # noqa: BLE001 - any failure to load the model ends the run
        print(f"cannot load the pose model: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    for model in [args.model]:
        with mp.get_context("spawn").Pool(args.workers, initializer=_init, initargs=(model,)) as pool:
            results = dict(pool.imap_unordered(_measure, jobs, chunksize=2))
        print(f"\n##### model: {model or 'bundled BlazePose'}; images from {folder}")
        if args.dump:
            with open(args.dump, "w") as fh:
                for img, meta in items:
                    fh.write(json.dumps({"meta": meta, "results": results[str(img)]}) + "\n")
        for h in args.horizon:
            side_rows = [(m, results[str(img)][h]) for img, m in items if view_of(m) == "side"]
            front_rows = [(m, results[str(img)][h]) for img, m in items if view_of(m) != "side"]
            if side_rows:
                report_side(side_rows, f"setting {h}")
            if front_rows:
                report_front(front_rows, f"setting {h}")
            report_pairs(items, results, h)
    print(f"\nrender {t_render:.0f} s, measure {time.time() - t1:.0f} s ({args.workers} workers), "
          f"total {time.time() - t0:.0f} s, {len(items)} images from {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
