"""Command line: python -m tools.synth {render,mixed,front,pairs,samples,clip,y4m,verify}."""
from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CONDITIONS = ("perpendicular", "yaw", "roll", "far_side", "small_subject", "helper")
CLASSES = ("normal", "short_iliopsoas", "short_rectus", "both_short")
YAWS = (10.0, -10.0, 20.0, -20.0)
ROLLS = (3.0, -3.0, 6.0, -6.0)


def sample_angles(rng, cls, clear=False):
    """Thigh angle / knee flexion inside a finding class (iliopsoas short iff thigh < 0,
    rectus femoris short iff knee flexion < 80).  `clear` keeps 4/6 deg from the cut-offs."""
    mt, mk = (4.0, 6.0) if clear else (0.5, 0.5)
    ilio_short = cls in ("short_iliopsoas", "both_short")
    rf_short = cls in ("short_rectus", "both_short")
    thigh = rng.uniform(-15.0, -mt) if ilio_short else rng.uniform(mt, 25.0)
    knee = rng.uniform(40.0, 80.0 - mk) if rf_short else rng.uniform(80.0 + mk, 110.0)
    return float(thigh), float(knee)


def make_specs(n, seed=0, conditions=("perpendicular",), clear=False, prefix="thomas"):
    from .scene import Spec

    conds = set(conditions)
    bad = conds - set(CONDITIONS)
    if bad:
        raise SystemExit(f"unknown condition(s) {sorted(bad)}; choose from {CONDITIONS}")
    # each listed condition is one "view" level; perpendicular = yaw 0 roll 0 near side
    views = []
    if "perpendicular" in conds or not conds:
        views.append({})
    if "yaw" in conds:
        views += [{"yaw_deg": y} for y in YAWS]
    if "roll" in conds:
        views += [{"roll_deg": r} for r in ROLLS]
    if "far_side" in conds:
        views.append({"far_side": True})
    if "small_subject" in conds:
        views.append({"small_subject": True, "orientation": "portrait"})
    if "helper" in conds:
        views.append({"helper": True})
    grid = list(itertools.product(("right", "left"), CLASSES, ("landscape", "portrait"), range(len(views))))
    rng = np.random.default_rng(seed)
    order = []
    while len(order) < n:
        block = list(grid)
        rng.shuffle(block)
        order += block
    specs = []
    for i, (side, cls, ori, vi) in enumerate(order[:n]):
        r = np.random.default_rng([seed, i])
        thigh, knee = sample_angles(r, cls, clear)
        abd = float(r.uniform(0, 6) if r.random() < 0.7 else r.uniform(6, 15))
        v = dict(views[vi])
        orientation = v.pop("orientation", ori)
        tag = "_".join(f"{k.replace('_deg', '')}{int(val) if not isinstance(val, bool) else ''}"
                       for k, val in v.items()) or "perp"
        specs.append(Spec(name=f"{prefix}_{i:04d}_{side[0]}_{cls}_{tag}", seed=int(seed * 100003 + i),
                          tested_side=side, thigh_angle_deg=round(thigh, 2), knee_flexion_deg=round(knee, 2),
                          hip_abduction_deg=round(abd, 2), hip_rotation_deg=round(float(r.uniform(-10, 10)), 2),
                          hugged_hip_flexion_deg=round(float(r.uniform(100, 130)), 2),
                          orientation=orientation, **v))
    return specs


