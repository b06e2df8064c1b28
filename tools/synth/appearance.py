"""Per-vertex colours (skin, clothing, hair, eyes) and procedural textures."""
from __future__ import annotations

import numpy as np

from .body import Body

SKIN_TONES = {
    "light": (0.95, 0.75, 0.63),
    "fair": (0.89, 0.66, 0.52),
    "medium": (0.76, 0.56, 0.42),
    "olive": (0.66, 0.49, 0.34),
    "brown": (0.50, 0.34, 0.23),
    "dark": (0.33, 0.22, 0.15),
}
HAIR = {"black": (0.05, 0.04, 0.04), "brown": (0.23, 0.14, 0.08),
        "blond": (0.50, 0.38, 0.20), "grey": (0.42, 0.42, 0.43), "auburn": (0.40, 0.17, 0.09)}
SHIRTS = {"navy": (0.10, 0.14, 0.30), "white": (0.88, 0.88, 0.86), "red": (0.62, 0.10, 0.12),
          "grey": (0.45, 0.46, 0.48), "green": (0.16, 0.38, 0.22), "black": (0.07, 0.07, 0.08),
          "teal": (0.08, 0.42, 0.45), "yellow": (0.85, 0.70, 0.20)}
SHORTS = {"black": (0.06, 0.06, 0.07), "navy": (0.09, 0.11, 0.22), "grey": (0.35, 0.35, 0.37),
          "khaki": (0.55, 0.48, 0.33), "blue": (0.18, 0.30, 0.55), "maroon": (0.35, 0.08, 0.10)}


def _w(body: Body, names):
    idx = [body.index(n) for n in names if n in body.bone_names]
    return body.weights[:, idx].sum(axis=1)


def region_masks(body: Body):
    """Boolean masks on rest vertices: shirt, shirt_long (adds forearms), shorts, hair, ..."""
    v = body.verts
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    trunk_up = _w(body, ["spine04", "spine03", "spine02", "spine01", "breast.L", "breast.R",
                         "clavicle.L", "clavicle.R", "shoulder01.L", "shoulder01.R",
                         "spine05"])
    upperarm = _w(body, ["upperarm01.L", "upperarm01.R"])
    upperarm2 = _w(body, ["upperarm02.L", "upperarm02.R"])
    forearm = _w(body, ["lowerarm01.L", "lowerarm01.R", "lowerarm02.L", "lowerarm02.R"])
    neck = _w(body, ["neck01", "neck02", "neck03", "head", "jaw"])
    legs_up = _w(body, ["root", "pelvis.L", "pelvis.R", "upperleg01.L", "upperleg01.R",
                        "upperleg02.L", "upperleg02.R"])
    arms = upperarm + upperarm2 + forearm + _w(body, [n for n in body.bone_names
                                                      if n.startswith(("wrist", "finger", "metacarpal"))])
    knee_y = body.heads[body.index("lowerleg01.L")][1]
    hip_y = body.heads[body.index("upperleg01.L")][1]
    waist = hip_y + 0.07
    collar = 0.565 + 0.03 * np.clip((np.abs(x) - 0.04) / 0.08, 0, 1)
    shirt = ((trunk_up + upperarm + 0.5 * upperarm2) > 0.5) & (y > waist) & (y < collar) & (neck < 0.5)
    shirt_long = shirt | ((arms - _w(body, [n for n in body.bone_names if n.startswith(("wrist", "finger", "metacarpal"))]) > 0.6)
                          & (y > 0.0))
    shorts = (legs_up > 0.5) & (y <= waist + 0.01) & (y > knee_y + 0.22) & (arms < 0.3)
    pants = (legs_up + _w(body, ["lowerleg01.L", "lowerleg01.R", "lowerleg02.L", "lowerleg02.R"]) > 0.5) \
        & (y <= waist + 0.01) & (y > -0.70) & (arms < 0.3)
    ey, ez = body.heads[body.index("eye.L")][1], body.heads[body.index("eye.L")][2]
    head = neck > 0.5
    # signed distance-like margin to the hairline (> 0 inside the hair), softened below
    m_top = y - (ey + 0.05 + 0.2 * np.clip(z - ez + 0.03, 0, 1))
    m_nape = np.minimum(ez - 0.085 - z, y - (ey - 0.055))
    m_back = np.minimum(ez - 0.06 - z, y - ey)
    margin = np.maximum(np.maximum(m_top, m_nape), m_back)
    t = np.clip((margin + 0.006) / 0.012, 0, 1)
    hair_w = np.where(head, t * t * (3 - 2 * t), 0.0)
    hair = hair_w > 0.5
    eyes = np.zeros(len(v), bool)
    brows = np.zeros(len(v), bool)
    for s in (".L", ".R"):
        e = body.heads[body.index("eye" + s)]
        d = np.linalg.norm(v - e, axis=1)
        eyes |= (d < 0.0135) & (z > e[2] - 0.003)
        brows |= head & (y > e[1] + 0.016) & (y < e[1] + 0.026) & (np.abs(x - e[0]) < 0.024) & (z > e[2] - 0.012)
    mouth = head & (np.abs(x) < 0.022) & (np.abs(y - (ey - 0.075)) < 0.006) & (z > ez - 0.02)
    feet = _w(body, [n for n in body.bone_names if n.startswith(("foot", "toe"))]) > 0.5
    return dict(shirt=shirt, shirt_long=shirt_long, shorts=shorts, pants=pants, hair=hair, hair_w=hair_w,
                eyes=eyes, brows=brows, mouth=mouth, feet=feet)


