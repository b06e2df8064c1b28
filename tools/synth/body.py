"""MakeHuman hm08 base mesh + default rig: loading, forward kinematics, skinning.

Coordinates: the mesh's own frame converted to metres: X = the person's LEFT,
Y = up (standing), Z = anterior (the face looks towards +Z).  Everything in numpy.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".cache" / "synth"
OBJ_SCALE = 0.1  # base.obj is in decimetres


def body_model_dir() -> Path:
    env = os.environ.get("THOMAS_CV_BODY_MODEL")
    if env:
        return Path(env)
    return (REPO_ROOT / ".." / "shared" / "body_model").resolve()


def _parse_obj(path: Path):
    verts = []
    body_faces = []
    groups: dict[str, set] = {}
    group = None
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("v "):
                p = line.split()
                verts.append((float(p[1]), float(p[2]), float(p[3])))
            elif line.startswith("g "):
                group = line[2:].strip()
            elif line.startswith("f "):
                idx = [int(t.split("/")[0]) - 1 for t in line.split()[1:]]
                if group == "body":
                    body_faces.append(idx if len(idx) == 4 else idx + [idx[-1]])
                elif group is not None and group.startswith("joint-"):
                    groups.setdefault(group, set()).update(idx)
    v = np.asarray(verts, dtype=np.float64) * OBJ_SCALE
    quads = np.asarray(body_faces, dtype=np.int64)
    cubes = {g: v[sorted(ix)].mean(axis=0) for g, ix in groups.items()}
    return v, quads, cubes


@dataclass
class Body:
    verts: np.ndarray          # (N,3) rest vertices, metres
    faces: np.ndarray          # (F,3) triangles of group `body`
    bone_names: list           # topologically sorted (parents first)
    parents: np.ndarray        # (B,) parent index or -1
    heads: np.ndarray          # (B,3) rest bone heads
    tails: np.ndarray          # (B,3) rest bone tails
    rolls: np.ndarray          # (B,) bone roll (radians, Blender convention; informational)
    weights: np.ndarray        # (N,B) float32 skin weights, rows normalised (0 rows for helpers)

    def index(self, name: str) -> int:
        return self._idx[name]

    def __post_init__(self):
        self._idx = {n: i for i, n in enumerate(self.bone_names)}

    @property
    def used_vertices(self) -> np.ndarray:
        return np.unique(self.faces)


def _locate(spec, v, cubes):
    s = spec["strategy"]
    if s == "CUBE":
        return cubes[spec["cube_name"]]
    if s == "VERTEX":
        return v[spec["vertex_index"]]
    if s == "MEAN":
        return v[spec["vertex_indices"]].mean(axis=0)
    raise ValueError(f"unknown strategy {s}")


def _build(model_dir: Path) -> dict:
    v, quads, cubes = _parse_obj(model_dir / "base.obj")
    rig = json.loads((model_dir / "rig.default.json").read_text())
    wj = json.loads((model_dir / "weights.default.json").read_text())["weights"]
    # topological order
    order, seen = [], set()

    def visit(n):
        if n in seen:
            return
        p = rig[n].get("parent")
        if p:
            visit(p)
        seen.add(n)
        order.append(n)

    for n in sorted(rig):
        visit(n)
    idx = {n: i for i, n in enumerate(order)}
    parents = np.array([idx[rig[n]["parent"]] if rig[n].get("parent") else -1 for n in order])
    heads = np.array([_locate(rig[n]["head"], v, cubes) for n in order])
    tails = np.array([_locate(rig[n]["tail"], v, cubes) for n in order])
    rolls = np.array([float(rig[n].get("roll", 0.0)) for n in order])
    W = np.zeros((len(v), len(order)), dtype=np.float32)
    for bone, lst in wj.items():
        if bone not in idx or not lst:
            continue
        a = np.asarray(lst, dtype=np.float64)
        W[a[:, 0].astype(int), idx[bone]] = a[:, 1]
    s = W.sum(axis=1, keepdims=True)
    W = np.where(s > 0, W / np.maximum(s, 1e-12), 0).astype(np.float32)
    tris = np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])
    tris = tris[(tris[:, 0] != tris[:, 1]) & (tris[:, 1] != tris[:, 2]) & (tris[:, 0] != tris[:, 2])]
    return dict(verts=v, faces=tris, bone_names=np.array(order), parents=parents,
                heads=heads, tails=tails, rolls=rolls, weights=W)


_CACHE: dict = {}


def load_body(model_dir: str | Path | None = None, use_cache: bool = True) -> Body:
    model_dir = Path(model_dir) if model_dir else body_model_dir()
    key = str(model_dir)
    if key in _CACHE:
        return _CACHE[key]
    if not (model_dir / "base.obj").exists():
        raise FileNotFoundError(f"body model not found in {model_dir} (set THOMAS_CV_BODY_MODEL)")
    h = hashlib.sha1()
    for f in ("base.obj", "rig.default.json", "weights.default.json"):
        st = (model_dir / f).stat()
        h.update(f"{f}:{st.st_size}:{int(st.st_mtime)}".encode())
    cache = CACHE_DIR / f"body_{h.hexdigest()[:12]}.npz"
    d = None
    if use_cache and cache.exists():
        try:
            z = np.load(cache, allow_pickle=False)
            d = {k: z[k] for k in z.files}
        except Exception:
            d = None
    if d is None:
        d = _build(model_dir)
        if use_cache:
            try:
                CACHE_DIR.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(f".{os.getpid()}.tmp.npz")
                np.savez_compressed(tmp, **d)
                os.replace(tmp, cache)
            except OSError:
                pass
    body = Body(verts=d["verts"], faces=d["faces"], bone_names=[str(n) for n in d["bone_names"]],
                parents=d["parents"], heads=d["heads"], tails=d["tails"], rolls=d["rolls"],
                weights=d["weights"])
    _CACHE[key] = body
    return body


# --------------------------------------------------------------------- rotations
def rot(axis, deg: float) -> np.ndarray:
    """Right-handed rotation matrix about `axis` by `deg` degrees."""
    a = np.asarray(axis, dtype=np.float64)
    a = a / np.linalg.norm(a)
    t = np.radians(deg)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + np.sin(t) * K + (1 - np.cos(t)) * K @ K


def align(u, v) -> np.ndarray:
    """Smallest rotation taking direction u onto direction v."""
    u = np.asarray(u, float) / np.linalg.norm(u)
    v = np.asarray(v, float) / np.linalg.norm(v)
    c = float(np.clip(u @ v, -1, 1))
    ax = np.cross(u, v)
    s = np.linalg.norm(ax)
    if s < 1e-12:
        if c > 0:
            return np.eye(3)
        perp = np.cross(u, [1, 0, 0]) if abs(u[0]) < 0.9 else np.cross(u, [0, 1, 0])
        return rot(perp, 180.0)
    return rot(ax / s, np.degrees(np.arctan2(s, c)))


# --------------------------------------------------------------------- kinematics
def forward_kinematics(body: Body, local: dict | None = None, root: np.ndarray | None = None):
    """Hierarchical FK.

    `local[bone]` is a 3x3 rotation about the bone's head, expressed in the rest
    (model) frame; it is applied on top of the parent's transform:
        G_b = G_parent @ T(head_b) @ R_b @ T(-head_b)
    `root` is an optional 4x4 world placement applied to everything.
    Returns (G (B,4,4) skinning transforms, posed heads (B,3), posed tails (B,3)).
    """
    local = local or {}
    B = len(body.bone_names)
    G = np.empty((B, 4, 4))
    R0 = np.eye(4) if root is None else np.asarray(root, float)
    for i, name in enumerate(body.bone_names):
        L = np.eye(4)
        R = local.get(name)
        if R is not None:
            h = body.heads[i]
            L[:3, :3] = R
            L[:3, 3] = h - R @ h
        p = body.parents[i]
        G[i] = (G[p] if p >= 0 else R0) @ L
    hh = np.einsum("bij,bj->bi", G[:, :3, :3], body.heads) + G[:, :3, 3]
    tt = np.einsum("bij,bj->bi", G[:, :3, :3], body.tails) + G[:, :3, 3]
    return G, hh, tt


def skin(body: Body, G: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
    """Linear-blend skinning of the rest vertices (optionally a subset `idx`) with G (B,4,4)."""
    v = body.verts if idx is None else body.verts[idx]
    W = body.weights if idx is None else body.weights[idx]
    M = W @ G[:, :3, :].reshape(len(G), 12).astype(np.float32)  # (N,12)
    M = M.reshape(-1, 3, 4)
    out = np.einsum("nij,nj->ni", M[:, :, :3], v.astype(np.float32)) + M[:, :, 3]
    return out.astype(np.float64)
