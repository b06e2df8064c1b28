"""Draw docs/photo_guide.jpg: a good Thomas-test photo set-up and the common mistakes, rendered
with the synthetic-scene renderer (tools/synth) so that every panel shows exactly one change.

    python -m tools.photo_guide [out.jpg]

Needs the renderer's extra (``pip install -e ".[synth]"`` and Mesa EGL, see tools/synth/README.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIZE = (640, 480)
GOOD, BAD = (40, 150, 60), (200, 50, 40)
#: (title, what it means, spec changes from the good set-up)
PANELS = [
    ("Side-on, level, hip height", "side-on to the hanging leg, camera level at hip height, 2-4 m away, whole body in view", {}),
    ("Camera turned", "30° off square: the leg is seen at a slant and its angles shrink or grow", {"yaw_deg": 30.0}),
    ("Camera too high", "looking down at 35°: the thigh looks flatter than it is", {"elevation_deg": 35.0}),
    ("Camera tilted", "rolled 8°: every angle to the horizontal is off by 8° (keep it level)", {"roll_deg": 8.0}),
    ("Too far away", "the person fills a third of the picture: joints blur into a few pixels", {"fill": 0.33}),
    ("Wrong side", "from the hugged leg's side: the hanging leg is hidden behind it", {"far_side": True}),
]
GOOD_SPEC = dict(seed=3, tested_side="right", yaw_deg=0.0, roll_deg=0.0, elevation_deg=3.0, fill=0.72,
                 size=SIZE, lighting="window_side", thigh_angle_deg=5.0, knee_flexion_deg=85.0)


def render_panels() -> list[np.ndarray]:
    from tools.synth.scene import Renderer, Spec

    r = Renderer()
    out = []
    for i, (_, _, change) in enumerate(PANELS):
        img, _ = r.render(Spec(name=f"guide{i}", **{**GOOD_SPEC, **change}))
        out.append(img)
    r.close()
    return out


def compose(images: list[np.ndarray], cols: int = 3) -> Image.Image:
    w, h = SIZE
    cap = 78
    gap = 12
    rows = (len(images) + cols - 1) // cols
    title_h = 64
    sheet = Image.new("RGB", (cols * w + (cols + 1) * gap, title_h + rows * (h + cap + gap) + gap), (245, 245, 242))
    d = ImageDraw.Draw(sheet)
    ft, fb, fs = (ImageFont.load_default(size=s) for s in (30, 24, 18))
    d.text((gap, 16), "Taking the photo: one good set-up, and what goes wrong", font=ft, fill=(30, 30, 30))
    for i, (img, (title, words, _)) in enumerate(zip(images, PANELS)):
        r, c = divmod(i, cols)
        x = gap + c * (w + gap)
        y = title_h + r * (h + cap + gap)
        col = GOOD if i == 0 else BAD
        sheet.paste(Image.fromarray(img), (x, y))
        d.rectangle([x, y, x + w - 1, y + h - 1], outline=col, width=6)
        d.text((x + 4, y + h + 6), ("DO: " if i == 0 else "AVOID: ") + title, font=fb, fill=col)
        # wrap the explanation to the panel width
        line, lines = "", []
        for word in words.split():
            trial = (line + " " + word).strip()
            if d.textlength(trial, font=fs) > w - 8:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
        for k, t in enumerate(lines[:2]):
            d.text((x + 4, y + h + 36 + k * 21), t, font=fs, fill=(50, 50, 50))
    return sheet


def main(out: str = "docs/photo_guide.jpg") -> Path:
    sheet = compose(render_panels())
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, quality=85, optimize=True)
    return path


if __name__ == "__main__":
    print(main(*sys.argv[1:2]))
