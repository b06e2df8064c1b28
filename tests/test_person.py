"""find_lying_person(): the subject on the table, not a standing helper (pure, fake estimators)."""

import numpy as np

from synthetic_landmarks import make_landmarks
from thomas_cv.vision.person import _offset, find_lying_person, trunk_tilt_deg


class Sequence:
    """Returns the given landmarks one after another; records the images it was shown."""

    def __init__(self, *lms):
        self.lms = list(lms)
        self.seen = []

    def estimate(self, rgb, timestamp_ms=None):
        self.seen.append(rgb.copy())
        return self.lms.pop(0) if self.lms else None


def test_trunk_tilt():
    assert trunk_tilt_deg(make_landmarks()) < 1
    assert 75 < trunk_tilt_deg(make_landmarks(trunk_tilt=80)) <= 90


def test_standing_helper_is_masked_and_the_lying_person_returned():
    standing = make_landmarks(trunk_tilt=85.0)
    lying = make_landmarks(thigh=-5.0)
    est = Sequence(standing, lying)
    rgb = np.random.default_rng(0).integers(0, 255, (960, 1280, 3), dtype=np.uint8)
    got = find_lying_person(rgb, est, refine=False)
    assert got is lying
    assert len(est.seen) == 2
    assert not np.array_equal(est.seen[0], est.seen[1])  # the helper was hidden the second time


def test_only_upright_people_returns_first_so_caller_can_explain():
    standing = make_landmarks(trunk_tilt=85.0)
    est = Sequence(standing)
    assert find_lying_person(np.zeros((960, 1280, 3), np.uint8), est, refine=False) is standing


def test_nobody_found():
    assert find_lying_person(np.zeros((96, 128, 3), np.uint8), Sequence(), refine=False) is None


def test_crop_landmarks_map_back_to_image_pixels():
    lm = make_landmarks(size=(200, 100))
    back = _offset(lm, 50.0, 20.0, 2.0, (1280, 960))
    assert np.allclose(back.xy, lm.xy / 2.0 + [50.0, 20.0])
    assert back.image_size == (1280, 960)


def test_median_colour_is_numpys_median_exactly():
    """The histogram median that hides a person equals numpy's (even counts: the mean of the two
    middle values, truncated to uint8), on odd and even pixel counts and few distinct values."""
    from thomas_cv.vision.person import median_colour

    rng = np.random.default_rng(1)
    for i in range(400):
        h, w = rng.integers(1, 40, 2)
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        if i % 2:
            img = (img // 85 * 85).astype(np.uint8)  # ties and gaps between the two middle values
        want = np.median(img.reshape(-1, 3), axis=0).astype(np.uint8)
        assert median_colour(img).tolist() == want.tolist(), (h, w)
    view = rng.integers(0, 256, (30, 50, 3), dtype=np.uint8)[:, ::2]  # not contiguous
    assert median_colour(view).tolist() == np.median(view.reshape(-1, 3), axis=0).astype(np.uint8).tolist()
