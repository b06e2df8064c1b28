"""The depth-cue experiment's geometry (benchmarks/depth_cues.py) on hand-made points with
analytic answers, and BlazePose's world landmarks carried through the looks (pose, person,
fusion): no rendering, no model."""
import sys
from pathlib import Path
from types import SimpleNamespace as NS

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import depth_cues as DC  # noqa: E402
from thomas_cv.core.landmarks import NUM_LANDMARKS, Landmarks  # noqa: E402


def _pitched(p_deg):
    """(fwd, down, away) of a body seen square by a camera looking down by p_deg: the body's
    horizontal axis along x, the world's down (0, cos p, sin p), the horizontal away from the camera."""
    c, s = np.cos(np.radians(p_deg)), np.sin(np.radians(p_deg))
    return np.array([1.0, 0, 0]), np.array([0, c, s]), np.array([0, -s, c])


@pytest.mark.parametrize("pitch", [0.0, 12.0, 25.0])
@pytest.mark.parametrize("thigh,knee,out", [(10.0, 90.0, 0.0), (-15.0, 60.0, 0.3), (20.0, 100.0, -0.4)])
def test_plane_angles_drop_the_part_across_the_body(pitch, thigh, knee, out):
    fwd, down, away = _pitched(pitch)
    t = np.radians(thigh)
    thigh_dir = np.cos(t) * fwd + np.sin(t) * down
    s = np.radians(thigh + knee)  # the shank turned on by the knee flexion, in the plane
    shank_dir = np.cos(s) * fwd + np.sin(s) * down
    hip = np.array([3.0, -2.0, 40.0])
    knee_p = hip + 45 * thigh_dir + 45 * out * away  # drawn out of the plane: not seen by the angles
    ankle = knee_p + 40 * shank_dir - 20 * out * away
    got = DC.plane_angles([hip, knee_p, ankle], fwd, down)
    assert got == pytest.approx((thigh, knee), abs=1e-9)


def test_ray_points_put_a_point_on_its_ray_at_the_given_depth():
    f, c = 800.0, (320.0, 240.0)
    P = np.array([[0.1, -0.2, 2.0], [0.4, 0.3, 2.5]])  # metres, camera frame
    xy = P[:, :2] / P[:, 2:] * f + c
    dz = (P[:, 2] - P[0, 2]) * f / P[0, 2]  # pixels at the first point's distance
    got = DC.ray_points(xy, dz, f, c)
    assert got == pytest.approx(P * f / P[0, 2])


def test_plane_depths_put_the_points_on_the_tilted_plane():
    f, c = 1000.0, (0.0, 0.0)
    n = np.array([0.0, -np.sin(0.3), np.cos(0.3)])  # a plane turned 0.3 rad about x
    xy = np.array([[0.0, 0.0], [200.0, 100.0], [-50.0, 400.0]])
    P = DC.ray_points(xy, DC.plane_depths(xy, f, c, n), f, c)
    assert (P - P[0]) @ n == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    assert P[:, :2] / P[:, 2:] * f == pytest.approx(xy)  # still on their rays


def test_a_nearer_knee_seen_by_a_camera_looking_down_reads_too_low_without_its_depth():
    """The mechanism the correction undoes: the knee drawn 0.3 thigh lengths towards a camera
    that sees the hip from 20 deg above shows lower in the photo; the in-plane reading is too
    high by the analytic amount and the reading with the knee's true depth is exact. (It is the
    ray's angle that matters: a hip level with the camera shows no such drop.)"""
    f, c = 1000.0, (0.0, 0.0)
    fwd, down, away = _pitched(20.0)
    hip = np.array([0.0, 0.0, 2000.0])  # on the optical axis: seen 20 deg from above
    knee = hip + 300 * fwd - 90 * away  # level thigh, 90 (0.3 x 300) towards the camera
    P = np.array([hip, knee, knee + 300 * down])
    xy = P[:, :2] / P[:, 2:] * f
    dz = (P[:, 2] - P[0, 2]) * f / P[0, 2]
    flat = DC.plane_angles(DC.ray_points(xy, DC.plane_depths(xy, f, c, np.cross(fwd, down)), f, c), fwd, down)
    true = DC.plane_angles(DC.ray_points(xy, dz, f, c), fwd, down)
    assert true == pytest.approx((0.0, 90.0), abs=1e-9)
    # orthographic first order: the knee drops 90 tan 20 = 32.8 px over 300 px: 6.2 deg (perspective adds a little)
    assert flat[0] == pytest.approx(np.degrees(np.arctan(90 * np.tan(np.radians(20)) / 300)), abs=0.6)


