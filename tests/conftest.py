import faulthandler
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"

# A hang must end as a failure with every thread's stack, not as a CI run that never finishes
# (one did: the process hung after the summary, in MediaPipe's finaliser). Seconds, from the
# environment so a slow machine can allow more.
SESSION_LIMIT_S = float(os.environ.get("THOMAS_CV_TEST_SESSION_LIMIT_S", 1800))
EXIT_LIMIT_S = float(os.environ.get("THOMAS_CV_TEST_EXIT_LIMIT_S", 300))


def pytest_sessionstart(session):
    faulthandler.dump_traceback_later(SESSION_LIMIT_S, exit=True)


def pytest_sessionfinish(session, exitstatus):
    faulthandler.dump_traceback_later(EXIT_LIMIT_S, exit=True)  # re-armed: the way out


@pytest.fixture(scope="session")
def photo_model():
    """The bundled photo model (the real BlazePose), loaded once for the model tests that share it."""
    from thomas_cv.vision.pose import make_estimator

    with make_estimator(static=True) as est:
        yield est
