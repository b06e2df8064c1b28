"""Regression: the table-edge and table-line searches crashed on OpenCV 5, whose
HoughLinesP returns (N, 4) segments instead of (N, 1, 4) (IndexError on any real photo)."""

from sidecar_landmarks import SAMPLES, sidecar_landmarks
from thomas_cv.vision.table import find_table_edge
from thomas_cv.media import load_image


def test_table_edge_found_on_a_rendered_photo():
    photo = SAMPLES / "thomas_r_normal_01.jpg"
    img = load_image(photo)
    edge = find_table_edge(img.rgb, sidecar_landmarks(photo))
    assert edge is not None
    assert abs(edge.horizon_deg) < 1.0  # the sample's camera is level (roll 0)
