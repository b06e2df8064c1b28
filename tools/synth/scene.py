"""Scene assembly (table, room, lights, camera) and offscreen rendering with pyrender."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

if "PYOPENGL_PLATFORM" not in os.environ:
    os.environ["PYOPENGL_PLATFORM"] = "egl"

if "infty" not in np.__dict__:  # pyrender 0.1.45 (scene bounds for shadows) still uses np.infty, gone in numpy 2
    np.infty = np.inf

from . import appearance as ap
from .body import Body, load_body, rot, skin
from .pose import PoseParams, angles_2d, pose_thomas, truth_3d

GAMMA = 2.2
LIGHTINGS = ("warm_key", "cool_daylight", "overhead", "soft_flat", "window_side")
TABLE_COLOURS = {"black_vinyl": (0.08, 0.08, 0.09), "navy_vinyl": (0.10, 0.15, 0.30),
                 "teal_vinyl": (0.10, 0.35, 0.38), "beige_vinyl": (0.70, 0.62, 0.50),
                 "burgundy_vinyl": (0.38, 0.09, 0.12), "grey_vinyl": (0.38, 0.39, 0.41)}
WALLS = {"offwhite": (0.86, 0.84, 0.78), "pale_blue": (0.66, 0.74, 0.80), "sage": (0.66, 0.72, 0.60),
         "warm_beige": (0.82, 0.72, 0.58), "light_grey": (0.72, 0.72, 0.72), "peach": (0.88, 0.70, 0.58)}
FLOORS = {"oak": (0.62, 0.45, 0.28), "walnut": (0.38, 0.26, 0.17), "grey_tile": (0.55, 0.55, 0.55),
          "beige_tile": (0.74, 0.68, 0.58), "blue_vinyl": (0.35, 0.42, 0.52)}


@dataclass
class Spec:
    name: str = "thomas"
    seed: int = 0
    tested_side: str = "right"
    thigh_angle_deg: float = 10.0
    knee_flexion_deg: float = 90.0
    hip_abduction_deg: float = 0.0
    hip_rotation_deg: float = 0.0
    hugged_hip_flexion_deg: float = 115.0
    yaw_deg: float = 0.0
    roll_deg: float = 0.0
    orientation: str = "landscape"
    far_side: bool = False
    small_subject: bool = False
    helper: bool = False
    lighting: str | None = None        # None: drawn from seed
    fill: float | None = None          # fraction of the frame width the body spans
    vfov_deg: float = 45.0
    size: tuple | None = None          # (w, h); default 1280x960 / 960x1280
    jpeg_quality: int | None = None
    body: object | None = None         # shape.BodyParams; None: the bare base mesh
    view: str = "side"                 # "side", or a front view: "foot_end", "above"
    elevation_deg: float | None = None  # camera above the target (deg); None: drawn (side 2-12)
    pose_id: str | None = None         # shared by the side and front images of one pose
    extra: dict = field(default_factory=dict)

#: front-view camera places (issue 14)
FRONT_VIEWS = ("foot_end", "above")


# --------------------------------------------------------------------- geometry helpers
def _box(lo, hi, colour, name=None):
    import trimesh
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    m = trimesh.creation.box(extents=hi - lo)
    m.apply_translation((lo + hi) / 2)
    m.visual.vertex_colors = np.tile(np.r_[np.asarray(colour) * 255, 255], (len(m.vertices), 1)).astype(np.uint8)
    return m


def _rounded_pad(lo, hi, colour, r=0.025):
    import trimesh
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    ext = hi - lo
    try:
        m = trimesh.creation.box(extents=ext)
        m = m.subdivide().subdivide().subdivide()
        # round the long edges by pushing vertices towards a superellipse profile
        v = m.vertices
        hy, hz = ext[1] / 2, ext[2] / 2
        for axis, h in ((1, hy), (2, hz)):
            pass
        cy, cz = v[:, 1], v[:, 2]
        dy = np.clip(np.abs(cy) - (hy - r), 0, None)
        dz = np.clip(np.abs(cz) - (hz - r), 0, None)
        d = np.hypot(dy, dz)
        k = np.where(d > r, r / np.maximum(d, 1e-9), 1.0)
        v[:, 1] = np.sign(cy) * (np.minimum(np.abs(cy), hy - r) + dy * k)
        v[:, 2] = np.sign(cz) * (np.minimum(np.abs(cz), hz - r) + dz * k)
        m.vertices = v
    except Exception:
        m = trimesh.creation.box(extents=ext)
    m.apply_translation((lo + hi) / 2)
    m.visual.vertex_colors = np.tile(np.r_[np.asarray(colour) * 255, 255], (len(m.vertices), 1)).astype(np.uint8)
    return m


def _prim(V, F, colours, material, normals=None, flat=False):
    """A pyrender mesh with per-vertex colours and an explicit material."""
    import pyrender
    V = np.asarray(V, np.float32)
    F = np.asarray(F, np.int64)
    # pyrender multiplies the *linear* shaded colour by COLOR_0, then gamma-encodes: linearise
    col = np.asarray(colours, np.float32) ** GAMMA
    if col.ndim == 1:
        col = np.tile(col, (len(V), 1))
    if col.shape[1] == 3:
        col = np.c_[col, np.ones(len(col), np.float32)]
    if flat:
        fn = np.cross(V[F[:, 1]] - V[F[:, 0]], V[F[:, 2]] - V[F[:, 0]])
        fn /= np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-12)
        P = V[F].reshape(-1, 3)
        N = np.repeat(fn, 3, axis=0)
        C = col[F].reshape(-1, 4)
        prim = pyrender.Primitive(positions=P, normals=N, color_0=C, material=material, mode=4)
    else:
        if normals is None:
            import trimesh
            normals = trimesh.Trimesh(V, F, process=False).vertex_normals
        prim = pyrender.Primitive(positions=V, normals=np.asarray(normals, np.float32), color_0=col,
                                  indices=F, material=material, mode=4)
    return pyrender.Mesh([prim])


def _tri_mesh_prim(m, material, flat=True):
    col = m.visual.vertex_colors[:, :3] / 255.0
    return _prim(m.vertices, m.faces, col, material, flat=flat)


def _quad(corners, img, reps=(1.0, 1.0), towards=None):
    import trimesh
    from PIL import Image
    c = np.asarray(corners, float)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    if towards is not None:
        n = np.cross(c[1] - c[0], c[2] - c[0])
        if n @ (np.asarray(towards) - c.mean(0)) < 0:
            faces = faces[:, ::-1]
    uv = np.array([[0, 0], [reps[0], 0], [reps[0], reps[1]], [0, reps[1]]])
    m = trimesh.Trimesh(c, faces, process=False)
    m.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.fromarray(img))
    return m


def look_at(cam_pos, target, roll_deg=0.0):
    f = np.asarray(target, float) - cam_pos
    f /= np.linalg.norm(f)
    r = np.cross(f, [0.0, 1.0, 0.0])
    r /= np.linalg.norm(r)
    u = np.cross(r, f)
    # camera rolled clockwise (as the photographer sees it) by roll_deg
    R = rot(f, roll_deg)
    r, u = R @ r, R @ u
    T = np.eye(4)
    T[:3, 0], T[:3, 1], T[:3, 2], T[:3, 3] = r, u, -f, cam_pos
    return T


def project(points, cam_T, w, h, vfov_deg):
    P = np.atleast_2d(points)
    Tinv = np.linalg.inv(cam_T)
    pc = P @ Tinv[:3, :3].T + Tinv[:3, 3]
    fpx = (h / 2) / np.tan(np.radians(vfov_deg) / 2)
    zc = -pc[:, 2]
    x = w / 2 + fpx * pc[:, 0] / zc
    y = h / 2 - fpx * pc[:, 1] / zc
    return np.stack([x, y], 1), zc


# --------------------------------------------------------------------- scene
class Renderer:
    """Keeps one body model and one offscreen context per process."""

    def __init__(self, body: Body | None = None):
        self.body = body or load_body()
        self.masks = ap.region_masks(self.body)
        self.used = self.body.used_vertices
        self._r = None
        self._size = None
        self.backend = "pyrender-" + os.environ.get("PYOPENGL_PLATFORM", "egl")
        self._shaped = (None, None, None)

    def _body_for(self, spec):
        """(body, region masks) for the spec's shape (the base mesh when it has none)."""
        if spec.body is None:
            return self.body, self.masks
        if self._shaped[0] != spec.body:
            from .shape import shaped_body
            b = shaped_body(self.body, spec.body)
            self._shaped = (spec.body, b, ap.region_masks(b))
        return self._shaped[1], self._shaped[2]

    def _renderer(self, w, h):
        import pyrender
        if self._r is None:
            self._r = pyrender.OffscreenRenderer(w, h)
        elif self._size != (w, h):
            self._r.viewport_width, self._r.viewport_height = w, h
        self._size = (w, h)
        return self._r

    def close(self):
        if self._r is not None:
            self._r.delete()
            self._r = None

    # ------------------------------------------------------------------
    def person_mesh(self, V, col, material):
        return _prim(V, self.body.faces, col, material)

    def render(self, spec: Spec):
        import pyrender
        rng = np.random.default_rng(spec.seed)
        body, masks = self._body_for(spec)
        if spec.view not in ("side",) + FRONT_VIEWS:
            raise ValueError(f"unknown view {spec.view!r}")
        # ---------------- person
        pp = PoseParams(tested_side=spec.tested_side, thigh_angle_deg=spec.thigh_angle_deg,
                        knee_flexion_deg=spec.knee_flexion_deg, hip_abduction_deg=spec.hip_abduction_deg,
                        hip_rotation_deg=spec.hip_rotation_deg,
                        hugged_hip_flexion_deg=spec.hugged_hip_flexion_deg,
                        hugged_knee_flexion_deg=float(rng.uniform(125, 145)),
                        lumbar_flexion_deg=float(rng.uniform(2, 10)))
        posed = pose_thomas(body, pp)
        V = posed.vertices()
        from .pose import _trunk_mask
        tmask = _trunk_mask(body)
        table_top = float(rng.uniform(0.68, 0.80))
        hip_t = posed.joint("upperleg01" + (".R" if spec.tested_side == "right" else ".L"))
        shift = np.array([-hip_t[0], table_top - V[tmask][:, 1].min(), 0.0])
        V = V + shift
        joints = {k: v + shift for k, v in posed.joints().items()}
        feet = {k: v + shift for k, v in posed.foot_points().items()}
        skin_name = str(rng.choice(list(ap.SKIN_TONES)))
        hair, shirt, shorts = ap.pick_outfit(rng, skin_name)
        long_sleeves = bool(rng.random() < 0.3)
        long_pants = bool(rng.random() < 0.2)
        socks = bool(rng.random() < 0.3)
        col = ap.vertex_colours(body, masks, rng, skin_name, hair, shirt, shorts,
                                long_sleeves, long_pants, socks)
        scene = pyrender.Scene(bg_color=[0, 0, 0, 255], ambient_light=[0.0, 0.0, 0.0])
        mat = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0,
                                                 roughnessFactor=0.75)
        scene.add(_prim(V, body.faces, col, mat))

        # ---------------- table: top end at the gluteal fold, head end beyond the head
        x_end = float(rng.uniform(-0.10, -0.04))
        length = float(rng.uniform(1.85, 2.0))
        width = float(rng.uniform(0.62, 0.75))
        pad = float(rng.uniform(0.07, 0.11))
        tname = str(rng.choice(list(TABLE_COLOURS)))
        tcol = np.array(TABLE_COLOURS[tname])
        frame_col = np.array([0.75, 0.75, 0.77]) if rng.random() < 0.5 else np.array([0.45, 0.30, 0.18])
        x0, x1 = x_end, x_end + length
        hw = width / 2
        tmat = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0,
                                                  roughnessFactor=0.45)
        tops = [_rounded_pad([x0, table_top - pad, -hw], [x1, table_top, hw], tcol)]
        fr = [_box([x0 + 0.03, table_top - pad - 0.08, -hw + 0.03], [x1 - 0.03, table_top - pad, hw - 0.03],
                   frame_col * 0.8)]
        for lx in (x0 + 0.08, x1 - 0.13):
            for lz in (-hw + 0.05, hw - 0.10):
                fr.append(_box([lx, 0.0, lz], [lx + 0.05, table_top - pad, lz + 0.05], frame_col))
        for m in tops:
            scene.add(_tri_mesh_prim(m, tmat, flat=False))
        fmat = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.3,
                                                  roughnessFactor=0.5)
        for m in fr:
            scene.add(_tri_mesh_prim(m, fmat))

        # ---------------- camera
        w, h = spec.size or ((1280, 960) if spec.orientation == "landscape" else (960, 1280))
        vfov = spec.vfov_deg
        cam_side = (-1.0 if spec.tested_side == "right" else 1.0) * (-1.0 if spec.far_side else 1.0)
        xs = V[self.used][:, 0]
        ext = xs.max() - xs.min() + 0.1
        hfov = 2 * np.degrees(np.arctan(np.tan(np.radians(vfov / 2)) * w / h))
        if spec.fill is not None:
            fill = spec.fill
        elif spec.small_subject:
            fill = float(rng.uniform(0.35, 0.5))
        else:
            fill = float(rng.uniform(0.60, 0.76) if spec.orientation == "landscape" else rng.uniform(0.78, 0.88))
        dist = ext / (2 * np.tan(np.radians(hfov / 2)) * fill)
        target = np.array([(xs.max() + xs.min()) / 2, table_top + 0.1, 0.0])
        elev = float(rng.uniform(2.0, 12.0))  # camera a bit above the hip, looking slightly down
        if spec.elevation_deg is not None:
            elev = float(spec.elevation_deg)
        frng = np.random.default_rng([spec.seed, 14])  # front-view draws: the side draws stay as they were
        sub = V[self.used[::7]]
        if spec.view == "side":
            dirv = rot([0, 1, 0], spec.yaw_deg) @ np.array([0.0, 0.0, cam_side])
        else:
            # yaw 0 = looking along the table's long axis towards the head (+X); + = counter-clockwise
            dirv = rot([0, 1, 0], spec.yaw_deg) @ np.array([-1.0, 0.0, 0.0])
            if spec.view == "foot_end":
                if spec.elevation_deg is None:
                    elev = float(frng.uniform(-3.0, 15.0))
                fill = spec.fill if spec.fill is not None else float(frng.uniform(0.4, 0.7))
            else:  # above the hanging thigh, looking down at it
                if spec.elevation_deg is None:
                    elev = float(frng.uniform(70.0, 88.0))
                fill = spec.fill if spec.fill is not None else float(frng.uniform(0.4, 0.65))
                legs = lower_body_mask(body, spec.tested_side)
                sub = V[np.flatnonzero(legs)[::3]]
            kn = joints[f"{spec.tested_side}_knee"]
            target = np.array([kn[0], table_top, kn[2]])
            off_c = np.array([frng.uniform(-0.04, 0.04) * w, frng.uniform(-0.05, 0.05) * h])
        dirv = np.cos(np.radians(elev)) * dirv + np.array([0.0, np.sin(np.radians(elev)), 0.0])
        n_frame = 6 if spec.view == "side" else 12
        if spec.view == "above":
            # a phone held 0.9-1.3 m above the table top by a standing clinician, aimed at the
            # upper thigh (hips, thigh and knee in view): no distance fitting (a close camera's perspective
            # defeats it), the framing follows from the height and the lens
            hip_t, kn_t = joints[f"{spec.tested_side}_hip"], joints[f"{spec.tested_side}_knee"]
            target = hip_t + 0.35 * (kn_t - hip_t) + np.array([frng.uniform(-0.03, 0.03), 0.0, frng.uniform(-0.03, 0.03)])
            cam_h = float(frng.uniform(0.9, 1.3)) if spec.extra.get("above_height_m") is None \
                else float(spec.extra["above_height_m"])
            dist = (table_top + cam_h - target[1]) / np.sin(np.radians(elev))
            n_frame = 0
        fpx = (h / 2) / np.tan(np.radians(vfov / 2))
        # frame the body: centre its projected bbox, body width = `fill` of the frame,
        # and keep a margin top/bottom; a few fixed-point iterations
        off_side = np.array([rng.uniform(-0.04, 0.04) * w, rng.uniform(-0.05, 0.05) * h])
        if spec.view == "side":
            off_c = off_side
        for _ in range(n_frame):
            cam_pos = target + dist * dirv
            cam_T = look_at(cam_pos, target, spec.roll_deg)
            pp, zc = project(sub, cam_T, w, h, vfov)
            lo, hi = pp.min(0), pp.max(0)
            bw, bh = hi - lo
            scale = max(bw / (fill * w), bh / (0.80 * h))
            cen = (lo + hi) / 2 - np.array([w / 2, h / 2]) - off_c
            depth = dist
            target = target + cam_T[:3, 0] * cen[0] * depth / fpx - cam_T[:3, 1] * cen[1] * depth / fpx
            dist *= scale
        cam_pos = target + dist * dirv
        cam_T = look_at(cam_pos, target, spec.roll_deg)
        distance = float(np.linalg.norm(cam_pos - target))
        if n_frame == 0:
            # raise the phone until both hips and the tested knee and ankle are in the frame
            key = np.array([joints["left_hip"], joints["right_hip"], joints[f"{spec.tested_side}_knee"],
                            joints[f"{spec.tested_side}_ankle"]])
            for _ in range(12):
                kp_, kz_ = project(key, cam_T, w, h, vfov)
                if (kz_ > 0).all() and (kp_ >= [0.05 * w, 0.05 * h]).all() and (kp_ <= [0.95 * w, 0.95 * h]).all():
                    break
                dist *= 1.1
                cam_pos = target + dist * dirv
                cam_T = look_at(cam_pos, target, spec.roll_deg)
            distance = float(np.linalg.norm(cam_pos - target))
        if n_frame == 0:  # the fraction of the frame width the framed body part spans
            pp, _ = project(sub, cam_T, w, h, vfov)
            fill = float((np.clip(pp[:, 0], 0, w).max() - np.clip(pp[:, 0], 0, w).min()) / w)
        cam = pyrender.PerspectiveCamera(yfov=np.radians(vfov), aspectRatio=w / h, znear=0.05, zfar=40.0)
        if spec.extra.get("cam_T") is not None:  # fixed camera (video clips)
            cam_T = np.asarray(spec.extra["cam_T"], float)
            target = np.asarray(spec.extra["cam_target"], float)
            cam_pos = cam_T[:3, 3].copy()
        self.last_cam = (cam_T, target)
        scene.add(cam, pose=cam_T)
        distance = float(np.linalg.norm(cam_pos - target))

        # ---------------- room
        wall_name = str(rng.choice(list(WALLS)))
        floor_name = str(rng.choice(list(FLOORS)))
        fcol = np.array(FLOORS[floor_name]) * rng.uniform(0.9, 1.1)
        fimg = ap.wood_floor(rng, fcol) if floor_name in ("oak", "walnut") else ap.tile_floor(rng, fcol)
        R = 12.0
        floor = _quad([[-R, 0, -R], [-R, 0, R], [R, 0, R], [R, 0, -R]], fimg, (R / 1.2, R / 1.2),
                      towards=[0, 5, 0])
        room_mat = dict(metallicFactor=0.0, roughnessFactor=0.85)
        scene.add(pyrender.Mesh.from_trimesh(floor, material=pyrender.MetallicRoughnessMaterial(
            baseColorTexture=pyrender.Texture(source=fimg, source_channels="RGB"), **room_mat)))
        wcol = np.array(WALLS[wall_name]) * rng.uniform(0.9, 1.05)
        wimg = ap.painted_wall(rng, wcol)
        back_z = -cam_side * float(rng.uniform(1.0, 2.2))
        wall_h = 9.0
        # back wall (behind the table as seen from the camera) + a side wall at one end
        bw = [[-R, 0, back_z], [R, 0, back_z], [R, wall_h, back_z], [-R, wall_h, back_z]]
        side_x = float(rng.choice([-1, 1])) * float(rng.uniform(2.0, 3.5)) + (x0 + x1) / 2
        if spec.view != "side":  # a front view looks along the table: the end wall is behind the head
            side_x = x1 + abs(side_x - (x0 + x1) / 2) - 1.0
        sw = [[side_x, 0, -R], [side_x, 0, R], [side_x, wall_h, R], [side_x, wall_h, -R]]
        for q in (bw, sw):
            scene.add(pyrender.Mesh.from_trimesh(_quad(q, wimg, (4, 1), towards=cam_pos), material=pyrender.MetallicRoughnessMaterial(
                baseColorTexture=pyrender.Texture(source=wimg, source_channels="RGB"), **room_mat)))
        # skirting board and a couple of wall objects (picture, cabinet) for clutter
        sk_col = np.array([0.92, 0.92, 0.9]) if rng.random() < 0.6 else np.array([0.35, 0.25, 0.18])
        bz = back_z + np.sign(-back_z) * 0.01
        extras = [_box([-R, 0, min(bz, bz - np.sign(back_z) * 0.02)], [R, 0.1, max(bz, bz - np.sign(back_z) * 0.02)], sk_col)]
        for _ in range(int(rng.integers(1, 3))):
            cx = float(rng.uniform(x0 - 1.0, x1 + 1.0))
            cy = float(rng.uniform(1.3, 1.9))
            pw, ph = float(rng.uniform(0.3, 0.8)), float(rng.uniform(0.25, 0.6))
            pc = 0.5 * rng.uniform(0.1, 0.9, 3) + 0.5 * rng.uniform(0.2, 0.8)  # muted picture/poster
            extras.append(_box([cx - pw / 2, cy - ph / 2, min(bz, bz - np.sign(back_z) * 0.02)],
                               [cx + pw / 2, cy + ph / 2, max(bz, bz - np.sign(back_z) * 0.02)], pc))
        if rng.random() < 0.6:
            cx = float(rng.uniform(x1 + 0.3, x1 + 1.2)) if rng.random() < 0.5 else float(rng.uniform(x0 - 1.3, x0 - 0.6))
            cz0 = back_z + np.sign(-back_z) * 0.45
            extras.append(_box([cx - 0.3, 0, min(back_z, cz0)], [cx + 0.3, float(rng.uniform(0.7, 1.0)), max(back_z, cz0)],
                               0.5 * rng.uniform(0.3, 0.9, 3) + 0.5 * rng.uniform(0.3, 0.9)))
        emat = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0], **room_mat)
        for m in extras:
            scene.add(_tri_mesh_prim(m, emat))

        if spec.helper:
            self._add_helper(scene, rng, cam_side, x0, x1, hw, mat)

        # ---------------- lights
        lighting = spec.lighting or str(rng.choice(LIGHTINGS))
        self._add_lights(scene, rng, lighting, cam_pos, target, cam_side)

        # ---------------- render
        r = self._renderer(w, h)
        flags = pyrender.RenderFlags.SHADOWS_DIRECTIONAL if os.environ.get("SYNTH_SHADOWS", "1") == "1" else pyrender.RenderFlags.NONE
        color, depth = r.render(scene, flags=flags)
        nrng = np.random.default_rng(spec.extra["noise_seed"]) if "noise_seed" in spec.extra else rng
        # centre-weighted auto exposure: meter on the person's projected bounding box
        bp, _ = project(V[self.used[::5]], cam_T, w, h, vfov)
        x0b, y0b = np.clip(bp.min(0).astype(int), 0, [w - 1, h - 1])
        x1b, y1b = np.clip(bp.max(0).astype(int), 1, [w, h])
        lin = (color.astype(np.float32) / 255.0) ** GAMMA
        lum = lin[y0b:y1b, x0b:x1b].mean(axis=2)
        gain = float(np.clip(rng.uniform(0.16, 0.24) / max(float(np.median(lum)), 1e-4), 0.7, 3.0))
        color = np.clip(255.0 * np.clip(lin * gain, 0, 1) ** (1 / GAMMA), 0, 255).astype(np.uint8)
        img = self._postprocess(color, rng, nrng)

        # ---------------- ground truth
        names = ["left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_knee",
                 "right_knee", "left_ankle", "right_ankle"]
        pts, _ = project(np.array([joints[n] for n in names]), cam_T, w, h, vfov)
        kp = {n: [round(float(p[0]), 2), round(float(p[1]), 2)] for n, p in zip(names, pts)}
        fnames = ["left_heel", "right_heel", "left_foot_index", "right_foot_index"]
        fp, _ = project(np.array([feet[n] for n in fnames]), cam_T, w, h, vfov)
        kp.update({n: [round(float(p[0]), 2), round(float(p[1]), 2)] for n, p in zip(fnames, fp)})
        t3 = truth_3d(joints, spec.tested_side, posed.posterior)
        t3["hip_rotation_deg"] = float(spec.hip_rotation_deg)
        t3.update(front_truth(joints, spec.tested_side))
        # image truth: y up frame from pixel coordinates
        J2 = {n: np.array([p[0], -p[1]]) for n, p in zip(names, pts)}
        hip_w = joints[f"{spec.tested_side}_hip"]
        hp, _ = project(np.array([hip_w, hip_w + 0.1 * posed.posterior, hip_w + np.array([0.1, 0, 0])]),
                        cam_T, w, h, vfov)
        post2 = np.array([hp[1, 0] - hp[0, 0], -(hp[1, 1] - hp[0, 1])])
        head_dir = np.array([hp[2, 0] - hp[0, 0], -(hp[2, 1] - hp[0, 1])])
        head_towards = "right" if head_dir[0] > 0 else "left"
        foot_dir = np.array([-1.0, 0.0]) if head_towards == "right" else np.array([1.0, 0.0])
        timg = angles_2d(J2, foot_dir, post2, spec.tested_side)
        # table edge (near long edge of the top) and horizon
        near_z = cam_side * hw
        ex = np.linspace(x0, x1, 400)
        edge = np.stack([ex, np.full_like(ex, table_top), np.full_like(ex, near_z)], 1)
        ep, ez = project(edge, cam_T, w, h, vfov)
        ok = (ez > 0) & (ep[:, 0] >= 0) & (ep[:, 0] <= w - 1) & (ep[:, 1] >= 0) & (ep[:, 1] <= h - 1)
        if ok.any():
            e1, e2 = ep[np.flatnonzero(ok)[0]], ep[np.flatnonzero(ok)[-1]]
            table_edge = [[round(float(e1[0]), 2), round(float(e1[1]), 2)], [round(float(e2[0]), 2), round(float(e2[1]), 2)]]
        else:
            table_edge = None
        hx = hip_w[0]
        lp, _ = project(np.array([[hx - 0.05, table_top, near_z], [hx + 0.05, table_top, near_z]]), cam_T, w, h, vfov)
        d = lp[1] - lp[0]
        if d[0] < 0:
            d = -d
        horizon = float(np.degrees(np.arctan2(-d[1], d[0])))
        rnd = lambda d_: {k: round(float(v), 3) for k, v in d_.items()}

        def seg_px(a, b):
            t_ = np.linspace(0, 1, 200)[:, None]
            q, qz = project(np.asarray(a) + t_ * (np.asarray(b) - np.asarray(a)), cam_T, w, h, vfov)
            okq = (qz > 0) & (q[:, 0] >= 0) & (q[:, 0] <= w - 1) & (q[:, 1] >= 0) & (q[:, 1] <= h - 1)
            if not okq.any():
                return None
            i0, i1 = np.flatnonzero(okq)[[0, -1]]
            return [[round(float(q[i0, 0]), 2), round(float(q[i0, 1]), 2)], [round(float(q[i1, 0]), 2), round(float(q[i1, 1]), 2)]]

        fwd = -cam_T[:3, 2]
        pitch = float(np.degrees(np.arcsin(np.clip(-fwd[1], -1, 1))))  # optical axis below horizontal
        table_px = {"foot_end": seg_px([x0, table_top, -hw], [x0, table_top, hw]),
                    "left_long": seg_px([x0, table_top, hw], [x1, table_top, hw]),
                    "right_long": seg_px([x0, table_top, -hw], [x1, table_top, -hw]),
                    "midline": seg_px([x0, table_top, 0.0], [x1, table_top, 0.0])}
        if spec.view != "side":
            # seen from the front: which way the head lies in the image, and no side-view angles
            sc_, _ = project(np.array([(joints["left_shoulder"] + joints["right_shoulder"]) / 2,
                                       (joints["left_hip"] + joints["right_hip"]) / 2]), cam_T, w, h, vfov)
            dv = sc_[0] - sc_[1]
            head_towards = (("right" if dv[0] > 0 else "left") if abs(dv[0]) > abs(dv[1])
                            else ("up" if dv[1] < 0 else "down"))
        side = {
            "image": f"{spec.name}.jpg", "width": int(w), "height": int(h),
            "view": "side" if spec.view == "side" else "front", "view_place": spec.view,
            "pose_id": spec.pose_id or spec.name,
            "tested_side": spec.tested_side, "head_towards": head_towards,
            "camera": {"yaw_deg": float(spec.yaw_deg), "roll_deg": float(spec.roll_deg),
                       "pitch_deg": round(pitch, 3), "elevation_deg": round(elev, 3),
                       "focal_35mm": round(float(focal_35mm(w, h, vfov)), 2), "fill": round(float(fill), 3),
                       "distance_m": round(distance, 3), "vfov_deg": float(vfov),
                       "far_side": bool(spec.far_side), "orientation": spec.orientation,
                       "height_m": round(float(cam_pos[1]), 3), "small_subject": bool(spec.small_subject),
                       "helper": bool(spec.helper)},
            "horizon_deg": round(horizon, 3),
            "truth_3d": rnd(t3),
            "truth_image": rnd(timg),
            "keypoints_px": kp,
            "joints_world_m": {n: [round(float(c), 4) for c in v] for n, v in {**joints, **feet}.items()},
            "camera_pose": {"cam_to_world": [[round(float(c), 6) for c in row] for row in cam_T],
                            "fx_px": round(float((h / 2) / np.tan(np.radians(vfov) / 2)), 3)},
            "table_edge_px": table_edge,
            "table_px": table_px,
            "findings": {"iliopsoas": "short" if t3["thigh_angle_deg"] < 0 else "normal",
                         "rectus_femoris": "short" if t3["knee_flexion_deg"] < 80 else "normal"},
            "body": body_record(spec.body, body),
            "render": {"seed": int(spec.seed), "lighting": lighting, "skin": skin_name,
                       "clothing": f"{shirt} {'long-sleeve' if long_sleeves else 't-'}shirt, {shorts} {'trousers' if long_pants else 'shorts'}"
                                   + (", white socks" if socks else ""),
                       "hair": hair, "table": tname, "wall": wall_name, "floor": floor_name,
                       "renderer": self.backend, "requested": {
                           "thigh_angle_deg": spec.thigh_angle_deg, "knee_flexion_deg": spec.knee_flexion_deg,
                           "hip_abduction_deg": spec.hip_abduction_deg, "hip_rotation_deg": spec.hip_rotation_deg,
                           "view": spec.view, "elevation_deg": spec.elevation_deg, "fill": spec.fill,
                           "hugged_hip_flexion_deg": spec.hugged_hip_flexion_deg}},
        }
        return img, side

    # ------------------------------------------------------------------
    def _add_lights(self, scene, rng, lighting, cam_pos, target, cam_side):
        import pyrender

        def dir_pose(frm):
            return look_at(np.asarray(frm, float), target)

        warm, cool, neutral = [1.0, 0.86, 0.70], [0.86, 0.92, 1.0], [1.0, 0.98, 0.95]
        c = cam_side
        jitter = lambda: rng.uniform(-0.8, 0.8)
        k = float(rng.uniform(0.85, 1.2))
        D = pyrender.DirectionalLight
        if lighting == "warm_key":   # warm key from the camera side, cool fill from above/behind
            scene.ambient_light = np.array(warm) * 0.30
            scene.add(D(color=warm, intensity=6.0 * k), pose=dir_pose(target + [1.2 + jitter(), 2.0, c * 2.5]))
            scene.add(D(color=cool, intensity=2.0), pose=dir_pose(target + [-2.0, 2.5, -c * 0.5]))
        elif lighting == "cool_daylight":  # bluish daylight, fairly frontal, neutral fill
            scene.ambient_light = np.array(cool) * 0.40
            scene.add(D(color=cool, intensity=5.0 * k), pose=dir_pose(target + [jitter(), 2.2, c * 2.5]))
            scene.add(D(color=neutral, intensity=1.6), pose=dir_pose(target + [2.0, 2.0, -c * 1.0]))
        elif lighting == "overhead":  # ceiling lamps + weak frontal light
            scene.ambient_light = np.array(neutral) * 0.30
            for dx in (-0.8, 0.8):
                scene.add(pyrender.PointLight(color=neutral, intensity=14.0 * k),
                          pose=_translate(target + [dx, 1.6, c * 0.6]))
            scene.add(D(color=neutral, intensity=2.5), pose=dir_pose(target + [0.5, 1.5, c * 2.5]))
        elif lighting == "soft_flat":  # diffuse, low contrast
            scene.ambient_light = np.array(neutral) * 0.65
            scene.add(D(color=neutral, intensity=3.5 * k), pose=dir_pose(target + [jitter(), 1.5, c * 2.5]))
            scene.add(D(color=neutral, intensity=1.5), pose=dir_pose(target + [-1.0, 2.5, -c * 1.0]))
        else:  # window_side: strong light from one end of the table + warm frontal fill
            e = float(rng.choice([-1, 1]))
            scene.ambient_light = np.array(cool) * 0.30
            scene.add(D(color=[1.0, 0.97, 0.92], intensity=6.0 * k), pose=dir_pose(target + [e * 3.0, 1.5, c * 1.5]))
            scene.add(D(color=warm, intensity=2.0), pose=dir_pose(target + [-e * 0.5, 1.5, c * 2.5]))

    def _add_helper(self, scene, rng, cam_side, x0, x1, hw, mat):
        """A second, standing person beside the table on the far side (rest pose, arms lowered)."""
        body = self.body
        local = {}
        for s, sg in ((".L", 1.0), (".R", -1.0)):
            local["upperarm01" + s] = rot([0, 0, 1], -sg * 35.0)
        from .body import forward_kinematics
        G, H, _ = forward_kinematics(body, local)
        V = skin(body, G)
        ymin = V[self.used][:, 1].min()
        rng.random(2)  # (kept for reproducible draws)
        # face the table: the helper stands behind the table looking towards the camera side
        R = rot([0, 1, 0], (0.0 if cam_side > 0 else 180.0) + rng.uniform(-30, 30))
        pos = np.array([rng.uniform(x0 + 0.2, x1 - 0.4), -ymin, -cam_side * (hw + rng.uniform(0.35, 0.6))])
        Vw = V @ R.T + pos
        col = ap.vertex_colours(body, self.masks, rng, str(rng.choice(list(ap.SKIN_TONES))),
                                str(rng.choice(list(ap.HAIR))), str(rng.choice(list(ap.SHIRTS))),
                                str(rng.choice(list(ap.SHORTS))), True, True, False)
        scene.add(self.person_mesh(Vw, col, mat))

    def _postprocess(self, color, rng, nrng):
        import cv2
        img = color.astype(np.float32)  # pyrender's shader already outputs gamma-encoded colour
        h, w = img.shape[:2]
        # white balance / exposure jitter, vignette, blur, sensor noise
        img *= rng.uniform(0.92, 1.08) * rng.uniform(0.96, 1.04, 3)
        grey = img.mean(axis=2, keepdims=True)
        img = grey + (img - grey) * np.float32(rng.uniform(1.05, 1.25))  # camera-like saturation
        yy = ((np.arange(h, dtype=np.float32) - h / 2) / (h / 2)) ** 2
        xx = ((np.arange(w, dtype=np.float32) - w / 2) / (w / 2)) ** 2
        r2 = yy[:, None] + xx[None, :]
        img *= (1 - rng.uniform(0.05, 0.18) * r2 / 2)[:, :, None]
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.0))
        sigma = rng.uniform(1.5, 4.0)
        img += nrng.standard_normal(img.shape, dtype=np.float32) * np.float32(sigma)
        return np.clip(img, 0, 255).astype(np.uint8)