# --------------------------------------------------------------------- mixed sets
#: ranges of the mixed ("harder yardstick") set: every condition drawn independently per image
MIXED = {
    "thigh_deg": (-20.0, 25.0),        # across the iliopsoas cut-off (0)
    "knee_deg": (40.0, 110.0),         # across the rectus femoris cut-off (80)
    "abduction_deg": (0.0, 20.0),
    "rotation_deg": (-20.0, 20.0),     # + = external
    "hugged_deg": (100.0, 130.0),
    "yaw_deg": (-25.0, 25.0),
    "roll_deg": (-6.0, 6.0),
    "elevation_deg": (0.0, 25.0),      # side view: camera above the hip, = downward pitch
    "front_yaw_deg": (-20.0, 20.0),
    "front_roll_deg": (-5.0, 5.0),
    "p_far_side": 0.25, "p_portrait": 0.4, "p_small": 0.2, "p_helper": 0.25,
}
#: phone cameras, 35 mm-equivalent focal length: (probability, low, high)
FOCALS = ((0.10, 13.0, 16.0), (0.75, 23.0, 28.0), (0.15, 48.0, 77.0))


def vfov_for(f35, orientation):
    """Vertical field of view (deg) of a pinhole camera with this 35 mm-equivalent focal length
    (by the diagonal, as EXIF FocalLengthIn35mmFilm) for a 4:3 landscape or portrait frame."""
    w, h = (4.0, 3.0) if orientation == "landscape" else (3.0, 4.0)
    diag = float(np.hypot(36.0, 24.0))
    f_rel = f35 / diag  # focal length / frame diagonal
    return float(2 * np.degrees(np.arctan((h / np.hypot(w, h)) / (2 * f_rel))))


def _draw_focal(r):
    u = r.random()
    acc = 0.0
    for p, lo, hi in FOCALS:
        acc += p
        if u <= acc:
            return float(r.uniform(lo, hi))
    return float(r.uniform(*FOCALS[-1][1:]))


def _draw_pose(r, base):
    from .shape import draw_body
    m = MIXED
    return dict(tested_side=str(r.choice(["right", "left"])),
                thigh_angle_deg=round(float(r.uniform(*m["thigh_deg"])), 2),
                knee_flexion_deg=round(float(r.uniform(*m["knee_deg"])), 2),
                hip_abduction_deg=round(float(r.uniform(*m["abduction_deg"])), 2),
                hip_rotation_deg=round(float(r.uniform(*m["rotation_deg"])), 2),
                hugged_hip_flexion_deg=round(float(r.uniform(*m["hugged_deg"])), 2),
                body=draw_body(r, base))


def _draw_side_camera(r):
    m = MIXED
    orientation = "portrait" if r.random() < m["p_portrait"] else "landscape"
    small = bool(r.random() < m["p_small"])
    fill = float(r.uniform(0.35, 0.5)) if small else (
        float(r.uniform(0.55, 0.8)) if orientation == "landscape" else float(r.uniform(0.72, 0.9)))
    return dict(far_side=bool(r.random() < m["p_far_side"]),
                yaw_deg=round(float(r.uniform(*m["yaw_deg"])), 2),
                roll_deg=round(float(r.uniform(*m["roll_deg"])), 2),
                elevation_deg=round(float(r.uniform(*m["elevation_deg"])), 2),
                orientation=orientation, vfov_deg=round(vfov_for(_draw_focal(r), orientation), 3),
                fill=round(fill, 3), small_subject=small, helper=bool(r.random() < m["p_helper"]))


def _draw_front_camera(r, view=None):
    m = MIXED
    orientation = "portrait" if r.random() < m["p_portrait"] else "landscape"
    view = view or str(r.choice(["foot_end", "above"]))
    return dict(view=view, yaw_deg=round(float(r.uniform(*m["front_yaw_deg"])), 2),
                roll_deg=round(float(r.uniform(*m["front_roll_deg"])), 2), orientation=orientation,
                vfov_deg=round(vfov_for(_draw_focal(r), orientation), 3),
                helper=bool(r.random() < m["p_helper"] * 0.8))


