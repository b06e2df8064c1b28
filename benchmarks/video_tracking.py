"""BlazePose's VIDEO (tracking) mode with up to three people (the default) or one (issue 17).

    python benchmarks/video_tracking.py [CLIP ...]

The video and the live camera run MediaPipe's pose landmarker in VIDEO mode with
``num_poses=3`` (so that a helper beside the table is not measured instead of the subject).
Tracking one person only lets MediaPipe skip its person detector on frames where the tracked
person is kept. For each clip (default: ``sample_images/clip/thomas_settle.mp4`` and a 6 s
720p clip made from a sample photo as ``benchmarks/speed.py`` makes it) this prints the CPU
time of ``analyze_video`` and its result (thigh, knee, held stretch) for both settings, in one
process.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main(argv=None) -> int:
    from speed import make_inputs
    from thomas_cv.vision.pose import BlazePose
    from thomas_cv.pipeline.video import analyze_video

    argv = sys.argv[1:] if argv is None else argv
    tmp = Path(tempfile.mkdtemp(prefix="thomas-cv-tracking-"))
    try:
        clips = [Path(a) for a in argv] or [
            ROOT / "sample_images/clip/thomas_settle.mp4",
            make_inputs(sorted((ROOT / "sample_images").glob("*.jpg"))[0], tmp)["video"]]
        for clip in clips:
            for people in (3, 1):
                with BlazePose(static=False, num_poses=people) as est:
                    c = time.process_time()
                    vr = analyze_video(clip, est)
                    c = time.process_time() - c
                m = vr.result.measurement
                got = "no result" if m is None else f"thigh {m.thigh_angle_deg:6.2f}, knee {m.knee_flexion_deg:6.2f}"
                print(f"{clip.name:20s} num_poses={people}: {c:5.2f} s CPU for {len(vr.frames)} frames analysed "
                      f"({1000 * c / max(1, len(vr.frames)):5.1f} ms a frame); {got}; held {vr.stretch}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