def front_truth(joints, tested):
    """Front-view truth from 3-D joint centres (world: X along the table, Y up, Z = person's left).

    ``thigh_abduction_deg``: angle of hip->knee out of the sagittal (X-Y) plane, + = knee away from
    the midline (the same number as ``hip_abduction_deg``).  ``thigh_abduction_horizontal_deg``: the
    same line seen from straight above (X-Z plane).  ``shank_deviation_deg``: knee->ankle seen from
    the foot end (the table's cross-section Y-Z plane) against straight down, + = foot swung
    outwards (away from the midline), which with the knee bent means hip internal rotation."""
    lat = 1.0 if tested == "left" else -1.0
    th = np.asarray(joints[f"{tested}_knee"]) - np.asarray(joints[f"{tested}_hip"])
    sh = np.asarray(joints[f"{tested}_ankle"]) - np.asarray(joints[f"{tested}_knee"])
    return {"thigh_abduction_deg": float(np.degrees(np.arcsin(lat * th[2] / np.linalg.norm(th)))),
            "thigh_abduction_horizontal_deg": float(np.degrees(np.arctan2(lat * th[2], -th[0]))),
            "shank_deviation_deg": float(np.degrees(np.arctan2(lat * sh[2], -sh[1])))}


def lower_body_mask(body, tested):
    """Used vertices of the pelvis and the tested leg (what a camera above the thigh frames)."""
    s = ".L" if tested == "left" else ".R"
    names = ["root", "spine05", "pelvis.L", "pelvis.R", f"upperleg01{s}", f"upperleg02{s}",
             f"lowerleg01{s}", f"lowerleg02{s}", f"foot{s}"]
    idx = [body.index(n) for n in names if n in body.bone_names]
    m = body.weights[:, idx].sum(axis=1) > 0.5
    u = np.zeros(len(m), bool)
    u[body.used_vertices] = True
    return m & u