def make_mixed_specs(n, seed=10, kind="side", prefix="thomas"):
    """`n` poses with every condition drawn at random together (not one at a time).

    kind "side": one side-view image per pose; "front": one front view per pose (foot end or
    above, alternating); "pairs": a side and a front image of each pose (2n images, one pose_id).
    Everything is a function of (seed, index): reproducible, and a prefix of a larger set."""
    from .body import load_body
    from .scene import Spec

    if kind not in ("side", "front", "pairs"):
        raise ValueError(f"unknown kind {kind!r}")
    base = load_body()
    specs = []
    for i in range(n):
        r = np.random.default_rng([seed, i, 13])
        pose = _draw_pose(r, base)
        rc = np.random.default_rng([seed, i, 17])
        side_cam = _draw_side_camera(rc)
        front_cam = _draw_front_camera(np.random.default_rng([seed, i, 19]),
                                       view=("foot_end", "above")[i % 2])
        pid = f"{prefix}_{seed}_{i:04d}"
        sd = pose["tested_side"][0]
        common = dict(seed=int(seed * 100003 + i), pose_id=pid, **pose)
        if kind in ("side", "pairs"):
            specs.append(Spec(name=f"{pid}_{sd}_side" if kind == "pairs" else f"{pid}_{sd}", **common, **side_cam))
        if kind in ("front", "pairs"):
            specs.append(Spec(name=f"{pid}_{sd}_front", **common, **front_cam))
    return specs


# --------------------------------------------------------------------- workers
_R = None


def _init_worker():
    global _R
    from .scene import Renderer
    _R = Renderer()


def _render_one(args):
    spec, out = args
    from .scene import focal_35mm, save_jpeg
    t, c = time.time(), time.process_time()
    img, side = _R.render(spec)
    q = spec.jpeg_quality or int(np.random.default_rng(spec.seed).integers(82, 94))
    cam = side["camera"]
    save_jpeg(Path(out) / f"{spec.name}.jpg", img, q, f35=focal_35mm(side["width"], side["height"], cam["vfov_deg"]))
    side["render"]["jpeg_quality"] = q
    (Path(out) / f"{spec.name}.json").write_text(json.dumps(side, indent=1))
    return spec.name, time.time() - t, time.process_time() - c


def render_specs(specs, out, workers=2, quiet=False):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    jobs = [(s, str(out)) for s in specs]
    if workers <= 1:
        _init_worker()
        it = map(_render_one, jobs)
        results = []
        for r in it:
            results.append(r)
            if not quiet:
                print(f"{r[0]}  {r[1]:.2f}s", flush=True)
    else:
        ctx = mp.get_context("spawn")
        with ctx.Pool(workers, initializer=_init_worker) as pool:
            results = []
            for r in pool.imap_unordered(_render_one, jobs):
                results.append(r)
                if not quiet:
                    print(f"{r[0]}  {r[1]:.2f}s", flush=True)
    wall = time.time() - t0
    cpu = sum(r[2] for r in results) / max(1, len(results))
    print(f"rendered {len(results)} images in {wall:.1f}s "
          f"({wall / max(1, len(results)):.2f}s/image wall, {workers} worker(s); "
          f"{cpu:.2f} CPU-s/image in the workers, so about {cpu / max(1, workers):.2f}s/image wall on {workers} idle cores)")
    return results


# --------------------------------------------------------------------- samples
SAMPLES = [
    # name, side, thigh, knee, extra
    ("thomas_r_normal_01", "right", 10.0, 92.0, {}),
    ("thomas_l_normal_01", "left", 12.0, 95.0, {}),
    ("thomas_r_normal_02", "right", 6.0, 100.0, {"orientation": "portrait"}),
    ("thomas_l_normal_02", "left", 18.0, 88.0, {"orientation": "portrait"}),
    ("thomas_r_short_iliopsoas_01", "right", -10.0, 92.0, {}),
    ("thomas_l_short_iliopsoas_01", "left", -8.0, 98.0, {}),
    ("thomas_r_short_iliopsoas_02", "right", -6.0, 104.0, {"orientation": "portrait"}),
    ("thomas_r_short_rectus_01", "right", 9.0, 60.0, {}),
    ("thomas_l_short_rectus_01", "left", 8.0, 55.0, {}),
    ("thomas_l_short_rectus_02", "left", 14.0, 66.0, {"orientation": "portrait"}),
    ("thomas_r_both_short_01", "right", -12.0, 52.0, {}),
    ("thomas_l_both_short_01", "left", -9.0, 62.0, {}),
    ("thomas_l_both_short_02", "left", -6.0, 48.0, {"orientation": "portrait"}),
    ("thomas_r_normal_abducted_01", "right", 8.0, 96.0, {"hip_abduction_deg": 12.0, "hip_rotation_deg": 8.0}),
    ("thomas_r_normal_yaw20_marked", "right", 10.0, 90.0, {"yaw_deg": 20.0}),
    ("thomas_l_short_rectus_roll6_marked", "left", 9.0, 62.0, {"roll_deg": 6.0}),
]