def test_level_frame_and_down_from_normal():
    f, d = DC.level_frame(0.0, 0.0, feet_right=False)
    assert f.tolist() == [-1.0, 0.0, 0.0] and d.tolist() == [0.0, 1.0, 0.0]
    f, d = DC.level_frame(90.0, 0.0, feet_right=True)  # a level line running up the image
    assert f == pytest.approx([0.0, -1.0, 0.0]) and d == pytest.approx([1.0, 0.0, 0.0])
    fwd, down, away = _pitched(17.0)
    assert DC.down_from_normal(fwd, -away) == pytest.approx(down)
    assert DC.down_from_normal(fwd, away + 0.2 * fwd) == pytest.approx(down)  # its part along the body is ignored


def test_knee_flexion_3d_and_out_of_plane():
    assert DC.knee_flexion_3d([0, 0, 0], [0, 0, 1], [0, 1, 1]) == pytest.approx(90.0)
    assert DC.knee_flexion_3d([0, 0, 0], [1, 0, 0], [1 + np.cos(np.radians(60)), 0, np.sin(np.radians(60))]) \
        == pytest.approx(60.0)
    assert DC.out_of_plane([1, 1, 1], [1, 1, 3]) == pytest.approx(1.0)
    assert DC.out_of_plane([0, 0, 0], [1, 0, -1]) == pytest.approx(-np.sqrt(0.5))


def test_camera_joints_and_truth_frame_follow_the_camera_pose():
    # a camera at (0, 0, 5) looking down -Z (OpenGL: looks along its -z), not turned
    meta = {"camera_pose": {"cam_to_world": np.eye(4).tolist()},
            "joints_world_m": {"a": [1.0, 2.0, -3.0]}}
    meta["camera_pose"]["cam_to_world"][2][3] = 5.0
    assert DC.camera_joints(meta)["a"] == pytest.approx([1.0, -2.0, 8.0])  # x right, y down, z away
    fwd, down = DC.truth_frame(meta)
    assert fwd == pytest.approx([-1.0, 0.0, 0.0]) and down == pytest.approx([0.0, 1.0, 0.0])


# --------------------------------------------------------------------- world landmarks through the looks
def _lm(world=True):
    rng = np.random.default_rng(0)
    return Landmarks(rng.uniform(0, 100, (NUM_LANDMARKS, 2)), np.ones(NUM_LANDMARKS), (100, 80),
                     depth=rng.normal(size=NUM_LANDMARKS),
                     world=rng.normal(size=(NUM_LANDMARKS, 3)) if world else None)


def test_world_landmarks_must_be_33_by_3():
    with pytest.raises(ValueError, match="world"):
        Landmarks(np.zeros((NUM_LANDMARKS, 2)), np.ones(NUM_LANDMARKS), (10, 10), world=np.zeros((33, 2)))


def test_world_landmarks_survive_scaling_and_a_hand_correction_base():
    lm = _lm()
    assert lm.scaled(2.0).world is lm.world
    again = Landmarks.from_dict(lm.to_dict(), base=lm)
    assert np.array_equal(again.world, lm.world)


def test_pose_keeps_the_world_landmarks_of_each_person():
    from thomas_cv.vision.pose import _from_normalized

    pts = [NS(x=i / 40, y=0.5, z=0.01 * i, visibility=0.9) for i in range(NUM_LANDMARKS)]
    wl = [NS(x=0.1 * i, y=-0.2, z=0.3) for i in range(NUM_LANDMARKS)]
    lm = _from_normalized(pts, 200, 100, wl)
    assert lm.world.shape == (NUM_LANDMARKS, 3) and lm.world[5].tolist() == pytest.approx([0.5, -0.2, 0.3])
    assert _from_normalized(pts, 200, 100).world is None  # an estimator without world landmarks


def test_the_mirror_look_mirrors_the_world_landmarks_back():
    from thomas_cv.vision import person

    lm = _lm()
    est = NS(estimate=lambda img: lm)
    back = person.estimate_mirrored(np.zeros((80, 100, 3), np.uint8), est)
    # left and right swapped back, x negated (the mirror image's x runs the other way)
    assert back.world[23] == pytest.approx(lm.world[24] * [-1, 1, 1])
    assert back.world[0] == pytest.approx(lm.world[0] * [-1, 1, 1])


def test_relabel_swaps_the_world_landmarks_with_the_legs():
    from thomas_cv.core.fusion import relabel

    lm = _lm()
    out = relabel(lm, NS(leg_labels=("left", "left")), ("right", "right"))
    assert out.world[25].tolist() == lm.world[26].tolist() and out.world[28].tolist() == lm.world[27].tolist()
    assert relabel(_lm(world=False), NS(leg_labels=("left", "left")), ("right", "left")).world is None