def body_record(params, body):
    """The body's shape parameters and the resulting stature and limb lengths (sidecar `body`)."""
    from .shape import measurements
    d = {"shape": None if params is None else params.to_dict()}
    d.update(measurements(body))
    return d


def _translate(p):
    T = np.eye(4)
    T[:3, 3] = p
    return T


def focal_35mm(w, h, vfov_deg):
    """35 mm-equivalent focal length (by the diagonal) of the render camera, as a phone's EXIF
    FocalLengthIn35mmFilm would give it."""
    f_px = (h / 2) / np.tan(np.radians(vfov_deg) / 2)
    return f_px / np.hypot(w, h) * np.hypot(36.0, 24.0)


def camera_exif(f35):
    """An APP1 Exif segment with the camera facts a phone records and the tool reads:
    FocalLengthIn35mmFilm (whole millimetres, as cameras write it)."""
    from PIL import Image
    exif = Image.Exif()
    exif[0x010F] = "thomas-cv synth"  # Make
    exif.get_ifd(0x8769)[0xA405] = int(round(f35))
    payload = exif.tobytes()
    return b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload


def with_exif(jpeg: bytes, f35) -> bytes:
    """The JPEG with a camera Exif segment right after its start marker (pixels untouched)."""
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    return jpeg[:2] + camera_exif(f35) + jpeg[2:]


def save_jpeg(path, img, quality=90, f35=None):
    import cv2
    ok, buf = cv2.imencode(".jpg", img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    data = buf.tobytes()
    if f35 is not None:
        data = with_exif(data, f35)
    with open(path, "wb") as fh:
        fh.write(data)