def sample_specs(seed=7):
    from .scene import Spec
    specs = []
    for i, (name, side, thigh, knee, extra) in enumerate(SAMPLES):
        e = dict(extra)
        e.setdefault("hip_abduction_deg", 3.0)
        e.setdefault("hip_rotation_deg", 0.0)
        specs.append(Spec(name=name, seed=seed * 1000 + i, tested_side=side, thigh_angle_deg=thigh,
                          knee_flexion_deg=knee, hugged_hip_flexion_deg=110.0 + 2 * (i % 8),
                          jpeg_quality=88, **e))
    return specs


FRONT_SAMPLES = [
    # name, side, thigh, knee, abduction, rotation (+ = external), body (gender, weight, stature m)
    ("thomas_r_front_normal", "right", 8.0, 92.0, 3.0, 0.0, (0.15, 0.45, 1.65)),
    ("thomas_l_front_tfl_short", "left", 10.0, 90.0, 16.0, -12.0, (0.85, 0.75, 1.80)),
    ("thomas_r_front_sartorius", "right", 6.0, 88.0, 17.0, 16.0, (0.9, 0.35, 1.76)),
]


def front_sample_specs(seed=8):
    """Side + front (foot end) + above photos of three poses: NAME_side / NAME_front pair by the
    batch rule; NAME_above is the other front place."""
    from .body import load_body
    from .scene import Spec
    from .shape import BodyParams, solve_height
    base = load_body()
    specs = []
    for i, (name, side, thigh, knee, abd, rotation, (g, w, st)) in enumerate(FRONT_SAMPLES):
        body = solve_height(base, BodyParams(gender=g, weight=w, age_years=35.0), st)
        common = dict(seed=seed * 1000 + i, tested_side=side, thigh_angle_deg=thigh, knee_flexion_deg=knee,
                      hip_abduction_deg=abd, hip_rotation_deg=rotation, hugged_hip_flexion_deg=115.0,
                      jpeg_quality=88, body=body, pose_id=name)
        specs += [Spec(name=f"{name}_side", **common),
                  Spec(name=f"{name}_front", view="foot_end", yaw_deg=4.0, elevation_deg=6.0, **common),
                  Spec(name=f"{name}_above", view="above", yaw_deg=-5.0, elevation_deg=82.0, extra={"above_height_m": 1.1}, **common)]
    return specs


