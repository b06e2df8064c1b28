"""Thomas-test posing of the MakeHuman rig and ground-truth angles.

World frame (metres): X along the table's long axis, +X towards the head end;
Y up; Z across the table, +Z = the person's LEFT (the body lies supine).
The tested leg's sagittal plane is the X-Y plane.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .body import Body, align, forward_kinematics, rot, skin

SIDES = {"left": ".L", "right": ".R"}
TRUNK_BONES = ("root", "spine05", "spine04", "spine03", "spine02", "spine01",
               "pelvis.L", "pelvis.R", "breast.L", "breast.R", "clavicle.L", "clavicle.R",
               "shoulder01.L", "shoulder01.R")
HEAD_BONES = ("head", "neck01", "neck02", "neck03", "jaw")

# body frame -> world: body +Y (up) -> +X (head end), body +Z (anterior) -> +Y (up),
# body +X (left) -> +Z
R_PLACE = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])


@dataclass
class PoseParams:
    tested_side: str = "right"
    thigh_angle_deg: float = 10.0       # requested, world sagittal plane
    knee_flexion_deg: float = 90.0
    hip_abduction_deg: float = 0.0      # thigh out of the sagittal plane, + = away from midline
    hip_rotation_deg: float = 0.0       # axial rotation of the hip, + = external
    hugged_hip_flexion_deg: float = 115.0
    hugged_knee_flexion_deg: float = 120.0
    lumbar_flexion_deg: float = 6.0     # posterior pelvic tilt relative to the trunk
    head_neck_deg: float | None = None  # None: solve so the head rests on the table
    foot_plantarflexion_deg: float = 25.0  # relaxed feet


def leg_bones(side):
    s = SIDES[side]
    return f"upperleg01{s}", f"lowerleg01{s}", f"foot{s}"


def other(side):
    return "left" if side == "right" else "right"


@dataclass
class Posed:
    params: PoseParams
    local: dict
    root: np.ndarray                    # 4x4 body->world
    G: np.ndarray
    heads: np.ndarray                   # posed bone heads (world)
    body: Body = field(repr=False)

    def joint(self, bone):
        return self.heads[self.body.index(bone)]

    def joints(self):
        j = {}
        for side, s in SIDES.items():
            j[f"{side}_shoulder"] = self.joint(f"upperarm01{s}")
            j[f"{side}_hip"] = self.joint(f"upperleg01{s}")
            j[f"{side}_knee"] = self.joint(f"lowerleg01{s}")
            j[f"{side}_ankle"] = self.joint(f"foot{s}")
            j[f"{side}_wrist"] = self.joint(f"wrist{s}")
            j[f"{side}_elbow"] = self.joint(f"lowerarm01{s}")
        j["head"] = self.joint("head")
        return j

    def vertices(self):
        return skin(self.body, self.G)

    def foot_points(self):
        """BlazePose-style foot landmarks on the skin: ``<side>_heel`` (the back of the heel) and
        ``<side>_foot_index`` (the tip of the second toe), world coordinates."""
        out = {}
        for side, s in SIDES.items():
            hv = heel_vertex(self.body, side)
            out[f"{side}_heel"] = skin(self.body, self.G, np.array([hv]))[0]
            i = self.body.index(f"toe2-3{s}")
            out[f"{side}_foot_index"] = self.G[i, :3, :3] @ self.body.tails[i] + self.G[i, :3, 3]
        return out

    @property
    def posterior(self):
        return self.root[:3, :3] @ np.array([0.0, 0.0, -1.0])


def heel_vertex(body: Body, side) -> int:
    """Index of the most posterior skin vertex of the heel (rest pose, sole region)."""
    s = SIDES[side]
    m = body.weights[:, body.index(f"foot{s}")] > 0.5
    u = np.zeros(len(m), bool)
    u[body.used_vertices] = True
    idx = np.flatnonzero(m & u)
    v = body.verts[idx]
    low = v[:, 1] < v[:, 1].min() + 0.03
    return int(idx[low][np.argmin(v[low, 2])])


# --------------------------------------------------------------------- angle maths
def _ang(a, b):
    return float(np.degrees(np.arctan2(a, b)))


def signed_to_line(vec, line_dir, side_dir):
    """Angle of `vec` from `line_dir` (2-D or projected), positive towards `side_dir`."""
    d = line_dir / np.linalg.norm(line_dir)
    perp = side_dir - (side_dir @ d) * d
    perp = perp / np.linalg.norm(perp)
    return _ang(vec @ perp, vec @ d)


def inner_angle(a, b, c):
    u, v = a - b, c - b
    cosang = np.clip(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)), -1, 1)
    return float(np.degrees(np.arccos(cosang)))


def angles_2d(J, foot_dir, posterior, tested):
    """The five planar angles from 2-D points (any frame with y UP) .

    J: dict name->2-vector; foot_dir: unit 2-vector pointing from head to feet along the
    horizontal reference; posterior: 2-vector pointing to the back of the body.
    """
    t, h = tested, other(tested)
    hip, knee, ank = J[f"{t}_hip"], J[f"{t}_knee"], J[f"{t}_ankle"]
    th = knee - hip
    up = np.array([-foot_dir[1], foot_dir[0]])
    if up @ (-posterior) < 0:
        up = -up
    thigh = _ang(-(th @ up), th @ foot_dir)
    inner = inner_angle(hip, knee, ank)
    sho_c = (J["left_shoulder"] + J["right_shoulder"]) / 2
    hip_c = (J["left_hip"] + J["right_hip"]) / 2
    trunk = hip_c - sho_c
    ext = signed_to_line(th, trunk, posterior)
    hug = signed_to_line(J[f"{h}_knee"] - J[f"{h}_hip"], trunk, -posterior)
    return {"thigh_angle_deg": thigh, "knee_flexion_deg": 180.0 - inner,
            "knee_inner_angle_deg": inner, "hip_extension_to_trunk_deg": ext,
            "hugged_hip_flexion_deg": hug}


def truth_3d(joints, tested, posterior):
    """Angles in the world sagittal (X-Y) plane + abduction out of it."""
    P = {k: np.asarray(v)[:2] for k, v in joints.items()}
    out = angles_2d(P, np.array([-1.0, 0.0]), np.asarray(posterior)[:2], tested)
    th = joints[f"{tested}_knee"] - joints[f"{tested}_hip"]
    lat = 1.0 if tested == "left" else -1.0
    out["hip_abduction_deg"] = float(np.degrees(np.arcsin(lat * th[2] / np.linalg.norm(th))))
    return out


# --------------------------------------------------------------------- posing
def _neutral(body: Body, side):
    """Rotations that make a leg straight and vertical in the rest frame."""
    hip_b, knee_b, foot_b = leg_bones(side)
    hip, knee, ank = (body.heads[body.index(b)] for b in (hip_b, knee_b, foot_b))
    n_hip = align(knee - hip, [0.0, -1.0, 0.0])
    n_knee = align(ank - knee, knee - hip)
    return n_hip, n_knee


def leg_local(body, side, flex, abd, rotation, knee):
    """Local rotations for hip flexion (+ = thigh forward), abduction (+ = out),
    external rotation (+) and knee flexion (+ = heel to buttock), degrees."""
    hip_b, knee_b, _ = leg_bones(side)
    lat = 1.0 if side == "left" else -1.0
    n_hip, n_knee = _neutral(body, side)
    R_hip = rot([1, 0, 0], -flex) @ rot([0, 0, 1], lat * abd) @ rot([0, 1, 0], lat * rotation) @ n_hip
    knee_axis = n_hip.T @ np.array([1.0, 0.0, 0.0])
    R_knee = rot(knee_axis, knee) @ n_knee
    return {hip_b: R_hip, knee_b: R_knee}


def _solve(fun, x0, target, iters=30, tol=1e-9):
    x = np.asarray(x0, float)
    target = np.asarray(target, float)
    for _ in range(iters):
        f = fun(x) - target
        if np.max(np.abs(f)) < tol:
            break
        J = np.empty((len(f), len(x)))
        for i in range(len(x)):
            dx = np.zeros_like(x)
            dx[i] = 1e-4
            J[:, i] = (fun(x + dx) - target - f) / 1e-4
        x = x - np.linalg.lstsq(J, f, rcond=None)[0]
    return x


def _bones_mask(body, bones):
    """Used vertices weighted more than 0.6 to ``bones`` in total."""
    idx = [body.index(b) for b in bones if b in body.bone_names]
    m = body.weights[:, idx].sum(axis=1) > 0.6
    u = np.zeros(len(m), bool)
    u[body.used_vertices] = True
    return m & u


def _trunk_mask(body):
    return _bones_mask(body, TRUNK_BONES)


def _head_mask(body):
    return _bones_mask(body, HEAD_BONES)


def _arm_ik(body, local, root, side, target, pole):
    """Two-bone IK: put the wrist of `side` at `target` (world), elbow towards `pole`."""
    s = SIDES[side]
    ua, la, wr = f"upperarm01{s}", f"lowerarm01{s}", f"wrist{s}"
    _, H, _ = forward_kinematics(body, local, root)
    S, E0, W0 = H[body.index(ua)], H[body.index(la)], H[body.index(wr)]
    a, b = np.linalg.norm(E0 - S), np.linalg.norm(W0 - E0)
    d = target - S
    L = np.clip(np.linalg.norm(d), abs(a - b) + 1e-3, a + b - 1e-3)
    dh = d / np.linalg.norm(d)
    cos_a = (a * a + L * L - b * b) / (2 * a * L)
    pv = pole - S
    pv = pv - (pv @ dh) * dh
    pv /= np.linalg.norm(pv)
    E = S + a * (cos_a * dh + np.sqrt(max(0.0, 1 - cos_a ** 2)) * pv)
    Wt = S + L * dh
    # upper arm: rotate (rest frame) so that S->E points right; local rotations are in the
    # rest frame composed under the parent transforms, so work with world-of-parent dirs
    Gp = forward_kinematics(body, local, root)[0][body.parents[body.index(ua)]][:3, :3]
    rest_u = body.heads[body.index(la)] - body.heads[body.index(ua)]
    local[ua] = align(rest_u, Gp.T @ (E - S))
    G = forward_kinematics(body, local, root)[0]
    Gp2 = G[body.parents[body.index(la)]][:3, :3]
    rest_l = body.heads[body.index(wr)] - body.heads[body.index(la)]
    local[la] = align(rest_l, Gp2.T @ (Wt - E))
    return local


def pose_thomas(body: Body, p: PoseParams) -> Posed:
    t, h = p.tested_side, other(p.tested_side)
    local = {}
    lum = p.lumbar_flexion_deg
    local["spine05"] = rot([1, 0, 0], lum * 0.6)
    local["spine04"] = rot([1, 0, 0], lum * 0.4)
    for fb in ("foot.L", "foot.R"):
        local[fb] = rot([1, 0, 0], p.foot_plantarflexion_deg)
    # rigid placement: pitch the body so that pelvis and upper back both touch the table
    G, _, _ = forward_kinematics(body, local)
    tm = _trunk_mask(body)
    tm_idx = np.flatnonzero(tm)
    V = skin(body, G, tm_idx) @ R_PLACE.T
    pitch = _support_pitch(V[:, :2])
    Rw = rot([0, 0, 1], pitch) @ R_PLACE
    root = np.eye(4)
    root[:3, :3] = Rw
    post = Rw @ np.array([0.0, 0.0, -1.0])

    # legs at neutral first so the trunk line is defined
    local.update(leg_local(body, t, 0, 0, 0, 0))
    local.update(leg_local(body, h, 0, 0, 0, 0))

    def tested_fun(x):
        loc = dict(local)
        loc.update(leg_local(body, t, x[0], x[1], p.hip_rotation_deg, x[2]))
        _, H, _ = forward_kinematics(body, loc, root)
        tr = truth_3d(_joint_dict(body, H), t, post)
        return np.array([tr["thigh_angle_deg"], tr["hip_abduction_deg"], tr["knee_flexion_deg"]])

    x = _solve(tested_fun, [-p.thigh_angle_deg, p.hip_abduction_deg, p.knee_flexion_deg],
               [p.thigh_angle_deg, p.hip_abduction_deg, p.knee_flexion_deg])
    local.update(leg_local(body, t, x[0], x[1], p.hip_rotation_deg, x[2]))

    def hug_fun(y):
        loc = dict(local)
        loc.update(leg_local(body, h, y[0], 4.0, 0.0, p.hugged_knee_flexion_deg))
        _, H, _ = forward_kinematics(body, loc, root)
        return np.array([truth_3d(_joint_dict(body, H), t, post)["hugged_hip_flexion_deg"]])

    y = _solve(hug_fun, [p.hugged_hip_flexion_deg], [p.hugged_hip_flexion_deg])
    local.update(leg_local(body, h, y[0], 4.0, 0.0, p.hugged_knee_flexion_deg))

    # arms around the hugged knee: wrists just below the knee on either side of the shin
    _, H, _ = forward_kinematics(body, local, root)
    J = _joint_dict(body, H)
    knee, ank = J[f"{h}_knee"], J[f"{h}_ankle"]
    shin = (ank - knee) / np.linalg.norm(ank - knee)
    up = np.array([0.0, 1.0, 0.0])
    zl = np.array([0.0, 0.0, 1.0])
    for side in ("left", "right"):
        sz = 1.0 if side == "left" else -1.0
        tgt = knee + 0.09 * shin + 0.055 * sz * zl + 0.02 * up
        pole = J[f"{side}_shoulder"] + sz * 0.5 * zl - 0.15 * up + 0.1 * np.array([-1.0, 0, 0])
        local = _arm_ik(body, local, root, side, tgt, pole)

    # head resting on the table: choose neck pitch so the head just touches the trunk's plane
    G, H, _ = forward_kinematics(body, local, root)
    table_y = skin(body, G, tm_idx)[:, 1].min()
    hm = np.flatnonzero(_head_mask(body))
    if p.head_neck_deg is None:
        lo, hi = -25.0, 35.0
        for _ in range(14):
            mid = (lo + hi) / 2
            loc = dict(local)
            loc["neck01"] = rot([1, 0, 0], mid)
            Gh = forward_kinematics(body, loc, root)[0]
            ymin = skin(body, Gh, hm)[:, 1].min()
            if ymin < table_y + 0.003:
                lo = mid  # flex more (lifts the head)
            else:
                hi = mid
        neck = (lo + hi) / 2
    else:
        neck = p.head_neck_deg
    local["neck01"] = rot([1, 0, 0], neck)
    G, H, _ = forward_kinematics(body, local, root)
    return Posed(params=p, local=local, root=root, G=G, heads=H, body=body)


def _support_pitch(P):
    """Pitch (deg, about +Z) that makes the lower support line of the trunk horizontal."""
    from math import atan2, degrees

    x, y = P[:, 0], P[:, 1]
    mid = (x.min() + x.max()) / 2
    best = 0.0
    # lowest point in each half, iterate twice for rotation coupling
    ang = 0.0
    for _ in range(3):
        c, s = np.cos(np.radians(ang)), np.sin(np.radians(ang))
        xr, yr = c * x - s * y, s * x + c * y
        m1, m2 = xr < mid, xr >= mid
        i1 = np.flatnonzero(m1)[np.argmin(yr[m1])]
        i2 = np.flatnonzero(m2)[np.argmin(yr[m2])]
        slope = degrees(atan2(yr[i2] - yr[i1], xr[i2] - xr[i1]))
        ang -= slope
        best = ang
    return best


def _joint_dict(body, H):
    d = {}
    for side, s in SIDES.items():
        d[f"{side}_shoulder"] = H[body.index(f"upperarm01{s}")]
        d[f"{side}_hip"] = H[body.index(f"upperleg01{s}")]
        d[f"{side}_knee"] = H[body.index(f"lowerleg01{s}")]
        d[f"{side}_ankle"] = H[body.index(f"foot{s}")]
    return d
