"""The web app with a fake pose model (tests only): every bundled sample photo is "seen" at its
sidecar's true joint positions (tests/sidecar_landmarks.py), so the clinic views can be driven
in a browser without the real model. Start it like the app:
``streamlit run tests/fake_model_app.py``.

``THOMAS_CV_FAKE_MODEL_DELAY_S``: seconds each look of the fake model takes (default 0), to
hold a script run open the way a real model on a busy machine does (the browser test of
issue 16's lost demo pair needs that window)."""

import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]


def run() -> None:
    import thomas_cv.vision.pose
    from sidecar_landmarks import SAMPLES, SampleEstimator

    delay = float(os.environ.get("THOMAS_CV_FAKE_MODEL_DELAY_S") or 0)

    class SlowSampleEstimator(SampleEstimator):
        def estimate(self, image_rgb, timestamp_ms=None):
            time.sleep(delay)
            return super().estimate(image_rgb, timestamp_ms)

    photos = sorted(p for p in SAMPLES.glob("thomas_*.jpg") if p.with_suffix(".json").exists())
    photos += sorted(p for p in (SAMPLES / "front").glob("thomas_*.jpg") if p.with_suffix(".json").exists())
    thomas_cv.vision.pose.make_estimator = lambda *a, **k: SlowSampleEstimator(photos)

    from thomas_cv.web.app import main

    main()


# Streamlit runs this file as __main__; pytest's doctest collection only imports it, and must
# not replace the real model for the tests that follow (it did: the model-option tests then
# "loaded" a missing .task file without an error).
if __name__ == "__main__":
    run()