# --------------------------------------------------------------------- main
def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.synth", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render", help="render a balanced set of images + JSON sidecars")
    r.add_argument("--out", required=True)
    r.add_argument("--n", type=int, default=240)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--conditions", default="perpendicular",
                   help=f"comma list of {','.join(CONDITIONS)}, or 'all'")
    r.add_argument("--clear", action="store_true", help="keep angles 4/6 deg away from the cut-offs")
    r.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    r.add_argument("--prefix", default="thomas")
    s = sub.add_parser("samples", help="regenerate sample_images/ (+ the clip)")
    s.add_argument("--out", default=str(REPO / "sample_images"))
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    s.add_argument("--no-clip", action="store_true")
    fs = sub.add_parser("front-samples", help="regenerate sample_images/front/ (side + front + above of 3 poses)")
    fs.add_argument("--out", default=str(REPO / "sample_images" / "front"))
    fs.add_argument("--seed", type=int, default=8)
    fs.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    c = sub.add_parser("clip", help="render the settle clip (mp4 + per-frame JSON)")
    c.add_argument("--out", default=str(REPO / "sample_images" / "clip" / "thomas_settle.mp4"))
    c.add_argument("--seed", type=int, default=11)
    y = sub.add_parser("y4m", help="convert a video to YUV4MPEG2 (C420) for Chromium's fake camera")
    y.add_argument("inp")
    y.add_argument("out")
    e = sub.add_parser("exif", help="add the camera's EXIF (35 mm focal length) to renders made without it")
    e.add_argument("folder")
    v = sub.add_parser("verify", help="run BlazePose on a folder of renders, report detection/keypoint error")
    v.add_argument("folder")
    v.add_argument("--json", help="write per-image results here")
    for nm, hlp in (("mixed", "side views, every condition mixed at random (the harder yardstick)"),
                    ("front", "front views (foot end / above), conditions mixed"),
                    ("pairs", "side + front image of each pose (same pose_id, shared truth)")):
        x = sub.add_parser(nm, help=hlp)
        x.add_argument("--out", required=True)
        x.add_argument("--n", type=int, default=240, help="poses (pairs: 2n images)")
        x.add_argument("--seed", type=int, default=10)
        x.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        x.add_argument("--prefix", default="thomas")
        x.add_argument("--skip-existing", action="store_true", help="keep images already rendered in --out")
    a = ap.parse_args(argv)

    if a.cmd in ("mixed", "front", "pairs"):
        kind = {"mixed": "side"}.get(a.cmd, a.cmd)
        specs = make_mixed_specs(a.n, a.seed, kind, a.prefix)
        if a.skip_existing:
            specs = [s for s in specs if not (Path(a.out) / f"{s.name}.json").exists()]
        render_specs(specs, a.out, a.workers)
    elif a.cmd == "render":
        conds = CONDITIONS if a.conditions == "all" else [c.strip() for c in a.conditions.split(",") if c.strip()]
        specs = make_specs(a.n, a.seed, conds, a.clear, a.prefix)
        render_specs(specs, a.out, a.workers)
    elif a.cmd == "samples":
        out = Path(a.out)
        for f in list(out.glob("thomas_*.jpg")) + list(out.glob("thomas_*.json")):
            f.unlink()
        render_specs(sample_specs(a.seed), out, a.workers)
        if not a.no_clip:
            from .video import render_clip
            render_clip(out / "clip" / "thomas_settle.mp4", seed=11)
    elif a.cmd == "front-samples":
        render_specs(front_sample_specs(a.seed), a.out, a.workers)
    elif a.cmd == "clip":
        from .video import render_clip
        render_clip(Path(a.out), seed=a.seed)
    elif a.cmd == "y4m":
        from .video import to_y4m
        n = to_y4m(a.inp, a.out)
        print(f"wrote {n} frames to {a.out}")
    elif a.cmd == "exif":
        from .scene import focal_35mm, with_exif
        n = 0
        for sc in sorted(Path(a.folder).glob("*.json")):
            jpg = sc.with_suffix(".jpg")
            meta = json.loads(sc.read_text())
            if not jpg.exists() or "camera" not in meta:
                continue
            data = jpg.read_bytes()
            if b"Exif\x00\x00" in data[:64]:
                continue  # already has it
            jpg.write_bytes(with_exif(data, focal_35mm(meta["width"], meta["height"], meta["camera"]["vfov_deg"])))
            n += 1
        print(f"added EXIF to {n} images in {a.folder}")
    elif a.cmd == "verify":
        from .verify import check_dir
        summary, rows = check_dir(a.folder, verbose=True)
        print(json.dumps(summary, indent=1))
        if a.json:
            Path(a.json).write_text(json.dumps({"summary": summary, "images": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
