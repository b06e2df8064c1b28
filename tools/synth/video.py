"""Rendered settle clip (mp4 + per-frame truth) and a YUV4MPEG2 writer."""
from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np

FPS = 30
DURATION_S = 5.0
SETTLE_S = 2.6  # after this the leg holds perfectly still


def _smooth_window(t, a, b):
    """1 before a, 0 after b, smooth in between."""
    if t <= a:
        return 1.0
    if t >= b:
        return 0.0
    x = (t - a) / (b - a)
    return 1.0 - x * x * (3 - 2 * x)


def trajectory(t, final_thigh=7.0, final_knee=88.0, start_thigh=-22.0, start_knee=35.0):
    """Damped swing of the tested leg towards its resting Thomas-test position."""
    win = _smooth_window(t, SETTLE_S - 0.6, SETTLE_S)
    th = final_thigh + (start_thigh - final_thigh) * math.exp(-t / 0.5) * math.cos(2 * math.pi * 1.1 * t) * win
    kn = final_knee + (start_knee - final_knee) * math.exp(-t / 0.45) * math.cos(2 * math.pi * 1.4 * t + 0.3) * win
    return th, kn


def _open_writer(path, w, h, fps):
    import cv2
    for cc in ("avc1", "mp4v"):
        wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*cc), fps, (w, h))
        if wr.isOpened():
            return wr, cc
        wr.release()
    raise RuntimeError("no usable mp4 codec (tried avc1, mp4v)")


def render_clip(out_mp4, seed=11, tested_side="right", final_thigh=7.0, final_knee=88.0,
                size=(640, 480), fps=FPS, duration=DURATION_S):
    from .scene import Renderer, Spec

    out_mp4 = Path(out_mp4)
    out_mp4.parent.mkdir(parents=True, exist_ok=True)
    R = Renderer()
    n = int(round(duration * fps))
    base = dict(name="thomas_settle", seed=seed, tested_side=tested_side, hip_abduction_deg=3.0,
                hugged_hip_flexion_deg=115.0, size=size, lighting="warm_key", fill=0.64)
    # frame on the widest pose of the swing, then keep the camera fixed
    th0, kn0 = trajectory(0.0, final_thigh, final_knee)
    R.render(Spec(thigh_angle_deg=th0, knee_flexion_deg=kn0, **base))
    cam_T, target = R.last_cam
    wr, codec = _open_writer(out_mp4, size[0], size[1], fps)
    frames = []
    for i in range(n):
        t = i / fps
        th, kn = trajectory(t, final_thigh, final_knee)
        img, side = R.render(Spec(thigh_angle_deg=th, knee_flexion_deg=kn,
                                  extra={"cam_T": cam_T, "cam_target": target, "noise_seed": 1000 + i}, **base))
        wr.write(np.ascontiguousarray(img[:, :, ::-1]))
        frames.append({"frame": i, "time_s": round(t, 4), **side["truth_3d"],
                       "truth_image": side["truth_image"], "keypoints_px": side["keypoints_px"]})
    wr.release()
    R.close()
    last = side
    meta = {
        "video": out_mp4.name, "width": size[0], "height": size[1], "fps": fps, "n_frames": n,
        "codec": codec, "settled_from_s": SETTLE_S, "held_from_frame": int(math.ceil(SETTLE_S * fps)),
        "tested_side": tested_side, "head_towards": last["head_towards"], "camera": last["camera"],
        "horizon_deg": last["horizon_deg"], "table_edge_px": last["table_edge_px"],
        "final": {"truth_3d": last["truth_3d"], "truth_image": last["truth_image"],
                  "keypoints_px": last["keypoints_px"], "findings": last["findings"]},
        "render": last["render"],
        "frames": frames,
    }
    out_mp4.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    print(f"wrote {out_mp4} ({n} frames, {codec}) and {out_mp4.with_suffix('.json').name}")
    return meta


def y4m_header(w, h, fps) -> bytes:
    ntsc = round(fps * 1.001)
    if abs(fps - round(fps)) > 1e-3 and abs(fps - ntsc / 1.001) < 5e-3:
        num, den = ntsc * 1000, 1001  # 29.97 -> 30000:1001
    else:
        fr = Fraction(fps).limit_denominator(1000)
        num, den = fr.numerator, fr.denominator
    return f"YUV4MPEG2 W{w} H{h} F{num}:{den} Ip A1:1 C420\n".encode("ascii")


def write_y4m(frames_bgr, out, fps=30.0) -> int:
    """Write BGR uint8 frames as YUV4MPEG2 4:2:0 (planar I420)."""
    import cv2
    n = 0
    with open(out, "wb") as fh:
        for f in frames_bgr:
            h, w = f.shape[:2]
            if w % 2 or h % 2:
                f = f[: h - h % 2, : w - w % 2]
                h, w = f.shape[:2]
            if n == 0:
                fh.write(y4m_header(w, h, fps))
            fh.write(b"FRAME\n")
            fh.write(cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_BGR2YUV_I420).tobytes())
            n += 1
    return n


def to_y4m(inp, out) -> int:
    import cv2
    cap = cv2.VideoCapture(str(inp))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {inp}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    fps = round(fps * 1000) / 1000

    def gen():
        while True:
            ok, fr = cap.read()
            if not ok:
                break
            yield fr

    try:
        return write_y4m(gen(), out, fps)
    finally:
        cap.release()
