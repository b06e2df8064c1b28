"""Check renders with MediaPipe BlazePose: detection rate and keypoint distances."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

LM = {"left_shoulder": 11, "right_shoulder": 12, "left_hip": 23, "right_hip": 24,
      "left_knee": 25, "right_knee": 26, "left_ankle": 27, "right_ankle": 28}


def check_dir(folder, names=("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"),
              verbose=False):
    import cv2

    from thomas_cv.vision.pose import BlazePose

    files = sorted(Path(folder).glob("*.jpg"))
    rows = []
    with BlazePose(static=True) as pose:
        for f in files:
            side = json.loads(f.with_suffix(".json").read_text())
            img = cv2.imread(str(f))[:, :, ::-1]
            found = pose.estimate(np.ascontiguousarray(img))
            row = {"image": f.name, "detected": found is not None}
            if found is not None:
                h, w = img.shape[:2]
                d = {}
                for n in names:
                    p = found.xy[LM[n]]
                    d[n] = float(np.linalg.norm(p - np.array(side["keypoints_px"][n])))
                row["dist_px"] = d
                row["median_px"] = float(np.median(list(d.values())))
                diag = float(np.hypot(w, h))
                row["median_rel"] = row["median_px"] / diag
            rows.append(row)
            if verbose:
                print(row["image"], row["detected"], round(row.get("median_px", float("nan")), 1))
    det = [r for r in rows if r["detected"]]
    allpx = [v for r in det for v in r["dist_px"].values()]
    summary = {"n": len(rows), "detected": len(det),
               "rate": len(det) / max(1, len(rows)),
               "median_px_all_joints": float(np.median(allpx)) if allpx else None,
               "median_of_image_medians_px": float(np.median([r["median_px"] for r in det])) if det else None,
               "per_joint_median_px": {n: float(np.median([r["dist_px"][n] for r in det])) for n in names} if det else {}}
    return summary, rows


def contact_sheet(files, out_png, cols=4, cell=(400, 300), keypoints=True):
    """Tile images (with their projected ground-truth keypoints) into one PNG for eyeballing."""
    import cv2

    tiles = []
    for f in files:
        f = Path(f)
        img = cv2.imread(str(f))
        if keypoints and f.with_suffix(".json").exists():
            side = json.loads(f.with_suffix(".json").read_text())
            kp = side["keypoints_px"]
            t = side["tested_side"]
            for a, b in (("hip", "knee"), ("knee", "ankle")):
                for s, c in ((t, (0, 255, 255)), ("left" if t == "right" else "right", (255, 0, 255))):
                    p, q = kp[f"{s}_{a}"], kp[f"{s}_{b}"]
                    cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), c, 3)
            if side.get("table_edge_px"):
                p, q = side["table_edge_px"]
                cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), (0, 255, 0), 2)
        h, w = img.shape[:2]
        s = min(cell[0] / w, cell[1] / h)
        img = cv2.resize(img, (int(w * s), int(h * s)))
        canvas = np.zeros((cell[1], cell[0], 3), np.uint8)
        canvas[:img.shape[0], :img.shape[1]] = img
        cv2.putText(canvas, f.stem[:48], (4, cell[1] - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (255, 255, 255), 1)
        tiles.append(canvas)
    while len(tiles) % cols:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i:i + cols]) for i in range(0, len(tiles), cols)]
    cv2.imwrite(str(out_png), np.vstack(rows))
