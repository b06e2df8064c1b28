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
    import mediapipe as mp

    files = sorted(Path(folder).glob("*.jpg"))
    rows = []
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        for f in files:
            side = json.loads(f.with_suffix(".json").read_text())
            img = cv2.imread(str(f))[:, :, ::-1]
            res = pose.process(np.ascontiguousarray(img))
            row = {"image": f.name, "detected": res.pose_landmarks is not None}
            if res.pose_landmarks is not None:
                h, w = img.shape[:2]
                lms = res.pose_landmarks.landmark
                d = {}
                for n in names:
                    p = np.array([lms[LM[n]].x * w, lms[LM[n]].y * h])
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