def vertex_colours(body: Body, masks, rng, skin="medium", hair="brown", shirt="navy",
                   shorts="black", long_sleeves=False, long_pants=False, socks=False):
    n = len(body.verts)
    sk = np.array(SKIN_TONES[skin])
    col = np.tile(sk, (n, 1))
    col *= 1.0 + 0.03 * rng.standard_normal((n, 1))
    sh = np.array(SHIRTS[shirt])
    col[masks["shirt_long" if long_sleeves else "shirt"]] = sh
    col[masks["pants" if long_pants else "shorts"]] = np.array(SHORTS[shorts])
    if socks:
        col[masks["feet"]] = (0.9, 0.9, 0.9)
    hw = masks["hair_w"][:, None]
    col = col * (1 - hw) + np.array(HAIR[hair]) * hw
    col[masks["brows"]] = np.array(HAIR[hair]) * 0.7
    col[masks["eyes"]] = (0.12, 0.08, 0.06)
    col[masks["mouth"]] = sk * np.array([0.85, 0.6, 0.6])
    col *= 1.0 + 0.015 * rng.standard_normal((n, 3))
    return np.clip(col, 0, 1)


# --------------------------------------------------------------------- textures
def _noise(rng, h, w, scale):
    small = rng.standard_normal((max(2, h // scale), max(2, w // scale)))
    import cv2
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def wood_floor(rng, base, size=512):
    base = np.asarray(base)
    img = np.ones((size, size, 3)) * base
    planks = 8
    ph = size // planks
    for i in range(planks):
        img[i * ph:(i + 1) * ph] *= 1 + 0.08 * rng.standard_normal()
        img[i * ph:i * ph + 2] *= 0.6
    grain = _noise(rng, size, size, 64)[:, :, None]
    streak = _noise(rng, size, size // 16, 4)
    import cv2
    streak = cv2.resize(streak, (size, size))[:, :, None]
    img *= 1 + 0.05 * grain + 0.05 * streak
    return np.clip(img * 255, 0, 255).astype(np.uint8)


def tile_floor(rng, base, size=512):
    base = np.asarray(base)
    img = np.ones((size, size, 3)) * base * (1 + 0.04 * _noise(rng, size, size, 16))[:, :, None]
    n = 8
    t = size // n
    for i in range(n):
        img[i * t:i * t + 2] *= 0.75
        img[:, i * t:i * t + 2] *= 0.75
    return np.clip(img * 255, 0, 255).astype(np.uint8)


def painted_wall(rng, base, size=256):
    base = np.asarray(base)
    img = np.ones((size, size, 3)) * base
    img *= (1 + 0.025 * _noise(rng, size, size, 32) + 0.01 * rng.standard_normal((size, size)))[:, :, None]
    return np.clip(img * 255, 0, 255).astype(np.uint8)


def _contrast(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).sum())


def pick_outfit(rng, skin):
    """Hair, shirt and shorts colours with some contrast against the skin tone."""
    sk = SKIN_TONES[skin]
    def pick(table, minc):
        names = list(table)
        for _ in range(20):
            n = str(rng.choice(names))
            if _contrast(table[n], sk) >= minc:
                return n
        return n
    hair = pick(HAIR, 0.45)
    shirt = pick(SHIRTS, 0.45)
    shorts = pick(SHORTS, 0.40)
    return hair, shirt, shorts
